"""Running a plan: one call per case on the DUT, the far end's audio in, the DUT's events out,
judged against the case's expectation (labgrid's Strategy, reduced to "the board is running").

    rig = Rig(GatewayDriver(SerialPort(url)).open(), SimLineFarEnd(SimLine(control)))
    results = rig.run(load_plan("plans/short.yaml"), progress=print)
"""

import difflib
import time
from dataclasses import dataclass, field


from . import signals

# What the callgate firmware does unless a site configures otherwise (calls.py: cid_arm with
# the line card's default, Bell 202 opened at the end of the first ring). A plan's site sets
# each FXO port's caller ID format and start (Rig.prepare reads them).
DUT_FEATURES = frozenset({"cid-start:ring-end", "cid:bell202"})
FLOW_STEPS = ("ring", "caller-id", "answered", "digits", "hangup", "ended")


@dataclass
class Result:
    case: object
    passed: bool
    expected: str
    observed: str
    skipped: str | None = None
    seconds: float = 0.0
    metrics: dict = field(default_factory=dict)  # detection rate, timings
    audio: object = None  # int16: what the far end sent (kept as a WAV when the case fails)
    wav: str | None = None  # file name next to the report
    events: list = field(default_factory=list)

    @property
    def status(self) -> str:
        return "skip" if self.skipped else ("pass" if self.passed else "FAIL")


class Rig:
    def __init__(self, dut, far_end, dut_features=DUT_FEATURES):
        self.dut = dut
        self.far_end = far_end
        self.dut_features = frozenset(dut_features)
        # what a case can count on: the far end's abilities, caller ID only as the DUT is set up
        self.features = frozenset(f for f in far_end.features if not f.startswith("cid")) | self.dut_features
        self.cid_ports = {}  # FXO port -> the DUT's caller ID features, from the plan's site

    def deploy_firmware(self, progress=None) -> dict:
        """Bring the DUT to "running the firmware under test" (labgrid's strategy states: off ->
        flashed -> running): deploy this source tree's firmware for its board (callgate deploy:
        only what differs, verified, switched, restarted) and wait until it runs."""
        from ..deploy.bundle import build
        from ..deploy.deploy import deploy

        board = self.dut.info.get("board")
        if progress:
            progress(f"deploying the firmware for {board} ...", end=False)
        r = deploy(self.dut.client, build(board))
        state = "up to date" if r.get("up_to_date") else r.get("state", "?")
        if progress:
            progress(f" {state}", end=True)
        if state not in ("up to date", "running"):
            raise RuntimeError(f"the firmware did not come up on the DUT: {state}")
        self.info = dict(getattr(self, "info", {}), deployed=r.get("running") or r.get("version") or "")
        return r

    def prepare(self, plan, progress=None) -> None:
        """Provision the plan's site on the DUT, once per rig (flows then run through its IVR,
        queues and agents)."""
        if not plan.site or plan.site in getattr(self, "_provisioned", ()):
            return
        from ..provision import provision
        from ..site import load_site

        if progress:
            progress(f"provisioning {plan.site} ...", end=False)
        site = load_site(plan.site)
        r = provision(self.dut.client, site)
        for port in site.data["ports"]:
            if port["kind"] == "fxo":
                cid = port.get("callerid", {})
                self.cid_ports[port["port"]] = frozenset({f"cid-start:{cid.get('start', 'ring-end')}",
                                                          f"cid:{cid.get('format', 'bell202')}"})
        if progress:
            progress(" " + ("up to date" if r.get("up_to_date") else "switched"), end=True)
        self._provisioned = set(getattr(self, "_provisioned", ())) | {plan.site}

    def run(self, plan, progress=None, stop_on=None) -> list:
        self.prepare(plan, progress)
        results = []
        n = len(plan.cases)
        width = max(len(c.id) for c in plan.cases)
        for i, case in enumerate(plan.cases, 1):
            if progress:
                progress(f"[{i:>{len(str(n))}}/{n}] {case.id:<{width}} ...", end=False)
            r = self.run_case(case)
            results.append(r)
            if progress:
                tail = f" {r.status} {r.seconds:5.1f} s"
                if r.skipped:
                    tail += f" ({r.skipped})"
                elif not r.passed:
                    tail += f"\n      expected: {r.expected}\n      observed: {r.observed}"
                progress(tail, end=True)
        return results

    def run_case(self, case) -> Result:
        dut = self.cid_ports.get(case.port, self.dut_features)  # what the DUT's port is set up for
        missing = [f for f in case.requires
                   if f not in self.far_end.features and f not in self.dut_features
                   or f.startswith("cid") and f not in dut and case.expect != "reject"]
        if missing:
            return Result(case, True, "", "", skipped="rig lacks " + ", ".join(missing))
        t0 = time.monotonic()
        r = getattr(self, "_" + case.kind)(case)
        r.seconds = round(time.monotonic() - t0, 2)
        return r

    # -- kinds -------------------------------------------------------------------------------

    def _dtmf(self, case) -> Result:
        p = case.params
        audio = signals.dtmf(p["digits"], p["level_dbm0"], p["twist_db"], p["freq_offset_pct"],
                             p["on_ms"], p["off_ms"], p["snr_db"], p["seed"])
        fe, obs = self._call(case.port, number="5550100", digits=p["digits"], digit_audio=audio,
                             cid=False, hangup="loop-drop", hangup_after_ms=len(audio) // 8 + 400)
        sent, got = p["digits"], obs.digits
        matched = sum(b.size for b in difflib.SequenceMatcher(None, sent, got).get_matching_blocks())
        rate = matched / len(sent)
        metrics = {"detection_rate": rate, "false_digits": len(got) - matched}
        expected = _dtmf_expected(case.expect, sent)
        if case.expect == "detect":
            ok = got == sent
        elif case.expect == "reject":
            ok = got == ""
        else:
            ok = True
        observed = f"digits {got!r} ({rate:.0%} of {len(sent)} detected)"
        if not obs.complete:
            ok, observed = False, observed + "; the call did not end on the DUT (" + obs.describe() + ")"
        return Result(case, ok, expected, observed, metrics=metrics, audio=audio, events=obs.events)

    def _cid(self, case) -> Result:
        p = case.params
        audio = signals.caller_id(p["format"], p["number"], p["caller_name"], p["standard"], p["level_dbm0"],
                                  alert=p["start"] == "alert")
        fe, obs = self._call(case.port, number=p["number"], name=p["caller_name"], digits="#", cid_audio=audio,
                             cid=True, cid_delay_ms=p["delay_ms"], hangup="loop-drop", hangup_after_ms=200,
                             digit_delay_ms=100, cid_start=p["start"], cid_standard=p["standard"])
        want_name = p["caller_name"] if p["format"] == "mdmf" else ""
        c = obs.cid
        good = c is not None and c.get("status") == "ok" and c.get("number") == p["number"] and \
            (c.get("name") or "") == want_name
        if case.expect == "detect":
            expected = f"cid ok number {p['number']!r} name {want_name!r}"
            ok = good
        elif case.expect == "reject":
            expected = "no good caller ID"
            ok = c is None or c.get("status") != "ok"
        else:
            expected, ok = "any", True
        observed = ("no cid event" if c is None else
                    f"cid {c.get('status')} number {c.get('number')!r} name {c.get('name')!r}")
        if not obs.complete:
            ok, observed = False, observed + "; the call did not end on the DUT (" + obs.describe() + ")"
        return Result(case, ok, expected, observed, metrics={"detection_rate": 1.0 if good else 0.0},
                      audio=audio, events=obs.events)

    def _flow(self, case) -> Result:
        p = case.params
        runs = []
        for _ in range(p["repeat"]):  # a soak goes on after a failure: the report counts them
            runs.append(self._flow_once(case))
        failed = [r for r in runs if not r[0]]
        timings = [r[3] for r in runs]
        metrics = {"timings": timings, "calls": len(runs), "failed_calls": len(failed)}
        first = failed[0] if failed else runs[-1]
        if p["repeat"] > 1:
            observed = f"{len(runs) - len(failed)}/{len(runs)} calls as expected" + \
                       (f"; first failure: {failed[0][2]}" if failed else "")
            expected = f"{len(runs)}/{len(runs)} calls: {first[1]}"
        else:
            expected, observed = first[1], first[2]
        return Result(case, not failed, expected, observed, metrics=metrics, audio=first[4], events=first[5])

    def _flow_once(self, case):
        p, e = case.params, case.expect
        audio = None
        if p["digits"] and "," not in p["digits"]:  # digit groups: the far end keys them one by one
            audio = signals.dtmf(p["digits"], -8.0, 0.0, 0.0, 80, 80)
        hangup_after = p["hangup_after_ms"]
        if p["hangup"] and hangup_after is None:
            hangup_after = 400
        if p["agents"] is not None:
            self.far_end.agents(p["agents"])
            self._agents_at_rest()
        for port, keys in (p.get("agent_keys") or {}).items():  # feature codes before the call
            self.far_end.keys(port, keys)
        sup = self.far_end.supervise(p["supervisor"]) if p.get("supervisor") else None
        center = any(k in e for k in ("cdr", "recording", "pop", "supervised"))
        fe, obs = self._call(case.port, number=p["number"], name=p["caller_name"], digits=p["digits"] or "",
                             digit_audio=audio, cid=p["cid"], digit_delay_ms=p["digit_delay_ms"],
                             hangup=p["hangup"], hangup_after_ms=hangup_after, record=center,
                             **{k: p[k] for k in ("patience_ms", "talk_ms", "max_call_ms", "survey", "callback")})
        if sup is not None:
            sup.join(30)
        timings = {step: fe.at(step) for step in FLOW_STEPS if fe.at(step) is not None}
        if fe.at("hangup", by="caller") is not None and fe.at("ended") is not None:
            timings["release"] = round(fe.at("ended") - fe.at("hangup", by="caller"), 3)
        want, got, ok = [], [], True

        def check(label, expected, observed, good):
            nonlocal ok
            want.append(f"{label} {expected}")
            got.append(f"{label} {observed}")
            ok = ok and good

        if "states" in e:
            check("states", ",".join(e["states"]), ",".join(obs.states), obs.states == e["states"])
        end = obs.end or {}
        for key, field_ in (("ended_by", "by"), ("reason", "reason")):
            if key in e:
                check(key, e[key], end.get(field_), end.get(field_) == e[key])
        if "report" in e:
            rep = (obs.report or {}).get("digits")
            check("report", repr(e["report"]), repr(rep), rep == e["report"])
        if "cid" in e:
            num = (obs.cid or {}).get("number")
            check("cid", repr(e["cid"]), repr(num), num == e["cid"])
        if "pop" in e:
            pop = obs.pops[-1] if obs.pops else {}
            got_pop = {k: pop.get(k) for k in e["pop"]}
            check("pop", _fields(e["pop"]), _fields(got_pop) if obs.pops else "none", got_pop == e["pop"])
        if "cdr" in e or "recording" in e or "supervised" in e:
            rec = self._record(obs)
            if "supervised" in e:
                modes = [s.get("mode") for s in (rec or {}).get("supervised") or ()]
                check("supervised", ",".join(e["supervised"]) or "none", ",".join(modes) or "none" if rec else "no record",
                      rec is not None and modes == e["supervised"])
            if "cdr" in e:
                got_cdr = {k: (rec or {}).get(k) for k in e["cdr"]}
                check("cdr", _fields(e["cdr"]), _fields(got_cdr) if rec else "no record",
                      rec is not None and got_cdr == e["cdr"])
            if "recording" in e:
                size = self._recorded_bytes(rec)
                check("recording", "on the board" if e["recording"] else "none",
                      f"{size} bytes" if size else "none", bool(size) == e["recording"])
        for step, limit in e.get("within_s", {}).items():
            t = timings.get(step)
            check(f"{step} at", f"<= {limit} s", "never" if t is None else f"{t} s", t is not None and t <= limit)
        if not obs.complete:
            check("call", "ended", "not ended: " + obs.describe(), False)
        if not ok:  # what the far end did, for the one reading the report
            got.append("far end " + ", ".join(_step(i) for i in fe.progress))
        return ok, "; ".join(want), "; ".join(got), timings, audio, obs.events

    def _call(self, port, record=False, **spec):
        self.dut.drain()
        t0 = time.time()
        fe = self.far_end.call(port, **spec)
        obs = self.dut.observe(port, until=lambda: True, timeout=20.0, since=t0, record=record)
        return fe, obs

    def _agents_at_rest(self, timeout=30.0) -> None:
        """Wait until the DUT has every agent ready (an earlier case's wrap-up over; one paused
        or logged out, by an earlier case's unanswered offers (auto-pause) or by hand, is made
        ready over the link), so a case's agents start alike whatever ran before it."""
        from ..firmware.link import messages
        from ..firmware.link.errors import RemoteError

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            agents = self.dut.client.request(messages.OP_CALLS).get("agents") or []
            if all(a.get("state") in ("ready", "idle") for a in agents):  # idle: a firmware before agents.py
                return
            for a in agents:
                if a.get("state") in ("paused", "logged-out"):
                    try:
                        self.dut.client.request(messages.OP_AGENT, {"ext": a["ext"], "do": "ready"})
                    except RemoteError:
                        pass  # gone meanwhile, or a firmware without OP_AGENT
            time.sleep(0.1)

    def _record(self, obs):
        """The DUT's call record of an observed call, read back over the link (cdr pull)."""
        if obs.cdr is None:
            return None
        from ..callcenter.cdr import fetch
        from ..link.files import RemoteFiles

        records, _ = fetch(RemoteFiles(self.dut.client))
        return next((r for r in records if r.get("id") == obs.cdr.get("id")), None)

    def _recorded_bytes(self, rec) -> int:
        """Audio bytes of the record's recording on the DUT (0: none)."""
        if not rec or not rec.get("recording"):
            return 0
        from ..link.files import RemoteFiles

        st = RemoteFiles(self.dut.client).stat(rec["recording"])
        return max(0, (st or {}).get("size", 0) - 58)


def _step(item) -> str:
    """A far-end progress item as `what@seconds(fields)`."""
    rest = {k: v for k, v in item.items() if k not in ("what", "at")}
    return f"{item['what']}@{item.get('at')}" + (f"({_fields(rest)})" if rest else "")


def _fields(d) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in d.items())


def _dtmf_expected(expect, digits) -> str:
    return {"detect": f"digits {digits!r} (all detected)", "reject": "no digits"}.get(expect, "any")


def summary(results) -> dict:
    return {"cases": len(results), "passed": sum(r.passed and not r.skipped for r in results),
            "failed": sum(not r.passed and not r.skipped for r in results),
            "skipped": sum(bool(r.skipped) for r in results),
            "seconds": round(sum(r.seconds for r in results), 1)}
