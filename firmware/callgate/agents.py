# Agents as people: logged in or out, ready, paused with a reason, and what they key on their
# phones (feature codes, dispositions), with a record of every interval of their day. Pure
# logic, like acd.py: acd.py moves an agent between states through Staff.move(), which closes
# the interval in a record line (Staff.lines, written to the flash by the app: AgentLog) and
# adds an ("agent", a) decision for the host's event; calls.py hands keys and link requests in.
#
#   logged-out --login--> ready --offered a call--> ringing --picked up--> talking
#   talking --hung up--> wrapup --the queue's wrap-up time--> ready (or paused, logged-out:
#                                 what the agent chose meanwhile)
#   ready <--pause REASON / ready--> paused (a reason change closes the interval too)
#   logged-out, ready, paused, wrapup --picked up without a call--> offhook (dialling: feature
#                                 codes; not offered calls) --hung up--> where they were
#   ringing --no answer, the site's auto_pause times in a row--> paused, reason "no-answer"
#
# Only ready agents are offered calls (acd.py). An agent's availability ("base": logged-out,
# ready or paused with a reason) is where they go when no call holds them; a login, logout,
# pause or ready while a call does changes the base, and the agent goes there after wrap-up.
#
# Feature codes (the site's agents.codes), keyed off hook without a call, or after the caller
# hung up: login (toggles logged in/out), ready, pause + a reason's code, disposition + a
# disposition's code; a code's digits end at the only code they can be, or at #. Each is
# answered by a tone: TONE_OK done, TONE_NO refused (a reason or disposition that does not
# exist, a pause while logged out, a disposition with no call to give it to). A supervisor's
# codes (listen, whisper, barge + an agent's extension) are refused at once on a phone the
# site does not mark supervisor; on a supervisor's, a ("supervise", a, mode, ext) decision
# goes to calls.py, which joins the agent's call (supervise.py) or refuses.
#
# Dispositions: from the moment an agent connects to a call until their wrap-up ends, the
# call's record waits for its disposition (calls.py asks hold()); keying it (or the wrap-up's
# end) lets it go to the flash with "disposition" filled in (or null).
#
# Interval records (agents/YYYYMMDD.log, the same lines as call records: records.py), one per
# state an agent leaves: {"v", "agent" (extension), "name", "port", "state", "reason", "start",
# "end", "next", "next_reason"} in Unix ms on the board's clock; "cut": true when the board
# lost power during it (its end is the next boot). Each interval starts where the one before
# ended, so an agent's records tile their day; logged-in time is every state but logged-out.
# At boot, recover() finds each agent's last line: the interval it left open is closed at
# the boot (cut) and the agent goes on logged out, paused with the same reason, or ready.

import time

from . import records
from .compat import const, ticks_diff

LOGGED_OUT = "logged-out"
READY = "ready"
RINGING = "ringing"
TALKING = "talking"
WRAPUP = "wrapup"
PAUSED = "paused"
OFFHOOK = "offhook"
STATES = (LOGGED_OUT, READY, RINGING, TALKING, WRAPUP, PAUSED, OFFHOOK)
REST = (LOGGED_OUT, READY, PAUSED)  # where an agent is between calls (their "base")
AUTO_REASON = "no-answer"  # an auto-pause's reason
START = (READY, LOGGED_OUT)  # the site's agents.start: how an agent with no past begins

FOLDER = "agents"
VERSION = 1  # an interval record's "v"
FIELDS = ("v", "agent", "name", "port", "state", "reason", "start", "end", "next", "next_reason")

TONE_OK = "ringback"  # a feature code done (one burst: the agent hangs up)
TONE_NO = "congestion"  # refused
_KEY_MS = const(5000)  # keys further apart than this start a code afresh

LOGIN = "login"
LOGOUT = "logout"
READY_DO = "ready"
PAUSE = "pause"
DISPOSITION = "disposition"
DOS = (LOGIN, LOGOUT, READY_DO, PAUSE)  # what the link may ask for an agent
SUPERVISE = ("listen", "whisper", "barge")  # a supervisor's codes (supervise.py MODES)


def day(epoch_ms):
    t = time.gmtime(epoch_ms // 1000)
    return "%04d%02d%02d" % (t[0], t[1], t[2])


class Staff:
    def __init__(self, cfg, epoch=None):
        """cfg: the bundle's "agents" (bundle.check() has seen every field)."""
        self.start = cfg["start"]
        self.auto_pause = cfg["auto_pause"]
        c = cfg["codes"]
        self.codes = [(c[k], k) for k in (LOGIN, READY_DO, PAUSE, DISPOSITION) + SUPERVISE if c[k]]
        self.reasons = cfg["reasons"]  # code -> name
        self.dispositions = cfg["dispositions"]  # code -> name
        self.epoch = epoch or (lambda ms: ms)
        self.lines = []  # interval records not yet written (the app takes them)
        self.agents = []  # acd.Agent, as join() saw them
        self.exts = {}  # every agent's extension (a supervisor's codes take one)

    # -- joining: boot, site load ------------------------------------------------------------

    def join(self, a, now, past=None, cut=True):
        """Set up agent a (acd.Agent) as the site starts. past: (state, reason, since ms,
        calls today, day) of its last interval (the flash's, recover(); or the agent's before
        a site reload, cut=False: its interval goes on); None: the site's start state."""
        self.agents.append(a)
        self.exts[a.ext] = a.ext
        t = self.epoch(now)
        a.missed = 0  # offers not answered in a row
        a.keys = ""  # feature-code keys so far
        a.key_at = 0
        a.before = None  # off hook: the state to go back to
        a.last = None  # the call record waiting for this agent's disposition
        a.held = False  # ... and the call is over: it is held here
        a.today, a.day = 0, day(t)
        if past is None:
            a.state, a.reason, a.start = LOGGED_OUT, None, t
            a.base, a.base_reason = self.start, None
            if self.start != LOGGED_OUT:  # a zero-length logged-out interval marks the login
                self._set(a, self.start, None, t)
            return
        state, reason, since = past[0], past[1], past[2]
        if past[4] == a.day:
            a.today = past[3]
        if state not in REST:
            state, reason = READY, None
        a.state, a.reason, a.start = past[0], past[1], since
        a.base, a.base_reason = state, reason
        if cut:
            self._set(a, state, reason, max(t, since), True)
        elif a.state != state:
            self._set(a, state, reason, max(t, since))

    def leave(self, a, now):
        """Agent a is not in the new site: logged out now."""
        self._set(a, LOGGED_OUT, None, max(self.epoch(now), a.start))

    def past(self, a):
        return (a.base if a.state not in REST else a.state, a.base_reason if a.state not in REST else a.reason,
                a.start, a.today, a.day)

    # -- moving ------------------------------------------------------------------------------

    def move(self, a, state, now, out, reason=None, why=None):
        """Agent a is now in `state` (with a pause's reason): the interval before is closed."""
        if state == a.state and reason == a.reason:
            return
        self._set(a, state, reason, max(self.epoch(now), a.start))
        out.append(("agent", a, why) if why else ("agent", a))

    def _set(self, a, state, reason, t, cut=False):
        r = {"v": VERSION, "agent": a.ext, "name": a.name, "port": a.port, "state": a.state, "reason": a.reason,
             "start": a.start, "end": t, "next": state, "next_reason": reason}
        if cut:
            r["cut"] = True
        self.lines.append(r)
        a.state, a.reason, a.start = state, reason, t

    def rest(self, a, now, out):
        """Agent a is done with calls for now (wrap-up over, a ring unanswered, hung up after
        dialling): to their base, and their last call's record goes."""
        self.release(a, out)
        self.move(a, a.base, now, out, a.base_reason)

    def choose(self, a, base, reason, now, out):
        """The agent (or the link) chose an availability: at once if nothing holds them; else
        when their call and wrap-up are over. Returns False when it cannot be (a pause while
        logged out)."""
        if base == PAUSED and a.base == LOGGED_OUT:
            return False
        a.base, a.base_reason = base, reason
        if a.state in REST:
            self.move(a, base, now, out, reason)
        elif a.state == OFFHOOK and a.before == WRAPUP:
            a.before = None  # a choice ends the wrap-up
            self.release(a, out)
        return True

    def missed_offer(self, a, now, out):
        """Agent a let an offer ring out: after the site's auto_pause in a row, paused."""
        a.missed += 1
        if self.auto_pause and a.missed >= self.auto_pause:
            a.missed = 0
            a.base, a.base_reason = PAUSED, AUTO_REASON
            self.move(a, PAUSED, now, out, AUTO_REASON, "auto-pause")
            return True
        return False

    def connected(self, a, record, now):
        """Agent a picked up a call whose record is `record`."""
        a.missed = 0
        d = day(self.epoch(now))
        if d != a.day:
            a.day, a.today = d, 0
        a.today += 1
        if self.dispositions:
            a.last = record

    def calls_today(self, a, now):
        return a.today if a.day == day(self.epoch(now)) else 0

    # -- dispositions: the call record waits ---------------------------------------------------

    def hold(self, record):
        """True when an agent may still key this ended call's disposition: the record waits."""
        for a in self.agents:
            if a.last is record:
                a.held = True
                return True
        return False

    def release(self, a, out):
        if a.last is not None:
            if a.held:
                out.append(("record", a.last))
            a.last = None
            a.held = False

    def held(self):
        n = 0
        for a in self.agents:
            if a.held:
                n += 1
        return n

    def flush(self, out):
        for a in self.agents:
            self.release(a, out)

    # -- keys --------------------------------------------------------------------------------

    def key(self, a, d, now, out):
        """Key d on agent a's phone (off hook without a caller). False when the keys so far
        are not a feature code's (someone else's: dialling)."""
        if a.keys and ticks_diff(now, a.key_at) >= _KEY_MS:
            a.keys = ""
        a.keys += d
        a.key_at = now
        k = a.keys
        for code, what in self.codes:
            if k.startswith(code):
                if what == LOGIN or what == READY_DO:
                    a.keys = ""
                    return self._do(a, what, None, now, out)
                if what in SUPERVISE and not a.supervisor:
                    a.keys = ""
                    out.append(("confirm", a, False))  # only a supervisor's phone may
                    return True
                table = self.reasons if what == PAUSE else (self.dispositions if what == DISPOSITION else self.exts)
                arg = k[len(code):]
                if arg.endswith("#"):
                    a.keys = ""
                    return self._do(a, what, table.get(arg[:-1]), now, out)
                more = False
                for c in table:
                    if c != arg and c.startswith(arg):
                        more = True
                if arg in table and not more:
                    a.keys = ""
                    return self._do(a, what, table[arg], now, out)
                if not more:
                    a.keys = ""
                    out.append(("confirm", a, False))
                return True
            if code.startswith(k):
                return True  # the beginning of a code: wait for the rest
        a.keys = ""
        return False

    def _do(self, a, what, arg, now, out):
        if what in SUPERVISE:  # calls.py joins the call, or refuses (supervise.py)
            out.append(("supervise", a, what, arg) if arg is not None else ("confirm", a, False))
            return True
        ok = arg is not None or what == LOGIN or what == READY_DO
        if ok:
            if what == LOGIN:
                ok = self.choose(a, READY if a.base == LOGGED_OUT else LOGGED_OUT, None, now, out)
            elif what == READY_DO:
                ok = self.choose(a, READY, None, now, out)
            elif what == PAUSE:
                ok = self.choose(a, PAUSED, arg, now, out)
            else:
                ok = self.dispose(a, arg, out)
        out.append(("confirm", a, ok))
        return True

    def dispose(self, a, name, out):
        r = a.last
        if r is None:
            return False
        r["disposition"] = name
        if a.held:
            self.release(a, out)  # the call is over: its record goes now
        elif r["ended"] is None:
            a.last = None  # still going (a survey): it goes when it ends
        return True

    # -- the link ------------------------------------------------------------------------------

    def ask(self, a, do, reason, now, out):
        """A link request (DOS) for agent a; False when it cannot be."""
        if do == LOGIN or do == READY_DO:
            return self.choose(a, READY, None, now, out)
        if do == LOGOUT:
            return self.choose(a, LOGGED_OUT, None, now, out)
        if do == PAUSE:
            if reason not in self.reasons.values():
                return False
            return self.choose(a, PAUSED, reason, now, out)
        return False

    def status(self, a, now):
        return {"port": a.port, "ext": a.ext, "name": a.name, "state": a.state, "reason": a.reason,
                "since": a.start, "calls": a.calls, "today": self.calls_today(a, now),
                "base": a.base, "base_reason": a.base_reason}


class AgentLog:
    """The interval records in the flash: agents/YYYYMMDD.log, by the day (UTC) each ended."""

    def __init__(self, folder=FOLDER):
        self.folder = folder
        self.written = 0
        self.failed = 0

    def write(self, r):
        try:
            records.append(self.folder + "/" + day(r["end"]) + ".log", r)
        except OSError as e:
            self.failed += 1
            print("agents: not written:", repr(e))
            return
        self.written += 1

    def recover(self, exts, now_epoch):
        """{ext: (state, reason, since, calls today, day)} of each agent in exts from the newest
        record files back: the interval each left open when the board stopped."""
        import os

        try:
            names = sorted((n for n in os.listdir(self.folder) if n.endswith(".log")), reverse=True)
        except OSError:
            return {}
        today = day(now_epoch)
        found = {}
        want = set(exts)
        for name in names:
            last = {}
            counts = {}

            def take(r, last=last, counts=counts):
                e = r.get("agent")
                if e in want:
                    last[e] = r
                    if r.get("state") == TALKING:
                        counts[e] = counts.get(e, 0) + 1

            records.scan(self.folder + "/" + name, take)
            for e, r in last.items():
                n = counts.get(e, 0) if name[:8] == today else 0
                found[e] = (r["next"], r["next_reason"], r["end"], n, today)
                want.discard(e)
            if not want:
                break
        return found
