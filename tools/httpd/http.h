/*
 * http.h — the HTTP/1.1 pieces ktls-server --www and ktls-client --get share: a request parser
 * with hard size limits, the Range header (one range), request-target → relative path with
 * traversal checks, opening that path so that no path and no symlink leaves the document root,
 * MIME types, response heads to write and to parse.
 *
 * Nothing here does network I/O or allocates: every function works on caller buffers, so the
 * unit tests (tests/http_test.c) drive each one directly. HTTP semantics: RFC 9110, message
 * syntax: RFC 9112.
 */
#ifndef KTLS_TOOLS_HTTP_H
#define KTLS_TOOLS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* Limits: a request-target longer than HTTP_MAX_TARGET is 414, a header section (the lines
 * after the request line) longer than HTTP_MAX_HEADERS is 431. A request head therefore never
 * needs more than HTTP_MAX_REQUEST bytes of buffer. */
#define HTTP_MAX_TARGET 8192
#define HTTP_MAX_HEADERS 16384
#define HTTP_MAX_METHOD 32
#define HTTP_MAX_REQUEST (HTTP_MAX_METHOD + 1 + HTTP_MAX_TARGET + 1 + 8 + 2 + HTTP_MAX_HEADERS + 2)

/* http_parse_request / http_parse_response: the head is not complete yet. */
#define HTTP_INCOMPLETE (-1)

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

/* A parsed request head. The pointers point into the caller's buffer. */
struct http_request {
	enum http_method method;
	const char *method_str;
	size_t method_len;
	const char *target;
	size_t target_len;
	int minor;               /* HTTP/1.minor: 0 or 1 */
	bool keep_alive;         /* persistent after this request (version + Connection) */
	const char *range;       /* the Range value, or NULL */
	size_t range_len;
	bool if_range;           /* an If-Range was sent (we then ignore Range) */
	bool has_body;           /* Content-Length > 0 or Transfer-Encoding */
	size_t head_len;         /* bytes of the head, including the empty line */
};

/* Parses the request head at the start of buf[0..len). Returns 0 when complete (req filled,
 * req->head_len says how much of buf it took), HTTP_INCOMPLETE when more bytes are needed and
 * none of the limits is exceeded yet, or an error status: 400 (malformed, missing or repeated
 * Host in HTTP/1.1, a body on GET/HEAD), 405 (a method other than GET and HEAD), 414 (request-
 * target > HTTP_MAX_TARGET), 431 (header section > HTTP_MAX_HEADERS), 505 (not HTTP/1.x).
 * On an error, req->method and req->minor are filled when the request line got that far. */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/* The Range header (RFC 9110 §14.2), one range only, against a representation of size bytes. */
enum http_range_result {
	HTTP_RANGE_NONE,          /* absent, malformed, several ranges or another unit: send all */
	HTTP_RANGE_OK,            /* *first..*last (inclusive) lie within the file: 206 */
	HTTP_RANGE_UNSATISFIABLE, /* no byte of the range exists: 416 */
};
enum http_range_result http_parse_range(const char *v, size_t len, uint64_t size,
					uint64_t *first, uint64_t *last);

/* Turns a request-target (origin-form "/a/b?q", or absolute-form "http://host/a/b") into a
 * path relative to the document root, written NUL-terminated to out: the query is dropped,
 * %XX decoded exactly once, empty and "." segments removed; "" is the root itself. Returns 0,
 * 400 (bad %-escape, a NUL byte, a ".." segment, not a path) or 414 (does not fit in cap). */
int http_target_to_path(const char *target, size_t len, char *out, size_t cap);

/* Opens rel (from http_target_to_path) beneath the document root rootfd for reading: with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) where the kernel has it (Linux 5.6+), else
 * realpath() and a prefix check against root_real (the root's canonical path). A directory
 * opens its index.html (then *is_index is set, when is_index is not NULL). Returns the fd of
 * a regular file with *st filled, or minus a status: -404 (missing, escapes the root, not a
 * regular file), -403 (permission denied). HTTP_OPEN_NO_OPENAT2 in flags forces the
 * realpath() way (for tests). */
#define HTTP_OPEN_NO_OPENAT2 0x1
int http_open_beneath(int rootfd, const char *root_real, const char *rel, int flags,
		      struct stat *st, bool *is_index);

/* The Content-Type for a file name, by extension (case-insensitive); application/octet-stream
 * for anything unknown. */
const char *http_mime_type(const char *path);

/* The reason phrase of a status code ("Not Found"), "Unknown" for others. */
const char *http_reason(int status);

/* The IMF-fixdate of t ("Sun, 06 Nov 1994 08:49:37 GMT"), into out (>= 30 bytes). */
void http_date(time_t t, char *out, size_t cap);

/* What a response head says; http_format_response writes it. */
struct http_response {
	int status;
	const char *content_type;   /* NULL: none */
	uint64_t content_length;
	bool range;                 /* 206: Content-Range bytes first-last/size */
	uint64_t first, last, size; /* for 206, and size for 416 (bytes * /size) */
	time_t last_modified;       /* 0: none */
	bool keep_alive;
	int minor;                  /* the request's HTTP/1.minor: 1.0 keep-alive is said aloud */
	time_t now;
};
/* Writes the status line and header fields, ending with the empty line. Returns the length,
 * or -1 when it does not fit in cap. */
int http_format_response(char *buf, size_t cap, const struct http_response *r);

/* A parsed response head (client side). */
struct http_response_head {
	int status;
	int minor;
	bool has_length;
	uint64_t content_length;
	bool close;     /* Connection: close, or HTTP/1.0 without keep-alive */
	bool chunked;   /* Transfer-Encoding present (not supported by our client) */
	size_t head_len;
};
/* Parses a response head. Returns 0, HTTP_INCOMPLETE, or 1 when malformed or longer than
 * HTTP_MAX_HEADERS + HTTP_MAX_TARGET. */
int http_parse_response(const char *buf, size_t len, struct http_response_head *h);

#endif
