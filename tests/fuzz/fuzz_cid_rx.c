/* libFuzzer target: the caller ID receiver on arbitrary samples, cut into arbitrary blocks,
 * with line events between them; and the transmitter on arbitrary bytes and digits. */
#include <stdint.h>
#include <string.h>

#include "callgate/private/cid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    cg_cid_rx_cfg_t cfg;
    cg_cid_rx_cfg_default(&cfg);
    cfg.standard = data[0] & 1;
    cfg.arm = (data[0] >> 1) & 7u;
    cfg.window_ms = 100u + 20u * data[1];
    cg_cid_rx_t rx;
    if (cg_cid_rx_init(&rx, &cfg) != CG_OK)
        return 0;
    data += 2;
    size -= 2;

    cg_event_t ev[CG_CID_RX_MAX_EVENTS(CG_CID_RX_BLOCK)];
    int16_t block[CG_CID_RX_BLOCK];
    size_t pos = 0;
    while (pos + 1 < size) {
        const uint8_t ctl = data[pos++];
        size_t n = (size_t) (ctl & 0x3Fu) * 16u + 1u;
        if (n > (size - pos) / 2)
            n = (size - pos) / 2;
        for (size_t i = 0; i < n; i++)
            block[i] = (int16_t) (data[pos + 2 * i] | (data[pos + 2 * i + 1] << 8));
        pos += 2 * n;
        if (ctl & 0x40u)
            (void) cg_cid_rx_line(&rx, 1 + (ctl >> 7) + (n & 1));
        const int k = cg_cid_rx_process(&rx, block, n, ev, CG_CID_RX_MAX_EVENTS(n));
        if (k < 0)
            __builtin_trap();
        cg_cid_msg_t m;
        uint8_t raw[CG_CID_MAX_BYTES];
        cg_cid_rx_message(&rx, &m);
        (void) cg_cid_rx_raw(&rx, raw, sizeof raw);
        for (int i = 0; i < k; i++)
            if (ev[i].kind == CG_EVENT_CID_MESSAGE && m.status != CG_CID_OK)
                __builtin_trap();
    }
    (void) cg_cid_rx_flush(&rx, ev, 1);

    /* The transmitter: the rest of the input as a message and as digits. */
    cg_cid_tx_cfg_t tcfg;
    cg_cid_tx_cfg_default(&tcfg, CG_CID_V23);
    tcfg.seizure_bits = 4;
    tcfg.mark_bits = 4;
    tcfg.alert_ms = size & 15u;
    cg_cid_tx_t tx;
    if (cg_cid_tx_init(&tx, &tcfg) != CG_OK)
        __builtin_trap();
    const size_t nmsg = size < CG_CID_MAX_BYTES ? size : CG_CID_MAX_BYTES;
    int16_t out[512];
    if (cg_cid_tx_fsk(&tx, data, nmsg) == CG_OK)
        while (cg_cid_tx_generate(&tx, out, 512) > 0) {
        }
    const size_t ndig = size < 8 ? size : 8;
    if (cg_cid_tx_dtmf(&tx, (const char *) data, ndig) == CG_OK)
        while (cg_cid_tx_generate(&tx, out, 512) > 0) {
        }
    return 0;
}
