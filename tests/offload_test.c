/*
 * offload_test.c — the decision and the bytes of the kernel handoff, with setsockopt swapped
 * for a stand-in that records what it was given and answers as a kernel might: the exact
 * tls12_crypto_info_* for each suite (version, cipher type, key, salt/iv split, rec_seq),
 * fallback to the userspace record layer with a reason when the kernel says no, and failure
 * when offload was required. The real kernel is exercised by the VM tests.
 */
#include "harness.h"

#include "keysched.h"
#include "offload.h"
#include "session.h"
#include "support/pair.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* What the stand-in saw, and how it answers (errno, or 0 for success) per option. */
static struct {
	int ulp_errno, tx_errno, rx_errno;
	int tx_again_errno; /* answer to a second TLS_TX: EBUSY on kernels without rekey */
	int calls, tx_calls;
	union ktls_crypto_info tx, rx;
	socklen_t tx_len, rx_len;
	char ulp[16];
	/* sendmsg through "kernel TX": a full socket says EAGAIN; what it takes is noted with
	 * the TLS_TX calls made before it (the key it left under) */
	bool full;
	int sent;
	uint8_t sent_type[8], sent_first[8];
	int sent_generation[8];
} fake;

static ssize_t fake_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	(void)fd;
	(void)flags;
	if (fake.full) {
		errno = EAGAIN;
		return -1;
	}
	uint8_t type = TLS_CONTENT_APPLICATION_DATA;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c))
		if (c->cmsg_level == SOL_TLS && c->cmsg_type == TLS_SET_RECORD_TYPE)
			type = *CMSG_DATA(c);
	size_t len = msg->msg_iov[0].iov_len;
	if (fake.sent < 8) {
		fake.sent_type[fake.sent] = type;
		fake.sent_first[fake.sent] = len ? ((const uint8_t *)msg->msg_iov[0].iov_base)[0] : 0;
		fake.sent_generation[fake.sent] = fake.tx_calls;
	}
	fake.sent++;
	return (ssize_t)len;
}

static int fake_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	(void)fd;
	fake.calls++;
	int e = 0;
	if (level == SOL_TCP && name == TCP_ULP) {
		snprintf(fake.ulp, sizeof(fake.ulp), "%.*s", (int)len, (const char *)val);
		e = fake.ulp_errno;
	} else if (level == SOL_TLS && name == TLS_TX) {
		memcpy(&fake.tx, val, len);
		fake.tx_len = len;
		e = fake.tx_calls++ ? fake.tx_again_errno : fake.tx_errno;
	} else if (level == SOL_TLS && name == TLS_RX) {
		memcpy(&fake.rx, val, len);
		fake.rx_len = len;
		e = fake.rx_errno;
	} else {
		e = EINVAL;
	}
	errno = e;
	return e ? -1 : 0;
}

FIXTURE(handoff)
{
	struct session_pair p;
};

FIXTURE_SETUP(handoff)
{
	memset(&fake, 0, sizeof(fake));
	ASSERT_EQ(0, pair_open(&self->p, false));
	/* only the client's kernel is played; the server stays in userspace */
	self->p.ccfg->setsockopt_fn = fake_setsockopt;
	ASSERT_EQ(0, ktls_config_set_offload(self->p.scfg, KTLS_OFFLOAD_NONE, 0));
}

FIXTURE_TEARDOWN(handoff)
{
	pair_close(&self->p);
}

/* After a fallback, the userspace record layer carries data from client to server. */
static void userspace_carries_data(struct session_pair *p)
{
	uint8_t buf[8];
	long n;
	ASSERT_EQ(5, ktls_send(p->c, "hello", 5));
	while ((n = ktls_recv(p->s, buf, sizeof(buf))) == KTLS_WANT_READ)
		;
	ASSERT_EQ(5, n);
	ASSERT_MEMEQ("hello", buf, 5);
}

TEST_F(handoff, no_tls_ulp_falls_back_with_a_reason)
{
	struct ktls_session_info ci;
	fake.ulp_errno = ENOENT;
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	EXPECT_STREQ("tls", fake.ulp);
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_EQ(0, ci.tx_offloaded);
	EXPECT_EQ(0, ci.rx_offloaded);
	EXPECT_NONNULL(strstr(ci.offload_status, "no tls ULP"));
	userspace_carries_data(&self->p);
}

TEST_F(handoff, required_offload_fails_the_handshake)
{
	struct ktls_session_info si;
	fake.ulp_errno = ENOENT;
	ASSERT_EQ(0, ktls_config_set_offload(self->p.ccfg, KTLS_OFFLOAD_BOTH, 1));
	pair_handshake(&self->p);
	EXPECT_EQ(KTLS_EOFFLOAD, self->p.crc);
	EXPECT_NONNULL(strstr(ktls_session_error(self->p.c), "kernel TLS required but unavailable"));
	EXPECT_NONNULL(strstr(ktls_session_error(self->p.c), "no tls ULP"));
	/* the server hears about it as internal_error */
	uint8_t buf[4];
	long n;
	while ((n = ktls_recv(self->p.s, buf, sizeof(buf))) == KTLS_WANT_READ)
		;
	EXPECT_EQ(KTLS_EALERT, n);
	ASSERT_EQ(0, ktls_session_get_info(self->p.s, &si));
	EXPECT_EQ(80, si.alert_received);
}

TEST_F(handoff, cipher_refused_names_the_suite)
{
	struct ktls_session_info ci;
	fake.tx_errno = EINVAL;
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.ccfg, "aes256"));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_EQ(0, ci.tx_offloaded);
	EXPECT_EQ(0, ci.rx_offloaded);
	EXPECT_NONNULL(strstr(ci.offload_status, "refused TLS_TX for TLS_AES_256_GCM_SHA384"));
	EXPECT_EQ(0u, fake.rx_len); /* RX is not tried after TX failed */
}

/* TLS_AES_128_CCM_8_SHA256 has no kernel cipher: the kernel is not asked at all (not even
 * for the ULP), data flows in userspace, and the reason says why. */
TEST_F(handoff, ccm_8_stays_in_userspace)
{
	struct ktls_session_info ci;
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.ccfg, "aes128ccm8"));
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.scfg, "aes128ccm8"));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, self->p.src);
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_EQ(KTLS_TLS_AES_128_CCM_8_SHA256, ci.cipher_suite);
	EXPECT_EQ(0, ci.tx_offloaded);
	EXPECT_EQ(0, ci.rx_offloaded);
	EXPECT_EQ(0, fake.calls);
	EXPECT_NONNULL(strstr(ci.offload_status, "TLS_AES_128_CCM_8_SHA256 has no kernel TLS cipher"));
	userspace_carries_data(&self->p);
}

TEST_F(handoff, ccm_8_with_offload_required_fails)
{
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.ccfg, "aes128ccm8"));
	ASSERT_EQ(0, ktls_config_set_ciphers(self->p.scfg, "aes128ccm8"));
	ASSERT_EQ(0, ktls_config_set_offload(self->p.ccfg, KTLS_OFFLOAD_BOTH, 1));
	pair_handshake(&self->p);
	EXPECT_EQ(KTLS_EOFFLOAD, self->p.crc);
	EXPECT_NONNULL(strstr(ktls_session_error(self->p.c), "no kernel TLS cipher"));
}

TEST_F(handoff, offload_none_never_asks_the_kernel)
{
	struct ktls_session_info ci;
	ASSERT_EQ(0, ktls_config_set_offload(self->p.ccfg, KTLS_OFFLOAD_NONE, 0));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	EXPECT_EQ(0, fake.calls);
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_STREQ("offload disabled by configuration", ci.offload_status);
}

TEST_F(handoff, tx_only_mode)
{
	struct ktls_session_info ci;
	ASSERT_EQ(0, ktls_config_set_offload(self->p.ccfg, KTLS_OFFLOAD_TX, 0));
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	ASSERT_EQ(0, ktls_session_get_info(self->p.c, &ci));
	EXPECT_EQ(1, ci.tx_offloaded);
	EXPECT_EQ(0, ci.rx_offloaded);
	EXPECT_EQ(0u, fake.rx_len);
	EXPECT_NE(0u, fake.tx_len);
}

static bool zeros(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return !acc;
}

/* A kernel without TLS 1.3 rekey (EBUSY on a second TLS_TX): after offload the session
 * keeps neither application traffic secret; a KeyUpdate then fails with the reason. */
/* Both directions in the kernel: the engine is parked (lib/core/engine.h), its handshake
 * state wiped and freed; what stays is the exporter and resumption master secrets, and no
 * traffic secret on a kernel that cannot rekey. */
TEST_F(handoff, no_rekey_kernel_keeps_no_traffic_secret)
{
	struct ktls_session *c;
	fake.tx_again_errno = EBUSY;
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	c = self->p.c;
	EXPECT_EQ(2, fake.tx_calls); /* the key, then the rekey question */
	EXPECT_FALSE(c->k.rekey);
	EXPECT_TRUE(c->e == NULL);
	ASSERT_TRUE(c->idle.parked);
	EXPECT_TRUE(ktls_engine_parked_secret(&c->idle, KTLS_PARKED_CLIENT_APP) == NULL);
	EXPECT_TRUE(ktls_engine_parked_secret(&c->idle, KTLS_PARKED_SERVER_APP) == NULL);
	EXPECT_EQ(KTLS_PARKED_EXPORTER | KTLS_PARKED_RESUMPTION, c->idle.have);
	EXPECT_EQ(2, c->idle.n_secrets);
}

TEST_F(handoff, rekey_kernel_keeps_what_a_key_update_needs)
{
	struct ktls_session *c;
	fake.tx_again_errno = 0;
	pair_handshake(&self->p);
	ASSERT_EQ(0, self->p.crc);
	c = self->p.c;
	EXPECT_TRUE(c->k.rekey);
	ASSERT_TRUE(c->idle.parked);
	const uint8_t *own = ktls_engine_parked_secret(&c->idle, KTLS_PARKED_CLIENT_APP);
	ASSERT_TRUE(own != NULL);
	EXPECT_FALSE(zeros(own, c->idle.suite->hash_len));
	EXPECT_TRUE(ktls_engine_parked_secret(&c->idle, KTLS_PARKED_SERVER_APP) != NULL);
	EXPECT_EQ(4, c->idle.n_secrets);
}

/* The client with kernel TX alone (its sendmsg played too), a kernel whose second TLS_TX
 * says tx_again_errno (0: it rekeys); handshake done. */
static void kernel_tx_client(struct session_pair *p, int tx_again_errno)
{
	fake.tx_again_errno = tx_again_errno;
	ASSERT_EQ(0, ktls_config_set_offload(p->ccfg, KTLS_OFFLOAD_TX, 0));
	p->ccfg->sendmsg_fn = fake_sendmsg;
	pair_handshake(p);
	ASSERT_EQ(0, p->crc);
	ASSERT_EQ(0, p->src);
	ASSERT_TRUE(p->c->k.tx);
	ASSERT_FALSE(p->c->k.rx);
}

/* RFC 8446 §4.6.3 with kernel TX on a full socket: the KeyUpdate answer waits in the
 * control queue, and the new TX key must wait behind it — installed only once the answer
 * left under the old key (the peer reads it with the old key, then switches). Before the
 * re-layer the key went in at once, while the answer still waited: it would have left under
 * a key the peer could not read yet. */
TEST_F(handoff, key_update_answer_on_a_full_socket_leaves_under_the_old_key)
{
	struct ktls_session *c, *s;
	uint8_t before[KTLS_MAX_HASH_LEN], next[KTLS_MAX_HASH_LEN];
	char reason[200], buf[16];

	kernel_tx_client(&self->p, 0); /* a kernel that takes new keys */
	c = self->p.c;
	s = self->p.s;
	int installs = fake.tx_calls; /* the key, and the rekey question */
	memcpy(before, c->e->ks.client_application_traffic, sizeof(before));

	/* the server asks; the client's socket is full */
	fake.full = true;
	ASSERT_EQ(0, ktls_engine_send_key_update(s->e, true));
	ASSERT_EQ(0, ktls_session_flush(s));
	long n = KTLS_WANT_READ;
	for (int i = 0; i < 1000 && c->e->key_updates == 0; i++)
		n = ktls_recv(c, buf, sizeof(buf));
	ASSERT_EQ(1u, c->e->key_updates);
	EXPECT_TRUE(n == KTLS_WANT_READ || n == KTLS_WANT_WRITE);
	EXPECT_EQ(0, c->e->err);

	/* the answer waits, and so does the key */
	EXPECT_EQ(0, fake.sent);
	EXPECT_EQ(installs, fake.tx_calls);
	EXPECT_LT(0u, ktls_kernel_queued(&c->k));
	EXPECT_EQ(KTLS_WANT_WRITE, ktls_kernel_install(&c->k, TLS_TX, before, 0, reason, sizeof(reason)));
	EXPECT_EQ(KTLS_WANT_WRITE, ktls_session_flush(c));
	EXPECT_EQ(installs, fake.tx_calls);

	/* room again: the answer goes under the old key, then the new key goes in */
	fake.full = false;
	ASSERT_EQ(0, ktls_session_flush(c));
	ASSERT_EQ(1, fake.sent);
	EXPECT_EQ(TLS_CONTENT_HANDSHAKE, fake.sent_type[0]);
	EXPECT_EQ(TLS_HS_KEY_UPDATE, fake.sent_first[0]);
	EXPECT_EQ(installs, fake.sent_generation[0]);
	EXPECT_EQ(installs + 1, fake.tx_calls);
	EXPECT_EQ(0u, ktls_kernel_queued(&c->k));

	/* and the key installed is the next one (§7.2), at record 0 */
	struct ktls_traffic_keys keys;
	union ktls_crypto_info want;
	size_t want_len;
	ASSERT_EQ(0, ktls_next_traffic_secret(c->e->suite->md(), before, next));
	ASSERT_EQ(0, ktls_derive_traffic_keys(c->e->suite, next, &keys));
	ASSERT_EQ(0, ktls_crypto_info_build(&want, &want_len, c->e->suite, keys.key, keys.iv, 0));
	ASSERT_EQ(want_len, (size_t)fake.tx_len);
	EXPECT_EQ(0, memcmp(&want, &fake.tx, want_len));
}

/* The same request on a kernel that cannot rekey, the socket full: the session fails
 * cleanly (KTLS_EKEYUPDATE), and the alert that tells the peer why (internal_error, RFC 8446
 * §6.2) waits for room like any control record — ktls_session_flush sends it once there is
 * room (KTLS_WANT_WRITE until then), and then returns the error. */
TEST_F(handoff, alert_of_a_failed_session_waits_for_room_then_goes)
{
	struct ktls_session *c;
	char buf[16];

	kernel_tx_client(&self->p, EBUSY); /* no rekey */
	c = self->p.c;

	fake.full = true;
	ASSERT_EQ(0, ktls_engine_send_key_update(self->p.s->e, true));
	ASSERT_EQ(0, ktls_session_flush(self->p.s));
	long n = KTLS_WANT_READ;
	for (int i = 0; i < 1000 && n == KTLS_WANT_READ; i++)
		n = ktls_recv(c, buf, sizeof(buf));
	ASSERT_EQ(KTLS_EKEYUPDATE, n);
	EXPECT_NONNULL(strstr(ktls_session_error(c), "6.14"));
	EXPECT_EQ(0, fake.sent);
	EXPECT_LT(0u, ktls_kernel_queued(&c->k));
	EXPECT_EQ(KTLS_WANT_WRITE, ktls_session_flush(c));

	fake.full = false;
	EXPECT_EQ(KTLS_EKEYUPDATE, ktls_session_flush(c));
	ASSERT_EQ(1, fake.sent);
	EXPECT_EQ(TLS_CONTENT_ALERT, fake.sent_type[0]);
	EXPECT_EQ(2, fake.sent_first[0]); /* fatal */
	EXPECT_EQ(0u, ktls_kernel_queued(&c->k));
	EXPECT_EQ(KTLS_EKEYUPDATE, ktls_session_flush(c)); /* nothing more: the error stays */
	EXPECT_EQ(1, fake.sent);
}

/* ---- what an idle offloaded connection costs ------------------------------------------
 * Issue 15: once the kernel holds both directions, a connection keeps the fd, the offload
 * flags, a small error code and the secrets it can still use — a few hundred bytes. A server
 * session, offloaded through the stand-in kernel with its default two tickets sent (through
 * the stand-in's sendmsg), must hold at most 512 bytes by its own count and at most 1 KiB by
 * the allocator's (chunk headers included), so that neither can grow back unnoticed. */

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
/* ASan's allocator statistics (compiler-rt's sanitizer/allocator_interface.h, which gcc does
 * not install; its libasan exports the same function). */
size_t __sanitizer_get_current_allocated_bytes(void);
/* Heap in use now (ASan's allocator: the bytes asked for). */
static size_t heap_in_use(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#else
/* Heap in use now (glibc's main arena, chunk headers included; one thread). */
static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}
#endif

#define IDLE_SESSION_MAX 512u    /* ktls_session_memory of an idle offloaded session */
#define IDLE_HEAP_MAX 1024u      /* what the allocator says it holds */

/* One server handshake with the server's kernel played, tickets at the default; the client
 * stays in userspace and is freed. Returns the server session (the caller frees the pair). */
static struct ktls_session *offloaded_server(struct session_pair *p)
{
	if (pair_open(p, false))
		return NULL;
	p->scfg->setsockopt_fn = fake_setsockopt;
	p->scfg->sendmsg_fn = fake_sendmsg;
	if (ktls_config_set_offload(p->ccfg, KTLS_OFFLOAD_NONE, 0) ||
	    ktls_config_set_offload(p->scfg, KTLS_OFFLOAD_BOTH, 1))
		return NULL;
	pair_handshake(p);
	if (p->crc || p->src)
		return NULL;
	ktls_session_free(p->c);
	p->c = NULL;
	return p->s;
}

TEST(idle_offloaded_server_holds_a_few_hundred_bytes)
{
	struct session_pair warm, p;
	memset(&fake, 0, sizeof(fake));
	fake.tx_again_errno = EBUSY; /* no rekey: no traffic secret stays */
	/* a first connection, so that what the libraries set up once is not counted */
	ASSERT_NONNULL(offloaded_server(&warm));
	pair_close(&warm);

	memset(&fake, 0, sizeof(fake));
	fake.tx_again_errno = EBUSY;
	ASSERT_EQ(0, pair_open(&p, false));
	p.scfg->setsockopt_fn = fake_setsockopt;
	p.scfg->sendmsg_fn = fake_sendmsg;
	ASSERT_EQ(0, ktls_config_set_offload(p.ccfg, KTLS_OFFLOAD_NONE, 0));
	ASSERT_EQ(0, ktls_config_set_offload(p.scfg, KTLS_OFFLOAD_BOTH, 1));
	size_t before = heap_in_use();
	pair_handshake(&p);
	ASSERT_EQ(0, p.crc);
	ASSERT_EQ(0, p.src);
	ktls_session_free(p.c);
	p.c = NULL;
	size_t after = heap_in_use();
	struct ktls_session *s = p.s;
	EXPECT_TRUE(s->k.tx && s->k.rx);
	EXPECT_EQ(2, fake.sent); /* the two tickets, through the kernel */
	size_t own = ktls_session_memory(s);
	TH_LOG("idle offloaded server: %zu bytes by its count (struct %zu), %zu by the allocator",
	       own, sizeof(*s), after - before);
	EXPECT_TRUE(s->e == NULL); /* parked */
	EXPECT_GE(IDLE_SESSION_MAX, own);
	EXPECT_GE(IDLE_HEAP_MAX, after - before);
	/* and it still works: an exporter, the info, and close_notify through the kernel */
	uint8_t x[16];
	struct ktls_session_info info;
	EXPECT_EQ(0, ktls_export_keying_material(s, "EXPERIMENTAL-m", NULL, 0, x, sizeof(x)));
	EXPECT_EQ(0, ktls_session_get_info(s, &info));
	EXPECT_STREQ("localhost", info.server_name);
	EXPECT_STREQ("", info.offload_status);
	EXPECT_EQ(0, ktls_close(s));
	EXPECT_EQ(3, fake.sent);
	EXPECT_EQ(TLS_CONTENT_ALERT, fake.sent_type[2]);
	EXPECT_TRUE(s->e == NULL); /* parked again */
	EXPECT_STREQ("", ktls_session_error(s));
	pair_close(&p);
}

/* The crypto_info bytes for each suite, against keys derived independently here. */
FIXTURE(crypto_info)
{
	int unused;
};

FIXTURE_VARIANT(crypto_info)
{
	const char *ciphers;
	uint16_t suite;
	uint16_t cipher_type;
	size_t len;
};

FIXTURE_VARIANT_ADD(crypto_info, chacha20_poly1305) {
	.ciphers = "chacha20", .suite = KTLS_TLS_CHACHA20_POLY1305_SHA256,
	.cipher_type = TLS_CIPHER_CHACHA20_POLY1305,
	.len = sizeof(struct tls12_crypto_info_chacha20_poly1305) };
FIXTURE_VARIANT_ADD(crypto_info, aes_128_gcm) {
	.ciphers = "aes128", .suite = KTLS_TLS_AES_128_GCM_SHA256,
	.cipher_type = TLS_CIPHER_AES_GCM_128,
	.len = sizeof(struct tls12_crypto_info_aes_gcm_128) };
FIXTURE_VARIANT_ADD(crypto_info, aes_256_gcm) {
	.ciphers = "aes256", .suite = KTLS_TLS_AES_256_GCM_SHA384,
	.cipher_type = TLS_CIPHER_AES_GCM_256,
	.len = sizeof(struct tls12_crypto_info_aes_gcm_256) };
FIXTURE_VARIANT_ADD(crypto_info, aes_128_ccm) {
	.ciphers = "aes128ccm", .suite = KTLS_TLS_AES_128_CCM_SHA256,
	.cipher_type = TLS_CIPHER_AES_CCM_128,
	.len = sizeof(struct tls12_crypto_info_aes_ccm_128) };

FIXTURE_SETUP(crypto_info)
{
	memset(&fake, 0, sizeof(fake));
}

FIXTURE_TEARDOWN(crypto_info)
{
}

TEST_F(crypto_info, layout_and_sequence_number)
{
	const struct ktls_suite *suite = ktls_suite_find(variant->suite);
	struct ktls_traffic_keys k;
	uint8_t secret[48];
	char reason[200];

	for (unsigned i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(0x21 * i + 3);
	ASSERT_EQ(0, ktls_derive_traffic_keys(suite, secret, &k));
	ASSERT_EQ(0, ktls_offload_install(fake_setsockopt, -1, TLS_TX, suite, secret,
					  0x0102030405060708ull, NULL, reason, sizeof(reason)));
	ASSERT_EQ(variant->len, (size_t)fake.tx_len);
	EXPECT_EQ(0x0304, fake.tx.info.version); /* TLS_1_3_VERSION */
	EXPECT_EQ(variant->cipher_type, fake.tx.info.cipher_type);
	static const uint8_t seq[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	switch (variant->cipher_type) {
	case TLS_CIPHER_CHACHA20_POLY1305:
		ASSERT_MEMEQ(k.iv, fake.tx.chacha.iv, 12);
		ASSERT_MEMEQ(k.key, fake.tx.chacha.key, 32);
		ASSERT_MEMEQ(seq, fake.tx.chacha.rec_seq, 8);
		break;
	case TLS_CIPHER_AES_GCM_128: /* the 12-byte IV is salt(4) || iv(8) */
		ASSERT_MEMEQ(k.iv, fake.tx.aes128.salt, 4);
		ASSERT_MEMEQ(k.iv + 4, fake.tx.aes128.iv, 8);
		ASSERT_MEMEQ(k.key, fake.tx.aes128.key, 16);
		ASSERT_MEMEQ(seq, fake.tx.aes128.rec_seq, 8);
		break;
	case TLS_CIPHER_AES_GCM_256:
		ASSERT_MEMEQ(k.iv, fake.tx.aes256.salt, 4);
		ASSERT_MEMEQ(k.iv + 4, fake.tx.aes256.iv, 8);
		ASSERT_MEMEQ(k.key, fake.tx.aes256.key, 32);
		ASSERT_MEMEQ(seq, fake.tx.aes256.rec_seq, 8);
		break;
	case TLS_CIPHER_AES_CCM_128: /* split like GCM */
		ASSERT_MEMEQ(k.iv, fake.tx.aes128ccm.salt, 4);
		ASSERT_MEMEQ(k.iv + 4, fake.tx.aes128ccm.iv, 8);
		ASSERT_MEMEQ(k.key, fake.tx.aes128ccm.key, 16);
		ASSERT_MEMEQ(seq, fake.tx.aes128ccm.rec_seq, 8);
		break;
	default:
		ASSERT_TRUE(0);
	}
}

/* The rekey question is the same crypto_info sent twice (one derivation): the second TLS_TX
 * carries the very key, IV and sequence number of the first, and its answer is *rekey. */
TEST_F(crypto_info, rekey_question_repeats_the_same_key)
{
	const struct ktls_suite *suite = ktls_suite_find(variant->suite);
	uint8_t secret[48];
	char reason[200];
	union ktls_crypto_info first;
	bool rekey = true;

	for (unsigned i = 0; i < sizeof(secret); i++)
		secret[i] = (uint8_t)(0x35 * i + 1);
	ASSERT_EQ(0, ktls_offload_install(fake_setsockopt, -1, TLS_TX, suite, secret, 7, NULL,
					  reason, sizeof(reason)));
	ASSERT_EQ(1, fake.tx_calls);
	memcpy(&first, &fake.tx, sizeof(first));
	memset(&fake, 0, sizeof(fake));
	fake.tx_again_errno = EBUSY; /* a kernel without rekey */
	ASSERT_EQ(0, ktls_offload_install(fake_setsockopt, -1, TLS_TX, suite, secret, 7, &rekey,
					  reason, sizeof(reason)));
	EXPECT_EQ(2, fake.tx_calls);
	EXPECT_FALSE(rekey);
	ASSERT_EQ(variant->len, (size_t)fake.tx_len);
	EXPECT_MEMEQ(&first, &fake.tx, variant->len); /* the second call: the same bytes */
	memset(&fake, 0, sizeof(fake)); /* a kernel with rekey */
	ASSERT_EQ(0, ktls_offload_install(fake_setsockopt, -1, TLS_TX, suite, secret, 7, &rekey,
					  reason, sizeof(reason)));
	EXPECT_EQ(2, fake.tx_calls);
	EXPECT_TRUE(rekey);
	EXPECT_MEMEQ(&first, &fake.tx, variant->len);
	/* a refused install asks nothing more */
	memset(&fake, 0, sizeof(fake));
	fake.tx_errno = ENOPROTOOPT;
	rekey = true;
	EXPECT_EQ(KTLS_EUNSUPPORTED, ktls_offload_install(fake_setsockopt, -1, TLS_TX, suite,
							  secret, 7, &rekey, reason, sizeof(reason)));
	EXPECT_EQ(1, fake.tx_calls);
	EXPECT_TRUE(rekey); /* untouched */
}

TEST_HARNESS_MAIN
