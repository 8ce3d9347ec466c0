/*
 * pair.h — our client and our server in one test process: two sessions on the two ends of
 * a connection (a socketpair, or loopback TCP when the kernel's TLS is wanted), both
 * non-blocking, stepped in turn exactly as an epoll loop would step them.
 */
#ifndef KTLS_TEST_PAIR_H
#define KTLS_TEST_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktls.h"

struct session_pair {
	int cfd, sfd;                  /* client's and server's ends */
	struct ktls_config *ccfg, *scfg;
	struct ktls_session *c, *s;    /* made by pair_handshake when still NULL */
	int crc, src;                  /* last handshake results */
	int want_reads;                /* how often a side had to wait for input */
};

/* The test certificate file `name` ("ca.pem") in $KTLS_CERTS, else build/certs. The string
 * lives until the eighth call after this one. */
const char *test_cert(const char *name);

/* Opens both ends (tcp: loopback TCP, else a UNIX socketpair) and two default configs: the
 * server with certs server-ecdsa, the client trusting ca.pem for "localhost". Returns 0 or
 * -1. */
int pair_open(struct session_pair *p, bool tcp);
void pair_close(struct session_pair *p);
/* Steps both handshakes until each is done or failed; when one side fails, the other gets
 * a chance to read its alert. */
void pair_handshake(struct session_pair *p);
/* Sends len bytes from one session and receives them on the other (non-blocking, both
 * stepped); true when every byte arrived equal. */
bool pair_transfer(struct ktls_session *from, struct ktls_session *to, const uint8_t *data,
		   size_t len, uint8_t *got);

/* Reads one whole record (header + body) from fd into rec, *len its size, waiting up to
 * 20 s for each part; rec holds TLS_MAX_RECORD bytes. Returns 0, a header's KTLS_E* code,
 * or -1. */
int pair_read_record(int fd, uint8_t *rec, size_t *len);
/* Reads the next record that is not a handshake record (tickets) from `reader`, a session
 * with the userspace record layer, opened with its read key: its content type into *type
 * and its plaintext into buf (cap bytes; *len gets the length). Waits on fd for input (a
 * bounded number of polls). Returns 0, or a KTLS_E* code / -1 on timeout. Lets a test see
 * record boundaries, which ktls_recv hides. */
int pair_next_record(struct ktls_session *reader, int fd, uint8_t *type, uint8_t *buf, size_t cap,
		     size_t *len);
/* KTLS_SEND_MORE from the server p->s as the client p->c sees it (the client with the
 * userspace record layer): bytes sent with the flag lead the next send's record, and
 * ktls_session_flush ends a record held open. 0, or -1 with the difference on stderr. */
int pair_check_send_more(struct session_pair *p);
/* The same for ktls_close: held bytes go in a record of their own, then close_notify. */
int pair_check_close_after_more(struct session_pair *p);

#endif
