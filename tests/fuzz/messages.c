/*
 * messages.c — fuzz target: every handshake message decoder of lib/core/messages.h, and where a
 * decoder succeeds and an encoder exists, a round trip.
 *
 * Input: byte 0 picks the decoder (modulo 10: ClientHello, ServerHello/HelloRetryRequest,
 * EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify, Finished,
 * NewSessionTicket, KeyUpdate, Alert); the rest is the message body (no 4-byte header).
 * For Finished, byte 1 is Hash.length (0..64 are legal for the decoder) and the body follows.
 *
 * Round trip: the fields the encoder can express are fed back to it (for ClientHello:
 * random, session id, suites, groups, key shares, signature algorithms, SNI, ALPN, cookie),
 * the encoder's message must carry the right header and decode again to the same fields.
 * Values the encoder refuses by design (a SNI with a NUL byte, a ServerHello without a key
 * share) are skipped, not findings. Any other difference aborts.
 */
#include "messages.h"

#include "ktls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "messages fuzz: check failed: %s (line %d)\n", #cond, \
				__LINE__);                                                 \
			abort();                                                           \
		}                                                                          \
	} while (0)

#define OUT_CAP (1u << 18)
static uint8_t out[OUT_CAP];

/* The encoder's message: header right, body returned. */
static const uint8_t *encoded_body(const struct wire_writer *w, uint8_t type, size_t *len)
{
	CHECK(w->len >= TLS_HANDSHAKE_HEADER_LEN);
	CHECK(w->buf[0] == type);
	size_t body = (size_t)w->buf[1] << 16 | (size_t)w->buf[2] << 8 | w->buf[3];
	CHECK(body == w->len - TLS_HANDSHAKE_HEADER_LEN);
	*len = body;
	return w->buf + TLS_HANDSHAKE_HEADER_LEN;
}

static bool bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool list_eq(const struct ktls_u16_list *a, const struct ktls_u16_list *b)
{
	return bytes_eq(a->p, 2 * a->n, b->p, 2 * b->n);
}

/* A u16 list as host-order values (caller frees). */
static uint16_t *list_values(const struct ktls_u16_list *l)
{
	uint16_t *v = malloc(l->n ? 2 * l->n : 1);
	CHECK(v);
	for (size_t i = 0; i < l->n; i++)
		v[i] = ktls_u16_list_at(l, i);
	return v;
}

/* A NUL-terminated copy, or NULL when the bytes hold a NUL (not expressible). */
static char *cstr(const uint8_t *p, size_t n)
{
	if (memchr(p, 0, n))
		return NULL;
	char *s = malloc(n + 1);
	CHECK(s);
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

static void client_hello(const uint8_t *body, size_t len)
{
	struct ktls_client_hello ch, again;
	if (ktls_decode_client_hello(body, len, &ch))
		return;
	CHECK(ch.session_id_len <= 32 && ch.cipher_suites.n >= 1);
	if (ch.ext_seen & KTLS_EXT_BIT_PRE_SHARED_KEY)
		CHECK(ch.binders_offset < len);

	/* ALPN names as strings: none may hold a NUL */
	char *names[128];
	size_t n_names = 0;
	bool ok = true;
	/* the encoder takes at most KTLS_MAX_KEY_SHARES shares (the decoder any number) */
	struct ktls_key_share_entry shares[KTLS_MAX_KEY_SHARES];
	size_t n_shares = 0, pos = 0;
	struct ktls_key_share_entry e;
	while (ok && ktls_client_hello_next_share(&ch, &pos, &e)) {
		if (n_shares == KTLS_MAX_KEY_SHARES)
			ok = false;
		else
			shares[n_shares++] = e;
	}
	CHECK(!ok || n_shares == ch.n_key_shares);
	struct wire_reader r;
	wire_reader_init(&r, ch.alpn ? ch.alpn : body, ch.alpn_len);
	while (ok && wire_remaining(&r)) {
		const uint8_t *name;
		size_t name_len;
		CHECK(wire_get_opaque(&r, 1, 1, 255, &name, &name_len) == 0);
		if (n_names == 128 || !(names[n_names] = cstr(name, name_len)))
			ok = false;
		else
			n_names++;
	}
	char *sni = ch.server_name ? cstr(ch.server_name, ch.server_name_len) : NULL;
	if (ch.server_name && !sni)
		ok = false;
	uint16_t *suites = list_values(&ch.cipher_suites), *groups = list_values(&ch.supported_groups),
		 *sigs = list_values(&ch.signature_algorithms),
		 *sigs_cert = list_values(&ch.signature_algorithms_cert);
	if (ok) {
		struct ktls_client_hello_params p = {
			.random = ch.random,
			.session_id = ch.session_id,
			.session_id_len = ch.session_id_len,
			.cipher_suites = suites,
			.n_cipher_suites = ch.cipher_suites.n,
			.groups = groups,
			.n_groups = ch.supported_groups.n,
			.key_shares = shares,
			.n_key_shares = n_shares,
			.signature_algorithms = sigs,
			.n_signature_algorithms = ch.signature_algorithms.n,
			.signature_algorithms_cert = sigs_cert,
			.n_signature_algorithms_cert = ch.signature_algorithms_cert.n,
			.server_name = sni,
			.alpn = (const char *const *)names,
			.n_alpn = n_names,
			.cookie = ch.cookie,
			.cookie_len = ch.cookie_len,
		};
		struct wire_writer w;
		size_t blen;
		wire_writer_init(&w, out, OUT_CAP);
		int err = ktls_encode_client_hello(&w, &p);
		/* the encoder's own bounds: everything in one extensions block <8..2^16-1> */
		if (err == KTLS_EINVAL && len > 0xff00)
			goto done;
		/* a block under TLS 1.3's minimum of 8 decodes (TLS 1.2 syntax), never encodes */
		if (err == KTLS_EINVAL && ch.extensions_len < 8)
			goto done;
		/* supported_versions alone is 7 bytes, under the block's minimum of 8 */
		if (err == KTLS_EINVAL && !p.n_groups && !p.n_key_shares && !p.n_signature_algorithms &&
		    !p.n_signature_algorithms_cert && !sni && !n_names && !p.cookie)
			goto done;
		if (err) {
			fprintf(stderr, "messages fuzz: ClientHello that decodes does not encode: %d\n", err);
			abort();
		}
		const uint8_t *b = encoded_body(&w, TLS_HS_CLIENT_HELLO, &blen);
		CHECK(ktls_decode_client_hello(b, blen, &again) == 0);
		CHECK(memcmp(again.random, ch.random, 32) == 0);
		CHECK(bytes_eq(again.session_id, again.session_id_len, ch.session_id, ch.session_id_len));
		CHECK(list_eq(&again.cipher_suites, &ch.cipher_suites));
		CHECK(list_eq(&again.supported_groups, &ch.supported_groups));
		CHECK(list_eq(&again.signature_algorithms, &ch.signature_algorithms));
		CHECK(list_eq(&again.signature_algorithms_cert, &ch.signature_algorithms_cert));
		CHECK(again.n_key_shares == ch.n_key_shares);
		CHECK(bytes_eq(again.key_shares, again.key_shares_len, ch.key_shares,
			       ch.key_shares_len));
		CHECK(bytes_eq(again.server_name, again.server_name_len, ch.server_name,
			       ch.server_name_len));
		CHECK(bytes_eq(again.alpn, again.alpn_len, ch.alpn, ch.alpn_len));
		CHECK(bytes_eq(again.cookie, again.cookie_len, ch.cookie, ch.cookie_len));
		CHECK(again.supported_versions.n == 1 &&
		      ktls_u16_list_at(&again.supported_versions, 0) == TLS_VERSION_1_3);
	}
done:
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(sni);
	free(suites);
	free(groups);
	free(sigs);
	free(sigs_cert);
}

static void server_hello(const uint8_t *body, size_t len)
{
	struct ktls_server_hello sh, again;
	if (ktls_decode_server_hello(body, len, &sh))
		return;
	bool hrr = sh.is_hello_retry_request;
	/* what our encoder writes: SH with a key share and no cookie; HRR with a group */
	if (!(sh.ext_seen & KTLS_EXT_BIT_KEY_SHARE) || (!hrr && sh.cookie))
		return;
	struct ktls_server_hello_params p = {
		.hello_retry_request = hrr,
		.random = sh.random,
		.session_id_echo = sh.session_id_echo,
		.session_id_echo_len = sh.session_id_echo_len,
		.cipher_suite = sh.cipher_suite,
		.key_share = hrr ? NULL : &sh.key_share,
		.selected_group = sh.selected_group,
		.cookie = hrr ? sh.cookie : NULL,
		.cookie_len = hrr ? sh.cookie_len : 0,
	};
	struct wire_writer w;
	size_t blen;
	wire_writer_init(&w, out, OUT_CAP);
	int err = ktls_encode_server_hello(&w, &p);
	if (err == KTLS_EINVAL && len > 0xff00)
		return;
	if (err) {
		fprintf(stderr, "messages fuzz: ServerHello that decodes does not encode: %d\n", err);
		abort();
	}
	const uint8_t *b = encoded_body(&w, TLS_HS_SERVER_HELLO, &blen);
	CHECK(ktls_decode_server_hello(b, blen, &again) == 0);
	CHECK(again.is_hello_retry_request == hrr);
	CHECK(memcmp(again.random, sh.random, 32) == 0);
	CHECK(bytes_eq(again.session_id_echo, again.session_id_echo_len, sh.session_id_echo,
		       sh.session_id_echo_len));
	CHECK(again.cipher_suite == sh.cipher_suite);
	CHECK(again.compression_method == 0);
	CHECK(again.selected_version == TLS_VERSION_1_3);
	if (hrr) {
		CHECK(again.selected_group == sh.selected_group);
		CHECK(bytes_eq(again.cookie, again.cookie_len, sh.cookie, sh.cookie_len));
	} else {
		CHECK(again.key_share.group == sh.key_share.group);
		CHECK(bytes_eq(again.key_share.key_exchange, again.key_share.key_exchange_len,
			       sh.key_share.key_exchange, sh.key_share.key_exchange_len));
	}
}

static void encrypted_extensions(const uint8_t *body, size_t len)
{
	struct ktls_encrypted_extensions ee, again;
	if (ktls_decode_encrypted_extensions(body, len, &ee))
		return;
	char *alpn = ee.alpn ? cstr(ee.alpn, ee.alpn_len) : NULL;
	if (ee.alpn && !alpn)
		return;
	struct ktls_encrypted_extensions_params p = {
		.alpn = alpn,
		.server_name_ack = (ee.ext_seen & KTLS_EXT_BIT_SERVER_NAME) != 0,
	};
	struct wire_writer w;
	size_t blen;
	wire_writer_init(&w, out, OUT_CAP);
	CHECK(ktls_encode_encrypted_extensions(&w, &p) == 0);
	const uint8_t *b = encoded_body(&w, TLS_HS_ENCRYPTED_EXTENSIONS, &blen);
	CHECK(ktls_decode_encrypted_extensions(b, blen, &again) == 0);
	CHECK(bytes_eq(again.alpn, again.alpn_len, ee.alpn, ee.alpn_len));
	CHECK(((again.ext_seen ^ ee.ext_seen) & KTLS_EXT_BIT_SERVER_NAME) == 0);
	free(alpn);
}

static void certificate_request(const uint8_t *body, size_t len)
{
	struct ktls_certificate_request cr, again;
	if (ktls_decode_certificate_request(body, len, &cr))
		return;
	CHECK(cr.signature_algorithms.n >= 1);
	uint16_t *sigs = list_values(&cr.signature_algorithms),
		 *sigs_cert = list_values(&cr.signature_algorithms_cert);
	struct ktls_certificate_request_params p = {
		.context = cr.context,
		.context_len = cr.context_len,
		.signature_algorithms = sigs,
		.n_signature_algorithms = cr.signature_algorithms.n,
		.signature_algorithms_cert = sigs_cert,
		.n_signature_algorithms_cert = cr.signature_algorithms_cert.n,
	};
	struct wire_writer w;
	size_t blen;
	wire_writer_init(&w, out, OUT_CAP);
	int err = ktls_encode_certificate_request(&w, &p);
	if (!(err == KTLS_EINVAL && len > 0xff00)) {
		CHECK(err == 0);
		const uint8_t *b = encoded_body(&w, TLS_HS_CERTIFICATE_REQUEST, &blen);
		CHECK(ktls_decode_certificate_request(b, blen, &again) == 0);
		CHECK(bytes_eq(again.context, again.context_len, cr.context, cr.context_len));
		CHECK(list_eq(&again.signature_algorithms, &cr.signature_algorithms));
		CHECK(list_eq(&again.signature_algorithms_cert, &cr.signature_algorithms_cert));
	}
	free(sigs);
	free(sigs_cert);
}

static void certificate(const uint8_t *body, size_t len)
{
	struct ktls_certificate c, again;
	if (ktls_decode_certificate(body, len, &c))
		return;
	CHECK(c.n_entries <= KTLS_MAX_CHAIN);
	const uint8_t *certs[KTLS_MAX_CHAIN];
	size_t lens[KTLS_MAX_CHAIN];
	for (size_t i = 0; i < c.n_entries; i++) {
		certs[i] = c.entries[i].cert_data;
		lens[i] = c.entries[i].cert_data_len;
	}
	struct wire_writer w;
	size_t blen;
	wire_writer_init(&w, out, OUT_CAP);
	CHECK(ktls_encode_certificate(&w, c.context, c.context_len, certs, lens, c.n_entries) == 0);
	const uint8_t *b = encoded_body(&w, TLS_HS_CERTIFICATE, &blen);
	CHECK(ktls_decode_certificate(b, blen, &again) == 0);
	CHECK(bytes_eq(again.context, again.context_len, c.context, c.context_len));
	CHECK(again.n_entries == c.n_entries);
	for (size_t i = 0; i < c.n_entries; i++)
		CHECK(bytes_eq(again.entries[i].cert_data, again.entries[i].cert_data_len,
			       c.entries[i].cert_data, c.entries[i].cert_data_len));
}

static void certificate_verify(const uint8_t *body, size_t len)
{
	struct ktls_certificate_verify cv, again;
	if (ktls_decode_certificate_verify(body, len, &cv))
		return;
	struct wire_writer w;
	size_t blen;
	wire_writer_init(&w, out, OUT_CAP);
	CHECK(ktls_encode_certificate_verify(&w, cv.algorithm, cv.signature, cv.signature_len) == 0);
	const uint8_t *b = encoded_body(&w, TLS_HS_CERTIFICATE_VERIFY, &blen);
	CHECK(bytes_eq(b, blen, body, len)); /* one encoding only */
	CHECK(ktls_decode_certificate_verify(b, blen, &again) == 0);
	CHECK(again.algorithm == cv.algorithm);
}

static void finished(const uint8_t *data, size_t size)
{
	if (size < 1)
		return;
	size_t hash_len = data[0];
	const uint8_t *vd;
	int err = ktls_decode_finished(data + 1, size - 1, hash_len, &vd);
	if (hash_len == 0 || hash_len > 64) {
		CHECK(err == KTLS_EINVAL);
		return;
	}
	CHECK(err == 0 ? size - 1 == hash_len : size - 1 != hash_len);
	if (err)
		return;
	CHECK(vd == data + 1);
	struct wire_writer w;
	size_t blen;
	wire_writer_init(&w, out, OUT_CAP);
	CHECK(ktls_encode_finished(&w, vd, hash_len) == 0);
	const uint8_t *b = encoded_body(&w, TLS_HS_FINISHED, &blen);
	CHECK(bytes_eq(b, blen, vd, hash_len));
}

static void new_session_ticket(const uint8_t *body, size_t len)
{
	struct ktls_new_session_ticket t;
	if (ktls_decode_new_session_ticket(body, len, &t))
		return;
	CHECK(t.ticket_len >= 1 && t.ticket_nonce_len <= 255);
	CHECK(t.ticket >= body && t.ticket + t.ticket_len <= body + len);
}

static void key_update(const uint8_t *body, size_t len)
{
	uint8_t req;
	int err = ktls_decode_key_update(body, len, &req);
	if (len != 1) {
		CHECK(err == KTLS_EDECODE);
		return;
	}
	CHECK(body[0] > 1 ? err == KTLS_EILLEGAL : (err == 0 && req == body[0]));
	if (err)
		return;
	struct wire_writer w;
	size_t blen;
	wire_writer_init(&w, out, OUT_CAP);
	CHECK(ktls_encode_key_update(&w, req) == 0);
	const uint8_t *b = encoded_body(&w, TLS_HS_KEY_UPDATE, &blen);
	CHECK(bytes_eq(b, blen, body, len));
}

static void alert(const uint8_t *body, size_t len)
{
	uint8_t level, desc;
	int err = ktls_decode_alert(body, len, &level, &desc);
	CHECK(len == 2 ? err == 0 && level == body[0] && desc == body[1] : err == KTLS_EDECODE);
	(void)ktls_alert_name(desc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* a copy of exactly the body, so ASan sees any read past its end */
	size_t len = size - 1;
	uint8_t *body = malloc(len ? len : 1);
	CHECK(body);
	memcpy(body, data + 1, len);
	switch (data[0] % 10) {
	case 0: client_hello(body, len); break;
	case 1: server_hello(body, len); break;
	case 2: encrypted_extensions(body, len); break;
	case 3: certificate_request(body, len); break;
	case 4: certificate(body, len); break;
	case 5: certificate_verify(body, len); break;
	case 6: finished(body, len); break;
	case 7: new_session_ticket(body, len); break;
	case 8: key_update(body, len); break;
	case 9: alert(body, len); break;
	}
	free(body);
	return 0;
}
