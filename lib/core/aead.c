/*
 * aead.c — ChaCha20-Poly1305 through libsodium or OpenSSL EVP, AES-GCM and AES-CCM through
 * OpenSSL EVP (see aead.h).
 *
 * Two ChaCha20-Poly1305s, because neither is the faster everywhere. On the machine this was
 * written on (AVX-512) OpenSSL's code seals a 16 KiB record in a third of libsodium 1.0.18's
 * time (0.28 against 0.81 ns/B), while at a few hundred bytes EVP's per-call dispatch eats
 * its lead; on a CPU without wide vectors the order may turn. So the choice is measured, not
 * assumed: once per process (pthread_once), at the first ChaCha20-Poly1305 key, both seal
 * records of three sizes (128 B, 1 KiB, 2^14 + 1: handshake messages and tickets, small
 * writes, full records), interleaved, best of five; a record then uses the winner at the
 * smallest measured size not below its own. It costs about 0.2 ms once, the answer is
 * read-only after, and both produce the same bytes (RFC 8439 §2.8), so which one sealed a
 * record is never visible on the wire. A test hook (ktls_aead_force_impl) pins one, so the
 * RFC 8439 vectors run against each.
 *
 * The AES context is keyed once at init and only re-initialised with a new nonce per record,
 * so the AES key schedule is not recomputed for every record; EVP's ChaCha20-Poly1305
 * context is likewise keyed once, at the first record it protects. CCM (RFC 3610, RFC 6655) asks
 * more of the caller than GCM: the nonce and tag lengths are fixed before the key (they are
 * folded into CCM's first block), the message length goes in before the AAD, and on
 * decryption the expected tag goes in before the data, which is authenticated as it is
 * decrypted.
 */
#include "aead.h"

#include "ktls.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

static const EVP_CIPHER *aes_cipher(enum ktls_aead_alg alg)
{
	switch (alg) {
	case KTLS_AEAD_AES_128_GCM: return EVP_aes_128_gcm();
	case KTLS_AEAD_AES_256_GCM: return EVP_aes_256_gcm();
	case KTLS_AEAD_AES_128_CCM:
	case KTLS_AEAD_AES_128_CCM_8: return EVP_aes_128_ccm();
	case KTLS_AEAD_CHACHA20_POLY1305: break;
	}
	return NULL;
}

static bool is_ccm(const struct ktls_suite *suite)
{
	return suite->aead == KTLS_AEAD_AES_128_CCM || suite->aead == KTLS_AEAD_AES_128_CCM_8;
}

/* Keys the EVP context; for CCM the nonce and tag lengths first. Returns 1 or 0. */
static int aes_key(EVP_CIPHER_CTX *ctx, const struct ktls_suite *suite, const uint8_t *key)
{
	if (!EVP_CipherInit_ex(ctx, aes_cipher(suite->aead), NULL, NULL, NULL, 1))
		return 0;
	if (is_ccm(suite) &&
	    (!EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, KTLS_IV_LEN, NULL) ||
	     !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)suite->tag_len, NULL)))
		return 0;
	return EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, 1);
}

int ktls_aead_init(struct ktls_aead *a, const struct ktls_suite *suite, const uint8_t *key)
{
	memset(a, 0, sizeof(*a));
	a->suite = suite;
	if (suite->aead == KTLS_AEAD_CHACHA20_POLY1305) {
		if (sodium_init() < 0)
			return KTLS_ECRYPTO;
		memcpy(a->key, key, crypto_aead_chacha20poly1305_ietf_KEYBYTES);
		return 0; /* EVP's context comes with the first record EVP protects */
	}
	if (!aes_cipher(suite->aead))
		return KTLS_EUNSUPPORTED;
	a->evp = EVP_CIPHER_CTX_new();
	if (!a->evp)
		return KTLS_ENOMEM;
	if (!aes_key(a->evp, suite, key)) {
		ktls_aead_free(a);
		return KTLS_ECRYPTO;
	}
	if (is_ccm(suite)) { /* kept to key the context again for the other direction */
		memcpy(a->key, key, suite->key_len);
		a->ccm_dir = 1;
	}
	return 0;
}

/* One GCM or ChaCha20-Poly1305 pass in direction enc over head[0..head_len) followed by
 * out[head_len..len) (in place); for decryption tag is checked by the final call. */
static int evp_crypt(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *nonce, const uint8_t *aad,
		     size_t aad_len, const uint8_t *head, size_t head_len, size_t len, uint8_t *out,
		     uint8_t *tag, size_t tag_len)
{
	int n = 0;
	if (len > INT_MAX || aad_len > INT_MAX)
		return 0;
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc))
		return 0;
	if (aad_len && !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len))
		return 0;
	if (head_len && !EVP_CipherUpdate(ctx, out, &n, head, (int)head_len))
		return 0;
	if (len > head_len &&
	    !EVP_CipherUpdate(ctx, out + head_len, &n, out + head_len, (int)(len - head_len)))
		return 0;
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)tag_len, tag))
		return 0;
	if (!EVP_CipherFinal_ex(ctx, out + len, &n))
		return 0;
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)tag_len, tag))
		return 0;
	return 1;
}

/* One CCM pass in direction enc; for decryption the data update checks tag. OpenSSL binds a
 * keyed CCM context to one direction (its AES-NI code picks the bulk routine as it takes
 * the key), so a change of direction keys it again; a record key only ever goes one way. */
static int ccm_crypt(struct ktls_aead *a, int enc, const uint8_t *nonce, const uint8_t *aad,
		     size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	static const uint8_t none[1];
	EVP_CIPHER_CTX *ctx = a->evp;
	int n = 0;
	if (a->ccm_dir != enc) {
		if (!EVP_CipherInit_ex(ctx, NULL, NULL, a->key, NULL, enc))
			return 0;
		a->ccm_dir = enc;
	}
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, (int)a->suite->tag_len, tag))
		return 0;
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc))
		return 0;
	if (!EVP_CipherUpdate(ctx, NULL, &n, NULL, (int)len)) /* the total length */
		return 0;
	if (aad_len && !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len))
		return 0;
	/* CCM computes the tag in this call, even over no data at all */
	if (!EVP_CipherUpdate(ctx, len ? out : tag, &n, len ? in : none, (int)len))
		return 0;
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, (int)a->suite->tag_len, tag))
		return 0;
	return 1;
}

/* ---- which ChaCha20-Poly1305 ----------------------------------------------------------- */

/* Set once under choice_once, only read after: EVP's ChaCha20-Poly1305 as fetched from the
 * default provider (NULL: this libcrypto has none, libsodium serves), and the faster
 * implementation at each measured plaintext size. Never freed, like OpenSSL's own tables. */
static const size_t measured_len[] = { 128, 1024, (1u << 14) + 1 }; /* 2^14 + 1: a full record */
static enum ktls_aead_impl chosen[sizeof(measured_len) / sizeof(measured_len[0])];
static EVP_CIPHER *chacha_evp;
static pthread_once_t choice_once = PTHREAD_ONCE_INIT;

static int chacha_crypt(struct ktls_aead *a, enum ktls_aead_impl impl, int enc,
			const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
			const uint8_t *head, size_t head_len, size_t len, uint8_t *out,
			uint8_t *tag);

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Seals reps records of len bytes with impl from in to out (as the record layer does: the
 * content from the caller's buffer, the type byte in place). Returns the nanoseconds taken,
 * or -1 when impl failed. */
static double time_seals(struct ktls_aead *a, enum ktls_aead_impl impl, const uint8_t *in,
			 uint8_t *out, size_t len, unsigned reps)
{
	uint8_t nonce[KTLS_IV_LEN] = { 0 }, aad[5] = { 23, 3, 3, 0, 0 };
	double t0 = now_ns();
	for (unsigned i = 0; i < reps; i++) {
		nonce[0] = (uint8_t)i;
		out[len - 1] = 23;
		if (!chacha_crypt(a, impl, 1, nonce, aad, sizeof(aad), in, len - 1, len, out,
				  out + len))
			return -1;
	}
	return now_ns() - t0;
}

/* Times both implementations at each measured size, interleaved so a busy machine slows
 * both alike, keeping the best of five; a key of zeros and a buffer of zeros, no secret. */
static void measure_chacha(void)
{
	enum { SAMPLES = 5, BUDGET = 8192 };
	struct ktls_aead a = { .suite = ktls_suite_find(KTLS_TLS_CHACHA20_POLY1305_SHA256) };
	size_t max = measured_len[sizeof(measured_len) / sizeof(measured_len[0]) - 1];
	uint8_t *in = calloc(1, max), *out = calloc(1, max + KTLS_MAX_TAG_LEN);

	for (size_t i = 0; i < sizeof(chosen) / sizeof(chosen[0]); i++)
		chosen[i] = KTLS_AEAD_IMPL_SODIUM;
	chacha_evp = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
	if (!chacha_evp || !in || !out || !a.suite)
		goto done;
	for (size_t i = 0; i < sizeof(chosen) / sizeof(chosen[0]); i++) {
		size_t len = measured_len[i];
		unsigned reps = len >= BUDGET ? 1 : (unsigned)(BUDGET / len);
		double best[2] = { -1, -1 };
		for (int k = 0; k <= SAMPLES; k++) { /* the first round warms both up */
			for (int j = 0; j < 2; j++) {
				double t = time_seals(&a, j ? KTLS_AEAD_IMPL_EVP : KTLS_AEAD_IMPL_SODIUM,
						      in, out, len, reps);
				if (t < 0) /* EVP cannot: libsodium it is */
					goto done;
				if (k && (best[j] < 0 || t < best[j]))
					best[j] = t;
			}
		}
		chosen[i] = best[1] < best[0] ? KTLS_AEAD_IMPL_EVP : KTLS_AEAD_IMPL_SODIUM;
	}
done:
	ktls_aead_free(&a);
	free(in);
	free(out);
}

enum ktls_aead_impl ktls_aead_chacha_choice(size_t len)
{
	size_t n = sizeof(measured_len) / sizeof(measured_len[0]);
	if (pthread_once(&choice_once, measure_chacha) != 0)
		return KTLS_AEAD_IMPL_SODIUM;
	for (size_t i = 0; i < n; i++)
		if (len <= measured_len[i])
			return chosen[i];
	return chosen[n - 1];
}

int ktls_aead_force_impl(struct ktls_aead *a, enum ktls_aead_impl impl)
{
	if (a->suite->aead != KTLS_AEAD_CHACHA20_POLY1305)
		return KTLS_EINVAL;
	if (impl == KTLS_AEAD_IMPL_EVP &&
	    (pthread_once(&choice_once, measure_chacha) != 0 || !chacha_evp))
		return KTLS_EUNSUPPORTED;
	a->impl = impl;
	return 0;
}

/* One ChaCha20-Poly1305 pass with impl over head[0..head_len) || out[head_len..len), as
 * evp_crypt. libsodium takes its input in one piece: the head is moved next to the tail
 * first (a copy EVP does not need; the measurement counts it). Returns 1 or 0. */
static int chacha_crypt(struct ktls_aead *a, enum ktls_aead_impl impl, int enc,
			const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
			const uint8_t *head, size_t head_len, size_t len, uint8_t *out,
			uint8_t *tag)
{
	if (impl == KTLS_AEAD_IMPL_EVP) {
		if (!a->evp) { /* keyed once, then only given a nonce per record */
			a->evp = EVP_CIPHER_CTX_new();
			if (!a->evp)
				return 0;
			if (!EVP_CipherInit_ex(a->evp, chacha_evp, NULL, a->key, NULL, 1)) {
				EVP_CIPHER_CTX_free(a->evp);
				a->evp = NULL;
				return 0;
			}
		}
		return evp_crypt(a->evp, enc, nonce, aad, aad_len, head, head_len, len, out, tag,
				 crypto_aead_chacha20poly1305_ietf_ABYTES);
	}
	if (head != out && head_len)
		memmove(out, head, head_len);
	if (enc)
		return crypto_aead_chacha20poly1305_ietf_encrypt_detached(
			       out, tag, NULL, out, len, aad, aad_len, NULL, nonce, a->key) == 0;
	return crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, NULL, out, len, tag, aad,
								  aad_len, nonce, a->key) == 0;
}

/* ---- seal and open ----------------------------------------------------------------------- */

/* One pass of whichever implementation serves a's AEAD for this record. Returns 1 or 0. */
static int aead_crypt(struct ktls_aead *a, int enc, const uint8_t *nonce, const uint8_t *aad,
		      size_t aad_len, const uint8_t *head, size_t head_len, size_t len,
		      uint8_t *out, uint8_t *tag)
{
	if (a->suite->aead == KTLS_AEAD_CHACHA20_POLY1305) {
		enum ktls_aead_impl impl = a->impl ? a->impl : ktls_aead_chacha_choice(len);
		return chacha_crypt(a, impl, enc, nonce, aad, aad_len, head, head_len, len, out, tag);
	}
	if (!a->evp)
		return 0;
	if (!is_ccm(a->suite))
		return evp_crypt(a->evp, enc, nonce, aad, aad_len, head, head_len, len, out, tag,
				 a->suite->tag_len);
	/* CCM takes the whole message in one update */
	if (len > INT_MAX || aad_len > INT_MAX)
		return 0;
	if (head != out && head_len)
		memmove(out, head, head_len);
	return ccm_crypt(a, enc, nonce, aad, aad_len, out, len, out, tag);
}

int ktls_aead_seal_gather(struct ktls_aead *a, const uint8_t nonce[KTLS_IV_LEN],
			  const uint8_t *aad, size_t aad_len, const uint8_t *head,
			  size_t head_len, size_t len, uint8_t *out)
{
	if (head_len > len)
		return KTLS_EINVAL;
	if (!aead_crypt(a, 1, nonce, aad, aad_len, head, head_len, len, out, out + len)) {
		sodium_memzero(out, len + a->suite->tag_len); /* no plaintext left behind */
		return KTLS_ECRYPTO;
	}
	return 0;
}

int ktls_aead_seal(struct ktls_aead *a, const uint8_t nonce[KTLS_IV_LEN], const uint8_t *aad,
		   size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
	return ktls_aead_seal_gather(a, nonce, aad, aad_len, in, len, len, out);
}

int ktls_aead_open(struct ktls_aead *a, const uint8_t nonce[KTLS_IV_LEN], const uint8_t *aad,
		   size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t tag_len = a->suite->tag_len;
	uint8_t tag[KTLS_MAX_TAG_LEN];
	if (len < tag_len)
		return KTLS_EBADMAC;
	size_t plain_len = len - tag_len;
	/* Copy the tag first: with in == out, decryption may not clobber it, but it is read
	 * after the plaintext was written. */
	memcpy(tag, in + plain_len, tag_len);
	if (!aead_crypt(a, 0, nonce, aad, aad_len, in, plain_len, plain_len, out, tag)) {
		sodium_memzero(out, plain_len);
		return KTLS_EBADMAC;
	}
	return 0;
}

void ktls_aead_free(struct ktls_aead *a)
{
	if (a->evp)
		EVP_CIPHER_CTX_free(a->evp);
	sodium_memzero(a, sizeof(*a));
}
