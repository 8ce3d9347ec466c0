/*
 * errors_test.c — error names and the error → alert map (lib/core/errors.c), through the public
 * header only, as an application sees them.
 */
#include "harness.h"

#include "ktls.h"

#include <string.h>

TEST(every_error_has_a_name)
{
	for (int err = KTLS_OK; err >= KTLS_EKEYUPDATE; err--) {
		const char *s = ktls_strerror(err);
		ASSERT_NONNULL(s);
		ASSERT_STRNE("unknown error", s);
	}
	EXPECT_STRNE("unknown error", ktls_strerror(KTLS_WANT_READ));
	EXPECT_STRNE("unknown error", ktls_strerror(KTLS_WANT_WRITE));
	EXPECT_STREQ("unknown error", ktls_strerror(1));
	EXPECT_STREQ("unknown error", ktls_strerror(-1000));
}

TEST(protocol_errors_map_to_their_alerts)
{
	/* RFC 8446 §6.2 AlertDescription values */
	EXPECT_EQ(50, ktls_error_alert(KTLS_EDECODE));      /* decode_error */
	EXPECT_EQ(20, ktls_error_alert(KTLS_EBADMAC));      /* bad_record_mac */
	EXPECT_EQ(22, ktls_error_alert(KTLS_EOVERFLOW));    /* record_overflow */
	EXPECT_EQ(10, ktls_error_alert(KTLS_EUNEXPECTED));  /* unexpected_message */
	EXPECT_EQ(47, ktls_error_alert(KTLS_EILLEGAL));     /* illegal_parameter */
	EXPECT_EQ(80, ktls_error_alert(KTLS_EINTERNAL));    /* internal_error */
	EXPECT_EQ(40, ktls_error_alert(KTLS_EHANDSHAKE));   /* handshake_failure */
	EXPECT_EQ(70, ktls_error_alert(KTLS_EVERSION));     /* protocol_version */
	EXPECT_EQ(109, ktls_error_alert(KTLS_EMISSINGEXT)); /* missing_extension */
	EXPECT_EQ(110, ktls_error_alert(KTLS_EUNSUPPORTEDEXT)); /* unsupported_extension */
	EXPECT_EQ(42, ktls_error_alert(KTLS_EBADCERT));     /* bad_certificate */
	EXPECT_EQ(48, ktls_error_alert(KTLS_EUNKNOWNCA));   /* unknown_ca */
	EXPECT_EQ(45, ktls_error_alert(KTLS_ECERTEXPIRED)); /* certificate_expired */
	EXPECT_EQ(51, ktls_error_alert(KTLS_EDECRYPT));     /* decrypt_error */
	EXPECT_EQ(116, ktls_error_alert(KTLS_ECERTREQUIRED)); /* certificate_required */
	EXPECT_EQ(120, ktls_error_alert(KTLS_ENOALPN));     /* no_application_protocol */
	EXPECT_EQ(-1, ktls_error_alert(KTLS_EALERT));       /* never answer an alert with one */
	EXPECT_EQ(-1, ktls_error_alert(KTLS_OK));
}

TEST(alert_names_follow_rfc8446)
{
	EXPECT_STREQ("close_notify", ktls_alert_name(0));
	EXPECT_STREQ("bad_record_mac", ktls_alert_name(20));
	EXPECT_STREQ("decode_error", ktls_alert_name(50));
	EXPECT_STREQ("protocol_version", ktls_alert_name(70));
	EXPECT_STREQ("missing_extension", ktls_alert_name(109));
	EXPECT_STREQ("certificate_required", ktls_alert_name(116));
	EXPECT_STREQ("no_application_protocol", ktls_alert_name(120));
	EXPECT_NULL(ktls_alert_name(21)); /* decryption_failed_RESERVED: not a TLS 1.3 alert */
	EXPECT_NULL(ktls_alert_name(255));
}

TEST(suite_names)
{
	EXPECT_STREQ("TLS_CHACHA20_POLY1305_SHA256",
		     ktls_suite_name(KTLS_TLS_CHACHA20_POLY1305_SHA256));
	EXPECT_STREQ("TLS_AES_128_GCM_SHA256", ktls_suite_name(KTLS_TLS_AES_128_GCM_SHA256));
	EXPECT_STREQ("TLS_AES_256_GCM_SHA384", ktls_suite_name(KTLS_TLS_AES_256_GCM_SHA384));
	EXPECT_STREQ("TLS_AES_128_CCM_SHA256", ktls_suite_name(KTLS_TLS_AES_128_CCM_SHA256));
	EXPECT_STREQ("TLS_AES_128_CCM_8_SHA256", ktls_suite_name(KTLS_TLS_AES_128_CCM_8_SHA256));
	EXPECT_NULL(ktls_suite_name(0x1306)); /* not a TLS 1.3 suite */
	EXPECT_NULL(ktls_suite_name(0x00ff));
}

TEST_HARNESS_MAIN
