# The IVR engine (firmware/callgate/ivr.py) on a small compiled site. Shared: CPython (pytest)
# and MicroPython (mp_runner.py). tests/site/test_ivr_bundle.py runs it on the demo site as
# the host compiles it.

import fw

Ivr = fw.module("ivr").Ivr
_bundle = fw.module("bundle")
VERSION, SiteBundleError, check = _bundle.VERSION, _bundle.SiteBundleError, _bundle.check

RUNS_ON_MICROPYTHON = True


def _menu(prompt, fallback, keys, barge=True, ms=5000, retries=2, invalid=None, timeout=None):
    return {"prompt": prompt, "barge": barge, "ms": ms, "retries": retries, "invalid": invalid,
            "timeout": timeout, "fallback": fallback, "keys": keys}


def _queue(skills, strategy, overflow=None, max_wait_s=300):
    return {"skills": skills, "strategy": strategy, "hold": "hold", "positions": [], "announce_s": 30,
            "max_wait_s": max_wait_s, "overflow": overflow or {"do": "hangup"}, "ring_s": 15, "wrap_s": 10,
            "record": None, "ext": None}


def _trunk(n, menu):
    return {"n": n, "kind": "fxo", "name": "fxo%d" % (n + 1), "plan": "US", "cid": "bell202",
            "cid_start": "ring-end", "disconnect": ["loop-drop", "reversal", "busy"], "rings": 1, "menu": menu}


def bundle():
    """A whole bundle, every field filled in as the host's build does (bundle.check())."""
    return {
        "v": 4,
        "site": "test",
        "law": "ulaw",
        "ports": [_trunk(0, "main"), _trunk(1, "support")],
        "ivr": {
            "start": "main",
            "after": "closed",
            "operator": "reception",
            "limit": {"steps": 30, "s": 300, "then": {"do": "operator"}, "bye": None},
            "menus": {
                "main": _menu("welcome", {"do": "operator"},
                              {"1": {"do": "queue", "to": "sales"}, "2": {"do": "menu", "to": "support"},
                               "3": {"do": "play", "prompt": "hours", "then": "menu"},
                               "9": {"do": "repeat"}, "0": {"do": "operator"}, "*": {"do": "hangup"}},
                              invalid="invalid", timeout="noinput"),
                "support": _menu("support", {"do": "queue", "to": "support"},
                                 {"1": {"do": "queue", "to": "support"}, "#": {"do": "menu", "to": "main"}},
                                 ms=4000, retries=1, invalid="invalid"),
                "closed": _menu("closed", {"do": "hangup"},
                                {"3": {"do": "play", "prompt": "hours", "then": "hangup"}}, barge=False),
                "notice": _menu("notice", {"do": "queue", "to": "sales"}, {}, barge=False, retries=0),
            },
        },
        "queues": {
            "sales": _queue(["sales"], "longest-idle", {"do": "queue", "to": "reception"}),
            "support": _queue(["support"], "round-robin", max_wait_s=600),
            "reception": _queue(["support"], "ring-all"),
        },
        "hours": {"offset_min": 480, "week": [[[540, 720], [780, 1080]]] * 5 + [[[600, 840]], []],
                  "closed": ["2026-12-25"]},
        "survey": None,
        "recording": {"mode": "none", "percent": 0, "announce": None, "days": 90},
        "agents": {"start": "ready", "auto_pause": 0, "flash_ms": 0, "outside": None,
                   "codes": {"login": "*1", "ready": "*3", "pause": "*2", "disposition": "*4",
                             "listen": "*51", "whisper": "*52", "barge": "*53"},
                   "reasons": {"1": "lunch", "2": "training", "31": "callback"},
                   "dispositions": {}},
    }


# Local times: (year, month, day, hour, minute, second, weekday 0=Mon)
MON_10 = (2026, 11, 23, 10, 0, 0, 0)
MON_1230 = (2026, 11, 23, 12, 30, 0, 0)
SUN_10 = (2026, 11, 29, 10, 0, 0, 6)
XMAS_10 = (2026, 12, 25, 10, 0, 0, 4)


def run(ivr, s, *events):
    """Feed events ("start", tm) / ("digit", d) / ("done", name) / ("timeout",); return actions."""
    out = []
    for e in events:
        if e[0] == "start":
            ivr.start(s, e[1], out)
        elif e[0] == "digit":
            ivr.digit(s, e[1], out)
        elif e[0] == "done":
            ivr.prompt_done(s, e[1], e[2] if len(e) > 2 else "complete", out)
        else:
            ivr.timeout(s, out)
    return out


def test_a_key_after_the_prompt_enqueues():
    ivr = Ivr(bundle())
    s = ivr.session(0)
    out = run(ivr, s, ("start", MON_10), ("done", "welcome"), ("digit", "1"))
    assert out == [("menu", "main"), ("play", "welcome", True), ("wait", 5000), ("wait", 0), ("queue", "sales")]
    assert s.state == "done" and s.result == ("queue", "sales")


def test_barge_in_submenu_and_back():
    ivr = Ivr(bundle())
    s = ivr.session(0)
    out = run(ivr, s, ("start", MON_10), ("digit", "2"), ("done", "welcome", "barge-in"), ("done", "support"),
              ("digit", "#"))
    assert out == [("menu", "main"), ("play", "welcome", True), ("stop",), ("menu", "support"),
                   ("play", "support", True), ("wait", 4000), ("wait", 0), ("menu", "main"), ("play", "welcome", True)]
    assert s.menu.name == "main" and s.tries == 0


def test_invalid_keys_retry_then_fall_back():
    ivr = Ivr(bundle())
    s = ivr.session(0)
    out = run(ivr, s, ("start", MON_10), ("done", "welcome"), ("digit", "7"))
    assert out[-2:] == [("wait", 0), ("play", "invalid", True)] and s.tries == 1
    out = run(ivr, s, ("done", "invalid"), ("done", "welcome"), ("digit", "8"), ("done", "invalid"),
              ("done", "welcome"), ("digit", "5"))
    assert out == [("play", "welcome", True), ("wait", 5000), ("wait", 0), ("play", "invalid", True),
                   ("play", "welcome", True), ("wait", 5000), ("wait", 0), ("operator", "reception")]
    assert s.state == "done"


def test_timeouts_use_their_prompt_and_a_menu_without_one_replays():
    ivr = Ivr(bundle())
    s = ivr.session(0)
    out = run(ivr, s, ("start", MON_10), ("done", "welcome"), ("timeout",))
    assert out[-1] == ("play", "noinput", True)
    s = ivr.session(1)  # support: no timeout prompt, 1 retry, fallback to its queue
    out = run(ivr, s, ("start", MON_10), ("done", "support"), ("timeout",), ("done", "support"), ("timeout",))
    assert out == [("menu", "support"), ("play", "support", True), ("wait", 4000), ("play", "support", True),
                   ("wait", 4000), ("queue", "support")]


def test_repeat_does_not_count_a_try_and_play_returns_to_the_menu():
    ivr = Ivr(bundle())
    s = ivr.session(0)
    out = run(ivr, s, ("start", MON_10), ("done", "welcome"), ("digit", "9"), ("done", "welcome"), ("digit", "3"),
              ("done", "hours"))
    assert out[3:] == [("wait", 0), ("play", "welcome", True), ("wait", 5000), ("wait", 0),
                       ("play", "hours", True), ("play", "welcome", True)]
    assert s.tries == 0 and s.state == "playing"


def test_hang_up_key_and_stale_events_are_ignored():
    ivr = Ivr(bundle())
    s = ivr.session(0)
    out = run(ivr, s, ("start", MON_10), ("done", "welcome"), ("digit", "*"))
    assert out[-1] == ("hangup", "menu")
    assert run(ivr, s, ("digit", "1"), ("timeout",), ("done", "welcome")) == []  # the call is done
    s2 = ivr.session(0)
    out = run(ivr, s2, ("start", MON_10), ("timeout",), ("done", "other"))
    assert out == [("menu", "main"), ("play", "welcome", True)]  # no timer runs yet; not its prompt


def test_after_hours_and_closed_dates():
    ivr = Ivr(bundle())
    assert ivr.is_open(MON_10) and not ivr.is_open(MON_1230) and not ivr.is_open(SUN_10)
    assert not ivr.is_open(XMAS_10) and ivr.is_open(None)
    assert ivr.is_open((2026, 11, 28, 13, 59, 0, 5)) and not ivr.is_open((2026, 11, 28, 14, 0, 0, 5))
    s = ivr.session(1)
    out = run(ivr, s, ("start", SUN_10))
    assert out == [("menu", "closed"), ("play", "closed", False)]
    assert run(ivr, s, ("digit", "3")) == []  # no barge-in in this menu
    out = run(ivr, s, ("done", "closed"), ("digit", "3"), ("digit", "3"), ("done", "hours"))
    assert out == [("wait", 5000), ("wait", 0), ("play", "hours", False), ("hangup", "after-play")]


def test_a_play_in_a_menu_without_barge_in_cannot_be_cut():
    b = bundle()
    b["ivr"]["menus"]["closed"]["keys"]["3"]["then"] = "menu"
    ivr = Ivr(b)
    s = ivr.session(1)
    out = run(ivr, s, ("start", SUN_10), ("done", "closed"), ("digit", "3"), ("digit", "3"), ("done", "hours"))
    assert out[-3:] == [("wait", 0), ("play", "hours", False), ("play", "closed", False)]


def test_a_menu_without_keys_does_its_fallback_after_its_prompt():
    b = bundle()
    b["ports"][0]["menu"] = "notice"
    ivr = Ivr(b)
    s = ivr.session(0)
    out = run(ivr, s, ("start", MON_10), ("done", "notice"))
    assert out == [("menu", "notice"), ("play", "notice", False), ("queue", "sales")]


def test_sessions_are_reused_and_made_at_load():
    ivr = Ivr(bundle())
    assert sorted(ivr.sessions) == [0, 1]
    s = ivr.session(0)
    run(ivr, s, ("start", MON_10), ("done", "welcome"), ("digit", "1"))
    ivr.stop(s)
    assert s.state == "idle"
    out = run(ivr, s, ("start", MON_10))
    assert out == [("menu", "main"), ("play", "welcome", True)] and s.result is None and ivr.session(0) is s


def _refusal(b):
    """Why a bundle is refused at load (bundle.load's checks), or None."""
    try:
        check(b)
        Ivr(b)
    except SiteBundleError as e:
        return str(e)
    return None


def test_bad_bundles_are_refused_at_load():
    for change in ("version", "start", "target", "action"):
        b = bundle()
        if change == "version":
            b["v"] = 1
        elif change == "start":
            b["ivr"]["start"] = "nope"
        elif change == "target":
            b["ivr"]["menus"]["main"]["keys"]["2"]["to"] = "nope"
        else:
            b["ivr"]["menus"]["main"]["keys"]["2"]["do"] = "dance"
        assert _refusal(b), "accepted a bad bundle: " + change
    assert _refusal(bundle()) is None
    b = bundle()
    b["v"] = 1
    assert _refusal(b) == "site bundle version 1, this firmware reads version %d" % VERSION


def test_a_bundle_missing_a_field_is_refused_naming_it_and_the_version():
    """The firmware has no defaults of its own: the host's build fills every field in."""
    for path in (("ports", 0, "rings"), ("ivr", "menus", "main", "retries"), ("queues", "sales", "ring_s"),
                 ("ivr", "menus", "main", "keys", "1", "to"), ("recording", "days"), ("ivr", "operator"),
                 ("hours", "offset_min"), ("queues", "support", "overflow", "do"), ("survey",),
                 ("agents", "auto_pause"), ("agents", "codes", "pause")):
        b = bundle()
        d = b
        for k in path[:-1]:
            d = d[k]
        del d[path[-1]]
        want = "site bundle v%d: %s missing" % (VERSION, ".".join(
            ("[%d]" % k) if isinstance(k, int) else k for k in path).replace(".[", "["))
        assert _refusal(b) == want, (_refusal(b), want)


def test_events_allocate_nothing_under_heap_lock():
    try:
        import micropython

        lock, unlock = micropython.heap_lock, micropython.heap_unlock
    except (ImportError, AttributeError):
        import pytest

        pytest.skip("heap_lock is MicroPython's")
    ivr = Ivr(bundle())
    s = ivr.session(0)
    out = []
    for _ in range(40):
        out.append(None)
    del out[:]  # room for the actions, so the appends below do not grow the list
    ivr.start(s, MON_10, out)
    del out[:]
    lock()
    try:
        ivr.prompt_done(s, "welcome", "complete", out)
        ivr.digit(s, "7", out)
        ivr.prompt_done(s, "invalid", "complete", out)
        ivr.prompt_done(s, "welcome", "complete", out)
        ivr.timeout(s, out)
        ivr.digit(s, "2", out)
        ivr.digit(s, "1", out)
    finally:
        unlock()
    assert out[-1] == ("queue", "support"), out


IVR_BUDGET = 6 * 1024  # bytes: the small site above, loaded (3.7 KB on the 64-bit Unix port)


def _mem_alloc():
    import gc

    if not hasattr(gc, "mem_alloc"):
        import pytest

        pytest.skip("gc.mem_alloc is MicroPython's")
    gc.collect()
    return gc.mem_alloc()


def test_a_loaded_site_fits_the_budget_and_calls_leave_nothing_behind():
    b = bundle()
    before = _mem_alloc()
    ivr = Ivr(b)
    used = _mem_alloc() - before
    print("ivr: a loaded site takes %d bytes" % used)
    assert used < IVR_BUDGET, "a loaded site takes %d bytes (budget %d)" % (used, IVR_BUDGET)
    s = ivr.session(0)
    out = []
    events = (("start", MON_10), ("done", "welcome"), ("digit", "7"), ("done", "invalid"), ("done", "welcome"),
              ("timeout",), ("done", "noinput"), ("digit", "2"), ("done", "support"), ("digit", "1"))
    run(ivr, s, *events)
    settled = _mem_alloc()
    for _ in range(30):
        out = run(ivr, s, *events)
    grew = _mem_alloc() - settled
    assert out[-1] == ("queue", "support") and grew < 512, "30 calls left %d bytes behind" % grew
