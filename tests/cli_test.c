/*
 * cli_test.c — tools/cli (cli.h), what ktls-client and ktls-server share: host:port and port
 * parsing, making a peer's text safe to print, listening (any port, dual stack, flags) and
 * connecting (with a time limit, and to nothing), the --cert / --key pairing and applying
 * options to a config (a bad value is refused with the reason). The tools' command lines
 * are tool_conventions_test.sh's and the other tool scripts'.
 */
#include "harness.h"

#include "cli/cli.h"
#include "support/pair.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

TEST(split_host_port)
{
	static const struct { const char *in, *host, *port; } ok[] = {
		{ "localhost:4433", "localhost", "4433" }, { "127.0.0.1:1", "127.0.0.1", "1" },
		{ "[::1]:65535", "::1", "65535" }, { "a:b:443", "a:b", "443" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char buf[64], *host, *port;
		snprintf(buf, sizeof(buf), "%s", ok[i].in);
		ASSERT_TRUE(cli_split_host_port(buf, &host, &port));
		EXPECT_STREQ(ok[i].host, host);
		EXPECT_STREQ(ok[i].port, port);
	}
	static const char *const bad[] = { "localhost", "localhost:", ":443", "[::1]443",
					   "[::1:443", "h:0", "h:65536", "h:44x", "h:-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[64], *host, *port;
		snprintf(buf, sizeof(buf), "%s", bad[i]);
		EXPECT_FALSE(cli_split_host_port(buf, &host, &port));
	}
}

TEST(parse_port)
{
	EXPECT_EQ(1, cli_parse_port("1", false));
	EXPECT_EQ(65535, cli_parse_port("65535", false));
	EXPECT_EQ(443, cli_parse_port("00443", false));
	EXPECT_EQ(-1, cli_parse_port("0", false));
	EXPECT_EQ(0, cli_parse_port("0", true));
	EXPECT_EQ(-1, cli_parse_port("65536", true));
	EXPECT_EQ(-1, cli_parse_port("000443", true)); /* more than 5 digits */
	EXPECT_EQ(-1, cli_parse_port("", true));
	EXPECT_EQ(-1, cli_parse_port(" 1", true));
	EXPECT_EQ(-1, cli_parse_port("+1", true));
}

TEST(printable)
{
	char buf[64];
	EXPECT_STREQ("CN=localhost", cli_printable("CN=localhost", (size_t)-1, buf, sizeof(buf)));
	EXPECT_STREQ("-", cli_printable(NULL, 0, buf, sizeof(buf)));
	/* escape sequences, backslashes, DEL, NUL within len, high bytes */
	EXPECT_STREQ("a\\x1b[2Jb\\x5cc\\x7f\\x00\\xff",
		     cli_printable("a\x1b[2Jb\\c\x7f\0\xff", 11, buf, sizeof(buf)));
	EXPECT_STREQ("line\\x0d\\x0aforged", cli_printable("line\r\nforged", (size_t)-1, buf,
							     sizeof(buf)));
	/* cut short, never cut inside an escape, always terminated */
	char small[8];
	memset(small, 'x', sizeof(small));
	cli_printable("\x01\x02\x03", 3, small, sizeof(small));
	EXPECT_STREQ("\\x01", small);
}

TEST(listen_any_port_then_connect)
{
	int lfd = cli_listen("cli_test", "127.0.0.1", "0", 0);
	ASSERT_GE(lfd, 0);
	unsigned port = cli_bound_port(lfd);
	ASSERT_NE(0, port);
	EXPECT_EQ(0, fcntl(lfd, F_GETFL) & O_NONBLOCK);
	char ps[16];
	snprintf(ps, sizeof(ps), "%u", port);
	int fd = cli_connect("cli_test", "127.0.0.1", ps, 5000);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, fcntl(fd, F_GETFL) & O_NONBLOCK); /* handed back blocking */
	int afd = accept(lfd, NULL, NULL);
	ASSERT_GE(afd, 0);
	EXPECT_EQ(2, write(fd, "hi", 2));
	char got[2];
	EXPECT_EQ(2, read(afd, got, 2));
	close(afd);
	close(fd);
	close(lfd);
}

TEST(listen_every_address_nonblocking_reuseport)
{
	int a = cli_listen("cli_test", NULL, "0", CLI_LISTEN_NONBLOCK | CLI_LISTEN_REUSEPORT);
	ASSERT_GE(a, 0);
	EXPECT_NE(0, fcntl(a, F_GETFL) & O_NONBLOCK);
	char ps[16];
	snprintf(ps, sizeof(ps), "%u", cli_bound_port(a));
	/* a second worker's socket on the same port, as ktls-server --workers makes */
	int b = cli_listen("cli_test", NULL, ps, CLI_LISTEN_NONBLOCK | CLI_LISTEN_REUSEPORT);
	EXPECT_GE(b, 0);
	/* reachable over IPv4 whether the socket is dual-stack or IPv4 only */
	int fd = cli_connect("cli_test", "127.0.0.1", ps, 5000);
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close(fd);
	if (b >= 0)
		close(b);
	close(a);
}

TEST(connect_to_nothing)
{
	int lfd = cli_listen("cli_test", "127.0.0.1", "0", 0);
	ASSERT_GE(lfd, 0);
	char ps[16];
	snprintf(ps, sizeof(ps), "%u", cli_bound_port(lfd));
	close(lfd); /* free again: nothing listens there now */
	EXPECT_EQ(-1, cli_connect("cli_test", "127.0.0.1", ps, 5000));
	EXPECT_EQ(-1, cli_connect("cli_test", "no-such-host.invalid", ps, 5000));
}

TEST(cert_key_pairs)
{
	struct cli_tls_opts o = { 0 };
	EXPECT_TRUE(cli_opt_cert("cli_test", &o, 'c', "a.pem", 2));
	EXPECT_TRUE(cli_opt_cert("cli_test", &o, 'K', "a.key", 2));
	EXPECT_TRUE(cli_opt_cert("cli_test", &o, 'c', "b.pem", 2));
	EXPECT_FALSE(cli_opt_cert("cli_test", &o, 'c', "c.pem", 2)); /* one too many */
	EXPECT_EQ(2, o.n_cert);
	EXPECT_EQ(1, o.n_key);
	EXPECT_STREQ("b.pem", o.cert[1]);
}

TEST(configure_applies_and_refuses)
{
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_SERVER);
	ASSERT_NONNULL(cfg);
	struct cli_tls_opts o = { .n_cert = 1, .n_key = 1 };
	o.cert[0] = test_cert("server-ecdsa.pem");
	o.key[0] = test_cert("server-ecdsa.key");
	o.groups = "x25519";
	o.ciphers = "TLS_AES_128_GCM_SHA256";
	EXPECT_TRUE(cli_configure("cli_test", cfg, &o));
	ktls_config_free(cfg);

	static const char *const bad_groups[] = { "x25519:no-such-group", "" };
	for (size_t i = 0; i < sizeof(bad_groups) / sizeof(bad_groups[0]); i++) {
		cfg = ktls_config_new(KTLS_ROLE_SERVER);
		ASSERT_NONNULL(cfg);
		o.groups = bad_groups[i];
		EXPECT_FALSE(cli_configure("cli_test", cfg, &o));
		ktls_config_free(cfg);
	}
	o.groups = NULL;
	cfg = ktls_config_new(KTLS_ROLE_SERVER);
	ASSERT_NONNULL(cfg);
	o.key[0] = test_cert("server-rsa.key"); /* does not match the certificate */
	EXPECT_FALSE(cli_configure("cli_test", cfg, &o));
	ktls_config_free(cfg);
}

/* --key-update WHEN: a time or a byte count, always with its unit (issue 16). */
TEST(key_update_policy_syntax)
{
	struct cli_key_update ku;
	ASSERT_TRUE(cli_parse_key_update("30s", &ku));
	EXPECT_EQ(30, ku.seconds);
	EXPECT_EQ(0, ku.bytes);
	ASSERT_TRUE(cli_parse_key_update("5m", &ku));
	EXPECT_EQ(300, ku.seconds);
	ASSERT_TRUE(cli_parse_key_update("2h", &ku));
	EXPECT_EQ(7200, ku.seconds);
	ASSERT_TRUE(cli_parse_key_update("1G", &ku));
	EXPECT_EQ(1ull << 30, ku.bytes);
	EXPECT_EQ(0, ku.seconds);
	ASSERT_TRUE(cli_parse_key_update("512K", &ku));
	EXPECT_EQ(512ull << 10, ku.bytes);
	ASSERT_TRUE(cli_parse_key_update("64M", &ku));
	EXPECT_EQ(64ull << 20, ku.bytes);
	ASSERT_TRUE(cli_parse_key_update("65536B", &ku));
	EXPECT_EQ(65536, ku.bytes);
	const char *bad[] = { "", "30", "0s", "-1s", "+1s", " 1s", "1.5G", "1GB", "1g", "1 s",
			      "9999999999G", "99999999999999999999B", "600000000h", NULL };
	for (int i = 0; bad[i]; i++)
		EXPECT_FALSE(cli_parse_key_update(bad[i], &ku));
}

TEST_HARNESS_MAIN
