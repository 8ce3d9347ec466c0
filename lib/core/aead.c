/*
 * aead.c — ChaCha20-Poly1305 through libsodium, AES-GCM and AES-CCM through OpenSSL EVP
 * (see aead.h).
 *
 * The AES context is keyed once at init and only re-initialised with a new nonce per record,
 * so the AES key schedule is not recomputed for every record. CCM (RFC 3610, RFC 6655) asks
 * more of the caller than GCM: the nonce and tag lengths are fixed before the key (they are
 * folded into CCM's first block), the message length goes in before the AAD, and on
 * decryption the expected tag goes in before the data, which is authenticated as it is
 * decrypted.
 */
#include "aead.h"

#include "ktls.h"

#include <limits.h>
#include <stdbool.h>
#include <sodium.h>
#include <string.h>

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
		return 0;
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

/* One GCM pass in direction enc; for decryption tag is checked by the final call. */
static int gcm_crypt(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *nonce, const uint8_t *aad,
		     size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag,
		     size_t tag_len)
{
	int n = 0;
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc))
		return 0;
	if (aad_len && !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len))
		return 0;
	if (len && !EVP_CipherUpdate(ctx, out, &n, in, (int)len))
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

/* One AES pass (GCM or CCM). Returns 1 or 0. */
static int aes_crypt(struct ktls_aead *a, int enc, const uint8_t *nonce, const uint8_t *aad,
		     size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	if (len > INT_MAX || aad_len > INT_MAX)
		return 0;
	if (is_ccm(a->suite))
		return ccm_crypt(a, enc, nonce, aad, aad_len, in, len, out, tag);
	return gcm_crypt(a->evp, enc, nonce, aad, aad_len, in, len, out, tag, a->suite->tag_len);
}

int ktls_aead_seal(struct ktls_aead *a, const uint8_t nonce[KTLS_IV_LEN], const uint8_t *aad,
		   size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
	if (a->suite->aead == KTLS_AEAD_CHACHA20_POLY1305) {
		unsigned long long out_len;
		if (crypto_aead_chacha20poly1305_ietf_encrypt(out, &out_len, in, len, aad, aad_len,
							      NULL, nonce, a->key) != 0)
			return KTLS_ECRYPTO;
		return 0;
	}
	if (!a->evp)
		return KTLS_EINVAL;
	return aes_crypt(a, 1, nonce, aad, aad_len, in, len, out, out + len) ? 0 : KTLS_ECRYPTO;
}

int ktls_aead_open(struct ktls_aead *a, const uint8_t nonce[KTLS_IV_LEN], const uint8_t *aad,
		   size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
	size_t tag_len = a->suite->tag_len;
	if (len < tag_len)
		return KTLS_EBADMAC;
	size_t plain_len = len - tag_len;
	int ok;
	if (a->suite->aead == KTLS_AEAD_CHACHA20_POLY1305) {
		unsigned long long out_len;
		ok = crypto_aead_chacha20poly1305_ietf_decrypt(out, &out_len, NULL, in, len, aad,
							       aad_len, nonce, a->key) == 0;
	} else {
		uint8_t tag[KTLS_MAX_TAG_LEN];
		if (!a->evp)
			return KTLS_EINVAL;
		/* Copy the tag first: with in == out, decryption may not clobber it, but the
		 * final call reads it after the update wrote the plaintext. */
		memcpy(tag, in + plain_len, tag_len);
		ok = aes_crypt(a, 0, nonce, aad, aad_len, in, plain_len, out, tag);
	}
	if (!ok) {
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
