/*
 * cli.c — tools/cli (libcli.a): what ktls-client and ktls-server share (see cli.h).
 */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <limits.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool cli_opt_cert(const char *prog, struct cli_tls_opts *o, int opt, const char *arg, size_t max)
{
	size_t *n = opt == 'c' ? &o->n_cert : &o->n_key;
	if (max > CLI_MAX_CERTS)
		max = CLI_MAX_CERTS;
	if (*n == max) {
		if (max == 1)
			fprintf(stderr, "%s: --%s given twice (one certificate here)\n", prog,
				opt == 'c' ? "cert" : "key");
		else
			fprintf(stderr, "%s: at most %zu --%s\n", prog, max, opt == 'c' ? "cert" : "key");
		return false;
	}
	(opt == 'c' ? o->cert : o->key)[(*n)++] = arg;
	return true;
}

/* The passphrase --key-pass names, like openssl's -passin: file:PATH (its first line),
 * env:VAR or pass:TEXT (visible to other users in ps: for tests). Returns false after
 * saying why. */
static bool read_key_pass(const char *prog, const char *spec, char *buf, size_t cap)
{
	const char *v = NULL;
	buf[0] = 0;
	if (!strncmp(spec, "pass:", 5)) {
		v = spec + 5;
	} else if (!strncmp(spec, "env:", 4)) {
		if (!(v = getenv(spec + 4))) {
			fprintf(stderr, "%s: --key-pass %s: the variable is not set\n", prog, spec);
			return false;
		}
	} else if (!strncmp(spec, "file:", 5)) {
		/* read(2) straight into buf: no stdio buffer keeps a copy */
		int fd = open(spec + 5, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, cap - 1) : -1;
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (n < 0) {
			fprintf(stderr, "%s: --key-pass: cannot read %s: %s\n", prog, spec + 5,
				strerror(e));
			return false;
		}
		buf[n] = 0;
		size_t len = strcspn(buf, "\r\n"); /* the first line */
		if (len == (size_t)n && (size_t)n == cap - 1) {
			fprintf(stderr, "%s: --key-pass: the passphrase in %s is longer than %zu bytes\n",
				prog, spec + 5, cap - 2);
			return false;
		}
		buf[len] = 0;
		return true;
	} else {
		fprintf(stderr, "%s: --key-pass takes file:PATH, env:VAR or pass:TEXT, not '%s'\n",
			prog, spec);
		return false;
	}
	if (strlen(v) >= cap) {
		fprintf(stderr, "%s: --key-pass: the passphrase is longer than %zu bytes\n", prog,
			cap - 1);
		return false;
	}
	memcpy(buf, v, strlen(v) + 1);
	return true;
}

/* Loads each --cert with its --key (the Nth key with the Nth certificate; none: the key is
 * in the certificate file) and the --key-pass passphrase, wiped after. */
static int configure_certs(const char *prog, struct ktls_config *cfg,
			   const struct cli_tls_opts *o)
{
	char pass[1024];
	int err = 0;
	if (o->n_key > o->n_cert) {
		fprintf(stderr, "%s: --key needs a --cert (the Nth --key is the key of the Nth "
				"--cert)\n", prog);
		return KTLS_EINVAL;
	}
	if (o->key_pass && !o->n_cert) {
		fprintf(stderr, "%s: --key-pass needs --cert\n", prog);
		return KTLS_EINVAL;
	}
	if (o->key_pass && !read_key_pass(prog, o->key_pass, pass, sizeof(pass))) {
		sodium_memzero(pass, sizeof(pass));
		return KTLS_EINVAL;
	}
	for (size_t i = 0; i < o->n_cert && !err; i++) {
		err = ktls_config_add_cert(cfg, o->cert[i], i < o->n_key ? o->key[i] : o->cert[i],
					   o->key_pass ? pass : NULL);
		if (err)
			fprintf(stderr, "%s: %s\n", prog, ktls_config_error(cfg));
	}
	sodium_memzero(pass, sizeof(pass));
	return err;
}

bool cli_configure(const char *prog, struct ktls_config *cfg, const struct cli_tls_opts *o)
{
	if (configure_certs(prog, cfg, o))
		return false;
	int err = 0;
	if (!err && o->ca) {
		struct stat st;
		bool dir = stat(o->ca, &st) == 0 && S_ISDIR(st.st_mode);
		err = ktls_config_set_ca(cfg, dir ? NULL : o->ca, dir ? o->ca : NULL);
	}
	if (!err && o->insecure)
		err = ktls_config_set_insecure(cfg, 1);
	if (!err && o->no_middlebox)
		err = ktls_config_set_middlebox_compat(cfg, 0);
	if (!err && o->hrr_cookie)
		err = ktls_config_set_hrr_cookie(cfg, 1);
	if (!err && o->servername)
		err = ktls_config_set_server_name(cfg, o->servername);
	if (!err && o->alpn)
		err = ktls_config_set_alpn(cfg, o->alpn);
	if (!err && o->groups)
		err = ktls_config_set_groups(cfg, o->groups);
	if (!err && o->ciphers)
		err = ktls_config_set_ciphers(cfg, o->ciphers);
	if (!err)
		err = o->keylog ? ktls_config_set_keylog(cfg, o->keylog)
				: ktls_config_set_keylog_from_env(cfg); /* the tools honour it */
	if (!err && o->trace)
		err = ktls_config_set_trace(cfg, STDERR_FILENO);
	if (!err && (o->offload || o->require_offload)) {
		static const struct {
			const char *name;
			enum ktls_offload_mode mode;
		} modes[] = { { "both", KTLS_OFFLOAD_BOTH }, { "tx", KTLS_OFFLOAD_TX },
			      { "rx", KTLS_OFFLOAD_RX }, { "none", KTLS_OFFLOAD_NONE } };
		const char *name = o->offload ? o->offload : "both";
		size_t i = 0;
		while (i < 4 && strcmp(modes[i].name, name))
			i++;
		if (i == 4) {
			fprintf(stderr, "%s: --offload takes both, tx, rx or none, not '%s'\n", prog, name);
			return false;
		}
		err = ktls_config_set_offload(cfg, modes[i].mode, o->require_offload);
	}
	if (!err && (o->zerocopy || o->rx_no_pad))
		err = ktls_config_set_offload_flags(cfg, (o->zerocopy ? KTLS_OFFLOAD_TX_ZEROCOPY : 0) |
							 (o->rx_no_pad ? KTLS_OFFLOAD_RX_NO_PAD : 0));
	if (!err && o->require_client_cert)
		err = ktls_config_set_client_auth(cfg, KTLS_CLIENT_AUTH_REQUIRED);
	else if (!err && o->client_cert)
		err = ktls_config_set_client_auth(cfg, KTLS_CLIENT_AUTH_OPTIONAL);
	if (err) {
		fprintf(stderr, "%s: %s\n", prog, ktls_config_error(cfg));
		return false;
	}
	return true;
}

bool cli_split_host_port(char *arg, char **host, char **port)
{
	char *colon;
	if (arg[0] == '[') {
		char *end = strchr(arg, ']');
		if (!end || end[1] != ':')
			return false;
		*end = 0;
		*host = arg + 1;
		*port = end + 2;
	} else {
		colon = strrchr(arg, ':');
		if (!colon)
			return false;
		*colon = 0;
		*host = arg;
		*port = colon + 1;
	}
	return **host && cli_parse_port(*port, false) > 0;
}

int cli_parse_port(const char *s, bool zero_ok)
{
	long v = 0;
	if (!*s || strlen(s) > 5)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v <= 65535 && (v > 0 || zero_ok) ? (int)v : -1;
}

unsigned cli_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return 0;
	return ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					: ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* connect() on fd, waiting at most timeout_ms (< 0: as long as the kernel tries). Returns 0,
 * or -1 with errno set (ETIMEDOUT when the time ran out). The socket stays blocking. */
static int connect_within(int fd, const struct sockaddr *a, socklen_t alen, int timeout_ms)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	int rc = connect(fd, a, alen);
	if (rc < 0 && errno == EINPROGRESS) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int n;
		do
			n = poll(&p, 1, timeout_ms);
		while (n < 0 && errno == EINTR); /* a signal restarts the wait: close enough */
		int e = 0;
		socklen_t el = sizeof(e);
		if (n == 0)
			e = ETIMEDOUT;
		else if (n < 0)
			e = errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		rc = e ? -1 : 0;
		errno = e;
	}
	int e = errno;
	if (fcntl(fd, F_SETFL, fl) < 0)
		return -1;
	errno = e;
	return rc;
}

int cli_connect(const char *prog, const char *host, const char *port, int timeout_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = getaddrinfo(host, port, &hints, &res), fd = -1, last = 0;
	if (rc) {
		fprintf(stderr, "%s: cannot resolve %s: %s\n", prog, host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect_within(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms) < 0) {
			last = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0 && last == ETIMEDOUT && timeout_ms >= 0)
		fprintf(stderr, "%s: cannot connect to %s port %s: timed out after %g s\n", prog, host,
			port, timeout_ms / 1000.0);
	else if (fd < 0)
		fprintf(stderr, "%s: cannot connect to %s port %s: %s\n", prog, host, port,
			strerror(last));
	return fd;
}

/* One listening socket on sa. An IPv6 socket takes IPv4 too (IPV6_V6ONLY off), so that
 * "::" is every address of both families. Returns the fd, or -1 with errno set. */
static int listen_on(const struct sockaddr *sa, socklen_t len, unsigned flags)
{
	int one = 1, zero = 0, saved;
	int type = SOCK_STREAM | SOCK_CLOEXEC | (flags & CLI_LISTEN_NONBLOCK ? SOCK_NONBLOCK : 0);
	int fd = socket(sa->sa_family, type, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	    (!(flags & CLI_LISTEN_REUSEPORT) ||
	     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0) &&
	    (sa->sa_family != AF_INET6 ||
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) == 0) &&
	    bind(fd, sa, len) == 0 && listen(fd, flags & CLI_LISTEN_REUSEPORT ? SOMAXCONN : 128) == 0)
		return fd;
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int cli_listen(const char *prog, const char *bind_addr, const char *port, unsigned flags)
{
	int fd, num = cli_parse_port(port, true);
	if (num < 0) {
		fprintf(stderr, "%s: not a port: '%s'\n", prog, port);
		return -1;
	}
	if (!bind_addr) {
		/* all addresses: dual-stack "::", or IPv4's 0.0.0.0 on a host without IPv6 */
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)num),
					   .sin6_addr = IN6ADDR_ANY_INIT };
		struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)num),
					  .sin_addr.s_addr = htonl(INADDR_ANY) };
		fd = listen_on((struct sockaddr *)&a6, sizeof(a6), flags);
		if (fd < 0 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
			fd = listen_on((struct sockaddr *)&a4, sizeof(a4), flags);
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
					  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *res;
		int rc = getaddrinfo(bind_addr, port, &hints, &res);
		if (rc) {
			fprintf(stderr, "%s: cannot resolve %s: %s\n", prog, bind_addr, gai_strerror(rc));
			return -1;
		}
		fd = listen_on(res->ai_addr, res->ai_addrlen, flags);
		freeaddrinfo(res);
	}
	if (fd < 0)
		fprintf(stderr, "%s: cannot listen on %s port %s: %s\n", prog,
			bind_addr ? bind_addr : "*", port, strerror(errno));
	return fd;
}

const char *cli_printable(const char *s, size_t len, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	if (!s)
		s = "-", len = 1;
	if (len == (size_t)-1)
		len = strlen(s);
	for (size_t i = 0; i < len && n + 5 <= cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			buf[n++] = (char)c;
		} else {
			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	buf[n] = 0;
	return buf;
}

void cli_print_summary(const char *prog, const struct ktls_session *s)
{
	struct ktls_session_info info;
	char alpn[1024], sni[1024], peer[1024], cert[1024];
	if (ktls_session_get_info(s, &info))
		return;
	const char *group = ktls_group_display_name(info.group);
	const char *sig = ktls_sig_scheme_display_name(info.signature_scheme);
	fprintf(stderr, "%s: TLSv1.3 %s %s %s alpn=%s sni=%s peer=%s%s%s%s\n", prog,
		ktls_suite_name(info.cipher_suite), group ? group : "-", sig ? sig : "-",
		cli_printable(info.alpn, (size_t)-1, alpn, sizeof(alpn)),
		cli_printable(info.server_name, (size_t)-1, sni, sizeof(sni)),
		cli_printable(info.peer_subject, (size_t)-1, peer, sizeof(peer)),
		info.cert_subject ? " cert=" : "",
		info.cert_subject ? cli_printable(info.cert_subject, (size_t)-1, cert, sizeof(cert)) : "",
		info.hello_retry ? " (after HelloRetryRequest)" : "");
	if (info.resumed)
		fprintf(stderr, "%s: session resumed from a ticket (no certificate exchanged)\n", prog);
	fprintf(stderr, "%s: record layer: tx %s%s, rx %s%s%s%s\n", prog,
		info.tx_offloaded ? "kernel" : "userspace", info.tx_zerocopy ? " (zero-copy)" : "",
		info.rx_offloaded ? "kernel" : "userspace", info.rx_no_pad ? " (no-pad)" : "",
		*info.offload_status ? " — " : "", info.offload_status);
}

void cli_print_error(const char *prog, const char *what, const struct ktls_session *s, int err)
{
	const char *msg = s ? ktls_session_error(s) : "";
	fprintf(stderr, "%s: %s: %s\n", prog, what, *msg ? msg : ktls_strerror(err));
}

bool cli_parse_key_update(const char *arg, struct cli_key_update *ku)
{
	char *end;
	*ku = (struct cli_key_update){ 0 };
	if (!arg || *arg < '0' || *arg > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (errno || !v || !end[0] || end[1])
		return false;
	int shift = -1, mult = 0;
	switch (*end) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'B': shift = 0; break;
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	default: return false;
	}
	if (mult) {
		if (v > (1ull << 31) / (unsigned)mult)
			return false;
		ku->seconds = (unsigned)(v * (unsigned)mult);
		return true;
	}
	if (v > (1ull << 63) >> shift)
		return false;
	ku->bytes = v << shift;
	return true;
}

bool cli_opt_key_update(const char *prog, const char *arg, struct cli_key_update *ku)
{
	if (cli_parse_key_update(arg, ku))
		return true;
	fprintf(stderr, "%s: --key-update takes a time (30s, 5m, 1h) or bytes (65536B, 512K, 64M, "
		"1G), not '%s'\n", prog, arg);
	return false;
}

static long long monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cli_key_clock_start(struct cli_key_clock *k, const struct cli_key_update *policy)
{
	k->policy = policy ? *policy : (struct cli_key_update){ 0 };
	k->sent = 0;
	k->since_ms = monotonic_ms();
}

int cli_key_clock_wait_ms(const struct cli_key_clock *k)
{
	if (!k->policy.seconds)
		return -1;
	long long left = k->since_ms + 1000LL * k->policy.seconds - monotonic_ms();
	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

int cli_key_clock_sent(const char *prog, struct cli_key_clock *k, struct ktls_session *s,
		       unsigned long long n, bool verbose)
{
	k->sent += n;
	bool due = (k->policy.bytes && k->sent >= k->policy.bytes) ||
		   (k->policy.seconds && cli_key_clock_wait_ms(k) == 0);
	if (!due)
		return 0;
	int err = ktls_key_update(s, false);
	if (err)
		return err;
	if (verbose)
		fprintf(stderr, "%s: KEYUPDATE\n", prog);
	cli_key_clock_start(k, &k->policy);
	return 0;
}

/* Sends stdin's bytes, lines that are exactly "k" or "K" (s_client's commands) taken as
 * KeyUpdates when commands are on. *bol: the last byte sent ended a line. Returns 0, or an
 * exit code after saying why. */
static int relay_input(const char *prog, struct ktls_session *s, const char *buf, size_t len,
		       const struct cli_relay_opts *o, struct cli_key_clock *clock, bool *bol)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		bool command = false;
		if (o && o->commands && *bol && i + 1 < len &&
		    (buf[i] == 'k' || buf[i] == 'K') && buf[i + 1] == '\n')
			command = true;
		if (!command && i < len) {
			*bol = buf[i] == '\n';
			continue;
		}
		if (i > start) { /* the data before the command, or the rest */
			long sent = ktls_send(s, buf + start, i - start);
			if (sent < 0) {
				cli_print_error(prog, "send", s, (int)sent);
				return EXIT_TLS;
			}
			int err = cli_key_clock_sent(prog, clock, s, (unsigned long long)sent, true);
			if (err) {
				cli_print_error(prog, "key update", s, err);
				return EXIT_TLS;
			}
		}
		if (!command)
			break;
		int err = ktls_key_update(s, buf[i] == 'K');
		if (err) { /* a kernel that cannot rekey: say so, and go on */
			cli_print_error(prog, "key update", s, err);
			if (err != KTLS_EKEYUPDATE)
				return EXIT_TLS;
		} else {
			fprintf(stderr, "%s\n", buf[i] == 'K' ? "KEYUPDATE (update_requested)" :
				"KEYUPDATE");
			cli_key_clock_start(clock, &clock->policy);
		}
		i++; /* past the newline */
		start = i + 1;
		*bol = true;
	}
	return 0;
}

int cli_relay(const char *prog, struct ktls_session *s, int sock, const struct cli_relay_opts *o)
{
	char buf[16384];
	bool stdin_open = true, sock_open = true, bol = true;
	struct cli_key_clock clock;
	cli_key_clock_start(&clock, o ? &o->policy : NULL);

	while (sock_open) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
				       { .fd = STDIN_FILENO, .events = stdin_open ? POLLIN : 0 } };
		int ready = poll(p, stdin_open ? 2 : 1, cli_key_clock_wait_ms(&clock));
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: poll: %s\n", prog, strerror(errno));
			return EXIT_NETWORK;
		}
		if (ready == 0 && stdin_open) { /* --key-update's time is up, with nothing sent */
			int err = cli_key_clock_sent(prog, &clock, s, 0, true);
			if (err) {
				cli_print_error(prog, "key update", s, err);
				return EXIT_TLS;
			}
			continue;
		}
		if (ready == 0)
			clock.policy.seconds = 0; /* after close_notify nothing more is sent */
		if (stdin_open && p[1].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n > 0) {
				int rc = relay_input(prog, s, buf, (size_t)n, o, &clock, &bol);
				if (rc)
					return rc;
			} else {
				/* end of our input: close_notify, but keep reading the peer's
				 * answer until it closes too (TLS 1.3 half-close, §6.1) */
				stdin_open = false;
				int err = ktls_close(s);
				if (err) {
					cli_print_error(prog, "close", s, err);
					return EXIT_TLS;
				}
			}
		}
		if (p[0].revents) {
			/* KTLS_WANT_READ (records without data: tickets) sends us back to poll, which
			 * watches stdin too; plaintext the session holds (ktls_pending) poll cannot
			 * see, so it is written out before we wait again */
			long n;
			while ((n = ktls_recv(s, buf, sizeof(buf))) > 0) {
				if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
					return EXIT_NETWORK;
				if (!ktls_pending(s))
					break;
			}
			fflush(stdout);
			if (n > 0) {
				/* data written */
			} else if (n == 0) {
				sock_open = false; /* close_notify */
			} else if (n == KTLS_ECLOSED && !stdin_open) {
				sock_open = false; /* peer just closed after our close_notify */
			} else if (n != KTLS_WANT_READ) {
				cli_print_error(prog, "receive", s, (int)n);
				return EXIT_TLS;
			}
		}
	}
	if (stdin_open) {
		int err = ktls_close(s);
		if (err && err != KTLS_EIO)
			cli_print_error(prog, "close", s, err);
	}
	return EXIT_OK;
}

bool cli_session_load(const char *prog, struct ktls_session *s, const char *path)
{
	uint8_t buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		fprintf(stderr, "%s: cannot read session file %s: %s\n", prog, path,
			n < 0 ? strerror(errno) : "empty");
		return false;
	}
	int err = ktls_session_resume(s, buf, (size_t)n);
	if (err) {
		fprintf(stderr, "%s: %s is not a saved session (%s)\n", prog, path, ktls_strerror(err));
		return false;
	}
	return true;
}

bool cli_session_store(const char *prog, const struct ktls_session *s, const char *path)
{
	uint8_t buf[4096];
	long n = ktls_session_save(s, buf, sizeof(buf));
	if (n <= 0) {
		fprintf(stderr, "%s: no session ticket to save (the server sent none)\n", prog);
		return false;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, buf, (size_t)n) != n) {
		fprintf(stderr, "%s: cannot write session file %s: %s\n", prog, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	return true;
}

bool cli_raise_nofile(const char *prog, unsigned long need, const char *what)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return true; /* cannot tell: let accept/socket say EMFILE if it comes to that */
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		struct rlimit want = rl;
		want.rlim_cur = need;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
			want.rlim_max = need; /* EPERM without CAP_SYS_RESOURCE, or above fs.nr_open */
		int err = setrlimit(RLIMIT_NOFILE, &want) ? errno : 0;
		if (err && want.rlim_max != rl.rlim_max) {
			/* the hard limit stays: still take the soft limit as far as it goes */
			want.rlim_cur = want.rlim_max = rl.rlim_max;
			if (rl.rlim_cur < rl.rlim_max && setrlimit(RLIMIT_NOFILE, &want) == 0)
				rl.rlim_cur = rl.rlim_max;
			fprintf(stderr, "%s: %s needs %lu file descriptors, but ulimit -n (RLIMIT_NOFILE) "
				"is %llu (hard limit %llu) and this process cannot raise it (%s; raising the "
				"hard limit needs root or CAP_SYS_RESOURCE, and at most "
				"/proc/sys/fs/nr_open): run `ulimit -n %lu` first\n", prog, what, need,
				(unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
				strerror(err), need);
			return false;
		}
		if (err) { /* the soft limit within the hard one cannot fail; say so if it does */
			fprintf(stderr, "%s: %s needs %lu file descriptors; raising ulimit -n from %llu "
				"failed: %s\n", prog, what, need, (unsigned long long)rl.rlim_cur,
				strerror(err));
			return false;
		}
	}
	return true;
}
