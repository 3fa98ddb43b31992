/* The caller ID receiver's and transmitter's state. For bindings and tests; applications use
 * callgate/cid.h. */
#ifndef CALLGATE_PRIVATE_CID_H
#define CALLGATE_PRIVATE_CID_H

#include "callgate/cid.h"
#include "callgate/private/dtmf.h"

#define CG_CID_PRIV_WINDOW 7 /* == CG_CID_FSK_WINDOW of the generated tables */

struct cg_cid_rx_s {
    /* Configuration. */
    int32_t standard;
    int32_t law;
    uint32_t arm;
    uint32_t window_samples;
    int32_t dtmf_enabled;
    float carrier_on_power;   /* mean square at min_level_dbm0 */
    float carrier_off_power;  /* 3 dB below it */
    float min_mark_samples;   /* min_mark_bits in samples */
    float alert_min_power;

    uint64_t now;             /* stream position of the next sample */

    /* FSK demodulator: band-pass pre-filter state (two biquads, transposed direct form II),
     * then the last W - 1 filtered samples, oldest first (the correlators' history). */
    float pre_z[2][2];
    float hist[CG_CID_PRIV_WINDOW - 1];
    float prev_d;             /* discriminator at the previous sample, -1..1 (mark > 0) */
    float carrier_avg;        /* smoothed correlator power */
    int32_t carrier;
    float level_sum;          /* carrier power summed over the message, for its level */
    uint32_t level_count;

    /* UART: 1 start, 8 data, 1 stop bit. */
    int32_t in_char;
    int32_t bit_index;
    float countdown;          /* samples until the middle of the next bit */
    uint32_t shift;
    float idle_samples;       /* steady mark since the last character or carrier gain */
    float run_before;         /* idle_samples when the current character started */
    uint64_t char_start;

    /* Message framing. */
    int32_t framer;           /* 0 hunt, 1 in a message, 2 hold-off */
    uint32_t holdoff;         /* samples left in the hold-off */
    uint64_t msg_start;
    uint32_t nbytes;
    uint32_t expected;
    uint8_t bytes[CG_CID_MAX_BYTES];
    uint32_t last_nbytes;
    uint8_t last_bytes[CG_CID_MAX_BYTES];

    /* The receive window. */
    int32_t open;
    uint32_t window_left;
    int32_t window_reported;  /* a message or error was reported in this window */
    uint32_t window_carrier;  /* samples of carrier in this window */
    uint32_t window_noise;    /* characters that began no message in this window */
    int32_t rings;            /* ring ends since init */
    int32_t ringing;
    int32_t pending_close;    /* a line event closed the window: report at the next process */

    /* Dual-tone alert: Goertzel over 10 ms blocks. */
    float g1[2], g2[2];
    float alert_energy;
    uint32_t alert_fill;
    uint32_t alert_hits;
    uint64_t alert_start;
    float alert_level_sum;

    /* DTMF caller ID. */
    cg_dtmf_rx_t dtmf;
    char digits[CG_CID_MAX_DTMF + 1];
    uint32_t ndigits;
    uint64_t dtmf_start;
    uint64_t dtmf_last;

    cg_cid_msg_t last;        /* the message of the latest message or error event */
};

struct cg_cid_tx_s {
    float mark_amp, space_amp, alert_amp, dtmf_amp;
    uint32_t mark_step, space_step, baud_step; /* 32-bit phase increments per sample */
    uint32_t alert_step[2];
    uint32_t dtmf_step[8];
    uint32_t seizure_bits, mark_bits, trailing_bits;
    uint32_t alert_samples, alert_gap_samples, dtmf_on_samples, dtmf_off_samples;

    uint32_t phase[2];        /* oscillators */
    uint32_t bit_phase;
    int32_t stage;
    uint32_t stage_left;      /* bits or samples left in the stage */
    uint32_t byte_index;
    uint32_t bit_in_byte;
    int32_t bit;              /* the bit being sent */
    int32_t is_dtmf;
    uint32_t nbytes;
    uint8_t bytes[CG_CID_MAX_BYTES];
    uint32_t ndigits;
    char digits[CG_CID_MAX_DTMF + 1];
};

/* cg_cid_rx_process on samples whose DTMF receiver runs elsewhere: digits[0..n_digits) are that
 * receiver's events for these n samples in this receiver's clock (its CG_EVENT_DTMF events
 * make the DTMF caller ID; others are skipped), and the receiver's own DTMF receiver does not
 * run. The media engine's ports do this: each already runs a DTMF receiver configured as the
 * caller ID receiver's would be. */
int cg_cid_rx_process_digits(cg_cid_rx_t *s, const int16_t *amp, size_t n,
                             const cg_event_t *digits, size_t n_digits, cg_event_t *ev,
                             size_t max_ev);

#endif
