/*
 * buffer-is-zero.h: fast test for all-zero memory (zero-page detection).
 *
 * buffer_is_zero() picks, once, the fastest implementation the CPU runs:
 * AVX2, then SSE2 (every x86-64 CPU), else a portable word-at-a-time loop.
 * It returns early at the first non-zero 64-byte block, so a page with data
 * near its start costs almost nothing.
 *
 * Threads: pure functions, safe from any thread.
 */
#ifndef UTIL_BUFFER_IS_ZERO_H
#define UTIL_BUFFER_IS_ZERO_H

#include "util/osdep.h"

/**
 * buffer_is_zero:
 * @buf: memory to test, any alignment
 * @len: its size in bytes (0 is allowed: an empty buffer is zero)
 *
 * Returns: whether every byte of @buf is zero.
 */
bool buffer_is_zero(const void *buf, size_t len);

/* The implementations, for tests and benchmarks. */
typedef enum BufferZeroAccel {
    BUFFER_ZERO_SCALAR,
    BUFFER_ZERO_SSE2,
    BUFFER_ZERO_AVX2,
    BUFFER_ZERO__MAX,
} BufferZeroAccel;

/* Returns: whether this CPU (and build) can run @accel. */
bool buffer_is_zero_accel_supported(BufferZeroAccel accel);

/* Returns: the accel's name ("scalar", "sse2", "avx2"). */
const char *buffer_is_zero_accel_name(BufferZeroAccel accel);

/*
 * buffer_is_zero_accel:
 * Same as buffer_is_zero() with implementation @accel, which must be
 * supported (buffer_is_zero_accel_supported()).
 */
bool buffer_is_zero_accel(BufferZeroAccel accel, const void *buf,
                          size_t len);

#endif /* UTIL_BUFFER_IS_ZERO_H */
