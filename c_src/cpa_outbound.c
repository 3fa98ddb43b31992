/* Outbound-call analysis: see callgate/cpa_outbound.h. */
#include "callgate/private/cpa_outbound.h"

#define MS(ms) CG_CPA_SAMPLES(ms)

enum { PHASE_WAIT_DIAL, PHASE_DIALING, PHASE_PROGRESS, PHASE_ANSWERED };

void cg_cpa_cfg_default(cg_cpa_cfg_t *cfg)
{
    cg_cpa_tone_cfg_default(&cfg->tone);
    cfg->no_dial_tone_ms = 0;
    cfg->no_answer_ms = 30000;
    cfg->human_max_ms = 1800;
    cfg->machine_min_ms = 2500;
    cfg->end_silence_ms = 800;
    cfg->tone.sit_kinds = 1; /* a SIT's kind says whether to try the number again */
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
    s->no_dial_samples = MS(cfg->no_dial_tone_ms);
    s->no_answer_samples = MS(cfg->no_answer_ms);
    s->human_max_samples = MS(cfg->human_max_ms);
    s->machine_min_samples = MS(cfg->machine_min_ms);
    s->end_silence_samples = MS(cfg->end_silence_ms);
    s->t_dial = cg_cpa_tone_index(&s->det, "dial");
    s->t_busy = cg_cpa_tone_index(&s->det, "busy");
    s->t_congestion = cg_cpa_tone_index(&s->det, "congestion");
    s->t_ringback = cg_cpa_tone_index(&s->det, "ringback");
    s->t_sit = cg_cpa_tone_index(&s->det, "sit");
    s->t_cng = cg_cpa_tone_index(&s->det, "cng");
    s->t_ced = cg_cpa_tone_index(&s->det, "ced");
    s->phase = cfg->no_dial_tone_ms ? PHASE_WAIT_DIAL : PHASE_PROGRESS;
    return CG_OK;
}

int cg_cpa_done(const cg_cpa_t *s) { return s->done; }

int cg_cpa_dial_heard(const cg_cpa_t *s, uint64_t *at)
{
    if (s->dial_heard && at != NULL)
        *at = s->dial_at;
    return s->dial_heard;
}

int cg_cpa_dialed(cg_cpa_t *s, uint64_t at_sample)
{
    if (s == NULL)
        return CG_E_NULL;
    if (at_sample > cg_cpa_tone_fed(&s->det))
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
    cg_cpa_event(ev, kind, s->began, end, value, level,
                 (float) (uint32_t) (end - s->began) / (float) CG_SAMPLE_RATE);
    s->done = 1;
    return 1;
}

static float greeting_level(const cg_cpa_t *s)
{
    return cg_cpa_tone_level_dbm0(
        &s->det, s->voice_count ? s->voice_power_sum / (float) s->voice_count : 0.0f);
}

/* A detector event: 1 if it ended the attempt. */
static int on_event(cg_cpa_t *s, const cg_event_t *e, cg_event_t *out)
{
    const uint64_t c = s->det.now;
    if (e->kind == CG_EVENT_CPA_TONE_END && s->phase == PHASE_DIALING && e->value == s->t_dial) {
        s->began = s->ring_from = e->end_sample; /* dialling began where the dial tone ended */
        return 0;
    }
    if (e->kind == CG_EVENT_CPA_BEEP && s->phase >= PHASE_PROGRESS) {
        const uint64_t greeting = s->phase == PHASE_ANSWERED ? s->last_voice - s->greet_start : 0;
        return result(s, out, CG_EVENT_CPA_MACHINE, c, (int32_t) (greeting / 8u), e->level_dbm0);
    }
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
        s->dial_heard = 1;
        s->dial_at = c;
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
        return result(s, out, CG_EVENT_CPA_SIT, c, (int32_t) cg_cpa_tone_sit_kind(&s->det), e->level_dbm0);
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
            s->det.sit_hold = 0; /* no SIT after an answer: a 1000 Hz beep is a beep at once */
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

int cg_cpa_process(cg_cpa_t *s, const int16_t *amp, size_t n, cg_event_t *ev, size_t max_ev)
{
    cg_event_t inner[CG_CPA_TONE_MAX_EVENTS(CG_CPA_TICK)];
    if (max_ev < 1)
        return CG_E_SPACE;
    size_t i = 0;
    while (i < n && !s->done) {
        int ticked;
        const int count = cg_cpa_tone_feed_tick(&s->det, amp, n, &i, inner,
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
    const uint64_t end = cg_cpa_tone_fed(&s->det);
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
