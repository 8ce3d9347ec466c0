/*
 * diag.c — the kernel's view of kTLS sockets through NETLINK_SOCK_DIAG, and the tls module's
 * counters (diag.h).
 *
 * The dump is the one `ss -tie` makes: an inet_diag_req_v2 per address family with the
 * INET_DIAG_INFO extension bit, which is what makes tcp_diag add its "aux" attributes, the
 * ULP ones among them (net/ipv4/tcp_diag.c: tcp_diag_get_aux → tcp_diag_put_ulp →
 * tls_get_info in net/tls/tls_main.c). The answer nests three deep:
 *
 *   inet_diag_msg | INET_DIAG_ULP_INFO { INET_ULP_INFO_NAME "tls",
 *                                        INET_ULP_INFO_TLS { TLS_INFO_VERSION u16,
 *                                                            TLS_INFO_CIPHER u16,
 *                                                            TLS_INFO_TXCONF u16, ... } }
 *
 * The parser walks every level with its own bounds and checks each attribute's length
 * before it reads the payload, so a lying length fails with KTLS_EDECODE instead of reading
 * past the message (libmnl's iterators just stop quietly at a bad attribute). Unknown
 * attributes are skipped: newer kernels add some.
 *
 * Filtering by port is done here rather than with inet_diag bytecode: a handful of sockets
 * on a test machine does not need the kernel-side filter language.
 */
#include "diag.h"

#include "common/json.h"
#include "ktls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Attribute numbers from the kernel UAPI (<linux/inet_diag.h>, <linux/tls.h>). They are enum
 * members there, which a preprocessor test cannot detect on an older build host, so they are
 * spelled out here; tests/diag_test.c builds its messages with the header names, which
 * checks these values wherever the headers have them. */
enum {
	DIAG_ULP_INFO = 19,     /* INET_DIAG_ULP_INFO (Linux 5.3) */
	ULP_INFO_NAME = 1,      /* INET_ULP_INFO_NAME */
	ULP_INFO_TLS = 2,       /* INET_ULP_INFO_TLS */
	TLS_INFO_VERSION_ = 1,  /* TLS_INFO_VERSION (Linux 5.4) */
	TLS_INFO_CIPHER_ = 2,   /* TLS_INFO_CIPHER */
	TLS_INFO_TXCONF_ = 3,   /* TLS_INFO_TXCONF */
	TLS_INFO_RXCONF_ = 4,   /* TLS_INFO_RXCONF */
	TLS_INFO_ZC_RO_TX_ = 5, /* TLS_INFO_ZC_RO_TX (Linux 5.19) */
	TLS_INFO_RX_NO_PAD_ = 6 /* TLS_INFO_RX_NO_PAD (Linux 6.0) */
};

#ifndef TLS_CONF_BASE
#define TLS_CONF_BASE 1
#define TLS_CONF_SW 2
#define TLS_CONF_HW 3
#define TLS_CONF_HW_RECORD 4
#endif
#ifndef TLS_CIPHER_AES_CCM_128
#define TLS_CIPHER_AES_CCM_128 53
#endif
#ifndef TLS_CIPHER_CHACHA20_POLY1305
#define TLS_CIPHER_CHACHA20_POLY1305 54
#endif
#ifndef TLS_CIPHER_SM4_GCM
#define TLS_CIPHER_SM4_GCM 55
#endif
#ifndef TLS_CIPHER_SM4_CCM
#define TLS_CIPHER_SM4_CCM 56
#endif
#ifndef TLS_CIPHER_ARIA_GCM_128
#define TLS_CIPHER_ARIA_GCM_128 57
#endif
#ifndef TLS_CIPHER_ARIA_GCM_256
#define TLS_CIPHER_ARIA_GCM_256 58
#endif

/* TCP states the dump asks for: all but TIME_WAIT (6) and NEW_SYN_RECV (12), which are
 * mini-sockets that never carry a ULP. */
#define DIAG_STATES (~((1u << 6) | (1u << 12)))

/* Receive buffer: the kernel sizes dump messages to the reader's buffer, up to 32 KiB. */
#define DIAG_BUF_LEN 65536

/* ------------------------------------------------------------------------------------------ */
/* Names                                                                                      */

const char *diag_state_name(uint8_t state)
{
	/* as ss(8) names them (iproute2 misc/ss.c) */
	static const char *const names[] = {
		[1] = "ESTAB",      [2] = "SYN-SENT",   [3] = "SYN-RECV",   [4] = "FIN-WAIT-1",
		[5] = "FIN-WAIT-2", [6] = "TIME-WAIT",  [7] = "UNCONN",     [8] = "CLOSE-WAIT",
		[9] = "LAST-ACK",   [10] = "LISTEN",    [11] = "CLOSING",   [12] = "SYN-RECV",
	};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : NULL;
}

const char *diag_version_name(uint16_t version)
{
	switch (version) {
	case TLS_1_2_VERSION: return "TLS1.2";
	case TLS_1_3_VERSION: return "TLS1.3";
	default: return NULL;
	}
}

const char *diag_cipher_name(uint16_t cipher)
{
	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128: return "AES-GCM-128";
	case TLS_CIPHER_AES_GCM_256: return "AES-GCM-256";
	case TLS_CIPHER_AES_CCM_128: return "AES-CCM-128";
	case TLS_CIPHER_CHACHA20_POLY1305: return "CHACHA20-POLY1305";
	case TLS_CIPHER_SM4_GCM: return "SM4-GCM";
	case TLS_CIPHER_SM4_CCM: return "SM4-CCM";
	case TLS_CIPHER_ARIA_GCM_128: return "ARIA-GCM-128";
	case TLS_CIPHER_ARIA_GCM_256: return "ARIA-GCM-256";
	default: return NULL;
	}
}

const char *diag_conf_name(uint16_t conf)
{
	switch (conf) {
	case TLS_CONF_BASE: return "none";
	case TLS_CONF_SW: return "sw";
	case TLS_CONF_HW: return "hw";
	case TLS_CONF_HW_RECORD: return "hw-record";
	default: return NULL;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Parsing one answer                                                                         */

/* Calls cb for each attribute in [start, start + len), checking that each lies inside.
 * Returns 0, KTLS_EDECODE, or what cb returned when not 0. */
static int walk_attrs(const void *start, size_t len, int (*cb)(const struct nlattr *, void *),
		      void *arg)
{
	const char *p = start;
	while (len > 0) {
		const struct nlattr *a = (const struct nlattr *)(const void *)p;
		if (len < sizeof(*a) || a->nla_len < sizeof(*a) || a->nla_len > len)
			return KTLS_EDECODE;
		int rc = cb(a, arg);
		if (rc)
			return rc;
		size_t step = MNL_ALIGN(a->nla_len);
		if (step > len) /* the last attribute's padding may be cut off */
			step = len;
		p += step;
		len -= step;
	}
	return 0;
}

static int walk_nested(const struct nlattr *nest, int (*cb)(const struct nlattr *, void *),
		       void *arg)
{
	return walk_attrs(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), cb, arg);
}

static int get_u16(const struct nlattr *a, uint16_t *v)
{
	if (mnl_attr_get_payload_len(a) != sizeof(*v))
		return KTLS_EDECODE;
	*v = mnl_attr_get_u16(a);
	return 0;
}

static int tls_info_attr(const struct nlattr *a, void *arg)
{
	struct diag_sock *s = arg;
	switch (mnl_attr_get_type(a)) {
	case TLS_INFO_VERSION_: return get_u16(a, &s->version);
	case TLS_INFO_CIPHER_: return get_u16(a, &s->cipher);
	case TLS_INFO_TXCONF_: return get_u16(a, &s->tx_conf);
	case TLS_INFO_RXCONF_: return get_u16(a, &s->rx_conf);
	case TLS_INFO_ZC_RO_TX_: s->tx_zerocopy = true; return 0;
	case TLS_INFO_RX_NO_PAD_: s->rx_no_pad = true; return 0;
	default: return 0;
	}
}

struct ulp_seen {
	struct diag_sock *sock;
	bool ulp, is_tls;
};

static int ulp_info_attr(const struct nlattr *a, void *arg)
{
	struct ulp_seen *u = arg;
	switch (mnl_attr_get_type(a)) {
	case ULP_INFO_NAME: {
		/* nla_put_string: NUL-terminated; take it up to the NUL or the payload's end */
		const char *name = mnl_attr_get_payload(a);
		size_t n = strnlen(name, mnl_attr_get_payload_len(a));
		u->is_tls = n == 3 && memcmp(name, "tls", 3) == 0;
		return 0;
	}
	case ULP_INFO_TLS:
		u->sock->has_tls_info = true;
		return walk_nested(a, tls_info_attr, u->sock);
	default:
		return 0;
	}
}

static int diag_attr(const struct nlattr *a, void *arg)
{
	struct ulp_seen *u = arg;
	if (mnl_attr_get_type(a) != DIAG_ULP_INFO || u->ulp)
		return 0;
	u->ulp = true;
	return walk_nested(a, ulp_info_attr, u);
}

static void format_addr(char *out, int family, const uint32_t *addr, uint16_t port)
{
	char ip[INET6_ADDRSTRLEN];
	if (!inet_ntop(family, addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	snprintf(out, DIAG_ADDR_LEN, family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 (unsigned)port);
}

int diag_parse_msg(const struct nlmsghdr *nlh, struct diag_sock *out)
{
	struct inet_diag_msg m;
	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(m))
		return KTLS_EDECODE;
	memcpy(&m, mnl_nlmsg_get_payload(nlh), sizeof(m));
	if (m.idiag_family != AF_INET && m.idiag_family != AF_INET6)
		return KTLS_EDECODE;

	size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(m));
	size_t attr_len = nlh->nlmsg_len > off ? nlh->nlmsg_len - off : 0;
	struct ulp_seen u = { .sock = out };
	int rc = walk_attrs((const char *)nlh + off, attr_len, diag_attr, &u);
	if (rc || !u.is_tls) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->family = m.idiag_family;
	out->state = m.idiag_state;
	out->local_port = ntohs(m.id.idiag_sport);
	out->remote_port = ntohs(m.id.idiag_dport);
	format_addr(out->local, m.idiag_family, m.id.idiag_src, out->local_port);
	format_addr(out->remote, m.idiag_family, m.id.idiag_dst, out->remote_port);
	out->inode = m.idiag_inode;
	out->uid = m.idiag_uid;
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* The dump                                                                                   */

struct dump_ctx {
	diag_raw_cb cb;
	void *arg;
	int rc;       /* a code to return instead of KTLS_EIO */
	bool stopped; /* cb asked to stop */
};

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return MNL_CB_OK;
	int rc = c->cb(nlh, c->arg);
	if (rc < 0) {
		c->rc = rc;
		return MNL_CB_ERROR;
	}
	if (rc > 0) {
		c->stopped = true;
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

/* The errno of a netlink error status (-errno, the kernel's are below 4096); EPROTO for
 * anything else (INT_MIN has no positive: found by tests/fuzz/netlink.c). */
static int errno_of(int status)
{
	return status < 0 && status > -4096 ? -status : status > 0 && status < 4096 ? status : EPROTO;
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	struct nlmsgerr e;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
	if (e.error == 0) /* an acknowledgement */
		return MNL_CB_STOP;
	errno = errno_of(e.error);
	return MNL_CB_ERROR;
}

/* The end of a dump carries its final status: an error there means it is incomplete. */
static int on_done(const struct nlmsghdr *nlh, void *data)
{
	(void)data;
	int err = 0;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0) {
		errno = errno_of(err);
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int on_noop(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

/* One received buffer of the dump: 0 when more is to come, 1 when it ended (or c->cb asked
 * to stop), or a negative code (diag_parse_reply). */
static int run_reply(const void *buf, size_t len, unsigned seq, unsigned portid,
		     struct dump_ctx *c)
{
	/* libmnl takes this array non-const; it lives on the stack (no mutable globals) */
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = on_noop,
		[NLMSG_ERROR] = on_error,
		[NLMSG_DONE] = on_done,
		[NLMSG_OVERRUN] = on_noop,
	};
	/* libmnl compares nlmsg_len with the bytes left as an int, so a length of 2^31 or more
	 * passes its check and sends it far past the buffer (found by tests/fuzz/netlink.c):
	 * every message must lie inside buf before libmnl walks them */
	for (size_t off = 0; off < len;) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)((const char *)buf + off);
		if (len - off < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) ||
		    nlh->nlmsg_len > len - off) {
			errno = EBADMSG;
			return KTLS_EDECODE;
		}
		off += MNL_ALIGN(nlh->nlmsg_len) < len - off ? MNL_ALIGN(nlh->nlmsg_len) : len - off;
	}
	int rc = mnl_cb_run2(buf, len, seq, portid, on_data, c, ctl, NLMSG_MIN_TYPE);
	if (rc == MNL_CB_ERROR)
		return c->rc ? c->rc : KTLS_EIO;
	return rc == MNL_CB_STOP ? 1 : 0;
}

int diag_parse_reply(const void *buf, size_t len, unsigned seq, unsigned portid,
			  diag_raw_cb cb, void *arg)
{
	if (!cb)
		return KTLS_EINVAL;
	struct dump_ctx c = { .cb = cb, .arg = arg };
	return run_reply(buf, len, seq, portid, &c);
}

static int dump_family(struct mnl_socket *nl, char *buf, int family, struct dump_ctx *c)
{
	unsigned seq = (unsigned)time(NULL) + (unsigned)family;
	unsigned portid = mnl_socket_get_portid(nl);

	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	struct inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = DIAG_STATES;
	req->idiag_ext = 1u << (INET_DIAG_INFO - 1);

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return KTLS_EIO;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, DIAG_BUF_LEN);
		if (n < 0)
			return KTLS_EIO;
		if (n == 0) {
			errno = ECONNRESET;
			return KTLS_EIO;
		}
		int rc = run_reply(buf, (size_t)n, seq, portid, c);
		if (rc)
			return rc < 0 ? rc : 0;
	}
}

int diag_dump(int family, diag_raw_cb cb, void *arg)
{
	if ((family != AF_UNSPEC && family != AF_INET && family != AF_INET6) || !cb)
		return KTLS_EINVAL;
	char *buf = malloc(DIAG_BUF_LEN);
	if (!buf)
		return KTLS_ENOMEM;
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	int rc = KTLS_EIO;
	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0) {
		struct dump_ctx c = { .cb = cb, .arg = arg };
		rc = 0;
		if (family != AF_INET6)
			rc = dump_family(nl, buf, AF_INET, &c);
		if (!rc && !c.stopped && family != AF_INET)
			rc = dump_family(nl, buf, AF_INET6, &c);
	}
	int saved = errno;
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	errno = saved;
	return rc;
}

bool diag_port_matches(const struct diag_sock *s, uint16_t port)
{
	return port == 0 || s->local_port == port || s->remote_port == port;
}

struct list_ctx {
	uint16_t port;
	diag_cb cb;
	void *arg;
};

static int list_one(const struct nlmsghdr *nlh, void *arg)
{
	struct list_ctx *c = arg;
	struct diag_sock s;
	int rc = diag_parse_msg(nlh, &s);
	if (rc < 0) {
		errno = EBADMSG;
		return rc;
	}
	if (rc == 0 || !diag_port_matches(&s, c->port))
		return 0;
	return c->cb(&s, c->arg);
}

int diag_list(int family, uint16_t port, diag_cb cb, void *arg)
{
	if (!cb)
		return KTLS_EINVAL;
	struct list_ctx c = { .port = port, .cb = cb, .arg = arg };
	return diag_dump(family, list_one, &c);
}

bool diag_kernel_has_tls(void)
{
	return access(DIAG_STATS_PATH, F_OK) == 0;
}

/* ------------------------------------------------------------------------------------------ */
/* /proc/net/tls_stat                                                                         */

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* "name<spaces/tabs>value", nothing else but trailing blanks; an empty line is skipped (0). */
static int parse_stat_line(char *line, struct diag_stat *st)
{
	size_t n = strlen(line);
	while (n > 0 && (is_space(line[n - 1]) || line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = 0;
	char *p = line;
	while (is_space(*p))
		p++;
	if (!*p)
		return 0;
	char *name = p;
	while (*p && !is_space(*p))
		p++;
	size_t name_len = (size_t)(p - name);
	if (name_len >= sizeof(st->name) || !is_space(*p))
		return KTLS_EDECODE;
	while (is_space(*p))
		p++;
	if (*p < '0' || *p > '9')
		return KTLS_EDECODE;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(p, &end, 10);
	if (errno || *end)
		return KTLS_EDECODE;
	memcpy(st->name, name, name_len);
	st->name[name_len] = 0;
	st->value = v;
	return 1;
}

int diag_read_stats(const char *path, struct diag_stat *stats, size_t max)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return KTLS_EIO;
	char line[256];
	size_t count = 0;
	int rc = 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f)) {
			rc = KTLS_EDECODE; /* a line longer than any counter's */
			break;
		}
		struct diag_stat st;
		int got = parse_stat_line(line, &st);
		if (got < 0)
			rc = got;
		else if (got && count == max)
			rc = KTLS_ENOSPACE;
		else if (got)
			stats[count++] = st;
	}
	if (!rc && ferror(f))
		rc = KTLS_EIO;
	int saved = errno;
	fclose(f);
	errno = saved;
	return rc ? rc : (int)count;
}

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                     */

struct out {
	char *buf;
	size_t len, pos;
	bool full;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->full)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->pos) {
		o->full = true;
		return;
	}
	o->pos += (size_t)n;
}

static int finish(struct out *o)
{
	if (o->full) {
		if (o->len)
			o->buf[0] = 0;
		return KTLS_ENOSPACE;
	}
	return 0;
}

/* A name for v: its known name, "-" when not reported (0), else "<prefix><number>". */
static const char *name_or_number(char *tmp, size_t len, const char *name, unsigned v,
				  const char *prefix)
{
	if (name)
		return name;
	if (v == 0)
		return NULL;
	snprintf(tmp, len, "%s%u", prefix, v);
	return tmp;
}

struct names {
	char tmp[5][24];
	const char *state, *version, *cipher, *tx, *rx;
};

static void get_names(struct names *n, const struct diag_sock *s)
{
	n->state = diag_state_name(s->state);
	if (!n->state) {
		snprintf(n->tmp[0], sizeof(n->tmp[0]), "state-%u", (unsigned)s->state);
		n->state = n->tmp[0];
	}
	n->version = name_or_number(n->tmp[1], sizeof(n->tmp[1]),
				    diag_version_name(s->version), s->version, "version-");
	n->cipher = name_or_number(n->tmp[2], sizeof(n->tmp[2]), diag_cipher_name(s->cipher),
				   s->cipher, "cipher-");
	n->tx = name_or_number(n->tmp[3], sizeof(n->tmp[3]), diag_conf_name(s->tx_conf),
			       s->tx_conf, "conf-");
	n->rx = name_or_number(n->tmp[4], sizeof(n->tmp[4]), diag_conf_name(s->rx_conf),
			       s->rx_conf, "conf-");
}

static const char *on_off(const struct diag_sock *s, bool v, const char *on,
			  const char *off, const char *unknown)
{
	return !s->has_tls_info ? unknown : v ? on : off;
}

int diag_format_text(char *buf, size_t len, const struct diag_sock *s)
{
	struct out o = { .buf = buf, .len = len };
	struct names n;
	get_names(&n, s);
	put(&o, "%s %s %s %s %s tx=%s rx=%s zc=%s nopad=%s", s->local, s->remote, n.state,
	    n.version ? n.version : "-", n.cipher ? n.cipher : "-", n.tx ? n.tx : "-",
	    n.rx ? n.rx : "-", on_off(s, s->tx_zerocopy, "on", "off", "-"),
	    on_off(s, s->rx_no_pad, "on", "off", "-"));
	return finish(&o);
}

/* Appends "key":value where value is a JSON string of v, or null when v is NULL. */
static void put_json_field(struct out *o, const char *key, const char *v, bool comma)
{
	char lit[2 * DIAG_ADDR_LEN + 8];
	put(o, "%s\"%s\":", comma ? "," : "", key);
	if (!v)
		put(o, "null");
	else if (json_string(lit, sizeof(lit), v))
		o->full = true;
	else
		put(o, "%s", lit);
}

int diag_format_json(char *buf, size_t len, const struct diag_sock *s)
{
	struct out o = { .buf = buf, .len = len };
	struct names n;
	get_names(&n, s);
	put(&o, "{");
	put_json_field(&o, "local", s->local, false);
	put_json_field(&o, "remote", s->remote, true);
	put_json_field(&o, "state", n.state, true);
	put_json_field(&o, "version", n.version, true);
	put_json_field(&o, "cipher", n.cipher, true);
	put_json_field(&o, "tx", n.tx, true);
	put_json_field(&o, "rx", n.rx, true);
	put(&o, ",\"tx_zerocopy\":%s", on_off(s, s->tx_zerocopy, "true", "false", "null"));
	put(&o, ",\"rx_no_pad\":%s}", on_off(s, s->rx_no_pad, "true", "false", "null"));
	return finish(&o);
}
