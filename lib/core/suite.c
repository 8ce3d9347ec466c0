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
