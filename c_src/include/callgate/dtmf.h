/*
 * DTMF reception (ITU-T Q.24).
 *
 * What does it do?
 *   Finds the 16 DTMF digits (0-9 * # A-D) in a stream of 16-bit linear samples at 8 kHz and
 *   reports each one with its first and last sample, its level and its twist.
 *
 * How does it work?
 *   The stream is cut into half-blocks of 51 samples (6.375 ms). For each half-block the
 *   detector correlates the samples with a cosine and a sine at each of the 8 DTMF frequencies
 *   and sums the energy, in integers: int16 samples times a Q10 int16 table, summed in int32
 *   (exact, so results cannot depend on block sizes; no recursion, so the compiler vectorises
 *   it: pmaddwd on x86; on the Cortex-M4 it is written with SMLAD, two multiply-adds per
 *   instruction). Every half-block it judges the 102-sample window made of the last two halves:
 *     - the window carries enough energy for two tones at min_level_dbm0 (a quiet window stops
 *       here, before any floating-point work);
 *     - both halves carry similar energy (a window a tone only partly fills is refused);
 *     - the strongest row and column correlations are solved jointly for the two tones'
 *       complex amplitudes, each freed of the other's spectral leakage, so levels and twist are
 *       measured to a few tenths of a dB even 8 dB apart;
 *     - the two tones carry at least 70 % of the window's power, and beat what is left at every
 *       other DTMF frequency by 10 dB (speech and music rarely do either);
 *     - from the previous window to this one, each tone turned through the phase its nominal
 *       frequency gives, to within max_freq_error_pct: this sharp frequency gate is what
 *       accepts +-1.5 % and refuses +-2.5 % and beyond (Q.24: refuse beyond +-3.5 %);
 *     - each tone is at least min_level_dbm0 and the twist (column minus row) lies within
 *       -max_normal_twist_db .. +max_reverse_twist_db.
 *   A digit begins after 4 consecutive windows agree (a 40 ms tone always makes it, 25 ms
 *   never does) and ends after 3 windows without it: pauses of 20 ms and more separate repeated
 *   digits; a dropout of 10 ms or more splits a digit in two.
 *
 * Measured figures (tests/dsp/test_dtmf_rx.py and bench/RESULTS.md) are in the README.
 * The state is 464 bytes per channel (x86-64 and Cortex-M4F); the const tables are 2.5 KiB.
 * Cost: bench/RESULTS.md (x86) and bench/MCU.md (Cortex-M4F, instructions per sample).
 */
#ifndef CALLGATE_DTMF_H
#define CALLGATE_DTMF_H

#include "callgate/common.h"

typedef struct cg_dtmf_rx_s cg_dtmf_rx_t; /* the struct: callgate/private/dtmf.h */

typedef struct {
    cg_law_t law;               /* which law's dBm0 the levels use */
    float min_level_dbm0;       /* weakest tone accepted, per tone; default -38 dBm0 */
    float max_normal_twist_db;  /* column tone weaker than row tone by up to this; default 10 */
    float max_reverse_twist_db; /* column tone stronger than row tone by up to this; default 6 */
    float max_freq_error_pct;   /* per tone; default 2.5 (Q.24: accept 1.5, refuse beyond 3.5) */
    int report_begin;           /* non-zero: also emit CG_EVENT_DTMF_BEGIN as a digit starts */
} cg_dtmf_rx_cfg_t;

/* The most events one cg_dtmf_rx_process() call of n samples can write. */
#define CG_DTMF_RX_MAX_EVENTS(n) ((size_t) (n) / 51u + 2u)

void cg_dtmf_rx_cfg_default(cg_dtmf_rx_cfg_t *cfg);

/* Start a stream. cfg may be NULL for the defaults. CG_E_RANGE names a bad cfg field's value. */
int cg_dtmf_rx_init(cg_dtmf_rx_t *s, const cg_dtmf_rx_cfg_t *cfg);

/*
 * Feed n samples (any n, including 0). Writes the events completed in them (a CG_EVENT_DTMF
 * when a digit ends; with report_begin, a CG_EVENT_DTMF_BEGIN when it starts) to ev and
 * returns how many; CG_E_SPACE, before consuming anything, if max_ev < CG_DTMF_RX_MAX_EVENTS(n).
 */
int cg_dtmf_rx_process(cg_dtmf_rx_t *s, const int16_t *amp, size_t n, cg_event_t *ev,
                       size_t max_ev);

/* End of stream: report the digit still sounding, if any (0 or 1 event; max_ev >= 1). */
int cg_dtmf_rx_flush(cg_dtmf_rx_t *s, cg_event_t *ev, size_t max_ev);

#endif
