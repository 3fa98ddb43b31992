# Outbound calls: the board dials out on an FXO trunk (docs/outbound.md).
#
# Pure logic, like calls.py, whose Call (one per FXO port) an outbound call uses while it
# lasts, so an inbound call cannot ring into it and busy() counts it. Line-card reports and the
# time go in; link events and line-card commands (linecard.py) come out.
#
#   idle --dial()--> seized       seize, cpa_arm {plan, dial_ms, no_answer_ms}; CALL seized
#   seized --dial_tone--> dialing dtmf {prefix + number} (pulse, on a trunk that dials
#                                 pulses); CALL dialing
#   seized --cpa no-dial-tone--> ended
#   dialing --cpa result--> answered (person, machine, fax): CALL answered {result};
#                                 with a prompt to play (person, machine): play it, then hang up
#                          --> ended (busy, congestion, no answer, SIT; fax)
#   answered --prompt_done--> ended by=board
#   any --loop drop or busy tone (the far end hung up)--> ended by=callee
#   any --no cpa result within the guard time--> ended, outcome "no-result"
#   a callback's call (callbacks.py): person (machine, when the site leaves a message) --> the
#   agent waiting for it is bridged in; the call's end frees the agent and applies the retry rule
#   an agent's outside transfer (calls.py): person or machine --> the held caller is bridged in
#   (trunk to trunk); the call's end ends the caller's too, or, unanswered, queues the caller
#   again for that agent; the caller hanging up ends this call
#
# Every attempt leaves one call record (cdr.py): direction "out", number (as dialled, without
# the prefix), trunk, outcome (the cpa result, or "no-result"), decide_ms (the time the
# analysis took to decide: from the end of dialling, or from the seizure for no dial tone),
# sit_kind for a SIT (why the network refused the call: linecard.SIT_KINDS);
# a transfer's attempt also transfer_for (the inbound call's record id).
#
# Permission, prefix and tone plan per trunk come from the site (its port's "out": allow,
# prefix, no_answer_ms; its "plan"); without a site every FXO trunk may call out with the
# board's plan and no prefix.

from . import cdr, linecard
from .compat import const, ticks_add, ticks_diff
from .link import messages
from .ports import CALL, IDLE

_DIAL_MS = const(3000)  # seized: dial tone within this, else "no dial tone"
_NO_ANSWER_MS = const(30000)
_GUARD_MS = const(30000)  # on top of dial_ms + dialling + no_answer_ms: the line cards said nothing
_MAX_NUMBER = const(24)
DIGITS = "0123456789*#"

S_SEIZED = "seized"
S_DIALING = "dialing"
S_ANSWERED = "answered"  # also a calls.py state; here: the callee answered (person, machine, fax)
S_ENDED = "ended"
STATES = (S_SEIZED, S_DIALING, S_ANSWERED)
NO_RESULT = "no-result"
ANSWERED = (linecard.CPA_PERSON, linecard.CPA_MACHINE, linecard.CPA_FAX)


class DialError(ValueError):
    pass


def check_number(number):
    if not isinstance(number, str) or not number:
        raise DialError("no number to dial")
    if len(number) > _MAX_NUMBER:
        raise DialError("number %r: longer than %d digits" % (number, _MAX_NUMBER))
    for ch in number:
        if ch not in DIGITS:
            raise DialError("number %r: %r is not a digit (0-9 * #)" % (number, ch))
    return number


def retry_as(d):
    """The outcome whose retry rule an attempt's outcome takes (callbacks.py, campaigns): its
    own, but congestion's for a SIT that says the network is busy (reorder, no circuit)."""
    if d.result == linecard.CPA_SIT and d.sit in linecard.SIT_AGAIN:
        return linecard.CPA_CONGESTION
    return d.result or NO_RESULT


class Trunk:
    def __init__(self, allow, prefix, plan, no_answer_ms, pulse=False):
        self.allow = allow
        self.prefix = prefix
        self.plan = plan
        self.no_answer_ms = no_answer_ms
        self.pulse = pulse  # dials by loop disconnect (the site's outbound dialing: pulse)


class Dial:
    """What one outbound call needs beyond calls.Call."""

    xfer = None  # calls.Call: the caller an agent transferred to this number (calls.py)

    def __init__(self, number, prompt, trunk):
        self.number = number
        self.prompt = prompt
        self.trunk = trunk
        self.result = None
        self.decide_ms = None
        self.deadline = 0
        self.cb = None  # callbacks.Callback when this call dials a caller back
        self.camp = None  # (campaigns.Campaign, contact) when a campaign places it (dialer.py)
        self.lead = None  # dialer.Lead: an agent-connected campaign's call, its agent waiting
        self.step = 0  # dialer.py's, while a campaign's call is answered
        self.sit = None  # a SIT's kind (linecard.SIT_KINDS)


class Outbound:
    def __init__(self, calls):
        self.calls = calls  # calls.Calls: the FXO ports' Call objects, ids, records
        self.trunks = {}  # FXO port -> Trunk
        self.prompts = None  # with a site: the names of its prompts (what --play may name)
        for n in calls.calls:
            self.trunks[n] = Trunk(True, "", calls.plan, _NO_ANSWER_MS)

    def use_site(self, bundle):
        """Permissions, prefixes and plans of the site's trunks; FXO ports the site does not
        name may not call out."""
        for t in self.trunks.values():
            t.allow = False
        self.prompts = bundle.get("prompts") or {}
        for p in bundle["ports"]:
            if p["kind"] != "fxo" or p["n"] not in self.trunks:
                continue
            out = p.get("out") or {}
            self.trunks[p["n"]] = Trunk(bool(out.get("allow")), out.get("prefix", ""), p["plan"],
                                        out.get("no_answer_ms", _NO_ANSWER_MS), bool(out.get("pulse")))

    def free(self):
        """An idle trunk that may call out? (callbacks and campaigns ask every tick: no
        exception made to say no, as find's DialError would)"""
        for n, c in self.calls.calls.items():
            if c.state == "idle" and self.trunks[n].allow:
                return True
        return False

    def find(self, trunk):
        """The Call of the trunk to use: trunk a port number, a site's trunk name, or None (the
        first idle FXO port that may call out). DialError says why none."""
        calls = self.calls.calls
        if trunk is None:
            allowed = [n for n in sorted(calls) if self.trunks[n].allow]
            if not allowed:
                raise DialError("no trunk may call out (the site's outbound: allow)")
            for n in allowed:
                if calls[n].state == "idle":
                    return calls[n]
            raise DialError("every trunk that may call out is busy")
        c = None
        if isinstance(trunk, int) and not isinstance(trunk, bool):
            c = calls.get(trunk)
        else:
            for x in calls.values():
                if x.trunk and x.trunk == trunk:
                    c = x
        if c is None:
            raise DialError("no trunk %r (FXO ports: %s)" % (trunk, ", ".join(str(n) for n in sorted(calls))))
        if not self.trunks[c.port].allow:
            raise DialError("trunk %r may not call out (the site's outbound: allow)" % (trunk,))
        if c.state != "idle":
            raise DialError("trunk %r is busy (%s)" % (trunk, c.state))
        return c

    def dial(self, number, trunk, prompt, now, ports, ev, cmd):
        """Start an outbound call; returns {"call", "port", "trunk", "number"}. DialError (with
        nothing started) for a bad number, an unknown, busy or forbidden trunk."""
        check_number(number)
        if prompt is not None and (not isinstance(prompt, str) or not prompt or "/" in prompt):
            raise DialError("bad prompt name %r" % (prompt,))
        if prompt is not None and self.prompts is not None and prompt not in self.prompts:
            raise DialError("no prompt %r in the site" % (prompt,))
        c = self.find(trunk)
        t = self.trunks[c.port]
        if t.pulse and ("*" in t.prefix + number or "#" in t.prefix + number):
            raise DialError("number %r: trunk %s dials pulses, which have no * or #" % (number, c.trunk or c.port))
        calls = self.calls
        c.id = calls.next_id
        calls.next_id += 1
        c.number = number
        c.name = c.digits = ""
        c.timing = False
        c.out = Dial(number, prompt, t)
        r = c.cdr = cdr.new("%08x-%d" % (calls.boot, c.id), c.port, c.trunk, calls.epoch(now))
        r["direction"] = "out"
        r["number"] = number
        c.state = S_SEIZED
        c.out.deadline = ticks_add(now, _DIAL_MS + t.no_answer_ms + _GUARD_MS)
        cmd.append({"t": linecard.CMD_SEIZE, "port": c.port})
        cmd.append({"t": linecard.CMD_CPA_ARM, "port": c.port, "plan": t.plan, "dial_ms": _DIAL_MS,
                    "no_answer_ms": t.no_answer_ms})
        ports.move(c.port, CALL, ev)
        ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_SEIZED, "number": number,
                                      "direction": "out"}))
        return {"call": c.id, "port": c.port, "trunk": c.trunk, "number": number, "cdr": r["id"]}

    def line(self, c, report, now, ports, ev, cmd):
        """A line-card report for the port of an outbound call c."""
        what = report.get("what")
        d = c.out
        if what == linecard.REPORT_DIAL_TONE and c.state == S_SEIZED:
            how = linecard.CMD_PULSE if d.trunk.pulse else linecard.CMD_DTMF
            cmd.append({"t": how, "port": c.port, "digits": d.trunk.prefix + d.number})
            c.state = S_DIALING
            ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_DIALING}))
        elif what == linecard.REPORT_CPA and d.result is None:
            d.result = report.get("result")
            d.decide_ms = report.get("ms")
            r = c.cdr
            r["decide_ms"] = d.decide_ms
            if d.result == linecard.CPA_SIT:
                d.sit = r["sit_kind"] = report.get("sit") or "unknown"
            if d.result in ANSWERED:
                r["answered"] = self.calls.epoch(now)
                c.state = S_ANSWERED
                ev.append((messages.EV_CALL, {"port": c.port, "call": c.id, "state": S_ANSWERED,
                                              "result": d.result, "decide_ms": d.decide_ms}))
                if d.cb is not None and self.calls.callbacks.answered(c, d.result, now, ev, cmd):
                    return  # bridged to the agent who waits for it
                if d.xfer is not None and self.calls.outside_answered(c, d.result, now, ev, cmd):
                    return  # bridged to the caller who holds for it
                if d.camp is not None and self.calls.dialer.answered(c, d.result, now, cmd):
                    return  # the campaign's kind takes it (dialer.py)
                if d.prompt is not None and d.result != linecard.CPA_FAX:
                    cmd.append({"t": linecard.CMD_PLAY, "port": c.port, "prompt": d.prompt, "barge_in": False})
                    c.playing = d.prompt
                    return
            self.end(c, "board", d.result, now, ports, ev, cmd)
        elif what == linecard.REPORT_PROMPT_DONE and c.state == S_ANSWERED and c.playing is not None:
            if d.camp is not None:
                if report.get("prompt") in (None, c.playing):  # (not a prompt a key stopped)
                    self.calls.dialer.prompt_done(c, now, ports, ev, cmd)
                return
            c.playing = None
            self.end(c, "board", "played", now, ports, ev, cmd)
        elif what == linecard.REPORT_DTMF and c.state == S_ANSWERED and d.camp is not None:
            self.calls.dialer.key(c, report.get("digit") or "", now, ports, ev, cmd)
        elif what == linecard.REPORT_ERROR:
            print("outbound: line card refused", report.get("cmd"), report.get("msg"))
            self.end(c, "board", "error", now, ports, ev, cmd)
        elif what == linecard.REPORT_LOOP and not report.get("on") and c.state == S_SEIZED:
            pass  # before dial tone nobody is there to hang up: the last call's release, late
        elif (what == linecard.REPORT_LOOP and not report.get("on")) or what == linecard.REPORT_DISCONNECT:
            self.end(c, "callee", "hangup", now, ports, ev, cmd)

    def tick(self, c, now, ports, ev, cmd):
        d = c.out
        if ticks_diff(now, d.deadline) < 0:
            return
        if c.state == S_ANSWERED and d.camp is not None:
            self.calls.dialer.timeout(c, now, ports, ev, cmd)  # its wait for a key (dialer.py)
        elif c.state != S_ANSWERED or d.cb is None and d.xfer is None:
            # (a bridged callback or transfer lasts as long as the two parties talk)
            self.end(c, "board", NO_RESULT, now, ports, ev, cmd)

    def end(self, c, by, how, now, ports, ev, cmd):
        d = c.out
        if d.cb is not None:  # a callback: free its agent (unbridge first), then its retry rule
            self.calls.callbacks.ended(c, d.result or NO_RESULT, now, ev, cmd)
        if d.xfer is not None:  # a transfer: the caller's call ends too, or is queued again
            self.calls.outside_ended(c, by, how, now, ports, ev, cmd)
        if d.camp is not None:  # a campaign's: the attempt's outcome in its journal
            self.calls.dialer.ended(c, d.result or NO_RESULT, now, ev, cmd)
        cmd.append({"t": linecard.CMD_HANGUP, "port": c.port})
        c.state = "idle"
        c.out = None
        c.playing = None
        if c.pre_arm:  # the hang-up reset the port's caller ID receiver: listen again at once
            cmd.append(c.cid_arm)
        c.armed = c.pre_arm
        r = c.cdr
        c.cdr = None
        r["ended"] = self.calls.epoch(now)
        r["by"] = by
        r["how"] = how
        r["outcome"] = d.result or NO_RESULT
        ended = {"port": c.port, "call": c.id, "state": S_ENDED, "by": by, "reason": how, "outcome": r["outcome"],
                 "decide_ms": d.decide_ms, "direction": "out", "number": d.number, "cdr": r["id"]}
        if d.sit is not None:
            ended["sit_kind"] = d.sit
        ev.append((messages.EV_CALL, ended))
        ports.move(c.port, IDLE, ev)
        if self.calls.sink is not None:
            self.calls.sink(r)
