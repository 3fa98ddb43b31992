import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "c_src" / "gen"))  # make_tables: the G.191 transcription

# Hypothesis: no deadlines and no "too slow" health checks. Speed is measured by `make bench`,
# never asserted in tests, and on a loaded 2-core CI machine both fired on correct code.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("callgate", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("callgate")
