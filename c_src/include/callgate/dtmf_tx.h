/*
 * DTMF generation (ITU-T Q.23).
 *
 * What does it do?
 *   Plays a queue of DTMF digits (0-9 * # A-D; a-d too) as 16-bit linear samples at 8 kHz:
 *   each digit is its row tone plus its column tone for on_ms, then silence for off_ms.
 *
 *            1209  1336  1477  1633 Hz
 *     697     1     2     3     A
 *     770     4     5     6     B
 *     852     7     8     9     C
 *     941     *     0     #     D
 *
 *   The level is given per tone in dBm0 for the low-group (row) tone, default -10 dBm0, and
 *   twist_db sets the high-group (column) tone relative to it (positive: column louder, as Q.23
 *   generators usually send it to offset a line's high-frequency loss). Default timing 50 ms on,
 *   55 ms off.
 *
 * How does it work?
 *   With the tone generator's oscillator pair (callgate/tone.h): phase accumulators on a const
 *   sine table, and 2 ms raised-cosine ramps centred on the digit's start and end, so the
 *   tone measures on_ms long at half amplitude. The generator looks 7 samples (under 1 ms)
 *   ahead into the queue to start the next digit's ramp; queue a digit before the previous
 *   one's off time ends and the output is the same however the stream is cut into blocks.
 *   A digit queued after the generator ran dry starts as a stream does: at half amplitude.
 *
 * The state is about 120 bytes per channel with its 64-digit queue.
 */
#ifndef CALLGATE_DTMF_TX_H
#define CALLGATE_DTMF_TX_H

#include "callgate/common.h"

#define CG_DTMF_TX_QUEUE 64 /* digits waiting, at most */
#define CG_DTMF_TX_DEFAULT_LEVEL_DBM0 -10.0f
#define CG_DTMF_TX_DEFAULT_ON_MS 50
#define CG_DTMF_TX_DEFAULT_OFF_MS 55

typedef struct cg_dtmf_tx_s cg_dtmf_tx_t; /* the struct: callgate/private/dtmf_tx.h */

typedef struct {
    cg_law_t law;     /* which law's dBm0 the levels use */
    float level_dbm0; /* low-group tone, -80..+3 dBm0; default -10 */
    float twist_db;   /* high-group level minus low-group level; the high tone must also
                         fall in -80..+3 dBm0; default 0 */
    uint16_t on_ms;   /* tone per digit, >= 2 ms; default 50 */
    uint16_t off_ms;  /* silence after it, >= 2 ms; default 55 */
} cg_dtmf_tx_cfg_t;

void cg_dtmf_tx_cfg_default(cg_dtmf_tx_cfg_t *cfg);

/* Start with an empty queue. cfg may be NULL for the defaults; CG_E_RANGE for a bad field. */
int cg_dtmf_tx_init(cg_dtmf_tx_t *s, const cg_dtmf_tx_cfg_t *cfg);

/* Queue n digits. All or nothing: returns n, or CG_E_UNKNOWN if any is not a DTMF digit, or
 * CG_E_SPACE if they do not all fit (see cg_dtmf_tx_pending). */
int cg_dtmf_tx_put(cg_dtmf_tx_t *s, const char *digits, size_t n);

/* Digits queued and not yet started. */
size_t cg_dtmf_tx_pending(const cg_dtmf_tx_t *s);

/* Write up to max_samples samples to amp: returns how many, fewer only when the queue has
 * run dry (the last digit's off time included), so 0 when there is nothing to send. */
size_t cg_dtmf_tx_process(cg_dtmf_tx_t *s, int16_t *amp, size_t max_samples);

/* The row and column frequencies of a digit, or CG_E_UNKNOWN. */
int cg_dtmf_tx_digit_hz(char digit, uint16_t *row_hz, uint16_t *col_hz);

#endif
