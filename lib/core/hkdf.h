/*
 * hkdf.h — HKDF (RFC 5869) and the TLS 1.3 labelled forms built on it (RFC 8446 §7.1).
 * HMAC (RFC 2104) over OpenSSL's hash; md is the hash (a suite's md(), or any EVP_MD for tests).
 */
#ifndef KTLS_HKDF_H
#define KTLS_HKDF_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* out = HMAC-Hash(key, msg) (RFC 2104): EVP_MD_get_size(md) bytes. Returns 0, KTLS_ENOMEM or
 * KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_hmac(const EVP_MD *md, const uint8_t *key, size_t key_len,
			      const uint8_t *msg, size_t msg_len, uint8_t *out);

/* PRK = HMAC-Hash(salt, IKM). prk receives EVP_MD_get_size(md) bytes. A NULL or empty salt
 * means HashLen zero bytes (RFC 5869 §2.2). Returns 0 or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_hkdf_extract(const EVP_MD *md, const uint8_t *salt, size_t salt_len,
				      const uint8_t *ikm, size_t ikm_len, uint8_t *prk);

/* OKM = HKDF-Expand(PRK, info, L) (RFC 5869 §2.3). Returns 0, KTLS_EINVAL when L exceeds
 * 255 * HashLen or info is longer than 1024 bytes, or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_hkdf_expand(const EVP_MD *md, const uint8_t *prk, size_t prk_len,
				     const uint8_t *info, size_t info_len, uint8_t *okm, size_t len);

/* HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1); label is given without
 * the "tls13 " prefix. The secret is HashLen bytes. */
KTLS_MUST_CHECK int ktls_hkdf_expand_label(const EVP_MD *md, const uint8_t *secret,
					   const char *label, const uint8_t *context,
					   size_t context_len, uint8_t *out, size_t out_len);

/* One HKDF-Expand-Label output: Label (without "tls13 "), Context, and where out_len bytes go. */
struct ktls_label_out {
	const char *label;
	const uint8_t *context;
	size_t context_len;
	uint8_t *out;
	size_t out_len;
};

/* Several HKDF-Expand-Label outputs of one secret (HashLen bytes), the HMAC key made ready
 * once for all of them: each output after the first costs two hash blocks less than its own
 * ktls_hkdf_expand_label. Returns 0, or KTLS_EINVAL, KTLS_ENOMEM, KTLS_ECRYPTO with every
 * output wiped. */
KTLS_MUST_CHECK int ktls_hkdf_expand_labels(const EVP_MD *md, const uint8_t *secret,
					    const struct ktls_label_out *outs, size_t n);

/* Derive-Secret(Secret, Label, Messages) (RFC 8446 §7.1), given Transcript-Hash(Messages)
 * already computed: out receives HashLen bytes. */
KTLS_MUST_CHECK int ktls_derive_secret(const EVP_MD *md, const uint8_t *secret,
				       const char *label, const uint8_t *transcript_hash,
				       uint8_t *out);

#endif
