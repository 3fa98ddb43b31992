#!/usr/bin/env python3
"""bench/mcu/mcu_bench.py: instructions per sample of every C module on the Cortex-M4F.

    make bench-mcu          # builds the plugin, then runs this

1. Writes the test signals (bench/run.py's signal_classes: silence, digit-dense DTMF, speech,
   noise; 10 s each, through mu-law) as raw int16 into build/mcu/signals/.
2. Builds bench/mcu/main.c, startup.c and signals.S with c_src/*.c and spandsp's DTMF receiver
   (dtmf.c and tone_detect.c from the vendor tarball, unpacked under build/) for the
   Cortex-M4F with arm-none-eabi-gcc, the flags of the MicroPython image (-Os), into an ELF
   for QEMU's mps2-an386.
3. Runs it under qemu-system-arm with bench/mcu/insn_plugin.so (built by the Makefile), which
   writes the instruction count at every bench_mark() call.
4. Pairs the counts with the regions the program announces and writes bench/MCU.md.
"""

import datetime
import pathlib
import re
import shlex
import subprocess
import sys
import tarfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import run as bench_run  # noqa: E402  (bench/run.py: the signals, shared with the x86 bench)

OUT = ROOT / "build" / "mcu"
SIGNALS = OUT / "signals"
REPORT = ROOT / "bench" / "MCU.md"
VENDOR = ROOT.parent / "shared" / "vendor"
SPANDSP_TAR = "spandsp-0c7bceb-src.tar.gz"
PLUGIN = OUT / "insn_plugin.so"
SECONDS = 10
RATE = 8000

CC = "arm-none-eabi-gcc"
ARCH = ["-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard", "-mthumb"]
# The MicroPython image's optimisation (ports/qemu: -Os; tools/cross-size.sh builds the same).
OPT = ["-Os", "-ffunction-sections", "-fdata-sections"]
CORE_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Wdouble-promotion"]
INC = ["-I", str(ROOT / "c_src" / "include"), "-I", str(ROOT / "c_src" / "gen")]
LINK = ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections",
        "-T", str(ROOT / "bench" / "mcu" / "an386.ld")]
QEMU = ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none", "-serial",
        "none", "-semihosting-config", "enable=on,target=native"]

# Per-port budget: 8 ports, 8000 samples/s, against 10 % of a 168 MHz Cortex-M4F.
CLOCK_HZ = 168e6
SHARE = 0.10


def sh(cmd, **kw) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise SystemExit(f"bench-mcu: failed: {' '.join(str(c) for c in cmd)}\n{proc.stderr}")
    return proc.stdout


def spandsp_src() -> pathlib.Path:
    tar = VENDOR / SPANDSP_TAR
    dest = ROOT / "build"
    with tarfile.open(tar) as t:
        top = t.getnames()[0].split("/")[0]
        src = dest / top / "src"
        if not (src / "dtmf.c").exists():
            t.extractall(dest, filter="data")
    return src


def write_signals() -> dict:
    SIGNALS.mkdir(parents=True, exist_ok=True)
    sig = bench_run.signal_classes(SECONDS)
    for name, x in sig.items():
        path = SIGNALS / f"{name}.raw"
        data = x.astype("<i2").tobytes()
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    return sig


def build() -> tuple:
    """Compile everything for the target; returns (elf, the command lines, for the report)."""
    objdir = OUT / "obj"
    objdir.mkdir(parents=True, exist_ok=True)
    for old in objdir.glob("*.o"):
        old.unlink()
    src = spandsp_src()
    cfg = OUT / "spandsp-config"
    cfg.mkdir(exist_ok=True)
    # spandsp's config.h (autoconf's, absent here): newlib has the C99 float maths.
    fudge = sorted(set(re.findall(r"HAVE_[A-Z0-9_]+", (src / "floating_fudge.h").read_text())))
    (cfg / "config.h").write_text("".join(f"#define {h} 1\n" for h in
                                          ["HAVE_MATH_H", "HAVE_TGMATH_H", "HAVE_STDBOOL_H",
                                           *fudge]))
    objs, shown = [], {}
    for c in sorted((ROOT / "c_src").glob("*.c")):
        o = objdir / (c.stem + ".o")
        cmd = [CC, *ARCH, *OPT, *CORE_FLAGS, *INC, "-c", c, "-o", o]
        sh(cmd)
        objs.append(o)
        shown.setdefault("c_src", f"{CC} {' '.join(ARCH + OPT + CORE_FLAGS)} -Ic_src/include "
                                  "-Ic_src/gen -c c_src/<module>.c")
    sp_flags = ["-std=gnu99", "-DHAVE_CONFIG_H", "-I", cfg, "-I", src, "-I", ROOT / "bench" / "mcu"]
    for c in [src / "dtmf.c", src / "tone_detect.c", ROOT / "bench" / "mcu" / "spandsp_side.c"]:
        o = objdir / ("sp_" + c.stem + ".o")
        sh([CC, *ARCH, *OPT, *sp_flags, "-w", "-c", c, "-o", o])
        objs.append(o)
    shown["spandsp"] = (f"{CC} {' '.join(ARCH + OPT)} -std=gnu99 -DHAVE_CONFIG_H -I<config.h> "
                        "-Ibuild/spandsp-0c7bceb/src -c {dtmf.c,tone_detect.c}")
    for c in ["main.c", "startup.c"]:
        o = objdir / ("mcu_" + c.replace(".c", ".o"))
        sh([CC, *ARCH, *OPT, "-std=c99", "-Wall", "-Wextra", *INC, "-I", ROOT / "bench" / "mcu",
            "-c", ROOT / "bench" / "mcu" / c, "-o", o])
        objs.append(o)
    o = objdir / "signals.o"
    sh([CC, *ARCH, "-I", SIGNALS, f"-Wa,-I{SIGNALS}", "-c", ROOT / "bench" / "mcu" / "signals.S",
        "-o", o])
    objs.append(o)
    elf = OUT / "bench_mcu.elf"
    sh([CC, *ARCH, *LINK, *objs, "-lm", "-o", elf])
    shown["link"] = (f"{CC} {' '.join(ARCH)} -nostartfiles --specs=nano.specs --specs=nosys.specs "
                     "-Wl,--gc-sections -T bench/mcu/an386.ld ... -lm")
    return elf, shown


def run(elf: pathlib.Path) -> tuple:
    nm = sh(["arm-none-eabi-nm", elf])
    mark = re.search(r"^([0-9a-f]+) T bench_mark$", nm, re.M)
    if not mark:
        raise SystemExit("bench-mcu: no bench_mark symbol in the ELF")
    counts_path, blocks_path = OUT / "counts.txt", OUT / "blocks.txt"
    cmd = [*QEMU, "-kernel", elf, "-plugin",
           f"{PLUGIN},mark=0x{mark.group(1)},out={counts_path},blocks={blocks_path}"]
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=1800)
    console = proc.stdout + proc.stderr  # QEMU writes semihosting output to stderr
    if proc.returncode != 0 or "bench-mcu: done" not in console:
        raise SystemExit(f"bench-mcu: the program failed (exit {proc.returncode}):\n"
                         f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    counts = [int(v) for v in counts_path.read_text().splitlines() if v.isdigit()]
    regions, info = [], []
    for ln in console.splitlines():
        if ln.startswith("region "):
            words = ln.split()
            regions.append((" ".join(words[1:-1]), int(words[-1])))
        elif ln.startswith("info "):
            info.append(ln[5:])
        elif ln.startswith("check dtmf_rx events "):
            name, value = ln.split()[3:5]
            CHECKS[name] = int(value)
    if len(counts) != 2 * len(regions):
        raise SystemExit(f"bench-mcu: {len(counts)} marks for {len(regions)} regions")
    spans = [counts[2 * i + 1] - counts[2 * i] for i in range(len(regions))]
    overhead = spans[0]
    rows = {}
    for (name, samples), span in zip(regions[1:], spans[1:]):
        rows[name] = {"samples": samples, "instructions": span - overhead,
                      "per_sample": (span - overhead) / samples}
    shown_cmd = " ".join(shlex.quote(str(c)) for c in QEMU) + \
        " -kernel build/mcu/bench_mcu.elf -plugin build/mcu/insn_plugin.so,mark=0xADDR,out=FILE"
    return rows, info, overhead, shown_cmd, by_function(elf, blocks_path)


CHECKS = {}  # signal class -> the target's checksum of callgate's DTMF events


def host_checksum(x) -> int:
    """The same checksum over the events the host build (callgate.dsp, x86) reports for the
    samples up to the last whole 160-sample block, before the flush (as main.c sums them)."""
    from callgate import dsp
    n = len(x) // 160 * 160
    det = dsp.DtmfDetector()
    s = 0
    for e in det.feed(np.ascontiguousarray(x[:n])):
        s = (s * 31 + e.start * 7 + e.end * 3 + ord(e.digit)) & 0xFFFFFFFF
    return s


def by_function(elf: pathlib.Path, blocks_path: pathlib.Path) -> dict:
    """Instructions executed per function of the ELF's symbol table, over the whole run: each
    translation block counted in the function its first instruction lies in."""
    syms = []
    for ln in sh(["arm-none-eabi-nm", "--defined-only", "-S", "-n", elf]).splitlines():
        f = ln.split()
        if len(f) == 4 and f[2] in "tTwW":
            syms.append((int(f[0], 16) & ~1, int(f[1], 16), f[3]))
    totals = {}
    for ln in blocks_path.read_text().splitlines():
        addr, insns, times = ln.split()
        a = int(addr, 16)
        name = next((n for s, size, n in syms if s <= a < s + size), "?")
        totals[name] = totals.get(name, 0) + int(insns) * int(times)
    return totals


def table(rows: dict, keys: list, label: str) -> list:
    lines = [f"| {label} | samples | instructions | per sample |", "| --- | ---: | ---: | ---: |"]
    for k in keys:
        r = rows[k]
        lines.append(f"| {k} | {r['samples']:,} | {r['instructions']:,} | {r['per_sample']:.1f} |")
    return lines


def report(rows, info, overhead, shown, qemu_cmd, started, funcs) -> tuple:
    """(bench/MCU.md's text, {signal class: spandsp / callgate instructions per sample})."""
    get = lambda prefix: [k for k in rows if k.startswith(prefix)]  # noqa: E731
    dtmf = ["| signal | callgate cg_dtmf_rx | spandsp dtmf_rx | spandsp / callgate | goal ≥ 2× |",
            "| --- | ---: | ---: | ---: | :---: |"]
    verdict = {}
    for c in bench_run.SIGNAL_CLASSES:
        cg = rows[f"dtmf_rx callgate {c}"]["per_sample"]
        sp = rows[f"dtmf_rx spandsp {c}"]["per_sample"]
        verdict[c] = sp / cg
        dtmf.append(f"| {c} | {cg:.1f} | {sp:.1f} | {sp / cg:.2f}× | "
                    f"{'yes' if sp / cg >= 2 else '**no**'} |")
    media = get("media per port")
    per_port = {k[len("media per port "):]: rows[k]["per_sample"] for k in media}
    worst_name = "bridged, recording, hang-up supervision, caller ID and call progress"
    answered = "bridged, recording, hang-up supervision"
    conf = "conference 3 legs and recording"
    worst = per_port[worst_name]
    modules = [k for k in rows if not k.startswith(("media", "dtmf_rx"))]
    out = [
        "# Cortex-M4F: instructions per sample",
        "",
        f"Generated by `make bench-mcu` (bench/mcu/mcu_bench.py) on {started:%Y-%m-%d %H:%M} "
        "UTC; do not edit by hand.",
        "",
        "QEMU 7.2's `mps2-an386` (a Cortex-M4 with single-precision FPU) runs "
        "bench/mcu/main.c; bench/mcu/insn_plugin.c counts the guest instructions executed "
        "between marker calls, exactly (the same numbers on every run). **These are "
        "instructions, not cycles**: QEMU does not model the pipeline, so a real M4F at "
        "168 MHz spends more cycles than instructions (loads, taken branches, float divides "
        "and square roots take 2-14 cycles, flash wait states add more); read the budget "
        "below with that margin in mind.",
        "",
        f"Compiler: {sh([CC, '--version']).splitlines()[0]}. Every module and spandsp's "
        "receiver are built with the flags of the MicroPython image (ports/qemu builds with "
        "`-Os`; tools/cross-size.sh measures the same), so these are the instructions the "
        "firmware would execute:",
        "",
        "```",
        shown["c_src"],
        shown["spandsp"],
        shown["link"],
        qemu_cmd,
        "```",
        "",
        "Each figure: the instructions between the two marks around a region, less the marks' "
        f"own {overhead} (two marks back to back), divided by the samples processed. "
        "Samples are fed in 160-sample (20 ms) blocks; the harness's loop is included "
        "(a few instructions per block). Setup (init, making signals) is outside the marks.",
        "",
        "## DTMF reception, callgate vs spandsp",
        "",
        f"{SECONDS} s of each signal class (bench/run.py `signal_classes`: an idle line at "
        "about -70 dBm0; digit-dense DTMF, 50 ms on / 50 ms off at -30..-5 dBm0; espeak-ng "
        "speech from the talk-off corpus, loud; white noise at -20 dBm0; all through mu-law), "
        "the same samples to both receivers with their defaults. spandsp is its float build "
        "(as Debian's library and x86 bench), dtmf.c and tone_detect.c of the vendor snapshot "
        "compiled with the same flags.",
        "",
        *dtmf,
        "",
        "Digits found (checks): " + "; ".join(i for i in info if i.startswith("dtmf_rx")) + ".",
        "",
        "## Each module",
        "",
        *table(rows, modules, "module, signal"),
        "",
        "Checks: " + "; ".join(i for i in info if not i.startswith(("dtmf_rx", "media"))) + ".",
        "",
        "## The media engine, per port",
        "",
        "8 ports, 2 s each, port p hearing the signal from sample 1000·p; cg_media_process on "
        "20 ms frames; per sample of one port = total / (8 × 16 000). The far party talks "
        "(speech) unless the state names another signal. Bridged: ports paired, both "
        "mu-law, each recording both directions. Hang-up supervision: as hal_mcu supervises "
        "every answered FXO line for the whole call, each port's cg_disc_t (busy and "
        "congestion tones of the US plan) fed the port's rx decoded once more (every port as "
        "if it were FXO; an agent's FXS port needs none). Conference 3 legs: every port hears two "
        "others (port p hears p + 1 and p + 2, mod 8: each port decodes, sums, saturates "
        "and encodes two sources, the work of every leg of a three-leg barge; a listening "
        "supervisor's or a whispered agent's leg is the same, the other legs of those modes "
        "are bridge copies), each recording both directions. Caller ID armed: each port's cg_cid_rx with "
        "its defaults (FSK and DTMF caller ID) on FSK bursts. Call progress: each port's "
        "cg_cpa_t (US plan, its SIT kinds' filters too) armed in the engine "
        "(cg_media_cpa_arm, as the firmware arms it), on ringback.",
        "",
        "| state | rx signal | instructions per sample per port | 8 ports, instructions/s | "
        "share of 10 % of a 168 MHz M4F |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    budget = SHARE * CLOCK_HZ
    for k, v in per_port.items():
        sig = ("FSK caller ID" if k == "caller ID armed" else
               "US ringback" if k == "call-progress on" else "speech")
        plane = 8 * RATE * v
        out.append(f"| {k} | {sig} | {v:.1f} | {plane / 1e6:.1f} M | {100 * plane / budget:.0f} % |")
    heavy = max((k for k in per_port if k != worst_name), key=lambda k: per_port[k])
    heavy_share = 100 * 8 * RATE * per_port[heavy] / budget
    out += [
        "",
        "Checks: " + "; ".join(i[len("media "):] for i in info if i.startswith("media")) + ". "
        "A prompt's codes are copied where a listening port writes silence codes (newlib's "
        "memcpy and memset take the same instructions for 160 bytes), hence the equal rows.",
        "",
        "## The audio plane's budget",
        "",
        f"The allowance: 10 % of a 168 MHz Cortex-M4F is {budget / 1e6:.1f} M cycles/s, "
        f"{budget / (8 * RATE):.0f} per sample for each of 8 ports. **QEMU counts "
        "instructions, not cycles**: the figures below count one cycle per instruction, and a "
        "real M4F needs more (loads and stores 2 cycles, taken branches 2-4, VDIV/VSQRT 14, "
        "flash wait states beyond the ART accelerator's hits): typically 1.2-1.5 cycles per "
        "instruction on code like this, so the shares below are lower bounds.",
        "",
        f"- Every detector a call can need, on all 8 ports at once (bridged and recording, "
        f"hang-up supervision, caller ID armed, call progress on, and the DTMF receiver the "
        f"engine always runs): "
        f"{worst:.1f} instructions per sample per port, 8 × 8000 × {worst:.1f} = "
        f"**{8 * RATE * worst / 1e6:.1f} M instructions/s, {100 * 8 * RATE * worst / budget:.0f} % "
        f"of the allowance** ({100 * 8 * RATE * worst / CLOCK_HZ:.1f} % of the core). An upper "
        "bound: a port runs the caller ID receiver only while it rings and call progress only "
        "while it dials out, never both, and neither once bridged.",
        f"- The heaviest single phase, {heavy}, on all 8 ports: "
        f"{8 * RATE * per_port[heavy] / 1e6:.1f} M instructions/s, {heavy_share:.0f} % of the "
        "allowance.",
        f"- The steady state of a call on an FXO line (bridged and recording, DTMF listening, "
        f"hang-up supervision): {8 * RATE * per_port[answered] / 1e6:.1f} M instructions/s, "
        f"{100 * 8 * RATE * per_port[answered] / budget:.0f} % of the allowance; without the "
        f"supervision (an FXS port) {100 * 8 * RATE * per_port['bridged and recording'] / budget:.0f} %.",
        f"- A supervisor on every call (all 8 ports conference legs mixing two others, "
        f"recording, DTMF listening): {per_port[conf]:.1f} instructions per sample per port, "
        f"{per_port[conf] - per_port['bridged and recording']:.1f} more than bridged; "
        f"{8 * RATE * per_port[conf] / 1e6:.1f} M instructions/s, "
        f"{100 * 8 * RATE * per_port[conf] / budget:.0f} % of the allowance "
        f"({per_port[conf] / (budget / (8 * RATE)):.0%} of the {budget / (8 * RATE):.0f} "
        "instructions per sample of a port's share).",
        f"- The goal, every phase a port can be in on all 8 ports at once within the allowance: "
        f"{'met' if heavy_share <= 100 else 'not met'} in instructions (the heaviest, {heavy}, "
        f"{heavy_share:.0f} %). At 1.2-1.5 cycles per instruction that phase would take "
        f"{1.2 * heavy_share:.0f}-{1.5 * heavy_share:.0f} % of it: the figure to measure on a "
        "board, with the M4's cycle counter (DWT CYCCNT).",
        "",
        "What costs: the caller ID receiver (cg_cid_rx_process: FSK pre-filter, correlators and "
        "UART, the alert tones' filters, and its own DTMF receiver) takes "
        f"{rows['cid_rx Bell 202 MDMF every 1.2 s']['per_sample']:.0f} instructions per sample "
        "alone (the module table above); armed in the engine it takes the port's DTMF "
        "receiver's digits instead of running its own, and adds "
        f"{per_port['caller ID armed'] - per_port['listening']:.0f} to a listening port's "
        f"{per_port['listening']:.0f} (G.711 decode, the DTMF receiver and the engine's own "
        "work). The call-progress tone detector (cg_cpa_tone_process) takes "
        f"{rows['cpa_tone speech']['per_sample']:.0f} alone: one Goertzel filter per "
        "frequency over each 10 ms tick, two ticks joined into a 20 ms window by a turn of the "
        "last tick's result, four filters at a time over the block with their state in "
        "registers.",
        "",
        "## Where the instructions go",
        "",
        "The whole run (all regions above and their setup), per function of the ELF's symbol "
        "table (each translation block counted in the function it starts in; static functions "
        "the compiler inlined count in their caller); the 25 largest:",
        "",
        "| function | instructions | share |",
        "| --- | ---: | ---: |",
    ]
    whole = sum(funcs.values())
    for name, n in sorted(funcs.items(), key=lambda kv: -kv[1])[:25]:
        out.append(f"| {name} | {n:,} | {100 * n / whole:.1f} % |")
    out.append("")
    return "\n".join(out) + "\n", verdict


def main() -> int:
    started = datetime.datetime.now(datetime.timezone.utc)
    if not PLUGIN.exists():
        raise SystemExit(f"bench-mcu: {PLUGIN} is missing: run `make bench-mcu`")
    sig = write_signals()
    elf, shown = build()
    rows, info, overhead, qemu_cmd, funcs = run(elf)
    same = {k: CHECKS.get(k) == host_checksum(x) for k, x in sig.items()}
    info.append("dtmf_rx events identical to the host (x86) build's, start and end samples "
                "included: " + ", ".join(f"{k} {'yes' if v else '**NO**'}" for k, v in same.items()))
    text, verdict = report(rows, info, overhead, shown, qemu_cmd, started, funcs)
    REPORT.write_text(text)
    print(text)
    short = [c for c, r in verdict.items() if r < 2]
    print("bench-mcu: DTMF, callgate needs at most half of spandsp's instructions per sample on "
          + ("every signal class" if not short else "NOT on " + ", ".join(short)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
