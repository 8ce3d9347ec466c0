/*
 * ticket.c — sealing and opening session tickets, and the client's saved session (see
 * ticket.h for the formats and why).
 */
#include "ticket.h"

#include "aead.h"
#include "ktls.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#define STATE_VERSION 2 /* 1: without the client's identity */
#define SAVED_VERSION 1
#define TICKET_TAG_LEN 16 /* tickets are sealed with ChaCha20-Poly1305 */

uint64_t ktls_wallclock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void ktls_ticket_key_init(struct ktls_ticket_key *k, const uint8_t *bytes)
{
	uint8_t h[32];
	memcpy(k->key, bytes, KTLS_TICKET_KEY_LEN);
	EVP_Digest(bytes, KTLS_TICKET_KEY_LEN, h, NULL, EVP_sha256(), NULL);
	k->id = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	k->set = true;
}

static int put_string(struct wire_writer *w, const char *s)
{
	return wire_put_opaque(w, 1, 0, 255, s, strlen(s));
}

static int get_string(struct wire_reader *r, char *out)
{
	const uint8_t *p;
	size_t n;
	int err = wire_get_opaque(r, 1, 0, 255, &p, &n);
	if (!err) {
		memcpy(out, p, n);
		out[n] = 0;
	}
	return err;
}

static int state_encode(struct wire_writer *w, const struct ktls_ticket_state *st)
{
	int err = wire_put_u16(w, st->suite);
	if (!err)
		err = wire_put_opaque(w, 1, 1, 255, st->psk, st->psk_len);
	if (!err)
		err = wire_put_u32(w, st->age_add);
	if (!err)
		err = wire_put_u32(w, (uint32_t)(st->issued_ms >> 32));
	if (!err)
		err = wire_put_u32(w, (uint32_t)st->issued_ms);
	if (!err)
		err = wire_put_u32(w, st->lifetime_s);
	if (!err)
		err = put_string(w, st->alpn);
	if (!err)
		err = put_string(w, st->sni);
	return err;
}

static int state_decode(struct wire_reader *r, struct ktls_ticket_state *st)
{
	const uint8_t *psk;
	uint32_t hi, lo;
	memset(st, 0, sizeof(*st));
	int err = wire_get_u16(r, &st->suite);
	if (!err)
		err = wire_get_opaque(r, 1, 1, KTLS_MAX_HASH_LEN, &psk, &st->psk_len);
	if (!err)
		memcpy(st->psk, psk, st->psk_len);
	if (!err)
		err = wire_get_u32(r, &st->age_add);
	if (!err)
		err = wire_get_u32(r, &hi);
	if (!err)
		err = wire_get_u32(r, &lo);
	if (!err) {
		st->issued_ms = (uint64_t)hi << 32 | lo;
		err = wire_get_u32(r, &st->lifetime_s);
	}
	if (!err)
		err = get_string(r, st->alpn);
	if (!err)
		err = get_string(r, st->sni);
	if (!err && !ktls_suite_find(st->suite))
		err = KTLS_EDECODE;
	return err;
}

int ktls_ticket_seal(const struct ktls_ticket_key *k, const struct ktls_ticket_state *st,
		     const uint8_t *nonce_in, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t plain[1 + 2 + 1 + KTLS_MAX_HASH_LEN + 4 + 8 + 4 + 3 * 256];
	struct wire_writer w, pw;
	struct ktls_aead aead;
	uint8_t *nonce, *sealed;

	wire_writer_init(&pw, plain, sizeof(plain));
	int err = wire_put_u8(&pw, STATE_VERSION);
	if (!err)
		err = state_encode(&pw, st);
	if (!err)
		err = put_string(&pw, st->client);
	wire_writer_init(&w, out, cap);
	if (!err)
		err = wire_put_u32(&w, k->id);
	if (!err)
		err = wire_reserve(&w, KTLS_IV_LEN, &nonce);
	if (!err)
		err = wire_reserve(&w, pw.len + TICKET_TAG_LEN, &sealed);
	if (!err) {
		memcpy(nonce, nonce_in, KTLS_IV_LEN);
		err = ktls_aead_init(&aead, ktls_suite_find(KTLS_TLS_CHACHA20_POLY1305_SHA256), k->key);
		if (!err)
			err = ktls_aead_seal(&aead, nonce, out, 4, plain, pw.len, sealed);
		ktls_aead_free(&aead);
	}
	sodium_memzero(plain, sizeof(plain));
	if (!err)
		*len = w.len;
	return err;
}

int ktls_ticket_open(const struct ktls_ticket_key *keys, size_t n, const uint8_t *ticket,
		     size_t len, struct ktls_ticket_state *st)
{
	uint8_t plain[KTLS_TICKET_MAX];
	struct wire_reader r;
	struct ktls_aead aead;
	uint32_t id;
	const uint8_t *nonce;

	wire_reader_init(&r, ticket, len);
	if (wire_get_u32(&r, &id) || wire_get_view(&r, KTLS_IV_LEN, &nonce) ||
	    wire_remaining(&r) < TICKET_TAG_LEN || wire_remaining(&r) > sizeof(plain))
		return KTLS_EBADMAC;
	const struct ktls_ticket_key *k = NULL;
	for (size_t i = 0; i < n && !k; i++)
		if (keys[i].set && keys[i].id == id)
			k = &keys[i];
	if (!k)
		return KTLS_EBADMAC;
	size_t sealed_len = wire_remaining(&r);
	int err = ktls_aead_init(&aead, ktls_suite_find(KTLS_TLS_CHACHA20_POLY1305_SHA256), k->key);
	if (!err)
		err = ktls_aead_open(&aead, nonce, ticket, 4, r.pos, sealed_len, plain);
	ktls_aead_free(&aead);
	if (err)
		return KTLS_EBADMAC;
	uint8_t version;
	wire_reader_init(&r, plain, sealed_len - TICKET_TAG_LEN);
	err = wire_get_u8(&r, &version);
	if (!err && version != STATE_VERSION && version != 1)
		err = KTLS_EDECODE;
	if (!err)
		err = state_decode(&r, st);
	if (!err && version >= 2)
		err = get_string(&r, st->client);
	if (!err)
		err = wire_expect_end(&r);
	sodium_memzero(plain, sizeof(plain));
	return err;
}

int ktls_saved_session_encode(const struct ktls_saved_session *ss, uint8_t *out, size_t cap,
			      size_t *len)
{
	struct wire_writer w;
	wire_writer_init(&w, out, cap);
	int err = wire_put_bytes(&w, "KTLSSESS", 8);
	if (!err)
		err = wire_put_u8(&w, SAVED_VERSION);
	if (!err)
		err = state_encode(&w, &ss->state);
	if (!err)
		err = wire_put_opaque(&w, 2, 1, KTLS_TICKET_MAX, ss->ticket, ss->ticket_len);
	if (!err)
		*len = w.len;
	return err;
}

int ktls_saved_session_decode(const uint8_t *in, size_t len, struct ktls_saved_session *ss)
{
	struct wire_reader r;
	const uint8_t *magic, *t;
	uint8_t version;
	memset(ss, 0, sizeof(*ss));
	wire_reader_init(&r, in, len);
	if (wire_get_view(&r, 8, &magic) || memcmp(magic, "KTLSSESS", 8) ||
	    wire_get_u8(&r, &version) || version != SAVED_VERSION)
		return KTLS_EDECODE;
	int err = state_decode(&r, &ss->state);
	if (!err)
		err = wire_get_opaque(&r, 2, 1, KTLS_TICKET_MAX, &t, &ss->ticket_len);
	if (!err)
		memcpy(ss->ticket, t, ss->ticket_len);
	if (!err)
		err = wire_expect_end(&r);
	return err ? KTLS_EDECODE : 0;
}
