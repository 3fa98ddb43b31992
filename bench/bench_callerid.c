/*
 * Caller ID FSK receivers side by side: callgate's cg_cid_rx (c_src/cid_rx.c, DTMF caller ID
 * off so only FSK is timed) and spandsp's adsi_rx (the whole caller ID receiver: Bell 202 as
 * ADSI_STANDARD_CLASS, V.23 as ADSI_STANDARD_CLIP) and its bare fsk_rx (demodulator and
 * asynchronous framing only, no message layer), on the same samples.
 *
 *   bench_callerid throughput   builds 60 s per standard with cg_cid_tx: a 40-byte MDMF
 *                               message (300 seizure + 180 mark bits) every 1.2 s, -13.5 dBm0,
 *                               white noise 30 dB below; feeds each receiver 160-sample
 *                               blocks; median of BENCH_REPEATS (default 15) interleaved runs.
 *                               One JSON line per receiver and standard: samples/s, times
 *                               real time, and how many messages each decoded (of how many).
 */
#include "bench_util.h"

#include <math.h>
#include <spandsp.h>

#include "callgate/cid.h"
#include "callgate/private/cid.h"

#define BLOCK 160
#define SECONDS 60
#define N (SECONDS * 8000)

static int16_t signal_buf[N];
static int messages_sent;

static void build(int standard)
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
    cg_cid_tx_t tx;
    cg_cid_tx_cfg_default(&cfg, standard);
    cg_cid_tx_init(&tx, &cfg);
    memset(signal_buf, 0, sizeof signal_buf);
    messages_sent = 0;
    for (size_t at = 4000; at + 6000 < N; at += 9600) {
        cg_cid_tx_fsk(&tx, msg, sizeof msg);
        cg_cid_tx_generate(&tx, signal_buf + at, N - at);
        messages_sent++;
    }
    /* White noise 30 dB below -13.5 dBm0 (mu-law), from a fixed LCG (sum of 4 uniforms). */
    const float sigma = cg_dbm0_to_peak(-13.5f - 30.0f, CG_LAW_ULAW) * 0.7071f;
    uint32_t seed = 12345u;
    for (size_t i = 0; i < N; i++) {
        float u = 0.0f;
        for (int k = 0; k < 4; k++) {
            seed = seed * 1664525u + 1013904223u;
            u += (float) (seed >> 8) * (1.0f / 16777216.0f) - 0.5f;
        }
        const float v = (float) signal_buf[i] + u * sigma * 1.7320508f;
        signal_buf[i] = (int16_t) (v > 32767.0f ? 32767.0f : v < -32768.0f ? -32768.0f : v);
    }
}

static int run_callgate(int standard)
{
    cg_cid_rx_cfg_t cfg;
    cg_cid_rx_t s;
    cg_event_t ev[CG_CID_RX_MAX_EVENTS(BLOCK)];
    cg_cid_rx_cfg_default(&cfg);
    cfg.standard = standard;
    cfg.dtmf = 0;
    cg_cid_rx_init(&s, &cfg);
    int good = 0;
    for (size_t i = 0; i + BLOCK <= N; i += BLOCK) {
        const int k = cg_cid_rx_process(&s, signal_buf + i, BLOCK, ev, CG_CID_RX_MAX_EVENTS(BLOCK));
        for (int j = 0; j < k; j++)
            good += ev[j].kind == CG_EVENT_CID_MESSAGE;
    }
    return good;
}

static int sp_good;

static void sp_put_msg(void *user_data, const uint8_t *msg, int len)
{
    (void) user_data;
    (void) msg;
    if (len > 0)
        sp_good++;
}

static int run_adsi(int standard)
{
    sp_good = 0;
    adsi_rx_state_t *s = adsi_rx_init(NULL, standard == CG_CID_BELL202 ? ADSI_STANDARD_CLASS
                                                                        : ADSI_STANDARD_CLIP,
                                      sp_put_msg, NULL);
    for (size_t i = 0; i + BLOCK <= N; i += BLOCK)
        adsi_rx(s, signal_buf + i, BLOCK);
    adsi_rx_free(s);
    return sp_good;
}

static long sp_bits;

static void sp_put_bit(void *user_data, int bit)
{
    (void) user_data;
    sp_bits += bit;
}

static int run_fsk(int standard)
{
    sp_bits = 0;
    fsk_rx_state_t *s = fsk_rx_init(NULL,
                                    &preset_fsk_specs[standard == CG_CID_BELL202 ? FSK_BELL202
                                                                                 : FSK_V23CH1],
                                    FSK_FRAME_MODE_ASYNC, sp_put_bit, NULL);
    for (size_t i = 0; i + BLOCK <= N; i += BLOCK)
        fsk_rx(s, signal_buf + i, BLOCK);
    fsk_rx_free(s);
    return -1; /* no message layer */
}

typedef int (*runner_t)(int standard);

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "throughput") != 0) {
        fprintf(stderr, "usage: bench_callerid throughput\n");
        return 2;
    }
    const int repeats = bench_env_int("BENCH_REPEATS", 15);
    static const char *names[3] = {"callgate cg_cid_rx", "spandsp adsi_rx", "spandsp fsk_rx"};
    static const runner_t runners[3] = {run_callgate, run_adsi, run_fsk};
    static const char *std_names[2] = {"bell202", "v23"};
    for (int standard = 0; standard < 2; standard++) {
        build(standard);
        double t[3][64];
        int decoded[3] = {0, 0, 0};
        const int reps = repeats > 64 ? 64 : repeats;
        for (int r = 0; r < reps; r++)
            for (int k = 0; k < 3; k++) {
                const double t0 = bench_now_s();
                decoded[k] = runners[k](standard);
                t[k][r] = bench_now_s() - t0;
            }
        for (int k = 0; k < 3; k++) {
            const double med = bench_median(t[k], reps);
            printf("{\"bench\": \"cid-fsk-throughput\", \"standard\": \"%s\", \"impl\": \"%s\", "
                   "\"samples_per_s\": %.0f, \"x_realtime\": %.0f, \"messages_decoded\": %d, "
                   "\"messages_sent\": %d}\n",
                   std_names[standard], names[k], (double) N / med, (double) SECONDS / med,
                   decoded[k], messages_sent);
        }
    }
    return 0;
}
