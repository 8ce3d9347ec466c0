/*
 * handshake.c — ktls-bench-handshake: full TLS 1.3 handshakes per second and CPU per
 * handshake, our library against OpenSSL libssl, with the same server certificate (RSA-2048,
 * ECDSA P-256 or Ed25519) and group X25519, over loopback TCP.
 *
 * A server process and a client process (pinned apart when there are two CPUs) do N
 * handshakes one after the other: connect, full handshake (the client verifies the chain to
 * the test CA and the name "localhost"), then the server closes and the client waits for
 * that EOF before its next connect — so one handshake is finished on both sides before the
 * next starts, and the rate is that of one connection at a time. No session cache; our
 * sessions keep the record layer in userspace (no kTLS needed, the handshake is the same).
 * Each process's getrusage() over the loop gives its CPU.
 *
 * Tickets (--tickets): "off" (the default) sends none, so nothing follows the handshake on
 * the wire. "default" leaves each library at its own default number of TLS 1.3
 * NewSessionTickets after a full handshake (ours: ktls_config_new's, OpenSSL: a fresh
 * SSL_CTX's SSL_CTX_get_num_tickets), which the server sends before it closes, so their cost
 * is in the server's figure; the client counts the records that follow its handshake and the
 * run prints that count. The -resumed cells need a ticket: 1 with "off", the defaults with
 * "default".
 *
 * Output on stdout: "hsraw,..." per repetition, "hssum,..." per (library, certificate),
 * "hstickets,..." per (library, certificate): records seen after the full handshake.
 */
#include "common.h"

#include "ktls.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct hs_result {
	int role; /* 0 server, 1 client */
	int ok;
	double secs;
	struct bench_cpu cpu;
	int done;
	int post_records; /* client, full handshakes: records after its handshake (tickets) */
	char note[200];
};

struct hs_opts {
	int n, reps;
	double timeout;
	const char *where;
	bool resume; /* the client resumes with a ticket (one full handshake first to get it) */
	bool tickets_default; /* each library's default ticket count instead of none */
};

/* Our server config with the library's defaults but for certificate, group and suite (what
 * bench_ktls_server_config sets, except tickets: those stay at ktls_config_new's default). */
static struct ktls_config *ours_default_tickets_config(const char *cert)
{
	char c[64], k[64];
	snprintf(c, sizeof(c), "server-%s.pem", cert);
	snprintf(k, sizeof(k), "server-%s.key", cert);
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_SERVER);
	if (!cfg)
		bench_die("ktls_config_new: out of memory");
	if (ktls_config_set_cert(cfg, bench_cert_path(c), bench_cert_path(k)) ||
	    ktls_config_set_groups(cfg, "x25519") || ktls_config_set_ciphers(cfg, "chacha20"))
		bench_die("server config: %s", ktls_config_error(cfg));
	return cfg;
}

/* OpenSSL's default number of TLS 1.3 tickets, as a fresh server SSL_CTX has it */
static size_t ossl_default_tickets(void)
{
	SSL_CTX *fresh = SSL_CTX_new(TLS_server_method());
	if (!fresh)
		bench_die_ssl("SSL_CTX_new");
	size_t n = SSL_CTX_get_num_tickets(fresh);
	SSL_CTX_free(fresh);
	return n;
}

/* Counts whole TLS records in a byte stream read in pieces (5-byte header, then the body). */
struct rec_counter {
	uint8_t hdr[5];
	size_t have, body_left;
	int records;
};

static void count_records(struct rec_counter *rc, const uint8_t *p, size_t n)
{
	while (n) {
		if (rc->body_left) {
			size_t k = n < rc->body_left ? n : rc->body_left;
			rc->body_left -= k;
			p += k;
			n -= k;
			if (!rc->body_left)
				rc->records++;
			continue;
		}
		rc->hdr[rc->have++] = *p++;
		n--;
		if (rc->have == 5) {
			rc->have = 0;
			rc->body_left = (size_t)rc->hdr[3] << 8 | rc->hdr[4];
			if (!rc->body_left)
				rc->records++;
		}
	}
}

static void send_result(int fd, const struct hs_result *r)
{
	if (bench_write_full(fd, r, sizeof(*r)))
		_exit(3);
}

static void __attribute__((noreturn)) fail(int res_fd, int role, int done, const char *what)
{
	struct hs_result r = { .role = role, .ok = 0, .done = done };
	snprintf(r.note, sizeof(r.note), "%s (after %d handshakes)", what, done);
	send_result(res_fd, &r);
	_exit(1);
}

static void server(int l, bool ours, const char *cert, const struct hs_opts *o, int ready,
		   int go, int res)
{
	struct ktls_config *cfg = NULL;
	SSL_CTX *ctx = NULL;
	char b = 'r', msg[300];
	if (ours) {
		cfg = o->tickets_default ? ours_default_tickets_config(cert)
					 : bench_ktls_server_config(cert, "chacha20");
		ktls_config_set_offload(cfg, KTLS_OFFLOAD_NONE, 0);
		if (o->resume && !o->tickets_default && ktls_config_set_tickets(cfg, 1, 7200))
			_exit(4);
	} else {
		ctx = bench_ossl_server_ctx(cert, "chacha20", 0);
		if (o->resume || o->tickets_default) {
			SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
			SSL_CTX_set_num_tickets(ctx, o->tickets_default ? ossl_default_tickets() : 1);
		}
	}
	if (bench_write_full(ready, &b, 1) || bench_read_full(go, &b, 1))
		_exit(4);
	struct hs_result r = { .role = 0, .ok = 1 };
	struct bench_cpu c0, c1;
	bench_cpu_now(&c0);
	double t0 = bench_now();
	/* resuming: one more connection, the client's full handshake that gets the ticket */
	for (int i = 0; i < o->n + (o->resume ? 1 : 0); i++) {
		int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (o->resume && i == 1) { /* the priming full handshake is not counted */
			bench_cpu_now(&c0);
			t0 = bench_now();
		}
		if (fd < 0) {
			snprintf(msg, sizeof(msg), "accept: %s", strerror(errno));
			fail(res, 0, i, msg);
		}
		if (ours) {
			struct ktls_session *s = NULL;
			int err = ktls_handshake(fd, cfg, &s);
			if (err) {
				snprintf(msg, sizeof(msg), "our server handshake: %s",
					 s ? ktls_session_error(s) : ktls_strerror(err));
				fail(res, 0, i, msg);
			}
			ktls_session_free(s);
		} else {
			SSL *ssl = SSL_new(ctx);
			if (!ssl || !SSL_set_fd(ssl, fd) || SSL_accept(ssl) != 1) {
				snprintf(msg, sizeof(msg), "SSL_accept: %s", bench_ossl_err());
				fail(res, 0, i, msg);
			}
			if (o->resume) /* close_notify: OpenSSL's client drops sessions on a bare EOF */
				SSL_shutdown(ssl);
			SSL_free(ssl);
		}
		close(fd);
	}
	r.secs = bench_now() - t0;
	bench_cpu_now(&c1);
	r.cpu.user = c1.user - c0.user;
	r.cpu.sys = c1.sys - c0.sys;
	r.done = o->n;
	send_result(res, &r);
	ktls_config_free(cfg);
	SSL_CTX_free(ctx);
	_exit(0);
}

static void client(uint16_t port, bool ours, const struct hs_opts *o, int ready, int go, int res)
{
	struct ktls_config *cfg = NULL;
	SSL_CTX *ctx = NULL;
	char b = 'r', msg[300], sink[512];
	if (ours) {
		cfg = bench_ktls_client_config("chacha20");
		ktls_config_set_offload(cfg, KTLS_OFFLOAD_NONE, 0);
	} else {
		ctx = bench_ossl_client_ctx("chacha20", 0);
		if (o->resume) { /* keep the session the ticket makes */
			SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
			SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
		}
	}
	if (bench_write_full(ready, &b, 1) || bench_read_full(go, &b, 1))
		_exit(4);
	struct hs_result r = { .role = 1, .ok = 1 };
	struct bench_cpu c0, c1;
	bench_cpu_now(&c0);
	double t0 = bench_now();
	uint8_t saved[4096];
	long saved_len = 0;
	SSL_SESSION *sess = NULL;
	for (int i = 0; i < o->n + (o->resume ? 1 : 0); i++) {
		int fd = bench_connect(port);
		if (o->resume && i == 1) { /* the priming full handshake is not counted */
			bench_cpu_now(&c0);
			t0 = bench_now();
		}
		if (ours) {
			struct ktls_session *s = ktls_session_new(cfg, fd);
			int err = !s ? KTLS_ENOMEM : saved_len ? ktls_session_resume(s, saved, (size_t)saved_len) : 0;
			if (!err)
				err = ktls_session_handshake(s);
			if (err) {
				snprintf(msg, sizeof(msg), "our client handshake: %s",
					 s ? ktls_session_error(s) : ktls_strerror(err));
				fail(res, 1, i, msg);
			}
			if (o->resume) {
				/* the ticket arrives after the handshake; the server then closes */
				while (ktls_recv(s, sink, sizeof(sink)) > 0)
					;
				struct ktls_session_info info;
				ktls_session_get_info(s, &info);
				if (i > 0 && !info.resumed)
					fail(res, 1, i, "our client: the server did not resume the session");
				/* like OpenSSL's client, take the fresh ticket each time */
				if ((saved_len = ktls_session_save(s, saved, sizeof(saved))) <= 0)
					fail(res, 1, i, "our client: no ticket from our server");
			}
			ktls_session_free(s);
		} else {
			SSL *ssl = SSL_new(ctx);
			if (!ssl || !SSL_set_fd(ssl, fd) || !SSL_set1_host(ssl, "localhost") ||
			    !SSL_set_tlsext_host_name(ssl, "localhost") ||
			    (sess && !SSL_set_session(ssl, sess)) || SSL_connect(ssl) != 1) {
				snprintf(msg, sizeof(msg), "SSL_connect: %s", bench_ossl_err());
				fail(res, 1, i, msg);
			}
			if (o->resume) {
				while (SSL_read(ssl, sink, sizeof(sink)) > 0)
					;
				if (i > 0 && !SSL_session_reused(ssl))
					fail(res, 1, i, "OpenSSL client: the server did not resume the session");
				/* OpenSSL's client uses a TLS 1.3 ticket once: take the new one */
				SSL_SESSION_free(sess);
				if (!(sess = SSL_get1_session(ssl)))
					fail(res, 1, i, "OpenSSL client: no ticket from OpenSSL's server");
				/* an SSL freed without a shutdown marks its session unresumable */
				SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
			}
			SSL_free(ssl);
		}
		/* the server closes once its side is done: wait for that (bounded by alarm); after
		 * a full handshake what comes before the EOF is the tickets: count their records */
		struct rec_counter rc = { .have = 0 };
		for (int k = 0; k < 1000; k++) {
			ssize_t n = read(fd, sink, sizeof(sink));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			count_records(&rc, (const uint8_t *)sink, (size_t)n);
		}
		r.post_records = o->resume ? -1 : rc.records;
		close(fd);
	}
	r.secs = bench_now() - t0;
	bench_cpu_now(&c1);
	r.cpu.user = c1.user - c0.user;
	r.cpu.sys = c1.sys - c0.sys;
	r.done = o->n;
	send_result(res, &r);
	SSL_SESSION_free(sess);
	ktls_config_free(cfg);
	SSL_CTX_free(ctx);
	_exit(0);
}

/* One repetition; returns 1 ok, 0 failed (note set). */
static int run_rep(bool ours, const char *cert, const struct hs_opts *o, struct hs_result rs[2],
		   char *note, size_t note_len)
{
	uint16_t port;
	int l = bench_listen(128, &port);
	int ready[2], go[2], res[2];
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) || pipe2(res, O_CLOEXEC))
		bench_die("pipe: %s", strerror(errno));
	pid_t pid[2];
	for (int role = 0; role < 2; role++) {
		pid[role] = fork();
		if (pid[role] < 0)
			bench_die("fork: %s", strerror(errno));
		if (!pid[role]) {
			signal(SIGPIPE, SIG_IGN);
			alarm((unsigned)o->timeout + 1);
			close(ready[0]);
			close(go[1]);
			close(res[0]);
			if (bench_ncpus() >= 2)
				bench_pin(role);
			if (role == 0)
				server(l, ours, cert, o, ready[1], go[0], res[1]);
			close(l);
			client(port, ours, o, ready[1], go[0], res[1]);
		}
	}
	close(l);
	close(ready[1]);
	close(go[0]);
	close(res[1]);
	double deadline = bench_now() + o->timeout;
	char b[2];
	bool have[2] = { false, false };
	int ok = 0;
	int readies = 0;
	while (readies < 2) { /* both ready, unless one died or is late */
		struct pollfd pf = { .fd = ready[0], .events = POLLIN };
		if (bench_wait_fds(&pf, 1, deadline, pid, 2) <= 0 || read(ready[0], b, 1) != 1)
			break;
		readies++;
	}
	if (readies == 2 && !bench_write_full(go[1], "gg", 2)) {
		while (!(have[0] && have[1])) {
			struct pollfd pf = { .fd = res[0], .events = POLLIN };
			pid_t owing[2] = { have[0] ? 0 : pid[0], have[1] ? 0 : pid[1] };
			if (bench_wait_fds(&pf, 1, deadline, owing, 2) <= 0)
				break;
			struct hs_result r;
			if (bench_read_full(res[0], &r, sizeof(r)))
				break;
			if (r.role == 0 || r.role == 1) {
				rs[r.role] = r;
				have[r.role] = true;
			}
			if (!r.ok)
				break;
		}
		ok = have[0] && have[1] && rs[0].ok && rs[1].ok;
	}
	if (!ok) {
		kill(pid[0], SIGKILL);
		kill(pid[1], SIGKILL);
	}
	int st0 = bench_reap(pid[0], deadline + 5), st1 = bench_reap(pid[1], deadline + 5);
	close(ready[0]);
	close(go[1]);
	close(res[0]);
	if (!ok)
		snprintf(note, note_len, "server: %s; client: %s",
			 have[0] ? (rs[0].ok ? "ok" : rs[0].note) : st0 == -1 ? "timed out" : "no result",
			 have[1] ? (rs[1].ok ? "ok" : rs[1].note) : st1 == -1 ? "timed out" : "no result");
	return ok;
}

int main(int argc, char **argv)
{
	struct hs_opts o = { .n = 500, .reps = 5, .timeout = 300, .where = "native" };
	const char *tickets = "off";
	const char *libs = "ours,openssl,ours-resumed,openssl-resumed", *certs = "rsa,ecdsa,ed25519";
	static const struct option lo[] = {
		{ "n", 1, 0, 'n' }, { "reps", 1, 0, 'R' }, { "libs", 1, 0, 'L' },
		{ "certs", 1, 0, 'C' }, { "where", 1, 0, 'W' }, { "timeout", 1, 0, 't' },
		{ "tickets", 1, 0, 'T' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	bench_prog = "ktls-bench-handshake";
	for (int ch; (ch = getopt_long(argc, argv, "h", lo, NULL)) != -1;) {
		switch (ch) {
		case 'n': o.n = atoi(optarg); break;
		case 'R': o.reps = atoi(optarg); break;
		case 'L': libs = optarg; break;
		case 'C': certs = optarg; break;
		case 'W': o.where = optarg; break;
		case 't': o.timeout = atof(optarg); break;
		case 'T': tickets = optarg; break;
		case 'h':
			printf("Usage: ktls-bench-handshake [--n N (500)] [--reps R (5)]\n"
			       "       [--libs ours,openssl,ours-resumed,openssl-resumed]\n"
			       "       [--certs rsa,ecdsa,ed25519] [--where LABEL] [--timeout S (300)]\n"
			       "       [--tickets off|default (off)]\n"
			       "TLS 1.3 handshakes (X25519), one connection at a time, client and server in\n"
			       "separate processes: full ones, and (-resumed) ones resuming with a ticket from\n"
			       "a first full handshake that is not counted; prints hsraw,..., hssum,... and\n"
			       "hstickets,... CSV lines. --tickets default: each library's own default number\n"
			       "of tickets after a full handshake (sent before the server closes, so counted);\n"
			       "off: none (the -resumed cells then get 1).\n");
			return 0;
		default: return 2;
		}
	}
	if (optind != argc || o.n < 1 || o.n > 1000000 || o.reps < 1 || o.reps > 64 || o.timeout <= 0)
		bench_die("bad arguments (try --help)");
	if (strcmp(tickets, "off") && strcmp(tickets, "default"))
		bench_die("--tickets: off or default, not '%s'", tickets);
	o.tickets_default = !strcmp(tickets, "default");
	signal(SIGPIPE, SIG_IGN);
	printf("# hsraw,where,lib,cert,n,rep,seconds,srv_user_s,srv_sys_s,cli_user_s,cli_sys_s\n");
	printf("# hssum,where,lib,cert,n,reps,status,hs_per_s_med,hs_per_s_min,hs_per_s_max,"
	       "srv_cpu_ms_med,srv_user_ms,srv_sys_ms,cli_cpu_ms_med,cli_user_ms,cli_sys_ms,note\n");
	printf("# hstickets,where,lib,cert,tickets_option,records_after_full_handshake\n");
	/* cells (library x certificate), repetitions round-robin over them so a drifting host
	 * shifts all alike */
	struct cell {
		char lib[16], cert[16];
		int k, ok, post_records;
		double rate[64], scpu[64], su[64], ssy[64], ccpu[64], cu[64], csy[64];
		char note[520];
	} *cells = calloc(64, sizeof(struct cell));
	int ncells = 0, failed = 0;
	if (!cells)
		bench_die("out of memory");
	char *ldup = strdup(libs), *lsave = NULL;
	for (char *lib = strtok_r(ldup, ",", &lsave); lib; lib = strtok_r(NULL, ",", &lsave)) {
		if (strcmp(lib, "ours") && strcmp(lib, "openssl") && strcmp(lib, "ours-resumed") &&
		    strcmp(lib, "openssl-resumed"))
			bench_die("unknown library '%s' (ours, openssl, ours-resumed, openssl-resumed)", lib);
		char *cdup = strdup(certs), *csave = NULL;
		for (char *cert = strtok_r(cdup, ",", &csave); cert; cert = strtok_r(NULL, ",", &csave)) {
			if (ncells == 64)
				bench_die("too many combinations");
			snprintf(cells[ncells].lib, sizeof(cells[0].lib), "%s", lib);
			snprintf(cells[ncells].cert, sizeof(cells[0].cert), "%s", cert);
			cells[ncells++].ok = 1;
		}
		free(cdup);
	}
	free(ldup);
	for (int rep = 0; rep < o.reps; rep++) {
		for (int i = 0; i < ncells; i++) {
			struct cell *c = &cells[i];
			struct hs_result rs[2];
			if (!c->ok)
				continue;
			struct hs_opts co = o;
			co.resume = strstr(c->lib, "-resumed") != NULL;
			if (!run_rep(!strncmp(c->lib, "ours", 4), c->cert, &co, rs, c->note, sizeof(c->note))) {
				c->ok = 0;
				for (char *p = c->note; *p; p++)
					if (*p == ',')
						*p = ';';
				fprintf(stderr, "handshake: %-8s %-8s FAILED: %s\n", c->lib, c->cert, c->note);
				continue;
			}
			int k = c->k++;
			c->post_records = rs[1].post_records;
			/* the client's loop spans every handshake end to end */
			c->rate[k] = o.n / rs[1].secs;
			c->su[k] = rs[0].cpu.user * 1e3 / o.n;
			c->ssy[k] = rs[0].cpu.sys * 1e3 / o.n;
			c->scpu[k] = c->su[k] + c->ssy[k];
			c->cu[k] = rs[1].cpu.user * 1e3 / o.n;
			c->csy[k] = rs[1].cpu.sys * 1e3 / o.n;
			c->ccpu[k] = c->cu[k] + c->csy[k];
			printf("hsraw,%s,%s,%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f\n", o.where, c->lib, c->cert, o.n,
			       rep + 1, rs[1].secs, rs[0].cpu.user, rs[0].cpu.sys, rs[1].cpu.user, rs[1].cpu.sys);
			fflush(stdout);
		}
	}
	for (int i = 0; i < ncells; i++) {
		struct cell *c = &cells[i];
		double mn, mx, d0, d1;
		int k = c->k;
		if (!c->ok) {
			printf("hssum,%s,%s,%s,%d,%d,FAILED,,,,,,,,,,%s\n", o.where, c->lib, c->cert, o.n, k, c->note);
			failed = 1;
			continue;
		}
		double r = bench_median(c->rate, k, &mn, &mx);
		double s = bench_median(c->scpu, k, &d0, &d1), cc = bench_median(c->ccpu, k, &d0, &d1);
		double a1 = bench_median(c->su, k, &d0, &d1), a2 = bench_median(c->ssy, k, &d0, &d1);
		double b1 = bench_median(c->cu, k, &d0, &d1), b2 = bench_median(c->csy, k, &d0, &d1);
		printf("hssum,%s,%s,%s,%d,%d,ok,%.1f,%.1f,%.1f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,\n", o.where,
		       c->lib, c->cert, o.n, k, r, mn, mx, s, a1, a2, cc, b1, b2);
		fprintf(stderr, "handshake: %-8s %-8s %8.1f/s  server %.3f ms  client %.3f ms CPU each\n",
			c->lib, c->cert, r, s, cc);
		if (c->post_records >= 0) {
			printf("hstickets,%s,%s,%s,%s,%d\n", o.where, c->lib, c->cert, tickets, c->post_records);
			fprintf(stderr, "handshake: %-8s %-8s tickets %s: %d record(s) after the handshake\n",
				c->lib, c->cert, tickets, c->post_records);
		}
	}
	fflush(stdout);
	free(cells);
	return failed;
}
