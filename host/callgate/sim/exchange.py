"""The simulated exchange around the board: the central office on its FXO ports and the agent
phones on its FXS ports, and the line signalling between them and the board.

Everything here runs on the line cards' thread and clock (linecards.py), which asks the
exchange each frame what every port's far end sends (rx), gives it what the board sends (tx)
and tells it what the firmware's line-card commands did (answered, released, bridged,
unbridged, heard, ring_phone; the commands are firmware/callgate/linecard.py's); other threads
call place_call() / phone(), which hand the work over.

Who hears whom: `hears` mirrors the media engine's hear sets (a bridge is {a hears b, b hears
a}; the `hear` command sets one port's row of a conference, a supervisor's listen, whisper or
barge), kept the engine's way: a bridge, an unbridge or a hangup takes the port out of every
set. The parties act on it: a phone talks while someone hears it (a supervisor who only
listens stays quiet; whispering or barging, it talks), and a phone that hears a call without
being bridged to it (a supervisor) is in a call of its own (phones.py).

An inbound call on an FXO port (place_call, by a Caller: caller.py):
    ring cadence (ring_on_ms / ring_off_ms, 2 s on, 4 s off) -> FSK caller ID
    (callerid.generate, Bell 202 or V.23) cid_delay_ms after the first ring ends, or before
    the first ring after a polarity reversal or a dual-tone alert (ETSI, cid_start) -> the
    board answers (its firmware's `answer`: the loop closes) -> the caller's script
    (caller_script.py) -> either the board hangs up (released), or the caller does: loop
    current drop, a polarity reversal, or only busy tone on the line ("busy": the board's
    disconnect supervision must hear it); the exchange sends busy tone until the board
    releases. Unanswered after max_rings, the caller gives up.
The agent phones (phones.py) are rung by the firmware and bridged to callers by it.

An outbound call (the firmware's `seize` of an idle FXO port) is callee.py's Dialled: dial
tone, the board's DTMF decoded from the line, the number's configured answer (`numbers`, set
with set_number(); `trunks`: a trunk without dial tone, or with another plan).
"""

import os
import time

import numpy as np

from ..dsp.callerid import CallerId, generate
from ..dsp.tones import generate_tone
from ..firmware import linecard
from .caller import Caller
from .callee import HEAR_LEVEL, Dialled, check_answer, check_number, prepare
from .caller_script import Call
from .phones import Phone

PRE_RING_MS = 500  # ETSI caller ID before the first ring: from the data's end to the ring
REVERSAL_GAP_MS = 250  # from the polarity reversal to the data (ETSI: at least 100 ms)
RELEASE_MS = 15000  # the board has not released a line the caller left: the exchange does


class Exchange:
    def __init__(self, plane, seed=0):
        self.plane = plane  # the line cards (linecards.py): their lines, clock, law, jobs
        kinds = plane.kinds
        self.calls = [None] * len(kinds)  # the call on each FXO port
        self.phones = {p: Phone(self, p) for p, k in enumerate(kinds) if k == "fxs"}
        self.peers = {}  # port -> the port the board bridged it to
        self.hears = {}  # port -> frozenset of the ports it hears (the engine's hear sets)
        self.history = []
        self.rng = np.random.default_rng(seed)  # the talk bursts (the same every run)
        self.out = [None] * len(kinds)  # the outbound call (callee.Dialled) on each FXO port
        self.numbers = {}  # number -> {"answers", "rings"}: how it answers the board's calls
        self.trunks = {}  # FXO port -> {"dial_tone": bool, "plan": str}
        self.dialled = []  # finished outbound calls (their result()), the last 20

    # -- from any thread --------------------------------------------------------------------

    def place_call(self, port: int, caller: Caller | None = None, **fields) -> Call:
        """Start an inbound call on FXO port `port` by `caller`, or by a Caller of `fields`;
        returns the Call."""
        if caller is None:
            caller = Caller(**fields)
        elif fields:
            raise ValueError("place_call takes a Caller or its fields, not both")
        if port < 0 or port >= len(self.plane.kinds) or self.plane.kinds[port] != "fxo":
            fxo = [p for p, k in enumerate(self.plane.kinds) if k == "fxo"]
            raise ValueError(f"port {port} is not an FXO port (FXO: {fxo})")
        call = Call(port, caller)
        self.plane.run_soon(self._start, call)
        return call

    def set_number(self, number: str, answers: str, rings=None) -> dict:
        """How `number` answers the board's calls (callee.py ANSWERS or wav:FILE)."""
        conf = {"answers": check_answer(answers)}
        if answers.startswith("wav:"):
            path = os.path.abspath(answers[4:])
            if not os.path.isfile(path):
                raise ValueError(f"--answers wav:{answers[4:]}: no such file")
            conf["answers"] = "wav:" + path
        if rings is not None:
            if isinstance(rings, bool) or not isinstance(rings, int) or not 0 <= rings <= 20:
                raise ValueError(f"rings must be 0 to 20, not {rings!r}")
            conf["rings"] = rings
        check_number(number)
        prepare(conf["answers"], number)  # the greeting made here, not on the line cards' thread
        self.numbers[number] = conf
        return {"number": number, **conf}

    def set_trunk(self, port: int, dial_tone=None, plan=None) -> dict:
        """An FXO trunk's exchange side: dial tone on seizure or none, the plan of its tones."""
        if not isinstance(port, int) or port < 0 or port >= len(self.plane.kinds) or self.plane.kinds[port] != "fxo":
            fxo = [p for p, k in enumerate(self.plane.kinds) if k == "fxo"]
            raise ValueError(f"port {port} is not an FXO port (FXO: {fxo})")
        conf = self.trunks.setdefault(port, {"dial_tone": True, "plan": self.plane.plan})
        if dial_tone is not None:
            conf["dial_tone"] = bool(dial_tone)
        if plan is not None:
            from ..dsp.tones import find_plan

            conf["plan"] = find_plan(plan).name
        return {"port": port, **conf}

    def use_site_plans(self, site) -> None:
        """The tones of each FXO trunk the site names are its plan's (a site's trunks are on
        an exchange of that country: the board analyses them with that plan's tones)."""
        for p in site.data["ports"]:
            if p["kind"] == "fxo" and p.get("plan"):
                self.set_trunk(p["port"], plan=p["plan"])

    def phone(self, port: int) -> Phone:
        if port not in self.phones:
            raise ValueError(f"port {port} is not an FXS port (FXS: {sorted(self.phones)})")
        return self.phones[port]

    # -- on the audio thread: the line cards ------------------------------------------------

    def _start(self, call: Call) -> None:
        busy = self.calls[call.port]
        if busy is not None:
            call.state = "failed"
            call.note(self.plane.now, "failed", reason=f"port {call.port} already has a call")
            call.done.set()
            return
        self.calls[call.port] = call
        call.clock = lambda: self.plane.now
        call.t0 = self.plane.now
        call.state = "ringing"
        call.note(self.plane.now, "calling", port=call.port, number=call.number, name=call.name)

    def rx(self, port: int, n: int):
        call = self.calls[port]
        if self.out[port] is not None:
            return self.plane.encode(self.out[port].read(n))
        if call is not None:
            data = call.rx.read(n)
        elif port in self.phones and self.plane.lines.offhook(port):
            data = self.phones[port].rx.read(n)
        else:
            return None
        return None if data is None else self.plane.encode(data)

    def tx(self, port: int, codes) -> None:
        if self.out[port] is not None:
            self.out[port].hear(self.plane.decode(codes), self.plane.now)
            return
        call = self.calls[port]
        phone = self.phones.get(port)
        if call is None and phone is None:
            return
        loud = int(np.abs(self.plane.decode(codes)).max()) > HEAR_LEVEL
        if phone is not None:
            if loud and self.plane.lines.offhook(port):
                phone.heard += len(codes)
            return
        if call.state == "connected":
            call.hear(loud, len(codes))

    def engine_event(self, e) -> None:
        pass  # the far ends only hear audio; they do not peek at the board's detectors

    def ring_phone(self, port: int, on: bool) -> None:
        """The firmware rings (or stops ringing) the phone on FXS port `port`."""
        self.phone(port)._ring(on)

    def listeners(self, port: int) -> frozenset:
        """The ports that hear `port`."""
        return frozenset(q for q, heard in self.hears.items() if port in heard)

    def heard(self, port: int, sources) -> None:
        """The board set what `port` hears (the `hear` command): the ports in sources."""
        before = self._hearing()
        if sources:
            self.hears[port] = frozenset(sources)
        else:
            self.hears.pop(port, None)
        self._tell_phones(before)

    def _detach(self, port: int) -> None:
        """As the engine: `port` hears nobody and nobody hears it."""
        self.hears.pop(port, None)
        for q in list(self.hears):
            if port in self.hears[q]:
                self.hears[q] = self.hears[q] - {port}
                if not self.hears[q]:
                    del self.hears[q]

    def _hearing(self) -> dict:
        return {p: (self.hears.get(p, frozenset()), self.listeners(p)) for p in self.phones}

    def _tell_phones(self, before: dict) -> None:
        for p, now in self._hearing().items():
            if now != before[p]:
                self.phones[p]._hearing(*now)

    def bridged(self, a: int, b: int) -> None:
        """The board bridged ports a and b (the `bridge` command): callers and agents talk."""
        before = self._hearing()
        self._detach(a)
        self._detach(b)
        self.hears[a], self.hears[b] = frozenset([b]), frozenset([a])
        self._bridge_peers(a, b)
        self._tell_phones(before)

    def _bridge_peers(self, a: int, b: int) -> None:
        for p in (a, b):
            if self.peers.get(p) not in (None, a, b):
                self._unbridge_peers(p)  # the engine dropped its old bridge
        if self.peers.get(a) == b:
            return
        self.peers[a], self.peers[b] = b, a
        for me, other in ((a, b), (b, a)):
            call = self.calls[me]
            if call is not None:
                call.on_bridged(self.plane.now, other)
            if me in self.phones:
                self.phones[me]._bridged(other)

    def unbridged(self, port: int) -> None:
        """The bridge of `port` ended (`unbridge`, or a `hangup` of either side); it is out of
        every conference too."""
        before = self._hearing()
        self._detach(port)
        self._unbridge_peers(port)
        self._tell_phones(before)

    def _unbridge_peers(self, port: int) -> None:
        other = self.peers.pop(port, None)
        if other is None:
            return
        self.peers.pop(other, None)
        for p in (port, other):
            call = self.calls[p]
            if call is not None:
                call.on_unbridged(self.plane.now)
            if p in self.phones:
                self.phones[p]._unbridged()

    def answered(self, port: int) -> None:
        """The board answered on FXO port `port`: the ringing stops, the loop closes."""
        call = self.calls[port]
        now = self.plane.now
        if call is None or call.state != "ringing":
            return
        if self.plane.lines.ringing(port):
            self.plane.lines.ring(port, False)
        call.rx.clear()
        call.state = "connected"
        call.answered_at = now
        call.note(now, "answered", rings=call.rings)
        self.plane.lines.loop(port, True)
        call.answered(now)

    def seized(self, port: int) -> None:
        """The board went off hook on an idle FXO port to call out: the loop closes, dial
        tone (unless the trunk has none)."""
        if self.calls[port] is not None or self.out[port] is not None:
            return  # a ringing line seized answers it (linecards.py); a second seize: nothing new
        trunk = self.trunks.get(port, {})
        self.out[port] = Dialled(self, port, trunk.get("plan", self.plane.plan), trunk.get("dial_tone", True),
                                 self.plane.now)
        self.plane.lines.loop(port, True)

    def loop_break(self, port: int, broken: bool) -> None:
        """The board's hook switch on a line it seized opened (broken) or closed the loop:
        dial pulses while it dials (callee.py counts them), a hang-up if it stays open."""
        out = self.out[port]
        if out is not None:
            out.loop(broken, self.plane.now)

    def released(self, port: int, was_answered: bool) -> None:
        """The board hung up (went on hook) on an FXO port."""
        out = self.out[port]
        if out is not None:
            out.note(self.plane.now, "released", by="board")
            self.out[port] = None
            self.dialled.append(out.result())
            del self.dialled[:-20]
            if self.plane.lines._loop.get(port):
                self.plane.lines.loop(port, False)
            return
        call = self.calls[port]
        now = self.plane.now
        if call is None:
            return
        if call.state == "connected":
            call.ended_by = "board"
            call.note(now, "hangup", by="board")
            self._finish(call, now)
        elif call.state == "caller-gone":
            call.note(now, "released", by="board")
            self._finish(call, now)
        elif call.state == "ringing" and not was_answered:
            pass  # the board reset an unanswered port (e.g. to disarm caller ID): still ringing

    def tick(self, now: int) -> None:
        for call in self.calls:
            if call is not None:
                self._tick_call(call, now)
        for out in self.out:
            if out is not None:
                out.tick(now)
        for phone in self.phones.values():
            phone._tick(now)

    # -- the line signalling ----------------------------------------------------------------

    def _tick_call(self, call: Call, now: int) -> None:
        lines = self.plane.lines
        port = call.port
        c = call.caller
        ms = (now - call.t0) // 8
        if call.state == "ringing" and (call.pre_ms is None or ms < call.pre_ms):
            if call.pre_ms is None:  # before the first ring: the reversal or alert, then the data
                audio = self._cid_audio(call)
                call.pre_ms = ms + len(audio) // 8 + PRE_RING_MS
                if c.cid_start == "reversal":
                    lines.reversal(port)
                    call.rx.put(np.zeros(REVERSAL_GAP_MS * 8, np.int16))
                    call.pre_ms += REVERSAL_GAP_MS
                call.rx.put(audio)
                call.note(now, "caller-id", number=call.number, name=call.name, start=c.cid_start)
            return
        ms -= call.pre_ms
        if call.state == "ringing":
            period = c.ring_on_ms + c.ring_off_ms
            ring_no, phase = divmod(ms, period)
            on = phase < c.ring_on_ms
            if on and not lines.ringing(port):
                if ring_no >= c.max_rings:
                    call.ended_by = "caller"
                    call.note(now, "no-answer", rings=call.rings)
                    self._finish(call, now)
                    return
                call.rings += 1
                lines.ring(port, True)
                call.note(now, "ring", n=call.rings)
            elif not on and lines.ringing(port):
                lines.ring(port, False)
                if call.rings == 1 and c.cid and c.cid_start == linecard.CID_RING_END:
                    call.cid_at = now + c.cid_delay_ms * 8
            if call.cid_at is not None and now >= call.cid_at:
                call.cid_at = None
                call.rx.put(self._cid_audio(call))
                call.note(now, "caller-id", number=call.number, name=call.name)
        elif call.state == "connected":
            if call.step(now, self.plane.law, self.rng):
                self._caller_hangs_up(call, now)
        elif call.state == "caller-gone":
            if not call.rx.busy:  # the exchange keeps sending busy tone until the board releases
                call.rx.put(generate_tone(self.plane.plan, linecard.TONE_BUSY, 1.0, law=self.plane.law))
            if (now - call.hangup_at) // 8 > RELEASE_MS:
                call.note(now, "released", by="timeout")
                self._finish(call, now)

    def _cid_audio(self, call: Call):
        """The caller ID the exchange sends: the rig's own audio, or an MDMF message in the
        call's standard (after a dual-tone alert for the alert start)."""
        if call.cid_audio is not None:
            return call.cid_audio
        cid = CallerId("mdmf", number=call.number, name=call.name, date=_date_now())
        return generate(cid, call.caller.cid_standard, law=self.plane.law,
                        alert_ms=100 if call.caller.cid_start == "alert" else 0)

    def _caller_hangs_up(self, call: Call, now: int) -> None:
        lines = self.plane.lines
        call.hangs_up(now)
        if call.caller.hangup == "loop-drop":
            lines.loop(call.port, False)
        elif call.caller.hangup == "reversal":
            lines.reversal(call.port)
        call.rx.put(np.zeros(2400, np.int16))  # then busy tone (_tick_call)

    def _finish(self, call: Call, now: int) -> None:
        lines = self.plane.lines
        if call.peer is not None:
            call.bridged += now - call.bridged_at
            call.peer = None
        if lines.ringing(call.port):
            lines.ring(call.port, False)
        if lines._loop.get(call.port):
            lines.loop(call.port, False)  # whoever hung up, the loop is open now
        call.state = "ended"
        call.note(now, "ended", heard_ms=call.heard // 8)
        self.calls[call.port] = None
        self.history.append(call)
        del self.history[:-20]
        call.done.set()


def _date_now():
    t = time.localtime()
    return (t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min)
