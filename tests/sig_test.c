/*
 * sig_test.c — CertificateVerify signatures (RFC 8446 §4.4.3, §4.2.3).
 *
 * The known answer: RFC 8448 §3's server CertificateVerify (rsa_pss_rsae_sha256, by the RSA
 * key in its Certificate message) must verify through ktls_cv_content + ktls_sig_verify over
 * the RFC's own transcript. Then, for each test server key (RSA, ECDSA P-256, Ed25519, made
 * by certs/gen.sh into $KTLS_CERTS, default build/certs) and a P-384 key made here: every
 * scheme that fits signs and verifies, a flipped bit is decrypt_error, a scheme that does
 * not fit is illegal_parameter; rsa_pkcs1_* is refused even over a genuine PKCS#1 v1.5
 * signature; RSA-PSS with a salt other than the hash length is refused; and scheme choice
 * follows our preference over what the peer offered. Ed25519 (signed and checked through
 * libsodium) also meets RFC 8032 §7.1's vectors, with its key extracted per signature or
 * once beforehand, and makes the very signature OpenSSL's EVP makes (EdDSA is deterministic).
 */
#include "harness.h"

#include "ktls.h"
#include "messages.h"
#include "sig.h"
#include "support/vectors.h"
#include "wire.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TLS_SIG_RSA_PSS_PSS_SHA256 0x0809
#define TLS_SIG_RSA_PKCS1_SHA384 0x0501
#define TLS_SIG_ECDSA_SECP521R1_SHA512 0x0603

/* Every scheme the tests try against every key. */
static const uint16_t all_schemes[] = {
	TLS_SIG_ED25519,
	TLS_SIG_ECDSA_SECP256R1_SHA256,
	TLS_SIG_ECDSA_SECP384R1_SHA384,
	TLS_SIG_ECDSA_SECP521R1_SHA512,
	TLS_SIG_RSA_PSS_RSAE_SHA256,
	TLS_SIG_RSA_PSS_RSAE_SHA384,
	TLS_SIG_RSA_PSS_RSAE_SHA512,
	TLS_SIG_RSA_PSS_PSS_SHA256,
	TLS_SIG_RSA_PKCS1_SHA256,
	TLS_SIG_RSA_PKCS1_SHA384,
	0x0201, /* rsa_pkcs1_sha1 */
	0x0000,
};
#define N_ALL (sizeof(all_schemes) / sizeof(all_schemes[0]))

static const char *certs_dir(void)
{
	const char *d = getenv("KTLS_CERTS");
	return d && *d ? d : "build/certs";
}

/* Reads build/certs/NAME.key (private) or the public key of NAME.pem; NULL on failure. */
static EVP_PKEY *load_key(const char *name, int private_key)
{
	char path[512];
	FILE *f;
	EVP_PKEY *k = NULL;

	snprintf(path, sizeof(path), "%s/%s.%s", certs_dir(), name, private_key ? "key" : "pem");
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (private_key) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	} else {
		X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
		k = x ? X509_get_pubkey(x) : NULL;
		X509_free(x);
	}
	fclose(f);
	return k;
}

/* Big-endian u16 list of the given schemes (0-terminated varargs) into buf; returns n. */
static size_t u16_list(uint8_t *buf, ...)
{
	va_list ap;
	size_t n = 0;
	va_start(ap, buf);
	for (int v; (v = va_arg(ap, int));) {
		buf[2 * n] = (uint8_t)(v >> 8);
		buf[2 * n + 1] = (uint8_t)v;
		n++;
	}
	va_end(ap);
	return n;
}

/* ---- ktls_cv_content --------------------------------------------------------------------- */

static void check_content(int server, size_t hash_len)
{
	const char *ctx = server ? "TLS 1.3, server CertificateVerify"
				 : "TLS 1.3, client CertificateVerify";
	uint8_t hash[64], expect[KTLS_CV_CONTENT_MAX], out[KTLS_CV_CONTENT_MAX + 1];
	size_t out_len = 0;

	for (size_t i = 0; i < hash_len; i++)
		hash[i] = (uint8_t)(0xa0 + i);
	memset(expect, ' ', 64);
	ASSERT_EQ(33u, strlen(ctx));
	memcpy(expect + 64, ctx, 33);
	expect[97] = 0x00;
	memcpy(expect + 98, hash, hash_len);
	memset(out, 0x5a, sizeof(out));
	ASSERT_EQ(0, ktls_cv_content(server, hash, hash_len, out, &out_len));
	ASSERT_EQ(64u + 33u + 1u + hash_len, out_len);
	ASSERT_MEMEQ(expect, out, out_len);
	ASSERT_EQ(0x5a, out[out_len]); /* nothing written past the end */
}

TEST(cv_content_server_sha256) { check_content(1, 32); }
TEST(cv_content_client_sha256) { check_content(0, 32); }
TEST(cv_content_server_sha384) { check_content(1, 48); }
TEST(cv_content_client_sha512) { check_content(0, 64); }

TEST(cv_content_bad_hash_len)
{
	uint8_t hash[65] = { 0 }, out[KTLS_CV_CONTENT_MAX + 8];
	size_t len = 99;

	EXPECT_EQ(KTLS_EINVAL, ktls_cv_content(1, hash, 0, out, &len));
	EXPECT_EQ(KTLS_EINVAL, ktls_cv_content(1, hash, 65, out, &len));
	EXPECT_EQ(0u, len);
}

/* ---- RFC 8448 §3: the server's CertificateVerify ----------------------------------------- */

FIXTURE(rfc8448)
{
	struct vec_file *vf;
	EVP_PKEY *server_key; /* from the RFC's Certificate message */
	uint8_t content[KTLS_CV_CONTENT_MAX];
	size_t content_len;
	uint16_t scheme;
	const uint8_t *sig;
	size_t sig_len;
};

FIXTURE_SETUP(rfc8448)
{
	const struct vec *cert, *cv;
	const char *names[] = { "client_hello", "server_hello", "encrypted_extensions",
				"certificate" };
	struct wire_reader r, body, list;
	const uint8_t *ctx, *der;
	size_t ctx_len, der_len;
	uint8_t type, hash[32];
	X509 *x;

	self->vf = vec_load("rfc8448-1rtt.txt");

	/* Certificate (§4.4.2): type, u24 length, certificate_request_context<0..255>,
	 * CertificateEntry certificate_list<0..2^24-1>, each cert_data<1..2^24-1> + extensions */
	cert = vec_get(self->vf, 0, "certificate");
	wire_reader_init(&r, cert->bytes, cert->len);
	ASSERT_EQ(0, wire_get_u8(&r, &type));
	ASSERT_EQ(TLS_HS_CERTIFICATE, type);
	ASSERT_EQ(0, wire_get_vector(&r, 3, 0, 0xffffff, &body));
	ASSERT_EQ(0, wire_expect_end(&r));
	ASSERT_EQ(0, wire_get_opaque(&body, 1, 0, 255, &ctx, &ctx_len));
	ASSERT_EQ(0u, ctx_len);
	ASSERT_EQ(0, wire_get_vector(&body, 3, 0, 0xffffff, &list));
	ASSERT_EQ(0, wire_get_opaque(&list, 3, 1, 0xffffff, &der, &der_len));
	x = d2i_X509(NULL, &der, (long)der_len);
	ASSERT_NONNULL(x);
	self->server_key = X509_get_pubkey(x);
	X509_free(x);
	ASSERT_NONNULL(self->server_key);
	ASSERT_EQ(1, EVP_PKEY_is_a(self->server_key, "RSA"));

	/* CertificateVerify (§4.4.3): type, u24 length, SignatureScheme, signature<0..2^16-1> */
	cv = vec_get(self->vf, 0, "certificate_verify");
	wire_reader_init(&r, cv->bytes, cv->len);
	ASSERT_EQ(0, wire_get_u8(&r, &type));
	ASSERT_EQ(TLS_HS_CERTIFICATE_VERIFY, type);
	ASSERT_EQ(0, wire_get_vector(&r, 3, 0, 0xffffff, &body));
	ASSERT_EQ(0, wire_get_u16(&body, &self->scheme));
	ASSERT_EQ(0, wire_get_opaque(&body, 2, 0, 0xffff, &self->sig, &self->sig_len));
	ASSERT_EQ(0, wire_expect_end(&body));
	ASSERT_EQ(TLS_SIG_RSA_PSS_RSAE_SHA256, self->scheme);

	/* Transcript-Hash(ClientHello .. Certificate) */
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ASSERT_NONNULL(md);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (size_t i = 0; i < 4; i++) {
		const struct vec *v = vec_get(self->vf, 0, names[i]);
		EVP_DigestUpdate(md, v->bytes, v->len);
	}
	EVP_DigestFinal_ex(md, hash, NULL);
	EVP_MD_CTX_free(md);
	ASSERT_EQ(0, ktls_cv_content(1, hash, 32, self->content, &self->content_len));
}

FIXTURE_TEARDOWN(rfc8448)
{
	EVP_PKEY_free(self->server_key);
	vec_free(self->vf);
}

TEST_F(rfc8448, certificate_verify_verifies)
{
	ASSERT_EQ(1, ktls_sig_scheme_fits_key(self->scheme, self->server_key));
	ASSERT_EQ(0, ktls_sig_verify(self->server_key, self->scheme, self->content,
				     self->content_len, self->sig, self->sig_len));
}

TEST_F(rfc8448, wrong_context_fails)
{
	uint8_t client_content[KTLS_CV_CONTENT_MAX];
	size_t len;

	/* The same hash under the client's context string is a different message. */
	ASSERT_EQ(0, ktls_cv_content(0, self->content + 98, 32, client_content, &len));
	ASSERT_EQ(KTLS_EDECRYPT, ktls_sig_verify(self->server_key, self->scheme, client_content,
						 len, self->sig, self->sig_len));
}

TEST_F(rfc8448, flipped_bits_fail)
{
	uint8_t sig[256], content[KTLS_CV_CONTENT_MAX];

	ASSERT_GE(sizeof(sig), self->sig_len);
	memcpy(sig, self->sig, self->sig_len);
	sig[self->sig_len / 2] ^= 0x04;
	EXPECT_EQ(KTLS_EDECRYPT, ktls_sig_verify(self->server_key, self->scheme, self->content,
						 self->content_len, sig, self->sig_len));
	memcpy(content, self->content, self->content_len);
	content[self->content_len - 1] ^= 0x01; /* the transcript hash */
	EXPECT_EQ(KTLS_EDECRYPT, ktls_sig_verify(self->server_key, self->scheme, content,
						 self->content_len, self->sig, self->sig_len));
	EXPECT_EQ(KTLS_EDECRYPT, ktls_sig_verify(self->server_key, self->scheme, self->content,
						 self->content_len, self->sig, self->sig_len - 1));
}

TEST_F(rfc8448, other_hash_fails)
{
	/* Same key, same PSS padding, but SHA-384: a valid scheme for the key, wrong signature.
	 * (The RFC's 1024-bit key is too small for rsa_pss_rsae_sha512: 2*64+2 > 128 bytes.) */
	EXPECT_EQ(1, ktls_sig_scheme_fits_key(TLS_SIG_RSA_PSS_RSAE_SHA384, self->server_key));
	EXPECT_EQ(0, ktls_sig_scheme_fits_key(TLS_SIG_RSA_PSS_RSAE_SHA512, self->server_key));
	EXPECT_EQ(KTLS_EDECRYPT,
		  ktls_sig_verify(self->server_key, TLS_SIG_RSA_PSS_RSAE_SHA384, self->content,
				  self->content_len, self->sig, self->sig_len));
}

/* ---- each key in build/certs, and a P-384 key ----------------------------------------- */

FIXTURE(keys)
{
	EVP_PKEY *priv; /* our signing key */
	EVP_PKEY *pub;  /* the same key as the peer sees it: from the certificate */
	EVP_PKEY *other; /* another key of the same type */
};

FIXTURE_VARIANT(keys)
{
	const char *name; /* in build/certs, or NULL: generate */
	const char *gen_curve;
	uint16_t fits[4]; /* the schemes that fit, 0-terminated */
	uint16_t choose_all; /* what ktls_sig_choose picks when the peer offers everything */
};

FIXTURE_VARIANT_ADD(keys, rsa){
	.name = "server-rsa",
	.fits = { TLS_SIG_RSA_PSS_RSAE_SHA256, TLS_SIG_RSA_PSS_RSAE_SHA384,
		  TLS_SIG_RSA_PSS_RSAE_SHA512 },
	.choose_all = TLS_SIG_RSA_PSS_RSAE_SHA256,
};
FIXTURE_VARIANT_ADD(keys, ecdsa){
	.name = "server-ecdsa",
	.fits = { TLS_SIG_ECDSA_SECP256R1_SHA256 },
	.choose_all = TLS_SIG_ECDSA_SECP256R1_SHA256,
};
FIXTURE_VARIANT_ADD(keys, ed25519){
	.name = "server-ed25519",
	.fits = { TLS_SIG_ED25519 },
	.choose_all = TLS_SIG_ED25519,
};
FIXTURE_VARIANT_ADD(keys, p384){
	.gen_curve = "P-384",
	.fits = { TLS_SIG_ECDSA_SECP384R1_SHA384 },
	.choose_all = TLS_SIG_ECDSA_SECP384R1_SHA384,
};

/* The public half of k, as a separate public-only EVP_PKEY (via DER SubjectPublicKeyInfo). */
static EVP_PKEY *public_only(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_PUBKEY(k, &der);
	EVP_PKEY *pub = NULL;

	if (len > 0) {
		p = der;
		pub = d2i_PUBKEY(NULL, &p, len);
	}
	OPENSSL_free(der);
	return pub;
}

/* A fresh key of the same kind as the variant's. */
static EVP_PKEY *another_key(EVP_PKEY *like, const char *gen_curve)
{
	if (gen_curve)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", gen_curve);
	if (EVP_PKEY_is_a(like, "RSA"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (EVP_PKEY_is_a(like, "ED25519"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

FIXTURE_SETUP(keys)
{
	if (variant->name) {
		self->priv = load_key(variant->name, 1);
		if (!self->priv)
			TH_LOG("cannot load %s/%s.key: run certs/gen.sh %s", certs_dir(),
			       variant->name, certs_dir());
		ASSERT_NONNULL(self->priv);
		self->pub = load_key(variant->name, 0);
	} else {
		self->priv = EVP_PKEY_Q_keygen(NULL, NULL, "EC", variant->gen_curve);
		ASSERT_NONNULL(self->priv);
		self->pub = public_only(self->priv);
	}
	ASSERT_NONNULL(self->pub);
	self->other = another_key(self->priv, variant->gen_curve);
	ASSERT_NONNULL(self->other);
}

FIXTURE_TEARDOWN(keys)
{
	EVP_PKEY_free(self->priv);
	EVP_PKEY_free(self->pub);
	EVP_PKEY_free(self->other);
}

static int variant_fits(const FIXTURE_VARIANT(keys) * v, uint16_t scheme)
{
	for (size_t i = 0; i < 4 && v->fits[i]; i++)
		if (v->fits[i] == scheme)
			return 1;
	return 0;
}

static const uint8_t msg[] = "the content of a CertificateVerify, or anything else";

TEST_F(keys, fits_exactly_the_right_schemes)
{
	for (size_t i = 0; i < N_ALL; i++) {
		int want = variant_fits(variant, all_schemes[i]);
		if (ktls_sig_scheme_fits_key(all_schemes[i], self->priv) != want ||
		    ktls_sig_scheme_fits_key(all_schemes[i], self->pub) != want)
			TH_LOG("scheme 0x%04x", all_schemes[i]);
		EXPECT_EQ(want, ktls_sig_scheme_fits_key(all_schemes[i], self->priv));
		EXPECT_EQ(want, ktls_sig_scheme_fits_key(all_schemes[i], self->pub));
	}
}

TEST_F(keys, sign_and_verify_every_fitting_scheme)
{
	for (size_t i = 0; i < 4 && variant->fits[i]; i++) {
		uint16_t s = variant->fits[i];
		uint8_t sig[1024];
		size_t sig_len = 0;

		ASSERT_EQ(0, ktls_sig_sign(self->priv, NULL, s, msg, sizeof(msg), sig, &sig_len,
					   sizeof(sig)));
		ASSERT_LT(0u, sig_len);
		ASSERT_GE((size_t)EVP_PKEY_get_size(self->priv), sig_len);
		/* verified with the public key alone, as taken from a certificate */
		EXPECT_EQ(0, ktls_sig_verify(self->pub, s, msg, sizeof(msg), sig, sig_len));
		/* a flipped bit anywhere in the signature, or in the message */
		for (size_t at = 0; at < sig_len; at += sig_len / 7 + 1) {
			sig[at] ^= 0x10;
			EXPECT_EQ(KTLS_EDECRYPT,
				  ktls_sig_verify(self->pub, s, msg, sizeof(msg), sig, sig_len));
			sig[at] ^= 0x10;
		}
		uint8_t m2[sizeof(msg)];
		memcpy(m2, msg, sizeof(msg));
		m2[3] ^= 0x01;
		EXPECT_EQ(KTLS_EDECRYPT,
			  ktls_sig_verify(self->pub, s, m2, sizeof(m2), sig, sig_len));
		/* truncated, and by another key of the same type */
		EXPECT_EQ(KTLS_EDECRYPT,
			  ktls_sig_verify(self->pub, s, msg, sizeof(msg), sig, sig_len - 1));
		EXPECT_EQ(KTLS_EDECRYPT,
			  ktls_sig_verify(self->other, s, msg, sizeof(msg), sig, sig_len));
		/* still good after all that */
		EXPECT_EQ(0, ktls_sig_verify(self->pub, s, msg, sizeof(msg), sig, sig_len));
	}
}

TEST_F(keys, wrong_scheme_for_key)
{
	uint8_t sig[1024];
	size_t sig_len = 0;

	ASSERT_EQ(0, ktls_sig_sign(self->priv, NULL, variant->fits[0], msg, sizeof(msg), sig, &sig_len,
				   sizeof(sig)));
	for (size_t i = 0; i < N_ALL; i++) {
		uint16_t s = all_schemes[i];
		uint8_t sig2[1024];
		size_t len2 = 99;

		if (variant_fits(variant, s))
			continue;
		if (ktls_sig_verify(self->pub, s, msg, sizeof(msg), sig, sig_len) != KTLS_EILLEGAL)
			TH_LOG("scheme 0x%04x", s);
		EXPECT_EQ(KTLS_EILLEGAL,
			  ktls_sig_verify(self->pub, s, msg, sizeof(msg), sig, sig_len));
		EXPECT_EQ(KTLS_EINVAL, ktls_sig_sign(self->priv, NULL, s, msg, sizeof(msg), sig2, &len2,
						     sizeof(sig2)));
		EXPECT_EQ(0u, len2);
	}
}

TEST_F(keys, signature_buffer_too_small)
{
	uint8_t sig[1024];
	size_t need = (size_t)EVP_PKEY_get_size(self->priv), len = 99;

	ASSERT_EQ(KTLS_ENOSPACE, ktls_sig_sign(self->priv, NULL, variant->fits[0], msg, sizeof(msg), sig,
					       &len, need - 1));
	ASSERT_EQ(0,
		  ktls_sig_sign(self->priv, NULL, variant->fits[0], msg, sizeof(msg), sig, &len, need));
}

TEST_F(keys, choose_everything_offered)
{
	uint8_t list[2 * N_ALL];
	uint16_t got = 0;

	for (size_t i = 0; i < N_ALL; i++) {
		list[2 * i] = (uint8_t)(all_schemes[i] >> 8);
		list[2 * i + 1] = (uint8_t)all_schemes[i];
	}
	ASSERT_EQ(0, ktls_sig_choose(self->priv, list, N_ALL, &got));
	ASSERT_EQ(variant->choose_all, got);
	/* and the peer's order does not matter: reversed */
	for (size_t i = 0; i < N_ALL; i++) {
		list[2 * i] = (uint8_t)(all_schemes[N_ALL - 1 - i] >> 8);
		list[2 * i + 1] = (uint8_t)all_schemes[N_ALL - 1 - i];
	}
	ASSERT_EQ(0, ktls_sig_choose(self->priv, list, N_ALL, &got));
	ASSERT_EQ(variant->choose_all, got);
}

TEST_F(keys, choose_nothing_in_common)
{
	uint8_t list[2 * N_ALL];
	size_t n = 0;
	uint16_t got = 0x1234;

	for (size_t i = 0; i < N_ALL; i++) {
		if (variant_fits(variant, all_schemes[i]))
			continue;
		list[2 * n] = (uint8_t)(all_schemes[i] >> 8);
		list[2 * n + 1] = (uint8_t)all_schemes[i];
		n++;
	}
	EXPECT_EQ(KTLS_EHANDSHAKE, ktls_sig_choose(self->priv, list, n, &got));
	EXPECT_EQ(KTLS_EHANDSHAKE, ktls_sig_choose(self->priv, list, 0, &got));
	EXPECT_EQ(0x1234, got);
}

/* ---- specific checks --------------------------------------------------------------------- */

TEST(choose_by_our_preference)
{
	EVP_PKEY *rsa = load_key("server-rsa", 1), *ec = load_key("server-ecdsa", 1);
	EVP_PKEY *ed = load_key("server-ed25519", 1);
	uint8_t l[32];
	uint16_t s = 0;
	size_t n;

	ASSERT_NONNULL(rsa);
	ASSERT_NONNULL(ec);
	ASSERT_NONNULL(ed);
	n = u16_list(l, 0x0403, 0x0804, 0);
	EXPECT_EQ(0, ktls_sig_choose(rsa, l, n, &s));
	EXPECT_EQ(TLS_SIG_RSA_PSS_RSAE_SHA256, s);
	n = u16_list(l, 0x0806, 0x0805, 0);
	EXPECT_EQ(0, ktls_sig_choose(rsa, l, n, &s));
	EXPECT_EQ(TLS_SIG_RSA_PSS_RSAE_SHA384, s);
	n = u16_list(l, 0x0806, 0);
	EXPECT_EQ(0, ktls_sig_choose(rsa, l, n, &s));
	EXPECT_EQ(TLS_SIG_RSA_PSS_RSAE_SHA512, s);
	/* rsa_pkcs1 and rsa_pss_pss offered: neither is usable with an rsaEncryption key */
	n = u16_list(l, 0x0401, 0x0809, 0x0403, 0x0807, 0);
	EXPECT_EQ(KTLS_EHANDSHAKE, ktls_sig_choose(rsa, l, n, &s));

	n = u16_list(l, 0x0807, 0x0503, 0x0804, 0x0403, 0);
	EXPECT_EQ(0, ktls_sig_choose(ec, l, n, &s));
	EXPECT_EQ(TLS_SIG_ECDSA_SECP256R1_SHA256, s);
	n = u16_list(l, 0x0503, 0x0603, 0);
	EXPECT_EQ(KTLS_EHANDSHAKE, ktls_sig_choose(ec, l, n, &s));

	n = u16_list(l, 0x0804, 0x0403, 0x0807, 0);
	EXPECT_EQ(0, ktls_sig_choose(ed, l, n, &s));
	EXPECT_EQ(TLS_SIG_ED25519, s);
	n = u16_list(l, 0x0808, 0); /* ed448 */
	EXPECT_EQ(KTLS_EHANDSHAKE, ktls_sig_choose(ed, l, n, &s));

	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed);
}

/* Signs msg with OpenSSL directly: RSA with the given padding and PSS salt length. */
static size_t openssl_rsa_sign(EVP_PKEY *k, const EVP_MD *md, int padding, int saltlen,
			       uint8_t *sig, size_t cap)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t len = cap;

	if (!ctx || EVP_DigestSignInit(ctx, &pctx, md, NULL, k) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, padding) <= 0 ||
	    (padding == RSA_PKCS1_PSS_PADDING &&
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) <= 0) ||
	    EVP_DigestSign(ctx, sig, &len, msg, sizeof(msg)) <= 0)
		len = 0;
	EVP_MD_CTX_free(ctx);
	return len;
}

/* §4.2.3: rsa_pkcs1_* is for certificates only, refused in CertificateVerify even when the
 * signature itself is a genuine PKCS#1 v1.5 one. */
TEST(rsa_pkcs1_refused)
{
	EVP_PKEY *rsa = load_key("server-rsa", 1);
	uint8_t sig[512], l[4];
	uint16_t s;
	size_t len, n;

	ASSERT_NONNULL(rsa);
	len = openssl_rsa_sign(rsa, EVP_sha256(), RSA_PKCS1_PADDING, 0, sig, sizeof(sig));
	ASSERT_LT(0u, len);
	EXPECT_EQ(0, ktls_sig_scheme_fits_key(TLS_SIG_RSA_PKCS1_SHA256, rsa));
	EXPECT_EQ(KTLS_EILLEGAL,
		  ktls_sig_verify(rsa, TLS_SIG_RSA_PKCS1_SHA256, msg, sizeof(msg), sig, len));
	EXPECT_EQ(KTLS_EINVAL, ktls_sig_sign(rsa, NULL, TLS_SIG_RSA_PKCS1_SHA256, msg, sizeof(msg), sig,
					     &len, sizeof(sig)));
	n = u16_list(l, 0x0401, 0);
	EXPECT_EQ(KTLS_EHANDSHAKE, ktls_sig_choose(rsa, l, n, &s));
	/* nor does a PKCS#1 v1.5 signature pass as PSS */
	len = openssl_rsa_sign(rsa, EVP_sha256(), RSA_PKCS1_PADDING, 0, sig, sizeof(sig));
	EXPECT_EQ(KTLS_EDECRYPT,
		  ktls_sig_verify(rsa, TLS_SIG_RSA_PSS_RSAE_SHA256, msg, sizeof(msg), sig, len));
	EVP_PKEY_free(rsa);
}

/* §4.2.3: RSASSA-PSS salt length MUST equal the digest length; other salts are refused. */
TEST(rsa_pss_salt_must_be_hash_length)
{
	EVP_PKEY *rsa = load_key("server-rsa", 1);
	uint8_t sig[512];
	size_t len;

	ASSERT_NONNULL(rsa);
	len = openssl_rsa_sign(rsa, EVP_sha256(), RSA_PKCS1_PSS_PADDING, 32, sig, sizeof(sig));
	ASSERT_LT(0u, len);
	EXPECT_EQ(0, ktls_sig_verify(rsa, TLS_SIG_RSA_PSS_RSAE_SHA256, msg, sizeof(msg), sig, len));
	len = openssl_rsa_sign(rsa, EVP_sha256(), RSA_PKCS1_PSS_PADDING, 0, sig, sizeof(sig));
	ASSERT_LT(0u, len);
	EXPECT_EQ(KTLS_EDECRYPT,
		  ktls_sig_verify(rsa, TLS_SIG_RSA_PSS_RSAE_SHA256, msg, sizeof(msg), sig, len));
	len = openssl_rsa_sign(rsa, EVP_sha256(), RSA_PKCS1_PSS_PADDING, RSA_PSS_SALTLEN_MAX, sig,
			       sizeof(sig));
	ASSERT_LT(0u, len);
	EXPECT_EQ(KTLS_EDECRYPT,
		  ktls_sig_verify(rsa, TLS_SIG_RSA_PSS_RSAE_SHA256, msg, sizeof(msg), sig, len));
	EVP_PKEY_free(rsa);
}

/* Our RSA-PSS signature verifies under OpenSSL's own PSS verifier with salt = hash length. */
TEST(rsa_pss_interoperates)
{
	EVP_PKEY *rsa = load_key("server-rsa", 1);
	uint8_t sig[512];
	size_t len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	ASSERT_NONNULL(rsa);
	ASSERT_NONNULL(ctx);
	ASSERT_EQ(0, ktls_sig_sign(rsa, NULL, TLS_SIG_RSA_PSS_RSAE_SHA384, msg, sizeof(msg), sig, &len,
				   sizeof(sig)));
	ASSERT_EQ(1, EVP_DigestVerifyInit(ctx, &pctx, EVP_sha384(), NULL, rsa));
	ASSERT_EQ(1, EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING));
	ASSERT_EQ(1, EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48));
	ASSERT_EQ(1, EVP_DigestVerify(ctx, sig, len, msg, sizeof(msg)));
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(rsa);
}

/* ECDSA signatures are DER (§4.2.3); a raw r||s is refused. */
TEST(ecdsa_raw_signature_refused)
{
	EVP_PKEY *ec = load_key("server-ecdsa", 1);
	uint8_t sig[128], raw[64];

	ASSERT_NONNULL(ec);
	memset(raw, 0x11, sizeof(raw));
	size_t len = 0;
	ASSERT_EQ(0, ktls_sig_sign(ec, NULL, TLS_SIG_ECDSA_SECP256R1_SHA256, msg, sizeof(msg), sig, &len,
				   sizeof(sig)));
	ASSERT_EQ(0x30, sig[0]); /* SEQUENCE */
	EXPECT_EQ(KTLS_EDECRYPT, ktls_sig_verify(ec, TLS_SIG_ECDSA_SECP256R1_SHA256, msg,
						 sizeof(msg), raw, sizeof(raw)));
	EXPECT_EQ(KTLS_EDECRYPT, ktls_sig_verify(ec, TLS_SIG_ECDSA_SECP256R1_SHA256, msg,
						 sizeof(msg), sig, 0));
	EVP_PKEY_free(ec);
}

/* ---- Ed25519: RFC 8032 §7.1, and the same signature as OpenSSL's ------------------------ */

TEST(ed25519_rfc8032_vectors)
{
	struct vec_file *f = vec_load("rfc8032-ed25519.txt");
	ASSERT_EQ(3u, f->cases);
	for (unsigned c = 1; c <= f->cases; c++) {
		const struct vec *secret = vec_get(f, c, "secret"), *public = vec_get(f, c, "public");
		const struct vec *m = vec_get(f, c, "msg"), *want = vec_get(f, c, "sig");
		EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, secret->bytes,
							      secret->len);
		EVP_PKEY *pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, public->bytes,
							    public->len);
		uint8_t sk[KTLS_ED25519_SECRET_LEN], sig[64], sig2[64];
		size_t len = 0, len2 = 0;

		ASSERT_NONNULL(priv);
		ASSERT_NONNULL(pub);
		TH_LOG("TEST %u", c);
		/* libsodium's key: the seed, then the public key */
		ASSERT_EQ(0, ktls_sig_ed25519_secret(priv, sk));
		EXPECT_MEMEQ(secret->bytes, sk, 32);
		EXPECT_MEMEQ(public->bytes, sk + 32, 32);
		/* extracted per signature, and once beforehand */
		ASSERT_EQ(0, ktls_sig_sign(priv, NULL, TLS_SIG_ED25519, m->bytes, m->len, sig, &len,
					   sizeof(sig)));
		ASSERT_EQ(want->len, len);
		EXPECT_MEMEQ(want->bytes, sig, len);
		ASSERT_EQ(0, ktls_sig_sign(priv, sk, TLS_SIG_ED25519, m->bytes, m->len, sig2, &len2,
					   sizeof(sig2)));
		ASSERT_EQ(want->len, len2);
		EXPECT_MEMEQ(want->bytes, sig2, len2);
		EXPECT_EQ(0, ktls_sig_verify(pub, TLS_SIG_ED25519, m->bytes, m->len, want->bytes,
					     want->len));
		/* a flipped bit in R, in S, or a message one byte longer */
		sig[0] ^= 0x01;
		EXPECT_EQ(KTLS_EDECRYPT, ktls_sig_verify(pub, TLS_SIG_ED25519, m->bytes, m->len, sig,
							 len));
		sig[0] ^= 0x01;
		sig[40] ^= 0x01;
		EXPECT_EQ(KTLS_EDECRYPT, ktls_sig_verify(pub, TLS_SIG_ED25519, m->bytes, m->len, sig,
							 len));
		sig[40] ^= 0x01;
		uint8_t longer[8] = { 0 };
		if (m->len)
			memcpy(longer, m->bytes, m->len);
		EXPECT_EQ(KTLS_EDECRYPT, ktls_sig_verify(pub, TLS_SIG_ED25519, longer, m->len + 1,
							 sig, len));
		sodium_memzero(sk, sizeof(sk));
		EVP_PKEY_free(priv);
		EVP_PKEY_free(pub);
	}
	vec_free(f);
}

/* EdDSA is deterministic: our libsodium signature must be byte for byte OpenSSL's. */
TEST(ed25519_same_signature_as_openssl)
{
	EVP_PKEY *priv = load_key("server-ed25519", 1);
	uint8_t sk[KTLS_ED25519_SECRET_LEN];

	ASSERT_NONNULL(priv);
	ASSERT_EQ(0, ktls_sig_ed25519_secret(priv, sk));
	for (size_t n = 0; n < 300; n += 37) {
		uint8_t m[300], ours[64], theirs[64];
		size_t len = 0, theirs_len = sizeof(theirs);
		for (size_t i = 0; i < n; i++)
			m[i] = (uint8_t)(i * 7 + n);
		ASSERT_EQ(0, ktls_sig_sign(priv, sk, TLS_SIG_ED25519, m, n, ours, &len, sizeof(ours)));
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		ASSERT_NONNULL(ctx);
		ASSERT_EQ(1, EVP_DigestSignInit(ctx, NULL, NULL, NULL, priv));
		ASSERT_EQ(1, EVP_DigestSign(ctx, theirs, &theirs_len, m, n));
		EVP_MD_CTX_free(ctx);
		ASSERT_EQ(theirs_len, len);
		EXPECT_MEMEQ(theirs, ours, len);
	}
	sodium_memzero(sk, sizeof(sk));
	/* not an Ed25519 key */
	EVP_PKEY *ec = load_key("server-ecdsa", 1);
	ASSERT_NONNULL(ec);
	EXPECT_EQ(KTLS_EINVAL, ktls_sig_ed25519_secret(ec, sk));
	EVP_PKEY_free(ec);
	EVP_PKEY_free(priv);
}

TEST(supported_list)
{
	static const uint16_t want[] = {
		TLS_SIG_ED25519,
		TLS_SIG_ECDSA_SECP256R1_SHA256,
		TLS_SIG_ECDSA_SECP384R1_SHA384,
		TLS_SIG_RSA_PSS_RSAE_SHA256,
		TLS_SIG_RSA_PSS_RSAE_SHA384,
		TLS_SIG_RSA_PSS_RSAE_SHA512,
	};
	ASSERT_EQ(sizeof(want) / sizeof(want[0]), ktls_sig_schemes_supported_n);
	for (size_t i = 0; i < ktls_sig_schemes_supported_n; i++)
		EXPECT_EQ(want[i], ktls_sig_schemes_supported[i]);
}

TEST_HARNESS_MAIN
