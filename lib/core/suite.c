/*
 * suite.c — the cipher suite table.
 */
#include "suite.h"

#include "ktls.h"

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
