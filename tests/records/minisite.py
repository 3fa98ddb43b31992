"""A small site for boards/virtual-4 written into a folder: its own prompts (tones), so the
tests do not depend on the demo site, which follows the newest board."""

import pathlib

import numpy as np

from callgate.dsp.wav import write_wav

SITE = """\
site: mini
board: {board}
ports:
  - {{port: 0, kind: fxo, name: trunk1, plan: CN, callerid: {{format: bell202, start: ring-end}}}}
  - {{port: 1, kind: fxo, name: trunk2, plan: CN, callerid: {{format: bell202, start: ring-end}}}}
  - {{port: 2, kind: fxs, name: desk1, agent: {{name: Alice, extension: "201", skills: [sales]}}}}
  - {{port: 3, kind: fxs, name: desk2, agent: {{name: Bob, extension: "202", skills: [sales]}}}}
prompts:
  welcome: prompts/welcome.wav
  hold: prompts/hold.wav
ivr:
  start: main
  menus:
    main:
      prompt: welcome
      options:
        1: {{action: queue, queue: sales}}
queues:
  sales: {{skills: [sales], hold_prompt: hold, max_wait_s: {max_wait}}}
agents:
  pause_reasons: [{{code: "1", name: lunch}}]
"""


def tone(path, hz, ms=500):
    t = np.arange(8 * ms) / 8000
    write_wav(path, (8000 * np.sin(2 * np.pi * hz * t)).astype(np.int16), 8000, "ulaw")


def make_site(folder, board="virtual-4", max_wait=300, welcome_hz=440) -> pathlib.Path:
    folder = pathlib.Path(folder)
    (folder / "prompts").mkdir(parents=True, exist_ok=True)
    tone(folder / "prompts" / "welcome.wav", welcome_hz)
    tone(folder / "prompts" / "hold.wav", 660, 700)
    (folder / "site.yaml").write_text(SITE.format(board=board, max_wait=max_wait))
    return folder / "site.yaml"


def add_prompt(site_yaml, name, hz):
    """Add prompt NAME (a tone) and make the main menu's key 2 play it."""
    site_yaml = pathlib.Path(site_yaml)
    tone(site_yaml.parent / "prompts" / f"{name}.wav", hz)
    text = site_yaml.read_text().replace("  hold: prompts/hold.wav\n", f"  hold: prompts/hold.wav\n  {name}: prompts/{name}.wav\n")
    text = text.replace("        1: {action: queue, queue: sales}\n",
                        f"        1: {{action: queue, queue: sales}}\n        2: {{action: play, prompt: {name}}}\n")
    site_yaml.write_text(text)
