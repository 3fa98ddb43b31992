"""`callgate dsp gen-cid` and `callgate dsp cid` on real WAV files."""

import json

import pytest

from callgate.cli import main


@pytest.mark.parametrize("args,expect", [
    (["--number", "5551234", "--name", "ALICE", "--date", "12250930"],
     {"type": "mdmf", "number": "5551234", "name": "ALICE", "date": "12-25 09:30",
      "standard": "bell202"}),
    (["--standard", "v23", "--format", "sdmf", "--absence", "private", "--date", "01020304",
      "--alert"], {"type": "sdmf", "number_absence": "private", "standard": "v23"}),
    (["--format", "dtmf", "--number", "13800138000"], {"type": "dtmf", "number": "13800138000"}),
    (["--format", "mwi", "--mwi", "off", "--encoding", "alaw"], {"type": "sdmf-mwi", "mwi": False}),
])
def test_generate_then_decode(tmp_path, capsys, args, expect):
    wav = str(tmp_path / "cid.wav")
    assert main(["dsp", "gen-cid", wav] + args) == 0
    capsys.readouterr()
    assert main(["--json", "dsp", "cid", wav]) == 0
    out = json.loads(capsys.readouterr().out)
    messages = [e for e in out["events"] if e["event"] == "message"]
    assert len(messages) == 1
    assert expect.items() <= messages[0].items()
    if "--alert" in args:
        assert out["events"][0]["event"] == "alert"
    assert main(["dsp", "cid", wav]) == 0
    assert expect["type"] in capsys.readouterr().out


def test_no_caller_id_and_bad_input(tmp_path, capsys):
    wav = str(tmp_path / "quiet.wav")
    assert main(["dsp", "tone", "CN", "dial", wav, "--seconds", "1"]) == 0
    capsys.readouterr()
    assert main(["dsp", "cid", wav]) == 1
    assert "no caller ID" in capsys.readouterr().out
    assert main(["dsp", "cid", str(tmp_path / "missing.wav")]) == 2
    assert "error" in capsys.readouterr().err
    assert main(["dsp", "gen-cid", wav, "--date", "2512"]) == 2
