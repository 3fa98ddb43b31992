/*
 * Call-progress tone detection: the detector the outbound-call analyser (callgate/cpa_outbound.h)
 * and disconnect supervision (callgate/disconnect.h) are built on.
 *
 * What does it do?
 *   cg_cpa_tone_t is a cadence-aware tone detector for one tone plan (callgate/tone.h). It
 *   recognises the plan's tones by frequency AND cadence - dial (continuous), busy, ringback,
 *   congestion, call-waiting, SIT (950/1400/1800 Hz in sequence), fax CNG (1100 Hz) and CED
 *   (2100 Hz) - and reports voice (energy without a plan tone), silence, and a steady
 *   single-frequency beep. In CN every tone is 450 Hz: busy, congestion and ringback are told
 *   apart by cadence only.
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
 *       has lasted the segment's lower bound, except the pause that ends a cycle of 3 or more
 *       segments (SIT's), which counts once it has begun: an announcement may follow at once;
 *     - a continuous tone (dial) once it has lasted longer than any cadenced tone of the same
 *       signature's on-segment can (CN dial: 1250 ms, as CN ringback is 1000 +- 200 ms), and at
 *       least 500 ms;
 *     - a tone played once (CED) after CG_CPA_ONCE_MS of it: its length is open-ended
 *       (T.30: 2.6-4 s) and a caller should not wait for its end.
 *   TOLERANCE: every segment duration d is accepted within d +- max(tolerance_pct % of d,
 *   tolerance_ms): by default +-20 % or +-50 ms, whichever is larger (CN busy 350 ms: 280-420;
 *   CN congestion 700 ms: 560-840; ringback 1000/4000: 800-1200/3200-4800). Measurement adds
 *   about +-10 ms. SIT segments get at least +-120 ms: Q.35's 330 +- 70 ms, the North
 *   American 274 and 380 ms and an exchange's few per cent more, and up to 30 ms between
 *   segments, which the runs take in.
 *   A recognised tone stays recognised while each new run continues its cadence within the
 *   same tolerances; a CG_EVENT_CPA_TONE_END closes it.
 *   SIT KINDS (cfg sit_kinds, which the outbound analyser sets): North American exchanges play
 *   the SIT's first two segments at a low or a high frequency (913.8 or 985.2 Hz, then 1370.6 or
 *   1428.5 Hz; the third is 1776.7 Hz) for 274 or 380 ms, and the four choices name why the
 *   call failed (Telcordia GR-1162: intercept, vacant code, reorder, no circuit, ineffective
 *   other). The nominal 950/1400/1800 Hz filters hear those tones 9 dB down over 20 ms, too
 *   weak to be a tone: with sit_kinds each SIT segment's signature also listens at its low and
 *   high frequencies (5 more filters), each run of it remembers which it heard most, and once
 *   the SIT is recognised cg_cpa_tone_sit_kind() says its kind from the first two segments'
 *   frequencies and lengths (short below 327 ms). A SIT at the nominal frequencies (ITU-T
 *   Q.35, the CN and EU plans' own) has no kind: CG_SIT_UNKNOWN.
 *
 * Sizes are printed by tests/dsp/test_cpa.py (test_state_sizes).
 */
#ifndef CALLGATE_CPA_TONE_H
#define CALLGATE_CPA_TONE_H

#include "callgate/common.h"
#include "callgate/tone.h"

#define CG_CPA_TICK 80          /* samples per tick (10 ms) */
#define CG_CPA_MAX_FREQS 14     /* distinct frequencies per plan (US: 9, and 5 for the SIT's kinds) */
#define CG_CPA_MAX_SIGS 12      /* distinct segment signatures (one or two frequencies) */
#define CG_CPA_MAX_TONES 12     /* tones per plan */
#define CG_CPA_MAX_SEGMENTS 6   /* segments per tone */
#define CG_CPA_ONCE_MS 500      /* a tone played once (CED) is recognised after this much */

/* The most events one cg_cpa_tone_process() of n samples can write (4 per tick). */
#define CG_CPA_TONE_MAX_EVENTS(n) (((size_t) (n) / CG_CPA_TICK + 1u) * 4u)

typedef struct cg_cpa_tone_s cg_cpa_tone_t; /* the struct: callgate/private/cpa_tone.h */

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
    uint8_t sit_kinds;          /* 1: hear the North American SIT variants and their kind;
                                   default 0 (the outbound analyser's default 1) */
    uint32_t tones;             /* the plan tones to listen for, bit t for tone t; default 0:
                                   all. The others' frequencies are not filtered, and their
                                   sound is voice or silence (disconnect supervision listens
                                   for busy and congestion only) */
} cg_cpa_tone_cfg_t;

/* Why a SIT says the call failed (its North American variant; Telcordia's codes in brackets). */
typedef enum {
    CG_SIT_UNKNOWN = 0,     /* nominal frequencies (ITU-T Q.35), or no SIT kind matches */
    CG_SIT_INTERCEPT = 1,   /* (IC) the number is not in service, changed, or mis-dialled */
    CG_SIT_VACANT_CODE = 2, /* (VC) the area or exchange code does not exist */
    CG_SIT_REORDER = 3,     /* (RO', RO'') equipment trouble: try again later */
    CG_SIT_NO_CIRCUIT = 4,  /* (NC', NC'') every circuit busy: try again later */
    CG_SIT_INEFFECTIVE = 5, /* (IO) ineffective other */
    CG_SIT_RESERVED = 6     /* the code reserved for future use */
} cg_sit_kind_t;

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

/* The kind of the SIT recognised last (cfg sit_kinds), CG_SIT_UNKNOWN before one. */
cg_sit_kind_t cg_cpa_tone_sit_kind(const cg_cpa_tone_t *s);

#endif
