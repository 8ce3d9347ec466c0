/*
 * x509.h — certificates for TLS 1.3 authentication (RFC 8446 §4.4.2): our own chain and key,
 * the trust store, and verification of the peer's chain, through OpenSSL's X509 API.
 *
 * Chains travel as DER blobs, leaf first (§4.4.2: "The sender's certificate MUST come in the
 * first CertificateEntry"), which is what the Certificate message carries; OpenSSL objects
 * stay inside this file except for the EVP_PKEY keys handed to sig.h and the X509_STORE the
 * configuration owns. A verification failure comes back as the code whose alert reports it
 * (unknown_ca, certificate_expired, bad_certificate) with a human message in errbuf.
 */
#ifndef KTLS_X509_H
#define KTLS_X509_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"

#include "wire.h"


struct ktls_cert_chain {
	uint8_t *der[KTLS_MAX_CHAIN]; /* leaf first */
	size_t der_len[KTLS_MAX_CHAIN];
	size_t n;
	EVP_PKEY *key;     /* the leaf's private key */
	uint8_t *ed25519_sk; /* an Ed25519 key's libsodium form (KTLS_ED25519_SECRET_LEN bytes,
			      * ktls_sig_ed25519_secret), made once at load, or NULL; heap, so
			      * copies of this struct do not copy the secret */
	X509 *leaf;        /* the leaf, parsed: its names are matched against SNI */
	char subject[256]; /* the leaf's one-line subject ("CN=localhost") */
};

/* Server: which of n chains to send to a client that asked for sni (NULL: no SNI). The first
 * whose leaf names sni exactly, else the first whose leaf names it by a wildcard, else the
 * first chain, the default (as nginx chooses). Returns an index below n (0 when n is 0). */
size_t ktls_cert_choose(const struct ktls_cert_chain *chains, size_t n, const char *sni);

/* Frees and zeroes *c; safe on a zeroed or already freed chain. Returns nothing. */
void ktls_cert_chain_free(struct ktls_cert_chain *c);

/* Writes a message into errbuf (which may be NULL) and clears OpenSSL's error queue.
 * Returns err, for `return ktls_x509_fail(...)`. */
int ktls_x509_fail(int err, char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* OpenSSL's reason for its latest error, or a placeholder when it gave none. */
const char *ktls_openssl_reason(void);
/* The one-line subject of x ("CN=localhost"), truncated to len. */
void ktls_x509_subject_line(X509 *x, char *buf, size_t len);

/* Whether host is a literal IPv4 or IPv6 address (RFC 6066 §3: never a server_name; an
 * IP address is checked against the certificate's iPAddress names instead). */
bool ktls_is_ip_literal(const char *host);

/* Verifies the peer's chain (n DER certificates, leaf first) against store at the current
 * time, for a TLS server (verifying_server != 0: serverAuth) or client (clientAuth). When
 * host is not NULL the leaf must be valid for it: as an IP address when it parses as IPv4 or
 * IPv6, else as a DNS name. Returns 0, *leaf_key (the leaf's public key; caller frees with
 * EVP_PKEY_free) and the leaf's subject as one line ("CN=localhost", truncated to
 * subject_len; subject may be NULL); or, with a message in errbuf:
 *   KTLS_EUNKNOWNCA     the chain does not lead to a trusted root
 *   KTLS_ECERTEXPIRED   a certificate is expired or not yet valid
 *   KTLS_EBADCERT       not valid for host, not parseable, no certificate, any other failure
 *   KTLS_EINVAL         store is NULL, or host is "" (which OpenSSL would take as "any")
 *   KTLS_ENOMEM, KTLS_ECRYPTO */
KTLS_MUST_CHECK int ktls_verify_chain(X509_STORE *store, const uint8_t *const *der,
				      const size_t *der_len, size_t n, int verifying_server,
				      const char *host, EVP_PKEY **leaf_key, char *subject,
				      size_t subject_len, char *errbuf, size_t errlen);

/* Without verification (insecure mode): parses the leaf and gives its public key (caller
 * frees) and one-line subject. Returns 0, or KTLS_EBADCERT when the DER does not parse (or
 * its key is of a type OpenSSL does not know). */
KTLS_MUST_CHECK int ktls_cert_leaf_key(const uint8_t *der, size_t len, EVP_PKEY **leaf_key,
				       char *subject, size_t subject_len);

#endif
