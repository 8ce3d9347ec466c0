/*
 * kex.h — the (EC)DHE key exchange of TLS 1.3 (RFC 8446 §4.2.8, §7.4): X25519 through
 * libsodium; X448, the NIST curves secp256r1/secp384r1/secp521r1 and the RFC 7919 FFDHE
 * groups through OpenSSL EVP.
 *
 * One ktls_kex holds our ephemeral key pair for one group. `pub` is what goes into our
 * KeyShareEntry.key_exchange; ktls_kex_derive takes the peer's key_exchange bytes, validates
 * them (a bad one is illegal_parameter) and gives the shared secret that feeds the key
 * schedule (ktls_keysched_handshake). ktls_kex_free wipes the private key.
 *
 *   X25519, X448  key_exchange 32 / 56 bytes (§4.2.8.2, RFC 7748); shared secret as long,
 *                 never all zero (§7.4.2)
 *   secp256r1/384r1/521r1  key_exchange 65 / 97 / 133 bytes, the uncompressed point
 *                 0x04 || X || Y (§4.2.8.2), which must lie on the curve; shared secret the
 *                 x-coordinate, 32 / 48 / 66 bytes (§7.4.1)
 *   ffdhe2048..8192  key_exchange Y, exactly the byte length of p (256 .. 1024) left-padded
 *                 with zeros (§4.2.8.1), 1 < Y < p-1 (RFC 7919 §5.1); shared secret
 *                 left-padded to the length of p (§7.4.1)
 */
#ifndef KTLS_KEX_H
#define KTLS_KEX_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define KTLS_KEX_PUB_MAX 1024    /* the longest key_exchange we send or accept (ffdhe8192) */
#define KTLS_KEX_SHARED_MAX 1024 /* the longest shared secret (ffdhe8192) */

struct ktls_kex {
	uint16_t group;                /* TLS_GROUP_* (messages.h); 0 before generate */
	uint8_t priv[32];              /* X25519 only */
	EVP_PKEY *pkey;                /* every other group: our key pair (OpenSSL) */
	uint8_t pub[KTLS_KEX_PUB_MAX]; /* our key_exchange bytes */
	size_t pub_len;
};

/* Returns 1 when group is one we implement (x25519, secp256r1, secp384r1, secp521r1, x448,
 * ffdhe2048 .. ffdhe8192), else 0. */
int ktls_kex_supported(uint16_t group);

/* The length of the shared secret of group (32 for X25519, 256 for ffdhe2048, ...), or 0
 * for a group we do not implement. */
size_t ktls_kex_shared_len(uint16_t group);

/* Makes a fresh key pair for group into *k (overwritten; free it with ktls_kex_free) and fills
 * k->pub / k->pub_len. Returns 0, KTLS_EUNSUPPORTED for a group we do not implement,
 * KTLS_ENOMEM or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_kex_generate(struct ktls_kex *k, uint16_t group);

/* As ktls_kex_generate, but an X25519 private key is the 32 bytes at x25519_random (fresh
 * random bytes for this key alone, which the caller wipes; NULL: drawn here), so that a
 * caller can draw them with its other random values in one system call. Other groups draw
 * from OpenSSL and ignore them. */
KTLS_MUST_CHECK int ktls_kex_generate_from(struct ktls_kex *k, uint16_t group,
					   const uint8_t *x25519_random);

/* For tests and known-answer checks only (a handshake always uses ktls_kex_generate or
 * ktls_kex_generate_from): sets a key pair from a fixed private key — X25519 (32 bytes) or
 * an FFDHE group (the exponent, big-endian, 1..len(p) bytes). Returns 0, KTLS_EUNSUPPORTED
 * for any other group, KTLS_EINVAL for a bad length, or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_kex_set_private(struct ktls_kex *k, uint16_t group, const uint8_t *priv,
					 size_t len);

/* The (EC)DHE shared secret of our key and the peer's key_exchange bytes (§7.4); shared must
 * hold KTLS_KEX_SHARED_MAX bytes and *shared_len receives
 * the length. Returns 0, KTLS_EILLEGAL when the peer's key has the wrong length, is not an
 * uncompressed point on the curve (NIST curves), is outside 1 < Y < p-1 (FFDHE), or gives
 * an all-zero result (X25519, X448, §7.4.2), KTLS_EINVAL when k holds no key, KTLS_ENOMEM
 * or KTLS_ECRYPTO. On error the group's shared-secret length of shared is zeroed. */
KTLS_MUST_CHECK int ktls_kex_derive(struct ktls_kex *k, const uint8_t *peer, size_t peer_len,
				    uint8_t *shared, size_t *shared_len);

/* Frees and wipes; safe on a zeroed or already freed ktls_kex. Returns nothing. */
void ktls_kex_free(struct ktls_kex *k);

#endif
