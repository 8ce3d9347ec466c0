/*
 * hs_common.c — handshake steps both roles take the same way: sending and checking
 * Certificate (§4.4.2), CertificateVerify (§4.4.3) and Finished (§4.4.4).
 */
#include "session.h"

#include "sig.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FLIGHT_MESSAGE KTLS_OWN_MESSAGE_MAX

/* The secret whose Finished/verify applies to a side: ours or the peer's. */
static const uint8_t *hs_secret(const struct ktls_session *s, bool ours)
{
	bool client = (s->role == KTLS_ROLE_CLIENT) == ours;
	return client ? s->ks.client_handshake_traffic : s->ks.server_handshake_traffic;
}

int ktls_hs_send_certificate(struct ktls_session *s, bool send_empty)
{
	const struct ktls_cert_chain *chain = s->chain;
	uint8_t *buf = malloc(MAX_FLIGHT_MESSAGE);
	struct wire_writer w;
	int err;

	if (!chain && !send_empty) {
		free(buf);
		return ktls_hs_fail(s, KTLS_EINTERNAL, "no certificate to send");
	}
	if (!buf)
		return ktls_hs_fail(s, KTLS_ENOMEM, "out of memory");
	wire_writer_init(&w, buf, MAX_FLIGHT_MESSAGE);
	/* §4.4.2: the client echoes the CertificateRequest's context; the server's is empty */
	err = send_empty ? ktls_encode_certificate(&w, s->cr_context, s->cr_context_len, NULL,
						   NULL, 0)
			 : ktls_encode_certificate(&w, s->cr_context, s->cr_context_len,
						   (const uint8_t *const *)chain->der,
						   chain->der_len, chain->n);
	if (!err)
		err = ktls_hs_send(s, buf, w.len);
	if (err || send_empty)
		goto out;
	s->own_cert_sent = true;

	/* §4.4.3: sign 64 spaces | context string | 0 | Transcript-Hash(... Certificate) */
	uint8_t hash[KTLS_MAX_HASH_LEN], content[200], sig[1024]; /* RSA-8192 fits */
	size_t content_len, sig_len;
	err = ktls_transcript_hash(&s->transcript, hash);
	if (!err)
		err = ktls_cv_content(s->role == KTLS_ROLE_SERVER, hash, s->suite->hash_len, content,
				      &content_len);
	if (!err)
		err = ktls_sig_sign(chain->key, s->our_sig_scheme, content, content_len, sig,
				    &sig_len, sizeof(sig));
	if (err) {
		err = ktls_hs_fail(s, err, "cannot sign CertificateVerify: %s", ktls_strerror(err));
		goto out;
	}
	wire_writer_init(&w, buf, MAX_FLIGHT_MESSAGE);
	err = ktls_encode_certificate_verify(&w, s->our_sig_scheme, sig, sig_len);
	if (!err)
		err = ktls_hs_send(s, buf, w.len);
out:
	free(buf);
	if (err && !s->err)
		err = ktls_hs_fail(s, err, "cannot send Certificate: %s", ktls_strerror(err));
	return err;
}

int ktls_hs_send_finished(struct ktls_session *s)
{
	uint8_t hash[KTLS_MAX_HASH_LEN], verify[KTLS_MAX_HASH_LEN], msg[4 + KTLS_MAX_HASH_LEN];
	struct wire_writer w;

	int err = ktls_transcript_hash(&s->transcript, hash);
	if (!err)
		err = ktls_finished_verify_data(s->suite->md(), hs_secret(s, true), hash, verify);
	wire_writer_init(&w, msg, sizeof(msg));
	if (!err)
		err = ktls_encode_finished(&w, verify, s->suite->hash_len);
	if (!err)
		err = ktls_hs_send(s, msg, w.len);
	sodium_memzero(verify, sizeof(verify));
	if (err)
		return ktls_hs_fail(s, err, "cannot send Finished: %s", ktls_strerror(err));
	return 0;
}

int ktls_hs_recv_certificate(struct ktls_session *s, const uint8_t *msg, size_t len, bool *empty)
{
	struct ktls_certificate c;
	bool peer_is_server = s->role == KTLS_ROLE_CLIENT;
	char errbuf[256];
	int err = ktls_decode_certificate(msg + TLS_HANDSHAKE_HEADER_LEN,
					  len - TLS_HANDSHAKE_HEADER_LEN, &c);
	if (err == KTLS_EBADCERT)
		return ktls_hs_fail(s, err, "bad certificate: a chain of more than %d certificates",
				    KTLS_MAX_CHAIN);
	if (err)
		return ktls_hs_fail(s, err, "malformed Certificate message");
	/* §4.4.2: the server's context is empty; the client's echoes our CertificateRequest */
	if (c.context_len != s->cr_context_len ||
	    (c.context_len && memcmp(c.context, s->cr_context, c.context_len)))
		return ktls_hs_fail(s, KTLS_EILLEGAL, "Certificate has the wrong request context");
	*empty = c.n_entries == 0;
	if (*empty) {
		/* §4.4.2.4: a server must send a certificate */
		if (peer_is_server)
			return ktls_hs_fail(s, KTLS_EDECODE, "server sent an empty Certificate");
	} else {
		const struct ktls_limits *lim = &s->cfg->limits;
		const uint8_t *der[KTLS_MAX_CHAIN];
		size_t der_len[KTLS_MAX_CHAIN], total = 0;
		if (c.n_entries > lim->max_chain_length)
			return ktls_hs_fail(s, KTLS_EBADCERT,
					    "bad certificate: a chain of %zu certificates exceeds the limit of %zu",
					    c.n_entries, lim->max_chain_length);
		for (size_t i = 0; i < c.n_entries; i++) {
			der[i] = c.entries[i].cert_data;
			der_len[i] = c.entries[i].cert_data_len;
			total += der_len[i];
		}
		if (total > lim->max_chain_bytes)
			return ktls_hs_fail(s, KTLS_EBADCERT,
					    "bad certificate: a chain of %zu bytes exceeds the limit of %zu",
					    total, lim->max_chain_bytes);
		EVP_PKEY_free(s->peer_key);
		s->peer_key = NULL;
		if (s->cfg->insecure)
			err = ktls_cert_leaf_key(der[0], der_len[0], &s->peer_key, s->peer_subject,
						 sizeof(s->peer_subject));
		else
			err = ktls_verify_chain(s->cfg->trust, der, der_len, c.n_entries,
						peer_is_server,
						peer_is_server && s->cfg->verify_name ? s->cfg->server_name
										      : NULL,
						&s->peer_key, s->peer_subject,
						sizeof(s->peer_subject), errbuf, sizeof(errbuf));
		if (err && s->cfg->insecure)
			return ktls_hs_fail(s, err, "bad certificate: cannot parse the leaf");
		if (err)
			return ktls_hs_fail(s, err, "%s", errbuf);
		s->has_peer_subject = true;
		ktls_trace(s, "    peer certificate: %s (%s)", s->peer_subject,
			   s->cfg->insecure ? "NOT verified: insecure mode" : "chain verified");
	}
	err = ktls_transcript_update(&s->transcript, msg, len);
	return err ? ktls_hs_fail(s, err, "transcript: %s", ktls_strerror(err)) : 0;
}

int ktls_hs_recv_certificate_verify(struct ktls_session *s, const uint8_t *msg, size_t len)
{
	struct ktls_certificate_verify cv;
	uint8_t hash[KTLS_MAX_HASH_LEN], content[200];
	size_t content_len;
	bool peer_is_server = s->role == KTLS_ROLE_CLIENT;

	int err = ktls_decode_certificate_verify(msg + TLS_HANDSHAKE_HEADER_LEN,
						 len - TLS_HANDSHAKE_HEADER_LEN, &cv);
	if (err)
		return ktls_hs_fail(s, err, "malformed CertificateVerify message");
	/* §4.4.3: the scheme must be one we offered */
	bool offered = false;
	for (size_t i = 0; i < ktls_sig_schemes_supported_n; i++)
		offered |= ktls_sig_schemes_supported[i] == cv.algorithm;
	if (!offered)
		return ktls_hs_fail(s, KTLS_EILLEGAL,
				    "CertificateVerify uses signature scheme 0x%04x that we did not offer",
				    cv.algorithm);
	err = ktls_transcript_hash(&s->transcript, hash);
	if (!err)
		err = ktls_cv_content(peer_is_server, hash, s->suite->hash_len, content, &content_len);
	if (err)
		return ktls_hs_fail(s, err, "CertificateVerify: %s", ktls_strerror(err));
	err = ktls_sig_verify(s->peer_key, cv.algorithm, content, content_len, cv.signature,
			      cv.signature_len);
	if (err == KTLS_EILLEGAL)
		return ktls_hs_fail(s, err, "CertificateVerify scheme %s does not fit the certificate's key",
				    ktls_signature_scheme_name(cv.algorithm));
	if (err)
		return ktls_hs_fail(s, KTLS_EDECRYPT, "%s CertificateVerify signature does not verify",
				    peer_is_server ? "server" : "client");
	if (peer_is_server)
		s->sig_scheme = cv.algorithm;
	ktls_trace(s, "    signature %s verified", ktls_signature_scheme_name(cv.algorithm));
	err = ktls_transcript_update(&s->transcript, msg, len);
	return err ? ktls_hs_fail(s, err, "transcript: %s", ktls_strerror(err)) : 0;
}

int ktls_hs_recv_finished(struct ktls_session *s, const uint8_t *msg, size_t len)
{
	uint8_t hash[KTLS_MAX_HASH_LEN], want[KTLS_MAX_HASH_LEN];
	const uint8_t *verify;

	int err = ktls_decode_finished(msg + TLS_HANDSHAKE_HEADER_LEN, len - TLS_HANDSHAKE_HEADER_LEN,
				       s->suite->hash_len, &verify);
	if (err)
		return ktls_hs_fail(s, err, "malformed Finished message");
	err = ktls_transcript_hash(&s->transcript, hash);
	if (!err)
		err = ktls_finished_verify_data(s->suite->md(), hs_secret(s, false), hash, want);
	if (err)
		return ktls_hs_fail(s, err, "Finished: %s", ktls_strerror(err));
	/* §4.4.4: constant-time comparison */
	int same = sodium_memcmp(want, verify, s->suite->hash_len) == 0;
	sodium_memzero(want, sizeof(want));
	if (!same)
		return ktls_hs_fail(s, KTLS_EDECRYPT, "peer's Finished does not verify");
	ktls_trace(s, "    %s Finished verified", s->role == KTLS_ROLE_CLIENT ? "server" : "client");
	err = ktls_transcript_update(&s->transcript, msg, len);
	return err ? ktls_hs_fail(s, err, "transcript: %s", ktls_strerror(err)) : 0;
}

int ktls_hs_derive_handshake_secrets(struct ktls_session *s, const uint8_t *psk, size_t psk_len,
				     uint8_t *shared, size_t shared_len)
{
	uint8_t hash[KTLS_MAX_HASH_LEN];

	/* §7.1: Early Secret (from the PSK, or none), then Handshake Secret over
	 * ClientHello..ServerHello */
	ktls_keysched_init(&s->ks, s->suite);
	int err = ktls_keysched_early(&s->ks, psk, psk_len);
	if (!err)
		err = ktls_transcript_hash(&s->transcript, hash);
	if (!err)
		err = ktls_keysched_handshake(&s->ks, shared, shared_len, hash);
	sodium_memzero(shared, shared_len);
	if (err)
		return ktls_hs_fail(s, err, "key schedule: %s", ktls_strerror(err));
	ktls_keylog(s, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", s->ks.client_handshake_traffic,
		    s->suite->hash_len);
	ktls_keylog(s, "SERVER_HANDSHAKE_TRAFFIC_SECRET", s->ks.server_handshake_traffic,
		    s->suite->hash_len);
	ktls_trace_hash(s, "transcript hash (ClientHello..ServerHello)", hash, s->suite->hash_len);
	ktls_trace(s, "--- %s with %s; key schedule: early secret, handshake secret, "
		      "c/s handshake traffic secrets derived", s->suite->name, ktls_group_name(s->group));
	return 0;
}

int ktls_hs_derive_application_secrets(struct ktls_session *s)
{
	uint8_t hash[KTLS_MAX_HASH_LEN];

	/* §7.1: Master Secret; traffic and exporter secrets over ClientHello..server Finished */
	int err = ktls_transcript_hash(&s->transcript, hash);
	if (!err)
		err = ktls_keysched_master(&s->ks, hash);
	if (err)
		return ktls_hs_fail(s, err, "key schedule: %s", ktls_strerror(err));
	ktls_keylog(s, "CLIENT_TRAFFIC_SECRET_0", s->ks.client_application_traffic, s->suite->hash_len);
	ktls_keylog(s, "SERVER_TRAFFIC_SECRET_0", s->ks.server_application_traffic, s->suite->hash_len);
	ktls_keylog(s, "EXPORTER_SECRET", s->ks.exporter_master, s->suite->hash_len);
	ktls_trace_hash(s, "transcript hash (ClientHello..server Finished)", hash, s->suite->hash_len);
	ktls_trace(s, "--- master secret; c/s application traffic and exporter secrets derived");
	return 0;
}

int ktls_hs_check_extensions(struct ktls_session *s, const char *msg, size_t n)
{
	if (n <= s->cfg->limits.max_extensions)
		return 0;
	return ktls_hs_fail(s, KTLS_EDECODE, "%s carries %zu extensions, over the limit of %zu", msg, n,
			    s->cfg->limits.max_extensions);
}
