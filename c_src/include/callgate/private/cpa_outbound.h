/* The outbound-call analyser's state. For bindings and tests; applications use
 * callgate/cpa_outbound.h. */
#ifndef CALLGATE_PRIVATE_CPA_OUTBOUND_H
#define CALLGATE_PRIVATE_CPA_OUTBOUND_H

#include "callgate/cpa_outbound.h"
#include "callgate/private/cpa_tone.h"

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
    uint64_t dial_at;      /* where dial tone was recognised (cg_cpa_dial_heard) */
    int32_t dial_heard;
};

#endif
