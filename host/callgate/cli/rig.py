"""`callgate [--port P] rig run PLAN --out DIR`: run a test plan against a board (docs/rig.md).

With no --port, a virtual board is started for the run (its line simulator is the far end);
with --port naming a running `callgate sim`'s data port, that sim's line simulator is used
(--far-end SOCKET names its control socket explicitly). One progress line per case; the
results go to DIR: junit.xml, report.html with plots, audio/*.wav of failing cases,
results.json. Exit 0 when no case failed, 1 otherwise.

    callgate rig run plans/short.yaml --out build/rig
    callgate rig check plans/full.yaml            # validate the plan and list its cases
"""

import argparse
import sys

from . import validate
from .output import emit


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("rig", help="run test plans against a board (the test rig)", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="rig_command", metavar="COMMAND", required=True)
    r = sub.add_parser("run", help="run a plan and write the report", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("plan", metavar="PLAN", help="a plan (YAML), e.g. plans/short.yaml")
    r.add_argument("--out", required=True, metavar="DIR", help="the results folder (made if missing)")
    r.add_argument("--far-end", metavar="SOCKET", help="the line simulator's control socket (default: the sim of --port)")
    r.add_argument("--clock", type=validate.number(above=0), default=8.0, metavar="X",
                   help="line time runs X times real time on a virtual board started here (default 8)")
    r.add_argument("--only", metavar="TEXT", help="run only the cases whose name contains TEXT")
    r.add_argument("--deploy", action="store_true",
                   help="first deploy this tree's firmware to the board (callgate deploy), so the plan tests it")
    r.set_defaults(func=run)
    c = sub.add_parser("check", help="validate a plan and list its cases")
    c.add_argument("plan", metavar="PLAN")
    c.set_defaults(func=check)


def check(args) -> int:
    from ..rig.plan import load_plan

    plan = load_plan(args.plan)
    cases = [{"id": case.id, "kind": case.kind, "expect": case.expect if isinstance(case.expect, str) else "flow",
              "line": case.line} for case in plan.cases]
    emit(args, {"plan": plan.name, "path": str(plan.path), "board": plan.board, "cases": cases},
         [f"{c['id']}  ({c['kind']}, expect {c['expect']}, line {c['line']})" for c in cases]
         + [f"{plan.path}: plan {plan.name}, {len(plan.cases)} cases"])
    return 0


def run(args) -> int:
    import pathlib

    from ..rig.plan import load_plan
    from ..rig.report import write_report
    from ..rig.runner import summary
    from ..rig.session import rig_session

    plan = load_plan(args.plan)
    if args.only:
        plan.cases = [c for c in plan.cases if args.only in c.id]
        if not plan.cases:
            raise ValueError(f"no case of {args.plan} has {args.only!r} in its name")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    where = args.port or "a virtual board started for this run"
    print(f"rig: plan {plan.name} ({len(plan.cases)} cases) on {where}", file=sys.stderr, flush=True)

    def progress(text, end):
        print(text, end="\n" if end else "", file=sys.stderr, flush=True)

    with rig_session(args.port, args.far_end, args.clock, plan.board, plan.epoch) as rig:
        if args.deploy:
            rig.deploy_firmware(progress)
        results = rig.run(plan, progress=progress)
        paths = write_report(out, plan, results, rig.info)
    s = summary(results)
    emit(args, {**s, "report": str(paths["html"]), "junit": str(paths["junit"])},
         f"{s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped in {s['seconds']} s; "
         f"report {paths['html']}, junit {paths['junit']}")
    return 0 if s["failed"] == 0 else 1
