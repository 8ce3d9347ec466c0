/*
 * keysched.c — RFC 8446 §7.1 key schedule and the secrets derived from it. See keysched.h
 * for the ladder; each function below names the RFC step it performs.
 */
#include "keysched.h"

#include "hkdf.h"
#include "ktls.h"

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

/* A full handshake has no PSK, and then (§7.1) Early Secret = HKDF-Extract(0, 0) and the
 * salt of the next rung, Derive-Secret(Early Secret, "derived", ""), are constants of the
 * hash: two HMACs a handshake need not compute. SHA-256's are in RFC 8448 §3 ("extract
 * secret early", "derive secret for handshake" expanded); keysched_test's cross-check
 * computes both hashes' with OpenSSL. */
static const uint8_t sha256_no_psk_early[32] = {
	0x33, 0xad, 0x0a, 0x1c, 0x60, 0x7e, 0xc0, 0x3b, 0x09, 0xe6, 0xcd, 0x98, 0x93, 0x68, 0x0c, 0xe2,
	0x10, 0xad, 0xf3, 0x00, 0xaa, 0x1f, 0x26, 0x60, 0xe1, 0xb2, 0x2e, 0x10, 0xf1, 0x70, 0xf9, 0x2a,
};
static const uint8_t sha256_no_psk_derived[32] = {
	0x6f, 0x26, 0x15, 0xa1, 0x08, 0xc7, 0x02, 0xc5, 0x67, 0x8f, 0x54, 0xfc, 0x9d, 0xba, 0xb6, 0x97,
	0x16, 0xc0, 0x76, 0x18, 0x9c, 0x48, 0x25, 0x0c, 0xeb, 0xea, 0xc3, 0x57, 0x6c, 0x36, 0x11, 0xba,
};
static const uint8_t sha384_no_psk_early[48] = {
	0x7e, 0xe8, 0x20, 0x6f, 0x55, 0x70, 0x02, 0x3e, 0x6d, 0xc7, 0x51, 0x9e, 0xb1, 0x07, 0x3b, 0xc4,
	0xe7, 0x91, 0xad, 0x37, 0xb5, 0xc3, 0x82, 0xaa, 0x10, 0xba, 0x18, 0xe2, 0x35, 0x7e, 0x71, 0x69,
	0x71, 0xf9, 0x36, 0x2f, 0x2c, 0x2f, 0xe2, 0xa7, 0x6b, 0xfd, 0x78, 0xdf, 0xec, 0x4e, 0xa9, 0xb5,
};
static const uint8_t sha384_no_psk_derived[48] = {
	0x15, 0x91, 0xda, 0xc5, 0xcb, 0xbf, 0x03, 0x30, 0xa4, 0xa8, 0x4d, 0xe9, 0xc7, 0x53, 0x33, 0x0e,
	0x92, 0xd0, 0x1f, 0x0a, 0x88, 0x21, 0x4b, 0x44, 0x64, 0x97, 0x2f, 0xd6, 0x68, 0x04, 0x9e, 0x93,
	0xe5, 0x2f, 0x2b, 0x16, 0xfa, 0xd9, 0x22, 0xfd, 0xc0, 0x58, 0x44, 0x78, 0x42, 0x8f, 0x28, 0x2b,
};

/* Transcript-Hash("") into out (a constant for SHA-256/384). Returns 0 or KTLS_ECRYPTO. */
static int empty_hash(const EVP_MD *md, uint8_t *out)
{
	int type = EVP_MD_get_type(md);
	if (type == NID_sha256)
		memcpy(out, sha256_empty, sizeof(sha256_empty));
	else if (type == NID_sha384)
		memcpy(out, sha384_empty, sizeof(sha384_empty));
	else if (!EVP_Digest("", 0, out, NULL, md, NULL))
		return KTLS_ECRYPTO;
	return 0;
}

/* The no-PSK constants of md: Early Secret and its "derived" salt, or NULL for another hash. */
static const uint8_t *no_psk_constant(const EVP_MD *md, bool derived)
{
	int type = EVP_MD_get_type(md);
	if (type == NID_sha256)
		return derived ? sha256_no_psk_derived : sha256_no_psk_early;
	if (type == NID_sha384)
		return derived ? sha384_no_psk_derived : sha384_no_psk_early;
	return NULL;
}

/* Derive-Secret(., "derived", "") — the bridge from one rung of the ladder to the next. */
static int derived_salt(const struct ktls_keysched *ks, uint8_t *out)
{
	uint8_t hash[KTLS_MAX_HASH_LEN];
	const uint8_t *constant = ks->no_psk ? no_psk_constant(ks->md, true) : NULL;

	if (constant) {
		memcpy(out, constant, ks->hash_len);
		return 0;
	}
	int err = empty_hash(ks->md, hash);
	return err ? err : ktls_derive_secret(ks->md, ks->secret, "derived", hash, out);
}

/* Next rung: secret = HKDF-Extract(Derive-Secret(secret, "derived", ""), ikm). */
static int climb(struct ktls_keysched *ks, const uint8_t *ikm, size_t ikm_len)
{
	uint8_t salt[KTLS_MAX_HASH_LEN];
	int err = derived_salt(ks, salt);
	if (!err)
		err = ktls_hkdf_extract(ks->md, salt, ks->hash_len, ikm, ikm_len, ks->secret);
	ks->no_psk = false;
	sodium_memzero(salt, sizeof(salt));
	return err;
}

int ktls_keysched_early(struct ktls_keysched *ks, const uint8_t *psk, size_t psk_len)
{
	static const uint8_t zeros[KTLS_MAX_HASH_LEN];
	const uint8_t *constant = psk ? NULL : no_psk_constant(ks->md, false);
	int err = 0;

	if (ks->stage != KTLS_KS_NONE)
		return KTLS_EINTERNAL;
	if (constant) {
		memcpy(ks->secret, constant, ks->hash_len);
		ks->no_psk = true;
	} else {
		if (!psk) {
			psk = zeros;
			psk_len = ks->hash_len;
		}
		err = ktls_hkdf_extract(ks->md, zeros, ks->hash_len, psk, psk_len, ks->secret);
	}
	if (!err)
		ks->stage = KTLS_KS_EARLY;
	return err;
}

int ktls_keysched_binder_key(const struct ktls_keysched *ks, bool resumption, uint8_t *out)
{
	uint8_t hash[KTLS_MAX_HASH_LEN];
	if (ks->stage != KTLS_KS_EARLY)
		return KTLS_EINTERNAL;
	int err = empty_hash(ks->md, hash);
	return err ? err : ktls_derive_secret(ks->md, ks->secret,
					      resumption ? "res binder" : "ext binder", hash, out);
}

int ktls_keysched_handshake(struct ktls_keysched *ks, const uint8_t *ecdhe, size_t ecdhe_len,
			    const uint8_t *hello_hash)
{
	if (ks->stage != KTLS_KS_EARLY)
		return KTLS_EINTERNAL;
	int err = climb(ks, ecdhe, ecdhe_len);
	/* Derive-Secret = HKDF-Expand-Label(Secret, Label, hash, HashLen), the key made once */
	const struct ktls_label_out outs[] = {
		{ "c hs traffic", hello_hash, ks->hash_len, ks->client_handshake_traffic, ks->hash_len },
		{ "s hs traffic", hello_hash, ks->hash_len, ks->server_handshake_traffic, ks->hash_len },
	};
	if (!err)
		err = ktls_hkdf_expand_labels(ks->md, ks->secret, outs, 2);
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
	const struct ktls_label_out outs[] = {
		{ "c ap traffic", finished_hash, ks->hash_len, ks->client_application_traffic,
		  ks->hash_len },
		{ "s ap traffic", finished_hash, ks->hash_len, ks->server_application_traffic,
		  ks->hash_len },
		{ "exp master", finished_hash, ks->hash_len, ks->exporter_master, ks->hash_len },
	};
	if (!err)
		err = ktls_hkdf_expand_labels(ks->md, ks->secret, outs, 3);
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
	const struct ktls_label_out outs[] = {
		{ "key", NULL, 0, out->key, suite->key_len },
		{ "iv", NULL, 0, out->iv, KTLS_IV_LEN },
	};
	int err = ktls_hkdf_expand_labels(suite->md(), traffic_secret, outs, 2);
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
	int err = ktls_finished_key(md, base_key, key);
	/* §4.4.4: HMAC(finished_key, Transcript-Hash(...)), through hkdf.c's HMAC: OpenSSL's
	 * one-shot HMAC() costs twice as much */
	if (!err)
		err = ktls_hmac(md, key, hash_len, transcript_hash, hash_len, out);
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
