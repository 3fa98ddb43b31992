import pytest

from callgate.link.client import connect
from callgate.sim.board import VirtualBoard


@pytest.fixture(scope="module")
def board():
    """A running virtual board: the firmware on MicroPython and the board model."""
    with VirtualBoard("virtual-4") as vb:
        yield vb


@pytest.fixture
def client(board):
    with connect(board.data_port) as c:
        yield c
