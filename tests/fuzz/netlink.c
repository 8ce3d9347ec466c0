/*
 * netlink.c — fuzz target: the sock_diag reply parser of tools/diag (diag_parse_reply,
 * and under it diag_parse_msg), what the kernel answers to ktls-diag's dump.
 *
 * The kernel is not hostile, but the parser walks three levels of nested attributes whose
 * lengths it must check before every read (diag.c says why libmnl's iterators are not
 * enough), and a newer kernel adds attributes we have never seen: a bounds mistake here
 * would be a read past the receive buffer.
 *
 * Input: byte 0 bit 0 makes the parser check sequence number and port id (both 1) as the
 * dump does; the rest is one receive buffer of netlink messages. Every socket with the tls
 * ULP that parses is formatted as text and as JSON, which must fit ktls-diag's line buffer;
 * the parser's result must be one diag.h lists.
 */
#include "diag/diag.h"
#include "ktls.h"

#include "support/input.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) FUZZ_CHECK("netlink", cond)

static int on_msg(const struct nlmsghdr *nlh, void *arg)
{
	size_t *seen = arg;
	struct diag_sock s;
	int rc = diag_parse_msg(nlh, &s);
	CHECK(rc == 0 || rc == 1 || rc == KTLS_EDECODE);
	if (rc != 1)
		return 0;
	char line[512];
	CHECK(diag_format_text(line, sizeof(line), &s) == 0);
	CHECK(diag_format_json(line, sizeof(line), &s) == 0);
	CHECK(s.family == 2 || s.family == 10); /* AF_INET, AF_INET6 */
	(*seen)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	void *buf = fuzz_input_body(data, size, &len);
	if (!buf)
		return 0;
	unsigned id = data[0] & 1;
	size_t seen = 0;
	int rc = diag_parse_reply(buf, len, id, id, on_msg, &seen);
	CHECK(rc == 0 || rc == 1 || rc == KTLS_EIO || rc == KTLS_EDECODE);
	free(buf);
	return 0;
}
