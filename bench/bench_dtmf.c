/*
 * DTMF receivers side by side: callgate's cg_dtmf_rx (c_src/dtmf_rx.c) and spandsp's dtmf_rx,
 * both with their default settings, on the same 16-bit 8 kHz samples (a raw native-endian
 * file that bench/run.py writes).
 *
 *   bench_dtmf throughput FILE   samples/s of each receiver over the whole file, fed in
 *                                160-sample (20 ms) blocks; median of BENCH_REPEATS (default
 *                                15) runs, interleaved; one JSON line per receiver.
 *   bench_dtmf detect FILE       the digits each receiver reports: one JSON line per receiver,
 *                                {"impl": ..., "events": [[digit, start, end], ...]}.
 *                                callgate gives exact sample positions; spandsp reports through
 *                                its real-time callback, placed at the end of the 40-sample
 *                                chunk in which it fired (so its positions are late by up to
 *                                that plus its own detection delay).
 */
#include "bench_util.h"

#include <spandsp.h>

#include "callgate/dtmf.h"
#include "callgate/private/dtmf.h"

#define BLOCK 160
#define DETECT_CHUNK 40
#define MAX_EVENTS_OUT 200000

static int16_t *load(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    const long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    int16_t *x = malloc((size_t) bytes + 2);
    *n = fread(x, sizeof(int16_t), (size_t) bytes / sizeof(int16_t), f);
    fclose(f);
    return x;
}

/* --- callgate ----------------------------------------------------------------------------- */

static long run_callgate(const int16_t *x, size_t n)
{
    cg_dtmf_rx_t s;
    cg_event_t ev[CG_DTMF_RX_MAX_EVENTS(BLOCK)];
    long digits = 0;
    cg_dtmf_rx_init(&s, NULL);
    for (size_t i = 0; i + BLOCK <= n; i += BLOCK)
        digits += cg_dtmf_rx_process(&s, x + i, BLOCK, ev, CG_DTMF_RX_MAX_EVENTS(BLOCK));
    digits += cg_dtmf_rx_flush(&s, ev, 1);
    return digits;
}

/* --- spandsp ------------------------------------------------------------------------------ */

static long sp_digits;

static void sp_count(void *user_data, const char *digits, int len)
{
    (void) user_data;
    (void) digits;
    sp_digits += len;
}

static long run_spandsp(dtmf_rx_state_t *s, const int16_t *x, size_t n)
{
    sp_digits = 0;
    dtmf_rx_init(s, sp_count, NULL);
    for (size_t i = 0; i + BLOCK <= n; i += BLOCK)
        dtmf_rx(s, x + i, BLOCK);
    return sp_digits;
}

/* --- detect mode ---------------------------------------------------------------------------- */

typedef struct {
    char digit;
    size_t start, end;
} found_t;

static found_t found[MAX_EVENTS_OUT];
static size_t n_found;
static size_t sp_position; /* samples fed to spandsp up to the end of the current chunk */

static void print_events(const char *impl)
{
    printf("{\"bench\": \"dtmf-detect\", \"impl\": \"%s\", \"events\": [", impl);
    for (size_t i = 0; i < n_found; i++)
        printf("%s[\"%c\", %zu, %zu]", i ? ", " : "", found[i].digit, found[i].start,
               found[i].end);
    printf("]}\n");
}

static void sp_realtime(void *user_data, int code, int level, int delay)
{
    (void) user_data;
    (void) level;
    (void) delay;
    if (code) {
        if (n_found < MAX_EVENTS_OUT) {
            found[n_found].digit = (char) code;
            found[n_found].start = sp_position;
            found[n_found].end = 0;
            n_found++;
        }
    } else if (n_found > 0 && found[n_found - 1].end == 0) {
        found[n_found - 1].end = sp_position;
    }
}

static void detect(const int16_t *x, size_t n)
{
    cg_dtmf_rx_t s;
    cg_event_t ev[CG_DTMF_RX_MAX_EVENTS(DETECT_CHUNK)];
    n_found = 0;
    cg_dtmf_rx_init(&s, NULL);
    for (size_t i = 0; i < n; i += DETECT_CHUNK) {
        const size_t len = n - i < DETECT_CHUNK ? n - i : DETECT_CHUNK;
        int k = cg_dtmf_rx_process(&s, x + i, len, ev, CG_DTMF_RX_MAX_EVENTS(DETECT_CHUNK));
        if (i + len >= n)
            k += cg_dtmf_rx_flush(&s, ev + k, 1);
        for (int j = 0; j < k && n_found < MAX_EVENTS_OUT; j++) {
            found[n_found].digit = (char) ev[j].value;
            found[n_found].start = (size_t) ev[j].start_sample;
            found[n_found].end = (size_t) ev[j].end_sample;
            n_found++;
        }
    }
    print_events("callgate");

    n_found = 0;
    dtmf_rx_state_t *sp = dtmf_rx_init(NULL, NULL, NULL);
    dtmf_rx_set_realtime_callback(sp, sp_realtime, NULL);
    for (size_t i = 0; i < n; i += DETECT_CHUNK) {
        const size_t len = n - i < DETECT_CHUNK ? n - i : DETECT_CHUNK;
        sp_position = i + len;
        dtmf_rx(sp, x + i, (int) len);
    }
    if (n_found > 0 && found[n_found - 1].end == 0)
        found[n_found - 1].end = n;
    print_events("spandsp");
    dtmf_rx_free(sp);
}

/* --- throughput mode ------------------------------------------------------------------------ */

static void throughput(const int16_t *x, size_t n)
{
    int repeats = bench_env_int("BENCH_REPEATS", 15);
    if (repeats < 1)
        repeats = 1;
    if (repeats > 64)
        repeats = 64;
    double cg_rate[64], sp_rate[64];
    long cg_digits = 0, sp_count_digits = 0;
    dtmf_rx_state_t *sp = dtmf_rx_init(NULL, sp_count, NULL);
    run_callgate(x, n); /* warm up */
    run_spandsp(sp, x, n);
    const size_t used = n / BLOCK * BLOCK;
    for (int r = 0; r < repeats; r++) {
        double t0 = bench_now_s();
        cg_digits = run_callgate(x, n);
        cg_rate[r] = (double) used / (bench_now_s() - t0);
        t0 = bench_now_s();
        sp_count_digits = run_spandsp(sp, x, n);
        sp_rate[r] = (double) used / (bench_now_s() - t0);
    }
    printf("{\"bench\": \"dtmf\", \"impl\": \"callgate\", \"samples_per_s\": %.6g, "
           "\"samples\": %zu, \"block\": %d, \"repeats\": %d, \"digits\": %ld}\n",
           bench_median(cg_rate, repeats), used, BLOCK, repeats, cg_digits);
    printf("{\"bench\": \"dtmf\", \"impl\": \"spandsp\", \"samples_per_s\": %.6g, "
           "\"samples\": %zu, \"block\": %d, \"repeats\": %d, \"digits\": %ld}\n",
           bench_median(sp_rate, repeats), used, BLOCK, repeats, sp_count_digits);
    dtmf_rx_free(sp);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        /* run.py runs every bench_* without arguments first: this one needs a signal file. */
        printf("{\"bench\": \"dtmf\", \"usage\": \"bench_dtmf throughput|detect FILE\"}\n");
        return 0;
    }
    if (argc != 3 || (strcmp(argv[1], "throughput") != 0 && strcmp(argv[1], "detect") != 0)) {
        fprintf(stderr, "usage: bench_dtmf throughput|detect FILE\n");
        return 2;
    }
    size_t n;
    int16_t *x = load(argv[2], &n);
    if (strcmp(argv[1], "throughput") == 0)
        throughput(x, n);
    else
        detect(x, n);
    free(x);
    return 0;
}
