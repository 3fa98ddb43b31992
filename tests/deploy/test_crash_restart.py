"""A crashed app restarts the board, as a watchdog would (firmware/main.py); a crash loop stays
in the REPL. The crash comes from a deployed version that comes up (it is confirmed, so it is
not on trial) and then raises 1 s later: a fault met in service, like the MCU's MemoryError
a slot's bytecode in RAM once caused."""

import time

from callgate.deploy.deploy import deploy

from deploy_helpers import boot_state

CRASH = '''
        update.confirm()  # up: a newly deployed slot is kept
        await asyncio.sleep_ms(1000)
        raise RuntimeError("a fault met in service")
'''


def _crashing_build(firmware):
    app = firmware / "callgate" / "app.py"
    text = app.read_text()
    line = "        update.confirm()  # up: a newly deployed slot is kept\n"
    assert line in text
    app.write_text(text.replace(line, CRASH.lstrip("\n"), 1))
    return firmware.build("0.2.0")


def _wait(board, what, n, timeout=60.0):
    deadline = time.monotonic() + timeout
    while board.console().count(what) < n:
        assert time.monotonic() < deadline, f"{what!r} not {n} times:\n{board.console()[-3000:]}"
        time.sleep(0.2)


def test_a_crash_restarts_the_board_and_a_crash_loop_stays_in_the_repl(board, client, firmware):
    b = _crashing_build(firmware)
    r = deploy(client, b, wait=20.0)
    assert r["state"] == "running", r  # it came up: confirmed, not rolled back
    started = "callgate 0.2.0: starting from " + b.slot
    _wait(board, "a fault met in service", 3)
    _wait(board, "staying in the REPL", 1)
    out = board.console()
    assert out.count("app stopped (crashed), restarting") == 2
    assert "app stopped (crash loop), REPL" in out
    time.sleep(3)  # no fourth start
    assert board.console().count(started) == 3
    assert (boot_state(board.fs)["active"], boot_state(board.fs)["ok"]) == (b.slot, True)
