/*
 * offload.h — everything that talks to the kernel's TLS (Documentation/networking/tls.rst):
 * attaching the "tls" ULP, building the tls12_crypto_info_* structures for TLS 1.3, and
 * installing them with setsockopt(SOL_TLS, TLS_TX / TLS_RX).
 *
 * The crypto_info for TLS 1.3 carries the traffic key, the 12-byte static IV and rec_seq,
 * the number of records already protected with this key (RFC 8446 §5.3: it restarts at 0
 * with every key). For AES-GCM and AES-CCM the kernel splits the IV into a 4-byte salt and
 * an 8-byte "iv"; for ChaCha20-Poly1305 it takes all 12 bytes as iv. TLS_AES_128_CCM_8_SHA256
 * has no kernel cipher at all (the kernel's CCM has a 16-byte tag): it stays in userspace.
 */
#ifndef KTLS_OFFLOAD_H
#define KTLS_OFFLOAD_H

#include <linux/tls.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "suite.h"
#include "wire.h"

/* What older <linux/tls.h> and libc headers may lack (values from the kernel UAPI). */
#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef TLS_TX_ZEROCOPY_RO
#define TLS_TX_ZEROCOPY_RO 3
#endif
#ifndef TLS_RX_EXPECT_NO_PAD
#define TLS_RX_EXPECT_NO_PAD 4
#endif
#ifndef TLS_CIPHER_CHACHA20_POLY1305
#define TLS_CIPHER_CHACHA20_POLY1305 54
struct tls12_crypto_info_chacha20_poly1305 {
	struct tls_crypto_info info;
	unsigned char iv[12];
	unsigned char key[32];
	unsigned char salt[0];
	unsigned char rec_seq[8];
};
#endif
#ifndef TLS_SET_RECORD_TYPE
#define TLS_SET_RECORD_TYPE 1
#endif
#ifndef TLS_GET_RECORD_TYPE
#define TLS_GET_RECORD_TYPE 2
#endif

union ktls_crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 aes128;
	struct tls12_crypto_info_aes_gcm_256 aes256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
	struct tls12_crypto_info_aes_ccm_128 aes128ccm;
};

/* Fills ci for suite from its key and 12-byte IV at sequence number seq; *len gets the size
 * to pass to setsockopt. Returns 0 or KTLS_EUNSUPPORTED. */
KTLS_MUST_CHECK int ktls_crypto_info_build(union ktls_crypto_info *ci, size_t *len,
					   const struct ktls_suite *suite, const uint8_t *key,
					   const uint8_t *iv, uint64_t seq);

/* The rec_seq of a crypto_info the kernel returned (getsockopt TLS_TX / TLS_RX): the
 * records protected under its key so far. Returns 0, or KTLS_EUNSUPPORTED for a cipher
 * type not ours. */
KTLS_MUST_CHECK int ktls_crypto_info_rec_seq(const union ktls_crypto_info *ci, uint64_t *seq);

/* Whether the kernel has a cipher for suite at all. Returns 0, or KTLS_EUNSUPPORTED with a
 * sentence in reason (TLS_AES_128_CCM_8_SHA256). */
KTLS_MUST_CHECK int ktls_offload_check_suite(const struct ktls_suite *suite, char *reason,
					     size_t reason_len);

/* setsockopt, swappable so tests can make the kernel say no. */
typedef int (*ktls_setsockopt_fn)(int fd, int level, int name, const void *val, socklen_t len);

/* Attaches the tls ULP. Returns 0, or KTLS_EUNSUPPORTED with a sentence in reason. */
KTLS_MUST_CHECK int ktls_offload_attach(ktls_setsockopt_fn so, int fd, char *reason,
					size_t reason_len);
/* Installs one direction (TLS_TX or TLS_RX) from a traffic secret at sequence seq: derives
 * key and IV (§7.3), builds the crypto_info, setsockopt, and wipes every copy. When rekey is
 * not NULL and the install worked, asks whether this kernel rekeys (TLS 1.3 KeyUpdate,
 * Linux 6.14+) by installing the same crypto_info again — a no-op where rekey exists, EBUSY
 * where it does not — and sets *rekey; the key is derived once for both. Returns 0, or
 * KTLS_EUNSUPPORTED with a sentence in reason. */
KTLS_MUST_CHECK int ktls_offload_install(ktls_setsockopt_fn so, int fd, int direction,
					 const struct ktls_suite *suite,
					 const uint8_t *traffic_secret, uint64_t seq, bool *rekey,
					 char *reason, size_t reason_len);

#endif
