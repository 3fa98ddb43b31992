/* The call-progress tone detector's state, and what the modules built on it (the outbound-call
 * analyser, disconnect supervision) share of it. For bindings and tests; applications use
 * callgate/cpa_tone.h. */
#ifndef CALLGATE_PRIVATE_CPA_TONE_H
#define CALLGATE_PRIVATE_CPA_TONE_H

#include "callgate/cpa_tone.h"

/* Samples in ms milliseconds. */
#define CG_CPA_SAMPLES(ms) ((uint32_t) (ms) * (uint32_t) (CG_SAMPLE_RATE / 1000))

/* Window classes: 0 silence, 1 voice, 2 beep, 3 + k plan signature k. */
#define CG_CPA_SILENCE 0
#define CG_CPA_VOICE 1
#define CG_CPA_BEEP 2
#define CG_CPA_SIG0 3

/* A debounced run of one class: a class holds for 2 windows (voice: 3, as a tone's edge can
 * leave 2 windows that are neither tone nor silence) before its run starts. */
typedef struct {
    int32_t cls;       /* the current run's class, or -1 before the first */
    int32_t pending;   /* a different class seen in the last windows, or -1 */
    uint32_t pending_count; /* windows in a row of it */
    uint64_t start;    /* the current run's first window centre */
    uint64_t pending_start;
} cg_cpa_run_t;

typedef struct {
    int8_t cls;       /* 0 off, 1 + k signature k */
    uint8_t variant;  /* a SIT segment's: 0 nominal, 1 low, 2 high frequency (sit_kinds) */
    uint16_t gap;     /* of samples, a short pause after the tone that the run took in */
    uint32_t samples;
    uint64_t start;
} cg_cpa_seg_t;

/* The Goertzel bank runs four filters at a time: its arrays are padded to a multiple of 4. */
#define CG_CPA_FILTERS ((CG_CPA_MAX_FREQS + 3u) / 4u * 4u)

#define CG_CPA_HISTORY 8
#define CG_CPA_FLOOR_WINDOWS 50 /* a noise-floor block: 0.5 s of windows */
#define CG_CPA_FLOOR_BLOCKS 3   /* the floor: the quietest window of the last 1.5 s */

struct cg_cpa_tone_s {
    const cg_tone_plan_t *plan;
    /* Configuration in comparison units. */
    float min_power, voice_power;
    uint32_t tol_pct, tol_samples;
    float beep_cos_lo, beep_cos_hi; /* cos(w) band for beeps (cos falls as f rises) */
    uint32_t beep_min_samples;
    int32_t law;
    /* The frequency bank and the signatures. */
    uint32_t n_freqs, n_sigs, n_tones;
    uint32_t listen;                              /* the tones listened for: bit t, tone t */
    /* A Goertzel filter per frequency k, restarted every tick. A window is two ticks: its
     * result is this tick's plus the last tick's turned by the phase a tick advances. */
    float coeff[CG_CPA_FILTERS];                  /* 2 cos(w); 0 in the padding */
    float sin_w[CG_CPA_MAX_FREQS];                /* sin(w) */
    float turn_re[CG_CPA_MAX_FREQS], turn_im[CG_CPA_MAX_FREQS]; /* e^(j w TICK) */
    float g1[CG_CPA_FILTERS], g2[CG_CPA_FILTERS]; /* this tick's filter state */
    float last_re[CG_CPA_MAX_FREQS], last_im[CG_CPA_MAX_FREQS]; /* the last tick's result */
    uint8_t sig_freq[CG_CPA_MAX_SIGS][2];         /* frequency indices; [1] = 0xFF: single */
    uint8_t sig_alt[CG_CPA_MAX_SIGS][2];          /* a SIT segment's low and high variants'
                                                     frequency indices (0xFF: none) */
    uint32_t win_variant;                         /* the last window's: 0 nominal, 1 low, 2 high */
    uint32_t var_n[3];                            /* windows of each variant in the cadence run */
    int32_t t_sit;                                /* the plan's SIT tone, or -1 */
    cg_sit_kind_t sit_kind;                       /* of the SIT recognised last */
    uint8_t tone_sig[CG_CPA_MAX_TONES][CG_CPA_MAX_SEGMENTS]; /* 0 off, 1 + signature */
    uint32_t cont_min[CG_CPA_MAX_TONES];          /* continuous tones: samples to recognise */
    float r[3], prev_r[3];                        /* lag 0, 1, 2 products: this tick, last
                                                     (lag 0: the energy) */
    float x1, x2;                                 /* the last two samples */
    uint32_t fill;                                /* samples in the current tick */
    uint64_t tick;                                /* ticks completed */
    uint64_t now;                                 /* centre of the last window judged */
    /* Runs. */
    cg_cpa_run_t act;                             /* activity: silence / voice / beep / sig */
    cg_cpa_run_t cad;                             /* cadence: off / sig */
    float act_power_sum; uint32_t act_count;      /* mean power of the activity run */
    uint16_t beep_hz; uint8_t beep_reported; uint8_t act_sitlike; /* a beep at a SIT variant */
    uint8_t sit_hold; /* beeps at a SIT variant wait out a SIT segment (sit_kinds; the outbound
                         analyser clears it once the call is answered) */
    cg_cpa_seg_t hist[CG_CPA_HISTORY];            /* completed cadence runs, newest last */
    uint32_t n_hist;
    /* The recognised tone. */
    int32_t active;                               /* tone index, or -1 */
    uint32_t active_seg;                          /* the segment the current run should be */
    uint64_t active_start, active_edge;
    float last_sig_power;                          /* per frequency, of the last sig window */
    /* The line's noise floor: the quietest window of each of the last CG_CPA_FLOOR_BLOCKS
     * blocks of CG_CPA_FLOOR_WINDOWS windows without a plan tone (huge until 5 such windows
     * were seen: no voice before). */
    float floor, block_min, mins[CG_CPA_FLOOR_BLOCKS];
    uint32_t block_n, min_i;
};

/* --- For the modules built on the detector (c_src/cpa_outbound.c, c_src/disconnect.c) ---- */

/* Writes one event. */
static inline void cg_cpa_event(cg_event_t *ev, int32_t kind, uint64_t start, uint64_t end,
                                int32_t value, float level, float detail)
{
    ev->start_sample = start;
    ev->end_sample = end;
    ev->kind = kind;
    ev->value = value;
    ev->level_dbm0 = level;
    ev->detail = detail;
}

/* The level in dBm0 of a mean power (floored at 1e-6) in the detector's law. */
float cg_cpa_tone_level_dbm0(const cg_cpa_tone_t *s, float power);

/* The plan a detector made with (plan, cfg) listens to: plan, else cfg->plan, else the one
 * cfg->plan_name names; CG_E_UNKNOWN or CG_E_NULL as cg_tone_plan_find(). */
int cg_cpa_tone_plan_of(const cg_tone_plan_t *plan, const cg_cpa_tone_cfg_t *cfg,
                        const cg_tone_plan_t **found);

/* The index of the detector's plan tone called name, or -2 (which matches no tone index and
 * not "none", -1) if the plan has none. */
int32_t cg_cpa_tone_index(const cg_cpa_tone_t *s, const char *name);

/* Feeds the detector from amp[*i] up to the end of its current tick (or of amp), advances *i,
 * and returns its events in ev (room for one tick's worth: CG_CPA_TONE_MAX_EVENTS(CG_CPA_TICK));
 * *ticked says whether a window was judged. The analyser and the supervisor step the detector
 * this way, so each can act after every tick. */
int cg_cpa_tone_feed_tick(cg_cpa_tone_t *s, const int16_t *amp, size_t n, size_t *i,
                          cg_event_t *ev, size_t max_ev, int *ticked);

/* The number of samples fed so far. */
static inline uint64_t cg_cpa_tone_fed(const cg_cpa_tone_t *s)
{
    return s->tick * CG_CPA_TICK + s->fill;
}

#endif
