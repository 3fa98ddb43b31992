/* Call-progress analysis and disconnect supervision: see callgate/cpa.h. */
#include <math.h>

#include "callgate/private/cpa.h"

#define TICK CG_CPA_TICK
#define WINDOW (2 * TICK)
#define LANES (2 * CG_CPA_MAX_FREQS)
#define MS(ms) ((uint32_t) (ms) * (uint32_t) (CG_SAMPLE_RATE / 1000))
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
#define MIN_SILENCE_EVENT MS(100)
#define MIN_CONTINUOUS MS(500)
#define CONTINUOUS_MARGIN MS(50)

/* --- Tone detector: set-up ------------------------------------------------------------- */

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
}

static uint32_t tolerance(const cg_cpa_tone_t *s, uint32_t d)
{
    const uint32_t pct = d * s->tol_pct / 100u;
    return pct > s->tol_samples ? pct : s->tol_samples;
}

static int in_range(const cg_cpa_tone_t *s, uint32_t duration_ms, uint32_t samples)
{
    const uint32_t d = MS(duration_ms), tol = tolerance(s, d);
    return samples + tol >= d && samples <= d + tol;
}

static int find_freq(const cg_cpa_tone_t *s, uint16_t hz, const uint16_t *freqs)
{
    for (uint32_t k = 0; k < s->n_freqs; k++)
        if (freqs[k] == hz)
            return (int) k;
    return -1;
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
    if (plan == NULL)
        plan = cfg->plan;
    if (plan == NULL) {
        const int err = cg_tone_plan_find(cfg->plan_name, &plan);
        if (err < 0)
            return err;
    }
    if ((cfg->law != CG_LAW_ULAW && cfg->law != CG_LAW_ALAW) || !(cfg->min_level_dbm0 >= -70.0f) ||
        !(cfg->min_level_dbm0 <= 3.0f) || !(cfg->voice_level_dbm0 >= -80.0f) ||
        !(cfg->voice_level_dbm0 <= 3.0f) || cfg->tolerance_pct > 50 || cfg->tolerance_ms > 1000 ||
        (cfg->beep_max_hz != 0 &&
         (cfg->beep_min_hz < 100 || cfg->beep_max_hz > 3800 || cfg->beep_min_hz >= cfg->beep_max_hz)) ||
        cfg->beep_min_ms < 20 || cfg->beep_min_ms > 5000)
        return CG_E_RANGE;
    if (plan->n_tones > CG_CPA_MAX_TONES)
        return CG_E_RANGE;

    *s = (cg_cpa_tone_t) {0};
    s->plan = plan;
    s->law = cfg->law;
    const float peak = cg_dbm0_to_peak(cfg->min_level_dbm0, cfg->law);
    s->min_power = 0.5f * peak * peak;
    const float vpeak = cg_dbm0_to_peak(cfg->voice_level_dbm0, cfg->law);
    s->voice_power = 0.5f * vpeak * vpeak;
    s->tol_pct = cfg->tolerance_pct;
    s->tol_samples = MS(cfg->tolerance_ms);
    s->beep_min_samples = MS(cfg->beep_min_ms);
    if (cfg->beep_max_hz) {
        s->beep_cos_hi = cosf(6.2831853f * (float) cfg->beep_min_hz / (float) CG_SAMPLE_RATE);
        s->beep_cos_lo = cosf(6.2831853f * (float) cfg->beep_max_hz / (float) CG_SAMPLE_RATE);
    } else {
        s->beep_cos_lo = 2.0f; /* no cos is in [2, -2]: no beeps */
        s->beep_cos_hi = -2.0f;
    }

    /* The frequencies and signatures the plan's segments use. */
    s->n_tones = plan->n_tones;
    for (uint32_t t = 0; t < plan->n_tones; t++) {
        const cg_tone_desc_t *tone = plan->tones[t];
        if (cg_tone_check(tone) < 0 || tone->n_segments > CG_CPA_MAX_SEGMENTS)
            return CG_E_RANGE;
        for (uint32_t i = 0; i < tone->n_segments; i++) {
            const cg_tone_segment_t *sg = &tone->segments[i];
            uint8_t fi[2] = {NO_FREQ, NO_FREQ};
            const uint16_t hz[2] = {sg->freq1_hz, sg->freq2_hz};
            for (int c = 0; c < 2; c++) {
                if (!hz[c])
                    continue;
                int k = find_freq(s, hz[c], freqs);
                if (k < 0) {
                    if (s->n_freqs == CG_CPA_MAX_FREQS)
                        return CG_E_RANGE;
                    k = (int) s->n_freqs++;
                    freqs[k] = hz[c];
                }
                fi[c] = (uint8_t) k;
            }
            if (fi[0] == NO_FREQ) { /* silence, or a single tone in the second slot */
                fi[0] = fi[1];
                fi[1] = NO_FREQ;
            }
            if (fi[0] == NO_FREQ) {
                s->tone_sig[t][i] = 0;
                continue;
            }
            if (fi[1] != NO_FREQ && fi[1] < fi[0]) {
                const uint8_t x = fi[0];
                fi[0] = fi[1];
                fi[1] = x;
            }
            uint32_t k;
            for (k = 0; k < s->n_sigs; k++)
                if (s->sig_freq[k][0] == fi[0] && s->sig_freq[k][1] == fi[1])
                    break;
            if (k == s->n_sigs) {
                if (s->n_sigs == CG_CPA_MAX_SIGS)
                    return CG_E_RANGE;
                s->sig_freq[k][0] = fi[0];
                s->sig_freq[k][1] = fi[1];
                s->n_sigs++;
            }
            s->tone_sig[t][i] = (uint8_t) (k + 1);
        }
    }
    for (uint32_t k = 0; k < s->n_freqs; k++) {
        const float c = 2.0f * cosf(6.2831853f * (float) freqs[k] / (float) CG_SAMPLE_RATE);
        s->coeff[2 * k] = c;
        s->coeff[2 * k + 1] = c;
    }
    /* A continuous tone must outlast every cadenced on-segment of its signature. */
    for (uint32_t t = 0; t < plan->n_tones; t++) {
        const cg_tone_desc_t *tone = plan->tones[t];
        if (!(tone->n_segments == 1 && tone->repeat && s->tone_sig[t][0]))
            continue;
        uint32_t need = MIN_CONTINUOUS;
        for (uint32_t u = 0; u < plan->n_tones; u++) {
            const cg_tone_desc_t *other = plan->tones[u];
            if (u == t || other->n_segments < 2)
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
    s->act.cls = s->cad.cls = -1;
    s->act.pending = s->cad.pending = -1;
    s->active = -1;
    return CG_OK;
}

const cg_tone_plan_t *cg_cpa_tone_plan(const cg_cpa_tone_t *s) { return s->plan; }

/* --- Tone detector: runs and cadences ------------------------------------------------- */

/* One window of class cls at centre c. Returns 1 when a run ended: *ended = the old run. */
static int run_step(cg_cpa_run_t *r, int32_t cls, uint64_t c, int32_t *ended_cls,
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
    if (++r->pending_count < (cls == CG_CPA_VOICE ? 3u : 2u))
        return 0;
    *ended_cls = r->cls;
    *ended_start = r->start;
    r->cls = cls;
    r->start = r->pending_start;
    r->pending = -1;
    return 1;
}

static float level_of(const cg_cpa_tone_t *s, float power)
{
    return cg_power_to_dbm0(power > 1e-6f ? power : 1e-6f, (cg_law_t) s->law);
}

static void put(cg_event_t *ev, int32_t kind, uint64_t start, uint64_t end, int32_t value,
                float level, float detail)
{
    ev->start_sample = start;
    ev->end_sample = end;
    ev->kind = kind;
    ev->value = value;
    ev->level_dbm0 = level;
    ev->detail = detail;
}

static uint32_t seg_ms(const cg_cpa_tone_t *s, int32_t t, uint32_t i)
{
    return s->plan->tones[t]->segments[i].duration_ms;
}

static int tone_end(cg_cpa_tone_t *s, cg_event_t *ev)
{
    put(ev, CG_EVENT_CPA_TONE_END, s->active_start, s->active_edge, s->active,
        level_of(s, s->last_sig_power), 0.0f);
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
        !in_range(s, seg_ms(s, t, s->active_seg), done->samples))
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

/* Does the cadence history, ending with the run still going, match tone t? */
static int match_tone(cg_cpa_tone_t *s, int32_t t, uint64_t *start, uint32_t *seg_now)
{
    const cg_tone_desc_t *tone = s->plan->tones[t];
    const uint32_t m = tone->n_segments;
    const uint32_t going = (uint32_t) (s->now - s->cad.start);
    const uint8_t *sig = s->tone_sig[t];
    int has_off = 0;
    for (uint32_t i = 0; i < m; i++)
        has_off |= sig[i] == 0;
    if (!has_off && m == 1) {
        if (s->cad.cls != (int32_t) sig[0])
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
                ok = h->cls == (int32_t) sig[k] && in_range(s, seg_ms(s, t, k), h->samples);
            } else {
                const uint32_t d = MS(seg_ms(s, t, k)), tol = tolerance(s, d);
                ok = s->cad.cls == (int32_t) sig[k] && going + tol >= d && going <= d + tol;
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

/* Judge the window that ends with this tick and track runs: returns the events written. */
static int judge(cg_cpa_tone_t *s, uint32_t w, cg_event_t *ev)
{
    int events = 0;
    float p[CG_CPA_MAX_FREQS];
    const float norm = 2.0f / ((float) WINDOW * (float) WINDOW);
    for (uint32_t k = 0; k < s->n_freqs; k++) {
        const uint32_t l = 2 * k + w;
        const float a = s->g1[l], b = s->g2[l];
        p[k] = (a * a + b * b - s->coeff[l] * a * b) * norm;
    }
    const float total = s->e[w] / (float) WINDOW;

    int32_t cls = CG_CPA_SILENCE;
    float best = 0.0f;
    for (uint32_t k = 0; k < s->n_sigs; k++) {
        const float p1 = p[s->sig_freq[k][0]];
        const float p2 = s->sig_freq[k][1] == NO_FREQ ? p1 : p[s->sig_freq[k][1]];
        const float sum = s->sig_freq[k][1] == NO_FREQ ? p1 : p1 + p2;
        const float lo = p1 < p2 ? p1 : p2, hi = p1 < p2 ? p2 : p1;
        const float purity = s->sig_freq[k][1] == NO_FREQ ? MIN_PURITY_ONE : MIN_PURITY_TWO;
        if (lo >= s->min_power && lo * MAX_TWIST >= hi && sum >= purity * total && sum > best) {
            best = sum;
            cls = CG_CPA_SIG0 + (int32_t) k;
        }
    }
    float power = total;
    if (cls >= CG_CPA_SIG0) {
        const int two = s->sig_freq[cls - CG_CPA_SIG0][1] != NO_FREQ;
        s->last_sig_power = two ? 0.5f * best : best;
        power = s->last_sig_power;
    } else if (total >= s->voice_power) {
        cls = CG_CPA_VOICE;
        const float r0 = s->r[0] + s->prev_r[0], r1 = s->r[1] + s->prev_r[1],
                    r2 = s->r[2] + s->prev_r[2];
        if (r0 > 0.0f) {
            const float cw = r1 / r0;
            const float residual = (2.0f * r0 + 2.0f * r2 - 4.0f * r1 * r1 / r0) / (2.0f * r0);
            if (residual < MAX_BEEP_RESIDUAL && cw >= s->beep_cos_lo && cw <= s->beep_cos_hi) {
                /* A beep holds its frequency: within 2 % of the first window of its run. */
                const float hz = acosf(cw) * ((float) CG_SAMPLE_RATE / 6.2831853f);
                const int going = s->act.cls == CG_CPA_BEEP || s->act.pending == CG_CPA_BEEP;
                if (!going || fabsf(hz - (float) s->beep_hz) <= 0.02f * (float) s->beep_hz) {
                    cls = CG_CPA_BEEP;
                    if (!going)
                        s->beep_hz = (uint16_t) (hz + 0.5f);
                }
            }
        }
    }

    /* Activity runs. */
    const uint64_t c = s->now;
    int32_t old_cls;
    uint64_t old_start;
    if (run_step(&s->act, cls, c, &old_cls, &old_start)) {
        const float mean = s->act_count ? s->act_power_sum / (float) s->act_count : 0.0f;
        if (old_cls == CG_CPA_VOICE)
            put(&ev[events++], CG_EVENT_CPA_VOICE, old_start, s->act.start, 0, level_of(s, mean),
                0.0f);
        else if (old_cls == CG_CPA_SILENCE && s->act.start - old_start >= MIN_SILENCE_EVENT)
            put(&ev[events++], CG_EVENT_CPA_SILENCE, old_start, s->act.start, 0,
                level_of(s, mean), 0.0f);
        s->act_power_sum = 0.0f;
        s->act_count = 0;
        s->beep_reported = 0;
    }
    if (cls == s->act.cls) {
        s->act_power_sum += power;
        s->act_count++;
    }
    if (s->act.cls == CG_CPA_BEEP && !s->beep_reported && c - s->act.start >= s->beep_min_samples) {
        s->beep_reported = 1;
        put(&ev[events++], CG_EVENT_CPA_BEEP, s->act.start, c, s->beep_hz,
            level_of(s, s->act_count ? s->act_power_sum / (float) s->act_count : power), 0.0f);
    }

    /* Cadence runs: a plan signature, or off. */
    const int32_t cad = cls >= CG_CPA_SIG0 ? cls - CG_CPA_SIG0 + 1 : 0;
    if (run_step(&s->cad, cad, c, &old_cls, &old_start)) {
        if (s->n_hist == CG_CPA_HISTORY) {
            for (uint32_t i = 1; i < CG_CPA_HISTORY; i++)
                s->hist[i - 1] = s->hist[i];
            s->n_hist--;
        }
        cg_cpa_seg_t *h = &s->hist[s->n_hist++];
        h->cls = old_cls;
        h->start = old_start;
        h->samples = (uint32_t) (s->cad.start - old_start);
        if (s->active >= 0)
            events += continue_tone(s, h, &ev[events]);
    }
    if (s->active >= 0) {
        /* The run going on has outlasted its segment: the cadence broke. */
        const cg_tone_desc_t *tone = s->plan->tones[s->active];
        if (tone->n_segments > 1) {
            const uint32_t d = MS(seg_ms(s, s->active, s->active_seg));
            if (c - s->cad.start > d + tolerance(s, d))
                events += tone_end(s, &ev[events]);
        }
    }
    if (s->active < 0) {
        for (uint32_t t = 0; t < s->n_tones; t++) {
            uint64_t start;
            uint32_t seg_now;
            if (match_tone(s, (int32_t) t, &start, &seg_now)) {
                s->active = (int32_t) t;
                s->active_seg = seg_now;
                s->active_start = start;
                s->active_edge = s->cad.cls ? c : s->cad.start;
                put(&ev[events++], CG_EVENT_CPA_TONE, start, c, (int32_t) t,
                    level_of(s, s->last_sig_power), 0.0f);
                break;
            }
        }
    } else if (s->cad.cls) {
        s->active_edge = c;
    }
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
        /* Every sum goes on from the state, so block sizes cannot change the rounding. */
        float g1[LANES], g2[LANES], e0 = s->e[0], e1 = s->e[1];
        float r0 = s->r[0], r1 = s->r[1], r2 = s->r[2];
        float x1 = s->x1, x2 = s->x2;
        const uint32_t lanes = 2 * s->n_freqs;
        for (uint32_t l = 0; l < lanes; l++) {
            g1[l] = s->g1[l];
            g2[l] = s->g2[l];
        }
        for (size_t j = 0; j < take; j++) {
            const float x = (float) amp[i + j];
            for (uint32_t l = 0; l < lanes; l++) {
                const float v = x + s->coeff[l] * g1[l] - g2[l];
                g2[l] = g1[l];
                g1[l] = v;
            }
            e0 += x * x;
            e1 += x * x;
            r0 += x * x;
            r1 += x * x1;
            r2 += x * x2;
            x2 = x1;
            x1 = x;
        }
        for (uint32_t l = 0; l < lanes; l++) {
            s->g1[l] = g1[l];
            s->g2[l] = g2[l];
        }
        s->e[0] = e0;
        s->e[1] = e1;
        s->r[0] = r0;
        s->r[1] = r1;
        s->r[2] = r2;
        s->x1 = x1;
        s->x2 = x2;
        i += take;
        s->fill += (uint32_t) take;
        if (s->fill < TICK)
            break;

        /* A tick is complete: the window that began a tick ago is complete too. */
        const uint32_t w = (uint32_t) ((s->tick + 1u) & 1u);
        s->now = s->tick * TICK;
        if (s->tick >= 1)
            events += judge(s, w, &ev[events]);
        for (uint32_t k = 0; k < s->n_freqs; k++) {
            s->g1[2 * k + w] = 0.0f;
            s->g2[2 * k + w] = 0.0f;
        }
        s->e[w] = 0.0f;
        for (int k = 0; k < 3; k++) {
            s->prev_r[k] = s->r[k];
            s->r[k] = 0.0f;
        }
        s->fill = 0;
        s->tick++;
    }
    return events;
}

/* --- Outbound-call analyser ----------------------------------------------------------- */

enum { PHASE_WAIT_DIAL, PHASE_DIALING, PHASE_PROGRESS, PHASE_ANSWERED };

void cg_cpa_cfg_default(cg_cpa_cfg_t *cfg)
{
    cg_cpa_tone_cfg_default(&cfg->tone);
    cfg->no_dial_tone_ms = 0;
    cfg->no_answer_ms = 30000;
    cfg->human_max_ms = 1800;
    cfg->machine_min_ms = 2500;
    cfg->end_silence_ms = 800;
}

static int32_t tone_index(const cg_tone_plan_t *plan, const char *name)
{
    const int i = cg_tone_find(plan, name, NULL);
    return i < 0 ? -2 : i; /* -2 never matches a tone index or "none" */
}

int cg_cpa_init(cg_cpa_t *s, const cg_cpa_cfg_t *cfg)
{
    cg_cpa_cfg_t defaults;
    if (s == NULL)
        return CG_E_NULL;
    if (cfg == NULL) {
        cg_cpa_cfg_default(&defaults);
        cfg = &defaults;
    }
    if (cfg->no_dial_tone_ms > 600000u || cfg->no_answer_ms < 1000u ||
        cfg->no_answer_ms > 600000u || cfg->human_max_ms < 100u ||
        cfg->machine_min_ms <= cfg->human_max_ms || cfg->machine_min_ms > 60000u ||
        cfg->end_silence_ms < 100u || cfg->end_silence_ms > 10000u)
        return CG_E_RANGE;
    *s = (cg_cpa_t) {0};
    const int err = cg_cpa_tone_init(&s->det, NULL, &cfg->tone);
    if (err < 0)
        return err;
    const cg_tone_plan_t *plan = s->det.plan;
    s->no_dial_samples = MS(cfg->no_dial_tone_ms);
    s->no_answer_samples = MS(cfg->no_answer_ms);
    s->human_max_samples = MS(cfg->human_max_ms);
    s->machine_min_samples = MS(cfg->machine_min_ms);
    s->end_silence_samples = MS(cfg->end_silence_ms);
    s->t_dial = tone_index(plan, "dial");
    s->t_busy = tone_index(plan, "busy");
    s->t_congestion = tone_index(plan, "congestion");
    s->t_ringback = tone_index(plan, "ringback");
    s->t_sit = tone_index(plan, "sit");
    s->t_cng = tone_index(plan, "cng");
    s->t_ced = tone_index(plan, "ced");
    s->phase = cfg->no_dial_tone_ms ? PHASE_WAIT_DIAL : PHASE_PROGRESS;
    return CG_OK;
}

int cg_cpa_done(const cg_cpa_t *s) { return s->done; }

int cg_cpa_dialed(cg_cpa_t *s, uint64_t at_sample)
{
    if (s == NULL)
        return CG_E_NULL;
    if (at_sample > s->det.tick * TICK + s->det.fill)
        return CG_E_RANGE;
    if (!s->done && s->phase < PHASE_PROGRESS) {
        s->phase = PHASE_PROGRESS;
        s->began = s->ring_from = at_sample;
    }
    return CG_OK;
}

static int result(cg_cpa_t *s, cg_event_t *ev, int32_t kind, uint64_t end, int32_t value,
                  float level)
{
    put(ev, kind, s->began, end, value, level,
        (float) (uint32_t) (end - s->began) / (float) CG_SAMPLE_RATE);
    s->done = 1;
    return 1;
}

static float greeting_level(const cg_cpa_t *s)
{
    return level_of(&s->det, s->voice_count ? s->voice_power_sum / (float) s->voice_count : 0.0f);
}

/* A detector event: 1 if it ended the attempt. */
static int on_event(cg_cpa_t *s, const cg_event_t *e, cg_event_t *out)
{
    const uint64_t c = s->det.now;
    if (e->kind == CG_EVENT_CPA_TONE_END && s->phase == PHASE_DIALING && e->value == s->t_dial) {
        s->began = s->ring_from = e->end_sample; /* dialling began where the dial tone ended */
        return 0;
    }
    if (e->kind == CG_EVENT_CPA_BEEP && s->phase >= PHASE_PROGRESS)
        return result(s, out, CG_EVENT_CPA_MACHINE, c,
                      s->phase == PHASE_ANSWERED ? (int32_t) ((s->last_voice - s->greet_start) / 8u) : 0,
                      e->level_dbm0);
    if (e->kind != CG_EVENT_CPA_TONE)
        return 0;
    const int32_t t = e->value;
    if (t == s->t_cng || t == s->t_ced) {
        if (s->phase != PHASE_WAIT_DIAL)
            return result(s, out, CG_EVENT_CPA_FAX, c, t, e->level_dbm0);
        return 0;
    }
    if (s->phase == PHASE_ANSWERED)
        return 0;
    if (s->phase == PHASE_WAIT_DIAL && t == s->t_dial) {
        s->phase = PHASE_DIALING;
        s->began = s->ring_from = c;
        return 0;
    }
    if (s->phase == PHASE_DIALING && (t == s->t_ringback || t == s->t_busy ||
                                      t == s->t_congestion || t == s->t_sit))
        s->phase = PHASE_PROGRESS;
    if (t == s->t_busy)
        return result(s, out, CG_EVENT_CPA_BUSY, c, t, e->level_dbm0);
    if (t == s->t_congestion)
        return result(s, out, CG_EVENT_CPA_CONGESTION, c, t, e->level_dbm0);
    if (t == s->t_sit)
        return result(s, out, CG_EVENT_CPA_SIT, c, t, e->level_dbm0);
    if (t == s->t_ringback && s->phase == PHASE_PROGRESS && !s->ringing) {
        s->ringing = 1;
        s->ring_from = e->start_sample;
    }
    return 0;
}

/* Once per tick, after the detector's events: 1 if it ended the attempt. */
static int on_tick(cg_cpa_t *s, cg_event_t *out)
{
    const uint64_t c = s->det.now;
    const cg_cpa_run_t *act = &s->det.act;
    switch (s->phase) {
    case PHASE_WAIT_DIAL:
        if (c >= (uint64_t) s->no_dial_samples)
            return result(s, out, CG_EVENT_CPA_NO_DIAL_TONE, c, -1, 0.0f);
        return 0;
    case PHASE_PROGRESS:
        if (c >= s->ring_from + s->no_answer_samples)
            return result(s, out, CG_EVENT_CPA_NO_ANSWER, c, -1, 0.0f);
        if (act->cls == CG_CPA_VOICE && act->start >= s->began) {
            s->phase = PHASE_ANSWERED;
            s->greet_start = act->start;
            s->last_voice = c;
        }
        break;
    default:
        break;
    }
    if (s->phase != PHASE_ANSWERED)
        return 0;
    if (act->cls == CG_CPA_VOICE)
        s->last_voice = c;
    if (act->cls == CG_CPA_VOICE && s->det.act_count) {
        s->voice_power_sum = s->det.act_power_sum;
        s->voice_count = s->det.act_count;
    }
    const uint64_t greeting = s->last_voice - s->greet_start;
    if (greeting >= s->machine_min_samples)
        return result(s, out, CG_EVENT_CPA_MACHINE, c, (int32_t) (greeting / 8u),
                      greeting_level(s));
    if (c - s->last_voice >= s->end_silence_samples)
        return result(s, out, CG_EVENT_CPA_HUMAN, c, (int32_t) (greeting / 8u), greeting_level(s));
    return 0;
}

/* Feeds the tone detector from amp[*i] up to the end of its current tick (or of amp), advances
 * *i, and returns its events in inner (room for one tick's worth); *ticked says whether a
 * tick ended. The analyser and the supervisor both step the detector this way, so each can
 * act after every tick. */
static int feed_one_tick(cg_cpa_tone_t *det, const int16_t *amp, size_t n, size_t *i,
                         cg_event_t *inner, size_t cap, int *ticked)
{
    size_t take = TICK - det->fill;
    if (take > n - *i)
        take = n - *i;
    const uint64_t ticks = det->tick;
    const int count = cg_cpa_tone_process(det, amp + *i, take, inner, cap);
    *i += take;
    *ticked = det->tick != ticks && det->tick >= 2;
    return count;
}

int cg_cpa_process(cg_cpa_t *s, const int16_t *amp, size_t n, cg_event_t *ev, size_t max_ev)
{
    cg_event_t inner[CG_CPA_TONE_MAX_EVENTS(TICK)];
    if (max_ev < 1)
        return CG_E_SPACE;
    size_t i = 0;
    while (i < n && !s->done) {
        int ticked;
        const int count = feed_one_tick(&s->det, amp, n, &i, inner,
                                        sizeof inner / sizeof inner[0], &ticked);
        for (int k = 0; k < count && !s->done; k++)
            on_event(s, &inner[k], ev);
        if (!s->done && ticked)
            on_tick(s, ev);
        if (s->done)
            return 1;
    }
    return 0;
}

int cg_cpa_flush(cg_cpa_t *s, cg_event_t *ev, size_t max_ev)
{
    if (max_ev < 1)
        return CG_E_SPACE;
    if (s->done)
        return 0;
    const uint64_t end = s->det.tick * TICK + s->det.fill;
    switch (s->phase) {
    case PHASE_WAIT_DIAL:
        return result(s, ev, CG_EVENT_CPA_NO_DIAL_TONE, end, -1, 0.0f);
    case PHASE_ANSWERED:
        return result(s, ev, CG_EVENT_CPA_HUMAN, end,
                      (int32_t) ((s->last_voice - s->greet_start) / 8u), greeting_level(s));
    default:
        return result(s, ev, CG_EVENT_CPA_NO_ANSWER, end, -1, 0.0f);
    }
}

/* --- Disconnect supervision ------------------------------------------------------------ */

static const char *const METHOD_NAMES[] = {"loop-drop", "reversal", "tone", "silence"};

const char *cg_disc_method_name(int method)
{
    for (int i = 0; i < 4; i++)
        if (method == 1 << i)
            return METHOD_NAMES[i];
    return "unknown";
}

void cg_disc_cfg_default(cg_disc_cfg_t *cfg)
{
    cg_cpa_tone_cfg_default(&cfg->tone);
    cfg->tone.beep_max_hz = 0;
    cfg->methods = CG_DISC_ALL;
    cfg->loop_drop_ms = 200;
    cfg->reversals = 1;
    cfg->silence_ms = 30000;
}

int cg_disc_init(cg_disc_t *s, const cg_disc_cfg_t *cfg)
{
    cg_disc_cfg_t defaults;
    if (s == NULL)
        return CG_E_NULL;
    if (cfg == NULL) {
        cg_disc_cfg_default(&defaults);
        cfg = &defaults;
    }
    if (cfg->methods == 0 || cfg->methods > CG_DISC_ALL || cfg->loop_drop_ms < 10u ||
        cfg->loop_drop_ms > 60000u || cfg->reversals < 1u || cfg->reversals > 16u ||
        cfg->silence_ms < 1000u || cfg->silence_ms > 3600000u)
        return CG_E_RANGE;
    *s = (cg_disc_t) {0};
    const int err = cg_cpa_tone_init(&s->det, NULL, &cfg->tone);
    if (err < 0)
        return err;
    s->methods = cfg->methods;
    s->loop_drop_samples = MS(cfg->loop_drop_ms);
    s->reversals = cfg->reversals;
    s->silence_samples = MS(cfg->silence_ms);
    s->t_busy = tone_index(s->det.plan, "busy");
    s->t_congestion = tone_index(s->det.plan, "congestion");
    return CG_OK;
}

static int fire(cg_disc_t *s, cg_event_t *ev, int method, uint64_t start, uint64_t end,
                int32_t detail_tone, float level)
{
    put(ev, CG_EVENT_DISCONNECT, start, end, method, level, (float) detail_tone);
    s->fired = 1;
    return 1;
}

int cg_disc_line(cg_disc_t *s, cg_line_signal_t signal, uint64_t at_sample, cg_event_t *ev,
                 size_t max_ev)
{
    if (s == NULL || ev == NULL)
        return CG_E_NULL;
    if (max_ev < 1)
        return CG_E_SPACE;
    if (s->fired)
        return 0;
    switch (signal) {
    case CG_LINE_LOOP_DROP:
        if (!s->loop_dropped) {
            s->loop_dropped = 1;
            s->drop_at = at_sample;
        }
        return 0;
    case CG_LINE_LOOP_ON:
        if (s->loop_dropped) {
            s->loop_dropped = 0;
            if ((s->methods & CG_DISC_LOOP_DROP) && at_sample >= s->drop_at + s->loop_drop_samples)
                return fire(s, ev, CG_DISC_LOOP_DROP, s->drop_at,
                            s->drop_at + s->loop_drop_samples, -1, 0.0f);
        }
        return 0;
    case CG_LINE_REVERSAL:
        s->reversal_count++;
        if ((s->methods & CG_DISC_REVERSAL) && s->reversal_count >= s->reversals)
            return fire(s, ev, CG_DISC_REVERSAL, at_sample, at_sample, -1, 0.0f);
        return 0;
    default:
        return CG_E_RANGE;
    }
}

int cg_disc_process(cg_disc_t *s, const int16_t *amp, size_t n, cg_event_t *ev, size_t max_ev)
{
    cg_event_t inner[CG_CPA_TONE_MAX_EVENTS(TICK)];
    if (max_ev < 1)
        return CG_E_SPACE;
    size_t i = 0;
    while (i < n && !s->fired) {
        int ticked;
        const size_t before = i;
        const int count = feed_one_tick(&s->det, amp, n, &i, inner,
                                        sizeof inner / sizeof inner[0], &ticked);
        s->fed += i - before;
        if ((s->methods & CG_DISC_LOOP_DROP) && s->loop_dropped &&
            s->fed >= s->drop_at + s->loop_drop_samples)
            return fire(s, ev, CG_DISC_LOOP_DROP, s->drop_at, s->drop_at + s->loop_drop_samples,
                        -1, 0.0f);
        for (int k = 0; k < count; k++) {
            const cg_event_t *e = &inner[k];
            if ((s->methods & CG_DISC_TONE) && e->kind == CG_EVENT_CPA_TONE &&
                (e->value == s->t_busy || e->value == s->t_congestion))
                return fire(s, ev, CG_DISC_TONE, e->start_sample, e->end_sample, e->value,
                            e->level_dbm0);
        }
        const cg_cpa_run_t *act = &s->det.act;
        if ((s->methods & CG_DISC_SILENCE) && ticked &&
            act->cls == CG_CPA_SILENCE && s->det.now >= act->start + s->silence_samples)
            return fire(s, ev, CG_DISC_SILENCE, act->start, s->det.now, -1, 0.0f);
    }
    return 0;
}
