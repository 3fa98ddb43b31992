"""The image boots on QEMU's mps2-an386: banner, flash, main.py, REPL."""

import time

import serial

from callgate.mcu import QemuBoard


def _read_until(s, marker: bytes, timeout: float = 30) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while marker not in out and time.monotonic() < deadline:
        out += s.read(4096)
    return out


def test_boots_to_the_repl_through_main_py(mcu_elf, tmp_path):
    with QemuBoard(tmp_path, elf=mcu_elf) as board:  # with the safe file: the app stays off
        with serial.Serial(board.repl, 115200, timeout=0.2) as s:
            # What the board printed before the pty was opened is gone: a soft reset from the
            # friendly REPL boots again, running _boot.py and main.py as at power-on.
            s.write(b"\r\x03")
            _read_until(s, b">>> ")
            s.write(b"\x04")
            out = _read_until(s, b">>> ").decode(errors="replace")
    assert "MPY: soft reboot" in out
    # main.py (frozen firmware/main.py) ran from the flash root and found the safe file there
    # (QemuBoard puts it in unless app=True): the app did not start, the REPL is free.
    assert "callgate 0.1.0: boot escape, app not started" in out
    assert "mps2-an386 with Cortex-M4F" in out
    assert "MicroPython v1.29.0-preview" in out  # the source's version, not this repo's commit


def test_flash_is_littlefs_on_a_host_file_and_persists(mcu_elf, tmp_path, repl_at):
    board = QemuBoard(tmp_path, elf=mcu_elf)
    with board:
        t = repl_at(board.repl)
        assert "board.json" in t.eval("__import__('os').listdir()")  # put there by the host
        t.run("with open('written-on-target.txt', 'w') as f:\n f.write('from the MCU')")
        t.close()
    # QEMU stopped: the host reads the board's flash image, and writes to it.
    assert board.flash.read("written-on-target.txt") == b"from the MCU"
    board.flash.write("written-on-host.txt", b"from the host")
    with board:
        t = repl_at(board.repl)
        assert t.eval("open('written-on-target.txt').read()") == "from the MCU"
        assert t.eval("open('written-on-host.txt').read()") == "from the host"
        t.close()


def test_the_image_states_the_board(target):
    assert target.eval("__import__('sys').platform") == "qemu"
    assert target.eval("__import__('os').getcwd()") == "/flash"
    assert target.eval("__import__('os').statvfs('/flash')[0]") == 4096  # LittleFS blocks
    assert target.eval("__import__('os').statvfs('/flash')[2]") == 4096  # 16 MiB of flash (board.json storage)


def test_asyncio_runs_on_the_image(target):
    """The port turns asyncio off; the board turns it on (mpconfigboard.h) and freezes it."""
    out = target.run("""
import asyncio
log = []
async def ticker(name, n):
    for i in range(n):
        log.append(name)
        await asyncio.sleep_ms(5)
async def waiter(flag):
    await flag.wait()
    log.append('flag')
async def main():
    flag = asyncio.ThreadSafeFlag()
    w = asyncio.create_task(waiter(flag))
    await asyncio.gather(ticker('a', 3), ticker('b', 3))
    flag.set()
    await w
asyncio.run(main())
print(''.join(log))
""")
    assert out.strip() == "ababab" + "flag"


def test_data_uart_and_line_card_bus_are_channels_of_their_own(mcu_elf, tmp_path, repl_at):
    """UART1 (the host link) and UART2 (the line-card bus) as asyncio streams on the target,
    each on its own pty: every byte value crosses both ways, 0x03 included, and the REPL on
    UART0 keeps running (the echo task is started from it and reports there)."""
    payload = bytes(range(256)) * 4
    with QemuBoard(tmp_path, elf=mcu_elf) as board:
        t = repl_at(board.repl)
        with serial.Serial(board.data, 115200, timeout=0.2) as data, \
                serial.Serial(board.bus, 115200, timeout=0.2) as bus:
            t.t.exec_raw_no_follow("""
import asyncio, _board
async def echo(n, tag, count):
    r = asyncio.StreamReader(_board.UART(n))
    w = asyncio.StreamWriter(_board.UART(n), {})
    got = await r.readexactly(count)
    w.write(tag + got)
    await w.drain()
async def main():
    await asyncio.gather(echo(1, b'data:', %d), echo(2, b'bus:', 5))
    print('echoed')
asyncio.run(main())
""" % len(payload))
            time.sleep(0.5)
            bus.write(b"\x03ok\x03!")
            data.write(payload)
            back_data = _read_until(data, payload)
            back_bus = _read_until(bus, b"bus:\x03ok\x03!")
        out, err = t.t.follow(timeout=30)
        t.close()
    assert back_data == b"data:" + payload
    assert back_bus == b"bus:\x03ok\x03!"
    assert out.strip() == b"echoed" and err == b""


def test_mpremote_and_a_host_compiled_mpy_work_on_the_image(mcu_elf, tmp_path):
    """The mpremote command on the REPL pty, and a .mpy from the host's mpy-cross for the
    board's arch (board.json "arch", as `callgate deploy` compiles bundles) imports there."""
    import json
    import pathlib
    import subprocess

    from callgate import runtime

    root = pathlib.Path(__file__).resolve().parents[2]
    arch = json.loads((root / "boards" / "qemu-m4f" / "board.json").read_text())["arch"]
    mpy = tmp_path / "crc.mpy"
    subprocess.run([runtime.mpy_cross(), f"-march={arch}", "-o", str(mpy),
                    str(root / "firmware" / "callgate" / "link" / "crc.py")], check=True)
    mpremote = runtime.tool("mpremote")
    with QemuBoard(tmp_path / "run", elf=mcu_elf) as board:
        def run(*args):
            r = subprocess.run([mpremote, "connect", board.repl, *args], capture_output=True,
                               text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            return r.stdout
        run("fs", "cp", str(mpy), ":crc.mpy")
        assert "crc.mpy" in run("fs", "ls")
        out = run("exec", "import crc, _callgate; print(crc.crc16(b'123456789'), _callgate.MAX_PORTS)")
    import importlib.util

    spec = importlib.util.spec_from_file_location("crc", root / "firmware" / "callgate" / "link" / "crc.py")
    crc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(crc)
    assert out.split() == [str(crc.crc16(b"123456789")), "8"]
