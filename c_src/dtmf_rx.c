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
    float max_gain = 1.0f;
    for (int k = 0; k < 8; k++) {
        /* A tone off by df turns 2 pi df HALF / 8000 radians more per half-block. */
        const float max_turn = CG_TWO_PI * cg_dtmf_freqs_hz[k] * cfg->max_freq_error_pct *
                               0.01f * (float) HALF / (float) CG_SAMPLE_RATE;
        s->cos_max_turn[k] = max_turn >= 3.1415926f ? -1.0f : cosf(max_turn);
        /* The most on_frequency() can scale a tone's power by (its gain falls with the turn). */
        if (max_turn > 3.0f) {
            max_gain = -1.0f; /* unbounded near a turn of pi: no gate */
        } else if (max_gain > 0.0f) {
            const float g = sinf(max_turn) / ((float) WINDOW * sinf(max_turn / (float) WINDOW));
            if (1.0f / (g * g) > max_gain)
                max_gain = 1.0f / (g * g);
        }
    }
    /*
     * The quietest window that can hold a digit. In a window of energy E (sum of squares), the
     * correlation at any frequency is at most sqrt(WINDOW E) (Cauchy-Schwarz; the Q10 basis
     * entries are within 1 + 7e-4 of unit magnitude), so solve_pair() gives a tone at most
     * 2 E WINDOW 1.0015 / (WINDOW - |leak|)^2 of power, and on_frequency() scales that by at most
     * max_gain. Both tones must then reach min_power: below this energy (with a factor 2 to
     * spare for rounding) no window can, and judge_window() stops at the energy.
     */
    float max_leak = 0.0f;
    for (int r = 0; r < 4; r++)
        for (int c = 4; c < 8; c++) {
            const float l = sqrtf(cg_dtmf_leak[c][r][0] * cg_dtmf_leak[c][r][0] +
                                  cg_dtmf_leak[c][r][1] * cg_dtmf_leak[c][r][1]);
            if (l > max_leak)
                max_leak = l;
        }
    const float room = (float) WINDOW - max_leak;
    s->quiet_energy = max_gain > 0.0f ? 0.5f * s->min_power * room * room /
                                            (2.003f * (float) WINDOW * max_gain)
                                      : 0.0f;
    s->law = cfg->law;
    s->report_begin = cfg->report_begin;
    s->candidate = -1;
    s->digit = -1;
    s->solved_pair = -1;
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
 * The angle of (x, y) with y >= 0, in 0..pi, to about 2e-6 rad: an odd polynomial for atan on
 * 0..1 (fitted for this file, near-minimax) and the octant identities. Cheaper than atan2f
 * (a library call on the Cortex-M4F, some 40 instructions on x86) and exact enough for a gain
 * correction: 2e-6 rad moves a level by less than 1e-4 dB.
 */
static float angle_of(float x, float y)
{
    const float ax = x < 0.0f ? -x : x;
    const int steep = y > ax;
    const float q = steep ? ax / y : (ax > 0.0f ? y / ax : 0.0f);
    const float q2 = q * q;
    float a = q * (0.99997723f + q2 * (-0.33262283f + q2 * (0.19354036f + q2 * (-0.11642651f +
                   q2 * (0.05264742f + q2 * -0.01171917f)))));
    if (steep)
        a = 1.5707963f - a;
    return x < 0.0f ? 3.1415927f - a : a;
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
    const float mag = sqrtf((ar * ar + ai * ai) * (br * br + bi * bi)); /* |z| */
    if (zr < s->cos_max_turn[k] * mag)
        return 0.0f;
    /* The turn is 2 pi df HALF / rate = pi df WINDOW / rate; over the window the tone's
     * correlation shrinks by sin(pi df WINDOW / rate) / (WINDOW sin(pi df / rate)), that is
     * sin(turn) / (WINDOW sin(turn / WINDOW)). sin(turn) is |zi| / |z|; turn / WINDOW is
     * below 0.035 rad, where sin(u) = u (1 - u^2 / 6) to 1e-9. */
    const float abs_zi = zi < 0.0f ? -zi : zi;
    if (zr >= 0.0f && abs_zi <= 1e-3f * mag) /* also 0 / 0: no signal at all */
        return 1.0f;
    const float turn = angle_of(zr, abs_zi);
    const float u = turn / (float) WINDOW;
    const float gain = abs_zi / (mag * (float) WINDOW * u * (1.0f - u * u * (1.0f / 6.0f)));
    return 1.0f / (gain * gain);
}

/* The correlation over the window made of halves a (earlier) and b: a + e^(-j w_k HALF) b. */
static void window_of(const float *a, const float *b, float *x)
{
    for (int k = 0; k < 8; k++) {
        const float ur = cg_dtmf_unturn[k][0], ui = cg_dtmf_unturn[k][1];
        x[k] = a[k] + ur * b[k] - ui * b[k + 8];
        x[k + 8] = a[k + 8] + ur * b[k + 8] + ui * b[k];
    }
}

/* Judge the window made of the last two halves (cur, with cur_energy, and the one before):
 * a digit index or -1. */
static int judge_window(cg_dtmf_rx_t *s, float cur_energy, float *row_power, float *col_power)
{
    if (s->halves < 3)
        return -1; /* the first window has no window before it */
    /* Too quiet for a digit (see quiet_energy); or the halves differ: a tone must fill both. */
    if (s->prev_energy + cur_energy < s->quiet_energy ||
        s->prev_energy < MIN_HALF_RATIO * cur_energy || cur_energy < MIN_HALF_RATIO * s->prev_energy) {
        s->solved_pair = -1;
        return -1;
    }
    const float *cur = s->half[s->newest];
    const float *prev = s->half[(s->newest + 2) % 3];
    float x[16];
    window_of(prev, cur, x);

    const int r = strongest(x, 0), c = strongest(x, 4);
    float a[4], b[4];
    solve_pair(x, r, c, a);
    /* Keep this window's solution: the next window needs it (as the window before) if it picks
     * the same pair, which it does all through a digit. */
    const int had_pair = s->solved_pair;
    for (int i = 0; i < 4; i++) {
        b[i] = s->solved[i];
        s->solved[i] = a[i];
    }
    s->solved_pair = r * 8 + c;
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
    if (had_pair != r * 8 + c) {
        float before[16];
        window_of(s->half[(s->newest + 1) % 3], prev, before);
        solve_pair(before, r, c, b);
    }
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
 * depend on how the stream was cut, and fast. Returns the correlations as complex values
 * re[0..7], im[8..15] of sum x[m] e^(-j w_k m), scaled back from Q10.
 */
#if defined(__ARM_FEATURE_DSP)
#define CORRELATE_READS (HALF + 1) /* x[51] is read, and multiplied by a zero basis entry */
/*
 * Cortex-M4 (and other Arm cores with the DSP extension): SMLAD multiplies two pairs of int16
 * and adds both products in one instruction, so a pair of samples is loaded once (one 32-bit
 * load) and used for the cos and sin rows of two frequencies: 4 SMLADs per 5 loads. 52 = 51
 * rounded up to a pair: x[51] is read but the basis is zero there, and the energy leaves it out,
 * so x may point into the caller's samples.
 */
#include <arm_acle.h>
#include <string.h>

static int32_t pair_at(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v); /* one LDR */
    return v;
}

/* Not inlined: on its own it keeps its accumulators in registers. */
__attribute__((noinline)) static float correlate(const int16_t *x, float *cur)
{
    int64_t energy = (int32_t) x[HALF - 1] * x[HALF - 1];
    for (int m = 0; m < HALF - 1; m += 2) {
        const int32_t v = pair_at(x + m);
        energy = __smlald(v, v, energy);
    }
    for (int k = 0; k < 8; k += 2) {
        const int16_t *b = cg_dtmf_basis_q10[k];
        int32_t c0 = 0, s0 = 0, c1 = 0, s1 = 0;
        for (int m = 0; m < HALF + 1; m += 4) { /* 13 times, two pairs each */
            const int32_t v = pair_at(x + m), w = pair_at(x + m + 2);
            c0 = __smlad(v, pair_at(b + m), c0);
            s0 = __smlad(v, pair_at(b + 8 * CG_DTMF_PAD + m), s0);
            c1 = __smlad(v, pair_at(b + CG_DTMF_PAD + m), c1);
            s1 = __smlad(v, pair_at(b + 9 * CG_DTMF_PAD + m), s1);
            c0 = __smlad(w, pair_at(b + m + 2), c0);
            s0 = __smlad(w, pair_at(b + 8 * CG_DTMF_PAD + m + 2), s0);
            c1 = __smlad(w, pair_at(b + CG_DTMF_PAD + m + 2), c1);
            s1 = __smlad(w, pair_at(b + 9 * CG_DTMF_PAD + m + 2), s1);
        }
        /* cos part stays, sin part changes sign: e^(-j w m) = cos(w m) - j sin(w m) */
        cur[k] = (float) c0 * (1.0f / 1024.0f);
        cur[k + 8] = (float) s0 * (-1.0f / 1024.0f);
        cur[k + 1] = (float) c1 * (1.0f / 1024.0f);
        cur[k + 9] = (float) s1 * (-1.0f / 1024.0f);
    }
    return (float) energy;
}
#else
#define CORRELATE_READS CG_DTMF_PAD /* x[51..55] are read, and multiplied by zero basis entries */
/* Elsewhere: plain loops over whole vectors that compilers turn into multiply-add vector
 * instructions (pmaddwd on x86: 8 multiply-adds per instruction). */
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
#endif

int cg_dtmf_rx_process(cg_dtmf_rx_t *s, const int16_t *amp, size_t n, cg_event_t *ev,
                       size_t max_ev)
{
    if (max_ev < CG_DTMF_RX_MAX_EVENTS(n))
        return CG_E_SPACE;
    int events = 0;
    size_t i = 0;
    while (i < n) {
        const int16_t *x;
        if (s->fill == 0 && n - i >= CORRELATE_READS) {
            x = amp + i; /* a whole half-block in the caller's buffer: no copy */
            i += HALF;
        } else {
            size_t take = HALF - s->fill;
            if (take > n - i)
                take = n - i;
            for (size_t j = 0; j < take; j++)
                s->block[s->fill + j] = amp[i + j];
            i += take;
            s->fill += (uint32_t) take;
            if (s->fill < HALF)
                break;
            s->fill = 0;
            x = s->block;
        }

        s->newest = (s->newest + 1) % 3;
        const float energy = correlate(x, s->half[s->newest]);
        if (s->halves < 3)
            s->halves++;
        if (s->halves >= 2) {
            float pr = 0.0f, pc = 0.0f;
            const int hit = judge_window(s, energy, &pr, &pc);
            events += step(s, hit, pr, pc, &ev[events]);
        }
        s->prev_energy = energy;
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
