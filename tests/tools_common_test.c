/*
 * tools_common_test.c — tools/common (libcommon.a), what every tool shares: the JSON string
 * escaper in both forms (buffer and stream give the same bytes; RFC 8259 §7 escapes, high
 * bytes passed through, a buffer too small refused), the monotonic clock, and the epoll
 * interest bookkeeping (a change reaches epoll, an unchanged interest makes no call, close
 * takes the socket out).
 */
#include "harness.h"

#include "common/clock.h"
#include "common/event.h"
#include "common/json.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* json_fput's output for s, in a static buffer. */
static const char *fput(const char *s)
{
	static char out[256];
	memset(out, 0, sizeof(out));
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");
	if (!f)
		return "(fmemopen failed)";
	json_fput(f, s);
	fclose(f);
	return out;
}

TEST(json_string_escaping)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "TlsTxSw", "\"TlsTxSw\"" },
		{ "", "\"\"" },
		{ "a\"b\\c/d", "\"a\\\"b\\\\c/d\"" },
		{ "\n\r\t\b\f\x01\x1f\x7f", "\"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[128];
		ASSERT_EQ(0, json_string(out, sizeof(out), cases[i].in));
		EXPECT_STREQ(cases[i].out, out);
		EXPECT_STREQ(cases[i].out, fput(cases[i].in)); /* the same on a stream */
	}
}

TEST(json_string_too_small)
{
	char small[8];
	memset(small, 'x', sizeof(small));
	EXPECT_EQ(-1, json_string(small, 4, "abcd"));
	EXPECT_EQ(0, small[0]);
	EXPECT_EQ(-1, json_string(small, 0, ""));
	EXPECT_EQ(-1, json_string(small, 2, ""));
	/* exactly enough: quotes, the escape and the NUL */
	EXPECT_EQ(0, json_string(small, 5, "\n"));
	EXPECT_STREQ("\"\\n\"", small);
	EXPECT_EQ(-1, json_string(small, 4, "\n"));
	EXPECT_EQ(-1, json_string(small, 8, "\x01")); /* "\u0001" needs 9 */
}

TEST(clock_is_monotonic_milliseconds)
{
	int64_t a = clock_now_ms();
	struct timespec pause = { .tv_nsec = 20 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	int64_t b = clock_now_ms();
	EXPECT_GE(b - a, 20);
	EXPECT_LT(b - a, 60 * 1000); /* milliseconds, not microseconds */
}

TEST(event_interest)
{
	int sv[2];
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int ep = epoll_create1(0);
	ASSERT_GE(ep, 0);
	struct event_watch w = { .fd = sv[0] };
	int tag;
	ASSERT_EQ(0, event_add(ep, &w, EPOLLIN, &tag));
	EXPECT_EQ(EPOLLIN, w.events);
	struct epoll_event ev;
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0)); /* nothing to read yet */
	event_set(ep, &w, EPOLLOUT, &tag);
	EXPECT_EQ(EPOLLOUT, w.events);
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 0)); /* a socket pair is writable */
	EXPECT_EQ(&tag, ev.data.ptr);
	EXPECT_EQ(EPOLLOUT, ev.events);
	/* the same interest again: no epoll_ctl (the fd is closed under it, which would fail) */
	int saved = w.fd;
	w.fd = -1;
	event_set(ep, &w, EPOLLOUT, &tag);
	EXPECT_EQ(EPOLLOUT, w.events);
	/* a change that fails keeps the old interest recorded */
	event_set(ep, &w, EPOLLIN, &tag);
	EXPECT_EQ(EPOLLOUT, w.events);
	w.fd = saved;
	event_close(ep, &w);
	EXPECT_EQ(-1, w.fd);
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	EXPECT_EQ(-1, fcntl(saved, F_GETFD)); /* closed */
	close(sv[1]);
	close(ep);
}

TEST_HARNESS_MAIN
