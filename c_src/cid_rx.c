/* Caller ID receiver: FSK demodulator, UART, message framing, dual-tone alert, DTMF caller ID
 * and the receive window. The design is described in callgate/cid.h. */
#include <math.h>
#include <string.h>

#include "callgate/private/cid.h"

#include "cid_rx_tables.h"

#if CG_CID_FSK_WINDOW != CG_CID_PRIV_WINDOW
#error "private/cid.h and the generated tables disagree on the correlator length"
#endif

#define W CG_CID_FSK_WINDOW
#define SAMPLES_PER_BIT (8000.0f / 1200.0f)
#define CARRIER_ALPHA (1.0f / 16.0f) /* carrier smoothing: about 2 ms */
#define MAX_GAP_BITS 40.0f           /* mark between two characters of one message */
#define HOLDOFF_SAMPLES 1200u        /* 150 ms after a message or error event */
#define NOISE_CARRIER_SAMPLES 400u   /* 50 ms of carrier without a message is noise */
#define DTMF_TIMEOUT_SAMPLES 8000u   /* 1 s between DTMF caller ID digits */
#define ALERT_MIN_BLOCKS 4u          /* 40 ms */
#define ALERT_MAX_BLOCKS 14u         /* 140 ms */
#define ALERT_MIN_PURITY 0.7f
#define ALERT_MAX_TWIST 10.0f        /* power ratio between the two tones: 10 dB */
#define SUB_BLOCK 255u               /* DTMF receiver feed: at most 6 events each */
#define SEGMENT CG_CID_ALERT_BLOCK   /* the FSK front end's and the alert filters' step */

enum { FRAMER_HUNT = 0, FRAMER_MSG = 1, FRAMER_HOLDOFF = 2 };

void cg_cid_rx_cfg_default(cg_cid_rx_cfg_t *cfg)
{
    cfg->standard = CG_CID_BELL202;
    cfg->law = CG_LAW_ULAW;
    cfg->min_level_dbm0 = -52.0f;
    cfg->min_mark_bits = 20;
    cfg->arm = 0;
    cfg->window_ms = 5000;
    cfg->dtmf = 1;
    cfg->alert_min_level_dbm0 = -40.0f;
}

static float dbm0_power(float level_dbm0, cg_law_t law)
{
    const float peak = cg_dbm0_to_peak(level_dbm0, law);
    return 0.5f * peak * peak;
}

int cg_cid_rx_init(cg_cid_rx_t *s, const cg_cid_rx_cfg_t *cfg)
{
    cg_cid_rx_cfg_t defaults;
    if (s == NULL)
        return CG_E_NULL;
    if (cfg == NULL) {
        cg_cid_rx_cfg_default(&defaults);
        cfg = &defaults;
    }
    if ((cfg->standard != CG_CID_BELL202 && cfg->standard != CG_CID_V23) ||
        (cfg->law != CG_LAW_ULAW && cfg->law != CG_LAW_ALAW) ||
        !(cfg->min_level_dbm0 >= -70.0f && cfg->min_level_dbm0 <= 0.0f) ||
        cfg->min_mark_bits < 4 || cfg->min_mark_bits > 1000 ||
        (cfg->arm & ~(CG_CID_ARM_RING_END | CG_CID_ARM_REVERSAL | CG_CID_ARM_ALERT)) != 0 ||
        cfg->window_ms < 100 || cfg->window_ms > 60000 ||
        !(cfg->alert_min_level_dbm0 >= -70.0f && cfg->alert_min_level_dbm0 <= 0.0f))
        return CG_E_RANGE;

    memset(s, 0, sizeof *s);
    s->standard = cfg->standard;
    s->law = cfg->law;
    s->arm = cfg->arm;
    s->window_samples = cfg->window_ms * 8u;
    s->dtmf_enabled = cfg->dtmf != 0;
    s->carrier_on_power = dbm0_power(cfg->min_level_dbm0, cfg->law);
    s->carrier_off_power = 0.5f * s->carrier_on_power;
    s->min_mark_samples = (float) cfg->min_mark_bits * SAMPLES_PER_BIT;
    s->alert_min_power = dbm0_power(cfg->alert_min_level_dbm0, cfg->law);
    s->open = cfg->arm == 0;
    cg_cid_msg_clear(&s->last);

    cg_dtmf_rx_cfg_t dcfg;
    cg_dtmf_rx_cfg_default(&dcfg);
    dcfg.law = cfg->law;
    return cg_dtmf_rx_init(&s->dtmf, &dcfg);
}

static void open_window(cg_cid_rx_t *s)
{
    s->open = 1;
    s->window_left = s->window_samples;
    s->window_reported = 0;
    s->window_carrier = 0;
    s->window_noise = 0;
    s->pending_close = 0;
    s->framer = FRAMER_HUNT;
    s->ndigits = 0;
}

int cg_cid_rx_line(cg_cid_rx_t *s, int line_event)
{
    switch (line_event) {
    case CG_CID_LINE_RING_START:
        s->ringing = 1;
        if (s->arm != 0 && s->open)
            s->pending_close = 1;
        return CG_OK;
    case CG_CID_LINE_RING_END:
        s->ringing = 0;
        s->rings++;
        if ((s->arm & CG_CID_ARM_RING_END) && s->rings == 1)
            open_window(s);
        return CG_OK;
    case CG_CID_LINE_REVERSAL:
        if ((s->arm & CG_CID_ARM_REVERSAL) && s->rings == 0 && !s->ringing)
            open_window(s);
        return CG_OK;
    default:
        return CG_E_RANGE;
    }
}

/* --- events --------------------------------------------------------------------------- */

typedef struct {
    cg_event_t *ev;
    size_t max, n;
} out_t;

static void emit(out_t *o, int kind, uint64_t start, uint64_t end, int value, float level,
                 float detail)
{
    if (o->n >= o->max)
        return;
    cg_event_t *e = &o->ev[o->n++];
    e->start_sample = start;
    e->end_sample = end;
    e->kind = kind;
    e->value = value;
    e->level_dbm0 = level;
    e->detail = detail;
}

/* A message attempt ended: decode (or take the error), report it, hold off. */
static void finish_fsk(cg_cid_rx_t *s, out_t *o, int error)
{
    memcpy(s->last_bytes, s->bytes, s->nbytes);
    s->last_nbytes = s->nbytes;
    int status;
    if (error == CG_CID_OK) {
        status = cg_cid_decode(s->bytes, s->nbytes, &s->last);
    } else {
        status = error;
        cg_cid_msg_clear(&s->last);
        s->last.type = s->nbytes > 0 ? s->bytes[0] : 0;
        s->last.status = status;
    }
    const float level = s->level_count
                            ? cg_power_to_dbm0(s->level_sum / (float) s->level_count,
                                               (cg_law_t) s->law)
                            : -200.0f;
    emit(o, status == CG_CID_OK ? CG_EVENT_CID_MESSAGE : CG_EVENT_CID_ERROR, s->msg_start, s->now,
         status == CG_CID_OK ? s->last.type : status, level, (float) s->nbytes);
    s->framer = FRAMER_HOLDOFF;
    s->holdoff = HOLDOFF_SAMPLES;
    s->nbytes = 0;
    s->window_reported = 1;
    if (status == CG_CID_OK && s->arm != 0)
        s->open = 0;
}

static void report_window_end(cg_cid_rx_t *s, out_t *o)
{
    if (s->framer == FRAMER_MSG) {
        finish_fsk(s, o, CG_CID_TRUNCATED);
    } else if (s->ndigits > 0) {
        cg_cid_msg_clear(&s->last);
        s->last.type = CG_CID_TYPE_DTMF;
        s->last.status = CG_CID_TRUNCATED;
        emit(o, CG_EVENT_CID_ERROR, s->dtmf_start, s->now, CG_CID_TRUNCATED, -200.0f,
             (float) s->ndigits);
        s->ndigits = 0;
    } else if (!s->window_reported) {
        const int status = (s->window_carrier >= NOISE_CARRIER_SAMPLES || s->window_noise >= 3)
                               ? CG_CID_NOISE
                               : CG_CID_NO_DATA;
        cg_cid_msg_clear(&s->last);
        s->last.type = 0;
        s->last.status = status;
        emit(o, CG_EVENT_CID_ERROR, s->now, s->now, status, -200.0f, 0.0f);
    }
    s->open = 0;
    s->pending_close = 0;
    s->framer = FRAMER_HUNT;
}

/* --- FSK: one character from the UART ------------------------------------------------- */

static int known_type(uint32_t b)
{
    return b == CG_CID_TYPE_SDMF || b == CG_CID_TYPE_MDMF || b == CG_CID_TYPE_SDMF_MWI ||
           b == CG_CID_TYPE_MDMF_MWI;
}

static void on_char(cg_cid_rx_t *s, out_t *o, uint32_t byte, int framing_ok)
{
    switch (s->framer) {
    case FRAMER_HUNT:
        if (framing_ok && s->run_before >= s->min_mark_samples && known_type(byte)) {
            s->framer = FRAMER_MSG;
            s->msg_start = s->char_start;
            s->bytes[0] = (uint8_t) byte;
            s->nbytes = 1;
            s->expected = 3;
            s->level_sum = 0.0f;
            s->level_count = 0;
        } else if ((byte != 0x55 && byte != 0xFF) || !framing_ok) {
            s->window_noise++;
        }
        break;
    case FRAMER_MSG:
        if (!framing_ok) {
            finish_fsk(s, o, CG_CID_FRAMING);
            break;
        }
        if (s->run_before > MAX_GAP_BITS * SAMPLES_PER_BIT) {
            finish_fsk(s, o, CG_CID_TRUNCATED);
            break;
        }
        s->bytes[s->nbytes++] = (uint8_t) byte;
        if (s->nbytes == 2)
            s->expected = byte + 3u;
        if (s->nbytes >= s->expected)
            finish_fsk(s, o, CG_CID_OK);
        break;
    default: /* hold-off: ignore */
        break;
    }
}

/* --- FSK: the front end, over a segment ------------------------------------------------ */

#if CG_CID_FSK_WINDOW != 7
#error "fsk_correlate is written out for a 7-sample correlator"
#endif

/* One tone's correlator at every sample of y[6..6 + n) (y[0..6): the samples before): the
 * squared magnitude of sum over lags k of y[6 + i - k] (cos, sin)(w k), in out[i]. The 14 basis
 * values stay in registers across the segment; the sums run lag 0 to 6, as one sample at a
 * time would. */
static void fsk_correlate(const float *y, size_t n, const float *bc, const float *bs, float *out)
{
    const float c0 = bc[0], c1 = bc[1], c2 = bc[2], c3 = bc[3], c4 = bc[4], c5 = bc[5], c6 = bc[6];
    const float s0 = bs[0], s1 = bs[1], s2 = bs[2], s3 = bs[3], s4 = bs[4], s5 = bs[5], s6 = bs[6];
    for (size_t i = 0; i < n; i++) {
        const float *h = &y[W - 1 + i]; /* lag k at h[-k] */
        const float re = h[0] * c0 + h[-1] * c1 + h[-2] * c2 + h[-3] * c3 + h[-4] * c4 +
                         h[-5] * c5 + h[-6] * c6;
        const float im = h[0] * s0 + h[-1] * s1 + h[-2] * s2 + h[-3] * s3 + h[-4] * s4 +
                         h[-5] * s5 + h[-6] * s6;
        out[i] = re * re + im * im;
    }
}

/* A pre-filter section: coefficients {b0, b1, b2, a1, a2} and state (transposed direct form
 * II), held in registers over a segment. */
typedef struct {
    float b0, b1, b2, a1, a2, z0, z1;
} biquad_t;

static inline biquad_t biquad(const float *c, const float *z)
{
    return (biquad_t) {c[0], c[1], c[2], c[3], c[4], z[0], z[1]};
}

static inline float biquad_step(biquad_t *q, float x)
{
    const float y = q->b0 * x + q->z0;
    q->z0 = q->b1 * x - q->a1 * y + q->z1;
    q->z1 = q->b2 * x - q->a2 * y;
    return y;
}

/* The pre-filter, then the mark and space correlators over x[0..n) (n <= SEGMENT): each
 * sample's carrier power in power[i] (the stronger correlator's, as a sine's mean square) and
 * the discriminator in d[i], -1..1 (mark > 0). */
static void fsk_front_end(cg_cid_rx_t *s, const float *x, size_t n, float *power, float *d)
{
    float y[W - 1 + SEGMENT]; /* filtered: the history, then these samples */
    float *const yn = &y[W - 1];
    memcpy(y, s->hist, sizeof s->hist);
    biquad_t hp = biquad(cg_cid_prefilter[0], s->pre_z[0]);
    biquad_t lp = biquad(cg_cid_prefilter[1], s->pre_z[1]);
    for (size_t i = 0; i < n; i++)
        yn[i] = biquad_step(&lp, biquad_step(&hp, x[i]));
    s->pre_z[0][0] = hp.z0;
    s->pre_z[0][1] = hp.z1;
    s->pre_z[1][0] = lp.z0;
    s->pre_z[1][1] = lp.z1;
    memcpy(s->hist, &y[n], sizeof s->hist);
    const float(*b)[W] = cg_cid_fsk_basis[s->standard];
    fsk_correlate(y, n, b[0], b[1], power); /* mark, for now */
    fsk_correlate(y, n, b[2], b[3], d);     /* space, for now */
    for (size_t i = 0; i < n; i++) {
        const float pm = power[i], ps = d[i];
        /* A sine of amplitude A matched by one correlator gives |C| = A W / 2: power A^2 / 2. */
        power[i] = (pm > ps ? pm : ps) * (2.0f / (float) (W * W));
        d[i] = (pm - ps) / (pm + ps + 1e-3f);
    }
}

/* --- FSK: one sample's carrier, bit timing and UART --------------------------------------- */

static void fsk_sample(cg_cid_rx_t *s, out_t *o, float power, float d)
{
    s->carrier_avg += (power - s->carrier_avg) * CARRIER_ALPHA;
    if (!s->carrier && s->carrier_avg >= s->carrier_on_power) {
        s->carrier = 1;
        s->idle_samples = 0.0f;
    } else if (s->carrier && s->carrier_avg < s->carrier_off_power) {
        s->carrier = 0;
        s->in_char = 0;
        s->idle_samples = 0.0f;
        if (s->framer == FRAMER_MSG)
            finish_fsk(s, o, CG_CID_TRUNCATED);
    }

    if (s->carrier) {
        if (s->window_carrier < 0xFFFFFFFFu)
            s->window_carrier++;
        if (s->framer == FRAMER_MSG) {
            s->level_sum += power;
            s->level_count++;
        }
        if (!s->in_char) {
            if (s->prev_d >= 0.0f && d < 0.0f) {
                /* Mark to space: the crossing lies at (now - 1) + f. */
                const float f = s->prev_d / (s->prev_d - d);
                s->in_char = 1;
                s->bit_index = 0;
                s->shift = 0;
                s->countdown = 0.5f * SAMPLES_PER_BIT - (1.0f - f);
                s->run_before = s->idle_samples;
                s->char_start = s->now - (W - 1) / 2;
            } else if (d >= 0.0f) {
                s->idle_samples += 1.0f;
            } else {
                s->idle_samples = 0.0f;
            }
        } else if (s->countdown <= 0.0f) {
            /* The bit's middle lies between this sample and the one before: interpolate. */
            const float v = d + s->countdown * (d - s->prev_d);
            const int bit = v >= 0.0f;
            if (s->bit_index == 0) {
                if (bit) { /* the start bit did not last: a glitch in the marks */
                    s->in_char = 0;
                    s->idle_samples = s->run_before + (float) (s->now - s->char_start);
                }
            } else if (s->bit_index <= 8) {
                s->shift |= (uint32_t) bit << (s->bit_index - 1);
            } else {
                s->in_char = 0;
                /* An all-mark character outside a message is a glitch in the marks: the mark
                 * run goes on. */
                s->idle_samples = (s->framer != FRAMER_MSG && s->shift == 0xFFu && bit)
                                      ? s->run_before + (float) (s->now - s->char_start)
                                      : 0.5f * SAMPLES_PER_BIT;
                on_char(s, o, s->shift, bit);
            }
            s->bit_index++;
            s->countdown += SAMPLES_PER_BIT;
        }
        if (s->in_char)
            s->countdown -= 1.0f;
    }
    if (s->framer == FRAMER_MSG && !s->in_char &&
        s->idle_samples > MAX_GAP_BITS * SAMPLES_PER_BIT)
        finish_fsk(s, o, CG_CID_TRUNCATED);
    s->prev_d = d;
}

/* --- Dual-tone alert ------------------------------------------------------------------- */

static void alert_block_end(cg_cid_rx_t *s, out_t *o)
{
    float p[2];
    for (int t = 0; t < 2; t++) {
        const float c = cg_cid_alert_coef[t];
        const float a = s->g1[t], bb = s->g2[t];
        /* |X|^2 = s1^2 + s2^2 - c s1 s2; a sine of amplitude A gives |X| = A N / 2. */
        p[t] = (a * a + bb * bb - c * a * bb) *
               (2.0f / (float) (CG_CID_ALERT_BLOCK * CG_CID_ALERT_BLOCK));
        s->g1[t] = s->g2[t] = 0.0f;
    }
    const float total = s->alert_energy / (float) CG_CID_ALERT_BLOCK;
    s->alert_energy = 0.0f;
    const int hit = p[0] >= s->alert_min_power && p[1] >= s->alert_min_power &&
                    p[0] * ALERT_MAX_TWIST >= p[1] && p[1] * ALERT_MAX_TWIST >= p[0] &&
                    p[0] + p[1] >= ALERT_MIN_PURITY * total;
    const uint64_t block_start = s->now + 1 - CG_CID_ALERT_BLOCK;
    if (hit) {
        if (s->alert_hits == 0) {
            s->alert_start = block_start;
            s->alert_level_sum = 0.0f;
        }
        s->alert_hits++;
        s->alert_level_sum += 0.5f * (p[0] + p[1]);
        return;
    }
    if (s->alert_hits >= ALERT_MIN_BLOCKS && s->alert_hits <= ALERT_MAX_BLOCKS) {
        /* Partial blocks at either end do not hit: the tone spans about one block more. */
        const uint64_t start = s->alert_start >= CG_CID_ALERT_BLOCK / 2
                                   ? s->alert_start - CG_CID_ALERT_BLOCK / 2
                                   : 0;
        const uint64_t end = block_start + CG_CID_ALERT_BLOCK / 2;
        const float level =
            cg_power_to_dbm0(s->alert_level_sum / (float) s->alert_hits, (cg_law_t) s->law);
        emit(o, CG_EVENT_CID_ALERT, start, end, 0, level, (float) (end - start) * 0.125f);
        if (s->arm & CG_CID_ARM_ALERT) {
            const int keep_reported = s->open && s->window_reported;
            open_window(s);
            s->window_reported = keep_reported;
        }
    }
    s->alert_hits = 0;
}

/* The alert tones' Goertzel filters and the energy over x[0..n), within one alert block. */
static void alert_filter(cg_cid_rx_t *s, const float *x, size_t n)
{
    const float c0 = cg_cid_alert_coef[0], c1 = cg_cid_alert_coef[1];
    float a0 = s->g1[0], b0 = s->g2[0], a1 = s->g1[1], b1 = s->g2[1], e = s->alert_energy;
    size_t i = 0;
    for (; i + 1 < n; i += 2) { /* two samples a step: the outputs trade places, no moves */
        b0 = x[i] + c0 * a0 - b0;
        b1 = x[i] + c1 * a1 - b1;
        e += x[i] * x[i];
        a0 = x[i + 1] + c0 * b0 - a0;
        a1 = x[i + 1] + c1 * b1 - a1;
        e += x[i + 1] * x[i + 1];
    }
    if (i < n) {
        const float v0 = x[i] + c0 * a0 - b0, v1 = x[i] + c1 * a1 - b1;
        b0 = a0;
        a0 = v0;
        b1 = a1;
        a1 = v1;
        e += x[i] * x[i];
    }
    s->g1[0] = a0;
    s->g2[0] = b0;
    s->g1[1] = a1;
    s->g2[1] = b1;
    s->alert_energy = e;
    s->alert_fill += (uint32_t) n;
}

/* --- DTMF caller ID -------------------------------------------------------------------- */

static void dtmf_digit(cg_cid_rx_t *s, out_t *o, const cg_event_t *e)
{
    const char c = (char) e->value;
    if (s->ndigits == 0) {
        if (c != 'A' && c != 'B' && c != 'D')
            return;
        s->dtmf_start = e->start_sample;
    }
    s->dtmf_last = e->end_sample;
    if (s->ndigits < CG_CID_MAX_DTMF)
        s->digits[s->ndigits] = c;
    s->ndigits++;
    if (c != 'C' && c != '#' && s->ndigits <= CG_CID_MAX_DTMF)
        return;
    const size_t n = s->ndigits <= CG_CID_MAX_DTMF ? s->ndigits : CG_CID_MAX_DTMF;
    s->digits[n] = '\0';
    int status = cg_cid_decode_dtmf(s->digits, n, &s->last);
    if (s->ndigits > CG_CID_MAX_DTMF) {
        cg_cid_msg_clear(&s->last);
        s->last.type = CG_CID_TYPE_DTMF;
        s->last.status = status = CG_CID_MALFORMED;
    }
    emit(o, status == CG_CID_OK ? CG_EVENT_CID_MESSAGE : CG_EVENT_CID_ERROR, s->dtmf_start,
         e->end_sample, status == CG_CID_OK ? CG_CID_TYPE_DTMF : status, e->level_dbm0,
         (float) n);
    s->ndigits = 0;
    s->window_reported = 1;
    if (status == CG_CID_OK && s->arm != 0)
        s->open = 0;
}

/* --- process --------------------------------------------------------------------------- */

/* One sample, its front end's power and d: the FSK receiver and the window's clock while the
 * window is open, then the stream position. */
static void fsk_step(cg_cid_rx_t *s, out_t *o, float power, float d)
{
    int timed_out = 0;
    if (s->open) {
        fsk_sample(s, o, power, d);
        if (s->framer == FRAMER_HOLDOFF && --s->holdoff == 0)
            s->framer = FRAMER_HUNT;
        if (s->arm != 0 && s->open) {
            if (s->window_left > 0)
                s->window_left--;
            timed_out = s->window_left == 0 && s->framer != FRAMER_MSG;
        }
    }
    s->now++;
    if (timed_out)
        report_window_end(s, o);
}

/* n samples (at most SUB_BLOCK), and digits[0..n_digits), a DTMF receiver's events in them:
 * the caller's receiver's, or with own_dtmf the receiver's own, run here. */
static void run(cg_cid_rx_t *s, out_t *o, const int16_t *amp, size_t n, int own_dtmf,
                const cg_event_t *digits, size_t n_digits)
{
    cg_event_t dev[CG_DTMF_RX_MAX_EVENTS(SUB_BLOCK)];
    const int listen = s->open;
    if (s->dtmf_enabled && own_dtmf) {
        const int nd = cg_dtmf_rx_process(&s->dtmf, amp, n, dev, CG_DTMF_RX_MAX_EVENTS(SUB_BLOCK));
        digits = dev;
        n_digits = nd > 0 ? (size_t) nd : 0;
    }
    for (size_t i = 0; i < n_digits && listen && s->dtmf_enabled; i++)
        if (digits[i].kind == CG_EVENT_DTMF)
            dtmf_digit(s, o, &digits[i]);
    for (size_t i = 0; i < n;) {
        /* A segment ends with the alert block or with amp. The block's end (which may open the
         * window) is judged before the FSK of its last sample, as a sample at a time would. */
        size_t take = CG_CID_ALERT_BLOCK - s->alert_fill;
        if (take > n - i)
            take = n - i;
        float x[SEGMENT], power[SEGMENT], d[SEGMENT];
        for (size_t j = 0; j < take; j++)
            x[j] = (float) amp[i + j];
        alert_filter(s, x, take);
        const int block_end = s->alert_fill == CG_CID_ALERT_BLOCK;
        /* (The front end runs over the whole segment when the window is open at its start,
         * even past a message that closes it: its state is stale by the next window anyway.) */
        size_t j = 0, stop = take - (size_t) block_end;
        int fed = s->open; /* power[j], d[j] hold the front end's output */
        if (fed)
            fsk_front_end(s, x, take, power, d);
        for (;;) {
            if (fed) {
                for (; j < stop; j++)
                    fsk_step(s, o, power[j], d[j]);
            } else { /* closed until an alert block's end at the soonest */
                s->now += stop - j;
                j = stop;
            }
            if (j == take)
                break;
            s->alert_fill = 0; /* the block's end, before the FSK of its last sample */
            alert_block_end(s, o);
            if (s->open && !fed) {
                fsk_front_end(s, &x[j], 1, &power[j], &d[j]);
                fed = 1;
            }
            stop = take;
        }
        i += take;
    }
    if (s->ndigits > 0 && s->now - s->dtmf_last > DTMF_TIMEOUT_SAMPLES) {
        cg_cid_msg_clear(&s->last);
        s->last.type = CG_CID_TYPE_DTMF;
        s->last.status = CG_CID_TRUNCATED;
        emit(o, CG_EVENT_CID_ERROR, s->dtmf_start, s->dtmf_last, CG_CID_TRUNCATED, -200.0f,
             (float) s->ndigits);
        s->ndigits = 0;
        s->window_reported = 1;
    }
}

static int process(cg_cid_rx_t *s, const int16_t *amp, size_t n, int own_dtmf,
                   const cg_event_t *digits, size_t n_digits, cg_event_t *ev, size_t max_ev)
{
    if (max_ev < CG_CID_RX_MAX_EVENTS(n))
        return CG_E_SPACE;
    out_t o = {ev, max_ev, 0};
    if (s->pending_close)
        report_window_end(s, &o);
    size_t i = 0;
    while (i < n) {
        const size_t take = n - i < SUB_BLOCK ? n - i : SUB_BLOCK;
        run(s, &o, amp + i, take, own_dtmf, digits, n_digits);
        n_digits = 0; /* (the caller's digits go with the first sub-block) */
        i += take;
    }
    return (int) o.n;
}

int cg_cid_rx_process(cg_cid_rx_t *s, const int16_t *amp, size_t n, cg_event_t *ev,
                      size_t max_ev)
{
    return process(s, amp, n, 1, NULL, 0, ev, max_ev);
}

int cg_cid_rx_process_digits(cg_cid_rx_t *s, const int16_t *amp, size_t n,
                             const cg_event_t *digits, size_t n_digits, cg_event_t *ev,
                             size_t max_ev)
{
    if (digits == NULL && n_digits > 0)
        return CG_E_NULL;
    return process(s, amp, n, 0, digits, n_digits, ev, max_ev);
}

int cg_cid_rx_flush(cg_cid_rx_t *s, cg_event_t *ev, size_t max_ev)
{
    if (max_ev < 1)
        return CG_E_SPACE;
    out_t o = {ev, max_ev, 0};
    if (s->pending_close || (s->arm != 0 && s->open))
        report_window_end(s, &o); /* the end of the stream closes the window */
    else if (s->framer == FRAMER_MSG)
        finish_fsk(s, &o, CG_CID_TRUNCATED);
    else if (s->ndigits > 0) {
        cg_cid_msg_clear(&s->last);
        s->last.type = CG_CID_TYPE_DTMF;
        s->last.status = CG_CID_TRUNCATED;
        emit(&o, CG_EVENT_CID_ERROR, s->dtmf_start, s->now, CG_CID_TRUNCATED, -200.0f,
             (float) s->ndigits);
        s->ndigits = 0;
    }
    return (int) o.n;
}

void cg_cid_rx_message(const cg_cid_rx_t *s, cg_cid_msg_t *msg)
{
    *msg = s->last;
}

size_t cg_cid_rx_raw(const cg_cid_rx_t *s, uint8_t *buf, size_t max)
{
    const size_t n = s->last_nbytes < max ? s->last_nbytes : max;
    memcpy(buf, s->last_bytes, n);
    return n;
}
