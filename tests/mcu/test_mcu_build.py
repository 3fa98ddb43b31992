"""What the MCU build must hold, read from its output (build/mcu/qemu-m4f/)."""

import json
import re
import subprocess

FUSED = re.compile(r"\sv(fma|fms|fnma|fnms)\.f32\s")


def test_no_fused_multiply_add_in_the_c_core(mcu_elf):
    """-ffp-contract=off reaches every c_src object (usermod/_callgate/micropython.mk): gcc
    would otherwise fuse multiply-adds (vfma) on the M4F, which x86-64 does not, and float
    results would part from the host's (dtmf_rx.c alone gets 27 fused instructions without the flag).
    vmla, which rounds the product before adding, is not fused."""
    sources = {p.stem for p in (mcu_elf.parents[3] / "c_src").glob("*.c")}
    objs = sorted(o for o in mcu_elf.parent.rglob("c_src/*.o") if o.stem in sources)
    assert len(objs) == len(sources)  # every C file of the core is in the image
    for obj in objs:
        asm = subprocess.run(["arm-none-eabi-objdump", "-d", str(obj)], check=True,
                             capture_output=True, text=True).stdout
        assert not FUSED.search(asm), f"{obj.name}: fused multiply-add"


def test_the_image_fits_the_part(mcu_elf):
    sizes = json.loads((mcu_elf.parent / "sizes.json").read_text())
    assert sizes["flash_bytes"] <= sizes["flash_capacity"] == 512 * 1024  # the rest: ROMFS partitions
    assert sizes["ram_static_bytes"] + 16 * 1024 <= sizes["ram_capacity"] == 192 * 1024
    assert sizes["heap_bytes"] == 144 * 1024


def test_without_micropython_source_the_build_names_micropy_dir(tmp_path):
    """No MICROPY_DIR and no snapshot: one line naming MICROPY_DIR, nothing built. (Runs
    without the source too: it is what a fresh clone outside this machine sees.)"""
    import os

    import pytest

    from callgate.mcu import McuError, build_firmware

    env = {k: v for k, v in os.environ.items() if k != "MICROPY_DIR"}
    env["MICROPY_TARBALL"] = str(tmp_path / "absent.tar.gz")
    with pytest.raises(McuError, match="set MICROPY_DIR to a checkout of micropython"):
        build_firmware(env=env)
    env["MICROPY_DIR"] = str(tmp_path)
    with pytest.raises(McuError, match=f"MICROPY_DIR={tmp_path} is not a MicroPython source"):
        build_firmware(env=env)
