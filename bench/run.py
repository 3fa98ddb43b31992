#!/usr/bin/env python3
"""bench/run.py: callgate's C core against spandsp and the Python alternatives, in one run.

    make bench                          # or: .venv/bin/python bench/run.py [--quick]
    .venv/bin/python bench/run.py --only dtmf   # the DTMF part alone, into its section

Builds every bench/bench_*.c with gcc into build/bench/ (against c_src/*.c and -lspandsp),
runs them side by side, adds the Python-level G.711 measurements, the DTMF conformance
comparison and the talk-off figures, and writes bench/RESULTS.md with the command, the
machine and the date. Every rate is the median over repeats (BENCH_REPEATS, default 15; 5
with --quick), and one core is used at a time.

Sections:
  G.711     bench_g711 (C: callgate, spandsp block and per-sample, memcpy) and, in Python,
            callgate.dsp (cffi, numpy in and out), audioop and a numpy table (np.take)
  DTMF      bench_dtmf: throughput of cg_dtmf_rx vs spandsp's dtmf_rx on a few minutes of
            digits, silence and noise, then on each signal class alone (silence, digits,
            speech, noise; time and callgrind instructions per sample); detect rates over frequency offset, twist, level, SNR,
            tone and pause length; false digits on the talk-off corpus
  other     any other bench/bench_*.c (caller ID, call progress, ...): run as
            `bench_NAME throughput` (BENCH_REPEATS in the environment), its JSON lines (one
            object per line, e.g. {"impl": ..., "samples_per_s": ...}) tabulated as they are
  board     bench/bench_board.py: ports the virtual board's audio plane (MediaEngine) runs in
            real time on one core, and the host link's frames/s, payload bytes/s and payload
            share over a virtual board it starts (the firmware on MicroPython)
  center    bench/bench_center.py: the firmware's call flow (IVR, queue, agent, survey) per
            call and the call records' write and read times, on MicroPython
  outbound  bench/bench_outbound.py: a confusion matrix of call-progress outcomes live on the
            line (the media engine as the board runs it), per tone plan and SNR, with the
            median time to decide
"""

import argparse
import ast
import datetime
import json
import os
import pathlib
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "bench"
RESULTS = ROOT / "bench" / "RESULTS.md"
sys.path.insert(0, str(ROOT / "host"))
sys.path.insert(0, str(ROOT / "tools"))

RATE = 8000
GOAL_G711 = 2.0  # callgate / spandsp, every direction
GOAL_DTMF = 2.0
DIRECTIONS = ["alaw_encode", "ulaw_encode", "alaw_decode", "ulaw_decode", "alaw_to_ulaw",
              "ulaw_to_alaw"]


# --- machine and build --------------------------------------------------------------------

def sh(cmd, **kw) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=True, **kw).stdout


def first_line(cmd) -> str:
    try:
        return sh(cmd).splitlines()[0].strip()
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "not available"


def machine() -> dict:
    cpu = "unknown"
    flags = ""
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name") and cpu == "unknown":
            cpu = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            flags = line.split(":", 1)[1]
    simd = [f for f in ("sse4_2", "avx", "avx2", "avx512f", "avx512bw") if f" {f}" in flags]
    try:
        spandsp = sh(["dpkg-query", "-W", "-f=${Version}", "libspandsp-dev"]).strip()
    except (OSError, subprocess.CalledProcessError):
        spandsp = "?"
    import numpy
    return {
        "cpu": cpu, "simd": " ".join(simd), "cores": os.cpu_count(),
        "kernel": platform.release(), "gcc": first_line(["gcc", "--version"]),
        "python": platform.python_version(), "numpy": numpy.__version__,
        "spandsp": f"libspandsp-dev {spandsp} (Debian)",
    }


def other_load(seconds: float = 1.0) -> float:
    """Cores kept busy by other processes while this one sleeps for `seconds` (/proc/stat)."""
    def sample():
        fields = [int(v) for v in pathlib.Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields[:8]), idle
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    if total1 == total0:
        return 0.0
    return (1 - (idle1 - idle0) / (total1 - total0)) * (os.cpu_count() or 1)


def cffi_flags() -> list:
    """The compile flags cffi_build/build_dsp.py gives the C core (extra_compile_args)."""
    text = (ROOT / "cffi_build" / "build_dsp.py").read_text()
    m = re.search(r"extra_compile_args\s*=\s*(\[[^\]]*\])", text)
    return ast.literal_eval(m.group(1)) if m else ["-std=c99", "-O3"]


def build() -> dict:
    """Compile c_src/*.c twice (the cffi build's flags, and -O2 as a board build) and link
    every bench/bench_*.c against each; returns {name: {variant: path}}."""
    inc = ["-I", str(ROOT / "c_src" / "include"), "-I", str(ROOT / "c_src" / "gen")]
    variants = {"cffi": cffi_flags(), "O2": [f for f in cffi_flags() if not f.startswith("-O")]
                + ["-O2"]}
    binaries, errors = {}, {}
    for variant, flags in variants.items():
        objdir = BUILD / f"obj-{variant}"
        objdir.mkdir(parents=True, exist_ok=True)
        objs = []
        for src in sorted((ROOT / "c_src").glob("*.c")):
            obj = objdir / (src.stem + ".o")
            sh(["gcc", *flags, "-Wall", "-Wextra", *inc, "-c", str(src), "-o", str(obj)])
            objs.append(str(obj))
        for bench in sorted((ROOT / "bench").glob("bench_*.c")):
            exe = BUILD / f"{bench.stem}-{variant}"
            try:
                sh(["gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", *inc, "-I",
                    str(ROOT / "bench"), str(bench), *objs, "-lspandsp", "-lm", "-o", str(exe)])
            except subprocess.CalledProcessError as e:
                if bench.stem in ("bench_g711", "bench_dtmf"):
                    raise
                errors[bench.stem] = e.stderr.strip().splitlines()[:5]
                continue
            binaries.setdefault(bench.stem, {})[variant] = exe
    return {"binaries": binaries, "flags": variants, "errors": errors}


def run_json(cmd, env=None) -> list:
    out = sh([str(c) for c in cmd], env={**os.environ, **(env or {})})
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def timed_median(fn, repeats: int, n: int) -> float:
    """Median rate in items/s of fn() processing n items."""
    fn()
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates)


# --- G.711 ----------------------------------------------------------------------------------

def speechlike(n: int, seed: int = 1) -> np.ndarray:
    """The same kind of signal bench_g711.c uses: partials, an envelope, noise, bursts."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / RATE
    env = 0.55 + 0.45 * np.sin(2 * np.pi * 3 * t)
    x = env * (14000 * np.sin(2 * np.pi * 310 * t) + 9000 * np.sin(2 * np.pi * 1130 * t))
    x += rng.uniform(-2500, 2500, n)
    burst = (np.arange(n) % 4096) < 64
    x[burst] = rng.uniform(-32768, 32767, burst.sum())
    return np.clip(x, -32768, 32767).astype(np.int16)


def g711_python(repeats: int) -> list:
    from callgate import dsp
    try:
        import audioop
    except ImportError:
        import audioop_lts as audioop

    n = 1 << 20
    x = speechlike(n)
    alaw, ulaw = dsp.alaw_encode(x), dsp.ulaw_encode(x)
    xb, ab, ub = x.tobytes(), alaw.tobytes(), ulaw.tobytes()
    out8, out16 = np.empty(n, np.uint8), np.empty(n, np.int16)
    # numpy tables: encode indexes a 65536-entry (64 KiB) table by the sample's bit pattern,
    # decode and transcode a 256-entry one.
    all_linear = np.arange(-32768, 32768, dtype=np.int16)
    enc = {"alaw": dsp.alaw_encode(all_linear), "ulaw": dsp.ulaw_encode(all_linear)}
    enc = {k: np.concatenate([v[32768:], v[:32768]]) for k, v in enc.items()}  # by uint16 index
    codes = np.arange(256, dtype=np.uint8)
    dec = {"alaw": dsp.alaw_decode(codes), "ulaw": dsp.ulaw_decode(codes)}
    a2u, u2a = dsp.alaw_to_ulaw(codes), dsp.ulaw_to_alaw(codes)
    xu = x.view(np.uint16)

    cases = {
        "alaw_encode": {
            "callgate.dsp": lambda: dsp.alaw_encode(x, out=out8),
            "audioop": lambda: audioop.lin2alaw(xb, 2),
            "numpy table": lambda: np.take(enc["alaw"], xu, out=out8)},
        "ulaw_encode": {
            "callgate.dsp": lambda: dsp.ulaw_encode(x, out=out8),
            "audioop": lambda: audioop.lin2ulaw(xb, 2),
            "numpy table": lambda: np.take(enc["ulaw"], xu, out=out8)},
        "alaw_decode": {
            "callgate.dsp": lambda: dsp.alaw_decode(alaw, out=out16),
            "audioop": lambda: audioop.alaw2lin(ab, 2),
            "numpy table": lambda: np.take(dec["alaw"], alaw, out=out16)},
        "ulaw_decode": {
            "callgate.dsp": lambda: dsp.ulaw_decode(ulaw, out=out16),
            "audioop": lambda: audioop.ulaw2lin(ub, 2),
            "numpy table": lambda: np.take(dec["ulaw"], ulaw, out=out16)},
        "alaw_to_ulaw": {
            "callgate.dsp": lambda: dsp.alaw_to_ulaw(alaw, out=out8),
            "audioop": lambda: audioop.lin2ulaw(audioop.alaw2lin(ab, 2), 2),
            "numpy table": lambda: np.take(a2u, alaw, out=out8)},
        "ulaw_to_alaw": {
            "callgate.dsp": lambda: dsp.ulaw_to_alaw(ulaw, out=out8),
            "audioop": lambda: audioop.lin2alaw(audioop.ulaw2lin(ub, 2), 2),
            "numpy table": lambda: np.take(u2a, ulaw, out=out8)},
    }
    # The allocating form too (a new output array per call), for callgate.dsp.
    alloc = {"alaw_encode": lambda: dsp.alaw_encode(x), "ulaw_encode": lambda: dsp.ulaw_encode(x),
             "alaw_decode": lambda: dsp.alaw_decode(alaw), "ulaw_decode": lambda: dsp.ulaw_decode(ulaw),
             "alaw_to_ulaw": lambda: dsp.alaw_to_ulaw(alaw), "ulaw_to_alaw": lambda: dsp.ulaw_to_alaw(ulaw)}
    rows = []
    for direction in DIRECTIONS:
        for impl, fn in cases[direction].items():
            rows.append({"direction": direction, "impl": impl,
                         "samples_per_s": timed_median(fn, repeats, n)})
        rows.append({"direction": direction, "impl": "callgate.dsp (new array)",
                     "samples_per_s": timed_median(alloc[direction], repeats, n)})
    return rows


def fmt_rate(r: float) -> str:
    return f"{r / 1e6:,.0f} M" if r >= 1e7 else f"{r / 1e6:,.2f} M"


def fmt_channels(r: float) -> str:
    return f"{r / RATE:,.0f}"


def g711_section(binaries: dict, flags: dict, repeats: int) -> tuple:
    env = {"BENCH_REPEATS": str(repeats)}
    c_rows = run_json([binaries["bench_g711"]["cffi"]], env)
    o2_rows = run_json([binaries["bench_g711"]["O2"], "--only-callgate"], env)
    py_rows = g711_python(max(3, repeats // 2))
    by = {(r["direction"], r["impl"]): r for r in c_rows}
    for r in o2_rows:
        by[(r["direction"], "callgate -O2")] = r
    impls = ["callgate", "callgate -O2", "spandsp block", "spandsp inline loop", "memcpy"]
    lines = [
        "## G.711",
        "",
        "Samples per second on one core (median of the repeats) and what that is in real-time "
        "8 kHz channels per core. C: a buffer of 65 536 samples processed over and over "
        "(L2-resident), a speech-like signal with full-range bursts. "
        f"`callgate` is c_src/ built with the cffi build's flags (`{' '.join(flags['cffi'])}`), "
        f"`callgate -O2` with `{' '.join(flags['O2'])}`; the harness itself is `-O2`. "
        "`spandsp block` is g711_encode/g711_decode/g711_transcode, `spandsp inline loop` its "
        "per-sample functions in a loop compiled into the harness (transcoding: its library "
        "alaw_to_ulaw/ulaw_to_alaw per sample). `memcpy` copies the same input bytes: the ceiling.",
        "",
        "| direction | " + " | ".join(impls) + " | callgate / spandsp block | goal ≥ 2× |",
        "| --- | " + " | ".join("---:" for _ in impls) + " | ---: | :---: |",
    ]
    verdicts = {}
    for d in DIRECTIONS:
        cells = []
        for impl in impls:
            r = by.get((d, impl))
            cells.append(f"{fmt_rate(r['samples_per_s'])} ({fmt_channels(r['samples_per_s'])} ch)"
                         if r else "—")
        ratio = by[(d, "callgate")]["samples_per_s"] / by[(d, "spandsp block")]["samples_per_s"]
        best_sp = max(by[(d, "spandsp block")]["samples_per_s"],
                      by[(d, "spandsp inline loop")]["samples_per_s"])
        ratio_best = by[(d, "callgate")]["samples_per_s"] / best_sp
        verdicts[d] = (ratio, ratio_best)
        ok = "yes" if min(ratio, ratio_best) >= GOAL_G711 else "**no**"
        lines.append(f"| {d} | " + " | ".join(cells) + f" | {ratio:.2f}× (vs best spandsp "
                     f"{ratio_best:.2f}×) | {ok} |")
    diffs = [f"{d}: {by[(d, 'spandsp block')]['differs_from_callgate']}" for d in DIRECTIONS
             if by[(d, "spandsp block")].get("differs_from_callgate", 0) > 0]
    lines += ["", "Outputs that differ from callgate's on the 65 536 test samples: "
              + (", ".join(diffs) if diffs else "none")
              + " (spandsp's mu-law encoder negates negative input where G.191 takes the one's "
              "complement; REFERENCE.md).", ""]

    py = {(r["direction"], r["impl"]): r for r in py_rows}
    py_impls = ["callgate.dsp", "callgate.dsp (new array)", "audioop", "numpy table"]
    lines += [
        "### From Python",
        "",
        "One call on 1 048 576 samples (numpy in and out; `callgate.dsp` fills a given `out=` "
        "array, `(new array)` allocates its result). audioop works on bytes (Python "
        f"{platform.python_version()} stdlib; it has no A-law/mu-law transcoder, so transcoding "
        "is alaw2lin then lin2ulaw, and its mu-law encoder is Sun's, not G.191's). The numpy "
        "table is `np.take` on a 64 KiB (encode) or 256-entry (decode, transcode) table.",
        "",
        "| direction | " + " | ".join(py_impls) + " | callgate.dsp / audioop |",
        "| --- | " + " | ".join("---:" for _ in py_impls) + " | ---: |",
    ]
    for d in DIRECTIONS:
        cells = [f"{fmt_rate(py[(d, i)]['samples_per_s'])} ({fmt_channels(py[(d, i)]['samples_per_s'])} ch)"
                 for i in py_impls]
        ratio = py[(d, "callgate.dsp")]["samples_per_s"] / py[(d, "audioop")]["samples_per_s"]
        lines.append(f"| {d} | " + " | ".join(cells) + f" | {ratio:.1f}× |")
    lines.append("")
    return lines, verdicts, {"c": c_rows, "c_O2": o2_rows, "python": py_rows}


# --- DTMF signals ------------------------------------------------------------------------------

KEYS = "123A456B789C*0#D"
ROWS = [697.0, 770.0, 852.0, 941.0]
COLS = [1209.0, 1336.0, 1477.0, 1633.0]


def peak_of(level_dbm0: float) -> float:
    """Peak of a sine at level_dbm0 (mu-law): 0 dBm0 is 3.17 dB below full-scale 8159*4."""
    return 8159 * 4 * 10 ** (-3.17 / 20) * 10 ** (level_dbm0 / 20)


def tone(digit: str, ms: float, level: float = -10.0, twist_db: float = 0.0,
         offset_pct: float = 0.0, rng=None) -> np.ndarray:
    """A DTMF digit: `level` per tone for the low (row) tone, the high (column) tone at
    level + twist_db, both frequencies off by offset_pct, random starting phases."""
    k = KEYS.index(digit)
    n = int(round(ms * RATE / 1000))
    t = np.arange(n) / RATE
    ph = rng.uniform(0, 2 * np.pi, 2) if rng is not None else (0.0, 0.0)
    f = 1 + offset_pct / 100
    return (peak_of(level) * np.sin(2 * np.pi * ROWS[k // 4] * f * t + ph[0])
            + peak_of(level + twist_db) * np.sin(2 * np.pi * COLS[k % 4] * f * t + ph[1]))


def line(x: np.ndarray) -> np.ndarray:
    """Through the mu-law line, as both receivers would hear it."""
    from callgate import dsp
    return dsp.ulaw_decode(dsp.ulaw_encode(np.clip(np.round(x), -32768, 32767).astype(np.int16)))


def sequence(digits: str, on_ms: float, off_ms: float, rng, snr_db=None, **kw) -> tuple:
    """Digits with pauses; returns (float signal, [(digit, start, end)])."""
    parts, sent, pos = [], [], 0
    for d in digits:
        tn = tone(d, on_ms, rng=rng, **kw)
        gap = np.zeros(int(round(off_ms * RATE / 1000)))
        sent.append((d, pos, pos + len(tn)))
        parts += [tn, gap]
        pos += len(tn) + len(gap)
    x = np.concatenate(parts)
    if snr_db is not None:
        # SNR: the power of the two-tone signal (while it sounds) over white noise in 0-4 kHz.
        level = kw.get("level", -10.0)
        twist = kw.get("twist_db", 0.0)
        p_signal = peak_of(level) ** 2 / 2 + peak_of(level + twist) ** 2 / 2
        x = x + rng.normal(0, np.sqrt(p_signal / 10 ** (snr_db / 10)), len(x))
    return x, sent


def throughput_signal(seconds: int = 180) -> np.ndarray:
    """Digits, silence and noise, 2 s of each in turn: the throughput test signal."""
    rng = np.random.default_rng(7)
    parts = []
    for i in range(seconds // 2):
        kind = i % 3
        if kind == 0:
            digits = "".join(rng.choice(list(KEYS), 10))
            x, _ = sequence(digits, 50, 50, rng, level=float(rng.uniform(-30, -5)))
            x = np.concatenate([x, np.zeros(2 * RATE - len(x))])
        elif kind == 1:
            x = rng.normal(0, 3, 2 * RATE)  # line idle noise, about -70 dBm0
        else:
            x = rng.normal(0, peak_of(-20) / np.sqrt(2), 2 * RATE)  # white noise, -20 dBm0
        parts.append(x)
    return line(np.concatenate(parts))


SIGNAL_CLASSES = ["silence", "digits", "speech", "noise"]


def signal_classes(seconds: float) -> dict:
    """The DTMF receivers' four kinds of input, `seconds` of each, through mu-law:
    silence   an idle line (white noise of 3 LSB rms, about -70 dBm0)
    digits    digit-dense: random digits 50 ms on / 50 ms off, -30..-5 dBm0 per tone
    speech    espeak-ng speech from the talk-off corpus (tools/talkoff_corpus.py), 2 s from
              each voice in turn (-1 dBFS peak per item: loud talkers)
    noise     white noise at -20 dBm0
    Used by the per-class throughput here and by bench/mcu/mcu_bench.py on the Cortex-M4F."""
    n = int(seconds * RATE)
    rng = np.random.default_rng(5)
    out = {"silence": line(rng.normal(0, 3, n))}
    digits, _ = sequence("".join(rng.choice(list(KEYS), n // 800 + 1)), 50, 50, rng)
    levels = np.repeat(rng.uniform(-30, -5, n // 800 + 1), 800)[: len(digits)]
    out["digits"] = line(digits * 10 ** ((levels + 10) / 20))  # sequence() made them at -10
    import talkoff_corpus
    corpus, manifest = talkoff_corpus.load()
    speech = [corpus[p["offset"] + RATE: p["offset"] + 3 * RATE]
              for p in manifest["parts"] if p["kind"] == "speech"]
    out["speech"] = np.resize(np.concatenate(speech), n).astype(np.int16)
    out["noise"] = line(rng.normal(0, peak_of(-20) / np.sqrt(2), n))
    return {k: out[k][:n] for k in SIGNAL_CLASSES}


# Conformance conditions: (table, value label, what Q.24 asks: "detect"/"reject"/"", kwargs)
def conditions() -> list:
    out = []
    for off in [-4, -3.5, -3, -2.5, -2, -1.5, -1, 0, 1, 1.5, 2, 2.5, 3, 3.5, 4]:
        want = "detect" if abs(off) <= 1.5 else "reject" if abs(off) > 3.5 else ""
        out.append(("frequency offset (both tones, %)", f"{off:+g}", want,
                    dict(offset_pct=off)))
    for tw in [-12, -10, -8, -6, -4, -2, 0, 2, 4, 6, 8]:
        want = "detect" if -8 <= tw <= 4 else ""
        out.append(("twist (high minus low tone, dB; low tone at -10 dBm0)", f"{tw:+g}", want,
                    dict(twist_db=tw)))
    for lv in [0, -5, -10, -20, -25, -30, -33, -36, -38, -40, -42, -45, -50]:
        want = "detect" if lv >= -36 else ""
        out.append(("level (per tone, dBm0)", f"{lv:g}", want, dict(level=lv)))
    for snr in [40, 30, 24, 20, 18, 15, 12, 10, 8, 6]:
        want = "detect" if snr >= 15 else ""
        out.append(("SNR (dB, white noise, tones at -10 dBm0)", f"{snr:g}", want,
                    dict(snr_db=snr)))
    for ms in [15, 20, 23, 25, 28, 30, 32, 35, 40, 45]:
        want = "detect" if ms >= 40 else "reject" if ms <= 23 else ""
        out.append(("tone duration (ms; pause 60 ms)", f"{ms:g}", want,
                    dict(on_ms=ms, off_ms=60)))
    for ms in [20, 25, 30, 35, 40, 45, 50]:
        want = "detect" if ms >= 50 else ""
        out.append(("pause between repeated digits (ms; tone 50 ms)", f"{ms:g}", want,
                    dict(on_ms=50, off_ms=ms, repeat=True)))
    return out


def conformance_signal(trials: int) -> tuple:
    """All conditions in one signal, each its own segment: 16 digits x trials, 400 ms of
    silence between segments. Returns (samples, segments)."""
    rng = np.random.default_rng(11)
    parts, segments, pos = [], [], 0
    for table, label, want, kw in conditions():
        kw = dict(kw)
        on, off = kw.pop("on_ms", 50), kw.pop("off_ms", 50)
        repeat = kw.pop("repeat", False)
        digits = "".join("".join(rng.permutation(list(KEYS))) for _ in range(trials))
        if repeat:  # pairs of the same digit: only the pause can separate them
            digits = "".join(d + d for d in digits[: 8 * trials])
        x, sent = sequence(digits, on, off, rng, **kw)
        x = np.concatenate([np.zeros(int(0.4 * RATE)), x])
        sent = [(d, s + pos + int(0.4 * RATE), e + pos + int(0.4 * RATE)) for d, s, e in sent]
        segments.append({"table": table, "label": label, "want": want, "sent": sent,
                         "start": pos, "end": pos + len(x)})
        parts.append(x)
        pos += len(x)
    parts.append(np.zeros(int(0.4 * RATE)))
    return line(np.concatenate(parts)), segments


def score(segment: dict, events: list, slack: int) -> tuple:
    """(digits detected correctly, extra reports) for one segment: events matched one-to-one,
    in order, to sent digits they overlap (give or take `slack` samples)."""
    evs = [e for e in events if segment["start"] <= e[1] < segment["end"] + slack]
    used = [False] * len(evs)
    hits = 0
    for d, s, e in segment["sent"]:
        for j, (digit, es, ee) in enumerate(evs):
            if not used[j] and digit == d and es < e + slack and max(ee, es + 1) > s - slack:
                used[j] = True
                hits += 1
                break
    return hits, used.count(False)


def instructions_per_sample(exe, samples: np.ndarray, tag: str = "") -> dict:
    """Instructions per sample of each receiver under callgrind (None without valgrind)."""
    import shutil
    if not (shutil.which("valgrind") and shutil.which("callgrind_annotate")):
        return None
    raw, out = BUILD / f"dtmf_callgrind{tag}.raw", BUILD / f"dtmf{tag}.callgrind"
    samples.astype("<i2").tofile(raw)
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", str(exe),
                    "throughput", str(raw)], env={**os.environ, "BENCH_REPEATS": "1"},
                   capture_output=True, check=True)
    text = sh(["callgrind_annotate", "--inclusive=yes", str(out)])
    fed = 2 * (len(samples) // 160 * 160)  # a warm-up run and one timed run each
    found = {}
    for impl, fn in (("callgate", "cg_dtmf_rx_process"), ("spandsp", "dtmf_rx")):
        m = re.search(r"^\s*([\d,]+) .*:" + fn + r" ", text, re.M)
        if m:
            found[impl] = int(m.group(1).replace(",", "")) / fed
    return found if len(found) == 2 else None


CLASS_SECONDS = 30    # per class, for the throughput
CLASS_CG_SECONDS = 8  # per class, under callgrind


def class_section(exe, repeats: int, data: dict) -> list:
    """Both receivers on each signal class alone: time and instructions per sample."""
    sig = signal_classes(CLASS_SECONDS)
    rows, worst = [], None
    for name in SIGNAL_CLASSES:
        path = BUILD / f"dtmf_class_{name}.raw"
        sig[name].astype("<i2").tofile(path)
        tp = {r["impl"]: r for r in run_json([exe, "throughput", path],
                                              {"BENCH_REPEATS": str(repeats)})}
        ipc = instructions_per_sample(exe, sig[name][: CLASS_CG_SECONDS * RATE], f"_{name}")
        ratio = tp["callgate"]["samples_per_s"] / tp["spandsp"]["samples_per_s"]
        ipc_ratio = ipc["spandsp"] / ipc["callgate"] if ipc else None
        if ipc_ratio is not None:
            worst = ipc_ratio if worst is None else min(worst, ipc_ratio)
        rows.append({"class": name, "callgate_samples_per_s": tp["callgate"]["samples_per_s"],
                     "spandsp_samples_per_s": tp["spandsp"]["samples_per_s"], "time_ratio": ratio,
                     "callgate_digits": tp["callgate"]["digits"],
                     "spandsp_digits": tp["spandsp"]["digits"],
                     "instructions_per_sample": ipc, "instruction_ratio": ipc_ratio})
    data["classes"] = rows
    data["classes_worst_instruction_ratio"] = worst
    lines = [
        "### Per signal class",
        "",
        f"{CLASS_SECONDS} s of each class alone (bench/run.py `signal_classes`, the same "
        "signals `make bench-mcu` runs on the Cortex-M4F: an idle line at about -70 dBm0; "
        "digit-dense DTMF, 50 ms on / 50 ms off at -30..-5 dBm0; espeak-ng speech from the "
        "talk-off corpus; white noise at -20 dBm0; through mu-law), 160-sample blocks, callgate "
        f"with the cffi build's flags; median of {repeats} runs. Instructions per sample: "
        f"valgrind's callgrind on the first {CLASS_CG_SECONDS} s of each, inclusive of callees "
        "(cg_dtmf_rx_process, dtmf_rx). Goal: callgate needs at most half of spandsp's "
        "instructions per sample on every class (bench/MCU.md: the same on the Cortex-M4F).",
        "",
        "| signal | callgate samples/s | spandsp samples/s | time ratio | callgate instr/sample "
        "| spandsp instr/sample | spandsp / callgate | goal ≥ 2× | digits (callgate / spandsp) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: |",
    ]
    for r in rows:
        ipc = r["instructions_per_sample"]
        cells = (f"{ipc['callgate']:.1f} | {ipc['spandsp']:.1f} | {r['instruction_ratio']:.2f}× | "
                 f"{'yes' if r['instruction_ratio'] >= GOAL_DTMF else '**no**'}"
                 if ipc else "— | — | — | —")
        lines.append(f"| {r['class']} | {fmt_rate(r['callgate_samples_per_s'])} | "
                     f"{fmt_rate(r['spandsp_samples_per_s'])} | {r['time_ratio']:.2f}× | {cells} | "
                     f"{r['callgate_digits']} / {r['spandsp_digits']} |")
    lines.append("")
    return lines


def dtmf_section(binaries: dict, repeats: int, trials: int) -> tuple:
    exe = binaries["bench_dtmf"]["cffi"]
    lines = ["## DTMF reception", ""]
    data = {}

    # Throughput.
    sig = throughput_signal()
    path = BUILD / "dtmf_throughput.raw"
    sig.astype("<i2").tofile(path)
    rows = run_json([exe, "throughput", path], {"BENCH_REPEATS": str(repeats)})
    rows_o2 = run_json([binaries["bench_dtmf"]["O2"], "throughput", path],
                       {"BENCH_REPEATS": str(repeats)})
    tp = {r["impl"]: r for r in rows}
    tp_o2 = {r["impl"]: r for r in rows_o2}
    ratio = tp["callgate"]["samples_per_s"] / tp["spandsp"]["samples_per_s"]
    data["throughput"] = rows + [{**r, "impl": r["impl"] + " (c_src -O2)"} for r in rows_o2]
    lines += [
        "### Throughput",
        "",
        f"{len(sig) / RATE / 60:.0f} minutes of audio (2 s of digits at -30..-5 dBm0, 2 s of "
        "idle line, 2 s of -20 dBm0 white noise, in turn; through mu-law), fed in 160-sample "
        "blocks to each receiver with its default settings; median of "
        f"{repeats} runs.",
        "",
        "| receiver | samples/s per core | real-time channels per core | digits found |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, r in [("callgate cg_dtmf_rx (cffi flags)", tp["callgate"]),
                    ("callgate cg_dtmf_rx (-O2)", tp_o2["callgate"]),
                    ("spandsp dtmf_rx", tp["spandsp"])]:
        lines.append(f"| {name} | {fmt_rate(r['samples_per_s'])} | "
                     f"{fmt_channels(r['samples_per_s'])} | {r['digits']} |")
    sent_digits = (len(sig) // (2 * RATE) + 2) // 3 * 10
    lines += ["", f"callgate / spandsp: **{ratio:.2f}×** (goal ≥ {GOAL_DTMF:g}×; "
              f"{sent_digits} digits were sent).", ""]
    if ratio < GOAL_DTMF:
        lines += [
            "What limits it: the correlations, 16 int16 multiply-adds per sample (c_src/dtmf_rx.c; "
            "8 per pmaddwd with the cffi build's baseline SSE2), then the judgement of each "
            "half-block that is loud enough to hold a digit. The per-class table below counts "
            "the instructions, which do not depend on what else the machine runs.",
            "",
        ]
    ipc = instructions_per_sample(exe, sig[: 24 * RATE])
    if ipc:
        data["instructions_per_sample"] = ipc
        lines += [
            "Instructions executed per sample (valgrind's callgrind on the first 24 s, "
            "inclusive of callees): callgate "
            f"{ipc['callgate']:.1f}, spandsp {ipc['spandsp']:.1f} "
            f"({ipc['spandsp'] / ipc['callgate']:.2f}× fewer for callgate). Where the time "
            "ratio is below the instruction ratio, callgate retires fewer instructions per "
            "cycle than spandsp's Goertzel loop.",
            "",
        ]

    # Per signal class.
    lines += class_section(exe, repeats, data)

    # Conformance.
    sig, segments = conformance_signal(trials)
    path = BUILD / "dtmf_conformance.raw"
    sig.astype("<i2").tofile(path)
    det = {r["impl"]: r["events"] for r in run_json([exe, "detect", path])}
    slack = int(0.06 * RATE)
    lines += [
        "### Conformance, through the same harness",
        "",
        f"Each row: the 16 digits x {trials} (random order and starting phases), 50 ms on / 50 "
        "ms off unless the table says otherwise, low tone at -10 dBm0 per tone, through "
        "mu-law. Detect rate = digits reported correctly / sent (one report per sent digit, "
        "matched in order). `extra` counts reports that match nothing (wrong, split or "
        "spurious digits). `Q.24` is what the summary in REFERENCE.md asks: detect, reject, "
        "or nothing stated. Both receivers run with their defaults (callgate: min level -38 "
        "dBm0, twist 8/4 dB, frequency error 2.5 %; spandsp 0.0.6: threshold about -42 dBm0, "
        "twist 8/4 dB).",
        "",
    ]
    table = None
    summary = {"callgate": [0, 0], "spandsp": [0, 0]}  # [rows met, rows with a requirement]
    cmp_rows = {"better": 0, "same": 0, "worse": 0}
    conf = []
    for seg in segments:
        if seg["table"] != table:
            table = seg["table"]
            lines += ["", f"**{table}**", "",
                      "| value | Q.24 | callgate detect | extra | spandsp detect | extra |",
                      "| --- | --- | ---: | ---: | ---: | ---: |"]
        n = len(seg["sent"])
        res = {impl: score(seg, det[impl], slack) for impl in ("callgate", "spandsp")}
        conf.append({"table": table, "value": seg["label"], "want": seg["want"], "sent": n,
                     **{f"{k}_hits": v[0] for k, v in res.items()},
                     **{f"{k}_extra": v[1] for k, v in res.items()}})
        cells = []
        for impl in ("callgate", "spandsp"):
            hits, extra = res[impl]
            rate = hits / n
            mark = ""
            if seg["want"]:
                met = rate >= 0.99 and extra == 0 if seg["want"] == "detect" else rate <= 0.01
                summary[impl][0] += met
                summary[impl][1] += 1
                mark = "" if met else " ✗"
            cells += [f"{100 * rate:.0f} %{mark}", str(extra)]
        if seg["want"]:
            good = {impl: (res[impl][0] / n if seg["want"] == "detect" else 1 - res[impl][0] / n)
                    - 0.01 * res[impl][1] for impl in res}
            key = ("better" if good["callgate"] > good["spandsp"] + 1e-9 else
                   "worse" if good["callgate"] < good["spandsp"] - 1e-9 else "same")
            cmp_rows[key] += 1
        lines.append(f"| {seg['label']} | {seg['want']} | " + " | ".join(cells) + " |")
    data["conformance"] = conf
    lines += [
        "",
        f"Rows with a Q.24 requirement met (detect: ≥ 99 % and no extra; reject: ≤ 1 %): "
        f"callgate {summary['callgate'][0]}/{summary['callgate'][1]}, spandsp "
        f"{summary['spandsp'][0]}/{summary['spandsp'][1]}. Against spandsp on those rows, "
        f"callgate is better on {cmp_rows['better']}, the same on {cmp_rows['same']}, worse on "
        f"{cmp_rows['worse']}.",
        "",
    ]
    data["summary"] = {"requirements_met": summary, "vs_spandsp": cmp_rows}

    # Talk-off.
    import talkoff_corpus
    talkoff_corpus.build()
    corpus = talkoff_corpus.OUT / "corpus.raw"
    manifest = json.loads((talkoff_corpus.OUT / "manifest.json").read_text())
    det = {r["impl"]: r["events"] for r in run_json([exe, "detect", corpus])}
    hours = manifest["total_seconds"] / 3600
    kinds = ", ".join(f"{k} {v / 60:.1f} min" for k, v in manifest["seconds_by_kind"].items())
    lines += [
        "### Talk-off",
        "",
        f"The corpus of tools/talkoff_corpus.py: {manifest['total_seconds'] / 60:.1f} minutes "
        f"({kinds}); speech from espeak-ng in 17 voices and languages, the alsa-utils and "
        "freedesktop sounds, chords and melodies from sox's synth; each item at -1 dBFS peak, "
        "through mu-law. Every digit reported is a false one.",
        "",
        "| receiver | false digits | per hour |",
        "| --- | ---: | ---: |",
    ]
    talkoff = {}
    for impl in ("callgate", "spandsp"):
        evs = det[impl]
        talkoff[impl] = {"false_digits": len(evs), "per_hour": len(evs) / hours, "where": []}
        for d, s, e in evs:
            part = next((p for p in manifest["parts"]
                         if p["offset"] <= s < p["offset"] + p["samples"]), None)
            talkoff[impl]["where"].append(
                f"{d} in {part['name']} at {(s - part['offset']) / RATE:.2f} s" if part else d)
        lines.append(f"| {impl} | {len(evs)} | {len(evs) / hours:.1f} |")
    for impl in ("callgate", "spandsp"):
        if talkoff[impl]["where"]:
            lines += ["", f"{impl}'s false digits: " + "; ".join(talkoff[impl]["where"][:40])
                      + (" ..." if len(talkoff[impl]["where"]) > 40 else "")]
    lines.append("")
    data["talkoff"] = talkoff
    return lines, ratio, data


# --- other harnesses --------------------------------------------------------------------------

OTHER_ROWS = {}  # bench name -> its JSON rows, for later sections (the virtual board's)


def other_sections(binaries: dict, errors: dict, repeats: int) -> list:
    lines = []
    for name in sorted(set(binaries) | set(errors)):
        if name in ("bench_g711", "bench_dtmf"):
            continue
        lines += [f"## {name} (bench/{name}.c)", "",
                  f"`{name} throughput`, c_src/ with the cffi build's flags.", ""]
        if name in errors:
            lines += ["Did not build:", "", "```", *errors[name], "```", ""]
            continue
        try:
            rows = run_json([binaries[name]["cffi"], "throughput"],
                            {"BENCH_REPEATS": str(repeats)})
            OTHER_ROWS[name] = rows
        except subprocess.CalledProcessError as e:
            lines += [f"Failed (exit {e.returncode}):", "", "```",
                      *(e.stderr or "").strip().splitlines()[:5], "```", ""]
            continue
        if not rows:
            lines += ["(no output)", ""]
            continue
        keys = list(dict.fromkeys(k for r in rows for k in r))
        lines += ["| " + " | ".join(keys) + " |", "| " + " | ".join("---" for _ in keys) + " |"]
        for r in rows:
            lines.append("| " + " | ".join(str(r.get(k, "")) for k in keys) + " |")
        if any("samples_per_s" in r for r in rows):
            lines += ["", "Real-time channels per core = samples_per_s / 8000."]
        lines.append("")
    return lines


def dtmf_goals(d_ratio: float, d_data: dict) -> list:
    """The Goals lines about DTMF (each starts "- DTMF" or "- Talk-off")."""
    goals = [f"- DTMF throughput ≥ 2× spandsp: {'met' if d_ratio >= GOAL_DTMF else '**not met**'}"
             f" ({d_ratio:.2f}×); conformance: see the table summary."]
    worst = d_data.get("classes_worst_instruction_ratio")
    if worst is not None:
        per = ", ".join(f"{r['class']} {r['instruction_ratio']:.2f}×" for r in d_data["classes"])
        goals.append(f"- DTMF instructions per sample ≤ ½ spandsp's on every signal class: "
                     f"{'met' if worst >= GOAL_DTMF else '**not met**'} ({per}; the Cortex-M4F "
                     "figures are in bench/MCU.md).")
    t = d_data["talkoff"]
    goals.append(f"- Talk-off: callgate {t['callgate']['false_digits']} false digits "
                 f"({t['callgate']['per_hour']:.1f}/hour), spandsp "
                 f"{t['spandsp']['false_digits']} ({t['spandsp']['per_hour']:.1f}/hour).")
    return goals


def only_dtmf(repeats: int, trials: int) -> int:
    """Re-run the DTMF part alone and put it in place of the DTMF section and goals of the
    existing bench/RESULTS.md; the rest of the file stays as the full run wrote it."""
    started = datetime.datetime.now(datetime.timezone.utc)
    if not RESULTS.exists():
        raise SystemExit("bench: --only dtmf needs an existing bench/RESULTS.md (run make bench)")
    BUILD.mkdir(parents=True, exist_ok=True)
    load_before = other_load()
    binaries = build()["binaries"]
    d_lines, d_ratio, d_data = dtmf_section(binaries, repeats, trials)
    load_after = other_load()
    cmd = "python bench/run.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    d_lines[1:1] = [
        "",
        f"This section was regenerated alone by `{cmd}` on {started:%Y-%m-%d %H:%M} UTC "
        f"on {machine()['cpu']} (repeats: {repeats}; other processes' CPU use before and after: "
        f"{load_before:.2f} and "
        f"{load_after:.2f} cores{': **the machine was shared**' if max(load_before, load_after) > 0.2 else ''}"
        "); the rest of the file is from the run named at the top.",
    ]
    text = RESULTS.read_text().split("\n")
    start = text.index("## DTMF reception")
    end = next(i for i in range(start + 1, len(text)) if text[i].startswith("## "))
    text[start:end] = d_lines
    first = next(i for i, ln in enumerate(text) if ln.startswith(("- DTMF", "- Talk-off")))
    last = max(i for i, ln in enumerate(text) if ln.startswith(("- DTMF", "- Talk-off")))
    text[first:last + 1] = dtmf_goals(d_ratio, d_data)
    RESULTS.write_text("\n".join(text))
    print("\n".join(d_lines))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and trials")
    parser.add_argument("--json", type=pathlib.Path, help="also write the raw figures here")
    parser.add_argument("--only", choices=["dtmf"],
                        help="re-run one part and update its section of bench/RESULTS.md")
    args = parser.parse_args()
    repeats = int(os.environ.get("BENCH_REPEATS", 5 if args.quick else 15))
    trials = 1 if args.quick else 4
    if args.only == "dtmf":
        return only_dtmf(repeats, trials)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = other_load()
    BUILD.mkdir(parents=True, exist_ok=True)
    info = machine()
    built = build()
    binaries = built["binaries"]
    print("bench: built " + ", ".join(sorted(binaries)), flush=True)

    g_lines, g_verdicts, g_data = g711_section(binaries, built["flags"], repeats)
    print("bench: G.711 done", flush=True)
    d_lines, d_ratio, d_data = dtmf_section(binaries, repeats, trials)
    print("bench: DTMF done", flush=True)
    o_lines = other_sections(binaries, built["errors"], repeats)
    import bench_board  # bench/: the virtual board's audio plane and host link
    b_lines, b_data = bench_board.section(max(3, repeats // 3), OTHER_ROWS.get("bench_media"))
    print("bench: virtual board done", flush=True)
    import bench_center  # bench/: the call center's control plane on MicroPython
    c_lines, c_data = bench_center.section(max(3, repeats // 3))
    print("bench: call center done", flush=True)
    import bench_outbound  # bench/: call-progress analysis live on the line, a confusion matrix
    ob_lines, ob_data = bench_outbound.section(5 if args.quick else 20)
    print("bench: outbound calls done", flush=True)

    failing = [d for d, (r, rb) in g_verdicts.items() if min(r, rb) < GOAL_G711]
    goals = ["## Goals", ""]
    if failing:
        goals.append(f"- **G.711 ≥ 2× spandsp in every direction: not met** for "
                     f"{', '.join(failing)} (" + ", ".join(
                         f"{d} {g_verdicts[d][0]:.2f}×" for d in failing) + "). See the note "
                     "below the tables.")
    else:
        goals.append("- G.711 ≥ 2× spandsp in every direction: met.")
    goals += dtmf_goals(d_ratio, d_data)
    goals.append("")

    notes = []
    if any(d.endswith(("_to_ulaw", "_to_alaw")) for d in failing):
        notes += [
            "### Why transcoding is not 2× spandsp",
            "",
            "callgate's A↔µ transcoders and spandsp's g711_transcode are the same algorithm: one "
            "256-entry byte-table lookup per sample (spandsp indexes its alaw_to_ulaw_table / "
            "ulaw_to_alaw_table in a loop), so both run at the speed of the load ports, while "
            "memcpy of the same bytes is about ten times faster. With the cffi build's baseline "
            "x86-64 flags no portable C form beats the table by 2×: "
            "bench/experiments/g711_transcode.c measures a branch-free arithmetic form of the "
            "G.711 tables (as fast as the table with SSE2; faster only when built for AVX2) and "
            "a 65 536-entry table of code pairs (faster, but 128 KiB per direction: not for "
            "the board).",
            "",
        ]
    if any(not d.endswith(("_to_ulaw", "_to_alaw")) for d in failing):
        notes += ["Encoding or decoding is below the goal: see the per-direction rows.", ""]

    finished = datetime.datetime.now(datetime.timezone.utc)
    load_after = other_load()
    busy = max(load_before, load_after) > 0.2
    load_note = (f"- Other processes' CPU use, measured for 1 s before and after the run: "
                 f"{load_before:.2f} and {load_after:.2f} cores"
                 + (": **the machine was shared; rates may be low, run again when it is idle**"
                    if busy else " (idle)"))
    cmd = "make bench" if os.environ.get("MAKELEVEL") else "python bench/run.py " + " ".join(
        shlex.quote(a) for a in sys.argv[1:])
    head = [
        "# callgate benchmarks",
        "",
        f"Generated by `{cmd.strip()}` (bench/run.py) on {started:%Y-%m-%d %H:%M} UTC in "
        f"{(finished - started).total_seconds():.0f} s; do not edit by hand.",
        "",
        f"- Machine: {info['cpu']} ({info['cores']} cores visible; SIMD: {info['simd'] or '?'}),"
        f" Linux {info['kernel']}",
        f"- Compiler: {info['gcc']}",
        f"- spandsp: {info['spandsp']}; Python {info['python']}, numpy {info['numpy']}",
        f"- Repeats: {repeats} per figure (median); one process at a time, no pinning.",
        load_note,
        "",
    ]
    RESULTS.write_text("\n".join(head + goals + g_lines + notes + d_lines + o_lines + b_lines + c_lines + ob_lines) + "\n")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "g711": g_data, "dtmf": d_data, "board": b_data,
                                         "center": c_data, "outbound": ob_data}, indent=1))
    print(RESULTS.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
