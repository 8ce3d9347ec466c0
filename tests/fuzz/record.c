/*
 * record.c — fuzz target: the record reader (ktls_record_parse_header, ktls_record_open).
 *
 * Input: byte 0 picks the suite (bits 0-1: ChaCha20-Poly1305, AES-128-GCM, AES-256-GCM) and
 * the mode (bits 2-3); byte 1 the starting sequence number (bits 0-1: 0, 1, 2^64-2, 2^64-1);
 * the rest is the payload. Each suite has a fixed key and IV.
 *   mode 0  raw: the payload is a whole record, header included, as a peer sends it; its
 *           header is parsed, and the record opened when the header allows (almost never
 *           authentic: this explores the checks before the AEAD).
 *   mode 1  inner: the payload is a TLSInnerPlaintext (content, type, zero padding, as the
 *           fuzzer likes: all zeros, no type, over-long); the harness seals it with the
 *           suite's AEAD under a correct header and nonce, so ktls_record_open gets past the
 *           tag and must then find the type and strip the padding exactly as RFC 8446 §5.4
 *           says. The result is checked against a plain re-implementation.
 *   mode 2  seal: payload = type, pad (u16), content; ktls_record_seal then ktls_record_open
 *           must give back type and content.
 *   mode 3  both: mode 1's record with one bit flipped (at payload[0]) must not open.
 */
#include "aead.h"
#include "ktls.h"
#include "record.h"
#include "suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "record fuzz: check failed: %s (line %d)\n", #cond, \
				__LINE__);                                                \
			abort();                                                          \
		}                                                                         \
	} while (0)

static const uint16_t suites[8] = { 0x1303, 0x1301, 0x1302, 0x1304, 0x1305, 0x1303, 0x1301, 0x1305 };
static const uint64_t seqs[4] = { 0, 1, UINT64_MAX - 1, UINT64_MAX };

static void key_init(struct ktls_record_key *rk, const struct ktls_suite *suite, uint64_t seq)
{
	uint8_t key[KTLS_MAX_KEY_LEN], iv[KTLS_IV_LEN];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof(iv); i++)
		iv[i] = (uint8_t)(0x50 + i);
	CHECK(ktls_record_key_init(rk, suite, key, iv) == 0);
	rk->seq = seq;
}

/* §5.3: nonce = iv XOR seq (left-padded). */
static void nonce_of(const struct ktls_record_key *rk, uint8_t nonce[KTLS_IV_LEN])
{
	memcpy(nonce, rk->iv, KTLS_IV_LEN);
	for (int i = 0; i < 8; i++)
		nonce[KTLS_IV_LEN - 1 - i] ^= (uint8_t)(rk->seq >> (8 * i));
}

static void mode_raw(struct ktls_record_key *rk, const uint8_t *p, size_t n)
{
	uint8_t type, *plain;
	size_t len, plain_len;
	if (n >= TLS_RECORD_HEADER_LEN && ktls_record_parse_header(p, &type, &len) == 0) {
		CHECK(len <= TLS_MAX_CIPHERTEXT);
		CHECK(type == 20 || type == 21 || type == 22 || type == 23);
	}
	uint8_t *rec = malloc(n ? n : 1);
	CHECK(rec);
	memcpy(rec, p, n);
	uint64_t seq = rk->seq;
	int err = ktls_record_open(rk, rec, n, &type, &plain, &plain_len);
	CHECK(err ? rk->seq == seq : rk->seq == seq + 1);
	free(rec);
}

/* Seals inner as a record's TLSInnerPlaintext; returns the malloc'd record. */
static uint8_t *seal_inner(struct ktls_record_key *rk, const uint8_t *inner, size_t n,
			   size_t *rec_len)
{
	uint8_t nonce[KTLS_IV_LEN];
	size_t body = n + rk->aead.suite->tag_len;
	uint8_t *rec = malloc(TLS_RECORD_HEADER_LEN + body);
	CHECK(rec);
	rec[0] = 23;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = (uint8_t)(body >> 8);
	rec[4] = (uint8_t)body;
	nonce_of(rk, nonce);
	CHECK(ktls_aead_seal(&rk->aead, nonce, rec, TLS_RECORD_HEADER_LEN, inner, n,
			     rec + TLS_RECORD_HEADER_LEN) == 0);
	*rec_len = TLS_RECORD_HEADER_LEN + body;
	return rec;
}

static void mode_inner(struct ktls_record_key *rk, const uint8_t *p, size_t n, bool flip)
{
	if (n + rk->aead.suite->tag_len > 0xffff)
		return; /* the header's length cannot say it */
	size_t rec_len;
	uint8_t *rec = seal_inner(rk, p, n, &rec_len), type, *plain;
	size_t plain_len;
	uint64_t seq = rk->seq;
	if (flip)
		rec[TLS_RECORD_HEADER_LEN] ^= 1;
	int err = ktls_record_open(rk, rec, rec_len, &type, &plain, &plain_len);

	/* what RFC 8446 §5.2 and §5.4 say should happen */
	int want;
	size_t real = n;
	while (real > 0 && p[real - 1] == 0)
		real--;
	if (n + rk->aead.suite->tag_len > TLS_MAX_CIPHERTEXT)
		want = KTLS_EOVERFLOW;
	else if (seq == UINT64_MAX)
		want = KTLS_ESEQWRAP;
	else if (flip)
		want = KTLS_EBADMAC;
	else if (n > TLS_MAX_INNER_PLAINTEXT)
		want = KTLS_EOVERFLOW;
	else if (real == 0)
		want = KTLS_EUNEXPECTED;
	else
		want = 0;
	if (err != want) {
		fprintf(stderr, "record fuzz: open of a %zu-byte inner plaintext (seq %llu%s) gave "
			"%d, want %d\n", n, (unsigned long long)seq, flip ? ", flipped" : "", err, want);
		abort();
	}
	if (!err) {
		CHECK(type == p[real - 1]);
		CHECK(plain_len == real - 1);
		CHECK(plain == rec + TLS_RECORD_HEADER_LEN);
		CHECK(memcmp(plain, p, plain_len) == 0);
		CHECK(rk->seq == seq + 1);
	} else {
		CHECK(rk->seq == seq);
	}
	free(rec);
}

static void mode_seal(struct ktls_record_key *tx, struct ktls_record_key *rx, const uint8_t *p,
		      size_t n)
{
	if (n < 3)
		return;
	uint8_t type = p[0], got_type, *plain;
	size_t pad = (size_t)p[1] << 8 | p[2], len = n - 3, rec_len, plain_len;
	const uint8_t *content = p + 3;
	size_t cap = ktls_record_sealed_len(tx->aead.suite, len, pad);
	uint8_t *rec = malloc(cap);
	CHECK(rec);
	int err = ktls_record_seal(tx, type, content, len, pad, rec, cap, &rec_len);
	bool bad = type == 0 || len > TLS_MAX_PLAINTEXT || len + 1 + pad > TLS_MAX_INNER_PLAINTEXT;
	if (bad) {
		CHECK(err == KTLS_EINVAL);
	} else if (err) {
		CHECK(err == KTLS_ESEQWRAP);
	} else {
		CHECK(rec_len == cap);
		err = ktls_record_open(rx, rec, rec_len, &got_type, &plain, &plain_len);
		CHECK(err == 0);
		CHECK(got_type == type);
		CHECK(plain_len == len);
		CHECK(len == 0 || memcmp(plain, content, len) == 0);
	}
	free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	const struct ktls_suite *suite = ktls_suite_find(suites[data[0] & 7]);
	CHECK(suite);
	struct ktls_record_key a, b;
	key_init(&a, suite, seqs[data[1] & 3]);
	key_init(&b, suite, seqs[data[1] & 3]);
	const uint8_t *p = data + 2;
	size_t n = size - 2;
	switch ((data[0] >> 2) & 3) {
	case 0:
		mode_raw(&a, p, n);
		break;
	case 1:
		mode_inner(&a, p, n, false);
		break;
	case 2:
		mode_seal(&a, &b, p, n);
		break;
	case 3:
		if (n)
			mode_inner(&a, p, n, true);
		break;
	}
	ktls_record_key_wipe(&a);
	ktls_record_key_wipe(&b);
	return 0;
}
