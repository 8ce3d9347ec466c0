/*
 * ktls.h — public interface of libktls.
 *
 * libktls runs the TLS 1.3 (RFC 8446) handshake and key schedule in userspace and hands the
 * traffic keys to the Linux kernel's TLS record layer (kTLS), so an application can use
 * send/recv/sendfile/splice on a TLS socket. This header is the only public one; everything
 * under lib/ besides it is private and may change.
 *
 * Conventions: functions return 0 (KTLS_OK) on success or a negative KTLS_E* code;
 * ktls_strerror() names a code. Nothing in the library calls exit().
 */
#ifndef KTLS_H
#define KTLS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KTLS_VERSION_STRING "0.1.0"

/* Marks the functions the shared library exports; everything else stays hidden. */
#define KTLS_API __attribute__((visibility("default")))

/* Error codes. Each protocol error maps to the TLS alert (RFC 8446 §6) that reports it;
 * ktls_error_alert() gives that alert. */
enum ktls_error {
	KTLS_OK = 0,
	KTLS_EINVAL = -1,         /* a caller passed an invalid argument */
	KTLS_ENOMEM = -2,         /* out of memory */
	KTLS_ENOSPACE = -3,       /* an output buffer is too small */
	KTLS_ECRYPTO = -4,        /* the crypto library failed unexpectedly */
	KTLS_EUNSUPPORTED = -5,   /* unknown or unsupported cipher suite / algorithm */
	KTLS_EDECODE = -6,        /* malformed message: decode_error */
	KTLS_EBADMAC = -7,        /* record failed authentication: bad_record_mac */
	KTLS_EOVERFLOW = -8,      /* record too large: record_overflow */
	KTLS_EUNEXPECTED = -9,    /* message or record not allowed here: unexpected_message */
	KTLS_EILLEGAL = -10,      /* a field holds a forbidden value: illegal_parameter */
	KTLS_ESEQWRAP = -11,      /* record sequence number would wrap: the key must change */
	KTLS_EINTERNAL = -12,     /* a bug or broken invariant: internal_error */
	KTLS_EHANDSHAKE = -13,    /* nothing in common (suite, group, signature): handshake_failure */
	KTLS_EVERSION = -14,      /* the peer does not speak TLS 1.3: protocol_version */
	KTLS_EMISSINGEXT = -15,   /* a required extension is absent: missing_extension */
	KTLS_EUNSUPPORTEDEXT = -16, /* an extension we never asked for: unsupported_extension */
	KTLS_EBADCERT = -17,      /* certificate unusable or not for this host: bad_certificate */
	KTLS_EUNKNOWNCA = -18,    /* chain does not lead to a trusted CA: unknown_ca */
	KTLS_ECERTEXPIRED = -19,  /* certificate expired or not yet valid: certificate_expired */
	KTLS_EDECRYPT = -20,      /* signature or Finished does not verify: decrypt_error */
	KTLS_ECERTREQUIRED = -21, /* a client certificate is required: certificate_required */
	KTLS_ENOALPN = -22,       /* no application protocol in common: no_application_protocol */
	KTLS_EALERT = -23,        /* the peer sent a fatal alert (see the session for which) */
	KTLS_ECLOSED = -24,       /* the peer closed the connection */
	KTLS_EIO = -25,           /* a system call failed (errno is kept on the session) */
	KTLS_ETIMEOUT = -26,      /* the operation took longer than its limit */

	/* Not errors: a non-blocking call needs the fd readable / writable, then call again. */
	KTLS_WANT_READ = -100,
	KTLS_WANT_WRITE = -101,
};

/* Returns a short, static, human-readable description of a KTLS_E* code
 * (or "unknown error" for a value that is not one). */
KTLS_API const char *ktls_strerror(int err);

/* Returns the TLS AlertDescription (RFC 8446 §6) that reports err to the peer, or -1 when
 * err is not a protocol failure the peer should be told about in a specific way. */
KTLS_API int ktls_error_alert(int err);

/* Returns the RFC 8446 name of a TLS AlertDescription ("bad_record_mac"), or NULL when the
 * value is not a defined alert. */
KTLS_API const char *ktls_alert_name(int alert);

/* TLS 1.3 cipher suites (RFC 8446 §B.4). */
#define KTLS_TLS_AES_128_GCM_SHA256       0x1301
#define KTLS_TLS_AES_256_GCM_SHA384       0x1302
#define KTLS_TLS_CHACHA20_POLY1305_SHA256 0x1303

/* Returns the IANA name of a TLS 1.3 cipher suite this library implements
 * ("TLS_CHACHA20_POLY1305_SHA256"), or NULL when it implements no suite of that id. */
KTLS_API const char *ktls_suite_name(uint16_t suite);

#ifdef __cplusplus
}
#endif
#endif /* KTLS_H */
