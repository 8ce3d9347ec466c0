/*
 * get.c — tools/httpget (get.h): ktls-client --get, HTTPS/1.1 downloads over kernel TLS RX.
 *
 * get_one is the plain blocking path: connect, handshake, one request, the body to a file or
 * stdout, Content-Length checked. get_load is a load generator: C connections in one epoll
 * loop, non-blocking handshakes driven by the library's KTLS_WANT_READ / KTLS_WANT_WRITE,
 * keep-alive requests until N have been made, every body checked against Content-Length and
 * optionally its SHA-256. A connection the server closes (or that fails) is replaced while
 * requests remain; each failure costs one request, so the run always ends.
 */
#include "get.h"

#include "cli/cli.h"
#include "common/clock.h"
#include "common/event.h"
#include "httpd/http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_CAP (HTTP_MAX_HEADERS + HTTP_MAX_TARGET)
/* The load generator's buffer for a request and its response head, to start with: ours
 * answers with ~200 bytes of head; it grows to HEAD_CAP for a larger one. (A whole HEAD_CAP
 * per connection cost 10,000 connections 240 MiB of address space at once.) */
#define HEAD_FIRST 1024

bool get_parse_sha256(const char *hex, uint8_t out[32])
{
	if (strlen(hex) != 64)
		return false;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

static int format_request(char *buf, size_t cap, const struct get_opts *o, bool close)
{
	return snprintf(buf, cap,
			"%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ktls-client/" KTLS_VERSION_STRING
			"\r\nAccept: */*\r\n%s\r\n",
			o->head ? "HEAD" : "GET", o->path, o->host_header,
			close ? "Connection: close\r\n" : "");
}

/* Seconds on the tools' one clock (common/clock.h). */
static double now_s(void)
{
	return (double)clock_now_ms() / 1000;
}

/* ---- one download -------------------------------------------------------------------- */

/* The whole download runs on a non-blocking socket against one deadline (--timeout): every
 * wait is a poll bounded by what is left of it, so a silent server ends the run with a
 * message and EXIT_NETWORK, not a signal. */
struct one {
	const char *prog;
	struct ktls_session *s;
	int fd;
	double deadline, timeout;
	bool timed_out;
};

/* Waits for events on the socket within the deadline; false (after saying so) when it
 * passed. */
static bool one_wait(struct one *x, int want)
{
	short ev = want == KTLS_WANT_WRITE ? POLLOUT : POLLIN;
	for (;;) {
		double left = x->deadline - now_s();
		struct pollfd p = { .fd = x->fd, .events = ev };
		int n = left > 0 ? poll(&p, 1, (int)(left * 1000) + 1) : 0;
		if (n > 0 || (n < 0 && errno != EINTR))
			return true; /* ready, or an error the next call reports */
		if (n == 0 && now_s() >= x->deadline) {
			fprintf(stderr, "%s: timed out after %g s\n", x->prog, x->timeout);
			x->timed_out = true;
			return false;
		}
	}
}

static bool send_all(struct one *x, const char *p, size_t len)
{
	for (;;) {
		long n = len ? ktls_send(x->s, p, len) : ktls_session_flush(x->s);
		if (n == KTLS_WANT_WRITE) {
			if (!one_wait(x, KTLS_WANT_WRITE))
				return false;
			continue;
		}
		if (n < 0) {
			cli_print_error(x->prog, "send", x->s, (int)n);
			return false;
		}
		if (!len)
			return true; /* taken and flushed */
		p += n;
		len -= (size_t)n;
	}
}

/* ktls_recv that waits (within the deadline) instead of returning KTLS_WANT_*. */
static long recv_some(struct one *x, void *buf, size_t len)
{
	for (;;) {
		long n = ktls_recv(x->s, buf, len);
		if (n != KTLS_WANT_READ && n != KTLS_WANT_WRITE)
			return n;
		if (!one_wait(x, (int)n))
			return KTLS_ETIMEOUT;
	}
}

int get_one(const char *prog, const struct ktls_config *cfg, const struct get_opts *o)
{
	struct one x = { .prog = prog, .fd = -1, .timeout = o->timeout,
			 .deadline = now_s() + o->timeout };
	double connect_s = o->connect_timeout > 0 && o->connect_timeout < o->timeout
				   ? o->connect_timeout : o->timeout;
	int fd = x.fd = cli_connect(prog, o->host, o->port, (int)(connect_s * 1000));
	if (fd < 0)
		return EXIT_NETWORK;
	int rc = EXIT_TLS, out = -1;
	char *buf = malloc(HEAD_CAP + 1);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || !(x.s = ktls_session_new(cfg, fd))) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto done;
	}
	int err;
	while ((err = ktls_session_handshake(x.s)) == KTLS_WANT_READ || err == KTLS_WANT_WRITE)
		if (!one_wait(&x, err))
			goto done;
	if (err) {
		cli_print_error(prog, "handshake failed", x.s, err);
		goto done;
	}
	struct ktls_session *s = x.s;
	cli_print_summary(prog, s);
	if (!buf || !md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto done;
	}
	int n = format_request(buf, HEAD_CAP, o, true);
	if (!send_all(&x, buf, (size_t)n) || !send_all(&x, NULL, 0))
		goto done;
	/* the response head */
	size_t have = 0;
	struct http_response_head h;
	int prc;
	while ((prc = http_parse_response(buf, have, &h)) == HTTP_INCOMPLETE) {
		if (have == HEAD_CAP) {
			prc = 1;
			break;
		}
		long r = recv_some(&x, buf + have, HEAD_CAP - have);
		if (x.timed_out)
			goto done;
		if (r <= 0) {
			if (r == 0)
				fprintf(stderr, "%s: the server closed before a complete response head\n", prog);
			else
				cli_print_error(prog, "receive", s, (int)r);
			goto done;
		}
		have += (size_t)r;
	}
	if (prc) {
		fprintf(stderr, "%s: malformed response head\n", prog);
		goto done;
	}
	bool ok = h.status >= 200 && h.status < 300;
	if (o->head) {
		fwrite(buf, 1, h.head_len, stdout);
		fflush(stdout);
	} else if (!ok) {
		const char *sp = memchr(buf, '\n', h.head_len);
		size_t l = sp ? (size_t)(sp - buf) : 0;
		char line[1024];
		if (l && buf[l - 1] == '\r')
			l--;
		fprintf(stderr, "%s: %s\n", prog, cli_printable(buf, l, line, sizeof(line)));
	}
	if (h.chunked && !o->head) {
		fprintf(stderr, "%s: chunked responses are not supported\n", prog);
		goto done;
	}
	/* the body: Content-Length, or up to close_notify when there is none */
	bool no_body = o->head || h.status == 204 || h.status == 304 || h.status < 200;
	uint64_t want = no_body ? 0 : h.has_length ? h.content_length : UINT64_MAX, got = 0;
	if (!no_body && ok) {
		out = o->out_file ? open(o->out_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
				  : STDOUT_FILENO;
		if (out < 0) {
			fprintf(stderr, "%s: cannot open %s: %s\n", prog, o->out_file, strerror(errno));
			rc = EXIT_USAGE;
			goto done;
		}
	}
	size_t pos = h.head_len;
	bool eof = false;
	for (;;) {
		size_t take = have - pos;
		if ((uint64_t)take > want - got)
			take = (size_t)(want - got);
		if (take) {
			EVP_DigestUpdate(md, buf + pos, take);
			if (out >= 0) {
				for (size_t w = 0; w < take;) {
					ssize_t k = write(out, buf + pos + w, take - w);
					if (k < 0 && errno == EINTR)
						continue;
					if (k < 0) {
						fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
						rc = EXIT_USAGE;
						goto done;
					}
					w += (size_t)k;
				}
			}
			got += take;
		}
		if (got == want || eof)
			break;
		long r = recv_some(&x, buf, HEAD_CAP);
		if (x.timed_out)
			goto done;
		if (r == 0) { /* close_notify: the end of a body without Content-Length */
			eof = true;
			have = pos = 0;
			continue;
		}
		if (r == KTLS_ECLOSED && want == UINT64_MAX) {
			/* without close_notify nothing says the body is complete (RFC 8446 §6.1) */
			fprintf(stderr, "%s: the connection closed without close_notify after %llu body "
				"bytes: the body may be truncated\n", prog, (unsigned long long)got);
			goto done;
		}
		if (r < 0) {
			cli_print_error(prog, "receive", s, (int)r);
			goto done;
		}
		have = (size_t)r;
		pos = 0;
	}
	if (want != UINT64_MAX && got < want) {
		fprintf(stderr, "%s: short body: %llu of %llu bytes\n", prog, (unsigned long long)got,
			(unsigned long long)want);
		goto done;
	}
	if (!ok)
		goto done;
	if (o->have_sha && !no_body) {
		uint8_t d[32];
		unsigned dl = 0;
		EVP_DigestFinal_ex(md, d, &dl);
		if (memcmp(d, o->expect_sha, 32)) {
			fprintf(stderr, "%s: SHA-256 mismatch\n", prog);
			goto done;
		}
	}
	fprintf(stderr, "%s: HTTP %d, %llu body bytes\n", prog, h.status, (unsigned long long)got);
	rc = EXIT_OK;
	if (ktls_close(s)) { /* we got what we came for; a close error changes nothing */
	}
done:
	if (x.timed_out)
		rc = EXIT_NETWORK;
	if (out >= 0 && out != STDOUT_FILENO && close(out) && rc == EXIT_OK)
		rc = EXIT_USAGE;
	EVP_MD_CTX_free(md);
	free(buf);
	ktls_session_free(x.s);
	close(fd);
	return rc;
}

/* ---- the load generator -------------------------------------------------------------- */

enum lstate { L_CONNECT, L_HANDSHAKE, L_WAIT, L_SEND, L_FLUSH, L_HEAD, L_BODY, L_HOLD, L_CLOSE };

/* Descriptors the load generator needs besides one socket per connection. */
#define FD_RESERVE 16

/* Handshakes in flight at once: more only queue up at the server and risk its deadline. */
#define HS_WINDOW 64

struct lconn {
	struct lconn *prev, *next;
	struct event_watch ev; /* the socket and the interest registered with epoll */
	struct ktls_session *s;
	enum lstate st;
	bool tx_off;
	char *buf; /* request going out, then the response head coming in */
	size_t cap, len, pos;
	uint64_t want, got;
	EVP_MD_CTX *md;
	bool server_closes;
	int status;
};

struct load {
	const char *prog;
	const struct ktls_config *cfg;
	const struct get_opts *o;
	struct addrinfo *ai;
	int ep;
	struct lconn *conns;
	int nconns;
	long issued, ok, errors, connections, tx_offloaded, rx_offloaded, hs_done, hs_pending;
	long open_now, open_peak; /* connections through their handshake and not yet closed */
	bool released; /* every first connection is through its handshake: requests may go */
	unsigned long long bytes;
	char first_error[256];
	char body[65536];
};

static void lfree(struct load *l, struct lconn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	l->nconns--;
	if (c->st <= L_HANDSHAKE)
		l->hs_pending--;
	else
		l->open_now--;
	event_close(l->ep, &c->ev);
	ktls_session_free(c->s);
	EVP_MD_CTX_free(c->md);
	free(c->buf);
	free(c);
}

static void lerror(struct load *l, struct lconn *c, const char *what)
{
	l->errors++;
	if (!*l->first_error)
		snprintf(l->first_error, sizeof(l->first_error), "%s%s%s", what,
			 c && c->s && *ktls_session_error(c->s) ? ": " : "",
			 c && c->s ? ktls_session_error(c->s) : "");
	if (c) {
		/* a request in flight is lost; a connection that failed before its first one
		 * costs a request too, so that the run always ends */
		if (c->st <= L_HANDSHAKE && l->issued < l->o->requests)
			l->issued++;
		lfree(l, c);
	}
}

static bool lopen(struct load *l)
{
	struct lconn *c = calloc(1, sizeof(*c));
	if (!c)
		return false;
	c->ev.fd = socket(l->ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->ev.fd < 0) {
		free(c);
		lerror(l, NULL, strerror(errno));
		return false;
	}
	int one = 1;
	setsockopt(c->ev.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->st = L_CONNECT;
	event_add(l->ep, &c->ev, EPOLLOUT, c);
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->nconns++;
	l->connections++;
	l->hs_pending++;
	if (connect(c->ev.fd, l->ai->ai_addr, l->ai->ai_addrlen) && errno != EINPROGRESS) {
		lerror(l, c, "connect");
		return false;
	}
	return true;
}

/* Verifies a finished body and moves on to the next request (or the end). */
static void lbody_done(struct load *l, struct lconn *c, int status)
{
	bool good = status >= 200 && status < 300;
	if (good && l->o->have_sha) {
		uint8_t d[32];
		unsigned dl = 0;
		good = EVP_DigestFinal_ex(c->md, d, &dl) && !memcmp(d, l->o->expect_sha, 32);
		if (!good && !*l->first_error)
			snprintf(l->first_error, sizeof(l->first_error), "SHA-256 mismatch");
	} else if (!good && !*l->first_error) {
		snprintf(l->first_error, sizeof(l->first_error), "HTTP status %d", status);
	}
	if (good)
		l->ok++;
	else
		l->errors++;
	l->bytes += c->got;
	c->st = c->server_closes ? L_CLOSE : L_SEND;
	free(c->buf);
	c->buf = NULL;
}

static void lrun(struct load *l, struct lconn *c)
{
	for (;;) {
		switch (c->st) {
		case L_CONNECT: {
			int e = 0;
			socklen_t el = sizeof(e);
			getsockopt(c->ev.fd, SOL_SOCKET, SO_ERROR, &e, &el);
			if (e) {
				lerror(l, c, strerror(e));
				return;
			}
			if (!(c->s = ktls_session_new(l->cfg, c->ev.fd))) {
				lerror(l, c, "out of memory");
				return;
			}
			c->st = L_HANDSHAKE;
			break;
		}
		case L_HANDSHAKE: {
			int rc = ktls_session_handshake(c->s);
			if (rc == KTLS_WANT_READ || rc == KTLS_WANT_WRITE) {
				event_set(l->ep, &c->ev, rc == KTLS_WANT_READ ? EPOLLIN : EPOLLOUT, c);
				return;
			}
			if (rc) {
				lerror(l, c, "handshake failed");
				return;
			}
			struct ktls_session_info info;
			ktls_session_get_info(c->s, &info);
			c->tx_off = info.tx_offloaded;
			l->tx_offloaded += info.tx_offloaded;
			l->rx_offloaded += info.rx_offloaded;
			l->hs_done++;
			l->hs_pending--;
			if (++l->open_now > l->open_peak)
				l->open_peak = l->open_now;
			/* the first connections wait for each other: then all are open at once */
			c->st = l->released ? L_SEND : L_WAIT;
			break;
		}
		case L_WAIT: {
			long n = ktls_recv(c->s, l->body, sizeof(l->body));
			if (n == KTLS_WANT_READ) {
				event_set(l->ep, &c->ev, EPOLLIN, c);
				return;
			}
			lerror(l, c, "the server closed an idle connection before its first request");
			return;
		}
		case L_SEND:
			if (!c->buf) { /* a new request, or none left */
				if (l->issued >= l->o->requests) {
					c->st = l->o->hold > 0 ? L_HOLD : L_CLOSE;
					break;
				}
				l->issued++;
				/* the request, then the response head in the same buffer: HEAD_FIRST
				 * bytes (or the request's length), grown in L_HEAD while the head
				 * needs more, up to HEAD_CAP */
				size_t need = (size_t)format_request(NULL, 0, l->o, false) + 1;
				c->cap = need > HEAD_FIRST ? need : HEAD_FIRST;
				c->buf = malloc(c->cap);
				if (!c->buf) {
					lerror(l, c, "out of memory");
					return;
				}
				c->len = (size_t)format_request(c->buf, c->cap, l->o, false);
				c->pos = 0;
			}
			while (c->pos < c->len) {
				long n = ktls_send(c->s, c->buf + c->pos, c->len - c->pos);
				if (n == KTLS_WANT_WRITE) {
					event_set(l->ep, &c->ev, EPOLLOUT, c);
					return;
				}
				if (n < 0) {
					lerror(l, c, "send");
					return;
				}
				c->pos += (size_t)n;
			}
			c->st = L_FLUSH;
			break;
		case L_FLUSH:
			/* userspace TLS: the last record may still wait in the session */
			if (!c->tx_off) {
				int rc = ktls_session_flush(c->s);
				if (rc == KTLS_WANT_WRITE) {
					event_set(l->ep, &c->ev, EPOLLOUT, c);
					return;
				}
				if (rc) {
					lerror(l, c, "send");
					return;
				}
			}
			c->len = 0;
			c->st = L_HEAD;
			break;
		case L_HEAD: {
			struct http_response_head h;
			if (c->len == c->cap && c->cap < HEAD_CAP) {
				size_t cap = 2 * c->cap < HEAD_CAP ? 2 * c->cap : HEAD_CAP;
				char *p = realloc(c->buf, cap);
				if (!p) {
					lerror(l, c, "out of memory");
					return;
				}
				c->buf = p;
				c->cap = cap;
			}
			long n = ktls_recv(c->s, c->buf + c->len, c->cap - c->len);
			if (n == KTLS_WANT_READ) {
				event_set(l->ep, &c->ev, EPOLLIN, c);
				return;
			}
			if (n <= 0) {
				lerror(l, c, n == 0 ? "server closed before responding" : "receive");
				return;
			}
			c->len += (size_t)n;
			int prc = http_parse_response(c->buf, c->len, &h);
			if (prc == HTTP_INCOMPLETE && c->len < HEAD_CAP)
				break;
			if (prc || !h.has_length || h.chunked) {
				lerror(l, c, "malformed response head (or no Content-Length)");
				return;
			}
			c->server_closes = h.close;
			c->want = h.content_length;
			c->got = 0;
			if (!c->md)
				c->md = EVP_MD_CTX_new();
			if (!c->md || !EVP_DigestInit_ex(c->md, EVP_sha256(), NULL)) {
				lerror(l, c, "out of memory");
				return;
			}
			size_t extra = c->len - h.head_len;
			if (extra > c->want) {
				lerror(l, c, "more bytes than Content-Length");
				return;
			}
			EVP_DigestUpdate(c->md, c->buf + h.head_len, extra);
			c->got = extra;
			c->status = h.status;
			c->st = L_BODY;
			break;
		}
		case L_BODY:
			while (c->got < c->want) {
				uint64_t left = c->want - c->got;
				long n = ktls_recv(c->s, l->body,
						   left < sizeof(l->body) ? (size_t)left : sizeof(l->body));
				if (n == KTLS_WANT_READ) {
					event_set(l->ep, &c->ev, EPOLLIN, c);
					return;
				}
				if (n <= 0) {
					lerror(l, c, n == 0 ? "short body (close_notify)" : "short body");
					return;
				}
				EVP_DigestUpdate(c->md, l->body, (size_t)n);
				c->got += (uint64_t)n;
			}
			/* plaintext the session still holds past the body (ktls_pending): no
			 * request asked for it (keep-alive, one request at a time) */
			if (ktls_pending(c->s)) {
				lerror(l, c, "more bytes than Content-Length");
				return;
			}
			lbody_done(l, c, c->status);
			break;
		case L_HOLD: {
			/* idle until the hold ends (then L_CLOSE from the main loop); the server may
			 * close first: that is fine */
			long n = ktls_recv(c->s, l->body, sizeof(l->body));
			if (n == KTLS_WANT_READ) {
				event_set(l->ep, &c->ev, EPOLLIN, c);
				return;
			}
			lfree(l, c);
			return;
		}
		case L_CLOSE: {
			int rc = ktls_close(c->s);
			if (rc == KTLS_WANT_WRITE) {
				event_set(l->ep, &c->ev, EPOLLOUT, c);
				return;
			}
			lfree(l, c);
			return;
		}
		}
	}
}

int get_load(const char *prog, const struct ktls_config *cfg, const struct get_opts *o)
{
	/* one socket per connection, and a few for stdio, epoll, the resolver and a keylog */
	char what[48];
	snprintf(what, sizeof(what), "--concurrency %d", o->concurrency);
	if (!cli_raise_nofile(prog, (unsigned long)o->concurrency + FD_RESERVE, what))
		return EXIT_USAGE;
	struct load *l = calloc(1, sizeof(*l));
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	if (!l)
		return EXIT_USAGE;
	l->prog = prog;
	l->cfg = cfg;
	l->o = o;
	int gai = getaddrinfo(o->host, o->port, &hints, &l->ai);
	if (gai) {
		fprintf(stderr, "%s: cannot resolve %s: %s\n", prog, o->host, gai_strerror(gai));
		free(l);
		return EXIT_NETWORK;
	}
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	long target = o->concurrency, opened = 0;
	if (o->requests > 0 && o->requests < target)
		target = o->requests;
	double t0 = now_s(), deadline = t0 + o->timeout, hold_end = 0, t_done = 0;
	bool timed_out = false, holding = false;
	struct epoll_event ev[256];
	while (l->conns || opened < target) {
		double t = now_s();
		if (t >= deadline) {
			timed_out = true;
			break;
		}
		/* open the first connections, HS_WINDOW handshakes at a time */
		while (opened < target && l->hs_pending < HS_WINDOW) {
			opened++;
			lopen(l);
		}
		if (!l->released && opened == target && l->hs_pending == 0) {
			l->released = true;
			fprintf(stderr, "%s: %d connections open, %ld handshakes done in %.2f s\n", prog,
				l->nconns, l->hs_done, t - t0);
			for (struct lconn *c = l->conns, *next; c; c = next) {
				next = c->next;
				if (c->st == L_WAIT) {
					c->st = L_SEND;
					lrun(l, c);
				}
			}
			continue;
		}
		bool requests_done = l->released && l->issued >= o->requests &&
				     !(l->ok + l->errors < l->issued);
		if (requests_done && !t_done)
			t_done = t;
		if (requests_done && o->hold > 0 && !holding) {
			bool all_idle = true;
			for (struct lconn *c = l->conns; c; c = c->next)
				all_idle &= c->st == L_HOLD;
			if (all_idle) {
				holding = true;
				hold_end = t + o->hold;
				fprintf(stderr, "%s: holding %d connections open for %.1f s\n", prog,
					l->nconns, o->hold);
			}
		}
		if (holding && t >= hold_end) {
			for (struct lconn *c = l->conns, *next; c; c = next) {
				next = c->next;
				c->st = L_CLOSE;
				lrun(l, c);
			}
			continue;
		}
		int n = epoll_wait(l->ep, ev, 256, 50);
		for (int i = 0; i < n; i++)
			lrun(l, ev[i].data.ptr);
		if (!l->released)
			continue;
		/* replace connections the server closed (or that failed) while requests remain */
		long active = 0;
		for (struct lconn *c = l->conns; c; c = c->next)
			active += c->st != L_HOLD && c->st != L_CLOSE;
		while (l->issued < o->requests && active < target && l->nconns < target) {
			if (!lopen(l))
				break;
			active++;
		}
	}
	if (!t_done)
		t_done = now_s();
	long lost = 0;
	if (timed_out) {
		lost = o->requests - l->ok - l->errors;
		l->errors += lost;
		if (!*l->first_error)
			snprintf(l->first_error, sizeof(l->first_error), "timed out after %.1f s",
				 o->timeout);
		while (l->conns)
			lfree(l, l->conns);
	}
	double secs = t_done - t0;
	if (secs <= 0)
		secs = 1e-9;
	printf("%s: requests=%ld ok=%ld errors=%ld bytes=%llu seconds=%.3f req/s=%.1f bytes/s=%.0f "
	       "connections=%ld handshakes=%ld tx_offloaded=%ld rx_offloaded=%ld open_at_once=%ld\n",
	       prog, o->requests, l->ok, l->errors, l->bytes, secs, (double)l->ok / secs,
	       (double)l->bytes / secs, l->connections, l->hs_done, l->tx_offloaded,
	       l->rx_offloaded, l->open_peak);
	fflush(stdout);
	if (*l->first_error)
		fprintf(stderr, "%s: first error: %s\n", prog, l->first_error);
	int rc = timed_out ? EXIT_NETWORK : l->errors == 0 && l->ok == o->requests ? EXIT_OK : EXIT_TLS;
	freeaddrinfo(l->ai);
	close(l->ep);
	free(l);
	return rc;
}
