/*
 * xfer.c — ktls-bench-xfer: the same payload over loopback TCP from a sender process to a
 * receiver process, through each way of doing (or not doing) TLS that a server would pick.
 *
 * Why it is built this way: a skeptical reader wants the same bytes, the same machine and
 * the same run for every scenario, and each side's CPU apart. So the parent makes the TCP
 * connection, forks a sender (TLS server) and a receiver (TLS client), pinned to different
 * CPUs when there are two; each runs its handshake, then both wait at a barrier; the clock
 * and getrusage() start there and stop when the sender's last call returns (sender) and
 * when the receiver has every byte (receiver). Handshakes are outside the measurement.
 * Throughput is bytes / (receiver's end - sender's start) on the shared monotonic clock.
 *
 * Output on stdout, for bench/run.sh: "raw,..." per repetition and "sum,..." per scenario
 * (median, min, max over the repetitions); progress and errors on stderr.
 */
#include "common.h"

#include "ktls.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <linux/tcp.h>
#include <sys/wait.h>
#include <unistd.h>

enum snd_kind {
	SND_PLAIN_SEND,
	SND_PLAIN_SENDFILE,
	SND_KTLS_SEND,
	SND_KTLS_SENDFILE,
	SND_KTLS_SPLICE,
	SND_USER_SEND,
	SND_OSSL_WRITE,
	SND_OSSL_KTLS_SENDFILE,
};

enum rcv_kind {
	RCV_PLAIN,
	RCV_KTLS,  /* our session, kernel RX */
	RCV_USER,  /* our session, userspace record layer */
	RCV_OSSL,  /* OpenSSL SSL_read (kTLS RX if OpenSSL enables it) */
	RCV_OSSL_KTLS,
};

struct scenario {
	const char *name;
	bool crypto; /* false: run once, cipher "-" */
	bool needs_ktls;
	enum snd_kind snd;
	enum rcv_kind rcv;
	const char *sender, *receiver; /* for the table */
};

static const struct scenario scenarios[] = {
	{ "plain-send", false, false, SND_PLAIN_SEND, RCV_PLAIN, "send(2) no TLS", "recv(2)" },
	{ "plain-sendfile", false, false, SND_PLAIN_SENDFILE, RCV_PLAIN, "sendfile(2) no TLS", "recv(2)" },
	{ "ktls-send", true, true, SND_KTLS_SEND, RCV_KTLS, "ours: kTLS send(2)", "ours: kTLS RX" },
	{ "ktls-sendfile", true, true, SND_KTLS_SENDFILE, RCV_KTLS, "ours: kTLS sendfile(2)", "ours: kTLS RX" },
	{ "ktls-splice", true, true, SND_KTLS_SPLICE, RCV_KTLS, "ours: kTLS splice(2) file->pipe->socket", "ours: kTLS RX" },
	{ "ktls-sendfile-userrx", true, true, SND_KTLS_SENDFILE, RCV_USER, "ours: kTLS sendfile(2)", "ours: userspace decrypt" },
	{ "user-send", true, false, SND_USER_SEND, RCV_USER, "ours: userspace encrypt+write", "ours: userspace decrypt" },
	{ "ossl-write", true, false, SND_OSSL_WRITE, RCV_OSSL, "OpenSSL SSL_write", "OpenSSL SSL_read" },
	{ "ossl-ktls-sendfile", true, true, SND_OSSL_KTLS_SENDFILE, RCV_OSSL_KTLS, "OpenSSL kTLS SSL_sendfile", "OpenSSL SSL_read with ENABLE_KTLS" },
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

struct opts {
	size_t size, wsize, rsize;
	int reps;
	bool verify;
	const char *file, *where, *cert;
	double timeout;
};

/* What each child reports to the parent through the result pipe (one write < PIPE_BUF). */
struct result {
	int role; /* 0 sender, 1 receiver */
	int ok;   /* 1 ok, 0 failed, -1 unsupported (a measured fact, e.g. OpenSSL declined kTLS) */
	double t_start, t_end;
	struct bench_cpu cpu;
	uint64_t bytes;
	uint64_t wire; /* receiver: TCP payload bytes received while measured (TCP_INFO) */
	char note[240];
};

struct child_ctx {
	const struct scenario *sc;
	const char *cipher;
	const struct opts *o;
	int fd;
	int go_rd, res_wr, fin_rd;
};

static void report(const struct child_ctx *c, struct result *r)
{
	if (bench_write_full(c->res_wr, r, sizeof(*r)))
		_exit(3);
}

/* Fails this child: reports the reason and exits. */
static void __attribute__((noreturn, format(printf, 3, 4)))
child_fail(const struct child_ctx *c, int role, const char *fmt, ...)
{
	struct result r = { .role = role, .ok = 0 };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r.note, sizeof(r.note), fmt, ap);
	va_end(ap);
	report(c, &r);
	_exit(1);
}

static void __attribute__((noreturn))
child_unsupported(const struct child_ctx *c, int role, const char *why)
{
	struct result r = { .role = role, .ok = -1 };
	snprintf(r.note, sizeof(r.note), "%s", why);
	report(c, &r);
	_exit(0);
}

static void barrier(const struct child_ctx *c, int ready_fd)
{
	char b = 'r';
	if (bench_write_full(ready_fd, &b, 1) || bench_read_full(c->go_rd, &b, 1))
		_exit(4);
}

/* ---- the sender ------------------------------------------------------------------------ */

static void sender(const struct child_ctx *c, int ready_fd)
{
	const struct scenario *sc = c->sc;
	const struct opts *o = c->o;
	struct ktls_config *cfg = NULL;
	struct ktls_session *s = NULL;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	uint8_t *buf = NULL;
	char note[240] = "";
	int file = open(o->file, O_RDONLY | O_CLOEXEC);

	if (file < 0)
		child_fail(c, 0, "open %s: %s", o->file, strerror(errno));
	if (sc->snd == SND_PLAIN_SEND || sc->snd == SND_KTLS_SEND || sc->snd == SND_USER_SEND ||
	    sc->snd == SND_OSSL_WRITE) {
		/* buffer senders send the file's bytes from memory, read before the clock starts */
		if (!(buf = malloc(o->size)) || pread(file, buf, o->size, 0) != (ssize_t)o->size)
			child_fail(c, 0, "cannot load the payload into memory");
	}

	switch (sc->snd) {
	case SND_KTLS_SEND: case SND_KTLS_SENDFILE: case SND_KTLS_SPLICE: case SND_USER_SEND: {
		cfg = bench_ktls_server_config(o->cert, c->cipher);
		ktls_config_set_offload(cfg, sc->snd == SND_USER_SEND ? KTLS_OFFLOAD_NONE : KTLS_OFFLOAD_BOTH,
					sc->snd != SND_USER_SEND);
		int err = ktls_handshake(c->fd, cfg, &s);
		if (err)
			child_fail(c, 0, "our handshake (server): %s", s ? ktls_session_error(s) : ktls_strerror(err));
		struct ktls_session_info info;
		ktls_session_get_info(s, &info);
		if (sc->snd != SND_USER_SEND && !info.tx_offloaded)
			child_fail(c, 0, "kernel TX not granted: %s", info.offload_status);
		snprintf(note, sizeof(note), "tx=%s", info.tx_offloaded ? "kernel" : "userspace");
		break;
	}
	case SND_OSSL_WRITE: case SND_OSSL_KTLS_SENDFILE: {
		int ktls = sc->snd == SND_OSSL_KTLS_SENDFILE;
		ctx = bench_ossl_server_ctx(o->cert, c->cipher, ktls);
		if (!(ssl = SSL_new(ctx)) || !SSL_set_fd(ssl, c->fd))
			child_fail(c, 0, "SSL_new: %s", bench_ossl_err());
		if (SSL_accept(ssl) != 1)
			child_fail(c, 0, "SSL_accept: %s", bench_ossl_err());
		int ktx = (int)BIO_get_ktls_send(SSL_get_wbio(ssl));
		snprintf(note, sizeof(note), "%s ktls_send=%d", SSL_get_cipher_name(ssl), ktx);
		if (ktls && !ktx) {
			char why[240];
			snprintf(why, sizeof(why), "OpenSSL %s did not enable kTLS TX for %s "
				 "(SSL_OP_ENABLE_KTLS set, BIO_get_ktls_send()=0 after SSL_accept)",
				 OpenSSL_version(OPENSSL_VERSION_STRING), SSL_get_cipher_name(ssl));
			barrier(c, ready_fd);
			child_unsupported(c, 0, why);
		}
		break;
	}
	default:
		break;
	}

	int p[2] = { -1, -1 };
	if (sc->snd == SND_KTLS_SPLICE) {
		if (pipe2(p, O_CLOEXEC))
			child_fail(c, 0, "pipe: %s", strerror(errno));
		size_t psz = o->wsize < 65536 ? 65536 : o->wsize;
		if (fcntl(p[1], F_SETPIPE_SZ, (int)psz) < 0)
			child_fail(c, 0, "F_SETPIPE_SZ %zu: %s", psz, strerror(errno));
	}

	barrier(c, ready_fd);
	struct result r = { .role = 0, .ok = 1 };
	struct bench_cpu c0, c1;
	bench_cpu_now(&c0);
	r.t_start = bench_now();
	size_t off = 0;
	long long loff = 0;
	off_t soff = 0;
	while (off < o->size) {
		size_t want = o->size - off < o->wsize ? o->size - off : o->wsize;
		long n = -1;
		switch (sc->snd) {
		case SND_PLAIN_SEND:
			n = send(c->fd, buf + off, want, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				child_fail(c, 0, "send: %s", strerror(errno));
			break;
		case SND_PLAIN_SENDFILE:
			n = sendfile(c->fd, file, &soff, want);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				child_fail(c, 0, "sendfile: %s", n ? strerror(errno) : "end of file");
			break;
		case SND_KTLS_SEND: case SND_USER_SEND:
			n = ktls_send(s, buf + off, want);
			if (n <= 0)
				child_fail(c, 0, "ktls_send: %s", ktls_session_error(s));
			break;
		case SND_KTLS_SENDFILE:
			n = ktls_sendfile(s, file, &loff, want);
			if (n <= 0)
				child_fail(c, 0, "ktls_sendfile: %s", n ? ktls_session_error(s) : "end of file");
			break;
		case SND_KTLS_SPLICE: {
			soff = (off_t)off;
			ssize_t in = splice(file, &soff, p[1], NULL, want, SPLICE_F_MOVE);
			if (in < 0 && errno == EINTR)
				continue;
			if (in <= 0)
				child_fail(c, 0, "splice file->pipe: %s", in ? strerror(errno) : "end of file");
			ssize_t outd = 0;
			for (int i = 0; outd < in && i < 1000000; i++) {
				ssize_t m = splice(p[0], NULL, c->fd, NULL, (size_t)(in - outd), SPLICE_F_MOVE);
				if (m < 0 && errno == EINTR)
					continue;
				if (m <= 0)
					child_fail(c, 0, "splice pipe->kTLS socket: %s", m ? strerror(errno) : "0");
				outd += m;
			}
			if (outd != in)
				child_fail(c, 0, "splice pipe->kTLS socket did not drain the pipe");
			n = in;
			break;
		}
		case SND_OSSL_WRITE: {
			int m = SSL_write(ssl, buf + off, (int)want);
			if (m <= 0)
				child_fail(c, 0, "SSL_write: %s", bench_ossl_err());
			n = m;
			break;
		}
		case SND_OSSL_KTLS_SENDFILE: {
			ossl_ssize_t m = SSL_sendfile(ssl, file, (off_t)off, want, 0);
			if (m <= 0)
				child_fail(c, 0, "SSL_sendfile: %s", bench_ossl_err());
			n = (long)m;
			break;
		}
		}
		off += (size_t)n;
	}
	r.t_end = bench_now();
	bench_cpu_now(&c1);
	r.cpu.user = c1.user - c0.user;
	r.cpu.sys = c1.sys - c0.sys;
	r.bytes = off;
	snprintf(r.note, sizeof(r.note), "%s", note);
	report(c, &r);
	/* keep the connection open until the parent has the receiver's result too */
	char b;
	if (read(c->fin_rd, &b, 1) < 0) { /* EOF or error: the parent is done either way */ }
	if (ssl) {
		SSL_free(ssl);
		SSL_CTX_free(ctx);
	}
	ktls_session_free(s);
	ktls_config_free(cfg);
	free(buf);
	_exit(0);
}

/* TCP payload bytes this socket has received (tcpi_bytes_received, Linux 4.19+): with the
 * payload size it gives the TLS overhead on the wire, so the number and size of records. */
static uint64_t tcp_bytes_received(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, 6 /* IPPROTO_TCP */, TCP_INFO, &ti, &len) ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
		return 0;
	return ti.tcpi_bytes_received;
}

/* ---- the receiver ---------------------------------------------------------------------- */

static void receiver(const struct child_ctx *c, int ready_fd)
{
	const struct scenario *sc = c->sc;
	const struct opts *o = c->o;
	struct ktls_config *cfg = NULL;
	struct ktls_session *s = NULL;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	char note[240] = "";
	uint8_t *buf = malloc(o->rsize);

	if (!buf)
		child_fail(c, 1, "out of memory");
	switch (sc->rcv) {
	case RCV_KTLS: case RCV_USER: {
		cfg = bench_ktls_client_config(c->cipher);
		ktls_config_set_offload(cfg, sc->rcv == RCV_USER ? KTLS_OFFLOAD_NONE : KTLS_OFFLOAD_BOTH,
					sc->rcv == RCV_KTLS);
		int err = ktls_handshake(c->fd, cfg, &s);
		if (err)
			child_fail(c, 1, "our handshake (client): %s", s ? ktls_session_error(s) : ktls_strerror(err));
		struct ktls_session_info info;
		ktls_session_get_info(s, &info);
		if (sc->rcv == RCV_KTLS && !info.rx_offloaded)
			child_fail(c, 1, "kernel RX not granted: %s", info.offload_status);
		snprintf(note, sizeof(note), "rx=%s", info.rx_offloaded ? "kernel" : "userspace");
		break;
	}
	case RCV_OSSL: case RCV_OSSL_KTLS:
		ctx = bench_ossl_client_ctx(c->cipher, sc->rcv == RCV_OSSL_KTLS);
		if (!(ssl = SSL_new(ctx)) || !SSL_set_fd(ssl, c->fd) || !SSL_set1_host(ssl, "localhost") ||
		    !SSL_set_tlsext_host_name(ssl, "localhost"))
			child_fail(c, 1, "SSL_new: %s", bench_ossl_err());
		if (SSL_connect(ssl) != 1)
			child_fail(c, 1, "SSL_connect: %s", bench_ossl_err());
		snprintf(note, sizeof(note), "ktls_recv=%d", (int)BIO_get_ktls_recv(SSL_get_rbio(ssl)));
		break;
	default:
		break;
	}

	/* before the barrier: the sender starts at once, and bytes it sends before we look
	 * would be missed */
	uint64_t wire0 = tcp_bytes_received(c->fd);
	barrier(c, ready_fd);
	struct result r = { .role = 1, .ok = 1 };
	struct bench_cpu c0, c1;
	bench_cpu_now(&c0);
	r.t_start = bench_now();
	uint64_t got = 0;
	while (got < o->size) {
		long n;
		if (sc->rcv == RCV_PLAIN) {
			n = recv(c->fd, buf, o->rsize, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				child_fail(c, 1, "recv after %llu bytes: %s", (unsigned long long)got,
					   n ? strerror(errno) : "end of stream");
		} else if (s) {
			/* KTLS_WANT_READ on this blocking socket: records without data (tickets)
			 * came first; the next call waits for data */
			while ((n = ktls_recv(s, buf, o->rsize)) == KTLS_WANT_READ)
				;
			if (n <= 0)
				child_fail(c, 1, "ktls_recv after %llu bytes: %s", (unsigned long long)got,
					   n ? ktls_session_error(s) : "close_notify");
		} else {
			int m = SSL_read(ssl, buf, (int)o->rsize);
			if (m <= 0)
				child_fail(c, 1, "SSL_read after %llu bytes: %s", (unsigned long long)got, bench_ossl_err());
			n = m;
		}
		if (o->verify)
			for (long i = 0; i < n; i++)
				if (buf[i] != bench_payload_byte(got + (uint64_t)i))
					child_fail(c, 1, "payload differs at byte %llu", (unsigned long long)(got + (uint64_t)i));
		got += (uint64_t)n;
	}
	r.t_end = bench_now();
	bench_cpu_now(&c1);
	r.cpu.user = c1.user - c0.user;
	r.cpu.sys = c1.sys - c0.sys;
	r.bytes = got;
	r.wire = tcp_bytes_received(c->fd) - wire0;
	if (got != o->size)
		child_fail(c, 1, "received %llu bytes, expected %zu", (unsigned long long)got, o->size);
	snprintf(r.note, sizeof(r.note), "%s", note);
	report(c, &r);
	if (ssl) {
		SSL_free(ssl);
		SSL_CTX_free(ctx);
	}
	ktls_session_free(s);
	ktls_config_free(cfg);
	free(buf);
	_exit(0);
}

/* ---- one repetition -------------------------------------------------------------------- */

struct rep {
	int ok; /* 1, 0 failed, -1 unsupported */
	double secs;
	struct bench_cpu snd, rcv;
	uint64_t wire;
	char note[520];
};

static pid_t spawn(struct child_ctx *c, int role, int ready_wr, int other_fd, int pin,
		   int close_fds[], int nclose)
{
	pid_t pid = fork();
	if (pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (pid)
		return pid;
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)c->o->timeout + 1);
	close(other_fd);
	for (int i = 0; i < nclose; i++)
		close(close_fds[i]);
	if (pin)
		bench_pin(role);
	if (role == 0)
		sender(c, ready_wr);
	else
		receiver(c, ready_wr);
	_exit(5);
}

static void run_rep(const struct scenario *sc, const char *cipher, const struct opts *o,
		    struct rep *out)
{
	int sfd, rfd, ready[2], go[2], res[2], fin[2];
	bench_tcp_pair(&rfd, &sfd); /* receiver connects (TLS client), sender accepted */
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) || pipe2(res, O_CLOEXEC) ||
	    pipe2(fin, O_CLOEXEC))
		bench_die("pipe: %s", strerror(errno));

	struct child_ctx cs = { sc, cipher, o, sfd, go[0], res[1], fin[0] };
	struct child_ctx cr = { sc, cipher, o, rfd, go[0], res[1], -1 };
	int pin = bench_ncpus() >= 2;
	int close_s[] = { ready[0], go[1], res[0], fin[1] };
	int close_r[] = { ready[0], go[1], res[0], fin[1], fin[0] };
	pid_t ps = spawn(&cs, 0, ready[1], rfd, pin, close_s, 4);
	pid_t pr = spawn(&cr, 1, ready[1], sfd, pin, close_r, 5);
	close(sfd);
	close(rfd);
	close(ready[1]);
	close(go[0]);
	close(res[1]);
	close(fin[0]);

	double deadline = bench_now() + o->timeout;
	struct result rs[2];
	bool have[2] = { false, false };
	int readies = 0;
	memset(out, 0, sizeof(*out));
	/* wait for both to be ready (or to report a failure), then release them together */
	while (readies < 2 || !(have[0] && have[1])) {
		struct pollfd pf[2] = { { .fd = ready[0], .events = POLLIN }, { .fd = res[0], .events = POLLIN } };
		pid_t owing[2] = { have[0] ? 0 : ps, have[1] ? 0 : pr };
		if (bench_wait_fds(pf, 2, deadline, owing, 2) <= 0)
			break; /* late, or a child died without a word: both get killed below */
		if (pf[0].revents && readies < 2) {
			char b;
			ssize_t m = read(ready[0], &b, 1);
			if (m == 1 && ++readies == 2) {
				char go2[2] = { 'g', 'g' };
				if (bench_write_full(go[1], go2, 2))
					break;
			} else if (m <= 0) {
				readies = 2; /* both gone: the results (or their absence) tell */
			}
		}
		if (pf[1].revents) {
			struct result r;
			if (bench_read_full(res[0], &r, sizeof(r)))
				break;
			if (r.role == 0 || r.role == 1) {
				rs[r.role] = r;
				have[r.role] = true;
			}
			if (r.ok <= 0 && readies < 2) {
				/* one side cannot go on: release the other so it does not wait forever */
				char go2[2] = { 'g', 'g' };
				if (bench_write_full(go[1], go2, 2)) { /* the children may be gone */ }
				readies = 2;
			}
			if (r.ok <= 0)
				break;
		}
	}
	close(fin[1]); /* the sender may go now */
	close(go[1]);
	/* a side that failed leaves the other blocked on the socket: end both */
	bool all = have[0] && have[1] && rs[0].ok == 1 && rs[1].ok == 1;
	if (!all) {
		kill(ps, SIGKILL);
		kill(pr, SIGKILL);
	}
	int st_s = bench_reap(ps, deadline + 5), st_r = bench_reap(pr, deadline + 5);
	close(ready[0]);
	close(res[0]);

	if ((have[0] && rs[0].ok < 0) || (have[1] && rs[1].ok < 0)) {
		out->ok = -1;
		snprintf(out->note, sizeof(out->note), "%s", have[0] && rs[0].ok < 0 ? rs[0].note : rs[1].note);
		return;
	}
	if (!all) {
		out->ok = 0;
		snprintf(out->note, sizeof(out->note), "sender: %s; receiver: %s",
			 !have[0] ? (st_s == -1 ? "timed out" : "no result") : rs[0].ok ? "ok" : rs[0].note,
			 !have[1] ? (st_r == -1 ? "timed out" : "no result") : rs[1].ok ? "ok" : rs[1].note);
		return;
	}
	out->ok = 1;
	out->secs = rs[1].t_end - rs[0].t_start;
	out->snd = rs[0].cpu;
	out->rcv = rs[1].cpu;
	out->wire = rs[1].wire;
	snprintf(out->note, sizeof(out->note), "%s %s", rs[0].note, rs[1].note);
}

/* ---- statistics and output ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

static struct stat3 stats(const double *v, int n)
{
	double s[64];
	struct stat3 r;
	memcpy(s, v, (size_t)n * sizeof(double));
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	r.min = s[0];
	r.max = s[n - 1];
	r.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return r;
}

/* One (scenario, cipher) cell: its repetitions so far and how it ended. */
struct cell {
	const struct scenario *sc;
	char cipher[16];
	int n, ok; /* repetitions done; 1 ok so far, 0 failed, -1 unsupported */
	double mibps[64], su[64], ss[64], st[64], ru[64], rsy[64], rt[64], rec[64];
	char note[520];
};

static void run_cell_rep(struct cell *cl, const struct opts *o)
{
	struct rep rep;
	double gib = (double)o->size / GIB;
	int n = cl->n;

	run_rep(cl->sc, cl->cipher, o, &rep);
	snprintf(cl->note, sizeof(cl->note), "%s", rep.note);
	for (char *p = cl->note; *p; p++)
		if (*p == ',' || *p == '\n')
			*p = ';';
	if (rep.ok != 1) {
		cl->ok = rep.ok;
		fprintf(stderr, "xfer: %-22s %-8s rep %d %s: %s\n", cl->sc->name, cl->cipher, n + 1,
			rep.ok < 0 ? "unsupported" : "FAILED", cl->note);
		return;
	}
	cl->mibps[n] = (double)o->size / MIB / rep.secs;
	cl->su[n] = rep.snd.user / gib;
	cl->ss[n] = rep.snd.sys / gib;
	cl->st[n] = (rep.snd.user + rep.snd.sys) / gib;
	cl->ru[n] = rep.rcv.user / gib;
	cl->rsy[n] = rep.rcv.sys / gib;
	cl->rt[n] = (rep.rcv.user + rep.rcv.sys) / gib;
	/* TLS 1.3 adds 22 bytes per record (5 header, 1 content type, 16 tag; nobody here
	 * pads), so the wire overhead counts the records */
	cl->rec[n] = rep.wire > o->size ? (double)o->size / ((double)(rep.wire - o->size) / 22.0) : 0;
	printf("raw,%s,%s,%s,%d,%zu,%zu,%.6f,%.6f,%.6f,%.6f,%.6f\n", o->where, cl->sc->name, cl->cipher,
	       n + 1, o->size, o->wsize, rep.secs, rep.snd.user, rep.snd.sys, rep.rcv.user, rep.rcv.sys);
	fflush(stdout);
	fprintf(stderr, "xfer: %-22s %-8s rep %d: %8.2f MiB/s, sender %.3f, receiver %.3f CPU s/GiB\n",
		cl->sc->name, cl->cipher, n + 1, cl->mibps[n], cl->st[n], cl->rt[n]);
	cl->n++;
}

/* Prints the cell's sum line; returns -1 when it failed (unsupported is not a failure). */
static int print_cell(const struct cell *cl, const struct opts *o)
{
	const struct scenario *sc = cl->sc;
	int n = cl->n;
	if (cl->ok != 1) {
		printf("sum,%s,%s,%s,%s,%s,%zu,%zu,%d,%s,,,,,,,,,,,,,,,%s\n", o->where, sc->name, cl->cipher,
		       sc->sender, sc->receiver, o->size, o->wsize, n, cl->ok < 0 ? "unsupported" : "FAILED",
		       cl->note);
		return cl->ok < 0 ? 0 : -1;
	}
	struct stat3 t = stats(cl->mibps, n), a = stats(cl->su, n), b = stats(cl->ss, n),
		     c = stats(cl->st, n), d = stats(cl->ru, n), e = stats(cl->rsy, n),
		     f = stats(cl->rt, n), g = stats(cl->rec, n);
	printf("sum,%s,%s,%s,%s,%s,%zu,%zu,%d,ok,%.2f,%.2f,%.2f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.0f,%s\n",
	       o->where, sc->name, cl->cipher, sc->sender, sc->receiver, o->size, o->wsize, n, t.med,
	       t.min, t.max, a.med, b.med, c.med, c.min, c.max, d.med, e.med, f.med, f.min, f.max, g.med,
	       cl->note);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ktls-bench-xfer [OPTIONS]\n"
		"Moves the same payload over loopback TCP, sender and receiver in separate processes,\n"
		"through each scenario; prints raw,... and sum,... CSV lines (see bench/README.md).\n\n"
		"  --scenarios LIST  comma-separated (default: all); --list shows them\n"
		"  --native-only     only the scenarios that need no kernel TLS\n"
		"  --ciphers LIST    chacha20,aes128 (default)\n"
		"  --size N          payload bytes (default 64M; K/M/G suffixes)\n"
		"  --write N         bytes per send/sendfile/splice/SSL_write call (default 16K)\n"
		"  --read N          receive buffer (default 64K)\n"
		"  --reps R          repetitions, median/min/max reported (default 5)\n"
		"  --verify          the receiver checks every byte (costs receiver CPU)\n"
		"  --file PATH       payload file (default /tmp/ktls-bench-payload)\n"
		"  --cert KIND       server certificate: ecdsa (default), rsa, ed25519\n"
		"  --where LABEL     the label of the location column (native, emulated)\n"
		"  --timeout S       per repetition (default 300)\n");
}

int main(int argc, char **argv)
{
	struct opts o = { .size = 64u << 20, .wsize = 16u << 10, .rsize = 64u << 10, .reps = 5,
			  .file = "/tmp/ktls-bench-payload", .where = "native", .cert = "ecdsa",
			  .timeout = 300 };
	const char *list = NULL, *ciphers = "chacha20,aes128";
	bool native_only = false;
	static const struct option lo[] = {
		{ "scenarios", 1, 0, 's' }, { "ciphers", 1, 0, 'c' }, { "size", 1, 0, 'n' },
		{ "write", 1, 0, 'w' }, { "read", 1, 0, 'r' }, { "reps", 1, 0, 'R' },
		{ "verify", 0, 0, 'v' }, { "file", 1, 0, 'f' }, { "where", 1, 0, 'W' },
		{ "timeout", 1, 0, 't' }, { "list", 0, 0, 'l' }, { "native-only", 0, 0, 'N' },
		{ "cert", 1, 0, 'C' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	bench_prog = "ktls-bench-xfer";
	for (int ch; (ch = getopt_long(argc, argv, "h", lo, NULL)) != -1;) {
		switch (ch) {
		case 's': list = optarg; break;
		case 'c': ciphers = optarg; break;
		case 'n': if (bench_parse_size(optarg, &o.size)) bench_die("bad --size '%s'", optarg); break;
		case 'w': if (bench_parse_size(optarg, &o.wsize)) bench_die("bad --write '%s'", optarg); break;
		case 'r': if (bench_parse_size(optarg, &o.rsize)) bench_die("bad --read '%s'", optarg); break;
		case 'R': o.reps = atoi(optarg); break;
		case 'v': o.verify = true; break;
		case 'f': o.file = optarg; break;
		case 'W': o.where = optarg; break;
		case 't': o.timeout = atof(optarg); break;
		case 'N': native_only = true; break;
		case 'C': o.cert = optarg; break;
		case 'l':
			for (size_t i = 0; i < NSCEN; i++)
				printf("%-22s %-40s %s%s\n", scenarios[i].name, scenarios[i].sender,
				       scenarios[i].receiver, scenarios[i].needs_ktls ? " (kTLS)" : "");
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || o.reps < 1 || o.reps > 64 || o.timeout <= 0 || o.wsize > (1u << 30) ||
	    o.rsize > (1u << 30))
		bench_die("bad arguments (reps 1..64; try --help)");

	bool chosen[NSCEN];
	for (size_t i = 0; i < NSCEN; i++)
		chosen[i] = !list && !(native_only && scenarios[i].needs_ktls);
	if (list) {
		char *dup = strdup(list), *save = NULL;
		for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			size_t i;
			for (i = 0; i < NSCEN && strcmp(scenarios[i].name, t); i++)
				;
			if (i == NSCEN)
				bench_die("unknown scenario '%s' (--list)", t);
			chosen[i] = true;
		}
		free(dup);
	}
	signal(SIGPIPE, SIG_IGN);
	if (bench_payload_file(o.file, o.size))
		bench_die("cannot write the payload file %s: %s", o.file, strerror(errno));
	struct utsname u;
	uname(&u);
	fprintf(stderr, "xfer: payload %zu bytes, writes of %zu, %d repetition(s), %d CPU(s)%s, kernel %s\n",
		o.size, o.wsize, o.reps, bench_ncpus(), bench_ncpus() >= 2 ? " (sender and receiver pinned apart)" : "",
		u.release);
	printf("# raw,where,scenario,cipher,rep,bytes,write,seconds,snd_user_s,snd_sys_s,rcv_user_s,rcv_sys_s\n");
	printf("# sum,where,scenario,cipher,sender,receiver,bytes,write,reps,status,mibps_med,mibps_min,mibps_max,"
	       "snd_user_s_gib,snd_sys_s_gib,snd_cpu_s_gib,snd_cpu_min,snd_cpu_max,rcv_user_s_gib,rcv_sys_s_gib,"
	       "rcv_cpu_s_gib,rcv_cpu_min,rcv_cpu_max,avg_record_bytes,note\n");
	/* The cells, then the repetitions round-robin over them: rep 1 of every cell, rep 2 of
	 * every cell, ... so that a host whose speed drifts (a shared machine, an emulator)
	 * shifts every scenario alike instead of the ones that happened to run late. */
	struct cell *cells = calloc(2 * NSCEN * 4, sizeof(*cells));
	size_t ncells = 0;
	if (!cells)
		bench_die("out of memory");
	for (size_t i = 0; i < NSCEN; i++) {
		if (!chosen[i])
			continue;
		char *dup = strdup(scenarios[i].crypto ? ciphers : "-"), *save = NULL;
		for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (scenarios[i].crypto)
				bench_ossl_suite(t); /* validates the name */
			if (ncells == 2 * NSCEN * 4)
				bench_die("too many ciphers");
			cells[ncells].sc = &scenarios[i];
			cells[ncells].ok = 1;
			snprintf(cells[ncells].cipher, sizeof(cells[ncells].cipher), "%s", t);
			ncells++;
		}
		free(dup);
	}
	for (int rep = 0; rep < o.reps; rep++)
		for (size_t k = 0; k < ncells; k++)
			if (cells[k].ok == 1)
				run_cell_rep(&cells[k], &o);
	int failed = 0;
	for (size_t k = 0; k < ncells; k++) {
		failed |= print_cell(&cells[k], &o);
		fprintf(stderr, "xfer: %-22s %-8s %s\n", cells[k].sc->name, cells[k].cipher,
			cells[k].ok == 1 ? "ok" : cells[k].ok < 0 ? "unsupported (see the table)" : "FAILED");
	}
	fflush(stdout);
	free(cells);
	unlink(o.file);
	return failed ? 1 : 0;
}
