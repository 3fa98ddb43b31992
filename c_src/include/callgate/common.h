/*
 * callgate DSP core: what every module shares.
 *
 * Conventions (all modules):
 *  - The caller owns all memory: a module's state is a plain struct (sized by its private
 *    header) that the caller allocates anywhere and passes to cg_<module>_init(). Nothing here
 *    calls malloc, and nothing keeps global mutable state.
 *  - Audio is 16-bit linear PCM at 8000 samples/s, mono, in blocks of any length; results never
 *    depend on how a stream is cut into blocks.
 *  - Functions that can fail return 0 or a positive count on success and a negative cg_error_t.
 *    Checks happen in init and configuration calls; the per-block process calls trust their
 *    arguments (NULL buffers with n == 0 are allowed).
 *  - Levels are in dBm0 and name their law: 0 dBm0 is the sine whose power is 3.17 dB (mu-law)
 *    or 3.14 dB (A-law) below the law's full-scale sine (ITU-T G.711).
 */
#ifndef CALLGATE_COMMON_H
#define CALLGATE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define CG_SAMPLE_RATE 8000 /* samples per second */

/* 2 pi, the radians in one turn, as a float: w = CG_TWO_PI f / CG_SAMPLE_RATE. The one name for
 * it in c_src/ (c_src/gen/make_tables.py reads it from here too). */
#define CG_TWO_PI 6.28318530717958647692f

/* One list of error codes; the enum and cg_error_name() are both generated from it. */
#define CG_ERRORS(X)                                                        \
    X(CG_OK, 0, "ok")                                                       \
    X(CG_E_NULL, -1, "a required pointer is NULL")                          \
    X(CG_E_RANGE, -2, "a parameter is out of its documented range")         \
    X(CG_E_SPACE, -3, "the output buffer is too small")                     \
    X(CG_E_UNKNOWN, -4, "no such item (plan, tone, digit)")

typedef enum {
#define CG_X_ENUM(name, value, text) name = value,
    CG_ERRORS(CG_X_ENUM)
#undef CG_X_ENUM
} cg_error_t;

/* A human-readable sentence for a cg_error_t (or "unknown error"). */
const char *cg_error_name(int err);

/* Companding law: which G.711 law a level in dBm0 refers to. */
typedef enum { CG_LAW_ULAW = 0, CG_LAW_ALAW = 1 } cg_law_t;

/* Peak amplitude, in 16-bit linear units, of a 0 dBm0 sine for the given law. */
float cg_dbm0_peak(cg_law_t law);

/* Peak amplitude of a sine at level_dbm0 (per tone) for the given law. */
float cg_dbm0_to_peak(float level_dbm0, cg_law_t law);

/* Level in dBm0 of a sine whose power (mean square, in 16-bit units squared) is power. */
float cg_power_to_dbm0(float power, cg_law_t law);

/*
 * Events: every detector reports through the same fixed-size plain record, written into an
 * array the caller passes to its process call (there are no callbacks).
 */
#define CG_EVENT_KINDS(X)                                                    \
    X(CG_EVENT_NONE, 0, "none")                                              \
    X(CG_EVENT_DTMF_BEGIN, 1, "dtmf-begin")                                  \
    X(CG_EVENT_DTMF, 2, "dtmf")                                              \
    X(CG_EVENT_CPA_TONE, 20, "cpa-tone")                                     \
    X(CG_EVENT_CPA_TONE_END, 21, "cpa-tone-end")                             \
    X(CG_EVENT_CPA_VOICE, 22, "cpa-voice")                                   \
    X(CG_EVENT_CPA_SILENCE, 23, "cpa-silence")                               \
    X(CG_EVENT_CPA_BEEP, 24, "cpa-beep")                                     \
    X(CG_EVENT_CPA_NO_DIAL_TONE, 25, "cpa-no-dial-tone")                     \
    X(CG_EVENT_CPA_BUSY, 26, "cpa-busy")                                     \
    X(CG_EVENT_CPA_CONGESTION, 27, "cpa-congestion")                         \
    X(CG_EVENT_CPA_NO_ANSWER, 28, "cpa-no-answer")                           \
    X(CG_EVENT_CPA_SIT, 29, "cpa-sit")                                       \
    X(CG_EVENT_CPA_FAX, 30, "cpa-fax")                                       \
    X(CG_EVENT_CPA_HUMAN, 31, "cpa-human")                                   \
    X(CG_EVENT_CPA_MACHINE, 32, "cpa-machine")                               \
    X(CG_EVENT_DISCONNECT, 33, "disconnect")                                 \
    X(CG_EVENT_CID_ALERT, 40, "cid-alert")                                   \
    X(CG_EVENT_CID_MESSAGE, 41, "cid-message")                               \
    X(CG_EVENT_CID_ERROR, 42, "cid-error")                                   \
    X(CG_EVENT_MEDIA_PROMPT_DONE, 60, "prompt-done")                         \
    X(CG_EVENT_MEDIA_TONE_DONE, 61, "tone-done")                             \
    X(CG_EVENT_MEDIA_DTMF_SENT, 62, "dtmf-sent")                             \
    X(CG_EVENT_MEDIA_RECORD_FULL, 63, "record-full")

typedef enum {
#define CG_X_ENUM(name, value, text) name = value,
    CG_EVENT_KINDS(CG_X_ENUM)
#undef CG_X_ENUM
} cg_event_kind_t;

typedef struct {
    uint64_t start_sample; /* first sample the event covers, counted from the stream's start */
    uint64_t end_sample;   /* one past the last sample it covers (== start_sample if instant) */
    int32_t kind;          /* cg_event_kind_t */
    int32_t value;         /* kind-specific: DTMF -> the digit as an ASCII character */
    float level_dbm0;      /* kind-specific level: DTMF -> the mean of its two tones */
    float detail;          /* kind-specific: DTMF -> twist in dB (high group minus low group) */
} cg_event_t;

/* Short name of an event kind ("dtmf", ...), or "unknown". */
const char *cg_event_kind_name(int kind);

#endif
