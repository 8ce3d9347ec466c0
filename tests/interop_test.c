/*
 * interop_test.c — our TLS 1.3 against real OpenSSL 3 and GnuTLS 3.7 processes.
 *
 * Our side runs in this process through the public API (ktls_config_*, ktls_session_*,
 * ktls_send/recv/close, ktls_session_get_info); the other side is the real program —
 * `openssl s_server` / `s_client`, `gnutls-serv` / `gnutls-cli` — started as a child on a
 * free loopback port (tests/support/peer.c). A test passes only when both sides agree: we
 * check what our session reports AND what the peer printed (its cipher, group, signature,
 * ALPN, the alert it sent or received), and application data goes both ways.
 *
 *   matrix.<suite>_<group>_<key>.{client,server}_{openssl,gnutls}
 *       the three default suites × x25519/P-256 × every server key, then each other group
 *       (x448, P-384, P-521, ffdhe2048..8192) and both CCM suites in rows of their own; our
 *       client and our server, against each peer. OpenSSL 3.0 and GnuTLS 3.7 do all of
 *       them, CCM_8 and ffdhe8192 included: no combination is left out.
 *   mtls.*      client certificates both ways, and certificate_required
 *   hrr.*       HelloRetryRequest both ways with both peers, to the server's preferred group
 *   alpn.*      ALPN agreement and no_application_protocol
 *   reject.*    handshakes that must fail: the error code, the alert on the wire (our
 *               info and the peer's output), and the sentence ktls_session_error() gives
 *   keylog.*    our SSLKEYLOGFILE lines appear identically in the peer's key log
 *   keyupdate.* KeyUpdate sent by OpenSSL, answered by us, data flowing after it
 *
 * Handshakes run on a blocking socket with SO_RCVTIMEO/SO_SNDTIMEO, driven by
 * ktls_session_handshake() (what ktls_handshake() does, minus its unbounded poll), so that a
 * stuck peer fails the test in seconds with the peer's output shown, instead of a timeout.
 *
 * Needs: the openssl and gnutls-bin packages (a missing program fails the test, naming
 * the package: `make check` installs them) and the test PKI: `bash certs/gen.sh build/certs`,
 * or another directory in $KTLS_CERTS. Run from the project root.
 */
#include "harness.h"

#include "alert.h"
#include "ktls.h"
#include "support/peer.h"

#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The longest any single wait on the peer or the socket may take: 5 s, times
 * KTLS_TEST_TIMEOUT_SCALE like the harness's own timeouts (valgrind, emulation). */
static int io_timeout_ms(void)
{
	static int ms;
	if (!ms) {
		const char *env = getenv("KTLS_TEST_TIMEOUT_SCALE");
		double scale = env && *env ? strtod(env, NULL) : 1.0;
		ms = scale > 0 && scale < 1000 ? (int)(5000 * scale) : 5000;
	}
	return ms;
}
#define IO_TIMEOUT_MS io_timeout_ms()

/* ---- what we negotiate, as each implementation spells it ------------------------------ */

struct suite_desc {
	uint16_t id;
	const char *iana;   /* also OpenSSL's -ciphersuites name and ours */
	const char *gnutls; /* priority keyword and "Description" field */
	size_t hash_len;    /* of its HKDF hash: the key log's secret length */
};

struct group_desc {
	uint16_t id;
	const char *ours;       /* ktls_config_set_groups */
	const char *openssl;    /* -groups */
	const char *gnutls;     /* GROUP-X in a priority string, <kx>-X in "Description" */
	const char *s_client;   /* how s_client shows the server's key share */
	const char *gnutls_kx;  /* "ECDHE", or "DHE" for the FFDHE groups */
};

struct key_desc {
	const char *file;     /* certs/<file>.pem and .key */
	uint16_t scheme;      /* the CertificateVerify scheme a TLS 1.3 server signs with */
	const char *openssl;  /* s_client's "Peer signature type" */
	const char *gnutls;   /* gnutls' name for that scheme */
};

static const struct suite_desc SUITE_chacha20 = { KTLS_TLS_CHACHA20_POLY1305_SHA256,
						  "TLS_CHACHA20_POLY1305_SHA256",
						  "CHACHA20-POLY1305", 32 };
static const struct suite_desc SUITE_aes128 = { KTLS_TLS_AES_128_GCM_SHA256,
						"TLS_AES_128_GCM_SHA256", "AES-128-GCM", 32 };
static const struct suite_desc SUITE_aes256 = { KTLS_TLS_AES_256_GCM_SHA384,
						"TLS_AES_256_GCM_SHA384", "AES-256-GCM", 48 };
/* off by default in OpenSSL, GnuTLS and here: each side enables them by name */
static const struct suite_desc SUITE_aes128ccm = { KTLS_TLS_AES_128_CCM_SHA256,
						   "TLS_AES_128_CCM_SHA256", "AES-128-CCM", 32 };
static const struct suite_desc SUITE_aes128ccm8 = { KTLS_TLS_AES_128_CCM_8_SHA256,
						    "TLS_AES_128_CCM_8_SHA256", "AES-128-CCM-8", 32 };

static const struct group_desc GROUP_x25519 = { KTLS_GROUP_X25519, "x25519", "X25519", "X25519",
						"Server Temp Key: X25519, 253 bits", "ECDHE" };
static const struct group_desc GROUP_p256 = { KTLS_GROUP_SECP256R1, "secp256r1", "P-256",
					      "SECP256R1",
					      "Server Temp Key: ECDH, prime256v1, 256 bits", "ECDHE" };
static const struct group_desc GROUP_p384 = { KTLS_GROUP_SECP384R1, "secp384r1", "P-384",
					      "SECP384R1",
					      "Server Temp Key: ECDH, secp384r1, 384 bits", "ECDHE" };
static const struct group_desc GROUP_p521 = { KTLS_GROUP_SECP521R1, "secp521r1", "P-521",
					      "SECP521R1",
					      "Server Temp Key: ECDH, secp521r1, 521 bits", "ECDHE" };
static const struct group_desc GROUP_x448 = { KTLS_GROUP_X448, "x448", "X448", "X448",
					      "Server Temp Key: X448, 448 bits", "ECDHE" };
#define FFDHE_GROUP(bits)                                                                      \
	static const struct group_desc GROUP_ffdhe##bits = {                                  \
		KTLS_GROUP_FFDHE##bits, "ffdhe" #bits, "ffdhe" #bits, "FFDHE" #bits,            \
		"Server Temp Key: DH, " #bits " bits", "DHE"                                   \
	}
FFDHE_GROUP(2048);
FFDHE_GROUP(3072);
FFDHE_GROUP(4096);
FFDHE_GROUP(6144);
FFDHE_GROUP(8192);

static const struct key_desc KEY_rsa = { "server-rsa", 0x0804, "RSA-PSS", "RSA-PSS-RSAE-SHA256" };
static const struct key_desc KEY_ecdsa = { "server-ecdsa", 0x0403, "ECDSA",
					   "ECDSA-SECP256R1-SHA256" };
static const struct key_desc KEY_ed25519 = { "server-ed25519", 0x0807, "ed25519",
					     "EdDSA-Ed25519" };

/* ---- small string helpers --------------------------------------------------------------- */

/* A formatted string in one of 16 rotating buffers: for arguments used right away. */
__attribute__((format(printf, 1, 2))) static const char *str(const char *fmt, ...)
{
	static char bufs[16][1024];
	static unsigned next;
	char *b = bufs[next++ % 16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof(bufs[0]), fmt, ap);
	va_end(ap);
	return b;
}

static const char *certs_dir(void)
{
	const char *d = getenv("KTLS_CERTS");
	return d && *d ? d : "build/certs";
}

static const char *cert_file(const char *name, const char *ext)
{
	return str("%s/%s.%s", certs_dir(), name, ext);
}

/* A GnuTLS priority string: TLS 1.3 only, one suite, one group. */
static const char *gnutls_priority(const struct suite_desc *s, const struct group_desc *g)
{
	return str("NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+%s:-GROUP-ALL:+GROUP-%s", s->gnutls,
		   g->gnutls);
}

/* An argv under construction; the strings are copied in. */
struct args {
	char *v[64];
	size_t n;
	char store[8192];
	size_t used;
};

static void args_add(struct args *a, const char *s)
{
	size_t len = strlen(s) + 1;
	ASSERT_TRUE(a->n + 1 < sizeof(a->v) / sizeof(a->v[0]));
	ASSERT_TRUE(a->used + len <= sizeof(a->store));
	a->v[a->n++] = memcpy(a->store + a->used, s, len);
	a->v[a->n] = NULL;
	a->used += len;
}

/* Adds a NULL-terminated list of arguments. */
static void args_addv(struct args *a, va_list ap)
{
	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
		args_add(a, s);
}

/* ---- the per-test context ---------------------------------------------------------------- */

struct ctx {
	struct peer peer;
	struct ktls_config *cfg;
	struct ktls_session *s;
	struct ktls_session_info info; /* filled after each handshake */
	int fd, lfd, port;             /* fds are open when > 2 */
	char tmp[2][64];               /* temporary files, removed at teardown */
};

static void ctx_setup(struct ctx *c)
{
	c->fd = c->lfd = -1;
	c->peer.in = c->peer.out = -1;
	if (access(cert_file("ca", "pem"), R_OK) != 0)
		TH_LOG("no test certificates in %s: run `bash certs/gen.sh %s` (or set KTLS_CERTS)",
		       certs_dir(), certs_dir());
	ASSERT_EQ(0, access(cert_file("ca", "pem"), R_OK));
}

static void ctx_teardown(struct ctx *c)
{
	ktls_session_free(c->s);
	c->s = NULL;
	ktls_config_free(c->cfg);
	c->cfg = NULL;
	if (c->fd > STDERR_FILENO)
		close(c->fd);
	if (c->lfd > STDERR_FILENO)
		close(c->lfd);
	c->fd = c->lfd = -1;
	peer_free(&c->peer);
	for (int i = 0; i < 2; i++)
		if (c->tmp[i][0])
			unlink(c->tmp[i]);
}

/* Every fixture here has the same state and setup; only the names differ. */
#define INTEROP_FIXTURE(f)                                                                     \
	FIXTURE(f) { struct ctx c; };                                                          \
	FIXTURE_SETUP(f) { ctx_setup(&self->c); }                                              \
	FIXTURE_TEARDOWN(f) { ctx_teardown(&self->c); }

/* Prints the peer's command line and (the end of) its output, and our session's error. */
static void show_peer(const struct ctx *c)
{
	const struct peer *p = &c->peer;
	if (c->s && *ktls_session_error(c->s))
		TH_LOG("our session error: %s", ktls_session_error(c->s));
	if (!p->buf)
		return;
	size_t keep = 3000, len = p->len;
	TH_LOG("peer: %s", p->cmdline);
	TH_LOG("peer output%s:\n%s", len > keep ? " (its last 3000 bytes)" : "",
	       len > keep ? p->buf + len - keep : p->buf);
}

/* ASSERT_TRUE that shows the peer's side when it fails. cond is evaluated once. */
#define ASSERT_PEER(c, cond)                                                                   \
	do {                                                                                   \
		bool ok_ = (cond);                                                             \
		if (!ok_) {                                                                    \
			TH_LOG("not true: %s", #cond);                                         \
			show_peer(c);                                                          \
		}                                                                              \
		ASSERT_TRUE(ok_);                                                              \
	} while (0)

/* The peer printed needle (waiting for it up to IO_TIMEOUT_MS). */
#define ASSERT_PEER_SAID(c, needle) ASSERT_PEER(c, peer_expect(&(c)->peer, (needle), IO_TIMEOUT_MS))

/* A config setter that must succeed; shows ktls_config_error() when it does not. */
#define CFG_OK(c, call)                                                                        \
	do {                                                                                   \
		int e_ = (call);                                                               \
		if (e_)                                                                        \
			TH_LOG("%s: %s", #call, ktls_config_error((c)->cfg));                  \
		ASSERT_EQ(0, e_);                                                              \
	} while (0)

/* Our client: trusts the test CA, expects "localhost". */
static void client_config(struct ctx *c)
{
	c->cfg = ktls_config_new(KTLS_ROLE_CLIENT);
	ASSERT_NONNULL(c->cfg);
	CFG_OK(c, ktls_config_set_keylog(c->cfg, NULL)); /* not $SSLKEYLOGFILE, unless asked */
	CFG_OK(c, ktls_config_set_ca(c->cfg, cert_file("ca", "pem"), NULL));
	CFG_OK(c, ktls_config_set_server_name(c->cfg, "localhost"));
}

/* Our server with certs/<key>.pem. */
static void server_config(struct ctx *c, const char *key)
{
	c->cfg = ktls_config_new(KTLS_ROLE_SERVER);
	ASSERT_NONNULL(c->cfg);
	CFG_OK(c, ktls_config_set_keylog(c->cfg, NULL));
	CFG_OK(c, ktls_config_set_cert(c->cfg, cert_file(key, "pem"), cert_file(key, "key")));
}

static void start_peer(struct ctx *c, struct args *a, char *const env[])
{
	int rc = peer_start(&c->peer, a->v, env);
	if (rc)
		TH_LOG("cannot start %s: %s", a->v[0], c->peer.error);
	ASSERT_EQ(0, rc);
}

/* ---- spawning the peers ---------------------------------------------------------------------
 * Servers get a port that was free a moment ago and serve one connection; clients connect
 * to the socket we listen on. Extra arguments: a NULL-terminated list. */

/* openssl s_server with certs/<key>, one connection; version is "-tls1_3" or "-tls1_2". */
static void start_s_server(struct ctx *c, const char *key, const char *version, ...)
{
	struct args a = { .n = 0 };
	va_list ap;

	c->port = loopback_free_port();
	ASSERT_LT(0, c->port);
	args_add(&a, "openssl");
	args_add(&a, "s_server");
	args_add(&a, "-accept");
	args_add(&a, str("127.0.0.1:%d", c->port));
	args_add(&a, "-naccept");
	args_add(&a, "1");
	args_add(&a, version);
	args_add(&a, "-cert");
	args_add(&a, cert_file(key, "pem"));
	args_add(&a, "-key");
	args_add(&a, cert_file(key, "key"));
	va_start(ap, version);
	args_addv(&a, ap);
	va_end(ap);
	start_peer(c, &a, NULL);
}

/* gnutls-serv --echo with certs/<key> and a priority string. env: NULL or "X=y" list. */
static void start_gnutls_serv(struct ctx *c, const char *key, const char *priority,
			      char *const env[], ...)
{
	struct args a = { .n = 0 };
	va_list ap;

	c->port = loopback_free_port();
	ASSERT_LT(0, c->port);
	args_add(&a, "gnutls-serv");
	args_add(&a, "--echo");
	args_add(&a, "-p");
	args_add(&a, str("%d", c->port));
	args_add(&a, "--x509certfile");
	args_add(&a, cert_file(key, "pem"));
	args_add(&a, "--x509keyfile");
	args_add(&a, cert_file(key, "key"));
	args_add(&a, "--priority");
	args_add(&a, priority);
	va_start(ap, env);
	args_addv(&a, ap);
	va_end(ap);
	start_peer(c, &a, env);
}

/* Listens for the client we are about to start. */
static void server_listen(struct ctx *c)
{
	c->lfd = loopback_listen(&c->port);
	ASSERT_LT(STDERR_FILENO, c->lfd);
}

/* openssl s_client verifying our certificate for "localhost" against the test CA. */
static void start_s_client(struct ctx *c, const char *version, ...)
{
	struct args a = { .n = 0 };
	va_list ap;

	server_listen(c);
	args_add(&a, "openssl");
	args_add(&a, "s_client");
	args_add(&a, "-connect");
	args_add(&a, str("127.0.0.1:%d", c->port));
	args_add(&a, version);
	args_add(&a, "-CAfile");
	args_add(&a, cert_file("ca", "pem"));
	args_add(&a, "-servername");
	args_add(&a, "localhost");
	args_add(&a, "-verify_hostname");
	args_add(&a, "localhost");
	args_add(&a, "-verify_return_error");
	va_start(ap, version);
	args_addv(&a, ap);
	va_end(ap);
	start_peer(c, &a, NULL);
}

/* gnutls-cli verifying our certificate for "localhost" against the test CA. */
static void start_gnutls_cli(struct ctx *c, const char *priority, ...)
{
	struct args a = { .n = 0 };
	va_list ap;

	server_listen(c);
	args_add(&a, "gnutls-cli");
	args_add(&a, "-p");
	args_add(&a, str("%d", c->port));
	args_add(&a, "--x509cafile");
	args_add(&a, cert_file("ca", "pem"));
	args_add(&a, "--sni-hostname");
	args_add(&a, "localhost");
	args_add(&a, "--verify-hostname");
	args_add(&a, "localhost");
	args_add(&a, "--priority");
	args_add(&a, priority);
	va_start(ap, priority);
	args_addv(&a, ap);
	va_end(ap);
	args_add(&a, "127.0.0.1");
	start_peer(c, &a, NULL);
}

/* ---- our side ------------------------------------------------------------------------------ */

/* Runs the handshake on c->fd; returns its result, with c->info filled. */
static int run_handshake(struct ctx *c)
{
	ASSERT_EQ(0, socket_set_timeouts(c->fd, IO_TIMEOUT_MS));
	c->s = ktls_session_new(c->cfg, c->fd);
	ASSERT_NONNULL(c->s);
	int err = ktls_session_handshake(c->s);
	if (err == KTLS_WANT_READ || err == KTLS_WANT_WRITE) {
		/* a blocking socket only says "want" when SO_RCVTIMEO/SO_SNDTIMEO expired */
		TH_LOG("handshake stalled: the peer sent nothing for %d ms", IO_TIMEOUT_MS);
		show_peer(c);
	}
	ASSERT_NE(KTLS_WANT_READ, err);
	ASSERT_NE(KTLS_WANT_WRITE, err);
	ASSERT_EQ(0, ktls_session_get_info(c->s, &c->info));
	return err;
}

/* Our client: connects to the peer server (retrying until it listens) and handshakes. */
static int client_handshake(struct ctx *c)
{
	c->fd = loopback_connect(c->port, &c->peer, IO_TIMEOUT_MS);
	if (c->fd < 0) {
		TH_LOG("%s", c->peer.error);
		show_peer(c);
	}
	ASSERT_LT(STDERR_FILENO, c->fd);
	return run_handshake(c);
}

/* Our server: accepts the peer client and handshakes. */
static int server_handshake(struct ctx *c)
{
	c->fd = loopback_accept(c->lfd, &c->peer, IO_TIMEOUT_MS);
	if (c->fd < 0) {
		TH_LOG("%s", c->peer.error);
		show_peer(c);
	}
	ASSERT_LT(STDERR_FILENO, c->fd);
	return run_handshake(c);
}

/* The handshake returned want; shows both sides when it did not. */
static void assert_result(struct ctx *c, int want, int err)
{
	if (err != want) {
		TH_LOG("handshake: %d (%s), expected %d (%s)", err, ktls_strerror(err), want,
		       ktls_strerror(want));
		show_peer(c);
	}
	ASSERT_EQ(want, err);
}

#define ASSERT_HANDSHAKE_OK(c, call) assert_result(c, 0, call)

static void send_str(struct ctx *c, const char *s)
{
	long n = ktls_send(c->s, s, strlen(s));
	if (n != (long)strlen(s)) {
		TH_LOG("ktls_send: %ld (%s)", n, ktls_strerror((int)n));
		show_peer(c);
	}
	ASSERT_EQ((long)strlen(s), n);
}

/* ktls_recv on our blocking socket, as a blocking caller that only wants data uses it
 * (ktls.h): KTLS_WANT_READ after records without data (the peer's tickets) means "call
 * again"; only a socket that stays silent for the I/O timeout ends the wait. */
static long recv_data(struct ctx *c, void *buf, size_t len)
{
	long n;
	while ((n = ktls_recv(c->s, buf, len)) == KTLS_WANT_READ) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		if (poll(&p, 1, IO_TIMEOUT_MS) == 0)
			break;
	}
	return n;
}

/* Receives up to and including the first '\n' (the peers are line-oriented). */
static void recv_line(struct ctx *c, char *buf, size_t size)
{
	size_t have = 0;
	while (!memchr(buf, '\n', have)) {
		ASSERT_GT(size - 1, have);
		long n = recv_data(c, buf + have, size - 1 - have);
		if (n <= 0) {
			TH_LOG("ktls_recv: %ld (%s) after %zu bytes of a line", n,
			       n == KTLS_WANT_READ ? "nothing for the socket timeout"
						   : ktls_strerror((int)n),
			       have);
			show_peer(c);
		}
		ASSERT_LT(0, n);
		have += (size_t)n;
	}
	buf[have] = '\0';
}

/* The peer closed the stream properly: close_notify, ktls_recv() == 0. */
static void expect_close_notify(struct ctx *c)
{
	char buf[256];
	long n = recv_data(c, buf, sizeof(buf));
	if (n != 0) {
		TH_LOG("expected close_notify, ktls_recv gave %ld (%s)", n,
		       n > 0 ? "data" : ktls_strerror((int)n));
		show_peer(c);
	}
	ASSERT_EQ(0, n);
}

/* Our close_notify. The peer may already have closed its socket after its own close_notify,
 * so a failed write (KTLS_EIO) is not an error here. */
static void send_close_notify(struct ctx *c)
{
	int err = ktls_close(c->s);
	if (err && err != KTLS_EIO)
		TH_LOG("ktls_close: %d (%s): %s", err, ktls_strerror(err), ktls_session_error(c->s));
	ASSERT_TRUE(err == 0 || err == KTLS_EIO);
	/* and the TCP FIN: s_client lingers up to 500 ms reading until the socket's EOF */
	shutdown(c->fd, SHUT_WR);
}

/* The peer ends by itself with status 0. */
static void expect_peer_exit_ok(struct ctx *c)
{
	int rc = peer_wait(&c->peer, IO_TIMEOUT_MS);
	if (rc != 0) {
		TH_LOG("%s exited with %d (-1: still running)", c->peer.name, rc);
		show_peer(c);
	}
	ASSERT_EQ(0, rc);
}

/* Our client ↔ openssl s_server -rev: a line goes out, comes back reversed; then we close
 * and s_server (one connection) ends happily. */
static void exchange_with_rev_server(struct ctx *c)
{
	char line[256];
	send_str(c, "hello from the ktls client\n");
	recv_line(c, line, sizeof(line));
	ASSERT_STREQ("tneilc sltk eht morf olleh\n", line);
	send_close_notify(c);
	expect_peer_exit_ok(c);
}

/* Our client ↔ gnutls-serv --echo: a line comes back as sent; then we close. */
static void exchange_with_echo_server(struct ctx *c)
{
	char line[256];
	send_str(c, "hello gnutls from the ktls client\n");
	recv_line(c, line, sizeof(line));
	ASSERT_STREQ("hello gnutls from the ktls client\n", line);
	send_close_notify(c);
}

/* Our server ↔ a peer client reading stdin: the peer sends `line`, we echo it, the peer
 * prints it. Its stdin stays open until the echo is seen (at EOF a client sends close_notify
 * and may exit before reading our answer); then EOF → its close_notify → ours. */
static void exchange_with_client(struct ctx *c, const char *line)
{
	char got[256];
	ASSERT_PEER(c, peer_write(&c->peer, line) == 0);
	recv_line(c, got, sizeof(got));
	ASSERT_STREQ(line, got);
	send_str(c, got);
	ASSERT_PEER_SAID(c, line);
	peer_close_stdin(&c->peer);
	expect_close_notify(c);
	send_close_notify(c);
	expect_peer_exit_ok(c);
}

/* What the handshake negotiated, from our side (EXPECT: every difference is shown). */
static void assert_negotiated(struct ctx *c, const struct suite_desc *suite,
			      const struct group_desc *group, const struct key_desc *key, int hrr)
{
	EXPECT_EQ(0x0304, c->info.version);
	EXPECT_EQ(suite->id, c->info.cipher_suite);
	EXPECT_EQ(group->id, c->info.group);
	if (key)
		EXPECT_EQ(key->scheme, c->info.signature_scheme);
	EXPECT_EQ(hrr, c->info.hello_retry);
	EXPECT_EQ(-1, c->info.alert_sent);
	EXPECT_EQ(-1, c->info.alert_received);
}

/* A handshake that returned err must have failed with want_err, with the alert we sent /
 * received (-1: none), and an error sentence holding the given words (NULL-terminated). */
static void assert_failure(struct ctx *c, int err, int want_err, int sent, int received, ...)
{
	const char *msg = ktls_session_error(c->s);
	va_list ap;

	assert_result(c, want_err, err);
	EXPECT_EQ(0, c->info.version); /* not connected */
	EXPECT_EQ(sent, c->info.alert_sent);
	EXPECT_EQ(received, c->info.alert_received);
	va_start(ap, received);
	for (const char *w = va_arg(ap, const char *); w; w = va_arg(ap, const char *)) {
		if (!strstr(msg, w))
			TH_LOG("ktls_session_error() = \"%s\" lacks \"%s\"", msg, w);
		EXPECT_NONNULL(strstr(msg, w));
	}
	va_end(ap);
	EXPECT_LT(10, strlen(msg)); /* a sentence, not just a code name */
}

/* ==== the matrix: suite × group × server key, both roles, both peers ======================== */

INTEROP_FIXTURE(matrix)

FIXTURE_VARIANT(matrix)
{
	const struct suite_desc *suite;
	const struct group_desc *group;
	const struct key_desc *key;
};

#define MATRIX(s, g, k)                                                                        \
	FIXTURE_VARIANT_ADD(matrix, s##_##g##_##k) { &SUITE_##s, &GROUP_##g, &KEY_##k }
MATRIX(chacha20, x25519, rsa);
MATRIX(chacha20, x25519, ecdsa);
MATRIX(chacha20, x25519, ed25519);
MATRIX(chacha20, p256, rsa);
MATRIX(chacha20, p256, ecdsa);
MATRIX(chacha20, p256, ed25519);
MATRIX(aes128, x25519, rsa);
MATRIX(aes128, x25519, ecdsa);
MATRIX(aes128, x25519, ed25519);
MATRIX(aes128, p256, rsa);
MATRIX(aes128, p256, ecdsa);
MATRIX(aes128, p256, ed25519);
MATRIX(aes256, x25519, rsa);
MATRIX(aes256, x25519, ecdsa);
MATRIX(aes256, x25519, ed25519);
MATRIX(aes256, p256, rsa);
MATRIX(aes256, p256, ecdsa);
MATRIX(aes256, p256, ed25519);
/* every other group once, with each key and suite somewhere among them */
MATRIX(aes128, x448, ecdsa);
MATRIX(chacha20, p384, ecdsa);
MATRIX(aes256, p521, rsa);
MATRIX(aes128, ffdhe2048, rsa);
MATRIX(chacha20, ffdhe3072, ed25519);
MATRIX(aes256, ffdhe4096, ecdsa);
MATRIX(aes128, ffdhe6144, ecdsa);
MATRIX(chacha20, ffdhe8192, rsa);
/* the CCM suites: with the common group, and with a new one */
MATRIX(aes128ccm, x25519, ecdsa);
MATRIX(aes128ccm, p384, rsa);
MATRIX(aes128ccm8, x25519, ecdsa);
MATRIX(aes128ccm8, ffdhe2048, ed25519);

/* Both sides limited to the variant's suite and group; our client to them as well, so no
 * HelloRetryRequest. */
static void matrix_client_config(struct ctx *c, const FIXTURE_VARIANT(matrix) *v)
{
	client_config(c);
	CFG_OK(c, ktls_config_set_ciphers(c->cfg, v->suite->iana));
	CFG_OK(c, ktls_config_set_groups(c->cfg, v->group->ours));
}

static void matrix_server_config(struct ctx *c, const FIXTURE_VARIANT(matrix) *v)
{
	server_config(c, v->key->file);
	CFG_OK(c, ktls_config_set_ciphers(c->cfg, v->suite->iana));
	CFG_OK(c, ktls_config_set_groups(c->cfg, v->group->ours));
}

/* gnutls prints "- Description: (TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-
 * (AES-128-GCM)" on both ends. */
static const char *gnutls_description(const FIXTURE_VARIANT(matrix) *v)
{
	return str("(TLS1.3-X.509)-(%s-%s)-(%s)-(%s)", v->group->gnutls_kx, v->group->gnutls,
		   v->key->gnutls, v->suite->gnutls);
}

TEST_F(matrix, client_openssl)
{
	struct ctx *c = &self->c;
	matrix_client_config(c, variant);
	start_s_server(c, variant->key->file, "-tls1_3", "-rev", "-ciphersuites",
		       variant->suite->iana, "-groups", variant->group->openssl, NULL);
	ASSERT_HANDSHAKE_OK(c, client_handshake(c));
	assert_negotiated(c, variant->suite, variant->group, variant->key, 0);
	ASSERT_STREQ("localhost", c->info.server_name);
	ASSERT_STREQ("CN=localhost", c->info.peer_subject);
	exchange_with_rev_server(c);
	ASSERT_PEER_SAID(c, str("Ciphersuite: %s\n", variant->suite->iana));
}

TEST_F(matrix, client_gnutls)
{
	struct ctx *c = &self->c;
	matrix_client_config(c, variant);
	start_gnutls_serv(c, variant->key->file, gnutls_priority(variant->suite, variant->group),
			  NULL, NULL);
	ASSERT_HANDSHAKE_OK(c, client_handshake(c));
	assert_negotiated(c, variant->suite, variant->group, variant->key, 0);
	exchange_with_echo_server(c);
	peer_stop(&c->peer, IO_TIMEOUT_MS); /* its stdout is a pipe: buffered until it exits */
	ASSERT_PEER_SAID(c, str("- Description: %s\n", gnutls_description(variant)));
	ASSERT_PEER_SAID(c, "- Given server name[1]: localhost\n");
}

TEST_F(matrix, server_openssl)
{
	struct ctx *c = &self->c;
	matrix_server_config(c, variant);
	start_s_client(c, "-tls1_3", "-ciphersuites", variant->suite->iana, "-groups",
		       variant->group->openssl, NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	assert_negotiated(c, variant->suite, variant->group, variant->key, 0);
	ASSERT_STREQ("localhost", c->info.server_name);
	ASSERT_NULL(c->info.peer_subject);
	ASSERT_PEER_SAID(c, str("New, TLSv1.3, Cipher is %s\n", variant->suite->iana));
	ASSERT_PEER_SAID(c, str("%s\n", variant->group->s_client));
	ASSERT_PEER_SAID(c, str("Peer signature type: %s\n", variant->key->openssl));
	ASSERT_PEER_SAID(c, "Verification: OK\n");
	exchange_with_client(c, "openssl s_client says hello\n");
}

TEST_F(matrix, server_gnutls)
{
	struct ctx *c = &self->c;
	matrix_server_config(c, variant);
	start_gnutls_cli(c, gnutls_priority(variant->suite, variant->group), NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	assert_negotiated(c, variant->suite, variant->group, variant->key, 0);
	ASSERT_STREQ("localhost", c->info.server_name);
	ASSERT_PEER_SAID(c, str("- Description: %s\n", gnutls_description(variant)));
	ASSERT_PEER_SAID(c, "- Status: The certificate is trusted.");
	exchange_with_client(c, "gnutls-cli says hello\n");
}

/* ==== mutual TLS ============================================================================ */

INTEROP_FIXTURE(mtls)

static void require_client_cert(struct ctx *c)
{
	server_config(c, "server-ecdsa");
	CFG_OK(c, ktls_config_set_ca(c->cfg, cert_file("ca", "pem"), NULL));
	CFG_OK(c, ktls_config_set_client_auth(c->cfg, KTLS_CLIENT_AUTH_REQUIRED));
}

/* Our server requires a certificate; s_client presents client.pem. */
TEST_F(mtls, server_openssl_client_cert)
{
	struct ctx *c = &self->c;
	require_client_cert(c);
	start_s_client(c, "-tls1_3", "-cert", cert_file("client", "pem"), "-key",
		       cert_file("client", "key"), NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	ASSERT_NONNULL(c->info.peer_subject);
	ASSERT_NONNULL(strstr(c->info.peer_subject, "ktls-test-client"));
	exchange_with_client(c, "a client with a certificate\n");
}

/* The same with gnutls-cli. */
TEST_F(mtls, server_gnutls_client_cert)
{
	struct ctx *c = &self->c;
	require_client_cert(c);
	start_gnutls_cli(c, "NORMAL:-VERS-ALL:+VERS-TLS1.3", "--x509certfile",
			 cert_file("client", "pem"), "--x509keyfile", cert_file("client", "key"),
			 NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	ASSERT_NONNULL(c->info.peer_subject);
	ASSERT_NONNULL(strstr(c->info.peer_subject, "ktls-test-client"));
	exchange_with_client(c, "gnutls with a certificate\n");
}

/* Our client presents client.pem to s_server -Verify 1, which accepts it (data flows only
 * after the server checked it: in TLS 1.3 the client finishes first). */
TEST_F(mtls, client_cert_openssl_server)
{
	struct ctx *c = &self->c;
	client_config(c);
	CFG_OK(c, ktls_config_set_cert(c->cfg, cert_file("client", "pem"),
				       cert_file("client", "key")));
	start_s_server(c, "server-ecdsa", "-tls1_3", "-rev", "-Verify", "1", "-CAfile",
		       cert_file("ca", "pem"), "-verify_return_error", NULL);
	ASSERT_HANDSHAKE_OK(c, client_handshake(c));
	exchange_with_rev_server(c);
	ASSERT_PEER_SAID(c, "ktls-test-client");
}

/* s_client without a certificate against our server that requires one. */
TEST_F(mtls, server_requires_cert_openssl_client_has_none)
{
	struct ctx *c = &self->c;
	require_client_cert(c);
	start_s_client(c, "-tls1_3", NULL);
	assert_failure(c, server_handshake(c), KTLS_ECERTREQUIRED, 116, -1, "certificate",
		       "required", NULL);
	ASSERT_PEER_SAID(c, "alert certificate required");
}

/* ==== HelloRetryRequest ===================================================================== */

INTEROP_FIXTURE(hrr)

/* Our client with groups ours (NULL: the defaults, a share for x25519) against a server
 * that takes only group: a HelloRetryRequest, then data. */
static void client_hrr_openssl(struct ctx *c, const char *ours, const struct group_desc *group)
{
	client_config(c);
	if (ours)
		CFG_OK(c, ktls_config_set_groups(c->cfg, ours));
	start_s_server(c, "server-ecdsa", "-tls1_3", "-rev", "-groups", group->openssl, NULL);
	ASSERT_HANDSHAKE_OK(c, client_handshake(c));
	assert_negotiated(c, &SUITE_chacha20, group, &KEY_ecdsa, 1);
	exchange_with_rev_server(c);
}

static void client_hrr_gnutls(struct ctx *c, const char *ours, const struct group_desc *group)
{
	client_config(c);
	if (ours)
		CFG_OK(c, ktls_config_set_groups(c->cfg, ours));
	start_gnutls_serv(c, "server-ecdsa",
			  str("NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-%s", group->gnutls),
			  NULL, NULL);
	ASSERT_HANDSHAKE_OK(c, client_handshake(c));
	EXPECT_EQ(group->id, c->info.group);
	ASSERT_EQ(1, c->info.hello_retry);
	exchange_with_echo_server(c);
	peer_stop(&c->peer, IO_TIMEOUT_MS);
	ASSERT_PEER_SAID(c, str("(%s-%s)", group->gnutls_kx, group->gnutls));
}

/* Our client offers x25519 first (its key share), the server only takes P-256. */
TEST_F(hrr, client_openssl_server_p256)
{
	client_hrr_openssl(&self->c, "x25519,secp256r1", &GROUP_p256);
}

TEST_F(hrr, client_gnutls_server_p256)
{
	client_hrr_gnutls(&self->c, "x25519,secp256r1", &GROUP_p256);
}

/* Our client with its default groups against servers that take only a group further down
 * the list: x448 with s_server, ffdhe2048 with gnutls-serv. */
TEST_F(hrr, client_openssl_server_x448_from_defaults)
{
	client_hrr_openssl(&self->c, NULL, &GROUP_x448);
}

TEST_F(hrr, client_gnutls_server_ffdhe2048_from_defaults)
{
	client_hrr_gnutls(&self->c, NULL, &GROUP_ffdhe2048);
}

/* s_client sends an X25519 share only; our server takes only secp256r1. */
TEST_F(hrr, server_openssl_client_x25519_first)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	CFG_OK(c, ktls_config_set_groups(c->cfg, "secp256r1"));
	start_s_client(c, "-tls1_3", "-groups", "X25519:P-256", NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	assert_negotiated(c, &SUITE_chacha20, &GROUP_p256, &KEY_ecdsa, 1);
	ASSERT_PEER_SAID(c, str("%s\n", GROUP_p256.s_client));
	exchange_with_client(c, "after a HelloRetryRequest\n");
}

/* Our server with groups ours (NULL: the defaults) against gnutls-cli with the groups of
 * priority string theirs: it must agree on group, with or without a HelloRetryRequest. */
static void gnutls_client_group(struct ctx *c, const char *ours, const char *theirs,
				const struct group_desc *group, int hrr)
{
	server_config(c, "server-ecdsa");
	if (ours)
		CFG_OK(c, ktls_config_set_groups(c->cfg, ours));
	start_gnutls_cli(c, str("NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:%s", theirs), NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	ASSERT_EQ(group->id, c->info.group);
	ASSERT_EQ(hrr, c->info.hello_retry);
	ASSERT_PEER_SAID(c, str("(%s-%s)", group->gnutls_kx, group->gnutls));
	exchange_with_client(c, "gnutls and its key shares\n");
}

/* gnutls-cli sends key shares for the first group of each kind, so with X25519 and P-256
 * it offers both; with secp384r1 first and secp521r1 second (both "EC") it offers a share
 * for secp384r1 alone. Our server that takes only secp521r1 must ask again for it. */
TEST_F(hrr, server_gnutls_client_p384_first)
{
	gnutls_client_group(&self->c, "secp521r1", "+GROUP-SECP384R1:+GROUP-SECP521R1",
			    &GROUP_p521, 1);
}

/* The same client against our default groups: its secp384r1 share is one we take, so no
 * HelloRetryRequest for a group we list earlier (x25519, secp256r1) but it sent no share of. */
TEST_F(hrr, server_gnutls_client_p384_share_taken)
{
	gnutls_client_group(&self->c, NULL, "+GROUP-SECP384R1:+GROUP-SECP256R1", &GROUP_p384, 0);
}

/* Our server prefers a new group the client lists but sent no share for: s_client shares
 * X25519 only, lists P-384 before ffdhe3072; our server (ffdhe3072 first, no x25519) asks
 * for its own preference, not the client's. */
TEST_F(hrr, server_openssl_client_gets_servers_preference)
{
	struct ctx *c = &self->c;
	server_config(c, "server-rsa");
	CFG_OK(c, ktls_config_set_groups(c->cfg, "ffdhe3072,secp384r1"));
	start_s_client(c, "-tls1_3", "-groups", "X25519:P-384:ffdhe3072", NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	assert_negotiated(c, &SUITE_chacha20, &GROUP_ffdhe3072, &KEY_rsa, 1);
	ASSERT_PEER_SAID(c, str("%s\n", GROUP_ffdhe3072.s_client));
	exchange_with_client(c, "after a HelloRetryRequest for ffdhe3072\n");
}

/* ==== ALPN ================================================================================== */

INTEROP_FIXTURE(alpn)

TEST_F(alpn, client_openssl_server)
{
	struct ctx *c = &self->c;
	client_config(c);
	CFG_OK(c, ktls_config_set_alpn(c->cfg, "h2,http/1.1"));
	start_s_server(c, "server-ecdsa", "-tls1_3", "-rev", "-alpn", "http/1.1", NULL);
	ASSERT_HANDSHAKE_OK(c, client_handshake(c));
	ASSERT_STREQ("http/1.1", c->info.alpn);
	exchange_with_rev_server(c);
}

TEST_F(alpn, server_openssl_client)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	CFG_OK(c, ktls_config_set_alpn(c->cfg, "http/1.1"));
	start_s_client(c, "-tls1_3", "-alpn", "h2,http/1.1", NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	ASSERT_STREQ("http/1.1", c->info.alpn);
	ASSERT_PEER_SAID(c, "ALPN protocol: http/1.1\n");
	exchange_with_client(c, "speaking http/1.1\n");
}

TEST_F(alpn, server_gnutls_client)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	CFG_OK(c, ktls_config_set_alpn(c->cfg, "http/1.1"));
	start_gnutls_cli(c, "NORMAL:-VERS-ALL:+VERS-TLS1.3", "--alpn", "h2", "--alpn", "http/1.1",
			 NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	ASSERT_STREQ("http/1.1", c->info.alpn);
	ASSERT_PEER_SAID(c, "- Application protocol: http/1.1\n");
	exchange_with_client(c, "gnutls speaking http/1.1\n");
}

/* Our server serves only h2, s_client wants http/1.1: no_application_protocol (120). */
TEST_F(alpn, server_mismatch_openssl_client)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	CFG_OK(c, ktls_config_set_alpn(c->cfg, "h2"));
	start_s_client(c, "-tls1_3", "-alpn", "http/1.1", NULL);
	assert_failure(c, server_handshake(c), KTLS_ENOALPN, 120, -1, "ALPN", NULL);
	ASSERT_PEER_SAID(c, "alert no application protocol");
}

/* s_server serves only h2, our client wants http/1.1: s_server refuses with 120. */
TEST_F(alpn, client_mismatch_openssl_server)
{
	struct ctx *c = &self->c;
	client_config(c);
	CFG_OK(c, ktls_config_set_alpn(c->cfg, "http/1.1"));
	start_s_server(c, "server-ecdsa", "-tls1_3", "-rev", "-msg", "-alpn", "h2", NULL);
	assert_failure(c, client_handshake(c), KTLS_EALERT, -1, 120,
		       "peer sent alert: no_application_protocol", NULL);
	ASSERT_PEER_SAID(c, "no application protocol");
	/* -msg: the alert it sent (OpenSSL 3.0 has no name for 120) */
	ASSERT_PEER_SAID(c, ">>> TLS 1.3, Alert [length 0002], fatal ???\n    02 78\n");
}

/* ==== handshakes that must fail ============================================================= */

INTEROP_FIXTURE(reject)

/* Our client against s_server presenting certs/<cert>: verification fails on our side. */
static void client_against_bad_cert(struct ctx *c, const char *cert)
{
	client_config(c);
	start_s_server(c, cert, "-tls1_3", "-rev", NULL);
}

TEST_F(reject, client_unknown_ca)
{
	struct ctx *c = &self->c;
	client_against_bad_cert(c, "unknown-ca");
	assert_failure(c, client_handshake(c), KTLS_EUNKNOWNCA, 48, -1, "unknown CA", NULL);
	ASSERT_PEER_SAID(c, "alert unknown ca");
}

TEST_F(reject, client_expired)
{
	struct ctx *c = &self->c;
	client_against_bad_cert(c, "expired");
	assert_failure(c, client_handshake(c), KTLS_ECERTEXPIRED, 45, -1, "expired", NULL);
	ASSERT_PEER_SAID(c, "alert certificate expired");
}

TEST_F(reject, client_wrong_host)
{
	struct ctx *c = &self->c;
	client_against_bad_cert(c, "wrong-host");
	assert_failure(c, client_handshake(c), KTLS_EBADCERT, 42, -1, "localhost", NULL);
	ASSERT_PEER_SAID(c, "alert bad certificate");
}

/* Our client offers AES-256-GCM only, s_server takes ChaCha20 only: it refuses. */
TEST_F(reject, client_no_common_suite)
{
	struct ctx *c = &self->c;
	client_config(c);
	CFG_OK(c, ktls_config_set_ciphers(c->cfg, "aes256"));
	start_s_server(c, "server-ecdsa", "-tls1_3", "-rev", "-msg", "-ciphersuites",
		       "TLS_CHACHA20_POLY1305_SHA256", NULL);
	assert_failure(c, client_handshake(c), KTLS_EALERT, -1, 40,
		       "peer sent alert: handshake_failure", NULL);
	ASSERT_STREQ("peer sent alert: handshake_failure", ktls_session_error(c->s));
	ASSERT_PEER_SAID(c, "no shared cipher");
	ASSERT_PEER_SAID(c, ">>> TLS 1.3, Alert [length 0002], fatal handshake_failure\n");
}

/* Our server takes ChaCha20 only, s_client offers AES-128-GCM only: we refuse. */
TEST_F(reject, server_no_common_suite)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	CFG_OK(c, ktls_config_set_ciphers(c->cfg, "chacha20"));
	start_s_client(c, "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256", NULL);
	assert_failure(c, server_handshake(c), KTLS_EHANDSHAKE, 40, -1, "cipher suite", NULL);
	ASSERT_PEER_SAID(c, "alert handshake failure");
}

TEST_F(reject, server_no_common_suite_gnutls_client)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	CFG_OK(c, ktls_config_set_ciphers(c->cfg, "chacha20"));
	start_gnutls_cli(c, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM", NULL);
	assert_failure(c, server_handshake(c), KTLS_EHANDSHAKE, 40, -1, "cipher suite", NULL);
	ASSERT_PEER_SAID(c, "Received alert [40]");
}

/* A TLS 1.2-only client: we answer protocol_version. */
TEST_F(reject, server_tls12_openssl_client)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	start_s_client(c, "-tls1_2", NULL);
	assert_failure(c, server_handshake(c), KTLS_EVERSION, 70, -1, "TLS 1.3", NULL);
	ASSERT_PEER_SAID(c, "alert protocol version");
}

TEST_F(reject, server_tls12_gnutls_client)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	start_gnutls_cli(c, "NORMAL:-VERS-ALL:+VERS-TLS1.2", NULL);
	assert_failure(c, server_handshake(c), KTLS_EVERSION, 70, -1, "TLS 1.3", NULL);
	ASSERT_PEER_SAID(c, "Received alert [70]");
}

/* A TLS 1.2-only server. Our ClientHello offers TLS 1.3 alone (supported_versions), so a
 * TLS 1.2 server that reads supported_versions — OpenSSL — refuses it first with
 * protocol_version (RFC 8446 §4.2.1): we receive the alert, we do not send it. */
TEST_F(reject, client_tls12_openssl_server)
{
	struct ctx *c = &self->c;
	client_config(c);
	start_s_server(c, "server-ecdsa", "-tls1_2", "-rev", "-msg", NULL);
	assert_failure(c, client_handshake(c), KTLS_EALERT, -1, 70,
		       "peer sent alert: protocol_version", NULL);
	ASSERT_PEER_SAID(c, "unsupported protocol");
	ASSERT_PEER_SAID(c, ">>> TLS 1.2, Alert [length 0002], fatal protocol_version\n");
}

/* ==== key log ===============================================================================
 * Our NSS key log against the peer's, for the same connection: every line we write must be
 * one the peer wrote, and we must write the five TLS 1.3 secrets, once each. */

INTEROP_FIXTURE(keylog)

static const char *const keylog_labels[] = {
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
	"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET",
};

static void make_tmp(struct ctx *c, int i)
{
	snprintf(c->tmp[i], sizeof(c->tmp[i]), "/tmp/ktls-interop-keylog-XXXXXX");
	int fd = mkstemp(c->tmp[i]);
	if (fd < 0)
		c->tmp[i][0] = '\0';
	ASSERT_LT(STDERR_FILENO, fd);
	close(fd);
}

/* Reads a small file into buf, prefixed with '\n' (so "\nLINE\n" finds a whole line). */
static void slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	ASSERT_NONNULL(f);
	buf[0] = '\n';
	size_t n = fread(buf + 1, 1, size - 2, f);
	fclose(f);
	buf[n + 1] = '\0';
	ASSERT_GT(size - 2, n);
}

static void compare_keylogs(struct ctx *c, const char *ours_path, const char *theirs_path,
			    size_t hash_len)
{
	static char ours[16384], theirs[65536];
	size_t lines = 0;

	slurp(ours_path, ours, sizeof(ours));
	slurp(theirs_path, theirs, sizeof(theirs));
	for (const char *p = ours + 1; *p; p++)
		lines += *p == '\n';
	if (lines != 5 || ours[strlen(ours) - 1] != '\n')
		TH_LOG("our key log:%s", ours);
	ASSERT_EQ(5, lines);
	for (size_t i = 0; i < 5; i++) {
		const char *start = strstr(ours, str("\n%s ", keylog_labels[i]));
		if (!start)
			TH_LOG("no %s line in our key log:%s", keylog_labels[i], ours);
		ASSERT_NONNULL(start);
		const char *end = strchr(start + 1, '\n');
		ASSERT_NONNULL(end);
		/* LABEL <64 hex client_random> <secret in hex> */
		size_t want = strlen(keylog_labels[i]) + 1 + 64 + 1 + 2 * hash_len;
		ASSERT_EQ(want, (size_t)(end - start - 1));
		const char *line = str("%.*s", (int)(end - start + 1), start); /* "\nLINE\n" */
		if (!strstr(theirs, line)) {
			TH_LOG("our line%snot in %s's key log:%s", line, c->peer.name, theirs);
			show_peer(c);
		}
		ASSERT_NONNULL(strstr(theirs, line));
	}
}

TEST_F(keylog, client_openssl_server)
{
	struct ctx *c = &self->c;
	make_tmp(c, 0);
	make_tmp(c, 1);
	client_config(c);
	CFG_OK(c, ktls_config_set_keylog(c->cfg, c->tmp[0]));
	start_s_server(c, "server-rsa", "-tls1_3", "-rev", "-keylogfile", c->tmp[1],
		       "-ciphersuites", "TLS_AES_256_GCM_SHA384", NULL);
	ASSERT_HANDSHAKE_OK(c, client_handshake(c));
	exchange_with_rev_server(c); /* s_server has exited: its key log is complete */
	compare_keylogs(c, c->tmp[0], c->tmp[1], SUITE_aes256.hash_len);
}

TEST_F(keylog, server_openssl_client)
{
	struct ctx *c = &self->c;
	make_tmp(c, 0);
	make_tmp(c, 1);
	server_config(c, "server-ed25519");
	CFG_OK(c, ktls_config_set_keylog(c->cfg, c->tmp[0]));
	start_s_client(c, "-tls1_3", "-keylogfile", c->tmp[1], NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	exchange_with_client(c, "logging keys\n");
	compare_keylogs(c, c->tmp[0], c->tmp[1], SUITE_chacha20.hash_len);
}

TEST_F(keylog, client_gnutls_server)
{
	struct ctx *c = &self->c;
	make_tmp(c, 0);
	make_tmp(c, 1);
	client_config(c);
	CFG_OK(c, ktls_config_set_keylog(c->cfg, c->tmp[0]));
	char env0[128];
	snprintf(env0, sizeof(env0), "SSLKEYLOGFILE=%s", c->tmp[1]);
	char *const env[] = { env0, NULL };
	start_gnutls_serv(c, "server-ecdsa",
			  "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM", env, NULL);
	ASSERT_HANDSHAKE_OK(c, client_handshake(c));
	exchange_with_echo_server(c);
	peer_stop(&c->peer, IO_TIMEOUT_MS);
	compare_keylogs(c, c->tmp[0], c->tmp[1], SUITE_aes128.hash_len);
}

/* ==== KeyUpdate =============================================================================
 * OpenSSL's command letters on stdin: "K" sends KeyUpdate(update_requested), "k" one that
 * does not ask for ours (RFC 8446 §4.6.3). After each, data must flow both ways under the
 * new keys; and, from the peer's -msg trace once it has exited, it sent two KeyUpdates and
 * got exactly one back — our answer to the requested one.
 *
 * That holds where our records are in userspace (a host without kTLS) and where the kernel
 * holds them and can take new keys (Linux 6.14+). A kernel with kTLS but without rekey
 * (Debian 12's 6.1, in tools/ktls-vm) cannot follow the peer's new key, and the session
 * cannot fall back either: the kernel holds the keys and the secrets are wiped. There the
 * library promises (README, ktls.h) a clean end: KTLS_EKEYUPDATE with a sentence naming
 * Linux 6.14, and internal_error to the peer (§6.2: we cannot go on for a reason of our own,
 * not the peer's fault). */

INTEROP_FIXTURE(keyupdate)

/* Our kernel protects the records we read and cannot take a new key for them. */
static bool kernel_cannot_rekey(struct ctx *c)
{
	struct ktls_probe_result probe;
	ASSERT_EQ(0, ktls_probe_kernel(&probe));
	return c->info.rx_offloaded && !probe.rekey;
}

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Waits until the peer's KeyUpdate is in our socket: the peer reads its stdin in chunks and
 * drops the rest of a chunk that holds a command, so the next line must wait for it. */
static void wait_readable(struct ctx *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	int n = poll(&pfd, 1, IO_TIMEOUT_MS);
	if (n != 1) {
		TH_LOG("nothing arrived from the peer in %d ms", IO_TIMEOUT_MS);
		show_peer(c);
	}
	ASSERT_EQ(1, n);
}

/* The peer sends `cmd` ("K" or "k"; NULL: none), then the line `data`, which we echo.
 * Our socket must be empty before a command (a first round without one reads s_server's
 * NewSessionTickets), so that "readable" means the KeyUpdate arrived. */
static void key_update_round(struct ctx *c, const char *cmd, const char *data)
{
	char got[256];
	if (cmd) {
		ASSERT_PEER(c, peer_write(&c->peer, str("%s\n", cmd)) == 0);
		wait_readable(c);
	}
	ASSERT_PEER(c, peer_write(&c->peer, data) == 0);
	recv_line(c, got, sizeof(got));
	ASSERT_STREQ(data, got);
	send_str(c, str("echo: %s", data));
	ASSERT_PEER_SAID(c, str("echo: %s", data));
}

/* The peer's KeyUpdate(update_requested) on a kernel that cannot rekey: our session ends
 * cleanly, naming the reason, and the peer receives internal_error. */
static void expect_key_update_refused(struct ctx *c)
{
	char got[256];
	ASSERT_PEER(c, peer_write(&c->peer, "K\n") == 0);
	wait_readable(c);
	long n = recv_data(c, got, sizeof(got));
	if (n != KTLS_EKEYUPDATE)
		show_peer(c);
	ASSERT_EQ(KTLS_EKEYUPDATE, n);
	TH_LOG("%s", ktls_session_error(c->s));
	EXPECT_NONNULL(strstr(ktls_session_error(c->s), "Linux 6.14"));
	ASSERT_EQ(0, ktls_session_get_info(c->s, &c->info));
	EXPECT_EQ(TLS_ALERT_INTERNAL_ERROR, c->info.alert_sent);
	ASSERT_PEER_SAID(c, "<<< TLS 1.3, Alert [length 0002], fatal internal_error");
}

static void assert_key_updates_traced(struct ctx *c)
{
	size_t sent = count(c->peer.buf, ">>> TLS 1.3, Handshake [length 0005], KeyUpdate");
	size_t got = count(c->peer.buf, "<<< TLS 1.3, Handshake [length 0005], KeyUpdate");
	if (sent != 2 || got != 1)
		show_peer(c);
	EXPECT_EQ(2, sent);
	EXPECT_EQ(1, got);
}

TEST_F(keyupdate, server_openssl_client)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	start_s_client(c, "-tls1_3", "-msg", NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	ASSERT_PEER_SAID(c, "Verification: OK\n");
	key_update_round(c, NULL, "before any update\n");
	if (kernel_cannot_rekey(c)) {
		expect_key_update_refused(c);
		return;
	}
	key_update_round(c, "K", "after update_requested\n");
	key_update_round(c, "k", "after update_not_requested\n");
	peer_close_stdin(&c->peer);
	expect_close_notify(c);
	send_close_notify(c);
	expect_peer_exit_ok(c);
	assert_key_updates_traced(c);
}

/* s_server without -rev relays its stdin to us and prints what we send. */
TEST_F(keyupdate, client_openssl_server)
{
	struct ctx *c = &self->c;
	client_config(c);
	start_s_server(c, "server-ecdsa", "-tls1_3", "-msg", NULL);
	ASSERT_HANDSHAKE_OK(c, client_handshake(c));
	ASSERT_PEER_SAID(c, "CIPHER is TLS_CHACHA20_POLY1305_SHA256\n");
	key_update_round(c, NULL, "server data before any update\n");
	if (kernel_cannot_rekey(c)) {
		expect_key_update_refused(c);
		return;
	}
	key_update_round(c, "K", "server data after update_requested\n");
	key_update_round(c, "k", "server data after update_not_requested\n");
	send_close_notify(c);
	expect_peer_exit_ok(c);
	assert_key_updates_traced(c);
}

/* ==== exporters (RFC 8446 §7.5): the same keying material as OpenSSL's ================== */

INTEROP_FIXTURE(exporter)

static void expect_exported(struct ctx *c, const char *label, size_t len)
{
	uint8_t km[64];
	char hex[2 * sizeof(km) + 1];
	ASSERT_EQ(0, ktls_export_keying_material(c->s, label, NULL, 0, km, len));
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02X", km[i]);
	ASSERT_PEER_SAID(c, str("Keying material: %s", hex));
}

TEST_F(exporter, server_openssl_client)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	start_s_client(c, "-tls1_3", "-keymatexport", "EXPERIMENTAL-ktls-helper",
		       "-keymatexportlen", "32", NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	expect_exported(c, "EXPERIMENTAL-ktls-helper", 32);
}

TEST_F(exporter, server_openssl_client_sha384)
{
	struct ctx *c = &self->c;
	server_config(c, "server-rsa");
	start_s_client(c, "-tls1_3", "-keymatexport", "EXPORTER-test", "-keymatexportlen", "48",
		       "-ciphersuites", "TLS_AES_256_GCM_SHA384", NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	expect_exported(c, "EXPORTER-test", 48);
}

/* ==== resumption (RFC 8446 §2.2): tickets across implementations ========================== */

INTEROP_FIXTURE(resume)

/* Ends one connection of ours and forgets it, keeping the config (and its ticket key). */
static void next_connection(struct ctx *c)
{
	ktls_session_free(c->s);
	c->s = NULL;
	if (c->fd > STDERR_FILENO)
		close(c->fd);
	if (c->lfd > STDERR_FILENO)
		close(c->lfd);
	c->fd = c->lfd = -1;
	peer_free(&c->peer);
	memset(&c->peer, 0, sizeof(c->peer));
	c->peer.in = c->peer.out = -1;
}

/* openssl s_client saves our ticket (-sess_out) and resumes with it (-sess_in). */
TEST_F(resume, server_openssl_client)
{
	struct ctx *c = &self->c;
	make_tmp(c, 0);
	server_config(c, "server-ecdsa");
	start_s_client(c, "-tls1_3", "-sess_out", c->tmp[0], NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	EXPECT_EQ(0, c->info.resumed);
	exchange_with_client(c, "first visit\n"); /* it reads our tickets on the way */
	next_connection(c);

	start_s_client(c, "-tls1_3", "-sess_in", c->tmp[0], NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	EXPECT_EQ(1, c->info.resumed);
	ASSERT_PEER_SAID(c, "Reused, TLSv1.3");
	exchange_with_client(c, "second visit\n");
}

/* Our client keeps openssl s_server's ticket and resumes with it on a second connection. */
TEST_F(resume, client_openssl_server)
{
	struct ctx *c = &self->c;
	struct args a = { .n = 0 };
	uint8_t saved[2048];
	char line[256];

	client_config(c);
	c->port = loopback_free_port();
	ASSERT_LT(0, c->port);
	const char *argv[] = { "openssl", "s_server", "-accept", str("127.0.0.1:%d", c->port),
			       "-naccept", "2", "-tls1_3", "-rev", "-cert",
			       cert_file("server-ecdsa", "pem"), "-key",
			       cert_file("server-ecdsa", "key"), NULL };
	for (size_t i = 0; argv[i]; i++)
		args_add(&a, argv[i]);
	start_peer(c, &a, NULL);

	ASSERT_HANDSHAKE_OK(c, client_handshake(c));
	EXPECT_EQ(0, c->info.resumed);
	send_str(c, "first\n");
	recv_line(c, line, sizeof(line)); /* its tickets come before the answer */
	long n = ktls_session_save(c->s, saved, sizeof(saved));
	ASSERT_GT(n, 0L);
	send_close_notify(c);
	ktls_session_free(c->s);
	c->s = NULL;
	close(c->fd);

	c->fd = loopback_connect(c->port, &c->peer, IO_TIMEOUT_MS);
	ASSERT_LT(STDERR_FILENO, c->fd);
	ASSERT_EQ(0, socket_set_timeouts(c->fd, IO_TIMEOUT_MS));
	c->s = ktls_session_new(c->cfg, c->fd);
	ASSERT_EQ(0, ktls_session_resume(c->s, saved, (size_t)n));
	ASSERT_EQ(0, ktls_session_handshake(c->s));
	ASSERT_EQ(0, ktls_session_get_info(c->s, &c->info));
	EXPECT_EQ(1, c->info.resumed);
	EXPECT_NULL(c->info.peer_subject); /* OpenSSL sent no certificate: it took our PSK */
	exchange_with_rev_server(c);
}

/* §4.2.10: we never take 0-RTT, so our tickets carry no early_data extension (no
 * max_early_data_size) and a correct client sends none even when asked to: s_client with
 * -early_data resumes as plain 1-RTT and says it sent nothing early. */
TEST_F(resume, tickets_do_not_invite_early_data)
{
	struct ctx *c = &self->c;
	make_tmp(c, 0);
	make_tmp(c, 1);
	FILE *f = fopen(c->tmp[1], "w");
	ASSERT_NONNULL(f);
	fputs("early data that must not arrive\n", f);
	fclose(f);
	server_config(c, "server-ecdsa");
	start_s_client(c, "-tls1_3", "-sess_out", c->tmp[0], NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	exchange_with_client(c, "first visit\n");
	next_connection(c);

	start_s_client(c, "-tls1_3", "-sess_in", c->tmp[0], "-early_data", c->tmp[1], NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	EXPECT_EQ(1, c->info.resumed);
	ASSERT_PEER_SAID(c, "Early data was not sent");
	exchange_with_client(c, "after the handshake\n"); /* the first line we get is this */
}

/* ==== middlebox compatibility mode (RFC 8446 Appendix D.4) ================================== */

INTEROP_FIXTURE(compat)

/* In an `openssl s_client -msg` transcript, the 5-byte header of the first record received
 * after the ServerHello (s_client prints every record header it reads, then its hex). */
static const char *header_after_server_hello(const struct ctx *c)
{
	const char *buf = c->peer.buf ? c->peer.buf : "";
	const char *sh = strstr(buf, "<<< TLS 1.3, Handshake");
	sh = sh ? strstr(sh, "], ServerHello\n") : NULL;
	const char *hdr = sh ? strstr(sh, "<<< TLS 1.2, RecordHeader [length 0005]\n    ") : NULL;
	return hdr ? hdr + strlen("<<< TLS 1.2, RecordHeader [length 0005]\n    ") : "(none)";
}

/* s_client uses compatibility mode (a 32-byte session id): our server sends ServerHello,
 * then a change_cipher_spec record (14 03 03 00 01), then the encrypted flight (17 03 03);
 * s_client's own CCS arrives and is dropped; data flows. */
TEST_F(compat, server_openssl_s_client_msg_shows_our_ccs)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	start_s_client(c, "-tls1_3", "-msg", NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	ASSERT_PEER_SAID(c, "], EncryptedExtensions\n");
	ASSERT_PEER_SAID(c, ">>> TLS 1.3, ChangeCipherSpec [length 0001]\n");
	const char *hdr = header_after_server_hello(c);
	if (strncmp(hdr, "14 03 03 00 01\n<<< TLS 1.2, RecordHeader [length 0005]\n    17 03 03", 66))
		show_peer(c);
	ASSERT_EQ(0, strncmp(hdr, "14 03 03 00 01\n<<< TLS 1.2, RecordHeader [length 0005]\n    17 03 03", 66));
	exchange_with_client(c, "middlebox compatible\n");
}

/* s_client -no_middlebox sends an empty session id: no CCS from us, the encrypted flight
 * follows the ServerHello at once. */
TEST_F(compat, server_openssl_s_client_without_compat_gets_no_ccs)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	start_s_client(c, "-tls1_3", "-msg", "-no_middlebox", NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	ASSERT_PEER_SAID(c, "], EncryptedExtensions\n");
	const char *hdr = header_after_server_hello(c);
	if (strncmp(hdr, "17 03 03", 8))
		show_peer(c);
	ASSERT_EQ(0, strncmp(hdr, "17 03 03", 8));
	exchange_with_client(c, "no middlebox\n");
}

/* After a HelloRetryRequest the CCS follows the HRR, and only it. */
TEST_F(compat, server_openssl_ccs_after_hello_retry_request)
{
	struct ctx *c = &self->c;
	server_config(c, "server-ecdsa");
	CFG_OK(c, ktls_config_set_groups(c->cfg, "secp256r1"));
	start_s_client(c, "-tls1_3", "-msg", "-groups", "X25519:P-256", NULL);
	ASSERT_HANDSHAKE_OK(c, server_handshake(c));
	EXPECT_EQ(1, c->info.hello_retry);
	ASSERT_PEER_SAID(c, "], EncryptedExtensions\n");
	/* the first "ServerHello" s_client prints is the HRR: a CCS follows it ... */
	ASSERT_EQ(0, strncmp(header_after_server_hello(c), "14 03 03 00 01\n", 15));
	/* ... and none the real ServerHello: count the CCS headers received */
	int n = 0;
	for (const char *p = c->peer.buf; (p = strstr(p, "<<< TLS 1.2, RecordHeader [length 0005]\n    14 03 03 00 01\n")); p++)
		n++;
	EXPECT_EQ(1, n);
	exchange_with_client(c, "after a retry\n");
}

/* Our client in compatibility mode (the default) against s_server -msg: s_server receives
 * our CCS before our Finished. */
TEST_F(compat, client_openssl_server_sees_our_ccs)
{
	struct ctx *c = &self->c;
	client_config(c);
	start_s_server(c, "server-ecdsa", "-tls1_3", "-rev", "-msg", NULL);
	ASSERT_HANDSHAKE_OK(c, client_handshake(c));
	exchange_with_rev_server(c);
	ASSERT_PEER_SAID(c, "<<< TLS 1.2, RecordHeader [length 0005]\n    14 03 03 00 01\n");
}

TEST_HARNESS_MAIN
