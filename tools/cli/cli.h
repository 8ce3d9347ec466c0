/*
 * cli.h — what ktls-client and ktls-server share: option handling for the TLS settings,
 * sockets, the one-line session summary, and the stdin/stdout relay.
 */
#ifndef KTLS_TOOLS_CLI_H
#define KTLS_TOOLS_CLI_H

#include <stdbool.h>

#include "ktls.h"

/* Exit codes of both tools. */
enum {
	EXIT_OK = 0,
	EXIT_TLS = 1,     /* handshake or TLS protocol failure */
	EXIT_USAGE = 2,   /* bad command line or configuration */
	EXIT_NETWORK = 3, /* cannot connect / bind / accept, or timed out */
};

/* Certificates a server takes (--cert/--key pairs). */
#define CLI_MAX_CERTS 16

/* TLS settings both tools take; NULL/false means "not given". cert[i] goes with key[i], as
 * nginx pairs ssl_certificate and ssl_certificate_key; a cert without its key holds it. */
struct cli_tls_opts {
	const char *cert[CLI_MAX_CERTS], *key[CLI_MAX_CERTS];
	size_t n_cert, n_key;
	const char *key_pass; /* --key-pass: file:PATH, env:VAR or pass:TEXT */
	const char *ca, *servername, *alpn, *groups, *ciphers, *keylog, *offload;
	bool insecure, trace, client_cert, require_client_cert, require_offload, zerocopy, rx_no_pad;
	bool no_middlebox, hrr_cookie;
};

/* Takes one --cert (opt 'c') or --key (opt 'K') into o, at most max certificates; false
 * after saying why when there are too many. */
bool cli_opt_cert(const char *prog, struct cli_tls_opts *o, int opt, const char *arg, size_t max);
/* Applies opts to cfg; on error prints "<prog>: <reason>" and returns false. */
bool cli_configure(const char *prog, struct ktls_config *cfg, const struct cli_tls_opts *o);
/* Connects to host:port (numeric or by name), each address tried for at most timeout_ms
 * (< 0: the kernel's own limit, minutes); returns a blocking fd, or -1 after printing why
 * ("timed out after N s" when the time ran out). */
int cli_connect(const char *prog, const char *host, const char *port, int timeout_ms);
/* Listens on bind:port (NULL bind: every address, IPv6 and IPv4 on one dual-stack socket,
 * or IPv4 alone on a host without IPv6); returns the fd or -1 after printing why. Flags: a
 * non-blocking socket, and SO_REUSEPORT with a SOMAXCONN backlog for a worker of several. */
#define CLI_LISTEN_NONBLOCK 0x1
#define CLI_LISTEN_REUSEPORT 0x2
int cli_listen(const char *prog, const char *bind_addr, const char *port, unsigned flags);
/* Splits "host:port" or "[v6]:port"; returns false when malformed or the port is not
 * 1..65535. */
bool cli_split_host_port(char *arg, char **host, char **port);
/* A decimal port 1..65535 (0 too when zero_ok: "any free port"); -1 when it is not one. */
int cli_parse_port(const char *s, bool zero_ok);
/* The local port fd is bound to (0 when unknown): what --port 0 got. */
unsigned cli_bound_port(int fd);
/* "TLSv1.3 TLS_CHACHA20_POLY1305_SHA256 x25519 ed25519 alpn=h2 sni=localhost peer=CN=client
 * cert=CN=localhost" on stderr; cert= (the certificate we sent) only when we sent one. */
void cli_print_summary(const char *prog, const struct ktls_session *s);
/* Text from the peer (a status line, a server name, a certificate subject), made safe to
 * print: bytes outside printable ASCII and backslashes become \xNN, so a hostile peer cannot
 * send escape sequences to a terminal or forge log lines. len may be (size_t)-1 for a
 * NUL-terminated s; NULL gives "-". Returns buf (cap bytes, always terminated; cut short
 * when it does not fit). */
const char *cli_printable(const char *s, size_t len, char *buf, size_t cap);
/* Prints "<prog>: handshake failed: <reason>" on stderr. */
void cli_print_error(const char *prog, const char *what, const struct ktls_session *s, int err);
/* Offers the session saved in path for resumption; false (after saying why) when it cannot
 * be read. */
bool cli_session_load(const char *prog, struct ktls_session *s, const char *path);
/* Saves the latest ticket to path (mode 0600); false (after saying why) when there is none
 * or it cannot be written. */
bool cli_session_store(const char *prog, const struct ktls_session *s, const char *path);
/* Makes room for `need` open file descriptors in this process (RLIMIT_NOFILE, `ulimit -n`):
 * raises the soft limit to need when the hard limit allows it, else the hard limit too when
 * the process may (root or CAP_SYS_RESOURCE; never above /proc/sys/fs/nr_open). A limit
 * already at or above need is left alone. Returns true when need descriptors fit; false
 * after printing "<prog>: <what> needs N file descriptors, but ulimit -n is S (hard limit
 * H) and this process cannot raise it (...)", so the user knows the number to ask for. */
bool cli_raise_nofile(const char *prog, unsigned long need, const char *what);
/* --key-update: a KeyUpdate of our own (ktls_key_update) once one key has carried `bytes`
 * bytes of ours or `seconds` have passed since it was taken; 0: not by that measure. */
struct cli_key_update {
	unsigned long long bytes;
	unsigned seconds;
};
/* Parses --key-update's argument: a whole number with a unit, seconds with s, m or h
 * ("30s", "5m", "1h"), bytes with B, K, M or G, powers of 1024 ("65536B", "512K", "1G"). A
 * number without its unit is refused (which of the two?). Returns false for anything else,
 * 0, or more than 2^63 bytes / 2^31 seconds. */
bool cli_parse_key_update(const char *arg, struct cli_key_update *ku);
/* The same for the option: false after saying what it takes. */
bool cli_opt_key_update(const char *prog, const char *arg, struct cli_key_update *ku);

/* What the stdin/stdout relay does besides copying. */
struct cli_relay_opts {
	bool commands;                /* a line of stdin that is exactly "k" sends a KeyUpdate, "K"
				       * one with update_requested, instead of the line */
	struct cli_key_update policy; /* --key-update */
};
/* Copies stdin to the session and the session to stdout until both directions end: stdin
 * EOF sends close_notify, the peer's close_notify or EOF ends reading. o may be NULL (no
 * commands, no policy). Returns an exit code. */
int cli_relay(const char *prog, struct ktls_session *s, int sock, const struct cli_relay_opts *o);

/* The --key-update policy at work: count what goes under one key, and say when it is time.
 * The clock is CLOCK_MONOTONIC in ms. */
struct cli_key_clock {
	struct cli_key_update policy;
	unsigned long long sent;      /* bytes under the current key */
	long long since_ms;           /* when the current key was taken */
};
void cli_key_clock_start(struct cli_key_clock *k, const struct cli_key_update *policy);
/* After n bytes went: a KeyUpdate (ktls_key_update, not requested) when the policy says so,
 * "<prog>: KEYUPDATE" on stderr when verbose. Returns 0 or ktls_key_update's error. */
int cli_key_clock_sent(const char *prog, struct cli_key_clock *k, struct ktls_session *s,
		       unsigned long long n, bool verbose);
/* Milliseconds until the time policy wants a KeyUpdate (for poll), -1: never. */
int cli_key_clock_wait_ms(const struct cli_key_clock *k);

#endif
