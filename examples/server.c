/*
 * server.c — a minimal epoll server over libktls: every client gets FILE, sent with
 * ktls_sendfile (sendfile(2) from the page cache through kernel TLS where the kernel has kTLS,
 * read + encrypt + write where it has not), then close_notify. Non-blocking sockets, one
 * level-triggered epoll loop, each connection a tiny state machine driven by what the library
 * asks for (KTLS_WANT_READ / KTLS_WANT_WRITE). Copy it.
 *
 *   cc server.c $(pkg-config --cflags --libs libktls) -o server
 *   ./server PORT CERT.pem KEY.pem FILE
 *   openssl s_client -connect localhost:PORT -quiet < /dev/null > copy
 *
 * It serves until killed. A real server also bounds its connections and their time (see
 * ktls-server --www in this project for one that does).
 */
#include <ktls.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

enum step { HANDSHAKE, SEND_FILE, CLOSE };

struct conn {
	int fd;
	struct ktls_session *s;
	enum step step;
	long long off;
};

static struct ktls_config *cfg;
static int ep, file_fd;
static long long file_size;

static void drop(struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	ktls_session_free(c->s);
	free(c);
}

/* Waits for the socket to become readable or writable, as the library asked. */
static void wait_for(struct conn *c, int want)
{
	struct epoll_event e = { .events = want == KTLS_WANT_WRITE ? EPOLLOUT : EPOLLIN,
				 .data.ptr = c };
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

/* Runs one connection as far as its socket allows. */
static void run(struct conn *c)
{
	int rc = 0;
	if (c->step == HANDSHAKE) {
		rc = ktls_session_handshake(c->s);
		if (rc == 0)
			c->step = SEND_FILE;
	}
	while (rc == 0 && c->step == SEND_FILE && c->off < file_size) {
		long n = ktls_sendfile(c->s, file_fd, &c->off, (size_t)(file_size - c->off));
		rc = n < 0 ? (int)n : 0;
	}
	if (rc == 0 && c->step == SEND_FILE)
		c->step = CLOSE;
	if (rc == 0 && c->step == CLOSE && (rc = ktls_close(c->s)) == 0) {
		drop(c); /* done: close_notify sent (a real server would linger for the peer's) */
		return;
	}
	if (rc == KTLS_WANT_READ || rc == KTLS_WANT_WRITE) {
		wait_for(c, rc);
		return;
	}
	fprintf(stderr, "server: connection failed: %s\n", ktls_session_error(c->s));
	drop(c);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s PORT CERT.pem KEY.pem FILE\n", argv[0]);
		return 2;
	}
	struct stat st;
	file_fd = open(argv[4], O_RDONLY | O_CLOEXEC);
	cfg = ktls_config_new(KTLS_ROLE_SERVER);
	if (file_fd < 0 || fstat(file_fd, &st) || !cfg || ktls_config_set_cert(cfg, argv[2], argv[3])) {
		fprintf(stderr, "server: %s\n", cfg && file_fd >= 0 ? ktls_config_error(cfg) : strerror(errno));
		return 1;
	}
	file_size = st.st_size;

	int lfd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), zero = 0, one = 1;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(argv[1])),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)); /* IPv4 too */
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 128)) {
		fprintf(stderr, "server: cannot listen on port %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event le = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &le);
	fprintf(stderr, "server: listening on port %s\n", argv[1]);

	for (;;) {
		struct epoll_event ev[64];
		int n = epoll_wait(ep, ev, 64, -1);
		for (int i = 0; i < n; i++) {
			struct conn *c = ev[i].data.ptr;
			if (c) {
				run(c);
				continue;
			}
			int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			c = calloc(1, sizeof(*c));
			if (!c || !(c->s = ktls_session_new(cfg, fd))) {
				free(c);
				close(fd);
				continue;
			}
			c->fd = fd;
			struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
			run(c);
		}
	}
}
