/*
 * x509_test.c — certificate chains, keys, trust stores and peer chain verification, with the
 * test PKI of certs/gen.sh ($KTLS_CERTS, default build/certs): every good server chain
 * verifies for "localhost", 127.0.0.1 and ::1; the client certificate verifies as a client
 * and not as a server; expired, wrong-host, unknown-CA and unparseable certificates fail
 * with the code whose alert reports them (certificate_expired, bad_certificate, unknown_ca)
 * and a message that says why.
 */
#include "harness.h"

#include "ktls.h"
#include "support/vectors.h"
#include "certs.h"
#include "x509.h"

#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *certs_dir(void)
{
	const char *d = getenv("KTLS_CERTS");
	return d && *d ? d : "build/certs";
}

/* build/certs/NAME.EXT into a static buffer (one at a time is enough here). */
static const char *cert_path(const char *name, const char *ext)
{
	static char path[2][512];
	static int which;
	which ^= 1;
	snprintf(path[which], sizeof(path[which]), "%s/%s.%s", certs_dir(), name, ext);
	return path[which];
}

/* The DER of build/certs/NAME.pem, read with OpenSSL directly; NULL when it cannot. */
static uint8_t *pem_der(const char *name, size_t *len)
{
	FILE *f = fopen(cert_path(name, "pem"), "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	uint8_t *der = NULL, *p;
	int n = x ? i2d_X509(x, NULL) : -1;

	if (f)
		fclose(f);
	if (n > 0 && (der = malloc((size_t)n))) {
		p = der;
		i2d_X509(x, &p);
		*len = (size_t)n;
	}
	X509_free(x);
	return der;
}

/* Writes the concatenation of files into a new temporary file; returns its path (static). */
static const char *concat_tmp(const char *const *paths, size_t n)
{
	static char tmp[64];
	char buf[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "/tmp/ktls-x509-test-XXXXXX");
	fd = mkstemp(tmp);
	if (fd < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		FILE *f = fopen(paths[i], "r");
		size_t r;
		if (!f)
			break;
		while ((r = fread(buf, 1, sizeof(buf), f)) > 0)
			if (write(fd, buf, r) != (ssize_t)r)
				break;
		fclose(f);
	}
	close(fd);
	return tmp;
}

/* ---- ktls_cert_chain_load ---------------------------------------------------------------- */

FIXTURE(chain_load)
{
	struct ktls_cert_chain c;
	char err[256];
};

FIXTURE_VARIANT(chain_load)
{
	const char *name;
	const char *key_type;
};

FIXTURE_VARIANT_ADD(chain_load, server_rsa) { .name = "server-rsa", .key_type = "RSA" };
FIXTURE_VARIANT_ADD(chain_load, server_ecdsa) { .name = "server-ecdsa", .key_type = "EC" };
FIXTURE_VARIANT_ADD(chain_load, server_ed25519) { .name = "server-ed25519", .key_type = "ED25519" };
FIXTURE_VARIANT_ADD(chain_load, client) { .name = "client", .key_type = "EC" };

FIXTURE_SETUP(chain_load)
{
	if (access(cert_path(variant->name, "pem"), R_OK) != 0)
		TH_LOG("missing %s: run certs/gen.sh %s", cert_path(variant->name, "pem"),
		       certs_dir());
	ASSERT_EQ(0, access(cert_path(variant->name, "pem"), R_OK));
}

FIXTURE_TEARDOWN(chain_load)
{
	ktls_cert_chain_free(&self->c);
}

TEST_F(chain_load, loads_leaf_and_key)
{
	size_t len = 0;
	uint8_t *der = pem_der(variant->name, &len);
	struct ktls_cert_chain zero;

	ASSERT_NONNULL(der);
	ASSERT_EQ(0, ktls_cert_chain_load(&self->c, cert_path(variant->name, "pem"),
					  cert_path(variant->name, "key"), NULL, self->err,
					  sizeof(self->err)));
	EXPECT_STREQ("", self->err);
	ASSERT_EQ(1u, self->c.n);
	ASSERT_EQ(len, self->c.der_len[0]);
	ASSERT_MEMEQ(der, self->c.der[0], len);
	ASSERT_NONNULL(self->c.key);
	EXPECT_EQ(1, EVP_PKEY_is_a(self->c.key, variant->key_type));
	free(der);

	ktls_cert_chain_free(&self->c);
	memset(&zero, 0, sizeof(zero));
	ASSERT_MEMEQ(&zero, &self->c, sizeof(zero));
}

TEST_F(chain_load, leaf_then_intermediate_in_order)
{
	const char *paths[] = { cert_path(variant->name, "pem"), cert_path("ca", "pem") };
	const char *tmp = concat_tmp(paths, 2);
	size_t leaf_len = 0, ca_len = 0;
	uint8_t *leaf = pem_der(variant->name, &leaf_len), *ca = pem_der("ca", &ca_len);
	int err;

	ASSERT_NONNULL(tmp);
	err = ktls_cert_chain_load(&self->c, tmp, cert_path(variant->name, "key"), NULL, self->err,
				   sizeof(self->err));
	unlink(tmp);
	ASSERT_EQ(0, err);
	ASSERT_EQ(2u, self->c.n);
	ASSERT_MEMEQ(leaf, self->c.der[0], leaf_len);
	ASSERT_MEMEQ(ca, self->c.der[1], ca_len);
	free(leaf);
	free(ca);
}

TEST(chain_load_key_mismatch)
{
	struct ktls_cert_chain c, zero;
	char err[256] = "";

	ASSERT_EQ(KTLS_EINVAL, ktls_cert_chain_load(&c, cert_path("server-rsa", "pem"),
						    cert_path("server-ecdsa", "key"), NULL, err,
						    sizeof(err)));
	TH_LOG("message: %s", err);
	EXPECT_NONNULL(strstr(err, "does not match"));
	EXPECT_NONNULL(strstr(err, "server-ecdsa.key"));
	EXPECT_NONNULL(strstr(err, "server-rsa.pem"));
	memset(&zero, 0, sizeof(zero));
	EXPECT_MEMEQ(&zero, &c, sizeof(zero)); /* nothing left to free */
	ktls_cert_chain_free(&c);
}

TEST(chain_load_missing_files)
{
	struct ktls_cert_chain c;
	char err[256] = "";

	ASSERT_EQ(KTLS_EINVAL, ktls_cert_chain_load(&c, "/nonexistent/cert.pem",
						    cert_path("server-rsa", "key"), NULL, err,
						    sizeof(err)));
	EXPECT_NONNULL(strstr(err, "/nonexistent/cert.pem"));
	EXPECT_NONNULL(strstr(err, "No such file"));
	ASSERT_EQ(KTLS_EINVAL, ktls_cert_chain_load(&c, cert_path("server-rsa", "pem"),
						    "/nonexistent/key.pem", NULL, err, sizeof(err)));
	EXPECT_NONNULL(strstr(err, "/nonexistent/key.pem"));
	ktls_cert_chain_free(&c);
}

TEST(chain_load_no_certificate)
{
	struct ktls_cert_chain c;
	char err[256] = "";

	/* a key file where the certificate should be */
	ASSERT_EQ(KTLS_EINVAL, ktls_cert_chain_load(&c, cert_path("server-rsa", "key"),
						    cert_path("server-rsa", "key"), NULL, err,
						    sizeof(err)));
	TH_LOG("message: %s", err);
	EXPECT_NONNULL(strstr(err, "holds a private key but no certificate: give the certificate with --cert"));
	/* a certificate file where the key should be */
	ASSERT_EQ(KTLS_EINVAL, ktls_cert_chain_load(&c, cert_path("server-rsa", "pem"),
						    cert_path("server-rsa", "pem"), NULL, err,
						    sizeof(err)));
	TH_LOG("message: %s", err);
	EXPECT_NONNULL(strstr(err, "server-rsa.pem' holds a certificate but no private key: give the key with --key"));
	ktls_cert_chain_free(&c);
}

TEST(chain_load_too_many)
{
	const char *paths[KTLS_MAX_CHAIN + 1];
	struct ktls_cert_chain c;
	char err[256] = "";
	const char *tmp;
	int rc;

	for (size_t i = 0; i <= KTLS_MAX_CHAIN; i++)
		paths[i] = cert_path("server-ecdsa", "pem");
	tmp = concat_tmp(paths, KTLS_MAX_CHAIN + 1);
	ASSERT_NONNULL(tmp);
	rc = ktls_cert_chain_load(&c, tmp, cert_path("server-ecdsa", "key"), NULL, err, sizeof(err));
	unlink(tmp);
	ASSERT_EQ(KTLS_EINVAL, rc);
	char want[32];
	snprintf(want, sizeof(want), "more than %d", KTLS_MAX_CHAIN);
	EXPECT_NONNULL(strstr(err, want));
	ktls_cert_chain_free(&c);
}

/* An encrypted key is refused at once: never a password prompt. */
/* Writes server-ecdsa's key to path with PEM's legacy encryption (Proc-Type: 4,ENCRYPTED,
 * "BEGIN EC PRIVATE KEY"). Returns 0 or -1. */
static int legacy_encrypted(const char *path, const char *pass)
{
	FILE *in = fopen(cert_path("server-ecdsa", "key"), "r");
	EVP_PKEY *k = in ? PEM_read_PrivateKey(in, NULL, NULL, NULL) : NULL;
	BIO *out = k ? BIO_new_file(path, "w") : NULL;
	int ok = out && PEM_write_bio_PrivateKey_traditional(out, k, EVP_aes_128_cbc(),
							     (unsigned char *)pass,
							     (int)strlen(pass), NULL, NULL);
	if (in)
		fclose(in);
	BIO_free(out);
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

TEST(chain_load_encrypted_key)
{
	FILE *in = fopen(cert_path("server-ecdsa", "key"), "r");
	EVP_PKEY *k = in ? PEM_read_PrivateKey(in, NULL, NULL, NULL) : NULL;
	char tmp[] = "/tmp/ktls-x509-test-XXXXXX", err[256] = "";
	struct ktls_cert_chain c;
	int fd, rc;
	FILE *out;

	if (in)
		fclose(in);
	ASSERT_NONNULL(k);
	fd = mkstemp(tmp);
	ASSERT_LE(0, fd);
	out = fdopen(fd, "w");
	ASSERT_NONNULL(out);
	ASSERT_EQ(1, PEM_write_PrivateKey(out, k, EVP_aes_256_cbc(), (unsigned char *)"secret", 6,
					  NULL, NULL));
	fclose(out);
	EVP_PKEY_free(k);
	rc = ktls_cert_chain_load(&c, cert_path("server-ecdsa", "pem"), tmp, NULL, err, sizeof(err));
	TH_LOG("message: %s", err);
	ASSERT_EQ(KTLS_EINVAL, rc);
	EXPECT_NONNULL(strstr(err, "is an encrypted key: give its passphrase with --key-pass"));
	ktls_cert_chain_free(&c);
	/* the legacy PEM encryption (Proc-Type: 4,ENCRYPTED) opens with its passphrase too */
	ASSERT_EQ(0, legacy_encrypted(tmp, "secret"));
	rc = ktls_cert_chain_load(&c, cert_path("server-ecdsa", "pem"), tmp, "secret", err, sizeof(err));
	unlink(tmp);
	TH_LOG("message: %s", err);
	ASSERT_EQ(0, rc);
	ktls_cert_chain_free(&c);
}

/* Each encoding certs/gen.sh writes loads, and gives the same key and certificate as PEM. */
TEST(chain_load_formats)
{
	static const struct {
		const char *cert, *key, *pass;
	} cases[] = {
		{ "server-ecdsa.der", "server-ecdsa.key.der", NULL },  /* DER cert, PKCS#8 DER */
		{ "server-ecdsa.pem", "server-ecdsa.key.der", NULL },
		{ "server-ecdsa.der", "server-ecdsa.key", NULL },
		{ "server-rsa.pem", "server-rsa.trad.key", NULL },     /* BEGIN RSA PRIVATE KEY */
		{ "server-ecdsa.pem", "server-ecdsa.enc.key", "ktls-test-passphrase" },
		{ "server-ecdsa.der", "server-ecdsa.enc.key", "ktls-test-passphrase" },
		{ "server-ecdsa.pem", "server-ecdsa.pem+key", NULL },  /* one file: cert, then key */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ktls_cert_chain c;
		char cert[512], key[512], err[256] = "";
		const char *key_path = key;
		snprintf(cert, sizeof(cert), "%s/%s", certs_dir(), cases[i].cert);
		snprintf(key, sizeof(key), "%s/%s", certs_dir(), cases[i].key);
		if (strstr(cases[i].key, "+key")) {
			const char *paths[] = { cert_path("server-ecdsa", "pem"),
						cert_path("server-ecdsa", "key") };
			key_path = concat_tmp(paths, 2);
			ASSERT_NONNULL(key_path);
			snprintf(cert, sizeof(cert), "%s", key_path);
		}
		int rc = ktls_cert_chain_load(&c, cert, key_path, cases[i].pass, err, sizeof(err));
		if (key_path != key)
			unlink(key_path);
		TH_LOG("%s + %s: %s", cases[i].cert, cases[i].key, err);
		ASSERT_EQ(0, rc);
		size_t len = 0;
		uint8_t *der = pem_der(strstr(cases[i].cert, "rsa") ? "server-rsa" : "server-ecdsa", &len);
		ASSERT_NONNULL(der);
		ASSERT_EQ(1u, c.n);
		ASSERT_EQ(len, c.der_len[0]);
		ASSERT_MEMEQ(der, c.der[0], len);
		EXPECT_STREQ("CN=localhost", c.subject);
		free(der);
		ktls_cert_chain_free(&c);
	}
}

/* What is missing or wrong is said, for each kind of mistake. */
TEST(chain_load_says_what_is_wrong)
{
	static const struct {
		const char *cert, *key, *pass, *want;
	} cases[] = {
		{ "server-ecdsa.pem", "server-ecdsa.enc.key", NULL,
		  "server-ecdsa.enc.key' is an encrypted key: give its passphrase with --key-pass" },
		{ "server-ecdsa.pem", "server-ecdsa.enc.key", "wrong",
		  "cannot decrypt the key '" },
		{ "server-ecdsa.pem", "server-ecdsa.pem", NULL,
		  "server-ecdsa.pem' holds a certificate but no private key: give the key with --key" },
		{ "server-ecdsa.pem", "server-ecdsa.der", NULL,
		  "server-ecdsa.der' holds a certificate but no private key: give the key with --key" },
		{ "server-ecdsa.pem", "ca.pem", NULL,
		  "holds a certificate but no private key" },
		{ "server-ecdsa.key.der", "server-ecdsa.key", NULL,
		  "server-ecdsa.key.der' holds a private key but no certificate: give the certificate with --cert" },
		{ "server-ecdsa.pem", "server-rsa.trad.key", NULL,
		  "the key '" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ktls_cert_chain c;
		char cert[512], key[512], err[300] = "";
		snprintf(cert, sizeof(cert), "%s/%s", certs_dir(), cases[i].cert);
		snprintf(key, sizeof(key), "%s/%s", certs_dir(), cases[i].key);
		EXPECT_EQ(KTLS_EINVAL, ktls_cert_chain_load(&c, cert, key, cases[i].pass, err, sizeof(err)));
		TH_LOG("%s + %s: %s", cases[i].cert, cases[i].key, err);
		EXPECT_NONNULL(strstr(err, cases[i].want));
		ktls_cert_chain_free(&c);
	}
	/* a mismatch names both files */
	struct ktls_cert_chain c;
	char err[300] = "";
	EXPECT_EQ(KTLS_EINVAL, ktls_cert_chain_load(&c, cert_path("server-ecdsa", "pem"),
						    cert_path("server-rsa", "key"), NULL, err, sizeof(err)));
	EXPECT_NONNULL(strstr(err, "does not match the certificate"));
	/* bytes that are neither */
	char tmp[] = "/tmp/ktls-x509-test-XXXXXX";
	int fd = mkstemp(tmp);
	ASSERT_LE(0, fd);
	ASSERT_EQ(5, write(fd, "hello", 5));
	close(fd);
	EXPECT_EQ(KTLS_EINVAL, ktls_cert_chain_load(&c, cert_path("server-ecdsa", "pem"), tmp, NULL,
						    err, sizeof(err)));
	TH_LOG("garbage key: %s", err);
	EXPECT_NONNULL(strstr(err, "is not a private key in PEM or DER (PKCS#8, traditional RSA/EC)"));
	EXPECT_EQ(KTLS_EINVAL, ktls_cert_chain_load(&c, tmp, cert_path("server-ecdsa", "key"), NULL,
						    err, sizeof(err)));
	TH_LOG("garbage certificate: %s", err);
	EXPECT_NONNULL(strstr(err, "holds no certificate in PEM or DER"));
	unlink(tmp);
}

/* SNI picks: exact name, then a wildcard for one label, then the first (RFC 6125 §6.4.3). */
TEST(cert_choose_by_name)
{
	static const char *const names[] = { "server-ecdsa", "server-wild", "server-other" };
	struct ktls_cert_chain c[3];
	char err[256];
	for (size_t i = 0; i < 3; i++)
		ASSERT_EQ(0, ktls_cert_chain_load(&c[i], cert_path(names[i], "pem"),
						  cert_path(names[i], "key"), NULL, err, sizeof(err)));
	EXPECT_EQ(0u, ktls_cert_choose(c, 3, NULL));
	EXPECT_EQ(0u, ktls_cert_choose(c, 3, "localhost"));
	EXPECT_EQ(2u, ktls_cert_choose(c, 3, "other.test"));
	EXPECT_EQ(2u, ktls_cert_choose(c, 3, "OTHER.test"));
	EXPECT_EQ(1u, ktls_cert_choose(c, 3, "www.wild.test"));
	EXPECT_EQ(0u, ktls_cert_choose(c, 3, "wild.test"));
	EXPECT_EQ(0u, ktls_cert_choose(c, 3, "a.b.wild.test"));
	EXPECT_EQ(0u, ktls_cert_choose(c, 3, "unknown.test"));
	EXPECT_EQ(0u, ktls_cert_choose(c, 0, "other.test"));
	EXPECT_STREQ("CN=*.wild.test", c[1].subject);
	for (size_t i = 0; i < 3; i++)
		ktls_cert_chain_free(&c[i]);
}

/* ---- ktls_trust_load --------------------------------------------------------------------- */

TEST(trust_load_file)
{
	X509_STORE *s = NULL;
	char err[256] = "";

	ASSERT_EQ(0, ktls_trust_load(&s, cert_path("ca", "pem"), NULL, err, sizeof(err)));
	ASSERT_NONNULL(s);
	X509_STORE_free(s);
}

TEST(trust_load_system_default)
{
	X509_STORE *s = NULL;
	char err[256] = "";

	ASSERT_EQ(0, ktls_trust_load(&s, NULL, NULL, err, sizeof(err)));
	ASSERT_NONNULL(s);
	X509_STORE_free(s);
}

TEST(trust_load_errors)
{
	X509_STORE *s = (X509_STORE *)1;
	char err[256] = "";

	EXPECT_EQ(KTLS_EINVAL, ktls_trust_load(&s, "/nonexistent/ca.pem", NULL, err, sizeof(err)));
	EXPECT_NULL(s);
	EXPECT_NONNULL(strstr(err, "/nonexistent/ca.pem"));
	EXPECT_EQ(KTLS_EINVAL, ktls_trust_load(&s, NULL, "/nonexistent/dir", err, sizeof(err)));
	EXPECT_NONNULL(strstr(err, "/nonexistent/dir"));
	EXPECT_EQ(KTLS_EINVAL,
		  ktls_trust_load(&s, NULL, cert_path("ca", "pem"), err, sizeof(err)));
	EXPECT_NONNULL(strstr(err, "not a directory"));
	/* a file with no certificate in it */
	EXPECT_EQ(KTLS_EINVAL, ktls_trust_load(&s, "/dev/null", NULL, err, sizeof(err)));
	TH_LOG("message: %s", err);
	EXPECT_NULL(s);
}

/* ---- ktls_verify_chain ------------------------------------------------------------------- */

/* What a verification test holds; both fixtures below wrap one. */
struct vstate {
	X509_STORE *store;
	EVP_PKEY *key;
	char subject[128];
	char err[256];
	uint8_t *der[3];
	size_t der_len[3];
	size_t n;
	char dir[64]; /* a hashed CA directory, when a test makes one */
	char link[128];
};

/* A store trusting ca.pem. */
static void vstate_setup(struct vstate *v)
{
	char err[256] = "";
	if (access(cert_path("ca", "pem"), R_OK) != 0)
		TH_LOG("missing %s: run certs/gen.sh %s", cert_path("ca", "pem"), certs_dir());
	ASSERT_EQ(0, access(cert_path("ca", "pem"), R_OK));
	ASSERT_EQ(0, ktls_trust_load(&v->store, cert_path("ca", "pem"), NULL, err, sizeof(err)));
}

static void vstate_teardown(struct vstate *v)
{
	X509_STORE_free(v->store);
	EVP_PKEY_free(v->key);
	for (size_t i = 0; i < 3; i++)
		free(v->der[i]);
	if (v->link[0])
		unlink(v->link);
	if (v->dir[0])
		rmdir(v->dir);
}

/* Loads the named certificates (NULL-terminated) as the chain under test. */
static void set_chain(struct vstate *self, ...)
{
	va_list ap;
	const char *name;

	va_start(ap, self);
	while ((name = va_arg(ap, const char *))) {
		ASSERT_GT(3u, self->n);
		self->der[self->n] = pem_der(name, &self->der_len[self->n]);
		ASSERT_NONNULL(self->der[self->n]);
		self->n++;
	}
	va_end(ap);
}

/* Runs ktls_verify_chain on the fixture's chain; returns its result. */
static int run_verify(struct vstate *self, int verifying_server, const char *host)
{
	int rc;

	EVP_PKEY_free(self->key);
	self->key = NULL;
	rc = ktls_verify_chain(self->store, (const uint8_t *const *)self->der, self->der_len,
			       self->n, verifying_server, host, &self->key, self->subject,
			       sizeof(self->subject), self->err, sizeof(self->err));
	if (rc)
		TH_LOG("%s: %s", host ? host : "(no host)", self->err);
	return rc;
}

/* Tests run with each good server certificate. */
FIXTURE(server)
{
	struct vstate v;
};

FIXTURE_VARIANT(server)
{
	const char *name;
	const char *key_type;
};

FIXTURE_VARIANT_ADD(server, rsa) { .name = "server-rsa", .key_type = "RSA" };
FIXTURE_VARIANT_ADD(server, ecdsa) { .name = "server-ecdsa", .key_type = "EC" };
FIXTURE_VARIANT_ADD(server, ed25519) { .name = "server-ed25519", .key_type = "ED25519" };

FIXTURE_SETUP(server)
{
	vstate_setup(&self->v);
}

FIXTURE_TEARDOWN(server)
{
	vstate_teardown(&self->v);
}

/* Tests of one certificate each. */
FIXTURE(verify)
{
	struct vstate v;
};

FIXTURE_SETUP(verify)
{
	vstate_setup(&self->v);
}

FIXTURE_TEARDOWN(verify)
{
	vstate_teardown(&self->v);
}

TEST_F(server, good_server_chain)
{
	static const char *const hosts[] = { "localhost", "127.0.0.1", "::1", NULL };
	FILE *f = fopen(cert_path(variant->name, "key"), "r");
	EVP_PKEY *priv = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	ASSERT_NONNULL(priv);
	set_chain(&self->v, variant->name, NULL);
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		ASSERT_EQ(0, run_verify(&self->v, 1, hosts[i]));
		EXPECT_STREQ("", self->v.err);
		ASSERT_NONNULL(self->v.key);
		EXPECT_EQ(1, EVP_PKEY_is_a(self->v.key, variant->key_type));
		EXPECT_EQ(1, EVP_PKEY_eq(priv, self->v.key)); /* the leaf's own key */
		EXPECT_STREQ("CN=localhost", self->v.subject);
	}
	EVP_PKEY_free(priv);
}

TEST_F(server, with_root_in_chain)
{
	/* Peers may send the root too (§4.4.2 allows omitting it); it changes nothing. */
	set_chain(&self->v, variant->name, "ca", NULL);
	ASSERT_EQ(0, run_verify(&self->v, 1, "localhost"));
}

TEST_F(server, not_for_this_host)
{
	static const char *const hosts[] = { "otherhost", "localhost.example", "127.0.0.2",
					     "::2", "wrong.example" };
	set_chain(&self->v, variant->name, NULL);
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		char want[128];
		EXPECT_EQ(KTLS_EBADCERT, run_verify(&self->v, 1, hosts[i]));
		EXPECT_NULL(self->v.key);
		snprintf(want, sizeof(want), "not valid for host '%s'", hosts[i]);
		EXPECT_NONNULL(strstr(self->v.err, want));
	}
}

TEST_F(server, server_cert_is_not_a_client_cert)
{
	set_chain(&self->v, variant->name, NULL);
	EXPECT_EQ(KTLS_EBADCERT, run_verify(&self->v, 0, NULL));
	EXPECT_NONNULL(strstr(self->v.err, "purpose"));
}

TEST_F(server, hashed_ca_directory)
{
	FILE *f = fopen(cert_path("ca", "pem"), "r");
	X509 *ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	char path[PATH_MAX];
	char err[256] = "";

	if (f)
		fclose(f);
	ASSERT_NONNULL(ca);
	snprintf(self->v.dir, sizeof(self->v.dir), "/tmp/ktls-x509-dir-XXXXXX");
	ASSERT_NONNULL(mkdtemp(self->v.dir));
	snprintf(self->v.link, sizeof(self->v.link), "%s/%08lx.0", self->v.dir,
		 X509_NAME_hash_ex(X509_get_subject_name(ca), NULL, NULL, NULL));
	X509_free(ca);
	ASSERT_NONNULL(realpath(cert_path("ca", "pem"), path));
	ASSERT_EQ(0, symlink(path, self->v.link));

	X509_STORE_free(self->v.store);
	self->v.store = NULL;
	ASSERT_EQ(0, ktls_trust_load(&self->v.store, NULL, self->v.dir, err, sizeof(err)));
	set_chain(&self->v, variant->name, NULL);
	ASSERT_EQ(0, run_verify(&self->v, 1, "localhost"));
}

TEST_F(server, empty_trust_store_is_unknown_ca)
{
	X509_STORE_free(self->v.store);
	self->v.store = X509_STORE_new();
	ASSERT_NONNULL(self->v.store);
	set_chain(&self->v, variant->name, NULL);
	EXPECT_EQ(KTLS_EUNKNOWNCA, run_verify(&self->v, 1, "localhost"));
}

TEST_F(verify, expired)
{
	set_chain(&self->v, "expired", NULL);
	EXPECT_EQ(KTLS_ECERTEXPIRED, run_verify(&self->v, 1, "localhost"));
	EXPECT_NULL(self->v.key);
	EXPECT_NONNULL(strstr(self->v.err, "certificate verify failed"));
	EXPECT_NONNULL(strstr(self->v.err, "expired"));
}

TEST_F(verify, wrong_host)
{
	set_chain(&self->v, "wrong-host", NULL);
	EXPECT_EQ(KTLS_EBADCERT, run_verify(&self->v, 1, "localhost"));
	EXPECT_NONNULL(strstr(self->v.err, "certificate is not valid for host 'localhost'"));
	EXPECT_EQ(KTLS_EBADCERT, run_verify(&self->v, 1, "127.0.0.1"));
	EXPECT_NONNULL(strstr(self->v.err, "'127.0.0.1'"));
	/* the name it is for, and no name at all, are fine */
	EXPECT_EQ(0, run_verify(&self->v, 1, "wrong.example"));
	EXPECT_STREQ("CN=wrong.example", self->v.subject);
	EXPECT_EQ(0, run_verify(&self->v, 1, NULL));
}

TEST_F(verify, unknown_ca)
{
	set_chain(&self->v, "unknown-ca", NULL);
	EXPECT_EQ(KTLS_EUNKNOWNCA, run_verify(&self->v, 1, "localhost"));
	EXPECT_NONNULL(strstr(self->v.err, "unknown CA"));
	EXPECT_NONNULL(strstr(self->v.err, "issuer"));
	EXPECT_NULL(self->v.key);
}

TEST_F(verify, unknown_ca_with_its_root)
{
	/* The untrusted root sent along does not make itself trusted. */
	set_chain(&self->v, "unknown-ca", "other-ca", NULL);
	EXPECT_EQ(KTLS_EUNKNOWNCA, run_verify(&self->v, 1, "localhost"));
	EXPECT_NONNULL(strstr(self->v.err, "unknown CA"));
}

TEST_F(verify, self_signed_leaf)
{
	set_chain(&self->v, "other-ca", NULL);
	EXPECT_EQ(KTLS_EUNKNOWNCA, run_verify(&self->v, 1, NULL));
	EXPECT_TRUE(strstr(self->v.err, "self-signed") || strstr(self->v.err, "self signed"));
}

TEST_F(verify, client_cert_as_client)
{
	set_chain(&self->v, "client", NULL);
	ASSERT_EQ(0, run_verify(&self->v, 0, NULL));
	EXPECT_STREQ("CN=ktls-test-client", self->v.subject);
	EXPECT_EQ(1, EVP_PKEY_is_a(self->v.key, "EC"));
	/* the same certificate presented by a server: no serverAuth */
	EXPECT_EQ(KTLS_EBADCERT, run_verify(&self->v, 1, NULL));
	EXPECT_NONNULL(strstr(self->v.err, "purpose"));
}

static const uint8_t garbage[] = { 0x30, 0x82, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef };

TEST_F(verify, garbage_der)
{
	self->v.der[0] = malloc(sizeof(garbage));
	ASSERT_NONNULL(self->v.der[0]);
	memcpy(self->v.der[0], garbage, sizeof(garbage));
	self->v.der_len[0] = sizeof(garbage);
	self->v.n = 1;
	EXPECT_EQ(KTLS_EBADCERT, run_verify(&self->v, 1, "localhost"));
	EXPECT_NONNULL(strstr(self->v.err, "bad certificate: cannot parse"));
	EXPECT_NULL(self->v.key);
}

TEST_F(verify, truncated_and_padded_der)
{
	set_chain(&self->v, "server-ecdsa", NULL);
	self->v.der_len[0]--;
	EXPECT_EQ(KTLS_EBADCERT, run_verify(&self->v, 1, "localhost"));
	EXPECT_NONNULL(strstr(self->v.err, "cannot parse"));
	self->v.der_len[0]++;
	uint8_t *longer = realloc(self->v.der[0], self->v.der_len[0] + 1);
	ASSERT_NONNULL(longer);
	self->v.der[0] = longer;
	self->v.der[0][self->v.der_len[0]++] = 0; /* one trailing byte */
	EXPECT_EQ(KTLS_EBADCERT, run_verify(&self->v, 1, "localhost"));
	EXPECT_NONNULL(strstr(self->v.err, "cannot parse"));
}

TEST_F(verify, garbage_after_leaf)
{
	set_chain(&self->v, "server-ecdsa", NULL);
	self->v.der[1] = malloc(sizeof(garbage));
	ASSERT_NONNULL(self->v.der[1]);
	memcpy(self->v.der[1], garbage, sizeof(garbage));
	self->v.der_len[1] = sizeof(garbage);
	self->v.n = 2;
	EXPECT_EQ(KTLS_EBADCERT, run_verify(&self->v, 1, "localhost"));
	EXPECT_NONNULL(strstr(self->v.err, "cannot parse certificate 2 of 2"));
}

TEST_F(verify, bad_arguments)
{
	set_chain(&self->v, "server-ecdsa", NULL);
	self->v.n = 0;
	EXPECT_EQ(KTLS_EBADCERT, run_verify(&self->v, 1, "localhost"));
	EXPECT_NONNULL(strstr(self->v.err, "empty"));
	self->v.n = 1;
	/* an empty host must not silently mean "any host" */
	EXPECT_EQ(KTLS_EINVAL, run_verify(&self->v, 1, ""));
}

TEST_F(verify, subject_truncated)
{
	char small[4];
	EVP_PKEY *k = NULL;

	set_chain(&self->v, "server-ecdsa", NULL);
	ASSERT_EQ(0, ktls_verify_chain(self->v.store, (const uint8_t *const *)self->v.der,
				       self->v.der_len, 1, 1, "localhost", &k, small, sizeof(small),
				       NULL, 0));
	EXPECT_STREQ("CN=", small);
	EVP_PKEY_free(k);
}

/* ---- ktls_cert_leaf_key ------------------------------------------------------------------ */

TEST(leaf_key_without_verification)
{
	size_t len = 0;
	uint8_t *der = pem_der("unknown-ca", &len); /* would not verify: no matter here */
	EVP_PKEY *k = NULL;
	char subject[64];

	ASSERT_NONNULL(der);
	ASSERT_EQ(0, ktls_cert_leaf_key(der, len, &k, subject, sizeof(subject)));
	ASSERT_NONNULL(k);
	EXPECT_EQ(1, EVP_PKEY_is_a(k, "EC"));
	EXPECT_STREQ("CN=localhost", subject);
	EVP_PKEY_free(k);
	k = (EVP_PKEY *)1;
	EXPECT_EQ(KTLS_EBADCERT, ktls_cert_leaf_key(garbage, sizeof(garbage), &k, subject,
						    sizeof(subject)));
	EXPECT_NULL(k);
	EXPECT_EQ(KTLS_EBADCERT, ktls_cert_leaf_key(der, len - 1, &k, NULL, 0));
	EXPECT_EQ(KTLS_EBADCERT, ktls_cert_leaf_key(der, 0, &k, NULL, 0));
	free(der);
}

/* RFC 8448 §3's server certificate (CN=rsa, RSA-1024), from its Certificate message. */
TEST(leaf_key_rfc8448)
{
	struct vec_file *vf = vec_load("rfc8448-1rtt.txt");
	const struct vec *cert = vec_get(vf, 0, "certificate");
	EVP_PKEY *k = NULL;
	char subject[64];

	/* 4-byte header, empty context (1), list length (3), cert_data length (3) */
	ASSERT_LT(11u, cert->len);
	size_t der_len =
		(size_t)cert->bytes[8] << 16 | (size_t)cert->bytes[9] << 8 | cert->bytes[10];
	ASSERT_GE(cert->len - 11, der_len);
	ASSERT_EQ(0, ktls_cert_leaf_key(cert->bytes + 11, der_len, &k, subject, sizeof(subject)));
	EXPECT_EQ(1, EVP_PKEY_is_a(k, "RSA"));
	EXPECT_EQ(1024, EVP_PKEY_get_bits(k));
	EXPECT_STREQ("CN=rsa", subject);
	EVP_PKEY_free(k);
	vec_free(vf);
}

TEST_HARNESS_MAIN
