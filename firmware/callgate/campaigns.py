# Campaigns: lists of numbers the board calls out to (docs/outbound.md, Campaigns). This module
# is the plan and its memory: which contact to dial next, and what became of each attempt,
# kept on the flash so that a power cut never makes the board dial anyone twice for the same
# attempt. Pure logic over four files; no asyncio, no line cards (calls.py and outbound.py
# place the calls, as for callbacks). The host writes the first three (`callgate campaign
# load`, host/callgate/campaign/board.py); the journal is the board's.
#
#   cp/NAME.json      the settings: {"name", "kind", "window": [from, to] (minutes of the
#                     callee's day), "days": [0..6] (monday 0), "attempts" (the most per
#                     contact), "retry": {outcome: [ms, attempts]}, "contacts", "dnc"} and the
#                     kind's own fields
#   cp/NAME.contacts  one contact per line, CONTACT_LINE bytes each (found by seek, never all
#                     in the heap): the number, space-padded to NUMBER_WIDTH, the callee's UTC
#                     offset in minutes, space-padded to 6, LF
#   cp/NAME.dnc       the numbers never dialled, sorted, DNC_LINE bytes each: a binary search
#                     by seek before every dial
#   cp/NAME.log       the journal, record lines (records.py): {"c": contact, "a": attempt,
#                     "s": state, "o": outcome, "due": Unix ms, "at": Unix ms}, and
#                     {"run": "running"|"paused"|"stopped", "at"} for the campaign itself
#
# A contact:
#
#   pending --its turn, in its window, a line free--> dialing (journalled before the seizure)
#   pending --its number is on the do-not-call list--> dnc (never dialled)
#   dialing --a final outcome (person; machine or fax without a rule)--> done
#   dialing --an outcome with a retry rule, attempts left--> retry --due--> dialing
#   dialing --no rule, or no attempts left--> failed
#
# A "dialing" line is written before the trunk is seized: after a power cut that attempt
# counts as made, with the outcome "cut" (and the retry rule for it), so no attempt is ever
# dialled twice. Retries go first when due, then pending contacts in the file's order.

from . import records
from .compat import const

FOLDER = "cp"
NUMBER_WIDTH = const(24)
CONTACT_LINE = const(31)  # NUMBER_WIDTH + 6 + LF
DNC_LINE = const(25)  # NUMBER_WIDTH + LF
CUT = "cut"
SCAN = const(50)  # pending contacts next_due looks at, at most, per call

C_PENDING = const(0)
C_DIALING = const(1)
C_RETRY = const(2)
C_DONE = const(3)
C_FAILED = const(4)
C_DNC = const(5)
STATES = ("pending", "dialing", "retry", "done", "failed", "dnc")
_FINAL = ("person",)  # outcomes that finish a contact whatever the rules say

R_RUNNING = "running"
R_PAUSED = "paused"
R_STOPPED = "stopped"


class CampaignError(ValueError):
    pass


def contact_line(number, offset_min):
    """The bytes of one line of cp/NAME.contacts (the host writes them with this)."""
    return ("%-24s%-6d\n" % (number, offset_min)).encode()


def dnc_line(number):
    return ("%-24s\n" % number).encode()


def local_minute(epoch_ms, offset_min):
    """(weekday, minute of the day) at the callee: monday 0; 1970-01-01 was a thursday."""
    m = epoch_ms // 60000 + offset_min
    return (m // 1440 + 3) % 7, m % 1440


def in_window(window, days, epoch_ms, offset_min):
    day, minute = local_minute(epoch_ms, offset_min)
    if day not in days:
        return False
    start, end = window
    return start <= minute < end


class Campaign:
    """One campaign's plan on the board. cfg: cp/NAME.json's dict; folder: where its files are."""

    def __init__(self, cfg, folder=FOLDER):
        self.cfg = cfg
        self.name = cfg["name"]
        base = folder + "/" + self.name
        self.contacts_path = base + ".contacts"
        self.dnc_path = base + ".dnc"
        self.log_path = base + ".log"
        self.count = cfg["contacts"]
        self.dnc_count = cfg["dnc"]
        self.window = cfg["window"]
        self.days = cfg["days"]
        self.attempts_max = cfg["attempts"]
        self.retry = cfg["retry"]
        self.state = bytearray(self.count)  # C_* per contact
        self.tries = bytearray(self.count)  # attempts begun per contact
        self.due = {}  # contact -> Unix ms its retry may be dialled (C_RETRY only)
        self.outcome = {}  # contact -> the last attempt's outcome
        self.run = R_STOPPED
        self.cursor = 0  # no pending contact before it
        self._scan = 0  # where next_due goes on looking
        self.failed_writes = 0
        self.persons = 0  # attempts a person answered (the journal's, since the campaign began)
        self.abandoned = 0  # of those, persons no agent took (agent-connected: dialer.py)

    # -- the flash ---------------------------------------------------------------------------

    def _log(self, rec):
        try:
            records.append(self.log_path, rec)
        except OSError as e:
            self.failed_writes += 1
            print("campaign %s: not written: %r" % (self.name, e))

    def load(self, now_ms):
        """At boot: the journal replayed. An attempt it shows begun and not ended was cut off:
        it counts as made, outcome "cut" (journalled now, with its retry)."""
        cut = []

        def take(r):
            if "run" in r:
                self.run = r["run"]
                return
            c = r.get("c")
            if not isinstance(c, int) or not 0 <= c < self.count:
                return
            s = STATES.index(r["s"]) if r.get("s") in STATES else C_FAILED
            self.state[c] = s
            self.tries[c] = min(255, r.get("a", 0))
            if r.get("o") is not None:
                self.outcome[c] = r["o"]
                self._count(r["o"], r.get("r"))
            if s == C_RETRY:
                self.due[c] = r.get("due", 0)
            else:
                self.due.pop(c, None)

        records.scan(self.log_path, take)
        for c in range(self.count):
            if self.state[c] == C_DIALING:
                cut.append(c)
        for c in cut:
            self.ended(c, CUT, now_ms)
        if self.run == R_RUNNING and self.finished():
            self.run = R_STOPPED
        return cut

    def set_run(self, run, now_ms):
        if run not in (R_RUNNING, R_PAUSED, R_STOPPED):
            raise CampaignError("no such state: %r" % run)
        self.run = run
        self._log({"run": run, "at": now_ms})

    # -- the contacts ------------------------------------------------------------------------

    def contact(self, c, f=None):
        """(number, utc offset in minutes) of contact c, read from the flash (f: the contacts
        file, open)."""
        if f is None:
            with open(self.contacts_path, "rb") as f:
                return self.contact(c, f)
        f.seek(c * CONTACT_LINE)
        raw = f.read(CONTACT_LINE)
        if len(raw) != CONTACT_LINE:
            raise CampaignError("%s: contact %d missing" % (self.contacts_path, c))
        return raw[:NUMBER_WIDTH].decode().strip(), int(raw[NUMBER_WIDTH:CONTACT_LINE - 1])

    def on_dnc(self, number):
        """True if number is on the do-not-call list (a binary search on the flash)."""
        lo, hi = 0, self.dnc_count
        if not hi:
            return False
        key = number.encode()
        with open(self.dnc_path, "rb") as f:
            while lo < hi:
                mid = (lo + hi) // 2
                f.seek(mid * DNC_LINE)
                got = f.read(NUMBER_WIDTH).rstrip()
                if got == key:
                    return True
                if got < key:
                    lo = mid + 1
                else:
                    hi = mid
        return False

    # -- the plan ----------------------------------------------------------------------------

    def next_due(self, now_ms):
        """The contact to dial now, or None: a retry whose time has come first, then a pending
        contact, either only in its window. Pending contacts are looked at in the file's order,
        at most SCAN of them a call, going on from where the last call stopped (a list of
        thousands out of their window costs a call no more than SCAN reads of the flash). A
        number on the do-not-call list is marked so (journalled) and passed over: it is never
        dialled."""
        if self.run != R_RUNNING:
            return None
        with open(self.contacts_path, "rb") as f:
            for c in sorted(self.due):
                if self.due[c] <= now_ms and self._allowed(c, f, now_ms):
                    return c
            while self.cursor < self.count and self.state[self.cursor] != C_PENDING:
                self.cursor += 1
            if self._scan < self.cursor or self._scan >= self.count:
                self._scan = self.cursor
            for _ in range(SCAN):
                c = self._scan
                if c >= self.count:
                    break
                if self.state[c] == C_PENDING and self._allowed(c, f, now_ms):
                    return c  # (again next time, unless it is dialled)
                self._scan += 1
        return None

    def _allowed(self, c, f, now_ms):
        number, offset = self.contact(c, f)
        if self.on_dnc(number):
            self.state[c] = C_DNC
            self.due.pop(c, None)
            self._log({"c": c, "a": self.tries[c], "s": STATES[C_DNC], "at": now_ms})
            return False
        return in_window(self.window, self.days, now_ms, offset)

    def dialing(self, c, now_ms):
        """Contact c is about to be dialled: the attempt is journalled first. Returns its
        number (the do-not-call list is asked once more)."""
        number, _ = self.contact(c)
        if self.state[c] not in (C_PENDING, C_RETRY) or self.on_dnc(number):
            raise CampaignError("contact %d may not be dialled now" % c)
        self.tries[c] = min(255, self.tries[c] + 1)
        self.state[c] = C_DIALING
        self.due.pop(c, None)
        self._log({"c": c, "a": self.tries[c], "s": STATES[C_DIALING], "at": now_ms})
        return number

    def ended(self, c, outcome, now_ms, extra=None, like=None):
        """The attempt on contact c ended with outcome: done, a retry (by the rule for `like`,
        default the outcome's own: outbound.retry_as), or failed."""
        rule = self.retry.get(like or outcome)
        tries = self.tries[c]
        if outcome in _FINAL or (rule is None and outcome in ("machine", "fax")):
            s = C_DONE
        elif rule is not None and tries < rule[1] and tries < self.attempts_max:
            s = C_RETRY
            self.due[c] = now_ms + rule[0]
        else:
            s = C_FAILED
        self.state[c] = s
        self.outcome[c] = outcome
        self._count(outcome, extra)
        rec = {"c": c, "a": tries, "s": STATES[s], "o": outcome, "at": now_ms}
        if s == C_RETRY:
            rec["due"] = self.due[c]
        if extra:
            rec["r"] = extra
        self._log(rec)
        return STATES[s]

    def _count(self, outcome, extra):
        if outcome == "person":
            self.persons += 1
            if isinstance(extra, dict) and extra.get("abandoned"):
                self.abandoned += 1

    def over_abandon_limit(self):
        """True when more than the campaign's max_abandon_pct of the persons who answered were
        abandoned (agent-connected campaigns; the FTC's safe harbour is 3 %)."""
        pct = self.cfg.get("agent_connected", {}).get("max_abandon_pct", 3)
        return self.abandoned * 100 > pct * self.persons

    def finished(self):
        for s in self.state:
            if s in (C_PENDING, C_DIALING, C_RETRY):
                return False
        return True

    def status(self):
        """{"name", "run", "contacts", "pending", "dialing", "retry", "done", "failed", "dnc",
        "attempts", "outcomes": {outcome: contacts whose last attempt ended so}}."""
        out = {"name": self.name, "kind": self.cfg.get("kind"), "run": self.run, "contacts": self.count}
        for name in STATES:
            out[name] = 0
        attempts = 0
        for c in range(self.count):
            out[STATES[self.state[c]]] += 1
            attempts += self.tries[c]
        out["attempts"] = attempts
        outcomes = {}
        for o in self.outcome.values():
            outcomes[o] = outcomes.get(o, 0) + 1
        out["outcomes"] = outcomes
        if self.cfg.get("kind") == "agent-connected":
            out["persons"] = self.persons
            out["abandoned"] = self.abandoned
        return out
