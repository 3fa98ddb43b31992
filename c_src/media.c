/* The media engine (callgate/media.h): per-port detectors, sources, hear sets (bridges and
 * conferences) and recorder. */
#include <string.h>

#include "callgate/g711.h"
#include "callgate/media.h"
#include "callgate/private/cid.h"
#include "callgate/private/media.h"

#define SCRATCH_EVENTS (CG_DTMF_RX_MAX_EVENTS(CG_MEDIA_MAX_FRAME) + \
                        CG_CID_RX_MAX_EVENTS(CG_MEDIA_MAX_FRAME))
#define MAX_BUFFER 0x7FFFFFFFu /* prompt and recording lengths: they are returned as int */

static uint8_t silence_code(int32_t law) { return law == CG_LAW_ALAW ? 0xD5u : 0xFFu; }

static void decode(int32_t law, int16_t *dst, const uint8_t *src, size_t n)
{
    if (law == CG_LAW_ALAW)
        cg_alaw_decode(dst, src, n);
    else
        cg_ulaw_decode(dst, src, n);
}

static void encode(int32_t law, uint8_t *dst, const int16_t *src, size_t n)
{
    if (law == CG_LAW_ALAW)
        cg_alaw_encode(dst, src, n);
    else
        cg_ulaw_encode(dst, src, n);
}

static int valid_law(int law) { return law == CG_LAW_ULAW || law == CG_LAW_ALAW; }

/* The port, or NULL if m is NULL or port is out of range. */
static cg_media_port_t *port_at(cg_media_t *m, size_t port)
{
    return (m != NULL && port < m->n_ports) ? &m->port[port] : NULL;
}

static int port_error(const cg_media_t *m) { return m == NULL ? CG_E_NULL : CG_E_RANGE; }

static void emit(cg_media_event_t *ev, int *count, size_t port, int32_t kind, uint64_t start,
                 uint64_t end, int32_t value)
{
    cg_media_event_t *e = &ev[(*count)++];
    memset(e, 0, sizeof *e);
    e->port = (int32_t) port;
    e->ev.kind = kind;
    e->ev.start_sample = start;
    e->ev.end_sample = end;
    e->ev.value = value;
}

/* Copy detector events, moved from the detector's clock (starting at origin) to the engine's. */
static void forward(cg_media_event_t *ev, int *count, size_t port, const cg_event_t *src,
                    int k, uint64_t origin)
{
    for (int i = 0; i < k; i++) {
        cg_media_event_t *e = &ev[(*count)++];
        e->port = (int32_t) port;
        e->reserved_ = 0;
        e->ev = src[i];
        e->ev.start_sample += origin;
        e->ev.end_sample += origin;
    }
}

/* Caller ID on an armed port, of rx (m->lin_rx). m->ev[0..k) are the port's DTMF receiver's
 * events for it: when the caller ID receiver's DTMF receiver would be configured alike, they
 * are its digits (in its clock), and it does not run its own. */
static void cid_listen(cg_media_t *m, size_t port, int k, size_t n, cg_media_event_t *ev,
                       int *count)
{
    cg_media_port_t *p = &m->port[port];
    cg_event_t *out = m->ev;
    int c;
    if (p->cid_digits) {
        const uint64_t shift = p->cid_origin - p->origin; /* (armed after the port began) */
        for (int i = 0; i < k; i++) {
            cg_event_t *e = &m->ev[i];
            e->start_sample = e->start_sample > shift ? e->start_sample - shift : 0;
            e->end_sample = e->end_sample > shift ? e->end_sample - shift : 0;
        }
        out = &m->ev[k];
        c = cg_cid_rx_process_digits(p->cid, m->lin_rx, n, m->ev, (size_t) k, out,
                                     SCRATCH_EVENTS - (size_t) k);
    } else {
        c = cg_cid_rx_process(p->cid, m->lin_rx, n, out, SCRATCH_EVENTS);
    }
    forward(ev, count, port, out, c < 0 ? 0 : c, p->cid_origin);
}

/* Call-progress analysis of rx (m->lin_rx) on an armed port: the dial tone once, then the
 * result, which disarms it. */
static void cpa_listen(cg_media_t *m, size_t port, size_t n, cg_media_event_t *ev, int *count)
{
    cg_media_port_t *p = &m->port[port];
    cg_event_t result;
    const int k = cg_cpa_process(p->cpa, m->lin_rx, n, &result, 1);
    uint64_t at;
    if (!p->cpa_dial_told && cg_cpa_dial_heard(p->cpa, &at)) {
        p->cpa_dial_told = 1;
        emit(ev, count, port, CG_EVENT_CPA_TONE, p->cpa_origin + at, p->cpa_origin + at,
             p->cpa->t_dial);
    }
    if (k > 0) {
        forward(ev, count, port, &result, 1, p->cpa_origin);
        p->cpa = NULL;
    }
}

/* --- Hear sets: who hears whom -------------------------------------------------------------
 * Port p's hears is a bit set of ports: p's tx carries the sum of their rx (below its prompt,
 * tone and DTMF). A two-party bridge is {a hears b, b hears a}. */

#if CG_MEDIA_MAX_PORTS > 32
#error "hear sets are 32-bit masks: CG_MEDIA_MAX_PORTS must be at most 32"
#endif

/* Take port out of every hear set, its own included: it hears nobody, nobody hears it. */
static void detach(cg_media_t *m, size_t port)
{
    const uint32_t bit = (uint32_t) 1u << port;
    for (size_t q = 0; q < m->n_ports; q++)
        m->port[q].hears &= ~bit;
    m->port[port].hears = 0;
}

static int16_t saturate(int32_t v)
{
    return (int16_t) (v > 32767 ? 32767 : v < -32768 ? -32768 : v);
}

/* Sum the rx of the k >= 2 ports in src (each in its own law), saturate to 16 bits once,
 * and encode the sum in law into out: n codes, from sample off of each source. The sum is
 * in 32 bits, so the order of the sources does not matter. Two sources (every leg of a
 * three-leg conference) take a shorter way: both decoded, added and saturated in one pass. */
static void mix(cg_media_t *m, const uint8_t *const rx[], const uint8_t *src, size_t k,
                int32_t law, uint8_t *out, size_t off, size_t n)
{
    for (size_t at = 0; at < n; at += CG_MEDIA_MIX_CHUNK) {
        const size_t len = n - at < CG_MEDIA_MIX_CHUNK ? n - at : CG_MEDIA_MIX_CHUNK;
        decode(m->port[src[0]].law, m->lin_tx, rx[src[0]] + off + at, len);
        if (k == 2) {
            int16_t *b = m->mix.second;
            decode(m->port[src[1]].law, b, rx[src[1]] + off + at, len);
            for (size_t i = 0; i < len; i++)
                m->lin_tx[i] = saturate((int32_t) m->lin_tx[i] + b[i]);
        } else {
            int32_t *sum = m->mix.sum;
            for (size_t i = 0; i < len; i++)
                sum[i] = m->lin_tx[i];
            for (size_t j = 1; j < k; j++) {
                decode(m->port[src[j]].law, m->lin_tx, rx[src[j]] + off + at, len);
                for (size_t i = 0; i < len; i++)
                    sum[i] += m->lin_tx[i];
            }
            for (size_t i = 0; i < len; i++)
                m->lin_tx[i] = saturate(sum[i]);
        }
        encode(law, out + at, m->lin_tx, len);
    }
}

/* The heard part of port's tx: codes off..n-1 of out. No source (or only silent lines):
 * silence; one: its rx code for code, or transcoded by G.711's tables; more: mixed. */
static void compose_heard(cg_media_t *m, size_t port, const uint8_t *const rx[], uint8_t *out,
                          size_t off, size_t n)
{
    const cg_media_port_t *p = &m->port[port];
    uint8_t src[CG_MEDIA_MAX_PORTS];
    size_t k = 0;
    if (rx != NULL)
        for (uint32_t set = p->hears, q = 0; set != 0; set >>= 1, q++)
            if ((set & 1u) && rx[q] != NULL)
                src[k++] = (uint8_t) q;
    if (k == 0) {
        memset(out + off, silence_code(p->law), n - off);
    } else if (k == 1) {
        const uint8_t *in = rx[src[0]] + off;
        const int32_t src_law = m->port[src[0]].law;
        if (src_law == p->law)
            memcpy(out + off, in, n - off);
        else if (p->law == CG_LAW_ULAW)
            cg_alaw_to_ulaw(out + off, in, n - off);
        else
            cg_ulaw_to_alaw(out + off, in, n - off);
    } else {
        mix(m, rx, src, k, p->law, out + off, off, n - off);
    }
}

int cg_media_init(cg_media_t *m, size_t n_ports, cg_law_t law)
{
    if (m == NULL)
        return CG_E_NULL;
    if (n_ports < 1 || n_ports > CG_MEDIA_MAX_PORTS || !valid_law((int) law))
        return CG_E_RANGE;
    memset(m, 0, sizeof *m);
    m->n_ports = (uint32_t) n_ports;
    for (size_t p = 0; p < n_ports; p++) {
        const int r = cg_media_port_init(m, p, law);
        if (r < 0)
            return r;
    }
    return CG_OK;
}

int cg_media_port_init(cg_media_t *m, size_t port, cg_law_t law)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    if (!valid_law((int) law))
        return CG_E_RANGE;
    detach(m, port);
    memset(p, 0, sizeof *p);
    p->law = (int32_t) law;
    p->origin = m->now;
    cg_dtmf_rx_cfg_t cfg;
    cg_dtmf_rx_cfg_default(&cfg);
    cfg.law = law;
    cfg.report_begin = 1;
    const int r = cg_dtmf_rx_init(&p->dtmf_rx, &cfg);
    if (r < 0)
        return r;
    cg_dtmf_tx_cfg_t tx_cfg;
    cg_dtmf_tx_cfg_default(&tx_cfg);
    tx_cfg.law = law;
    return cg_dtmf_tx_init(&p->dtmf_tx, &tx_cfg);
}

uint64_t cg_media_now(const cg_media_t *m) { return m->now; }

/* Compose n codes of port p's output into out, from its sources in priority order; writes
 * the events of the sources that end. */
static void compose(cg_media_t *m, size_t port, const uint8_t *const rx[], uint8_t *out,
                    size_t n, cg_media_event_t *ev, int *count)
{
    cg_media_port_t *p = &m->port[port];
    size_t off = 0;

    if (p->prompt != NULL) {
        size_t k = p->prompt_len - p->prompt_pos;
        if (k > n)
            k = n;
        memcpy(out, p->prompt + p->prompt_pos, k);
        p->prompt_pos += (uint32_t) k;
        off = k;
        if (p->prompt_pos == p->prompt_len) {
            emit(ev, count, port, CG_EVENT_MEDIA_PROMPT_DONE, p->prompt_start, m->now + off,
                 CG_MEDIA_END_COMPLETE);
            p->prompt = NULL;
        }
    }
    if (off < n && p->tone_on) {
        if (!p->tone_started) {
            p->tone_started = 1;
            p->tone_start = m->now + off;
        }
        const size_t k = cg_tone_gen_process(&p->tone, m->lin_tx + off, n - off);
        encode(p->law, out + off, m->lin_tx + off, k);
        if (k < n - off) {
            emit(ev, count, port, CG_EVENT_MEDIA_TONE_DONE, p->tone_start, m->now + off + k, 0);
            p->tone_on = 0;
        }
        off += k;
    }
    if (off < n && p->dtmf_on) {
        if (!p->dtmf_started) {
            p->dtmf_started = 1;
            p->dtmf_start = m->now + off;
        }
        const size_t k = cg_dtmf_tx_process(&p->dtmf_tx, m->lin_tx + off, n - off);
        encode(p->law, out + off, m->lin_tx + off, k);
        if (k < n - off) {
            emit(ev, count, port, CG_EVENT_MEDIA_DTMF_SENT, p->dtmf_start, m->now + off + k, 0);
            p->dtmf_on = 0;
        }
        off += k;
    }
    if (off < n)
        compose_heard(m, port, rx, out, off, n);
}

/* Both directions of the line, mixed, into the recording. */
static void record(cg_media_t *m, size_t port, const uint8_t *out, size_t n,
                   cg_media_event_t *ev, int *count)
{
    cg_media_port_t *p = &m->port[port];
    size_t k = p->rec_cap - p->rec_len;
    if (k > n)
        k = n;
    decode(p->law, m->lin_tx, out, k);
    for (size_t i = 0; i < k; i++) {
        int32_t v = (int32_t) m->lin_rx[i] + (int32_t) m->lin_tx[i];
        if (v > 32767)
            v = 32767;
        if (v < -32768)
            v = -32768;
        m->lin_tx[i] = (int16_t) v;
    }
    encode(p->law, p->rec + p->rec_len, m->lin_tx, k);
    p->rec_len += (uint32_t) k;
    if (p->rec_len == p->rec_cap) {
        emit(ev, count, port, CG_EVENT_MEDIA_RECORD_FULL, p->rec_start, m->now + k,
             (int32_t) p->rec_len);
        p->rec = NULL;
    }
}

int cg_media_process(cg_media_t *m, const uint8_t *const rx[], uint8_t *const tx[], size_t n,
                     cg_media_event_t *ev, size_t max_ev)
{
    if (n > CG_MEDIA_MAX_FRAME)
        return CG_E_RANGE;
    if (max_ev < CG_MEDIA_MAX_EVENTS)
        return CG_E_SPACE;
    int count = 0;
    for (size_t port = 0; port < m->n_ports; port++) {
        cg_media_port_t *p = &m->port[port];
        const uint8_t *in = rx != NULL ? rx[port] : NULL;
        uint8_t *out = (tx != NULL && tx[port] != NULL) ? tx[port] : m->codes;

        /* Receive. */
        if (in != NULL)
            decode(p->law, m->lin_rx, in, n);
        else
            memset(m->lin_rx, 0, n * sizeof m->lin_rx[0]);
        int k = cg_dtmf_rx_process(&p->dtmf_rx, m->lin_rx, n, m->ev, SCRATCH_EVENTS);
        int digit = 0;
        for (int i = 0; i < k; i++)
            digit |= m->ev[i].kind == CG_EVENT_DTMF_BEGIN;
        forward(ev, &count, port, m->ev, k, p->origin);
        if (p->cid != NULL)
            cid_listen(m, port, k, n, ev, &count);
        if (p->cpa != NULL)
            cpa_listen(m, port, n, ev, &count);
        if (digit && p->prompt != NULL && p->barge_in) {
            emit(ev, &count, port, CG_EVENT_MEDIA_PROMPT_DONE, p->prompt_start, m->now,
                 CG_MEDIA_END_BARGE_IN);
            p->prompt = NULL;
        }

        /* Send, and record. */
        compose(m, port, rx, out, n, ev, &count);
        if (p->rec != NULL)
            record(m, port, out, n, ev, &count);
    }
    m->now += n;
    return count;
}

/* --- Commands ----------------------------------------------------------------------------- */

int cg_media_play(cg_media_t *m, size_t port, const uint8_t *codes, size_t n, int barge_in)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    if (codes == NULL)
        return CG_E_NULL;
    if (n < 1 || n > MAX_BUFFER)
        return CG_E_RANGE;
    p->prompt = codes;
    p->prompt_len = (uint32_t) n;
    p->prompt_pos = 0;
    p->barge_in = barge_in != 0;
    p->prompt_start = m->now;
    return CG_OK;
}

int cg_media_stop(cg_media_t *m, size_t port)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    if (p->prompt == NULL)
        return 0;
    p->prompt = NULL;
    return (int) p->prompt_pos;
}

int cg_media_tone_desc(cg_media_t *m, size_t port, const cg_tone_desc_t *tone)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    const int r = cg_tone_check(tone); /* before the generator is touched */
    if (r < 0)
        return r;
    cg_tone_gen_init(&p->tone, tone, (cg_law_t) p->law);
    p->tone_on = 1;
    p->tone_started = 0;
    return CG_OK;
}

int cg_media_tone(cg_media_t *m, size_t port, size_t plan_index, size_t tone_index)
{
    if (port_at(m, port) == NULL)
        return port_error(m);
    const cg_tone_plan_t *plan = cg_tone_plan_at(plan_index);
    const cg_tone_desc_t *tone = plan != NULL ? cg_tone_plan_tone(plan, tone_index) : NULL;
    if (tone == NULL)
        return CG_E_UNKNOWN;
    return cg_media_tone_desc(m, port, tone);
}

int cg_media_tone_stop(cg_media_t *m, size_t port)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    p->tone_on = 0;
    return CG_OK;
}

int cg_media_dtmf(cg_media_t *m, size_t port, const char *digits, size_t n)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    if (digits == NULL)
        return CG_E_NULL;
    const int r = cg_dtmf_tx_put(&p->dtmf_tx, digits, n);
    if (r > 0 && !p->dtmf_on) {
        p->dtmf_on = 1;
        p->dtmf_started = 0;
    }
    return r;
}

int cg_media_hear(cg_media_t *m, size_t port, const size_t *from, size_t n)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    if (from == NULL && n > 0)
        return CG_E_NULL;
    uint32_t set = 0;
    for (size_t i = 0; i < n; i++) {
        if (from[i] >= m->n_ports || from[i] == port)
            return CG_E_RANGE;
        set |= (uint32_t) 1u << from[i];
    }
    p->hears = set;
    return CG_OK;
}

int cg_media_hears(const cg_media_t *m, size_t port, size_t *from, size_t max)
{
    if (m == NULL)
        return CG_E_NULL;
    if (port >= m->n_ports)
        return CG_E_RANGE;
    if (from == NULL && max > 0)
        return CG_E_NULL;
    int k = 0;
    for (uint32_t set = m->port[port].hears, q = 0; set != 0; set >>= 1, q++)
        if (set & 1u) {
            if ((size_t) k < max)
                from[k] = q;
            k++;
        }
    return k;
}

int cg_media_bridge(cg_media_t *m, size_t a, size_t b)
{
    cg_media_port_t *pa = port_at(m, a), *pb = port_at(m, b);
    if (pa == NULL || pb == NULL)
        return port_error(m);
    if (a == b)
        return CG_E_RANGE;
    detach(m, a);
    detach(m, b);
    pa->hears = (uint32_t) 1u << b;
    pb->hears = (uint32_t) 1u << a;
    return CG_OK;
}

int cg_media_unbridge(cg_media_t *m, size_t port)
{
    if (port_at(m, port) == NULL)
        return port_error(m);
    detach(m, port);
    return CG_OK;
}

int cg_media_peer(const cg_media_t *m, size_t port)
{
    if (m == NULL || port >= m->n_ports)
        return CG_MEDIA_NO_PEER;
    const uint32_t set = m->port[port].hears;
    if (set == 0 || (set & (set - 1u)) != 0)
        return CG_MEDIA_NO_PEER; /* hears nobody, or more than one */
    size_t q = 0;
    while (!(set & ((uint32_t) 1u << q)))
        q++;
    return m->port[q].hears == (uint32_t) 1u << port ? (int) q : CG_MEDIA_NO_PEER;
}

int cg_media_record(cg_media_t *m, size_t port, uint8_t *buf, size_t cap)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    if (buf == NULL)
        return CG_E_NULL;
    if (cap < 1 || cap > MAX_BUFFER)
        return CG_E_RANGE;
    p->rec = buf;
    p->rec_cap = (uint32_t) cap;
    p->rec_len = 0;
    p->rec_start = m->now;
    return CG_OK;
}

int cg_media_record_stop(cg_media_t *m, size_t port)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    p->rec = NULL;
    return (int) p->rec_len;
}

size_t cg_media_record_bytes(const cg_media_t *m, size_t port)
{
    return (m != NULL && port < m->n_ports) ? m->port[port].rec_len : 0;
}

int cg_media_cid_arm(cg_media_t *m, size_t port, cg_cid_rx_t *rx, const cg_cid_rx_cfg_t *cfg)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    if (rx == NULL)
        return CG_E_NULL;
    cg_cid_rx_cfg_t def;
    if (cfg == NULL) {
        cg_cid_rx_cfg_default(&def);
        def.law = (cg_law_t) p->law;
        cfg = &def;
    }
    const int r = cg_cid_rx_init(rx, cfg);
    if (r < 0)
        return r;
    p->cid = rx;
    p->cid_origin = m->now;
    p->cid_digits = cfg->dtmf && cfg->law == (cg_law_t) p->law; /* the port's receiver's cfg */
    return CG_OK;
}

int cg_media_cid_disarm(cg_media_t *m, size_t port)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    p->cid = NULL;
    return CG_OK;
}

int cg_media_cid_line(cg_media_t *m, size_t port, int line_event)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    if (p->cid == NULL)
        return CG_E_RANGE;
    return cg_cid_rx_line(p->cid, line_event);
}

int cg_media_cid_message(const cg_media_t *m, size_t port, cg_cid_msg_t *msg)
{
    if (m == NULL || msg == NULL)
        return CG_E_NULL;
    if (port >= m->n_ports || m->port[port].cid == NULL)
        return CG_E_RANGE;
    cg_cid_rx_message(m->port[port].cid, msg);
    return CG_OK;
}

/* --- Call-progress analysis live on a port ------------------------------------------------ */

int cg_media_cpa_arm(cg_media_t *m, size_t port, cg_cpa_t *cpa, const cg_cpa_cfg_t *cfg)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    if (cpa == NULL)
        return CG_E_NULL;
    cg_cpa_cfg_t def;
    if (cfg == NULL) {
        cg_cpa_cfg_default(&def);
        def.tone.law = (cg_law_t) p->law;
        cfg = &def;
    }
    const int r = cg_cpa_init(cpa, cfg);
    if (r < 0)
        return r;
    p->cpa = cpa;
    p->cpa_origin = m->now;
    p->cpa_dial_told = 0;
    return CG_OK;
}

int cg_media_cpa_dialed(cg_media_t *m, size_t port, uint64_t at)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    if (p->cpa == NULL || at < p->cpa_origin)
        return CG_E_RANGE;
    return cg_cpa_dialed(p->cpa, at - p->cpa_origin);
}

int cg_media_cpa_disarm(cg_media_t *m, size_t port)
{
    cg_media_port_t *p = port_at(m, port);
    if (p == NULL)
        return port_error(m);
    p->cpa = NULL;
    return CG_OK;
}

int cg_media_cpa_armed(const cg_media_t *m, size_t port)
{
    return (m != NULL && port < m->n_ports) ? m->port[port].cpa != NULL : 0;
}
