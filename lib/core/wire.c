/*
 * wire.c — bounds-checked reader and writer for TLS wire formats (see wire.h).
 */
#include "wire.h"

#include "ktls.h"

#include <string.h>

static uint32_t get_be(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

static void put_be(uint8_t *p, uint32_t v, unsigned n)
{
	for (unsigned i = n; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

static int get_uint(struct wire_reader *r, unsigned n, uint32_t *v)
{
	if (wire_remaining(r) < n)
		return KTLS_EDECODE;
	*v = get_be(r->pos, n);
	r->pos += n;
	return 0;
}

int wire_get_u8(struct wire_reader *r, uint8_t *v)
{
	uint32_t x;
	int err = get_uint(r, 1, &x);
	if (!err)
		*v = (uint8_t)x;
	return err;
}

int wire_get_u16(struct wire_reader *r, uint16_t *v)
{
	uint32_t x;
	int err = get_uint(r, 2, &x);
	if (!err)
		*v = (uint16_t)x;
	return err;
}

int wire_get_u24(struct wire_reader *r, uint32_t *v)
{
	return get_uint(r, 3, v);
}

int wire_get_u32(struct wire_reader *r, uint32_t *v)
{
	return get_uint(r, 4, v);
}

int wire_get_view(struct wire_reader *r, size_t n, const uint8_t **p)
{
	if (wire_remaining(r) < n)
		return KTLS_EDECODE;
	*p = r->pos;
	r->pos += n;
	return 0;
}

int wire_get_bytes(struct wire_reader *r, void *out, size_t n)
{
	const uint8_t *p;
	int err = wire_get_view(r, n, &p);
	if (!err && n)
		memcpy(out, p, n);
	return err;
}

int wire_get_vector(struct wire_reader *r, unsigned len_size, size_t min, size_t max,
		    struct wire_reader *body)
{
	if (len_size < 1 || len_size > 3)
		return KTLS_EINVAL;
	if (wire_remaining(r) < len_size)
		return KTLS_EDECODE;
	size_t len = get_be(r->pos, len_size);
	if (len < min || len > max || wire_remaining(r) - len_size < len)
		return KTLS_EDECODE;
	r->pos += len_size;
	wire_reader_init(body, r->pos, len);
	r->pos += len;
	return 0;
}

int wire_get_opaque(struct wire_reader *r, unsigned len_size, size_t min, size_t max,
		    const uint8_t **p, size_t *len)
{
	struct wire_reader body;
	int err = wire_get_vector(r, len_size, min, max, &body);
	if (err)
		return err;
	*p = body.pos;
	*len = wire_remaining(&body);
	return 0;
}

int wire_expect_end(const struct wire_reader *r)
{
	return wire_remaining(r) == 0 ? 0 : KTLS_EDECODE;
}

/* Sets the sticky error and returns it. */
static int writer_fail(struct wire_writer *w, int err)
{
	if (!w->err)
		w->err = err;
	return w->err;
}

int wire_reserve(struct wire_writer *w, size_t n, uint8_t **p)
{
	if (w->err)
		return w->err;
	if (w->cap - w->len < n)
		return writer_fail(w, KTLS_ENOSPACE);
	*p = w->buf + w->len;
	w->len += n;
	return 0;
}

static int put_uint(struct wire_writer *w, uint32_t v, unsigned n)
{
	uint8_t *p;
	int err = wire_reserve(w, n, &p);
	if (!err)
		put_be(p, v, n);
	return err;
}

int wire_put_u8(struct wire_writer *w, uint8_t v)
{
	return put_uint(w, v, 1);
}

int wire_put_u16(struct wire_writer *w, uint16_t v)
{
	return put_uint(w, v, 2);
}

int wire_put_u24(struct wire_writer *w, uint32_t v)
{
	if (v > 0xffffff)
		return writer_fail(w, KTLS_EINVAL);
	return put_uint(w, v, 3);
}

int wire_put_u32(struct wire_writer *w, uint32_t v)
{
	return put_uint(w, v, 4);
}

int wire_put_bytes(struct wire_writer *w, const void *src, size_t n)
{
	uint8_t *p;
	int err = wire_reserve(w, n, &p);
	if (!err && n)
		memcpy(p, src, n);
	return err;
}

int wire_open(struct wire_writer *w, unsigned len_size, struct wire_scope *s)
{
	uint8_t *p;
	if (len_size < 1 || len_size > 3)
		return writer_fail(w, KTLS_EINVAL);
	int err = wire_reserve(w, len_size, &p);
	if (err)
		return err;
	s->at = w->len - len_size;
	s->len_size = len_size;
	return 0;
}

int wire_close(struct wire_writer *w, struct wire_scope *s, size_t min, size_t max)
{
	if (w->err)
		return w->err;
	size_t body = w->len - s->at - s->len_size;
	size_t limit = ((size_t)1 << (8 * s->len_size)) - 1;
	if (body < min || body > max || body > limit)
		return writer_fail(w, KTLS_EINVAL);
	put_be(w->buf + s->at, (uint32_t)body, s->len_size);
	return 0;
}

int wire_put_opaque(struct wire_writer *w, unsigned len_size, size_t min, size_t max,
		    const void *p, size_t n)
{
	struct wire_scope s;
	int err = wire_open(w, len_size, &s);
	if (!err)
		err = wire_put_bytes(w, p, n);
	if (!err)
		err = wire_close(w, &s, min, max);
	return err;
}
