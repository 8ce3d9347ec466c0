/*
 * diag.h — the kernel's own view of kTLS sockets (DESIGN.md layer 4, the tool libraries), for ktls-diag and the
 * kernel tests: a NETLINK_SOCK_DIAG dump of TCP sockets that carry the "tls" ULP, with what
 * the tls module reports about each (INET_DIAG_ULP_INFO → INET_ULP_INFO_TLS → TLS_INFO_*),
 * and the /proc/net/tls_stat counters.
 *
 * Two things the kernel decides and callers should know:
 *  - The ULP attributes are "aux" data of tcp_diag: the kernel adds them only when the
 *    request's idiag_ext has the INET_DIAG_INFO bit (INET_DIAG_ULP_INFO, attribute 19, has
 *    no bit of its own in the 8-bit idiag_ext), and only for a requester with CAP_NET_ADMIN.
 *    Without it, a kernel shows no ULP at all (older) or the name without the TLS details
 *    (newer): then has_tls_info is false.
 *  - TLS_INFO_VERSION and TLS_INFO_CIPHER are absent until TLS_TX or TLS_RX is set; the
 *    fields are then 0.
 *
 * A tool library (tools/diag, libdiag.a): ktls-diag and the kernel tests link it; it is
 * the only user of libmnl, and libktls does not contain it. Functions return 0 or a
 * negative KTLS_E* code (ktls.h); nothing here keeps state between calls.
 */
#ifndef DIAG_H
#define DIAG_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef KTLS_MUST_CHECK
#define KTLS_MUST_CHECK __attribute__((warn_unused_result))
#endif

/* Where the kernel keeps the tls module's counters (one per network namespace). */
#define DIAG_STATS_PATH "/proc/net/tls_stat"

/* "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:65535" and its NUL fit. */
#define DIAG_ADDR_LEN 56

/* One TCP socket with the tls ULP, as the kernel reports it. */
struct diag_sock {
	int family;                       /* AF_INET or AF_INET6 */
	uint8_t state;                    /* TCP state: TCP_ESTABLISHED, ... (<netinet/tcp.h>) */
	uint16_t local_port, remote_port; /* host byte order */
	char local[DIAG_ADDR_LEN];   /* "127.0.0.1:4433", "[::1]:4433" */
	char remote[DIAG_ADDR_LEN];
	uint32_t inode, uid;              /* of the socket, as `ss -e` shows them */
	bool has_tls_info;                /* INET_ULP_INFO_TLS was present */
	uint16_t version;                 /* TLS_1_2_VERSION, TLS_1_3_VERSION; 0: not set yet */
	uint16_t cipher;                  /* TLS_CIPHER_*; 0: not set yet */
	uint16_t tx_conf, rx_conf;        /* TLS_CONF_BASE / _SW / _HW / _HW_RECORD; 0: unknown */
	bool tx_zerocopy;                 /* TLS_INFO_ZC_RO_TX */
	bool rx_no_pad;                   /* TLS_INFO_RX_NO_PAD */
};

/* Parses one SOCK_DIAG_BY_FAMILY answer (an inet_diag_msg and its attributes) into *out.
 * Reads nothing past nlh->nlmsg_len, which the caller has checked against what it received
 * (mnl_cb_run does). Returns 1 for a socket with the tls ULP, 0 for any other socket (no ULP
 * info, another ULP), KTLS_EDECODE for a malformed message or attribute. */
KTLS_MUST_CHECK int diag_parse_msg(const struct nlmsghdr *nlh, struct diag_sock *out);

/* Called for each matching socket; returns 0 to go on, a positive value to stop the dump
 * early (diag_list then returns 0), or a negative code to abort with that code. */
typedef int (*diag_cb)(const struct diag_sock *sock, void *arg);

/* Dumps the TCP sockets of family AF_INET, AF_INET6 or AF_UNSPEC (both, IPv4 first) and
 * calls cb for each one with the tls ULP whose local or remote port is port (0: any).
 * Returns 0 (also when nothing matched), KTLS_EIO when netlink fails (errno says why:
 * ENOENT means the kernel has no TCP sock_diag, i.e. tcp_diag is not loaded), KTLS_EDECODE
 * when the kernel's answer does not parse (errno EBADMSG), KTLS_ENOMEM, KTLS_EINVAL for a
 * bad family, or a negative code from cb. */
KTLS_MUST_CHECK int diag_list(int family, uint16_t port, diag_cb cb, void *arg);

/* The filter of diag_list: port is 0, or s's local or remote port. */
bool diag_port_matches(const struct diag_sock *s, uint16_t port);

/* The dump under diag_list: calls cb with every SOCK_DIAG_BY_FAMILY answer, tls or
 * not (tests use it to see their own plain sockets). cb returns as diag_cb does; the
 * rest is as diag_list. */
typedef int (*diag_raw_cb)(const struct nlmsghdr *nlh, void *arg);
KTLS_MUST_CHECK int diag_dump(int family, diag_raw_cb cb, void *arg);

/* The parser under diag_dump, over bytes: buf[0..len) is what one recv() on the
 * sock_diag socket gave, netlink messages one after another. Calls cb with every
 * SOCK_DIAG_BY_FAMILY answer, as diag_dump does. seq and portid are the request's (0:
 * not checked). Returns 0 when the dump goes on (more to receive), 1 when it ended here
 * (NLMSG_DONE, an acknowledgement, or cb asked to stop), KTLS_EIO when the kernel reported
 * an error or a message does not match the request (errno says which), KTLS_EDECODE (errno
 * EBADMSG) when buf is not whole messages (checked before cb sees any), KTLS_EINVAL without
 * cb, or a negative code from cb. Reads nothing outside buf. */
KTLS_MUST_CHECK int diag_parse_reply(const void *buf, size_t len, unsigned seq,
					  unsigned portid, diag_raw_cb cb, void *arg);

/* Whether the tls module is loaded (or built in): it creates DIAG_STATS_PATH. */
bool diag_kernel_has_tls(void);

/* One /proc/net/tls_stat line: "TlsCurrTxSw                     \t1". */
struct diag_stat {
	char name[64];
	uint64_t value;
};

/* Reads the counters from path (DIAG_STATS_PATH, or a test's file) into stats[0..max).
 * Returns how many, or KTLS_EIO when the file cannot be read (errno kept: ENOENT when the
 * tls module is not loaded), KTLS_EDECODE for a line that is not "name whitespace value",
 * KTLS_ENOSPACE when there are more than max counters. */
KTLS_MUST_CHECK int diag_read_stats(const char *path, struct diag_stat *stats,
					 size_t max);

/* Names, as ktls-diag prints them; NULL for a value this code does not know. */
const char *diag_state_name(uint8_t state);     /* "ESTAB", "CLOSE-WAIT", ... as ss */
const char *diag_version_name(uint16_t version); /* "TLS1.2", "TLS1.3" */
const char *diag_cipher_name(uint16_t cipher);   /* "AES-GCM-128", "CHACHA20-POLY1305" */
const char *diag_conf_name(uint16_t conf);       /* "none", "sw", "hw", "hw-record" */

/* The default text line of ktls-diag, without a newline:
 * "127.0.0.1:4433 127.0.0.1:51234 ESTAB TLS1.3 CHACHA20-POLY1305 tx=sw rx=sw zc=off nopad=off"
 * A value the kernel did not report prints as "-", one this code has no name for as
 * "cipher-60", "version-773", "conf-7", "state-13". Returns 0 or KTLS_ENOSPACE. */
KTLS_MUST_CHECK int diag_format_text(char *buf, size_t len, const struct diag_sock *s);

/* One socket as a JSON object with the keys local, remote, state, version, cipher, tx, rx,
 * tx_zerocopy, rx_no_pad; strings named as in the text line, and null for a value the
 * kernel did not report. Returns 0 or KTLS_ENOSPACE. */
KTLS_MUST_CHECK int diag_format_json(char *buf, size_t len, const struct diag_sock *s);

#endif
