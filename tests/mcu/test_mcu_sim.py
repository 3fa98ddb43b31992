"""`callgate sim --board qemu-m4f`'s board (callgate.mcu.board.McuSimBoard): the MCU image in
QEMU running the media engine, the host's simulated line cards on its line-card bus, the
host tools on its data UART. Skipped with the MICROPY_DIR reason when there is no source."""

import os
import pathlib
import re
import subprocess
import sys
import threading
import time

import pytest
import serial

from callgate.callcenter import cdr as cdr_mod
from callgate.firmware import linebus as lb
from callgate.link.client import connect
from callgate.link.files import RemoteFiles
from callgate.mcu.board import McuSimBoard
from callgate.rig.plan import load_plan
from callgate.rig.session import rig_session
from callgate.sim.caller import Caller

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sim(mcu_elf):
    with McuSimBoard(elf=mcu_elf, clock=None) as b:  # the lines as fast as the MCU runs them
        yield b


def test_status_over_the_data_uart_names_the_board_and_its_ports(sim):
    r = subprocess.run([sys.executable, "-m", "callgate", "--port", sim.data_port, "status"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "board qemu-m4f" in r.stdout and "firmware 0.1.0" in r.stdout
    assert [line.split()[1] for line in r.stdout.splitlines() if line[:1].isdigit()] == ["fxo"] * 5 + ["fxs"] * 3
    assert sim.model.firmware["fw"] == "0.1.0"


def test_a_call_with_caller_id_and_ivr_digits_ends_in_a_call_record(sim):
    """Caller ID decoded on the MCU, the welcome prompt streamed from its flash, the caller's
    digits decoded on the MCU, the board hangs up, and the call record read back over the link."""
    call = sim.model.network.place_call(1, Caller(number="5557788", name="DORA", digits="73#"))
    assert call.done.wait(120), call.progress
    result = call.result()
    assert result["answered"] and result["ended_by"] == "board" and result["digits_sent"] == "73#"
    assert result["heard_ms"] > 500  # the prompt reached the caller
    with connect(sim.data_port, timeout=2.0) as c:
        records, bad = cdr_mod.fetch(RemoteFiles(c))
    assert not bad
    mine = [r for r in records if r.get("number") == "5557788"]
    assert len(mine) == 1
    r = mine[0]
    assert r["name"] == "DORA" and r["port"] == 1 and r["answered"] and r["ended"] >= r["answered"]
    assert abs(r["arrived"] / 1000 - time.time()) < 3600  # dated by the line cards' clock
    assert sim.model.audio.lost == 0 and sim.model.audio.bad == 0


def test_callgate_dial_on_the_emulated_mcu(sim):
    """An outbound call with the analyser running on the MCU: seize (off hook on the bus),
    dial tone, DTMF sent by the MCU's engine and decoded by the exchange, busy; then a person."""
    sim.model.network.set_number("5550100", "busy")
    sim.model.network.set_number("5550102", "person", rings=1)
    for number, outcome in (("5550100", "busy"), ("5550102", "person")):
        r = subprocess.run([sys.executable, "-m", "callgate", "--port", sim.data_port, "dial", number, "--json"],
                           capture_output=True, text=True, timeout=300)
        assert "Traceback" not in r.stderr, r.stderr
        import json

        out = json.loads(r.stdout)
        assert out["outcome"] == outcome and out["decide_ms"] > 0, out
        # The exchange lists a call once the board's on-hook reaches it: on the MCU that rides
        # the next bus tick, while the call's end goes to the host at once (wait for it).
        net = sim.model.network
        deadline = time.monotonic() + 10
        while not (net.dialled and net.dialled[-1]["digits"] == number) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert net.dialled and net.dialled[-1]["digits"] == number


def test_the_rig_short_plan_passes_on_the_emulated_mcu(mcu_elf):
    plan = load_plan(ROOT / "plans" / "short.yaml")
    plan.board = "qemu-m4f"
    with rig_session(None, None, 4.0, plan.board, plan.epoch) as rig:
        results = rig.run(plan)
        assert rig.info["board"] == "qemu-m4f"
    failed = [(r.case.id, r.expected, r.observed) for r in results if not r.passed and not r.skipped]
    assert not failed and len(results) == len(plan.cases)


def test_a_bus_tick_allocates_nothing_under_heap_lock(mcu_board, target):
    """hal_mcu's tick (decode the line cards' frame, run the engine, encode and send its
    own) on the target under heap_lock; the TX ticks come back on the bus pty in order."""
    # Quiet audio (nothing for a detector to report: a report allocates, by design) that
    # differs tick by tick, on ports 0 and 2; ports 1 and 3 silent (no frame on the bus).
    frames = [lb.pack(lb.KIND_RX, 100 + i, {0: bytes([0xF0 + i % 14]) * 160, 2: b"\xfe" * 160})
              for i in range(60)]
    wire = b"".join(frames)
    target.put("wire", wire, "B")
    got = bytearray()
    with serial.Serial(mcu_board.bus, 115200, timeout=0.2) as bus:
        done = threading.Event()

        def read():  # the TX ticks, while the target sends them
            while not done.is_set():
                try:
                    got.extend(bus.read(65536))
                except (serial.SerialException, TypeError):  # closed under it at the end
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        out = target.run("""
import micropython, _board
from callgate import hal_mcu
board = {"ports": [{"kind": "fxo"}, {"kind": "fxo"}, {"kind": "fxs"}, {"kind": "fxs"}], "pcm": {"law": "ulaw"}}
b = hal_mcu.Board(board)
b.bus = _board.UART(2)

def ticks(data, n):
    micropython.heap_lock()
    try:
        b.feed(data, n)
        try:
            bytearray(1)
            return False
        except MemoryError:
            return True
    finally:
        micropython.heap_unlock()

locked = ticks(wire, len(wire))
print(repr((locked, b.ticks, b.lost, b.tick, b.dec.errors)))
""", timeout=120)
        time.sleep(1.0)
        done.set()
        reader.join()
    locked, ticks, lost, last, errors = eval(out)  # noqa: S307 (a tuple the target printed)
    assert locked and (ticks, lost, last, errors) == (60, 0, 159, 0)
    d = lb.Decoder()
    tx, i = [], 0
    got = bytes(got)
    while i < len(got):
        i = d.feed(got, i, len(got))
        if d.ready:
            tx.append(lb.unpack(bytes(d.body[:d.ready])))
    assert [t[1] for t in tx] == list(range(100, 160)) and {t[0] for t in tx} == {lb.KIND_TX}
    # Nothing plays: every port's frame is silence, left out of the tick (the bus carries only
    # what is heard), and no events
    assert all(not t[2] and not t[3] for t in tx)


def test_callgate_sim_board_qemu_m4f_and_sim_call(mcu_elf, tmp_path):
    """The CLI: `callgate sim --board qemu-m4f` boots the image, prints its ports and registers
    itself; `callgate sim call` places a call through it; the data port answers status."""
    env = dict(os.environ, CALLGATE_RUNTIME_DIR=str(tmp_path / "rt"))
    sim = subprocess.Popen([sys.executable, "-m", "callgate", "sim", "--board", "qemu-m4f", "--seconds", "120"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=env)
    try:
        lines = []
        for line in sim.stdout:
            lines.append(line)
            if line.startswith("commands:"):
                break
        out = "".join(lines)
        assert "callgate sim: qemu-m4f running, firmware 0.1.0" in out, out
        data = re.search(r"data  (\S+)", out).group(1)
        assert re.search(r"repl  /dev/pts/\d+", out) and re.search(r"bus   /dev/pts/\d+", out)
        r = subprocess.run([sys.executable, "-m", "callgate", "sim", "call", "--from", "5551212", "--digits", "9#"],
                           capture_output=True, text=True, timeout=120, env=env)
        assert r.returncode == 0, r.stderr
        assert "keyed 9#, hung up by board" in r.stdout and "caller-id  number=5551212" in r.stdout
        r = subprocess.run([sys.executable, "-m", "callgate", "--port", data, "status"],
                           capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode == 0 and "board qemu-m4f" in r.stdout, r.stderr
    finally:
        sim.terminate()
        sim.wait(30)
    assert not list((tmp_path / "rt").glob("*.json"))  # unregistered when it stopped


def test_virtual_board_options_are_refused_for_the_emulated_mcu(tmp_path):
    r = subprocess.run([sys.executable, "-m", "callgate", "sim", "--board", "qemu-m4f", "--noise", "0.01"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        "callgate sim: --noise: not for qemu-m4f (an emulated MCU board; the virtual board's only)"]


def test_mpremote_stops_the_running_app_and_uses_the_repl(mcu_elf, tmp_path):
    """As on the virtual board: mpremote's Ctrl-C on the REPL stops the application running on
    the emulated MCU (board.c watches UART0 while it runs), then exec, fs ls and fs cp work on
    the board's flash; the data port says nothing more until a reset."""
    from callgate import runtime

    mpremote = runtime.tool("mpremote")
    local = tmp_path / "note.txt"
    local.write_bytes(b"from the host\n")
    with McuSimBoard(elf=mcu_elf, clock=1.0, workdir=tmp_path / "run") as b:
        def run(*args):
            r = subprocess.run([mpremote, "connect", b.repl_port, *args], capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stdout + r.stderr
            return r.stdout
        assert run("exec", "import os; print('cwd', os.getcwd())").split() == ["cwd", "/flash"]
        run("fs", "cp", str(local), ":note.txt")
        listing = run("fs", "ls", ":")
        assert "note.txt" in listing and "board.json" in listing
        assert run("exec", "print(open('note.txt').read())").strip() == "from the host"
    assert b.fs.read("note.txt") == b"from the host\n"  # on the flash image after QEMU stopped


def test_a_tick_whose_report_finds_no_memory_is_counted_and_the_ticks_go_on(mcu_board, target):
    """The defect: in the demo's busy half-hour a recording's report could not be allocated,
    the MemoryError ended the bus task, and the board stopped. Now the tick's reports are lost,
    counted in .oom, and the next ticks run (here every report raises MemoryError)."""
    frames = [lb.pack(lb.KIND_RX, 500 + i, {0: bytes([0xF0 + i % 14]) * 160}) for i in range(12)]
    target.put("wire2", b"".join(frames), "B")
    with serial.Serial(mcu_board.bus, 115200, timeout=0.2):  # someone at the bus's far end
        out = target.run("""
import _board
from callgate import hal_mcu
board = {"ports": [{"kind": "fxo"}, {"kind": "fxs"}], "pcm": {"law": "ulaw"}}
b = hal_mcu.Board(board)
b.bus = _board.UART(2)
b.command({"t": "record", "port": 0, "id": "r1"})

def no_room(msg):
    raise MemoryError

b._report = no_room
b.feed(wire2, len(wire2))
print(repr((b.ticks, b.oom, b.tick)))
""", timeout=120)
    ticks, oom, last = eval(out)  # noqa: S307 (a tuple the target printed)
    assert oom >= 2 and last == 511  # every rec report lost, and the last tick was reached
    assert ticks + oom == 12


def test_a_recording_outrunning_the_app_drops_chunks_past_the_backlog_and_says_how_many(mcu_board, target):
    """The defect: in the busy half-hour the app, serving the link, left 25 line reports
    waiting, the heap ran out and the app crashed. Rec reports left waiting are bounded per
    port (hal_mcu.REC_WAITING, 4 here): past it a chunk is dropped, and the next report that
    goes (the end's, always) says how many bytes were lost, so every code is either sent or
    counted; two recordings at once each keep their share (with one bound for all, the lower
    port took every freed place and the other recording lost all its audio)."""
    frames = [lb.pack(lb.KIND_RX, 700 + i, {0: bytes([0xF0 + i % 14]) * 160}) for i in range(40)]
    target.put("wire3", b"".join(frames), "B")
    with serial.Serial(mcu_board.bus, 115200, timeout=0.2):  # someone at the bus's far end
        out = target.run("""
import _board, asyncio
from callgate import hal_mcu
hal_mcu.REC_WAITING = 4
board = {"ports": [{"kind": "fxo"}, {"kind": "fxs"}], "pcm": {"law": "ulaw"}}
b = hal_mcu.Board(board)
b.bus = _board.UART(2)
b._flag = asyncio.Event()  # as connect() makes it: no app takes the reports here
b.command({"t": "record", "port": 0, "id": "r0"})
b.command({"t": "record", "port": 1, "id": "r1"})
b.feed(wire3, len(wire3))
b.command({"t": "record_stop", "port": 0})
b.command({"t": "record_stop", "port": 1})
print(repr([(m["id"], m["seq"], len(m["pcm"]), m.get("lost", 0), m["end"]) for m in b._reports if m.get("what") == "rec"]))
""", timeout=120)
    reps = eval(out)  # noqa: S307 (a list the target printed)
    for rid in ("r0", "r1"):
        mine = [r[1:] for r in reps if r[0] == rid]
        assert [r[0] for r in mine] == [0, 1, 2, 3, 4] and mine[-1][3] and not any(r[3] for r in mine[:-1]), mine
        assert sum(r[1] for r in mine[:4]) == 4 * 800 and not any(r[2] for r in mine[:4])
        assert mine[-1][1] + mine[-1][2] == 40 * 160 - 4 * 800  # the rest: the end's codes, or counted lost


def test_a_hang_up_reaches_the_line_even_when_its_recording_finds_no_memory(mcu_board, target):
    """The defect (the busy spell of make test-mcu): a hang-up whose recording's last report
    raised MemoryError never sent the on-hook; the line stayed off hook and the next caller on
    that trunk rang unanswered while the firmware had taken the call."""
    with serial.Serial(mcu_board.bus, 115200, timeout=0.2):
        out = target.run("""
import _board
from callgate import hal_mcu
board = {"ports": [{"kind": "fxo"}, {"kind": "fxs"}], "pcm": {"law": "ulaw"}}
b = hal_mcu.Board(board)
b.bus = _board.UART(2)
b.command({"t": "answer", "port": 0})
b.command({"t": "record", "port": 0, "id": "r1"})
b.out = []

def no_room(msg):
    raise MemoryError

b._report = no_room
b.command({"t": "hangup", "port": 0})
print(repr(([e[0] for e in b.out], b.rec[0] is None, b.answered[0])))
""", timeout=120)
    codes, rec_gone, answered = eval(out)  # noqa: S307 (a tuple the target printed)
    assert lb.EV_ONHOOK in codes and rec_gone and not answered


def test_the_c_byte_loops_of_the_bus_give_the_python_loops_bytes(target):
    """usermod/_linebus (the image's) against linebus.py's own loops, on the target: the CRC,
    the stuffing of bodies with and without zeros and across 254-byte blocks, and the decoder
    over frames with noise and a corrupted frame between them."""
    out = target.run("""
from callgate import linebus
import _linebus
def run():
    got = []
    for n in (0, 1, 253, 254, 255, 600, 1300):
        body = bytearray((i * 7 + n) & 0xFF for i in range(n))
        if n > 10:
            body[5] = 0
            body[n - 1] = 0
        wire = bytearray(linebus.max_wire(n))
        k = linebus.stuff(body, n, wire)
        got.append((linebus.crc16_range(body, 0, n), bytes(wire[:k])))
    e = linebus.Encoder(2)
    e.begin(linebus.KIND_RX, 7, 3)
    e.event(linebus.EV_CLOCK, 0, b"12345678")
    k = e.finish()
    frame = bytes(e.wire[:k])
    bad = bytearray(frame)
    bad[20] ^= 0x10
    stream = b"noise" + frame + bytes(bad) + frame
    d = linebus.Decoder()
    i, seen = 0, []
    while i < len(stream):
        i = d.feed(stream, i, len(stream))
        if d.ready:
            seen.append(bytes(d.body[:d.ready]))
    got.append((seen, d.frames, d.errors))
    return got
c = run()
linebus._linebus = None
p = run()
linebus._linebus = _linebus
print(c == p, len(c[-1][0]), c[-1][1])
""", timeout=300)
    same, frames, decoded = out.split()
    assert same == "True" and frames == "2" and decoded == "2"
