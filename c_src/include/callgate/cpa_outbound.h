/*
 * Outbound-call analysis: how a dialled call ended up, decided once.
 *
 * What does it do?
 *   cg_cpa_t ends each outbound attempt with exactly ONE terminal result - no dial tone, busy,
 *   congestion, no answer, SIT, fax, answered by a person, answered by a machine - and the time
 *   it took to decide.
 *
 * How does it work?
 *   It runs one call-progress tone detector (callgate/cpa_tone.h: tones, voice, silence and
 *   beeps, with their tolerances) and walks through phases after each of its 10 ms ticks:
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
 *   (end - start) / 8000, value = the plan's tone index for busy, congestion and fax, the SIT's
 *   kind for SIT (cg_sit_kind_t: callgate/cpa_tone.h; the analyser listens for the North
 *   American variants) and the greeting in ms for person/machine, level_dbm0 = the tone's or
 *   greeting's level. After it the analyser
 *   writes nothing more; cg_cpa_flush() decides at end of stream if it has not yet.
 *
 * Sizes are printed by tests/dsp/test_cpa.py (test_state_sizes).
 */
#ifndef CALLGATE_CPA_OUTBOUND_H
#define CALLGATE_CPA_OUTBOUND_H

#include "callgate/cpa_tone.h"

/* The most events one cg_cpa_process() can write: at most one result. */
#define CG_CPA_MAX_EVENTS(n) 1u

typedef struct cg_cpa_s cg_cpa_t; /* the struct: callgate/private/cpa_outbound.h */

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

/* Non-zero once dial tone was recognised while waiting for it (no_dial_tone_ms > 0): the
 * moment to dial. *at (if not NULL) gets the sample where it was recognised. */
int cg_cpa_dial_heard(const cg_cpa_t *s, uint64_t *at);

#endif
