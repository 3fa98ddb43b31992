/*
 * The media engine's hear sets (callgate/media.h: cg_media_hear, cg_media_hears, and the
 * bridge on top of them), in C alone: `make test-c` builds this with the strict warnings and
 * runs it. Prints one line per check group and "ok"; exits non-zero at the first failure.
 *
 * The Python tests (tests/dsp/test_media_hear.py) measure tones per supervisor mode and check
 * random hear sets against numpy; here the same rules are checked on the C API directly,
 * sample for sample against G.711's own single-code functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callgate/g711.h"
#include "callgate/media.h"
#include "callgate/private/media.h"

#define N 160
#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "test_media_hear.c:%d: ", __LINE__);                           \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

static cg_media_t m;
static cg_media_event_t ev[CG_MEDIA_MAX_EVENTS];
static uint8_t rx_buf[CG_MEDIA_MAX_PORTS][N];
static uint8_t tx_buf[CG_MEDIA_MAX_PORTS][N];

static void frame(size_t n_ports, const uint8_t *const rx[])
{
    uint8_t *tx[CG_MEDIA_MAX_PORTS];
    for (size_t p = 0; p < n_ports; p++)
        tx[p] = tx_buf[p];
    const int k = cg_media_process(&m, rx, tx, N, ev, CG_MEDIA_MAX_EVENTS);
    CHECK(k == 0, "process returned %d", k);
}

/* Each port's line: a different code pattern, loud enough that sums saturate now and then. */
static void fill(size_t n_ports)
{
    uint32_t x = 2026u;
    for (size_t p = 0; p < n_ports; p++)
        for (size_t i = 0; i < N; i++) {
            x = x * 1664525u + 1013904223u;
            rx_buf[p][i] = (uint8_t) (x >> 24);
        }
}

static int16_t lin(int law, uint8_t code)
{
    return law == CG_LAW_ALAW ? cg_alaw_to_linear(code) : cg_ulaw_to_linear(code);
}

static uint8_t code_of(int law, int32_t v)
{
    const int16_t s = (int16_t) (v > 32767 ? 32767 : v < -32768 ? -32768 : v);
    return law == CG_LAW_ALAW ? cg_alaw_from_linear(s) : cg_ulaw_from_linear(s);
}

static void bridge_is_a_copy_or_a_table_transcode(void)
{
    CHECK(cg_media_init(&m, 3, CG_LAW_ULAW) == CG_OK, "init");
    CHECK(cg_media_port_init(&m, 2, CG_LAW_ALAW) == CG_OK, "port_init");
    CHECK(cg_media_bridge(&m, 0, 1) == CG_OK, "bridge");
    CHECK(cg_media_peer(&m, 0) == 1 && cg_media_peer(&m, 1) == 0, "peers");
    fill(3);
    const uint8_t *rx[3] = {rx_buf[0], rx_buf[1], rx_buf[2]};
    frame(3, rx);
    CHECK(memcmp(tx_buf[0], rx_buf[1], N) == 0 && memcmp(tx_buf[1], rx_buf[0], N) == 0,
          "a same-law bridge copies codes");
    for (size_t i = 0; i < N; i++)
        CHECK(tx_buf[2][i] == 0xD5, "an idle A-law port sends A-law silence");
    CHECK(cg_media_bridge(&m, 1, 2) == CG_OK, "bridge 1-2");
    CHECK(cg_media_peer(&m, 0) == CG_MEDIA_NO_PEER, "0 left alone");
    frame(3, rx);
    uint8_t want[N];
    cg_ulaw_to_alaw(want, rx_buf[1], N);
    CHECK(memcmp(tx_buf[2], want, N) == 0, "mu-law to A-law by the table");
    cg_alaw_to_ulaw(want, rx_buf[2], N);
    CHECK(memcmp(tx_buf[1], want, N) == 0, "A-law to mu-law by the table");
    for (size_t i = 0; i < N; i++)
        CHECK(tx_buf[0][i] == 0xFF, "the former peer hears silence");
    puts("bridge: copy, table transcode, moved");
}

/* listen, whisper, barge for supervisor s = 2 (A-law) on caller c = 0 and agent g = 1. */
static void supervisor_modes_mix_sample_for_sample(void)
{
    static const size_t c_g[2] = {0, 1}, g_s[2] = {1, 2}, c_s[2] = {0, 2}, g_only[1] = {1},
                        c_only[1] = {0};
    static const int law[3] = {CG_LAW_ULAW, CG_LAW_ULAW, CG_LAW_ALAW};
    /* mode: the sets of c, g, s */
    const size_t *sets[3][3] = {{g_only, c_only, c_g}, {g_only, c_s, c_g}, {g_s, c_s, c_g}};
    const size_t sizes[3][3] = {{1, 1, 2}, {1, 2, 2}, {2, 2, 2}};
    static const char *const names[3] = {"listen", "whisper", "barge"};
    fill(3);
    const uint8_t *rx[3] = {rx_buf[0], rx_buf[1], rx_buf[2]};
    for (int mode = 0; mode < 3; mode++) {
        CHECK(cg_media_init(&m, 3, CG_LAW_ULAW) == CG_OK, "init");
        CHECK(cg_media_port_init(&m, 2, CG_LAW_ALAW) == CG_OK, "port_init");
        for (size_t p = 0; p < 3; p++)
            CHECK(cg_media_hear(&m, p, sets[mode][p], sizes[mode][p]) == CG_OK, "hear");
        frame(3, rx);
        for (size_t p = 0; p < 3; p++) {
            for (size_t i = 0; i < N; i++) {
                uint8_t want;
                if (sizes[mode][p] == 1) {
                    want = rx_buf[sets[mode][p][0]][i]; /* c and g: same law, a copy */
                } else {
                    int32_t sum = 0;
                    for (size_t j = 0; j < sizes[mode][p]; j++) {
                        const size_t q = sets[mode][p][j];
                        sum += lin(law[q], rx_buf[q][i]);
                    }
                    want = code_of(law[p], sum);
                }
                CHECK(tx_buf[p][i] == want, "%s: port %zu sample %zu: %02x, want %02x",
                      names[mode], p, i, tx_buf[p][i], want);
            }
        }
        printf("%s: every port's tx as the rule says, sample for sample\n", names[mode]);
    }
}

static void seven_sources_sum_in_32_bits(void)
{
    size_t others[CG_MEDIA_MAX_PORTS - 1];
    CHECK(cg_media_init(&m, CG_MEDIA_MAX_PORTS, CG_LAW_ULAW) == CG_OK, "init");
    for (size_t q = 1; q < CG_MEDIA_MAX_PORTS; q++)
        others[q - 1] = q;
    CHECK(cg_media_hear(&m, 0, others, CG_MEDIA_MAX_PORTS - 1) == CG_OK, "hear all");
    const uint8_t *rx[CG_MEDIA_MAX_PORTS];
    for (size_t p = 0; p < CG_MEDIA_MAX_PORTS; p++) {
        /* 4 at positive full scale, 3 at negative: the sum is one full scale, exactly */
        memset(rx_buf[p], p <= 4 ? 0x80 : 0x00, N);
        rx[p] = rx_buf[p];
    }
    frame(CG_MEDIA_MAX_PORTS, rx);
    for (size_t i = 0; i < N; i++)
        CHECK(tx_buf[0][i] == 0x80, "saturated once at the end, not on the way: %02x",
              tx_buf[0][i]);
    rx[3] = rx[4] = NULL; /* two lines silent: 2 up, 3 down */
    frame(CG_MEDIA_MAX_PORTS, rx);
    for (size_t i = 0; i < N; i++)
        CHECK(tx_buf[0][i] == 0x00, "NULL lines are no sources: %02x", tx_buf[0][i]);
    puts("seven sources: summed in 32 bits, NULL lines skipped");
}

static void commands_check_and_change_nothing_when_refused(void)
{
    size_t out[4];
    static const size_t bad[2] = {1, 9}, self[1] = {0}, two[2] = {2, 1};
    CHECK(cg_media_init(&m, 3, CG_LAW_ULAW) == CG_OK, "init");
    CHECK(cg_media_hear(&m, 0, two, 2) == CG_OK, "hear");
    CHECK(cg_media_hear(&m, 0, bad, 2) == CG_E_RANGE, "a port past n_ports");
    CHECK(cg_media_hear(&m, 0, self, 1) == CG_E_RANGE, "itself");
    CHECK(cg_media_hear(&m, 0, NULL, 1) == CG_E_NULL, "NULL from");
    CHECK(cg_media_hear(&m, 3, NULL, 0) == CG_E_RANGE, "bad port");
    CHECK(cg_media_hear(NULL, 0, NULL, 0) == CG_E_NULL, "NULL engine");
    CHECK(cg_media_hears(&m, 0, out, 4) == 2 && out[0] == 1 && out[1] == 2, "unchanged, sorted");
    CHECK(cg_media_hears(&m, 0, NULL, 0) == 2, "count only");
    CHECK(cg_media_hears(&m, 1, out, 4) == 0, "one-way: 1 hears nobody");
    CHECK(cg_media_peer(&m, 0) == CG_MEDIA_NO_PEER, "no peer with two sources");
    CHECK(cg_media_unbridge(&m, 2) == CG_OK, "unbridge");
    CHECK(cg_media_hears(&m, 0, out, 4) == 1 && out[0] == 1, "2 taken out of 0's set");
    CHECK(cg_media_hear(&m, 0, NULL, 0) == CG_OK, "hear nothing");
    CHECK(cg_media_hears(&m, 0, out, 4) == 0, "empty");
    puts("commands: checked, refusals change nothing");
}

int main(void)
{
    bridge_is_a_copy_or_a_table_transcode();
    supervisor_modes_mix_sample_for_sample();
    seven_sources_sum_in_32_bits();
    commands_check_and_change_nothing_when_refused();
    puts("test_media_hear: ok");
    return 0;
}
