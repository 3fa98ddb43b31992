"""plans/short.yaml against the virtual board through the rig's pytest plugin, one test per
case (`--gateway-port` runs it against another board). The report and the WAVs of failing
cases go to build/rig-pytest (--gateway-report)."""

import pathlib

import pytest

from callgate.rig.pytest_plugin import plan_params

PLAN = pathlib.Path(__file__).resolve().parents[2] / "plans" / "short.yaml"


@pytest.mark.parametrize("plan, case", plan_params(PLAN))
def test_case(gateway, plan, case):
    gateway.check(case, plan)


@pytest.mark.gateway_feature("hangup:busy")
def test_feature_marker_runs_on_a_rig_with_it(gateway):
    assert "hangup:busy" in gateway.features


@pytest.mark.gateway_feature("cid-start:reversal")
def test_feature_marker_skips_on_a_rig_without_it(gateway):
    raise AssertionError("the virtual board's firmware arms caller ID on ring-end only: never run")
