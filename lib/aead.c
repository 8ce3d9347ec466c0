/*
 * aead.c — ChaCha20-Poly1305 through libsodium, AES-GCM through OpenSSL EVP (see aead.h).
 *
 * The GCM context is keyed once at init and only re-initialised with a new nonce per record,
 * so the AES key schedule is not recomputed for every record.
 */
#include "aead.h"

#include "ktls.h"

#include <limits.h>
#include <sodium.h>
#include <string.h>

int ktls_aead_init(struct ktls_aead *a, const struct ktls_suite *suite, const uint8_t *key)
{
	memset(a, 0, sizeof(*a));
	a->suite = suite;
	switch (suite->aead) {
	case KTLS_AEAD_CHACHA20_POLY1305:
		if (sodium_init() < 0)
			return KTLS_ECRYPTO;
		memcpy(a->key, key, crypto_aead_chacha20poly1305_ietf_KEYBYTES);
		return 0;
	case KTLS_AEAD_AES_128_GCM:
	case KTLS_AEAD_AES_256_GCM: {
		const EVP_CIPHER *c = suite->aead == KTLS_AEAD_AES_128_GCM ? EVP_aes_128_gcm()
									   : EVP_aes_256_gcm();
		a->gcm = EVP_CIPHER_CTX_new();
		if (!a->gcm)
			return KTLS_ENOMEM;
		if (!EVP_CipherInit_ex(a->gcm, c, NULL, key, NULL, 1)) {
			ktls_aead_free(a);
			return KTLS_ECRYPTO;
		}
		return 0;
	}
	}
	return KTLS_EUNSUPPORTED;
}

/* One GCM pass in direction enc; for decryption tag is checked by the final call. */
static int gcm_crypt(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *nonce, const uint8_t *aad,
		     size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	int n = 0;
	if (len > INT_MAX || aad_len > INT_MAX)
		return 0;
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc))
		return 0;
	if (aad_len && !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len))
		return 0;
	if (len && !EVP_CipherUpdate(ctx, out, &n, in, (int)len))
		return 0;
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, KTLS_TAG_LEN, tag))
		return 0;
	if (!EVP_CipherFinal_ex(ctx, out + len, &n))
		return 0;
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, KTLS_TAG_LEN, tag))
		return 0;
	return 1;
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
	if (!a->gcm)
		return KTLS_EINVAL;
	return gcm_crypt(a->gcm, 1, nonce, aad, aad_len, in, len, out, out + len) ? 0
										     : KTLS_ECRYPTO;
}

int ktls_aead_open(struct ktls_aead *a, const uint8_t nonce[KTLS_IV_LEN], const uint8_t *aad,
		   size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
	if (len < KTLS_TAG_LEN)
		return KTLS_EBADMAC;
	size_t plain_len = len - KTLS_TAG_LEN;
	int ok;
	if (a->suite->aead == KTLS_AEAD_CHACHA20_POLY1305) {
		unsigned long long out_len;
		ok = crypto_aead_chacha20poly1305_ietf_decrypt(out, &out_len, NULL, in, len, aad,
							       aad_len, nonce, a->key) == 0;
	} else {
		uint8_t tag[KTLS_TAG_LEN];
		if (!a->gcm)
			return KTLS_EINVAL;
		/* Copy the tag first: with in == out, decryption may not clobber it, but the
		 * final call reads it after the update wrote the plaintext. */
		memcpy(tag, in + plain_len, KTLS_TAG_LEN);
		ok = gcm_crypt(a->gcm, 0, nonce, aad, aad_len, in, plain_len, out, tag);
	}
	if (!ok) {
		sodium_memzero(out, plain_len);
		return KTLS_EBADMAC;
	}
	return 0;
}

void ktls_aead_free(struct ktls_aead *a)
{
	if (a->gcm)
		EVP_CIPHER_CTX_free(a->gcm);
	sodium_memzero(a, sizeof(*a));
}
