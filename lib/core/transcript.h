/*
 * transcript.h — the running transcript hash (RFC 8446 §4.4.1).
 *
 * The hash function is the cipher suite's, but a client sends its ClientHello before it
 * knows the suite, and a server reads it before choosing. Rather than buffer messages, the
 * transcript runs SHA-256 and SHA-384 side by side until ktls_transcript_select() names the
 * suite's hash; the other is dropped. After a HelloRetryRequest, ClientHello1 is replaced by
 * the synthetic message_hash message (ktls_transcript_hrr_rewrite).
 */
#ifndef KTLS_TRANSCRIPT_H
#define KTLS_TRANSCRIPT_H

#include <openssl/evp.h>

#include "wire.h"

struct ktls_transcript {
	EVP_MD_CTX *sha256;
	EVP_MD_CTX *sha384;
	const EVP_MD *md; /* NULL until selected */
	EVP_MD_CTX *ctx;  /* the selected one (sha256 or sha384) */
};

/* Starts an empty transcript. Returns 0, KTLS_ENOMEM or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_transcript_init(struct ktls_transcript *t);
/* Adds one whole handshake message (header included). Returns 0 or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_transcript_update(struct ktls_transcript *t, const uint8_t *msg,
					   size_t len);
/* Fixes the hash to md (EVP_sha256() or EVP_sha384()). Returns 0 or KTLS_EINVAL. */
KTLS_MUST_CHECK int ktls_transcript_select(struct ktls_transcript *t, const EVP_MD *md);
/* Writes the hash of everything so far (HashLen bytes) without ending the transcript.
 * Returns 0, KTLS_EINTERNAL before select, or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_transcript_hash(const struct ktls_transcript *t, uint8_t *out);
/* The hash under md of everything so far followed by extra (not added): the partial
 * ClientHello a PSK binder covers (§4.2.11.2). Works before and after select. Returns 0,
 * KTLS_EINVAL for an md the transcript does not run, or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_transcript_hash_extra(const struct ktls_transcript *t, const EVP_MD *md,
					       const uint8_t *extra, size_t len, uint8_t *out);
/* §4.4.1: replaces the transcript (which must hold exactly ClientHello1) with
 * message_hash(Hash(ClientHello1)). Call before adding the HelloRetryRequest. */
KTLS_MUST_CHECK int ktls_transcript_hrr_rewrite(struct ktls_transcript *t);
void ktls_transcript_free(struct ktls_transcript *t);

#endif
