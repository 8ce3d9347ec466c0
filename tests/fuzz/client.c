/*
 * client.c — fuzz target: the client state machine fed a whole server flight.
 *
 * A client session on one end of a socketpair sends its ClientHello (thrown away); the
 * input, decoded by fuzz_flight_bytes (byte 0 bit 0: raw record bytes, or handshake bytes the
 * harness wraps in plaintext records; bit 1: the client has a certificate for mutual TLS),
 * goes into the other end as the server's bytes, and ktls_session_handshake is stepped until
 * it wants more input or stops.
 *
 * The limit. The server's flight is encrypted from EncryptedExtensions on, under keys that
 * depend on both key shares. Randomness is deterministic here (support/fuzz.h), so our
 * client's ClientHello and X25519 key are the same in every run, and a server flight recorded
 * against it (corpus/client/: our server, openssl s_server) decrypts and completes the
 * handshake on replay. But any mutation inside an encrypted record fails authentication
 * (bad_record_mac), so the fuzzer explores in depth only the plaintext phase: ServerHello,
 * HelloRetryRequest (and the second ClientHello it causes), ChangeCipherSpec, alerts and
 * record framing. EncryptedExtensions, Certificate, CertificateVerify and Finished decoding
 * is covered by the messages target instead. After a HelloRetryRequest for secp256r1 the
 * client's P-256 key comes from OpenSSL's RNG, which stays random: such flights never get
 * past the ServerHello on replay.
 */
#include "support/fuzz.h"


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_client_config(0);
	fuzz_client_config(1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one_flight(fuzz_client_config, data, size);
	return 0;
}
