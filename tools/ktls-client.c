/*
 * ktls-client — connect to a TLS 1.3 server, handshake, then copy stdin to the connection
 * and the connection to stdout, like `openssl s_client -quiet`. See --help.
 */
#include "common/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"Usage: ktls-client [options] HOST:PORT\n"
	"\n"
	"Connects to HOST:PORT over TCP, runs a TLS 1.3 handshake, prints a one-line summary on\n"
	"stderr, then copies stdin to the server and the server's data to stdout. At the end of\n"
	"stdin it sends close_notify and waits for the server to close.\n"
	"\n"
	"Options:\n"
	"  --servername NAME   name for SNI and certificate checking (default: HOST)\n"
	"  --ca FILE|DIR       trust anchors for the server certificate: a PEM file or a\n"
	"                      c_rehash directory (default: the system store)\n"
	"  --insecure          do not verify the server's certificate (testing only)\n"
	"  --cert FILE         our certificate chain (PEM) for mutual TLS\n"
	"  --key FILE          the private key of --cert (default: the --cert file)\n"
	"  --client-cert FILE  same as --cert\n"
	"  --alpn LIST         ALPN protocols, comma-separated, in preference order\n"
	"  --groups LIST       key exchange groups: x25519, secp256r1 (first gets a key share)\n"
	"  --ciphers LIST      cipher suites: TLS_CHACHA20_POLY1305_SHA256 (chacha20),\n"
	"                      TLS_AES_128_GCM_SHA256 (aes128), TLS_AES_256_GCM_SHA384 (aes256)\n"
	"  --offload MODE      kernel TLS after the handshake: both (default), tx, rx, none\n"
	"  --require-offload   fail (exit 1) instead of falling back to userspace TLS\n"
	"  --zerocopy          sendfile without a copy (TLS_TX_ZEROCOPY_RO; with NIC\n"
	"                      offload only): the file must not change while sent\n"
	"  --rx-no-pad         expect unpadded records (TLS_RX_EXPECT_NO_PAD): faster RX\n"
	"  --keylog FILE       append NSS key log lines (also: SSLKEYLOGFILE)\n"
	"  --trace             print every handshake message decoded and the key schedule\n"
	"  -h, --help          this text\n"
	"\n"
	"Exit status: 0 success, 1 TLS failure, 2 usage error, 3 network error.\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "servername", required_argument, NULL, 'n' },
		{ "ca", required_argument, NULL, 'A' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "cert", required_argument, NULL, 'c' },
		{ "client-cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'K' },
		{ "alpn", required_argument, NULL, 'a' },
		{ "groups", required_argument, NULL, 'g' },
		{ "ciphers", required_argument, NULL, 's' },
		{ "keylog", required_argument, NULL, 'L' },
		{ "offload", required_argument, NULL, 'O' },
		{ "require-offload", no_argument, NULL, 'Q' },
		{ "zerocopy", no_argument, NULL, 'Z' },
		{ "rx-no-pad", no_argument, NULL, 'P' },
		{ "trace", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = "ktls-client";
	struct cli_tls_opts o = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.servername = optarg; break;
		case 'A': o.ca = optarg; break;
		case 'k': o.insecure = true; break;
		case 'c': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 'a': o.alpn = optarg; break;
		case 'g': o.groups = optarg; break;
		case 's': o.ciphers = optarg; break;
		case 'L': o.keylog = optarg; break;
		case 'O': o.offload = optarg; break;
		case 'Q': o.require_offload = true; break;
		case 'Z': o.zerocopy = true; break;
		case 'P': o.rx_no_pad = true; break;
		case 't': o.trace = true; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "%s: expected one HOST:PORT argument\n\n%s", prog, usage);
		return EXIT_USAGE;
	}
	char *target = strdup(argv[optind]), *host, *port;
	if (!target || !cli_split_host_port(target, &host, &port)) {
		fprintf(stderr, "%s: '%s' is not HOST:PORT\n", prog, argv[optind]);
		return EXIT_USAGE;
	}
	if (!o.servername)
		o.servername = host;

	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_CLIENT);
	if (!cfg) {
		fprintf(stderr, "%s: cannot create configuration (out of memory or no trust store)\n", prog);
		return EXIT_USAGE;
	}
	if (!cli_configure(prog, cfg, &o)) {
		ktls_config_free(cfg);
		return EXIT_USAGE;
	}
	int fd = cli_connect(prog, host, port);
	if (fd < 0) {
		ktls_config_free(cfg);
		return EXIT_NETWORK;
	}
	struct ktls_session *s;
	int err = ktls_handshake(fd, cfg, &s), rc;
	if (err) {
		cli_print_error(prog, "handshake failed", s, err);
		rc = EXIT_TLS;
	} else {
		cli_print_summary(prog, s);
		rc = cli_relay(prog, s, fd);
	}
	ktls_session_free(s);
	close(fd);
	ktls_config_free(cfg);
	free(target);
	return rc;
}
