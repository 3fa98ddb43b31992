"""The site's callbacks (firmware callbacks.py): their fields are checked with file:line errors
and carried in the bundle with every default filled in; the firmware's bundle check names a
missing field."""

import pytest

from callgate.firmware import bundle as fw_bundle
from callgate.site import bundle, load_site
from test_site_check import edit, line_of, problems

CALLBACKS = """
callbacks:
  queue: reception
  machine: retry
  retry:
    busy: {after_s: 30, attempts: 4}
    no-answer: {after_s: 900, attempts: 1}
"""


def test_callbacks_in_the_bundle(demo):
    b = bundle(load_site(demo))  # none in the file: on, with the defaults
    assert b["callbacks"] == {"queue": None, "machine": "leave", "retry": {
        "busy": [120000, 3], "congestion": [120000, 3], "cut": [60000, 3], "machine": [600000, 2],
        "no-answer": [600000, 2], "no-dial-tone": [60000, 3], "no-result": [120000, 2]}}
    fw_bundle.check(b)
    demo.write_text(demo.read_text() + CALLBACKS)
    cb = bundle(load_site(demo))["callbacks"]
    assert cb["queue"] == "reception" and cb["machine"] == "retry"
    assert cb["retry"]["busy"] == [30000, 4] and cb["retry"]["no-answer"] == [900000, 1]
    assert cb["retry"]["congestion"] == [120000, 3]  # the others keep their defaults
    demo.write_text(demo.read_text() + "  enabled: false\n")
    assert bundle(load_site(demo))["callbacks"] is None


@pytest.mark.parametrize("old,new,needle,expected", [
    ("callbacks:\n  queue: reception", "callbacks:\n  queue: nowhere", "queue: nowhere", "callbacks.queue: no queue 'nowhere' in queues"),
    ("machine: retry", "machine: hangup", "machine: hangup", "callbacks.machine: 'hangup' is not one of leave, retry"),
    ("busy: {after_s: 30, attempts: 4}", "busy: {after_s: 3, attempts: 4}", "after_s: 3,",
     "callbacks.retry.busy.after_s: 3 is less than the minimum of 10"),
    ("busy: {after_s: 30, attempts: 4}", "busy: {after_s: 30}", "busy: {after_s: 30}",
     "callbacks.retry.busy.attempts: missing (required)"),
    ("    busy:", "    person:", "person:", "callbacks.retry.person: unknown field"),
])
def test_bad_callbacks(demo, old, new, needle, expected):
    demo.write_text(demo.read_text() + CALLBACKS)
    text = edit(demo, old, new)
    want = f"{line_of(text, needle)}: {expected}"
    got = problems(demo)
    assert any(g.startswith(want) for g in got), (want, got)


def test_the_firmware_names_a_missing_callbacks_field(demo):
    b = bundle(load_site(demo))
    del b["callbacks"]["retry"]
    with pytest.raises(fw_bundle.SiteBundleError, match="callbacks.retry missing"):
        fw_bundle.check(b)
    b["callbacks"] = None  # an older bundle's way: never dialled
    fw_bundle.check(b)
