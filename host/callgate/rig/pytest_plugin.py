"""The rig as a pytest plugin (labgrid's pytestplugin, in small): registered through the
`pytest11` entry point in pyproject.toml, so any test can ask for a `gateway`.

    pytest tests/rig                              # a virtual board started for the session
    pytest tests/rig --gateway-port /dev/pts/5    # a running `callgate sim` (its line sim is the far end)

Options: --gateway-port URL (default $CALLGATE_PORT if set, else a virtual board),
--gateway-far-end SOCKET (the line simulator's control socket), --gateway-report DIR (the
same report `callgate rig run` writes, with the WAVs of failing cases; default build/rig-pytest).

Fixtures: `gateway` (session): a Gateway; `gateway.check(case)` runs one plan case, skips it on
a rig without the features it requires, and fails with the case, expected and observed.
Marker: `@pytest.mark.gateway_feature("hangup:busy")` skips a test on a rig without it.
`plan_params(path)` turns a plan's cases into pytest params, one test per case.
The board, firmware and far end go into the JUnit XML as test-suite properties.
"""

import os
import pathlib

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("callgate-rig", "callgate test rig")
    group.addoption("--gateway-port", default=None, metavar="URL",
                    help="the DUT's link; default: a virtual board started for the session")
    group.addoption("--gateway-far-end", default=None, metavar="SOCKET",
                    help="the line simulator's control socket (default: the sim of --gateway-port)")
    group.addoption("--gateway-report", default="build/rig-pytest", metavar="DIR",
                    help="where the rig's report and failing cases' WAVs go (default build/rig-pytest)")


def pytest_configure(config):
    config.addinivalue_line("markers", "gateway_feature(name): needs a rig with this feature (skipped otherwise)")


class Gateway:
    """The session's rig and what its cases did, for the report."""

    def __init__(self, rig, report_dir):
        self.rig = rig
        self.report_dir = pathlib.Path(report_dir)
        self.results = []
        self.plans = {}

    @property
    def features(self):
        return self.rig.features

    def check(self, case, plan=None):
        if plan is not None:
            self.rig.prepare(plan)  # its site on the DUT, once
        r = self.rig.run_case(case)
        self.results.append(r)
        if plan is not None:
            self.plans.setdefault(plan.name, plan)
        if r.skipped:
            pytest.skip(r.skipped)
        if not r.passed:
            self._write()
            where = f"{case.id} ({plan.path}:{case.line})" if plan else case.id
            wav = f"\n  far-end audio: {self.report_dir / r.wav}" if r.wav else ""
            pytest.fail(f"case {where}\n  expected: {r.expected}\n  observed: {r.observed}{wav}", pytrace=False)
        return r

    def _write(self):
        from .plan import Plan
        from .report import write_report

        if not self.results:
            return
        plan = next(iter(self.plans.values()), None) or Plan("pytest", "pytest")
        merged = Plan(plan.name if len(self.plans) <= 1 else "pytest", plan.path, plan.description)
        merged.cases = [r.case for r in self.results]
        write_report(self.report_dir, merged, self.results, getattr(self.rig, "info", {}))


@pytest.fixture(scope="session")
def gateway(request, record_testsuite_property):
    from .session import rig_session

    opt = request.config.getoption
    port = opt("--gateway-port") or os.environ.get("CALLGATE_PORT") or None
    with rig_session(port, opt("--gateway-far-end")) as rig:
        for k, v in sorted(rig.info.items()):
            record_testsuite_property(f"gateway_{k}", str(v))
        gw = Gateway(rig, opt("--gateway-report"))
        yield gw
        gw._write()


@pytest.fixture(autouse=True)
def _gateway_feature(request):
    marker = request.node.get_closest_marker("gateway_feature")
    if marker is not None:
        gw = request.getfixturevalue("gateway")
        missing = [f for f in marker.args if f not in gw.features]
        if missing:
            pytest.skip("rig lacks " + ", ".join(missing))


def plan_params(path):
    """pytest.param(plan, case, id=case.id) for each case of the plan at path."""
    from .plan import load_plan

    plan = load_plan(path)
    return [pytest.param(plan, case, id=case.id) for case in plan.cases]
