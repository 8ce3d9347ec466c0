/*
 * session.h — the private shape of ktls_config and ktls_session (DESIGN.md, layer 3: the
 * driver behind ktls.h).
 *
 * A session is an engine (core/engine.h: the protocol, no I/O) plus what only the driver
 * owns: the fd, its blocking mode, the handshake deadline, the record being read, the
 * records waiting to be written, and the kernel side (kernel/kernel.h). The driver reads
 * one record at a time — header, then exactly its body, so nothing after the peer's
 * Finished is ever read and the kernel can take over the socket — and feeds it to the
 * engine; it writes what the engine emits; and once the engine says "connected" it hands
 * the keys to the kernel as an explicit step, then asks the engine for tickets.
 *
 * Memory: the engine is allocated apart (e), and once the kernel protects both directions
 * and nothing waits, the driver parks it (ktls_engine_park): e goes, `idle` keeps the few
 * flags and secrets the connected state needs, and the buffers go too. An idle offloaded
 * connection then holds this struct and two small allocations (secrets, names); the engine
 * comes back (ktls_engine_unpark) for a control record from the kernel, close_notify or a
 * failure, and is parked again when that is done. Text is kept only when there is some: the
 * error sentence (the engine's, made by the failure) and the offload status (made when a
 * direction stays in userspace).
 */
#ifndef KTLS_SESSION_H
#define KTLS_SESSION_H

#include <stdbool.h>

#include "engine.h"
#include "kernel.h"
#include "ktls.h"

struct ktls_config {
	struct ktls_engine_config engine; /* what the protocol does */
	int keylog_fd;         /* open O_APPEND, mode 0600; -1: no key log */
	int trace_fd;
	enum ktls_offload_mode offload;
	bool offload_required;
	unsigned offload_flags;           /* KTLS_OFFLOAD_TX_ZEROCOPY | KTLS_OFFLOAD_RX_NO_PAD */
	uint64_t key_limit;               /* records per sending key, below §5.5's; 0: §5.5's */
	ktls_setsockopt_fn setsockopt_fn; /* setsockopt, or a test's stand-in */
	ktls_sendmsg_fn sendmsg_fn;       /* sendmsg, or a test's stand-in */
	char error[256];
};

struct ktls_session {
	struct ktls_engine *e;           /* the protocol; NULL while parked */
	struct ktls_engine_parked idle;  /* the connected state while e is parked */
	int idle_err;                    /* parked, the engine could not come back (KTLS_ENOMEM) */
	const struct ktls_config *cfg;
	int fd;
	bool blocking;         /* the fd was blocking when the session began */
	int64_t deadline_ms;   /* CLOCK_MONOTONIC end of the handshake, 0: none */
	bool offload_decided;  /* the handoff step ran */
	bool tx_zerocopy, rx_no_pad;     /* optional kernel features granted */
	char *offload_status;            /* why not, when a direction stayed in userspace (heap);
					  * NULL: nothing to say */
	struct ktls_kernel k;            /* the kernel's side */
	uint64_t tx_bound;               /* kernel TX: at least the records the current key has
					  * protected (counted up from what we send, set from
					  * the kernel's rec_seq when it nears the limit) */
	const struct ktls_engine_ops *ops; /* the engine's way out: into out, k, the trace fd */
	const char *note;                /* the sentence for the last error that did not end the
					  * session (a static string), or NULL */
	const char *io_op;               /* the system call that failed (KTLS_EIO), and errno */
	int io_errno;

	/* I/O: the record being read, records waiting to be written, data not yet returned */
	uint8_t *rec;             /* rec_cap bytes, once a record header has come */
	uint8_t rec_hdr[TLS_RECORD_HEADER_LEN]; /* the first header, before rec exists */
	size_t rec_len;           /* bytes of the current record read so far */
	size_t rec_cap;           /* the biggest record so far (at least 1 KiB), not 16 KiB */
	struct ktls_buf out;      /* records waiting to be written (userspace TX) */
	struct ktls_buf app_in;   /* decrypted application data not yet returned */
	struct ktls_buf tx_hold;  /* userspace TX: data KTLS_SEND_MORE holds for the next record
				   * (less than one record) */
};

/* config.c: appends a loaded chain to cfg (taken, freed on failure). Returns 0 or
 * KTLS_ENOMEM. */
KTLS_MUST_CHECK int ktls_config_add_cert_chain(struct ktls_config *cfg,
					       struct ktls_cert_chain *chain);

#endif
