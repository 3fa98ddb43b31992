/*
 * Caller ID: FSK (Bell 202, ITU-T V.23) and DTMF, receive and transmit, with the message layer.
 *
 * What does it do?
 *   - Message layer (pure byte functions): builds and parses the on-hook data messages of
 *     Telcordia GR-30 / ETSI EN 300 659-3: SDMF 0x04 (date and time + number or absence reason),
 *     MDMF 0x80 (parameters 0x01 date and time, 0x02 number, 0x04 number absence, 0x07 name,
 *     0x08 name absence), message waiting SDMF 0x06 (0x42 x3 on, 0x6F x3 off) and MDMF 0x82
 *     (parameter 0x0B visual indicator, 0xFF on, 0x00 off), each closed by a checksum byte
 *     that makes the sum of all bytes 0 mod 256. Absence reasons: 'O' unavailable, 'P' private.
 *     And DTMF caller ID strings, in the common ETSI-style variant: 'A' number 'C' for a number
 *     ('D' is also accepted as a start code), 'B' 00 'C' unavailable, 'B' 10 'C' private. The
 *     start and absence codes vary between administrations: check the national variant.
 *   - Receiver: finds those messages in 16-bit linear samples at 8 kHz (FSK at 1200 baud, and
 *     DTMF caller ID on the DTMF receiver of callgate/dtmf.h), within a window opened by a start
 *     condition the line card reports (the end of the first ring; a line reversal) or that the
 *     receiver hears itself (a dual-tone alert signal, 2130 + 2750 Hz), or always (for files).
 *     Each attempt ends in one event: CG_EVENT_CID_MESSAGE, or CG_EVENT_CID_ERROR whose value is
 *     the reason (bad checksum, truncated, framing, malformed, noise, no data). A message that
 *     fails any check is never reported as a good one.
 *   - Transmitter: generates the whole on-hook sequence for tests and line simulators: optional
 *     dual-tone alert, channel seizure (alternating bits), mark preamble, the message bytes
 *     (1 start bit, 8 data bits LSB first, 1 stop bit), a few trailing marks; or DTMF digits.
 *
 * How does it work?
 *   FSK: a band-pass pre-filter (Butterworth high-pass 700 Hz and low-pass 2900 Hz, two
 *   biquads) keeps out-of-band noise from the detector (worth about 1 dB of SNR). Then for
 *   every sample, the last 7 samples (0.875 ms, about one bit of 6.67 samples) are
 *   correlated with cosine and sine at the mark and the space frequency (28 multiply-adds per
 *   sample from a const table: a sliding non-coherent matched filter). Mark power minus space
 *   power gives the bit; their sum gives the carrier level (on at min_level_dbm0, off 3 dB
 *   lower, both held for about 2 ms). The bit stream is read like a UART: a mark-to-space
 *   crossing (located to a fraction of a sample) starts a character; bits are sampled at the
 *   middle of each of the 10 bit periods after it; the start bit must still be space and the
 *   stop bit mark. Timing restarts at every start bit, so baud-rate errors of a few percent
 *   do not accumulate.
 *   Framing: a message starts with the first start bit after at least min_mark_bits of steady
 *   mark (seizure bytes have no mark between them, so they are skipped); its first byte must
 *   be a known type, its second the length; the message ends after length + 3 bytes. Carrier
 *   loss or a gap of more than 40 bit periods inside a message is "truncated".
 *   Alert: Goertzel filters at 2130 and 2750 Hz over 10 ms blocks; both tones within 10 dB of
 *   each other and together at least 70 % of the block's power; 4 to 14 consecutive blocks
 *   (about 40-150 ms: ETSI's DT-AS is 80-110 ms) make an alert.
 *
 * Figures (mu-law dBm0; pinned by tests/dsp/test_callerid_rx.py, whose docstring has the
 * detail): 100 % of messages decoded at 14 dB SNR (white noise over 0-4 kHz) for both
 * standards; levels -3 to -50 dBm0; tone frequencies off by +-3 %, bit rate by +-1.5 %; twist
 * +-10 dB. Every loss is reported as an error event, never as a wrong message.
 *
 * The receiver's state is about 1 KiB per line; all tables are const.
 */
#ifndef CALLGATE_CID_H
#define CALLGATE_CID_H

#include "callgate/common.h"

/* --- Message layer --------------------------------------------------------------------- */

#define CG_CID_MAX_NUMBER 20  /* digits (ETSI EN 300 659-3: up to 20) */
#define CG_CID_MAX_NAME 50    /* characters (ETSI: up to 50; GR-30: up to 15) */
#define CG_CID_MAX_BYTES 258  /* type + length + 255 + checksum */
#define CG_CID_MAX_DTMF 24    /* start code + 20 digits + end code, with room to spare */

/* Message types (the first byte); CG_CID_TYPE_DTMF marks a DTMF caller ID. */
#define CG_CID_TYPE_SDMF 0x04
#define CG_CID_TYPE_SDMF_MWI 0x06
#define CG_CID_TYPE_MDMF 0x80
#define CG_CID_TYPE_MDMF_MWI 0x82
#define CG_CID_TYPE_DTMF 0x100

/* Why a message is not good. One list: the enum and cg_cid_status_name() come from it. */
#define CG_CID_STATUSES(X)                                                         \
    X(CG_CID_OK, 0, "ok")                                                          \
    X(CG_CID_BAD_CHECKSUM, 1, "bad-checksum")                                      \
    X(CG_CID_TRUNCATED, 2, "truncated")                                            \
    X(CG_CID_FRAMING, 3, "framing-error")                                          \
    X(CG_CID_UNKNOWN_TYPE, 4, "unknown-type")                                      \
    X(CG_CID_MALFORMED, 5, "malformed")                                            \
    X(CG_CID_NOISE, 6, "noise")                                                    \
    X(CG_CID_NO_DATA, 7, "no-data")

typedef enum {
#define CG_X_ENUM(name, value, text) name = value,
    CG_CID_STATUSES(CG_X_ENUM)
#undef CG_X_ENUM
} cg_cid_status_t;

/* Short name of a cg_cid_status_t ("bad-checksum", ...), or "unknown". */
const char *cg_cid_status_name(int status);

/* A caller ID message, decoded. Strings are NUL-terminated ASCII; absent fields are empty. */
typedef struct {
    int32_t status;       /* cg_cid_status_t */
    int32_t type;         /* CG_CID_TYPE_* */
    int32_t month, day, hour, minute; /* date and time, or all -1 */
    char number[CG_CID_MAX_NUMBER + 1];
    char name[CG_CID_MAX_NAME + 1];
    char number_absence;  /* 0, 'O' (unavailable) or 'P' (private) */
    char name_absence;    /* 0, 'O' or 'P' */
    int8_t mwi;           /* message waiting: -1 not in the message, 0 off, 1 on */
    uint8_t unknown_params; /* MDMF parameters skipped because their type is not known */
} cg_cid_msg_t;

/* An empty message (no fields; status ok, type MDMF). */
void cg_cid_msg_clear(cg_cid_msg_t *msg);

/*
 * Encode msg as an on-hook data message of type msg->type (SDMF, MDMF or one of the MWI
 * types), with its checksum, into buf. Returns the number of bytes, CG_E_SPACE if max is too
 * small, CG_E_RANGE if the fields do not fit the type (SDMF needs a date and a number or an
 * absence reason; numbers are digits only; a field too long; a bad date or absence code).
 */
int cg_cid_encode(const cg_cid_msg_t *msg, uint8_t *buf, size_t max);

/*
 * Decode n bytes (type, length, payload, checksum). Always fills msg; returns msg->status,
 * which is CG_CID_OK only if the checksum, the length, every parameter and every field check.
 */
int cg_cid_decode(const uint8_t *buf, size_t n, cg_cid_msg_t *msg);

/* DTMF caller ID: msg (a number or an absence reason) -> digits, NUL-terminated. Returns the
 * number of digits (without the NUL), or CG_E_SPACE / CG_E_RANGE. */
int cg_cid_encode_dtmf(const cg_cid_msg_t *msg, char *digits, size_t max);

/* Decode a DTMF caller ID string (start code .. end code). Returns msg->status. */
int cg_cid_decode_dtmf(const char *digits, size_t n, cg_cid_msg_t *msg);

/* --- FSK standards ---------------------------------------------------------------------- */

typedef enum {
    CG_CID_BELL202 = 0, /* mark 1200 Hz, space 2200 Hz */
    CG_CID_V23 = 1      /* mark 1300 Hz, space 2100 Hz */
} cg_cid_standard_t;

/* --- Receiver --------------------------------------------------------------------------- */

typedef struct cg_cid_rx_s cg_cid_rx_t; /* the struct: callgate/private/cid.h */

/* What opens the receive window (cfg.arm is a mask of these; 0: always open). */
#define CG_CID_ARM_RING_END 0x1u /* data between the first and second ring (Bell, China) */
#define CG_CID_ARM_REVERSAL 0x2u /* data after a line reversal, before the first ring (ETSI) */
#define CG_CID_ARM_ALERT 0x4u    /* data after a dual-tone alert (ETSI; call waiting) */

/* What the line card tells the receiver, between process calls. */
typedef enum {
    CG_CID_LINE_RING_START = 1, /* ringing voltage began: closes an open window */
    CG_CID_LINE_RING_END = 2,   /* ringing voltage ended */
    CG_CID_LINE_REVERSAL = 3    /* the line's polarity reversed */
} cg_cid_line_t;

typedef struct {
    int32_t standard;        /* cg_cid_standard_t */
    cg_law_t law;            /* which law's dBm0 the levels use */
    float min_level_dbm0;    /* weakest FSK carrier accepted; default -52 */
    uint32_t min_mark_bits;  /* steady mark before a message; default 20 (GR-30 sends 180,
                                call waiting 80, ETSI 80 +- 25) */
    uint32_t arm;            /* CG_CID_ARM_* mask; 0 = always listening (default) */
    uint32_t window_ms;      /* how long a window stays open; default 5000 */
    int32_t dtmf;            /* non-zero: also receive DTMF caller ID (default 1) */
    float alert_min_level_dbm0; /* weakest alert tone accepted, per tone; default -40 */
} cg_cid_rx_cfg_t;

/* Blocks of at most this many samples see at most one message or error event each, whose
 * message cg_cid_rx_message() returns until the next process call. */
#define CG_CID_RX_BLOCK 1024u

/* The most events one cg_cid_rx_process() call of n samples can write. */
#define CG_CID_RX_MAX_EVENTS(n) ((size_t) (n) / 400u + 4u)

void cg_cid_rx_cfg_default(cg_cid_rx_cfg_t *cfg);

/* Start a stream. cfg may be NULL for the defaults. CG_E_RANGE for a bad cfg value. */
int cg_cid_rx_init(cg_cid_rx_t *s, const cg_cid_rx_cfg_t *cfg);

/* The line card reports a line event at the current stream position. CG_E_RANGE if unknown. */
int cg_cid_rx_line(cg_cid_rx_t *s, int line_event);

/*
 * Feed n samples (any n). Writes the events completed in them (CG_EVENT_CID_ALERT,
 * CG_EVENT_CID_MESSAGE with value = the message type, CG_EVENT_CID_ERROR with value = the
 * cg_cid_status_t) and returns how many; CG_E_SPACE, before consuming anything, if
 * max_ev < CG_CID_RX_MAX_EVENTS(n).
 */
int cg_cid_rx_process(cg_cid_rx_t *s, const int16_t *amp, size_t n, cg_event_t *ev,
                      size_t max_ev);

/* End of stream: a message in progress becomes a "truncated" error, and an open window
 * closes as if its time were up (0 or 1 event; max_ev >= 1). */
int cg_cid_rx_flush(cg_cid_rx_t *s, cg_event_t *ev, size_t max_ev);

/* The message of the latest CG_EVENT_CID_MESSAGE or CG_EVENT_CID_ERROR. An error's message has
 * its status and type only: no field of a bad message is ever passed on. */
void cg_cid_rx_message(const cg_cid_rx_t *s, cg_cid_msg_t *msg);

/* The raw bytes of the latest FSK message (type .. checksum, as far as received); returns
 * their number (at most max). */
size_t cg_cid_rx_raw(const cg_cid_rx_t *s, uint8_t *buf, size_t max);

/* --- Transmitter ------------------------------------------------------------------------ */

typedef struct cg_cid_tx_s cg_cid_tx_t; /* the struct: callgate/private/cid.h */

typedef struct {
    cg_law_t law;
    float level_dbm0;       /* FSK level (mark); default -13.5 */
    float space_twist_db;   /* space level minus mark level; default 0 */
    float mark_hz, space_hz, baud; /* from the standard; change them to simulate a bad line */
    uint32_t seizure_bits;  /* alternating bits before the marks; default 300 (0 for CIDCW) */
    uint32_t mark_bits;     /* default 180 (80 for call waiting) */
    uint32_t trailing_mark_bits; /* after the checksum; default 10 */
    uint32_t alert_ms;      /* dual-tone alert before the data; 0 (default) for none */
    uint32_t alert_gap_ms;  /* silence between the alert and the data; default 100 */
    float alert_level_dbm0; /* per tone; default -16 */
    uint32_t dtmf_on_ms;    /* DTMF caller ID digit and pause; defaults 70 and 70 */
    uint32_t dtmf_off_ms;
    float dtmf_level_dbm0;  /* per tone; default -10 */
} cg_cid_tx_cfg_t;

/* Defaults for an FSK standard (cg_cid_standard_t). CG_E_RANGE for an unknown standard. */
int cg_cid_tx_cfg_default(cg_cid_tx_cfg_t *cfg, int standard);

int cg_cid_tx_init(cg_cid_tx_t *s, const cg_cid_tx_cfg_t *cfg);

/* Queue an encoded FSK message (from cg_cid_encode), or a DTMF caller ID string; replaces what
 * was queued. CG_E_SPACE if too long, CG_E_RANGE for a character that is not a DTMF digit. */
int cg_cid_tx_fsk(cg_cid_tx_t *s, const uint8_t *msg, size_t n);
int cg_cid_tx_dtmf(cg_cid_tx_t *s, const char *digits, size_t n);

/* Generate up to max samples; returns how many (0 once the sequence is complete). */
size_t cg_cid_tx_generate(cg_cid_tx_t *s, int16_t *amp, size_t max);

#endif
