/*
 * G.711 throughput, side by side in one process: callgate's block functions (c_src/g711.c),
 * spandsp's block functions (g711_encode / g711_decode / g711_transcode on a g711_init state),
 * spandsp's per-sample functions in a loop (linear_to_ulaw & co. are static inline in
 * spandsp/g711.h, so they are compiled here with this file's flags; alaw_to_ulaw and
 * ulaw_to_alaw are library calls), and memcpy of the same input bytes as the ceiling.
 *
 * Usage: bench_g711 [--only-callgate]. Environment: BENCH_REPEATS (default 15),
 * BENCH_MIN_MS (default 20, the least time one repeat runs). The cases run interleaved, one
 * repeat of each in turn, so a change of clock speed hits them all alike; each line of output
 * is one JSON object with the median rate over the repeats. Built by bench/run.py.
 */
#include "bench_util.h"

#include <spandsp.h>

#include "callgate/g711.h"

#define N 65536 /* samples per pass: 128 KiB of linear, 64 KiB of codes (L2-resident) */

static int16_t linear_in[N], linear_out[N];
static uint8_t alaw_in[N], ulaw_in[N], codes_out[N];
static g711_state_t *sp_alaw, *sp_ulaw;

/* One pass over the buffer for each case. */
static void cg_alaw_enc(void) { cg_alaw_encode(codes_out, linear_in, N); }
static void cg_ulaw_enc(void) { cg_ulaw_encode(codes_out, linear_in, N); }
static void cg_alaw_dec(void) { cg_alaw_decode(linear_out, alaw_in, N); }
static void cg_ulaw_dec(void) { cg_ulaw_decode(linear_out, ulaw_in, N); }
static void cg_a2u(void) { cg_alaw_to_ulaw(codes_out, alaw_in, N); }
static void cg_u2a(void) { cg_ulaw_to_alaw(codes_out, ulaw_in, N); }

static void sp_alaw_enc(void) { g711_encode(sp_alaw, codes_out, linear_in, N); }
static void sp_ulaw_enc(void) { g711_encode(sp_ulaw, codes_out, linear_in, N); }
static void sp_alaw_dec(void) { g711_decode(sp_alaw, linear_out, alaw_in, N); }
static void sp_ulaw_dec(void) { g711_decode(sp_ulaw, linear_out, ulaw_in, N); }
static void sp_a2u(void) { g711_transcode(sp_alaw, codes_out, alaw_in, N); }
static void sp_u2a(void) { g711_transcode(sp_ulaw, codes_out, ulaw_in, N); }

static void spi_alaw_enc(void)
{
    for (int i = 0; i < N; i++)
        codes_out[i] = linear_to_alaw(linear_in[i]);
}
static void spi_ulaw_enc(void)
{
    for (int i = 0; i < N; i++)
        codes_out[i] = linear_to_ulaw(linear_in[i]);
}
static void spi_alaw_dec(void)
{
    for (int i = 0; i < N; i++)
        linear_out[i] = alaw_to_linear(alaw_in[i]);
}
static void spi_ulaw_dec(void)
{
    for (int i = 0; i < N; i++)
        linear_out[i] = ulaw_to_linear(ulaw_in[i]);
}
static void spi_a2u(void)
{
    for (int i = 0; i < N; i++)
        codes_out[i] = alaw_to_ulaw(alaw_in[i]);
}
static void spi_u2a(void)
{
    for (int i = 0; i < N; i++)
        codes_out[i] = ulaw_to_alaw(ulaw_in[i]);
}

/* The ceiling: copy the input bytes (2 per linear sample, 1 per code). */
static void copy_linear(void) { memcpy(linear_out, linear_in, sizeof linear_in); }
static void copy_codes(void) { memcpy(codes_out, alaw_in, N); }

typedef struct {
    const char *direction;
    const char *impl;
    void (*pass)(void);
    int output_is_linear;
    void (*reference)(void); /* callgate's case for the same direction, to count differences */
} bench_case_t;

static bench_case_t cases[] = {
    {"alaw_encode", "callgate", cg_alaw_enc, 0, cg_alaw_enc},
    {"alaw_encode", "spandsp block", sp_alaw_enc, 0, cg_alaw_enc},
    {"alaw_encode", "spandsp inline loop", spi_alaw_enc, 0, cg_alaw_enc},
    {"alaw_encode", "memcpy", copy_linear, -1, NULL},
    {"ulaw_encode", "callgate", cg_ulaw_enc, 0, cg_ulaw_enc},
    {"ulaw_encode", "spandsp block", sp_ulaw_enc, 0, cg_ulaw_enc},
    {"ulaw_encode", "spandsp inline loop", spi_ulaw_enc, 0, cg_ulaw_enc},
    {"ulaw_encode", "memcpy", copy_linear, -1, NULL},
    {"alaw_decode", "callgate", cg_alaw_dec, 1, cg_alaw_dec},
    {"alaw_decode", "spandsp block", sp_alaw_dec, 1, cg_alaw_dec},
    {"alaw_decode", "spandsp inline loop", spi_alaw_dec, 1, cg_alaw_dec},
    {"alaw_decode", "memcpy", copy_codes, -1, NULL},
    {"ulaw_decode", "callgate", cg_ulaw_dec, 1, cg_ulaw_dec},
    {"ulaw_decode", "spandsp block", sp_ulaw_dec, 1, cg_ulaw_dec},
    {"ulaw_decode", "spandsp inline loop", spi_ulaw_dec, 1, cg_ulaw_dec},
    {"ulaw_decode", "memcpy", copy_codes, -1, NULL},
    {"alaw_to_ulaw", "callgate", cg_a2u, 0, cg_a2u},
    {"alaw_to_ulaw", "spandsp block", sp_a2u, 0, cg_a2u},
    {"alaw_to_ulaw", "spandsp inline loop", spi_a2u, 0, cg_a2u},
    {"alaw_to_ulaw", "memcpy", copy_codes, -1, NULL},
    {"ulaw_to_alaw", "callgate", cg_u2a, 0, cg_u2a},
    {"ulaw_to_alaw", "spandsp block", sp_u2a, 0, cg_u2a},
    {"ulaw_to_alaw", "spandsp inline loop", spi_u2a, 0, cg_u2a},
    {"ulaw_to_alaw", "memcpy", copy_codes, -1, NULL},
};
#define N_CASES ((int) (sizeof cases / sizeof cases[0]))

static double rates[N_CASES][64]; /* samples/s of each repeat */
static int passes[N_CASES];       /* passes per repeat */

/* Speech-like test signal: two partials, a slow envelope and noise, most samples well below
 * full scale but the whole range visited (so every segment of the laws is exercised). */
static void make_signal(void)
{
    uint32_t r = 1u;
    for (int i = 0; i < N; i++) {
        r = r * 1664525u + 1013904223u;
        const float noise = (float) ((int32_t) (r >> 16) - 32768) / 32768.0f;
        const float env = 0.55f + 0.45f * __builtin_sinf(6.2831853f * 3.0f * (float) i / 8000.0f);
        float v = env * (14000.0f * __builtin_sinf(6.2831853f * 310.0f * (float) i / 8000.0f) +
                         9000.0f * __builtin_sinf(6.2831853f * 1130.0f * (float) i / 8000.0f)) +
                  2500.0f * noise;
        if (i % 4096 < 64)
            v = 32767.0f * noise; /* bursts across the full range */
        linear_in[i] = (int16_t) (v > 32767.0f ? 32767.0f : v < -32768.0f ? -32768.0f : v);
    }
    cg_alaw_encode(alaw_in, linear_in, N);
    cg_ulaw_encode(ulaw_in, linear_in, N);
}

/* Outputs that differ from callgate's on this data (spandsp's mu-law encoder negates where
 * G.191 complements, REFERENCE.md). */
static long differences(const bench_case_t *c)
{
    static int16_t ref_linear[N];
    static uint8_t ref_codes[N];
    long d = 0;
    if (c->reference == NULL || c->output_is_linear < 0)
        return -1;
    c->reference();
    memcpy(ref_linear, linear_out, sizeof ref_linear);
    memcpy(ref_codes, codes_out, sizeof ref_codes);
    c->pass();
    for (int i = 0; i < N; i++)
        d += c->output_is_linear ? linear_out[i] != ref_linear[i] : codes_out[i] != ref_codes[i];
    return d;
}

int main(int argc, char **argv)
{
    const int only_callgate = argc > 1 && strcmp(argv[1], "--only-callgate") == 0;
    int repeats = bench_env_int("BENCH_REPEATS", 15);
    const double min_s = bench_env_int("BENCH_MIN_MS", 20) / 1000.0;
    if (repeats < 1)
        repeats = 1;
    if (repeats > 64)
        repeats = 64;
    sp_alaw = g711_init(NULL, G711_ALAW);
    sp_ulaw = g711_init(NULL, G711_ULAW);
    make_signal();

    /* Calibrate: enough passes that one repeat takes min_s. */
    for (int c = 0; c < N_CASES; c++) {
        if (only_callgate && strcmp(cases[c].impl, "callgate") != 0)
            continue;
        cases[c].pass(); /* warm the caches and the tables */
        const double t0 = bench_now_s();
        cases[c].pass();
        bench_clobber(codes_out);
        bench_clobber(linear_out);
        const double dt = bench_now_s() - t0;
        passes[c] = dt > 0 ? (int) (min_s / dt) + 1 : 1000;
    }
    for (int r = 0; r < repeats; r++) {
        for (int c = 0; c < N_CASES; c++) {
            bench_case_t *k = &cases[c];
            if (only_callgate && strcmp(k->impl, "callgate") != 0)
                continue;
            const double t0 = bench_now_s();
            for (int p = 0; p < passes[c]; p++) {
                k->pass();
                bench_clobber(codes_out);
                bench_clobber(linear_out);
            }
            const double dt = bench_now_s() - t0;
            rates[c][r] = (double) N * passes[c] / dt;
        }
    }
    for (int c = 0; c < N_CASES; c++) {
        bench_case_t *k = &cases[c];
        if (only_callgate && strcmp(k->impl, "callgate") != 0)
            continue;
        const double rate = bench_median(rates[c], repeats);
        printf("{\"bench\": \"g711\", \"direction\": \"%s\", \"impl\": \"%s\", "
               "\"samples_per_s\": %.6g, \"ns_per_sample\": %.4f, \"repeats\": %d, "
               "\"samples_per_pass\": %d, \"passes\": %d, \"differs_from_callgate\": %ld}\n",
               k->direction, k->impl, rate, 1e9 / rate, repeats, N, passes[c], differences(k));
    }
    g711_free(sp_alaw);
    g711_free(sp_ulaw);
    return 0;
}
