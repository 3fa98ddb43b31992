/* Disconnect supervision: see callgate/disconnect.h. */
#include "callgate/private/disconnect.h"

#define MS(ms) CG_CPA_SAMPLES(ms)

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
    cg_cpa_tone_cfg_t tone = cfg->tone;
    const cg_tone_plan_t *plan;
    int err = cg_cpa_tone_plan_of(NULL, &tone, &plan);
    if (err < 0)
        return err;
    if (tone.tones == 0 && !(cfg->methods & CG_DISC_SILENCE)) {
        const int busy = cg_tone_find(plan, "busy", NULL);
        const int congestion = cg_tone_find(plan, "congestion", NULL);
        if (busy >= 0)
            tone.tones |= 1u << busy;
        if (congestion >= 0)
            tone.tones |= 1u << congestion;
    }
    err = cg_cpa_tone_init(&s->det, plan, &tone);
    if (err < 0)
        return err;
    s->methods = cfg->methods;
    s->loop_drop_samples = MS(cfg->loop_drop_ms);
    s->reversals = cfg->reversals;
    s->silence_samples = MS(cfg->silence_ms);
    s->t_busy = cg_cpa_tone_index(&s->det, "busy");
    s->t_congestion = cg_cpa_tone_index(&s->det, "congestion");
    return CG_OK;
}

static int fire(cg_disc_t *s, cg_event_t *ev, int method, uint64_t start, uint64_t end,
                int32_t detail_tone, float level)
{
    cg_cpa_event(ev, CG_EVENT_DISCONNECT, start, end, method, level, (float) detail_tone);
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
    cg_event_t inner[CG_CPA_TONE_MAX_EVENTS(CG_CPA_TICK)];
    if (max_ev < 1)
        return CG_E_SPACE;
    size_t i = 0;
    while (i < n && !s->fired) {
        int ticked;
        const size_t before = i;
        const int count = cg_cpa_tone_feed_tick(&s->det, amp, n, &i, inner,
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
