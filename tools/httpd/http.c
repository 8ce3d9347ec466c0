/*
 * http.c — the HTTP/1.1 codec of tools/httpd (http.h): request parsing, ranges, safe paths,
 * MIME types, response heads.
 *
 * Why it is built this way: the server reads requests from strangers, so the parser works on
 * (pointer, length) with no NUL terminator assumed, never allocates, and decides "too long"
 * before the head is complete — a peer that streams an endless request line gets 414 as soon
 * as the target passes the limit, not after filling memory. Paths are decoded exactly once
 * and then judged segment by segment, so "%2e%2e", "..%2f" and friends are caught after
 * decoding, while a double-encoded "%252e" stays the harmless literal "%2e". The last word
 * on escaping the root belongs to the kernel: openat2(RESOLVE_BENEATH) refuses any path or
 * symlink that would leave the directory, whatever the string looked like.
 */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- small helpers ------------------------------------------------------------------- */

/* RFC 9110 §5.6.2 tchar */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool ieq(const char *a, size_t alen, const char *lit)
{
	size_t n = strlen(lit);
	return alen == n && strncasecmp(a, lit, n) == 0;
}

/* Trims optional whitespace (SP / HTAB) on both sides. */
static void trim_ows(const char **p, size_t *len)
{
	while (*len && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
		(*len)--;
}

/* Finds the end of the line starting at buf[pos]: returns the index of its '\n' or -1, and
 * sets *content_end to where the line's content stops (before "\r\n" or "\n"). */
static long line_end(const char *buf, size_t len, size_t pos, size_t *content_end)
{
	const char *nl = memchr(buf + pos, '\n', len - pos);
	if (!nl)
		return -1;
	size_t e = (size_t)(nl - buf);
	*content_end = e > pos && buf[e - 1] == '\r' ? e - 1 : e;
	return (long)e;
}

/* Parses a decimal number; saturates at UINT64_MAX. Returns false when not all digits. */
static bool parse_u64(const char *p, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		unsigned d = (unsigned)(p[i] - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*out = v;
	return true;
}

/* Whether a comma-separated list value (RFC 9110 §5.6.1) holds token. */
static bool list_has(const char *v, size_t len, const char *token)
{
	size_t i = 0;
	while (i <= len) {
		size_t j = i;
		while (j < len && v[j] != ',')
			j++;
		const char *t = v + i;
		size_t tl = j - i;
		trim_ows(&t, &tl);
		if (ieq(t, tl, token))
			return true;
		i = j + 1;
	}
	return false;
}

/* Walks the header section starting at buf[pos]. Returns 0 when the empty line was found
 * (*end past it), HTTP_INCOMPLETE, 400 malformed, 431 too long; fn sees each field. */
typedef void (*field_fn)(void *ctx, const char *name, size_t nlen, const char *val, size_t vlen);
static int walk_fields(const char *buf, size_t len, size_t pos, size_t limit, field_fn fn, void *ctx,
		       size_t *end)
{
	size_t start = pos;
	for (;;) {
		size_t ce;
		long e = line_end(buf, len, pos, &ce);
		if (e < 0)
			return len - start > limit ? 431 : HTTP_INCOMPLETE;
		if ((size_t)e + 1 - start > limit)
			return 431;
		if (ce == pos) { /* the empty line */
			*end = (size_t)e + 1;
			return 0;
		}
		const char *line = buf + pos;
		size_t llen = ce - pos;
		if (line[0] == ' ' || line[0] == '\t')
			return 400; /* obs-fold: RFC 9112 §5.2 lets us reject it */
		size_t colon = 0;
		while (colon < llen && is_tchar((unsigned char)line[colon]))
			colon++;
		if (colon == 0 || colon >= llen || line[colon] != ':')
			return 400; /* no name, or whitespace before the colon (§5.1) */
		const char *val = line + colon + 1;
		size_t vlen = llen - colon - 1;
		for (size_t i = 0; i < vlen; i++) {
			unsigned char c = (unsigned char)val[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return 400; /* CR, NUL and other controls in a value */
		}
		trim_ows(&val, &vlen);
		fn(ctx, line, colon, val, vlen);
		pos = (size_t)e + 1;
	}
}

/* ---- requests ------------------------------------------------------------------------ */

struct req_fields {
	struct http_request *req;
	int hosts;
	bool conn_close, conn_keep_alive, bad;
};

static void request_field(void *ctx, const char *name, size_t nlen, const char *v, size_t vlen)
{
	struct req_fields *f = ctx;
	uint64_t n = 0;
	if (ieq(name, nlen, "host")) {
		f->hosts++;
	} else if (ieq(name, nlen, "connection")) {
		f->conn_close |= list_has(v, vlen, "close");
		f->conn_keep_alive |= list_has(v, vlen, "keep-alive");
	} else if (ieq(name, nlen, "range")) {
		if (f->req->range)
			f->bad = true; /* two Range fields */
		f->req->range = v;
		f->req->range_len = vlen;
	} else if (ieq(name, nlen, "if-range")) {
		f->req->if_range = true;
	} else if (ieq(name, nlen, "content-length")) {
		if (!parse_u64(v, vlen, &n))
			f->bad = true;
		else if (n)
			f->req->has_body = true;
	} else if (ieq(name, nlen, "transfer-encoding")) {
		f->req->has_body = true;
	}
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	size_t pos = 0;
	memset(req, 0, sizeof(*req));
	req->method = HTTP_OTHER;
	req->minor = 1;
	/* RFC 9112 §2.2: ignore empty lines before the request line */
	while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n')) {
		if (pos >= 16)
			return 400;
		pos++;
	}
	/* method */
	size_t m = pos;
	while (m < len && is_tchar((unsigned char)buf[m]))
		m++;
	if (m - pos > HTTP_MAX_METHOD)
		return 400;
	if (m == len)
		return HTTP_INCOMPLETE;
	if (m == pos || buf[m] != ' ')
		return 400;
	req->method_str = buf + pos;
	req->method_len = m - pos;
	if (req->method_len == 3 && !memcmp(req->method_str, "GET", 3))
		req->method = HTTP_GET;
	else if (req->method_len == 4 && !memcmp(req->method_str, "HEAD", 4))
		req->method = HTTP_HEAD;
	/* request-target: visible ASCII up to the next SP */
	size_t t = m + 1, te = t;
	while (te < len && buf[te] != ' ' && buf[te] != '\r' && buf[te] != '\n') {
		unsigned char c = (unsigned char)buf[te];
		if (c < 0x21 || c >= 0x7f)
			return 400;
		if (te - t >= HTTP_MAX_TARGET)
			return 414;
		te++;
	}
	if (te == len)
		return HTTP_INCOMPLETE;
	if (te == t || buf[te] != ' ')
		return 400;
	req->target = buf + t;
	req->target_len = te - t;
	/* HTTP-version, then the end of the line */
	size_t v = te + 1, ce;
	long e = line_end(buf, len, v, &ce);
	if (e < 0)
		return len - v > 10 ? 400 : HTTP_INCOMPLETE;
	if (ce - v != 8 || memcmp(buf + v, "HTTP/", 5) || buf[v + 6] != '.' ||
	    buf[v + 5] < '0' || buf[v + 5] > '9' || buf[v + 7] < '0' || buf[v + 7] > '9')
		return 400;
	if (buf[v + 5] != '1')
		return 505;
	/* RFC 9110 §2.5: a higher minor version is handled as the highest we implement */
	req->minor = buf[v + 7] > '1' ? 1 : buf[v + 7] - '0';
	/* header fields */
	struct req_fields f = { .req = req };
	size_t end;
	int rc = walk_fields(buf, len, (size_t)e + 1, HTTP_MAX_HEADERS, request_field, &f, &end);
	if (rc)
		return rc;
	req->head_len = end;
	if (f.bad || (req->minor >= 1 && f.hosts != 1) || f.hosts > 1)
		return 400; /* RFC 9112 §3.2: exactly one Host in HTTP/1.1 */
	if (req->target[0] != '/' && !(req->target_len > 7 && !strncasecmp(req->target, "http://", 7)) &&
	    !(req->target_len > 8 && !strncasecmp(req->target, "https://", 8)))
		return req->method == HTTP_OTHER ? 405 : 400; /* "*" (OPTIONS) or authority-form */
	if (req->method == HTTP_OTHER)
		return 405;
	if (req->has_body)
		return 400; /* we do not read bodies: GET and HEAD have no business sending one */
	req->keep_alive = req->minor >= 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
	return 0;
}

/* ---- ranges -------------------------------------------------------------------------- */

enum http_range_result http_parse_range(const char *v, size_t len, uint64_t size,
					uint64_t *first, uint64_t *last)
{
	if (!v)
		return HTTP_RANGE_NONE;
	trim_ows(&v, &len);
	if (len < 6 || strncasecmp(v, "bytes", 5))
		return HTTP_RANGE_NONE;
	v += 5;
	len -= 5;
	trim_ows(&v, &len);
	if (!len || *v != '=')
		return HTTP_RANGE_NONE;
	v++;
	len--;
	trim_ows(&v, &len);
	if (memchr(v, ',', len))
		return HTTP_RANGE_NONE; /* several ranges: allowed to ignore (RFC 9110 §14.2) */
	const char *dash = memchr(v, '-', len);
	if (!dash)
		return HTTP_RANGE_NONE;
	size_t alen = (size_t)(dash - v), blen = len - alen - 1;
	uint64_t a, b;
	if (alen == 0) { /* suffix: the last b bytes */
		if (!parse_u64(dash + 1, blen, &b))
			return HTTP_RANGE_NONE;
		if (b == 0 || size == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return HTTP_RANGE_OK;
	}
	if (!parse_u64(v, alen, &a))
		return HTTP_RANGE_NONE;
	if (blen == 0) {
		b = UINT64_MAX;
	} else {
		if (!parse_u64(dash + 1, blen, &b))
			return HTTP_RANGE_NONE;
		if (b < a)
			return HTTP_RANGE_NONE; /* invalid range-spec: ignore the field */
	}
	if (a >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return HTTP_RANGE_OK;
}

/* ---- paths --------------------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_target_to_path(const char *target, size_t len, char *out, size_t cap)
{
	size_t i = 0, o = 0;
	if (len > 8 && !strncasecmp(target, "https://", 8))
		i = 8;
	else if (len > 7 && !strncasecmp(target, "http://", 7))
		i = 7;
	if (i) { /* absolute-form: skip the authority */
		while (i < len && target[i] != '/' && target[i] != '?')
			i++;
		if (i == len || target[i] == '?') {
			if (!cap)
				return 414;
			out[0] = 0;
			return 0;
		}
	}
	if (i >= len || target[i] != '/')
		return 400;
	size_t end = i;
	while (end < len && target[end] != '?' && target[end] != '#')
		end++;
	/* segment by segment: decode, then judge the decoded segment */
	while (i < end) {
		while (i < end && target[i] == '/')
			i++;
		if (i == end)
			break;
		if (o) {
			if (o + 1 >= cap)
				return 414;
			out[o++] = '/';
		}
		size_t seg = o;
		while (i < end && target[i] != '/') {
			char c = target[i];
			if (c == '%') {
				if (i + 2 >= end)
					return 400;
				int hi = hexval(target[i + 1]), lo = hexval(target[i + 2]);
				if (hi < 0 || lo < 0)
					return 400;
				c = (char)(hi << 4 | lo);
				i += 3;
			} else {
				i++;
			}
			if (c == 0)
				return 400;
			if (o + 1 >= cap)
				return 414;
			out[o++] = c;
		}
		/* a decoded '/' (from %2f) is a separator like any other: judge each piece, and
		 * drop empty and "." pieces as between segments, so that the path stays relative
		 * ("/%2Fetc" is "etc", not "/etc": found by tests/fuzz/http.c) */
		size_t w = seg, p = seg;
		while (p <= o) {
			size_t q = p;
			while (q < o && out[q] != '/')
				q++;
			size_t n = q - p;
			if (n == 2 && out[p] == '.' && out[p + 1] == '.')
				return 400;
			if (n && !(n == 1 && out[p] == '.')) {
				if (w > seg)
					out[w++] = '/';
				memmove(out + w, out + p, n);
				w += n;
			}
			p = q + 1;
		}
		o = w == seg && seg ? seg - 1 : w; /* nothing left: nor its separator */
	}
	if (o >= cap)
		return 414;
	out[o] = 0;
	return 0;
}

/* A file we could not open: forbidden, missing — or our own shortage (no descriptor, no
 * memory), which is 503 and says nothing about the file. */
static int status_of_errno(int e)
{
	if (e == EMFILE || e == ENFILE || e == ENOMEM || e == EAGAIN)
		return -503;
	return e == EACCES || e == EPERM ? -403 : -404;
}

static int open_once(int rootfd, const char *root_real, const char *rel, int flags)
{
	static bool no_openat2;
	const char *p = *rel ? rel : ".";
	if (!(flags & HTTP_OPEN_NO_OPENAT2) && !no_openat2) {
		struct open_how how = {
			/* O_NONBLOCK: opening a FIFO someone left in the root must not hang us */
			.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		long fd = syscall(SYS_openat2, rootfd, p, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS)
			return status_of_errno(errno); /* EXDEV: it would leave the root */
		no_openat2 = true;
	}
	/* Linux < 5.6: canonicalize and check the prefix. */
	char full[PATH_MAX], real[PATH_MAX];
	if ((size_t)snprintf(full, sizeof(full), "%s/%s", root_real, rel) >= sizeof(full))
		return -404;
	if (!realpath(full, real))
		return status_of_errno(errno);
	size_t rl = strlen(root_real);
	if (strncmp(real, root_real, rl) || (real[rl] != '/' && real[rl] != 0 && rl != 1))
		return -404;
	int fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
	return fd >= 0 ? fd : status_of_errno(errno);
}

int http_open_beneath(int rootfd, const char *root_real, const char *rel, int flags,
		      struct stat *st, bool *is_index)
{
	if (is_index)
		*is_index = false;
	int fd = open_once(rootfd, root_real, rel, flags);
	if (fd < 0)
		return fd;
	if (fstat(fd, st) == 0 && S_ISDIR(st->st_mode)) {
		char idx[PATH_MAX];
		close(fd);
		if ((size_t)snprintf(idx, sizeof(idx), "%s%sindex.html", rel, *rel ? "/" : "") >=
		    sizeof(idx))
			return -404;
		fd = open_once(rootfd, root_real, idx, flags);
		if (fd < 0)
			return fd;
		if (is_index)
			*is_index = true;
		if (fstat(fd, st)) {
			close(fd);
			return -404;
		}
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -404;
	}
	/* reads go through ktls_sendfile / pread: blocking mode for regular files is moot,
	 * but clear O_NONBLOCK anyway so nothing surprises a caller */
	fcntl(fd, F_SETFL, 0);
	return fd;
}

/* ---- MIME types ---------------------------------------------------------------------- */

const char *http_mime_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
		{ "txt", "text/plain; charset=utf-8" }, { "css", "text/css; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" }, { "mjs", "text/javascript; charset=utf-8" },
		{ "json", "application/json" }, { "xml", "application/xml" },
		{ "csv", "text/csv; charset=utf-8" }, { "md", "text/markdown; charset=utf-8" },
		{ "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
		{ "gif", "image/gif" }, { "webp", "image/webp" }, { "avif", "image/avif" },
		{ "svg", "image/svg+xml" }, { "ico", "image/vnd.microsoft.icon" },
		{ "pdf", "application/pdf" }, { "wasm", "application/wasm" },
		{ "woff", "font/woff" }, { "woff2", "font/woff2" }, { "ttf", "font/ttf" },
		{ "mp4", "video/mp4" }, { "webm", "video/webm" }, { "mp3", "audio/mpeg" },
		{ "ogg", "audio/ogg" }, { "wav", "audio/wav" },
		{ "zip", "application/zip" }, { "gz", "application/gzip" },
		{ "tar", "application/x-tar" }, { "xz", "application/x-xz" },
		{ "zst", "application/zstd" }, { "bin", "application/octet-stream" },
	};
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	if (dot && dot != base)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

/* ---- responses ----------------------------------------------------------------------- */

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

void http_date(time_t t, char *out, size_t cap)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(out, cap, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
		 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int http_format_response(char *buf, size_t cap, const struct http_response *r)
{
	char date[40], lm[40] = "";
	http_date(r->now, date, sizeof(date));
	if (r->last_modified)
		http_date(r->last_modified, lm, sizeof(lm));
	int n = snprintf(buf, cap, "HTTP/1.1 %d %s\r\nServer: ktls-server\r\nDate: %s\r\n", r->status,
			 http_reason(r->status), date);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	size_t o = (size_t)n;
#define ADD(...)                                                                           \
	do {                                                                               \
		int k_ = snprintf(buf + o, cap - o, __VA_ARGS__);                          \
		if (k_ < 0 || (size_t)k_ >= cap - o)                                       \
			return -1;                                                         \
		o += (size_t)k_;                                                           \
	} while (0)
	if (r->content_type)
		ADD("Content-Type: %s\r\n", r->content_type);
	ADD("Content-Length: %llu\r\n", (unsigned long long)r->content_length);
	if (r->status == 200 || r->status == 206)
		ADD("Accept-Ranges: bytes\r\n");
	if (r->range)
		ADD("Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)r->first,
		    (unsigned long long)r->last, (unsigned long long)r->size);
	if (r->status == 416)
		ADD("Content-Range: bytes */%llu\r\n", (unsigned long long)r->size);
	if (r->status == 405)
		ADD("Allow: GET, HEAD\r\n");
	if (*lm)
		ADD("Last-Modified: %s\r\n", lm);
	if (!r->keep_alive)
		ADD("Connection: close\r\n");
	else if (r->minor == 0)
		ADD("Connection: keep-alive\r\n");
	ADD("\r\n");
#undef ADD
	return (int)o;
}

struct resp_fields {
	struct http_response_head *h;
	bool conn_close, conn_keep_alive, bad;
};

static void response_field(void *ctx, const char *name, size_t nlen, const char *v, size_t vlen)
{
	struct resp_fields *f = ctx;
	uint64_t n = 0;
	if (ieq(name, nlen, "content-length")) {
		if (!parse_u64(v, vlen, &n) || (f->h->has_length && n != f->h->content_length))
			f->bad = true;
		f->h->has_length = true;
		f->h->content_length = n;
	} else if (ieq(name, nlen, "connection")) {
		f->conn_close |= list_has(v, vlen, "close");
		f->conn_keep_alive |= list_has(v, vlen, "keep-alive");
	} else if (ieq(name, nlen, "transfer-encoding")) {
		f->h->chunked = true;
	}
}

int http_parse_response(const char *buf, size_t len, struct http_response_head *h)
{
	size_t ce;
	memset(h, 0, sizeof(*h));
	long e = line_end(buf, len, 0, &ce);
	if (e < 0)
		return len > HTTP_MAX_TARGET ? 1 : HTTP_INCOMPLETE;
	/* HTTP/1.x SP 3DIGIT SP reason */
	if (ce < 12 || memcmp(buf, "HTTP/1.", 7) || buf[7] < '0' || buf[7] > '9' || buf[8] != ' ' ||
	    buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' ||
	    buf[11] > '9' || (ce > 12 && buf[12] != ' '))
		return 1;
	h->minor = buf[7] - '0';
	h->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	struct resp_fields f = { .h = h };
	size_t end;
	int rc = walk_fields(buf, len, (size_t)e + 1, HTTP_MAX_HEADERS, response_field, &f, &end);
	if (rc == HTTP_INCOMPLETE)
		return rc;
	if (rc || f.bad)
		return 1;
	h->head_len = end;
	h->close = h->minor >= 1 ? f.conn_close : !f.conn_keep_alive || f.conn_close;
	return 0;
}
