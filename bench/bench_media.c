/*
 * The media engine (c_src/media.c): how many ports one core keeps in real time.
 *
 *   bench_media throughput   runs CG_MEDIA_MAX_PORTS ports through 60 s of audio in 160-sample
 *                            (20 ms) frames, in five scenarios:
 *                              listen   detectors only: every line carries noise at about
 *                                       -30 dBm0 (a talker), nothing is sent
 *                              ivr      every port plays a looping prompt with barge-in
 *                              tone     every port plays the US busy tone
 *                              bridge   ports bridged in pairs, mu-law to A-law, each port
 *                                       recording both directions
 *                              conference  every port hears two others (p + 1, p + 2 mod
 *                                       8; odd ports A-law): each mixes two sources, as
 *                                       every leg of a three-leg barge; each recording
 *                            Median of BENCH_REPEATS (default 15) runs per scenario; one JSON
 *                            line each: port-samples/s, times real time per port (= ports one
 *                            core could run), and ns per port per 20 ms frame.
 */
#include "bench_util.h"

#include "callgate/g711.h"
#include "callgate/media.h"
#include "callgate/private/media.h"

#define FRAME 160
#define SECONDS 60
#define N (SECONDS * 8000)
#define PORTS CG_MEDIA_MAX_PORTS
#define PROMPT (8000 * 3)

static uint8_t line[2][N];           /* the far party's audio in mu-law [0] and A-law [1] */
static uint8_t prompt[PROMPT];
static uint8_t record_buf[PORTS][N];
static uint8_t tx_buf[PORTS][FRAME];
static cg_media_t engine;
static cg_media_event_t ev[CG_MEDIA_MAX_EVENTS];

static void build(void)
{
    /* Noise about -30 dBm0 from a fixed LCG (sum of 4 uniforms), and a 400 Hz prompt. */
    const float sigma = cg_dbm0_to_peak(-30.0f, CG_LAW_ULAW) * 0.7071f;
    uint32_t seed = 12345u;
    for (size_t i = 0; i < N; i++) {
        float u = 0.0f;
        for (int k = 0; k < 4; k++) {
            seed = seed * 1664525u + 1013904223u;
            u += (float) (seed >> 8) * (1.0f / 16777216.0f) - 0.5f;
        }
        const int16_t x = (int16_t) (u * 3.4641f * sigma);
        line[0][i] = cg_ulaw_from_linear(x);
        line[1][i] = cg_alaw_from_linear(x);
    }
    for (size_t i = 0; i < PROMPT; i++)
        prompt[i] = cg_ulaw_from_linear((int16_t) (8000.0f * (float) ((i * 400u) % 8000u) /
                                                   8000.0f) - 4000);
}

static long run(int scenario)
{
    long events = 0;
    cg_media_init(&engine, PORTS, CG_LAW_ULAW);
    for (size_t p = 0; p < PORTS; p++) {
        if (scenario == 1)
            cg_media_play(&engine, p, prompt, PROMPT, 1);
        if (scenario == 2)
            cg_media_tone(&engine, p, 1, 1);
        if (scenario == 3) {
            if (p % 2)
                cg_media_port_init(&engine, p, CG_LAW_ALAW);
            else
                cg_media_bridge(&engine, p, p + 1);
            cg_media_record(&engine, p, record_buf[p], N);
        }
        if (scenario == 4 && p % 2)
            cg_media_port_init(&engine, p, CG_LAW_ALAW);
    }
    if (scenario == 4)
        for (size_t p = 0; p < PORTS; p++) { /* after every port's init: init leaves sets */
            const size_t from[2] = {(p + 1) % PORTS, (p + 2) % PORTS};
            cg_media_hear(&engine, p, from, 2);
            cg_media_record(&engine, p, record_buf[p], N);
        }
    const uint8_t *rx[PORTS];
    uint8_t *tx[PORTS];
    for (size_t i = 0; i + FRAME <= N; i += FRAME) {
        for (size_t p = 0; p < PORTS; p++) {
            rx[p] = &line[engine.port[p].law == CG_LAW_ALAW][i];
            tx[p] = tx_buf[p];
        }
        const int k = cg_media_process(&engine, rx, tx, FRAME, ev, CG_MEDIA_MAX_EVENTS);
        for (int j = 0; j < k; j++)
            if (scenario == 1 && ev[j].ev.kind == CG_EVENT_MEDIA_PROMPT_DONE)
                cg_media_play(&engine, (size_t) ev[j].port, prompt, PROMPT, 1);
        events += k;
        bench_clobber(tx_buf);
    }
    return events;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "throughput") != 0) {
        fprintf(stderr, "usage: bench_media throughput\n");
        return 2;
    }
    static const char *names[5] = {"listen", "ivr", "tone", "bridge+record", "conference+record"};
    const int repeats = bench_env_int("BENCH_REPEATS", 15);
    const int reps = repeats > 64 ? 64 : (repeats < 1 ? 1 : repeats);
    build();
    for (int scenario = 0; scenario < 5; scenario++) {
        double t[64];
        long events = 0;
        for (int r = 0; r < reps; r++) {
            const double t0 = bench_now_s();
            events = run(scenario);
            t[r] = bench_now_s() - t0;
        }
        const double med = bench_median(t, reps);
        const double port_seconds = (double) PORTS * SECONDS;
        printf("{\"bench\": \"media-throughput\", \"scenario\": \"%s\", \"impl\": \"callgate "
               "cg_media\", \"ports\": %d, \"frame\": %d, \"samples_per_s\": %.0f, "
               "\"ports_per_core\": %.0f, \"ns_per_port_frame\": %.0f, \"events\": %ld}\n",
               names[scenario], PORTS, FRAME, port_seconds * 8000.0 / med, port_seconds / med,
               med * 1e9 / (port_seconds * 8000.0 / FRAME), events);
    }
    return 0;
}
