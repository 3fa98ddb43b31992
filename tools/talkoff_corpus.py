#!/usr/bin/env python3
"""Build the DTMF talk-off corpus: speech and music that must never be heard as digits.

The classic talk-off tapes are copyrighted (REFERENCE.md), so the corpus is made here from
what Debian's packages ship, and cached under build/corpus/ (never committed):

  speech    espeak-ng reading the licence texts in /usr/share/common-licenses in male and
            female voice variants, several languages' voices (en, de, fr, es, it, pt, ru,
            hi, Mandarin from pinyin with its tones), pitches and speeds
  samples   the spoken channel names alsa-utils installs (/usr/share/sounds/alsa/*.wav)
  theme     the freedesktop sound theme's alerts and chimes (sound-theme-freedesktop, .oga)
  music     sox's synth: sustained chords (sine, triangle, square, pluck) and melodies over
            bass lines, several notes at once over 110-2100 Hz (sustained multi-tone music is
            the classic talk-off risk)

Every item is resampled to 8 kHz mono, normalised to -1 dBFS peak (loud) and passed through
mu-law encode/decode (callgate.dsp) like a real line. The result is one raw int16 file plus a
manifest of its parts (name, kind, offset, seconds).

    python3 tools/talkoff_corpus.py          # build if needed; print the parts
    python3 tools/talkoff_corpus.py --force  # rebuild

From Python: ``load()`` returns (samples, manifest), building first if needed.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "corpus" / "talkoff"
RATE = 8000
DEBIAN = ["espeak-ng:espeak-ng", "alsa-utils:/usr/share/sounds/alsa/Front_Center.wav",
          "sox:sox", "libsox-fmt-all:/usr/lib/x86_64-linux-gnu/sox/libsox_fmt_vorbis.so",
          "sound-theme-freedesktop:/usr/share/sounds/freedesktop/stereo/bell.oga"]

# Speech: (voice, pitch 0-99, words per minute, words to read). About 100 s each.
VOICES = [
    ("en+m3", 45, 165, 280), ("en+f3", 60, 170, 280), ("en-us+m1", 35, 150, 250),
    ("en-us+f4", 80, 185, 300), ("en-gb+m7", 25, 140, 230), ("de+m2", 45, 160, 270),
    ("de+f2", 65, 150, 250), ("fr-fr+m1", 50, 165, 280), ("fr-fr+f3", 72, 175, 290),
    ("es+m3", 35, 160, 270), ("es+f1", 60, 185, 300), ("it+f5", 70, 165, 280),
    ("pt-br+m4", 40, 160, 270), ("ru+m1", 30, 150, 250), ("hi+f3", 65, 160, 270),
    ("cmn-latn-pinyin+m3", 45, 150, 250), ("cmn-latn-pinyin+f3", 70, 160, 270),
]
PINYIN = ("ma1 ma2 ma3 ma4 ni3 hao3 wo3 men5 shi4 de5 bu4 zai4 you3 ren2 zhe4 ge4 shang4 "
          "xia4 lai2 qu4 dao4 shuo1 yao4 jiu4 ke3 yi3 hui4 neng2 hao3 kan4 ting1 xiang3 zhi1 "
          "dao4 zhong1 guo2 bei3 jing1 dian4 hua4 hao4 ma3 yi1 er4 san1 si4 wu3 liu4 qi1 ba1 "
          "jiu3 shi2 tian1 qi4 peng2 you5 xue2 sheng1 lao3 shi1 gong1 zuo4 chi1 fan4 he1 cha2 "
          "shui3 guo3 ming2 tian1 zuo2 tian1 xian4 zai4 yin1 wei4 suo3 yi3 ru2 guo3 dan4 shi4").split()

# Music: (name, synth types, seconds, chord notes, event length range in s, melody?)
PIECES = [
    ("sine-chords", ["sine"], 90, (2, 4), (1.0, 3.0), False),
    ("triangle-chords", ["triangle"], 90, (2, 4), (0.6, 2.5), False),
    ("square-chords", ["square"], 75, (2, 3), (0.5, 2.0), False),
    ("pluck-chords", ["pluck"], 90, (3, 5), (0.3, 1.2), False),
    ("organ-dyads", ["sine", "triangle"], 90, (2, 2), (1.5, 4.0), False),
    ("sine-melody", ["sine"], 75, (1, 1), (0.12, 0.5), True),
    ("triangle-melody", ["triangle"], 75, (1, 1), (0.12, 0.5), True),
    ("square-melody", ["square"], 60, (1, 1), (0.1, 0.4), True),
    ("pluck-melody", ["pluck"], 75, (1, 1), (0.1, 0.4), True),
]


def _script_key() -> str:
    return hashlib.sha256(pathlib.Path(__file__).read_bytes()).hexdigest()[:16]


def _need_debian() -> None:
    subprocess.run([str(ROOT / "tools" / "need-deb"), *DEBIAN], check=True)


def _sox_to_8k(args_in: list, stdin: bytes = None) -> np.ndarray:
    """Run sox from the given input to 8 kHz mono int16, normalised to -1 dBFS peak."""
    cmd = ["sox", "-V1", "-G", *args_in, "-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16",
           "-e", "signed-integer", "-", "remix", "-", "gain", "-n", "-1"]
    out = subprocess.run(cmd, input=stdin, capture_output=True, check=True).stdout
    return np.frombuffer(out, dtype="<i2").astype(np.int16)


def _texts() -> list:
    words = []
    for path in sorted(pathlib.Path("/usr/share/common-licenses").iterdir()):
        if path.is_file() and not path.is_symlink():
            words += path.read_text(errors="replace").split()
    return words


def _speech(index: int, voice: str, pitch: int, wpm: int, count: int, words: list):
    if voice.startswith("cmn"):
        rng = random.Random(index)
        text = " ".join(rng.choice(PINYIN) for _ in range(count))
        source = "pinyin generated from a fixed list"
    else:
        start = (index * 997) % max(1, len(words) - count)
        text = " ".join(words[start:start + count])
        source = "/usr/share/common-licenses"
    wav = subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(wpm), "--stdout",
                          text], capture_output=True, check=True).stdout
    return (f"speech {voice} p{pitch} {wpm}wpm", "speech", _sox_to_8k(["-t", "wav", "-"], wav),
            source)


def _note_hz(midi: float) -> float:
    return 440.0 * 2.0 ** ((midi - 69) / 12.0)


def _music(index: int, name, types, seconds, notes, length, melody):
    rng = random.Random(1000 + index)
    with tempfile.TemporaryDirectory() as tmp:
        files, t, k = [], 0.0, 0
        bass = rng.randint(40, 52)
        while t < seconds:
            dur = round(rng.uniform(*length), 3)
            if melody:
                # A melody note over a bass note that changes every few notes.
                if k % 6 == 0:
                    bass = rng.randint(40, 52)
                chord = [bass, rng.randint(62, 96)]
            else:
                root = rng.randint(50, 80)
                shape = rng.choice([(0, 4, 7, 12, 16), (0, 3, 7, 10, 15), (0, 5, 9, 14, 19),
                                    (0, 7, 12, 19, 24), (0, 4, 9, 13, 18)])
                chord = [root + shape[j] for j in range(rng.randint(*notes))]
            synth = []
            for note in chord:
                synth += [rng.choice(types), f"{_note_hz(note):.2f}"]
            path = os.path.join(tmp, f"{k:05d}.wav")
            # Synthesised at 48 kHz (pluck needs it), mixed, then resampled to 8 kHz.
            subprocess.run(["sox", "-V1", "-r", "48000", "-c", str(len(chord)), "-n",
                            "-r", str(RATE), "-b", "16", "-c", "1", path, "synth", str(dur), *synth, "remix", "-", "fade", "0.01",
                            str(dur), "0.03"], check=True)
            files.append(path)
            t += dur
            k += 1
        samples = _sox_to_8k(files)
    return f"music {name}", "music", samples, "sox synth"


def _file(path: pathlib.Path, kind: str):
    return f"{kind} {path.name}", kind, _sox_to_8k([str(path)]), str(path)


def build(force: bool = False) -> pathlib.Path:
    """Build the corpus if it is missing or stale; return its folder."""
    manifest_path = OUT / "manifest.json"
    key = _script_key()
    if not force and manifest_path.exists() and (OUT / "corpus.raw").exists():
        if json.loads(manifest_path.read_text()).get("key") == key:
            return OUT
    _need_debian()
    from callgate import dsp  # the line: mu-law encode and decode

    words = _texts()
    jobs = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for i, (voice, pitch, wpm, count) in enumerate(VOICES):
            jobs.append(pool.submit(_speech, i, voice, pitch, wpm, count, words))
        for path in sorted(pathlib.Path("/usr/share/sounds/alsa").glob("*.wav")):
            jobs.append(pool.submit(_file, path, "samples"))
        for path in sorted(pathlib.Path("/usr/share/sounds/freedesktop/stereo").glob("*.oga")):
            jobs.append(pool.submit(_file, path, "theme"))
        for i, piece in enumerate(PIECES):
            jobs.append(pool.submit(_music, i, *piece))
        results = [job.result() for job in jobs]

    OUT.mkdir(parents=True, exist_ok=True)
    parts, chunks, offset = [], [], 0
    for name, kind, samples, source in results:
        line = dsp.ulaw_decode(dsp.ulaw_encode(np.ascontiguousarray(samples, dtype=np.int16)))
        chunks.append(line)
        parts.append({"name": name, "kind": kind, "source": source, "offset": offset,
                      "samples": len(line), "seconds": round(len(line) / RATE, 2)})
        offset += len(line)
    corpus = np.concatenate(chunks).astype("<i2")
    (OUT / "corpus.raw").write_bytes(corpus.tobytes())
    kinds = {}
    for p in parts:
        kinds[p["kind"]] = round(kinds.get(p["kind"], 0.0) + p["seconds"], 2)
    manifest = {"key": key, "rate": RATE, "line": "mu-law encode/decode (callgate.dsp)",
                "normalised": "-1 dBFS peak per item", "total_seconds": round(offset / RATE, 2),
                "seconds_by_kind": kinds, "parts": parts}
    manifest_path.write_text(json.dumps(manifest, indent=1))
    return OUT


def load(force: bool = False):
    """(samples as int16, manifest dict), building the corpus first if needed."""
    folder = build(force)
    manifest = json.loads((folder / "manifest.json").read_text())
    samples = np.fromfile(folder / "corpus.raw", dtype="<i2").astype(np.int16)
    return samples, manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    args = parser.parse_args()
    _, manifest = load(args.force)
    for p in manifest["parts"]:
        print(f"{p['seconds']:8.1f} s  {p['name']}")
    print(f"total {manifest['total_seconds'] / 60:.1f} min: " + ", ".join(
        f"{k} {v / 60:.1f} min" for k, v in manifest["seconds_by_kind"].items()))
    print(OUT / "corpus.raw")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "host"))
    sys.exit(main())
