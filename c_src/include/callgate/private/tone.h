/*
 * Tone generator state and the oscillator pair it shares with the DTMF generator.
 * Most users need only callgate/tone.h; bindings size the state from this header.
 */
#ifndef CALLGATE_PRIVATE_TONE_H
#define CALLGATE_PRIVATE_TONE_H

#include "callgate/tone.h"

/* How far ahead a slot looks for its next state: half a 16-sample ramp less one, so the
 * envelope is at half amplitude on the boundary itself. */
#define CG_TONE_LOOKAHEAD 7

/* One frequency slot: oscillator and envelope. */
typedef struct {
    uint32_t phase; /* a whole turn is 2^32 */
    uint32_t rate;  /* phase step per sample */
    float peak;     /* peak amplitude at full envelope, 16-bit units */
    int32_t env;    /* ramp step 0..CG_TONE_RAMP (16) */
} cg_tone_osc_t;

/*
 * Render n samples of the slot pair into amp. Over the n samples, slot c plays now_hz[c]
 * (0: nothing of its own) and heads for ahead_hz[c], its frequency CG_TONE_LOOKAHEAD samples
 * later: the envelope rises while ahead_hz[c] != 0 and falls otherwise. A falling slot in
 * silence keeps its last frequency; a rising one from silence takes ahead_hz[c].
 */
void cg_tone_osc_render(cg_tone_osc_t osc[2], const uint16_t now_hz[2],
                        const uint16_t ahead_hz[2], int16_t *amp, size_t n);

/* Start a slot as a stream starts: half-way up its ramp if it is on, phase 0. */
void cg_tone_osc_start(cg_tone_osc_t *osc, uint16_t freq_hz, float peak);

/* Samples in ms milliseconds. */
#define CG_TONE_MS_TO_SAMPLES(ms) ((uint32_t) (ms) * (uint32_t) (CG_SAMPLE_RATE / 1000))

struct cg_tone_gen_s {
    const cg_tone_segment_t *segments;
    uint16_t n_segments;
    uint8_t repeat;
    uint8_t ended;  /* a cadence that does not repeat has played out */
    uint16_t seg;   /* the current segment */
    uint16_t pad_;  /* keeps the layout the same on every target */
    uint32_t pos;   /* samples played of the current segment */
    uint32_t len;   /* its length in samples */
    cg_tone_osc_t osc[2];
};

#endif
