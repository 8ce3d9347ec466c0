/*
 * engine.c — the engine's core (engine.h): records in, the one reassembly loop, the one
 * dispatch table (handshake and post-handshake rows), alerts, records out, key changes,
 * and failure. The two state machines (hs_client.c, hs_server.c) and the steps they share
 * (hs_common.c) only see whole messages.
 *
 * Nothing here reads or writes a file descriptor: the driver (lib/session.c) reads one
 * record at a time — header, then exactly its body, the kernel handoff rule of DESIGN.md —
 * and hands it in; what the engine sends goes out through ops->emit, each new key through
 * ops->key_change.
 */
#include "engine.h"

#include "alert.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffers ------------------------------------------------------------------------- */

int ktls_buf_reserve(struct ktls_buf *b, size_t n, uint8_t **p)
{
	if (b->pos && b->pos == b->len) {
		b->pos = 0;
		b->len = 0;
	}
	if (b->cap - b->len < n) {
		if (b->pos) { /* compact before growing */
			memmove(b->data, b->data + b->pos, b->len - b->pos);
			b->len -= b->pos;
			b->pos = 0;
		}
		if (b->cap - b->len < n) {
			size_t cap = b->cap ? b->cap : 4096;
			while (cap - b->len < n)
				cap *= 2;
			uint8_t *d = realloc(b->data, cap);
			if (!d)
				return KTLS_ENOMEM;
			b->data = d;
			b->cap = cap;
		}
	}
	*p = b->data + b->len;
	return 0;
}

int ktls_buf_append(struct ktls_buf *b, const uint8_t *p, size_t n)
{
	uint8_t *dst;
	int err = ktls_buf_reserve(b, n, &dst);
	if (err)
		return err;
	if (n)
		memcpy(dst, p, n);
	b->len += n;
	return 0;
}

void ktls_buf_consume(struct ktls_buf *b, size_t n)
{
	b->pos += n;
	if (b->pos == b->len)
		b->pos = b->len = 0;
}

void ktls_buf_free(struct ktls_buf *b)
{
	if (b->data)
		sodium_memzero(b->data, b->cap);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- lifetime ------------------------------------------------------------------------ */

int ktls_engine_init(struct ktls_engine *e, const struct ktls_engine_config *cfg,
		     const struct ktls_engine_ops *ops, void *ctx)
{
	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	e->ops = ops;
	e->ctx = ctx;
	e->role = cfg->role;
	e->state = cfg->role == KTLS_ROLE_CLIENT ? HS_CLIENT_START : HS_SERVER_WAIT_CH;
	e->alert_sent = e->alert_received = -1;
	return ktls_transcript_init(&e->transcript);
}

void ktls_engine_release_handshake(struct ktls_engine *e)
{
	if (e->offer)
		sodium_memzero(e->offer, sizeof(*e->offer));
	free(e->offer);
	e->offer = NULL;
	ktls_transcript_free(&e->transcript);
	ktls_kex_free(&e->kex);
	ktls_buf_free(&e->hs_in);
}

void ktls_engine_free(struct ktls_engine *e)
{
	ktls_engine_release_handshake(e);
	if (e->saved)
		sodium_memzero(e->saved, sizeof(*e->saved));
	free(e->saved);
	ktls_keysched_wipe(&e->ks);
	ktls_record_key_wipe(&e->rx);
	ktls_record_key_wipe(&e->tx);
	EVP_PKEY_free(e->peer_key);
	free(e->error);
	sodium_memzero(e, sizeof(*e));
}

/* ---- parking ------------------------------------------------------------------------- */

bool ktls_engine_parkable(const struct ktls_engine *e)
{
	return e->state == HS_CONNECTED && !e->err && e->tx_external && e->rx_external &&
	       !ktls_buf_pending(&e->hs_in) && e->suite;
}

static size_t names_len(const struct ktls_engine *e)
{
	return (e->has_alpn ? strlen(e->alpn) + 1 : 0) +
	       (e->has_server_name ? strlen(e->server_name) + 1 : 0) +
	       (e->has_peer_subject ? strlen(e->peer_subject) + 1 : 0);
}

int ktls_engine_park(struct ktls_engine *e, struct ktls_engine_parked *p)
{
	if (!ktls_engine_parkable(e))
		return KTLS_EINVAL;
	size_t hl = e->suite->hash_len;
	bool client = e->role == KTLS_ROLE_CLIENT;
	/* only what can still be used: a wiped traffic secret (a kernel that cannot rekey) is
	 * not kept, nor the server's resumption secret (its tickets went at the handoff) */
	const uint8_t *from[4] = {
		e->ks.exporter_master,
		client ? e->ks.resumption_master : NULL,
		(client ? e->tx_secret_wiped : e->rx_secret_wiped) ? NULL
								   : e->ks.client_application_traffic,
		(client ? e->rx_secret_wiped : e->tx_secret_wiped) ? NULL
								   : e->ks.server_application_traffic,
	};
	uint8_t have = 0, n = 0;
	for (unsigned i = 0; i < 4; i++)
		if (from[i]) {
			have |= (uint8_t)(1u << i);
			n++;
		}
	uint8_t *secrets = malloc(n * hl);
	size_t nl = names_len(e);
	char *names = p->names;
	if (!names && nl && !(names = malloc(nl))) {
		free(secrets);
		return KTLS_ENOMEM;
	}
	if (!secrets) {
		if (names != p->names)
			free(names);
		return KTLS_ENOMEM;
	}
	for (unsigned i = 0, k = 0; i < 4; i++)
		if (from[i])
			memcpy(secrets + hl * k++, from[i], hl);
	if (names && names != p->names) {
		char *q = names;
		if (e->has_alpn)
			q = stpcpy(q, e->alpn) + 1;
		if (e->has_server_name)
			q = stpcpy(q, e->server_name) + 1;
		if (e->has_peer_subject)
			stpcpy(q, e->peer_subject);
	}
	*p = (struct ktls_engine_parked){
		.parked = true,
		.suite = e->suite,
		.chain = e->chain,
		.saved = e->saved,
		.secrets = secrets,
		.names = names,
		.empty_records = e->empty_records,
		.warning_alerts = e->warning_alerts,
		.key_updates = e->key_updates,
		.alert_sent = (int16_t)e->alert_sent,
		.alert_received = (int16_t)e->alert_received,
		.group = e->group,
		.sig_scheme = e->sig_scheme,
		.our_sig_scheme = e->our_sig_scheme,
		.role = (uint8_t)e->role,
		.have = have,
		.n_secrets = n,
		.close_notify_received = e->close_notify_received,
		.close_notify_sent = e->close_notify_sent,
		.key_update_answered = e->key_update_answered,
		.tx_secret_wiped = e->tx_secret_wiped,
		.rx_secret_wiped = e->rx_secret_wiped,
		.hello_retry = e->hello_retry,
		.psk_accepted = e->psk_accepted,
		.tickets_sent = e->tickets_sent,
		.own_cert_sent = e->own_cert_sent,
		.has_alpn = e->has_alpn,
		.has_server_name = e->has_server_name,
		.has_peer_subject = e->has_peer_subject,
	};
	e->saved = NULL; /* p has it now */
	ktls_engine_free(e);
	return 0;
}

const uint8_t *ktls_engine_parked_secret(const struct ktls_engine_parked *p, unsigned which)
{
	if (!p->parked || !(p->have & which))
		return NULL;
	unsigned before = (unsigned)__builtin_popcount(p->have & (which - 1));
	return p->secrets + before * p->suite->hash_len;
}

/* Wipes and frees the secrets (the rest of p stays). */
static void parked_drop_secrets(struct ktls_engine_parked *p)
{
	if (p->secrets)
		sodium_memzero(p->secrets, (size_t)p->n_secrets * p->suite->hash_len);
	free(p->secrets);
	p->secrets = NULL;
	p->n_secrets = 0;
	p->have = 0;
}

/* Copies the next NUL-terminated name at *q into dst (cap bytes). */
static void unpark_name(char *dst, size_t cap, const char **q)
{
	snprintf(dst, cap, "%s", *q);
	*q += strlen(*q) + 1;
}

void ktls_engine_unpark(struct ktls_engine *e, struct ktls_engine_parked *p,
			const struct ktls_engine_config *cfg, const struct ktls_engine_ops *ops,
			void *ctx)
{
	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	e->ops = ops;
	e->ctx = ctx;
	e->role = (enum ktls_role)p->role;
	e->state = HS_CONNECTED;
	e->alert_sent = p->alert_sent;
	e->alert_received = p->alert_received;
	e->close_notify_received = p->close_notify_received;
	e->close_notify_sent = p->close_notify_sent;
	e->suite = p->suite;
	e->group = p->group;
	e->sig_scheme = p->sig_scheme;
	e->our_sig_scheme = p->our_sig_scheme;
	e->hello_retry = p->hello_retry;
	e->chain = p->chain;
	e->own_cert_sent = p->own_cert_sent;
	e->has_alpn = p->has_alpn;
	e->has_server_name = p->has_server_name;
	e->has_peer_subject = p->has_peer_subject;
	const char *q = p->names;
	if (e->has_alpn)
		unpark_name(e->alpn, sizeof(e->alpn), &q);
	if (e->has_server_name)
		unpark_name(e->server_name, sizeof(e->server_name), &q);
	if (e->has_peer_subject)
		unpark_name(e->peer_subject, sizeof(e->peer_subject), &q);
	/* both directions belong to the other record layer: no record keys here */
	e->tx_external = e->rx_external = true;
	e->tx_secret_wiped = p->tx_secret_wiped;
	e->rx_secret_wiped = p->rx_secret_wiped;
	ktls_keysched_init(&e->ks, p->suite);
	e->ks.stage = KTLS_KS_MASTER; /* the handshake's secrets are gone, as before parking */
	uint8_t *to[4] = { e->ks.exporter_master, e->ks.resumption_master,
			   e->ks.client_application_traffic, e->ks.server_application_traffic };
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *from = ktls_engine_parked_secret(p, 1u << i);
		if (from)
			memcpy(to[i], from, p->suite->hash_len);
	}
	e->saved = p->saved;
	e->psk_accepted = p->psk_accepted;
	e->tickets_sent = p->tickets_sent;
	e->empty_records = p->empty_records;
	e->warning_alerts = p->warning_alerts;
	e->key_updates = p->key_updates;
	e->key_update_answered = p->key_update_answered;
	parked_drop_secrets(p);
	/* the names stay, and what says which are there */
	*p = (struct ktls_engine_parked){ .names = p->names, .has_alpn = p->has_alpn,
					  .has_server_name = p->has_server_name,
					  .has_peer_subject = p->has_peer_subject };
}

void ktls_engine_parked_free(struct ktls_engine_parked *p)
{
	parked_drop_secrets(p);
	if (p->saved)
		sodium_memzero(p->saved, sizeof(*p->saved));
	free(p->saved);
	free(p->names);
	memset(p, 0, sizeof(*p));
}

const char *ktls_engine_error(const struct ktls_engine *e)
{
	if (!e->err)
		return "";
	return e->error ? e->error : ktls_strerror(e->err);
}

int ktls_engine_start(struct ktls_engine *e)
{
	if (e->err)
		return e->err;
	if (e->state != HS_CLIENT_START)
		return KTLS_EINVAL;
	return ktls_client_start(e);
}

/* ---- failure ------------------------------------------------------------------------- */

int ktls_engine_fail(struct ktls_engine *e, int err, const char *fmt, ...)
{
	if (e->err)
		return e->err; /* the first failure is the one that counts */
	char msg[KTLS_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->error = strdup(msg); /* NULL: ktls_engine_error names the error instead */
	e->err = err;
	e->state = HS_FAILED;

	/* Tell the peer (§6.2), unless it told us, the connection is gone, or our close_notify
	 * went already (§6.1: nothing follows it; a session that had to stop sending, at the
	 * §5.5 limit, closed cleanly and records why here) */
	if (err != KTLS_EALERT && err != KTLS_ECLOSED && err != KTLS_EIO && err != KTLS_ETIMEOUT &&
	    !e->close_notify_sent) {
		int alert = ktls_error_alert(err);
		if (alert < 0)
			alert = TLS_ALERT_INTERNAL_ERROR;
		uint8_t body[2] = { 2 /* fatal */, (uint8_t)alert };
		if (!ktls_engine_send_record(e, TLS_CONTENT_ALERT, body, 2))
			e->alert_sent = alert;
		ktls_trace(e, ">>> alert %s (fatal): %s", ktls_alert_name(alert), ktls_engine_error(e));
	}
	return err;
}

/* ---- output -------------------------------------------------------------------------- */

/* One record of at most 2^14 bytes under the current write protection, as wire bytes. */
static int emit_wire_record(struct ktls_engine *e, uint8_t type, const uint8_t *data, size_t n)
{
	size_t cap = e->tx_protected ? ktls_record_sealed_len(e->tx.aead.suite, n, 0)
				     : TLS_RECORD_HEADER_LEN + n;
	uint8_t *rec = malloc(cap);
	size_t rec_len = cap;
	int err = 0;
	if (!rec)
		return KTLS_ENOMEM;
	if (e->tx_protected) {
		err = ktls_record_seal(&e->tx, type, data, n, 0, rec, cap, &rec_len);
	} else { /* TLSPlaintext, §5.1 */
		struct wire_writer w;
		wire_writer_init(&w, rec, cap);
		err = wire_put_u8(&w, type);
		if (!err)
			err = wire_put_u16(&w, TLS_LEGACY_RECORD_VERSION);
		if (!err)
			err = wire_put_u16(&w, (uint16_t)n);
		if (!err)
			err = wire_put_bytes(&w, data, n);
	}
	if (!err)
		err = e->ops->emit(e->ctx, type, rec, rec_len, true);
	sodium_memzero(rec, cap);
	free(rec);
	return err;
}

int ktls_engine_seal_record(struct ktls_engine *e, uint8_t type, const uint8_t *data,
			    size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	if (!e->tx_protected || e->tx_external)
		return KTLS_EINVAL;
	return ktls_record_seal(&e->tx, type, data, len, 0, out, cap, out_len);
}

int ktls_engine_send_record(struct ktls_engine *e, uint8_t type, const uint8_t *data, size_t len)
{
	size_t off = 0;
	do {
		size_t n = len - off > TLS_MAX_PLAINTEXT ? TLS_MAX_PLAINTEXT : len - off;
		/* a direction handed over: the other record layer protects the content */
		int err = e->tx_external ? e->ops->emit(e->ctx, type, data + off, n, false)
					 : emit_wire_record(e, type, data + off, n);
		if (err)
			return err;
		off += n;
	} while (off < len);
	return 0;
}

int ktls_send_ccs(struct ktls_engine *e)
{
	static const uint8_t ccs = 1;
	ktls_trace(e, ">>> change_cipher_spec (middlebox compatibility, RFC 8446 Appendix D.4)");
	return ktls_engine_send_record(e, TLS_CONTENT_CHANGE_CIPHER_SPEC, &ccs, 1);
}

int ktls_hs_send(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	ktls_trace_message(e, true, msg, len);
	int err = ktls_transcript_update(&e->transcript, msg, len);
	if (!err)
		err = ktls_engine_send_record(e, TLS_CONTENT_HANDSHAKE, msg, len);
	return err;
}

void ktls_engine_data_sent(struct ktls_engine *e)
{
	e->key_update_answered = false; /* data went: the next request gets an answer */
}

int ktls_engine_close_notify(struct ktls_engine *e)
{
	if (e->close_notify_sent)
		return 0;
	uint8_t body[2] = { 1 /* warning */, TLS_ALERT_CLOSE_NOTIFY };
	int err = ktls_engine_send_record(e, TLS_CONTENT_ALERT, body, 2);
	if (err)
		return err;
	e->close_notify_sent = true;
	e->alert_sent = TLS_ALERT_CLOSE_NOTIFY;
	return 0;
}

/* ---- keys ---------------------------------------------------------------------------- */

/* Announces the key change, then keys our record layer unless the direction is handed
 * over. */
static int change_key(struct ktls_engine *e, enum ktls_direction dir, const uint8_t *secret)
{
	const char *what = dir == KTLS_DIR_TX ? "write" : "read";
	int err = e->ops->key_change ? e->ops->key_change(e->ctx, dir, secret) : 0;
	if (err)
		return e->err ? e->err : ktls_engine_fail(e, err, "cannot install the new %s key: %s",
							   what, ktls_strerror(err));
	if (dir == KTLS_DIR_TX ? e->tx_external : e->rx_external)
		return 0;
	struct ktls_record_key *rk = dir == KTLS_DIR_TX ? &e->tx : &e->rx;
	ktls_record_key_wipe(rk);
	err = ktls_record_key_from_secret(rk, e->suite, secret);
	if (dir == KTLS_DIR_TX)
		e->tx_protected = !err;
	else
		e->rx_protected = !err;
	return err ? ktls_engine_fail(e, err, "cannot set the %s key: %s", what, ktls_strerror(err)) : 0;
}

int ktls_engine_set_tx_secret(struct ktls_engine *e, const uint8_t *secret)
{
	return change_key(e, KTLS_DIR_TX, secret);
}

int ktls_engine_set_rx_secret(struct ktls_engine *e, const uint8_t *secret)
{
	/* §5.1: handshake messages must not span a key change — the one place this is
	 * checked, for the handshake keys, the application keys and every KeyUpdate */
	if (ktls_buf_pending(&e->hs_in))
		return ktls_engine_fail(e, KTLS_EUNEXPECTED,
					"handshake message crosses a key change (RFC 8446 §5.1)");
	return change_key(e, KTLS_DIR_RX, secret);
}

uint8_t *ktls_engine_app_secret(struct ktls_engine *e, enum ktls_direction dir)
{
	bool client_side = (dir == KTLS_DIR_TX) == (e->role == KTLS_ROLE_CLIENT);
	return client_side ? e->ks.client_application_traffic : e->ks.server_application_traffic;
}

const uint8_t *ktls_engine_traffic_secret(const struct ktls_engine *e, enum ktls_direction dir,
					  uint64_t *seq)
{
	*seq = dir == KTLS_DIR_TX ? e->tx.seq : e->rx.seq;
	return ktls_engine_app_secret((struct ktls_engine *)e, dir);
}

void ktls_engine_hand_over(struct ktls_engine *e, enum ktls_direction dir)
{
	if (dir == KTLS_DIR_TX) {
		e->tx_external = true;
		ktls_record_key_wipe(&e->tx);
	} else {
		e->rx_external = true;
		ktls_record_key_wipe(&e->rx);
	}
}

void ktls_engine_forget_secret(struct ktls_engine *e, enum ktls_direction dir)
{
	sodium_memzero(ktls_engine_app_secret(e, dir), KTLS_MAX_HASH_LEN);
	if (dir == KTLS_DIR_TX)
		e->tx_secret_wiped = true;
	else
		e->rx_secret_wiped = true;
}

void ktls_engine_wipe_handshake_secrets(struct ktls_engine *e)
{
	sodium_memzero(e->ks.secret, sizeof(e->ks.secret));
	sodium_memzero(e->ks.client_handshake_traffic, sizeof(e->ks.client_handshake_traffic));
	sodium_memzero(e->ks.server_handshake_traffic, sizeof(e->ks.server_handshake_traffic));
}

/* ---- input --------------------------------------------------------------------------- */

/* The order of the protocol (RFC 8446 §2, §4.6, §A): in each state, which messages may come
 * and who handles them; the connected rows are per role. Anything else is
 * unexpected_message. */
#define ROLE_CLIENT (1u << KTLS_ROLE_CLIENT)
#define ROLE_SERVER (1u << KTLS_ROLE_SERVER)
static const struct {
	unsigned roles;
	enum ktls_hs_state state;
	uint8_t type;
	ktls_hs_handler handle;
} dispatch[] = {
	{ ROLE_CLIENT, HS_CLIENT_WAIT_SH, TLS_HS_SERVER_HELLO, ktls_client_on_server_hello },
	{ ROLE_CLIENT, HS_CLIENT_WAIT_EE, TLS_HS_ENCRYPTED_EXTENSIONS,
	  ktls_client_on_encrypted_extensions },
	{ ROLE_CLIENT, HS_CLIENT_WAIT_CERT_CR, TLS_HS_CERTIFICATE_REQUEST,
	  ktls_client_on_certificate_request },
	{ ROLE_CLIENT, HS_CLIENT_WAIT_CERT_CR, TLS_HS_CERTIFICATE, ktls_client_on_certificate },
	{ ROLE_CLIENT, HS_CLIENT_WAIT_CERT, TLS_HS_CERTIFICATE, ktls_client_on_certificate },
	{ ROLE_CLIENT, HS_CLIENT_WAIT_CV, TLS_HS_CERTIFICATE_VERIFY,
	  ktls_client_on_certificate_verify },
	{ ROLE_CLIENT, HS_CLIENT_WAIT_FINISHED, TLS_HS_FINISHED, ktls_client_on_finished },
	{ ROLE_SERVER, HS_SERVER_WAIT_CH, TLS_HS_CLIENT_HELLO, ktls_server_on_client_hello },
	{ ROLE_SERVER, HS_SERVER_WAIT_CERT, TLS_HS_CERTIFICATE, ktls_server_on_certificate },
	{ ROLE_SERVER, HS_SERVER_WAIT_CV, TLS_HS_CERTIFICATE_VERIFY,
	  ktls_server_on_certificate_verify },
	{ ROLE_SERVER, HS_SERVER_WAIT_FINISHED, TLS_HS_FINISHED, ktls_server_on_finished },
	/* after the handshake (§4.6) */
	{ ROLE_CLIENT, HS_CONNECTED, TLS_HS_NEW_SESSION_TICKET, ktls_client_on_new_session_ticket },
	{ ROLE_CLIENT | ROLE_SERVER, HS_CONNECTED, TLS_HS_KEY_UPDATE, ktls_on_key_update },
};

static ktls_hs_handler find_handler(const struct ktls_engine *e, uint8_t type)
{
	for (size_t i = 0; i < sizeof(dispatch) / sizeof(dispatch[0]); i++)
		if (dispatch[i].state == e->state && dispatch[i].type == type &&
		    dispatch[i].roles & (1u << e->role))
			return dispatch[i].handle;
	return NULL;
}

/* Handshake bytes, during the handshake or after it: the one reassembly loop. Every
 * complete message in hs_in goes to its handler. */
static int handshake_bytes(struct ktls_engine *e, const uint8_t *p, size_t len)
{
	const struct ktls_limits *lim = &e->cfg->limits;
	if (!len) /* §5.1: no zero-length handshake fragments */
		return ktls_engine_fail(e, KTLS_EUNEXPECTED, "empty handshake record");
	/* One bound: a message header announcing more than the limit is refused below as soon
	 * as it is seen; this bounds what can pile up before a header is complete. */
	if (ktls_buf_pending(&e->hs_in) + len >
	    lim->max_handshake_message + TLS_HANDSHAKE_HEADER_LEN + TLS_MAX_PLAINTEXT)
		return ktls_engine_fail(e, KTLS_EDECODE, "handshake message too large");
	int err = ktls_buf_append(&e->hs_in, p, len);
	if (err)
		return ktls_engine_fail(e, err, "out of memory");

	while (!e->err) {
		struct wire_reader r;
		uint8_t type;
		uint32_t mlen;
		size_t avail = ktls_buf_pending(&e->hs_in);
		if (!avail)
			return 0;
		const uint8_t *msg = e->hs_in.data + e->hs_in.pos;

		wire_reader_init(&r, msg, avail);
		if (wire_get_u8(&r, &type) || wire_get_u24(&r, &mlen))
			return 0; /* the rest comes in the next record */
		const char *name = ktls_handshake_type_name(type);
		if (mlen > lim->max_handshake_message ||
		    (type == TLS_HS_CLIENT_HELLO && mlen > lim->max_client_hello))
			return ktls_engine_fail(e, KTLS_EDECODE, "%s message of %u bytes is over the limit",
						name ? name : "handshake", mlen);
		if (wire_remaining(&r) < mlen)
			return 0;
		size_t total = TLS_HANDSHAKE_HEADER_LEN + mlen;
		ktls_hs_handler handle = find_handler(e, type);
		ktls_trace_message(e, false, msg, total);
		if (!handle)
			return ktls_engine_fail(e, KTLS_EUNEXPECTED, "unexpected %s message%s",
						name ? name : "handshake",
						e->state == HS_CONNECTED ? " after the handshake" : "");
		/* consumed first: a handler may change keys, which needs hs_in empty (§5.1);
		 * msg stays valid, as nothing is appended to hs_in while it runs */
		ktls_buf_consume(&e->hs_in, total);
		err = handle(e, msg, total);
		if (err)
			return err;
	}
	return e->err;
}

/* The peer's alert (§6). */
static int on_alert(struct ktls_engine *e, const uint8_t *body, size_t len,
		    struct ktls_engine_input *in)
{
	uint8_t level, desc;
	bool handshake = e->state != HS_CONNECTED;
	/* §5.4: an Alert record with no content "MUST" end the connection with
	 * unexpected_message (a short or long one is merely malformed: decode_error) */
	if (len == 0)
		return ktls_engine_fail(e, KTLS_EUNEXPECTED, "empty alert record");
	if (ktls_decode_alert(body, len, &level, &desc))
		return ktls_engine_fail(e, KTLS_EDECODE, "malformed alert record");
	e->alert_received = desc;
	const char *name = ktls_alert_name(desc);
	ktls_trace(e, "<<< alert %s (%s)", name ? name : "unknown", level == 1 ? "warning" : "fatal");
	if (desc == TLS_ALERT_CLOSE_NOTIFY) {
		e->close_notify_received = true;
		if (handshake) /* even close_notify ends a handshake as a failure */
			return ktls_engine_fail(e, KTLS_ECLOSED,
						"peer closed the connection during the handshake");
		in->closed = true;
		return 0;
	}
	if (desc == TLS_ALERT_USER_CANCELED) {
		/* §6.1: close_notify follows; during the handshake the peer is canceling it */
		if (handshake)
			return ktls_engine_fail(e, KTLS_EALERT,
						"peer canceled the handshake (user_canceled)");
		if (++e->warning_alerts > e->cfg->limits.max_warning_alerts)
			return ktls_engine_fail(e, KTLS_EUNEXPECTED, "more than %u user_canceled alerts "
						"without application data between them",
						e->cfg->limits.max_warning_alerts);
		in->idle = true;
		return 0;
	}
	if (name)
		return ktls_engine_fail(e, KTLS_EALERT, "peer sent alert: %s", name);
	return ktls_engine_fail(e, KTLS_EALERT, "peer sent alert: unknown (%u)", desc);
}

/* Application data came: the caps on records that carry nothing start again. */
static void data_arrived(struct ktls_engine *e)
{
	e->empty_records = e->warning_alerts = e->key_updates = 0;
}

/* One record's content, however it was protected. */
static int on_content(struct ktls_engine *e, uint8_t type, uint8_t *data, size_t len,
		      struct ktls_engine_input *in)
{
	bool connected = e->state == HS_CONNECTED;
	/* §5.1: while a handshake message is split across records, the next record must be a
	 * handshake record too */
	if (type != TLS_CONTENT_HANDSHAKE && ktls_buf_pending(&e->hs_in))
		return ktls_engine_fail(e, KTLS_EUNEXPECTED,
					"record interleaved with a split handshake message");
	switch (type) {
	case TLS_CONTENT_ALERT:
		return on_alert(e, data, len, in);
	case TLS_CONTENT_HANDSHAKE:
		in->idle = connected; /* a ticket, a KeyUpdate: no data for the caller */
		return handshake_bytes(e, data, len);
	case TLS_CONTENT_APPLICATION_DATA:
		if (!connected)
			return ktls_engine_fail(e, KTLS_EUNEXPECTED,
						"application data record during the handshake");
		if (!len) { /* §5.1: allowed, but they carry nothing: capped */
			if (++e->empty_records > e->cfg->limits.max_empty_records)
				return ktls_engine_fail(e, KTLS_EUNEXPECTED, "more than %u empty "
							"application data records in a row",
							e->cfg->limits.max_empty_records);
			in->idle = true;
			return 0;
		}
		data_arrived(e);
		in->data = data;
		in->data_len = len;
		return 0;
	default:
		if (connected)
			return ktls_engine_fail(e, KTLS_EUNEXPECTED,
						"unexpected record type %u after the handshake", type);
		return ktls_engine_fail(e, KTLS_EUNEXPECTED, "unexpected record during the handshake");
	}
}

/* §5: a single 0x01 byte between ClientHello and the peer's Finished is a
 * middlebox-compatibility no-op (§D.4); anything else is unexpected, and so is any record
 * between the fragments of a handshake message (§5.1). A peer sends one per handshake
 * (§D.4): a second is refused, so a stream of them cannot keep the handshake busy (the
 * lesson of CVE-2020-25648). */
static int on_change_cipher_spec(struct ktls_engine *e, const uint8_t *body, size_t len,
				 struct ktls_engine_input *in)
{
	if (!e->ccs_allowed || len != 1 || body[0] != 1 || ktls_buf_pending(&e->hs_in))
		return ktls_engine_fail(e, KTLS_EUNEXPECTED, "unexpected change_cipher_spec record");
	if (e->ccs_received)
		return ktls_engine_fail(e, KTLS_EUNEXPECTED, "a second change_cipher_spec record "
					"(one per handshake, RFC 8446 Appendix D.4)");
	e->ccs_received = true;
	in->idle = true;
	return 0;
}

/* §4.2.10: a server that declines 0-RTT skips the client's early records "up to the
 * configured max_early_data_size"; we take none, so the bound is ours: 16 full records. */
static int skip_early_record(struct ktls_engine *e, size_t len, struct ktls_engine_input *in)
{
	e->early_data_skipped += len;
	if (e->early_data_skipped > 16 * TLS_MAX_CIPHERTEXT)
		return ktls_engine_fail(e, KTLS_EBADMAC, "too much unreadable early data");
	in->idle = true;
	return 0;
}

int ktls_engine_input_record(struct ktls_engine *e, uint8_t *rec, size_t len,
			     struct ktls_engine_input *in)
{
	memset(in, 0, sizeof(*in));
	if (e->err)
		return e->err;
	if (e->rx_external || len < TLS_RECORD_HEADER_LEN)
		return ktls_engine_fail(e, KTLS_EINTERNAL, "a record for a direction handed over");
	uint8_t type = rec[0], *body = rec + TLS_RECORD_HEADER_LEN;
	size_t body_len = len - TLS_RECORD_HEADER_LEN;
	bool connected = e->state == HS_CONNECTED;

	/* §5.1: no plaintext record may exceed 2^14 bytes, whatever its type */
	if (type != TLS_CONTENT_APPLICATION_DATA && body_len > TLS_MAX_PLAINTEXT)
		return ktls_engine_fail(e, KTLS_EOVERFLOW, "plaintext record over 2^14 bytes");
	if (!connected && type == TLS_CONTENT_CHANGE_CIPHER_SPEC)
		return on_change_cipher_spec(e, body, body_len, in);
	if (!connected && type == TLS_CONTENT_ALERT && (!e->rx_protected || body_len == 2))
		/* a peer that failed may not have had our keys: report its alert by name */
		return on_content(e, type, body, body_len, in);
	if (e->rx_protected) {
		uint8_t *plain;
		size_t plain_len;
		int err = ktls_record_open(&e->rx, rec, len, &type, &plain, &plain_len);
		if (err == KTLS_EBADMAC && e->skip_early_data)
			/* §4.2.10: 0-RTT records under the early keys we declined: skip them, up
			 * to a bound, until the first record our handshake key opens */
			return skip_early_record(e, body_len, in);
		if (err)
			return ktls_engine_fail(e, err, "cannot decrypt %srecord: %s",
						connected ? "" : "handshake ", ktls_strerror(err));
		e->skip_early_data = false;
		return on_content(e, type, plain, plain_len, in);
	}
	if (type == TLS_CONTENT_APPLICATION_DATA && e->skip_early_data)
		/* §4.2.10: after our HelloRetryRequest, the 0-RTT records a client sent behind its
		 * first ClientHello arrive before its second: skipped, within the same bound */
		return skip_early_record(e, body_len, in);
	if (body_len > TLS_MAX_PLAINTEXT)
		return ktls_engine_fail(e, KTLS_EOVERFLOW, "plaintext record over 2^14 bytes");
	return on_content(e, type, body, body_len, in);
}

int ktls_engine_input_content(struct ktls_engine *e, uint8_t type, uint8_t *data, size_t len,
			      struct ktls_engine_input *in)
{
	memset(in, 0, sizeof(*in));
	if (e->err)
		return e->err;
	return on_content(e, type, data, len, in);
}

int ktls_engine_data_received(struct ktls_engine *e)
{
	if (e->err)
		return e->err;
	if (ktls_buf_pending(&e->hs_in))
		return ktls_engine_fail(e, KTLS_EUNEXPECTED,
					"record interleaved with a split handshake message");
	data_arrived(e);
	return 0;
}
