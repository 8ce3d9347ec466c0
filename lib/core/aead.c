/*
 * aead.c — ChaCha20-Poly1305 through libsodium or OpenSSL EVP, AES-GCM and AES-CCM through
 * OpenSSL EVP (see aead.h).
 *
 * Two ChaCha20-Poly1305s, because neither is the faster everywhere. On the machine this was
 * written on (AVX-512) OpenSSL's code seals a 16 KiB record in under half of libsodium
 * 1.0.18's time, while below a few hundred bytes EVP's per-call dispatch makes it the slower;
 * on a CPU without wide vectors the order may turn. So the choice is measured, not assumed:
 * once per process (pthread_once), at the first ChaCha20-Poly1305 record, both seal records
 * of 128 B, 1 KiB and 16 KiB (handshake messages and tickets, small writes, full records),
 * interleaved, best of four, which gives the length where one overtakes the other; a record
 * then uses the one cheaper at its length. That costs about 1.3 ms once per process (two
 * thirds of it OpenSSL setting up the library context below); the answer is read-only after; and both produce the same bytes (RFC 8439 §2.8), so which one
 * sealed a record is never visible on the wire. A test hook (ktls_aead_force_impl) pins
 * one, so the RFC 8439 vectors run against each. Why not per-record timing, or a rule by
 * CPU flags: the first would make every connection pay and vary, the second guesses.
 *
 * The AES context is keyed once at init and only re-initialised with a new nonce per record,
 * so the AES key schedule is not recomputed for every record; EVP's ChaCha20-Poly1305
 * context is likewise keyed once, at the first record it protects. CCM (RFC 3610, RFC 6655)
 * asks more of the caller than GCM: the nonce and tag lengths are fixed before the key (they
 * are folded into CCM's first block), the message length goes in before the AAD, and on
 * decryption the expected tag goes in before the data, which is authenticated as it is
 * decrypted.
 */
#include "aead.h"

#include "ktls.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

/* AES-128-GCM, AES-256-GCM, AES-128-CCM (CCM_8 is CCM with a shorter tag) as fetched from
 * the default provider, once per process (pthread_once), only read after and never freed:
 * a legacy EVP_aes_128_gcm() is fetched again by every EVP_CipherInit_ex, 2.6k instructions
 * per key (callgrind). NULL where the fetch failed: the legacy object serves. */
static const char *const aes_names[] = { "AES-128-GCM", "AES-256-GCM", "AES-128-CCM" };
static EVP_CIPHER *aes_fetched[sizeof(aes_names) / sizeof(aes_names[0])];
static pthread_once_t aes_once = PTHREAD_ONCE_INIT;

static void fetch_aes(void)
{
	for (size_t i = 0; i < sizeof(aes_names) / sizeof(aes_names[0]); i++)
		aes_fetched[i] = EVP_CIPHER_fetch(NULL, aes_names[i], NULL);
}

static const EVP_CIPHER *aes_cipher(enum ktls_aead_alg alg)
{
	size_t i;
	if (alg == KTLS_AEAD_AES_128_GCM)
		i = 0;
	else if (alg == KTLS_AEAD_AES_256_GCM)
		i = 1;
	else if (alg == KTLS_AEAD_AES_128_CCM || alg == KTLS_AEAD_AES_128_CCM_8)
		i = 2;
	else
		return NULL;
	if (pthread_once(&aes_once, fetch_aes) == 0 && aes_fetched[i])
		return aes_fetched[i];
	return i == 0 ? EVP_aes_128_gcm() : i == 1 ? EVP_aes_256_gcm() : EVP_aes_128_ccm();
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

/* Set once under choice_once, only read after: EVP's ChaCha20-Poly1305 (NULL: this
 * libcrypto has none, libsodium serves), and the choice — a plaintext shorter than
 * `crossover` bytes goes to below[0], a longer one to below[1]. Never freed, like OpenSSL's
 * own tables.
 *
 * The cipher comes from a library context of its own, not the application's default one:
 * once any cipher has been fetched into a context, OpenSSL 3.0 decodes every X.509
 * certificate in that context about 245k instructions slower (callgrind: 1.20M -> 1.45M per
 * PEM certificate and public key), which a client verifying chains, or a server asking for
 * client certificates, would pay per handshake. Its own context costs about 1 ms once. No
 * policy is lost by it: this replaces libsodium, which no OpenSSL configuration governs;
 * AES keeps the default context and the application's configuration. */
static struct {
	size_t crossover;
	enum ktls_aead_impl below[2];
} choice = { SIZE_MAX, { KTLS_AEAD_IMPL_SODIUM, KTLS_AEAD_IMPL_SODIUM } };
static OSSL_LIB_CTX *chacha_libctx;
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

/* Both implementations are timed at three lengths (128 B, 1 KiB and 2^14 content bytes + the
 * type byte), interleaved so a busy machine slows both alike, best of four. The one cheaper
 * at the shortest serves short records, the one cheaper at the longest long ones; where
 * they differ, the crossover is where the difference changes sign, by straight-line
 * interpolation between the two lengths around it. A key of zeros and a buffer of zeros:
 * no secret. */
static void measure_chacha(void)
{
	enum { SAMPLES = 4, BUDGET = 4096, N = 3 };
	static const size_t len[N] = { 128 + 1, 1024 + 1, (1u << 14) + 1 };
	struct ktls_aead a = { .suite = ktls_suite_find(KTLS_TLS_CHACHA20_POLY1305_SHA256) };
	uint8_t *in = calloc(1, len[N - 1]), *out = calloc(1, len[N - 1] + KTLS_MAX_TAG_LEN);
	double ns[2][N]; /* [implementation: sodium, evp][length], per record */
	bool evp_failed = false;

	chacha_libctx = OSSL_LIB_CTX_new();
	if (chacha_libctx)
		chacha_evp = EVP_CIPHER_fetch(chacha_libctx, "ChaCha20-Poly1305", NULL);
	if (!chacha_evp || !in || !out || !a.suite)
		goto done;
	for (int i = 0; i < N; i++) {
		unsigned reps = len[i] >= BUDGET ? 1 : (unsigned)(BUDGET / len[i]);
		ns[0][i] = ns[1][i] = -1;
		for (int k = 0; k <= SAMPLES; k++) { /* the first round warms both up */
			for (int j = 0; j < 2; j++) {
				double t = time_seals(&a, j ? KTLS_AEAD_IMPL_EVP : KTLS_AEAD_IMPL_SODIUM,
						      in, out, len[i], reps);
				if (t < 0) { /* EVP cannot: libsodium it is */
					evp_failed = true;
					goto done;
				}
				t /= reps;
				if (k && (ns[j][i] < 0 || t < ns[j][i]))
					ns[j][i] = t;
			}
		}
	}
	double d[N]; /* what EVP saves per record at each length */
	for (int i = 0; i < N; i++)
		d[i] = ns[0][i] - ns[1][i];
	choice.below[0] = d[0] > 0 ? KTLS_AEAD_IMPL_EVP : KTLS_AEAD_IMPL_SODIUM;
	choice.below[1] = d[N - 1] > 0 ? KTLS_AEAD_IMPL_EVP : KTLS_AEAD_IMPL_SODIUM;
	choice.crossover = 0; /* the same one wins at both ends: it serves every length */
	for (int i = 0; i + 1 < N && choice.below[0] != choice.below[1]; i++) {
		if ((d[i] > 0) != (d[i + 1] > 0)) {
			double x = (double)len[i] +
				   (double)(len[i + 1] - len[i]) * d[i] / (d[i] - d[i + 1]);
			choice.crossover = (size_t)x + 1;
			break;
		}
	}
done:
	ktls_aead_free(&a);
	if (evp_failed) {
		EVP_CIPHER_free(chacha_evp);
		chacha_evp = NULL;
	}
	free(in);
	free(out);
}

enum ktls_aead_impl ktls_aead_chacha_choice(size_t len)
{
	if (pthread_once(&choice_once, measure_chacha) != 0)
		return KTLS_AEAD_IMPL_SODIUM;
	return choice.below[len >= choice.crossover];
}

size_t ktls_aead_chacha_crossover(void)
{
	if (pthread_once(&choice_once, measure_chacha) != 0)
		return SIZE_MAX;
	return choice.crossover;
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
