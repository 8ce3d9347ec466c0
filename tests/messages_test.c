/*
 * messages_test.c — TLS 1.3 handshake messages and extensions (lib/core/messages.c).
 *
 * Against things no one here wrote: every handshake message of RFC 8448 §3 (simple 1-RTT)
 * decodes to the fields the trace states; RFC 8448's ServerHello (§3) and HelloRetryRequest
 * (§5) re-encode from their decoded fields to the same bytes; RFC 8448 §4's resumed
 * ClientHello puts binders_offset exactly where the RFC's 477-octet "ClientHello prefix"
 * ends; the HelloRetryRequest random is SHA-256("HelloRetryRequest") computed by OpenSSL.
 * Then every encoder round-trips through its decoder, and hostile inputs (each truncation of
 * each message, trailing bytes, duplicates, forbidden values) fail with the exact error.
 */
#include "harness.h"

#include "ktls.h"
#include "messages.h"
#include "support/vectors.h"
#include "wire.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                    */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes test data written in hex (white space ignored); aborts on malformed data. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\n')
			continue;
		int v = hexval(*s);
		if (v < 0)
			abort();
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			abort();
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		abort();
	return n;
}

/* The body of a whole handshake message (after its 4-byte header), checking the header. */
static const uint8_t *body_of(const struct vec *v, uint8_t type, size_t *len)
{
	ASSERT_LE(4u, v->len);
	ASSERT_EQ(type, v->bytes[0]);
	ASSERT_EQ(v->len - 4, (size_t)v->bytes[1] << 16 | (size_t)v->bytes[2] << 8 | v->bytes[3]);
	*len = v->len - 4;
	return v->bytes + 4;
}

/* Checks an encoded message's 4-byte header and returns its body. */
static const uint8_t *encoded_body(const struct wire_writer *w, uint8_t type, size_t *len)
{
	ASSERT_EQ(0, w->err);
	ASSERT_LE(4u, w->len);
	ASSERT_EQ(type, w->buf[0]);
	ASSERT_EQ(w->len - 4, (size_t)w->buf[1] << 16 | (size_t)w->buf[2] << 8 | w->buf[3]);
	*len = w->len - 4;
	return w->buf + 4;
}

/* Each decoder behind one signature, for the loops over hostile inputs. */
typedef int decode_fn(const uint8_t *body, size_t len);

static int dec_client_hello(const uint8_t *b, size_t n)
{
	struct ktls_client_hello m;
	return ktls_decode_client_hello(b, n, &m);
}

static int dec_server_hello(const uint8_t *b, size_t n)
{
	struct ktls_server_hello m;
	return ktls_decode_server_hello(b, n, &m);
}

static int dec_encrypted_extensions(const uint8_t *b, size_t n)
{
	struct ktls_encrypted_extensions m;
	return ktls_decode_encrypted_extensions(b, n, &m);
}

static int dec_certificate_request(const uint8_t *b, size_t n)
{
	struct ktls_certificate_request m;
	return ktls_decode_certificate_request(b, n, &m);
}

static int dec_certificate(const uint8_t *b, size_t n)
{
	struct ktls_certificate m;
	return ktls_decode_certificate(b, n, &m);
}

static int dec_certificate_verify(const uint8_t *b, size_t n)
{
	struct ktls_certificate_verify m;
	return ktls_decode_certificate_verify(b, n, &m);
}

static int dec_finished32(const uint8_t *b, size_t n)
{
	const uint8_t *vd;
	return ktls_decode_finished(b, n, 32, &vd);
}

static int dec_new_session_ticket(const uint8_t *b, size_t n)
{
	struct ktls_new_session_ticket m;
	return ktls_decode_new_session_ticket(b, n, &m);
}

/* Runs fn on a heap copy of exactly n bytes, so that ASan sees any read past the end. */
static int decode_copy(decode_fn *fn, const uint8_t *src, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	ASSERT_NONNULL(copy);
	if (n)
		memcpy(copy, src, n);
	int rc = fn(copy, n);
	free(copy);
	return rc;
}

/* A message body under construction: the fixed fields, then an extension block that
 * add_ext() fills and finish() closes (with no minimum, so that short blocks can be built). */
struct builder {
	uint8_t buf[8192];
	struct wire_writer w;
	struct wire_scope exts;
};

static void open_exts(struct builder *b)
{
	ASSERT_EQ(0, wire_open(&b->w, 2, &b->exts));
}

/* ClientHello fields of §4.1.2 with one suite (0x1301), compression {0}, an empty
 * session id; then the extension block. */
static void ch_begin(struct builder *b)
{
	static const uint8_t random[32];
	static const uint8_t suites[] = { 0x13, 0x01 };
	static const uint8_t null_compression[] = { 0 };

	wire_writer_init(&b->w, b->buf, sizeof(b->buf));
	ASSERT_EQ(0, wire_put_u16(&b->w, 0x0303));
	ASSERT_EQ(0, wire_put_bytes(&b->w, random, 32));
	ASSERT_EQ(0, wire_put_opaque(&b->w, 1, 0, 255, NULL, 0));
	ASSERT_EQ(0, wire_put_opaque(&b->w, 2, 0, 0xffff, suites, sizeof(suites)));
	ASSERT_EQ(0, wire_put_opaque(&b->w, 1, 0, 255, null_compression, 1));
	open_exts(b);
}

/* ServerHello fields of §4.1.3 with the given random (NULL: the HelloRetryRequest one). */
static void sh_begin(struct builder *b, const uint8_t *random)
{
	wire_writer_init(&b->w, b->buf, sizeof(b->buf));
	ASSERT_EQ(0, wire_put_u16(&b->w, 0x0303));
	ASSERT_EQ(0, wire_put_bytes(&b->w, random ? random : ktls_hello_retry_request_random, 32));
	ASSERT_EQ(0, wire_put_opaque(&b->w, 1, 0, 255, NULL, 0));
	ASSERT_EQ(0, wire_put_u16(&b->w, 0x1301));
	ASSERT_EQ(0, wire_put_u8(&b->w, 0));
	open_exts(b);
}

static void ee_begin(struct builder *b)
{
	wire_writer_init(&b->w, b->buf, sizeof(b->buf));
	open_exts(b);
}

static void add_ext_raw(struct builder *b, uint16_t type, const uint8_t *data, size_t len)
{
	ASSERT_EQ(0, wire_put_u16(&b->w, type));
	ASSERT_EQ(0, wire_put_opaque(&b->w, 2, 0, 0xffff, data, len));
}

static void add_ext(struct builder *b, uint16_t type, const char *hex)
{
	uint8_t data[1024];
	add_ext_raw(b, type, data, unhex(hex, data, sizeof(data)));
}

static size_t finish(struct builder *b)
{
	ASSERT_EQ(0, wire_close(&b->w, &b->exts, 0, 0xffff));
	return b->w.len;
}

/* The i-th entry of a decoded ClientHello's key shares (fails the test when absent). */
static struct ktls_key_share_entry share_at(const struct ktls_client_hello *ch, size_t i)
{
	struct ktls_key_share_entry e = { 0 };
	size_t pos = 0;
	for (size_t k = 0; k <= i; k++)
		ASSERT_EQ(1, ktls_client_hello_next_share(ch, &pos, &e));
	return e;
}

/* Extension data used by the hostile tests. */
#define SV_CH_13 "02 0304"         /* supported_versions in ClientHello: {TLS 1.3} */
#define SV_SH_13 "0304"            /* supported_versions in ServerHello */
#define KS_CH_EMPTY "0000"         /* key_share in ClientHello: no shares */
#define GROUPS_X25519 "0002 001d" /* supported_groups: {x25519} */

/* A ClientHello key_share with n entries of the given groups, each with a 1-byte key. */
static size_t key_share_list(uint8_t *out, size_t cap, const uint16_t *groups, size_t n)
{
	static const uint8_t key[] = { 0x42 };
	struct wire_writer w;
	struct wire_scope s;

	wire_writer_init(&w, out, cap);
	ASSERT_EQ(0, wire_open(&w, 2, &s));
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(0, wire_put_u16(&w, groups[i]));
		ASSERT_EQ(0, wire_put_opaque(&w, 2, 1, 0xffff, key, 1));
	}
	ASSERT_EQ(0, wire_close(&w, &s, 0, 0xffff));
	return w.len;
}

/* An OfferedPsks (§4.2.11) with n_ids identities and n_binders 32-byte binders. */
static size_t offered_psks(uint8_t *out, size_t cap, size_t n_ids, size_t n_binders)
{
	static const uint8_t identity[5] = { 1, 2, 3, 4, 5 }, binder[32];
	struct wire_writer w;
	struct wire_scope s;

	wire_writer_init(&w, out, cap);
	ASSERT_EQ(0, wire_open(&w, 2, &s));
	for (size_t i = 0; i < n_ids; i++) {
		ASSERT_EQ(0, wire_put_opaque(&w, 2, 1, 0xffff, identity, sizeof(identity)));
		ASSERT_EQ(0, wire_put_u32(&w, 0x01020304));
	}
	ASSERT_EQ(0, wire_close(&w, &s, 0, 0xffff));
	ASSERT_EQ(0, wire_open(&w, 2, &s));
	for (size_t i = 0; i < n_binders; i++)
		ASSERT_EQ(0, wire_put_opaque(&w, 1, 32, 255, binder, sizeof(binder)));
	ASSERT_EQ(0, wire_close(&w, &s, 0, 0xffff));
	return w.len;
}

/* The extension types of an encoded ClientHello / ServerHello body, in order. */
static size_t ext_types(const uint8_t *body, size_t len, bool client, uint16_t *types,
			size_t cap)
{
	struct wire_reader r, exts, data;
	const uint8_t *p;
	size_t n = 0, plen;
	uint16_t u;
	uint8_t c;

	wire_reader_init(&r, body, len);
	ASSERT_EQ(0, wire_get_view(&r, 2 + 32, &p));
	ASSERT_EQ(0, wire_get_opaque(&r, 1, 0, 32, &p, &plen));
	if (client) {
		ASSERT_EQ(0, wire_get_opaque(&r, 2, 2, 0xfffe, &p, &plen));
		ASSERT_EQ(0, wire_get_opaque(&r, 1, 1, 255, &p, &plen));
	} else {
		ASSERT_EQ(0, wire_get_u16(&r, &u));
		ASSERT_EQ(0, wire_get_u8(&r, &c));
	}
	ASSERT_EQ(0, wire_get_vector(&r, 2, 0, 0xffff, &exts));
	while (wire_remaining(&exts)) {
		ASSERT_LT(n, cap);
		ASSERT_EQ(0, wire_get_u16(&exts, &types[n++]));
		ASSERT_EQ(0, wire_get_vector(&exts, 2, 0, 0xffff, &data));
	}
	return n;
}

/* RFC 8448 §5 (HelloRetryRequest): the server's HRR asking for secp256r1, with a cookie
 * (176 octets). The trace's own length fields (0xac, 0x84, 0x74, 0x72) agree with it. */
static const char rfc8448_hrr_hex[] =
	"020000ac0303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e"
	"09e2c8a8339c001301000084003300020017002c0074007271dcd04bb88bc318"
	"9119398a00000000eefafc76c146b823b096f8aacad365dd0030953f4edf6256"
	"36e5f21bb2e23fcc654b1b5b40318d10d137abcbb87574e36e8a1f025f7dfa5d"
	"6e50781b5eda4aa15b0c8be778257d16aa3030e9e7841dd9e4c0342267e8ca0c"
	"af571fb2b7cff0f934b0002b00020304";

/* RFC 8448 §4 (Resumed 0-RTT Handshake): "ClientHello prefix (477 octets)", the resumed
 * ClientHello up to its binders, whose SHA-256 the RFC gives as the binder's transcript hash
 * ("binder hash": 63 22 4b 2e ...) — checked below, so the transcription is exact. */
static const char rfc8448_resumed_ch_prefix_hex[] =
	"010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc41"
	"9d7876487d95000006130113031302010001cd0000000b000900000673657276"
	"6572ff01000100000a00140012001d0017001800190100010101020103010400"
	"3300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe"
	"051a66b4f18d668f0b002a0000002b0003020304000d0020001e040305030603"
	"020308040805080604010501060102010402050206020202002d00020101001c"
	"0002400100150057000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"2900dd00b800b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a"
	"34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a98211"
	"7283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454a3"
	"664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b"
	"3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac5c03272e970727c6"
	"21a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb";
static const char rfc8448_resumed_binder_hash_hex[] =
	"63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14";
/* RFC 8448 §4: the PSK binder itself ("binder (32 octets)"), which completes the message as
 * binders<33..2^16-1> = 00 21 | 20 | binder. */
static const char rfc8448_resumed_binder_hex[] =
	"3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d";

/* ------------------------------------------------------------------------------------------ */
/* RFC 8448 §3: every message of the trace                                                    */

FIXTURE(rfc8448)
{
	struct vec_file *vf;
};

FIXTURE_SETUP(rfc8448)
{
	self->vf = vec_load("rfc8448-1rtt.txt");
}

FIXTURE_TEARDOWN(rfc8448)
{
	vec_free(self->vf);
}

#define V(name) vec_get(self->vf, 0, name)

TEST_F(rfc8448, client_hello)
{
	static const uint16_t groups[] = { 0x001d, 0x0017, 0x0018, 0x0019, 0x0100,
					   0x0101, 0x0102, 0x0103, 0x0104 };
	static const uint16_t schemes[] = { 0x0403, 0x0503, 0x0603, 0x0203, 0x0804,
					    0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
					    0x0201, 0x0402, 0x0502, 0x0602, 0x0202 };
	struct ktls_client_hello ch;
	size_t len;
	const uint8_t *body = body_of(V("client_hello"), TLS_HS_CLIENT_HELLO, &len);

	ASSERT_EQ(0, ktls_decode_client_hello(body, len, &ch));
	EXPECT_EQ(0x0303, ch.legacy_version);
	ASSERT_EQ(body + 2, ch.random);
	EXPECT_EQ(0xcb, ch.random[0]);
	EXPECT_EQ(0xe7, ch.random[31]);
	EXPECT_EQ(0u, ch.session_id_len);
	/* cipher_suites: TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256,
	 * TLS_AES_256_GCM_SHA384, in that order */
	ASSERT_EQ(3u, ch.cipher_suites.n);
	EXPECT_EQ(0x1301, ktls_u16_list_at(&ch.cipher_suites, 0));
	EXPECT_EQ(0x1303, ktls_u16_list_at(&ch.cipher_suites, 1));
	EXPECT_EQ(0x1302, ktls_u16_list_at(&ch.cipher_suites, 2));
	ASSERT_EQ(1u, ch.compression_methods_len);
	EXPECT_EQ(0, ch.compression_methods[0]);
	/* server_name "server" */
	ASSERT_EQ(6u, ch.server_name_len);
	ASSERT_MEMEQ("server", ch.server_name, 6);
	/* supported_versions {0x0304} */
	ASSERT_EQ(1u, ch.supported_versions.n);
	EXPECT_TRUE(ktls_u16_list_has(&ch.supported_versions, TLS_VERSION_1_3));
	/* supported_groups, signature_algorithms */
	ASSERT_EQ(9u, ch.supported_groups.n);
	for (size_t i = 0; i < 9; i++)
		EXPECT_EQ(groups[i], ktls_u16_list_at(&ch.supported_groups, i));
	ASSERT_EQ(15u, ch.signature_algorithms.n);
	for (size_t i = 0; i < 15; i++)
		EXPECT_EQ(schemes[i], ktls_u16_list_at(&ch.signature_algorithms, i));
	EXPECT_EQ(0u, ch.signature_algorithms_cert.n);
	/* one x25519 key share: the client's public key */
	ASSERT_EQ(1u, ch.n_key_shares);
	EXPECT_EQ(TLS_GROUP_X25519, share_at(&ch, 0).group);
	ASSERT_EQ(32u, share_at(&ch, 0).key_exchange_len);
	ASSERT_MEMEQ(V("client_x25519_public")->bytes, share_at(&ch, 0).key_exchange, 32);
	/* psk_key_exchange_modes {psk_dhe_ke} */
	ASSERT_EQ(1u, ch.psk_modes_len);
	EXPECT_EQ(1, ch.psk_modes[0]);
	/* renegotiation_info, session_ticket, record_size_limit: not ours */
	EXPECT_EQ(KTLS_EXT_BIT_SERVER_NAME | KTLS_EXT_BIT_SUPPORTED_GROUPS |
			  KTLS_EXT_BIT_KEY_SHARE | KTLS_EXT_BIT_SUPPORTED_VERSIONS |
			  KTLS_EXT_BIT_SIGNATURE_ALGORITHMS | KTLS_EXT_BIT_PSK_KEY_EXCHANGE_MODES |
			  KTLS_EXT_BIT_UNKNOWN,
		  ch.ext_seen);
	EXPECT_NULL(ch.alpn);
	EXPECT_NULL(ch.cookie);
	EXPECT_NULL(ch.pre_shared_key);
	EXPECT_FALSE(ch.early_data);
	EXPECT_FALSE(ch.post_handshake_auth);
}

TEST_F(rfc8448, server_hello)
{
	struct ktls_server_hello sh;
	size_t len;
	const uint8_t *body = body_of(V("server_hello"), TLS_HS_SERVER_HELLO, &len);

	ASSERT_EQ(0, ktls_decode_server_hello(body, len, &sh));
	EXPECT_FALSE(sh.is_hello_retry_request);
	EXPECT_EQ(0x0303, sh.legacy_version);
	ASSERT_EQ(body + 2, sh.random);
	EXPECT_EQ(0u, sh.session_id_echo_len);
	EXPECT_EQ(KTLS_TLS_AES_128_GCM_SHA256, sh.cipher_suite);
	EXPECT_EQ(0, sh.compression_method);
	EXPECT_EQ(KTLS_EXT_BIT_KEY_SHARE | KTLS_EXT_BIT_SUPPORTED_VERSIONS, sh.ext_seen);
	EXPECT_EQ(TLS_VERSION_1_3, sh.selected_version);
	EXPECT_EQ(TLS_GROUP_X25519, sh.key_share.group);
	ASSERT_EQ(32u, sh.key_share.key_exchange_len);
	ASSERT_MEMEQ(V("server_x25519_public")->bytes, sh.key_share.key_exchange, 32);
	EXPECT_NULL(sh.cookie);
}

TEST_F(rfc8448, encrypted_extensions)
{
	struct ktls_encrypted_extensions ee;
	size_t len;
	const uint8_t *body = body_of(V("encrypted_extensions"), TLS_HS_ENCRYPTED_EXTENSIONS, &len);

	ASSERT_EQ(0, ktls_decode_encrypted_extensions(body, len, &ee));
	/* supported_groups, record_size_limit (unknown to us), server_name acknowledged */
	EXPECT_EQ(KTLS_EXT_BIT_SUPPORTED_GROUPS | KTLS_EXT_BIT_SERVER_NAME | KTLS_EXT_BIT_UNKNOWN,
		  ee.ext_seen);
	ASSERT_EQ(9u, ee.supported_groups.n);
	EXPECT_EQ(TLS_GROUP_X25519, ktls_u16_list_at(&ee.supported_groups, 0));
	EXPECT_EQ(0x0104, ktls_u16_list_at(&ee.supported_groups, 8));
	EXPECT_NULL(ee.alpn);
	EXPECT_FALSE(ee.early_data);
}

TEST_F(rfc8448, certificate)
{
	struct ktls_certificate c;
	size_t len;
	const uint8_t *body = body_of(V("certificate"), TLS_HS_CERTIFICATE, &len);

	ASSERT_EQ(0, ktls_decode_certificate(body, len, &c));
	EXPECT_EQ(0u, c.context_len);
	ASSERT_EQ(1u, c.n_entries);
	/* cert_data is 0x1b0 = 432 octets: a DER SEQUENCE 30 82 01 ac (4 + 428) */
	ASSERT_EQ(432u, c.entries[0].cert_data_len);
	EXPECT_EQ(0x30, c.entries[0].cert_data[0]);
	EXPECT_EQ(0x82, c.entries[0].cert_data[1]);
	EXPECT_EQ(4u + (size_t)(c.entries[0].cert_data[2] << 8 | c.entries[0].cert_data[3]),
		  c.entries[0].cert_data_len);
	ASSERT_EQ(body + 1 + 3 + 3, c.entries[0].cert_data);
}

TEST_F(rfc8448, certificate_verify)
{
	struct ktls_certificate_verify cv;
	size_t len;
	const uint8_t *body = body_of(V("certificate_verify"), TLS_HS_CERTIFICATE_VERIFY, &len);

	ASSERT_EQ(0, ktls_decode_certificate_verify(body, len, &cv));
	EXPECT_EQ(TLS_SIG_RSA_PSS_RSAE_SHA256, cv.algorithm);
	ASSERT_EQ(128u, cv.signature_len);
	ASSERT_EQ(body + 4, cv.signature);
	EXPECT_EQ(0x5a, cv.signature[0]);
	EXPECT_EQ(0xf3, cv.signature[127]);
}

TEST_F(rfc8448, finished)
{
	static const char *const names[] = { "server_finished", "client_finished" };
	const uint8_t *vd;
	size_t len;

	for (size_t i = 0; i < 2; i++) {
		const uint8_t *body = body_of(V(names[i]), TLS_HS_FINISHED, &len);
		ASSERT_EQ(32u, len);
		ASSERT_EQ(0, ktls_decode_finished(body, len, 32, &vd));
		ASSERT_EQ(body, vd);
		/* the SHA-384 length is not this one */
		EXPECT_EQ(KTLS_EDECODE, ktls_decode_finished(body, len, 48, &vd));
		EXPECT_EQ(KTLS_EDECODE, ktls_decode_finished(body, len, 31, &vd));
	}
}

TEST_F(rfc8448, new_session_ticket)
{
	struct ktls_new_session_ticket t;
	size_t len;
	const uint8_t *body = body_of(V("new_session_ticket"), TLS_HS_NEW_SESSION_TICKET, &len);

	ASSERT_EQ(0, ktls_decode_new_session_ticket(body, len, &t));
	EXPECT_EQ(30u, t.ticket_lifetime);            /* 00 00 00 1e */
	EXPECT_EQ(0xfad6aac5u, t.ticket_age_add);
	ASSERT_EQ(2u, t.ticket_nonce_len);           /* 00 00 */
	EXPECT_EQ(0, t.ticket_nonce[0] | t.ticket_nonce[1]);
	ASSERT_EQ(0xb2u, t.ticket_len);              /* 178 */
	EXPECT_EQ(0x2c, t.ticket[0]);
	EXPECT_EQ(0x57, t.ticket[177]);
	EXPECT_EQ(KTLS_EXT_BIT_EARLY_DATA, t.ext_seen);
	EXPECT_EQ(0x400u, t.max_early_data_size);    /* early_data: 00 00 04 00 */
}

TEST_F(rfc8448, alerts)
{
	uint8_t level = 9, desc = 9;

	/* close_notify, the 2-byte alert the trace sends */
	ASSERT_EQ(0, ktls_decode_alert(V("client_alert")->bytes, V("client_alert")->len, &level,
				       &desc));
	EXPECT_EQ(1, level);
	EXPECT_EQ(0, desc);
	ASSERT_EQ(0, ktls_decode_alert(V("server_alert")->bytes, 2, &level, &desc));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_alert(V("server_alert")->bytes, 1, &level, &desc));
}

/* Re-encoding RFC 8448's ServerHello from its decoded fields gives its exact bytes. */
TEST_F(rfc8448, server_hello_reencodes_byte_for_byte)
{
	struct ktls_server_hello sh;
	uint8_t out[512];
	struct wire_writer w;
	size_t len;
	const struct vec *v = V("server_hello");
	const uint8_t *body = body_of(v, TLS_HS_SERVER_HELLO, &len);

	ASSERT_EQ(0, ktls_decode_server_hello(body, len, &sh));
	struct ktls_server_hello_params p = {
		.random = sh.random,
		.session_id_echo = sh.session_id_echo,
		.session_id_echo_len = sh.session_id_echo_len,
		.cipher_suite = sh.cipher_suite,
		.key_share = &sh.key_share,
	};
	wire_writer_init(&w, out, sizeof(out));
	ASSERT_EQ(0, ktls_encode_server_hello(&w, &p));
	ASSERT_EQ(v->len, w.len);
	ASSERT_MEMEQ(v->bytes, out, v->len);
}

/* The cheap fuzz: every proper prefix of every message body is an error (decode_error),
 * read from an exact-size heap copy so that ASan catches any over-read. The one prefix that
 * is a valid message is RFC 8446 §4.1.2's ClientHello of an earlier TLS, which ends right
 * after legacy_compression_methods and carries no extensions at all. */
TEST_F(rfc8448, every_truncation_fails)
{
	static const struct {
		const char *name;
		uint8_t type;
		decode_fn *fn;
	} msgs[] = {
		{ "client_hello", TLS_HS_CLIENT_HELLO, dec_client_hello },
		{ "server_hello", TLS_HS_SERVER_HELLO, dec_server_hello },
		{ "encrypted_extensions", TLS_HS_ENCRYPTED_EXTENSIONS, dec_encrypted_extensions },
		{ "certificate", TLS_HS_CERTIFICATE, dec_certificate },
		{ "certificate_verify", TLS_HS_CERTIFICATE_VERIFY, dec_certificate_verify },
		{ "server_finished", TLS_HS_FINISHED, dec_finished32 },
		{ "client_finished", TLS_HS_FINISHED, dec_finished32 },
		{ "new_session_ticket", TLS_HS_NEW_SESSION_TICKET, dec_new_session_ticket },
	};
	/* version, random, session id <0>, suites <6>, compression <1> */
	const size_t ch_without_extensions = 2 + 32 + 1 + 2 + 6 + 1 + 1;

	for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		size_t len;
		const uint8_t *body = body_of(V(msgs[m].name), msgs[m].type, &len);
		ASSERT_EQ(0, decode_copy(msgs[m].fn, body, len));
		for (size_t n = 0; n < len; n++) {
			int rc = decode_copy(msgs[m].fn, body, n);
			if (msgs[m].fn == dec_client_hello && n == ch_without_extensions) {
				struct ktls_client_hello ch;
				ASSERT_EQ(0, ktls_decode_client_hello(body, n, &ch));
				EXPECT_EQ(0u, ch.ext_seen);
				continue;
			}
			if (rc != KTLS_EDECODE)
				TH_LOG("%s truncated to %zu of %zu bytes", msgs[m].name, n, len);
			ASSERT_EQ(KTLS_EDECODE, rc);
		}
	}
}

/* One byte more than the structure holds is a decode_error, and flipping any single byte
 * never makes a decoder read outside the message (whatever it returns). */
TEST_F(rfc8448, trailing_byte_and_corruption)
{
	static const struct {
		const char *name;
		uint8_t type;
		decode_fn *fn;
	} msgs[] = {
		{ "client_hello", TLS_HS_CLIENT_HELLO, dec_client_hello },
		{ "server_hello", TLS_HS_SERVER_HELLO, dec_server_hello },
		{ "encrypted_extensions", TLS_HS_ENCRYPTED_EXTENSIONS, dec_encrypted_extensions },
		{ "certificate", TLS_HS_CERTIFICATE, dec_certificate },
		{ "certificate_verify", TLS_HS_CERTIFICATE_VERIFY, dec_certificate_verify },
		{ "server_finished", TLS_HS_FINISHED, dec_finished32 },
		{ "new_session_ticket", TLS_HS_NEW_SESSION_TICKET, dec_new_session_ticket },
	};
	uint8_t buf[1024];

	for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		size_t len;
		const uint8_t *body = body_of(V(msgs[m].name), msgs[m].type, &len);
		ASSERT_LT(len, sizeof(buf));
		memcpy(buf, body, len);
		buf[len] = 0;
		if (decode_copy(msgs[m].fn, buf, len + 1) != KTLS_EDECODE)
			TH_LOG("%s with a trailing byte", msgs[m].name);
		ASSERT_EQ(KTLS_EDECODE, decode_copy(msgs[m].fn, buf, len + 1));
		for (size_t i = 0; i < len; i++) {
			buf[i] ^= 0xff;
			(void)decode_copy(msgs[m].fn, buf, len);
			buf[i] ^= 0xff;
		}
	}
}

/* A slightly less cheap fuzz, deterministic: each message with 1 to 4 random bytes
 * overwritten and a random length (shorter, equal, or a few bytes longer), every decode from
 * an exact-size heap copy. Whatever each returns, none may crash or read outside (ASan). */
static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

TEST_F(rfc8448, random_mutations_never_crash)
{
	static const struct {
		const char *name;
		uint8_t type;
		decode_fn *fn;
	} msgs[] = {
		{ "client_hello", TLS_HS_CLIENT_HELLO, dec_client_hello },
		{ "server_hello", TLS_HS_SERVER_HELLO, dec_server_hello },
		{ "encrypted_extensions", TLS_HS_ENCRYPTED_EXTENSIONS, dec_encrypted_extensions },
		{ "certificate", TLS_HS_CERTIFICATE, dec_certificate },
		{ "certificate_verify", TLS_HS_CERTIFICATE_VERIFY, dec_certificate_verify },
		{ "new_session_ticket", TLS_HS_NEW_SESSION_TICKET, dec_new_session_ticket },
	};
	uint64_t seed = 0x8448844884488448u;
	uint8_t buf[1024];
	size_t accepted = 0;

	for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
		size_t len;
		const uint8_t *body = body_of(V(msgs[m].name), msgs[m].type, &len);
		ASSERT_LT(len + 8, sizeof(buf));
		for (int iter = 0; iter < 4000; iter++) {
			memcpy(buf, body, len);
			memset(buf + len, 0, 8);
			for (uint64_t k = xorshift(&seed) % 4 + 1; k > 0; k--)
				buf[xorshift(&seed) % len] = (uint8_t)xorshift(&seed);
			size_t n = len - 8 + xorshift(&seed) % 17; /* len-8 .. len+8 */
			if (decode_copy(msgs[m].fn, buf, n) == 0)
				accepted++;
		}
	}
	TH_LOG("%zu of %zu mutated messages still decoded", accepted,
	       4000 * sizeof(msgs) / sizeof(msgs[0]));
}

/* ------------------------------------------------------------------------------------------ */
/* RFC 8448 §5 HelloRetryRequest and §4 resumed ClientHello                                   */

TEST(hello_retry_request_random_is_sha256_of_label)
{
	uint8_t h[32];
	unsigned int n = 0;

	ASSERT_EQ(1, EVP_Digest("HelloRetryRequest", 17, h, &n, EVP_sha256(), NULL));
	ASSERT_EQ(32u, n);
	ASSERT_MEMEQ(h, ktls_hello_retry_request_random, 32);
}

TEST(rfc8448_hello_retry_request)
{
	uint8_t hrr[176];
	struct ktls_server_hello sh;

	ASSERT_EQ(sizeof(hrr), unhex(rfc8448_hrr_hex, hrr, sizeof(hrr)));
	ASSERT_EQ(0, ktls_decode_server_hello(hrr + 4, sizeof(hrr) - 4, &sh));
	EXPECT_TRUE(sh.is_hello_retry_request);
	EXPECT_EQ(KTLS_TLS_AES_128_GCM_SHA256, sh.cipher_suite);
	EXPECT_EQ(KTLS_EXT_BIT_KEY_SHARE | KTLS_EXT_BIT_COOKIE | KTLS_EXT_BIT_SUPPORTED_VERSIONS,
		  sh.ext_seen);
	EXPECT_EQ(TLS_GROUP_SECP256R1, sh.selected_group);
	EXPECT_EQ(TLS_VERSION_1_3, sh.selected_version);
	ASSERT_EQ(0x72u, sh.cookie_len);
	EXPECT_EQ(0x71, sh.cookie[0]);
	EXPECT_EQ(0xb0, sh.cookie[0x71]);
	EXPECT_EQ(0u, sh.key_share.key_exchange_len);

	/* and back, byte for byte */
	uint8_t out[256];
	struct wire_writer w;
	struct ktls_server_hello_params p = {
		.hello_retry_request = true,
		.session_id_echo = sh.session_id_echo,
		.session_id_echo_len = sh.session_id_echo_len,
		.cipher_suite = sh.cipher_suite,
		.selected_group = sh.selected_group,
		.cookie = sh.cookie,
		.cookie_len = sh.cookie_len,
	};
	wire_writer_init(&w, out, sizeof(out));
	ASSERT_EQ(0, ktls_encode_server_hello(&w, &p));
	ASSERT_EQ(sizeof(hrr), w.len);
	ASSERT_MEMEQ(hrr, out, sizeof(hrr));
}

/* Any other random is a ServerHello: with the HRR's selected_group in key_share, that is a
 * truncated KeyShareEntry. */
TEST(hello_retry_request_detected_by_random_only)
{
	uint8_t hrr[176];
	struct ktls_server_hello sh;

	ASSERT_EQ(sizeof(hrr), unhex(rfc8448_hrr_hex, hrr, sizeof(hrr)));
	hrr[4 + 2 + 31] ^= 1;
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_server_hello(hrr + 4, sizeof(hrr) - 4, &sh));
	EXPECT_FALSE(sh.is_hello_retry_request);
}

TEST(rfc8448_resumed_client_hello_binders_offset)
{
	uint8_t ch_bytes[512], prefix_hash[32], want_hash[32], binder[32];
	struct ktls_client_hello ch;
	struct wire_writer w;
	size_t prefix_len;

	prefix_len = unhex(rfc8448_resumed_ch_prefix_hex, ch_bytes, sizeof(ch_bytes));
	ASSERT_EQ(477u, prefix_len);
	ASSERT_EQ(32u, unhex(rfc8448_resumed_binder_hash_hex, want_hash, 32));
	ASSERT_EQ(1, EVP_Digest(ch_bytes, prefix_len, prefix_hash, NULL, EVP_sha256(), NULL));
	ASSERT_MEMEQ(want_hash, prefix_hash, 32);
	/* the whole message: prefix || binders<33..> = 00 21 20 binder */
	ASSERT_EQ(32u, unhex(rfc8448_resumed_binder_hex, binder, 32));
	wire_writer_init(&w, ch_bytes + prefix_len, sizeof(ch_bytes) - prefix_len);
	ASSERT_EQ(0, wire_put_u16(&w, 33));
	ASSERT_EQ(0, wire_put_opaque(&w, 1, 32, 255, binder, 32));
	ASSERT_EQ(sizeof(ch_bytes), prefix_len + w.len);
	ASSERT_EQ(0x1fcu, sizeof(ch_bytes) - 4);

	ASSERT_EQ(0, ktls_decode_client_hello(ch_bytes + 4, sizeof(ch_bytes) - 4, &ch));
	/* the truncated transcript of §4.2.11.2 is exactly the RFC's prefix */
	EXPECT_EQ(prefix_len, 4 + ch.binders_offset);
	EXPECT_TRUE(ch.ext_seen & KTLS_EXT_BIT_PRE_SHARED_KEY);
	EXPECT_TRUE(ch.ext_seen & KTLS_EXT_BIT_EARLY_DATA);
	EXPECT_TRUE(ch.ext_seen & KTLS_EXT_BIT_UNKNOWN); /* padding, renegotiation_info, ... */
	EXPECT_TRUE(ch.early_data);
	ASSERT_EQ(0xddu, ch.pre_shared_key_len);
	/* OfferedPsks starts with identities<0xb8>, whose one identity is the §3 ticket (0xb2) */
	EXPECT_EQ(0x00, ch.pre_shared_key[0]);
	EXPECT_EQ(0xb8, ch.pre_shared_key[1]);
	EXPECT_EQ(0xb2, ch.pre_shared_key[3]);
	ASSERT_MEMEQ(ch_bytes + 4 + ch.binders_offset, "\x00\x21\x20", 3);
	ASSERT_MEMEQ(binder, ch_bytes + 4 + ch.binders_offset + 3, 32);
	ASSERT_EQ(1u, ch.n_key_shares);
	EXPECT_EQ(TLS_GROUP_X25519, share_at(&ch, 0).group);

	/* and every prefix of it fails, the extension-less one aside (see above) */
	for (size_t n = 0; n < sizeof(ch_bytes) - 4; n++) {
		int rc = decode_copy(dec_client_hello, ch_bytes + 4, n);
		if (n == 2 + 32 + 1 + 2 + 6 + 1 + 1)
			continue;
		ASSERT_EQ(KTLS_EDECODE, rc);
	}
	/* and no single flipped byte makes the psk walk read outside (ASan) */
	for (size_t i = 4; i < sizeof(ch_bytes); i++) {
		ch_bytes[i] ^= 0xff;
		(void)decode_copy(dec_client_hello, ch_bytes + 4, sizeof(ch_bytes) - 4);
		ch_bytes[i] ^= 0xff;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Round trips                                                                                */

static const uint8_t x25519_pub[32] = { 0x99, 0x38, 0x1d, 0xe5, 1, 2, 3, 4, 5, 6, 7, 8, 9,
					10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
					23, 24, 25, 26, 27, 28 };

TEST(client_hello_round_trip)
{
	static const uint16_t suites[] = { 0x1301, 0x1302, 0x1303 };
	static const uint16_t groups[] = { TLS_GROUP_X25519, TLS_GROUP_SECP256R1 };
	static const uint16_t schemes[] = { TLS_SIG_RSA_PSS_RSAE_SHA256,
					    TLS_SIG_ECDSA_SECP256R1_SHA256, TLS_SIG_ED25519 };
	static const char *const alpn[] = { "h2", "http/1.1" };
	static const uint8_t cookie[] = { 0xc0, 0x0c, 0x1e, 0x00, 0x01 };
	uint8_t random[32], sid[32], p256[65], buf[2048];
	struct ktls_key_share_entry shares[2] = {
		{ TLS_GROUP_X25519, x25519_pub, 32 },
		{ TLS_GROUP_SECP256R1, p256, 65 },
	};
	struct ktls_client_hello ch;
	struct wire_writer w;
	size_t len;

	for (size_t i = 0; i < 32; i++) {
		random[i] = (uint8_t)i;
		sid[i] = (uint8_t)(0xa0 + i);
	}
	memset(p256, 0x04, sizeof(p256));
	struct ktls_client_hello_params p = {
		.random = random,
		.session_id = sid,
		.session_id_len = 32,
		.cipher_suites = suites,
		.n_cipher_suites = 3,
		.groups = groups,
		.n_groups = 2,
		.key_shares = shares,
		.n_key_shares = 2,
		.signature_algorithms = schemes,
		.n_signature_algorithms = 3,
		.server_name = "example.com",
		.alpn = alpn,
		.n_alpn = 2,
		.cookie = cookie,
		.cookie_len = sizeof(cookie),
	};
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_client_hello(&w, &p));
	const uint8_t *body = encoded_body(&w, TLS_HS_CLIENT_HELLO, &len);

	/* the extension order the encoder promises */
	uint16_t types[16];
	static const uint16_t want[] = { TLS_EXT_SERVER_NAME, TLS_EXT_SUPPORTED_GROUPS,
					 TLS_EXT_SIGNATURE_ALGORITHMS, TLS_EXT_ALPN,
					 TLS_EXT_SUPPORTED_VERSIONS, TLS_EXT_KEY_SHARE,
					 TLS_EXT_COOKIE };
	ASSERT_EQ(7u, ext_types(body, len, true, types, 16));
	for (size_t i = 0; i < 7; i++)
		EXPECT_EQ(want[i], types[i]);

	ASSERT_EQ(0, ktls_decode_client_hello(body, len, &ch));
	EXPECT_EQ(0x0303, ch.legacy_version);
	ASSERT_MEMEQ(random, ch.random, 32);
	ASSERT_EQ(32u, ch.session_id_len);
	ASSERT_MEMEQ(sid, ch.session_id, 32);
	ASSERT_EQ(3u, ch.cipher_suites.n);
	for (size_t i = 0; i < 3; i++)
		EXPECT_EQ(suites[i], ktls_u16_list_at(&ch.cipher_suites, i));
	ASSERT_EQ(1u, ch.compression_methods_len);
	EXPECT_EQ(0, ch.compression_methods[0]);
	EXPECT_EQ(KTLS_EXT_BIT_SERVER_NAME | KTLS_EXT_BIT_SUPPORTED_GROUPS |
			  KTLS_EXT_BIT_SIGNATURE_ALGORITHMS | KTLS_EXT_BIT_ALPN |
			  KTLS_EXT_BIT_SUPPORTED_VERSIONS | KTLS_EXT_BIT_KEY_SHARE |
			  KTLS_EXT_BIT_COOKIE,
		  ch.ext_seen);
	ASSERT_EQ(1u, ch.supported_versions.n);
	EXPECT_EQ(TLS_VERSION_1_3, ktls_u16_list_at(&ch.supported_versions, 0));
	ASSERT_EQ(2u, ch.supported_groups.n);
	EXPECT_EQ(TLS_GROUP_X25519, ktls_u16_list_at(&ch.supported_groups, 0));
	EXPECT_EQ(TLS_GROUP_SECP256R1, ktls_u16_list_at(&ch.supported_groups, 1));
	ASSERT_EQ(3u, ch.signature_algorithms.n);
	for (size_t i = 0; i < 3; i++)
		EXPECT_EQ(schemes[i], ktls_u16_list_at(&ch.signature_algorithms, i));
	ASSERT_EQ(2u, ch.n_key_shares);
	for (size_t i = 0; i < 2; i++) {
		struct ktls_key_share_entry e = share_at(&ch, i);
		EXPECT_EQ(shares[i].group, e.group);
		ASSERT_EQ(shares[i].key_exchange_len, e.key_exchange_len);
		ASSERT_MEMEQ(shares[i].key_exchange, e.key_exchange, shares[i].key_exchange_len);
	}
	ASSERT_EQ(11u, ch.server_name_len);
	ASSERT_MEMEQ("example.com", ch.server_name, 11);
	ASSERT_EQ(12u, ch.alpn_len);
	ASSERT_MEMEQ("\x02h2\x08http/1.1", ch.alpn, 12);
	ASSERT_EQ(sizeof(cookie), ch.cookie_len);
	ASSERT_MEMEQ(cookie, ch.cookie, sizeof(cookie));
	EXPECT_NULL(ch.pre_shared_key);
}

/* The least we send: no session id, no name, no ALPN; groups with an empty key_share (which
 * asks the server for a HelloRetryRequest, §4.2.8). */
TEST(client_hello_minimal_round_trip)
{
	static const uint16_t suites[] = { 0x1303 };
	static const uint16_t groups[] = { TLS_GROUP_X25519 };
	static const uint16_t schemes[] = { TLS_SIG_ED25519 };
	uint8_t random[32] = { 0 }, buf[512];
	struct ktls_client_hello ch;
	struct wire_writer w;
	uint16_t types[8];
	size_t len;
	struct ktls_client_hello_params p = {
		.random = random,
		.cipher_suites = suites,
		.n_cipher_suites = 1,
		.groups = groups,
		.n_groups = 1,
		.signature_algorithms = schemes,
		.n_signature_algorithms = 1,
	};

	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_client_hello(&w, &p));
	const uint8_t *body = encoded_body(&w, TLS_HS_CLIENT_HELLO, &len);
	ASSERT_EQ(4u, ext_types(body, len, true, types, 8));
	EXPECT_EQ(TLS_EXT_SUPPORTED_GROUPS, types[0]);
	EXPECT_EQ(TLS_EXT_SIGNATURE_ALGORITHMS, types[1]);
	EXPECT_EQ(TLS_EXT_SUPPORTED_VERSIONS, types[2]);
	EXPECT_EQ(TLS_EXT_KEY_SHARE, types[3]);
	ASSERT_EQ(0, ktls_decode_client_hello(body, len, &ch));
	EXPECT_EQ(0u, ch.session_id_len);
	EXPECT_EQ(0u, ch.n_key_shares);
	EXPECT_NULL(ch.server_name);
	EXPECT_NULL(ch.alpn);
	EXPECT_NULL(ch.cookie);
	EXPECT_EQ(KTLS_EXT_BIT_SUPPORTED_GROUPS | KTLS_EXT_BIT_SIGNATURE_ALGORITHMS |
			  KTLS_EXT_BIT_SUPPORTED_VERSIONS | KTLS_EXT_BIT_KEY_SHARE,
		  ch.ext_seen);
}

TEST(client_hello_encoder_rejects_bad_params)
{
	static const uint16_t suites[] = { 0x1301 };
	static const uint16_t groups[] = { TLS_GROUP_X25519 };
	static const char *const empty_name[] = { "" };
	uint8_t random[32] = { 0 }, sid[33] = { 0 }, buf[1024];
	struct ktls_key_share_entry shares[KTLS_MAX_KEY_SHARES + 1];
	struct wire_writer w;
	struct ktls_client_hello_params good = {
		.random = random,
		.cipher_suites = suites,
		.n_cipher_suites = 1,
		.groups = groups,
		.n_groups = 1,
	}, p;

	for (size_t i = 0; i < KTLS_MAX_KEY_SHARES + 1; i++)
		shares[i] = (struct ktls_key_share_entry){ (uint16_t)(0x100 + i), x25519_pub, 32 };
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_client_hello(&w, &good));

	p = good, p.random = NULL;
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_client_hello(&w, &p));
	p = good, p.session_id = sid, p.session_id_len = 33; /* legacy_session_id<0..32> */
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_client_hello(&w, &p));
	p = good, p.n_cipher_suites = 0; /* cipher_suites<2..2^16-2> */
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_client_hello(&w, &p));
	p = good, p.key_shares = shares, p.n_key_shares = KTLS_MAX_KEY_SHARES + 1;
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_client_hello(&w, &p));
	p = good, p.server_name = ""; /* HostName<1..2^16-1> */
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_client_hello(&w, &p));
	p = good, p.alpn = empty_name, p.n_alpn = 1; /* ProtocolName<1..2^8-1> */
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_client_hello(&w, &p));
	p = good, p.cookie = random, p.cookie_len = 0; /* cookie<1..2^16-1> */
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_client_hello(&w, &p));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_client_hello(&w, NULL));
}

/* A buffer one byte short of any message is KTLS_ENOSPACE, at every size. */
TEST(encoders_report_enospace)
{
	static const uint16_t suites[] = { 0x1301 };
	static const uint16_t groups[] = { TLS_GROUP_X25519 };
	static const uint8_t cert[300];
	const uint8_t *certs[] = { cert };
	const size_t lens[] = { sizeof(cert) };
	uint8_t random[32] = { 0 }, buf[1024];
	struct ktls_key_share_entry share = { TLS_GROUP_X25519, x25519_pub, 32 };
	struct ktls_client_hello_params ch = {
		.random = random, .cipher_suites = suites, .n_cipher_suites = 1,
		.groups = groups, .n_groups = 1, .key_shares = &share, .n_key_shares = 1,
		.server_name = "a.example",
	};
	struct ktls_server_hello_params sh = {
		.random = random, .cipher_suite = 0x1301, .key_share = &share,
	};
	struct wire_writer w;
	size_t full;

	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_client_hello(&w, &ch));
	full = w.len;
	for (size_t cap = 0; cap < full; cap++) {
		wire_writer_init(&w, buf, cap);
		ASSERT_EQ(KTLS_ENOSPACE, ktls_encode_client_hello(&w, &ch));
	}
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_server_hello(&w, &sh));
	full = w.len;
	for (size_t cap = 0; cap < full; cap++) {
		wire_writer_init(&w, buf, cap);
		ASSERT_EQ(KTLS_ENOSPACE, ktls_encode_server_hello(&w, &sh));
	}
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_certificate(&w, NULL, 0, certs, lens, 1));
	full = w.len;
	for (size_t cap = 0; cap < full; cap++) {
		wire_writer_init(&w, buf, cap);
		ASSERT_EQ(KTLS_ENOSPACE, ktls_encode_certificate(&w, NULL, 0, certs, lens, 1));
	}
}

TEST(server_hello_round_trip)
{
	uint8_t random[32], sid[32], buf[512];
	struct ktls_key_share_entry share = { TLS_GROUP_X25519, x25519_pub, 32 };
	struct ktls_server_hello sh;
	struct wire_writer w;
	uint16_t types[4];
	size_t len;

	memset(random, 0x5a, sizeof(random));
	memset(sid, 0xa5, sizeof(sid));
	struct ktls_server_hello_params p = {
		.random = random,
		.session_id_echo = sid,
		.session_id_echo_len = 32,
		.cipher_suite = KTLS_TLS_CHACHA20_POLY1305_SHA256,
		.key_share = &share,
	};
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_server_hello(&w, &p));
	const uint8_t *body = encoded_body(&w, TLS_HS_SERVER_HELLO, &len);
	ASSERT_EQ(2u, ext_types(body, len, false, types, 4));
	EXPECT_EQ(TLS_EXT_KEY_SHARE, types[0]);
	EXPECT_EQ(TLS_EXT_SUPPORTED_VERSIONS, types[1]);
	ASSERT_EQ(0, ktls_decode_server_hello(body, len, &sh));
	EXPECT_FALSE(sh.is_hello_retry_request);
	EXPECT_EQ(0x0303, sh.legacy_version);
	ASSERT_MEMEQ(random, sh.random, 32);
	ASSERT_EQ(32u, sh.session_id_echo_len);
	ASSERT_MEMEQ(sid, sh.session_id_echo, 32);
	EXPECT_EQ(KTLS_TLS_CHACHA20_POLY1305_SHA256, sh.cipher_suite);
	EXPECT_EQ(0, sh.compression_method);
	EXPECT_EQ(KTLS_EXT_BIT_KEY_SHARE | KTLS_EXT_BIT_SUPPORTED_VERSIONS, sh.ext_seen);
	EXPECT_EQ(TLS_VERSION_1_3, sh.selected_version);
	EXPECT_EQ(TLS_GROUP_X25519, sh.key_share.group);
	ASSERT_EQ(32u, sh.key_share.key_exchange_len);
	ASSERT_MEMEQ(x25519_pub, sh.key_share.key_exchange, 32);
}

TEST(hello_retry_request_round_trip)
{
	static const uint8_t cookie[] = { 1, 2, 3 };
	uint8_t random[32], buf[512];
	struct ktls_server_hello sh;
	struct wire_writer w;
	size_t len;

	memset(random, 0x77, sizeof(random)); /* ignored for an HRR */
	struct ktls_server_hello_params p = {
		.hello_retry_request = true,
		.random = random,
		.cipher_suite = KTLS_TLS_AES_256_GCM_SHA384,
		.selected_group = TLS_GROUP_SECP256R1,
		.cookie = cookie,
		.cookie_len = sizeof(cookie),
	};
	for (int with_cookie = 1; with_cookie >= 0; with_cookie--) {
		if (!with_cookie)
			p.cookie = NULL, p.cookie_len = 0;
		wire_writer_init(&w, buf, sizeof(buf));
		ASSERT_EQ(0, ktls_encode_server_hello(&w, &p));
		const uint8_t *body = encoded_body(&w, TLS_HS_SERVER_HELLO, &len);
		ASSERT_EQ(0, ktls_decode_server_hello(body, len, &sh));
		EXPECT_TRUE(sh.is_hello_retry_request);
		ASSERT_MEMEQ(ktls_hello_retry_request_random, sh.random, 32);
		EXPECT_EQ(KTLS_TLS_AES_256_GCM_SHA384, sh.cipher_suite);
		EXPECT_EQ(TLS_GROUP_SECP256R1, sh.selected_group);
		EXPECT_EQ(TLS_VERSION_1_3, sh.selected_version);
		if (with_cookie) {
			ASSERT_EQ(3u, sh.cookie_len);
			ASSERT_MEMEQ(cookie, sh.cookie, 3);
			EXPECT_EQ(KTLS_EXT_BIT_KEY_SHARE | KTLS_EXT_BIT_COOKIE |
					  KTLS_EXT_BIT_SUPPORTED_VERSIONS,
				  sh.ext_seen);
		} else {
			EXPECT_NULL(sh.cookie);
			EXPECT_EQ(KTLS_EXT_BIT_KEY_SHARE | KTLS_EXT_BIT_SUPPORTED_VERSIONS,
				  sh.ext_seen);
		}
	}
}

TEST(server_hello_encoder_rejects_bad_params)
{
	static const uint8_t cookie[] = { 1 };
	uint8_t random[32] = { 0 }, buf[512];
	struct ktls_key_share_entry share = { TLS_GROUP_X25519, x25519_pub, 32 };
	struct wire_writer w;
	struct ktls_server_hello_params p = { .random = random, .cipher_suite = 0x1301 };

	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_server_hello(&w, &p)); /* no key share */
	p.key_share = &share, p.cookie = cookie, p.cookie_len = 1;
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_server_hello(&w, &p)); /* cookie outside an HRR */
	p.cookie = NULL, p.cookie_len = 0, p.random = NULL;
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_server_hello(&w, &p));
	EXPECT_EQ(0u, w.len); /* nothing written for refused arguments */
}

TEST(encrypted_extensions_round_trip)
{
	uint8_t buf[256];
	struct ktls_encrypted_extensions ee;
	struct wire_writer w;
	size_t len;
	struct ktls_encrypted_extensions_params p = { .alpn = "h2", .server_name_ack = true };

	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_encrypted_extensions(&w, &p));
	const uint8_t *body = encoded_body(&w, TLS_HS_ENCRYPTED_EXTENSIONS, &len);
	ASSERT_EQ(0, ktls_decode_encrypted_extensions(body, len, &ee));
	EXPECT_EQ(KTLS_EXT_BIT_SERVER_NAME | KTLS_EXT_BIT_ALPN, ee.ext_seen);
	ASSERT_EQ(2u, ee.alpn_len);
	ASSERT_MEMEQ("h2", ee.alpn, 2);

	/* nothing to say: an empty extension block */
	struct ktls_encrypted_extensions_params none = { 0 };
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_encrypted_extensions(&w, &none));
	ASSERT_EQ(6u, w.len);
	ASSERT_MEMEQ("\x08\x00\x00\x02\x00\x00", buf, 6);
	ASSERT_EQ(0, ktls_decode_encrypted_extensions(buf + 4, 2, &ee));
	EXPECT_EQ(0u, ee.ext_seen);
	EXPECT_NULL(ee.alpn);
}

TEST(certificate_request_round_trip)
{
	static const uint16_t schemes[] = { TLS_SIG_ED25519, TLS_SIG_RSA_PSS_RSAE_SHA256 };
	static const uint8_t context[] = { 0xde, 0xad, 0xbe, 0xef };
	uint8_t buf[256];
	struct ktls_certificate_request cr;
	struct wire_writer w;
	size_t len;
	struct ktls_certificate_request_params p = {
		.context = context,
		.context_len = sizeof(context),
		.signature_algorithms = schemes,
		.n_signature_algorithms = 2,
	};

	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_certificate_request(&w, &p));
	const uint8_t *body = encoded_body(&w, TLS_HS_CERTIFICATE_REQUEST, &len);
	ASSERT_EQ(0, ktls_decode_certificate_request(body, len, &cr));
	ASSERT_EQ(4u, cr.context_len);
	ASSERT_MEMEQ(context, cr.context, 4);
	EXPECT_EQ(KTLS_EXT_BIT_SIGNATURE_ALGORITHMS, cr.ext_seen);
	ASSERT_EQ(2u, cr.signature_algorithms.n);
	EXPECT_EQ(TLS_SIG_ED25519, ktls_u16_list_at(&cr.signature_algorithms, 0));
	EXPECT_EQ(TLS_SIG_RSA_PSS_RSAE_SHA256, ktls_u16_list_at(&cr.signature_algorithms, 1));
	for (size_t n = 0; n < len; n++)
		ASSERT_EQ(KTLS_EDECODE, decode_copy(dec_certificate_request, body, n));

	/* signature_algorithms is required (§4.3.2): not encodable without, missing_extension
	 * when a peer leaves it out */
	p.n_signature_algorithms = 0;
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_certificate_request(&w, &p));
	struct builder b;
	wire_writer_init(&b.w, b.buf, sizeof(b.buf));
	ASSERT_EQ(0, wire_put_u8(&b.w, 0));
	open_exts(&b);
	add_ext(&b, TLS_EXT_SIGNATURE_ALGORITHMS_CERT, "0002 0807");
	ASSERT_EQ(KTLS_EMISSINGEXT, ktls_decode_certificate_request(b.buf, finish(&b), &cr));
}

TEST(certificate_round_trip)
{
	static const uint8_t c1[] = { 0x30, 0x01, 0x00 };
	static const uint8_t ctx[] = { 7 };
	uint8_t c2[300], buf[1024];
	const uint8_t *certs[] = { c1, c2 };
	const size_t lens[] = { sizeof(c1), sizeof(c2) };
	struct ktls_certificate c;
	struct wire_writer w;
	size_t len;

	memset(c2, 0xcc, sizeof(c2));
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_certificate(&w, ctx, 1, certs, lens, 2));
	const uint8_t *body = encoded_body(&w, TLS_HS_CERTIFICATE, &len);
	ASSERT_EQ(0, ktls_decode_certificate(body, len, &c));
	ASSERT_EQ(1u, c.context_len);
	EXPECT_EQ(7, c.context[0]);
	ASSERT_EQ(2u, c.n_entries);
	ASSERT_EQ(sizeof(c1), c.entries[0].cert_data_len);
	ASSERT_MEMEQ(c1, c.entries[0].cert_data, sizeof(c1));
	ASSERT_EQ(sizeof(c2), c.entries[1].cert_data_len);
	ASSERT_MEMEQ(c2, c.entries[1].cert_data, sizeof(c2));

	/* no certificate at all (a client without one, §4.4.2.4) */
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_certificate(&w, NULL, 0, NULL, NULL, 0));
	ASSERT_EQ(8u, w.len);
	ASSERT_MEMEQ("\x0b\x00\x00\x04\x00\x00\x00\x00", buf, 8);
	ASSERT_EQ(0, ktls_decode_certificate(buf + 4, 4, &c));
	EXPECT_EQ(0u, c.n_entries);

	/* cert_data<1..2^24-1> */
	const size_t zero[] = { 0 };
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_certificate(&w, NULL, 0, certs, zero, 1));
}

TEST(certificate_verify_finished_key_update_round_trip)
{
	uint8_t sig[64], vd[48], buf[256];
	struct ktls_certificate_verify cv;
	struct wire_writer w;
	const uint8_t *got;
	uint8_t req;
	size_t len;

	memset(sig, 0x11, sizeof(sig));
	memset(vd, 0x22, sizeof(vd));
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_certificate_verify(&w, TLS_SIG_ED25519, sig, sizeof(sig)));
	const uint8_t *body = encoded_body(&w, TLS_HS_CERTIFICATE_VERIFY, &len);
	ASSERT_EQ(0, ktls_decode_certificate_verify(body, len, &cv));
	EXPECT_EQ(TLS_SIG_ED25519, cv.algorithm);
	ASSERT_EQ(sizeof(sig), cv.signature_len);
	ASSERT_MEMEQ(sig, cv.signature, sizeof(sig));

	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_finished(&w, vd, sizeof(vd)));
	body = encoded_body(&w, TLS_HS_FINISHED, &len);
	ASSERT_EQ(48u, len);
	ASSERT_EQ(0, ktls_decode_finished(body, len, 48, &got));
	ASSERT_MEMEQ(vd, got, 48);

	for (uint8_t v = 0; v <= 1; v++) {
		wire_writer_init(&w, buf, sizeof(buf));
		ASSERT_EQ(0, ktls_encode_key_update(&w, v));
		ASSERT_EQ(5u, w.len);
		body = encoded_body(&w, TLS_HS_KEY_UPDATE, &len);
		ASSERT_EQ(0, ktls_decode_key_update(body, len, &req));
		EXPECT_EQ(v, req);
	}
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_key_update(&w, 2));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_finished(&w, vd, 0));
}

/* §4.4.1: message_hash || 00 00 Hash.length || Hash(ClientHello1) */
TEST(message_hash_bytes)
{
	uint8_t hash[32], buf[64];
	struct wire_writer w;

	for (size_t i = 0; i < 32; i++)
		hash[i] = (uint8_t)(0xf0 ^ i);
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_message_hash(&w, hash, 32));
	ASSERT_EQ(36u, w.len);
	ASSERT_MEMEQ("\xfe\x00\x00\x20", buf, 4);
	ASSERT_MEMEQ(hash, buf + 4, 32);
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_message_hash(&w, hash, 48 - 16));
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, ktls_encode_message_hash(&w, hash, 0));
}

/* ------------------------------------------------------------------------------------------ */
/* Hostile inputs                                                                             */

TEST(duplicate_extension_is_illegal)
{
	struct ktls_client_hello ch;
	struct ktls_server_hello sh;
	struct ktls_encrypted_extensions ee;
	struct builder b;
	uint8_t random[32] = { 1 };

	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_SUPPORTED_GROUPS, GROUPS_X25519);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_client_hello(b.buf, finish(&b), &ch));

	sh_begin(&b, random);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_SH_13);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_SH_13);
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_server_hello(b.buf, finish(&b), &sh));

	ee_begin(&b);
	add_ext(&b, TLS_EXT_SERVER_NAME, "");
	add_ext(&b, TLS_EXT_SERVER_NAME, "");
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_encrypted_extensions(b.buf, finish(&b), &ee));

	/* a known extension where it has no meaning (cookie in EE) still counts */
	ee_begin(&b);
	add_ext(&b, TLS_EXT_COOKIE, "0001 00");
	add_ext(&b, TLS_EXT_COOKIE, "0001 00");
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_encrypted_extensions(b.buf, finish(&b), &ee));
}

TEST(extension_in_unexpected_message_is_recorded)
{
	struct ktls_encrypted_extensions ee;
	struct builder b;

	ee_begin(&b);
	add_ext(&b, TLS_EXT_KEY_SHARE, ""); /* never parsed in EE: not even its syntax */
	add_ext(&b, TLS_EXT_COOKIE, "0001 00");
	ASSERT_EQ(0, ktls_decode_encrypted_extensions(b.buf, finish(&b), &ee));
	EXPECT_EQ(KTLS_EXT_BIT_KEY_SHARE | KTLS_EXT_BIT_COOKIE, ee.ext_seen);
}

TEST(unknown_extension_is_recorded_and_skipped)
{
	struct ktls_client_hello ch;
	struct ktls_encrypted_extensions ee;
	struct builder b;

	ee_begin(&b);
	add_ext(&b, 0x1234, "de ad be ef");
	add_ext(&b, 0xfe0d, "");
	ASSERT_EQ(0, ktls_decode_encrypted_extensions(b.buf, finish(&b), &ee));
	EXPECT_EQ(KTLS_EXT_BIT_UNKNOWN, ee.ext_seen);

	ch_begin(&b);
	add_ext(&b, 0x5a5a, "00"); /* a GREASE value (RFC 8701) */
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	ASSERT_EQ(0, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	EXPECT_EQ(KTLS_EXT_BIT_UNKNOWN | KTLS_EXT_BIT_SUPPORTED_VERSIONS, ch.ext_seen);
	EXPECT_EQ(1u, ch.supported_versions.n);
}

TEST(pre_shared_key_must_be_last)
{
	uint8_t psk[256];
	size_t psk_len = offered_psks(psk, sizeof(psk), 1, 1);
	struct ktls_client_hello ch;
	struct builder b;

	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext_raw(&b, TLS_EXT_PRE_SHARED_KEY, psk, psk_len);
	add_ext(&b, TLS_EXT_PSK_KEY_EXCHANGE_MODES, "01 01");
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_client_hello(b.buf, finish(&b), &ch));

	/* last, it is fine, and the binders start 35 bytes (2 + 1 + 32) before the end */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_PSK_KEY_EXCHANGE_MODES, "01 01");
	add_ext_raw(&b, TLS_EXT_PRE_SHARED_KEY, psk, psk_len);
	size_t len = finish(&b);
	ASSERT_EQ(0, ktls_decode_client_hello(b.buf, len, &ch));
	EXPECT_EQ(len - 35, ch.binders_offset);
	ASSERT_EQ(psk_len, ch.pre_shared_key_len);
	ASSERT_MEMEQ(psk, ch.pre_shared_key, psk_len);
	ASSERT_EQ(1u, ch.psk_modes_len);
}

TEST(pre_shared_key_syntax)
{
	uint8_t psk[512];
	struct ktls_client_hello ch;
	struct ktls_server_hello sh;
	struct builder b;
	uint8_t random[32] = { 1 };

	/* "one binder per identity" */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext_raw(&b, TLS_EXT_PRE_SHARED_KEY, psk, offered_psks(psk, sizeof(psk), 2, 1));
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	/* identities<7..2^16-1>: none is a decode_error */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext_raw(&b, TLS_EXT_PRE_SHARED_KEY, psk, offered_psks(psk, sizeof(psk), 0, 1));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	/* PskBinderEntry<32..255>: a 31-byte binder */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_PRE_SHARED_KEY,
		"000b 0005 0102030405 00000000"
		"0022 1f 00000000000000000000000000000000000000000000000000000000000000 01 00");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	/* ServerHello: uint16 selected_identity */
	sh_begin(&b, random);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_SH_13);
	add_ext(&b, TLS_EXT_PRE_SHARED_KEY, "0003");
	ASSERT_EQ(0, ktls_decode_server_hello(b.buf, finish(&b), &sh));
	EXPECT_EQ(3, sh.selected_identity);
	sh_begin(&b, random);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_SH_13);
	add_ext(&b, TLS_EXT_PRE_SHARED_KEY, "000300");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_server_hello(b.buf, finish(&b), &sh));
}

/* Hand-built ClientHello bodies for the fixed fields. */
static int decode_ch_hex(const char *hex)
{
	uint8_t body[512];
	struct ktls_client_hello ch;
	return ktls_decode_client_hello(body, unhex(hex, body, sizeof(body)), &ch);
}

#define RANDOM_HEX "00000000000000000000000000000000 00000000000000000000000000000000"
/* a valid extension block: supported_versions {0x0304} plus an empty key_share (8+ bytes) */
#define EXTS_HEX "000d 002b 0003 020304 0033 0002 0000"

TEST(client_hello_fixed_fields)
{
	/* the reference: valid */
	ASSERT_EQ(0, decode_ch_hex("0303" RANDOM_HEX "00 0002 1301 0100" EXTS_HEX));
	/* odd-length cipher_suites */
	EXPECT_EQ(KTLS_EDECODE, decode_ch_hex("0303" RANDOM_HEX "00 0003 130113 0100" EXTS_HEX));
	/* cipher_suites<2..2^16-2>: empty */
	EXPECT_EQ(KTLS_EDECODE, decode_ch_hex("0303" RANDOM_HEX "00 0000 0100" EXTS_HEX));
	/* legacy_session_id<0..32>: 33 bytes */
	EXPECT_EQ(KTLS_EDECODE,
		  decode_ch_hex("0303" RANDOM_HEX "21" RANDOM_HEX "00 0002 1301 0100" EXTS_HEX));
	/* 32 bytes is fine */
	EXPECT_EQ(0, decode_ch_hex("0303" RANDOM_HEX "20" RANDOM_HEX "0002 1301 0100" EXTS_HEX));
	/* legacy_compression_methods<1..2^8-1>: empty */
	EXPECT_EQ(KTLS_EDECODE, decode_ch_hex("0303" RANDOM_HEX "00 0002 1301 00" EXTS_HEX));
	/* a 7-byte block decodes (TLS 1.2's syntax is extensions<0..2^16-1>, and Appendix D.2
	 * wants protocol_version for it, not decode_error); the handshake layer holds a TLS
	 * 1.3 hello to <8..2^16-1> (hostile_test) */
	EXPECT_EQ(0, decode_ch_hex("0303" RANDOM_HEX "00 0002 1301 0100 0007 002b 0003 020303"));
	EXPECT_EQ(0, decode_ch_hex("0303" RANDOM_HEX "00 0002 1301 0100 0000"));
	/* a short random */
	EXPECT_EQ(KTLS_EDECODE, decode_ch_hex("0303 00000000"));
	/* an extension whose length runs past the block */
	EXPECT_EQ(KTLS_EDECODE,
		  decode_ch_hex("0303" RANDOM_HEX "00 0002 1301 0100 0008 002b 0005 020304 00"));
	/* and a byte after the block */
	EXPECT_EQ(KTLS_EDECODE, decode_ch_hex("0303" RANDOM_HEX "00 0002 1301 0100" EXTS_HEX "00"));
}

/* RFC 8446 §4.1.2: a ClientHello of an earlier TLS may end after the compression methods;
 * it decodes with no extensions (for the handshake layer to answer protocol_version). */
TEST(client_hello_without_extensions)
{
	uint8_t body[128];
	struct ktls_client_hello ch;
	size_t len = unhex("0303" RANDOM_HEX "00 0004 c02f 1301 0100", body, sizeof(body));

	ASSERT_EQ(0, ktls_decode_client_hello(body, len, &ch));
	EXPECT_EQ(0u, ch.ext_seen);
	EXPECT_EQ(2u, ch.cipher_suites.n);
	EXPECT_EQ(0u, ch.supported_versions.n);
}

TEST(server_hello_fixed_fields)
{
	uint8_t body[256];
	struct ktls_server_hello sh;
	size_t len;

	len = unhex("0303" RANDOM_HEX "00 1301 00 0006 002b 0002 0304", body, sizeof(body));
	ASSERT_EQ(0, ktls_decode_server_hello(body, len, &sh));
	/* legacy_session_id_echo<0..32>: 33 bytes */
	len = unhex("0303" RANDOM_HEX "21" RANDOM_HEX "00 1301 00 0006 002b 0002 0304", body,
		    sizeof(body));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_server_hello(body, len, &sh));
	/* extensions<6..2^16-1>: empty, or absent */
	len = unhex("0303" RANDOM_HEX "00 1301 00 0000", body, sizeof(body));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_server_hello(body, len, &sh));
	len = unhex("0303" RANDOM_HEX "00 1301 00", body, sizeof(body));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_server_hello(body, len, &sh));
	/* supported_versions in a ServerHello is one u16, not a list */
	len = unhex("0303" RANDOM_HEX "00 1301 00 0007 002b 0003 020304", body, sizeof(body));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_server_hello(body, len, &sh));
	/* the server_name acknowledgement must be empty */
	len = unhex("0303" RANDOM_HEX "00 1301 00 000b 002b 0002 0304 0000 0001 00", body,
		    sizeof(body));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_server_hello(body, len, &sh));
}

TEST(supported_versions_in_client_hello)
{
	struct ktls_client_hello ch;
	struct builder b;

	/* versions<2..254> */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, "00");
	add_ext(&b, TLS_EXT_KEY_SHARE, KS_CH_EMPTY);
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, "03 030403");
	add_ext(&b, TLS_EXT_KEY_SHARE, KS_CH_EMPTY);
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	/* a u8 length, not a u16 one */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, "0002 0304");
	add_ext(&b, TLS_EXT_KEY_SHARE, KS_CH_EMPTY);
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, "04 0304 0303");
	add_ext(&b, TLS_EXT_KEY_SHARE, KS_CH_EMPTY);
	ASSERT_EQ(0, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	EXPECT_EQ(2u, ch.supported_versions.n);
	EXPECT_TRUE(ktls_u16_list_has(&ch.supported_versions, 0x0303));
}

TEST(u16_lists_must_be_even)
{
	struct ktls_client_hello ch;
	struct ktls_certificate_request cr;
	struct builder b;

	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_SUPPORTED_GROUPS, "0003 001d00");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_SIGNATURE_ALGORITHMS, "0003 080408");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	/* supported_signature_algorithms<2..2^16-2>: empty */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_SIGNATURE_ALGORITHMS, "0000");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	wire_writer_init(&b.w, b.buf, sizeof(b.buf));
	ASSERT_EQ(0, wire_put_u8(&b.w, 0));
	open_exts(&b);
	add_ext(&b, TLS_EXT_SIGNATURE_ALGORITHMS, "0003 080408");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_certificate_request(b.buf, finish(&b), &cr));
}

/* §4.2.8 sets no limit on client_shares: every entry is taken (one linear pass), only a
 * group offered twice is illegal_parameter. */
TEST(key_shares_any_number)
{
	static uint16_t groups[1200];
	static uint8_t ks[1200 * 5 + 2];
	struct ktls_client_hello ch;
	static struct builder big;
	struct builder *b = &big;

	for (size_t i = 0; i < 1200; i++)
		groups[i] = (uint16_t)(0x0100 + i);
	/* more than we would ever send, and more than the old cap of 8 */
	for (size_t n = 9; n <= 1200; n += 1191) {
		ch_begin(b);
		add_ext(b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
		add_ext_raw(b, TLS_EXT_KEY_SHARE, ks, key_share_list(ks, sizeof(ks), groups, n));
		ASSERT_EQ(0, ktls_decode_client_hello(b->buf, finish(b), &ch));
		EXPECT_EQ(n, ch.n_key_shares);
		EXPECT_EQ(groups[n - 1], share_at(&ch, n - 1).group);
		struct ktls_key_share_entry e;
		EXPECT_EQ(1, ktls_client_hello_share_for_group(&ch, groups[n / 2], &e));
		EXPECT_EQ(groups[n / 2], e.group);
		EXPECT_EQ(0, ktls_client_hello_share_for_group(&ch, 0x001d, &e));
	}
	/* the same group twice, far apart: illegal_parameter */
	groups[1100] = groups[3];
	ch_begin(b);
	add_ext(b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext_raw(b, TLS_EXT_KEY_SHARE, ks, key_share_list(ks, sizeof(ks), groups, 1200));
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_client_hello(b->buf, finish(b), &ch));
	/* and adjacent */
	groups[2] = groups[0];
	ch_begin(b);
	add_ext(b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext_raw(b, TLS_EXT_KEY_SHARE, ks, key_share_list(ks, sizeof(ks), groups, 3));
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_client_hello(b->buf, finish(b), &ch));
}

TEST(server_name_syntax)
{
	struct ktls_client_hello ch;
	struct ktls_encrypted_extensions ee;
	struct builder b;

	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_SERVER_NAME, "0004 00 0001 61");
	ASSERT_EQ(0, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	ASSERT_EQ(1u, ch.server_name_len);
	EXPECT_EQ('a', ch.server_name[0]);
	/* two host_names */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_SERVER_NAME, "0008 00 0001 61 00 0001 62");
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	/* a NameType other than host_name */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_SERVER_NAME, "0004 01 0001 61");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	/* server_name_list<1..2^16-1>, HostName<1..2^16-1> */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_SERVER_NAME, "0000");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_SERVER_NAME, "0003 00 0000");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	/* the server's acknowledgement is empty */
	ee_begin(&b);
	add_ext(&b, TLS_EXT_SERVER_NAME, "0004 00 0001 61");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_encrypted_extensions(b.buf, finish(&b), &ee));
}

TEST(alpn_syntax)
{
	struct ktls_client_hello ch;
	struct ktls_encrypted_extensions ee;
	struct builder b;

	/* EncryptedExtensions: exactly one ProtocolName */
	ee_begin(&b);
	add_ext(&b, TLS_EXT_ALPN, "0006 02 6832 02 6833");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_encrypted_extensions(b.buf, finish(&b), &ee));
	ee_begin(&b);
	add_ext(&b, TLS_EXT_ALPN, "0003 02 6832");
	ASSERT_EQ(0, ktls_decode_encrypted_extensions(b.buf, finish(&b), &ee));
	ASSERT_EQ(2u, ee.alpn_len);
	ASSERT_MEMEQ("h2", ee.alpn, 2);
	/* ProtocolName<1..2^8-1>: empty */
	ee_begin(&b);
	add_ext(&b, TLS_EXT_ALPN, "0002 00 00");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_encrypted_extensions(b.buf, finish(&b), &ee));
	ee_begin(&b);
	add_ext(&b, TLS_EXT_ALPN, "0001 00");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_encrypted_extensions(b.buf, finish(&b), &ee));
	/* ClientHello: every name checked */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_ALPN, "0004 02 6832 00");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_ALPN, "0004 02 6832 05");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
}

TEST(early_data_and_simple_client_extensions)
{
	struct ktls_client_hello ch;
	struct ktls_new_session_ticket t;
	struct builder b;

	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_POST_HANDSHAKE_AUTH, "");
	add_ext(&b, TLS_EXT_CERTIFICATE_AUTHORITIES, "0005 0003 616263");
	add_ext(&b, TLS_EXT_SIGNATURE_ALGORITHMS_CERT, "0002 0401");
	add_ext(&b, TLS_EXT_EARLY_DATA, "");
	ASSERT_EQ(0, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	EXPECT_TRUE(ch.post_handshake_auth);
	EXPECT_TRUE(ch.early_data);
	ASSERT_EQ(1u, ch.signature_algorithms_cert.n);
	EXPECT_EQ(TLS_SIG_RSA_PKCS1_SHA256, ktls_u16_list_at(&ch.signature_algorithms_cert, 0));
	/* empty extensions must be empty */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_EARLY_DATA, "00");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	/* authorities<3..2^16-1> */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_CERTIFICATE_AUTHORITIES, "0002 0000");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	/* psk ke_modes<1..255> */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_PSK_KEY_EXCHANGE_MODES, "00");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));
	/* cookie<1..2^16-1> */
	ch_begin(&b);
	add_ext(&b, TLS_EXT_SUPPORTED_VERSIONS, SV_CH_13);
	add_ext(&b, TLS_EXT_COOKIE, "0000");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(b.buf, finish(&b), &ch));

	/* NewSessionTicket's early_data is a uint32 */
	wire_writer_init(&b.w, b.buf, sizeof(b.buf));
	ASSERT_EQ(0, wire_put_u32(&b.w, 7200));
	ASSERT_EQ(0, wire_put_u32(&b.w, 1));
	ASSERT_EQ(0, wire_put_opaque(&b.w, 1, 0, 255, "n", 1));
	ASSERT_EQ(0, wire_put_opaque(&b.w, 2, 1, 0xffff, "ticket", 6));
	size_t fixed = b.w.len;
	open_exts(&b);
	add_ext(&b, TLS_EXT_EARLY_DATA, "0000ffff");
	ASSERT_EQ(0, ktls_decode_new_session_ticket(b.buf, finish(&b), &t));
	EXPECT_EQ(0xffffu, t.max_early_data_size);
	EXPECT_EQ(7200u, t.ticket_lifetime);
	b.w.len = fixed;
	open_exts(&b);
	add_ext(&b, TLS_EXT_EARLY_DATA, "ffff");
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_new_session_ticket(b.buf, finish(&b), &t));
	/* ticket<1..2^16-1>: empty */
	static const uint8_t empty_ticket[] = { 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0 };
	EXPECT_EQ(KTLS_EDECODE,
		  ktls_decode_new_session_ticket(empty_ticket, sizeof(empty_ticket), &t));
}

TEST(key_update_values)
{
	static const uint8_t v[] = { 0, 1, 2, 255 };
	uint8_t req = 9;

	ASSERT_EQ(0, ktls_decode_key_update(&v[0], 1, &req));
	EXPECT_EQ(0, req);
	ASSERT_EQ(0, ktls_decode_key_update(&v[1], 1, &req));
	EXPECT_EQ(1, req);
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_key_update(&v[2], 1, &req));
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_key_update(&v[3], 1, &req));
	EXPECT_EQ(1, req); /* untouched on error */
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_key_update(v, 0, &req));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_key_update(v, 2, &req));
}

TEST(finished_of_wrong_length)
{
	uint8_t vd[49] = { 0 };
	const uint8_t *got;

	EXPECT_EQ(0, ktls_decode_finished(vd, 48, 48, &got));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_finished(vd, 47, 48, &got));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_finished(vd, 49, 48, &got));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_finished(vd, 0, 32, &got));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_finished(vd, 0, 0, &got));
}

/* Builds a Certificate body with n entries of 1-byte certificates (each entry's extensions
 * given as hex). */
static size_t certificate_body(uint8_t *buf, size_t cap, size_t n, const char *entry_exts)
{
	struct wire_writer w;
	struct wire_scope list, exts;
	uint8_t data[256];
	size_t data_len = unhex(entry_exts, data, sizeof(data));

	wire_writer_init(&w, buf, cap);
	ASSERT_EQ(0, wire_put_u8(&w, 0));
	ASSERT_EQ(0, wire_open(&w, 3, &list));
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(0, wire_put_opaque(&w, 3, 1, 0xffffff, "\x30", 1));
		ASSERT_EQ(0, wire_open(&w, 2, &exts));
		ASSERT_EQ(0, wire_put_bytes(&w, data, data_len));
		ASSERT_EQ(0, wire_close(&w, &exts, 0, 0xffff));
	}
	ASSERT_EQ(0, wire_close(&w, &list, 0, 0xffffff));
	return w.len;
}

TEST(certificate_chain_limits)
{
	uint8_t buf[1024];
	struct ktls_certificate c;

	ASSERT_EQ(0, ktls_decode_certificate(buf, certificate_body(buf, sizeof(buf),
								    KTLS_MAX_CHAIN, ""), &c));
	EXPECT_EQ((size_t)KTLS_MAX_CHAIN, c.n_entries);
	EXPECT_EQ(KTLS_EBADCERT,
		  ktls_decode_certificate(buf, certificate_body(buf, sizeof(buf),
								KTLS_MAX_CHAIN + 1, ""), &c));
	/* entry extensions: walked (status_request, an SCT list) and dropped; a known type
	 * twice fails (the ext_seen bitmap cannot see a repeated *unknown* type) */
	ASSERT_EQ(0, ktls_decode_certificate(
			     buf, certificate_body(buf, sizeof(buf), 2, "0005 0001 00 0012 0000"),
			     &c));
	EXPECT_EQ(2u, c.n_entries);
	EXPECT_EQ(KTLS_EILLEGAL,
		  ktls_decode_certificate(
			  buf, certificate_body(buf, sizeof(buf), 1, "002b 0000 002b 0000"), &c));
	EXPECT_EQ(KTLS_EDECODE,
		  ktls_decode_certificate(buf, certificate_body(buf, sizeof(buf), 1, "0005 0001"),
					  &c));
	/* cert_data<1..2^24-1>: empty */
	static const uint8_t empty_cert[] = { 0, 0, 0, 5, 0, 0, 0, 0, 0 };
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_certificate(empty_cert, sizeof(empty_cert), &c));
}

TEST(decoders_reject_bad_arguments)
{
	static const uint8_t b[4] = { 0 };
	struct ktls_client_hello ch;
	uint8_t level, desc;

	EXPECT_EQ(KTLS_EINVAL, ktls_decode_client_hello(b, sizeof(b), NULL));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_client_hello(NULL, 4, &ch));
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_client_hello(NULL, 0, &ch));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_server_hello(b, sizeof(b), NULL));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_encrypted_extensions(b, sizeof(b), NULL));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_certificate_request(b, sizeof(b), NULL));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_certificate(b, sizeof(b), NULL));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_certificate_verify(b, sizeof(b), NULL));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_finished(b, sizeof(b), 4, NULL));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_new_session_ticket(b, sizeof(b), NULL));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_key_update(b, 1, NULL));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_alert(b, 2, NULL, &desc));
	EXPECT_EQ(KTLS_EINVAL, ktls_decode_alert(b, 2, &level, NULL));
	/* an empty EncryptedExtensions body is still missing its extensions vector */
	struct ktls_encrypted_extensions ee;
	EXPECT_EQ(KTLS_EDECODE, ktls_decode_encrypted_extensions(NULL, 0, &ee));
}

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                      */

TEST(names)
{
	EXPECT_STREQ("client_hello", ktls_handshake_type_name(TLS_HS_CLIENT_HELLO));
	EXPECT_STREQ("encrypted_extensions", ktls_handshake_type_name(8));
	EXPECT_STREQ("key_update", ktls_handshake_type_name(24));
	EXPECT_STREQ("message_hash", ktls_handshake_type_name(254));
	EXPECT_NULL(ktls_handshake_type_name(3));
	EXPECT_NULL(ktls_handshake_type_name(255));

	EXPECT_STREQ("key_share", ktls_extension_name(TLS_EXT_KEY_SHARE));
	EXPECT_STREQ("server_name", ktls_extension_name(0));
	EXPECT_STREQ("application_layer_protocol_negotiation", ktls_extension_name(16));
	EXPECT_STREQ("signature_algorithms_cert", ktls_extension_name(50));
	EXPECT_STREQ("record_size_limit", ktls_extension_name(28));
	EXPECT_NULL(ktls_extension_name(0x1234));
	EXPECT_NULL(ktls_extension_name(46));

	EXPECT_STREQ("x25519", ktls_group_name(0x001d));
	EXPECT_STREQ("secp256r1", ktls_group_name(0x0017));
	EXPECT_STREQ("secp384r1", ktls_group_name(0x0018));
	EXPECT_STREQ("secp521r1", ktls_group_name(0x0019));
	EXPECT_STREQ("x448", ktls_group_name(0x001e));
	EXPECT_STREQ("ffdhe2048", ktls_group_name(0x0100));
	EXPECT_STREQ("ffdhe8192", ktls_group_name(0x0104));
	EXPECT_NULL(ktls_group_name(0x0000));

	EXPECT_STREQ("rsa_pss_rsae_sha256", ktls_signature_scheme_name(0x0804));
	EXPECT_STREQ("ecdsa_secp256r1_sha256", ktls_signature_scheme_name(0x0403));
	EXPECT_STREQ("ed25519", ktls_signature_scheme_name(0x0807));
	EXPECT_STREQ("ed448", ktls_signature_scheme_name(0x0808));
	EXPECT_STREQ("rsa_pss_pss_sha512", ktls_signature_scheme_name(0x080b));
	EXPECT_STREQ("rsa_pkcs1_sha1", ktls_signature_scheme_name(0x0201));
	EXPECT_STREQ("ecdsa_sha1", ktls_signature_scheme_name(0x0203));
	EXPECT_NULL(ktls_signature_scheme_name(0x0000));
	EXPECT_NULL(ktls_signature_scheme_name(0x0202)); /* dsa_sha1_RESERVED, RFC 8446 §B.3.1.3 */
}

/* Everything RFC 8448's ClientHello offers has a name, and every extension our table knows. */
TEST_F(rfc8448, every_offered_value_has_a_name)
{
	struct ktls_client_hello ch;
	size_t len;
	const uint8_t *body = body_of(V("client_hello"), TLS_HS_CLIENT_HELLO, &len);
	uint16_t types[32];
	size_t n;

	ASSERT_EQ(0, ktls_decode_client_hello(body, len, &ch));
	for (size_t i = 0; i < ch.supported_groups.n; i++)
		EXPECT_NONNULL(ktls_group_name(ktls_u16_list_at(&ch.supported_groups, i)));
	for (size_t i = 0; i < ch.signature_algorithms.n; i++) {
		uint16_t s = ktls_u16_list_at(&ch.signature_algorithms, i);
		/* the trace also offers the reserved SHA-1 DSA-era code points 0x0202, 0x0402.. */
		if ((s & 0xff) == 0x02)
			continue;
		if (!ktls_signature_scheme_name(s))
			TH_LOG("no name for 0x%04x", s);
		EXPECT_NONNULL(ktls_signature_scheme_name(s));
	}
	n = ext_types(body, len, true, types, 32);
	for (size_t i = 0; i < n; i++)
		EXPECT_NONNULL(ktls_extension_name(types[i]));
	for (uint16_t t = 0; t < 64; t++) {
		bool known = t == 0 || t == 10 || t == 13 || t == 16 || (t >= 41 && t <= 45) ||
			     t == 47 || t == 49 || t == 50 || t == 51;
		if (known)
			EXPECT_NONNULL(ktls_extension_name(t));
	}
}

/* §4.2.3: signature_algorithms_cert travels in ClientHello and CertificateRequest. */
TEST(signature_algorithms_cert_round_trip)
{
	static const uint16_t suites[] = { 0x1303 }, groups[] = { 0x001d };
	static const uint16_t sigs[] = { 0x0807, 0x0403 }, cert_sigs[] = { 0x0401, 0x0804, 0x0807 };
	uint8_t random[32] = { 1 }, pub[32] = { 9 }, buf[1024];
	struct ktls_key_share_entry share = { 0x001d, pub, sizeof(pub) };
	struct ktls_client_hello_params p = {
		.random = random, .cipher_suites = suites, .n_cipher_suites = 1,
		.groups = groups, .n_groups = 1, .key_shares = &share, .n_key_shares = 1,
		.signature_algorithms = sigs, .n_signature_algorithms = 2,
		.signature_algorithms_cert = cert_sigs, .n_signature_algorithms_cert = 3,
	};
	struct wire_writer w;
	struct ktls_client_hello ch;

	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_client_hello(&w, &p));
	ASSERT_EQ(0, ktls_decode_client_hello(buf + 4, w.len - 4, &ch));
	ASSERT_TRUE(ch.ext_seen & KTLS_EXT_BIT_SIGNATURE_ALGORITHMS_CERT);
	ASSERT_EQ(3u, ch.signature_algorithms_cert.n);
	for (size_t i = 0; i < 3; i++)
		EXPECT_EQ(cert_sigs[i], ktls_u16_list_at(&ch.signature_algorithms_cert, i));

	struct ktls_certificate_request_params crp = {
		.signature_algorithms = sigs, .n_signature_algorithms = 2,
		.signature_algorithms_cert = cert_sigs, .n_signature_algorithms_cert = 3,
	};
	struct ktls_certificate_request cr;
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, ktls_encode_certificate_request(&w, &crp));
	ASSERT_EQ(0, ktls_decode_certificate_request(buf + 4, w.len - 4, &cr));
	ASSERT_EQ(3u, cr.signature_algorithms_cert.n);
	EXPECT_EQ(0x0401, ktls_u16_list_at(&cr.signature_algorithms_cert, 0));
}

/* §9.3: unknown extensions "MUST" be ignored, so a block full of them — 16383 empty ones of
 * distinct types, all a 2^16-1 byte block holds — decodes; a type twice, known or not, is
 * illegal_parameter (§4.2). */
TEST(every_extension_a_block_holds)
{
	static uint8_t body[2 + 32 + 1 + 4 + 2 + 2 + 4 * KTLS_MAX_EXTENSIONS];
	size_t n = 0, exts = 4 * KTLS_MAX_EXTENSIONS;
	struct ktls_client_hello ch;

	body[n++] = 3; body[n++] = 3;
	memset(body + n, 7, 32); n += 32;
	body[n++] = 0;                                 /* session id */
	body[n++] = 0; body[n++] = 2; body[n++] = 0x13; body[n++] = 0x03;
	body[n++] = 1; body[n++] = 0;                  /* null compression */
	body[n++] = (uint8_t)(exts >> 8); body[n++] = (uint8_t)exts;
	size_t first_ext = n;
	for (size_t i = 0; i < KTLS_MAX_EXTENSIONS; i++) {
		uint16_t type = (uint16_t)(0x1000 + i); /* none of them ours */
		body[n++] = (uint8_t)(type >> 8); body[n++] = (uint8_t)type;
		body[n++] = 0; body[n++] = 0;
	}
	ASSERT_EQ(sizeof(body), n);
	ASSERT_EQ(0, ktls_decode_client_hello(body, n, &ch));
	EXPECT_EQ((size_t)KTLS_MAX_EXTENSIONS, ch.n_extensions);
	EXPECT_EQ(KTLS_EXT_BIT_UNKNOWN, ch.ext_seen);
	/* the last one repeats the first one's type */
	memcpy(body + n - 4, body + first_ext, 2);
	EXPECT_EQ(KTLS_EILLEGAL, ktls_decode_client_hello(body, n, &ch));
}

TEST_HARNESS_MAIN
