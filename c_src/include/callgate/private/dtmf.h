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
    float quiet_energy;     /* a window with less energy cannot hold a digit (0: no such gate) */
    int32_t law;
    int32_t report_begin;

    /* The half-block being collected (when it does not lie whole in the caller's buffer);
     * 56 = 51 rounded up to whole vectors, kept zero beyond 51. */
    int16_t block[56];
    uint32_t fill;          /* samples in it so far */
    uint64_t half_start;    /* stream position of its first sample */

    /* The correlations of the last three half-blocks, as complex values re[0..7], im[8..15]:
     * half[newest] is the latest, then (newest + 2) % 3, then (newest + 1) % 3. A window is two
     * consecutive halves; the oldest half is needed only for the previous window. */
    float half[3][16];
    uint32_t newest;
    uint32_t halves;        /* half-blocks correlated so far, up to 3 */
    float prev_energy;      /* energy of the half before the latest */
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
