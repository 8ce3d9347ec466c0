/*
 * offload.c — attaching the tls ULP and installing TLS 1.3 keys in the kernel (offload.h).
 *
 * Nothing fallible happens after the kernel has accepted a key: the caller checks its
 * preconditions (handshake done, nothing buffered) first, and here the only step after
 * setsockopt is wiping our copies.
 */
#include "offload.h"

#include "keysched.h"
#include "ktls.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

int ktls_crypto_info_build(union ktls_crypto_info *ci, size_t *len, const struct ktls_suite *suite,
			   const uint8_t *key, const uint8_t *iv, uint64_t seq)
{
	uint8_t rec_seq[8];
	for (int i = 0; i < 8; i++)
		rec_seq[i] = (uint8_t)(seq >> (56 - 8 * i));
	memset(ci, 0, sizeof(*ci));
	ci->info.version = TLS_1_3_VERSION;
	/* AES-GCM and AES-CCM: the 12-byte IV is split into salt(4) || iv(8) */
#define SALTED(dst, cipher, key_len)                                                           \
	(ci->info.cipher_type = (cipher), memcpy((dst).salt, iv, 4), memcpy((dst).iv, iv + 4, 8), \
	 memcpy((dst).key, key, (key_len)), memcpy((dst).rec_seq, rec_seq, 8),                 \
	 *len = sizeof(dst), 0)
	switch (suite->aead) {
	case KTLS_AEAD_AES_128_GCM:
		return SALTED(ci->aes128, TLS_CIPHER_AES_GCM_128, 16);
	case KTLS_AEAD_AES_256_GCM:
		return SALTED(ci->aes256, TLS_CIPHER_AES_GCM_256, 32);
	case KTLS_AEAD_AES_128_CCM:
		return SALTED(ci->aes128ccm, TLS_CIPHER_AES_CCM_128, 16);
	case KTLS_AEAD_CHACHA20_POLY1305:
		ci->info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		memcpy(ci->chacha.iv, iv, 12);
		memcpy(ci->chacha.key, key, 32);
		memcpy(ci->chacha.rec_seq, rec_seq, 8);
		*len = sizeof(ci->chacha);
		return 0;
	case KTLS_AEAD_AES_128_CCM_8: /* no kernel cipher: see ktls_offload_check_suite */
		break;
	}
#undef SALTED
	return KTLS_EUNSUPPORTED;
}

int ktls_crypto_info_rec_seq(const union ktls_crypto_info *ci, uint64_t *seq)
{
	const unsigned char *p;
	switch (ci->info.cipher_type) {
	case TLS_CIPHER_AES_GCM_128: p = ci->aes128.rec_seq; break;
	case TLS_CIPHER_AES_GCM_256: p = ci->aes256.rec_seq; break;
	case TLS_CIPHER_AES_CCM_128: p = ci->aes128ccm.rec_seq; break;
	case TLS_CIPHER_CHACHA20_POLY1305: p = ci->chacha.rec_seq; break;
	default: return KTLS_EUNSUPPORTED;
	}
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) /* big-endian, as the record nonce uses it (§5.3) */
		v = v << 8 | p[i];
	*seq = v;
	return 0;
}

int ktls_offload_check_suite(const struct ktls_suite *suite, char *reason, size_t reason_len)
{
	if (suite->aead != KTLS_AEAD_AES_128_CCM_8)
		return 0;
	snprintf(reason, reason_len, "%s has no kernel TLS cipher (the kernel's AES-CCM has a "
		 "16-byte tag only): records stay in userspace", suite->name);
	return KTLS_EUNSUPPORTED;
}

int ktls_offload_attach(ktls_setsockopt_fn so, int fd, char *reason, size_t reason_len)
{
	if (so(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) == 0)
		return 0;
	int e = errno;
	if (e == ENOENT)
		snprintf(reason, reason_len,
			 "the kernel has no tls ULP (CONFIG_TLS not built or the tls module not loaded)");
	else if (e == EOPNOTSUPP || e == ENOPROTOOPT)
		snprintf(reason, reason_len, "kernel TLS needs a TCP socket (TCP_ULP: %s)", strerror(e));
	else if (e == ENOTCONN)
		snprintf(reason, reason_len, "kernel TLS needs a connected socket (TCP_ULP: %s)",
			 strerror(e));
	else
		snprintf(reason, reason_len, "setsockopt(TCP_ULP, \"tls\"): %s", strerror(e));
	return KTLS_EUNSUPPORTED;
}

int ktls_offload_install(ktls_setsockopt_fn so, int fd, int direction,
			 const struct ktls_suite *suite, const uint8_t *traffic_secret, uint64_t seq,
			 bool *rekey, char *reason, size_t reason_len)
{
	struct ktls_traffic_keys keys;
	union ktls_crypto_info ci;
	size_t len;
	const char *dir = direction == TLS_TX ? "TLS_TX" : "TLS_RX";

	int err = ktls_derive_traffic_keys(suite, traffic_secret, &keys);
	if (!err)
		err = ktls_crypto_info_build(&ci, &len, suite, keys.key, keys.iv, seq);
	sodium_memzero(&keys, sizeof(keys));
	if (err) {
		snprintf(reason, reason_len, "cannot build the %s key for %s", dir, suite->name);
		return err;
	}
	int rc = so(fd, SOL_TLS, direction, &ci, (socklen_t)len);
	int e = errno;
	/* Nothing has been sent under this key yet, so installing it again disturbs nothing. */
	if (rc == 0 && rekey)
		*rekey = so(fd, SOL_TLS, direction, &ci, (socklen_t)len) == 0;
	sodium_memzero(&ci, sizeof(ci));
	if (rc == 0)
		return 0;
	if (e == EINVAL || e == ENOENT || e == ENOPROTOOPT)
		snprintf(reason, reason_len, "the kernel refused %s for %s (%s): cipher not built "
			 "(CONFIG_CRYPTO_%s) or TLS 1.3 unsupported", dir, suite->name, strerror(e),
			 suite->aead == KTLS_AEAD_CHACHA20_POLY1305 ? "CHACHA20POLY1305"
			 : suite->aead == KTLS_AEAD_AES_128_CCM	    ? "CCM"
								    : "GCM");
	else
		snprintf(reason, reason_len, "setsockopt(SOL_TLS, %s) for %s: %s", dir, suite->name,
			 strerror(e));
	return KTLS_EUNSUPPORTED;
}
