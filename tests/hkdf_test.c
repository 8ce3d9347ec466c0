/*
 * hkdf_test.c — HKDF-Extract and HKDF-Expand against RFC 5869 Appendix A (all seven cases,
 * SHA-256 and SHA-1), and the bounds of HKDF-Expand. Our HMAC (built over OpenSSL's hash,
 * see hkdf.c) must equal OpenSSL's HMAC() for every hash a suite uses, and for keys shorter
 * than, equal to and longer than the hash's block.
 */
#include "harness.h"

#include "hkdf.h"
#include "ktls.h"
#include "support/vectors.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

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

/* HKDF-Extract is HMAC(salt, IKM): ours against OpenSSL's one-shot HMAC(). */
TEST(hmac_matches_openssl)
{
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512(), EVP_sha1() };
	uint8_t key[300], text[300], ours[EVP_MAX_MD_SIZE], theirs[EVP_MAX_MD_SIZE];

	for (size_t i = 0; i < sizeof(key); i++) {
		key[i] = (uint8_t)(i * 13 + 1);
		text[i] = (uint8_t)(i * 7 + 3);
	}
	for (size_t m = 0; m < sizeof(mds) / sizeof(mds[0]); m++) {
		size_t hash_len = (size_t)EVP_MD_get_size(mds[m]);
		/* 0, around one block (64, 128) and beyond it */
		static const size_t key_lens[] = { 0, 1, 20, 32, 48, 63, 64, 65, 127, 128, 129, 200, 300 };
		for (size_t k = 0; k < sizeof(key_lens) / sizeof(key_lens[0]); k++) {
			for (size_t t = 0; t < sizeof(text); t += 61) {
				unsigned int len = 0;
				ASSERT_NONNULL(HMAC(mds[m], key, (int)key_lens[k], text, t, theirs, &len));
				ASSERT_EQ(hash_len, (size_t)len);
				memset(ours, 0, sizeof(ours));
				ASSERT_EQ(0, ktls_hkdf_extract(mds[m], key_lens[k] ? key : NULL,
							       key_lens[k], text, t, ours));
				if (memcmp(ours, theirs, hash_len))
					TH_LOG("hash %s, key %zu bytes, text %zu bytes",
					       EVP_MD_get0_name(mds[m]), key_lens[k], t);
				ASSERT_MEMEQ(theirs, ours, hash_len);
			}
		}
	}
}

/* HKDF-Expand over two blocks and more, for SHA-384: T(i) = HMAC(PRK, T(i-1) | info | i). */
TEST(expand_matches_hmac_chain)
{
	uint8_t prk[48], info[40], okm[130], want[144], block[48 + 40 + 1];
	size_t t_len = 0;

	for (size_t i = 0; i < sizeof(prk); i++)
		prk[i] = (uint8_t)(0x40 + i);
	for (size_t i = 0; i < sizeof(info); i++)
		info[i] = (uint8_t)(0x90 + i);
	for (int i = 1; i <= 3; i++) {
		unsigned int len = 0;
		if (i > 1) /* T(i-1) */
			memcpy(block, want + 48 * (i - 2), t_len);
		memcpy(block + t_len, info, sizeof(info));
		block[t_len + sizeof(info)] = (uint8_t)i;
		ASSERT_NONNULL(HMAC(EVP_sha384(), prk, 48, block, t_len + sizeof(info) + 1,
				    want + 48 * (i - 1), &len));
		t_len = 48;
	}
	ASSERT_EQ(0, ktls_hkdf_expand(EVP_sha384(), prk, 48, info, sizeof(info), okm, sizeof(okm)));
	ASSERT_MEMEQ(want, okm, sizeof(okm));
}

/* Several labels of one secret with the HMAC key made once give what each label gives
 * alone: SHA-256 and SHA-384, outputs shorter than, equal to and longer than the hash (the
 * last needs T(2), T(3)), with and without a context. */
TEST(expand_labels_match_one_at_a_time)
{
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384() };
	uint8_t secret[48], ctx[48], got[4][130], want[130];
	static const size_t lens[4] = { 12, 32, 48, 130 };

	for (unsigned i = 0; i < sizeof(secret); i++) {
		secret[i] = (uint8_t)(7 * i + 3);
		ctx[i] = (uint8_t)(0xa5 ^ i);
	}
	for (int m = 0; m < 2; m++) {
		const struct ktls_label_out outs[4] = {
			{ "key", NULL, 0, got[0], lens[0] },
			{ "c hs traffic", ctx, 32, got[1], lens[1] },
			{ "exp master", ctx, 48, got[2], lens[2] },
			{ "derived", ctx, 20, got[3], lens[3] },
		};
		ASSERT_EQ(0, ktls_hkdf_expand_labels(mds[m], secret, outs, 4));
		for (int j = 0; j < 4; j++) {
			ASSERT_EQ(0, ktls_hkdf_expand_label(mds[m], secret, outs[j].label, outs[j].context,
							    outs[j].context_len, want, lens[j]));
			ASSERT_MEMEQ(want, got[j], lens[j]);
		}
	}
}

/* An output that HKDF cannot make (longer than 255 * HashLen) fails the call and wipes every
 * output, the good ones too. */
TEST(expand_labels_failure_wipes_all)
{
	uint8_t secret[32] = { 1 }, a[16], zero[16] = { 0 };
	static uint8_t big[255 * 32 + 1];
	const struct ktls_label_out outs[2] = { { "key", NULL, 0, a, sizeof(a) },
						{ "iv", NULL, 0, big, sizeof(big) } };
	memset(a, 0xee, sizeof(a));
	ASSERT_EQ(KTLS_EINVAL, ktls_hkdf_expand_labels(EVP_sha256(), secret, outs, 2));
	ASSERT_MEMEQ(zero, a, sizeof(a));
}

TEST_HARNESS_MAIN
