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
