/*
 * transcript.c — running transcript hash (see transcript.h).
 */
#include "transcript.h"

#include "ktls.h"
#include "messages.h"
#include "suite.h"

#include <string.h>

int ktls_transcript_init(struct ktls_transcript *t)
{
	memset(t, 0, sizeof(*t));
	t->sha256 = EVP_MD_CTX_new();
	t->sha384 = EVP_MD_CTX_new();
	if (!t->sha256 || !t->sha384) {
		ktls_transcript_free(t);
		return KTLS_ENOMEM;
	}
	/* fetched hashes: a legacy EVP_sha256() would be fetched again here per handshake */
	if (!EVP_DigestInit_ex(t->sha256, ktls_md_fetched(EVP_sha256()), NULL) ||
	    !EVP_DigestInit_ex(t->sha384, ktls_md_fetched(EVP_sha384()), NULL)) {
		ktls_transcript_free(t);
		return KTLS_ECRYPTO;
	}
	return 0;
}

int ktls_transcript_update(struct ktls_transcript *t, const uint8_t *msg, size_t len)
{
	if (t->ctx)
		return EVP_DigestUpdate(t->ctx, msg, len) ? 0 : KTLS_ECRYPTO;
	if (!t->sha256 || !t->sha384)
		return KTLS_EINTERNAL;
	if (!EVP_DigestUpdate(t->sha256, msg, len) || !EVP_DigestUpdate(t->sha384, msg, len))
		return KTLS_ECRYPTO;
	return 0;
}

int ktls_transcript_select(struct ktls_transcript *t, const EVP_MD *md)
{
	if (t->ctx)
		return EVP_MD_get_type(md) == EVP_MD_get_type(t->md) ? 0 : KTLS_EINTERNAL;
	if (EVP_MD_get_type(md) == NID_sha256) {
		t->ctx = t->sha256;
		EVP_MD_CTX_free(t->sha384);
		t->sha384 = NULL;
	} else if (EVP_MD_get_type(md) == NID_sha384) {
		t->ctx = t->sha384;
		EVP_MD_CTX_free(t->sha256);
		t->sha256 = NULL;
	} else {
		return KTLS_EINVAL;
	}
	t->md = md;
	return 0;
}

int ktls_transcript_hash(const struct ktls_transcript *t, uint8_t *out)
{
	if (!t->ctx)
		return KTLS_EINTERNAL;
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	int ok = copy && EVP_MD_CTX_copy_ex(copy, t->ctx) && EVP_DigestFinal_ex(copy, out, NULL);
	EVP_MD_CTX_free(copy);
	return ok ? 0 : KTLS_ECRYPTO;
}

int ktls_transcript_hash_extra(const struct ktls_transcript *t, const EVP_MD *md,
			       const uint8_t *extra, size_t len, uint8_t *out)
{
	EVP_MD_CTX *src = t->ctx;
	int type = EVP_MD_get_type(md);
	if (!src)
		src = type == NID_sha256 ? t->sha256 : type == NID_sha384 ? t->sha384 : NULL;
	else if (EVP_MD_get_type(t->md) != type)
		src = NULL;
	if (!src)
		return KTLS_EINVAL;
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	int ok = copy && EVP_MD_CTX_copy_ex(copy, src) && EVP_DigestUpdate(copy, extra, len) &&
		 EVP_DigestFinal_ex(copy, out, NULL);
	EVP_MD_CTX_free(copy);
	return ok ? 0 : KTLS_ECRYPTO;
}

int ktls_transcript_hrr_rewrite(struct ktls_transcript *t)
{
	uint8_t hash[EVP_MAX_MD_SIZE], msg[TLS_HANDSHAKE_HEADER_LEN + EVP_MAX_MD_SIZE];
	struct wire_writer w;
	size_t hash_len;

	if (!t->ctx)
		return KTLS_EINTERNAL;
	hash_len = (size_t)EVP_MD_get_size(t->md);
	int err = ktls_transcript_hash(t, hash);
	if (err)
		return err;
	wire_writer_init(&w, msg, sizeof(msg));
	err = ktls_encode_message_hash(&w, hash, hash_len);
	if (err)
		return err;
	if (!EVP_DigestInit_ex(t->ctx, t->md, NULL))
		return KTLS_ECRYPTO;
	return ktls_transcript_update(t, msg, w.len);
}

void ktls_transcript_free(struct ktls_transcript *t)
{
	EVP_MD_CTX_free(t->sha256);
	EVP_MD_CTX_free(t->sha384);
	memset(t, 0, sizeof(*t));
}
