/*
 * http.c — fuzz target: the HTTP/1.1 codec of tools/httpd (http.h), what a hostile client
 * (the request head) or server (the response head, for ktls-client --get) sends.
 *
 * Input: byte 0 bit 0 picks the parser (0: request, 1: response); the rest is the head as it
 * arrives, in one buffer (the server keeps what it read so far in one buffer and parses it
 * again from the start, so this is exactly its view). Beyond "no sanitizer report", each
 * answer is checked against the contract in http.h:
 *   - a complete request lies inside the input (head_len <= size; method, target and Range
 *     point into it), parses the same from its own head_len bytes, and its target either
 *     becomes a path without a ".." segment (fits its buffer, NUL-terminated) or a 400/414;
 *     its Range, when there is one, is parsed against a few representation sizes and a
 *     satisfiable one lies within the file;
 *   - an error is one of the statuses http.h lists;
 *   - a complete response head lies inside the input.
 */
#include "httpd/http.h"

#include "support/input.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) FUZZ_CHECK("http", cond)

static bool inside(const char *p, size_t n, const char *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

static void check_path(const char *target, size_t len)
{
	static char out[HTTP_MAX_TARGET + 1];
	int rc = http_target_to_path(target, len, out, sizeof(out));
	CHECK(rc == 0 || rc == 400 || rc == 414);
	if (rc)
		return;
	size_t n = strnlen(out, sizeof(out));
	CHECK(n < sizeof(out));
	/* no segment may climb out of the root */
	for (const char *seg = out; *seg;) {
		const char *end = strchr(seg, '/');
		size_t sl = end ? (size_t)(end - seg) : strlen(seg);
		CHECK(!(sl == 2 && seg[0] == '.' && seg[1] == '.'));
		CHECK(sl > 0); /* empty segments are removed */
		seg += sl + (end ? 1 : 0);
	}
}

static void check_range(const char *v, size_t len)
{
	static const uint64_t sizes[] = { 0, 1, 100, 1u << 20, UINT64_MAX };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t first = 0, last = 0;
		enum http_range_result r = http_parse_range(v, len, sizes[i], &first, &last);
		if (r == HTTP_RANGE_OK)
			CHECK(first <= last && last < sizes[i]);
	}
}

static void request(const char *buf, size_t len)
{
	struct http_request req;
	int rc = http_parse_request(buf, len, &req);
	if (rc == HTTP_INCOMPLETE)
		return;
	if (rc) {
		CHECK(rc == 400 || rc == 405 || rc == 414 || rc == 431 || rc == 505);
		return;
	}
	CHECK(req.head_len > 0 && req.head_len <= len);
	CHECK(inside(req.method_str, req.method_len, buf, req.head_len));
	CHECK(inside(req.target, req.target_len, buf, req.head_len));
	CHECK(req.minor == 0 || req.minor == 1);
	CHECK(req.method == HTTP_GET || req.method == HTTP_HEAD);
	if (req.range) {
		CHECK(inside(req.range, req.range_len, buf, req.head_len));
		check_range(req.range, req.range_len);
	}
	check_path(req.target, req.target_len);
	/* the head alone parses the same */
	struct http_request again;
	CHECK(http_parse_request(buf, req.head_len, &again) == 0);
	CHECK(again.head_len == req.head_len && again.keep_alive == req.keep_alive);
}

static void response(const char *buf, size_t len)
{
	struct http_response_head h;
	int rc = http_parse_response(buf, len, &h);
	CHECK(rc == 0 || rc == 1 || rc == HTTP_INCOMPLETE);
	if (rc == 0)
		CHECK(h.head_len > 0 && h.head_len <= len && h.status >= 100 && h.status <= 999);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	char *buf = fuzz_input_body(data, size, &len);
	if (!buf)
		return 0;
	if (data[0] & 1)
		response(buf, len);
	else
		request(buf, len);
	free(buf);
	return 0;
}
