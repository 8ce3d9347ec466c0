/*
 * handshake.c — drives a handshake: record I/O, reassembly of handshake messages, the one
 * dispatch table that pairs each state with the messages it accepts, alerts, the key log
 * and the trace. The two state machines (hs_client.c, hs_server.c) only see whole messages.
 *
 * Reading follows the kernel handoff rule of DESIGN.md: one record at a time, its 5-byte
 * header and then exactly the body it announces, never more. When the peer's Finished has
 * been handled the machine stops reading, so whatever follows in the socket (application
 * data, NewSessionTicket) stays there for whoever reads next — the kernel after offload.
 */
#include "session.h"

#include "alert.h"
#include "hkdf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <time.h>
#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- buffers ------------------------------------------------------------------------- */

int ktls_buf_append(struct ktls_buf *b, const uint8_t *p, size_t n)
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
	if (n)
		memcpy(b->data + b->len, p, n);
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

/* ---- time ------------------------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ktls_hs_time_left(const struct ktls_session *s)
{
	if (!s->deadline_ms || s->state == HS_CONNECTED)
		return -1;
	int64_t left = s->deadline_ms - now_ms();
	return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* On a blocking socket during the handshake, waits for events no longer than the deadline
 * allows. Returns 0 when the fd is ready (or there is no deadline), KTLS_ETIMEOUT. */
static int wait_within_deadline(const struct ktls_session *s, short events)
{
	int left = ktls_hs_time_left(s);
	if (!s->blocking || left < 0)
		return 0;
	struct pollfd p = { .fd = s->fd, .events = events };
	int n;
	do
		n = poll(&p, 1, left);
	while (n < 0 && errno == EINTR && (left = ktls_hs_time_left(s)) > 0);
	return n == 0 || left == 0 ? KTLS_ETIMEOUT : 0;
}

/* ---- session lifetime ---------------------------------------------------------------- */

struct ktls_session *ktls_session_new(const struct ktls_config *cfg, int fd)
{
	struct ktls_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = cfg;
	s->fd = fd;
	s->role = cfg->role;
	s->state = cfg->role == KTLS_ROLE_CLIENT ? HS_CLIENT_START : HS_SERVER_WAIT_CH;
	s->alert_sent = s->alert_received = -1;
	int fl = fcntl(fd, F_GETFL);
	s->blocking = fl >= 0 && !(fl & O_NONBLOCK);
	if (cfg->limits.handshake_timeout_ms)
		s->deadline_ms = now_ms() + cfg->limits.handshake_timeout_ms;
	/* the record buffer comes with the first byte (read_upto): a connection that never
	 * sends anything costs the session struct alone */
	if (ktls_transcript_init(&s->transcript)) {
		ktls_session_free(s);
		return NULL;
	}
	return s;
}

void ktls_release_record_buffer(struct ktls_session *s)
{
	if (!s->rec)
		return;
	sodium_memzero(s->rec, TLS_MAX_RECORD);
	free(s->rec);
	s->rec = NULL;
}

/* While the handshake waits for the peer with nothing half-read, its buffers hold nothing
 * either: they go, and come back with the next bytes. A server with thousands of handshakes
 * in flight then holds memory only for those that sent part of a message. */
static void release_idle_buffers(struct ktls_session *s)
{
	if (s->rec_len || s->state == HS_CONNECTED)
		return;
	ktls_release_record_buffer(s);
	if (s->hs_in.pos == s->hs_in.len)
		ktls_buf_free(&s->hs_in);
	if (s->out.pos == s->out.len)
		ktls_buf_free(&s->out);
}

/* Drops what only the handshake needed. */
static void release_handshake_state(struct ktls_session *s)
{
	if (s->offer)
		sodium_memzero(s->offer, sizeof(*s->offer));
	free(s->offer);
	s->offer = NULL;
	ktls_transcript_free(&s->transcript);
	ktls_kex_free(&s->kex);
	ktls_buf_free(&s->hs_in);
}

void ktls_session_free(struct ktls_session *s)
{
	if (!s)
		return;
	release_handshake_state(s);
	if (s->saved)
		sodium_memzero(s->saved, sizeof(*s->saved));
	free(s->saved);
	ktls_keysched_wipe(&s->ks);
	ktls_record_key_wipe(&s->rx);
	ktls_record_key_wipe(&s->tx);
	EVP_PKEY_free(s->peer_key);
	ktls_buf_free(&s->out);
	ktls_buf_free(&s->app_in);
	ktls_buf_free(&s->ctl_out);
	ktls_buf_free(&s->tx_hold);
	if (s->ctl)
		sodium_memzero(s->ctl, TLS_MAX_PLAINTEXT);
	free(s->ctl);
	ktls_release_record_buffer(s);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

size_t ktls_session_memory(const struct ktls_session *s)
{
	if (!s)
		return 0;
	return sizeof(*s) + (s->rec ? TLS_MAX_RECORD : 0) + (s->ctl ? TLS_MAX_PLAINTEXT : 0) +
	       s->hs_in.cap + s->out.cap + s->app_in.cap + s->ctl_out.cap +
	       (s->offer ? sizeof(*s->offer) : 0) + (s->saved ? sizeof(*s->saved) : 0);
}

const char *ktls_session_error(const struct ktls_session *s)
{
	return s ? s->error : "no session";
}

/* ---- failure and alerts -------------------------------------------------------------- */

int ktls_hs_fail(struct ktls_session *s, int err, const char *fmt, ...)
{
	if (s->err)
		return s->err; /* the first failure is the one that counts */
	char msg[sizeof(s->error)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap); /* the arguments may point into s->error */
	va_end(ap);
	memcpy(s->error, msg, sizeof(msg));
	s->err = err;
	s->state = HS_FAILED;

	/* Tell the peer (§6.2), unless it told us or the connection is gone. */
	if (err != KTLS_EALERT && err != KTLS_ECLOSED && err != KTLS_EIO && err != KTLS_ETIMEOUT) {
		int alert = ktls_error_alert(err);
		if (alert < 0)
			alert = TLS_ALERT_INTERNAL_ERROR;
		uint8_t body[2] = { 2 /* fatal */, (uint8_t)alert };
		if (!ktls_queue_record(s, TLS_CONTENT_ALERT, body, 2)) {
			s->alert_sent = alert;
			if (ktls_flush(s)) /* best effort: we are failing anyway */
				memcpy(s->error, msg, sizeof(msg)); /* the failure, not the flush's */
		}
		ktls_trace(s, ">>> alert %s (fatal): %s", ktls_alert_name(alert), s->error);
	}
	return err;
}

/* ---- output -------------------------------------------------------------------------- */

int ktls_queue_record(struct ktls_session *s, uint8_t type, const uint8_t *data, size_t len)
{
	size_t off = 0;
	if (s->tx_offloaded)
		return ktls_kernel_send_record(s, type, data, len);
	do {
		size_t n = len - off > TLS_MAX_PLAINTEXT ? TLS_MAX_PLAINTEXT : len - off;
		int err;
		if (s->tx_protected) {
			uint8_t *rec = malloc(ktls_record_sealed_len(s->tx.aead.suite, n, 0));
			size_t rec_len;
			if (!rec)
				return KTLS_ENOMEM;
			err = ktls_record_seal(&s->tx, type, data + off, n, 0, rec,
					       ktls_record_sealed_len(s->tx.aead.suite, n, 0), &rec_len);
			if (!err)
				err = ktls_buf_append(&s->out, rec, rec_len);
			free(rec);
		} else {
			uint8_t hdr[TLS_RECORD_HEADER_LEN];
			struct wire_writer w;
			wire_writer_init(&w, hdr, sizeof(hdr));
			err = wire_put_u8(&w, type);
			if (!err)
				err = wire_put_u16(&w, TLS_LEGACY_RECORD_VERSION);
			if (!err)
				err = wire_put_u16(&w, (uint16_t)n);
			if (!err)
				err = ktls_buf_append(&s->out, hdr, sizeof(hdr));
			if (!err)
				err = ktls_buf_append(&s->out, data + off, n);
		}
		if (err)
			return err;
		off += n;
	} while (off < len);
	return 0;
}

int ktls_send_ccs(struct ktls_session *s)
{
	static const uint8_t ccs = 1;
	ktls_trace(s, ">>> change_cipher_spec (middlebox compatibility, RFC 8446 Appendix D.4)");
	return ktls_queue_record(s, TLS_CONTENT_CHANGE_CIPHER_SPEC, &ccs, 1);
}

int ktls_hs_send(struct ktls_session *s, const uint8_t *msg, size_t len)
{
	ktls_trace_message(s, true, msg, len);
	int err = ktls_transcript_update(&s->transcript, msg, len);
	if (!err)
		err = ktls_queue_record(s, TLS_CONTENT_HANDSHAKE, msg, len);
	return err;
}

int ktls_flush(struct ktls_session *s)
{
	if (s->tx_offloaded)
		return ktls_kernel_flush(s);
	while (s->out.pos < s->out.len) {
		int err = wait_within_deadline(s, POLLOUT);
		if (err)
			return err;
		ssize_t n = send(s->fd, s->out.data + s->out.pos, s->out.len - s->out.pos,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return KTLS_WANT_WRITE;
			snprintf(s->error, sizeof(s->error), "send: %s", strerror(errno));
			return KTLS_EIO;
		}
		ktls_buf_consume(&s->out, (size_t)n);
	}
	return 0;
}

/* ---- input --------------------------------------------------------------------------- */

/* Reads until s->rec holds `want` bytes. A session has no record buffer until a whole
 * record header has come (into rec_hdr): a peer that connects and sends nothing, or a few
 * bytes, costs no 16 KiB buffer. */
static int read_upto(struct ktls_session *s, size_t want)
{
	while (s->rec_len < want) {
		bool hdr = !s->rec; /* then rec_len < TLS_RECORD_HEADER_LEN == want */
		uint8_t *dst = hdr ? s->rec_hdr + s->rec_len : s->rec + s->rec_len;
		size_t room = (hdr ? TLS_RECORD_HEADER_LEN : want) - s->rec_len;
		int err = wait_within_deadline(s, POLLIN);
		if (err)
			return err;
		ssize_t n = recv(s->fd, dst, room, 0);
		if (n == 0)
			return KTLS_ECLOSED;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return KTLS_WANT_READ;
			snprintf(s->error, sizeof(s->error), "recv: %s", strerror(errno));
			return KTLS_EIO;
		}
		s->rec_len += (size_t)n;
		if (!s->rec && s->rec_len == TLS_RECORD_HEADER_LEN) {
			if (!(s->rec = malloc(TLS_MAX_RECORD))) {
				snprintf(s->error, sizeof(s->error), "out of memory");
				return KTLS_ENOMEM;
			}
			memcpy(s->rec, s->rec_hdr, TLS_RECORD_HEADER_LEN);
		}
	}
	return 0;
}

int ktls_read_record(struct ktls_session *s)
{
	uint8_t type;
	size_t body;
	int err = read_upto(s, TLS_RECORD_HEADER_LEN);
	if (err)
		return err;
	err = ktls_record_parse_header(s->rec, &type, &body);
	if (err)
		return err;
	return read_upto(s, TLS_RECORD_HEADER_LEN + body);
}

int ktls_set_tx_secret(struct ktls_session *s, const uint8_t *secret)
{
	ktls_record_key_wipe(&s->tx);
	int err = ktls_record_key_from_secret(&s->tx, s->suite, secret);
	s->tx_protected = !err;
	return err;
}

int ktls_set_rx_secret(struct ktls_session *s, const uint8_t *secret)
{
	/* §5.1: handshake messages must not span a key change */
	if (s->hs_in.len != s->hs_in.pos)
		return ktls_hs_fail(s, KTLS_EUNEXPECTED,
				    "handshake message crosses a key change (RFC 8446 §5.1)");
	ktls_record_key_wipe(&s->rx);
	int err = ktls_record_key_from_secret(&s->rx, s->suite, secret);
	s->rx_protected = !err;
	return err;
}

int ktls_on_alert(struct ktls_session *s, const uint8_t *body, size_t len)
{
	uint8_t level, desc;
	/* §5.4: an Alert record with no content "MUST" end the connection with
	 * unexpected_message (a short or long one is merely malformed: decode_error) */
	if (len == 0)
		return ktls_hs_fail(s, KTLS_EUNEXPECTED, "empty alert record");
	if (ktls_decode_alert(body, len, &level, &desc))
		return ktls_hs_fail(s, KTLS_EDECODE, "malformed alert record");
	s->alert_received = desc;
	const char *name = ktls_alert_name(desc);
	ktls_trace(s, "<<< alert %s (%s)", name ? name : "unknown", level == 1 ? "warning" : "fatal");
	if (desc == TLS_ALERT_CLOSE_NOTIFY) {
		s->close_notify_received = true;
		return KTLS_ECLOSED;
	}
	if (desc == TLS_ALERT_USER_CANCELED)
		return 0; /* §6.1: followed by close_notify; keep reading */
	if (name)
		return ktls_hs_fail(s, KTLS_EALERT, "peer sent alert: %s", name);
	return ktls_hs_fail(s, KTLS_EALERT, "peer sent alert: unknown (%u)", desc);
}

/* An alert during the handshake: even close_notify ends it as a failure, and so does
 * user_canceled (§6.1: the peer is canceling the handshake; close_notify follows). */
static int handshake_alert(struct ktls_session *s, const uint8_t *body, size_t len)
{
	int err = ktls_on_alert(s, body, len);
	if (err == KTLS_ECLOSED)
		return ktls_hs_fail(s, err, "peer closed the connection during the handshake");
	if (!err)
		return ktls_hs_fail(s, KTLS_EALERT, "peer canceled the handshake (user_canceled)");
	return err;
}

/* What a record during the handshake brought: handshake bytes (0), or nothing (a
 * change_cipher_spec, skipped early data): it counts against the work budget. */
#define HS_RECORD_IDLE 1

/* §4.2.10: a server that declines 0-RTT skips the client's early records "up to the
 * configured max_early_data_size"; we take none, so the bound is ours: 16 full records. */
static int skip_early_record(struct ktls_session *s, size_t len)
{
	s->early_data_skipped += len;
	if (s->early_data_skipped > 16 * TLS_MAX_CIPHERTEXT)
		return ktls_hs_fail(s, KTLS_EBADMAC, "too much unreadable early data");
	return HS_RECORD_IDLE;
}

/* One record during the handshake: plaintext or protected, of whatever type. Returns 0,
 * HS_RECORD_IDLE, or the failure. */
static int handshake_record(struct ktls_session *s)
{
	uint8_t type = s->rec[0], *body = s->rec + TLS_RECORD_HEADER_LEN;
	size_t len = s->rec_len - TLS_RECORD_HEADER_LEN;
	int err;

	s->rec_len = 0; /* the next read starts a new record */
	/* §5.1: no plaintext record may exceed 2^14 bytes, whatever its type */
	if (type != TLS_CONTENT_APPLICATION_DATA && len > TLS_MAX_PLAINTEXT)
		return ktls_hs_fail(s, KTLS_EOVERFLOW, "plaintext record over 2^14 bytes");
	if (type == TLS_CONTENT_CHANGE_CIPHER_SPEC) {
		/* §5: a single 0x01 byte between ClientHello and the peer's Finished is a
		 * middlebox-compatibility no-op (§D.4); anything else is unexpected, and so is
		 * any record between the fragments of a handshake message (§5.1). A peer sends
		 * one per handshake (§D.4): a second is refused, so a stream of them cannot keep
		 * the handshake busy (the lesson of CVE-2020-25648). */
		if (!s->ccs_allowed || len != 1 || body[0] != 1 || s->hs_in.len != s->hs_in.pos)
			return ktls_hs_fail(s, KTLS_EUNEXPECTED, "unexpected change_cipher_spec record");
		if (s->ccs_received)
			return ktls_hs_fail(s, KTLS_EUNEXPECTED, "a second change_cipher_spec record "
					    "(one per handshake, RFC 8446 Appendix D.4)");
		s->ccs_received = true;
		return HS_RECORD_IDLE;
	}
	if (type == TLS_CONTENT_ALERT && (!s->rx_protected || len == 2)) {
		/* a peer that failed may not have had our keys: report its alert by name */
		return handshake_alert(s, body, len);
	}
	if (s->rx_protected) {
		uint8_t *plain;
		size_t plain_len;
		err = ktls_record_open(&s->rx, s->rec, TLS_RECORD_HEADER_LEN + len, &type, &plain,
				       &plain_len);
		if (err == KTLS_EBADMAC && s->skip_early_data) {
			/* §4.2.10: 0-RTT records under the early keys we declined: skip them, up
			 * to a bound, until the first record our handshake key opens */
			return skip_early_record(s, len);
		}
		if (err)
			return ktls_hs_fail(s, err, "cannot decrypt handshake record: %s",
					    ktls_strerror(err));
		s->skip_early_data = false;
		body = plain;
		len = plain_len;
		if (type == TLS_CONTENT_ALERT) {
			return handshake_alert(s, body, len);
		}
	} else if (type == TLS_CONTENT_APPLICATION_DATA && s->skip_early_data) {
		/* §4.2.10: after our HelloRetryRequest, the 0-RTT records a client sent behind its
		 * first ClientHello arrive before its second: skipped, within the same bound */
		return skip_early_record(s, len);
	} else if (len > TLS_MAX_PLAINTEXT) {
		return ktls_hs_fail(s, KTLS_EOVERFLOW, "plaintext record over 2^14 bytes");
	}
	if (type != TLS_CONTENT_HANDSHAKE)
		return ktls_hs_fail(s, KTLS_EUNEXPECTED, "%s record during the handshake",
				    type == TLS_CONTENT_APPLICATION_DATA ? "application data"
									  : "unexpected");
	if (len == 0) /* §5.1: no zero-length handshake fragments */
		return ktls_hs_fail(s, KTLS_EUNEXPECTED, "empty handshake record");
	/* a message header announcing more than the limit is refused in dispatch_messages as
	 * soon as it is seen; this bounds what can pile up before a header is complete */
	if (s->hs_in.len - s->hs_in.pos + len > s->cfg->limits.max_handshake_message + TLS_MAX_PLAINTEXT)
		return ktls_hs_fail(s, KTLS_EDECODE, "handshake message too large");
	err = ktls_buf_append(&s->hs_in, body, len);
	return err ? ktls_hs_fail(s, err, "out of memory") : 0;
}

/* ---- dispatch ------------------------------------------------------------------------ */

/* The order of the handshake (RFC 8446 §2, §A): in each state, which messages may come
 * and who handles them. Anything else is unexpected_message. */
static const struct {
	enum ktls_hs_state state;
	uint8_t type;
	ktls_hs_handler handle;
} dispatch[] = {
	{ HS_CLIENT_WAIT_SH, TLS_HS_SERVER_HELLO, ktls_client_on_server_hello },
	{ HS_CLIENT_WAIT_EE, TLS_HS_ENCRYPTED_EXTENSIONS, ktls_client_on_encrypted_extensions },
	{ HS_CLIENT_WAIT_CERT_CR, TLS_HS_CERTIFICATE_REQUEST, ktls_client_on_certificate_request },
	{ HS_CLIENT_WAIT_CERT_CR, TLS_HS_CERTIFICATE, ktls_client_on_certificate },
	{ HS_CLIENT_WAIT_CERT, TLS_HS_CERTIFICATE, ktls_client_on_certificate },
	{ HS_CLIENT_WAIT_CV, TLS_HS_CERTIFICATE_VERIFY, ktls_client_on_certificate_verify },
	{ HS_CLIENT_WAIT_FINISHED, TLS_HS_FINISHED, ktls_client_on_finished },
	{ HS_SERVER_WAIT_CH, TLS_HS_CLIENT_HELLO, ktls_server_on_client_hello },
	{ HS_SERVER_WAIT_CERT, TLS_HS_CERTIFICATE, ktls_server_on_certificate },
	{ HS_SERVER_WAIT_CV, TLS_HS_CERTIFICATE_VERIFY, ktls_server_on_certificate_verify },
	{ HS_SERVER_WAIT_FINISHED, TLS_HS_FINISHED, ktls_server_on_finished },
};

/* Hands every complete message in hs_in to its handler. */
static int dispatch_messages(struct ktls_session *s)
{
	while (s->state != HS_CONNECTED && s->state != HS_FAILED) {
		struct wire_reader r;
		uint8_t type;
		uint32_t len;
		size_t avail = s->hs_in.len - s->hs_in.pos;
		if (!avail)
			return 0; /* (and hs_in.data may still be NULL) */
		const uint8_t *msg = s->hs_in.data + s->hs_in.pos;

		wire_reader_init(&r, msg, avail);
		if (wire_get_u8(&r, &type) || wire_get_u24(&r, &len))
			return 0; /* need more */
		const struct ktls_limits *lim = &s->cfg->limits;
		if (len > lim->max_handshake_message ||
		    (type == TLS_HS_CLIENT_HELLO && len > lim->max_client_hello))
			return ktls_hs_fail(s, KTLS_EDECODE, "%s message of %u bytes is over the limit",
					    ktls_handshake_type_name(type) ? ktls_handshake_type_name(type)
									   : "handshake",
					    len);
		if (wire_remaining(&r) < len)
			return 0;
		size_t total = TLS_HANDSHAKE_HEADER_LEN + len;
		ktls_hs_handler handle = NULL;
		for (size_t i = 0; i < sizeof(dispatch) / sizeof(dispatch[0]); i++)
			if (dispatch[i].state == s->state && dispatch[i].type == type)
				handle = dispatch[i].handle;
		ktls_trace_message(s, false, msg, total);
		if (!handle) {
			const char *name = ktls_handshake_type_name(type);
			return ktls_hs_fail(s, KTLS_EUNEXPECTED, "unexpected %s message", name ? name : "unknown handshake");
		}
		/* consumed first: a handler may change keys, which needs hs_in empty (§5.1);
		 * msg stays valid, as nothing is appended to hs_in while it runs */
		ktls_buf_consume(&s->hs_in, total);
		int err = handle(s, msg, total);
		if (err)
			return err;
	}
	return 0;
}

int ktls_session_handshake(struct ktls_session *s)
{
	unsigned idle = 0; /* records this call that added nothing (the work budget, ktls.h) */
	if (s->err)
		return s->err;
	for (;;) {
		if (ktls_hs_time_left(s) == 0)
			return ktls_hs_fail(s, KTLS_ETIMEOUT, "handshake not finished within %u ms",
					    s->cfg->limits.handshake_timeout_ms);
		int err = ktls_flush(s);
		if (err == KTLS_WANT_WRITE)
			return err;
		if (err == KTLS_ETIMEOUT)
			return ktls_hs_fail(s, err, "handshake not finished within %u ms",
					    s->cfg->limits.handshake_timeout_ms);
		if (err)
			return ktls_hs_fail(s, err, "%s", s->error);
		if (s->state == HS_CONNECTED) {
			if (!s->offload_decided) {
				s->offload_decided = true;
				release_handshake_state(s);
				err = ktls_session_offload(s);
				if (!err && s->role == KTLS_ROLE_SERVER)
					err = ktls_server_send_tickets(s);
				if (err)
					return err;
				continue; /* flush what the tickets queued */
			}
			return 0;
		}
		if (s->state == HS_CLIENT_START) {
			err = ktls_client_start(s);
			if (err)
				return err;
			continue;
		}
		err = ktls_read_record(s);
		if (err == KTLS_WANT_READ) {
			release_idle_buffers(s);
			return err;
		}
		if (err == KTLS_ETIMEOUT)
			return ktls_hs_fail(s, err, "handshake not finished within %u ms: the peer is "
					    "too slow or silent", s->cfg->limits.handshake_timeout_ms);
		if (err == KTLS_ECLOSED)
			return ktls_hs_fail(s, err, "peer closed the connection during the handshake");
		if (err == KTLS_EIO || err == KTLS_ENOMEM)
			return ktls_hs_fail(s, err, "%s", s->error);
		if (err)
			return ktls_hs_fail(s, err, "bad record header: %s", ktls_strerror(err));
		err = handshake_record(s);
		if (err == HS_RECORD_IDLE) {
			if (++idle >= KTLS_IDLE_RECORD_BUDGET && !s->blocking)
				return KTLS_WANT_READ; /* the rest waits for the next call */
			continue;
		}
		if (!err)
			err = dispatch_messages(s);
		if (err)
			return err;
	}
}

int ktls_handshake(int fd, const struct ktls_config *cfg, struct ktls_session **out)
{
	struct ktls_session *s = ktls_session_new(cfg, fd);
	*out = s;
	if (!s)
		return KTLS_ENOMEM;
	for (;;) {
		int err = ktls_session_handshake(s);
		if (err != KTLS_WANT_READ && err != KTLS_WANT_WRITE)
			return err;
		struct pollfd p = { .fd = fd, .events = err == KTLS_WANT_READ ? POLLIN : POLLOUT };
		if (poll(&p, 1, ktls_hs_time_left(s)) < 0 && errno != EINTR)
			return ktls_hs_fail(s, KTLS_EIO, "poll: %s", strerror(errno));
	}
}
