# hal.py is a facade over one backend per kind of board, named by board.json "hal". Shared:
# CPython (pytest) and MicroPython (mp_runner.py).

import sys

import fw

hal = fw.module("hal")

RUNS_ON_MICROPYTHON = True


def _raises(exc, fn, *args):
    try:
        fn(*args)
    except exc as e:
        return str(e)
    raise AssertionError("no %s" % exc.__name__)


def test_board_json_names_the_backend():
    assert hal.backend_name({"hal": "virtual"}) == "virtual"
    assert hal.backend_name({"hal": "mcu"}) == "mcu"
    hal_mcu, hal_virtual = fw.module("hal_mcu"), fw.module("hal_virtual")
    assert hal.backend({"hal": "virtual"}) is hal_virtual
    assert hal.backend({"hal": "mcu"}) is hal_mcu


def test_an_unknown_backend_is_refused_by_name():
    msg = _raises(ValueError, hal.backend_name, {"hal": "fpga"})
    assert "fpga" in msg and "virtual" in msg and "mcu" in msg, msg


def test_a_board_json_without_hal_gets_the_ports_backend():
    unix = sys.platform in ("linux", "darwin")
    assert hal.backend_name({}) == ("virtual" if unix else "mcu")


def test_the_mcu_backend_without_an_escape_key_never_holds_the_app():
    hal_mcu = fw.module("hal_mcu")  # its connect() runs on the target: tests/mcu
    assert hal_mcu.boot_escape({}) is False  # no escape key on this board


def test_prompt_files_are_found_in_the_site_folder_only_by_plain_names():
    hal.prompt_dir("sites/demo")
    try:
        for bad in ("", "../x", "a/b", ".hidden", None, 3):
            assert hal.prompt_file(bad) is None, bad
        assert hal.prompt_file("no-such-prompt") is None  # not in the flash
    finally:
        hal.prompt_dir(None)


def _listen(path):
    import socket
    import struct

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(struct.pack("H", socket.AF_UNIX) + path.encode() + b"\x00")
    s.listen(1)
    return s


def test_a_line_told_while_a_prompt_streams_to_the_board_model_waits_for_the_whole_play():
    """The virtual HAL sends a prompt's bytes a chunk at a time, yielding between chunks; a
    line told meanwhile (the line task's clock reply) must come after the play's line, not
    inside it: the model could not parse either, and the prompt was lost without a report."""
    if sys.implementation.name != "micropython":
        import pytest

        pytest.skip("the virtual HAL runs on MicroPython's Unix port")
    import asyncio
    import binascii
    import json
    import os
    import time

    hal_virtual = fw.module("hal_virtual")
    d = "/tmp/callgate-hal-%d" % time.ticks_ms()
    os.mkdir(d)
    os.mkdir(d + "/prompts")
    wav = bytes(range(256)) * 40  # 10 KB: four chunks
    with open(d + "/prompts/long.wav", "wb") as f:
        f.write(wav)
    listening = [_listen(d + "/uart0.sock"), _listen(d + "/model.sock")]
    os.putenv("CALLGATE_SIM", d)
    hal.prompt_dir(d)
    b = hal_virtual.Board()
    model = None
    try:

        async def play_and_tell():
            await b.connect()
            play = asyncio.create_task(b.do({"t": "play", "port": 0, "prompt": "long"}))
            await asyncio.sleep_ms(0)  # the play has sent its first chunk and waits on drain
            await b.tell({"t": "clock", "ms": 5})
            await play

        asyncio.run(play_and_tell())
        model = listening[1].accept()[0]
        model.setblocking(False)
        got = b""
        while True:
            part = model.read(4096)
            if not part:
                break
            got += part
        lines = [json.loads(line) for line in got.split(b"\n") if line]
        assert [m["t"] for m in lines] == ["play", "clock"], got[:200]
        assert binascii.a2b_base64(lines[0]["wav"]) == wav
    finally:
        b.close()
        hal.prompt_dir(None)
        os.unsetenv("CALLGATE_SIM")
        for s in listening + ([model] if model else []):
            s.close()
        for name in ("prompts/long.wav", "prompts", "uart0.sock", "model.sock", ""):
            os.remove(d + "/" + name) if "." in name else os.rmdir(d + "/" + name)
