"""`provision` and `config pull` on an in-memory board (localboard.py): the diff, what is sent,
copied or kept, the atomic switch, the reload (or its absence), a cut-off transfer, refusals."""

import contextlib
import hashlib
import json

import pytest

from callgate.cli import main as cli_main
from callgate.link.files import RemoteFiles
from callgate.provision import NoSite, ProvisionRefused, provision, pull_config, pull_prompts
from callgate.site import load_site
from localboard import LocalBoard
from minisite import add_prompt, make_site

APPLIED = {"site": "mini", "applied": True, "pending": False}


@pytest.fixture
def site_yaml(tmp_path):
    return make_site(tmp_path / "mini")


def root(b):
    return json.loads(b.files["site.json"])


def test_first_provision_then_nothing(site_yaml):
    b = LocalBoard(files={"main.py": b"x"})
    site = load_site(site_yaml)
    before = dict(b.files)
    r = provision(b, site, dry_run=True)
    assert b.files == before and r["dry_run"]
    assert r["changes"] == {"site": {"added": ["mini"], "removed": [], "changed": []}}
    assert r["prompts"] == {"added": ["hold", "welcome"], "removed": [], "changed": []}
    assert r["send"] == ["site.json", "site.yaml", "prompts/hold.wav", "prompts/welcome.wav"]

    r = provision(b, site)
    d = r["dir"]
    assert d == "site/" + r["id"] and len(r["id"]) == 12
    assert r["switched"] and r["sent"] == r["bytes_to_send"] and r["verified"] == 4
    assert r["reload"]["unknown_op"]  # this board has no OP_SITE_RELOAD: applies at next boot
    assert b.files[f"{d}/site.yaml"] == site_yaml.read_bytes()
    bundle = json.loads(b.files[f"{d}/site.json"])
    assert root(b) == dict(bundle, dir=d)
    assert "site.json.new" not in b.files and not [f for f in b.files if f.endswith(".part")]

    b.ops.clear()
    r2 = provision(b, site)
    assert r2["up_to_date"] and "sent" not in r2 and "reload" not in r2
    assert not b.ops_named("fs-write") and not b.ops_named("fs-rename")
    r3 = provision(b, site, force_reload=True)
    assert r3["up_to_date"] and "error" in r3["reload"]


def test_a_change_sends_only_what_changed(site_yaml, tmp_path):
    b = LocalBoard(reload=APPLIED)
    r1 = provision(b, load_site(site_yaml))
    old = r1["dir"]
    make_site(site_yaml.parent, max_wait=120, welcome_hz=550)  # a queue and a prompt changed
    add_prompt(site_yaml, "hours", 880)  # a prompt and a menu key added
    r2 = provision(b, load_site(site_yaml))
    assert r2["previous"] == old and r2["dir"] != old
    assert r2["changes"] == {"menus": {"added": [], "removed": [], "changed": ["main"]},
                             "queues": {"added": [], "removed": [], "changed": ["sales"]}}
    assert r2["prompts"] == {"added": ["hours"], "removed": [], "changed": ["welcome"]}
    assert r2["copy"] == ["prompts/hold.wav"]  # the same bytes on the board: copied there
    assert r2["send"] == ["site.json", "site.yaml", "prompts/hours.wav", "prompts/welcome.wav"]
    assert r2["reload"] == APPLIED and r2["removed"] == [old] and r2["kept"] == []
    assert sorted({f.split("/")[1] for f in b.files if f.startswith("site/")}) == [r2["id"]]
    assert root(b)["queues"]["sales"]["max_wait_s"] == 120


def test_the_running_site_is_kept_until_the_board_loads_the_new_one(site_yaml):
    b = LocalBoard(reload={"site": "mini", "applied": False, "pending": True})
    old = provision(b, load_site(site_yaml))["dir"]
    make_site(site_yaml.parent, max_wait=90)
    r = provision(b, load_site(site_yaml))
    assert r["kept"] == [old] and r["removed"] == []
    assert {f.split("/")[1] for f in b.files if f.startswith("site/")} == {old[5:], r["id"]}
    b.reload = APPLIED
    make_site(site_yaml.parent, max_wait=60)
    r3 = provision(b, load_site(site_yaml))  # `old` goes before the upload: nothing refers to it
    assert r3["previous"] == r["dir"] and r3["removed"] == [r["dir"]]
    assert {f.split("/")[1] for f in b.files if f.startswith("site/")} == {r3["id"]}


def test_cut_off_transfer_keeps_the_old_site_and_resumes(site_yaml):
    b = LocalBoard(reload=APPLIED)
    r1 = provision(b, load_site(site_yaml))
    before = {f: d for f, d in b.files.items()}
    make_site(site_yaml.parent, welcome_hz=300)
    site = load_site(site_yaml)
    b.fail_after_writes = 3
    b.ops.clear()
    with pytest.raises(ConnectionError):
        provision(b, site)
    assert b.files["site.json"] == before["site.json"]  # the board still names the old folder
    assert {f: d for f, d in b.files.items() if f.startswith(r1["dir"])} == {
        f: d for f, d in before.items() if f.startswith(r1["dir"])}
    assert len(b.ops_named("fs-write")) == 4  # 3 chunks arrived, the link was cut in the 4th
    part = sum(len(d) for f, d in b.files.items() if f.endswith(".part"))
    assert part > 0
    b.fail_after_writes = None
    r2 = provision(b, site)
    assert r2["switched"] and r2["sent"] == r2["bytes_to_send"] - part  # resumed: nothing sent twice
    assert root(b)["dir"] == r2["dir"] and not [f for f in b.files if f.endswith(".part")]


def test_refused_for_another_board(tmp_path):
    b = LocalBoard(board="esp32s3-2fxo-2fxs", files={"site.json": b"{}"})
    before = dict(b.files)
    with pytest.raises(ProvisionRefused, match="is for board virtual-4, but the board is esp32s3-2fxo-2fxs"):
        provision(b, load_site(make_site(tmp_path / "s")))
    assert b.files == before


def test_not_enough_room(site_yaml):
    b = LocalBoard(free=3000)
    with pytest.raises(ProvisionRefused, match="needs .* bytes, the board has .* free"):
        provision(b, load_site(site_yaml))
    assert b.files == {}


def test_a_board_with_a_site_put_in_its_root(site_yaml, tmp_path):
    """A site built straight into the flash (`site build` + put_tree): no "dir", prompts/ at root."""
    from callgate.site import build

    built = build(load_site(site_yaml), tmp_path / "built")
    files = {"site.json": (tmp_path / "built" / "site.json").read_bytes()}
    for name in built["prompts"]:
        files[f"prompts/{name}.wav"] = (tmp_path / "built" / "prompts" / f"{name}.wav").read_bytes()
    b = LocalBoard(files=files)
    with pytest.raises(NoSite, match="names no folder"):
        pull_config(RemoteFiles(b))
    r = provision(b, load_site(site_yaml))
    assert r["changes"] == {} and r["prompts"] == {"added": [], "removed": [], "changed": []}
    assert r["copy"] == ["prompts/hold.wav", "prompts/welcome.wav"] and r["send"] == ["site.json", "site.yaml"]


def test_config_pull(site_yaml, tmp_path):
    b = LocalBoard()
    with pytest.raises(NoSite, match="no site"):
        pull_config(RemoteFiles(b))
    r = provision(b, load_site(site_yaml))
    text, current = pull_config(RemoteFiles(b))
    assert text == site_yaml.read_bytes() and current["dir"] == r["dir"]
    paths = pull_prompts(RemoteFiles(b), current, tmp_path / "p")
    assert [p.name for p in paths] == ["hold.wav", "welcome.wav"]
    for p in paths:
        assert hashlib.sha256(p.read_bytes()).digest() == hashlib.sha256(b.files[f"{r['dir']}/prompts/{p.name}"]).digest()


@pytest.fixture
def cli_board(monkeypatch):
    from callgate.cli import provision as cli_provision

    holder = {}
    monkeypatch.setattr(cli_provision, "board_link", lambda args: contextlib.nullcontext(holder["b"]))
    return holder


def test_cli(cli_board, site_yaml, tmp_path, capsys):
    b = cli_board["b"] = LocalBoard()
    assert cli_main(["--port", "x", "provision", str(site_yaml), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "(the board had no site)" in out and "prompts: +hold +welcome" in out and "dry run:" in out
    assert b.files == {}
    assert cli_main(["--port", "x", "provision", str(site_yaml)]) == 0
    out = capsys.readouterr().out
    assert "4 files verified on the board, site.json switched" in out
    assert "site stored; it applies at the board's next boot (the board does not know OP_SITE_RELOAD)" in out
    assert cli_main(["--port", "x", "provision", str(site_yaml)]) == 0
    assert "up to date: nothing to do" in capsys.readouterr().out
    make_site(site_yaml.parent, max_wait=100)
    b.reload = APPLIED
    assert cli_main(["--port", "x", "provision", str(site_yaml)]) == 0
    out = capsys.readouterr().out
    assert "queues: ~sales" in out and "site mini applied" in out and "removed 1 old site folder(s)" in out

    assert cli_main(["--port", "x", "config", "pull", "-o", str(tmp_path / "back.yaml"),
                     "--prompts", str(tmp_path / "pr")]) == 0
    assert (tmp_path / "back.yaml").read_bytes() == site_yaml.read_bytes()
    assert sorted(p.name for p in (tmp_path / "pr").iterdir()) == ["hold.wav", "welcome.wav"]
    assert cli_main(["--port", "x", "config", "pull"]) == 0
    assert capsys.readouterr().out == site_yaml.read_text()


def test_cli_invalid_site_sends_nothing(cli_board, tmp_path, capsys):
    cli_board["b"] = None  # never reached: the site is checked before the board is opened
    y = make_site(tmp_path / "bad")
    y.write_text(y.read_text().replace("plan: CN", "plan: XX", 1))
    assert cli_main(["--port", "x", "provision", str(y)]) == 2
    err = capsys.readouterr().err
    assert f"{y}:4: ports[0].plan:" in err and "nothing sent" in err
    cli_board["b"] = LocalBoard()
    assert cli_main(["--port", "x", "provision", str(make_site(tmp_path / "other", board="esp32s3-2fxo-2fxs"))]) == 2
    assert "but the board is virtual-4" in capsys.readouterr().err and cli_board["b"].files == {}


def test_an_unreadable_site_json_is_replaced(site_yaml, capsys, cli_board):
    b = cli_board["b"] = LocalBoard(files={"site.json": b"{torn"})
    assert cli_main(["--port", "x", "provision", str(site_yaml)]) == 0
    out = capsys.readouterr().out
    assert "(was unreadable)" in out and "the board's site.json was unreadable" in out
    assert "dir" in root(b)
