/*
 * session.c — life after the handshake: the handoff of the traffic keys to the kernel, and
 * application data, alerts, post-handshake messages and close_notify over whichever record
 * layer carries each direction — the kernel's (kTLS) or ours (userspace fallback).
 *
 * The kernel handoff (DESIGN.md): nothing after the peer's Finished has been read (the
 * handshake reads one record at a time), so every byte still in the socket belongs to the
 * kernel once TLS_RX is set. With kernel RX, a record that is not application data (alert,
 * NewSessionTicket, KeyUpdate) makes a plain recv() fail with EIO: we read with recvmsg and a
 * cmsg buffer, learn the type from TLS_GET_RECORD_TYPE, and insist on MSG_EOR for control
 * records. With kernel TX, alerts and handshake messages go out with a TLS_SET_RECORD_TYPE
 * cmsg so the kernel's sequence numbers stay right.
 */
#include "session.h"

#include "alert.h"
#include "hkdf.h"
#include "sig.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

/* ---- the handoff --------------------------------------------------------------------- */

static uint8_t *own_app_secret(struct ktls_session *s)
{
	return s->role == KTLS_ROLE_CLIENT ? s->ks.client_application_traffic
					   : s->ks.server_application_traffic;
}

static uint8_t *peer_app_secret(struct ktls_session *s)
{
	return s->role == KTLS_ROLE_CLIENT ? s->ks.server_application_traffic
					   : s->ks.client_application_traffic;
}

int ktls_session_offload(struct ktls_session *s)
{
	const struct ktls_config *cfg = s->cfg;
	char reason[sizeof(s->offload_status)] = "";
	bool want_tx = cfg->offload == KTLS_OFFLOAD_BOTH || cfg->offload == KTLS_OFFLOAD_TX;
	bool want_rx = cfg->offload == KTLS_OFFLOAD_BOTH || cfg->offload == KTLS_OFFLOAD_RX;
	int err = 0;

	if (!want_tx && !want_rx) {
		snprintf(s->offload_status, sizeof(s->offload_status), "offload disabled by configuration");
		return 0;
	}
	/* preconditions: nothing of ours still queued, nothing of the peer's read ahead */
	if (s->out.len != s->out.pos || s->app_in.len != s->app_in.pos || s->rec_len)
		return ktls_hs_fail(s, KTLS_EINTERNAL, "cannot offload: data still buffered in userspace");

	err = ktls_offload_check_suite(s->suite, reason, sizeof(reason));
	if (!err)
		err = ktls_offload_attach(cfg->setsockopt_fn, s->fd, reason, sizeof(reason));
	if (!err && want_tx) {
		err = ktls_offload_install(cfg->setsockopt_fn, s->fd, TLS_TX, s->suite,
					   own_app_secret(s), s->tx.seq, reason, sizeof(reason));
		s->tx_offloaded = !err;
	}
	if (!err && want_rx) {
		err = ktls_offload_install(cfg->setsockopt_fn, s->fd, TLS_RX, s->suite,
					   peer_app_secret(s), s->rx.seq, reason, sizeof(reason));
		s->rx_offloaded = !err;
	}
	/* Can this kernel rekey (TLS 1.3 KeyUpdate, Linux 6.14+)? Ask the socket itself:
	 * installing the same TX key again at the same sequence number is a no-op where rekey
	 * exists and EBUSY where it does not. Nothing has been sent under the kernel's key
	 * yet, so nothing can be disturbed. */
	if (s->tx_offloaded) {
		char ignore[sizeof(s->offload_status)];
		s->kernel_rekey = !ktls_offload_install(cfg->setsockopt_fn, s->fd, TLS_TX, s->suite,
							own_app_secret(s), s->tx.seq, ignore,
							sizeof(ignore));
	}
	/* optional features: asked for, never required (older kernels lack them) */
	int one = 1;
	if (s->tx_offloaded && cfg->offload_flags & KTLS_OFFLOAD_TX_ZEROCOPY)
		s->tx_zerocopy = cfg->setsockopt_fn(s->fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &one,
						    sizeof(one)) == 0;
	if (s->rx_offloaded && cfg->offload_flags & KTLS_OFFLOAD_RX_NO_PAD)
		s->rx_no_pad = cfg->setsockopt_fn(s->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one,
						  sizeof(one)) == 0;
	snprintf(s->offload_status, sizeof(s->offload_status), "%s", reason);
	if (s->tx_offloaded)
		ktls_record_key_wipe(&s->tx);
	if (s->rx_offloaded) {
		ktls_record_key_wipe(&s->rx);
		/* the kernel reads from here on; our record buffer is no longer needed */
		ktls_release_record_buffer(s);
	}
	/* What the kernel holds we do not keep: the handshake secrets and the master secret go
	 * now. An application traffic secret stays only while something can use it: our own
	 * record layer for that direction, or a kernel that can take the next key a KeyUpdate
	 * (§7.2) derives from it. The exporter master secret stays for exporters (§7.5). */
	sodium_memzero(s->ks.secret, sizeof(s->ks.secret));
	sodium_memzero(s->ks.client_handshake_traffic, sizeof(s->ks.client_handshake_traffic));
	sodium_memzero(s->ks.server_handshake_traffic, sizeof(s->ks.server_handshake_traffic));
	if (s->tx_offloaded && !s->kernel_rekey) {
		sodium_memzero(own_app_secret(s), KTLS_MAX_HASH_LEN);
		s->tx_secret_wiped = true;
	}
	if (s->rx_offloaded && s->tx_offloaded && !s->kernel_rekey) {
		sodium_memzero(peer_app_secret(s), KTLS_MAX_HASH_LEN);
		s->rx_secret_wiped = true;
	}
	ktls_trace(s, "--- offload: tx %s, rx %s%s%s", s->tx_offloaded ? "kernel" : "userspace",
		   s->rx_offloaded ? "kernel" : "userspace", *reason ? ": " : "", reason);
	if (err && cfg->offload_required)
		return ktls_hs_fail(s, KTLS_EOFFLOAD, "kernel TLS required but unavailable: %s", reason);
	return 0;
}

/* ---- kernel I/O ---------------------------------------------------------------------- */

/* Waits until fd is ready for events (on a non-blocking socket in a blocking call). */
static void wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	poll(&p, 1, -1);
}

/* One sendmsg of a record of `type` through kernel TX (a TLS_SET_RECORD_TYPE cmsg unless it
 * is application data). Zero bytes of application data carry the cmsg too: that sends no
 * record, but makes the kernel end the record a MSG_MORE send left open (tls_process_cmsg
 * closes an open record before a record type is set). Returns bytes taken, or -errno. */
static ssize_t kernel_sendmsg(int fd, uint8_t type, const uint8_t *data, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint8_t))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (type != TLS_CONTENT_APPLICATION_DATA || !len) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_TLS;
		c->cmsg_type = TLS_SET_RECORD_TYPE;
		c->cmsg_len = CMSG_LEN(sizeof(uint8_t));
		*CMSG_DATA(c) = type;
	}
	ssize_t n;
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Writes queued control records (type u8, length u16, bytes) through kernel TX. Returns 0,
 * KTLS_WANT_WRITE (non-blocking, socket full) or KTLS_EIO. */
int ktls_kernel_flush(struct ktls_session *s)
{
	while (s->ctl_out.pos < s->ctl_out.len) {
		uint8_t *rec = s->ctl_out.data + s->ctl_out.pos;
		size_t len = (size_t)rec[1] << 8 | rec[2];
		ssize_t n = kernel_sendmsg(s->fd, rec[0], rec + 3, len);
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			if (!s->blocking)
				return KTLS_WANT_WRITE;
			wait_fd(s->fd, POLLOUT);
			continue;
		}
		if (n < 0) {
			snprintf(s->error, sizeof(s->error), "sendmsg: %s", strerror((int)-n));
			return KTLS_EIO;
		}
		if ((size_t)n < len) { /* the rest goes as a record of its own, of the same type */
			memmove(rec + 3, rec + 3 + n, len - (size_t)n);
			len -= (size_t)n;
			rec[1] = (uint8_t)(len >> 8);
			rec[2] = (uint8_t)len;
			continue;
		}
		ktls_buf_consume(&s->ctl_out, 3 + len);
	}
	return 0;
}

int ktls_kernel_send_record(struct ktls_session *s, uint8_t type, const uint8_t *data, size_t len)
{
	/* control records queue in order behind each other; a non-blocking caller is never
	 * made to wait here, its next flush sends them */
	uint8_t hdr[3] = { type, (uint8_t)(len >> 8), (uint8_t)len };
	if (len > TLS_MAX_PLAINTEXT)
		return KTLS_EINVAL;
	int err = ktls_buf_append(&s->ctl_out, hdr, sizeof(hdr));
	if (!err)
		err = ktls_buf_append(&s->ctl_out, data, len);
	if (err)
		return err;
	err = ktls_kernel_flush(s);
	return err == KTLS_WANT_WRITE ? 0 : err;
}

/* recvmsg on kernel RX failed with errno e: the session fails with the alert that names it.
 *
 * What the kernel tells apart (net/tls/tls_sw.c and tls_strp.c, Linux 6.1 to 7.x; the
 * errors are those of Documentation/networking/tls.rst):
 *   EBADMSG  the record does not open: a bad tag, a TLSInnerPlaintext without a content type
 *            (all zeros after the padding is stripped), or a record shorter than a tag (a
 *            plaintext change_cipher_spec after the handshake). The outer content type is
 *            never compared: the additional data the kernel authenticates always says
 *            application_data, so another type in the header fails as a bad tag. One errno
 *            for all of them, so bad_record_mac (RFC 8446 §5.2), the alert true for each,
 *            although §5 and §5.4 would name unexpected_message for the last two.
 *   EMSGSIZE the length field is over 2^14 + 1 + tag: record_overflow (§5.2).
 *   EINVAL   legacy_record_version is not 0x0303 (§5.1 says to ignore it; the kernel does
 *            not): decode_error, a field out of its range (§6.2).
 * The kernel leaves the error pending on the socket (sk_err) — after a failed decryption it
 * stays there — and TCP sends nothing while it does, our alert included. Reading SO_ERROR
 * clears it, so it is read first, whichever the error. */
static int kernel_rx_failed(struct ktls_session *s, int e)
{
	int pending = 0;
	socklen_t len = sizeof(pending);
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &pending, &len)) { /* nothing to clear */ }
	switch (e) {
	case EBADMSG:
		return ktls_hs_fail(s, KTLS_EBADMAC, "the kernel could not open a record: bad tag, no "
				    "content type, or not protected (bad_record_mac)");
	case EMSGSIZE:
		return ktls_hs_fail(s, KTLS_EOVERFLOW, "the kernel received a record over the "
				    "size limit (record_overflow)");
	case EINVAL:
		return ktls_hs_fail(s, KTLS_EDECODE, "the kernel refused a record header "
				    "(legacy_record_version not 0x0303)");
	case EKEYEXPIRED:
		return ktls_hs_fail(s, KTLS_EKEYUPDATE, "kernel RX is paused for a key update");
	default:
		return ktls_hs_fail(s, KTLS_EIO, "recvmsg: %s", strerror(e));
	}
}

/* Reads from kernel RX: application data straight into buf, or one whole control record
 * into s->ctl. Returns bytes of data, 0 with *ctl_type set for a control record, or an
 * error (KTLS_WANT_READ, KTLS_ECLOSED at EOF, ...). */
static long kernel_recv(struct ktls_session *s, void *buf, size_t len, uint8_t *ctl_type)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint8_t))];
		struct cmsghdr align;
	} cbuf;
	uint8_t *dst = buf;
	size_t cap = len;
	bool in_control = false;

	*ctl_type = 0;
	for (;;) {
		struct iovec iov = { .iov_base = dst, .iov_len = cap };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
				      .msg_controllen = sizeof(cbuf.buf) };
		ssize_t n = recvmsg(s->fd, &msg, 0);
		if (n < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			if ((e == EAGAIN || e == EWOULDBLOCK) && !in_control)
				return KTLS_WANT_READ;
			if (e == EAGAIN || e == EWOULDBLOCK) { /* rest of a control record */
				wait_fd(s->fd, POLLIN);
				continue;
			}
			return kernel_rx_failed(s, e);
		}
		if (msg.msg_flags & MSG_CTRUNC)
			return ktls_hs_fail(s, KTLS_EINTERNAL, "record type cmsg truncated (MSG_CTRUNC)");
		uint8_t type = TLS_CONTENT_APPLICATION_DATA;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_TLS && c->cmsg_type == TLS_GET_RECORD_TYPE)
				type = *CMSG_DATA(c);
		if (n == 0 && !in_control)
			return KTLS_ECLOSED; /* TCP end of stream */
		if (type == TLS_CONTENT_APPLICATION_DATA && !in_control)
			return n;
		/* a control record: gather it whole into s->ctl */
		if (!in_control) {
			if (!s->ctl && !(s->ctl = malloc(TLS_MAX_PLAINTEXT)))
				return ktls_hs_fail(s, KTLS_ENOMEM, "out of memory");
			if ((size_t)n > TLS_MAX_PLAINTEXT)
				return ktls_hs_fail(s, KTLS_EOVERFLOW, "control record too large");
			memcpy(s->ctl, buf, (size_t)n);
			s->ctl_len = (size_t)n;
			in_control = true;
			*ctl_type = type;
		} else {
			if (type != *ctl_type || n == 0)
				return ktls_hs_fail(s, KTLS_EUNEXPECTED, "control record ended early");
			s->ctl_len += (size_t)n;
		}
		if (msg.msg_flags & MSG_EOR)
			return 0;
		if (s->ctl_len >= TLS_MAX_PLAINTEXT)
			return ktls_hs_fail(s, KTLS_EOVERFLOW, "control record without MSG_EOR");
		dst = s->ctl + s->ctl_len;
		cap = TLS_MAX_PLAINTEXT - s->ctl_len;
	}
}

/* ---- sending ------------------------------------------------------------------------- */

static int ensure_connected(struct ktls_session *s)
{
	if (s->err)
		return s->err;
	if (s->state != HS_CONNECTED || !s->offload_decided)
		return ktls_session_handshake(s);
	return 0;
}

/* Writes queued records (control records with kernel TX, ours otherwise); what
 * KTLS_SEND_MORE holds back stays. Returns 0, KTLS_WANT_WRITE or the failure. */
static int flush_queued(struct ktls_session *s)
{
	int err = ktls_flush(s);
	if (err && err != KTLS_WANT_WRITE)
		return ktls_hs_fail(s, err, "%s", s->error);
	return err;
}

/* The userspace record layer: data behind the bytes KTLS_SEND_MORE held (tx_hold), in
 * records of 2^14 bytes; with `more`, a last partial record is held back instead of sent.
 * A record at a time, and never more than one record waiting beyond what the socket took,
 * so a non-blocking caller's memory stays bounded. Returns bytes taken from p (held ones
 * included), KTLS_WANT_WRITE when none could be taken, or the failure. */
static long userspace_send(struct ktls_session *s, const uint8_t *p, size_t len, bool more)
{
	size_t taken = 0;
	for (;;) {
		size_t held = s->tx_hold.len - s->tx_hold.pos, left = len - taken;
		if (!held && !left)
			break;
		if (more && held + left < TLS_MAX_PLAINTEXT) { /* not a whole record yet: keep it */
			int err = left ? ktls_buf_append(&s->tx_hold, p + taken, left) : 0;
			if (err)
				return ktls_hs_fail(s, err, "out of memory");
			taken = len;
			break;
		}
		int err = ktls_flush(s); /* what an earlier call or record left queued */
		if (err == KTLS_WANT_WRITE)
			return taken ? (long)taken : KTLS_WANT_WRITE;
		if (err)
			return ktls_hs_fail(s, err, "%s", s->error);
		size_t n = left < TLS_MAX_PLAINTEXT - held ? left : TLS_MAX_PLAINTEXT - held;
		if (held) { /* the held bytes lead the record */
			err = n ? ktls_buf_append(&s->tx_hold, p + taken, n) : 0;
			if (!err)
				err = ktls_queue_record(s, TLS_CONTENT_APPLICATION_DATA,
							s->tx_hold.data + s->tx_hold.pos, held + n);
			sodium_memzero(s->tx_hold.data, s->tx_hold.cap);
			s->tx_hold.len = s->tx_hold.pos = 0;
		} else {
			err = ktls_queue_record(s, TLS_CONTENT_APPLICATION_DATA, p + taken, n);
		}
		if (err)
			return ktls_hs_fail(s, err, "cannot protect application data: %s",
					    ktls_strerror(err));
		taken += n;
		s->key_update_answered = false; /* data went: the next request gets an answer */
	}
	int err = ktls_flush(s);
	if (err && err != KTLS_WANT_WRITE)
		return ktls_hs_fail(s, err, "%s", s->error);
	/* a record still queued is ours now; the caller's next send or flush moves it */
	return (long)taken;
}

/* Sends what KTLS_SEND_MORE held back: the kernel's open record (ended by an empty sendmsg
 * with a record type), or our held bytes as a record. Returns 0, KTLS_WANT_WRITE or the
 * failure. */
static int release_held(struct ktls_session *s)
{
	if (s->tx_offloaded) {
		if (!s->tx_more)
			return 0;
		ssize_t n = kernel_sendmsg(s->fd, TLS_CONTENT_APPLICATION_DATA, NULL, 0);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return KTLS_WANT_WRITE;
		if (n < 0)
			return ktls_hs_fail(s, KTLS_EIO, "sendmsg: %s", strerror((int)-n));
		s->tx_more = false;
		return 0;
	}
	if (s->tx_hold.len == s->tx_hold.pos)
		return 0;
	long n = userspace_send(s, NULL, 0, false);
	return n < 0 ? (int)n : 0;
}

long ktls_send_flags(struct ktls_session *s, const void *buf, size_t len, unsigned flags)
{
	bool more = flags & KTLS_SEND_MORE;
	if (flags & ~(unsigned)KTLS_SEND_MORE)
		return KTLS_EINVAL;
	int err = ensure_connected(s);
	if (err)
		return err;
	if (s->close_notify_sent)
		return KTLS_EINVAL;
	if (!s->tx_offloaded)
		return userspace_send(s, buf, len, more);
	err = flush_queued(s); /* queued control records go first */
	if (err)
		return err;
	if (!len) /* nothing to add: end the open record unless more is still to come */
		return more ? 0 : release_held(s);
	ssize_t n;
	do
		n = send(s->fd, buf, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		s->tx_more = more; /* without MSG_MORE the kernel ended the record */
		if (n > 0)
			s->key_update_answered = false; /* data went: the next request gets an answer */
		return (long)n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return KTLS_WANT_WRITE;
	return ktls_hs_fail(s, KTLS_EIO, "send: %s", strerror(errno));
}

long ktls_send(struct ktls_session *s, const void *buf, size_t len)
{
	return ktls_send_flags(s, buf, len, 0);
}

int ktls_session_flush(struct ktls_session *s)
{
	if (s->err)
		return s->err;
	int err = release_held(s);
	return err ? err : flush_queued(s); /* the kernel's queue or ours */
}

long ktls_sendfile(struct ktls_session *s, int in_fd, long long *offset, size_t count)
{
	int err = ensure_connected(s);
	if (err)
		return err;
	if (s->tx_offloaded) {
		err = flush_queued(s); /* queued control records go first */
		if (err)
			return err;
		/* the point of kTLS: page cache → kernel TLS → TCP, no userspace copy; a record
		 * KTLS_SEND_MORE left open takes the first bytes of the file */
		off_t off = offset ? (off_t)*offset : 0;
		size_t done = 0;
		while (done < count) {
			ssize_t n = sendfile(s->fd, in_fd, offset ? &off : NULL, count - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				if (done)
					break;
				return KTLS_WANT_WRITE;
			}
			if (n < 0)
				return ktls_hs_fail(s, KTLS_EIO, "sendfile: %s", strerror(errno));
			if (n == 0)
				break; /* end of file */
			done += (size_t)n;
		}
		if (offset)
			*offset = off;
		if (done)
			s->key_update_answered = false; /* data went: the next request gets an answer */
		/* sendfile(2) ends the record with its last byte, unless it stopped short (a full
		 * socket, end of file): then the last pages went with MSG_MORE */
		s->tx_more = done < count;
		return (long)done;
	}
	/* userspace fallback: read, encrypt, write, a record at a time; on a socket that is
	 * full, stop and report what went (the file position says where to go on) */
	uint8_t *buf = malloc(TLS_MAX_PLAINTEXT);
	off_t pos = offset ? (off_t)*offset : lseek(in_fd, 0, SEEK_CUR);
	size_t done = 0;
	long rc = 0;
	if (!buf)
		return KTLS_ENOMEM;
	if (pos < 0) {
		free(buf);
		return ktls_hs_fail(s, KTLS_EIO, "sendfile: the file has no position: %s", strerror(errno));
	}
	while (done < count) {
		/* bytes KTLS_SEND_MORE held lead the first record: fill it up to 2^14 */
		size_t room = TLS_MAX_PLAINTEXT - (s->tx_hold.len - s->tx_hold.pos);
		size_t want = count - done < room ? count - done : room;
		ssize_t n = pread(in_fd, buf, want, pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ktls_hs_fail(s, KTLS_EIO, "read: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break; /* end of file */
		long sent = ktls_send(s, buf, (size_t)n);
		if (sent == KTLS_WANT_WRITE) {
			if (!done)
				rc = KTLS_WANT_WRITE;
			break;
		}
		if (sent < 0) {
			rc = sent;
			break;
		}
		/* one record or less per call: ktls_send took all of it */
		pos += sent;
		done += (size_t)sent;
	}
	free(buf);
	if (offset)
		*offset = pos;
	else if (done)
		lseek(in_fd, pos, SEEK_SET);
	return rc ? rc : (long)done;
}

/* ---- receiving ----------------------------------------------------------------------- */

/* KeyUpdate (§4.6.3): the peer's next key for reading; with update_requested, ours too —
 * announced first under the old key, then switched (§7.2). */
static int on_key_update(struct ktls_session *s, uint8_t request)
{
	char reason[200];
	if (s->rx_secret_wiped)
		return ktls_hs_fail(s, KTLS_EKEYUPDATE,
				    "peer sent KeyUpdate, but this kernel cannot take a new TLS_RX key "
				    "(TLS 1.3 rekey needs Linux 6.14 or later)");
	int err = ktls_next_traffic_secret(s->suite->md(), peer_app_secret(s), peer_app_secret(s));
	if (err)
		return ktls_hs_fail(s, err, "KeyUpdate: %s", ktls_strerror(err));
	if (s->rx_offloaded) {
		err = ktls_offload_install(s->cfg->setsockopt_fn, s->fd, TLS_RX, s->suite,
					   peer_app_secret(s), 0, reason, sizeof(reason));
		if (err)
			return ktls_hs_fail(s, KTLS_EKEYUPDATE,
					    "peer sent KeyUpdate, but this kernel cannot take a new TLS_RX "
					    "key (TLS 1.3 rekey needs Linux 6.14 or later): %s", reason);
	} else {
		err = ktls_set_rx_secret(s, peer_app_secret(s));
		if (err)
			return s->err ? err : ktls_hs_fail(s, err, "KeyUpdate: %s", ktls_strerror(err));
	}
	/* §4.6.3: the answer must go "prior to sending its next Application Data record", so
	 * one answer covers every request that comes before our next data: a peer that asks
	 * again and again, and never reads, costs one queued record, not one per request */
	bool answer = request == 1 && !s->key_update_answered;
	ktls_trace(s, "--- KeyUpdate from peer: new read key%s", answer ? "; answering with ours"
			 : request ? " (our answer is already on its way)" : "");
	if (!answer)
		return 0;
	s->key_update_answered = true;

	uint8_t msg[5];
	struct wire_writer w;
	if (s->tx_secret_wiped)
		return ktls_hs_fail(s, KTLS_EKEYUPDATE,
				    "cannot answer KeyUpdate: this kernel cannot take a new TLS_TX key "
				    "(TLS 1.3 rekey needs Linux 6.14 or later)");
	wire_writer_init(&w, msg, sizeof(msg));
	err = ktls_encode_key_update(&w, 0);
	if (!err)
		err = ktls_queue_record(s, TLS_CONTENT_HANDSHAKE, msg, w.len);
	if (!err)
		err = ktls_next_traffic_secret(s->suite->md(), own_app_secret(s), own_app_secret(s));
	if (err)
		return s->err ? err : ktls_hs_fail(s, err, "KeyUpdate: %s", ktls_strerror(err));
	if (s->tx_offloaded) {
		err = ktls_offload_install(s->cfg->setsockopt_fn, s->fd, TLS_TX, s->suite,
					   own_app_secret(s), 0, reason, sizeof(reason));
		if (err)
			return ktls_hs_fail(s, KTLS_EKEYUPDATE,
					    "cannot answer KeyUpdate: this kernel cannot take a new TLS_TX "
					    "key (TLS 1.3 rekey needs Linux 6.14 or later): %s", reason);
		return 0;
	}
	err = ktls_set_tx_secret(s, own_app_secret(s));
	return err ? ktls_hs_fail(s, err, "KeyUpdate: %s", ktls_strerror(err)) : 0;
}

/* §4.6.1: keeps the latest ticket with its PSK, HKDF-Expand-Label(resumption_master_secret,
 * "resumption", ticket_nonce); a lifetime of 0 means "do not keep". */
static int keep_ticket(struct ktls_session *s, const struct ktls_new_session_ticket *t)
{
	if (!t->ticket_lifetime || t->ticket_len > KTLS_TICKET_MAX)
		return 0;
	if (t->ticket_lifetime > 604800)
		return ktls_hs_fail(s, KTLS_EILLEGAL, "NewSessionTicket lifetime over 7 days");
	if (!s->saved && !(s->saved = calloc(1, sizeof(*s->saved))))
		return ktls_hs_fail(s, KTLS_ENOMEM, "out of memory");
	struct ktls_saved_session *ss = s->saved;
	memset(ss, 0, sizeof(*ss));
	int err = ktls_resumption_psk(s->suite->md(), s->ks.resumption_master, t->ticket_nonce,
				      t->ticket_nonce_len, ss->state.psk);
	if (err)
		return ktls_hs_fail(s, err, "NewSessionTicket: %s", ktls_strerror(err));
	ss->state.psk_len = s->suite->hash_len;
	ss->state.suite = s->suite->id;
	ss->state.age_add = t->ticket_age_add;
	ss->state.issued_ms = ktls_wallclock_ms();
	ss->state.lifetime_s = t->ticket_lifetime;
	snprintf(ss->state.alpn, sizeof(ss->state.alpn), "%s", s->has_alpn ? s->alpn : "");
	snprintf(ss->state.sni, sizeof(ss->state.sni), "%s", s->has_server_name ? s->server_name : "");
	memcpy(ss->ticket, t->ticket, t->ticket_len);
	ss->ticket_len = t->ticket_len;
	ktls_trace(s, "--- kept a session ticket (%zu bytes, lifetime %u s)", t->ticket_len,
		   t->ticket_lifetime);
	return 0;
}

/* Handshake messages after the handshake (§4.6): a ticket is kept for resumption;
 * KeyUpdate changes keys. A message may span records (§5.1), so
 * the bytes gather in hs_in until a whole message is there. */
static int post_handshake_messages(struct ktls_session *s, const uint8_t *p, size_t len)
{
	if (!len) /* §5.1: no zero-length handshake fragments */
		return ktls_hs_fail(s, KTLS_EUNEXPECTED, "empty handshake record");
	if (s->hs_in.len - s->hs_in.pos + len > s->cfg->limits.max_handshake_message + 4)
		return ktls_hs_fail(s, KTLS_EDECODE, "post-handshake message over the limit");
	int err = ktls_buf_append(&s->hs_in, p, len);
	if (err)
		return ktls_hs_fail(s, err, "out of memory");
	for (;;) {
		struct wire_reader r;
		const uint8_t *body;
		uint8_t type = 0;
		uint32_t mlen = 0;

		wire_reader_init(&r, s->hs_in.data + s->hs_in.pos, s->hs_in.len - s->hs_in.pos);
		if (wire_get_u8(&r, &type) || wire_get_u24(&r, &mlen) ||
		    wire_get_view(&r, mlen, &body)) {
			if (mlen > s->cfg->limits.max_handshake_message)
				return ktls_hs_fail(s, KTLS_EDECODE, "post-handshake message over the limit");
			return 0; /* the rest comes in the next record */
		}
		ktls_buf_consume(&s->hs_in, TLS_HANDSHAKE_HEADER_LEN + mlen);
		if (type == TLS_HS_NEW_SESSION_TICKET) {
			struct ktls_new_session_ticket t;
			err = ktls_decode_new_session_ticket(body, mlen, &t);
			if (err)
				return ktls_hs_fail(s, err, "malformed NewSessionTicket");
			if (s->role != KTLS_ROLE_CLIENT)
				return ktls_hs_fail(s, KTLS_EUNEXPECTED, "NewSessionTicket from a client");
			err = keep_ticket(s, &t);
			if (err)
				return err;
		} else if (type == TLS_HS_KEY_UPDATE) {
			uint8_t request;
			err = ktls_decode_key_update(body, mlen, &request);
			if (err)
				return ktls_hs_fail(s, err, "malformed KeyUpdate");
			if (++s->key_updates > s->cfg->limits.max_key_updates)
				return ktls_hs_fail(s, KTLS_EUNEXPECTED, "more than %u KeyUpdates without "
						    "application data between them",
						    s->cfg->limits.max_key_updates);
			/* §5.1: a key change must end its record */
			if (s->hs_in.len != s->hs_in.pos)
				return ktls_hs_fail(s, KTLS_EUNEXPECTED, "data after KeyUpdate in its record");
			err = on_key_update(s, request);
			if (err)
				return err;
		} else {
			const char *name = ktls_handshake_type_name(type);
			return ktls_hs_fail(s, KTLS_EUNEXPECTED, "unexpected %s message after the handshake",
					    name ? name : "handshake");
		}
		if (s->hs_in.len == s->hs_in.pos)
			return 0;
	}
}

/* §5.1: while a handshake message is split across records, the next record must be a
 * handshake record too. Returns 0 or the failure. */
static int not_interleaved(struct ktls_session *s, uint8_t type)
{
	if (type == TLS_CONTENT_HANDSHAKE || s->hs_in.len == s->hs_in.pos)
		return 0;
	return ktls_hs_fail(s, KTLS_EUNEXPECTED, "record interleaved with a split handshake message");
}

/* A decrypted non-data record. Returns 0 to keep reading, 1 at close_notify, or an error. */
static int control_record(struct ktls_session *s, uint8_t type, const uint8_t *p, size_t len)
{
	int err = not_interleaved(s, type);
	if (err)
		return err;
	switch (type) {
	case TLS_CONTENT_ALERT:
		err = ktls_on_alert(s, p, len);
		if (!err && ++s->warning_alerts > s->cfg->limits.max_warning_alerts)
			return ktls_hs_fail(s, KTLS_EUNEXPECTED, "more than %u user_canceled alerts "
					    "without application data between them",
					    s->cfg->limits.max_warning_alerts);
		return err == KTLS_ECLOSED ? 1 : err;
	case TLS_CONTENT_HANDSHAKE:
		return post_handshake_messages(s, p, len);
	default:
		return ktls_hs_fail(s, KTLS_EUNEXPECTED, "unexpected record type %u after the handshake",
				    type);
	}
}

/* Application data came: the caps on records that carry nothing start again. */
static void data_arrived(struct ktls_session *s)
{
	s->empty_records = s->warning_alerts = s->key_updates = 0;
}

/* What we must send and could not yet (a KeyUpdate answer, tickets, an alert), in bytes. */
static size_t queued_output(const struct ktls_session *s)
{
	return (s->out.len - s->out.pos) + (s->ctl_out.len - s->ctl_out.pos);
}

/* One record through our own record layer: data into buf (or app_in), control handled. */
static long userspace_recv(struct ktls_session *s, void *buf, size_t len)
{
	int err = ktls_read_record(s);
	if (err == KTLS_WANT_READ)
		return err;
	if (err == KTLS_ECLOSED)
		return KTLS_ECLOSED;
	if (err)
		return ktls_hs_fail(s, err, "%s", err == KTLS_EIO ? s->error : ktls_strerror(err));
	size_t rec_len = s->rec_len;
	s->rec_len = 0;
	uint8_t type, *plain;
	size_t plain_len;
	err = ktls_record_open(&s->rx, s->rec, rec_len, &type, &plain, &plain_len);
	if (err)
		return ktls_hs_fail(s, err, "cannot decrypt record: %s", ktls_strerror(err));
	if (type != TLS_CONTENT_APPLICATION_DATA) {
		err = control_record(s, type, plain, plain_len);
		return err < 0 ? err : 0;
	}
	err = not_interleaved(s, type);
	if (err)
		return err;
	if (!plain_len) { /* §5.1: allowed, but they carry nothing: capped */
		if (++s->empty_records > s->cfg->limits.max_empty_records)
			return ktls_hs_fail(s, KTLS_EUNEXPECTED, "more than %u empty application data "
					    "records in a row", s->cfg->limits.max_empty_records);
		return 0;
	}
	data_arrived(s);
	if (plain_len <= len) {
		if (plain_len)
			memcpy(buf, plain, plain_len);
		return (long)plain_len;
	}
	err = ktls_buf_append(&s->app_in, plain, plain_len);
	return err ? ktls_hs_fail(s, err, "out of memory") : 0;
}

/* Whether the socket has something to read right now (with kernel RX: a whole record, or
 * EOF), by poll with a zero timeout. */
static bool readable_now(const struct ktls_session *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	int n;
	do
		n = poll(&p, 1, 0);
	while (n < 0 && errno == EINTR);
	return n != 0; /* an error: let the read report it */
}

size_t ktls_pending(const struct ktls_session *s)
{
	return s ? s->app_in.len - s->app_in.pos : 0;
}

long ktls_recv(struct ktls_session *s, void *buf, size_t len)
{
	unsigned idle = 0; /* records this call that carried no data (the work budget, ktls.h) */
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
		err = ktls_flush(s); /* e.g. our answer to a KeyUpdate */
		if (err && err != KTLS_WANT_WRITE)
			return ktls_hs_fail(s, err, "%s", s->error);
		/* a peer that does not read while it makes us answer: stop reading rather than
		 * let our queue grow (bounded anyway: one KeyUpdate answer, a few tickets) */
		if (err == KTLS_WANT_WRITE && queued_output(s) > TLS_MAX_RECORD)
			return KTLS_WANT_WRITE;
		if (idle >= KTLS_IDLE_RECORD_BUDGET)
			return KTLS_WANT_READ; /* the rest waits for the next call */
		/* Records without data consumed, and nothing more readable now: a blocking read
		 * would wait for the peer's next data while the caller, which polled the socket
		 * because it was readable, has other work (stdin to send, say). Hand control back
		 * as a non-blocking socket would. */
		if (idle && s->blocking && !readable_now(s))
			return KTLS_WANT_READ;
		long n;
		if (s->rx_offloaded) {
			uint8_t ctl_type;
			n = kernel_recv(s, buf, len, &ctl_type);
			if (n > 0 && (err = not_interleaved(s, TLS_CONTENT_APPLICATION_DATA)))
				return err;
			if (n > 0)
				data_arrived(s);
			if (n == 0 && ctl_type) {
				err = control_record(s, ctl_type, s->ctl, s->ctl_len);
				if (err < 0)
					return err;
				idle++;
				continue;
			}
		} else {
			n = userspace_recv(s, buf, len);
			if (n == 0)
				idle++; /* a control record or an empty one (data waits in app_in) */
		}
		if (n == KTLS_ECLOSED)
			return ktls_hs_fail(s, KTLS_ECLOSED, "connection closed without close_notify");
		if (n != 0)
			return n; /* data, KTLS_WANT_READ, or an error */
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
		int err = release_held(s); /* data KTLS_SEND_MORE held goes before the alert */
		if (err)
			return err;
		err = ktls_queue_record(s, TLS_CONTENT_ALERT, body, 2);
		if (err)
			return err == KTLS_EIO ? ktls_hs_fail(s, err, "%s", s->error) : err;
		s->close_notify_sent = true;
		s->alert_sent = TLS_ALERT_CLOSE_NOTIFY;
	}
	int err = ktls_flush(s); /* the kernel's queue or ours */
	return err == KTLS_EIO ? ktls_hs_fail(s, err, "%s", s->error) : err;
}

int ktls_export_keying_material(const struct ktls_session *s, const char *label,
				const uint8_t *context, size_t context_len, uint8_t *out, size_t len)
{
	uint8_t empty_hash[KTLS_MAX_HASH_LEN], ctx_hash[KTLS_MAX_HASH_LEN];
	uint8_t secret[KTLS_MAX_HASH_LEN];

	if (!s || !label || !out || s->state != HS_CONNECTED || s->err || strlen(label) > 249 ||
	    (!context && context_len) || len > 0xffff)
		return KTLS_EINVAL;
	const EVP_MD *md = s->suite->md();
	/* §7.5: HKDF-Expand-Label(Derive-Secret(exporter_master_secret, label, ""),
	 *                         "exporter", Hash(context_value), key_length) */
	if (!EVP_Digest("", 0, empty_hash, NULL, md, NULL) ||
	    !EVP_Digest(context ? context : (const uint8_t *)"", context_len, ctx_hash, NULL, md,
			NULL))
		return KTLS_ECRYPTO;
	int err = ktls_derive_secret(md, s->ks.exporter_master, label, empty_hash, secret);
	if (!err)
		err = ktls_hkdf_expand_label(md, secret, "exporter", ctx_hash, s->suite->hash_len,
					     out, len);
	sodium_memzero(secret, sizeof(secret));
	return err;
}

long ktls_session_save(const struct ktls_session *s, uint8_t *buf, size_t cap)
{
	size_t len;
	if (!s || !buf)
		return KTLS_EINVAL;
	if (!s->saved)
		return 0;
	int err = ktls_saved_session_encode(s->saved, buf, cap, &len);
	return err ? err : (long)len;
}

int ktls_session_resume(struct ktls_session *s, const uint8_t *buf, size_t len)
{
	struct ktls_saved_session *ss;
	if (!s || !buf || s->role != KTLS_ROLE_CLIENT || s->state != HS_CLIENT_START)
		return KTLS_EINVAL;
	if (!(ss = calloc(1, sizeof(*ss))))
		return KTLS_ENOMEM;
	int err = ktls_saved_session_decode(buf, len, ss);
	if (err) {
		free(ss);
		return err;
	}
	if (s->offer)
		sodium_memzero(s->offer, sizeof(*s->offer));
	free(s->offer);
	s->offer = ss;
	return 0;
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
	info->resumed = s->psk_accepted;
	info->alert_sent = s->alert_sent;
	info->alert_received = s->alert_received;
	info->tx_offloaded = s->tx_offloaded;
	info->rx_offloaded = s->rx_offloaded;
	info->offload_status = s->offload_status;
	info->tx_zerocopy = s->tx_zerocopy;
	info->rx_no_pad = s->rx_no_pad;
	info->cert_subject = s->own_cert_sent ? s->chain->subject : NULL;
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
