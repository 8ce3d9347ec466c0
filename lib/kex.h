/*
 * kex.h — the (EC)DHE key exchange of TLS 1.3 (RFC 8446 §4.2.8, §7.4): X25519 through
 * libsodium, secp256r1 (P-256) through OpenSSL.
 *
 * One ktls_kex holds our ephemeral key pair for one group. `pub` is what goes into our
 * KeyShareEntry.key_exchange; ktls_kex_derive takes the peer's key_exchange bytes, validates
 * them (a bad one is illegal_parameter) and gives the shared secret that feeds the key
 * schedule (ktls_keysched_handshake). ktls_kex_free wipes the private key.
 *
 *   X25519  key_exchange 32 bytes (§4.2.8.2, RFC 7748); shared secret 32 bytes, never all
 *           zero (§7.4.2)
 *   P-256   key_exchange 65 bytes, the uncompressed point 0x04 || X || Y (§4.2.8.2), which
 *           must lie on the curve; shared secret the 32-byte x-coordinate (§7.4.1)
 */
#ifndef KTLS_KEX_H
#define KTLS_KEX_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define KTLS_KEX_PUB_MAX 65    /* the longest key_exchange we send or accept (P-256) */
#define KTLS_KEX_SHARED_LEN 32 /* the shared secret of every group here */

struct ktls_kex {
	uint16_t group;                /* TLS_GROUP_* (messages.h); 0 before generate */
	uint8_t priv[32];              /* X25519 only */
	EVP_PKEY *p256;                /* P-256 only: our key pair */
	uint8_t pub[KTLS_KEX_PUB_MAX]; /* our key_exchange bytes */
	size_t pub_len;
};

/* Returns 1 when group is one we implement (TLS_GROUP_X25519, TLS_GROUP_SECP256R1), else 0. */
int ktls_kex_supported(uint16_t group);

/* Makes a fresh key pair for group into *k (overwritten; free it with ktls_kex_free) and fills
 * k->pub / k->pub_len. Returns 0, KTLS_EUNSUPPORTED for a group we do not implement,
 * KTLS_ENOMEM or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_kex_generate(struct ktls_kex *k, uint16_t group);

/* For tests and known-answer checks only (a handshake always uses ktls_kex_generate): sets an
 * X25519 key pair from a fixed 32-byte private key. Returns 0, KTLS_EUNSUPPORTED for any
 * group but X25519, KTLS_EINVAL when len is not 32, or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_kex_set_private(struct ktls_kex *k, uint16_t group, const uint8_t *priv,
					 size_t len);

/* The (EC)DHE shared secret of our key and the peer's key_exchange bytes (§7.4); shared must
 * hold KTLS_KEX_SHARED_LEN bytes and *shared_len receives the length. Returns 0,
 * KTLS_EILLEGAL when the peer's key has the wrong length, is not an uncompressed point on
 * the curve (P-256), or gives a low-order / all-zero result (X25519, §7.4.2), KTLS_EINVAL
 * when k holds no key, KTLS_ENOMEM or KTLS_ECRYPTO. On error shared is zeroed. */
KTLS_MUST_CHECK int ktls_kex_derive(struct ktls_kex *k, const uint8_t *peer, size_t peer_len,
				    uint8_t *shared, size_t *shared_len);

/* Frees and wipes; safe on a zeroed or already freed ktls_kex. Returns nothing. */
void ktls_kex_free(struct ktls_kex *k);

#endif
