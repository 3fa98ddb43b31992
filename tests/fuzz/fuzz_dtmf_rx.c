/*
 * libFuzzer target for the DTMF receiver (c_src/dtmf_rx.c, API in callgate/dtmf.h);
 * tools/fuzz.sh builds and runs it.
 *
 * Input layout:
 *   byte 0     flags: bit 0 law (A-law if set), bit 1 report_begin, bit 2 synthesise
 *              (else the rest is raw samples), bit 3 try a too-small event buffer before
 *              each block, bit 4 a configuration with a NaN field (must be refused)
 *   bytes 1-4  min_level_dbm0, max_normal_twist_db, max_reverse_twist_db, max_freq_error_pct,
 *              each a byte scaled over its accepted range
 *   byte 5     seeds the sequence of block lengths the stream is cut into
 *   rest       raw: int16 samples; synthesise: 6-byte records (digit, level, twist, frequency
 *              offset, tone ms, pause ms), so the fuzzer reaches real detections too.
 *
 * Checks (abort on the first failure, so logic errors are findings):
 *   - init accepts every in-range configuration and refuses NaN;
 *   - a process call returns at most CG_DTMF_RX_MAX_EVENTS(n) events and writes nothing past
 *     its count; with a smaller buffer it returns CG_E_SPACE and consumes nothing;
 *   - every event: kind dtmf (or dtmf-begin with report_begin), digit in "0123456789*#ABCD",
 *     start < end (begin: start == end), end within the samples fed so far, at least 20 ms
 *     long, level >= min_level_dbm0 and twist within the configured limits;
 *   - events are in order: digits do not overlap, a begin is followed by its digit;
 *   - the events do not depend on how the stream is cut (blocks vs. one call), bit for bit;
 *   - synthesised: each digit reported is one that was sent, during the time it was sent
 *     (give or take a 51-sample half-block; a begin event is an instant).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callgate/dtmf.h"
#include "callgate/private/dtmf.h"
#include "fuzz_input.h"

#define MAX_SAMPLES 48000 /* 6 s */
#define MAX_EV CG_DTMF_RX_MAX_EVENTS(MAX_SAMPLES)
#define HEADER 6
#define RECORD 6
/* Reported edges are estimates: a sent digit matches a report within a half-block of it. */
#define SLACK 51

static const char ALL_DIGITS[] = "0123456789*#ABCD";
static const char KEYPAD[16] = {'1', '2', '3', 'A', '4', '5', '6', 'B',
                                '7', '8', '9', 'C', '*', '0', '#', 'D'};
static const float ROW_HZ[4] = {697.0f, 770.0f, 852.0f, 941.0f};
static const float COL_HZ[4] = {1209.0f, 1336.0f, 1477.0f, 1633.0f};

typedef struct {
    char digit;
    size_t start, end; /* samples */
} sent_t;

static int16_t samples[MAX_SAMPLES];
static sent_t sent[MAX_SAMPLES / 8];
static size_t n_sent;

typedef struct {
    cg_event_t ev[MAX_EV + 4];
    size_t count;
} log_t;

static log_t log_blocks, log_whole;


/* Tones from 6-byte records; returns the number of samples written. */
static size_t synthesise(const uint8_t *d, size_t size, cg_law_t law)
{
    size_t n = 0;
    uint32_t noise = 12345u;
    n_sent = 0;
    for (size_t r = 0; r + RECORD <= size; r += RECORD) {
        const int key = d[r] & 15;
        const float level = fuzz_scale(d[r + 1], -50.0f, 0.0f);
        const float twist = fuzz_scale(d[r + 2], -12.0f, 8.0f);
        const float offset = fuzz_scale(d[r + 3], -0.05f, 0.05f);
        const size_t on = (size_t) d[r + 4] * 8u / 2u;  /* 0..127 ms */
        const size_t off = (size_t) d[r + 5] * 8u / 2u; /* 0..127 ms */
        const float a_row = cg_dbm0_to_peak(level, law);
        const float a_col = cg_dbm0_to_peak(level + twist, law);
        const float w_row = 6.2831853f * ROW_HZ[key / 4] * (1.0f + offset) / 8000.0f;
        const float w_col = 6.2831853f * COL_HZ[key % 4] * (1.0f + offset) / 8000.0f;
        if (n + on + off > MAX_SAMPLES)
            break;
        if (on > 0) {
            sent[n_sent].digit = KEYPAD[key];
            sent[n_sent].start = n;
            sent[n_sent].end = n + on;
            n_sent++;
        }
        for (size_t i = 0; i < on + off; i++) {
            float v = 0.0f;
            if (i < on)
                v = a_row * sinf(w_row * (float) i) + a_col * sinf(w_col * (float) i);
            noise = noise * 1664525u + 1013904223u;
            v += (float) ((int32_t) (noise >> 20) - 2048) * 0.25f; /* about -70 dBm0 */
            if (v > 32767.0f)
                v = 32767.0f;
            if (v < -32768.0f)
                v = -32768.0f;
            samples[n++] = (int16_t) v;
        }
    }
    return n;
}

static void check_event(const cg_dtmf_rx_cfg_t *cfg, const cg_event_t *e, uint64_t fed,
                        const log_t *log)
{
    CHECK(e->kind == CG_EVENT_DTMF || (cfg->report_begin && e->kind == CG_EVENT_DTMF_BEGIN),
          "event kind %d", (int) e->kind);
    CHECK(e->value > 0 && e->value < 128 && strchr(ALL_DIGITS, e->value) != NULL,
          "digit value %d", (int) e->value);
    CHECK(e->end_sample <= fed, "event ends at %llu, only %llu samples fed",
          (unsigned long long) e->end_sample, (unsigned long long) fed);
    if (e->kind == CG_EVENT_DTMF_BEGIN) {
        CHECK(e->start_sample == e->end_sample, "begin event spans %llu..%llu",
              (unsigned long long) e->start_sample, (unsigned long long) e->end_sample);
    } else {
        CHECK(e->start_sample < e->end_sample, "digit %c spans %llu..%llu", (char) e->value,
              (unsigned long long) e->start_sample, (unsigned long long) e->end_sample);
        CHECK(e->end_sample - e->start_sample >= 160, "digit %c lasts %llu samples (< 20 ms)",
              (char) e->value, (unsigned long long) (e->end_sample - e->start_sample));
    }
    CHECK(isfinite(e->level_dbm0) && isfinite(e->detail), "level %g twist %g",
          (double) e->level_dbm0, (double) e->detail);
    CHECK(e->level_dbm0 >= cfg->min_level_dbm0 - 0.05f, "level %g below the minimum %g",
          (double) e->level_dbm0, (double) cfg->min_level_dbm0);
    CHECK(e->detail >= -cfg->max_normal_twist_db - 0.05f &&
              e->detail <= cfg->max_reverse_twist_db + 0.05f,
          "twist %g outside -%g..+%g", (double) e->detail, (double) cfg->max_normal_twist_db,
          (double) cfg->max_reverse_twist_db);

    /* Order against the events before it. */
    const cg_event_t *prev_final = NULL, *prev = log->count ? &log->ev[log->count - 1] : NULL;
    for (size_t i = log->count; i-- > 0;)
        if (log->ev[i].kind == CG_EVENT_DTMF) {
            prev_final = &log->ev[i];
            break;
        }
    if (prev_final != NULL)
        CHECK(e->start_sample >= prev_final->end_sample,
              "digit %c at %llu overlaps the previous digit %c ending at %llu", (char) e->value,
              (unsigned long long) e->start_sample, (char) prev_final->value,
              (unsigned long long) prev_final->end_sample);
    if (prev != NULL && prev->kind == CG_EVENT_DTMF_BEGIN)
        CHECK(e->kind == CG_EVENT_DTMF && e->value == prev->value &&
                  e->start_sample == prev->start_sample,
              "begin of %c at %llu followed by kind %d digit %c at %llu", (char) prev->value,
              (unsigned long long) prev->start_sample, (int) e->kind, (char) e->value,
              (unsigned long long) e->start_sample);
    if (cfg->report_begin && e->kind == CG_EVENT_DTMF)
        CHECK(prev != NULL && prev->kind == CG_EVENT_DTMF_BEGIN,
              "digit %c at %llu without its begin event", (char) e->value,
              (unsigned long long) e->start_sample);
}

static void run(const cg_dtmf_rx_cfg_t *cfg, const int16_t *x, size_t n, uint8_t seed,
                int whole, int try_small, log_t *log)
{
    static const size_t LENGTHS[] = {0, 1, 2, 7, 25, 50, 51, 52, 80, 101, 102, 103, 160, 333, 1000};
    const size_t n_lengths = sizeof LENGTHS / sizeof LENGTHS[0];
    cg_dtmf_rx_t s;
    cg_event_t ev[MAX_EV + 4];
    CHECK(cg_dtmf_rx_init(&s, cfg) == CG_OK, "init refused an in-range configuration");
    log->count = 0;
    size_t i = 0, k = seed;
    while (i < n || whole) {
        size_t len = whole ? n : LENGTHS[k++ % n_lengths];
        if (len > n - i)
            len = n - i;
        const size_t max = CG_DTMF_RX_MAX_EVENTS(len);
        if (try_small && max > 0) {
            const int r = cg_dtmf_rx_process(&s, x + i, len, ev, max - 1);
            CHECK(r == CG_E_SPACE, "max_ev %zu < %zu for %zu samples returned %d", max - 1, max,
                  len, r);
        }
        memset(ev, 0xA5, sizeof ev);
        const int r = cg_dtmf_rx_process(&s, x + i, len, ev, max);
        CHECK(r >= 0 && (size_t) r <= max, "process of %zu samples returned %d (max %zu)", len,
              r, max);
        for (size_t j = (size_t) r; j < max + 4 && j < MAX_EV + 4; j++) {
            const unsigned char *p = (const unsigned char *) &ev[j];
            for (size_t b = 0; b < sizeof ev[j]; b++)
                CHECK(p[b] == 0xA5, "process returned %d events but wrote event %zu", r, j);
        }
        i += len;
        for (int j = 0; j < r; j++) {
            check_event(cfg, &ev[j], i, log);
            log->ev[log->count++] = ev[j];
        }
        if (whole)
            break;
    }
    const int r = cg_dtmf_rx_flush(&s, ev, 1);
    CHECK(r == 0 || r == 1, "flush returned %d", r);
    if (r == 1) {
        check_event(cfg, &ev[0], n, log);
        CHECK(ev[0].kind == CG_EVENT_DTMF, "flush gave kind %d", (int) ev[0].kind);
        log->ev[log->count++] = ev[0];
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER)
        return 0;
    const uint8_t flags = data[0];
    cg_dtmf_rx_cfg_t cfg;
    cg_dtmf_rx_cfg_default(&cfg);
    cfg.law = (flags & 1) ? CG_LAW_ALAW : CG_LAW_ULAW;
    cfg.report_begin = (flags >> 1) & 1;
    cfg.min_level_dbm0 = fuzz_scale(data[1], -70.0f, 3.0f);
    cfg.max_normal_twist_db = fuzz_scale(data[2], 0.0f, 20.0f);
    cfg.max_reverse_twist_db = fuzz_scale(data[3], 0.0f, 20.0f);
    cfg.max_freq_error_pct = fuzz_scale(data[4], 0.01f, 6.0f);

    if (flags & 16) {
        cg_dtmf_rx_t s;
        cg_dtmf_rx_cfg_t bad = cfg;
        float *fields[] = {&bad.min_level_dbm0, &bad.max_normal_twist_db,
                           &bad.max_reverse_twist_db, &bad.max_freq_error_pct};
        *fields[data[5] % 4] = NAN;
        CHECK(cg_dtmf_rx_init(&s, &bad) == CG_E_RANGE, "init accepted a NaN field %d",
              data[5] % 4);
    }

    const uint8_t *body = data + HEADER;
    const size_t body_size = size - HEADER;
    size_t n;
    if (flags & 4) {
        n = synthesise(body, body_size, cfg.law);
    } else {
        n = fuzz_samples(samples, MAX_SAMPLES, body, body_size);
    }

    run(&cfg, samples, n, data[5], 0, (flags >> 3) & 1, &log_blocks);
    run(&cfg, samples, n, 0, 1, 0, &log_whole);

    CHECK(log_blocks.count == log_whole.count, "%zu events in blocks, %zu in one call",
          log_blocks.count, log_whole.count);
    for (size_t i = 0; i < log_blocks.count; i++)
        CHECK(memcmp(&log_blocks.ev[i], &log_whole.ev[i], sizeof(cg_event_t)) == 0,
              "event %zu differs between blocks and one call: %c %llu..%llu vs %c %llu..%llu", i,
              (char) log_blocks.ev[i].value, (unsigned long long) log_blocks.ev[i].start_sample,
              (unsigned long long) log_blocks.ev[i].end_sample, (char) log_whole.ev[i].value,
              (unsigned long long) log_whole.ev[i].start_sample,
              (unsigned long long) log_whole.ev[i].end_sample);

    if (flags & 4) {
        for (size_t i = 0; i < log_whole.count; i++) {
            const cg_event_t *e = &log_whole.ev[i];
            int ok = 0;
            for (size_t j = 0; j < n_sent && !ok; j++)
                ok = sent[j].digit == (char) e->value && e->start_sample < sent[j].end + SLACK &&
                     e->end_sample + SLACK > sent[j].start;
            CHECK(ok, "digit %c reported at %llu..%llu was not sent then", (char) e->value,
                  (unsigned long long) e->start_sample, (unsigned long long) e->end_sample);
        }
    }
    return 0;
}
