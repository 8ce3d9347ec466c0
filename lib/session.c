/*
 * session.c — application data over an established session, in userspace for now: send,
 * receive (with alerts and post-handshake messages), close_notify, and session info.
 */
#include "session.h"

#include "alert.h"
#include "sig.h"

#include <errno.h>
#include <string.h>

static int ensure_connected(struct ktls_session *s)
{
	if (s->err)
		return s->err;
	if (s->state != HS_CONNECTED) {
		int err = ktls_session_handshake(s);
		if (err)
			return err;
	}
	return 0;
}

long ktls_send(struct ktls_session *s, const void *buf, size_t len)
{
	int err = ensure_connected(s);
	if (err)
		return err;
	if (s->close_notify_sent)
		return KTLS_EINVAL;
	/* finish what an earlier call left queued before taking more */
	err = ktls_flush(s);
	if (err == KTLS_WANT_WRITE)
		return err;
	if (err)
		return ktls_hs_fail(s, err, "%s", s->error);
	err = ktls_queue_record(s, TLS_CONTENT_APPLICATION_DATA, buf, len);
	if (err)
		return ktls_hs_fail(s, err, "cannot protect application data: %s", ktls_strerror(err));
	err = ktls_flush(s);
	if (err && err != KTLS_WANT_WRITE)
		return ktls_hs_fail(s, err, "%s", s->error);
	/* queued bytes are ours now; a non-blocking caller flushes on its next call */
	return (long)len;
}

/* A handshake message after the handshake (§4.6): tickets are dropped for now (resumption
 * comes later), KeyUpdate changes the read key and, if asked, ours too. */
static int post_handshake_message(struct ktls_session *s, const uint8_t *p, size_t len)
{
	struct wire_reader r;
	const uint8_t *body;
	uint8_t type;
	uint32_t mlen;

	wire_reader_init(&r, p, len);
	while (wire_remaining(&r)) {
		if (wire_get_u8(&r, &type) || wire_get_u24(&r, &mlen) ||
		    wire_get_view(&r, mlen, &body))
			return ktls_hs_fail(s, KTLS_EDECODE,
					    "post-handshake message split across records");
		if (type == TLS_HS_NEW_SESSION_TICKET) {
			struct ktls_new_session_ticket t;
			int err = ktls_decode_new_session_ticket(body, mlen, &t);
			if (err)
				return ktls_hs_fail(s, err, "malformed NewSessionTicket");
			continue;
		}
		if (type == TLS_HS_KEY_UPDATE) {
			uint8_t request;
			int err = ktls_decode_key_update(body, mlen, &request);
			if (err)
				return ktls_hs_fail(s, err, "malformed KeyUpdate");
			/* §4.6.3 / §7.2: next read key; answer update_requested with ours */
			uint8_t *rx_secret = s->role == KTLS_ROLE_CLIENT ? s->ks.server_application_traffic
									 : s->ks.client_application_traffic;
			err = ktls_next_traffic_secret(s->suite->md(), rx_secret, rx_secret);
			if (!err)
				err = ktls_set_rx_secret(s, rx_secret);
			if (!err && request == 1) {
				uint8_t msg[5];
				struct wire_writer w;
				uint8_t *tx_secret = s->role == KTLS_ROLE_CLIENT
							     ? s->ks.client_application_traffic
							     : s->ks.server_application_traffic;
				wire_writer_init(&w, msg, sizeof(msg));
				err = ktls_encode_key_update(&w, 0);
				if (!err)
					err = ktls_queue_record(s, TLS_CONTENT_HANDSHAKE, msg, w.len);
				if (!err)
					err = ktls_next_traffic_secret(s->suite->md(), tx_secret, tx_secret);
				if (!err)
					err = ktls_set_tx_secret(s, tx_secret);
			}
			if (err)
				return s->err ? err : ktls_hs_fail(s, err, "KeyUpdate failed: %s", ktls_strerror(err));
			continue;
		}
		return ktls_hs_fail(s, KTLS_EUNEXPECTED, "unexpected %s message after the handshake",
				    ktls_handshake_type_name(type) ? ktls_handshake_type_name(type)
								   : "handshake");
	}
	return 0;
}

long ktls_recv(struct ktls_session *s, void *buf, size_t len)
{
	int err = ensure_connected(s);
	if (err)
		return err;
	for (;;) {
		size_t have = s->app_in.len - s->app_in.pos;
		if (have) {
			size_t n = have < len ? have : len;
			memcpy(buf, s->app_in.data + s->app_in.pos, n);
			ktls_buf_consume(&s->app_in, n);
			return (long)n;
		}
		if (s->close_notify_received)
			return 0;
		err = ktls_flush(s); /* e.g. our KeyUpdate answer */
		if (err && err != KTLS_WANT_WRITE)
			return ktls_hs_fail(s, err, "%s", s->error);
		err = ktls_read_record(s);
		if (err == KTLS_WANT_READ)
			return err;
		if (err == KTLS_ECLOSED)
			return ktls_hs_fail(s, err, "connection closed without close_notify");
		if (err)
			return ktls_hs_fail(s, err, "%s", err == KTLS_EIO ? s->error : ktls_strerror(err));
		size_t rec_len = s->rec_len;
		s->rec_len = 0;
		uint8_t type, *plain;
		size_t plain_len;
		err = ktls_record_open(&s->rx, s->rec, rec_len, &type, &plain, &plain_len);
		if (err)
			return ktls_hs_fail(s, err, "cannot decrypt record: %s", ktls_strerror(err));
		switch (type) {
		case TLS_CONTENT_APPLICATION_DATA:
			if (plain_len <= len) { /* straight to the caller */
				memcpy(buf, plain, plain_len);
				if (plain_len)
					return (long)plain_len;
				continue;
			}
			err = ktls_buf_append(&s->app_in, plain, plain_len);
			if (err)
				return ktls_hs_fail(s, err, "out of memory");
			continue;
		case TLS_CONTENT_ALERT: {
			uint8_t level, desc;
			if (ktls_decode_alert(plain, plain_len, &level, &desc))
				return ktls_hs_fail(s, KTLS_EDECODE, "malformed alert");
			s->alert_received = desc;
			if (desc == TLS_ALERT_CLOSE_NOTIFY) {
				s->close_notify_received = true;
				return 0;
			}
			if (desc == TLS_ALERT_USER_CANCELED)
				continue;
			const char *name = ktls_alert_name(desc);
			return ktls_hs_fail(s, KTLS_EALERT, "peer sent alert: %s",
					    name ? name : "unknown");
		}
		case TLS_CONTENT_HANDSHAKE:
			err = post_handshake_message(s, plain, plain_len);
			if (err)
				return err;
			continue;
		default:
			return ktls_hs_fail(s, KTLS_EUNEXPECTED, "unexpected record type %u after the handshake",
					    type);
		}
	}
}

int ktls_close(struct ktls_session *s)
{
	if (s->err)
		return s->err;
	if (s->state != HS_CONNECTED)
		return KTLS_EINVAL;
	if (!s->close_notify_sent) {
		uint8_t body[2] = { 1 /* warning */, TLS_ALERT_CLOSE_NOTIFY };
		int err = ktls_queue_record(s, TLS_CONTENT_ALERT, body, 2);
		if (err)
			return err;
		s->close_notify_sent = true;
		s->alert_sent = TLS_ALERT_CLOSE_NOTIFY;
	}
	int err = ktls_flush(s);
	return err == KTLS_EIO ? ktls_hs_fail(s, err, "%s", s->error) : err;
}

int ktls_session_get_info(const struct ktls_session *s, struct ktls_session_info *info)
{
	if (!s || !info)
		return KTLS_EINVAL;
	memset(info, 0, sizeof(*info));
	info->version = s->state == HS_CONNECTED ? TLS_VERSION_1_3 : 0;
	info->cipher_suite = s->suite ? s->suite->id : 0;
	info->group = s->group;
	info->signature_scheme = s->role == KTLS_ROLE_CLIENT ? s->sig_scheme : s->our_sig_scheme;
	info->alpn = s->has_alpn ? s->alpn : NULL;
	info->server_name = s->has_server_name ? s->server_name : NULL;
	info->peer_subject = s->has_peer_subject ? s->peer_subject : NULL;
	info->hello_retry = s->hello_retry;
	info->alert_sent = s->alert_sent;
	info->alert_received = s->alert_received;
	return 0;
}

const char *ktls_group_display_name(uint16_t group)
{
	return ktls_group_name(group);
}

const char *ktls_sig_scheme_display_name(uint16_t scheme)
{
	return ktls_signature_scheme_name(scheme);
}
