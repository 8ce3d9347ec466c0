/*
 * sig.c — CertificateVerify content, scheme choice, signing and verification (RFC 8446
 * §4.4.3, §4.2.3); see sig.h.
 *
 * One table names each scheme we implement with the key type and hash it needs; every other
 * function asks it, so "does this scheme fit this key" has a single answer for choosing,
 * signing and verifying. A scheme fits a key only when the key type is exact: rsa_pss_rsae_*
 * needs an rsaEncryption key (not an RSASSA-PSS one, which would be rsa_pss_pss_*), and an
 * ECDSA scheme names its curve.
 */
#include "sig.h"

#include "ktls.h"
#include "messages.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <sodium.h>
#include <string.h>

enum key_kind { KEY_ED25519, KEY_EC, KEY_RSA };

struct scheme_info {
	uint16_t scheme;
	enum key_kind kind;
	int curve_nid;             /* KEY_EC only */
	const EVP_MD *(*md)(void); /* NULL for Ed25519 (pure EdDSA) */
};

/* Our preference order, also the order we advertise in signature_algorithms. */
static const struct scheme_info schemes[] = {
	{ TLS_SIG_ED25519, KEY_ED25519, 0, NULL },
	{ TLS_SIG_ECDSA_SECP256R1_SHA256, KEY_EC, NID_X9_62_prime256v1, EVP_sha256 },
	{ TLS_SIG_ECDSA_SECP384R1_SHA384, KEY_EC, NID_secp384r1, EVP_sha384 },
	{ TLS_SIG_RSA_PSS_RSAE_SHA256, KEY_RSA, 0, EVP_sha256 },
	{ TLS_SIG_RSA_PSS_RSAE_SHA384, KEY_RSA, 0, EVP_sha384 },
	{ TLS_SIG_RSA_PSS_RSAE_SHA512, KEY_RSA, 0, EVP_sha512 },
};
#define N_SCHEMES (sizeof(schemes) / sizeof(schemes[0]))

const uint16_t ktls_sig_schemes_supported[] = {
	TLS_SIG_ED25519,
	TLS_SIG_ECDSA_SECP256R1_SHA256,
	TLS_SIG_ECDSA_SECP384R1_SHA384,
	TLS_SIG_RSA_PSS_RSAE_SHA256,
	TLS_SIG_RSA_PSS_RSAE_SHA384,
	TLS_SIG_RSA_PSS_RSAE_SHA512,
};
const size_t ktls_sig_schemes_supported_n =
	sizeof(ktls_sig_schemes_supported) / sizeof(ktls_sig_schemes_supported[0]);

/* §4.2.3: signatures in certificates may use more schemes than CertificateVerify — above
 * all rsa_pkcs1_*, which most RSA CAs still sign with. OpenSSL's chain verification checks
 * them all; this list says so in signature_algorithms_cert. */
const uint16_t ktls_sig_schemes_cert[] = {
	0x0807, /* ed25519 */
	0x0403, /* ecdsa_secp256r1_sha256 */
	0x0503, /* ecdsa_secp384r1_sha384 */
	0x0603, /* ecdsa_secp521r1_sha512 */
	0x0804, 0x0805, 0x0806, /* rsa_pss_rsae_sha256/384/512 */
	0x0809, 0x080a, 0x080b, /* rsa_pss_pss_sha256/384/512 */
	0x0401, 0x0501, 0x0601, /* rsa_pkcs1_sha256/384/512 */
};
const size_t ktls_sig_schemes_cert_n = sizeof(ktls_sig_schemes_cert) / sizeof(ktls_sig_schemes_cert[0]);

/* Returns the table entry of scheme, or NULL when we do not implement it in
 * CertificateVerify (rsa_pkcs1_* included). */
static const struct scheme_info *scheme_find(uint16_t scheme)
{
	for (size_t i = 0; i < N_SCHEMES; i++)
		if (schemes[i].scheme == scheme)
			return &schemes[i];
	return NULL;
}

/* Returns the NID of an EC key's named curve, or NID_undef. */
static int ec_curve_nid(EVP_PKEY *key)
{
	char name[64];
	size_t len = 0;
	int nid;

	if (!EVP_PKEY_get_group_name(key, name, sizeof(name), &len))
		return NID_undef;
	nid = OBJ_sn2nid(name); /* "prime256v1", "secp384r1" */
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name); /* "P-256", "P-384" */
	return nid;
}

/* Returns 1 when key has the type (and curve, size) that s needs, else 0. */
static int fits(const struct scheme_info *s, EVP_PKEY *key)
{
	if (!key)
		return 0;
	switch (s->kind) {
	case KEY_ED25519:
		return EVP_PKEY_is_a(key, "ED25519");
	case KEY_EC:
		return EVP_PKEY_is_a(key, "EC") && ec_curve_nid(key) == s->curve_nid;
	case KEY_RSA: {
		/* RSASSA-PSS needs emLen >= hLen + sLen + 2 (RFC 8017 §9.1.1), sLen = hLen. */
		int bits = EVP_PKEY_get_bits(key);
		int hlen = EVP_MD_get_size(s->md());
		return EVP_PKEY_is_a(key, "RSA") && bits > 0 && (bits + 6) / 8 >= 2 * hlen + 2;
	}
	}
	return 0;
}

/* Returns 0 and *out_len, or KTLS_EINVAL. */
int ktls_cv_content(int server, const uint8_t *transcript_hash, size_t hash_len, uint8_t *out,
		    size_t *out_len)
{
	/* §4.4.3: both strings are 33 bytes. */
	static const char server_ctx[] = "TLS 1.3, server CertificateVerify";
	static const char client_ctx[] = "TLS 1.3, client CertificateVerify";
	const char *ctx = server ? server_ctx : client_ctx;
	size_t ctx_len = sizeof(server_ctx) - 1;

	*out_len = 0;
	if (hash_len == 0 || hash_len > 64 || !transcript_hash)
		return KTLS_EINVAL;
	memset(out, 0x20, 64);
	memcpy(out + 64, ctx, ctx_len);
	out[64 + ctx_len] = 0;
	memcpy(out + 64 + ctx_len + 1, transcript_hash, hash_len);
	*out_len = 64 + ctx_len + 1 + hash_len;
	return 0;
}

/* Returns 1 when key fits scheme, else 0. */
int ktls_sig_scheme_fits_key(uint16_t scheme, EVP_PKEY *key)
{
	const struct scheme_info *s = scheme_find(scheme);
	return s && fits(s, key);
}

/* Returns 0 and *scheme, or KTLS_EHANDSHAKE. */
int ktls_sig_choose(EVP_PKEY *key, const uint8_t *peer_offered, size_t n, uint16_t *scheme)
{
	for (size_t i = 0; i < N_SCHEMES; i++) {
		if (!fits(&schemes[i], key))
			continue;
		for (size_t j = 0; j < n; j++) {
			uint16_t offered =
				(uint16_t)(peer_offered[2 * j] << 8 | peer_offered[2 * j + 1]);
			if (offered == schemes[i].scheme) {
				*scheme = offered;
				return 0;
			}
		}
	}
	return KTLS_EHANDSHAKE;
}

/* Sets up ctx to sign (sign != 0) or verify with key under s: the hash, and for RSA the PSS
 * padding, MGF1 hash and salt length = hash length (§4.2.3). Returns 0 or KTLS_ECRYPTO. */
static int init_ctx(EVP_MD_CTX *ctx, const struct scheme_info *s, EVP_PKEY *key, int sign)
{
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = s->md ? s->md() : NULL;
	int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, key)
		      : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key);

	if (ok <= 0)
		return KTLS_ECRYPTO;
	if (s->kind == KEY_RSA &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0))
		return KTLS_ECRYPTO;
	return 0;
}

/* Returns 0, or KTLS_EINVAL (not an Ed25519 key) or KTLS_ECRYPTO. */
int ktls_sig_ed25519_secret(EVP_PKEY *key, uint8_t sk[KTLS_ED25519_SECRET_LEN])
{
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES];
	size_t len = sizeof(seed);
	int err = 0;

	if (!key || !EVP_PKEY_is_a(key, "ED25519"))
		return KTLS_EINVAL;
	/* libsodium's secret key is the RFC 8032 seed followed by the public key it makes */
	if (EVP_PKEY_get_raw_private_key(key, seed, &len) != 1 || len != sizeof(seed) ||
	    crypto_sign_seed_keypair(pk, sk, seed) != 0)
		err = KTLS_ECRYPTO;
	sodium_memzero(seed, sizeof(seed));
	if (err) {
		sodium_memzero(sk, KTLS_ED25519_SECRET_LEN);
		ERR_clear_error();
	}
	return err;
}

/* Ed25519 (pure EdDSA, RFC 8032 §5.1.6) through libsodium: 2.6x cheaper here than OpenSSL's
 * EVP, and the same signature (EdDSA is deterministic). sk: ktls_sig_ed25519_secret's, or
 * NULL to extract it from key for this one signature. Returns 0 or KTLS_ECRYPTO. */
static int sign_ed25519(EVP_PKEY *key, const uint8_t *sk, const uint8_t *msg, size_t len,
			uint8_t *sig, size_t *sig_len)
{
	uint8_t own[KTLS_ED25519_SECRET_LEN];
	unsigned long long out_len = 0;
	int err = 0;

	if (!sk) {
		err = ktls_sig_ed25519_secret(key, own);
		sk = own;
	}
	if (!err && crypto_sign_detached(sig, &out_len, msg, len, sk) != 0)
		err = KTLS_ECRYPTO;
	sodium_memzero(own, sizeof(own));
	if (!err)
		*sig_len = (size_t)out_len;
	return err;
}

/* Returns 0 and *sig_len, KTLS_EINVAL, KTLS_ENOSPACE, KTLS_ENOMEM or KTLS_ECRYPTO. */
int ktls_sig_sign(EVP_PKEY *key, const uint8_t *ed25519_sk, uint16_t scheme, const uint8_t *msg,
		  size_t len, uint8_t *sig, size_t *sig_len, size_t sig_cap)
{
	const struct scheme_info *s = scheme_find(scheme);
	EVP_MD_CTX *ctx;
	size_t out_len = sig_cap;
	int max, err;

	*sig_len = 0;
	if (!s || !fits(s, key))
		return KTLS_EINVAL;
	max = EVP_PKEY_get_size(key); /* the longest signature key can make */
	if (max <= 0)
		return KTLS_ECRYPTO;
	if ((size_t)max > sig_cap)
		return KTLS_ENOSPACE;
	if (s->kind == KEY_ED25519)
		return sign_ed25519(key, ed25519_sk, msg, len, sig, sig_len);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return KTLS_ENOMEM;
	err = init_ctx(ctx, s, key, 1);
	/* One-shot: the same result as update + final, in one call. */
	if (!err && EVP_DigestSign(ctx, sig, &out_len, msg, len) <= 0)
		err = KTLS_ECRYPTO;
	EVP_MD_CTX_free(ctx);
	if (err) {
		ERR_clear_error();
		return err;
	}
	*sig_len = out_len;
	return 0;
}

/* Checks an Ed25519 signature through libsodium. Its checks are a superset of OpenSSL's
 * (canonical S and A, and also no small-order R or A, which no honest signer makes): any
 * failure is the peer's. Returns 0 or KTLS_EDECRYPT. */
static int verify_ed25519(EVP_PKEY *pub, const uint8_t *msg, size_t len, const uint8_t *sig,
			  size_t sig_len)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	size_t pk_len = sizeof(pk);

	if (EVP_PKEY_get_raw_public_key(pub, pk, &pk_len) != 1 || pk_len != sizeof(pk)) {
		ERR_clear_error();
		return KTLS_EDECRYPT;
	}
	if (sig_len != crypto_sign_BYTES || crypto_sign_verify_detached(sig, msg, len, pk) != 0)
		return KTLS_EDECRYPT;
	return 0;
}

/* Returns 0, KTLS_EDECRYPT, KTLS_EILLEGAL, KTLS_ENOMEM or KTLS_ECRYPTO. */
int ktls_sig_verify(EVP_PKEY *pub, uint16_t scheme, const uint8_t *msg, size_t len,
		    const uint8_t *sig, size_t sig_len)
{
	const struct scheme_info *s = scheme_find(scheme);
	EVP_MD_CTX *ctx;
	int err;

	/* §4.4.3: the scheme must be one the key can make, and rsa_pkcs1_* never is (§4.2.3). */
	if (!s || !fits(s, pub))
		return KTLS_EILLEGAL;
	if (s->kind == KEY_ED25519)
		return verify_ed25519(pub, msg, len, sig, sig_len);
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return KTLS_ENOMEM;
	err = init_ctx(ctx, s, pub, 0);
	/* 1 is a good signature; 0 a bad one, and a negative value a signature OpenSSL could not
	 * even parse (bad DER, wrong length): the peer's fault either way. */
	if (!err && EVP_DigestVerify(ctx, sig, sig_len, msg, len) != 1)
		err = KTLS_EDECRYPT;
	EVP_MD_CTX_free(ctx);
	if (err)
		ERR_clear_error(); /* an expected failure must not linger in the error queue */
	return err;
}
