/*
 * ktls_test.c — kernel TLS for real: runs where the kernel has kTLS (inside tools/ktls-vm
 * on machines whose kernel has not; tests/kernel_test.sh decides). Nothing here skips: a
 * kernel that cannot take the keys fails these tests.
 *
 * Every test crosses the four suites the kernel can carry (FIXTURE_VARIANT); CCM_8, which it
 * cannot, has a test of its own. Client and server run in this one
 * process over a loopback TCP connection with non-blocking sockets, as an epoll loop would
 * drive them; after the handshake both hand their keys to the kernel.
 */
#include "harness.h"

#include "diag/diag.h"
#include "ktls.h"
#include "session.h" /* to play a server that sends right behind its Finished */
#include "support/pair.h"
#include "support/rawpeer.h"
#include "alert.h"
#include "keysched.h"
#include "offload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/tls.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads /proc/net/tls_stat's counter name, or -1. */
static long tls_stat(const char *name)
{
	char line[128], key[64];
	long val = -1, v;
	FILE *f = fopen("/proc/net/tls_stat", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &v) == 2 && !strcmp(key, name))
			val = v;
	if (f)
		fclose(f);
	return val;
}

FIXTURE(kernel)
{
	struct session_pair p;
};

FIXTURE_VARIANT(kernel)
{
	const char *ciphers;
	uint16_t suite;
	uint16_t cipher; /* TLS_CIPHER_*, as sock_diag reports it */
};

/* every suite the kernel can carry (TLS_AES_128_CCM_8_SHA256 cannot: see below) */
FIXTURE_VARIANT_ADD(kernel, chacha20_poly1305) { "chacha20", KTLS_TLS_CHACHA20_POLY1305_SHA256,
						 TLS_CIPHER_CHACHA20_POLY1305 };
FIXTURE_VARIANT_ADD(kernel, aes_128_gcm) { "aes128", KTLS_TLS_AES_128_GCM_SHA256,
					   TLS_CIPHER_AES_GCM_128 };
FIXTURE_VARIANT_ADD(kernel, aes_256_gcm) { "aes256", KTLS_TLS_AES_256_GCM_SHA384,
					   TLS_CIPHER_AES_GCM_256 };
FIXTURE_VARIANT_ADD(kernel, aes_128_ccm) { "aes128ccm", KTLS_TLS_AES_128_CCM_SHA256,
					   TLS_CIPHER_AES_CCM_128 };

FIXTURE_SETUP(kernel)
{
	ASSERT_EQ(0, pair_open(&self->p, true)); /* loopback TCP: the kernel can take it */
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.ccfg, variant->ciphers));
	/* the CCM suites are off by default: the server takes the variant's suite */
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.scfg, variant->ciphers));
}

FIXTURE_TEARDOWN(kernel)
{
	pair_close(&self->p);
}

static void expect_offloaded(struct ktls_session *s, uint16_t suite)
{
	struct ktls_session_info info;
	ASSERT_EQ(0, ktls_session_get_info(s, &info));
	EXPECT_EQ(suite, info.cipher_suite);
	EXPECT_EQ(1, info.tx_offloaded);
	EXPECT_EQ(1, info.rx_offloaded);
	if (!info.tx_offloaded || !info.rx_offloaded)
		TH_LOG("offload status: %s", info.offload_status);
}

TEST_F(kernel, offload_in_both_roles)
{
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	expect_offloaded(self->p.c, variant->suite);
	expect_offloaded(self->p.s, variant->suite);
}

TEST_F_TIMEOUT(kernel, data_integrity_across_record_boundaries, 120)
{
	static const size_t sizes[] = { 1, 100, 16383, 16384, 16385, 65536 + 7, 1 << 20 };
	size_t max = 1 << 20;
	uint8_t *data = malloc(max), *got = malloc(max);
	ASSERT_NONNULL(data);
	ASSERT_NONNULL(got);
	for (size_t i = 0; i < max; i++)
		data[i] = (uint8_t)(i * 131 + (i >> 11));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		EXPECT_TRUE(pair_transfer(self->p.c, self->p.s, data, sizes[i], got));
		EXPECT_TRUE(pair_transfer(self->p.s, self->p.c, data, sizes[i], got));
	}
	free(data);
	free(got);
}

TEST_F_TIMEOUT(kernel, sendfile_64mib_checked_by_sha256, 300)
{
	const size_t size = 64u << 20;
	char path[] = "/tmp/ktls-sendfile-XXXXXX";
	int fd = mkstemp(path);
	uint8_t *buf = malloc(1 << 20), want[32], got_hash[32];
	EVP_MD_CTX *h = EVP_MD_CTX_new();

	ASSERT_TRUE(fd >= 0);
	unlink(path);
	EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	for (size_t off = 0; off < size; off += 1 << 20) {
		for (size_t i = 0; i < (1u << 20); i += 8)
			memcpy(buf + i, &(uint64_t){ (off + i) * 0x9e3779b97f4a7c15ull }, 8);
		ASSERT_EQ((ssize_t)(1 << 20), write(fd, buf, 1 << 20));
		EVP_DigestUpdate(h, buf, 1 << 20);
	}
	EVP_DigestFinal_ex(h, want, NULL);

	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	long long offset = 0;
	size_t recvd = 0;
	while (recvd < size) {
		if ((size_t)offset < size) {
			long n = ktls_sendfile(self->p.s, fd, &offset, size - (size_t)offset);
			ASSERT_TRUE(n >= 0 || n == KTLS_WANT_WRITE);
		}
		long n = ktls_recv(self->p.c, buf, 1 << 20);
		if (n > 0) {
			EVP_DigestUpdate(h, buf, (size_t)n);
			recvd += (size_t)n;
		} else {
			ASSERT_EQ(KTLS_WANT_READ, n);
		}
	}
	EVP_DigestFinal_ex(h, got_hash, NULL);
	ASSERT_EQ(size, recvd);
	ASSERT_MEMEQ(want, got_hash, 32);
	EVP_MD_CTX_free(h);
	free(buf);
	close(fd);
}

TEST_F(kernel, splice_from_a_pipe)
{
	int p[2];
	uint8_t data[50000], got[50000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ 0x5a);
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, pipe(p));
	fcntl(p[1], F_SETPIPE_SZ, 1 << 16);
	ASSERT_EQ((ssize_t)sizeof(data), write(p[1], data, sizeof(data)));
	size_t spliced = 0, recvd = 0;
	while (recvd < sizeof(data)) {
		if (spliced < sizeof(data)) {
			ssize_t n = splice(p[0], NULL, self->p.sfd, NULL, sizeof(data) - spliced,
					   SPLICE_F_NONBLOCK);
			if (n > 0)
				spliced += (size_t)n;
			else
				ASSERT_TRUE(errno == EAGAIN);
		}
		long n = ktls_recv(self->p.c, got + recvd, sizeof(got) - recvd);
		if (n > 0)
			recvd += (size_t)n;
		else
			ASSERT_EQ(KTLS_WANT_READ, n);
	}
	ASSERT_MEMEQ(data, got, sizeof(data));
	close(p[0]);
	close(p[1]);
}

/* The kernel's records, read by our own userspace record layer: valid TLS on the wire. */
TEST_F(kernel, kernel_sender_userspace_receiver)
{
	struct ktls_session_info ci;
	uint8_t data[40000], got[40000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	ASSERT_EQ(0, ktls_config_set_offload(self->p.ccfg, KTLS_OFFLOAD_NONE, 0));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	expect_offloaded(self->p.s, variant->suite);
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_EQ(0, ci.tx_offloaded);
	EXPECT_EQ(0, ci.rx_offloaded);
	EXPECT_TRUE(pair_transfer(self->p.s, self->p.c, data, sizeof(data), got)); /* kernel → userspace */
	EXPECT_TRUE(pair_transfer(self->p.c, self->p.s, data, sizeof(data), got)); /* userspace → kernel */
	/* close_notify from the kernel side reaches the userspace side as end of stream */
	ASSERT_EQ(0, ktls_close(self->p.s));
	long n;
	while ((n = ktls_recv(self->p.c, got, sizeof(got))) == KTLS_WANT_READ)
		;
	EXPECT_EQ(0, n);
}

TEST_F(kernel, data_right_after_finished_is_not_lost)
{
	/* The client finishes first and sends at once: its data sits in the server's socket
	 * right behind its Finished. The server must read exactly up to the Finished and
	 * leave the data to the kernel. */
	uint8_t got[64];
	self->p.c = ktls_session_new(self->p.ccfg, self->p.cfd);
	self->p.s = ktls_session_new(self->p.scfg, self->p.sfd);
	int crc = KTLS_WANT_READ, src = KTLS_WANT_READ;
	while (crc == KTLS_WANT_READ || crc == KTLS_WANT_WRITE) {
		crc = ktls_session_handshake(self->p.c);
		if (src == KTLS_WANT_READ && crc != 0)
			src = ktls_session_handshake(self->p.s);
	}
	ASSERT_EQ(0, crc);
	ASSERT_EQ(23, ktls_send(self->p.c, "sent with the Finished!", 23));
	usleep(20000); /* both are in the server's receive queue now */
	while (src == KTLS_WANT_READ || src == KTLS_WANT_WRITE)
		src = ktls_session_handshake(self->p.s);
	ASSERT_EQ(0, src);
	expect_offloaded(self->p.s, variant->suite);
	long n;
	while ((n = ktls_recv(self->p.s, got, sizeof(got))) == KTLS_WANT_READ)
		;
	ASSERT_EQ(23, n);
	ASSERT_MEMEQ("sent with the Finished!", got, 23);
}

TEST_F(kernel, close_notify_both_ways)
{
	uint8_t buf[16];
	long n;
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, ktls_close(self->p.c));
	while ((n = ktls_recv(self->p.s, buf, sizeof(buf))) == KTLS_WANT_READ)
		;
	EXPECT_EQ(0, n);
	ASSERT_EQ(0, ktls_close(self->p.s));
	while ((n = ktls_recv(self->p.c, buf, sizeof(buf))) == KTLS_WANT_READ)
		;
	EXPECT_EQ(0, n);
}

TEST_F(kernel, fatal_alert_is_reported_by_name)
{
	/* a raw alert through the server's kernel TX: fatal handshake_failure */
	static const uint8_t alert[] = { 2, 40 };
	union {
		char buf[CMSG_SPACE(1)];
		struct cmsghdr align;
	} ctl = { 0 };
	struct iovec iov = { (void *)alert, 2 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	uint8_t buf[16];
	long n;

	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.src);
	c->cmsg_level = SOL_TLS;
	c->cmsg_type = 1; /* TLS_SET_RECORD_TYPE */
	c->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(c) = 21; /* alert */
	ASSERT_EQ(2, sendmsg(self->p.sfd, &msg, 0));
	while ((n = ktls_recv(self->p.c, buf, sizeof(buf))) == KTLS_WANT_READ)
		;
	EXPECT_EQ(KTLS_EALERT, n);
	EXPECT_STREQ("peer sent alert: handshake_failure", ktls_session_error(self->p.c));
}

/* ---- a record the kernel cannot open ---------------------------------------------------
 * Our session `k` receives through kernel RX; its peer is a session with the userspace
 * record layer, whose keys the test uses to write records as if the peer had sent them.
 * The kernel refuses the record (recvmsg fails); k must fail with `err` and the alert that
 * reaches the peer — opened by the peer's own record layer — must be `alert` (RFC 8446
 * §6.2), not a bare close. */

enum bad_record { BAD_TAG, PLAINTEXT_CCS, NO_CONTENT_TYPE, OVERSIZE, BAD_VERSION };

static void build_bad_record(enum bad_record what, struct ktls_session *peer, struct rp_buf *out)
{
	struct rp_key key;
	static const uint8_t zeros[8];
	ASSERT_EQ(0, rp_key_from_secret(&key, peer->e->suite, peer->e->role == KTLS_ROLE_CLIENT
							     ? peer->e->ks.client_application_traffic
							     : peer->e->ks.server_application_traffic));
	key.seq = peer->e->tx.seq; /* the records the peer has protected so far (its tickets) */
	switch (what) {
	case BAD_TAG: /* §5.2: the AEAD does not authenticate */
		ASSERT_EQ(0, rp_seal(&key, TLS_CONTENT_APPLICATION_DATA, (const uint8_t *)"tampered", 8, out));
		out->p[out->len - 1] ^= 0x40;
		break;
	case PLAINTEXT_CCS: /* §5: change_cipher_spec after the Finished */
		rp_record(out, TLS_CONTENT_CHANGE_CIPHER_SPEC, "\x01", 1);
		break;
	case NO_CONTENT_TYPE: /* §5.4: no non-zero octet in the TLSInnerPlaintext */
		ASSERT_EQ(0, rp_seal_inner(&key, zeros, sizeof(zeros), out));
		break;
	case OVERSIZE: /* §5.2: a TLSCiphertext longer than 2^14 + 256 */
		rp_u8(out, TLS_CONTENT_APPLICATION_DATA);
		rp_u16(out, 0x0303);
		rp_u16(out, TLS_MAX_CIPHERTEXT + 1);
		rp_fill(out, 0xaa, 64);
		break;
	case BAD_VERSION: /* legacy_record_version other than 0x0303 */
		ASSERT_EQ(0, rp_seal(&key, TLS_CONTENT_APPLICATION_DATA, (const uint8_t *)"v", 1, out));
		out->p[2] = 0x01;
		break;
	}
}

/* Receives on s until something other than KTLS_WANT_READ comes (bounded by events). */
static long recv_until_event(struct ktls_session *s, int fd)
{
	uint8_t buf[256];
	long n;
	for (int i = 0; i < 1000 && (n = ktls_recv(s, buf, sizeof(buf))) == KTLS_WANT_READ; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 20000) != 1)
			break;
	}
	return n;
}

/* The two ends for the tests below: ours with kernel TLS as `mode` says (required), its peer
 * with the userspace record layer (its engine stays live: the test can drive it and open
 * what our kernel sends with its keys). Handshakes and checks where the kernel took over. */
struct sides {
	struct ktls_session *ours, *peer;
	int ours_fd, peer_fd;
};

static void kernel_and_userspace_peer(struct session_pair *p, bool ours_is_server,
				      enum ktls_offload_mode mode, struct sides *x)
{
	struct ktls_session_info oi;
	ASSERT_EQ(0, ktls_config_set_offload(ours_is_server ? p->scfg : p->ccfg, mode, 1));
	ASSERT_EQ(0, ktls_config_set_offload(ours_is_server ? p->ccfg : p->scfg, KTLS_OFFLOAD_NONE, 0));
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	*x = (struct sides){ ours_is_server ? p->s : p->c, ours_is_server ? p->c : p->s,
			     ours_is_server ? p->sfd : p->cfd, ours_is_server ? p->cfd : p->sfd };
	ASSERT_EQ(0, ktls_session_get_info(x->ours, &oi));
	ASSERT_EQ(mode != KTLS_OFFLOAD_RX, oi.tx_offloaded);
	ASSERT_EQ(mode != KTLS_OFFLOAD_TX, oi.rx_offloaded);
	ASSERT_NONNULL(x->peer->e);
}

static void kernel_rx_refuses(struct session_pair *p, bool kernel_is_server, bool kernel_tx,
			      enum bad_record what, int err, int alert)
{
	struct ktls_session_info ki, pi;
	struct rp_buf bad = { 0 };
	struct sides x;
	kernel_and_userspace_peer(p, kernel_is_server, kernel_tx ? KTLS_OFFLOAD_BOTH : KTLS_OFFLOAD_RX,
				  &x);
	struct ktls_session *k = x.ours, *peer = x.peer;
	int kfd = x.ours_fd, peer_fd = x.peer_fd;

	build_bad_record(what, peer, &bad);
	ASSERT_EQ(0, rp_write(peer_fd, bad.p, bad.len));
	rp_buf_free(&bad);
	long n = recv_until_event(k, kfd);
	EXPECT_EQ(err, n);
	TH_LOG("ours: %s", ktls_session_error(k));
	ASSERT_EQ(0, ktls_session_get_info(k, &ki));
	EXPECT_EQ(alert, ki.alert_sent);
	shutdown(kfd, SHUT_WR); /* what the application does next: the peer sees the end */

	n = recv_until_event(peer, peer_fd);
	TH_LOG("peer: %s", ktls_session_error(peer));
	EXPECT_EQ(KTLS_EALERT, n);
	ASSERT_EQ(0, ktls_session_get_info(peer, &pi));
	EXPECT_EQ(alert, pi.alert_received);
}

TEST_F(kernel, rx_bad_tag_is_bad_record_mac)
{
	kernel_rx_refuses(&self->p, true, true, BAD_TAG, KTLS_EBADMAC, TLS_ALERT_BAD_RECORD_MAC);
}

TEST_F(kernel, rx_bad_tag_is_bad_record_mac_client)
{
	kernel_rx_refuses(&self->p, false, true, BAD_TAG, KTLS_EBADMAC, TLS_ALERT_BAD_RECORD_MAC);
}

/* Userspace TX behind kernel RX: TCP refuses our alert just the same while the error is
 * pending. */
TEST_F(kernel, rx_bad_tag_is_bad_record_mac_userspace_tx)
{
	kernel_rx_refuses(&self->p, true, false, BAD_TAG, KTLS_EBADMAC, TLS_ALERT_BAD_RECORD_MAC);
}

/* The kernel reports a plaintext ChangeCipherSpec (too short to hold a tag) and a record
 * without a content type with the same EBADMSG as a bad tag: bad_record_mac, the alert
 * §5.2 names for a record that does not decrypt, is the one that is true for all three. */
TEST_F(kernel, rx_plaintext_ccs_is_bad_record_mac)
{
	kernel_rx_refuses(&self->p, true, true, PLAINTEXT_CCS, KTLS_EBADMAC,
			  TLS_ALERT_BAD_RECORD_MAC);
}

TEST_F(kernel, rx_no_content_type_is_bad_record_mac)
{
	kernel_rx_refuses(&self->p, true, true, NO_CONTENT_TYPE, KTLS_EBADMAC,
			  TLS_ALERT_BAD_RECORD_MAC);
}

TEST_F(kernel, rx_oversize_record_is_record_overflow)
{
	kernel_rx_refuses(&self->p, true, true, OVERSIZE, KTLS_EOVERFLOW,
			  TLS_ALERT_RECORD_OVERFLOW);
}

TEST_F(kernel, rx_bad_legacy_version_is_decode_error)
{
	kernel_rx_refuses(&self->p, true, true, BAD_VERSION, KTLS_EDECODE,
			  TLS_ALERT_DECODE_ERROR);
}

/* KTLS_SEND_MORE through kernel TX (MSG_MORE): a head shares its record with what follows —
 * data, or the first bytes of a sendfile — and a flush or close ends the open record. The
 * records are counted by a client with our userspace record layer. */
TEST_F(kernel, send_more_shares_the_record_with_the_file)
{
	uint8_t got[TLS_MAX_PLAINTEXT], type, file[20000];
	size_t n;
	struct session_pair *p = &self->p;
	char path[] = "/tmp/ktls-more-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0);
	unlink(path);
	memset(file, 'f', sizeof(file));
	ASSERT_EQ((ssize_t)sizeof(file), write(fd, file, sizeof(file)));
	ASSERT_EQ(0, ktls_config_set_offload(p->ccfg, KTLS_OFFLOAD_NONE, 0));
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	expect_offloaded(p->s, variant->suite);

	ASSERT_EQ(0, pair_check_send_more(p)); /* the flush ends the kernel's open record */

	ASSERT_EQ(5, ktls_send_flags(p->s, "tail:", 5, KTLS_SEND_MORE));
	long long off = 0;
	while (off < (long long)sizeof(file)) {
		long r = ktls_sendfile(p->s, fd, &off, sizeof(file) - (size_t)off);
		ASSERT_TRUE(r > 0 || r == KTLS_WANT_WRITE);
	}
	ASSERT_EQ(0, pair_next_record(p->c, p->cfd, &type, got, sizeof(got), &n));
	EXPECT_EQ(16384u, n); /* full: the head and the first bytes of the file */
	ASSERT_MEMEQ("tail:fff", got, 8);
	ASSERT_EQ(0, pair_next_record(p->c, p->cfd, &type, got, sizeof(got), &n));
	EXPECT_EQ(sizeof(file) + 5 - 16384, n);

	ASSERT_EQ(0, pair_check_close_after_more(p));
	close(fd);
}

/* Waits for the KeyUpdate (or whatever comes) on fd, then receives once: on a kernel that
 * rekeys, a KeyUpdate handled leaves nothing more to read (KTLS_WANT_READ) — so the wait is
 * on poll with a deadline, never on a loop that spins while ktls_recv says KTLS_WANT_READ. */
static long recv_after_readable(struct ktls_session *s, int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 20000) != 1)
		return -1; /* nothing came */
	return ktls_recv(s, buf, len);
}

TEST_F(kernel, peer_key_update_on_this_kernel)
{
	/* The server's kernel sends a KeyUpdate (update_not_requested) as a handshake record.
	 * With TLS 1.3 rekey in the kernel (6.14+) the client takes the new key, and data the
	 * server then protects with its next key (§7.2, installed here by hand) reaches the
	 * client; without rekey the client must fail cleanly, naming the reason, and tell the
	 * server (internal_error: §6.2, it cannot go on for a reason of its own). */
	static const uint8_t key_update[] = { 24, 0, 0, 1, 0 };
	union {
		char buf[CMSG_SPACE(1)];
		struct cmsghdr align;
	} ctl = { 0 };
	struct iovec iov = { (void *)key_update, sizeof(key_update) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	struct ktls_probe_result probe;
	struct ktls_session_info ci;
	uint8_t buf[16];
	long n;

	ASSERT_EQ(0, ktls_probe_kernel(&probe));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	expect_offloaded(self->p.c, variant->suite);
	/* the server's tickets are read first, so that what comes next is the KeyUpdate */
	ASSERT_TRUE(pair_transfer(self->p.s, self->p.c, (const uint8_t *)"tickets", 7, buf));
	long rekey_ok = tls_stat("TlsRxRekeyOk");
	c->cmsg_level = SOL_TLS;
	c->cmsg_type = 1; /* TLS_SET_RECORD_TYPE */
	c->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(c) = 22; /* handshake */
	ASSERT_EQ((ssize_t)sizeof(key_update), sendmsg(self->p.sfd, &msg, 0));
	n = recv_after_readable(self->p.c, self->p.cfd, buf, sizeof(buf));
	if (!probe.rekey) {
		EXPECT_EQ(KTLS_EKEYUPDATE, n);
		EXPECT_NONNULL(strstr(ktls_session_error(self->p.c), "6.14"));
		TH_LOG("%s", ktls_session_error(self->p.c));
		ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
		EXPECT_EQ(TLS_ALERT_INTERNAL_ERROR, ci.alert_sent);
		return;
	}
	EXPECT_EQ(KTLS_WANT_READ, n); /* took the key; nothing more yet */
	EXPECT_EQ(rekey_ok + 1, tls_stat("TlsRxRekeyOk"));
	/* the server's next key, by hand (its engine knows nothing of the raw KeyUpdate) */
	const struct ktls_engine_parked *sp = &self->p.s->idle;
	const struct ktls_suite *suite = ktls_suite_find(variant->suite);
	uint8_t next[KTLS_MAX_HASH_LEN];
	char reason[200];
	ASSERT_TRUE(sp->parked);
	ASSERT_EQ(0, ktls_next_traffic_secret(suite->md(),
					      ktls_engine_parked_secret(sp, KTLS_PARKED_SERVER_APP), next));
	ASSERT_EQ(0, ktls_offload_install(setsockopt, self->p.sfd, TLS_TX, suite, next, 0, NULL,
					  reason, sizeof(reason)));
	ASSERT_EQ(14, ktls_send(self->p.s, "under new keys", 14));
	n = recv_after_readable(self->p.c, self->p.cfd, buf, sizeof(buf));
	ASSERT_EQ(14, n);
	ASSERT_MEMEQ("under new keys", buf, 14);
}

/* ---- a peer's KeyUpdates across a stream of data ------------------------------------------
 * "ours" is the session under test, with kernel TLS in the directions `mode` gives; its peer
 * keeps the userspace record layer (its engine stays live), so the test can make it send
 * KeyUpdates (ktls_engine_send_key_update: under the old key, then its own key switches,
 * RFC 8446 §4.6.3, §7.2) and open with its own record layer what our kernel sent. Data goes
 * both ways between the KeyUpdates, checked end to end by SHA-256. */

/* The bytes of stream `seed` at offset off, a chunk at a time (both ends can regenerate it). */
static void stream_fill(uint8_t *p, size_t len, uint64_t off, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t x = (off + i) * 0x9e3779b97f4a7c15ull + seed;
		p[i] = (uint8_t)(x >> 29);
	}
}

struct flow {
	struct ktls_session *from, *to;
	int from_fd, to_fd;
	uint32_t seed;
	uint64_t sent, recvd, want;
	EVP_MD_CTX *tx, *rx;
};

static void flow_init(struct flow *f, struct ktls_session *from, int from_fd, struct ktls_session *to,
		      int to_fd, uint32_t seed)
{
	*f = (struct flow){ .from = from, .to = to, .from_fd = from_fd, .to_fd = to_fd, .seed = seed,
			    .tx = EVP_MD_CTX_new(), .rx = EVP_MD_CTX_new() };
	EVP_DigestInit_ex(f->tx, EVP_sha256(), NULL);
	EVP_DigestInit_ex(f->rx, EVP_sha256(), NULL);
}

/* Both digests equal (and the flow freed): what went is what came. */
static bool flow_done(struct flow *f)
{
	uint8_t a[32], b[32];
	EVP_DigestFinal_ex(f->tx, a, NULL);
	EVP_DigestFinal_ex(f->rx, b, NULL);
	EVP_MD_CTX_free(f->tx);
	EVP_MD_CTX_free(f->rx);
	return f->sent == f->recvd && !memcmp(a, b, sizeof(a));
}

/* One step of a flow: send a chunk if any is left, receive what is there. Returns 1 on
 * progress, 0 when both would block, or the failure (a KTLS_E* code). */
static long flow_step(struct flow *f)
{
	static uint8_t buf[65536];
	int progress = 0;
	if (f->sent < f->want) {
		size_t n = f->want - f->sent < sizeof(buf) ? (size_t)(f->want - f->sent) : sizeof(buf);
		stream_fill(buf, n, f->sent, f->seed);
		long m = ktls_send(f->from, buf, n);
		if (m > 0) {
			EVP_DigestUpdate(f->tx, buf, (size_t)m);
			f->sent += (uint64_t)m;
			progress = 1;
		} else if (m != KTLS_WANT_WRITE) {
			return m;
		}
	} else {
		int err = ktls_session_flush(f->from); /* a queued KeyUpdate answer */
		if (err && err != KTLS_WANT_WRITE)
			return err;
	}
	long n = ktls_recv(f->to, buf, sizeof(buf));
	if (n > 0) {
		EVP_DigestUpdate(f->rx, buf, (size_t)n);
		f->recvd += (uint64_t)n;
		return 1;
	}
	if (n != KTLS_WANT_READ)
		return n;
	return progress || ktls_pending(f->to);
}

/* Moves `bytes` more each way until both have arrived, waiting on poll (20 s without any
 * event fails). Returns 0, or the failure (with the session's sentence logged). */
static long flows_run(struct flow *fl, int nf, uint64_t bytes)
{
	for (int i = 0; i < nf; i++)
		fl[i].want += bytes;
	for (;;) {
		bool done = true, progress = false;
		for (int i = 0; i < nf; i++) {
			long r = flow_step(&fl[i]);
			if (r < 0) {
				TH_LOG("flow %d failed: %s / %s", i, ktls_session_error(fl[i].from),
				       ktls_session_error(fl[i].to));
				return r;
			}
			progress |= r > 0;
			done &= fl[i].recvd == fl[i].want;
		}
		if (done)
			return 0;
		if (progress)
			continue;
		struct pollfd p[4];
		for (int i = 0; i < nf; i++) {
			p[2 * i] = (struct pollfd){ .fd = fl[i].to_fd, .events = POLLIN };
			p[2 * i + 1] = (struct pollfd){ .fd = fl[i].from_fd,
							.events = fl[i].sent < fl[i].want ? POLLOUT : 0 };
		}
		if (poll(p, (nfds_t)(2 * nf), 20000) <= 0) {
			TH_LOG("no progress for 20 s");
			return -1;
		}
	}
}

/* The traffic secret `times` KeyUpdates after `secret` (§7.2). */
static void next_secret(const struct ktls_suite *suite, const uint8_t *secret, int times, uint8_t *out)
{
	memcpy(out, secret, suite->hash_len);
	for (int i = 0; i < times; i++)
		ASSERT_EQ(0, ktls_next_traffic_secret(suite->md(), out, out));
}

/* Receives on s until something other than KTLS_WANT_READ comes or 20 s pass without an
 * event: the failure a KeyUpdate brings on a kernel that cannot rekey. */
static long recv_until_failure(struct ktls_session *s, int fd)
{
	long n;
	uint8_t buf[4096];
	while ((n = ktls_recv(s, buf, sizeof(buf))) == KTLS_WANT_READ || n > 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (n == KTLS_WANT_READ && poll(&p, 1, 20000) != 1)
			break;
	}
	return n;
}

/* ours fails cleanly (KTLS_EKEYUPDATE naming Linux 6.14, internal_error sent, §6.2) and the
 * peer, reading on, gets that alert. */
static void expect_clean_rekey_failure(struct ktls_session *ours, int ours_fd,
				       struct ktls_session *peer, int peer_fd, long n)
{
	struct ktls_session_info oi, pi;
	EXPECT_EQ(KTLS_EKEYUPDATE, n);
	TH_LOG("ours: %s", ktls_session_error(ours));
	EXPECT_NONNULL(strstr(ktls_session_error(ours), "6.14"));
	ASSERT_EQ(0, ktls_session_get_info(ours, &oi));
	EXPECT_EQ(TLS_ALERT_INTERNAL_ERROR, oi.alert_sent);
	shutdown(ours_fd, SHUT_WR);
	n = recv_until_failure(peer, peer_fd);
	EXPECT_EQ(KTLS_EALERT, n);
	ASSERT_EQ(0, ktls_session_get_info(peer, &pi));
	EXPECT_EQ(TLS_ALERT_INTERNAL_ERROR, pi.alert_received);
}

#define REKEY_ROUNDS 4
#define REKEY_BYTES (512u << 10) /* each way, after each KeyUpdate: 2 MiB each way in all */

/* The peer sends REKEY_ROUNDS KeyUpdates, update_not_requested and update_requested in
 * turn, with REKEY_BYTES each way after each. Where the kernel rekeys (6.14+), every byte
 * arrives, the peer's read key has moved once per request (our answers, §4.6.3), and the
 * kernel counted each new key; where it cannot, the first KeyUpdate that needs a new
 * kernel key ends the session cleanly. */
static void peer_key_updates(struct session_pair *p, const FIXTURE_VARIANT(kernel) *variant,
			     enum ktls_offload_mode mode, bool ours_is_server)
{
	struct ktls_probe_result probe;
	struct sides x;
	bool k_rx = mode != KTLS_OFFLOAD_TX, k_tx = mode != KTLS_OFFLOAD_RX;
	const struct ktls_suite *suite = ktls_suite_find(variant->suite);
	uint8_t peer_rx0[KTLS_MAX_HASH_LEN], want[KTLS_MAX_HASH_LEN];

	ASSERT_EQ(0, ktls_probe_kernel(&probe));
	kernel_and_userspace_peer(p, ours_is_server, mode, &x);
	struct ktls_session *ours = x.ours, *peer = x.peer;
	int ours_fd = x.ours_fd, peer_fd = x.peer_fd;
	memcpy(peer_rx0, ktls_engine_app_secret(peer->e, KTLS_DIR_RX), suite->hash_len);
	long rx_ok = tls_stat("TlsRxRekeyOk"), tx_ok = tls_stat("TlsTxRekeyOk");
	long rx_err = tls_stat("TlsRxRekeyError"), tx_err = tls_stat("TlsTxRekeyError");

	struct flow fl[2];
	flow_init(&fl[0], ours, ours_fd, peer, peer_fd, 1);
	flow_init(&fl[1], peer, peer_fd, ours, ours_fd, 2);
	int requested = 0, round;
	for (round = 0; round < REKEY_ROUNDS; round++) {
		bool request = round % 2;
		ASSERT_EQ(0, ktls_engine_send_key_update(peer->e, request));
		ASSERT_EQ(0, ktls_session_flush(peer));
		/* where the kernel cannot rekey, which KeyUpdate ends it: the first for kernel
		 * RX, the first requested one for kernel TX alone (the peer's new key is read
		 * in userspace; our answer would need a new TLS_TX key) */
		if (!probe.rekey && (k_rx || request))
			break;
		requested += request;
		ASSERT_EQ(0, flows_run(fl, 2, REKEY_BYTES));
		next_secret(suite, peer_rx0, requested, want);
		EXPECT_MEMEQ(want, ktls_engine_app_secret(peer->e, KTLS_DIR_RX), suite->hash_len);
	}
	if (round < REKEY_ROUNDS) {
		long n = recv_until_failure(ours, ours_fd);
		flow_done(&fl[0]);
		flow_done(&fl[1]);
		expect_clean_rekey_failure(ours, ours_fd, peer, peer_fd, n);
		return;
	}
	EXPECT_TRUE(flow_done(&fl[0]));
	EXPECT_TRUE(flow_done(&fl[1]));
	/* the kernel's own count of new keys: one per KeyUpdate with kernel RX, one per
	 * answer with kernel TX, and no failure */
	EXPECT_EQ(rx_ok + (k_rx ? REKEY_ROUNDS : 0), tls_stat("TlsRxRekeyOk"));
	EXPECT_EQ(tx_ok + (k_tx ? requested : 0), tls_stat("TlsTxRekeyOk"));
	EXPECT_EQ(rx_err, tls_stat("TlsRxRekeyError"));
	EXPECT_EQ(tx_err, tls_stat("TlsTxRekeyError"));
}

TEST_F_TIMEOUT(kernel, peer_key_updates_kernel_rx_and_tx, 120)
{
	peer_key_updates(&self->p, variant, KTLS_OFFLOAD_BOTH, true);
}

TEST_F_TIMEOUT(kernel, peer_key_updates_kernel_rx_userspace_tx, 120)
{
	peer_key_updates(&self->p, variant, KTLS_OFFLOAD_RX, false);
}

TEST_F_TIMEOUT(kernel, peer_key_updates_kernel_tx_userspace_rx, 120)
{
	peer_key_updates(&self->p, variant, KTLS_OFFLOAD_TX, true);
}

/* ---- our KeyUpdate answer behind a full socket ------------------------------------------
 * We have filled our socket (the peer does not read) when the peer's KeyUpdate with
 * update_requested comes. Our answer cannot leave yet: it waits in the session, and so does
 * the new TX key, which may be installed only once the answer has gone under the old one
 * (§4.6.3: the KeyUpdate is the last record under the old key). Nothing we send meanwhile may
 * pass it (§4.6.3: the answer goes before our next application data). The peer then reads
 * all the data sent before the answer, the answer, and data under our new key: it opens
 * every record, and its read key moves exactly after the data sent before. */
static void answer_behind_a_full_socket(struct session_pair *p, const FIXTURE_VARIANT(kernel) *variant,
					enum ktls_offload_mode mode)
{
	static uint8_t buf[65536];
	struct ktls_probe_result probe;
	struct sides x;
	const struct ktls_suite *suite = ktls_suite_find(variant->suite);
	uint8_t peer_rx0[KTLS_MAX_HASH_LEN], want[KTLS_MAX_HASH_LEN];

	ASSERT_EQ(0, ktls_probe_kernel(&probe));
	kernel_and_userspace_peer(p, true, mode, &x);
	memcpy(peer_rx0, ktls_engine_app_secret(x.peer->e, KTLS_DIR_RX), suite->hash_len);
	long tx_ok = tls_stat("TlsTxRekeyOk");
	struct flow f[2];
	flow_init(&f[0], x.ours, x.ours_fd, x.peer, x.peer_fd, 3);
	flow_init(&f[1], x.peer, x.peer_fd, x.ours, x.ours_fd, 4);

	/* fill our socket */
	for (long m = 1; m > 0;) {
		stream_fill(buf, sizeof(buf), f[0].sent, f[0].seed);
		m = ktls_send(x.ours, buf, sizeof(buf));
		if (m > 0) {
			EVP_DigestUpdate(f[0].tx, buf, (size_t)m);
			f[0].sent += (uint64_t)m;
		} else {
			ASSERT_EQ(KTLS_WANT_WRITE, m);
		}
	}
	const uint64_t before = f[0].want = f[0].sent;
	TH_LOG("%llu bytes in the socket before the KeyUpdate", (unsigned long long)before);

	/* the peer asks for our key; we read it with our socket full */
	ASSERT_EQ(0, ktls_engine_send_key_update(x.peer->e, true));
	ASSERT_EQ(0, ktls_session_flush(x.peer));
	long n = recv_after_readable(x.ours, x.ours_fd, buf, sizeof(buf));
	if (!probe.rekey) {
		/* the failure, and its alert behind the data already queued */
		EXPECT_EQ(KTLS_EKEYUPDATE, n);
		EXPECT_NONNULL(strstr(ktls_session_error(x.ours), "6.14"));
		for (;;) {
			if (ktls_session_flush(x.ours)) { /* failed: only its alert may still go */ }
			n = ktls_recv(x.peer, buf, sizeof(buf));
			if (n > 0) {
				EVP_DigestUpdate(f[0].rx, buf, (size_t)n);
				f[0].recvd += (uint64_t)n;
				continue;
			}
			struct pollfd pf = { .fd = x.peer_fd, .events = POLLIN };
			if (n != KTLS_WANT_READ || poll(&pf, 1, 20000) != 1)
				break;
		}
		EXPECT_TRUE(flow_done(&f[0]));
		flow_done(&f[1]);
		struct ktls_session_info pi;
		EXPECT_EQ(KTLS_EALERT, n);
		ASSERT_EQ(0, ktls_session_get_info(x.peer, &pi));
		EXPECT_EQ(TLS_ALERT_INTERNAL_ERROR, pi.alert_received);
		return;
	}
	ASSERT_EQ(KTLS_WANT_READ, n);
	/* the answer waits in the session, and nothing of ours passes it */
	EXPECT_GT(ktls_kernel_queued(&x.ours->k) + ktls_buf_pending(&x.ours->out), (size_t)0);
	EXPECT_EQ(KTLS_WANT_WRITE, ktls_send(x.ours, buf, 1));

	/* the peer reads what was sent before under our old key; its read key moves only
	 * after the last of those bytes (our answer came next) */
	while (f[0].recvd < before) {
		long r = flow_step(&f[0]);
		ASSERT_TRUE(r >= 0);
		EXPECT_MEMEQ(peer_rx0, ktls_engine_app_secret(x.peer->e, KTLS_DIR_RX), suite->hash_len);
		if (!r) {
			struct pollfd pf = { .fd = x.peer_fd, .events = POLLIN };
			ASSERT_EQ(1, poll(&pf, 1, 20000));
		}
	}
	/* then data both ways under the new keys, our answer in between */
	ASSERT_EQ(0, flows_run(f, 2, 256u << 10));
	EXPECT_TRUE(flow_done(&f[0]));
	EXPECT_TRUE(flow_done(&f[1]));
	next_secret(suite, peer_rx0, 1, want);
	EXPECT_MEMEQ(want, ktls_engine_app_secret(x.peer->e, KTLS_DIR_RX), suite->hash_len);
	EXPECT_EQ(tx_ok + (mode != KTLS_OFFLOAD_RX), tls_stat("TlsTxRekeyOk"));
}

TEST_F_TIMEOUT(kernel, key_update_answer_behind_full_socket_kernel_tx, 120)
{
	answer_behind_a_full_socket(&self->p, variant, KTLS_OFFLOAD_BOTH);
}

TEST_F_TIMEOUT(kernel, key_update_answer_behind_full_socket_userspace_tx, 120)
{
	answer_behind_a_full_socket(&self->p, variant, KTLS_OFFLOAD_RX);
}

struct diag_seen {
	int n;
	struct diag_sock socks[4];
};

static int collect(const struct diag_sock *sock, void *arg)
{
	struct diag_seen *seen = arg;
	if (seen->n < 4)
		seen->socks[seen->n++] = *sock;
	return 0;
}

/* The kernel's own view (sock_diag INET_DIAG_ULP_INFO, what ktls-diag prints): both ends of
 * our connection are TLS 1.3 sockets with this cipher in software TX and RX. */
TEST_F(kernel, sock_diag_shows_both_ends)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct diag_seen seen = { 0 };

	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	ASSERT_EQ(0, getsockname(self->p.sfd, (struct sockaddr *)&a, &alen));
	ASSERT_EQ(0, diag_list(AF_INET, ntohs(a.sin_port), collect, &seen));
	ASSERT_EQ(2, seen.n);
	for (int i = 0; i < 2; i++) {
		EXPECT_TRUE(seen.socks[i].has_tls_info);
		EXPECT_EQ(0x0304, seen.socks[i].version);
		EXPECT_EQ(variant->cipher, seen.socks[i].cipher);
		EXPECT_STREQ("sw", diag_conf_name(seen.socks[i].tx_conf));
		EXPECT_STREQ("sw", diag_conf_name(seen.socks[i].rx_conf));
	}
}

/* A server peer that writes a NewSessionTicket and application data in the same TCP segment
 * as its Finished (before it has even seen ours): the client must read exactly through the
 * Finished, leave the rest to the kernel, and get the ticket as a control record and every
 * data byte through kernel RX. */
TEST_F(kernel, ticket_and_data_behind_the_servers_finished)
{
	/* NewSessionTicket (§4.6.1): lifetime, age_add, nonce<0..255>, ticket<1..>, exts */
	static const uint8_t nst[] = { 4, 0, 0, 15, 0, 0, 0x1c, 0x20, 1, 2, 3, 4, 0,
				       0, 2, 0xab, 0xcd, 0, 0 };
	static const char early[] = "0.5-RTT data from the server";
	int one = 1, zero = 0;
	char got[64];
	long n;

	self->p.c = ktls_session_new(self->p.ccfg, self->p.cfd);
	self->p.s = ktls_session_new(self->p.scfg, self->p.sfd);
	ASSERT_EQ(0, setsockopt(self->p.sfd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)));
	ASSERT_EQ(KTLS_WANT_READ, ktls_session_handshake(self->p.c)); /* ClientHello */
	int src;
	while ((src = ktls_session_handshake(self->p.s)) == KTLS_WANT_READ && self->p.s->e->state == HS_SERVER_WAIT_CH)
		usleep(1000);
	ASSERT_EQ(KTLS_WANT_READ, src);
	ASSERT_EQ(HS_SERVER_WAIT_FINISHED, self->p.s->e->state); /* its flight is out, corked */
	/* behind the Finished, under the server's application key */
	ASSERT_EQ(0, ktls_engine_send_record(self->p.s->e, TLS_CONTENT_HANDSHAKE, nst, sizeof(nst)));
	ASSERT_EQ(0, ktls_engine_send_record(self->p.s->e, TLS_CONTENT_APPLICATION_DATA,
				       (const uint8_t *)early, sizeof(early)));
	ASSERT_EQ(0, ktls_session_flush(self->p.s));
	ASSERT_EQ(0, setsockopt(self->p.sfd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero)));

	int crc;
	while ((crc = ktls_session_handshake(self->p.c)) == KTLS_WANT_READ)
		usleep(1000);
	ASSERT_EQ(0, crc);
	expect_offloaded(self->p.c, variant->suite);
	while ((n = ktls_recv(self->p.c, got, sizeof(got))) == KTLS_WANT_READ)
		usleep(1000);
	ASSERT_EQ((long)sizeof(early), n);
	ASSERT_MEMEQ(early, got, sizeof(early));
	while ((src = ktls_session_handshake(self->p.s)) == KTLS_WANT_READ)
		usleep(1000);
	ASSERT_EQ(0, src);
}

/* The optional features where this kernel has them, seen by the kernel itself. */
TEST_F_TIMEOUT(kernel, zerocopy_sendfile_and_no_pad, 120)
{
	struct ktls_probe_result probe;
	struct ktls_session_info si, ci;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct diag_seen seen = { 0 };

	ASSERT_EQ(0, ktls_probe_kernel(&probe));
	ASSERT_EQ(0, ktls_config_set_offload_flags(self->p.scfg, KTLS_OFFLOAD_TX_ZEROCOPY));
	ASSERT_EQ(0, ktls_config_set_offload_flags(self->p.ccfg, KTLS_OFFLOAD_RX_NO_PAD));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_EQ(probe.zerocopy_tx, si.tx_zerocopy);
	EXPECT_EQ(probe.rx_no_pad, ci.rx_no_pad);
	ASSERT_EQ(0, getsockname(self->p.sfd, (struct sockaddr *)&a, &alen));
	ASSERT_EQ(0, diag_list(AF_INET, ntohs(a.sin_port), collect, &seen));
	ASSERT_EQ(2, seen.n);
	for (int i = 0; i < 2; i++) {
		bool server_end = seen.socks[i].local_port == ntohs(a.sin_port);
		/* the kernel reports zero-copy only where it applies: NIC (hw) offload */
		bool hw = seen.socks[i].tx_conf == TLS_CONF_HW;
		EXPECT_EQ(server_end && hw ? si.tx_zerocopy : 0, seen.socks[i].tx_zerocopy);
		EXPECT_EQ(server_end ? 0 : ci.rx_no_pad, seen.socks[i].rx_no_pad);
	}

	/* a zero-copy sendfile still delivers every byte */
	const size_t size = 4u << 20;
	char path[] = "/tmp/ktls-zc-XXXXXX";
	int fd = mkstemp(path);
	uint8_t *data = malloc(size), *got = malloc(size);
	ASSERT_TRUE(fd >= 0 && data && got);
	unlink(path);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	ASSERT_EQ((ssize_t)size, write(fd, data, size));
	long long offset = 0;
	size_t recvd = 0;
	while (recvd < size) {
		if ((size_t)offset < size) {
			long n = ktls_sendfile(self->p.s, fd, &offset, size - (size_t)offset);
			ASSERT_TRUE(n >= 0 || n == KTLS_WANT_WRITE);
		}
		long n = ktls_recv(self->p.c, got + recvd, size - recvd);
		if (n > 0)
			recvd += (size_t)n;
		else
			ASSERT_EQ(KTLS_WANT_READ, n);
	}
	ASSERT_MEMEQ(data, got, size);
	free(data);
	free(got);
	close(fd);
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

/* Once the kernel holds the keys, userspace keeps no traffic secret it could not use:
 * handshake and master secrets always go; the application traffic secrets stay only where
 * the kernel can rekey (Linux 6.14+), because a KeyUpdate needs them. With both directions
 * in the kernel the engine itself goes (parked, lib/core/engine.h): what stays is the
 * exporter master secret, the client's resumption master secret (its tickets come after the
 * handshake) and, on a kernel that rekeys, the two application traffic secrets. */
TEST_F(kernel, no_secret_kept_after_offload)
{
	struct ktls_probe_result probe;
	ASSERT_EQ(0, ktls_probe_kernel(&probe));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	struct ktls_session *both[2] = { self->p.c, self->p.s };
	for (int i = 0; i < 2; i++) {
		const struct ktls_session *x = both[i];
		const struct ktls_engine_parked *p = &x->idle;
		EXPECT_TRUE(x->k.tx && x->k.rx);
		EXPECT_EQ(probe.rekey, x->k.rekey);
		EXPECT_TRUE(x->e == NULL); /* handshake state, record keys: wiped and freed */
		ASSERT_TRUE(p->parked);
		EXPECT_TRUE(ktls_engine_parked_secret(p, KTLS_PARKED_EXPORTER) != NULL);
		EXPECT_EQ(x == self->p.c, ktls_engine_parked_secret(p, KTLS_PARKED_RESUMPTION) != NULL);
		EXPECT_EQ(probe.rekey, ktls_engine_parked_secret(p, KTLS_PARKED_CLIENT_APP) != NULL);
		EXPECT_EQ(probe.rekey, ktls_engine_parked_secret(p, KTLS_PARKED_SERVER_APP) != NULL);
		EXPECT_EQ(1 + (x == self->p.c) + 2 * probe.rekey, (int)p->n_secrets);
		EXPECT_FALSE(all_zero(ktls_engine_parked_secret(p, KTLS_PARKED_EXPORTER),
				      p->suite->hash_len)); /* for exporters */
	}
}

/* Exporters (§7.5) keep working after the kernel took the traffic keys: both ends agree. */
TEST_F(kernel, exporter_after_offload)
{
	uint8_t a[32], b[32];
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	expect_offloaded(self->p.c, variant->suite);
	ASSERT_EQ(0, ktls_export_keying_material(self->p.c, "EXPERIMENTAL-x", (const uint8_t *)"ctx",
						 3, a, sizeof(a)));
	ASSERT_EQ(0, ktls_export_keying_material(self->p.s, "EXPERIMENTAL-x", (const uint8_t *)"ctx",
						 3, b, sizeof(b)));
	ASSERT_MEMEQ(a, b, sizeof(a));
}

/* Tickets after offload: the server's kernel sends them as handshake records (a
 * TLS_SET_RECORD_TYPE cmsg), the client's kernel passes them up as control records, the
 * client keeps one, and a second connection resumes with it — offloaded again. */
TEST_F(kernel, resumption_with_tickets_through_the_kernel)
{
	uint8_t saved[2048], got[16];
	struct session_pair q;
	struct ktls_session_info ci, si;

	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	expect_offloaded(self->p.s, variant->suite);
	ASSERT_TRUE(pair_transfer(self->p.s, self->p.c, (const uint8_t *)"tickets?", 8, got));
	long n = ktls_session_save(self->p.c, saved, sizeof(saved));
	ASSERT_GT(n, 0L);

	ASSERT_EQ(0, pair_open(&q, true));
	ASSERT_EQ(0, ktls_config_set_ciphers(q.ccfg, variant->ciphers));
	ktls_config_free(q.scfg);
	q.scfg = self->p.scfg; /* the server whose key sealed the ticket */
	self->p.scfg = NULL;
	q.c = ktls_session_new(q.ccfg, q.cfd);
	ASSERT_EQ(0, ktls_session_resume(q.c, saved, (size_t)n));
	pair_handshake(&q);
	ASSERT_EQ(0, q.crc);
	ASSERT_EQ(0, q.src);
	ASSERT_EQ(0, ktls_session_get_info(q.c, &ci));
	ASSERT_EQ(0, ktls_session_get_info(q.s, &si));
	EXPECT_EQ(1, ci.resumed);
	EXPECT_EQ(1, si.resumed);
	expect_offloaded(q.c, variant->suite);
	expect_offloaded(q.s, variant->suite);
	EXPECT_TRUE(pair_transfer(q.c, q.s, (const uint8_t *)"resumed", 7, got));
	pair_close(&q);
}

TEST_F(kernel, tls_stat_counters_move)
{
	long tx0 = tls_stat("TlsTxSw"), rx0 = tls_stat("TlsRxSw");
	long cur0 = tls_stat("TlsCurrTxSw");
	ASSERT_TRUE(tx0 >= 0);
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	EXPECT_EQ(tx0 + 2, tls_stat("TlsTxSw"));
	EXPECT_EQ(rx0 + 2, tls_stat("TlsRxSw"));
	EXPECT_EQ(cur0 + 2, tls_stat("TlsCurrTxSw"));
	ktls_session_free(self->p.c);
	ktls_session_free(self->p.s);
	self->p.c = self->p.s = NULL;
	close(self->p.cfd);
	close(self->p.sfd);
	self->p.cfd = self->p.sfd = -1;
	usleep(10000);
	EXPECT_EQ(cur0, tls_stat("TlsCurrTxSw"));
}

/* OpenSSL reads what our kernel-offloaded server writes, and writes what it reads. */
TEST_F_TIMEOUT(kernel, openssl_client_against_kernel_server, 60)
{
	int in[2], out[2];
	char port[16], buf[256];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_EQ(0, bind(l, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(l, 1));
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&a, &alen));
	snprintf(port, sizeof(port), "127.0.0.1:%u", ntohs(a.sin_port));
	ASSERT_EQ(0, pipe(in));
	ASSERT_EQ(0, pipe(out));
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		execlp("openssl", "openssl", "s_client", "-tls1_3", "-connect", port, "-CAfile",
		       test_cert("ca.pem"), "-servername", "localhost", "-ciphersuites",
		       ktls_suite_name(variant->suite), "-quiet", NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	struct pollfd lp = { l, POLLIN, 0 };
	if (poll(&lp, 1, 10000) != 1) {
		ssize_t r = read(out[0], buf, sizeof(buf) - 1);
		buf[r > 0 ? r : 0] = 0;
		TH_LOG("openssl s_client never connected (is openssl in the VM? --pack openssl): %s", buf);
		ASSERT_EQ(1, 0);
	}
	int fd = accept(l, NULL, NULL);
	ASSERT_TRUE(fd >= 0);
	struct ktls_session *s;
	ASSERT_EQ(0, ktls_handshake(fd, self->p.scfg, &s));
	expect_offloaded(s, variant->suite);
	ASSERT_EQ(6, write(in[1], "hello\n", 6));
	char got[6];
	long n = ktls_recv(s, got, sizeof(got));
	ASSERT_EQ(6, n);
	ASSERT_MEMEQ("hello\n", got, 6);
	ASSERT_EQ(9, ktls_send(s, "olleh!!!\n", 9));
	/* openssl prints what it received */
	size_t have = 0;
	while (have < sizeof(buf) - 1 && !strstr(buf, "olleh!!!")) {
		struct pollfd p = { out[0], POLLIN, 0 };
		ASSERT_EQ(1, poll(&p, 1, 10000));
		ssize_t r = read(out[0], buf + have, sizeof(buf) - 1 - have);
		ASSERT_TRUE(r > 0);
		have += (size_t)r;
		buf[have] = 0;
	}
	EXPECT_NONNULL(strstr(buf, "olleh!!!"));
	ktls_close(s);
	ktls_session_free(s);
	close(in[1]);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(fd);
	close(l);
	close(out[0]);
}

/* ---- OpenSSL's k and K against our ktls-server -----------------------------------------
 * s_client's command lines "k" (KeyUpdate, update_not_requested) and "K" (update_requested,
 * RFC 8446 §4.6.3) to `ktls-server --echo`, a process of its own with kernel TX and RX:
 * every line is echoed, under new keys both ways. Where the kernel cannot rekey, the first
 * KeyUpdate ends the connection: the server says why (Linux 6.14) and s_client receives
 * internal_error. */

struct child_out {
	int fd;
	char buf[1 << 16];
	size_t len;
};

static size_t count_text(const char *haystack, const char *needle)
{
	size_t n = 0;
	for (const char *q = strstr(haystack, needle); q; q = strstr(q + 1, needle))
		n++;
	return n;
}

/* Reads o->fd until o->buf holds needle n times (0: until EOF), or 20 s pass without it. */
static bool wait_for_count(struct child_out *o, const char *needle, size_t n)
{
	for (;;) {
		if (n && count_text(o->buf, needle) >= n)
			return true;
		struct pollfd p = { .fd = o->fd, .events = POLLIN };
		if (o->len >= sizeof(o->buf) - 1 || poll(&p, 1, 20000) != 1)
			return false;
		ssize_t r = read(o->fd, o->buf + o->len, sizeof(o->buf) - 1 - o->len);
		if (r <= 0)
			return !n;
		o->len += (size_t)r;
		o->buf[o->len] = 0;
	}
}

static bool wait_for_text(struct child_out *o, const char *needle)
{
	return wait_for_count(o, needle, 1);
}

/* Starts argv with stdin from a pipe (*in_w its end) and stdout + stderr into out. */
static pid_t spawn(char *const argv[], int *in_w, struct child_out *out)
{
	int in[2], o[2];
	if (pipe(in) || pipe(o))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		dup2(o[1], 2);
		close(in[1]);
		close(o[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	*in_w = in[1];
	out->fd = o[0];
	out->len = 0;
	out->buf[0] = 0;
	return pid;
}

TEST_F_TIMEOUT(kernel, openssl_key_updates_to_ktls_server, 90)
{
	static struct child_out srv, cli;
	struct ktls_probe_result probe;
	char server[256], port[32];
	const char *build = getenv("KTLS_BUILD");
	int srv_in, cli_in, status;

	ASSERT_EQ(0, ktls_probe_kernel(&probe));
	snprintf(server, sizeof(server), "%s/bin/ktls-server", build && *build ? build : "build");
	char *sargv[] = { server, "--cert", (char *)test_cert("server-ecdsa.pem"), "--key",
			  (char *)test_cert("server-ecdsa.key"), "--bind", "127.0.0.1", "--port", "0",
			  "--ciphers", (char *)variant->ciphers, "--echo", "--once", "--require-offload",
			  NULL };
	pid_t sp = spawn(sargv, &srv_in, &srv);
	ASSERT_TRUE(sp > 0);
	if (!wait_for_text(&srv, "port ")) {
		TH_LOG("ktls-server did not start: %s", srv.buf);
		kill(sp, SIGKILL);
		ASSERT_TRUE(false);
	}
	wait_for_text(&srv, "\n");
	unsigned p = 0;
	ASSERT_EQ(1, sscanf(strstr(srv.buf, "port ") + 5, "%u", &p));
	snprintf(port, sizeof(port), "127.0.0.1:%u", p);
	long rx_ok = tls_stat("TlsRxRekeyOk"), tx_ok = tls_stat("TlsTxRekeyOk");

	char *cargv[] = { "openssl", "s_client", "-tls1_3", "-connect", port, "-CAfile",
			  (char *)test_cert("ca.pem"), "-servername", "localhost", "-ciphersuites",
			  (char *)ktls_suite_name(variant->suite), "-msg", NULL };
	pid_t cp = spawn(cargv, &cli_in, &cli);
	ASSERT_TRUE(cp > 0);
	if (!wait_for_text(&cli, "Verify return code: 0")) {
		TH_LOG("s_client did not connect (is openssl in the VM? --pack openssl): %s", cli.buf);
		ASSERT_TRUE(false);
	}
	/* a line, then each command and a line behind it; s_client drops what shares a read
	 * with a command, so a line waits until the KeyUpdate has gone */
	static const char *const steps[] = { "echo me 0\n", "K", "echo me 1\n", "k", "echo me 2\n",
					     "K", "echo me 3\n" };
	const char *sent_ku = ">>> TLS 1.3, Handshake [length 0005], KeyUpdate";
	size_t kus = 0, requests = 0;
	bool failed = false;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && !failed; i++) {
		char line[32];
		snprintf(line, sizeof(line), "%s%s", steps[i], strlen(steps[i]) == 1 ? "\n" : "");
		ASSERT_EQ((ssize_t)strlen(line), write(cli_in, line, strlen(line)));
		if (strlen(steps[i]) == 1) {
			kus++;
			requests += steps[i][0] == 'K';
			ASSERT_TRUE(wait_for_count(&cli, sent_ku, kus));
			if (!probe.rekey)
				failed = true; /* the server's kernel cannot follow */
			continue;
		}
		/* the echo: s_client prints what it receives */
		bool echoed = wait_for_text(&cli, steps[i]);
		if (!echoed)
			TH_LOG("no echo of %.9s; s_client said:\n%s", steps[i], cli.buf);
		ASSERT_TRUE(echoed);
	}
	if (failed) {
		EXPECT_TRUE(wait_for_text(&cli, "Alert [length 0002], fatal internal_error"));
		EXPECT_EQ(sp, waitpid(sp, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
		wait_for_count(&srv, "", 0); /* the rest of its output, up to EOF */
		TH_LOG("ktls-server: %s", srv.buf);
		EXPECT_NONNULL(strstr(srv.buf, "6.14"));
	} else {
		/* our answers: one KeyUpdate back per K, and the kernel took every new key */
		close(cli_in);
		cli_in = -1;
		wait_for_count(&cli, "", 0); /* to s_client's exit */
		EXPECT_EQ(kus, count_text(cli.buf, sent_ku));
		EXPECT_EQ(requests, count_text(cli.buf, "<<< TLS 1.3, Handshake [length 0005], KeyUpdate"));
		EXPECT_EQ(rx_ok + (long)kus, tls_stat("TlsRxRekeyOk"));
		/* + 1: the server's offload asks whether the kernel rekeys by installing its
		 * first TX key twice (ktls_offload_install), which the kernel counts too */
		EXPECT_EQ(tx_ok + (long)requests + 1, tls_stat("TlsTxRekeyOk"));
		EXPECT_EQ(sp, waitpid(sp, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			TH_LOG("ktls-server: %s", srv.buf);
	}
	if (cli_in >= 0)
		close(cli_in);
	kill(cp, SIGTERM);
	waitpid(cp, NULL, 0);
	close(srv_in);
	close(srv.fd);
	close(cli.fd);
}

/* TLS_AES_128_CCM_8_SHA256: the kernel has no AES-CCM with an 8-byte tag, so both ends stay
 * in the userspace record layer on a kernel that has kTLS, say why, and carry the data; with
 * offload required the handshake fails with KTLS_EOFFLOAD. */
TEST(ccm_8_falls_back_to_userspace)
{
	struct session_pair p;
	struct ktls_session_info ci, si;
	static uint8_t data[40000], got[40000];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	ASSERT_EQ(0, pair_open(&p, true));
	ASSERT_EQ(0, ktls_config_set_ciphers(p.ccfg, "aes128ccm8"));
	ASSERT_EQ(0, ktls_config_set_ciphers(p.scfg, "aes128ccm8"));
	pair_handshake(&p);
	ASSERT_EQ(0, p.crc);
	ASSERT_EQ(0, p.src);
	ASSERT_EQ(0, ktls_session_get_info(p.c, &ci));
	ASSERT_EQ(0, ktls_session_get_info(p.s, &si));
	EXPECT_EQ(KTLS_TLS_AES_128_CCM_8_SHA256, ci.cipher_suite);
	EXPECT_EQ(0, ci.tx_offloaded + ci.rx_offloaded + si.tx_offloaded + si.rx_offloaded);
	EXPECT_NONNULL(strstr(ci.offload_status, "has no kernel TLS cipher"));
	EXPECT_NONNULL(strstr(si.offload_status, "has no kernel TLS cipher"));
	EXPECT_TRUE(pair_transfer(p.c, p.s, data, sizeof(data), got));
	EXPECT_TRUE(pair_transfer(p.s, p.c, data, sizeof(data), got));
	pair_close(&p);

	ASSERT_EQ(0, pair_open(&p, true));
	ASSERT_EQ(0, ktls_config_set_ciphers(p.ccfg, "aes128ccm8"));
	ASSERT_EQ(0, ktls_config_set_offload(p.ccfg, KTLS_OFFLOAD_BOTH, 1));
	ASSERT_EQ(0, ktls_config_set_ciphers(p.scfg, "aes128ccm8"));
	pair_handshake(&p);
	EXPECT_EQ(KTLS_EOFFLOAD, p.crc);
	EXPECT_NONNULL(strstr(ktls_session_error(p.c), "no kernel TLS cipher"));
	pair_close(&p);
}

/* ==== KeyUpdate we initiate, and the §5.5 limits under kTLS (issue 16, item 3) =============
 * ktls_key_update with kernel TX: the KeyUpdate goes through the kernel under the old key, the
 * new TLS_TX key follows once it has left. On a kernel that rekeys (6.14+) data flows across
 * every change, checked by SHA-256; on one that cannot, the call is a clean KTLS_EKEYUPDATE
 * and the connection goes on. The kernel's own record count (getsockopt TLS_TX, rec_seq) is
 * what the §5.5 limit is enforced from: it must agree with the records we sent. */

FIXTURE(ours)
{
	struct session_pair p;
	struct ktls_probe_result probe;
	EVP_MD_CTX *sent, *got; /* SHA-256 of everything sent c→s and received */
};

FIXTURE_VARIANT(ours)
{
	const char *ciphers;
	uint16_t suite;
};

FIXTURE_VARIANT_ADD(ours, chacha20_poly1305) { "chacha20", KTLS_TLS_CHACHA20_POLY1305_SHA256 };
FIXTURE_VARIANT_ADD(ours, aes_128_gcm) { "aes128", KTLS_TLS_AES_128_GCM_SHA256 };
FIXTURE_VARIANT_ADD(ours, aes_256_gcm) { "aes256", KTLS_TLS_AES_256_GCM_SHA384 };
FIXTURE_VARIANT_ADD(ours, aes_128_ccm) { "aes128ccm", KTLS_TLS_AES_128_CCM_SHA256 };

FIXTURE_SETUP(ours)
{
	ASSERT_EQ(0, ktls_probe_kernel(&self->probe));
	ASSERT_EQ(0, pair_open(&self->p, true));
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.ccfg, variant->ciphers));
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.scfg, variant->ciphers));
	self->sent = EVP_MD_CTX_new();
	self->got = EVP_MD_CTX_new();
	EVP_DigestInit_ex(self->sent, EVP_sha256(), NULL);
	EVP_DigestInit_ex(self->got, EVP_sha256(), NULL);
	TH_LOG("this kernel %s TLS 1.3 rekey", self->probe.rekey ? "has" : "has no");
}

FIXTURE_TEARDOWN(ours)
{
	EVP_MD_CTX_free(self->sent);
	EVP_MD_CTX_free(self->got);
	pair_close(&self->p);
}

/* len bytes from one session to the other, into both digests. */
static bool ours_transfer(FIXTURE_DATA(ours) *self, struct ktls_session *from,
			  struct ktls_session *to, size_t len)
{
	static uint8_t data[1 << 18], got[1 << 18];
	static unsigned counter;
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 131 + counter * 7 + 1);
	counter++;
	if (len > sizeof(data) || !pair_transfer(from, to, data, len, got))
		return false;
	EVP_DigestUpdate(self->sent, data, len);
	EVP_DigestUpdate(self->got, got, len);
	return true;
}

static void ours_digests_agree(FIXTURE_DATA(ours) *self)
{
	uint8_t a[32], b[32];
	EVP_DigestFinal_ex(self->sent, a, NULL);
	EVP_DigestFinal_ex(self->got, b, NULL);
	ASSERT_MEMEQ(a, b, 32);
}

/* The records the kernel protected under the session's current TX key. */
static uint64_t kernel_tx_records(struct ktls_session *s)
{
	uint64_t seq = UINT64_MAX;
	if (ktls_kernel_tx_seq(&s->k, &seq))
		return UINT64_MAX;
	return seq;
}

TEST_F_TIMEOUT(ours, key_update_through_kernel_tx, 120)
{
	struct session_pair *p = &self->p;
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	expect_offloaded(p->c, variant->suite);
	expect_offloaded(p->s, variant->suite);
	ASSERT_TRUE(ours_transfer(self, p->c, p->s, 100000));
	EXPECT_NULL(p->c->e); /* parked: both directions in the kernel, nothing waiting */
	int rc = ktls_key_update(p->c, false);
	if (!self->probe.rekey) {
		/* nothing sent, nothing broken: a clear error, and the connection goes on */
		ASSERT_EQ(KTLS_EKEYUPDATE, rc);
		EXPECT_NONNULL(strstr(ktls_session_error(p->c), "6.14"));
		TH_LOG("%s", ktls_session_error(p->c));
		EXPECT_EQ(KTLS_EKEYUPDATE, ktls_key_update(p->c, true));
		ASSERT_TRUE(ours_transfer(self, p->c, p->s, 50000));
		ASSERT_TRUE(pair_transfer(p->s, p->c, (const uint8_t *)"still here", 10,
					  (uint8_t[16]){ 0 }));
		ours_digests_agree(self);
		return;
	}
	ASSERT_EQ(0, rc);
	EXPECT_EQ(0, kernel_tx_records(p->c)); /* the new key has protected nothing yet */
	ASSERT_TRUE(ours_transfer(self, p->c, p->s, 100000));
	/* update_requested: the server's kernel sends its answer, then takes its new key */
	ASSERT_EQ(0, ktls_key_update(p->c, true));
	ASSERT_TRUE(ours_transfer(self, p->c, p->s, 20000));
	ASSERT_TRUE(ours_transfer(self, p->s, p->c, 70000));
	/* and the server's own, many times, each way */
	for (int i = 0; i < 10; i++) {
		ASSERT_EQ(0, ktls_key_update(i % 2 ? p->s : p->c, i % 3 == 0));
		ASSERT_TRUE(ours_transfer(self, p->c, p->s, 5000 + 1000 * (size_t)i));
		ASSERT_TRUE(ours_transfer(self, p->s, p->c, 3000));
	}
	ours_digests_agree(self);
	EXPECT_STREQ("", ktls_session_error(p->c));
	EXPECT_STREQ("", ktls_session_error(p->s));
	EXPECT_EQ(0, ktls_close(p->c));
}

/* The kernel's rec_seq counts exactly the records we made it send: one per ktls_send here
 * (each below 2^14 bytes, none held open), restarting at 0 with each of our KeyUpdates. */
TEST_F(ours, kernel_rec_seq_agrees_with_records_sent)
{
	struct session_pair *p = &self->p;
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	EXPECT_EQ(0, kernel_tx_records(p->c)); /* the client sent nothing under this key yet */
	for (int i = 0; i < 25; i++)
		ASSERT_TRUE(ours_transfer(self, p->c, p->s, 100 + 10 * (size_t)i));
	EXPECT_EQ(25, kernel_tx_records(p->c));
	EXPECT_LE(kernel_tx_records(p->c), p->c->tx_bound); /* ours is an upper bound */
	/* the server's two tickets went through its kernel too, then 3 records of data */
	for (int i = 0; i < 3; i++)
		ASSERT_TRUE(ours_transfer(self, p->s, p->c, 500));
	EXPECT_EQ(2 + 3, kernel_tx_records(p->s));
	if (self->probe.rekey) {
		ASSERT_EQ(0, ktls_key_update(p->c, false));
		EXPECT_EQ(0, kernel_tx_records(p->c));
		for (int i = 0; i < 7; i++)
			ASSERT_TRUE(ours_transfer(self, p->c, p->s, 300));
		EXPECT_EQ(7, kernel_tx_records(p->c));
	}
	ours_digests_agree(self);
}

/* §5.5 with the limit lowered to 8 records a key: where the kernel rekeys, the session
 * changes the key by itself and every byte arrives; where it cannot, the session sends
 * close_notify before the limit and says why. Either way no key protects more than 8. */
TEST_F_TIMEOUT(ours, key_limit_through_kernel_tx, 120)
{
	struct session_pair *p = &self->p;
	ASSERT_EQ(0, ktls_config_set_key_limit(p->ccfg, 8));
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	expect_offloaded(p->c, variant->suite);
	if (variant->suite == KTLS_TLS_CHACHA20_POLY1305_SHA256) {
		/* a lower limit applies to ChaCha20-Poly1305 too: it has none of its own, but
		 * the configured one still stops a key */
	}
	uint8_t buf[4096];
	int i;
	for (i = 0; i < 60; i++) {
		size_t len = 1000 + 37 * (size_t)i;
		if (self->probe.rekey) {
			ASSERT_TRUE(ours_transfer(self, p->c, p->s, len));
			ASSERT_LE(kernel_tx_records(p->c), 8);
			continue;
		}
		uint8_t data[4096];
		memset(data, i, len);
		long n = ktls_send(p->c, data, len);
		if (n == KTLS_EKEYUPDATE)
			break;
		ASSERT_EQ((long)len, n);
		ASSERT_LE(kernel_tx_records(p->c), 8);
		size_t got = 0;
		while (got < len) {
			long r = ktls_recv(p->s, buf + got, len - got);
			if (r == KTLS_WANT_READ) {
				struct pollfd pfd = { .fd = p->sfd, .events = POLLIN };
				ASSERT_EQ(1, poll(&pfd, 1, 20000));
				continue;
			}
			ASSERT_LT(0, r);
			got += (size_t)r;
		}
		ASSERT_MEMEQ(data, buf, len);
	}
	if (self->probe.rekey) {
		ours_digests_agree(self);
		/* the big send too: the kernel cuts it into records, the key changes between */
		ASSERT_TRUE(ours_transfer(self, p->c, p->s, 200000));
		ASSERT_LE(kernel_tx_records(p->c), 8);
		EXPECT_STREQ("", ktls_session_error(p->c));
		return;
	}
	/* no rekey: the connection ended cleanly before the limit, and says why */
	ASSERT_LT(i, 60);
	EXPECT_NONNULL(strstr(ktls_session_error(p->c), "5.5"));
	EXPECT_NONNULL(strstr(ktls_session_error(p->c), "6.14"));
	TH_LOG("after %d sends: %s", i, ktls_session_error(p->c));
	long r;
	while ((r = ktls_recv(p->s, buf, sizeof(buf))) == KTLS_WANT_READ) {
		struct pollfd pfd = { .fd = p->sfd, .events = POLLIN };
		ASSERT_EQ(1, poll(&pfd, 1, 20000));
	}
	EXPECT_EQ(0, r); /* close_notify, not an alert or a reset */
	EXPECT_EQ(KTLS_EKEYUPDATE, ktls_send(p->c, "x", 1)); /* it sticks */
}

/* A full socket with kernel TX (non-blocking): the KeyUpdate waits in the session's queue
 * with the new key behind it, and nothing of ours may pass it — data waits too
 * (KTLS_WANT_WRITE) until the KeyUpdate has left and the key is installed; then every byte
 * arrives, in order, under the right keys. */
TEST_F_TIMEOUT(ours, key_update_on_a_full_socket, 120)
{
	struct session_pair *p = &self->p;
	static uint8_t chunk[1 << 16], sink[1 << 16];
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	expect_offloaded(p->c, variant->suite);
	memset(chunk, 'f', sizeof(chunk));
	size_t queued = 0;
	long n;
	while ((n = ktls_send(p->c, chunk, sizeof(chunk))) > 0)
		queued += (size_t)n;
	ASSERT_EQ(KTLS_WANT_WRITE, n);
	int rc = ktls_key_update(p->c, false);
	if (!self->probe.rekey) {
		ASSERT_EQ(KTLS_EKEYUPDATE, rc); /* nothing sent: the stream is only our 'f's */
	} else {
		ASSERT_EQ(0, rc); /* taken */
		/* While it waits in the queue nothing passes it. The socket may have found room
		 * meanwhile (ACKs on a loaded host free send space without the peer reading: seen
		 * once in make check under load); then it has left and there is nothing to pass. */
		if (ktls_kernel_queued(&p->c->k))
			EXPECT_EQ(KTLS_WANT_WRITE, ktls_send(p->c, "after", 5));
	}
	/* the server drains; the client flushes until the queue (and the key) are through */
	size_t got = 0;
	int f = KTLS_WANT_WRITE;
	while (got < queued || f) {
		if (f)
			f = ktls_session_flush(p->c);
		ASSERT_TRUE(f == 0 || f == KTLS_WANT_WRITE);
		long r = ktls_recv(p->s, sink, sizeof(sink));
		if (r == KTLS_WANT_READ) {
			struct pollfd pfd = { .fd = p->sfd, .events = POLLIN };
			poll(&pfd, 1, got < queued ? 1000 : 10);
			continue;
		}
		ASSERT_LT(0, r);
		for (long i = 0; i < r; i++)
			ASSERT_EQ('f', sink[i]);
		got += (size_t)r;
	}
	ASSERT_EQ(queued, got);
	EXPECT_EQ(0, kernel_tx_records(p->c) == UINT64_MAX); /* the kernel reports it */
	if (self->probe.rekey)
		EXPECT_EQ(0, kernel_tx_records(p->c)); /* the new key, nothing under it yet */
	ASSERT_TRUE(ours_transfer(self, p->c, p->s, 30000));
	ASSERT_TRUE(ours_transfer(self, p->s, p->c, 3000));
	ours_digests_agree(self);
}

TEST_HARNESS_MAIN
