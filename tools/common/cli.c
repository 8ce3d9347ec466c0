/*
 * cli.c — shared code of the command-line tools (see cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
	return **host && **port;
}

int cli_connect(const char *prog, const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = getaddrinfo(host, port, &hints, &res), fd = -1, last = 0;
	if (rc) {
		fprintf(stderr, "%s: cannot resolve %s: %s\n", prog, host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			last = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "%s: cannot connect to %s port %s: %s\n", prog, host, port,
			strerror(last));
	return fd;
}

int cli_listen(const char *prog, const char *bind_addr, const char *port, unsigned flags)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res;
	int one = 1;
	int rc = getaddrinfo(bind_addr, port, &hints, &res);
	if (rc) {
		fprintf(stderr, "%s: cannot resolve %s: %s\n", prog, bind_addr ? bind_addr : "*",
			gai_strerror(rc));
		return -1;
	}
	int type = res->ai_socktype | SOCK_CLOEXEC | (flags & CLI_LISTEN_NONBLOCK ? SOCK_NONBLOCK : 0);
	int fd = socket(res->ai_family, type, res->ai_protocol);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (flags & CLI_LISTEN_REUSEPORT &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, flags & CLI_LISTEN_REUSEPORT ? SOMAXCONN : 128) < 0) {
		fprintf(stderr, "%s: cannot listen on %s port %s: %s\n", prog,
			bind_addr ? bind_addr : "*", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
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

int cli_relay(const char *prog, struct ktls_session *s, int sock)
{
	char buf[16384];
	bool stdin_open = true, sock_open = true;

	while (sock_open) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
				       { .fd = STDIN_FILENO, .events = stdin_open ? POLLIN : 0 } };
		if (poll(p, stdin_open ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: poll: %s\n", prog, strerror(errno));
			return EXIT_NETWORK;
		}
		if (stdin_open && p[1].revents) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n > 0) {
				long sent = ktls_send(s, buf, (size_t)n);
				if (sent < 0) {
					cli_print_error(prog, "send", s, (int)sent);
					return EXIT_TLS;
				}
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
			long n = ktls_recv(s, buf, sizeof(buf));
			if (n > 0) {
				if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
					return EXIT_NETWORK;
				fflush(stdout);
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
