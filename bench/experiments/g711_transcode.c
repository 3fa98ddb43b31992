/*
 * Experiment: can A-law -> mu-law transcoding be made 2x faster than a 256-entry table?
 * (bench/experiments/README.md). Three ways, checked equal on all 65 536 inputs of a buffer
 * that holds every code, then timed over a 64 Ki-code buffer:
 *   table   cg_alaw_to_ulaw (c_src/g711.c): one byte lookup per sample, as spandsp does
 *   arith   value number v = ((a ^ 0x55) & 0x7F) + 1; G.711 Table 4 is v plus an offset that
 *           is min(v - 1, 7) less one at each of 8 breakpoints; branch-free, so GCC vectorises
 *   pair    a 65 536-entry uint16 table indexed by two codes at once (128 KiB: host only)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "callgate/g711.h"

#define N 65536
#define PASSES 2000

static uint8_t random_codes[N], speech_codes[N], out_ref[N], out[N];
static uint16_t pair_table[65536];

static void a2u_arith(uint8_t *restrict dst, const uint8_t *restrict src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t a = src[i];
        const uint8_t v = (uint8_t) (((a ^ 0x55) & 0x7F) + 1); /* A-law value number 1..128 */
        uint8_t off = (uint8_t) (v - 1 < 7 ? v - 1 : 7);
        off = (uint8_t) (off - (v >= 26) - (v >= 28) - (v >= 30) - (v >= 32) - (v >= 46) -
                         (v >= 48) - (v >= 64) - (v >= 81));
        const uint8_t u = (uint8_t) (v + off); /* mu-law value number */
        dst[i] = (uint8_t) ((a & 0x80) ? (0xFF ^ u) : (0x7F ^ u));
    }
}

static void a2u_pair(uint8_t *restrict dst, const uint8_t *restrict src, size_t n)
{
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        uint16_t x, y;
        memcpy(&x, src + i, 2);
        y = pair_table[x];
        memcpy(dst + i, &y, 2);
    }
    if (i < n)
        cg_alaw_to_ulaw(dst + i, src + i, 1);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + 1e-9 * (double) t.tv_nsec;
}

static double rate(void (*f)(uint8_t *, const uint8_t *, size_t), const uint8_t *src)
{
    const double t0 = now_s();
    for (int p = 0; p < PASSES; p++) {
        f(out, src, N);
        __asm__ volatile("" ::: "memory");
    }
    return (double) PASSES * N / (now_s() - t0);
}

int main(void)
{
    for (uint32_t i = 0; i < 65536; i++) {
        const uint8_t a[2] = {(uint8_t) i, (uint8_t) (i >> 8)};
        uint8_t u[2];
        cg_alaw_to_ulaw(u, a, 2);
        memcpy(&pair_table[i], u, 2);
    }
    int16_t linear[N];
    for (int i = 0; i < N; i++) {
        random_codes[i] = (uint8_t) i; /* every code, then shuffled */
        linear[i] = (int16_t) ((i * 7919) % 12000 - 6000);
    }
    for (int i = N - 1; i > 0; i--) {
        const int j = (int) ((uint32_t) i * 2654435761u % (uint32_t) (i + 1));
        const uint8_t t = random_codes[i];
        random_codes[i] = random_codes[j];
        random_codes[j] = t;
    }
    cg_alaw_encode(speech_codes, linear, N);

    const char *names[2] = {"random codes", "speech-like codes"};
    const uint8_t *inputs[2] = {random_codes, speech_codes};
    for (int w = 0; w < 2; w++) {
        cg_alaw_to_ulaw(out_ref, inputs[w], N);
        a2u_arith(out, inputs[w], N);
        if (memcmp(out, out_ref, N) != 0) {
            printf("arith differs from the table\n");
            return 1;
        }
        a2u_pair(out, inputs[w], N);
        if (memcmp(out, out_ref, N) != 0) {
            printf("pair differs from the table\n");
            return 1;
        }
        const double t = rate(cg_alaw_to_ulaw, inputs[w]);
        const double a = rate(a2u_arith, inputs[w]);
        const double p = rate(a2u_pair, inputs[w]);
        printf("%-18s table %5.0f M/s  arith %5.0f M/s (%.2fx)  pair %5.0f M/s (%.2fx)\n",
               names[w], t / 1e6, a / 1e6, a / t, p / 1e6, p / t);
    }
    return 0;
}
