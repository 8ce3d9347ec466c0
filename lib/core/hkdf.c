/*
 * hkdf.c — HKDF-Extract / HKDF-Expand (RFC 5869) and HKDF-Expand-Label / Derive-Secret
 * (RFC 8446 §7.1).
 *
 * HMAC (RFC 2104) is built here over OpenSSL's hash, as picotls does, not taken from
 * OpenSSL's one-shot HMAC(): that one fetches the MAC and, by name, the digest, then builds
 * and frees a MAC context on every call — 20k instructions per call here, where the two
 * hash passes below cost 10k, and a handshake makes 23 of them (bench/README.md, "Instructions
 * per handshake"). Finished and binder MACs (§4.4.4, §4.2.11.2) use it too (ktls_hmac). The hashes are fetched from OpenSSL once per process (ktls_md_fetched,
 * suite.c): nothing shared changes during a handshake, so a config and its handshakes stay
 * safe to spread over threads. Each call has its own hash context.
 *
 * The message is given in parts (T(i-1), info, i for Expand), so nothing is copied into a
 * bounded buffer; TLS labels stay far below the 1 KiB cap on info all the same.
 */
#include "hkdf.h"

#include "ktls.h"
#include "suite.h"

#include <sodium.h>
#include <string.h>

#define HKDF_MAX_INFO 1024
#define HMAC_MAX_BLOCK 128 /* SHA-384 and SHA-512; SHA-1 and SHA-256 use 64 */

struct part {
	const uint8_t *p;
	size_t len;
};

/* out = HMAC-Hash(key, parts[0] | parts[1] | ...) (RFC 2104): H((K ^ opad) | H((K ^ ipad) |
 * text)), K zero-padded to the block, or hashed first when longer. out receives
 * EVP_MD_get_size(md) bytes. Returns 0 or KTLS_ECRYPTO, KTLS_ENOMEM. */
static int hmac(const EVP_MD *md, const uint8_t *key, size_t key_len, const struct part *parts,
		size_t n, uint8_t *out)
{
	uint8_t pad[HMAC_MAX_BLOCK], inner[EVP_MAX_MD_SIZE], hashed_key[EVP_MAX_MD_SIZE];
	int block = EVP_MD_get_block_size(md), hash_len = EVP_MD_get_size(md);
	EVP_MD_CTX *ctx;
	int ok;

	md = ktls_md_fetched(md);
	if (block <= 0 || block > HMAC_MAX_BLOCK || hash_len <= 0 || hash_len > EVP_MAX_MD_SIZE)
		return KTLS_ECRYPTO;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return KTLS_ENOMEM;
	ok = 1;
	if (key_len > (size_t)block) {
		ok = EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, key, key_len) &&
		     EVP_DigestFinal_ex(ctx, hashed_key, NULL);
		key = hashed_key;
		key_len = (size_t)hash_len;
	}
	memset(pad, 0x36, (size_t)block);
	for (size_t i = 0; i < key_len; i++)
		pad[i] ^= key[i];
	ok = ok && EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, pad, (size_t)block);
	for (size_t i = 0; ok && i < n; i++)
		ok = !parts[i].len || EVP_DigestUpdate(ctx, parts[i].p, parts[i].len);
	ok = ok && EVP_DigestFinal_ex(ctx, inner, NULL);
	for (int i = 0; i < block; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ok = ok && EVP_DigestInit_ex(ctx, md, NULL) && EVP_DigestUpdate(ctx, pad, (size_t)block) &&
	     EVP_DigestUpdate(ctx, inner, (size_t)hash_len) && EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx); /* the provider wipes its state */
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(hashed_key, sizeof(hashed_key));
	return ok ? 0 : KTLS_ECRYPTO;
}

int ktls_hmac(const EVP_MD *md, const uint8_t *key, size_t key_len, const uint8_t *msg,
	      size_t msg_len, uint8_t *out)
{
	struct part text = { msg, msg ? msg_len : 0 };
	return hmac(md, key, key_len, &text, 1, out);
}

int ktls_hkdf_extract(const EVP_MD *md, const uint8_t *salt, size_t salt_len,
		      const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
	struct part text = { ikm, ikm ? ikm_len : 0 };

	/* A NULL or empty salt is HashLen zeros (RFC 5869 §2.2), which HMAC's zero padding
	 * makes the same as the empty key. */
	if (!salt)
		salt_len = 0;
	return hmac(md, salt, salt_len, &text, 1, prk);
}

int ktls_hkdf_expand(const EVP_MD *md, const uint8_t *prk, size_t prk_len, const uint8_t *info,
		     size_t info_len, uint8_t *okm, size_t len)
{
	size_t hash_len = (size_t)EVP_MD_get_size(md);
	uint8_t t[EVP_MAX_MD_SIZE];
	size_t t_len = 0, done = 0;
	int err = 0;

	if (len > 255 * hash_len || info_len > HKDF_MAX_INFO)
		return KTLS_EINVAL;
	/* T(i) = HMAC-Hash(PRK, T(i-1) | info | i), OKM = first L bytes of T(1) | T(2) | ... */
	for (uint8_t i = 1; done < len; i++) {
		struct part text[3] = { { t, t_len }, { info, info_len }, { &i, 1 } };
		err = hmac(md, prk, prk_len, text, 3, t);
		if (err)
			break;
		t_len = hash_len;
		size_t n = len - done < hash_len ? len - done : hash_len;
		memcpy(okm + done, t, n);
		done += n;
	}
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
