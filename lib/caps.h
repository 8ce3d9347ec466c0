/*
 * caps.h — the fixed caps that keep a hostile peer from costing us unbounded memory or
 * CPU. One place, so a reviewer sees them all at once.
 */
#ifndef KTLS_CAPS_H
#define KTLS_CAPS_H

/* Certificates in one Certificate message we accept, and in a chain we load to send. */
#define KTLS_MAX_CHAIN 10
/* Key shares in a ClientHello; more is illegal_parameter. */
#define KTLS_MAX_KEY_SHARES 8
/* One handshake message; larger is decode_error. */
#define KTLS_MAX_HANDSHAKE_MESSAGE (64 * 1024)

#endif
