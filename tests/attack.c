/*
 * attack.c — a hostile client for tests/www_attack_test.sh and `make attack`, not a test of
 * its own. It plays one of the attacks of issue 12 against ktls-server on 127.0.0.1:PORT,
 * over and over (a new connection whenever the server closes one) for SECONDS — a flood goes
 * on after that until the server has cut it off once, within two minutes — and prints
 * what the server did to it:
 *
 *   attack: MODE connections=N closed_by_server=N max_open=N
 *
 * Modes (after "valid ClientHello" the attacker is our own client library, with the
 * userspace record layer, so it can then write any record under its keys):
 *   ccs            a valid ClientHello, then ChangeCipherSpec records, forever
 *   canceled-hs    a valid ClientHello, then plaintext user_canceled alerts
 *   empty          a full handshake, then zero-length application_data records
 *   canceled       a full handshake, then user_canceled alerts
 *   keyupdate      a full handshake, then KeyUpdates (new key each time), never reading
 *   keyupdate-req  the same with update_requested: the server must answer, we never read
 *   idle           TCP connections that send nothing, up to --conns at once
 *   half-hello     connections that each send most of a 64 KiB ClientHello and stop
 *   half-hello-16k the same with a 16,000-byte ClientHello (under --www's cap, so the server
 *                  must hold it: its --handshake-memory budget is what bounds them)
 *
 * Usage: attack MODE PORT SECONDS [CONNS]   (CONNS: how many at once for idle and half-hello,
 * default 2000). Every loop is bounded by the clock; the sockets are non-blocking.
 */
#include "session.h"

#include "hkdf.h"
#include "keysched.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int port;
static int64_t end_ms, hard_end_ms; /* floods go on past end_ms until cut off once (or this) */
static unsigned long connections, closed_by_server, max_open;

static int connect_nb(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	connections++;
	return fd;
}

/* Has the server closed fd (EOF, or a reset)? Reads and drops what it sent. */
static int server_closed(int fd)
{
	char buf[4096];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0)
			continue;
		return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
	}
}

/* Whether a flood goes on: for the run's time, and then until the server has cut it off at
 * least once (a slow machine may take the whole run for one handshake), within a bound. */
static bool flood_goes_on(void)
{
	int64_t t = now_ms();
	return t < end_ms || (!closed_by_server && t < hard_end_ms);
}

/* Writes all of p, waiting for room up to the end of the run. Returns 0, -1 when the server
 * closed or the socket failed, -2 when the run's time is up. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (server_closed(fd))
			return -1;
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		int left = (int)(hard_end_ms - now_ms());
		if (left <= 0)
			return -2;
		if (poll(&pf, 1, left > 100 ? 100 : left) < 0)
			return -1;
	}
	return 0;
}

static struct ktls_config *client_config(void)
{
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_CLIENT);
	if (!cfg || ktls_config_set_insecure(cfg, 1) ||
	    ktls_config_set_offload(cfg, KTLS_OFFLOAD_NONE, 0)) {
		fprintf(stderr, "attack: cannot make a client config\n");
		exit(2);
	}
	return cfg;
}

/* One connection with our client: a ClientHello only (full == 0), or a whole handshake. */
static struct ktls_session *open_session(const struct ktls_config *cfg, int *fdp, int full)
{
	int fd = connect_nb();
	if (fd < 0)
		return NULL;
	struct ktls_session *s = ktls_session_new(cfg, fd);
	int rc = s ? ktls_session_handshake(s) : KTLS_ENOMEM;
	while (full && (rc == KTLS_WANT_READ || rc == KTLS_WANT_WRITE) && now_ms() < hard_end_ms) {
		struct pollfd pf = { .fd = fd, .events = rc == KTLS_WANT_READ ? POLLIN : POLLOUT };
		poll(&pf, 1, 100);
		rc = ktls_session_handshake(s);
	}
	if (full ? rc != 0 : rc != KTLS_WANT_READ) {
		ktls_session_free(s);
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return s;
}

/* A record of `type` sealed with the session's write key (userspace record layer). */
static size_t seal(struct ktls_session *s, uint8_t type, const uint8_t *p, size_t len,
		   uint8_t *out, size_t cap)
{
	size_t n = 0;
	if (ktls_record_seal(&s->e->tx, type, p, len, 0, out, cap, &n))
		return 0;
	return n;
}

/* The flood modes: a session (handshake or not), then one record again and again. */
static void flood(const char *mode)
{
	static const uint8_t ccs[] = { 20, 3, 3, 0, 1, 1 }, canceled_plain[] = { 21, 3, 3, 0, 2, 1, 90 };
	static const uint8_t canceled[] = { 1, 90 };
	bool hs_only = !strcmp(mode, "ccs") || !strcmp(mode, "canceled-hs");
	struct ktls_config *cfg = client_config();
	uint8_t rec[TLS_MAX_RECORD], batch[64 * 64];

	while (flood_goes_on()) {
		int fd = -1;
		struct ktls_session *s = open_session(cfg, &fd, !hs_only);
		if (!s) {
			usleep(10000);
			continue;
		}
		max_open = 1;
		bool closed = false;
		while (!closed && flood_goes_on()) {
			size_t n = 0;
			if (!strcmp(mode, "ccs")) {
				for (size_t i = 0; i + sizeof(ccs) <= sizeof(batch); i += sizeof(ccs))
					memcpy(batch + n, ccs, sizeof(ccs)), n += sizeof(ccs);
			} else if (!strcmp(mode, "canceled-hs")) {
				for (size_t i = 0; i + sizeof(canceled_plain) <= sizeof(batch); i += sizeof(canceled_plain))
					memcpy(batch + n, canceled_plain, sizeof(canceled_plain)), n += sizeof(canceled_plain);
			} else if (!strcmp(mode, "empty")) {
				n = seal(s, TLS_CONTENT_APPLICATION_DATA, NULL, 0, rec, sizeof(rec));
				memcpy(batch, rec, n);
			} else if (!strcmp(mode, "canceled")) {
				n = seal(s, TLS_CONTENT_ALERT, canceled, 2, rec, sizeof(rec));
				memcpy(batch, rec, n);
			} else { /* keyupdate, keyupdate-req: announce, then switch our key (§4.6.3) */
				uint8_t ku[5] = { TLS_HS_KEY_UPDATE, 0, 0, 1, !strcmp(mode, "keyupdate-req") };
				n = seal(s, TLS_CONTENT_HANDSHAKE, ku, sizeof(ku), rec, sizeof(rec));
				memcpy(batch, rec, n);
				uint8_t *own = s->e->ks.client_application_traffic;
				if (ktls_next_traffic_secret(s->e->suite->md(), own, own) ||
				    ktls_engine_set_tx_secret(s->e, own))
					n = 0;
			}
			int w = n ? write_all(fd, batch, n) : -1;
			if (w == -2)
				break; /* our time is up, not the connection */
			if (w || (strncmp(mode, "keyupdate", 9) && server_closed(fd)))
				closed = true; /* (keyupdate modes never read: that is the attack) */
		}
		closed_by_server += closed;
		ktls_session_free(s);
		close(fd);
	}
	ktls_config_free(cfg);
}

/* Most of a ClientHello of `announced` bytes: its header, then 15/16 of it in records. */
static size_t half_hello(uint8_t *out, size_t cap, uint32_t announced)
{
	size_t n = 0, body = announced / 16 * 15;
	uint8_t hdr[4] = { TLS_HS_CLIENT_HELLO, (uint8_t)(announced >> 16), (uint8_t)(announced >> 8),
			   (uint8_t)announced };
	bool first = true;
	while (body && n + 5 + TLS_MAX_PLAINTEXT <= cap) {
		size_t take = body < TLS_MAX_PLAINTEXT ? body : TLS_MAX_PLAINTEXT;
		out[n++] = TLS_CONTENT_HANDSHAKE;
		out[n++] = 3;
		out[n++] = 3;
		out[n++] = (uint8_t)(take >> 8);
		out[n++] = (uint8_t)take;
		if (first) {
			memcpy(out + n, hdr, 4);
			memset(out + n + 4, 0x41, take - 4);
			first = false;
		} else {
			memset(out + n, 0x41, take);
		}
		n += take;
		body -= take;
	}
	return n;
}

/* Many connections at once that never finish: idle ones, or ones holding half a hello. */
static void hold(const char *mode, unsigned want)
{
	static uint8_t hello[80 * 1024];
	size_t hello_len = half_hello(hello, sizeof(hello),
				      !strcmp(mode, "half-hello-16k") ? 16000 : 65536);
	int *fds = calloc(want, sizeof(int));
	unsigned open_now = 0;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!fds)
		exit(2);
	for (unsigned i = 0; i < want; i++)
		fds[i] = -1;
	while (now_ms() < end_ms) {
		for (unsigned i = 0; i < want && now_ms() < end_ms; i++) {
			if (fds[i] >= 0 && server_closed(fds[i])) {
				close(fds[i]);
				fds[i] = -1;
				open_now--;
				closed_by_server++;
			}
			if (fds[i] < 0 && (fds[i] = connect_nb()) >= 0) {
				open_now++;
				if (strcmp(mode, "idle") && write_all(fds[i], hello, hello_len)) {
					close(fds[i]);
					fds[i] = -1;
					open_now--;
					closed_by_server++;
				}
			}
			if (open_now > max_open)
				max_open = open_now;
		}
		usleep(20000);
	}
	for (unsigned i = 0; i < want; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s MODE PORT SECONDS [CONNS]\n", argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	port = atoi(argv[2]);
	end_ms = now_ms() + (int64_t)(atof(argv[3]) * 1000);
	hard_end_ms = end_ms + 120000;
	unsigned conns = argc > 4 ? (unsigned)atoi(argv[4]) : 2000;
	if (!strcmp(mode, "idle") || !strcmp(mode, "half-hello") || !strcmp(mode, "half-hello-16k"))
		hold(mode, conns);
	else if (!strcmp(mode, "ccs") || !strcmp(mode, "canceled-hs") || !strcmp(mode, "empty") ||
		 !strcmp(mode, "canceled") || !strcmp(mode, "keyupdate") ||
		 !strcmp(mode, "keyupdate-req"))
		flood(mode);
	else {
		fprintf(stderr, "attack: unknown mode '%s'\n", mode);
		return 2;
	}
	printf("attack: %s connections=%lu closed_by_server=%lu max_open=%lu\n", mode, connections,
	       closed_by_server, max_open);
	return 0;
}
