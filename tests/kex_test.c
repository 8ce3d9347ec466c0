/*
 * kex_test.c — the (EC)DHE key exchange (RFC 8446 §4.2.8, §7.4): X25519 against RFC 8448 §3,
 * P-256 against RFC 5903 §8.1 and against OpenSSL's own ECDH from the other side; both
 * groups agreeing with themselves; and every malformed peer key refused with
 * illegal_parameter: wrong lengths, compressed or off-curve P-256 points, X25519 points of
 * small order whose output is all zero (§7.4.2).
 */
#include "harness.h"

#include "kex.h"
#include "ktls.h"
#include "messages.h"
#include "support/vectors.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
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

TEST(supported_groups)
{
	EXPECT_EQ(1, ktls_kex_supported(TLS_GROUP_X25519));
	EXPECT_EQ(1, ktls_kex_supported(TLS_GROUP_SECP256R1));
	EXPECT_EQ(0, ktls_kex_supported(0x0018)); /* secp384r1 */
	EXPECT_EQ(0, ktls_kex_supported(0x001e)); /* x448 */
	EXPECT_EQ(0, ktls_kex_supported(0x0100)); /* ffdhe2048 */
	EXPECT_EQ(0, ktls_kex_supported(0));
}

TEST(generate_refuses_unknown_group)
{
	struct ktls_kex k;

	ASSERT_EQ(KTLS_EUNSUPPORTED, ktls_kex_generate(&k, 0x0018));
	ktls_kex_free(&k);
}

FIXTURE(agree)
{
	struct ktls_kex a, b;
};

FIXTURE_VARIANT(agree)
{
	uint16_t group;
	size_t pub_len;
};

FIXTURE_VARIANT_ADD(agree, x25519) { .group = TLS_GROUP_X25519, .pub_len = 32 };
FIXTURE_VARIANT_ADD(agree, p256) { .group = TLS_GROUP_SECP256R1, .pub_len = 65 };

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
	uint8_t s1[KTLS_KEX_SHARED_LEN], s2[KTLS_KEX_SHARED_LEN];
	size_t l1 = 0, l2 = 0;

	ASSERT_EQ(variant->group, self->a.group);
	ASSERT_EQ(variant->pub_len, self->a.pub_len);
	ASSERT_EQ(variant->pub_len, self->b.pub_len);
	if (variant->group == TLS_GROUP_SECP256R1) /* §4.2.8.2: uncompressed point */
		ASSERT_EQ(0x04, self->a.pub[0]);
	ASSERT_EQ(0, ktls_kex_derive(&self->a, self->b.pub, self->b.pub_len, s1, &l1));
	ASSERT_EQ(0, ktls_kex_derive(&self->b, self->a.pub, self->a.pub_len, s2, &l2));
	ASSERT_EQ(32u, l1);
	ASSERT_EQ(32u, l2);
	ASSERT_MEMEQ(s1, s2, 32);
	ASSERT_EQ(0, sodium_is_zero(s1, 32));
}

TEST_F(agree, fresh_keys_differ)
{
	ASSERT_NE(0, memcmp(self->a.pub, self->b.pub, variant->pub_len));
}

TEST_F(agree, other_groups_key_is_wrong_length)
{
	uint8_t shared[KTLS_KEX_SHARED_LEN];
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
	uint8_t shared[KTLS_KEX_SHARED_LEN];
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
	uint8_t shared[KTLS_KEX_SHARED_LEN];
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
	uint8_t shared[KTLS_KEX_SHARED_LEN];
	size_t len = 0;

	ktls_kex_free(&self->k);
	ASSERT_EQ(0, ktls_kex_set_private(&self->k, TLS_GROUP_X25519,
					  V("server_x25519_private")->bytes, 32));
	ASSERT_MEMEQ(V("server_x25519_public")->bytes, self->k.pub, 32);
	ASSERT_EQ(0, ktls_kex_derive(&self->k, V("client_x25519_public")->bytes, 32, shared, &len));
	ASSERT_MEMEQ(V("ecdhe_shared")->bytes, shared, 32);
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
	uint8_t peer[33], shared[KTLS_KEX_SHARED_LEN];
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
	uint8_t zero[32] = { 0 }, shared[KTLS_KEX_SHARED_LEN];
	size_t len = 99;

	memset(shared, 0xaa, sizeof(shared));
	ASSERT_EQ(KTLS_EILLEGAL, ktls_kex_derive(&self->k, zero, 32, shared, &len));
	EXPECT_EQ(0u, len);
	EXPECT_EQ(1, sodium_is_zero(shared, sizeof(shared))); /* nothing left behind */
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
	uint8_t peer[32], shared[KTLS_KEX_SHARED_LEN];
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
	uint8_t peer[65], expect[32], shared[KTLS_KEX_SHARED_LEN];
	size_t len = 0;

	memset(&k, 0, sizeof(k));
	k.group = TLS_GROUP_SECP256R1;
	k.p256 = p256_from_hex(priv_hex, pub_hex);
	ASSERT_NONNULL(k.p256);
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

/* OpenSSL as the peer, deriving on its side with its own API from our public key. */
TEST(p256_agrees_with_openssl)
{
	struct ktls_kex k;
	EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *ours = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t peer_pub[65], s_ours[KTLS_KEX_SHARED_LEN], s_openssl[64];
	size_t peer_len = 0, len_ours = 0, len_openssl = sizeof(s_openssl);

	ASSERT_NONNULL(peer);
	ASSERT_EQ(0, ktls_kex_generate(&k, TLS_GROUP_SECP256R1));
	ASSERT_EQ(1, EVP_PKEY_get_octet_string_param(peer, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						     peer_pub, sizeof(peer_pub), &peer_len));
	ASSERT_EQ(65u, peer_len);
	EXPECT_EQ(0, ktls_kex_derive(&k, peer_pub, peer_len, s_ours, &len_ours));

	/* our key_exchange bytes, decoded by OpenSSL */
	ours = EVP_PKEY_new();
	ASSERT_NONNULL(ours);
	ASSERT_EQ(1, EVP_PKEY_copy_parameters(ours, peer));
	ASSERT_EQ(1, EVP_PKEY_set1_encoded_public_key(ours, k.pub, k.pub_len));
	ctx = EVP_PKEY_CTX_new(peer, NULL);
	ASSERT_NONNULL(ctx);
	ASSERT_EQ(1, EVP_PKEY_derive_init(ctx));
	ASSERT_EQ(1, EVP_PKEY_derive_set_peer(ctx, ours));
	ASSERT_EQ(1, EVP_PKEY_derive(ctx, s_openssl, &len_openssl));
	ASSERT_EQ(32u, len_openssl);
	ASSERT_EQ(32u, len_ours);
	ASSERT_MEMEQ(s_openssl, s_ours, 32);

	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(ours);
	EVP_PKEY_free(peer);
	ktls_kex_free(&k);
}

FIXTURE(p256)
{
	struct ktls_kex k, peer;
};

FIXTURE_SETUP(p256)
{
	ASSERT_EQ(0, ktls_kex_generate(&self->k, TLS_GROUP_SECP256R1));
	ASSERT_EQ(0, ktls_kex_generate(&self->peer, TLS_GROUP_SECP256R1));
}

FIXTURE_TEARDOWN(p256)
{
	ktls_kex_free(&self->k);
	ktls_kex_free(&self->peer);
}

/* Expects ktls_kex_derive to refuse bad as the peer key with illegal_parameter. */
static void expect_illegal(struct ktls_kex *k, const uint8_t *bad, size_t len)
{
	uint8_t shared[KTLS_KEX_SHARED_LEN];
	size_t shared_len = 99;

	EXPECT_EQ(KTLS_EILLEGAL, ktls_kex_derive(k, bad, len, shared, &shared_len));
	EXPECT_EQ(0u, shared_len);
}

TEST_F(p256, wrong_length)
{
	uint8_t bad[66];

	memcpy(bad, self->peer.pub, 65);
	bad[65] = 0;
	expect_illegal(&self->k, bad, 64);
	expect_illegal(&self->k, bad, 66);
	expect_illegal(&self->k, bad, 32);
	expect_illegal(&self->k, bad, 1);
}

/* §4.2.8.2: only the uncompressed form; a compressed point is refused even when valid. */
TEST_F(p256, compressed_point)
{
	uint8_t bad[65];

	memcpy(bad, self->peer.pub, 65);
	bad[0] = (uint8_t)(0x02 | (self->peer.pub[64] & 1)); /* the same point, compressed */
	expect_illegal(&self->k, bad, 33);
	bad[0] = 0x02;
	expect_illegal(&self->k, bad, 65);
	bad[0] = 0x03;
	expect_illegal(&self->k, bad, 65);
	bad[0] = 0x06; /* hybrid form */
	expect_illegal(&self->k, bad, 65);
	bad[0] = 0x00;
	expect_illegal(&self->k, bad, 1); /* the point at infinity */
}

TEST_F(p256, point_not_on_curve)
{
	uint8_t bad[65];

	memcpy(bad, self->peer.pub, 65);
	bad[64] ^= 0x01; /* y changed: y^2 != x^3 - 3x + b */
	expect_illegal(&self->k, bad, 65);
	memcpy(bad, self->peer.pub, 65);
	bad[10] ^= 0x80; /* x changed */
	expect_illegal(&self->k, bad, 65);
	memset(bad + 1, 0, 64); /* (0, 0) */
	expect_illegal(&self->k, bad, 65);
	memset(bad + 1, 0xff, 64); /* coordinates above p */
	expect_illegal(&self->k, bad, 65);
}

TEST_HARNESS_MAIN
