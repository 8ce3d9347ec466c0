/*
 * probe.c — kernel TLS capability probes (ktls_probe_kernel in ktls.h): bytes through the
 * kernel in both directions, checked against our own record layer.
 */
#include "keysched.h"
#include "ktls.h"
#include "offload.h"
#include "record.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const uint16_t probe_suites[KTLS_PROBE_SUITES] = {
	KTLS_TLS_CHACHA20_POLY1305_SHA256,
	KTLS_TLS_AES_128_GCM_SHA256,
	KTLS_TLS_AES_256_GCM_SHA384,
	KTLS_TLS_AES_128_CCM_SHA256, /* CCM_8 has no kernel cipher: nothing to probe */
};

/* A connected loopback TCP pair. Returns 0 or -1. */
static int tcp_pair(int fds[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fds[0] = fds[1] = -1;
	if (l < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen))
		goto fail;
	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	fds[1] = accept(l, NULL, NULL);
	if (fds[1] < 0)
		goto fail;
	close(l);
	return 0;
fail:
	close(l);
	if (fds[0] >= 0)
		close(fds[0]);
	fds[0] = -1;
	return -1;
}

static void close_pair(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}

/* Reads exactly n bytes within a second. */
static int read_exact(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 1000) <= 0)
			return -1;
		ssize_t r = recv(fd, buf + got, n - got, 0);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* TX: the kernel seals "kernel-tx-probe"; we open it with the same key. */
static int probe_tx(int fds[2], const struct ktls_suite *suite, const uint8_t *secret,
		     char *reason, size_t rlen)
{
	static const char msg[] = "kernel-tx-probe";
	uint8_t rec[64], type, *plain;
	size_t plain_len, rec_len = ktls_record_sealed_len(suite, sizeof(msg), 0);
	struct ktls_record_key rk;

	if (ktls_offload_install(setsockopt, fds[0], TLS_TX, suite, secret, 0, NULL, reason, rlen))
		return false;
	if (send(fds[0], msg, sizeof(msg), MSG_NOSIGNAL) != (ssize_t)sizeof(msg) ||
	    read_exact(fds[1], rec, rec_len)) {
		snprintf(reason, rlen, "TLS_TX accepted for %s but no record came out", suite->name);
		return false;
	}
	bool ok = !ktls_record_key_from_secret(&rk, suite, secret) &&
		  !ktls_record_open(&rk, rec, rec_len, &type, &plain, &plain_len) &&
		  type == TLS_CONTENT_APPLICATION_DATA && plain_len == sizeof(msg) &&
		  !memcmp(plain, msg, sizeof(msg));
	ktls_record_key_wipe(&rk);
	if (!ok)
		snprintf(reason, rlen, "the kernel's %s record does not open with the key it was given",
			 suite->name);
	return ok;
}

/* RX: we seal "kernel-rx-probe"; the kernel must hand it back as plaintext. */
static int probe_rx(int fds[2], const struct ktls_suite *suite, const uint8_t *secret,
		     char *reason, size_t rlen)
{
	static const char msg[] = "kernel-rx-probe";
	uint8_t rec[64], back[sizeof(msg)];
	size_t rec_len;
	struct ktls_record_key rk;

	if (ktls_offload_install(setsockopt, fds[0], TLS_RX, suite, secret, 0, NULL, reason, rlen))
		return false;
	bool ok = !ktls_record_key_from_secret(&rk, suite, secret) &&
		  !ktls_record_seal(&rk, TLS_CONTENT_APPLICATION_DATA, (const uint8_t *)msg,
				    sizeof(msg), 0, rec, sizeof(rec), &rec_len);
	ktls_record_key_wipe(&rk);
	if (!ok || send(fds[1], rec, rec_len, MSG_NOSIGNAL) != (ssize_t)rec_len ||
	    read_exact(fds[0], back, sizeof(back)) || memcmp(back, msg, sizeof(msg))) {
		snprintf(reason, rlen, "TLS_RX accepted for %s but our record did not come back "
			 "decrypted", suite->name);
		return false;
	}
	return true;
}

int ktls_probe_kernel(struct ktls_probe_result *r)
{
	uint8_t secret[48];
	int fds[2];
	int one = 1;

	memset(r, 0, sizeof(*r));
	r->tls_stat = access("/proc/net/tls_stat", R_OK) == 0;
	randombytes_buf(secret, sizeof(secret));

	if (tcp_pair(fds))
		return KTLS_EIO;
	r->ulp = !ktls_offload_attach(setsockopt, fds[0], r->ulp_reason, sizeof(r->ulp_reason));
	close_pair(fds);

	for (int i = 0; i < KTLS_PROBE_SUITES; i++) {
		struct ktls_probe_cipher *c = &r->ciphers[i];
		const struct ktls_suite *suite = ktls_suite_find(probe_suites[i]);
		c->suite = probe_suites[i];
		if (!r->ulp) {
			snprintf(c->reason, sizeof(c->reason), "%s", r->ulp_reason);
			continue;
		}
		if (tcp_pair(fds))
			return KTLS_EIO;
		if (!ktls_offload_attach(setsockopt, fds[0], c->reason, sizeof(c->reason))) {
			c->tx = probe_tx(fds, suite, secret, c->reason, sizeof(c->reason));
			c->rx = probe_rx(fds, suite, secret, c->reason, sizeof(c->reason));
			if (c->tx && c->rx)
				c->reason[0] = 0;
			/* options and rekey, tried on the first suite that works */
			if (c->tx && c->rx && i == 0) {
				r->zerocopy_tx = setsockopt(fds[0], SOL_TLS, TLS_TX_ZEROCOPY_RO, &one,
							    sizeof(one)) == 0;
				r->rx_no_pad = setsockopt(fds[0], SOL_TLS, TLS_RX_EXPECT_NO_PAD, &one,
							  sizeof(one)) == 0;
				char ignore[200];
				uint8_t next[48];
				if (!ktls_next_traffic_secret(suite->md(), secret, next))
					r->rekey = !ktls_offload_install(setsockopt, fds[0], TLS_TX, suite,
									 next, 0, NULL, ignore,
									 sizeof(ignore));
				sodium_memzero(next, sizeof(next));
			}
		}
		close_pair(fds);
	}
	sodium_memzero(secret, sizeof(secret));
	return 0;
}
