/*
 * handshake_test.c — our client against our server, in one process over a socketpair, both
 * sockets non-blocking: the state machines are driven step by step exactly as an epoll loop
 * would drive them (KTLS_WANT_READ / KTLS_WANT_WRITE), across every suite × group × server
 * key type. Then mutual TLS, HelloRetryRequest, ALPN, the middlebox ChangeCipherSpec rule
 * (RFC 8446 §5, §D.4), application data both ways across record boundaries, close_notify.
 * Interop with OpenSSL and GnuTLS lives in interop_test.c.
 */
#include "harness.h"

#include "ktls.h"
#include "support/pair.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Our server's certificate: build/certs/<name>.pem and .key. */
static int server_cert(struct ktls_config *cfg, const char *name)
{
	char pem[64], key[64];
	snprintf(pem, sizeof(pem), "%s.pem", name);
	snprintf(key, sizeof(key), "%s.key", name);
	return ktls_config_set_cert(cfg, test_cert(pem), test_cert(key));
}

FIXTURE(matrix)
{
	struct session_pair p;
};

FIXTURE_VARIANT(matrix)
{
	const char *suite;
	uint16_t suite_id;
	const char *group;
	uint16_t group_id;
	const char *key;
	uint16_t scheme;
};

#define MATRIX(sname, sid, gname, gid, kname, sch) \
	FIXTURE_VARIANT_ADD(matrix, sname##_##gname##_##kname) { \
		.suite = #sname, .suite_id = sid, .group = #gname, .group_id = gid, \
		.key = "server-" #kname, .scheme = sch };
#define MATRIX_KEYS(sname, sid, gname, gid) \
	MATRIX(sname, sid, gname, gid, rsa, 0x0804) \
	MATRIX(sname, sid, gname, gid, ecdsa, 0x0403) \
	MATRIX(sname, sid, gname, gid, ed25519, 0x0807)
#define MATRIX_GROUPS(sname, sid) \
	MATRIX_KEYS(sname, sid, x25519, KTLS_GROUP_X25519) \
	MATRIX_KEYS(sname, sid, secp256r1, KTLS_GROUP_SECP256R1)
MATRIX_GROUPS(chacha20, KTLS_TLS_CHACHA20_POLY1305_SHA256)
MATRIX_GROUPS(aes128, KTLS_TLS_AES_128_GCM_SHA256)
MATRIX_GROUPS(aes256, KTLS_TLS_AES_256_GCM_SHA384)
/* the CCM suites (off by default: both sides are configured with the variant's suite) */
MATRIX_KEYS(aes128ccm, KTLS_TLS_AES_128_CCM_SHA256, x25519, KTLS_GROUP_X25519)
MATRIX_KEYS(aes128ccm8, KTLS_TLS_AES_128_CCM_8_SHA256, x25519, KTLS_GROUP_X25519)
MATRIX(aes128ccm8, KTLS_TLS_AES_128_CCM_8_SHA256, ffdhe2048, KTLS_GROUP_FFDHE2048, ecdsa, 0x0403)
/* the other groups, with one suite and key each: the group is all that differs */
MATRIX(chacha20, KTLS_TLS_CHACHA20_POLY1305_SHA256, x448, KTLS_GROUP_X448, ecdsa, 0x0403)
MATRIX(chacha20, KTLS_TLS_CHACHA20_POLY1305_SHA256, secp384r1, KTLS_GROUP_SECP384R1, ecdsa, 0x0403)
MATRIX(aes256, KTLS_TLS_AES_256_GCM_SHA384, secp521r1, KTLS_GROUP_SECP521R1, rsa, 0x0804)
MATRIX(aes128, KTLS_TLS_AES_128_GCM_SHA256, ffdhe2048, KTLS_GROUP_FFDHE2048, ed25519, 0x0807)
MATRIX(aes128, KTLS_TLS_AES_128_GCM_SHA256, ffdhe3072, KTLS_GROUP_FFDHE3072, ecdsa, 0x0403)
MATRIX(chacha20, KTLS_TLS_CHACHA20_POLY1305_SHA256, ffdhe4096, KTLS_GROUP_FFDHE4096, ecdsa, 0x0403)
MATRIX(chacha20, KTLS_TLS_CHACHA20_POLY1305_SHA256, ffdhe6144, KTLS_GROUP_FFDHE6144, ecdsa, 0x0403)
MATRIX(aes256, KTLS_TLS_AES_256_GCM_SHA384, ffdhe8192, KTLS_GROUP_FFDHE8192, ecdsa, 0x0403)

FIXTURE_SETUP(matrix)
{
	ASSERT_EQ(0, pair_open(&self->p, false));
	ASSERT_EQ(0, server_cert(self->p.scfg, variant->key));
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.ccfg, variant->suite));
	ASSERT_EQ(0, ktls_config_set_groups(self->p.ccfg, variant->group));
	/* the server takes every group (ffdhe4096 and up are not in its defaults) and suite */
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.scfg, variant->suite));
	ASSERT_EQ(0, ktls_config_set_groups(self->p.scfg, variant->group));
}

FIXTURE_TEARDOWN(matrix)
{
	pair_close(&self->p);
}

TEST_F(matrix, handshake_data_and_close)
{
	struct ktls_session_info ci, si;
	static uint8_t data[100000], got[100000];
	const size_t sizes[] = { 1, 16383, 16384, 16385, sizeof(data) };

	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	EXPECT_GT(self->p.want_reads, 0); /* the non-blocking path was exercised */
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
	EXPECT_EQ(0x0304, ci.version);
	EXPECT_EQ(variant->suite_id, ci.cipher_suite);
	EXPECT_EQ(variant->suite_id, si.cipher_suite);
	EXPECT_EQ(variant->group_id, ci.group);
	EXPECT_EQ(variant->group_id, si.group);
	EXPECT_EQ(variant->scheme, ci.signature_scheme);
	EXPECT_EQ(0, ci.hello_retry);
	EXPECT_STREQ("CN=localhost", ci.peer_subject);
	EXPECT_STREQ("localhost", si.server_name);

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ASSERT_TRUE(pair_transfer(self->p.c, self->p.s, data, sizes[i], got));
		ASSERT_TRUE(pair_transfer(self->p.s, self->p.c, data, sizes[i], got));
	}
	/* close_notify both ways: each side then reads end of stream */
	ASSERT_EQ(0, ktls_close(self->p.c));
	ASSERT_EQ(0, ktls_recv(self->p.s, got, sizeof(got)));
	ASSERT_EQ(0, ktls_close(self->p.s));
	ASSERT_EQ(0, ktls_recv(self->p.c, got, sizeof(got)));
}

/* For the cases of a table after the first: a fresh pair in place of the last. 0 or -1. */
static int pair_fresh(struct session_pair *p, size_t i)
{
	if (!i)
		return 0;
	pair_close(p);
	return pair_open(p, false);
}

FIXTURE(pair)
{
	struct session_pair p;
};

FIXTURE_SETUP(pair)
{
	ASSERT_EQ(0, pair_open(&self->p, false));
}

FIXTURE_TEARDOWN(pair)
{
	pair_close(&self->p);
}

TEST_F(pair, mutual_tls)
{
	struct ktls_session_info si;
	ASSERT_EQ(0, ktls_config_set_client_auth(self->p.scfg, KTLS_CLIENT_AUTH_REQUIRED));
	ASSERT_EQ(0, ktls_config_set_ca(self->p.scfg, test_cert("ca.pem"), NULL));
	ASSERT_EQ(0, ktls_config_set_cert(self->p.ccfg, test_cert("client.pem"),
					  test_cert("client.key")));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
	EXPECT_STREQ("CN=ktls-test-client", si.peer_subject);
}

TEST_F(pair, optional_client_cert_absent)
{
	struct ktls_session_info si;
	ASSERT_EQ(0, ktls_config_set_client_auth(self->p.scfg, KTLS_CLIENT_AUTH_OPTIONAL));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
	EXPECT_NULL(si.peer_subject);
}

TEST_F(pair, required_client_cert_absent)
{
	struct ktls_session_info ci, si;
	ASSERT_EQ(0, ktls_config_set_client_auth(self->p.scfg, KTLS_CLIENT_AUTH_REQUIRED));
	pair_handshake(&self->p);
	ASSERT_EQ(KTLS_ECERTREQUIRED, self->p.src);
	ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
	EXPECT_EQ(116, si.alert_sent); /* certificate_required */
	/* the client finished its side first; it learns of the alert on its next read */
	uint8_t buf[16];
	long n = self->p.crc ? self->p.crc : ktls_recv(self->p.c, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EALERT, n);
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_EQ(116, ci.alert_received);
	EXPECT_STREQ("peer sent alert: certificate_required", ktls_session_error(self->p.c));
}

/* A server without the group of the client's one share asks, by HelloRetryRequest, for the
 * first of its own list the client supports — not the client's second choice. */
TEST_F(pair, hello_retry_request)
{
	static const struct {
		const char *client, *server;
		uint16_t group;
	} cases[] = {
		{ "x25519,secp256r1", "secp256r1", KTLS_GROUP_SECP256R1 },
		{ "x25519,secp256r1,x448", "x448,secp256r1", KTLS_GROUP_X448 },
		{ "secp256r1,ffdhe2048", "ffdhe2048", KTLS_GROUP_FFDHE2048 },
		{ "x25519,secp521r1,p384", "P-384,secp521r1", KTLS_GROUP_SECP384R1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ktls_session_info ci, si;
		uint8_t got[5];
		ASSERT_EQ(0, pair_fresh(&self->p, i));
		ASSERT_EQ(0, ktls_config_set_groups(self->p.ccfg, cases[i].client));
		ASSERT_EQ(0, ktls_config_set_groups(self->p.scfg, cases[i].server));
		pair_handshake(&self->p);
		ASSERT_EQ(0, self->p.crc);
		ASSERT_EQ(0, self->p.src);
		ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
		ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
		EXPECT_EQ(1, ci.hello_retry);
		EXPECT_EQ(1, si.hello_retry);
		EXPECT_EQ(cases[i].group, ci.group);
		EXPECT_EQ(cases[i].group, si.group);
		ASSERT_TRUE(pair_transfer(self->p.c, self->p.s, (const uint8_t *)"after", 5, got));
	}
}

/* Every group by its IANA name and the usual aliases; all ten fit in one list; unknown
 * names and duplicates are refused with a sentence. */
TEST(group_names)
{
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_SERVER);
	ASSERT_NONNULL(cfg);
	EXPECT_EQ(0, ktls_config_set_groups(cfg, "x25519,secp256r1,x448,secp384r1,secp521r1,"
						 "ffdhe2048,ffdhe3072,ffdhe4096,ffdhe6144,ffdhe8192"));
	EXPECT_EQ(0, ktls_config_set_groups(cfg, "X448:P-384:p521:FFDHE8192:prime256v1"));
	EXPECT_EQ(KTLS_EUNSUPPORTED, ktls_config_set_groups(cfg, "x25519,ffdhe1024"));
	EXPECT_NONNULL(strstr(ktls_config_error(cfg), "ffdhe1024"));
	EXPECT_NONNULL(strstr(ktls_config_error(cfg), "ffdhe8192"));
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_groups(cfg, "p384,secp384r1"));
	EXPECT_NONNULL(strstr(ktls_config_error(cfg), "twice"));
	ktls_config_free(cfg);
}

TEST_F(pair, no_common_group)
{
	ASSERT_EQ(0, ktls_config_set_groups(self->p.ccfg, "x25519"));
	ASSERT_EQ(0, ktls_config_set_groups(self->p.scfg, "secp256r1"));
	pair_handshake(&self->p);
	EXPECT_EQ(KTLS_EHANDSHAKE, self->p.src);
	EXPECT_EQ(KTLS_EALERT, self->p.crc);
	EXPECT_STREQ("peer sent alert: handshake_failure", ktls_session_error(self->p.c));
}

TEST_F(pair, no_common_suite)
{
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.ccfg, "aes256"));
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.scfg, "chacha20,aes128"));
	pair_handshake(&self->p);
	EXPECT_EQ(KTLS_EHANDSHAKE, self->p.src);
	EXPECT_EQ(KTLS_EALERT, self->p.crc);
}

TEST_F(pair, alpn)
{
	struct ktls_session_info ci, si;
	ASSERT_EQ(0, ktls_config_set_alpn(self->p.ccfg, "h2,http/1.1"));
	ASSERT_EQ(0, ktls_config_set_alpn(self->p.scfg, "http/1.1,h2"));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
	EXPECT_STREQ("http/1.1", ci.alpn); /* the server's preference wins */
	EXPECT_STREQ("http/1.1", si.alpn);
}

TEST_F(pair, alpn_mismatch)
{
	struct ktls_session_info si;
	ASSERT_EQ(0, ktls_config_set_alpn(self->p.ccfg, "http/1.1"));
	ASSERT_EQ(0, ktls_config_set_alpn(self->p.scfg, "h2"));
	pair_handshake(&self->p);
	EXPECT_EQ(KTLS_ENOALPN, self->p.src);
	ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
	EXPECT_EQ(120, si.alert_sent);
	EXPECT_EQ(KTLS_EALERT, self->p.crc);
}

TEST_F(pair, wrong_host_is_bad_certificate)
{
	struct ktls_session_info ci;
	ASSERT_EQ(0, ktls_config_set_server_name(self->p.ccfg, "example.org"));
	pair_handshake(&self->p);
	EXPECT_EQ(KTLS_EBADCERT, self->p.crc);
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_EQ(42, ci.alert_sent);
	EXPECT_NONNULL(strstr(ktls_session_error(self->p.c), "example.org"));
	EXPECT_EQ(KTLS_EALERT, self->p.src);
}

TEST_F(pair, insecure_skips_verification)
{
	ASSERT_EQ(0, ktls_config_set_server_name(self->p.ccfg, "example.org"));
	ASSERT_EQ(0, ktls_config_set_insecure(self->p.ccfg, 1));
	pair_handshake(&self->p);
	EXPECT_EQ(0, self->p.crc);
	EXPECT_EQ(0, self->p.src);
}

/* §5 / §D.4: a ChangeCipherSpec record of one 0x01 byte between ClientHello and the peer's
 * Finished is dropped; any other value, or one after the handshake, is unexpected_message. */
static void inject(int fd, const uint8_t *rec, size_t len)
{
	if (write(fd, rec, len) != (ssize_t)len)
		abort();
}

TEST_F(pair, middlebox_change_cipher_spec_is_ignored)
{
	static const uint8_t ccs[] = { 20, 3, 3, 0, 1, 1 };
	/* neither side sends its own (a second one would be unexpected_message: hostile_test):
	 * the injected ones are the only ones */
	ASSERT_EQ(0, ktls_config_set_middlebox_compat(self->p.ccfg, 0));
	self->p.c = ktls_session_new(self->p.ccfg, self->p.cfd);
	self->p.s = ktls_session_new(self->p.scfg, self->p.sfd);
	ASSERT_EQ(KTLS_WANT_READ, ktls_session_handshake(self->p.c)); /* ClientHello sent */
	inject(self->p.sfd, ccs, sizeof(ccs)); /* as if the server sent it first */
	inject(self->p.cfd, ccs, sizeof(ccs)); /* and the client before its hello reached it */
	pair_handshake(&self->p);
	EXPECT_EQ(0, self->p.crc);
	EXPECT_EQ(0, self->p.src);
}

TEST_F(pair, bad_change_cipher_spec_is_unexpected)
{
	static const uint8_t ccs[] = { 20, 3, 3, 0, 1, 2 };
	struct ktls_session_info ci;
	self->p.c = ktls_session_new(self->p.ccfg, self->p.cfd);
	self->p.s = ktls_session_new(self->p.scfg, self->p.sfd);
	ASSERT_EQ(KTLS_WANT_READ, ktls_session_handshake(self->p.c));
	inject(self->p.sfd, ccs, sizeof(ccs));
	ASSERT_EQ(KTLS_EUNEXPECTED, ktls_session_handshake(self->p.c));
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_EQ(10, ci.alert_sent); /* unexpected_message */
}

TEST_F(pair, change_cipher_spec_after_handshake_is_unexpected)
{
	static const uint8_t ccs[] = { 20, 3, 3, 0, 1, 1 };
	uint8_t buf[8];
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	inject(self->p.sfd, ccs, sizeof(ccs));
	EXPECT_EQ(KTLS_EUNEXPECTED, ktls_recv(self->p.c, buf, sizeof(buf)));
}

TEST_F(pair, peer_closing_mid_handshake)
{
	self->p.c = ktls_session_new(self->p.ccfg, self->p.cfd);
	ASSERT_EQ(KTLS_WANT_READ, ktls_session_handshake(self->p.c));
	shutdown(self->p.sfd, SHUT_WR); /* a clean TCP-style end of stream */
	EXPECT_EQ(KTLS_ECLOSED, ktls_session_handshake(self->p.c));
	EXPECT_STREQ("peer closed the connection during the handshake", ktls_session_error(self->p.c));
}

TEST_F(pair, peer_resetting_mid_handshake)
{
	self->p.c = ktls_session_new(self->p.ccfg, self->p.cfd);
	ASSERT_EQ(KTLS_WANT_READ, ktls_session_handshake(self->p.c));
	close(self->p.sfd); /* with our ClientHello unread: the connection is reset */
	self->p.sfd = -1;
	EXPECT_EQ(KTLS_EIO, ktls_session_handshake(self->p.c));
	EXPECT_STREQ("recv: Connection reset by peer", ktls_session_error(self->p.c));
}

TEST_F(pair, plaintext_client_hello_to_a_client_is_unexpected)
{
	/* a server that answers with a ClientHello: wrong message for the state */
	struct session_pair q;
	ASSERT_EQ(0, pair_open(&q, false));
	q.c = ktls_session_new(q.ccfg, q.cfd);
	struct ktls_session *other = ktls_session_new(q.ccfg, q.sfd); /* a second client */
	ASSERT_EQ(KTLS_WANT_READ, ktls_session_handshake(q.c));
	/* the second client sends its ClientHello, then reads the first one's */
	EXPECT_EQ(KTLS_EUNEXPECTED, ktls_session_handshake(other));
	EXPECT_EQ(KTLS_EUNEXPECTED, ktls_session_handshake(q.c));
	EXPECT_STREQ("unexpected client_hello message", ktls_session_error(q.c));
	ktls_session_free(other);
	pair_close(&q);
}

/* A non-blocking sender whose peer is not reading: ktls_send takes what the socket can
 * hold plus at most one record, then says KTLS_WANT_WRITE — it never swallows a whole large
 * buffer into memory. Then everything arrives, in order. The same for ktls_sendfile over
 * the userspace record layer, which resumes from the file offset it reports. */
TEST_F(pair, nonblocking_send_is_bounded)
{
	const size_t size = 4u << 20;
	uint8_t *data = malloc(size), *got = malloc(size);
	ASSERT_NONNULL(data);
	ASSERT_NONNULL(got);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 7);
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);

	size_t sent = 0;
	long n;
	while ((n = ktls_send(self->p.c, data + sent, size - sent)) > 0)
		sent += (size_t)n;
	ASSERT_EQ(KTLS_WANT_WRITE, n);
	TH_LOG("taken before the socket filled: %zu bytes", sent);
	EXPECT_LT(sent, (size_t)(2u << 20)); /* the socket buffer and a record, not 4 MiB */
	size_t recvd = 0;
	while (recvd < size) {
		n = ktls_recv(self->p.s, got + recvd, size - recvd);
		if (n > 0)
			recvd += (size_t)n;
		else
			ASSERT_EQ(KTLS_WANT_READ, n);
		if (sent < size) {
			n = ktls_send(self->p.c, data + sent, size - sent);
			if (n > 0)
				sent += (size_t)n;
			else
				ASSERT_EQ(KTLS_WANT_WRITE, n);
		} else {
			/* everything taken; the last record may still wait in the session */
			int f = ktls_session_flush(self->p.c);
			ASSERT_TRUE(f == 0 || f == KTLS_WANT_WRITE);
		}
	}
	ASSERT_MEMEQ(data, got, size);
	ASSERT_EQ(0, ktls_session_flush(self->p.c));

	/* ktls_sendfile over the userspace record layer: partial, then resumed */
	char path[] = "/tmp/ktls-sf-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	unlink(path);
	ASSERT_EQ((ssize_t)size, write(fd, data, size));
	long long off = 0;
	recvd = 0;
	int partial = 0;
	while (recvd < size) {
		if ((size_t)off >= size) {
			int f = ktls_session_flush(self->p.s);
			ASSERT_TRUE(f == 0 || f == KTLS_WANT_WRITE);
		} else {
			long long before = off;
			n = ktls_sendfile(self->p.s, fd, &off, size - (size_t)off);
			ASSERT_TRUE(n >= 0 || n == KTLS_WANT_WRITE);
			ASSERT_EQ(before + (n > 0 ? n : 0), off);
			partial += n >= 0 && (size_t)off < size;
		}
		n = ktls_recv(self->p.c, got + recvd, size - recvd);
		if (n > 0)
			recvd += (size_t)n;
		else
			ASSERT_EQ(KTLS_WANT_READ, n);
	}
	EXPECT_GT(partial, 0);
	ASSERT_MEMEQ(data, got, size);
	close(fd);
	free(data);
	free(got);
}

/* ---- limits against hostile peers (ktls_limits) --------------------------------------- */

static void set_limit_timeout(struct ktls_config *cfg, unsigned ms)
{
	struct ktls_limits l;
	ktls_limits_default(&l);
	l.handshake_timeout_ms = ms;
	if (ktls_config_set_limits(cfg, &l))
		abort();
}

/* A peer that connects and says nothing (slow loris): on a blocking socket,
 * ktls_handshake gives up at the deadline instead of waiting forever. */
TEST_F(pair, silent_peer_times_out_blocking)
{
	struct ktls_session *s;
	set_limit_timeout(self->p.scfg, 300);
	fcntl(self->p.sfd, F_SETFL, 0); /* blocking */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(KTLS_ETIMEOUT, ktls_handshake(self->p.sfd, self->p.scfg, &s));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	EXPECT_GE(ms, 250);
	EXPECT_LT(ms, 3000);
	EXPECT_NONNULL(strstr(ktls_session_error(s), "within 300 ms"));
	ktls_session_free(s);
}

/* A peer that sends half a record and stops, on a non-blocking socket stepped by a loop. */
TEST_F(pair, stalled_peer_times_out_nonblocking)
{
	static const uint8_t half[] = { 22, 3, 1, 0, 200, 1, 0, 0 };
	set_limit_timeout(self->p.scfg, 200);
	self->p.s = ktls_session_new(self->p.scfg, self->p.sfd);
	ASSERT_EQ((ssize_t)sizeof(half), write(self->p.cfd, half, sizeof(half)));
	EXPECT_EQ(KTLS_WANT_READ, ktls_session_handshake(self->p.s));
	usleep(250000);
	EXPECT_EQ(KTLS_ETIMEOUT, ktls_session_handshake(self->p.s));
}

TEST_F(pair, handshake_message_over_the_limit)
{
	struct ktls_limits l;
	struct ktls_session_info ci;
	ktls_limits_default(&l);
	l.max_handshake_message = 256; /* the server's Certificate is bigger */
	ASSERT_EQ(0, ktls_config_set_limits(self->p.ccfg, &l));
	pair_handshake(&self->p);
	EXPECT_EQ(KTLS_EDECODE, self->p.crc);
	EXPECT_NONNULL(strstr(ktls_session_error(self->p.c), "over the limit"));
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_EQ(50, ci.alert_sent); /* decode_error */
}

TEST_F(pair, certificate_chain_over_the_limits)
{
	struct ktls_limits l;
	char chain[] = "/tmp/ktls-chain-XXXXXX";
	int fd = mkstemp(chain);
	ASSERT_TRUE(fd >= 0);
	/* leaf + CA: a chain of two */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cat %s %s > %s", test_cert("server-ecdsa.pem"),
		 test_cert("ca.pem"), chain);
	ASSERT_EQ(0, system(cmd));
	close(fd);
	ASSERT_EQ(0, ktls_config_set_cert(self->p.scfg, chain, test_cert("server-ecdsa.key")));
	unlink(chain);
	ktls_limits_default(&l);
	l.max_chain_length = 1;
	ASSERT_EQ(0, ktls_config_set_limits(self->p.ccfg, &l));
	pair_handshake(&self->p);
	EXPECT_EQ(KTLS_EBADCERT, self->p.crc);
	EXPECT_NONNULL(strstr(ktls_session_error(self->p.c), "2 certificates exceeds the limit of 1"));

	/* and by size */
	pair_close(&self->p);
	ASSERT_EQ(0, pair_open(&self->p, false));
	ktls_limits_default(&l);
	l.max_chain_bytes = 100;
	ASSERT_EQ(0, ktls_config_set_limits(self->p.ccfg, &l));
	pair_handshake(&self->p);
	EXPECT_EQ(KTLS_EBADCERT, self->p.crc);
	EXPECT_NONNULL(strstr(ktls_session_error(self->p.c), "exceeds the limit of 100"));
}

TEST_F(pair, extensions_over_the_limit)
{
	struct ktls_limits l;
	struct ktls_session_info si;
	ktls_limits_default(&l);
	l.max_extensions = 4; /* our ClientHello carries 7 */
	ASSERT_EQ(0, ktls_config_set_limits(self->p.scfg, &l));
	pair_handshake(&self->p);
	EXPECT_EQ(KTLS_EDECODE, self->p.src);
	EXPECT_NONNULL(strstr(ktls_session_error(self->p.s), "over the limit of 4"));
	ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
	EXPECT_EQ(50, si.alert_sent);
}

TEST(limits_are_validated)
{
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_SERVER);
	struct ktls_limits l;
	ASSERT_NONNULL(cfg);
	ktls_limits_default(&l);
	/* the largest ClientHello RFC 8446 §4.1.2's syntax allows */
	EXPECT_EQ(131396u, l.max_handshake_message);
	EXPECT_EQ(10000u, l.handshake_timeout_ms);
	l.max_chain_length = 17;
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_limits(cfg, &l));
	ktls_limits_default(&l);
	/* all an extensions block of 2^16-1 bytes can hold: none refused for their number */
	EXPECT_EQ(16383u, l.max_extensions);
	l.max_extensions = 16384;
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_limits(cfg, &l));
	ktls_limits_default(&l);
	EXPECT_EQ(131396u, l.max_client_hello);
	l.max_client_hello = 0;
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_limits(cfg, &l));
	l.max_client_hello = 131397;
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_limits(cfg, &l));
	ktls_limits_default(&l);
	l.max_handshake_message = 0;
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_limits(cfg, &l));
	l.max_handshake_message = 2u << 20;
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_limits(cfg, &l));
	EXPECT_NONNULL(strstr(ktls_config_error(cfg), "max_handshake_message"));
	ktls_config_free(cfg);
}

TEST_F(pair, exporter_rules)
{
	uint8_t a[32], b[32], c2[32];
	char long_label[251];
	memset(long_label, 'x', 250);
	long_label[250] = 0;
	self->p.c = ktls_session_new(self->p.ccfg, self->p.cfd);
	EXPECT_EQ(KTLS_EINVAL, ktls_export_keying_material(self->p.c, "l", NULL, 0, a, 32));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, ktls_export_keying_material(self->p.c, "label", NULL, 0, a, 32));
	ASSERT_EQ(0, ktls_export_keying_material(self->p.s, "label", NULL, 0, b, 32));
	ASSERT_MEMEQ(a, b, 32);
	/* §7.5: no context and an empty context are the same in TLS 1.3 */
	ASSERT_EQ(0, ktls_export_keying_material(self->p.s, "label", (const uint8_t *)"", 0, b, 32));
	ASSERT_MEMEQ(a, b, 32);
	ASSERT_EQ(0, ktls_export_keying_material(self->p.s, "label", (const uint8_t *)"c", 1, c2, 32));
	EXPECT_NE(0, memcmp(a, c2, 32));
	ASSERT_EQ(0, ktls_export_keying_material(self->p.s, "other", NULL, 0, c2, 32));
	EXPECT_NE(0, memcmp(a, c2, 32));
	EXPECT_EQ(KTLS_EINVAL, ktls_export_keying_material(self->p.s, long_label, NULL, 0, c2, 32));
	EXPECT_EQ(KTLS_EINVAL, ktls_export_keying_material(self->p.s, "label", NULL, 5, c2, 32));
}

/* ---- resumption (RFC 8446 §2.2, §4.6.1, §4.2.11) --------------------------------------- */

/* A full handshake, then whatever tickets came, saved as a client would save them. */
static long first_session(struct session_pair *p, uint8_t *saved, size_t cap)
{
	uint8_t buf[8];
	pair_handshake(p);
	if (p->crc || p->src)
		return -1;
	/* tickets come after the handshake: a round of data lets the client read them */
	if (!pair_transfer(p->s, p->c, (const uint8_t *)"tickets?", 8, buf))
		return -1;
	return ktls_session_save(p->c, saved, cap);
}

static void second_session(struct session_pair *p, struct session_pair *q, const uint8_t *saved,
			   size_t len)
{
	if (pair_open(q, false))
		abort();
	/* the same server config: its ticket key opens the ticket */
	ktls_config_free(q->scfg);
	q->scfg = p->scfg;
	p->scfg = NULL;
	q->c = ktls_session_new(q->ccfg, q->cfd);
	if (ktls_session_resume(q->c, saved, len))
		abort();
	pair_handshake(q);
}

TEST_F(pair, resumption_with_a_ticket)
{
	uint8_t saved[2048], got[16];
	struct session_pair q;
	struct ktls_session_info ci, si;
	long n = first_session(&self->p, saved, sizeof(saved));
	ASSERT_GT(n, 0L);
	second_session(&self->p, &q, saved, (size_t)n);
	ASSERT_EQ(0, q.crc);
	ASSERT_EQ(0, q.src);
	ASSERT_EQ(0, ktls_session_get_info(q.c, &ci));
	ASSERT_EQ(0, ktls_session_get_info(q.s, &si));
	EXPECT_EQ(1, ci.resumed);
	EXPECT_EQ(1, si.resumed);
	EXPECT_NULL(ci.peer_subject); /* no certificate this time */
	EXPECT_TRUE(pair_transfer(q.c, q.s, (const uint8_t *)"resumed!", 8, got));
	/* and a resumed session gets fresh tickets too */
	EXPECT_TRUE(pair_transfer(q.s, q.c, (const uint8_t *)"more", 4, got));
	EXPECT_GT(ktls_session_save(q.c, saved, sizeof(saved)), 0L);
	pair_close(&q);
}

TEST_F(pair, tampered_ticket_means_a_full_handshake)
{
	uint8_t saved[2048];
	struct session_pair q;
	struct ktls_session_info ci;
	long n = first_session(&self->p, saved, sizeof(saved));
	ASSERT_GT(n, 0L);
	saved[n - 5] ^= 0x40; /* inside the ticket (the last field of a saved session) */
	second_session(&self->p, &q, saved, (size_t)n);
	ASSERT_EQ(0, q.crc);
	ASSERT_EQ(0, q.src);
	ASSERT_EQ(0, ktls_session_get_info(q.c, &ci));
	EXPECT_EQ(0, ci.resumed);
	EXPECT_STREQ("CN=localhost", ci.peer_subject);
	pair_close(&q);
}

TEST_F(pair, ticket_from_another_server_key_means_a_full_handshake)
{
	uint8_t saved[2048];
	struct session_pair q;
	struct ktls_session_info ci;
	long n = first_session(&self->p, saved, sizeof(saved));
	ASSERT_GT(n, 0L);
	/* two rotations: the key that sealed the ticket is gone */
	ASSERT_EQ(0, ktls_config_rotate_ticket_key(self->p.scfg));
	ASSERT_EQ(0, ktls_config_rotate_ticket_key(self->p.scfg));
	second_session(&self->p, &q, saved, (size_t)n);
	ASSERT_EQ(0, q.crc);
	ASSERT_EQ(0, ktls_session_get_info(q.c, &ci));
	EXPECT_EQ(0, ci.resumed);
	pair_close(&q);
}

TEST_F(pair, previous_ticket_key_still_opens)
{
	uint8_t saved[2048];
	struct session_pair q;
	struct ktls_session_info ci;
	long n = first_session(&self->p, saved, sizeof(saved));
	ASSERT_GT(n, 0L);
	ASSERT_EQ(0, ktls_config_rotate_ticket_key(self->p.scfg));
	second_session(&self->p, &q, saved, (size_t)n);
	ASSERT_EQ(0, q.crc);
	ASSERT_EQ(0, ktls_session_get_info(q.c, &ci));
	EXPECT_EQ(1, ci.resumed);
	pair_close(&q);
}

TEST_F(pair, wrong_binder_is_decrypt_error)
{
	uint8_t saved[2048];
	struct session_pair q;
	struct ktls_session_info si;
	long n = first_session(&self->p, saved, sizeof(saved));
	ASSERT_GT(n, 0L);
	/* a saved session: "KTLSSESS", version, suite(2), psk<..>: flip a PSK byte, so the
	 * client's binder is keyed wrong while the ticket itself is genuine */
	saved[8 + 1 + 2 + 1 + 3] ^= 1;
	second_session(&self->p, &q, saved, (size_t)n);
	EXPECT_EQ(KTLS_EDECRYPT, q.src);
	EXPECT_STREQ("the PSK binder does not verify", ktls_session_error(q.s));
	ASSERT_EQ(0, ktls_session_get_info(q.s, &si));
	EXPECT_EQ(51, si.alert_sent); /* decrypt_error */
	EXPECT_EQ(KTLS_EALERT, q.crc);
	pair_close(&q);
}

TEST_F(pair, resumption_after_hello_retry_request)
{
	uint8_t saved[2048];
	struct session_pair q;
	struct ktls_session_info ci;
	ASSERT_EQ(0, ktls_config_set_groups(self->p.scfg, "secp256r1"));
	long n = first_session(&self->p, saved, sizeof(saved));
	ASSERT_GT(n, 0L);
	second_session(&self->p, &q, saved, (size_t)n); /* the client offers x25519 first */
	ASSERT_EQ(0, q.crc);
	ASSERT_EQ(0, q.src);
	ASSERT_EQ(0, ktls_session_get_info(q.c, &ci));
	EXPECT_EQ(1, ci.hello_retry);
	EXPECT_EQ(1, ci.resumed);
	pair_close(&q);
}

TEST_F(pair, expired_ticket_means_a_full_handshake)
{
	uint8_t saved[2048];
	struct session_pair q;
	struct ktls_session_info ci;
	ASSERT_EQ(0, ktls_config_set_tickets(self->p.scfg, 1, 1)); /* one ticket, one second */
	long n = first_session(&self->p, saved, sizeof(saved));
	ASSERT_GT(n, 0L);
	usleep(1200000);
	second_session(&self->p, &q, saved, (size_t)n);
	ASSERT_EQ(0, q.crc);
	ASSERT_EQ(0, q.src);
	ASSERT_EQ(0, ktls_session_get_info(q.c, &ci));
	EXPECT_EQ(0, ci.resumed);
	EXPECT_STREQ("CN=localhost", ci.peer_subject);
	pair_close(&q);
}

TEST_F(pair, tickets_off)
{
	uint8_t saved[2048];
	ASSERT_EQ(0, ktls_config_set_tickets(self->p.scfg, 0, 0));
	EXPECT_EQ(0L, first_session(&self->p, saved, sizeof(saved)));
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_tickets(self->p.scfg, 2, 604801));
}

/* A server that requires client certificates: a resumed session has the identity the client
 * proved in the handshake that issued its ticket. */
TEST_F(pair, resumption_keeps_the_client_identity)
{
	uint8_t saved[2048];
	struct session_pair q;
	struct ktls_session_info si;
	ASSERT_EQ(0, ktls_config_set_client_auth(self->p.scfg, KTLS_CLIENT_AUTH_REQUIRED));
	ASSERT_EQ(0, ktls_config_set_ca(self->p.scfg, test_cert("ca.pem"), NULL));
	ASSERT_EQ(0, ktls_config_set_cert(self->p.ccfg, test_cert("client.pem"),
					  test_cert("client.key")));
	long n = first_session(&self->p, saved, sizeof(saved));
	ASSERT_GT(n, 0L);
	second_session(&self->p, &q, saved, (size_t)n);
	ASSERT_EQ(0, q.crc);
	ASSERT_EQ(0, q.src);
	ASSERT_EQ(0, ktls_session_get_info(q.s, &si));
	EXPECT_EQ(1, si.resumed);
	EXPECT_STREQ("CN=ktls-test-client", si.peer_subject);
	pair_close(&q);
}

/* A ticket issued to a client that never showed a certificate does not stand in for one:
 * once the server requires them, that ticket gets a full handshake, and a client without a
 * certificate gets certificate_required, not a resumed session. */
TEST_F(pair, ticket_without_client_certificate_does_not_resume_where_one_is_required)
{
	uint8_t saved[2048];
	struct session_pair q;
	struct ktls_session_info ci, si;
	long n = first_session(&self->p, saved, sizeof(saved));
	ASSERT_GT(n, 0L);
	ASSERT_EQ(0, ktls_config_set_client_auth(self->p.scfg, KTLS_CLIENT_AUTH_REQUIRED));
	ASSERT_EQ(0, ktls_config_set_ca(self->p.scfg, test_cert("ca.pem"), NULL));
	second_session(&self->p, &q, saved, (size_t)n);
	EXPECT_EQ(KTLS_ECERTREQUIRED, q.src);
	ASSERT_EQ(0, ktls_session_get_info(q.s, &si));
	EXPECT_EQ(0, si.resumed);
	ASSERT_EQ(0, ktls_session_get_info(q.c, &ci));
	EXPECT_EQ(0, ci.resumed);
	pair_close(&q);
}

/* ---- secure defaults (issue 12) -------------------------------------------------------- */

/* A server with several certificates sends, per handshake, the one for the client's SNI:
 * the exact name, then a wildcard for one label (RFC 6125 §6.4.3), then the first. Our
 * client verifies each against the test CA for the name it asked for. */
TEST_F(pair, certificate_by_sni)
{
	static const struct {
		const char *sni; /* NULL: no SNI (the client checks no name) */
		const char *subject;
		bool verify_name;
	} cases[] = {
		{ "localhost", "CN=localhost", true },
		{ "other.test", "CN=other.test", true },
		{ "Other.Test", "CN=other.test", true },
		{ "www.wild.test", "CN=*.wild.test", true },
		{ "a.b.wild.test", "CN=localhost", false }, /* a wildcard covers one label */
		{ "wild.test", "CN=localhost", false },
		{ "unknown.test", "CN=localhost", false },  /* unknown: the default */
		{ NULL, "CN=localhost", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ktls_session_info ci, si;
		uint8_t got[5];
		ASSERT_EQ(0, pair_fresh(&self->p, i));
		ASSERT_EQ(0, ktls_config_add_cert(self->p.scfg, test_cert("server-wild.pem"),
						  test_cert("server-wild.key"), NULL));
		ASSERT_EQ(0, ktls_config_add_cert(self->p.scfg, test_cert("server-other.pem"),
						  test_cert("server-other.key"), NULL));
		ASSERT_EQ(0, ktls_config_set_server_name(self->p.ccfg, cases[i].sni));
		ASSERT_EQ(0, ktls_config_set_verify_name(self->p.ccfg, cases[i].verify_name));
		pair_handshake(&self->p);
		TH_LOG("SNI %s: %s", cases[i].sni ? cases[i].sni : "(none)",
		       ktls_session_error(self->p.c));
		ASSERT_EQ(0, self->p.crc);
		ASSERT_EQ(0, self->p.src);
		ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
		ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
		EXPECT_STREQ(cases[i].subject, ci.peer_subject);
		EXPECT_STREQ(cases[i].subject, si.cert_subject);
		EXPECT_NULL(ci.cert_subject); /* the client sent none */
		if (!cases[i].sni)
			EXPECT_NULL(si.server_name);
		ASSERT_TRUE(pair_transfer(self->p.c, self->p.s, (const uint8_t *)"after", 5, got));
	}
}

/* ktls_config_set_cert replaces the first (default) certificate and keeps the others; an
 * encrypted key needs its passphrase, given to ktls_config_add_cert. */
TEST_F(pair, set_cert_replaces_the_default_only)
{
	struct ktls_session_info ci;
	ASSERT_EQ(0, ktls_config_add_cert(self->p.scfg, test_cert("server-other.pem"),
					  test_cert("server-other.key"), NULL));
	ASSERT_EQ(0, ktls_config_set_cert(self->p.scfg, test_cert("server-ed25519.pem"),
					  test_cert("server-ed25519.key")));
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_cert(self->p.scfg, test_cert("server-ecdsa.pem"),
						    test_cert("server-ecdsa.enc.key")));
	EXPECT_NONNULL(strstr(ktls_config_error(self->p.scfg),
			      "is an encrypted key: give its passphrase with --key-pass"));
	EXPECT_EQ(KTLS_EINVAL, ktls_config_add_cert(self->p.scfg, test_cert("server-ecdsa.pem"),
						    test_cert("server-ecdsa.enc.key"), "wrong"));
	EXPECT_NONNULL(strstr(ktls_config_error(self->p.scfg), "wrong passphrase"));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_EQ(0x0807, ci.signature_scheme); /* ed25519: the new default */
	pair_close(&self->p);
	ASSERT_EQ(0, pair_open(&self->p, false));
	ASSERT_EQ(0, ktls_config_add_cert(self->p.scfg, test_cert("server-other.pem"),
					  test_cert("server-other.key"), NULL));
	ASSERT_EQ(0, ktls_config_set_server_name(self->p.ccfg, "other.test"));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_STREQ("CN=other.test", ci.peer_subject);
}

/* Keys in every encoding serve a handshake: DER certificate and key, a traditional RSA key,
 * an encrypted PKCS#8 key with its passphrase; the server says which certificate it sent. */
TEST_F(pair, keys_in_every_format)
{
	static const struct {
		const char *cert, *key, *pass;
	} cases[] = {
		{ "server-ecdsa.der", "server-ecdsa.key.der", NULL },
		{ "server-rsa.pem", "server-rsa.trad.key", NULL },
		{ "server-ecdsa.pem", "server-ecdsa.enc.key", "ktls-test-passphrase" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ktls_session_info si;
		ASSERT_EQ(0, pair_fresh(&self->p, i));
		struct ktls_config *scfg = ktls_config_new(KTLS_ROLE_SERVER);
		ASSERT_NONNULL(scfg);
		ASSERT_EQ(0, ktls_config_add_cert(scfg, test_cert(cases[i].cert),
						  test_cert(cases[i].key), cases[i].pass));
		ktls_config_free(self->p.scfg);
		self->p.scfg = scfg;
		/* mutual TLS: a client's certificate given with ktls_config_add_cert */
		ASSERT_EQ(0, ktls_config_set_client_auth(scfg, KTLS_CLIENT_AUTH_REQUIRED));
		ASSERT_EQ(0, ktls_config_set_ca(scfg, test_cert("ca.pem"), NULL));
		ASSERT_EQ(0, ktls_config_add_cert(self->p.ccfg, test_cert("client.pem"),
						  test_cert("client.key"), NULL));
		pair_handshake(&self->p);
		ASSERT_EQ(0, self->p.crc);
		ASSERT_EQ(0, self->p.src);
		ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
		EXPECT_STREQ("CN=localhost", si.cert_subject);
		EXPECT_STREQ("CN=ktls-test-client", si.peer_subject);
	}
}

/* A client that names no server would accept any certificate the CA ever issued: it fails
 * before sending anything, with a sentence that says how to fix it. */
TEST_F(pair, client_without_server_name_fails)
{
	ASSERT_EQ(0, ktls_config_set_server_name(self->p.ccfg, NULL));
	pair_handshake(&self->p);
	EXPECT_EQ(KTLS_EINVAL, self->p.crc);
	EXPECT_NONNULL(strstr(ktls_session_error(self->p.c), "no server name to check the certificate"));
}

/* ... unless it says so: then the chain alone is checked. */
TEST_F(pair, client_may_turn_name_checking_off)
{
	ASSERT_EQ(0, ktls_config_set_server_name(self->p.ccfg, "not-the-name.example"));
	ASSERT_EQ(0, ktls_config_set_verify_name(self->p.ccfg, 0));
	pair_handshake(&self->p);
	EXPECT_EQ(0, self->p.crc);
	EXPECT_EQ(0, self->p.src);
}

static char *tmp_path(char *buf, size_t n, const char *leaf)
{
	snprintf(buf, n, "/tmp/ktls-keylog-%d-%s", (int)getpid(), leaf);
	unlink(buf);
	return buf;
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? -1 : st.st_size;
}

/* The key log: created 0600 by the setter, lines written there. */
TEST_F(pair, keylog_is_created_0600)
{
	char path[96];
	struct stat st;
	tmp_path(path, sizeof(path), "new");
	ASSERT_EQ(0, ktls_config_set_keylog(self->p.ccfg, path));
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0600, (int)(st.st_mode & 07777));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	EXPECT_LT(300, (long)file_size(path)); /* five lines of secrets */
	unlink(path);
}

/* ... never through a symbolic link, and never into a file others can read. */
TEST_F(pair, keylog_refuses_symlinks_and_open_files)
{
	char path[96], link_path[96];
	tmp_path(path, sizeof(path), "target");
	tmp_path(link_path, sizeof(link_path), "link");
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, symlink(path, link_path));
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_keylog(self->p.ccfg, link_path));
	EXPECT_NONNULL(strstr(ktls_config_error(self->p.ccfg), "is a symbolic link"));
	ASSERT_EQ(0, chmod(path, 0644));
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_keylog(self->p.ccfg, path));
	EXPECT_NONNULL(strstr(ktls_config_error(self->p.ccfg), "mode 0644"));
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_keylog(self->p.ccfg, "/nonexistent-dir/keylog"));
	EXPECT_NONNULL(strstr(ktls_config_error(self->p.ccfg), "No such file or directory"));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	EXPECT_EQ(0, file_size(path)); /* nothing went anywhere */
	unlink(link_path);
	unlink(path);
}

/* $SSLKEYLOGFILE is the application's choice: a config does not read it by itself ... */
TEST(keylog_env_is_not_read_by_default)
{
	char path[96];
	struct session_pair p;
	tmp_path(path, sizeof(path), "env");
	ASSERT_EQ(0, setenv("SSLKEYLOGFILE", path, 1));
	ASSERT_EQ(0, pair_open(&p, false));
	pair_handshake(&p);
	EXPECT_EQ(0, p.crc);
	EXPECT_EQ(-1, (long)file_size(path));
	pair_close(&p);
	/* ... but on request */
	ASSERT_EQ(0, pair_open(&p, false));
	ASSERT_EQ(0, ktls_config_set_keylog_from_env(p.ccfg));
	pair_handshake(&p);
	EXPECT_EQ(0, p.crc);
	EXPECT_LT(300, (long)file_size(path));
	pair_close(&p);
	unlink(path);
	unsetenv("SSLKEYLOGFILE");
}

TEST_HARNESS_MAIN
