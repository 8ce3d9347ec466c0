/*
 * hs_server.c — the TLS 1.3 server state machine (RFC 8446 §2, §A.2):
 *
 *   WAIT_CH --ClientHello--> (no usable key share: HelloRetryRequest, back to WAIT_CH)
 *           --ClientHello--> ServerHello, EncryptedExtensions, [CertificateRequest,]
 *                            Certificate, CertificateVerify, Finished
 *                  --> WAIT_CERT --Certificate--> WAIT_CV --CertificateVerify--+
 *                  |               (empty: no CertificateVerify) ------------+ |
 *                  +-----------------------------------------------> WAIT_FINISHED
 *                                                          --Finished--> CONNECTED
 *
 * Negotiation follows the server's preference order for suites and groups.
 */
#include "engine.h"

#include "sig.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Picks our first ALPN protocol that the client lists (RFC 7301 §3.2). */
static int choose_alpn(struct ktls_engine *e, const struct ktls_client_hello *ch)
{
	if (!(ch->ext_seen & KTLS_EXT_BIT_ALPN) || !e->cfg->n_alpn)
		return 0;
	for (size_t i = 0; i < e->cfg->n_alpn; i++) {
		struct wire_reader r;
		const uint8_t *name;
		size_t name_len;
		size_t want = strlen(e->cfg->alpn[i]);
		wire_reader_init(&r, ch->alpn, ch->alpn_len);
		while (wire_remaining(&r) && !wire_get_opaque(&r, 1, 1, 255, &name, &name_len)) {
			if (name_len == want && !memcmp(name, e->cfg->alpn[i], want)) {
				memcpy(e->alpn, name, name_len);
				e->alpn[name_len] = 0;
				e->has_alpn = true;
				return 0;
			}
		}
	}
	return ktls_engine_fail(e, KTLS_ENOALPN, "client offers no ALPN protocol we serve");
}

/* Appendix D.4: a client in middlebox compatibility mode (a non-empty legacy_session_id)
 * gets a dummy change_cipher_spec "immediately after [our] first handshake message", the
 * ServerHello or the HelloRetryRequest, and only one per handshake. */
static int middlebox_ccs(struct ktls_engine *e, const struct ktls_client_hello *ch)
{
	if (!ch->session_id_len || e->ccs_sent)
		return 0;
	e->ccs_sent = true;
	return ktls_send_ccs(e);
}

static int send_hello_retry_request(struct ktls_engine *e, const struct ktls_client_hello *ch,
				    const uint8_t *msg, size_t len, uint16_t group)
{
	uint8_t out[256];
	struct wire_writer w;

	e->hello_retry = true;
	e->group = group;
	/* §4.2.2: a cookie lets a server keep no state across the retry. Ours keeps its state
	 * (the session), so it sends one only when configured to, and then insists on it. */
	e->cookie_len = e->cfg->hrr_cookie ? 32 : 0;
	if (e->cookie_len)
		randombytes_buf(e->cookie, e->cookie_len);
	struct ktls_server_hello_params p = {
		.hello_retry_request = true,
		.session_id_echo = ch->session_id,
		.session_id_echo_len = ch->session_id_len,
		.cipher_suite = e->suite->id,
		.selected_group = group,
		.cookie = e->cookie_len ? e->cookie : NULL,
		.cookie_len = e->cookie_len,
	};
	/* §4.4.1: ClientHello1 is replaced by message_hash before the HRR is added */
	int err = ktls_transcript_select(&e->transcript, e->suite->md());
	if (!err)
		err = ktls_transcript_update(&e->transcript, msg, len);
	if (!err)
		err = ktls_transcript_hrr_rewrite(&e->transcript);
	wire_writer_init(&w, out, sizeof(out));
	if (!err)
		err = ktls_encode_server_hello(&w, &p);
	if (!err)
		err = ktls_hs_send(e, out, w.len);
	if (!err)
		err = middlebox_ccs(e, ch);
	if (err)
		return ktls_engine_fail(e, err, "cannot send HelloRetryRequest: %s", ktls_strerror(err));
	ktls_trace(e, "--- no usable key share: HelloRetryRequest for %s", ktls_group_name(group));
	e->ccs_allowed = true;
	return 0; /* state stays WAIT_CH */
}

/* ServerHello, then the encrypted rest of our flight. */
static int send_server_flight(struct ktls_engine *e, const struct ktls_client_hello *ch,
			      const struct ktls_key_share_entry *client_share,
			      const struct ktls_ticket_state *psk)
{
	/* out: ServerHello with our key share (up to 1024 bytes for ffdhe8192), then
	 * EncryptedExtensions and CertificateRequest */
	uint8_t out[KTLS_KEX_PUB_MAX + 512], random[32], shared[KTLS_KEX_SHARED_MAX];
	size_t shared_len;
	struct wire_writer w;

	/* the ServerHello random and an X25519 private key in one draw: one system call */
	uint8_t fresh[sizeof(random) + 32];
	randombytes_buf(fresh, sizeof(fresh));
	memcpy(random, fresh, sizeof(random));
	int err = ktls_kex_generate_from(&e->kex, e->group, fresh + sizeof(random));
	sodium_memzero(fresh, sizeof(fresh));
	if (!err)
		err = ktls_kex_derive(&e->kex, client_share->key_exchange,
				      client_share->key_exchange_len, shared, &shared_len);
	if (err == KTLS_EILLEGAL)
		return ktls_engine_fail(e, err, "client's %s key share is invalid", ktls_group_name(e->group));
	if (err)
		return ktls_engine_fail(e, err, "key exchange: %s", ktls_strerror(err));
	struct ktls_key_share_entry share = { e->group, e->kex.pub, e->kex.pub_len };
	struct ktls_server_hello_params p = {
		.random = random,
		.session_id_echo = ch->session_id,
		.session_id_echo_len = ch->session_id_len,
		.cipher_suite = e->suite->id,
		.key_share = &share,
		.psk_accepted = psk != NULL,
	};
	wire_writer_init(&w, out, sizeof(out));
	err = ktls_encode_server_hello(&w, &p);
	if (!err)
		err = ktls_hs_send(e, out, w.len);
	if (!err)
		err = middlebox_ccs(e, ch);
	ktls_kex_free(&e->kex);

	if (err) {
		sodium_memzero(shared, sizeof(shared));
		return ktls_engine_fail(e, err, "cannot send ServerHello: %s", ktls_strerror(err));
	}
	err = ktls_hs_derive_handshake_secrets(e, psk ? psk->psk : NULL, psk ? psk->psk_len : 0,
					       shared, shared_len);
	if (err)
		return err;
	err = ktls_engine_set_tx_secret(e, e->ks.server_handshake_traffic);
	if (!err)
		err = ktls_engine_set_rx_secret(e, e->ks.client_handshake_traffic);
	if (err)
		return e->err ? err : ktls_engine_fail(e, err, "cannot set handshake keys");

	/* EncryptedExtensions (§4.3.1) */
	struct ktls_encrypted_extensions_params ee = {
		.alpn = e->has_alpn ? e->alpn : NULL,
		.server_name_ack = e->has_server_name,
	};
	wire_writer_init(&w, out, sizeof(out));
	err = ktls_encode_encrypted_extensions(&w, &ee);
	if (!err)
		err = ktls_hs_send(e, out, w.len);
	/* CertificateRequest (§4.3.2), empty context; not with a PSK (§4.3.2: "Servers which
	 * are authenticating with a PSK MUST NOT send the CertificateRequest") */
	if (!err && !psk && e->cfg->client_auth != KTLS_CLIENT_AUTH_NONE) {
		struct ktls_certificate_request_params cr = {
			.signature_algorithms = ktls_sig_schemes_supported,
			.n_signature_algorithms = ktls_sig_schemes_supported_n,
			.signature_algorithms_cert = ktls_sig_schemes_cert,
			.n_signature_algorithms_cert = ktls_sig_schemes_cert_n,
		};
		wire_writer_init(&w, out, sizeof(out));
		err = ktls_encode_certificate_request(&w, &cr);
		if (!err)
			err = ktls_hs_send(e, out, w.len);
		e->cert_requested = true;
	}
	if (err)
		return ktls_engine_fail(e, err, "cannot send EncryptedExtensions: %s", ktls_strerror(err));
	err = psk ? 0 : ktls_hs_send_certificate(e, false); /* a PSK authenticates us (§2.2) */
	if (!err)
		err = ktls_hs_send_finished(e);
	if (err)
		return err;

	err = ktls_hs_derive_application_secrets(e);
	if (err)
		return err;
	err = ktls_engine_set_tx_secret(e, e->ks.server_application_traffic);
	if (err)
		return ktls_engine_fail(e, err, "cannot set application keys");
	e->state = e->cert_requested ? HS_SERVER_WAIT_CERT : HS_SERVER_WAIT_FINISHED;
	return 0;
}

/* §4.2.11: resumption. Looks at the first PSK identity the client offers: a ticket of ours
 * (current or previous key) that is unexpired, for a suite with this handshake's hash, for
 * the same server name, whose age the client reports within 10 s of ours. Anything else is
 * declined quietly — a full handshake follows. A PSK we take must come with a valid binder
 * over the partial ClientHello (§4.2.11.2), else the handshake ends with decrypt_error.
 * Returns 1 with *st filled when the PSK is taken, 0 when declined, or an error. */
static int accept_psk(struct ktls_engine *e, const struct ktls_client_hello *ch,
		      const uint8_t *msg, struct ktls_ticket_state *st)
{
	struct wire_reader r, ids, binders;
	const uint8_t *identity, *binder;
	size_t identity_len, binder_len;
	uint32_t obfuscated_age;

	if (!(ch->ext_seen & KTLS_EXT_BIT_PRE_SHARED_KEY) || !e->cfg->ticket_count)
		return 0;
	bool dhe = false;
	for (size_t i = 0; i < ch->psk_modes_len; i++)
		dhe |= ch->psk_modes[i] == TLS_PSK_DHE_KE;
	if (!dhe)
		return 0; /* psk_ke alone: we always want (EC)DHE */
	wire_reader_init(&r, ch->pre_shared_key, ch->pre_shared_key_len);
	if (wire_get_vector(&r, 2, 7, 0xffff, &ids) ||
	    wire_get_opaque(&ids, 2, 1, 0xffff, &identity, &identity_len) ||
	    wire_get_u32(&ids, &obfuscated_age) || wire_get_vector(&r, 2, 33, 0xffff, &binders) ||
	    wire_get_opaque(&binders, 1, 32, 255, &binder, &binder_len))
		return ktls_engine_fail(e, KTLS_EDECODE, "malformed pre_shared_key");

	if (ktls_ticket_open(e->cfg->ticket_keys, 2, identity, identity_len, st))
		return 0;
	const struct ktls_suite *ts = ktls_suite_find(st->suite);
	uint64_t now = ktls_wallclock_ms();
	uint32_t client_age = obfuscated_age - st->age_add; /* §4.2.11.1, mod 2^32 */
	uint64_t our_age = now > st->issued_ms ? now - st->issued_ms : 0;
	const char *sni = e->has_server_name ? e->server_name : "";
	if (!ts || ts->md != e->suite->md || now > st->issued_ms + (uint64_t)st->lifetime_s * 1000 ||
	    (client_age > our_age ? client_age - our_age : our_age - client_age) > 10000 ||
	    strcmp(sni, st->sni)) {
		ktls_trace(e, "--- ticket declined (expired, other hash, other name or odd age): full handshake");
		sodium_memzero(st, sizeof(*st));
		return 0;
	}
	/* a ticket never stands in for a certificate we require: one issued to a client that
	 * did not authenticate (or before we required it) means a full handshake, which asks */
	if (e->cfg->client_auth == KTLS_CLIENT_AUTH_REQUIRED && !st->client[0]) {
		ktls_trace(e, "--- ticket declined: it carries no client certificate, and one is required");
		sodium_memzero(st, sizeof(*st));
		return 0;
	}
	/* the binder: HMAC over the ClientHello up to the binders list, keyed from the PSK */
	struct ktls_keysched ks;
	uint8_t binder_key[KTLS_MAX_HASH_LEN], hash[KTLS_MAX_HASH_LEN], want[KTLS_MAX_HASH_LEN];
	const EVP_MD *md = e->suite->md();
	ktls_keysched_init(&ks, e->suite);
	int err = ktls_keysched_early(&ks, st->psk, st->psk_len);
	if (!err)
		err = ktls_keysched_binder_key(&ks, true, binder_key);
	if (!err)
		err = ktls_transcript_hash_extra(&e->transcript, md, msg,
						 TLS_HANDSHAKE_HEADER_LEN + ch->binders_offset, hash);
	if (!err)
		err = ktls_finished_verify_data(md, binder_key, hash, want);
	ktls_keysched_wipe(&ks);
	sodium_memzero(binder_key, sizeof(binder_key));
	int ok = !err && binder_len == e->suite->hash_len &&
		 sodium_memcmp(want, binder, binder_len) == 0;
	sodium_memzero(want, sizeof(want));
	if (err)
		return ktls_engine_fail(e, err, "PSK binder: %s", ktls_strerror(err));
	if (!ok) {
		sodium_memzero(st, sizeof(*st));
		return ktls_engine_fail(e, KTLS_EDECRYPT, "the PSK binder does not verify");
	}
	return 1;
}

int ktls_server_on_client_hello(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	const struct ktls_engine_config *cfg = e->cfg;
	struct ktls_client_hello ch;
	bool second = e->hello_retry;

	int err = ktls_decode_client_hello(msg + TLS_HANDSHAKE_HEADER_LEN,
					   len - TLS_HANDSHAKE_HEADER_LEN, &ch);
	if (err)
		return ktls_engine_fail(e, err, "malformed ClientHello");
	/* Appendix D.5: "Any endpoint receiving a Hello message with ClientHello.legacy_version
	 * ... set to 0x0300 [or less] MUST abort the handshake with a "protocol_version" alert." */
	if (ch.legacy_version <= 0x0300)
		return ktls_engine_fail(e, KTLS_EVERSION, "ClientHello legacy_version 0x%04x is SSL 3.0 or older",
				    ch.legacy_version);
	/* §4.2.1, Appendix D.2: TLS 1.3 is negotiated only through supported_versions; a hello
	 * without it (TLS 1.2 or older, whatever its extensions look like) gets protocol_version */
	if (!ktls_u16_list_has(&ch.supported_versions, TLS_VERSION_1_3))
		return ktls_engine_fail(e, KTLS_EVERSION, "client does not offer TLS 1.3");
	/* only now is it a TLS 1.3 hello, held to TLS 1.3's syntax: extensions<8..2^16-1> */
	if (ch.extensions_len < 8)
		return ktls_engine_fail(e, KTLS_EDECODE, "malformed ClientHello (extensions under 8 bytes)");
	err = ktls_hs_check_extensions(e, "ClientHello", ch.n_extensions);
	if (err)
		return err;
	/* §4.1.2: exactly one compression method, null */
	if (ch.compression_methods_len != 1 || ch.compression_methods[0] != 0)
		return ktls_engine_fail(e, KTLS_EILLEGAL, "ClientHello offers compression");
	/* §4.2.9: pre_shared_key without psk_key_exchange_modes "MUST" abort the handshake */
	if ((ch.ext_seen & KTLS_EXT_BIT_PRE_SHARED_KEY) &&
	    !(ch.ext_seen & KTLS_EXT_BIT_PSK_KEY_EXCHANGE_MODES))
		return ktls_engine_fail(e, KTLS_EMISSINGEXT,
				    "ClientHello offers a PSK without psk_key_exchange_modes");
	if (!cfg->n_chains)
		return ktls_engine_fail(e, KTLS_EINTERNAL, "server has no certificate configured");

	/* cipher suite: ours first */
	const struct ktls_suite *suite = NULL;
	for (size_t i = 0; i < cfg->n_suites && !suite; i++)
		if (ktls_u16_list_has(&ch.cipher_suites, cfg->suites[i]))
			suite = ktls_suite_find(cfg->suites[i]);
	if (!suite)
		return ktls_engine_fail(e, KTLS_EHANDSHAKE, "no cipher suite in common with the client");
	if (second && suite != e->suite)
		return ktls_engine_fail(e, KTLS_EILLEGAL, "second ClientHello changes the cipher suite");
	e->suite = suite;

	/* §9.2: without a PSK, signature_algorithms, supported_groups and key_share are required */
	if (!(ch.ext_seen & KTLS_EXT_BIT_SIGNATURE_ALGORITHMS))
		return ktls_engine_fail(e, KTLS_EMISSINGEXT, "ClientHello has no signature_algorithms");
	if (!(ch.ext_seen & KTLS_EXT_BIT_SUPPORTED_GROUPS))
		return ktls_engine_fail(e, KTLS_EMISSINGEXT, "ClientHello has no supported_groups");
	if (!(ch.ext_seen & KTLS_EXT_BIT_KEY_SHARE))
		return ktls_engine_fail(e, KTLS_EMISSINGEXT, "ClientHello has no key_share");
	/* our certificate: by the name the client asked for (RFC 6066 §3), else the default */
	if (ch.ext_seen & KTLS_EXT_BIT_SERVER_NAME && ch.server_name_len < sizeof(e->server_name)) {
		memcpy(e->server_name, ch.server_name, ch.server_name_len);
		e->server_name[ch.server_name_len] = 0;
		e->has_server_name = true;
	}
	e->chain = &cfg->chains[ktls_cert_choose(cfg->chains, cfg->n_chains,
						 e->has_server_name ? e->server_name : NULL)];
	if (e->chain != cfg->chains)
		ktls_trace(e, "--- certificate for SNI '%s': %s", e->server_name, e->chain->subject);
	if (ktls_sig_choose(e->chain->key, ch.signature_algorithms.p, ch.signature_algorithms.n,
			    &e->our_sig_scheme))
		return ktls_engine_fail(e, KTLS_EHANDSHAKE,
				    "client accepts no signature scheme our certificate can make");
	/* §4.2.8: "Clients MUST NOT offer any KeyShareEntry values for groups not listed in the
	 * client's "supported_groups" extension. Servers MAY check for violations of these rules
	 * and abort the handshake with an "illegal_parameter" alert". */
	if (!ktls_client_hello_shares_listed(&ch))
		return ktls_engine_fail(e, KTLS_EILLEGAL, "key share for a group not in supported_groups");

	/* group: ours first among the client's shares; else HelloRetryRequest for one it lists */
	struct ktls_key_share_entry share_buf, *share = NULL;
	uint16_t retry_group = 0;
	for (size_t i = 0; i < cfg->n_groups && !share; i++)
		if (ktls_client_hello_share_for_group(&ch, cfg->groups[i], &share_buf))
			share = &share_buf;
	for (size_t i = 0; i < cfg->n_groups && !share && !retry_group; i++)
		if (ktls_u16_list_has(&ch.supported_groups, cfg->groups[i]))
			retry_group = cfg->groups[i];
	if (second) {
		/* §4.1.2: the second ClientHello carries exactly the share we asked for, and
		 * echoes our cookie (§4.2.2) */
		if (ch.n_key_shares != 1 || !share || share->group != e->group)
			return ktls_engine_fail(e, KTLS_EILLEGAL,
					    "second ClientHello lacks the key share we asked for");
		if (ch.cookie_len != e->cookie_len ||
		    (e->cookie_len && sodium_memcmp(ch.cookie, e->cookie, e->cookie_len)))
			return ktls_engine_fail(e, KTLS_EILLEGAL, e->cookie_len
					    ? "second ClientHello does not echo our cookie"
					    : "second ClientHello carries a cookie we never sent");
		/* §4.2.10: "A client MUST NOT include the "early_data" extension in its
		 * followup ClientHello." */
		if (ch.early_data)
			return ktls_engine_fail(e, KTLS_EILLEGAL, "second ClientHello offers early data again");
	}
	if (!share && !retry_group)
		return ktls_engine_fail(e, KTLS_EHANDSHAKE, "no key exchange group in common with the client");
	err = choose_alpn(e, &ch);
	if (err)
		return err;
	/* §4.2.10: we never take 0-RTT; the records of a client that offered it (under keys
	 * we do not have) are skipped, up to a bound, after a HelloRetryRequest too */
	e->skip_early_data = ch.early_data;
	if (!share)
		return send_hello_retry_request(e, &ch, msg, len, retry_group);

	e->group = share->group;
	err = ktls_transcript_select(&e->transcript, suite->md());
	if (err)
		return ktls_engine_fail(e, err, "transcript: %s", ktls_strerror(err));
	/* the binder covers the transcript before this ClientHello is added whole */
	struct ktls_ticket_state psk;
	err = accept_psk(e, &ch, msg, &psk);
	if (err < 0)
		return err;
	e->psk_accepted = err == 1;
	if (e->psk_accepted && psk.client[0]) { /* who the client proved to be, back then */
		snprintf(e->peer_subject, sizeof(e->peer_subject), "%s", psk.client);
		e->has_peer_subject = true;
	}
	err = ktls_transcript_update(&e->transcript, msg, len);
	if (err)
		return ktls_engine_fail(e, err, "transcript: %s", ktls_strerror(err));
	memcpy(e->client_random, ch.random, 32);
	e->ccs_allowed = true;
	if (e->psk_accepted)
		ktls_trace(e, "--- resuming: the client's ticket and binder are good");
	err = send_server_flight(e, &ch, share, e->psk_accepted ? &psk : NULL);
	sodium_memzero(&psk, sizeof(psk));
	return err;
}

int ktls_server_on_certificate(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	bool empty;
	int err = ktls_hs_recv_certificate(e, msg, len, &empty);
	if (err)
		return err;
	if (empty && e->cfg->client_auth == KTLS_CLIENT_AUTH_REQUIRED)
		return ktls_engine_fail(e, KTLS_ECERTREQUIRED, "client sent no certificate, and one is required");
	e->state = empty ? HS_SERVER_WAIT_FINISHED : HS_SERVER_WAIT_CV;
	return 0;
}

int ktls_server_on_certificate_verify(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	int err = ktls_hs_recv_certificate_verify(e, msg, len);
	if (err)
		return err;
	e->state = HS_SERVER_WAIT_FINISHED;
	return 0;
}

int ktls_server_on_finished(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	uint8_t hash[KTLS_MAX_HASH_LEN];
	int err = ktls_hs_recv_finished(e, msg, len);
	if (err)
		return err;
	e->ccs_allowed = false;
	err = ktls_transcript_hash(&e->transcript, hash);
	if (!err)
		err = ktls_keysched_resumption(&e->ks, hash);
	if (!err)
		err = ktls_engine_set_rx_secret(e, e->ks.client_application_traffic);
	if (err)
		return e->err ? err : ktls_engine_fail(e, err, "cannot set application keys");
	ktls_trace(e, "--- handshake complete");
	e->state = HS_CONNECTED;
	return 0;
}

/* §4.6.1: NewSessionTickets after the handshake, through whichever record layer carries our
 * sends now (the kernel's, with a TLS_SET_RECORD_TYPE cmsg, after offload). Each carries
 * its own PSK, HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce). */
int ktls_engine_send_tickets(struct ktls_engine *e)
{
	const struct ktls_engine_config *cfg = e->cfg;
	const EVP_MD *md = e->suite->md();
	int err = 0;
	/* every ticket's age_add and sealing nonce, fresh for each ticket (§4.6.1), drawn in one
	 * call: one system call instead of two per ticket */
	enum { PER_TICKET = sizeof(uint32_t) + KTLS_IV_LEN };
	uint8_t fresh[KTLS_TICKETS_PER_HANDSHAKE_MAX * PER_TICKET];
	unsigned count = cfg->ticket_count < KTLS_TICKETS_PER_HANDSHAKE_MAX
				 ? cfg->ticket_count : KTLS_TICKETS_PER_HANDSHAKE_MAX;
	if (count)
		randombytes_buf(fresh, count * PER_TICKET);

	for (unsigned i = 0; i < count && !err; i++) {
		struct ktls_ticket_state st = { .suite = e->suite->id,
						.psk_len = e->suite->hash_len,
						.issued_ms = ktls_wallclock_ms(),
						.lifetime_s = cfg->ticket_lifetime_s };
		uint8_t nonce[1] = { (uint8_t)i }, ticket[KTLS_TICKET_MAX], msg[KTLS_TICKET_MAX + 32];
		size_t ticket_len;
		struct wire_writer w;
		const uint8_t *mine = fresh + i * PER_TICKET;
		memcpy(&st.age_add, mine, sizeof(st.age_add));
		snprintf(st.alpn, sizeof(st.alpn), "%s", e->has_alpn ? e->alpn : "");
		snprintf(st.sni, sizeof(st.sni), "%s", e->has_server_name ? e->server_name : "");
		/* the client's identity travels with the ticket (ticket.h) */
		snprintf(st.client, sizeof(st.client), "%s", e->has_peer_subject ? e->peer_subject : "");
		err = ktls_resumption_psk(md, e->ks.resumption_master, nonce, sizeof(nonce), st.psk);
		if (!err)
			err = ktls_ticket_seal(&cfg->ticket_keys[0], &st, mine + sizeof(st.age_add), ticket,
					       sizeof(ticket), &ticket_len);
		wire_writer_init(&w, msg, sizeof(msg));
		if (!err)
			err = ktls_encode_new_session_ticket(&w, st.lifetime_s, st.age_add, nonce,
							     sizeof(nonce), ticket, ticket_len);
		if (!err) {
			ktls_trace_message(e, true, msg, w.len);
			err = ktls_engine_send_record(e, TLS_CONTENT_HANDSHAKE, msg, w.len);
		}
		sodium_memzero(&st, sizeof(st));
	}
	sodium_memzero(fresh, sizeof(fresh));
	/* the server needs the resumption secret for nothing else */
	sodium_memzero(e->ks.resumption_master, sizeof(e->ks.resumption_master));
	e->tickets_sent = true;
	return err ? ktls_engine_fail(e, err, "cannot send a NewSessionTicket: %s", ktls_strerror(err)) : 0;
}
