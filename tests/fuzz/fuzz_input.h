/*
 * What the libFuzzer targets in this folder share (header only, C99): CHECK, which turns a
 * logic error into a finding, and the helpers that take values from the fuzzer's input.
 */
#ifndef CALLGATE_FUZZ_INPUT_H
#define CALLGATE_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CHECK(cond, printf format, ...): if cond is false, print where, the condition and the
 * message to stderr, and abort (tools/fuzz.sh looks for "check failed"). */
#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* A byte scaled to lo..hi (0 -> lo, 255 -> hi). */
static inline float fuzz_scale(uint8_t b, float lo, float hi)
{
    return lo + (hi - lo) * (float) b / 255.0f;
}

/* Copies the input's int16 samples (native byte order, an odd last byte ignored), at most
 * max of them, to dst; returns how many. */
static inline size_t fuzz_samples(int16_t *dst, size_t max, const uint8_t *src, size_t size)
{
    size_t n = size / 2;
    if (n > max)
        n = max;
    memcpy(dst, src, n * sizeof(int16_t));
    return n;
}

/* The input read as a stream of bytes: past its end, every byte is 0. */
typedef struct {
    const uint8_t *d;
    size_t n, i;
} fuzz_reader_t;

static inline uint8_t fuzz_byte(fuzz_reader_t *r) { return r->i < r->n ? r->d[r->i++] : 0; }

#endif
