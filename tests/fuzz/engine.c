/*
 * engine.c — fuzz target: a client engine and a server engine talking through memory, one
 * decrypted message replaced on its way.
 *
 * The pair (tests/support/engine_pair.h) carries records in the clear: both engines hand
 * their record protection over before the handshake, as QUIC carries TLS, so every message
 * — ClientHello to Finished, NewSessionTicket, KeyUpdate, alerts, data — passes through the
 * harness as plaintext, and the fuzzer's bytes replace one of them whole. No AEAD stands in
 * the way: each handler of the state × message table, certificate verification (client and
 * server side) and ticket opening get the fuzzer's bytes with a genuine handshake before
 * them. After a handshake that completes the pair exchanges data, a KeyUpdate with a request
 * and close_notify, so the post-handshake rows are fed as well.
 *
 * Input:
 *   byte 0  bit 0: mutual TLS (the server requires a certificate and verifies it)
 *           bit 1: resumption (a clean first handshake gets a ticket; the mutation hits the
 *                  second, which offers it)
 *           bit 2: HelloRetryRequest (the client's first share is for secp256r1, which the
 *                  server does not take)
 *           bit 3: the client verifies the server's chain (else it runs insecure; the
 *                  CertificateVerify signature is checked either way)
 *           bits 4-5: suite (chacha20, aes128, aes256, aes128ccm)
 *   byte 1  which record to replace, counting every record either side sends, from 0
 *   rest    its new content (type kept)
 * `FUZZ_ENGINE_SEEDS=DIR build/fuzz/fuzz-engine -runs=0` writes seeds: for each flag set the
 * harness uses, every record of a clean run as the input that "replaces" it with itself.
 */
#include "support/fuzz.h"

#include "session.h"
#include "support/engine_pair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FLAG_MTLS 1
#define FLAG_RESUME 2
#define FLAG_HRR 4
#define FLAG_VERIFY 8
#define FLAG_CONFIGS 64 /* every combination of the six bits */

static const char *const suites[4] = { "chacha20", "aes128", "aes256", "aes128ccm" };
static struct ktls_config *client_cfg[FLAG_CONFIGS], *server_cfg[FLAG_CONFIGS];
static char ca_path[64];

static void die(const char *what)
{
	fprintf(stderr, "fuzz-engine: %s\n", what);
	abort();
}

static void make_configs(unsigned flags)
{
	struct ktls_config *c = fuzz_config_new(KTLS_ROLE_CLIENT, flags & FLAG_MTLS);
	struct ktls_config *s = fuzz_config_new(KTLS_ROLE_SERVER, true);
	const char *suite = suites[(flags >> 4) & 3];
	if (ktls_config_set_server_name(c, "localhost") || ktls_config_set_alpn(c, "h2,http/1.1") ||
	    ktls_config_set_alpn(s, "http/1.1") || ktls_config_set_middlebox_compat(c, 0) ||
	    ktls_config_set_ciphers(c, suite) || ktls_config_set_ciphers(s, suite) ||
	    ktls_config_set_groups(c, flags & FLAG_HRR ? "secp256r1,x25519" : "x25519,secp256r1") ||
	    ktls_config_set_groups(s, "x25519") ||
	    (flags & FLAG_VERIFY ? ktls_config_set_ca(c, ca_path, NULL)
				 : ktls_config_set_insecure(c, 1)) ||
	    (flags & FLAG_MTLS && (ktls_config_set_client_auth(s, KTLS_CLIENT_AUTH_REQUIRED) ||
				   ktls_config_set_ca(s, ca_path, NULL))))
		die("cannot set up the configs");
	client_cfg[flags] = c;
	server_cfg[flags] = s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char dir[] = "/tmp/ktls-fuzz-engine-XXXXXX", key[64];
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(ca_path, sizeof(ca_path), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	fuzz_write_identity(ca_path, key); /* the identity is its own root: trust it */
	for (unsigned f = 0; f < FLAG_CONFIGS; f++)
		make_configs(f);
	unlink(ca_path);
	unlink(key);
	rmdir(dir);
	return 0;
}

struct replace {
	unsigned index;
	const uint8_t *content;
	size_t len;
	FILE *record_to;   /* seed writing: each record goes to a file instead */
	const char *seed_dir;
	unsigned flags;
};

static bool replace_record(void *arg, const struct engine_end *from, unsigned index, uint8_t type,
			   uint8_t *content, size_t *len, size_t cap)
{
	struct replace *r = arg;
	(void)from;
	(void)type;
	if (r->seed_dir) {
		char path[512];
		snprintf(path, sizeof(path), "%s/f%02x-r%02u", r->seed_dir, r->flags, index);
		FILE *f = fopen(path, "wb");
		uint8_t head[2] = { (uint8_t)r->flags, (uint8_t)index };
		if (!f || fwrite(head, 1, 2, f) != 2 || fwrite(content, 1, *len, f) != *len)
			die("cannot write a seed");
		fclose(f);
		return true;
	}
	if (index != r->index)
		return true;
	*len = r->len < cap ? r->len : cap;
	memcpy(content, r->content, *len);
	return true;
}

/* One connection; with keep, the client's ticket is handed back (resumption). */
static struct ktls_saved_session *run(unsigned flags, struct replace *r,
				      struct ktls_saved_session *offer, bool keep)
{
	struct engine_pair p;
	struct ktls_saved_session *saved = NULL;
	if (engine_pair_init(&p, ENGINE_PAIR_CLEAR, &client_cfg[flags]->engine,
			     &server_cfg[flags]->engine))
		die("engine_pair_init");
	p.c.e.offer = offer;
	p.tamper = r ? replace_record : NULL;
	p.tamper_arg = r;
	engine_pair_run(&p, 64);
	if (engine_pair_connected(&p)) {
		static const char hello[] = "GET / HTTP/1.1\r\n\r\n";
		if (!engine_pair_send(&p, &p.c, hello, sizeof(hello) - 1) &&
		    !engine_pair_send(&p, &p.s, "HTTP/1.1 200 OK\r\n\r\n", 19) &&
		    !engine_pair_key_update(&p, &p.c, true) &&
		    !engine_pair_send(&p, &p.s, "after", 5) &&
		    !ktls_engine_close_notify(&p.c.e))
			engine_pair_run(&p, 16);
	}
	if (keep) {
		saved = p.c.e.saved;
		p.c.e.saved = NULL;
	}
	engine_pair_free(&p); /* frees the offer with the client */
	return saved;
}

static void one_input(unsigned flags, struct replace *r)
{
	fuzz_rng_reset();
	struct ktls_saved_session *offer = flags & FLAG_RESUME ? run(flags, NULL, NULL, true) : NULL;
	run(flags, r, offer, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool seeds_written;
	const char *seed_dir = getenv("FUZZ_ENGINE_SEEDS");
	if (seed_dir && !seeds_written) {
		static const unsigned sets[] = { 0, FLAG_MTLS, FLAG_RESUME, FLAG_HRR, FLAG_VERIFY,
						 FLAG_MTLS | FLAG_VERIFY, 0x10, 0x20, 0x30 };
		seeds_written = true;
		for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
			struct replace r = { .seed_dir = seed_dir, .flags = sets[i] };
			one_input(sets[i], &r);
		}
	}
	if (size < 2)
		return 0;
	struct replace r = { .index = data[1], .content = data + 2, .len = size - 2 };
	one_input(data[0] & (FLAG_CONFIGS - 1), &r);
	return 0;
}
