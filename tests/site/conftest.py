"""A copy of the demo site in a temporary folder, with chime prompts (tools/site_prompts.py
--tones: fast and the same on every machine, no espeak-ng needed)."""

import importlib.util
import pathlib
import shutil

import pytest

import callgate
from callgate import runtime

_fw = str(runtime.FIRMWARE / "callgate")
if _fw not in callgate.__path__:  # callgate.ivr (firmware) for test_ivr_bundle.py, as tests/firmware does
    callgate.__path__.append(_fw)

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEMO = ROOT / "sites" / "demo"


def _tool():
    spec = importlib.util.spec_from_file_location("site_prompts", ROOT / "tools" / "site_prompts.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


site_prompts = _tool()


def make_demo(folder: pathlib.Path) -> pathlib.Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("site.yaml", "prompt-texts.yaml"):
        shutil.copyfile(DEMO / name, folder / name)
    site_prompts.make_prompts(folder, tones=True)
    return folder / "site.yaml"


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """The demo site's folder (read-only by convention: copy it to change it)."""
    return make_demo(tmp_path_factory.mktemp("demo")).parent


@pytest.fixture
def demo(tmp_path, demo_dir):
    """A private copy of the demo site: returns its site.yaml path."""
    dst = tmp_path / "site"
    shutil.copytree(demo_dir, dst)
    return dst / "site.yaml"
