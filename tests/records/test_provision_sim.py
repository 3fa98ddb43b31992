"""`provision` and `config pull` on the virtual board (boards/virtual-4): the real link and the
firmware's file handlers on its LittleFS flash image. The firmware may not know OP_SITE_RELOAD
yet (ERR "unknown op"): the site is stored all the same and applies at the next boot."""

import importlib
import json

import pytest

from callgate.cli import main as cli_main
from callgate.link.client import connect
from callgate.link.files import RemoteFiles
from callgate.provision import provision, pull_config
from callgate.sim.board import VirtualBoard
from callgate.site import load_site
from minisite import make_site

provision_mod = importlib.import_module("callgate.provision.provision")  # the module, not the function
pytestmark = pytest.mark.slow


@pytest.fixture
def board():
    with VirtualBoard("virtual-4", clock=8.0) as vb:
        yield vb


@pytest.fixture
def client(board):
    with connect(board.data_port, timeout=1.0) as c:
        yield c


def reload_ok(r):
    rl = r["reload"]
    return rl.get("unknown_op") or ("error" not in rl and {"site", "applied", "pending"} <= set(rl))


def test_provision_pull_and_change_on_the_virtual_board(board, client, tmp_path):
    y = make_site(tmp_path / "mini")
    r = provision(client, load_site(y))
    assert r["switched"] and reload_ok(r)
    d = r["dir"]
    flash = board.fs
    assert json.loads(flash.read("site.json"))["dir"] == d
    assert flash.read(f"{d}/site.yaml") == y.read_bytes()
    assert sorted(flash.listdir(f"{d}/prompts")) == ["hold.wav", "welcome.wav"]
    assert not flash.exists("site.json.new")

    text, current = pull_config(RemoteFiles(client))
    assert text == y.read_bytes() and current["site"] == "mini"
    assert provision(client, load_site(y))["up_to_date"]

    make_site(y.parent, max_wait=45, welcome_hz=500)
    r2 = provision(client, load_site(y))
    assert r2["changes"] == {"queues": {"added": [], "removed": [], "changed": ["sales"]}}
    assert r2["prompts"]["changed"] == ["welcome"] and r2["copy"] == ["prompts/hold.wav"]
    assert json.loads(board.fs.read("site.json"))["dir"] == r2["dir"]
    folders = set(board.fs.listdir("site"))
    if r2["reload"].get("applied") and not r2["reload"].get("pending"):
        assert folders == {r2["id"]}
    else:
        assert folders == {r2["id"], d[5:]}  # the site the board still runs is kept


class _CutAfter:
    """Stands in for deploy's Progress: the link is cut after `n` chunks."""

    n = 3

    def __init__(self, total, out=None):
        self.total, self.done = total, 0

    def __call__(self, n):
        self.done += n
        _CutAfter.n -= 1
        if _CutAfter.n < 0:
            raise ConnectionError("the link was cut")

    def end(self):
        pass


def test_cut_off_provision_keeps_the_old_site_then_resumes(board, client, tmp_path, monkeypatch):
    y = make_site(tmp_path / "mini")
    first = provision(client, load_site(y))
    old_root = board.fs.read("site.json")
    make_site(y.parent, welcome_hz=700)
    site = load_site(y)
    monkeypatch.setattr(provision_mod, "Progress", _CutAfter)
    with pytest.raises(ConnectionError):
        provision(client, site)
    monkeypatch.undo()
    assert board.fs.read("site.json") == old_root  # still the old site, whole
    assert set(board.fs.listdir(first["dir"] + "/prompts")) == {"hold.wav", "welcome.wav"}
    r = provision(client, site)
    assert r["switched"] and 0 < r["sent"] < r["bytes_to_send"]  # only what had not arrived
    assert json.loads(board.fs.read("site.json"))["dir"] == r["dir"]


def test_cli_on_the_virtual_board(board, tmp_path, capsys):
    y = make_site(tmp_path / "mini")
    port = ["--port", board.data_port]
    assert cli_main(port + ["config", "pull"]) == 2
    assert "the board has no site" in capsys.readouterr().err
    assert cli_main(port + ["provision", str(y), "--dry-run"]) == 0
    assert "dry run:" in capsys.readouterr().out and not board.fs.exists("site.json")
    assert cli_main(port + ["provision", str(y)]) == 0
    out = capsys.readouterr().out
    assert "site.json switched" in out
    assert ("applies at the board's next boot" in out) or ("applied" in out) or ("when its last call ends" in out)
    assert cli_main(port + ["config", "pull", "-o", str(tmp_path / "back.yaml")]) == 0
    assert (tmp_path / "back.yaml").read_bytes() == y.read_bytes()
    assert cli_main(port + ["cdr", "pull"]) == 0  # no calls yet: the header only
    assert capsys.readouterr().out.startswith("id,port,trunk,")
    assert cli_main(port + ["recordings", "pull", str(tmp_path / "rec")]) == 0
    assert "0 recording(s) on the board" in capsys.readouterr().out


def test_a_power_cut_mid_provision_keeps_the_old_site_running(board, client, tmp_path, monkeypatch):
    """The board loses power (its firmware is killed) in the middle of the upload: it comes back
    on the old site, whole; provisioning again finishes the job."""
    y = make_site(tmp_path / "mini")
    provision(client, load_site(y))
    old_root = board.fs.read("site.json")
    make_site(y.parent, welcome_hz=900, max_wait=50)
    site = load_site(y)

    class PowerCut(_CutAfter):
        def __call__(self, n):
            self.done += n
            if self.done > 2000 and not board.killed:
                board.killed = board.kill_firmware()
                raise ConnectionError("the board lost power")

    board.killed = None
    monkeypatch.setattr(provision_mod, "Progress", PowerCut)
    with pytest.raises(ConnectionError):
        provision(client, site)
    monkeypatch.undo()
    assert board.wait_restart(board.killed)
    assert board.fs.read("site.json") == old_root  # the old site, whole
    assert client.status()["site"] == "mini"
    r = provision(client, site)
    assert r["switched"] and json.loads(board.fs.read("site.json"))["dir"] == r["dir"]
