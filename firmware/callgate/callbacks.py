# Callbacks: the board calls back the callers who left a number (docs/callcenter.md).
#
# Pure logic beside calls.py, acd.py and outbound.py, plus a journal on the flash. A caller who
# chose callback keeps their place: the callback waits in a queue (acd.py) like a caller, at the
# time the caller first queued. When its turn comes the ACD rings a ready agent (agent-first);
# when the agent picks up, the board seizes a free trunk that may call out and dials the number
# (outbound.py); a person (or a machine, when the site says leave) is bridged to the agent.
#
#   pending --its turn, an agent rings--> offered --the agent picks up--> dialing
#   offered --no answer in the ring time--> pending (the next agent)
#   dialing --person (machine: leave)--> connected --either hangs up--> done
#   dialing --any other outcome, the agent hangs up--> retry (after the site's interval for
#           the outcome, when attempts are left) --due--> pending, at the back of the queue
#                                                   --> failed (no attempts left, no rule)
#
# Live callers are never starved (the rule, tested in tests/firmware/test_callback_properties.py):
# a callback is offered only when (1) no live caller of its queue waiting unrung has queued
# before it (the ACD serves oldest first), (2) no other callback of its queue is being rung or
# dialled, and (3) a trunk that may call out is idle. A retry rejoins the queue at the back (its
# place is the time its interval ended), so each callback jumps no live caller more than once.
#
# The journal (cb/callbacks.log, record lines: records.py) has a whole line per change; the
# last line of a callback says where it is. A line "dialing" is written before the trunk is
# seized: after a power cut that attempt counts as made (outcome "cut", with its call record),
# so no attempt is ever dialled twice. load() at boot drops finished callbacks from the file.

import os

from . import cdr, linecard, records
from .compat import const, ticks_add
from .link import messages

FILE = "cb/callbacks.log"
CUT = "cut"  # the outcome of an attempt a power cut (or a reset) broke off

P_PENDING = "pending"
P_OFFERED = "offered"
P_DIALING = "dialing"
P_CONNECTED = "connected"
P_RETRY = "retry"
P_DONE = "done"
P_FAILED = "failed"
_OVER = (P_DONE, P_FAILED)

_MAX_KEPT = const(200)  # pending callbacks kept; more are refused (the record says so)


class Callback:
    """One number to call back. Looks like a waiting call to acd.py (q, q_since, queued_at,
    tried, agent_first, owner)."""

    agent_first = True

    def __init__(self, owner, rid, number, queue, since):
        self.owner = owner  # the Callbacks
        self.pop = {"callback": rid}  # what the agent's screen pop adds
        self.id = rid  # the inbound call's record id
        self.number = number
        self.name = "callback"
        self.queue = queue
        self.since = since  # Unix ms: its place in the queue
        self.attempt = 0  # attempts begun
        self.state = P_PENDING
        self.due = 0  # Unix ms: when a retry may rejoin the queue
        self.outcome = None  # of the last attempt
        self.q = None
        self.q_since = 0
        self.queued_at = None
        self.tried = []
        self.only = None  # (a caller's field in the queue: a callback is never transferred)
        self.agent = None  # acd.Agent while offered, dialing, connected
        self.call = None  # calls.Call of the trunk while dialing or connected

    def line(self):
        return {"id": self.id, "number": self.number, "queue": self.queue, "since": self.since,
                "attempt": self.attempt, "state": self.state, "due": self.due, "outcome": self.outcome}


class Callbacks:
    def __init__(self, calls, rules, path=FILE):
        """rules: the bundle's "callbacks" {"queue", "machine", "retry": {outcome: [ms, n]}}."""
        self.calls = calls
        self.queue = rules["queue"]
        self.machine = rules["machine"]  # "leave": bridge a machine to the agent; "retry"
        self.retry = rules["retry"]
        self.path = path
        self.kept = []  # every callback not over: pending, offered, dialing, connected, retry
        self.failed = 0  # journal lines the flash refused

    # -- the flash ---------------------------------------------------------------------------

    def _save(self, cb):
        try:
            records.append(self.path, cb.line())
        except OSError as e:
            self.failed += 1
            print("callbacks: not written:", repr(e))

    def load(self, now, ev):
        """At boot (or a site reload): the journal's callbacks not over, each back in its
        queue or waiting for its retry; an attempt the power cut broke off counts as made
        (its record, outcome "cut", goes to the sink). The file is rewritten with them only."""
        last = {}
        order = []

        def take(r):
            if r.get("id") not in last:
                order.append(r.get("id"))
            last[r.get("id")] = r

        records.scan(self.path, take)
        epoch = self.calls.epoch(now)
        live = []
        for rid in order:
            r = last[rid]
            if r.get("state") in _OVER:
                continue
            cb = Callback(self, rid, r["number"], r["queue"], r["since"])
            cb.attempt = r["attempt"]
            cb.due = r["due"]
            cb.outcome = r.get("outcome")
            if r["state"] in (P_DIALING, P_CONNECTED):  # the power cut broke this attempt off
                self._cut_record(cb, epoch)
                self._next(cb, CUT, now, ev, False)
            elif r["state"] == P_RETRY:
                cb.state = P_RETRY
            cb.queue = self._queue_for(cb.queue)  # a reloaded site may have lost its queue
            if cb.queue is None:
                cb.state = P_FAILED
                cb.outcome = "no-queue"
                if ev is not None:
                    self._event(cb, ev, outcome="no-queue")
            if cb.state not in _OVER:
                live.append(cb)
        try:
            tmp = self.path + ".new"
            try:
                os.remove(tmp)
            except OSError:
                pass
            for cb in live:
                records.append(tmp, cb.line())
            if live:
                os.rename(tmp, self.path)
            else:
                try:
                    os.remove(self.path)
                except OSError:
                    pass
        except OSError as e:
            print("callbacks: journal not compacted:", repr(e))
        for cb in live:
            self.kept.append(cb)
            if cb.state == P_PENDING:
                self._join(cb, ticks_add(now, cb.since - epoch), now)
        return live

    def _cut_record(self, cb, epoch):
        r = cdr.new(cb.id + "-cb%d" % cb.attempt, None, "", epoch)
        r["direction"] = "out"
        r["number"] = cb.number
        r["callback_for"] = cb.id
        r["attempt"] = cb.attempt
        r["ended"] = epoch
        r["by"] = "board"
        r["how"] = "power-cut"
        r["outcome"] = CUT
        if self.calls.sink is not None:
            self.calls.sink(r)

    # -- callers leave numbers ---------------------------------------------------------------

    def add(self, c, now, ev):
        """Caller c left a number (c.digits) in the callback step: keep its place. Returns the
        Callback, or None (no queue to wait in, too many kept)."""
        from .outbound import DialError, check_number

        try:
            check_number(c.digits)
        except DialError:  # (a key the exchange would not take, A-D)
            return None
        name = self._queue_for(c.q.name if c.q is not None else None)
        if name is None or len(self.kept) >= _MAX_KEPT:
            return None
        place = c.queued_at if c.queued_at is not None else now
        cb = Callback(self, c.cdr["id"], c.digits, name, self.calls.epoch(place))
        self._save(cb)
        self.kept.append(cb)
        self._join(cb, place, now)
        self._event(cb, ev, queue=name, number=cb.number)
        return cb

    def _queue_for(self, waited):
        """The queue a callback waits in: the site's, else the one the caller waited in, else
        the operator queue; None when the site has none of them."""
        acd = self.calls.acd
        op = self.calls.ivr.operator[1]
        for name in (self.queue, waited, op):
            if name is not None and acd.queue(name) is not None:
                return name
        return None

    def _join(self, cb, place, now):
        cb.state = P_PENDING
        cb.queued_at = place
        self.calls.acd.enqueue(cb, cb.queue, now)

    # -- the ACD's turn ----------------------------------------------------------------------

    def may_offer(self, cb):
        """acd.py asks before ringing an agent for cb: no other callback of its queue in
        progress, and an idle trunk that may call out."""
        for x in self.kept:
            if x is not cb and x.queue == cb.queue and x.state in (P_OFFERED, P_DIALING, P_CONNECTED):
                return False
        return self.calls.outbound.free()

    def rung(self, cb, g, ev):
        if cb.state != P_OFFERED:
            cb.state = P_OFFERED
            self._event(cb, ev, agent=g.ext)

    def unrung(self, cb, ev):
        if cb.state == P_OFFERED and self.calls.acd.ringing(cb) is None:
            cb.state = P_PENDING
            self._event(cb, ev)

    def connect(self, g, cb, now, ports, ev, cmd):
        """The agent picked up: seize a trunk and dial. No trunk after all (an inbound call
        took the last one): the agent hears busy and the callback keeps its place."""
        from .outbound import DialError

        cb.agent = g
        try:
            self.calls.outbound.find(None)
        except DialError:
            self.calls.agent_alone(g, cmd)
            self._join(cb, cb.queued_at, now)
            self._event(cb, ev, why="no-trunk")
            return
        cb.attempt += 1
        cb.state = P_DIALING
        self._save(cb)  # before the seizure: a power cut from here on counts the attempt
        try:
            r = self.calls.outbound.dial(cb.number, None, None, now, ports, ev, cmd)
        except DialError:  # (find() said yes a moment ago; a number kept by older firmware)
            self.calls.agent_alone(g, cmd)
            cb.agent = None
            self._next(cb, "error", now, ev, True)
            return
        c = self.calls.calls[r["port"]]
        c.out.cb = cb
        cb.call = c
        rec = c.cdr
        rec["callback_for"] = cb.id
        rec["attempt"] = cb.attempt
        rec["agent"] = g.ext
        rec["agent_name"] = g.name
        rec["queue"] = cb.queue
        self._event(cb, ev, agent=g.ext, port=c.port, call=c.id)

    # -- outbound.py's hooks -----------------------------------------------------------------

    def answered(self, c, result, now, ev, cmd):
        """The callee answered: bridge them to the agent (True), or not (False: hang up)."""
        cb = c.out.cb
        g = cb.agent
        if g is None or g.call is not cb:
            return False
        if result == linecard.CPA_PERSON or (result == linecard.CPA_MACHINE and self.machine == "leave"):
            cmd.append({"t": linecard.CMD_BRIDGE, "port": c.port, "a": c.port, "b": g.port})
            cb.state = P_CONNECTED
            c.cdr["connected"] = self.calls.epoch(now)
            self._event(cb, ev, agent=g.ext, result=result)
            return True
        return False

    def ended(self, c, outcome, now, ev, cmd):
        """The trunk call of a callback ends (before its hang-up command): free the agent,
        then done, a retry or failed."""
        cb = c.out.cb
        connected = cb.state == P_CONNECTED
        if connected:
            cmd.append({"t": linecard.CMD_UNBRIDGE, "port": c.port})
        g = cb.agent
        if g is not None and g.call is cb:
            self.calls.agent_alone(g, cmd)
        from .outbound import retry_as

        cb.call = None
        cb.agent = None
        self._next(cb, "answered" if connected else outcome, now, ev, True, retry_as(c.out))

    def agent_left(self, g, cb, now, ports, ev, cmd):
        """The agent hung up on a callback: its trunk call ends with it."""
        if cb.call is not None and cb.call.out is not None:
            if cb.agent is g:
                cb.agent = None
            self.calls.outbound.end(cb.call, "agent", "agent", now, ports, ev, cmd)

    def _next(self, cb, outcome, now, ev, save, like=None):
        """cb's attempt ended with outcome: done, a retry by the rule for `like` (default the
        outcome's own: outbound.retry_as), or failed."""
        cb.outcome = outcome
        if outcome == "answered":
            cb.state = P_DONE
        else:
            rule = self.retry.get(like or outcome)
            if rule is not None and cb.attempt < rule[1]:
                cb.state = P_RETRY
                cb.due = self.calls.epoch(now) + rule[0]
            else:
                cb.state = P_FAILED
        if save:
            self._save(cb)
        if cb.state in _OVER and cb in self.kept:
            self.kept.remove(cb)
        if ev is not None:
            self._event(cb, ev, outcome=outcome, due=cb.due if cb.state == P_RETRY else None)

    # -- time --------------------------------------------------------------------------------

    def tick(self, now, ev):
        """Retries whose interval is over rejoin their queue, at the back."""
        epoch = None
        for cb in self.kept:
            if cb.state == P_RETRY:
                if epoch is None:
                    epoch = self.calls.epoch(now)
                if epoch >= cb.due:
                    cb.since = epoch  # its new place: the back of the queue
                    cb.state = P_PENDING
                    self._save(cb)
                    self._join(cb, now, now)
                    self._event(cb, ev)

    def status(self):
        return [cb.line() for cb in self.kept]

    def _event(self, cb, ev, **more):
        v = {"id": cb.id, "state": cb.state, "attempt": cb.attempt}
        for k in more:
            if more[k] is not None:
                v[k] = more[k]
        ev.append((messages.EV_CALLBACK, v))
