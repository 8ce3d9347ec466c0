/*
 * hkdf.c — HKDF-Extract / HKDF-Expand (RFC 5869) and HKDF-Expand-Label / Derive-Secret
 * (RFC 8446 §7.1).
 *
 * Built on OpenSSL's one-shot HMAC() with a bounded stack buffer for T(i-1) | info | i:
 * TLS labels are at most 2 + 1 + 255 + 1 + 255 bytes, so a 1 KiB cap on info costs nothing
 * and keeps the code free of allocation.
 */
#include "hkdf.h"

#include "ktls.h"

#include <openssl/hmac.h>
#include <sodium.h>
#include <string.h>

#define HKDF_MAX_INFO 1024

int ktls_hkdf_extract(const EVP_MD *md, const uint8_t *salt, size_t salt_len,
		      const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
	static const uint8_t zeros[EVP_MAX_MD_SIZE];
	static const uint8_t empty[1];
	unsigned int out_len = 0;

	if (!salt || salt_len == 0) {
		/* HMAC pads its key with zeros, so "HashLen zeros" equals the empty key. */
		salt = zeros;
		salt_len = (size_t)EVP_MD_get_size(md);
	}
	if (!ikm)
		ikm = empty;
	if (!HMAC(md, salt, (int)salt_len, ikm, ikm_len, prk, &out_len))
		return KTLS_ECRYPTO;
	return 0;
}

int ktls_hkdf_expand(const EVP_MD *md, const uint8_t *prk, size_t prk_len, const uint8_t *info,
		     size_t info_len, uint8_t *okm, size_t len)
{
	size_t hash_len = (size_t)EVP_MD_get_size(md);
	uint8_t block[EVP_MAX_MD_SIZE + HKDF_MAX_INFO + 1];
	uint8_t t[EVP_MAX_MD_SIZE];
	size_t t_len = 0, done = 0;
	int err = 0;

	if (len > 255 * hash_len || info_len > HKDF_MAX_INFO)
		return KTLS_EINVAL;
	/* T(i) = HMAC-Hash(PRK, T(i-1) | info | i), OKM = first L bytes of T(1) | T(2) | ... */
	for (uint8_t i = 1; done < len; i++) {
		unsigned int out_len = 0;
		memcpy(block, t, t_len);
		if (info_len)
			memcpy(block + t_len, info, info_len);
		block[t_len + info_len] = i;
		if (!HMAC(md, prk, (int)prk_len, block, t_len + info_len + 1, t, &out_len)) {
			err = KTLS_ECRYPTO;
			break;
		}
		t_len = hash_len;
		size_t n = len - done < hash_len ? len - done : hash_len;
		memcpy(okm + done, t, n);
		done += n;
	}
	sodium_memzero(block, sizeof(block));
	sodium_memzero(t, sizeof(t));
	return err;
}

int ktls_hkdf_expand_label(const EVP_MD *md, const uint8_t *secret, const char *label,
			   const uint8_t *context, size_t context_len, uint8_t *out,
			   size_t out_len)
{
	/* struct { uint16 length; opaque label<7..255> = "tls13 " + Label;
	 *          opaque context<0..255>; } HkdfLabel;  (RFC 8446 §7.1) */
	static const char prefix[] = "tls13 ";
	uint8_t info[2 + 1 + 255 + 1 + 255];
	struct wire_writer w;
	struct wire_scope s;
	size_t label_len = strlen(label);

	if (out_len > 0xffff)
		return KTLS_EINVAL;
	wire_writer_init(&w, info, sizeof(info));
	int err = wire_put_u16(&w, (uint16_t)out_len);
	if (!err)
		err = wire_open(&w, 1, &s);
	if (!err)
		err = wire_put_bytes(&w, prefix, sizeof(prefix) - 1);
	if (!err)
		err = wire_put_bytes(&w, label, label_len);
	if (!err)
		err = wire_close(&w, &s, 7, 255);
	if (!err)
		err = wire_put_opaque(&w, 1, 0, 255, context, context_len);
	if (err)
		return err == KTLS_ENOSPACE ? KTLS_EINVAL : err;
	return ktls_hkdf_expand(md, secret, (size_t)EVP_MD_get_size(md), info, w.len, out, out_len);
}

int ktls_derive_secret(const EVP_MD *md, const uint8_t *secret, const char *label,
		       const uint8_t *transcript_hash, uint8_t *out)
{
	size_t hash_len = (size_t)EVP_MD_get_size(md);
	return ktls_hkdf_expand_label(md, secret, label, transcript_hash, hash_len, out, hash_len);
}
