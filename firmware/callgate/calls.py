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
            if c.state in (S_PROMPT, S_COLLECT, S_ANSWERED):
                self._digit(c, report.get("digit") or "", now_ms, ports, ev, cmd)
        elif what == "prompt_done" or (what == "error" and report.get("cmd") == "play"):
            if c.state == S_PROMPT:
                self._set(c, S_COLLECT, ev)
                self._timer(c, now_ms, self.first_digit_ms if not c.digits else self.digit_ms)
        elif what in ("loop", "reversal", "disconnect"):
            if what == "loop" and report.get("on"):
                return
            if c.state in (S_ANSWERED, S_PROMPT, S_COLLECT, S_DIGITS):
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

    # -- the flow ----------------------------------------------------------------------------

    def _ring(self, c, ports, ev, cmd):
        if c.state == S_IDLE:
            c.id = self.next_id
            self.next_id += 1
            c.rings = 0
            c.number = c.name = c.digits = ""
            c.timing = False
            cmd.append({"t": "cid_arm", "port": c.port})
            c.state = S_RINGING
        if c.state != S_RINGING:
            return
        c.rings += 1
        if c.rings == 1:
            ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_RINGING, "rings": 1}))
        if c.rings >= self.answer_rings:
            cmd.append({"t": "answer", "port": c.port})
            self.total += 1
            c.state = S_ANSWERED
            ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_ANSWERED, "rings": c.rings}))
            ports.move(c.port, CALL, ev)
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

    def _end(self, c, by, reason, ports, ev, cmd):
        cmd.append({"t": "hangup", "port": c.port})
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
