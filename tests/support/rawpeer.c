/*
 * rawpeer.c — a scripted raw-byte TLS peer and a decrypting relay (see rawpeer.h).
 */
#include "support/rawpeer.h"

#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- buffer ------------------------------------------------------------------------------ */

static void reserve(struct rp_buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		abort(); /* test code: out of memory is not a case under test */
	b->p = p;
	b->cap = cap;
}

void rp_buf_free(struct rp_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void rp_clear(struct rp_buf *b)
{
	b->len = 0;
	b->depth = 0;
}

void rp_put(struct rp_buf *b, const void *p, size_t n)
{
	reserve(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void rp_fill(struct rp_buf *b, uint8_t byte, size_t n)
{
	reserve(b, n);
	memset(b->p + b->len, byte, n);
	b->len += n;
}

void rp_u8(struct rp_buf *b, uint8_t v)
{
	rp_put(b, &v, 1);
}

void rp_u16(struct rp_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	rp_put(b, x, 2);
}

void rp_u24(struct rp_buf *b, uint32_t v)
{
	uint8_t x[3] = { (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	rp_put(b, x, 3);
}

void rp_open(struct rp_buf *b, unsigned len_size)
{
	if (b->depth == 8 || len_size < 1 || len_size > 3)
		abort();
	b->scope_at[b->depth] = b->len;
	b->scope_size[b->depth++] = len_size;
	rp_fill(b, 0, len_size);
}

void rp_close(struct rp_buf *b)
{
	if (!b->depth)
		abort();
	b->depth--;
	size_t at = b->scope_at[b->depth], sz = b->scope_size[b->depth];
	size_t n = b->len - at - sz;
	for (size_t i = 0; i < sz; i++)
		b->p[at + i] = (uint8_t)(n >> (8 * (sz - 1 - i)));
}

/* ---- records --------------------------------------------------------------------------- */

void rp_record(struct rp_buf *out, uint8_t type, const void *body, size_t len)
{
	rp_u8(out, type);
	rp_u16(out, 0x0303);
	rp_u16(out, (uint16_t)len);
	rp_put(out, body, len);
}

void rp_handshake_records(struct rp_buf *out, const uint8_t *msg, size_t len)
{
	size_t off = 0;
	do {
		size_t n = len - off > 16384 ? 16384 : len - off;
		rp_record(out, 22, msg + off, n);
		off += n;
	} while (off < len);
}

int rp_write(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t off = 0;
	int waits = 0;
	while (off < len) {
		ssize_t n = send(fd, b + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && waits++ < 100) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			poll(&pfd, 1, 10);
			continue;
		}
		return -1;
	}
	return 0;
}

/* ---- protection ------------------------------------------------------------------------ */

int rp_key_from_secret(struct rp_key *k, const struct ktls_suite *suite, const uint8_t *secret)
{
	struct ktls_traffic_keys tk;
	memset(k, 0, sizeof(*k));
	if (ktls_derive_traffic_keys(suite, secret, &tk))
		return -1;
	memcpy(k->key, tk.key, suite->key_len);
	memcpy(k->iv, tk.iv, sizeof(k->iv));
	k->suite = suite;
	k->set = true;
	return 0;
}

static void nonce(const struct rp_key *k, uint8_t out[12])
{
	memcpy(out, k->iv, 12);
	for (int i = 0; i < 8; i++)
		out[11 - i] ^= (uint8_t)(k->seq >> (8 * i));
}

int rp_seal_inner(struct rp_key *k, const uint8_t *inner, size_t inner_len, struct rp_buf *out)
{
	struct ktls_aead a;
	uint8_t n[12], hdr[5];
	size_t body = inner_len + k->suite->tag_len;

	if (!k->set || body > 0xffff || ktls_aead_init(&a, k->suite, k->key))
		return -1;
	hdr[0] = 23;
	hdr[1] = 3;
	hdr[2] = 3;
	hdr[3] = (uint8_t)(body >> 8);
	hdr[4] = (uint8_t)body;
	rp_put(out, hdr, 5);
	reserve(out, body);
	nonce(k, n);
	int err = ktls_aead_seal(&a, n, hdr, 5, inner, inner_len, out->p + out->len);
	ktls_aead_free(&a);
	if (err)
		return -1;
	out->len += body;
	k->seq++;
	return 0;
}

int rp_seal(struct rp_key *k, uint8_t type, const uint8_t *data, size_t len, struct rp_buf *out)
{
	struct rp_buf inner = { 0 };
	rp_put(&inner, data, len);
	rp_u8(&inner, type);
	int err = rp_seal_inner(k, inner.p, inner.len, out);
	rp_buf_free(&inner);
	return err;
}

int rp_open_record(struct rp_key *k, const uint8_t *rec, size_t len, struct rp_buf *inner)
{
	struct ktls_aead a;
	uint8_t n[12];

	if (!k->set || len < 5 + k->suite->tag_len || ktls_aead_init(&a, k->suite, k->key))
		return -1;
	rp_clear(inner);
	reserve(inner, len);
	nonce(k, n);
	int err = ktls_aead_open(&a, n, rec, 5, rec + 5, len - 5, inner->p);
	ktls_aead_free(&a);
	if (err)
		return -1;
	inner->len = len - 5 - k->suite->tag_len;
	k->seq++;
	return 0;
}

/* ---- the relay ------------------------------------------------------------------------- */

int rp_mitm_open(struct rp_mitm *m, const struct ktls_config *ccfg, const struct ktls_config *scfg)
{
	int a[2], b[2];
	memset(m, 0, sizeof(*m));
	m->c_fd = m->s_fd = -1;
	m->d[0].in_fd = m->d[0].out_fd = m->d[1].in_fd = m->d[1].out_fd = -1;
	m->d[0].alert = m->d[1].alert = -1;
	m->crc = m->src = KTLS_WANT_READ;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, a))
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, b)) {
		close(a[0]);
		close(a[1]);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(a[i], F_SETFL, O_NONBLOCK);
		fcntl(b[i], F_SETFL, O_NONBLOCK);
	}
	m->c_fd = a[0];
	m->s_fd = b[0];
	/* client -> server: arrives at a[1], goes out through b[1]; and back */
	m->d[RP_C2S].in_fd = a[1];
	m->d[RP_C2S].out_fd = b[1];
	m->d[RP_S2C].in_fd = b[1];
	m->d[RP_S2C].out_fd = a[1];
	if (ccfg && !(m->c = ktls_session_new(ccfg, m->c_fd)))
		return -1;
	if (scfg && !(m->s = ktls_session_new(scfg, m->s_fd)))
		return -1;
	if (!m->c)
		m->crc = 0;
	if (!m->s)
		m->src = 0;
	return 0;
}

void rp_mitm_close(struct rp_mitm *m)
{
	ktls_session_free(m->c);
	ktls_session_free(m->s);
	m->c = m->s = NULL;
	if (m->c_fd >= 0)
		close(m->c_fd);
	if (m->s_fd >= 0)
		close(m->s_fd);
	if (m->d[RP_C2S].in_fd >= 0)
		close(m->d[RP_C2S].in_fd);
	if (m->d[RP_S2C].in_fd >= 0)
		close(m->d[RP_S2C].in_fd);
	for (int i = 0; i < 2; i++)
		rp_buf_free(&m->d[i].in);
	memset(m, 0, sizeof(*m));
	m->c_fd = m->s_fd = -1;
}

void rp_snapshot(struct rp_mitm *m)
{
	struct ktls_session *s = m->s ? m->s : m->c;
	if (!s || !s->e->suite)
		return;
	if (!m->have_hs && s->e->ks.stage >= KTLS_KS_HANDSHAKE) {
		m->have_hs = true;
		if (rp_key_from_secret(&m->d[RP_C2S].rx[0], s->e->suite, s->e->ks.client_handshake_traffic) ||
		    rp_key_from_secret(&m->d[RP_S2C].rx[0], s->e->suite, s->e->ks.server_handshake_traffic))
			m->have_hs = false;
		m->d[RP_C2S].tx[0] = m->d[RP_C2S].rx[0];
		m->d[RP_S2C].tx[0] = m->d[RP_S2C].rx[0];
	}
	if (!m->have_app && s->e->ks.stage >= KTLS_KS_MASTER) {
		m->have_app = true;
		if (rp_key_from_secret(&m->d[RP_C2S].rx[1], s->e->suite, s->e->ks.client_application_traffic) ||
		    rp_key_from_secret(&m->d[RP_S2C].rx[1], s->e->suite, s->e->ks.server_application_traffic))
			m->have_app = false;
		m->d[RP_C2S].tx[1] = m->d[RP_C2S].rx[1];
		m->d[RP_S2C].tx[1] = m->d[RP_S2C].rx[1];
	}
}

/* The receiving end of dir: absent (the test is that peer) means the bytes are dropped. */
static bool has_receiver(const struct rp_mitm *m, int dir)
{
	return dir == RP_C2S ? m->s != NULL : m->c != NULL;
}

int rp_inject(struct rp_mitm *m, int dir, const void *p, size_t len)
{
	return rp_write(m->d[dir].out_fd, p, len);
}

int rp_emit_raw(struct rp_mitm *m, int dir, const void *p, size_t len)
{
	if (!has_receiver(m, dir))
		return 0;
	return rp_write(m->d[dir].out_fd, p, len);
}

int rp_seal_out(struct rp_mitm *m, int dir, int key, uint8_t type, const void *data, size_t len,
		struct rp_buf *out)
{
	if (key == RP_PLAIN) {
		rp_record(out, type, data, len);
		return 0;
	}
	return rp_seal(&m->d[dir].tx[key], type, data, len, out);
}

int rp_emit(struct rp_mitm *m, int dir, int key, uint8_t type, const void *data, size_t len)
{
	struct rp_buf out = { 0 };
	int err = rp_seal_out(m, dir, key, type, data, len, &out);
	if (!err)
		err = rp_emit_raw(m, dir, out.p, out.len);
	rp_buf_free(&out);
	return err;
}

int rp_emit_inner(struct rp_mitm *m, int dir, int key, const void *inner, size_t len)
{
	struct rp_buf out = { 0 };
	int err = key == RP_PLAIN ? -1 : rp_seal_inner(&m->d[dir].tx[key], inner, len, &out);
	if (!err)
		err = rp_emit_raw(m, dir, out.p, out.len);
	rp_buf_free(&out);
	return err;
}

/* Decodes one whole record and hands it on. */
static void relay_record(struct rp_mitm *m, int dir, const uint8_t *raw, size_t raw_len)
{
	struct rp_dir *d = &m->d[dir];
	struct rp_buf inner = { 0 };
	struct rp_rec r = { .outer = raw[0], .key = RP_PLAIN, .type = raw[0], .data = raw + 5,
			    .len = raw_len - 5, .raw = raw, .raw_len = raw_len, .index = d->records };

	if (raw[0] == 23 && m->have_hs) {
		int k = -1;
		for (int i = d->rx_idx; i < 2 && k < 0; i++) {
			if (!d->rx[i].set)
				continue;
			uint64_t seq = d->rx[i].seq;
			if (!rp_open_record(&d->rx[i], raw, raw_len, &inner))
				k = i;
			else
				d->rx[i].seq = seq;
		}
		if (k >= 0) {
			d->rx_idx = k;
			size_t n = inner.len;
			while (n && inner.p[n - 1] == 0)
				n--;
			r.key = k;
			r.type = n ? inner.p[n - 1] : 0;
			r.data = inner.p;
			r.len = n ? n - 1 : 0;
		} else {
			r.opaque = true;
			d->opaque++;
		}
	}
	if (d->records < RP_LOG) {
		d->log[d->records].type = r.type;
		d->log[d->records].first = r.len ? r.data[0] : 0;
		d->log[d->records].key = r.key;
	}
	d->records++;
	if (r.type == 21 && r.len == 2) {
		if (d->alert < 0) {
			d->alert = r.data[1];
			d->alert_level = r.data[0];
		}
		d->alerts++;
	}
	if (!m->hook || !m->hook(m, dir, &r, m->arg)) {
		if (r.key == RP_PLAIN)
			rp_emit_raw(m, dir, raw, raw_len);
		else
			rp_emit(m, dir, r.key, r.type, r.data, r.len);
	}
	rp_buf_free(&inner);
}

int rp_pump(struct rp_mitm *m, int dir)
{
	struct rp_dir *d = &m->d[dir];
	uint8_t buf[16384];
	int handled = 0;

	rp_snapshot(m);
	for (int i = 0; i < 1000; i++) {
		ssize_t n = recv(d->in_fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		rp_put(&d->in, buf, (size_t)n);
	}
	size_t off = 0;
	while (d->in.len - off >= 5) {
		size_t len = (size_t)d->in.p[off + 3] << 8 | d->in.p[off + 4];
		if (d->in.len - off < 5 + len)
			break;
		relay_record(m, dir, d->in.p + off, 5 + len);
		off += 5 + len;
		handled++;
	}
	if (off) {
		memmove(d->in.p, d->in.p + off, d->in.len - off);
		d->in.len -= off;
	}
	return handled;
}

static bool waiting(int rc)
{
	return rc == KTLS_WANT_READ || rc == KTLS_WANT_WRITE;
}

void rp_run(struct rp_mitm *m)
{
	int idle = 0;
	for (int i = 0; i < 500 && idle < 3; i++) {
		int moved = 0;
		if (m->c && waiting(m->crc)) {
			int rc = ktls_session_handshake(m->c);
			moved += rc != m->crc;
			m->crc = rc;
		}
		if (m->s && waiting(m->src)) {
			int rc = ktls_session_handshake(m->s);
			moved += rc != m->src;
			m->src = rc;
		}
		moved += rp_pump(m, RP_C2S);
		moved += rp_pump(m, RP_S2C);
		if (!waiting(m->crc) && !waiting(m->src) && !moved)
			break;
		idle = moved ? 0 : idle + 1;
	}
}
