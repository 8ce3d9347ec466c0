/*
 * engine_pair.c — two engines through memory (engine_pair.h).
 */
#include "support/engine_pair.h"

#include <stdlib.h>
#include <string.h>

#define ENTRY_HEADER 4 /* [type][u24 len] */

static int end_emit(void *ctx, uint8_t type, const uint8_t *data, size_t len, bool sealed)
{
	struct engine_end *end = ctx;
	uint8_t hdr[ENTRY_HEADER] = { type, (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
	(void)sealed;
	int err = ktls_buf_append(&end->out, hdr, sizeof(hdr));
	return err ? err : ktls_buf_append(&end->out, data, len);
}

static int end_key_change(void *ctx, enum ktls_direction dir, const uint8_t *secret)
{
	struct engine_end *end = ctx;
	(void)secret;
	end->key_changes[dir]++;
	return 0;
}

static int end_init(struct engine_pair *p, struct engine_end *end,
		    const struct ktls_engine_config *cfg)
{
	memset(end, 0, sizeof(*end));
	end->pair = p;
	end->ops = (struct ktls_engine_ops){ .emit = end_emit, .key_change = end_key_change };
	int err = ktls_engine_init(&end->e, cfg, &end->ops, end);
	if (!err && p->mode == ENGINE_PAIR_CLEAR) {
		ktls_engine_hand_over(&end->e, KTLS_DIR_TX);
		ktls_engine_hand_over(&end->e, KTLS_DIR_RX);
	}
	return err;
}

int engine_pair_init(struct engine_pair *p, enum engine_pair_mode mode,
		     const struct ktls_engine_config *client, const struct ktls_engine_config *server)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	int err = end_init(p, &p->c, client);
	return err ? err : end_init(p, &p->s, server);
}

void engine_pair_free(struct engine_pair *p)
{
	struct engine_end *ends[2] = { &p->c, &p->s };
	for (int i = 0; i < 2; i++) {
		ktls_engine_free(&ends[i]->e);
		ktls_buf_free(&ends[i]->out);
	}
}

static void received(struct engine_end *to, const struct ktls_engine_input *in)
{
	if (in->closed)
		to->closed = true;
	size_t room = sizeof(to->data) - to->data_len;
	size_t n = in->data_len < room ? in->data_len : room;
	if (n)
		memcpy(to->data + to->data_len, in->data, n);
	to->data_len += n;
}

/* Carries the first record `from` has queued to its peer. */
static void carry_one(struct engine_pair *p, struct engine_end *from, struct engine_end *to)
{
	static uint8_t content[TLS_MAX_RECORD + 1024];
	uint8_t *entry = from->out.data + from->out.pos;
	uint8_t type = entry[0];
	size_t len = (size_t)entry[1] << 16 | (size_t)entry[2] << 8 | entry[3];
	struct ktls_engine_input in;
	unsigned index = p->records++;

	memcpy(content, entry + ENTRY_HEADER, len);
	ktls_buf_consume(&from->out, ENTRY_HEADER + len);
	if (p->mode == ENGINE_PAIR_RECORDS) {
		if (!ktls_engine_input_record(&to->e, content, len, &in))
			received(to, &in);
		return;
	}
	if (p->tamper && !p->tamper(p->tamper_arg, from, index, type, content, &len, sizeof(content)))
		return;
	if (!ktls_engine_input_content(&to->e, type, content, len, &in))
		received(to, &in);
}

unsigned engine_pair_run(struct engine_pair *p, unsigned bound)
{
	unsigned carried = 0;
	if (p->c.e.state == HS_CLIENT_START && !p->c.e.err && ktls_engine_start(&p->c.e))
		return 0;
	while (carried < bound) {
		/* the server's tickets go once it is connected, as the driver sends them */
		if (ktls_engine_connected(&p->s.e) && !p->s.e.tickets_sent &&
		    ktls_engine_send_tickets(&p->s.e))
			break;
		if (ktls_buf_pending(&p->c.out))
			carry_one(p, &p->c, &p->s);
		else if (ktls_buf_pending(&p->s.out))
			carry_one(p, &p->s, &p->c);
		else
			break;
		carried++;
	}
	return carried;
}

bool engine_pair_connected(const struct engine_pair *p)
{
	return ktls_engine_connected(&p->c.e) && ktls_engine_connected(&p->s.e);
}

int engine_pair_send(struct engine_pair *p, struct engine_end *from, const void *data, size_t len)
{
	int err = ktls_engine_send_record(&from->e, TLS_CONTENT_APPLICATION_DATA, data, len);
	if (!err)
		ktls_engine_data_sent(&from->e);
	engine_pair_run(p, 1000);
	return err;
}

int engine_pair_key_update(struct engine_pair *p, struct engine_end *from, bool request)
{
	int err = ktls_engine_send_key_update(&from->e, request);
	engine_pair_run(p, 1000);
	return err;
}
