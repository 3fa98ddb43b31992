"""Call-progress analysis live on the line: a confusion matrix of outcomes (bench/run.py calls
section(); issue 15, docs/outbound.md).

Each trial is one outbound call through the media engine (callgate.dsp.MediaEngine, the
virtual board's line cards) exactly as the board makes it: the port armed with cpa_arm (3 s
for dial tone), the plan's dial tone on the line until the engine says "dial now", the number
sent as DTMF by the engine (cpa_dialed at its end), then what the far end sends, in 20 ms
frames, until the one result. The far end, per row:

  busy, congestion, no-answer, sit   the plan's tones (tone.c: CN, US, EU)
  fax                                ringback, then CED and CNG
  person                             ringback, then a short greeting ("hello?", "yes?", in
                                     several languages, espeak-ng voices and speeds), then quiet
  machine                            ringback, then a long greeting (3-8 s, several languages,
                                     voices, speeds), with or without a beep
  no-dial-tone                       nothing (noise only)

with white noise over the whole line at SNR 10, 15 and 20 dB (of the far end's active signal;
the dial tone too), a random lead-in before the answer. A second table, the SIT kinds: a North
American SIT of each kind once (dsp/tones.py sit_kind_tone, frequencies and lengths drawn
within 0.8 % and 6 %, up to 30 ms between segments), then the exchange's announcement (speech)
at once; right is SIT with that kind. Greetings come from espeak-ng (Debian
package), made once per run. Counted: the result of every trial, the share right per row, and
the median time to decide (from the end of dialling; no-dial-tone: from the seizure).

    .venv/bin/python bench/bench_outbound.py [--trials N] [--seed S] [--write bench/OUTBOUND.md]
"""

import argparse
import pathlib
import statistics
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "host"))

from callgate.dsp import g711  # noqa: E402
from callgate.dsp.media import MediaEngine  # noqa: E402
from callgate.dsp.cpa import sit_kind_name  # noqa: E402
from callgate.dsp.tones import SIT_KIND_SEGMENTS, generate_cadence, generate_tone, sit_kind_tone  # noqa: E402
from callgate.sim.callee import speak  # noqa: E402

RATE = 8000
FRAME = 160
PLANS = ("CN", "US", "EU")
SNRS = (10, 15, 20)
OUTCOMES = ("no-dial-tone", "busy", "congestion", "no-answer", "sit", "fax", "person", "machine")
RESULT = {"cpa-no-dial-tone": "no-dial-tone", "cpa-busy": "busy", "cpa-congestion": "congestion",
          "cpa-no-answer": "no-answer", "cpa-sit": "sit", "cpa-fax": "fax", "cpa-human": "person",
          "cpa-machine": "machine"}
GOAL_TONES = 0.98  # busy, congestion, no answer, SIT, fax
GOAL_VOICE = 0.90  # person vs machine
NO_ANSWER_MS = 30000
RING_CYCLE_S = {"CN": 5.0, "US": 6.0, "EU": 5.0}

PERSON = [("en-us", "Hello?"), ("en-gb", "Yes?"), ("de", "Hallo?"), ("fr-fr", "Allô, oui?"),
          ("es", "¿Diga?"), ("cmn", "喂?"), ("en-us", "Hello, who is this?"), ("it", "Pronto?")]
MACHINE = [("en-us", "Hi, you have reached Sam. Please leave a message after the tone."),
           ("en-gb", "Thank you for calling. Nobody is available to take your call right now, "
                     "please leave your name and number."),
           ("de", "Hier ist der Anrufbeantworter von Familie Müller. Bitte sprechen Sie nach dem Signalton."),
           ("fr-fr", "Bonjour, vous êtes bien chez Claire. Laissez un message après le bip."),
           ("es", "Hola, no estoy en casa. Deja tu mensaje después de la señal."),
           ("cmn", "您好，我现在不方便接听电话，请在提示音后留言。")]
SPEEDS = (140, 175)


def greetings():
    """{"person": [...], "machine": [...]}: int16 arrays at 8 kHz, levels -12 dBm0 peaks."""
    out = {"person": [], "machine": []}
    for kind, texts in (("person", PERSON), ("machine", MACHINE)):
        for voice, text in texts:
            for speed in SPEEDS:
                out[kind].append(speak(text, voice, speed))
    return out


def beep():
    t = np.arange(int(0.6 * RATE)) / RATE
    return 6000 * np.sin(2 * np.pi * 1000 * t)


def tone(plan, name, seconds):
    return generate_tone(plan, name, seconds).astype(np.float64)


def far_end(outcome, plan, rng, voices):
    """What the far end sends after the dialling (float64, 8 kHz)."""
    quiet = np.zeros(int(rng.uniform(0.1, 1.0) * RATE))
    ring = tone(plan, "ringback", RING_CYCLE_S[plan] * rng.integers(1, 3))
    if outcome in ("busy", "congestion"):
        return np.concatenate([quiet, tone(plan, outcome, 12.0)])
    if outcome == "sit":
        return np.concatenate([quiet, tone(plan, "sit", 12.0)])
    if outcome == "no-answer":
        return np.concatenate([quiet, tone(plan, "ringback", NO_ANSWER_MS / 1000 + 8)])
    if outcome == "fax":
        return np.concatenate([quiet, ring, np.zeros(1600), tone(plan, "ced", 3.5), tone(plan, "cng", 10.0)])
    pool = voices[outcome]
    g = pool[rng.integers(len(pool))].astype(np.float64)
    parts = [quiet, ring, np.zeros(int(rng.uniform(0.2, 0.6) * RATE)), g]
    if outcome == "machine" and rng.random() < 0.5:
        parts += [np.zeros(int(0.4 * RATE)), beep()]
    parts.append(np.zeros(6 * RATE))
    return np.concatenate(parts)


def active_power(x):
    loud = x[np.abs(x) > 100]
    return float(np.mean(loud ** 2)) if len(loud) else 1e6


def noisy(x, snr_db, power, rng):
    noise = rng.normal(0, np.sqrt(power / 10 ** (snr_db / 10)), len(x))
    return g711.ulaw_encode(np.clip(np.round(x + noise), -32768, 32767).astype(np.int16))


def sit_of_kind(kind, rng, voices):
    """A North American SIT of `kind` as an exchange plays it, then its announcement."""
    drift, stretch = rng.uniform(-0.008, 0.008), rng.uniform(-0.06, 0.06)
    parts = [np.zeros(int(rng.uniform(0.1, 1.0) * RATE))]
    for g in sit_kind_tone(kind).segments:
        seg = (round(g.freq1_hz * (1 + drift)), 0, round(g.duration_ms * (1 + stretch)))
        parts += [generate_cadence([seg], seg[2] / 1000, level_dbm0=-24.0, repeat=False).astype(np.float64),
                  np.zeros(int(rng.uniform(0, 0.03) * RATE))]
    pool = voices["machine"]
    parts += [pool[rng.integers(len(pool))].astype(np.float64), np.zeros(6 * RATE)]
    return np.concatenate(parts)


def trial(outcome, plan, snr_db, rng, voices, after=None):
    """One call: (result, decide_s, the result event's value). after: what the far end sends
    (default the outcome's far end)."""
    eng = MediaEngine(1, "ulaw")
    eng.cpa_arm(0, plan, no_dial_tone_ms=3000, no_answer_ms=NO_ANSWER_MS)
    if after is None:
        after = far_end(outcome, plan, rng, voices) if outcome != "no-dial-tone" else np.zeros(6 * RATE)
    dial = tone(plan, "dial", 4.0) if outcome != "no-dial-tone" else np.zeros(4 * RATE)
    power = active_power(after) if outcome != "no-dial-tone" else active_power(tone(plan, "dial", 1.0))
    line = noisy(dial, snr_db, power, rng)
    pos, phase = 0, "dial"
    for _ in range(60 * RATE // FRAME):
        if pos + FRAME > len(line):
            if phase == "dial":  # the dial tone ran out undetected: the exchange went quiet
                line = np.concatenate([line[pos:], noisy(np.zeros(6 * RATE), snr_db, power, rng)])
            else:
                line = np.concatenate([line[pos:], noisy(np.zeros(10 * RATE), snr_db, power, rng)])
            pos = 0
        _, events = eng.process([line[pos:pos + FRAME]], n=FRAME)
        pos += FRAME
        for e in events:
            if e.kind == "cpa-tone" and phase == "dial":
                eng.dtmf(0, "5550123")
                phase = "digits"
                line = noisy(np.zeros(int(0.8 * RATE)), snr_db, power, rng)  # the exchange stops its dial tone
                pos = 0
            elif e.kind == "dtmf-sent" and phase == "digits":
                eng.cpa_dialed(0, e.end)
                phase = "progress"
                line = noisy(after, snr_db, power, rng)
                pos = 0
            elif e.kind in RESULT:
                return RESULT[e.kind], e.decide_s, e.value
    return "none", None, None


def matrix(trials, seed):
    rng = np.random.default_rng(seed)
    voices = greetings()
    rows = {}
    for outcome in OUTCOMES:
        for plan in PLANS:
            for snr in SNRS:
                got = [trial(outcome, plan, snr, rng, voices)[:2] for _ in range(trials)]
                rows[(outcome, plan, snr)] = got
    return rows


def sit_kinds(trials, rng, voices):
    """Markdown lines: per SIT kind, SIT with that kind / SIT of another kind / another result."""
    n = trials * len(PLANS) * len(SNRS)
    lines = ["### SIT kinds", "",
             f"Each row {n} calls ({trials} per plan and SNR, as above): a North American SIT of that kind, "
             "then the announcement.", "",
             "| SIT kind | right | SIT, another kind | another result | median decide s |",
             "| --- | ---: | ---: | ---: | ---: |"]
    lowest = 1.0
    for kind in SIT_KIND_SEGMENTS:
        got = []
        for plan in PLANS:
            for snr in SNRS:
                got += [trial("sit", plan, snr, rng, voices, sit_of_kind(kind, rng, voices)) for _ in range(trials)]
        right = [s for r, s, v in got if r == "sit" and sit_kind_name(v) == kind]
        other = sum(1 for r, _, v in got if r == "sit" and sit_kind_name(v) != kind)
        lowest = min(lowest, len(right) / n)
        lines.append(f"| {kind} | {100 * len(right) / n:.1f} % | {other} | {n - len(right) - other} | "
                     + (f"{statistics.median(right):.2f}" if right else "-") + " |")
    lines += ["", f"- Goal ≥ {100 * GOAL_TONES:.0f} % (as SIT's): "
              + ("met" if lowest >= GOAL_TONES else f"**not met** (lowest {100 * lowest:.1f} %)") + ".", ""]
    return lines


def summarise(rows):
    by_outcome = {}
    for (outcome, _plan, _snr), got in rows.items():
        by_outcome.setdefault(outcome, []).extend(got)
    return by_outcome


def section(trials=20, seed=15):
    """(markdown lines, data) of the confusion matrix."""
    rows = matrix(trials, seed)
    by = summarise(rows)
    cols = list(OUTCOMES) + ["none"]
    lines = ["## Call progress live on the line (outbound calls)", "",
             f"`.venv/bin/python bench/bench_outbound.py --trials {trials} --seed {seed}` (also part of "
             "`make bench`): each row is one far end, {n} calls: {t} per plan (CN, US, EU) and SNR "
             "(10, 15, 20 dB), through the media engine as the board runs it (bench/bench_outbound.py "
             "says how). Columns: the analyser's result.".format(n=trials * len(PLANS) * len(SNRS), t=trials), "",
             "| far end | " + " | ".join(cols) + " | right | median decide s |",
             "| --- | " + " | ".join("---:" for _ in cols) + " | ---: | ---: |"]
    data = {}
    for outcome in OUTCOMES:
        got = by[outcome]
        counts = {c: sum(1 for r, _ in got if r == c) for c in cols}
        right = counts[outcome] / len(got)
        times = [s for r, s in got if r == outcome and s is not None]
        median = statistics.median(times) if times else None
        data[outcome] = {"counts": counts, "right": right, "median_decide_s": median}
        lines.append(f"| {outcome} | " + " | ".join(str(counts[c]) for c in cols)
                     + f" | {100 * right:.1f} % | " + ("-" if median is None else f"{median:.2f}") + " |")
    lines.append("")
    worst = []
    for (outcome, plan, snr), got in sorted(rows.items()):
        right = sum(1 for r, _ in got if r == outcome) / len(got)
        if right < 1.0:
            worst.append(f"{outcome} {plan} {snr} dB: {100 * right:.0f} %")
    tones = min(data[o]["right"] for o in ("busy", "congestion", "no-answer", "sit", "fax"))
    voice = min(data[o]["right"] for o in ("person", "machine"))
    lines += [f"- Goal ≥ {100 * GOAL_TONES:.0f} % right on busy, congestion, no answer, SIT and fax: "
              + ("met" if tones >= GOAL_TONES else f"**not met** (lowest {100 * tones:.1f} %)") + ".",
              f"- Goal ≥ {100 * GOAL_VOICE:.0f} % right on person vs machine: "
              + ("met" if voice >= GOAL_VOICE else f"**not met** (lowest {100 * voice:.1f} %)") + ".",
              "- Rows below 100 % by plan and SNR: " + ("; ".join(worst) if worst else "none") + ".", ""]
    lines += sit_kinds(max(1, trials // 2), np.random.default_rng(seed + 1), greetings())
    return lines, data


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--trials", type=int, default=20, help="calls per outcome, plan and SNR (default 20)")
    p.add_argument("--seed", type=int, default=15)
    p.add_argument("--write", type=pathlib.Path, metavar="FILE", help="also write the section to FILE (e.g. bench/OUTBOUND.md)")
    args = p.parse_args()
    lines, _ = section(args.trials, args.seed)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.write:
        import datetime
        import platform

        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        args.write.write_text(text + f"\n{when}, {platform.machine()}, Python {platform.python_version()}; "
                              "made by `" + " ".join(["bench/bench_outbound.py"] + sys.argv[1:]) + "`\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
