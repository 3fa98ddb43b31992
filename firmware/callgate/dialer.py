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
# Agent-connected campaigns are refused at load (not built yet).

from . import linecard
from .campaigns import FOLDER, R_RUNNING, Campaign, CampaignError
from .compat import const, ticks_add
from .outbound import DialError

_KEYS_MS = const(8000)  # a kind's wait for a key when the campaign does not say
_PLAY_GUARD_MS = const(300000)
S_PROMPT = const(1)  # the kind's prompt or question plays
S_KEYS = const(2)  # waiting for a key
S_BYE = const(3)  # the thanks prompt plays


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
        if cfg.get("kind") not in ("survey", "notification"):
            raise CampaignError("campaign %s: kind %r is not built on the board yet" % (name, cfg.get("kind")))
        cp = Campaign(cfg, folder)
        cp.load(self.calls.epoch(now))
        self.campaigns[name] = cp
        self.active[name] = 0
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
            if cp.run != R_RUNNING:
                continue
            while self.active[name] < cp.cfg.get("lines", 1):
                try:
                    self.calls.outbound.find(None)  # a trunk first: no contact is taken without one
                except DialError:
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

    # -- an answered call -------------------------------------------------------------------

    def answered(self, c, result, now, cmd):
        """The callee answered (outbound.py): True if the kind's flow takes the call."""
        cp, _ = c.out.camp
        d = c.out
        d.answers = {}
        d.q = -1
        d.repeats = 0
        kind = cp.cfg["kind"]
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
        if d.step != S_KEYS:
            self.calls.outbound.end(c, "board", "no-result", now, ports, ev, cmd)
        elif cp.cfg["kind"] == "notification":
            d.answers["confirmed"] = False
            self._bye(c, None, now, ports, ev, cmd)
        else:
            self._next_question(c, cp, now, cmd, ports, ev)  # the question goes unanswered

    def ended(self, c, outcome, now):
        """The call ended (outbound.py): the attempt's outcome and what the callee keyed."""
        cp, k = c.out.camp
        self.active[cp.name] -= 1
        answers = getattr(c.out, "answers", None)
        c.cdr["campaign_answers"] = answers or None
        cp.ended(k, outcome, self.calls.epoch(now), answers or None)

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
