/*
 * wire_test.c — the bounds-checked wire reader/writer (lib/core/wire.c).
 *
 * The reader must fail closed on every short or lying input and leave the cursor where it
 * was; the writer must patch vector lengths, enforce declared bounds and keep its first
 * error.
 */
#include "harness.h"

#include "ktls.h"
#include "wire.h"

#include <string.h>

TEST(read_integers_big_endian)
{
	static const uint8_t in[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a };
	struct wire_reader r;
	uint8_t a;
	uint16_t b;
	uint32_t c, d;

	wire_reader_init(&r, in, sizeof(in));
	ASSERT_EQ(0, wire_get_u8(&r, &a));
	ASSERT_EQ(0, wire_get_u16(&r, &b));
	ASSERT_EQ(0, wire_get_u24(&r, &c));
	ASSERT_EQ(0, wire_get_u32(&r, &d));
	EXPECT_EQ(0x01, a);
	EXPECT_EQ(0x0203, b);
	EXPECT_EQ(0x040506u, c);
	EXPECT_EQ(0x0708090au, d);
	EXPECT_EQ(0, wire_expect_end(&r));
}

TEST(truncated_integers_fail_and_leave_cursor)
{
	static const uint8_t in[] = { 0xaa, 0xbb, 0xcc };
	struct wire_reader r;
	uint8_t a;
	uint16_t b;
	uint32_t c;

	wire_reader_init(&r, in, 0);
	EXPECT_EQ(KTLS_EDECODE, wire_get_u8(&r, &a));
	wire_reader_init(&r, in, 1);
	EXPECT_EQ(KTLS_EDECODE, wire_get_u16(&r, &b));
	EXPECT_EQ(1u, wire_remaining(&r));
	wire_reader_init(&r, in, 2);
	EXPECT_EQ(KTLS_EDECODE, wire_get_u24(&r, &c));
	EXPECT_EQ(2u, wire_remaining(&r));
	wire_reader_init(&r, in, 3);
	EXPECT_EQ(KTLS_EDECODE, wire_get_u32(&r, &c));
	EXPECT_EQ(3u, wire_remaining(&r));
	/* what is there can still be read after a failed read */
	ASSERT_EQ(0, wire_get_u24(&r, &c));
	EXPECT_EQ(0xaabbccu, c);
}

TEST(bytes_and_views)
{
	static const uint8_t in[] = { 1, 2, 3, 4, 5 };
	struct wire_reader r;
	uint8_t out[3];
	const uint8_t *view;

	wire_reader_init(&r, in, sizeof(in));
	ASSERT_EQ(0, wire_get_bytes(&r, out, 3));
	ASSERT_MEMEQ(in, out, 3);
	EXPECT_EQ(KTLS_EDECODE, wire_get_view(&r, 3, &view));
	ASSERT_EQ(0, wire_get_view(&r, 2, &view));
	EXPECT_TRUE(view == in + 3);
	EXPECT_EQ(KTLS_EDECODE, wire_get_bytes(&r, out, 1));
}

TEST(vector_reads_exactly_its_body)
{
	/* opaque<0..2^16-1> holding 3 bytes, then a trailing u8 */
	static const uint8_t in[] = { 0x00, 0x03, 'a', 'b', 'c', 0x7f };
	struct wire_reader r, body;
	uint8_t tail;

	wire_reader_init(&r, in, sizeof(in));
	ASSERT_EQ(0, wire_get_vector(&r, 2, 0, 0xffff, &body));
	EXPECT_EQ(3u, wire_remaining(&body));
	EXPECT_MEMEQ("abc", body.pos, 3);
	ASSERT_EQ(0, wire_get_u8(&r, &tail));
	EXPECT_EQ(0x7f, tail);
	EXPECT_EQ(0, wire_expect_end(&r));
}

TEST(vector_length_past_end)
{
	static const uint8_t in[] = { 0x00, 0x05, 'a', 'b', 'c' };
	struct wire_reader r, body;
	const uint8_t *p;
	size_t len;

	wire_reader_init(&r, in, sizeof(in));
	EXPECT_EQ(KTLS_EDECODE, wire_get_vector(&r, 2, 0, 0xffff, &body));
	EXPECT_EQ(sizeof(in), wire_remaining(&r));
	EXPECT_EQ(KTLS_EDECODE, wire_get_opaque(&r, 2, 0, 0xffff, &p, &len));
	/* a truncated length prefix */
	wire_reader_init(&r, in, 1);
	EXPECT_EQ(KTLS_EDECODE, wire_get_vector(&r, 2, 0, 0xffff, &body));
	/* a u24 length with its top byte set */
	static const uint8_t big[] = { 0xff, 0x00, 0x01, 0x00 };
	wire_reader_init(&r, big, sizeof(big));
	EXPECT_EQ(KTLS_EDECODE, wire_get_vector(&r, 3, 0, 0xffffff, &body));
}

TEST(vector_breaking_declared_bounds)
{
	/* `opaque legacy_session_id<0..32>` style bounds, and a <2..2^16-2> list */
	static const uint8_t too_long[] = { 33, [1 ... 33] = 0x11 };
	static const uint8_t too_short[] = { 0x00, 0x01, 0x13 };
	static const uint8_t at_limit[] = { 32, [1 ... 32] = 0x22 };
	struct wire_reader r, body;

	wire_reader_init(&r, too_long, sizeof(too_long));
	EXPECT_EQ(KTLS_EDECODE, wire_get_vector(&r, 1, 0, 32, &body));
	wire_reader_init(&r, too_short, sizeof(too_short));
	EXPECT_EQ(KTLS_EDECODE, wire_get_vector(&r, 2, 2, 0xfffe, &body));
	wire_reader_init(&r, at_limit, sizeof(at_limit));
	ASSERT_EQ(0, wire_get_vector(&r, 1, 0, 32, &body));
	EXPECT_EQ(32u, wire_remaining(&body));
}

TEST(nested_length_cannot_escape_its_parent)
{
	/* outer vector of 3 bytes whose inner vector claims 4: the inner read must fail even
	 * though the whole buffer is long enough */
	static const uint8_t in[] = { 0x03, 0x04, 'x', 'y', 'z', 'w', 'v' };
	struct wire_reader r, outer, inner;

	wire_reader_init(&r, in, sizeof(in));
	ASSERT_EQ(0, wire_get_vector(&r, 1, 0, 255, &outer));
	EXPECT_EQ(KTLS_EDECODE, wire_get_vector(&outer, 1, 0, 255, &inner));
	EXPECT_EQ(3u, wire_remaining(&r));
}

TEST(trailing_bytes_are_a_decode_error)
{
	static const uint8_t in[] = { 0x00, 0x01, 0x02 };
	struct wire_reader r;
	uint16_t v;

	wire_reader_init(&r, in, sizeof(in));
	ASSERT_EQ(0, wire_get_u16(&r, &v));
	EXPECT_EQ(KTLS_EDECODE, wire_expect_end(&r));
}

TEST(bad_length_width_is_rejected)
{
	static const uint8_t in[] = { 0, 0, 0, 0, 0 };
	struct wire_reader r, body;
	uint8_t buf[8];
	struct wire_writer w;
	struct wire_scope s;

	wire_reader_init(&r, in, sizeof(in));
	EXPECT_EQ(KTLS_EINVAL, wire_get_vector(&r, 0, 0, 0, &body));
	EXPECT_EQ(KTLS_EINVAL, wire_get_vector(&r, 4, 0, 0, &body));
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, wire_open(&w, 4, &s));
}

TEST(write_integers_and_nested_vectors)
{
	/* struct { uint8 a; uint16 b; uint24 c; uint32 d;
	 *          opaque outer<0..2^16-1> = { opaque inner<1..255> = "hi"; uint8 9 }; } */
	static const uint8_t want[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
					0x00, 0x04, 0x02, 'h', 'i', 0x09 };
	uint8_t buf[64];
	struct wire_writer w;
	struct wire_scope outer, inner;

	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, wire_put_u8(&w, 0x01));
	ASSERT_EQ(0, wire_put_u16(&w, 0x0203));
	ASSERT_EQ(0, wire_put_u24(&w, 0x040506));
	ASSERT_EQ(0, wire_put_u32(&w, 0x0708090a));
	ASSERT_EQ(0, wire_open(&w, 2, &outer));
	ASSERT_EQ(0, wire_open(&w, 1, &inner));
	ASSERT_EQ(0, wire_put_bytes(&w, "hi", 2));
	ASSERT_EQ(0, wire_close(&w, &inner, 1, 255));
	ASSERT_EQ(0, wire_put_u8(&w, 9));
	ASSERT_EQ(0, wire_close(&w, &outer, 0, 0xffff));
	ASSERT_EQ(sizeof(want), w.len);
	ASSERT_MEMEQ(want, buf, sizeof(want));

	/* and it reads back */
	struct wire_reader r, ro, ri;
	uint32_t d;
	wire_reader_init(&r, buf, w.len);
	ASSERT_EQ(0, wire_get_bytes(&r, buf + 32, 6));
	ASSERT_EQ(0, wire_get_u32(&r, &d));
	EXPECT_EQ(0x0708090au, d);
	ASSERT_EQ(0, wire_get_vector(&r, 2, 0, 0xffff, &ro));
	ASSERT_EQ(0, wire_get_vector(&ro, 1, 1, 255, &ri));
	EXPECT_MEMEQ("hi", ri.pos, 2);
}

TEST(writer_overflow_is_sticky)
{
	uint8_t buf[4];
	struct wire_writer w;

	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, wire_put_u24(&w, 1));
	EXPECT_EQ(KTLS_ENOSPACE, wire_put_u16(&w, 2));
	EXPECT_EQ(3u, w.len);
	/* a write that would fit is still refused: the first error sticks */
	EXPECT_EQ(KTLS_ENOSPACE, wire_put_u8(&w, 3));
	EXPECT_EQ(3u, w.len);
	EXPECT_EQ(KTLS_ENOSPACE, w.err);
}

TEST(writer_enforces_vector_bounds)
{
	uint8_t buf[600], big[300];
	struct wire_writer w;
	struct wire_scope s;

	memset(big, 0x5a, sizeof(big));
	/* below the declared minimum */
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, wire_open(&w, 2, &s));
	EXPECT_EQ(KTLS_EINVAL, wire_close(&w, &s, 2, 0xfffe));
	EXPECT_EQ(KTLS_EINVAL, wire_put_u8(&w, 0)); /* sticky */
	/* more than a one-byte prefix can say, even with a loose max */
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, wire_open(&w, 1, &s));
	ASSERT_EQ(0, wire_put_bytes(&w, big, 256));
	EXPECT_EQ(KTLS_EINVAL, wire_close(&w, &s, 0, 0xffff));
	/* over the declared maximum */
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, wire_put_opaque(&w, 1, 0, 32, big, 33));
	/* u24 out of range */
	wire_writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ(KTLS_EINVAL, wire_put_u24(&w, 0x1000000));
	/* exactly at the bounds works */
	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, wire_put_opaque(&w, 1, 0, 255, big, 255));
	EXPECT_EQ(256u, w.len);
	EXPECT_EQ(255, buf[0]);
}

TEST(reserve_hands_out_space_in_place)
{
	uint8_t buf[8];
	struct wire_writer w;
	uint8_t *p;

	wire_writer_init(&w, buf, sizeof(buf));
	ASSERT_EQ(0, wire_put_u16(&w, 0xbeef));
	ASSERT_EQ(0, wire_reserve(&w, 6, &p));
	EXPECT_TRUE(p == buf + 2);
	EXPECT_EQ(KTLS_ENOSPACE, wire_reserve(&w, 1, &p));
}

TEST_HARNESS_MAIN
