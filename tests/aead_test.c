/*
 * aead_test.c — the AEAD interface (lib/aead.c): ChaCha20-Poly1305 against RFC 8439 §2.8.2
 * and Appendix A.5, and for every suite's AEAD: round trips, in-place use, and rejection of
 * any modified byte. AES-128-GCM is also held to RFC 8448's records in record_test.
 */
#include "harness.h"

#include "aead.h"
#include "ktls.h"
#include "support/vectors.h"

#include <string.h>

static const struct ktls_suite *chacha(void)
{
	return ktls_suite_find(KTLS_TLS_CHACHA20_POLY1305_SHA256);
}

TEST(rfc8439_2_8_2_seal)
{
	struct vec_file *vf = vec_load("rfc8439-aead.txt");
	const struct vec *key = vec_get(vf, 1, "key"), *nonce = vec_get(vf, 1, "nonce");
	const struct vec *aad = vec_get(vf, 1, "aad"), *pt = vec_get(vf, 1, "plaintext");
	const struct vec *ct = vec_get(vf, 1, "ciphertext"), *tag = vec_get(vf, 1, "tag");
	const struct vec *constant = vec_get(vf, 1, "constant"), *iv = vec_get(vf, 1, "iv");
	struct ktls_aead a;
	uint8_t out[256];

	/* the nonce is the 32-bit constant followed by the 64-bit IV (§2.8.2) */
	ASSERT_EQ(12u, nonce->len);
	ASSERT_MEMEQ(constant->bytes, nonce->bytes, 4);
	ASSERT_MEMEQ(iv->bytes, nonce->bytes + 4, 8);
	ASSERT_EQ(0, ktls_aead_init(&a, chacha(), key->bytes));
	ASSERT_EQ(0, ktls_aead_seal(&a, nonce->bytes, aad->bytes, aad->len, pt->bytes, pt->len, out));
	ASSERT_MEMEQ(ct->bytes, out, ct->len);
	ASSERT_MEMEQ(tag->bytes, out + ct->len, 16);
	ktls_aead_free(&a);
	vec_free(vf);
}

TEST(rfc8439_a5_open)
{
	struct vec_file *vf = vec_load("rfc8439-aead.txt");
	const struct vec *key = vec_get(vf, 2, "key"), *nonce = vec_get(vf, 2, "nonce");
	const struct vec *aad = vec_get(vf, 2, "aad"), *pt = vec_get(vf, 2, "plaintext");
	const struct vec *ct = vec_get(vf, 2, "ciphertext"), *tag = vec_get(vf, 2, "tag");
	struct ktls_aead a;
	uint8_t in[512], out[512];

	ASSERT_TRUE(ct->len + 16 <= sizeof(in));
	memcpy(in, ct->bytes, ct->len);
	memcpy(in + ct->len, tag->bytes, 16);
	ASSERT_EQ(0, ktls_aead_init(&a, chacha(), key->bytes));
	ASSERT_EQ(0, ktls_aead_open(&a, nonce->bytes, aad->bytes, aad->len, in, ct->len + 16, out));
	ASSERT_EQ(pt->len, ct->len);
	ASSERT_MEMEQ(pt->bytes, out, pt->len);

	/* one flipped bit in the tag: rejected, nothing released */
	in[ct->len + 15] ^= 0x01;
	memset(out, 0xee, sizeof(out));
	ASSERT_EQ(KTLS_EBADMAC,
		  ktls_aead_open(&a, nonce->bytes, aad->bytes, aad->len, in, ct->len + 16, out));
	uint8_t zeros[512] = { 0 };
	ASSERT_MEMEQ(zeros, out, ct->len);
	ktls_aead_free(&a);
	vec_free(vf);
}

FIXTURE(suite_aead)
{
	struct ktls_aead a;
	uint8_t key[32];
	uint8_t nonce[12];
};

FIXTURE_VARIANT(suite_aead)
{
	uint16_t suite;
};

FIXTURE_VARIANT_ADD(suite_aead, chacha20_poly1305) { .suite = KTLS_TLS_CHACHA20_POLY1305_SHA256 };
FIXTURE_VARIANT_ADD(suite_aead, aes_128_gcm) { .suite = KTLS_TLS_AES_128_GCM_SHA256 };
FIXTURE_VARIANT_ADD(suite_aead, aes_256_gcm) { .suite = KTLS_TLS_AES_256_GCM_SHA384 };

FIXTURE_SETUP(suite_aead)
{
	for (unsigned i = 0; i < sizeof(self->key); i++)
		self->key[i] = (uint8_t)(0x40 + i);
	for (unsigned i = 0; i < sizeof(self->nonce); i++)
		self->nonce[i] = (uint8_t)(0xa0 + i);
	ASSERT_EQ(0, ktls_aead_init(&self->a, ktls_suite_find(variant->suite), self->key));
}

FIXTURE_TEARDOWN(suite_aead)
{
	ktls_aead_free(&self->a);
}

TEST_F(suite_aead, round_trip_sizes)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 1000, 16385 };
	static uint8_t pt[16385], ct[16385 + 16], back[16385];

	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		ASSERT_EQ(0, ktls_aead_seal(&self->a, self->nonce, (const uint8_t *)"hdr", 3, pt, n, ct));
		ASSERT_EQ(0, ktls_aead_open(&self->a, self->nonce, (const uint8_t *)"hdr", 3, ct,
					    n + 16, back));
		ASSERT_MEMEQ(pt, back, n);
	}
}

TEST_F(suite_aead, in_place)
{
	uint8_t buf[64 + 16], orig[64];

	for (unsigned i = 0; i < sizeof(orig); i++)
		orig[i] = buf[i] = (uint8_t)i;
	ASSERT_EQ(0, ktls_aead_seal(&self->a, self->nonce, NULL, 0, buf, 64, buf));
	ASSERT_NE(0, memcmp(buf, orig, 64));
	ASSERT_EQ(0, ktls_aead_open(&self->a, self->nonce, NULL, 0, buf, 80, buf));
	ASSERT_MEMEQ(orig, buf, 64);
}

TEST_F(suite_aead, any_modified_byte_is_rejected)
{
	uint8_t pt[32], ct[48], bad[48], out[32], aad[5] = { 23, 3, 3, 0, 48 };
	uint8_t nonce2[12];

	memset(pt, 0x33, sizeof(pt));
	ASSERT_EQ(0, ktls_aead_seal(&self->a, self->nonce, aad, 5, pt, 32, ct));
	for (unsigned i = 0; i < sizeof(ct); i++) {
		memcpy(bad, ct, sizeof(ct));
		bad[i] ^= 0x80;
		ASSERT_EQ(KTLS_EBADMAC, ktls_aead_open(&self->a, self->nonce, aad, 5, bad, 48, out));
	}
	aad[4] ^= 1;
	ASSERT_EQ(KTLS_EBADMAC, ktls_aead_open(&self->a, self->nonce, aad, 5, ct, 48, out));
	aad[4] ^= 1;
	memcpy(nonce2, self->nonce, 12);
	nonce2[11] ^= 1;
	ASSERT_EQ(KTLS_EBADMAC, ktls_aead_open(&self->a, nonce2, aad, 5, ct, 48, out));
	/* shorter than a tag */
	ASSERT_EQ(KTLS_EBADMAC, ktls_aead_open(&self->a, self->nonce, aad, 5, ct, 15, out));
	/* and the untouched one still opens */
	ASSERT_EQ(0, ktls_aead_open(&self->a, self->nonce, aad, 5, ct, 48, out));
	ASSERT_MEMEQ(pt, out, 32);
}

TEST_F(suite_aead, wrong_key_is_rejected)
{
	struct ktls_aead other;
	uint8_t key2[32], ct[16 + 16], out[16];

	memcpy(key2, self->key, 32);
	key2[0] ^= 1;
	ASSERT_EQ(0, ktls_aead_seal(&self->a, self->nonce, NULL, 0, (const uint8_t *)"0123456789abcdef",
				    16, ct));
	ASSERT_EQ(0, ktls_aead_init(&other, ktls_suite_find(variant->suite), key2));
	EXPECT_EQ(KTLS_EBADMAC, ktls_aead_open(&other, self->nonce, NULL, 0, ct, 32, out));
	ktls_aead_free(&other);
}

TEST_HARNESS_MAIN
