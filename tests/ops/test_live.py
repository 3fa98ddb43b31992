"""The live floor from events (no board): waiting callers per queue, agents' states, pops,
and two boards that answer with one id refused."""

from callgate.link.client import Event
from callgate.firmware.link import messages
from callgate.ops.live import Floor


def ev(n, kind, **value):
    return Event(n, kind, value)


def test_a_call_waits_in_its_queue_until_connected_and_agents_follow_their_events():
    f = Floor()
    seen = []
    f.listen(seen.append)
    f.board_up("b", "/dev/x", {"calls": [], "agents": [{"port": 5, "ext": "201", "state": "idle", "calls": 0}]})
    f.event("b", ev(1, messages.EV_CALL, port=0, call=1, state="ringing"), 7)
    f.event("b", ev(2, messages.EV_CALL, port=0, call=1, state="queued", queue="sales", position=1), 7)
    s = f.snapshot()
    assert s["waiting"] == [{"queue": "sales", "waiting": 1, "longest_wait_s": s["waiting"][0]["longest_wait_s"]}]
    f.event("b", ev(3, messages.EV_AGENT, port=5, ext="201", name="Alice", state="ringing", call=1), 7)
    f.event("b", ev(4, messages.EV_POP, port=5, ext="201", agent="Alice", call=1, trunk=0, number="555", name="X",
                    ivr=[["main", "1"]], queue="sales", waited_ms=10), 7)
    assert f.snapshot()["waiting_total"] == 1 and f.pop_for("201")["board_boot"] == 7
    f.event("b", ev(5, messages.EV_CALL, port=0, call=1, state="connected", agent="201"), 7)
    f.event("b", ev(6, messages.EV_AGENT, port=5, ext="201", name="Alice", state="talking", call=1), 7)
    s = f.snapshot()
    assert s["waiting_total"] == 0 and s["agents"][0]["state"] == "talking" and s["agents"][0]["calls"] == 1
    f.event("b", ev(7, messages.EV_CALL, port=0, call=1, state="ended", by="caller", reason="loop-drop"), 7)
    assert f.snapshot()["calls"] == []
    assert [m["type"] for m in seen].count("pop") == 1


def test_two_boards_with_one_id_are_not_mixed():
    f = Floor()
    assert f.claim("virtual-8", "/dev/pts/1") is None
    assert f.claim("virtual-8", "/dev/pts/1") is None  # the same port again (a reconnect)
    assert f.claim("virtual-8", "/dev/pts/2") == "/dev/pts/1"
    assert [(r["port"], r["board"], r["holder"]) for r in f.snapshot()["refused"]] == [
        ("/dev/pts/2", "virtual-8", "/dev/pts/1")]
    f.board_down("virtual-8")
    assert f.claim("virtual-8", "/dev/pts/2") == "/dev/pts/1"  # the first port keeps the id, up or down
    assert f.claim("virtual-8", "/dev/pts/1") is None and f.snapshot()["boards"][0]["up"]
    assert f.claim("other", "/dev/pts/2") is None  # another board on that port is followed
    assert f.snapshot()["refused"] == []


def test_a_supervisor_in_a_call_shows_on_both_agents_rows_until_they_leave():
    f = Floor()
    f.board_up("b", "/dev/x", {"calls": [], "agents": [{"port": 5, "ext": "201", "state": "talking", "calls": 1},
                                                      {"port": 7, "ext": "203", "state": "offhook", "calls": 0}]})
    sup = dict(port=7, ext="203", agent="201", agent_port=5, call=1, trunk=0)

    def rows():
        return {a["ext"]: (a["supervised"], a["supervising"]) for a in f.snapshot()["agents"]}

    assert rows() == {"201": (None, None), "203": (None, None)}
    f.event("b", ev(1, messages.EV_SUPERVISE, mode="listen", ms=0, **sup), 7)
    assert rows() == {"201": ({"by": "203", "mode": "listen"}, None), "203": (None, {"agent": "201", "mode": "listen"})}
    f.event("b", ev(2, messages.EV_SUPERVISE, mode="barge", ms=4000, **sup), 7)
    assert rows()["201"] == ({"by": "203", "mode": "barge"}, None)
    f.event("b", ev(3, messages.EV_SUPERVISE, mode=None, ms=9000, **sup), 7)
    assert rows() == {"201": (None, None), "203": (None, None)}
