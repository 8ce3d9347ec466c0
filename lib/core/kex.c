/*
 * kex.c — the TLS 1.3 key share (RFC 8446 §4.2.8, §7.4): X25519 through libsodium (our public
 * key by its Edwards fixed-base multiplication and the birational map, below), every
 * other group through OpenSSL EVP ("X448", "EC" with P-256/P-384/P-521, "DH" with the
 * RFC 7919 named groups); see kex.h.
 *
 * Every check on the peer's key happens here, before its bytes reach a primitive: the exact
 * length of the group's key_exchange; for the NIST curves the uncompressed-point prefix and
 * the curve equation (OpenSSL refuses an encoded point that is off the curve when it builds
 * the key, and set_peer_ex validates it again); for FFDHE 1 < Y < p-1; for X25519 and X448
 * the all-zero output that a low-order point produces (§7.4.2). A peer key that fails any
 * of them is illegal_parameter.
 */
#include "kex.h"

#include "ktls.h"
#include "messages.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <sodium.h>
#include <string.h>

#define X25519_LEN 32

enum kex_kind { KEX_X25519, KEX_X448, KEX_EC, KEX_FFDHE };

struct kex_group {
	uint16_t id;
	enum kex_kind kind;
	const char *name; /* OpenSSL's group name (EC, DH), or NULL */
	size_t pub_len;   /* key_exchange bytes */
	size_t shared_len;
};

/* §4.2.8.2: an uncompressed point is 1 + 2 * field bytes, the secret the x-coordinate;
 * §4.2.8.1 / §7.4.1: FFDHE values and secrets are the byte length of p. */
static const struct kex_group kex_groups[] = {
	{ TLS_GROUP_X25519, KEX_X25519, NULL, 32, 32 },
	{ TLS_GROUP_SECP256R1, KEX_EC, "P-256", 65, 32 },
	{ TLS_GROUP_SECP384R1, KEX_EC, "P-384", 97, 48 },
	{ TLS_GROUP_SECP521R1, KEX_EC, "P-521", 133, 66 },
	{ TLS_GROUP_X448, KEX_X448, NULL, 56, 56 },
	{ TLS_GROUP_FFDHE2048, KEX_FFDHE, "ffdhe2048", 256, 256 },
	{ TLS_GROUP_FFDHE3072, KEX_FFDHE, "ffdhe3072", 384, 384 },
	{ TLS_GROUP_FFDHE4096, KEX_FFDHE, "ffdhe4096", 512, 512 },
	{ TLS_GROUP_FFDHE6144, KEX_FFDHE, "ffdhe6144", 768, 768 },
	{ TLS_GROUP_FFDHE8192, KEX_FFDHE, "ffdhe8192", 1024, 1024 },
};

static const struct kex_group *kex_group_find(uint16_t id)
{
	for (size_t i = 0; i < sizeof(kex_groups) / sizeof(kex_groups[0]); i++)
		if (kex_groups[i].id == id)
			return &kex_groups[i];
	return NULL;
}

/* OpenSSL's key type for a kind. */
static const char *kex_key_type(enum kex_kind kind)
{
	return kind == KEX_EC ? "EC" : kind == KEX_FFDHE ? "DH" : "X448";
}

/* Returns 1 for the groups we implement, else 0. */
int ktls_kex_supported(uint16_t group)
{
	return kex_group_find(group) != NULL;
}

size_t ktls_kex_shared_len(uint16_t group)
{
	const struct kex_group *g = kex_group_find(group);
	return g ? g->shared_len : 0;
}

/*
 * X25519 public keys by the Edwards fixed-base path. libsodium 1.0.18's
 * crypto_scalarmult_base runs the Montgomery ladder on the base point (335k instructions
 * here); its Edwards25519 fixed-base multiplication with precomputed tables costs 211k, and
 * the two curves are birationally equivalent (RFC 7748 §4.1): the Montgomery u of the same
 * multiple of the base point is u = (1 + y) / (1 - y) mod p, y the Edwards point's
 * y-coordinate. libsodium exposes no field inversion, so the few lines below do that one
 * map: field elements of 2^255 - 19 in five 51-bit limbs, the inverse by Fermat
 * (z^(p-2)). They only ever see y, which is the public key itself, not the private scalar
 * (that stays inside libsodium's constant-time multiplication). kex_test checks the result
 * against the ladder on 4,096 keys.
 */
typedef uint64_t fe25519[5];
#define FE_MASK51 ((UINT64_C(1) << 51) - 1)

/* h = the field element of s (little-endian, bit 255 ignored) */
static void fe_frombytes(fe25519 h, const uint8_t s[32])
{
	uint64_t w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = 0;
		for (int j = 7; j >= 0; j--)
			w[i] = w[i] << 8 | s[8 * i + j];
	}
	h[0] = w[0] & FE_MASK51;
	h[1] = (w[0] >> 51 | w[1] << 13) & FE_MASK51;
	h[2] = (w[1] >> 38 | w[2] << 26) & FE_MASK51;
	h[3] = (w[2] >> 25 | w[3] << 39) & FE_MASK51;
	h[4] = (w[3] >> 12) & FE_MASK51;
}

typedef unsigned __int128 fe_u128;

/* h = the 128-bit limb sums t reduced to limbs below 2^52. From limbs below 2^54, t[4] stays
 * below 5 * 2^108 + 2^60, so 19 times its carry fits 64 bits. */
static inline void fe_carry(fe25519 h, fe_u128 t[5])
{
	uint64_t c;
	for (int i = 0; i < 4; i++) {
		c = (uint64_t)(t[i] >> 51);
		h[i] = (uint64_t)t[i] & FE_MASK51;
		t[i + 1] += c;
	}
	c = (uint64_t)(t[4] >> 51);
	h[4] = (uint64_t)t[4] & FE_MASK51;
	h[0] += 19 * c; /* 2^255 = 19 (mod p) */
	h[1] += h[0] >> 51;
	h[0] &= FE_MASK51;
}

/* h = f * g; limbs in below 2^54, out below 2^52 */
static void fe_mul(fe25519 h, const fe25519 f, const fe25519 g)
{
	/* a product limb past the fifth comes back times 19 */
	uint64_t g19[5] = { 19 * g[0], 19 * g[1], 19 * g[2], 19 * g[3], 19 * g[4] };
	fe_u128 t[5];
	t[0] = (fe_u128)f[0] * g[0] + (fe_u128)f[1] * g19[4] + (fe_u128)f[2] * g19[3] +
	       (fe_u128)f[3] * g19[2] + (fe_u128)f[4] * g19[1];
	t[1] = (fe_u128)f[0] * g[1] + (fe_u128)f[1] * g[0] + (fe_u128)f[2] * g19[4] +
	       (fe_u128)f[3] * g19[3] + (fe_u128)f[4] * g19[2];
	t[2] = (fe_u128)f[0] * g[2] + (fe_u128)f[1] * g[1] + (fe_u128)f[2] * g[0] +
	       (fe_u128)f[3] * g19[4] + (fe_u128)f[4] * g19[3];
	t[3] = (fe_u128)f[0] * g[3] + (fe_u128)f[1] * g[2] + (fe_u128)f[2] * g[1] +
	       (fe_u128)f[3] * g[0] + (fe_u128)f[4] * g19[4];
	t[4] = (fe_u128)f[0] * g[4] + (fe_u128)f[1] * g[3] + (fe_u128)f[2] * g[2] +
	       (fe_u128)f[3] * g[1] + (fe_u128)f[4] * g[0];
	fe_carry(h, t);
}

/* h = f^(2^n), n >= 1: squarings, each the 15 distinct products of fe_mul's 25 */
static void fe_sqn(fe25519 h, const fe25519 f, int n)
{
	uint64_t a[5] = { f[0], f[1], f[2], f[3], f[4] };
	fe_u128 t[5];
	while (n-- > 0) {
		uint64_t d0 = 2 * a[0], d1 = 2 * a[1], d2 = 2 * a[2];
		uint64_t a3_19 = 19 * a[3], a4_19 = 19 * a[4];
		t[0] = (fe_u128)a[0] * a[0] + (fe_u128)d1 * a4_19 + (fe_u128)d2 * a3_19;
		t[1] = (fe_u128)d0 * a[1] + (fe_u128)d2 * a4_19 + (fe_u128)a[3] * a3_19;
		t[2] = (fe_u128)d0 * a[2] + (fe_u128)a[1] * a[1] + (fe_u128)(2 * a[3]) * a4_19;
		t[3] = (fe_u128)d0 * a[3] + (fe_u128)d1 * a[2] + (fe_u128)a[4] * a4_19;
		t[4] = (fe_u128)d0 * a[4] + (fe_u128)d1 * a[3] + (fe_u128)a[2] * a[2];
		fe_carry(a, t);
	}
	memcpy(h, a, sizeof(a));
}

/* h = 1/z = z^(p-2) = z^(2^255 - 21) (z != 0) */
static void fe_invert(fe25519 h, const fe25519 z)
{
	fe25519 z2, z9, z11, a, b, c;
	fe_sqn(z2, z, 1);        /* z^2 */
	fe_sqn(a, z2, 2);        /* z^8 */
	fe_mul(z9, a, z);        /* z^9 */
	fe_mul(z11, z9, z2);     /* z^11 */
	fe_sqn(a, z11, 1);       /* z^22 */
	fe_mul(a, a, z9);        /* z^(2^5 - 1) */
	fe_sqn(b, a, 5);
	fe_mul(a, b, a);         /* z^(2^10 - 1) */
	fe_sqn(b, a, 10);
	fe_mul(b, b, a);         /* z^(2^20 - 1) */
	fe_sqn(c, b, 20);
	fe_mul(b, c, b);         /* z^(2^40 - 1) */
	fe_sqn(b, b, 10);
	fe_mul(a, b, a);         /* z^(2^50 - 1) */
	fe_sqn(b, a, 50);
	fe_mul(b, b, a);         /* z^(2^100 - 1) */
	fe_sqn(c, b, 100);
	fe_mul(b, c, b);         /* z^(2^200 - 1) */
	fe_sqn(b, b, 50);
	fe_mul(a, b, a);         /* z^(2^250 - 1) */
	fe_sqn(a, a, 5);         /* z^(2^255 - 32) */
	fe_mul(h, a, z11);       /* z^(2^255 - 21) */
}

/* s = f as 32 little-endian bytes, fully reduced below p */
static void fe_tobytes(uint8_t s[32], const fe25519 f)
{
	uint64_t t[5] = { f[0], f[1], f[2], f[3], f[4] }, c;
	/* carry to limbs below 2^51 (the value may still be in [p, 2^255)) */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 4; i++) {
			t[i + 1] += t[i] >> 51;
			t[i] &= FE_MASK51;
		}
		c = t[4] >> 51;
		t[4] &= FE_MASK51;
		t[0] += 19 * c;
	}
	/* subtract p when t >= p: t + 19 carries into bit 255 exactly then */
	c = (t[0] + 19) >> 51;
	for (int i = 1; i < 5; i++)
		c = (t[i] + c) >> 51;
	t[0] += 19 * c;
	for (int i = 0; i < 4; i++) {
		t[i + 1] += t[i] >> 51;
		t[i] &= FE_MASK51;
	}
	t[4] &= FE_MASK51;
	uint64_t w[4] = { t[0] | t[1] << 51, t[1] >> 13 | t[2] << 38, t[2] >> 26 | t[3] << 25,
			  t[3] >> 39 | t[4] << 12 };
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			s[8 * i + j] = (uint8_t)(w[i] >> 8 * j);
}

/* Fills k->pub from k->priv (X25519): the Edwards multiple of the base point by the same
 * clamped scalar (libsodium clamps as RFC 7748 §5 does), mapped to u = (1 + y) / (1 - y).
 * Returns 0 or KTLS_ECRYPTO. */
static int x25519_public(struct ktls_kex *k)
{
	uint8_t ed[32];
	fe25519 y, num, den, inv;

	/* fails only for a scalar that is 0 mod the group order, which clamping excludes */
	if (crypto_scalarmult_ed25519_base(ed, k->priv) != 0)
		return KTLS_ECRYPTO;
	fe_frombytes(y, ed); /* the encoding's top bit is x's sign: not y */
	/* 1 + y and 1 - y (as 2p + 1 - y, so no limb goes negative); y != 1 for such a scalar */
	static const fe25519 two_p_plus_1 = { 2 * (FE_MASK51 - 18) + 1, 2 * FE_MASK51,
					      2 * FE_MASK51, 2 * FE_MASK51, 2 * FE_MASK51 };
	for (int i = 0; i < 5; i++) {
		num[i] = y[i] + (i == 0);
		den[i] = two_p_plus_1[i] - y[i];
	}
	fe_invert(inv, den);
	fe_mul(num, num, inv);
	fe_tobytes(k->pub, num);
	k->pub_len = X25519_LEN;
	return 0;
}

/* Y as exactly len bytes, left-padded with zeros (§4.2.8.1). Returns 0 or KTLS_ECRYPTO. */
static int ffdhe_pad(const BIGNUM *y, uint8_t *out, size_t len)
{
	return BN_bn2binpad(y, out, (int)len) == (int)len ? 0 : KTLS_ECRYPTO;
}

/* k->pub from k->pkey in the group's wire form. Returns 0 or KTLS_ECRYPTO. */
static int openssl_public(struct ktls_kex *k, const struct kex_group *g)
{
	size_t len = g->pub_len;
	BIGNUM *y = NULL;
	int err = KTLS_ECRYPTO;

	switch (g->kind) {
	case KEX_EC:
		if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						    k->pub, sizeof(k->pub), &len) &&
		    len == g->pub_len && k->pub[0] == 0x04)
			err = 0;
		break;
	case KEX_X448:
		if (EVP_PKEY_get_raw_public_key(k->pkey, k->pub, &len) && len == g->pub_len)
			err = 0;
		break;
	case KEX_FFDHE:
		/* our own Y is padded to the length of p as well (§4.2.8.1) */
		if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, &y))
			err = ffdhe_pad(y, k->pub, g->pub_len);
		BN_free(y);
		break;
	case KEX_X25519:
		break;
	}
	if (!err)
		k->pub_len = g->pub_len;
	return err;
}

/* A fresh OpenSSL key pair for g into k->pkey and its public value into k->pub. Returns 0,
 * KTLS_ENOMEM or KTLS_ECRYPTO. */
static int openssl_generate(struct ktls_kex *k, const struct kex_group *g)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, kex_key_type(g->kind), NULL);
	OSSL_PARAM params[3];
	size_t n = 0;
	int err = KTLS_ECRYPTO;

	if (!ctx)
		return KTLS_ENOMEM;
	if (g->name)
		params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
							       (char *)g->name, 0);
	/* §4.2.8.2: only the uncompressed form is allowed in TLS 1.3. */
	if (g->kind == KEX_EC)
		params[n++] = OSSL_PARAM_construct_utf8_string(
			OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, (char *)"uncompressed", 0);
	params[n] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_CTX_set_params(ctx, params) &&
	    EVP_PKEY_generate(ctx, &k->pkey) > 0)
		err = openssl_public(k, g);
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* Returns 0, KTLS_EUNSUPPORTED, KTLS_ENOMEM or KTLS_ECRYPTO. */
int ktls_kex_generate(struct ktls_kex *k, uint16_t group)
{
	return ktls_kex_generate_from(k, group, NULL);
}

int ktls_kex_generate_from(struct ktls_kex *k, uint16_t group, const uint8_t *x25519_random)
{
	const struct kex_group *g = kex_group_find(group);
	int err;

	memset(k, 0, sizeof(*k));
	if (!g)
		return KTLS_EUNSUPPORTED;
	if (sodium_init() < 0)
		return KTLS_ECRYPTO;
	k->group = group;
	if (g->kind == KEX_X25519) {
		/* clamped by the scalar multiplications */
		if (x25519_random)
			memcpy(k->priv, x25519_random, sizeof(k->priv));
		else
			randombytes_buf(k->priv, sizeof(k->priv));
		err = x25519_public(k);
	} else {
		err = openssl_generate(k, g);
	}
	if (err) {
		ERR_clear_error();
		ktls_kex_free(k);
	}
	return err;
}

/* An FFDHE key pair from a fixed exponent x: Y = g^x mod p, computed here because OpenSSL 3.0
 * does not derive the public value when a DH key is built from data. Returns 0, KTLS_EINVAL
 * or KTLS_ECRYPTO. */
static int ffdhe_set_private(struct ktls_kex *k, const struct kex_group *g, const uint8_t *priv,
			     size_t len)
{
	struct ktls_kex tmp = { 0 };
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *x = NULL, *y = NULL, *p = NULL, *gen = NULL;
	BN_CTX *bn = BN_CTX_new();
	int err = KTLS_ECRYPTO;

	if (!len || len > g->pub_len)
		err = KTLS_EINVAL;
	/* p and g of the named group, from a throwaway key of that group */
	else if (bn && !openssl_generate(&tmp, g) &&
		 EVP_PKEY_get_bn_param(tmp.pkey, OSSL_PKEY_PARAM_FFC_P, &p) &&
		 EVP_PKEY_get_bn_param(tmp.pkey, OSSL_PKEY_PARAM_FFC_G, &gen) &&
		 (x = BN_secure_new()) && BN_bin2bn(priv, (int)len, x) && (y = BN_new()) &&
		 BN_mod_exp(y, gen, x, p, bn) && (bld = OSSL_PARAM_BLD_new()) &&
		 OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) &&
		 OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) &&
		 OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) &&
		 (params = OSSL_PARAM_BLD_to_param(bld)) &&
		 (ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL)) &&
		 EVP_PKEY_fromdata_init(ctx) > 0 &&
		 EVP_PKEY_fromdata(ctx, &k->pkey, EVP_PKEY_KEYPAIR, params) > 0)
		err = openssl_public(k, g);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	ktls_kex_free(&tmp);
	BN_clear_free(x);
	BN_free(y);
	BN_free(p);
	BN_free(gen);
	BN_CTX_free(bn);
	return err;
}

/* Returns 0, KTLS_EUNSUPPORTED, KTLS_EINVAL or KTLS_ECRYPTO. */
int ktls_kex_set_private(struct ktls_kex *k, uint16_t group, const uint8_t *priv, size_t len)
{
	const struct kex_group *g = kex_group_find(group);
	int err;

	memset(k, 0, sizeof(*k));
	if (!g || (g->kind != KEX_X25519 && g->kind != KEX_FFDHE))
		return KTLS_EUNSUPPORTED;
	if (g->kind == KEX_X25519 && len != X25519_LEN)
		return KTLS_EINVAL;
	if (sodium_init() < 0)
		return KTLS_ECRYPTO;
	k->group = group;
	if (g->kind == KEX_X25519) {
		memcpy(k->priv, priv, X25519_LEN);
		err = x25519_public(k);
	} else {
		err = ffdhe_set_private(k, g, priv, len);
	}
	if (err) {
		ERR_clear_error();
		ktls_kex_free(k);
	}
	return err;
}

/* X25519(priv, peer) (RFC 7748 §5). Returns 0 or KTLS_EILLEGAL. */
static int x25519_derive(const struct ktls_kex *k, const uint8_t *peer, uint8_t *shared)
{
	/* libsodium refuses some low-order points itself (-1); §7.4.2 demands that an all-zero
	 * result be refused, checked here in constant time whatever libsodium did. */
	int bad = crypto_scalarmult(shared, k->priv, peer) != 0;
	bad |= sodium_is_zero(shared, X25519_LEN);
	return bad ? KTLS_EILLEGAL : 0;
}

/* Builds a public key of group g from fromdata params. Returns 0, KTLS_EILLEGAL when OpenSSL
 * refuses the value (a point off the curve), or KTLS_ENOMEM. */
static int peer_fromdata(const struct kex_group *g, OSSL_PARAM *params, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, kex_key_type(g->kind), NULL);
	int err = KTLS_EILLEGAL;

	if (!ctx)
		return KTLS_ENOMEM;
	if (EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) > 0)
		err = 0;
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* The peer's uncompressed point as an EVP_PKEY; decoding it checks that it lies on the
 * curve. Returns 0, KTLS_EILLEGAL or KTLS_ENOMEM. */
static int ec_peer_key(const struct kex_group *g, const uint8_t *peer, size_t peer_len,
		       EVP_PKEY **out)
{
	OSSL_PARAM params[3];

	/* §4.2.8.2: legacy_form 4, then X and Y of the field's size each; compressed and
	 * hybrid forms are not allowed. */
	if (peer_len != g->pub_len || peer[0] != 0x04)
		return KTLS_EILLEGAL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)peer,
						      peer_len);
	params[2] = OSSL_PARAM_construct_end();
	return peer_fromdata(g, params, out);
}

/* The peer's FFDHE value Y as an EVP_PKEY of the group. Returns 0, KTLS_EILLEGAL (wrong
 * length, or not 1 < Y < p-1), KTLS_ENOMEM or KTLS_ECRYPTO. */
static int ffdhe_peer_key(const struct ktls_kex *k, const struct kex_group *g,
			  const uint8_t *peer, size_t peer_len, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *y = NULL, *p = NULL;
	int err = KTLS_ECRYPTO;

	/* §4.2.8.1: Y is encoded as exactly the byte length of p, left-padded with zeros */
	if (peer_len != g->pub_len)
		return KTLS_EILLEGAL;
	if (!EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_FFC_P, &p) ||
	    !(y = BN_bin2bn(peer, (int)peer_len, NULL)) || !BN_sub_word(p, 1))
		goto out;
	/* RFC 7919 §5.1: the peer's Y must satisfy 1 < Y < p-1 (p now holds p-1) */
	if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, p) >= 0) {
		err = KTLS_EILLEGAL;
		goto out;
	}
	if ((bld = OSSL_PARAM_BLD_new()) &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)))
		err = peer_fromdata(g, params, out);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(y);
	BN_free(p);
	return err;
}

/* The peer's key_exchange as an EVP_PKEY of our group. Returns 0, KTLS_EILLEGAL, KTLS_ENOMEM
 * or KTLS_ECRYPTO. */
static int openssl_peer_key(const struct ktls_kex *k, const struct kex_group *g,
			    const uint8_t *peer, size_t peer_len, EVP_PKEY **out)
{
	*out = NULL;
	switch (g->kind) {
	case KEX_EC:
		return ec_peer_key(g, peer, peer_len, out);
	case KEX_FFDHE:
		return ffdhe_peer_key(k, g, peer, peer_len, out);
	case KEX_X448:
		if (peer_len != g->pub_len)
			return KTLS_EILLEGAL;
		*out = EVP_PKEY_new_raw_public_key_ex(NULL, "X448", NULL, peer, peer_len);
		return *out ? 0 : KTLS_ENOMEM;
	case KEX_X25519:
		break;
	}
	return KTLS_EINVAL;
}

/* ECDH, X448 or FFDHE through OpenSSL; shared gets g->shared_len bytes. Returns 0,
 * KTLS_EILLEGAL, KTLS_ENOMEM or KTLS_ECRYPTO. */
static int openssl_derive(const struct ktls_kex *k, const struct kex_group *g,
			  const uint8_t *peer, size_t peer_len, uint8_t *shared)
{
	EVP_PKEY *peer_key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = g->shared_len;
	int err = openssl_peer_key(k, g, peer, peer_len, &peer_key);

	if (err)
		return err;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (!ctx) {
		err = KTLS_ENOMEM;
		goto out;
	}
	err = KTLS_ECRYPTO;
	if (EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	/* §7.4.1: the FFDHE secret keeps its leading zeros, the length of p */
	if (g->kind == KEX_FFDHE && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)
		goto out;
	/* validate_peer = 1: OpenSSL's public-key check (on the curve, not infinity, right
	 * order; for DH the range and subgroup) once more, independent of how the key was
	 * built. */
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 1) <= 0) {
		err = KTLS_EILLEGAL;
		goto out;
	}
	if (EVP_PKEY_derive(ctx, shared, &len) <= 0) {
		/* OpenSSL's X448 refuses an all-zero result itself (§7.4.2) */
		err = g->kind == KEX_X448 ? KTLS_EILLEGAL : KTLS_ECRYPTO;
		goto out;
	}
	if (len != g->shared_len)
		goto out;
	/* §7.4.2, whatever OpenSSL did: an all-zero X448 result is refused */
	err = g->kind == KEX_X448 && sodium_is_zero(shared, len) ? KTLS_EILLEGAL : 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer_key);
	return err;
}

/* Returns 0, KTLS_EILLEGAL, KTLS_EINVAL, KTLS_ENOMEM or KTLS_ECRYPTO. */
int ktls_kex_derive(struct ktls_kex *k, const uint8_t *peer, size_t peer_len, uint8_t *shared,
		    size_t *shared_len)
{
	const struct kex_group *g = kex_group_find(k->group);
	int err;

	*shared_len = 0;
	if (!peer && peer_len)
		return KTLS_EINVAL;
	if (!g || !k->pub_len || (g->kind != KEX_X25519 && !k->pkey))
		return KTLS_EINVAL;
	if (peer_len != g->pub_len)
		err = KTLS_EILLEGAL; /* §4.2.8: every group's key_exchange has one length */
	else if (g->kind == KEX_X25519)
		err = x25519_derive(k, peer, shared);
	else
		err = openssl_derive(k, g, peer, peer_len, shared);
	if (err) {
		ERR_clear_error();
		sodium_memzero(shared, g->shared_len);
		return err;
	}
	*shared_len = g->shared_len;
	return 0;
}

/* Frees and wipes k. Returns nothing. */
void ktls_kex_free(struct ktls_kex *k)
{
	EVP_PKEY_free(k->pkey); /* OpenSSL clears the private key as it frees it */
	sodium_memzero(k, sizeof(*k));
}
