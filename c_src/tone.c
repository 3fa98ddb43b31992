/* Tone plans (const data), cadences and the tone generator: see callgate/tone.h. */
#include "callgate/private/tone.h"

#include "tone_tables.h"

/* The look-ahead puts the ramp's middle step on the boundary (C99 has no static_assert). */
typedef char cg_tone_lookahead_check[CG_TONE_LOOKAHEAD == CG_TONE_RAMP / 2 - 1 ? 1 : -1];

/* --- Oscillator pair (shared with dtmf_tx.c) ------------------------------------------ */

/* Phase step for hz: hz * 2^32 / 8000 = hz * 536870.912, rounded, in 32-bit integers
 * (hz <= 3999 keeps both products below 2^32). */
static uint32_t rate_of(uint16_t hz)
{
    return (uint32_t) hz * 536870u + ((uint32_t) hz * 912u + 500u) / 1000u;
}

static inline float sine_at(uint32_t phase)
{
    const uint32_t i = phase >> (32 - CG_TONE_SINE_BITS);
    const float frac =
        (float) ((phase >> (16 - CG_TONE_SINE_BITS)) & 0xFFFFu) * (1.0f / 65536.0f);
    const float a = cg_tone_sine[i];
    return a + frac * (cg_tone_sine[i + 1] - a);
}

static inline int16_t saturate(float v)
{
    if (v >= 32767.0f)
        return 32767;
    if (v <= -32768.0f)
        return -32768;
    return (int16_t) (v >= 0.0f ? v + 0.5f : v - 0.5f);
}

void cg_tone_osc_start(cg_tone_osc_t *osc, uint16_t freq_hz, float peak)
{
    osc->phase = 0;
    osc->rate = rate_of(freq_hz);
    osc->peak = peak;
    /* One step short of half-way up: the first sample is at half amplitude, as if the ramp
     * had started CG_TONE_LOOKAHEAD samples before the stream. */
    osc->env = freq_hz ? CG_TONE_LOOKAHEAD : 0;
}

void cg_tone_osc_render(cg_tone_osc_t osc[2], const uint16_t now_hz[2],
                        const uint16_t ahead_hz[2], int16_t *amp, size_t n)
{
    int32_t step[2];
    for (int c = 0; c < 2; c++) {
        if (now_hz[c])
            osc[c].rate = rate_of(now_hz[c]);
        else if (ahead_hz[c])
            osc[c].rate = rate_of(ahead_hz[c]);
        step[c] = ahead_hz[c] ? 1 : -1;
    }
    for (size_t i = 0; i < n; i++) {
        float v = 0.0f;
        for (int c = 0; c < 2; c++) {
            cg_tone_osc_t *o = &osc[c];
            int32_t e = o->env + step[c];
            e = e < 0 ? 0 : (e > CG_TONE_RAMP ? CG_TONE_RAMP : e);
            o->env = e;
            if (e)
                v += o->peak * cg_tone_ramp[e] * sine_at(o->phase);
            o->phase += o->rate;
        }
        amp[i] = saturate(v);
    }
}

/* --- Tone plans ----------------------------------------------------------------------- */

#define COUNT(a) ((uint16_t) (sizeof(a) / sizeof((a)[0])))
#define TONE(name, segments, repeat, level) {name, segments, COUNT(segments), repeat, level}

/* China (E.180): every tone is 450 Hz; busy, congestion and ringback differ by cadence. */
static const cg_tone_segment_t cn_dial_seg[] = {{450, 0, 1000}};
static const cg_tone_segment_t cn_busy_seg[] = {{450, 0, 350}, {0, 0, 350}};
static const cg_tone_segment_t cn_ringback_seg[] = {{450, 0, 1000}, {0, 0, 4000}};
static const cg_tone_segment_t cn_congestion_seg[] = {{450, 0, 700}, {0, 0, 700}};
static const cg_tone_segment_t cn_call_waiting_seg[] = {{450, 0, 400}, {0, 0, 4000}};
static const cg_tone_desc_t cn_dial = TONE("dial", cn_dial_seg, 1, -10.0f);
static const cg_tone_desc_t cn_busy = TONE("busy", cn_busy_seg, 1, -10.0f);
static const cg_tone_desc_t cn_ringback = TONE("ringback", cn_ringback_seg, 1, -10.0f);
static const cg_tone_desc_t cn_congestion = TONE("congestion", cn_congestion_seg, 1, -10.0f);
static const cg_tone_desc_t cn_call_waiting =
    TONE("call-waiting", cn_call_waiting_seg, 1, -15.0f);

/* North America (E.180; levels from the precise tone plan). */
static const cg_tone_segment_t us_dial_seg[] = {{350, 440, 1000}};
static const cg_tone_segment_t us_busy_seg[] = {{480, 620, 500}, {0, 0, 500}};
static const cg_tone_segment_t us_ringback_seg[] = {{440, 480, 2000}, {0, 0, 4000}};
static const cg_tone_segment_t us_congestion_seg[] = {{480, 620, 250}, {0, 0, 250}};
static const cg_tone_desc_t us_dial = TONE("dial", us_dial_seg, 1, -13.0f);
static const cg_tone_desc_t us_busy = TONE("busy", us_busy_seg, 1, -24.0f);
static const cg_tone_desc_t us_ringback = TONE("ringback", us_ringback_seg, 1, -19.0f);
static const cg_tone_desc_t us_congestion = TONE("congestion", us_congestion_seg, 1, -24.0f);

/* Europe / ITU-T recommended (E.180): 425 Hz. */
static const cg_tone_segment_t eu_dial_seg[] = {{425, 0, 1000}};
static const cg_tone_segment_t eu_busy_seg[] = {{425, 0, 500}, {0, 0, 500}};
static const cg_tone_segment_t eu_ringback_seg[] = {{425, 0, 1000}, {0, 0, 4000}};
static const cg_tone_segment_t eu_congestion_seg[] = {{425, 0, 250}, {0, 0, 250}};
static const cg_tone_desc_t eu_dial = TONE("dial", eu_dial_seg, 1, -10.0f);
static const cg_tone_desc_t eu_busy = TONE("busy", eu_busy_seg, 1, -10.0f);
static const cg_tone_desc_t eu_ringback = TONE("ringback", eu_ringback_seg, 1, -10.0f);
static const cg_tone_desc_t eu_congestion = TONE("congestion", eu_congestion_seg, 1, -10.0f);

/* Shared by every plan: special information tone (E.180 / Q.35) and the fax tones (T.30). */
static const cg_tone_segment_t sit_seg[] = {
    {950, 0, 330}, {1400, 0, 330}, {1800, 0, 330}, {0, 0, 1000}};
static const cg_tone_segment_t cng_seg[] = {{1100, 0, 500}, {0, 0, 3000}};
static const cg_tone_segment_t ced_seg[] = {{2100, 0, 3000}};
static const cg_tone_desc_t sit = TONE("sit", sit_seg, 1, -24.0f);
static const cg_tone_desc_t cng = TONE("cng", cng_seg, 1, -10.0f);
static const cg_tone_desc_t ced = TONE("ced", ced_seg, 0, -10.0f);

static const cg_tone_desc_t *const cn_tones[] = {
    &cn_dial, &cn_busy, &cn_ringback, &cn_congestion, &cn_call_waiting, &sit, &cng, &ced};
static const cg_tone_desc_t *const us_tones[] = {
    &us_dial, &us_busy, &us_ringback, &us_congestion, &sit, &cng, &ced};
static const cg_tone_desc_t *const eu_tones[] = {
    &eu_dial, &eu_busy, &eu_ringback, &eu_congestion, &sit, &cng, &ced};

static const cg_tone_plan_t plans[] = {
    {"CN", "China", cn_tones, COUNT(cn_tones)},
    {"US", "North America", us_tones, COUNT(us_tones)},
    {"EU", "Europe (ITU-T recommended 425 Hz)", eu_tones, COUNT(eu_tones)},
};

/* Other names: {alias, name}. */
static const char *const plan_aliases[][2] = {{"ITU", "EU"}};
static const char *const tone_aliases[][2] = {{"reorder", "congestion"}};

/* ASCII, case-insensitive. */
static int same_name(const char *a, const char *b)
{
    for (;; a++, b++) {
        char ca = *a, cb = *b;
        if (ca >= 'A' && ca <= 'Z')
            ca = (char) (ca - 'A' + 'a');
        if (cb >= 'A' && cb <= 'Z')
            cb = (char) (cb - 'A' + 'a');
        if (ca != cb)
            return 0;
        if (ca == '\0')
            return 1;
    }
}

static const char *resolve(const char *name, const char *const aliases[][2], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (same_name(name, aliases[i][0]))
            return aliases[i][1];
    return name;
}

size_t cg_tone_plan_count(void) { return COUNT(plans); }

const cg_tone_plan_t *cg_tone_plan_at(size_t index)
{
    return index < COUNT(plans) ? &plans[index] : NULL;
}

int cg_tone_plan_find(const char *name, const cg_tone_plan_t **plan)
{
    if (!name)
        return CG_E_NULL;
    name = resolve(name, plan_aliases, sizeof(plan_aliases) / sizeof(plan_aliases[0]));
    for (size_t i = 0; i < COUNT(plans); i++) {
        if (same_name(name, plans[i].name)) {
            if (plan)
                *plan = &plans[i];
            return (int) i;
        }
    }
    return CG_E_UNKNOWN;
}

const cg_tone_desc_t *cg_tone_plan_tone(const cg_tone_plan_t *plan, size_t index)
{
    return plan && index < plan->n_tones ? plan->tones[index] : NULL;
}

int cg_tone_find(const cg_tone_plan_t *plan, const char *name, const cg_tone_desc_t **tone)
{
    if (!plan || !name)
        return CG_E_NULL;
    name = resolve(name, tone_aliases, sizeof(tone_aliases) / sizeof(tone_aliases[0]));
    for (uint16_t i = 0; i < plan->n_tones; i++) {
        if (plan->tones[i]->name && same_name(name, plan->tones[i]->name)) {
            if (tone)
                *tone = plan->tones[i];
            return (int) i;
        }
    }
    return CG_E_UNKNOWN;
}

int cg_tone_lookup(const char *plan_name, const char *tone_name, const cg_tone_desc_t **tone)
{
    const cg_tone_plan_t *plan;
    const int err = cg_tone_plan_find(plan_name, &plan);
    if (err < 0)
        return err;
    return cg_tone_find(plan, tone_name, tone);
}

/* --- Cadences and the generator ------------------------------------------------------- */

int cg_tone_check(const cg_tone_desc_t *tone)
{
    if (!tone || !tone->segments)
        return CG_E_NULL;
    if (tone->n_segments == 0)
        return CG_E_RANGE;
    if (!(tone->level_dbm0 >= CG_TONE_MIN_LEVEL_DBM0 && tone->level_dbm0 <= CG_TONE_MAX_LEVEL_DBM0))
        return CG_E_RANGE; /* also refuses NaN */
    for (uint16_t i = 0; i < tone->n_segments; i++) {
        const cg_tone_segment_t *sg = &tone->segments[i];
        if (sg->duration_ms < CG_TONE_MIN_SEGMENT_MS || sg->freq1_hz > CG_TONE_MAX_FREQ_HZ
            || sg->freq2_hz > CG_TONE_MAX_FREQ_HZ)
            return CG_E_RANGE;
    }
    return CG_OK;
}

uint32_t cg_tone_cycle_ms(const cg_tone_desc_t *tone)
{
    uint32_t ms = 0;
    if (tone && tone->segments)
        for (uint16_t i = 0; i < tone->n_segments; i++)
            ms += tone->segments[i].duration_ms;
    return ms;
}

int cg_tone_gen_init(cg_tone_gen_t *s, const cg_tone_desc_t *tone, cg_law_t law)
{
    if (!s)
        return CG_E_NULL;
    const int err = cg_tone_check(tone);
    if (err < 0)
        return err;
    if (law != CG_LAW_ULAW && law != CG_LAW_ALAW)
        return CG_E_RANGE;
    const float peak = cg_dbm0_to_peak(tone->level_dbm0, law);
    const cg_tone_segment_t *first = &tone->segments[0];
    s->segments = tone->segments;
    s->n_segments = tone->n_segments;
    s->repeat = tone->repeat ? 1 : 0;
    s->ended = 0;
    s->seg = 0;
    s->pad_ = 0;
    s->pos = 0;
    s->len = CG_TONE_MS_TO_SAMPLES(first->duration_ms);
    cg_tone_osc_start(&s->osc[0], first->freq1_hz, peak);
    cg_tone_osc_start(&s->osc[1], first->freq2_hz, peak);
    return CG_OK;
}

size_t cg_tone_gen_process(cg_tone_gen_t *s, int16_t *amp, size_t max_samples)
{
    size_t done = 0;
    while (done < max_samples && !s->ended) {
        const cg_tone_segment_t *cur = &s->segments[s->seg];
        const uint16_t now_hz[2] = {cur->freq1_hz, cur->freq2_hz};
        uint16_t ahead_hz[2] = {cur->freq1_hz, cur->freq2_hz};
        const uint32_t turn = s->len - CG_TONE_LOOKAHEAD; /* len >= 16 */
        uint32_t until = turn;
        if (s->pos >= turn) {
            /* The last samples of the segment look into the next one. */
            uint16_t next = (uint16_t) (s->seg + 1);
            until = s->len;
            if (next == s->n_segments && !s->repeat) {
                ahead_hz[0] = ahead_hz[1] = 0;
            } else {
                if (next == s->n_segments)
                    next = 0;
                ahead_hz[0] = s->segments[next].freq1_hz;
                ahead_hz[1] = s->segments[next].freq2_hz;
            }
        }
        size_t run = until - s->pos;
        if (run > max_samples - done)
            run = max_samples - done;
        cg_tone_osc_render(s->osc, now_hz, ahead_hz, amp + done, run);
        done += run;
        s->pos += (uint32_t) run;
        if (s->pos == s->len) {
            s->pos = 0;
            if (++s->seg == s->n_segments) {
                s->seg = 0;
                s->ended = !s->repeat;
            }
            s->len = CG_TONE_MS_TO_SAMPLES(s->segments[s->seg].duration_ms);
        }
    }
    return done;
}
