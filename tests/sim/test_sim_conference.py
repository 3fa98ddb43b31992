"""A supervisor on the virtual board's line cards: the `hear` command (firmware/callgate/
linecard.py) carried out by the media engine, and the exchange's parties knowing who hears
whom. Driven as test_sim_world.py does: an AudioPlane stepped on the test's thread, the
firmware's commands injected."""

import numpy as np
import pytest

from callgate.dsp import g711
from callgate.sim.phones import AGENT_LEAVES_MS, AGENT_NO_CALL_MS
from boardkit import level_db, sine
from test_sim_world import AGENT, World

SUP = AGENT + 1  # the supervisor's phone
C = 0  # the caller's trunk
HZ = {C: 470.0, AGENT: 1090.0, SUP: 1730.0}
MODES = {  # the firmware's hear commands per mode, after bridge(C, AGENT)
    "listen": {SUP: [C, AGENT]},
    "whisper": {SUP: [C, AGENT], AGENT: [C, SUP], C: [AGENT]},
    "barge": {SUP: [C, AGENT], AGENT: [C, SUP], C: [AGENT, SUP]},
}
MUST = {  # who each party must hear, per mode
    "listen": {C: {AGENT}, AGENT: {C}, SUP: {C, AGENT}},
    "whisper": {C: {AGENT}, AGENT: {C, SUP}, SUP: {C, AGENT}},
    "barge": {C: {AGENT, SUP}, AGENT: {C, SUP}, SUP: {C, AGENT}},
}


class Spy:
    """What the line cards send each port's far end (the exchange's tx), kept per port."""

    def __init__(self, net):
        self.sent = {p: [] for p in HZ}
        self._tx = net.tx
        net.tx = self.tx

    def tx(self, port, codes):
        if port in self.sent:
            self.sent[port].append(np.array(codes))
        self._tx(port, codes)

    def take(self):
        out = {p: g711.ulaw_decode(np.concatenate(v)).astype(float) for p, v in self.sent.items()}
        for v in self.sent.values():
            v.clear()
        return out


def call_with_agent(w):
    call = w.answered_call(C)
    for p in (AGENT, SUP):
        w.net.phone(p).off_hook()
    w.ms(40)
    w.cmd(t="bridge", a=C, b=AGENT)
    return call


def test_each_mode_on_the_line_cards_each_party_hears_what_it_must_and_40_db_less_of_the_rest():
    w = World()
    call = call_with_agent(w)
    spy = Spy(w.net)
    for mode, cmds in MODES.items():
        for p, sources in cmds.items():
            w.cmd(t="hear", port=p, **{"from": sources})
        assert w.of("error") == []
        # Every far end sends its own tone from now on (queued talk, ahead of any speech).
        call.rx.clear()
        call.rx.put(sine(HZ[C], 1.0))
        for p in (AGENT, SUP):
            w.net.phone(p).rx.clear()
            w.net.phone(p).rx.put(sine(HZ[p], 1.0))
        w.ms(100)
        spy.take()
        w.ms(600)
        got = spy.take()
        for p, must in MUST[mode].items():
            db = {q: level_db(got[p], HZ[q]) for q in HZ}
            for q in must:
                assert abs(db[q]) < 1.0, (mode, p, q, db)
            for q in set(HZ) - must:
                assert db[q] < min(db[m] for m in must) - 40, (mode, p, q, db)
        for p in range(len(w.plane.kinds)):  # the exchange's mirror is the engine's sets
            assert set(w.net.hears.get(p, ())) == set(w.plane.engine.hears(p)), (mode, p)


def test_a_supervisor_talks_only_when_someone_hears_it():
    w = World()
    call_with_agent(w)
    sup = w.net.phone(SUP)
    w.cmd(t="hear", port=SUP, **{"from": [C, AGENT]})
    w.ms(400)
    assert sup.in_session and sup.hearing == {C, AGENT} and not sup.listeners
    assert not sup.rx.busy  # listening: nothing to say to anyone
    heard = sup.heard
    w.ms(400)
    assert sup.heard > heard  # it hears the call (its far end counts what it was sent)
    w.cmd(t="hear", port=AGENT, **{"from": [C, SUP]})  # whisper
    w.ms(40)
    assert sup.listeners == {AGENT} and sup.rx.busy
    assert w.net.phone(AGENT).peer == C and w.net.phone(AGENT).hearing == {C, SUP}
    assert [p["what"] for p in sup.progress][-2:] == ["session", "session"]
    assert sup.status()["hears"] == [C, AGENT] and sup.status()["heard_by"] == [AGENT]


def test_an_automatic_supervisor_stays_for_its_session_and_leaves_after_it():
    w = World()
    call_with_agent(w)
    sup = w.net.phone(SUP)
    sup.hang_up()
    w.ms(40)
    sup.auto(answer_ms=100, talk_ms=None)
    w.cmd(t="ring", port=SUP, on=True)
    w.ms(200)
    assert w.lines.offhook(SUP) and sup.hangup_at is not None  # nobody yet: AGENT_NO_CALL_MS
    w.cmd(t="hear", port=SUP, **{"from": [C, AGENT]})
    assert sup.sessions == 1 and sup.hangup_at is None
    w.ms(AGENT_NO_CALL_MS + 1000)
    assert w.lines.offhook(SUP)  # in a session: no "nobody put through" hang-up
    w.cmd(t="hangup", port=C)  # the caller leaves: the supervisor still hears the agent
    assert sup.hearing == {AGENT} and sup.in_session
    w.cmd(t="hangup", port=AGENT)  # ... and then nobody
    assert not sup.in_session and sup.progress[-1]["what"] == "session-end"
    w.ms(AGENT_LEAVES_MS + 100)
    assert not w.lines.offhook(SUP)


def test_bad_hear_commands_are_refused_with_the_reason():
    w = World()
    w.cmd(t="hear", port=SUP, **{"from": [C, AGENT]})
    for bad, why in (({"from": 3}, "list"), ({}, "list"), ({"from": [SUP]}, "itself"),
                     ({"from": [99]}, "no port 99"), ({"from": ["0"]}, "int")):
        w.reports.clear()
        w.cmd(t="hear", port=SUP, **bad)
        err = w.of("error")
        assert len(err) == 1 and err[0]["cmd"] == "hear" and why in err[0]["msg"], (bad, err)
    w.reports.clear()
    w.cmd(t="hear", port=42, **{"from": []})
    assert "no port 42" in w.of("error")[0]["msg"]
    assert w.plane.engine.hears(SUP) == [C, AGENT] and w.net.hears[SUP] == {C, AGENT}


@pytest.mark.parametrize("end", ["unbridge", "hangup"])
def test_a_bridge_or_hangup_takes_the_port_out_of_the_conference(end):
    w = World()
    call_with_agent(w)
    for p, sources in MODES["barge"].items():
        w.cmd(t="hear", port=p, **{"from": sources})
    w.cmd(t=end, port=AGENT)
    assert w.plane.engine.hears(SUP) == [C] and w.net.hears[SUP] == {C}
    assert w.plane.engine.hears(C) == [SUP] and w.net.hears[C] == {SUP}
    assert AGENT not in w.net.hears and w.plane.engine.hears(AGENT) == []


def test_an_mcu_board_tells_its_simulated_line_cards_who_hears_whom():
    """On an MCU board the engine runs on the MCU (hal_mcu.py); its EV_BRIDGE / EV_HEAR /
    EV_UNBRIDGE bus events keep the host's exchange in step (sim/bus.py)."""
    import json

    from callgate import runtime
    from callgate.firmware import linebus as lb
    from callgate.sim.bus import BusPlane
    from callgate.sim.lines import Lines

    board = json.loads((runtime.board_dir("qemu-m4f") / "board.json").read_text())
    kinds = [p["kind"] for p in board["ports"]]
    assert kinds[0] == "fxo" and kinds[5:7] == ["fxs", "fxs"]  # a trunk, two agent phones
    plane = BusPlane(Lines(board["ports"]), board, "/nonexistent-bus")  # never started
    net = plane.network
    plane._mcu_event(lb.EV_BRIDGE, 0, bytes([5]))
    plane._mcu_event(lb.EV_HEAR, 6, bytes([0, 5, 6, 9]))  # itself and no port 9: dropped
    assert net.hears == {0: {5}, 5: {0}, 6: {0, 5}}
    assert net.phone(6).in_session and net.phone(5).peer == 0
    plane._mcu_event(lb.EV_HEAR, 5, bytes([0, 6]))  # whisper
    assert net.phone(6).listeners == {5}
    plane._mcu_event(lb.EV_UNBRIDGE, 5, b"")
    assert net.hears == {6: {0}} and net.phone(5).peer is None
    plane._mcu_event(lb.EV_HEAR, 6, b"")
    assert net.hears == {} and not net.phone(6).in_session


def test_a_hook_flash_is_on_hook_for_500_ms_then_off_hook_and_keeps_the_bridge():
    w = World()
    call_with_agent(w)
    phone = w.net.phone(AGENT)
    w.reports.clear()
    phone.flash()
    w.ms(300)
    assert not w.lines.offhook(AGENT)
    w.ms(300)
    assert w.lines.offhook(AGENT) and phone.peer == C  # the line cards keep the bridge: the board decides
    assert [r["off"] for r in w.of("hook", AGENT)] == [False, True]
    assert [p["what"] for p in phone.progress][-3:] == ["on-hook", "flash", "off-hook"]
    phone.hang_up()
    w.ms(40)
    phone.flash()  # on hook: nothing to flash
    w.ms(600)
    assert not w.lines.offhook(AGENT)
    with pytest.raises(ValueError, match="flash ms"):
        phone.flash(-1)
