/* Caller ID transmitter: dual-tone alert, channel seizure, marks, message (FSK); or DTMF. */
#include <string.h>

#include "callgate/private/cid.h"

#include "cid_tx_tables.h"

enum {
    ST_ALERT,
    ST_ALERT_GAP,
    ST_SEIZURE,
    ST_MARKS,
    ST_DATA,
    ST_TRAIL,
    ST_DTMF_ON,
    ST_DTMF_OFF,
    ST_DONE
};

static const char DTMF_KEYS[16] = {'1', '2', '3', 'A', '4', '5', '6', 'B',
                                   '7', '8', '9', 'C', '*', '0', '#', 'D'};

int cg_cid_tx_cfg_default(cg_cid_tx_cfg_t *cfg, int standard)
{
    if (cfg == NULL)
        return CG_E_NULL;
    if (standard != CG_CID_BELL202 && standard != CG_CID_V23)
        return CG_E_RANGE;
    cfg->law = CG_LAW_ULAW;
    cfg->level_dbm0 = -13.5f;
    cfg->space_twist_db = 0.0f;
    cfg->mark_hz = cg_cid_fsk_hz[standard][0];
    cfg->space_hz = cg_cid_fsk_hz[standard][1];
    cfg->baud = 1200.0f;
    cfg->seizure_bits = 300;
    cfg->mark_bits = 180;
    cfg->trailing_mark_bits = 10;
    cfg->alert_ms = 0;
    cfg->alert_gap_ms = 100;
    cfg->alert_level_dbm0 = -16.0f;
    cfg->dtmf_on_ms = 70;
    cfg->dtmf_off_ms = 70;
    cfg->dtmf_level_dbm0 = -10.0f;
    return CG_OK;
}

/* 2^32 f / 8000: the phase increment of a frequency f in Hz (0 < f < 4000). */
static uint32_t step_of(float f)
{
    return (uint32_t) (f * (4294967296.0f / 8000.0f) + 0.5f);
}

static int level_ok(float dbm0)
{
    return dbm0 >= -80.0f && dbm0 <= 3.0f;
}

int cg_cid_tx_init(cg_cid_tx_t *s, const cg_cid_tx_cfg_t *cfg)
{
    if (s == NULL || cfg == NULL)
        return CG_E_NULL;
    if ((cfg->law != CG_LAW_ULAW && cfg->law != CG_LAW_ALAW) || !level_ok(cfg->level_dbm0) ||
        !(cfg->space_twist_db >= -20.0f && cfg->space_twist_db <= 20.0f) ||
        !level_ok(cfg->level_dbm0 + cfg->space_twist_db) || !(cfg->mark_hz >= 100.0f) ||
        !(cfg->mark_hz <= 3900.0f) || !(cfg->space_hz >= 100.0f) || !(cfg->space_hz <= 3900.0f) ||
        !(cfg->baud >= 300.0f && cfg->baud <= 2400.0f) || cfg->seizure_bits > 10000 ||
        cfg->mark_bits > 10000 || cfg->trailing_mark_bits > 10000 || cfg->alert_ms > 1000 ||
        cfg->alert_gap_ms > 10000 || !level_ok(cfg->alert_level_dbm0) ||
        cfg->dtmf_on_ms < 1 || cfg->dtmf_on_ms > 1000 || cfg->dtmf_off_ms > 1000 ||
        !level_ok(cfg->dtmf_level_dbm0))
        return CG_E_RANGE;
    memset(s, 0, sizeof *s);
    s->mark_amp = cg_dbm0_to_peak(cfg->level_dbm0, cfg->law);
    s->space_amp = cg_dbm0_to_peak(cfg->level_dbm0 + cfg->space_twist_db, cfg->law);
    s->alert_amp = cg_dbm0_to_peak(cfg->alert_level_dbm0, cfg->law);
    s->dtmf_amp = cg_dbm0_to_peak(cfg->dtmf_level_dbm0, cfg->law);
    s->mark_step = step_of(cfg->mark_hz);
    s->space_step = step_of(cfg->space_hz);
    s->baud_step = step_of(cfg->baud);
    for (int t = 0; t < 2; t++)
        s->alert_step[t] = step_of(cg_cid_alert_hz[t]);
    for (int k = 0; k < 8; k++)
        s->dtmf_step[k] = step_of(cg_cid_dtmf_hz[k]);
    s->seizure_bits = cfg->seizure_bits;
    s->mark_bits = cfg->mark_bits;
    s->trailing_bits = cfg->trailing_mark_bits;
    s->alert_samples = cfg->alert_ms * 8u;
    s->alert_gap_samples = cfg->alert_ms ? cfg->alert_gap_ms * 8u : 0u;
    s->dtmf_on_samples = cfg->dtmf_on_ms * 8u;
    s->dtmf_off_samples = cfg->dtmf_off_ms * 8u;
    s->stage = ST_DONE;
    return CG_OK;
}

/* Enter stage st (or the first non-empty one after it). */
static void enter(cg_cid_tx_t *s, int st)
{
    for (;; st++) {
        s->stage = st;
        switch (st) {
        case ST_ALERT:
            s->stage_left = s->alert_samples;
            break;
        case ST_ALERT_GAP:
            s->stage_left = s->alert_gap_samples;
            break;
        case ST_SEIZURE:
            s->stage_left = s->is_dtmf ? 0 : s->seizure_bits;
            break;
        case ST_MARKS:
            s->stage_left = s->is_dtmf ? 0 : s->mark_bits;
            break;
        case ST_DATA:
            s->stage_left = s->is_dtmf ? 0 : s->nbytes * 10u;
            s->byte_index = 0;
            s->bit_in_byte = 0;
            break;
        case ST_TRAIL:
            s->stage_left = s->is_dtmf ? 0 : s->trailing_bits;
            break;
        case ST_DTMF_ON:
            s->stage_left = s->is_dtmf && s->byte_index < s->ndigits ? s->dtmf_on_samples : 0;
            break;
        case ST_DTMF_OFF:
            s->stage_left = s->is_dtmf ? s->dtmf_off_samples : 0;
            break;
        default:
            s->stage = ST_DONE;
            return;
        }
        if (s->stage_left > 0)
            return;
    }
}

static int load(cg_cid_tx_t *s, int is_dtmf)
{
    s->is_dtmf = is_dtmf;
    s->bit_phase = 0;
    s->phase[0] = s->phase[1] = 0;
    s->byte_index = 0;
    enter(s, ST_ALERT);
    /* The first bit of the FSK stages. */
    return CG_OK;
}

int cg_cid_tx_fsk(cg_cid_tx_t *s, const uint8_t *msg, size_t n)
{
    if (s == NULL || (msg == NULL && n > 0))
        return CG_E_NULL;
    if (n > CG_CID_MAX_BYTES)
        return CG_E_SPACE;
    if (n > 0)
        memcpy(s->bytes, msg, n);
    s->nbytes = (uint32_t) n;
    return load(s, 0);
}

int cg_cid_tx_dtmf(cg_cid_tx_t *s, const char *digits, size_t n)
{
    if (s == NULL || (digits == NULL && n > 0))
        return CG_E_NULL;
    if (n > CG_CID_MAX_DTMF)
        return CG_E_SPACE;
    for (size_t i = 0; i < n; i++)
        if (memchr(DTMF_KEYS, digits[i], sizeof DTMF_KEYS) == NULL)
            return CG_E_RANGE;
    if (n > 0)
        memcpy(s->digits, digits, n);
    s->ndigits = (uint32_t) n;
    return load(s, 1);
}

static float sine(uint32_t phase)
{
    const uint32_t i = phase >> (32 - CG_CID_SINE_BITS);
    const float frac = (float) (phase & ((1u << (32 - CG_CID_SINE_BITS)) - 1u)) *
                       (1.0f / (float) (1u << (32 - CG_CID_SINE_BITS)));
    return cg_cid_sine[i] + frac * (cg_cid_sine[i + 1] - cg_cid_sine[i]);
}

static int16_t to_pcm(float v)
{
    if (v >= 32767.0f)
        return 32767;
    if (v <= -32768.0f)
        return -32768;
    return (int16_t) (v >= 0.0f ? v + 0.5f : v - 0.5f);
}

/* The bit the FSK stages send now. */
static int current_bit(const cg_cid_tx_t *s)
{
    switch (s->stage) {
    case ST_SEIZURE:
        return (int) ((s->seizure_bits - s->stage_left) & 1u); /* 0 1 0 1 ...: 0x55 bytes */
    case ST_DATA:
        if (s->bit_in_byte == 0)
            return 0; /* start */
        if (s->bit_in_byte == 9)
            return 1; /* stop */
        return (s->bytes[s->byte_index] >> (s->bit_in_byte - 1)) & 1;
    default:
        return 1; /* marks */
    }
}

static int digit_index(char c)
{
    const char *p = memchr(DTMF_KEYS, c, sizeof DTMF_KEYS);
    return p ? (int) (p - DTMF_KEYS) : 0;
}

size_t cg_cid_tx_generate(cg_cid_tx_t *s, int16_t *amp, size_t max)
{
    size_t i = 0;
    while (i < max && s->stage != ST_DONE) {
        float v = 0.0f;
        switch (s->stage) {
        case ST_ALERT:
        case ST_DTMF_ON: {
            uint32_t st0, st1;
            float a;
            if (s->stage == ST_ALERT) {
                st0 = s->alert_step[0];
                st1 = s->alert_step[1];
                a = s->alert_amp;
            } else {
                const int k = digit_index(s->digits[s->byte_index]);
                st0 = s->dtmf_step[k / 4];
                st1 = s->dtmf_step[4 + k % 4];
                a = s->dtmf_amp;
            }
            v = a * (sine(s->phase[0]) + sine(s->phase[1]));
            s->phase[0] += st0;
            s->phase[1] += st1;
            if (--s->stage_left == 0) {
                s->phase[0] = s->phase[1] = 0;
                enter(s, s->stage + 1);
            }
            break;
        }
        case ST_ALERT_GAP:
        case ST_DTMF_OFF:
            if (--s->stage_left == 0) {
                if (s->stage == ST_DTMF_OFF && ++s->byte_index < s->ndigits)
                    enter(s, ST_DTMF_ON);
                else
                    enter(s, s->stage == ST_ALERT_GAP ? ST_SEIZURE : ST_DONE);
            }
            break;
        default: { /* FSK stages: phase-continuous across bits */
            const int bit = current_bit(s);
            v = (bit ? s->mark_amp : s->space_amp) * sine(s->phase[0]);
            s->phase[0] += bit ? s->mark_step : s->space_step;
            const uint32_t before = s->bit_phase;
            s->bit_phase += s->baud_step;
            if (s->bit_phase < before) { /* a bit period ended */
                if (s->stage == ST_DATA && ++s->bit_in_byte == 10) {
                    s->bit_in_byte = 0;
                    s->byte_index++;
                }
                if (--s->stage_left == 0)
                    enter(s, s->stage + 1);
            }
            break;
        }
        }
        amp[i++] = to_pcm(v);
    }
    return i;
}
