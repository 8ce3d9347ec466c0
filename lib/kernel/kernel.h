/*
 * kernel.h — one connection's side of kernel TLS (DESIGN.md, layer 2): which directions the
 * kernel protects, the control records waiting for socket space, a control record read,
 * and the I/O that talks to TLS_TX / TLS_RX (Documentation/networking/tls.rst).
 *
 * Every setsockopt(SOL_TLS) goes through ktls_kernel_install, which checks its
 * preconditions first (s2n-tls' s2n_ktls_validate): for TLS_TX nothing of ours may wait in
 * the queue ahead of the key and no record may be open (MSG_MORE); for TLS_RX no control
 * record may wait unread. A key change for TX is queued behind the records that must still
 * leave under the old key (a KeyUpdate answer on a full socket, RFC 8446 §4.6.3), and
 * installed only when they are gone: until then the flush says KTLS_WANT_WRITE.
 *
 * setsockopt and sendmsg are swappable, so a test can play a kernel that refuses, or a
 * socket that is full.
 *
 * Memory: an idle connection holds no buffer here. The queue's buffer exists while something
 * waits in it (it is wiped and freed when a flush empties it: it may hold a TX key), and the
 * control record buffer from the record's arrival until the driver is done with it
 * (ktls_kernel_release_ctl).
 */
#ifndef KTLS_KERNEL_H
#define KTLS_KERNEL_H

#include <stdbool.h>
#include <sys/types.h>

#include "engine.h"
#include "offload.h"

typedef ssize_t (*ktls_sendmsg_fn)(int fd, const struct msghdr *msg, int flags);

struct ktls_kernel {
	int fd;
	bool blocking;                 /* wait for space rather than return KTLS_WANT_WRITE */
	ktls_setsockopt_fn setsockopt;
	ktls_sendmsg_fn sendmsg;
	const struct ktls_suite *suite;
	bool tx, rx;                   /* the kernel protects this direction */
	bool rekey;                    /* it takes new keys (TLS 1.3 KeyUpdate, Linux 6.14+) */
	bool tx_open;                  /* a MSG_MORE send left a record open */
	struct ktls_buf queue;         /* entries: [kind][type][u16 len][bytes], see kio.c; no
					* buffer while empty */
	uint8_t *ctl;                  /* a control record read from TLS_RX, ctl_len bytes
					* (TLS_MAX_PLAINTEXT; NULL between control records) */
	size_t ctl_len;
	int sys_errno;                 /* of the last failed system call */
	const char *why;               /* what the last failure meant; for KTLS_EIO the
					* system call that failed (errno in sys_errno) */
};

/* Installs one direction (TLS_TX or TLS_RX) from a traffic secret at sequence seq, after
 * checking the preconditions above. Returns 0, KTLS_WANT_WRITE (TX: something must leave
 * first), KTLS_EINTERNAL (RX: a control record waits), or KTLS_EUNSUPPORTED with a
 * sentence in reason. */
KTLS_MUST_CHECK int ktls_kernel_install(struct ktls_kernel *k, int direction,
					const uint8_t *secret, uint64_t seq, char *reason,
					size_t reason_len);

/* The first TX install of a connection: ktls_kernel_install(k, TLS_TX, ...), then, when it
 * worked, sets k->rekey to whether this kernel takes new keys (ktls_offload_install's rekey
 * question, asked with the same derived key). Returns what ktls_kernel_install returns. */
KTLS_MUST_CHECK int ktls_kernel_install_tx_first(struct ktls_kernel *k, const uint8_t *secret,
						 uint64_t seq, char *reason, size_t reason_len);

/* Queues one control record (alert, handshake message) of at most 2^14 bytes for kernel
 * TX and writes what the socket takes. Returns 0 (sent or queued), KTLS_EIO, KTLS_ENOMEM. */
KTLS_MUST_CHECK int ktls_kernel_queue_record(struct ktls_kernel *k, uint8_t type,
					     const uint8_t *data, size_t len);
/* Queues a new TX traffic secret (hash_len bytes), installed once everything queued before
 * it has left. Returns 0 or KTLS_ENOMEM. */
KTLS_MUST_CHECK int ktls_kernel_queue_tx_key(struct ktls_kernel *k, const uint8_t *secret);
/* Writes the queue in order, then frees its buffer. Returns 0 when it is empty, KTLS_WANT_WRITE (the socket is
 * full, or a key waits for an open record), KTLS_EIO (k->sys_errno), or the install's
 * KTLS_EUNSUPPORTED (reason). */
KTLS_MUST_CHECK int ktls_kernel_flush(struct ktls_kernel *k, char *reason, size_t reason_len);
static inline size_t ktls_kernel_queued(const struct ktls_kernel *k)
{
	return ktls_buf_pending(&k->queue);
}

/* The records the kernel has protected under its current TX key: rec_seq from
 * getsockopt(SOL_TLS, TLS_TX) — the kernel's count is the truth after the handoff
 * (RFC 8446 §5.5 limits are enforced from it). The crypto_info it returns holds the key
 * too: wiped here. Returns 0, KTLS_EUNSUPPORTED when this kernel does not report it (k->why),
 * or KTLS_EIO (k->sys_errno). */
KTLS_MUST_CHECK int ktls_kernel_tx_seq(struct ktls_kernel *k, uint64_t *seq);

/* Application data through kernel TX; with more, MSG_MORE (the record may stay open).
 * Returns bytes taken, KTLS_WANT_WRITE, or KTLS_EIO. */
long ktls_kernel_send(struct ktls_kernel *k, const void *buf, size_t len, bool more);
/* Ends a record a MSG_MORE send left open. Returns 0, KTLS_WANT_WRITE or KTLS_EIO. */
KTLS_MUST_CHECK int ktls_kernel_end_record(struct ktls_kernel *k);
/* sendfile(2) through kernel TX. As ktls_kernel_send; 0 at end of file. */
long ktls_kernel_sendfile(struct ktls_kernel *k, int in_fd, long long *offset, size_t count);

/* Reads from kernel RX: application data straight into buf, or one whole control record
 * into k->ctl (*ctl_type set). Returns bytes of data (> 0), 0 with *ctl_type for a control
 * record, KTLS_WANT_READ, KTLS_ECLOSED at the end of the stream, or the failure:
 * KTLS_EBADMAC, KTLS_EOVERFLOW, KTLS_EDECODE, KTLS_EKEYUPDATE, KTLS_EUNEXPECTED,
 * KTLS_EINTERNAL, KTLS_ENOMEM, KTLS_EIO (k->sys_errno), with what it means in k->why. */
long ktls_kernel_recv(struct ktls_kernel *k, void *buf, size_t len, uint8_t *ctl_type);

/* The control record in k->ctl has been handled: its buffer is wiped and freed. */
void ktls_kernel_release_ctl(struct ktls_kernel *k);

void ktls_kernel_free(struct ktls_kernel *k);

#endif
