/*
 * www_records.c — a helper for tests/www_test.sh, not a test of its own: fetches PATH from
 * ktls-server --www on 127.0.0.1:PORT over TLS with our userspace record layer and prints
 * every record that follows the handshake, one line each: its content type and plaintext
 * length ("application_data 16384"). The script counts how many records a response took,
 * which no HTTP client shows.
 *
 * Usage: www_records PORT PATH CA-FILE. Exit 0 when the records were read up to the
 * server's close_notify (the request says Connection: close), 1 otherwise.
 */
#include "session.h"
#include "support/pair.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const char *type_name(uint8_t type)
{
	switch (type) {
	case TLS_CONTENT_ALERT:
		return "alert";
	case TLS_CONTENT_HANDSHAKE:
		return "handshake";
	case TLS_CONTENT_APPLICATION_DATA:
		return "application_data";
	default:
		return "other";
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s PORT PATH CA-FILE\n", argv[0]);
		return 2;
	}
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 60 }; /* a server that never answers ends the run */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("connect");
		return 1;
	}
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_CLIENT);
	struct ktls_session *s = NULL;
	if (!cfg || ktls_config_set_ca(cfg, argv[3], NULL) ||
	    ktls_config_set_server_name(cfg, "localhost") ||
	    ktls_config_set_offload(cfg, KTLS_OFFLOAD_NONE, 0) || ktls_handshake(fd, cfg, &s)) {
		fprintf(stderr, "handshake: %s\n", s ? ktls_session_error(s) : ktls_config_error(cfg));
		return 1;
	}
	char req[1024];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			 argv[2]);
	if (n < 0 || (size_t)n >= sizeof(req) || ktls_send(s, req, (size_t)n) != n) {
		fprintf(stderr, "send: %s\n", ktls_session_error(s));
		return 1;
	}
	int rc = 1;
	for (;;) {
		/* one record at a time, opened with the session's read key */
		static uint8_t rec[TLS_MAX_RECORD];
		uint8_t type, *plain;
		size_t rec_len, len;
		int err = pair_read_record(fd, rec, &rec_len);
		if (!err)
			err = ktls_record_open(&s->e->rx, rec, rec_len, &type, &plain, &len);
		if (err) {
			fprintf(stderr, "record: %s\n", ktls_strerror(err));
			break;
		}
		printf("%s %zu\n", type_name(type), len);
		if (type == TLS_CONTENT_ALERT) {
			rc = len == 2 && plain[1] == 0 ? 0 : 1; /* close_notify */
			break;
		}
	}
	ktls_session_free(s);
	ktls_config_free(cfg);
	close(fd);
	return rc;
}
