/*
 * common.c — the plumbing the benchmark programs share (see common.h).
 */
#include "common.h"

#include "ktls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *bench_prog = "bench";

void bench_die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s[%d]: ", bench_prog, (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

const char *bench_ossl_err(void)
{
	static char buf[200];
	unsigned long e = ERR_get_error();
	if (!e)
		return "no OpenSSL error queued";
	ERR_error_string_n(e, buf, sizeof(buf));
	return buf;
}

void bench_die_ssl(const char *what)
{
	char buf[256] = "";
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	bench_die("%s: %s", what, e ? buf : "(no OpenSSL error queued)");
}

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_cpu_now(struct bench_cpu *c)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	c->user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	c->sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	c->nvcsw = ru.ru_nvcsw;
}

int bench_parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'G': case 'g': v <<= 30; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'K': case 'k': v <<= 10; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B')
		end++;
	if (*end == 'B')
		end++;
	if (*end || v == 0)
		return -1;
	*out = (size_t)v;
	return 0;
}

int bench_listen(int backlog, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int one = 1;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		bench_die("socket: %s", strerror(errno));
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, backlog) ||
	    getsockname(l, (struct sockaddr *)&a, &alen))
		bench_die("listen on 127.0.0.1: %s", strerror(errno));
	*port = ntohs(a.sin_port);
	return l;
}

int bench_connect(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		bench_die("socket: %s", strerror(errno));
	for (int i = 0;; i++) {
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			break;
		if (errno == EINTR && i < 100)
			continue;
		bench_die("connect 127.0.0.1:%u: %s", port, strerror(errno));
	}
	return fd;
}

void bench_tcp_pair(int *a, int *b)
{
	uint16_t port;
	int l = bench_listen(1, &port);
	*a = bench_connect(port);
	*b = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (*b < 0)
		bench_die("accept: %s", strerror(errno));
	close(l);
}

int bench_ncpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return CPU_COUNT(&set);
}

int bench_pin(int idx)
{
	cpu_set_t set, one;
	if (sched_getaffinity(0, sizeof(set), &set) || CPU_COUNT(&set) < 2)
		return -1;
	int want = idx % CPU_COUNT(&set), seen = 0;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (seen++ == want) {
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			return sched_setaffinity(0, sizeof(one), &one) ? -1 : cpu;
		}
	}
	return -1;
}

void bench_raise_nofile(long n)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if ((long)rl.rlim_cur >= n)
		return;
	rl.rlim_cur = (rlim_t)n;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
		rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static uint64_t payload_word(uint64_t k)
{
	uint64_t x = (k + 1) * 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 29);
}

uint8_t bench_payload_byte(uint64_t off)
{
	return (uint8_t)(payload_word(off >> 3) >> (8 * (off & 7)));
}

void bench_payload_fill(uint8_t *buf, uint64_t off, size_t len)
{
	size_t i = 0;
	while (i < len && ((off + i) & 7))
		buf[i] = bench_payload_byte(off + i), i++;
	for (; i + 8 <= len; i += 8) {
		uint64_t w = payload_word((off + i) >> 3);
		for (int b = 0; b < 8; b++)
			buf[i + (size_t)b] = (uint8_t)(w >> (8 * b));
	}
	for (; i < len; i++)
		buf[i] = bench_payload_byte(off + i);
}

int bench_payload_file(const char *path, size_t size)
{
	const size_t chunk = 1 << 20;
	uint8_t *buf = malloc(chunk);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		bench_payload_fill(buf, off, n);
		if (bench_write_full(fd, buf, n)) {
			free(buf);
			close(fd);
			return -1;
		}
	}
	free(buf);
	return close(fd);
}

int bench_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(fd, (uint8_t *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int bench_write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, (const uint8_t *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int bench_reap(pid_t pid, double deadline)
{
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (bench_now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

int bench_wait_fds(struct pollfd *pf, int n, double deadline, const pid_t *watch, int nwatch)
{
	for (;;) {
		double left = deadline - bench_now();
		if (left <= 0)
			return 0;
		int slice = left > 0.1 ? 100 : (int)(left * 1000) + 1;
		int r = poll(pf, (nfds_t)n, slice);
		if (r > 0)
			return r;
		if (r < 0 && errno != EINTR)
			return 0;
		for (int i = 0; i < nwatch; i++) {
			siginfo_t si;
			memset(&si, 0, sizeof(si));
			if (watch[i] > 0 && !waitid(P_PID, (id_t)watch[i], &si, WEXITED | WNOHANG | WNOWAIT) &&
			    si.si_pid == watch[i]) {
				/* it may have written just before it went: look once more */
				return poll(pf, (nfds_t)n, 0) > 0 ? 1 : -1;
			}
		}
	}
}

const char *bench_cert_path(const char *name)
{
	static char buf[8][512];
	static int n;
	const char *d = getenv("KTLS_CERTS");
	char *p = buf[n++ % 8];
	snprintf(p, sizeof(buf[0]), "%s/%s", d && *d ? d : "build/certs", name);
	return p;
}

const char *bench_ossl_suite(const char *cipher)
{
	if (!strcmp(cipher, "chacha20"))
		return "TLS_CHACHA20_POLY1305_SHA256";
	if (!strcmp(cipher, "aes128"))
		return "TLS_AES_128_GCM_SHA256";
	if (!strcmp(cipher, "aes256"))
		return "TLS_AES_256_GCM_SHA384";
	bench_die("unknown cipher '%s' (chacha20, aes128, aes256)", cipher);
}

static void cert_files(const char *kind, const char **cert, const char **key)
{
	char c[64], k[64];
	if (strcmp(kind, "rsa") && strcmp(kind, "ecdsa") && strcmp(kind, "ed25519"))
		bench_die("unknown certificate kind '%s' (rsa, ecdsa, ed25519)", kind);
	snprintf(c, sizeof(c), "server-%s.pem", kind);
	snprintf(k, sizeof(k), "server-%s.key", kind);
	*cert = bench_cert_path(c);
	*key = bench_cert_path(k);
}

struct ktls_config *bench_ktls_server_config(const char *cert_kind, const char *cipher)
{
	const char *cert, *key;
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_SERVER);
	if (!cfg)
		bench_die("ktls_config_new: out of memory");
	cert_files(cert_kind, &cert, &key);
	/* no session tickets, like the OpenSSL side (SSL_OP_NO_TICKET, num_tickets 0): every
	 * handshake is full and nothing follows the handshake on the wire */
	if (ktls_config_set_cert(cfg, cert, key) || ktls_config_set_groups(cfg, "x25519") ||
	    ktls_config_set_tickets(cfg, 0, 7200) ||
	    (cipher && ktls_config_set_ciphers(cfg, cipher)))
		bench_die("server config: %s", ktls_config_error(cfg));
	return cfg;
}

struct ktls_config *bench_ktls_client_config(const char *cipher)
{
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_CLIENT);
	if (!cfg)
		bench_die("ktls_config_new: out of memory");
	if (ktls_config_set_ca(cfg, bench_cert_path("ca.pem"), NULL) ||
	    ktls_config_set_server_name(cfg, "localhost") || ktls_config_set_groups(cfg, "x25519") ||
	    (cipher && ktls_config_set_ciphers(cfg, cipher)))
		bench_die("client config: %s", ktls_config_error(cfg));
	return cfg;
}

static void ossl_common(SSL_CTX *ctx, const char *cipher, int ktls)
{
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set1_groups_list(ctx, "X25519"))
		bench_die_ssl("SSL_CTX setup");
	if (cipher && !SSL_CTX_set_ciphersuites(ctx, bench_ossl_suite(cipher)))
		bench_die_ssl("SSL_CTX_set_ciphersuites");
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (ktls)
		SSL_CTX_set_options(ctx, SSL_OP_ENABLE_KTLS);
}

SSL_CTX *bench_ossl_server_ctx(const char *cert_kind, const char *cipher, int ktls)
{
	const char *cert, *key;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx)
		bench_die_ssl("SSL_CTX_new");
	ossl_common(ctx, cipher, ktls);
	cert_files(cert_kind, &cert, &key);
	SSL_CTX_set_num_tickets(ctx, 0);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		bench_die_ssl("server certificate");
	return ctx;
}

SSL_CTX *bench_ossl_client_ctx(const char *cipher, int ktls)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		bench_die_ssl("SSL_CTX_new");
	ossl_common(ctx, cipher, ktls);
	if (SSL_CTX_load_verify_locations(ctx, bench_cert_path("ca.pem"), NULL) != 1)
		bench_die_ssl("CA file");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

long bench_rss(void)
{
	long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_median(double *v, int n, double *mn, double *mx)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	if (mn)
		*mn = v[0];
	if (mx)
		*mx = v[n - 1];
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
