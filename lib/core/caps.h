/*
 * caps.h — the fixed caps that keep a hostile peer from costing us unbounded memory or
 * CPU. One place, so a reviewer sees them all at once.
 */
#ifndef KTLS_CAPS_H
#define KTLS_CAPS_H

/* Certificates in one Certificate message we decode, and in a chain we load to send; the
 * configurable limit (ktls_limits.max_chain_length) may only be lower. */
#define KTLS_MAX_CHAIN 16
/* Key shares we put in one ClientHello (we send one). A peer's ClientHello may carry any
 * number (§4.2.8 sets none): the decoder takes them all, in one linear pass. */
#define KTLS_MAX_KEY_SHARES 8
/* The largest ClientHello body §4.1.2's syntax allows: version, random, session id<0..32>,
 * cipher_suites<2..2^16-2>, compression<1..2^8-1>, extensions<8..2^16-1>. The default
 * ktls_limits.max_handshake_message is this, so no valid ClientHello is refused. */
#define KTLS_MAX_CLIENT_HELLO (2 + 32 + 1 + 32 + 2 + 65534 + 1 + 255 + 2 + 65535)
/* The largest handshake message the configurable limit may allow, and the buffer our own
 * messages are built in; a peer's message over ktls_limits.max_handshake_message is
 * decode_error before it is buffered whole. */
#define KTLS_MAX_HANDSHAKE_MESSAGE (1024 * 1024)
#define KTLS_OWN_MESSAGE_MAX (64 * 1024)
/* Extensions in one message: an extensions block of 2^16-1 bytes holds at most 16383 (4
 * bytes each, empty). This is the default and the largest ktls_limits.max_extensions: §9.3
 * says unknown extensions MUST be ignored, so by default none is refused for their number;
 * each costs one step of a linear walk, and repeats are found with a bitmap. */
#define KTLS_MAX_EXTENSIONS 16383

#endif
