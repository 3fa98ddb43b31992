"""Results in a folder: junit.xml for CI, report.html for people, plots/*.png (matplotlib,
Agg), audio/*.wav (what the far end sent in each failing case) and results.json.

    paths = write_report(out_dir, plan, results, info={"board": ..., "firmware": ...})
"""

import datetime
import html
import json
import pathlib
import re
import xml.etree.ElementTree as ET

import numpy as np

from ..dsp.wav import write_wav
from .runner import summary


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", text).strip("_")


def write_report(out, plan, results, info=None) -> dict:
    out = pathlib.Path(out)
    (out / "plots").mkdir(parents=True, exist_ok=True)
    info = dict(info or {})
    for r in results:
        if not r.passed and not r.skipped and r.audio is not None and len(r.audio):
            (out / "audio").mkdir(exist_ok=True)
            r.wav = f"audio/{safe_name(r.case.id)}.wav"
            write_wav(out / r.wav, np.asarray(r.audio, np.int16), 8000, "pcm16")
    plots = _plots(out, results)
    junit = out / "junit.xml"
    _junit(junit, plan, results, info)
    page = out / "report.html"
    page.write_text(_html(plan, results, plots, info))
    (out / "results.json").write_text(json.dumps({
        "plan": plan.name, "info": info, "summary": summary(results),
        "cases": [{"id": r.case.id, "kind": r.case.kind, "status": r.status, "expected": r.expected,
                   "observed": r.observed, "skipped": r.skipped, "seconds": r.seconds, "wav": r.wav,
                   "params": r.case.params, "metrics": r.metrics} for r in results]}, indent=1, default=str))
    return {"junit": junit, "html": page, "plots": plots}


# -- JUnit -------------------------------------------------------------------------------------

def _junit(path, plan, results, info) -> None:
    s = summary(results)
    suite = ET.Element("testsuite", name=f"rig.{plan.name}", tests=str(s["cases"]), failures=str(s["failed"]),
                       errors="0", skipped=str(s["skipped"]), time=f"{s['seconds']:.2f}",
                       timestamp=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
    props = ET.SubElement(suite, "properties")
    for k, v in [("plan", plan.path)] + sorted(info.items()):
        ET.SubElement(props, "property", name=str(k), value=str(v))
    for r in results:
        tc = ET.SubElement(suite, "testcase", classname=f"rig.{plan.name}.{r.case.kind}", name=r.case.id,
                           time=f"{r.seconds:.2f}")
        if r.skipped:
            ET.SubElement(tc, "skipped", message=r.skipped)
        elif not r.passed:
            f = ET.SubElement(tc, "failure", message=f"expected {r.expected}; observed {r.observed}",
                              type="RigFailure")
            f.text = (f"case: {r.case.id} ({plan.path}:{r.case.line})\nexpected: {r.expected}\n"
                      f"observed: {r.observed}\n" + (f"far-end audio: {r.wav}\n" if r.wav else ""))
        if r.events:
            out = ET.SubElement(tc, "system-out")
            out.text = "\n".join(f"{t:7.3f} s  {name} {json.dumps(v)}" for t, name, v in r.events)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


# -- plots -------------------------------------------------------------------------------------

LABELS = {"snr_db": "SNR (dB)", "level_dbm0": "level (dBm0 per tone)", "freq_offset_pct": "frequency offset (%)",
          "twist_db": "twist (dB, high group relative to low)", "on_ms": "tone duration (ms)",
          "off_ms": "pause (ms)"}


def _plots(out, results) -> list:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    groups = {}
    for r in results:
        if r.case.swept and not r.skipped:
            groups.setdefault(r.case.group, []).append(r)
    for group, rs in groups.items():
        param = rs[0].case.swept
        rs = sorted(rs, key=lambda r: r.case.value)
        x = [r.case.value for r in rs]
        y = [100.0 * r.metrics.get("detection_rate", 0.0) for r in rs]
        fig, ax = plt.subplots(figsize=(6.4, 3.4), dpi=100)
        edges = _edges(x)
        for i, (r, xi, yi) in enumerate(zip(rs, x, y)):
            colour = {"detect": "#2a7", "reject": "#c33"}.get(r.case.expect, "#888")
            ax.axvspan(edges[i], edges[i + 1], color=colour, alpha=0.10, lw=0)
            ax.plot([xi], [yi], marker="o" if r.passed else "X", color="#222" if r.passed else "#d00",
                    ms=7 if r.passed else 10, zorder=3)
        ax.plot(x, y, color="#36c", lw=1.5, zorder=2)
        ax.set_ylim(-5, 105)
        ax.set_xlabel(LABELS.get(param, param))
        ax.set_ylabel("digits detected (%)" if rs[0].case.kind == "dtmf" else "caller ID received (%)")
        ax.set_title(f"{group}: detection rate against {LABELS.get(param, param)}", fontsize=10)
        ax.grid(alpha=0.3)
        fig.text(0.01, 0.01, "green band: must detect, red: must reject, grey: not judged; X: failed",
                 fontsize=7, color="#555")
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        name = f"plots/{safe_name(group)}.png"
        fig.savefig(out / name)
        plt.close(fig)
        made.append((group, name))
    flows = [r for r in results if r.case.kind == "flow" and not r.skipped and r.metrics.get("timings")]
    if flows:
        steps = ["ring", "caller-id", "answered", "digits", "hangup", "ended"]
        marks = ["|", "s", "o", "D", "v", "x"]
        releases = [r for r in flows if any("release" in t for t in r.metrics["timings"])]
        fig, axes = plt.subplots(1, 2 if releases else 1, figsize=(9.0, 1.6 + 0.4 * len(flows)), dpi=100,
                                 gridspec_kw={"width_ratios": [3, 1]} if releases else None, squeeze=False)
        ax = axes[0][0]
        for i, r in enumerate(flows):
            for j, step in enumerate(steps):
                ts = [t[step] for t in r.metrics["timings"] if step in t]
                if ts:
                    ax.scatter(ts, [i] * len(ts), s=30, marker=marks[j], color=f"C{j}", label=step,
                               alpha=0.6 if len(ts) > 1 else 1.0)
        ax.set_yticks(range(len(flows)))
        ax.set_yticklabels([r.case.id for r in flows], fontsize=8)
        ax.set_ylim(-0.6, len(flows) - 0.4)
        ax.invert_yaxis()
        ax.set_xlabel("line time since the call began (s)")
        ax.set_title("call-flow steps (the far end's view; each mark a call)", fontsize=10)
        handles, labels = ax.get_legend_handles_labels()
        uniq = dict(zip(labels, handles))
        ax.legend(uniq.values(), uniq.keys(), fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(flows) < 4 else -0.12),
                  ncol=6, frameon=False)
        ax.grid(alpha=0.3, axis="x")
        if releases:
            bx = axes[0][1]
            for i, r in enumerate(flows):
                ms = [1000 * t["release"] for t in r.metrics["timings"] if "release" in t]
                if ms:
                    bx.barh(i, max(ms), color="#c84", alpha=0.5)
                    bx.scatter(ms, [i] * len(ms), s=12, color="#742")
            bx.set_yticks(range(len(flows)))
            bx.set_yticklabels([])
            bx.set_ylim(-0.6, len(flows) - 0.4)
            bx.invert_yaxis()
            bx.set_xlabel("release after the caller hung up (ms)", fontsize=8)
            bx.grid(alpha=0.3, axis="x")
        fig.tight_layout()
        fig.savefig(out / "plots/flow-timings.png")
        plt.close(fig)
        made.append(("call-flow timings", "plots/flow-timings.png"))
    return made


def _edges(xs) -> list:
    """Band edges around sorted values: midway between neighbours, half a step at the ends."""
    if len(xs) < 2:
        return [xs[0] - 0.5, xs[0] + 0.5]
    mids = [(a + b) / 2.0 for a, b in zip(xs, xs[1:])]
    return [xs[0] - (mids[0] - xs[0])] + mids + [xs[-1] + (xs[-1] - mids[-1])]


# -- HTML --------------------------------------------------------------------------------------

_CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;
text-align:left;vertical-align:top;font-size:13px}th{background:#f3f3f3}.pass{color:#175}.FAIL{color:#c00;
font-weight:bold}.skip{color:#888}.fail-box{border-left:4px solid #c00;background:#fff5f5;padding:6px 10px;
margin:8px 0}code{background:#f3f3f3;padding:0 3px}img{max-width:100%;border:1px solid #ddd;margin:6px 0}"""


def _html(plan, results, plots, info) -> str:
    e = html.escape
    s = summary(results)
    verdict = "PASS" if s["failed"] == 0 else "FAIL"
    rows = []
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>rig {e(plan.name)}: {verdict}</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>callgate rig: plan <code>{e(plan.name)}</code> — <span class='{'pass' if verdict == 'PASS' else 'FAIL'}'>"
             f"{verdict}</span></h1>",
             f"<p>{e(plan.description)}</p>",
             f"<p><b>{s['passed']}</b> passed, <b>{s['failed']}</b> failed, <b>{s['skipped']}</b> skipped of "
             f"{s['cases']} cases in {s['seconds']} s. Plan <code>{e(plan.path)}</code>. "
             + ", ".join(f"{e(str(k))}: <code>{e(str(v))}</code>" for k, v in sorted(info.items())) + "</p>"]
    failed = [r for r in results if not r.passed and not r.skipped]
    if failed:
        parts.append("<h2>Failures</h2>")
        for r in failed:
            audio = (f"<br>far-end audio: <a href='{e(r.wav)}'>{e(r.wav)}</a> <audio controls src='{e(r.wav)}'></audio>"
                     if r.wav else "")
            parts.append(f"<div class='fail-box'><b>{e(r.case.id)}</b> ({e(plan.path)}:{r.case.line})<br>"
                         f"expected: {e(r.expected)}<br>observed: {e(r.observed)}{audio}</div>")
    if plots:
        parts.append("<h2>Plots</h2>")
        for title, name in plots:
            parts.append(f"<h3>{e(title)}</h3><img src='{e(name)}' alt='{e(title)}'>")
    parts.append("<h2>All cases</h2><table><tr><th>case</th><th>kind</th><th>result</th><th>expected</th>"
                 "<th>observed</th><th>s</th></tr>")
    for r in results:
        obs = e(r.skipped) if r.skipped else e(r.observed)
        if r.wav:
            obs += f" <a href='{e(r.wav)}'>[wav]</a>"
        rows.append(f"<tr><td>{e(r.case.id)}</td><td>{e(r.case.kind)}</td><td class='{r.status}'>{r.status}</td>"
                    f"<td>{e(r.expected)}</td><td>{obs}</td><td>{r.seconds}</td></tr>")
    parts += rows + ["</table>", "<p>JUnit: <a href='junit.xml'>junit.xml</a>; data: "
                     "<a href='results.json'>results.json</a></p></body></html>"]
    return "\n".join(parts)
