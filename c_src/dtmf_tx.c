/* DTMF generation: see callgate/dtmf_tx.h. The oscillators are the tone generator's. */
#include "callgate/private/dtmf_tx.h"

static const uint16_t row_hz[4] = {697, 770, 852, 941};
static const uint16_t col_hz[4] = {1209, 1336, 1477, 1633};
static const char keypad[4][4] = {
    {'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}};

int cg_dtmf_tx_digit_hz(char digit, uint16_t *row, uint16_t *col)
{
    if (digit >= 'a' && digit <= 'd')
        digit = (char) (digit - 'a' + 'A');
    for (int r = 0; r < 4; r++) {
        for (int c = 0; c < 4; c++) {
            if (keypad[r][c] == digit) {
                if (row)
                    *row = row_hz[r];
                if (col)
                    *col = col_hz[c];
                return CG_OK;
            }
        }
    }
    return CG_E_UNKNOWN;
}

void cg_dtmf_tx_cfg_default(cg_dtmf_tx_cfg_t *cfg)
{
    cfg->law = CG_LAW_ULAW;
    cfg->level_dbm0 = CG_DTMF_TX_DEFAULT_LEVEL_DBM0;
    cfg->twist_db = 0.0f;
    cfg->on_ms = CG_DTMF_TX_DEFAULT_ON_MS;
    cfg->off_ms = CG_DTMF_TX_DEFAULT_OFF_MS;
}

static int level_ok(float level_dbm0)
{
    return level_dbm0 >= CG_TONE_MIN_LEVEL_DBM0 && level_dbm0 <= CG_TONE_MAX_LEVEL_DBM0;
}

int cg_dtmf_tx_init(cg_dtmf_tx_t *s, const cg_dtmf_tx_cfg_t *cfg)
{
    cg_dtmf_tx_cfg_t defaults;
    if (!s)
        return CG_E_NULL;
    if (!cfg) {
        cg_dtmf_tx_cfg_default(&defaults);
        cfg = &defaults;
    }
    if ((cfg->law != CG_LAW_ULAW && cfg->law != CG_LAW_ALAW) || !level_ok(cfg->level_dbm0)
        || !level_ok(cfg->level_dbm0 + cfg->twist_db) || cfg->on_ms < CG_TONE_MIN_SEGMENT_MS
        || cfg->off_ms < CG_TONE_MIN_SEGMENT_MS)
        return CG_E_RANGE;
    cg_tone_osc_start(&s->osc[0], 0, cg_dbm0_to_peak(cfg->level_dbm0, cfg->law));
    cg_tone_osc_start(&s->osc[1], 0, cg_dbm0_to_peak(cfg->level_dbm0 + cfg->twist_db, cfg->law));
    s->on_len = CG_TONE_MS_TO_SAMPLES(cfg->on_ms);
    s->period = s->on_len + CG_TONE_MS_TO_SAMPLES(cfg->off_ms);
    s->pos = 0;
    s->hz[0] = s->hz[1] = 0;
    s->head = 0;
    s->count = 0;
    return CG_OK;
}

int cg_dtmf_tx_put(cg_dtmf_tx_t *s, const char *digits, size_t n)
{
    if (!s || (!digits && n))
        return CG_E_NULL;
    for (size_t i = 0; i < n; i++)
        if (cg_dtmf_tx_digit_hz(digits[i], NULL, NULL) < 0)
            return CG_E_UNKNOWN;
    if (n > (size_t) (CG_DTMF_TX_QUEUE - s->count))
        return CG_E_SPACE;
    for (size_t i = 0; i < n; i++) {
        s->queue[(s->head + s->count) % CG_DTMF_TX_QUEUE] = digits[i];
        s->count++;
    }
    return (int) n;
}

size_t cg_dtmf_tx_pending(const cg_dtmf_tx_t *s) { return s->count; }

/* The queue's next digit's frequencies, or 0 0. */
static void peek_hz(const cg_dtmf_tx_t *s, uint16_t hz[2])
{
    hz[0] = hz[1] = 0;
    if (s->count)
        cg_dtmf_tx_digit_hz(s->queue[s->head], &hz[0], &hz[1]);
}

size_t cg_dtmf_tx_process(cg_dtmf_tx_t *s, int16_t *amp, size_t max_samples)
{
    static const uint16_t off_hz[2] = {0, 0};
    size_t done = 0;
    while (done < max_samples) {
        if (!s->hz[0]) {
            if (!s->count)
                break;
            cg_dtmf_tx_digit_hz(s->queue[s->head], &s->hz[0], &s->hz[1]);
            s->head = (uint16_t) ((s->head + 1) % CG_DTMF_TX_QUEUE);
            s->count--;
            s->pos = 0;
            /* Not announced by the look-ahead (the queue was empty): start as a stream does. */
            if (s->osc[0].env == 0 && s->osc[1].env == 0) {
                cg_tone_osc_start(&s->osc[0], s->hz[0], s->osc[0].peak);
                cg_tone_osc_start(&s->osc[1], s->hz[1], s->osc[1].peak);
            }
        }
        /* Four stretches per digit: on, on looking at off, off, off looking at the next. */
        const uint16_t *now_hz = s->pos < s->on_len ? s->hz : off_hz;
        uint16_t ahead_hz[2] = {now_hz[0], now_hz[1]};
        uint32_t until;
        if (s->pos < s->on_len - CG_TONE_LOOKAHEAD) {
            until = s->on_len - CG_TONE_LOOKAHEAD;
        } else if (s->pos < s->on_len) {
            until = s->on_len;
            ahead_hz[0] = ahead_hz[1] = 0;
        } else if (s->pos < s->period - CG_TONE_LOOKAHEAD) {
            until = s->period - CG_TONE_LOOKAHEAD;
        } else {
            until = s->period;
            peek_hz(s, ahead_hz);
        }
        size_t run = until - s->pos;
        if (run > max_samples - done)
            run = max_samples - done;
        cg_tone_osc_render(s->osc, now_hz, ahead_hz, amp + done, run);
        done += run;
        s->pos += (uint32_t) run;
        if (s->pos == s->period)
            s->hz[0] = s->hz[1] = 0;
    }
    return done;
}
