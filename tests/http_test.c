/*
 * http_test.c — the HTTP/1.1 pieces of ktls-server --www and ktls-client --get
 * (tools/httpd/http.c, linked from libhttpd.a): the request parser and its limits (400 / 405 / 414 / 431 / 505),
 * keep-alive rules (RFC 9112 §9.3), Range in every form (RFC 9110 §14.2), request-target →
 * path with every traversal trick we know, opening beneath the root with openat2 and with the
 * realpath fallback (symlinks out of the root must give 404), MIME types, response heads.
 */
#include "harness.h"

#include "httpd/http.h"

#include <sys/stat.h>
#include <sys/types.h>

/* Parses a NUL-terminated request; returns the parser's result. */
static int parse(const char *s, struct http_request *r)
{
	return http_parse_request(s, strlen(s), r);
}

/* ---- request line and fields --------------------------------------------------------- */

TEST(request_get_keep_alive_by_default)
{
	struct http_request r;
	const char *s = "GET /a/b.txt?x=1 HTTP/1.1\r\nHost: example\r\nUser-Agent: t\r\n\r\nNEXT";
	ASSERT_EQ(0, parse(s, &r));
	EXPECT_EQ(HTTP_GET, r.method);
	EXPECT_EQ(1, r.minor);
	EXPECT_TRUE(r.keep_alive);
	EXPECT_EQ(strlen(s) - 4, r.head_len);
	EXPECT_EQ(strlen("/a/b.txt?x=1"), r.target_len);
	EXPECT_MEMEQ("/a/b.txt?x=1", r.target, r.target_len);
	EXPECT_NULL(r.range);
}

TEST(request_head_and_bare_lf)
{
	struct http_request r;
	ASSERT_EQ(0, parse("HEAD / HTTP/1.1\nHost: h\n\n", &r));
	EXPECT_EQ(HTTP_HEAD, r.method);
}

TEST(request_connection_rules)
{
	struct http_request r;
	ASSERT_EQ(0, parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", &r));
	EXPECT_FALSE(r.keep_alive);
	ASSERT_EQ(0, parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, Close\r\n\r\n", &r));
	EXPECT_FALSE(r.keep_alive);
	ASSERT_EQ(0, parse("GET / HTTP/1.0\r\n\r\n", &r));
	EXPECT_EQ(0, r.minor);
	EXPECT_FALSE(r.keep_alive);
	ASSERT_EQ(0, parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r));
	EXPECT_TRUE(r.keep_alive);
}

TEST(request_range_and_if_range_fields)
{
	struct http_request r;
	ASSERT_EQ(0, parse("GET / HTTP/1.1\r\nHost: h\r\nRange:  bytes=1-2 \r\n\r\n", &r));
	ASSERT_NONNULL(r.range);
	EXPECT_EQ(9, r.range_len);
	EXPECT_MEMEQ("bytes=1-2", r.range, 9);
	EXPECT_FALSE(r.if_range);
	ASSERT_EQ(0, parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=1-2\r\nIf-Range: x\r\n\r\n", &r));
	EXPECT_TRUE(r.if_range);
	EXPECT_EQ(400, parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=1-\r\nRange: bytes=2-\r\n\r\n", &r));
}

TEST(request_every_prefix_is_incomplete)
{
	const char *s = "GET /index.html HTTP/1.1\r\nHost: localhost:4433\r\nAccept: */*\r\n\r\n";
	struct http_request r;
	for (size_t n = 0; n < strlen(s); n++)
		ASSERT_EQ(HTTP_INCOMPLETE, http_parse_request(s, n, &r));
	ASSERT_EQ(0, http_parse_request(s, strlen(s), &r));
}

TEST(request_malformed_is_400)
{
	static const char *bad[] = {
		" GET / HTTP/1.1\r\nHost: h\r\n\r\n",          /* leading space */
		"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",          /* two spaces */
		"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",          /* trailing space */
		"GET /\r\nHost: h\r\n\r\n",                    /* HTTP/0.9 */
		"GET / HTTP/1.10\r\nHost: h\r\n\r\n",
		"GET / http/1.1\r\nHost: h\r\n\r\n",
		"GET / HTTP/1.x\r\nHost: h\r\n\r\n",
		"GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n",      /* control byte in the target */
		"GET /\xff HTTP/1.1\r\nHost: h\r\n\r\n",       /* non-ASCII in the target */
		"GET / HTTP/1.1\r\n\r\n",                      /* no Host in 1.1 */
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", /* two Hosts */
		"GET / HTTP/1.1\r\nHost : h\r\n\r\n",          /* space before the colon */
		"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\n: empty name\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n", /* obs-fold */
		"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", /* bare CR in a value */
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
		"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET host:443 HTTP/1.1\r\nHost: h\r\n\r\n",    /* authority-form */
		"GET * HTTP/1.1\r\nHost: h\r\n\r\n",
		"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n", /* nothing but empty lines */
	};
	struct http_request r;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int got = parse(bad[i], &r);
		if (got != 400)
			TH_LOG("case %zu", i);
		EXPECT_EQ(400, got);
	}
	/* a NUL in a field value: length-delimited input, so it really is there */
	static const char nul[] = "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";
	EXPECT_EQ(400, http_parse_request(nul, sizeof(nul) - 1, &r));
}

TEST(request_zero_content_length_and_leading_crlf_are_fine)
{
	struct http_request r;
	EXPECT_EQ(0, parse("\r\nGET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", &r));
}

TEST(request_other_methods_are_405)
{
	struct http_request r;
	EXPECT_EQ(405, parse("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", &r));
	EXPECT_EQ(HTTP_OTHER, r.method);
	EXPECT_EQ(405, parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ(405, parse("get / HTTP/1.1\r\nHost: h\r\n\r\n", &r)); /* methods are case-sensitive */
	EXPECT_EQ(405, parse("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ(400, parse("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", &r)); /* not a token */
	EXPECT_EQ(400, parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA / HTTP/1.1\r\nHost: h\r\n\r\n", &r));
}

TEST(path_encoded_slash_stays_relative)
{
	/* %2F decodes to a separator: empty and "." pieces go, ".." is refused, and the path
	 * never starts with '/' (found by fuzzing: "/%2Fetc/passwd" gave "/etc/passwd") */
	static const struct { const char *target, *path; } ok[] = {
		{ "/%2Fetc/passwd", "etc/passwd" }, { "/%2F%2e/etc/passwd", "etc/passwd" },
		{ "/a/%2F/b", "a/b" }, { "/a%2Fb", "a/b" }, { "/a%2F.%2F", "a" }, { "/x/%2F", "x" },
	};
	char out[64];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ASSERT_EQ(0, http_target_to_path(ok[i].target, strlen(ok[i].target), out, sizeof(out)));
		EXPECT_STREQ(ok[i].path, out);
	}
	EXPECT_EQ(400, http_target_to_path("/a%2F..", 7, out, sizeof(out)));
	EXPECT_EQ(400, http_target_to_path("/%2F%2E%2E/x", 12, out, sizeof(out)));
}

TEST(request_other_versions_are_505)
{
	struct http_request r;
	EXPECT_EQ(505, parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ(505, parse("GET / HTTP/0.9\r\nHost: h\r\n\r\n", &r));
	/* a later 1.x is 1.1 to us (RFC 9110 §2.5), keep-alive included (found by fuzzing: the
	 * minor version came out as 9) */
	ASSERT_EQ(0, parse("GET / HTTP/1.9\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ(1, r.minor);
	EXPECT_TRUE(r.keep_alive);
	ASSERT_EQ(0, parse("GET / HTTP/1.2\r\nHost: h\r\n\r\n", &r));
	EXPECT_EQ(1, r.minor);
}

/* A request with a target of n bytes ("/aaaa...") and, complete or not, the rest. */
static char *request_with_target(size_t n, bool complete)
{
	char *s = malloc(n + 64);
	strcpy(s, "GET /");
	memset(s + 5, 'a', n - 1);
	strcpy(s + 4 + n, complete ? " HTTP/1.1\r\nHost: h\r\n\r\n" : "");
	return s;
}

TEST(request_target_limit_is_414)
{
	struct http_request r;
	char *s = request_with_target(HTTP_MAX_TARGET, true);
	EXPECT_EQ(0, parse(s, &r));
	EXPECT_EQ(HTTP_MAX_TARGET, r.target_len);
	free(s);
	s = request_with_target(HTTP_MAX_TARGET + 1, true);
	EXPECT_EQ(414, parse(s, &r));
	free(s);
	/* decided before the line ends: a peer streaming a huge target is stopped early */
	s = request_with_target(HTTP_MAX_TARGET + 1, false);
	EXPECT_EQ(414, parse(s, &r));
	free(s);
	s = request_with_target(HTTP_MAX_TARGET, false);
	EXPECT_EQ(HTTP_INCOMPLETE, parse(s, &r));
	free(s);
}

/* A request whose header section (after the request line) is exactly n bytes. */
static char *request_with_headers(size_t n, bool complete)
{
	const char *line = "GET / HTTP/1.1\r\n", *host = "Host: h\r\n";
	char *s = malloc(n + 64), *p = s;
	p += sprintf(p, "%s%s", line, host);
	size_t left = n - strlen(host) - 2; /* the final CRLF counts */
	while (left > 0) {
		size_t k = left > 1000 ? 1000 : left;
		if (k < 6) { /* no room for another field: lengthen the last one */
			p -= 2;
			memset(p, 'v', k);
			p += k;
			p += sprintf(p, "\r\n");
			break;
		}
		p += sprintf(p, "X:");
		memset(p, 'v', k - 4);
		p += k - 4;
		p += sprintf(p, "\r\n");
		left -= k;
	}
	sprintf(p, "%s", complete ? "\r\n" : "");
	return s;
}

TEST(request_header_limit_is_431)
{
	struct http_request r;
	char *s = request_with_headers(HTTP_MAX_HEADERS, true);
	ASSERT_EQ(0, parse(s, &r));
	EXPECT_EQ(strlen(s), r.head_len);
	free(s);
	s = request_with_headers(HTTP_MAX_HEADERS + 1, true);
	EXPECT_EQ(431, parse(s, &r));
	free(s);
	/* without the final empty line: over the limit already, no need to wait for it */
	s = request_with_headers(HTTP_MAX_HEADERS + 3, false);
	EXPECT_EQ(431, parse(s, &r));
	free(s);
	/* one endless field without a line end */
	size_t n = HTTP_MAX_HEADERS + 100;
	s = malloc(n + 64);
	int k = sprintf(s, "GET / HTTP/1.1\r\nX: ");
	memset(s + k, 'v', n);
	EXPECT_EQ(431, http_parse_request(s, (size_t)k + n, &r));
	free(s);
}

/* ---- ranges -------------------------------------------------------------------------- */

static enum http_range_result range(const char *v, uint64_t size, uint64_t *a, uint64_t *b)
{
	*a = *b = 12345;
	return http_parse_range(v, strlen(v), size, a, b);
}

TEST(range_forms)
{
	uint64_t a, b;
	ASSERT_EQ(HTTP_RANGE_OK, range("bytes=0-0", 10, &a, &b));
	EXPECT_EQ(0, a);
	EXPECT_EQ(0, b);
	ASSERT_EQ(HTTP_RANGE_OK, range("bytes=2-5", 10, &a, &b));
	EXPECT_EQ(2, a);
	EXPECT_EQ(5, b);
	ASSERT_EQ(HTTP_RANGE_OK, range("bytes=2-", 10, &a, &b));
	EXPECT_EQ(2, a);
	EXPECT_EQ(9, b);
	ASSERT_EQ(HTTP_RANGE_OK, range("bytes=-3", 10, &a, &b));
	EXPECT_EQ(7, a);
	EXPECT_EQ(9, b);
	ASSERT_EQ(HTTP_RANGE_OK, range("bytes=-30", 10, &a, &b)); /* more than there is: all */
	EXPECT_EQ(0, a);
	EXPECT_EQ(9, b);
	ASSERT_EQ(HTTP_RANGE_OK, range("bytes=5-100", 10, &a, &b)); /* clamped to the end */
	EXPECT_EQ(5, a);
	EXPECT_EQ(9, b);
	ASSERT_EQ(HTTP_RANGE_OK, range(" Bytes = 9-9 ", 10, &a, &b));
	EXPECT_EQ(9, a);
	EXPECT_EQ(9, b);
}

TEST(range_unsatisfiable)
{
	uint64_t a, b;
	EXPECT_EQ(HTTP_RANGE_UNSATISFIABLE, range("bytes=10-", 10, &a, &b));
	EXPECT_EQ(HTTP_RANGE_UNSATISFIABLE, range("bytes=10-20", 10, &a, &b));
	EXPECT_EQ(HTTP_RANGE_UNSATISFIABLE, range("bytes=-0", 10, &a, &b));
	EXPECT_EQ(HTTP_RANGE_UNSATISFIABLE, range("bytes=0-", 0, &a, &b));
	EXPECT_EQ(HTTP_RANGE_UNSATISFIABLE, range("bytes=-5", 0, &a, &b));
}

TEST(range_overflowing_numbers)
{
	uint64_t a, b;
	/* 2^64 and beyond saturate: a start past any file is unsatisfiable */
	EXPECT_EQ(HTTP_RANGE_UNSATISFIABLE, range("bytes=18446744073709551616-", 10, &a, &b));
	EXPECT_EQ(HTTP_RANGE_UNSATISFIABLE,
		  range("bytes=99999999999999999999999999999999-99999999999999999999999999999999", 10, &a, &b));
	ASSERT_EQ(HTTP_RANGE_OK, range("bytes=3-99999999999999999999999999999", 10, &a, &b));
	EXPECT_EQ(3, a);
	EXPECT_EQ(9, b);
	ASSERT_EQ(HTTP_RANGE_OK, range("bytes=-99999999999999999999999999999", 10, &a, &b));
	EXPECT_EQ(0, a);
	EXPECT_EQ(9, b);
	ASSERT_EQ(HTTP_RANGE_OK, range("bytes=0-18446744073709551615", UINT64_MAX, &a, &b));
	EXPECT_EQ(0, a);
	EXPECT_EQ(UINT64_MAX - 1, b);
}

TEST(range_ignored_when_not_one_valid_byte_range)
{
	static const char *ignored[] = {
		"", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=1-2,4-5", "bytes=5-2",
		"items=0-1", "bytes 0-1", "bytes=0x1-2", "bytes=1--2", "bytes=+1-2", "bytes=1-2x",
	};
	uint64_t a, b;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		enum http_range_result got = range(ignored[i], 10, &a, &b);
		if (got != HTTP_RANGE_NONE)
			TH_LOG("case '%s'", ignored[i]);
		EXPECT_EQ(HTTP_RANGE_NONE, got);
	}
	EXPECT_EQ(HTTP_RANGE_NONE, http_parse_range(NULL, 0, 10, &a, &b));
}

/* ---- request-target to path ---------------------------------------------------------- */

static int to_path(const char *t, char *out, size_t cap)
{
	memset(out, 'X', cap);
	return http_target_to_path(t, strlen(t), out, cap);
}

TEST(path_good)
{
	static const struct {
		const char *target, *path;
	} cases[] = {
		{ "/", "" },
		{ "/a", "a" },
		{ "/a/b.txt", "a/b.txt" },
		{ "//a///b/", "a/b" },
		{ "/./a/./", "a" },
		{ "/.", "" },
		{ "/a?x=/../..", "a" },
		{ "/a#frag", "a" },
		{ "/%61%62", "ab" },
		{ "/with%20space", "with space" },
		{ "/%252e%252e/x", "%2e%2e/x" }, /* double encoding: decoded once, a literal name */
		{ "/.../b", ".../b" },
		{ "/..a/a..", "..a/a.." },
		{ "/a%2fb", "a/b" },
		{ "http://example.org/a/b", "a/b" },
		{ "HTTPS://example.org:4433/x?y", "x" },
		{ "http://example.org", "" },
		{ "http://example.org?q", "" },
	};
	char out[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = to_path(cases[i].target, out, sizeof(out));
		if (got || strcmp(cases[i].path, out))
			TH_LOG("target '%s'", cases[i].target);
		ASSERT_EQ(0, got);
		EXPECT_STREQ(cases[i].path, out);
	}
}

TEST(path_traversal_and_bad_bytes_are_400)
{
	static const char *bad[] = {
		"/..", "/../etc/passwd", "/a/../../b", "/a/..", "/%2e%2e/etc/passwd", "/%2E%2e",
		"/.%2e/x", "/%2e./x", "/..%2fetc", "/a%2f..%2f..%2fb", "/a%2F..", "/%2f..",
		"/a%00b", "/%00", "/%", "/%4", "/%zz", "/%g0", "a/b", "", "http://h/../x",
	};
	char out[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int got = to_path(bad[i], out, sizeof(out));
		if (got != 400)
			TH_LOG("target '%s'", bad[i]);
		EXPECT_EQ(400, got);
	}
}

TEST(path_too_long_for_the_buffer_is_414)
{
	char out[8];
	EXPECT_EQ(0, to_path("/abcdefg", out, sizeof(out))); /* 7 bytes and the NUL */
	EXPECT_EQ(414, to_path("/abcdefgh", out, sizeof(out)));
	EXPECT_EQ(414, to_path("/abc/defgh", out, sizeof(out)));
}

/* ---- opening beneath the root -------------------------------------------------------- */

FIXTURE(root)
{
	char base[64], root[128], real[4096];
	int rootfd;
};

FIXTURE_VARIANT(root)
{
	int flags;
};
FIXTURE_VARIANT_ADD(root, openat2) { .flags = 0 };
FIXTURE_VARIANT_ADD(root, realpath) { .flags = HTTP_OPEN_NO_OPENAT2 };

static void put(const char *dir, const char *name, const char *content)
{
	char p[1024];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
}

FIXTURE_SETUP(root)
{
	char p[512];
	self->rootfd = -1;
	snprintf(self->base, sizeof(self->base), "/tmp/http_test.XXXXXX");
	ASSERT_NONNULL(mkdtemp(self->base));
	snprintf(self->root, sizeof(self->root), "%s/root", self->base);
	ASSERT_EQ(0, mkdir(self->root, 0755));
	put(self->base, "secret", "outside\n");
	put(self->root, "a.txt", "hello\n");
	snprintf(p, sizeof(p), "%s/sub", self->root);
	ASSERT_EQ(0, mkdir(p, 0755));
	put(p, "index.html", "<p>index</p>\n");
	snprintf(p, sizeof(p), "%s/empty", self->root);
	ASSERT_EQ(0, mkdir(p, 0755));
	snprintf(p, sizeof(p), "%s/dirindex", self->root);
	ASSERT_EQ(0, mkdir(p, 0755));
	snprintf(p, sizeof(p), "%s/dirindex/index.html", self->root);
	ASSERT_EQ(0, mkdir(p, 0755)); /* an index.html that is a directory */
	/* symlinks: inside stays inside; out of the root by every route */
	snprintf(p, sizeof(p), "%s/inside", self->root);
	ASSERT_EQ(0, symlink("a.txt", p));
	snprintf(p, sizeof(p), "%s/sub/up", self->root);
	ASSERT_EQ(0, symlink("../a.txt", p));
	snprintf(p, sizeof(p), "%s/abs", self->root);
	ASSERT_EQ(0, symlink("/etc/passwd", p));
	snprintf(p, sizeof(p), "%s/rel", self->root);
	ASSERT_EQ(0, symlink("../secret", p));
	snprintf(p, sizeof(p), "%s/outdir", self->root);
	ASSERT_EQ(0, symlink("..", p));
	snprintf(p, sizeof(p), "%s/absroot", self->root);
	ASSERT_EQ(0, symlink(self->root, p)); /* absolute, though it points at the root itself */
	snprintf(p, sizeof(p), "%s/fifo", self->root);
	ASSERT_EQ(0, mkfifo(p, 0644));
	self->rootfd = open(self->root, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->rootfd);
	ASSERT_NONNULL(realpath(self->root, self->real));
}

FIXTURE_TEARDOWN(root)
{
	char cmd[256];
	if (self->rootfd >= 0)
		close(self->rootfd);
	if (self->base[0] == '/' && strstr(self->base, "http_test.")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->base);
		if (system(cmd)) {
		}
	}
}

/* Opens rel beneath the root; returns the fd or the negative status, and the content. */
static int open_rel(FIXTURE_DATA(root) * self, const FIXTURE_VARIANT(root) * variant,
		    const char *rel, char *content, size_t cap, bool *index)
{
	struct stat st;
	int fd = http_open_beneath(self->rootfd, self->real, rel, variant->flags, &st, index);
	if (fd >= 0) {
		ssize_t n = read(fd, content, cap - 1);
		content[n > 0 ? n : 0] = 0;
		close(fd);
		return 0;
	}
	return fd;
}

TEST_F(root, regular_files_and_indexes)
{
	char c[64];
	bool idx;
	ASSERT_EQ(0, open_rel(self, variant, "a.txt", c, sizeof(c), &idx));
	EXPECT_STREQ("hello\n", c);
	EXPECT_FALSE(idx);
	ASSERT_EQ(0, open_rel(self, variant, "sub", c, sizeof(c), &idx));
	EXPECT_STREQ("<p>index</p>\n", c);
	EXPECT_TRUE(idx);
	ASSERT_EQ(0, open_rel(self, variant, "sub/index.html", c, sizeof(c), &idx));
	EXPECT_FALSE(idx);
	EXPECT_EQ(-404, open_rel(self, variant, "", c, sizeof(c), &idx)); /* root: no index */
	EXPECT_EQ(-404, open_rel(self, variant, "empty", c, sizeof(c), &idx));
	EXPECT_EQ(-404, open_rel(self, variant, "dirindex", c, sizeof(c), &idx));
	EXPECT_EQ(-404, open_rel(self, variant, "missing", c, sizeof(c), &idx));
	EXPECT_EQ(-404, open_rel(self, variant, "a.txt/x", c, sizeof(c), &idx));
}

TEST_F(root, symlinks_inside_the_root_work)
{
	char c[64];
	ASSERT_EQ(0, open_rel(self, variant, "inside", c, sizeof(c), NULL));
	EXPECT_STREQ("hello\n", c);
	ASSERT_EQ(0, open_rel(self, variant, "sub/up", c, sizeof(c), NULL));
	EXPECT_STREQ("hello\n", c);
}

TEST_F(root, symlinks_out_of_the_root_are_404)
{
	char c[64];
	EXPECT_EQ(-404, open_rel(self, variant, "abs", c, sizeof(c), NULL));
	EXPECT_EQ(-404, open_rel(self, variant, "rel", c, sizeof(c), NULL));
	EXPECT_EQ(-404, open_rel(self, variant, "outdir/secret", c, sizeof(c), NULL));
	/* out and back in: openat2 refuses the detour; realpath sees only where it ends,
	 * inside the root, which is as safe */
	int rc = open_rel(self, variant, "outdir/root/a.txt", c, sizeof(c), NULL);
	if (variant->flags & HTTP_OPEN_NO_OPENAT2)
		EXPECT_STREQ("hello\n", c);
	else
		EXPECT_EQ(-404, rc);
}

TEST_F(root, a_fifo_is_404_and_does_not_block)
{
	char c[64];
	EXPECT_EQ(-404, open_rel(self, variant, "fifo", c, sizeof(c), NULL));
}

TEST_F(root, traversal_targets_never_open_anything_outside)
{
	/* the whole chain the server runs: target → path → open */
	static const char *targets[] = {
		"/../secret", "/%2e%2e/secret", "/..%2fsecret", "/%252e%252e/secret",
		"/rel", "/abs", "/outdir/secret", "/sub/../../secret",
	};
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		char path[256], c[64] = "";
		int st = http_target_to_path(targets[i], strlen(targets[i]), path, sizeof(path));
		if (st == 0)
			st = -open_rel(self, variant, path, c, sizeof(c), NULL);
		if (st != 400 && st != 404)
			TH_LOG("target '%s'", targets[i]);
		EXPECT_TRUE(st == 400 || st == 404);
		EXPECT_STRNE("outside\n", c);
	}
}

/* ---- MIME types, response heads, dates ----------------------------------------------- */

TEST(mime_types)
{
	EXPECT_STREQ("text/html; charset=utf-8", http_mime_type("a/index.html"));
	EXPECT_STREQ("text/html; charset=utf-8", http_mime_type("X.HTM"));
	EXPECT_STREQ("text/plain; charset=utf-8", http_mime_type("notes.txt"));
	EXPECT_STREQ("text/css; charset=utf-8", http_mime_type("s.css"));
	EXPECT_STREQ("text/javascript; charset=utf-8", http_mime_type("app.js"));
	EXPECT_STREQ("application/json", http_mime_type("d.json"));
	EXPECT_STREQ("image/png", http_mime_type("i.png"));
	EXPECT_STREQ("image/jpeg", http_mime_type("i.JPG"));
	EXPECT_STREQ("image/jpeg", http_mime_type("i.jpeg"));
	EXPECT_STREQ("image/svg+xml", http_mime_type("i.svg"));
	EXPECT_STREQ("application/pdf", http_mime_type("doc.pdf"));
	EXPECT_STREQ("application/octet-stream", http_mime_type("x.bin"));
	EXPECT_STREQ("application/octet-stream", http_mime_type("x.unknown"));
	EXPECT_STREQ("application/octet-stream", http_mime_type("noext"));
	EXPECT_STREQ("application/octet-stream", http_mime_type(".html")); /* a dotfile, no ext */
	EXPECT_STREQ("application/octet-stream", http_mime_type("dir.html/file"));
	EXPECT_STREQ("application/octet-stream", http_mime_type(""));
}

TEST(date_is_imf_fixdate)
{
	char d[40];
	http_date(784111777, d, sizeof(d)); /* RFC 9110 §5.6.7's example */
	EXPECT_STREQ("Sun, 06 Nov 1994 08:49:37 GMT", d);
}

TEST(response_heads)
{
	char b[1024];
	struct http_response r = { .status = 206, .content_type = "text/plain", .content_length = 4,
				   .range = true, .first = 2, .last = 5, .size = 10,
				   .keep_alive = true, .minor = 1, .now = 784111777 };
	int n = http_format_response(b, sizeof(b), &r);
	ASSERT_LT(0, n);
	b[n] = 0;
	EXPECT_NONNULL(strstr(b, "HTTP/1.1 206 Partial Content\r\n"));
	EXPECT_NONNULL(strstr(b, "\r\nContent-Range: bytes 2-5/10\r\n"));
	EXPECT_NONNULL(strstr(b, "\r\nContent-Length: 4\r\n"));
	EXPECT_NONNULL(strstr(b, "\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
	EXPECT_NULL(strstr(b, "Connection:"));
	EXPECT_STREQ("\r\n\r\n", b + n - 4);

	r = (struct http_response){ .status = 416, .size = 10, .keep_alive = true, .minor = 0 };
	n = http_format_response(b, sizeof(b), &r);
	ASSERT_LT(0, n);
	EXPECT_NONNULL(strstr(b, "HTTP/1.1 416 Range Not Satisfiable\r\n"));
	EXPECT_NONNULL(strstr(b, "\r\nContent-Range: bytes */10\r\n"));
	EXPECT_NONNULL(strstr(b, "\r\nConnection: keep-alive\r\n")); /* said aloud to 1.0 */

	r = (struct http_response){ .status = 405 };
	n = http_format_response(b, sizeof(b), &r);
	ASSERT_LT(0, n);
	EXPECT_NONNULL(strstr(b, "\r\nAllow: GET, HEAD\r\n"));
	EXPECT_NONNULL(strstr(b, "\r\nConnection: close\r\n"));

	EXPECT_EQ(-1, http_format_response(b, 40, &r));
	EXPECT_STREQ("Request Header Fields Too Large", http_reason(431));
	EXPECT_STREQ("URI Too Long", http_reason(414));
}

TEST(response_parse)
{
	struct http_response_head h;
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nX: y\r\n\r\nbody";
	ASSERT_EQ(0, http_parse_response(s, strlen(s), &h));
	EXPECT_EQ(200, h.status);
	EXPECT_TRUE(h.has_length);
	EXPECT_EQ(12, h.content_length);
	EXPECT_FALSE(h.close);
	EXPECT_EQ(strlen(s) - 4, h.head_len);
	for (size_t n = 0; n < strlen(s) - 4; n++)
		ASSERT_EQ(HTTP_INCOMPLETE, http_parse_response(s, n, &h));
	s = "HTTP/1.0 404 Not Found\r\nContent-Length: 3\r\n\r\n";
	ASSERT_EQ(0, http_parse_response(s, strlen(s), &h));
	EXPECT_EQ(404, h.status);
	EXPECT_TRUE(h.close);
	s = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
	ASSERT_EQ(0, http_parse_response(s, strlen(s), &h));
	EXPECT_TRUE(h.close);
	EXPECT_FALSE(h.has_length);
	s = "HTTP/1.1 204\r\n\r\n"; /* an empty reason phrase may even lose its space */
	EXPECT_EQ(0, http_parse_response(s, strlen(s), &h));
	EXPECT_EQ(1, http_parse_response("HTTP/1.1 20 OK\r\n\r\n", 18, &h));
	EXPECT_EQ(1, http_parse_response("ICY 200 OK\r\n\r\n", 14, &h));
	s = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
	EXPECT_EQ(1, http_parse_response(s, strlen(s), &h));
}

TEST_HARNESS_MAIN
