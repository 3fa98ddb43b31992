# The bound on a call's time in the IVR (the site's ivr.limit, calls.py): a caller who keys
# nothing in menus that fall back to each other used to stay there until they hung up (a
# trunk held for half an hour); now the call goes to the limit's action, or is hung up after a
# goodbye. Shared: CPython (pytest) and MicroPython (mp_runner.py).

from test_fw_calls_ivr import Board
from test_fw_ivr import bundle

RUNS_ON_MICROPYTHON = True

HOURS_4 = 4 * 3600 * 1000


def looping_site(then=None, steps=30, s=300, bye="goodbye"):
    """main and support fall back to each other: a silent caller goes round them."""
    b = bundle()
    b["ivr"]["menus"]["main"]["fallback"] = {"do": "menu", "to": "support"}
    b["ivr"]["menus"]["support"]["fallback"] = {"do": "menu", "to": "main"}
    b["ivr"]["limit"] = {"steps": steps, "s": s, "then": then or {"do": "hangup"}, "bye": bye}
    return b


def silent_call(b, prompt_ms=2000, until=HOURS_4):
    """Ring port 0; the caller keys nothing and hears each prompt to its end (prompt_ms
    long). Returns the ms at which the board ended
    the call, or None if it was still up at `until`."""
    b.report(0, what="ring", port=0, on=True)
    now, seen, pending = 0, 0, None
    while now < until:
        for c in b.cmd[seen:]:
            if c["port"] != 0:
                continue
            if c["t"] == "play":
                pending = (now + prompt_ms, c["prompt"])
            elif c["t"] in ("stop", "hangup"):
                pending = None
        seen = len(b.cmd)
        states = [v["state"] for v in b.calls_ev() if v["port"] == 0]
        if states and states[-1] == "ended":
            return now
        now += 250
        if pending is not None and now >= pending[0]:
            name, pending = pending[1], None
            b.report(now, what="prompt_done", port=0, prompt=name, reason="complete")
        b.tick(now)
    return None


def _board(site):
    b = Board()
    b.calls.use_site(site, lambda: (2026, 11, 23, 10, 0, 0, 0))
    return b


def _plays(b):
    return [c["prompt"] for c in b.cmd if c["port"] == 0 and c["t"] == "play"]


def test_a_silent_caller_in_menus_that_fall_back_to_each_other_gets_a_goodbye_and_the_line_back():
    b = _board(looping_site())
    ended = silent_call(b)
    assert ended is not None, "the board kept a silent caller in the menus for 4 hours"
    end = b.calls_ev()[-1]
    assert end["state"] == "ended" and end["by"] == "board" and end["reason"] == "ivr-limit", end
    plays = _plays(b)
    assert len(plays) == 30 + 1 and plays[-1] == "goodbye", plays  # 30 IVR prompts, then the goodbye
    assert [c["t"] for c in b.cmd if c["port"] == 0][-3:] == ["stop", "play", "hangup"]
    assert b.ports.state(0) == "idle"
    menus = [v["menu"] for v in b.calls_ev() if v["state"] == "menu"]
    assert menus[:3] == ["main", "support", "main"]


def test_a_limit_without_a_goodbye_hangs_up_at_once():
    b = _board(looping_site(bye=None, steps=5))
    assert silent_call(b) is not None
    assert len(_plays(b)) == 5 and b.calls_ev()[-1]["reason"] == "ivr-limit"


def test_the_seconds_bound_cuts_a_visit_in_the_middle_of_a_prompt():
    """Prompts of 100 s and a 60 s bound: the clock alone ends the visit, mid-prompt; the
    goodbye (100 s here too) then plays to its end."""
    b = _board(looping_site(s=60))
    ended = silent_call(b, prompt_ms=100000)
    assert ended is not None and 160000 <= ended <= 160500, ended
    assert _plays(b) == ["welcome", "goodbye"] and b.calls_ev()[-1]["reason"] == "ivr-limit"


def test_the_limit_sends_the_caller_on_then_hangs_up_the_second_time():
    """then: the operator queue. Its overflow brings the caller back to the menus, where the
    limit (the steps count the whole call) comes again: a goodbye and the hang-up."""
    site = looping_site(then={"do": "operator"})
    site["queues"]["reception"]["max_wait_s"] = 60
    site["queues"]["reception"]["overflow"] = {"do": "menu", "to": "main"}
    b = _board(site)
    assert silent_call(b) is not None
    states = [v["state"] for v in b.calls_ev() if v["port"] == 0]
    assert "queued" in states and states[-1] == "ended", states
    i = states.index("queued")
    assert b.calls_ev()[-1]["reason"] == "ivr-limit" and "menu" in states[i:]
    assert _plays(b)[-1] == "goodbye"


def test_callers_who_key_are_unaffected_below_the_limit():
    b = _board(looping_site())
    b.report(0, what="ring", port=0, on=True)
    b.report(900, what="dtmf", port=0, digit="1")
    assert b.calls_ev()[-1]["state"] == "queued" and b.calls_ev()[-1]["queue"] == "sales"
