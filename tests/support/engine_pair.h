/*
 * engine_pair.h — two engines (lib/core/engine.h) talking through memory: no socket, no
 * kernel, no fd. What one emits is queued and handed to the other, record by record.
 *
 * Two ways to carry the records:
 *   ENGINE_PAIR_RECORDS  each engine protects its own records (the wire bytes a socket would
 *                        carry; the userspace record layer of a session);
 *   ENGINE_PAIR_CLEAR    both directions handed over before the handshake, as QUIC carries
 *                        TLS: the engines emit each record's content and type in the clear
 *                        and take it back through ktls_engine_input_content, so a test or a
 *                        fuzzer sees — and may change — every decrypted message. (The
 *                        client runs without middlebox compatibility mode there: its dummy
 *                        ChangeCipherSpec exists only on the wire.)
 * Every key change each engine announces is counted, by direction.
 */
#ifndef KTLS_ENGINE_PAIR_H
#define KTLS_ENGINE_PAIR_H

#include <stdbool.h>

#include "engine.h"

enum engine_pair_mode { ENGINE_PAIR_RECORDS, ENGINE_PAIR_CLEAR };

struct engine_end {
	struct ktls_engine e;
	struct ktls_engine_ops ops;
	struct engine_pair *pair;
	struct ktls_buf out;       /* queued records: [type][u24 len][bytes] each */
	unsigned key_changes[2];   /* announced, by enum ktls_direction */
	uint8_t data[1 << 16];     /* application data received */
	size_t data_len;
	bool closed;               /* close_notify received */
};

/* Changes a record on its way (CLEAR mode): gets the sender, the index of the record among
 * all records the pair carried so far, and its type and content; may rewrite content
 * (*len bytes, up to cap) or return false to drop the record. */
typedef bool (*engine_pair_tamper_fn)(void *arg, const struct engine_end *from, unsigned index,
				      uint8_t type, uint8_t *content, size_t *len, size_t cap);

struct engine_pair {
	enum engine_pair_mode mode;
	struct engine_end c, s;
	unsigned records;          /* carried so far */
	engine_pair_tamper_fn tamper;
	void *tamper_arg;
};

/* Sets up both engines from the two configs (the configs' engine parts). Returns 0 or an
 * error. */
int engine_pair_init(struct engine_pair *p, enum engine_pair_mode mode,
		     const struct ktls_engine_config *client, const struct ktls_engine_config *server);
void engine_pair_free(struct engine_pair *p);
/* Starts the client if it has not started, then carries records both ways until neither has
 * anything queued (or at most `bound` records). Returns the number carried. */
unsigned engine_pair_run(struct engine_pair *p, unsigned bound);
/* Both connected, neither failed. */
bool engine_pair_connected(const struct engine_pair *p);
/* Sends application data from one end (through the engine's record layer or in the clear),
 * then runs the pair. Returns 0 or an error. */
int engine_pair_send(struct engine_pair *p, struct engine_end *from, const void *data, size_t len);
/* Makes `from` send a KeyUpdate (§4.6.3) and switch its write key, then runs the pair.
 * Returns 0 or an error. */
int engine_pair_key_update(struct engine_pair *p, struct engine_end *from, bool request);

#endif
