/*
 * clock.h — the one clock the tools read: CLOCK_MONOTONIC in milliseconds, for deadlines
 * and durations (never the wall clock, which jumps).
 */
#ifndef KTLS_TOOLS_CLOCK_H
#define KTLS_TOOLS_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: only differences mean anything. */
int64_t clock_now_ms(void);

#endif
