/*
 * The cost of a port on the Cortex-M4F: every C module of c_src/ and spandsp's DTMF receiver on
 * the same signals, on QEMU's mps2-an386, with the instructions counted by insn_plugin.c.
 *
 * Each measured stretch is announced on the semihosting console as
 *     region NAME SAMPLES
 * and framed by two calls of bench_mark(), whose first instruction the plugin watches; the
 * plugin's count at the second call minus the first, less the marker's own cost (the region
 * "overhead": two calls back to back), divided by SAMPLES, is the instructions per sample that
 * mcu_bench.py tabulates. Setup (init, signal conversion) happens outside the marks. Lines
 * starting "info" are checks (digits found, events seen) printed beside the counts.
 */
#include <stdint.h>
#include <string.h>

#include "callgate/cid.h"
#include "callgate/cpa.h"
#include "callgate/disconnect.h"
#include "callgate/dtmf.h"
#include "callgate/dtmf_tx.h"
#include "callgate/g711.h"
#include "callgate/media.h"
#include "callgate/tone.h"
#include "callgate/private/cid.h"
#include "callgate/private/cpa.h"
#include "callgate/private/dtmf.h"
#include "callgate/private/dtmf_tx.h"
#include "callgate/private/media.h"
#include "callgate/private/tone.h"

#include "mcu.h"
#include "spandsp_side.h"

#define BLOCK 160 /* 20 ms, as the media engine's frames */
#define PORTS CG_MEDIA_MAX_PORTS
#define PORT_SECONDS 2
#define PORT_N (PORT_SECONDS * 8000)
#define PORT_SKEW 1000 /* port p hears the signal from sample p * PORT_SKEW */
#define LINE_N (PORT_N + PORTS * PORT_SKEW)
#define GEN_N (4 * 8000)

#define DECLARE_SIGNAL(name) extern const int16_t sig_##name[], sig_##name##_end[]
DECLARE_SIGNAL(silence);
DECLARE_SIGNAL(digits);
DECLARE_SIGNAL(speech);
DECLARE_SIGNAL(noise);

typedef struct {
    const char *name;
    const int16_t *x;
    size_t n;
} signal_t;

/* --- output and marks ------------------------------------------------------------------------ */

__attribute__((noinline)) void bench_mark(void)
{
    __asm__ volatile("" ::: "memory");
}

static char *put_u(char *p, unsigned long v)
{
    char tmp[12];
    int k = 0;
    do {
        tmp[k++] = (char) ('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (k)
        *p++ = tmp[--k];
    return p;
}

static void say(const char *what, const char *a, const char *b, unsigned long v)
{
    char line[160];
    char *p = line;
    for (const char *s = what; *s; s++)
        *p++ = *s;
    for (const char *parts[2] = {a, b}, **q = parts; q < parts + 2; q++) {
        if (*q == NULL)
            continue;
        *p++ = ' ';
        for (const char *s = *q; *s && p < line + 140; s++)
            *p++ = *s;
    }
    *p++ = ' ';
    p = put_u(p, v);
    *p++ = '\n';
    *p = 0;
    mcu_puts(line);
}

/* Announce a region and mark its start; end_region() marks its end. */
static void region(const char *name, const char *detail, unsigned long samples)
{
    say("region", name, detail, samples);
    bench_mark();
}

static void end_region(void)
{
    bench_mark();
}

/* --- buffers ----------------------------------------------------------------------------------- */

static int16_t lin[GEN_N];
static uint8_t codes[GEN_N];
static int16_t lin_out[GEN_N];
static uint8_t line_codes[LINE_N];
static uint8_t prompt_codes[3 * 8000];
static uint8_t record_buf[PORTS][PORT_N];
static uint8_t tx_buf[PORTS][BLOCK];
static cg_media_t engine;
static cg_media_event_t media_ev[CG_MEDIA_MAX_EVENTS];
static cg_cid_rx_t cid_rx[PORTS];
static cg_cpa_t cpa[PORTS];
static cg_disc_t disc[PORTS];
static int16_t port_lin[BLOCK];
static cg_dtmf_rx_t dtmf_rx;
static cg_dtmf_tx_t dtmf_tx;
static cg_tone_gen_t tone_gen;
static cg_cpa_tone_t cpa_tone;
static cg_cid_rx_t cid_one;

/* --- modules ------------------------------------------------------------------------------------ */

static void dtmf_rx_classes(const signal_t *sig, size_t count)
{
    cg_event_t ev[CG_DTMF_RX_MAX_EVENTS(BLOCK)];
    for (size_t c = 0; c < count; c++) {
        const size_t n = sig[c].n / BLOCK * BLOCK;
        long digits = 0;
        uint32_t sum = 0;
        cg_dtmf_rx_init(&dtmf_rx, NULL);
        region("dtmf_rx callgate", sig[c].name, n);
        for (size_t i = 0; i < n; i += BLOCK) {
            const int k = cg_dtmf_rx_process(&dtmf_rx, sig[c].x + i, BLOCK, ev,
                                             CG_DTMF_RX_MAX_EVENTS(BLOCK));
            for (int j = 0; j < k; j++)
                sum = sum * 31u + (uint32_t) ev[j].start_sample * 7u +
                      (uint32_t) ev[j].end_sample * 3u + (uint32_t) ev[j].value;
            digits += k;
        }
        end_region();
        digits += cg_dtmf_rx_flush(&dtmf_rx, ev, 1);
        say("info dtmf_rx callgate", sig[c].name, "digits", (unsigned long) digits);
        /* What mcu_bench.py compares with the host build's events on the same samples. */
        say("check dtmf_rx events", sig[c].name, NULL, (unsigned long) sum);

        sp_dtmf_start();
        region("dtmf_rx spandsp", sig[c].name, n);
        for (size_t i = 0; i < n; i += BLOCK)
            sp_dtmf_feed(sig[c].x + i, BLOCK);
        end_region();
        say("info dtmf_rx spandsp", sig[c].name, "digits", (unsigned long) sp_dtmf_digits());
    }
}

static void g711(const int16_t *x, size_t n)
{
    n = n / BLOCK * BLOCK;
    region("g711 ulaw_encode", "speech", n);
    for (size_t i = 0; i < n; i += BLOCK)
        cg_ulaw_encode(codes + i, x + i, BLOCK);
    end_region();
    region("g711 ulaw_decode", "speech", n);
    for (size_t i = 0; i < n; i += BLOCK)
        cg_ulaw_decode(lin_out + i, codes + i, BLOCK);
    end_region();
    region("g711 alaw_encode", "speech", n);
    for (size_t i = 0; i < n; i += BLOCK)
        cg_alaw_encode(codes + i, x + i, BLOCK);
    end_region();
    region("g711 alaw_decode", "speech", n);
    for (size_t i = 0; i < n; i += BLOCK)
        cg_alaw_decode(lin_out + i, codes + i, BLOCK);
    end_region();
}

static void generators(void)
{
    static const char digits[] = "1234567890*#ABCD";
    size_t made = 0;
    cg_dtmf_tx_init(&dtmf_tx, NULL);
    cg_dtmf_tx_put(&dtmf_tx, digits, sizeof digits - 1);
    /* 16 digits of 50 + 55 ms: 13 440 samples; every block but the last is full. */
    region("dtmf_tx", "16 digits 50/55 ms", 16 * 840);
    for (;;) {
        const size_t k = cg_dtmf_tx_process(&dtmf_tx, lin + made, BLOCK);
        made += k;
        if (k < BLOCK)
            break;
    }
    end_region();
    say("info dtmf_tx samples", NULL, NULL, (unsigned long) made);

    static const char *const tones[2] = {"dial", "busy"};
    for (int t = 0; t < 2; t++) {
        const cg_tone_desc_t *tone;
        cg_tone_lookup("US", tones[t], &tone);
        cg_tone_gen_init(&tone_gen, tone, CG_LAW_ULAW);
        region("tone_gen US", tones[t], GEN_N);
        for (size_t i = 0; i < GEN_N; i += BLOCK)
            cg_tone_gen_process(&tone_gen, lin + i, BLOCK);
        end_region();
    }
}

static void cpa_tone_detector(const int16_t *speech, size_t speech_n)
{
    static const char *const tones[2] = {"ringback", "busy"};
    cg_event_t ev[CG_CPA_TONE_MAX_EVENTS(BLOCK)];
    cg_cpa_tone_cfg_t cfg;
    cg_cpa_tone_cfg_default(&cfg);
    cfg.plan_name = "US";
    for (int t = 0; t < 3; t++) {
        const int16_t *x = lin;
        size_t n = GEN_N;
        if (t < 2) {
            const cg_tone_desc_t *tone;
            cg_tone_lookup("US", tones[t], &tone);
            cg_tone_gen_init(&tone_gen, tone, CG_LAW_ULAW);
            cg_tone_gen_process(&tone_gen, lin, GEN_N);
        } else {
            x = speech;
            n = speech_n / BLOCK * BLOCK;
        }
        long found = 0;
        cg_cpa_tone_init(&cpa_tone, NULL, &cfg);
        region("cpa_tone", t < 2 ? tones[t] : "speech", n);
        for (size_t i = 0; i < n; i += BLOCK)
            found += cg_cpa_tone_process(&cpa_tone, x + i, BLOCK, ev,
                                         CG_CPA_TONE_MAX_EVENTS(BLOCK));
        end_region();
        say("info cpa_tone events", t < 2 ? tones[t] : "speech", NULL, (unsigned long) found);
    }
}

/* A Bell 202 MDMF caller ID message (date, number, name) every 1.2 s, as bench_callerid.c. */
static size_t make_fsk(int16_t *x, size_t max)
{
    static const uint8_t mdmf[] = {0x80, 0x23, 0x01, 0x08, '1', '2', '2', '5', '0', '9', '3',
                                   '0', 0x02, 0x0A, '5', '5', '5', '1', '2', '3', '4', '5', '6',
                                   '7', 0x07, 0x0B, 'A', 'L', 'I', 'C', 'E', ' ', 'S', 'M', 'I',
                                   'T', 'H', 0x00};
    uint8_t msg[sizeof mdmf];
    memcpy(msg, mdmf, sizeof msg);
    uint8_t sum = 0;
    for (size_t i = 0; i + 1 < sizeof msg; i++)
        sum = (uint8_t) (sum + msg[i]);
    msg[sizeof msg - 1] = (uint8_t) (0x100u - sum);
    cg_cid_tx_cfg_t cfg;
    static cg_cid_tx_t tx;
    cg_cid_tx_cfg_default(&cfg, CG_CID_BELL202);
    cg_cid_tx_init(&tx, &cfg);
    memset(x, 0, max * sizeof x[0]);
    for (size_t at = 2000; at + 8000 < max; at += 9600) {
        cg_cid_tx_fsk(&tx, msg, sizeof msg);
        cg_cid_tx_generate(&tx, x + at, max - at);
    }
    return max;
}

static void cid(void)
{
    cg_event_t ev[CG_CID_RX_MAX_EVENTS(BLOCK)];
    make_fsk(lin, GEN_N);
    cg_cid_rx_init(&cid_one, NULL);
    long messages = 0;
    region("cid_rx", "Bell 202 MDMF every 1.2 s", GEN_N);
    for (size_t i = 0; i < GEN_N; i += BLOCK) {
        const int k = cg_cid_rx_process(&cid_one, lin + i, BLOCK, ev, CG_CID_RX_MAX_EVENTS(BLOCK));
        for (int j = 0; j < k; j++)
            messages += ev[j].kind == CG_EVENT_CID_MESSAGE;
    }
    end_region();
    say("info cid_rx messages", NULL, NULL, (unsigned long) messages);
}

/* --- the media engine, per port ------------------------------------------------------------------ */

enum { LISTEN, PROMPT, BRIDGE_RECORD, ANSWERED, CONFERENCE, CID_ARMED, CPA_ON, EVERYTHING, STATES };
static const char *const state_names[STATES] = {
    "listening", "playing a prompt", "bridged and recording",
    "bridged, recording, hang-up supervision", "conference 3 legs and recording",
    "caller ID armed", "call-progress on",
    "bridged, recording, hang-up supervision, caller ID and call progress"};

static void media_state(int state, const char *rx_name)
{
    const uint8_t *rx[PORTS];
    uint8_t *tx[PORTS];
    long events = 0;
    cg_media_init(&engine, PORTS, CG_LAW_ULAW);
    for (size_t p = 0; p < PORTS; p++) {
        if (state == PROMPT)
            cg_media_play(&engine, p, prompt_codes, sizeof prompt_codes, 1);
        if (state == BRIDGE_RECORD || state == ANSWERED || state == EVERYTHING) {
            if (p % 2 == 0)
                cg_media_bridge(&engine, p, p + 1);
            cg_media_record(&engine, p, record_buf[p], PORT_N);
        }
        if (state == CONFERENCE) {
            /* Every port mixes two others, as each leg of a three-leg barge does: port p
             * hears p + 1 and p + 2 (mod PORTS), so all 8 ports carry a leg's work. */
            const size_t from[2] = {(p + 1) % PORTS, (p + 2) % PORTS};
            cg_media_hear(&engine, p, from, 2);
            cg_media_record(&engine, p, record_buf[p], PORT_N);
        }
        if (state == ANSWERED || state == EVERYTHING) {
            cg_disc_cfg_t cfg; /* as hal_mcu's Disc on an answered FXO port: tone, the plan's */
            cg_disc_cfg_default(&cfg);
            cfg.tone.plan_name = "US";
            cfg.methods = CG_DISC_TONE;
            cg_disc_init(&disc[p], &cfg);
        }
        if (state == CID_ARMED || state == EVERYTHING)
            cg_media_cid_arm(&engine, p, &cid_rx[p], NULL);
        if (state == CPA_ON || state == EVERYTHING) {
            cg_cpa_cfg_t cfg;
            cg_cpa_cfg_default(&cfg);
            cfg.tone.plan_name = "US";
            cg_media_cpa_arm(&engine, p, &cpa[p], &cfg); /* as the firmware arms it */
        }
    }
    region("media per port", state_names[state], (unsigned long) PORTS * PORT_N);
    for (size_t i = 0; i < PORT_N; i += BLOCK) {
        for (size_t p = 0; p < PORTS; p++) {
            rx[p] = line_codes + p * PORT_SKEW + i;
            tx[p] = tx_buf[p];
        }
        const int k = cg_media_process(&engine, rx, tx, BLOCK, media_ev, CG_MEDIA_MAX_EVENTS);
        for (int j = 0; j < k; j++)
            if (state == PROMPT && media_ev[j].ev.kind == CG_EVENT_MEDIA_PROMPT_DONE)
                cg_media_play(&engine, (size_t) media_ev[j].port, prompt_codes,
                              sizeof prompt_codes, 1);
        events += k;
        if (state == ANSWERED || state == EVERYTHING) {
            /* hal_mcu decodes the answered port's rx once more for its supervisor */
            for (size_t p = 0; p < PORTS; p++) {
                cg_event_t disc_ev[CG_DISC_MAX_EVENTS(BLOCK)];
                cg_ulaw_decode(port_lin, rx[p], BLOCK);
                events += cg_disc_process(&disc[p], port_lin, BLOCK, disc_ev, CG_DISC_MAX_EVENTS(BLOCK));
            }
        }
    }
    end_region();
    say("info media events", state_names[state], rx_name, (unsigned long) events);
    if (state == PROMPT)
        say("info media prompt codes played on port 0", NULL, NULL,
            (unsigned long) engine.port[0].prompt_pos);
}

static void media(const int16_t *speech, size_t speech_n)
{
    /* The far party: speech (or, for caller ID, the FSK bursts; for call progress, ringback). */
    for (size_t i = 0; i < LINE_N; i++)
        line_codes[i] = cg_ulaw_from_linear(speech[i % speech_n]);
    for (size_t i = 0; i < sizeof prompt_codes; i++)
        prompt_codes[i] = cg_ulaw_from_linear(speech[(i + 40000u) % speech_n]);
    media_state(LISTEN, "speech");
    media_state(PROMPT, "speech");
    media_state(BRIDGE_RECORD, "speech");
    media_state(ANSWERED, "speech");
    media_state(CONFERENCE, "speech");
    media_state(EVERYTHING, "speech");

    make_fsk(lin, GEN_N);
    for (size_t i = 0; i < LINE_N; i++)
        line_codes[i] = cg_ulaw_from_linear(lin[i % GEN_N]);
    media_state(CID_ARMED, "FSK caller ID");

    const cg_tone_desc_t *tone;
    cg_tone_lookup("US", "ringback", &tone);
    cg_tone_gen_init(&tone_gen, tone, CG_LAW_ULAW);
    cg_tone_gen_process(&tone_gen, lin, GEN_N);
    for (size_t i = 0; i < LINE_N; i++)
        line_codes[i] = cg_ulaw_from_linear(lin[i % GEN_N]);
    media_state(CPA_ON, "US ringback");
}

int main(void)
{
    const signal_t sig[4] = {
        {"silence", sig_silence, (size_t) (sig_silence_end - sig_silence)},
        {"digits", sig_digits, (size_t) (sig_digits_end - sig_digits)},
        {"speech", sig_speech, (size_t) (sig_speech_end - sig_speech)},
        {"noise", sig_noise, (size_t) (sig_noise_end - sig_noise)},
    };
    mcu_puts("bench-mcu: start\n");
    region("overhead", NULL, 0);
    end_region();
    dtmf_rx_classes(sig, 4);
    g711(sig[2].x, sig[2].n < GEN_N ? sig[2].n : GEN_N);
    generators();
    cpa_tone_detector(sig[2].x, sig[2].n < GEN_N ? sig[2].n : GEN_N);
    cid();
    media(sig[2].x, sig[2].n);
    mcu_puts("bench-mcu: done\n");
    return 0;
}
