/*
 * libFuzzer target for call-progress analysis and disconnect supervision: the tone detector
 * (c_src/cpa_tone.c), the outbound-call analyser (c_src/cpa_outbound.c) and disconnect
 * supervision (c_src/disconnect.c), through their umbrella headers callgate/cpa.h and
 * callgate/private/cpa.h; tools/fuzz.sh builds and runs it.
 *
 * Input layout:
 *   byte 0     flags: bits 0-1 plan (CN, US, EU, EU), bit 2 A-law, bit 3 synthesise (else the
 *              rest is raw samples), bit 4 wait for dial tone, bit 5 try a too-small event
 *              buffer first
 *   bytes 1-3  tolerance_pct (0..50), tolerance_ms (0..255), min_level_dbm0 (-70..0)
 *   byte 4     seeds the sequence of block lengths the stream is cut into
 *   rest       raw: int16 samples; synthesise: 4-byte records (plan tone index or silence or
 *              noise burst, ms / 10 (2 bytes), level), so the fuzzer reaches real recognitions.
 *
 * Checks (abort on the first failure):
 *   - init accepts every in-range configuration;
 *   - tone detector: at most CG_CPA_TONE_MAX_EVENTS(n) events per call, CG_E_SPACE with less
 *     room; kinds are cpa-*, start <= end <= samples fed, tone values index the plan, beeps
 *     within the beep band, a tone-end follows its tone;
 *   - detector events and the analyser's result do not depend on how the stream is cut;
 *   - the analyser gives exactly one result (process + flush), a result kind, end >= start;
 *   - disconnect supervision fires at most once, with a known method.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callgate/cpa.h"
#include "callgate/private/cpa.h"
#include "callgate/private/tone.h"
#include "fuzz_input.h"

#define MAX_SAMPLES 96000 /* 12 s */
#define MAX_EV 8192
#define HEADER 5

static int16_t samples[MAX_SAMPLES];
static cg_event_t log_a[MAX_EV], log_b[MAX_EV];

static const char *const PLANS[4] = {"CN", "US", "EU", "ITU"};

static size_t synthesise(const uint8_t *d, size_t size, const cg_tone_plan_t *plan, cg_law_t law)
{
    size_t n = 0;
    uint32_t noise = 99991u;
    for (size_t r = 0; r + 4 <= size && n < MAX_SAMPLES; r += 4) {
        const uint32_t which = d[r];
        size_t len = ((size_t) d[r + 1] | ((size_t) d[r + 2] << 8)) % 1200u * 80u; /* <= 12 s */
        const float level = fuzz_scale(d[r + 3], -60.0f, 0.0f);
        if (len > MAX_SAMPLES - n)
            len = MAX_SAMPLES - n;
        if (which < plan->n_tones) {
            cg_tone_desc_t tone = *plan->tones[which];
            tone.level_dbm0 = level;
            cg_tone_gen_t g;
            CHECK(cg_tone_gen_init(&g, &tone, law) == CG_OK, "tone %u", which);
            const size_t got = cg_tone_gen_process(&g, samples + n, len);
            for (size_t i = got; i < len; i++)
                samples[n + i] = 0;
        } else {
            const float a = which & 1 ? cg_dbm0_to_peak(level, law) : 0.0f;
            for (size_t i = 0; i < len; i++) {
                noise = noise * 1664525u + 1013904223u;
                samples[n + i] = (int16_t) (a * ((float) (int32_t) (noise >> 16) - 32768.0f) /
                                            32768.0f);
            }
        }
        n += len;
    }
    return n;
}

static size_t run_detector(const cg_cpa_tone_cfg_t *cfg, const int16_t *x, size_t n, uint8_t seed,
                           int whole, int try_small, cg_event_t *log)
{
    static const size_t LENGTHS[] = {0, 1, 3, 79, 80, 81, 160, 237, 800, 1999};
    static cg_event_t ev[CG_CPA_TONE_MAX_EVENTS(MAX_SAMPLES) + 4];
    cg_cpa_tone_t s;
    CHECK(cg_cpa_tone_init(&s, NULL, cfg) == CG_OK, "tone init refused an in-range cfg");
    size_t count = 0, i = 0, k = seed;
    int32_t active = -1;
    while (i < n) {
        size_t len = whole ? n : LENGTHS[k++ % 10];
        if (len > n - i)
            len = n - i;
        const size_t max = CG_CPA_TONE_MAX_EVENTS(len);
        if (try_small)
            CHECK(cg_cpa_tone_process(&s, x + i, len, ev, max - 1) == CG_E_SPACE, "small buffer");
        const int r = cg_cpa_tone_process(&s, x + i, len, ev, max);
        CHECK(r >= 0 && (size_t) r <= max, "process returned %d (max %zu)", r, max);
        i += len;
        for (int j = 0; j < r; j++) {
            const cg_event_t *e = &ev[j];
            CHECK(e->kind >= CG_EVENT_CPA_TONE && e->kind <= CG_EVENT_CPA_BEEP, "kind %d",
                  (int) e->kind);
            CHECK(e->start_sample <= e->end_sample && e->end_sample <= i, "span %llu..%llu of %zu",
                  (unsigned long long) e->start_sample, (unsigned long long) e->end_sample, i);
            CHECK(isfinite(e->level_dbm0), "level");
            if (e->kind == CG_EVENT_CPA_TONE) {
                CHECK(active < 0, "tone %d while %d is active", (int) e->value, (int) active);
                CHECK(e->value >= 0 && (uint32_t) e->value < s.plan->n_tones, "tone %d",
                      (int) e->value);
                active = e->value;
            } else if (e->kind == CG_EVENT_CPA_TONE_END) {
                CHECK(e->value == active, "end of %d while %d is active", (int) e->value,
                      (int) active);
                active = -1;
            } else if (e->kind == CG_EVENT_CPA_BEEP) {
                CHECK(e->value >= cfg->beep_min_hz - 2 && e->value <= cfg->beep_max_hz + 2,
                      "beep at %d Hz", (int) e->value);
            }
            if (count < MAX_EV)
                log[count++] = *e;
        }
        if (whole)
            break;
    }
    return count;
}

static cg_event_t run_analyser(const cg_cpa_cfg_t *cfg, const int16_t *x, size_t n, uint8_t seed,
                               int whole)
{
    static const size_t LENGTHS[] = {1, 80, 81, 333, 2000, 7};
    cg_cpa_t s;
    cg_event_t ev[2], result;
    int results = 0;
    CHECK(cg_cpa_init(&s, cfg) == CG_OK, "cpa init refused an in-range cfg");
    size_t i = 0, k = seed;
    memset(&result, 0, sizeof result);
    while (i < n) {
        size_t len = whole ? n : LENGTHS[k++ % 6];
        if (len > n - i)
            len = n - i;
        const int r = cg_cpa_process(&s, x + i, len, ev, 1);
        CHECK(r == 0 || r == 1, "cpa process returned %d", r);
        if (r == 1) {
            results++;
            result = ev[0];
        }
        i += len;
    }
    const int r = cg_cpa_flush(&s, ev, 1);
    CHECK(r == 0 || r == 1, "flush returned %d", r);
    if (r == 1) {
        results++;
        result = ev[0];
    }
    CHECK(results == 1, "%d results", results);
    CHECK(result.kind >= CG_EVENT_CPA_NO_DIAL_TONE && result.kind <= CG_EVENT_CPA_MACHINE,
          "result kind %d", (int) result.kind);
    CHECK(result.end_sample >= result.start_sample && result.end_sample <= n, "result span");
    return result;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER)
        return 0;
    const uint8_t flags = data[0];
    cg_cpa_tone_cfg_t cfg;
    cg_cpa_tone_cfg_default(&cfg);
    cfg.plan_name = PLANS[flags & 3];
    cfg.law = (flags & 4) ? CG_LAW_ALAW : CG_LAW_ULAW;
    cfg.tolerance_pct = (uint16_t) (data[1] % 51);
    cfg.tolerance_ms = data[2];
    cfg.min_level_dbm0 = fuzz_scale(data[3], -70.0f, 0.0f);
    const cg_tone_plan_t *plan;
    CHECK(cg_tone_plan_find(cfg.plan_name, &plan) >= 0, "plan");

    size_t n;
    if (flags & 8) {
        n = synthesise(data + HEADER, size - HEADER, plan, cfg.law);
    } else {
        n = fuzz_samples(samples, MAX_SAMPLES, data + HEADER, size - HEADER);
    }

    const size_t na = run_detector(&cfg, samples, n, data[4], 0, (flags >> 5) & 1, log_a);
    const size_t nb = run_detector(&cfg, samples, n, 0, 1, 0, log_b);
    CHECK(na == nb, "%zu events in blocks, %zu in one call", na, nb);
    for (size_t i = 0; i < na; i++)
        CHECK(memcmp(&log_a[i], &log_b[i], sizeof(cg_event_t)) == 0, "event %zu differs", i);

    cg_cpa_cfg_t acfg;
    cg_cpa_cfg_default(&acfg);
    acfg.tone = cfg;
    acfg.no_dial_tone_ms = (flags & 16) ? 3000u : 0u;
    acfg.no_answer_ms = 5000u;
    const cg_event_t r1 = run_analyser(&acfg, samples, n, data[4], 0);
    const cg_event_t r2 = run_analyser(&acfg, samples, n, 0, 1);
    CHECK(memcmp(&r1, &r2, sizeof r1) == 0, "results differ: %d at %llu vs %d at %llu",
          (int) r1.kind, (unsigned long long) r1.end_sample, (int) r2.kind,
          (unsigned long long) r2.end_sample);

    cg_disc_cfg_t dcfg;
    cg_disc_cfg_default(&dcfg);
    dcfg.tone = cfg;
    dcfg.silence_ms = 2000u;
    cg_disc_t d;
    cg_event_t ev[1];
    CHECK(cg_disc_init(&d, &dcfg) == CG_OK, "disc init");
    int fired = 0;
    for (size_t i = 0; i < n; i += 500) {
        const size_t len = n - i < 500 ? n - i : 500;
        if (data[4] & 1 && i == 1000)
            fired += cg_disc_line(&d, CG_LINE_LOOP_DROP, i, ev, 1);
        const int r = cg_disc_process(&d, samples + i, len, ev, 1);
        CHECK(r == 0 || r == 1, "disc returned %d", r);
        if (r == 1)
            CHECK(strcmp(cg_disc_method_name(ev[0].value), "unknown") != 0, "method %d",
                  (int) ev[0].value);
        fired += r;
    }
    CHECK(fired <= 1, "disconnect fired %d times", fired);
    return 0;
}
