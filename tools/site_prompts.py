#!/usr/bin/env python3
"""Synthesise a site's prompts: each line of SITE/prompt-texts.yaml becomes SITE/prompts/NAME.wav.

    .venv/bin/python tools/site_prompts.py sites/demo            # missing prompts only
    .venv/bin/python tools/site_prompts.py sites/demo --force    # all of them again
    .venv/bin/python tools/site_prompts.py sites/demo --tones    # no speech: a chime per prompt

Speech comes from espeak-ng (Debian's espeak-ng, installed through tools/need-deb like
tools/talkoff_corpus.py does), stored as 8 kHz mu-law (small enough to keep in the
repository); `callgate site build` converts any WAV to the board's 8 kHz G.711. Without
espeak-ng (and no way to install it) or with --tones, each prompt is a short chime whose
notes depend on its name, so prompts still differ from one another and the IVR can be tried
end to end; the tests use that path (fast, the same on every machine).
"""

import argparse
import hashlib
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "host"))
from callgate.dsp.wav import read_wav, resample, write_wav  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
RATE = 8000


def chime(name: str, seconds: float = 1.2) -> np.ndarray:
    """A three-note chime picked by the prompt's name, then a held note (int16, 8 kHz)."""
    h = hashlib.sha256(name.encode()).digest()
    notes = [440.0 * 2 ** ((h[i] % 12) / 12.0) for i in range(3)]
    part = int(RATE * seconds / 4)
    t = np.arange(part) / RATE
    env = np.minimum(1.0, np.minimum(t, t[::-1]) * 50)
    pieces = [np.sin(2 * np.pi * f * t) * env for f in notes]
    t2 = np.arange(part) / RATE
    pieces.append(np.sin(2 * np.pi * notes[0] * t2) * np.minimum(1.0, (t2[::-1]) * 20))
    return (np.concatenate(pieces) * 8000).astype(np.int16)


def espeak_available(install: bool = True) -> bool:
    if shutil.which("espeak-ng"):
        return True
    if not install:
        return False
    r = subprocess.run([str(ROOT / "tools" / "need-deb"), "espeak-ng:espeak-ng"], capture_output=True)
    return r.returncode == 0 and shutil.which("espeak-ng") is not None


def speak(text: str, out: pathlib.Path, voice: str = "en-us+f3", wpm: int = 160) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        raw = pathlib.Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(raw), text],
                       check=True, capture_output=True)
        wav = read_wav(raw)
        # 8 kHz mu-law, as a board plays it: about a fifth of espeak's 22 kHz 16-bit PCM
        write_wav(out, resample(wav.samples, wav.sample_rate, RATE), RATE, "ulaw")


def make_prompts(site_dir, force=False, tones=False) -> list:
    """Write the missing (or, with force, all) prompts of a site folder; returns
    (name, how) for each one written, how being "espeak-ng" or "tones"."""
    site_dir = pathlib.Path(site_dir)
    texts = yaml.safe_load((site_dir / "prompt-texts.yaml").read_text())
    folder = site_dir / "prompts"
    folder.mkdir(exist_ok=True)
    use_speech = not tones and espeak_available()
    done = []
    for name, text in texts.items():
        out = folder / f"{name}.wav"
        if out.exists() and not force:
            continue
        if use_speech:
            speak(str(text), out)
            done.append((name, "espeak-ng"))
        else:
            write_wav(out, chime(name), RATE, "pcm16")
            done.append((name, "tones"))
    return done


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site_dir")
    ap.add_argument("--force", action="store_true", help="write every prompt again")
    ap.add_argument("--tones", action="store_true", help="chimes instead of speech")
    args = ap.parse_args(argv)
    for name, how in make_prompts(args.site_dir, args.force, args.tones):
        print(f"{name}: {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
