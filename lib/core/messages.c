/*
 * messages.c — TLS 1.3 handshake messages and extensions (RFC 8446 §4), decoded and encoded.
 *
 * Why it is built this way. A decoder is a straight walk of the RFC's struct through the
 * wire reader: every vector is read with the bounds the RFC declares, every nested structure
 * through a sub-reader that must be consumed exactly, so a length that lies fails with
 * KTLS_EDECODE and can never make a read leave its structure. Nothing here does arithmetic on
 * received bytes.
 *
 * Extensions are the part every message shares, so they have one walker and one table:
 * for each extension type we know, its ext_seen bit, the messages in which this file gives it
 * a meaning, and the parser that reads it there. The walker reads each Extension
 * (type + opaque<0..2^16-1>), refuses a second one of a type (§4.2: "There MUST NOT be more
 * than one extension of the same type in a given extension block" -> illegal_parameter),
 * enforces "pre_shared_key last" in ClientHello (§4.2.11), records unknown types as
 * KTLS_EXT_BIT_UNKNOWN and skips them, and checks that a parser consumed its extension_data
 * exactly. A known extension in a message where it has no meaning here (cookie in
 * EncryptedExtensions, say) is recorded and skipped: whether it may appear there is the
 * handshake layer's call (§4.2, unsupported_extension), made from ext_seen.
 *
 * Encoders append one whole handshake message through the wire writer: the 4-byte header is
 * a type and a uint24 scope (§4), every vector a scope closed with the RFC's bounds, so a
 * value out of bounds comes back as KTLS_EINVAL and a short buffer as KTLS_ENOSPACE.
 */
#include "messages.h"

#include "ktls.h"

#include <string.h>

/* Propagates the first error: every wire call is checked (they are warn_unused_result). */
#define TRY(expr)                           \
	do {                                \
		int try_err_ = (expr);      \
		if (try_err_)               \
			return try_err_;    \
	} while (0)

/* §4.1.3: SHA-256("HelloRetryRequest") (checked against SHA-256 in messages_test). */
const uint8_t ktls_hello_retry_request_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

#define TLS_RANDOM_LEN 32
#define MAX_VERIFY_DATA_LEN 64 /* the longest Hash.length (SHA-512) a Finished could carry */
#define SNI_HOST_NAME 0        /* RFC 6066 §3 NameType host_name */

/* ------------------------------------------------------------------------------------------ */
/* Decoding helpers                                                                           */

/* A vector of u16 values (cipher suites, groups, schemes, versions): its byte length must be
 * even, else the list is malformed (decode_error). */
static int get_u16_list(struct wire_reader *r, unsigned len_size, size_t min, size_t max,
			struct ktls_u16_list *out)
{
	const uint8_t *p;
	size_t len;

	TRY(wire_get_opaque(r, len_size, min, max, &p, &len));
	if (len % 2)
		return KTLS_EDECODE;
	out->p = p;
	out->n = len / 2;
	return 0;
}

/* §4.2.8: struct { NamedGroup group; opaque key_exchange<1..2^16-1>; } KeyShareEntry; */
static int get_key_share_entry(struct wire_reader *r, struct ktls_key_share_entry *e)
{
	TRY(wire_get_u16(r, &e->group));
	return wire_get_opaque(r, 2, 1, 0xffff, &e->key_exchange, &e->key_exchange_len);
}

/* ------------------------------------------------------------------------------------------ */
/* The extension walker                                                                       */

/* The message an extension block belongs to: an extension's syntax depends on it. */
enum ext_msg {
	EXT_IN_CH,   /* ClientHello */
	EXT_IN_SH,   /* ServerHello */
	EXT_IN_HRR,  /* HelloRetryRequest */
	EXT_IN_EE,   /* EncryptedExtensions */
	EXT_IN_CR,   /* CertificateRequest */
	EXT_IN_CERT, /* one CertificateEntry of a Certificate */
	EXT_IN_NST,  /* NewSessionTicket */
};

#define IN(m) (1u << (m))

/* One bit for each of the 65536 values of a u16 code point. */
#define U16_BITMAP_BYTES (65536 / 8)

static bool bitmap_test_and_set(uint8_t *map, uint16_t v)
{
	bool was = map[v >> 3] & (1u << (v & 7));
	map[v >> 3] |= (uint8_t)(1u << (v & 7));
	return was;
}

struct ext_ctx {
	enum ext_msg msg;
	const uint8_t *body; /* the message body, to express binders_offset */
	uint32_t seen;
	size_t count; /* extensions walked */
	/* ClientHello only, where a peer may send thousands of extensions and key shares and
	 * we must take them all (§9.3): every type and every share group seen so far, so a
	 * repeat is found in one linear pass. NULL elsewhere (known types only there). */
	uint8_t *types_seen, *groups_seen;
	union {
		struct ktls_client_hello *ch;
		struct ktls_server_hello *sh; /* ServerHello and HelloRetryRequest */
		struct ktls_encrypted_extensions *ee;
		struct ktls_certificate_request *cr;
		struct ktls_new_session_ticket *nst;
	} out;
};

/* Reads one extension_data (data covers exactly it) for ctx->msg; the walker then checks
 * that nothing is left, so a parser that reads nothing declares the extension empty. */
typedef int ext_parser(struct ext_ctx *ctx, struct wire_reader *data);

/* RFC 6066 §3 server_name. ClientHello: ServerNameList <1..2^16-1> of
 * { NameType name_type; HostName name<1..2^16-1> }, "MUST NOT contain more than one name of
 * the same name_type". host_name is the only NameType defined, and a name of another type
 * has no length we could skip by, so it is malformed here. Server side (EE; SH for syntax):
 * "the "extension_data" field of this extension SHALL be empty". */
static int parse_server_name(struct ext_ctx *ctx, struct wire_reader *data)
{
	struct ktls_client_hello *ch = ctx->out.ch;
	struct wire_reader list;
	const uint8_t *name;
	size_t len;
	uint8_t type;

	if (ctx->msg != EXT_IN_CH)
		return 0;
	TRY(wire_get_vector(data, 2, 1, 0xffff, &list));
	while (wire_remaining(&list)) {
		TRY(wire_get_u8(&list, &type));
		if (type != SNI_HOST_NAME)
			return KTLS_EDECODE;
		TRY(wire_get_opaque(&list, 2, 1, 0xffff, &name, &len));
		if (ch->server_name)
			return KTLS_EILLEGAL;
		ch->server_name = name;
		ch->server_name_len = len;
	}
	return 0;
}

/* §4.2.7: NamedGroup named_group_list<2..2^16-1>. */
static int parse_supported_groups(struct ext_ctx *ctx, struct wire_reader *data)
{
	struct ktls_u16_list *l = ctx->msg == EXT_IN_CH ? &ctx->out.ch->supported_groups
							: &ctx->out.ee->supported_groups;
	return get_u16_list(data, 2, 2, 0xffff, l);
}

/* §4.2.3: SignatureScheme supported_signature_algorithms<2..2^16-2>. */
static int parse_signature_algorithms(struct ext_ctx *ctx, struct wire_reader *data)
{
	struct ktls_u16_list *l = ctx->msg == EXT_IN_CH ? &ctx->out.ch->signature_algorithms
							: &ctx->out.cr->signature_algorithms;
	return get_u16_list(data, 2, 2, 0xfffe, l);
}

/* §4.2.3: signature_algorithms_cert has the same SignatureSchemeList syntax. */
static int parse_signature_algorithms_cert(struct ext_ctx *ctx, struct wire_reader *data)
{
	struct ktls_u16_list *l = ctx->msg == EXT_IN_CH ? &ctx->out.ch->signature_algorithms_cert
							: &ctx->out.cr->signature_algorithms_cert;
	return get_u16_list(data, 2, 2, 0xfffe, l);
}

/* RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>, ProtocolName <1..2^8-1>. The
 * server's list "MUST contain exactly one "ProtocolName"": two is as malformed as none. */
static int parse_alpn(struct ext_ctx *ctx, struct wire_reader *data)
{
	struct wire_reader list;
	const uint8_t *body, *name = NULL;
	size_t body_len, len = 0, n = 0;

	TRY(wire_get_opaque(data, 2, 2, 0xffff, &body, &body_len));
	wire_reader_init(&list, body, body_len);
	while (wire_remaining(&list)) {
		TRY(wire_get_opaque(&list, 1, 1, 255, &name, &len));
		n++;
	}
	if (ctx->msg == EXT_IN_CH) {
		ctx->out.ch->alpn = body;
		ctx->out.ch->alpn_len = body_len;
		return 0;
	}
	if (n != 1)
		return KTLS_EDECODE;
	ctx->out.ee->alpn = name;
	ctx->out.ee->alpn_len = len;
	return 0;
}

/* §4.2.11. ClientHello: OfferedPsks { PskIdentity identities<7..2^16-1>;
 * PskBinderEntry binders<33..2^16-1>; } with PskIdentity { opaque identity<1..2^16-1>;
 * uint32 obfuscated_ticket_age; } and PskBinderEntry <32..255>. The binders are computed over
 * the ClientHello truncated just before the binders vector (§4.2.11.2), so we note where it
 * starts. binders are "one for each value in the identities list and in the same order": a
 * count that differs is refused as illegal_parameter. ServerHello: uint16 selected_identity. */
static int parse_pre_shared_key(struct ext_ctx *ctx, struct wire_reader *data)
{
	struct ktls_client_hello *ch = ctx->out.ch;
	struct wire_reader ids, binders;
	const uint8_t *raw = data->pos, *p;
	size_t raw_len = wire_remaining(data), len, binders_at, n_ids = 0, n_binders = 0;
	uint32_t age;

	if (ctx->msg == EXT_IN_SH)
		return wire_get_u16(data, &ctx->out.sh->selected_identity);
	TRY(wire_get_vector(data, 2, 7, 0xffff, &ids));
	binders_at = (size_t)(data->pos - ctx->body); /* an offset, not an access */
	TRY(wire_get_vector(data, 2, 33, 0xffff, &binders));
	while (wire_remaining(&ids)) {
		TRY(wire_get_opaque(&ids, 2, 1, 0xffff, &p, &len));
		TRY(wire_get_u32(&ids, &age));
		n_ids++;
	}
	while (wire_remaining(&binders)) {
		TRY(wire_get_opaque(&binders, 1, 32, 255, &p, &len));
		n_binders++;
	}
	if (n_ids != n_binders)
		return KTLS_EILLEGAL;
	ch->pre_shared_key = raw;
	ch->pre_shared_key_len = raw_len;
	ch->binders_offset = binders_at;
	return 0;
}

/* §4.2.10: empty in ClientHello and EncryptedExtensions; uint32 max_early_data_size in
 * NewSessionTicket. */
static int parse_early_data(struct ext_ctx *ctx, struct wire_reader *data)
{
	switch (ctx->msg) {
	case EXT_IN_NST:
		return wire_get_u32(data, &ctx->out.nst->max_early_data_size);
	case EXT_IN_CH:
		ctx->out.ch->early_data = true;
		return 0;
	case EXT_IN_EE:
		ctx->out.ee->early_data = true;
		return 0;
	default:
		return 0;
	}
}

/* §4.2.1: ClientHello ProtocolVersion versions<2..254>; ServerHello and HelloRetryRequest a
 * single ProtocolVersion selected_version. */
static int parse_supported_versions(struct ext_ctx *ctx, struct wire_reader *data)
{
	if (ctx->msg == EXT_IN_CH)
		return get_u16_list(data, 1, 2, 254, &ctx->out.ch->supported_versions);
	return wire_get_u16(data, &ctx->out.sh->selected_version);
}

/* §4.2.2: opaque cookie<1..2^16-1>. */
static int parse_cookie(struct ext_ctx *ctx, struct wire_reader *data)
{
	if (ctx->msg == EXT_IN_CH)
		return wire_get_opaque(data, 2, 1, 0xffff, &ctx->out.ch->cookie,
				       &ctx->out.ch->cookie_len);
	return wire_get_opaque(data, 2, 1, 0xffff, &ctx->out.sh->cookie, &ctx->out.sh->cookie_len);
}

/* §4.2.9: PskKeyExchangeMode ke_modes<1..255>. */
static int parse_psk_modes(struct ext_ctx *ctx, struct wire_reader *data)
{
	return wire_get_opaque(data, 1, 1, 255, &ctx->out.ch->psk_modes, &ctx->out.ch->psk_modes_len);
}

/* §4.2.4: DistinguishedName authorities<3..2^16-1>, DistinguishedName <1..2^16-1>. Checked
 * for syntax only: we do not select certificates by CA. */
static int parse_certificate_authorities(struct ext_ctx *ctx, struct wire_reader *data)
{
	struct wire_reader list;
	const uint8_t *dn;
	size_t len;

	(void)ctx;
	TRY(wire_get_vector(data, 2, 3, 0xffff, &list));
	while (wire_remaining(&list))
		TRY(wire_get_opaque(&list, 2, 1, 0xffff, &dn, &len));
	return 0;
}

/* §4.2.6: struct {} PostHandshakeAuth; (empty). */
static int parse_post_handshake_auth(struct ext_ctx *ctx, struct wire_reader *data)
{
	(void)data;
	ctx->out.ch->post_handshake_auth = true;
	return 0;
}

/* §4.2.8. ClientHello: KeyShareEntry client_shares<0..2^16-1>, "Clients MUST NOT offer
 * multiple KeyShareEntry values for the same group" (illegal_parameter). Nothing limits how
 * many there are: the list stays a view, each entry checked once. ServerHello: KeyShareEntry
 * server_share. HelloRetryRequest: NamedGroup selected_group. */
static int parse_key_share(struct ext_ctx *ctx, struct wire_reader *data)
{
	struct ktls_client_hello *ch = ctx->out.ch;
	struct wire_reader list;

	if (ctx->msg == EXT_IN_SH)
		return get_key_share_entry(data, &ctx->out.sh->key_share);
	if (ctx->msg == EXT_IN_HRR)
		return wire_get_u16(data, &ctx->out.sh->selected_group);
	TRY(wire_get_vector(data, 2, 0, 0xffff, &list));
	ch->key_shares = list.pos;
	ch->key_shares_len = wire_remaining(&list);
	while (wire_remaining(&list)) {
		struct ktls_key_share_entry e;
		TRY(get_key_share_entry(&list, &e));
		if (bitmap_test_and_set(ctx->groups_seen, e.group))
			return KTLS_EILLEGAL;
		ch->n_key_shares++;
	}
	return 0;
}

int ktls_client_hello_next_share(const struct ktls_client_hello *ch, size_t *pos,
				 struct ktls_key_share_entry *e)
{
	struct wire_reader r;
	if (*pos >= ch->key_shares_len)
		return 0;
	wire_reader_init(&r, ch->key_shares + *pos, ch->key_shares_len - *pos);
	if (get_key_share_entry(&r, e))
		return 0; /* (the decoder checked the syntax already) */
	*pos = ch->key_shares_len - wire_remaining(&r);
	return 1;
}

bool ktls_client_hello_shares_listed(const struct ktls_client_hello *ch)
{
	uint8_t listed[U16_BITMAP_BYTES] = { 0 };
	struct ktls_key_share_entry e;
	size_t pos = 0;

	for (size_t i = 0; i < ch->supported_groups.n; i++)
		bitmap_test_and_set(listed, ktls_u16_list_at(&ch->supported_groups, i));
	while (ktls_client_hello_next_share(ch, &pos, &e))
		if (!bitmap_test_and_set(listed, e.group))
			return false;
	return true;
}

int ktls_client_hello_share_for_group(const struct ktls_client_hello *ch, uint16_t group,
				      struct ktls_key_share_entry *e)
{
	size_t pos = 0;
	while (ktls_client_hello_next_share(ch, &pos, e))
		if (e->group == group)
			return 1;
	return 0;
}

struct ext_handler {
	uint16_t type;
	uint32_t bit;
	unsigned parsed_in; /* IN(msg) mask: where parse gives it a meaning */
	ext_parser *parse;
};

/* The one table: type -> bit, and where each extension is read (§4.2's table of which
 * message may carry which extension is enforced by the handshake layer from ext_seen). */
static const struct ext_handler ext_handlers[] = {
	{ TLS_EXT_SERVER_NAME, KTLS_EXT_BIT_SERVER_NAME,
	  IN(EXT_IN_CH) | IN(EXT_IN_SH) | IN(EXT_IN_EE), parse_server_name },
	{ TLS_EXT_SUPPORTED_GROUPS, KTLS_EXT_BIT_SUPPORTED_GROUPS, IN(EXT_IN_CH) | IN(EXT_IN_EE),
	  parse_supported_groups },
	{ TLS_EXT_SIGNATURE_ALGORITHMS, KTLS_EXT_BIT_SIGNATURE_ALGORITHMS,
	  IN(EXT_IN_CH) | IN(EXT_IN_CR), parse_signature_algorithms },
	{ TLS_EXT_ALPN, KTLS_EXT_BIT_ALPN, IN(EXT_IN_CH) | IN(EXT_IN_EE), parse_alpn },
	{ TLS_EXT_PRE_SHARED_KEY, KTLS_EXT_BIT_PRE_SHARED_KEY, IN(EXT_IN_CH) | IN(EXT_IN_SH),
	  parse_pre_shared_key },
	{ TLS_EXT_EARLY_DATA, KTLS_EXT_BIT_EARLY_DATA,
	  IN(EXT_IN_CH) | IN(EXT_IN_EE) | IN(EXT_IN_NST), parse_early_data },
	{ TLS_EXT_SUPPORTED_VERSIONS, KTLS_EXT_BIT_SUPPORTED_VERSIONS,
	  IN(EXT_IN_CH) | IN(EXT_IN_SH) | IN(EXT_IN_HRR), parse_supported_versions },
	{ TLS_EXT_COOKIE, KTLS_EXT_BIT_COOKIE, IN(EXT_IN_CH) | IN(EXT_IN_HRR), parse_cookie },
	{ TLS_EXT_PSK_KEY_EXCHANGE_MODES, KTLS_EXT_BIT_PSK_KEY_EXCHANGE_MODES, IN(EXT_IN_CH),
	  parse_psk_modes },
	{ TLS_EXT_CERTIFICATE_AUTHORITIES, KTLS_EXT_BIT_CERTIFICATE_AUTHORITIES,
	  IN(EXT_IN_CH) | IN(EXT_IN_CR), parse_certificate_authorities },
	{ TLS_EXT_POST_HANDSHAKE_AUTH, KTLS_EXT_BIT_POST_HANDSHAKE_AUTH, IN(EXT_IN_CH),
	  parse_post_handshake_auth },
	{ TLS_EXT_SIGNATURE_ALGORITHMS_CERT, KTLS_EXT_BIT_SIGNATURE_ALGORITHMS_CERT,
	  IN(EXT_IN_CH) | IN(EXT_IN_CR), parse_signature_algorithms_cert },
	{ TLS_EXT_KEY_SHARE, KTLS_EXT_BIT_KEY_SHARE, IN(EXT_IN_CH) | IN(EXT_IN_SH) | IN(EXT_IN_HRR),
	  parse_key_share },
};

static const struct ext_handler *ext_handler_find(uint16_t type)
{
	for (size_t i = 0; i < sizeof(ext_handlers) / sizeof(ext_handlers[0]); i++)
		if (ext_handlers[i].type == type)
			return &ext_handlers[i];
	return NULL;
}

/* Walks an extension block (exts covers exactly the extensions vector's body): struct {
 * ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension (§4.2). */
static int walk_extensions(struct wire_reader *exts, struct ext_ctx *ctx)
{
	while (wire_remaining(exts)) {
		struct wire_reader data;
		uint16_t type;

		ctx->count++;
		TRY(wire_get_u16(exts, &type));
		TRY(wire_get_vector(exts, 2, 0, 0xffff, &data));
		/* §4.2.11: pre_shared_key "MUST be the last extension in the ClientHello". */
		if (ctx->msg == EXT_IN_CH && (ctx->seen & KTLS_EXT_BIT_PRE_SHARED_KEY))
			return KTLS_EILLEGAL;
		if (ctx->types_seen && bitmap_test_and_set(ctx->types_seen, type))
			return KTLS_EILLEGAL;
		const struct ext_handler *h = ext_handler_find(type);
		if (!h) {
			/* §9.3: "MUST ignore unrecognized ... extensions" */
			ctx->seen |= KTLS_EXT_BIT_UNKNOWN;
			continue;
		}
		if (ctx->seen & h->bit)
			return KTLS_EILLEGAL;
		ctx->seen |= h->bit;
		if (!(h->parsed_in & IN(ctx->msg)))
			continue;
		TRY(h->parse(ctx, &data));
		TRY(wire_expect_end(&data));
	}
	return 0;
}

/* Reads an extensions vector with the message's declared bounds and walks it; *len (when
 * not NULL) gets the block's length. */
static int read_extensions(struct wire_reader *r, size_t min, size_t max, struct ext_ctx *ctx,
			   size_t *len)
{
	struct wire_reader exts;

	TRY(wire_get_vector(r, 2, min, max, &exts));
	if (len)
		*len = wire_remaining(&exts);
	return walk_extensions(&exts, ctx);
}

/* Common argument check; a NULL body is fine only when empty (then it reads as empty). */
static int reader_start(struct wire_reader *r, const uint8_t *body, size_t len, const void *out)
{
	static const uint8_t empty[1];

	if (!out || (!body && len))
		return KTLS_EINVAL;
	wire_reader_init(r, body ? body : empty, len);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Decoders                                                                                   */

/* §4.1.2:
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;
 *       Random random;
 *       opaque legacy_session_id<0..32>;
 *       CipherSuite cipher_suites<2..2^16-2>;
 *       opaque legacy_compression_methods<1..2^8-1>;
 *       Extension extensions<8..2^16-1>;
 *   } ClientHello;
 * "servers MUST check that the message either contains no data after
 * legacy_compression_methods or that it contains a valid extensions block": a ClientHello of
 * an earlier TLS may have no extensions at all, or a block shorter than TLS 1.3's 8 bytes
 * (TLS 1.2's syntax is <0..2^16-1>). Both decode here, with has_extensions and
 * extensions_len telling them apart, so the handshake layer can answer protocol_version
 * (Appendix D.2, §4.2.1) before it holds a TLS 1.3 hello to TLS 1.3's syntax. */
int ktls_decode_client_hello(const uint8_t *body, size_t len, struct ktls_client_hello *out)
{
	struct wire_reader r;
	uint8_t types_seen[U16_BITMAP_BYTES] = { 0 }, groups_seen[U16_BITMAP_BYTES] = { 0 };
	struct ext_ctx ctx = { .msg = EXT_IN_CH, .body = body, .out.ch = out,
			       .types_seen = types_seen, .groups_seen = groups_seen };

	TRY(reader_start(&r, body, len, out));
	memset(out, 0, sizeof(*out));
	TRY(wire_get_u16(&r, &out->legacy_version));
	TRY(wire_get_view(&r, TLS_RANDOM_LEN, &out->random));
	TRY(wire_get_opaque(&r, 1, 0, 32, &out->session_id, &out->session_id_len));
	TRY(get_u16_list(&r, 2, 2, 0xfffe, &out->cipher_suites));
	TRY(wire_get_opaque(&r, 1, 1, 255, &out->compression_methods,
			    &out->compression_methods_len));
	if (wire_remaining(&r) == 0)
		return 0;
	out->has_extensions = true;
	TRY(read_extensions(&r, 0, 0xffff, &ctx, &out->extensions_len));
	out->ext_seen = ctx.seen;
	out->n_extensions = ctx.count;
	return wire_expect_end(&r);
}

/* §4.1.3:
 *   struct {
 *       ProtocolVersion legacy_version = 0x0303;
 *       Random random;
 *       opaque legacy_session_id_echo<0..32>;
 *       CipherSuite cipher_suite;
 *       uint8 legacy_compression_method = 0;
 *       Extension extensions<6..2^16-1>;
 *   } ServerHello;
 * "Upon receiving a message with type server_hello, implementations MUST first examine the
 * Random value and, if it matches this value, process it as described in Section 4.1.4": the
 * random decides how key_share reads (§4.2.8), so it is examined before the extensions. */
int ktls_decode_server_hello(const uint8_t *body, size_t len, struct ktls_server_hello *out)
{
	struct wire_reader r;
	struct ext_ctx ctx = { .msg = EXT_IN_SH, .body = body, .out.sh = out };

	TRY(reader_start(&r, body, len, out));
	memset(out, 0, sizeof(*out));
	TRY(wire_get_u16(&r, &out->legacy_version));
	TRY(wire_get_view(&r, TLS_RANDOM_LEN, &out->random));
	out->is_hello_retry_request =
		memcmp(out->random, ktls_hello_retry_request_random, TLS_RANDOM_LEN) == 0;
	if (out->is_hello_retry_request)
		ctx.msg = EXT_IN_HRR;
	TRY(wire_get_opaque(&r, 1, 0, 32, &out->session_id_echo, &out->session_id_echo_len));
	TRY(wire_get_u16(&r, &out->cipher_suite));
	TRY(wire_get_u8(&r, &out->compression_method));
	TRY(read_extensions(&r, 6, 0xffff, &ctx, NULL));
	out->ext_seen = ctx.seen;
	out->n_extensions = ctx.count;
	return wire_expect_end(&r);
}

/* §4.3.1: struct { Extension extensions<0..2^16-1>; } EncryptedExtensions; */
int ktls_decode_encrypted_extensions(const uint8_t *body, size_t len,
				     struct ktls_encrypted_extensions *out)
{
	struct wire_reader r;
	struct ext_ctx ctx = { .msg = EXT_IN_EE, .body = body, .out.ee = out };

	TRY(reader_start(&r, body, len, out));
	memset(out, 0, sizeof(*out));
	TRY(read_extensions(&r, 0, 0xffff, &ctx, NULL));
	out->ext_seen = ctx.seen;
	out->n_extensions = ctx.count;
	return wire_expect_end(&r);
}

/* §4.3.2:
 *   struct {
 *       opaque certificate_request_context<0..2^8-1>;
 *       Extension extensions<2..2^16-1>;
 *   } CertificateRequest;
 * "The "signature_algorithms" extension MUST be specified": missing_extension otherwise. */
int ktls_decode_certificate_request(const uint8_t *body, size_t len,
				    struct ktls_certificate_request *out)
{
	struct wire_reader r;
	struct ext_ctx ctx = { .msg = EXT_IN_CR, .body = body, .out.cr = out };

	TRY(reader_start(&r, body, len, out));
	memset(out, 0, sizeof(*out));
	TRY(wire_get_opaque(&r, 1, 0, 255, &out->context, &out->context_len));
	TRY(read_extensions(&r, 2, 0xffff, &ctx, NULL));
	out->ext_seen = ctx.seen;
	out->n_extensions = ctx.count;
	TRY(wire_expect_end(&r));
	if (!(ctx.seen & KTLS_EXT_BIT_SIGNATURE_ALGORITHMS))
		return KTLS_EMISSINGEXT;
	return 0;
}

/* §4.4.2:
 *   struct {
 *       opaque cert_data<1..2^24-1>;          (X509)
 *       Extension extensions<0..2^16-1>;
 *   } CertificateEntry;
 *   struct {
 *       opaque certificate_request_context<0..2^8-1>;
 *       CertificateEntry certificate_list<0..2^24-1>;
 *   } Certificate;
 * Each entry's extensions (status_request, SCTs) are walked for syntax and duplicates, then
 * dropped. A chain longer than KTLS_MAX_CHAIN is refused rather than cut. */
int ktls_decode_certificate(const uint8_t *body, size_t len, struct ktls_certificate *out)
{
	struct wire_reader r, list;

	TRY(reader_start(&r, body, len, out));
	memset(out, 0, sizeof(*out));
	TRY(wire_get_opaque(&r, 1, 0, 255, &out->context, &out->context_len));
	TRY(wire_get_vector(&r, 3, 0, 0xffffff, &list));
	while (wire_remaining(&list)) {
		struct ext_ctx ctx = { .msg = EXT_IN_CERT, .body = body };
		if (out->n_entries == KTLS_MAX_CHAIN)
			return KTLS_EBADCERT; /* the same answer as a chain over the configured limit */
		TRY(wire_get_opaque(&list, 3, 1, 0xffffff, &out->entries[out->n_entries].cert_data,
				    &out->entries[out->n_entries].cert_data_len));
		TRY(read_extensions(&list, 0, 0xffff, &ctx, NULL));
		out->n_entries++;
	}
	return wire_expect_end(&r);
}

/* §4.4.3: struct { SignatureScheme algorithm; opaque signature<0..2^16-1>; } */
int ktls_decode_certificate_verify(const uint8_t *body, size_t len,
				   struct ktls_certificate_verify *out)
{
	struct wire_reader r;

	TRY(reader_start(&r, body, len, out));
	memset(out, 0, sizeof(*out));
	TRY(wire_get_u16(&r, &out->algorithm));
	TRY(wire_get_opaque(&r, 2, 0, 0xffff, &out->signature, &out->signature_len));
	return wire_expect_end(&r);
}

/* §4.4.4: struct { opaque verify_data[Hash.length]; } Finished; */
int ktls_decode_finished(const uint8_t *body, size_t len, size_t hash_len,
			 const uint8_t **verify_data)
{
	struct wire_reader r;

	TRY(reader_start(&r, body, len, verify_data));
	if (hash_len == 0 || hash_len > MAX_VERIFY_DATA_LEN)
		return KTLS_EINVAL;
	TRY(wire_get_view(&r, hash_len, verify_data));
	return wire_expect_end(&r);
}

/* §4.6.1:
 *   struct {
 *       uint32 ticket_lifetime;
 *       uint32 ticket_age_add;
 *       opaque ticket_nonce<0..255>;
 *       opaque ticket<1..2^16-1>;
 *       Extension extensions<0..2^16-2>;
 *   } NewSessionTicket;
 */
int ktls_decode_new_session_ticket(const uint8_t *body, size_t len,
				   struct ktls_new_session_ticket *out)
{
	struct wire_reader r;
	struct ext_ctx ctx = { .msg = EXT_IN_NST, .body = body, .out.nst = out };

	TRY(reader_start(&r, body, len, out));
	memset(out, 0, sizeof(*out));
	TRY(wire_get_u32(&r, &out->ticket_lifetime));
	TRY(wire_get_u32(&r, &out->ticket_age_add));
	TRY(wire_get_opaque(&r, 1, 0, 255, &out->ticket_nonce, &out->ticket_nonce_len));
	TRY(wire_get_opaque(&r, 2, 1, 0xffff, &out->ticket, &out->ticket_len));
	TRY(read_extensions(&r, 0, 0xfffe, &ctx, NULL));
	out->ext_seen = ctx.seen;
	out->n_extensions = ctx.count;
	return wire_expect_end(&r);
}

/* §4.6.3: enum { update_not_requested(0), update_requested(1), (255) } KeyUpdateRequest;
 * "If an implementation receives any other value [...] it MUST terminate the connection with
 * an "illegal_parameter" alert." Syntax (exactly one byte) is checked first. */
int ktls_decode_key_update(const uint8_t *body, size_t len, uint8_t *request_update)
{
	struct wire_reader r;
	uint8_t v;

	TRY(reader_start(&r, body, len, request_update));
	TRY(wire_get_u8(&r, &v));
	TRY(wire_expect_end(&r));
	if (v > 1)
		return KTLS_EILLEGAL;
	*request_update = v;
	return 0;
}

/* §6: struct { AlertLevel level; AlertDescription description; } Alert; The level is not
 * judged here: TLS 1.3 treats every alert of §6.2 as fatal whatever its level. */
int ktls_decode_alert(const uint8_t *body, size_t len, uint8_t *level, uint8_t *description)
{
	struct wire_reader r;
	uint8_t l, d;

	if (!level)
		return KTLS_EINVAL;
	TRY(reader_start(&r, body, len, description));
	TRY(wire_get_u8(&r, &l));
	TRY(wire_get_u8(&r, &d));
	TRY(wire_expect_end(&r));
	*level = l;
	*description = d;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Encoding helpers                                                                           */

/* §4: struct { HandshakeType msg_type; uint24 length; ... } Handshake; */
static int hs_begin(struct wire_writer *w, uint8_t type, struct wire_scope *s)
{
	TRY(wire_put_u8(w, type));
	return wire_open(w, 3, s);
}

static int hs_end(struct wire_writer *w, struct wire_scope *s)
{
	return wire_close(w, s, 0, 0xffffff);
}

/* §4.2: an Extension's type and the opening of its extension_data<0..2^16-1>. */
static int ext_begin(struct wire_writer *w, uint16_t type, struct wire_scope *s)
{
	TRY(wire_put_u16(w, type));
	return wire_open(w, 2, s);
}

static int ext_end(struct wire_writer *w, struct wire_scope *s)
{
	return wire_close(w, s, 0, 0xffff);
}

static int put_u16_list(struct wire_writer *w, unsigned len_size, size_t min, size_t max,
			const uint16_t *v, size_t n)
{
	struct wire_scope s;

	TRY(wire_open(w, len_size, &s));
	for (size_t i = 0; i < n; i++)
		TRY(wire_put_u16(w, v[i]));
	return wire_close(w, &s, min, max);
}

static int put_key_share_entry(struct wire_writer *w, const struct ktls_key_share_entry *e)
{
	TRY(wire_put_u16(w, e->group));
	return wire_put_opaque(w, 2, 1, 0xffff, e->key_exchange, e->key_exchange_len);
}

/* An extension holding one u16 list (supported_groups, signature_algorithms). */
static int put_u16_list_ext(struct wire_writer *w, uint16_t type, size_t max, const uint16_t *v,
			    size_t n)
{
	struct wire_scope e;

	TRY(ext_begin(w, type, &e));
	TRY(put_u16_list(w, 2, 2, max, v, n));
	return ext_end(w, &e);
}

/* RFC 7301 §3.1: a ProtocolNameList of the given names. */
static int put_alpn_ext(struct wire_writer *w, const char *const *names, size_t n)
{
	struct wire_scope e, list;

	TRY(ext_begin(w, TLS_EXT_ALPN, &e));
	TRY(wire_open(w, 2, &list));
	for (size_t i = 0; i < n; i++)
		TRY(wire_put_opaque(w, 1, 1, 255, names[i], strlen(names[i])));
	TRY(wire_close(w, &list, 2, 0xffff));
	return ext_end(w, &e);
}

/* True when a (pointer, count) pair is unusable: a count with no array. */
static bool missing(const void *p, size_t n)
{
	return n && !p;
}

/* ------------------------------------------------------------------------------------------ */
/* Encoders                                                                                   */

/* §4.1.2 ClientHello; extensions in this order: server_name (RFC 6066 §3), supported_groups
 * (§4.2.7), signature_algorithms and signature_algorithms_cert (§4.2.3), ALPN (RFC 7301 §3.1), supported_versions {0x0304}
 * (§4.2.1), key_share (§4.2.8), cookie (§4.2.2). key_share goes with supported_groups: "If
 * containing a "supported_groups" extension, it MUST also contain a "key_share" extension,
 * and vice versa" (§9.2), and an empty client_shares is how a client asks for an HRR. */
int ktls_encode_client_hello(struct wire_writer *w, const struct ktls_client_hello_params *p)
{
	static const uint8_t null_compression = 0;
	struct wire_scope msg, exts, e, list;

	if (!w || !p || !p->random || missing(p->session_id, p->session_id_len) ||
	    missing(p->cipher_suites, p->n_cipher_suites) || missing(p->groups, p->n_groups) ||
	    missing(p->key_shares, p->n_key_shares) ||
	    missing(p->signature_algorithms, p->n_signature_algorithms) ||
	    missing(p->signature_algorithms_cert, p->n_signature_algorithms_cert) ||
	    missing(p->alpn, p->n_alpn) || missing(p->cookie, p->cookie_len) ||
	    (p->psk_identity && (!p->binders_at || p->psk_binder_len < 32 ||
				 p->psk_binder_len > 255 || !p->psk_identity_len)) ||
	    p->n_key_shares > KTLS_MAX_KEY_SHARES)
		return KTLS_EINVAL;
	for (size_t i = 0; i < p->n_key_shares; i++)
		if (missing(p->key_shares[i].key_exchange, p->key_shares[i].key_exchange_len))
			return KTLS_EINVAL;
	for (size_t i = 0; i < p->n_alpn; i++)
		if (!p->alpn[i])
			return KTLS_EINVAL;

	TRY(hs_begin(w, TLS_HS_CLIENT_HELLO, &msg));
	TRY(wire_put_u16(w, TLS_VERSION_1_2));
	TRY(wire_put_bytes(w, p->random, TLS_RANDOM_LEN));
	TRY(wire_put_opaque(w, 1, 0, 32, p->session_id, p->session_id_len));
	TRY(put_u16_list(w, 2, 2, 0xfffe, p->cipher_suites, p->n_cipher_suites));
	TRY(wire_put_opaque(w, 1, 1, 255, &null_compression, 1));
	TRY(wire_open(w, 2, &exts));
	if (p->server_name) {
		TRY(ext_begin(w, TLS_EXT_SERVER_NAME, &e));
		TRY(wire_open(w, 2, &list));
		TRY(wire_put_u8(w, SNI_HOST_NAME));
		TRY(wire_put_opaque(w, 2, 1, 0xffff, p->server_name, strlen(p->server_name)));
		TRY(wire_close(w, &list, 1, 0xffff));
		TRY(ext_end(w, &e));
	}
	if (p->n_groups)
		TRY(put_u16_list_ext(w, TLS_EXT_SUPPORTED_GROUPS, 0xffff, p->groups, p->n_groups));
	if (p->n_signature_algorithms)
		TRY(put_u16_list_ext(w, TLS_EXT_SIGNATURE_ALGORITHMS, 0xfffe,
				     p->signature_algorithms, p->n_signature_algorithms));
	if (p->n_signature_algorithms_cert)
		TRY(put_u16_list_ext(w, TLS_EXT_SIGNATURE_ALGORITHMS_CERT, 0xfffe,
				     p->signature_algorithms_cert, p->n_signature_algorithms_cert));
	if (p->n_alpn)
		TRY(put_alpn_ext(w, p->alpn, p->n_alpn));
	TRY(ext_begin(w, TLS_EXT_SUPPORTED_VERSIONS, &e));
	TRY(wire_open(w, 1, &list));
	TRY(wire_put_u16(w, TLS_VERSION_1_3));
	TRY(wire_close(w, &list, 2, 254));
	TRY(ext_end(w, &e));
	if (p->n_groups || p->n_key_shares) {
		TRY(ext_begin(w, TLS_EXT_KEY_SHARE, &e));
		TRY(wire_open(w, 2, &list));
		for (size_t i = 0; i < p->n_key_shares; i++)
			TRY(put_key_share_entry(w, &p->key_shares[i]));
		TRY(wire_close(w, &list, 0, 0xffff));
		TRY(ext_end(w, &e));
	}
	if (p->cookie) {
		TRY(ext_begin(w, TLS_EXT_COOKIE, &e));
		TRY(wire_put_opaque(w, 2, 1, 0xffff, p->cookie, p->cookie_len));
		TRY(ext_end(w, &e));
	}
	if (p->psk_identity) {
		/* §4.2.9: psk_dhe_ke only — every resumption still does (EC)DHE */
		static const uint8_t dhe = TLS_PSK_DHE_KE;
		uint8_t *binder;
		TRY(ext_begin(w, TLS_EXT_PSK_KEY_EXCHANGE_MODES, &e));
		TRY(wire_put_opaque(w, 1, 1, 255, &dhe, 1));
		TRY(ext_end(w, &e));
		/* §4.2.11: pre_shared_key, the last extension */
		TRY(ext_begin(w, TLS_EXT_PRE_SHARED_KEY, &e));
		TRY(wire_open(w, 2, &list));
		TRY(wire_put_opaque(w, 2, 1, 0xffff, p->psk_identity, p->psk_identity_len));
		TRY(wire_put_u32(w, p->psk_obfuscated_age));
		TRY(wire_close(w, &list, 7, 0xffff));
		*p->binders_at = w->len;
		TRY(wire_open(w, 2, &list));
		TRY(wire_put_u8(w, (uint8_t)p->psk_binder_len));
		TRY(wire_reserve(w, p->psk_binder_len, &binder));
		memset(binder, 0, p->psk_binder_len);
		TRY(wire_close(w, &list, 33, 0xffff));
		TRY(ext_end(w, &e));
	}
	TRY(wire_close(w, &exts, 8, 0xffff));
	return hs_end(w, &msg);
}

/* §4.1.3 ServerHello / §4.1.4 HelloRetryRequest. Extensions in the order RFC 8448's traces
 * use (§3 ServerHello, §5 HelloRetryRequest), so that ours reproduce them byte for byte:
 * key_share (SH: the server's KeyShareEntry; HRR: selected_group, §4.2.8), then cookie (HRR
 * only, §4.2.2), then supported_versions = 0x0304 (§4.2.1). Order is free in §4.2 except for
 * pre_shared_key in ClientHello. */
int ktls_encode_server_hello(struct wire_writer *w, const struct ktls_server_hello_params *p)
{
	struct wire_scope msg, exts, e;
	bool hrr;

	if (!w || !p)
		return KTLS_EINVAL;
	hrr = p->hello_retry_request;
	if ((!hrr && (!p->random || !p->key_share || p->cookie)) ||
	    missing(p->session_id_echo, p->session_id_echo_len) ||
	    missing(p->cookie, p->cookie_len) ||
	    (!hrr && missing(p->key_share->key_exchange, p->key_share->key_exchange_len)))
		return KTLS_EINVAL;

	TRY(hs_begin(w, TLS_HS_SERVER_HELLO, &msg));
	TRY(wire_put_u16(w, TLS_VERSION_1_2));
	TRY(wire_put_bytes(w, hrr ? ktls_hello_retry_request_random : p->random, TLS_RANDOM_LEN));
	TRY(wire_put_opaque(w, 1, 0, 32, p->session_id_echo, p->session_id_echo_len));
	TRY(wire_put_u16(w, p->cipher_suite));
	TRY(wire_put_u8(w, 0)); /* legacy_compression_method */
	TRY(wire_open(w, 2, &exts));
	TRY(ext_begin(w, TLS_EXT_KEY_SHARE, &e));
	if (hrr)
		TRY(wire_put_u16(w, p->selected_group));
	else
		TRY(put_key_share_entry(w, p->key_share));
	TRY(ext_end(w, &e));
	if (hrr && p->cookie) {
		TRY(ext_begin(w, TLS_EXT_COOKIE, &e));
		TRY(wire_put_opaque(w, 2, 1, 0xffff, p->cookie, p->cookie_len));
		TRY(ext_end(w, &e));
	}
	TRY(ext_begin(w, TLS_EXT_SUPPORTED_VERSIONS, &e));
	TRY(wire_put_u16(w, TLS_VERSION_1_3));
	TRY(ext_end(w, &e));
	if (!hrr && p->psk_accepted) {
		TRY(ext_begin(w, TLS_EXT_PRE_SHARED_KEY, &e)); /* §4.2.11: selected_identity */
		TRY(wire_put_u16(w, 0));
		TRY(ext_end(w, &e));
	}
	TRY(wire_close(w, &exts, 6, 0xffff));
	return hs_end(w, &msg);
}

/* §4.3.1 EncryptedExtensions: the server_name acknowledgement (RFC 6066 §3: empty
 * extension_data), then ALPN with exactly one name (RFC 7301 §3.1). */
int ktls_encode_encrypted_extensions(struct wire_writer *w,
				     const struct ktls_encrypted_extensions_params *p)
{
	struct wire_scope msg, exts, e;

	if (!w || !p)
		return KTLS_EINVAL;
	TRY(hs_begin(w, TLS_HS_ENCRYPTED_EXTENSIONS, &msg));
	TRY(wire_open(w, 2, &exts));
	if (p->server_name_ack) {
		TRY(ext_begin(w, TLS_EXT_SERVER_NAME, &e));
		TRY(ext_end(w, &e));
	}
	if (p->alpn)
		TRY(put_alpn_ext(w, &p->alpn, 1));
	TRY(wire_close(w, &exts, 0, 0xffff));
	return hs_end(w, &msg);
}

/* §4.3.2 CertificateRequest: the context, the required signature_algorithms and, when
 * given, signature_algorithms_cert (§4.2.3). */
int ktls_encode_certificate_request(struct wire_writer *w,
				    const struct ktls_certificate_request_params *p)
{
	struct wire_scope msg, exts;

	if (!w || !p || missing(p->context, p->context_len) ||
	    missing(p->signature_algorithms, p->n_signature_algorithms) ||
	    missing(p->signature_algorithms_cert, p->n_signature_algorithms_cert))
		return KTLS_EINVAL;
	TRY(hs_begin(w, TLS_HS_CERTIFICATE_REQUEST, &msg));
	TRY(wire_put_opaque(w, 1, 0, 255, p->context, p->context_len));
	TRY(wire_open(w, 2, &exts));
	TRY(put_u16_list_ext(w, TLS_EXT_SIGNATURE_ALGORITHMS, 0xfffe, p->signature_algorithms,
			     p->n_signature_algorithms));
	if (p->n_signature_algorithms_cert)
		TRY(put_u16_list_ext(w, TLS_EXT_SIGNATURE_ALGORITHMS_CERT, 0xfffe,
				     p->signature_algorithms_cert, p->n_signature_algorithms_cert));
	TRY(wire_close(w, &exts, 2, 0xffff));
	return hs_end(w, &msg);
}

/* §4.4.2 Certificate: each CertificateEntry is cert_data<1..2^24-1> and no extensions. */
int ktls_encode_certificate(struct wire_writer *w, const uint8_t *context, size_t context_len,
			    const uint8_t *const *certs, const size_t *cert_lens, size_t n)
{
	struct wire_scope msg, list;

	if (!w || missing(context, context_len) || missing(certs, n) || missing(cert_lens, n))
		return KTLS_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!certs[i])
			return KTLS_EINVAL;
	TRY(hs_begin(w, TLS_HS_CERTIFICATE, &msg));
	TRY(wire_put_opaque(w, 1, 0, 255, context, context_len));
	TRY(wire_open(w, 3, &list));
	for (size_t i = 0; i < n; i++) {
		TRY(wire_put_opaque(w, 3, 1, 0xffffff, certs[i], cert_lens[i]));
		TRY(wire_put_u16(w, 0)); /* extensions<0..2^16-1>: none */
	}
	TRY(wire_close(w, &list, 0, 0xffffff));
	return hs_end(w, &msg);
}

/* §4.4.3 CertificateVerify. */
int ktls_encode_certificate_verify(struct wire_writer *w, uint16_t algorithm, const uint8_t *sig,
				   size_t sig_len)
{
	struct wire_scope msg;

	if (!w || missing(sig, sig_len))
		return KTLS_EINVAL;
	TRY(hs_begin(w, TLS_HS_CERTIFICATE_VERIFY, &msg));
	TRY(wire_put_u16(w, algorithm));
	TRY(wire_put_opaque(w, 2, 0, 0xffff, sig, sig_len));
	return hs_end(w, &msg);
}

/* §4.4.4 Finished: verify_data[Hash.length], no length prefix of its own. */
int ktls_encode_finished(struct wire_writer *w, const uint8_t *verify_data, size_t len)
{
	struct wire_scope msg;

	if (!w || !verify_data || len == 0 || len > MAX_VERIFY_DATA_LEN)
		return KTLS_EINVAL;
	TRY(hs_begin(w, TLS_HS_FINISHED, &msg));
	TRY(wire_put_bytes(w, verify_data, len));
	return hs_end(w, &msg);
}

/* §4.6.3 KeyUpdate: update_not_requested(0) or update_requested(1). */
int ktls_encode_key_update(struct wire_writer *w, uint8_t request_update)
{
	struct wire_scope msg;

	if (!w || request_update > 1)
		return KTLS_EINVAL;
	TRY(hs_begin(w, TLS_HS_KEY_UPDATE, &msg));
	TRY(wire_put_u8(w, request_update));
	return hs_end(w, &msg);
}

/* §4.6.1 NewSessionTicket: lifetime, age_add, nonce<0..255>, ticket<1..2^16-1>, no
 * extensions. */
int ktls_encode_new_session_ticket(struct wire_writer *w, uint32_t lifetime, uint32_t age_add,
				   const uint8_t *nonce, size_t nonce_len, const uint8_t *ticket,
				   size_t ticket_len)
{
	struct wire_scope msg;
	if (!w || missing(nonce, nonce_len) || !ticket || !ticket_len)
		return KTLS_EINVAL;
	TRY(hs_begin(w, TLS_HS_NEW_SESSION_TICKET, &msg));
	TRY(wire_put_u32(w, lifetime));
	TRY(wire_put_u32(w, age_add));
	TRY(wire_put_opaque(w, 1, 0, 255, nonce, nonce_len));
	TRY(wire_put_opaque(w, 2, 1, 0xffff, ticket, ticket_len));
	TRY(wire_put_u16(w, 0));
	return hs_end(w, &msg);
}

/* §4.4.1: Transcript-Hash(ClientHello1, HelloRetryRequest, ...) = Hash(message_hash ||
 * 00 00 Hash.length || Hash(ClientHello1) || ...): a handshake header of type message_hash
 * whose body is the hash. */
int ktls_encode_message_hash(struct wire_writer *w, const uint8_t *hash, size_t hash_len)
{
	struct wire_scope msg;

	if (!w || !hash || hash_len == 0 || hash_len > MAX_VERIFY_DATA_LEN)
		return KTLS_EINVAL;
	TRY(hs_begin(w, TLS_HS_MESSAGE_HASH, &msg));
	TRY(wire_put_bytes(w, hash, hash_len));
	return hs_end(w, &msg);
}

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                      */

/* §4 HandshakeType. */
const char *ktls_handshake_type_name(uint8_t type)
{
	switch (type) {
	case TLS_HS_CLIENT_HELLO: return "client_hello";
	case TLS_HS_SERVER_HELLO: return "server_hello";
	case TLS_HS_NEW_SESSION_TICKET: return "new_session_ticket";
	case TLS_HS_END_OF_EARLY_DATA: return "end_of_early_data";
	case TLS_HS_ENCRYPTED_EXTENSIONS: return "encrypted_extensions";
	case TLS_HS_CERTIFICATE: return "certificate";
	case TLS_HS_CERTIFICATE_REQUEST: return "certificate_request";
	case TLS_HS_CERTIFICATE_VERIFY: return "certificate_verify";
	case TLS_HS_FINISHED: return "finished";
	case TLS_HS_KEY_UPDATE: return "key_update";
	case TLS_HS_MESSAGE_HASH: return "message_hash";
	default: return NULL;
	}
}

/* §4.2 ExtensionType, plus the extensions common TLS 1.2-era clients still send (RFC 8448's
 * own ClientHello carries renegotiation_info, session_ticket and record_size_limit), named
 * as in the IANA TLS ExtensionType Values registry, so diagnostics can say what they saw. */
const char *ktls_extension_name(uint16_t type)
{
	switch (type) {
	case TLS_EXT_SERVER_NAME: return "server_name";
	case 1: return "max_fragment_length";
	case 5: return "status_request";
	case TLS_EXT_SUPPORTED_GROUPS: return "supported_groups";
	case 11: return "ec_point_formats";             /* RFC 8422 */
	case TLS_EXT_SIGNATURE_ALGORITHMS: return "signature_algorithms";
	case 14: return "use_srtp";
	case 15: return "heartbeat";
	case TLS_EXT_ALPN: return "application_layer_protocol_negotiation";
	case 18: return "signed_certificate_timestamp";
	case 19: return "client_certificate_type";
	case 20: return "server_certificate_type";
	case 21: return "padding";
	case 22: return "encrypt_then_mac";             /* RFC 7366 */
	case 23: return "extended_master_secret";       /* RFC 7627 */
	case 27: return "compress_certificate";         /* RFC 8879 */
	case 28: return "record_size_limit";            /* RFC 8449 */
	case 35: return "session_ticket";               /* RFC 5077 */
	case TLS_EXT_PRE_SHARED_KEY: return "pre_shared_key";
	case TLS_EXT_EARLY_DATA: return "early_data";
	case TLS_EXT_SUPPORTED_VERSIONS: return "supported_versions";
	case TLS_EXT_COOKIE: return "cookie";
	case TLS_EXT_PSK_KEY_EXCHANGE_MODES: return "psk_key_exchange_modes";
	case TLS_EXT_CERTIFICATE_AUTHORITIES: return "certificate_authorities";
	case 48: return "oid_filters";
	case TLS_EXT_POST_HANDSHAKE_AUTH: return "post_handshake_auth";
	case TLS_EXT_SIGNATURE_ALGORITHMS_CERT: return "signature_algorithms_cert";
	case TLS_EXT_KEY_SHARE: return "key_share";
	case 0xff01: return "renegotiation_info";       /* RFC 5746 */
	default: return NULL;
	}
}

/* §4.2.7 NamedGroup. */
const char *ktls_group_name(uint16_t group)
{
	switch (group) {
	case TLS_GROUP_SECP256R1: return "secp256r1";
	case TLS_GROUP_SECP384R1: return "secp384r1";
	case TLS_GROUP_SECP521R1: return "secp521r1";
	case TLS_GROUP_X25519: return "x25519";
	case TLS_GROUP_X448: return "x448";
	case TLS_GROUP_FFDHE2048: return "ffdhe2048";
	case TLS_GROUP_FFDHE3072: return "ffdhe3072";
	case TLS_GROUP_FFDHE4096: return "ffdhe4096";
	case TLS_GROUP_FFDHE6144: return "ffdhe6144";
	case TLS_GROUP_FFDHE8192: return "ffdhe8192";
	default: return NULL;
	}
}

/* §4.2.3 SignatureScheme. */
const char *ktls_signature_scheme_name(uint16_t scheme)
{
	switch (scheme) {
	case TLS_SIG_RSA_PKCS1_SHA256: return "rsa_pkcs1_sha256";
	case 0x0501: return "rsa_pkcs1_sha384";
	case 0x0601: return "rsa_pkcs1_sha512";
	case TLS_SIG_ECDSA_SECP256R1_SHA256: return "ecdsa_secp256r1_sha256";
	case TLS_SIG_ECDSA_SECP384R1_SHA384: return "ecdsa_secp384r1_sha384";
	case 0x0603: return "ecdsa_secp521r1_sha512";
	case TLS_SIG_RSA_PSS_RSAE_SHA256: return "rsa_pss_rsae_sha256";
	case TLS_SIG_RSA_PSS_RSAE_SHA384: return "rsa_pss_rsae_sha384";
	case TLS_SIG_RSA_PSS_RSAE_SHA512: return "rsa_pss_rsae_sha512";
	case TLS_SIG_ED25519: return "ed25519";
	case 0x0808: return "ed448";
	case 0x0809: return "rsa_pss_pss_sha256";
	case 0x080a: return "rsa_pss_pss_sha384";
	case 0x080b: return "rsa_pss_pss_sha512";
	case 0x0201: return "rsa_pkcs1_sha1";
	case 0x0203: return "ecdsa_sha1";
	default: return NULL;
	}
}
