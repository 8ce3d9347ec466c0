/*
 * common.h — what the benchmark programs share: clocks and CPU accounting, loopback TCP,
 * pinning, the payload, child-process plumbing, and the TLS setup of both stacks (ours and
 * OpenSSL libssl) with the same certificates and the same cipher suite.
 *
 * Every benchmark forks a sender and a receiver (or server and client), so each process's
 * getrusage() is its own side only. Nothing here blocks without a bound: every child arms
 * alarm() before it starts, and the parent waits with a deadline and kills what is late.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

struct ktls_config;

#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * 1024.0 * 1024.0)

/* Prints "prog: message" to stderr and exits with status 1 (children and parents alike). */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Like bench_die, with OpenSSL's error queue appended. */
void bench_die_ssl(const char *what) __attribute__((noreturn));
/* The oldest queued OpenSSL error as text (a static buffer), for failure notes. */
const char *bench_ossl_err(void);
extern const char *bench_prog;

double bench_now(void); /* CLOCK_MONOTONIC, seconds */

/* CPU time of this process, user and system apart, in seconds, and the times it blocked
 * (voluntary context switches), from one getrusage(). */
struct bench_cpu {
	double user, sys;
	long nvcsw;
};
void bench_cpu_now(struct bench_cpu *c);

/* Parses "64M", "16K", "1G", "4096" (binary multiples). Returns 0 or -1. */
int bench_parse_size(const char *s, size_t *out);

/* A listening TCP socket on 127.0.0.1, port chosen by the kernel; *port receives it. */
int bench_listen(int backlog, uint16_t *port);
int bench_connect(uint16_t port);
/* A connected loopback pair (connect, then accept on a private listener). */
void bench_tcp_pair(int *a, int *b);

/* Pins the calling process to CPU number idx (modulo the CPUs it may use) when it may use
 * at least two; returns the CPU pinned to, or -1 when not pinned. */
int bench_pin(int idx);
int bench_ncpus(void);

/* Raises RLIMIT_NOFILE to at least n (as far as the hard limit allows). */
void bench_raise_nofile(long n);

/* The payload: byte i is a fixed function of i, so a receiver can check what it got. */
uint8_t bench_payload_byte(uint64_t off);
void bench_payload_fill(uint8_t *buf, uint64_t off, size_t len);
/* Creates (or recreates) path with size bytes of payload; returns 0 or -1. */
int bench_payload_file(const char *path, size_t size);

/* Reads exactly len bytes / writes exactly len bytes on a pipe (EINTR-safe). 0 or -1. */
int bench_read_full(int fd, void *buf, size_t len);
int bench_write_full(int fd, const void *buf, size_t len);

/* Waits for pid until deadline (bench_now() seconds); kills it (SIGKILL) when late.
 * Returns its wait status, or -1 when it had to be killed. */
int bench_reap(pid_t pid, double deadline);

/* Waits until one of pf[] is ready (returns > 0, revents set), deadline passes (0), or one
 * of the watched children has exited (-1; it is not reaped: bench_reap does that). Children
 * still owing a result go in watch[], so one that died early is noticed at once. */
struct pollfd;
int bench_wait_fds(struct pollfd *pf, int n, double deadline, const pid_t *watch, int nwatch);

/* Where the certificates are: $KTLS_CERTS or build/certs. */
const char *bench_cert_path(const char *name);

/* Cipher suite names: "chacha20" / "aes128" for us, the IANA name for OpenSSL. */
const char *bench_ossl_suite(const char *cipher);

/* Our configurations. cert_kind: "rsa", "ecdsa", "ed25519". */
struct ktls_config *bench_ktls_server_config(const char *cert_kind, const char *cipher);
struct ktls_config *bench_ktls_client_config(const char *cipher);

/* OpenSSL contexts, TLS 1.3 only, group X25519, no session tickets, no session cache;
 * cipher NULL keeps OpenSSL's default TLS 1.3 suites. ktls != 0 sets SSL_OP_ENABLE_KTLS. */
SSL_CTX *bench_ossl_server_ctx(const char *cert_kind, const char *cipher, int ktls);
SSL_CTX *bench_ossl_client_ctx(const char *cipher, int ktls);

/* Median of v[0..n-1], n >= 1; sorts v in place. *mn and *mx (when not NULL) receive the
 * smallest and the largest. */
double bench_median(double *v, int n, double *mn, double *mx);

/* Resident set size of this process, bytes (from /proc/self/statm). */
long bench_rss(void);

#endif
