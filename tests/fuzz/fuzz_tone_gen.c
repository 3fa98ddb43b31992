/*
 * libFuzzer target for the generators: the cadence generator (callgate/tone.h) with cadences
 * built from the input, and the DTMF generator (callgate/dtmf_tx.h) with digit strings taken
 * from the input as they are (any bytes). tools/fuzz.sh builds and runs it.
 *
 * Input layout:
 *   byte 0     flags: bit 0 law, bit 1 repeat, bit 2 DTMF (else a cadence)
 *   byte 1     level, scaled over -80..+6 dBm0 (past +3 must be refused)
 *   byte 2     seeds the block lengths the output is cut into
 *   cadence:   the rest as 5-byte segments (freq1, freq2 in 16 Hz steps; duration ms, 16-bit)
 *   DTMF:      byte 3 twist (-20..+20 dB), bytes 4-5 on/off ms, the rest the digit string
 *
 * Checks: a descriptor or configuration is either refused with CG_E_RANGE (and then nothing
 * runs) or produces output that is the same however it is cut into blocks; cadences that do
 * not repeat end; DTMF strings with any byte outside "0-9*#A-D" (either case) are refused
 * whole, and valid ones queue exactly their length.
 */
#include <string.h>

#include "callgate/dtmf_tx.h"
#include "callgate/private/dtmf_tx.h"
#include "callgate/private/tone.h"
#include "callgate/tone.h"
#include "fuzz_input.h"

#define MAX_SEGMENTS 24
#define MAX_OUT 24000 /* 3 s */

static int16_t whole[MAX_OUT], cut[MAX_OUT];

static size_t next_block(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return 1 + (*seed >> 16) % 400;
}

typedef size_t (*render_fn)(void *state, int16_t *amp, size_t max_samples);

static size_t render_tone(void *s, int16_t *amp, size_t n)
{
    return cg_tone_gen_process((cg_tone_gen_t *) s, amp, n);
}

static size_t render_dtmf(void *s, int16_t *amp, size_t n)
{
    return cg_dtmf_tx_process((cg_dtmf_tx_t *) s, amp, n);
}

/* Two generators started alike: one renders MAX_OUT samples in one call, the other in blocks
 * of lengths drawn from seed; the outputs must be the same, sample for sample. Returns the
 * number of samples. */
static size_t check_cut_invariance(render_fn render, void *a, void *b, uint32_t seed)
{
    const size_t got = render(a, whole, MAX_OUT);
    size_t total = 0, step;
    while (total < MAX_OUT) {
        size_t want = next_block(&seed);
        if (want > MAX_OUT - total)
            want = MAX_OUT - total;
        if ((step = render(b, cut + total, want)) == 0)
            break;
        total += step;
    }
    CHECK(total == got, "cut output has %zu samples, whole %zu", total, got);
    CHECK(memcmp(whole, cut, got * sizeof whole[0]) == 0, "cut output differs");
    return got;
}

static void check_tone(const uint8_t *data, size_t size, int law, int repeat, float level)
{
    cg_tone_segment_t seg[MAX_SEGMENTS];
    uint16_t n = 0;
    for (size_t i = 3; i + 5 <= size && n < MAX_SEGMENTS; i += 5, n++) {
        seg[n].freq1_hz = (uint16_t) (data[i] * 16u);
        seg[n].freq2_hz = (uint16_t) (data[i + 1] * 16u);
        seg[n].duration_ms = (uint16_t) ((data[i + 2] | data[i + 3] << 8) % 2000u);
    }
    if (n == 0)
        return;
    const cg_tone_desc_t desc = {NULL, seg, n, (uint8_t) repeat, level};
    cg_tone_gen_t a, b;
    const int status = cg_tone_gen_init(&a, &desc, (cg_law_t) law);
    CHECK(status == CG_OK || status == CG_E_RANGE, "init returned %d", status);
    CHECK((status == CG_OK) == (cg_tone_check(&desc) == CG_OK), "init and check disagree");
    if (status != CG_OK)
        return;
    cg_tone_gen_init(&b, &desc, (cg_law_t) law);
    const size_t got = check_cut_invariance(render_tone, &a, &b, data[2]);
    if (!repeat) {
        uint32_t cycle = 0;
        for (uint16_t k = 0; k < n; k++)
            cycle += seg[k].duration_ms;
        if (cycle * 8u + 16u < MAX_OUT)
            CHECK(got <= cycle * 8u + 8u, "a cadence of %u ms ran %zu samples", cycle, got);
    }
}

static int valid_digit(uint8_t c)
{
    return (c >= '0' && c <= '9') || c == '*' || c == '#' || (c >= 'A' && c <= 'D') ||
           (c >= 'a' && c <= 'd');
}

static void check_dtmf(const uint8_t *data, size_t size, int law, float level)
{
    if (size < 6)
        return;
    cg_dtmf_tx_cfg_t cfg;
    cg_dtmf_tx_cfg_default(&cfg);
    cfg.law = (cg_law_t) law;
    cfg.level_dbm0 = level;
    cfg.twist_db = fuzz_scale(data[3], -20.0f, 20.0f);
    cfg.on_ms = (uint16_t) (data[4] % 120u);
    cfg.off_ms = (uint16_t) (data[5] % 120u);
    cg_dtmf_tx_t a, b;
    const int status = cg_dtmf_tx_init(&a, &cfg);
    CHECK(status == CG_OK || status == CG_E_RANGE, "init returned %d", status);
    if (status != CG_OK)
        return;
    cg_dtmf_tx_init(&b, &cfg);
    const char *digits = (const char *) data + 6;
    const size_t n = size - 6;
    int all_valid = 1;
    for (size_t i = 0; i < n; i++)
        all_valid &= valid_digit(data[6 + i]);
    const int put = cg_dtmf_tx_put(&a, digits, n);
    if (!all_valid) {
        CHECK(put == CG_E_UNKNOWN, "invalid digits accepted (%d)", put);
        CHECK(cg_dtmf_tx_pending(&a) == 0, "a refused string left digits queued");
        return;
    }
    if (n > CG_DTMF_TX_QUEUE) {
        CHECK(put == CG_E_SPACE, "%zu digits fit a %d-digit queue (%d)", n, CG_DTMF_TX_QUEUE, put);
        return;
    }
    CHECK(put >= 0 && cg_dtmf_tx_pending(&a) == n, "queued %zu of %zu", cg_dtmf_tx_pending(&a), n);
    CHECK(cg_dtmf_tx_put(&b, digits, n) >= 0, "second generator refused");
    check_cut_invariance(render_dtmf, &a, &b, data[2]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    const int law = data[0] & 1, repeat = (data[0] >> 1) & 1;
    const float level = fuzz_scale(data[1], -80.0f, 6.0f);
    if (data[0] & 4)
        check_dtmf(data, size, law, level);
    else
        check_tone(data, size, law, repeat, level);
    return 0;
}
