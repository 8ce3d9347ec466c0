/*
 * version.c — what every tool does the same way on its command line: --version, and the
 * one-line usage error (see version.h).
 */
#include "version.h"

#include "ktls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Whether this kernel attaches the tls ULP to a TCP socket: a loopback pair, one setsockopt
 * (ktls-check does the full probe). reason gets errno's text when not. */
static bool kernel_has_tls(char *reason, size_t cap)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), c = -1, e = 0;
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen) ||
	    (c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)))
		snprintf(reason, cap, "no loopback connection to probe with: %s", strerror(errno));
	else if (setsockopt(c, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")))
		snprintf(reason, cap, "TCP_ULP \"tls\": %s", strerror(e = errno));
	else
		e = -1;
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return e < 0;
}

int cli_print_version(const char *prog)
{
	char reason[300];
	struct utsname u;
	bool ktls = kernel_has_tls(reason, sizeof(reason));
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "?");
	printf("%s %s\n", prog, KTLS_VERSION_STRING);
	printf("libktls %s\n", KTLS_VERSION_STRING);
	printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("libsodium %s\n", sodium_version_string());
	if (ktls)
		printf("kernel TLS: yes (Linux %s attaches the tls ULP)\n", u.release);
	else
		printf("kernel TLS: no (Linux %s: %s)\n", u.release, reason);
	return 0;
}

int cli_usage_error(const char *prog, char **argv, int c)
{
	const char *word = optind > 0 ? argv[optind - 1] : "?";
	char shortopt[3] = { '-', (char)optopt, 0 };
	/* a short option inside a cluster ("-xI"): name the letter, not the word */
	if (strncmp(word, "--", 2) && optopt > ' ' && optopt < 127)
		word = shortopt;
	if (c == ':')
		fprintf(stderr, "%s: option '%s' needs a value (see --help)\n", prog, word);
	else
		fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, word);
	return 2;
}
