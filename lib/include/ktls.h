/*
 * ktls.h — public interface of libktls.
 *
 * libktls runs the TLS 1.3 (RFC 8446) handshake and key schedule in userspace and hands the
 * traffic keys to the Linux kernel's TLS record layer (kTLS), so an application can use
 * send/recv/sendfile/splice on a TLS socket. This header is the only public one; everything
 * under lib/ besides it is private and may change.
 *
 * Conventions: functions return 0 (KTLS_OK) on success or a negative KTLS_E* code;
 * ktls_strerror() names a code. Nothing in the library calls exit().
 */
#ifndef KTLS_H
#define KTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KTLS_VERSION_STRING "0.1.0"

/* Marks the functions the shared library exports; everything else stays hidden. */
#define KTLS_API __attribute__((visibility("default")))

/* Error codes. Each protocol error maps to the TLS alert (RFC 8446 §6) that reports it;
 * ktls_error_alert() gives that alert. */
enum ktls_error {
	KTLS_OK = 0,
	KTLS_EINVAL = -1,         /* a caller passed an invalid argument */
	KTLS_ENOMEM = -2,         /* out of memory */
	KTLS_ENOSPACE = -3,       /* an output buffer is too small */
	KTLS_ECRYPTO = -4,        /* the crypto library failed unexpectedly */
	KTLS_EUNSUPPORTED = -5,   /* unknown or unsupported cipher suite / algorithm */
	KTLS_EDECODE = -6,        /* malformed message: decode_error */
	KTLS_EBADMAC = -7,        /* record failed authentication: bad_record_mac */
	KTLS_EOVERFLOW = -8,      /* record too large: record_overflow */
	KTLS_EUNEXPECTED = -9,    /* message or record not allowed here: unexpected_message */
	KTLS_EILLEGAL = -10,      /* a field holds a forbidden value: illegal_parameter */
	KTLS_ESEQWRAP = -11,      /* record sequence number would wrap: the key must change */
	KTLS_EINTERNAL = -12,     /* a bug or broken invariant: internal_error */
	KTLS_EHANDSHAKE = -13,    /* nothing in common (suite, group, signature): handshake_failure */
	KTLS_EVERSION = -14,      /* the peer does not speak TLS 1.3: protocol_version */
	KTLS_EMISSINGEXT = -15,   /* a required extension is absent: missing_extension */
	KTLS_EUNSUPPORTEDEXT = -16, /* an extension we never asked for: unsupported_extension */
	KTLS_EBADCERT = -17,      /* certificate unusable or not for this host: bad_certificate */
	KTLS_EUNKNOWNCA = -18,    /* chain does not lead to a trusted CA: unknown_ca */
	KTLS_ECERTEXPIRED = -19,  /* certificate expired or not yet valid: certificate_expired */
	KTLS_EDECRYPT = -20,      /* signature or Finished does not verify: decrypt_error */
	KTLS_ECERTREQUIRED = -21, /* a client certificate is required: certificate_required */
	KTLS_ENOALPN = -22,       /* no application protocol in common: no_application_protocol */
	KTLS_EALERT = -23,        /* the peer sent a fatal alert (see the session for which) */
	KTLS_ECLOSED = -24,       /* the peer closed the connection */
	KTLS_EIO = -25,           /* a system call failed (errno is kept on the session) */
	KTLS_ETIMEOUT = -26,      /* the operation took longer than its limit */
	KTLS_EOFFLOAD = -27,      /* kernel TLS was required but the kernel refused it */
	KTLS_EKEYUPDATE = -28,    /* a key update (the peer's, ours, or §5.5's) this kernel cannot
				   * carry: TLS 1.3 rekey needs Linux 6.14 or later */

	/* Not errors: a non-blocking call needs the fd readable / writable, then call again. */
	KTLS_WANT_READ = -100,
	KTLS_WANT_WRITE = -101,
};

/* Returns a short, static, human-readable description of a KTLS_E* code
 * (or "unknown error" for a value that is not one). */
KTLS_API const char *ktls_strerror(int err);

/* Returns the TLS AlertDescription (RFC 8446 §6) that reports err to the peer, or -1 when
 * err is not a protocol failure the peer should be told about in a specific way. */
KTLS_API int ktls_error_alert(int err);

/* Returns the RFC 8446 name of a TLS AlertDescription ("bad_record_mac"), or NULL when the
 * value is not a defined alert. */
KTLS_API const char *ktls_alert_name(int alert);

/* TLS 1.3 cipher suites (RFC 8446 §B.4). */
#define KTLS_TLS_AES_128_GCM_SHA256       0x1301
#define KTLS_TLS_AES_256_GCM_SHA384       0x1302
#define KTLS_TLS_CHACHA20_POLY1305_SHA256 0x1303
#define KTLS_TLS_AES_128_CCM_SHA256       0x1304 /* off by default; kernel: AES-CCM-128 */
#define KTLS_TLS_AES_128_CCM_8_SHA256     0x1305 /* off by default; never kernel-offloaded:
						   * the kernel has no 8-byte-tag CCM */

/* Returns the IANA name of a TLS 1.3 cipher suite this library implements
 * ("TLS_CHACHA20_POLY1305_SHA256"), or NULL when it implements no suite of that id. */
KTLS_API const char *ktls_suite_name(uint16_t suite);

/* Named groups (RFC 8446 §4.2.7, RFC 7919) this library implements, as the session reports
 * them. */
#define KTLS_GROUP_SECP256R1 0x0017
#define KTLS_GROUP_SECP384R1 0x0018
#define KTLS_GROUP_SECP521R1 0x0019
#define KTLS_GROUP_X25519 0x001d
#define KTLS_GROUP_X448 0x001e
#define KTLS_GROUP_FFDHE2048 0x0100
#define KTLS_GROUP_FFDHE3072 0x0101
#define KTLS_GROUP_FFDHE4096 0x0102
#define KTLS_GROUP_FFDHE6144 0x0103
#define KTLS_GROUP_FFDHE8192 0x0104

/* ---- Configuration ------------------------------------------------------------------------
 * A ktls_config holds what a handshake needs: role, certificates, trust, preferences. Set it
 * up, then share it read-only among any number of sessions; free it after the last of them.
 * Every setter returns 0 or a KTLS_E* code, and on failure ktls_config_error() says why. */

enum ktls_role { KTLS_ROLE_CLIENT, KTLS_ROLE_SERVER };

enum ktls_client_auth {
	KTLS_CLIENT_AUTH_NONE,     /* do not ask for a client certificate (default) */
	KTLS_CLIENT_AUTH_OPTIONAL, /* ask; a client without one may still connect */
	KTLS_CLIENT_AUTH_REQUIRED, /* ask; a client without one gets certificate_required */
};

struct ktls_config;

/* Returns a new configuration with defaults — suites ChaCha20-Poly1305, AES-128-GCM,
 * AES-256-GCM; groups x25519, secp256r1, x448, secp384r1, secp521r1, ffdhe2048, ffdhe3072
 * (a client sends its key share for x25519 only); system CA store; no key log (not even
 * with $SSLKEYLOGFILE set: see ktls_config_set_keylog_from_env) — or NULL when out of
 * memory. */
KTLS_API struct ktls_config *ktls_config_new(enum ktls_role role);
KTLS_API void ktls_config_free(struct ktls_config *cfg);
/* The message of the last failed setter ("cannot read key file x: ..."), or "". */
KTLS_API const char *ktls_config_error(const struct ktls_config *cfg);
/* Our certificate chain and private key: required for a server, optional for a client
 * (mutual TLS). The chain file holds the leaf first, then intermediates, in PEM (or DER
 * certificates back to back); the key file (may be the chain file) holds the key in PEM or
 * DER: PKCS#8, or the traditional RSA/EC forms. The key must match the leaf. Replaces the
 * first (default) certificate; those added with ktls_config_add_cert stay. An encrypted key
 * needs ktls_config_add_cert. On failure ktls_config_error() says what is missing or wrong
 * (no key in the key file, not a key, an encrypted key, a key for another certificate). */
KTLS_API int ktls_config_set_cert(struct ktls_config *cfg, const char *cert_file,
				  const char *key_file);
/* Adds a certificate chain and key as ktls_config_set_cert loads them, after those already
 * set (the first one added to a config without a certificate is the default). passphrase
 * decrypts an encrypted key (PKCS#8 or PEM's Proc-Type: 4,ENCRYPTED); NULL when it is not
 * encrypted. The library keeps no copy of it: the caller wipes its own after the call.
 * A server with several certificates picks one per handshake by the client's SNI: the first
 * whose leaf names it exactly (its DNS subjectAltNames, or its subject CN when it has none),
 * else the first that names it by a wildcard ("*.example.org" covers one label:
 * "www.example.org", not "example.org" or "a.b.example.org"; RFC 6125 §6.4.3), else the
 * first certificate; ktls_session_info.cert_subject says which was sent. A client sends the
 * first. Returns 0, KTLS_EINVAL (ktls_config_error() says why) or KTLS_ENOMEM. */
KTLS_API int ktls_config_add_cert(struct ktls_config *cfg, const char *cert_file,
				  const char *key_file, const char *passphrase);
/* Trust anchors for verifying the peer: a PEM file and/or a hashed directory; both NULL
 * means the system default store. */
KTLS_API int ktls_config_set_ca(struct ktls_config *cfg, const char *ca_file, const char *ca_dir);
/* insecure != 0: do not verify the peer's certificate chain or name. Dangerous; for tests. */
KTLS_API int ktls_config_set_insecure(struct ktls_config *cfg, int insecure);
/* Client: middlebox compatibility mode (RFC 8446 Appendix D.4), on by default as in
 * OpenSSL and browsers: a 32-byte legacy_session_id, and one dummy change_cipher_spec
 * record before our second flight, so the handshake looks like a TLS 1.2 resumption to
 * middleboxes. Off: an empty session id and no change_cipher_spec. (A server always
 * answers a client in this mode with its own change_cipher_spec, as D.4 requires.) */
KTLS_API int ktls_config_set_middlebox_compat(struct ktls_config *cfg, int on);
/* Server: put a cookie (§4.2.2) in every HelloRetryRequest and require the second
 * ClientHello to echo it. Off by default: our server keeps its state across the retry and
 * needs none; a cookie is for front ends that want the client's reachability proven. */
KTLS_API int ktls_config_set_hrr_cookie(struct ktls_config *cfg, int on);
/* Client: check the server's certificate against the server name (default on). A client
 * with name checking on and no server name fails its handshake (KTLS_EINVAL) instead of
 * accepting a certificate for any name; turn it off only when the chain alone is what you
 * trust (a private CA issuing one certificate, say). */
KTLS_API int ktls_config_set_verify_name(struct ktls_config *cfg, int on);
/* Client: the server name sent as SNI (omitted for an IP literal) and checked against the
 * certificate (as a DNS name or an IP address). */
KTLS_API int ktls_config_set_server_name(struct ktls_config *cfg, const char *name);
/* ALPN protocols in preference order, comma-separated ("h2,http/1.1"). */
KTLS_API int ktls_config_set_alpn(struct ktls_config *cfg, const char *list);
/* Key-exchange groups in preference order, comma- or colon-separated, by IANA name: x25519,
 * secp256r1 (alias p256, P-256, prime256v1), x448, secp384r1 (p384, P-384), secp521r1
 * (p521, P-521), ffdhe2048, ffdhe3072, ffdhe4096, ffdhe6144, ffdhe8192. A client sends a
 * key share for the first one (and another after a HelloRetryRequest); a server takes the
 * first of its list the client sent a share for, else asks with a HelloRetryRequest for the
 * first of its list the client supports. */
KTLS_API int ktls_config_set_groups(struct ktls_config *cfg, const char *list);
/* Cipher suites in preference order, comma- or colon-separated, by IANA name
 * (TLS_CHACHA20_POLY1305_SHA256) or short name (chacha20, aes128, aes256, aes128ccm,
 * aes128ccm8). TLS_AES_128_CCM_SHA256 and TLS_AES_128_CCM_8_SHA256 are off unless listed;
 * CCM_8 (8-byte tag) is never offloaded: the kernel has no cipher for it. */
KTLS_API int ktls_config_set_ciphers(struct ktls_config *cfg, const char *list);
KTLS_API int ktls_config_set_client_auth(struct ktls_config *cfg, enum ktls_client_auth mode);
/* Append NSS key log lines (SSLKEYLOGFILE format) to path; NULL turns it off. Secrets are
 * written nowhere else. The file is opened here, once: created with mode 0600, never through
 * a symbolic link (O_NOFOLLOW), and refused when it exists with access for group or others;
 * on failure KTLS_EINVAL and ktls_config_error() names the path and the reason. */
KTLS_API int ktls_config_set_keylog(struct ktls_config *cfg, const char *path);
/* The same with the path in $SSLKEYLOGFILE (nothing when it is unset or empty). A library
 * never reads it by itself: a server started from a shell that has it set would write every
 * session's secrets; an application that wants the convention calls this (the ktls tools do,
 * unless --keylog is given). Returns 0 or what ktls_config_set_keylog returns. */
KTLS_API int ktls_config_set_keylog_from_env(struct ktls_config *cfg);
/* Print every handshake message decoded, with a hex dump, and the key-schedule steps (not
 * the secrets themselves) to fd; -1 turns it off. */
KTLS_API int ktls_config_set_trace(struct ktls_config *cfg, int fd);

/* What a peer may make us spend during a handshake. */
struct ktls_limits {
	size_t max_handshake_message; /* bytes in one handshake message (default 131396, the
				       * largest ClientHello RFC 8446 §4.1.2 allows; at most
				       * 1 MiB); larger is decode_error, refused before buffering */
	size_t max_chain_length;      /* certificates in the peer's chain (default 10, at most 16) */
	size_t max_chain_bytes;       /* their total DER size (default 65536) */
	size_t max_extensions;        /* extensions in one message (default and at most 16383,
				       * all an extensions block can hold: §9.3 wants unknown
				       * ones ignored, not refused); more is decode_error */
	unsigned handshake_timeout_ms; /* the whole handshake (default 10000; 0: no limit).
					* Enforced by ktls_handshake() and whenever a session
					* is stepped; on a blocking socket reads wait no longer */
	/* Records that carry nothing, which a peer could otherwise send forever: past each cap
	 * the connection ends with unexpected_message. The counts restart whenever
	 * application data arrives. (A ChangeCipherSpec is taken once per handshake, and a
	 * user_canceled alert during the handshake ends it.) */
	unsigned max_empty_records;   /* zero-length application_data records (default 32) */
	unsigned max_warning_alerts;  /* user_canceled alerts after the handshake (default 4) */
	unsigned max_key_updates;     /* KeyUpdates from the peer (default 32) */
	/* Server: bytes in a ClientHello (default 131396, the largest RFC 8446 §4.1.2 allows,
	 * and never more than max_handshake_message). Real clients send 300 to 2,000 bytes; a
	 * server facing the internet may take less (ktls-server --www: 16384), so that a peer
	 * holding half a hello costs it less. Larger is decode_error, refused from its header. */
	size_t max_client_hello;
};
/* Fills l with the defaults above. */
KTLS_API void ktls_limits_default(struct ktls_limits *l);
/* Sets the limits; KTLS_EINVAL when one is 0 (but the timeout and the three caps on empty
 * records, alerts and KeyUpdates, where 0 allows none) or above its maximum (65535 for
 * those three). */
KTLS_API int ktls_config_set_limits(struct ktls_config *cfg, const struct ktls_limits *l);

/* Session resumption (RFC 8446 §2.2, §4.6.1). A server issues stateless tickets after each
 * full handshake: `count` of them (default 2; 0 turns tickets off), valid lifetime_s seconds
 * (default 7200, at most 604800). They are sealed with a ticket key made at random per
 * config; rotate it with ktls_config_rotate_ticket_key() (the previous key still opens
 * tickets), or share keys between workers and servers with a key file of 32 bytes (the
 * current key) or 64 (current, then previous). A resumed handshake still does (EC)DHE
 * (psk_dhe_ke); early data (0-RTT) is never accepted. */
KTLS_API int ktls_config_set_tickets(struct ktls_config *cfg, unsigned count, unsigned lifetime_s);
KTLS_API int ktls_config_set_ticket_key_file(struct ktls_config *cfg, const char *path);
KTLS_API int ktls_config_rotate_ticket_key(struct ktls_config *cfg);

/* Which directions the kernel should carry after the handshake. */
enum ktls_offload_mode {
	KTLS_OFFLOAD_BOTH, /* TLS_TX and TLS_RX (default) */
	KTLS_OFFLOAD_TX,   /* kernel sends, userspace receives */
	KTLS_OFFLOAD_RX,   /* userspace sends, kernel receives */
	KTLS_OFFLOAD_NONE, /* userspace record layer only */
};
/* Sets the offload mode. When the kernel refuses (no tls ULP, cipher not built, not a TCP
 * socket), the session falls back to the userspace record layer and says why in
 * ktls_session_info.offload_status — unless required != 0: then the handshake call fails
 * with KTLS_EOFFLOAD and that reason. */
KTLS_API int ktls_config_set_offload(struct ktls_config *cfg, enum ktls_offload_mode mode,
				     int required);

/* Optional kernel TLS features, asked for after the keys are installed where the kernel has
 * them (a kernel without them is not an error: ktls_session_info says what was granted). */
#define KTLS_OFFLOAD_TX_ZEROCOPY 0x1 /* TLS_TX_ZEROCOPY_RO: sendfile without an in-kernel
				      * copy; the file must not change while it is being sent.
				      * It takes effect with NIC (device) offload; software kTLS
				      * accepts it and copies anyway */
#define KTLS_OFFLOAD_RX_NO_PAD 0x2   /* TLS_RX_EXPECT_NO_PAD: decrypt in place when the peer
				      * does not pad records (most do not) */
KTLS_API int ktls_config_set_offload_flags(struct ktls_config *cfg, unsigned flags);

/* The most records one of our sending keys protects before the session changes it by
 * itself with a KeyUpdate (RFC 8446 §4.6.3). By default (0) the AEAD usage limit of §5.5:
 * 2^24.5 records for AES-GCM, 2^23 for AES-CCM (RFC 9147 §4.5.3), none for
 * ChaCha20-Poly1305 before its sequence number would wrap. A value here can only lower that
 * limit, never raise it (a larger one still stops at the suite's): for an application that
 * wants fresher keys, or a test that wants to watch the limit work without sending 24
 * million records. The count includes every record under the key (data, alerts, tickets,
 * the KeyUpdate itself); with kernel TX it is read from the kernel (getsockopt TLS_TX,
 * rec_seq). Where the key cannot change — kernel TX on a kernel without TLS 1.3 rekey
 * (before Linux 6.14) — the session ends the connection with close_notify before the limit
 * and the send returns KTLS_EKEYUPDATE, with the reason in ktls_session_error(). Returns 0,
 * or KTLS_EINVAL below KTLS_KEY_LIMIT_MIN. */
#define KTLS_KEY_LIMIT_MIN 8
KTLS_API int ktls_config_set_key_limit(struct ktls_config *cfg, uint64_t records);

/* ---- Sessions -----------------------------------------------------------------------------
 * A session runs TLS 1.3 on a connected TCP socket it does not own (it never closes fd). */

struct ktls_session;

/* Returns a new session for fd, or NULL when out of memory. */
KTLS_API struct ktls_session *ktls_session_new(const struct ktls_config *cfg, int fd);
KTLS_API void ktls_session_free(struct ktls_session *s);
/* Advances the handshake as far as the socket allows. Returns 0 once it is complete,
 * KTLS_WANT_READ / KTLS_WANT_WRITE on a non-blocking socket that must become readable /
 * writable first, or an error (after sending the matching alert); ktls_session_error()
 * explains it. Work budget: on a non-blocking socket a call handles at most
 * KTLS_IDLE_RECORD_BUDGET records that add nothing to the handshake (a change_cipher_spec,
 * skipped early data), then returns KTLS_WANT_READ although the socket may still be
 * readable, so one peer cannot keep an event loop to itself: a level-triggered loop simply
 * calls again; with edge-triggered epoll, call again before waiting. */
#define KTLS_IDLE_RECORD_BUDGET 16
KTLS_API int ktls_session_handshake(struct ktls_session *s);
/* Blocking convenience: a new session on fd, handshake to completion (polling when fd is
 * non-blocking). *out receives the session even on failure, for ktls_session_error(); free
 * it in both cases. Returns 0 or an error. */
KTLS_API int ktls_handshake(int fd, const struct ktls_config *cfg, struct ktls_session **out);
/* Sends len bytes of application data. Returns the number of bytes taken (all of them on
 * a blocking socket), or an error (KTLS_WANT_WRITE when none could be taken). On a
 * non-blocking socket with the userspace record layer, the last record taken may still
 * wait in the session (at most one record): call ktls_session_flush() when the socket is
 * writable again, until it returns 0. A key near its AEAD usage limit (RFC 8446 §5.5,
 * ktls_config_set_key_limit) is changed on the way with a KeyUpdate; where the kernel
 * cannot take a new key, the send returns KTLS_EKEYUPDATE after close_notify went. */
KTLS_API long ktls_send(struct ktls_session *s, const void *buf, size_t len);
/* ktls_send with flags: 0, or KTLS_SEND_MORE ("more follows", like MSG_MORE): these bytes do
 * not end a record; the next ktls_send, ktls_send_flags or ktls_sendfile puts its data behind
 * them in the same record, so a response head and the first bytes of its body share one
 * record. With kernel TX this is send(2) with MSG_MORE: the kernel keeps the record open.
 * With the userspace record layer the session holds the bytes, at most one record's worth
 * (2^14 bytes: full records go out as usual). Held bytes go out with the next send without
 * the flag (of any length, 0 included), with the first bytes ktls_sendfile sends, or with
 * ktls_session_flush or ktls_close — and only then: end with one of these, or they wait.
 * Returns as ktls_send (held bytes count as taken); KTLS_EINVAL for an unknown flag. */
#define KTLS_SEND_MORE 0x1
KTLS_API long ktls_send_flags(struct ktls_session *s, const void *buf, size_t len,
			      unsigned flags);
/* Writes what the session still holds for the socket, and what KTLS_SEND_MORE held back (with
 * kernel TX, it ends the kernel's open record). Returns 0 when nothing waits,
 * KTLS_WANT_WRITE, or an error. (With kernel TX nothing else ever waits in the session.)
 * On a failed session it writes the alert that tells the peer why, if a full socket kept it
 * back: KTLS_WANT_WRITE while it waits, then the session's error. */
KTLS_API int ktls_session_flush(struct ktls_session *s);
/* Receives application data. Returns the number of bytes read, 0 at the end of the stream
 * (the peer sent close_notify), or an error: KTLS_WANT_READ, KTLS_EALERT (peer's fatal alert,
 * see ktls_session_error), KTLS_ECLOSED (connection closed without close_notify), ...
 * KTLS_WANT_READ on a blocking socket too: after the call consumed records that carry no
 * application data (NewSessionTickets, KeyUpdates, warning alerts, empty records) and the
 * socket has nothing more to read right now (a poll with a zero timeout), it returns
 * KTLS_WANT_READ instead of blocking for data the peer may never send unasked — so a caller
 * that polled the socket and the terminal, say, is never stuck in here. A blocking caller
 * that only wants data calls again (that call blocks in the read as usual): loop while
 * ktls_recv returns KTLS_WANT_READ. A call that begins with nothing read blocks as before.
 * With kernel RX, a record the kernel refuses ends the session with the alert sent to the
 * peer: KTLS_EBADMAC / bad_record_mac when it does not open (the kernel reports a bad tag,
 * an inner plaintext without a content type and an unprotected record such as a plaintext
 * change_cipher_spec alike, as EBADMSG), KTLS_EOVERFLOW / record_overflow when it is too
 * long, KTLS_EDECODE / decode_error when its legacy_record_version is not 0x0303.
 * Work budget, as for ktls_session_handshake: after KTLS_IDLE_RECORD_BUDGET records that
 * carry no application data (tickets, KeyUpdates, alerts, empty records) the call returns
 * KTLS_WANT_READ (on a blocking socket too), and on a non-blocking socket while what we must send (a
 * KeyUpdate answer, an alert) cannot leave it returns KTLS_WANT_WRITE instead of reading
 * more. */
KTLS_API long ktls_recv(struct ktls_session *s, void *buf, size_t len);
/* Returns the bytes of application data ktls_recv can return without reading the socket:
 * the rest of a record that did not fit the caller's buffer (userspace record layer; with
 * kernel RX the kernel keeps it, and poll sees it). 0 for NULL. (OpenSSL's SSL_pending,
 * GnuTLS's gnutls_record_check_pending.)
 * The rule for an event loop: poll() cannot see these bytes, so after ktls_recv returned
 * data, call it again until ktls_pending() is 0 (or until it returns KTLS_WANT_READ) before
 * waiting on the socket, or the loop stalls with data in hand. */
KTLS_API size_t ktls_pending(const struct ktls_session *s);
/* Sends count bytes of in_fd from *offset (advanced), or from in_fd's position when offset
 * is NULL. With kernel TX this is sendfile(2): the file goes from the page cache through
 * kernel TLS without a copy to userspace; otherwise read, encrypt, write. Returns the bytes
 * sent (fewer only at end of file, or on a non-blocking socket) or an error. */
KTLS_API long ktls_sendfile(struct ktls_session *s, int in_fd, long long *offset, size_t count);
/* Sends a KeyUpdate (RFC 8446 §4.6.3) and switches our sending key to the next one (§7.2):
 * the message leaves under the old key, everything after it under the new one. With
 * request_peer, it carries update_requested and the peer answers with its own KeyUpdate,
 * which ktls_recv takes like any other. Works on either record layer: with kernel TX the
 * KeyUpdate goes through the kernel (TLS_SET_RECORD_TYPE) and the new key is installed with
 * setsockopt(TLS_TX) once it has left. What KTLS_SEND_MORE held goes first, under the old
 * key. Returns 0 once the KeyUpdate is taken: on a non-blocking socket it may still wait in
 * the session with the new key behind it (ktls_session_flush, or the next send, moves
 * both) — as a record ktls_send took. KTLS_WANT_WRITE when what waited before could not
 * leave (nothing was taken: call again when the socket is writable); KTLS_EINVAL before
 * the handshake is done or after close_notify went; KTLS_EKEYUPDATE, with the reason in
 * ktls_session_error(), when kernel TX carries our records and this kernel cannot take a
 * new TLS_TX key (Linux before 6.14) — then nothing was sent and the connection goes on
 * under the old key; or the failure. */
KTLS_API int ktls_key_update(struct ktls_session *s, bool request_peer);
/* Sends what KTLS_SEND_MORE held back, then close_notify (through the kernel when it carries
 * TX). The socket stays open. Returns 0 or an error. */
KTLS_API int ktls_close(struct ktls_session *s);
/* TLS-Exporter(label, context, length) (RFC 8446 §7.5): keying material both ends derive
 * from the exporter master secret, for protocols layered on TLS. Works after the handshake,
 * also once the kernel holds the traffic keys. context may be NULL (the same as empty in
 * TLS 1.3); label is at most 249 bytes. Returns 0, KTLS_EINVAL before the handshake is done
 * or for bad arguments, KTLS_ECRYPTO. */
KTLS_API int ktls_export_keying_material(const struct ktls_session *s, const char *label,
					 const uint8_t *context, size_t context_len,
					 uint8_t *out, size_t len);
/* Client: the latest ticket the server sent, as bytes to keep for a later connection
 * (they contain the resumption PSK: store them as a secret). Tickets arrive after the
 * handshake, so call this after some ktls_recv(). Returns the length, 0 when no ticket
 * came yet, KTLS_ENOSPACE when cap is too small (2 KiB is always enough). */
KTLS_API long ktls_session_save(const struct ktls_session *s, uint8_t *buf, size_t cap);
/* Client, before the handshake: offer the saved session for resumption. A server that does
 * not accept it runs a full handshake. Returns 0, KTLS_EINVAL after the handshake started,
 * KTLS_EDECODE for bytes that are not a saved session. */
KTLS_API int ktls_session_resume(struct ktls_session *s, const uint8_t *buf, size_t len);
/* The heap the session holds now, in bytes: the struct and its buffers (not what the
 * crypto library keeps). A server under attack can bound the memory of connections that
 * have not finished their handshake with it. Once the kernel protects both directions and
 * the session is idle, a few hundred bytes. */
KTLS_API size_t ktls_session_memory(const struct ktls_session *s);
/* A sentence for the last error, "" when there was none. */
KTLS_API const char *ktls_session_error(const struct ktls_session *s);

struct ktls_session_info {
	uint16_t version;          /* 0x0304 */
	uint16_t cipher_suite;     /* KTLS_TLS_* */
	uint16_t group;            /* KTLS_GROUP_* */
	uint16_t signature_scheme; /* the server's CertificateVerify scheme */
	const char *alpn;          /* negotiated protocol, or NULL */
	const char *server_name;   /* SNI sent (client) or received (server), or NULL */
	const char *peer_subject;  /* peer certificate subject, or NULL */
	int hello_retry;           /* 1 when a HelloRetryRequest happened */
	int alert_sent;            /* the last alert we sent, -1 for none */
	int alert_received;        /* the last alert the peer sent, -1 for none */
	int tx_offloaded;          /* 1: the kernel encrypts what we send */
	int rx_offloaded;          /* 1: the kernel decrypts what we receive */
	const char *offload_status; /* why a direction stayed in userspace, or "" */
	int resumed;               /* 1: a PSK from a ticket was accepted (no certificates) */
	int tx_zerocopy;           /* 1: TLS_TX_ZEROCOPY_RO granted */
	int rx_no_pad;             /* 1: TLS_RX_EXPECT_NO_PAD granted */
	const char *cert_subject;  /* subject of the certificate we sent ("CN=localhost"; a
				    * server with several chose it by SNI), or NULL when we sent
				    * none (resumed, or a client not asked for one) */
};

/* Fills info; the strings live as long as the session (those given out before the handshake
 * finished: until it finishes). Returns 0 or KTLS_EINVAL. */
KTLS_API int ktls_session_get_info(const struct ktls_session *s, struct ktls_session_info *info);
/* Names of groups and signature schemes for display ("x25519", "ed25519"), or NULL. */
KTLS_API const char *ktls_group_display_name(uint16_t group);
KTLS_API const char *ktls_sig_scheme_display_name(uint16_t scheme);

/* ---- What the kernel can do ---------------------------------------------------------------
 * Found out by doing it on a loopback TCP pair: attach the tls ULP, install keys for each
 * suite, and check that the kernel's records open with our own record layer and that records
 * we seal come back out of the kernel as plaintext. A cipher counts only when bytes went
 * through it. (ktls-check prints this.) */

#define KTLS_PROBE_SUITES 4 /* ChaCha20-Poly1305, AES-128-GCM, AES-256-GCM, AES-128-CCM */

struct ktls_probe_cipher {
	uint16_t suite;   /* KTLS_TLS_* */
	int tx;           /* 1: TLS_TX accepted and its record opened with our key */
	int rx;           /* 1: TLS_RX accepted and our sealed record read back */
	char reason[200]; /* why not, when either is 0 */
};

struct ktls_probe_result {
	int ulp; /* 1: TCP_ULP "tls" attached */
	char ulp_reason[200];
	struct ktls_probe_cipher ciphers[KTLS_PROBE_SUITES]; /* ChaCha20-Poly1305 first */
	int zerocopy_tx; /* TLS_TX_ZEROCOPY_RO accepted */
	int rx_no_pad;   /* TLS_RX_EXPECT_NO_PAD accepted */
	int rekey;       /* a second TLS_TX on a TLS 1.3 socket accepted (Linux 6.14+) */
	int tls_stat;    /* /proc/net/tls_stat exists */
};

/* Runs every probe. Returns 0 when the probes ran (whatever they found), or KTLS_EIO when
 * not even a loopback TCP connection could be made. */
KTLS_API int ktls_probe_kernel(struct ktls_probe_result *r);

#ifdef __cplusplus
}
#endif
#endif /* KTLS_H */
