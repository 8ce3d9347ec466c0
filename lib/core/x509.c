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

#include <errno.h>
#include <limits.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdbool.h>
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

static void subject_line(X509 *x, char *buf, size_t len);

/* Returns OpenSSL's reason for its latest error, or a placeholder when it gave none. */
static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "unknown error";
}

/* The passphrase of an encrypted key, handed to OpenSSL's callbacks; `asked` records that
 * the key turned out to be encrypted. We never prompt. */
struct key_pass {
	const char *pass; /* NULL: none given */
	bool asked;
};

/* pem_password_cb: copies the passphrase into buf. Returns its length, or -1 without one. */
static int pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct key_pass *kp = u;
	size_t len;

	(void)rwflag;
	kp->asked = true;
	if (!kp->pass || size <= 0)
		return -1;
	len = strlen(kp->pass);
	if (len > (size_t)size)
		return -1;
	memcpy(buf, kp->pass, len);
	return (int)len;
}

/* OSSL_PASSPHRASE_CALLBACK, the same for OSSL_DECODER. Returns 1, or 0 without one. */
static int decoder_pass_cb(char *buf, size_t size, size_t *len, const OSSL_PARAM params[],
			   void *u)
{
	struct key_pass *kp = u;

	(void)params;
	kp->asked = true;
	if (!kp->pass || strlen(kp->pass) > size)
		return 0;
	*len = strlen(kp->pass);
	memcpy(buf, kp->pass, *len);
	return 1;
}

/* The largest certificate or key file read (a chain of KTLS_MAX_CHAIN big certificates). */
#define MAX_CERT_FILE (1 << 20)

/* Reads all of path into a new buffer (*data, *len; one NUL added after it). Returns 0, or
 * KTLS_EINVAL with "cannot open <what> '<path>': <reason>" in errbuf, or KTLS_ENOMEM. The
 * caller cleanses and frees *data (it may hold a key). */
static int read_file(const char *path, const char *what, uint8_t **data, size_t *len,
		     char *errbuf, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	*data = NULL;
	if (!f)
		return fail(KTLS_EINVAL, errbuf, errlen, "cannot open %s '%s': %s", what, path,
			    strerror(errno));
	buf = malloc(MAX_CERT_FILE + 1);
	if (!buf) {
		fclose(f);
		return fail(KTLS_ENOMEM, errbuf, errlen, "out of memory loading '%s'", path);
	}
	n = fread(buf, 1, MAX_CERT_FILE + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad || n > MAX_CERT_FILE) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		return fail(KTLS_EINVAL, errbuf, errlen, "cannot read %s '%s': %s", what, path,
			    bad ? "read error" : "larger than 1 MiB");
	}
	buf[n] = 0;
	*data = buf;
	*len = n;
	return 0;
}

/* Returns 1 when the file's bytes are PEM (a "-----BEGIN " line somewhere), else 0. */
static int is_pem(const uint8_t *data, size_t len)
{
	return memmem(data, len, "-----BEGIN ", 11) != NULL;
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

/* Adds x (taken) to c, and keeps the first as c->leaf. Returns 0, KTLS_EINVAL (too many)
 * or KTLS_ENOMEM. */
static int chain_take(struct ktls_cert_chain *c, X509 *x, const char *path, char *errbuf,
		      size_t errlen)
{
	int err = c->n == KTLS_MAX_CHAIN
			  ? fail(KTLS_EINVAL, errbuf, errlen,
				 "certificate file '%s' holds more than %d certificates", path,
				 KTLS_MAX_CHAIN)
			  : chain_add(c, x);
	if (!err && !c->leaf)
		c->leaf = x;
	else
		X509_free(x);
	return err;
}

/* Decodes a private key from a file's bytes: PEM (any key block, after certificates too;
 * OpenSSL skips what is not a key) or DER (OSSL_DECODER: PKCS#8, encrypted PKCS#8, or the
 * type-specific RSA/EC structures). Returns the key, or NULL (kp->asked says whether it was
 * encrypted). */
static EVP_PKEY *decode_key(const uint8_t *data, size_t len, struct key_pass *kp)
{
	EVP_PKEY *key = NULL;

	if (is_pem(data, len)) {
		BIO *b = BIO_new_mem_buf(data, (int)len);
		if (b)
			key = PEM_read_bio_PrivateKey_ex(b, NULL, pem_pass_cb, kp, NULL, NULL);
		BIO_free(b);
		return key;
	}
	OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(&key, "DER", NULL, NULL,
							       EVP_PKEY_KEYPAIR, NULL, NULL);
	const unsigned char *p = data;
	size_t left = len;
	if (dctx && OSSL_DECODER_CTX_set_passphrase_cb(dctx, decoder_pass_cb, kp))
		(void)OSSL_DECODER_from_data(dctx, &p, &left);
	OSSL_DECODER_CTX_free(dctx);
	if (key && left) { /* trailing bytes: not one key */
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

/* Parses the certificates of a file's bytes into c: PEM blocks, or DER certificates back to
 * back. Returns the number read (0: none) or a negative code (message in errbuf). */
static int decode_certs(struct ktls_cert_chain *c, const uint8_t *data, size_t len,
			const char *path, char *errbuf, size_t errlen)
{
	X509 *x;
	int err = 0;

	if (!is_pem(data, len)) {
		const unsigned char *p = data, *end = data + len;
		while (!err && p < end && (x = d2i_X509(NULL, &p, end - p)))
			err = chain_take(c, x, path, errbuf, errlen);
		if (!err && c->n && p != end)
			err = fail(KTLS_EINVAL, errbuf, errlen,
				   "cannot read certificate %zu of '%s': not DER", c->n + 1, path);
		return err ? err : (int)c->n;
	}
	BIO *b = BIO_new_mem_buf(data, (int)len);
	if (!b)
		return KTLS_ENOMEM;
	while (!err && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		err = chain_take(c, x, path, errbuf, errlen);
	/* The loop ends on end of input (no further PEM start line) or on a broken block. */
	if (!err && c->n && ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE)
		err = fail(KTLS_EINVAL, errbuf, errlen, "cannot read certificate %zu of '%s': %s",
			   c->n + 1, path, ossl_reason());
	BIO_free(b);
	ERR_clear_error();
	return err ? err : (int)c->n;
}

/* Reads every certificate of path into c (leaf in c->leaf). Returns 0, KTLS_EINVAL (message
 * in errbuf) or KTLS_ENOMEM. */
static int read_certs(struct ktls_cert_chain *c, const char *path, char *errbuf, size_t errlen)
{
	uint8_t *data;
	size_t len;
	int err = read_file(path, "certificate file", &data, &len, errbuf, errlen);

	if (err)
		return err;
	err = decode_certs(c, data, len, path, errbuf, errlen);
	if (err == 0) {
		/* none: a key given where the certificate belongs is worth naming */
		struct key_pass kp = { NULL, false };
		EVP_PKEY *k = decode_key(data, len, &kp);
		err = fail(KTLS_EINVAL, errbuf, errlen,
			   k || kp.asked ? "'%s' holds a private key but no certificate: give the "
					   "certificate with --cert"
					 : "'%s' holds no certificate in PEM or DER", path);
		EVP_PKEY_free(k);
	} else if (err > 0) {
		err = 0;
	} else if (err == KTLS_ENOMEM) {
		fail(err, errbuf, errlen, "out of memory loading '%s'", path);
	}
	OPENSSL_cleanse(data, len);
	free(data);
	return err;
}

/* Reads the private key of path into c->key. Returns 0, KTLS_EINVAL (message in errbuf) or
 * KTLS_ENOMEM. */
static int read_key(struct ktls_cert_chain *c, const char *path, const char *passphrase,
		    char *errbuf, size_t errlen)
{
	struct key_pass kp = { passphrase, false };
	uint8_t *data;
	size_t len;
	int err = read_file(path, "private key file", &data, &len, errbuf, errlen);

	if (err)
		return err;
	c->key = decode_key(data, len, &kp);
	if (c->key) {
		err = 0;
	} else if (kp.asked && !passphrase) {
		err = fail(KTLS_EINVAL, errbuf, errlen,
			   "'%s' is an encrypted key: give its passphrase with --key-pass", path);
	} else if (kp.asked) {
		err = fail(KTLS_EINVAL, errbuf, errlen,
			   "cannot decrypt the key '%s': wrong passphrase", path);
	} else {
		/* no key: say so plainly when the file is a certificate */
		struct ktls_cert_chain certs;
		memset(&certs, 0, sizeof(certs));
		char ignore[8];
		int n = decode_certs(&certs, data, len, path, ignore, sizeof(ignore));
		ktls_cert_chain_free(&certs);
		err = fail(KTLS_EINVAL, errbuf, errlen,
			   n > 0 ? "'%s' holds a certificate but no private key: give the key "
				   "with --key"
				 : "'%s' is not a private key in PEM or DER (PKCS#8, traditional "
				   "RSA/EC)", path);
	}
	OPENSSL_cleanse(data, len);
	free(data);
	return err;
}

/* Returns 0, KTLS_EINVAL (message in errbuf) or KTLS_ENOMEM. */
int ktls_cert_chain_load(struct ktls_cert_chain *c, const char *cert_path, const char *key_path,
			 const char *passphrase, char *errbuf, size_t errlen)
{
	int err;

	memset(c, 0, sizeof(*c));
	if (errbuf && errlen)
		errbuf[0] = 0;
	if (!cert_path || !key_path)
		return fail(KTLS_EINVAL, errbuf, errlen, "certificate and key files are required");
	err = read_certs(c, cert_path, errbuf, errlen);
	if (!err)
		err = read_key(c, key_path, passphrase, errbuf, errlen);
	/* The CertificateVerify we sign must check against the leaf we send (§4.4.3). */
	if (!err) {
		EVP_PKEY *leaf_pub = X509_get0_pubkey(c->leaf);
		if (!leaf_pub || EVP_PKEY_eq(leaf_pub, c->key) != 1)
			err = fail(KTLS_EINVAL, errbuf, errlen,
				   "the key '%s' does not match the certificate '%s'", key_path,
				   cert_path);
	}
	if (!err)
		subject_line(c->leaf, c->subject, sizeof(c->subject));
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
	if (!sni || !*sni)
		return 0;
	for (int wildcard = 0; wildcard < 2; wildcard++)
		for (size_t i = 0; i < n; i++)
			if (leaf_names(chains[i].leaf, sni, wildcard))
				return i;
	return 0;
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
	    (host && ktls_is_ip_literal(host) && !X509_VERIFY_PARAM_set1_ip_asc(param, host))) {
		err = fail(KTLS_ECRYPTO, errbuf, errlen, "certificate verify: setup failed: %s",
			   ossl_reason());
		goto out;
	}
	if (host && !ktls_is_ip_literal(host)) {
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
