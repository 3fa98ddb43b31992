"""Deploy to the real virtual board: firmware on MicroPython, the link over a pty.

Full deploy, nothing to send the second time, one changed file sends one file, --dry-run, the
CLI, and the board's file operations (resumable uploads) underneath.
"""

import hashlib
import json
import os

import pytest

from callgate.cli import main as cli_main
from callgate.deploy import bundle
from callgate.deploy.deploy import deploy
from callgate.firmware.link import messages
from callgate.link.files import RemoteFiles

from deploy_helpers import boot_state, flash_snapshot


def test_upload_resumes_where_the_board_stopped(client):
    fs = RemoteFiles(client)
    data = os.urandom(5000)
    # a cut-off upload: the board holds the first 1234 bytes of the .part
    fs._req(messages.OP_FS_OPEN, {"p": "t/x.bin.part", "size": len(data), "fresh": True})
    fs._req(messages.OP_FS_WRITE, {"p": "t/x.bin.part", "o": 0, "d": data[:400]})
    fs._req(messages.OP_FS_WRITE, {"p": "t/x.bin.part", "o": 400, "d": data[400:800]})
    fs._req(messages.OP_FS_WRITE, {"p": "t/x.bin.part", "o": 400, "d": data[400:800]})  # a retry
    assert fs.resume_point("t/x.bin.part", data) == 800
    assert fs.upload("t/x.bin", data) == len(data) - 800
    assert fs.sha256("t/x.bin") == hashlib.sha256(data).digest()
    assert fs.stat("t/x.bin.part") is None
    assert fs.read("t/x.bin") == data
    # a different file at the same name is not resumed from
    other = os.urandom(5000)
    fs.upload("t/y.bin", data)
    assert fs.upload("t/y.bin", other) == len(other)
    assert fs.listdir("t") == [("x.bin", 5000), ("y.bin", 5000)]
    assert fs.remove("t") == 3


def test_full_deploy_then_nothing_then_one_file(board, client, firmware):
    b1 = firmware.build("0.2.0")
    r = deploy(client, b1)
    assert r["state"] == "running" and r["running"] == "0.2.0"
    assert r["sent"] == sum(len(d) for d in b1.files.values()) and r["verified"] == len(b1.files)
    assert client.status()["fw"] == "0.2.0"
    assert "starting from " + b1.slot in board.console()
    st = boot_state(board.fs)
    assert (st["active"], st["ok"], st["previous"]) == (b1.slot, True, None)

    again = deploy(client, b1)
    assert again["up_to_date"] and again["send"] == [] and "sent" not in again

    ports = firmware / "callgate" / "ports.py"
    ports.write_text(ports.read_text() + "\n\ndef _deployed():\n    return 2\n")
    b2 = firmware.build("0.2.0")
    r = deploy(client, b2)
    assert r["send"] == ["callgate/ports.mpy"]
    assert r["sent"] == len(b2.files["callgate/ports.mpy"])
    assert len(r["copy"]) == len(b2.files) - 1
    assert r["state"] == "running"
    st = boot_state(board.fs)
    assert (st["active"], st["previous"]) == (b2.slot, b1.slot)
    # a third version: the slot before the previous one is removed
    b3 = firmware.build("0.2.1")
    assert deploy(client, b3)["state"] == "running"
    assert board.fs.listdir("fw") == sorted([b2.slot[3:], b3.slot[3:]])


def test_dry_run_lists_and_changes_nothing(board, client, firmware):
    b = firmware.build("0.2.0")
    r = deploy(client, b, dry_run=True)
    assert r["dry_run"] and sorted(r["send"]) == sorted(b.files)
    assert r["bytes_to_send"] == sum(len(d) for d in b.files.values())
    assert not board.fs.exists("fw") and boot_state(board.fs) is None


def test_cli_deploy(board, firmware, tmp_path, capsys):
    saved = tmp_path / "bundle"
    firmware.build("0.3.0").save(saved)
    assert cli_main(["--port", board.data_port, "deploy", "--bundle", str(saved), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run" in out and "callgate/app.mpy" in out
    assert cli_main(["--port", board.data_port, "deploy", "--bundle", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "board running 0.3.0" in out, out
    assert cli_main(["--port", board.data_port, "deploy", "--bundle", str(saved)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_cli_deploy_source_names_a_firmware_tree(board, firmware, tmp_path, capsys):
    """--source DIR builds from that firmware tree (a checkout's firmware/), not the installed
    one; a folder that is not one is refused in one line before anything is sent; --py ships
    the .py sources."""
    import json

    from deploy_helpers import set_version

    set_version(firmware.path, "0.4.0")
    port = ["--port", board.data_port]
    assert cli_main([*port, "deploy", "--source", str(firmware.path), "--py", "--dry-run", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["version"] == "0.4.0" and r["dry_run"]
    assert "callgate/app.py" in r["send"] and "callgate/app.mpy" not in r["send"]
    before = flash_snapshot(board.fs)
    assert cli_main([*port, "deploy", "--source", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path}: not a firmware tree" in err, err
    assert flash_snapshot(board.fs) == before


def test_progress_line():
    import io

    from callgate.deploy.deploy import Progress

    out = io.StringIO()
    p = Progress(20_000, out)
    p(5_000)
    p(15_000)
    p.end()
    text = out.getvalue()
    assert text.startswith("\r  ") and text.endswith("\n")
    last = text.strip().split("\r")[-1]
    assert "20.0 / 20.0 kB" in last and "kB/s" in last and "0.0 s left" in last


def test_a_bundle_holds_only_its_boards_hal_backend(tmp_path):
    """As the board's image freezes the firmware (firmware/manifest.py): a virtual board's slot
    has hal_virtual and no MCU code, an MCU board's the reverse; every other module both."""
    virtual = bundle.build("virtual-4")
    assert "callgate/hal_virtual.mpy" in virtual.files and "callgate/hal_mcu.mpy" not in virtual.files
    mcu = bundle.build("esp32s3-2fxo-2fxs", mpy=False)
    assert "callgate/hal_mcu.py" in mcu.files and "callgate/hal_virtual.py" not in mcu.files
    common = {p[:-4] for p in virtual.files if p.endswith(".mpy")} - {"callgate/hal_virtual"}
    assert common == {p[:-3] for p in mcu.files if p.endswith(".py")} - {"callgate/hal_mcu"}
    assert {"callgate/hal", "callgate/app", "callgate/link/endpoint"} <= common
    board = tmp_path / "fpga-1"
    board.mkdir()
    (board / "board.json").write_text(json.dumps({"id": "fpga-1", "mcu": "unix", "hal": "fpga", "ports": []}))
    with pytest.raises(bundle.BundleError, match="hal='fpga'"):
        bundle.build("fpga-1", boards=tmp_path, mpy=False)
