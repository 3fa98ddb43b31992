# Calls: the inbound call flow of each FXO port, and the agent phones on the FXS ports.
#
# Pure logic, like ports.py: line-card reports and the time go in; link events (for the host)
# and line-card commands (for hal: answer, hangup, play, tone, stop, cid_arm, ring, bridge,
# unbridge, record, record_stop) come out,
# appended to the caller's lists. No samples: the media engine on the line cards detects
# DTMF and caller ID and plays prompts; this module only decides. One Call per FXO port is
# made at boot and reused for every call on it.
#
#   idle --first ring--> ringing      cid_arm; CALL ringing (a new call id)
#   ringing --cid--> ringing          CID number/name
#   ringing --ring N--> answered      answer; the port's state becomes "call"
#   answered --> prompt               play the welcome prompt, barge-in on
#   prompt --prompt_done--> collect   first-digit timer (a digit during the prompt cuts it)
#   collect --digit--> collect        DTMF; inter-digit timer
#   collect --end digit, max digits or timeout--> digits   CALL digits (the report)
#   digits --> ended                  hangup; CALL ended by=board
#   any answered state --loop drop, reversal or busy tone (those of the site's `disconnect`
#                         for the port)--> ended by=caller (hangup)
#   ringing --ringing stopped (ports.py's ring gap)--> ended by=caller, reason=abandoned
#
#   FXS: off hook -> dial tone; the first digit stops it; on hook -> stop. An agent's phone
#   (a site's FXS port) gets dial tone only when picked up without a call (acd.py). A
#   supervisor's phone may join an agent's call (listen, whisper, barge: supervise.py); the
#   session ends when any of the three hangs up.
#
# Configuration: board.json "calls": {"answer_rings", "prompt", "max_digits", "end_digit",
# "first_digit_ms", "digit_ms", "plan"}; the defaults below otherwise.
#
# With a site (use_site(): the compiled site.json in the flash, docs/site.md), an answered call
# on a port the site describes goes to the IVR (ivr.py), then the queue and an agent (acd.py),
# a survey, and ends with a call record (docs/callcenter.md has the whole flow):
#
#   answered --> menu             CALL menu {menu}; the IVR plays, waits, retries, falls back
#   menu --queue or operator--> queued     CALL queued {queue, position}; the recording notice,
#                                 the caller's position and the hold prompt in a loop
#   queued --an agent's phone rings--> offered   CALL offered {agent}; the host gets a screen pop
#   offered --the agent picks up--> connected    CALL connected {agent}; bridged, maybe recorded
#   connected --the agent hangs up--> survey     CALL survey; keys min..max per question
#   connected --the agent's hook flash + an agent's or a queue's extension--> transfer, queued
#                                 CALL transfer {agent, to}; offered to that agent alone, or
#                                 in that queue (an on-hook shorter than the site's flash_ms)
#   connected --hook flash + the site's outside prefix, a number and #--> transfer, outside
#                                 CALL transfer {agent, to, outside}, CALL outside {number,
#                                 trunk}: the board dials it on a free trunk that may call out
#                                 (outbound.py) while the caller holds; the agent wraps up
#   outside --a person or a machine answers--> outside (bridged trunk to trunk) --either hangs
#                                 up--> ended (by=caller, or by=callee: the outside party)
#   outside --any other outcome--> queued    CALL outside {result}; for the agent who
#                                 transferred it alone (no trunk to dial on: back to that
#                                 agent at once, CALL connected {refused})
#   survey --done--> ended by=board, reason=survey-done (no survey: ended by=agent)
#   queued --the queue's max wait--> its overflow: another queue, callback, voicemail, hang-up
#   menu or overflow --callback--> callback      the caller keys a number and #
#   menu or overflow --voicemail--> voicemail    a prompt, then the caller's message recorded
#   menu --hang-up key, or a play then hang up--> ended by=board, reason=ivr
#   menu --the site's ivr.limit: more prompts than `steps` in the whole call, or `seconds` in
#          one visit to the menus--> its `then` action (queue, operator, callback, voicemail),
#          or bye (its goodbye prompt) and ended by=board, reason=ivr-limit, when `then` is a
#          hang-up or the limit comes a second time: no caller stays in the menus for good
#   any of them --the caller hangs up--> ended by=caller, as above
#
# The steps inside survey, callback and voicemail (Call.step; the host sees only the state):
#
#   survey/intro --prompt_done--> survey/ask       the intro (if any), then each question
#   survey/ask --prompt_done--> survey/wait        the answer's timer (the site's survey ms)
#   survey/ask or wait --key--> survey/ask         a key out of min..max: the question once more
#              (the next question), or bye         in range, or a second miss: the next one
#   survey/wait --timeout--> the next question, or bye (the thanks prompt) when none is left
#   callback/ask --prompt_done or a key--> callback/keys    a key cuts the prompt and counts
#   callback/keys --#, 15 keys or timeout--> bye (the site's then-prompt; none: ended); with
#                     the site's callbacks the number waits in the queue in the caller's place
#                     and the board calls it back (callbacks.py)
#   voicemail/ask --prompt_done--> voicemail/rec   record the port, timer max_s
#   voicemail/rec --# or timeout--> ended by=board, reason=voicemail
#   bye --prompt_done--> ended                     a last prompt, then the board hangs up
#
# Every call that rang leaves one call record: sink(record) gets it when the call ends (the
# app writes it to the flash, cdr.py). Agents (FXS ports the site names) are acd.py's: their
# hook switch answers and ends calls; an agent phone without a call gets dial tone. A port whose
# caller ID comes before the first ring (the site's start: reversal or alert) keeps its
# receiver armed while idle; what it hears is the next call's if that rings within 10 s.

from . import cdr, linecard
from .agents import OFFHOOK, REST as _REST, TALKING, TONE_NO, TONE_OK
from .link import messages
from .compat import const, ticks_add, ticks_diff
from .ports import CALL, IDLE
from .outbound import NO_RESULT, DialError, Outbound
from .supervise import KEYS as _SUP_KEYS, Supervision

_ANSWER_RINGS = const(2)
_MAX_DIGITS = const(8)
_FIRST_DIGIT_MS = const(5000)
_DIGIT_MS = const(3000)

_NUMBER_MS = const(10000)  # callback: time for the first key after the prompt
_MAX_NUMBER = const(15)
_OUT_KEYS = const(25)  # an outside transfer's number: outbound.py's longest (24) and one (refused)
_HOLD_AGAIN_MS = const(5000)  # a hold prompt the line card refused is tried again after this:
# at once, a prompt that fails at once (a file that cannot be opened now) would be played
# again and again, a storm of commands and refusals that starves the board's other work
_FAILED = "failed"  # _prompt_done's reason for a play the line card refused
_EARLY_CID_MS = const(10000)  # caller ID before a ring belongs to a call ringing within this

# Call states (the "state" of CALL events)
S_IDLE = "idle"
S_RINGING = "ringing"
S_ANSWERED = "answered"
S_PROMPT = "prompt"
S_COLLECT = "collect"
S_DIGITS = "digits"
S_ENDED = "ended"
S_MENU = "menu"  # with a site: in the IVR
S_QUEUED = "queued"  # waiting in a queue
S_OFFERED = "offered"  # waiting, and an agent's phone rings for it
S_CONNECTED = "connected"  # talking to an agent
S_SURVEY = "survey"
S_CALLBACK = "callback"  # keying a number to be called back
S_VOICEMAIL = "voicemail"
S_BYE = "bye"  # a last prompt, then the board hangs up (not reported: the end is)
S_TRANSFER = "transfer"  # reported once: an agent transferred the call (it is queued again next)
S_OUTSIDE = "outside"  # transferred to an outside number: the trunk dials it, then they talk

# Call.step: where a call is inside survey, callback and voicemail (the table above)
_STEP_NONE = const(0)
_STEP_INTRO = const(1)  # survey: the intro plays
_STEP_ASK = const(2)  # survey: a question plays; callback, voicemail: their prompt plays
_STEP_WAIT = const(3)  # survey: waiting for the answer's key
_STEP_KEYS = const(4)  # callback: the caller keys the number
_STEP_REC = const(5)  # voicemail: the message is being recorded

_WAITING = (S_QUEUED, S_OFFERED)
_HANGUP_REPORTS = (linecard.REPORT_LOOP, linecard.REPORT_REVERSAL, linecard.REPORT_DISCONNECT)
_UP = (S_ANSWERED, S_PROMPT, S_COLLECT, S_DIGITS, S_MENU, S_QUEUED, S_OFFERED, S_CONNECTED,
       S_SURVEY, S_CALLBACK, S_VOICEMAIL, S_BYE, S_OUTSIDE)


class Call:
    # acd.py: a caller on the line. Waiting items that are not callers (callbacks.py's
    # Callback, dialer.py's Lead) are agent-first: an agent is rung, then their owner dials.
    agent_first = False

    def __init__(self, port):
        self.port = port
        self.id = 0
        self.state = S_IDLE
        self.rings = 0
        self.number = ""
        self.name = ""
        self.digits = ""
        self.deadline = 0
        self.timing = False
        self.ivr = None  # the port's IVR session, with a site
        self.answer_rings = 0  # the site's rings before answering (0: the board's setting)
        self.cid_arm = None  # the site's cid_arm command for this port; False: no caller ID
        self.trunk = ""  # the site's name of the port
        self.disconnect = None  # the site's hang-up methods for the port (None: all of them)
        self.pre_arm = False  # caller ID comes before the first ring (reversal, alert start):
        self.armed = False  # the receiver is armed while the port is idle
        self.early = None  # (number, name, status, ms) of caller ID heard before a ring
        # the call center (reset by _ring for each call)
        self.cdr = None  # the call record being filled in
        self.q = None  # acd.Queue while queued
        self.q_since = 0
        self.queued_at = None
        self.tried = []  # agents rung for this caller
        self.agent = None  # acd.Agent while connected
        self.playing = None  # the prompt playing, as far as the call flow cares
        self.step = _STEP_NONE  # the step inside survey, callback, voicemail
        self.heard_at = None  # when the caller last heard the position (ms)
        self.hold_again = None  # when to try a refused hold prompt again (ms), or None
        self.notice = False  # the recording notice is still to be played
        self.recording = None  # the file being recorded
        self.sq = 0  # survey question
        self.retry = 0
        self.then = None  # callback: the prompt after the number
        self.max_ms = 0  # voicemail: longest message
        self.bye = None  # S_BYE: (by, how)
        self.ivr_since = 0  # when this visit to the menus began (the site's ivr.limit seconds)
        self.ivr_steps = 0  # prompts the IVR played to this call (ivr.limit steps)
        self.limited = False  # the IVR limit sent it on once: a second time hangs up
        self.out = None  # outbound.Dial while the board calls out on this port (outbound.py)
        self.only = None  # acd.Agent: a call transferred to that agent is offered to it alone


class Calls:
    def __init__(self, port_defs, cfg=None, sink=None, epoch=None, boot=0, rand=None):
        cfg = cfg or {}
        self.answer_rings = cfg.get("answer_rings", _ANSWER_RINGS)
        self.prompt = cfg.get("prompt", "welcome")
        self.max_digits = cfg.get("max_digits", _MAX_DIGITS)
        self.end_digit = cfg.get("end_digit", "#")
        self.first_digit_ms = cfg.get("first_digit_ms", _FIRST_DIGIT_MS)
        self.digit_ms = cfg.get("digit_ms", _DIGIT_MS)
        self.plan = cfg.get("plan", "US")
        self.sink = sink  # sink(record): a call ended (cdr.py writes it)
        self.epoch = epoch or (lambda ms: ms)  # the board's ms -> Unix ms, for call records
        self.boot = boot  # in record ids: "<boot as 8 hex>-<call number>"
        if rand is None:
            import random

            rand = random.random
        self.rand = rand  # -> [0, 1): which calls a sampling recording policy records
        self.kinds = {}
        self.calls = {}
        for d in port_defs:
            self.kinds[d["n"]] = d["kind"]
            if d["kind"] == "fxo":
                self.calls[d["n"]] = Call(d["n"])
        self._all = list(self.calls.values())  # tick() walks this: no view object per tick
        self.dialing = {}  # FXS port -> True while its dial tone plays
        self.next_id = 1
        self.total = 0  # calls answered since boot
        self.ivr = None  # with a site: ivr.Ivr
        self.acd = None  # with a site: acd.Acd
        self.survey = None  # with a site that has one: the bundle's survey
        self.record_mode = "none"
        self.record_percent = 0
        self.notice = None  # the recording notice prompt
        self.clock = None  # with a site: () -> the site's local time tuple, or None
        self._acts = []  # the IVR's decisions, reused
        self._acd = []  # the ACD's
        self.outbound = Outbound(self)  # calls out on the FXO ports (outbound.py)
        self.dialer = None  # the campaigns' (dialer.py), made by campaigns()
        self._cp_loaded = False  # the campaigns on the flash are read at the first tick
        self.callbacks = None  # with a site that has them: callbacks.Callbacks
        self._cb_loaded = False  # their journal is read at the first tick (the sink is ready then)
        self.sup = Supervision()  # supervisors on agents' calls (supervise.py)
        self.flash_ms = 0  # the site's: an agent's on-hook shorter than this in a call is a flash
        self.flashing = {}  # agent port -> when it went on hook in a call (a flash, or a hang-up)
        self.xfer = {}  # agent port -> [call, keys]: keying a transfer after a flash
        self.targets = {}  # transfer digits -> acd.Agent or acd.Queue
        self.outside = None  # the site's outside prefix: a transfer to an outside number

    def use_site(self, bundle, clock=None, now=0, past=None, cut=True, cb_file=None):
        """Send answered calls on the site's FXO ports to its IVR, queues and agents (bundle:
        the compiled site.json, already parsed; None leaves the plain flow). clock() gives the
        site's local time for business hours; by default the board's clock (time.time(), UTC)
        and the site's offset. past, cut: the agents' states to go on from (acd.Acd). cb_file:
        the callbacks' journal (callbacks.py; default cb/callbacks.log)."""
        if not bundle:
            return
        from .acd import Acd
        from .ivr import Ivr

        self.ivr = Ivr(bundle)
        self.acd = Acd(bundle, self.epoch, now, past, cut)
        self.flash_ms = bundle["agents"]["flash_ms"]
        self.outside = bundle["agents"]["outside"]
        self.targets = {}
        for a in self.acd.order:
            self.targets[a.ext] = a
        for q in self.acd.queues.values():
            if q.ext:
                self.targets[q.ext] = q
        for n, c in self.calls.items():
            if n in self.ivr.sessions:
                c.ivr = self.ivr.session(n)
        for p in bundle["ports"]:  # bundle.check() has seen every field
            c = self.calls.get(p["n"])
            if c is None:
                continue
            c.trunk = p["name"]
            if p["disconnect"]:
                c.disconnect = tuple(p["disconnect"])
            c.answer_rings = p["rings"]
            if p["cid"]:
                if p["cid"] == "none":
                    c.cid_arm = False
                else:  # the line card's receiver: standard bell202, v23 or dtmf, and when it opens
                    c.cid_arm = {"t": linecard.CMD_CID_ARM, "port": c.port, "standard": p["cid"],
                                 "start": p["cid_start"]}
                    c.pre_arm = c.cid_arm["start"] != linecard.CID_RING_END
        self.survey = bundle["survey"]
        rec = bundle["recording"]
        self.record_mode = rec["mode"]
        self.record_percent = rec["percent"]
        self.notice = rec["announce"]
        if clock is None and self.ivr.week is not None:
            import time

            def clock():
                return self.ivr.local_time(int(time.time()))

        self.clock = clock
        self.outbound.use_site(bundle)
        can_dial = False
        for t in self.outbound.trunks.values():
            can_dial = can_dial or t.allow
        if bundle.get("callbacks") and can_dial:  # (else the numbers are only kept in the records)
            from .callbacks import FILE, Callbacks

            self.callbacks = Callbacks(self, bundle["callbacks"], cb_file or FILE)

    def dial(self, number, trunk, prompt, now_ms, ports, ev, cmd):
        """Call out (outbound.py): returns the call's ids; DialError if it cannot."""
        return self.outbound.dial(number, trunk, prompt, now_ms, ports, ev, cmd)

    def agent_alone(self, g, cmd):
        """Agent g is left on the line with nobody (an agent-first call that did not come to a
        bridge): busy tone until they hang up, and free for the next call then."""
        cmd.append({"t": linecard.CMD_TONE, "port": g.port, "plan": self.plan, "name": linecard.TONE_BUSY})
        self.dialing[g.port] = True  # stopped when the agent hangs up
        self.acd.caller_gone(g)

    def campaigns(self):
        """The campaigns' dialler (dialer.py), made at first use."""
        if self.dialer is None:
            from .dialer import Dialer

            self.dialer = Dialer(self)
        return self.dialer

    def status(self):
        return [{"port": c.port, "call": c.id, "state": c.state} for c in self._all]

    def agents(self, now=0):
        """Every agent: state, reason, since (Unix ms), calls since boot and today."""
        if self.acd is None:
            return []
        return [self.acd.staff.status(a, now) for a in self.acd.order]

    def busy(self):
        """How many calls are up (ringing included), agents not at rest (ringing, talking, in
        wrap-up, off hook) and records waiting for a disposition: a new site waits for 0."""
        n = 0
        for c in self._all:
            if c.state != S_IDLE:
                n += 1
        if self.acd is not None:
            for a in self.acd.order:
                if a.state not in _REST:
                    n += 1
            n += self.acd.staff.held()
        return n

    def agent_do(self, ext, do, reason, now, ports, ev, cmd):
        """A link request for the agent with extension ext: login, logout, ready, pause (with
        a reason of the site's). Returns the agent's status; KeyError: no such agent;
        ValueError: it cannot be (an unknown reason, a pause while logged out)."""
        a = None
        if self.acd is not None:
            for g in self.acd.order:
                if g.ext == ext:
                    a = g
        if a is None:
            raise KeyError(ext)
        if not self.acd.staff.ask(a, do, reason, now, self._acd):
            raise ValueError(do)
        if a.state == "ringing" and a.base != "ready":
            self.acd.choose(a, a.base, a.base_reason, now, self._acd)
        self._acd_acts(now, ports, ev, cmd)
        return self.acd.staff.status(a, now)

    def flush(self):
        """Let go of the records that wait for a disposition (the app stops, a site reloads)."""
        if self.acd is not None:
            out = []
            self.acd.staff.flush(out)
            for a in out:
                if self.sink is not None:
                    self.sink(a[1])

    # -- inputs ------------------------------------------------------------------------------

    def line(self, report, now_ms, ports, ev, cmd):
        """Take one line-card report (ports.line() has already seen it)."""
        n = report.get("port")
        what = report.get("what")
        kind = self.kinds.get(n)
        if kind == "fxs":
            if what == linecard.REPORT_DTMF:  # a phone's keys: the dial tone and feature codes care
                ev.append((messages.EV_DTMF, {"port": n, "digit": report.get("digit"), "call": 0}))
                if self.dialing.get(n):
                    self._dial_tone(n, False, cmd)
                if self.acd is not None and n in self.acd.agents:
                    self._agent_key(n, report.get("digit") or "", now_ms, ports, ev, cmd)
            elif what == linecard.REPORT_HOOK:
                off = bool(report.get("off"))
                if self.acd is not None and n in self.acd.agents:
                    self._agent_hook(n, off, now_ms, report.get("at", now_ms), ports, ev, cmd)
                else:
                    self._dial_tone(n, off, cmd)
            return
        c = self.calls.get(n)
        if c is None:
            return
        if c.out is not None:  # the board calls out on this port
            self.outbound.line(c, report, now_ms, ports, ev, cmd)
            return
        if what == linecard.REPORT_RING:
            if report.get("on"):
                self._ring(c, now_ms, ports, ev, cmd)
        elif what == linecard.REPORT_CID:
            if c.state == S_IDLE:  # before the first ring (reversal or alert start): kept for it
                c.early = (report.get("number") or "", report.get("name") or "", report.get("status", "ok"), now_ms)
            else:
                c.number = report.get("number") or ""
                c.name = report.get("name") or ""
                c.cdr["number"] = c.number
                c.cdr["name"] = c.name
                c.cdr["cid"] = report.get("status", linecard.CID_OK)
                ev.append(
                    (
                        messages.EV_CID,
                        {
                            "port": n,
                            "call": c.id,
                            "number": c.number,
                            "name": c.name,
                            "status": report.get("status", linecard.CID_OK),
                        },
                    )
                )
        elif what == linecard.REPORT_DTMF:
            d = report.get("digit") or ""
            ev.append((messages.EV_DTMF, {"port": n, "digit": d, "call": c.id}))
            self._dtmf(c, d, now_ms, ports, ev, cmd)
        elif what == linecard.REPORT_PROMPT_DONE or (what == linecard.REPORT_ERROR and report.get("cmd") == linecard.CMD_PLAY):
            # a prompt the line card could not play: carry on as if it had ended
            name = report.get("prompt") if what == linecard.REPORT_PROMPT_DONE else None
            reason = report.get("reason", linecard.REASON_COMPLETE) if what == linecard.REPORT_PROMPT_DONE else _FAILED
            self._prompt_done(c, name, reason, now_ms, ports, ev, cmd)
        elif what == linecard.REPORT_ERROR:  # (said on the console: the evidence of a call gone wrong)
            print("calls: port", n, "line card refused", report.get("cmd"), report.get("msg"))
        elif what in _HANGUP_REPORTS:
            if what == linecard.REPORT_LOOP and report.get("on"):
                return
            how = "loop-drop" if what == linecard.REPORT_LOOP else ("busy" if what == linecard.REPORT_DISCONNECT else what)
            if c.state in _UP and (c.disconnect is None or how in c.disconnect):
                if what == linecard.REPORT_DISCONNECT:
                    how = report.get("tone") or how
                self._end(c, "caller", how, now_ms, ports, ev, cmd)

    def tick(self, now_ms, ports, ev, cmd):
        cbs = self.callbacks
        if cbs is not None:
            if not self._cb_loaded:
                self._cb_loaded = True
                cbs.load(now_ms, ev)
            cbs.tick(now_ms, ev)
        if not self._cp_loaded:  # the campaigns on the flash, at the first tick (as callbacks)
            self._cp_loaded = True
            from .dialer import on_flash

            if on_flash():
                self.campaigns().load_all(now_ms)
        if self.dialer is not None:
            self.dialer.tick(now_ms, ports, ev, cmd)
        for c in self._all:
            if c.out is not None:
                self.outbound.tick(c, now_ms, ports, ev, cmd)
                continue
            if c.pre_arm and not c.armed and c.state == S_IDLE:
                cmd.append(c.cid_arm)  # caller ID before the first ring: listen while idle
                c.armed = True
            if c.state == S_RINGING and ports.state(c.port) == IDLE:
                self._end(c, "caller", "abandoned", now_ms, ports, ev, cmd)  # stopped ringing unanswered
            elif c.state == S_MENU and ticks_diff(now_ms, c.ivr_since) >= self.ivr.max_ms:
                self._acts.clear()
                self._ivr_limit(c, now_ms, ports, ev, cmd)  # in the menus too long, whatever it waits for
            elif c.timing and ticks_diff(now_ms, c.deadline) >= 0:
                c.timing = False
                self._timeout(c, now_ms, ports, ev, cmd)
            if c.hold_again is not None and ticks_diff(now_ms, c.hold_again) >= 0:
                c.hold_again = None
                if c.playing is None and (c.state in _WAITING or c.state == S_OUTSIDE):
                    self._hold(c, now_ms, cmd)
        if self.acd is not None:
            if self.flashing:
                for n in list(self.flashing):
                    t = self.flashing[n]
                    if ticks_diff(now_ms, t) >= self.flash_ms:  # on hook too long for a flash: hung up then
                        del self.flashing[n]
                        self._agent_onhook(n, t, ports, ev, cmd)
            self.acd.tick(now_ms, self._acd)
            self._acd_acts(now_ms, ports, ev, cmd)

    # -- the flow ----------------------------------------------------------------------------

    def _ring(self, c, now, ports, ev, cmd):
        if c.state == S_IDLE:
            c.id = self.next_id
            self.next_id += 1
            c.rings = 0
            c.number = c.name = c.digits = ""
            c.timing = False
            c.q = c.queued_at = c.agent = c.playing = c.recording = c.bye = c.only = c.hold_again = None
            c.step = _STEP_NONE
            c.ivr_steps = 0
            c.limited = False
            c.cdr = cdr.new("%08x-%d" % (self.boot, c.id), c.port, c.trunk, self.epoch(now))
            if c.cid_arm is None:
                cmd.append({"t": linecard.CMD_CID_ARM, "port": c.port})
            elif c.cid_arm and not c.pre_arm:
                cmd.append(c.cid_arm)
            c.state = S_RINGING
            early, c.early = c.early, None
            if early is not None and ticks_diff(now, early[3]) < _EARLY_CID_MS:
                c.number, c.name = early[0], early[1]
                c.cdr["number"], c.cdr["name"], c.cdr["cid"] = early[0], early[1], early[2]
        if c.state != S_RINGING:
            return
        c.rings += 1
        if c.rings == 1:
            ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_RINGING, "rings": 1}))
            if c.cdr["cid"] is not None:  # it came before the ring
                ev.append((messages.EV_CID, {"port": c.port, "call": c.id, "number": c.number, "name": c.name,
                                             "status": c.cdr["cid"]}))
        if c.rings >= (c.answer_rings or self.answer_rings):
            cmd.append({"t": linecard.CMD_ANSWER, "port": c.port})
            self.total += 1
            c.state = S_ANSWERED
            c.cdr["answered"] = self.epoch(now)
            ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_ANSWERED, "rings": c.rings}))
            ports.move(c.port, CALL, ev)
            if c.ivr is not None:
                c.state = S_MENU
                c.ivr_since = now
                self.ivr.start(c.ivr, self.clock() if self.clock else None, self._acts)
                self._ivr_acts(c, now, ports, ev, cmd)
                return
            cmd.append({"t": linecard.CMD_PLAY, "port": c.port, "prompt": self.prompt, "barge_in": True})
            c.state = S_PROMPT
            ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_PROMPT, "prompt": self.prompt}))

    def _dtmf(self, c, d, now, ports, ev, cmd):
        st = c.state
        if st == S_MENU:
            ivr = c.cdr["ivr"]
            if ivr:
                ivr[-1][1] += d
            self.ivr.digit(c.ivr, d, self._acts)
            self._ivr_acts(c, now, ports, ev, cmd)
        elif st in (S_PROMPT, S_COLLECT, S_ANSWERED):
            self._digit(c, d, now, ports, ev, cmd)
        elif st == S_SURVEY:
            self._survey_key(c, d, now, ports, ev, cmd)
        elif st == S_CALLBACK:
            if c.step == _STEP_ASK:
                cmd.append({"t": linecard.CMD_STOP, "port": c.port})  # barge-in
                c.step = _STEP_KEYS
            if d == "#" or len(c.digits) >= _MAX_NUMBER:
                self._callback_done(c, now, ports, ev, cmd)
            else:
                c.digits += d
                self._timer(c, now, self.digit_ms)
        elif st == S_VOICEMAIL and c.step == _STEP_REC and d == "#":
            self._end(c, "board", "voicemail", now, ports, ev, cmd)

    def _prompt_done(self, c, name, reason, now, ports, ev, cmd):
        st = c.state
        if st == S_MENU:
            self.ivr.prompt_done(c.ivr, name, reason, self._acts)
            self._ivr_acts(c, now, ports, ev, cmd)
            return
        if st == S_PROMPT:
            self._set(c, S_COLLECT, ev)
            self._timer(c, now, self.first_digit_ms if not c.digits else self.digit_ms)
            return
        if reason == linecard.REASON_BARGE_IN or c.playing is None or (name is not None and name != c.playing):
            return  # not the prompt this step waits for (a stopped hold prompt, a cut question)
        c.playing = None
        if (st in _WAITING or st == S_OUTSIDE) and reason == _FAILED:
            c.hold_again = ticks_add(now, _HOLD_AGAIN_MS)  # not at once (_HOLD_AGAIN_MS)
        elif st in _WAITING or st == S_OUTSIDE:
            self._hold(c, now, cmd)
        elif st == S_SURVEY:
            if c.step == _STEP_INTRO:
                self._survey_ask(c, cmd)
            elif c.step == _STEP_ASK:
                c.step = _STEP_WAIT
                self._timer(c, now, self.survey["ms"])
        elif st == S_CALLBACK and c.step == _STEP_ASK:
            c.step = _STEP_KEYS
            self._timer(c, now, _NUMBER_MS)
        elif st == S_VOICEMAIL and c.step == _STEP_ASK:
            c.step = _STEP_REC
            self._record(c, "voicemail", cmd)
            self._timer(c, now, c.max_ms)
        elif st == S_BYE:
            by, how = c.bye
            self._end(c, by, how, now, ports, ev, cmd)

    def _timeout(self, c, now, ports, ev, cmd):
        st = c.state
        if st == S_COLLECT:
            self._report(c, "timeout", now, ports, ev, cmd)
        elif st == S_MENU:
            self.ivr.timeout(c.ivr, self._acts)
            self._ivr_acts(c, now, ports, ev, cmd)
        elif st == S_SURVEY:
            self._survey_next(c, now, ports, ev, cmd)
        elif st == S_CALLBACK:
            self._callback_done(c, now, ports, ev, cmd)
        elif st == S_VOICEMAIL:
            self._end(c, "board", "voicemail", now, ports, ev, cmd)

    def _digit(self, c, d, now, ports, ev, cmd):
        c.digits += d
        if c.state != S_COLLECT:
            # a digit while the prompt plays: the engine cut the prompt (barge-in)
            self._set(c, S_COLLECT, ev)
        if d == self.end_digit or len(c.digits) >= self.max_digits:
            self._report(c, d if d == self.end_digit else "max", now, ports, ev, cmd)
        else:
            self._timer(c, now, self.digit_ms)

    def _report(self, c, end, now, ports, ev, cmd):
        c.timing = False
        c.state = S_DIGITS
        c.cdr["digits"] = c.digits
        ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_DIGITS, "digits": c.digits, "end": end}))
        self._end(c, "board", "done", now, ports, ev, cmd)

    def _ivr_acts(self, c, now, ports, ev, cmd):
        """The IVR's actions (ivr.py) for call c -> line-card commands and CALL events, within
        the site's bound on a call's time in the menus (ivr.limit: seconds per visit, prompts
        over the whole call)."""
        acts = self._acts
        if ticks_diff(now, c.ivr_since) >= self.ivr.max_ms:
            acts.clear()
            self._ivr_limit(c, now, ports, ev, cmd)
            return
        i = 0
        while i < len(acts):
            a = acts[i]
            i += 1
            t = a[0]
            if t == "play":
                c.ivr_steps += 1
                if c.ivr_steps > self.ivr.max_steps:
                    acts.clear()
                    self._ivr_limit(c, now, ports, ev, cmd)
                    return
                cmd.append({"t": linecard.CMD_PLAY, "port": c.port, "prompt": a[1], "barge_in": a[2]})
            elif t == "stop":
                cmd.append({"t": linecard.CMD_STOP, "port": c.port})
            elif t == "wait":
                if a[1]:
                    self._timer(c, now, a[1])
                else:
                    c.timing = False
            elif t == "menu":
                c.cdr["ivr"].append([a[1], ""])
                ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_MENU, "menu": a[1]}))
            elif t == "hangup":
                acts.clear()
                self._end(c, "board", "ivr", now, ports, ev, cmd)
                return
            else:  # queue, operator, callback, voicemail: the IVR is done with the call
                acts.clear()
                self._action(c, a, now, ports, ev, cmd)
                return
        acts.clear()

    def _ivr_limit(self, c, now, ports, ev, cmd):
        """The call has been in the menus too long (a silent caller in menus that fall back to
        each other, say): the site's ivr.limit `then` action, or, when that is a hang-up or the
        limit comes a second time, its goodbye prompt and the hang-up (reason ivr-limit)."""
        self.ivr.stop(c.ivr)
        c.timing = False
        cmd.append({"t": linecard.CMD_STOP, "port": c.port})
        then = self.ivr.limit_then
        if c.limited or then[0] == "hangup":
            self._goodbye(c, self.ivr.bye, "board", "ivr-limit", now, ports, ev, cmd)
        else:
            c.limited = True
            self._action(c, then, now, ports, ev, cmd)

    def _action(self, c, a, now, ports, ev, cmd):
        """Where the IVR or a queue's overflow sends the call (an ivr.py action tuple)."""
        c.timing = False
        t = a[0]
        if t == "queue" or t == "operator":
            q = self.acd.queue(a[1]) if self.acd is not None else None
            if q is None:  # a site without that queue (the check refuses it): do not strand the caller
                self._end(c, "board", "no-queue", now, ports, ev, cmd)
                return
            self._enqueue(c, q, t == "operator", now, ports, ev, cmd)
        elif t == "callback":
            self._set(c, S_CALLBACK, ev)
            c.digits = ""
            c.then = a[2]
            self._play(c, a[1], True, _STEP_ASK, cmd)
        elif t == "voicemail":
            self._set(c, S_VOICEMAIL, ev)
            c.max_ms = a[2] * 1000
            self._play(c, a[1], False, _STEP_ASK, cmd)
        elif t == "menu" and c.ivr is not None:
            c.state = S_MENU
            c.ivr_since = now
            self.ivr.enter(c.ivr, a[1], self._acts)
            self._ivr_acts(c, now, ports, ev, cmd)
        else:
            self._end(c, "board", "ivr" if t == "hangup" else t, now, ports, ev, cmd)

    # -- the queue and the agents ----------------------------------------------------------

    def _enqueue(self, c, q, operator, now, ports, ev, cmd):
        first = c.queued_at is None
        self.acd.enqueue(c, q.name, now)
        c.state = S_QUEUED
        c.cdr["queue"] = q.name
        c.cdr["queues"].append(q.name)
        if first:
            c.cdr["queued"] = self.epoch(now)
            c.notice = bool(self.notice) and (q.record is True or (q.record is None and self.record_mode != "none"))
        c.heard_at = None
        v = {"port": c.port, "call": c.id, "state": S_QUEUED, "queue": q.name, "position": self.acd.position(c)}
        if operator:
            v["operator"] = True
        ev.append((messages.EV_CALL, v))
        cmd.append({"t": linecard.CMD_STOP, "port": c.port})
        self._hold(c, now, cmd)
        self.acd.tick(now, self._acd)  # a free agent is rung at once
        self._acd_acts(now, ports, ev, cmd)

    def _hold(self, c, now, cmd):
        """What a waiting caller hears next: the recording notice once, their position (when
        it is time to say it again), else the hold prompt; while the outside number a
        transfer dials rings, the hold prompt."""
        q = c.q
        if c.state == S_OUTSIDE:
            self._play(c, q.hold, False, _STEP_NONE, cmd)
        elif c.notice:
            c.notice = False
            self._play(c, self.notice, False, _STEP_NONE, cmd)
        elif q.positions and (c.heard_at is None or ticks_diff(now, c.heard_at) >= q.announce_ms):
            c.heard_at = now
            pos = self.acd.position(c)
            self._play(c, q.positions[min(max(pos, 1), len(q.positions)) - 1], False, _STEP_NONE, cmd)
        elif q.hold:
            self._play(c, q.hold, False, _STEP_NONE, cmd)

    def _agent_hook(self, n, off, now, at, ports, ev, cmd):
        """An agent's phone (an FXS port the site names) went off or on hook, at line-card
        time `at`: a flash is timed by when the switch moved, not by when its reports were
        read (a busy firmware may read a hang-up and the next pick-up together)."""
        g = self.acd.agents[n]
        if off and n in self.flashing:
            t = self.flashing.pop(n)
            if ticks_diff(at, t) < self.flash_ms:  # back off hook within flash_ms: a hook flash
                self._flash(g, now, ports, ev, cmd)
                return
            self._agent_onhook(n, t, ports, ev, cmd)  # on hook longer: a hang-up, then this pick-up
        if not off and self.flash_ms and g.state == TALKING and g.call is not None and n not in self.xfer:
            self.flashing[n] = at  # a flash or a hang-up: the next off hook or tick() says which
            return
        if off:
            self.acd.offhook(n, now, self._acd)
            if self.acd.agents[n].state == OFFHOOK:  # picked up without a call
                self._dial_tone(n, True, cmd)
            self._acd_acts(now, ports, ev, cmd)
        else:
            self._agent_onhook(n, now, ports, ev, cmd)

    def _agent_onhook(self, n, now, ports, ev, cmd):
        x = self.xfer.pop(n, None)
        if x is not None:  # hung up while keying a transfer: the call goes on as after a hang-up
            cmd.append({"t": linecard.CMD_STOP, "port": x[0].port})  # (the hold prompt)
        s = self.sup.of(n)
        if s is not None:  # a supervisor hung up: out of the call
            self.sup.end(s, now, ev, cmd)
        if self.dialing.get(n) or self.acd.agents[n].state == TALKING:
            self._dial_tone(n, False, cmd)  # dial tone, or the busy tone of a caller gone
        self.acd.onhook(n, now, self._acd)
        self._acd_acts(now, ports, ev, cmd)

    def _agent_key(self, n, d, now, ports, ev, cmd):
        """A key on an agent's phone: a feature code's when off hook without a call or after
        the caller hung up (agents.py)."""
        a = self.acd.agents[n]
        if n in self.xfer:
            self._xfer_key(a, d, now, ports, ev, cmd)
            return
        s = self.sup.of(n)
        if s is not None:  # a supervisor in a session: 1 listen, 2 whisper, 3 barge
            if d in _SUP_KEYS:
                self.sup.switch(s, _SUP_KEYS[d], now, ev, cmd)
            return
        if a.state == OFFHOOK or (a.state == TALKING and a.call is None):
            self.acd.staff.key(a, d, now, self._acd)
            self._acd_acts(now, ports, ev, cmd)

    def _acd_acts(self, now, ports, ev, cmd):
        """The ACD's decisions -> commands and events. Taken one at a time from the front, as
        acting on one (an overflow into another queue, a hang-up) may add more."""
        acts = self._acd
        while acts:
            a = acts.pop(0)
            t = a[0]
            if t == "agent":
                g = a[1]
                v = {"port": g.port, "ext": g.ext, "name": g.name, "state": g.state, "reason": g.reason,
                     "since": g.start, "call": g.call.id if g.call is not None else 0}
                if len(a) > 2:
                    v["why"] = a[2]
                ev.append((messages.EV_AGENT, v))
            elif t == "record":
                if self.sink is not None:
                    self.sink(a[1])
            elif t == "confirm":
                g = a[1]
                cmd.append({"t": linecard.CMD_TONE, "port": g.port, "plan": self.plan,
                            "name": TONE_OK if a[2] else TONE_NO})
                self.dialing[g.port] = True  # stopped when the agent hangs up
            elif t == "ring" and a[2].agent_first:
                g, c = a[1], a[2]
                cmd.append({"t": linecard.CMD_RING, "port": g.port, "on": True, "number": c.number, "name": c.name})
                c.owner.rung(c, g, ev)
                pop = {"port": g.port, "ext": g.ext, "agent": g.name, "call": 0, "trunk": None,
                       "number": c.number, "name": c.name, "ivr": [], "queue": c.q.name,
                       "waited_ms": ticks_diff(now, c.queued_at)}
                pop.update(c.pop)
                ev.append((messages.EV_POP, pop))
            elif t == "supervise":
                self._supervise(a[1], a[2], a[3], now, ev, cmd)
            elif t == "ring":
                g, c = a[1], a[2]
                cmd.append({"t": linecard.CMD_RING, "port": g.port, "on": True, "number": c.number, "name": c.name})
                c.cdr["offered"] += 1
                if c.state != S_OFFERED:
                    c.state = S_OFFERED
                    ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_OFFERED, "agent": g.ext}))
                ev.append((messages.EV_POP, {"port": g.port, "ext": g.ext, "agent": g.name, "call": c.id,
                                             "trunk": c.port, "number": c.number, "name": c.name,
                                             "ivr": c.cdr["ivr"], "queue": c.q.name,
                                             "waited_ms": ticks_diff(now, c.queued_at)}))
            elif t == "unring":
                g, c = a[1], a[2]
                cmd.append({"t": linecard.CMD_RING, "port": g.port, "on": False})
                if c is not None and c.agent_first:
                    c.owner.unrung(c, ev)
                elif c is not None and c.state == S_OFFERED and not self.acd.ringing(c) is not None:
                    c.state = S_QUEUED
            elif t == "connect" and a[2].agent_first:  # the agent is there: now dial
                a[2].owner.connect(a[1], a[2], now, ports, ev, cmd)
            elif t == "connect":
                self._connect(a[1], a[2], now, ev, cmd)
            elif t == "left":
                g, c = a[1], a[2]
                if c is not None and c.agent_first:
                    c.owner.agent_left(g, c, now, ports, ev, cmd)
                elif c is not None and c.state == S_CONNECTED:
                    self._agent_left(c, g, now, ports, ev, cmd)
            elif t == "overflow":
                c = a[1]
                self._overflow(c, now, ports, ev, cmd)

    def _supervise(self, g, mode, ext, now, ev, cmd):
        """Supervisor g keyed mode's code and ext: join ext's call, or the refusal tone (not
        off hook without a call, no such agent or g itself, not talking to a caller, or
        someone supervises the call already)."""
        target = None
        for b in self.acd.order:
            if b.ext == ext and b is not g:
                target = b
        c = target.call if target is not None and target.state == TALKING else None
        if g.state != OFFHOOK or c is None or c.state != S_CONNECTED or c.agent is not target or self.sup.watching(c):
            self._acd.append(("confirm", g, False))
            return
        self._dial_tone(g.port, False, cmd)
        self.sup.start(g, target, c, mode, now, ev, cmd)

    def _unsupervise(self, c, now, ev, cmd):
        """The call's agent or caller left: its supervisor's session ends, with busy tone."""
        s = self.sup.watching(c)
        if s is not None:
            self.sup.end(s, now, ev, cmd)
            cmd.append({"t": linecard.CMD_TONE, "port": s.sup.port, "plan": self.plan, "name": linecard.TONE_BUSY})
            self.dialing[s.sup.port] = True  # stopped when the supervisor hangs up

    # -- hook flash: blind transfer ----------------------------------------------------------

    def _flash(self, g, now, ports, ev, cmd):
        """Agent g flashed the hook in their call: the caller holds, the agent gets dial tone
        and keys where the call goes (_xfer_key)."""
        c = g.call
        if c is None or c.state != S_CONNECTED or c.agent is not g:
            return  # the caller left meanwhile: the agent goes on hearing busy tone
        self._unsupervise(c, now, ev, cmd)
        cmd.append({"t": linecard.CMD_UNBRIDGE, "port": c.port})
        if c.q.hold:
            self._play(c, c.q.hold, False, _STEP_NONE, cmd)
        self.xfer[g.port] = [c, ""]
        self._dial_tone(g.port, True, cmd)

    def _xfer_key(self, g, d, now, ports, ev, cmd):
        """A key of the transfer's digits: an agent's extension or a queue's, ended by the only
        one it can be or by #; or the site's outside prefix, a number and # (_outside)."""
        x = self.xfer[g.port]
        x[1] += d
        k = x[1]
        p = self.outside
        if p and k.startswith(p):  # an outside number: until # (or one key too many)
            if d != "#" and len(k) < len(p) + _OUT_KEYS:
                return
            del self.xfer[g.port]
            if d == "#":
                k = k[:-1]
            self._outside(g, x[0], k, k[len(p):], now, ports, ev, cmd)
            return
        if k.endswith("#"):
            k = k[:-1]
        elif p and p.startswith(k):
            return  # the outside prefix's first keys
        else:
            for e in self.targets:
                if e != k and e.startswith(k):
                    return  # more keys to come
        del self.xfer[g.port]
        self._transfer(g, x[0], k, self.targets.get(k), now, ports, ev, cmd)

    def _transfer(self, g, c, k, target, now, ports, ev, cmd):
        cmd.append({"t": linecard.CMD_STOP, "port": c.port})  # the hold prompt
        if target is None or target is g:  # nowhere: back to the caller (the agent hears them again)
            cmd.append({"t": linecard.CMD_BRIDGE, "port": c.port, "a": c.port, "b": g.port})
            return
        queue = target.name if hasattr(target, "strategy") else None
        self._hand_over(g, c, {"from": g.ext, "to": k, "queue": queue}, now, ports, ev, cmd)
        if queue is None:
            c.only = target
            q = c.q
        else:
            c.only = None
            q = target
        self._enqueue(c, q, False, now, ports, ev, cmd)

    def _hand_over(self, g, c, x, now, ports, ev, cmd):
        """Agent g's leg of call c ends in a transfer (x: its entry in the record, dated here):
        the recording stops, the agent wraps up (the ringback burst; they hang up)."""
        r = c.cdr
        t = x["at"] = r["agent_left"] = self.epoch(now)  # (the last agent left, until one answers)
        if "legs" not in r:
            r["legs"] = [{"agent": g.ext, "connected": r["connected"], "left": t}]
        else:
            r["legs"][-1]["left"] = t
        r["transfers"] = r.get("transfers") or []
        r["transfers"].append(x)
        if c.recording is not None:
            cmd.append({"t": linecard.CMD_RECORD_STOP, "port": c.port})
            c.recording = None
        c.agent = None
        self.acd.transferred(g, now, self._acd)
        self._acd.append(("confirm", g, True))
        self._acd_acts(now, ports, ev, cmd)
        v = {"port": c.port, "call": c.id, "state": S_TRANSFER, "agent": g.ext, "to": x["to"]}
        if "outside" in x:
            v["outside"] = True
        ev.append((messages.EV_CALL, v))

    # -- a transfer to an outside number (the board dials it on a trunk: outbound.py) ---------

    def _outside(self, g, c, k, number, now, ports, ev, cmd):
        """Agent g keyed the site's outside prefix, a number and #: the board dials it on the
        first free trunk that may call out while the caller goes on hearing the hold prompt;
        the agent wraps up. No such trunk (none may call out, every one busy) or a bad number:
        back to the agent at once, CALL connected saying why."""
        try:
            o = self.outbound.dial(number, None, None, now, ports, ev, cmd)
        except DialError as e:
            self._transfer(g, c, k, None, now, ports, ev, cmd)
            ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_CONNECTED, "agent": g.ext,
                                          "to": k, "refused": str(e)}))
            return
        x = self.calls[o["port"]]
        x.out.xfer = c
        x.cdr["transfer_for"] = c.cdr["id"]
        self._hand_over(g, c, {"from": g.ext, "to": k, "queue": None, "outside": True, "trunk": x.trunk,
                               "result": None}, now, ports, ev, cmd)
        c.state = S_OUTSIDE
        ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_OUTSIDE, "number": number,
                                      "trunk": x.trunk, "line": x.port}))

    def outside_answered(self, x, result, now, ev, cmd):
        """Trunk call x of an outside transfer was answered (outbound.py): a person or a
        machine is bridged to the held caller (True); a fax is not (False: x hangs up)."""
        if result == linecard.CPA_FAX:
            return False
        c = x.out.xfer
        c.playing = None
        cmd.append({"t": linecard.CMD_STOP, "port": c.port})  # the hold prompt
        cmd.append({"t": linecard.CMD_BRIDGE, "port": c.port, "a": c.port, "b": x.port})
        t = x.cdr["connected"] = self.epoch(now)
        r = c.cdr
        r["legs"].append({"number": x.number, "trunk": x.trunk, "connected": t, "left": None})
        r["transfers"][-1]["result"] = result
        ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_OUTSIDE, "number": x.number,
                                      "trunk": x.trunk, "result": result, "bridged": True}))
        return True

    def outside_ended(self, x, by, how, now, ports, ev, cmd):
        """Trunk call x of an outside transfer ends (outbound.py, before its hang-up): the
        caller bridged to it is done too; one still holding is queued again for the agent who
        transferred it (the queue's max wait and overflow hold), the result on CALL outside."""
        d = x.out
        c, d.xfer = d.xfer, None
        t = c.cdr["transfers"][-1]
        if t["result"] is not None:  # they talked: the outside party (or the board) hung up
            self._end(c, by, how, now, ports, ev, cmd)
            return
        t["result"] = d.result or NO_RESULT
        ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_OUTSIDE, "number": x.number,
                                      "trunk": x.trunk, "result": t["result"], "bridged": False}))
        c.only = self.targets.get(t["from"])
        self._enqueue(c, c.q, False, now, ports, ev, cmd)

    def _connect(self, g, c, now, ev, cmd):
        c.state = S_CONNECTED
        c.agent = g
        c.timing = False
        c.playing = None
        cmd.append({"t": linecard.CMD_STOP, "port": c.port})  # the hold prompt: a prompt would cover the bridge
        cmd.append({"t": linecard.CMD_BRIDGE, "port": c.port, "a": c.port, "b": g.port})
        r = c.cdr
        r["agent"] = g.ext
        r["agent_name"] = g.name
        if r["connected"] is None:
            r["connected"] = self.epoch(now)
        else:  # a transferred call: its next leg
            r["legs"].append({"agent": g.ext, "connected": self.epoch(now), "left": None})
        c.only = None
        r["queue"] = c.q.name
        r["wrap_s"] = g.wrap_ms // 1000
        self.acd.staff.connected(g, r, now)
        rec = c.q.record
        if rec is None:
            mode = self.record_mode
            rec = mode == "all" or (mode == "sample" and self.rand() * 100 < self.record_percent)
        if rec:
            self._record(c, "call", cmd)
        ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_CONNECTED, "agent": g.ext,
                                      "recording": c.recording}))

    def _record(self, c, kind, cmd):
        r = c.cdr
        rid = r["id"] + ("-vm" if kind == "voicemail" else "")
        c.recording = "rec/" + rid + ".wav"
        r["recording"] = c.recording
        cmd.append({"t": linecard.CMD_RECORD, "port": c.port, "id": rid, "file": c.recording, "kind": kind,
                    "call": r["id"], "agent": r["agent"], "queue": r["queue"], "number": r["number"]})

    def _agent_left(self, c, g, now, ports, ev, cmd):
        self._unsupervise(c, now, ev, cmd)
        c.agent = None
        c.cdr["agent_left"] = self.epoch(now)
        if "legs" in c.cdr:
            c.cdr["legs"][-1]["left"] = c.cdr["agent_left"]
        cmd.append({"t": linecard.CMD_UNBRIDGE, "port": c.port})
        if c.recording is not None:
            cmd.append({"t": linecard.CMD_RECORD_STOP, "port": c.port})
            c.recording = None
        if self.survey:
            self._set(c, S_SURVEY, ev)
            c.sq = 0
            c.retry = 0
            c.cdr["survey"] = {}
            if self.survey["intro"]:
                self._play(c, self.survey["intro"], True, _STEP_INTRO, cmd)
            else:
                self._survey_ask(c, cmd)
        else:
            self._end(c, "agent", "agent", now, ports, ev, cmd)

    def _overflow(self, c, now, ports, ev, cmd):
        a = self.ivr.action(c.q.overflow)
        c.cdr["overflow"] = c.q.name
        self._action(c, a, now, ports, ev, cmd)

    # -- survey and callback ---------------------------------------------------------------

    def _survey_ask(self, c, cmd):
        self._play(c, self.survey["questions"][c.sq]["prompt"], True, _STEP_ASK, cmd)

    def _survey_key(self, c, d, now, ports, ev, cmd):
        if c.step != _STEP_ASK and c.step != _STEP_WAIT:
            return
        q = self.survey["questions"][c.sq]
        c.timing = False
        if c.step == _STEP_ASK:
            cmd.append({"t": linecard.CMD_STOP, "port": c.port})
        if "0" <= d <= "9" and q["min"] <= int(d) <= q["max"]:
            c.cdr["survey"][q["id"]] = int(d)
            self._survey_next(c, now, ports, ev, cmd)
        elif c.retry == 0:
            c.retry = 1  # out of range: the question once more
            self._survey_ask(c, cmd)
        else:
            self._survey_next(c, now, ports, ev, cmd)

    def _survey_next(self, c, now, ports, ev, cmd):
        c.sq += 1
        c.retry = 0
        if c.sq < len(self.survey["questions"]):
            self._survey_ask(c, cmd)
        else:
            self._goodbye(c, self.survey["thanks"], "board", "survey-done", now, ports, ev, cmd)

    def _callback_done(self, c, now, ports, ev, cmd):
        c.timing = False
        c.cdr["callback"] = c.digits or None
        if c.digits and self.callbacks is not None:  # it keeps the caller's place (callbacks.py)
            self.callbacks.add(c, now, ev)
        self._goodbye(c, c.then if c.digits else None, "board", "callback", now, ports, ev, cmd)

    def _goodbye(self, c, prompt, by, how, now, ports, ev, cmd):
        """End the call after a last prompt (or now, without one)."""
        if prompt:
            c.state = S_BYE
            c.bye = (by, how)
            self._play(c, prompt, False, _STEP_NONE, cmd)
        else:
            self._end(c, by, how, now, ports, ev, cmd)

    # -- common ----------------------------------------------------------------------------

    def _play(self, c, prompt, barge_in, step, cmd):
        c.playing = prompt
        c.step = step
        cmd.append({"t": linecard.CMD_PLAY, "port": c.port, "prompt": prompt, "barge_in": barge_in})

    def _end(self, c, by, how, now, ports, ev, cmd):
        st = c.state
        if st in _WAITING:
            self.acd.leave(c, now, self._acd)
            self._acd_acts(now, ports, ev, cmd)
        elif st == S_CONNECTED and c.agent is not None:  # (None: the agent hung up first, no survey)
            self._unsupervise(c, now, ev, cmd)
            g = c.agent
            x = self.xfer.pop(g.port, None)
            if x is not None:  # the caller left while the agent keyed a transfer
                self._dial_tone(g.port, False, cmd)
            if "legs" in c.cdr:
                c.cdr["legs"][-1]["left"] = self.epoch(now)
            cmd.append({"t": linecard.CMD_UNBRIDGE, "port": c.port})
            self.acd.caller_gone(g)
            cmd.append({"t": linecard.CMD_TONE, "port": g.port, "plan": self.plan, "name": linecard.TONE_BUSY})
        elif st == S_OUTSIDE:  # the trunk it was transferred to: released (outside_ended)
            leg = c.cdr["legs"][-1]
            if "number" in leg:  # bridged to it
                leg["left"] = self.epoch(now)
                cmd.append({"t": linecard.CMD_UNBRIDGE, "port": c.port})
            for x in self._all:
                if x.out is not None and x.out.xfer is c:
                    x.out.xfer = None
                    self.outbound.end(x, by, how, now, ports, ev, cmd)
        if c.recording is not None:
            cmd.append({"t": linecard.CMD_RECORD_STOP, "port": c.port})
            c.recording = None
        cmd.append({"t": linecard.CMD_HANGUP, "port": c.port})
        c.armed = c.pre_arm  # the hang-up reset the port's receiver: listen again at once
        if c.pre_arm:
            cmd.append(c.cid_arm)
        if c.ivr is not None:
            self.ivr.stop(c.ivr)
        c.timing = False
        c.state = S_IDLE
        c.agent = c.q = None
        r = c.cdr
        r["ended"] = self.epoch(now)
        r["by"] = by
        r["how"] = how
        r["outcome"] = _outcome(st, r, how)
        ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_ENDED, "by": by, "reason": how,
                                      "cdr": r["id"]}))
        ports.move(c.port, IDLE, ev)
        c.cdr = None
        if self.sink is not None and not (self.acd is not None and self.acd.staff.hold(r)):
            self.sink(r)  # (or when its agent keys the disposition, or their wrap-up ends)

    def _set(self, c, state, ev):
        c.state = state
        ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": state}))

    def _timer(self, c, now_ms, ms):
        c.deadline = ticks_add(now_ms, ms)
        c.timing = True

    def _dial_tone(self, n, on, cmd):
        """Dial tone on FXS port n, or stop what it plays (on=False: also a busy tone)."""
        if on:
            cmd.append({"t": linecard.CMD_TONE, "port": n, "plan": self.plan, "name": linecard.TONE_DIAL})
        else:
            cmd.append({"t": linecard.CMD_STOP, "port": n})
        self.dialing[n] = on


def _outcome(state, r, how):
    """How a call ended, for the record: answered (by an agent), abandoned (hung up waiting),
    callback, voicemail, ivr (ended in the menus, or the plain flow), unanswered (never
    answered, or left without reaching anyone)."""
    if r["connected"] is not None:
        return "answered"
    if how == "voicemail" or state == S_VOICEMAIL:
        return "voicemail" if r["recording"] else "abandoned"
    if how == "callback":
        return "callback" if r["callback"] else "unanswered"
    if state in _WAITING or state == S_CALLBACK:
        return "abandoned"
    if r["answered"] is None:
        return "unanswered"
    return "ivr"
