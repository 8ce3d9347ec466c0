/*
 * keylog.c — the NSS key log (the SSLKEYLOGFILE format Wireshark reads): one line per secret,
 * "<LABEL> <client_random hex> <secret hex>". Written only when the user configured a key
 * log; it is the one place secrets leave the process on purpose.
 */
#include "engine.h"

#include <sodium.h>
#include <stdio.h>

void ktls_keylog(const struct ktls_engine *e, const char *label, const uint8_t *secret,
		 size_t len)
{
	char line[64 + 1 + 64 + 1 + 2 * KTLS_MAX_HASH_LEN + 2];
	size_t n;

	if (!e->ops->keylog)
		return;
	/* NSS key log format: <label> <client_random hex> <secret hex> */
	n = (size_t)snprintf(line, sizeof(line), "%s ", label);
	for (size_t i = 0; i < 32; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x", e->client_random[i]);
	line[n++] = ' ';
	for (size_t i = 0; i < len; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x", secret[i]);
	line[n++] = '\n';
	/* the driver writes it whole (one write() per line: lines of concurrent sessions do
	 * not interleave) to the file ktls_config_set_keylog opened */
	e->ops->keylog(e->ctx, line, n);
	sodium_memzero(line, sizeof(line));
}
