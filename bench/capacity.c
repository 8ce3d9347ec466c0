/*
 * capacity.c — ktls-bench-capacity: a server's CPU per TLS 1.3 handshake at saturation, our
 * library against OpenSSL libssl, with the same certificate (RSA-2048, ECDSA P-256 or
 * Ed25519), group X25519 and suite ChaCha20-Poly1305.
 *
 * Why not ktls-bench-handshake: that one runs one connection at a time, so its rate is a
 * latency (both sides' work plus the round trips, in series) and says little about what a
 * server can take. Here the server is one process pinned to one CPU, running an epoll loop
 * over non-blocking sockets with many handshakes in flight, and client processes pinned to
 * the other CPU(s) keep --conc connections each in flight, opening a new one as each ends,
 * so the server always has work waiting. What is measured is the server's own CPU
 * (getrusage user + system) over a steady window of N handshakes that starts after a
 * warm-up, divided by N: µs of server CPU per handshake. The window's CPU time over its wall
 * time is how busy the server was ("busy", 1.00 = saturated), and its run-queue delay over
 * the same time ("wait", from /proc/self/schedstat) the share it had work but another
 * process held the CPU, as on a shared host; what is left, 1 - busy - wait, it waited for
 * the clients. The per-handshake CPU is the server's own cost either way.
 *
 * Saturation on a small machine (--throttle, the default with 2 to 3 CPUs): a client's
 * handshake costs 2-3x a server's (it verifies the signature and parses the certificate), so
 * one client CPU cannot keep a fast server busy. A server that runs out of work sleeps in
 * epoll_wait, and each sleep costs it about 85 µs of CPU on return here (a virtual CPU that
 * halted wakes with cold caches: measured from the server's CPU per handshake at 1, 2 and 8
 * connections in flight against its voluntary context switches), so the faster server paid
 * for being faster. With --throttle the server runs at nice 5 and shares its CPU with a spin
 * loop at nice 0 that touches no memory: it gets about a quarter of that CPU, is always
 * behind its clients, and never sleeps ("sleeps", voluntary context switches per handshake,
 * near 0; "wait" then shows the share the spin loop held). getrusage counts the server's own
 * time only, and both libraries are measured the same way.
 *
 * The clients are as cheap as they can be and the same for both servers: our library, the
 * server's chain not verified (insecure mode; the CertificateVerify signature still is, by
 * the protocol), no kernel TLS, the same ClientHello to either server. Each connection reads
 * until the server closes, so the server's tickets are taken before the client closes.
 *
 * Modes: "full" (full handshakes, tickets at each library's default: ours sends 2 after a
 * full handshake and after a resumption; OpenSSL 3.0 2 after a full one and never more than 1
 * after a resumption (SSL_CTX_set_num_tickets(3)), stateless), "resumed" (tickets at default; each client connection resumes with
 * the newest ticket its slot got, psk_dhe_ke, so X25519 still runs; the warm-up includes
 * each slot's first full handshake, and a full handshake inside the window fails the cell),
 * "full-notickets" (ours ktls_config_set_tickets(0); OpenSSL num_tickets 0, SSL_OP_NO_TICKET,
 * session cache off).
 *
 * --ktls: where the kernel has TLS (the microVM here), the server also hands the traffic keys
 * to the kernel after each handshake (ours: both directions, required; OpenSSL:
 * SSL_OP_ENABLE_KTLS, which it applies where it can, counted in the note); without it both
 * keep the record layer in userspace (our KTLS_OFFLOAD_NONE).
 *
 * Repetitions go round robin over the cells, ours and OpenSSL back to back (their order
 * alternating), so a drifting host shifts both alike. Every loop is bounded: each child arms
 * alarm(), the parent waits with a deadline, kills what is late and reaps every child.
 *
 * Output on stdout: "capraw,..." per repetition, "capsum,..." per (library, certificate,
 * mode); the "#" lines name the columns and state each library's ticket default.
 */
#include "common.h"

#include "ktls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CLIENT_PROCS 8
#define TICKET_MAX 2048 /* ktls.h: 2 KiB always holds a saved session */

struct mode {
	const char *name;
	bool tickets; /* the library's default tickets (else none) */
	bool resume;  /* clients resume with a ticket */
};
static const struct mode modes[] = {
	{ "full", true, false },
	{ "resumed", true, true },
	{ "full-notickets", false, false },
};

struct cap_opts {
	int n, warm, conc, procs, reps;
	double timeout;
	const char *where;
	bool ktls;
	int throttle; /* 1: the server shares its CPU with a spin loop (above); -1: auto */
};

/* what a child sends the parent (role 0 server, 1..procs clients) */
struct cap_result {
	int role, ok;
	double wall;          /* server: the window; client: its whole loop */
	struct bench_cpu cpu; /* the same span */
	long done;            /* server: handshakes in the window; client: connections ended */
	long full, resumed;   /* server, in the window */
	long ktls_tx, ktls_rx; /* server, in the window: connections the kernel took keys for */
	double waited;        /* seconds runnable but not running, over the same span */
	long sleeps;          /* server, in the window: voluntary context switches */
	char note[200];
};

static void send_result(int fd, const struct cap_result *r)
{
	if (bench_write_full(fd, r, sizeof(*r)))
		_exit(3);
}

static void __attribute__((noreturn)) fail(int res, int role, const char *what)
{
	struct cap_result r = { .role = role, .ok = 0 };
	snprintf(r.note, sizeof(r.note), "%s", what);
	send_result(res, &r);
	_exit(1);
}

/* Seconds this process has spent runnable but waiting for a CPU (the second field of
 * /proc/self/schedstat, in ns; 0 where the kernel does not keep it). With the busy fraction
 * it tells a server that waited for work (idle: the clients were too slow) from one that
 * waited for a CPU other processes held. */
static double run_delay_s(void)
{
	unsigned long long run = 0, delay = 0;
	FILE *f = fopen("/proc/self/schedstat", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &run, &delay) != 2)
		delay = 0;
	fclose(f);
	return (double)delay / 1e9;
}

/* The spin loop of --throttle: on the server's CPU, at nice 0, touching no memory. */
static void __attribute__((noreturn)) spin(const struct cap_opts *o)
{
	alarm((unsigned)o->timeout + 5);
	bench_pin(0);
	for (;;)
		__asm__ volatile("" ::: "memory");
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		bench_die("fcntl O_NONBLOCK: %s", strerror(errno));
}

/* One epoll_wait (a second at most, so alarm() and the stop pipe stay in charge); returns
 * the number of events, 0 on EINTR. */
static int wait_events(int ep, struct epoll_event *evs, int max)
{
	int n = epoll_wait(ep, evs, max, 1000);
	if (n < 0 && errno != EINTR)
		bench_die("epoll_wait: %s", strerror(errno));
	return n < 0 ? 0 : n;
}

/* Waits for the parent's go byte after saying ready. */
static void barrier(int ready, int go)
{
	char b = 'r';
	if (bench_write_full(ready, &b, 1) || bench_read_full(go, &b, 1))
		_exit(4);
}

/* ---- the server ------------------------------------------------------------------------ */

struct sconn {
	int fd;
	struct ktls_session *s;
	SSL *ssl;
};

/* The server's chain and key files for a certificate kind: both libraries load the same. */
static void server_files(const char *cert, const char **chain, const char **key)
{
	char c[64], k[64];
	snprintf(c, sizeof(c), "server-%s.pem", cert);
	snprintf(k, sizeof(k), "server-%s.key", cert);
	*chain = bench_cert_path(c);
	*key = bench_cert_path(k);
}

static struct ktls_config *our_server_config(const char *cert, const struct mode *m, bool ktls)
{
	const char *c, *k;
	server_files(cert, &c, &k);
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_SERVER);
	if (!cfg)
		bench_die("ktls_config_new: out of memory");
	/* tickets: left at the library's default unless turned off */
	if (ktls_config_set_cert(cfg, c, k) ||
	    ktls_config_set_groups(cfg, "x25519") || ktls_config_set_ciphers(cfg, "chacha20") ||
	    (!m->tickets && ktls_config_set_tickets(cfg, 0, 7200)) ||
	    ktls_config_set_offload(cfg, ktls ? KTLS_OFFLOAD_BOTH : KTLS_OFFLOAD_NONE, ktls))
		bench_die("our server config: %s", ktls_config_error(cfg));
	return cfg;
}

static SSL_CTX *ossl_server_ctx(const char *cert, const struct mode *m, bool ktls)
{
	const char *c, *k;
	server_files(cert, &c, &k);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		bench_die_ssl("SSL_CTX_new");
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set1_groups_list(ctx, "X25519") ||
	    !SSL_CTX_set_ciphersuites(ctx, "TLS_CHACHA20_POLY1305_SHA256") ||
	    SSL_CTX_use_certificate_chain_file(ctx, c) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, k, SSL_FILETYPE_PEM) != 1)
		bench_die_ssl("OpenSSL server setup");
	if (!m->tickets) {
		/* in TLS 1.3 SSL_OP_NO_TICKET alone means stateful tickets: 0 sends none */
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	}
	if (ktls)
		SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
	return ctx;
}

struct server_state {
	int ep, res;
	bool ours;
	const struct mode *m;
	const struct cap_opts *o;
	struct ktls_config *cfg;
	SSL_CTX *ctx;
	long count;  /* handshakes completed */
	bool in_window, window_done;
	struct cap_result r;
	struct bench_cpu c0;
	double t0, d0;
	char msg[200];
};

static void server_conn_end(struct sconn *c)
{
	ktls_session_free(c->s);
	SSL_free(c->ssl);
	close(c->fd);
	free(c);
}

static void window_start(struct server_state *st)
{
	st->in_window = true;
	bench_cpu_now(&st->c0);
	st->d0 = run_delay_s();
	st->t0 = bench_now();
}

static void server_done(struct server_state *st, struct sconn *c)
{
	bool resumed, tx, rx;
	if (st->ours) {
		struct ktls_session_info info;
		ktls_session_get_info(c->s, &info);
		resumed = info.resumed;
		tx = info.tx_offloaded;
		rx = info.rx_offloaded;
	} else {
		resumed = SSL_session_reused(c->ssl);
		tx = BIO_get_ktls_send(SSL_get_wbio(c->ssl));
		rx = BIO_get_ktls_recv(SSL_get_rbio(c->ssl));
	}
	server_conn_end(c);
	st->count++;
	if (st->in_window) {
		st->r.done++;
		st->r.resumed += resumed;
		st->r.full += !resumed;
		st->r.ktls_tx += tx;
		st->r.ktls_rx += rx;
	}
	if (!st->in_window && !st->window_done && st->count == st->o->warm)
		window_start(st);
	else if (st->in_window && st->r.done == st->o->n) {
		struct bench_cpu c1;
		bench_cpu_now(&c1);
		st->r.wall = bench_now() - st->t0;
		st->r.cpu.user = c1.user - st->c0.user;
		st->r.cpu.sys = c1.sys - st->c0.sys;
		st->r.waited = run_delay_s() - st->d0;
		st->r.sleeps = c1.nvcsw - st->c0.nvcsw;
		st->in_window = false;
		st->window_done = true;
		st->r.ok = 1;
		if (st->m->resume && st->r.full) {
			st->r.ok = 0;
			snprintf(st->r.note, sizeof(st->r.note),
				 "%ld of %ld handshakes in the window were full, not resumed",
				 st->r.full, st->r.done);
		} else if (!st->m->resume && st->r.resumed) {
			st->r.ok = 0;
			snprintf(st->r.note, sizeof(st->r.note), "%ld handshakes resumed unasked",
				 st->r.resumed);
		}
		send_result(st->res, &st->r);
	}
}

/* Advances one connection's handshake; registers what it waits for. */
static void server_step(struct server_state *st, struct sconn *c)
{
	int want;
	if (st->ours) {
		int err = ktls_session_handshake(c->s);
		if (!err) {
			server_done(st, c);
			return;
		}
		if (err != KTLS_WANT_READ && err != KTLS_WANT_WRITE) {
			snprintf(st->msg, sizeof(st->msg), "our server handshake: %s",
				 ktls_session_error(c->s));
			goto failed;
		}
		want = err == KTLS_WANT_READ ? EPOLLIN : EPOLLOUT;
	} else {
		ERR_clear_error();
		int r = SSL_do_handshake(c->ssl);
		if (r == 1) {
			server_done(st, c);
			return;
		}
		int e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			snprintf(st->msg, sizeof(st->msg), "SSL_do_handshake: error %d: %s", e,
				 bench_ossl_err());
			goto failed;
		}
		want = e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
	}
	struct epoll_event ev = { .events = (uint32_t)want, .data.ptr = c };
	if (epoll_ctl(st->ep, EPOLL_CTL_MOD, c->fd, &ev))
		bench_die("epoll_ctl: %s", strerror(errno));
	return;
failed:
	/* once the window has been measured the clients are being stopped: their connections
	 * end mid-handshake, which is no failure of ours */
	server_conn_end(c);
	if (!st->window_done)
		fail(st->res, 0, st->msg);
}

static void server_accept(struct server_state *st, int l)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			snprintf(st->msg, sizeof(st->msg), "accept4: %s", strerror(errno));
			fail(st->res, 0, st->msg);
		}
		struct sconn *c = calloc(1, sizeof(*c));
		if (!c)
			fail(st->res, 0, "out of memory");
		c->fd = fd;
		if (st->ours) {
			if (!(c->s = ktls_session_new(st->cfg, fd)))
				fail(st->res, 0, "ktls_session_new: out of memory");
		} else {
			if (!(c->ssl = SSL_new(st->ctx)) || !SSL_set_fd(c->ssl, fd))
				fail(st->res, 0, "SSL_new failed");
			SSL_set_accept_state(c->ssl);
		}
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(st->ep, EPOLL_CTL_ADD, fd, &ev))
			bench_die("epoll_ctl: %s", strerror(errno));
		server_step(st, c); /* the ClientHello is often there already */
	}
}

static void __attribute__((noreturn))
server(int l, bool ours, const char *cert, const struct mode *m, const struct cap_opts *o,
       int ready, int go, int stop, int res)
{
	struct server_state st = { .res = res, .ours = ours, .m = m, .o = o };
	st.r.role = 0;
	if (ours)
		st.cfg = our_server_config(cert, m, o->ktls);
	else
		st.ctx = ossl_server_ctx(cert, m, o->ktls);
	set_nonblock(l);
	if ((st.ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		bench_die("epoll_create1: %s", strerror(errno));
	/* the listener and the stop pipe are told apart from connections by their pointers */
	static char tag_listen, tag_stop;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tag_listen };
	struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &tag_stop };
	if (epoll_ctl(st.ep, EPOLL_CTL_ADD, l, &ev) || epoll_ctl(st.ep, EPOLL_CTL_ADD, stop, &sev))
		bench_die("epoll_ctl: %s", strerror(errno));
	barrier(ready, go);
	if (o->warm == 0)
		window_start(&st);
	struct epoll_event evs[128];
	for (;;) { /* bounded by the stop pipe, and by alarm() */
		int n = wait_events(st.ep, evs, 128);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &tag_stop)
				goto out;
			if (evs[i].data.ptr == &tag_listen)
				server_accept(&st, l);
			else
				server_step(&st, evs[i].data.ptr);
		}
	}
out:
	/* connections still open are dropped with the process */
	ktls_config_free(st.cfg);
	SSL_CTX_free(st.ctx);
	_exit(0);
}

/* ---- the clients ----------------------------------------------------------------------- */

struct cconn {
	int fd, slot;
	int phase; /* 0 connecting, 1 handshake, 2 reading until the server closes */
	struct ktls_session *s;
};

struct client_state {
	int ep, res, role;
	uint16_t port;
	const struct mode *m;
	struct ktls_config *cfg;
	struct {
		uint8_t buf[TICKET_MAX];
		long len;
	} *slots;
	long done;
	char msg[200];
};

static void client_open(struct client_state *st, int slot)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(st->port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		bench_die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS) {
		snprintf(st->msg, sizeof(st->msg), "connect: %s", strerror(errno));
		fail(st->res, st->role, st->msg);
	}
	struct cconn *c = calloc(1, sizeof(*c));
	if (!c)
		fail(st->res, st->role, "out of memory");
	c->fd = fd;
	c->slot = slot;
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	if (epoll_ctl(st->ep, EPOLL_CTL_ADD, fd, &ev))
		bench_die("epoll_ctl: %s", strerror(errno));
}

static void client_step(struct client_state *st, struct cconn *c)
{
	int err = 0, want = EPOLLIN;
	if (c->phase == 0) { /* connected, or refused */
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr) {
			snprintf(st->msg, sizeof(st->msg), "connect: %s", strerror(soerr ? soerr : errno));
			fail(st->res, st->role, st->msg);
		}
		if (!(c->s = ktls_session_new(st->cfg, c->fd)))
			fail(st->res, st->role, "ktls_session_new: out of memory");
		if (st->m->resume && st->slots[c->slot].len > 0 &&
		    ktls_session_resume(c->s, st->slots[c->slot].buf, (size_t)st->slots[c->slot].len))
			fail(st->res, st->role, "ktls_session_resume refused a saved session");
		c->phase = 1;
	}
	if (c->phase == 1) {
		err = ktls_session_handshake(c->s);
		if (err == KTLS_WANT_READ || err == KTLS_WANT_WRITE) {
			want = err == KTLS_WANT_READ ? EPOLLIN : EPOLLOUT;
			goto wait;
		}
		if (err) {
			snprintf(st->msg, sizeof(st->msg), "our client handshake: %s",
				 ktls_session_error(c->s));
			fail(st->res, st->role, st->msg);
		}
		c->phase = 2;
	}
	/* phase 2: take the tickets, then the server's close (it sends nothing else) */
	for (int k = 0; k < 64; k++) {
		char sink[256];
		long r = ktls_recv(c->s, sink, sizeof(sink));
		if (r > 0)
			continue;
		if (r == KTLS_WANT_READ)
			goto wait;
		if (r == 0 || r == KTLS_ECLOSED)
			break;
		snprintf(st->msg, sizeof(st->msg), "our client, after the handshake: %s",
			 ktls_session_error(c->s));
		fail(st->res, st->role, st->msg);
	}
	if (st->m->resume) {
		long n = ktls_session_save(c->s, st->slots[c->slot].buf, TICKET_MAX);
		if (n > 0)
			st->slots[c->slot].len = n;
		else if (n < 0)
			fail(st->res, st->role, "ktls_session_save failed");
	}
	ktls_session_free(c->s);
	close(c->fd);
	int slot = c->slot;
	free(c);
	st->done++;
	client_open(st, slot);
	return;
wait:;
	struct epoll_event ev = { .events = (uint32_t)want, .data.ptr = c };
	if (epoll_ctl(st->ep, EPOLL_CTL_MOD, c->fd, &ev))
		bench_die("epoll_ctl: %s", strerror(errno));
}

static void __attribute__((noreturn))
client(int role, uint16_t port, const struct mode *m, const struct cap_opts *o, int ready,
       int go, int stop, int res)
{
	struct client_state st = { .res = res, .role = role, .port = port, .m = m };
	st.cfg = ktls_config_new(KTLS_ROLE_CLIENT);
	/* as cheap as a client gets: no chain or name check (the signature is still checked) */
	if (!st.cfg || ktls_config_set_insecure(st.cfg, 1) ||
	    ktls_config_set_server_name(st.cfg, "localhost") ||
	    ktls_config_set_groups(st.cfg, "x25519") || ktls_config_set_ciphers(st.cfg, "chacha20") ||
	    ktls_config_set_offload(st.cfg, KTLS_OFFLOAD_NONE, 0))
		bench_die("our client config: %s", st.cfg ? ktls_config_error(st.cfg) : "out of memory");
	if (!(st.slots = calloc((size_t)o->conc, sizeof(*st.slots))))
		bench_die("out of memory");
	if ((st.ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		bench_die("epoll_create1: %s", strerror(errno));
	static char tag_stop;
	struct epoll_event sev = { .events = EPOLLIN, .data.ptr = &tag_stop };
	if (epoll_ctl(st.ep, EPOLL_CTL_ADD, stop, &sev))
		bench_die("epoll_ctl: %s", strerror(errno));
	barrier(ready, go);
	struct cap_result r = { .role = role, .ok = 1 };
	struct bench_cpu c0, c1;
	bench_cpu_now(&c0);
	double d0 = run_delay_s(), t0 = bench_now();
	for (int i = 0; i < o->conc; i++)
		client_open(&st, i);
	struct epoll_event evs[128];
	for (;;) { /* bounded by the stop pipe, and by alarm() */
		int n = wait_events(st.ep, evs, 128);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &tag_stop)
				goto out;
			client_step(&st, evs[i].data.ptr);
		}
	}
out:
	r.wall = bench_now() - t0;
	bench_cpu_now(&c1);
	r.cpu.user = c1.user - c0.user;
	r.cpu.sys = c1.sys - c0.sys;
	r.waited = run_delay_s() - d0;
	r.done = st.done;
	send_result(res, &r);
	_exit(0); /* connections in flight end with the process */
}

/* ---- one repetition ---------------------------------------------------------------------- */

/* Waits for one result on res into rs[role]; 0 when none came before the deadline. */
static int take_result(int res, struct cap_result *rs, bool *have, int nroles, double deadline,
		       const pid_t *pids)
{
	struct pollfd pf = { .fd = res, .events = POLLIN };
	pid_t owing[1 + MAX_CLIENT_PROCS];
	for (int i = 0; i < nroles; i++)
		owing[i] = have[i] ? 0 : pids[i];
	if (bench_wait_fds(&pf, 1, deadline, owing, nroles) <= 0)
		return 0;
	struct cap_result r;
	if (bench_read_full(res, &r, sizeof(r)) || r.role < 0 || r.role >= nroles)
		return 0;
	rs[r.role] = r;
	have[r.role] = true;
	return 1;
}

/* Returns 1 ok, 0 failed (note set). rs[0] is the server's result, rs[1..] the clients'. */
static int run_rep(bool ours, const char *cert, const struct mode *m, const struct cap_opts *o,
		   struct cap_result *rs, char *note, size_t note_len)
{
	/* first, so that it holds none of the pipes below (the clients stop at their EOF) */
	pid_t spinner = -1;
	if (o->throttle > 0) {
		spinner = fork();
		if (spinner < 0)
			bench_die("fork: %s", strerror(errno));
		if (!spinner)
			spin(o);
	}
	uint16_t port;
	int l = bench_listen(4096, &port);
	int nroles = 1 + o->procs;
	int ready[2], go[2], res[2], stop_srv[2], stop_cli[2];
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) || pipe2(res, O_CLOEXEC) ||
	    pipe2(stop_srv, O_CLOEXEC) || pipe2(stop_cli, O_CLOEXEC))
		bench_die("pipe: %s", strerror(errno));
	pid_t pid[1 + MAX_CLIENT_PROCS];
	bool have[1 + MAX_CLIENT_PROCS] = { false };
	int ncpu = bench_ncpus();
	for (int role = 0; role < nroles; role++) {
		pid[role] = fork();
		if (pid[role] < 0)
			bench_die("fork: %s", strerror(errno));
		if (pid[role])
			continue;
		signal(SIGPIPE, SIG_IGN);
		alarm((unsigned)o->timeout + 5);
		close(ready[0]);
		close(go[1]);
		close(res[0]);
		close(stop_srv[1]);
		close(stop_cli[1]);
		/* the server alone on CPU 0, the clients spread over the others */
		if (ncpu >= 2)
			bench_pin(role == 0 ? 0 : 1 + (role - 1) % (ncpu - 1));
		if (role == 0 && o->throttle > 0 && setpriority(PRIO_PROCESS, 0, 5))
			bench_die("setpriority: %s", strerror(errno));
		if (role == 0) {
			close(stop_cli[0]);
			server(l, ours, cert, m, o, ready[1], go[0], stop_srv[0], res[1]);
		}
		close(l);
		close(stop_srv[0]);
		client(role, port, m, o, ready[1], go[0], stop_cli[0], res[1]);
	}
	close(l);
	close(ready[1]);
	close(go[0]);
	close(res[1]);
	close(stop_srv[0]);
	close(stop_cli[0]);
	double deadline = bench_now() + o->timeout;
	int readies = 0, ok = 0;
	char b;
	while (readies < nroles) {
		struct pollfd pf = { .fd = ready[0], .events = POLLIN };
		if (bench_wait_fds(&pf, 1, deadline, pid, nroles) <= 0 || read(ready[0], &b, 1) != 1)
			break;
		readies++;
	}
	if (readies == nroles) {
		char gos[1 + MAX_CLIENT_PROCS];
		memset(gos, 'g', sizeof(gos));
		if (!bench_write_full(go[1], gos, (size_t)nroles)) {
			/* the server reports once its window is measured (or a failure); a client
			 * reports only when stopped, or on a failure */
			while (!have[0] && take_result(res[0], rs, have, nroles, deadline, pid)) {
				bool bad = false;
				for (int i = 0; i < nroles; i++)
					bad |= have[i] && !rs[i].ok;
				if (bad)
					break;
			}
			if (have[0] && rs[0].ok) {
				/* stop the clients first, so the server sees no aborted connection
				 * while it still counts; then the server */
				close(stop_cli[1]);
				stop_cli[1] = -1;
				int got = 0;
				for (int i = 1; i < nroles; i++)
					got += have[i];
				while (got < o->procs && take_result(res[0], rs, have, nroles, deadline, pid))
					got++;
				ok = got == o->procs;
				for (int i = 1; i < nroles; i++)
					ok &= have[i] && rs[i].ok;
			}
		}
	}
	if (stop_cli[1] >= 0)
		close(stop_cli[1]);
	close(stop_srv[1]);
	if (!ok)
		for (int i = 0; i < nroles; i++)
			kill(pid[i], SIGKILL);
	int st[1 + MAX_CLIENT_PROCS];
	for (int i = 0; i < nroles; i++)
		st[i] = bench_reap(pid[i], deadline + 5);
	if (spinner > 0) {
		kill(spinner, SIGKILL);
		bench_reap(spinner, deadline + 5);
	}
	close(ready[0]);
	close(go[1]);
	close(res[0]);
	if (!ok) {
		size_t off = 0;
		note[0] = 0;
		for (int i = 0; i < nroles && off < note_len; i++) {
			const char *what = have[i] ? (rs[i].ok ? "ok" : rs[i].note)
					  : st[i] == -1 ? "timed out" : "no result";
			int w = snprintf(note + off, note_len - off, "%s%s: %s", i ? "; " : "",
					 i ? "client" : "server", what);
			if (w < 0)
				break;
			off += (size_t)w;
		}
	}
	return ok;
}

/* ---- main ---------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const double *in, int n, double *mn, double *mx)
{
	double v[64];
	memcpy(v, in, (size_t)n * sizeof(double));
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	if (mn)
		*mn = v[0];
	if (mx)
		*mx = v[n - 1];
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct cell {
	const struct mode *m;
	char cert[16];
	bool ours;
	int k, ok;
	double us[64], busy[64], wait[64], cbusy[64], cwait[64], sleeps[64];
	long ktx, krx, nwin;
	char note[520];
};

static const struct mode *mode_by_name(const char *s)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(s, modes[i].name))
			return &modes[i];
	bench_die("unknown mode '%s' (full, resumed, full-notickets)", s);
}

int main(int argc, char **argv)
{
	struct cap_opts o = { .n = 1000, .warm = -1, .conc = 32, .procs = 0, .reps = 5,
			      .timeout = 120, .where = "native", .throttle = -1 };
	const char *libs = "ours,openssl", *certs = "ed25519,ecdsa,rsa",
		   *mlist = "full,resumed,full-notickets";
	static const struct option lo[] = {
		{ "n", 1, 0, 'n' }, { "warm", 1, 0, 'w' }, { "conc", 1, 0, 'c' },
		{ "procs", 1, 0, 'p' }, { "reps", 1, 0, 'R' }, { "libs", 1, 0, 'L' },
		{ "certs", 1, 0, 'C' }, { "modes", 1, 0, 'M' }, { "ktls", 0, 0, 'k' },
		{ "where", 1, 0, 'W' }, { "timeout", 1, 0, 't' }, { "help", 0, 0, 'h' },
		{ "throttle", 1, 0, 'T' },
		{ 0, 0, 0, 0 },
	};
	bench_prog = "ktls-bench-capacity";
	for (int ch; (ch = getopt_long(argc, argv, "h", lo, NULL)) != -1;) {
		switch (ch) {
		case 'n': o.n = atoi(optarg); break;
		case 'w': o.warm = atoi(optarg); break;
		case 'c': o.conc = atoi(optarg); break;
		case 'p': o.procs = atoi(optarg); break;
		case 'R': o.reps = atoi(optarg); break;
		case 'L': libs = optarg; break;
		case 'C': certs = optarg; break;
		case 'M': mlist = optarg; break;
		case 'k': o.ktls = true; break;
		case 'W': o.where = optarg; break;
		case 't': o.timeout = atof(optarg); break;
		case 'T':
			if (strcmp(optarg, "on") && strcmp(optarg, "off") && strcmp(optarg, "auto"))
				bench_die("--throttle on, off or auto");
			o.throttle = !strcmp(optarg, "on") ? 1 : !strcmp(optarg, "off") ? 0 : -1;
			break;
		case 'h':
			printf("Usage: ktls-bench-capacity [--n N (1000)] [--warm W (4 x conc)]\n"
			       "       [--conc C (32)] [--procs P (CPUs - 1, at most %d)] [--reps R (5)]\n"
			       "       [--libs ours,openssl] [--certs ed25519,ecdsa,rsa]\n"
			       "       [--modes full,resumed,full-notickets] [--ktls] [--where LABEL]\n"
			       "       [--timeout S (120, per repetition)] [--throttle auto|on|off]\n"
			       "Server CPU per TLS 1.3 handshake (X25519, ChaCha20-Poly1305) at saturation:\n"
			       "one event-driven server process pinned to one CPU, P client processes\n"
			       "(ours, no chain verification) on the others with C connections each in\n"
			       "flight; the server's getrusage() over N handshakes after W warm-up ones.\n"
			       "Modes: full (tickets at each library's default), resumed (with a ticket),\n"
			       "full-notickets. --ktls: the server hands its keys to kernel TLS (ours both\n"
			       "ways, required; OpenSSL SSL_OP_ENABLE_KTLS). --throttle: the server at\n"
			       "nice 5 shares its CPU with a spin loop, so that its clients keep it\n"
			       "saturated (auto: on with 2 or 3 CPUs, where they cannot otherwise).\n"
			       "Prints capraw,... and capsum,... CSV lines; progress on stderr.\n",
			       MAX_CLIENT_PROCS);
			return 0;
		default: return 2;
		}
	}
	if (o.procs == 0)
		o.procs = bench_ncpus() > 1 ? bench_ncpus() - 1 : 1;
	if (o.procs > MAX_CLIENT_PROCS)
		o.procs = MAX_CLIENT_PROCS;
	if (o.warm < 0)
		o.warm = 4 * o.conc * o.procs;
	if (o.throttle < 0)
		o.throttle = bench_ncpus() >= 2 && bench_ncpus() <= 3;
	if (bench_ncpus() < 2)
		o.throttle = 0; /* nothing is pinned: no CPU to share */
	if (optind != argc || o.n < 1 || o.n > 10000000 || o.warm > 10000000 || o.conc < 1 ||
	    o.conc > 4096 || o.procs < 1 || o.reps < 1 || o.reps > 64 || o.timeout <= 0)
		bench_die("bad arguments (try --help)");
	signal(SIGPIPE, SIG_IGN);
	bench_raise_nofile(2L * o.conc * o.procs + 64);

	SSL_CTX *probe = SSL_CTX_new(TLS_server_method());
	if (!probe)
		bench_die_ssl("SSL_CTX_new");
	printf("# ticket defaults: ours 2 per handshake (ktls_config_new), stateless; OpenSSL %s "
	       "SSL_CTX_get_num_tickets() = %zu after a full handshake (at most 1 after a "
	       "resumption), stateless, session cache mode 0x%lx\n",
	       OpenSSL_version(OPENSSL_VERSION), SSL_CTX_get_num_tickets(probe),
	       SSL_CTX_get_session_cache_mode(probe));
	SSL_CTX_free(probe);
	printf("# run: %d handshakes per window after %d warm-up, %d client process(es) x %d "
	       "connections, %d CPU(s), server %s\n", o.n, o.warm, o.procs, o.conc, bench_ncpus(),
	       bench_ncpus() < 2 ? "NOT pinned (one CPU)"
	       : o.throttle ? "pinned to one CPU at nice 5, sharing it with a spin loop (--throttle)"
			    : "pinned alone to one CPU");
	printf("# capraw,where,lib,cert,mode,n,rep,window_s,srv_user_s,srv_sys_s,srv_us_per_hs,"
	       "srv_busy,srv_wait,cli_busy,cli_wait,srv_sleeps_per_hs\n");
	printf("# capsum,where,lib,cert,mode,n,reps,status,srv_us_med,srv_us_min,srv_us_max,"
	       "ratio_to_openssl,srv_busy_med,srv_busy_min,srv_wait_med,cli_busy_med,cli_wait_med,note,"
	       "srv_sleeps_per_hs_med\n");
	fflush(stdout);

	struct cell *cells = calloc(64, sizeof(struct cell));
	int ncells = 0, failed = 0;
	if (!cells)
		bench_die("out of memory");
	char *mdup = strdup(mlist), *msave = NULL;
	for (char *mn = strtok_r(mdup, ",", &msave); mn; mn = strtok_r(NULL, ",", &msave)) {
		const struct mode *m = mode_by_name(mn);
		char *cdup = strdup(certs), *csave = NULL;
		for (char *cert = strtok_r(cdup, ",", &csave); cert; cert = strtok_r(NULL, ",", &csave)) {
			if (strcmp(cert, "rsa") && strcmp(cert, "ecdsa") && strcmp(cert, "ed25519"))
				bench_die("unknown certificate '%s' (rsa, ecdsa, ed25519)", cert);
			char *ldup = strdup(libs), *lsave = NULL;
			for (char *lib = strtok_r(ldup, ",", &lsave); lib; lib = strtok_r(NULL, ",", &lsave)) {
				if (strcmp(lib, "ours") && strcmp(lib, "openssl"))
					bench_die("unknown library '%s' (ours, openssl)", lib);
				if (ncells == 64)
					bench_die("too many combinations");
				struct cell *c = &cells[ncells++];
				c->m = m;
				c->ours = !strcmp(lib, "ours");
				snprintf(c->cert, sizeof(c->cert), "%s", cert);
				c->ok = 1;
			}
			free(ldup);
		}
		free(cdup);
	}
	free(mdup);

	for (int rep = 0; rep < o.reps; rep++) {
		for (int j = 0; j < ncells; j++) {
			/* the libraries of one (mode, certificate) are adjacent: on odd repetitions
			 * take each such group backwards, so neither library always goes first */
			int g0 = j, g1 = j;
			while (g0 > 0 && cells[g0 - 1].m == cells[j].m && !strcmp(cells[g0 - 1].cert, cells[j].cert))
				g0--;
			while (g1 + 1 < ncells && cells[g1 + 1].m == cells[j].m &&
			       !strcmp(cells[g1 + 1].cert, cells[j].cert))
				g1++;
			int i = rep % 2 ? g0 + g1 - j : j;
			struct cell *c = &cells[i];
			struct cap_result rs[1 + MAX_CLIENT_PROCS];
			const char *lib = c->ours ? "ours" : "openssl";
			if (!c->ok)
				continue;
			memset(rs, 0, sizeof(rs));
			if (!run_rep(c->ours, c->cert, c->m, &o, rs, c->note, sizeof(c->note))) {
				c->ok = 0;
				for (char *p = c->note; *p; p++)
					if (*p == ',')
						*p = ';';
				fprintf(stderr, "capacity: %-7s %-7s %-14s FAILED: %s\n", lib, c->cert,
					c->m->name, c->note);
				continue;
			}
			double cpu = rs[0].cpu.user + rs[0].cpu.sys, ccpu = 0, cwall = 0, cwaited = 0;
			for (int p = 1; p <= o.procs; p++) {
				ccpu += rs[p].cpu.user + rs[p].cpu.sys;
				cwall += rs[p].wall;
				cwaited += rs[p].waited;
			}
			int k = c->k++;
			c->us[k] = cpu * 1e6 / (double)rs[0].done;
			c->busy[k] = rs[0].wall > 0 ? cpu / rs[0].wall : 0;
			c->wait[k] = rs[0].wall > 0 ? rs[0].waited / rs[0].wall : 0;
			c->cbusy[k] = cwall > 0 ? ccpu / cwall : 0; /* per client process, mean */
			c->cwait[k] = cwall > 0 ? cwaited / cwall : 0;
			c->sleeps[k] = (double)rs[0].sleeps / (double)rs[0].done;
			c->ktx += rs[0].ktls_tx;
			c->krx += rs[0].ktls_rx;
			c->nwin += rs[0].done;
			printf("capraw,%s,%s,%s,%s,%d,%d,%.6f,%.6f,%.6f,%.2f,%.3f,%.3f,%.3f,%.3f,%.3f\n",
			       o.where, lib, c->cert, c->m->name, o.n, rep + 1, rs[0].wall, rs[0].cpu.user,
			       rs[0].cpu.sys, c->us[k], c->busy[k], c->wait[k], c->cbusy[k], c->cwait[k],
			       c->sleeps[k]);
			fflush(stdout);
		}
	}
	for (int i = 0; i < ncells; i++) {
		struct cell *c = &cells[i];
		const char *lib = c->ours ? "ours" : "openssl";
		if (!c->ok || c->k == 0) {
			printf("capsum,%s,%s,%s,%s,%d,%d,FAILED,,,,,,,,,,%s,\n", o.where, lib, c->cert,
			       c->m->name, o.n, c->k, c->note);
			failed = 1;
			continue;
		}
		double mn, mx;
		double us = median(c->us, c->k, &mn, &mx);
		double bmin, busy = median(c->busy, c->k, &bmin, NULL);
		double wait = median(c->wait, c->k, NULL, NULL);
		double cbusy = median(c->cbusy, c->k, NULL, NULL);
		double cwait = median(c->cwait, c->k, NULL, NULL);
		double sleeps = median(c->sleeps, c->k, NULL, NULL);
		char ratio[32] = "";
		for (int j = 0; j < ncells && c->ours; j++) {
			struct cell *d = &cells[j];
			if (!d->ours && d->m == c->m && !strcmp(d->cert, c->cert) && d->ok && d->k)
				snprintf(ratio, sizeof(ratio), "%.3f", us / median(d->us, d->k, NULL, NULL));
		}
		char note[200] = "";
		if (o.ktls)
			snprintf(note, sizeof(note), "kernel TLS: TX on %ld and RX on %ld of %ld connections",
				 c->ktx, c->krx, c->nwin);
		printf("capsum,%s,%s,%s,%s,%d,%d,ok,%.2f,%.2f,%.2f,%s,%.3f,%.3f,%.3f,%.3f,%.3f,%s,%.3f\n",
		       o.where, lib, c->cert, c->m->name, o.n, c->k, us, mn, mx, ratio, busy, bmin, wait,
		       cbusy, cwait, note, sleeps);
		fprintf(stderr, "capacity: %-7s %-7s %-14s server %7.1f us/handshake [%.1f-%.1f] busy %.2f "
			"(+%.2f waiting for a CPU), %.2f sleeps/handshake, clients %.2f (+%.2f)%s%s %s\n",
			lib, c->cert, c->m->name, us, mn, mx, busy, wait, sleeps, cbusy, cwait,
			*ratio ? "; ours/OpenSSL " : "", ratio, note);
	}
	fflush(stdout);
	free(cells);
	return failed;
}
