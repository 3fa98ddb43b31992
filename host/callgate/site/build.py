"""Compile a valid Site into what a board loads: `site.json` and `prompts/NAME.wav`.

site.json (the "site bundle", BUNDLE_VERSION) is compact and holds only what the firmware
needs, with every default filled in, so firmware/callgate/ivr.py never guesses:

    {"v": 1, "site": "demo", "board": "virtual-4", "law": "ulaw",
     "ports": [{"n": 0, "kind": "fxo", "plan": "CN", "cid": "bell202", "cid_start": "ring-end",
                "disconnect": ["loop-drop", "reversal", "busy"], "rings": 2, "menu": "main"},
               {"n": 2, "kind": "fxs", "agent": "Alice", "ext": "201", "skills": ["sales"]}],
     "ivr": {"start": "main", "after": "closed", "operator": "operator",
             "menus": {"main": {"prompt": "welcome", "barge": true, "ms": 5000, "retries": 2,
                                "invalid": "invalid", "timeout": "noinput",
                                "fallback": {"do": "operator"},
                                "keys": {"1": {"do": "queue", "to": "sales"}, ...}}}},
     "hours": {"offset_min": 480, "week": [[[480, 1080]], ...7 days from Monday...],
               "closed": ["2026-12-25"]} or null,
     "queues": {...}, "survey": {...} or null, "recording": {...},
     "prompts": {"welcome": {"file": "prompts/welcome.wav", "ms": 1620}}}

Actions are {"do": menu|queue|play|repeat|operator|hangup, "to": menu or queue name,
"prompt": name, "then": "menu"|"hangup"}. Prompts are converted to 8 kHz mono G.711 in the
board's law (resampled when needed).
"""

import json
import os
import pathlib

from ..dsp.wav import read_wav, resample, write_wav
from .schema import DAYS

BUNDLE_VERSION = 1
BUNDLE_FILE = "site.json"
RATE = 8000
DEFAULT_MS = 5000
DEFAULT_RETRIES = 2


def _action(a):
    kind = a["action"]
    out = {"do": kind}
    if kind in ("menu", "queue"):
        out["to"] = a[kind]
    if kind == "play":
        out["prompt"] = a["prompt"]
        out["then"] = a.get("then", "menu")
    return out


def _offset_min(text):
    sign = -1 if text[0] == "-" else 1
    h, m = text[1:].split(":")
    return sign * (int(h) * 60 + int(m))


def _range(r):
    a, b = r.split("-")
    return [int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:])]


def bundle(site) -> dict:
    """The site bundle (a dict, JSON-ready) of a valid Site; prompt lengths come from
    `prompt_ms` once the prompts are converted (build() fills them in)."""
    d = site.data
    ivr = d["ivr"]
    ports = []
    for p in d["ports"]:
        if p["kind"] == "fxo":
            cid = p.get("callerid", {})
            ports.append({
                "n": p["port"], "kind": "fxo", "plan": p.get("plan", "US"),
                "cid": cid.get("format", "bell202"), "cid_start": cid.get("start", "ring-end"),
                "disconnect": p.get("disconnect", ["loop-drop", "reversal", "busy"]),
                "rings": p.get("answer_rings", 2), "menu": p.get("menu", ivr["start"]),
            })
        else:
            a = p["agent"]
            ports.append({"n": p["port"], "kind": "fxs", "agent": a["name"], "ext": a["extension"],
                          "skills": a.get("skills", [])})
    menus = {}
    for name, m in ivr["menus"].items():
        menus[name] = {
            "prompt": m["prompt"],
            "barge": m.get("barge_in", True),
            "ms": m.get("timeout_ms", DEFAULT_MS),
            "retries": m.get("retries", DEFAULT_RETRIES),
            "invalid": m.get("invalid_prompt"),
            "timeout": m.get("timeout_prompt"),
            "fallback": _action(m.get("fallback", {"action": "hangup"})),
            "keys": {k: _action(a) for k, a in sorted(m.get("options", {}).items())},
        }
    hours = None
    if "hours" in d:
        h = d["hours"]
        week = [sorted(_range(r) for r in h["weekly"].get(day, [])) for day in DAYS]
        hours = {"offset_min": _offset_min(h.get("utc_offset", "+00:00")), "week": week,
                 "closed": sorted(h.get("closed", []))}
    queues = {}
    for name, q in d.get("queues", {}).items():
        queues[name] = {"skills": q.get("skills", []), "strategy": q.get("strategy", "longest-idle"),
                        "hold": q.get("hold_prompt"), "max_wait_s": q.get("max_wait_s", 300),
                        "overflow": _action(q.get("overflow", {"action": "hangup"}))}
    rec = d.get("recording", {"mode": "none"})
    return {
        "v": BUNDLE_VERSION,
        "site": d["site"],
        "board": d["board"],
        "law": site.law,
        "ports": ports,
        "ivr": {"start": ivr["start"], "after": ivr.get("after_hours"), "operator": ivr.get("operator"),
                "menus": menus},
        "hours": hours,
        "queues": queues,
        "survey": d.get("survey") if d.get("survey", {}).get("enabled", True) else None,
        "recording": {"mode": rec["mode"], "percent": rec.get("sample_percent", 100 if rec["mode"] == "all" else 0),
                      "announce": rec.get("announce_prompt"), "days": rec.get("retention_days", 90)},
        "prompts": {name: {"file": f"prompts/{name}.wav"} for name in sorted(d["prompts"])},
    }


def convert_prompt(src, dst, law) -> int:
    """One prompt WAV (any rate, channels, encoding read_wav reads) -> 8 kHz mono G.711 in
    law at dst; returns its length in ms."""
    wav = read_wav(src)
    samples = resample(wav.samples, wav.sample_rate, RATE)  # also mixes down to mono
    write_wav(dst, samples, RATE, law)
    return len(samples) * 1000 // RATE


def build(site, out_dir) -> dict:
    """Write out_dir/site.json and out_dir/prompts/*.wav; return the bundle."""
    out = pathlib.Path(out_dir)
    (out / "prompts").mkdir(parents=True, exist_ok=True)
    b = bundle(site)
    for name in sorted(site.data["prompts"]):
        b["prompts"][name]["ms"] = convert_prompt(site.prompt_path(name), out / "prompts" / f"{name}.wav", site.law)
    text = json.dumps(b, separators=(",", ":"), sort_keys=True)
    tmp = out / (BUNDLE_FILE + ".tmp")
    tmp.write_text(text + "\n")
    os.replace(tmp, out / BUNDLE_FILE)
    return b
