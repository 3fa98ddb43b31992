"""Deploys cut off, boards that fail to come up, and refusals, on the real virtual board.

A deploy cut off at any moment (the host killed, the firmware killed) leaves the board
running its old version, and deploying again finishes without resending what arrived. A new
version that fails to come up 3 times is rolled back by the board itself, which says so in
its BOOT event. A bundle for another board, with a bad hash, older than the board's minimum
version or larger than its storage is refused before anything on the board changes.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from littlefs import LittleFS

from callgate.cli import main as cli_main
from callgate.deploy.deploy import DeployRefused, deploy
from callgate.deploy import bundle
from callgate.link.client import connect
from callgate.sim.flash import BLOCK_SIZE, put

from deploy_helpers import boot_state, flash_snapshot

BLOB = 300_000  # a large file, so the transfer takes long enough to be cut in the middle


def _start_cli_deploy(board, saved):
    return subprocess.Popen(
        [sys.executable, "-m", "callgate", "--port", board.data_port, "deploy", "--bundle", str(saved)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def _part(b):
    return b.slot + "/data/blob.bin.part"


def _wait_part(board, b, at_least, proc, timeout=90.0):
    """Wait until the upload's .part file in the board's flash image holds at_least bytes
    (read from a copy of the image while the firmware writes it: flash.py)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = board.fs.size(_part(b))
        if n is not None and n >= at_least:
            return n
        assert proc.poll() is None, "the deploy ended before it could be cut off"
        time.sleep(0.02)  # each look copies the image
    raise AssertionError("the upload did not start")


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=5)


def _blob_bundle(firmware, version="0.2.0"):
    return firmware.build(version, extra={"data/blob.bin": os.urandom(BLOB)})


@pytest.mark.parametrize("who", ["host", "firmware"])
def test_cut_off_deploy_keeps_old_version_and_resumes(board, firmware, tmp_path, who):
    b = _blob_bundle(firmware)
    saved = b.save(tmp_path / "bundle")
    proc = _start_cli_deploy(board, saved)
    try:
        _wait_part(board, b, BLOB // 4, proc)
        if who == "firmware":
            old = board.kill_firmware()  # the board loses power mid-upload
            _kill(proc)
            assert board.wait_restart(old)
        else:
            _kill(proc)  # the host dies mid-upload
    finally:
        _kill(proc)
    time.sleep(0.2)  # bytes still on their way to the board
    assert boot_state(board.fs) is None
    held = board.fs.size(_part(b))
    assert held is not None and 0 < held < BLOB
    with connect(board.data_port, timeout=1.0) as c:
        assert c.status()["fw"] == "0.1.0"  # still the old version
        r = deploy(c, b)
        assert r["send"] == ["data/blob.bin"]  # everything else had arrived
        assert r["sent"] == BLOB - held  # and of the blob, only what had not
        assert r["state"] == "running" and c.status()["fw"] == "0.2.0"


def test_new_version_that_does_not_come_up_is_rolled_back(board, client, firmware):
    good = firmware.build("0.2.0")
    assert deploy(client, good)["state"] == "running"
    app = firmware / "callgate" / "app.py"
    app.write_text(app.read_text() + '\nraise RuntimeError("this build does not come up")\n')
    bad = firmware.build("0.3.0")
    events = []
    client.subscribe(events.append)
    r = deploy(client, bad, wait=20.0)
    assert r["state"] == "rolled back", r
    assert r["rollback"] == {"from": bad.slot, "to": good.slot, "tries": 3}
    assert client.status()["fw"] == "0.2.0"
    st = boot_state(board.fs)
    assert (st["active"], st["ok"]) == (good.slot, True)
    assert "failed to come up 3 times" in board.console()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not any(e.name == "boot" and "rollback" in e.value for e in events):
        time.sleep(0.05)
    boots = [e.value for e in events if e.name == "boot" and "rollback" in e.value]
    assert boots and boots[-1]["rollback"]["from"] == bad.slot and boots[-1]["slot"] == good.slot


def _refused(client, board, b, words):
    before = flash_snapshot(board.fs)
    with pytest.raises(DeployRefused) as e:
        deploy(client, b)
    assert words in str(e.value)
    assert flash_snapshot(board.fs) == before  # nothing changed
    return str(e.value)


def test_refusals_change_nothing(board, client, firmware, tmp_path, capsys):
    other = bundle.build("esp32s3-2fxo-2fxs", firmware=firmware.path)
    assert other.manifest["arch"] == "xtensawin"
    _refused(client, board, other, "bundle for board esp32s3-2fxo-2fxs, but the board is virtual-4")

    bad = firmware.build("0.2.0")
    bad.files["callgate/app.mpy"] = bad.files["callgate/app.mpy"][:-1] + b"\x00"
    _refused(client, board, bad, "bad hash: callgate/app.mpy")

    big = firmware.build("0.2.0", extra={"data/big.bin": b"\xff" * 1_200_000})
    _refused(client, board, big, "larger than the board's free storage")

    assert deploy(client, firmware.build("0.3.0", min_version="0.3.0"))["state"] == "running"
    _refused(client, board, firmware.build("0.2.5"), "version 0.2.5 is older than the board's minimum 0.3.0")

    # the CLI: one line, exit code 2
    saved = firmware.build("0.4.0").save(tmp_path / "b")
    (saved / "callgate" / "ports.mpy").write_bytes(b"not what the manifest says")
    before = flash_snapshot(board.fs)
    client.close()  # one program at a time holds the port
    assert cli_main(["--port", board.data_port, "deploy", "--bundle", str(saved)]) == 2
    assert "bad hash: callgate/ports.mpy" in capsys.readouterr().err
    assert flash_snapshot(board.fs) == before


def test_deploy_rides_through_a_firmware_restart(board, firmware):
    """The host stays while the board restarts mid-upload: the client's retries and new
    handshake carry the deploy on, and no byte is sent twice (the upload is offset-addressed)."""
    import threading

    b = _blob_bundle(firmware)
    total = sum(len(d) for d in b.files.values())
    with connect(board.data_port, timeout=0.5, retries=8) as c:
        res = {}

        def run():
            try:
                res["r"] = deploy(c, b)
            except Exception as e:  # reported below
                res["e"] = e

        t = threading.Thread(target=run)
        t.start()
        deadline = time.monotonic() + 90
        while (board.fs.size(_part(b)) or 0) <= BLOB // 4 and time.monotonic() < deadline:
            time.sleep(0.02)  # each look copies the image
        assert (board.fs.size(_part(b)) or 0) > BLOB // 4, "the upload did not get a quarter in"
        board.kill_firmware()
        t.join(30)
        assert "e" not in res, res
        assert res["r"]["sent"] == total and res["r"]["state"] == "running"
        assert c.resets >= 1 and c.status()["fw"] == "0.2.0"


def test_safe_file_boots_frozen_firmware_and_keeps_the_slot(board, firmware):
    with connect(board.data_port, timeout=1.0) as c:
        b = firmware.build("0.2.0")
        assert deploy(c, b)["state"] == "running"
    state = board.fs.read("boot.json")
    with board.powered_off() as fs:  # safe mode: no hello to wait for
        put(fs, "safe", "")
    deadline = time.monotonic() + 10
    while "callgate 0.1.0: boot escape" not in board.console() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "callgate 0.1.0: boot escape" in board.console()  # the frozen firmware's, not the slot's
    assert board.fs.read("boot.json") == state  # no boot counted
    with board.powered_off() as fs:  # waits for the slot's firmware to say hello
        fs.remove("safe")
    with connect(board.data_port, timeout=1.0) as c:
        assert c.status()["fw"] == "0.2.0"


def test_power_cut_mid_deploy_leaves_a_clean_image_naming_the_running_version(board, firmware, tmp_path):
    """The board's flash is a LittleFS2 image (docs/virtual-board.md): cut the power (SIGKILL the
    firmware, and keep it off) in the middle of a deploy's upload, then read the image as the
    killed firmware left it with littlefs-python: it mounts, boot.json still names the running
    slot (confirmed), the new version's upload is a partial .part file, and the board boots the
    running version when the power comes back."""
    with connect(board.data_port, timeout=1.0) as c:
        first = firmware.build("0.2.0")
        assert deploy(c, first)["state"] == "running"
    b = _blob_bundle(firmware, "0.3.0")
    proc = _start_cli_deploy(board, b.save(tmp_path / "bundle"))
    try:
        _wait_part(board, b, BLOB // 4, proc)
        with board.powered_off():  # killed mid-upload; off until the end of the block
            _kill(proc)
            image = board.flash.read_bytes()  # exactly what the killed process left in the file
            fs = LittleFS(block_size=BLOCK_SIZE, block_count=len(image) // BLOCK_SIZE, mount=False)
            fs.context.buffer = bytearray(image)
            fs.mount()  # mounts cleanly: no format, no repair
            with fs.open("boot.json", "r") as f:
                st = json.loads(f.read())
            assert (st["active"], st["ok"]) == (first.slot, True)
            assert 0 < fs.stat(_part(b)).size < BLOB
            assert b.slot.split("/")[-1] in fs.listdir("fw")
            fs.unmount()
    finally:
        _kill(proc)
    with connect(board.data_port, timeout=1.0) as c:
        assert c.status()["fw"] == "0.2.0"
    assert "starting from " + first.slot in board.console()
