"""plans/supervisor.yaml on a virtual-8 board started for it: a supervisor's phone listens,
whispers and barges into an agent's call (the call record lists the modes), a phone not marked
supervisor is refused, and agents logged out or paused by their feature codes are not offered
the call. A wrong expectation of the modes fails, naming both sides."""

import dataclasses
import pathlib

import pytest

from callgate.rig.plan import load_plan
from callgate.rig.session import rig_session

PLAN = pathlib.Path(__file__).resolve().parents[2] / "plans" / "supervisor.yaml"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rig_and_plan():
    plan = load_plan(PLAN)
    with rig_session(clock=20.0, board=plan.board, epoch=plan.epoch) as rig:
        yield rig, plan


def test_every_supervisor_and_feature_code_case_passes(rig_and_plan):
    rig, plan = rig_and_plan
    results = rig.run(plan)
    failed = [f"{r.case.id}: expected {r.expected}; observed {r.observed}" for r in results if not r.passed]
    assert not failed, "\n".join(failed) + "\nfirmware console:\n" + rig.board.console()[-3000:]


def test_a_wrong_mode_list_fails_with_both_sides(rig_and_plan):
    rig, plan = rig_and_plan
    rig.prepare(plan)
    case = next(c for c in plan.cases if c.id == "barge-straight-in")
    wrong = dataclasses.replace(case, expect=dict(case.expect, supervised=["listen"]))
    r = rig.run_case(wrong)
    assert not r.passed
    assert "supervised listen" in r.expected and "supervised barge" in r.observed
