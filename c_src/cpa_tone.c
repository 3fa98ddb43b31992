/* Call-progress tone detection: see callgate/cpa_tone.h. */
#include <math.h>

#include "callgate/private/cpa_tone.h"

#define TICK CG_CPA_TICK
#define WINDOW (2 * TICK)
#define MS(ms) CG_CPA_SAMPLES(ms)
#define NO_FREQ 0xFFu
/* A signature's frequencies must carry this share of the window's power: a single tone 60 %
 * (a DTMF digit puts 50 % in either of its tones), a pair 45 % (440 + 480 Hz leak into each
 * other over 20 ms, and their sum can read low). */
#define MIN_PURITY_ONE 0.6f
#define MIN_PURITY_TWO 0.45f
/* The weaker of two frequencies within 10 dB of the stronger. */
#define MAX_TWIST 10.0f
/* A beep: the sine predictor leaves less than this share of the power. */
#define MAX_BEEP_RESIDUAL 0.03f
#define NO_FLOOR 1e30f /* no floor measured yet: nothing is voice (the first 50 ms of a line) */
#define FLOOR_EARLY 5 /* windows of a noise-floor block before its quietest counts */
#define VOICE_OVER_FLOOR 3.0f /* 4.8 dB: voice stands this far above the line's noise floor */
#define MIN_SILENCE_EVENT MS(100)
/* A pause shorter than this after a tone is part of the tone's run: Q.35 lets up to 30 ms part
 * the SIT's segments, and no plan has an off segment near it (the shortest: 200 ms). */
#define SHORT_PAUSE MS(50)
#define SIT_BEEP_MIN MS(460) /* longer than a SIT segment can be (330 ms + SIT_TOLERANCE) */
#define MIN_CONTINUOUS MS(500)
#define CONTINUOUS_MARGIN MS(50)

/* --- Set-up ---------------------------------------------------------------------------- */

void cg_cpa_tone_cfg_default(cg_cpa_tone_cfg_t *cfg)
{
    cfg->plan = NULL;
    cfg->plan_name = "CN";
    cfg->law = CG_LAW_ULAW;
    cfg->min_level_dbm0 = -40.0f;
    cfg->voice_level_dbm0 = -45.0f;
    cfg->tolerance_pct = 20;
    cfg->tolerance_ms = 50;
    cfg->beep_min_hz = 500;
    cfg->beep_max_hz = 2500;
    cfg->beep_min_ms = 120;
    cfg->sit_kinds = 0;
    cfg->tones = 0;
}

static uint32_t tolerance(const cg_cpa_tone_t *s, uint32_t d)
{
    const uint32_t pct = d * s->tol_pct / 100u;
    return pct > s->tol_samples ? pct : s->tol_samples;
}

/* Tone t's tolerance for a segment of d samples: the configured one, and for the SIT at least
 * SIT_TOLERANCE: ITU-T Q.35 allows 330 +- 70 ms, the North American kinds are 274 and 380 ms,
 * and up to 30 ms may separate the segments (a run takes part of the gap). */
#define SIT_TOLERANCE MS(120)
static uint32_t tone_tolerance(const cg_cpa_tone_t *s, int32_t t, uint32_t d)
{
    const uint32_t tol = tolerance(s, d);
    return t == s->t_sit && tol < SIT_TOLERANCE ? SIT_TOLERANCE : tol;
}

static int in_range(const cg_cpa_tone_t *s, int32_t t, uint32_t duration_ms, uint32_t samples)
{
    const uint32_t d = MS(duration_ms), tol = tone_tolerance(s, t, d);
    return samples + tol >= d && samples <= d + tol;
}

/* Every field of cfg within its documented range? */
static int cfg_in_range(const cg_cpa_tone_cfg_t *cfg)
{
    return !((cfg->law != CG_LAW_ULAW && cfg->law != CG_LAW_ALAW) ||
             !(cfg->min_level_dbm0 >= -70.0f) || !(cfg->min_level_dbm0 <= 3.0f) ||
             !(cfg->voice_level_dbm0 >= -80.0f) || !(cfg->voice_level_dbm0 <= 3.0f) ||
             cfg->tolerance_pct > 50 || cfg->tolerance_ms > 1000 ||
             (cfg->beep_max_hz != 0 && (cfg->beep_min_hz < 100 || cfg->beep_max_hz > 3800 ||
                                        cfg->beep_min_hz >= cfg->beep_max_hz)) ||
             cfg->beep_min_ms < 20 || cfg->beep_min_ms > 5000 || cfg->sit_kinds > 1);
}

/* The configuration in the units the detector compares in: powers, samples, cos(w). */
static void set_limits(cg_cpa_tone_t *s, const cg_cpa_tone_cfg_t *cfg)
{
    s->law = cfg->law;
    const float peak = cg_dbm0_to_peak(cfg->min_level_dbm0, cfg->law);
    s->min_power = 0.5f * peak * peak;
    const float vpeak = cg_dbm0_to_peak(cfg->voice_level_dbm0, cfg->law);
    s->voice_power = 0.5f * vpeak * vpeak;
    s->tol_pct = cfg->tolerance_pct;
    s->tol_samples = MS(cfg->tolerance_ms);
    s->beep_min_samples = MS(cfg->beep_min_ms);
    if (cfg->beep_max_hz) {
        s->beep_cos_hi = cosf(CG_TWO_PI * (float) cfg->beep_min_hz / (float) CG_SAMPLE_RATE);
        s->beep_cos_lo = cosf(CG_TWO_PI * (float) cfg->beep_max_hz / (float) CG_SAMPLE_RATE);
    } else {
        s->beep_cos_lo = 2.0f; /* no cos is in [2, -2]: no beeps */
        s->beep_cos_hi = -2.0f;
    }
}

/* The bank index of frequency hz (freqs[k] for k < n_freqs), added if new; -1 if the bank is
 * full. */
static int freq_slot(cg_cpa_tone_t *s, uint16_t hz, uint16_t *freqs)
{
    for (uint32_t k = 0; k < s->n_freqs; k++)
        if (freqs[k] == hz)
            return (int) k;
    if (s->n_freqs == CG_CPA_MAX_FREQS)
        return -1;
    freqs[s->n_freqs] = hz;
    return (int) s->n_freqs++;
}

/* The index of the signature of bank frequencies f0 < f1 (f1 NO_FREQ: f0 alone), added if new;
 * -1 if the signatures are full. */
static int sig_slot(cg_cpa_tone_t *s, uint8_t f0, uint8_t f1)
{
    uint32_t k;
    for (k = 0; k < s->n_sigs; k++)
        if (s->sig_freq[k][0] == f0 && s->sig_freq[k][1] == f1)
            return (int) k;
    if (s->n_sigs == CG_CPA_MAX_SIGS)
        return -1;
    s->sig_freq[k][0] = f0;
    s->sig_freq[k][1] = f1;
    s->n_sigs++;
    return (int) k;
}

/* What segment sg plays: 0 silence, 1 + k signature k (its frequencies and signature added to
 * the bank if new); CG_E_RANGE if the bank is full. */
static int segment_signature(cg_cpa_tone_t *s, const cg_tone_segment_t *sg, uint16_t *freqs)
{
    uint8_t fi[2] = {NO_FREQ, NO_FREQ};
    const uint16_t hz[2] = {sg->freq1_hz, sg->freq2_hz};
    for (int c = 0; c < 2; c++) {
        if (!hz[c])
            continue;
        const int k = freq_slot(s, hz[c], freqs);
        if (k < 0)
            return CG_E_RANGE;
        fi[c] = (uint8_t) k;
    }
    if (fi[0] == NO_FREQ) { /* silence, or a single tone in the second slot */
        fi[0] = fi[1];
        fi[1] = NO_FREQ;
    }
    if (fi[0] == NO_FREQ)
        return 0;
    if (fi[1] != NO_FREQ && fi[1] < fi[0]) {
        const uint8_t x = fi[0];
        fi[0] = fi[1];
        fi[1] = x;
    }
    const int k = sig_slot(s, fi[0], fi[1]);
    return k < 0 ? CG_E_RANGE : k + 1;
}

static int listens(const cg_cpa_tone_t *s, uint32_t t)
{
    return (s->listen >> t) & 1u;
}

/* The frequencies and signatures the segments of the plan's tones listened for use: the bank
 * in freqs, tone_sig (all 0 for the others). */
static int collect_signatures(cg_cpa_tone_t *s, const cg_tone_plan_t *plan, uint16_t *freqs)
{
    s->n_tones = plan->n_tones;
    for (uint32_t t = 0; t < plan->n_tones; t++) {
        const cg_tone_desc_t *tone = plan->tones[t];
        if (cg_tone_check(tone) < 0 || tone->n_segments > CG_CPA_MAX_SEGMENTS)
            return CG_E_RANGE;
        if (!listens(s, t))
            continue;
        for (uint32_t i = 0; i < tone->n_segments; i++) {
            const int sig = segment_signature(s, &tone->segments[i], freqs);
            if (sig < 0)
                return sig;
            s->tone_sig[t][i] = (uint8_t) sig;
        }
    }
    return CG_OK;
}

/* The North American SIT's low and high frequency of each of its tone segments, in order (Hz,
 * rounded: a Goertzel filter 0.3 Hz off loses nothing over 20 ms); 0: none. */
static const uint16_t sit_variant_hz[3][2] = {{914, 985}, {1371, 1429}, {1777, 0}};

/* With sit_kinds: the plan's SIT segments also listen at their variants' frequencies. */
static int add_sit_variants(cg_cpa_tone_t *s, const cg_tone_plan_t *plan, uint16_t *freqs)
{
    const int32_t t = s->t_sit;
    if (t < 0 || !listens(s, (uint32_t) t))
        return CG_OK; /* (a plan without a SIT, or not listening for it) */
    uint32_t seg = 0;
    for (uint32_t i = 0; i < plan->tones[t]->n_segments && seg < 3; i++) {
        const uint8_t sig = s->tone_sig[t][i];
        if (!sig || s->sig_freq[sig - 1][1] != NO_FREQ)
            continue; /* off, or two frequencies: not a SIT segment */
        for (int v = 0; v < 2; v++) {
            if (!sit_variant_hz[seg][v])
                continue;
            const int k = freq_slot(s, sit_variant_hz[seg][v], freqs);
            if (k < 0)
                return CG_E_RANGE;
            s->sig_alt[sig - 1][v] = (uint8_t) k;
        }
        seg++;
    }
    return CG_OK;
}

/* Bank frequency k's Goertzel coefficient, and the turn that carries a tick's result into the
 * next tick's window: a tick advances the phase by w TICK, f / 100 cycles (TICK / rate is
 * 1 / 100 s), whose whole cycles drop out exactly. */
static void set_filters(cg_cpa_tone_t *s, const uint16_t *freqs)
{
    for (uint32_t k = 0; k < s->n_freqs; k++) {
        const float w = CG_TWO_PI * (float) freqs[k] / (float) CG_SAMPLE_RATE;
        const float turn = CG_TWO_PI * (float) (freqs[k] % (CG_SAMPLE_RATE / TICK)) /
                           (float) (CG_SAMPLE_RATE / TICK);
        s->coeff[k] = 2.0f * cosf(w);
        s->sin_w[k] = sinf(w);
        s->turn_re[k] = cosf(turn);
        s->turn_im[k] = sinf(turn);
    }
}

/* A continuous tone must outlast every cadenced on-segment of its signature. */
static void set_continuous_minimums(cg_cpa_tone_t *s, const cg_tone_plan_t *plan)
{
    for (uint32_t t = 0; t < plan->n_tones; t++) {
        const cg_tone_desc_t *tone = plan->tones[t];
        if (!(tone->n_segments == 1 && tone->repeat && s->tone_sig[t][0]))
            continue; /* (tone_sig is 0 for a tone not listened for) */
        uint32_t need = MIN_CONTINUOUS;
        for (uint32_t u = 0; u < plan->n_tones; u++) {
            const cg_tone_desc_t *other = plan->tones[u];
            if (u == t || other->n_segments < 2 || !listens(s, u))
                continue;
            for (uint32_t i = 0; i < other->n_segments; i++) {
                if (s->tone_sig[u][i] != s->tone_sig[t][0])
                    continue;
                const uint32_t d = MS(other->segments[i].duration_ms);
                if (d + tolerance(s, d) + CONTINUOUS_MARGIN > need)
                    need = d + tolerance(s, d) + CONTINUOUS_MARGIN;
            }
        }
        s->cont_min[t] = need;
    }
}

int cg_cpa_tone_plan_of(const cg_tone_plan_t *plan, const cg_cpa_tone_cfg_t *cfg,
                        const cg_tone_plan_t **found)
{
    if (plan == NULL)
        plan = cfg->plan;
    if (plan == NULL) {
        const int err = cg_tone_plan_find(cfg->plan_name, &plan);
        if (err < 0)
            return err;
    }
    *found = plan;
    return CG_OK;
}

int cg_cpa_tone_init(cg_cpa_tone_t *s, const cg_tone_plan_t *plan, const cg_cpa_tone_cfg_t *cfg)
{
    cg_cpa_tone_cfg_t defaults;
    uint16_t freqs[CG_CPA_MAX_FREQS];
    if (s == NULL)
        return CG_E_NULL;
    if (cfg == NULL) {
        cg_cpa_tone_cfg_default(&defaults);
        cfg = &defaults;
    }
    const int found = cg_cpa_tone_plan_of(plan, cfg, &plan);
    if (found < 0)
        return found;
    if (!cfg_in_range(cfg) || plan->n_tones > CG_CPA_MAX_TONES || (cfg->tones >> plan->n_tones))
        return CG_E_RANGE;

    *s = (cg_cpa_tone_t) {0};
    for (uint32_t i = 0; i < CG_CPA_FLOOR_BLOCKS; i++)
        s->mins[i] = -1.0f; /* no block yet */
    s->floor = NO_FLOOR;
    s->plan = plan;
    s->listen = cfg->tones ? cfg->tones : (1u << plan->n_tones) - 1u;
    set_limits(s, cfg);
    for (uint32_t k = 0; k < CG_CPA_MAX_SIGS; k++)
        s->sig_alt[k][0] = s->sig_alt[k][1] = NO_FREQ;
    s->sit_hold = cfg->sit_kinds;
    s->t_sit = cg_tone_find(plan, "sit", NULL);
    if (s->t_sit < 0)
        s->t_sit = -1;
    int err = collect_signatures(s, plan, freqs);
    if (err == CG_OK && cfg->sit_kinds)
        err = add_sit_variants(s, plan, freqs);
    if (err < 0)
        return err;
    set_filters(s, freqs);
    set_continuous_minimums(s, plan);
    s->act.cls = s->cad.cls = -1;
    s->act.pending = s->cad.pending = -1;
    s->active = -1;
    return CG_OK;
}

const cg_tone_plan_t *cg_cpa_tone_plan(const cg_cpa_tone_t *s) { return s->plan; }

cg_sit_kind_t cg_cpa_tone_sit_kind(const cg_cpa_tone_t *s) { return s->sit_kind; }

float cg_cpa_tone_level_dbm0(const cg_cpa_tone_t *s, float power)
{
    return cg_power_to_dbm0(power > 1e-6f ? power : 1e-6f, (cg_law_t) s->law);
}

int32_t cg_cpa_tone_index(const cg_cpa_tone_t *s, const char *name)
{
    const int i = cg_tone_find(s->plan, name, NULL);
    return i < 0 ? -2 : i; /* -2 never matches a tone index or "none" */
}

/* --- Runs and cadences ----------------------------------------------------------------- */

/* One window of class cls at centre c; a new class takes `need` windows in a row to start a
 * run. Returns 1 when a run ended: *ended = the old run. */
static int run_step(cg_cpa_run_t *r, int32_t cls, uint32_t need, uint64_t c, int32_t *ended_cls,
                    uint64_t *ended_start)
{
    if (r->cls < 0) {
        r->cls = cls;
        r->start = 0; /* the first window is full of its class: the run began with the stream */
        return 0;
    }
    if (cls == r->cls) {
        r->pending = -1;
        return 0;
    }
    if (cls != r->pending) {
        r->pending = cls;
        r->pending_start = c;
        r->pending_count = 1;
        return 0;
    }
    if (++r->pending_count < need)
        return 0;
    *ended_cls = r->cls;
    *ended_start = r->start;
    r->cls = cls;
    r->start = r->pending_start;
    r->pending = -1;
    return 1;
}

static uint32_t seg_ms(const cg_cpa_tone_t *s, int32_t t, uint32_t i)
{
    return s->plan->tones[t]->segments[i].duration_ms;
}

static int tone_end(cg_cpa_tone_t *s, cg_event_t *ev)
{
    cg_cpa_event(ev, CG_EVENT_CPA_TONE_END, s->active_start, s->active_edge, s->active,
                 cg_cpa_tone_level_dbm0(s, s->last_sig_power), 0.0f);
    s->active = -1;
    return 1;
}

/* A cadence run completed: does it continue the recognised tone? */
static int continue_tone(cg_cpa_tone_t *s, const cg_cpa_seg_t *done, cg_event_t *ev)
{
    const int32_t t = s->active;
    const cg_tone_desc_t *tone = s->plan->tones[t];
    if (tone->n_segments == 1) { /* continuous or once: it ends with its run */
        s->active_edge = done->start + done->samples;
        return tone_end(s, ev);
    }
    if (done->cls != s->tone_sig[t][s->active_seg] ||
        !in_range(s, t, seg_ms(s, t, s->active_seg), done->samples))
        return tone_end(s, ev);
    if (done->cls)
        s->active_edge = done->start + done->samples;
    s->active_seg++;
    if (s->active_seg == tone->n_segments) {
        if (!tone->repeat)
            return tone_end(s, ev);
        s->active_seg = 0;
    }
    if ((int32_t) s->tone_sig[t][s->active_seg] != s->cad.cls)
        return tone_end(s, ev);
    return 0;
}

/* Tone t is one segment without a pause (continuous, or played once): does the run still going
 * have its signature, and has it lasted long enough? */
static int match_steady(const cg_cpa_tone_t *s, int32_t t, uint64_t *start, uint32_t *seg_now)
{
    const cg_tone_desc_t *tone = s->plan->tones[t];
    const uint32_t going = (uint32_t) (s->now - s->cad.start);
    if (s->cad.cls != (int32_t) s->tone_sig[t][0])
        return 0;
    uint32_t need = s->cont_min[t];
    if (!tone->repeat) {
        const uint32_t d = MS(tone->segments[0].duration_ms);
        need = d - tolerance(s, d);
        if (need > MS(CG_CPA_ONCE_MS))
            need = MS(CG_CPA_ONCE_MS);
    }
    if (going < need)
        return 0;
    *start = s->cad.start;
    *seg_now = 0;
    return 1;
}

/* Tone t is cadenced: do the last runs, ending with the one still going, match one whole cycle
 * of it starting with a tone segment (plus one more segment for cadences of 1-2 segments)? */
static int match_cadence(const cg_cpa_tone_t *s, int32_t t, uint64_t *start, uint32_t *seg_now)
{
    const cg_tone_desc_t *tone = s->plan->tones[t];
    const uint32_t m = tone->n_segments;
    const uint32_t going = (uint32_t) (s->now - s->cad.start);
    const uint8_t *sig = s->tone_sig[t];
    const uint32_t runs = m <= 2 ? m + 1 : m;
    if (s->n_hist < runs - 1)
        return 0;
    for (uint32_t j = 0; j < m; j++) {
        if (!sig[j])
            continue;
        int ok = 1;
        for (uint32_t i = 0; i < runs && ok; i++) {
            const uint32_t k = (j + i) % m;
            if (!tone->repeat && j + i >= m) {
                ok = 0;
                break;
            }
            if (i + 1 < runs) {
                const cg_cpa_seg_t *h = &s->hist[s->n_hist - (runs - 1) + i];
                ok = h->cls == (int32_t) sig[k] && in_range(s, t, seg_ms(s, t, k), h->samples);
            } else {
                const uint32_t d = MS(seg_ms(s, t, k)), tol = tone_tolerance(s, t, d);
                /* The pause that ends a cycle of 3+ segments (SIT's) counts once it has begun:
                 * an exchange's announcement may follow at once. */
                const int begun = !sig[k] && m > 2 && k == m - 1;
                ok = s->cad.cls == (int32_t) sig[k] && (begun || going + tol >= d) && going <= d + tol;
            }
        }
        if (ok) {
            *start = s->hist[s->n_hist - (runs - 1)].start;
            *seg_now = (j + runs - 1) % m;
            return 1;
        }
    }
    return 0;
}

/* Does the cadence history, ending with the run still going, match tone t? */
static int match_tone(const cg_cpa_tone_t *s, int32_t t, uint64_t *start, uint32_t *seg_now)
{
    const cg_tone_desc_t *tone = s->plan->tones[t];
    int has_off = 0;
    for (uint32_t i = 0; i < tone->n_segments; i++)
        has_off |= s->tone_sig[t][i] == 0;
    if (!has_off && tone->n_segments == 1)
        return match_steady(s, t, start, seg_now);
    return match_cadence(s, t, start, seg_now);
}

/* --- Judging a window ------------------------------------------------------------------ */

/* The power of the window ending with this tick at every bank frequency (p[k]) and in all
 * (returned), as sine mean squares. Each frequency's tick result y = g1 - e^(-jw) g2 is the
 * tick's DFT term up to a phase, and the window's is this tick's y plus the last tick's turned
 * by e^(j w TICK): a window's Goertzel result, from filters that ran over one tick, not two.
 * Keeps this tick's results for the next window. */
static float window_powers(cg_cpa_tone_t *s, float *p)
{
    const float norm = 2.0f / ((float) WINDOW * (float) WINDOW);
    for (uint32_t k = 0; k < s->n_freqs; k++) {
        const float y_re = s->g1[k] - 0.5f * s->coeff[k] * s->g2[k], y_im = s->sin_w[k] * s->g2[k];
        const float re = y_re + s->turn_re[k] * s->last_re[k] - s->turn_im[k] * s->last_im[k];
        const float im = y_im + s->turn_re[k] * s->last_im[k] + s->turn_im[k] * s->last_re[k];
        p[k] = (re * re + im * im) * norm;
        s->last_re[k] = y_re;
        s->last_im[k] = y_im;
    }
    return (s->r[0] + s->prev_r[0]) / (float) WINDOW;
}

/* The strongest signature present in the window (CG_CPA_SIG0 + k, its frequencies' summed power
 * in *best), or CG_CPA_SILENCE if none is. */
static int32_t strongest_signature(cg_cpa_tone_t *s, const float *p, float total,
                                   float *best_power)
{
    int32_t cls = CG_CPA_SILENCE;
    float best = 0.0f;
    for (uint32_t k = 0; k < s->n_sigs; k++) {
        float p1 = p[s->sig_freq[k][0]];
        uint32_t variant = 0;
        float alt = 0.0f;
        for (uint32_t v = 0; v < 2; v++) /* a SIT segment: its stronger variant */
            if (s->sig_alt[k][v] != NO_FREQ && p[s->sig_alt[k][v]] > alt) {
                alt = p[s->sig_alt[k][v]];
                variant = v + 1u;
            }
        /* The variant, unless the nominal frequency hears twice its power: a variant 1.5 % off
         * is nearer the nominal filter than its own, and the nominal SIT puts under 30 % of
         * its power in either variant's filter. */
        if (alt * 2.0f < p1)
            variant = 0;
        if (alt > p1)
            p1 = alt;
        const float p2 = s->sig_freq[k][1] == NO_FREQ ? p1 : p[s->sig_freq[k][1]];
        const float sum = s->sig_freq[k][1] == NO_FREQ ? p1 : p1 + p2;
        const float lo = p1 < p2 ? p1 : p2, hi = p1 < p2 ? p2 : p1;
        const float purity = s->sig_freq[k][1] == NO_FREQ ? MIN_PURITY_ONE : MIN_PURITY_TWO;
        if (lo >= s->min_power && lo * MAX_TWIST >= hi && sum >= purity * total && sum > best) {
            best = sum;
            cls = CG_CPA_SIG0 + (int32_t) k;
            s->win_variant = variant;
        }
    }
    *best_power = best;
    return cls;
}

/* A window loud enough for voice and without a signature: CG_CPA_BEEP if it is one steady
 * frequency in the beep band that holds the frequency of its run's first window, else
 * CG_CPA_VOICE. */
static int32_t voice_or_beep(cg_cpa_tone_t *s)
{
    int32_t cls = CG_CPA_VOICE;
    const float r0 = s->r[0] + s->prev_r[0], r1 = s->r[1] + s->prev_r[1],
                r2 = s->r[2] + s->prev_r[2];
    if (r0 > 0.0f) {
        const float cw = r1 / r0;
        const float residual = (2.0f * r0 + 2.0f * r2 - 4.0f * r1 * r1 / r0) / (2.0f * r0);
        if (residual < MAX_BEEP_RESIDUAL && cw >= s->beep_cos_lo && cw <= s->beep_cos_hi) {
            /* A beep holds its frequency: within 2 % of the first window of its run. */
            const float hz = acosf(cw) * ((float) CG_SAMPLE_RATE / CG_TWO_PI);
            const int going = s->act.cls == CG_CPA_BEEP || s->act.pending == CG_CPA_BEEP;
            if (!going || fabsf(hz - (float) s->beep_hz) <= 0.02f * (float) s->beep_hz) {
                cls = CG_CPA_BEEP;
                if (!going)
                    s->beep_hz = (uint16_t) (hz + 0.5f);
            }
        }
    }
    return cls;
}

/* Minimum statistics: the line's noise floor follows the quietest window of the last 150 to
 * 200 windows without a plan tone (1.5 to 2 s; from the 5th at the start), so steady line noise is not taken for voice (a voice window must be VOICE_OVER_FLOOR above
 * it, and at least voice_power). */
static void track_floor(cg_cpa_tone_t *s, float total)
{
    if (s->block_n == 0 || total < s->block_min)
        s->block_min = total;
    float f = s->block_min; /* the block going on counts too, from its FLOOR_EARLY-th window */
    int have = ++s->block_n >= FLOOR_EARLY;
    if (s->block_n == CG_CPA_FLOOR_WINDOWS) {
        s->mins[s->min_i] = s->block_min;
        s->min_i = (s->min_i + 1u) % CG_CPA_FLOOR_BLOCKS;
        s->block_n = 0;
    }
    for (uint32_t i = 0; i < CG_CPA_FLOOR_BLOCKS; i++)
        if (s->mins[i] >= 0.0f && (!have || s->mins[i] < f)) {
            f = s->mins[i];
            have = 1;
        }
    s->floor = have ? f : NO_FLOOR;
}

/* The class of the window of powers p[k] and total (CG_CPA_*), and in *power its power as the
 * activity run averages it: per frequency for a signature, else the whole window's. */
static int32_t classify(cg_cpa_tone_t *s, const float *p, float total, float *power)
{
    float best;
    int32_t cls = strongest_signature(s, p, total, &best);
    const float floor_power = s->floor * VOICE_OVER_FLOOR;
    if (cls < CG_CPA_SIG0)
        track_floor(s, total); /* of the windows without a plan tone */
    *power = total;
    if (cls >= CG_CPA_SIG0) {
        const int two = s->sig_freq[cls - CG_CPA_SIG0][1] != NO_FREQ;
        s->last_sig_power = two ? 0.5f * best : best;
        *power = s->last_sig_power;
    } else if (total >= s->voice_power && total >= floor_power) {
        cls = voice_or_beep(s);
    }
    return cls;
}

/* Activity runs (silence, voice, beep, a signature): the events of a voice or silence run that
 * ended, and of a beep that has lasted beep_min_ms. */
static int track_activity(cg_cpa_tone_t *s, int32_t cls, float power, cg_event_t *ev)
{
    int events = 0;
    const uint64_t c = s->now;
    int32_t old_cls;
    uint64_t old_start;
    /* Voice takes 3 windows; right after a plan tone 5, as the SIT's segments may be parted
     * by up to 30 ms (SHORT_PAUSE), whose edge windows are neither tone nor silence. */
    const uint32_t need = cls != CG_CPA_VOICE ? 2u : s->act.cls >= CG_CPA_SIG0 ? 5u : 3u;
    if (run_step(&s->act, cls, need, c, &old_cls, &old_start)) {
        const float mean = s->act_count ? s->act_power_sum / (float) s->act_count : 0.0f;
        if (old_cls == CG_CPA_VOICE)
            cg_cpa_event(&ev[events++], CG_EVENT_CPA_VOICE, old_start, s->act.start, 0,
                         cg_cpa_tone_level_dbm0(s, mean), 0.0f);
        else if (old_cls == CG_CPA_SILENCE && s->act.start - old_start >= MIN_SILENCE_EVENT)
            cg_cpa_event(&ev[events++], CG_EVENT_CPA_SILENCE, old_start, s->act.start, 0,
                         cg_cpa_tone_level_dbm0(s, mean), 0.0f);
        s->act_power_sum = 0.0f;
        s->act_count = 0;
        s->beep_reported = 0;
        s->act_sitlike = 0;
    }
    if (cls == s->act.cls) {
        s->act_power_sum += power;
        s->act_count++;
    }
    /* A run heard at a SIT variant's frequency (sit_kinds; 1000 Hz is 985 Hz + 1.5 %) is a
     * beep after beep_min_ms, or while a SIT may come (sit_hold: the analyser's calls before
     * the answer) once it has outlasted a SIT segment: until then it may be the SIT's first. */
    if (cls >= CG_CPA_SIG0 && cls == s->act.cls && s->win_variant && !s->act_sitlike) {
        const uint32_t k = (uint32_t) (cls - CG_CPA_SIG0), f = s->sig_alt[k][s->win_variant - 1u];
        s->act_sitlike = 1; /* its frequency once per run, from the variant's filter */
        s->beep_hz = (uint16_t) (acosf(0.5f * s->coeff[f]) * ((float) CG_SAMPLE_RATE / CG_TWO_PI) + 0.5f);
    }
    if (s->act_sitlike && !s->beep_reported &&
        c - s->act.start >= (s->sit_hold ? SIT_BEEP_MIN : s->beep_min_samples)) {
        s->beep_reported = 1;
        cg_cpa_event(&ev[events++], CG_EVENT_CPA_BEEP, s->act.start, c, s->beep_hz,
                     cg_cpa_tone_level_dbm0(s, s->act_count ? s->act_power_sum / (float) s->act_count : power),
                     0.0f);
    }
    if (s->act.cls == CG_CPA_BEEP && !s->beep_reported && c - s->act.start >= s->beep_min_samples) {
        s->beep_reported = 1;
        cg_cpa_event(&ev[events++], CG_EVENT_CPA_BEEP, s->act.start, c, s->beep_hz,
                     cg_cpa_tone_level_dbm0(
                         s, s->act_count ? s->act_power_sum / (float) s->act_count : power),
                     0.0f);
    }
    return events;
}

/* Cadence runs (a plan signature, or off): a run that ended goes into the history, where it
 * continues the recognised tone or ends it. */
static int track_cadence(cg_cpa_tone_t *s, int32_t cls, cg_event_t *ev)
{
    const int32_t cad = cls >= CG_CPA_SIG0 ? cls - CG_CPA_SIG0 + 1 : 0;
    int32_t old_cls;
    uint64_t old_start;
    /* Off after a tone takes 3 windows: where one tone follows another with no gap (SIT) and
     * the change falls mid-tick, the two windows across it hold 75 % and 25 % of each and are
     * neither tone; 20 ms is shorter than any off segment of a plan. */
    const int ended = run_step(&s->cad, cad, (cad == 0 && s->cad.cls > 0) ? 3u : 2u, s->now,
                               &old_cls, &old_start);
    uint32_t variant = 0;
    if (ended) { /* the variant most of the run's windows heard */
        for (uint32_t v = 1; v < 3; v++)
            if (s->var_n[v] > s->var_n[variant])
                variant = v;
        s->var_n[0] = s->var_n[1] = s->var_n[2] = 0;
    }
    if (cad > 0 && cad == s->cad.cls)
        s->var_n[s->win_variant]++;
    if (!ended)
        return 0;
    const uint32_t samples = (uint32_t) (s->cad.start - old_start);
    if (old_cls == 0 && samples < SHORT_PAUSE && s->n_hist && s->hist[s->n_hist - 1].cls > 0) {
        s->hist[s->n_hist - 1].samples += samples; /* a gap inside a tone's cadence (SIT's) */
        s->hist[s->n_hist - 1].gap = (uint16_t) (s->hist[s->n_hist - 1].gap + samples);
        return 0;
    }
    if (s->n_hist == CG_CPA_HISTORY) {
        for (uint32_t i = 1; i < CG_CPA_HISTORY; i++)
            s->hist[i - 1] = s->hist[i];
        s->n_hist--;
    }
    cg_cpa_seg_t *h = &s->hist[s->n_hist++];
    h->cls = (int8_t) old_cls;
    h->start = old_start;
    h->samples = samples;
    h->variant = (uint8_t) variant;
    h->gap = 0;
    return s->active >= 0 ? continue_tone(s, h, ev) : 0;
}

/* The recognised tone's run going on has outlasted its segment: the cadence broke. */
static int end_overrun_tone(cg_cpa_tone_t *s, cg_event_t *ev)
{
    const cg_tone_desc_t *tone = s->plan->tones[s->active];
    if (tone->n_segments > 1) {
        const uint32_t d = MS(seg_ms(s, s->active, s->active_seg));
        if (s->now - s->cad.start > d + tone_tolerance(s, s->active, d))
            return tone_end(s, ev);
    }
    return 0;
}

/* The kind of a North American SIT from its first two segments in the history (the newest
 * pair), by their variants (low 1, high 2) and lengths (short below 327 ms): GR-1162's table. */
static cg_sit_kind_t sit_kind_of(const cg_cpa_tone_t *s)
{
    /* index: first high, first long, second high, second long (bits 3..0); 0: no kind */
    static const uint8_t table[16] = {
        [0x0] = CG_SIT_INTERCEPT,   /* low short, low short */
        [0xC] = CG_SIT_VACANT_CODE, /* high long, low short */
        [0x3] = CG_SIT_REORDER,     /* low short, high long (RO') */
        [0x9] = CG_SIT_REORDER,     /* high short, low long (RO'') */
        [0x5] = CG_SIT_NO_CIRCUIT,  /* low long, low long (NC') */
        [0xF] = CG_SIT_NO_CIRCUIT,  /* high long, high long (NC'') */
        [0x6] = CG_SIT_INEFFECTIVE, /* low long, high short */
        [0xA] = CG_SIT_RESERVED,    /* high short, high short */
    };
    const uint8_t *sig = s->tone_sig[s->t_sit];
    for (uint32_t i = s->n_hist; i-- > 1;) {
        const cg_cpa_seg_t *a = &s->hist[i - 1], *b = &s->hist[i];
        if (a->cls != (int32_t) sig[0] || b->cls != (int32_t) sig[1])
            continue;
        if (!a->variant || !b->variant)
            return CG_SIT_UNKNOWN; /* a nominal (ITU-T) SIT */
        const uint32_t short_max = MS(327);
        const uint32_t key = (a->variant == 2 ? 8u : 0u) | (a->samples - a->gap > short_max ? 4u : 0u) |
                             (b->variant == 2 ? 2u : 0u) | (b->samples - b->gap > short_max ? 1u : 0u);
        return (cg_sit_kind_t) table[key]; /* (the other 8 codes: 0, unknown) */
    }
    return CG_SIT_UNKNOWN;
}

/* No tone is recognised: the first plan tone listened for that the cadence history matches now. */
static int recognise_tone(cg_cpa_tone_t *s, cg_event_t *ev)
{
    const uint64_t c = s->now;
    for (uint32_t t = 0; t < s->n_tones; t++) {
        uint64_t start;
        uint32_t seg_now;
        if (listens(s, t) && match_tone(s, (int32_t) t, &start, &seg_now)) {
            s->active = (int32_t) t;
            s->active_seg = seg_now;
            s->active_start = start;
            s->active_edge = s->cad.cls ? c : s->cad.start;
            if ((int32_t) t == s->t_sit)
                s->sit_kind = sit_kind_of(s);
            cg_cpa_event(ev, CG_EVENT_CPA_TONE, start, c, (int32_t) t,
                         cg_cpa_tone_level_dbm0(s, s->last_sig_power), 0.0f);
            return 1;
        }
    }
    return 0;
}

/* Judge the window that ends with this tick and track runs: returns the events written. */
static int judge(cg_cpa_tone_t *s, const float *p, float total, cg_event_t *ev)
{
    float power;
    const int32_t cls = classify(s, p, total, &power);
    int events = track_activity(s, cls, power, ev);
    events += track_cadence(s, cls, &ev[events]);
    if (s->active >= 0)
        events += end_overrun_tone(s, &ev[events]);
    if (s->active < 0)
        events += recognise_tone(s, &ev[events]);
    else if (s->cad.cls)
        s->active_edge = s->now; /* the recognised tone is sounding */
    return events;
}

/* --- Processing ------------------------------------------------------------------------ */

/* Goertzel filters k..k+3 (coefficients c[k], state g1[k], g2[k]) over x[0..n): four
 * independent recursions a step, their state in registers (a core with a pipeline overlaps
 * them; one without loses nothing), two samples a step so the outputs trade places. Each step
 * is (x - the output before last) + c * the last output: the subtraction is off the
 * recursion's critical path, and on the M4F the step is a VSUB and a VMLA. */
static void goertzel4(const float *c, float *g1, float *g2, const float *x, size_t n)
{
    const float c0 = c[0], c1 = c[1], c2 = c[2], c3 = c[3];
    float a0 = g1[0], a1 = g1[1], a2 = g1[2], a3 = g1[3]; /* the last outputs */
    float b0 = g2[0], b1 = g2[1], b2 = g2[2], b3 = g2[3]; /* the ones before */
    size_t j = 0;
    for (; j + 1 < n; j += 2) {
        b0 = (x[j] - b0) + c0 * a0;
        b1 = (x[j] - b1) + c1 * a1;
        b2 = (x[j] - b2) + c2 * a2;
        b3 = (x[j] - b3) + c3 * a3;
        a0 = (x[j + 1] - a0) + c0 * b0;
        a1 = (x[j + 1] - a1) + c1 * b1;
        a2 = (x[j + 1] - a2) + c2 * b2;
        a3 = (x[j + 1] - a3) + c3 * b3;
    }
    if (j < n) {
        const float v0 = (x[j] - b0) + c0 * a0, v1 = (x[j] - b1) + c1 * a1;
        const float v2 = (x[j] - b2) + c2 * a2, v3 = (x[j] - b3) + c3 * a3;
        b0 = a0, b1 = a1, b2 = a2, b3 = a3;
        a0 = v0, a1 = v1, a2 = v2, a3 = v3;
    }
    g1[0] = a0, g1[1] = a1, g1[2] = a2, g1[3] = a3;
    g2[0] = b0, g2[1] = b1, g2[2] = b2, g2[3] = b3;
}

/* Runs amp[0..n) (within one tick) through the lag products and the Goertzel filters, four at
 * a time over the block (the bank is padded to a multiple of 4 with filters nobody reads). Every
 * sum goes on from the state, so block sizes cannot change the rounding. */
static void filter_samples(cg_cpa_tone_t *s, const int16_t *amp, size_t n)
{
    float x[TICK];
    float r0 = s->r[0], r1 = s->r[1], r2 = s->r[2], x1 = s->x1, x2 = s->x2;
    for (size_t j = 0; j < n; j++) {
        x[j] = (float) amp[j];
        r0 += x[j] * x[j];
        r1 += x[j] * x1;
        r2 += x[j] * x2;
        x2 = x1;
        x1 = x[j];
    }
    s->r[0] = r0;
    s->r[1] = r1;
    s->r[2] = r2;
    s->x1 = x1;
    s->x2 = x2;
    for (uint32_t k = 0; k < s->n_freqs; k += 4)
        goertzel4(&s->coeff[k], &s->g1[k], &s->g2[k], x, n);
}

/* A tick is complete, and with it the window of this tick and the last: judges it and
 * restarts the filters and the lag products for the next tick. */
static int end_tick(cg_cpa_tone_t *s, cg_event_t *ev)
{
    int events = 0;
    float p[CG_CPA_MAX_FREQS];
    const float total = window_powers(s, p);
    s->now = s->tick * TICK;
    if (s->tick >= 1) /* (the first tick's window is half a window) */
        events = judge(s, p, total, ev);
    for (uint32_t k = 0; k < CG_CPA_FILTERS; k++)
        s->g1[k] = s->g2[k] = 0.0f;
    for (int k = 0; k < 3; k++) {
        s->prev_r[k] = s->r[k];
        s->r[k] = 0.0f;
    }
    s->fill = 0;
    s->tick++;
    return events;
}

int cg_cpa_tone_process(cg_cpa_tone_t *s, const int16_t *amp, size_t n, cg_event_t *ev,
                        size_t max_ev)
{
    if (max_ev < CG_CPA_TONE_MAX_EVENTS(n))
        return CG_E_SPACE;
    int events = 0;
    size_t i = 0;
    while (i < n) {
        size_t take = TICK - s->fill;
        if (take > n - i)
            take = n - i;
        filter_samples(s, amp + i, take);
        i += take;
        s->fill += (uint32_t) take;
        if (s->fill < TICK)
            break;
        events += end_tick(s, &ev[events]);
    }
    return events;
}

int cg_cpa_tone_feed_tick(cg_cpa_tone_t *s, const int16_t *amp, size_t n, size_t *i,
                          cg_event_t *ev, size_t max_ev, int *ticked)
{
    size_t take = TICK - s->fill;
    if (take > n - *i)
        take = n - *i;
    const uint64_t ticks = s->tick;
    const int count = cg_cpa_tone_process(s, amp + *i, take, ev, max_ev);
    *i += take;
    *ticked = s->tick != ticks && s->tick >= 2;
    return count;
}
