/*  =========================================================================
    zyn_prelude - every system and third-party include, in one place

    Every .c file in zynamo includes this first, then the zyn_ headers it
    uses. Nothing from here leaks into include/zynamo.h.
    =========================================================================
*/

#ifndef ZYN_PRELUDE_H_INCLUDED
#define ZYN_PRELUDE_H_INCLUDED

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined (__x86_64__)
#include <immintrin.h>
#endif

#include <czmq.h>
#include <leveldb/c.h>
#include <msgpack.h>
#include <sodium.h>
#include <jansson.h>

#include "zynamo.h"

//  Load and store big-endian integers; key and frame layouts use them so
//  that bytewise order is numeric order.
static inline void
zyn_put_u64 (uint8_t *buf, uint64_t value)
{
    for (int i = 7; i >= 0; i--) {
        buf [i] = (uint8_t) (value & 0xff);
        value >>= 8;
    }
}

static inline uint64_t
zyn_get_u64 (const uint8_t *buf)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = (value << 8) | buf [i];
    return value;
}

static inline void
zyn_put_u32 (uint8_t *buf, uint32_t value)
{
    buf [0] = (uint8_t) (value >> 24);
    buf [1] = (uint8_t) (value >> 16);
    buf [2] = (uint8_t) (value >> 8);
    buf [3] = (uint8_t) value;
}

static inline uint32_t
zyn_get_u32 (const uint8_t *buf)
{
    return ((uint32_t) buf [0] << 24) | ((uint32_t) buf [1] << 16)
         | ((uint32_t) buf [2] << 8) | (uint32_t) buf [3];
}

//  value in decimal, NUL-terminated, at the end of buf (ZYN_U64_TEXT
//  bytes: the longest value and its NUL); returns where the text starts.
//  For headers written per request, where printf would cost more.
#define ZYN_U64_TEXT 21
static inline const char *
zyn_u64_text (char *buf, uint64_t value)
{
    char *digits = buf + ZYN_U64_TEXT - 1;
    *digits = 0;
    do {
        *--digits = (char) ('0' + value % 10);
        value /= 10;
    } while (value);
    return digits;
}

//  Append text to buffer at *length, keeping it NUL-terminated. The
//  caller sized buffer for all it appends (headers built per request).
static inline void
zyn_text_put (char *buffer, size_t *length, const char *text)
{
    size_t size = strlen (text);
    memcpy (buffer + *length, text, size + 1);
    *length += size;
}

//  Milliseconds since the epoch (wall time: for data, never for timeouts)
static inline int64_t
zyn_wall_msecs (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  Milliseconds on the monotonic clock (for heartbeats and timeouts)
static inline int64_t
zyn_mono_msecs (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
