/*
 * Call-progress tone detection side by side: callgate's cg_cpa_tone (c_src/cpa_tone.c, the
 * whole CN plan: 450, 950, 1400, 1800, 1100, 2100 Hz and every cadence, plus voice/beep
 * classification) and spandsp's super_tone_rx given the CN busy, congestion, ringback and dial
 * cadences with the same tolerances (+-20 % or +-50 ms).
 *
 *   bench_cpa throughput   60 s of CN line audio made with cg_tone_gen: busy, white-noise
 *                          bursts, ringback, congestion, dial tone, in turn; both fed 160-sample
 *                          blocks; median of BENCH_REPEATS (default 15) interleaved runs. One
 *                          JSON line per detector: samples/s, times real time, tones reported.
 */
#include "bench_util.h"

#include <math.h>
#include <spandsp.h>

#include "callgate/cpa_tone.h"
#include "callgate/private/cpa_tone.h"
#include "callgate/private/tone.h"

#define BLOCK 160
#define SECONDS 60
#define N (SECONDS * 8000)

static int16_t signal_buf[N];

static void build(void)
{
    static const char *const order[] = {"busy", NULL, "ringback", "congestion", NULL, "dial"};
    size_t n = 0;
    uint32_t noise = 1u;
    for (int k = 0; n < N; k = (k + 1) % 6) {
        size_t len = 6 * 8000;
        if (len > N - n)
            len = N - n;
        if (order[k]) {
            const cg_tone_desc_t *tone;
            cg_tone_gen_t g;
            cg_tone_lookup("CN", order[k], &tone);
            cg_tone_gen_init(&g, tone, CG_LAW_ULAW);
            cg_tone_gen_process(&g, signal_buf + n, len);
        } else {
            for (size_t i = 0; i < len; i++) {
                noise = noise * 1664525u + 1013904223u;
                signal_buf[n + i] = (int16_t) ((int32_t) (noise >> 16) - 32768) / 8;
            }
        }
        n += len;
    }
}

static int run_callgate(void)
{
    static cg_cpa_tone_t s;
    cg_event_t ev[CG_CPA_TONE_MAX_EVENTS(BLOCK)];
    cg_cpa_tone_cfg_t cfg;
    cg_cpa_tone_cfg_default(&cfg);
    cfg.plan_name = "CN";
    cg_cpa_tone_init(&s, NULL, &cfg);
    int tones = 0;
    for (size_t i = 0; i < N; i += BLOCK) {
        const int r = cg_cpa_tone_process(&s, signal_buf + i, BLOCK, ev, sizeof ev / sizeof ev[0]);
        for (int k = 0; k < r; k++)
            tones += ev[k].kind == CG_EVENT_CPA_TONE;
    }
    bench_clobber(&s);
    return tones;
}

static int spandsp_tones;

static void report(void *user_data, int code, int level, int delay)
{
    (void) user_data;
    (void) level;
    (void) delay;
    if (code >= 0)
        spandsp_tones++;
}

static super_tone_rx_descriptor_t *desc;

static void add(int on_ms, int off_ms)
{
    const int t = super_tone_rx_add_tone(desc);
    const int tol_on = on_ms / 5 > 50 ? on_ms / 5 : 50, tol_off = off_ms / 5 > 50 ? off_ms / 5 : 50;
    super_tone_rx_add_element(desc, t, 450, 0, on_ms - tol_on, off_ms ? on_ms + tol_on : 0);
    if (off_ms)
        super_tone_rx_add_element(desc, t, 0, 0, off_ms - tol_off, off_ms + tol_off);
}

static int run_spandsp(void)
{
    super_tone_rx_state_t *s = super_tone_rx_init(NULL, desc, report, NULL);
    spandsp_tones = 0;
    for (size_t i = 0; i < N; i += BLOCK)
        super_tone_rx(s, signal_buf + i, BLOCK);
    super_tone_rx_free(s);
    return spandsp_tones;
}

typedef int (*runner_t)(void);

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "throughput") != 0) {
        fprintf(stderr, "usage: bench_cpa throughput\n");
        return 2;
    }
    const int repeats = bench_env_int("BENCH_REPEATS", 15);
    build();
    desc = super_tone_rx_make_descriptor(NULL);
    add(350, 350);   /* busy */
    add(700, 700);   /* congestion */
    add(1000, 4000); /* ringback */
    add(1250, 0);    /* dial: continuous */
    static const char *names[2] = {"callgate cg_cpa_tone (CN plan)", "spandsp super_tone_rx"};
    static const runner_t runners[2] = {run_callgate, run_spandsp};
    double t[2][64];
    int found[2] = {0, 0};
    const int reps = repeats > 64 ? 64 : repeats;
    for (int r = 0; r < reps; r++)
        for (int k = 0; k < 2; k++) {
            const double t0 = bench_now_s();
            found[k] = runners[k]();
            t[k][r] = bench_now_s() - t0;
        }
    for (int k = 0; k < 2; k++) {
        const double med = bench_median(t[k], reps);
        printf("{\"bench\": \"cpa-throughput\", \"impl\": \"%s\", \"samples_per_s\": %.0f, "
               "\"x_realtime\": %.0f, \"tones_reported\": %d}\n",
               names[k], (double) N / med, (double) SECONDS / med, found[k]);
    }
    return 0;
}
