"""`callgate bootstrap` through the virtual board's REPL (mpremote, raw paste), then deploys
over the link from the slot it installed."""

from callgate.cli import main as cli_main
from callgate.deploy.deploy import deploy
from callgate.link.client import connect
from callgate.sim.flash import put

from deploy_helpers import boot_state


def test_bootstrap_through_the_repl_then_deploy(board, firmware, tmp_path, capsys):
    with board.powered_off(wait=False) as fs:  # a stock board: bootstrap replaces its main.py
        put(fs, "main.py", "print('a stock board')\n")
    b = firmware.build("0.2.0")
    saved = b.save(tmp_path / "bundle")
    argv = ["--port", board.data_port, "bootstrap", "--board", "virtual-4", "--repl", board.repl_port, "--bundle", str(saved)]
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    assert "board running" in out and b.slot in out, out
    assert board.fs.read("main.py") == (firmware / "main.py").read_bytes()
    st = boot_state(board.fs)
    assert (st["active"], st["ok"]) == (b.slot, True)
    ports = firmware / "callgate" / "ports.py"
    ports.write_text(ports.read_text() + "\n_AFTER_BOOTSTRAP = 1\n")
    with connect(board.data_port, timeout=1.0) as c:
        assert c.status()["fw"] == "0.2.0"
        r = deploy(c, firmware.build("0.2.0"))
        assert r["send"] == ["callgate/ports.mpy"] and r["state"] == "running"
