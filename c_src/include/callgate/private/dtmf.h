/* The DTMF receiver's state. For bindings and tests; applications use callgate/dtmf.h. */
#ifndef CALLGATE_PRIVATE_DTMF_H
#define CALLGATE_PRIVATE_DTMF_H

#include "callgate/dtmf.h"

struct cg_dtmf_rx_s {
    /* Configuration, in the units the detector compares in. */
    float min_power;        /* mean square of a tone at min_level_dbm0 */
    float min_twist_ratio;  /* column power / row power, lower bound */
    float max_twist_ratio;  /* ... upper bound */
    float cos_max_turn[8];  /* cos of the largest phase error accepted per half-block */
    int32_t law;
    int32_t report_begin;

    /* The half-block being collected; 56 = 51 rounded up to whole vectors, kept zero beyond 51. */
    int16_t block[56];
    uint32_t fill;          /* samples in it so far */
    uint64_t half_start;    /* stream position of its first sample */

    /* The previous half-block, as complex values re[0..7], im[8..15]. */
    float prev[16];
    float prev_energy;
    int32_t have_prev;
    /* The previous window's correlations, for the turn from one window to the next. */
    float prev_window[16];
    int32_t have_window;
    /* The previous window's two tones, solved (solve_pair), if it got that far: row * 8 +
     * column, or -1. */
    float solved[4];
    int32_t solved_pair;

    /* Digit tracking, one step per half-block. */
    int32_t candidate;      /* digit index the last windows agreed on, or -1 */
    uint32_t hits;          /* consecutive windows with that candidate */
    uint64_t streak_start;  /* start of the first window of the streak */
    int32_t digit;          /* digit index sounding now, or -1 */
    uint32_t misses;        /* consecutive windows without it */
    uint64_t digit_start;
    uint64_t last_hit_end;  /* end of the last window that had it */
    float row_power_sum;
    float col_power_sum;
    uint32_t power_count;
};

#endif
