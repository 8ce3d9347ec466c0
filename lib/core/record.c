/*
 * record.c — TLS 1.3 record protection (RFC 8446 §5.2–§5.4). See record.h.
 */
#include "record.h"

#include "keysched.h"
#include "ktls.h"

#include <sodium.h>
#include <string.h>

int ktls_record_key_init(struct ktls_record_key *rk, const struct ktls_suite *suite,
			 const uint8_t *key, const uint8_t *iv)
{
	memset(rk, 0, sizeof(*rk));
	int err = ktls_aead_init(&rk->aead, suite, key);
	if (err)
		return err;
	memcpy(rk->iv, iv, KTLS_IV_LEN);
	rk->seq = 0;
	return 0;
}

int ktls_record_key_from_secret(struct ktls_record_key *rk, const struct ktls_suite *suite,
				const uint8_t *traffic_secret)
{
	struct ktls_traffic_keys keys;
	int err = ktls_derive_traffic_keys(suite, traffic_secret, &keys);
	if (!err)
		err = ktls_record_key_init(rk, suite, keys.key, keys.iv);
	sodium_memzero(&keys, sizeof(keys));
	return err;
}

void ktls_record_key_wipe(struct ktls_record_key *rk)
{
	ktls_aead_free(&rk->aead);
	sodium_memzero(rk, sizeof(*rk));
}

/* §5.3: the 64-bit sequence number, big-endian and left-padded with zeros to iv_length,
 * XORed with the static iv. */
static void record_nonce(const struct ktls_record_key *rk, uint8_t nonce[KTLS_IV_LEN])
{
	memcpy(nonce, rk->iv, KTLS_IV_LEN);
	for (unsigned i = 0; i < 8; i++)
		nonce[KTLS_IV_LEN - 1 - i] ^= (uint8_t)(rk->seq >> (8 * i));
}

/* §5.3: a sequence number never wraps. We stop one short of 2^64 - 1 so the check is a
 * single compare; no connection gets near it. */
static int record_seq_check(const struct ktls_record_key *rk)
{
	return rk->seq == UINT64_MAX ? KTLS_ESEQWRAP : 0;
}

int ktls_record_seal(struct ktls_record_key *rk, uint8_t type, const uint8_t *data,
		     size_t len, size_t pad, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t nonce[KTLS_IV_LEN];
	struct wire_writer w;
	uint8_t *inner;

	/* §5.1/§5.4: at most 2^14 content bytes, and content + type + padding at most 2^14+1. */
	if (type == TLS_CONTENT_INVALID || len > TLS_MAX_PLAINTEXT ||
	    pad > TLS_MAX_INNER_PLAINTEXT - 1 - len)
		return KTLS_EINVAL;
	int err = record_seq_check(rk);
	if (err)
		return err;

	size_t inner_len = len + 1 + pad, tag_len = rk->aead.suite->tag_len;
	wire_writer_init(&w, out, cap);
	err = wire_put_u8(&w, TLS_CONTENT_APPLICATION_DATA);
	if (!err)
		err = wire_put_u16(&w, TLS_LEGACY_RECORD_VERSION);
	if (!err)
		err = wire_put_u16(&w, (uint16_t)(inner_len + tag_len));
	if (!err)
		err = wire_reserve(&w, inner_len + tag_len, &inner);
	if (err)
		return err;

	/* TLSInnerPlaintext: content, then the real type, then zero padding (§5.2). The type
	 * and padding are written in place and the content is encrypted from where it lies (the
	 * caller's buffer, or out + TLS_RECORD_HEADER_LEN when the caller built it there): no
	 * copy of the content first. */
	inner[len] = type;
	memset(inner + len + 1, 0, pad);

	record_nonce(rk, nonce);
	err = ktls_aead_seal_gather(&rk->aead, nonce, out, TLS_RECORD_HEADER_LEN, data, len,
				    inner_len, inner);
	if (err) {
		sodium_memzero(out, w.len);
		return err;
	}
	rk->seq++;
	*out_len = w.len;
	return 0;
}

int ktls_record_parse_header(const uint8_t hdr[TLS_RECORD_HEADER_LEN], uint8_t *type,
			     size_t *len)
{
	struct wire_reader r;
	uint16_t version, length;
	uint8_t t;

	wire_reader_init(&r, hdr, TLS_RECORD_HEADER_LEN);
	if (wire_get_u8(&r, &t) || wire_get_u16(&r, &version) || wire_get_u16(&r, &length))
		return KTLS_EDECODE; /* unreachable: the header is 5 bytes */
	(void)version; /* §5.1: legacy_record_version MUST be ignored */
	switch (t) {
	case TLS_CONTENT_CHANGE_CIPHER_SPEC:
	case TLS_CONTENT_ALERT:
	case TLS_CONTENT_HANDSHAKE:
	case TLS_CONTENT_APPLICATION_DATA:
		break;
	default:
		return KTLS_EUNEXPECTED; /* §5: unknown content type → unexpected_message */
	}
	if (length > TLS_MAX_CIPHERTEXT)
		return KTLS_EOVERFLOW;
	*type = t;
	*len = length;
	return 0;
}

int ktls_record_open(struct ktls_record_key *rk, uint8_t *record, size_t len, uint8_t *type,
		     uint8_t **plain, size_t *plain_len)
{
	uint8_t nonce[KTLS_IV_LEN];
	uint8_t outer;
	size_t body_len;

	if (len < TLS_RECORD_HEADER_LEN)
		return KTLS_EDECODE;
	int err = ktls_record_parse_header(record, &outer, &body_len);
	if (err)
		return err;
	if (body_len != len - TLS_RECORD_HEADER_LEN)
		return KTLS_EDECODE;
	if (outer != TLS_CONTENT_APPLICATION_DATA)
		return KTLS_EUNEXPECTED;
	err = record_seq_check(rk);
	if (err)
		return err;

	uint8_t *body = record + TLS_RECORD_HEADER_LEN;
	record_nonce(rk, nonce);
	err = ktls_aead_open(&rk->aead, nonce, record, TLS_RECORD_HEADER_LEN, body, body_len, body);
	if (err)
		return err; /* too short for a tag, or forged: bad_record_mac (§5.2) */
	size_t inner_len = body_len - rk->aead.suite->tag_len;

	/* §5.4: the real type is the last non-zero byte; all zeros is unexpected_message. */
	if (inner_len > TLS_MAX_INNER_PLAINTEXT)
		return KTLS_EOVERFLOW;
	while (inner_len > 0 && body[inner_len - 1] == 0)
		inner_len--;
	if (inner_len == 0)
		return KTLS_EUNEXPECTED;
	*type = body[inner_len - 1];
	*plain = body;
	*plain_len = inner_len - 1;
	rk->seq++;
	return 0;
}
