/*
 * aead.h — one small interface over the TLS 1.3 AEADs: ChaCha20-Poly1305 (libsodium),
 * AES-128/256-GCM and AES-128-CCM / CCM_8 (OpenSSL EVP). A ktls_aead is keyed once; each
 * call takes the full 96-bit nonce (the record layer makes it from the IV and sequence
 * number, RFC 8446 §5.3). Output is ciphertext || tag, the tag suite->tag_len bytes (16, or
 * 8 for CCM_8); in and out may be the same buffer.
 */
#ifndef KTLS_AEAD_H
#define KTLS_AEAD_H

#include <openssl/evp.h>

#include "suite.h"
#include "wire.h"

struct ktls_aead {
	const struct ktls_suite *suite;
	uint8_t key[KTLS_MAX_KEY_LEN]; /* ChaCha20-Poly1305 and AES-CCM; GCM keeps it in evp */
	EVP_CIPHER_CTX *evp;           /* AES-GCM and AES-CCM only, keyed at init */
	int ccm_dir;                   /* AES-CCM: the direction evp is keyed for (1: seal) */
};

/* Keys the AEAD of suite with key (suite->key_len bytes). Returns 0, KTLS_ENOMEM or
 * KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_aead_init(struct ktls_aead *a, const struct ktls_suite *suite,
				   const uint8_t *key);
/* out receives len + suite->tag_len bytes. Returns 0 or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_aead_seal(struct ktls_aead *a, const uint8_t nonce[KTLS_IV_LEN],
				   const uint8_t *aad, size_t aad_len, const uint8_t *in,
				   size_t len, uint8_t *out);
/* in holds len bytes of ciphertext || tag; out receives len - suite->tag_len bytes. Returns
 * 0, or KTLS_EBADMAC when the input is shorter than a tag or does not authenticate (out is
 * then zeroed). */
KTLS_MUST_CHECK int ktls_aead_open(struct ktls_aead *a, const uint8_t nonce[KTLS_IV_LEN],
				   const uint8_t *aad, size_t aad_len, const uint8_t *in,
				   size_t len, uint8_t *out);
/* Frees and wipes; safe on a zeroed or already freed ktls_aead. */
void ktls_aead_free(struct ktls_aead *a);

#endif
