"""What the deploy tests share (imported by name: pytest puts this folder on sys.path)."""

import json
import pathlib
import re
import shutil

from callgate.deploy import bundle
from callgate import runtime


class FirmwareCopy:
    """A copy of firmware/ to change; build() makes a bundle of it with its VERSION set."""

    def __init__(self, path: pathlib.Path):
        self.path = path
        shutil.copytree(runtime.FIRMWARE, path, ignore=shutil.ignore_patterns("__pycache__"))

    def __truediv__(self, other):
        return self.path / other

    def build(self, version="0.2.0", **kw):
        set_version(self.path, version)  # what the firmware itself reports, as a release would
        return bundle.build("virtual-4", firmware=self.path, version=version, **kw)


def set_version(fw: pathlib.Path, version: str) -> None:
    init = fw / "callgate" / "__init__.py"
    init.write_text(re.sub(r'(?m)^VERSION = ".*"$', f'VERSION = "{version}"', init.read_text()))


def flash_snapshot(fs) -> dict:
    """Every file in the board's flash image (a sim.flash.FlashImage) and its bytes (what a
    refusal must not change)."""
    return fs.files()


def boot_state(fs):
    """boot.json in the board's flash image, or None."""
    data = fs.read("boot.json")
    return json.loads(data) if data is not None else None
