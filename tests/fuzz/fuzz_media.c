/*
 * libFuzzer target for the media engine (c_src/media.c, API in callgate/media.h);
 * tools/fuzz.sh builds and runs it.
 *
 * Input layout:
 *   byte 0   number of ports (mod CG_MEDIA_MAX_PORTS, + 1)
 *   byte 1   law of each port (bit p set: A-law)
 *   rest     a program of operations, each an opcode byte and its argument bytes (see run()):
 *            process a frame (length, which rx/tx are NULL, rx codes from the input or from a
 *            DTMF "caller" keying digits on the line), and every command with arguments that
 *            may be out of range (ports past n_ports, unknown plans, bad digits, bad tones).
 *
 * Prompts and recording buffers are allocated at their exact size, so ASan catches any read
 * past a prompt or write past a recording's capacity; tx frames have guard bytes.
 *
 * Checks (abort on the first failure):
 *   - every command returns CG_OK / a count, or the documented error for a bad argument
 *     (a port >= n_ports is CG_E_RANGE, whatever the command);
 *   - process returns 0..CG_MEDIA_MAX_EVENTS events; each has a port < n_ports, a known kind,
 *     start <= end <= the engine clock; prompt-done ends where its codes ran out or at a
 *     frame start (barge-in); record-full's value is the buffer's capacity;
 *   - no byte of tx is written past n, and a port with nothing to send sends its silence code;
 *   - a port with no prompt, tone or DTMF that hears one line (one port of its hear set whose
 *     rx is not NULL) in its own law sends that line's codes unchanged; hear sets take random
 *     ports (out of range, itself: CG_E_RANGE and the set unchanged), and cg_media_hears
 *     gives them back;
 *   - a recording never reports more bytes than its capacity.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callgate/dtmf_tx.h"
#include "callgate/g711.h"
#include "callgate/media.h"
#include "callgate/private/cid.h"
#include "callgate/private/dtmf_tx.h"
#include "callgate/private/media.h"
#include "fuzz_input.h"

#define GUARD 16
#define MAX_ALLOCS 64
#define MAX_OPS 400

static cg_media_t engine;
static cg_cid_rx_t cid_pool[CG_MEDIA_MAX_PORTS];
static cg_cpa_t cpa_pool[CG_MEDIA_MAX_PORTS];
static cg_dtmf_tx_t caller[CG_MEDIA_MAX_PORTS]; /* keys digits on each port's line */
static uint8_t rx_buf[CG_MEDIA_MAX_PORTS][CG_MEDIA_MAX_FRAME];
static uint8_t tx_buf[CG_MEDIA_MAX_PORTS][CG_MEDIA_MAX_FRAME + GUARD];
static int16_t lin[CG_MEDIA_MAX_FRAME];
static cg_media_event_t ev[CG_MEDIA_MAX_EVENTS + 4];
static void *allocs[MAX_ALLOCS];
static size_t n_allocs;
static size_t rec_cap[CG_MEDIA_MAX_PORTS];

static void *keep(size_t size)
{
    if (n_allocs == MAX_ALLOCS)
        return NULL;
    void *p = malloc(size);
    allocs[n_allocs++] = p;
    return p;
}

static int known_kind(int32_t k)
{
    return k == CG_EVENT_DTMF_BEGIN || k == CG_EVENT_DTMF || k == CG_EVENT_CID_ALERT ||
           k == CG_EVENT_CID_MESSAGE || k == CG_EVENT_CID_ERROR ||
           k == CG_EVENT_MEDIA_PROMPT_DONE || k == CG_EVENT_MEDIA_TONE_DONE ||
           k == CG_EVENT_MEDIA_DTMF_SENT || k == CG_EVENT_MEDIA_RECORD_FULL ||
           (k >= CG_EVENT_CPA_TONE && k <= CG_EVENT_CPA_MACHINE && k != CG_EVENT_CPA_TONE_END &&
            k != CG_EVENT_CPA_VOICE && k != CG_EVENT_CPA_SILENCE && k != CG_EVENT_CPA_BEEP);
}

/* A command's result for a port that may be out of range. */
static void expect(int r, size_t port, size_t n_ports, const char *what)
{
    if (port >= n_ports)
        CHECK(r == CG_E_RANGE, "%s on port %zu of %zu returned %d", what, port, n_ports, r);
    else
        CHECK(r >= 0 || r == CG_E_RANGE || r == CG_E_UNKNOWN || r == CG_E_SPACE ||
                  r == CG_E_NULL,
              "%s on port %zu returned %d", what, port, r);
}

static void process(fuzz_reader_t *r, size_t n_ports)
{
    const size_t n = (size_t) fuzz_byte(r) * 2u % (CG_MEDIA_MAX_FRAME + 1u);
    const uint8_t null_rx = fuzz_byte(r), null_tx = fuzz_byte(r), source = fuzz_byte(r);
    const uint8_t *rx[CG_MEDIA_MAX_PORTS];
    uint8_t *tx[CG_MEDIA_MAX_PORTS];
    int idle[CG_MEDIA_MAX_PORTS];
    for (size_t p = 0; p < n_ports; p++) {
        const cg_media_port_t *s = &engine.port[p];
        const int32_t law = s->law;
        idle[p] = s->prompt == NULL && !s->tone_on && !s->dtmf_on;
        if (source & (1u << p)) { /* the caller's keypad */
            memset(lin, 0, n * sizeof lin[0]);
            cg_dtmf_tx_process(&caller[p], lin, n);
            if (law == CG_LAW_ALAW)
                cg_alaw_encode(rx_buf[p], lin, n);
            else
                cg_ulaw_encode(rx_buf[p], lin, n);
        } else {
            for (size_t i = 0; i < n; i++)
                rx_buf[p][i] = fuzz_byte(r);
        }
        rx[p] = (null_rx & (1u << p)) ? NULL : rx_buf[p];
        tx[p] = (null_tx & (1u << p)) ? NULL : tx_buf[p];
        memset(tx_buf[p], 0xA5, sizeof tx_buf[p]);
    }
    const uint64_t before = cg_media_now(&engine);
    const int count = cg_media_process(&engine, rx, tx, n, ev, CG_MEDIA_MAX_EVENTS);
    CHECK(count >= 0 && (size_t) count <= CG_MEDIA_MAX_EVENTS, "process returned %d", count);
    const uint64_t now = cg_media_now(&engine);
    CHECK(now == before + n, "clock %llu after %llu + %zu", (unsigned long long) now,
          (unsigned long long) before, n);
    for (size_t p = 0; p < n_ports; p++) {
        for (size_t i = n; i < sizeof tx_buf[p]; i++)
            CHECK(tx_buf[p][i] == 0xA5, "port %zu: tx byte %zu written (frame %zu)", p, i, n);
        const uint8_t quiet = engine.port[p].law == CG_LAW_ALAW ? 0xD5 : 0xFF;
        size_t heard = 0, one = 0;
        for (size_t q = 0; q < n_ports; q++)
            if ((engine.port[p].hears >> q) & 1u && rx[q] != NULL) {
                heard++;
                one = q;
            }
        if (idle[p] && tx[p] != NULL && heard == 0)
            for (size_t i = 0; i < n; i++)
                CHECK(tx_buf[p][i] == quiet, "idle port %zu sent 0x%02x", p, tx_buf[p][i]);
        if (idle[p] && tx[p] != NULL && heard == 1 && engine.port[one].law == engine.port[p].law)
            CHECK(memcmp(tx_buf[p], rx_buf[one], n) == 0, "port %zu hearing %zu: not a copy", p,
                  one);
    }
    for (int i = 0; i < count; i++) {
        const cg_media_event_t *e = &ev[i];
        CHECK(e->port >= 0 && (size_t) e->port < n_ports, "event port %d", (int) e->port);
        CHECK(known_kind(e->ev.kind), "event kind %d", (int) e->ev.kind);
        CHECK(e->ev.start_sample <= e->ev.end_sample && e->ev.end_sample <= now,
              "event %d spans %llu..%llu at %llu", (int) e->ev.kind,
              (unsigned long long) e->ev.start_sample, (unsigned long long) e->ev.end_sample,
              (unsigned long long) now);
        if (e->ev.kind == CG_EVENT_MEDIA_RECORD_FULL)
            CHECK((size_t) e->ev.value == rec_cap[e->port], "record-full at %d of %zu",
                  (int) e->ev.value, rec_cap[e->port]);
        if (e->ev.kind == CG_EVENT_MEDIA_PROMPT_DONE && e->ev.value == CG_MEDIA_END_BARGE_IN)
            CHECK(e->ev.end_sample == before, "barge-in at %llu, frame start %llu",
                  (unsigned long long) e->ev.end_sample, (unsigned long long) before);
    }
    for (size_t p = 0; p < n_ports; p++)
        CHECK(cg_media_record_bytes(&engine, p) <= rec_cap[p], "port %zu recorded %zu of %zu",
              p, cg_media_record_bytes(&engine, p), rec_cap[p]);
}

static void run(fuzz_reader_t *r, size_t n_ports)
{
    for (int ops = 0; ops < MAX_OPS && r->i < r->n; ops++) {
        const uint8_t op = fuzz_byte(r);
        const size_t port = fuzz_byte(r) % (CG_MEDIA_MAX_PORTS + 2u);
        switch (op % 16) {
        case 0:
        case 1:
        case 2:
            process(r, n_ports);
            break;
        case 3: {
            const size_t n = (size_t) fuzz_byte(r) * 9u;
            uint8_t *codes = n ? keep(n) : NULL;
            if (n && codes == NULL)
                break;
            for (size_t i = 0; i < n; i++)
                codes[i] = (uint8_t) (i * 37u);
            const int res = cg_media_play(&engine, port, codes, n, fuzz_byte(r) & 1);
            if (n == 0 && port < n_ports)
                CHECK(res == CG_E_NULL, "empty prompt returned %d", res);
            else
                expect(res, port, n_ports, "play");
            break;
        }
        case 4:
            expect(cg_media_stop(&engine, port), port, n_ports, "stop");
            break;
        case 5: {
            const size_t plan = fuzz_byte(r) % 4u, tone = fuzz_byte(r) % 12u;
            expect(cg_media_tone(&engine, port, plan, tone), port, n_ports, "tone");
            break;
        }
        case 6: {
            /* Fresh segments each time: a playing tone's segments must not change. */
            const uint8_t k = fuzz_byte(r) % 4u + 1u;
            cg_tone_segment_t *segs = keep(k * sizeof *segs);
            if (segs == NULL)
                break;
            for (uint8_t i = 0; i < k; i++) {
                segs[i].freq1_hz = (uint16_t) (fuzz_byte(r) * 17u);
                segs[i].freq2_hz = (uint16_t) (fuzz_byte(r) & 1 ? 0 : fuzz_byte(r) * 15u);
                segs[i].duration_ms = (uint16_t) (fuzz_byte(r) % 64u);
            }
            cg_tone_desc_t d = {NULL, segs, k, (uint8_t) (fuzz_byte(r) & 1),
                                -40.0f + (float) (fuzz_byte(r) % 48u)};
            const int res = cg_media_tone_desc(&engine, port, &d);
            expect(res, port, n_ports, "tone_desc");
            if (port < n_ports)
                CHECK(res == cg_tone_check(&d), "tone_desc %d, tone_check %d", res,
                      cg_tone_check(&d));
            break;
        }
        case 7:
            expect(cg_media_tone_stop(&engine, port), port, n_ports, "tone_stop");
            break;
        case 8: {
            char digits[8];
            const size_t n = fuzz_byte(r) % 8u;
            for (size_t i = 0; i < n; i++)
                digits[i] = (char) fuzz_byte(r);
            expect(cg_media_dtmf(&engine, port, digits, n), port, n_ports, "dtmf");
            break;
        }
        case 9: {
            const size_t b = fuzz_byte(r) % (CG_MEDIA_MAX_PORTS + 1u);
            const int res = cg_media_bridge(&engine, port, b);
            if (port < n_ports && b < n_ports && port != b) {
                CHECK(res == CG_OK, "bridge %zu %zu returned %d", port, b, res);
                CHECK(cg_media_peer(&engine, port) == (int) b &&
                          cg_media_peer(&engine, b) == (int) port,
                      "bridge %zu %zu not linked", port, b);
            } else {
                CHECK(res == CG_E_RANGE, "bridge %zu %zu returned %d", port, b, res);
            }
            break;
        }
        case 10:
            if (fuzz_byte(r) & 1) {
                expect(cg_media_unbridge(&engine, port), port, n_ports, "unbridge");
                CHECK(cg_media_peer(&engine, port) == CG_MEDIA_NO_PEER, "still bridged");
                for (size_t q = 0; q < n_ports; q++)
                    CHECK(q == port || !((engine.port[q].hears >> port) & 1u),
                          "port %zu still hears unbridged %zu", q, port);
            } else { /* a hear set of up to 9 random ports (out of range and itself too) */
                size_t from[9], got[CG_MEDIA_MAX_PORTS];
                const size_t k = fuzz_byte(r) % 10u;
                int ok = port < n_ports;
                uint32_t set = 0;
                for (size_t i = 0; i < k; i++) {
                    from[i] = fuzz_byte(r) % (CG_MEDIA_MAX_PORTS + 1u);
                    ok = ok && from[i] < n_ports && from[i] != port;
                    set |= (uint32_t) 1u << from[i];
                }
                const uint32_t before = port < n_ports ? engine.port[port].hears : 0;
                const int res = cg_media_hear(&engine, port, from, k);
                CHECK(res == (ok ? CG_OK : CG_E_RANGE), "hear on %zu returned %d", port, res);
                if (port < n_ports) {
                    const uint32_t want = ok ? set : before;
                    CHECK(engine.port[port].hears == want, "hear set %x, want %x",
                          (unsigned) engine.port[port].hears, (unsigned) want);
                    const int c = cg_media_hears(&engine, port, got, CG_MEDIA_MAX_PORTS);
                    uint32_t back = 0;
                    for (int i = 0; i < c; i++)
                        back |= (uint32_t) 1u << got[i];
                    CHECK(back == want && (c < 2 || got[0] < got[1]), "hears gave %x", back);
                }
            }
            break;
        case 11: {
            const size_t cap = (size_t) fuzz_byte(r) * 13u + 1u;
            uint8_t *buf = keep(cap);
            if (buf == NULL)
                break;
            const int res = cg_media_record(&engine, port, buf, cap);
            expect(res, port, n_ports, "record");
            if (res == CG_OK)
                rec_cap[port] = cap;
            break;
        }
        case 12: {
            const int res = cg_media_record_stop(&engine, port);
            expect(res, port, n_ports, "record_stop");
            if (port < n_ports)
                CHECK((size_t) res <= rec_cap[port], "record_stop %d of %zu", res, rec_cap[port]);
            break;
        }
        case 13: {
            const int res = cg_media_port_init(&engine, port, (cg_law_t) (fuzz_byte(r) & 1));
            expect(res, port, n_ports, "port_init");
            if (res == CG_OK)
                rec_cap[port] = 0;
            break;
        }
        case 14: {
            const uint8_t what = fuzz_byte(r);
            if (what < 64 && port < CG_MEDIA_MAX_PORTS) {
                expect(cg_media_cid_arm(&engine, port, &cid_pool[port], NULL), port, n_ports,
                       "cid_arm");
            } else if (what < 128) {
                const int res = cg_media_cid_line(&engine, port, what % 4);
                expect(res, port, n_ports, "cid_line");
            } else if (what < 160) {
                expect(cg_media_cid_disarm(&engine, port), port, n_ports, "cid_disarm");
            } else if (what < 224) {
                cg_cid_msg_t msg;
                expect(cg_media_cid_message(&engine, port, &msg), port, n_ports, "cid_message");
            } else if (what < 240 && port < CG_MEDIA_MAX_PORTS) { /* call progress live */
                cg_cpa_cfg_t cfg;
                cg_cpa_cfg_default(&cfg);
                cfg.no_dial_tone_ms = (uint32_t) (what & 3u) * 1000u;
                cfg.no_answer_ms = 1000u + (uint32_t) fuzz_byte(r) * 20u;
                cfg.tone.plan_name = (what & 4u) ? "CN" : "US";
                expect(cg_media_cpa_arm(&engine, port, &cpa_pool[port], &cfg), port, n_ports,
                       "cpa_arm");
            } else if (what < 248) {
                const uint64_t now = cg_media_now(&engine);
                expect(cg_media_cpa_dialed(&engine, port, now - (now > 0 ? fuzz_byte(r) % 2u : 0u)),
                       port, n_ports, "cpa_dialed");
            } else {
                expect(cg_media_cpa_disarm(&engine, port), port, n_ports, "cpa_disarm");
                CHECK(!cg_media_cpa_armed(&engine, port), "armed after disarm");
            }
            break;
        }
        case 15: { /* the far party keys digits on the port's line */
            if (port >= CG_MEDIA_MAX_PORTS)
                break;
            static const char keys[] = "0123456789*#ABCD";
            char digits[4];
            for (size_t i = 0; i < 4; i++)
                digits[i] = keys[fuzz_byte(r) % 16u];
            cg_dtmf_tx_put(&caller[port], digits, 4);
            break;
        }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const size_t n_ports = data[0] % CG_MEDIA_MAX_PORTS + 1u;
    CHECK(cg_media_init(&engine, n_ports, (cg_law_t) (data[1] & 1)) == CG_OK, "init");
    CHECK(cg_media_init(&engine, 0, CG_LAW_ULAW) == CG_E_RANGE, "init 0 ports");
    CHECK(cg_media_init(&engine, n_ports, CG_LAW_ULAW) == CG_OK, "init");
    for (size_t p = 0; p < n_ports; p++)
        CHECK(cg_media_port_init(&engine, p, (cg_law_t) ((data[1] >> p) & 1)) == CG_OK, "law");
    for (size_t p = 0; p < CG_MEDIA_MAX_PORTS; p++) {
        cg_dtmf_tx_init(&caller[p], NULL);
        rec_cap[p] = 0;
    }
    CHECK(cg_media_process(&engine, NULL, NULL, CG_MEDIA_MAX_FRAME + 1, ev,
                           CG_MEDIA_MAX_EVENTS) == CG_E_RANGE, "oversized frame");
    CHECK(cg_media_process(&engine, NULL, NULL, 1, ev, CG_MEDIA_MAX_EVENTS - 1) == CG_E_SPACE,
          "small event buffer");
    fuzz_reader_t r = {data + 2, size - 2, 0};
    n_allocs = 0;
    run(&r, n_ports);
    for (size_t i = 0; i < n_allocs; i++)
        free(allocs[i]);
    return 0;
}
