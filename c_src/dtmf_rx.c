#include <math.h>

#include "callgate/private/dtmf.h"

#include "dtmf_tables.h"

#define HALF CG_DTMF_HALF
#define WINDOW (2 * HALF)
#define HITS_TO_BEGIN 4u
#define MISSES_TO_END 3u
/* Once the two tones' leakage is taken out, each tone must beat what is left at every other
 * frequency of its group by this power ratio (10 dB). */
#define GROUP_MARGIN 10.0f
/* The two tones must carry at least this share of the window's power. */
#define MIN_PURITY 0.7f
/* Both halves of a window must carry similar energy (the weaker at least this share of the
 * stronger), so a window that a tone only partly fills does not count. */
#define MIN_HALF_RATIO 0.5f
/* Edge correction: a window hits once each of its halves is about half full of tone,
 * so the tone starts about a quarter-window after the first hit window starts. */
#define EDGE (HALF / 2)

/* The state's block buffer must hold a padded half-block. */
typedef char cg_dtmf_block_fits[sizeof(((cg_dtmf_rx_t *) 0)->block) == CG_DTMF_PAD * sizeof(int16_t)
                                    ? 1
                                    : -1];

static const char DIGITS[16] = {'1', '2', '3', 'A', '4', '5', '6', 'B',
                                '7', '8', '9', 'C', '*', '0', '#', 'D'};

void cg_dtmf_rx_cfg_default(cg_dtmf_rx_cfg_t *cfg)
{
    cfg->law = CG_LAW_ULAW;
    cfg->min_level_dbm0 = -38.0f;
    cfg->max_normal_twist_db = 10.0f;
    cfg->max_reverse_twist_db = 6.0f;
    cfg->max_freq_error_pct = 2.5f;
    cfg->report_begin = 0;
}

int cg_dtmf_rx_init(cg_dtmf_rx_t *s, const cg_dtmf_rx_cfg_t *cfg)
{
    cg_dtmf_rx_cfg_t defaults;
    if (s == NULL)
        return CG_E_NULL;
    if (cfg == NULL) {
        cg_dtmf_rx_cfg_default(&defaults);
        cfg = &defaults;
    }
    if ((cfg->law != CG_LAW_ULAW && cfg->law != CG_LAW_ALAW) || !(cfg->min_level_dbm0 >= -70.0f) ||
        !(cfg->min_level_dbm0 <= 3.0f) || !(cfg->max_normal_twist_db >= 0.0f) ||
        !(cfg->max_normal_twist_db <= 20.0f) || !(cfg->max_reverse_twist_db >= 0.0f) ||
        !(cfg->max_reverse_twist_db <= 20.0f) || !(cfg->max_freq_error_pct > 0.0f) ||
        !(cfg->max_freq_error_pct <= 6.0f))
        return CG_E_RANGE;

    *s = (cg_dtmf_rx_t) {0};
    const float peak = cg_dbm0_to_peak(cfg->min_level_dbm0, cfg->law);
    s->min_power = 0.5f * peak * peak;
    s->min_twist_ratio = powf(10.0f, -cfg->max_normal_twist_db / 10.0f);
    s->max_twist_ratio = powf(10.0f, cfg->max_reverse_twist_db / 10.0f);
    for (int k = 0; k < 8; k++) {
        /* A tone off by df turns 2 pi df HALF / 8000 radians more per half-block. */
        const float max_turn = CG_TWO_PI * cg_dtmf_freqs_hz[k] * cfg->max_freq_error_pct *
                               0.01f * (float) HALF / (float) CG_SAMPLE_RATE;
        s->cos_max_turn[k] = max_turn >= 3.1415926f ? -1.0f : cosf(max_turn);
    }
    s->law = cfg->law;
    s->report_begin = cfg->report_begin;
    s->candidate = -1;
    s->digit = -1;
    return CG_OK;
}

static int strongest(const float *x, int from)
{
    int best = from;
    float best_power = 0.0f;
    for (int k = from; k < from + 4; k++) {
        const float p = x[k] * x[k] + x[k + 8] * x[k + 8];
        if (p > best_power) {
            best_power = p;
            best = k;
        }
    }
    return best;
}

/*
 * The complex amplitudes of tones at f_r and f_c that explain the correlations x at those two
 * frequencies, each corrected for the other's leakage: solves
 *   x_r = N a_r + leak[c][r] a_c,   x_c = leak[r][c] a_r + N a_c.
 */
static void solve_pair(const float *x, int r, int c, float a[4])
{
    const float n = (float) WINDOW;
    const float lr = cg_dtmf_leak[c][r][0], li = cg_dtmf_leak[c][r][1]; /* leak[r][c] = conj */
    const float det = n * n - (lr * lr + li * li);
    const float xr = x[r], xi = x[r + 8], yr = x[c], yi = x[c + 8];
    /* a_r = (N x_r - leak[c][r] x_c) / det;  a_c = (N x_c - conj(leak[c][r]) x_r) / det */
    a[0] = (n * xr - (lr * yr - li * yi)) / det;
    a[1] = (n * xi - (lr * yi + li * yr)) / det;
    a[2] = (n * yr - (lr * xr + li * xi)) / det;
    a[3] = (n * yi - (lr * xi - li * xr)) / det;
}

/* Power left at frequency k once the two tones' leakage is taken out, as a sine's mean square. */
static float residual_power(const float *x, int k, int r, int c, const float a[4])
{
    const float er = x[k] - (a[0] * cg_dtmf_leak[r][k][0] - a[1] * cg_dtmf_leak[r][k][1]) -
                     (a[2] * cg_dtmf_leak[c][k][0] - a[3] * cg_dtmf_leak[c][k][1]);
    const float ei = x[k + 8] - (a[0] * cg_dtmf_leak[r][k][1] + a[1] * cg_dtmf_leak[r][k][0]) -
                     (a[2] * cg_dtmf_leak[c][k][1] + a[3] * cg_dtmf_leak[c][k][0]);
    return (er * er + ei * ei) * (2.0f / ((float) WINDOW * (float) WINDOW));
}

/*
 * From the previous window to this one (a hop of one half-block) the tone turned as a tone at
 * its nominal frequency would. Returns 0 if not; otherwise the factor (>= 1) that undoes the
 * loss an off-frequency tone suffers in the window's correlation, so levels and twist are
 * measured as if on frequency. a and b are the tone's amplitudes in the two windows.
 */
static float on_frequency(const cg_dtmf_rx_t *s, int k, float ar, float ai, float br, float bi)
{
    /* z = b * conj(a) * e^(-j w_k HALF): its angle is the turn beyond the nominal one. */
    const float zr0 = br * ar + bi * ai, zi0 = bi * ar - br * ai;
    const float zr = zr0 * cg_dtmf_unturn[k][0] - zi0 * cg_dtmf_unturn[k][1];
    const float zi = zr0 * cg_dtmf_unturn[k][1] + zi0 * cg_dtmf_unturn[k][0];
    if (zr < s->cos_max_turn[k] * sqrtf((ar * ar + ai * ai) * (br * br + bi * bi)))
        return 0.0f;
    /* The turn is 2 pi df HALF / rate = pi df WINDOW / rate; over the window the tone's
     * correlation shrinks by sin(pi df WINDOW / rate) / (WINDOW sin(pi df / rate)). */
    const float turn = atan2f(zi, zr);
    if (turn > -1e-3f && turn < 1e-3f)
        return 1.0f;
    const float gain = sinf(turn) / ((float) WINDOW * sinf(turn / (float) WINDOW));
    return 1.0f / (gain * gain);
}

/* Judge the window made of the previous and the current half-block: a digit index or -1. */
static int judge_window(cg_dtmf_rx_t *s, const float *cur, float cur_energy, float *row_power,
                        float *col_power)
{
    float x[16], before[16];
    for (int k = 0; k < 8; k++) {
        const float ur = cg_dtmf_unturn[k][0], ui = cg_dtmf_unturn[k][1];
        /* X = prev + e^(-j w_k HALF) cur: the correlation over the whole window. */
        x[k] = s->prev[k] + ur * cur[k] - ui * cur[k + 8];
        x[k + 8] = s->prev[k + 8] + ur * cur[k + 8] + ui * cur[k];
    }
    for (int k = 0; k < 16; k++) {
        before[k] = s->prev_window[k];
        s->prev_window[k] = x[k];
    }
    const int had_window = s->have_window;
    s->have_window = 1;
    if (!had_window)
        return -1;
    /* Both halves must carry similar energy, or the tone only partly fills the window. */
    if (s->prev_energy < MIN_HALF_RATIO * cur_energy || cur_energy < MIN_HALF_RATIO * s->prev_energy)
        return -1;

    const int r = strongest(x, 0), c = strongest(x, 4);
    float a[4], b[4];
    solve_pair(x, r, c, a);
    /* A sine of amplitude A has complex amplitude A / 2 here, and mean square A^2 / 2. */
    float pr = 2.0f * (a[0] * a[0] + a[1] * a[1]);
    float pc = 2.0f * (a[2] * a[2] + a[3] * a[3]);
    const float total = (s->prev_energy + cur_energy) / (float) WINDOW;
    if (pr + pc < MIN_PURITY * total)
        return -1;
    for (int k = 0; k < 8; k++) {
        if (k == r || k == c)
            continue;
        if (residual_power(x, k, r, c, a) * GROUP_MARGIN > (k < 4 ? pr : pc))
            return -1;
    }
    solve_pair(before, r, c, b);
    const float gain_r = on_frequency(s, r, b[0], b[1], a[0], a[1]);
    const float gain_c = on_frequency(s, c, b[2], b[3], a[2], a[3]);
    if (gain_r == 0.0f || gain_c == 0.0f)
        return -1;
    pr *= gain_r;
    pc *= gain_c;
    if (pr < s->min_power || pc < s->min_power)
        return -1;
    if (pc < pr * s->min_twist_ratio || pc > pr * s->max_twist_ratio)
        return -1;
    *row_power = pr;
    *col_power = pc;
    return r * 4 + (c - 4);
}

static void emit(cg_dtmf_rx_t *s, cg_event_t *ev, int kind, uint64_t end)
{
    const float n = s->power_count ? (float) s->power_count : 1.0f;
    const float row_dbm0 = cg_power_to_dbm0(s->row_power_sum / n, (cg_law_t) s->law);
    const float col_dbm0 = cg_power_to_dbm0(s->col_power_sum / n, (cg_law_t) s->law);
    ev->start_sample = s->digit_start;
    ev->end_sample = end;
    ev->kind = kind;
    ev->value = DIGITS[s->digit];
    ev->level_dbm0 = 0.5f * (row_dbm0 + col_dbm0);
    ev->detail = col_dbm0 - row_dbm0;
}

/* One step per half-block: returns the number of events written (0 or 1). */
static int step(cg_dtmf_rx_t *s, int hit, float pr, float pc, cg_event_t *ev)
{
    const uint64_t window_start = s->half_start - HALF;
    const uint64_t window_end = s->half_start + HALF;
    int written = 0;

    if (hit >= 0 && hit == s->candidate) {
        s->hits++;
    } else {
        s->candidate = hit;
        s->hits = 1;
        s->streak_start = window_start;
    }

    if (s->digit >= 0) {
        if (hit == s->digit) {
            s->misses = 0;
            s->last_hit_end = window_end;
            s->row_power_sum += pr;
            s->col_power_sum += pc;
            s->power_count++;
        } else if (++s->misses >= MISSES_TO_END) {
            emit(s, ev, CG_EVENT_DTMF, s->last_hit_end - EDGE);
            written = 1;
            s->digit = -1;
        }
    }
    if (s->digit < 0 && s->candidate >= 0 && s->hits >= HITS_TO_BEGIN && !written) {
        s->digit = s->candidate;
        s->digit_start = s->streak_start + EDGE;
        s->last_hit_end = window_end;
        s->misses = 0;
        s->row_power_sum = pr;
        s->col_power_sum = pc;
        s->power_count = 1;
        if (s->report_begin) {
            emit(s, ev, CG_EVENT_DTMF_BEGIN, s->digit_start);
            written = 1;
        }
    }
    return written;
}

/*
 * The 16 correlations and the energy of one half-block, in integers: exact, so results cannot
 * depend on how the stream was cut, and fast (8 multiply-adds per x86 instruction, 2 per
 * Cortex-M4 cycle). Returns the correlations as complex values re[0..7], im[8..15] of
 * sum x[m] e^(-j w_k m), scaled back from Q10.
 */
static float correlate(const int16_t *x, float *cur)
{
    int64_t energy = 0;
    for (int m = 0; m < HALF; m++)
        energy += (int32_t) x[m] * x[m];
    for (int k = 0; k < 16; k++) {
        int32_t sum = 0;
        for (int m = 0; m < CG_DTMF_PAD; m++)
            sum += (int32_t) x[m] * cg_dtmf_basis_q10[k][m];
        /* cos part stays, sin part changes sign: e^(-j w m) = cos(w m) - j sin(w m) */
        cur[k] = (float) sum * (k < 8 ? 1.0f / 1024.0f : -1.0f / 1024.0f);
    }
    return (float) energy;
}

int cg_dtmf_rx_process(cg_dtmf_rx_t *s, const int16_t *amp, size_t n, cg_event_t *ev,
                       size_t max_ev)
{
    if (max_ev < CG_DTMF_RX_MAX_EVENTS(n))
        return CG_E_SPACE;
    int events = 0;
    size_t i = 0;
    while (i < n) {
        size_t take = HALF - s->fill;
        if (take > n - i)
            take = n - i;
        for (size_t j = 0; j < take; j++)
            s->block[s->fill + j] = amp[i + j];
        i += take;
        s->fill += (uint32_t) take;
        if (s->fill < HALF)
            break;

        float cur[16];
        const float energy = correlate(s->block, cur);
        if (s->have_prev) {
            float pr = 0.0f, pc = 0.0f;
            const int hit = judge_window(s, cur, energy, &pr, &pc);
            events += step(s, hit, pr, pc, &ev[events]);
        }
        for (int k = 0; k < 16; k++)
            s->prev[k] = cur[k];
        s->prev_energy = energy;
        s->have_prev = 1;
        s->fill = 0;
        s->half_start += HALF;
    }
    return events;
}

int cg_dtmf_rx_flush(cg_dtmf_rx_t *s, cg_event_t *ev, size_t max_ev)
{
    if (max_ev < 1)
        return CG_E_SPACE;
    if (s->digit < 0)
        return 0;
    emit(s, ev, CG_EVENT_DTMF, s->last_hit_end - EDGE);
    s->digit = -1;
    s->candidate = -1;
    s->hits = 0;
    return 1;
}
