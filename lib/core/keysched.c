/*
 * keysched.c — RFC 8446 §7.1 key schedule and the secrets derived from it. See keysched.h
 * for the ladder; each function below names the RFC step it performs.
 */
#include "keysched.h"

#include "hkdf.h"
#include "ktls.h"

#include <openssl/hmac.h>
#include <sodium.h>
#include <string.h>

void ktls_keysched_init(struct ktls_keysched *ks, const struct ktls_suite *suite)
{
	memset(ks, 0, sizeof(*ks));
	ks->md = suite->md();
	ks->hash_len = suite->hash_len;
	ks->stage = KTLS_KS_NONE;
}

/* Transcript-Hash("") of the suites' hashes: constants, not worth a digest per climb. */
static const uint8_t sha256_empty[32] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
	0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};
static const uint8_t sha384_empty[48] = {
	0x38, 0xb0, 0x60, 0xa7, 0x51, 0xac, 0x96, 0x38, 0x4c, 0xd9, 0x32, 0x7e, 0xb1, 0xb1, 0xe3, 0x6a,
	0x21, 0xfd, 0xb7, 0x11, 0x14, 0xbe, 0x07, 0x43, 0x4c, 0x0c, 0xc7, 0xbf, 0x63, 0xf6, 0xe1, 0xda,
	0x27, 0x4e, 0xde, 0xbf, 0xe7, 0x6f, 0x65, 0xfb, 0xd5, 0x1a, 0xd2, 0xf1, 0x48, 0x98, 0xb9, 0x5b,
};

/* Derive-Secret(., "derived", "") — the bridge from one rung of the ladder to the next. */
static int derived_salt(const struct ktls_keysched *ks, uint8_t *out)
{
	uint8_t computed[KTLS_MAX_HASH_LEN];
	const uint8_t *empty_hash = computed;
	int type = EVP_MD_get_type(ks->md);

	if (type == NID_sha256)
		empty_hash = sha256_empty;
	else if (type == NID_sha384)
		empty_hash = sha384_empty;
	else if (!EVP_Digest("", 0, computed, NULL, ks->md, NULL))
		return KTLS_ECRYPTO;
	return ktls_derive_secret(ks->md, ks->secret, "derived", empty_hash, out);
}

/* Next rung: secret = HKDF-Extract(Derive-Secret(secret, "derived", ""), ikm). */
static int climb(struct ktls_keysched *ks, const uint8_t *ikm, size_t ikm_len)
{
	uint8_t salt[KTLS_MAX_HASH_LEN];
	int err = derived_salt(ks, salt);
	if (!err)
		err = ktls_hkdf_extract(ks->md, salt, ks->hash_len, ikm, ikm_len, ks->secret);
	sodium_memzero(salt, sizeof(salt));
	return err;
}

int ktls_keysched_early(struct ktls_keysched *ks, const uint8_t *psk, size_t psk_len)
{
	static const uint8_t zeros[KTLS_MAX_HASH_LEN];
	if (ks->stage != KTLS_KS_NONE)
		return KTLS_EINTERNAL;
	if (!psk) {
		psk = zeros;
		psk_len = ks->hash_len;
	}
	int err = ktls_hkdf_extract(ks->md, zeros, ks->hash_len, psk, psk_len, ks->secret);
	if (!err)
		ks->stage = KTLS_KS_EARLY;
	return err;
}

int ktls_keysched_binder_key(const struct ktls_keysched *ks, bool resumption, uint8_t *out)
{
	uint8_t empty_hash[KTLS_MAX_HASH_LEN];
	if (ks->stage != KTLS_KS_EARLY)
		return KTLS_EINTERNAL;
	if (!EVP_Digest("", 0, empty_hash, NULL, ks->md, NULL))
		return KTLS_ECRYPTO;
	return ktls_derive_secret(ks->md, ks->secret, resumption ? "res binder" : "ext binder",
				  empty_hash, out);
}

int ktls_keysched_handshake(struct ktls_keysched *ks, const uint8_t *ecdhe, size_t ecdhe_len,
			    const uint8_t *hello_hash)
{
	if (ks->stage != KTLS_KS_EARLY)
		return KTLS_EINTERNAL;
	int err = climb(ks, ecdhe, ecdhe_len);
	if (!err)
		err = ktls_derive_secret(ks->md, ks->secret, "c hs traffic", hello_hash,
					 ks->client_handshake_traffic);
	if (!err)
		err = ktls_derive_secret(ks->md, ks->secret, "s hs traffic", hello_hash,
					 ks->server_handshake_traffic);
	if (!err)
		ks->stage = KTLS_KS_HANDSHAKE;
	return err;
}

int ktls_keysched_master(struct ktls_keysched *ks, const uint8_t *finished_hash)
{
	static const uint8_t zeros[KTLS_MAX_HASH_LEN];
	if (ks->stage != KTLS_KS_HANDSHAKE)
		return KTLS_EINTERNAL;
	int err = climb(ks, zeros, ks->hash_len);
	if (!err)
		err = ktls_derive_secret(ks->md, ks->secret, "c ap traffic", finished_hash,
					 ks->client_application_traffic);
	if (!err)
		err = ktls_derive_secret(ks->md, ks->secret, "s ap traffic", finished_hash,
					 ks->server_application_traffic);
	if (!err)
		err = ktls_derive_secret(ks->md, ks->secret, "exp master", finished_hash,
					 ks->exporter_master);
	if (!err)
		ks->stage = KTLS_KS_MASTER;
	return err;
}

int ktls_keysched_resumption(struct ktls_keysched *ks, const uint8_t *client_finished_hash)
{
	if (ks->stage != KTLS_KS_MASTER)
		return KTLS_EINTERNAL;
	return ktls_derive_secret(ks->md, ks->secret, "res master", client_finished_hash,
				  ks->resumption_master);
}

void ktls_keysched_wipe(struct ktls_keysched *ks)
{
	sodium_memzero(ks, sizeof(*ks));
}

int ktls_derive_traffic_keys(const struct ktls_suite *suite, const uint8_t *traffic_secret,
			     struct ktls_traffic_keys *out)
{
	const EVP_MD *md = suite->md();
	int err = ktls_hkdf_expand_label(md, traffic_secret, "key", NULL, 0, out->key,
					 suite->key_len);
	if (!err)
		err = ktls_hkdf_expand_label(md, traffic_secret, "iv", NULL, 0, out->iv,
					     KTLS_IV_LEN);
	if (err)
		sodium_memzero(out, sizeof(*out));
	return err;
}

int ktls_finished_key(const EVP_MD *md, const uint8_t *base_key, uint8_t *out)
{
	return ktls_hkdf_expand_label(md, base_key, "finished", NULL, 0, out,
				      (size_t)EVP_MD_get_size(md));
}

int ktls_finished_verify_data(const EVP_MD *md, const uint8_t *base_key,
			      const uint8_t *transcript_hash, uint8_t *out)
{
	uint8_t key[KTLS_MAX_HASH_LEN];
	size_t hash_len = (size_t)EVP_MD_get_size(md);
	unsigned int out_len = 0;
	int err = ktls_finished_key(md, base_key, key);
	if (!err && !HMAC(md, key, (int)hash_len, transcript_hash, hash_len, out, &out_len))
		err = KTLS_ECRYPTO;
	sodium_memzero(key, sizeof(key));
	return err;
}

int ktls_next_traffic_secret(const EVP_MD *md, const uint8_t *secret, uint8_t *out)
{
	uint8_t next[KTLS_MAX_HASH_LEN];
	size_t hash_len = (size_t)EVP_MD_get_size(md);
	int err = ktls_hkdf_expand_label(md, secret, "traffic upd", NULL, 0, next, hash_len);
	if (!err)
		memcpy(out, next, hash_len);
	sodium_memzero(next, sizeof(next));
	return err;
}

int ktls_resumption_psk(const EVP_MD *md, const uint8_t *resumption_master,
			const uint8_t *nonce, size_t nonce_len, uint8_t *out)
{
	return ktls_hkdf_expand_label(md, resumption_master, "resumption", nonce, nonce_len, out,
				      (size_t)EVP_MD_get_size(md));
}
