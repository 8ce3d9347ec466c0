/*
 * suite.h — the TLS 1.3 cipher suites this library implements (RFC 8446 §B.4) and the
 * sizes each implies. Every other layer asks this table instead of switching on suite ids.
 */
#ifndef KTLS_SUITE_H
#define KTLS_SUITE_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#define KTLS_MAX_HASH_LEN 48 /* SHA-384 */
#define KTLS_MAX_KEY_LEN 32
#define KTLS_IV_LEN 12       /* every TLS 1.3 AEAD here uses a 96-bit nonce (§5.3) */
#define KTLS_MAX_TAG_LEN 16  /* the longest tag; CCM_8's is 8 (suite->tag_len) */

enum ktls_aead_alg {
	KTLS_AEAD_AES_128_GCM,
	KTLS_AEAD_AES_256_GCM,
	KTLS_AEAD_CHACHA20_POLY1305,
	KTLS_AEAD_AES_128_CCM,   /* RFC 6655 AEAD_AES_128_CCM: 16-byte tag */
	KTLS_AEAD_AES_128_CCM_8, /* RFC 6655 AEAD_AES_128_CCM_8: 8-byte tag */
};

struct ktls_suite {
	uint16_t id;
	const char *name;
	enum ktls_aead_alg aead;
	size_t key_len;
	size_t tag_len;            /* bytes the AEAD adds to every record (§5.2) */
	const EVP_MD *(*md)(void); /* the suite's hash, for HKDF and the transcript */
	size_t hash_len;
};

/* The AEAD usage limit (RFC 8446 §5.5): how many records one key may protect. Returns
 * UINT64_MAX where no limit comes before the sequence number wraps (ChaCha20-Poly1305). */
uint64_t ktls_suite_record_limit(const struct ktls_suite *suite);

/* Returns the suite with that id, or NULL when it is not one of ours. */
const struct ktls_suite *ktls_suite_find(uint16_t id);

/* The same hash as md, fetched once per process (thread-safe, read-only after): for
 * SHA-256/384/512 a fetched EVP_MD, which spares EVP_DigestInit_ex its fetch by name on
 * every use; any other md (or NULL) comes back as it is. */
const EVP_MD *ktls_md_fetched(const EVP_MD *md);

#endif
