/*
 * diag_test.c — tools/diag (libdiag.a): the sock_diag parser on answers built here attribute by
 * attribute (with libmnl, and once as raw bytes laid out by hand from the kernel UAPI), for
 * every kernel TLS cipher and TX/RX mode, IPv4 and IPv6, sockets without the tls ULP, and
 * malformed messages (every truncation and every corrupted byte, in buffers sized exactly so
 * AddressSanitizer sees any overread); whole receive buffers (messages, NLMSG_DONE, errors,
 * a reply to another request); the /proc/net/tls_stat parser on files written here;
 * the text and JSON output; and the real dump on this host, whose kernel has no kTLS: it
 * must work (it sees this test's own plain TCP sockets) and find no tls socket. Real kTLS
 * sockets are checked by the kernel tests in the microVM.
 */
#include "harness.h"

#include "diag/diag.h"
#include "ktls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TLS_CIPHER_ARIA_GCM_256 /* older headers: values from the kernel UAPI */
#define TLS_CIPHER_SM4_GCM 55
#define TLS_CIPHER_SM4_CCM 56
#define TLS_CIPHER_ARIA_GCM_128 57
#define TLS_CIPHER_ARIA_GCM_256 58
#endif

/* ------------------------------------------------------------------------------------------ */
/* Building answers the way tcp_diag and tls_get_info() do                                    */

struct spec {
	int family;
	uint8_t state;
	const char *src, *dst;
	uint16_t sport, dport;
	const char *ulp;  /* INET_ULP_INFO_NAME; NULL: no INET_DIAG_ULP_INFO at all */
	bool tls_info;    /* add INET_ULP_INFO_TLS */
	uint16_t version, cipher, txconf, rxconf; /* 0: attribute left out */
	bool zc, nopad;
	bool kernel_flags; /* nests without NLA_F_NESTED, as nla_nest_start_noflag() writes */
};

/* An answer buffer: aligned as recv() buffers are. */
union msgbuf {
	struct nlmsghdr h;
	char b[4096];
};

static struct nlmsghdr *build(union msgbuf *buf, const struct spec *sp)
{
	static const uint8_t zero[232]; /* a struct tcp_info's worth */
	memset(buf, 0, sizeof(*buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf->b);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 1;
	struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	m->idiag_family = (uint8_t)sp->family;
	m->idiag_state = sp->state;
	m->id.idiag_sport = htons(sp->sport);
	m->id.idiag_dport = htons(sp->dport);
	if (sp->src)
		inet_pton(sp->family, sp->src, m->id.idiag_src);
	if (sp->dst)
		inet_pton(sp->family, sp->dst, m->id.idiag_dst);
	m->id.idiag_cookie[0] = m->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	m->idiag_uid = 1000;
	m->idiag_inode = 424242;

	/* what the kernel puts before the ULP for idiag_ext = INET_DIAG_INFO */
	mnl_attr_put(nlh, INET_DIAG_INFO, sizeof(zero), zero);
	mnl_attr_put_strz(nlh, INET_DIAG_CONG, "cubic");
	if (sp->ulp) {
		struct nlattr *ulp = mnl_attr_nest_start(nlh, INET_DIAG_ULP_INFO);
		mnl_attr_put_strz(nlh, INET_ULP_INFO_NAME, sp->ulp);
		if (sp->tls_info) {
			struct nlattr *tls = mnl_attr_nest_start(nlh, INET_ULP_INFO_TLS);
			if (sp->version)
				mnl_attr_put_u16(nlh, TLS_INFO_VERSION, sp->version);
			if (sp->cipher)
				mnl_attr_put_u16(nlh, TLS_INFO_CIPHER, sp->cipher);
			if (sp->txconf)
				mnl_attr_put_u16(nlh, TLS_INFO_TXCONF, sp->txconf);
			if (sp->rxconf)
				mnl_attr_put_u16(nlh, TLS_INFO_RXCONF, sp->rxconf);
			if (sp->zc)
				mnl_attr_put(nlh, TLS_INFO_ZC_RO_TX, 0, zero);
			if (sp->nopad)
				mnl_attr_put(nlh, TLS_INFO_RX_NO_PAD, 0, zero);
			mnl_attr_nest_end(nlh, tls);
			if (sp->kernel_flags)
				tls->nla_type &= (uint16_t)~NLA_F_NESTED;
		}
		mnl_attr_nest_end(nlh, ulp);
		if (sp->kernel_flags)
			ulp->nla_type &= (uint16_t)~NLA_F_NESTED;
	}
	/* and after it one this code has never heard of, as a newer kernel may send */
	mnl_attr_put_u32(nlh, 250, 7);
	return nlh;
}

/* The socket of the example line in the brief: a ChaCha20-Poly1305 server socket. */
static struct spec example(void)
{
	return (struct spec){ .family = AF_INET, .state = TCP_ESTABLISHED, .src = "127.0.0.1",
			      .dst = "127.0.0.1", .sport = 4433, .dport = 51234, .ulp = "tls",
			      .tls_info = true, .version = TLS_1_3_VERSION,
			      .cipher = TLS_CIPHER_CHACHA20_POLY1305, .txconf = TLS_CONF_SW,
			      .rxconf = TLS_CONF_SW };
}

static int parse(const struct spec *sp, struct diag_sock *s)
{
	union msgbuf buf;
	return diag_parse_msg(build(&buf, sp), s);
}

static const char *text(const struct diag_sock *s)
{
	static char line[512];
	if (diag_format_text(line, sizeof(line), s))
		return "(format_text failed)";
	return line;
}

static const char *json(const struct diag_sock *s)
{
	static char obj[1024];
	if (diag_format_json(obj, sizeof(obj), s))
		return "(format_json failed)";
	return obj;
}

/* ------------------------------------------------------------------------------------------ */
/* Parsing good answers                                                                       */

TEST(ipv4_chacha20_example_line)
{
	struct spec sp = example();
	struct diag_sock s;
	ASSERT_EQ(1, parse(&sp, &s));
	EXPECT_EQ(AF_INET, s.family);
	EXPECT_EQ(TCP_ESTABLISHED, s.state);
	EXPECT_EQ(4433, s.local_port);
	EXPECT_EQ(51234, s.remote_port);
	EXPECT_STREQ("127.0.0.1:4433", s.local);
	EXPECT_STREQ("127.0.0.1:51234", s.remote);
	EXPECT_EQ(424242, s.inode);
	EXPECT_EQ(1000, s.uid);
	EXPECT_TRUE(s.has_tls_info);
	EXPECT_EQ(TLS_1_3_VERSION, s.version);
	EXPECT_EQ(TLS_CIPHER_CHACHA20_POLY1305, s.cipher);
	EXPECT_EQ(TLS_CONF_SW, s.tx_conf);
	EXPECT_EQ(TLS_CONF_SW, s.rx_conf);
	EXPECT_FALSE(s.tx_zerocopy);
	EXPECT_FALSE(s.rx_no_pad);
	/* what ss does not print for this cipher, ktls-diag does */
	EXPECT_STREQ("127.0.0.1:4433 127.0.0.1:51234 ESTAB TLS1.3 CHACHA20-POLY1305 tx=sw rx=sw "
		     "zc=off nopad=off",
		     text(&s));
}

TEST(ipv6_addresses_in_brackets)
{
	struct spec sp = example();
	struct diag_sock s;
	sp.family = AF_INET6;
	sp.src = "::1";
	sp.dst = "2001:db8::7:1";
	sp.sport = 443;
	sp.dport = 40000;
	sp.state = TCP_CLOSE_WAIT;
	ASSERT_EQ(1, parse(&sp, &s));
	EXPECT_EQ(AF_INET6, s.family);
	EXPECT_STREQ("[::1]:443", s.local);
	EXPECT_STREQ("[2001:db8::7:1]:40000", s.remote);
	EXPECT_STREQ("[::1]:443 [2001:db8::7:1]:40000 CLOSE-WAIT TLS1.3 CHACHA20-POLY1305 tx=sw "
		     "rx=sw zc=off nopad=off",
		     text(&s));
}

TEST(ipv6_mapped_ipv4_and_longest_address_fit)
{
	struct spec sp = example();
	struct diag_sock s;
	sp.family = AF_INET6;
	sp.src = "::ffff:10.1.2.3";
	sp.dst = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
	sp.dport = 65535;
	ASSERT_EQ(1, parse(&sp, &s));
	EXPECT_STREQ("[::ffff:10.1.2.3]:4433", s.local);
	EXPECT_STREQ("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", s.remote);
}

FIXTURE(cipher)
{
	struct diag_sock s;
};

FIXTURE_VARIANT(cipher)
{
	uint16_t cipher;
	const char *name;
};

FIXTURE_VARIANT_ADD(cipher, aes_gcm_128) { .cipher = TLS_CIPHER_AES_GCM_128, .name = "AES-GCM-128" };
FIXTURE_VARIANT_ADD(cipher, aes_gcm_256) { .cipher = TLS_CIPHER_AES_GCM_256, .name = "AES-GCM-256" };
FIXTURE_VARIANT_ADD(cipher, aes_ccm_128) { .cipher = TLS_CIPHER_AES_CCM_128, .name = "AES-CCM-128" };
FIXTURE_VARIANT_ADD(cipher, chacha20_poly1305)
{
	.cipher = TLS_CIPHER_CHACHA20_POLY1305, .name = "CHACHA20-POLY1305"
};
FIXTURE_VARIANT_ADD(cipher, sm4_gcm) { .cipher = TLS_CIPHER_SM4_GCM, .name = "SM4-GCM" };
FIXTURE_VARIANT_ADD(cipher, sm4_ccm) { .cipher = TLS_CIPHER_SM4_CCM, .name = "SM4-CCM" };
FIXTURE_VARIANT_ADD(cipher, aria_gcm_128) { .cipher = TLS_CIPHER_ARIA_GCM_128, .name = "ARIA-GCM-128" };
FIXTURE_VARIANT_ADD(cipher, aria_gcm_256) { .cipher = TLS_CIPHER_ARIA_GCM_256, .name = "ARIA-GCM-256" };

TEST_F(cipher, named_in_text_and_json)
{
	struct spec sp = example();
	char want[128];
	sp.cipher = variant->cipher;
	ASSERT_EQ(1, parse(&sp, &self->s));
	EXPECT_EQ(variant->cipher, self->s.cipher);
	EXPECT_STREQ(variant->name, diag_cipher_name(self->s.cipher));
	snprintf(want, sizeof(want), "ESTAB TLS1.3 %s tx=sw", variant->name);
	EXPECT_NONNULL(strstr(text(&self->s), want));
	snprintf(want, sizeof(want), "\"cipher\":\"%s\"", variant->name);
	EXPECT_NONNULL(strstr(json(&self->s), want));
}

TEST_F(cipher, with_the_kernels_nest_flags)
{
	struct spec sp = example();
	sp.cipher = variant->cipher;
	sp.kernel_flags = true;
	ASSERT_EQ(1, parse(&sp, &self->s));
	EXPECT_EQ(variant->cipher, self->s.cipher);
	EXPECT_EQ(TLS_1_3_VERSION, self->s.version);
}

/* Each TLS_CONF_* as TX, with a different one as RX, so the two cannot be mixed up. */
FIXTURE(conf)
{
	struct diag_sock s;
};

FIXTURE_VARIANT(conf)
{
	uint16_t tx, rx;
	const char *tx_name, *rx_name;
};

FIXTURE_VARIANT_ADD(conf, base)
{
	.tx = TLS_CONF_BASE, .rx = TLS_CONF_SW, .tx_name = "none", .rx_name = "sw"
};
FIXTURE_VARIANT_ADD(conf, sw)
{
	.tx = TLS_CONF_SW, .rx = TLS_CONF_HW, .tx_name = "sw", .rx_name = "hw"
};
FIXTURE_VARIANT_ADD(conf, hw)
{
	.tx = TLS_CONF_HW, .rx = TLS_CONF_HW_RECORD, .tx_name = "hw", .rx_name = "hw-record"
};
FIXTURE_VARIANT_ADD(conf, hw_record)
{
	.tx = TLS_CONF_HW_RECORD, .rx = TLS_CONF_BASE, .tx_name = "hw-record", .rx_name = "none"
};

TEST_F(conf, tx_and_rx_modes)
{
	struct spec sp = example();
	char want[128];
	sp.txconf = variant->tx;
	sp.rxconf = variant->rx;
	ASSERT_EQ(1, parse(&sp, &self->s));
	EXPECT_EQ(variant->tx, self->s.tx_conf);
	EXPECT_EQ(variant->rx, self->s.rx_conf);
	snprintf(want, sizeof(want), " tx=%s rx=%s zc=off", variant->tx_name, variant->rx_name);
	EXPECT_NONNULL(strstr(text(&self->s), want));
	snprintf(want, sizeof(want), "\"tx\":\"%s\",\"rx\":\"%s\"", variant->tx_name,
		 variant->rx_name);
	EXPECT_NONNULL(strstr(json(&self->s), want));
}

TEST(tls12_with_zerocopy_and_no_pad)
{
	struct spec sp = example();
	struct diag_sock s;
	sp.version = TLS_1_2_VERSION;
	sp.cipher = TLS_CIPHER_AES_GCM_256;
	sp.txconf = TLS_CONF_HW;
	sp.zc = true;
	sp.nopad = true;
	ASSERT_EQ(1, parse(&sp, &s));
	EXPECT_TRUE(s.tx_zerocopy);
	EXPECT_TRUE(s.rx_no_pad);
	EXPECT_STREQ("127.0.0.1:4433 127.0.0.1:51234 ESTAB TLS1.2 AES-GCM-256 tx=hw rx=sw zc=on "
		     "nopad=on",
		     text(&s));
}

/* TCP_ULP "tls" set, no TLS_TX / TLS_RX yet: the kernel leaves out version and cipher. */
TEST(tls_ulp_before_any_key)
{
	struct spec sp = example();
	struct diag_sock s;
	sp.version = sp.cipher = 0;
	sp.txconf = sp.rxconf = TLS_CONF_BASE;
	ASSERT_EQ(1, parse(&sp, &s));
	EXPECT_STREQ("127.0.0.1:4433 127.0.0.1:51234 ESTAB - - tx=none rx=none zc=off nopad=off",
		     text(&s));
	EXPECT_NONNULL(strstr(json(&s), "\"version\":null,\"cipher\":null,\"tx\":\"none\""));
}

/* A kernel that names the ULP but keeps the details for CAP_NET_ADMIN. */
TEST(tls_ulp_without_details)
{
	struct spec sp = example();
	struct diag_sock s;
	sp.tls_info = false;
	ASSERT_EQ(1, parse(&sp, &s));
	EXPECT_FALSE(s.has_tls_info);
	EXPECT_STREQ("127.0.0.1:4433 127.0.0.1:51234 ESTAB - - tx=- rx=- zc=- nopad=-", text(&s));
	EXPECT_STREQ("{\"local\":\"127.0.0.1:4433\",\"remote\":\"127.0.0.1:51234\",\"state\":"
		     "\"ESTAB\",\"version\":null,\"cipher\":null,\"tx\":null,\"rx\":null,"
		     "\"tx_zerocopy\":null,\"rx_no_pad\":null}",
		     json(&s));
}

TEST(values_without_a_name_print_as_numbers)
{
	struct spec sp = example();
	struct diag_sock s;
	sp.version = 0x0305;
	sp.cipher = 99;
	sp.txconf = 9;
	sp.state = 13;
	ASSERT_EQ(1, parse(&sp, &s));
	EXPECT_STREQ("127.0.0.1:4433 127.0.0.1:51234 state-13 version-773 cipher-99 tx=conf-9 "
		     "rx=sw zc=off nopad=off",
		     text(&s));
}

TEST(socket_without_ulp_is_skipped)
{
	struct spec sp = example();
	struct diag_sock s;
	sp.ulp = NULL;
	ASSERT_EQ(0, parse(&sp, &s));
	EXPECT_EQ(0, s.local[0]);
}

TEST(other_ulp_is_skipped)
{
	struct spec sp = example();
	struct diag_sock s;
	sp.ulp = "mptcp";
	sp.tls_info = false;
	ASSERT_EQ(0, parse(&sp, &s));
	sp.ulp = "tlsx";
	ASSERT_EQ(0, parse(&sp, &s));
	sp.ulp = "tl";
	ASSERT_EQ(0, parse(&sp, &s));
}

/*
 * The same answer as the example, written out byte by byte from the UAPI layouts
 * (struct nlmsghdr, struct inet_diag_msg, struct nlattr: host byte order, 4-byte aligned;
 * ports and addresses big-endian), with no libmnl involved: what tls_get_info() and
 * tcp_diag_put_ulp() emit for a TLS 1.3 ChaCha20-Poly1305 socket, sw both ways.
 */
TEST(raw_kernel_bytes)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	static const uint8_t msg[] = {
		/* nlmsghdr: len 136, type SOCK_DIAG_BY_FAMILY (20), flags NLM_F_MULTI, seq, pid */
		0x88, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00,
		/* inet_diag_msg: family AF_INET, state ESTABLISHED, timer, retrans */
		0x02, 0x01, 0x00, 0x00,
		/* sport 4433, dport 51234 (big-endian) */
		0x11, 0x51, 0xc8, 0x22,
		/* src 127.0.0.1, dst 127.0.0.1 (the rest of the 16 bytes zero) */
		0x7f, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x7f, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		/* if, cookie[2] */
		0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		/* expires, rqueue, wqueue, uid 0, inode 7 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07, 0x00, 0x00, 0x00,
		/* INET_DIAG_ULP_INFO (19), len 48 */
		0x30, 0x00, 0x13, 0x00,
		/*   INET_ULP_INFO_NAME (1), len 8: "tls\0" */
		0x08, 0x00, 0x01, 0x00, 't', 'l', 's', 0x00,
		/*   INET_ULP_INFO_TLS (2), len 36 */
		0x24, 0x00, 0x02, 0x00,
		/*     TLS_INFO_VERSION (1) 0x0304, TLS_INFO_CIPHER (2) 54 */
		0x06, 0x00, 0x01, 0x00, 0x04, 0x03, 0x00, 0x00,
		0x06, 0x00, 0x02, 0x00, 0x36, 0x00, 0x00, 0x00,
		/*     TLS_INFO_TXCONF (3) TLS_CONF_SW, TLS_INFO_RXCONF (4) TLS_CONF_SW */
		0x06, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00,
		0x06, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00,
	};
	_Static_assert(sizeof(msg) == 136, "the byte layout above");
	union msgbuf buf;
	struct diag_sock s;
	memcpy(buf.b, msg, sizeof(msg));
	ASSERT_EQ(1, diag_parse_msg(&buf.h, &s));
	EXPECT_EQ(7, s.inode);
	EXPECT_STREQ("127.0.0.1:4433 127.0.0.1:51234 ESTAB TLS1.3 CHACHA20-POLY1305 tx=sw rx=sw "
		     "zc=off nopad=off",
		     text(&s));
	/* and libmnl with the header names builds the same ULP block */
	struct spec sp = example();
	sp.kernel_flags = true;
	union msgbuf lib;
	struct nlmsghdr *nlh = build(&lib, &sp);
	const uint8_t *b = (const uint8_t *)nlh;
	/* after the message header and inet_diag_msg: INET_DIAG_INFO (4 + 232), CONG (4 + 8) */
	size_t ulp_at = 16 + 72 + 236 + 12;
	ASSERT_LE(ulp_at + 48, nlh->nlmsg_len);
	ASSERT_MEMEQ(msg + 88, b + ulp_at, 48);
#else
	SKIP(return, "the byte layout here is little-endian");
#endif
}

/* ------------------------------------------------------------------------------------------ */
/* Malformed answers                                                                          */

/* The offset of the first attribute of type `type` at the top level, or 0. */
static size_t attr_offset(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct inet_diag_msg))
		if (mnl_attr_get_type(a) == type)
			return (size_t)((const char *)a - (const char *)nlh);
	return 0;
}

TEST(too_short_for_inet_diag_msg)
{
	struct spec sp = example();
	union msgbuf buf;
	struct diag_sock s;
	struct nlmsghdr *nlh = build(&buf, &sp);
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + sizeof(struct inet_diag_msg) - 1;
	EXPECT_EQ(KTLS_EDECODE, diag_parse_msg(nlh, &s));
	nlh->nlmsg_len = 0;
	EXPECT_EQ(KTLS_EDECODE, diag_parse_msg(nlh, &s));
}

TEST(unknown_family)
{
	struct spec sp = example();
	union msgbuf buf;
	struct diag_sock s;
	struct nlmsghdr *nlh = build(&buf, &sp);
	((struct inet_diag_msg *)mnl_nlmsg_get_payload(nlh))->idiag_family = AF_UNIX;
	EXPECT_EQ(KTLS_EDECODE, diag_parse_msg(nlh, &s));
}

TEST(message_ends_inside_the_ulp_attribute)
{
	struct spec sp = example();
	union msgbuf buf;
	struct diag_sock s;
	struct nlmsghdr *nlh = build(&buf, &sp);
	size_t at = attr_offset(nlh, INET_DIAG_ULP_INFO);
	ASSERT_NE(0, at);
	nlh->nlmsg_len = (uint32_t)(at + 20);
	EXPECT_EQ(KTLS_EDECODE, diag_parse_msg(nlh, &s));
}

TEST(attribute_length_below_its_header)
{
	struct spec sp = example();
	union msgbuf buf;
	struct diag_sock s;
	struct nlmsghdr *nlh = build(&buf, &sp);
	size_t at = attr_offset(nlh, INET_DIAG_ULP_INFO);
	ASSERT_NE(0, at);
	((struct nlattr *)(void *)(buf.b + at))->nla_len = 2;
	EXPECT_EQ(KTLS_EDECODE, diag_parse_msg(nlh, &s));
}

/* Finds the TLS_INFO_* attribute `type` inside the ULP block, by walking with libmnl. */
static struct nlattr *tls_attr(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *a, *b, *c;
	mnl_attr_for_each(a, nlh, sizeof(struct inet_diag_msg))
		if (mnl_attr_get_type(a) == INET_DIAG_ULP_INFO)
			mnl_attr_for_each_nested(b, a)
				if (mnl_attr_get_type(b) == INET_ULP_INFO_TLS)
					mnl_attr_for_each_nested(c, b)
						if (mnl_attr_get_type(c) == type)
							return c;
	return NULL;
}

TEST(u16_attribute_of_the_wrong_size)
{
	struct spec sp = example();
	union msgbuf buf;
	struct diag_sock s;
	struct nlmsghdr *nlh = build(&buf, &sp);
	struct nlattr *a = tls_attr(nlh, TLS_INFO_CIPHER);
	ASSERT_NONNULL(a);
	a->nla_len = 5; /* one byte of a u16 */
	EXPECT_EQ(KTLS_EDECODE, diag_parse_msg(nlh, &s));
	a->nla_len = 8; /* a u32 where a u16 belongs */
	EXPECT_EQ(KTLS_EDECODE, diag_parse_msg(nlh, &s));
	a->nla_len = 6;
	EXPECT_EQ(1, diag_parse_msg(nlh, &s));
}

TEST(inner_attribute_longer_than_its_nest)
{
	struct spec sp = example();
	union msgbuf buf;
	struct diag_sock s;
	sp.nopad = true;
	struct nlmsghdr *nlh = build(&buf, &sp);
	/* the last TLS_INFO_*, a flag (any length would do), claims 8 bytes more than is left of
	 * INET_ULP_INFO_TLS and INET_DIAG_ULP_INFO, but not of the message, which has the
	 * 8-byte attribute 250 after them: only the nests' own bounds catch it */
	struct nlattr *a = tls_attr(nlh, TLS_INFO_RX_NO_PAD);
	ASSERT_NONNULL(a);
	ASSERT_EQ(4, a->nla_len);
	ASSERT_EQ(nlh->nlmsg_len - 8, (uint32_t)((char *)a - (char *)nlh) + 4);
	a->nla_len = 12;
	EXPECT_EQ(KTLS_EDECODE, diag_parse_msg(nlh, &s));
}

/* Every prefix of a good answer, in a heap buffer of exactly that size: never a read past
 * it (AddressSanitizer would abort), a decode error whenever an attribute is cut. */
TEST(every_truncation)
{
	struct spec sp = example();
	sp.zc = sp.nopad = true;
	union msgbuf buf;
	struct nlmsghdr *full = build(&buf, &sp);
	uint32_t len = full->nlmsg_len;
	size_t ulp = attr_offset(full, INET_DIAG_ULP_INFO);
	ASSERT_NE(0, ulp);
	for (uint32_t n = MNL_NLMSG_HDRLEN; n <= len; n++) {
		struct nlmsghdr *nlh = malloc(n);
		struct diag_sock s;
		ASSERT_NONNULL(nlh);
		memcpy(nlh, full, n);
		nlh->nlmsg_len = n;
		int rc = diag_parse_msg(nlh, &s);
		free(nlh);
		if (n < MNL_NLMSG_HDRLEN + sizeof(struct inet_diag_msg))
			EXPECT_EQ(KTLS_EDECODE, rc);
		else if (n > ulp && n < len - 8) /* inside the ULP block, before the last attribute */
			EXPECT_EQ(KTLS_EDECODE, rc);
		else
			EXPECT_LE(KTLS_EDECODE, rc);
		if (n == len)
			EXPECT_EQ(1, rc);
	}
}

/* Every byte of the attributes set to 0x00, 0xff, and 0x13 (INET_DIAG_ULP_INFO): any
 * answer, but no crash and no overread. */
TEST(every_corrupted_byte)
{
	static const uint8_t values[] = { 0x00, 0xff, 0x13, 0x04 };
	struct spec sp = example();
	union msgbuf buf;
	struct nlmsghdr *full = build(&buf, &sp);
	uint32_t len = full->nlmsg_len;
	struct nlmsghdr *nlh = malloc(len);
	ASSERT_NONNULL(nlh);
	for (uint32_t i = MNL_NLMSG_HDRLEN + sizeof(struct inet_diag_msg); i < len; i++) {
		for (size_t v = 0; v < sizeof(values); v++) {
			struct diag_sock s;
			memcpy(nlh, full, len);
			((uint8_t *)nlh)[i] = values[v];
			int rc = diag_parse_msg(nlh, &s);
			if (rc < KTLS_EDECODE || rc > 1) {
				TH_LOG("byte %u = 0x%02x: %d", (unsigned)i, values[v], rc);
				EXPECT_TRUE(false);
			}
			if (rc == 1) /* whatever got through still formats */
				EXPECT_EQ(0, diag_format_json((char[1024]){ 0 }, 1024, &s));
		}
	}
	free(nlh);
}

/* ------------------------------------------------------------------------------------------ */
/* One receive buffer of the dump (diag_parse_reply)                                     */

/* A receive buffer: messages appended one after another, as the kernel fills recv(). */
struct reply {
	union {
		struct nlmsghdr h;
		char b[16384];
	} u;
	size_t len;
};

static void reply_add(struct reply *r, const struct nlmsghdr *nlh)
{
	memcpy(r->u.b + r->len, nlh, nlh->nlmsg_len);
	r->len += MNL_ALIGN(nlh->nlmsg_len);
}

static void reply_add_spec(struct reply *r, const struct spec *sp)
{
	union msgbuf buf;
	reply_add(r, build(&buf, sp));
}

/* NLMSG_DONE with its status, or NLMSG_ERROR (an acknowledgement when err is 0). */
static void reply_add_ctl(struct reply *r, uint16_t type, int err)
{
	union msgbuf buf;
	memset(&buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf.b);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 1;
	if (type == NLMSG_ERROR) {
		struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
		e->error = err;
	} else {
		int *status = mnl_nlmsg_put_extra_header(nlh, sizeof(int));
		*status = err;
	}
	reply_add(r, nlh);
}

struct replies_seen {
	int msgs, tls;
	int stop_after; /* 0: never; else return 1 after this many */
	int fail_with;  /* returned at the first message when not 0 */
	char first[512];
};

static int seen_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct replies_seen *s = arg;
	struct diag_sock sock;
	if (s->fail_with)
		return s->fail_with;
	s->msgs++;
	if (diag_parse_msg(nlh, &sock) == 1 && s->tls++ == 0 &&
	    diag_format_text(s->first, sizeof(s->first), &sock))
		return -1;
	return s->stop_after && s->msgs >= s->stop_after ? 1 : 0;
}

TEST(reply_with_sockets_then_done)
{
	static struct reply r;
	struct spec plain = example();
	plain.ulp = NULL;
	reply_add_spec(&r, &plain);
	struct spec tls = example();
	reply_add_spec(&r, &tls);
	reply_add_ctl(&r, NLMSG_DONE, 0);
	struct replies_seen s = { 0 };
	ASSERT_EQ(1, diag_parse_reply(r.u.b, r.len, 1, 0, seen_cb, &s));
	EXPECT_EQ(2, s.msgs);
	EXPECT_EQ(1, s.tls);
	EXPECT_STREQ("127.0.0.1:4433 127.0.0.1:51234 ESTAB TLS1.3 CHACHA20-POLY1305 tx=sw rx=sw "
		     "zc=off nopad=off", s.first);
}

TEST(reply_without_done_wants_more)
{
	static struct reply r;
	struct spec sp = example();
	reply_add_spec(&r, &sp);
	reply_add_spec(&r, &sp);
	struct replies_seen s = { 0 };
	ASSERT_EQ(0, diag_parse_reply(r.u.b, r.len, 0, 0, seen_cb, &s));
	EXPECT_EQ(2, s.tls);
	/* an empty buffer also just wants more */
	EXPECT_EQ(0, diag_parse_reply(r.u.b, 0, 0, 0, seen_cb, &s));
	EXPECT_EQ(KTLS_EINVAL, diag_parse_reply(r.u.b, r.len, 0, 0, NULL, NULL));
}

TEST(reply_callback_stops_or_fails)
{
	static struct reply r;
	struct spec sp = example();
	for (int i = 0; i < 3; i++)
		reply_add_spec(&r, &sp);
	struct replies_seen s = { .stop_after = 2 };
	EXPECT_EQ(1, diag_parse_reply(r.u.b, r.len, 0, 0, seen_cb, &s));
	EXPECT_EQ(2, s.msgs);
	struct replies_seen f = { .fail_with = KTLS_ENOMEM };
	EXPECT_EQ(KTLS_ENOMEM, diag_parse_reply(r.u.b, r.len, 0, 0, seen_cb, &f));
}

TEST(reply_kernel_errors)
{
	static struct reply done_busy, enoent, ack;
	struct replies_seen s = { 0 };
	reply_add_ctl(&done_busy, NLMSG_DONE, -EBUSY); /* the dump was cut short */
	errno = 0;
	EXPECT_EQ(KTLS_EIO, diag_parse_reply(done_busy.u.b, done_busy.len, 0, 0, seen_cb, &s));
	EXPECT_EQ(EBUSY, errno);
	reply_add_ctl(&enoent, NLMSG_ERROR, -ENOENT); /* no tcp_diag */
	errno = 0;
	EXPECT_EQ(KTLS_EIO, diag_parse_reply(enoent.u.b, enoent.len, 0, 0, seen_cb, &s));
	EXPECT_EQ(ENOENT, errno);
	static struct reply int_min;
	reply_add_ctl(&int_min, NLMSG_DONE, INT_MIN); /* no errno: found by fuzzing */
	errno = 0;
	EXPECT_EQ(KTLS_EIO, diag_parse_reply(int_min.u.b, int_min.len, 0, 0, seen_cb, &s));
	EXPECT_EQ(EPROTO, errno);
	reply_add_ctl(&ack, NLMSG_ERROR, 0);
	EXPECT_EQ(1, diag_parse_reply(ack.u.b, ack.len, 0, 0, seen_cb, &s));
	EXPECT_EQ(0, s.msgs);
}

TEST(reply_to_another_request)
{
	static struct reply r;
	struct spec sp = example();
	reply_add_spec(&r, &sp); /* sequence number 1 */
	struct replies_seen s = { 0 };
	EXPECT_EQ(KTLS_EIO, diag_parse_reply(r.u.b, r.len, 2, 0, seen_cb, &s));
	EXPECT_EQ(0, s.msgs);
}

TEST(reply_cut_inside_a_message)
{
	static struct reply r;
	struct spec sp = example();
	reply_add_spec(&r, &sp);
	size_t whole = r.len;
	reply_add_spec(&r, &sp);
	/* a buffer that is not whole messages is refused before any is handed out */
	for (size_t cut = whole + 1; cut < r.len; cut++) {
		char *copy = malloc(cut);
		ASSERT_NONNULL(copy);
		memcpy(copy, r.u.b, cut);
		struct replies_seen s = { 0 };
		errno = 0;
		int rc = diag_parse_reply(copy, cut, 0, 0, seen_cb, &s);
		free(copy);
		ASSERT_EQ(KTLS_EDECODE, rc);
		EXPECT_EQ(EBADMSG, errno);
		EXPECT_EQ(0, s.msgs);
	}
}

TEST(reply_with_a_length_past_2_to_the_31)
{
	/* libmnl's own check passes this length (it compares as int): found by fuzzing */
	static struct reply r;
	struct spec sp = example();
	reply_add_spec(&r, &sp);
	r.u.h.nlmsg_len = 0x80000010u;
	struct replies_seen s = { 0 };
	EXPECT_EQ(KTLS_EDECODE, diag_parse_reply(r.u.b, r.len, 0, 0, seen_cb, &s));
	EXPECT_EQ(0, s.msgs);
}

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                     */

TEST(json_one_entry)
{
	struct spec sp = example();
	struct diag_sock s;
	ASSERT_EQ(1, parse(&sp, &s));
	EXPECT_STREQ("{\"local\":\"127.0.0.1:4433\",\"remote\":\"127.0.0.1:51234\",\"state\":"
		     "\"ESTAB\",\"version\":\"TLS1.3\",\"cipher\":\"CHACHA20-POLY1305\",\"tx\":"
		     "\"sw\",\"rx\":\"sw\",\"tx_zerocopy\":false,\"rx_no_pad\":false}",
		     json(&s));
	s.tx_zerocopy = true;
	EXPECT_NONNULL(strstr(json(&s), "\"tx_zerocopy\":true,\"rx_no_pad\":false}"));
}

TEST(output_too_small)
{
	struct spec sp = example();
	struct diag_sock s;
	char small[40];
	ASSERT_EQ(1, parse(&sp, &s));
	memset(small, 'x', sizeof(small));
	EXPECT_EQ(KTLS_ENOSPACE, diag_format_json(small, sizeof(small), &s));
	EXPECT_EQ(0, small[0]);
	memset(small, 'x', sizeof(small));
	EXPECT_EQ(KTLS_ENOSPACE, diag_format_text(small, sizeof(small), &s));
	EXPECT_EQ(0, small[0]);
	/* exactly enough: the line and its NUL */
	char line[128];
	ASSERT_EQ(0, diag_format_text(line, sizeof(line), &s));
	size_t need = strlen(line) + 1;
	EXPECT_EQ(KTLS_ENOSPACE, diag_format_text(small, 0, &s));
	char *exact = malloc(need);
	ASSERT_NONNULL(exact);
	EXPECT_EQ(0, diag_format_text(exact, need, &s));
	EXPECT_EQ(KTLS_ENOSPACE, diag_format_text(exact, need - 1, &s));
	free(exact);
}

TEST(names)
{
	EXPECT_STREQ("ESTAB", diag_state_name(TCP_ESTABLISHED));
	EXPECT_STREQ("SYN-SENT", diag_state_name(TCP_SYN_SENT));
	EXPECT_STREQ("FIN-WAIT-1", diag_state_name(TCP_FIN_WAIT1));
	EXPECT_STREQ("CLOSE-WAIT", diag_state_name(TCP_CLOSE_WAIT));
	EXPECT_STREQ("LAST-ACK", diag_state_name(TCP_LAST_ACK));
	EXPECT_STREQ("LISTEN", diag_state_name(TCP_LISTEN));
	EXPECT_STREQ("CLOSING", diag_state_name(TCP_CLOSING));
	EXPECT_STREQ("UNCONN", diag_state_name(TCP_CLOSE));
	EXPECT_NULL(diag_state_name(0));
	EXPECT_NULL(diag_state_name(200));
	EXPECT_STREQ("TLS1.2", diag_version_name(TLS_1_2_VERSION));
	EXPECT_STREQ("TLS1.3", diag_version_name(TLS_1_3_VERSION));
	EXPECT_NULL(diag_version_name(0x0302));
	EXPECT_STREQ("none", diag_conf_name(TLS_CONF_BASE));
	EXPECT_STREQ("sw", diag_conf_name(TLS_CONF_SW));
	EXPECT_STREQ("hw", diag_conf_name(TLS_CONF_HW));
	EXPECT_STREQ("hw-record", diag_conf_name(TLS_CONF_HW_RECORD));
	EXPECT_NULL(diag_conf_name(0));
	EXPECT_NULL(diag_cipher_name(0));
	EXPECT_NULL(diag_cipher_name(50));
}

/* ------------------------------------------------------------------------------------------ */
/* /proc/net/tls_stat                                                                         */

/* Writes text to a fresh temporary file; returns its path (static storage). */
static const char *temp_file(const char *text)
{
	static char path[256];
	const char *dir = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/diag_test.XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	ASSERT_LE(0, fd);
	size_t n = strlen(text);
	ASSERT_EQ((ssize_t)n, write(fd, text, n));
	close(fd);
	return path;
}

/* As Linux 6.x prints it: the name padded to 32 columns with spaces, a tab, the value. */
static const char sample_stats[] =
	"TlsCurrTxSw                     \t2\n"
	"TlsCurrRxSw                     \t1\n"
	"TlsCurrTxDevice                 \t0\n"
	"TlsCurrRxDevice                 \t0\n"
	"TlsTxSw                         \t17\n"
	"TlsRxSw                         \t5\n"
	"TlsTxDevice                     \t0\n"
	"TlsRxDevice                     \t0\n"
	"TlsDecryptError                 \t3\n"
	"TlsRxDeviceResync               \t0\n"
	"TlsDecryptRetry                 \t0\n"
	"TlsRxNoPadViolation             \t18446744073709551615\n";

TEST(stats_sample_file)
{
	struct diag_stat st[32];
	const char *path = temp_file(sample_stats);
	int n = diag_read_stats(path, st, 32);
	unlink(path);
	ASSERT_EQ(12, n);
	EXPECT_STREQ("TlsCurrTxSw", st[0].name);
	EXPECT_EQ(2, st[0].value);
	EXPECT_STREQ("TlsCurrRxSw", st[1].name);
	EXPECT_EQ(1, st[1].value);
	EXPECT_STREQ("TlsTxSw", st[4].name);
	EXPECT_EQ(17, st[4].value);
	EXPECT_STREQ("TlsDecryptError", st[8].name);
	EXPECT_EQ(3, st[8].value);
	EXPECT_STREQ("TlsRxNoPadViolation", st[11].name);
	EXPECT_EQ(UINT64_MAX, st[11].value);
}

TEST(stats_blank_lines_spaces_and_no_final_newline)
{
	struct diag_stat st[4];
	const char *path = temp_file("\nTlsTxSw 4\r\n  \nTlsRxSw\t\t9  ");
	int n = diag_read_stats(path, st, 4);
	unlink(path);
	ASSERT_EQ(2, n);
	EXPECT_STREQ("TlsTxSw", st[0].name);
	EXPECT_EQ(4, st[0].value);
	EXPECT_STREQ("TlsRxSw", st[1].name);
	EXPECT_EQ(9, st[1].value);
}

TEST(stats_empty_file)
{
	struct diag_stat st[1];
	const char *path = temp_file("");
	EXPECT_EQ(0, diag_read_stats(path, st, 1));
	unlink(path);
}

TEST(stats_missing_file)
{
	struct diag_stat st[1];
	errno = 0;
	EXPECT_EQ(KTLS_EIO, diag_read_stats("/nonexistent/diag_test/tls_stat", st, 1));
	EXPECT_EQ(ENOENT, errno);
}

TEST(stats_malformed_lines)
{
	static const char *const bad[] = {
		"TlsTxSw\n",                       /* no value */
		"TlsTxSw   \n",                    /* no value after blanks */
		"TlsTxSw abc\n",                   /* not a number */
		"TlsTxSw 1 2\n",                   /* two values */
		"TlsTxSw -1\n",                    /* negative */
		"TlsTxSw +1\n",                    /* sign */
		"TlsTxSw 18446744073709551616\n",  /* 2^64 */
		"TlsTxSw 12x\n",                   /* trailing junk */
		"ThisCounterNameIsFarTooLongForAnyTlsStatLineTheKernelPrintsAtAll 1\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct diag_stat st[4];
		const char *path = temp_file(bad[i]);
		int rc = diag_read_stats(path, st, 4);
		unlink(path);
		if (rc != KTLS_EDECODE)
			TH_LOG("line %zu: \"%s\"", i, bad[i]);
		EXPECT_EQ(KTLS_EDECODE, rc);
	}
	/* a line longer than the reader's buffer */
	char long_line[600];
	memset(long_line, 'A', sizeof(long_line) - 4);
	memcpy(long_line + sizeof(long_line) - 4, " 1\n", 4);
	struct diag_stat st[1];
	const char *path = temp_file(long_line);
	EXPECT_EQ(KTLS_EDECODE, diag_read_stats(path, st, 1));
	unlink(path);
}

TEST(stats_more_than_room)
{
	struct diag_stat st[3];
	const char *path = temp_file("A 1\nB 2\nC 3\n");
	EXPECT_EQ(KTLS_ENOSPACE, diag_read_stats(path, st, 2));
	EXPECT_EQ(3, diag_read_stats(path, st, 3));
	EXPECT_STREQ("C", st[2].name);
	unlink(path);
}

TEST(stats_of_this_kernel)
{
	struct diag_stat st[128];
	int n = diag_read_stats(DIAG_STATS_PATH, st, 128);
	if (diag_kernel_has_tls()) {
		ASSERT_LT(0, n);
		EXPECT_STREQ("TlsCurrTxSw", st[0].name);
	} else {
		EXPECT_EQ(KTLS_EIO, n);
		EXPECT_EQ(ENOENT, errno);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The real dump on this host                                                                 */

struct seen {
	uint16_t port;
	int listen, estab; /* our sockets, by state */
	int with_info;     /* answers carrying INET_DIAG_INFO: idiag_ext was honoured */
	int parsed_tls;    /* answers the parser took for tls sockets */
	int calls;
};

static int see(const struct nlmsghdr *nlh, void *arg)
{
	struct seen *sn = arg;
	struct diag_sock s;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	int rc = diag_parse_msg(nlh, &s);
	sn->calls++;
	if (rc < 0)
		return rc;
	sn->parsed_tls += rc;
	if (ntohs(m->id.idiag_sport) != sn->port && ntohs(m->id.idiag_dport) != sn->port)
		return 0;
	if (m->idiag_state == TCP_LISTEN)
		sn->listen++;
	if (m->idiag_state == TCP_ESTABLISHED)
		sn->estab++;
	if (attr_offset(nlh, INET_DIAG_INFO))
		sn->with_info++;
	return 0;
}

static int count(const struct diag_sock *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

FIXTURE(live)
{
	int lfd, cfd, afd;
	uint16_t port;
};

FIXTURE_SETUP(live)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	self->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, listen(self->lfd, 1));
	ASSERT_EQ(0, getsockname(self->lfd, (struct sockaddr *)&a, &alen));
	self->port = ntohs(a.sin_port);
	self->cfd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, self->cfd);
	ASSERT_EQ(0, connect(self->cfd, (struct sockaddr *)&a, sizeof(a)));
	self->afd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, self->afd);
}

FIXTURE_TEARDOWN(live)
{
	if (self->afd > 0)
		close(self->afd);
	if (self->cfd > 0)
		close(self->cfd);
	if (self->lfd > 0)
		close(self->lfd);
}

/* The dump works: it returns this test's listening socket and both ends of its connection,
 * with the extension asked for, and the parser calls none of them tls. */
TEST_F(live, dump_sees_our_plain_sockets)
{
	struct seen sn = { .port = self->port };
	ASSERT_EQ(0, diag_dump(AF_UNSPEC, see, &sn));
	EXPECT_EQ(1, sn.listen);
	EXPECT_EQ(2, sn.estab);
	EXPECT_EQ(3, sn.with_info);
	if (!diag_kernel_has_tls())
		EXPECT_EQ(0, sn.parsed_tls);
}

TEST_F(live, no_tls_sockets_on_this_host)
{
	int n = 0;
	if (diag_kernel_has_tls())
		TH_LOG("this kernel has the tls module: other kTLS sockets may exist");
	ASSERT_EQ(0, diag_list(AF_UNSPEC, 0, count, &n));
	if (!diag_kernel_has_tls())
		EXPECT_EQ(0, n);
	n = 0;
	ASSERT_EQ(0, diag_list(AF_INET, self->port, count, &n));
	EXPECT_EQ(0, n); /* ours are plain TCP, whatever the kernel */
	ASSERT_EQ(0, diag_list(AF_INET6, self->port, count, &n));
	EXPECT_EQ(0, n);
}

static int stop_at_first(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	return ++*(int *)arg == 1 ? 1 : -100;
}

static int abort_at_first(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	++*(int *)arg;
	return -42;
}

TEST_F(live, callback_stops_or_aborts_the_dump)
{
	int calls = 0;
	/* our sockets guarantee at least three answers for AF_INET */
	EXPECT_EQ(0, diag_dump(AF_INET, stop_at_first, &calls));
	EXPECT_EQ(1, calls);
	calls = 0;
	EXPECT_EQ(-42, diag_dump(AF_UNSPEC, abort_at_first, &calls));
	EXPECT_EQ(1, calls);
}

TEST(port_filter_matches_either_end)
{
	struct spec sp = example();
	struct diag_sock s;
	ASSERT_EQ(1, parse(&sp, &s));
	EXPECT_TRUE(diag_port_matches(&s, 0));
	EXPECT_TRUE(diag_port_matches(&s, 4433));
	EXPECT_TRUE(diag_port_matches(&s, 51234));
	EXPECT_FALSE(diag_port_matches(&s, 443));
	EXPECT_FALSE(diag_port_matches(&s, htons(4433)));
}

TEST(list_rejects_a_bad_family)
{
	int n = 0;
	EXPECT_EQ(KTLS_EINVAL, diag_list(AF_UNIX, 0, count, &n));
	EXPECT_EQ(KTLS_EINVAL, diag_list(AF_INET, 0, NULL, &n));
	EXPECT_EQ(0, n);
}

TEST_HARNESS_MAIN
