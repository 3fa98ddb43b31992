"""plans/callerid.yaml on a virtual-8 board started for it: the rig provisions sites/lab (each
trunk set up for another caller ID standard and start condition) and the far end sends each
port its caller ID the way that port expects: after the first ring, or before it after a
polarity reversal or a dual-tone alert."""

import pathlib

import pytest

from callgate.rig.plan import load_plan
from callgate.rig.session import rig_session

PLAN = pathlib.Path(__file__).resolve().parents[2] / "plans" / "callerid.yaml"
pytestmark = pytest.mark.slow


def test_caller_id_by_standard_and_start_condition():
    plan = load_plan(PLAN)
    with rig_session(clock=8.0, board=plan.board, epoch=plan.epoch) as rig:
        results = rig.run(plan)
    assert not [r for r in results if r.skipped]
    failed = [f"{r.case.id}: expected {r.expected}; observed {r.observed}" for r in results if not r.passed]
    assert not failed, "\n".join(failed)
    starts = {r.case.params["start"] for r in results}
    assert starts == {"ring-end", "reversal", "alert"}
