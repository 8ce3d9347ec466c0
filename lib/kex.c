/*
 * kex.c — X25519 (libsodium) and P-256 ECDH (OpenSSL EVP) for the TLS 1.3 key share
 * (RFC 8446 §4.2.8, §7.4); see kex.h.
 *
 * Every check on the peer's key happens here, before its bytes reach a primitive: exact
 * length, the uncompressed-point prefix and the curve equation for P-256 (OpenSSL refuses an
 * encoded point that is off the curve when it builds the key, and set_peer_ex validates it
 * again), and for X25519 the all-zero output that a low-order point produces, tested in
 * constant time (§7.4.2). A peer key that fails any of them is illegal_parameter.
 */
#include "kex.h"

#include "ktls.h"
#include "messages.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <sodium.h>
#include <string.h>

#define X25519_LEN 32
#define P256_POINT_LEN 65 /* 0x04 || X || Y */
#define P256_GROUP_NAME "P-256"

/* Returns 1 for the groups we implement, else 0. */
int ktls_kex_supported(uint16_t group)
{
	return group == TLS_GROUP_X25519 || group == TLS_GROUP_SECP256R1;
}

/* Fills k->pub from k->priv (X25519). Returns 0 or KTLS_ECRYPTO. */
static int x25519_public(struct ktls_kex *k)
{
	if (crypto_scalarmult_base(k->pub, k->priv) != 0)
		return KTLS_ECRYPTO;
	k->pub_len = X25519_LEN;
	return 0;
}

/* A fresh P-256 key pair into k->p256 and its uncompressed point into k->pub. Returns 0,
 * KTLS_ENOMEM or KTLS_ECRYPTO. */
static int p256_generate(struct ktls_kex *k)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[3];
	size_t len = 0;
	int err = KTLS_ECRYPTO;

	if (!ctx)
		return KTLS_ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)P256_GROUP_NAME, 0);
	/* §4.2.8.2: only the uncompressed form is allowed in TLS 1.3. */
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
						     (char *)"uncompressed", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_keygen_init(ctx) <= 0 || !EVP_PKEY_CTX_set_params(ctx, params) ||
	    EVP_PKEY_generate(ctx, &k->p256) <= 0)
		goto out;
	if (!EVP_PKEY_get_octet_string_param(k->p256, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, k->pub,
					     sizeof(k->pub), &len) ||
	    len != P256_POINT_LEN || k->pub[0] != 0x04)
		goto out;
	k->pub_len = len;
	err = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* Returns 0, KTLS_EUNSUPPORTED, KTLS_ENOMEM or KTLS_ECRYPTO. */
int ktls_kex_generate(struct ktls_kex *k, uint16_t group)
{
	int err;

	memset(k, 0, sizeof(*k));
	if (!ktls_kex_supported(group))
		return KTLS_EUNSUPPORTED;
	if (sodium_init() < 0)
		return KTLS_ECRYPTO;
	k->group = group;
	if (group == TLS_GROUP_X25519) {
		randombytes_buf(k->priv, sizeof(k->priv)); /* clamped by crypto_scalarmult */
		err = x25519_public(k);
	} else {
		err = p256_generate(k);
	}
	if (err) {
		ERR_clear_error();
		ktls_kex_free(k);
	}
	return err;
}

/* Returns 0, KTLS_EUNSUPPORTED, KTLS_EINVAL or KTLS_ECRYPTO. */
int ktls_kex_set_private(struct ktls_kex *k, uint16_t group, const uint8_t *priv, size_t len)
{
	int err;

	memset(k, 0, sizeof(*k));
	if (group != TLS_GROUP_X25519)
		return KTLS_EUNSUPPORTED;
	if (len != X25519_LEN)
		return KTLS_EINVAL;
	if (sodium_init() < 0)
		return KTLS_ECRYPTO;
	k->group = group;
	memcpy(k->priv, priv, X25519_LEN);
	err = x25519_public(k);
	if (err)
		ktls_kex_free(k);
	return err;
}

/* X25519(priv, peer) (RFC 7748 §5). Returns 0 or KTLS_EILLEGAL. */
static int x25519_derive(const struct ktls_kex *k, const uint8_t *peer, size_t peer_len,
			 uint8_t *shared)
{
	if (peer_len != X25519_LEN)
		return KTLS_EILLEGAL;
	/* libsodium refuses some low-order points itself (-1); §7.4.2 demands that an all-zero
	 * result be refused, checked here in constant time whatever libsodium did. */
	int bad = crypto_scalarmult(shared, k->priv, peer) != 0;
	bad |= sodium_is_zero(shared, X25519_LEN);
	return bad ? KTLS_EILLEGAL : 0;
}

/* The peer's uncompressed P-256 point as an EVP_PKEY. Returns 0, KTLS_EILLEGAL when it is
 * not a point on the curve, or KTLS_ENOMEM. */
static int p256_peer_key(const uint8_t *peer, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[3];
	int err = KTLS_EILLEGAL;

	*out = NULL;
	if (!ctx)
		return KTLS_ENOMEM;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)P256_GROUP_NAME, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)peer,
						      P256_POINT_LEN);
	params[2] = OSSL_PARAM_construct_end();
	/* Decoding the point checks that it lies on the curve. */
	if (EVP_PKEY_fromdata_init(ctx) > 0 &&
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) > 0)
		err = 0;
	EVP_PKEY_CTX_free(ctx);
	return err;
}

/* ECDH on P-256; shared gets the 32-byte x-coordinate (§7.4.1). Returns 0, KTLS_EILLEGAL,
 * KTLS_ENOMEM or KTLS_ECRYPTO. */
static int p256_derive(const struct ktls_kex *k, const uint8_t *peer, size_t peer_len,
		       uint8_t *shared)
{
	EVP_PKEY *peer_key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = KTLS_KEX_SHARED_LEN;
	int err;

	/* §4.2.8.2: legacy_form 4, X and Y of 32 bytes each; compressed forms are not allowed. */
	if (peer_len != P256_POINT_LEN || peer[0] != 0x04)
		return KTLS_EILLEGAL;
	err = p256_peer_key(peer, &peer_key);
	if (err)
		return err;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->p256, NULL);
	if (!ctx) {
		err = KTLS_ENOMEM;
		goto out;
	}
	err = KTLS_ECRYPTO;
	if (EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	/* validate_peer = 1: OpenSSL's public-key check (on the curve, not infinity, right
	 * order) once more, independent of how the key was built. */
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 1) <= 0) {
		err = KTLS_EILLEGAL;
		goto out;
	}
	if (EVP_PKEY_derive(ctx, shared, &len) <= 0 || len != KTLS_KEX_SHARED_LEN)
		goto out;
	err = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer_key);
	return err;
}

/* Returns 0, KTLS_EILLEGAL, KTLS_EINVAL, KTLS_ENOMEM or KTLS_ECRYPTO. */
int ktls_kex_derive(struct ktls_kex *k, const uint8_t *peer, size_t peer_len, uint8_t *shared,
		    size_t *shared_len)
{
	int err;

	*shared_len = 0;
	if (!peer && peer_len)
		return KTLS_EINVAL;
	if (k->group == TLS_GROUP_X25519 && k->pub_len == X25519_LEN)
		err = x25519_derive(k, peer, peer_len, shared);
	else if (k->group == TLS_GROUP_SECP256R1 && k->p256)
		err = p256_derive(k, peer, peer_len, shared);
	else
		return KTLS_EINVAL;
	if (err) {
		ERR_clear_error();
		sodium_memzero(shared, KTLS_KEX_SHARED_LEN);
		return err;
	}
	*shared_len = KTLS_KEX_SHARED_LEN;
	return 0;
}

/* Frees and wipes k. Returns nothing. */
void ktls_kex_free(struct ktls_kex *k)
{
	EVP_PKEY_free(k->p256); /* OpenSSL clears the private scalar as it frees it */
	sodium_memzero(k, sizeof(*k));
}
