/*
 * engine.h — the TLS 1.3 engine: the whole protocol, and no I/O (DESIGN.md, layer 1).
 *
 * The engine holds a connection's state, negotiation, transcript, key schedule, userspace
 * record keys, the reassembly of handshake messages and the one state × message table
 * (post-handshake messages included). It never sees a file descriptor and makes no system
 * call: bytes come in through ktls_engine_input_record (a whole record as read from the
 * wire) or ktls_engine_input_content (a record the kernel already opened), and everything it
 * produces leaves through the driver's ops:
 *   - emit: one record, either whole and ready for the wire (sealed by the engine, or in
 *     the clear before there are keys) or, for a direction another record layer protects
 *     (the kernel's), just its content type and bytes;
 *   - key_change: "direction D now uses traffic secret S" for every key the connection
 *     takes, handshake, application and KeyUpdate alike (picotls' update_traffic_key): the
 *     driver hands it to the kernel where the kernel protects that direction;
 *   - trace and keylog: lines of text, written by whoever owns a file.
 * Application data a driver sends can instead be sealed straight into the driver's own
 * output buffer (ktls_engine_seal_record), so a 16 KiB record is not built, copied and freed.
 * So the same engine runs over a blocking socket, an epoll loop, kernel TLS, or two buffers
 * in a test, and a fuzzer can drive a pair of them through every handler.
 *
 * Failure has one owner: ktls_engine_fail records the error, the sentence and the alert, and
 * queues the alert through emit; the first failure sticks (e->err), as in BearSSL. The
 * sentence is allocated when something fails (ktls_engine_error), not carried by every
 * engine.
 *
 * Parking: once both directions belong to another record layer (the kernel's) and nothing
 * is half-read, a connection needs a few hundred bytes of what this struct holds (about
 * 3.5 KiB of handshake state). ktls_engine_park moves that little into a
 * ktls_engine_parked — flags, counters, the suite, and only the secrets that can still be
 * used: the exporter master secret, the client's resumption master secret (tickets come after
 * the handshake), and each application traffic secret the next KeyUpdate (§7.2) derives from
 * unless it was wiped — then wipes and frees the engine. ktls_engine_unpark rebuilds it when
 * a post-handshake message comes or must be sent, and the driver parks it again after.
 */
#ifndef KTLS_ENGINE_H
#define KTLS_ENGINE_H

#include <openssl/x509.h>
#include <stdbool.h>

#include "caps.h"
#include "keysched.h"
#include "kex.h"
#include "ktls.h"
#include "messages.h"
#include "record.h"
#include "suite.h"
#include "ticket.h"
#include "transcript.h"
#include "x509.h"

#define KTLS_MAX_SUITES 5
#define KTLS_MAX_GROUPS 10    /* every group kex.c implements */
#define KTLS_DEFAULT_GROUPS 7 /* x25519 .. ffdhe3072, see ktls_config_new */
#define KTLS_MAX_ALPN 8

/* What the protocol is configured to do: the part of a ktls_config the engine reads. */
struct ktls_engine_config {
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
	bool verify_name;      /* client: a server name is required and checked (default on) */
	struct ktls_limits limits;
	unsigned ticket_count, ticket_lifetime_s;
	struct ktls_ticket_key ticket_keys[2]; /* [0] current (seals), [1] previous */
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
	HS_CONNECTED,              /* post-handshake messages (§4.6) and application data */
	HS_FAILED,
};

/* A byte queue: data[pos..len) is waiting. */
struct ktls_buf {
	uint8_t *data;
	size_t len, cap;
	size_t pos; /* consumed from the front */
};

KTLS_MUST_CHECK int ktls_buf_append(struct ktls_buf *b, const uint8_t *p, size_t n);
/* Makes room for n bytes after data[len) and points *p there; the caller writes what it
 * needs and adds that to len (a record sealed straight into the queue). Returns 0 or
 * KTLS_ENOMEM. */
KTLS_MUST_CHECK int ktls_buf_reserve(struct ktls_buf *b, size_t n, uint8_t **p);
void ktls_buf_consume(struct ktls_buf *b, size_t n);
void ktls_buf_free(struct ktls_buf *b);
static inline size_t ktls_buf_pending(const struct ktls_buf *b)
{
	return b->len - b->pos;
}

enum ktls_direction { KTLS_DIR_TX, KTLS_DIR_RX };

struct ktls_engine_ops {
	/* One record out. sealed: data[0..len) is the whole record for the wire (header
	 * included). Otherwise it is the content of one record of `type` for the record layer
	 * that protects this direction (ktls_engine_hand_over). Returns 0 or an error. */
	int (*emit)(void *ctx, uint8_t type, const uint8_t *data, size_t len, bool sealed);
	/* Every key change (§7.3): from its next record on, direction dir uses the traffic
	 * secret (suite->hash_len bytes). Returns 0 or an error, which fails the engine. NULL:
	 * nobody needs to know (the engine protects both directions itself). */
	int (*key_change)(void *ctx, enum ktls_direction dir, const uint8_t *secret);
	/* One line of the --trace view, or of the key log (the NSS format); NULL: off. */
	void (*trace)(void *ctx, const char *line, size_t len);
	void (*keylog)(void *ctx, const char *line, size_t len);
};

struct ktls_engine {
	const struct ktls_engine_config *cfg;
	const struct ktls_engine_ops *ops;
	void *ctx;                 /* the ops' first argument */
	enum ktls_role role;
	enum ktls_hs_state state;
	int err;                   /* sticky fatal error, 0 while healthy */
	char *error;               /* what failed, in a sentence (heap, made by the failure;
				    * NULL when healthy or out of memory: ktls_engine_error) */
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
	struct ktls_record_key rx, tx;   /* ours, while this engine protects the direction */
	bool rx_protected, tx_protected;
	bool tx_external, rx_external;   /* another record layer (the kernel's) protects it */
	bool tx_secret_wiped, rx_secret_wiped; /* the next key cannot be derived any more */
	/* resumption */
	struct ktls_saved_session *offer;  /* client: the session to resume, or NULL */
	struct ktls_saved_session *saved;  /* client: the latest ticket received */
	bool psk_offered, psk_accepted;
	bool tickets_sent;                 /* server */
	bool skip_early_data;              /* server: the client offered 0-RTT we do not take */
	size_t early_data_skipped;
	bool ccs_allowed;         /* a middlebox ChangeCipherSpec may still arrive (§D.4) */
	bool ccs_received;        /* one came: a second is unexpected_message */
	bool ccs_sent;            /* ours went (one per handshake, §D.4) */
	/* records that carry nothing since the last application data (ktls_limits caps) */
	unsigned empty_records, warning_alerts, key_updates;
	bool key_update_answered; /* our KeyUpdate answer went (or waits) since our last data */

	struct ktls_buf hs_in;    /* plaintext handshake bytes not yet consumed */
};

/* The longest error sentence kept (longer ones are cut). */
#define KTLS_ERROR_MAX 320

/* The connected state of an engine at rest (ktls_engine_park): what a connection whose
 * records the kernel protects in both directions still needs. */
struct ktls_engine_parked {
	bool parked;              /* the rest is meaningful: the engine is gone */
	const struct ktls_suite *suite;
	const struct ktls_cert_chain *chain;  /* ours (in the config), when own_cert_sent */
	struct ktls_saved_session *saved;     /* client: the latest ticket received */
	uint8_t *secrets;         /* n_secrets * suite->hash_len bytes, in KTLS_PARKED_* order of
				   * the bits of have; NULL when none */
	char *names;              /* alpn, server_name, peer_subject, each NUL-terminated (heap,
				   * kept across unpark so ktls_session_get_info's strings stay);
				   * NULL when there is none of them */
	unsigned empty_records, warning_alerts, key_updates;
	int16_t alert_sent, alert_received;
	uint16_t group, sig_scheme, our_sig_scheme;
	uint8_t role;
	uint8_t have;             /* KTLS_PARKED_* bits: the secrets kept */
	uint8_t n_secrets;
	bool close_notify_received, close_notify_sent, key_update_answered;
	bool tx_secret_wiped, rx_secret_wiped;
	bool hello_retry, psk_accepted, tickets_sent, own_cert_sent;
	bool has_alpn, has_server_name, has_peer_subject;
};

enum {
	KTLS_PARKED_EXPORTER = 1 << 0,   /* exporter_master_secret (§7.5) */
	KTLS_PARKED_RESUMPTION = 1 << 1, /* client: resumption_master_secret (§4.6.1) */
	KTLS_PARKED_CLIENT_APP = 1 << 2, /* client_application_traffic_secret_N (§7.2) */
	KTLS_PARKED_SERVER_APP = 1 << 3, /* server_application_traffic_secret_N */
};

/* What one record brought (ktls_engine_input_record / _content). */
struct ktls_engine_input {
	uint8_t *data;  /* application data (inside the record given), data_len bytes */
	size_t data_len;
	bool idle;      /* nothing that moves the connection on (a ChangeCipherSpec, skipped
			 * early data, an empty record, a warning alert, a KeyUpdate, a ticket):
			 * it counts against the caller's work budget */
	bool closed;    /* the peer's close_notify */
};

/* ---- lifetime and driving ------------------------------------------------------------- */

/* Sets e up for cfg (which must outlive it). Returns 0 or KTLS_ENOMEM. */
KTLS_MUST_CHECK int ktls_engine_init(struct ktls_engine *e, const struct ktls_engine_config *cfg,
				     const struct ktls_engine_ops *ops, void *ctx);
void ktls_engine_free(struct ktls_engine *e);
/* Drops what only the handshake needed (transcript, key exchange, a resumption offer). */
void ktls_engine_release_handshake(struct ktls_engine *e);
/* Whether e can be parked now: connected and healthy, both directions handed over, no
 * handshake message half-received. */
bool ktls_engine_parkable(const struct ktls_engine *e);
/* Moves e's connected state into p (p->names is reused when p has it already), then wipes
 * and frees what e holds (ktls_engine_free; the caller frees e's own storage). Returns 0,
 * KTLS_EINVAL when e is not parkable, KTLS_ENOMEM (e is then untouched). */
KTLS_MUST_CHECK int ktls_engine_park(struct ktls_engine *e, struct ktls_engine_parked *p);
/* Rebuilds e (uninitialised storage) from p for cfg, ops and ctx, connected as it was; p's
 * secrets are wiped and freed, its names stay (e's strings are copies). */
void ktls_engine_unpark(struct ktls_engine *e, struct ktls_engine_parked *p,
			const struct ktls_engine_config *cfg, const struct ktls_engine_ops *ops,
			void *ctx);
/* One of the secrets p keeps (KTLS_PARKED_*), or NULL when it does not keep it. */
const uint8_t *ktls_engine_parked_secret(const struct ktls_engine_parked *p, unsigned which);
/* Wipes and frees what p holds, names included. */
void ktls_engine_parked_free(struct ktls_engine_parked *p);
/* The failure's sentence: e->error, or the error's name when there was no memory for the
 * sentence; "" while healthy. */
const char *ktls_engine_error(const struct ktls_engine *e);
/* Client: emits the ClientHello. */
KTLS_MUST_CHECK int ktls_engine_start(struct ktls_engine *e);
static inline bool ktls_engine_connected(const struct ktls_engine *e)
{
	return e->state == HS_CONNECTED && !e->err;
}

/* One whole record (header + body, len bytes, opened in place when protected). Returns 0
 * with *in filled, or the failure (e->err). */
KTLS_MUST_CHECK int ktls_engine_input_record(struct ktls_engine *e, uint8_t *rec, size_t len,
					     struct ktls_engine_input *in);
/* One record's content of `type`, opened by the record layer that protects the receiving
 * direction (ktls_engine_hand_over). As ktls_engine_input_record. */
KTLS_MUST_CHECK int ktls_engine_input_content(struct ktls_engine *e, uint8_t type, uint8_t *data,
					      size_t len, struct ktls_engine_input *in);
/* Application data came through that other record layer: the checks and counters a
 * record of it takes (§5.1, the caps). Returns 0 or the failure. */
KTLS_MUST_CHECK int ktls_engine_data_received(struct ktls_engine *e);

/* Emits `type` content (application data, alert, handshake), split into records of at
 * most 2^14 bytes, under the current write protection (or unprotected, for the record
 * layer a direction was handed over to). Returns 0 or an error; the engine does not fail
 * by itself here. */
KTLS_MUST_CHECK int ktls_engine_send_record(struct ktls_engine *e, uint8_t type,
					    const uint8_t *data, size_t len);
/* Seals one record of `type` content (len at most 2^14) under the current write key straight
 * into out (capacity cap: TLS_RECORD_HEADER_LEN + len + 1 + KTLS_MAX_TAG_LEN suffices), for a
 * driver that queues records in its own buffer: the record is not built elsewhere and
 * copied, and data (the caller's, or built at out + TLS_RECORD_HEADER_LEN) is encrypted
 * from where it lies. *out_len gets the record's size. Returns 0; KTLS_EINVAL when the
 * engine does not protect this direction (not yet, or handed over); as ktls_record_seal. */
KTLS_MUST_CHECK int ktls_engine_seal_record(struct ktls_engine *e, uint8_t type,
					    const uint8_t *data, size_t len, uint8_t *out,
					    size_t cap, size_t *out_len);
/* Application data went (through us or the other layer): the next KeyUpdate request gets
 * an answer again (§4.6.3). */
void ktls_engine_data_sent(struct ktls_engine *e);
/* Sends a KeyUpdate (§4.6.3) under the current write key, then takes the next one (§7.2):
 * the answer to a peer's request, or one a test plays. Returns 0 or the engine's failure. */
KTLS_MUST_CHECK int ktls_engine_send_key_update(struct ktls_engine *e, bool request);
/* Emits close_notify (§6.1), once. Returns 0 or an error. */
KTLS_MUST_CHECK int ktls_engine_close_notify(struct ktls_engine *e);
/* Server, once connected: NewSessionTickets per the config (§4.6.1). */
KTLS_MUST_CHECK int ktls_engine_send_tickets(struct ktls_engine *e);

/* ---- the handoff of one direction to another record layer ----------------------------- */

/* A direction's application traffic secret (ours for TX, the peer's for RX), which a
 * KeyUpdate (§7.2) replaces in place. */
uint8_t *ktls_engine_app_secret(struct ktls_engine *e, enum ktls_direction dir);
/* The application traffic secret of a direction now, and how many records it protected. */
const uint8_t *ktls_engine_traffic_secret(const struct ktls_engine *e, enum ktls_direction dir,
					  uint64_t *seq);
/* Another record layer protects dir from now on: the engine's record key goes; records of
 * that direction are emitted unsealed (TX) or come through ktls_engine_input_content (RX);
 * later key changes reach it through ops->key_change only. The driver does this at the
 * kernel handoff; a pair of engines in a test or a fuzzer may do it before the handshake
 * (as QUIC carries TLS), to see and change every message in the clear. */
void ktls_engine_hand_over(struct ktls_engine *e, enum ktls_direction dir);
/* Wipes a direction's traffic secret: nothing can take its next key (a kernel that cannot
 * rekey); a KeyUpdate for it then fails with KTLS_EKEYUPDATE. */
void ktls_engine_forget_secret(struct ktls_engine *e, enum ktls_direction dir);
/* Wipes what nobody needs once both directions are keyed: the handshake secrets and the
 * master secret (the exporter and resumption secrets stay). */
void ktls_engine_wipe_handshake_secrets(struct ktls_engine *e);

/* ---- failure ------------------------------------------------------------------------- */

/* Records a fatal error (first one only): e->err, the sentence, the state, and the alert
 * for err emitted to the peer (best effort) unless the peer's alert or the connection's end
 * caused it. Returns the error that sticks. */
int ktls_engine_fail(struct ktls_engine *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- for the state machines (hs_client.c, hs_server.c, hs_common.c) -------------------- */

/* Adds one handshake message to the transcript and emits it. */
KTLS_MUST_CHECK int ktls_hs_send(struct ktls_engine *e, const uint8_t *msg, size_t len);
/* The dummy change_cipher_spec of middlebox compatibility mode (Appendix D.4), once. */
KTLS_MUST_CHECK int ktls_send_ccs(struct ktls_engine *e);
/* A new traffic secret for writing or reading: announced (ops->key_change), then kept as
 * our record key unless the direction was handed over. A new read key checks §5.1 first:
 * no handshake message may span it. Returns 0 or the engine's failure. */
KTLS_MUST_CHECK int ktls_engine_set_tx_secret(struct ktls_engine *e, const uint8_t *secret);
KTLS_MUST_CHECK int ktls_engine_set_rx_secret(struct ktls_engine *e, const uint8_t *secret);
/* Key log line ("CLIENT_HANDSHAKE_TRAFFIC_SECRET") when a key log is configured. */
void ktls_keylog(const struct ktls_engine *e, const char *label, const uint8_t *secret,
		 size_t len);
/* Trace output (no-ops without a trace). */
void ktls_trace(const struct ktls_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ktls_trace_message(const struct ktls_engine *e, bool sent, const uint8_t *msg, size_t len);
/* A labelled public value in hex (a transcript hash; never a secret). */
void ktls_trace_hash(const struct ktls_engine *e, const char *label, const uint8_t *p,
		     size_t len);

/* The handlers of the dispatch table (engine.c). A handler gets one whole handshake
 * message (header included) of the type the table pairs with the current state; it adds
 * the message to the transcript at the point the RFC's hashes need, moves the state on, and
 * returns 0 or ktls_engine_fail(...). */
typedef int (*ktls_hs_handler)(struct ktls_engine *e, const uint8_t *msg, size_t len);
KTLS_MUST_CHECK int ktls_client_start(struct ktls_engine *e);
int ktls_client_on_server_hello(struct ktls_engine *e, const uint8_t *msg, size_t len);
int ktls_client_on_encrypted_extensions(struct ktls_engine *e, const uint8_t *msg, size_t len);
int ktls_client_on_certificate_request(struct ktls_engine *e, const uint8_t *msg, size_t len);
int ktls_client_on_certificate(struct ktls_engine *e, const uint8_t *msg, size_t len);
int ktls_client_on_certificate_verify(struct ktls_engine *e, const uint8_t *msg, size_t len);
int ktls_client_on_finished(struct ktls_engine *e, const uint8_t *msg, size_t len);
int ktls_client_on_new_session_ticket(struct ktls_engine *e, const uint8_t *msg, size_t len);
int ktls_server_on_client_hello(struct ktls_engine *e, const uint8_t *msg, size_t len);
int ktls_server_on_certificate(struct ktls_engine *e, const uint8_t *msg, size_t len);
int ktls_server_on_certificate_verify(struct ktls_engine *e, const uint8_t *msg, size_t len);
int ktls_server_on_finished(struct ktls_engine *e, const uint8_t *msg, size_t len);
int ktls_on_key_update(struct ktls_engine *e, const uint8_t *msg, size_t len);

/* hs_common.c: steps both roles take alike. */
/* Certificate + CertificateVerify from our configured chain (§4.4.2, §4.4.3); with
 * send_empty, an empty Certificate (client without a certificate). */
KTLS_MUST_CHECK int ktls_hs_send_certificate(struct ktls_engine *e, bool send_empty);
/* Finished (§4.4.4) with our handshake traffic secret. */
KTLS_MUST_CHECK int ktls_hs_send_finished(struct ktls_engine *e);
/* Checks the peer's Certificate: decodes it, verifies the chain (unless insecure), keeps
 * the leaf key and subject. Adds the message to the transcript. */
KTLS_MUST_CHECK int ktls_hs_recv_certificate(struct ktls_engine *e, const uint8_t *msg,
					     size_t len, bool *empty);
/* Checks the peer's CertificateVerify against the transcript so far, then adds it. */
KTLS_MUST_CHECK int ktls_hs_recv_certificate_verify(struct ktls_engine *e, const uint8_t *msg,
						    size_t len);
/* §7.1 up to the handshake traffic secrets, from the PSK (NULL: none) and the (EC)DHE
 * shared secret (wiped after), over the transcript through ServerHello; key log, trace. */
KTLS_MUST_CHECK int ktls_hs_derive_handshake_secrets(struct ktls_engine *e, const uint8_t *psk,
						     size_t psk_len, uint8_t *shared,
						     size_t shared_len);
/* §7.1 Master Secret and the application traffic and exporter secrets, over the transcript
 * through the server's Finished; key log and trace. */
KTLS_MUST_CHECK int ktls_hs_derive_application_secrets(struct ktls_engine *e);
/* decode_error when a message of the peer's carries more extensions than the limit. */
KTLS_MUST_CHECK int ktls_hs_check_extensions(struct ktls_engine *e, const char *msg, size_t n);
/* Checks the peer's Finished (constant-time), then adds it. */
KTLS_MUST_CHECK int ktls_hs_recv_finished(struct ktls_engine *e, const uint8_t *msg,
					  size_t len);

#endif
