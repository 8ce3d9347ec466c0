/*
 * messages.h — TLS 1.3 handshake messages and extensions (RFC 8446 §4), decoded and encoded.
 *
 * No I/O and no crypto here: a decoder takes one complete handshake message *body* (the
 * bytes after the 4-byte type + uint24 length header) and fills a struct whose pointers
 * point into that body, so the caller keeps the body alive while it uses the struct. An
 * encoder appends one complete message (header included) to a wire_writer.
 *
 * Decoders check syntax — every length, every declared vector bound (§4.1.2 ...), trailing
 * bytes, duplicate extensions (illegal_parameter), pre_shared_key not last in ClientHello
 * (illegal_parameter) — and return KTLS_EDECODE or KTLS_EILLEGAL. What a value *means*
 * (is this suite one we offered?) is for the handshake layer, which has the context; to let
 * it check "an extension we never asked for" (§4.2, unsupported_extension), decoders record
 * every extension they saw in ext_seen, unknown ones as KTLS_EXT_BIT_UNKNOWN.
 *
 * Lists of u16 (cipher suites, groups, signature schemes, versions) stay as views into the
 * message: no caps, no copies.
 */
#ifndef KTLS_MESSAGES_H
#define KTLS_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "caps.h"

#include "wire.h"

/* HandshakeType (§4) */
enum tls_handshake_type {
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_NEW_SESSION_TICKET = 4,
	TLS_HS_END_OF_EARLY_DATA = 5,
	TLS_HS_ENCRYPTED_EXTENSIONS = 8,
	TLS_HS_CERTIFICATE = 11,
	TLS_HS_CERTIFICATE_REQUEST = 13,
	TLS_HS_CERTIFICATE_VERIFY = 15,
	TLS_HS_FINISHED = 20,
	TLS_HS_KEY_UPDATE = 24,
	TLS_HS_MESSAGE_HASH = 254,
};

#define TLS_HANDSHAKE_HEADER_LEN 4
#define TLS_VERSION_1_2 0x0303
#define TLS_VERSION_1_3 0x0304

/* ExtensionType (§4.2) */
enum tls_extension_type {
	TLS_EXT_SERVER_NAME = 0,
	TLS_EXT_SUPPORTED_GROUPS = 10,
	TLS_EXT_SIGNATURE_ALGORITHMS = 13,
	TLS_EXT_ALPN = 16,
	TLS_EXT_PRE_SHARED_KEY = 41,
	TLS_EXT_EARLY_DATA = 42,
	TLS_EXT_SUPPORTED_VERSIONS = 43,
	TLS_EXT_COOKIE = 44,
	TLS_EXT_PSK_KEY_EXCHANGE_MODES = 45,
	TLS_EXT_CERTIFICATE_AUTHORITIES = 47,
	TLS_EXT_POST_HANDSHAKE_AUTH = 49,
	TLS_EXT_SIGNATURE_ALGORITHMS_CERT = 50,
	TLS_EXT_KEY_SHARE = 51,
};

/* One bit per extension we know, for ext_seen bitmaps. */
enum ktls_ext_bit {
	KTLS_EXT_BIT_SERVER_NAME = 1u << 0,
	KTLS_EXT_BIT_SUPPORTED_GROUPS = 1u << 1,
	KTLS_EXT_BIT_SIGNATURE_ALGORITHMS = 1u << 2,
	KTLS_EXT_BIT_ALPN = 1u << 3,
	KTLS_EXT_BIT_PRE_SHARED_KEY = 1u << 4,
	KTLS_EXT_BIT_EARLY_DATA = 1u << 5,
	KTLS_EXT_BIT_SUPPORTED_VERSIONS = 1u << 6,
	KTLS_EXT_BIT_COOKIE = 1u << 7,
	KTLS_EXT_BIT_PSK_KEY_EXCHANGE_MODES = 1u << 8,
	KTLS_EXT_BIT_CERTIFICATE_AUTHORITIES = 1u << 9,
	KTLS_EXT_BIT_POST_HANDSHAKE_AUTH = 1u << 10,
	KTLS_EXT_BIT_SIGNATURE_ALGORITHMS_CERT = 1u << 11,
	KTLS_EXT_BIT_KEY_SHARE = 1u << 12,
	KTLS_EXT_BIT_UNKNOWN = 1u << 31, /* at least one extension we do not implement */
};

/* NamedGroup (§4.2.7) */
#define TLS_GROUP_SECP256R1 0x0017
#define TLS_GROUP_SECP384R1 0x0018
#define TLS_GROUP_SECP521R1 0x0019
#define TLS_GROUP_X25519 0x001d
#define TLS_GROUP_X448 0x001e
#define TLS_GROUP_FFDHE2048 0x0100 /* RFC 7919 */
#define TLS_GROUP_FFDHE3072 0x0101
#define TLS_GROUP_FFDHE4096 0x0102
#define TLS_GROUP_FFDHE6144 0x0103
#define TLS_GROUP_FFDHE8192 0x0104

/* SignatureScheme (§4.2.3) */
#define TLS_SIG_ECDSA_SECP256R1_SHA256 0x0403
#define TLS_SIG_ECDSA_SECP384R1_SHA384 0x0503
#define TLS_SIG_RSA_PSS_RSAE_SHA256 0x0804
#define TLS_SIG_RSA_PSS_RSAE_SHA384 0x0805
#define TLS_SIG_RSA_PSS_RSAE_SHA512 0x0806
#define TLS_SIG_ED25519 0x0807
#define TLS_SIG_RSA_PKCS1_SHA256 0x0401 /* certificates only, never CertificateVerify */

/* PskKeyExchangeMode (§4.2.9) */
#define TLS_PSK_KE 0
#define TLS_PSK_DHE_KE 1

/* A view of n big-endian u16 values inside a message. */
struct ktls_u16_list {
	const uint8_t *p;
	size_t n;
};

static inline uint16_t ktls_u16_list_at(const struct ktls_u16_list *l, size_t i)
{
	return (uint16_t)(l->p[2 * i] << 8 | l->p[2 * i + 1]);
}

static inline bool ktls_u16_list_has(const struct ktls_u16_list *l, uint16_t v)
{
	for (size_t i = 0; i < l->n; i++)
		if (ktls_u16_list_at(l, i) == v)
			return true;
	return false;
}

struct ktls_key_share_entry {
	uint16_t group;
	const uint8_t *key_exchange;
	size_t key_exchange_len; /* <1..2^16-1> */
};


/* §4.1.2 */
struct ktls_client_hello {
	uint16_t legacy_version;
	const uint8_t *random; /* 32 bytes */
	const uint8_t *session_id;
	size_t session_id_len; /* <0..32> */
	struct ktls_u16_list cipher_suites;
	const uint8_t *compression_methods;
	size_t compression_methods_len; /* <1..2^8-1> */
	bool has_extensions;  /* an extensions block is present (a TLS 1.2 hello may have none) */
	size_t extensions_len; /* its length: TLS 1.3's syntax says <8..2^16-1>, TLS 1.2's <0..> */
	uint32_t ext_seen;
	size_t n_extensions; /* how many, known or not (a block holds at most 16383) */
	struct ktls_u16_list supported_versions;  /* §4.2.1 */
	struct ktls_u16_list supported_groups;    /* §4.2.7 */
	struct ktls_u16_list signature_algorithms;      /* §4.2.3 */
	struct ktls_u16_list signature_algorithms_cert; /* §4.2.3 */
	/* §4.2.8 client_shares: a view of the KeyShareEntry list, any number of entries, each
	 * checked for syntax and no group twice; read it with ktls_client_hello_share(). */
	const uint8_t *key_shares;
	size_t key_shares_len;
	size_t n_key_shares;
	const uint8_t *server_name; /* host_name of server_name (RFC 6066 §3), not NUL-ended */
	size_t server_name_len;
	const uint8_t *alpn; /* ProtocolNameList body (RFC 7301 §3.1), each name checked <1..255> */
	size_t alpn_len;
	const uint8_t *cookie; /* §4.2.2 */
	size_t cookie_len;
	const uint8_t *psk_modes; /* §4.2.9, u8 list */
	size_t psk_modes_len;
	/* §4.2.11 pre_shared_key: the raw OfferedPsks body and where the binders start,
	 * counted from the start of the message body (the truncated transcript ends there). */
	const uint8_t *pre_shared_key;
	size_t pre_shared_key_len;
	size_t binders_offset;
	bool early_data;
	bool post_handshake_auth;
};

/* §4.1.3 / §4.1.4. A HelloRetryRequest is a ServerHello whose random is the special value. */
struct ktls_server_hello {
	bool is_hello_retry_request;
	uint16_t legacy_version;
	const uint8_t *random;
	const uint8_t *session_id_echo;
	size_t session_id_echo_len;
	uint16_t cipher_suite;
	uint8_t compression_method;
	uint32_t ext_seen;
	size_t n_extensions; /* how many, known or not */
	uint16_t selected_version;            /* supported_versions */
	struct ktls_key_share_entry key_share; /* ServerHello: the server's share */
	uint16_t selected_group;              /* HelloRetryRequest: key_share selected_group */
	const uint8_t *cookie;                /* HelloRetryRequest */
	size_t cookie_len;
	uint16_t selected_identity;           /* pre_shared_key */
};

/* The HelloRetryRequest random: SHA-256("HelloRetryRequest") (§4.1.3). */
extern const uint8_t ktls_hello_retry_request_random[32];

/* §4.3.1 */
struct ktls_encrypted_extensions {
	uint32_t ext_seen;
	size_t n_extensions; /* how many, known or not */
	const uint8_t *alpn; /* the one selected protocol name (ProtocolNameList of exactly one) */
	size_t alpn_len;
	struct ktls_u16_list supported_groups;
	bool early_data;
};

/* §4.3.2 */
struct ktls_certificate_request {
	const uint8_t *context;
	size_t context_len; /* <0..2^8-1> */
	uint32_t ext_seen;
	size_t n_extensions; /* how many, known or not */
	struct ktls_u16_list signature_algorithms; /* required: missing_extension if absent */
	struct ktls_u16_list signature_algorithms_cert;
};


/* §4.4.2. Extensions of each CertificateEntry are parsed for syntax and ignored. */
struct ktls_certificate {
	const uint8_t *context;
	size_t context_len;
	struct {
		const uint8_t *cert_data; /* DER X.509 <1..2^24-1> */
		size_t cert_data_len;
	} entries[KTLS_MAX_CHAIN];
	size_t n_entries; /* 0: the peer has no certificate (client only) */
};

/* §4.4.3 */
struct ktls_certificate_verify {
	uint16_t algorithm;
	const uint8_t *signature; /* <0..2^16-1> */
	size_t signature_len;
};

/* §4.6.1 */
struct ktls_new_session_ticket {
	uint32_t ticket_lifetime;
	uint32_t ticket_age_add;
	const uint8_t *ticket_nonce; /* <0..255> */
	size_t ticket_nonce_len;
	const uint8_t *ticket; /* <1..2^16-1> */
	size_t ticket_len;
	uint32_t ext_seen;
	size_t n_extensions; /* how many, known or not */
	uint32_t max_early_data_size; /* early_data extension, 0 when absent */
};

/* Each decoder: body is the message body (after the 4-byte header). Returns 0,
 * KTLS_EDECODE (malformed), KTLS_EILLEGAL (well-formed but forbidden: duplicate extension,
 * psk not last, a key share group twice), KTLS_EBADCERT (a chain over KTLS_MAX_CHAIN), or
 * KTLS_EINVAL. The number of extensions and key shares is bounded only by the message. */
KTLS_MUST_CHECK int ktls_decode_client_hello(const uint8_t *body, size_t len,
					     struct ktls_client_hello *out);
/* Walks a decoded ClientHello's client_shares: *pos starts at 0; each call fills *e with
 * the next entry and returns 1, or returns 0 at the end. The _for_group variant finds the
 * entry for `group` (1) or not (0), in one pass. */
int ktls_client_hello_next_share(const struct ktls_client_hello *ch, size_t *pos,
				 struct ktls_key_share_entry *e);
/* Whether every share of a decoded ClientHello is for a group its supported_groups lists
 * (§4.2.8): one pass over each list, a bitmap between them, whatever their lengths. */
bool ktls_client_hello_shares_listed(const struct ktls_client_hello *ch);
int ktls_client_hello_share_for_group(const struct ktls_client_hello *ch, uint16_t group,
				      struct ktls_key_share_entry *e);
KTLS_MUST_CHECK int ktls_decode_server_hello(const uint8_t *body, size_t len,
					     struct ktls_server_hello *out);
KTLS_MUST_CHECK int ktls_decode_encrypted_extensions(const uint8_t *body, size_t len,
						     struct ktls_encrypted_extensions *out);
KTLS_MUST_CHECK int ktls_decode_certificate_request(const uint8_t *body, size_t len,
						    struct ktls_certificate_request *out);
KTLS_MUST_CHECK int ktls_decode_certificate(const uint8_t *body, size_t len,
					    struct ktls_certificate *out);
KTLS_MUST_CHECK int ktls_decode_certificate_verify(const uint8_t *body, size_t len,
						   struct ktls_certificate_verify *out);
/* Finished: verify_data must be exactly hash_len bytes. */
KTLS_MUST_CHECK int ktls_decode_finished(const uint8_t *body, size_t len, size_t hash_len,
					 const uint8_t **verify_data);
KTLS_MUST_CHECK int ktls_decode_new_session_ticket(const uint8_t *body, size_t len,
						   struct ktls_new_session_ticket *out);
/* KeyUpdate (§4.6.3): *request_update is 0 or 1; any other value is KTLS_EILLEGAL. */
KTLS_MUST_CHECK int ktls_decode_key_update(const uint8_t *body, size_t len,
					   uint8_t *request_update);
/* Alert (§6): exactly two bytes, level and description. */
KTLS_MUST_CHECK int ktls_decode_alert(const uint8_t *body, size_t len, uint8_t *level,
				      uint8_t *description);

/* What we put in a ClientHello. Arrays are host-order values; NULL/0 leaves an extension out
 * (supported_versions is always TLS 1.3 only, legacy_version 0x0303, compression {0}). */
struct ktls_client_hello_params {
	const uint8_t *random;     /* 32 bytes */
	const uint8_t *session_id; /* 32 bytes for middlebox compatibility (§D.4), or NULL */
	size_t session_id_len;
	const uint16_t *cipher_suites;
	size_t n_cipher_suites;
	const uint16_t *groups;
	size_t n_groups;
	const struct ktls_key_share_entry *key_shares;
	size_t n_key_shares;
	const uint16_t *signature_algorithms;
	size_t n_signature_algorithms;
	const uint16_t *signature_algorithms_cert; /* omitted when 0 */
	size_t n_signature_algorithms_cert;
	const char *server_name; /* a DNS name; not sent for NULL (or an IP literal: caller's job) */
	const char *const *alpn; /* protocol names */
	size_t n_alpn;
	const uint8_t *cookie; /* echoed from a HelloRetryRequest */
	size_t cookie_len;
	/* One resumption PSK (§4.2.11), or NULL: sent with psk_key_exchange_modes {psk_dhe_ke}
	 * and pre_shared_key last, its binder zero-filled (psk_binder_len bytes). The encoder
	 * reports where the binders list starts (binders_at, an offset into w's buffer) so the
	 * caller can hash the truncated ClientHello and write the binder in place. */
	const uint8_t *psk_identity;
	size_t psk_identity_len;
	uint32_t psk_obfuscated_age;
	size_t psk_binder_len;
	size_t *binders_at;
};

/* What we put in a ServerHello or HelloRetryRequest (§4.1.3, §4.1.4). */
struct ktls_server_hello_params {
	bool hello_retry_request; /* random is then the special value, random ignored */
	const uint8_t *random;    /* 32 bytes */
	const uint8_t *session_id_echo;
	size_t session_id_echo_len;
	uint16_t cipher_suite;
	const struct ktls_key_share_entry *key_share; /* ServerHello */
	uint16_t selected_group;                      /* HelloRetryRequest */
	const uint8_t *cookie;                        /* HelloRetryRequest, optional */
	size_t cookie_len;
	bool psk_accepted;                            /* ServerHello: pre_shared_key selected 0 */
};

struct ktls_encrypted_extensions_params {
	const char *alpn;         /* the selected protocol, or NULL */
	bool server_name_ack;     /* empty server_name extension (RFC 6066 §3) */
};

struct ktls_certificate_request_params {
	const uint8_t *context;
	size_t context_len;
	const uint16_t *signature_algorithms;
	size_t n_signature_algorithms;
	const uint16_t *signature_algorithms_cert; /* omitted when 0 */
	size_t n_signature_algorithms_cert;
};

/* Each encoder appends one whole handshake message (4-byte header included) to w and
 * returns 0 or the writer's error (KTLS_ENOSPACE, KTLS_EINVAL for values out of bounds). */
KTLS_MUST_CHECK int ktls_encode_client_hello(struct wire_writer *w,
					     const struct ktls_client_hello_params *p);
KTLS_MUST_CHECK int ktls_encode_server_hello(struct wire_writer *w,
					     const struct ktls_server_hello_params *p);
KTLS_MUST_CHECK int ktls_encode_encrypted_extensions(
	struct wire_writer *w, const struct ktls_encrypted_extensions_params *p);
KTLS_MUST_CHECK int ktls_encode_certificate_request(
	struct wire_writer *w, const struct ktls_certificate_request_params *p);
/* Certificate with the given DER certificates (leaf first; n may be 0) and no extensions. */
KTLS_MUST_CHECK int ktls_encode_certificate(struct wire_writer *w, const uint8_t *context,
					    size_t context_len, const uint8_t *const *certs,
					    const size_t *cert_lens, size_t n);
KTLS_MUST_CHECK int ktls_encode_certificate_verify(struct wire_writer *w, uint16_t algorithm,
						   const uint8_t *sig, size_t sig_len);
KTLS_MUST_CHECK int ktls_encode_finished(struct wire_writer *w, const uint8_t *verify_data,
					 size_t len);
KTLS_MUST_CHECK int ktls_encode_key_update(struct wire_writer *w, uint8_t request_update);
/* NewSessionTicket (§4.6.1) without extensions (we never offer early data). */
KTLS_MUST_CHECK int ktls_encode_new_session_ticket(struct wire_writer *w, uint32_t lifetime,
						   uint32_t age_add, const uint8_t *nonce,
						   size_t nonce_len, const uint8_t *ticket,
						   size_t ticket_len);
/* The message_hash construct that replaces ClientHello1 after a HelloRetryRequest (§4.4.1). */
KTLS_MUST_CHECK int ktls_encode_message_hash(struct wire_writer *w, const uint8_t *hash,
					     size_t hash_len);

/* Returns the RFC 8446 name of a handshake type ("client_hello") or NULL. */
const char *ktls_handshake_type_name(uint8_t type);
/* Returns the name of an extension type ("key_share") or NULL when unknown. */
const char *ktls_extension_name(uint16_t type);
/* Returns the name of a named group ("x25519") or NULL. */
const char *ktls_group_name(uint16_t group);
/* Returns the name of a signature scheme ("rsa_pss_rsae_sha256") or NULL. */
const char *ktls_signature_scheme_name(uint16_t scheme);

#endif
