/*
 * ktls-diag — the kernel's own view of kTLS sockets: every TCP socket with the tls ULP, its
 * TLS version, cipher and TX/RX mode, like `ss -tie` shows them (and, unlike ss, the cipher
 * of a ChaCha20-Poly1305 socket too), plus the /proc/net/tls_stat counters. See --help.
 */
#include "common/json.h"
#include "common/version.h"
#include "diag/diag.h"
#include "ktls.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	EXIT_OK = 0,      /* listed, or nothing to list */
	EXIT_NETLINK = 1, /* the sock_diag dump (or reading the counters) failed */
	EXIT_USAGE = 2,
};

#define MAX_STATS 128

static const char usage[] =
	"Usage: ktls-diag [--port N] [--json] [--stats]\n"
	"\n"
	"Lists the TCP sockets (IPv4 and IPv6) that have the kernel's tls ULP, as the kernel\n"
	"reports them over NETLINK_SOCK_DIAG, one line each:\n"
	"  LOCAL REMOTE STATE VERSION CIPHER tx=MODE rx=MODE zc=on|off nopad=on|off\n"
	"MODE is none (no key set), sw, hw or hw-record; zc is TLS_TX_ZEROCOPY_RO, nopad is\n"
	"TLS_RX_EXPECT_NO_PAD. A field the kernel did not report prints as '-'. The TLS details\n"
	"are shown only to root (CAP_NET_ADMIN).\n"
	"\n"
	"Options:\n"
	"  --port N     only sockets whose local or remote port is N\n"
	"  --json       a JSON array of objects with the keys local, remote, state, version,\n"
	"               cipher, tx, rx, tx_zerocopy, rx_no_pad; with --stats an object\n"
	"               {\"sockets\": [...], \"stats\": {NAME: VALUE, ...}} (stats null without\n"
	"               the tls module)\n"
	"  --stats      also print the counters of /proc/net/tls_stat, NAME VALUE per line\n"
	"  -V, --version  versions of libktls, OpenSSL, libsodium; kernel TLS or not\n"
	"  -h, --help     this text\n"
	"\n"
	"No matching socket (or no tls module) is not an error: it is said on stderr.\n"
	"Exit status: 0 success (also when nothing matched), 1 netlink or /proc failure,\n"
	"2 usage error.\n";

struct sock_list {
	struct diag_sock *v;
	size_t n, cap;
};

static int collect(const struct diag_sock *s, void *arg)
{
	struct sock_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct diag_sock *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return KTLS_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *s;
	return 0;
}

static bool parse_port(const char *arg, uint16_t *port)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static void print_json(const struct sock_list *l, bool with_stats, const struct diag_stat *st,
		       int nstats)
{
	char line[512];
	if (with_stats)
		fputs("{\"sockets\":", stdout);
	fputs(l->n ? "[\n" : "[]", stdout);
	for (size_t i = 0; i < l->n; i++) {
		if (diag_format_json(line, sizeof(line), &l->v[i]))
			snprintf(line, sizeof(line), "null");
		printf("%s%s\n", line, i + 1 < l->n ? "," : "");
	}
	if (l->n)
		fputs("]", stdout);
	if (with_stats) {
		fputs(",\n\"stats\":", stdout);
		if (nstats < 0) {
			fputs("null", stdout);
		} else {
			fputs("{", stdout);
			for (int i = 0; i < nstats; i++) {
				fputs(i ? "," : "", stdout);
				json_fput(stdout, st[i].name);
				printf(":%" PRIu64, st[i].value);
			}
			fputs("}", stdout);
		}
		fputs("}", stdout);
	}
	fputs("\n", stdout);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "stats", no_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "ktls-diag";
	bool json = false, stats = false;
	uint16_t port = 0;
	int c;

	opterr = 0; /* cli_usage_error says it in one line */
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_port(optarg, &port)) {
				fprintf(stderr, "%s: --port takes a number from 1 to 65535, not '%s'\n",
					prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j': json = true; break;
		case 's': stats = true; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		case 'V': return cli_print_version(prog);
		default: return cli_usage_error(prog, argv, c);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[optind]);
		return EXIT_USAGE;
	}

	struct sock_list l = { 0 };
	int rc = diag_list(AF_UNSPEC, port, collect, &l);
	if (rc < 0) {
		int e = errno;
		if (rc == KTLS_ENOMEM)
			fprintf(stderr, "%s: out of memory\n", prog);
		else if (rc == KTLS_EDECODE)
			fprintf(stderr, "%s: the kernel's sock_diag answer does not parse\n", prog);
		else
			fprintf(stderr, "%s: sock_diag netlink dump failed: %s%s\n", prog, strerror(e),
				e == ENOENT ? " (the kernel has no TCP sock_diag: CONFIG_INET_DIAG / "
					      "tcp_diag module missing)"
					    : "");
		free(l.v);
		return EXIT_NETLINK;
	}

	struct diag_stat st[MAX_STATS];
	int nstats = -1;
	bool has_tls = diag_kernel_has_tls();
	if (stats) {
		nstats = diag_read_stats(DIAG_STATS_PATH, st, MAX_STATS);
		if (nstats < 0 && !(nstats == KTLS_EIO && errno == ENOENT)) {
			fprintf(stderr, "%s: cannot read %s: %s\n", prog, DIAG_STATS_PATH,
				nstats == KTLS_EIO ? strerror(errno) : ktls_strerror(nstats));
			free(l.v);
			return EXIT_NETLINK;
		}
		if (nstats < 0)
			has_tls = false;
	}

	if (l.n == 0) {
		if (!has_tls)
			fprintf(stderr, "%s: no kTLS sockets: the kernel has no tls module (no %s)\n",
				prog, DIAG_STATS_PATH);
		else if (geteuid() != 0)
			fprintf(stderr, "%s: no kTLS sockets found (not root: the kernel reports "
					"the tls ULP only to CAP_NET_ADMIN)\n", prog);
		else if (port)
			fprintf(stderr, "%s: no kTLS socket on port %u\n", prog, (unsigned)port);
		else
			fprintf(stderr, "%s: no kTLS sockets\n", prog);
	} else {
		for (size_t i = 0; i < l.n; i++)
			if (!l.v[i].has_tls_info) {
				fprintf(stderr, "%s: the kernel gave no TLS details for some sockets "
						"(they need CAP_NET_ADMIN)\n", prog);
				break;
			}
	}

	if (json) {
		print_json(&l, stats, st, nstats);
	} else {
		char line[512];
		for (size_t i = 0; i < l.n; i++)
			if (!diag_format_text(line, sizeof(line), &l.v[i]))
				puts(line);
		for (int i = 0; i < nstats; i++)
			printf("%s %" PRIu64 "\n", st[i].name, st[i].value);
	}
	free(l.v);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "%s: writing output: %s\n", prog, strerror(errno));
		return EXIT_NETLINK;
	}
	return EXIT_OK;
}
