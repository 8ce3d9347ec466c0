/*
 * io_test.c — the socket edge cases a TLS endpoint meets: records dribbling in a byte at a
 * time, system calls interrupted by signals (EINTR), a peer that vanishes (EPIPE with
 * SIGPIPE left at its default, which would kill the process if we let it), and a peer that
 * resets the connection. EAGAIN on non-blocking sockets runs through every pair test.
 */
#include "harness.h"

#include "ktls.h"
#include "record.h"
#include "session.h"
#include "support/pair.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

FIXTURE(io)
{
	struct session_pair p;
};

FIXTURE_SETUP(io)
{
	ASSERT_EQ(0, pair_open(&self->p, false));
}

FIXTURE_TEARDOWN(io)
{
	pair_close(&self->p);
}

/* Moves at most one byte each way between a and b; returns how many moved. */
static int relay_one_byte(int a, int b)
{
	uint8_t c;
	int moved = 0;
	if (read(a, &c, 1) == 1 && write(b, &c, 1) == 1)
		moved++;
	if (read(b, &c, 1) == 1 && write(a, &c, 1) == 1)
		moved++;
	return moved;
}

/* Client and server each talk to the test, which passes bytes on one at a time: every
 * record arrives in pieces, headers split anywhere. */
TEST_F(io, records_arrive_a_byte_at_a_time)
{
	int c2[2], s2[2];
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, c2));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, s2));
	for (int i = 0; i < 2; i++) {
		fcntl(c2[i], F_SETFL, O_NONBLOCK);
		fcntl(s2[i], F_SETFL, O_NONBLOCK);
	}
	struct ktls_session *c = ktls_session_new(self->p.ccfg, c2[0]);
	struct ktls_session *s = ktls_session_new(self->p.scfg, s2[0]);
	int crc = KTLS_WANT_READ, src = KTLS_WANT_READ, steps = 0;
	while ((crc == KTLS_WANT_READ || src == KTLS_WANT_READ) && steps++ < 200000) {
		if (crc == KTLS_WANT_READ)
			crc = ktls_session_handshake(c);
		if (src == KTLS_WANT_READ)
			src = ktls_session_handshake(s);
		relay_one_byte(c2[1], s2[1]);
	}
	ASSERT_EQ(0, crc);
	ASSERT_EQ(0, src);
	TH_LOG("handshake took %d one-byte steps", steps);

	ASSERT_EQ(11, ktls_send(c, "dribble me!", 11));
	char got[16];
	long n = KTLS_WANT_READ;
	for (int i = 0; i < 1000 && n == KTLS_WANT_READ; i++) {
		relay_one_byte(c2[1], s2[1]);
		n = ktls_recv(s, got, sizeof(got));
	}
	ASSERT_EQ(11, n);
	ASSERT_MEMEQ("dribble me!", got, 11);
	ktls_session_free(c);
	ktls_session_free(s);
	for (int i = 0; i < 2; i++) {
		close(c2[i]);
		close(s2[i]);
	}
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A blocking handshake while a timer interrupts every system call (no SA_RESTART): EINTR
 * from recv, send and poll is retried, not reported. The server answers late, from a
 * child process, so the client really sits in recv while the signals land. */
TEST_F(io, blocking_handshake_survives_eintr)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } }, off = { { 0, 0 }, { 0, 0 } };
	fcntl(self->p.cfd, F_SETFL, 0);
	fcntl(self->p.sfd, F_SETFL, 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct ktls_session *s;
		usleep(200000);
		int rc = ktls_handshake(self->p.sfd, self->p.scfg, &s);
		char buf[8];
		if (!rc)
			rc = ktls_recv(s, buf, sizeof(buf)) == 5 ? 0 : 1;
		_exit(rc ? 1 : 0);
	}
	close(self->p.sfd);
	self->p.sfd = -1;
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &every_ms, NULL));
	struct ktls_session *c;
	int rc = ktls_handshake(self->p.cfd, self->p.ccfg, &c);
	long sent = rc ? rc : ktls_send(c, "hello", 5);
	setitimer(ITIMER_REAL, &off, NULL);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(5, sent);
	if (rc)
		TH_LOG("%s", ktls_session_error(c));
	int status;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ktls_session_free(c);
}

/* The peer is gone: sending must not raise SIGPIPE (left at its default here, which would
 * kill this test) but fail with KTLS_EIO and a reason. */
TEST_F(io, vanished_peer_is_an_error_not_sigpipe)
{
	signal(SIGPIPE, SIG_DFL);
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	close(self->p.sfd);
	self->p.sfd = -1;
	long n = ktls_send(self->p.c, "anyone there?", 13);
	if (n > 0) /* the first send may still be taken by the socket */
		n = ktls_send(self->p.c, "anyone there?", 13);
	EXPECT_EQ(KTLS_EIO, n);
	EXPECT_NONNULL(strstr(ktls_session_error(self->p.c), "send"));
}

/* The peer resets the connection while we wait for data. */
TEST_F(io, reset_while_receiving)
{
	char buf[16];
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	ASSERT_EQ(4, ktls_send(self->p.c, "junk", 4)); /* unread by the server: close resets */
	close(self->p.sfd);
	self->p.sfd = -1;
	long n = ktls_recv(self->p.c, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EIO, n);
	EXPECT_STREQ("recv: Connection reset by peer", ktls_session_error(self->p.c));
}

/* The peer closes the TCP connection without close_notify: a truncation, reported. */
TEST_F(io, close_without_close_notify_is_reported)
{
	char buf[16];
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	shutdown(self->p.sfd, SHUT_WR);
	EXPECT_EQ(KTLS_ECLOSED, ktls_recv(self->p.c, buf, sizeof(buf)));
	EXPECT_STREQ("connection closed without close_notify", ktls_session_error(self->p.c));
}

/* KTLS_SEND_MORE with the userspace record layer: held bytes lead the next record, at most
 * a record's worth is held, and a send without the flag, a flush or close sends them. */
TEST_F(io, send_more_holds_bytes_for_the_next_record)
{
	static uint8_t big[20000];
	uint8_t got[TLS_MAX_PLAINTEXT], type;
	size_t n;
	struct session_pair *p = &self->p;
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	ASSERT_EQ(KTLS_EINVAL, ktls_send_flags(p->s, "a", 1, 0x80));

	ASSERT_EQ(0, pair_check_send_more(p));

	/* more than a record: the full one goes, the rest waits for a send of nothing */
	memset(big, 'b', sizeof(big));
	ASSERT_EQ((long)sizeof(big), ktls_send_flags(p->s, big, sizeof(big), KTLS_SEND_MORE));
	ASSERT_EQ(0, ktls_send(p->s, "", 0));
	ASSERT_EQ(0, pair_next_record(p->c, p->cfd, &type, got, sizeof(got), &n));
	EXPECT_EQ(16384u, n);
	ASSERT_EQ(0, pair_next_record(p->c, p->cfd, &type, got, sizeof(got), &n));
	EXPECT_EQ(sizeof(big) - 16384, n);

	ASSERT_EQ(0, pair_check_close_after_more(p));
}

/* Held bytes and the next send's bytes share a record in that order, byte for byte (they are
 * sealed together in place in the output queue), and the rest of the send follows in full
 * records. */
TEST_F(io, held_bytes_lead_the_next_record_in_order)
{
	static uint8_t data[40000], got[TLS_MAX_PLAINTEXT];
	uint8_t type;
	size_t n, off = 0;
	struct session_pair *p = &self->p;
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8));

	ASSERT_EQ(1000, ktls_send_flags(p->s, data, 1000, KTLS_SEND_MORE));
	ASSERT_EQ(700, ktls_send_flags(p->s, data + 1000, 700, KTLS_SEND_MORE));
	ASSERT_EQ((long)sizeof(data) - 1700, ktls_send(p->s, data + 1700, sizeof(data) - 1700));
	ASSERT_EQ(0, ktls_session_flush(p->s));
	static const size_t want[] = { 16384, 16384, 40000 - 2 * 16384 };
	for (int r = 0; r < 3; r++) {
		ASSERT_EQ(0, pair_next_record(p->c, p->cfd, &type, got, sizeof(got), &n));
		EXPECT_EQ(TLS_CONTENT_APPLICATION_DATA, type);
		ASSERT_EQ(want[r], n);
		ASSERT_MEMEQ(data + off, got, n);
		off += n;
	}
}

/* ktls_recv on a non-blocking session: KTLS_WANT_READ waits for the socket, bounded. */
static long recv_polled(struct ktls_session *s, int fd, void *buf, size_t len)
{
	long n;
	for (int i = 0; i < 100 && (n = ktls_recv(s, buf, len)) == KTLS_WANT_READ; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		poll(&p, 1, 100);
	}
	return n;
}

/* ktls_pending (issue 13): 10,000 bytes in one record, read 100 at a time with the userspace
 * record layer. After the first 100 the socket is empty — poll says "not readable" — and
 * ktls_pending says where the other 9,900 are; each call then returns 100 without reading
 * the socket. */
TEST_F(io, pending_counts_plaintext_held_in_the_session)
{
	static uint8_t data[10000], got[10000];
	struct session_pair *p = &self->p;
	EXPECT_EQ(0u, ktls_pending(NULL));
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	EXPECT_EQ(0u, ktls_pending(p->c));
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	ASSERT_EQ((long)sizeof(data), ktls_send(p->s, data, sizeof(data)));
	ASSERT_EQ(0, ktls_session_flush(p->s));

	ASSERT_EQ(100, recv_polled(p->c, p->cfd, got, 100)); /* tickets, then the record */
	EXPECT_EQ(9900u, ktls_pending(p->c));
	struct pollfd pf = { .fd = p->cfd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pf, 1, 0)); /* what an event loop would wait on: nothing */
	size_t have = 100;
	while (have < sizeof(data)) {
		ASSERT_EQ(sizeof(data) - have, ktls_pending(p->c));
		ASSERT_EQ(100, ktls_recv(p->c, got + have, 100));
		have += 100;
	}
	EXPECT_EQ(0u, ktls_pending(p->c));
	ASSERT_MEMEQ(data, got, sizeof(data));
	EXPECT_EQ(KTLS_WANT_READ, ktls_recv(p->c, got, 100));
}

/* Issue 13: on a blocking socket, ktls_recv that consumed the server's NewSessionTickets
 * and finds nothing more to read returns KTLS_WANT_READ instead of blocking for data the
 * server never sends unasked (an interactive client polls its terminal too). (Before the
 * fix that call never returned: the alarm ends the test then.) */
TEST_F(io, blocking_recv_returns_after_records_without_data)
{
	struct session_pair *p = &self->p;
	char buf[64];
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	/* the client's session as one made on a blocking socket */
	ASSERT_EQ(0, fcntl(p->cfd, F_SETFL, 0));
	p->c->blocking = true;
	struct pollfd pf = { .fd = p->cfd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pf, 1, 5000)); /* the server's tickets are there */
	alarm(20);
	ASSERT_EQ(KTLS_WANT_READ, ktls_recv(p->c, buf, sizeof(buf)));
	alarm(0);
	uint8_t saved[4096];
	EXPECT_LT(0, ktls_session_save(p->c, saved, sizeof(saved))); /* the tickets were read */
	/* data comes: the next call returns it */
	ASSERT_EQ(4, ktls_send(p->s, "late", 4));
	ASSERT_EQ(0, ktls_session_flush(p->s));
	ASSERT_EQ(4, ktls_recv(p->c, buf, sizeof(buf)));
	ASSERT_MEMEQ("late", buf, 4);
}

TEST_HARNESS_MAIN
