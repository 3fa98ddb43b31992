import pytest

from callgate.link.client import connect
from callgate.sim.board import VirtualBoard
from deploy_helpers import FirmwareCopy


@pytest.fixture
def board():
    """A fresh virtual board per test: deploys change its flash."""
    with VirtualBoard("virtual-4") as vb:
        yield vb


@pytest.fixture
def client(board):
    with connect(board.data_port, timeout=1.0) as c:
        yield c


@pytest.fixture
def firmware(tmp_path):
    """A copy of firmware/ to change, and build(version, **kw) building bundles from it."""
    return FirmwareCopy(tmp_path / "firmware")
