/*
 * fuzz.c — deterministic randomness, a fixed identity, configs and socket plumbing for the
 * fuzz targets and the corpus generator (see fuzz.h).
 */
#include "support/fuzz.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "fuzz support: %s\n", what);
	abort();
}

/* ---- deterministic randombytes ------------------------------------------------------- */

/* splitmix64: not a CSPRNG, and it must not be one — it must repeat. */
static uint64_t rng_state[2];
static int rng_stream;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state[rng_stream] += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *rng_name(void)
{
	return "ktls-fuzz-deterministic";
}

static uint32_t rng_random(void)
{
	return (uint32_t)rng_next();
}

static void rng_buf(void *const buf, const size_t size)
{
	uint8_t *p = buf;
	for (size_t i = 0; i < size; i += 8) {
		uint64_t v = rng_next();
		size_t n = size - i < 8 ? size - i : 8;
		memcpy(p + i, &v, n);
	}
}

static struct randombytes_implementation rng_impl = {
	.implementation_name = rng_name,
	.random = rng_random,
	.stir = NULL,
	.uniform = NULL, /* libsodium derives uniform from random */
	.buf = rng_buf,
	.close = NULL,
};

void fuzz_rng_reset(void)
{
	/* the same seed in both: a session draws the same bytes whichever stream it uses */
	rng_state[0] = rng_state[1] = 0x6b746c732d667a30ull; /* "ktls-fz0" */
	rng_stream = 0;
}

void fuzz_rng_install(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	fuzz_rng_reset();
	if (randombytes_set_implementation(&rng_impl) != 0 || sodium_init() < 0)
		die("cannot install the deterministic randombytes");
}

void fuzz_rng_use(int stream)
{
	rng_stream = stream ? 1 : 0;
}

/* ---- the fixed identity -------------------------------------------------------------- */

static const uint8_t identity_seed[32] = "ktls-helper fuzz identity (0)!!";

void fuzz_write_identity(const char *cert_path, const char *key_path)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, identity_seed,
						     sizeof(identity_seed));
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	ASN1_TIME *nb = ASN1_TIME_new(), *na = ASN1_TIME_new();
	if (!key || !x || !name || !nb || !na)
		die("out of memory making the identity");
	/* fixed fields only: the same DER everywhere (Ed25519 signatures are deterministic) */
	if (!X509_set_version(x, 2) || !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
					-1, -1, 0) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    !ASN1_TIME_set_string(nb, "20200101000000Z") ||
	    !ASN1_TIME_set_string(na, "20991231235959Z") || !X509_set1_notBefore(x, nb) ||
	    !X509_set1_notAfter(x, na) || !X509_set_pubkey(x, key) || !X509_sign(x, key, NULL))
		die("cannot make the identity certificate");
	FILE *c = fopen(cert_path, "w"), *k = fopen(key_path, "w");
	if (!c || !k || !PEM_write_X509(c, x) ||
	    !PEM_write_PrivateKey(k, key, NULL, NULL, 0, NULL, NULL))
		die("cannot write the identity");
	fclose(c);
	fclose(k);
	ASN1_TIME_free(nb);
	ASN1_TIME_free(na);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void set_identity(struct ktls_config *cfg)
{
	char dir[] = "/tmp/ktls-fuzz-XXXXXX", cert[64], key[64];
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	fuzz_write_identity(cert, key);
	int rc = ktls_config_set_cert(cfg, cert, key);
	unlink(cert);
	unlink(key);
	rmdir(dir);
	if (rc) {
		fprintf(stderr, "fuzz support: %s\n", ktls_config_error(cfg));
		die("cannot load the identity");
	}
}

struct ktls_config *fuzz_config_new(enum ktls_role role, bool identity)
{
	fuzz_rng_install();
	struct ktls_config *cfg = ktls_config_new(role);
	if (!cfg || ktls_config_set_offload(cfg, KTLS_OFFLOAD_NONE, 0) ||
	    ktls_config_set_keylog(cfg, NULL))
		die("cannot make a config");
	if (identity)
		set_identity(cfg);
	return cfg;
}

/* A fixed ticket key: a ticket one process issued (a saved_session seed) opens in another. */
static void set_ticket_key(struct ktls_config *cfg)
{
	static const uint8_t key[32] = "ktls-helper fuzz ticket key (0)";
	char path[] = "/tmp/ktls-fuzz-ticket-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) || close(fd))
		die("cannot write the ticket key");
	int rc = ktls_config_set_ticket_key_file(cfg, path);
	unlink(path);
	if (rc) {
		fprintf(stderr, "fuzz support: %s\n", ktls_config_error(cfg));
		die("cannot load the ticket key");
	}
}

const struct ktls_config *fuzz_server_config(int variant)
{
	static struct ktls_config *cfg[2];
	variant = variant ? 1 : 0;
	if (!cfg[variant]) {
		cfg[variant] = fuzz_config_new(KTLS_ROLE_SERVER, true);
		set_ticket_key(cfg[variant]);
		if (ktls_config_set_alpn(cfg[variant], "http/1.1") ||
		    (variant && ktls_config_set_client_auth(cfg[variant], KTLS_CLIENT_AUTH_OPTIONAL)) ||
		    (variant && ktls_config_set_insecure(cfg[variant], 1)))
			die("cannot set up the server config");
	}
	return cfg[variant];
}

const struct ktls_config *fuzz_client_config(int variant)
{
	static struct ktls_config *cfg[2];
	variant = variant ? 1 : 0;
	if (!cfg[variant]) {
		cfg[variant] = fuzz_config_new(KTLS_ROLE_CLIENT, variant);
		if (ktls_config_set_insecure(cfg[variant], 1) ||
		    ktls_config_set_server_name(cfg[variant], "localhost") ||
		    ktls_config_set_alpn(cfg[variant], "h2,http/1.1") ||
		    ktls_config_set_groups(cfg[variant], "x25519,secp256r1"))
			die("cannot set up the client config");
	}
	return cfg[variant];
}

/* ---- sockets ------------------------------------------------------------------------- */

void fuzz_socketpair(int fd[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd))
		die("socketpair");
}

void fuzz_drain(int fd)
{
	uint8_t buf[16384];
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
}

static bool waiting(int rc)
{
	return rc == KTLS_WANT_READ || rc == KTLS_WANT_WRITE;
}

int fuzz_feed_handshake(struct ktls_session *s, int fd[2], const uint8_t *in, size_t n)
{
	size_t off = 0;
	int rc = KTLS_WANT_READ;
	/* Each step either moves input or output bytes, or ends: 10000 steps of a flight of a
	 * few KB is a session that spins. */
	for (int step = 0; step < 10000; step++) {
		while (off < n) {
			ssize_t w = send(fd[1], in + off, n - off, MSG_NOSIGNAL);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		rc = ktls_session_handshake(s);
		fuzz_drain(fd[1]);
		if (rc == KTLS_WANT_WRITE || (rc == KTLS_WANT_READ && off < n))
			continue;
		return rc;
	}
	fprintf(stderr, "fuzz: the handshake neither settles nor fails (last result %d: %s)\n", rc,
		ktls_session_error(s));
	abort();
}

void fuzz_handshake_pair(struct ktls_session *c, struct ktls_session *s, int *crc, int *src)
{
	*crc = *src = KTLS_WANT_READ;
	for (int i = 0; i < 100 && (waiting(*crc) || waiting(*src)); i++) {
		fuzz_rng_use(0);
		if (waiting(*crc))
			*crc = ktls_session_handshake(c);
		fuzz_rng_use(1);
		if (waiting(*src))
			*src = ktls_session_handshake(s);
	}
}

uint8_t *fuzz_wrap_records(const uint8_t *hs, size_t n, size_t frag, size_t *out_len)
{
	size_t records = n ? (n + frag - 1) / frag : 1;
	uint8_t *out = malloc(n + 5 * records), *p = out;
	if (!out)
		die("out of memory");
	size_t off = 0;
	do {
		size_t len = n - off < frag ? n - off : frag;
		*p++ = 22; /* handshake */
		*p++ = 3;
		*p++ = 3;
		*p++ = (uint8_t)(len >> 8);
		*p++ = (uint8_t)len;
		if (len)
			memcpy(p, hs + off, len);
		p += len;
		off += len;
	} while (off < n);
	*out_len = (size_t)(p - out);
	return out;
}

const uint8_t *fuzz_flight_bytes(const uint8_t *data, size_t size, size_t *out_len, bool *owned,
				 int *variant)
{
	*owned = false;
	*variant = 0;
	*out_len = 0;
	if (size == 0)
		return data;
	*variant = (data[0] >> 1) & 1;
	if (!(data[0] & 1)) {
		*out_len = size - 1;
		return data + 1;
	}
	if (size < 2)
		return data + size;
	size_t frag = data[1] ? data[1] : 16384;
	*owned = true;
	return fuzz_wrap_records(data + 2, size - 2, frag, out_len);
}

void fuzz_one_flight(const struct ktls_config *(*config)(int variant), const uint8_t *data,
		     size_t size)
{
	size_t len;
	bool owned;
	int variant, fd[2];
	const uint8_t *in = fuzz_flight_bytes(data, size, &len, &owned, &variant);

	fuzz_rng_reset();
	fuzz_socketpair(fd);
	struct ktls_session *s = ktls_session_new(config(variant), fd[0]);
	if (!s)
		abort();
	fuzz_feed_handshake(s, fd, in, len);
	ktls_session_free(s);
	close(fd[0]);
	close(fd[1]);
	if (owned)
		free((void *)in);
}
