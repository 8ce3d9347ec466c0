/*
 * client.c — the smallest libktls client: connect, handshake (the keys go to the kernel when
 * it has kTLS), one HTTP/1.0 request, print the answer, close_notify. Copy it.
 *
 *   cc client.c $(pkg-config --cflags --libs libktls) -o client
 *   ./client example.org 443 [CA-FILE]
 *
 * Exit status: 0 when the whole answer arrived (ended by close_notify), 1 when the
 * handshake or the connection failed (the reason is printed), 2 on a usage error.
 */
#include <ktls.h>

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1;
	if (getaddrinfo(host, port, &hints, &res))
		return -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: %s HOST PORT [CA-FILE]\n", argv[0]);
		return 2;
	}
	int fd = connect_to(argv[1], argv[2]);
	if (fd < 0) {
		fprintf(stderr, "client: cannot connect to %s port %s\n", argv[1], argv[2]);
		return 1;
	}
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_CLIENT); /* the system CA store */
	if (!cfg || (argc == 4 && ktls_config_set_ca(cfg, argv[3], NULL)) ||
	    ktls_config_set_server_name(cfg, argv[1])) { /* SNI, and the name checked */
		fprintf(stderr, "client: %s\n", cfg ? ktls_config_error(cfg) : "out of memory");
		return 1;
	}
	struct ktls_session *s;
	int rc = 1, err = ktls_handshake(fd, cfg, &s);
	if (err) {
		fprintf(stderr, "client: handshake failed: %s\n", ktls_session_error(s));
		goto out;
	}
	struct ktls_session_info info;
	ktls_session_get_info(s, &info);
	fprintf(stderr, "client: %s, kernel TLS: tx %s, rx %s\n", ktls_suite_name(info.cipher_suite),
		info.tx_offloaded ? "yes" : "no", info.rx_offloaded ? "yes" : "no");

	char req[512], buf[16384];
	int n = snprintf(req, sizeof(req), "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", argv[1]);
	if (ktls_send(s, req, (size_t)n) != n) {
		fprintf(stderr, "client: send: %s\n", ktls_session_error(s));
		goto out;
	}
	long got;
	while ((got = ktls_recv(s, buf, sizeof(buf))) > 0 || got == KTLS_WANT_READ)
		if (got > 0)
			fwrite(buf, 1, (size_t)got, stdout);
	if (got == 0) /* close_notify: the answer is complete */
		rc = 0;
	else
		fprintf(stderr, "client: receive: %s\n", ktls_session_error(s));
	ktls_close(s);
out:
	ktls_session_free(s);
	ktls_config_free(cfg);
	close(fd);
	return rc;
}
