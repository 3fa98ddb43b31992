import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import pgserver  # noqa: E402


@pytest.fixture(scope="session")
def pg_server():
    """The tests' own PostgreSQL server (pgserver.py), skipped with the reason where none can run."""
    reason = pgserver.why_not()
    if reason:
        pytest.skip(reason)
    server = pgserver.PgServer.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A new, empty store on each backend: sqlite:///TMP/ops.db, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/ops.db"
    return request.getfixturevalue("pg_server").new_database()
