/*
 * certs.h — reading our certificate chain and key, and a trust store, from files (the
 * driver layer: lib/core never touches a file). The chain and store are x509.h's.
 */
#ifndef KTLS_CERTS_H
#define KTLS_CERTS_H

#include "x509.h"

/* Loads the certificates of cert_path (PEM: leaf first, then intermediates; or DER, one or
 * more certificates back to back) as DER and the private key of key_path (PEM or DER;
 * PKCS#8, encrypted PKCS#8, or the traditional RSA/EC forms) into *c (overwritten; free with
 * ktls_cert_chain_free). passphrase opens an encrypted key (NULL: none; never prompted for).
 * Returns 0, or KTLS_EINVAL with a message in errbuf that says what is missing or wrong: a
 * file that cannot be read, a certificate file with no certificate (or only a key), a key
 * file with no key (or only a certificate), an encrypted key without its passphrase or with
 * a wrong one, more than KTLS_MAX_CHAIN certificates, a key that does not match the leaf;
 * KTLS_ENOMEM. */
KTLS_MUST_CHECK int ktls_cert_chain_load(struct ktls_cert_chain *c, const char *cert_path,
					 const char *key_path, const char *passphrase,
					 char *errbuf, size_t errlen);

/* A trust store from the PEM file ca_file and/or the hashed directory ca_dir (c_rehash
 * layout), or OpenSSL's default system paths when both are NULL. Returns 0 and *out (free
 * with X509_STORE_free), KTLS_EINVAL with a message in errbuf when a location cannot be
 * loaded, or KTLS_ENOMEM. */
KTLS_MUST_CHECK int ktls_trust_load(X509_STORE **out, const char *ca_file, const char *ca_dir,
				    char *errbuf, size_t errlen);

#endif
