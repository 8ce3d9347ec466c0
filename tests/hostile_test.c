/*
 * hostile_test.c — what our sessions do with input a hostile or broken peer sends (issue 7,
 * item 3). Every case asserts the exact alert our session puts on the wire, the error its
 * call returns, and that the session stays sane afterwards (the error sticks, a second call
 * sends nothing more, it frees cleanly — the ASan build runs this too).
 *
 * Two ways to be the hostile peer (tests/support/rawpeer.h):
 *   - raw: the test is the peer. It writes hand-built records (a ClientHello to our server,
 *     a ServerHello to our client) and decodes what the session answers.
 *   - relay: a real client session and a real server session talk through the test, which
 *     decrypts every record (it reads the traffic secrets from the sessions), and changes,
 *     drops or adds one message in flight, resealing under the right key so the receiver
 *     sees a well-protected but hostile message. Alerts are read off the wire by the relay,
 *     protected or not.
 * Expected alerts are the ones RFC 8446 names; each case cites its section.
 *
 * Note: our client sends alerts in the clear until its own second flight (it has no write
 * key before the server's Finished), so alerts from the client side are plaintext records;
 * the server's alerts after its first flight are protected under its application key.
 */
#include "harness.h"

#include "ktls.h"
#include "session.h"
#include "support/pair.h"
#include "support/rawpeer.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* AlertDescription (§6) */
enum {
	UNEXPECTED_MESSAGE = 10,
	BAD_RECORD_MAC = 20,
	BAD_CERTIFICATE = 42,
	RECORD_OVERFLOW = 22,
	HANDSHAKE_FAILURE = 40,
	ILLEGAL_PARAMETER = 47,
	DECODE_ERROR = 50,
	PROTOCOL_VERSION = 70,
	MISSING_EXTENSION = 109,
};

/* Handshake types (§4) */
enum {
	HS_CH = 1, HS_SH = 2, HS_EE = 8, HS_CERT = 11, HS_CR = 13, HS_CV = 15, HS_FIN = 20,
	HS_KEY_UPDATE = 24,
};

/* RFC 7748 §6.1, Alice's X25519 public key: a valid share that is not ours. */
static const uint8_t x25519_pub[32] = {
	0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
	0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
};

/* ---- hand-built hellos ------------------------------------------------------------------ */

enum versions { V_TLS13 = 0, V_TLS12_ONLY, V_NONE, V_DUPLICATE };

/* A ClientHello; the zero spec is a valid TLS 1.3 hello with an x25519 share. */
struct ch_spec {
	uint16_t legacy_version;       /* 0: 0x0303 */
	const uint8_t *compression;    /* NULL: { 0 } */
	size_t n_compression;
	enum versions versions;
	bool no_extensions;            /* a TLS 1.2-style hello without an extensions block */
	bool no_groups, no_sigalgs, no_key_share;
	const uint16_t *groups;        /* NULL: { x25519 } */
	size_t n_groups;
	const uint16_t *sigalgs;       /* NULL: { ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, ed25519 } */
	size_t n_sigalgs;
	uint16_t share_group;          /* 0: x25519 */
	const uint8_t *share;          /* NULL: x25519_pub */
	size_t share_len;
	bool share_twice;              /* the same share a second time */
	bool psk_modes;                /* psk_key_exchange_modes { psk_dhe_ke } */
	bool psk;                      /* a pre_shared_key (one identity, one binder) ... */
	bool psk_not_last;             /* ... followed by another extension */
	bool no_session_id;            /* an empty legacy_session_id (no compatibility mode) */
	bool empty_shares;             /* key_share present, client_shares empty (asks for HRR) */
	bool early_data;               /* the early_data extension (§4.2.10) */
	size_t n_unknown;              /* this many empty extensions of types we do not know, first */
	size_t n_extra_suites;         /* this many suites we do not know, before ours */
	size_t n_extra_shares;         /* shares (1-byte keys) for this many groups we do not
					* know, listed in supported_groups too, before the others */
	const uint8_t *raw_extensions; /* not NULL: the extensions block is exactly these bytes */
	size_t raw_extensions_len;
};

/* Appends the ClientHello message (header included) to b; *ext_len_at (if not NULL) gets
 * the offset of the extensions block's length field. */
static void build_client_hello(struct rp_buf *b, const struct ch_spec *sp, size_t *ext_len_at)
{
	static const uint8_t null_compression[] = { 0 };
	static const uint16_t def_groups[] = { 0x001d };
	static const uint16_t def_sigalgs[] = { 0x0403, 0x0804, 0x0807 };
	const uint16_t *groups = sp->groups ? sp->groups : def_groups;
	size_t n_groups = sp->groups ? sp->n_groups : 1;
	const uint16_t *sigalgs = sp->sigalgs ? sp->sigalgs : def_sigalgs;
	size_t n_sigalgs = sp->sigalgs ? sp->n_sigalgs : 3;

	rp_u8(b, HS_CH);
	rp_open(b, 3);
	rp_u16(b, sp->legacy_version ? sp->legacy_version : 0x0303);
	rp_fill(b, 0x11, 32); /* random */
	rp_open(b, 1);
	rp_fill(b, 0x22, sp->no_session_id ? 0 : 32); /* legacy_session_id */
	rp_close(b);
	rp_open(b, 2);
	for (size_t i = 0; i < sp->n_extra_suites; i++)
		rp_u16(b, (uint16_t)(0xa000 + i));
	rp_u16(b, 0x1303);
	rp_u16(b, 0x1301);
	rp_close(b);
	rp_open(b, 1);
	if (sp->compression)
		rp_put(b, sp->compression, sp->n_compression);
	else
		rp_put(b, null_compression, 1);
	rp_close(b);
	if (sp->no_extensions) {
		rp_close(b);
		return;
	}
	if (ext_len_at)
		*ext_len_at = b->len;
	rp_open(b, 2);
	if (sp->raw_extensions) {
		rp_put(b, sp->raw_extensions, sp->raw_extensions_len);
		rp_close(b);
		rp_close(b);
		return;
	}
	for (size_t i = 0; i < sp->n_unknown; i++) {
		rp_u16(b, (uint16_t)(0x4000 + i)); /* unassigned types, empty */
		rp_u16(b, 0);
	}
	if (sp->early_data) {
		rp_u16(b, 42); /* early_data, empty in ClientHello */
		rp_u16(b, 0);
	}
	for (int i = 0; i < (sp->versions == V_DUPLICATE ? 2 : 1) && sp->versions != V_NONE; i++) {
		rp_u16(b, 43); /* supported_versions */
		rp_open(b, 2);
		rp_open(b, 1);
		rp_u16(b, sp->versions == V_TLS12_ONLY ? 0x0303 : 0x0304);
		rp_close(b);
		rp_close(b);
	}
	if (!sp->no_groups) {
		rp_u16(b, 10); /* supported_groups */
		rp_open(b, 2);
		rp_open(b, 2);
		for (size_t i = 0; i < sp->n_extra_shares; i++)
			rp_u16(b, (uint16_t)(0x0200 + i));
		for (size_t i = 0; i < n_groups; i++)
			rp_u16(b, groups[i]);
		rp_close(b);
		rp_close(b);
	}
	if (!sp->no_sigalgs) {
		rp_u16(b, 13); /* signature_algorithms */
		rp_open(b, 2);
		rp_open(b, 2);
		for (size_t i = 0; i < n_sigalgs; i++)
			rp_u16(b, sigalgs[i]);
		rp_close(b);
		rp_close(b);
	}
	if (!sp->no_key_share) {
		rp_u16(b, 51); /* key_share */
		rp_open(b, 2);
		rp_open(b, 2);
		for (size_t i = 0; i < sp->n_extra_shares; i++) {
			rp_u16(b, (uint16_t)(0x0200 + i));
			rp_u16(b, 1);
			rp_u8(b, 0x42);
		}
		for (int i = 0; i < (sp->share_twice ? 2 : 1) && !sp->empty_shares; i++) {
			rp_u16(b, sp->share_group ? sp->share_group : 0x001d);
			rp_open(b, 2);
			if (sp->share)
				rp_put(b, sp->share, sp->share_len);
			else
				rp_put(b, x25519_pub, sizeof(x25519_pub));
			rp_close(b);
		}
		rp_close(b);
		rp_close(b);
	}
	if (sp->psk_modes) {
		rp_u16(b, 45); /* psk_key_exchange_modes */
		rp_open(b, 2);
		rp_open(b, 1);
		rp_u8(b, 1); /* psk_dhe_ke */
		rp_close(b);
		rp_close(b);
	}
	if (sp->psk) {
		rp_u16(b, 41); /* pre_shared_key: OfferedPsks */
		rp_open(b, 2);
		rp_open(b, 2); /* identities */
		rp_open(b, 2);
		rp_fill(b, 0x44, 16);
		rp_close(b);
		rp_fill(b, 0, 4); /* obfuscated_ticket_age */
		rp_close(b);
		rp_open(b, 2); /* binders */
		rp_open(b, 1);
		rp_fill(b, 0x55, 32);
		rp_close(b);
		rp_close(b);
		rp_close(b);
		if (sp->psk_not_last) {
			rp_u16(b, 0xfafa); /* a GREASE extension, empty */
			rp_u16(b, 0);
		}
	}
	rp_close(b); /* extensions */
	rp_close(b); /* message */
}

/* A ServerHello answering our client c; the zero spec is valid (x25519 share, chacha20). */
struct sh_spec {
	uint16_t legacy_version; /* 0: 0x0303 */
	uint16_t suite;          /* 0: TLS_CHACHA20_POLY1305_SHA256 */
	enum versions versions;  /* V_TLS12_ONLY puts 0x0303 in supported_versions */
	uint16_t hrr_group;      /* not 0: a HelloRetryRequest selecting this group */
};

/* §4.1.3: SHA-256("HelloRetryRequest") */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static void build_server_hello(struct rp_buf *b, const struct ktls_session *c, const struct sh_spec *sp)
{
	rp_u8(b, HS_SH);
	rp_open(b, 3);
	rp_u16(b, sp->legacy_version ? sp->legacy_version : 0x0303);
	if (sp->hrr_group)
		rp_put(b, hrr_random, 32);
	else
		rp_fill(b, 0x33, 32);
	rp_open(b, 1);
	rp_put(b, c->e->session_id, c->e->session_id_len);
	rp_close(b);
	rp_u16(b, sp->suite ? sp->suite : 0x1303);
	rp_u8(b, 0);
	rp_open(b, 2);
	for (int i = 0; i < (sp->versions == V_DUPLICATE ? 2 : 1) && sp->versions != V_NONE; i++) {
		rp_u16(b, 43);
		rp_open(b, 2);
		rp_u16(b, sp->versions == V_TLS12_ONLY ? 0x0303 : 0x0304);
		rp_close(b);
	}
	rp_u16(b, 51);
	rp_open(b, 2);
	if (sp->hrr_group) {
		rp_u16(b, sp->hrr_group);
	} else {
		rp_u16(b, 0x001d);
		rp_open(b, 2);
		rp_put(b, x25519_pub, sizeof(x25519_pub));
		rp_close(b);
	}
	rp_close(b);
	rp_close(b);
	rp_close(b);
}

/* The message with its last body byte cut (truncated) or one zero byte added (overlong),
 * the handshake header's length made to match: the framing is right, the body is not. */
static void reshape(struct rp_buf *out, const uint8_t *msg, size_t len, int delta)
{
	size_t body = len - 4 + (size_t)(long)delta;
	rp_u8(out, msg[0]);
	rp_u24(out, (uint32_t)body);
	rp_put(out, msg + 4, delta < 0 ? body : len - 4);
	if (delta > 0)
		rp_fill(out, 0, (size_t)delta);
}

/* ---- the relay's editor --------------------------------------------------------------- */

enum edit_op {
	ED_NONE,
	ED_TRUNCATE,  /* body one byte short, header matching */
	ED_OVERLONG,  /* body one byte long, header matching */
	ED_PLAINTEXT, /* the protected message sent as a plaintext handshake record */
	ED_DROP,      /* the message vanishes (the rest resealed in sequence) */
	ED_FLIP,      /* one bit of the record's AEAD tag flipped */
	ED_APPEND,    /* extra bytes after the message, in the same record */
	ED_CHAIN,     /* Certificate replaced by n_certs copies of its leaf */
	ED_ALERT,     /* replaced by a plaintext fatal handshake_failure alert */
	ED_BEFORE,    /* `extra` goes first (raw bytes, or sealed TLSInnerPlaintext), then the message */
};

struct edit {
	int dir;                 /* RP_C2S or RP_S2C */
	uint8_t msg;             /* the handshake message to act on */
	enum edit_op op;
	uint8_t drop_too[2];     /* other handshake messages to drop in that direction */
	struct rp_buf extra;     /* ED_APPEND, ED_BEFORE */
	bool extra_is_inner;     /* ED_BEFORE: seal extra as a TLSInnerPlaintext under the message's key */
	size_t n_certs;          /* ED_CHAIN */
	int done;                /* times the edit was made */
};

static int edit_hook(struct rp_mitm *m, int dir, const struct rp_rec *r, void *arg)
{
	struct edit *e = arg;
	struct rp_buf out = { 0 };

	if (dir != e->dir || r->type != 22 || r->len < 4)
		return 0;
	uint8_t t = r->data[0];
	if (t && (t == e->drop_too[0] || t == e->drop_too[1]))
		return 1;
	if (t != e->msg || e->done)
		return 0;
	e->done++;
	switch (e->op) {
	case ED_NONE:
		return 0;
	case ED_TRUNCATE:
	case ED_OVERLONG:
		reshape(&out, r->data, r->len, e->op == ED_TRUNCATE ? -1 : 1);
		rp_emit(m, dir, r->key, 22, out.p, out.len);
		break;
	case ED_PLAINTEXT:
		rp_emit(m, dir, RP_PLAIN, 22, r->data, r->len);
		break;
	case ED_DROP:
		break;
	case ED_FLIP:
		if (!rp_seal_out(m, dir, r->key, 22, r->data, r->len, &out)) {
			out.p[out.len - 1] ^= 0x01;
			rp_emit_raw(m, dir, out.p, out.len);
		}
		break;
	case ED_APPEND:
		rp_put(&out, r->data, r->len);
		rp_put(&out, e->extra.p, e->extra.len);
		rp_emit(m, dir, r->key, 22, out.p, out.len);
		break;
	case ED_CHAIN: {
		/* Certificate: context<0..255>, list<0..2^24-1> of { cert_data<1..2^24-1>,
		 * extensions<0..2^16-1> }; take the first cert_data */
		const uint8_t *p = r->data + 4;
		size_t ctx = p[0];
		const uint8_t *entry = p + 1 + ctx + 3;
		size_t cert_len = (size_t)entry[0] << 16 | (size_t)entry[1] << 8 | entry[2];
		rp_u8(&out, HS_CERT);
		rp_open(&out, 3);
		rp_open(&out, 1);
		rp_put(&out, p + 1, ctx);
		rp_close(&out);
		rp_open(&out, 3);
		for (size_t i = 0; i < e->n_certs; i++) {
			rp_open(&out, 3);
			rp_put(&out, entry + 3, cert_len);
			rp_close(&out);
			rp_u16(&out, 0);
		}
		rp_close(&out);
		rp_close(&out);
		rp_emit(m, dir, r->key, 22, out.p, out.len);
		break;
	}
	case ED_ALERT: {
		static const uint8_t alert[] = { 2, HANDSHAKE_FAILURE };
		rp_emit(m, dir, RP_PLAIN, 21, alert, sizeof(alert));
		break;
	}
	case ED_BEFORE:
		if (e->extra_is_inner)
			rp_emit_inner(m, dir, r->key, e->extra.p, e->extra.len);
		else
			rp_emit_raw(m, dir, e->extra.p, e->extra.len);
		rp_emit(m, dir, r->key, r->type, r->data, r->len);
		break;
	}
	rp_buf_free(&out);
	return 1;
}

/* ---- fixture -------------------------------------------------------------------------- */

FIXTURE(hostile)
{
	struct ktls_config *ccfg, *scfg;
	struct rp_mitm m;
	struct edit e;
	struct rp_buf b; /* scratch for hand-built messages and records */
};

FIXTURE_SETUP(hostile)
{
	self->m.c_fd = self->m.s_fd = -1;
	self->ccfg = ktls_config_new(KTLS_ROLE_CLIENT);
	self->scfg = ktls_config_new(KTLS_ROLE_SERVER);
	ASSERT_NONNULL(self->ccfg);
	ASSERT_NONNULL(self->scfg);
	ASSERT_EQ(0, ktls_config_set_cert(self->scfg, test_cert("server-ecdsa.pem"),
					  test_cert("server-ecdsa.key")));
	ASSERT_EQ(0, ktls_config_set_ca(self->ccfg, test_cert("ca.pem"), NULL));
	ASSERT_EQ(0, ktls_config_set_server_name(self->ccfg, "localhost"));
	/* userspace records on both sides: the relay must see (and can open) every record */
	ASSERT_EQ(0, ktls_config_set_offload(self->ccfg, KTLS_OFFLOAD_NONE, 0));
	ASSERT_EQ(0, ktls_config_set_offload(self->scfg, KTLS_OFFLOAD_NONE, 0));
}

FIXTURE_TEARDOWN(hostile)
{
	rp_mitm_close(&self->m);
	rp_buf_free(&self->e.extra);
	rp_buf_free(&self->b);
	ktls_config_free(self->ccfg);
	ktls_config_free(self->scfg);
}

/* Our server alone; the test is its client. */
static void open_server(FIXTURE_DATA(hostile) *self)
{
	ASSERT_EQ(0, rp_mitm_open(&self->m, NULL, self->scfg));
}

/* Our client alone; the test is its server. The client's ClientHello is sent (and dropped). */
static void open_client(FIXTURE_DATA(hostile) *self)
{
	ASSERT_EQ(0, rp_mitm_open(&self->m, self->ccfg, NULL));
	self->m.crc = ktls_session_handshake(self->m.c);
	ASSERT_EQ(KTLS_WANT_READ, self->m.crc);
	ASSERT_EQ(1, rp_pump(&self->m, RP_C2S));
}

/* Both of ours through the editing relay. */
static void open_relay(FIXTURE_DATA(hostile) *self, int dir, uint8_t msg, enum edit_op op)
{
	self->e.dir = dir;
	self->e.msg = msg;
	self->e.op = op;
	ASSERT_EQ(0, rp_mitm_open(&self->m, self->ccfg, self->scfg));
	self->m.hook = edit_hook;
	self->m.arg = &self->e;
}

/* Sends a handshake message to our server as plaintext records, steps it once, and decodes
 * what it answered. */
static void client_sends(FIXTURE_DATA(hostile) *self, const uint8_t *msg, size_t len)
{
	struct rp_buf recs = { 0 };
	rp_handshake_records(&recs, msg, len);
	ASSERT_EQ(0, rp_inject(&self->m, RP_C2S, recs.p, recs.len));
	rp_buf_free(&recs);
	self->m.src = ktls_session_handshake(self->m.s);
	rp_pump(&self->m, RP_S2C);
}

/* Raw bytes to our server, one step, its answer decoded. */
static void client_sends_raw(FIXTURE_DATA(hostile) *self, const uint8_t *p, size_t len)
{
	ASSERT_EQ(0, rp_inject(&self->m, RP_C2S, p, len));
	self->m.src = ktls_session_handshake(self->m.s);
	rp_pump(&self->m, RP_S2C);
}

/* The same towards our client. */
static void server_sends(FIXTURE_DATA(hostile) *self, const uint8_t *msg, size_t len)
{
	struct rp_buf recs = { 0 };
	rp_handshake_records(&recs, msg, len);
	ASSERT_EQ(0, rp_inject(&self->m, RP_S2C, recs.p, recs.len));
	rp_buf_free(&recs);
	self->m.crc = ktls_session_handshake(self->m.c);
	rp_pump(&self->m, RP_C2S);
}

/* A ClientHello from spec to our server. */
static void send_client_hello(FIXTURE_DATA(hostile) *self, const struct ch_spec *sp)
{
	rp_clear(&self->b);
	build_client_hello(&self->b, sp, NULL);
	client_sends(self, self->b.p, self->b.len);
}

/* A ServerHello from spec to our client. */
static void send_server_hello(FIXTURE_DATA(hostile) *self, const struct sh_spec *sp)
{
	rp_clear(&self->b);
	build_server_hello(&self->b, self->m.c, sp);
	server_sends(self, self->b.p, self->b.len);
}

/* The session failed with err and put exactly one fatal `alert` on the wire in direction
 * dir (-1: none at all); it stays failed, and a second call sends nothing more. */
static void expect_failed(FIXTURE_DATA(hostile) *self, struct ktls_session *s, int rc, int dir,
			  int err, int alert)
{
	struct ktls_session_info info;
	EXPECT_EQ(err, rc);
	EXPECT_EQ(alert, self->m.d[dir].alert);
	if (alert >= 0) {
		EXPECT_EQ(2, self->m.d[dir].alert_level); /* fatal */
		EXPECT_EQ(1, self->m.d[dir].alerts);
	} else {
		EXPECT_EQ(0, self->m.d[dir].alerts);
	}
	EXPECT_EQ(0, self->m.d[dir].opaque); /* the relay could read all it sent */
	ASSERT_EQ(0, ktls_session_get_info(s, &info));
	EXPECT_EQ(alert, info.alert_sent);
	TH_LOG("session error: %s", ktls_session_error(s));
	/* the error sticks, and nothing more goes out */
	int records = self->m.d[dir].records;
	EXPECT_EQ(err, ktls_session_handshake(s));
	rp_pump(&self->m, dir);
	EXPECT_EQ(records, self->m.d[dir].records);
}

static void expect_server_failed(FIXTURE_DATA(hostile) *self, int err, int alert)
{
	expect_failed(self, self->m.s, self->m.src, RP_S2C, err, alert);
}

static void expect_client_failed(FIXTURE_DATA(hostile) *self, int err, int alert)
{
	expect_failed(self, self->m.c, self->m.crc, RP_C2S, err, alert);
}

/* In a relay case the other side learns of the alert: it names it. */
static void expect_peer_got(FIXTURE_DATA(hostile) *self, struct ktls_session *peer, int rc,
			    int alert)
{
	struct ktls_session_info info;
	char want[80];
	uint8_t buf[16];
	if (rc == 0) /* it had finished its side: it reads the alert next */
		rc = (int)ktls_recv(peer, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EALERT, rc);
	ASSERT_EQ(0, ktls_session_get_info(peer, &info));
	EXPECT_EQ(alert, info.alert_received);
	snprintf(want, sizeof(want), "peer sent alert: %s", ktls_alert_name(alert));
	EXPECT_STREQ(want, ktls_session_error(peer));
	(void)self;
}

/* A valid ClientHello, our server's whole first flight in answer: it now waits for the
 * client's second flight under the client handshake key. */
static void server_after_first_flight(FIXTURE_DATA(hostile) *self)
{
	struct ch_spec sp = { 0 };
	open_server(self);
	send_client_hello(self, &sp);
	ASSERT_EQ(KTLS_WANT_READ, self->m.src);
	ASSERT_EQ(-1, self->m.d[RP_S2C].alert);
	/* SH, the middlebox-compatibility CCS (the hello has a session id), EE, Certificate,
	 * CV, Finished */
	ASSERT_EQ(6, self->m.d[RP_S2C].records);
}

/* ---- sanity: the tools work on a good handshake --------------------------------------- */

TEST_F(hostile, relay_passes_a_clean_handshake)
{
	uint8_t got[5];
	open_relay(self, RP_S2C, 0, ED_NONE);
	rp_run(&self->m);
	ASSERT_EQ(0, self->m.crc);
	ASSERT_EQ(0, self->m.src);
	EXPECT_EQ(0, self->m.d[RP_C2S].opaque);
	EXPECT_EQ(0, self->m.d[RP_S2C].opaque);
	/* SH CCS EE Cert CV Fin, then the two NewSessionTickets of the default config, all
	 * opened: both sides in middlebox compatibility mode (Appendix D.4) */
	EXPECT_EQ(8, self->m.d[RP_S2C].records);
	EXPECT_EQ(3, self->m.d[RP_C2S].records); /* CH CCS Fin */
	ASSERT_EQ(5, ktls_send(self->m.c, "hello", 5));
	rp_pump(&self->m, RP_C2S);
	ASSERT_EQ(5, ktls_recv(self->m.s, got, sizeof(got)));
	EXPECT_MEMEQ("hello", got, 5);
}

/* §4.1.2: "legacy_version ... MUST be set to 0x0303"; TLS 1.3 servers negotiate by
 * supported_versions and ignore it. A hello with 0x0301 there is answered normally. */
TEST_F(hostile, client_hello_legacy_version_is_ignored)
{
	struct ch_spec sp = { .legacy_version = 0x0301 };
	open_server(self);
	send_client_hello(self, &sp);
	EXPECT_EQ(KTLS_WANT_READ, self->m.src);
	EXPECT_EQ(-1, self->m.d[RP_S2C].alert);
	EXPECT_EQ(6, self->m.d[RP_S2C].records); /* SH CCS EE Cert CV Fin */
}

/* ---- truncated and overlong lengths: decode_error (§6.2: "the length of the message was
 * incorrect"; §4 structures must be consumed exactly) ---------------------------------- */

TEST_F(hostile, client_hello_truncated)
{
	open_server(self);
	build_client_hello(&self->b, &(struct ch_spec){ 0 }, NULL);
	reshape(&self->e.extra, self->b.p, self->b.len, -1);
	client_sends(self, self->e.extra.p, self->e.extra.len);
	expect_server_failed(self, KTLS_EDECODE, DECODE_ERROR);
}

TEST_F(hostile, client_hello_overlong)
{
	open_server(self);
	build_client_hello(&self->b, &(struct ch_spec){ 0 }, NULL);
	reshape(&self->e.extra, self->b.p, self->b.len, 1);
	client_sends(self, self->e.extra.p, self->e.extra.len);
	expect_server_failed(self, KTLS_EDECODE, DECODE_ERROR);
}

/* The extensions block claims one byte more than the message holds. */
TEST_F(hostile, client_hello_extensions_length_overruns)
{
	size_t at = 0;
	open_server(self);
	build_client_hello(&self->b, &(struct ch_spec){ 0 }, &at);
	ASSERT_NE(0, at);
	uint16_t n = (uint16_t)(self->b.p[at] << 8 | self->b.p[at + 1]);
	n++;
	self->b.p[at] = (uint8_t)(n >> 8);
	self->b.p[at + 1] = (uint8_t)n;
	client_sends(self, self->b.p, self->b.len);
	expect_server_failed(self, KTLS_EDECODE, DECODE_ERROR);
}

TEST_F(hostile, server_hello_truncated)
{
	open_client(self);
	build_server_hello(&self->b, self->m.c, &(struct sh_spec){ 0 });
	reshape(&self->e.extra, self->b.p, self->b.len, -1);
	server_sends(self, self->e.extra.p, self->e.extra.len);
	expect_client_failed(self, KTLS_EDECODE, DECODE_ERROR);
}

TEST_F(hostile, server_hello_overlong)
{
	open_client(self);
	build_server_hello(&self->b, self->m.c, &(struct sh_spec){ 0 });
	reshape(&self->e.extra, self->b.p, self->b.len, 1);
	server_sends(self, self->e.extra.p, self->e.extra.len);
	expect_client_failed(self, KTLS_EDECODE, DECODE_ERROR);
}

/* The server's protected messages, reshaped in flight and resealed under its handshake key:
 * our client fails with decode_error (in the clear: it has no write key yet) and our server
 * hears it by name. */
static void server_message_reshaped(FIXTURE_DATA(hostile) *self, uint8_t msg, enum edit_op op)
{
	open_relay(self, RP_S2C, msg, op);
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_client_failed(self, KTLS_EDECODE, DECODE_ERROR);
	expect_peer_got(self, self->m.s, self->m.src, DECODE_ERROR);
}

TEST_F(hostile, encrypted_extensions_truncated)
{
	server_message_reshaped(self, HS_EE, ED_TRUNCATE);
}

TEST_F(hostile, encrypted_extensions_overlong)
{
	server_message_reshaped(self, HS_EE, ED_OVERLONG);
}

TEST_F(hostile, certificate_truncated)
{
	server_message_reshaped(self, HS_CERT, ED_TRUNCATE);
}

TEST_F(hostile, certificate_overlong)
{
	server_message_reshaped(self, HS_CERT, ED_OVERLONG);
}

TEST_F(hostile, certificate_verify_truncated)
{
	server_message_reshaped(self, HS_CV, ED_TRUNCATE);
}

TEST_F(hostile, certificate_verify_overlong)
{
	server_message_reshaped(self, HS_CV, ED_OVERLONG);
}

TEST_F(hostile, finished_truncated)
{
	server_message_reshaped(self, HS_FIN, ED_TRUNCATE);
}

TEST_F(hostile, finished_overlong)
{
	server_message_reshaped(self, HS_FIN, ED_OVERLONG);
}

/* The client's Finished to our server: its alert is protected under the server's
 * application key (the relay opens it). */
TEST_F(hostile, client_finished_truncated)
{
	open_relay(self, RP_C2S, HS_FIN, ED_TRUNCATE);
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_server_failed(self, KTLS_EDECODE, DECODE_ERROR);
	expect_peer_got(self, self->m.c, self->m.crc, DECODE_ERROR);
}

/* ---- extensions: duplicated, mandatory ones missing, inconsistent ----------------------- */

/* §4.2: "There MUST NOT be more than one extension of the same type in a given extension
 * block" — illegal_parameter, as picotls/BoringSSL/OpenSSL answer it. */
TEST_F(hostile, client_hello_duplicate_supported_versions)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .versions = V_DUPLICATE });
	expect_server_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

TEST_F(hostile, server_hello_duplicate_supported_versions)
{
	open_client(self);
	send_server_hello(self, &(struct sh_spec){ .versions = V_DUPLICATE });
	expect_client_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* §9.2: "If containing a "key_share" extension, it MUST also contain a "supported_groups"
 * extension" ... "servers MUST abort ... with a "missing_extension" alert". */
TEST_F(hostile, client_hello_key_share_without_supported_groups)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .no_groups = true });
	expect_server_failed(self, KTLS_EMISSINGEXT, MISSING_EXTENSION);
}

/* §9.2: without a PSK, a ClientHello MUST carry signature_algorithms; missing_extension. */
TEST_F(hostile, client_hello_without_signature_algorithms)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .no_sigalgs = true });
	expect_server_failed(self, KTLS_EMISSINGEXT, MISSING_EXTENSION);
}

/* §4.2.8: "Clients MUST NOT offer any KeyShareEntrys for groups not listed in the client's
 * "supported_groups" extension. Servers MAY check for violations of these rules and abort
 * the handshake with an "illegal_parameter" alert". */
TEST_F(hostile, client_hello_key_share_not_in_supported_groups)
{
	static const uint16_t p256[] = { 0x0017 };
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .groups = p256, .n_groups = 1 });
	expect_server_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* ---- illegal values ---------------------------------------------------------------------- */

/* §4.1.2: legacy_compression_methods "MUST contain exactly one byte, set to zero ... If a
 * TLS 1.3 ClientHello is received with any other value in this field, the server MUST abort
 * the handshake with an "illegal_parameter" alert." legacy_version (0x0301 here) is not
 * what decides. */
TEST_F(hostile, client_hello_compression_not_null)
{
	static const uint8_t comp[] = { 0, 1 };
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .legacy_version = 0x0301, .compression = comp,
						  .n_compression = 2 });
	expect_server_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* §4.2.8.2 / RFC 7748: an X25519 key_exchange is 32 bytes. */
TEST_F(hostile, client_hello_x25519_share_31_bytes)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .share = x25519_pub, .share_len = 31 });
	expect_server_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* §7.4.2: an all-zero X25519 shared secret (a zero or low-order share) MUST abort. */
TEST_F(hostile, client_hello_x25519_share_all_zero)
{
	static const uint8_t zero[32];
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .share = zero, .share_len = 32 });
	expect_server_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* §4.1.1: no group in common (brainpoolP256r1tls13 only) and no HelloRetryRequest possible:
 * handshake_failure. */
TEST_F(hostile, client_hello_only_unsupported_group)
{
	/* brainpoolP256r1tls13 (RFC 8734): a TLS 1.3 group we do not implement */
	static const uint16_t brainpool[] = { 0x001f };
	static const uint8_t share[65] = { 4, 5 };
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .groups = brainpool, .n_groups = 1,
						  .share_group = 0x001f, .share = share,
						  .share_len = sizeof(share) });
	expect_server_failed(self, KTLS_EHANDSHAKE, HANDSHAKE_FAILURE);
}

/* §4.4.3 / §4.1.1: nothing our ECDSA P-256 key can sign with (ed25519, RSA-PSS only):
 * handshake_failure. */
TEST_F(hostile, client_hello_no_signature_scheme_for_our_key)
{
	static const uint16_t schemes[] = { 0x0807, 0x0804 };
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .sigalgs = schemes, .n_sigalgs = 2 });
	expect_server_failed(self, KTLS_EHANDSHAKE, HANDSHAKE_FAILURE);
}

/* §4.2.1: a server that only does TLS 1.3 answers a hello without 0x0304 in
 * supported_versions with protocol_version. */
TEST_F(hostile, client_hello_offers_only_tls12)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .versions = V_TLS12_ONLY });
	expect_server_failed(self, KTLS_EVERSION, PROTOCOL_VERSION);
}

TEST_F(hostile, client_hello_without_extensions)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .no_extensions = true });
	expect_server_failed(self, KTLS_EVERSION, PROTOCOL_VERSION);
}

/* §4.1.3: "A client which receives a cipher suite that was not offered MUST abort the
 * handshake with an "illegal_parameter" alert." We offer ChaCha20 only; AES-256 comes back. */
TEST_F(hostile, server_hello_suite_not_offered)
{
	ASSERT_EQ(0, ktls_config_set_ciphers(self->ccfg, "chacha20"));
	open_client(self);
	send_server_hello(self, &(struct sh_spec){ .suite = 0x1302 });
	expect_client_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* §4.2.1: "If the "supported_versions" extension in the ServerHello contains a version not
 * offered by the client or contains a version prior to TLS 1.3, the client MUST abort the
 * handshake with an "illegal_parameter" alert." */
TEST_F(hostile, server_hello_selects_tls12_in_supported_versions)
{
	open_client(self);
	send_server_hello(self, &(struct sh_spec){ .versions = V_TLS12_ONLY });
	expect_client_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* §4.1.3 / §4.2.1: a ServerHello without supported_versions negotiates TLS 1.2 or older,
 * which a TLS 1.3-only client refuses with protocol_version. */
TEST_F(hostile, server_hello_without_supported_versions)
{
	open_client(self);
	send_server_hello(self, &(struct sh_spec){ .versions = V_NONE });
	expect_client_failed(self, KTLS_EVERSION, PROTOCOL_VERSION);
}

/* ---- messages out of order: unexpected_message (§4, §A) -------------------------------- */

/* The server's Certificate and CertificateVerify vanish: Finished comes in WAIT_CERT_CR. */
TEST_F(hostile, finished_before_certificate)
{
	open_relay(self, RP_S2C, HS_CERT, ED_DROP);
	self->e.drop_too[0] = HS_CV;
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_client_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
	expect_peer_got(self, self->m.s, self->m.src, UNEXPECTED_MESSAGE);
}

/* Mutual TLS: the client's Certificate and CertificateVerify vanish; our server waits for
 * a Certificate and gets Finished. */
TEST_F(hostile, client_finished_before_certificate)
{
	ASSERT_EQ(0, ktls_config_set_client_auth(self->scfg, KTLS_CLIENT_AUTH_REQUIRED));
	ASSERT_EQ(0, ktls_config_set_ca(self->scfg, test_cert("ca.pem"), NULL));
	ASSERT_EQ(0, ktls_config_set_cert(self->ccfg, test_cert("client.pem"), test_cert("client.key")));
	open_relay(self, RP_C2S, HS_CERT, ED_DROP);
	self->e.drop_too[0] = HS_CV;
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
	expect_peer_got(self, self->m.c, self->m.crc, UNEXPECTED_MESSAGE);
}

/* A second ClientHello without a HelloRetryRequest: after our first flight the server reads
 * under the client handshake key, and a plaintext handshake record is unexpected. */
TEST_F(hostile, second_client_hello_without_hello_retry_request)
{
	server_after_first_flight(self);
	rp_clear(&self->b);
	build_client_hello(&self->b, &(struct ch_spec){ 0 }, NULL);
	client_sends(self, self->b.p, self->b.len);
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* EncryptedExtensions in a plaintext record: after ServerHello everything is protected
 * (§2, §5). */
TEST_F(hostile, encrypted_extensions_in_plaintext)
{
	open_relay(self, RP_S2C, HS_EE, ED_PLAINTEXT);
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_client_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
	expect_peer_got(self, self->m.s, self->m.src, UNEXPECTED_MESSAGE);
}

/* A ServerHello to our server. */
TEST_F(hostile, server_hello_to_a_server)
{
	uint8_t sid[32] = { 0 };
	struct ktls_engine fake_e = { .session_id_len = 32 };
	struct ktls_session fake = { .e = &fake_e };
	memcpy(fake_e.session_id, sid, 32);
	open_server(self);
	build_server_hello(&self->b, &fake, &(struct sh_spec){ 0 });
	client_sends(self, self->b.p, self->b.len);
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* ---- records ---------------------------------------------------------------------------- */

/* §5.1: "Implementations MUST NOT send zero-length fragments of Handshake types"; our
 * receiver refuses them with unexpected_message. Before any key: */
TEST_F(hostile, empty_handshake_record)
{
	static const uint8_t rec[] = { 22, 3, 3, 0, 0 };
	open_server(self);
	client_sends_raw(self, rec, sizeof(rec));
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* ... and protected (a TLSInnerPlaintext of type handshake and no content), before the
 * client's Finished. */
TEST_F(hostile, empty_protected_handshake_record)
{
	open_relay(self, RP_C2S, HS_FIN, ED_BEFORE);
	rp_u8(&self->e.extra, 22);
	self->e.extra_is_inner = true;
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* §5.4: a TLSInnerPlaintext of zeros only has no content type: "If a receiving
 * implementation does not find a non-zero octet in the cleartext, it MUST terminate the
 * connection with an "unexpected_message" alert." */
TEST_F(hostile, protected_record_of_padding_only)
{
	open_relay(self, RP_C2S, HS_FIN, ED_BEFORE);
	rp_fill(&self->e.extra, 0, 16);
	self->e.extra_is_inner = true;
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* §5.1: "The length MUST NOT exceed 2^14 bytes. An endpoint that receives a record that
 * exceeds this length MUST terminate the connection with a "record_overflow" alert." */
TEST_F(hostile, plaintext_record_over_2_14)
{
	open_server(self);
	rp_u8(&self->b, 22);
	rp_u16(&self->b, 0x0303);
	rp_u16(&self->b, 16385);
	rp_fill(&self->b, 1, 16385);
	client_sends_raw(self, self->b.p, self->b.len);
	expect_server_failed(self, KTLS_EOVERFLOW, RECORD_OVERFLOW);
}

/* The same limit holds whatever the record's type: a 2^14 + 1 byte plaintext alert
 * record. */
TEST_F(hostile, plaintext_alert_record_over_2_14)
{
	open_server(self);
	rp_u8(&self->b, 21);
	rp_u16(&self->b, 0x0303);
	rp_u16(&self->b, 16385);
	rp_u8(&self->b, 2);
	rp_u8(&self->b, HANDSHAKE_FAILURE);
	rp_fill(&self->b, 0, 16383);
	client_sends_raw(self, self->b.p, self->b.len);
	expect_server_failed(self, KTLS_EOVERFLOW, RECORD_OVERFLOW);
}

/* §5.2: "The length [of TLSCiphertext.encrypted_record] MUST NOT exceed 2^14 + 256 bytes.
 * An endpoint that receives a record that exceeds this length MUST terminate the connection
 * with a "record_overflow" alert." Only the header is sent: it must be refused as is. */
TEST_F(hostile, ciphertext_record_over_2_14_plus_256)
{
	open_relay(self, RP_C2S, HS_FIN, ED_BEFORE);
	static const uint8_t hdr[] = { 23, 3, 3, (16384 + 257) >> 8, (16384 + 257) & 0xff };
	rp_put(&self->e.extra, hdr, sizeof(hdr));
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_server_failed(self, KTLS_EOVERFLOW, RECORD_OVERFLOW);
}

/* §5.4: "The length [of TLSInnerPlaintext] MUST NOT exceed 2^14 + 1 octets"; a properly
 * sealed record holding 2^14 + 2 is record_overflow. */
TEST_F(hostile, protected_inner_plaintext_over_2_14_plus_1)
{
	open_relay(self, RP_C2S, HS_FIN, ED_BEFORE);
	/* 2^14 content bytes, the type (application_data), one byte of padding */
	rp_fill(&self->e.extra, 0x17, 16384);
	rp_u8(&self->e.extra, 23);
	rp_u8(&self->e.extra, 0);
	self->e.extra_is_inner = true;
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_server_failed(self, KTLS_EOVERFLOW, RECORD_OVERFLOW);
}

/* §5.2: a record that does not authenticate is bad_record_mac. A bit of the tag of the
 * server's Certificate record flipped on the way to our client: */
TEST_F(hostile, bad_aead_tag_to_client)
{
	open_relay(self, RP_S2C, HS_CERT, ED_FLIP);
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_client_failed(self, KTLS_EBADMAC, BAD_RECORD_MAC);
	expect_peer_got(self, self->m.s, self->m.src, BAD_RECORD_MAC);
}

/* ... and of the client's Finished on the way to our server. */
TEST_F(hostile, bad_aead_tag_to_server)
{
	open_relay(self, RP_C2S, HS_FIN, ED_FLIP);
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_server_failed(self, KTLS_EBADMAC, BAD_RECORD_MAC);
	expect_peer_got(self, self->m.c, self->m.crc, BAD_RECORD_MAC);
}

/* §5: "If a TLS implementation receives an unexpected record type, it MUST terminate the
 * connection with an "unexpected_message" alert." Content type 0 (invalid): */
TEST_F(hostile, content_type_zero)
{
	static const uint8_t rec[] = { 0, 3, 3, 0, 1, 1 };
	open_server(self);
	client_sends_raw(self, rec, sizeof(rec));
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* ... and an unassigned one (24, heartbeat, is not TLS 1.3). */
TEST_F(hostile, content_type_unknown)
{
	static const uint8_t rec[] = { 24, 3, 3, 0, 1, 1 };
	open_server(self);
	client_sends_raw(self, rec, sizeof(rec));
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* §5: "An implementation which receives any other change_cipher_spec value or which receives
 * a protected change_cipher_spec record MUST abort the handshake with an
 * "unexpected_message" alert." After our server's flight, a CCS of 0x02: */
TEST_F(hostile, change_cipher_spec_not_one)
{
	static const uint8_t ccs[] = { 20, 3, 3, 0, 1, 2 };
	server_after_first_flight(self);
	client_sends_raw(self, ccs, sizeof(ccs));
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* ... a protected one, before the client's Finished: */
TEST_F(hostile, change_cipher_spec_protected)
{
	open_relay(self, RP_C2S, HS_FIN, ED_BEFORE);
	static const uint8_t inner[] = { 1, 20 };
	rp_put(&self->e.extra, inner, sizeof(inner));
	self->e.extra_is_inner = true;
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* ... and §5: "An implementation may receive an unencrypted record of type
 * change_cipher_spec consisting of the single byte value 0x01 at any time after the first
 * ClientHello message has been sent or received and before the peer's Finished message has
 * been received": after the handshake it is unexpected_message. Our client, connected, gets
 * one; its alert goes out under its application key. */
TEST_F(hostile, change_cipher_spec_after_handshake)
{
	static const uint8_t ccs[] = { 20, 3, 3, 0, 1, 1 };
	uint8_t buf[16];
	struct ktls_session_info info;
	open_relay(self, RP_S2C, 0, ED_NONE);
	rp_run(&self->m);
	ASSERT_EQ(0, self->m.crc);
	ASSERT_EQ(0, self->m.src);
	ASSERT_EQ(0, rp_inject(&self->m, RP_S2C, ccs, sizeof(ccs)));
	EXPECT_EQ(KTLS_EUNEXPECTED, ktls_recv(self->m.c, buf, sizeof(buf)));
	rp_pump(&self->m, RP_C2S);
	EXPECT_EQ(UNEXPECTED_MESSAGE, self->m.d[RP_C2S].alert);
	EXPECT_EQ(2, self->m.d[RP_C2S].alert_level);
	EXPECT_EQ(RP_KEY_APP, self->m.d[RP_C2S].rx_idx);
	EXPECT_EQ(0, self->m.d[RP_C2S].opaque);
	ASSERT_EQ(0, ktls_session_get_info(self->m.c, &info));
	EXPECT_EQ(UNEXPECTED_MESSAGE, info.alert_sent);
	EXPECT_EQ(KTLS_EUNEXPECTED, ktls_recv(self->m.c, buf, sizeof(buf))); /* sticks */
	/* our server hears it */
	EXPECT_EQ(KTLS_EALERT, ktls_recv(self->m.s, buf, sizeof(buf)));
	EXPECT_STREQ("peer sent alert: unexpected_message", ktls_session_error(self->m.s));
}

/* ---- an alert in the clear mid-handshake (§6.2): reported by name, nothing sent back ---- */

TEST_F(hostile, plaintext_alert_to_server_mid_handshake)
{
	static const uint8_t alert[] = { 21, 3, 3, 0, 2, 2, HANDSHAKE_FAILURE };
	struct ktls_session_info info;
	server_after_first_flight(self);
	int before = self->m.d[RP_S2C].records;
	client_sends_raw(self, alert, sizeof(alert));
	EXPECT_EQ(KTLS_EALERT, self->m.src);
	EXPECT_STREQ("peer sent alert: handshake_failure", ktls_session_error(self->m.s));
	ASSERT_EQ(0, ktls_session_get_info(self->m.s, &info));
	EXPECT_EQ(HANDSHAKE_FAILURE, info.alert_received);
	EXPECT_EQ(-1, info.alert_sent);
	EXPECT_EQ(before, self->m.d[RP_S2C].records); /* nothing back */
	EXPECT_EQ(KTLS_EALERT, ktls_session_handshake(self->m.s));
	rp_pump(&self->m, RP_S2C);
	EXPECT_EQ(before, self->m.d[RP_S2C].records);
}

/* Our client, after ServerHello, gets a plaintext alert where EncryptedExtensions was. */
TEST_F(hostile, plaintext_alert_to_client_mid_handshake)
{
	struct ktls_session_info info;
	open_relay(self, RP_S2C, HS_EE, ED_ALERT);
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	EXPECT_EQ(KTLS_EALERT, self->m.crc);
	EXPECT_STREQ("peer sent alert: handshake_failure", ktls_session_error(self->m.c));
	ASSERT_EQ(0, ktls_session_get_info(self->m.c, &info));
	EXPECT_EQ(HANDSHAKE_FAILURE, info.alert_received);
	EXPECT_EQ(-1, info.alert_sent);
	EXPECT_EQ(1, self->m.d[RP_C2S].records); /* its ClientHello, nothing after */
	EXPECT_EQ(-1, self->m.d[RP_C2S].alert);
}

/* ---- size limits ---------------------------------------------------------------------- */

/* A certificate chain over the size limit. RFC 8446 names no alert for a chain over a local
 * limit (§4.4.2 leaves chain policy to the endpoint; §6.2 bad_certificate is "a certificate
 * was corrupt, contained signatures that did not verify correctly, etc."). The library has
 * two limits: the configured max_chain_length (default 10), refused in hs_common.c as
 * KTLS_EBADCERT, and the decoder's hard cap KTLS_MAX_CHAIN (lib/core/caps.h), refused in
 * messages.c as KTLS_EILLEGAL. One condition, one alert: both cases expect bad_certificate
 * (the deliberate choice in hs_common.c) — pending the lead's decision. */
static void chain_over(FIXTURE_DATA(hostile) *self, size_t n)
{
	open_relay(self, RP_S2C, HS_CERT, ED_CHAIN);
	self->e.n_certs = n;
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_client_failed(self, KTLS_EBADCERT, BAD_CERTIFICATE);
	expect_peer_got(self, self->m.s, self->m.src, BAD_CERTIFICATE);
}

TEST_F(hostile, certificate_chain_over_configured_limit)
{
	struct ktls_limits l;
	ktls_limits_default(&l);
	chain_over(self, l.max_chain_length + 1);
}

TEST_F(hostile, certificate_chain_over_hard_cap)
{
	chain_over(self, KTLS_MAX_CHAIN + 1);
}

/* A handshake message announced one byte over the limit (ktls_limits.max_handshake_message,
 * default 64 KiB) is
 * decode_error as soon as its header is in — the session does not wait for (or buffer) the
 * rest: the records after the first stay unread in the socket. */
static void oversized_message(FIXTURE_DATA(hostile) *self, uint32_t announced)
{
	int unread = 0;
	open_server(self);
	rp_u8(&self->b, HS_CH);
	rp_u24(&self->b, announced);
	rp_fill(&self->b, 0x41, 5 * 16384 - 4);
	client_sends(self, self->b.p, self->b.len);
	expect_server_failed(self, KTLS_EDECODE, DECODE_ERROR);
	ASSERT_EQ(0, ioctl(self->m.s_fd, FIONREAD, &unread));
	TH_LOG("left unread by the session: %d of %zu bytes", unread, self->b.len + 5 * 5);
	EXPECT_LE(3 * 16384, unread);
}

/* One byte over the default limit, which is the largest ClientHello §4.1.2 allows. */
TEST_F(hostile, handshake_message_over_the_largest_client_hello)
{
	struct ktls_limits l;
	ktls_limits_default(&l);
	ASSERT_EQ(131396, l.max_handshake_message);
	oversized_message(self, (uint32_t)l.max_handshake_message + 1);
}

TEST_F(hostile, handshake_message_of_16m)
{
	oversized_message(self, 0xffffff);
}

/* ---- §5.1 key change boundary: "Handshake messages MUST NOT span key changes ... Because
 * the ServerHello, Finished, and KeyUpdate messages can immediately precede a key change,
 * implementations MUST enforce that these messages always align with a record boundary."
 * Violations are unexpected_message. ------------------------------------------------------ */

/* The client's Finished with a KeyUpdate behind it in the same record, to our server. */
TEST_F(hostile, data_after_client_finished_in_its_record)
{
	static const uint8_t key_update[] = { HS_KEY_UPDATE, 0, 0, 1, 0 };
	open_relay(self, RP_C2S, HS_FIN, ED_APPEND);
	rp_put(&self->e.extra, key_update, sizeof(key_update));
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
	expect_peer_got(self, self->m.c, self->m.crc, UNEXPECTED_MESSAGE);
}

/* The server's Finished with bytes behind it in the same record, to our client. */
TEST_F(hostile, data_after_server_finished_in_its_record)
{
	static const uint8_t key_update[] = { HS_KEY_UPDATE, 0, 0, 1, 0 };
	open_relay(self, RP_S2C, HS_FIN, ED_APPEND);
	rp_put(&self->e.extra, key_update, sizeof(key_update));
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_client_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
	expect_peer_got(self, self->m.s, self->m.src, UNEXPECTED_MESSAGE);
}

/* The ServerHello with bytes behind it in its record, to our client. */
TEST_F(hostile, data_after_server_hello_in_its_record)
{
	static const uint8_t extra[] = { HS_EE, 0, 0, 2, 0, 0 };
	open_relay(self, RP_S2C, HS_SH, ED_APPEND);
	rp_put(&self->e.extra, extra, sizeof(extra));
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_client_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
	expect_peer_got(self, self->m.s, self->m.src, UNEXPECTED_MESSAGE);
}

/* ---- more extension rules ---------------------------------------------------------------- */

/* §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same group ...
 * Servers MAY check for violations of these rules and abort the handshake with an
 * "illegal_parameter" alert." */
TEST_F(hostile, client_hello_duplicate_key_share_group)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .share_twice = true });
	expect_server_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* §4.2.11: pre_shared_key "MUST be the last extension in the ClientHello ... Servers MUST
 * check that it is the last extension and otherwise fail the handshake with an
 * "illegal_parameter" alert." */
TEST_F(hostile, client_hello_pre_shared_key_not_last)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .psk_modes = true, .psk = true, .psk_not_last = true });
	expect_server_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* §4.2.9: "If clients offer "pre_shared_key" without a "psk_key_exchange_modes" extension,
 * servers MUST abort the handshake." The RFC names no alert; a required extension that is
 * absent is missing_extension (§6.2). */
TEST_F(hostile, client_hello_pre_shared_key_without_psk_modes)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .psk = true });
	expect_server_failed(self, KTLS_EMISSINGEXT, MISSING_EXTENSION);
}

/* ---- HelloRetryRequest (§4.1.4) ------------------------------------------------------------ */

/* "If a client receives a second HelloRetryRequest in the same connection (i.e., where the
 * ClientHello was itself in response to a HelloRetryRequest), it MUST abort the handshake
 * with an "unexpected_message" alert." Our client offers x25519 then secp256r1. */
TEST_F(hostile, second_hello_retry_request)
{
	ASSERT_EQ(0, ktls_config_set_groups(self->ccfg, "x25519,secp256r1"));
	open_client(self);
	send_server_hello(self, &(struct sh_spec){ .hrr_group = 0x0017 });
	ASSERT_EQ(KTLS_WANT_READ, self->m.crc);
	ASSERT_EQ(3, self->m.d[RP_C2S].records); /* CCS (Appendix D.4), the second ClientHello */
	send_server_hello(self, &(struct sh_spec){ .hrr_group = 0x001d });
	expect_client_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* "Clients MUST abort the handshake with an "illegal_parameter" alert if the
 * HelloRetryRequest would not result in any change in the ClientHello": it asks for the
 * group we already sent a share for. */
TEST_F(hostile, hello_retry_request_for_the_share_we_sent)
{
	ASSERT_EQ(0, ktls_config_set_groups(self->ccfg, "x25519,secp256r1"));
	open_client(self);
	send_server_hello(self, &(struct sh_spec){ .hrr_group = 0x001d });
	expect_client_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* §4.2.8: "... the client MUST verify that (1) the selected_group field corresponds to a
 * group which was provided in the "supported_groups" extension ... If either of these
 * checks fails, then the client MUST abort the handshake with an "illegal_parameter"
 * alert." */
TEST_F(hostile, hello_retry_request_for_a_group_not_offered)
{
	ASSERT_EQ(0, ktls_config_set_groups(self->ccfg, "x25519"));
	open_client(self);
	send_server_hello(self, &(struct sh_spec){ .hrr_group = 0x0017 });
	expect_client_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* ---- record layer details ------------------------------------------------------------------ */

/* §5.1: legacy_record_version "MUST be ignored for all purposes". A ClientHello in a record
 * marked 0x1234 is answered normally. */
TEST_F(hostile, record_version_is_ignored)
{
	open_server(self);
	build_client_hello(&self->b, &(struct ch_spec){ 0 }, NULL);
	rp_u8(&self->e.extra, 22);
	rp_u16(&self->e.extra, 0x1234);
	rp_u16(&self->e.extra, (uint16_t)self->b.len);
	rp_put(&self->e.extra, self->b.p, self->b.len);
	client_sends_raw(self, self->e.extra.p, self->e.extra.len);
	EXPECT_EQ(KTLS_WANT_READ, self->m.src);
	EXPECT_EQ(-1, self->m.d[RP_S2C].alert);
	EXPECT_EQ(6, self->m.d[RP_S2C].records); /* SH CCS EE Cert CV Fin */
}

/* §5.1: "if a handshake message is split over two or more records, there MUST NOT be any
 * other records between them." The client's Finished split in two protected records with
 * a (middlebox-style, otherwise acceptable) ChangeCipherSpec between the halves. §5.1 names
 * no alert; a record where none may be is unexpected_message (§5). */
static int split_finished_hook(struct rp_mitm *m, int dir, const struct rp_rec *r, void *arg)
{
	static const uint8_t ccs[] = { 1 };
	struct edit *e = arg;
	if (dir != RP_C2S || r->type != 22 || r->len < 8 || r->data[0] != HS_FIN || e->done)
		return 0;
	e->done++;
	rp_emit(m, dir, r->key, 22, r->data, 6);
	rp_emit(m, dir, RP_PLAIN, 20, ccs, 1);
	rp_emit(m, dir, r->key, 22, r->data + 6, r->len - 6);
	return 1;
}

TEST_F(hostile, record_between_fragments_of_a_message)
{
	open_relay(self, RP_C2S, HS_FIN, ED_NONE);
	self->m.hook = split_finished_hook;
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* The same split without anything between the halves is fine (§5.1: handshake messages
 * "MAY be ... fragmented across several records"). */
static int split_only_hook(struct rp_mitm *m, int dir, const struct rp_rec *r, void *arg)
{
	struct edit *e = arg;
	if (dir != RP_C2S || r->type != 22 || r->len < 8 || r->data[0] != HS_FIN || e->done)
		return 0;
	e->done++;
	rp_emit(m, dir, r->key, 22, r->data, 6);
	rp_emit(m, dir, r->key, 22, r->data + 6, r->len - 6);
	return 1;
}

TEST_F(hostile, fragmented_finished_is_accepted)
{
	open_relay(self, RP_C2S, HS_FIN, ED_NONE);
	self->m.hook = split_only_hook;
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	EXPECT_EQ(0, self->m.crc);
	EXPECT_EQ(0, self->m.src);
}

/* ---- after the handshake -------------------------------------------------------------------- */

static void connected(FIXTURE_DATA(hostile) *self)
{
	open_relay(self, RP_S2C, 0, ED_NONE);
	rp_run(&self->m);
	ASSERT_EQ(0, self->m.crc);
	ASSERT_EQ(0, self->m.src);
	ASSERT_TRUE(self->m.have_app);
}

/* A NewSessionTicket (§4.6.1) with its ticket, for the client. */
static void build_ticket(struct rp_buf *b)
{
	rp_u8(b, 4);
	rp_open(b, 3);
	rp_u16(b, 0);
	rp_u16(b, 3600); /* ticket_lifetime */
	rp_fill(b, 0x66, 4); /* ticket_age_add */
	rp_open(b, 1);
	rp_u8(b, 0);
	rp_close(b);
	rp_open(b, 2);
	rp_fill(b, 0x77, 100);
	rp_close(b);
	rp_u16(b, 0); /* extensions */
	rp_close(b);
}

/* §5.1: post-handshake messages may be fragmented like any other: a NewSessionTicket in two
 * records is a valid ticket (which this library then drops). Our client must not fail. */
TEST_F(hostile, new_session_ticket_fragmented_is_accepted)
{
	uint8_t buf[16];
	connected(self);
	build_ticket(&self->b);
	ASSERT_EQ(0, rp_emit(&self->m, RP_S2C, RP_KEY_APP, 22, self->b.p, 10));
	ASSERT_EQ(0, rp_emit(&self->m, RP_S2C, RP_KEY_APP, 22, self->b.p + 10, self->b.len - 10));
	ASSERT_EQ(0, rp_emit(&self->m, RP_S2C, RP_KEY_APP, 23, "ok", 2));
	long n = ktls_recv(self->m.c, buf, sizeof(buf));
	if (n == 0) /* the ticket records consumed, data next */
		n = ktls_recv(self->m.c, buf, sizeof(buf));
	if (n == 0)
		n = ktls_recv(self->m.c, buf, sizeof(buf));
	EXPECT_EQ(2, n);
	TH_LOG("client: %s", ktls_session_error(self->m.c));
	rp_pump(&self->m, RP_C2S);
	EXPECT_EQ(-1, self->m.d[RP_C2S].alert);
}

/* §4.6.3: "If an implementation receives any other value [of request_update], it MUST
 * terminate the connection with an "illegal_parameter" alert." */
TEST_F(hostile, key_update_with_request_2)
{
	static const uint8_t ku[] = { HS_KEY_UPDATE, 0, 0, 1, 2 };
	uint8_t buf[16];
	struct ktls_session_info info;
	connected(self);
	ASSERT_EQ(0, rp_emit(&self->m, RP_S2C, RP_KEY_APP, 22, ku, sizeof(ku)));
	EXPECT_EQ(KTLS_EILLEGAL, ktls_recv(self->m.c, buf, sizeof(buf)));
	rp_pump(&self->m, RP_C2S);
	EXPECT_EQ(ILLEGAL_PARAMETER, self->m.d[RP_C2S].alert);
	EXPECT_EQ(0, self->m.d[RP_C2S].opaque);
	ASSERT_EQ(0, ktls_session_get_info(self->m.c, &info));
	EXPECT_EQ(ILLEGAL_PARAMETER, info.alert_sent);
}

/* A handshake message that has no place after the handshake (a second ServerHello... here a
 * Finished) is unexpected_message (§4, §A). */
TEST_F(hostile, finished_after_handshake)
{
	uint8_t fin[4 + 32] = { HS_FIN, 0, 0, 32 };
	uint8_t buf[16];
	connected(self);
	ASSERT_EQ(0, rp_emit(&self->m, RP_S2C, RP_KEY_APP, 22, fin, sizeof(fin)));
	EXPECT_EQ(KTLS_EUNEXPECTED, ktls_recv(self->m.c, buf, sizeof(buf)));
	rp_pump(&self->m, RP_C2S);
	EXPECT_EQ(UNEXPECTED_MESSAGE, self->m.d[RP_C2S].alert);
}

/* A bad tag on application data: bad_record_mac (§5.2), under the application key. */
TEST_F(hostile, bad_aead_tag_on_application_data)
{
	uint8_t buf[16];
	struct rp_buf rec = { 0 };
	connected(self);
	ASSERT_EQ(0, rp_seal_out(&self->m, RP_S2C, RP_KEY_APP, 23, "data", 4, &rec));
	rec.p[7] ^= 0x80; /* ciphertext, not tag: must fail all the same */
	ASSERT_EQ(0, rp_inject(&self->m, RP_S2C, rec.p, rec.len));
	rp_buf_free(&rec);
	EXPECT_EQ(KTLS_EBADMAC, ktls_recv(self->m.c, buf, sizeof(buf)));
	rp_pump(&self->m, RP_C2S);
	EXPECT_EQ(BAD_RECORD_MAC, self->m.d[RP_C2S].alert);
	EXPECT_EQ(0, self->m.d[RP_C2S].opaque);
}

/* §5.1: "Zero-length fragments of Application Data MAY be sent, as they are potentially
 * useful as a traffic analysis countermeasure." Accepted, and data after it arrives. */
TEST_F(hostile, empty_application_data_record_is_accepted)
{
	uint8_t buf[16];
	connected(self);
	ASSERT_EQ(0, rp_emit(&self->m, RP_S2C, RP_KEY_APP, 23, "", 0));
	EXPECT_EQ(KTLS_WANT_READ, ktls_recv(self->m.c, buf, sizeof(buf)));
	ASSERT_EQ(0, rp_emit(&self->m, RP_S2C, RP_KEY_APP, 23, "ok", 2));
	EXPECT_EQ(2, ktls_recv(self->m.c, buf, sizeof(buf)));
	rp_pump(&self->m, RP_C2S);
	EXPECT_EQ(-1, self->m.d[RP_C2S].alert);
}

/* Our client, after the server's Finished with a KeyUpdate in its record: it must not
 * complete its side first. RFC 8446 does not order the two, but §6.2 ("Upon transmission
 * or receipt of a fatal alert message, both parties MUST immediately close the
 * connection") and §5.1 make the flight invalid; sending our Finished tells the server the
 * handshake succeeded (its ktls_session_handshake returns 0) before the alert arrives. */
TEST_F(hostile, data_after_server_finished_client_sends_no_finished)
{
	static const uint8_t key_update[] = { HS_KEY_UPDATE, 0, 0, 1, 0 };
	open_relay(self, RP_S2C, HS_FIN, ED_APPEND);
	rp_put(&self->e.extra, key_update, sizeof(key_update));
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	EXPECT_EQ(KTLS_EUNEXPECTED, self->m.crc);
	EXPECT_EQ(2, self->m.d[RP_C2S].records); /* ClientHello, alert: no Finished */
	EXPECT_NE(0, self->m.src);               /* the server never saw a complete handshake */
}


/* ---- RFC 8446 conformance: what an independent conformance client checks (issue 11) -------- */

enum { CCS = 20, ALERT = 21, HANDSHAKE = 22, APP_DATA = 23 };

/* Record i that direction dir carried: content type, first byte, key. */
static void expect_record(FIXTURE_DATA(hostile) *self, int dir, int i, uint8_t type,
			  uint8_t first, int key)
{
	ASSERT_LT(i, self->m.d[dir].records);
	EXPECT_EQ(type, self->m.d[dir].log[i].type);
	EXPECT_EQ(first, self->m.d[dir].log[i].first);
	EXPECT_EQ(key, self->m.d[dir].log[i].key);
}

/* How many change_cipher_spec records direction dir carried. */
static int ccs_count(FIXTURE_DATA(hostile) *self, int dir)
{
	int n = 0;
	for (int i = 0; i < self->m.d[dir].records && i < RP_LOG; i++)
		n += self->m.d[dir].log[i].type == CCS;
	return n;
}

/* Appendix D.4: "The server sends a dummy change_cipher_spec record immediately after its
 * first handshake message", when the client is in compatibility mode (a non-empty
 * legacy_session_id, as our hand-built hello has): ServerHello, CCS 0x01 in the clear, then
 * the encrypted flight. */
TEST_F(hostile, server_sends_ccs_after_server_hello_in_compatibility_mode)
{
	server_after_first_flight(self);
	expect_record(self, RP_S2C, 0, HANDSHAKE, HS_SH, RP_PLAIN);
	expect_record(self, RP_S2C, 1, CCS, 1, RP_PLAIN);
	expect_record(self, RP_S2C, 2, HANDSHAKE, HS_EE, RP_KEY_HS);
	EXPECT_EQ(1, ccs_count(self, RP_S2C));
}

/* ... and none to a client that is not in compatibility mode (empty session id). */
TEST_F(hostile, server_sends_no_ccs_without_session_id)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .no_session_id = true });
	ASSERT_EQ(KTLS_WANT_READ, self->m.src);
	EXPECT_EQ(5, self->m.d[RP_S2C].records); /* SH EE Cert CV Fin */
	EXPECT_EQ(0, ccs_count(self, RP_S2C));
}

/* ... after a HelloRetryRequest when that is the first message, and only once: the
 * ServerHello after the second ClientHello has no CCS behind it. */
TEST_F(hostile, server_sends_one_ccs_after_hello_retry_request)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .empty_shares = true });
	ASSERT_EQ(KTLS_WANT_READ, self->m.src);
	ASSERT_EQ(2, self->m.d[RP_S2C].records);
	expect_record(self, RP_S2C, 0, HANDSHAKE, HS_SH, RP_PLAIN); /* the HRR */
	expect_record(self, RP_S2C, 1, CCS, 1, RP_PLAIN);
	/* the client's own CCS, then its second hello: the server goes on */
	static const uint8_t ccs[] = { CCS, 3, 3, 0, 1, 1 };
	rp_clear(&self->b);
	rp_put(&self->b, ccs, sizeof(ccs));
	ASSERT_EQ(0, rp_inject(&self->m, RP_C2S, self->b.p, self->b.len));
	send_client_hello(self, &(struct ch_spec){ 0 });
	EXPECT_EQ(KTLS_WANT_READ, self->m.src);
	EXPECT_EQ(-1, self->m.d[RP_S2C].alert);
	ASSERT_EQ(7, self->m.d[RP_S2C].records); /* HRR CCS SH EE Cert CV Fin */
	expect_record(self, RP_S2C, 2, HANDSHAKE, HS_SH, RP_PLAIN);
	expect_record(self, RP_S2C, 3, HANDSHAKE, HS_EE, RP_KEY_HS);
	EXPECT_EQ(1, ccs_count(self, RP_S2C));
}

/* Appendix D.4, our client: a 32-byte session id, and one CCS "immediately before its second
 * flight" — here its encrypted Finished. Our server answers in kind. */
TEST_F(hostile, client_sends_ccs_before_its_second_flight)
{
	open_relay(self, RP_S2C, 0, ED_NONE);
	rp_run(&self->m);
	ASSERT_EQ(0, self->m.crc);
	ASSERT_EQ(0, self->m.src);
	EXPECT_EQ(32u, self->m.c->e->session_id_len);
	ASSERT_EQ(3, self->m.d[RP_C2S].records);
	expect_record(self, RP_C2S, 0, HANDSHAKE, HS_CH, RP_PLAIN);
	expect_record(self, RP_C2S, 1, CCS, 1, RP_PLAIN);
	expect_record(self, RP_C2S, 2, HANDSHAKE, HS_FIN, RP_KEY_HS);
	expect_record(self, RP_S2C, 1, CCS, 1, RP_PLAIN);
}

/* ... before the second ClientHello after a HelloRetryRequest, and not again before Finished. */
TEST_F(hostile, client_sends_one_ccs_before_its_second_client_hello)
{
	ASSERT_EQ(0, ktls_config_set_groups(self->ccfg, "x25519,secp256r1"));
	ASSERT_EQ(0, ktls_config_set_groups(self->scfg, "secp256r1"));
	open_relay(self, RP_S2C, 0, ED_NONE);
	rp_run(&self->m);
	ASSERT_EQ(0, self->m.crc);
	ASSERT_EQ(0, self->m.src);
	ASSERT_EQ(4, self->m.d[RP_C2S].records); /* CH1 CCS CH2 Fin */
	expect_record(self, RP_C2S, 1, CCS, 1, RP_PLAIN);
	expect_record(self, RP_C2S, 2, HANDSHAKE, HS_CH, RP_PLAIN);
	expect_record(self, RP_C2S, 3, HANDSHAKE, HS_FIN, RP_KEY_HS);
	EXPECT_EQ(1, ccs_count(self, RP_C2S));
	EXPECT_EQ(1, ccs_count(self, RP_S2C)); /* after the HRR only */
}

/* Compatibility mode off: an empty session id, no CCS either way. */
TEST_F(hostile, client_without_compatibility_mode_sends_no_ccs)
{
	ASSERT_EQ(0, ktls_config_set_middlebox_compat(self->ccfg, 0));
	open_relay(self, RP_S2C, 0, ED_NONE);
	rp_run(&self->m);
	ASSERT_EQ(0, self->m.crc);
	ASSERT_EQ(0, self->m.src);
	EXPECT_EQ(0u, self->m.c->e->session_id_len);
	EXPECT_EQ(2, self->m.d[RP_C2S].records); /* CH Fin */
	EXPECT_EQ(0, ccs_count(self, RP_C2S));
	EXPECT_EQ(0, ccs_count(self, RP_S2C));
}

/* §5 lets a peer's CCS be dropped, Appendix D.4 has each side send one: a second one is
 * unexpected_message (the lesson of CVE-2020-25648, where a stream of them kept NSS busy). */
TEST_F(hostile, second_change_cipher_spec_is_unexpected)
{
	static const uint8_t ccs[] = { CCS, 3, 3, 0, 1, 1 };
	server_after_first_flight(self);
	client_sends_raw(self, ccs, sizeof(ccs));
	ASSERT_EQ(KTLS_WANT_READ, self->m.src);
	ASSERT_EQ(-1, self->m.d[RP_S2C].alert);
	client_sends_raw(self, ccs, sizeof(ccs));
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
	EXPECT_STREQ("a second change_cipher_spec record (one per handshake, RFC 8446 Appendix D.4)",
		     ktls_session_error(self->m.s));
}

/* The same for our client: the server's CCS, then another. */
TEST_F(hostile, second_change_cipher_spec_to_client_is_unexpected)
{
	static const uint8_t two_ccs[] = { CCS, 3, 3, 0, 1, 1, CCS, 3, 3, 0, 1, 1 };
	open_relay(self, RP_S2C, HS_EE, ED_BEFORE);
	rp_put(&self->e.extra, two_ccs, sizeof(two_ccs));
	rp_run(&self->m);
	ASSERT_EQ(1, self->e.done);
	expect_client_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* Appendix D.5: "Any endpoint receiving a Hello message with ClientHello.legacy_version or
 * ServerHello.legacy_version set to 0x0300 MUST abort the handshake with a "protocol_version"
 * alert" — and so below it (SSL 2 framing aside). */
TEST_F(hostile, client_hello_legacy_version_ssl3)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .legacy_version = 0x0300 });
	expect_server_failed(self, KTLS_EVERSION, PROTOCOL_VERSION);
}

TEST_F(hostile, client_hello_legacy_version_below_ssl3)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .legacy_version = 0x0002 });
	expect_server_failed(self, KTLS_EVERSION, PROTOCOL_VERSION);
}

TEST_F(hostile, server_hello_legacy_version_ssl3)
{
	open_client(self);
	send_server_hello(self, &(struct sh_spec){ .legacy_version = 0x0300 });
	expect_client_failed(self, KTLS_EVERSION, PROTOCOL_VERSION);
}

/* Appendix D.2: a TLS 1.2 ClientHello (no supported_versions) whose extensions block is
 * shorter than TLS 1.3's minimum of 8 bytes — here renegotiation_info alone, 5 bytes — is
 * an older client, not a malformed message: protocol_version. */
TEST_F(hostile, tls12_client_hello_with_a_short_extension_block)
{
	static const uint8_t reneg_info[] = { 0xff, 0x01, 0x00, 0x01, 0x00 };
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .raw_extensions = reneg_info,
						  .raw_extensions_len = sizeof(reneg_info) });
	expect_server_failed(self, KTLS_EVERSION, PROTOCOL_VERSION);
}

/* ... and an empty block: the same. */
TEST_F(hostile, tls12_client_hello_with_an_empty_extension_block)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .raw_extensions = (const uint8_t *)"",
						  .raw_extensions_len = 0 });
	expect_server_failed(self, KTLS_EVERSION, PROTOCOL_VERSION);
}

/* A hello that does offer TLS 1.3 is held to §4.1.2's extensions<8..2^16-1>: supported_versions
 * alone is 7 bytes, decode_error. */
TEST_F(hostile, tls13_client_hello_with_a_7_byte_extension_block)
{
	static const uint8_t versions_only[] = { 0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04 };
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .raw_extensions = versions_only,
						  .raw_extensions_len = sizeof(versions_only) });
	expect_server_failed(self, KTLS_EDECODE, DECODE_ERROR);
}

/* §5.4: "Implementations MUST NOT send Handshake and Alert records that have a zero-length
 * TLSInnerPlaintext.content; if such a message is received, the receiving implementation MUST
 * terminate the connection with an "unexpected_message" alert." In the clear: */
TEST_F(hostile, empty_alert_record)
{
	static const uint8_t empty_alert[] = { ALERT, 3, 3, 0, 0 };
	server_after_first_flight(self);
	client_sends_raw(self, empty_alert, sizeof(empty_alert));
	expect_server_failed(self, KTLS_EUNEXPECTED, UNEXPECTED_MESSAGE);
}

/* ... and protected, after the handshake. */
TEST_F(hostile, empty_protected_alert_after_handshake)
{
	uint8_t buf[16];
	open_relay(self, RP_S2C, 0, ED_NONE);
	rp_run(&self->m);
	ASSERT_EQ(0, self->m.crc);
	ASSERT_EQ(0, self->m.src);
	ASSERT_EQ(0, rp_emit(&self->m, RP_C2S, RP_KEY_APP, ALERT, NULL, 0));
	EXPECT_EQ(KTLS_EUNEXPECTED, ktls_recv(self->m.s, buf, sizeof(buf)));
	EXPECT_STREQ("empty alert record", ktls_session_error(self->m.s));
	rp_pump(&self->m, RP_S2C);
	EXPECT_EQ(UNEXPECTED_MESSAGE, self->m.d[RP_S2C].alert);
}

/* §9.3: "MUST ignore unrecognized cipher suites, extensions, ... named groups": a hello with
 * 16000 unknown extensions and 32000 unknown suites — 128 KB, near the largest §4.1.2
 * allows, and over 64 KiB — is answered like any other. */
TEST_F(hostile, client_hello_of_128k_with_16000_unknown_extensions)
{
	open_server(self);
	rp_clear(&self->b);
	build_client_hello(&self->b, &(struct ch_spec){ .n_unknown = 16000, .n_extra_suites = 32000 },
			   NULL);
	TH_LOG("ClientHello of %zu bytes", self->b.len);
	ASSERT_LT(120000, self->b.len);
	client_sends(self, self->b.p, self->b.len);
	EXPECT_EQ(KTLS_WANT_READ, self->m.src);
	EXPECT_EQ(-1, self->m.d[RP_S2C].alert);
	EXPECT_EQ(6, self->m.d[RP_S2C].records);
}

/* §4.2.8 limits neither the number of key shares nor says anything against unknown groups:
 * 2000 of them (listed in supported_groups) before the x25519 share, answered normally. */
TEST_F(hostile, client_hello_with_2000_key_shares)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .n_extra_shares = 2000 });
	EXPECT_EQ(KTLS_WANT_READ, self->m.src);
	EXPECT_EQ(-1, self->m.d[RP_S2C].alert);
	EXPECT_EQ(6, self->m.d[RP_S2C].records);
	struct ktls_session_info info;
	ASSERT_EQ(0, ktls_session_get_info(self->m.s, &info));
	EXPECT_EQ(KTLS_GROUP_X25519, info.group);
}

/* ... and when none of them is a group we take (no x25519 share, no group of ours listed),
 * §4.1.1: handshake_failure, not illegal_parameter. */
TEST_F(hostile, client_hello_with_2000_key_shares_none_usable)
{
	static const uint16_t brainpool[] = { 0x001f }; /* brainpoolP256r1tls13: not ours */
	static const uint8_t share[65] = { 4 };
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .n_extra_shares = 2000, .groups = brainpool,
						  .n_groups = 1, .share_group = 0x001f,
						  .share = share, .share_len = sizeof(share) });
	expect_server_failed(self, KTLS_EHANDSHAKE, HANDSHAKE_FAILURE);
}

/* §4.2.10: a client that offered 0-RTT and gets a HelloRetryRequest may already have sent
 * early data; the server skips "all records with an external content type of
 * application_data" until the second ClientHello. */
static void early_data_after_hrr(FIXTURE_DATA(hostile) *self, int records)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .empty_shares = true, .early_data = true });
	ASSERT_EQ(KTLS_WANT_READ, self->m.src);
	ASSERT_EQ(2, self->m.d[RP_S2C].records); /* HRR CCS */
	for (int i = 0; i < records && self->m.src == KTLS_WANT_READ; i++) {
		rp_clear(&self->e.extra); /* one full-size record of "early data" at a time */
		rp_u8(&self->e.extra, APP_DATA);
		rp_u16(&self->e.extra, 0x0303);
		rp_u16(&self->e.extra, 16384 + 256);
		rp_fill(&self->e.extra, (uint8_t)i, 16384 + 256);
		client_sends_raw(self, self->e.extra.p, self->e.extra.len);
	}
}

TEST_F(hostile, early_data_after_hello_retry_request_is_skipped)
{
	early_data_after_hrr(self, 3);
	ASSERT_EQ(KTLS_WANT_READ, self->m.src);
	ASSERT_EQ(-1, self->m.d[RP_S2C].alert);
	send_client_hello(self, &(struct ch_spec){ 0 });
	EXPECT_EQ(KTLS_WANT_READ, self->m.src);
	EXPECT_EQ(-1, self->m.d[RP_S2C].alert);
	EXPECT_EQ(7, self->m.d[RP_S2C].records); /* HRR CCS SH EE Cert CV Fin */
}

/* ... within a bound: 16 full records is more than we skip. */
TEST_F(hostile, early_data_after_hello_retry_request_is_bounded)
{
	early_data_after_hrr(self, 17);
	expect_server_failed(self, KTLS_EBADMAC, BAD_RECORD_MAC);
}

/* §4.2.10: "A client MUST NOT include the "early_data" extension in its followup
 * ClientHello." */
TEST_F(hostile, second_client_hello_offers_early_data_again)
{
	early_data_after_hrr(self, 0);
	send_client_hello(self, &(struct ch_spec){ .early_data = true });
	expect_server_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
}

/* §4.2.2: our server keeps its state across a HelloRetryRequest, so by default it sends no
 * cookie (and a second hello may carry none); configured to, it sends one and insists. */
TEST_F(hostile, hello_retry_request_has_no_cookie_by_default)
{
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .empty_shares = true });
	ASSERT_EQ(KTLS_WANT_READ, self->m.src);
	EXPECT_EQ(0u, self->m.s->e->cookie_len);
}

TEST_F(hostile, hello_retry_request_cookie_when_configured_must_be_echoed)
{
	ASSERT_EQ(0, ktls_config_set_hrr_cookie(self->scfg, 1));
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .empty_shares = true });
	ASSERT_EQ(KTLS_WANT_READ, self->m.src);
	EXPECT_EQ(32u, self->m.s->e->cookie_len);
	send_client_hello(self, &(struct ch_spec){ 0 }); /* without the cookie */
	expect_server_failed(self, KTLS_EILLEGAL, ILLEGAL_PARAMETER);
	EXPECT_STREQ("second ClientHello does not echo our cookie", ktls_session_error(self->m.s));
}

/* A relay run with the cookie on: our client echoes it and the handshake completes. */
TEST_F(hostile, hello_retry_request_cookie_round_trip)
{
	ASSERT_EQ(0, ktls_config_set_hrr_cookie(self->scfg, 1));
	ASSERT_EQ(0, ktls_config_set_groups(self->ccfg, "x25519,secp256r1"));
	ASSERT_EQ(0, ktls_config_set_groups(self->scfg, "secp256r1"));
	open_relay(self, RP_S2C, 0, ED_NONE);
	rp_run(&self->m);
	EXPECT_EQ(0, self->m.crc);
	EXPECT_EQ(0, self->m.src);
	EXPECT_EQ(32u, self->m.c->e->cookie_len);
}

/* ---- records that carry nothing: caps and the per-call work budget (issue 12) ------------ */

/* Calls ktls_recv on our server until it returns something other than KTLS_WANT_READ with
 * input still queued (the budget), at most `calls` times; *calls_made says how many. */
static long server_recv(FIXTURE_DATA(hostile) *self, void *buf, size_t len, int calls,
			int *calls_made)
{
	long n = KTLS_WANT_READ;
	int i = 0;
	while (i < calls && n == KTLS_WANT_READ) {
		n = ktls_recv(self->m.s, buf, len);
		i++;
	}
	if (calls_made)
		*calls_made = i;
	return n;
}

static void emit_app(FIXTURE_DATA(hostile) *self, uint8_t type, const void *p, size_t len, int times)
{
	for (int i = 0; i < times; i++)
		ASSERT_EQ(0, rp_emit(&self->m, RP_C2S, RP_KEY_APP, type, p, len));
}

/* 32 empty application data records (the default cap) and then data: the data arrives, in
 * more than one call (16 records per call on a non-blocking socket). */
TEST_F(hostile, empty_records_up_to_the_cap)
{
	char buf[8];
	int calls;
	connected(self);
	emit_app(self, APP_DATA, NULL, 0, 32);
	emit_app(self, APP_DATA, "hi", 2, 1);
	EXPECT_EQ(2, server_recv(self, buf, sizeof(buf), 10, &calls));
	EXPECT_EQ(3, calls); /* 16 + 16 idle records, then the data */
	EXPECT_MEMEQ("hi", buf, 2);
}

/* One more is unexpected_message (BoringSSL's cap of 32; §5.1 allows them, nothing says
 * how many). */
TEST_F(hostile, empty_records_past_the_cap)
{
	char buf[8];
	connected(self);
	emit_app(self, APP_DATA, NULL, 0, 33);
	EXPECT_EQ(KTLS_EUNEXPECTED, server_recv(self, buf, sizeof(buf), 10, NULL));
	EXPECT_STREQ("more than 32 empty application data records in a row",
		     ktls_session_error(self->m.s));
	rp_pump(&self->m, RP_S2C);
	EXPECT_EQ(UNEXPECTED_MESSAGE, self->m.d[RP_S2C].alert);
}

/* ... and the count starts again after data. */
TEST_F(hostile, empty_records_count_restarts_after_data)
{
	char buf[8];
	connected(self);
	for (int round = 0; round < 3; round++) {
		emit_app(self, APP_DATA, NULL, 0, 30);
		emit_app(self, APP_DATA, "x", 1, 1);
		EXPECT_EQ(1, server_recv(self, buf, sizeof(buf), 10, NULL));
	}
}

/* user_canceled after the handshake: four are taken, the fifth is unexpected_message. */
TEST_F(hostile, user_canceled_alerts_past_the_cap)
{
	static const uint8_t user_canceled[] = { 1, 90 };
	char buf[8];
	connected(self);
	emit_app(self, ALERT, user_canceled, 2, 4);
	emit_app(self, APP_DATA, "ok", 2, 1);
	EXPECT_EQ(2, server_recv(self, buf, sizeof(buf), 10, NULL));
	emit_app(self, ALERT, user_canceled, 2, 5);
	EXPECT_EQ(KTLS_EUNEXPECTED, server_recv(self, buf, sizeof(buf), 10, NULL));
	EXPECT_STREQ("more than 4 user_canceled alerts without application data between them",
		     ktls_session_error(self->m.s));
	rp_pump(&self->m, RP_S2C);
	EXPECT_EQ(UNEXPECTED_MESSAGE, self->m.d[RP_S2C].alert);
}

/* §6.1 user_canceled during the handshake: the peer is giving up; the handshake ends there
 * (it cannot be made to wait out a stream of them), and nothing is sent back. */
TEST_F(hostile, user_canceled_during_the_handshake_ends_it)
{
	static const uint8_t user_canceled[] = { ALERT, 3, 3, 0, 2, 1, 90 };
	struct ktls_session_info info;
	server_after_first_flight(self);
	int before = self->m.d[RP_S2C].records;
	client_sends_raw(self, user_canceled, sizeof(user_canceled));
	EXPECT_EQ(KTLS_EALERT, self->m.src);
	EXPECT_STREQ("peer canceled the handshake (user_canceled)", ktls_session_error(self->m.s));
	ASSERT_EQ(0, ktls_session_get_info(self->m.s, &info));
	EXPECT_EQ(90, info.alert_received);
	EXPECT_EQ(-1, info.alert_sent);
	EXPECT_EQ(before, self->m.d[RP_S2C].records);
}

/* Sends a KeyUpdate to our server and re-keys the relay the way the server now expects. */
static void key_update_to_server(FIXTURE_DATA(hostile) *self, uint8_t request)
{
	const uint8_t ku[] = { HS_KEY_UPDATE, 0, 0, 1, request };
	char buf[8];
	emit_app(self, HANDSHAKE, ku, sizeof(ku), 1);
	long n = ktls_recv(self->m.s, buf, sizeof(buf));
	if (n != KTLS_WANT_READ)
		return; /* the caller judges */
	ASSERT_EQ(0, rp_key_from_secret(&self->m.d[RP_C2S].tx[RP_KEY_APP], self->m.s->e->suite,
				self->m.s->e->ks.client_application_traffic));
}

/* KeyUpdates without data between them: 32 are taken, the 33rd is unexpected_message. */
TEST_F(hostile, key_updates_past_the_cap)
{
	char buf[8];
	connected(self);
	for (int i = 0; i < 32; i++)
		key_update_to_server(self, 0);
	EXPECT_EQ(0, self->m.s->e->err);
	key_update_to_server(self, 0);
	EXPECT_EQ(KTLS_EUNEXPECTED, ktls_recv(self->m.s, buf, sizeof(buf)));
	EXPECT_STREQ("more than 32 KeyUpdates without application data between them",
		     ktls_session_error(self->m.s));
}

/* How many KeyUpdate messages our server sent so far. */
static int key_updates_sent(FIXTURE_DATA(hostile) *self)
{
	int n = 0;
	rp_pump(&self->m, RP_S2C);
	for (int i = 0; i < self->m.d[RP_S2C].records && i < RP_LOG; i++)
		n += self->m.d[RP_S2C].log[i].type == HANDSHAKE &&
		     self->m.d[RP_S2C].log[i].first == HS_KEY_UPDATE;
	return n;
}

/* §4.6.3: each update_requested needs an answer "prior to sending its next Application Data
 * record", so ten requests before our next data get one answer, not ten: a peer that never
 * reads cannot make our queue grow. After we send data, the next request is answered. */
TEST_F(hostile, key_update_requests_get_one_answer_per_data_record)
{
	connected(self);
	rp_pump(&self->m, RP_S2C);
	int before = self->m.d[RP_S2C].records;
	for (int i = 0; i < 10; i++)
		key_update_to_server(self, 1);
	EXPECT_EQ(0, self->m.s->e->err);
	EXPECT_EQ(1, key_updates_sent(self));
	EXPECT_EQ(before + 1, self->m.d[RP_S2C].records); /* that one record, nothing more */
	/* the relay follows the server's new write key, to read what comes next */
	ASSERT_EQ(0, rp_key_from_secret(&self->m.d[RP_S2C].rx[RP_KEY_APP], self->m.s->e->suite,
				self->m.s->e->ks.server_application_traffic));
	ASSERT_EQ(1, ktls_send(self->m.s, "d", 1));
	key_update_to_server(self, 1);
	EXPECT_EQ(2, key_updates_sent(self));
	EXPECT_EQ(before + 3, self->m.d[RP_S2C].records); /* the data, the second answer */
}

/* The handshake's budget: 0-RTT records skipped after a HelloRetryRequest (small ones, well
 * within the skip bound) are handled 16 per call; the second call gets to the ClientHello. */
TEST_F(hostile, handshake_work_budget_per_call)
{
	early_data_after_hrr(self, 0);
	rp_clear(&self->e.extra);
	for (int i = 0; i < 20; i++) {
		rp_u8(&self->e.extra, APP_DATA);
		rp_u16(&self->e.extra, 0x0303);
		rp_u16(&self->e.extra, 64);
		rp_fill(&self->e.extra, (uint8_t)i, 64);
	}
	rp_clear(&self->b);
	build_client_hello(&self->b, &(struct ch_spec){ 0 }, NULL);
	rp_handshake_records(&self->e.extra, self->b.p, self->b.len);
	ASSERT_EQ(0, rp_inject(&self->m, RP_C2S, self->e.extra.p, self->e.extra.len));
	EXPECT_EQ(KTLS_WANT_READ, ktls_session_handshake(self->m.s));
	rp_pump(&self->m, RP_S2C);
	EXPECT_EQ(2, self->m.d[RP_S2C].records); /* still HRR CCS: the budget ran out first */
	EXPECT_EQ(KTLS_WANT_READ, ktls_session_handshake(self->m.s));
	rp_pump(&self->m, RP_S2C);
	EXPECT_EQ(7, self->m.d[RP_S2C].records); /* HRR CCS SH EE Cert CV Fin */
	EXPECT_EQ(-1, self->m.d[RP_S2C].alert);
}

/* A connection that sends nothing costs the session struct and its engine: the record
 * buffer comes with the first byte. ktls_session_memory says what a session holds, so a
 * server can bound the memory of unfinished handshakes (half a big ClientHello holds its
 * bytes). */
TEST_F(hostile, session_memory_grows_only_with_bytes)
{
	open_server(self);
	EXPECT_EQ(KTLS_WANT_READ, ktls_session_handshake(self->m.s));
	size_t idle = ktls_session_memory(self->m.s);
	TH_LOG("a session that received nothing: %zu bytes", idle);
	EXPECT_GT(4096u, idle);
	rp_clear(&self->b);
	build_client_hello(&self->b, &(struct ch_spec){ .n_unknown = 8000 }, NULL);
	rp_clear(&self->e.extra);
	rp_handshake_records(&self->e.extra, self->b.p, self->b.len);
	/* three quarters of it: a whole first record and part of the second */
	ASSERT_EQ(0, rp_inject(&self->m, RP_C2S, self->e.extra.p, self->e.extra.len * 3 / 4));
	EXPECT_EQ(KTLS_WANT_READ, ktls_session_handshake(self->m.s));
	size_t half = ktls_session_memory(self->m.s);
	TH_LOG("with 3/4 of a ClientHello of %zu bytes: %zu bytes", self->b.len, half);
	EXPECT_LT(idle + self->b.len / 2, half);
}

/* ktls_limits.max_client_hello: a server may take less than RFC 8446's largest hello (the
 * file server takes 16 KiB); a bigger one is refused from its header, before it is buffered. */
TEST_F(hostile, client_hello_over_the_configured_cap)
{
	struct ktls_limits l;
	ktls_limits_default(&l);
	EXPECT_EQ(131396u, l.max_client_hello);
	l.max_client_hello = 2000;
	ASSERT_EQ(0, ktls_config_set_limits(self->scfg, &l));
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .n_unknown = 600 }); /* ~2.5 KB */
	expect_server_failed(self, KTLS_EDECODE, DECODE_ERROR);
	EXPECT_NONNULL(strstr(ktls_session_error(self->m.s), "client_hello message of"));
}

TEST_F(hostile, client_hello_under_the_configured_cap)
{
	struct ktls_limits l;
	ktls_limits_default(&l);
	l.max_client_hello = 2000;
	ASSERT_EQ(0, ktls_config_set_limits(self->scfg, &l));
	open_server(self);
	send_client_hello(self, &(struct ch_spec){ .n_unknown = 300 }); /* ~1.4 KB */
	EXPECT_EQ(KTLS_WANT_READ, self->m.src);
	EXPECT_EQ(-1, self->m.d[RP_S2C].alert);
}

TEST_HARNESS_MAIN
