/*
 * Call-progress analysis (CPA) and disconnect supervision.
 *
 * What does it do?
 *   Three layers, each a caller-owned state + init + process-a-block + events out:
 *
 *   cg_cpa_tone_t  a cadence-aware tone detector for one tone plan (callgate/tone.h). It
 *                  recognises the plan's tones by frequency AND cadence - dial (continuous),
 *                  busy, ringback, congestion, call-waiting, SIT (950/1400/1800 Hz in
 *                  sequence), fax CNG (1100 Hz) and CED (2100 Hz) - and reports voice (energy
 *                  without a plan tone), silence, and a steady single-frequency beep. In CN every
 *                  tone is 450 Hz: busy, congestion and ringback are told apart by cadence only.
 *   cg_cpa_t       an outbound-call analyser on top: ends each attempt with exactly ONE terminal
 *                  result - no dial tone, busy, congestion, no answer, SIT, fax, answered by a
 *                  person, answered by a machine - and the time it took to decide.
 *   cg_disc_t      disconnect supervision for FXO lines: any of loop-current drop >= N ms, line
 *                  reversal, the plan's busy or congestion tone, long silence. One event names
 *                  the method that fired.
 *
 * How does it work?
 *   Ticks. The stream is cut into ticks of 80 samples (10 ms). Every tick the detector judges
 *   the 160-sample window made of the last two ticks (two Goertzel filters per frequency,
 *   started one tick apart, so each window is 20 ms and a new one ends every 10 ms):
 *     - the power at every frequency the plan uses (collected from the plan's segments at
 *       init: nothing of the plan is copied), and the window's total power;
 *     - a "signature" (the one or two frequencies of a plan segment) is present when each of
 *       its frequencies is >= min_level_dbm0, the weaker within 10 dB of the stronger, and
 *       together they carry >= 60 % of the window's power (45 % for a pair, whose tones leak
 *       into each other over 20 ms; speech and DTMF digits do not); of the
 *       signatures present the strongest wins;
 *     - otherwise a window whose power is >= voice_level_dbm0 is voice, or a beep if it is one
 *       steady frequency in beep_min_hz..beep_max_hz (a 2nd-order linear predictor with the
 *       sine's constraint leaves < 3 % of the power: x[n] + x[n-2] = 2 cos(w) x[n-1]) that
 *       stays within 2 % of the frequency its run began with;
 *       else it is silence.
 *   A window is timed at its centre, which is where a tone edge is when the window is half
 *   full of it; a class must hold for 2 windows to start a run (a single odd window is
 *   absorbed; voice: 3 windows, as a tone's edge can leave 2 that are neither tone nor
 *   silence), so edges are measured to about +-10 ms.
 *   Runs (plan signature or "off") are matched against each tone's segments, cyclically:
 *     - a cadenced tone (busy, ringback, congestion, call-waiting, SIT, CNG) is recognised when
 *       the last runs match one whole cycle starting with a tone segment, plus one more segment
 *       for cadences of 1-2 segments (busy: on, off, on); the run still going counts once it
 *       has lasted the segment's lower bound;
 *     - a continuous tone (dial) once it has lasted longer than any cadenced tone of the same
 *       signature's on-segment can (CN dial: 1250 ms, as CN ringback is 1000 +- 200 ms), and at
 *       least 500 ms;
 *     - a tone played once (CED) after CG_CPA_ONCE_MS of it: its length is open-ended
 *       (T.30: 2.6-4 s) and a caller should not wait for its end.
 *   TOLERANCE: every segment duration d is accepted within d +- max(tolerance_pct % of d,
 *   tolerance_ms): by default +-20 % or +-50 ms, whichever is larger (CN busy 350 ms: 280-420;
 *   CN congestion 700 ms: 560-840; ringback 1000/4000: 800-1200/3200-4800). Measurement adds
 *   about +-10 ms.
 *   A recognised tone stays recognised while each new run continues its cadence within the
 *   same tolerances; a CG_EVENT_CPA_TONE_END closes it.
 *
 *   The analyser (cg_cpa_t) runs one detector and walks through phases:
 *     wait-dial (only if no_dial_tone_ms > 0): dial tone within no_dial_tone_ms, else
 *                "no dial tone". Once dial tone is heard the caller dials; cg_cpa_dialed()
 *                marks the end of dialling. Without it, the first plan tone after the dial
 *                tone (ringback, busy, ...) does: DTMF while dialling is not taken for voice.
 *     progress:  busy, congestion, SIT, CNG/CED -> that result; ringback -> ringing;
 *                no_answer_ms after the first ringback (or after progress began, if none is
 *                heard) -> "no answer"; voice -> answered.
 *     answered:  the greeting runs from the first voice to the last voice before a silence of
 *                end_silence_ms. If it ends shorter than machine_min_ms it was a person
 *                ("hello?" < human_max_ms, default 1.8 s; between the two also counts as a
 *                person, who is worth an agent); if it reaches machine_min_ms (2.5 s) or a beep
 *                is heard, a machine. CED/CNG here -> fax.
 *   The result event: start_sample = where the analysis began (stream start or
 *   cg_cpa_dialed()), end_sample = where it decided, detail = seconds to decide
 *   (end - start) / 8000, value = the plan's tone index for tone results and the greeting in ms
 *   for person/machine, level_dbm0 = the tone's or greeting's level. After it the analyser
 *   writes nothing more; cg_cpa_flush() decides at end of stream if it has not yet.
 *
 *   Disconnect supervision (cg_disc_t) takes line signals from the line card with
 *   cg_disc_line() (at_sample on the audio's sample clock) and audio with cg_disc_process().
 *   Loop drop fires once the loop has been dropped loop_drop_ms (LOOP_ON earlier cancels it);
 *   reversal fires on the reversals-th reversal (2 on an outbound call whose far end reverses
 *   on answer); tone when the plan's busy or congestion tone is recognised (cadence and all,
 *   so DTMF digits and speech do not fire it); silence after silence_ms of it.
 *
 * Sizes are printed by tests/dsp/test_cpa.py (test_state_sizes).
 */
#ifndef CALLGATE_CPA_H
#define CALLGATE_CPA_H

#include "callgate/common.h"
#include "callgate/tone.h"

#define CG_CPA_TICK 80          /* samples per tick (10 ms) */
#define CG_CPA_MAX_FREQS 12     /* distinct frequencies per plan */
#define CG_CPA_MAX_SIGS 12      /* distinct segment signatures (one or two frequencies) */
#define CG_CPA_MAX_TONES 12     /* tones per plan */
#define CG_CPA_MAX_SEGMENTS 6   /* segments per tone */
#define CG_CPA_ONCE_MS 500      /* a tone played once (CED) is recognised after this much */

/* The most events one cg_cpa_tone_process() of n samples can write (4 per tick). */
#define CG_CPA_TONE_MAX_EVENTS(n) (((size_t) (n) / CG_CPA_TICK + 1u) * 4u)
/* ... and cg_cpa_process() / cg_disc_process() (at most one result). */
#define CG_CPA_MAX_EVENTS(n) 1u
#define CG_DISC_MAX_EVENTS(n) 1u

/* --- Tone detector -------------------------------------------------------------------- */

typedef struct cg_cpa_tone_s cg_cpa_tone_t; /* the struct: callgate/private/cpa.h */

typedef struct {
    const cg_tone_plan_t *plan; /* the plan; NULL: look plan_name up */
    const char *plan_name;      /* "CN", "US", "EU"/"ITU" (used only if plan is NULL) */
    cg_law_t law;               /* which law's dBm0 the levels use */
    float min_level_dbm0;       /* weakest plan tone, per frequency; default -40 dBm0 */
    float voice_level_dbm0;     /* weakest window that is not silence; default -45 dBm0 */
    uint16_t tolerance_pct;     /* cadence tolerance, % of each segment; default 20 */
    uint16_t tolerance_ms;      /* ... or this many ms if larger; default 50 */
    uint16_t beep_min_hz;       /* beep band; default 500 .. 2500 Hz; beep_max_hz 0: no beeps */
    uint16_t beep_max_hz;
    uint16_t beep_min_ms;       /* shortest beep reported; default 120 ms */
} cg_cpa_tone_cfg_t;

void cg_cpa_tone_cfg_default(cg_cpa_tone_cfg_t *cfg);

/* CG_E_UNKNOWN for an unknown plan name, CG_E_RANGE for a bad field or a plan beyond the
 * CG_CPA_MAX_* limits. The detector keeps a pointer to the plan (plans are const). */
int cg_cpa_tone_init(cg_cpa_tone_t *s, const cg_tone_plan_t *plan_or_null,
                     const cg_cpa_tone_cfg_t *cfg);

/*
 * Feed n samples. Events:
 *   CG_EVENT_CPA_TONE      a plan tone recognised: value = its index in the plan
 *                          (cg_tone_plan_tone), start = its first matched run, end = now;
 *   CG_EVENT_CPA_TONE_END  it stopped or broke cadence: start as above, end = its last edge;
 *   CG_EVENT_CPA_VOICE     a run of voice ended (start, end, level);
 *   CG_EVENT_CPA_SILENCE   a run of silence of >= 100 ms ended;
 *   CG_EVENT_CPA_BEEP      a beep reached beep_min_ms: value = its frequency in Hz.
 * Returns the count, or CG_E_SPACE (consuming nothing) if max_ev < CG_CPA_TONE_MAX_EVENTS(n).
 */
int cg_cpa_tone_process(cg_cpa_tone_t *s, const int16_t *amp, size_t n, cg_event_t *ev,
                        size_t max_ev);

/* The plan the detector uses. */
const cg_tone_plan_t *cg_cpa_tone_plan(const cg_cpa_tone_t *s);

/* --- Outbound-call analyser ----------------------------------------------------------- */

typedef struct cg_cpa_s cg_cpa_t;

typedef struct {
    cg_cpa_tone_cfg_t tone;
    uint32_t no_dial_tone_ms; /* 0 (default): the stream starts after dialling */
    uint32_t no_answer_ms;    /* default 30000 */
    uint32_t human_max_ms;    /* default 1800 */
    uint32_t machine_min_ms;  /* default 2500 (> human_max_ms) */
    uint32_t end_silence_ms;  /* silence that ends a greeting; default 800 */
} cg_cpa_cfg_t;

void cg_cpa_cfg_default(cg_cpa_cfg_t *cfg);
int cg_cpa_init(cg_cpa_t *s, const cg_cpa_cfg_t *cfg);

/* Dialling ended at at_sample (<= the samples fed so far): progress analysis starts there. */
int cg_cpa_dialed(cg_cpa_t *s, uint64_t at_sample);

/* Feed n samples: 0 or 1 result events (max_ev >= 1, else CG_E_SPACE). */
int cg_cpa_process(cg_cpa_t *s, const int16_t *amp, size_t n, cg_event_t *ev, size_t max_ev);

/* End of stream: the result if none was given yet (no dial tone while waiting for it, no
 * answer before an answer, person or machine by the greeting so far); else 0 events. */
int cg_cpa_flush(cg_cpa_t *s, cg_event_t *ev, size_t max_ev);

/* Non-zero once the result is out. */
int cg_cpa_done(const cg_cpa_t *s);

/* --- Disconnect supervision ----------------------------------------------------------- */

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

typedef struct cg_disc_s cg_disc_t;

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
