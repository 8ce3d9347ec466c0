/*
 * record.h — TLS 1.3 record framing and userspace record protection (RFC 8446 §5).
 *
 * A ktls_record_key is one direction's protection state: the AEAD keyed with
 * [sender]_write_key, the static [sender]_write_iv, and the 64-bit sequence number, which
 * starts at 0 for every new key (§5.3). Sealing builds
 *
 *   TLSCiphertext = opaque_type(23) | legacy_record_version(0x0303) | length | encrypted
 *   encrypted     = AEAD(key, nonce = iv XOR seq, aad = the 5 header bytes,
 *                        TLSInnerPlaintext = content | type | zeros[pad])
 *
 * and opening reverses it, strips the padding and finds the real content type. The kernel's
 * TLS_TX/TLS_RX take the same key, iv and the sequence number as rec_seq, so this file and
 * the kernel must agree byte for byte; the RFC 8448 vectors hold us to that.
 */
#ifndef KTLS_RECORD_H
#define KTLS_RECORD_H

#include <stdbool.h>

#include "aead.h"
#include "suite.h"
#include "wire.h"

#define TLS_RECORD_HEADER_LEN 5
#define TLS_MAX_PLAINTEXT (1u << 14)                     /* §5.1 */
#define TLS_MAX_INNER_PLAINTEXT (TLS_MAX_PLAINTEXT + 1)  /* content + type + padding, §5.4 */
#define TLS_MAX_CIPHERTEXT (TLS_MAX_PLAINTEXT + 256)     /* §5.2 */
#define TLS_MAX_RECORD (TLS_RECORD_HEADER_LEN + TLS_MAX_CIPHERTEXT)
#define TLS_LEGACY_RECORD_VERSION 0x0303

enum tls_content_type {
	TLS_CONTENT_INVALID = 0,
	TLS_CONTENT_CHANGE_CIPHER_SPEC = 20,
	TLS_CONTENT_ALERT = 21,
	TLS_CONTENT_HANDSHAKE = 22,
	TLS_CONTENT_APPLICATION_DATA = 23,
};

struct ktls_record_key {
	struct ktls_aead aead;
	uint8_t iv[KTLS_IV_LEN];
	uint64_t seq; /* of the next record */
};

/* Keys one direction from key material (suite->key_len key bytes, 12 iv bytes); seq = 0. */
KTLS_MUST_CHECK int ktls_record_key_init(struct ktls_record_key *rk,
					 const struct ktls_suite *suite, const uint8_t *key,
					 const uint8_t *iv);
/* The same from a traffic secret, deriving key and iv by §7.3 and wiping them after. */
KTLS_MUST_CHECK int ktls_record_key_from_secret(struct ktls_record_key *rk,
						const struct ktls_suite *suite,
						const uint8_t *traffic_secret);
void ktls_record_key_wipe(struct ktls_record_key *rk);

/* The record that seal writes under suite for len content bytes and pad padding bytes (the
 * tag is the suite's: 16 bytes, 8 for CCM_8). */
static inline size_t ktls_record_sealed_len(const struct ktls_suite *suite, size_t len,
					    size_t pad)
{
	return TLS_RECORD_HEADER_LEN + len + 1 + pad + suite->tag_len;
}

/* Writes one protected record of content type `type` holding data[0..len) followed by pad
 * zero bytes of padding, into out (capacity cap; *out_len receives its size), and advances
 * the sequence number. data lies at out + TLS_RECORD_HEADER_LEN (content built in place) or
 * outside the record; either way it is encrypted from there, not copied first. Returns 0; KTLS_EINVAL when len exceeds 2^14, len + 1 + pad exceeds
 * 2^14 + 1, or type is 0; KTLS_ENOSPACE; KTLS_ESEQWRAP when the key has protected its last record; KTLS_ECRYPTO. */
KTLS_MUST_CHECK int ktls_record_seal(struct ktls_record_key *rk, uint8_t type,
				     const uint8_t *data, size_t len, size_t pad, uint8_t *out,
				     size_t cap, size_t *out_len);

/* Checks a record header (§5.1): a known content type and a length within 2^14 + 256.
 * legacy_record_version is ignored, as §5.1 requires. Returns 0, KTLS_EUNEXPECTED for an
 * unknown type, KTLS_EOVERFLOW for a length over the limit. */
KTLS_MUST_CHECK int ktls_record_parse_header(const uint8_t hdr[TLS_RECORD_HEADER_LEN],
					     uint8_t *type, size_t *len);

/* Opens one protected record (header included, exactly len bytes) in place: *type gets the
 * real content type, *plain and *plain_len the content inside record. Advances the sequence
 * number on success only. Returns 0; KTLS_EUNEXPECTED when the outer type is not
 * application_data or the padding holds no content type; KTLS_EDECODE when the header's
 * length does not match len; KTLS_EOVERFLOW for a ciphertext over 2^14 + 256 or a plaintext
 * over 2^14 + 1; KTLS_EBADMAC when it does not authenticate; KTLS_ESEQWRAP. */
KTLS_MUST_CHECK int ktls_record_open(struct ktls_record_key *rk, uint8_t *record, size_t len,
				     uint8_t *type, uint8_t **plain, size_t *plain_len);

#endif
