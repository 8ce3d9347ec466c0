/*
 * trace.c — the --trace view: every handshake message with its decoded fields and a hex
 * dump, and the key-schedule steps as they happen. Secrets are never printed here (the key
 * log is for that); transcript hashes and public values are.
 */
#include "engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ktls_trace(const struct ktls_engine *e, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	if (!e->ops->trace)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	e->ops->trace(e->ctx, buf, (size_t)n);
}

static void trace_hexdump(const struct ktls_engine *e, const uint8_t *p, size_t len)
{
	char line[100];
	for (size_t off = 0; off < len; off += 16) {
		size_t n = (size_t)snprintf(line, sizeof(line), "    %04zx ", off);
		for (size_t i = off; i < off + 16 && i < len; i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %02x", p[i]);
		ktls_trace(e, "%s", line);
	}
}

/* A list of u16 values by name: "x25519, secp256r1". */
static void trace_u16_list(const struct ktls_engine *e, const char *label,
			   const struct ktls_u16_list *l, const char *(*name)(uint16_t))
{
	char line[400];
	size_t n = (size_t)snprintf(line, sizeof(line), "    %s:", label);
	for (size_t i = 0; i < l->n && n < sizeof(line) - 40; i++) {
		uint16_t v = ktls_u16_list_at(l, i);
		const char *nm = name ? name(v) : NULL;
		n += (size_t)(nm ? snprintf(line + n, sizeof(line) - n, " %s", nm)
				 : snprintf(line + n, sizeof(line) - n, " 0x%04x", v));
	}
	ktls_trace(e, "%s", line);
}

static const char *suite_name(uint16_t id)
{
	return ktls_suite_name(id);
}

static const char *version_name(uint16_t v)
{
	return v == TLS_VERSION_1_3 ? "TLS1.3" : v == TLS_VERSION_1_2 ? "TLS1.2" : NULL;
}

/* The fields of one handshake message that a reader of a TLS 1.3 walkthrough looks for. */
static void trace_decoded(const struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	const uint8_t *body = msg + TLS_HANDSHAKE_HEADER_LEN;
	size_t blen = len - TLS_HANDSHAKE_HEADER_LEN;

	switch (msg[0]) {
	case TLS_HS_CLIENT_HELLO: {
		struct ktls_client_hello ch;
		if (ktls_decode_client_hello(body, blen, &ch))
			break;
		trace_u16_list(e, "cipher_suites", &ch.cipher_suites, suite_name);
		trace_u16_list(e, "supported_versions", &ch.supported_versions, version_name);
		trace_u16_list(e, "supported_groups", &ch.supported_groups, ktls_group_name);
		struct ktls_key_share_entry share;
		size_t pos = 0;
		while (ktls_client_hello_next_share(&ch, &pos, &share))
			ktls_trace(e, "    key_share: %s (%zu-byte public key)",
				   ktls_group_name(share.group) ? ktls_group_name(share.group) : "?",
				   share.key_exchange_len);
		trace_u16_list(e, "signature_algorithms", &ch.signature_algorithms,
			       ktls_signature_scheme_name);
		if (ch.server_name)
			ktls_trace(e, "    server_name: %.*s", (int)ch.server_name_len, ch.server_name);
		if (ch.cookie)
			ktls_trace(e, "    cookie: %zu bytes (echoed from HelloRetryRequest)", ch.cookie_len);
		break;
	}
	case TLS_HS_SERVER_HELLO: {
		struct ktls_server_hello sh;
		if (ktls_decode_server_hello(body, blen, &sh))
			break;
		const char *suite = ktls_suite_name(sh.cipher_suite);
		ktls_trace(e, "    %s: cipher_suite %s, version %s", sh.is_hello_retry_request
			   ? "HelloRetryRequest" : "ServerHello", suite ? suite : "?",
			   version_name(sh.selected_version) ? version_name(sh.selected_version) : "?");
		if (sh.is_hello_retry_request) {
			const char *g = ktls_group_name(sh.selected_group);
			ktls_trace(e, "    selected_group: %s, cookie: %zu bytes", g ? g : "?", sh.cookie_len);
		} else if (sh.ext_seen & KTLS_EXT_BIT_KEY_SHARE) {
			const char *g = ktls_group_name(sh.key_share.group);
			ktls_trace(e, "    key_share: %s (%zu-byte public key)", g ? g : "?",
				   sh.key_share.key_exchange_len);
		}
		break;
	}
	case TLS_HS_ENCRYPTED_EXTENSIONS: {
		struct ktls_encrypted_extensions ee;
		if (ktls_decode_encrypted_extensions(body, blen, &ee))
			break;
		if (ee.alpn)
			ktls_trace(e, "    alpn: %.*s", (int)ee.alpn_len, ee.alpn);
		if (ee.ext_seen & KTLS_EXT_BIT_SERVER_NAME)
			ktls_trace(e, "    server_name acknowledged");
		break;
	}
	case TLS_HS_CERTIFICATE_REQUEST: {
		struct ktls_certificate_request cr;
		if (ktls_decode_certificate_request(body, blen, &cr))
			break;
		trace_u16_list(e, "signature_algorithms", &cr.signature_algorithms,
			       ktls_signature_scheme_name);
		break;
	}
	case TLS_HS_CERTIFICATE: {
		struct ktls_certificate c;
		if (ktls_decode_certificate(body, blen, &c))
			break;
		ktls_trace(e, "    %zu certificate(e)%s", c.n_entries, c.n_entries ? ", leaf first:" : "");
		for (size_t i = 0; i < c.n_entries; i++)
			ktls_trace(e, "      [%zu] %zu bytes DER", i, c.entries[i].cert_data_len);
		break;
	}
	case TLS_HS_CERTIFICATE_VERIFY: {
		struct ktls_certificate_verify cv;
		if (ktls_decode_certificate_verify(body, blen, &cv))
			break;
		const char *name = ktls_signature_scheme_name(cv.algorithm);
		ktls_trace(e, "    %s signature, %zu bytes", name ? name : "?", cv.signature_len);
		break;
	}
	case TLS_HS_FINISHED:
		ktls_trace(e, "    verify_data: %zu bytes (HMAC of the transcript hash)", blen);
		break;
	default:
		break;
	}
}

void ktls_trace_message(const struct ktls_engine *e, bool sent, const uint8_t *msg, size_t len)
{
	if (!e->ops->trace || len < TLS_HANDSHAKE_HEADER_LEN)
		return;
	const char *name = ktls_handshake_type_name(msg[0]);
	ktls_trace(e, "%s %s (%zu bytes)", sent ? ">>>" : "<<<", name ? name : "unknown",
		   len - TLS_HANDSHAKE_HEADER_LEN);
	trace_decoded(e, msg, len);
	trace_hexdump(e, msg, len);
}

void ktls_trace_hash(const struct ktls_engine *e, const char *label, const uint8_t *p, size_t len)
{
	char hex[2 * 64 + 1];
	if (!e->ops->trace)
		return;
	for (size_t i = 0; i < len && i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", p[i]);
	ktls_trace(e, "    %s: %s", label, hex);
}
