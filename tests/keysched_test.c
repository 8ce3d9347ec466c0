/*
 * keysched_test.c — the TLS 1.3 key schedule against RFC 8448 §3 (simple 1-RTT,
 * TLS_AES_128_GCM_SHA256), byte for byte: the X25519 exchange, every secret of §7.1, the
 * traffic keys and IVs of §7.3, both Finished verify_data of §4.4.4, the resumption master
 * secret and the PSK of §4.6.1. The SHA-384 schedule (TLS_AES_256_GCM_SHA384), which
 * RFC 8448 does not cover, and KeyUpdate (§7.2) are checked against OpenSSL's own
 * independent TLS13-KDF.
 */
#include "harness.h"

#include "hkdf.h"
#include "keysched.h"
#include "ktls.h"
#include "support/vectors.h"
#include "wire.h"

#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <sodium.h>
#include <stdarg.h>
#include <string.h>

/* Transcript-Hash of the concatenation of the given vectors (NULL-terminated). */
static void transcript(const EVP_MD *md, uint8_t *out, ...)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	va_list ap;
	EVP_DigestInit_ex(ctx, md, NULL);
	va_start(ap, out);
	for (const struct vec *v; (v = va_arg(ap, const struct vec *));)
		EVP_DigestUpdate(ctx, v->bytes, v->len);
	va_end(ap);
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
}

FIXTURE(rfc8448)
{
	struct vec_file *vf;
	const struct ktls_suite *suite;
	const EVP_MD *md;
	struct ktls_keysched ks;
};

FIXTURE_SETUP(rfc8448)
{
	self->vf = vec_load("rfc8448-1rtt.txt");
	self->suite = ktls_suite_find(KTLS_TLS_AES_128_GCM_SHA256);
	ASSERT_NONNULL(self->suite);
	self->md = self->suite->md();
	ktls_keysched_init(&self->ks, self->suite);
	ASSERT_EQ(0, sodium_init() < 0);
}

FIXTURE_TEARDOWN(rfc8448)
{
	ktls_keysched_wipe(&self->ks);
	vec_free(self->vf);
}

#define V(name) vec_get(self->vf, 0, name)

/* Runs the schedule up to the stage a test needs, checking nothing on the way. */
static void climb_to(struct ktls_keysched *ks, const struct vec_file *vf, const EVP_MD *md,
		     enum ktls_keysched_stage stage)
{
	uint8_t h[32];
	if (ktls_keysched_early(ks, NULL, 0))
		abort();
	if (stage == KTLS_KS_EARLY)
		return;
	transcript(md, h, vec_get(vf, 0, "client_hello"), vec_get(vf, 0, "server_hello"), NULL);
	const struct vec *ecdhe = vec_get(vf, 0, "ecdhe_shared");
	if (ktls_keysched_handshake(ks, ecdhe->bytes, ecdhe->len, h))
		abort();
	if (stage == KTLS_KS_HANDSHAKE)
		return;
	transcript(md, h, vec_get(vf, 0, "client_hello"), vec_get(vf, 0, "server_hello"),
		   vec_get(vf, 0, "encrypted_extensions"), vec_get(vf, 0, "certificate"),
		   vec_get(vf, 0, "certificate_verify"), vec_get(vf, 0, "server_finished"), NULL);
	if (ktls_keysched_master(ks, h))
		abort();
}

TEST_F(rfc8448, x25519_shared_secret)
{
	uint8_t pub[32], shared_c[32], shared_s[32];

	ASSERT_EQ(0, crypto_scalarmult_base(pub, V("client_x25519_private")->bytes));
	ASSERT_MEMEQ(V("client_x25519_public")->bytes, pub, 32);
	ASSERT_EQ(0, crypto_scalarmult_base(pub, V("server_x25519_private")->bytes));
	ASSERT_MEMEQ(V("server_x25519_public")->bytes, pub, 32);
	ASSERT_EQ(0, crypto_scalarmult(shared_c, V("client_x25519_private")->bytes,
				       V("server_x25519_public")->bytes));
	ASSERT_EQ(0, crypto_scalarmult(shared_s, V("server_x25519_private")->bytes,
				       V("client_x25519_public")->bytes));
	ASSERT_MEMEQ(V("ecdhe_shared")->bytes, shared_c, 32);
	ASSERT_MEMEQ(V("ecdhe_shared")->bytes, shared_s, 32);
}

TEST_F(rfc8448, early_secret)
{
	uint8_t empty[32], derived[32];

	ASSERT_EQ(0, ktls_keysched_early(&self->ks, NULL, 0));
	ASSERT_MEMEQ(V("early_secret")->bytes, self->ks.secret, 32);
	EVP_Digest("", 0, empty, NULL, self->md, NULL);
	ASSERT_EQ(0, ktls_derive_secret(self->md, self->ks.secret, "derived", empty, derived));
	ASSERT_MEMEQ(V("derived_early")->bytes, derived, 32);
}

TEST_F(rfc8448, handshake_secrets)
{
	uint8_t h[32], empty[32], derived[32];

	climb_to(&self->ks, self->vf, self->md, KTLS_KS_EARLY);
	transcript(self->md, h, V("client_hello"), V("server_hello"), NULL);
	ASSERT_EQ(0, ktls_keysched_handshake(&self->ks, V("ecdhe_shared")->bytes, 32, h));
	ASSERT_MEMEQ(V("handshake_secret")->bytes, self->ks.secret, 32);
	ASSERT_MEMEQ(V("client_handshake_traffic_secret")->bytes,
		     self->ks.client_handshake_traffic, 32);
	ASSERT_MEMEQ(V("server_handshake_traffic_secret")->bytes,
		     self->ks.server_handshake_traffic, 32);
	EVP_Digest("", 0, empty, NULL, self->md, NULL);
	ASSERT_EQ(0, ktls_derive_secret(self->md, self->ks.secret, "derived", empty, derived));
	ASSERT_MEMEQ(V("derived_handshake")->bytes, derived, 32);
}

TEST_F(rfc8448, handshake_traffic_keys)
{
	struct ktls_traffic_keys k;

	climb_to(&self->ks, self->vf, self->md, KTLS_KS_HANDSHAKE);
	ASSERT_EQ(0, ktls_derive_traffic_keys(self->suite, self->ks.server_handshake_traffic, &k));
	ASSERT_MEMEQ(V("server_handshake_key")->bytes, k.key, 16);
	ASSERT_MEMEQ(V("server_handshake_iv")->bytes, k.iv, 12);
	ASSERT_EQ(0, ktls_derive_traffic_keys(self->suite, self->ks.client_handshake_traffic, &k));
	ASSERT_MEMEQ(V("client_handshake_key")->bytes, k.key, 16);
	ASSERT_MEMEQ(V("client_handshake_iv")->bytes, k.iv, 12);
}

TEST_F(rfc8448, server_finished)
{
	uint8_t h[32], key[32], verify[32];

	climb_to(&self->ks, self->vf, self->md, KTLS_KS_HANDSHAKE);
	ASSERT_EQ(0, ktls_finished_key(self->md, self->ks.server_handshake_traffic, key));
	ASSERT_MEMEQ(V("server_finished_key")->bytes, key, 32);
	/* §4.4.4: over the transcript up to and including CertificateVerify */
	transcript(self->md, h, V("client_hello"), V("server_hello"), V("encrypted_extensions"),
		   V("certificate"), V("certificate_verify"), NULL);
	ASSERT_EQ(0, ktls_finished_verify_data(self->md, self->ks.server_handshake_traffic, h,
					       verify));
	const struct vec *fin = V("server_finished");
	ASSERT_EQ(4u + 32u, fin->len);
	ASSERT_MEMEQ(fin->bytes + 4, verify, 32);
}

TEST_F(rfc8448, master_and_application_secrets)
{
	uint8_t h[32], empty[32], derived[32];
	struct ktls_traffic_keys k;

	climb_to(&self->ks, self->vf, self->md, KTLS_KS_HANDSHAKE);
	EVP_Digest("", 0, empty, NULL, self->md, NULL);
	ASSERT_EQ(0, ktls_derive_secret(self->md, self->ks.secret, "derived", empty, derived));
	transcript(self->md, h, V("client_hello"), V("server_hello"), V("encrypted_extensions"),
		   V("certificate"), V("certificate_verify"), V("server_finished"), NULL);
	ASSERT_EQ(0, ktls_keysched_master(&self->ks, h));
	ASSERT_MEMEQ(V("master_secret")->bytes, self->ks.secret, 32);
	ASSERT_MEMEQ(V("client_application_traffic_secret")->bytes,
		     self->ks.client_application_traffic, 32);
	ASSERT_MEMEQ(V("server_application_traffic_secret")->bytes,
		     self->ks.server_application_traffic, 32);
	ASSERT_MEMEQ(V("exporter_master_secret")->bytes, self->ks.exporter_master, 32);

	ASSERT_EQ(0, ktls_derive_traffic_keys(self->suite, self->ks.server_application_traffic, &k));
	ASSERT_MEMEQ(V("server_application_key")->bytes, k.key, 16);
	ASSERT_MEMEQ(V("server_application_iv")->bytes, k.iv, 12);
	ASSERT_EQ(0, ktls_derive_traffic_keys(self->suite, self->ks.client_application_traffic, &k));
	ASSERT_MEMEQ(V("client_application_key")->bytes, k.key, 16);
	ASSERT_MEMEQ(V("client_application_iv")->bytes, k.iv, 12);
}

TEST_F(rfc8448, client_finished_and_resumption)
{
	uint8_t h[32], key[32], verify[32], psk[32];
	struct wire_reader r, hs;
	uint8_t msg_type;
	uint32_t lifetime, age_add;
	const uint8_t *nonce;
	size_t nonce_len;

	climb_to(&self->ks, self->vf, self->md, KTLS_KS_MASTER);
	ASSERT_EQ(0, ktls_finished_key(self->md, self->ks.client_handshake_traffic, key));
	ASSERT_MEMEQ(V("client_finished_key")->bytes, key, 32);
	transcript(self->md, h, V("client_hello"), V("server_hello"), V("encrypted_extensions"),
		   V("certificate"), V("certificate_verify"), V("server_finished"), NULL);
	ASSERT_EQ(0, ktls_finished_verify_data(self->md, self->ks.client_handshake_traffic, h,
					       verify));
	ASSERT_MEMEQ(V("client_finished")->bytes + 4, verify, 32);

	transcript(self->md, h, V("client_hello"), V("server_hello"), V("encrypted_extensions"),
		   V("certificate"), V("certificate_verify"), V("server_finished"),
		   V("client_finished"), NULL);
	ASSERT_EQ(0, ktls_keysched_resumption(&self->ks, h));
	ASSERT_MEMEQ(V("resumption_master_secret")->bytes, self->ks.resumption_master, 32);

	/* §4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret, "resumption",
	 * ticket_nonce, Hash.length), with the nonce read out of the NewSessionTicket */
	const struct vec *nst = V("new_session_ticket");
	wire_reader_init(&r, nst->bytes, nst->len);
	ASSERT_EQ(0, wire_get_u8(&r, &msg_type));
	ASSERT_EQ(4, msg_type); /* new_session_ticket */
	ASSERT_EQ(0, wire_get_vector(&r, 3, 0, 0xffffff, &hs));
	ASSERT_EQ(0, wire_get_u32(&hs, &lifetime));
	ASSERT_EQ(0, wire_get_u32(&hs, &age_add));
	ASSERT_EQ(0, wire_get_opaque(&hs, 1, 0, 255, &nonce, &nonce_len));
	ASSERT_EQ(0, ktls_resumption_psk(self->md, self->ks.resumption_master, nonce, nonce_len,
					 psk));
	ASSERT_MEMEQ(V("resumption_psk")->bytes, psk, 32);
}

TEST_F(rfc8448, stages_must_come_in_order)
{
	uint8_t h[32] = { 0 };

	EXPECT_EQ(KTLS_EINTERNAL, ktls_keysched_handshake(&self->ks, h, 32, h));
	EXPECT_EQ(KTLS_EINTERNAL, ktls_keysched_master(&self->ks, h));
	ASSERT_EQ(0, ktls_keysched_early(&self->ks, NULL, 0));
	EXPECT_EQ(KTLS_EINTERNAL, ktls_keysched_early(&self->ks, NULL, 0));
	EXPECT_EQ(KTLS_EINTERNAL, ktls_keysched_resumption(&self->ks, h));
}

TEST_F(rfc8448, wipe_zeroes_every_secret)
{
	struct ktls_keysched zero;

	climb_to(&self->ks, self->vf, self->md, KTLS_KS_MASTER);
	ktls_keysched_wipe(&self->ks);
	memset(&zero, 0, sizeof(zero));
	ASSERT_MEMEQ(&zero, &self->ks, sizeof(zero));
}

/* HKDF-Expand-Label computed by OpenSSL's TLS13-KDF, an implementation independent of ours. */
static int openssl_expand_label(const char *digest, const uint8_t *secret, size_t secret_len,
				const char *label, const uint8_t *ctx, size_t ctx_len, uint8_t *out,
				size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0),
		OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, (void *)"tls13 ", 6),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label,
						  strlen(label)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA,
						  (void *)(ctx ? ctx : (const uint8_t *)""), ctx_len),
		OSSL_PARAM_construct_end(),
	};
	int ok = kctx && EVP_KDF_derive(kctx, out, out_len, params) > 0;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

FIXTURE(cross_check)
{
	const struct ktls_suite *suite;
	const EVP_MD *md;
	size_t hash_len;
};

FIXTURE_VARIANT(cross_check)
{
	uint16_t suite;
	const char *digest;
};

FIXTURE_VARIANT_ADD(cross_check, sha256) { .suite = KTLS_TLS_CHACHA20_POLY1305_SHA256,
					   .digest = "SHA256" };
FIXTURE_VARIANT_ADD(cross_check, sha384) { .suite = KTLS_TLS_AES_256_GCM_SHA384,
					   .digest = "SHA384" };

FIXTURE_SETUP(cross_check)
{
	self->suite = ktls_suite_find(variant->suite);
	ASSERT_NONNULL(self->suite);
	self->md = self->suite->md();
	self->hash_len = self->suite->hash_len;
	ASSERT_EQ((size_t)EVP_MD_get_size(self->md), self->hash_len);
}

FIXTURE_TEARDOWN(cross_check)
{
}

TEST_F(cross_check, expand_label_matches_openssl)
{
	uint8_t secret[48], ours[80], theirs[80];
	static const char *labels[] = { "c hs traffic", "s ap traffic", "key", "iv", "finished",
					"traffic upd", "derived", "res binder" };

	for (unsigned i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(3 * i + 1);
	for (unsigned i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		for (size_t len = 12; len <= 80; len += 34) {
			ASSERT_EQ(0, ktls_hkdf_expand_label(self->md, secret, labels[i], secret, 20,
							    ours, len));
			ASSERT_EQ(0, openssl_expand_label(variant->digest, secret, self->hash_len,
							  labels[i], secret, 20, theirs, len));
			ASSERT_MEMEQ(theirs, ours, len);
		}
	}
}

TEST_F(cross_check, full_schedule_matches_openssl)
{
	struct ktls_keysched ks;
	uint8_t ecdhe[32], hello_hash[48], fin_hash[48], empty[48], want[48], salt[48], prk[48];
	unsigned int n;

	for (unsigned i = 0; i < 32; i++)
		ecdhe[i] = (uint8_t)(0x90 ^ i);
	EVP_Digest("ch|sh", 5, hello_hash, NULL, self->md, NULL);
	EVP_Digest("ch..sfin", 8, fin_hash, NULL, self->md, NULL);
	EVP_Digest("", 0, empty, NULL, self->md, NULL);
	ktls_keysched_init(&ks, self->suite);
	ASSERT_EQ(0, ktls_keysched_early(&ks, NULL, 0));
	ASSERT_EQ(0, ktls_keysched_handshake(&ks, ecdhe, 32, hello_hash));
	ASSERT_EQ(0, ktls_keysched_master(&ks, fin_hash));

	/* the same ladder computed with OpenSSL: HMAC for Extract, TLS13-KDF for the labels */
	uint8_t zeros[48] = { 0 };
	HMAC(self->md, zeros, (int)self->hash_len, zeros, self->hash_len, prk, &n); /* early */
	ASSERT_EQ(0, openssl_expand_label(variant->digest, prk, self->hash_len, "derived", empty,
					  self->hash_len, salt, self->hash_len));
	HMAC(self->md, salt, (int)self->hash_len, ecdhe, 32, prk, &n); /* handshake */
	ASSERT_EQ(0, openssl_expand_label(variant->digest, prk, self->hash_len, "s hs traffic",
					  hello_hash, self->hash_len, want, self->hash_len));
	ASSERT_MEMEQ(want, ks.server_handshake_traffic, self->hash_len);
	ASSERT_EQ(0, openssl_expand_label(variant->digest, prk, self->hash_len, "c hs traffic",
					  hello_hash, self->hash_len, want, self->hash_len));
	ASSERT_MEMEQ(want, ks.client_handshake_traffic, self->hash_len);
	ASSERT_EQ(0, openssl_expand_label(variant->digest, prk, self->hash_len, "derived", empty,
					  self->hash_len, salt, self->hash_len));
	HMAC(self->md, salt, (int)self->hash_len, zeros, self->hash_len, prk, &n); /* master */
	ASSERT_MEMEQ(prk, ks.secret, self->hash_len);
	ASSERT_EQ(0, openssl_expand_label(variant->digest, prk, self->hash_len, "s ap traffic",
					  fin_hash, self->hash_len, want, self->hash_len));
	ASSERT_MEMEQ(want, ks.server_application_traffic, self->hash_len);
	ASSERT_EQ(0, openssl_expand_label(variant->digest, prk, self->hash_len, "exp master",
					  fin_hash, self->hash_len, want, self->hash_len));
	ASSERT_MEMEQ(want, ks.exporter_master, self->hash_len);

	/* traffic keys (§7.3) of this suite's sizes */
	struct ktls_traffic_keys k;
	ASSERT_EQ(0, ktls_derive_traffic_keys(self->suite, ks.server_application_traffic, &k));
	ASSERT_EQ(0, openssl_expand_label(variant->digest, ks.server_application_traffic,
					  self->hash_len, "key", NULL, 0, want,
					  self->suite->key_len));
	ASSERT_MEMEQ(want, k.key, self->suite->key_len);
	ASSERT_EQ(0, openssl_expand_label(variant->digest, ks.server_application_traffic,
					  self->hash_len, "iv", NULL, 0, want, 12));
	ASSERT_MEMEQ(want, k.iv, 12);
	ktls_keysched_wipe(&ks);
}

TEST_F(cross_check, key_update_next_generation)
{
	uint8_t secret[48], next[48], want[48];

	for (unsigned i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(0xc0 + i);
	/* §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(N, "traffic upd", "", Hash.length) */
	ASSERT_EQ(0, ktls_next_traffic_secret(self->md, secret, next));
	ASSERT_EQ(0, openssl_expand_label(variant->digest, secret, self->hash_len, "traffic upd",
					  NULL, 0, want, self->hash_len));
	ASSERT_MEMEQ(want, next, self->hash_len);
	/* in place, and a second generation differs from the first */
	memcpy(want, next, sizeof(next));
	ASSERT_EQ(0, ktls_next_traffic_secret(self->md, next, next));
	ASSERT_NE(0, memcmp(want, next, self->hash_len));
}

TEST_HARNESS_MAIN
