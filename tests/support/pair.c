/*
 * pair.c — two sessions on two ends of one connection (see pair.h).
 */
#include "support/pair.h"

#include "session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const char *test_cert(const char *name)
{
	static char paths[8][256];
	static int next;
	const char *dir = getenv("KTLS_CERTS");
	char *p = paths[next++ % 8];
	snprintf(p, sizeof(paths[0]), "%s/%s", dir && *dir ? dir : "build/certs", name);
	return p;
}

static int tcp_pair(int *client, int *server)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	*client = *server = -1;
	if (l < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen) ||
	    (*client = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(*client, (struct sockaddr *)&a, sizeof(a)) ||
	    (*server = accept(l, NULL, NULL)) < 0) {
		close(l);
		return -1;
	}
	close(l);
	return 0;
}

/* The library's handshake deadline (10 s by default) stretched as the harness stretches its
 * own timeouts (KTLS_TEST_TIMEOUT_SCALE: 20 under valgrind, where an RSA or FFDHE handshake
 * takes seconds), so a slow machine is not mistaken for a silent peer. */
static int stretch_deadline(struct ktls_config *cfg)
{
	const char *env = getenv("KTLS_TEST_TIMEOUT_SCALE");
	double scale = env ? atof(env) : 1;
	struct ktls_limits l;
	if (scale <= 1)
		return 0;
	ktls_limits_default(&l);
	l.handshake_timeout_ms = (unsigned)(l.handshake_timeout_ms * scale);
	return ktls_config_set_limits(cfg, &l);
}

int pair_open(struct session_pair *p, bool tcp)
{
	int sv[2];
	memset(p, 0, sizeof(*p));
	p->cfd = p->sfd = -1;
	if (tcp) {
		if (tcp_pair(&p->cfd, &p->sfd))
			return -1;
	} else {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return -1;
		p->cfd = sv[0];
		p->sfd = sv[1];
	}
	fcntl(p->cfd, F_SETFL, O_NONBLOCK);
	fcntl(p->sfd, F_SETFL, O_NONBLOCK);
	p->ccfg = ktls_config_new(KTLS_ROLE_CLIENT);
	p->scfg = ktls_config_new(KTLS_ROLE_SERVER);
	if (!p->ccfg || !p->scfg ||
	    ktls_config_set_cert(p->scfg, test_cert("server-ecdsa.pem"), test_cert("server-ecdsa.key")) ||
	    ktls_config_set_ca(p->ccfg, test_cert("ca.pem"), NULL) ||
	    ktls_config_set_server_name(p->ccfg, "localhost") || stretch_deadline(p->ccfg) ||
	    stretch_deadline(p->scfg))
		return -1;
	return 0;
}

void pair_close(struct session_pair *p)
{
	ktls_session_free(p->c);
	ktls_session_free(p->s);
	ktls_config_free(p->ccfg);
	ktls_config_free(p->scfg);
	if (p->cfd >= 0)
		close(p->cfd);
	if (p->sfd >= 0)
		close(p->sfd);
	memset(p, 0, sizeof(*p));
	p->cfd = p->sfd = -1;
}

static bool waiting(int rc)
{
	return rc == KTLS_WANT_READ || rc == KTLS_WANT_WRITE;
}

void pair_handshake(struct session_pair *p)
{
	if (!p->c)
		p->c = ktls_session_new(p->ccfg, p->cfd);
	if (!p->s)
		p->s = ktls_session_new(p->scfg, p->sfd);
	p->crc = p->src = KTLS_WANT_READ;
	for (int i = 0; i < 1000; i++) {
		if (waiting(p->crc))
			p->crc = ktls_session_handshake(p->c);
		if (waiting(p->src))
			p->src = ktls_session_handshake(p->s);
		p->want_reads += (p->crc == KTLS_WANT_READ) + (p->src == KTLS_WANT_READ);
		bool c_done = !waiting(p->crc), s_done = !waiting(p->src);
		if ((c_done && s_done) || (c_done && p->crc) || (s_done && p->src)) {
			/* let the other side read the alert the failing side sent */
			if (!c_done)
				p->crc = ktls_session_handshake(p->c);
			if (!s_done)
				p->src = ktls_session_handshake(p->s);
			return;
		}
	}
}

bool pair_transfer(struct ktls_session *from, struct ktls_session *to, const uint8_t *data,
		   size_t len, uint8_t *got)
{
	size_t sent = 0, recvd = 0;
	for (long spins = 0; recvd < len && spins < 10000000; spins++) {
		if (sent < len) {
			long n = ktls_send(from, data + sent, len - sent > 7000 ? 7000 : len - sent);
			if (n > 0)
				sent += (size_t)n;
			else if (n != KTLS_WANT_WRITE)
				return false;
		} else {
			int f = ktls_session_flush(from);
			if (f && f != KTLS_WANT_WRITE)
				return false;
		}
		long n = ktls_recv(to, got + recvd, len - recvd);
		if (n > 0)
			recvd += (size_t)n;
		else if (n != KTLS_WANT_READ)
			return false;
	}
	return recvd == len && !memcmp(data, got, len);
}

/* Reads exactly n bytes from fd, waiting up to 20 s for each part. 0 or -1. */
static int read_exactly(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = recv(fd, p + got, n - got, 0);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return -1;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 20000) != 1)
			return -1;
	}
	return 0;
}

int pair_read_record(int fd, uint8_t *rec, size_t *len)
{
	uint8_t type;
	size_t body;
	if (read_exactly(fd, rec, TLS_RECORD_HEADER_LEN))
		return -1;
	int err = ktls_record_parse_header(rec, &type, &body);
	if (err)
		return err;
	if (read_exactly(fd, rec + TLS_RECORD_HEADER_LEN, body))
		return -1;
	*len = TLS_RECORD_HEADER_LEN + body;
	return 0;
}

int pair_next_record(struct ktls_session *reader, int fd, uint8_t *type, uint8_t *buf, size_t cap,
		     size_t *len)
{
	static uint8_t rec[TLS_MAX_RECORD];
	for (int i = 0; i < 100000; i++) {
		uint8_t *plain;
		size_t rec_len, n;
		int err = pair_read_record(fd, rec, &rec_len);
		/* opened with the reader's own read key (the records are its peer's) */
		if (!err)
			err = ktls_record_open(&reader->e->rx, rec, rec_len, type, &plain, &n);
		if (err)
			return err;
		if (*type == TLS_CONTENT_HANDSHAKE)
			continue;
		if (n > cap)
			return KTLS_ENOSPACE;
		memcpy(buf, plain, n);
		*len = n;
		return 0;
	}
	return -1;
}

/* Reads the next record and compares its type and plaintext. 0, or -1 and a line on stderr. */
static int expect_record(struct session_pair *p, uint8_t type, const void *data, size_t len)
{
	static uint8_t got[TLS_MAX_PLAINTEXT];
	uint8_t t = 0;
	size_t n = 0;
	int err = pair_next_record(p->c, p->cfd, &t, got, sizeof(got), &n);
	if (!err && t == type && n == len && !memcmp(got, data, len))
		return 0;
	fprintf(stderr, "# expected a record of type %u with %zu bytes, got %d: type %u, %zu bytes\n",
		type, len, err, t, n);
	return -1;
}

int pair_check_send_more(struct session_pair *p)
{
	if (ktls_send_flags(p->s, "head:", 5, KTLS_SEND_MORE) != 5 || ktls_send(p->s, "body", 4) != 4 ||
	    expect_record(p, TLS_CONTENT_APPLICATION_DATA, "head:body", 9))
		return -1;
	if (ktls_send_flags(p->s, "x", 1, KTLS_SEND_MORE) != 1 || ktls_session_flush(p->s) ||
	    expect_record(p, TLS_CONTENT_APPLICATION_DATA, "x", 1))
		return -1;
	return 0;
}

int pair_check_close_after_more(struct session_pair *p)
{
	static const uint8_t close_notify[2] = { 1, 0 };
	if (ktls_send_flags(p->s, "bye", 3, KTLS_SEND_MORE) != 3 || ktls_close(p->s) ||
	    expect_record(p, TLS_CONTENT_APPLICATION_DATA, "bye", 3) ||
	    expect_record(p, TLS_CONTENT_ALERT, close_notify, 2))
		return -1;
	return 0;
}
