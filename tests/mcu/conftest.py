"""The MCU image under QEMU (boards/qemu-m4f): built once per session (make firmware, itself
incremental under build/mcu/), started in QEMU, driven through its raw REPL on the pty.

Skipped, with the reason naming MICROPY_DIR, when no MicroPython source is at hand: neither
MICROPY_DIR nor the snapshot in ../shared/vendor/.
"""

import base64
import os
import pathlib

import pytest
from mpremote.transport_serial import SerialTransport

from callgate.mcu import McuError, QemuBoard, build_firmware

ROOT = pathlib.Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT.parent / "shared" / "vendor" / "micropython-1c3c201149.tar.gz"


@pytest.fixture(scope="session")
def mcu_elf():
    if not os.environ.get("MICROPY_DIR") and not SNAPSHOT.is_file():
        pytest.skip("no MicroPython source: set MICROPY_DIR to a checkout of micropython "
                    f"1c3c201149 ({SNAPSHOT} is absent)")
    try:
        return build_firmware()
    except McuError as e:
        pytest.fail(f"make firmware: {e}")


class Target:
    """The board's raw REPL: run() a script, get what it printed."""

    def __init__(self, port: str):
        self.t = SerialTransport(port, baudrate=115200)
        self.t.enter_raw_repl(soft_reset=False)

    def run(self, code: str, timeout: float = 60) -> str:
        out, err = self.t.exec_raw(code, timeout=timeout)
        if err:
            raise AssertionError("on the target:\n" + err.decode(errors="replace"))
        return out.decode().replace("\r\n", "\n")

    def eval(self, expr: str, timeout: float = 60):
        import ast

        return ast.literal_eval(self.run(f"print(repr({expr}))", timeout).strip())

    def put(self, name: str, data: bytes, typecode: str = "h") -> None:
        """An array `name` on the target holding data (sent in base64 chunks)."""
        self.run(f"import gc\nfrom array import array\n{name} = None\ngc.collect()\n"
                 f"{name} = array({typecode!r}, bytes({len(data)}))\n_mv = memoryview({name})")
        step = 3 * 1024
        size = 2 if typecode == "h" else 1
        for i in range(0, len(data), step):
            chunk = base64.b64encode(data[i:i + step]).decode()
            self.run(f"import binascii\n_mv[{i // size}:{(i + len(data[i:i + step])) // size}] = "
                     f"array({typecode!r}, binascii.a2b_base64({chunk!r}))")
        self.run("del _mv")

    def soft_reset(self) -> None:
        """A fresh MicroPython VM (the raw REPL's soft reset: main.py does not run)."""
        self.t.exit_raw_repl()
        self.t.enter_raw_repl(soft_reset=True)

    def close(self) -> None:
        if self.t is None:
            return  # closed already (pytest_runtest_teardown)
        try:
            self.t.exit_raw_repl()
        finally:
            self.t.close()
            self.t = None


_SHARED = []  # what stops the session's QEMU board and its REPL, while they run


@pytest.fixture(scope="session")
def mcu_board(mcu_elf, tmp_path_factory):
    """One emulated board for the tests/mcu modules that share it; stopped after the last test
    of tests/mcu (pytest_runtest_teardown), not at the session's end: an idle QEMU at the
    REPL spins a core, which the rest of the suite needs."""
    board = QemuBoard(tmp_path_factory.mktemp("qemu-m4f"), elf=mcu_elf)
    board.start()
    _SHARED.append(board.stop)
    yield board
    board.stop()


def pytest_runtest_teardown(item, nextitem):
    here = pathlib.Path(__file__).parent
    if nextitem is None or here not in pathlib.Path(nextitem.path).parents:
        while _SHARED:
            _SHARED.pop()()  # the REPL first, then the board


@pytest.fixture(scope="session")
def target(mcu_board):
    t = Target(mcu_board.repl)
    _SHARED.append(t.close)
    yield t
    t.close()


@pytest.fixture(scope="session")
def repl_at():
    """Target's constructor: a raw REPL on a board a test started itself."""
    return Target


def pytest_collection_modifyitems(config, items):
    """The mcu_long test (the demo site's busy spell on the emulated MCU: ten calls filling
    every trunk twice) runs with CALLGATE_MCU_LONG=1, as `make test-mcu` sets it; `make test`
    skips it (the call-center plan, 3 minutes, runs in both)."""
    if os.environ.get("CALLGATE_MCU_LONG") == "1":
        return
    skip = pytest.mark.skip(reason="mcu_long: the busy spell on the emulated MCU; make test-mcu (CALLGATE_MCU_LONG=1) "
                                   "runs it")
    for item in items:
        if item.get_closest_marker("mcu_long"):
            item.add_marker(skip)
