/*
 * hs_common.c — handshake steps both roles take the same way: sending and checking
 * Certificate (§4.4.2), CertificateVerify (§4.4.3) and Finished (§4.4.4).
 */
#include "engine.h"

#include "sig.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FLIGHT_MESSAGE KTLS_OWN_MESSAGE_MAX

/* The secret whose Finished/verify applies to a side: ours or the peer's. */
static const uint8_t *hs_secret(const struct ktls_engine *e, bool ours)
{
	bool client = (e->role == KTLS_ROLE_CLIENT) == ours;
	return client ? e->ks.client_handshake_traffic : e->ks.server_handshake_traffic;
}

int ktls_hs_send_certificate(struct ktls_engine *e, bool send_empty)
{
	const struct ktls_cert_chain *chain = e->chain;
	uint8_t *buf = malloc(MAX_FLIGHT_MESSAGE);
	struct wire_writer w;
	int err;

	if (!chain && !send_empty) {
		free(buf);
		return ktls_engine_fail(e, KTLS_EINTERNAL, "no certificate to send");
	}
	if (!buf)
		return ktls_engine_fail(e, KTLS_ENOMEM, "out of memory");
	wire_writer_init(&w, buf, MAX_FLIGHT_MESSAGE);
	/* §4.4.2: the client echoes the CertificateRequest's context; the server's is empty */
	err = send_empty ? ktls_encode_certificate(&w, e->cr_context, e->cr_context_len, NULL,
						   NULL, 0)
			 : ktls_encode_certificate(&w, e->cr_context, e->cr_context_len,
						   (const uint8_t *const *)chain->der,
						   chain->der_len, chain->n);
	if (!err)
		err = ktls_hs_send(e, buf, w.len);
	if (err || send_empty)
		goto out;
	e->own_cert_sent = true;

	/* §4.4.3: sign 64 spaces | context string | 0 | Transcript-Hash(... Certificate) */
	uint8_t hash[KTLS_MAX_HASH_LEN], content[200], sig[1024]; /* RSA-8192 fits */
	size_t content_len, sig_len;
	err = ktls_transcript_hash(&e->transcript, hash);
	if (!err)
		err = ktls_cv_content(e->role == KTLS_ROLE_SERVER, hash, e->suite->hash_len, content,
				      &content_len);
	if (!err)
		err = ktls_sig_sign(chain->key, chain->ed25519_sk, e->our_sig_scheme, content,
				    content_len, sig, &sig_len, sizeof(sig));
	if (err) {
		err = ktls_engine_fail(e, err, "cannot sign CertificateVerify: %s", ktls_strerror(err));
		goto out;
	}
	wire_writer_init(&w, buf, MAX_FLIGHT_MESSAGE);
	err = ktls_encode_certificate_verify(&w, e->our_sig_scheme, sig, sig_len);
	if (!err)
		err = ktls_hs_send(e, buf, w.len);
out:
	free(buf);
	if (err && !e->err)
		err = ktls_engine_fail(e, err, "cannot send Certificate: %s", ktls_strerror(err));
	return err;
}

int ktls_hs_send_finished(struct ktls_engine *e)
{
	uint8_t hash[KTLS_MAX_HASH_LEN], verify[KTLS_MAX_HASH_LEN], msg[4 + KTLS_MAX_HASH_LEN];
	struct wire_writer w;

	int err = ktls_transcript_hash(&e->transcript, hash);
	if (!err)
		err = ktls_finished_verify_data(e->suite->md(), hs_secret(e, true), hash, verify);
	wire_writer_init(&w, msg, sizeof(msg));
	if (!err)
		err = ktls_encode_finished(&w, verify, e->suite->hash_len);
	if (!err)
		err = ktls_hs_send(e, msg, w.len);
	sodium_memzero(verify, sizeof(verify));
	if (err)
		return ktls_engine_fail(e, err, "cannot send Finished: %s", ktls_strerror(err));
	return 0;
}

int ktls_hs_recv_certificate(struct ktls_engine *e, const uint8_t *msg, size_t len, bool *empty)
{
	struct ktls_certificate c;
	bool peer_is_server = e->role == KTLS_ROLE_CLIENT;
	char errbuf[256];
	int err = ktls_decode_certificate(msg + TLS_HANDSHAKE_HEADER_LEN,
					  len - TLS_HANDSHAKE_HEADER_LEN, &c);
	if (err == KTLS_EBADCERT)
		return ktls_engine_fail(e, err, "bad certificate: a chain of more than %d certificates",
				    KTLS_MAX_CHAIN);
	if (err)
		return ktls_engine_fail(e, err, "malformed Certificate message");
	/* §4.4.2: the server's context is empty; the client's echoes our CertificateRequest */
	if (c.context_len != e->cr_context_len ||
	    (c.context_len && memcmp(c.context, e->cr_context, c.context_len)))
		return ktls_engine_fail(e, KTLS_EILLEGAL, "Certificate has the wrong request context");
	*empty = c.n_entries == 0;
	if (*empty) {
		/* §4.4.2.4: a server must send a certificate */
		if (peer_is_server)
			return ktls_engine_fail(e, KTLS_EDECODE, "server sent an empty Certificate");
	} else {
		const struct ktls_limits *lim = &e->cfg->limits;
		const uint8_t *der[KTLS_MAX_CHAIN];
		size_t der_len[KTLS_MAX_CHAIN], total = 0;
		if (c.n_entries > lim->max_chain_length)
			return ktls_engine_fail(e, KTLS_EBADCERT,
					    "bad certificate: a chain of %zu certificates exceeds the limit of %zu",
					    c.n_entries, lim->max_chain_length);
		for (size_t i = 0; i < c.n_entries; i++) {
			der[i] = c.entries[i].cert_data;
			der_len[i] = c.entries[i].cert_data_len;
			total += der_len[i];
		}
		if (total > lim->max_chain_bytes)
			return ktls_engine_fail(e, KTLS_EBADCERT,
					    "bad certificate: a chain of %zu bytes exceeds the limit of %zu",
					    total, lim->max_chain_bytes);
		EVP_PKEY_free(e->peer_key);
		e->peer_key = NULL;
		if (e->cfg->insecure)
			err = ktls_cert_leaf_key(der[0], der_len[0], &e->peer_key, e->peer_subject,
						 sizeof(e->peer_subject));
		else
			err = ktls_verify_chain(e->cfg->trust, der, der_len, c.n_entries,
						peer_is_server,
						peer_is_server && e->cfg->verify_name ? e->cfg->server_name
										      : NULL,
						&e->peer_key, e->peer_subject,
						sizeof(e->peer_subject), errbuf, sizeof(errbuf));
		if (err && e->cfg->insecure)
			return ktls_engine_fail(e, err, "bad certificate: cannot parse the leaf");
		if (err)
			return ktls_engine_fail(e, err, "%s", errbuf);
		e->has_peer_subject = true;
		ktls_trace(e, "    peer certificate: %s (%s)", e->peer_subject,
			   e->cfg->insecure ? "NOT verified: insecure mode" : "chain verified");
	}
	err = ktls_transcript_update(&e->transcript, msg, len);
	return err ? ktls_engine_fail(e, err, "transcript: %s", ktls_strerror(err)) : 0;
}

int ktls_hs_recv_certificate_verify(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	struct ktls_certificate_verify cv;
	uint8_t hash[KTLS_MAX_HASH_LEN], content[200];
	size_t content_len;
	bool peer_is_server = e->role == KTLS_ROLE_CLIENT;

	int err = ktls_decode_certificate_verify(msg + TLS_HANDSHAKE_HEADER_LEN,
						 len - TLS_HANDSHAKE_HEADER_LEN, &cv);
	if (err)
		return ktls_engine_fail(e, err, "malformed CertificateVerify message");
	/* §4.4.3: the scheme must be one we offered */
	bool offered = false;
	for (size_t i = 0; i < ktls_sig_schemes_supported_n; i++)
		offered |= ktls_sig_schemes_supported[i] == cv.algorithm;
	if (!offered)
		return ktls_engine_fail(e, KTLS_EILLEGAL,
				    "CertificateVerify uses signature scheme 0x%04x that we did not offer",
				    cv.algorithm);
	err = ktls_transcript_hash(&e->transcript, hash);
	if (!err)
		err = ktls_cv_content(peer_is_server, hash, e->suite->hash_len, content, &content_len);
	if (err)
		return ktls_engine_fail(e, err, "CertificateVerify: %s", ktls_strerror(err));
	err = ktls_sig_verify(e->peer_key, cv.algorithm, content, content_len, cv.signature,
			      cv.signature_len);
	if (err == KTLS_EILLEGAL)
		return ktls_engine_fail(e, err, "CertificateVerify scheme %s does not fit the certificate's key",
				    ktls_signature_scheme_name(cv.algorithm));
	if (err)
		return ktls_engine_fail(e, KTLS_EDECRYPT, "%s CertificateVerify signature does not verify",
				    peer_is_server ? "server" : "client");
	if (peer_is_server)
		e->sig_scheme = cv.algorithm;
	ktls_trace(e, "    signature %s verified", ktls_signature_scheme_name(cv.algorithm));
	err = ktls_transcript_update(&e->transcript, msg, len);
	return err ? ktls_engine_fail(e, err, "transcript: %s", ktls_strerror(err)) : 0;
}

int ktls_hs_recv_finished(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	uint8_t hash[KTLS_MAX_HASH_LEN], want[KTLS_MAX_HASH_LEN];
	const uint8_t *verify;

	int err = ktls_decode_finished(msg + TLS_HANDSHAKE_HEADER_LEN, len - TLS_HANDSHAKE_HEADER_LEN,
				       e->suite->hash_len, &verify);
	if (err)
		return ktls_engine_fail(e, err, "malformed Finished message");
	err = ktls_transcript_hash(&e->transcript, hash);
	if (!err)
		err = ktls_finished_verify_data(e->suite->md(), hs_secret(e, false), hash, want);
	if (err)
		return ktls_engine_fail(e, err, "Finished: %s", ktls_strerror(err));
	/* §4.4.4: constant-time comparison */
	int same = sodium_memcmp(want, verify, e->suite->hash_len) == 0;
	sodium_memzero(want, sizeof(want));
	if (!same)
		return ktls_engine_fail(e, KTLS_EDECRYPT, "peer's Finished does not verify");
	ktls_trace(e, "    %s Finished verified", e->role == KTLS_ROLE_CLIENT ? "server" : "client");
	err = ktls_transcript_update(&e->transcript, msg, len);
	return err ? ktls_engine_fail(e, err, "transcript: %s", ktls_strerror(err)) : 0;
}

int ktls_hs_derive_handshake_secrets(struct ktls_engine *e, const uint8_t *psk, size_t psk_len,
				     uint8_t *shared, size_t shared_len)
{
	uint8_t hash[KTLS_MAX_HASH_LEN];

	/* §7.1: Early Secret (from the PSK, or none), then Handshake Secret over
	 * ClientHello..ServerHello */
	ktls_keysched_init(&e->ks, e->suite);
	int err = ktls_keysched_early(&e->ks, psk, psk_len);
	if (!err)
		err = ktls_transcript_hash(&e->transcript, hash);
	if (!err)
		err = ktls_keysched_handshake(&e->ks, shared, shared_len, hash);
	sodium_memzero(shared, shared_len);
	if (err)
		return ktls_engine_fail(e, err, "key schedule: %s", ktls_strerror(err));
	ktls_keylog(e, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", e->ks.client_handshake_traffic,
		    e->suite->hash_len);
	ktls_keylog(e, "SERVER_HANDSHAKE_TRAFFIC_SECRET", e->ks.server_handshake_traffic,
		    e->suite->hash_len);
	ktls_trace_hash(e, "transcript hash (ClientHello..ServerHello)", hash, e->suite->hash_len);
	ktls_trace(e, "--- %s with %s; key schedule: early secret, handshake secret, "
		      "c/s handshake traffic secrets derived", e->suite->name, ktls_group_name(e->group));
	return 0;
}

int ktls_hs_derive_application_secrets(struct ktls_engine *e)
{
	uint8_t hash[KTLS_MAX_HASH_LEN];

	/* §7.1: Master Secret; traffic and exporter secrets over ClientHello..server Finished */
	int err = ktls_transcript_hash(&e->transcript, hash);
	if (!err)
		err = ktls_keysched_master(&e->ks, hash);
	if (err)
		return ktls_engine_fail(e, err, "key schedule: %s", ktls_strerror(err));
	ktls_keylog(e, "CLIENT_TRAFFIC_SECRET_0", e->ks.client_application_traffic, e->suite->hash_len);
	ktls_keylog(e, "SERVER_TRAFFIC_SECRET_0", e->ks.server_application_traffic, e->suite->hash_len);
	ktls_keylog(e, "EXPORTER_SECRET", e->ks.exporter_master, e->suite->hash_len);
	ktls_trace_hash(e, "transcript hash (ClientHello..server Finished)", hash, e->suite->hash_len);
	ktls_trace(e, "--- master secret; c/s application traffic and exporter secrets derived");
	return 0;
}

int ktls_hs_check_extensions(struct ktls_engine *e, const char *msg, size_t n)
{
	if (n <= e->cfg->limits.max_extensions)
		return 0;
	return ktls_engine_fail(e, KTLS_EDECODE, "%s carries %zu extensions, over the limit of %zu", msg, n,
			    e->cfg->limits.max_extensions);
}

int ktls_engine_send_key_update(struct ktls_engine *e, bool request)
{
	uint8_t *own = ktls_engine_app_secret(e, KTLS_DIR_TX);
	uint8_t msg[TLS_HANDSHAKE_HEADER_LEN + 1];
	struct wire_writer w;
	wire_writer_init(&w, msg, sizeof(msg));
	int err = ktls_encode_key_update(&w, request);
	if (!err)
		err = ktls_engine_send_record(e, TLS_CONTENT_HANDSHAKE, msg, w.len);
	if (!err)
		err = ktls_next_traffic_secret(e->suite->md(), own, own);
	if (err)
		return ktls_engine_fail(e, err, "KeyUpdate: %s", ktls_strerror(err));
	return ktls_engine_set_tx_secret(e, own);
}

/* KeyUpdate (§4.6.3): the peer's next key for reading; with update_requested, ours too —
 * announced first under the old key, then switched (§7.2). */
int ktls_on_key_update(struct ktls_engine *e, const uint8_t *msg, size_t len)
{
	uint8_t request;
	int err = ktls_decode_key_update(msg + TLS_HANDSHAKE_HEADER_LEN,
					 len - TLS_HANDSHAKE_HEADER_LEN, &request);
	if (err)
		return ktls_engine_fail(e, err, "malformed KeyUpdate");
	if (++e->key_updates > e->cfg->limits.max_key_updates)
		return ktls_engine_fail(e, KTLS_EUNEXPECTED, "more than %u KeyUpdates without "
					"application data between them", e->cfg->limits.max_key_updates);
	if (e->rx_secret_wiped)
		return ktls_engine_fail(e, KTLS_EKEYUPDATE,
					"peer sent KeyUpdate, but this kernel cannot take a new TLS_RX "
					"key (TLS 1.3 rekey needs Linux 6.14 or later)");
	uint8_t *peer = ktls_engine_app_secret(e, KTLS_DIR_RX);
	err = ktls_next_traffic_secret(e->suite->md(), peer, peer);
	if (err)
		return ktls_engine_fail(e, err, "KeyUpdate: %s", ktls_strerror(err));
	err = ktls_engine_set_rx_secret(e, peer);
	if (err)
		return err;
	/* §4.6.3: the answer must go "prior to sending its next Application Data record", so
	 * one answer covers every request that comes before our next data: a peer that asks
	 * again and again, and never reads, costs one queued record, not one per request */
	bool answer = request == 1 && !e->key_update_answered;
	ktls_trace(e, "--- KeyUpdate from peer: new read key%s", answer ? "; answering with ours"
		   : request ? " (our answer is already on its way)" : "");
	if (!answer)
		return 0;
	e->key_update_answered = true;
	if (e->tx_secret_wiped)
		return ktls_engine_fail(e, KTLS_EKEYUPDATE,
					"cannot answer KeyUpdate: this kernel cannot take a new TLS_TX "
					"key (TLS 1.3 rekey needs Linux 6.14 or later)");
	return ktls_engine_send_key_update(e, false);
}
