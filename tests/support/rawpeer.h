/*
 * rawpeer.h — a scripted TLS peer that writes raw bytes, and a man in the middle between
 * two of our sessions, for the hostile-input suite (tests/hostile_test.c).
 *
 * Topology: each session under test owns one end of its own socketpair; the test owns the
 * other ends. The test either writes hand-built records straight into a session, or relays
 * records between a real client session and a real server session, decoding each one on
 * the way and letting a hook change, drop or add records in flight.
 *
 * The relay decrypts what it carries. It takes the traffic secrets from the sessions
 * (lib/core/engine.h: s->e->ks) as soon as they exist, and keeps its own record keys per direction:
 * an input key (which records came in under which secret: handshake, then application) and
 * an output key (records are resealed with the relay's own sequence numbers, so a hook may
 * drop or add records and the receiver still opens what follows). Every alert that crosses
 * the relay, plaintext or protected, is decoded and kept per direction: that is the "alert
 * on the wire" the tests assert.
 *
 * Nothing here uses the harness or aborts on a protocol event: functions return 0 / -1 and
 * the test judges. Every loop and every wait is bounded; all four sockets are non-blocking.
 */
#ifndef KTLS_TEST_RAWPEER_H
#define KTLS_TEST_RAWPEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktls.h"

struct ktls_session;
struct ktls_suite;

/* ---- a growing byte buffer with length-prefixed scopes (big-endian, as TLS) ------------- */

struct rp_buf {
	uint8_t *p;
	size_t len, cap;
	size_t scope_at[8];    /* offsets of open length prefixes */
	unsigned scope_size[8];
	int depth;
};

void rp_buf_free(struct rp_buf *b);
void rp_clear(struct rp_buf *b); /* len = 0, keeps the memory */
void rp_u8(struct rp_buf *b, uint8_t v);
void rp_u16(struct rp_buf *b, uint16_t v);
void rp_u24(struct rp_buf *b, uint32_t v);
void rp_put(struct rp_buf *b, const void *p, size_t n);
void rp_fill(struct rp_buf *b, uint8_t byte, size_t n);
/* Opens a vector with a len_size-byte length prefix; rp_close fills in its length. */
void rp_open(struct rp_buf *b, unsigned len_size);
void rp_close(struct rp_buf *b);

/* Appends one plaintext record: type, 0x0303, length, body (any length that fits 16 bits). */
void rp_record(struct rp_buf *out, uint8_t type, const void *body, size_t len);
/* Appends a handshake message as plaintext handshake records of at most 2^14 bytes each. */
void rp_handshake_records(struct rp_buf *out, const uint8_t *msg, size_t len);
/* Writes all of p to a non-blocking fd, waiting at most ~1 s in total. 0 or -1. */
int rp_write(int fd, const void *p, size_t len);

/* ---- record protection with the relay's own keys -------------------------------------- */

struct rp_key {
	bool set;
	const struct ktls_suite *suite;
	uint8_t key[32], iv[12];
	uint64_t seq;
};

/* Keys k from a traffic secret (§7.3), seq 0. 0 or -1. */
int rp_key_from_secret(struct rp_key *k, const struct ktls_suite *suite, const uint8_t *secret);
/* Appends one protected record whose TLSInnerPlaintext is exactly inner[0..inner_len)
 * (content, type, padding: the caller builds it, so it may be malformed on purpose).
 * Advances k->seq. 0 or -1. */
int rp_seal_inner(struct rp_key *k, const uint8_t *inner, size_t inner_len, struct rp_buf *out);
/* The same for content of `type` without padding. */
int rp_seal(struct rp_key *k, uint8_t type, const uint8_t *data, size_t len, struct rp_buf *out);
/* Opens a record (header included) into inner (TLSInnerPlaintext, padding not removed), on
 * a copy: rec is untouched. Advances k->seq on success only. 0 or -1. */
int rp_open_record(struct rp_key *k, const uint8_t *rec, size_t len, struct rp_buf *inner);

/* ---- the man in the middle -------------------------------------------------------------- */

enum { RP_C2S = 0, RP_S2C = 1 }; /* a direction: client to server, server to client */
enum { RP_PLAIN = -1, RP_KEY_HS = 0, RP_KEY_APP = 1 };

#define RP_LOG 64

/* One record as the relay received it. */
struct rp_rec {
	uint8_t outer;        /* the header's content type */
	int key;              /* RP_PLAIN, RP_KEY_HS or RP_KEY_APP; RP_PLAIN also when no key opened it */
	bool opaque;          /* protected, but none of the relay's keys opened it */
	uint8_t type;         /* the real content type */
	const uint8_t *data;  /* content (inner plaintext without type and padding) */
	size_t len;
	const uint8_t *raw;   /* the whole record as received */
	size_t raw_len;
	int index;            /* records received so far in this direction, this one not counted */
};

struct rp_mitm;
/* Called for every record the relay receives. Returns 0 to forward it unchanged (resealed
 * under the relay's output key), or 1 when the hook has emitted what should go instead
 * (rp_emit*, possibly nothing). */
typedef int rp_hook(struct rp_mitm *m, int dir, const struct rp_rec *r, void *arg);

struct rp_dir {
	int in_fd;            /* the test's end where the sending session's bytes arrive */
	int out_fd;           /* the test's end that feeds the receiving session, -1: none */
	struct rp_buf in;     /* received bytes not yet a whole record */
	struct rp_key rx[2];  /* the relay opens with these ... */
	struct rp_key tx[2];  /* ... and reseals with these */
	int rx_idx;
	int records;          /* records received from the sending session */
	int alerts;           /* alerts among them */
	int alert;            /* the first alert's description, -1: none */
	int alert_level;      /* and its level */
	int opaque;           /* protected records no key opened */
	struct {              /* the first RP_LOG records received, in order: */
		uint8_t type;     /* real content type (the outer one when no key opened it) */
		uint8_t first;    /* the first content byte (a handshake record's message type) */
		int key;          /* RP_PLAIN, RP_KEY_HS or RP_KEY_APP */
	} log[RP_LOG];
};

struct rp_mitm {
	struct ktls_session *c, *s;   /* NULL: that side is the test itself */
	int c_fd, s_fd;               /* the sessions' ends */
	int crc, src;                 /* last handshake results (KTLS_WANT_READ before any step) */
	struct rp_dir d[2];
	rp_hook *hook;
	void *arg;
	bool have_hs, have_app;
};

/* Opens two socketpairs and, for each non-NULL config, a session on its end. With a NULL
 * config that side is the test: rp_inject writes into the other session as if from it, and
 * what the other session sends is decoded and dropped. 0 or -1. */
int rp_mitm_open(struct rp_mitm *m, const struct ktls_config *ccfg, const struct ktls_config *scfg);
/* Frees the sessions and closes every socket. */
void rp_mitm_close(struct rp_mitm *m);
/* Reads whatever the sender of dir wrote, record by record: decodes, calls the hook,
 * forwards. Returns the number of records handled. */
int rp_pump(struct rp_mitm *m, int dir);
/* Steps each session whose handshake is still waiting, then pumps both ways, until both are
 * done (or absent) and nothing moves, at most a few hundred rounds. */
void rp_run(struct rp_mitm *m);
/* Writes raw bytes to the receiver of dir (as if its peer sent them). 0 or -1. */
int rp_inject(struct rp_mitm *m, int dir, const void *p, size_t len);
/* For hooks (and tests): emit to the receiver of dir a record of content `type` under the
 * relay's output key `key` (RP_PLAIN: a plaintext record). */
int rp_emit(struct rp_mitm *m, int dir, int key, uint8_t type, const void *data, size_t len);
/* Raw bytes to the receiver of dir (dropped when that side is the test). */
int rp_emit_raw(struct rp_mitm *m, int dir, const void *p, size_t len);
/* The same with a hand-built TLSInnerPlaintext (protected keys only). */
int rp_emit_inner(struct rp_mitm *m, int dir, int key, const void *inner, size_t len);
/* Seals under the output key into out without sending (to corrupt it first). */
int rp_seal_out(struct rp_mitm *m, int dir, int key, uint8_t type, const void *data, size_t len,
		struct rp_buf *out);
/* Takes the traffic secrets from the sessions when they exist (rp_pump does it itself). */
void rp_snapshot(struct rp_mitm *m);

#endif
