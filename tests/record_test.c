/*
 * record_test.c — TLS 1.3 record protection (lib/core/record.c).
 *
 * RFC 8448 §3: sealing each plaintext with the keys derived from the listed traffic
 * secrets must reproduce every encrypted record of the trace exactly (the server's whole
 * handshake flight, the client Finished, the ticket, application data and alerts), and
 * opening them must give the plaintext back. Then, for every suite: padding, content types,
 * sequence numbers, the 2^14 limits, and the failures a peer can cause.
 */
#include "harness.h"

#include "keysched.h"
#include "ktls.h"
#include "record.h"
#include "support/vectors.h"

#include <stdlib.h>
#include <string.h>

struct trace_record {
	const char *secret;    /* traffic secret entry that protects it */
	uint64_t seq;          /* its sequence number under that key */
	uint8_t type;          /* the inner content type */
	const char *plain[4];  /* the plaintext: these entries concatenated */
	const char *record;    /* the complete record on the wire */
};

static const struct trace_record trace[] = {
	{ "server_handshake_traffic_secret", 0, TLS_CONTENT_HANDSHAKE,
	  { "encrypted_extensions", "certificate", "certificate_verify", "server_finished" },
	  "server_handshake_flight_record" },
	{ "client_handshake_traffic_secret", 0, TLS_CONTENT_HANDSHAKE, { "client_finished" },
	  "client_finished_record" },
	{ "server_application_traffic_secret", 0, TLS_CONTENT_HANDSHAKE, { "new_session_ticket" },
	  "new_session_ticket_record" },
	{ "client_application_traffic_secret", 0, TLS_CONTENT_APPLICATION_DATA,
	  { "client_application_data" }, "client_application_data_record" },
	{ "server_application_traffic_secret", 1, TLS_CONTENT_APPLICATION_DATA,
	  { "server_application_data" }, "server_application_data_record" },
	{ "client_application_traffic_secret", 1, TLS_CONTENT_ALERT, { "client_alert" },
	  "client_alert_record" },
	{ "server_application_traffic_secret", 2, TLS_CONTENT_ALERT, { "server_alert" },
	  "server_alert_record" },
};

FIXTURE(rfc8448)
{
	struct vec_file *vf;
	const struct ktls_suite *suite;
	struct ktls_record_key rk;
	uint8_t plain[4096];
	size_t plain_len;
};

FIXTURE_VARIANT(rfc8448)
{
	unsigned index;
};

FIXTURE_VARIANT_ADD(rfc8448, server_handshake_flight) { .index = 0 };
FIXTURE_VARIANT_ADD(rfc8448, client_finished) { .index = 1 };
FIXTURE_VARIANT_ADD(rfc8448, new_session_ticket) { .index = 2 };
FIXTURE_VARIANT_ADD(rfc8448, client_application_data) { .index = 3 };
FIXTURE_VARIANT_ADD(rfc8448, server_application_data) { .index = 4 };
FIXTURE_VARIANT_ADD(rfc8448, client_alert) { .index = 5 };
FIXTURE_VARIANT_ADD(rfc8448, server_alert) { .index = 6 };

FIXTURE_SETUP(rfc8448)
{
	const struct trace_record *t = &trace[variant->index];

	self->vf = vec_load("rfc8448-1rtt.txt");
	self->suite = ktls_suite_find(KTLS_TLS_AES_128_GCM_SHA256);
	ASSERT_EQ(0, ktls_record_key_from_secret(&self->rk, self->suite,
						 vec_get(self->vf, 0, t->secret)->bytes));
	self->rk.seq = t->seq;
	self->plain_len = 0;
	for (unsigned i = 0; i < 4 && t->plain[i]; i++) {
		const struct vec *v = vec_get(self->vf, 0, t->plain[i]);
		ASSERT_TRUE(self->plain_len + v->len <= sizeof(self->plain));
		memcpy(self->plain + self->plain_len, v->bytes, v->len);
		self->plain_len += v->len;
	}
}

FIXTURE_TEARDOWN(rfc8448)
{
	ktls_record_key_wipe(&self->rk);
	vec_free(self->vf);
}

TEST_F(rfc8448, seal_reproduces_the_record)
{
	const struct trace_record *t = &trace[variant->index];
	const struct vec *want = vec_get(self->vf, 0, t->record);
	uint8_t out[4096];
	size_t out_len = 0;

	ASSERT_EQ(0, ktls_record_seal(&self->rk, t->type, self->plain, self->plain_len, 0, out,
				      sizeof(out), &out_len));
	ASSERT_EQ(want->len, out_len);
	ASSERT_MEMEQ(want->bytes, out, out_len);
	EXPECT_EQ(t->seq + 1, self->rk.seq);
}

TEST_F(rfc8448, open_recovers_the_plaintext)
{
	const struct trace_record *t = &trace[variant->index];
	const struct vec *rec = vec_get(self->vf, 0, t->record);
	uint8_t buf[4096], *plain, type;
	size_t plain_len;

	ASSERT_TRUE(rec->len <= sizeof(buf));
	memcpy(buf, rec->bytes, rec->len);
	ASSERT_EQ(0, ktls_record_open(&self->rk, buf, rec->len, &type, &plain, &plain_len));
	EXPECT_EQ(t->type, type);
	ASSERT_EQ(self->plain_len, plain_len);
	ASSERT_MEMEQ(self->plain, plain, plain_len);
	EXPECT_EQ(t->seq + 1, self->rk.seq);
}

TEST_F(rfc8448, wrong_sequence_number_fails)
{
	const struct trace_record *t = &trace[variant->index];
	const struct vec *rec = vec_get(self->vf, 0, t->record);
	uint8_t buf[4096], *plain, type;
	size_t plain_len;

	memcpy(buf, rec->bytes, rec->len);
	self->rk.seq = t->seq + 1;
	ASSERT_EQ(KTLS_EBADMAC, ktls_record_open(&self->rk, buf, rec->len, &type, &plain, &plain_len));
	EXPECT_EQ(t->seq + 1, self->rk.seq); /* not advanced by a failure */
}

/* Every suite: a sender and a receiver keyed alike, as two ends of a connection. */
FIXTURE(suite)
{
	const struct ktls_suite *suite;
	struct ktls_record_key tx, rx;
	uint8_t buf[TLS_MAX_RECORD + 64];
};

FIXTURE_VARIANT(suite)
{
	uint16_t suite;
};

FIXTURE_VARIANT_ADD(suite, chacha20_poly1305) { .suite = KTLS_TLS_CHACHA20_POLY1305_SHA256 };
FIXTURE_VARIANT_ADD(suite, aes_128_gcm) { .suite = KTLS_TLS_AES_128_GCM_SHA256 };
FIXTURE_VARIANT_ADD(suite, aes_256_gcm) { .suite = KTLS_TLS_AES_256_GCM_SHA384 };
FIXTURE_VARIANT_ADD(suite, aes_128_ccm) { .suite = KTLS_TLS_AES_128_CCM_SHA256 };
FIXTURE_VARIANT_ADD(suite, aes_128_ccm_8) { .suite = KTLS_TLS_AES_128_CCM_8_SHA256 };

FIXTURE_SETUP(suite)
{
	uint8_t secret[48];

	self->suite = ktls_suite_find(variant->suite);
	ASSERT_NONNULL(self->suite);
	for (unsigned i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 13 + 5);
	ASSERT_EQ(0, ktls_record_key_from_secret(&self->tx, self->suite, secret));
	ASSERT_EQ(0, ktls_record_key_from_secret(&self->rx, self->suite, secret));
}

FIXTURE_TEARDOWN(suite)
{
	ktls_record_key_wipe(&self->tx);
	ktls_record_key_wipe(&self->rx);
}

/* Seals data and opens it on the other side; returns the open result. */
static int seal_open(struct ktls_record_key *tx, struct ktls_record_key *rx, uint8_t *buf,
		     uint8_t type, const uint8_t *data, size_t len, size_t pad, uint8_t *got_type,
		     uint8_t **plain, size_t *plain_len)
{
	size_t n = 0;
	int err = ktls_record_seal(tx, type, data, len, pad, buf, TLS_MAX_RECORD + 64, &n);
	if (err)
		return err;
	if (n != ktls_record_sealed_len(tx->aead.suite, len, pad))
		return KTLS_EINTERNAL;
	return ktls_record_open(rx, buf, n, got_type, plain, plain_len);
}

TEST_F(suite, round_trip_with_padding)
{
	static uint8_t data[TLS_MAX_PLAINTEXT];
	static const size_t lens[] = { 0, 1, 100, TLS_MAX_PLAINTEXT - 1, TLS_MAX_PLAINTEXT };
	static const size_t pads[] = { 0, 1, 255 };
	uint8_t type, *plain;
	size_t plain_len;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ (i >> 8));
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (unsigned j = 0; j < sizeof(pads) / sizeof(pads[0]); j++) {
			size_t pad = pads[j];
			if (lens[i] + 1 + pad > TLS_MAX_INNER_PLAINTEXT)
				pad = TLS_MAX_INNER_PLAINTEXT - 1 - lens[i];
			ASSERT_EQ(0, seal_open(&self->tx, &self->rx, self->buf,
					       TLS_CONTENT_APPLICATION_DATA, data, lens[i], pad,
					       &type, &plain, &plain_len));
			ASSERT_EQ(TLS_CONTENT_APPLICATION_DATA, type);
			ASSERT_EQ(lens[i], plain_len);
			ASSERT_MEMEQ(data, plain, plain_len);
		}
	}
	EXPECT_EQ(15u, self->tx.seq);
	EXPECT_EQ(15u, self->rx.seq);
}

/* The caller's content sealed from its own buffer and the same content built in place at
 * out + 5 (both ways record.h allows) make the same record, with and without padding. */
TEST_F(suite, content_in_place_or_elsewhere_seals_alike)
{
	static uint8_t data[TLS_MAX_PLAINTEXT], other[TLS_MAX_RECORD];
	static const size_t lens[] = { 0, 1, 63, 64, 65, 1000, TLS_MAX_PLAINTEXT };
	struct ktls_record_key tx2;
	uint8_t secret[48];
	size_t n1, n2;

	for (size_t i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 13 + 5);
	ASSERT_EQ(0, ktls_record_key_from_secret(&tx2, self->suite, secret));
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + (i >> 9));
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t pad = lens[i] < TLS_MAX_PLAINTEXT ? 7 : 0;
		ASSERT_EQ(0, ktls_record_seal(&self->tx, TLS_CONTENT_APPLICATION_DATA, data, lens[i],
					      pad, self->buf, TLS_MAX_RECORD, &n1));
		memcpy(other + TLS_RECORD_HEADER_LEN, data, lens[i]);
		ASSERT_EQ(0, ktls_record_seal(&tx2, TLS_CONTENT_APPLICATION_DATA,
					      other + TLS_RECORD_HEADER_LEN, lens[i], pad, other,
					      TLS_MAX_RECORD, &n2));
		ASSERT_EQ(n1, n2);
		ASSERT_MEMEQ(self->buf, other, n1);
	}
	ktls_record_key_wipe(&tx2);
}

TEST_F(suite, padding_only_record_carries_its_type)
{
	/* a zero-length handshake-type record with padding: type survives, no content */
	uint8_t type, *plain;
	size_t plain_len;

	ASSERT_EQ(0, seal_open(&self->tx, &self->rx, self->buf, TLS_CONTENT_ALERT, NULL, 0, 40,
			       &type, &plain, &plain_len));
	EXPECT_EQ(TLS_CONTENT_ALERT, type);
	EXPECT_EQ(0u, plain_len);
}

TEST_F(suite, record_header_and_nonce)
{
	uint8_t a[64], b[64];
	size_t na, nb;

	ASSERT_EQ(0, ktls_record_seal(&self->tx, TLS_CONTENT_HANDSHAKE, (const uint8_t *)"same", 4,
				      0, a, sizeof(a), &na));
	ASSERT_EQ(0, ktls_record_seal(&self->tx, TLS_CONTENT_HANDSHAKE, (const uint8_t *)"same", 4,
				      0, b, sizeof(b), &nb));
	/* §5.2: opaque_type application_data, legacy_record_version 0x0303, length */
	/* the length counts the suite's tag: 16 bytes, 8 for CCM_8 (RFC 6655 §3) */
	const uint8_t hdr[] = { 23, 0x03, 0x03, 0x00, (uint8_t)(4 + 1 + self->suite->tag_len) };
	ASSERT_EQ(variant->suite == KTLS_TLS_AES_128_CCM_8_SHA256 ? 8u : 16u, self->suite->tag_len);
	ASSERT_EQ(5 + 4 + 1 + self->suite->tag_len, na);
	ASSERT_MEMEQ(hdr, a, 5);
	ASSERT_MEMEQ(hdr, b, 5);
	/* a fresh nonce per record: the same plaintext seals differently */
	ASSERT_EQ(na, nb);
	ASSERT_NE(0, memcmp(a + 5, b + 5, na - 5));
}

TEST_F(suite, nonce_is_iv_xor_sequence)
{
	/* §5.3, computed here independently: seal at seq N equals an AEAD seal with
	 * nonce = iv XOR (0^32 || N) */
	struct ktls_traffic_keys k;
	struct ktls_aead aead;
	uint8_t secret[48], nonce[12], rec[64], want[64];
	size_t n;
	const uint64_t seq = 0x0102030405060708ull;

	for (unsigned i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 13 + 5);
	ASSERT_EQ(0, ktls_derive_traffic_keys(self->suite, secret, &k));
	self->tx.seq = seq;
	ASSERT_EQ(0, ktls_record_seal(&self->tx, TLS_CONTENT_APPLICATION_DATA,
				      (const uint8_t *)"hello", 5, 0, rec, sizeof(rec), &n));
	memcpy(nonce, k.iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
	uint8_t inner[6] = { 'h', 'e', 'l', 'l', 'o', TLS_CONTENT_APPLICATION_DATA };
	ASSERT_EQ(0, ktls_aead_init(&aead, self->suite, k.key));
	ASSERT_EQ(0, ktls_aead_seal(&aead, nonce, rec, 5, inner, 6, want));
	ASSERT_EQ(5 + 6 + self->suite->tag_len, n);
	ASSERT_MEMEQ(want, rec + 5, 6 + self->suite->tag_len);
	ktls_aead_free(&aead);
}

TEST_F(suite, tampering_is_bad_record_mac)
{
	uint8_t rec[64], bad[64], type, *plain;
	size_t n, plain_len;

	ASSERT_EQ(0, ktls_record_seal(&self->tx, TLS_CONTENT_APPLICATION_DATA,
				      (const uint8_t *)"0123456789", 10, 0, rec, sizeof(rec), &n));
	/* every byte of the body; the header is the AAD, so its length byte too */
	for (size_t i = 4; i < n; i++) {
		memcpy(bad, rec, n);
		bad[i] ^= 0x01;
		int err = ktls_record_open(&self->rx, bad, n, &type, &plain, &plain_len);
		if (i == 4)
			ASSERT_EQ(KTLS_EDECODE, err); /* length no longer matches */
		else
			ASSERT_EQ(KTLS_EBADMAC, err);
	}
	EXPECT_EQ(0u, self->rx.seq);
	/* legacy_record_version is ignored for parsing but authenticated as AAD */
	memcpy(bad, rec, n);
	bad[2] = 0x01;
	ASSERT_EQ(KTLS_EBADMAC, ktls_record_open(&self->rx, bad, n, &type, &plain, &plain_len));
	ASSERT_EQ(0, ktls_record_open(&self->rx, rec, n, &type, &plain, &plain_len));
	EXPECT_EQ(1u, self->rx.seq);
}

/* Builds a record around an arbitrary TLSInnerPlaintext, bypassing seal's checks, to play
 * a peer that breaks the rules. */
static size_t forge_record(struct ktls_record_key *tx, const uint8_t *inner, size_t inner_len,
			   uint8_t *out)
{
	struct ktls_traffic_keys k;
	uint8_t secret[48], nonce[12];
	struct ktls_aead aead;

	for (unsigned i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(i * 13 + 5);
	if (ktls_derive_traffic_keys(tx->aead.suite, secret, &k))
		abort();
	size_t body = inner_len + tx->aead.suite->tag_len;
	out[0] = TLS_CONTENT_APPLICATION_DATA;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(body >> 8);
	out[4] = (uint8_t)body;
	memcpy(nonce, k.iv, 12); /* seq 0 */
	if (ktls_aead_init(&aead, tx->aead.suite, k.key) ||
	    ktls_aead_seal(&aead, nonce, out, 5, inner, inner_len, out + 5))
		abort();
	ktls_aead_free(&aead);
	return 5 + body;
}

TEST_F(suite, all_zero_inner_plaintext_is_unexpected_message)
{
	uint8_t inner[20] = { 0 }, type, *plain;
	size_t plain_len;
	size_t n = forge_record(&self->tx, inner, sizeof(inner), self->buf);

	/* §5.4: no non-zero octet, so no content type */
	ASSERT_EQ(KTLS_EUNEXPECTED, ktls_record_open(&self->rx, self->buf, n, &type, &plain,
						     &plain_len));
}

TEST_F(suite, oversized_inner_plaintext_is_record_overflow)
{
	static uint8_t inner[TLS_MAX_INNER_PLAINTEXT + 1];
	uint8_t type, *plain;
	size_t plain_len;

	/* 2^14 + 2 bytes of inner plaintext fit in 2^14 + 256 of ciphertext but break §5.4 */
	memset(inner, 'x', sizeof(inner));
	inner[sizeof(inner) - 1] = TLS_CONTENT_APPLICATION_DATA;
	size_t n = forge_record(&self->tx, inner, sizeof(inner), self->buf);
	ASSERT_EQ(KTLS_EOVERFLOW, ktls_record_open(&self->rx, self->buf, n, &type, &plain,
						   &plain_len));
	/* exactly 2^14 + 1 is fine */
	n = forge_record(&self->tx, inner + 1, sizeof(inner) - 1, self->buf);
	ASSERT_EQ(0, ktls_record_open(&self->rx, self->buf, n, &type, &plain, &plain_len));
	EXPECT_EQ((size_t)TLS_MAX_PLAINTEXT, plain_len);
}

TEST_F(suite, header_checks)
{
	uint8_t type, *plain;
	size_t len, plain_len;
	uint8_t hdr[5] = { 23, 3, 3, 0, 0 };

	/* §5.2: at most 2^14 + 256 bytes of ciphertext */
	hdr[3] = (TLS_MAX_CIPHERTEXT >> 8) & 0xff;
	hdr[4] = TLS_MAX_CIPHERTEXT & 0xff;
	ASSERT_EQ(0, ktls_record_parse_header(hdr, &type, &len));
	EXPECT_EQ((size_t)TLS_MAX_CIPHERTEXT, len);
	hdr[4]++;
	EXPECT_EQ(KTLS_EOVERFLOW, ktls_record_parse_header(hdr, &type, &len));
	/* unknown content types: unexpected_message (§5) */
	uint8_t bad_type[5] = { 24, 3, 3, 0, 10 };
	EXPECT_EQ(KTLS_EUNEXPECTED, ktls_record_parse_header(bad_type, &type, &len));
	bad_type[0] = 0;
	EXPECT_EQ(KTLS_EUNEXPECTED, ktls_record_parse_header(bad_type, &type, &len));
	/* legacy_record_version is ignored (§5.1) */
	uint8_t old[5] = { 22, 3, 1, 0, 10 };
	ASSERT_EQ(0, ktls_record_parse_header(old, &type, &len));
	EXPECT_EQ(22, type);

	/* open: a protected record must have outer type application_data */
	uint8_t rec[64];
	size_t n;
	ASSERT_EQ(0, ktls_record_seal(&self->tx, TLS_CONTENT_HANDSHAKE, (const uint8_t *)"x", 1, 0,
				      rec, sizeof(rec), &n));
	rec[0] = TLS_CONTENT_HANDSHAKE;
	EXPECT_EQ(KTLS_EUNEXPECTED, ktls_record_open(&self->rx, rec, n, &type, &plain, &plain_len));
	rec[0] = TLS_CONTENT_APPLICATION_DATA;
	/* a length that disagrees with the bytes given */
	EXPECT_EQ(KTLS_EDECODE, ktls_record_open(&self->rx, rec, n - 1, &type, &plain, &plain_len));
	EXPECT_EQ(KTLS_EDECODE, ktls_record_open(&self->rx, rec, 4, &type, &plain, &plain_len));
	/* a body shorter than a tag */
	uint8_t tiny[5 + 10] = { 23, 3, 3, 0, 10 };
	EXPECT_EQ(KTLS_EBADMAC, ktls_record_open(&self->rx, tiny, sizeof(tiny), &type, &plain,
						 &plain_len));
	EXPECT_EQ(0u, self->rx.seq);
	/* an oversized record is refused before any decryption */
	static uint8_t huge[5 + TLS_MAX_CIPHERTEXT + 1] = { 23, 3, 3, (TLS_MAX_CIPHERTEXT + 1) >> 8,
							    (TLS_MAX_CIPHERTEXT + 1) & 0xff };
	EXPECT_EQ(KTLS_EOVERFLOW, ktls_record_open(&self->rx, huge, sizeof(huge), &type, &plain,
						   &plain_len));
}

TEST_F(suite, seal_limits)
{
	static uint8_t data[TLS_MAX_PLAINTEXT + 1];
	size_t n;

	/* §5.1: at most 2^14 bytes of content; §5.4: content + type + padding <= 2^14 + 1 */
	EXPECT_EQ(KTLS_EINVAL, ktls_record_seal(&self->tx, TLS_CONTENT_APPLICATION_DATA, data,
						TLS_MAX_PLAINTEXT + 1, 0, self->buf,
						sizeof(self->buf), &n));
	EXPECT_EQ(KTLS_EINVAL, ktls_record_seal(&self->tx, TLS_CONTENT_APPLICATION_DATA, data,
						TLS_MAX_PLAINTEXT, 1, self->buf, sizeof(self->buf),
						&n));
	EXPECT_EQ(KTLS_EINVAL, ktls_record_seal(&self->tx, TLS_CONTENT_APPLICATION_DATA, data, 10,
						TLS_MAX_PLAINTEXT - 9, self->buf, sizeof(self->buf),
						&n));
	EXPECT_EQ(KTLS_EINVAL, ktls_record_seal(&self->tx, TLS_CONTENT_INVALID, data, 10, 0,
						self->buf, sizeof(self->buf), &n));
	/* output too small */
	EXPECT_EQ(KTLS_ENOSPACE, ktls_record_seal(&self->tx, TLS_CONTENT_APPLICATION_DATA, data, 10,
						  0, self->buf, ktls_record_sealed_len(self->suite, 10, 0) - 1,
						  &n));
	EXPECT_EQ(0u, self->tx.seq);
	ASSERT_EQ(0, ktls_record_seal(&self->tx, TLS_CONTENT_APPLICATION_DATA, data, 10,
				      TLS_MAX_PLAINTEXT - 10, self->buf, sizeof(self->buf), &n));
	EXPECT_EQ((size_t)(5 + TLS_MAX_INNER_PLAINTEXT) + self->suite->tag_len, n);
}

TEST_F(suite, sequence_number_never_wraps)
{
	uint8_t type, *plain;
	size_t n, plain_len;

	/* §5.3: a sequence number must not wrap; the key has to change first */
	self->tx.seq = UINT64_MAX - 1;
	self->rx.seq = UINT64_MAX - 1;
	ASSERT_EQ(0, ktls_record_seal(&self->tx, TLS_CONTENT_APPLICATION_DATA,
				      (const uint8_t *)"last", 4, 0, self->buf, sizeof(self->buf), &n));
	ASSERT_EQ(0, ktls_record_open(&self->rx, self->buf, n, &type, &plain, &plain_len));
	EXPECT_EQ(KTLS_ESEQWRAP, ktls_record_seal(&self->tx, TLS_CONTENT_APPLICATION_DATA,
						  (const uint8_t *)"more", 4, 0, self->buf,
						  sizeof(self->buf), &n));
	EXPECT_EQ(KTLS_ESEQWRAP, ktls_record_open(&self->rx, self->buf, n, &type, &plain,
						  &plain_len));
}

TEST_F(suite, wipe_clears_key_state)
{
	struct ktls_record_key zero;

	ktls_record_key_wipe(&self->tx);
	memset(&zero, 0, sizeof(zero));
	ASSERT_MEMEQ(&zero, &self->tx, sizeof(zero));
}

TEST_HARNESS_MAIN
