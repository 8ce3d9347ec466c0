/*
 * ticket.h — stateless session tickets (RFC 8446 §4.6.1, §2.2) and the client's saved
 * session.
 *
 * A server keeps no per-client state: what it needs to resume a session travels in the
 * ticket itself, sealed with ChaCha20-Poly1305 under a ticket key only servers know.
 * Keys rotate: the current one seals, the current or the previous one opens, so a rotation
 * does not strand tickets issued just before it. Several workers or servers share keys
 * through a key file (ktls_config_set_ticket_key_file).
 *
 *   ticket = key_id(4) | nonce(12) | AEAD(key, nonce, aad = key_id, state)
 *   state  = version(1)=2 | suite(2) | psk<1..255> | age_add(4) | issued_ms(8)
 *            | lifetime_s(4) | alpn<0..255> | sni<0..255> | client<0..255>
 *
 * client is the subject of the certificate the client authenticated with in the handshake
 * that issued the ticket ("" for none): a resumed session has the identity of the one it
 * resumes, and a server that requires client certificates takes no ticket without one.
 * (Version 1 tickets, without client, still open.)
 *
 * The client's saved session (what --sess-out writes) holds the ticket and what the client
 * must know to use it: the PSK, suite, age_add, lifetime and when it arrived. It contains
 * the PSK, so it is a secret: files holding it are created mode 0600.
 */
#ifndef KTLS_TICKET_H
#define KTLS_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "suite.h"
#include "wire.h"

#define KTLS_TICKET_KEY_LEN 32
#define KTLS_TICKET_MAX 1024 /* bytes of a ticket we issue or keep */
#define KTLS_TICKETS_PER_HANDSHAKE_MAX 16 /* ktls_config_set_tickets' limit */

struct ktls_ticket_key {
	uint8_t key[KTLS_TICKET_KEY_LEN];
	uint32_t id; /* from the key: first 4 bytes of SHA-256(key) */
	bool set;
};

struct ktls_ticket_state {
	uint16_t suite;
	uint8_t psk[KTLS_MAX_HASH_LEN];
	size_t psk_len;
	uint32_t age_add;
	uint64_t issued_ms;  /* CLOCK_REALTIME, so tickets survive a restart with a key file */
	uint32_t lifetime_s;
	char alpn[256];
	char sni[256];
	char client[256]; /* the client certificate's subject, "" for none (tickets only) */
};

/* What a client keeps of one ticket. */
struct ktls_saved_session {
	struct ktls_ticket_state state; /* psk, suite, age_add, lifetime; issued_ms = arrival */
	uint8_t ticket[KTLS_TICKET_MAX];
	size_t ticket_len;
};

/* Makes a ticket key from 32 bytes. */
void ktls_ticket_key_init(struct ktls_ticket_key *k, const uint8_t *bytes);
/* Seals st under k into out (cap bytes), with nonce: KTLS_IV_LEN random bytes drawn for this
 * ticket alone (the caller draws them with its other random values, one system call for
 * all). Returns 0, KTLS_ENOSPACE or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_ticket_seal(const struct ktls_ticket_key *k,
				     const struct ktls_ticket_state *st, const uint8_t *nonce,
				     uint8_t *out, size_t cap, size_t *len);
/* Opens a ticket with whichever of keys[0..n) has its key id. Returns 0, or KTLS_EBADMAC
 * when no key fits or it does not authenticate, KTLS_EDECODE when the state is malformed. */
KTLS_MUST_CHECK int ktls_ticket_open(const struct ktls_ticket_key *keys, size_t n,
				     const uint8_t *ticket, size_t len,
				     struct ktls_ticket_state *st);

/* The client's saved session as bytes and back. Return 0, KTLS_ENOSPACE / KTLS_EDECODE. */
KTLS_MUST_CHECK int ktls_saved_session_encode(const struct ktls_saved_session *ss,
					      uint8_t *out, size_t cap, size_t *len);
KTLS_MUST_CHECK int ktls_saved_session_decode(const uint8_t *in, size_t len,
					      struct ktls_saved_session *ss);

/* Milliseconds of CLOCK_REALTIME. */
uint64_t ktls_wallclock_ms(void);

#endif
