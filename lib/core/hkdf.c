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
 * safe to spread over threads. Each call has its own hash context. Where one secret yields
 * several labels (the traffic secrets of a rung, a key and its IV), ktls_hkdf_expand_labels
 * hashes the HMAC key's padded blocks once and starts each MAC from copies of those states.
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

/* An HMAC key made ready for several MACs: the two padded key blocks (K ^ ipad, K ^ opad)
 * hashed once into `inner` and `outer`; each MAC then starts from copies of those states
 * instead of hashing the pads again — two hash blocks (~4.5k instructions here) saved per
 * MAC after the first. The states hold the key in all but name: keyed_free wipes them (the
 * provider clears its state when a context is freed). */
struct keyed {
	const EVP_MD *md;
	size_t hash_len;
	EVP_MD_CTX *inner, *outer, *work;
};

static void keyed_free(struct keyed *k)
{
	EVP_MD_CTX_free(k->inner);
	EVP_MD_CTX_free(k->outer);
	EVP_MD_CTX_free(k->work);
	memset(k, 0, sizeof(*k));
}

/* Returns 0, KTLS_ENOMEM or KTLS_ECRYPTO (k freed on failure). */
static int keyed_init(struct keyed *k, const EVP_MD *md, const uint8_t *key, size_t key_len)
{
	uint8_t pad[HMAC_MAX_BLOCK], hashed_key[EVP_MAX_MD_SIZE];
	int block = EVP_MD_get_block_size(md), hash_len = EVP_MD_get_size(md);
	int ok;

	memset(k, 0, sizeof(*k));
	md = ktls_md_fetched(md);
	if (block <= 0 || block > HMAC_MAX_BLOCK || hash_len <= 0 || hash_len > EVP_MAX_MD_SIZE)
		return KTLS_ECRYPTO;
	k->md = md;
	k->hash_len = (size_t)hash_len;
	k->inner = EVP_MD_CTX_new();
	k->outer = EVP_MD_CTX_new();
	k->work = EVP_MD_CTX_new();
	if (!k->inner || !k->outer || !k->work) {
		keyed_free(k);
		return KTLS_ENOMEM;
	}
	ok = 1;
	if (key_len > (size_t)block) {
		ok = EVP_DigestInit_ex(k->work, md, NULL) && EVP_DigestUpdate(k->work, key, key_len) &&
		     EVP_DigestFinal_ex(k->work, hashed_key, NULL);
		key = hashed_key;
		key_len = (size_t)hash_len;
	}
	memset(pad, 0x36, (size_t)block);
	for (size_t i = 0; i < key_len; i++)
		pad[i] ^= key[i];
	ok = ok && EVP_DigestInit_ex(k->inner, md, NULL) &&
	     EVP_DigestUpdate(k->inner, pad, (size_t)block);
	for (int i = 0; i < block; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ok = ok && EVP_DigestInit_ex(k->outer, md, NULL) &&
	     EVP_DigestUpdate(k->outer, pad, (size_t)block);
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(hashed_key, sizeof(hashed_key));
	if (!ok) {
		keyed_free(k);
		return KTLS_ECRYPTO;
	}
	return 0;
}

/* out = HMAC(k, parts[0] | parts[1] | ...). Returns 0 or KTLS_ECRYPTO. */
static int keyed_mac(struct keyed *k, const struct part *parts, size_t n, uint8_t *out)
{
	uint8_t inner[EVP_MAX_MD_SIZE];
	int ok = EVP_MD_CTX_copy_ex(k->work, k->inner);
	for (size_t i = 0; ok && i < n; i++)
		ok = !parts[i].len || EVP_DigestUpdate(k->work, parts[i].p, parts[i].len);
	ok = ok && EVP_DigestFinal_ex(k->work, inner, NULL) &&
	     EVP_MD_CTX_copy_ex(k->work, k->outer) &&
	     EVP_DigestUpdate(k->work, inner, k->hash_len) && EVP_DigestFinal_ex(k->work, out, NULL);
	sodium_memzero(inner, sizeof(inner));
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

/* info = HkdfLabel { uint16 length; opaque label<7..255> = "tls13 " + Label;
 * opaque context<0..255>; } (RFC 8446 §7.1). Returns 0 and *info_len, or KTLS_EINVAL. */
static int label_info(const char *label, const uint8_t *context, size_t context_len,
		      size_t out_len, uint8_t *info, size_t cap, size_t *info_len)
{
	static const char prefix[] = "tls13 ";
	struct wire_writer w;
	struct wire_scope s;

	if (out_len > 0xffff)
		return KTLS_EINVAL;
	wire_writer_init(&w, info, cap);
	int err = wire_put_u16(&w, (uint16_t)out_len);
	if (!err)
		err = wire_open(&w, 1, &s);
	if (!err)
		err = wire_put_bytes(&w, prefix, sizeof(prefix) - 1);
	if (!err)
		err = wire_put_bytes(&w, label, strlen(label));
	if (!err)
		err = wire_close(&w, &s, 7, 255);
	if (!err)
		err = wire_put_opaque(&w, 1, 0, 255, context, context_len);
	if (err)
		return err == KTLS_ENOSPACE ? KTLS_EINVAL : err;
	*info_len = w.len;
	return 0;
}

#define LABEL_INFO_MAX (2 + 1 + 255 + 1 + 255)

int ktls_hkdf_expand_label(const EVP_MD *md, const uint8_t *secret, const char *label,
			   const uint8_t *context, size_t context_len, uint8_t *out,
			   size_t out_len)
{
	uint8_t info[LABEL_INFO_MAX];
	size_t info_len;
	int err = label_info(label, context, context_len, out_len, info, sizeof(info), &info_len);
	return err ? err : ktls_hkdf_expand(md, secret, (size_t)EVP_MD_get_size(md), info,
					    info_len, out, out_len);
}

int ktls_hkdf_expand_labels(const EVP_MD *md, const uint8_t *secret,
			    const struct ktls_label_out *outs, size_t n)
{
	uint8_t info[LABEL_INFO_MAX], t[EVP_MAX_MD_SIZE];
	size_t info_len;
	struct keyed k;
	int err = keyed_init(&k, md, secret, (size_t)EVP_MD_get_size(md));

	for (size_t j = 0; !err && j < n; j++) {
		const struct ktls_label_out *o = &outs[j];
		size_t t_len = 0, done = 0;
		err = label_info(o->label, o->context, o->context_len, o->out_len, info,
				 sizeof(info), &info_len);
		if (!err && o->out_len > 255 * k.hash_len)
			err = KTLS_EINVAL;
		/* HKDF-Expand (RFC 5869 §2.3), as ktls_hkdf_expand, with the key made ready once */
		for (uint8_t i = 1; !err && done < o->out_len; i++) {
			struct part text[3] = { { t, t_len }, { info, info_len }, { &i, 1 } };
			err = keyed_mac(&k, text, 3, t);
			t_len = k.hash_len;
			size_t m = o->out_len - done < k.hash_len ? o->out_len - done : k.hash_len;
			if (!err)
				memcpy(o->out + done, t, m);
			done += m;
		}
	}
	sodium_memzero(t, sizeof(t));
	if (k.inner)
		keyed_free(&k);
	if (err)
		for (size_t j = 0; j < n; j++)
			sodium_memzero(outs[j].out, outs[j].out_len);
	return err;
}

int ktls_derive_secret(const EVP_MD *md, const uint8_t *secret, const char *label,
		       const uint8_t *transcript_hash, uint8_t *out)
{
	size_t hash_len = (size_t)EVP_MD_get_size(md);
	return ktls_hkdf_expand_label(md, secret, label, transcript_hash, hash_len, out, hash_len);
}
