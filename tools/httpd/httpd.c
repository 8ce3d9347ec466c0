/*
 * httpd.c — the static-file HTTPS server of ktls-server --www (httpd.h): sendfile(2) through
 * kernel TLS.
 *
 * Why it is built this way: each worker process runs one level-triggered epoll loop over
 * non-blocking sockets; a connection is a small state machine
 *
 *   HANDSHAKE → READ → SEND_HEAD → SEND_BODY → FLUSH → READ (keep-alive) ... → CLOSING → LINGER
 *
 * driven by what the library says it needs (KTLS_WANT_READ / KTLS_WANT_WRITE). After the
 * handshake the keys live in the kernel, so an idle connection holds only its struct conn
 * (168 bytes) and the session: the request buffer is allocated when bytes arrive, grows to
 * what the request needs (512 bytes, doubled while it fills, up to HTTP_MAX_REQUEST), and
 * is freed once a request has been answered and nothing else is pending. Bodies go out with ktls_sendfile, which is
 * sendfile(2) through kernel TLS when TX is offloaded and read + encrypt + write otherwise.
 * A response takes as few records as it can: a body that fits in the head's record is sent
 * with the head in one ktls_send; a larger one's head goes with KTLS_SEND_MORE, so that the
 * first bytes of the file fill its record.
 *
 * Timeouts are enforced by a sweep over all connections every 100 ms (O(n), trivial next to
 * the crypto); a peer that is silent, slow to send a request, or does not read what we send
 * loses its slot after --handshake-timeout / --idle-timeout. On SIGTERM or SIGINT (read
 * through a signalfd) a worker closes its listening socket, lets responses in flight finish
 * (and handshakes in flight end, so that their peers also get a proper close_notify), sends
 * close_notify on every connection, and exits when the last one is gone.
 *
 * Hostile peers (issue 12): a connection gets RUN_BUDGET state steps per event, so pipelined
 * requests cannot keep the worker; the library returns after a budget of records that carry
 * nothing. A session is made when the first byte arrives. Unfinished handshakes are what an
 * attacker can hold cheaply, so they give way: to a newcomer when the slots are full, to
 * accept(2) when descriptors run out, and — the oldest of those holding partly received
 * messages first — when they hold more than --handshake-memory. A connection closed while
 * events of the same round may still name it waits in worker.dead until the round ends.
 *
 * Reload (SIGHUP, passed on by the parent to each worker): a config is read-only once a
 * session uses it, so a worker builds a new one from the same options and uses it for the
 * sessions made after; each session holds a reference to its own (struct cfg_ref), and the
 * old config is freed when the last of them ends. A config that does not build changes
 * nothing. Failed handshakes go to stderr, one line each with the peer and the library's
 * reason, at most FAIL_LINES_PER_SEC a second, the rest counted. Before the first byte
 * reaches the library it is peeked at: an uppercase letter is an HTTP method, never a TLS
 * record, and gets a plaintext 400 (as nginx answers plain HTTP on its TLS port).
 *
 * Closing: after our close_notify we shut down our side and keep reading (and discarding)
 * for a short while ("lingering close", RFC 9112 §9.6), so that request bytes we never read
 * do not make the kernel answer with a RST that could destroy the response at the client.
 *
 * As a library: httpd_new does everything that can fail for a reason the user must fix (the
 * root, the log, the port) before httpd_run forks anything; httpd_stop is an eventfd that
 * every worker's loop and the parent of several watch, so a stop reaches them as SIGTERM
 * would, from a signal handler or another thread, and also before httpd_run starts. The
 * connection machine is this file's own: event.h says why it is not the load generator's.
 */
#include "httpd.h"

#include "cli/cli.h"
#include "common/clock.h"
#include "common/event.h"
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEND_CHUNK (2u << 20)  /* body bytes per ktls_sendfile call: fairness among peers */
#define ONE_RECORD 16384       /* plaintext of one TLS record (RFC 8446 §5.1) */
#define LINGER_MS 2000         /* how long to drain a peer after our close_notify */
#define SWEEP_MS 100
#define IN_FIRST 512           /* request buffer to start with (curl sends ~80 bytes, browsers
				* up to ~1.5 KB); it doubles while it fills */
#define FD_RESERVE 16          /* descriptors a worker holds besides its connections' */
#define RUN_BUDGET 32          /* state steps per connection per event: then the next one */
#define ACCEPT_PAUSE_MS 100    /* out of descriptors: how long the listener rests */
#define FAIL_LINES_PER_SEC 10  /* failed handshakes logged per worker per second; the rest
				* are counted and summed up in one line */

enum cstate { C_HANDSHAKE, C_READ, C_SEND_HEAD, C_SEND_BODY, C_FLUSH, C_CLOSING, C_LINGER,
	      C_DEAD /* closed; the struct waits in worker.dead for the end of the round */ };

/* A config and the number of its users: the worker while it is the current one, and each
 * session made with it. SIGHUP puts a new one in place for the sessions to come; the old
 * one is freed when the last session that uses it ends (a session reads its config until
 * it is freed). */
struct cfg_ref {
	struct ktls_config *cfg;
	int users;
};

static void cfg_put(struct cfg_ref *r)
{
	if (r && --r->users == 0) {
		ktls_config_free(r->cfg);
		free(r);
	}
}

/* The peer's address as accept(2) gives it on an IPv4 or IPv6 socket: 28 bytes, where a
 * sockaddr_storage would keep 128 per connection. */
union peer_addr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

/* One connection. Every connection holds this struct (168 bytes on x86-64) and its session
 * for as long as it is open, so it is kept small: pointers first, then the narrower
 * fields, no holes; the buffers hang off it only while a request or response is in flight
 * (an idle keep-alive connection holds none of them). */
struct conn {
	struct conn *prev, *next;
	struct ktls_session *s;
	struct cfg_ref *cfg; /* what s was made with */
	char *in;            /* request bytes; NULL while nothing is pending */
	char *out;           /* the response head (and a small body), a file range after it */
	char *req_line;      /* for the access log: "GET /path HTTP/1.1", escaped */
	struct event_watch ev; /* the socket and the interest registered with epoll */
	int64_t deadline;    /* ms, monotonic */
	uint64_t id;
	long long off, end;  /* the file range still to send */
	unsigned long long body_sent;
	uint32_t hs_mem;     /* while in C_HANDSHAKE: what its session holds beyond an empty one */
	uint32_t in_len, in_cap; /* at most HTTP_MAX_REQUEST */
	uint32_t out_len, out_pos; /* at most ONE_RECORD */
	int file_fd;
	int status;
	enum cstate st;
	bool keep_alive, peer_eof, tx_off, rx_off;
	union peer_addr peer;
};

struct worker {
	const char *prog;
	struct cfg_ref *cfg; /* for new connections */
	const struct httpd_opts *o;
	int ep, lfd, sigfd, rootfd;
	int stopfd; /* httpd_stop: readable once asked (never read, so every worker sees it) */
	char root_real[4096];
	struct conn *conns; /* all live connections, newest first */
	struct conn *dead;  /* closed this round: events of this round may still point at them */
	int nconns;
	bool stopping;
	uint64_t next_id, accepted, refused, evicted, requests;
	int reserve_fd;          /* held back for accept-and-close when descriptors run out */
	size_t hs_mem;           /* the sum of conn.hs_mem: input unfinished handshakes hold */
	size_t session_base;     /* ktls_session_memory of a session that holds nothing */
	int64_t accept_paused;   /* the listener rests until then (0: it listens) */
	int64_t fd_warned;       /* when we last said so */
	int64_t fail_window;     /* failed handshakes: the start of this second of the log, */
	int fail_lines;          /* the lines written in it */
	unsigned long fail_suppressed; /* and the failures not written */
	/* the access log: whole lines only, one write(2) per batch, so that workers appending
	 * to the same file (O_APPEND) never split each other's lines */
	int log_fd;
	size_t log_len;
	char log_buf[65536];
	char scratch[16384];
};

/* Keeps w->hs_mem true: what c's unfinished handshake holds now (0 once it is done). */
static void account_handshake(struct worker *w, struct conn *c)
{
	size_t now = 0;
	if (c->st == C_HANDSHAKE && c->s) {
		size_t m = ktls_session_memory(c->s);
		now = m > w->session_base ? m - w->session_base : 0;
	}
	if (now > UINT32_MAX) /* never: a handshake message is at most 131,396 bytes */
		now = UINT32_MAX;
	w->hs_mem = w->hs_mem - c->hs_mem + now;
	c->hs_mem = (uint32_t)now;
}

/* Closes c and frees all it holds. The struct itself waits in w->dead until reap(): one
 * connection may close another (an eviction) whose event is still to come this round. */
static void conn_free(struct worker *w, struct conn *c)
{
	if (c->st == C_DEAD)
		return;
	w->hs_mem -= c->hs_mem;
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->nconns--;
	event_close(w->ep, &c->ev);
	if (c->file_fd >= 0)
		close(c->file_fd);
	ktls_session_free(c->s);
	cfg_put(c->cfg);
	free(c->in);
	free(c->out);
	free(c->req_line);
	memset(c, 0, sizeof(*c));
	c->st = C_DEAD;
	c->next = w->dead;
	w->dead = c;
}

/* Frees the structs of the connections closed this round. */
static void reap(struct worker *w)
{
	while (w->dead) {
		struct conn *c = w->dead;
		w->dead = c->next;
		free(c);
	}
}

/* ---- access log ---------------------------------------------------------------------- */

static void format_addr(const union peer_addr *pa, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (pa->sa.sa_family == AF_INET) {
		const struct sockaddr_in *a = &pa->in4;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		snprintf(out, cap, "%s:%u", host, port);
	} else if (pa->sa.sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = &pa->in6;
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) { /* IPv4 on the dual-stack socket */
			inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], host, sizeof(host));
			snprintf(out, cap, "%s:%u", host, ntohs(a->sin6_port));
			return;
		}
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(out, cap, "[%s]:%u", host, port);
	} else {
		snprintf(out, cap, "-");
	}
}

/* A new second of the failure log: the failures not written in the last one are summed up. */
static void fail_log_tick(struct worker *w, int64_t now)
{
	if (now - w->fail_window < 1000)
		return;
	if (w->fail_suppressed)
		fprintf(stderr, "%s: (%lu more failed handshakes not logged)\n", w->prog,
			w->fail_suppressed);
	w->fail_window = now;
	w->fail_lines = 0;
	w->fail_suppressed = 0;
}

/* One line on stderr per failed handshake, at most FAIL_LINES_PER_SEC a second: the peer's
 * address and why (escaped, as a reason may quote the peer). */
static void log_failure(struct worker *w, const struct conn *c, const char *reason)
{
	fail_log_tick(w, clock_now_ms());
	if (w->fail_lines >= FAIL_LINES_PER_SEC) {
		w->fail_suppressed++;
		return;
	}
	w->fail_lines++;
	char addr[64], why[512];
	format_addr(&c->peer, addr, sizeof(addr));
	fprintf(stderr, "%s: handshake failed from %s: %s\n", w->prog, addr,
		cli_printable(reason, (size_t)-1, why, sizeof(why)));
}

/* The request line for the log: at most 1 KiB, non-printable bytes and quotes as \xHH. */
static char *escape_line(const char *p, size_t len)
{
	size_t max = len > 1024 ? 1024 : len;
	char *out = malloc(max * 4 + 4), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < max; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
			o += sprintf(o, "\\x%02x", ch);
		else
			*o++ = (char)ch;
	}
	if (max < len)
		o += sprintf(o, "...");
	*o = 0;
	return out;
}

static void log_flush(struct worker *w)
{
	size_t off = 0;
	while (off < w->log_len) {
		ssize_t n = write(w->log_fd, w->log_buf + off, w->log_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* a full disk loses log lines, not requests */
		off += (size_t)n;
	}
	w->log_len = 0;
}

static void log_request(struct worker *w, struct conn *c)
{
	w->requests++;
	if (w->log_fd < 0)
		return;
	char addr[64], date[40], line[1400];
	format_addr(&c->peer, addr, sizeof(addr));
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* the certificate sent, chosen by SNI among several (resumed: none, "-") */
	struct ktls_session_info info;
	char cert[300];
	cli_printable(ktls_session_get_info(c->s, &info) ? NULL : info.cert_subject, (size_t)-1,
		      cert, sizeof(cert));
	int n = snprintf(line, sizeof(line),
			 "%s %s conn=%d.%llu \"%s\" %d %llu tx=%s rx=%s cert=\"%s\"\n", date,
			 addr, (int)getpid(), (unsigned long long)c->id, c->req_line ? c->req_line : "-",
			 c->status, c->body_sent, c->tx_off ? "kernel" : "userspace",
			 c->rx_off ? "kernel" : "userspace", cert);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1; /* cut (the request line is at most 4 KiB escaped) */
	line[n - 1] = '\n';
	if (w->log_len + (size_t)n > sizeof(w->log_buf))
		log_flush(w);
	memcpy(w->log_buf + w->log_len, line, (size_t)n);
	w->log_len += (size_t)n;
}

/* ---- responses ----------------------------------------------------------------------- */

/* A response in as few records as it can: a body that fits in one record with the head is
 * read into c->out behind it, so the whole response is one ktls_send and one record. (A
 * larger body's first bytes share the head's record: SEND_HEAD sends it with
 * KTLS_SEND_MORE.) A short read — the file changed — leaves the body to sendfile. */
static void inline_small_body(struct conn *c)
{
	size_t len = (size_t)(c->end - c->off);
	if (c->file_fd < 0 || c->out_len + len > ONE_RECORD)
		return;
	char *p = realloc(c->out, c->out_len + len);
	if (!p)
		return;
	c->out = p;
	if (pread(c->file_fd, c->out + c->out_len, len, c->off) != (ssize_t)len)
		return;
	c->out_len += len;
	c->body_sent = len;
	c->off = c->end;
	close(c->file_fd);
	c->file_fd = -1;
}

/* Prepares the response to the request now at the head of c->in (or an error status when
 * the request could not be parsed). Sets c->out, the file range and c->keep_alive. */
static void prepare_response(struct worker *w, struct conn *c, int status,
			     const struct http_request *req)
{
	struct http_response r = { .status = status, .keep_alive = false, .now = time(NULL),
				   .minor = req->minor };
	bool head = req->method == HTTP_HEAD;
	c->file_fd = -1;
	c->off = c->end = 0;
	if (status == 0) {
		char path[HTTP_MAX_TARGET + 1];
		struct stat st;
		r.status = http_target_to_path(req->target, req->target_len, path, sizeof(path));
		if (r.status == 0) {
			bool index;
			int fd = http_open_beneath(w->rootfd, w->root_real, path, 0, &st, &index);
			if (fd < 0) {
				r.status = -fd;
			} else {
				uint64_t size = (uint64_t)st.st_size, first = 0, last = 0;
				enum http_range_result rr = HTTP_RANGE_NONE;
				if (req->method == HTTP_GET && !req->if_range)
					rr = http_parse_range(req->range, req->range_len, size, &first, &last);
				r.keep_alive = req->keep_alive;
				r.last_modified = st.st_mtime;
				r.content_type = http_mime_type(index ? "index.html" : path);
				r.size = size;
				if (rr == HTTP_RANGE_UNSATISFIABLE) {
					r.status = 416;
					close(fd);
				} else {
					r.status = rr == HTTP_RANGE_OK ? 206 : 200;
					r.range = rr == HTTP_RANGE_OK;
					r.first = first;
					r.last = last;
					r.content_length = rr == HTTP_RANGE_OK ? last - first + 1 : size;
					if (head || r.content_length == 0) {
						close(fd);
					} else {
						c->file_fd = fd;
						c->off = (long long)(rr == HTTP_RANGE_OK ? first : 0);
						c->end = c->off + (long long)r.content_length;
					}
				}
			}
		}
	}
	/* errors that leave the connection usable keep it; the others close it */
	if (r.status == 404 || r.status == 403 || r.status == 416)
		r.keep_alive = req->keep_alive;
	char body[96] = "";
	if (r.status >= 400) {
		snprintf(body, sizeof(body), "%d %s\n", r.status, http_reason(r.status));
		r.content_type = "text/plain; charset=utf-8";
		r.content_length = strlen(body);
		r.last_modified = 0;
	}
	if (w->stopping)
		r.keep_alive = false;
	c->keep_alive = r.keep_alive;
	c->status = r.status;
	c->body_sent = 0;
	size_t cap = 1024;
	c->out = malloc(cap);
	int n = c->out ? http_format_response(c->out, cap - sizeof(body), &r) : -1;
	if (n < 0) {
		free(c->out);
		c->out = NULL;
		c->out_len = c->out_pos = 0;
		c->keep_alive = false;
		return;
	}
	c->out_len = (size_t)n;
	c->out_pos = 0;
	if (*body && !head) {
		memcpy(c->out + n, body, strlen(body));
		c->out_len += strlen(body);
		c->body_sent = strlen(body);
	}
	inline_small_body(c);
}

/* ---- the connection state machine ---------------------------------------------------- */

static void start_close(struct worker *w, struct conn *c)
{
	c->st = C_CLOSING;
	c->deadline = clock_now_ms() + LINGER_MS;
	(void)w;
}

/* Frees the request buffer when it holds nothing. */
static void drop_empty_input(struct conn *c)
{
	if (c->in_len == 0) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
}

/* Takes the request at the head of c->in if complete. Returns true when a response is
 * ready (state SEND_HEAD), false when more bytes are needed. */
static bool take_request(struct worker *w, struct conn *c)
{
	struct http_request req;
	int rc = http_parse_request(c->in ? c->in : "", c->in_len, &req);
	if (rc == HTTP_INCOMPLETE && c->in_len < HTTP_MAX_REQUEST)
		return false;
	if (rc == HTTP_INCOMPLETE)
		rc = 431;
	free(c->req_line);
	c->req_line = NULL;
	if (rc == 0 || req.target) {
		const char *nl = memchr(c->in, '\n', c->in_len);
		size_t l = nl ? (size_t)(nl - c->in) : (req.target ? (size_t)(req.target - c->in) + req.target_len : 0);
		if (l && c->in[l - 1] == '\r')
			l--;
		c->req_line = escape_line(c->in, l);
	}
	prepare_response(w, c, rc, &req);
	if (rc == 0) { /* consume the head; what follows is the next request */
		c->in_len -= req.head_len;
		memmove(c->in, c->in + req.head_len, c->in_len);
	} else {
		c->in_len = 0; /* the connection closes after this answer */
	}
	drop_empty_input(c);
	c->st = C_SEND_HEAD;
	c->deadline = clock_now_ms() + (int64_t)(w->o->idle_timeout * 1000);
	return true;
}

/* Reads what the session has into c->in, which grows to need: IN_FIRST bytes, doubled while
 * it fills, up to HTTP_MAX_REQUEST. (A whole HTTP_MAX_REQUEST per reading connection made
 * every peer with a partly sent request cost 24 KiB of address space and two pages of RSS.)
 * Returns 0 (data or nothing), 1 at the peer's end, or -1 on a failure that ends the
 * connection. */
static int read_some(struct conn *c)
{
	for (;;) {
		if (c->in_len == c->in_cap) {
			if (c->in_cap == HTTP_MAX_REQUEST)
				return 0;
			size_t cap = c->in_cap ? 2 * (size_t)c->in_cap : IN_FIRST;
			if (cap > HTTP_MAX_REQUEST)
				cap = HTTP_MAX_REQUEST;
			char *p = realloc(c->in, cap);
			if (!p)
				return -1;
			c->in = p;
			c->in_cap = (uint32_t)cap;
		}
		long n = ktls_recv(c->s, c->in + c->in_len, c->in_cap - c->in_len);
		if (n > 0) {
			c->in_len += (uint32_t)n;
			continue;
		}
		drop_empty_input(c);
		if (n == KTLS_WANT_READ)
			return 0;
		return n == 0 ? 1 : -1;
	}
}

/* Writes what the session may still hold: with the userspace record layer at most one
 * record; with kernel TX a record left open, should sendfile have stopped short of it. */
static int flush_session(struct conn *c)
{
	return ktls_session_flush(c->s);
}

static void finish_response(struct worker *w, struct conn *c)
{
	log_request(w, c);
	if (c->file_fd >= 0) {
		close(c->file_fd);
		c->file_fd = -1;
	}
	free(c->out);
	c->out = NULL;
	free(c->req_line);
	c->req_line = NULL;
	if (c->keep_alive && !w->stopping) {
		c->st = C_READ;
		c->deadline = clock_now_ms() + (int64_t)(w->o->idle_timeout * 1000);
	} else {
		start_close(w, c);
	}
}

static void expire(struct worker *w, struct conn *c);
static void trim_handshake_memory(struct worker *w);

/* What the first bytes of a connection are, peeked before the TLS handshake reads them:
 * 1 an HTTP request in plaintext (a method, uppercase ASCII: never the first byte of a TLS
 * record, whose content type is 20..24), 0 anything else (a TLS record: 0x16 0x03 ...),
 * -1 nothing yet, -2 the peer closed or the socket failed. */
static int sniff_plain_http(int fd)
{
	unsigned char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : -2;
	if (n == 0)
		return -2;
	return b >= 'A' && b <= 'Z';
}

/* A plain HTTP request on the TLS port: answered in plaintext as nginx does, then the
 * connection lingers (C_LINGER without a session) so that the answer is not lost to a RST. */
static void answer_plain_http(struct worker *w, struct conn *c)
{
	static const char body[] = "400 Bad Request: plain HTTP sent to an HTTPS port\n";
	char msg[256];
	int n = snprintf(msg, sizeof(msg),
			 "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 sizeof(body) - 1, body);
	log_failure(w, c, "plain HTTP sent to the HTTPS port (answered 400)");
	/* a fresh socket's send buffer takes these few bytes whole */
	if (send(c->ev.fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		conn_free(w, c);
		return;
	}
	shutdown(c->ev.fd, SHUT_WR);
	c->st = C_LINGER;
	c->deadline = clock_now_ms() + LINGER_MS;
}

/* Runs c's state machine until it must wait for the socket, or until it has had its share
 * of this round (RUN_BUDGET steps: pipelined requests cannot keep the worker to one peer;
 * it is woken again at once, as its socket is writable); may free c. */
static void run(struct worker *w, struct conn *c)
{
	if (c->st == C_DEAD) /* evicted earlier in this round */
		return;
	if (clock_now_ms() >= c->deadline) { /* a peer that always has input still has a deadline */
		expire(w, c);
		return;
	}
	for (int steps = 0;; steps++) {
		if (steps == RUN_BUDGET) {
			event_set(w->ep, &c->ev, EPOLLIN | EPOLLOUT, c);
			return;
		}
		switch (c->st) {
		case C_HANDSHAKE: {
			/* the session comes with the first bytes: an idle connect costs little */
			if (!c->s) {
				int plain = sniff_plain_http(c->ev.fd);
				if (plain == -1) {
					event_set(w->ep, &c->ev, EPOLLIN, c);
					return;
				}
				if (plain == 1) {
					answer_plain_http(w, c);
					if (c->st == C_DEAD)
						return;
					break;
				}
				if (plain < 0 || !(c->s = ktls_session_new(w->cfg->cfg, c->ev.fd))) {
					conn_free(w, c); /* closed before a byte: nothing to say */
					return;
				}
				c->cfg = w->cfg;
				w->cfg->users++;
			}
			int rc = ktls_session_handshake(c->s);
			if (rc == KTLS_WANT_READ || rc == KTLS_WANT_WRITE) {
				account_handshake(w, c);
				if (w->hs_mem > w->o->handshake_memory)
					trim_handshake_memory(w);
				if (c->st == C_DEAD) /* it was the oldest of the heavy ones */
					return;
				event_set(w->ep, &c->ev, rc == KTLS_WANT_READ ? EPOLLIN : EPOLLOUT, c);
				return;
			}
			if (rc) {
				const char *why = ktls_session_error(c->s);
				log_failure(w, c, *why ? why : ktls_strerror(rc));
				conn_free(w, c);
				return;
			}
			struct ktls_session_info info;
			if (ktls_session_get_info(c->s, &info) == 0) {
				c->tx_off = info.tx_offloaded;
				c->rx_off = info.rx_offloaded;
			}
			c->st = C_READ;
			account_handshake(w, c); /* done: it holds no handshake input any more */
			c->deadline = clock_now_ms() + (int64_t)(w->o->idle_timeout * 1000);
			if (w->stopping)
				start_close(w, c);
			break;
		}
		case C_READ: {
			if (c->in_len && take_request(w, c))
				break;
			int rc = c->peer_eof ? 1 : read_some(c);
			if (rc < 0) {
				conn_free(w, c);
				return;
			}
			if (rc == 1)
				c->peer_eof = true;
			if (take_request(w, c))
				break;
			if (rc == 1) { /* close_notify between requests: answer in kind */
				start_close(w, c);
				break;
			}
			event_set(w->ep, &c->ev, EPOLLIN, c);
			return;
		}
		case C_SEND_HEAD:
			if (!c->out) { /* could not even format a head */
				conn_free(w, c);
				return;
			}
			while (c->out_pos < c->out_len) {
				/* a file body follows: the head does not end its record, the
				 * first bytes of the file fill it (MSG_MORE with kernel TX) */
				long n = ktls_send_flags(c->s, c->out + c->out_pos, c->out_len - c->out_pos,
							 c->file_fd >= 0 ? KTLS_SEND_MORE : 0);
				if (n == KTLS_WANT_WRITE) {
					event_set(w->ep, &c->ev, EPOLLOUT, c);
					return;
				}
				if (n < 0) {
					conn_free(w, c);
					return;
				}
				c->out_pos += (size_t)n;
				c->deadline = clock_now_ms() + (int64_t)(w->o->idle_timeout * 1000);
			}
			c->st = C_SEND_BODY;
			break;
		case C_SEND_BODY:
			while (c->file_fd >= 0 && c->off < c->end) {
				long long before = c->off, left = c->end - c->off;
				long n = ktls_sendfile(c->s, c->file_fd, &c->off,
						       left > SEND_CHUNK ? SEND_CHUNK : (size_t)left);
				/* the userspace fallback may have sent some and then say WANT_WRITE:
				 * the offset tells the truth */
				c->body_sent += (unsigned long long)(c->off - before);
				if (c->off > before)
					c->deadline = clock_now_ms() + (int64_t)(w->o->idle_timeout * 1000);
				if (n == KTLS_WANT_WRITE) {
					event_set(w->ep, &c->ev, EPOLLOUT, c);
					return;
				}
				if (n < 0 || (n == 0 && c->off == before)) {
					/* an error, or the file shrank under us: the response cannot be
					 * completed, so the connection cannot be reused */
					c->status = c->status ? c->status : 500;
					log_request(w, c);
					conn_free(w, c);
					return;
				}
				if (c->off < c->end) {
					/* a short count (the socket is full) or a whole chunk (give the
					 * others a turn): either way, on when the socket is writable */
					event_set(w->ep, &c->ev, EPOLLOUT, c);
					return;
				}
			}
			c->st = C_FLUSH;
			break;
		case C_FLUSH: {
			int rc = flush_session(c);
			if (rc == KTLS_WANT_WRITE) {
				event_set(w->ep, &c->ev, EPOLLOUT, c);
				return;
			}
			if (rc) {
				conn_free(w, c);
				return;
			}
			finish_response(w, c);
			break;
		}
		case C_CLOSING: {
			if (c->tx_off) {
				/* kernel TX: ktls_close would block in sendmsg on a full socket */
				struct pollfd p = { .fd = c->ev.fd, .events = POLLOUT };
				if (poll(&p, 1, 0) != 1) {
					event_set(w->ep, &c->ev, EPOLLOUT, c);
					return;
				}
			}
			int rc = ktls_close(c->s);
			if (rc == KTLS_WANT_WRITE) {
				event_set(w->ep, &c->ev, EPOLLOUT, c);
				return;
			}
			if (rc || c->peer_eof) {
				conn_free(w, c);
				return;
			}
			shutdown(c->ev.fd, SHUT_WR);
			c->st = C_LINGER;
			c->deadline = clock_now_ms() + LINGER_MS;
			break;
		}
		case C_DEAD:
			return;
		case C_LINGER:
			for (;;) {
				long n;
				if (c->s) {
					n = ktls_recv(c->s, w->scratch, sizeof(w->scratch));
				} else { /* after a plaintext answer */
					n = recv(c->ev.fd, w->scratch, sizeof(w->scratch), MSG_DONTWAIT);
					if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
						n = KTLS_WANT_READ;
				}
				if (n == KTLS_WANT_READ) {
					event_set(w->ep, &c->ev, EPOLLIN, c);
					return;
				}
				if (n <= 0) {
					conn_free(w, c);
					return;
				}
			}
		}
	}
}

/* What happens when a connection's deadline passes. */
static void expire(struct worker *w, struct conn *c)
{
	if (c->st == C_READ && !c->in_len) {
		/* an idle keep-alive connection: say goodbye properly */
		c->keep_alive = false;
		start_close(w, c);
		run(w, c);
		return;
	}
	if (c->st == C_HANDSHAKE && c->s)
		log_failure(w, c, "handshake timed out (--handshake-timeout)");
	conn_free(w, c); /* a silent handshake, a request that never completed, a stalled peer */
}

static void sweep(struct worker *w)
{
	int64_t now = clock_now_ms();
	struct conn *c = w->conns, *next;
	for (; c; c = next) {
		next = c->next;
		if (now >= c->deadline)
			expire(w, c);
	}
	fail_log_tick(w, now);
}

/* ---- accepting, stopping, the loop --------------------------------------------------- */

/* The connection that has waited longest without finishing its handshake — with
 * `holding`, the longest of those holding part of a message — or NULL. Under pressure it
 * makes room: a peer that connects and stalls cannot lock others out (the newest
 * connections are first in the list, so the oldest is the last one found). */
static struct conn *oldest_handshake(struct worker *w, bool holding)
{
	struct conn *oldest = NULL;
	for (struct conn *c = w->conns; c; c = c->next)
		if (c->st == C_HANDSHAKE && (!holding || c->hs_mem))
			oldest = c;
	return oldest;
}

/* Unfinished handshakes hold more partly received input than the budget allows (peers
 * that send most of a large ClientHello and stop, by the thousand): the oldest of those that
 * hold some goes, until the rest fit. Handshakes waiting with nothing half-read hold
 * nothing and are never chosen for this. */
static void trim_handshake_memory(struct worker *w)
{
	while (w->hs_mem > w->o->handshake_memory) {
		struct conn *victim = oldest_handshake(w, true);
		if (!victim)
			return;
		w->evicted++;
		conn_free(w, victim);
	}
}

/* accept failed for want of descriptors: make room by evicting a stalled handshake, else
 * accept and close with the reserve descriptor (so the peer is told at once, and the
 * level-triggered listener does not spin), and rest the listener for a moment. */
static void out_of_descriptors(struct worker *w, int err)
{
	struct conn *victim = oldest_handshake(w, false);
	if (victim) {
		w->evicted++;
		conn_free(w, victim);
		return; /* the next accept has a descriptor */
	}
	if (w->reserve_fd >= 0) {
		close(w->reserve_fd);
		int fd = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			w->accepted++;
			w->refused++;
			close(fd);
		}
		w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	int64_t now = clock_now_ms();
	if (now - w->fd_warned >= 1000) {
		fprintf(stderr, "%s: out of file descriptors (%s; %d connections): refusing new "
			"connections for a moment (raise ulimit -n, or lower --max-connections)\n",
			w->prog, strerror(err), w->nconns);
		w->fd_warned = now;
	}
	epoll_ctl(w->ep, EPOLL_CTL_DEL, w->lfd, NULL);
	w->accept_paused = now + ACCEPT_PAUSE_MS;
}

static void accept_some(struct worker *w)
{
	for (int i = 0; i < 64 && !w->accept_paused; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd = accept4(w->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			out_of_descriptors(w, errno);
			continue;
		}
		if (fd < 0)
			return; /* EAGAIN, or a transient error (ECONNABORTED): next time */
		w->accepted++;
		if (w->nconns >= w->o->max_connections) {
			/* full: the oldest unfinished handshake makes way for the newcomer */
			struct conn *victim = oldest_handshake(w, false);
			if (!victim) {
				w->refused++;
				close(fd);
				continue;
			}
			w->evicted++;
			conn_free(w, victim);
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->ev.fd = fd;
		c->file_fd = -1;
		memcpy(&c->peer, &ss, sl < sizeof(c->peer) ? sl : sizeof(c->peer));
		c->id = ++w->next_id;
		c->st = C_HANDSHAKE;
		c->deadline = clock_now_ms() + (int64_t)(w->o->handshake_timeout * 1000);
		if (event_add(w->ep, &c->ev, EPOLLIN, c)) {
			free(c);
			close(fd);
			continue;
		}
		c->next = w->conns;
		if (w->conns)
			w->conns->prev = c;
		w->conns = c;
		w->nconns++;
		/* nothing more until it sends something: the session is made then (run) */
	}
}

/* After a rest for want of descriptors, the listener listens again. */
static void resume_accepting(struct worker *w, int64_t now)
{
	if (!w->accept_paused || now < w->accept_paused || w->lfd < 0)
		return;
	struct epoll_event el = { .events = EPOLLIN, .data.ptr = &w->lfd };
	epoll_ctl(w->ep, EPOLL_CTL_ADD, w->lfd, &el);
	w->accept_paused = 0;
}

static void begin_stop(struct worker *w)
{
	if (w->stopping)
		return;
	w->stopping = true;
	w->accept_paused = 0;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, w->lfd, NULL);
	close(w->lfd);
	w->lfd = -1;
	struct conn *c = w->conns, *next;
	for (; c; c = next) {
		next = c->next;
		switch (c->st) {
		case C_HANDSHAKE: /* let it finish (within --handshake-timeout), then close_notify */
			break;
		case C_READ: /* between requests (or in the middle of one): close_notify now */
			c->keep_alive = false;
			start_close(w, c);
			run(w, c);
			break;
		case C_SEND_HEAD:
		case C_SEND_BODY:
		case C_FLUSH:
			c->keep_alive = false; /* finish this response, then close */
			break;
		default:
			break;
		}
	}
}

/* SIGHUP: a new config from the same options for the connections to come; those open
 * keep theirs. A broken one (a bad certificate, a key that does not match) changes nothing. */
static void reload(struct worker *w)
{
	char prefix[160];
	if (!w->o->reload)
		return;
	snprintf(prefix, sizeof(prefix), "%s: reload failed (keeping the previous certificates)",
		 w->prog);
	struct ktls_config *cfg = w->o->reload(w->o->reload_arg, prefix);
	struct cfg_ref *r = cfg ? calloc(1, sizeof(*r)) : NULL;
	if (!r) {
		if (cfg) {
			ktls_config_free(cfg);
			fprintf(stderr, "%s: out of memory\n", prefix);
		}
		return;
	}
	r->cfg = cfg;
	r->users = 1;
	cfg_put(w->cfg);
	w->cfg = r;
	fprintf(stderr, "%s: reloaded certificates from %s (worker %d)\n", w->prog,
		w->o->reload_what ? w->o->reload_what : "the same files", (int)getpid());
}

static int worker_loop(struct worker *w)
{
	struct epoll_event ev[256];
	int64_t next_sweep = clock_now_ms() + SWEEP_MS;
	while (!w->stopping || w->conns) {
		int n = epoll_wait(w->ep, ev, 256, SWEEP_MS);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "%s: epoll_wait: %s\n", w->prog, strerror(errno));
			return EXIT_NETWORK;
		}
		for (int i = 0; i < n; i++) {
			void *p = ev[i].data.ptr;
			if (p == &w->lfd) {
				if (!w->stopping)
					accept_some(w);
			} else if (p == &w->stopfd) {
				/* level-triggered and never read: look at it only once */
				epoll_ctl(w->ep, EPOLL_CTL_DEL, w->stopfd, NULL);
				begin_stop(w);
				break; /* as for a signal: the rest of ev[] may dangle */
			} else if (p == &w->sigfd) {
				struct signalfd_siginfo si;
				bool stop = false, hup = false;
				while (read(w->sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP)
						hup = true;
					else
						stop = true;
				}
				if (hup && !w->stopping)
					reload(w);
				if (stop) {
					begin_stop(w);
					/* connections may have been freed: the rest of ev[] may dangle */
					break;
				}
			} else {
				run(w, p);
			}
		}
		log_flush(w);
		reap(w);
		int64_t now = clock_now_ms();
		if (now >= next_sweep) {
			sweep(w);
			resume_accepting(w, now);
			next_sweep = now + SWEEP_MS;
		}
	}
	return EXIT_OK;
}

/* ---- listening sockets, workers ------------------------------------------------------ */

/* What httpd_new sets up and httpd_run uses. */
struct httpd {
	const char *prog;
	struct ktls_config *cfg; /* until httpd_run hands it to the workers */
	const struct httpd_opts *o;
	int rootfd, log_fd, stopfd;
	int *lfds; /* o->workers listening sockets, -1 once handed over */
	unsigned port;
	bool ran;
	char root_real[4096];
};

/* Runs one worker to its end; takes cfg (and frees it). */
static int run_worker(const struct httpd *h, struct ktls_config *cfg, int lfd)
{
	const char *prog = h->prog;
	struct worker *w = calloc(1, sizeof(*w));
	struct cfg_ref *r = calloc(1, sizeof(*r));
	if (!w || !r) {
		free(w);
		free(r);
		ktls_config_free(cfg);
		close(lfd);
		return EXIT_USAGE;
	}
	r->cfg = cfg;
	r->users = 1;
	w->prog = prog;
	w->cfg = r;
	w->o = h->o;
	w->lfd = lfd;
	w->rootfd = h->rootfd;
	w->log_fd = h->log_fd;
	w->stopfd = h->stopfd;
	w->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct ktls_session *empty = ktls_session_new(cfg, -1);
	w->session_base = ktls_session_memory(empty);
	ktls_session_free(empty);
	snprintf(w->root_real, sizeof(w->root_real), "%s", h->root_real);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	struct epoll_event el = { .events = EPOLLIN, .data.ptr = &w->lfd };
	struct epoll_event es = { .events = EPOLLIN, .data.ptr = &w->sigfd };
	struct epoll_event et = { .events = EPOLLIN, .data.ptr = &w->stopfd };
	if (w->ep < 0 || w->sigfd < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, lfd, &el) ||
	    epoll_ctl(w->ep, EPOLL_CTL_ADD, w->sigfd, &es) ||
	    epoll_ctl(w->ep, EPOLL_CTL_ADD, w->stopfd, &et)) {
		fprintf(stderr, "%s: cannot set up the event loop: %s\n", prog, strerror(errno));
		if (w->ep >= 0)
			close(w->ep);
		if (w->sigfd >= 0)
			close(w->sigfd);
		if (w->reserve_fd >= 0)
			close(w->reserve_fd);
		close(lfd);
		cfg_put(w->cfg);
		free(w);
		return EXIT_NETWORK;
	}
	int rc = worker_loop(w);
	reap(w);
	log_flush(w);
	fprintf(stderr, "%s: worker %d stopped: %llu connections accepted (%llu refused, %llu "
		"unfinished handshakes evicted to make room), %llu requests\n", prog, (int)getpid(),
		(unsigned long long)w->accepted, (unsigned long long)w->refused,
		(unsigned long long)w->evicted, (unsigned long long)w->requests);
	if (w->lfd >= 0)
		close(w->lfd);
	if (w->reserve_fd >= 0)
		close(w->reserve_fd);
	close(w->ep);
	close(w->sigfd);
	cfg_put(w->cfg); /* the connections are gone: this was the last user */
	free(w);
	return rc;
}

/* The signals httpd_new blocks: the workers read the first three through a signalfd, the
 * parent of several workers all four. */
static void httpd_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGHUP); /* a worker reloads (the parent passes it on) */
}

void httpd_free(struct httpd *h)
{
	if (!h)
		return;
	for (int i = 0; h->lfds && i < h->o->workers; i++)
		if (h->lfds[i] >= 0)
			close(h->lfds[i]);
	free(h->lfds);
	if (h->log_fd > STDOUT_FILENO)
		close(h->log_fd);
	if (h->rootfd >= 0)
		close(h->rootfd);
	if (h->stopfd >= 0)
		close(h->stopfd);
	ktls_config_free(h->cfg);
	free(h);
}

struct httpd *httpd_new(const char *prog, struct ktls_config *cfg, const struct httpd_opts *o,
			int *status)
{
	struct httpd *h = calloc(1, sizeof(*h));
	if (!h) {
		fprintf(stderr, "%s: out of memory\n", prog);
		ktls_config_free(cfg);
		*status = EXIT_USAGE;
		return NULL;
	}
	h->prog = prog;
	h->cfg = cfg;
	h->o = o;
	h->log_fd = h->stopfd = -1;
	*status = EXIT_USAGE;
	/* Each worker is a process of its own: per worker, one descriptor per connection and
	 * a second while it sends a file, plus the listener, epoll, signalfd, the root, the
	 * log, the reserve. Short of that it still serves: accept(2) failing with EMFILE
	 * evicts a stalled handshake or refuses the newcomer (out_of_descriptors). */
	char what[64];
	snprintf(what, sizeof(what), "--max-connections %d", o->max_connections);
	if (!cli_raise_nofile(prog, 2ul * (unsigned long)o->max_connections + FD_RESERVE, what))
		fprintf(stderr, "%s: serving anyway: while descriptors run short, new connections "
			"are refused\n", prog);
	h->rootfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->rootfd < 0 || !realpath(o->root, h->root_real)) {
		fprintf(stderr, "%s: --www %s: %s\n", prog, o->root, strerror(errno));
		httpd_free(h);
		return NULL;
	}
	if (o->access_log && !strcmp(o->access_log, "-")) {
		h->log_fd = STDOUT_FILENO;
	} else if (o->access_log) {
		h->log_fd = open(o->access_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (h->log_fd < 0) {
			fprintf(stderr, "%s: cannot open access log %s: %s\n", prog, o->access_log,
				strerror(errno));
			httpd_free(h);
			return NULL;
		}
	}
	h->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->lfds = calloc((size_t)o->workers, sizeof(int));
	if (h->stopfd < 0 || !h->lfds) {
		fprintf(stderr, "%s: %s\n", prog, strerror(errno));
		httpd_free(h);
		return NULL;
	}
	for (int i = 0; i < o->workers; i++)
		h->lfds[i] = -1;
	/* every worker gets its own SO_REUSEPORT socket on the same port (the first socket's,
	 * when --port 0 asked the kernel to pick) */
	char portbuf[16];
	const char *port = o->port;
	for (int i = 0; i < o->workers; i++) {
		h->lfds[i] = cli_listen(prog, o->bind_addr, port,
					CLI_LISTEN_NONBLOCK | CLI_LISTEN_REUSEPORT);
		if (h->lfds[i] < 0) {
			*status = EXIT_NETWORK;
			httpd_free(h);
			return NULL;
		}
		if (i == 0) {
			h->port = cli_bound_port(h->lfds[0]);
			snprintf(portbuf, sizeof(portbuf), "%u", h->port);
			port = portbuf;
		}
	}
	/* SIGTERM / SIGINT / SIGHUP arrive through a signalfd in each worker (and in the
	 * parent, which passes them on) */
	sigset_t set;
	httpd_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int n = o->workers;
	fprintf(stderr, "%s: serving %s on %s port %s (%d worker%s, http/1.1)\n", prog,
		h->root_real, o->bind_addr ? o->bind_addr : "*", port, n, n == 1 ? "" : "s");
	fprintf(stderr, "%s: listening on %s port %s\n", prog, o->bind_addr ? o->bind_addr : "*",
		port);
	*status = EXIT_OK;
	return h;
}

unsigned httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_stop(struct httpd *h)
{
	uint64_t one = 1;
	int saved = errno;
	if (write(h->stopfd, &one, sizeof(one)) < 0) {
		/* the counter is full: a stop is already pending */
	}
	errno = saved;
}

/* Sends sig to every worker still running. */
static void signal_workers(const pid_t *pids, int n, int sig)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], sig);
}

/* Several workers: forks them, passes SIGHUP / SIGTERM / SIGINT and httpd_stop on, and waits
 * until every one has ended. Takes cfg (each worker frees its copy). */
static int run_workers(struct httpd *h, struct ktls_config *cfg)
{
	const char *prog = h->prog;
	int n = h->o->workers, rc = EXIT_OK;
	sigset_t set;
	httpd_signals(&set);
	int sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	pid_t *pids = calloc((size_t)n, sizeof(pid_t)), parent = getpid();
	int alive = 0;
	if (sigfd < 0 || !pids) {
		fprintf(stderr, "%s: cannot start the workers: %s\n", prog, strerror(errno));
		rc = EXIT_NETWORK;
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			/* a parent killed outright (SIGKILL) must not leave workers serving on:
			 * they stop as on SIGTERM */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(EXIT_OK);
			for (int j = 0; j < n; j++)
				if (j != i)
					close(h->lfds[j]);
			_exit(run_worker(h, cfg, h->lfds[i]));
		}
		if (pid > 0) {
			pids[i] = pid;
			alive++;
		} else {
			fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
			rc = EXIT_NETWORK;
		}
	}
	for (int i = 0; i < h->o->workers; i++) {
		close(h->lfds[i]);
		h->lfds[i] = -1;
	}
	bool stopping = rc != EXIT_OK;
	if (stopping && pids)
		signal_workers(pids, n, SIGTERM);
	while (alive > 0) {
		struct pollfd p[2] = { { .fd = sigfd, .events = POLLIN },
				       { .fd = stopping ? -1 : h->stopfd, .events = POLLIN } };
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents) { /* httpd_stop: the workers see it too; it is said once more */
			stopping = true;
			signal_workers(pids, n, SIGTERM);
		}
		struct signalfd_siginfo si;
		if (!p[0].revents || read(sigfd, &si, sizeof(si)) != sizeof(si))
			continue;
		int sig = (int)si.ssi_signo;
		if (sig == SIGHUP) { /* each worker reloads its own config */
			signal_workers(pids, n, SIGHUP);
			continue;
		}
		if (sig != SIGCHLD) { /* pass the stop on to every worker */
			stopping = true;
			signal_workers(pids, n, SIGTERM);
			continue;
		}
		int st;
		pid_t pid;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			alive--;
			for (int i = 0; i < n; i++)
				if (pids[i] == pid)
					pids[i] = 0;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !stopping) {
				fprintf(stderr, "%s: worker %d ended unexpectedly (%s %d)\n", prog,
					(int)pid, WIFEXITED(st) ? "exit" : "signal",
					WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
				if (rc == EXIT_OK)
					rc = EXIT_NETWORK;
			}
		}
	}
	free(pids);
	if (sigfd >= 0)
		close(sigfd);
	ktls_config_free(cfg); /* the parent's copy: each worker freed its own */
	return rc;
}

int httpd_run(struct httpd *h)
{
	if (h->ran || !h->cfg)
		return EXIT_USAGE;
	h->ran = true;
	struct ktls_config *cfg = h->cfg;
	h->cfg = NULL; /* the workers own it now */
	int rc;
	if (h->o->workers == 1) {
		int lfd = h->lfds[0];
		h->lfds[0] = -1;
		rc = run_worker(h, cfg, lfd);
	} else {
		rc = run_workers(h, cfg);
	}
	if (rc == EXIT_OK)
		fprintf(stderr, "%s: stopped cleanly\n", h->prog);
	return rc;
}
