/*
 * fuzz.h — what the libFuzzer targets in tests/fuzz/ share (tests/fuzz/README.md).
 *
 * Determinism. libFuzzer needs a target to do the same thing for the same input, and a
 * recorded handshake can only be replayed into a session whose random values are the ones it
 * had when it was recorded. Every random value the handshake draws comes from libsodium's
 * randombytes_buf (client random, legacy_session_id, server random, HRR cookie, X25519
 * private keys), so the targets install a deterministic randombytes implementation and reset
 * it before each input: a session then draws the same bytes in every run, on every machine.
 * Two sessions in one process (the corpus generator, the post-handshake target) draw from
 * separate streams, selected with fuzz_rng_use() before each session is stepped, so a
 * session's draws do not depend on how the two were interleaved. (P-256 key shares and
 * ECDSA/RSA signatures come from OpenSSL's RNG and stay random: the targets use X25519 and
 * Ed25519, whose signatures are deterministic.)
 *
 * Identity. The server (and the client, for mutual TLS) uses one fixed Ed25519 key and a
 * self-signed certificate made from it in-process with fixed fields, so the certificate's
 * bytes, and with them every transcript hash, are the same everywhere. Nothing is read from
 * build/certs and no key is committed. Clients run insecure (the chain is not verified; the
 * CertificateVerify signature still is), so the recorded certificate never expires.
 */
#ifndef KTLS_FUZZ_H
#define KTLS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktls.h"

/* Installs the deterministic randombytes implementation (idempotent; before sodium_init). */
void fuzz_rng_install(void);
/* Resets every stream to its fixed seed and selects stream 0. */
void fuzz_rng_reset(void);
/* Selects the stream later draws come from (0 or 1). Both start from the same seed, so a
 * session that always draws from one stream draws what it would draw alone. */
void fuzz_rng_use(int stream);

/* The configs of the targets and the corpus generator. Made once, kept for the process.
 *   fuzz_server_config(0)  server: fixed Ed25519 identity, a fixed ticket key, ALPN
 *                          "http/1.1", offload none
 *   fuzz_server_config(1)  the same, asking for a client certificate (optional)
 *   fuzz_client_config(0)  client: insecure, SNI "localhost", ALPN "h2,http/1.1",
 *                          groups x25519,secp256r1, offload none
 *   fuzz_client_config(1)  the same with the fixed identity as its client certificate
 * Aborts when one cannot be made (a broken build, not a finding). */
const struct ktls_config *fuzz_server_config(int variant);
const struct ktls_config *fuzz_client_config(int variant);
/* libFuzzer's entry points. Making a config draws random bytes, so a target makes its
 * configs before fuzz_rng_reset(): in LLVMFuzzerInitialize, or first thing in each input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Writes the fixed identity's certificate and private key as PEM files. */
void fuzz_write_identity(const char *cert_path, const char *key_path);
/* A config from scratch with the fixed identity (role server) or none (client), offload
 * none; the caller sets more and frees it. */
struct ktls_config *fuzz_config_new(enum ktls_role role, bool identity);

/* A non-blocking AF_UNIX stream socketpair; aborts on failure. */
void fuzz_socketpair(int fd[2]);
/* Reads and throws away whatever fd holds now. */
void fuzz_drain(int fd);

/* Feeds one peer's bytes to session s on fd[0]: writes in[0..n) into fd[1] as the socket
 * buffer allows, steps ktls_session_handshake, throws away what s writes, until s wants
 * input that will not come or stops. Returns the last handshake result. Aborts when the
 * session neither settles nor fails within a bound (a hang is a finding). */
int fuzz_feed_handshake(struct ktls_session *s, int fd[2], const uint8_t *in, size_t n);

/* Steps client c and server s, on the two ends of one socketpair, until neither wants to go
 * on or 100 rounds passed; c draws from stream 0, s from stream 1. Their last results in
 * *crc and *src (0 for both: a completed handshake). */
void fuzz_handshake_pair(struct ktls_session *c, struct ktls_session *s, int *crc, int *src);

/* Wraps handshake bytes in plaintext handshake records of at most frag bytes each (1..2^14).
 * Returns a malloc'd buffer and its length in *out_len; aborts when out of memory. */
uint8_t *fuzz_wrap_records(const uint8_t *hs, size_t n, size_t frag, size_t *out_len);

/* Decodes a flight input as the state-machine targets read it (see tests/fuzz/README.md):
 *   byte 0: bit 0 set: the rest is handshake bytes, wrapped by fuzz_wrap_records with the
 *           fragment size in byte 1 (0 means 2^14); clear: the rest is raw record bytes.
 *           bit 1: a variant of the target's config (client auth).
 * Returns the bytes to write (malloc'd, or pointing into data: *owned says which). */
const uint8_t *fuzz_flight_bytes(const uint8_t *data, size_t size, size_t *out_len, bool *owned,
				 int *variant);
/* One input for the client and server targets: the flight bytes of `data` fed to a fresh
 * session made with config(variant) on one end of a socketpair. */
void fuzz_one_flight(const struct ktls_config *(*config)(int variant), const uint8_t *data,
		     size_t size);

#endif
