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
 * The dispatch table in engine.c decides which message each state accepts; the handlers
 * here check its contents and move on.
 */
#include "engine.h"

#include "sig.h"

#include <stdio.h>
#include <stdlib.h>
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
static uint32_t offered_extensions(const struct ktls_engine *e)
{
	uint32_t bits = KTLS_EXT_BIT_SUPPORTED_GROUPS | KTLS_EXT_BIT_SIGNATURE_ALGORITHMS |
			KTLS_EXT_BIT_SUPPORTED_VERSIONS | KTLS_EXT_BIT_KEY_SHARE;
	if (e->has_server_name)
		bits |= KTLS_EXT_BIT_SERVER_NAME;
	if (e->cfg->n_alpn)
		bits |= KTLS_EXT_BIT_ALPN;
	if (e->cookie_len)
		bits |= KTLS_EXT_BIT_COOKIE;
	if (e->psk_offered)
		bits |= KTLS_EXT_BIT_PRE_SHARED_KEY;
	return bits;
}

/* §4.2: an extension not allowed in this message is illegal_parameter; one we did not ask
 * for (or do not know) is unsupported_extension. */
static int check_extensions(struct ktls_engine *e, const char *msg, uint32_t seen,
			    uint32_t allowed, uint32_t offered)
{
	if (seen & KTLS_EXT_BIT_UNKNOWN)
		return ktls_engine_fail(e, KTLS_EUNSUPPORTEDEXT, "%s carries an extension we did not offer", msg);
	if (seen & ~allowed)
		return ktls_engine_fail(e, KTLS_EILLEGAL, "%s carries an extension not allowed there", msg);
	if (seen & ~offered)
		return ktls_engine_fail(e, KTLS_EUNSUPPORTEDEXT, "%s answers an extension we did not offer", msg);
	return 0;
}

static bool offered_suite(const struct ktls_engine *e, uint16_t suite)
{
	for (size_t i = 0; i < e->cfg->n_suites; i++)
		if (e->cfg->suites[i] == suite)
			return true;
	return false;
}

static bool offered_group(const struct ktls_engine *e, uint16_t group)
{
	for (size_t i = 0; i < e->cfg->n_groups; i++)
		if (e->cfg->groups[i] == group)
			return true;
	return false;
}

/* Appendix D.4: in compatibility mode the client "sends a dummy change_cipher_spec record
 * immediately before its second flight": before the second ClientHello after a
 * HelloRetryRequest, else before its encrypted flight; one per handshake. */
static int middlebox_ccs(struct ktls_engine *e)
{
	if (!e->cfg->middlebox_compat || e->ccs_sent)
		return 0;
	e->ccs_sent = true;
	return ktls_send_ccs(e);
}

/* ClientHello (§4.1.2), first or — after a HelloRetryRequest — second. */
static int send_client_hello(struct ktls_engine *e)
{
	const struct ktls_engine_config *cfg = e->cfg;
	/* room for the longest: a key share of KTLS_KEX_PUB_MAX (ffdhe8192), a ticket as the
	 * PSK identity, a full ALPN list, and 1 KiB for everything else */
	uint8_t msg[KTLS_KEX_PUB_MAX + KTLS_TICKET_MAX + KTLS_MAX_ALPN * 256 + 1024];
	struct wire_writer w;
	struct ktls_key_share_entry share = { e->kex.group, e->kex.pub, e->kex.pub_len };
	struct ktls_client_hello_params p = {
		.random = e->client_random,
		.session_id = e->session_id,
		.session_id_len = e->session_id_len,
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
		.server_name = e->has_server_name ? e->server_name : NULL,
		.alpn = (const char *const *)cfg->alpn,
		.n_alpn = cfg->n_alpn,
		.cookie = e->cookie_len ? e->cookie : NULL,
		.cookie_len = e->cookie_len,
	};
	/* §4.2.11: offer the saved session while it is fresh, for a suite we offer, and —
	 * after a HelloRetryRequest — only if its hash fits the suite the server chose */
	const struct ktls_saved_session *o = e->offer;
	const struct ktls_suite *ps = o ? ktls_suite_find(o->state.suite) : NULL;
	uint64_t now = ktls_wallclock_ms();
	size_t binders_at = 0;
	e->psk_offered = ps && offered_suite(e, ps->id) &&
			 now < o->state.issued_ms + (uint64_t)o->state.lifetime_s * 1000 &&
			 (!e->suite || e->suite->md == ps->md);
	if (e->psk_offered) {
		p.psk_identity = o->ticket;
		p.psk_identity_len = o->ticket_len;
		/* §4.2.11.1: the ticket's age in ms plus age_add, mod 2^32 */
		p.psk_obfuscated_age = (uint32_t)(now - o->state.issued_ms) + o->state.age_add;
		p.psk_binder_len = ps->hash_len;
		p.binders_at = &binders_at;
	}
	wire_writer_init(&w, msg, sizeof(msg));
	int err = ktls_encode_client_hello(&w, &p);
	if (!err && e->psk_offered) {
		/* §4.2.11.2: the binder is an HMAC over the ClientHello up to the binders list
		 * (after a HelloRetryRequest, over ClientHello1's hash and the HRR too) */
		struct ktls_keysched ks;
		uint8_t binder_key[KTLS_MAX_HASH_LEN], hash[KTLS_MAX_HASH_LEN];
		ktls_keysched_init(&ks, ps);
		err = ktls_keysched_early(&ks, o->state.psk, o->state.psk_len);
		if (!err)
			err = ktls_keysched_binder_key(&ks, true, binder_key);
		if (!err)
			err = ktls_transcript_hash_extra(&e->transcript, ps->md(), msg, binders_at, hash);
		if (!err) /* binders: u16 list length, u8 binder length, the binder */
			err = ktls_finished_verify_data(ps->md(), binder_key, hash, msg + binders_at + 3);
		ktls_keysched_wipe(&ks);
		sodium_memzero(binder_key, sizeof(binder_key));
	}
	if (!err)
		err = ktls_hs_send(e, msg, w.len);
	if (err)
		return ktls_engine_fail(e, err, "cannot send ClientHello: %s", ktls_strerror(err));
	e->state = HS_CLIENT_WAIT_SH;
	e->ccs_allowed = true;
	return 0;
}

int ktls_client_start(struct ktls_engine *e)
{
	const struct ktls_engine_config *cfg = e->cfg;

	if (!cfg->insecure && !cfg->trust)
		return ktls_engine_fail(e, KTLS_EINVAL, "no trust store to verify the server with");
	/* without a name, any certificate the CA ever issued would do: refuse to guess */
	if (!cfg->insecure && cfg->verify_name && !cfg->server_name)
		return ktls_engine_fail(e, KTLS_EINVAL, "no server name to check the certificate against: "
				    "set one (ktls_config_set_server_name), or turn the check off "
				    "(ktls_config_set_verify_name)");
	if (cfg->server_name) {
		snprintf(e->server_name, sizeof(e->server_name), "%s", cfg->server_name);
		/* RFC 6066 §3: literal IP addresses are not sent as SNI */
		e->has_server_name = !ktls_is_ip_literal(cfg->server_name);
	}
	randombytes_buf(e->client_random, sizeof(e->client_random));
	/* §D.4: a non-empty legacy_session_id puts the server in middlebox compatibility mode */
	e->session_id_len = cfg->middlebox_compat ? sizeof(e->session_id) : 0;
	randombytes_buf(e->session_id, e->session_id_len);
	int err = ktls_kex_generate(&e->kex, cfg->groups[0]);
	if (err)
		return ktls_engine_fail(e, err, "cannot make a %s key share: %s",
				    ktls_group_name(cfg->groups[0]), ktls_strerror(err));
	ktls_trace(e, "--- client: offering %zu suite(e), key share %s", cfg->n_suites,
		   ktls_group_name(cfg->groups[0]));
	return send_client_hello(e);
}

/* §4.1.4 */
static int on_hello_retry_request(struct ktls_engine *e, const struct ktls_server_hello *hrr,
				  const uint8_t *msg, size_t len)
{
	int err;

	if (e->hello_retry)
		return ktls_engine_fail(e, KTLS_EUNEXPECTED, "second HelloRetryRequest");
	err = check_extensions(e, "HelloRetryRequest", hrr->ext_seen, HRR_ALLOWED,
			       offered_extensions(e) | KTLS_EXT_BIT_COOKIE);
	if (err)
		return err;
	if (!(hrr->ext_seen & KTLS_EXT_BIT_KEY_SHARE) && !(hrr->ext_seen & KTLS_EXT_BIT_COOKIE))
		return ktls_engine_fail(e, KTLS_EILLEGAL, "HelloRetryRequest would not change the ClientHello");
	if (hrr->ext_seen & KTLS_EXT_BIT_KEY_SHARE) {
		if (!offered_group(e, hrr->selected_group))
			return ktls_engine_fail(e, KTLS_EILLEGAL,
					    "HelloRetryRequest selects group 0x%04x that we did not offer",
					    hrr->selected_group);
		if (hrr->selected_group == e->kex.group)
			return ktls_engine_fail(e, KTLS_EILLEGAL,
					    "HelloRetryRequest asks for the key share we already sent");
	}
	e->hello_retry = true;
	/* §4.4.1: ClientHello1 becomes message_hash, then the HRR joins the transcript */
	err = ktls_transcript_select(&e->transcript, e->suite->md());
	if (!err)
		err = ktls_transcript_hrr_rewrite(&e->transcript);
	if (!err)
		err = ktls_transcript_update(&e->transcript, msg, len);
	if (err)
		return ktls_engine_fail(e, err, "transcript: %s", ktls_strerror(err));
	if (hrr->cookie_len > sizeof(e->cookie))
		return ktls_engine_fail(e, KTLS_EILLEGAL, "HelloRetryRequest cookie of %zu bytes is too long",
				    hrr->cookie_len);
	if (hrr->cookie_len)
		memcpy(e->cookie, hrr->cookie, hrr->cookie_len);
	e->cookie_len = hrr->cookie_len;
	if (hrr->ext_seen & KTLS_EXT_BIT_KEY_SHARE) {
		ktls_kex_free(&e->kex);
		err = ktls_kex_generate(&e->kex, hrr->selected_group);
		if (err)
			return ktls_engine_fail(e, err, "cannot make a key share: %s", ktls_strerror(err));
	}
	ktls_trace(e, "--- HelloRetryRequest: retrying with key share %s%s",
		   ktls_group_name(e->kex.group), e->cookie_len ? " and the server's cookie" : "");
	err = middlebox_ccs(e);
	if (err)
		return ktls_engine_fail(e, err, "cannot send change_cipher_spec: %s", ktls_strerror(err));
	return send_client_hello(e);
}

int ktls_client_on_server_hello(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	struct ktls_server_hello sh;
	uint8_t shared[KTLS_KEX_SHARED_MAX];
	size_t shared_len;

	int err = ktls_decode_server_hello(msg + TLS_HANDSHAKE_HEADER_LEN,
					   len - TLS_HANDSHAKE_HEADER_LEN, &sh);
	if (err)
		return ktls_engine_fail(e, err, "malformed ServerHello");
	err = ktls_hs_check_extensions(e, "ServerHello", sh.n_extensions);
	if (err)
		return err;
	/* Appendix D.5: legacy_version 0x0300 or less "MUST" get protocol_version */
	if (sh.legacy_version <= 0x0300)
		return ktls_engine_fail(e, KTLS_EVERSION, "ServerHello legacy_version 0x%04x is SSL 3.0 or older",
				    sh.legacy_version);
	/* §4.1.3, §4.2.1: without supported_versions the server speaks TLS 1.2 or older */
	if (!(sh.ext_seen & KTLS_EXT_BIT_SUPPORTED_VERSIONS))
		return ktls_engine_fail(e, KTLS_EVERSION, "server does not support TLS 1.3 (it chose 0x%04x)",
				    sh.legacy_version);
	if (sh.selected_version != TLS_VERSION_1_3)
		return ktls_engine_fail(e, KTLS_EILLEGAL, "server selected version 0x%04x", sh.selected_version);
	if (sh.session_id_echo_len != e->session_id_len ||
	    memcmp(sh.session_id_echo, e->session_id, e->session_id_len))
		return ktls_engine_fail(e, KTLS_EILLEGAL, "ServerHello does not echo our session id");
	if (sh.compression_method != 0)
		return ktls_engine_fail(e, KTLS_EILLEGAL, "ServerHello selects compression");
	if (!offered_suite(e, sh.cipher_suite))
		return ktls_engine_fail(e, KTLS_EILLEGAL, "server chose cipher suite 0x%04x that we did not offer",
				    sh.cipher_suite);
	/* §4.1.4: the ServerHello after a HelloRetryRequest keeps its suite */
	if (e->suite && e->suite->id != sh.cipher_suite)
		return ktls_engine_fail(e, KTLS_EILLEGAL, "ServerHello changes the suite HelloRetryRequest chose");
	e->suite = ktls_suite_find(sh.cipher_suite);
	if (sh.is_hello_retry_request)
		return on_hello_retry_request(e, &sh, msg, len);

	err = check_extensions(e, "ServerHello", sh.ext_seen, SH_ALLOWED, offered_extensions(e));
	if (err)
		return err;
	if (!(sh.ext_seen & KTLS_EXT_BIT_KEY_SHARE))
		return ktls_engine_fail(e, KTLS_EMISSINGEXT, "ServerHello has no key_share");
	if (sh.key_share.group != e->kex.group)
		return ktls_engine_fail(e, KTLS_EILLEGAL, "server's key share is for group 0x%04x, not ours",
				    sh.key_share.group);
	e->group = e->kex.group;
	err = ktls_transcript_select(&e->transcript, e->suite->md());
	if (!err)
		err = ktls_transcript_update(&e->transcript, msg, len);
	if (err)
		return ktls_engine_fail(e, err, "transcript: %s", ktls_strerror(err));
	err = ktls_kex_derive(&e->kex, sh.key_share.key_exchange, sh.key_share.key_exchange_len,
			      shared, &shared_len);
	if (err)
		return ktls_engine_fail(e, err, "server's %s key share is invalid", ktls_group_name(e->group));
	ktls_kex_free(&e->kex);

	/* §4.2.11: the server took our PSK — identity 0, the only one we offer, and a suite
	 * with the PSK's hash */
	const uint8_t *psk = NULL;
	size_t psk_len = 0;
	if (sh.ext_seen & KTLS_EXT_BIT_PRE_SHARED_KEY) {
		const struct ktls_suite *ps = ktls_suite_find(e->offer->state.suite);
		if (sh.selected_identity != 0 || !ps || ps->md != e->suite->md) {
			sodium_memzero(shared, shared_len);
			return ktls_engine_fail(e, KTLS_EILLEGAL, "server selected a PSK we cannot use");
		}
		e->psk_accepted = true;
		psk = e->offer->state.psk;
		psk_len = e->offer->state.psk_len;
		ktls_trace(e, "--- the server resumes our session: no certificates this time");
	}
	err = ktls_hs_derive_handshake_secrets(e, psk, psk_len, shared, shared_len);
	if (err)
		return err;
	err = ktls_engine_set_rx_secret(e, e->ks.server_handshake_traffic);
	if (err)
		return e->err ? err : ktls_engine_fail(e, err, "cannot set handshake keys");
	e->state = HS_CLIENT_WAIT_EE;
	return 0;
}

int ktls_client_on_encrypted_extensions(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	struct ktls_encrypted_extensions ee;
	int err = ktls_decode_encrypted_extensions(msg + TLS_HANDSHAKE_HEADER_LEN,
						   len - TLS_HANDSHAKE_HEADER_LEN, &ee);
	if (err)
		return ktls_engine_fail(e, err, "malformed EncryptedExtensions");
	err = ktls_hs_check_extensions(e, "EncryptedExtensions", ee.n_extensions);
	if (err)
		return err;
	/* supported_groups is informational and may come unasked (§4.2.7) */
	err = check_extensions(e, "EncryptedExtensions", ee.ext_seen, EE_ALLOWED,
			       offered_extensions(e) | KTLS_EXT_BIT_SUPPORTED_GROUPS);
	if (err)
		return err;
	if (ee.ext_seen & KTLS_EXT_BIT_ALPN) {
		bool ours = false;
		for (size_t i = 0; i < e->cfg->n_alpn; i++)
			ours |= strlen(e->cfg->alpn[i]) == ee.alpn_len &&
				!memcmp(e->cfg->alpn[i], ee.alpn, ee.alpn_len);
		if (!ours)
			return ktls_engine_fail(e, KTLS_EILLEGAL, "server selected an ALPN protocol we did not offer");
		memcpy(e->alpn, ee.alpn, ee.alpn_len);
		e->alpn[ee.alpn_len] = 0;
		e->has_alpn = true;
	}
	err = ktls_transcript_update(&e->transcript, msg, len);
	if (err)
		return ktls_engine_fail(e, err, "transcript: %s", ktls_strerror(err));
	/* with a PSK the server does not authenticate with a certificate (§2.2) */
	e->state = e->psk_accepted ? HS_CLIENT_WAIT_FINISHED : HS_CLIENT_WAIT_CERT_CR;
	return 0;
}

int ktls_client_on_certificate_request(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	struct ktls_certificate_request cr;
	int err = ktls_decode_certificate_request(msg + TLS_HANDSHAKE_HEADER_LEN,
						  len - TLS_HANDSHAKE_HEADER_LEN, &cr);
	if (err)
		return ktls_engine_fail(e, err, "malformed CertificateRequest");
	err = ktls_hs_check_extensions(e, "CertificateRequest", cr.n_extensions);
	if (err)
		return err;
	if (cr.ext_seen & ~(CR_ALLOWED | KTLS_EXT_BIT_UNKNOWN)) /* unknown ones are ignored (§4.3.2) */
		return ktls_engine_fail(e, KTLS_EILLEGAL, "CertificateRequest carries an extension not allowed there");
	if (!(cr.ext_seen & KTLS_EXT_BIT_SIGNATURE_ALGORITHMS))
		return ktls_engine_fail(e, KTLS_EMISSINGEXT, "CertificateRequest has no signature_algorithms");
	memcpy(e->cr_context, cr.context, cr.context_len);
	e->cr_context_len = cr.context_len;
	e->cert_requested = true;
	/* Answer with our certificate if we have one whose key fits a scheme the server takes;
	 * else an empty Certificate (§4.4.2). */
	e->chain = e->cfg->n_chains ? &e->cfg->chains[0] : NULL;
	e->send_own_cert = e->chain &&
			   !ktls_sig_choose(e->chain->key, cr.signature_algorithms.p,
					    cr.signature_algorithms.n, &e->our_sig_scheme);
	err = ktls_transcript_update(&e->transcript, msg, len);
	if (err)
		return ktls_engine_fail(e, err, "transcript: %s", ktls_strerror(err));
	e->state = HS_CLIENT_WAIT_CERT;
	return 0;
}

int ktls_client_on_certificate(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	bool empty;
	int err = ktls_hs_recv_certificate(e, msg, len, &empty);
	if (err)
		return err;
	e->state = HS_CLIENT_WAIT_CV;
	return 0;
}

int ktls_client_on_certificate_verify(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	int err = ktls_hs_recv_certificate_verify(e, msg, len);
	if (err)
		return err;
	e->state = HS_CLIENT_WAIT_FINISHED;
	return 0;
}

int ktls_client_on_finished(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	uint8_t hash[KTLS_MAX_HASH_LEN];
	int err = ktls_hs_recv_finished(e, msg, len);
	if (err)
		return err;
	e->ccs_allowed = false;
	err = ktls_hs_derive_application_secrets(e);
	/* the read key changes first: §5.1 (nothing may follow Finished in its record) is
	 * then checked before we answer with our own Finished */
	if (!err)
		err = ktls_engine_set_rx_secret(e, e->ks.server_application_traffic);
	if (err)
		return err;

	/* our second flight, under the client handshake traffic key */
	err = middlebox_ccs(e);
	if (err)
		return ktls_engine_fail(e, err, "cannot send change_cipher_spec: %s", ktls_strerror(err));
	err = ktls_engine_set_tx_secret(e, e->ks.client_handshake_traffic);
	if (err)
		return ktls_engine_fail(e, err, "cannot set handshake keys");
	if (e->cert_requested) {
		err = ktls_hs_send_certificate(e, !e->send_own_cert);
		if (err)
			return err;
	}
	err = ktls_hs_send_finished(e);
	if (err)
		return err;
	err = ktls_transcript_hash(&e->transcript, hash);
	if (!err)
		err = ktls_keysched_resumption(&e->ks, hash);
	if (!err)
		err = ktls_engine_set_tx_secret(e, e->ks.client_application_traffic);
	if (err)
		return e->err ? err : ktls_engine_fail(e, err, "cannot set application keys");
	ktls_trace(e, "--- handshake complete");
	e->state = HS_CONNECTED;
	return 0;
}

/* NewSessionTicket after the handshake (§4.6.1): the latest ticket is kept with its PSK,
 * HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce); a lifetime of 0
 * means "do not keep". */
int ktls_client_on_new_session_ticket(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	struct ktls_new_session_ticket t;
	int err = ktls_decode_new_session_ticket(msg + TLS_HANDSHAKE_HEADER_LEN,
						 len - TLS_HANDSHAKE_HEADER_LEN, &t);
	if (err)
		return ktls_engine_fail(e, err, "malformed NewSessionTicket");
	if (!t.ticket_lifetime || t.ticket_len > KTLS_TICKET_MAX)
		return 0;
	if (t.ticket_lifetime > 604800)
		return ktls_engine_fail(e, KTLS_EILLEGAL, "NewSessionTicket lifetime over 7 days");
	if (!e->saved && !(e->saved = calloc(1, sizeof(*e->saved))))
		return ktls_engine_fail(e, KTLS_ENOMEM, "out of memory");
	struct ktls_saved_session *ss = e->saved;
	memset(ss, 0, sizeof(*ss));
	err = ktls_resumption_psk(e->suite->md(), e->ks.resumption_master, t.ticket_nonce,
				  t.ticket_nonce_len, ss->state.psk);
	if (err)
		return ktls_engine_fail(e, err, "NewSessionTicket: %s", ktls_strerror(err));
	ss->state.psk_len = e->suite->hash_len;
	ss->state.suite = e->suite->id;
	ss->state.age_add = t.ticket_age_add;
	ss->state.issued_ms = ktls_wallclock_ms();
	ss->state.lifetime_s = t.ticket_lifetime;
	snprintf(ss->state.alpn, sizeof(ss->state.alpn), "%s", e->has_alpn ? e->alpn : "");
	snprintf(ss->state.sni, sizeof(ss->state.sni), "%s", e->has_server_name ? e->server_name : "");
	memcpy(ss->ticket, t.ticket, t.ticket_len);
	ss->ticket_len = t.ticket_len;
	ktls_trace(e, "--- kept a session ticket (%zu bytes, lifetime %u s)", t.ticket_len,
		   t.ticket_lifetime);
	return 0;
}
