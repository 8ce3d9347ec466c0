/*
 * aead_test.c — the AEAD interface (lib/core/aead.c): ChaCha20-Poly1305 against RFC 8439 §2.8.2
 * and Appendix A.5 with each implementation (libsodium, OpenSSL EVP, and the measured
 * choice), the two held to each other on random keys, nonces, AAD and every record size,
 * AES-128-CCM_8 against NIST SP 800-38C Example 3 and AES-128-CCM against
 * OpenSSL's one-shot CCM, and for every suite's AEAD: round trips, in-place use, and
 * rejection of any modified byte. AES-128-GCM is also held to RFC 8448's records in
 * record_test.
 */
#include "harness.h"

#include "aead.h"
#include "ktls.h"
#include "support/vectors.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

static const struct ktls_suite *chacha(void)
{
	return ktls_suite_find(KTLS_TLS_CHACHA20_POLY1305_SHA256);
}

/* ---- ChaCha20-Poly1305 (RFC 8439), each implementation ------------------------------------ */

FIXTURE(rfc8439)
{
	struct vec_file *vf;
};

FIXTURE_VARIANT(rfc8439)
{
	enum ktls_aead_impl impl;
};

FIXTURE_VARIANT_ADD(rfc8439, libsodium) { .impl = KTLS_AEAD_IMPL_SODIUM };
FIXTURE_VARIANT_ADD(rfc8439, openssl_evp) { .impl = KTLS_AEAD_IMPL_EVP };
FIXTURE_VARIANT_ADD(rfc8439, measured_choice) { .impl = KTLS_AEAD_IMPL_AUTO };

FIXTURE_SETUP(rfc8439)
{
	self->vf = vec_load("rfc8439-aead.txt");
}

FIXTURE_TEARDOWN(rfc8439)
{
	vec_free(self->vf);
}

TEST_F(rfc8439, seal_2_8_2)
{
	struct vec_file *vf = self->vf;
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
	ASSERT_EQ(0, ktls_aead_force_impl(&a, variant->impl));
	ASSERT_EQ(0, ktls_aead_seal(&a, nonce->bytes, aad->bytes, aad->len, pt->bytes, pt->len, out));
	ASSERT_MEMEQ(ct->bytes, out, ct->len);
	ASSERT_MEMEQ(tag->bytes, out + ct->len, 16);
	ktls_aead_free(&a);
}

TEST_F(rfc8439, open_a_5)
{
	struct vec_file *vf = self->vf;
	const struct vec *key = vec_get(vf, 2, "key"), *nonce = vec_get(vf, 2, "nonce");
	const struct vec *aad = vec_get(vf, 2, "aad"), *pt = vec_get(vf, 2, "plaintext");
	const struct vec *ct = vec_get(vf, 2, "ciphertext"), *tag = vec_get(vf, 2, "tag");
	struct ktls_aead a;
	uint8_t in[512], out[512];

	ASSERT_TRUE(ct->len + 16 <= sizeof(in));
	memcpy(in, ct->bytes, ct->len);
	memcpy(in + ct->len, tag->bytes, 16);
	ASSERT_EQ(0, ktls_aead_init(&a, chacha(), key->bytes));
	ASSERT_EQ(0, ktls_aead_force_impl(&a, variant->impl));
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
}

/* Every plaintext length 0..300, then every 61st up to a full record's 2^14 + 1 and a
 * ciphertext's 2^14 + 256 (RFC 8446 §5.2), with the lengths around 2^14: i-th size. */
static size_t cross_size(unsigned i)
{
	static const size_t edges[] = { 1023, 1024, 1025, 16383, 16384, 16385, 16386, 16639, 16640 };
	if (i <= 300)
		return i;
	i -= 301;
	if (i < sizeof(edges) / sizeof(edges[0]))
		return edges[i];
	i -= (unsigned)(sizeof(edges) / sizeof(edges[0]));
	size_t n = 301 + 61 * (size_t)i;
	return n <= 16640 ? n : 0; /* 0: done */
}

/* libsodium and EVP, each keyed alike with a random key, seal the same random plaintext
 * under a random nonce and AAD to the same bytes; each opens what the other sealed; and a
 * flipped bit anywhere in ciphertext or tag is rejected by both. */
TEST(chacha_implementations_agree)
{
	static uint8_t pt[16640], ct[2][16640 + 16], back[16640], in_place[16640 + 16];
	uint8_t key[32], nonce[12], aad[13];
	struct ktls_aead a[2];
	unsigned i = 0, done = 0;

	for (size_t n = 0; i < 301 || n; n = cross_size(++i)) {
		randombytes_buf(key, sizeof(key));
		randombytes_buf(nonce, sizeof(nonce));
		randombytes_buf(aad, sizeof(aad));
		randombytes_buf(pt, n);
		size_t aad_len = i % 14; /* none up to 13 bytes: the record header is 5 */
		for (int k = 0; k < 2; k++) {
			ASSERT_EQ(0, ktls_aead_init(&a[k], chacha(), key));
			ASSERT_EQ(0, ktls_aead_force_impl(&a[k], k ? KTLS_AEAD_IMPL_EVP
								   : KTLS_AEAD_IMPL_SODIUM));
			ASSERT_EQ(0, ktls_aead_seal(&a[k], nonce, aad, aad_len, pt, n, ct[k]));
		}
		ASSERT_MEMEQ(ct[0], ct[1], n + 16);
		ASSERT_TRUE(!a[0].evp && a[1].evp); /* each sealed with the one it was given */
		for (int k = 0; k < 2; k++) { /* k opens what the other sealed, apart and in place */
			ASSERT_EQ(0, ktls_aead_open(&a[k], nonce, aad, aad_len, ct[!k], n + 16, back));
			ASSERT_MEMEQ(pt, back, n);
			memcpy(in_place, ct[!k], n + 16);
			ASSERT_EQ(0, ktls_aead_open(&a[k], nonce, aad, aad_len, in_place, n + 16,
						    in_place));
			ASSERT_MEMEQ(pt, in_place, n);
			ASSERT_EQ(0, ktls_aead_seal(&a[k], nonce, aad, aad_len, in_place, n, in_place));
			ASSERT_MEMEQ(ct[k], in_place, n + 16);
		}
		size_t bit = randombytes_uniform((uint32_t)(n + 16) * 8);
		ct[0][bit / 8] ^= (uint8_t)(1u << (bit % 8));
		for (int k = 0; k < 2; k++) {
			ASSERT_EQ(KTLS_EBADMAC, ktls_aead_open(&a[k], nonce, aad, aad_len, ct[0], n + 16,
								back));
			ktls_aead_free(&a[k]);
		}
		done++;
	}
	ASSERT_TRUE(done > 550);
}

/* The measured choice names one of the two, the same every time, and changes at most once,
 * at the crossover length it reports. */
TEST(chacha_choice_is_made_once)
{
	static const size_t sizes[] = { 0, 100, 129, 1024, 4096, 16385, 16640 };
	size_t x = ktls_aead_chacha_crossover();
	enum ktls_aead_impl small = ktls_aead_chacha_choice(0), big = ktls_aead_chacha_choice(16640);
	TH_LOG("libsodium or EVP: %s below %zu bytes, %s from there", small == KTLS_AEAD_IMPL_EVP ?
	       "openssl-evp" : "libsodium", x, big == KTLS_AEAD_IMPL_EVP ? "openssl-evp" : "libsodium");
	EXPECT_TRUE(x == 0 || x == SIZE_MAX || small != big);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		enum ktls_aead_impl c = ktls_aead_chacha_choice(sizes[i]);
		EXPECT_TRUE(c == KTLS_AEAD_IMPL_SODIUM || c == KTLS_AEAD_IMPL_EVP);
		EXPECT_EQ(c, ktls_aead_chacha_choice(sizes[i]));
		EXPECT_EQ(sizes[i] < x ? small : big, c);
	}
	EXPECT_EQ(x, ktls_aead_chacha_crossover());
	struct ktls_aead gcm;
	uint8_t key[32] = { 1 };
	ASSERT_EQ(0, ktls_aead_init(&gcm, ktls_suite_find(KTLS_TLS_AES_128_GCM_SHA256), key));
	EXPECT_EQ(KTLS_EINVAL, ktls_aead_force_impl(&gcm, KTLS_AEAD_IMPL_SODIUM));
	ktls_aead_free(&gcm);
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
FIXTURE_VARIANT_ADD(suite_aead, aes_128_ccm) { .suite = KTLS_TLS_AES_128_CCM_SHA256 };
FIXTURE_VARIANT_ADD(suite_aead, aes_128_ccm_8) { .suite = KTLS_TLS_AES_128_CCM_8_SHA256 };

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
	size_t t = self->a.suite->tag_len;

	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		ASSERT_EQ(0, ktls_aead_seal(&self->a, self->nonce, (const uint8_t *)"hdr", 3, pt, n, ct));
		ASSERT_EQ(0, ktls_aead_open(&self->a, self->nonce, (const uint8_t *)"hdr", 3, ct,
					    n + t, back));
		ASSERT_MEMEQ(pt, back, n);
	}
}

TEST_F(suite_aead, in_place)
{
	uint8_t buf[64 + 16], orig[64];
	size_t t = self->a.suite->tag_len;

	for (unsigned i = 0; i < sizeof(orig); i++)
		orig[i] = buf[i] = (uint8_t)i;
	ASSERT_EQ(0, ktls_aead_seal(&self->a, self->nonce, NULL, 0, buf, 64, buf));
	ASSERT_NE(0, memcmp(buf, orig, 64));
	ASSERT_EQ(0, ktls_aead_open(&self->a, self->nonce, NULL, 0, buf, 64 + t, buf));
	ASSERT_MEMEQ(orig, buf, 64);
	/* and again: one key seals and opens in turn */
	ASSERT_EQ(0, ktls_aead_seal(&self->a, self->nonce, NULL, 0, buf, 64, buf));
	ASSERT_EQ(0, ktls_aead_open(&self->a, self->nonce, NULL, 0, buf, 64 + t, buf));
	ASSERT_MEMEQ(orig, buf, 64);
}

/* The content sealed from where it lies, its trailer already in place (ktls_aead_seal_gather,
 * as the record layer seals the caller's data): the same bytes as sealing the whole
 * plaintext in one piece, at lengths around the cipher's block and a full record. */
TEST_F(suite_aead, seal_gather_equals_seal)
{
	static const size_t heads[] = { 0, 1, 15, 16, 17, 63, 64, 65, 1000, 16384 };
	static uint8_t pt[16384 + 3], whole[16384 + 3 + 16], gathered[16384 + 3 + 16];
	size_t t = self->a.suite->tag_len;

	randombytes_buf(pt, sizeof(pt));
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		for (size_t tail = 0; tail <= 3; tail++) {
			size_t h = heads[i], n = h + tail;
			ASSERT_EQ(0, ktls_aead_seal(&self->a, self->nonce, (const uint8_t *)"hdr", 3, pt,
						    n, whole));
			memset(gathered, 0xa5, sizeof(gathered));
			memcpy(gathered + h, pt + h, tail);
			ASSERT_EQ(0, ktls_aead_seal_gather(&self->a, self->nonce, (const uint8_t *)"hdr",
							   3, pt, h, n, gathered));
			ASSERT_MEMEQ(whole, gathered, n + t);
		}
	}
	EXPECT_EQ(KTLS_EINVAL, ktls_aead_seal_gather(&self->a, self->nonce, NULL, 0, pt, 5, 4,
						     gathered));
}

TEST_F(suite_aead, any_modified_byte_is_rejected)
{
	uint8_t pt[32], ct[48], bad[48], out[32], aad[5] = { 23, 3, 3, 0, 48 };
	uint8_t nonce2[12];
	size_t t = self->a.suite->tag_len, n = 32 + t;

	memset(pt, 0x33, sizeof(pt));
	ASSERT_EQ(0, ktls_aead_seal(&self->a, self->nonce, aad, 5, pt, 32, ct));
	for (unsigned i = 0; i < n; i++) {
		memcpy(bad, ct, n);
		bad[i] ^= 0x80;
		ASSERT_EQ(KTLS_EBADMAC, ktls_aead_open(&self->a, self->nonce, aad, 5, bad, n, out));
	}
	aad[4] ^= 1;
	ASSERT_EQ(KTLS_EBADMAC, ktls_aead_open(&self->a, self->nonce, aad, 5, ct, n, out));
	aad[4] ^= 1;
	memcpy(nonce2, self->nonce, 12);
	nonce2[11] ^= 1;
	ASSERT_EQ(KTLS_EBADMAC, ktls_aead_open(&self->a, nonce2, aad, 5, ct, n, out));
	/* shorter than a tag; one byte short of the record */
	ASSERT_EQ(KTLS_EBADMAC, ktls_aead_open(&self->a, self->nonce, aad, 5, ct, t - 1, out));
	ASSERT_EQ(KTLS_EBADMAC, ktls_aead_open(&self->a, self->nonce, aad, 5, ct, n - 1, out));
	/* and the untouched one still opens */
	ASSERT_EQ(0, ktls_aead_open(&self->a, self->nonce, aad, 5, ct, n, out));
	ASSERT_MEMEQ(pt, out, 32);
}

TEST_F(suite_aead, wrong_key_is_rejected)
{
	struct ktls_aead other;
	uint8_t key2[32], ct[16 + 16], out[16];
	size_t t = self->a.suite->tag_len;

	memcpy(key2, self->key, 32);
	key2[0] ^= 1;
	ASSERT_EQ(0, ktls_aead_seal(&self->a, self->nonce, NULL, 0, (const uint8_t *)"0123456789abcdef",
				    16, ct));
	ASSERT_EQ(0, ktls_aead_init(&other, ktls_suite_find(variant->suite), key2));
	EXPECT_EQ(KTLS_EBADMAC, ktls_aead_open(&other, self->nonce, NULL, 0, ct, 16 + t, out));
	ktls_aead_free(&other);
}

/* ---- AES-128-CCM (RFC 6655) ---------------------------------------------------------------- */

/* NIST SP 800-38C Appendix C.3, Example 3: a 12-byte nonce and a 64-bit tag, exactly
 * AEAD_AES_128_CCM_8 as TLS_AES_128_CCM_8_SHA256 uses it. */
TEST(ccm_8_sp800_38c_example_3)
{
	static const uint8_t key[16] = { 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
					 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f };
	static const uint8_t nonce[12] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
					   0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b };
	static const uint8_t want[32] = {
		0xe3, 0xb2, 0x01, 0xa9, 0xf5, 0xb7, 0x1a, 0x7a, 0x9b, 0x1c, 0xea,
		0xec, 0xcd, 0x97, 0xe7, 0x0b, 0x61, 0x76, 0xaa, 0xd9, 0xa4, 0x42,
		0x8a, 0xa5, /* the tag: */ 0x48, 0x43, 0x92, 0xfb, 0xc1, 0xb0, 0x99, 0x51,
	};
	uint8_t aad[20], pt[24], out[32], back[24];
	struct ktls_aead a;

	for (unsigned i = 0; i < sizeof(aad); i++)
		aad[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(0x20 + i);
	ASSERT_EQ(0, ktls_aead_init(&a, ktls_suite_find(KTLS_TLS_AES_128_CCM_8_SHA256), key));
	ASSERT_EQ(0, ktls_aead_seal(&a, nonce, aad, sizeof(aad), pt, sizeof(pt), out));
	ASSERT_MEMEQ(want, out, sizeof(want));
	ASSERT_EQ(0, ktls_aead_open(&a, nonce, aad, sizeof(aad), want, sizeof(want), back));
	ASSERT_MEMEQ(pt, back, sizeof(pt));
	out[31] ^= 1; /* tamper with the tag */
	ASSERT_EQ(KTLS_EBADMAC, ktls_aead_open(&a, nonce, aad, sizeof(aad), out, 32, back));
	ktls_aead_free(&a);
}

/* AES-128-CCM with a 16-byte tag has no published vector with a 12-byte nonce: OpenSSL's
 * one-shot CCM through a fresh context (the sequence of its manual page) computes the
 * expected record, independently of aead.c's keyed, reused context. */
static void openssl_ccm_seal(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
			     size_t aad_len, const uint8_t *pt, size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n;
	ASSERT_NONNULL(c);
	ASSERT_EQ(1, EVP_EncryptInit_ex(c, EVP_aes_128_ccm(), NULL, NULL, NULL));
	ASSERT_EQ(1, EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL));
	ASSERT_EQ(1, EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 16, NULL));
	ASSERT_EQ(1, EVP_EncryptInit_ex(c, NULL, NULL, key, nonce));
	ASSERT_EQ(1, EVP_EncryptUpdate(c, NULL, &n, NULL, (int)len));
	ASSERT_EQ(1, EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len));
	ASSERT_EQ(1, EVP_EncryptUpdate(c, out, &n, pt, (int)len));
	ASSERT_EQ(1, EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + len));
	EVP_CIPHER_CTX_free(c);
}

TEST(ccm_agrees_with_openssl_one_shot)
{
	uint8_t key[16], nonce[12], aad[5] = { 23, 3, 3, 0x01, 0x10 }, pt[256], want[256 + 16],
		got[256 + 16], back[256];
	struct ktls_aead a;

	for (unsigned i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x11 * i);
	for (unsigned i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xf0 - i);
	for (unsigned i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 3 + 1);
	ASSERT_EQ(0, ktls_aead_init(&a, ktls_suite_find(KTLS_TLS_AES_128_CCM_SHA256), key));
	for (size_t len = 0; len <= sizeof(pt); len += 37) {
		openssl_ccm_seal(key, nonce, aad, sizeof(aad), pt, len, want);
		ASSERT_EQ(0, ktls_aead_seal(&a, nonce, aad, sizeof(aad), pt, len, got));
		ASSERT_MEMEQ(want, got, len + 16);
		ASSERT_EQ(0, ktls_aead_open(&a, nonce, aad, sizeof(aad), want, len + 16, back));
		ASSERT_MEMEQ(pt, back, len);
		nonce[11]++;
	}
	ktls_aead_free(&a);
}

/* The two CCM suites differ only in the tag: the 8-byte tag is not a prefix of the 16-byte
 * one (CCM encodes the tag length into its first block, RFC 3610 §2.2). */
TEST(ccm_8_is_not_truncated_ccm)
{
	uint8_t key[16] = { 7 }, nonce[12] = { 9 }, c16[10 + 16], c8[10 + 8];
	struct ktls_aead a16, a8;

	ASSERT_EQ(0, ktls_aead_init(&a16, ktls_suite_find(KTLS_TLS_AES_128_CCM_SHA256), key));
	ASSERT_EQ(0, ktls_aead_init(&a8, ktls_suite_find(KTLS_TLS_AES_128_CCM_8_SHA256), key));
	ASSERT_EQ(0, ktls_aead_seal(&a16, nonce, NULL, 0, (const uint8_t *)"0123456789", 10, c16));
	ASSERT_EQ(0, ktls_aead_seal(&a8, nonce, NULL, 0, (const uint8_t *)"0123456789", 10, c8));
	ASSERT_MEMEQ(c16, c8, 10); /* the same counter-mode keystream */
	ASSERT_NE(0, memcmp(c16 + 10, c8 + 10, 8));
	ktls_aead_free(&a16);
	ktls_aead_free(&a8);
}

TEST_HARNESS_MAIN
