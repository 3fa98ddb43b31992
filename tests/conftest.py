import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "c_src" / "gen"))  # make_tables: the G.191 transcription

# Hypothesis: no deadlines and no "too slow" health checks. Speed is measured by `make bench`,
# never asserted in tests, and on a loaded 2-core CI machine both fired on correct code.
import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("callgate", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("callgate")


# pytest-xdist (make test runs -n 4): each test module runs on one worker, so its module-scoped
# boards start once, and tests/mcu all on one (one QEMU board and one image build for the
# session). Most of the suite waits on phone lines running in real time, so four workers fit
# two cores. The longest groups are collected first, so that none of them starts last.
FIRST = ("tests/mcu/", "tests/install/", "tests/ops/", "tests/rig/")


def _group(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return "tests/mcu" if path.startswith("tests/mcu/") else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByModule(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return _group(nodeid)

    return ByModule(config, log)


def pytest_collection_modifyitems(config, items):
    def rank(item):
        return next((i for i, p in enumerate(FIRST) if item.nodeid.startswith(p)), len(FIRST))

    items.sort(key=rank)  # stable: the order inside a module stays
