/*
 * ktls-client — connect to a TLS 1.3 server, handshake, then copy stdin to the connection
 * and the connection to stdout, like `openssl s_client -quiet`; or, with --get, download
 * over HTTPS/1.1 (tools/httpget), once or as a load generator. See --help.
 */
#include "cli/cli.h"
#include "common/version.h"
#include "httpget/get.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"Usage: ktls-client [options] HOST:PORT\n"
	"       ktls-client [options] --get PATH [-o FILE] [-I] HOST:PORT\n"
	"       ktls-client [options] --get PATH --concurrency C --requests N HOST:PORT\n"
	"\n"
	"Connects to HOST:PORT over TCP, runs a TLS 1.3 handshake, prints a one-line summary on\n"
	"stderr, then copies stdin to the server and the server's data to stdout. At the end of\n"
	"stdin it sends close_notify and waits for the server to close.\n"
	"\n"
	"With --get PATH it makes one HTTP/1.1 request instead (Host is the --servername, or\n"
	"HOST, with :PORT unless 443; ALPN http/1.1 unless --alpn says otherwise) and writes the\n"
	"body to stdout or to -o FILE. It fails (exit 1) on a status other than 2xx (the status\n"
	"line goes to stderr, the body nowhere), on a body shorter than its Content-Length, or\n"
	"on a --expect-sha256 mismatch. -I sends HEAD and prints the response head on stdout.\n"
	"\n"
	"With --concurrency C it is a load generator: C connections in one epoll loop (at most\n"
	"64 handshakes at a time; requests start once all C are through their handshake, so\n"
	"C connections really are open at once), each making keep-alive GET requests for PATH\n"
	"until N have been made in all (a connection the server closes is replaced while\n"
	"requests remain). Every body is checked against\n"
	"its Content-Length and, with --expect-sha256, its digest; anything but 2xx is an\n"
	"error. At the end one line on stdout:\n"
	"  ktls-client: requests=N ok=N errors=0 bytes=B seconds=S req/s=R bytes/s=R\n"
	"              connections=C handshakes=H tx_offloaded=K rx_offloaded=K\n"
	"              open_at_once=M\n"
	"(tx_/rx_offloaded count the connections whose session had kernel TLS in that\n"
	"direction; open_at_once is the most connections through their handshake and open\n"
	"at the same moment) and the first error, if any, on stderr. Exit 0 only when every\n"
	"request succeeded. It raises its own ulimit -n (RLIMIT_NOFILE) to C + 16: the soft\n"
	"limit up to the hard one, the hard one too when privileged (root, CAP_SYS_RESOURCE);\n"
	"when it cannot, it says how many descriptors it needs and exits 2 before connecting.\n"
	"\n"
	"HTTP options:\n"
	"  --get PATH           request PATH (a request-target: /dir/file, %-escapes as given)\n"
	"  -o, --output FILE    write the body to FILE instead of stdout\n"
	"  -I, --head           send HEAD, print the response head\n"
	"  --expect-sha256 HEX  the body's SHA-256 (64 hex digits) must be this\n"
	"  --concurrency C      load generator with C connections at once\n"
	"  --requests N         load generator: N requests in all (default: C); 0 with --hold\n"
	"                       only makes the handshakes\n"
	"  --hold SECS          load generator: after the last request keep every connection\n"
	"                       open and idle for SECS, then close_notify\n"
	"  --timeout SECS       give up after SECS in all (default 60): \"timed out after\n"
	"                       SECS s\" and exit 3\n"
	"\n"
	"Options:\n"
	"  --servername NAME   name for SNI and certificate checking (default: HOST)\n"
	"  --ca FILE|DIR       trust anchors for the server certificate: a PEM file or a\n"
	"                      c_rehash directory (default: the system store)\n"
	"  --insecure          do not verify the server's certificate (testing only)\n"
	"  --cert FILE         our certificate chain (PEM or DER) for mutual TLS\n"
	"  --key FILE          the private key of --cert, PEM or DER (PKCS#8, traditional\n"
	"                      RSA/EC) (default: the --cert file)\n"
	"  --key-pass SRC      passphrase of an encrypted key: file:PATH (its first line),\n"
	"                      env:VAR or pass:TEXT (visible in ps), as openssl's -passin\n"
	"  --client-cert FILE  same as --cert\n"
	"  --alpn LIST         ALPN protocols, comma-separated, in preference order\n"
	"  --groups LIST       key exchange groups in preference order (the first gets a key\n"
	"                      share): x25519, secp256r1, x448, secp384r1, secp521r1,\n"
	"                      ffdhe2048, ffdhe3072, ffdhe4096, ffdhe6144, ffdhe8192\n"
	"                      (default: the first seven)\n"
	"  --ciphers LIST      cipher suites: TLS_CHACHA20_POLY1305_SHA256 (chacha20),\n"
	"                      TLS_AES_128_GCM_SHA256 (aes128), TLS_AES_256_GCM_SHA384 (aes256)\n"
	"                      (default: these three), TLS_AES_128_CCM_SHA256 (aes128ccm),\n"
	"                      TLS_AES_128_CCM_8_SHA256 (aes128ccm8; never kernel-offloaded)\n"
	"  --no-middlebox      no middlebox compatibility mode (RFC 8446 D.4): an empty\n"
	"                      session id and no change_cipher_spec (default: both sent)\n"
	"  --offload MODE      kernel TLS after the handshake: both (default), tx, rx, none\n"
	"  --require-offload   fail (exit 1) instead of falling back to userspace TLS\n"
	"  --zerocopy          sendfile without a copy (TLS_TX_ZEROCOPY_RO; with NIC\n"
	"                      offload only): the file must not change while sent\n"
	"  --rx-no-pad         expect unpadded records (TLS_RX_EXPECT_NO_PAD): faster RX\n"
	"  --keylog FILE       append NSS key log lines (also: SSLKEYLOGFILE)\n"
	"  --key-update WHEN   send a KeyUpdate (RFC 8446 4.6.3) of our own once one key has\n"
	"                      carried WHEN: a time (30s, 5m, 1h) or bytes we sent (65536B,\n"
	"                      512K, 64M, 1G; powers of 1024); a number needs its unit\n"
	"  --no-commands       send stdin lines \"k\" and \"K\" as data (default: such a line,\n"
	"                      exactly, sends a KeyUpdate, K with update_requested, as in\n"
	"                      openssl s_client)\n"
	"  --sess-out FILE     save the server's latest session ticket to FILE at the end (it\n"
	"                      holds the resumption key: created mode 0600)\n"
	"  --sess-in FILE      resume the session saved in FILE (a full handshake if the\n"
	"                      server declines); the summary then says (resumed)\n"
	"  --connect-timeout SECS\n"
	"                      give up connecting after SECS (default 30; with --get, at\n"
	"                      most --timeout; the load generator has --timeout alone):\n"
	"                      \"timed out after SECS s\" and exit 3\n"
	"  --trace             print every handshake message decoded and the key schedule\n"
	"                      (>>> what we send, <<< what we receive, as openssl -msg)\n"
	"  -V, --version       versions of libktls, OpenSSL and libsodium, and whether this\n"
	"                      kernel has kernel TLS\n"
	"  -h, --help          this text\n"
	"\n"
	"Exit status: 0 success, 1 TLS failure (in the load generator: any failed request),\n"
	"2 usage error, 3 network error: cannot connect, or a timeout (--connect-timeout,\n"
	"--timeout).\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "servername", required_argument, NULL, 'n' },
		{ "ca", required_argument, NULL, 'A' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "client-cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'K' },
		{ "key-pass", required_argument, NULL, 1200 },
		{ "alpn", required_argument, NULL, 'a' },
		{ "groups", required_argument, NULL, 'g' },
		{ "ciphers", required_argument, NULL, 's' },
		{ "keylog", required_argument, NULL, 'L' },
		{ "offload", required_argument, NULL, 'O' },
		{ "require-offload", no_argument, NULL, 'Q' },
		{ "zerocopy", no_argument, NULL, 'Z' },
		{ "rx-no-pad", no_argument, NULL, 'P' },
		{ "no-middlebox", no_argument, NULL, 1100 },
		{ "trace", no_argument, NULL, 't' },
		{ "key-update", required_argument, NULL, 1300 },
		{ "no-commands", no_argument, NULL, 1301 },
		{ "sess-out", required_argument, NULL, 'W' },
		{ "sess-in", required_argument, NULL, 'R' },
		{ "get", required_argument, NULL, 'G' },
		{ "output", required_argument, NULL, 'o' },
		{ "head", no_argument, NULL, 'I' },
		{ "expect-sha256", required_argument, NULL, 'S' },
		{ "concurrency", required_argument, NULL, 'C' },
		{ "requests", required_argument, NULL, 'N' },
		{ "hold", required_argument, NULL, 'H' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "connect-timeout", required_argument, NULL, 1101 },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "ktls-client";
	struct cli_tls_opts o = { 0 };
	struct cli_relay_opts relay = { .commands = true };
	const char *sess_out = NULL, *sess_in = NULL;
	struct get_opts g = { .timeout = 60, .requests = -1, .connect_timeout = 30 };
	int c;
	char *end;

	opterr = 0; /* cli_usage_error says it in one line */
	while ((c = getopt_long(argc, argv, ":hVo:I", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.servername = optarg; break;
		case 'A': o.ca = optarg; break;
		case 'k': o.insecure = true; break;
		case 'c':
		case 'K':
			if (!cli_opt_cert(prog, &o, c, optarg, 1))
				return EXIT_USAGE;
			break;
		case 1200: o.key_pass = optarg; break;
		case 'a': o.alpn = optarg; break;
		case 'g': o.groups = optarg; break;
		case 's': o.ciphers = optarg; break;
		case 'L': o.keylog = optarg; break;
		case 'O': o.offload = optarg; break;
		case 'Q': o.require_offload = true; break;
		case 'Z': o.zerocopy = true; break;
		case 'P': o.rx_no_pad = true; break;
		case 1100: o.no_middlebox = true; break;
		case 't': o.trace = true; break;
		case 1300:
			if (!cli_opt_key_update(prog, optarg, &relay.policy))
				return EXIT_USAGE;
			break;
		case 1301: relay.commands = false; break;
		case 'W': sess_out = optarg; break;
		case 'R': sess_in = optarg; break;
		case 'G': g.path = optarg; break;
		case 'o': g.out_file = optarg; break;
		case 'I': g.head = true; break;
		case 'S':
			if (!get_parse_sha256(optarg, g.expect_sha)) {
				fprintf(stderr, "%s: --expect-sha256 takes 64 hex digits\n", prog);
				return EXIT_USAGE;
			}
			g.have_sha = true;
			break;
		case 'C':
		case 'N': {
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < (c == 'N' ? 0 : 1) || v > 100000000) {
				fprintf(stderr, "%s: --%s takes a number, not '%s'\n", prog,
					c == 'C' ? "concurrency" : "requests", optarg);
				return EXIT_USAGE;
			}
			if (c == 'C')
				g.concurrency = (int)v;
			else
				g.requests = v;
			break;
		}
		case 'H':
		case 'T':
		case 1101: {
			double v = strtod(optarg, &end);
			if (!*optarg || *end || v <= 0 || v > 1e6) {
				fprintf(stderr, "%s: --%s takes seconds > 0, not '%s'\n", prog,
					c == 'H' ? "hold" : c == 'T' ? "timeout" : "connect-timeout", optarg);
				return EXIT_USAGE;
			}
			*(c == 'H' ? &g.hold : c == 'T' ? &g.timeout : &g.connect_timeout) = v;
			break;
		}
		case 'h': fputs(usage, stdout); return EXIT_OK;
		case 'V': return cli_print_version(prog);
		default: return cli_usage_error(prog, argv, c);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: expected one HOST:PORT argument (see --help)\n", prog);
		return EXIT_USAGE;
	}
	static char target[1024]; /* HOST:PORT, split in place; static: returns need not free */
	char *host, *port;
	if (strlen(argv[optind]) >= sizeof(target) ||
	    !cli_split_host_port(strcpy(target, argv[optind]), &host, &port)) {
		fprintf(stderr, "%s: '%s' is not HOST:PORT\n", prog, argv[optind]);
		return EXIT_USAGE;
	}
	if (!o.servername)
		o.servername = host;
	if (!g.path && (g.out_file || g.head || g.have_sha || g.concurrency || g.requests >= 0 ||
			g.hold > 0)) {
		fprintf(stderr, "%s: -o, -I, --expect-sha256, --concurrency, --requests and --hold "
			"need --get\n", prog);
		return EXIT_USAGE;
	}
	if (g.path && g.path[0] != '/') {
		fprintf(stderr, "%s: --get takes a path starting with '/', not '%s'\n", prog, g.path);
		return EXIT_USAGE;
	}
	if (g.path && !g.concurrency && (g.requests >= 0 || g.hold > 0)) {
		fprintf(stderr, "%s: --requests and --hold need --concurrency\n", prog);
		return EXIT_USAGE;
	}
	if (g.concurrency && (g.head || g.out_file)) {
		fprintf(stderr, "%s: -o and -I are for a single --get, not --concurrency\n", prog);
		return EXIT_USAGE;
	}
	if (g.concurrency && g.requests < 0)
		g.requests = g.concurrency;
	if (g.concurrency && g.requests == 0 && g.hold <= 0) {
		fprintf(stderr, "%s: --requests 0 needs --hold\n", prog);
		return EXIT_USAGE;
	}
	char host_header[300];
	if (g.path) {
		bool v6 = strchr(o.servername, ':') != NULL;
		snprintf(host_header, sizeof(host_header), "%s%s%s%s%s", v6 ? "[" : "", o.servername,
			 v6 ? "]" : "", strcmp(port, "443") ? ":" : "", strcmp(port, "443") ? port : "");
		g.host = host;
		g.port = port;
		g.host_header = host_header;
		if (!o.alpn)
			o.alpn = "http/1.1";
	}

	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_CLIENT);
	if (!cfg) {
		fprintf(stderr, "%s: cannot create configuration (out of memory or no trust store)\n", prog);
		return EXIT_USAGE;
	}
	if (!cli_configure(prog, cfg, &o)) {
		ktls_config_free(cfg);
		return EXIT_USAGE;
	}
	if (g.path) {
		signal(SIGPIPE, SIG_IGN);
		int rc = g.concurrency ? get_load(prog, cfg, &g) : get_one(prog, cfg, &g);
		ktls_config_free(cfg);
		return rc;
	}
	int fd = cli_connect(prog, host, port, (int)(g.connect_timeout * 1000));
	if (fd < 0) {
		ktls_config_free(cfg);
		return EXIT_NETWORK;
	}
	struct ktls_session *s = ktls_session_new(cfg, fd);
	int err, rc;
	if (!s) {
		fprintf(stderr, "%s: out of memory\n", prog);
		close(fd);
		ktls_config_free(cfg);
		return EXIT_TLS;
	}
	if (sess_in && !cli_session_load(prog, s, sess_in)) {
		ktls_session_free(s);
		close(fd);
		ktls_config_free(cfg);
		return EXIT_USAGE;
	}
	err = ktls_session_handshake(s); /* a blocking socket: runs to the end */
	if (err) {
		cli_print_error(prog, "handshake failed", s, err);
		rc = EXIT_TLS;
	} else {
		cli_print_summary(prog, s);
		rc = cli_relay(prog, s, fd, &relay);
		if (sess_out && !cli_session_store(prog, s, sess_out) && rc == EXIT_OK)
			rc = EXIT_TLS;
	}
	ktls_session_free(s);
	close(fd);
	ktls_config_free(cfg);
	return rc;
}
