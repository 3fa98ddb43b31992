/*
 * Disconnect supervision for FXO lines: has the far end hung up?
 *
 * What does it do?
 *   cg_disc_t watches a line for any of: loop-current drop >= N ms, line reversal, the plan's
 *   busy or congestion tone, long silence. One event names the method that fired.
 *
 * How does it work?
 *   It takes line signals from the line card with cg_disc_line() (at_sample on the audio's
 *   sample clock) and audio with cg_disc_process(), which runs a call-progress tone detector
 *   (callgate/cpa_tone.h; beeps off by default). Loop drop fires once the loop has been dropped
 *   loop_drop_ms (LOOP_ON earlier cancels it); reversal fires on the reversals-th reversal
 *   (2 on an outbound call whose far end reverses on answer); tone when the plan's busy or
 *   congestion tone is recognised (cadence and all, so DTMF digits and speech do not fire it);
 *   silence after silence_ms of it. Without the silence method (and tone.tones left 0) the
 *   detector listens for the busy and congestion tones alone: their frequencies are all it
 *   filters, a fraction of the whole plan's work. (The silence method needs every plan tone
 *   told from silence, and listens for the whole plan.)
 *
 * Sizes are printed by tests/dsp/test_cpa.py (test_state_sizes).
 */
#ifndef CALLGATE_DISCONNECT_H
#define CALLGATE_DISCONNECT_H

#include "callgate/cpa_tone.h"

/* The most events one cg_disc_process() can write: it fires once. */
#define CG_DISC_MAX_EVENTS(n) 1u

/* Methods, as bits for cfg.methods and as the disconnect event's value. */
typedef enum {
    CG_DISC_LOOP_DROP = 1,
    CG_DISC_REVERSAL = 2,
    CG_DISC_TONE = 4,
    CG_DISC_SILENCE = 8
} cg_disc_method_t;
#define CG_DISC_ALL 15u

/* "loop-drop", "reversal", "tone", "silence", or "unknown". */
const char *cg_disc_method_name(int method);

/* Line signals from the line card. */
typedef enum { CG_LINE_LOOP_DROP = 1, CG_LINE_LOOP_ON = 2, CG_LINE_REVERSAL = 3 } cg_line_signal_t;

typedef struct cg_disc_s cg_disc_t; /* the struct: callgate/private/disconnect.h */

typedef struct {
    cg_cpa_tone_cfg_t tone;
    uint32_t methods;      /* CG_DISC_* bits; default CG_DISC_ALL */
    uint32_t loop_drop_ms; /* default 200 */
    uint32_t reversals;    /* reversals that fire; default 1 (2 on an outbound call) */
    uint32_t silence_ms;   /* default 30000 */
} cg_disc_cfg_t;

void cg_disc_cfg_default(cg_disc_cfg_t *cfg);
int cg_disc_init(cg_disc_t *s, const cg_disc_cfg_t *cfg);

/* A line signal at at_sample: 0 or 1 events (CG_EVENT_DISCONNECT, value = the method,
 * start = where the condition began, end = where it fired). max_ev >= 1. */
int cg_disc_line(cg_disc_t *s, cg_line_signal_t signal, uint64_t at_sample, cg_event_t *ev,
                 size_t max_ev);

/* Feed n samples: 0 or 1 events, as cg_disc_line. Nothing more once one has fired. */
int cg_disc_process(cg_disc_t *s, const int16_t *amp, size_t n, cg_event_t *ev, size_t max_ev);

#endif
