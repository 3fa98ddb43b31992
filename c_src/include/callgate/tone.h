/*
 * Call-progress and signalling tones: cadences, national tone plans, and a generator.
 *
 * What does it do?
 *   Plays a cadence (a list of segments, each one or two frequencies or silence for a number
 *   of milliseconds, optionally repeated) as 16-bit linear samples at 8 kHz, at a level in
 *   dBm0 per frequency. It also holds the tone plans as const data, so a call-progress
 *   detector reads the same frequencies and cadences that the generator plays:
 *
 *     plan  tone          frequencies (Hz)   cadence (ms)            level, dBm0 per tone
 *     CN    dial          450                continuous              -10
 *           busy          450                350 on / 350 off        -10
 *           ringback      450                1000 on / 4000 off      -10
 *           congestion    450                700 on / 700 off        -10
 *           call-waiting  450                400 on / 4000 off       -15
 *     US    dial          350 + 440          continuous              -13
 *           busy          480 + 620          500 on / 500 off        -24
 *           ringback      440 + 480          2000 on / 4000 off      -19
 *           congestion    480 + 620          250 on / 250 off        -24
 *     EU    dial          425                continuous              -10
 *     (ITU) busy          425                500 on / 500 off        -10
 *           ringback      425                1000 on / 4000 off      -10
 *           congestion    425                250 on / 250 off        -10
 *     every plan, shared descriptors:
 *           sit           950, 1400, 1800    330 each, 1000 off      -24
 *           cng           1100               500 on / 3000 off       -10
 *           ced           2100               3000, once              -10
 *
 *   Frequencies and cadences are the ITU-T E.180 national data as REFERENCE.md ("Tone plans")
 *   summarises them; SIT's 1000 ms pause before it repeats is our reading of ITU-T Q.35, not
 *   checked against the text. The US levels are those commonly published for the North
 *   American "precise tone plan". The CN, EU, SIT and fax levels are our choice, in the range
 *   administrations use: none of the levels is a conformance claim. Names are matched
 *   without regard to case; "ITU" is another name for "EU" and "reorder" for "congestion".
 *
 * How does it work?
 *   Each of the two frequency slots is a 32-bit phase accumulator reading a const 512-step
 *   sine table with linear interpolation (c_src/gen/tone_tables.h), scaled by a float gain;
 *   no double, no malloc, no library calls per sample.
 *   Where a slot switches on or off it fades over a 2 ms raised-cosine ramp centred on the
 *   segment boundary: the generator looks 7 samples ahead, and the envelope passes half
 *   amplitude exactly on the boundary, so on and off times measured at half amplitude are the
 *   nominal ones. Where a slot only changes frequency (SIT's 950 -> 1400 Hz) the phase runs on
 *   and there is no ramp. At the very start of a stream the envelope starts at half amplitude
 *   (the first half of the ramp would lie before the stream); at the end of a cadence that
 *   does not repeat, the output stops 1 ms into the closing ramp. Every segment must therefore
 *   last at least 2 ms (CG_TONE_MIN_SEGMENT_MS).
 *   The output is the same however the stream is cut into blocks.
 *
 * The generator state is 52 bytes on a 32-bit target (56 on a 64-bit host); the tables (2 KiB)
 * and the plans are const.
 */
#ifndef CALLGATE_TONE_H
#define CALLGATE_TONE_H

#include "callgate/common.h"

#define CG_TONE_MIN_SEGMENT_MS 2     /* shortest segment: one whole on/off ramp */
#define CG_TONE_MAX_FREQ_HZ 3999     /* below half the sample rate */
#define CG_TONE_MIN_LEVEL_DBM0 -80.0f /* per tone */
#define CG_TONE_MAX_LEVEL_DBM0 3.0f   /* per tone; a sum above full scale saturates */

/* One step of a cadence. Both frequencies 0: silence. freq2_hz 0: a single tone. */
typedef struct {
    uint16_t freq1_hz;
    uint16_t freq2_hz;
    uint16_t duration_ms; /* >= CG_TONE_MIN_SEGMENT_MS */
} cg_tone_segment_t;

/* A tone: a cadence and its level. Plain data: copy one to play it at another level. */
typedef struct {
    const char *name;                  /* "busy"; may be NULL for a caller's own tone */
    const cg_tone_segment_t *segments; /* n_segments of them, outliving any generator */
    uint16_t n_segments;               /* >= 1 */
    uint8_t repeat;                    /* non-zero: start again after the last segment */
    float level_dbm0;                  /* per frequency */
} cg_tone_desc_t;

/* A national tone plan: its tones, national ones first, then the shared sit, cng and ced. */
typedef struct {
    const char *name;        /* "CN", "US", "EU" */
    const char *description; /* "China", ... */
    const cg_tone_desc_t *const *tones;
    uint16_t n_tones;
} cg_tone_plan_t;

/* The built-in plans, by index (NULL past the end) and count. */
size_t cg_tone_plan_count(void);
const cg_tone_plan_t *cg_tone_plan_at(size_t index);

/* A plan by name ("CN", "us", "ITU"...): its index, and *plan if plan is not NULL;
 * CG_E_UNKNOWN if there is none, CG_E_NULL if name is NULL. */
int cg_tone_plan_find(const char *name, const cg_tone_plan_t **plan);

/* The plan's index-th tone, or NULL past the end. */
const cg_tone_desc_t *cg_tone_plan_tone(const cg_tone_plan_t *plan, size_t index);

/* A tone of a plan by name ("busy", "Call-Waiting", "reorder"...): its index in the plan, and
 * *tone if tone is not NULL; CG_E_UNKNOWN if the plan has no such tone. */
int cg_tone_find(const cg_tone_plan_t *plan, const char *name, const cg_tone_desc_t **tone);

/* Both look-ups at once: CG_E_UNKNOWN if either name is unknown. */
int cg_tone_lookup(const char *plan_name, const char *tone_name, const cg_tone_desc_t **tone);

/* CG_OK if a descriptor can be played, else CG_E_NULL or CG_E_RANGE (durations, frequencies,
 * level; see the limits above). */
int cg_tone_check(const cg_tone_desc_t *tone);

/* The length of one pass through the cadence in ms (0 for NULL). */
uint32_t cg_tone_cycle_ms(const cg_tone_desc_t *tone);

typedef struct cg_tone_gen_s cg_tone_gen_t; /* the struct: callgate/private/tone.h */

/* Start playing tone (checked as by cg_tone_check) with law's dBm0. The generator keeps a
 * pointer to tone->segments but not to tone itself. */
int cg_tone_gen_init(cg_tone_gen_t *s, const cg_tone_desc_t *tone, cg_law_t law);

/* Write up to max_samples samples to amp; returns how many, which is max_samples until a
 * cadence that does not repeat has ended, and 0 after that. */
size_t cg_tone_gen_process(cg_tone_gen_t *s, int16_t *amp, size_t max_samples);

#endif
