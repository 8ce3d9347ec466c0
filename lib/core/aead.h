/*
 * aead.h — one small interface over the TLS 1.3 AEADs: ChaCha20-Poly1305 (libsodium or
 * OpenSSL EVP, whichever this CPU runs faster for the record's size: see aead.c),
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

/* The two ChaCha20-Poly1305 implementations (RFC 8439 §2.8), which must agree byte for
 * byte. AUTO: per record, the one the start-up measurement found faster for its size. */
enum ktls_aead_impl {
	KTLS_AEAD_IMPL_AUTO,
	KTLS_AEAD_IMPL_SODIUM,
	KTLS_AEAD_IMPL_EVP,
};

struct ktls_aead {
	const struct ktls_suite *suite;
	uint8_t key[KTLS_MAX_KEY_LEN]; /* ChaCha20-Poly1305 and AES-CCM; GCM keeps it in evp */
	EVP_CIPHER_CTX *evp;           /* AES: keyed at init; ChaCha20-Poly1305: keyed at the
					* first record that EVP protects */
	int ccm_dir;                   /* AES-CCM: the direction evp is keyed for (1: seal) */
	enum ktls_aead_impl impl;      /* ChaCha20-Poly1305: AUTO unless a test forced one */
};

/* Keys the AEAD of suite with key (suite->key_len bytes). Returns 0, KTLS_ENOMEM or
 * KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_aead_init(struct ktls_aead *a, const struct ktls_suite *suite,
				   const uint8_t *key);
/* out receives len + suite->tag_len bytes. Returns 0 or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_aead_seal(struct ktls_aead *a, const uint8_t nonce[KTLS_IV_LEN],
				   const uint8_t *aad, size_t aad_len, const uint8_t *in,
				   size_t len, uint8_t *out);
/* The same for a plaintext in two places: head[0..head_len) followed by out[head_len..len),
 * which the caller already wrote (the record layer's content type and padding after the
 * content it was given), so the content is encrypted from where it lies instead of being
 * copied next to them first. head is out, or does not overlap out[0..len + tag). Returns 0,
 * KTLS_EINVAL when head_len > len, KTLS_ENOMEM or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_aead_seal_gather(struct ktls_aead *a, const uint8_t nonce[KTLS_IV_LEN],
					  const uint8_t *aad, size_t aad_len, const uint8_t *head,
					  size_t head_len, size_t len, uint8_t *out);
/* in holds len bytes of ciphertext || tag; out receives len - suite->tag_len bytes. Returns
 * 0, or KTLS_EBADMAC when the input is shorter than a tag or does not authenticate (out is
 * then zeroed). */
KTLS_MUST_CHECK int ktls_aead_open(struct ktls_aead *a, const uint8_t nonce[KTLS_IV_LEN],
				   const uint8_t *aad, size_t aad_len, const uint8_t *in,
				   size_t len, uint8_t *out);
/* The ChaCha20-Poly1305 implementation an AUTO key uses for len plaintext bytes (a record's
 * content + type + padding): measured once per process (pthread_once) at the first call or
 * the first record, then only read. */
enum ktls_aead_impl ktls_aead_chacha_choice(size_t len);
/* Where that choice changes: below this length one implementation, from it on the other (0:
 * one serves every length; SIZE_MAX: libsodium only, EVP has no ChaCha20-Poly1305). For
 * the benchmark and the tests. */
size_t ktls_aead_chacha_crossover(void);
/* Test hook: makes a ChaCha20-Poly1305 key use impl for every record (AUTO: back to the
 * measured choice). Returns 0, KTLS_EINVAL for another AEAD, KTLS_EUNSUPPORTED when this
 * libcrypto has no ChaCha20-Poly1305. */
KTLS_MUST_CHECK int ktls_aead_force_impl(struct ktls_aead *a, enum ktls_aead_impl impl);
/* Frees and wipes; safe on a zeroed or already freed ktls_aead. */
void ktls_aead_free(struct ktls_aead *a);

#endif
