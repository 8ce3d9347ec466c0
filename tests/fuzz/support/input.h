/*
 * input.h — what the targets over a tool library's parser (http, netlink) share: their input
 * is one selector byte and the bytes to parse; a broken promise is a finding like a
 * sanitizer report.
 */
#ifndef KTLS_FUZZ_INPUT_H
#define KTLS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints what failed and aborts (libFuzzer then keeps the input). */
#define FUZZ_CHECK(target, cond)                                                          \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s fuzz: check failed: %s (line %d)\n", target,   \
				#cond, __LINE__);                                         \
			abort();                                                          \
		}                                                                         \
	} while (0)

/* The input after its selector byte, in a heap buffer of exactly its size (malloc's alignment
 * for headers, and ASan sees any read past the end); *len its length. NULL when there is no
 * selector byte (or no memory). Free it. */
static inline void *fuzz_input_body(const uint8_t *data, size_t size, size_t *len)
{
	if (size < 1)
		return NULL;
	*len = size - 1;
	void *buf = malloc(*len ? *len : 1);
	if (buf)
		memcpy(buf, data + 1, *len);
	return buf;
}

#endif
