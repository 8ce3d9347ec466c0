/*
 * keysched.h — the TLS 1.3 key schedule (RFC 8446 §7.1), traffic keys (§7.3), Finished
 * (§4.4.4), KeyUpdate (§7.2) and the resumption PSK (§4.6.1).
 *
 * The schedule is a ladder of three HKDF-Extract steps — Early, Handshake, Master Secret —
 * each fed by the previous one through Derive-Secret(., "derived", ""). The caller climbs it
 * as the handshake goes, passing the transcript hash each step needs:
 *
 *   ktls_keysched_init(ks, suite)                   zeroed, knows its hash
 *   ktls_keysched_early(ks, psk)                    Early Secret (psk NULL: no PSK)
 *   ktls_keysched_handshake(ks, ecdhe, H(CH..SH))   Handshake Secret, c/s hs traffic
 *   ktls_keysched_master(ks, H(CH..server Fin))     Master Secret, c/s ap traffic, exporter
 *   ktls_keysched_resumption(ks, H(CH..client Fin)) resumption master secret
 *   ktls_keysched_wipe(ks)                          every secret zeroed
 *
 * `secret` always holds the current rung; the traffic secrets stay until the caller has
 * installed them (in the kernel or the userspace record layer) and wipes them.
 */
#ifndef KTLS_KEYSCHED_H
#define KTLS_KEYSCHED_H

#include <stdbool.h>

#include "suite.h"
#include "wire.h"

enum ktls_keysched_stage {
	KTLS_KS_NONE,
	KTLS_KS_EARLY,
	KTLS_KS_HANDSHAKE,
	KTLS_KS_MASTER,
};

struct ktls_keysched {
	const EVP_MD *md;
	size_t hash_len;
	enum ktls_keysched_stage stage;
	bool no_psk; /* the Early Secret is the no-PSK one, whose "derived" salt is a constant */
	uint8_t secret[KTLS_MAX_HASH_LEN]; /* Early, then Handshake, then Master Secret */
	uint8_t client_handshake_traffic[KTLS_MAX_HASH_LEN];
	uint8_t server_handshake_traffic[KTLS_MAX_HASH_LEN];
	uint8_t client_application_traffic[KTLS_MAX_HASH_LEN];
	uint8_t server_application_traffic[KTLS_MAX_HASH_LEN];
	uint8_t exporter_master[KTLS_MAX_HASH_LEN];
	uint8_t resumption_master[KTLS_MAX_HASH_LEN];
};

/* Traffic key material of one direction (§7.3). */
struct ktls_traffic_keys {
	uint8_t key[KTLS_MAX_KEY_LEN];
	uint8_t iv[KTLS_IV_LEN];
};

void ktls_keysched_init(struct ktls_keysched *ks, const struct ktls_suite *suite);
/* Early Secret = HKDF-Extract(0, PSK), with HashLen zeros when psk is NULL. */
KTLS_MUST_CHECK int ktls_keysched_early(struct ktls_keysched *ks, const uint8_t *psk,
					size_t psk_len);
/* binder_key = Derive-Secret(Early Secret, "res binder" or "ext binder", ""). */
KTLS_MUST_CHECK int ktls_keysched_binder_key(const struct ktls_keysched *ks, bool resumption,
					     uint8_t *out);
/* Handshake Secret from the (EC)DHE shared secret, then the handshake traffic secrets.
 * hello_hash = Transcript-Hash(ClientHello..ServerHello). */
KTLS_MUST_CHECK int ktls_keysched_handshake(struct ktls_keysched *ks, const uint8_t *ecdhe,
					    size_t ecdhe_len, const uint8_t *hello_hash);
/* Master Secret, then the application traffic and exporter master secrets.
 * finished_hash = Transcript-Hash(ClientHello..server Finished). */
KTLS_MUST_CHECK int ktls_keysched_master(struct ktls_keysched *ks, const uint8_t *finished_hash);
/* resumption_master_secret; client_finished_hash = Transcript-Hash(ClientHello..client
 * Finished). */
KTLS_MUST_CHECK int ktls_keysched_resumption(struct ktls_keysched *ks,
					     const uint8_t *client_finished_hash);
void ktls_keysched_wipe(struct ktls_keysched *ks);

/* [sender]_write_key and [sender]_write_iv from a traffic secret (§7.3). */
KTLS_MUST_CHECK int ktls_derive_traffic_keys(const struct ktls_suite *suite,
					     const uint8_t *traffic_secret,
					     struct ktls_traffic_keys *out);
/* finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length) (§4.4.4). */
KTLS_MUST_CHECK int ktls_finished_key(const EVP_MD *md, const uint8_t *base_key, uint8_t *out);
/* verify_data = HMAC(finished_key, Transcript-Hash(...)) (§4.4.4); out gets HashLen bytes. */
KTLS_MUST_CHECK int ktls_finished_verify_data(const EVP_MD *md, const uint8_t *base_key,
					      const uint8_t *transcript_hash, uint8_t *out);
/* application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", HashLen)
 * (§7.2); in and out may be the same buffer. */
KTLS_MUST_CHECK int ktls_next_traffic_secret(const EVP_MD *md, const uint8_t *secret,
					     uint8_t *out);
/* PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, HashLen)
 * (§4.6.1). */
KTLS_MUST_CHECK int ktls_resumption_psk(const EVP_MD *md, const uint8_t *resumption_master,
					const uint8_t *nonce, size_t nonce_len, uint8_t *out);

#endif
