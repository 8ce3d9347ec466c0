/*
 * certs.c — certificate chains, private keys and trust stores read from files (PEM or DER),
 * for the config (lib/config.c). The engine (lib/core) only ever sees them loaded; reading
 * files is the driver layer's, like every other system call.
 */
#include "certs.h"

#include "ktls.h"
#include "sig.h"

#include <errno.h>
#include <limits.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
		return ktls_x509_fail(KTLS_EINVAL, errbuf, errlen, "cannot open %s '%s': %s", what, path,
			    strerror(errno));
	buf = malloc(MAX_CERT_FILE + 1);
	if (!buf) {
		fclose(f);
		return ktls_x509_fail(KTLS_ENOMEM, errbuf, errlen, "out of memory loading '%s'", path);
	}
	n = fread(buf, 1, MAX_CERT_FILE + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad || n > MAX_CERT_FILE) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		return ktls_x509_fail(KTLS_EINVAL, errbuf, errlen, "cannot read %s '%s': %s", what, path,
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
			  ? ktls_x509_fail(KTLS_EINVAL, errbuf, errlen,
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
			err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen,
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
		err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen, "cannot read certificate %zu of '%s': %s",
			   c->n + 1, path, ktls_openssl_reason());
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
		err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen,
			   k || kp.asked ? "'%s' holds a private key but no certificate: give the "
					   "certificate with --cert"
					 : "'%s' holds no certificate in PEM or DER", path);
		EVP_PKEY_free(k);
	} else if (err > 0) {
		err = 0;
	} else if (err == KTLS_ENOMEM) {
		ktls_x509_fail(err, errbuf, errlen, "out of memory loading '%s'", path);
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
		err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen,
			   "'%s' is an encrypted key: give its passphrase with --key-pass", path);
	} else if (kp.asked) {
		err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen,
			   "cannot decrypt the key '%s': wrong passphrase", path);
	} else {
		/* no key: say so plainly when the file is a certificate */
		struct ktls_cert_chain certs;
		memset(&certs, 0, sizeof(certs));
		char ignore[8];
		int n = decode_certs(&certs, data, len, path, ignore, sizeof(ignore));
		ktls_cert_chain_free(&certs);
		err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen,
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
		return ktls_x509_fail(KTLS_EINVAL, errbuf, errlen, "certificate and key files are required");
	err = read_certs(c, cert_path, errbuf, errlen);
	if (!err)
		err = read_key(c, key_path, passphrase, errbuf, errlen);
	/* The CertificateVerify we sign must check against the leaf we send (§4.4.3). */
	if (!err) {
		EVP_PKEY *leaf_pub = X509_get0_pubkey(c->leaf);
		if (!leaf_pub || EVP_PKEY_eq(leaf_pub, c->key) != 1)
			err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen,
				   "the key '%s' does not match the certificate '%s'", key_path,
				   cert_path);
	}
	if (!err)
		ktls_x509_subject_line(c->leaf, c->subject, sizeof(c->subject));
	/* An Ed25519 key in libsodium's form, made here once: a config is shared read-only
	 * between threads, so nothing may be filled in lazily during a handshake. */
	if (!err && EVP_PKEY_is_a(c->key, "ED25519")) {
		c->ed25519_sk = malloc(KTLS_ED25519_SECRET_LEN);
		if (!c->ed25519_sk)
			err = KTLS_ENOMEM;
		else if (ktls_sig_ed25519_secret(c->key, c->ed25519_sk))
			err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen,
					     "cannot read the Ed25519 key '%s'", key_path);
	}
	if (err)
		ktls_cert_chain_free(c);
	ERR_clear_error();
	return err;
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
		return ktls_x509_fail(KTLS_ENOMEM, errbuf, errlen, "out of memory creating the trust store");
	if (!ca_file && !ca_dir) {
		if (!X509_STORE_set_default_paths(store))
			err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen,
				   "cannot load the system CA certificates: %s", ktls_openssl_reason());
		goto out;
	}
	if (ca_file) {
		if (access(ca_file, R_OK) != 0)
			err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen, "cannot read CA file '%s': %s",
				   ca_file, strerror(errno));
		else if (!X509_STORE_load_file(store, ca_file))
			err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen, "cannot load CA file '%s': %s",
				   ca_file, ktls_openssl_reason());
		if (err)
			goto out;
	}
	if (ca_dir) {
		/* Certificates in a directory are looked up lazily, by subject hash, during
		 * verification: check now at least that the directory is there. */
		if (stat(ca_dir, &st) != 0)
			err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen, "cannot use CA directory '%s': %s",
				   ca_dir, strerror(errno));
		else if (!S_ISDIR(st.st_mode))
			err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen,
				   "cannot use CA directory '%s': not a directory", ca_dir);
		else if (!X509_STORE_load_path(store, ca_dir))
			err = ktls_x509_fail(KTLS_EINVAL, errbuf, errlen, "cannot use CA directory '%s': %s",
				   ca_dir, ktls_openssl_reason());
	}
out:
	if (err) {
		X509_STORE_free(store);
		return err;
	}
	*out = store;
	return 0;
}
