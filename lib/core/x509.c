/*
 * x509.c — certificates in the handshake: our chain (choosing one by SNI) and peer chain
 * verification (RFC 8446 §4.4.2, §4.4.2.4); see x509.h. Reading chains, keys and trust
 * stores from files is the driver's (lib/certs.c): nothing here touches a file.
 *
 * Chain building, signature checks, validity dates, purpose (EKU) and host/IP matching are
 * OpenSSL's X509_verify_cert: this file only feeds it (leaf, untrusted intermediates, the
 * purpose and the name to match) and translates its verdict into our error codes, whose
 * alerts §6.2 names: a chain that ends at no trusted root is unknown_ca, a date out of range
 * certificate_expired, anything else bad_certificate. Every failure leaves a sentence in
 * errbuf that a user can act on, and clears OpenSSL's error queue so that nothing stale is
 * reported later.
 */
#include "x509.h"

#include "ktls.h"
#include "sig.h"

#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ktls_x509_fail(int err, char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	ERR_clear_error();
	if (!errbuf || !errlen)
		return err;
	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return err;
}

const char *ktls_openssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "unknown error";
}


/* Frees and zeroes c. Returns nothing. */
void ktls_cert_chain_free(struct ktls_cert_chain *c)
{
	for (size_t i = 0; i < c->n && i < KTLS_MAX_CHAIN; i++)
		free(c->der[i]);
	EVP_PKEY_free(c->key);
	if (c->ed25519_sk) {
		sodium_memzero(c->ed25519_sk, KTLS_ED25519_SECRET_LEN);
		free(c->ed25519_sk);
	}
	X509_free(c->leaf);
	memset(c, 0, sizeof(*c));
}

/* Returns 1 when leaf is a certificate for host, else 0. wildcard: a wildcard SAN may match
 * ("*.example.org" matches "www.example.org"), else only the exact name. RFC 6125 §6.4.3 as
 * OpenSSL implements it: the wildcard is the whole left-most label and matches exactly one
 * label (X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS refuses "w*.example.org"); the subject CN is
 * consulted only when the certificate has no DNS SAN (§6.4.4). */
static int leaf_names(X509 *leaf, const char *host, bool wildcard)
{
	unsigned flags = wildcard ? X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS : X509_CHECK_FLAG_NO_WILDCARDS;
	int r = leaf ? X509_check_host(leaf, host, strlen(host), flags, NULL) : 0;
	ERR_clear_error();
	return r == 1;
}

size_t ktls_cert_choose(const struct ktls_cert_chain *chains, size_t n, const char *sni)
{
	/* one chain (the usual server) is the default whatever the name: matching it against
	 * the leaf (X509_check_host, 13k instructions) would change nothing */
	if (!sni || !*sni || n <= 1)
		return 0;
	for (int wildcard = 0; wildcard < 2; wildcard++)
		for (size_t i = 0; i < n; i++)
			if (leaf_names(chains[i].leaf, sni, wildcard))
				return i;
	return 0;
}


/* Parses one DER certificate that must fill exactly len bytes. Returns it, or NULL. */
static X509 *parse_der(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (!der || len == 0 || len > LONG_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) { /* trailing bytes after the certificate */
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* Writes x's subject as one line ("CN=localhost", RDNs joined by ", ", non-ASCII and
 * control bytes escaped) into buf, truncated to len. Returns nothing. */
void ktls_x509_subject_line(X509 *x, char *buf, size_t len)
{
	BIO *b;
	char *data = NULL;
	long n;

	if (!buf || !len)
		return;
	buf[0] = 0;
	b = BIO_new(BIO_s_mem());
	if (!b)
		return;
	if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
			       XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ) >= 0) {
		n = BIO_get_mem_data(b, &data);
		if (n > 0 && data) {
			size_t m = (size_t)n < len - 1 ? (size_t)n : len - 1;
			memcpy(buf, data, m);
			buf[m] = 0;
		}
	}
	BIO_free(b);
}

bool ktls_is_ip_literal(const char *host)
{
	ASN1_OCTET_STRING *ip = a2i_IPADDRESS(host); /* IPv4 or IPv6, as OpenSSL reads them */
	ASN1_OCTET_STRING_free(ip);
	return ip != NULL;
}

/* Maps X509_verify_cert's error to our code with a message in errbuf (§6.2 alerts).
 * Returns the code. */
static int verify_error(int x509_err, const char *host, char *errbuf, size_t errlen)
{
	const char *why = X509_verify_cert_error_string(x509_err);

	switch (x509_err) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_CERT_UNTRUSTED:
		return ktls_x509_fail(KTLS_EUNKNOWNCA, errbuf, errlen,
			    "certificate verify failed: unknown CA (%s)", why);
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return ktls_x509_fail(KTLS_ECERTEXPIRED, errbuf, errlen,
			    "certificate verify failed: certificate expired (%s)", why);
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return ktls_x509_fail(KTLS_ECERTEXPIRED, errbuf, errlen,
			    "certificate verify failed: certificate not yet valid (%s)", why);
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return ktls_x509_fail(KTLS_EBADCERT, errbuf, errlen,
			    "certificate verify failed: certificate is not valid for host '%s'",
			    host ? host : "");
	case X509_V_ERR_OUT_OF_MEM:
		return ktls_x509_fail(KTLS_ENOMEM, errbuf, errlen, "certificate verify failed: %s", why);
	case X509_V_OK: /* X509_verify_cert failed without saying why: an internal error */
		return ktls_x509_fail(KTLS_ECRYPTO, errbuf, errlen, "certificate verify failed: %s",
			    ktls_openssl_reason());
	default:
		return ktls_x509_fail(KTLS_EBADCERT, errbuf, errlen, "certificate verify failed: %s", why);
	}
}

/* Returns 0 with *leaf_key and subject, or KTLS_EUNKNOWNCA, KTLS_ECERTEXPIRED, KTLS_EBADCERT,
 * KTLS_EINVAL, KTLS_ENOMEM, KTLS_ECRYPTO with a message in errbuf. */
int ktls_verify_chain(X509_STORE *store, const uint8_t *const *der, const size_t *der_len,
		      size_t n, int verifying_server, const char *host, EVP_PKEY **leaf_key,
		      char *subject, size_t subject_len, char *errbuf, size_t errlen)
{
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	X509 *leaf = NULL;
	int err = 0;

	*leaf_key = NULL;
	if (subject && subject_len)
		subject[0] = 0;
	if (errbuf && errlen)
		errbuf[0] = 0;
	if (!store || (n && (!der || !der_len)))
		return ktls_x509_fail(KTLS_EINVAL, errbuf, errlen, "certificate verify: invalid arguments");
	/* An empty host would make OpenSSL check no name at all. */
	if (host && !*host)
		return ktls_x509_fail(KTLS_EINVAL, errbuf, errlen, "certificate verify: empty host name");
	if (n == 0)
		return ktls_x509_fail(KTLS_EBADCERT, errbuf, errlen, "bad certificate: empty chain");
	leaf = parse_der(der[0], der_len[0]);
	if (!leaf)
		return ktls_x509_fail(KTLS_EBADCERT, errbuf, errlen,
			    "bad certificate: cannot parse certificate 1 of %zu", n);
	untrusted = sk_X509_new_null();
	if (!untrusted) {
		err = ktls_x509_fail(KTLS_ENOMEM, errbuf, errlen, "certificate verify: out of memory");
		goto out;
	}
	/* §4.4.2: certificates after the leaf may help build the chain; none is trusted. */
	for (size_t i = 1; i < n; i++) {
		X509 *x = parse_der(der[i], der_len[i]);
		if (!x) {
			err = ktls_x509_fail(KTLS_EBADCERT, errbuf, errlen,
				   "bad certificate: cannot parse certificate %zu of %zu", i + 1,
				   n);
			goto out;
		}
		if (!sk_X509_push(untrusted, x)) {
			X509_free(x);
			err = ktls_x509_fail(KTLS_ENOMEM, errbuf, errlen,
				   "certificate verify: out of memory");
			goto out;
		}
	}
	ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
		err = ktls_x509_fail(KTLS_ENOMEM, errbuf, errlen, "certificate verify: out of memory");
		goto out;
	}
	/* The peer's role decides the extendedKeyUsage required: serverAuth or clientAuth. Set
	 * on the context's own parameters, so that nothing configured on the store overrides
	 * it. */
	param = X509_STORE_CTX_get0_param(ctx);
	if (!X509_VERIFY_PARAM_set_purpose(param, verifying_server ? X509_PURPOSE_SSL_SERVER
								   : X509_PURPOSE_SSL_CLIENT) ||
	    !X509_VERIFY_PARAM_set_trust(param, verifying_server ? X509_TRUST_SSL_SERVER
								 : X509_TRUST_SSL_CLIENT) ||
	    (host && ktls_is_ip_literal(host) && !X509_VERIFY_PARAM_set1_ip_asc(param, host))) {
		err = ktls_x509_fail(KTLS_ECRYPTO, errbuf, errlen, "certificate verify: setup failed: %s",
			   ktls_openssl_reason());
		goto out;
	}
	if (host && !ktls_is_ip_literal(host)) {
		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (!X509_VERIFY_PARAM_set1_host(param, host, 0)) {
			err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen,
				   "certificate verify: invalid host name '%s'", host);
			goto out;
		}
	}
	if (X509_verify_cert(ctx) != 1) {
		err = verify_error(X509_STORE_CTX_get_error(ctx), host, errbuf, errlen);
		goto out;
	}
	*leaf_key = X509_get_pubkey(leaf);
	if (!*leaf_key) {
		err = ktls_x509_fail(KTLS_EBADCERT, errbuf, errlen, "bad certificate: unusable public key");
		goto out;
	}
	ktls_x509_subject_line(leaf, subject, subject_len);
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(leaf);
	ERR_clear_error();
	return err;
}

/* Returns 0 with *leaf_key and subject, or KTLS_EBADCERT. */
int ktls_cert_leaf_key(const uint8_t *der, size_t len, EVP_PKEY **leaf_key, char *subject,
		       size_t subject_len)
{
	X509 *x = parse_der(der, len);
	int err = 0;

	*leaf_key = NULL;
	if (subject && subject_len)
		subject[0] = 0;
	if (!x) {
		ERR_clear_error();
		return KTLS_EBADCERT;
	}
	*leaf_key = X509_get_pubkey(x);
	if (!*leaf_key)
		err = KTLS_EBADCERT; /* parses, but its key type is unknown to OpenSSL */
	else
		ktls_x509_subject_line(x, subject, subject_len);
	X509_free(x);
	ERR_clear_error();
	return err;
}
