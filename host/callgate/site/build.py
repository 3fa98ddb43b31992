"""Compile a valid Site into what a board loads: `site.json` and `prompts/NAME.wav`.

site.json (the "site bundle", BUNDLE_VERSION: firmware/callgate/bundle.py's VERSION, the one
number both sides read) is compact and holds only what the firmware needs, with every default
filled in here: the firmware keeps no defaults of its own, and refuses a bundle missing a
field it reads (bundle.check(), which lists them by part):

    {"v": 2, "site": "demo", "board": "virtual-8", "law": "ulaw",
     "ports": [{"n": 0, "kind": "fxo", "name": "trunk1", "plan": "CN", "cid": "bell202", "cid_start": "ring-end",
                "disconnect": ["loop-drop", "reversal", "busy"], "rings": 2, "menu": "main",
                "out": {"allow": false, "prefix": "", "no_answer_ms": 30000, "pulse": false}},
               {"n": 5, "kind": "fxs", "name": "desk1", "agent": "Alice", "ext": "201", "skills": ["sales"]}],
     "ivr": {"start": "main", "after": "closed", "operator": "reception",
             "limit": {"steps": 30, "s": 300, "then": {"do": "operator"}, "bye": null},
             "menus": {"main": {"prompt": "welcome", "barge": true, "ms": 5000, "retries": 2,
                                "invalid": "invalid", "timeout": "noinput",
                                "fallback": {"do": "operator"},
                                "keys": {"1": {"do": "queue", "to": "sales"}, ...}}}},
     "hours": {"offset_min": 480, "week": [[[480, 1080]], ...7 days from Monday...],
               "closed": ["2026-12-25"]} or null,
     "queues": {"sales": {"skills": ["sales"], "strategy": "longest-idle", "hold": "hold",
                          "positions": ["position_1", "position_2"], "announce_s": 30,
                          "max_wait_s": 120, "overflow": {"do": "queue", "to": "reception"},
                          "ring_s": 15, "wrap_s": 10, "record": null}},
     "survey": {"questions": [{"id": "satisfaction", "prompt": "survey_q1", "min": 1, "max": 5}],
                "intro": "survey_intro", "thanks": "thanks", "ms": 5000} or null,
     "recording": {"mode": "sample", "percent": 20, "announce": "recorded", "days": 90},
     "callbacks": {"queue": null, "machine": "leave",
                   "retry": {"busy": [120000, 3], "no-answer": [600000, 2], ...}} or null,
     "agents": {"start": "ready", "auto_pause": 3, "flash_ms": 800, "outside": "9",
                "codes": {"login": "*1", "ready": "*3", "pause": "*2", "disposition": "*4"},
                "reasons": {"1": "lunch", "2": "training"}, "dispositions": {"1": "resolved"}},
     "prompts": {"welcome": {"file": "prompts/welcome.wav", "ms": 1620}}}

Actions (menu keys and fallbacks, queue overflows):

    {"do": "menu", "to": MENU}       {"do": "queue", "to": QUEUE}
    {"do": "play", "prompt": P, "then": "menu" | "hangup"}
    {"do": "callback", "prompt": P, "then": P2 | null}   ask for a number ended by #; P2 after it
    {"do": "voicemail", "prompt": P, "max_s": 60}   P, then record the caller up to max_s or #
    {"do": "repeat"}  {"do": "operator"}  {"do": "hangup"}

IVR limit: a call hears at most "steps" IVR prompts in all and stays at most "s" seconds in
one visit to the menus; then the board does "then" (default: the operator queue, or a hang-up
in a site without one), or hangs up after the "bye" prompt (null: none) when "then" is a
hang-up or the limit comes a second time (firmware/callgate/calls.py).

Queues: "strategy" is ring-all | longest-idle | round-robin | fewest-calls; "hold" a prompt or
null; "positions" the position prompts (the i-th for the i-th caller, the last beyond; [] for
none), announced every "announce_s"; "ring_s" how long an agent rings before the next is
tried; "wrap_s" the agent's rest after a call; "record" true (always), false (never) or null
(the site's recording policy). Survey: null when the site has none or it is not enabled;
"ms" the wait for each answer's key. Recording: "percent" of calls recorded (0 for none, 100
for all). Prompts are converted to 8 kHz mono G.711 in the board's law (resampled when needed).
Callbacks: null when the site turns them off; "queue" where the numbers wait (null: the queue
the caller waited in, else the operator queue); "machine" leave (bridge the agent to it) or
retry; "retry" outcome -> [ms to wait, most attempts in all] (firmware/callgate/callbacks.py).
Agents: "start" how an agent with no past begins (ready, or logged-out); "auto_pause" offers
an agent may let ring out in a row before being paused (reason no-answer; 0: never); "codes"
the feature codes (null: none); "reasons" and "dispositions" code -> name
(firmware/callgate/agents.py); "flash_ms" the longest on-hook that is a hook flash (0: none),
"outside" the prefix that, keyed after a flash, transfers to an outside number (null: none;
firmware/callgate/calls.py).
"""

import json
import os
import pathlib

from ..dsp.wav import read_wav, resample, write_wav
from ..firmware.bundle import VERSION as BUNDLE_VERSION
from .schema import DAYS, SURVEY_MAX, SURVEY_MIN

BUNDLE_FILE = "site.json"
RATE = 8000
DEFAULT_MS = 5000  # a menu's or the survey's wait for a key
DEFAULT_RETRIES = 2
DEFAULT_MAX_WAIT_S = 300
DEFAULT_ANNOUNCE_S = 30
DEFAULT_RING_S = 15
DEFAULT_WRAP_S = 10
DEFAULT_VOICEMAIL_S = 60
DEFAULT_RETENTION_DAYS = 90
DEFAULT_LIMIT_STEPS = 30  # prompts the IVR may play to one call
DEFAULT_LIMIT_S = 300  # seconds one visit to the menus may last
DEFAULT_CODES = {"login": "*1", "pause": "*2", "ready": "*3", "disposition": "*4",
                 "listen": "*51", "whisper": "*52", "barge": "*53"}
# Callbacks: (after_s, attempts) per outcome of an attempt, where the site does not say
DEFAULT_RETRY = {"busy": (120, 3), "no-answer": (600, 2), "congestion": (120, 3), "no-dial-tone": (60, 3),
                 "no-result": (120, 2), "machine": (600, 2), "cut": (60, 3)}


def _action(a):
    kind = a["action"]
    out = {"do": kind}
    if kind in ("menu", "queue"):
        out["to"] = a[kind]
    if kind == "play":
        out["prompt"] = a["prompt"]
        out["then"] = a.get("then", "menu")
    if kind == "callback":
        out["prompt"] = a["prompt"]
        out["then"] = a.get("then_prompt")
    if kind == "voicemail":
        out["prompt"] = a["prompt"]
        out["max_s"] = a.get("max_s", DEFAULT_VOICEMAIL_S)
    return out


def _queue(q):
    return {
        "skills": q.get("skills", []),
        "strategy": q.get("strategy", "longest-idle"),
        "hold": q.get("hold_prompt"),
        "positions": q.get("position_prompts", []),
        "announce_s": q.get("announce_every_s", DEFAULT_ANNOUNCE_S),
        "max_wait_s": q.get("max_wait_s", DEFAULT_MAX_WAIT_S),
        "overflow": _action(q.get("overflow", {"action": "hangup"})),
        "ring_s": q.get("ring_timeout_s", DEFAULT_RING_S),
        "wrap_s": q.get("wrap_up_s", DEFAULT_WRAP_S),
        "record": q.get("record"),
        "ext": q.get("extension"),
    }


def _survey(s):
    if s is None or not s.get("enabled", True):
        return None
    return {
        "questions": [{"id": q["id"], "prompt": q["prompt"], "min": q.get("min", SURVEY_MIN),
                       "max": q.get("max", SURVEY_MAX)} for q in s["questions"]],
        "intro": s.get("intro_prompt"),
        "thanks": s.get("thanks_prompt"),
        "ms": s.get("timeout_ms", DEFAULT_MS),
    }


def _callbacks(c):
    if not c.get("enabled", True):
        return None
    retry = {o: list(v) for o, v in DEFAULT_RETRY.items()}
    for o, r in c.get("retry", {}).items():
        retry[o] = [r["after_s"], r["attempts"]]
    return {"queue": c.get("queue"), "machine": c.get("machine", "leave"),
            "retry": {o: [1000 * s, n] for o, (s, n) in sorted(retry.items())}}


def _recording(r):
    mode = r["mode"]
    percent = r["sample_percent"] if mode == "sample" else (100 if mode == "all" else 0)
    return {"mode": mode, "percent": percent, "announce": r.get("announce_prompt"),
            "days": r.get("retention_days", DEFAULT_RETENTION_DAYS)}


def _agents(a):
    codes = dict(DEFAULT_CODES, **a.get("feature_codes", {}))
    return {
        "start": a.get("start", "ready"),
        "auto_pause": a.get("auto_pause", 0),
        "flash_ms": a.get("flash_ms", 0),
        "outside": a.get("outside_prefix"),
        "codes": codes,
        "reasons": {r["code"]: r["name"] for r in a.get("pause_reasons", [])},
        "dispositions": {r["code"]: r["name"] for r in a.get("dispositions", [])},
    }


def _offset_min(text):
    sign = -1 if text[0] == "-" else 1
    h, m = text[1:].split(":")
    return sign * (int(h) * 60 + int(m))


def _range(r):
    a, b = r.split("-")
    return [int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:])]


def bundle(site) -> dict:
    """The site bundle (a dict, JSON-ready) of a valid Site; prompt lengths come from
    converting the prompts (build() fills them in)."""
    d = site.data
    ivr = d["ivr"]
    ports = []
    for p in d["ports"]:
        if p["kind"] == "fxo":
            cid = p.get("callerid", {})
            ports.append({
                "n": p["port"], "kind": "fxo", "name": p.get("name", ""), "plan": p.get("plan", "US"),
                "cid": cid.get("format", "bell202"), "cid_start": cid.get("start", "ring-end"),
                "disconnect": p.get("disconnect", ["loop-drop", "reversal", "busy"]),
                "rings": p.get("answer_rings", 2), "menu": p.get("menu", ivr["start"]),
                "out": {"allow": p.get("outbound", {}).get("allow", False),
                        "prefix": p.get("outbound", {}).get("prefix", ""),
                        "no_answer_ms": 1000 * p.get("outbound", {}).get("no_answer_s", 30),
                        "pulse": p.get("outbound", {}).get("dialing") == "pulse"},
            })
        else:
            a = p["agent"]
            ports.append({"n": p["port"], "kind": "fxs", "name": p.get("name", ""), "agent": a["name"],
                          "ext": a["extension"],
                          "skills": a.get("skills", []), "supervisor": a.get("supervisor", False)})
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
    queues = {name: _queue(q) for name, q in d.get("queues", {}).items()}
    limit = ivr.get("limit", {})
    default_then = {"action": "operator"} if "operator" in ivr else {"action": "hangup"}
    return {
        "v": BUNDLE_VERSION,
        "site": d["site"],
        "board": d["board"],
        "law": site.law,
        "ports": ports,
        "ivr": {"start": ivr["start"], "after": ivr.get("after_hours"), "operator": ivr.get("operator"),
                "limit": {"steps": limit.get("steps", DEFAULT_LIMIT_STEPS), "s": limit.get("seconds", DEFAULT_LIMIT_S),
                          "then": _action(limit.get("then", default_then)), "bye": limit.get("goodbye_prompt")},
                "menus": menus},
        "hours": hours,
        "queues": queues,
        "survey": _survey(d.get("survey")),
        "callbacks": _callbacks(d.get("callbacks", {})),
        "recording": _recording(d.get("recording", {"mode": "none"})),
        "agents": _agents(d.get("agents", {})),
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
