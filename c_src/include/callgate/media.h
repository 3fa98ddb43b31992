/*
 * The media engine: every port's audio, one G.711 frame at a time.
 *
 * What does it do?
 *   It owns the audio plane of up to CG_MEDIA_MAX_PORTS telephone ports. Each call of
 *   cg_media_process() takes one frame received from every port's line (rx[p]: what the far
 *   party says) and writes the frame to send to every port's line (tx[p]), and reports what
 *   it heard and what finished as events tagged with the port:
 *     - DTMF digits on rx (CG_EVENT_DTMF_BEGIN when a digit is recognised, CG_EVENT_DTMF when
 *       it ends), always listening;
 *     - caller ID on rx (CG_EVENT_CID_ALERT / _MESSAGE / _ERROR) while a receiver is armed
 *       on the port with cg_media_cid_arm();
 *     - CG_EVENT_MEDIA_PROMPT_DONE, _TONE_DONE, _DTMF_SENT when a prompt, a tone that does not
 *       repeat, or the queued DTMF digits have played out; CG_EVENT_MEDIA_RECORD_FULL when a
 *       recording fills its buffer.
 *   The control plane (the firmware) drives it with plain commands between frames: play a
 *   prompt, play a tone, send DTMF, bridge two ports or set who hears whom, record a port,
 *   arm caller ID.
 *
 *   What goes out on tx[p], highest priority first:
 *       prompt  >  tone  >  DTMF digits  >  the audio p hears (its hear set)  >  silence
 *   A source that is masked by a higher one waits: it does not run on unheard. Sources hand
 *   over within a frame, to the sample: a prompt that ends 37 samples into a frame is
 *   followed in the same frame, from sample 37, by the next source that has something. G.711
 *   silence is 0xFF (mu-law) or 0xD5 (A-law).
 *
 *   Who hears whom: every port has a hear set, the ports whose received audio it sends
 *   (cg_media_hear). A two-party bridge (cg_media_bridge) is the pair of sets {a hears b,
 *   b hears a}; a conference gives each leg its own set, a per-leg listen matrix. For a
 *   supervisor port s on a call between caller c and agent g:
 *       listen   s hears {c, g}; c hears {g}; g hears {c}      (nobody hears s)
 *       whisper  s hears {c, g}; c hears {g}; g hears {c, s}   (only the agent hears s)
 *       barge    s hears {c, g}; c hears {g, s}; g hears {c, s}
 *   What a port hears: with one source (one port in the set whose rx[q] is not NULL), that
 *   port's rx frame, copied code for code when both ports use the same law and transcoded by
 *   G.711's tables (cg_alaw_to_ulaw, cg_ulaw_to_alaw) when they differ: a bridge's audio is
 *   bit-exact. With two or more, the sources are decoded to linear (each in its own law),
 *   added in 32 bits, saturated to 16 bits once (so the order does not matter) and encoded
 *   in the port's law. With none, silence. Hear sets are one-way: setting p's set changes
 *   only what p hears.
 *
 *   A recording of port p is both directions of p's line mixed: rx[p] + tx[p] (the far party
 *   and whatever the port sends it: the parties it hears, prompts, tones), added in linear
 *   with saturation and encoded in p's law into a caller-owned buffer. When the buffer is
 *   full the recording stops, with an event.
 *
 * How does it work?
 *   Per frame and port, in port order: rx[p] is decoded to linear into one scratch buffer of
 *   the engine, the DTMF receiver (callgate/dtmf.h) and the armed caller ID receiver
 *   (callgate/cid.h) read it; a digit recognised while a barge-in prompt plays stops the
 *   prompt at the start of this frame (so by at most one frame after the digit's
 *   recognition). Then tx[p] is composed from the sources above: prompt codes are copied;
 *   tones (callgate/tone.h) and DTMF (callgate/dtmf_tx.h) are rendered in linear and encoded;
 *   a single heard source never leaves the G.711 domain; two or more are mixed
 *   CG_MEDIA_MIX_CHUNK samples at a time (each source's rx decoded once per port that hears
 *   it): two, as every leg of a three-leg conference, are added and saturated in one pass;
 *   three or more are summed in a 32-bit scratch accumulator first. With a recording, tx[p]
 *   is decoded again and mixed with rx[p]. Nothing is allocated; everything is in cg_media_t
 *   or in buffers the caller owns and keeps alive (prompt codes, recording buffers, caller ID
 *   receivers).
 *
 * Frames and time:
 *   A frame is any number of samples from 0 to CG_MEDIA_MAX_FRAME (40 ms); 10-20 ms (80-160
 *   samples) frames are usual. Event positions are in samples since cg_media_init(), the
 *   same clock for every port, and do not depend on the frame size (except a barge-in cut,
 *   which is at a frame start). Events come out in port order, and in time order per port.
 *   rx and tx buffers must not overlap; rx[p] may be NULL (the line sends silence) and so may
 *   tx[p] (the port's output is computed and dropped); rx itself may be NULL (every line
 *   silent) and so may tx (every output dropped).
 *
 * Figures (tests/dsp/test_media.py prints the sizes; bench/bench_media.c the speed):
 *   RAM: cg_media_t is about 8.3 KiB for CG_MEDIA_MAX_PORTS = 8 on Cortex-M4F: about 776
 *   bytes per port, most of it the DTMF receiver (callgate/dtmf.h), then the DTMF generator
 *   (116), the tone generator (52), prompt, recorder state, the hear set (a 4-byte mask)
 *   and the call-progress analyser's pointer; and about 2.3 KiB of scratch (two linear frames, one code frame, the 320-byte mixing
 *   buffer, detector events). A caller ID receiver (about 1.4 KiB) is the caller's, needed
 *   only on ports where caller ID is expected (while ringing). Code: about 3 KiB (-Os,
 *   Thumb-2). test_media.py prints the host's sizes.
 *   Cost per port per frame: the DTMF receiver (16 multiply-adds per sample) and one G.711
 *   decode per sample, always; plus an encode per sample for a tone or DTMF, a copy or a
 *   table transcode for a bridge, a decode and an add per source plus an encode per sample
 *   for a port hearing two or more, and a decode + mix + encode per sample when recording.
 *   On the bench host (x86-64, gcc -O3, 20 ms frames; bench_media throughput): 0.4 to 0.6 us
 *   per port and frame listening or playing a prompt, 0.8 to 1.5 us playing a tone, about
 *   1 us bridged, transcoded and recording: 13 000 to 50 000 ports in real time per core.
 *   On the Cortex-M4F (QEMU, instructions, not cycles; bench/MCU.md, `make bench-mcu`):
 *   about 43 instructions per sample per port listening, 73 bridged and recording, 107 as a
 *   leg of a three-leg conference that hears the other two, recording (of 262 a port may
 *   spend in 10 % of a 168 MHz core).
 */
#ifndef CALLGATE_MEDIA_H
#define CALLGATE_MEDIA_H

#include "callgate/cid.h"
#include "callgate/common.h"
#include "callgate/cpa_outbound.h"
#include "callgate/dtmf.h"
#include "callgate/tone.h"

#define CG_MEDIA_MAX_PORTS 8    /* ports per engine, at most */
#define CG_MEDIA_MAX_FRAME 320  /* samples per cg_media_process() call, at most (40 ms) */
#define CG_MEDIA_NO_PEER (-1)   /* cg_media_peer() of a port that is not bridged */
#define CG_MEDIA_MIX_CHUNK 80   /* samples mixed at a time (the accumulator: 4 bytes each) */

/* How a prompt ended: the value of its CG_EVENT_MEDIA_PROMPT_DONE event. */
#define CG_MEDIA_END_COMPLETE 0 /* played to its last code */
#define CG_MEDIA_END_BARGE_IN 1 /* cut by a DTMF digit heard on the port */

/* An engine event: the detector's or the source's event, and the port it concerns. */
typedef struct {
    int32_t port;
    uint32_t reserved_; /* 0; keeps the layout the same on every target */
    cg_event_t ev;      /* positions in samples since cg_media_init() */
} cg_media_event_t;

/* The most events one cg_media_process() call can write, for any frame of up to
 * CG_MEDIA_MAX_FRAME samples on every port: DTMF receiver, caller ID receiver, one each
 * for prompt, tone, DTMF sent and recording, and two of call-progress analysis (dial tone
 * heard, the result). */
#define CG_MEDIA_MAX_EVENTS                                                                \
    ((size_t) CG_MEDIA_MAX_PORTS *                                                         \
     (CG_DTMF_RX_MAX_EVENTS(CG_MEDIA_MAX_FRAME) + CG_CID_RX_MAX_EVENTS(CG_MEDIA_MAX_FRAME) + 6u))

typedef struct cg_media_s cg_media_t; /* the struct: callgate/private/media.h */

/* Start an engine of n_ports ports (1..CG_MEDIA_MAX_PORTS), every port idle in law, and the
 * engine clock at 0. */
int cg_media_init(cg_media_t *m, size_t n_ports, cg_law_t law);

/* Reset one port for a new call in law: stops its prompt, tone, DTMF, recording (the
 * recorded bytes are kept in the caller's buffer) and caller ID, takes it out of every hear
 * set (as cg_media_unbridge); restarts its DTMF receiver. */
int cg_media_port_init(cg_media_t *m, size_t port, cg_law_t law);

/*
 * One frame for every port. rx[p] holds n codes received on port p (in p's law), tx[p]
 * receives n codes to send. Writes the events of this frame to ev and returns how many;
 * CG_E_RANGE if n > CG_MEDIA_MAX_FRAME and CG_E_SPACE if max_ev < CG_MEDIA_MAX_EVENTS, both
 * before anything is processed.
 */
int cg_media_process(cg_media_t *m, const uint8_t *const rx[], uint8_t *const tx[], size_t n,
                     cg_media_event_t *ev, size_t max_ev);

/* The engine clock: samples processed since cg_media_init(). */
uint64_t cg_media_now(const cg_media_t *m);

/* --- Commands. Each checks its arguments: CG_E_RANGE for a port >= n_ports or a bad value,
 * CG_E_NULL for a missing pointer. They take effect from the next frame. ----------------- */

/* Play n G.711 codes (in the port's law) from codes, which must stay alive and unchanged
 * until the prompt's CG_EVENT_MEDIA_PROMPT_DONE event or cg_media_stop(). Replaces a prompt
 * that is playing (without an event for it). barge_in non-zero: the first DTMF digit heard on
 * the port stops it. n >= 1. */
int cg_media_play(cg_media_t *m, size_t port, const uint8_t *codes, size_t n, int barge_in);

/* Stop the prompt, if any, without an event. Returns the codes played of it. */
int cg_media_stop(cg_media_t *m, size_t port);

/* Play tone tone_index of built-in plan plan_index (cg_tone_plan_at, cg_tone_plan_tone) at its
 * level, replacing a tone that is playing. CG_E_UNKNOWN if there is no such plan or tone. */
int cg_media_tone(cg_media_t *m, size_t port, size_t plan_index, size_t tone_index);

/* Play a caller's tone (checked by cg_tone_check); tone->segments must outlive it. */
int cg_media_tone_desc(cg_media_t *m, size_t port, const cg_tone_desc_t *tone);

/* Stop the tone, if any, without an event. */
int cg_media_tone_stop(cg_media_t *m, size_t port);

/* Queue n DTMF digits to send at -10 dBm0, 50 ms on, 55 ms off (as cg_dtmf_tx_put: all or
 * nothing, CG_E_UNKNOWN for a non-digit, CG_E_SPACE if the queue is full). Returns n. */
int cg_media_dtmf(cg_media_t *m, size_t port, const char *digits, size_t n);

/* Port's hear set: from then on it hears the sum of the rx of the n ports in from (n = 0:
 * nothing; an entry twice counts once). Only port's own set changes: who hears port does
 * not. CG_E_RANGE, with nothing changed, for an entry >= n_ports or equal to port. */
int cg_media_hear(cg_media_t *m, size_t port, const size_t *from, size_t n);

/* The ports port hears, in ascending order: writes the first max of them to from and
 * returns how many there are (from may be NULL when max is 0). */
int cg_media_hears(const cg_media_t *m, size_t port, size_t *from, size_t max);

/* Connect ports a and b both ways (a != b): a hears only b, b hears only a. Each is first
 * unbridged (a former peer then hears silence; a conference it was in goes on without it). */
int cg_media_bridge(cg_media_t *m, size_t a, size_t b);

/* Take port out of every hear set, its own included: it hears nobody and nobody hears it.
 * For a two-party bridge: disconnect port and its peer. */
int cg_media_unbridge(cg_media_t *m, size_t port);

/* The port's peer: the port q such that port hears only q and q only port (a two-party
 * bridge); otherwise CG_MEDIA_NO_PEER (also for a bad port). */
int cg_media_peer(const cg_media_t *m, size_t port);

/* Record the port (rx + tx mixed, in its law) into buf, at most cap bytes (cap >= 1); buf must
 * stay alive until the recording stops. Replaces a recording in progress (without an
 * event). */
int cg_media_record(cg_media_t *m, size_t port, uint8_t *buf, size_t cap);

/* Stop the recording: returns the bytes written (also after it stopped itself because it
 * was full), or 0 if the port never recorded since its init. */
int cg_media_record_stop(cg_media_t *m, size_t port);

/* Bytes recorded so far on the port's current or last recording. */
size_t cg_media_record_bytes(const cg_media_t *m, size_t port);

/* Arm caller ID on the port with a receiver the caller owns (it must stay alive until disarmed
 * or the port is reset), started with cfg (NULL: cg_cid_rx_cfg_default with the port's law).
 * Events from it carry the port. */
int cg_media_cid_arm(cg_media_t *m, size_t port, cg_cid_rx_t *rx, const cg_cid_rx_cfg_t *cfg);

/* Detach the port's caller ID receiver (no event). */
int cg_media_cid_disarm(cg_media_t *m, size_t port);

/* Pass a line event (cg_cid_line_t) to the port's armed receiver; CG_E_RANGE if not armed. */
int cg_media_cid_line(cg_media_t *m, size_t port, int line_event);

/* The message of the port's latest caller ID message or error event (cg_cid_rx_message). */
int cg_media_cid_message(const cg_media_t *m, size_t port, cg_cid_msg_t *msg);

/* --- Call-progress analysis live on a port (callgate/cpa_outbound.h) ----------------------
 * An outbound call: the port seizes the line, the analyser listens to rx[p] from the next
 * frame. With cfg->no_dial_tone_ms > 0 it first waits for dial tone: a CG_EVENT_CPA_TONE
 * event (value: the plan's dial tone index, end: where it was recognised) says "dial now";
 * none in time ends the attempt with CG_EVENT_CPA_NO_DIAL_TONE. The caller then dials (e.g.
 * cg_media_dtmf; its CG_EVENT_MEDIA_DTMF_SENT marks the end) and says so with
 * cg_media_cpa_dialed(); the analyser then reports exactly one result event (busy,
 * congestion, no answer, SIT, fax, human, machine: CG_EVENT_CPA_*, as cg_cpa_process writes
 * it, positions moved to the engine clock, detail = seconds to decide) and is disarmed by
 * it. The analyser (about 0.9 KiB) is the caller's and must stay alive until then, or until
 * cg_media_cpa_disarm() or the port's reset. */
int cg_media_cpa_arm(cg_media_t *m, size_t port, cg_cpa_t *cpa, const cg_cpa_cfg_t *cfg);

/* Dialling ended at engine sample at (cg_media_now() or before, and not before the arm):
 * progress analysis starts there. CG_E_RANGE if the port has no armed analyser. */
int cg_media_cpa_dialed(cg_media_t *m, size_t port, uint64_t at);

/* Detach the port's analyser (no event). */
int cg_media_cpa_disarm(cg_media_t *m, size_t port);

/* Non-zero while the port has an armed analyser that has not decided. */
int cg_media_cpa_armed(const cg_media_t *m, size_t port);

#endif
