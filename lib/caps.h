/*
 * caps.h — the fixed caps that keep a hostile peer from costing us unbounded memory or
 * CPU. One place, so a reviewer sees them all at once.
 */
#ifndef KTLS_CAPS_H
#define KTLS_CAPS_H

/* Certificates in one Certificate message we decode, and in a chain we load to send; the
 * configurable limit (ktls_limits.max_chain_length) may only be lower. */
#define KTLS_MAX_CHAIN 16
/* Key shares in a ClientHello; more is illegal_parameter. */
#define KTLS_MAX_KEY_SHARES 8
/* The largest handshake message the configurable limit may allow, and the buffer our own
 * messages are built in; a peer's message over ktls_limits.max_handshake_message (default
 * 64 KiB) is decode_error before it is buffered whole. */
#define KTLS_MAX_HANDSHAKE_MESSAGE (1024 * 1024)
#define KTLS_OWN_MESSAGE_MAX (64 * 1024)
/* Extensions in one message; more is decode_error (RFC 8446 has ~20 types). */
#define KTLS_MAX_EXTENSIONS 128

#endif
