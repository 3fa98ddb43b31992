"""Test plans: YAML data, checked before anything runs; every error names file:line.

    plan: short                          # a name (the JUnit test suite)
    description: ...
    port: 0                              # the DUT FXO port called (default: 0)
    defaults:                            # per kind, merged under each case
      dtmf: {digits: "159D480#", level_dbm0: -10}
    cases:
      - name: dtmf-nominal
        kind: dtmf                       # dtmf | cid | flow
        expect: detect                   # detect | reject | any
      - name: dtmf-frequency
        kind: dtmf
        sweep: {freq_offset_pct: [-4, -3.5, -1.5, 0, 1.5, 3.5, 4]}
        expect: {detect: [-1.5, 1.5], reject: [[-100, -3.5], [3.5, 100]]}   # by swept value
      - name: flow-basic
        kind: flow
        digits: "1#"
        expect: {states: [ringing, answered, prompt, collect, digits, ended], ended_by: board,
                 reason: done, report: "1#", within_s: {answered: 13}}

A plan may also say `site: PATH` (a site file, relative to the plan: the rig provisions it on
the DUT before the first case, so flows go through its IVR and queues), and, for a virtual
board the rig starts itself, `board: virtual-8` and `epoch: 2026-11-23T10:00+08:00` (its clock,
e.g. inside the site's business hours). Call-center flows set the agents' phones
(`agents: {5: {answer_ms: 1500, talk_ms: 8000}}`; ports not named do not answer) and the
caller (`patience_ms`, `talk_ms`, `survey`, `callback`, `digits: "2,1"`: one group per prompt),
and expect what the board recorded: `cdr: {outcome: answered, agent: "202", ...}` (a subset of
the call record, read back over the link), `recording: true` (the recording is on the board),
`pop: {ext: "202", queue: support}` (a subset of the screen pop). A supervisor
(`supervisor: {port: 7, agent: 5, keys: ["*51201", "2", "3"], step_ms: 4000}`) picks up the
phone on `port` once the agent on `agent` is put through, keys the first keys, each next one
step_ms (line time) later, and hangs up step_ms after the last; `supervised: [listen, whisper,
barge]` expects the modes the call record lists, in order (`[]`: nobody supervised the call).

A sweep expands into one case per value, named `NAME[param=value]`; values in no range of
`expect` are run and plotted but judged "any". `repeat: N` (flow) makes a soak: N calls, one
case. `requires: [feature, ...]` skips a case on a rig without them (pytest's lg_feature).
"""

import pathlib
from dataclasses import dataclass, field

from ..sim.caller import CID_STANDARDS, CID_STARTS, HANGUP_MODES, Caller, CallerError
from ..sim.clock import parse_epoch
from ..site.yamlpos import LoadError, load

# Parameters that say what the far end's caller does are Caller fields (sim/caller.py), checked
# by it after their plan type: {plan parameter: Caller field}.
CALLER_FIELDS = {"number": "number", "caller_name": "name", "digits": "digits", "digit_delay_ms": "digit_delay_ms",
                 "hangup": "hangup", "hangup_after_ms": "hangup_after_ms", "cid": "cid", "patience_ms": "patience_ms",
                 "talk_ms": "talk_ms", "max_call_ms": "max_call_ms", "survey": "survey", "callback": "callback",
                 "standard": "cid_standard", "start": "cid_start", "delay_ms": "cid_delay_ms"}
KINDS = {
    "dtmf": {"digits": str, "level_dbm0": float, "twist_db": float, "freq_offset_pct": float,
             "on_ms": int, "off_ms": int, "snr_db": float, "seed": int},
    "cid": {"format": ("sdmf", "mdmf"), "number": str, "caller_name": str, "standard": CID_STANDARDS,
            "level_dbm0": float, "start": CID_STARTS, "delay_ms": int},
    "flow": {"number": str, "caller_name": str, "digits": str, "digit_delay_ms": int,
             "hangup": HANGUP_MODES, "hangup_after_ms": int, "cid": bool,
             "repeat": int, "patience_ms": int, "talk_ms": int, "max_call_ms": int, "survey": str,
             "callback": str, "agents": dict, "agent_keys": dict, "supervisor": dict},
}
BUILTIN = {
    "dtmf": {"digits": "159D480#", "level_dbm0": -10.0, "twist_db": 0.0, "freq_offset_pct": 0.0,
             "on_ms": 50, "off_ms": 55, "snr_db": None, "seed": 1},
    "cid": {"format": "mdmf", "number": "5551234", "caller_name": "RIG TEST", "standard": "bell202",
            "level_dbm0": -13.5, "start": "ring-end", "delay_ms": 600},
    "flow": {"number": "5551234", "caller_name": "RIG TEST", "digits": "1#", "digit_delay_ms": None,
             "hangup": None, "hangup_after_ms": None, "cid": True, "repeat": 1, "patience_ms": None,
             "talk_ms": None, "max_call_ms": None, "survey": None, "callback": None, "agents": None,
             "agent_keys": None, "supervisor": None},
}
FLOW_EXPECT = {"states": list, "ended_by": str, "reason": str, "report": str, "cid": str,
               "within_s": dict, "cdr": dict, "recording": bool, "pop": dict, "supervised": list}
CASE_KEYS = {"name", "kind", "expect", "sweep", "requires", "port"}


class PlanError(ValueError):
    """A plan that cannot run; str() is `file:line: message`."""


@dataclass
class Case:
    id: str
    kind: str
    params: dict
    expect: object  # "detect" | "reject" | "any" (dtmf, cid) or a dict (flow)
    port: int = 0
    requires: tuple = ()
    line: int = 0
    swept: str | None = None  # the swept parameter, for the report's plots
    group: str = ""  # the plan case this one came from (a sweep's cases share it)

    @property
    def value(self):
        return self.params.get(self.swept) if self.swept else None


@dataclass
class Plan:
    name: str
    path: str
    description: str = ""
    cases: list = field(default_factory=list)
    site: str | None = None  # a site file the rig provisions on the DUT first
    board: str = "virtual-4"  # the virtual board the rig starts when no DUT is given
    epoch: float | None = None  # that board's clock at start (Unix s); None: now


def load_plan(path) -> Plan:
    path = pathlib.Path(path)
    text = path.read_text()
    try:
        doc = load(text)
    except LoadError as e:
        raise PlanError(f"{path}:{e.line}: {e.msg}") from None
    return _build(doc, str(path))


def _build(doc, name) -> Plan:
    def fail(where, msg):
        raise PlanError(f"{name}:{doc.line_of(where)}: {msg}")

    d = doc.data
    if not isinstance(d, dict):
        fail((), "a plan is a mapping with `plan` and `cases`")
    unknown = set(d) - {"plan", "description", "port", "defaults", "cases", "site", "board", "epoch"}
    if unknown:
        fail((sorted(unknown)[0],), f"unknown key {sorted(unknown)[0]!r} "
                                    "(plan, description, port, defaults, cases, site, board, epoch)")
    if not isinstance(d.get("plan"), str) or not d["plan"]:
        fail(("plan",), "`plan` must name the plan")
    port = d.get("port", 0)
    if not isinstance(port, int) or isinstance(port, bool) or port < 0:
        fail(("port",), f"port must be a port number, not {port!r}")
    defaults = {k: dict(v) for k, v in BUILTIN.items()}
    for kind, values in (d.get("defaults") or {}).items():
        if kind not in KINDS:
            fail(("defaults", kind), f"defaults for unknown kind {kind!r} ({', '.join(KINDS)})")
        if not isinstance(values, dict):
            fail(("defaults", kind), f"defaults.{kind} must be a mapping")
        for key, value in values.items():
            defaults[kind][key] = _param(kind, key, value, lambda msg, k=key: fail(("defaults", kind, k), msg))
    cases = d.get("cases")
    if not isinstance(cases, list) or not cases:
        fail(("cases",), "`cases` must be a non-empty list")
    plan = Plan(d["plan"], name, str(d.get("description", "")))
    if "site" in d:
        site = pathlib.Path(name).parent / str(d["site"])
        if not site.is_file():
            fail(("site",), f"site {d['site']!r}: no such file ({site})")
        plan.site = str(site)
    if "board" in d:
        if not isinstance(d["board"], str) or not d["board"]:
            fail(("board",), "board names a board definition in boards/, e.g. virtual-8")
        plan.board = d["board"]
    if "epoch" in d:
        try:
            plan.epoch = parse_epoch(str(d["epoch"]))
        except ValueError as e:
            fail(("epoch",), f"epoch: {e}")
    seen = set()
    for i, c in enumerate(cases):
        at = ("cases", i)
        if not isinstance(c, dict):
            fail(at, "a case is a mapping with name, kind and expect")
        cname = c.get("name")
        if not isinstance(cname, str) or not cname:
            fail(at, "a case needs a `name`")
        if cname in seen:
            fail(at + ("name",), f"case name {cname!r} is used twice")
        seen.add(cname)
        kind = c.get("kind")
        if kind not in KINDS:
            fail(at + ("kind",), f"case {cname!r}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
        params = dict(defaults[kind])
        for key, value in c.items():
            if key in CASE_KEYS:
                continue
            params[key] = _param(kind, key, value, lambda msg, k=key: fail(at + (k,), f"case {cname!r}: {msg}"))
        requires = c.get("requires", [])
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            fail(at + ("requires",), f"case {cname!r}: requires must be a list of feature names")
        if kind == "cid":
            requires = list(requires) + [f"cid-start:{params['start']}", f"cid:{params['standard']}"]
        cport = c.get("port", port)
        if not isinstance(cport, int) or isinstance(cport, bool) or cport < 0:
            fail(at + ("port",), f"case {cname!r}: port must be a port number")
        expect = c.get("expect", "detect" if kind != "flow" else {})
        sweep = c.get("sweep")
        if sweep is None:
            exp = _expect(kind, expect, lambda msg: fail(at + ("expect",), f"case {cname!r}: {msg}"), single=True)
            plan.cases.append(Case(cname, kind, params, exp, cport, tuple(requires), doc.line_of(at), None, cname))
            continue
        if kind == "flow":
            fail(at + ("sweep",), f"case {cname!r}: flows do not sweep (use one case per flow)")
        if not isinstance(sweep, dict) or len(sweep) != 1:
            fail(at + ("sweep",), f"case {cname!r}: sweep is one parameter and its values, e.g. {{snr_db: [10, 15, 20]}}")
        (param, values), = sweep.items()
        if not isinstance(values, list) or not values:
            fail(at + ("sweep", param), f"case {cname!r}: sweep.{param} must be a list of values")
        ranges = _expect(kind, expect, lambda msg: fail(at + ("expect",), f"case {cname!r}: {msg}"), single=False)
        for j, v in enumerate(values):
            value = _param(kind, param, v, lambda msg: fail(at + ("sweep", param, j), f"case {cname!r}: {msg}"))
            p = dict(params, **{param: value})
            exp = ranges if isinstance(ranges, str) else _judge_value(ranges, value)
            plan.cases.append(Case(f"{cname}[{param}={_fmt(value)}]", kind, p, exp, cport, tuple(requires),
                                   doc.line_of(at), param, cname))
    return plan


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _param(kind, key, value, fail):
    spec = KINDS[kind].get(key)
    if spec is None:
        fail(f"unknown parameter {key!r} for {kind} (known: {', '.join(KINDS[kind])})")
    if value is None:
        return None
    value = _typed(key, spec, value, fail)
    if key in CALLER_FIELDS:
        try:
            Caller.check(CALLER_FIELDS[key], value)
        except CallerError as e:
            fail(str(e))
    return value


def _typed(key, spec, value, fail):
    if isinstance(spec, tuple):
        if value not in spec:
            fail(f"{key} must be one of {', '.join(spec)}, not {value!r}")
        return value
    if spec is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            fail(f"{key} must be a number, not {value!r}")
        return float(value)
    if spec is int:
        if isinstance(value, bool) or not isinstance(value, int):
            fail(f"{key} must be a whole number, not {value!r}")
        return value
    if spec is str:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            fail(f"{key} must be text, not {value!r}")
        return str(value)
    if spec is bool:
        if not isinstance(value, bool):
            fail(f"{key} must be true or false, not {value!r}")
        return value
    if key == "agents":
        if not isinstance(value, dict) or not all(
                str(k).isdigit() and isinstance(v, dict) and set(v) <= {"answer_ms", "talk_ms"}
                for k, v in value.items()):
            fail("agents maps FXS port numbers to {answer_ms, talk_ms}")
        return {int(k): dict(v) for k, v in value.items()}
    if key == "agent_keys":
        if not isinstance(value, dict) or not all(
                str(k).isdigit() and isinstance(v, str) and v and all(d in "0123456789*#" for d in v)
                for k, v in value.items()):
            fail("agent_keys maps FXS port numbers to the keys the agent keys first (a feature code, \"*21\")")
        return {int(k): v for k, v in value.items()}
    if key == "supervisor":
        keys = value.get("keys") if isinstance(value, dict) else None
        if not isinstance(value, dict) or set(value) - {"port", "agent", "keys", "step_ms"} or not all(
                isinstance(value.get(k), int) and not isinstance(value.get(k), bool) for k in ("port", "agent")) or \
                not isinstance(keys, list) or not keys or not all(
                    isinstance(k, str) and k and all(d in "0123456789*#" for d in k) for k in keys) or \
                not isinstance(value.get("step_ms", 4000), int) or value.get("step_ms", 4000) < 500:
            fail("supervisor is {port: FXS port, agent: the agent's FXS port, keys: [\"*51201\", \"2\", ...], "
                 "step_ms: 500 or more}")
        return {"port": value["port"], "agent": value["agent"], "keys": list(keys), "step_ms": value.get("step_ms", 4000)}
    return value


def _expect(kind, expect, fail, single):
    if kind == "flow":
        if not isinstance(expect, dict):
            fail("a flow's expect is a mapping (states, ended_by, reason, report, cid, within_s)")
        for k, v in expect.items():
            if k not in FLOW_EXPECT:
                fail(f"unknown expectation {k!r} (known: {', '.join(FLOW_EXPECT)})")
            if not isinstance(v, FLOW_EXPECT[k]):
                fail(f"expect.{k} must be a {FLOW_EXPECT[k].__name__}")
        return expect
    if expect in ("detect", "reject", "any"):
        return expect
    if single or not isinstance(expect, dict):
        fail(f"expect must be detect, reject or any{'' if single else ', or {detect: RANGES, reject: RANGES}'}, not {expect!r}")
    out = {}
    for k, v in expect.items():
        if k not in ("detect", "reject"):
            fail(f"sweep expectations are detect and reject ranges, not {k!r}")
        ranges = [v] if isinstance(v, list) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v) else v
        if not isinstance(ranges, list) or not all(
                isinstance(r, list) and len(r) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                                            for x in r) for r in ranges):
            fail(f"expect.{k} must be a range [low, high] or a list of them")
        out[k] = [(float(a), float(b)) for a, b in ranges]
    return out


def _judge_value(ranges, value) -> str:
    for verdict in ("detect", "reject"):
        if any(lo <= value <= hi for lo, hi in ranges.get(verdict, ())):
            return verdict
    return "any"
