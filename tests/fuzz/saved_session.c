/*
 * saved_session.c — fuzz target: the client's saved-session file, and the resumption it
 * offers.
 *
 * What ktls_session_save writes (`ktls-client --sess-out`) comes back from a file through
 * ktls_session_resume, and a file can hold anything. The input is such a file, handed to
 * ktls_session_resume on a fresh client session. Bytes that are not a saved session must be
 * refused with KTLS_EDECODE and nothing else. Bytes that decode must encode again, with
 * ktls_saved_session_encode, to the same bytes — with one exception the format allows: the
 * decoder takes ALPN and SNI strings with a NUL inside, which the encoder (C strings) writes
 * cut at the NUL; then the encoding is shorter and decodes to the same values.
 *
 * A session that decoded then runs a handshake against our server on a socketpair: the
 * client offers the saved ticket when it is fresh for the wall clock (its issued_ms and
 * lifetime say so) and its suite is one we offer, with a binder from the saved PSK, and the
 * server opens the ticket (support/fuzz.h: a fixed ticket key, so the tickets of the seeds,
 * recorded by gen_corpus in another process, open here) and checks the binder and the age.
 * The handshake may fail (a changed PSK gives a wrong binder) but must settle.
 */
#include "session.h"
#include "support/fuzz.h"
#include "ticket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fail(const char *what)
{
	fprintf(stderr, "saved_session fuzz: %s\n", what);
	abort();
}

/* The same values, the strings compared as the library uses them (C strings). */
static bool same_session(const struct ktls_saved_session *a, const struct ktls_saved_session *b)
{
	const struct ktls_ticket_state *x = &a->state, *y = &b->state;
	return x->suite == y->suite && x->psk_len == y->psk_len &&
	       !memcmp(x->psk, y->psk, x->psk_len) && x->age_add == y->age_add &&
	       x->issued_ms == y->issued_ms && x->lifetime_s == y->lifetime_s &&
	       !strcmp(x->alpn, y->alpn) && !strcmp(x->sni, y->sni) &&
	       a->ticket_len == b->ticket_len && !memcmp(a->ticket, b->ticket, a->ticket_len);
}

static void check_round_trip(const struct ktls_saved_session *decoded, const uint8_t *in,
			     size_t n)
{
	static uint8_t out[4096]; /* a saved session is at most 1614 bytes */
	static struct ktls_saved_session again;
	size_t len;
	if (ktls_saved_session_encode(decoded, out, sizeof(out), &len))
		fail("a saved session that decodes does not encode");
	if (len == n && !memcmp(out, in, n))
		return;
	/* a string cut at a NUL shortens the encoding, and nothing else may differ */
	if (len >= n)
		fail("a saved session encodes to other bytes than it was decoded from");
	if (ktls_saved_session_decode(out, len, &again) || !same_session(decoded, &again))
		fail("a saved session encodes to bytes that decode to other values");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd[2];
	/* the configs before the reset: the first input makes them, drawing random bytes */
	const struct ktls_config *ccfg = fuzz_client_config(0), *scfg = fuzz_server_config(0);
	fuzz_rng_reset();
	fuzz_socketpair(fd);
	struct ktls_session *c = ktls_session_new(ccfg, fd[0]);
	if (!c)
		abort();
	int rc = ktls_session_resume(c, data, size);
	if (rc && rc != KTLS_EDECODE)
		fail("ktls_session_resume refused bytes with another error than KTLS_EDECODE");
	if (!rc) {
		check_round_trip(c->e->offer, data, size);
		struct ktls_session *s = ktls_session_new(scfg, fd[1]);
		int crc, src;
		if (!s)
			abort();
		fuzz_handshake_pair(c, s, &crc, &src);
		/* settled: both done, or one failed (the other may wait for what never comes) */
		if (crc == KTLS_WANT_WRITE || src == KTLS_WANT_WRITE ||
		    (crc == KTLS_WANT_READ && src == KTLS_WANT_READ))
			fail("the handshake neither completes nor fails");
		ktls_session_free(s);
	}
	ktls_session_free(c);
	close(fd[0]);
	close(fd[1]);
	return 0;
}
