/*
 * Experiment: the DTMF receiver's correlations in fixed point (bench/experiments/README.md).
 *
 * c_src/dtmf_rx.c correlates every 51-sample half-block with a cosine and a sine at the 8 DTMF
 * frequencies: 16 float multiply-adds per sample. Here the same 16 sums are computed as int16
 * samples times a Q10 int16 copy of the basis, summed in int32 (no overflow: at most
 * 51 * 2^15 * 2^10 < 2^31) and converted to float once per half-block. GCC turns the inner
 * loop into pmaddwd (8 multiply-adds per instruction) on plain x86-64; on the Cortex-M4 the
 * same C maps to SMLAD (two 16-bit multiply-adds per cycle).
 *
 * Usage: dtmf_fixed_point FILE (raw int16 8 kHz, e.g. build/bench/dtmf_throughput.raw).
 * Prints the worst error of the fixed-point sums relative to the float ones over the file, and
 * the rate of each kernel alone (without the rest of the receiver).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dtmf_tables.h"

#define HALF CG_DTMF_HALF
#define PAD 56 /* HALF rounded up to whole 8-lane vectors */
#define MAX_SAMPLES (8000 * 600)

static int16_t basis_q10[16][PAD]; /* transposed: one row per correlation */
static int16_t samples[MAX_SAMPLES];

/* As c_src/dtmf_rx.c does it for a whole half-block (even and odd accumulators). */
static void correlate_float(const int16_t *x, float *out, float *energy)
{
    float even[16] = {0}, odd[16] = {0}, e_even = 0.0f, e_odd = 0.0f;
    int m = 0;
    for (; m + 1 < HALF; m += 2) {
        const float x0 = (float) x[m], x1 = (float) x[m + 1];
        e_even += x0 * x0;
        e_odd += x1 * x1;
        for (int k = 0; k < 16; k++) {
            even[k] += x0 * cg_dtmf_basis[m][k];
            odd[k] += x1 * cg_dtmf_basis[m + 1][k];
        }
    }
    const float x0 = (float) x[m];
    e_even += x0 * x0;
    for (int k = 0; k < 16; k++)
        out[k] = even[k] + x0 * cg_dtmf_basis[m][k] + odd[k];
    *energy = e_even + e_odd;
}

static void correlate_q10(const int16_t *x, float *out, float *energy)
{
    int16_t xs[PAD];
    memcpy(xs, x, HALF * sizeof *x);
    memset(xs + HALF, 0, (PAD - HALF) * sizeof *x);
    int64_t e = 0;
    for (int m = 0; m < PAD; m++)
        e += (int32_t) xs[m] * xs[m];
    for (int k = 0; k < 16; k++) {
        int32_t s = 0;
        for (int m = 0; m < PAD; m++)
            s += (int32_t) xs[m] * basis_q10[k][m];
        out[k] = (float) s * (1.0f / 1024.0f);
    }
    *energy = (float) e;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + 1e-9 * (double) t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dtmf_fixed_point FILE.raw\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    const size_t n = fread(samples, sizeof samples[0], MAX_SAMPLES, f);
    fclose(f);
    for (int k = 0; k < 16; k++)
        for (int m = 0; m < HALF; m++)
            basis_q10[k][m] = (int16_t) lrintf(cg_dtmf_basis[m][k] * 1024.0f);

    float a[16], b[16], ea, eb;
    double worst = 0.0;
    for (size_t i = 0; i + HALF <= n; i += HALF) {
        correlate_float(samples + i, a, &ea);
        correlate_q10(samples + i, b, &eb);
        double norm = 0.0, err = 0.0;
        for (int k = 0; k < 16; k++) {
            norm += (double) a[k] * a[k];
            err += ((double) a[k] - b[k]) * ((double) a[k] - b[k]);
        }
        if (norm > 1e6 && err / norm > worst)
            worst = err / norm;
    }
    printf("worst error power of the Q10 sums, relative to the float sums: %.1f dB\n",
           10.0 * log10(worst + 1e-30));

    volatile float sink = 0.0f;
    for (int rep = 0; rep < 3; rep++) {
        const double t0 = now_s();
        for (size_t i = 0; i + HALF <= n; i += HALF) {
            correlate_float(samples + i, a, &ea);
            sink += a[3] + ea;
        }
        const double t1 = now_s();
        for (size_t i = 0; i + HALF <= n; i += HALF) {
            correlate_q10(samples + i, b, &eb);
            sink += b[3] + eb;
        }
        const double t2 = now_s();
        printf("float %5.0f M samples/s   Q10 %5.0f M samples/s   (%.2fx)\n",
               (double) n / (t1 - t0) / 1e6, (double) n / (t2 - t1) / 1e6,
               (t1 - t0) / (t2 - t1));
    }
    return 0;
}
