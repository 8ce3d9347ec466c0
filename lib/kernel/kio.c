/*
 * kio.c — a connection's I/O with kernel TLS (kernel.h): control records out through a
 * queue, application data and files out, records in with their type.
 *
 * With kernel TX, alerts and handshake messages go out with a TLS_SET_RECORD_TYPE cmsg so
 * the kernel's sequence numbers stay right (DESIGN.md, the handoff). With kernel RX, a
 * record that is not application data makes a plain recv() fail with EIO: we read with
 * recvmsg and a cmsg buffer, learn the type from TLS_GET_RECORD_TYPE, and insist on MSG_EOR
 * for control records.
 */
#include "kernel.h"

#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

/* queue entry kinds */
#define ENTRY_RECORD 'R' /* a control record: [R][type][u16 len][bytes] */
#define ENTRY_TX_KEY 'K' /* a TX traffic secret: [K][0][u16 len][secret] */
#define ENTRY_HEADER 4

/* Waits until fd is ready (a blocking caller on a socket that said EAGAIN). */
static void wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	poll(&p, 1, -1);
}

/* ktls_kernel_install, asking the rekey question after a TX install when rekey is set. */
static int install(struct ktls_kernel *k, int direction, const uint8_t *secret, uint64_t seq,
		   bool *rekey, char *reason, size_t reason_len)
{
	if (direction == TLS_TX && (ktls_kernel_queued(k) || k->tx_open))
		return KTLS_WANT_WRITE; /* what is queued or open must leave under the old key */
	if (direction == TLS_RX && k->ctl_len)
		return KTLS_EINTERNAL; /* a control record read under the old key is unhandled */
	return ktls_offload_install(k->setsockopt, k->fd, direction, k->suite, secret, seq,
				    rekey, reason, reason_len);
}

/* A system call failed with errno e: KTLS_EIO, with the call's name in k->why. */
static int sys_failed(struct ktls_kernel *k, const char *call, int e)
{
	k->sys_errno = e;
	k->why = call;
	return KTLS_EIO;
}

int ktls_kernel_install(struct ktls_kernel *k, int direction, const uint8_t *secret,
			uint64_t seq, char *reason, size_t reason_len)
{
	return install(k, direction, secret, seq, NULL, reason, reason_len);
}

int ktls_kernel_install_tx_first(struct ktls_kernel *k, const uint8_t *secret, uint64_t seq,
				 char *reason, size_t reason_len)
{
	k->rekey = false;
	return install(k, TLS_TX, secret, seq, &k->rekey, reason, reason_len);
}

/* One sendmsg of a record of `type` (a TLS_SET_RECORD_TYPE cmsg unless it is application
 * data). Zero bytes of application data carry the cmsg too: that sends no record, but makes
 * the kernel end the record a MSG_MORE send left open (tls_process_cmsg closes an open
 * record before a record type is set). Returns bytes taken, or -errno. */
static ssize_t send_typed(struct ktls_kernel *k, uint8_t type, const uint8_t *data, size_t len)
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
		n = k->sendmsg(k->fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int queue_entry(struct ktls_kernel *k, uint8_t kind, uint8_t type, const uint8_t *data,
		       size_t len)
{
	uint8_t hdr[ENTRY_HEADER] = { kind, type, (uint8_t)(len >> 8), (uint8_t)len };
	if (len > TLS_MAX_PLAINTEXT)
		return KTLS_EINVAL;
	int err = ktls_buf_append(&k->queue, hdr, sizeof(hdr));
	return err ? err : ktls_buf_append(&k->queue, data, len);
}

int ktls_kernel_flush(struct ktls_kernel *k, char *reason, size_t reason_len)
{
	while (ktls_kernel_queued(k)) {
		uint8_t *entry = k->queue.data + k->queue.pos;
		size_t len = (size_t)entry[2] << 8 | entry[3];
		if (entry[0] == ENTRY_TX_KEY) {
			if (k->tx_open)
				return KTLS_WANT_WRITE;
			uint8_t secret[KTLS_MAX_HASH_LEN];
			memcpy(secret, entry + ENTRY_HEADER, len);
			sodium_memzero(entry, ENTRY_HEADER + len);
			ktls_buf_consume(&k->queue, ENTRY_HEADER + len);
			/* now first in line: nothing queued ahead of it is left */
			struct ktls_buf behind = k->queue;
			k->queue = (struct ktls_buf){ 0 };
			int err = ktls_kernel_install(k, TLS_TX, secret, 0, reason, reason_len);
			k->queue = behind;
			sodium_memzero(secret, sizeof(secret));
			if (err)
				return err;
			continue;
		}
		ssize_t n = send_typed(k, entry[1], entry + ENTRY_HEADER, len);
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			if (!k->blocking)
				return KTLS_WANT_WRITE;
			wait_fd(k->fd, POLLOUT);
			continue;
		}
		if (n < 0)
			return sys_failed(k, "sendmsg", (int)-n);
		k->tx_open = false; /* the record type cmsg ended a record MSG_MORE left open */
		if ((size_t)n < len) { /* the rest goes as a record of its own, of the same type */
			memmove(entry + ENTRY_HEADER, entry + ENTRY_HEADER + n, len - (size_t)n);
			len -= (size_t)n;
			entry[2] = (uint8_t)(len >> 8);
			entry[3] = (uint8_t)len;
			continue;
		}
		ktls_buf_consume(&k->queue, ENTRY_HEADER + len);
	}
	ktls_buf_free(&k->queue); /* an idle connection holds no queue */
	return 0;
}

int ktls_kernel_queue_record(struct ktls_kernel *k, uint8_t type, const uint8_t *data, size_t len)
{
	/* control records queue in order behind each other; a non-blocking caller is never
	 * made to wait here, its next flush sends them */
	int err = queue_entry(k, ENTRY_RECORD, type, data, len);
	if (err)
		return err;
	char reason[8];
	err = ktls_kernel_flush(k, reason, sizeof(reason));
	return err == KTLS_WANT_WRITE || err == KTLS_EUNSUPPORTED ? 0 : err;
}

int ktls_kernel_queue_tx_key(struct ktls_kernel *k, const uint8_t *secret)
{
	return queue_entry(k, ENTRY_TX_KEY, 0, secret, k->suite->hash_len);
}

int ktls_kernel_tx_seq(struct ktls_kernel *k, uint64_t *seq)
{
	union ktls_crypto_info ci;
	uint8_t zero[KTLS_MAX_KEY_LEN + KTLS_IV_LEN] = { 0 };
	size_t size = 0;
	/* the kernel wants exactly the size of this cipher's crypto_info: built once, empty */
	if (ktls_crypto_info_build(&ci, &size, k->suite, zero, zero, 0)) {
		k->why = "no kernel crypto_info for this suite";
		return KTLS_EUNSUPPORTED;
	}
	socklen_t len = (socklen_t)size;
	memset(&ci, 0, sizeof(ci));
	int rc = getsockopt(k->fd, SOL_TLS, TLS_TX, &ci, &len);
	int e = errno;
	int err = rc ? 0 : ktls_crypto_info_rec_seq(&ci, seq);
	sodium_memzero(&ci, sizeof(ci)); /* it came with the key */
	if (rc && (e == EINVAL || e == EOPNOTSUPP || e == ENOPROTOOPT)) {
		k->why = "this kernel does not report the TLS_TX record count";
		return KTLS_EUNSUPPORTED;
	}
	if (rc)
		return sys_failed(k, "getsockopt(TLS_TX)", e);
	if (err)
		k->why = "the kernel reported an unknown TLS_TX cipher";
	return err;
}

long ktls_kernel_send(struct ktls_kernel *k, const void *buf, size_t len, bool more)
{
	ssize_t n;
	do
		n = send(k->fd, buf, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		k->tx_open = more; /* without MSG_MORE the kernel ended the record */
		return (long)n;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return KTLS_WANT_WRITE;
	return sys_failed(k, "send", errno);
}

int ktls_kernel_end_record(struct ktls_kernel *k)
{
	if (!k->tx_open)
		return 0;
	ssize_t n = send_typed(k, TLS_CONTENT_APPLICATION_DATA, NULL, 0);
	if (n == -EAGAIN || n == -EWOULDBLOCK)
		return KTLS_WANT_WRITE;
	if (n < 0)
		return sys_failed(k, "sendmsg", (int)-n);
	k->tx_open = false;
	return 0;
}

long ktls_kernel_sendfile(struct ktls_kernel *k, int in_fd, long long *offset, size_t count)
{
	/* the point of kTLS: page cache → kernel TLS → TCP, no userspace copy; a record
	 * KTLS_SEND_MORE left open takes the first bytes of the file */
	off_t off = offset ? (off_t)*offset : 0;
	size_t done = 0;
	while (done < count) {
		ssize_t n = sendfile(k->fd, in_fd, offset ? &off : NULL, count - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (done)
				break;
			return KTLS_WANT_WRITE;
		}
		if (n < 0)
			return sys_failed(k, "sendfile", errno);
		if (n == 0)
			break; /* end of file */
		done += (size_t)n;
	}
	if (offset)
		*offset = off;
	/* sendfile(2) ends the record with its last byte, unless it stopped short (a full
	 * socket, end of file): then the last pages went with MSG_MORE */
	k->tx_open = done < count;
	return (long)done;
}

/* recvmsg on kernel RX failed with errno e: the code that names it.
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
static int rx_failed(struct ktls_kernel *k, int e)
{
	int pending = 0;
	socklen_t len = sizeof(pending);
	if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &pending, &len)) { /* nothing to clear */ }
	k->sys_errno = e;
	switch (e) {
	case EBADMSG:
		k->why = "the kernel could not open a record: bad tag, no content type, or not "
			 "protected (bad_record_mac)";
		return KTLS_EBADMAC;
	case EMSGSIZE:
		k->why = "the kernel received a record over the size limit (record_overflow)";
		return KTLS_EOVERFLOW;
	case EINVAL:
		k->why = "the kernel refused a record header (legacy_record_version not 0x0303)";
		return KTLS_EDECODE;
	case EKEYEXPIRED:
		k->why = "kernel RX is paused for a key update";
		return KTLS_EKEYUPDATE;
	default:
		return sys_failed(k, "recvmsg", e);
	}
}

static long rx_fail(struct ktls_kernel *k, int err, const char *why)
{
	k->why = why;
	return err;
}

long ktls_kernel_recv(struct ktls_kernel *k, void *buf, size_t len, uint8_t *ctl_type)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint8_t))];
		struct cmsghdr align;
	} cbuf;
	uint8_t *dst = buf;
	size_t cap = len;
	bool in_control = false;

	*ctl_type = 0;
	k->ctl_len = 0;
	for (;;) {
		struct iovec iov = { .iov_base = dst, .iov_len = cap };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
				      .msg_controllen = sizeof(cbuf.buf) };
		ssize_t n = recvmsg(k->fd, &msg, 0);
		if (n < 0) {
			int e = errno;
			if (e == EINTR)
				continue;
			if ((e == EAGAIN || e == EWOULDBLOCK) && !in_control)
				return KTLS_WANT_READ;
			if (e == EAGAIN || e == EWOULDBLOCK) { /* rest of a control record */
				wait_fd(k->fd, POLLIN);
				continue;
			}
			k->ctl_len = 0;
			return rx_failed(k, e);
		}
		if (msg.msg_flags & MSG_CTRUNC)
			return rx_fail(k, KTLS_EINTERNAL, "record type cmsg truncated (MSG_CTRUNC)");
		uint8_t type = TLS_CONTENT_APPLICATION_DATA;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_TLS && c->cmsg_type == TLS_GET_RECORD_TYPE)
				type = *CMSG_DATA(c);
		if (n == 0 && !in_control)
			return KTLS_ECLOSED; /* TCP end of stream */
		if (type == TLS_CONTENT_APPLICATION_DATA && !in_control)
			return n;
		/* a control record: gather it whole into k->ctl */
		if (!in_control) {
			if (!k->ctl && !(k->ctl = malloc(TLS_MAX_PLAINTEXT)))
				return rx_fail(k, KTLS_ENOMEM, "out of memory");
			if ((size_t)n > TLS_MAX_PLAINTEXT)
				return rx_fail(k, KTLS_EOVERFLOW, "control record too large");
			memcpy(k->ctl, buf, (size_t)n);
			k->ctl_len = (size_t)n;
			in_control = true;
			*ctl_type = type;
		} else {
			if (type != *ctl_type || n == 0)
				return rx_fail(k, KTLS_EUNEXPECTED, "control record ended early");
			k->ctl_len += (size_t)n;
		}
		if (msg.msg_flags & MSG_EOR)
			return 0;
		if (k->ctl_len >= TLS_MAX_PLAINTEXT)
			return rx_fail(k, KTLS_EOVERFLOW, "control record without MSG_EOR");
		dst = k->ctl + k->ctl_len;
		cap = TLS_MAX_PLAINTEXT - k->ctl_len;
	}
}

void ktls_kernel_release_ctl(struct ktls_kernel *k)
{
	if (k->ctl)
		sodium_memzero(k->ctl, TLS_MAX_PLAINTEXT);
	free(k->ctl);
	k->ctl = NULL;
	k->ctl_len = 0;
}

void ktls_kernel_free(struct ktls_kernel *k)
{
	ktls_buf_free(&k->queue);
	ktls_kernel_release_ctl(k);
}
