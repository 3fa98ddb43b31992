"""The board's ROMFS partitions and the commit into them, on the image through its REPL
(boards/qemu-m4f/board.c: _board.rom_erase / rom_write, the partitions kept in rom0.img and
rom1.img; firmware/callgate/update.py: Update.commit_rom). Small hand-made bundles: the
commit checks what their manifest lists. The whole deploy is test_mcu_deploy.py."""

import binascii

import pytest

from callgate.deploy.bundle import Bundle, bundle_id, sha256_hex
from callgate.mcu import QemuBoard


@pytest.fixture(scope="module")
def board(mcu_elf, tmp_path_factory):
    with QemuBoard(tmp_path_factory.mktemp("romfs"), elf=mcu_elf) as b:  # safe mode: the REPL is free
        yield b


@pytest.fixture(scope="module")
def t(board, repl_at):
    target = repl_at(board.repl)
    yield target
    target.close()


def small_bundle(version: str, files: dict, listed: dict | None = None) -> Bundle:
    """A bundle of files whose manifest lists `listed` (default: the files themselves)."""
    listed = files if listed is None else listed
    manifest = {"format": 1, "board": "qemu-m4f", "version": version, "min_version": "0.0.0",
                "files": {p: {"sha256": sha256_hex(d), "size": len(d)} for p, d in listed.items()}}
    manifest["id"] = bundle_id(manifest)
    return Bundle(manifest, dict(files))


def upload(t, path: str, data: bytes) -> None:
    t.run(f"import binascii, os\ntry:\n os.mkdir('fw')\nexcept OSError:\n pass\nwith open({path!r}, 'wb') as f:\n f.write(binascii.a2b_base64({binascii.b2a_base64(data).decode().strip()!r}))")


def commit(t, b: Bundle) -> str:
    """Update.commit of b's image (uploaded first): the reply, or the refusal's text."""
    upload(t, b.slot + ".romfs", b.romfs_image())
    return t.run("from callgate import update\nfrom callgate.link.errors import RemoteError\n"
                 f"try:\n print(update.Update('qemu-m4f', '0.1.0').commit({{'slot': {b.slot!r}, 'image': {b.slot + '.romfs'!r}}}))\n"
                 "except RemoteError as e:\n print('refused:', e)").strip()


def state(t) -> dict:
    return t.eval("__import__('callgate.update').update.read_state()")


def test_the_flash_controller_erases_programs_and_keeps_the_partition_in_its_file(board, t):
    t.run("import _board, vfs\n_board.rom_erase(1)\n_board.rom_write(1, 4, b'\\x0f\\xf0')")
    assert t.eval("bytes(vfs.rom_ioctl(2, 1)[:8])") == b"\xff" * 4 + b"\x0f\xf0\xff\xff"
    data = (board.workdir / "rom1.img").read_bytes()
    assert len(data) == 256 * 1024 and data[:8] == b"\xff" * 4 + b"\x0f\xf0\xff\xff"
    # programming clears bits only: 0x0f -> 0x0e takes, 0x0f -> 0xf0 needs an erase
    t.run("_board.rom_write(1, 4, b'\\x0e')")
    out = t.run("try:\n _board.rom_write(1, 4, b'\\xf0')\nexcept ValueError as e:\n print(e)")
    assert "not erased" in out
    assert (board.workdir / "rom1.img").read_bytes()[4] == 0x0E
    out = t.run("try:\n _board.rom_write(1, 256 * 1024 - 1, b'ab')\nexcept ValueError as e:\n print(e)")
    assert "past the partition's end" in out


def test_the_partition_a_mounted_vfsrom_runs_from_is_refused(t):
    img = small_bundle("0.0.1", {"a.txt": b"a"}).romfs_image()
    t.run(f"_board.rom_erase(1)\n_board.rom_write(1, 0, {img!r})\nvfs.mount(vfs.VfsRom(vfs.rom_ioctl(2, 1)), '/romt')")
    try:
        out = t.run("try:\n _board.rom_erase(1)\nexcept OSError as e:\n print(e.errno == 16)")  # EBUSY (the port has no errno.EBUSY)
        assert out.strip() == "True"
        assert t.eval("open('/romt/a.txt').read()") == "a"
    finally:
        t.run("vfs.umount('/romt')\n_board.rom_erase(1)")


def test_commit_copies_the_image_into_the_partition_not_running_and_switches(board, t):
    a = small_bundle("0.2.0", {"callgate/x.txt": b"one", "board.json": b"{}"})
    out = commit(t, a)
    assert f"'slot': 'rom0:{a.slot}'" in out and "'switched': True" in out and "'verified': 2" in out, out
    st = state(t)
    assert st["active"] == f"rom0:{a.slot}" and not st["ok"] and st["previous"] is None
    image = a.romfs_image()
    assert (board.workdir / "rom0.img").read_bytes()[:len(image)] == image
    t.run("update.confirm()")
    b = small_bundle("0.3.0", {"callgate/x.txt": b"two"})
    out = commit(t, b)
    assert f"'slot': 'rom1:{b.slot}'" in out, out  # the other partition
    st = state(t)
    assert st["active"] == f"rom1:{b.slot}" and st["previous"] == f"rom0:{a.slot}"
    assert (board.workdir / "rom0.img").read_bytes()[:len(image)] == image  # untouched


def test_commit_refuses_a_partition_whose_files_do_not_match_and_keeps_the_active_slot(t):
    before = state(t)  # rom1 on trial, rom0 its fallback
    bad = small_bundle("0.4.0", {"callgate/x.txt": b"tampered"}, listed={"callgate/x.txt": b"three"})
    out = commit(t, bad)
    assert out.startswith("refused:") and "bad hash callgate/x.txt" in out, out
    st = state(t)
    assert st["active"] == before["active"] and not st["ok"]
    # the fallback's partition was erased for the copy: the frozen firmware is the fallback now
    assert st["previous"] is None
    out = t.run("try:\n print(update.Update('qemu-m4f', '0.1.0').commit({'slot': 'fw/0.4.0-00000000', 'image': 'fw/0.4.0-00000000.romfs'}))\n"
                "except RemoteError as e:\n print('refused:', e)")
    assert "refused:" in out and "no image" in out, out
    assert state(t)["active"] == before["active"]


def test_commit_refuses_an_image_of_another_slot(t):
    before = state(t)
    b = small_bundle("0.5.0", {"callgate/x.txt": b"five"})
    upload(t, "fw/0.5.0-12345678.romfs", b.romfs_image())  # named as another bundle
    out = t.run("try:\n print(update.Update('qemu-m4f', '0.1.0').commit({'slot': 'fw/0.5.0-12345678', 'image': 'fw/0.5.0-12345678.romfs'}))\n"
                "except RemoteError as e:\n print('refused:', e)")
    assert "refused:" in out and "another bundle" in out, out
    assert state(t)["active"] == before["active"]


def test_a_repeated_commit_of_the_active_slot_changes_nothing(board, t):
    before = state(t)
    slot = before["active"].split(":", 1)[1]
    n = int(before["active"][3])
    held = (board.workdir / f"rom{n}.img").read_bytes()
    out = t.run(f"print(update.Update('qemu-m4f', '0.1.0').commit({{'slot': {slot!r}, 'image': {slot + '.romfs'!r}}}))")
    assert "'switched': False" in out and before["active"] in out, out
    assert state(t) == before and (board.workdir / f"rom{n}.img").read_bytes() == held
    assert (board.workdir / f"rom{1 - n}.img").exists()
