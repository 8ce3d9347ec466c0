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

static void kernel_rx_refuses(struct session_pair *p, bool kernel_is_server, bool kernel_tx,
			      enum bad_record what, int err, int alert)
{
	struct ktls_session_info ki, pi;
	struct rp_buf bad = { 0 };
	ASSERT_EQ(0, ktls_config_set_offload(kernel_is_server ? p->ccfg : p->scfg, KTLS_OFFLOAD_NONE, 0));
	ASSERT_EQ(0, ktls_config_set_offload(kernel_is_server ? p->scfg : p->ccfg,
					     kernel_tx ? KTLS_OFFLOAD_BOTH : KTLS_OFFLOAD_RX, 1));
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	struct ktls_session *k = kernel_is_server ? p->s : p->c, *peer = kernel_is_server ? p->c : p->s;
	int kfd = kernel_is_server ? p->sfd : p->cfd, peer_fd = kernel_is_server ? p->cfd : p->sfd;
	ASSERT_EQ(0, ktls_session_get_info(k, &ki));
	ASSERT_EQ(1, ki.rx_offloaded);
	ASSERT_EQ(kernel_tx, ki.tx_offloaded);

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

TEST_F(kernel, peer_key_update_on_this_kernel)
{
	/* The server's kernel sends a KeyUpdate (update_not_requested) as a handshake record.
	 * With TLS 1.3 rekey in the kernel (6.14+) the client takes the new key and data keeps
	 * flowing once the server switches too; without it the client must fail cleanly,
	 * naming the reason, never return garbage. */
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
	uint8_t buf[16];
	long n;

	ASSERT_EQ(0, ktls_probe_kernel(&probe));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.src);
	c->cmsg_level = SOL_TLS;
	c->cmsg_type = 1; /* TLS_SET_RECORD_TYPE */
	c->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(c) = 22; /* handshake */
	ASSERT_EQ((ssize_t)sizeof(key_update), sendmsg(self->p.sfd, &msg, 0));
	while ((n = ktls_recv(self->p.c, buf, sizeof(buf))) == KTLS_WANT_READ)
		;
	if (probe.rekey) {
		EXPECT_EQ(KTLS_WANT_READ, n); /* took the key; nothing more yet */
	} else {
		EXPECT_EQ(KTLS_EKEYUPDATE, n);
		EXPECT_NONNULL(strstr(ktls_session_error(self->p.c), "6.14"));
		TH_LOG("%s", ktls_session_error(self->p.c));
	}
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
		ASSERT_EQ(0, rc); /* taken: it waits in the queue */
		EXPECT_EQ(KTLS_WANT_WRITE, ktls_send(p->c, "after", 5)); /* nothing passes it */
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
