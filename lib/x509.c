/*
 * x509.c — our certificate chain and key, the trust store, and peer chain verification
 * (RFC 8446 §4.4.2, §4.4.2.4); see x509.h.
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

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes a message into errbuf (which may be NULL). Returns err, for `return fail(...)`. */
__attribute__((format(printf, 4, 5))) static int fail(int err, char *errbuf, size_t errlen,
						      const char *fmt, ...)
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

/* Returns OpenSSL's reason for its latest error, or a placeholder when it gave none. */
static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "unknown error";
}

/* PEM password callback: we never prompt. Returns -1 (no password). */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Opens path for reading as a BIO. Returns the BIO, or NULL with errno set. */
static BIO *open_file(const char *path)
{
	FILE *f = fopen(path, "r");
	BIO *b;

	if (!f)
		return NULL;
	b = BIO_new_fp(f, BIO_CLOSE);
	if (!b) {
		fclose(f);
		errno = ENOMEM;
	}
	return b;
}

/* Appends x's DER encoding to c. Returns 0 or KTLS_ENOMEM. */
static int chain_add(struct ktls_cert_chain *c, X509 *x)
{
	int len = i2d_X509(x, NULL);
	uint8_t *der, *p;

	if (len <= 0)
		return KTLS_ENOMEM;
	der = malloc((size_t)len);
	if (!der)
		return KTLS_ENOMEM;
	p = der;
	if (i2d_X509(x, &p) != len) {
		free(der);
		return KTLS_ENOMEM;
	}
	c->der[c->n] = der;
	c->der_len[c->n] = (size_t)len;
	c->n++;
	return 0;
}

/* Reads every PEM certificate of path into c and keeps the leaf in *leaf. Returns 0,
 * KTLS_EINVAL (message in errbuf) or KTLS_ENOMEM. */
static int read_certs(struct ktls_cert_chain *c, X509 **leaf, const char *path, char *errbuf,
		      size_t errlen)
{
	BIO *b = open_file(path);
	X509 *x;
	int err = 0;

	if (!b)
		return fail(KTLS_EINVAL, errbuf, errlen, "cannot open certificate file '%s': %s",
			    path, strerror(errno));
	while ((x = PEM_read_bio_X509(b, NULL, no_password, NULL))) {
		if (c->n == KTLS_MAX_CHAIN)
			err = fail(KTLS_EINVAL, errbuf, errlen,
				   "certificate file '%s' holds more than %d certificates", path,
				   KTLS_MAX_CHAIN);
		else
			err = chain_add(c, x);
		if (!err && !*leaf) {
			*leaf = x;
			continue;
		}
		X509_free(x);
		if (err)
			break;
	}
	/* The loop ends on end of input (no further PEM start line) or on a broken block. */
	if (!err && c->n == 0)
		err = fail(KTLS_EINVAL, errbuf, errlen, "no PEM certificate in '%s'", path);
	else if (!err && ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE)
		err = fail(KTLS_EINVAL, errbuf, errlen, "cannot read certificate %zu of '%s': %s",
			   c->n + 1, path, ossl_reason());
	if (err == KTLS_ENOMEM)
		fail(err, errbuf, errlen, "out of memory loading '%s'", path);
	ERR_clear_error();
	BIO_free(b);
	return err;
}

/* Returns 0, KTLS_EINVAL (message in errbuf) or KTLS_ENOMEM. */
int ktls_cert_chain_load(struct ktls_cert_chain *c, const char *cert_pem_path,
			 const char *key_pem_path, char *errbuf, size_t errlen)
{
	X509 *leaf = NULL;
	BIO *b;
	int err;

	memset(c, 0, sizeof(*c));
	if (errbuf && errlen)
		errbuf[0] = 0;
	if (!cert_pem_path || !key_pem_path)
		return fail(KTLS_EINVAL, errbuf, errlen, "certificate and key files are required");
	err = read_certs(c, &leaf, cert_pem_path, errbuf, errlen);
	if (err)
		goto out;
	b = open_file(key_pem_path);
	if (!b) {
		err = fail(KTLS_EINVAL, errbuf, errlen, "cannot open private key file '%s': %s",
			   key_pem_path, strerror(errno));
		goto out;
	}
	c->key = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL);
	BIO_free(b);
	if (!c->key) {
		err = fail(KTLS_EINVAL, errbuf, errlen,
			   "cannot read private key '%s': %s (encrypted keys are not supported)",
			   key_pem_path, ossl_reason());
		goto out;
	}
	/* The CertificateVerify we sign must check against the leaf we send (§4.4.3). */
	EVP_PKEY *leaf_pub = X509_get0_pubkey(leaf);
	if (!leaf_pub || EVP_PKEY_eq(leaf_pub, c->key) != 1) {
		err = fail(KTLS_EINVAL, errbuf, errlen,
			   "private key '%s' does not match certificate '%s'", key_pem_path,
			   cert_pem_path);
		goto out;
	}
out:
	X509_free(leaf);
	if (err)
		ktls_cert_chain_free(c);
	ERR_clear_error();
	return err;
}

/* Frees and zeroes c. Returns nothing. */
void ktls_cert_chain_free(struct ktls_cert_chain *c)
{
	for (size_t i = 0; i < c->n && i < KTLS_MAX_CHAIN; i++)
		free(c->der[i]);
	EVP_PKEY_free(c->key);
	memset(c, 0, sizeof(*c));
}

/* Returns 0 and *out, KTLS_EINVAL (message in errbuf) or KTLS_ENOMEM. */
int ktls_trust_load(X509_STORE **out, const char *ca_file, const char *ca_dir, char *errbuf,
		    size_t errlen)
{
	X509_STORE *store;
	struct stat st;
	int err = 0;

	*out = NULL;
	if (errbuf && errlen)
		errbuf[0] = 0;
	store = X509_STORE_new();
	if (!store)
		return fail(KTLS_ENOMEM, errbuf, errlen, "out of memory creating the trust store");
	if (!ca_file && !ca_dir) {
		if (!X509_STORE_set_default_paths(store))
			err = fail(KTLS_EINVAL, errbuf, errlen,
				   "cannot load the system CA certificates: %s", ossl_reason());
		goto out;
	}
	if (ca_file) {
		if (access(ca_file, R_OK) != 0)
			err = fail(KTLS_EINVAL, errbuf, errlen, "cannot read CA file '%s': %s",
				   ca_file, strerror(errno));
		else if (!X509_STORE_load_file(store, ca_file))
			err = fail(KTLS_EINVAL, errbuf, errlen, "cannot load CA file '%s': %s",
				   ca_file, ossl_reason());
		if (err)
			goto out;
	}
	if (ca_dir) {
		/* Certificates in a directory are looked up lazily, by subject hash, during
		 * verification: check now at least that the directory is there. */
		if (stat(ca_dir, &st) != 0)
			err = fail(KTLS_EINVAL, errbuf, errlen, "cannot use CA directory '%s': %s",
				   ca_dir, strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			err = fail(KTLS_EINVAL, errbuf, errlen,
				   "cannot use CA directory '%s': not a directory", ca_dir);
		else if (!X509_STORE_load_path(store, ca_dir))
			err = fail(KTLS_EINVAL, errbuf, errlen, "cannot use CA directory '%s': %s",
				   ca_dir, ossl_reason());
	}
out:
	if (err) {
		X509_STORE_free(store);
		return err;
	}
	*out = store;
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
static void subject_line(X509 *x, char *buf, size_t len)
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

/* Returns 1 when host is a literal IPv4 or IPv6 address, else 0. */
static int is_ip_literal(const char *host)
{
	unsigned char addr[16];
	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
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
		return fail(KTLS_EUNKNOWNCA, errbuf, errlen,
			    "certificate verify failed: unknown CA (%s)", why);
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return fail(KTLS_ECERTEXPIRED, errbuf, errlen,
			    "certificate verify failed: certificate expired (%s)", why);
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return fail(KTLS_ECERTEXPIRED, errbuf, errlen,
			    "certificate verify failed: certificate not yet valid (%s)", why);
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return fail(KTLS_EBADCERT, errbuf, errlen,
			    "certificate verify failed: certificate is not valid for host '%s'",
			    host ? host : "");
	case X509_V_ERR_OUT_OF_MEM:
		return fail(KTLS_ENOMEM, errbuf, errlen, "certificate verify failed: %s", why);
	case X509_V_OK: /* X509_verify_cert failed without saying why: an internal error */
		return fail(KTLS_ECRYPTO, errbuf, errlen, "certificate verify failed: %s",
			    ossl_reason());
	default:
		return fail(KTLS_EBADCERT, errbuf, errlen, "certificate verify failed: %s", why);
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
		return fail(KTLS_EINVAL, errbuf, errlen, "certificate verify: invalid arguments");
	/* An empty host would make OpenSSL check no name at all. */
	if (host && !*host)
		return fail(KTLS_EINVAL, errbuf, errlen, "certificate verify: empty host name");
	if (n == 0)
		return fail(KTLS_EBADCERT, errbuf, errlen, "bad certificate: empty chain");
	leaf = parse_der(der[0], der_len[0]);
	if (!leaf)
		return fail(KTLS_EBADCERT, errbuf, errlen,
			    "bad certificate: cannot parse certificate 1 of %zu", n);
	untrusted = sk_X509_new_null();
	if (!untrusted) {
		err = fail(KTLS_ENOMEM, errbuf, errlen, "certificate verify: out of memory");
		goto out;
	}
	/* §4.4.2: certificates after the leaf may help build the chain; none is trusted. */
	for (size_t i = 1; i < n; i++) {
		X509 *x = parse_der(der[i], der_len[i]);
		if (!x) {
			err = fail(KTLS_EBADCERT, errbuf, errlen,
				   "bad certificate: cannot parse certificate %zu of %zu", i + 1,
				   n);
			goto out;
		}
		if (!sk_X509_push(untrusted, x)) {
			X509_free(x);
			err = fail(KTLS_ENOMEM, errbuf, errlen,
				   "certificate verify: out of memory");
			goto out;
		}
	}
	ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, store, leaf, untrusted)) {
		err = fail(KTLS_ENOMEM, errbuf, errlen, "certificate verify: out of memory");
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
	    (host && is_ip_literal(host) && !X509_VERIFY_PARAM_set1_ip_asc(param, host))) {
		err = fail(KTLS_ECRYPTO, errbuf, errlen, "certificate verify: setup failed: %s",
			   ossl_reason());
		goto out;
	}
	if (host && !is_ip_literal(host)) {
		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (!X509_VERIFY_PARAM_set1_host(param, host, 0)) {
			err = fail(KTLS_EINVAL, errbuf, errlen,
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
		err = fail(KTLS_EBADCERT, errbuf, errlen, "bad certificate: unusable public key");
		goto out;
	}
	subject_line(leaf, subject, subject_len);
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
		subject_line(x, subject, subject_len);
	X509_free(x);
	ERR_clear_error();
	return err;
}
