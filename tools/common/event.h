/*
 * event.h — what the two epoll loops of the tools share: the server of tools/httpd and the
 * load generator of tools/httpget.
 *
 * Only the interest bookkeeping is shared. The two connection machines look alike (a
 * non-blocking socket, a session driven by KTLS_WANT_READ / KTLS_WANT_WRITE, a list of
 * connections) but differ where it matters: the server accepts, gives unfinished handshakes
 * a slot, memory and time budget and evicts them under pressure, parses requests, answers
 * with sendfile and lingers on close; the load generator connects, releases requests only
 * once every connection is through its handshake, parses response heads, hashes bodies and
 * replaces connections that fail. A common machine would be a table of callbacks as large
 * as either loop, so each keeps its own states and this file keeps the one piece that is
 * the same word for word.
 */
#ifndef KTLS_TOOLS_EVENT_H
#define KTLS_TOOLS_EVENT_H

#include <stdint.h>

/* A socket in an epoll set, with the interest epoll holds for it. */
struct event_watch {
	int fd;
	uint32_t events; /* EPOLLIN / EPOLLOUT as last set */
};

/* Adds w->fd to ep with interest ev; epoll_wait gives ptr back. Returns 0 or -1 (errno). */
int event_add(int ep, struct event_watch *w, uint32_t ev, void *ptr);
/* Changes the interest to ev; no system call when it is already ev. A failed change keeps
 * the old value recorded, so the next call tries again. */
void event_set(int ep, struct event_watch *w, uint32_t ev, void *ptr);

/* Takes w->fd out of ep and closes it (w->fd becomes -1). */
void event_close(int ep, struct event_watch *w);

#endif
