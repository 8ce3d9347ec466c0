/*
 * suite.c — the cipher suite table.
 */
#include "suite.h"

#include "ktls.h"

#include <pthread.h>

/* RFC 8446 §B.4; AEAD key and tag sizes from RFC 5116 §5 and RFC 6655 §3. */
static const struct ktls_suite suites[] = {
	{ KTLS_TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256",
	  KTLS_AEAD_CHACHA20_POLY1305, 32, 16, EVP_sha256, 32 },
	{ KTLS_TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", KTLS_AEAD_AES_128_GCM, 16, 16,
	  EVP_sha256, 32 },
	{ KTLS_TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", KTLS_AEAD_AES_256_GCM, 32, 16,
	  EVP_sha384, 48 },
	{ KTLS_TLS_AES_128_CCM_SHA256, "TLS_AES_128_CCM_SHA256", KTLS_AEAD_AES_128_CCM, 16, 16,
	  EVP_sha256, 32 },
	{ KTLS_TLS_AES_128_CCM_8_SHA256, "TLS_AES_128_CCM_8_SHA256", KTLS_AEAD_AES_128_CCM_8, 16,
	  8, EVP_sha256, 32 },
};

const struct ktls_suite *ktls_suite_find(uint16_t id)
{
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

/* RFC 8446 §5.5: "For AES-GCM, up to 2^24.5 full-size records (about 24 million) may be
 * encrypted on a given connection while keeping a safety margin of approximately 2^-57 for
 * Authenticated Encryption (AE) security. For ChaCha20/Poly1305, the record sequence number
 * would wrap before the safety limit is reached." RFC 8446 gives no number for AES-CCM;
 * RFC 9147 (DTLS 1.3) §4.5.3 does: "[TLS13] does not specify a limit for AEAD_AES_128_CCM,
 * but the analysis in Appendix B shows that a limit of 2^23 packets can be used to obtain
 * the same confidentiality protection as the limits specified in TLS" (the analysis is the
 * CFRG's, draft-irtf-cfrg-aead-limits, for records of 2^14 bytes). CCM_8 is the same cipher
 * with a shorter tag, so the same confidentiality limit; its much lower integrity limit
 * (RFC 9147 Appendix B) counts records that fail to open, and in TLS the first one ends the
 * connection. The numbers below are these limits, rounded down. */
uint64_t ktls_suite_record_limit(const struct ktls_suite *suite)
{
	switch (suite->aead) {
	case KTLS_AEAD_AES_128_GCM:
	case KTLS_AEAD_AES_256_GCM:
		return 23726566; /* 2^24.5 */
	case KTLS_AEAD_AES_128_CCM:
	case KTLS_AEAD_AES_128_CCM_8:
		return 8388608; /* 2^23 */
	case KTLS_AEAD_CHACHA20_POLY1305:
		break;
	}
	return UINT64_MAX;
}

const char *ktls_suite_name(uint16_t id)
{
	const struct ktls_suite *s = ktls_suite_find(id);
	return s ? s->name : NULL;
}

/* SHA-256, SHA-384, SHA-512 as fetched from the default provider, or NULL where the fetch
 * failed (then the caller's md serves). A legacy EVP_sha256() is fetched again by every
 * EVP_DigestInit_ex and EVP_DigestSignInit; these are fetched once per process, under
 * pthread_once, and only read after (never freed: they live as long as the process, like
 * OpenSSL's own tables), so configs and handshakes on other threads share nothing that
 * changes. */
static EVP_MD *fetched[3];
static pthread_once_t fetched_once = PTHREAD_ONCE_INIT;

static void fetch_hashes(void)
{
	fetched[0] = EVP_MD_fetch(NULL, "SHA256", NULL);
	fetched[1] = EVP_MD_fetch(NULL, "SHA384", NULL);
	fetched[2] = EVP_MD_fetch(NULL, "SHA512", NULL);
}

const EVP_MD *ktls_md_fetched(const EVP_MD *md)
{
	int i;
	switch (md ? EVP_MD_get_type(md) : NID_undef) {
	case NID_sha256: i = 0; break;
	case NID_sha384: i = 1; break;
	case NID_sha512: i = 2; break;
	default: return md;
	}
	if (pthread_once(&fetched_once, fetch_hashes) != 0 || !fetched[i])
		return md;
	return fetched[i];
}
