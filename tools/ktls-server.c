/*
 * ktls-server — accept TLS 1.3 connections: serve a directory over HTTPS (--www, many
 * connections in an epoll loop per worker; tools/httpd), echo what a client sends (--echo),
 * send a file (--send-file), or relay stdin/stdout to one client like `openssl s_server`.
 * The modes other than --www serve one connection at a time. See --help.
 */
#include "cli/cli.h"
#include "common/version.h"
#include "httpd/httpd.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
	"Usage: ktls-server --cert FILE [--key FILE]... [options]\n"
	"       ktls-server --cert FILE [--key FILE]... --www DIR [www options] [options]\n"
	"\n"
	"Listens for TCP connections, runs a TLS 1.3 handshake with each and prints a one-line\n"
	"summary on stderr. Then, with --echo, sends back everything the client sends until it\n"
	"closes; without, copies stdin to the client and the client's data to stdout.\n"
	"\n"
	"With --www DIR it is an HTTPS/1.1 static file server instead: GET and HEAD, keep-alive,\n"
	"single byte ranges (206, 416), Content-Type by extension, 400/403/404/405/414/431/505\n"
	"answers; request-targets over 8 KiB get 414, header sections over 16 KiB 431. No path\n"
	"or symlink leaves DIR (openat2 RESOLVE_BENEATH; realpath on kernels before 5.6); a\n"
	"directory serves its index.html. ALPN: http/1.1 (http/1.0 for clients that offer only\n"
	"that); --alpn may list only these two. Bodies go out with sendfile(2) through kernel\n"
	"TLS, or read + encrypt + write where the kernel has no TLS. Connections are served\n"
	"concurrently, non-blocking, one epoll loop per worker. SIGTERM or SIGINT stops it\n"
	"cleanly: no new connections, responses in flight finish, close_notify on every\n"
	"connection, exit 0. SIGHUP reloads the certificate, key and ticket key files in every\n"
	"worker: new connections get them, open ones keep theirs; when they do not load, it says\n"
	"'reload failed' and keeps the previous ones. A failed handshake is logged on stderr with\n"
	"the peer's address and the reason (at most 10 lines a second per worker, then a count);\n"
	"a plain HTTP request on the port gets a plaintext 400. The port it listens on is\n"
	"printed as 'listening on ADDR port PORT' on stderr (useful with --port 0).\n"
	"Without --www, SIGHUP ends the server as usual (it may be relaying a terminal).\n"
	"\n"
	"www options:\n"
	"  --www DIR                 serve the files under DIR\n"
	"  --workers N               worker processes, each with its own SO_REUSEPORT socket\n"
	"                            (default 1)\n"
	"  --max-connections N       open connections per worker (default 4096); a newcomer\n"
	"                            beyond them evicts the oldest unfinished handshake, or is\n"
	"                            closed at once when every connection is established.\n"
	"                            The server raises its ulimit -n to 2N + 16 (a descriptor\n"
	"                            per connection, two while it sends a file): the soft\n"
	"                            limit up to the hard one, the hard one too when privileged;\n"
	"                            when it cannot, it says how many it needs and serves on,\n"
	"                            refusing newcomers while descriptors run short\n"
	"  --max-client-hello BYTES  the largest ClientHello taken (default 16384; curl, OpenSSL\n"
	"                            and GnuTLS send 300 to 510 bytes here, browsers up to ~2 KB\n"
	"                            with post-quantum key shares; RFC 8446 allows 131396)\n"
	"  --handshake-memory MB     per worker, what unfinished handshakes may hold in partly\n"
	"                            received messages (default 2); beyond it the oldest of\n"
	"                            them is closed\n"
	"  --handshake-timeout SECS  a connection must finish its handshake in this time\n"
	"                            (default 10)\n"
	"  --idle-timeout SECS       a whole request must arrive within SECS of the connection\n"
	"                            becoming idle, and a response that makes no progress for\n"
	"                            SECS is cut (default 30)\n"
	"  --access-log FILE|-       append one line per request to FILE (- for stdout):\n"
	"                            TIME CLIENT conn=PID.N \"REQUEST LINE\" STATUS BODY-BYTES\n"
	"                            tx=kernel|userspace rx=kernel|userspace cert=\"SUBJECT\"\n"
	"\n"
	"Options:\n"
	"  --port PORT          port to listen on, 1..65535 (default 4433; 0: any free port,\n"
	"                       the one it got is printed)\n"
	"  --bind ADDR          address to listen on (default: all, IPv6 and IPv4 on one\n"
	"                       socket; IPv4 alone on a host without IPv6)\n"
	"  --cert FILE          our certificate chain, PEM (leaf first) or DER (required).\n"
	"                       Repeatable: one --cert/--key pair per name; each client gets\n"
	"                       the certificate for its SNI: the exact name (DNS SANs, or CN\n"
	"                       without them), else a wildcard (*.example.org: one label),\n"
	"                       else the first --cert (the summary and access log say which)\n"
	"  --key FILE           its private key, PEM or DER (PKCS#8, traditional RSA/EC); the\n"
	"                       Nth --key goes with the Nth --cert (default: the --cert file)\n"
	"  --key-pass SRC       passphrase of encrypted keys: file:PATH (its first line),\n"
	"                       env:VAR or pass:TEXT (visible in ps), as openssl's -passin\n"
	"  --ca FILE|DIR        trust anchors for client certificates: a PEM file or a\n"
	"                       c_rehash directory (default: the system store)\n"
	"  --client-cert        ask clients for a certificate (optional for them)\n"
	"  --require-client-cert  ask, and refuse clients without one (certificate_required)\n"
	"  --insecure           accept client certificates without verifying them\n"
	"  --alpn LIST          ALPN protocols we serve, comma-separated, in preference order\n"
	"                       (with --www: http/1.1 and http/1.0 only)\n"
	"  --groups LIST        key exchange groups in preference order: x25519, secp256r1,\n"
	"                       x448, secp384r1, secp521r1, ffdhe2048, ffdhe3072, ffdhe4096,\n"
	"                       ffdhe6144, ffdhe8192 (default: the first seven)\n"
	"  --ciphers LIST       cipher suites, in preference order: TLS_CHACHA20_POLY1305_SHA256\n"
	"                       (chacha20), TLS_AES_128_GCM_SHA256 (aes128), TLS_AES_256_GCM_SHA384\n"
	"                       (aes256) (default: these three), TLS_AES_128_CCM_SHA256\n"
	"                       (aes128ccm), TLS_AES_128_CCM_8_SHA256 (aes128ccm8; never\n"
	"                       kernel-offloaded)\n"
	"  --hrr-cookie         put a cookie in each HelloRetryRequest and require it back\n"
	"                       (RFC 8446 4.2.2; default: none, the server keeps its state)\n"
	"  --echo               echo each client's data back to it\n"
	"  --key-update WHEN    send a KeyUpdate (RFC 8446 4.6.3) of our own once one key has\n"
	"                       carried WHEN: a time (30s, 5m, 1h) or bytes we sent (65536B,\n"
	"                       512K, 64M, 1G; powers of 1024); a number needs its unit\n"
	"                       (--echo and the stdin relay; not --www, --send-file)\n"
	"  --send-file FILE     send FILE to each client (sendfile(2) through kernel TLS when\n"
	"                       offloaded), then wait for the client to close\n"
	"  --once               serve one connection, then exit with its status\n"
	"  --offload MODE       kernel TLS after the handshake: both (default), tx, rx, none\n"
	"  --require-offload    fail instead of falling back to userspace TLS\n"
	"  --zerocopy           sendfile without a copy (TLS_TX_ZEROCOPY_RO; with NIC\n"
	"                       offload only): the file must not change while sent\n"
	"  --rx-no-pad          expect unpadded records (TLS_RX_EXPECT_NO_PAD): faster RX\n"
	"  --tickets N          session tickets after each handshake, for resumption (default\n"
	"                       2; 0: none)\n"
	"  --ticket-lifetime SECS  how long a ticket is good (default 7200, at most 604800)\n"
	"  --ticket-key-file FILE  share ticket keys between workers and servers: 32 bytes\n"
	"                       (current key) or 64 (current, then previous), e.g.\n"
	"                       head -c 64 /dev/urandom; default: a random key per process\n"
	"  --keylog FILE        append NSS key log lines (also: SSLKEYLOGFILE)\n"
	"  --trace              print every handshake message decoded and the key schedule\n"
	"  -V, --version        versions of libktls, OpenSSL, libsodium; kernel TLS or not\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit status (with --once, or --www after a signal): 0 success, 1 TLS failure, 2 usage\n"
	"error, 3 network error.\n";

/* A positive number of seconds, or -1. */
static double parse_secs(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	return *s && !*end && v > 0 && v < 1e6 ? v : -1;
}

static int parse_count(const char *s, int max)
{
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v > 0 && v <= max ? (int)v : -1;
}

/* Sends path with ktls_sendfile, then reads until the client's close_notify. */
static int send_file(const char *prog, struct ktls_session *s, const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_USAGE;
	}
	long long offset = 0;
	while (offset < st.st_size) {
		long n = ktls_sendfile(s, fd, &offset, (size_t)(st.st_size - offset));
		if (n <= 0) {
			cli_print_error(prog, "sendfile", s, n ? (int)n : KTLS_EIO);
			close(fd);
			return EXIT_TLS;
		}
	}
	close(fd);
	fprintf(stderr, "%s: sent %s (%lld bytes)\n", prog, path, offset);
	for (;;) {
		long n = ktls_recv(s, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n == KTLS_WANT_READ)
			continue; /* a record without data (a KeyUpdate): a blocking socket waits next */
		if (n < 0) {
			cli_print_error(prog, "receive", s, (int)n);
			return EXIT_TLS;
		}
	}
	int err = ktls_close(s);
	return err && err != KTLS_EIO ? EXIT_TLS : EXIT_OK;
}

static int echo_loop(const char *prog, struct ktls_session *s,
		     const struct cli_key_update *policy)
{
	char buf[16384];
	struct cli_key_clock clock;
	cli_key_clock_start(&clock, policy);
	for (;;) {
		long n = ktls_recv(s, buf, sizeof(buf));
		if (n == 0)
			break; /* close_notify: answer with ours */
		if (n == KTLS_WANT_READ)
			continue; /* a record without data (a KeyUpdate): a blocking socket waits next */
		if (n < 0) {
			cli_print_error(prog, "receive", s, (int)n);
			return EXIT_TLS;
		}
		long sent = ktls_send(s, buf, (size_t)n);
		if (sent < 0) {
			cli_print_error(prog, "send", s, (int)sent);
			return EXIT_TLS;
		}
		int err = cli_key_clock_sent(prog, &clock, s, (unsigned long long)sent, false);
		if (err) {
			cli_print_error(prog, "key update", s, err);
			return EXIT_TLS;
		}
	}
	int err = ktls_close(s);
	if (err && err != KTLS_EIO) {
		cli_print_error(prog, "close", s, err);
		return EXIT_TLS;
	}
	return EXIT_OK;
}

/* Everything a config is built from: at start and again for each reload (SIGHUP). */
struct server_opts {
	struct cli_tls_opts tls;
	const char *tickets, *ticket_lifetime, *ticket_key_file;
	const struct httpd_opts *www; /* NULL outside --www */
};

/* A new config from so, or NULL after printing "<prefix>: <reason>". */
static struct ktls_config *make_config(const char *prefix, const struct server_opts *so)
{
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_SERVER);
	if (!cfg) {
		fprintf(stderr, "%s: out of memory\n", prefix);
		return NULL;
	}
	if (so->tickets || so->ticket_lifetime) {
		char *end1 = NULL, *end2 = NULL;
		unsigned long n = so->tickets ? strtoul(so->tickets, &end1, 10) : 2;
		unsigned long life = so->ticket_lifetime ? strtoul(so->ticket_lifetime, &end2, 10) : 7200;
		if ((so->tickets && *end1) || (so->ticket_lifetime && *end2) ||
		    ktls_config_set_tickets(cfg, (unsigned)n, (unsigned)life)) {
			fprintf(stderr, "%s: bad --tickets or --ticket-lifetime: %s\n", prefix,
				ktls_config_error(cfg));
			goto fail;
		}
	}
	if (so->ticket_key_file && ktls_config_set_ticket_key_file(cfg, so->ticket_key_file)) {
		fprintf(stderr, "%s: %s\n", prefix, ktls_config_error(cfg));
		goto fail;
	}
	if (!cli_configure(prefix, cfg, &so->tls))
		goto fail;
	if (so->www) {
		/* the library enforces the same handshake deadline as the event loop's sweep */
		struct ktls_limits lim;
		ktls_limits_default(&lim);
		lim.handshake_timeout_ms = (unsigned)(so->www->handshake_timeout * 1000);
		lim.max_client_hello = so->www->max_client_hello;
		if (ktls_config_set_limits(cfg, &lim)) {
			fprintf(stderr, "%s: %s\n", prefix, ktls_config_error(cfg));
			goto fail;
		}
	}
	return cfg;
fail:
	ktls_config_free(cfg);
	return NULL;
}

/* httpd_opts.reload: the same options again, for SIGHUP */
static struct ktls_config *reload_config(void *arg, const char *prefix)
{
	return make_config(prefix, arg);
}

/* The file server speaks HTTP/1.1 (and 1.0) only: offering anything else in ALPN would
 * let a client pick a protocol we then do not answer in. Returns false after saying which. */
static bool www_alpn_ok(const char *prog, const char *list)
{
	const char *p = list;
	for (;;) {
		size_t len = strcspn(p, ",");
		if (len != 8 || (strncmp(p, "http/1.1", 8) && strncmp(p, "http/1.0", 8))) {
			char name[256];
			fprintf(stderr, "%s: --www serves HTTP/1.1 only: --alpn may list http/1.1 and "
				"http/1.0, not '%s'\n", prog, cli_printable(p, len, name, sizeof(name)));
			return false;
		}
		if (!p[len])
			return true;
		p += len + 1;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'K' },
		{ "key-pass", required_argument, NULL, 1200 },
		{ "ca", required_argument, NULL, 'A' },
		{ "client-cert", no_argument, NULL, 'C' },
		{ "require-client-cert", no_argument, NULL, 'R' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "alpn", required_argument, NULL, 'a' },
		{ "groups", required_argument, NULL, 'g' },
		{ "ciphers", required_argument, NULL, 's' },
		{ "echo", no_argument, NULL, 'e' },
		{ "key-update", required_argument, NULL, 1300 },
		{ "send-file", required_argument, NULL, 'f' },
		{ "once", no_argument, NULL, '1' },
		{ "keylog", required_argument, NULL, 'L' },
		{ "tickets", required_argument, NULL, 1000 },
		{ "ticket-lifetime", required_argument, NULL, 1001 },
		{ "ticket-key-file", required_argument, NULL, 1002 },
		{ "offload", required_argument, NULL, 'O' },
		{ "require-offload", no_argument, NULL, 'Q' },
		{ "zerocopy", no_argument, NULL, 'Z' },
		{ "rx-no-pad", no_argument, NULL, 'P' },
		{ "hrr-cookie", no_argument, NULL, 1100 },
		{ "trace", no_argument, NULL, 't' },
		{ "www", required_argument, NULL, 'W' },
		{ "workers", required_argument, NULL, 'N' },
		{ "max-connections", required_argument, NULL, 'M' },
		{ "handshake-memory", required_argument, NULL, 1101 },
		{ "max-client-hello", required_argument, NULL, 1102 },
		{ "handshake-timeout", required_argument, NULL, 'H' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "access-log", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "ktls-server", *port = "4433", *bind_addr = NULL;
	struct cli_tls_opts o = { 0 };
	const char *tickets = NULL, *ticket_lifetime = NULL, *ticket_key_file = NULL;
	bool echo = false, once = false;
	struct cli_relay_opts relay = { .commands = false };
	const char *file = NULL;
	struct httpd_opts w = { .workers = 1, .max_connections = 4096, .handshake_timeout = 10,
			      .handshake_memory = 2u << 20, .max_client_hello = 16384,
			      .idle_timeout = 30 };
	int c;

	opterr = 0; /* cli_usage_error says it in one line */
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': port = optarg; break;
		case 'b': bind_addr = optarg; break;
		case 'c':
		case 'K':
			if (!cli_opt_cert(prog, &o, c, optarg, CLI_MAX_CERTS))
				return EXIT_USAGE;
			break;
		case 1200: o.key_pass = optarg; break;
		case 'A': o.ca = optarg; break;
		case 'C': o.client_cert = true; break;
		case 'R': o.require_client_cert = true; break;
		case 'k': o.insecure = true; break;
		case 'a': o.alpn = optarg; break;
		case 'g': o.groups = optarg; break;
		case 's': o.ciphers = optarg; break;
		case 'e': echo = true; break;
		case 1300:
			if (!cli_opt_key_update(prog, optarg, &relay.policy))
				return EXIT_USAGE;
			break;
		case 'f': file = optarg; break;
		case '1': once = true; break;
		case 'L': o.keylog = optarg; break;
		case 1000: tickets = optarg; break;
		case 1001: ticket_lifetime = optarg; break;
		case 1002: ticket_key_file = optarg; break;
		case 'O': o.offload = optarg; break;
		case 'Q': o.require_offload = true; break;
		case 'Z': o.zerocopy = true; break;
		case 'P': o.rx_no_pad = true; break;
		case 1100: o.hrr_cookie = true; break;
		case 't': o.trace = true; break;
		case 'W': w.root = optarg; break;
		case 'N':
			if ((w.workers = parse_count(optarg, 1024)) < 0) {
				fprintf(stderr, "%s: --workers takes 1..1024, not '%s'\n", prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'M':
			if ((w.max_connections = parse_count(optarg, 1 << 24)) < 0) {
				fprintf(stderr, "%s: --max-connections takes a positive number, not '%s'\n",
					prog, optarg);
				return EXIT_USAGE;
			}
			break;
		case 1102: {
			int n = parse_count(optarg, 131396);
			if (n < 0) {
				fprintf(stderr, "%s: --max-client-hello takes 1..131396 bytes, not '%s'\n",
					prog, optarg);
				return EXIT_USAGE;
			}
			w.max_client_hello = (size_t)n;
			break;
		}
		case 1101: {
			int mb = parse_count(optarg, 1 << 20);
			if (mb < 0) {
				fprintf(stderr, "%s: --handshake-memory takes megabytes > 0, not '%s'\n",
					prog, optarg);
				return EXIT_USAGE;
			}
			w.handshake_memory = (size_t)mb << 20;
			break;
		}
		case 'H':
		case 'I': {
			double v = parse_secs(optarg);
			if (v < 0) {
				fprintf(stderr, "%s: --%s-timeout takes seconds > 0, not '%s'\n", prog,
					c == 'H' ? "handshake" : "idle", optarg);
				return EXIT_USAGE;
			}
			*(c == 'H' ? &w.handshake_timeout : &w.idle_timeout) = v;
			break;
		}
		case 'l': w.access_log = optarg; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		case 'V': return cli_print_version(prog);
		default: return cli_usage_error(prog, argv, c);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[optind]);
		return EXIT_USAGE;
	}
	if (!o.n_cert) {
		fprintf(stderr, "%s: --cert is required (see --help)\n", prog);
		return EXIT_USAGE;
	}
	if (w.root && (echo || file || once)) {
		fprintf(stderr, "%s: --www does not go with --echo, --send-file or --once\n", prog);
		return EXIT_USAGE;
	}
	if (cli_parse_port(port, true) < 0) {
		fprintf(stderr, "%s: --port takes 1..65535 (0: any free port), not '%s'\n", prog, port);
		return EXIT_USAGE;
	}
	if (w.root && !o.alpn)
		o.alpn = "http/1.1,http/1.0";
	if (w.root && !www_alpn_ok(prog, o.alpn))
		return EXIT_USAGE;
	signal(SIGPIPE, SIG_IGN);
	struct server_opts so = { .tls = o, .tickets = tickets, .ticket_lifetime = ticket_lifetime,
				  .ticket_key_file = ticket_key_file, .www = w.root ? &w : NULL };
	struct ktls_config *cfg = make_config(prog, &so);
	if (!cfg)
		return EXIT_USAGE;
	if (w.root) {
		w.bind_addr = bind_addr;
		w.port = port;
		w.reload = reload_config;
		w.reload_arg = &so;
		/* the reload log names the files: the first, and how many more */
		static char what[512];
		snprintf(what, sizeof(what), "%s%s", o.cert[0], o.n_cert > 1 ? " and the other --cert files" : "");
		w.reload_what = what;
		int status;
		struct httpd *h = httpd_new(prog, cfg, &w, &status); /* it takes cfg */
		if (!h)
			return status;
		status = httpd_run(h);
		httpd_free(h);
		return status;
	}
	int lfd = cli_listen(prog, bind_addr, port, 0);
	if (lfd < 0) {
		ktls_config_free(cfg);
		return EXIT_NETWORK;
	}
	fprintf(stderr, "%s: listening on %s port %u\n", prog, bind_addr ? bind_addr : "*",
		cli_bound_port(lfd));
	int rc = EXIT_OK;
	do {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			perror("ktls-server: accept");
			rc = EXIT_NETWORK;
			break;
		}
		struct ktls_session *s;
		int err = ktls_handshake(fd, cfg, &s);
		if (err) {
			cli_print_error(prog, "handshake failed", s, err);
			rc = EXIT_TLS;
		} else {
			cli_print_summary(prog, s);
			rc = file ? send_file(prog, s, file)
			     : echo ? echo_loop(prog, s, &relay.policy)
				  : cli_relay(prog, s, fd, &relay);
		}
		ktls_session_free(s);
		close(fd);
	} while (!once);
	close(lfd);
	ktls_config_free(cfg);
	return rc;
}
