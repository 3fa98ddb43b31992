# The line-card vocabulary: the commands the firmware gives the line cards and the reports
# they give back. One flat JSON-compatible dict per message, keyed by plain strings, so the
# same dicts cross the virtual board's socket as JSON lines (hal_virtual.py,
# host/callgate/sim/lines.py) and an MCU board's line-card bus (hal_mcu.py). Both sides use
# the names below; this is the only place the vocabulary is written out.
#
# Commands: {"t": CMD_..., "port": n, ...}, made by calls.py, carried by hal's Board.do().
#   answer                              FXO: go off hook (the call is answered)
#   hangup                              go on hook; resets the port's audio (prompt, tone,
#                                       bridge, caller ID receiver, recording: a recording
#                                       still running ends with its last rec report)
#   play    {prompt, barge_in}          play prompts/PROMPT.wav of the active site's folder;
#                                       barge_in: a DTMF digit cuts it. The virtual board's
#                                       hal adds {key, wav}: the file's path:size and, the
#                                       first time on a connection, its bytes (base64)
#   tone    {plan, name}                a call-progress tone of a country plan (TONE_DIAL,
#                                       TONE_BUSY...)
#   stop                                stop the prompt and the tone playing
#   dtmf    {digits}                    send DTMF digits on the port
#   pulse   {digits}                    FXO: dial digits (0-9) by breaking the loop
#                                       (PULSE_* below); then, as after dtmf, call progress
#   bridge  {a, b}                      connect the audio of ports a and b
#   unbridge                            disconnect the port from its bridge (and from every
#                                       conference: nobody hears it, it hears nobody)
#   hear    {from}                      the port hears the sum of what the ports in from (a
#                                       list, [] for nobody) receive: one leg's row of a
#                                       conference's listen matrix (a supervisor's listen,
#                                       whisper, barge). Only the port's own hearing changes;
#                                       bridge, unbridge and hangup of a port in it reset it
#                                       as for a bridge
#   cid_arm [{standard, start}]         arm the caller ID receiver: standard bell202, v23 or
#                                       dtmf, opening at start CID_RING_END, reversal or alert
#                                       (without them: bell202 at ring end)
#   cid_disarm                          stop listening for caller ID
#   ring    {on[, number, name]}        FXS: ring the phone (with the caller's ID) or stop
#   seize                               FXO: go off hook to call out (the exchange gives dial
#                                       tone); hangup releases the line
#   cpa_arm {plan, dial_ms, no_answer_ms}
#                                       analyse the line's call progress with the country
#                                       plan's tones (CN, US, EU): first dial tone within
#                                       dial_ms (0: dialled already; a dial_tone report, or
#                                       the cpa result no-dial-tone), then, once the port's
#                                       queued DTMF digits (or pulses) are sent, exactly one
#                                       cpa report;
#                                       no answer after no_answer_ms of ringing
#   record  {id, file, kind, call, agent, queue, number}
#                                       record the port (both directions mixed, G.711) and
#                                       stream it back in rec reports; file, kind, call,
#                                       agent, queue and number are for the recording's index
#                                       (recorder.py), the line card needs only id
#   record_stop                         end the recording (a last rec report, end true)
#   clock   {ms}                        (no port; the virtual board's) the firmware took the
#                                       clock report of ms: its line cards run at most a
#                                       little ahead of it (sim/linecards.py, pacing)
#   hello   {fw, boot}                  (no port) the firmware started: sent once per connection
#                                       (before it, at connect, the line cards reset: every port
#                                       on hook, its audio stopped, no phone rung, as a board's
#                                       LINE_RESET at boot)
#
# Reports: {"what": REPORT_..., "port": n, ...}, read by ports.py and calls.py from hal's
# Board.line().
#   ring        {on}                    FXO: ringing voltage on the line started or stopped
#   loop        {on}                    FXO: loop current flows (off: the far end dropped it)
#   reversal                            FXO: the line's polarity reversed
#   hook        {off, at}               FXS: the phone's hook switch; at: when it moved, in
#                                       line-card time (a now_ms() value: a hang-up and a
#                                       pick-up read late, together, are still 1.5 s apart)
#   dtmf        {digit}                 a DTMF digit heard on the port
#   cid         {number, name, status}  a caller ID message ("ok", or why it is not)
#   prompt_done {prompt, reason}        a prompt ended: REASON_COMPLETE or REASON_BARGE_IN
#   tone_done                           a tone that does not repeat ended
#   disconnect  {method, tone}          disconnect supervision: e.g. method "tone", tone "busy"
#   error       {cmd, msg}              a command the line card refused (cmd: its "t")
#   dial_tone                           FXO, after cpa_arm with dial_ms: dial tone heard,
#                                       dial now
#   cpa         {result, ms, kind}      the call-progress result (once per cpa_arm): CPA_*
#                                       below; ms: the time it took to decide, from the end of
#                                       dialling (no-dial-tone: from the arm); kind: the tone
#                                       it heard (busy, congestion, sit, ced, cng) or the
#                                       greeting's length in ms (person, machine); sit: the
#                                       SIT's kind (SIT_KINDS), with result sit
#   rec         {id, seq, data, end}    a recording's next codes (base64; a HAL in the same
#                                       memory passes the bytes as "pcm" instead); end on
#                                       the last; lost: codes dropped before these (a line
#                                       card whose reports the app left waiting too long)
#   clock       {ms, epoch, rate}       (no port) the line cards' clock: ms since they started,
#                                       Unix seconds at that ms, how many times real time they
#                                       run; hal keeps it and never passes it on

from .compat import const

CMD_ANSWER = "answer"
CMD_HANGUP = "hangup"
CMD_PLAY = "play"
CMD_TONE = "tone"
CMD_STOP = "stop"
CMD_DTMF = "dtmf"
CMD_BRIDGE = "bridge"
CMD_UNBRIDGE = "unbridge"
CMD_HEAR = "hear"
CMD_CID_ARM = "cid_arm"
CMD_CID_DISARM = "cid_disarm"
CMD_RING = "ring"
CMD_RECORD = "record"
CMD_RECORD_STOP = "record_stop"
CMD_HELLO = "hello"
CMD_CLOCK = "clock"
CMD_SEIZE = "seize"
CMD_CPA_ARM = "cpa_arm"
CMD_PULSE = "pulse"
# Pulse dialling (loop disconnect, as rotary phones dial): each digit is that many breaks of the
# loop (0: ten) at 10 a second, 60 ms open and 40 ms closed, and 700 ms closed between digits.
PULSE_BREAK_MS = const(60)
PULSE_MAKE_MS = const(40)
PULSE_GAP_MS = const(700)
PULSE_DIGITS = "0123456789"


class Pulser:
    """A pulse-dialled number as the line card's hook switch plays it, one tick at a time: a
    line card (the MCU's hal_mcu.py, the virtual board's model) calls step() every tick_ms and
    opens the loop at "break", closes it at "make", and starts call progress at "done"."""

    def __init__(self, digits, tick_ms):
        for ch in digits:
            if ch not in PULSE_DIGITS:
                raise ValueError("pulse dialling has digits 0-9 only, not %r" % ch)
        self.digits = digits
        self.i = 0  # the next digit
        self.left = 0  # breaks left of the digit being dialled
        self.open = False
        self.wait = 0  # ticks to stay as we are
        self.ticks = (PULSE_BREAK_MS // tick_ms, PULSE_MAKE_MS // tick_ms, PULSE_GAP_MS // tick_ms)

    def step(self):
        """This tick's change: None, "break", "make" or "done" (after which step is not called)."""
        if self.wait > 0:
            self.wait -= 1
            return None
        brk, make, gap = self.ticks
        if self.open:
            self.open = False
            self.left -= 1
            self.wait = (make if self.left else gap) - 1
            return "make"
        if not self.left:
            if self.i == len(self.digits):
                return "done"
            d = self.digits[self.i]
            self.i += 1
            self.left = 10 if d == "0" else ord(d) - 48
        self.open = True
        self.wait = brk - 1
        return "break"

REPORT_RING = "ring"
REPORT_LOOP = "loop"
REPORT_REVERSAL = "reversal"
REPORT_HOOK = "hook"
REPORT_DTMF = "dtmf"
REPORT_CID = "cid"
REPORT_PROMPT_DONE = "prompt_done"
REPORT_TONE_DONE = "tone_done"
REPORT_DISCONNECT = "disconnect"
REPORT_ERROR = "error"
REPORT_REC = "rec"
REPORT_CLOCK = "clock"
REPORT_DIAL_TONE = "dial_tone"
REPORT_CPA = "cpa"

REASON_COMPLETE = "complete"  # prompt_done: it played to its end
REASON_BARGE_IN = "barge-in"  # ... a digit cut it
CID_OK = "ok"
CID_RING_END = "ring-end"  # cid_arm start: the window opens when the first ring ends
TONE_DIAL = "dial"
TONE_BUSY = "busy"
# cpa results: one per outbound attempt
CPA_NO_DIAL_TONE = "no-dial-tone"
CPA_BUSY = "busy"
CPA_CONGESTION = "congestion"
CPA_NO_ANSWER = "no-answer"
CPA_SIT = "sit"
CPA_FAX = "fax"
CPA_PERSON = "person"
CPA_MACHINE = "machine"
CPA_RESULTS = (CPA_NO_DIAL_TONE, CPA_BUSY, CPA_CONGESTION, CPA_NO_ANSWER, CPA_SIT, CPA_FAX, CPA_PERSON,
               CPA_MACHINE)
# A SIT's kind (the C core's cg_sit_kind_t, by value; host dsp/cpa.py SIT_KINDS): a cpa report's
# "sit". Reorder and no circuit say the network is busy: worth trying again, like congestion.
SIT_KINDS = ("unknown", "intercept", "vacant-code", "reorder", "no-circuit", "ineffective-other", "reserved")
SIT_AGAIN = ("reorder", "no-circuit")

COMMANDS = (CMD_ANSWER, CMD_HANGUP, CMD_PLAY, CMD_TONE, CMD_STOP, CMD_DTMF, CMD_BRIDGE,
            CMD_UNBRIDGE, CMD_HEAR, CMD_CID_ARM, CMD_CID_DISARM, CMD_RING, CMD_RECORD,
            CMD_RECORD_STOP, CMD_HELLO, CMD_CLOCK, CMD_SEIZE, CMD_CPA_ARM, CMD_PULSE)
REPORTS = (REPORT_RING, REPORT_LOOP, REPORT_REVERSAL, REPORT_HOOK, REPORT_DTMF, REPORT_CID,
           REPORT_PROMPT_DONE, REPORT_TONE_DONE, REPORT_DISCONNECT, REPORT_ERROR, REPORT_REC,
           REPORT_CLOCK, REPORT_DIAL_TONE, REPORT_CPA)
