# Calls: the inbound call flow of each FXO port, and the agent phones on the FXS ports.
#
# Pure logic, like ports.py: line-card reports and the time go in; link events (for the host)
# and line-card commands (for hal: answer, hangup, play, tone, stop, cid_arm) come out,
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
#   any answered state --loop drop, reversal or busy tone--> ended by=caller (hangup)
#   ringing --ringing stopped (ports.py's ring gap)--> ended by=caller, reason=abandoned
#
#   FXS: off hook -> dial tone; the first digit stops it; on hook -> stop.
#
# Configuration: board.json "calls": {"answer_rings", "prompt", "max_digits", "end_digit",
# "first_digit_ms", "digit_ms", "plan"}; the defaults below otherwise.
#
# With a site (use_site(): the compiled site.json in the flash, docs/site.md), an answered call
# on a port the site describes goes to the IVR (ivr.py) instead of the welcome/digits flow:
#
#   answered --> menu             CALL menu {menu}; the IVR plays, waits, retries, falls back
#   menu --queue or operator--> queued   CALL queued {queue}; the call waits there (queue
#                                 routing to agents is not written yet: the caller hangs up)
#   menu --hang-up key, or a play then hang up--> ended by=board, reason=ivr
#   any of them --the caller hangs up--> ended by=caller, as above

try:
    from micropython import const
except ImportError:  # CPython: the shared tests

    def const(x):
        return x


try:
    from time import ticks_add, ticks_diff
except ImportError:  # CPython: plain milliseconds

    def ticks_add(a, b):
        return a + b

    def ticks_diff(a, b):
        return a - b


from .link import messages
from .ports import CALL, IDLE

_ANSWER_RINGS = const(2)
_MAX_DIGITS = const(8)
_FIRST_DIGIT_MS = const(5000)
_DIGIT_MS = const(3000)

# Call states (the "state" of CALL events)
S_IDLE = "idle"
S_RINGING = "ringing"
S_ANSWERED = "answered"
S_PROMPT = "prompt"
S_COLLECT = "collect"
S_DIGITS = "digits"
S_ENDED = "ended"
S_MENU = "menu"  # with a site: in the IVR
S_QUEUED = "queued"  # with a site: the IVR put the call in a queue


class Call:
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


class Calls:
    def __init__(self, port_defs, cfg=None):
        cfg = cfg or {}
        self.answer_rings = cfg.get("answer_rings", _ANSWER_RINGS)
        self.prompt = cfg.get("prompt", "welcome")
        self.max_digits = cfg.get("max_digits", _MAX_DIGITS)
        self.end_digit = cfg.get("end_digit", "#")
        self.first_digit_ms = cfg.get("first_digit_ms", _FIRST_DIGIT_MS)
        self.digit_ms = cfg.get("digit_ms", _DIGIT_MS)
        self.plan = cfg.get("plan", "US")
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
        self.clock = None  # with a site: () -> the site's local time tuple, or None
        self._acts = []  # the IVR's actions, reused

    def use_site(self, bundle, clock=None):
        """Send answered calls on the site's FXO ports to its IVR (bundle: the compiled
        site.json, already parsed; None leaves the plain flow). clock() gives the site's
        local time for business hours; by default the board's clock (time.time(), UTC) and
        the site's offset."""
        if not bundle:
            return
        from .ivr import Ivr

        self.ivr = Ivr(bundle)
        for n, c in self.calls.items():
            if n in self.ivr.sessions:
                c.ivr = self.ivr.session(n)
        for p in bundle.get("ports", ()):
            c = self.calls.get(p.get("n"))
            if c is not None and p.get("rings"):
                c.answer_rings = p["rings"]
            if c is not None and p.get("cid"):
                if p["cid"] == "none":
                    c.cid_arm = False
                else:  # the line card's receiver: standard bell202, v23 or dtmf, and when it opens
                    c.cid_arm = {"t": "cid_arm", "port": c.port, "standard": p["cid"],
                                 "start": p.get("cid_start", "ring-end")}
        if clock is None and self.ivr.week is not None:
            import time

            def clock():
                return self.ivr.local_time(int(time.time()))

        self.clock = clock

    def status(self):
        return [{"port": c.port, "call": c.id, "state": c.state} for c in self._all]

    # -- inputs ------------------------------------------------------------------------------

    def line(self, report, now_ms, ports, ev, cmd):
        """Take one line-card report (ports.line() has already seen it)."""
        n = report.get("port")
        what = report.get("what")
        kind = self.kinds.get(n)
        if kind == "fxs":
            self._fxs(n, what, report, ev, cmd)
            return
        c = self.calls.get(n)
        if c is None:
            return
        if what == "ring":
            if report.get("on"):
                self._ring(c, ports, ev, cmd)
        elif what == "cid":
            if c.state != S_IDLE:
                c.number = report.get("number") or ""
                c.name = report.get("name") or ""
                ev.append(
                    (
                        messages.EV_CID,
                        {
                            "port": n,
                            "call": c.id,
                            "number": c.number,
                            "name": c.name,
                            "status": report.get("status", "ok"),
                        },
                    )
                )
        elif what == "dtmf":
            ev.append((messages.EV_DTMF, {"port": n, "digit": report.get("digit"), "call": c.id}))
            if c.state == S_MENU:
                self.ivr.digit(c.ivr, report.get("digit") or "", self._acts)
                self._ivr_acts(c, now_ms, ports, ev, cmd)
            elif c.state in (S_PROMPT, S_COLLECT, S_ANSWERED):
                self._digit(c, report.get("digit") or "", now_ms, ports, ev, cmd)
        elif c.state == S_MENU and (what == "prompt_done" or (what == "error" and report.get("cmd") == "play")):
            if what == "prompt_done":
                self.ivr.prompt_done(c.ivr, report.get("prompt"), report.get("reason"), self._acts)
            else:  # a prompt the line card could not play: carry on as if it had ended
                self.ivr.prompt_done(c.ivr, None, "complete", self._acts)
            self._ivr_acts(c, now_ms, ports, ev, cmd)
        elif what == "prompt_done" or (what == "error" and report.get("cmd") == "play"):
            if c.state == S_PROMPT:
                self._set(c, S_COLLECT, ev)
                self._timer(c, now_ms, self.first_digit_ms if not c.digits else self.digit_ms)
        elif what in ("loop", "reversal", "disconnect"):
            if what == "loop" and report.get("on"):
                return
            if c.state in (S_ANSWERED, S_PROMPT, S_COLLECT, S_DIGITS, S_MENU, S_QUEUED):
                how = report.get("tone") if what == "disconnect" else what
                self._end(c, "caller", "loop-drop" if what == "loop" else how, ports, ev, cmd)

    def tick(self, now_ms, ports, ev, cmd):
        for c in self._all:
            if c.state == S_RINGING and ports.state(c.port) == IDLE:
                self._end(c, "caller", "abandoned", ports, ev, cmd)  # stopped ringing unanswered
            elif c.timing and ticks_diff(now_ms, c.deadline) >= 0:
                c.timing = False
                if c.state == S_COLLECT:
                    self._report(c, "timeout", ports, ev, cmd)
                elif c.state == S_MENU:
                    self.ivr.timeout(c.ivr, self._acts)
                    self._ivr_acts(c, now_ms, ports, ev, cmd)

    # -- the flow ----------------------------------------------------------------------------

    def _ring(self, c, ports, ev, cmd):
        if c.state == S_IDLE:
            c.id = self.next_id
            self.next_id += 1
            c.rings = 0
            c.number = c.name = c.digits = ""
            c.timing = False
            if c.cid_arm is None:
                cmd.append({"t": "cid_arm", "port": c.port})
            elif c.cid_arm:
                cmd.append(c.cid_arm)
            c.state = S_RINGING
        if c.state != S_RINGING:
            return
        c.rings += 1
        if c.rings == 1:
            ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_RINGING, "rings": 1}))
        if c.rings >= (c.answer_rings or self.answer_rings):
            cmd.append({"t": "answer", "port": c.port})
            self.total += 1
            c.state = S_ANSWERED
            ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_ANSWERED, "rings": c.rings}))
            ports.move(c.port, CALL, ev)
            if c.ivr is not None:
                c.state = S_MENU
                self.ivr.start(c.ivr, self.clock() if self.clock else None, self._acts)
                self._ivr_acts(c, 0, ports, ev, cmd)
                return
            cmd.append({"t": "play", "port": c.port, "prompt": self.prompt, "barge_in": True})
            c.state = S_PROMPT
            ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_PROMPT, "prompt": self.prompt}))

    def _digit(self, c, d, now_ms, ports, ev, cmd):
        c.digits += d
        if c.state != S_COLLECT:
            # a digit while the prompt plays: the engine cut the prompt (barge-in)
            self._set(c, S_COLLECT, ev)
        if d == self.end_digit or len(c.digits) >= self.max_digits:
            self._report(c, d if d == self.end_digit else "max", ports, ev, cmd)
        else:
            self._timer(c, now_ms, self.digit_ms)

    def _report(self, c, end, ports, ev, cmd):
        c.timing = False
        c.state = S_DIGITS
        ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_DIGITS, "digits": c.digits, "end": end}))
        self._end(c, "board", "done", ports, ev, cmd)

    def _ivr_acts(self, c, now_ms, ports, ev, cmd):
        """The IVR's actions (ivr.py) for call c -> line-card commands and CALL events."""
        acts = self._acts
        i = 0
        while i < len(acts):
            a = acts[i]
            i += 1
            t = a[0]
            if t == "play":
                cmd.append({"t": "play", "port": c.port, "prompt": a[1], "barge_in": a[2]})
            elif t == "stop":
                cmd.append({"t": "stop", "port": c.port})
            elif t == "wait":
                if a[1]:
                    self._timer(c, now_ms, a[1])
                else:
                    c.timing = False
            elif t == "menu":
                ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_MENU, "menu": a[1]}))
            elif t == "queue" or t == "operator":
                c.timing = False
                c.state = S_QUEUED
                v = {"port": c.port, "call": c.id, "state": S_QUEUED, "queue": a[1]}
                if t == "operator":
                    v["operator"] = True
                ev.append((messages.EV_CALL, v))
            elif t == "hangup":
                del acts[:]
                self._end(c, "board", "ivr", ports, ev, cmd)
                return
        del acts[:]

    def _end(self, c, by, reason, ports, ev, cmd):
        cmd.append({"t": "hangup", "port": c.port})
        if c.ivr is not None:
            self.ivr.stop(c.ivr)
        c.timing = False
        c.state = S_IDLE
        ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_ENDED, "by": by, "reason": reason}))
        ports.move(c.port, IDLE, ev)

    def _set(self, c, state, ev):
        c.state = state
        ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": state}))

    def _timer(self, c, now_ms, ms):
        c.deadline = ticks_add(now_ms, ms)
        c.timing = True

    def _fxs(self, n, what, report, ev, cmd):
        if what == "hook":
            if report.get("off"):
                cmd.append({"t": "tone", "port": n, "plan": self.plan, "name": "dial"})
                self.dialing[n] = True
            else:
                cmd.append({"t": "stop", "port": n})
                self.dialing[n] = False
        elif what == "dtmf":
            ev.append((messages.EV_DTMF, {"port": n, "digit": report.get("digit"), "call": 0}))
            if self.dialing.get(n):
                cmd.append({"t": "stop", "port": n})
                self.dialing[n] = False
