/*
 * hs_client.c — the TLS 1.3 client state machine (RFC 8446 §2, §A.1):
 *
 *   START --ClientHello--> WAIT_SH --ServerHello--> WAIT_EE --EE--> WAIT_CERT_CR
 *     ^                      |                                  |CertificateRequest
 *     +--HelloRetryRequest---+                     Certificate  v
 *                                     WAIT_CV <------------- WAIT_CERT
 *                                        |CertificateVerify
 *                                        v
 *                                  WAIT_FINISHED --Finished--> [Certificate, CertificateVerify,]
 *                                                              Finished --> CONNECTED
 *
 * The dispatch table in handshake.c decides which message each state accepts; the handlers
 * here check its contents and move on.
 */
#include "session.h"

#include "sig.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <string.h>

/* Extensions a server may send in each message, and which of those we must have asked for
 * (§4.2 table; §4.1.4 for the HelloRetryRequest cookie). */
#define SH_ALLOWED (KTLS_EXT_BIT_SUPPORTED_VERSIONS | KTLS_EXT_BIT_KEY_SHARE | \
		    KTLS_EXT_BIT_PRE_SHARED_KEY)
#define HRR_ALLOWED (KTLS_EXT_BIT_SUPPORTED_VERSIONS | KTLS_EXT_BIT_KEY_SHARE | KTLS_EXT_BIT_COOKIE)
#define EE_ALLOWED (KTLS_EXT_BIT_SERVER_NAME | KTLS_EXT_BIT_SUPPORTED_GROUPS | KTLS_EXT_BIT_ALPN | \
		    KTLS_EXT_BIT_EARLY_DATA)
#define CR_ALLOWED (KTLS_EXT_BIT_SIGNATURE_ALGORITHMS | KTLS_EXT_BIT_SIGNATURE_ALGORITHMS_CERT | \
		    KTLS_EXT_BIT_CERTIFICATE_AUTHORITIES)

/* What our ClientHello offered. */
static uint32_t offered_extensions(const struct ktls_session *s)
{
	uint32_t bits = KTLS_EXT_BIT_SUPPORTED_GROUPS | KTLS_EXT_BIT_SIGNATURE_ALGORITHMS |
			KTLS_EXT_BIT_SUPPORTED_VERSIONS | KTLS_EXT_BIT_KEY_SHARE;
	if (s->has_server_name)
		bits |= KTLS_EXT_BIT_SERVER_NAME;
	if (s->cfg->n_alpn)
		bits |= KTLS_EXT_BIT_ALPN;
	if (s->cookie_len)
		bits |= KTLS_EXT_BIT_COOKIE;
	if (s->psk_offered)
		bits |= KTLS_EXT_BIT_PRE_SHARED_KEY;
	return bits;
}

/* §4.2: an extension not allowed in this message is illegal_parameter; one we did not ask
 * for (or do not know) is unsupported_extension. */
static int check_extensions(struct ktls_session *s, const char *msg, uint32_t seen,
			    uint32_t allowed, uint32_t offered)
{
	if (seen & KTLS_EXT_BIT_UNKNOWN)
		return ktls_hs_fail(s, KTLS_EUNSUPPORTEDEXT, "%s carries an extension we did not offer", msg);
	if (seen & ~allowed)
		return ktls_hs_fail(s, KTLS_EILLEGAL, "%s carries an extension not allowed there", msg);
	if (seen & ~offered)
		return ktls_hs_fail(s, KTLS_EUNSUPPORTEDEXT, "%s answers an extension we did not offer", msg);
	return 0;
}

static bool is_ip_literal(const char *name)
{
	uint8_t addr[16];
	return inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1;
}

static bool offered_suite(const struct ktls_session *s, uint16_t suite)
{
	for (size_t i = 0; i < s->cfg->n_suites; i++)
		if (s->cfg->suites[i] == suite)
			return true;
	return false;
}

static bool offered_group(const struct ktls_session *s, uint16_t group)
{
	for (size_t i = 0; i < s->cfg->n_groups; i++)
		if (s->cfg->groups[i] == group)
			return true;
	return false;
}

/* Appendix D.4: in compatibility mode the client "sends a dummy change_cipher_spec record
 * immediately before its second flight": before the second ClientHello after a
 * HelloRetryRequest, else before its encrypted flight; one per handshake. */
static int middlebox_ccs(struct ktls_session *s)
{
	if (!s->cfg->middlebox_compat || s->ccs_sent)
		return 0;
	s->ccs_sent = true;
	return ktls_send_ccs(s);
}

/* ClientHello (§4.1.2), first or — after a HelloRetryRequest — second. */
static int send_client_hello(struct ktls_session *s)
{
	const struct ktls_config *cfg = s->cfg;
	/* room for the longest: a key share of KTLS_KEX_PUB_MAX (ffdhe8192), a ticket as the
	 * PSK identity, a full ALPN list, and 1 KiB for everything else */
	uint8_t msg[KTLS_KEX_PUB_MAX + KTLS_TICKET_MAX + KTLS_MAX_ALPN * 256 + 1024];
	struct wire_writer w;
	struct ktls_key_share_entry share = { s->kex.group, s->kex.pub, s->kex.pub_len };
	struct ktls_client_hello_params p = {
		.random = s->client_random,
		.session_id = s->session_id,
		.session_id_len = s->session_id_len,
		.cipher_suites = cfg->suites,
		.n_cipher_suites = cfg->n_suites,
		.groups = cfg->groups,
		.n_groups = cfg->n_groups,
		.key_shares = &share,
		.n_key_shares = 1,
		.signature_algorithms = ktls_sig_schemes_supported,
		.n_signature_algorithms = ktls_sig_schemes_supported_n,
		.signature_algorithms_cert = ktls_sig_schemes_cert,
		.n_signature_algorithms_cert = ktls_sig_schemes_cert_n,
		.server_name = s->has_server_name ? s->server_name : NULL,
		.alpn = (const char *const *)cfg->alpn,
		.n_alpn = cfg->n_alpn,
		.cookie = s->cookie_len ? s->cookie : NULL,
		.cookie_len = s->cookie_len,
	};
	/* §4.2.11: offer the saved session while it is fresh, for a suite we offer, and —
	 * after a HelloRetryRequest — only if its hash fits the suite the server chose */
	const struct ktls_saved_session *o = s->offer;
	const struct ktls_suite *ps = o ? ktls_suite_find(o->state.suite) : NULL;
	uint64_t now = ktls_wallclock_ms();
	size_t binders_at = 0;
	s->psk_offered = ps && offered_suite(s, ps->id) &&
			 now < o->state.issued_ms + (uint64_t)o->state.lifetime_s * 1000 &&
			 (!s->suite || s->suite->md == ps->md);
	if (s->psk_offered) {
		p.psk_identity = o->ticket;
		p.psk_identity_len = o->ticket_len;
		/* §4.2.11.1: the ticket's age in ms plus age_add, mod 2^32 */
		p.psk_obfuscated_age = (uint32_t)(now - o->state.issued_ms) + o->state.age_add;
		p.psk_binder_len = ps->hash_len;
		p.binders_at = &binders_at;
	}
	wire_writer_init(&w, msg, sizeof(msg));
	int err = ktls_encode_client_hello(&w, &p);
	if (!err && s->psk_offered) {
		/* §4.2.11.2: the binder is an HMAC over the ClientHello up to the binders list
		 * (after a HelloRetryRequest, over ClientHello1's hash and the HRR too) */
		struct ktls_keysched ks;
		uint8_t binder_key[KTLS_MAX_HASH_LEN], hash[KTLS_MAX_HASH_LEN];
		ktls_keysched_init(&ks, ps);
		err = ktls_keysched_early(&ks, o->state.psk, o->state.psk_len);
		if (!err)
			err = ktls_keysched_binder_key(&ks, true, binder_key);
		if (!err)
			err = ktls_transcript_hash_extra(&s->transcript, ps->md(), msg, binders_at, hash);
		if (!err) /* binders: u16 list length, u8 binder length, the binder */
			err = ktls_finished_verify_data(ps->md(), binder_key, hash, msg + binders_at + 3);
		ktls_keysched_wipe(&ks);
		sodium_memzero(binder_key, sizeof(binder_key));
	}
	if (!err)
		err = ktls_hs_send(s, msg, w.len);
	if (err)
		return ktls_hs_fail(s, err, "cannot send ClientHello: %s", ktls_strerror(err));
	s->state = HS_CLIENT_WAIT_SH;
	s->ccs_allowed = true;
	return 0;
}

int ktls_client_start(struct ktls_session *s)
{
	const struct ktls_config *cfg = s->cfg;

	if (!cfg->insecure && !cfg->trust)
		return ktls_hs_fail(s, KTLS_EINVAL, "no trust store to verify the server with");
	/* without a name, any certificate the CA ever issued would do: refuse to guess */
	if (!cfg->insecure && cfg->verify_name && !cfg->server_name)
		return ktls_hs_fail(s, KTLS_EINVAL, "no server name to check the certificate against: "
				    "set one (ktls_config_set_server_name), or turn the check off "
				    "(ktls_config_set_verify_name)");
	if (cfg->server_name) {
		snprintf(s->server_name, sizeof(s->server_name), "%s", cfg->server_name);
		/* RFC 6066 §3: literal IP addresses are not sent as SNI */
		s->has_server_name = !is_ip_literal(cfg->server_name);
	}
	randombytes_buf(s->client_random, sizeof(s->client_random));
	/* §D.4: a non-empty legacy_session_id puts the server in middlebox compatibility mode */
	s->session_id_len = cfg->middlebox_compat ? sizeof(s->session_id) : 0;
	randombytes_buf(s->session_id, s->session_id_len);
	int err = ktls_kex_generate(&s->kex, cfg->groups[0]);
	if (err)
		return ktls_hs_fail(s, err, "cannot make a %s key share: %s",
				    ktls_group_name(cfg->groups[0]), ktls_strerror(err));
	ktls_trace(s, "--- client: offering %zu suite(s), key share %s", cfg->n_suites,
		   ktls_group_name(cfg->groups[0]));
	return send_client_hello(s);
}

/* §4.1.4 */
static int on_hello_retry_request(struct ktls_session *s, const struct ktls_server_hello *hrr,
				  const uint8_t *msg, size_t len)
{
	int err;

	if (s->hello_retry)
		return ktls_hs_fail(s, KTLS_EUNEXPECTED, "second HelloRetryRequest");
	err = check_extensions(s, "HelloRetryRequest", hrr->ext_seen, HRR_ALLOWED,
			       offered_extensions(s) | KTLS_EXT_BIT_COOKIE);
	if (err)
		return err;
	if (!(hrr->ext_seen & KTLS_EXT_BIT_KEY_SHARE) && !(hrr->ext_seen & KTLS_EXT_BIT_COOKIE))
		return ktls_hs_fail(s, KTLS_EILLEGAL, "HelloRetryRequest would not change the ClientHello");
	if (hrr->ext_seen & KTLS_EXT_BIT_KEY_SHARE) {
		if (!offered_group(s, hrr->selected_group))
			return ktls_hs_fail(s, KTLS_EILLEGAL,
					    "HelloRetryRequest selects group 0x%04x that we did not offer",
					    hrr->selected_group);
		if (hrr->selected_group == s->kex.group)
			return ktls_hs_fail(s, KTLS_EILLEGAL,
					    "HelloRetryRequest asks for the key share we already sent");
	}
	s->hello_retry = true;
	/* §4.4.1: ClientHello1 becomes message_hash, then the HRR joins the transcript */
	err = ktls_transcript_select(&s->transcript, s->suite->md());
	if (!err)
		err = ktls_transcript_hrr_rewrite(&s->transcript);
	if (!err)
		err = ktls_transcript_update(&s->transcript, msg, len);
	if (err)
		return ktls_hs_fail(s, err, "transcript: %s", ktls_strerror(err));
	if (hrr->cookie_len > sizeof(s->cookie))
		return ktls_hs_fail(s, KTLS_EILLEGAL, "HelloRetryRequest cookie of %zu bytes is too long",
				    hrr->cookie_len);
	if (hrr->cookie_len)
		memcpy(s->cookie, hrr->cookie, hrr->cookie_len);
	s->cookie_len = hrr->cookie_len;
	if (hrr->ext_seen & KTLS_EXT_BIT_KEY_SHARE) {
		ktls_kex_free(&s->kex);
		err = ktls_kex_generate(&s->kex, hrr->selected_group);
		if (err)
			return ktls_hs_fail(s, err, "cannot make a key share: %s", ktls_strerror(err));
	}
	ktls_trace(s, "--- HelloRetryRequest: retrying with key share %s%s",
		   ktls_group_name(s->kex.group), s->cookie_len ? " and the server's cookie" : "");
	err = middlebox_ccs(s);
	if (err)
		return ktls_hs_fail(s, err, "cannot send change_cipher_spec: %s", ktls_strerror(err));
	return send_client_hello(s);
}

int ktls_client_on_server_hello(struct ktls_session *s, const uint8_t *msg, size_t len)
{
	struct ktls_server_hello sh;
	uint8_t shared[KTLS_KEX_SHARED_MAX];
	size_t shared_len;

	int err = ktls_decode_server_hello(msg + TLS_HANDSHAKE_HEADER_LEN,
					   len - TLS_HANDSHAKE_HEADER_LEN, &sh);
	if (err)
		return ktls_hs_fail(s, err, "malformed ServerHello");
	err = ktls_hs_check_extensions(s, "ServerHello", sh.n_extensions);
	if (err)
		return err;
	/* Appendix D.5: legacy_version 0x0300 or less "MUST" get protocol_version */
	if (sh.legacy_version <= 0x0300)
		return ktls_hs_fail(s, KTLS_EVERSION, "ServerHello legacy_version 0x%04x is SSL 3.0 or older",
				    sh.legacy_version);
	/* §4.1.3, §4.2.1: without supported_versions the server speaks TLS 1.2 or older */
	if (!(sh.ext_seen & KTLS_EXT_BIT_SUPPORTED_VERSIONS))
		return ktls_hs_fail(s, KTLS_EVERSION, "server does not support TLS 1.3 (it chose 0x%04x)",
				    sh.legacy_version);
	if (sh.selected_version != TLS_VERSION_1_3)
		return ktls_hs_fail(s, KTLS_EILLEGAL, "server selected version 0x%04x", sh.selected_version);
	if (sh.session_id_echo_len != s->session_id_len ||
	    memcmp(sh.session_id_echo, s->session_id, s->session_id_len))
		return ktls_hs_fail(s, KTLS_EILLEGAL, "ServerHello does not echo our session id");
	if (sh.compression_method != 0)
		return ktls_hs_fail(s, KTLS_EILLEGAL, "ServerHello selects compression");
	if (!offered_suite(s, sh.cipher_suite))
		return ktls_hs_fail(s, KTLS_EILLEGAL, "server chose cipher suite 0x%04x that we did not offer",
				    sh.cipher_suite);
	/* §4.1.4: the ServerHello after a HelloRetryRequest keeps its suite */
	if (s->suite && s->suite->id != sh.cipher_suite)
		return ktls_hs_fail(s, KTLS_EILLEGAL, "ServerHello changes the suite HelloRetryRequest chose");
	s->suite = ktls_suite_find(sh.cipher_suite);
	if (sh.is_hello_retry_request)
		return on_hello_retry_request(s, &sh, msg, len);

	err = check_extensions(s, "ServerHello", sh.ext_seen, SH_ALLOWED, offered_extensions(s));
	if (err)
		return err;
	if (!(sh.ext_seen & KTLS_EXT_BIT_KEY_SHARE))
		return ktls_hs_fail(s, KTLS_EMISSINGEXT, "ServerHello has no key_share");
	if (sh.key_share.group != s->kex.group)
		return ktls_hs_fail(s, KTLS_EILLEGAL, "server's key share is for group 0x%04x, not ours",
				    sh.key_share.group);
	s->group = s->kex.group;
	err = ktls_transcript_select(&s->transcript, s->suite->md());
	if (!err)
		err = ktls_transcript_update(&s->transcript, msg, len);
	if (err)
		return ktls_hs_fail(s, err, "transcript: %s", ktls_strerror(err));
	err = ktls_kex_derive(&s->kex, sh.key_share.key_exchange, sh.key_share.key_exchange_len,
			      shared, &shared_len);
	if (err)
		return ktls_hs_fail(s, err, "server's %s key share is invalid", ktls_group_name(s->group));
	ktls_kex_free(&s->kex);

	/* §4.2.11: the server took our PSK — identity 0, the only one we offer, and a suite
	 * with the PSK's hash */
	const uint8_t *psk = NULL;
	size_t psk_len = 0;
	if (sh.ext_seen & KTLS_EXT_BIT_PRE_SHARED_KEY) {
		const struct ktls_suite *ps = ktls_suite_find(s->offer->state.suite);
		if (sh.selected_identity != 0 || !ps || ps->md != s->suite->md) {
			sodium_memzero(shared, shared_len);
			return ktls_hs_fail(s, KTLS_EILLEGAL, "server selected a PSK we cannot use");
		}
		s->psk_accepted = true;
		psk = s->offer->state.psk;
		psk_len = s->offer->state.psk_len;
		ktls_trace(s, "--- the server resumes our session: no certificates this time");
	}
	err = ktls_hs_derive_handshake_secrets(s, psk, psk_len, shared, shared_len);
	if (err)
		return err;
	err = ktls_set_rx_secret(s, s->ks.server_handshake_traffic);
	if (err)
		return s->err ? err : ktls_hs_fail(s, err, "cannot set handshake keys");
	s->state = HS_CLIENT_WAIT_EE;
	return 0;
}

int ktls_client_on_encrypted_extensions(struct ktls_session *s, const uint8_t *msg, size_t len)
{
	struct ktls_encrypted_extensions ee;
	int err = ktls_decode_encrypted_extensions(msg + TLS_HANDSHAKE_HEADER_LEN,
						   len - TLS_HANDSHAKE_HEADER_LEN, &ee);
	if (err)
		return ktls_hs_fail(s, err, "malformed EncryptedExtensions");
	err = ktls_hs_check_extensions(s, "EncryptedExtensions", ee.n_extensions);
	if (err)
		return err;
	/* supported_groups is informational and may come unasked (§4.2.7) */
	err = check_extensions(s, "EncryptedExtensions", ee.ext_seen, EE_ALLOWED,
			       offered_extensions(s) | KTLS_EXT_BIT_SUPPORTED_GROUPS);
	if (err)
		return err;
	if (ee.ext_seen & KTLS_EXT_BIT_ALPN) {
		bool ours = false;
		for (size_t i = 0; i < s->cfg->n_alpn; i++)
			ours |= strlen(s->cfg->alpn[i]) == ee.alpn_len &&
				!memcmp(s->cfg->alpn[i], ee.alpn, ee.alpn_len);
		if (!ours)
			return ktls_hs_fail(s, KTLS_EILLEGAL, "server selected an ALPN protocol we did not offer");
		memcpy(s->alpn, ee.alpn, ee.alpn_len);
		s->alpn[ee.alpn_len] = 0;
		s->has_alpn = true;
	}
	err = ktls_transcript_update(&s->transcript, msg, len);
	if (err)
		return ktls_hs_fail(s, err, "transcript: %s", ktls_strerror(err));
	/* with a PSK the server does not authenticate with a certificate (§2.2) */
	s->state = s->psk_accepted ? HS_CLIENT_WAIT_FINISHED : HS_CLIENT_WAIT_CERT_CR;
	return 0;
}

int ktls_client_on_certificate_request(struct ktls_session *s, const uint8_t *msg, size_t len)
{
	struct ktls_certificate_request cr;
	int err = ktls_decode_certificate_request(msg + TLS_HANDSHAKE_HEADER_LEN,
						  len - TLS_HANDSHAKE_HEADER_LEN, &cr);
	if (err)
		return ktls_hs_fail(s, err, "malformed CertificateRequest");
	err = ktls_hs_check_extensions(s, "CertificateRequest", cr.n_extensions);
	if (err)
		return err;
	if (cr.ext_seen & ~(CR_ALLOWED | KTLS_EXT_BIT_UNKNOWN)) /* unknown ones are ignored (§4.3.2) */
		return ktls_hs_fail(s, KTLS_EILLEGAL, "CertificateRequest carries an extension not allowed there");
	if (!(cr.ext_seen & KTLS_EXT_BIT_SIGNATURE_ALGORITHMS))
		return ktls_hs_fail(s, KTLS_EMISSINGEXT, "CertificateRequest has no signature_algorithms");
	memcpy(s->cr_context, cr.context, cr.context_len);
	s->cr_context_len = cr.context_len;
	s->cert_requested = true;
	/* Answer with our certificate if we have one whose key fits a scheme the server takes;
	 * else an empty Certificate (§4.4.2). */
	s->chain = s->cfg->n_chains ? &s->cfg->chains[0] : NULL;
	s->send_own_cert = s->chain &&
			   !ktls_sig_choose(s->chain->key, cr.signature_algorithms.p,
					    cr.signature_algorithms.n, &s->our_sig_scheme);
	err = ktls_transcript_update(&s->transcript, msg, len);
	if (err)
		return ktls_hs_fail(s, err, "transcript: %s", ktls_strerror(err));
	s->state = HS_CLIENT_WAIT_CERT;
	return 0;
}

int ktls_client_on_certificate(struct ktls_session *s, const uint8_t *msg, size_t len)
{
	bool empty;
	int err = ktls_hs_recv_certificate(s, msg, len, &empty);
	if (err)
		return err;
	s->state = HS_CLIENT_WAIT_CV;
	return 0;
}

int ktls_client_on_certificate_verify(struct ktls_session *s, const uint8_t *msg, size_t len)
{
	int err = ktls_hs_recv_certificate_verify(s, msg, len);
	if (err)
		return err;
	s->state = HS_CLIENT_WAIT_FINISHED;
	return 0;
}

int ktls_client_on_finished(struct ktls_session *s, const uint8_t *msg, size_t len)
{
	uint8_t hash[KTLS_MAX_HASH_LEN];
	int err = ktls_hs_recv_finished(s, msg, len);
	if (err)
		return err;
	s->ccs_allowed = false;
	/* §5.1: the key changes after Finished, so nothing may follow it in its record;
	 * checked before we answer with our own Finished */
	if (s->hs_in.len != s->hs_in.pos)
		return ktls_hs_fail(s, KTLS_EUNEXPECTED,
				    "handshake message crosses a key change (RFC 8446 §5.1)");

	err = ktls_hs_derive_application_secrets(s);
	if (err)
		return err;

	/* our second flight, under the client handshake traffic key */
	err = middlebox_ccs(s);
	if (err)
		return ktls_hs_fail(s, err, "cannot send change_cipher_spec: %s", ktls_strerror(err));
	err = ktls_set_tx_secret(s, s->ks.client_handshake_traffic);
	if (err)
		return ktls_hs_fail(s, err, "cannot set handshake keys");
	if (s->cert_requested) {
		err = ktls_hs_send_certificate(s, !s->send_own_cert);
		if (err)
			return err;
	}
	err = ktls_hs_send_finished(s);
	if (err)
		return err;
	err = ktls_transcript_hash(&s->transcript, hash);
	if (!err)
		err = ktls_keysched_resumption(&s->ks, hash);
	if (!err)
		err = ktls_set_tx_secret(s, s->ks.client_application_traffic);
	if (!err)
		err = ktls_set_rx_secret(s, s->ks.server_application_traffic);
	if (err)
		return s->err ? err : ktls_hs_fail(s, err, "cannot set application keys");
	ktls_trace(s, "--- handshake complete");
	s->state = HS_CONNECTED;
	return 0;
}
