/*
 * wire.h — the one place that touches TLS wire bytes.
 *
 * RFC 8446 §3 describes every message as fixed-width big-endian integers and vectors whose
 * length prefix is 1, 2 or 3 bytes wide with declared bounds (`opaque x<1..2^16-1>`).
 * Nobody else in lib/ does pointer arithmetic on received bytes: a decoder walks a
 * wire_reader, and a nested structure is read through a sub-reader that covers exactly the
 * vector's body, so a length that lies cannot make any later read leave its enclosing
 * structure. Every read checks bounds and fails with KTLS_EDECODE (the decode_error alert);
 * a failed read leaves the reader where it was.
 *
 * Writers fill a caller-owned buffer (no hidden allocation). A vector is written by opening
 * a scope that reserves its length prefix and closing it, which patches the length in and
 * checks the declared bounds. Errors are sticky: after the first failure every further write
 * is refused with the same error, so an encoder may check once at the end.
 */
#ifndef KTLS_WIRE_H
#define KTLS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define KTLS_MUST_CHECK __attribute__((warn_unused_result))

struct wire_reader {
	const uint8_t *pos;
	const uint8_t *end;
};

static inline void wire_reader_init(struct wire_reader *r, const uint8_t *buf, size_t len)
{
	r->pos = buf;
	r->end = buf + len;
}

static inline size_t wire_remaining(const struct wire_reader *r)
{
	return (size_t)(r->end - r->pos);
}

/* Each returns 0, or KTLS_EDECODE when the input is too short. */
KTLS_MUST_CHECK int wire_get_u8(struct wire_reader *r, uint8_t *v);
KTLS_MUST_CHECK int wire_get_u16(struct wire_reader *r, uint16_t *v);
KTLS_MUST_CHECK int wire_get_u24(struct wire_reader *r, uint32_t *v);
KTLS_MUST_CHECK int wire_get_u32(struct wire_reader *r, uint32_t *v);
/* Copies exactly n bytes out. */
KTLS_MUST_CHECK int wire_get_bytes(struct wire_reader *r, void *out, size_t n);
/* Points *p at the next n bytes (no copy) and moves past them. */
KTLS_MUST_CHECK int wire_get_view(struct wire_reader *r, size_t n, const uint8_t **p);

/* Reads a vector with a len_size-byte (1..3) length prefix whose length must lie in
 * [min, max]; *body then covers exactly its contents and r moves past it. Returns 0,
 * KTLS_EDECODE when the prefix is truncated, the length runs past the input or breaks the
 * bounds, or KTLS_EINVAL for a bad len_size. */
KTLS_MUST_CHECK int wire_get_vector(struct wire_reader *r, unsigned len_size, size_t min,
				    size_t max, struct wire_reader *body);
/* The same, returning the contents as a pointer and length. */
KTLS_MUST_CHECK int wire_get_opaque(struct wire_reader *r, unsigned len_size, size_t min,
				    size_t max, const uint8_t **p, size_t *len);
/* Returns 0 when r has been consumed exactly, else KTLS_EDECODE (trailing bytes). */
KTLS_MUST_CHECK int wire_expect_end(const struct wire_reader *r);

struct wire_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err; /* sticky: 0 or the first error */
};

/* An open vector: where its length prefix sits and how wide it is. */
struct wire_scope {
	size_t at;
	unsigned len_size;
};

static inline void wire_writer_init(struct wire_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

/* Each returns 0, KTLS_ENOSPACE when the buffer is full, or the writer's earlier error. */
KTLS_MUST_CHECK int wire_put_u8(struct wire_writer *w, uint8_t v);
KTLS_MUST_CHECK int wire_put_u16(struct wire_writer *w, uint16_t v);
KTLS_MUST_CHECK int wire_put_u24(struct wire_writer *w, uint32_t v); /* KTLS_EINVAL if v >= 2^24 */
KTLS_MUST_CHECK int wire_put_u32(struct wire_writer *w, uint32_t v);
KTLS_MUST_CHECK int wire_put_bytes(struct wire_writer *w, const void *p, size_t n);
/* Reserves n bytes at the end and points *p at them, for a producer that writes in place. */
KTLS_MUST_CHECK int wire_reserve(struct wire_writer *w, size_t n, uint8_t **p);
/* Writes a len_size-byte length prefix and then n bytes; n must lie in [min, max]. */
KTLS_MUST_CHECK int wire_put_opaque(struct wire_writer *w, unsigned len_size, size_t min,
				    size_t max, const void *p, size_t n);

/* Opens a vector: reserves a len_size-byte (1..3) length prefix. */
KTLS_MUST_CHECK int wire_open(struct wire_writer *w, unsigned len_size, struct wire_scope *s);
/* Closes a vector opened by wire_open: fills in its length. Returns KTLS_EINVAL (and makes it
 * sticky) when the body's length is outside [min, max] or does not fit the prefix. Scopes
 * nest: close the innermost first. */
KTLS_MUST_CHECK int wire_close(struct wire_writer *w, struct wire_scope *s, size_t min, size_t max);

#endif
