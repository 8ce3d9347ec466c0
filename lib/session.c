/*
 * session.c — the driver behind ktls.h (DESIGN.md, layer 3): it owns the fd, its blocking
 * mode, the handshake deadline and the per-call work budget; reads one record at a time and
 * feeds the engine (core/engine.h); writes what the engine emits, and the application data
 * records it has the engine seal in place in its output queue; hands the keys to the
 * kernel (kernel/kernel.h) as an explicit step once the engine says "connected", then asks
 * the engine for tickets; and implements send / recv / pending / sendfile / close / info /
 * exporter over whichever record layer carries each direction — the kernel's or the
 * engine's (the userspace fallback).
 *
 * Reading follows the kernel handoff rule of DESIGN.md: a record's 5-byte header, then
 * exactly the body it announces, never more. When the peer's Finished has been handled the
 * handshake stops reading, so whatever follows in the socket (application data,
 * NewSessionTicket) stays there for whoever reads next — the kernel after the handoff.
 * On a blocking socket the handshake deadline holds by poll(), but each read or write is
 * first tried without waiting, and poll() runs only when it would block (try_first).
 *
 * Failure: the engine owns the error and the alert (ktls_engine_fail); the I/O helpers
 * here return codes (and keep errno); the driver writes the sentence, once, and then lets
 * the alert the engine queued go out, best effort.
 *
 * Memory (session.h): once the kernel protects both directions the engine is parked after
 * each call that needed it (rest), and brought back (engine) only by what needs it: a
 * control record from the kernel, close_notify, a failure. The data path (send, recv,
 * sendfile of application data) works on the parked state.
 */
#include "session.h"

#include "alert.h"
#include "hkdf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- time ------------------------------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before the handshake deadline: -1 without one, 0 when it has passed. */
static int time_left(const struct ktls_session *s)
{
	if (!s->deadline_ms || !s->e || s->e->state == HS_CONNECTED)
		return -1;
	int64_t left = s->deadline_ms - now_ms();
	return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

/* Before an I/O call on a blocking socket during the handshake (there is a deadline): the
 * call is tried first without waiting (MSG_DONTWAIT in *flags), and only when it would block
 * does wait_within_deadline poll — most reads and writes find the socket ready, so a poll()
 * before each one is a system call for nothing. KTLS_ETIMEOUT once the deadline has passed,
 * else 0 (*flags 0: no deadline, or a non-blocking socket whose caller waits). */
static int try_first(const struct ktls_session *s, int *flags)
{
	int left = time_left(s);
	*flags = 0;
	if (!s->blocking || left < 0)
		return 0;
	if (left == 0)
		return KTLS_ETIMEOUT;
	*flags = MSG_DONTWAIT;
	return 0;
}

/* On a blocking socket during the handshake, waits for events no longer than the deadline
 * allows. Returns 0 when the fd is ready (or there is no deadline), KTLS_ETIMEOUT. */
static int wait_within_deadline(const struct ktls_session *s, short events)
{
	int left = time_left(s);
	if (!s->blocking || left < 0)
		return 0;
	struct pollfd p = { .fd = s->fd, .events = events };
	int n;
	do
		n = poll(&p, 1, left);
	while (n < 0 && errno == EINTR && (left = time_left(s)) > 0);
	return n == 0 || left == 0 ? KTLS_ETIMEOUT : 0;
}

/* ---- the engine, live or parked --------------------------------------------------------- */

static int flush_out(struct ktls_session *s);

/* The engine, brought back from where it was parked when it was; NULL when there is no
 * memory for it (idle_err then says so, and sticks). */
static struct ktls_engine *engine(struct ktls_session *s)
{
	if (s->e)
		return s->e;
	struct ktls_engine *e = malloc(sizeof(*e));
	if (!e) {
		s->idle_err = KTLS_ENOMEM;
		return NULL;
	}
	ktls_engine_unpark(e, &s->idle, &s->cfg->engine, s->ops, s);
	return s->e = e;
}

/* After a call: an engine with nothing to do while the kernel holds both directions goes
 * back to rest, with the buffers the handshake and the last control record used. */
static void rest(struct ktls_session *s)
{
	if (!s->e || !s->offload_decided || !s->k.tx || !s->k.rx || !ktls_engine_parkable(s->e) ||
	    ktls_buf_pending(&s->out) || ktls_buf_pending(&s->app_in) ||
	    ktls_buf_pending(&s->tx_hold) || s->rec_len)
		return;
	if (ktls_engine_park(s->e, &s->idle))
		return; /* no memory to park: it stays as it is */
	free(s->e);
	s->e = NULL;
	ktls_buf_free(&s->out);
	ktls_buf_free(&s->app_in);
	ktls_buf_free(&s->tx_hold);
}

/* The sticky error, 0 while healthy. */
static int session_err(const struct ktls_session *s)
{
	return s->e ? s->e->err : s->idle_err;
}

/* Whether close_notify went, or came. */
static bool notify_sent(const struct ktls_session *s)
{
	return s->e ? s->e->close_notify_sent : s->idle.close_notify_sent;
}

static bool notify_received(const struct ktls_session *s)
{
	return s->e ? s->e->close_notify_received : s->idle.close_notify_received;
}

/* Application data went: the next KeyUpdate request gets an answer again (§4.6.3). */
static void data_sent(struct ktls_session *s)
{
	if (s->e)
		ktls_engine_data_sent(s->e);
	else
		s->idle.key_update_answered = false;
}

/* ---- failure ------------------------------------------------------------------------- */

/* The engine failed (its error and alert are recorded): the alert it queued goes out,
 * best effort — we are failing anyway. Returns err. */
static int engine_failed(struct ktls_session *s, int err)
{
	if (flush_out(s)) { /* the failure stays the one that counts */ }
	return err;
}

/* Fails the session with the sentence fmt writes (the engine keeps it, and the alert).
 * Returns the error that sticks. */
static int session_fail(struct ktls_session *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int session_fail(struct ktls_session *s, int err, const char *fmt, ...)
{
	char msg[KTLS_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct ktls_engine *e = engine(s); /* it owns the failure, and sends the alert */
	if (!e)
		return s->idle_err;
	return engine_failed(s, ktls_engine_fail(e, err, "%s", msg));
}

/* A system call failed (KTLS_EIO; io_op and io_errno say which and why), or an I/O helper
 * returned another failure. */
static int io_failed(struct ktls_session *s, int err)
{
	if (err == KTLS_EIO)
		return session_fail(s, err, "%s: %s", s->io_op, strerror(s->io_errno));
	return session_fail(s, err, "%s", ktls_strerror(err));
}

/* The kernel layer's system call failed (KTLS_EIO): its name and errno make the sentence. */
static int kernel_io_failed(struct ktls_session *s)
{
	return session_fail(s, KTLS_EIO, "%s: %s", s->k.why, strerror(s->k.sys_errno));
}

/* ---- the engine's way out -------------------------------------------------------------- */

static int engine_emit(void *ctx, uint8_t type, const uint8_t *data, size_t len, bool sealed)
{
	struct ktls_session *s = ctx;
	if (!sealed) { /* a direction the kernel protects */
		s->tx_bound++; /* one record under the kernel's key (§5.5 count) */
		return ktls_kernel_queue_record(&s->k, type, data, len);
	}
	return ktls_buf_append(&s->out, data, len);
}

static const char no_rekey[] = "(TLS 1.3 rekey needs Linux 6.14 or later)";

/* A key change for a direction the kernel protects: RX takes it now (the record that
 * announced it was the last under the old key); TX after what is queued ahead of it. */
static int engine_key_change(void *ctx, enum ktls_direction dir, const uint8_t *secret)
{
	struct ktls_session *s = ctx;
	char reason[200] = "";
	int err;
	if (dir == KTLS_DIR_RX && s->k.rx) {
		err = ktls_kernel_install(&s->k, TLS_RX, secret, 0, reason, sizeof(reason));
		if (err)
			return ktls_engine_fail(s->e, KTLS_EKEYUPDATE, "peer sent KeyUpdate, but this "
						"kernel cannot take a new TLS_RX key %s: %s", no_rekey,
						reason);
	}
	if (dir == KTLS_DIR_TX && s->k.tx) {
		err = ktls_kernel_queue_tx_key(&s->k, secret);
		if (err)
			return err;
		s->tx_bound = 0; /* §5.3: a new key starts at record 0 */
		err = flush_out(s);
		return err == KTLS_WANT_WRITE ? 0 : err;
	}
	return 0;
}

static void write_line(int fd, const char *line, size_t len)
{
	ssize_t w = write(fd, line, len); /* one write: lines of sessions do not interleave */
	(void)w;
}

static void engine_trace(void *ctx, const char *line, size_t len)
{
	write_line(((struct ktls_session *)ctx)->cfg->trace_fd, line, len);
}

static void engine_keylog(void *ctx, const char *line, size_t len)
{
	write_line(((struct ktls_session *)ctx)->cfg->keylog_fd, line, len);
}

/* ---- session lifetime ---------------------------------------------------------------- */

/* The engine's ways out, with and without a trace and a key log (index: trace | keylog << 1). */
static const struct ktls_engine_ops engine_ops[4] = {
	{ .emit = engine_emit, .key_change = engine_key_change },
	{ .emit = engine_emit, .key_change = engine_key_change, .trace = engine_trace },
	{ .emit = engine_emit, .key_change = engine_key_change, .keylog = engine_keylog },
	{ .emit = engine_emit, .key_change = engine_key_change, .trace = engine_trace,
	  .keylog = engine_keylog },
};

struct ktls_session *ktls_session_new(const struct ktls_config *cfg, int fd)
{
	struct ktls_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = cfg;
	s->fd = fd;
	s->ops = &engine_ops[(cfg->trace_fd >= 0) | (cfg->keylog_fd >= 0) << 1];
	int fl = fcntl(fd, F_GETFL);
	s->blocking = fl >= 0 && !(fl & O_NONBLOCK);
	if (cfg->engine.limits.handshake_timeout_ms)
		s->deadline_ms = now_ms() + cfg->engine.limits.handshake_timeout_ms;
	s->k = (struct ktls_kernel){ .fd = fd, .blocking = s->blocking,
				     .setsockopt = cfg->setsockopt_fn, .sendmsg = cfg->sendmsg_fn };
	/* the record buffer comes with the first byte (read_upto): a connection that never
	 * sends anything costs the session struct and its engine (~3.6 KB) */
	if (!(s->e = malloc(sizeof(*s->e))) || ktls_engine_init(s->e, &cfg->engine, s->ops, s)) {
		ktls_session_free(s);
		return NULL;
	}
	return s;
}

/* Wipes and frees the record buffer (it comes back with the next record header). */
static void release_record_buffer(struct ktls_session *s)
{
	if (!s->rec)
		return;
	sodium_memzero(s->rec, s->rec_cap);
	free(s->rec);
	s->rec = NULL;
	s->rec_cap = 0;
}

/* While the handshake waits for the peer with nothing half-read, its buffers hold nothing
 * either: they go, and come back with the next bytes. A server with thousands of handshakes
 * in flight then holds memory only for those that sent part of a message. */
static void release_idle_buffers(struct ktls_session *s)
{
	if (s->rec_len || s->e->state == HS_CONNECTED)
		return;
	release_record_buffer(s);
	if (!ktls_buf_pending(&s->e->hs_in))
		ktls_buf_free(&s->e->hs_in);
	if (!ktls_buf_pending(&s->out))
		ktls_buf_free(&s->out);
}

void ktls_session_free(struct ktls_session *s)
{
	if (!s)
		return;
	if (s->e)
		ktls_engine_free(s->e);
	free(s->e);
	ktls_engine_parked_free(&s->idle);
	free(s->offload_status);
	ktls_kernel_free(&s->k);
	ktls_buf_free(&s->out);
	ktls_buf_free(&s->app_in);
	ktls_buf_free(&s->tx_hold);
	release_record_buffer(s);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

size_t ktls_session_memory(const struct ktls_session *s)
{
	if (!s)
		return 0;
	const struct ktls_engine_parked *p = &s->idle;
	size_t n = sizeof(*s) + (s->rec ? s->rec_cap : 0) + (s->k.ctl ? TLS_MAX_PLAINTEXT : 0) +
		   s->out.cap + s->app_in.cap + s->k.queue.cap + s->tx_hold.cap +
		   (s->offload_status ? strlen(s->offload_status) + 1 : 0);
	if (p->names) {
		const char *q = p->names;
		for (int i = p->has_alpn + p->has_server_name + p->has_peer_subject; i > 0; i--) {
			n += strlen(q) + 1;
			q += strlen(q) + 1;
		}
	}
	const struct ktls_engine *e = s->e;
	if (e)
		return n + sizeof(*e) + e->hs_in.cap + (e->offer ? sizeof(*e->offer) : 0) +
		       (e->saved ? sizeof(*e->saved) : 0) + (e->error ? strlen(e->error) + 1 : 0);
	return n + (p->suite ? (size_t)p->n_secrets * p->suite->hash_len : 0) +
	       (p->saved ? sizeof(*p->saved) : 0);
}

const char *ktls_session_error(const struct ktls_session *s)
{
	if (!s)
		return "no session";
	if (s->e && s->e->err)
		return ktls_engine_error(s->e);
	if (s->idle_err)
		return ktls_strerror(s->idle_err);
	return s->note ? s->note : "";
}

/* ---- record I/O ---------------------------------------------------------------------- */

/* Writes what waits: with kernel TX its queue of control records and key changes, else the
 * records the engine sealed. Returns 0 when all is written, KTLS_WANT_WRITE, KTLS_ETIMEOUT,
 * KTLS_EIO (io_op, io_errno), or — a queued TX key the kernel refused — the failure. */
static int flush_out(struct ktls_session *s)
{
	if (s->k.tx) {
		char reason[200] = "";
		int err = ktls_kernel_flush(&s->k, reason, sizeof(reason));
		if (err == KTLS_EIO) {
			s->io_op = s->k.why;
			s->io_errno = s->k.sys_errno;
		}
		if (err == KTLS_EUNSUPPORTED && !engine(s))
			return s->idle_err; /* the key waited while the engine was parked */
		if (err == KTLS_EUNSUPPORTED)
			return ktls_engine_fail(s->e, KTLS_EKEYUPDATE, "cannot answer KeyUpdate: this "
						"kernel cannot take a new TLS_TX key %s: %s", no_rekey,
						reason);
		return err;
	}
	bool polled = false; /* poll said writable: then the call may block, as it always did */
	while (ktls_buf_pending(&s->out)) {
		int flags = 0;
		int err = polled ? 0 : try_first(s, &flags);
		if (err)
			return err;
		polled = false;
		ssize_t n = send(s->fd, s->out.data + s->out.pos, ktls_buf_pending(&s->out),
				 MSG_NOSIGNAL | flags);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && flags) {
				err = wait_within_deadline(s, POLLOUT);
				if (err)
					return err;
				polled = true;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return KTLS_WANT_WRITE;
			s->io_op = "send";
			s->io_errno = errno;
			return KTLS_EIO;
		}
		ktls_buf_consume(&s->out, (size_t)n);
	}
	return 0;
}

/* Reads until s->rec holds `want` bytes. A session has no record buffer until a whole
 * record header has come (into rec_hdr): a peer that connects and sends nothing, or a few
 * bytes, costs no 16 KiB buffer. */
static int read_upto(struct ktls_session *s, size_t want)
{
	bool polled = false; /* poll said readable: then the call may block, as it always did */
	while (s->rec_len < want) {
		bool hdr = !s->rec; /* then rec_len < TLS_RECORD_HEADER_LEN == want */
		uint8_t *dst = hdr ? s->rec_hdr + s->rec_len : s->rec + s->rec_len;
		size_t room = (hdr ? TLS_RECORD_HEADER_LEN : want) - s->rec_len;
		int flags = 0;
		int err = polled ? 0 : try_first(s, &flags);
		if (err)
			return err;
		polled = false;
		ssize_t n = recv(s->fd, dst, room, flags);
		if (n == 0)
			return KTLS_ECLOSED;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && flags) {
				err = wait_within_deadline(s, POLLIN);
				if (err)
					return err;
				polled = true;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return KTLS_WANT_READ;
			s->io_op = "recv";
			s->io_errno = errno;
			return KTLS_EIO;
		}
		s->rec_len += (size_t)n;
	}
	return 0;
}

/* A handshake's records are a few hundred bytes: the smallest record buffer. */
#define RECORD_BUFFER_MIN 1024

/* Makes s->rec hold a record of `need` bytes (at most TLS_MAX_RECORD), keeping the header
 * read so far: the buffer grows to the biggest record that came, instead of being 16 KiB
 * from the first byte (and wiped whole at the end). The old buffer is wiped before it goes.
 * Returns 0 or KTLS_ENOMEM. */
static int record_room(struct ktls_session *s, size_t need)
{
	if (s->rec && s->rec_cap >= need)
		return 0;
	size_t cap = need < RECORD_BUFFER_MIN ? RECORD_BUFFER_MIN : need;
	uint8_t *p = malloc(cap);
	if (!p)
		return KTLS_ENOMEM;
	memcpy(p, s->rec ? s->rec : s->rec_hdr, s->rec_len);
	release_record_buffer(s);
	s->rec = p;
	s->rec_cap = cap;
	return 0;
}

/* Reads one whole record into s->rec (header + body, exactly). Returns 0, KTLS_WANT_READ,
 * KTLS_ECLOSED at EOF, KTLS_ETIMEOUT, KTLS_EIO, KTLS_ENOMEM, or the header's error. */
static int read_record(struct ktls_session *s)
{
	uint8_t type;
	size_t body;
	int err = read_upto(s, TLS_RECORD_HEADER_LEN);
	if (err)
		return err;
	err = ktls_record_parse_header(s->rec ? s->rec : s->rec_hdr, &type, &body);
	if (!err)
		err = record_room(s, TLS_RECORD_HEADER_LEN + body);
	if (err)
		return err;
	return read_upto(s, TLS_RECORD_HEADER_LEN + body);
}

/* Hands the record read to the engine; the next read starts a new record. */
static int input_record(struct ktls_session *s, struct ktls_engine_input *in)
{
	size_t len = s->rec_len;
	s->rec_len = 0;
	int err = ktls_engine_input_record(s->e, s->rec, len, in);
	return err ? engine_failed(s, err) : 0;
}

/* ---- the handoff --------------------------------------------------------------------- */

/* Hands the application traffic keys to the kernel (DESIGN.md, "the kernel handoff").
 * Returns 0 (offloaded, or fell back with the reason in offload_status) or, when offload
 * was required, the failure. */
static int offload(struct ktls_session *s)
{
	const struct ktls_config *cfg = s->cfg;
	struct ktls_engine *e = s->e;
	struct ktls_kernel *k = &s->k;
	char reason[200] = "";
	bool want_tx = cfg->offload == KTLS_OFFLOAD_BOTH || cfg->offload == KTLS_OFFLOAD_TX;
	bool want_rx = cfg->offload == KTLS_OFFLOAD_BOTH || cfg->offload == KTLS_OFFLOAD_RX;
	uint64_t tx_seq, rx_seq;
	const uint8_t *tx_secret = ktls_engine_traffic_secret(e, KTLS_DIR_TX, &tx_seq);
	const uint8_t *rx_secret = ktls_engine_traffic_secret(e, KTLS_DIR_RX, &rx_seq);
	int err = 0;

	if (!want_tx && !want_rx) /* ktls_session_get_info says so, from the config */
		return 0;
	/* preconditions: nothing of ours still queued, nothing of the peer's read ahead */
	if (ktls_buf_pending(&s->out) || ktls_buf_pending(&s->app_in) || s->rec_len)
		return session_fail(s, KTLS_EINTERNAL, "cannot offload: data still buffered in userspace");

	k->suite = e->suite;
	err = ktls_offload_check_suite(e->suite, reason, sizeof(reason));
	if (!err)
		err = ktls_offload_attach(k->setsockopt, s->fd, reason, sizeof(reason));
	/* Can this kernel rekey (TLS 1.3 KeyUpdate, Linux 6.14+)? Ask the socket itself, right
	 * after the TX install and with the same derived key: installing it again at the same
	 * sequence number is a no-op where rekey exists and EBUSY where it does not. The answer
	 * is the socket's own (a device-offloaded socket may differ), so it is asked per
	 * connection. */
	if (!err && want_tx) {
		err = ktls_kernel_install_tx_first(k, tx_secret, tx_seq, reason, sizeof(reason));
		k->tx = !err;
	}
	if (!err && want_rx) {
		err = ktls_kernel_install(k, TLS_RX, rx_secret, rx_seq, reason, sizeof(reason));
		k->rx = !err;
	}
	/* optional features: asked for, never required (older kernels lack them) */
	int one = 1;
	if (k->tx && cfg->offload_flags & KTLS_OFFLOAD_TX_ZEROCOPY)
		s->tx_zerocopy = k->setsockopt(s->fd, SOL_TLS, TLS_TX_ZEROCOPY_RO, &one,
					       sizeof(one)) == 0;
	if (k->rx && cfg->offload_flags & KTLS_OFFLOAD_RX_NO_PAD)
		s->rx_no_pad = k->setsockopt(s->fd, SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one,
					     sizeof(one)) == 0;
	/* a sentence only when there is something to say (no memory for it: none) */
	if (*reason)
		s->offload_status = strdup(reason);
	if (k->tx) {
		s->tx_bound = tx_seq; /* records this key protected in userspace already */
		ktls_engine_hand_over(e, KTLS_DIR_TX);
		ktls_buf_free(&s->out); /* the kernel writes from here on */
	}
	if (k->rx) {
		ktls_engine_hand_over(e, KTLS_DIR_RX);
		release_record_buffer(s); /* the kernel reads from here on */
	}
	/* What the kernel holds we do not keep: the handshake secrets and the master secret go
	 * now. An application traffic secret stays only while something can use it: our own
	 * record layer for that direction, or a kernel that can take the next key a KeyUpdate
	 * (§7.2) derives from it. The exporter master secret stays for exporters (§7.5). */
	ktls_engine_wipe_handshake_secrets(e);
	if (k->tx && !k->rekey)
		ktls_engine_forget_secret(e, KTLS_DIR_TX);
	if (k->rx && k->tx && !k->rekey)
		ktls_engine_forget_secret(e, KTLS_DIR_RX);
	ktls_trace(e, "--- offload: tx %s, rx %s%s%s", k->tx ? "kernel" : "userspace",
		   k->rx ? "kernel" : "userspace", *reason ? ": " : "", reason);
	if (err && cfg->offload_required)
		return session_fail(s, KTLS_EOFFLOAD, "kernel TLS required but unavailable: %s", reason);
	return 0;
}

/* ---- the handshake ------------------------------------------------------------------- */

static int timed_out(struct ktls_session *s, const char *why)
{
	return session_fail(s, KTLS_ETIMEOUT, "handshake not finished within %u ms%s",
			    s->cfg->engine.limits.handshake_timeout_ms, why);
}

int ktls_session_handshake(struct ktls_session *s)
{
	unsigned idle = 0; /* records this call that added nothing (the work budget, ktls.h) */
	struct ktls_engine_input in;
	if (!s->e) /* parked: the handshake is done */
		return s->idle_err;
	if (s->e->err)
		return s->e->err;
	for (;;) {
		if (time_left(s) == 0)
			return timed_out(s, "");
		int err = flush_out(s);
		if (err == KTLS_WANT_WRITE)
			return err;
		if (err == KTLS_ETIMEOUT)
			return timed_out(s, "");
		if (err)
			return s->e->err ? s->e->err : io_failed(s, err);
		if (s->e->state == HS_CONNECTED) {
			if (s->offload_decided) {
				rest(s);
				return 0;
			}
			/* the explicit step after the engine says "connected" */
			s->offload_decided = true;
			ktls_engine_release_handshake(s->e);
			err = offload(s);
			if (!err && s->e->role == KTLS_ROLE_SERVER) {
				err = ktls_engine_send_tickets(s->e);
				if (err)
					return engine_failed(s, err);
			}
			if (err)
				return err;
			continue; /* flush what the tickets queued */
		}
		if (s->e->state == HS_CLIENT_START) {
			err = ktls_engine_start(s->e);
			if (err)
				return engine_failed(s, err);
			continue;
		}
		err = read_record(s);
		if (err == KTLS_WANT_READ) {
			release_idle_buffers(s);
			return err;
		}
		if (err == KTLS_ETIMEOUT)
			return timed_out(s, ": the peer is too slow or silent");
		if (err == KTLS_ECLOSED)
			return session_fail(s, err, "peer closed the connection during the handshake");
		if (err == KTLS_EIO)
			return io_failed(s, err);
		if (err == KTLS_ENOMEM)
			return session_fail(s, err, "out of memory");
		if (err)
			return session_fail(s, err, "bad record header: %s", ktls_strerror(err));
		err = input_record(s, &in);
		if (err)
			return err;
		if (in.idle && ++idle >= KTLS_IDLE_RECORD_BUDGET && !s->blocking)
			return KTLS_WANT_READ; /* the rest waits for the next call */
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
		if (poll(&p, 1, time_left(s)) < 0 && errno != EINTR)
			return session_fail(s, KTLS_EIO, "poll: %s", strerror(errno));
	}
}

static int ensure_connected(struct ktls_session *s)
{
	if (!s->e)
		return s->idle_err;
	if (s->e->err)
		return s->e->err;
	if (s->e->state != HS_CONNECTED || !s->offload_decided)
		return ktls_session_handshake(s);
	return 0;
}

/* ---- sending ------------------------------------------------------------------------- */

/* Writes queued records (control records with kernel TX, ours otherwise); what
 * KTLS_SEND_MORE holds back stays. Returns 0, KTLS_WANT_WRITE or the failure. */
static int flush_queued(struct ktls_session *s)
{
	int err = flush_out(s);
	if (err && err != KTLS_WANT_WRITE)
		return session_err(s) ? session_err(s) : io_failed(s, err);
	return err;
}

/* ---- the AEAD usage limits (RFC 8446 §5.5) ---------------------------------------------
 * A sending key changes (KeyUpdate, §4.6.3) before it has protected as many records as its
 * AEAD allows (ktls_suite_record_limit; ktls_config_set_key_limit may lower it). With the
 * userspace record layer the engine's sequence number is the count. With kernel TX the
 * kernel's rec_seq is (getsockopt TLS_TX): asking it on every send would cost a system call
 * each, so tx_bound counts up an upper bound of what we sent, and only when that bound
 * nears the limit is the kernel asked, and the bound set to its answer. A kernel that
 * cannot take a new key gets close_notify instead, before the limit. */

/* Records kept below the limit: the KeyUpdate or close_notify that ends the key's use, and
 * two control records (an alert, a ticket) that leave without this check. */
#define KEY_LIMIT_RESERVE 3

static uint64_t key_limit(const struct ktls_session *s)
{
	const struct ktls_suite *suite = s->e ? s->e->suite : s->idle.suite;
	uint64_t limit = ktls_suite_record_limit(suite);
	return s->cfg->key_limit && s->cfg->key_limit < limit ? s->cfg->key_limit : limit;
}

/* At most the records the kernel makes of n bytes in one send: the one a MSG_MORE send left
 * open, the full ones, the last partial one — doubled, for records the kernel ends early
 * (a full fragment list). The kernel's count corrects the excess near the limit. */
static uint64_t records_for(size_t n)
{
	return 2 + 2 * (uint64_t)(n >> 14);
}

/* Userspace TX, before a data record is sealed: a key near its limit changes now. */
static int userspace_key_limit(struct ktls_session *s)
{
	uint64_t limit = key_limit(s);
	if (limit == UINT64_MAX || s->e->tx.seq + 1 + KEY_LIMIT_RESERVE <= limit)
		return 0;
	ktls_trace(s->e, "--- %llu records under this write key, the limit is %llu: KeyUpdate "
		   "(RFC 8446 §5.5)", (unsigned long long)s->e->tx.seq, (unsigned long long)limit);
	int err = ktls_engine_send_key_update(s->e, false);
	return err ? engine_failed(s, err) : 0;
}

static int release_held(struct ktls_session *s);

/* Our KeyUpdate (§4.6.3) and our next write key (§7.2), the engine live: the message is
 * sealed (userspace) or queued for the kernel under the old key, then the key changes —
 * for kernel TX queued behind the message, installed once it has left (kernel.h). Returns
 * 0 (a record still waiting for the socket counts as taken) or the failure. */
static int send_key_update(struct ktls_session *s, bool request_peer)
{
	int err = ktls_engine_send_key_update(s->e, request_peer);
	if (err)
		return engine_failed(s, err);
	err = flush_queued(s);
	return err == KTLS_WANT_WRITE ? 0 : err;
}

static const char no_rekey_at_limit[] = "the write key reached its AEAD usage limit (RFC 8446 "
	"§5.5) and this kernel cannot take a new TLS_TX key (TLS 1.3 rekey needs Linux 6.14 or "
	"later): connection closed with close_notify";

/* Kernel TX, the key at its limit: a KeyUpdate where the kernel rekeys, else close_notify
 * and KTLS_EKEYUPDATE. Returns 0, KTLS_WANT_WRITE (the new key waits behind the KeyUpdate)
 * or the failure. */
static int kernel_key_limit_reached(struct ktls_session *s, uint64_t limit)
{
	int err = release_held(s); /* a record MSG_MORE left open ends under the old key */
	if (err)
		return err;
	if (!engine(s))
		return s->idle_err;
	if (!s->k.rekey) {
		err = ktls_engine_close_notify(s->e);
		if (err)
			return err == KTLS_EIO ? kernel_io_failed(s) : err;
		return session_fail(s, KTLS_EKEYUPDATE, "%s", no_rekey_at_limit);
	}
	ktls_trace(s->e, "--- kernel TX: %llu records under this write key, the limit is %llu: "
		   "KeyUpdate (RFC 8446 §5.5)", (unsigned long long)s->tx_bound,
		   (unsigned long long)limit);
	err = send_key_update(s, false);
	if (!err && ktls_kernel_queued(&s->k))
		err = KTLS_WANT_WRITE;
	return err;
}

/* Kernel TX, before sending *n bytes: lowers *n so that the key stays within its limit,
 * changing the key first when it has no room left. Returns 0 (then *n > 0), KTLS_WANT_WRITE
 * or the failure. */
static int kernel_key_limit(struct ktls_session *s, size_t *n)
{
	uint64_t limit = key_limit(s);
	uint64_t usable = limit == UINT64_MAX ? limit : limit - KEY_LIMIT_RESERVE;
	if (s->tx_bound + records_for(*n) > usable) {
		/* our bound only over-counts: the kernel's count is the truth */
		uint64_t seq;
		int err = ktls_kernel_tx_seq(&s->k, &seq);
		if (err == KTLS_EIO)
			return kernel_io_failed(s);
		if (!err)
			s->tx_bound = seq; /* not reported: our bound stands */
		if (s->tx_bound + records_for(0) > usable) {
			err = kernel_key_limit_reached(s, limit);
			if (err)
				return err;
		}
		uint64_t room = usable - s->tx_bound; /* at least records_for(0) */
		uint64_t max = (((room - 2) / 2 + 1) << 14) - 1;
		if (*n > max)
			*n = (size_t)max;
	}
	s->tx_bound += records_for(*n);
	return 0;
}

/* Seals one application data record, the held bytes (tx_hold) then p[0..n), straight into
 * the output queue: the record is sealed where it will be sent from, and p is encrypted
 * from where it lies (only held bytes, which must lead the record, are copied in ahead of
 * it). The held bytes are gone after, sealed or not. Returns 0 or the failure. */
static int seal_data_record(struct ktls_session *s, const uint8_t *p, size_t n)
{
	size_t held = ktls_buf_pending(&s->tx_hold), len = held + n, rec_len = 0;
	size_t cap = TLS_RECORD_HEADER_LEN + len + 1 + KTLS_MAX_TAG_LEN;
	const uint8_t *content = p;
	uint8_t *rec = NULL;
	int err = ktls_buf_reserve(&s->out, cap, &rec);
	if (err)
		rec = NULL;
	if (!err && held) { /* the content is built in place: held bytes, then p's */
		uint8_t *c = rec + TLS_RECORD_HEADER_LEN;
		memcpy(c, s->tx_hold.data + s->tx_hold.pos, held);
		if (n)
			memcpy(c + held, p, n);
		content = c;
	}
	if (!err)
		err = ktls_engine_seal_record(s->e, TLS_CONTENT_APPLICATION_DATA, content, len, rec,
					      cap, &rec_len);
	if (held) {
		sodium_memzero(s->tx_hold.data, s->tx_hold.len);
		s->tx_hold.len = s->tx_hold.pos = 0;
	}
	if (err) {
		if (held && rec)
			sodium_memzero(rec, cap); /* no copied plaintext left in the queue's spare room */
		return err;
	}
	s->out.len += rec_len;
	return 0;
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
		size_t held = ktls_buf_pending(&s->tx_hold), left = len - taken;
		if (!held && !left)
			break;
		if (more && held + left < TLS_MAX_PLAINTEXT) { /* not a whole record yet: keep it */
			int err = left ? ktls_buf_append(&s->tx_hold, p + taken, left) : 0;
			if (err)
				return session_fail(s, err, "out of memory");
			taken = len;
			break;
		}
		int err = flush_queued(s); /* what an earlier call or record left queued */
		if (err == KTLS_WANT_WRITE)
			return taken ? (long)taken : KTLS_WANT_WRITE;
		if (err)
			return err;
		size_t n = left < TLS_MAX_PLAINTEXT - held ? left : TLS_MAX_PLAINTEXT - held;
		err = userspace_key_limit(s);
		if (err)
			return err;
		err = seal_data_record(s, p + taken, n);
		if (err)
			return session_fail(s, err, "cannot protect application data: %s",
					    ktls_strerror(err));
		taken += n;
		ktls_engine_data_sent(s->e);
	}
	int err = flush_queued(s);
	if (err && err != KTLS_WANT_WRITE)
		return err;
	/* a record still queued is ours now; the caller's next send or flush moves it */
	return (long)taken;
}

/* Sends what KTLS_SEND_MORE held back: the kernel's open record, or our held bytes as a
 * record. Returns 0, KTLS_WANT_WRITE or the failure. */
static int release_held(struct ktls_session *s)
{
	if (s->k.tx) {
		int err = ktls_kernel_end_record(&s->k);
		if (err == KTLS_EIO)
			return kernel_io_failed(s);
		return err;
	}
	if (!ktls_buf_pending(&s->tx_hold))
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
	if (notify_sent(s))
		return KTLS_EINVAL;
	if (!s->k.tx)
		return userspace_send(s, buf, len, more);
	err = flush_queued(s); /* queued control records, and a new key, go first */
	if (err)
		return err;
	if (!len) /* nothing to add: end the open record unless more is still to come */
		return more ? 0 : release_held(s);
	size_t taken = 0;
	while (taken < len) { /* in pieces only where a key nears its limit (§5.5) */
		size_t n = len - taken;
		err = kernel_key_limit(s, &n);
		if (err)
			return taken && err == KTLS_WANT_WRITE ? (long)taken : err;
		long sent = ktls_kernel_send(&s->k, (const uint8_t *)buf + taken, n,
					     more && taken + n == len);
		if (sent == KTLS_EIO)
			return kernel_io_failed(s);
		if (sent < 0)
			return taken ? (long)taken : sent;
		data_sent(s);
		taken += (size_t)sent;
		if ((size_t)sent < n)
			break;
	}
	return (long)taken;
}

long ktls_send(struct ktls_session *s, const void *buf, size_t len)
{
	return ktls_send_flags(s, buf, len, 0);
}

int ktls_session_flush(struct ktls_session *s)
{
	if (session_err(s)) {
		/* Failed: the alert the failure queued (RFC 8446 §6.2), behind what was queued
		 * before it, may still be waiting for a full socket; it goes now, and the
		 * error comes once nothing waits. */
		int err = flush_out(s);
		return err == KTLS_WANT_WRITE ? err : session_err(s);
	}
	int err = release_held(s);
	return err ? err : flush_queued(s); /* the kernel's queue or ours */
}

long ktls_sendfile(struct ktls_session *s, int in_fd, long long *offset, size_t count)
{
	int err = ensure_connected(s);
	if (err)
		return err;
	if (s->k.tx) {
		err = flush_queued(s); /* queued control records go first */
		if (err)
			return err;
		size_t done = 0;
		while (done < count) { /* in pieces only where a key nears its limit (§5.5) */
			size_t n = count - done;
			err = kernel_key_limit(s, &n);
			if (err)
				return done && err == KTLS_WANT_WRITE ? (long)done : err;
			long sent = ktls_kernel_sendfile(&s->k, in_fd, offset, n);
			if (sent == KTLS_EIO)
				return kernel_io_failed(s);
			if (sent < 0)
				return done ? (long)done : sent;
			if (sent > 0)
				data_sent(s);
			done += (size_t)sent;
			if ((size_t)sent < n)
				break; /* end of file, or a full socket */
		}
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
		return session_fail(s, KTLS_EIO, "sendfile: the file has no position: %s", strerror(errno));
	}
	while (done < count) {
		/* bytes KTLS_SEND_MORE held lead the first record: fill it up to 2^14 */
		size_t room = TLS_MAX_PLAINTEXT - ktls_buf_pending(&s->tx_hold);
		size_t want = count - done < room ? count - done : room;
		ssize_t n = pread(in_fd, buf, want, pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = session_fail(s, KTLS_EIO, "read: %s", strerror(errno));
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

/* ---- KeyUpdate we initiate ------------------------------------------------------------ */

static const char no_tx_rekey[] = "cannot send KeyUpdate: kernel TX carries our records and "
				  "this kernel cannot take a new TLS_TX key (TLS 1.3 rekey needs "
				  "Linux 6.14 or later); nothing was sent, the old key stays";

int ktls_key_update(struct ktls_session *s, bool request_peer)
{
	if (!s)
		return KTLS_EINVAL;
	if (session_err(s))
		return session_err(s);
	if ((s->e && (s->e->state != HS_CONNECTED || !s->offload_decided)) || notify_sent(s))
		return KTLS_EINVAL;
	s->note = NULL;
	/* the kernel told us at the handoff whether it takes a second TLS_TX key: ask before
	 * anything is sent, so a kernel that cannot costs the connection nothing */
	if (s->k.tx && !s->k.rekey) {
		s->note = no_tx_rekey;
		return KTLS_EKEYUPDATE;
	}
	int err = release_held(s); /* held data belongs under the old key, before the message */
	if (!err)
		err = flush_queued(s);
	if (err)
		return err; /* KTLS_WANT_WRITE: nothing taken yet */
	if (!engine(s))
		return s->idle_err;
	err = send_key_update(s, request_peer);
	if (!err)
		rest(s);
	return err;
}

/* ---- receiving ----------------------------------------------------------------------- */

/* What we must send and could not yet (a KeyUpdate answer, tickets, an alert), in bytes. */
static size_t queued_output(const struct ktls_session *s)
{
	return ktls_buf_pending(&s->out) + ktls_kernel_queued(&s->k);
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
	return s ? ktls_buf_pending(&s->app_in) : 0;
}

static long closed_without_notify(struct ktls_session *s)
{
	return session_fail(s, KTLS_ECLOSED, "connection closed without close_notify");
}

/* One read from kernel RX: data into buf, or a control record handed to the engine (0). */
static long kernel_recv(struct ktls_session *s, void *buf, size_t len)
{
	struct ktls_engine_input in;
	uint8_t type;
	long n = ktls_kernel_recv(&s->k, buf, len, &type);
	if (n > 0 && !s->e) { /* parked: nothing half-received, the caps start again */
		s->idle.empty_records = s->idle.warning_alerts = s->idle.key_updates = 0;
		return n;
	}
	if (n > 0) {
		int err = ktls_engine_data_received(s->e);
		return err ? engine_failed(s, err) : n;
	}
	if (n == 0 && type) {
		size_t ctl_len = s->k.ctl_len;
		s->k.ctl_len = 0; /* consumed: a key change it brings may be installed */
		struct ktls_engine *e = engine(s);
		int err = e ? ktls_engine_input_content(e, type, s->k.ctl, ctl_len, &in) : s->idle_err;
		ktls_kernel_release_ctl(&s->k);
		if (err)
			return e ? engine_failed(s, err) : err;
		rest(s);
		return 0;
	}
	if (n == KTLS_ECLOSED)
		return closed_without_notify(s);
	if (n == KTLS_WANT_READ)
		return n;
	if (n == KTLS_EIO)
		return kernel_io_failed(s);
	return session_fail(s, (int)n, "%s", s->k.why);
}

/* One record through the engine's record layer: data into buf (or app_in), 0 for a record
 * without data for the caller. */
static long userspace_recv(struct ktls_session *s, void *buf, size_t len)
{
	struct ktls_engine_input in;
	int err = read_record(s);
	if (err == KTLS_WANT_READ)
		return err;
	if (err == KTLS_ECLOSED)
		return closed_without_notify(s);
	if (err)
		return io_failed(s, err);
	err = input_record(s, &in);
	if (err)
		return err;
	if (!in.data_len)
		return 0;
	if (in.data_len <= len) {
		memcpy(buf, in.data, in.data_len);
		return (long)in.data_len;
	}
	err = ktls_buf_append(&s->app_in, in.data, in.data_len);
	return err ? session_fail(s, err, "out of memory") : 0;
}

long ktls_recv(struct ktls_session *s, void *buf, size_t len)
{
	unsigned idle = 0; /* records this call that carried no data (the work budget, ktls.h) */
	int err = ensure_connected(s);
	if (err)
		return err;
	for (;;) {
		size_t have = ktls_buf_pending(&s->app_in);
		if (have) {
			size_t n = have < len ? have : len;
			memcpy(buf, s->app_in.data + s->app_in.pos, n);
			ktls_buf_consume(&s->app_in, n);
			return (long)n;
		}
		if (notify_received(s))
			return 0;
		err = flush_queued(s); /* e.g. our answer to a KeyUpdate */
		if (err && err != KTLS_WANT_WRITE)
			return err;
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
		long n = s->k.rx ? kernel_recv(s, buf, len) : userspace_recv(s, buf, len);
		if (n != 0)
			return n; /* data, KTLS_WANT_READ, or an error */
		if (!ktls_buf_pending(&s->app_in))
			idle++; /* a control record or an empty one */
	}
}

int ktls_close(struct ktls_session *s)
{
	if (session_err(s))
		return session_err(s);
	if (s->e && s->e->state != HS_CONNECTED)
		return KTLS_EINVAL;
	if (!notify_sent(s)) {
		int err = release_held(s); /* data KTLS_SEND_MORE held goes before the alert */
		if (err)
			return err;
		if (!engine(s))
			return s->idle_err;
		err = ktls_engine_close_notify(s->e);
		if (err)
			return err == KTLS_EIO ? kernel_io_failed(s) : err;
	}
	int err = flush_out(s); /* the kernel's queue or ours */
	if (!err)
		rest(s);
	return err == KTLS_EIO ? io_failed(s, err) : err;
}

/* ---- what the connection knows ------------------------------------------------------- */

int ktls_export_keying_material(const struct ktls_session *s, const char *label,
				const uint8_t *context, size_t context_len, uint8_t *out, size_t len)
{
	uint8_t empty_hash[KTLS_MAX_HASH_LEN], ctx_hash[KTLS_MAX_HASH_LEN];
	uint8_t secret[KTLS_MAX_HASH_LEN];

	if (!s || !label || !out || (s->e && s->e->state != HS_CONNECTED) || session_err(s) ||
	    strlen(label) > 249 || (!context && context_len) || len > 0xffff)
		return KTLS_EINVAL;
	const struct ktls_suite *suite = s->e ? s->e->suite : s->idle.suite;
	const uint8_t *exporter = s->e ? s->e->ks.exporter_master
				       : ktls_engine_parked_secret(&s->idle, KTLS_PARKED_EXPORTER);
	const EVP_MD *md = suite->md();
	/* §7.5: HKDF-Expand-Label(Derive-Secret(exporter_master_secret, label, ""),
	 *                         "exporter", Hash(context_value), key_length) */
	if (!EVP_Digest("", 0, empty_hash, NULL, md, NULL) ||
	    !EVP_Digest(context ? context : (const uint8_t *)"", context_len, ctx_hash, NULL, md,
			NULL))
		return KTLS_ECRYPTO;
	int err = ktls_derive_secret(md, exporter, label, empty_hash, secret);
	if (!err)
		err = ktls_hkdf_expand_label(md, secret, "exporter", ctx_hash, suite->hash_len,
					     out, len);
	sodium_memzero(secret, sizeof(secret));
	return err;
}

long ktls_session_save(const struct ktls_session *s, uint8_t *buf, size_t cap)
{
	size_t len;
	if (!s || !buf)
		return KTLS_EINVAL;
	const struct ktls_saved_session *saved = s->e ? s->e->saved : s->idle.saved;
	if (!saved)
		return 0;
	int err = ktls_saved_session_encode(saved, buf, cap, &len);
	return err ? err : (long)len;
}

int ktls_session_resume(struct ktls_session *s, const uint8_t *buf, size_t len)
{
	struct ktls_saved_session *ss;
	if (!s || !buf || !s->e || s->e->role != KTLS_ROLE_CLIENT || s->e->state != HS_CLIENT_START)
		return KTLS_EINVAL;
	if (!(ss = calloc(1, sizeof(*ss))))
		return KTLS_ENOMEM;
	int err = ktls_saved_session_decode(buf, len, ss);
	if (err) {
		free(ss);
		return err;
	}
	if (s->e->offer)
		sodium_memzero(s->e->offer, sizeof(*s->e->offer));
	free(s->e->offer);
	s->e->offer = ss;
	return 0;
}

/* The names kept since the engine was first parked (alpn, server_name, peer_subject, the
 * ones present, in that order): the same pointers whether it is parked now or not. */
static void parked_names(const struct ktls_engine_parked *p, struct ktls_session_info *info)
{
	const char *q = p->names;
	const char **to[3] = { &info->alpn, &info->server_name, &info->peer_subject };
	bool has[3] = { p->has_alpn, p->has_server_name, p->has_peer_subject };
	for (int i = 0; i < 3; i++) {
		*to[i] = has[i] ? q : NULL;
		if (has[i])
			q += strlen(q) + 1;
	}
}

int ktls_session_get_info(const struct ktls_session *s, struct ktls_session_info *info)
{
	if (!s || !info)
		return KTLS_EINVAL;
	const struct ktls_engine *e = s->e;
	const struct ktls_engine_parked *p = &s->idle;
	memset(info, 0, sizeof(*info));
	if (e) {
		info->version = e->state == HS_CONNECTED ? TLS_VERSION_1_3 : 0;
		info->cipher_suite = e->suite ? e->suite->id : 0;
		info->group = e->group;
		info->signature_scheme = e->role == KTLS_ROLE_CLIENT ? e->sig_scheme
								      : e->our_sig_scheme;
		info->alpn = e->has_alpn ? e->alpn : NULL;
		info->server_name = e->has_server_name ? e->server_name : NULL;
		info->peer_subject = e->has_peer_subject ? e->peer_subject : NULL;
		info->hello_retry = e->hello_retry;
		info->resumed = e->psk_accepted;
		info->alert_sent = e->alert_sent;
		info->alert_received = e->alert_received;
		info->cert_subject = e->own_cert_sent ? e->chain->subject : NULL;
	} else { /* parked: connected and healthy */
		info->version = TLS_VERSION_1_3;
		info->cipher_suite = p->suite->id;
		info->group = p->group;
		info->signature_scheme = p->role == KTLS_ROLE_CLIENT ? p->sig_scheme
								      : p->our_sig_scheme;
		info->hello_retry = p->hello_retry;
		info->resumed = p->psk_accepted;
		info->alert_sent = p->alert_sent;
		info->alert_received = p->alert_received;
		info->cert_subject = p->own_cert_sent ? p->chain->subject : NULL;
	}
	if (p->names) /* parked now or before: the strings given out stay the same */
		parked_names(p, info);
	info->tx_offloaded = s->k.tx;
	info->rx_offloaded = s->k.rx;
	info->offload_status = s->offload_status ? s->offload_status
			     : s->offload_decided && s->cfg->offload == KTLS_OFFLOAD_NONE
				     ? "offload disabled by configuration" : "";
	info->tx_zerocopy = s->tx_zerocopy;
	info->rx_no_pad = s->rx_no_pad;
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
