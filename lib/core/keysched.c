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

/* Derive-Secret(., "derived", "") — the bridge from one rung of the ladder to the next. */
static int derived_salt(const struct ktls_keysched *ks, uint8_t *out)
{
	uint8_t empty_hash[KTLS_MAX_HASH_LEN];
	if (!EVP_Digest("", 0, empty_hash, NULL, ks->md, NULL))
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
