/*
 * engine_test.c — the engine (lib/core/engine.h) with no socket at all: two engines through
 * memory (support/engine_pair.h), each suite in both ways of carrying records — protected by
 * the engines themselves, and in the clear as QUIC carries TLS — so what the handshake tests
 * prove over sockets is proven here over buffers, and a test can change any decrypted
 * message on its way.
 */
#include "harness.h"

#include "alert.h"
#include "session.h"
#include "support/engine_pair.h"
#include "support/pair.h"

#include <stdio.h>
#include <string.h>

struct configs {
	struct ktls_config *c, *s;
};

static int configs_open(struct configs *k, const char *suite)
{
	k->c = ktls_config_new(KTLS_ROLE_CLIENT);
	k->s = ktls_config_new(KTLS_ROLE_SERVER);
	if (!k->c || !k->s)
		return -1;
	return ktls_config_set_cert(k->s, test_cert("server-ecdsa.pem"), test_cert("server-ecdsa.key")) ||
	       ktls_config_set_ca(k->c, test_cert("ca.pem"), NULL) ||
	       ktls_config_set_server_name(k->c, "localhost") ||
	       ktls_config_set_ciphers(k->c, suite) || ktls_config_set_ciphers(k->s, suite);
}

static void configs_close(struct configs *k)
{
	ktls_config_free(k->c);
	ktls_config_free(k->s);
}

FIXTURE(mem)
{
	struct configs k;
	struct engine_pair p;
	bool open;
};

FIXTURE_VARIANT(mem)
{
	const char *suite;
	uint16_t suite_id;
	enum engine_pair_mode mode;
};

#define MEM(name, sid, m) \
	FIXTURE_VARIANT_ADD(mem, name##_##m) { .suite = #name, .suite_id = sid, \
					       .mode = ENGINE_PAIR_##m };
#define MEM_MODES(name, sid) MEM(name, sid, RECORDS) MEM(name, sid, CLEAR)
MEM_MODES(chacha20, KTLS_TLS_CHACHA20_POLY1305_SHA256)
MEM_MODES(aes128, KTLS_TLS_AES_128_GCM_SHA256)
MEM_MODES(aes256, KTLS_TLS_AES_256_GCM_SHA384)
MEM_MODES(aes128ccm, KTLS_TLS_AES_128_CCM_SHA256)
MEM_MODES(aes128ccm8, KTLS_TLS_AES_128_CCM_8_SHA256)

FIXTURE_SETUP(mem)
{
	ASSERT_EQ(0, configs_open(&self->k, variant->suite));
	if (variant->mode == ENGINE_PAIR_CLEAR) /* its dummy CCS exists only on the wire */
		ASSERT_EQ(0, ktls_config_set_middlebox_compat(self->k.c, 0));
}

FIXTURE_TEARDOWN(mem)
{
	if (self->open)
		engine_pair_free(&self->p);
	configs_close(&self->k);
}

static int open_pair(FIXTURE_DATA(mem) *self, const FIXTURE_VARIANT(mem) *variant)
{
	int err = engine_pair_init(&self->p, variant->mode, &self->k.c->engine, &self->k.s->engine);
	self->open = true;
	return err;
}

TEST_F(mem, handshake_data_and_every_key_announced)
{
	ASSERT_EQ(0, open_pair(self, variant));
	EXPECT_LT(0u, engine_pair_run(&self->p, 100));
	ASSERT_TRUE(engine_pair_connected(&self->p));
	EXPECT_EQ(variant->suite_id, self->p.c.e.suite->id);
	EXPECT_EQ(variant->suite_id, self->p.s.e.suite->id);
	/* handshake key, then application key, each way, each announced once */
	EXPECT_EQ(2u, self->p.c.key_changes[KTLS_DIR_TX]);
	EXPECT_EQ(2u, self->p.c.key_changes[KTLS_DIR_RX]);
	EXPECT_EQ(2u, self->p.s.key_changes[KTLS_DIR_TX]);
	EXPECT_EQ(2u, self->p.s.key_changes[KTLS_DIR_RX]);
	/* a ticket (post-handshake row) reached the client */
	EXPECT_NONNULL(self->p.c.e.saved);

	static uint8_t big[40000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	ASSERT_EQ(0, engine_pair_send(&self->p, &self->p.c, big, sizeof(big)));
	ASSERT_EQ(sizeof(big), self->p.s.data_len);
	EXPECT_EQ(0, memcmp(big, self->p.s.data, sizeof(big)));
	ASSERT_EQ(0, engine_pair_send(&self->p, &self->p.s, "pong", 4));
	ASSERT_EQ(4u, self->p.c.data_len);
	EXPECT_EQ(0, memcmp("pong", self->p.c.data, 4));
}

TEST_F(mem, key_update_with_request_rekeys_both_ways)
{
	ASSERT_EQ(0, open_pair(self, variant));
	engine_pair_run(&self->p, 100);
	ASSERT_TRUE(engine_pair_connected(&self->p));
	ASSERT_EQ(0, engine_pair_key_update(&self->p, &self->p.c, true));
	ASSERT_TRUE(engine_pair_connected(&self->p));
	/* §4.6.3: the server took the client's new key and answered with its own */
	EXPECT_EQ(3u, self->p.s.key_changes[KTLS_DIR_RX]);
	EXPECT_EQ(3u, self->p.s.key_changes[KTLS_DIR_TX]);
	EXPECT_EQ(3u, self->p.c.key_changes[KTLS_DIR_RX]);
	ASSERT_EQ(0, engine_pair_send(&self->p, &self->p.c, "after", 5));
	ASSERT_EQ(0, engine_pair_send(&self->p, &self->p.s, "after too", 9));
	EXPECT_EQ(5u, self->p.s.data_len);
	EXPECT_EQ(9u, self->p.c.data_len);
	/* a second request before the server sent data is answered once only (§4.6.3) */
	ASSERT_EQ(0, engine_pair_key_update(&self->p, &self->p.c, false));
	EXPECT_EQ(4u, self->p.s.key_changes[KTLS_DIR_RX]);
	EXPECT_EQ(3u, self->p.s.key_changes[KTLS_DIR_TX]);
}

TEST_F(mem, close_notify_ends_the_stream)
{
	ASSERT_EQ(0, open_pair(self, variant));
	engine_pair_run(&self->p, 100);
	ASSERT_TRUE(engine_pair_connected(&self->p));
	ASSERT_EQ(0, ktls_engine_close_notify(&self->p.c.e));
	engine_pair_run(&self->p, 10);
	EXPECT_TRUE(self->p.s.closed);
	EXPECT_TRUE(self->p.s.e.close_notify_received);
	EXPECT_EQ(0, self->p.s.e.err);
}

/* ---- every group with every kind of key, over memory ----------------------------------- */

FIXTURE(kx)
{
	struct configs k;
};

FIXTURE_VARIANT(kx)
{
	const char *group;
	uint16_t group_id;
	const char *key;
	uint16_t scheme;
};

#define KX(gname, gid, kname, sch) \
	FIXTURE_VARIANT_ADD(kx, gname##_##kname) { .group = #gname, .group_id = gid, \
						   .key = "server-" #kname, .scheme = sch };
#define KX_KEYS(gname, gid) \
	KX(gname, gid, rsa, 0x0804) KX(gname, gid, ecdsa, 0x0403) KX(gname, gid, ed25519, 0x0807)
KX_KEYS(x25519, KTLS_GROUP_X25519)
KX_KEYS(secp256r1, KTLS_GROUP_SECP256R1)
KX_KEYS(x448, KTLS_GROUP_X448)
KX_KEYS(secp384r1, KTLS_GROUP_SECP384R1)
KX_KEYS(secp521r1, KTLS_GROUP_SECP521R1)
KX_KEYS(ffdhe2048, KTLS_GROUP_FFDHE2048)

FIXTURE_SETUP(kx)
{
	char cert[64], key[64];
	ASSERT_EQ(0, configs_open(&self->k, "chacha20"));
	snprintf(cert, sizeof(cert), "%s.pem", variant->key);
	snprintf(key, sizeof(key), "%s.key", variant->key);
	ASSERT_EQ(0, ktls_config_set_cert(self->k.s, test_cert(cert), test_cert(key)));
	ASSERT_EQ(0, ktls_config_set_groups(self->k.c, variant->group));
	ASSERT_EQ(0, ktls_config_set_groups(self->k.s, variant->group));
}

FIXTURE_TEARDOWN(kx)
{
	configs_close(&self->k);
}

TEST_F(kx, handshake_with_this_group_and_key)
{
	struct engine_pair p;
	ASSERT_EQ(0, engine_pair_init(&p, ENGINE_PAIR_RECORDS, &self->k.c->engine, &self->k.s->engine));
	engine_pair_run(&p, 100);
	EXPECT_TRUE(engine_pair_connected(&p));
	EXPECT_EQ(variant->group_id, p.c.e.group);
	EXPECT_EQ(variant->group_id, p.s.e.group);
	EXPECT_EQ(variant->scheme, p.c.e.sig_scheme);
	EXPECT_FALSE(p.c.e.hello_retry);
	engine_pair_free(&p);
}

/* ---- over memory, what the socket tests cover ----------------------------------------- */

FIXTURE(flows)
{
	struct configs k;
};

FIXTURE_SETUP(flows)
{
	ASSERT_EQ(0, configs_open(&self->k, "chacha20"));
}

FIXTURE_TEARDOWN(flows)
{
	configs_close(&self->k);
}

TEST_F(flows, hello_retry_request)
{
	struct engine_pair p;
	/* the client's first share is for a group the server does not take */
	ASSERT_EQ(0, ktls_config_set_groups(self->k.c, "secp256r1:x25519"));
	ASSERT_EQ(0, ktls_config_set_groups(self->k.s, "x25519"));
	ASSERT_EQ(0, engine_pair_init(&p, ENGINE_PAIR_RECORDS, &self->k.c->engine, &self->k.s->engine));
	engine_pair_run(&p, 100);
	EXPECT_TRUE(engine_pair_connected(&p));
	EXPECT_TRUE(p.c.e.hello_retry);
	EXPECT_EQ(KTLS_GROUP_X25519, p.c.e.group);
	engine_pair_free(&p);
}

TEST_F(flows, mutual_tls)
{
	struct engine_pair p;
	ASSERT_EQ(0, ktls_config_set_client_auth(self->k.s, KTLS_CLIENT_AUTH_REQUIRED));
	ASSERT_EQ(0, ktls_config_set_ca(self->k.s, test_cert("ca.pem"), NULL));
	ASSERT_EQ(0, ktls_config_set_cert(self->k.c, test_cert("client.pem"), test_cert("client.key")));
	ASSERT_EQ(0, engine_pair_init(&p, ENGINE_PAIR_RECORDS, &self->k.c->engine, &self->k.s->engine));
	engine_pair_run(&p, 100);
	EXPECT_TRUE(engine_pair_connected(&p));
	EXPECT_TRUE(p.s.e.has_peer_subject);
	engine_pair_free(&p);
}

TEST_F(flows, resumption_with_the_ticket_received)
{
	struct engine_pair first, second;
	ASSERT_EQ(0, engine_pair_init(&first, ENGINE_PAIR_RECORDS, &self->k.c->engine,
				      &self->k.s->engine));
	engine_pair_run(&first, 100);
	ASSERT_TRUE(engine_pair_connected(&first));
	ASSERT_NONNULL(first.c.e.saved);
	ASSERT_EQ(0, engine_pair_init(&second, ENGINE_PAIR_RECORDS, &self->k.c->engine,
				      &self->k.s->engine));
	second.c.e.offer = first.c.e.saved; /* the client offers the ticket it kept */
	first.c.e.saved = NULL;
	engine_pair_run(&second, 100);
	EXPECT_TRUE(engine_pair_connected(&second));
	EXPECT_TRUE(second.c.e.psk_accepted);
	EXPECT_TRUE(second.s.e.psk_accepted);
	engine_pair_free(&first);
	engine_pair_free(&second);
}

/* Keeps each NewSessionTicket's age_add and sealing nonce (the 12 bytes after the ticket's
 * key id, ticket.c) that the server sends. */
struct ticket_seen {
	struct engine_pair *p;
	unsigned n;
	uint32_t age_add[8];
	uint8_t nonce[8][12];
};

static bool collect_tickets(void *arg, const struct engine_end *from, unsigned index, uint8_t type,
			    uint8_t *content, size_t *len, size_t cap)
{
	struct ticket_seen *seen = arg;
	struct ktls_new_session_ticket nst;
	(void)index;
	(void)cap;
	if (from != &seen->p->s || type != TLS_CONTENT_HANDSHAKE ||
	    content[0] != TLS_HS_NEW_SESSION_TICKET ||
	    seen->n == 8 || ktls_decode_new_session_ticket(content + 4, *len - 4, &nst) ||
	    nst.ticket_len < 16)
		return true;
	seen->age_add[seen->n] = nst.ticket_age_add;
	memcpy(seen->nonce[seen->n++], nst.ticket + 4, 12);
	return true;
}

/* The server draws every ticket's random values in one call: each ticket still gets its own
 * age_add and nonce (RFC 8446 §4.6.1: a fresh age_add per ticket), none shared. */
TEST_F(flows, each_ticket_has_its_own_random_values)
{
	struct engine_pair p;
	struct ticket_seen seen = { .p = &p };
	ASSERT_EQ(0, ktls_config_set_tickets(self->k.s, 8, 3600));
	ASSERT_EQ(0, ktls_config_set_middlebox_compat(self->k.c, 0));
	ASSERT_EQ(0, engine_pair_init(&p, ENGINE_PAIR_CLEAR, &self->k.c->engine, &self->k.s->engine));
	p.tamper = collect_tickets;
	p.tamper_arg = &seen;
	engine_pair_run(&p, 100);
	ASSERT_TRUE(engine_pair_connected(&p));
	ASSERT_EQ(8u, seen.n);
	for (unsigned i = 0; i < seen.n; i++)
		for (unsigned j = i + 1; j < seen.n; j++) {
			EXPECT_NE(seen.age_add[i], seen.age_add[j]);
			EXPECT_NE(0, memcmp(seen.nonce[i], seen.nonce[j], 12));
		}
	engine_pair_free(&p);
}

/* Changes the server's Finished (in the clear) on its way. */
static bool break_finished(void *arg, const struct engine_end *from, unsigned index, uint8_t type,
			   uint8_t *content, size_t *len, size_t cap)
{
	struct engine_pair *p = arg;
	(void)index;
	(void)cap;
	if (from == &p->s && type == TLS_CONTENT_HANDSHAKE && content[0] == TLS_HS_FINISHED)
		content[*len - 1] ^= 1;
	return true;
}

TEST_F(flows, a_changed_finished_is_decrypt_error_both_ends_know)
{
	struct engine_pair p;
	ASSERT_EQ(0, ktls_config_set_middlebox_compat(self->k.c, 0));
	ASSERT_EQ(0, engine_pair_init(&p, ENGINE_PAIR_CLEAR, &self->k.c->engine, &self->k.s->engine));
	p.tamper = break_finished;
	p.tamper_arg = &p;
	engine_pair_run(&p, 100);
	EXPECT_EQ(KTLS_EDECRYPT, p.c.e.err);
	EXPECT_EQ(TLS_ALERT_DECRYPT_ERROR, p.c.e.alert_sent);
	EXPECT_EQ(TLS_ALERT_DECRYPT_ERROR, p.s.e.alert_received); /* the alert was carried */
	EXPECT_EQ(KTLS_EALERT, p.s.e.err);
	engine_pair_free(&p);
}

/* Counts the records carried. */
static bool count_records(void *arg, const struct engine_end *from, unsigned index, uint8_t type,
			  uint8_t *content, size_t *len, size_t cap)
{
	unsigned *n = arg;
	(void)from;
	(void)type;
	(void)content;
	(void)len;
	(void)cap;
	*n = index + 1;
	return true;
}

TEST_F(flows, in_the_clear_every_message_is_its_own_record_to_see)
{
	struct engine_pair p;
	unsigned n = 0;
	ASSERT_EQ(0, ktls_config_set_middlebox_compat(self->k.c, 0));
	ASSERT_EQ(0, engine_pair_init(&p, ENGINE_PAIR_CLEAR, &self->k.c->engine, &self->k.s->engine));
	p.tamper = count_records;
	p.tamper_arg = &n;
	engine_pair_run(&p, 100);
	ASSERT_TRUE(engine_pair_connected(&p));
	/* ClientHello; ServerHello, EncryptedExtensions, Certificate, CertificateVerify,
	 * Finished; client Finished; two NewSessionTickets */
	EXPECT_EQ(9u, n);
	engine_pair_free(&p);
}

/* Parking (engine.h): an engine whose directions belong to another record layer is moved
 * into a ktls_engine_parked, wiped and freed, and rebuilt later. What comes after the
 * handshake must work exactly as before: a KeyUpdate each way (§4.6.3) from the secrets it
 * kept, the ticket it kept, application data, close_notify. */
TEST_F(flows, parked_and_rebuilt_engines_carry_on)
{
	struct engine_pair p;
	struct ktls_engine_parked cp = { 0 }, sp = { 0 };
	uint8_t c_tx[KTLS_MAX_HASH_LEN], s_tx[KTLS_MAX_HASH_LEN];
	ASSERT_EQ(0, ktls_config_set_middlebox_compat(self->k.c, 0));
	ASSERT_EQ(0, engine_pair_init(&p, ENGINE_PAIR_CLEAR, &self->k.c->engine, &self->k.s->engine));
	engine_pair_run(&p, 100);
	ASSERT_TRUE(engine_pair_connected(&p));
	ASSERT_NONNULL(p.c.e.saved); /* the server's ticket came */
	size_t hl = p.c.e.suite->hash_len;
	memcpy(c_tx, ktls_engine_app_secret(&p.c.e, KTLS_DIR_TX), hl);
	memcpy(s_tx, ktls_engine_app_secret(&p.s.e, KTLS_DIR_TX), hl);
	unsigned c_rx = p.c.key_changes[KTLS_DIR_RX], s_rx = p.s.key_changes[KTLS_DIR_RX];

	ASSERT_TRUE(ktls_engine_parkable(&p.c.e));
	ASSERT_EQ(0, ktls_engine_park(&p.c.e, &cp));
	ASSERT_EQ(0, ktls_engine_park(&p.s.e, &sp));
	/* the client keeps the exporter, resumption and both traffic secrets; the server no
	 * resumption secret (its tickets went); nothing of the engines is left */
	EXPECT_EQ(4, cp.n_secrets);
	EXPECT_EQ(3, sp.n_secrets);
	EXPECT_TRUE(ktls_engine_parked_secret(&sp, KTLS_PARKED_RESUMPTION) == NULL);
	EXPECT_MEMEQ(c_tx, ktls_engine_parked_secret(&cp, KTLS_PARKED_CLIENT_APP), hl);
	EXPECT_MEMEQ(s_tx, ktls_engine_parked_secret(&sp, KTLS_PARKED_SERVER_APP), hl);
	EXPECT_NONNULL(cp.saved);
	static const uint8_t zero[sizeof(struct ktls_engine)];
	EXPECT_EQ(0, memcmp(&p.c.e, zero, sizeof(zero)));

	ktls_engine_unpark(&p.c.e, &cp, &self->k.c->engine, &p.c.ops, &p.c);
	ktls_engine_unpark(&p.s.e, &sp, &self->k.s->engine, &p.s.ops, &p.s);
	EXPECT_TRUE(cp.secrets == NULL && !cp.parked);
	ASSERT_TRUE(engine_pair_connected(&p));
	EXPECT_MEMEQ(c_tx, ktls_engine_app_secret(&p.c.e, KTLS_DIR_TX), hl);
	EXPECT_MEMEQ(s_tx, ktls_engine_app_secret(&p.c.e, KTLS_DIR_RX), hl);
	EXPECT_MEMEQ(s_tx, ktls_engine_app_secret(&p.s.e, KTLS_DIR_TX), hl);
	EXPECT_MEMEQ(c_tx, ktls_engine_app_secret(&p.s.e, KTLS_DIR_RX), hl);
	EXPECT_NONNULL(p.c.e.saved);

	/* the server asks for a KeyUpdate: the client takes a new read key and answers */
	ASSERT_EQ(0, engine_pair_key_update(&p, &p.s, true));
	EXPECT_EQ(c_rx + 1, p.c.key_changes[KTLS_DIR_RX]);
	EXPECT_EQ(s_rx + 1, p.s.key_changes[KTLS_DIR_RX]);
	EXPECT_EQ(0, p.c.e.err);
	EXPECT_EQ(0, p.s.e.err);
	/* in the clear nothing else would notice: each end's next secrets agree (§7.2) */
	EXPECT_MEMEQ(ktls_engine_app_secret(&p.s.e, KTLS_DIR_TX),
		     ktls_engine_app_secret(&p.c.e, KTLS_DIR_RX), hl);
	EXPECT_MEMEQ(ktls_engine_app_secret(&p.c.e, KTLS_DIR_TX),
		     ktls_engine_app_secret(&p.s.e, KTLS_DIR_RX), hl);
	EXPECT_FALSE(memcmp(c_tx, ktls_engine_app_secret(&p.c.e, KTLS_DIR_TX), hl) == 0);
	ASSERT_EQ(0, engine_pair_send(&p, &p.s, "after", 5));
	ASSERT_EQ(5u, p.c.data_len);
	EXPECT_MEMEQ("after", p.c.data, 5);
	ASSERT_EQ(0, ktls_engine_close_notify(&p.c.e));
	engine_pair_run(&p, 10);
	EXPECT_TRUE(p.s.closed);
	ktls_engine_parked_free(&cp);
	ktls_engine_parked_free(&sp);
	engine_pair_free(&p);
}

TEST_HARNESS_MAIN
