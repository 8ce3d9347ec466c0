/*
 * env.c — ktls-bench-env: what the place a benchmark runs in charges for kernel work, so the
 * kTLS-vs-userspace ratios measured there can be read against native (bench/README.md,
 * "Environments"). Run natively and in the microVM (--where), next to ktls-bench-aead, whose
 * raw AEAD figures are the crypto side of the same comparison.
 *
 * Two figures, each CPU time (user + system, getrusage) of this one process per operation,
 * median [min-max] over --reps repetitions:
 *  - syscall: one getppid(2), the cheapest system call there is (no argument, no lock, no
 *    vDSO shortcut): the fixed price of entering and leaving the kernel;
 *  - loopback-16k: one 16 KiB send(2) on a loopback TCP socket and the recv(2) calls that
 *    take those bytes at the other end, both sockets in this process: what the kernel's
 *    socket and TCP code costs per TLS-record-sized write, crypto aside. Every transfer
 *    scenario, kTLS or userspace, pays this per record; kTLS moves the record's crypto
 *    into it.
 *
 * Each repetition runs operations in doubling batches until --min-cpu CPU seconds have gone
 * (or --max-ops operations: a bound whatever the clock says), after one warm-up batch.
 *
 * Output:
 *   env,where,metric,bytes,ops,ns_per_op_med,ns_per_op_min,ns_per_op_max
 */
#include "common.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_REPS 64
#define LOOP_BYTES 16384

static int loop_tx = -1, loop_rx = -1;
static unsigned char loop_buf[LOOP_BYTES];

static void op_syscall(void)
{
	(void)getppid();
}

static void op_loopback(void)
{
	ssize_t n = send(loop_tx, loop_buf, LOOP_BYTES, 0);
	if (n != LOOP_BYTES)
		bench_die("loopback send: %s", n < 0 ? strerror(errno) : "short");
	/* loopback delivers a send before it returns, usually in one piece; at most one recv
	 * per byte whatever happens */
	size_t got = 0;
	for (int i = 0; got < LOOP_BYTES && i < LOOP_BYTES; i++) {
		n = recv(loop_rx, loop_buf + got, LOOP_BYTES - got, 0);
		if (n <= 0)
			bench_die("loopback recv: %s", n < 0 ? strerror(errno) : "end of stream");
		got += (size_t)n;
	}
	if (got != LOOP_BYTES)
		bench_die("loopback recv: %zu of %d bytes", got, LOOP_BYTES);
}

static double cpu_seconds(void)
{
	struct bench_cpu c;
	bench_cpu_now(&c);
	return c.user + c.sys;
}

/* One repetition: ns of CPU per operation; *ops receives how many ran. */
static double measure(void (*op)(void), double min_cpu, long max_ops, long *ops)
{
	long n = 0, batch = 16;
	double t0 = cpu_seconds(), t = t0;
	while (n < max_ops) {
		long b = batch < max_ops - n ? batch : max_ops - n;
		for (long i = 0; i < b; i++)
			op();
		n += b;
		t = cpu_seconds();
		if (t - t0 >= min_cpu)
			break;
		if (batch < (1L << 20))
			batch *= 2;
	}
	*ops = n;
	return (t - t0) * 1e9 / (double)n;
}

int main(int argc, char **argv)
{
	double min_cpu = 0.5;
	long max_ops = 20000000;
	int reps = 5;
	const char *where = "native";
	static const struct option lo[] = {
		{ "min-cpu", 1, 0, 'm' }, { "max-ops", 1, 0, 'M' }, { "reps", 1, 0, 'R' },
		{ "where", 1, 0, 'W' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	bench_prog = "ktls-bench-env";
	for (int ch; (ch = getopt_long(argc, argv, "h", lo, NULL)) != -1;) {
		switch (ch) {
		case 'm': min_cpu = atof(optarg); break;
		case 'M': max_ops = atol(optarg); break;
		case 'R': reps = atoi(optarg); break;
		case 'W': where = optarg; break;
		case 'h':
			printf("Usage: ktls-bench-env [--min-cpu SECONDS (0.5)] [--max-ops N (20000000)]\n"
			       "                      [--reps R (5)] [--where LABEL]\n"
			       "CPU nanoseconds per getppid() (syscall) and per 16 KiB send + recv over\n"
			       "loopback TCP in one process (loopback-16k): each repetition runs until\n"
			       "--min-cpu CPU seconds or --max-ops operations; median [min-max] of --reps.\n");
			return 0;
		default: return 2;
		}
	}
	if (optind != argc || reps < 1 || reps > MAX_REPS || !(min_cpu > 0 && min_cpu <= 60) ||
	    max_ops < 1)
		bench_die("bad arguments (try --help)");
	/* a bound on the whole run: reps x metrics x (warm-up + window), with room for a slow
	 * host (CPU seconds can lag wall seconds many times over on a loaded one) */
	alarm((unsigned)(reps * 2 * (min_cpu + 1) * 20 + 60));

	bench_tcp_pair(&loop_tx, &loop_rx);
	int big = 1 << 20;
	setsockopt(loop_tx, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(loop_rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));

	static const struct { const char *name; int bytes; void (*op)(void); } m[] = {
		{ "syscall", 0, op_syscall },
		{ "loopback-16k", LOOP_BYTES, op_loopback },
	};
	printf("# env,where,metric,bytes,ops,ns_per_op_med,ns_per_op_min,ns_per_op_max\n");
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		double v[MAX_REPS];
		long ops = 0, warm;
		(void)measure(m[k].op, min_cpu / 10, max_ops / 10 + 1, &warm);
		for (int r = 0; r < reps; r++)
			v[r] = measure(m[k].op, min_cpu, max_ops, &ops);
		double mn, mx, med = bench_median(v, reps, &mn, &mx);
		printf("env,%s,%s,%d,%ld,%.1f,%.1f,%.1f\n", where, m[k].name, m[k].bytes, ops, med, mn, mx);
		fprintf(stderr, "env: %-12s %s: %.1f ns per operation [%.1f-%.1f], %ld per repetition\n",
			m[k].name, where, med, mn, mx, ops);
	}
	close(loop_tx);
	close(loop_rx);
	return 0;
}
