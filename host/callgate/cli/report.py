"""`callgate report CDRFILE [--target S] [--agents N] [--agent-log FILE]`: call-center figures
from call records.

    callgate --port P cdr pull -o calls.json && callgate report calls.json
    callgate report calls.csv --target 30 --agents 3 --json
    callgate --port P agent-log pull -o agents.json && callgate report calls.json --agent-log agents.json

CDRFILE is what `cdr pull` wrote (.csv, else JSON). Figures: calls, answered (by an agent),
abandoned (the caller hung up while queued or offered), the other outcomes, average speed of
answer, service level within --target seconds by both definitions (over answered calls; over
answered + abandoned), average handling time (talk + wrap-up), the average wait of those who
abandoned, the survey's averages, the dispositions the agents keyed, per queue and per agent.
--agent-log adds each agent's logged-in, ready, talk, wrap-up, off-hook and pause time (by
reason) from their agent-state records. --agents N adds what Erlang C predicts for N agents
given the calls, the period they arrived in (or --period S) and the AHT.
"""

import argparse
import math

from ..callcenter import agentlog, cdr
from ..callcenter.stats import erlang_c, summary
from . import validate
from .output import emit


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("report", help="call-center figures from call records (ASA, service level, AHT...)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="CDRFILE", help="call records: .csv or .json (callgate cdr pull)")
    p.add_argument("--target", type=validate.number(least=0, unit="s"), default=20, metavar="S", help="service-level target, seconds (default 20)")
    p.add_argument("--agents", type=validate.whole(least=1), metavar="N", help="add Erlang C's prediction for N agents")
    p.add_argument("--agent-log", metavar="FILE", help="agent-state records (agent-log pull): .csv or .json")
    p.add_argument("--period", type=validate.seconds, metavar="S",
                   help="the period the calls came in, for Erlang C (default: first to last arrival)")
    p.set_defaults(func=run)


def _s(x, unit=" s") -> str:
    return "-" if x is None else f"{x:.1f}{unit}"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def text(s: dict) -> str:
    t = s["target_s"]
    lines = [f"{s['calls']} calls" + (f", {cdr.iso(s['first'])} to {cdr.iso(s['last'])}" if s["first"] is not None else "")]
    other = ", ".join(f"{k} {v}" for k, v in s["other"].items())
    lines.append(f"answered {s['answered']}, abandoned {s['abandoned']}" + (f", {other}" if other else ""))
    if s.get("outbound"):
        lines.append("outbound calls (not in these figures): " + ", ".join(f"{k} {v}" for k, v in s["outbound"].items()))
    lines.append(f"ASA {_s(s['asa_s'])}, AHT {_s(s['aht_s'])}, abandoned after {_s(s['abandon_wait_s'])} on average")
    lines.append(f"service level ({t:g} s): {_pct(s['service_level'])} of answered, "
                 f"{_pct(s['service_level_with_abandoned'])} of answered + abandoned")
    for q, v in s["survey"].items():
        lines.append(f"survey {q}: {v['average']:.2f} average of {v['count']}")
    if s["queues"]:
        lines.append("")
        lines.append(f"{'queue':<14}{'calls':>6}{'ans':>6}{'aband':>6}{'ASA':>9}{'SL':>9}{'SL+ab':>9}{'AHT':>9}")
        for q, v in s["queues"].items():
            lines.append(f"{q:<14}{v['calls']:>6}{v['answered']:>6}{v['abandoned']:>6}{_s(v['asa_s']):>9}"
                         f"{_pct(v['service_level']):>9}{_pct(v['service_level_with_abandoned']):>9}{_s(v['aht_s']):>9}")
    if s["agents"]:
        lines.append("")
        lines.append(f"{'agent':<14}{'calls':>6}{'talk':>10}{'avg talk':>10}{'AHT':>9}  survey")
        for ext, v in s["agents"].items():
            who = f"{ext} {v['name'] or ''}".strip()
            sv = ", ".join(f"{q} {x['average']:.2f} ({x['count']})" for q, x in v["survey"].items())
            lines.append(f"{who:<14}{v['calls']:>6}{_s(v['talk_s']):>10}{_s(v['average_talk_s']):>10}"
                         f"{_s(v['aht_s']):>9}  {sv}")
    if s.get("dispositions"):
        lines.append("")
        lines.append("dispositions: " + ", ".join(f"{k} {v}" for k, v in s["dispositions"].items()))
        for ext, v in s["agents"].items():
            if v.get("dispositions"):
                lines.append(f"  {ext} {v['name'] or ''}: ".replace(" :", ":")
                             + ", ".join(f"{k} {n}" for k, n in v["dispositions"].items()))
    if "agent_time" in s:
        lines.append("")
        lines.append(f"{'agent':<14}{'logged in':>11}{'ready':>10}{'talk':>10}{'wrap-up':>10}{'paused':>10}  pause by reason")
        for ext, v in s["agent_time"].items():
            who = f"{ext} {v['name'] or ''}".strip()
            why = ", ".join(f"{k} {_s(x)}" for k, x in v["pause_by_reason"].items())
            lines.append(f"{who:<14}{_s(v['logged_in_s']):>11}{_s(v['ready_s']):>10}{_s(v['talk_s']):>10}"
                         f"{_s(v['wrapup_s']):>10}{_s(v['pause_s']):>10}  {why}")
    if "erlang_c" in s:
        e = s["erlang_c"]
        lines.append("")
        lines.append(f"Erlang C, {e['agents']} agents, {e['calls']} calls in {e['period_s']:g} s, AHT {e['aht_s']:.1f} s "
                     f"({e['traffic_erl']:.2f} Erlang): P(wait) {e['p_wait']:.4f}, service level {_pct(e['service_level'])}, "
                     f"ASA {'inf' if math.isinf(e['asa_s']) else _s(e['asa_s'])}, occupancy {_pct(e['occupancy'])}")
    return "\n".join(lines)


def run(args) -> int:
    records = cdr.load(args.file)
    s = summary(records, args.target)
    if args.agent_log:
        s["agent_time"] = agentlog.per_agent(agentlog.load(args.agent_log))
    if args.agents is not None:
        period = args.period
        if period is None:
            ends = [r.get("ended") or r.get("arrived") for r in records if r.get("arrived") is not None]
            period = ((max(ends) - s["first"]) / 1000) if ends else 0
        if not s["aht_s"] or not period or period <= 0:
            raise ValueError("Erlang C needs answered calls (for the AHT) and a period: give --period S")
        e = erlang_c(s["calls"], period, s["aht_s"], args.agents, args.target)
        s["erlang_c"] = dict(e, calls=s["calls"], period_s=period, aht_s=s["aht_s"])
    emit(args, s, text(s))  # JSON has no infinity: there an endless queue's ASA is null
    return 0
