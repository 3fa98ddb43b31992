"""Properties of a campaign's plan on the board (firmware/callgate/campaigns.py), whatever the
contacts, the do-not-call list, the outcomes and the power cuts: a number on the do-not-call
list is never dialled; no contact is dialled outside its window, in its own time; no attempt
(contact, attempt number) is dialled twice, across power cuts too; no contact gets more
attempts than the campaign allows."""

import os
import shutil
import tempfile

from hypothesis import given, settings, strategies as st

from callgate.firmware import campaigns, records

MIN = 60000
START = 1795428000000  # monday 2026-11-23 10:00 UTC
OUTCOMES = ("person", "busy", "no-answer", "machine", "sit", "congestion")

numbers = st.sampled_from([f"555{i:04d}" for i in range(12)] + ["+8613800138000", "911"])
contact = st.tuples(numbers, st.sampled_from((0, 480, -300, -660, 330, 840)))
step = st.one_of(st.tuples(st.just("wait"), st.integers(1, 600)),  # minutes
                 st.tuples(st.just("dial"), st.sampled_from(OUTCOMES)),
                 st.tuples(st.just("cut"), st.just(None)),  # the power goes during an attempt
                 st.tuples(st.just("pause"), st.booleans()))


@settings(max_examples=150, deadline=None)
@given(contacts=st.lists(contact, min_size=1, max_size=10), dnc=st.sets(numbers, max_size=6),
       attempts=st.integers(1, 4), steps=st.lists(step, max_size=60))
def test_a_campaign_keeps_its_promises_through_outcomes_and_power_cuts(contacts, dnc, attempts, steps):
    folder = tempfile.mkdtemp()
    try:
        with open(os.path.join(folder, "p.contacts"), "wb") as f:
            for number, offset in contacts:
                f.write(campaigns.contact_line(number, offset))
        with open(os.path.join(folder, "p.dnc"), "wb") as f:
            for number in sorted(dnc):
                f.write(campaigns.dnc_line(number))
        cfg = {"name": "p", "kind": "survey", "window": [8 * 60, 21 * 60], "days": [0, 1, 2, 3, 4, 5],
               "attempts": attempts, "contacts": len(contacts), "dnc": len(dnc),
               "retry": {"busy": [5 * MIN, 3], "no-answer": [30 * MIN, 2], "cut": [MIN, 4], "machine": [60 * MIN, 2]}}
        cp = campaigns.Campaign(cfg, folder)
        t = START
        cp.set_run(campaigns.R_RUNNING, t)
        dialled = []
        for what, arg in steps:
            if what == "wait":
                t += arg * MIN
            elif what == "pause":
                cp.set_run(campaigns.R_PAUSED if arg else campaigns.R_RUNNING, t)
            else:
                c = cp.next_due(t)
                if c is None:
                    continue
                number = cp.dialing(c, t)
                dialled.append((c, cp.tries[c]))
                assert number not in dnc
                assert campaigns.in_window(cfg["window"], cfg["days"], t, contacts[c][1]), (c, t)
                assert cp.tries[c] <= attempts
                if what == "cut":
                    cp = campaigns.Campaign(cfg, folder)
                    cp.load(t + MIN)
                else:
                    cp.ended(c, arg, t + MIN)
                t += 2 * MIN
        assert len(dialled) == len(set(dialled))
        journal = []
        records.scan(os.path.join(folder, "p.log"),
                     lambda r: journal.append((r["c"], r["a"])) if r.get("s") == "dialing" else None)
        assert journal == dialled  # every attempt journalled before it was dialled, once
        again = campaigns.Campaign(cfg, folder)
        again.load(t)
        assert all(again.tries[c] <= attempts for c in range(len(contacts)))
        for c, (number, _) in enumerate(contacts):
            if number in dnc:
                assert again.tries[c] == 0
    finally:
        shutil.rmtree(folder)
