/*
 * key_update_test.c — KeyUpdates we initiate (ktls_key_update, RFC 8446 §4.6.3 and §7.2)
 * and the AEAD usage limits of §5.5, on the userspace record layer: our client and server
 * over a socketpair, both non-blocking. The kernel's side of the same lives in
 * tests/kernel/ktls_test.c (the block "KeyUpdate we initiate").
 *
 * What is checked is what the peer sees: after our KeyUpdate its read key is our new write
 * key (the secrets agree), data still arrives intact, and the record counts restart.
 */
#include "harness.h"

#include "ktls.h"
#include "keysched.h"
#include "record.h"
#include "session.h"
#include "support/pair.h"

#include <string.h>

FIXTURE(ku)
{
	struct session_pair p;
};

FIXTURE_SETUP(ku)
{
	ASSERT_EQ(0, pair_open(&self->p, false));
}

FIXTURE_TEARDOWN(ku)
{
	pair_close(&self->p);
}

/* A copy of a session's application traffic secret for dir (the engine is live: userspace). */
static void secret_of(struct ktls_session *s, enum ktls_direction dir, uint8_t out[48])
{
	memset(out, 0, 48);
	memcpy(out, ktls_engine_app_secret(s->e, dir), s->e->suite->hash_len);
}

static bool exchange(struct session_pair *p, struct ktls_session *from, struct ktls_session *to,
		     size_t len)
{
	static uint8_t data[100000], got[100000];
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + len);
	return pair_transfer(from, to, data, len, got);
	(void)p;
}

TEST_F(ku, before_the_handshake_is_einval)
{
	struct ktls_session *s = ktls_session_new(self->p.ccfg, self->p.cfd);
	ASSERT_NONNULL(s);
	EXPECT_EQ(KTLS_EINVAL, ktls_key_update(s, false));
	EXPECT_EQ(KTLS_EINVAL, ktls_key_update(NULL, false));
	ktls_session_free(s);
}

/* Our KeyUpdate: our next write key, the peer's next read key; data both sides of it. */
TEST_F(ku, our_key_update_changes_our_write_key)
{
	struct session_pair *p = &self->p;
	uint8_t before[48], after[48], peer_rx[48], peer_tx_before[48], peer_tx_after[48];
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	ASSERT_TRUE(exchange(p, p->c, p->s, 20000));
	secret_of(p->c, KTLS_DIR_TX, before);
	secret_of(p->s, KTLS_DIR_TX, peer_tx_before);
	ASSERT_EQ(0, ktls_key_update(p->c, false));
	EXPECT_EQ(0, p->c->e->tx.seq); /* the new key has protected nothing yet */
	secret_of(p->c, KTLS_DIR_TX, after);
	EXPECT_NE(0, memcmp(before, after, sizeof(before)));
	ASSERT_TRUE(exchange(p, p->c, p->s, 50000));
	secret_of(p->s, KTLS_DIR_RX, peer_rx);
	EXPECT_MEMEQ(after, peer_rx, sizeof(after));
	/* not requested: the server's write key stays */
	ASSERT_TRUE(exchange(p, p->s, p->c, 1000));
	secret_of(p->s, KTLS_DIR_TX, peer_tx_after);
	EXPECT_MEMEQ(peer_tx_before, peer_tx_after, sizeof(peer_tx_after));
}

/* update_requested: the peer answers with its own KeyUpdate, which our receive path takes. */
TEST_F(ku, request_peer_makes_the_peer_answer)
{
	struct session_pair *p = &self->p;
	uint8_t s_tx_before[48], s_tx_after[48], c_rx[48];
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	secret_of(p->s, KTLS_DIR_TX, s_tx_before);
	ASSERT_EQ(0, ktls_key_update(p->c, true));
	ASSERT_TRUE(exchange(p, p->c, p->s, 3000)); /* the server reads the request, answers */
	ASSERT_TRUE(exchange(p, p->s, p->c, 3000)); /* behind its answer: data, new key */
	secret_of(p->s, KTLS_DIR_TX, s_tx_after);
	secret_of(p->c, KTLS_DIR_RX, c_rx);
	EXPECT_NE(0, memcmp(s_tx_before, s_tx_after, sizeof(s_tx_after)));
	EXPECT_MEMEQ(s_tx_after, c_rx, sizeof(c_rx));
	/* and again, many times: each is one record under the old key */
	for (int i = 0; i < 40; i++) {
		ASSERT_EQ(0, ktls_key_update(p->s, i % 2));
		ASSERT_TRUE(exchange(p, p->s, p->c, 100));
		ASSERT_TRUE(exchange(p, p->c, p->s, 100));
	}
	EXPECT_STREQ("", ktls_session_error(p->c));
	EXPECT_STREQ("", ktls_session_error(p->s));
}

/* A non-blocking socket that is full: as ktls_send, ktls_key_update takes nothing while what
 * waited cannot leave (KTLS_WANT_WRITE), and once it is taken the record may wait in the
 * session (0) until ktls_session_flush moves it; the data behind it follows under the new
 * key, in order. */
TEST_F(ku, full_socket_is_want_write_as_for_send)
{
	struct session_pair *p = &self->p;
	static uint8_t chunk[16384], sink[1 << 16];
	uint8_t after[48], peer_rx[48];
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	memset(chunk, 'x', sizeof(chunk));
	long n;
	size_t queued = 0;
	while ((n = ktls_send(p->c, chunk, sizeof(chunk))) > 0)
		queued += (size_t)n;
	ASSERT_EQ(KTLS_WANT_WRITE, n);
	uint8_t before[48], next[48];
	secret_of(p->c, KTLS_DIR_TX, before);
	EXPECT_EQ(KTLS_WANT_WRITE, ktls_key_update(p->c, false)); /* nothing taken */
	/* the server reads until our queue is gone, then the KeyUpdate is taken, once */
	size_t got = 0;
	int rc;
	while ((rc = ktls_key_update(p->c, false)) == KTLS_WANT_WRITE) {
		long r = ktls_recv(p->s, sink, sizeof(sink));
		ASSERT_TRUE(r > 0 || r == KTLS_WANT_READ);
		got += r > 0 ? (size_t)r : 0;
	}
	ASSERT_EQ(0, rc);
	secret_of(p->c, KTLS_DIR_TX, after);
	memset(next, 0, sizeof(next));
	ASSERT_EQ(0, ktls_next_traffic_secret(p->c->e->suite->md(), before, next));
	EXPECT_MEMEQ(next, after, sizeof(after)); /* one KeyUpdate, not one per call */
	while (got < queued) {
		int f = ktls_session_flush(p->c);
		ASSERT_TRUE(f == 0 || f == KTLS_WANT_WRITE);
		long r = ktls_recv(p->s, sink, sizeof(sink));
		ASSERT_TRUE(r > 0 || r == KTLS_WANT_READ);
		got += r > 0 ? (size_t)r : 0;
	}
	ASSERT_EQ(queued, got);
	ASSERT_TRUE(exchange(p, p->c, p->s, 5000)); /* behind the KeyUpdate, under the new key */
	secret_of(p->s, KTLS_DIR_RX, peer_rx);
	EXPECT_MEMEQ(after, peer_rx, sizeof(after));
	EXPECT_STREQ("", ktls_session_error(p->s));
}

/* After close_notify we send nothing more (§6.1). */
TEST_F(ku, after_close_is_einval)
{
	struct session_pair *p = &self->p;
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, ktls_close(p->c));
	EXPECT_EQ(KTLS_EINVAL, ktls_key_update(p->c, false));
}

/* §5.5 on the userspace record layer, with the limit lowered to 8 records per key (the knob
 * a test uses to see it work without sending 2^24.5 records): no key ever protects more, the
 * session changes it by itself, and every byte arrives. */
TEST_F(ku, key_limit_rekeys_by_itself)
{
	struct session_pair *p = &self->p;
	uint8_t first[48], now[48], peer_rx[48];
	EXPECT_EQ(KTLS_EINVAL, ktls_config_set_key_limit(p->ccfg, KTLS_KEY_LIMIT_MIN - 1));
	ASSERT_EQ(0, ktls_config_set_key_limit(p->ccfg, KTLS_KEY_LIMIT_MIN));
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	secret_of(p->c, KTLS_DIR_TX, first);
	int changes = 0;
	for (int i = 0; i < 60; i++) {
		uint8_t before[48];
		secret_of(p->c, KTLS_DIR_TX, before);
		ASSERT_TRUE(exchange(p, p->c, p->s, 1000 + 97 * (size_t)i)); /* one record each */
		ASSERT_LE(p->c->e->tx.seq, (uint64_t)KTLS_KEY_LIMIT_MIN);
		secret_of(p->c, KTLS_DIR_TX, now);
		changes += memcmp(before, now, sizeof(now)) != 0;
	}
	/* 8 records a key, 3 of them kept in hand: a KeyUpdate after every 4 or 5 data records */
	EXPECT_GE(changes, 60 / 6);
	EXPECT_NE(0, memcmp(first, now, sizeof(now)));
	secret_of(p->s, KTLS_DIR_RX, peer_rx);
	EXPECT_MEMEQ(now, peer_rx, sizeof(now));
	/* a large send too: 2^14-byte records, the key changes between them */
	ASSERT_TRUE(exchange(p, p->c, p->s, 100000));
	EXPECT_LE(p->c->e->tx.seq, (uint64_t)KTLS_KEY_LIMIT_MIN);
	EXPECT_STREQ("", ktls_session_error(p->c));
}

/* The default is §5.5's: no KeyUpdate of our own in ordinary traffic. */
TEST_F(ku, default_limit_is_far)
{
	struct session_pair *p = &self->p;
	uint8_t before[48], after[48];
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	secret_of(p->c, KTLS_DIR_TX, before);
	for (int i = 0; i < 20; i++)
		ASSERT_TRUE(exchange(p, p->c, p->s, 1000));
	secret_of(p->c, KTLS_DIR_TX, after);
	EXPECT_MEMEQ(before, after, sizeof(after));
	EXPECT_EQ(20, p->c->e->tx.seq);
}

TEST(suite_limits_are_rfc_8446_5_5s)
{
	EXPECT_EQ(23726566, ktls_suite_record_limit(ktls_suite_find(KTLS_TLS_AES_128_GCM_SHA256)));
	EXPECT_EQ(23726566, ktls_suite_record_limit(ktls_suite_find(KTLS_TLS_AES_256_GCM_SHA384)));
	EXPECT_EQ(8388608, ktls_suite_record_limit(ktls_suite_find(KTLS_TLS_AES_128_CCM_SHA256)));
	EXPECT_EQ(UINT64_MAX,
		  ktls_suite_record_limit(ktls_suite_find(KTLS_TLS_CHACHA20_POLY1305_SHA256)));
}

TEST_HARNESS_MAIN
