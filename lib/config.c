/*
 * config.c — ktls_config: the settings a handshake reads (see ktls.h). Setters validate
 * everything up front (files load, names parse), so a handshake never fails on a typo in
 * its configuration.
 */
#include "session.h"

#include "certs.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int config_fail(struct ktls_config *cfg, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int config_fail(struct ktls_config *cfg, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cfg->error, sizeof(cfg->error), fmt, ap);
	va_end(ap);
	return err;
}

/* Another name for a group or suite (IANA names come from ktls_group_name/ktls_suite_name). */
struct name_alias {
	const char *name;
	uint16_t id;
};

/* The spellings OpenSSL and others use for the groups of §4.2.7. */
static const struct name_alias group_aliases[] = {
	{ "p256", TLS_GROUP_SECP256R1 },  { "p-256", TLS_GROUP_SECP256R1 },
	{ "prime256v1", TLS_GROUP_SECP256R1 },
	{ "p384", TLS_GROUP_SECP384R1 },  { "p-384", TLS_GROUP_SECP384R1 },
	{ "p521", TLS_GROUP_SECP521R1 },  { "p-521", TLS_GROUP_SECP521R1 },
};

static const uint16_t group_ids[] = {
	TLS_GROUP_X25519,    TLS_GROUP_SECP256R1, TLS_GROUP_X448,      TLS_GROUP_SECP384R1,
	TLS_GROUP_SECP521R1, TLS_GROUP_FFDHE2048, TLS_GROUP_FFDHE3072, TLS_GROUP_FFDHE4096,
	TLS_GROUP_FFDHE6144, TLS_GROUP_FFDHE8192,
};

static int load_default_trust(struct ktls_config *cfg)
{
	X509_STORE *store = NULL;
	char err[200];
	if (ktls_trust_load(&store, NULL, NULL, err, sizeof(err)))
		return config_fail(cfg, KTLS_EINVAL, "%s", err);
	X509_STORE_free(cfg->engine.trust);
	cfg->engine.trust = store;
	return 0;
}

struct ktls_config *ktls_config_new(enum ktls_role role)
{
	struct ktls_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return NULL;
	cfg->engine.role = role;
	cfg->engine.suites[0] = KTLS_TLS_CHACHA20_POLY1305_SHA256;
	cfg->engine.suites[1] = KTLS_TLS_AES_128_GCM_SHA256;
	cfg->engine.suites[2] = KTLS_TLS_AES_256_GCM_SHA384;
	cfg->engine.n_suites = 3; /* the CCM suites only when asked for, as in OpenSSL */
	/* the first seven of group_ids: every ECDHE group, then the two FFDHE groups strong
	 * enough (RFC 7919 §A) yet cheap enough for a default; the client's key share is for
	 * x25519 alone, the rest cost a HelloRetryRequest only where a server needs them */
	memcpy(cfg->engine.groups, group_ids, KTLS_DEFAULT_GROUPS * sizeof(group_ids[0]));
	cfg->engine.n_groups = KTLS_DEFAULT_GROUPS;
	cfg->trace_fd = -1;
	cfg->keylog_fd = -1;
	cfg->engine.verify_name = true;
	cfg->engine.middlebox_compat = true;
	cfg->offload = KTLS_OFFLOAD_BOTH;
	ktls_limits_default(&cfg->engine.limits);
	cfg->engine.ticket_count = role == KTLS_ROLE_SERVER ? 2 : 0;
	cfg->engine.ticket_lifetime_s = 7200;
	if (role == KTLS_ROLE_SERVER && ktls_config_rotate_ticket_key(cfg)) {
		ktls_config_free(cfg);
		return NULL;
	}
	cfg->setsockopt_fn = setsockopt;
	cfg->sendmsg_fn = sendmsg;
	if (role == KTLS_ROLE_CLIENT && load_default_trust(cfg)) {
		ktls_config_free(cfg);
		return NULL;
	}
	return cfg;
}

void ktls_config_free(struct ktls_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->engine.n_chains; i++)
		ktls_cert_chain_free(&cfg->engine.chains[i]);
	free(cfg->engine.chains);
	X509_STORE_free(cfg->engine.trust);
	free(cfg->engine.server_name);
	for (size_t i = 0; i < cfg->engine.n_alpn; i++)
		free(cfg->engine.alpn[i]);
	if (cfg->keylog_fd >= 0)
		close(cfg->keylog_fd);
	sodium_memzero(cfg->engine.ticket_keys, sizeof(cfg->engine.ticket_keys));
	free(cfg);
}

const char *ktls_config_error(const struct ktls_config *cfg)
{
	return cfg ? cfg->error : "no configuration";
}

/* Loads a chain and key into *chain, or leaves the reason in cfg->error. */
static int load_chain(struct ktls_config *cfg, struct ktls_cert_chain *chain, const char *cert_file,
		      const char *key_file, const char *passphrase)
{
	char err[300];
	if (!cert_file || !key_file)
		return config_fail(cfg, KTLS_EINVAL, "a certificate needs both a chain file and a key file");
	int rc = ktls_cert_chain_load(chain, cert_file, key_file, passphrase, err, sizeof(err));
	return rc ? config_fail(cfg, rc, "%s", err) : 0;
}

int ktls_config_set_cert(struct ktls_config *cfg, const char *cert_file, const char *key_file)
{
	struct ktls_cert_chain chain;
	int rc = load_chain(cfg, &chain, cert_file, key_file, NULL);
	if (rc)
		return rc;
	if (!cfg->engine.n_chains)
		return ktls_config_add_cert_chain(cfg, &chain);
	ktls_cert_chain_free(&cfg->engine.chains[0]);
	cfg->engine.chains[0] = chain;
	return 0;
}

int ktls_config_add_cert(struct ktls_config *cfg, const char *cert_file, const char *key_file,
			 const char *passphrase)
{
	struct ktls_cert_chain chain;
	int rc = load_chain(cfg, &chain, cert_file, key_file, passphrase);
	return rc ? rc : ktls_config_add_cert_chain(cfg, &chain);
}

/* Appends a loaded chain (taken, also on failure). Returns 0 or KTLS_ENOMEM. */
int ktls_config_add_cert_chain(struct ktls_config *cfg, struct ktls_cert_chain *chain)
{
	struct ktls_cert_chain *more = realloc(cfg->engine.chains, (cfg->engine.n_chains + 1) * sizeof(*more));
	if (!more) {
		ktls_cert_chain_free(chain);
		return config_fail(cfg, KTLS_ENOMEM, "out of memory");
	}
	cfg->engine.chains = more;
	cfg->engine.chains[cfg->engine.n_chains++] = *chain;
	return 0;
}

int ktls_config_set_ca(struct ktls_config *cfg, const char *ca_file, const char *ca_dir)
{
	X509_STORE *store = NULL;
	char err[200];
	int rc = ktls_trust_load(&store, ca_file, ca_dir, err, sizeof(err));
	if (rc)
		return config_fail(cfg, rc, "%s", err);
	X509_STORE_free(cfg->engine.trust);
	cfg->engine.trust = store;
	return 0;
}

int ktls_config_set_insecure(struct ktls_config *cfg, int insecure)
{
	cfg->engine.insecure = insecure != 0;
	return 0;
}

int ktls_config_set_middlebox_compat(struct ktls_config *cfg, int on)
{
	cfg->engine.middlebox_compat = on != 0;
	return 0;
}

int ktls_config_set_hrr_cookie(struct ktls_config *cfg, int on)
{
	cfg->engine.hrr_cookie = on != 0;
	return 0;
}

static int set_string(struct ktls_config *cfg, char **dst, const char *src)
{
	char *copy = NULL;
	if (src && !(copy = strdup(src)))
		return config_fail(cfg, KTLS_ENOMEM, "out of memory");
	free(*dst);
	*dst = copy;
	return 0;
}

int ktls_config_set_server_name(struct ktls_config *cfg, const char *name)
{
	if (name && (strlen(name) == 0 || strlen(name) > 253))
		return config_fail(cfg, KTLS_EINVAL, "server name must be 1 to 253 characters");
	return set_string(cfg, &cfg->engine.server_name, name);
}

/* Splits list at ',' or ':' and calls fn for each non-empty item. */
static int each_item(struct ktls_config *cfg, const char *list, int (*fn)(struct ktls_config *,
									  const char *, void *),
		     void *arg)
{
	char item[256];
	const char *p = list;
	while (*p) {
		size_t n = strcspn(p, ",:");
		if (n >= sizeof(item))
			return config_fail(cfg, KTLS_EINVAL, "list item too long in '%s'", list);
		memcpy(item, p, n);
		item[n] = 0;
		if (n) {
			int err = fn(cfg, item, arg);
			if (err)
				return err;
		}
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

struct u16_list_build {
	uint16_t *vals;
	size_t n, max;
	const char *what;
};

static int add_u16(struct ktls_config *cfg, struct u16_list_build *b, uint16_t v, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->vals[i] == v)
			return config_fail(cfg, KTLS_EINVAL, "%s '%s' listed twice", b->what, name);
	if (b->n == b->max)
		return config_fail(cfg, KTLS_EINVAL, "too many %ss", b->what);
	b->vals[b->n++] = v;
	return 0;
}

/* The id whose IANA name (name_of) or alias is name, case-insensitive; 0 for none. */
static uint16_t find_name(const char *name, const uint16_t *ids, size_t n_ids,
			  const char *(*name_of)(uint16_t), const struct name_alias *aliases,
			  size_t n_aliases)
{
	for (size_t i = 0; i < n_ids; i++)
		if (!strcasecmp(name, name_of(ids[i])))
			return ids[i];
	for (size_t i = 0; i < n_aliases; i++)
		if (!strcasecmp(name, aliases[i].name))
			return aliases[i].id;
	return 0;
}

static int parse_group(struct ktls_config *cfg, const char *name, void *arg)
{
	uint16_t g = find_name(name, group_ids, sizeof(group_ids) / sizeof(group_ids[0]),
			       ktls_group_name, group_aliases,
			       sizeof(group_aliases) / sizeof(group_aliases[0]));
	if (g)
		return add_u16(cfg, arg, g, name);
	return config_fail(cfg, KTLS_EUNSUPPORTED,
			   "unknown group '%s' (supported: x25519, secp256r1, x448, secp384r1, "
			   "secp521r1, ffdhe2048, ffdhe3072, ffdhe4096, ffdhe6144, ffdhe8192)",
			   name);
}

int ktls_config_set_groups(struct ktls_config *cfg, const char *list)
{
	uint16_t vals[KTLS_MAX_GROUPS];
	struct u16_list_build b = { vals, 0, KTLS_MAX_GROUPS, "group" };
	int err = each_item(cfg, list ? list : "", parse_group, &b);
	if (err)
		return err;
	if (!b.n)
		return config_fail(cfg, KTLS_EINVAL, "no group given");
	memcpy(cfg->engine.groups, vals, b.n * sizeof(vals[0]));
	cfg->engine.n_groups = b.n;
	return 0;
}

static int parse_suite(struct ktls_config *cfg, const char *name, void *arg)
{
	static const struct name_alias aliases[] = {
		{ "chacha20", KTLS_TLS_CHACHA20_POLY1305_SHA256 },
		{ "chacha20-poly1305", KTLS_TLS_CHACHA20_POLY1305_SHA256 },
		{ "aes128", KTLS_TLS_AES_128_GCM_SHA256 },
		{ "aes128-gcm", KTLS_TLS_AES_128_GCM_SHA256 },
		{ "aes256", KTLS_TLS_AES_256_GCM_SHA384 },
		{ "aes256-gcm", KTLS_TLS_AES_256_GCM_SHA384 },
		{ "aes128ccm", KTLS_TLS_AES_128_CCM_SHA256 },
		{ "aes128-ccm", KTLS_TLS_AES_128_CCM_SHA256 },
		{ "aes128ccm8", KTLS_TLS_AES_128_CCM_8_SHA256 },
		{ "aes128-ccm8", KTLS_TLS_AES_128_CCM_8_SHA256 },
		{ "aes128-ccm-8", KTLS_TLS_AES_128_CCM_8_SHA256 },
	};
	static const uint16_t ids[] = { KTLS_TLS_CHACHA20_POLY1305_SHA256,
					KTLS_TLS_AES_128_GCM_SHA256, KTLS_TLS_AES_256_GCM_SHA384,
					KTLS_TLS_AES_128_CCM_SHA256, KTLS_TLS_AES_128_CCM_8_SHA256 };
	uint16_t id = find_name(name, ids, sizeof(ids) / sizeof(ids[0]), ktls_suite_name, aliases,
				sizeof(aliases) / sizeof(aliases[0]));
	if (id)
		return add_u16(cfg, arg, id, name);
	return config_fail(cfg, KTLS_EUNSUPPORTED,
			   "unknown cipher suite '%s' (supported: TLS_CHACHA20_POLY1305_SHA256, "
			   "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_AES_128_CCM_SHA256, "
			   "TLS_AES_128_CCM_8_SHA256, or chacha20, aes128, aes256, aes128ccm, "
			   "aes128ccm8)",
			   name);
}

int ktls_config_set_ciphers(struct ktls_config *cfg, const char *list)
{
	uint16_t vals[KTLS_MAX_SUITES];
	struct u16_list_build b = { vals, 0, KTLS_MAX_SUITES, "cipher suite" };
	int err = each_item(cfg, list ? list : "", parse_suite, &b);
	if (err)
		return err;
	if (!b.n)
		return config_fail(cfg, KTLS_EINVAL, "no cipher suite given");
	memcpy(cfg->engine.suites, vals, b.n * sizeof(vals[0]));
	cfg->engine.n_suites = b.n;
	return 0;
}

struct alpn_build {
	char *names[KTLS_MAX_ALPN];
	size_t n;
};

static int parse_alpn(struct ktls_config *cfg, const char *name, void *arg)
{
	struct alpn_build *b = arg;
	if (strlen(name) > 255)
		return config_fail(cfg, KTLS_EINVAL, "ALPN name longer than 255 bytes");
	if (b->n == KTLS_MAX_ALPN)
		return config_fail(cfg, KTLS_EINVAL, "more than %d ALPN names", KTLS_MAX_ALPN);
	if (!(b->names[b->n] = strdup(name)))
		return config_fail(cfg, KTLS_ENOMEM, "out of memory");
	b->n++;
	return 0;
}

int ktls_config_set_alpn(struct ktls_config *cfg, const char *list)
{
	struct alpn_build b = { { 0 }, 0 };
	/* ALPN names may contain ':' in theory, but not in practice; ',' separates here. */
	char *copy = NULL;
	int err = 0;
	if (list) {
		if (!(copy = strdup(list)))
			return config_fail(cfg, KTLS_ENOMEM, "out of memory");
		for (char *save, *tok = strtok_r(copy, ",", &save); tok && !err;
		     tok = strtok_r(NULL, ",", &save))
			err = parse_alpn(cfg, tok, &b);
		free(copy);
	}
	if (err) {
		for (size_t i = 0; i < b.n; i++)
			free(b.names[i]);
		return err;
	}
	for (size_t i = 0; i < cfg->engine.n_alpn; i++)
		free(cfg->engine.alpn[i]);
	memcpy(cfg->engine.alpn, b.names, sizeof(b.names));
	cfg->engine.n_alpn = b.n;
	return 0;
}

int ktls_config_set_client_auth(struct ktls_config *cfg, enum ktls_client_auth mode)
{
	if (mode != KTLS_CLIENT_AUTH_NONE && mode != KTLS_CLIENT_AUTH_OPTIONAL &&
	    mode != KTLS_CLIENT_AUTH_REQUIRED)
		return config_fail(cfg, KTLS_EINVAL, "unknown client authentication mode");
	cfg->engine.client_auth = mode;
	if (mode != KTLS_CLIENT_AUTH_NONE && !cfg->engine.trust)
		return load_default_trust(cfg);
	return 0;
}

int ktls_config_set_keylog(struct ktls_config *cfg, const char *path)
{
	int fd = -1;
	if (path) {
		struct stat st;
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == ELOOP)
			return config_fail(cfg, KTLS_EINVAL, "key log %s is a symbolic link: refused "
					   "(secrets must not be sent where a link points)", path);
		if (fd < 0)
			return config_fail(cfg, KTLS_EINVAL, "cannot open key log %s: %s", path,
					   strerror(errno));
		if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
			bool regular = S_ISREG(st.st_mode);
			close(fd);
			if (!regular)
				return config_fail(cfg, KTLS_EINVAL, "key log %s is not a regular file", path);
			return config_fail(cfg, KTLS_EINVAL, "key log %s is open to group or others "
					   "(mode %04o): it receives secrets, so it must be 0600",
					   path, (unsigned)(st.st_mode & 07777));
		}
	}
	if (cfg->keylog_fd >= 0)
		close(cfg->keylog_fd);
	cfg->keylog_fd = fd;
	return 0;
}

int ktls_config_set_keylog_from_env(struct ktls_config *cfg)
{
	const char *path = getenv("SSLKEYLOGFILE");
	return path && *path ? ktls_config_set_keylog(cfg, path) : 0;
}

int ktls_config_set_verify_name(struct ktls_config *cfg, int on)
{
	cfg->engine.verify_name = on != 0;
	return 0;
}

int ktls_config_set_trace(struct ktls_config *cfg, int fd)
{
	cfg->trace_fd = fd;
	return 0;
}

int ktls_config_set_offload(struct ktls_config *cfg, enum ktls_offload_mode mode, int required)
{
	if (mode != KTLS_OFFLOAD_BOTH && mode != KTLS_OFFLOAD_TX && mode != KTLS_OFFLOAD_RX &&
	    mode != KTLS_OFFLOAD_NONE)
		return config_fail(cfg, KTLS_EINVAL, "unknown offload mode");
	if (mode == KTLS_OFFLOAD_NONE && required)
		return config_fail(cfg, KTLS_EINVAL, "offload cannot be both off and required");
	cfg->offload = mode;
	cfg->offload_required = required != 0;
	return 0;
}

int ktls_config_set_offload_flags(struct ktls_config *cfg, unsigned flags)
{
	if (flags & ~(unsigned)(KTLS_OFFLOAD_TX_ZEROCOPY | KTLS_OFFLOAD_RX_NO_PAD))
		return config_fail(cfg, KTLS_EINVAL, "unknown offload flags 0x%x", flags);
	cfg->offload_flags = flags;
	return 0;
}

int ktls_config_set_key_limit(struct ktls_config *cfg, uint64_t records)
{
	if (records && records < KTLS_KEY_LIMIT_MIN)
		return config_fail(cfg, KTLS_EINVAL, "a key limit of %llu records is below the "
				   "minimum of %d", (unsigned long long)records, KTLS_KEY_LIMIT_MIN);
	cfg->key_limit = records;
	return 0;
}

void ktls_limits_default(struct ktls_limits *l)
{
	l->max_handshake_message = KTLS_MAX_CLIENT_HELLO;
	l->max_chain_length = 10;
	l->max_chain_bytes = 64 * 1024;
	l->max_extensions = KTLS_MAX_EXTENSIONS;
	/* BoringSSL's numbers: enough for any honest peer, and a flood ends quickly */
	l->max_empty_records = 32;
	l->max_warning_alerts = 4;
	l->max_key_updates = 32;
	l->max_client_hello = KTLS_MAX_CLIENT_HELLO;
	l->handshake_timeout_ms = 10000;
}

int ktls_config_set_limits(struct ktls_config *cfg, const struct ktls_limits *l)
{
	if (!l->max_handshake_message || l->max_handshake_message > KTLS_MAX_HANDSHAKE_MESSAGE)
		return config_fail(cfg, KTLS_EINVAL, "max_handshake_message must be 1..%d",
				   KTLS_MAX_HANDSHAKE_MESSAGE);
	if (!l->max_chain_length || l->max_chain_length > KTLS_MAX_CHAIN)
		return config_fail(cfg, KTLS_EINVAL, "max_chain_length must be 1..%d", KTLS_MAX_CHAIN);
	if (!l->max_chain_bytes)
		return config_fail(cfg, KTLS_EINVAL, "max_chain_bytes must not be 0");
	if (!l->max_extensions || l->max_extensions > KTLS_MAX_EXTENSIONS)
		return config_fail(cfg, KTLS_EINVAL, "max_extensions must be 1..%d", KTLS_MAX_EXTENSIONS);
	if (!l->max_client_hello || l->max_client_hello > KTLS_MAX_CLIENT_HELLO)
		return config_fail(cfg, KTLS_EINVAL, "max_client_hello must be 1..%d",
				   KTLS_MAX_CLIENT_HELLO);
	if (l->max_empty_records > 65535 || l->max_warning_alerts > 65535 ||
	    l->max_key_updates > 65535)
		return config_fail(cfg, KTLS_EINVAL,
				   "max_empty_records, max_warning_alerts and max_key_updates must be 0..65535");
	cfg->engine.limits = *l;
	return 0;
}

int ktls_config_set_tickets(struct ktls_config *cfg, unsigned count, unsigned lifetime_s)
{
	if (count > KTLS_TICKETS_PER_HANDSHAKE_MAX)
		return config_fail(cfg, KTLS_EINVAL, "at most %d tickets per connection",
				   KTLS_TICKETS_PER_HANDSHAKE_MAX);
	/* §4.6.1: ticket_lifetime MUST NOT exceed 604800 seconds (7 days) */
	if (count && (lifetime_s == 0 || lifetime_s > 604800))
		return config_fail(cfg, KTLS_EINVAL, "ticket lifetime must be 1..604800 seconds");
	cfg->engine.ticket_count = count;
	cfg->engine.ticket_lifetime_s = lifetime_s;
	return 0;
}

int ktls_config_rotate_ticket_key(struct ktls_config *cfg)
{
	uint8_t key[KTLS_TICKET_KEY_LEN];
	if (sodium_init() < 0)
		return config_fail(cfg, KTLS_ECRYPTO, "libsodium failed to initialise");
	randombytes_buf(key, sizeof(key));
	cfg->engine.ticket_keys[1] = cfg->engine.ticket_keys[0];
	ktls_ticket_key_init(&cfg->engine.ticket_keys[0], key);
	sodium_memzero(key, sizeof(key));
	return 0;
}

int ktls_config_set_ticket_key_file(struct ktls_config *cfg, const char *path)
{
	uint8_t keys[2 * KTLS_TICKET_KEY_LEN + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return config_fail(cfg, KTLS_EINVAL, "cannot open ticket key file %s", path);
	ssize_t n = read(fd, keys, sizeof(keys));
	close(fd);
	if (n != KTLS_TICKET_KEY_LEN && n != 2 * KTLS_TICKET_KEY_LEN) {
		sodium_memzero(keys, sizeof(keys));
		return config_fail(cfg, KTLS_EINVAL,
				   "ticket key file %s must hold 32 bytes (current key) or 64 "
				   "(current, previous), e.g. head -c 64 /dev/urandom", path);
	}
	memset(cfg->engine.ticket_keys, 0, sizeof(cfg->engine.ticket_keys));
	ktls_ticket_key_init(&cfg->engine.ticket_keys[0], keys);
	if (n == 2 * KTLS_TICKET_KEY_LEN)
		ktls_ticket_key_init(&cfg->engine.ticket_keys[1], keys + KTLS_TICKET_KEY_LEN);
	sodium_memzero(keys, sizeof(keys));
	return 0;
}
