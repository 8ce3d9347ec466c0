/*
 * gen_corpus.c — records the seed corpora of tests/fuzz/corpus/ from real handshakes
 * (`make fuzz-corpus`; not a fuzz target).
 *
 *   build/fuzz/gen_corpus tests/fuzz/corpus
 *
 * Flights are recorded with the targets' own configs and deterministic randomness
 * (support/fuzz.h), between our client and our server (plain, HelloRetryRequest, mutual TLS)
 * and between ours and `openssl s_client` / `openssl s_server` (with the same fixed Ed25519
 * identity), through a relay that keeps what each side read. Only the bytes a session read
 * during its handshake are kept (whatever followed its peer's Finished stays out). Each
 * recorded flight is then replayed into a fresh session the way its target will, and the
 * result printed: "handshake complete" shows a seed that drives the target all the way.
 * RFC 8448 §3 messages and records come from tests/vectors/rfc8448-1rtt.txt. The record and
 * post-handshake seeds are written by hand here. The saved_session seeds are what our client
 * saves of our server's tickets (ktls_session_save), and copies re-sealed never to expire. A missing openssl skips its seeds.
 */
#include "messages.h"
#include "session.h"
#include "support/fuzz.h"
#include "ticket.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *outdir;

struct bytes {
	uint8_t *p;
	size_t n;
};

static void add(struct bytes *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->n + n + 1);
	if (!b->p)
		abort();
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void seed(const char *target, const char *name, const uint8_t *prefix, size_t plen,
		 const uint8_t *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(prefix, 1, plen, f) != plen || (n && fwrite(p, 1, n, f) != n) || fclose(f)) {
		perror(path);
		exit(1);
	}
	printf("  %-15s %-28s %5zu bytes\n", target, name, plen + n);
}

/* ---- RFC 8448 vectors ---------------------------------------------------------------- */

static struct bytes rfc(const char *key)
{
	struct bytes b = { 0 };
	FILE *f = fopen("tests/vectors/rfc8448-1rtt.txt", "r");
	char line[1024];
	bool in = false;
	if (!f) {
		perror("tests/vectors/rfc8448-1rtt.txt");
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		if (in && *p != ' ' && *p != '\t')
			break; /* the value's continuation lines are indented */
		if (!in) {
			size_t k = strlen(key);
			if (strncmp(line, key, k) || strncmp(line + k, " =", 2))
				continue;
			in = true;
			p = line + k + 2;
		}
		for (;;) {
			unsigned v;
			int used;
			if (sscanf(p, " %2x%n", &v, &used) != 1)
				break;
			uint8_t byte = (uint8_t)v;
			add(&b, &byte, 1);
			p += used;
		}
	}
	fclose(f);
	if (!b.n) {
		fprintf(stderr, "no %s in the RFC 8448 vectors\n", key);
		exit(1);
	}
	return b;
}

/* ---- recording handshakes ------------------------------------------------------------ */

static void move(int from, int to, struct bytes *rec)
{
	uint8_t buf[16384];
	ssize_t n;
	while ((n = recv(from, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		add(rec, buf, (size_t)n);
		for (ssize_t off = 0; off < n;) {
			ssize_t w = send(to, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
			if (w < 0 && errno == EAGAIN) {
				struct pollfd p = { .fd = to, .events = POLLOUT };
				poll(&p, 1, 100);
				continue;
			}
			if (w < 0)
				return; /* the other side is gone */
			off += w;
		}
	}
}

/* Drops from rec what the session on fd has not read. */
static void trim_unread(struct bytes *rec, int fd)
{
	int unread = 0;
	if (ioctl(fd, FIONREAD, &unread) == 0 && unread > 0 && (size_t)unread <= rec->n)
		rec->n -= (size_t)unread;
}

static bool waiting(int rc)
{
	return rc == KTLS_WANT_READ || rc == KTLS_WANT_WRITE;
}

/* Our client against our server, each on a socketpair of its own, relayed. With resume, the
 * client offers that saved session. With saved, the client then reads the server's tickets,
 * and what ktls_session_save makes of the last one goes there. */
static void record_pair(const struct ktls_config *ccfg, const struct ktls_config *scfg,
			struct bytes *to_client, struct bytes *to_server, const struct bytes *resume,
			struct bytes *saved)
{
	int a[2], b[2];
	fuzz_rng_reset();
	fuzz_socketpair(a);
	fuzz_socketpair(b);
	struct ktls_session *c = ktls_session_new(ccfg, a[0]), *s = ktls_session_new(scfg, b[0]);
	if (resume && ktls_session_resume(c, resume->p, resume->n))
		abort();
	int crc = KTLS_WANT_READ, src = KTLS_WANT_READ;
	memset(to_client, 0, sizeof(*to_client));
	memset(to_server, 0, sizeof(*to_server));
	for (int i = 0; i < 1000 && (waiting(crc) || waiting(src)); i++) {
		fuzz_rng_use(0);
		if (waiting(crc))
			crc = ktls_session_handshake(c);
		fuzz_rng_use(1);
		if (waiting(src))
			src = ktls_session_handshake(s);
		move(a[1], b[1], to_server);
		move(b[1], a[1], to_client);
	}
	if (crc || src)
		printf("  (recorded handshake ended: client %s / server %s)\n",
		       crc ? ktls_session_error(c) : "ok", src ? ktls_session_error(s) : "ok");
	trim_unread(to_client, a[0]);
	trim_unread(to_server, b[0]);
	if (saved) {
		uint8_t buf[2048];
		fuzz_rng_use(0);
		while (ktls_recv(c, buf, sizeof(buf)) > 0)
			;
		long n = ktls_session_save(c, buf, sizeof(buf));
		memset(saved, 0, sizeof(*saved));
		if (n > 0)
			add(saved, buf, (size_t)n);
		else
			printf("  (no ticket to save: %s)\n", n ? ktls_strerror((int)n) : "none came");
	}
	ktls_session_free(c);
	ktls_session_free(s);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		abort();
	close(fd);
	return ntohs(sa.sin_port);
}

/* Starts argv with stdin a pipe kept open (so openssl does not quit at EOF). */
static pid_t spawn(char *const argv[], int *stdin_w)
{
	int p[2];
	if (pipe(p))
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(p[0], 0);
		dup2(null, 1);
		dup2(null, 2);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[0]);
	*stdin_w = p[1];
	return pid;
}

static void reap(pid_t pid, int stdin_w)
{
	close(stdin_w);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* One of our sessions (cfg) against a TCP peer on tcp, relayed through a socketpair; rec
 * gets what our session read. */
static int record_with(const struct ktls_config *cfg, int tcp, struct bytes *rec)
{
	int a[2];
	fuzz_rng_reset();
	fuzz_socketpair(a);
	struct ktls_session *s = ktls_session_new(cfg, a[0]);
	struct bytes sent = { 0 };
	int rc = KTLS_WANT_READ;
	memset(rec, 0, sizeof(*rec));
	for (int i = 0; i < 500 && waiting(rc); i++) {
		rc = ktls_session_handshake(s);
		move(a[1], tcp, &sent);
		struct pollfd p = { .fd = tcp, .events = POLLIN };
		poll(&p, 1, 20);
		move(tcp, a[1], rec);
	}
	if (rc)
		printf("  (handshake with openssl ended: %s)\n", ktls_session_error(s));
	trim_unread(rec, a[0]);
	ktls_session_free(s);
	close(a[0]);
	close(a[1]);
	free(sent.p);
	return rc;
}

static int tcp_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	for (int i = 0; i < 100; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		usleep(50000);
	}
	return -1;
}

static bool have_openssl(void)
{
	return system("openssl version >/dev/null 2>&1") == 0;
}

static void openssl_identity(char *cert, char *key, size_t n)
{
	snprintf(cert, n, "%s/.ident-cert.pem", outdir);
	snprintf(key, n, "%s/.ident-key.pem", outdir);
	fuzz_write_identity(cert, key);
}

/* openssl s_server's flight, as our client (variant 0) reads it. */
static bool record_openssl_server(struct bytes *rec)
{
	char cert[600], key[600], accept[64];
	int port = free_port(), in;
	openssl_identity(cert, key, sizeof(cert));
	snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
	char *argv[] = { "openssl", "s_server", "-accept", accept, "-cert", cert, "-key", key,
			 "-tls1_3", "-alpn", "http/1.1", "-naccept", "1", "-quiet", NULL };
	pid_t pid = spawn(argv, &in);
	int tcp = tcp_connect(port);
	int rc = tcp < 0 ? -1 : record_with(fuzz_client_config(0), tcp, rec);
	if (tcp >= 0)
		close(tcp);
	reap(pid, in);
	unlink(cert);
	unlink(key);
	return rc == 0;
}

/* openssl s_client's flight, as our server (variant 0) reads it. */
static bool record_openssl_client(struct bytes *rec)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	char connect_to[64];
	int l = socket(AF_INET, SOCK_STREAM, 0), in;
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sa, &len))
		abort();
	snprintf(connect_to, sizeof(connect_to), "127.0.0.1:%d", ntohs(sa.sin_port));
	char *argv[] = { "openssl", "s_client", "-connect", connect_to, "-tls1_3", "-servername",
			 "localhost", "-alpn", "http/1.1", "-quiet", NULL };
	pid_t pid = spawn(argv, &in);
	int tcp = accept(l, NULL, NULL);
	close(l);
	int rc = tcp < 0 ? -1 : record_with(fuzz_server_config(0), tcp, rec);
	if (tcp >= 0)
		close(tcp);
	reap(pid, in);
	return rc == 0;
}

/* Replays a flight seed the way the server or client target does. */
static void replay(const char *what, const struct ktls_config *cfg, const struct bytes *b)
{
	int fd[2];
	fuzz_rng_reset();
	fuzz_socketpair(fd);
	struct ktls_session *s = ktls_session_new(cfg, fd[0]);
	int rc = fuzz_feed_handshake(s, fd, b->p, b->n);
	printf("    replay %-26s %s\n", what, rc == 0 ? "handshake complete"
		: rc == KTLS_WANT_READ ? "wants more input" : ktls_session_error(s));
	ktls_session_free(s);
	close(fd[0]);
	close(fd[1]);
}

static const uint8_t RAW[1] = { 0x00 }, RAW_AUTH[1] = { 0x02 }, WRAP[2] = { 0x01, 0x00 };

/* The first handshake message of a plaintext flight (record header and message header off). */
static struct bytes first_message_body(const struct bytes *flight)
{
	struct bytes b = { 0 };
	if (flight->n > 9) {
		size_t rec = (size_t)flight->p[3] << 8 | flight->p[4];
		size_t msg = (size_t)flight->p[6] << 16 | (size_t)flight->p[7] << 8 | flight->p[8];
		if (rec >= 4 + msg && 9 + msg <= flight->n)
			add(&b, flight->p + 9, msg);
	}
	return b;
}

/* The saved session with a ticket sealed here with the targets' fixed ticket key (see
 * tests/fuzz/README.md, Seeds), both saying a lifetime of 2^32-1 s. The ticket says it was
 * issued when the session does, or — with future — in 2^62 ms, so that our server, finding
 * it not yet issued, counts its age as 0. */
static struct bytes reseal(const struct bytes *saved, bool future)
{
	static struct ktls_saved_session ss;
	struct ktls_ticket_state st;
	uint8_t out[2048];
	size_t len;
	struct bytes b = { 0 };
	if (ktls_saved_session_decode(saved->p, saved->n, &ss))
		abort();
	ss.state.lifetime_s = UINT32_MAX;
	st = ss.state;
	if (future)
		st.issued_ms = 1ull << 62;
	uint8_t nonce[KTLS_IV_LEN];
	randombytes_buf(nonce, sizeof(nonce));
	if (ktls_ticket_seal(&fuzz_server_config(0)->engine.ticket_keys[0], &st, nonce, ss.ticket,
			     sizeof(ss.ticket), &ss.ticket_len) ||
	    ktls_saved_session_encode(&ss, out, sizeof(out), &len))
		abort();
	add(&b, out, len);
	return b;
}

/* The saved_session seeds of one saved session: as saved, and resealed to live long. */
static void saved_session_seeds(const char *name, const struct bytes *saved)
{
	char longlived[64];
	if (!saved->n)
		return;
	seed("saved_session", name, NULL, 0, saved->p, saved->n);
	struct bytes b = reseal(saved, false);
	snprintf(longlived, sizeof(longlived), "%s-longlived", name);
	seed("saved_session", longlived, NULL, 0, b.p, b.n);
	free(b.p);
}

static void flights(void)
{
	struct bytes to_c, to_s, saved;

	printf("our client <-> our server (x25519, Ed25519)\n");
	record_pair(fuzz_client_config(0), fuzz_server_config(0), &to_c, &to_s, NULL, &saved);
	saved_session_seeds("ours-x25519", &saved);
	struct bytes timeless = reseal(&saved, true);
	free(saved.p);
	seed("server", "ours-x25519", RAW, 1, to_s.p, to_s.n);
	seed("client", "ours-x25519", RAW, 1, to_c.p, to_c.n);
	replay("server <- ours-x25519", fuzz_server_config(0), &to_s);
	replay("client <- ours-x25519", fuzz_client_config(0), &to_c);
	struct bytes ch = first_message_body(&to_s), sh = first_message_body(&to_c);
	uint8_t sel = 0;
	seed("messages", "ch-ours", &sel, 1, ch.p, ch.n);
	sel = 1;
	seed("messages", "sh-ours", &sel, 1, sh.p, sh.n);
	seed("server", "ours-ch-wrapped", WRAP, 2, to_s.p + 5, ch.n + 4);
	seed("client", "ours-sh-wrapped", WRAP, 2, to_c.p + 5, sh.n + 4);
	free(ch.p);
	free(sh.p);
	free(to_c.p);
	free(to_s.p);

	printf("our client (mutual TLS) <-> our server asking for a certificate\n");
	record_pair(fuzz_client_config(1), fuzz_server_config(1), &to_c, &to_s, NULL, &saved);
	saved_session_seeds("ours-mtls", &saved);
	free(saved.p);
	seed("server", "ours-mtls", RAW_AUTH, 1, to_s.p, to_s.n);
	seed("client", "ours-mtls", RAW_AUTH, 1, to_c.p, to_c.n);
	replay("server <- ours-mtls", fuzz_server_config(1), &to_s);
	replay("client <- ours-mtls", fuzz_client_config(1), &to_c);
	free(to_c.p);
	free(to_s.p);

	printf("our client (AES-256-GCM-SHA384 only) <-> our server: a 48-byte PSK\n");
	struct ktls_config *aes256 = fuzz_config_new(KTLS_ROLE_CLIENT, false);
	if (ktls_config_set_insecure(aes256, 1) || ktls_config_set_server_name(aes256, "localhost") ||
	    ktls_config_set_ciphers(aes256, "aes256"))
		abort();
	record_pair(aes256, fuzz_server_config(0), &to_c, &to_s, NULL, &saved);
	saved_session_seeds("ours-aes256", &saved);
	free(saved.p);
	free(to_c.p);
	free(to_s.p);
	ktls_config_free(aes256);

	/* the server opens the ticket (the fixed key) and resumes, on replay too: the recorded
	 * age is 0 and so is the server's for a ticket issued in the future. Only the server
	 * replays it: the client target's client has no saved session, so it offers none */
	printf("our client resuming a session <-> our server\n");
	record_pair(fuzz_client_config(0), fuzz_server_config(0), &to_c, &to_s, &timeless, NULL);
	seed("server", "ours-resumed", RAW, 1, to_s.p, to_s.n);
	replay("server <- ours-resumed", fuzz_server_config(0), &to_s);
	free(to_c.p);
	free(to_s.p);
	free(timeless.p);

	printf("our client (secp256r1 first) <-> our server (x25519 first)\n");
	struct ktls_config *p256c = fuzz_config_new(KTLS_ROLE_CLIENT, false);
	if (ktls_config_set_insecure(p256c, 1) || ktls_config_set_server_name(p256c, "localhost") ||
	    ktls_config_set_groups(p256c, "secp256r1,x25519"))
		abort();
	record_pair(p256c, fuzz_server_config(0), &to_c, &to_s, NULL, NULL);
	seed("server", "ours-p256-share", RAW, 1, to_s.p, to_s.n);
	replay("server <- ours-p256-share", fuzz_server_config(0), &to_s);
	free(to_c.p);
	free(to_s.p);
	ktls_config_free(p256c);

	printf("our client <-> our server (secp256r1 only): HelloRetryRequest\n");
	struct ktls_config *p256s = fuzz_config_new(KTLS_ROLE_SERVER, true);
	if (ktls_config_set_groups(p256s, "secp256r1"))
		abort();
	record_pair(fuzz_client_config(0), p256s, &to_c, &to_s, NULL, NULL);
	seed("client", "ours-hrr", RAW, 1, to_c.p, to_c.n);
	replay("client <- ours-hrr", fuzz_client_config(0), &to_c);
	struct bytes hrr = first_message_body(&to_c);
	sel = 1;
	seed("messages", "hrr-ours", &sel, 1, hrr.p, hrr.n);
	free(hrr.p);
	free(to_c.p);
	free(to_s.p);
	ktls_config_free(p256s);

	if (!have_openssl()) {
		printf("no openssl: its seeds are not recorded\n");
		return;
	}
	printf("openssl s_client -> our server\n");
	if (record_openssl_client(&to_s) || to_s.n) {
		seed("server", "openssl-s_client", RAW, 1, to_s.p, to_s.n);
		replay("server <- openssl-s_client", fuzz_server_config(0), &to_s);
		ch = first_message_body(&to_s);
		sel = 0;
		seed("messages", "ch-openssl", &sel, 1, ch.p, ch.n);
		free(ch.p);
	}
	free(to_s.p);
	printf("openssl s_server -> our client\n");
	if (record_openssl_server(&to_c) || to_c.n) {
		seed("client", "openssl-s_server", RAW, 1, to_c.p, to_c.n);
		replay("client <- openssl-s_server", fuzz_client_config(0), &to_c);
		sh = first_message_body(&to_c);
		sel = 1;
		seed("messages", "sh-openssl", &sel, 1, sh.p, sh.n);
		free(sh.p);
	}
	free(to_c.p);
}

/* ---- RFC 8448 and hand-made seeds ---------------------------------------------------- */

static void rfc_message(const char *key, uint8_t sel, const char *name)
{
	struct bytes m = rfc(key);
	seed("messages", name, &sel, 1, m.p + 4, m.n - 4);
	free(m.p);
}

static void vectors(void)
{
	printf("RFC 8448 §3\n");
	rfc_message("client_hello", 0, "rfc8448-ch");
	rfc_message("server_hello", 1, "rfc8448-sh");
	rfc_message("encrypted_extensions", 2, "rfc8448-ee");
	rfc_message("certificate", 4, "rfc8448-certificate");
	rfc_message("certificate_verify", 5, "rfc8448-cv");
	rfc_message("new_session_ticket", 7, "rfc8448-nst");
	struct bytes fin = rfc("server_finished");
	uint8_t sel_len[2] = { 6, 32 };
	seed("messages", "rfc8448-finished", sel_len, 2, fin.p + 4, fin.n - 4);
	free(fin.p);
	uint8_t ku[2] = { 8, 1 }, al[3] = { 9, 2, 40 };
	seed("messages", "key-update", ku, 2, NULL, 0);
	seed("messages", "alert", al, 3, NULL, 0);

	/* a CertificateRequest of our own encoder */
	uint8_t buf[256];
	static const uint16_t sigs[] = { 0x0807, 0x0403, 0x0804 };
	struct ktls_certificate_request_params crp = { .signature_algorithms = sigs,
						       .n_signature_algorithms = 3,
						       .signature_algorithms_cert = sigs,
						       .n_signature_algorithms_cert = 1 };
	struct wire_writer w;
	wire_writer_init(&w, buf, sizeof(buf));
	if (ktls_encode_certificate_request(&w, &crp))
		abort();
	uint8_t sel = 3;
	seed("messages", "cr-ours", &sel, 1, buf + 4, w.len - 4);

	struct bytes ch = rfc("client_hello_record"), chm = rfc("client_hello");
	seed("server", "rfc8448-ch", RAW, 1, ch.p, ch.n);
	seed("server", "rfc8448-ch-wrapped", WRAP, 2, chm.p, chm.n);
	struct bytes sh = rfc("server_hello_record"), shm = rfc("server_hello");
	seed("client", "rfc8448-sh", RAW, 1, sh.p, sh.n);
	seed("client", "rfc8448-sh-wrapped", WRAP, 2, shm.p, shm.n);
	free(ch.p);
	free(chm.p);
	free(sh.p);
	free(shm.p);

	/* record: raw records (AES-128-GCM, not under our keys: the checks before the tag) */
	uint8_t raw_aes128[2] = { 1 | 0 << 2, 0 };
	struct bytes r = rfc("client_application_data_record");
	seed("record", "rfc8448-appdata", raw_aes128, 2, r.p, r.n);
	free(r.p);
	r = rfc("server_alert_record");
	seed("record", "rfc8448-alert", raw_aes128, 2, r.p, r.n);
	free(r.p);
	static const uint8_t inner_hello[] = { 'h', 'e', 'l', 'l', 'o', 23, 0, 0, 0 };
	static const uint8_t inner_zero[] = { 0, 0, 0, 0 };
	static const uint8_t inner_alert[] = { 1, 0, 21 };
	uint8_t m_inner[2] = { 0 | 1 << 2, 0 }, m_inner_wrap[2] = { 2 | 1 << 2, 3 };
	seed("record", "inner-padded", m_inner, 2, inner_hello, sizeof(inner_hello));
	seed("record", "inner-all-zero", m_inner, 2, inner_zero, sizeof(inner_zero));
	seed("record", "inner-seq-max", m_inner_wrap, 2, inner_alert, sizeof(inner_alert));
	static const uint8_t seal_in[] = { 22, 0, 16, 1, 2, 3, 4 };
	uint8_t m_seal[2] = { 1 | 2 << 2, 2 }, m_flip[2] = { 0 | 3 << 2, 0 };
	seed("record", "seal-padded", m_seal, 2, seal_in, sizeof(seal_in));
	seed("record", "inner-flipped", m_flip, 2, inner_hello, sizeof(inner_hello));

	/* post_handshake: [target][type len16 plaintext]... */
	struct bytes nst = rfc("new_session_ticket"), ph = { 0 };
	uint8_t hdr[4] = { 0, 22, (uint8_t)(nst.n >> 8), (uint8_t)nst.n };
	add(&ph, hdr, 4);
	add(&ph, nst.p, nst.n);
	seed("post_handshake", "nst", NULL, 0, ph.p, ph.n);
	free(ph.p);
	free(nst.p);
	static const uint8_t ku_then_data[] = { 0,  22, 0, 5, 24, 0, 0, 1, 1,
						23, 0,  5, 'h', 'e', 'l', 'l', 'o' };
	seed("post_handshake", "key-update-then-data", NULL, 0, ku_then_data, sizeof(ku_then_data));
	static const uint8_t close_notify[] = { 1, 23, 0, 2, 'h', 'i', 21, 0, 2, 1, 0 };
	seed("post_handshake", "data-close-notify", NULL, 0, close_notify, sizeof(close_notify));
	static const uint8_t fatal[] = { 0, 21, 0, 2, 1, 90, 21, 0, 2, 2, 40 };
	seed("post_handshake", "user-canceled-fatal", NULL, 0, fatal, sizeof(fatal));
	static const uint8_t two_ku[] = { 1, 22, 0, 10, 24, 0, 0, 1, 0, 24, 0, 0, 1, 1,
					  20, 0, 1, 1 };
	seed("post_handshake", "two-key-updates-ccs", NULL, 0, two_ku, sizeof(two_ku));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR (run from the project root)\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	mkdir(outdir, 0755);
	signal(SIGPIPE, SIG_IGN);
	fuzz_rng_install();
	vectors();
	flights();
	return 0;
}
