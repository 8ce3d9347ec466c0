/*
 * kex_test.c — the (EC)DHE key exchange (RFC 8446 §4.2.8, §7.4): X25519 against RFC 8448 §3,
 * P-256 against RFC 5903 §8.1; every group (X25519, X448, P-256/384/521, ffdhe2048..8192)
 * agreeing with itself and with OpenSSL computing the other side; FFDHE values and secrets
 * padded to the length of p (known answers with leading zeros, and Y^x mod p computed with
 * BN apart from the library); and every malformed peer key refused with illegal_parameter:
 * wrong lengths, compressed or off-curve points, X25519/X448 points of small order whose
 * output is all zero (§7.4.2), FFDHE Y outside 1 < Y < p-1 (RFC 7919 §5.1).
 */
#include "harness.h"

#include "kex.h"
#include "ktls.h"
#include "messages.h"
#include "support/vectors.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <string.h>

/* Decodes n bytes of hex (no spaces) into out. */
static void unhex(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
}

/* OpenSSL's own fresh key of a group we implement through OpenSSL. */
static EVP_PKEY *openssl_key(uint16_t group)
{
	const char *type = "DH", *name = ktls_group_name(group);
	switch (group) {
	case TLS_GROUP_SECP256R1: type = "EC", name = "P-256"; break;
	case TLS_GROUP_SECP384R1: type = "EC", name = "P-384"; break;
	case TLS_GROUP_SECP521R1: type = "EC", name = "P-521"; break;
	case TLS_GROUP_X448: return EVP_PKEY_Q_keygen(NULL, NULL, "X448");
	case TLS_GROUP_X25519: return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	}
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
								 (char *)name, 0),
				OSSL_PARAM_construct_end() };
	EVP_PKEY *pkey = NULL;
	if (ctx && EVP_PKEY_keygen_init(ctx) > 0 && EVP_PKEY_CTX_set_params(ctx, params))
		EVP_PKEY_generate(ctx, &pkey);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* The key_exchange bytes of an OpenSSL key: the EC point or X448 value as OpenSSL encodes
 * it; a DH value left-padded to len here, independently of the library. */
static void openssl_public(EVP_PKEY *pkey, size_t len, uint8_t *out, size_t *out_len)
{
	BIGNUM *y = NULL;

	if (EVP_PKEY_is_a(pkey, "DH")) {
		ASSERT_EQ(1, EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, &y));
		ASSERT_EQ((int)len, BN_bn2binpad(y, out, (int)len));
		*out_len = len;
		BN_free(y);
		return;
	}
	ASSERT_EQ(1, EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						     out, KTLS_KEX_PUB_MAX, out_len));
}

/* Our key_exchange bytes as a public key of the same group as like, decoded by OpenSSL. */
static EVP_PKEY *openssl_peer(EVP_PKEY *like, const uint8_t *pub, size_t len)
{
	if (EVP_PKEY_is_a(like, "X448") || EVP_PKEY_is_a(like, "X25519"))
		return EVP_PKEY_new_raw_public_key_ex(NULL, EVP_PKEY_get0_type_name(like), NULL,
						      pub, len);
	EVP_PKEY *k = EVP_PKEY_new();
	if (k && EVP_PKEY_copy_parameters(k, like) == 1 &&
	    EVP_PKEY_set1_encoded_public_key(k, pub, len) == 1)
		return k;
	EVP_PKEY_free(k);
	return NULL;
}

/* Every group of RFC 8446 §4.2.7 but the obsolete ones. */
static const uint16_t all_groups[] = {
	TLS_GROUP_X25519,    TLS_GROUP_SECP256R1, TLS_GROUP_SECP384R1, TLS_GROUP_SECP521R1,
	TLS_GROUP_X448,      TLS_GROUP_FFDHE2048, TLS_GROUP_FFDHE3072, TLS_GROUP_FFDHE4096,
	TLS_GROUP_FFDHE6144, TLS_GROUP_FFDHE8192,
};

TEST(supported_groups)
{
	for (size_t i = 0; i < sizeof(all_groups) / sizeof(all_groups[0]); i++)
		EXPECT_EQ(1, ktls_kex_supported(all_groups[i]));
	EXPECT_EQ(0, ktls_kex_supported(0x0016)); /* secp256k1: not in TLS 1.3 */
	EXPECT_EQ(0, ktls_kex_supported(0x001a)); /* brainpoolP256r1 (TLS 1.2 only) */
	EXPECT_EQ(0, ktls_kex_supported(0x0105));
	EXPECT_EQ(0, ktls_kex_supported(0));
	EXPECT_EQ(0u, ktls_kex_shared_len(0x0105));
}

TEST(generate_refuses_unknown_group)
{
	struct ktls_kex k;

	ASSERT_EQ(KTLS_EUNSUPPORTED, ktls_kex_generate(&k, 0x0016));
	ktls_kex_free(&k);
}

FIXTURE(agree)
{
	struct ktls_kex a, b;
};

FIXTURE_VARIANT(agree)
{
	uint16_t group;
	size_t pub_len;    /* §4.2.8.1, §4.2.8.2 */
	size_t shared_len; /* §7.4.1, §7.4.2 */
};

FIXTURE_VARIANT_ADD(agree, x25519) { TLS_GROUP_X25519, 32, 32 };
FIXTURE_VARIANT_ADD(agree, p256) { TLS_GROUP_SECP256R1, 65, 32 };
FIXTURE_VARIANT_ADD(agree, p384) { TLS_GROUP_SECP384R1, 97, 48 };
FIXTURE_VARIANT_ADD(agree, p521) { TLS_GROUP_SECP521R1, 133, 66 };
FIXTURE_VARIANT_ADD(agree, x448) { TLS_GROUP_X448, 56, 56 };
FIXTURE_VARIANT_ADD(agree, ffdhe2048) { TLS_GROUP_FFDHE2048, 256, 256 };
FIXTURE_VARIANT_ADD(agree, ffdhe3072) { TLS_GROUP_FFDHE3072, 384, 384 };
FIXTURE_VARIANT_ADD(agree, ffdhe4096) { TLS_GROUP_FFDHE4096, 512, 512 };
FIXTURE_VARIANT_ADD(agree, ffdhe6144) { TLS_GROUP_FFDHE6144, 768, 768 };
FIXTURE_VARIANT_ADD(agree, ffdhe8192) { TLS_GROUP_FFDHE8192, 1024, 1024 };

FIXTURE_SETUP(agree)
{
	ASSERT_EQ(0, ktls_kex_generate(&self->a, variant->group));
	ASSERT_EQ(0, ktls_kex_generate(&self->b, variant->group));
}

FIXTURE_TEARDOWN(agree)
{
	ktls_kex_free(&self->a);
	ktls_kex_free(&self->b);
}

TEST_F(agree, two_parties_agree)
{
	uint8_t s1[KTLS_KEX_SHARED_MAX], s2[KTLS_KEX_SHARED_MAX];
	size_t l1 = 0, l2 = 0, n = variant->shared_len;

	ASSERT_EQ(variant->group, self->a.group);
	ASSERT_EQ(variant->pub_len, self->a.pub_len);
	ASSERT_EQ(variant->pub_len, self->b.pub_len);
	ASSERT_EQ(n, ktls_kex_shared_len(variant->group));
	if (variant->pub_len == 2 * n + 1) /* NIST curves, §4.2.8.2: uncompressed point */
		ASSERT_EQ(0x04, self->a.pub[0]);
	ASSERT_EQ(0, ktls_kex_derive(&self->a, self->b.pub, self->b.pub_len, s1, &l1));
	ASSERT_EQ(0, ktls_kex_derive(&self->b, self->a.pub, self->a.pub_len, s2, &l2));
	ASSERT_EQ(n, l1);
	ASSERT_EQ(n, l2);
	ASSERT_MEMEQ(s1, s2, n);
	ASSERT_EQ(0, sodium_is_zero(s1, n));
}

/* The other side computed by OpenSSL itself from our key_exchange bytes, with its own keys
 * (EVP_PKEY of the group, its encoding of the public value, its derive). */
TEST_F(agree, agrees_with_openssl)
{
	uint8_t peer_pub[KTLS_KEX_PUB_MAX], s_ours[KTLS_KEX_SHARED_MAX], s_openssl[KTLS_KEX_SHARED_MAX];
	size_t peer_len = 0, len_ours = 0, len_openssl = sizeof(s_openssl);
	EVP_PKEY *peer = openssl_key(variant->group), *ours = NULL;
	EVP_PKEY_CTX *ctx = NULL;

	ASSERT_NONNULL(peer);
	openssl_public(peer, variant->pub_len, peer_pub, &peer_len);
	ASSERT_EQ(variant->pub_len, peer_len);
	ASSERT_EQ(0, ktls_kex_derive(&self->a, peer_pub, peer_len, s_ours, &len_ours));

	ours = openssl_peer(peer, self->a.pub, self->a.pub_len);
	ASSERT_NONNULL(ours);
	ctx = EVP_PKEY_CTX_new(peer, NULL);
	ASSERT_NONNULL(ctx);
	ASSERT_EQ(1, EVP_PKEY_derive_init(ctx));
	if (EVP_PKEY_is_a(peer, "DH")) /* §7.4.1: leading zeros kept */
		ASSERT_EQ(1, EVP_PKEY_CTX_set_dh_pad(ctx, 1));
	ASSERT_EQ(1, EVP_PKEY_derive_set_peer(ctx, ours));
	ASSERT_EQ(1, EVP_PKEY_derive(ctx, s_openssl, &len_openssl));
	ASSERT_EQ(variant->shared_len, len_openssl);
	ASSERT_EQ(variant->shared_len, len_ours);
	ASSERT_MEMEQ(s_openssl, s_ours, variant->shared_len);

	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(ours);
	EVP_PKEY_free(peer);
}

TEST_F(agree, fresh_keys_differ)
{
	ASSERT_NE(0, memcmp(self->a.pub, self->b.pub, variant->pub_len));
}

TEST_F(agree, other_groups_key_is_wrong_length)
{
	uint8_t shared[KTLS_KEX_SHARED_MAX];
	struct ktls_kex other;
	size_t len = 99;
	uint16_t g = variant->group == TLS_GROUP_X25519 ? TLS_GROUP_SECP256R1 : TLS_GROUP_X25519;

	ASSERT_EQ(0, ktls_kex_generate(&other, g));
	EXPECT_EQ(KTLS_EILLEGAL, ktls_kex_derive(&self->a, other.pub, other.pub_len, shared, &len));
	EXPECT_EQ(0u, len);
	ktls_kex_free(&other);
}

TEST_F(agree, empty_peer_key)
{
	uint8_t shared[KTLS_KEX_SHARED_MAX];
	size_t len = 99;

	EXPECT_EQ(KTLS_EILLEGAL, ktls_kex_derive(&self->a, self->b.pub, 0, shared, &len));
	EXPECT_EQ(0u, len);
}

TEST_F(agree, free_wipes)
{
	struct ktls_kex zero;

	memset(&zero, 0, sizeof(zero));
	ktls_kex_free(&self->a);
	ASSERT_MEMEQ(&zero, &self->a, sizeof(zero));
	ktls_kex_free(&self->a); /* a second free is harmless */
}

TEST(derive_without_key)
{
	struct ktls_kex k;
	uint8_t peer[32] = { 9 }, shared[32];
	size_t len;

	memset(&k, 0, sizeof(k));
	ASSERT_EQ(KTLS_EINVAL, ktls_kex_derive(&k, peer, sizeof(peer), shared, &len));
}

/* ---- X25519 ------------------------------------------------------------------------------ */

FIXTURE(x25519)
{
	struct vec_file *vf;
	struct ktls_kex k;
};

FIXTURE_SETUP(x25519)
{
	self->vf = vec_load("rfc8448-1rtt.txt");
	ASSERT_EQ(0, ktls_kex_generate(&self->k, TLS_GROUP_X25519));
}

FIXTURE_TEARDOWN(x25519)
{
	ktls_kex_free(&self->k);
	vec_free(self->vf);
}

#define V(name) vec_get(self->vf, 0, name)

TEST_F(x25519, rfc8448_client_side)
{
	uint8_t shared[KTLS_KEX_SHARED_MAX];
	size_t len = 0;

	ktls_kex_free(&self->k);
	ASSERT_EQ(0, ktls_kex_set_private(&self->k, TLS_GROUP_X25519,
					  V("client_x25519_private")->bytes, 32));
	ASSERT_EQ(32u, self->k.pub_len);
	ASSERT_MEMEQ(V("client_x25519_public")->bytes, self->k.pub, 32);
	ASSERT_EQ(0, ktls_kex_derive(&self->k, V("server_x25519_public")->bytes, 32, shared, &len));
	ASSERT_EQ(32u, len);
	ASSERT_MEMEQ(V("ecdhe_shared")->bytes, shared, 32);
}

TEST_F(x25519, rfc8448_server_side)
{
	uint8_t shared[KTLS_KEX_SHARED_MAX];
	size_t len = 0;

	ktls_kex_free(&self->k);
	ASSERT_EQ(0, ktls_kex_set_private(&self->k, TLS_GROUP_X25519,
					  V("server_x25519_private")->bytes, 32));
	ASSERT_MEMEQ(V("server_x25519_public")->bytes, self->k.pub, 32);
	ASSERT_EQ(0, ktls_kex_derive(&self->k, V("client_x25519_public")->bytes, 32, shared, &len));
	ASSERT_MEMEQ(V("ecdhe_shared")->bytes, shared, 32);
}

/* Our public key is made by the Edwards fixed-base path and the birational map (kex.c): it
 * must equal the Montgomery ladder's, libsodium's crypto_scalarmult_base, for every private
 * key — random ones, and those whose clamped bits or extremes stress the map's edges. */
/* 4,096 keys (the map is straight-line arithmetic: no branch depends on the key). Several
 * seconds under ASan on a loaded machine, hence the timeout. */
TEST_F_TIMEOUT(x25519, public_key_equals_the_ladder, 120)
{
	uint8_t priv[32], want[32];

	for (int i = 0; i < 4096; i++) {
		if (i < 256) { /* every byte value at both ends, the rest 0x00 or 0xff */
			memset(priv, i & 1 ? 0xff : 0, sizeof(priv));
			priv[0] = (uint8_t)i;
			priv[31] = (uint8_t)(255 - i);
		} else {
			randombytes_buf(priv, sizeof(priv));
		}
		ktls_kex_free(&self->k);
		ASSERT_EQ(0, ktls_kex_set_private(&self->k, TLS_GROUP_X25519, priv, 32));
		ASSERT_EQ(0, crypto_scalarmult_base(want, priv));
		ASSERT_MEMEQ(want, self->k.pub, 32);
	}
	/* and a fresh key from generate agrees with the ladder on its own private key */
	ktls_kex_free(&self->k);
	ASSERT_EQ(0, ktls_kex_generate(&self->k, TLS_GROUP_X25519));
	ASSERT_EQ(0, crypto_scalarmult_base(want, self->k.priv));
	ASSERT_MEMEQ(want, self->k.pub, 32);
}

TEST_F(x25519, set_private_only_for_x25519)
{
	uint8_t priv[32] = { 1 };

	ktls_kex_free(&self->k);
	EXPECT_EQ(KTLS_EUNSUPPORTED, ktls_kex_set_private(&self->k, TLS_GROUP_SECP256R1, priv, 32));
	EXPECT_EQ(KTLS_EINVAL, ktls_kex_set_private(&self->k, TLS_GROUP_X25519, priv, 31));
	EXPECT_EQ(KTLS_EINVAL, ktls_kex_set_private(&self->k, TLS_GROUP_X25519, priv, 33));
}

TEST_F(x25519, wrong_length)
{
	uint8_t peer[33], shared[KTLS_KEX_SHARED_MAX];
	size_t len;

	memcpy(peer, self->k.pub, 32);
	peer[32] = 0;
	EXPECT_EQ(KTLS_EILLEGAL, ktls_kex_derive(&self->k, peer, 31, shared, &len));
	EXPECT_EQ(KTLS_EILLEGAL, ktls_kex_derive(&self->k, peer, 33, shared, &len));
	EXPECT_EQ(KTLS_EILLEGAL, ktls_kex_derive(&self->k, peer, 1, shared, &len));
}

/* §7.4.2: the all-zero point (and every other point of small order) gives an all-zero
 * shared secret, which must be refused. */
TEST_F(x25519, all_zero_peer_key)
{
	uint8_t zero[32] = { 0 }, shared[KTLS_KEX_SHARED_MAX];
	size_t len = 99;

	memset(shared, 0xaa, sizeof(shared));
	ASSERT_EQ(KTLS_EILLEGAL, ktls_kex_derive(&self->k, zero, 32, shared, &len));
	EXPECT_EQ(0u, len);
	EXPECT_EQ(1, sodium_is_zero(shared, 32)); /* nothing left behind */
}

TEST_F(x25519, small_order_peer_keys)
{
	/* Points of order 1, 2, 4 and 8 on Curve25519 and non-canonical encodings of them
	 * (RFC 7748 §6.1; the list libsodium and others block). Each gives an all-zero output. */
	static const char *const points[] = {
		"0100000000000000000000000000000000000000000000000000000000000000", /* u = 1 */
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", /* order 8 */
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", /* order 8 */
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* u = p - 1 */
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* u = p */
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* u = p + 1 */
	};
	uint8_t peer[32], shared[KTLS_KEX_SHARED_MAX];
	size_t len;

	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		unhex(points[i], peer, 32);
		int err = ktls_kex_derive(&self->k, peer, 32, shared, &len);
		if (err != KTLS_EILLEGAL)
			TH_LOG("small-order point %zu accepted", i);
		EXPECT_EQ(KTLS_EILLEGAL, err);
	}
}

/* ---- P-256 ------------------------------------------------------------------------------- */

/* RFC 5903 §8.1 (256-bit random ECP group): initiator i, gi; responder r, gr; shared girx. */
#define RFC5903_I "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433"
#define RFC5903_GI                                                                          \
	"04dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180"                \
	"5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3"
#define RFC5903_R "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53"
#define RFC5903_GR                                                                          \
	"04d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63"                \
	"56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab"
#define RFC5903_GIRX "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de"

/* Builds a P-256 EVP_PKEY from a private scalar and its public point (hex). The library
 * never takes a fixed P-256 private key, so the test fills the struct itself. */
static EVP_PKEY *p256_from_hex(const char *priv_hex, const char *pub_hex)
{
	uint8_t priv[32], pub[65];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	BIGNUM *d;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	unhex(priv_hex, priv, 32);
	unhex(pub_hex, pub, 65);
	d = BN_bin2bn(priv, 32, NULL);
	if (bld && ctx && d &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 65) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(ctx) > 0)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params);
	OSSL_PARAM_free(params);
	BN_clear_free(d);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* One side of the RFC 5903 exchange through ktls_kex_derive. */
static void rfc5903_side(const char *priv_hex, const char *pub_hex, const char *peer_hex)
{
	struct ktls_kex k;
	uint8_t peer[65], expect[32], shared[KTLS_KEX_SHARED_MAX];
	size_t len = 0;

	memset(&k, 0, sizeof(k));
	k.group = TLS_GROUP_SECP256R1;
	k.pkey = p256_from_hex(priv_hex, pub_hex);
	ASSERT_NONNULL(k.pkey);
	unhex(pub_hex, k.pub, 65);
	k.pub_len = 65;
	unhex(peer_hex, peer, 65);
	unhex(RFC5903_GIRX, expect, 32);
	EXPECT_EQ(0, ktls_kex_derive(&k, peer, 65, shared, &len));
	EXPECT_EQ(32u, len);
	EXPECT_MEMEQ(expect, shared, 32);
	ktls_kex_free(&k);
}

TEST(p256_rfc5903_initiator)
{
	rfc5903_side(RFC5903_I, RFC5903_GI, RFC5903_GR);
}

TEST(p256_rfc5903_responder)
{
	rfc5903_side(RFC5903_R, RFC5903_GR, RFC5903_GI);
}

/* ---- the NIST curves: what §4.2.8.2 refuses --------------------------------------------- */

FIXTURE(ec)
{
	struct ktls_kex k, peer;
};

FIXTURE_VARIANT(ec)
{
	uint16_t group;
	size_t field; /* bytes of a coordinate */
};

FIXTURE_VARIANT_ADD(ec, p256) { TLS_GROUP_SECP256R1, 32 };
FIXTURE_VARIANT_ADD(ec, p384) { TLS_GROUP_SECP384R1, 48 };
FIXTURE_VARIANT_ADD(ec, p521) { TLS_GROUP_SECP521R1, 66 };

FIXTURE_SETUP(ec)
{
	ASSERT_EQ(0, ktls_kex_generate(&self->k, variant->group));
	ASSERT_EQ(0, ktls_kex_generate(&self->peer, variant->group));
	ASSERT_EQ(2 * variant->field + 1, self->peer.pub_len);
}

FIXTURE_TEARDOWN(ec)
{
	ktls_kex_free(&self->k);
	ktls_kex_free(&self->peer);
}

/* Expects ktls_kex_derive to refuse bad as the peer key with illegal_parameter, leaving
 * nothing in shared. */
static void expect_illegal(struct ktls_kex *k, const uint8_t *bad, size_t len)
{
	uint8_t shared[KTLS_KEX_SHARED_MAX];
	size_t shared_len = 99;

	memset(shared, 0xaa, sizeof(shared));
	EXPECT_EQ(KTLS_EILLEGAL, ktls_kex_derive(k, bad, len, shared, &shared_len));
	EXPECT_EQ(0u, shared_len);
	EXPECT_EQ(1, sodium_is_zero(shared, ktls_kex_shared_len(k->group)));
}

TEST_F(ec, wrong_length)
{
	uint8_t bad[KTLS_KEX_PUB_MAX + 1] = { 0 };
	size_t n = self->peer.pub_len;

	memcpy(bad, self->peer.pub, n);
	expect_illegal(&self->k, bad, n - 1);
	expect_illegal(&self->k, bad, n + 1);
	expect_illegal(&self->k, bad, variant->field);
	expect_illegal(&self->k, bad, 1);
}

/* §4.2.8.2: only the uncompressed form; a compressed point is refused even when valid. */
TEST_F(ec, compressed_point)
{
	uint8_t bad[KTLS_KEX_PUB_MAX];
	size_t n = self->peer.pub_len;

	memcpy(bad, self->peer.pub, n);
	bad[0] = (uint8_t)(0x02 | (self->peer.pub[n - 1] & 1)); /* the same point, compressed */
	expect_illegal(&self->k, bad, variant->field + 1);
	bad[0] = 0x02;
	expect_illegal(&self->k, bad, n);
	bad[0] = 0x03;
	expect_illegal(&self->k, bad, n);
	bad[0] = 0x06; /* hybrid form */
	expect_illegal(&self->k, bad, n);
	bad[0] = 0x00;
	expect_illegal(&self->k, bad, 1); /* the point at infinity */
}

TEST_F(ec, point_not_on_curve)
{
	uint8_t bad[KTLS_KEX_PUB_MAX];
	size_t n = self->peer.pub_len;

	memcpy(bad, self->peer.pub, n);
	bad[n - 1] ^= 0x01; /* y changed: y^2 != x^3 - 3x + b */
	expect_illegal(&self->k, bad, n);
	memcpy(bad, self->peer.pub, n);
	bad[10] ^= 0x80; /* x changed */
	expect_illegal(&self->k, bad, n);
	memset(bad + 1, 0, n - 1); /* (0, 0) */
	expect_illegal(&self->k, bad, n);
	memset(bad + 1, 0xff, n - 1); /* coordinates above p */
	expect_illegal(&self->k, bad, n);
}

/* ---- X448 -------------------------------------------------------------------------------- */

TEST(x448_wrong_length_and_zero_result)
{
	struct ktls_kex k, peer;
	uint8_t bad[57];

	ASSERT_EQ(0, ktls_kex_generate(&k, TLS_GROUP_X448));
	ASSERT_EQ(0, ktls_kex_generate(&peer, TLS_GROUP_X448));
	memcpy(bad, peer.pub, 56);
	bad[56] = 0;
	expect_illegal(&k, bad, 55);
	expect_illegal(&k, bad, 57);
	expect_illegal(&k, bad, 32);
	/* §7.4.2: u = 0 and u = 1 (small order, RFC 7748 §6.2) make the output all zero */
	memset(bad, 0, 56);
	expect_illegal(&k, bad, 56);
	bad[0] = 1;
	expect_illegal(&k, bad, 56);
	ktls_kex_free(&peer);
	ktls_kex_free(&k);
}

/* ---- FFDHE (RFC 7919) -------------------------------------------------------------------- */

FIXTURE(ffdhe)
{
	struct ktls_kex k;
	uint8_t p[KTLS_KEX_PUB_MAX]; /* the group's prime, from OpenSSL */
	size_t len;
};

FIXTURE_VARIANT(ffdhe)
{
	uint16_t group;
	size_t len; /* bytes of p */
};

FIXTURE_VARIANT_ADD(ffdhe, ffdhe2048) { TLS_GROUP_FFDHE2048, 256 };
FIXTURE_VARIANT_ADD(ffdhe, ffdhe3072) { TLS_GROUP_FFDHE3072, 384 };
FIXTURE_VARIANT_ADD(ffdhe, ffdhe4096) { TLS_GROUP_FFDHE4096, 512 };
FIXTURE_VARIANT_ADD(ffdhe, ffdhe6144) { TLS_GROUP_FFDHE6144, 768 };
FIXTURE_VARIANT_ADD(ffdhe, ffdhe8192) { TLS_GROUP_FFDHE8192, 1024 };

FIXTURE_SETUP(ffdhe)
{
	EVP_PKEY *pkey = openssl_key(variant->group);
	BIGNUM *p = NULL;

	ASSERT_NONNULL(pkey);
	ASSERT_EQ(1, EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_FFC_P, &p));
	self->len = variant->len;
	ASSERT_EQ((int)self->len, BN_num_bytes(p));
	ASSERT_EQ((int)self->len, BN_bn2binpad(p, self->p, (int)self->len));
	BN_free(p);
	EVP_PKEY_free(pkey);
	ASSERT_EQ(0, ktls_kex_generate(&self->k, variant->group));
}

FIXTURE_TEARDOWN(ffdhe)
{
	ktls_kex_free(&self->k);
}

/* The small value v as a big-endian number of len bytes. */
static void ffdhe_small(size_t len, unsigned v, uint8_t *out)
{
	memset(out, 0, len);
	out[len - 1] = (uint8_t)v;
}

/* p - d (d = 0 or 1) as len bytes; every RFC 7919 prime ends in 0xff: no borrow. */
static void ffdhe_p_minus(const uint8_t *p, size_t len, unsigned d, uint8_t *out)
{
	memcpy(out, p, len);
	out[len - 1] = (uint8_t)(out[len - 1] - d);
}

/* RFC 7919 §5.1: Y must satisfy 1 < Y < p-1; §4.2.8.1: exactly len(p) bytes. */
TEST_F(ffdhe, peer_value_range)
{
	uint8_t y[KTLS_KEX_PUB_MAX + 1];
	size_t n = self->len;

	ASSERT_EQ(0xff, self->p[n - 1]);
	ffdhe_small(n, 0, y);
	expect_illegal(&self->k, y, n); /* Y = 0 */
	ffdhe_small(n, 1, y);
	expect_illegal(&self->k, y, n); /* Y = 1 */
	ffdhe_p_minus(self->p, n, 1, y);
	expect_illegal(&self->k, y, n); /* Y = p - 1 */
	ffdhe_p_minus(self->p, n, 0, y);
	expect_illegal(&self->k, y, n); /* Y = p */
	memset(y, 0xff, n);
	expect_illegal(&self->k, y, n); /* Y = 2^(8n) - 1 > p */
	/* a valid Y in the wrong length: without its padding, or with one byte too many */
	memcpy(y + 1, self->k.pub, n);
	y[0] = 0;
	expect_illegal(&self->k, y, n + 1);
	expect_illegal(&self->k, y + 2, n - 1);
	/* Y = 2 (the generator) is accepted */
	uint8_t shared[KTLS_KEX_SHARED_MAX];
	size_t len = 0;
	ffdhe_small(n, 2, y);
	EXPECT_EQ(0, ktls_kex_derive(&self->k, y, n, shared, &len));
	EXPECT_EQ(n, len);
}

/* §4.2.8.1 and §7.4.1: our Y and the shared secret keep their leading zeros. With the
 * private exponent 1, Y = g = 2 (n - 1 zero bytes, then 2) and the secret is the peer's
 * value itself: 4 gives n - 1 zero bytes, then 4. */
TEST_F(ffdhe, padding_known_answer)
{
	uint8_t one = 1, two[KTLS_KEX_PUB_MAX], four[KTLS_KEX_PUB_MAX], shared[KTLS_KEX_SHARED_MAX];
	size_t n = self->len, len = 0;

	ktls_kex_free(&self->k);
	ASSERT_EQ(0, ktls_kex_set_private(&self->k, variant->group, &one, 1));
	ffdhe_small(n, 2, two);
	ffdhe_small(n, 4, four);
	ASSERT_EQ(n, self->k.pub_len);
	ASSERT_MEMEQ(two, self->k.pub, n);
	ASSERT_EQ(0, ktls_kex_derive(&self->k, four, n, shared, &len));
	ASSERT_EQ(n, len);
	ASSERT_MEMEQ(four, shared, n);
}

/* A known answer computed apart from the library: our exponent x, the secret Y^x mod p by
 * BN_mod_exp; and over many fresh keys, the secret is always len(p) bytes (§7.4.1). */
TEST_F(ffdhe, secret_is_always_p_long)
{
	uint8_t x[32], peer_pub[KTLS_KEX_PUB_MAX], shared[KTLS_KEX_SHARED_MAX],
		expect[KTLS_KEX_SHARED_MAX];
	size_t n = self->len, len = 0, peer_len = 0;
	EVP_PKEY *peer = openssl_key(variant->group);
	BIGNUM *bx = NULL, *by = NULL, *bp = NULL, *bs = BN_new();
	BN_CTX *bn = BN_CTX_new();
	struct ktls_kex k;

	ASSERT_NONNULL(peer);
	openssl_public(peer, n, peer_pub, &peer_len);
	randombytes_buf(x, sizeof(x));
	ASSERT_EQ(0, ktls_kex_set_private(&k, variant->group, x, sizeof(x)));
	ASSERT_EQ(0, ktls_kex_derive(&k, peer_pub, n, shared, &len));
	ASSERT_EQ(n, len);
	ASSERT_NONNULL(bx = BN_bin2bn(x, sizeof(x), NULL));
	ASSERT_NONNULL(by = BN_bin2bn(peer_pub, (int)n, NULL));
	ASSERT_NONNULL(bp = BN_bin2bn(self->p, (int)n, NULL));
	ASSERT_EQ(1, BN_mod_exp(bs, by, bx, bp, bn));
	ASSERT_EQ((int)n, BN_bn2binpad(bs, expect, (int)n));
	ASSERT_MEMEQ(expect, shared, n);
	ktls_kex_free(&k);
	for (int i = 0; i < 8; i++) {
		struct ktls_kex a;
		ASSERT_EQ(0, ktls_kex_generate(&a, variant->group));
		ASSERT_EQ(n, a.pub_len);
		ASSERT_EQ(0, ktls_kex_derive(&a, peer_pub, n, shared, &len));
		ASSERT_EQ(n, len);
		ktls_kex_free(&a);
	}
	BN_free(bx);
	BN_free(by);
	BN_free(bp);
	BN_free(bs);
	BN_CTX_free(bn);
	EVP_PKEY_free(peer);
}

TEST(set_private_refuses_other_groups)
{
	struct ktls_kex k;
	uint8_t priv[600] = { 1 };

	EXPECT_EQ(KTLS_EUNSUPPORTED, ktls_kex_set_private(&k, TLS_GROUP_X448, priv, 56));
	EXPECT_EQ(KTLS_EUNSUPPORTED, ktls_kex_set_private(&k, TLS_GROUP_SECP384R1, priv, 48));
	EXPECT_EQ(KTLS_EINVAL, ktls_kex_set_private(&k, TLS_GROUP_FFDHE2048, priv, 0));
	EXPECT_EQ(KTLS_EINVAL, ktls_kex_set_private(&k, TLS_GROUP_FFDHE2048, priv, 257));
}

TEST_HARNESS_MAIN
