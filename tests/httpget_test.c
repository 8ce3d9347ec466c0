/*
 * httpget_test.c — tools/httpget (get.h) against a tools/httpd server in this process: one
 * download to a file (body byte for byte, SHA-256 checked, a wrong one refused, a missing
 * file an error), HEAD, and the load generator (many requests over several keep-alive
 * connections, every body's SHA-256 checked; a wrong digest counts as errors; nothing
 * listening is a network error). get_parse_sha256 on good and bad input. The command line
 * around it is get_tools_test.sh's.
 */
#include "harness.h"

#include "httpd_fixture.h"
#include "httpget/get.h"

#include <fcntl.h>
#include <openssl/evp.h>

/* The SHA-256 of the fixture's big.bin (300000 pattern bytes). */
static void big_sha(uint8_t out[32])
{
	static char data[300000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	unsigned n = 0;
	EVP_Digest(data, sizeof(data), out, &n, EVP_sha256(), NULL);
}

FIXTURE(get)
{
	struct test_httpd t;
	struct ktls_config *cfg;
	char port[16];
	char out_file[96];
	struct get_opts o;
};

FIXTURE_SETUP(get)
{
	ASSERT_EQ(0, test_httpd_new(&self->t, 1));
	ASSERT_EQ(0, test_httpd_start(&self->t));
	self->cfg = ktls_config_new(KTLS_ROLE_CLIENT);
	ASSERT_NONNULL(self->cfg);
	ASSERT_EQ(0, ktls_config_set_ca(self->cfg, test_cert("ca.pem"), NULL));
	ASSERT_EQ(0, ktls_config_set_server_name(self->cfg, "localhost"));
	snprintf(self->port, sizeof(self->port), "%u", httpd_port(self->t.h));
	snprintf(self->out_file, sizeof(self->out_file), "%s/out.bin", self->t.root);
	self->o = (struct get_opts){ .host = "127.0.0.1", .port = self->port,
				     .host_header = "localhost", .path = "/big.bin",
				     .out_file = self->out_file, .timeout = 20 };
}

FIXTURE_TEARDOWN(get)
{
	test_httpd_free(&self->t);
	ktls_config_free(self->cfg);
}

/* The bytes of path, up to cap; their number, or -1. */
static long slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return (long)n;
}

TEST_F(get, one_download_to_a_file)
{
	static char got[400000];
	big_sha(self->o.expect_sha);
	self->o.have_sha = true;
	ASSERT_EQ(EXIT_OK, get_one("# httpget_test", self->cfg, &self->o));
	ASSERT_EQ(300000, slurp(self->out_file, got, sizeof(got)));
	for (size_t i = 0; i < 300000; i += 4999)
		ASSERT_EQ('a' + (int)(i % 26), got[i]);
	self->o.expect_sha[0] ^= 1;
	EXPECT_EQ(EXIT_TLS, get_one("# httpget_test", self->cfg, &self->o));
}

TEST_F(get, head_and_missing_file)
{
	static char got[64];
	static char head[1024];
	char head_file[96];
	snprintf(head_file, sizeof(head_file), "%s/head.txt", self->t.root);
	self->o.head = true;
	self->o.path = "/hello.txt";
	/* the response head goes to stdout: catch it in a file */
	fflush(stdout);
	int saved = dup(STDOUT_FILENO), fd = open(head_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_GE(fd, 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	int rc = get_one("# httpget_test", self->cfg, &self->o);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	EXPECT_EQ(EXIT_OK, rc);
	ASSERT_GT(slurp(head_file, head, sizeof(head) - 1), 0);
	EXPECT_EQ(0, strncmp(head, "HTTP/1.1 200 OK\r\n", 17));
	EXPECT_NONNULL(strstr(head, "Content-Length: 5\r\n"));
	EXPECT_EQ(-1, slurp(self->out_file, got, sizeof(got))); /* HEAD writes no body */
	self->o.head = false;
	self->o.path = "/none";
	EXPECT_NE(EXIT_OK, get_one("# httpget_test", self->cfg, &self->o));
}

TEST_F(get, load_checks_every_body)
{
	big_sha(self->o.expect_sha);
	self->o.have_sha = true;
	self->o.out_file = NULL;
	self->o.concurrency = 3;
	self->o.requests = 12;
	EXPECT_EQ(EXIT_OK, get_load("# httpget_test", self->cfg, &self->o));
	self->o.expect_sha[31] ^= 0x80;
	self->o.requests = 3;
	EXPECT_EQ(EXIT_TLS, get_load("# httpget_test", self->cfg, &self->o));
}

TEST_F(get, nothing_listening)
{
	/* a port that was free a moment ago */
	int fd = cli_listen("httpget_test", "127.0.0.1", "0", 0);
	ASSERT_GE(fd, 0);
	char port[16];
	snprintf(port, sizeof(port), "%u", cli_bound_port(fd));
	close(fd);
	self->o.port = port;
	self->o.timeout = 5;
	EXPECT_EQ(EXIT_NETWORK, get_one("# httpget_test", self->cfg, &self->o));
	self->o.concurrency = 2;
	self->o.requests = 2;
	EXPECT_NE(EXIT_OK, get_load("# httpget_test", self->cfg, &self->o));
}

TEST(parse_sha256)
{
	uint8_t d[32];
	ASSERT_TRUE(get_parse_sha256("000102030405060708090a0b0c0d0e0f"
				     "101112131415161718191A1B1C1D1E1F", d));
	for (int i = 0; i < 32; i++)
		EXPECT_EQ(i, d[i]);
	EXPECT_FALSE(get_parse_sha256("00", d));
	EXPECT_FALSE(get_parse_sha256("000102030405060708090a0b0c0d0e0f"
				      "101112131415161718191a1b1c1d1e1g", d));
	EXPECT_FALSE(get_parse_sha256("000102030405060708090a0b0c0d0e0f"
				      "101112131415161718191a1b1c1d1e1f00", d));
}

TEST_HARNESS_MAIN
