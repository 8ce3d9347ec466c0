/*
 * memory.c — ktls-bench-memory: userspace memory a server spends per established, idle TLS
 * connection, after the handshake (and, for us, after the handoff to the kernel).
 *
 * A server process accepts one warm-up connection (so lazy library initialisation is not
 * counted), reads its resident set size, then accepts and handshakes N more connections
 * from a client process and keeps each one's state alive (our ktls_session, or OpenSSL's
 * SSL object) as an idle server would; RSS again; (after - before) / N is the userspace cost
 * per connection. Kernel memory (socket buffers, the kernel's TLS context) is not in RSS and
 * not counted here.
 *
 * Before each RSS reading the server calls malloc_trim(0), so that both readings count what
 * is held, not what the allocator happens to keep cached: otherwise whether glibc gave the
 * warm-up handshake's free heap back before the first reading decides a one-off of several
 * hundred KiB (seen: the same build measured 541 and 1532 bytes per connection at N = 500).
 * malloc's own count of bytes in use (mallinfo2) is printed next to it on stderr.
 *
 * Variants: ours-ktls (keys in the kernel both ways: needs kTLS), ours-user (our userspace
 * record layer), openssl (defaults), openssl-release (SSL_MODE_RELEASE_BUFFERS),
 * openssl-ktls (SSL_OP_ENABLE_KTLS: needs kTLS).
 *
 * Session tickets are at both libraries' default, two per connection (--tickets N changes
 * it, 0 turns them off): a real server sends them, and for us they are post-handshake
 * records that go out through the kernel after the handoff, so their cost shows here.
 *
 * Output on stdout: "mem,where,variant,n,status,rss_before,rss_after,bytes_per_conn,note".
 */
#include "common.h"

#include "ktls.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct mem_result {
	int ok;
	long before, after;
	size_t heap_before, heap_after; /* malloc's bytes in use (mallinfo2), the same moments */
	char note[200];
};

enum variant { V_OURS_KTLS, V_OURS_USER, V_OSSL, V_OSSL_RELEASE, V_OSSL_KTLS };
static const char *const vnames[] = { "ours-ktls", "ours-user", "openssl", "openssl-release",
				      "openssl-ktls" };

static void __attribute__((noreturn)) fail(int res, const char *fmt, ...)
{
	struct mem_result r = { .ok = 0 };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r.note, sizeof(r.note), fmt, ap);
	va_end(ap);
	if (bench_write_full(res, &r, sizeof(r))) { /* the parent is gone */ }
	_exit(1);
}

static unsigned tickets = 2; /* per connection: ours and OpenSSL's default */

static bool is_ours(enum variant v)
{
	return v == V_OURS_KTLS || v == V_OURS_USER;
}

static void server(int l, enum variant v, int n, int res, int fin)
{
	struct ktls_config *cfg = NULL;
	SSL_CTX *ctx = NULL;
	void **conns = calloc((size_t)n + 1, sizeof(void *));
	int *fds = calloc((size_t)n + 1, sizeof(int));
	int ktx = 0, krx = 0;

	if (!conns || !fds)
		fail(res, "out of memory");
	if (is_ours(v)) {
		cfg = bench_ktls_server_config("ecdsa", "chacha20");
		ktls_config_set_offload(cfg, v == V_OURS_KTLS ? KTLS_OFFLOAD_BOTH : KTLS_OFFLOAD_NONE,
					v == V_OURS_KTLS);
		/* the shared bench config turns tickets off; here they are at the default */
		if (ktls_config_set_tickets(cfg, tickets, 7200))
			fail(res, "tickets: %s", ktls_config_error(cfg));
	} else {
		ctx = bench_ossl_server_ctx("ecdsa", "chacha20", v == V_OSSL_KTLS);
		/* stateless tickets (the session cache stays off), as many as ours */
		if (tickets)
			SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, tickets);
		if (v == V_OSSL_RELEASE)
			SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	}
	long before = 0;
	size_t heap_before = 0;
	for (int i = 0; i <= n; i++) {
		if (i == 1) { /* after the warm-up connection */
			malloc_trim(0);
			before = bench_rss();
			heap_before = mallinfo2().uordblks;
		}
		int fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			fail(res, "accept: %s", strerror(errno));
		fds[i] = fd;
		if (is_ours(v)) {
			struct ktls_session *s = NULL;
			int err = ktls_handshake(fd, cfg, &s);
			if (err)
				fail(res, "our handshake: %s", s ? ktls_session_error(s) : ktls_strerror(err));
			struct ktls_session_info info;
			ktls_session_get_info(s, &info);
			if (v == V_OURS_KTLS && !(info.tx_offloaded && info.rx_offloaded))
				fail(res, "kTLS not granted: %s", info.offload_status);
			conns[i] = s;
		} else {
			SSL *ssl = SSL_new(ctx);
			if (!ssl || !SSL_set_fd(ssl, fd) || SSL_accept(ssl) != 1)
				fail(res, "SSL_accept: %s", bench_ossl_err());
			ktx = (int)BIO_get_ktls_send(SSL_get_wbio(ssl));
			krx = (int)BIO_get_ktls_recv(SSL_get_rbio(ssl));
			conns[i] = ssl;
		}
	}
	malloc_trim(0);
	struct mem_result r = { .ok = 1, .before = before, .after = bench_rss(),
				.heap_before = heap_before, .heap_after = mallinfo2().uordblks };
	if (v == V_OSSL_KTLS)
		snprintf(r.note, sizeof(r.note), "OpenSSL ktls_send=%d ktls_recv=%d", ktx, krx);
	if (bench_write_full(res, &r, sizeof(r)))
		_exit(3);
	char b;
	if (read(fin, &b, 1) < 0) { /* EOF: the parent is done */ }
	for (int i = 0; i <= n; i++) {
		if (is_ours(v))
			ktls_session_free(conns[i]);
		else
			SSL_free(conns[i]);
		close(fds[i]);
	}
	ktls_config_free(cfg);
	SSL_CTX_free(ctx);
	free(conns);
	free(fds);
	_exit(0);
}

static void client(uint16_t port, enum variant v, int n, int res, int fin)
{
	struct ktls_config *cfg = NULL;
	SSL_CTX *ctx = NULL;
	if (is_ours(v)) {
		cfg = bench_ktls_client_config("chacha20");
		ktls_config_set_offload(cfg, KTLS_OFFLOAD_NONE, 0); /* only the server is measured */
	} else {
		ctx = bench_ossl_client_ctx("chacha20", 0);
	}
	for (int i = 0; i <= n; i++) {
		int fd = bench_connect(port);
		if (is_ours(v)) {
			struct ktls_session *s = NULL;
			int err = ktls_handshake(fd, cfg, &s);
			if (err)
				fail(res, "our client handshake: %s", s ? ktls_session_error(s) : ktls_strerror(err));
			ktls_session_free(s); /* the connection stays open */
		} else {
			SSL *ssl = SSL_new(ctx);
			if (!ssl || !SSL_set_fd(ssl, fd) || !SSL_set1_host(ssl, "localhost") ||
			    SSL_connect(ssl) != 1)
				fail(res, "SSL_connect: %s", bench_ossl_err());
			SSL_free(ssl);
		}
	}
	char b;
	if (read(fin, &b, 1) < 0) { /* EOF: the parent is done */ }
	ktls_config_free(cfg);
	SSL_CTX_free(ctx);
	_exit(0);
}

static int run(enum variant v, int n, double timeout, const char *where)
{
	uint16_t port;
	int l = bench_listen(n + 8 > 4096 ? 4096 : n + 8, &port);
	int res[2], fin[2];
	if (pipe2(res, O_CLOEXEC) || pipe2(fin, O_CLOEXEC))
		bench_die("pipe: %s", strerror(errno));
	pid_t pid[2];
	for (int role = 0; role < 2; role++) {
		pid[role] = fork();
		if (pid[role] < 0)
			bench_die("fork: %s", strerror(errno));
		if (!pid[role]) {
			signal(SIGPIPE, SIG_IGN);
			alarm((unsigned)timeout + 1);
			close(res[0]);
			close(fin[1]);
			if (bench_ncpus() >= 2)
				bench_pin(role);
			if (role == 0)
				server(l, v, n, res[1], fin[0]);
			close(l);
			client(port, v, n, res[1], fin[0]);
		}
	}
	close(l);
	close(res[1]);
	close(fin[0]);
	double deadline = bench_now() + timeout;
	struct mem_result r = { .ok = 0 };
	struct pollfd pf = { .fd = res[0], .events = POLLIN };
	/* the server owes the result; a client that dies early also ends the wait */
	bool got = bench_wait_fds(&pf, 1, deadline, pid, 2) > 0 && !bench_read_full(res[0], &r, sizeof(r));
	close(fin[1]);
	if (!got || !r.ok) {
		kill(pid[0], SIGKILL);
		kill(pid[1], SIGKILL);
	}
	bench_reap(pid[0], deadline + 5);
	bench_reap(pid[1], deadline + 5);
	close(res[0]);
	if (!got)
		snprintf(r.note, sizeof(r.note), "no result (timed out or crashed)");
	for (char *p = r.note; *p; p++)
		if (*p == ',')
			*p = ';';
	if (!got || !r.ok) {
		printf("mem,%s,%s,%d,FAILED,,,,%s\n", where, vnames[v], n, r.note);
		fprintf(stderr, "memory: %-16s FAILED: %s\n", vnames[v], r.note);
		return 1;
	}
	double per = (double)(r.after - r.before) / n;
	printf("mem,%s,%s,%d,ok,%ld,%ld,%.0f,%s\n", where, vnames[v], n, r.before, r.after, per, r.note);
	fprintf(stderr, "memory: %-16s %8.0f bytes per idle connection (RSS %ld -> %ld KiB; "
		"malloc in use %.0f B/conn) %s\n", vnames[v], per, r.before / 1024, r.after / 1024,
		((double)r.heap_after - (double)r.heap_before) / n, r.note);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	int n = 500;
	double timeout = 300;
	const char *variants = "ours-ktls,ours-user,openssl,openssl-release,openssl-ktls";
	const char *where = "native";
	static const struct option lo[] = {
		{ "n", 1, 0, 'n' }, { "variants", 1, 0, 'V' }, { "where", 1, 0, 'W' },
		{ "timeout", 1, 0, 't' }, { "tickets", 1, 0, 'T' }, { "help", 0, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	bench_prog = "ktls-bench-memory";
	for (int ch; (ch = getopt_long(argc, argv, "h", lo, NULL)) != -1;) {
		switch (ch) {
		case 'n': n = atoi(optarg); break;
		case 'V': variants = optarg; break;
		case 'W': where = optarg; break;
		case 't': timeout = atof(optarg); break;
		case 'T': tickets = (unsigned)atoi(optarg); break;
		case 'h':
			printf("Usage: ktls-bench-memory [--n N (500)] [--variants LIST] [--where LABEL]\n"
			       "       [--timeout S] [--tickets N (2)]\n"
			       "Variants: ours-ktls ours-user openssl openssl-release openssl-ktls (default all;\n"
			       "the -ktls ones need a kernel with kTLS). Session tickets per connection: N\n"
			       "(default 2, both libraries' default; 0: off). Prints mem,... CSV lines.\n");
			return 0;
		default: return 2;
		}
	}
	if (optind != argc || n < 1 || n > 100000 || timeout <= 0 || tickets > 16)
		bench_die("bad arguments (try --help)");
	signal(SIGPIPE, SIG_IGN);
	bench_raise_nofile(2L * n + 64);
	printf("# mem,where,variant,n,status,rss_before,rss_after,bytes_per_conn,note\n");
	int failed = 0;
	char *dup = strdup(variants), *save = NULL;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t v;
		for (v = 0; v < sizeof(vnames) / sizeof(vnames[0]) && strcmp(vnames[v], t); v++)
			;
		if (v == sizeof(vnames) / sizeof(vnames[0]))
			bench_die("unknown variant '%s'", t);
		failed |= run((enum variant)v, n, timeout, where);
	}
	free(dup);
	return failed;
}
