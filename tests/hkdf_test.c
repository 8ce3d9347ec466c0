/*
 * hkdf_test.c — HKDF-Extract and HKDF-Expand against RFC 5869 Appendix A (all seven cases,
 * SHA-256 and SHA-1), and the bounds of HKDF-Expand.
 */
#include "harness.h"

#include "hkdf.h"
#include "ktls.h"
#include "support/vectors.h"

#include <openssl/evp.h>

FIXTURE(rfc5869)
{
	struct vec_file *vf;
	const EVP_MD *md;
};

FIXTURE_VARIANT(rfc5869)
{
	unsigned case_no;
};

FIXTURE_VARIANT_ADD(rfc5869, case1) { .case_no = 1 };
FIXTURE_VARIANT_ADD(rfc5869, case2) { .case_no = 2 };
FIXTURE_VARIANT_ADD(rfc5869, case3) { .case_no = 3 };
FIXTURE_VARIANT_ADD(rfc5869, case4) { .case_no = 4 };
FIXTURE_VARIANT_ADD(rfc5869, case5) { .case_no = 5 };
FIXTURE_VARIANT_ADD(rfc5869, case6) { .case_no = 6 };
FIXTURE_VARIANT_ADD(rfc5869, case7) { .case_no = 7 };

FIXTURE_SETUP(rfc5869)
{
	self->vf = vec_load("rfc5869-hkdf.txt");
	ASSERT_EQ(7u, self->vf->cases);
	unsigned long sha = vec_uint(self->vf, variant->case_no, "sha");
	ASSERT_TRUE(sha == 256 || sha == 1);
	self->md = sha == 256 ? EVP_sha256() : EVP_sha1();
}

FIXTURE_TEARDOWN(rfc5869)
{
	vec_free(self->vf);
}

TEST_F(rfc5869, extract_then_expand)
{
	unsigned c = variant->case_no;
	const struct vec *ikm = vec_get(self->vf, c, "ikm"), *salt = vec_get(self->vf, c, "salt");
	const struct vec *info = vec_get(self->vf, c, "info"), *prk = vec_get(self->vf, c, "prk");
	const struct vec *okm = vec_get(self->vf, c, "okm");
	size_t l = vec_uint(self->vf, c, "l");
	uint8_t got_prk[EVP_MAX_MD_SIZE], got_okm[256];

	ASSERT_EQ(l, okm->len);
	ASSERT_EQ(0, ktls_hkdf_extract(self->md, salt->bytes, salt->len, ikm->bytes, ikm->len,
				       got_prk));
	ASSERT_MEMEQ(prk->bytes, got_prk, prk->len);
	ASSERT_EQ(0, ktls_hkdf_expand(self->md, got_prk, prk->len, info->bytes, info->len, got_okm,
				      l));
	ASSERT_MEMEQ(okm->bytes, got_okm, l);
}

TEST(expand_length_limit)
{
	uint8_t prk[32] = { 1 }, out[255 * 32 + 1];

	/* RFC 5869 §2.3: L <= 255*HashLen */
	EXPECT_EQ(0, ktls_hkdf_expand(EVP_sha256(), prk, 32, NULL, 0, out, 255 * 32));
	EXPECT_EQ(KTLS_EINVAL, ktls_hkdf_expand(EVP_sha256(), prk, 32, NULL, 0, out, 255 * 32 + 1));
}

TEST(expand_is_a_prefix_of_longer_expand)
{
	uint8_t prk[48] = { 7 }, a[100], b[37];

	ASSERT_EQ(0, ktls_hkdf_expand(EVP_sha384(), prk, 48, (const uint8_t *)"ctx", 3, a, 100));
	ASSERT_EQ(0, ktls_hkdf_expand(EVP_sha384(), prk, 48, (const uint8_t *)"ctx", 3, b, 37));
	ASSERT_MEMEQ(a, b, 37);
}

TEST_HARNESS_MAIN
