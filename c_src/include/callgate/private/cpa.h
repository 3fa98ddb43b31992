/* Call-progress and disconnect state. For bindings and tests; applications use callgate/cpa.h. */
#ifndef CALLGATE_PRIVATE_CPA_H
#define CALLGATE_PRIVATE_CPA_H

#include "callgate/cpa.h"

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
    int32_t cls; /* 0 off, 1 + k signature k */
    uint32_t samples;
    uint64_t start;
} cg_cpa_seg_t;

#define CG_CPA_HISTORY 8

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
    /* Goertzel filters, two per frequency k, started one tick apart: lane 2 k + w. */
    float coeff[2 * CG_CPA_MAX_FREQS];            /* 2 cos(w); 0 in unused lanes */
    float g1[2 * CG_CPA_MAX_FREQS], g2[2 * CG_CPA_MAX_FREQS];
    uint8_t sig_freq[CG_CPA_MAX_SIGS][2];         /* frequency indices; [1] = 0xFF: single */
    uint8_t tone_sig[CG_CPA_MAX_TONES][CG_CPA_MAX_SEGMENTS]; /* 0 off, 1 + signature */
    uint32_t cont_min[CG_CPA_MAX_TONES];          /* continuous tones: samples to recognise */
    float e[2];                                   /* window energy */
    float r[3], prev_r[3];                        /* lag 0, 1, 2 products: this tick, last */
    float x1, x2;                                 /* the last two samples */
    uint32_t fill;                                /* samples in the current tick */
    uint64_t tick;                                /* ticks completed */
    uint64_t now;                                 /* centre of the last window judged */
    /* Runs. */
    cg_cpa_run_t act;                             /* activity: silence / voice / beep / sig */
    cg_cpa_run_t cad;                             /* cadence: off / sig */
    float act_power_sum; uint32_t act_count;      /* mean power of the activity run */
    uint16_t beep_hz; uint8_t beep_reported; uint8_t pad_;
    cg_cpa_seg_t hist[CG_CPA_HISTORY];            /* completed cadence runs, newest last */
    uint32_t n_hist;
    /* The recognised tone. */
    int32_t active;                               /* tone index, or -1 */
    uint32_t active_seg;                          /* the segment the current run should be */
    uint64_t active_start, active_edge;
    float last_sig_power;                          /* per frequency, of the last sig window */
};

struct cg_cpa_s {
    cg_cpa_tone_t det;
    uint32_t no_dial_samples, no_answer_samples, human_max_samples, machine_min_samples,
        end_silence_samples;
    int32_t phase;
    int32_t done;
    int32_t t_dial, t_busy, t_congestion, t_ringback, t_sit, t_cng, t_ced; /* tone indices */
    uint64_t began;        /* where the analysis of this phase began (result start) */
    uint64_t ring_from;    /* no-answer clock start */
    int32_t ringing;
    uint64_t greet_start, last_voice;
    float voice_power_sum; uint32_t voice_count;
    float tone_level;
};

struct cg_disc_s {
    cg_cpa_tone_t det;
    uint32_t methods, loop_drop_samples, reversals, silence_samples;
    int32_t t_busy, t_congestion;
    int32_t fired;
    int32_t loop_dropped;
    uint64_t drop_at;
    uint32_t reversal_count;
    uint64_t fed;
};

#endif
