"""The host's compiled demo site drives the firmware's IVR (firmware/callgate/ivr.py): the
bundle format the host writes is the one the firmware reads."""

import json

from callgate.ivr import Ivr
from callgate.site import build, load_site

OPEN = (2026, 11, 23, 10, 0, 0, 0)  # Monday 10:00, site time
CLOSED_DAY = (2026, 12, 25, 10, 0, 0, 4)  # a closed date in the demo


def demo_ivr(demo, tmp_path):
    build(load_site(demo), tmp_path / "flash")
    return Ivr(json.loads((tmp_path / "flash" / "site.json").read_text()))


def test_demo_call_to_sales(demo, tmp_path):
    ivr = demo_ivr(demo, tmp_path)
    s = ivr.session(0)
    out = []
    ivr.start(s, OPEN, out)
    ivr.digit(s, "1", out)  # barge-in
    assert out == [("menu", "main"), ("play", "welcome", True), ("stop",), ("queue", "sales")]


def test_demo_trunk2_starts_in_support_and_falls_back_to_its_queue(demo, tmp_path):
    ivr = demo_ivr(demo, tmp_path)
    s = ivr.session(1)
    out = []
    ivr.start(s, OPEN, out)
    ivr.prompt_done(s, "support", "complete", out)
    ivr.digit(s, "5", out)
    ivr.prompt_done(s, "invalid", "complete", out)
    ivr.prompt_done(s, "support", "complete", out)
    ivr.timeout(s, out)
    assert out[0] == ("menu", "support") and out[-1] == ("queue", "support")


def test_demo_after_hours(demo, tmp_path):
    ivr = demo_ivr(demo, tmp_path)
    assert ivr.offset_min == 480 and not ivr.is_open(CLOSED_DAY)
    out = []
    ivr.start(ivr.session(0), CLOSED_DAY, out)
    assert out == [("menu", "closed"), ("play", "closed", False)]


def test_demo_queues_and_overflows_as_the_firmware_reads_them(demo, tmp_path):
    from callgate.acd import Acd

    build(load_site(demo), tmp_path / "flash")
    b = json.loads((tmp_path / "flash" / "site.json").read_text())
    ivr, acd = Ivr(b), Acd(b)
    assert sorted(a.ext for a in acd.order) == ["201", "202", "203"]
    sales, support, reception = (acd.queue(n) for n in ("sales", "support", "reception"))
    assert sales.max_wait_ms == 120000 and sales.ring_ms == 15000 and len(sales.positions) == 4
    assert [a.ext for a in acd.staffed(sales)] == ["201", "203"] and len(acd.staffed(reception)) == 3
    assert support.strategy == "round-robin" and support.record is True and support.wrap_ms == 15000
    assert ivr.action(sales.overflow) == ("queue", "reception")
    assert ivr.action(support.overflow) == ("callback", "callback", "callback_thanks")
    assert ivr.action(reception.overflow) == ("voicemail", "voicemail", 60)


def test_the_built_bundle_has_every_field_the_firmware_reads(demo, tmp_path, capsys):
    """One version, defaults on one side: the host's build fills in everything the firmware's
    bundle.check() requires, and the firmware's loader takes the file as written."""
    from callgate.firmware import bundle as fw_bundle
    from callgate.site import BUNDLE_VERSION

    build(load_site(demo), tmp_path / "flash")
    path = tmp_path / "flash" / "site.json"
    b = json.loads(path.read_text())
    assert b["v"] == BUNDLE_VERSION == fw_bundle.VERSION
    fw_bundle.check(b)
    loaded, why = fw_bundle.load(str(path))
    assert why is None and loaded == b
    del b["queues"]["sales"]["wrap_s"]
    path.write_text(json.dumps(b))
    loaded, why = fw_bundle.load(str(path))
    assert loaded is None and why == f"site bundle v{BUNDLE_VERSION}: queues.sales.wrap_s missing"
    assert "refused: " + why in capsys.readouterr().out
