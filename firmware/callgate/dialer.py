# The campaigns' dialler (docs/outbound.md, Campaigns): the board calls the contacts of its
# running campaigns (campaigns.py: who is due) on free trunks that may call out (outbound.py
# places each call), and once someone answers does what the campaign's kind says. Pure logic
# beside calls.py; its calls are outbound calls with a Dial.camp.
#
#   running, a trunk free, fewer calls than the campaign's lines, a contact due
#       --> the attempt journalled (campaigns.py), then outbound.dial
#   answered by a person (a machine: notification only, the message is left, no keys):
#     notification: prompt --done--> keys for timeout_ms: confirm_key -> confirmed, thanks;
#                   repeat_key -> the prompt again (once); none -> not confirmed
#     survey: intro, then each question --a key in its range--> its answer (none: skipped
#             at timeout_ms), thanks
#   the call's end (any outcome) --> campaigns.ended(contact, outcome, {confirmed | answers})
#
# Agent-connected campaigns (progressive, agent-first like callbacks.py): a Lead waits in the
# campaign's queue only while a contact is due, a trunk is free and an agent who can take the
# queue is ready; live callers go first (may_offer). The ACD rings an agent; when they pick up
# the next contact is taken and dialled with the agent on the line:
#
#   person, the agent there --> bridged at the analyser's decision (the agent hears the callee
#                               as soon as the analyser has heard them stop: well within the
#                               2 s the FTC rule allows after the greeting)
#   person, the agent gone  --> id_prompt (the identification message), then hang up: counted
#                               abandoned
#   machine --> the agent hears busy (free for the next), the machine gets id_prompt
#   any other outcome --> the agent hears busy; the contact's retry rule
#
# An agent who hangs up before the answer leaves the call to the analyser: a person then hears
# id_prompt rather than a dead line. When the abandoned persons pass the campaign's
# max_abandon_pct (default 3) of those who answered, the board pauses the campaign itself
# (EV_CAMPAIGN, why "abandon-limit"); a supervisor starts it again.

from . import linecard
from .agents import READY
from .campaigns import FOLDER, R_PAUSED, R_RUNNING, Campaign, CampaignError
from .compat import const, ticks_add
from .link import messages
from .outbound import DialError, retry_as

_KEYS_MS = const(8000)  # a kind's wait for a key when the campaign does not say
_PLAY_GUARD_MS = const(300000)
S_PROMPT = const(1)  # the kind's prompt or question plays
S_KEYS = const(2)  # waiting for a key
S_BYE = const(3)  # the thanks prompt plays
S_BRIDGED = const(4)  # agent-connected: the callee talks to the agent
AGENT_CONNECTED = "agent-connected"
KINDS = ("survey", "notification", AGENT_CONNECTED)


class Lead:
    """An agent-connected campaign's next call, waiting in its queue for an agent: acd.py
    sees an agent-first item. Its contact is taken only once the agent picks up."""

    agent_first = True
    only = None  # (a caller's field in the queue)

    def __init__(self, owner, cp):
        self.owner = owner  # the Dialer
        self.cp = cp
        self.id = 0  # the trunk call's, once dialled (the agent's events name it)
        self.number = ""  # the due contact's, shown on the agent's phone while it rings
        self.name = "campaign"
        self.pop = {"campaign": cp.name}
        self.q = None
        self.q_since = 0
        self.queued_at = None
        self.tried = []
        self.agent = None  # acd.Agent once it picked up
        self.call = None  # calls.Call of the trunk while dialling or bridged


def on_flash(folder=FOLDER):
    """True if the flash holds campaigns (the dialler is made only then)."""
    import os

    try:
        return any(n.endswith(".json") for n in os.listdir(folder))
    except OSError:
        return False


class Dialer:
    def __init__(self, calls):
        self.calls = calls  # calls.Calls (its outbound places the calls)
        self.campaigns = {}  # name -> campaigns.Campaign
        self.active = {}  # name -> calls up
        self.leads = {}  # name -> Leads of an agent-connected campaign (waiting, rung, dialled)

    # -- the campaigns ----------------------------------------------------------------------

    def load(self, name, now, folder=FOLDER):
        """Read cp/NAME.json and the journal (a campaign already loaded is read again unless
        it is dialling). CampaignError says why not."""
        import json

        if self.active.get(name):
            raise CampaignError("campaign %s has calls up: stop it first" % name)
        try:
            with open(folder + "/" + name + ".json") as f:
                cfg = json.load(f)
        except (OSError, ValueError) as e:
            raise CampaignError("campaign %s: %s.json: %r" % (name, name, e))
        if cfg.get("kind") not in KINDS:
            raise CampaignError("campaign %s: no kind %r on the board" % (name, cfg.get("kind")))
        if cfg["kind"] == AGENT_CONNECTED:
            acd = self.calls.acd
            q = cfg.get("agent_connected", {}).get("queue")
            if acd is None or acd.queue(q) is None:
                raise CampaignError("campaign %s: the board's site has no queue %r for its agents" % (name, q))
        cp = Campaign(cfg, folder)
        cp.load(self.calls.epoch(now))
        self.campaigns[name] = cp
        self.active[name] = 0
        self.leads[name] = []
        return cp

    def load_all(self, now, folder=FOLDER):
        """At boot: every campaign on the flash (one that cannot be read is said and left)."""
        import os

        try:
            names = os.listdir(folder)
        except OSError:
            return
        for n in sorted(names):
            if n.endswith(".json"):
                try:
                    self.load(n[:-5], now, folder)
                except CampaignError as e:
                    print("dialer:", e)

    def get(self, name):
        cp = self.campaigns.get(name)
        if cp is None:
            raise CampaignError("no campaign %r on the board (loaded: %s)" % (name, ", ".join(sorted(self.campaigns)) or "none"))
        return cp

    # -- time: who to call ------------------------------------------------------------------

    def tick(self, now, ports, ev, cmd):
        if not self.campaigns:
            return
        epoch = self.calls.epoch(now)
        for name, cp in self.campaigns.items():
            if cp.cfg["kind"] == AGENT_CONNECTED:
                self._lead(cp, now, epoch)
                continue
            if cp.run != R_RUNNING:
                continue
            while self.active[name] < cp.cfg.get("lines", 1):
                if not self.calls.outbound.free():  # a trunk first: no contact is taken without one
                    return
                k = cp.next_due(epoch)
                if k is None:
                    break
                number = cp.dialing(k, epoch)
                try:
                    r = self.calls.outbound.dial(number, None, None, now, ports, ev, cmd)
                except DialError as e:  # (a trunk was free: a number the host let through)
                    cp.ended(k, "refused", epoch, {"why": str(e)})
                    continue
                c = self.calls.calls[r["port"]]
                c.out.camp = (cp, k)
                c.cdr["campaign"] = name
                c.cdr["contact"] = k
                self.active[name] += 1

    # -- agent-connected: leads in the queue (acd.py calls the owner's hooks) ---------------

    def _lead(self, cp, now, epoch):
        """A lead in the campaign's queue while it runs, a contact is due and an agent is
        ready; none waiting for nobody (a lead no agent rings for leaves when none is ready,
        or the campaign stops running)."""
        acd = self.calls.acd
        q = acd.queue(cp.cfg["agent_connected"]["queue"]) if acd is not None else None
        if q is None:  # (a site reloaded without the queue)
            return
        leads = self.leads[cp.name]
        ready = False
        for a in acd.order:
            ready = ready or (a.state == READY and acd.can_take(a, q))
        go = ready and cp.run == R_RUNNING
        i = len(leads)
        while i:  # (by index: no copy of the list every tick)
            i -= 1
            ld = leads[i]
            if ld.agent is None and not go and acd.ringing(ld) is None:
                acd.leave(ld, now, [])
                leads.pop(i)
        if not go or len(leads) >= cp.cfg.get("lines", 1) or not self.calls.outbound.free():
            return
        k = cp.next_due(epoch)
        if k is None:
            return
        ld = Lead(self, cp)
        ld.number = cp.contact(k)[0]  # who the agent will talk to (the contact is taken at the pick-up)
        leads.append(ld)
        acd.enqueue(ld, q.name, now)

    def may_offer(self, ld):
        """Live callers first: no caller of the lead's queue waits unrung; and a trunk free."""
        acd = self.calls.acd
        for c in acd.waiting:
            if not c.agent_first and c.q is ld.q and acd.ringing(c) is None:
                return False
        return self.calls.outbound.free()

    def rung(self, ld, g, ev):
        pass

    def unrung(self, ld, ev):
        pass

    def connect(self, g, ld, now, ports, ev, cmd):
        """The agent picked up: the next contact is dialled with them on the line (none due
        any more, or no trunk: the agent hears busy)."""
        cp = ld.cp
        epoch = self.calls.epoch(now)
        k = cp.next_due(epoch)
        if k is None or not self.calls.outbound.free():
            self._drop(ld, g, cmd)
            return
        number = cp.dialing(k, epoch)
        try:
            r = self.calls.outbound.dial(number, None, None, now, ports, ev, cmd)
        except DialError as e:
            cp.ended(k, "refused", epoch, {"why": str(e)})
            self._drop(ld, g, cmd)
            return
        c = self.calls.calls[r["port"]]
        c.out.camp = (cp, k)
        c.out.lead = ld
        ld.agent = g
        ld.call = c
        ld.id = c.id
        rec = c.cdr
        rec["campaign"] = cp.name
        rec["contact"] = k
        rec["agent"] = g.ext
        rec["agent_name"] = g.name
        rec["queue"] = ld.q.name
        self.active[cp.name] += 1

    def agent_left(self, g, ld, now, ports, ev, cmd):
        """The agent hung up: a bridged call ends with them; one still being dialled goes on to
        the analyser's result (a person then hears the identification, not a dead line)."""
        if ld.agent is g:
            ld.agent = None
        c = ld.call
        if c is not None and c.out is not None and c.out.step == S_BRIDGED:
            self.calls.outbound.end(c, "agent", "agent", now, ports, ev, cmd)
        elif c is None and ld in self.leads[ld.cp.name]:
            self.leads[ld.cp.name].remove(ld)

    def _drop(self, ld, g, cmd):
        if ld in self.leads[ld.cp.name]:
            self.leads[ld.cp.name].remove(ld)
        if g is not None and g.call is ld:
            self.calls.agent_alone(g, cmd)
        ld.agent = None

    def _agent_answered(self, c, ld, result, now, cmd):
        d = c.out
        g = ld.agent
        if result == linecard.CPA_PERSON and g is not None and g.call is ld:
            cmd.append({"t": linecard.CMD_BRIDGE, "port": c.port, "a": c.port, "b": g.port})
            d.step = S_BRIDGED
            c.cdr["connected"] = self.calls.epoch(now)
            return True
        self._drop(ld, g, cmd)  # (the agent, if there, is free for the next)
        if result == linecard.CPA_FAX:
            return False
        d.abandoned = result == linecard.CPA_PERSON
        self._play(c, ld.cp.cfg["agent_connected"]["id_prompt"], S_BYE, now, cmd)
        return True

    # -- an answered call -------------------------------------------------------------------

    def answered(self, c, result, now, cmd):
        """The callee answered (outbound.py): True if the kind's flow takes the call."""
        cp, _ = c.out.camp
        d = c.out
        d.answers = {}
        d.q = -1
        d.repeats = 0
        kind = cp.cfg["kind"]
        if kind == AGENT_CONNECTED:
            return self._agent_answered(c, d.lead, result, now, cmd)
        if result == linecard.CPA_FAX or (result == linecard.CPA_MACHINE and kind != "notification"):
            return False
        if kind == "notification":
            d.keys = result != linecard.CPA_MACHINE  # a machine: the message only
            self._play(c, cp.cfg["notification"]["prompt"], S_PROMPT, now, cmd)
        else:
            intro = cp.cfg["survey"].get("intro_prompt")
            if intro:
                self._play(c, intro, S_PROMPT, now, cmd)
            else:
                self._next_question(c, cp, now, cmd)
        return True

    def prompt_done(self, c, now, ports, ev, cmd):
        cp, _ = c.out.camp
        d = c.out
        c.playing = None
        if d.step == S_BYE or (cp.cfg["kind"] == "notification" and not d.keys):
            self.calls.outbound.end(c, "board", "played", now, ports, ev, cmd)
        elif cp.cfg["kind"] == "survey" and d.q < 0:
            self._next_question(c, cp, now, cmd)
        else:
            d.step = S_KEYS
            d.deadline = ticks_add(now, cp.cfg[_section(cp)].get("timeout_ms", _KEYS_MS))

    def key(self, c, digit, now, ports, ev, cmd):
        cp, _ = c.out.camp
        d = c.out
        if d.step not in (S_PROMPT, S_KEYS):
            return
        kind = cp.cfg["kind"]
        if kind == "notification":
            n = cp.cfg["notification"]
            if digit == n.get("confirm_key", "1"):
                d.answers["confirmed"] = True
                self._bye(c, n.get("thanks_prompt"), now, ports, ev, cmd)
            elif digit == n.get("repeat_key") and d.repeats < 1:
                d.repeats += 1
                cmd.append({"t": linecard.CMD_STOP, "port": c.port})
                self._play(c, n["prompt"], S_PROMPT, now, cmd)
            return
        q = cp.cfg["survey"]["questions"][d.q] if d.q >= 0 else None
        if q is not None and "0" <= digit <= "9" and q["min"] <= int(digit) <= q["max"]:
            if d.step == S_PROMPT:
                cmd.append({"t": linecard.CMD_STOP, "port": c.port})
            d.answers[q["id"]] = int(digit)
            self._next_question(c, cp, now, cmd, ports, ev)

    def timeout(self, c, now, ports, ev, cmd):
        """The wait for a key ran out (outbound.py's tick)."""
        cp, _ = c.out.camp
        d = c.out
        if d.step == S_BRIDGED:  # (a talk lasts as long as the two parties like)
            d.deadline = ticks_add(now, _PLAY_GUARD_MS)
        elif d.step != S_KEYS:
            self.calls.outbound.end(c, "board", "no-result", now, ports, ev, cmd)
        elif cp.cfg["kind"] == "notification":
            d.answers["confirmed"] = False
            self._bye(c, None, now, ports, ev, cmd)
        else:
            self._next_question(c, cp, now, cmd, ports, ev)  # the question goes unanswered

    def ended(self, c, outcome, now, ev, cmd):
        """The call ended (outbound.py, before its hang-up): the attempt's outcome and what the
        callee keyed; an agent-connected call frees its agent and may pause the campaign."""
        cp, k = c.out.camp
        d = c.out
        self.active[cp.name] -= 1
        extra = getattr(d, "answers", None) or None
        ld = d.lead
        if ld is not None:
            if d.step == S_BRIDGED:
                cmd.append({"t": linecard.CMD_UNBRIDGE, "port": c.port})
            ld.call = None
            self._drop(ld, ld.agent, cmd)
            if getattr(d, "abandoned", False):
                extra = {"abandoned": True}
                c.cdr["abandoned"] = True
        c.cdr["campaign_answers"] = extra
        epoch = self.calls.epoch(now)
        cp.ended(k, outcome, epoch, extra, retry_as(d))
        if ld is not None and cp.run == R_RUNNING and cp.over_abandon_limit():
            cp.set_run(R_PAUSED, epoch)
            ev.append((messages.EV_CAMPAIGN, {"name": cp.name, "run": R_PAUSED, "why": "abandon-limit",
                                              "persons": cp.persons, "abandoned": cp.abandoned}))

    # -- common ------------------------------------------------------------------------------

    def _next_question(self, c, cp, now, cmd, ports=None, ev=None):
        d = c.out
        d.q += 1
        questions = cp.cfg["survey"]["questions"]
        if d.q < len(questions):
            self._play(c, questions[d.q]["prompt"], S_PROMPT, now, cmd)
        else:
            self._bye(c, cp.cfg["survey"].get("thanks_prompt"), now, ports, ev, cmd)

    def _bye(self, c, prompt, now, ports, ev, cmd):
        if prompt:
            self._play(c, prompt, S_BYE, now, cmd)
        else:
            self.calls.outbound.end(c, "board", "played", now, ports, ev, cmd)

    def _play(self, c, prompt, step, now, cmd):
        d = c.out
        d.step = step
        d.deadline = ticks_add(now, _PLAY_GUARD_MS)  # a prompt that never ends ends the call
        c.playing = prompt
        cmd.append({"t": linecard.CMD_PLAY, "port": c.port, "prompt": prompt, "barge_in": True})


def _section(cp):
    return "notification" if cp.cfg["kind"] == "notification" else "survey"
