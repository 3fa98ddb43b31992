"""plans/callcenter.yaml on a virtual-8 board started for it: the rig provisions the demo site,
sets the agents' phones per case, and judges each flow by the board's events and the call
record it reads back. A wrong expectation fails, naming what was expected and observed."""

import dataclasses
import pathlib

import pytest

from callgate.rig.plan import load_plan
from callgate.rig.session import rig_session

PLAN = pathlib.Path(__file__).resolve().parents[2] / "plans" / "callcenter.yaml"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rig_and_plan():
    plan = load_plan(PLAN)
    with rig_session(clock=20.0, board=plan.board, epoch=plan.epoch) as rig:
        yield rig, plan


def test_every_call_center_flow_passes(rig_and_plan):
    rig, plan = rig_and_plan
    results = rig.run(plan)
    failed = [f"{r.case.id}: expected {r.expected}; observed {r.observed}" for r in results if not r.passed]
    assert not failed, "\n".join(failed) + "\nfirmware console:\n" + rig.board.console()[-3000:]


def test_a_wrong_expectation_fails_with_both_sides(rig_and_plan):
    rig, plan = rig_and_plan
    rig.prepare(plan)
    case = next(c for c in plan.cases if c.id == "caller-hangs-up-on-agent")
    wrong = dataclasses.replace(case, expect=dict(case.expect, cdr={"outcome": "answered", "agent": "203"}))
    r = rig.run_case(wrong)
    assert not r.passed
    assert "agent='203'" in r.expected and "agent='201'" in r.observed
