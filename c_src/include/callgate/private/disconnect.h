/* Disconnect supervision's state. For bindings and tests; applications use
 * callgate/disconnect.h. */
#ifndef CALLGATE_PRIVATE_DISCONNECT_H
#define CALLGATE_PRIVATE_DISCONNECT_H

#include "callgate/disconnect.h"
#include "callgate/private/cpa_tone.h"

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
