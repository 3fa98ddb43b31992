"""The CLI as a user meets it: real processes (`python -m callgate`), real files, FIFOs and
device nodes, and for the commands that talk to a board, a `callgate sim` started for the
tests (clitools.Sim)."""

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # clitools

from clitools import Sim  # noqa: E402


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    s = Sim(tmp_path_factory.mktemp("runtime"))
    try:
        yield s
    finally:
        s.close()
