/*
 * server.c — fuzz target: the server state machine fed a whole client flight.
 *
 * A server session on one end of a socketpair; the input, decoded by fuzz_flight_bytes
 * (byte 0 bit 0: raw record bytes, or handshake bytes the harness wraps in plaintext records;
 * bit 1: the server asks for a client certificate), goes into the other end as the client's
 * bytes, and ktls_session_handshake is stepped until it wants more input or stops. It must
 * never crash, leak, spin or hang, whatever the bytes.
 *
 * Randomness is deterministic (support/fuzz.h), so a recorded client flight replays: the
 * seeds in corpus/server/ hold whole flights of our client and of openssl s_client recorded
 * against this very server (ClientHello, maybe a second one after a HelloRetryRequest, then
 * the encrypted Certificate/CertificateVerify/Finished), which the server completes. Mutations
 * of the encrypted records fail authentication, so what the fuzzer explores in depth is the
 * plaintext phase: ClientHello (both of them), ChangeCipherSpec, alerts and record framing.
 */
#include "support/fuzz.h"


int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_server_config(0);
	fuzz_server_config(1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one_flight(fuzz_server_config, data, size);
	return 0;
}
