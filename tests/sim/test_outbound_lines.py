"""The virtual line cards and exchange on an outbound call, with the test playing the firmware
(no MicroPython): seize, dial_tone, DTMF, the one cpa report; the exchange's answers."""


import numpy as np

from callgate.dsp.wav import write_wav
from callgate.firmware import linecard

import world

BOARD = world.board_def("virtual-4")


class World(world.World):
    def __init__(self):
        super().__init__(BOARD)

    def call(self, number, port=0, wait_ms=40000, plan=None, dial_ms=3000):
        """Play the firmware of outbound.py: seize, arm, dial at dial tone; the cpa report."""
        self.cmd(t=linecard.CMD_SEIZE, port=port)
        self.cmd(t=linecard.CMD_CPA_ARM, port=port, plan=plan or self.plane.plan, dial_ms=dial_ms, no_answer_ms=20000)
        for _ in range(wait_ms // 20):
            if self.of(linecard.REPORT_DIAL_TONE, port) and not getattr(self, "dialled", False):
                self.dialled = True
                self.cmd(t=linecard.CMD_DTMF, port=port, digits=number)
            if self.of(linecard.REPORT_CPA, port):
                break
            self.plane.step(1)
        (result,) = self.of(linecard.REPORT_CPA, port)
        return result


def test_busy_on_the_line():
    w = World()
    w.net.set_number("123", "busy")
    r = w.call("123")
    assert r["result"] == "busy" and r["kind"] == "busy" and 1000 <= r["ms"] <= 2500
    assert w.lines._loop[0] is True  # seized: the loop closed
    w.cmd(t=linecard.CMD_HANGUP, port=0)
    assert w.lines._loop[0] is False and w.net.out[0] is None
    (done,) = w.net.dialled
    assert done["digits"] == "123" and [p["what"] for p in done["progress"]] == ["seized", "dialled", "released"]


def test_a_wav_answer(tmp_path):
    t = np.arange(8000 * 4) / 8000
    speech = (3000 * np.sin(2 * np.pi * 300 * t) * (np.sin(2 * np.pi * 3 * t) > -0.5)).astype(np.int16)
    path = tmp_path / "greeting.wav"
    write_wav(str(path), speech, 8000, "pcm16")
    w = World()
    w.net.set_number("77", f"wav:{path}", rings=1)
    r = w.call("77")
    assert r["result"] == "machine" and r["kind"] >= 2500  # 4 s of "speech": a machine
    assert w.plane.answered[0]  # answered: disconnect supervision runs as for an inbound call


def test_no_dial_tone_and_the_trunk_plan():
    w = World()
    w.net.set_trunk(1, dial_tone=False)
    r = w.call("1", port=1, wait_ms=5000)
    assert r["result"] == "no-dial-tone" and r["ms"] == 3000
    assert not w.of(linecard.REPORT_DIAL_TONE)
    w2 = World()
    w2.net.set_trunk(0, plan="CN")
    w2.net.set_number("5", "congestion")
    assert w2.call("5", plan="CN")["result"] == "congestion"


def test_an_unconfigured_number_is_vacant():
    w = World()
    r = w.call("999")
    assert r["result"] == "sit" and r["kind"] == "sit"


def test_fxs_ports_refuse_seize_and_cpa_arm():
    w = World()
    w.cmd(t=linecard.CMD_SEIZE, port=2)
    w.cmd(t=linecard.CMD_CPA_ARM, port=3, plan="US", dial_ms=3000)
    msgs = [(r["cmd"], r["msg"]) for r in w.of(linecard.REPORT_ERROR)]
    assert msgs == [("seize", "port 2 is not FXO: nothing to seize"),
                    ("cpa_arm", "port 3 is not FXO: no call progress to analyse")]


def test_a_ringing_line_is_not_seized():
    w = World()
    w.net.place_call(0, number="5551234")
    w.ms(100)
    w.cmd(t=linecard.CMD_SEIZE, port=0)
    assert w.of(linecard.REPORT_ERROR)[0]["msg"].startswith("port 0 is ringing")


def test_sim_prompt_number_and_trunk_commands():
    from types import SimpleNamespace

    from callgate.cli.sim import command

    w = World()
    vb = SimpleNamespace(model=SimpleNamespace(network=w.net))
    assert command(vb, "number 5550100 busy") == "ok: 5550100 answers busy"
    assert command(vb, "number 5550101 person 3") == "ok: 5550101 answers person after 3 ring(s)"
    assert w.net.numbers["5550101"] == {"answers": "person", "rings": 3}
    assert command(vb, "number 55x busy").startswith("error: bad number '55x'")
    assert command(vb, "number 555 maybe").startswith("error: --answers must be one of")
    assert command(vb, "trunk 1 dial-tone off") == "ok: trunk 1: dial tone off, plan US"
    assert command(vb, "trunk 1 plan CN dial-tone on") == "ok: trunk 1: dial tone on, plan CN"
    assert command(vb, "trunk 2 plan CN").startswith("error: port 2 is not an FXO port")
    assert command(vb, "trunk 1 loud yes").startswith("error: trunk PORT")
