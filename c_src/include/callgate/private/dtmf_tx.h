/* The DTMF generator's state. For bindings and tests; applications use callgate/dtmf_tx.h. */
#ifndef CALLGATE_PRIVATE_DTMF_TX_H
#define CALLGATE_PRIVATE_DTMF_TX_H

#include "callgate/dtmf_tx.h"
#include "callgate/private/tone.h"

struct cg_dtmf_tx_s {
    cg_tone_osc_t osc[2]; /* row, column */
    uint32_t on_len;      /* samples */
    uint32_t period;      /* on + off, samples */
    uint32_t pos;         /* samples into the current digit's period */
    uint16_t hz[2];       /* the current digit's row and column; 0 0 when idle */
    uint16_t head;        /* queue[head] is the next digit */
    uint16_t count;       /* digits in the queue */
    char queue[CG_DTMF_TX_QUEUE];
};

#endif
