/*
 * sig.h — CertificateVerify signatures of TLS 1.3 (RFC 8446 §4.4.3) under the signature
 * schemes of §4.2.3: Ed25519 through libsodium, the others through OpenSSL EVP. Keys are
 * EVP_PKEYs either way (OpenSSL loads and matches them); an Ed25519 signer may keep
 * libsodium's form of its key beside it (ktls_sig_ed25519_secret), made once when the key
 * is loaded.
 *
 * What is signed is not the transcript hash itself but ktls_cv_content(): 64 spaces, a
 * context string naming the signer's role, a zero byte, then the hash, so a signature made
 * for one role or protocol cannot be replayed as another. Schemes:
 *
 *   ed25519                  0x0807  Ed25519 key, pure EdDSA (one-shot, no pre-hash)
 *   ecdsa_secp256r1_sha256   0x0403  P-256 key, DER-encoded ECDSA-Sig-Value
 *   ecdsa_secp384r1_sha384   0x0503  P-384 key
 *   rsa_pss_rsae_sha256/384/512  0x0804-6  rsaEncryption key, RSASSA-PSS, MGF1 with the same
 *                                hash, salt length = hash length (§4.2.3)
 *
 * rsa_pkcs1_* are refused: TLS 1.3 allows them in certificates only, never in
 * CertificateVerify (§4.2.3).
 */
#ifndef KTLS_SIG_H
#define KTLS_SIG_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* 64 spaces + 33-byte context string + 0 byte + the longest hash (SHA-512). */
#define KTLS_CV_CONTENT_MAX (64 + 33 + 1 + 64)

/* The content a CertificateVerify signs (§4.4.3): 64 bytes 0x20, "TLS 1.3, server
 * CertificateVerify" (server != 0) or "TLS 1.3, client CertificateVerify", one 0 byte, then
 * the transcript hash. out must hold KTLS_CV_CONTENT_MAX bytes. Returns 0 and *out_len, or
 * KTLS_EINVAL when hash_len is 0 or above 64. */
KTLS_MUST_CHECK int ktls_cv_content(int server, const uint8_t *transcript_hash, size_t hash_len,
				    uint8_t *out, size_t *out_len);

/* Returns 1 when key can make and check scheme in a TLS 1.3 CertificateVerify, else 0
 * (always 0 for rsa_pkcs1_* and for schemes we do not implement). */
int ktls_sig_scheme_fits_key(uint16_t scheme, EVP_PKEY *key);

/* Our scheme for signing with key: the first of our preference list (ed25519,
 * ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, rsa_pss_rsae_sha256/384/512) that the peer
 * offered (peer_offered: n big-endian u16 values, as a ktls_u16_list) and key fits. Returns 0
 * and *scheme, or KTLS_EHANDSHAKE when there is none (handshake_failure). */
KTLS_MUST_CHECK int ktls_sig_choose(EVP_PKEY *key, const uint8_t *peer_offered, size_t n,
				    uint16_t *scheme);

/* libsodium's Ed25519 secret key: the RFC 8032 seed, then the public key. */
#define KTLS_ED25519_SECRET_LEN 64

/* Writes libsodium's form of the Ed25519 private key key to sk, for ktls_sig_sign; the
 * caller wipes it (sodium_memzero) when done. Returns 0, KTLS_EINVAL when key is not an
 * Ed25519 private key, or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_sig_ed25519_secret(EVP_PKEY *key, uint8_t sk[KTLS_ED25519_SECRET_LEN]);

/* Signs msg with key under scheme; sig has room for sig_cap bytes (EVP_PKEY_get_size(key)
 * is always enough). ed25519_sk: for an Ed25519 key, its ktls_sig_ed25519_secret (so a
 * signature needs no extraction), or NULL to extract it for this signature; ignored for
 * other keys. Returns 0 and *sig_len, KTLS_EINVAL when the scheme does not fit the key,
 * KTLS_ENOSPACE when sig_cap may be too small, KTLS_ENOMEM or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_sig_sign(EVP_PKEY *key, const uint8_t *ed25519_sk, uint16_t scheme,
				  const uint8_t *msg, size_t len, uint8_t *sig, size_t *sig_len,
				  size_t sig_cap);

/* Checks the peer's signature sig over msg with its public key under scheme. Returns 0,
 * KTLS_EDECRYPT when the signature does not verify (§4.4.3: decrypt_error), KTLS_EILLEGAL
 * when the scheme does not fit the key or is not allowed in a TLS 1.3 CertificateVerify
 * (rsa_pkcs1_*, unknown schemes), KTLS_ENOMEM or KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_sig_verify(EVP_PKEY *pub, uint16_t scheme, const uint8_t *msg,
				    size_t len, const uint8_t *sig, size_t sig_len);

/* The schemes we can verify, in our order of preference, for our signature_algorithms
 * extension (§4.2.3). */
extern const uint16_t ktls_sig_schemes_supported[];
extern const size_t ktls_sig_schemes_supported_n;
/* What we accept in certificate signatures, to advertise in signature_algorithms_cert. */
extern const uint16_t ktls_sig_schemes_cert[];
extern const size_t ktls_sig_schemes_cert_n;

#endif
