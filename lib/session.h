/*
 * session.h — the private shape of ktls_config and ktls_session, shared by the layers that
 * build a handshake: config.c (settings), handshake.c (record I/O, dispatch, alerts),
 * hs_client.c / hs_server.c (the two state machines), session.c (application data).
 *
 * How the handshake is driven: ktls_session_handshake() loops — flush queued output, hand a
 * complete handshake message to the state machine, else read exactly one record from the
 * socket (header, then exactly its body: nothing after the peer's Finished is ever read, so
 * the kernel can take over the socket). The state machine consumes messages and queues its
 * own; it never touches the fd, so a blocking caller and an epoll loop drive the same code.
 */
#ifndef KTLS_SESSION_H
#define KTLS_SESSION_H

#include <openssl/x509.h>
#include <stdbool.h>

#include "caps.h"
#include "keysched.h"
#include "kex.h"
#include "ktls.h"
#include "messages.h"
#include "offload.h"
#include "record.h"
#include "suite.h"
#include "ticket.h"
#include "transcript.h"
#include "x509.h"

#define KTLS_MAX_SUITES 5
#define KTLS_MAX_GROUPS 10    /* every group kex.c implements */
#define KTLS_DEFAULT_GROUPS 7 /* x25519 .. ffdhe3072, see ktls_config_new */
#define KTLS_MAX_ALPN 8

struct ktls_config {
	enum ktls_role role;
	uint16_t suites[KTLS_MAX_SUITES];
	size_t n_suites;
	uint16_t groups[KTLS_MAX_GROUPS];
	size_t n_groups;
	struct ktls_cert_chain *chains; /* ours, n_chains of them: a server picks one by SNI
					 * (ktls_cert_choose), [0] is the default */
	size_t n_chains;
	X509_STORE *trust;            /* NULL only when nothing will be verified */
	bool insecure;
	bool middlebox_compat; /* client: Appendix D.4 compatibility mode (default on) */
	bool hrr_cookie;       /* server: a cookie in every HelloRetryRequest (default off) */
	char *server_name;
	char *alpn[KTLS_MAX_ALPN];
	size_t n_alpn;
	enum ktls_client_auth client_auth;
	int keylog_fd;         /* open O_APPEND, mode 0600; -1: no key log */
	bool verify_name;      /* client: a server name is required and checked (default on) */
	int trace_fd;
	enum ktls_offload_mode offload;
	bool offload_required;
	unsigned offload_flags;           /* KTLS_OFFLOAD_TX_ZEROCOPY | KTLS_OFFLOAD_RX_NO_PAD */
	ktls_setsockopt_fn setsockopt_fn; /* setsockopt, or a test's stand-in */
	struct ktls_limits limits;
	unsigned ticket_count, ticket_lifetime_s;
	struct ktls_ticket_key ticket_keys[2]; /* [0] current (seals), [1] previous */
	char error[256];
};

/* Handshake states. Each names what the machine waits for next (RFC 8446 §A.1, §A.2). */
enum ktls_hs_state {
	HS_CLIENT_START,           /* send ClientHello */
	HS_CLIENT_WAIT_SH,         /* ServerHello or HelloRetryRequest */
	HS_CLIENT_WAIT_EE,
	HS_CLIENT_WAIT_CERT_CR,    /* Certificate or CertificateRequest */
	HS_CLIENT_WAIT_CERT,
	HS_CLIENT_WAIT_CV,
	HS_CLIENT_WAIT_FINISHED,
	HS_SERVER_WAIT_CH,         /* ClientHello (first, or second after HRR) */
	HS_SERVER_WAIT_CERT,       /* client Certificate, after our CertificateRequest */
	HS_SERVER_WAIT_CV,
	HS_SERVER_WAIT_FINISHED,
	HS_CONNECTED,
	HS_FAILED,
};

struct ktls_buf {
	uint8_t *data;
	size_t len, cap;
	size_t pos; /* consumed from the front */
};

struct ktls_session {
	const struct ktls_config *cfg;
	int fd;
	enum ktls_role role;
	enum ktls_hs_state state;
	int err;               /* sticky fatal error, 0 while healthy */
	bool blocking;         /* the fd was blocking when the session began */
	int64_t deadline_ms;   /* CLOCK_MONOTONIC end of the handshake, 0: none */
	char error[320];
	int alert_sent, alert_received; /* -1: none */
	bool close_notify_received, close_notify_sent;

	/* negotiation */
	const struct ktls_suite *suite;
	uint16_t group;
	uint16_t sig_scheme;      /* server's CertificateVerify scheme */
	uint16_t our_sig_scheme;  /* the scheme we sign with */
	bool hello_retry;
	bool cert_requested;      /* server: we sent CertificateRequest; client: we got one */
	bool send_own_cert;       /* client: we answer the CertificateRequest with our chain */
	uint8_t client_random[32];
	uint8_t session_id[32];
	size_t session_id_len;
	uint8_t cookie[64];
	size_t cookie_len;
	uint8_t cr_context[255];
	size_t cr_context_len;
	struct ktls_u16_list peer_sig_algs; /* from CertificateRequest; points into sig_algs_buf */
	uint8_t sig_algs_buf[128];
	char alpn[256];
	bool has_alpn;
	char server_name[256];
	bool has_server_name;
	char peer_subject[256];
	bool has_peer_subject;
	EVP_PKEY *peer_key;
	const struct ktls_cert_chain *chain; /* ours for this handshake (in cfg), or NULL */
	bool own_cert_sent;                  /* it went in a Certificate message */

	/* crypto state */
	struct ktls_transcript transcript;
	struct ktls_keysched ks;
	struct ktls_kex kex;
	struct ktls_record_key rx, tx;
	bool rx_protected, tx_protected;
	bool tx_offloaded, rx_offloaded; /* the kernel does this direction's records */
	bool tx_zerocopy, rx_no_pad;     /* optional kernel features granted */
	bool kernel_rekey;               /* the kernel takes new keys (KeyUpdate, Linux 6.14+) */
	bool tx_secret_wiped, rx_secret_wiped; /* gone after offload: nothing could use them */
	char offload_status[200];        /* why not, when a direction stayed in userspace */
	bool offload_decided;
	/* resumption */
	struct ktls_saved_session *offer;  /* client: the session to resume, or NULL */
	struct ktls_saved_session *saved;  /* client: the latest ticket received */
	bool psk_offered, psk_accepted;
	bool tickets_sent;                 /* server */
	bool skip_early_data;              /* server: the client offered 0-RTT we do not take */
	size_t early_data_skipped;
	uint8_t *ctl;                    /* a control record read from kernel RX */
	size_t ctl_len;
	bool ccs_allowed;         /* a middlebox ChangeCipherSpec may still arrive (§D.4) */
	bool ccs_received;        /* one came: a second is unexpected_message */
	bool ccs_sent;            /* ours went (one per handshake, §D.4) */
	/* records that carry nothing since the last application data (ktls_limits caps) */
	unsigned empty_records, warning_alerts, key_updates;
	bool key_update_answered; /* our KeyUpdate answer went (or waits) since our last data */

	/* I/O: the record being read, handshake bytes being reassembled, output queued */
	uint8_t *rec;             /* TLS_MAX_RECORD bytes, once a record header has come */
	uint8_t rec_hdr[TLS_RECORD_HEADER_LEN]; /* the first header, before rec exists */
	size_t rec_len;           /* bytes of the current record read so far */
	struct ktls_buf hs_in;    /* plaintext handshake bytes not yet consumed */
	struct ktls_buf out;      /* records waiting to be written */
	struct ktls_buf app_in;   /* decrypted application data not yet returned */
	struct ktls_buf ctl_out;  /* kernel TX: control records waiting for socket space */
	struct ktls_buf tx_hold;  /* userspace TX: data KTLS_SEND_MORE holds for the next record
				   * (less than one record) */
	bool tx_more;             /* kernel TX: the kernel may hold an open record (MSG_MORE) */
};

/* config.c: appends a loaded chain to cfg (taken, freed on failure). Returns 0 or
 * KTLS_ENOMEM. */
KTLS_MUST_CHECK int ktls_config_add_cert_chain(struct ktls_config *cfg,
					       struct ktls_cert_chain *chain);

/* handshake.c */
/* Milliseconds left before the handshake deadline: -1 without one, 0 when it has passed. */
int ktls_hs_time_left(const struct ktls_session *s);
/* Records a fatal error: message for ktls_session_error, and the alert for err queued
 * (best effort) to the peer. Returns err. */
int ktls_hs_fail(struct ktls_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Adds one handshake message to the transcript and queues it in records under the current
 * write protection. */
KTLS_MUST_CHECK int ktls_hs_send(struct ktls_session *s, const uint8_t *msg, size_t len);
/* Queues a record of `type` with data under the current write protection. */
KTLS_MUST_CHECK int ktls_queue_record(struct ktls_session *s, uint8_t type, const uint8_t *data,
				      size_t len);
/* Queues the dummy change_cipher_spec record of middlebox compatibility mode (Appendix
 * D.4): plaintext, one byte 0x01. The caller sends it at most once per handshake. */
KTLS_MUST_CHECK int ktls_send_ccs(struct ktls_session *s);
/* Writes queued output. Returns 0 when all is written, KTLS_WANT_WRITE, or KTLS_EIO. */
KTLS_MUST_CHECK int ktls_flush(struct ktls_session *s);
/* The peer's alert (§6), in the handshake or after it: records it, and returns KTLS_ECLOSED
 * for close_notify, 0 for user_canceled (close_notify follows), else the failure naming it. */
KTLS_MUST_CHECK int ktls_on_alert(struct ktls_session *s, const uint8_t *body, size_t len);
/* Wipes and frees the record buffer (it comes back with the next record header). */
void ktls_release_record_buffer(struct ktls_session *s);
/* Reads one whole record into s->rec (header + body, exactly). Returns 0, KTLS_WANT_READ,
 * KTLS_ECLOSED at EOF, KTLS_EIO, or the header's error. */
KTLS_MUST_CHECK int ktls_read_record(struct ktls_session *s);
/* Installs a traffic secret as our write or read protection in userspace. */
KTLS_MUST_CHECK int ktls_set_tx_secret(struct ktls_session *s, const uint8_t *secret);
KTLS_MUST_CHECK int ktls_set_rx_secret(struct ktls_session *s, const uint8_t *secret);
/* Key log line ("CLIENT_HANDSHAKE_TRAFFIC_SECRET") when a key log is configured. */
void ktls_keylog(const struct ktls_session *s, const char *label, const uint8_t *secret,
		 size_t len);
/* Trace output (no-ops without a trace fd). */
void ktls_trace(const struct ktls_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ktls_trace_message(const struct ktls_session *s, bool sent, const uint8_t *msg,
			size_t len);
/* A labelled public value in hex (a transcript hash; never a secret). */
void ktls_trace_hash(const struct ktls_session *s, const char *label, const uint8_t *p,
		     size_t len);

/* session.c: hands the keys to the kernel once the handshake is done (DESIGN.md, "the kernel
 * handoff"). Returns 0 (offloaded, or fell back with the reason in offload_status) or, when
 * offload was required, the failure. */
KTLS_MUST_CHECK int ktls_session_offload(struct ktls_session *s);
/* With kernel TX: sends one record of `type` through the kernel (a TLS_SET_RECORD_TYPE cmsg
 * for anything but application data). On a non-blocking socket that is full it stays
 * queued for ktls_kernel_flush. Returns 0, KTLS_EIO or KTLS_ENOMEM. */
KTLS_MUST_CHECK int ktls_kernel_send_record(struct ktls_session *s, uint8_t type,
					    const uint8_t *data, size_t len);
/* Writes queued control records. Returns 0, KTLS_WANT_WRITE or KTLS_EIO. */
KTLS_MUST_CHECK int ktls_kernel_flush(struct ktls_session *s);

/* hs_client.c / hs_server.c: the state machines. A handler gets one whole handshake message
 * (header included) of the type the dispatch table in handshake.c paired with the current
 * state; it adds the message to the transcript at the point the RFC's hashes need, moves the
 * state on, and returns 0 or ktls_hs_fail(...). */
KTLS_MUST_CHECK int ktls_client_start(struct ktls_session *s);
typedef int (*ktls_hs_handler)(struct ktls_session *s, const uint8_t *msg, size_t len);
int ktls_client_on_server_hello(struct ktls_session *s, const uint8_t *msg, size_t len);
int ktls_client_on_encrypted_extensions(struct ktls_session *s, const uint8_t *msg, size_t len);
int ktls_client_on_certificate_request(struct ktls_session *s, const uint8_t *msg, size_t len);
int ktls_client_on_certificate(struct ktls_session *s, const uint8_t *msg, size_t len);
int ktls_client_on_certificate_verify(struct ktls_session *s, const uint8_t *msg, size_t len);
int ktls_client_on_finished(struct ktls_session *s, const uint8_t *msg, size_t len);
int ktls_server_on_client_hello(struct ktls_session *s, const uint8_t *msg, size_t len);
int ktls_server_on_certificate(struct ktls_session *s, const uint8_t *msg, size_t len);
int ktls_server_on_certificate_verify(struct ktls_session *s, const uint8_t *msg, size_t len);
int ktls_server_on_finished(struct ktls_session *s, const uint8_t *msg, size_t len);
/* Server, once connected (and offloaded): NewSessionTickets per the config. */
KTLS_MUST_CHECK int ktls_server_send_tickets(struct ktls_session *s);

/* hs_common.c: steps both roles take alike. */
/* Certificate + CertificateVerify from our configured chain (§4.4.2, §4.4.3); with
 * send_empty, an empty Certificate (client without a certificate). */
KTLS_MUST_CHECK int ktls_hs_send_certificate(struct ktls_session *s, bool send_empty);
/* Finished (§4.4.4) with our handshake traffic secret. */
KTLS_MUST_CHECK int ktls_hs_send_finished(struct ktls_session *s);
/* Checks the peer's Certificate: decodes it, verifies the chain (unless insecure), keeps
 * the leaf key and subject. Adds the message to the transcript. */
KTLS_MUST_CHECK int ktls_hs_recv_certificate(struct ktls_session *s, const uint8_t *msg,
					     size_t len, bool *empty);
/* Checks the peer's CertificateVerify against the transcript so far, then adds it. */
KTLS_MUST_CHECK int ktls_hs_recv_certificate_verify(struct ktls_session *s, const uint8_t *msg,
						    size_t len);
/* §7.1 up to the handshake traffic secrets, from the PSK (NULL: none) and the (EC)DHE
 * shared secret (wiped after), over the transcript through ServerHello; key log, trace. */
KTLS_MUST_CHECK int ktls_hs_derive_handshake_secrets(struct ktls_session *s, const uint8_t *psk,
						     size_t psk_len, uint8_t *shared,
						     size_t shared_len);
/* §7.1 Master Secret and the application traffic and exporter secrets, over the transcript
 * through the server's Finished; key log and trace. */
KTLS_MUST_CHECK int ktls_hs_derive_application_secrets(struct ktls_session *s);
/* decode_error when a message of the peer's carries more extensions than the limit. */
KTLS_MUST_CHECK int ktls_hs_check_extensions(struct ktls_session *s, const char *msg, size_t n);
/* Checks the peer's Finished (constant-time), then adds it. */
KTLS_MUST_CHECK int ktls_hs_recv_finished(struct ktls_session *s, const uint8_t *msg,
					  size_t len);

/* buffers */
KTLS_MUST_CHECK int ktls_buf_append(struct ktls_buf *b, const uint8_t *p, size_t n);
void ktls_buf_consume(struct ktls_buf *b, size_t n);
void ktls_buf_free(struct ktls_buf *b);

#endif
