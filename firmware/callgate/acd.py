# The queue (ACD): callers waiting in the site's queues, agents on the FXS ports, and who gets
# which call. Pure logic, like ivr.py: the time comes in, decisions go out as tuples appended to
# the caller's list; calls.py turns them into line-card commands and events.
#
#   acd = Acd(bundle, epoch, now, past)   agents from the bundle's FXS ports (acd.staff, agents.py:
#                                     their states), queues from "queues"
#   acd.enqueue(call, name, now)      a caller enters a queue (again, on overflow: the first
#                                     queued time is kept, so the caller keeps their place)
#   acd.leave(call, now, out)         the caller leaves the queue (hung up, overflowed)
#   acd.choose(agent, base, ...)      a ringing agent chose to pause or log out: stop ringing
#   acd.offhook(port, now, out)       an agent's phone went off hook
#   acd.onhook(port, now, out)        ... and on hook
#   acd.tick(now, out)                ring timeouts, wrap-up ends, maximum waits; then offers
#   acd.ringing(call)                 the agent whose phone rings for this caller, or None
#   acd.transferred(agent, now, out)  the agent transferred their call: wrap-up (the call is
#                                     queued again by calls.py; call.only: for one agent)
#
# Decisions:
#   ("ring", agent, call)     ring this agent for this caller (the screen pop goes with it)
#   ("unring", agent, call)   stop ringing it (another agent took the call, the caller left, or
#                             no answer in the queue's ring time)
#   ("connect", agent, call)  the agent picked up: bridge them
#   ("left", agent, call)     the agent hung up on a call (call None: the caller had gone)
#   ("overflow", call)        the caller waited the queue's maximum: do its overflow action
#                             (never an agent-first item, which has no maximum wait)
#   ("agent", agent[, why])   the agent's state changed (for the host's events; why:
#                             "auto-pause")
#   ("record", record)        a call record that waited for its disposition may go now
#   ("confirm", agent, ok)    a feature code done (True) or refused: its tone
#   ("supervise", agent, mode, ext)  a supervisor keyed a code to join ext's call (supervise.py)
#
# Agent-first items wait in the queues beside callers (agent_first True): callbacks.py's
# callbacks, in their caller's place, and dialer.py's leads of agent-connected campaigns. Their
# owner says whether their turn may come (owner.may_offer: live callers first) and, once the
# agent picks up ("connect"), dials the number with the agent on the line.
#
# Agents (their states, feature codes and records are agents.py's): ready -> ringing ->
# talking -> wrapup -> their base (ready, paused or logged out); off hook without a call ->
# offhook (not offered calls) until on hook again. An agent is offered a call only if ready
# and their skills include all of the queue's. Callers are served oldest first (by the time
# they first queued) across every queue an agent can take; a caller is rung at one agent at a
# time, or at every ready agent for ring-all. A ring not answered in the queue's time counts
# towards the site's auto-pause.

from .agents import OFFHOOK, PAUSED, READY, REST, RINGING, TALKING, WRAPUP, Staff
from .compat import ticks_add, ticks_diff

class Agent:
    def __init__(self, p):
        self.port = p["n"]
        self.ext = p["ext"]
        self.name = p["agent"]
        self.skills = p["skills"]
        self.supervisor = p["supervisor"]  # may listen to, whisper to, barge into calls
        self.state = READY  # agents.py's states (Staff.join() sets the first)
        self.since = 0  # ready since (longest-idle)
        self.calls = 0  # calls taken since boot (fewest-calls)
        self.call = None  # the call ringing here, or being talked to
        self.until = 0  # ring timeout, or the end of wrap-up
        self.wrap_ms = 0  # the queue's, when a call connects


class Queue:
    def __init__(self, name, q):
        self.name = name
        self.skills = q["skills"]
        self.strategy = q["strategy"]
        self.hold = q["hold"]
        self.positions = q["positions"]
        self.announce_ms = int(q["announce_s"]) * 1000
        self.max_wait_ms = int(q["max_wait_s"]) * 1000
        self.overflow = q["overflow"]
        self.ring_ms = int(q["ring_s"]) * 1000
        self.wrap_ms = int(q["wrap_s"]) * 1000
        self.record = q["record"]  # True, False, or None: the site's policy
        self.ext = q["ext"]  # the digits an agent keys to transfer a call here, or None
        self.last = -1  # round-robin: the port of the last agent rung


class Acd:
    def __init__(self, bundle, epoch=None, now=0, past=None, cut=True):
        """past: {ext: agents.py's past tuple} (the flash's at boot, cut=True; the old site's
        at a reload, cut=False); agents without one start as the site says."""
        self.staff = Staff(bundle["agents"], epoch)
        self.agents = {}
        for p in bundle["ports"]:  # bundle.check() has seen every field
            if p["kind"] == "fxs":
                self.agents[p["n"]] = Agent(p)
        self.order = [self.agents[n] for n in sorted(self.agents)]
        for a in self.order:
            self.staff.join(a, now, (past or {}).get(a.ext), cut)
            a.since = now
        self.queues = {}
        for name, q in bundle["queues"].items():
            self.queues[name] = Queue(name, q)
        self.waiting = []  # calls (and agent-first items: callbacks, campaign leads), oldest first

    def queue(self, name):
        return self.queues.get(name)

    def can_take(self, agent, q):
        for s in q.skills:
            if s not in agent.skills:
                return False
        return True

    def staffed(self, q):
        """Agents who could ever take calls from queue q."""
        return [a for a in self.order if self.can_take(a, q)]

    # -- callers ---------------------------------------------------------------------------

    def enqueue(self, call, name, now):
        q = self.queues[name]
        call.q = q
        call.q_since = now
        if call.queued_at is None:
            call.queued_at = now
        call.tried = []
        i = len(self.waiting)
        while i > 0 and ticks_diff(self.waiting[i - 1].queued_at, call.queued_at) > 0:
            i -= 1
        self.waiting.insert(i, call)

    def position(self, call):
        """1 for the next caller of its queue to be served."""
        n = 1
        for c in self.waiting:
            if c is call:
                return n
            if c.q is call.q:
                n += 1
        return 0

    def leave(self, call, now, out):
        if call in self.waiting:
            self.waiting.remove(call)
        for a in self.order:
            if a.state == RINGING and a.call is call:
                self._unring(a, now, out)

    # -- agents ----------------------------------------------------------------------------

    def offhook(self, port, now, out):
        a = self.agents.get(port)
        if a is None:
            return
        if a.state == RINGING:
            call = a.call
            for b in self.order:
                if b is not a and b.state == RINGING and b.call is call:
                    self._unring(b, now, out)
            if call in self.waiting:
                self.waiting.remove(call)
            a.calls += 1
            a.wrap_ms = call.q.wrap_ms
            a.call = call
            out.append(("connect", a, call))
            self.staff.move(a, TALKING, now, out)
        elif a.state in REST or a.state == WRAPUP:
            a.before = a.state
            a.keys = ""
            self.staff.move(a, OFFHOOK, now, out, a.reason if a.state == PAUSED else None)

    def onhook(self, port, now, out):
        a = self.agents.get(port)
        if a is None:
            return
        if a.state == TALKING:
            call = a.call
            a.call = None
            a.until = ticks_add(now, a.wrap_ms)
            out.append(("left", a, call))
            self.staff.move(a, WRAPUP, now, out)
        elif a.state == OFFHOOK:
            if a.before == WRAPUP and ticks_diff(now, a.until) < 0:
                self.staff.move(a, WRAPUP, now, out)  # back to the rest of the wrap-up
            else:
                self.staff.rest(a, now, out)
                a.since = now

    def transferred(self, a, now, out):
        """Agent a handed their call on (a blind transfer): wrap-up, as after a hang-up."""
        a.call = None
        a.until = ticks_add(now, a.wrap_ms)
        self.staff.move(a, WRAPUP, now, out)

    def caller_gone(self, a):
        """The caller hung up while talking to agent a: the agent stays on the line (hearing
        busy tone) until they hang up."""
        a.call = None

    # -- time ------------------------------------------------------------------------------

    def tick(self, now, out):
        for a in self.order:
            if a.state == RINGING and ticks_diff(now, a.until) >= 0:
                self._unring(a, now, out, True)  # no answer: the next agent gets the call
            elif a.state == WRAPUP and ticks_diff(now, a.until) >= 0:
                self.staff.rest(a, now, out)
                a.since = now
        i = 0
        while i < len(self.waiting):
            c = self.waiting[i]
            if c.q.max_wait_ms and not c.agent_first and ticks_diff(now, c.q_since) >= c.q.max_wait_ms:
                self.leave(c, now, out)
                out.append(("overflow", c))
            else:
                i += 1
        self._offer(now, out)

    def _offer(self, now, out):
        for c in self.waiting:
            if self.ringing(c) is not None:
                continue
            if c.agent_first and not c.owner.may_offer(c):  # its owner's rule: live callers first
                continue
            q = c.q
            free = None  # a list only when someone is free: a waiting caller's tick allocates
            for a in self.order:  # nothing (loops: a comprehension's closure cells would)
                if a.state == READY and (self.can_take(a, q) if c.only is None else a is c.only):
                    if free is None:  # transferred to one (c.only): whatever skills
                        free = []
                    free.append(a)
            if free is None:
                continue
            fresh = []
            for a in free:
                if a.port not in c.tried:
                    fresh.append(a)
            if not fresh:  # every free agent has had a go: start again
                c.tried.clear()
                fresh = free
            for a in self._pick(q, fresh):
                a.call = c
                a.until = ticks_add(now, q.ring_ms)
                c.tried.append(a.port)
                out.append(("ring", a, c))
                self.staff.move(a, RINGING, now, out)

    def ringing(self, call):
        """The agent whose phone rings for this caller (the first, for ring-all), or None."""
        for a in self.order:
            if a.state == RINGING and a.call is call:
                return a
        return None

    def _pick(self, q, free):
        s = q.strategy
        if s == "ring-all":
            return free
        if s == "round-robin":
            for a in free:
                if a.port > q.last:
                    q.last = a.port
                    return (a,)
            q.last = free[0].port
            return (free[0],)
        best = free[0]
        for a in free[1:]:
            if s == "fewest-calls" and a.calls != best.calls:
                if a.calls < best.calls:
                    best = a
            elif ticks_diff(a.since, best.since) < 0:
                best = a
        return (best,)

    def _unring(self, a, now, out, missed=False):
        call = a.call
        a.call = None  # its ready-since time is kept: it stays as long-idle as it was
        out.append(("unring", a, call))
        if not (missed and self.staff.missed_offer(a, now, out)):
            self.staff.move(a, a.base, now, out, a.base_reason)

    def choose(self, a, base, reason, now, out):
        """An availability chosen over the link (agents.py's Staff.ask did the checks): a
        ringing agent stops ringing first."""
        if a.state == RINGING:
            a.base, a.base_reason = base, reason
            self._unring(a, now, out)
        return True
