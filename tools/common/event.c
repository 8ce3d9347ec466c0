/*
 * event.c — epoll interest bookkeeping (event.h).
 */
#include "event.h"

#include <sys/epoll.h>
#include <unistd.h>

int event_add(int ep, struct event_watch *w, uint32_t ev, void *ptr)
{
	struct epoll_event e = { .events = ev, .data.ptr = ptr };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, w->fd, &e))
		return -1;
	w->events = ev;
	return 0;
}

void event_set(int ep, struct event_watch *w, uint32_t ev, void *ptr)
{
	if (w->events == ev)
		return;
	struct epoll_event e = { .events = ev, .data.ptr = ptr };
	if (epoll_ctl(ep, EPOLL_CTL_MOD, w->fd, &e) == 0)
		w->events = ev;
}

void event_close(int ep, struct event_watch *w)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	w->fd = -1;
}
