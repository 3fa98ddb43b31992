/* The media engine's state. For bindings and tests; applications use callgate/media.h. */
#ifndef CALLGATE_PRIVATE_MEDIA_H
#define CALLGATE_PRIVATE_MEDIA_H

#include "callgate/media.h"
#include "callgate/private/cpa_outbound.h"
#include "callgate/private/dtmf.h"
#include "callgate/private/dtmf_tx.h"
#include "callgate/private/tone.h"

typedef struct {
    int32_t law;              /* cg_law_t */
    uint32_t hears;           /* bit q set: the port's tx carries port q's rx (hear sets) */

    /* Prompt: caller's codes. */
    const uint8_t *prompt;    /* NULL when no prompt plays */
    uint32_t prompt_len, prompt_pos;
    int32_t barge_in;
    uint64_t prompt_start;    /* engine clock at its first code (set when it starts) */
    int32_t prompt_started;

    /* Tone and DTMF generators. */
    int32_t tone_on;
    int32_t tone_started;
    uint64_t tone_start;
    int32_t dtmf_on;
    int32_t dtmf_started;
    uint64_t dtmf_start;
    cg_tone_gen_t tone;
    cg_dtmf_tx_t dtmf_tx;

    /* Recorder: caller's buffer. */
    uint8_t *rec;             /* NULL when not recording */
    uint32_t rec_cap, rec_len;
    uint64_t rec_start;

    /* Receivers. The DTMF receiver's clock starts at origin (the engine clock at port init). */
    uint64_t origin;
    cg_dtmf_rx_t dtmf_rx;
    cg_cid_rx_t *cid;         /* caller's, or NULL */
    uint64_t cid_origin;

    /* Call-progress analysis (cg_media_cpa_arm): the caller's analyser, its clock's origin,
     * and whether its dial tone was reported. */
    cg_cpa_t *cpa;            /* NULL when not armed (and once its result is out) */
    uint64_t cpa_origin;
    int32_t cpa_dial_told;
    int32_t cid_digits;       /* cid takes its DTMF digits from dtmf_rx (configured alike) */
} cg_media_port_t;

struct cg_media_s {
    uint32_t n_ports;
    uint32_t pad_;
    uint64_t now;             /* engine clock: samples processed */
    cg_media_port_t port[CG_MEDIA_MAX_PORTS];
    /* Scratch, valid only inside cg_media_process(). */
    int16_t lin_rx[CG_MEDIA_MAX_FRAME];
    int16_t lin_tx[CG_MEDIA_MAX_FRAME];
    uint8_t codes[CG_MEDIA_MAX_FRAME]; /* tx of a port whose tx[p] is NULL */
    union {                            /* a hear set's sources, a chunk at a time: */
        int32_t sum[CG_MEDIA_MIX_CHUNK];   /* three or more: their sum */
        int16_t second[CG_MEDIA_MIX_CHUNK]; /* two: the second, decoded (the first: lin_tx) */
    } mix;
    cg_event_t ev[CG_DTMF_RX_MAX_EVENTS(CG_MEDIA_MAX_FRAME) +
                  CG_CID_RX_MAX_EVENTS(CG_MEDIA_MAX_FRAME)];
};

#endif
