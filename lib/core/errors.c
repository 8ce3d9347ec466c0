/*
 * errors.c — names for error codes and alerts, and the error → alert map.
 *
 * One table per idea: what a KTLS_E* code means to a person, and which RFC 8446 §6 alert
 * tells the peer about it. Adding an error code means adding one row to each.
 */
#include "ktls.h"
#include "alert.h"

#include <stddef.h>

static const struct {
	int err;
	const char *text;
	int alert; /* -1: no alert of its own (internal_error is sent for it when fatal) */
} error_table[] = {
	{ KTLS_OK, "success", -1 },
	{ KTLS_EINVAL, "invalid argument", -1 },
	{ KTLS_ENOMEM, "out of memory", TLS_ALERT_INTERNAL_ERROR },
	{ KTLS_ENOSPACE, "output buffer too small", TLS_ALERT_INTERNAL_ERROR },
	{ KTLS_ECRYPTO, "crypto library failure", TLS_ALERT_INTERNAL_ERROR },
	{ KTLS_EUNSUPPORTED, "unsupported algorithm or cipher suite", TLS_ALERT_HANDSHAKE_FAILURE },
	{ KTLS_EDECODE, "malformed message (decode_error)", TLS_ALERT_DECODE_ERROR },
	{ KTLS_EBADMAC, "record authentication failed (bad_record_mac)", TLS_ALERT_BAD_RECORD_MAC },
	{ KTLS_EOVERFLOW, "record too large (record_overflow)", TLS_ALERT_RECORD_OVERFLOW },
	{ KTLS_EUNEXPECTED, "unexpected message (unexpected_message)", TLS_ALERT_UNEXPECTED_MESSAGE },
	{ KTLS_EILLEGAL, "illegal parameter (illegal_parameter)", TLS_ALERT_ILLEGAL_PARAMETER },
	{ KTLS_ESEQWRAP, "record sequence number exhausted: key update required", -1 },
	{ KTLS_EINTERNAL, "internal error", TLS_ALERT_INTERNAL_ERROR },
	{ KTLS_EHANDSHAKE, "no common parameters (handshake_failure)", TLS_ALERT_HANDSHAKE_FAILURE },
	{ KTLS_EVERSION, "peer does not support TLS 1.3 (protocol_version)",
	  TLS_ALERT_PROTOCOL_VERSION },
	{ KTLS_EMISSINGEXT, "required extension missing (missing_extension)",
	  TLS_ALERT_MISSING_EXTENSION },
	{ KTLS_EUNSUPPORTEDEXT, "unrequested extension (unsupported_extension)",
	  TLS_ALERT_UNSUPPORTED_EXTENSION },
	{ KTLS_EBADCERT, "bad certificate (bad_certificate)", TLS_ALERT_BAD_CERTIFICATE },
	{ KTLS_EUNKNOWNCA, "certificate verify failed: unknown CA (unknown_ca)", TLS_ALERT_UNKNOWN_CA },
	{ KTLS_ECERTEXPIRED, "certificate verify failed: expired (certificate_expired)",
	  TLS_ALERT_CERTIFICATE_EXPIRED },
	{ KTLS_EDECRYPT, "signature or Finished verification failed (decrypt_error)",
	  TLS_ALERT_DECRYPT_ERROR },
	{ KTLS_ECERTREQUIRED, "client certificate required (certificate_required)",
	  TLS_ALERT_CERTIFICATE_REQUIRED },
	{ KTLS_ENOALPN, "no common application protocol (no_application_protocol)",
	  TLS_ALERT_NO_APPLICATION_PROTOCOL },
	{ KTLS_EALERT, "peer sent a fatal alert", -1 },
	{ KTLS_ECLOSED, "connection closed by peer", -1 },
	{ KTLS_EIO, "system call failed", -1 },
	{ KTLS_ETIMEOUT, "timed out", -1 },
	{ KTLS_EOFFLOAD, "kernel TLS offload required but refused", TLS_ALERT_INTERNAL_ERROR },
	{ KTLS_EKEYUPDATE, "key update impossible: this kernel cannot rekey kernel TLS", -1 },
	{ KTLS_WANT_READ, "operation would block: wait until readable", -1 },
	{ KTLS_WANT_WRITE, "operation would block: wait until writable", -1 },
};

const char *ktls_strerror(int err)
{
	for (size_t i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++)
		if (error_table[i].err == err)
			return error_table[i].text;
	return "unknown error";
}

int ktls_error_alert(int err)
{
	for (size_t i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++)
		if (error_table[i].err == err)
			return error_table[i].alert;
	return -1;
}

/* RFC 8446 §6 alert names, as the RFC spells them. */
static const struct {
	int alert;
	const char *name;
} alert_names[] = {
	{ TLS_ALERT_CLOSE_NOTIFY, "close_notify" },
	{ TLS_ALERT_UNEXPECTED_MESSAGE, "unexpected_message" },
	{ TLS_ALERT_BAD_RECORD_MAC, "bad_record_mac" },
	{ TLS_ALERT_RECORD_OVERFLOW, "record_overflow" },
	{ TLS_ALERT_HANDSHAKE_FAILURE, "handshake_failure" },
	{ TLS_ALERT_BAD_CERTIFICATE, "bad_certificate" },
	{ TLS_ALERT_UNSUPPORTED_CERTIFICATE, "unsupported_certificate" },
	{ TLS_ALERT_CERTIFICATE_REVOKED, "certificate_revoked" },
	{ TLS_ALERT_CERTIFICATE_EXPIRED, "certificate_expired" },
	{ TLS_ALERT_CERTIFICATE_UNKNOWN, "certificate_unknown" },
	{ TLS_ALERT_ILLEGAL_PARAMETER, "illegal_parameter" },
	{ TLS_ALERT_UNKNOWN_CA, "unknown_ca" },
	{ TLS_ALERT_ACCESS_DENIED, "access_denied" },
	{ TLS_ALERT_DECODE_ERROR, "decode_error" },
	{ TLS_ALERT_DECRYPT_ERROR, "decrypt_error" },
	{ TLS_ALERT_PROTOCOL_VERSION, "protocol_version" },
	{ TLS_ALERT_INSUFFICIENT_SECURITY, "insufficient_security" },
	{ TLS_ALERT_INTERNAL_ERROR, "internal_error" },
	{ TLS_ALERT_INAPPROPRIATE_FALLBACK, "inappropriate_fallback" },
	{ TLS_ALERT_USER_CANCELED, "user_canceled" },
	{ TLS_ALERT_MISSING_EXTENSION, "missing_extension" },
	{ TLS_ALERT_UNSUPPORTED_EXTENSION, "unsupported_extension" },
	{ TLS_ALERT_UNRECOGNIZED_NAME, "unrecognized_name" },
	{ TLS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE, "bad_certificate_status_response" },
	{ TLS_ALERT_UNKNOWN_PSK_IDENTITY, "unknown_psk_identity" },
	{ TLS_ALERT_CERTIFICATE_REQUIRED, "certificate_required" },
	{ TLS_ALERT_NO_APPLICATION_PROTOCOL, "no_application_protocol" },
};

const char *ktls_alert_name(int alert)
{
	for (size_t i = 0; i < sizeof(alert_names) / sizeof(alert_names[0]); i++)
		if (alert_names[i].alert == alert)
			return alert_names[i].name;
	return NULL;
}
