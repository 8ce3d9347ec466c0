/*
 * post_handshake.c — fuzz target: the post-handshake control-record handler.
 *
 * Our client and our server complete a handshake on a socketpair, both over the userspace
 * record layer (offload none). The input then becomes records that one of them (the peer)
 * seals with its real application traffic key, so they reach the target's record handler
 * past the AEAD: alerts, NewSessionTicket, KeyUpdate, application data, unknown types.
 *
 * Input: byte 0 bit 0 picks the target (0: the client receives from the server, 1: the
 * server from the client); then records, each [content type][u16 length][plaintext], the
 * last one cut to what is left. Type 0 is not sealable and is skipped. After each record the
 * target runs ktls_recv until it wants input, reaches close_notify, or fails.
 *
 * When a handshake record ends with a well-formed KeyUpdate, the peer moves its own sending
 * key on as §4.6.3 requires of the sender, so that the records after it still authenticate
 * under the target's new receiving key. The peer never reads what the target sends back.
 */
#include "session.h"
#include "support/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* True when the record's handshake messages end with a whole, well-formed KeyUpdate. */
static bool ends_with_key_update(const uint8_t *p, size_t n)
{
	size_t off = 0;
	bool last_ku = false;
	while (n - off >= 4) {
		size_t len = (size_t)p[off + 1] << 16 | (size_t)p[off + 2] << 8 | p[off + 3];
		if (len > n - off - 4)
			return false;
		last_ku = p[off] == TLS_HS_KEY_UPDATE && len == 1 && p[off + 4] <= 1;
		off += 4 + len;
	}
	return off == n && last_ku;
}

static void peer_key_update(struct ktls_session *peer)
{
	uint8_t *own = ktls_engine_app_secret(peer->e, KTLS_DIR_TX);
	if (ktls_next_traffic_secret(peer->e->suite->md(), own, own) || ktls_engine_set_tx_secret(peer->e, own))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int fd[2];
	/* the configs before the reset: the first input makes them, drawing random bytes */
	const struct ktls_config *ccfg = fuzz_client_config(0), *scfg = fuzz_server_config(0);
	fuzz_rng_reset();
	fuzz_socketpair(fd);
	struct ktls_session *c = ktls_session_new(ccfg, fd[0]);
	struct ktls_session *s = ktls_session_new(scfg, fd[1]);
	if (!c || !s)
		abort();
	int crc, src;
	fuzz_handshake_pair(c, s, &crc, &src);
	if (crc || src) {
		fprintf(stderr, "post_handshake fuzz: the handshake failed: %s / %s\n",
			ktls_session_error(c), ktls_session_error(s));
		abort();
	}

	struct ktls_session *target = data[0] & 1 ? s : c, *peer = data[0] & 1 ? c : s;
	int peer_fd = data[0] & 1 ? fd[0] : fd[1];
	static uint8_t buf[TLS_MAX_PLAINTEXT + 1];
	size_t off = 1;
	bool done = false;
	while (off < size && !done) {
		uint8_t type = data[off++];
		size_t len = 0;
		if (size - off >= 2) {
			len = (size_t)data[off] << 8 | data[off + 1];
			off += 2;
		} else {
			off = size;
		}
		if (len > size - off)
			len = size - off;
		const uint8_t *p = data + off;
		off += len;
		if (type == 0 || len > TLS_MAX_PLAINTEXT)
			continue; /* not a record the peer can seal */
		if (ktls_engine_send_record(peer->e, type, p, len) || ktls_session_flush(peer))
			abort(); /* the socket holds far more than one record */
		if (type == TLS_CONTENT_HANDSHAKE && ends_with_key_update(p, len))
			peer_key_update(peer);
		for (int i = 0; i < 64; i++) {
			long n = ktls_recv(target, buf, sizeof(buf));
			fuzz_drain(peer_fd);
			if (n == KTLS_WANT_READ)
				break;
			if (n <= 0) {
				done = true; /* close_notify or an error: the session is finished */
				break;
			}
			if (i == 63) {
				fprintf(stderr, "post_handshake fuzz: ktls_recv keeps returning data\n");
				abort();
			}
		}
	}
	ktls_session_free(c);
	ktls_session_free(s);
	close(fd[0]);
	close(fd[1]);
	return 0;
}
