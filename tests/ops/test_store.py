"""The store: migrations applied once, exactly-once keys, URLs, notes and customers."""

import sqlite3

import pytest
from hypothesis import given, strategies as st

from callgate.ops import store as store_mod
from callgate.ops.numbers import NumberError, lookup_key, normalise
from callgate.ops.store import Store, StoreError, sqlite_path


def test_a_new_store_is_at_the_last_migration_and_opening_it_again_changes_nothing(tmp_path):
    path = tmp_path / "a" / "ops.db"
    s = Store(str(path))
    assert s.version() == store_mod.MIGRATIONS[-1][0]
    s.add_calls("b1", [{"id": "0000abcd-1", "arrived": 1, "number": "5551234"}])
    s.close()
    s = Store(str(path))
    assert s.version() == store_mod.MIGRATIONS[-1][0]
    assert [r["id"] for r in s.calls()] == ["0000abcd-1"]
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(store_mod.MIGRATIONS)


def test_a_later_migration_runs_once_on_an_older_store(tmp_path, monkeypatch):
    path = str(tmp_path / "ops.db")
    Store(path).close()
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS + [(99, "CREATE TABLE extra (x INTEGER)")])
    s = Store(path)
    assert s.version() == 99
    s.close()
    assert Store(path).version() == 99  # not run again (it would fail: the table exists)


def test_a_call_record_or_an_event_stored_twice_is_stored_once(tmp_path):
    s = Store(str(tmp_path / "ops.db"))
    rec = {"id": "0000abcd-1", "arrived": 5, "number": "555 1234", "queue": "sales", "outcome": "answered"}
    assert s.add_calls("b1", [rec], file="cdr/x.log", offset=10) == ["0000abcd-1"]
    assert s.add_calls("b1", [rec], file="cdr/x.log", offset=20) == []
    assert s.call_count() == 1 and s.cdr_offset("b1", "cdr/x.log") == 20
    ev = [(1, 1, "call", {"state": "ringing"}, 0.0), (2, 2, "pop", {}, 0.0)]
    assert s.add_events("b1", "/dev/x", 7, ev) == 2
    assert s.add_events("b1", "/dev/x", 7, ev[1:]) == 0
    assert s.board("b1")["last_n"] == 2 and s.board("b1")["boot"] == 7
    assert [r["id"] for r in s.calls(number="5551234")] == ["0000abcd-1"]


def test_a_failed_transaction_leaves_what_was_stored(tmp_path):
    s = Store(str(tmp_path / "ops.db"))
    s.add_calls("b1", [{"id": "a-1"}])
    with pytest.raises(RuntimeError):
        with s.transaction() as db:
            db.execute("DELETE FROM calls")
            raise RuntimeError("cut off")
    assert s.call_count() == 1


def test_notes_typed_before_the_record_arrives_are_found_with_it(tmp_path):
    s = Store(str(tmp_path / "ops.db"))
    s.add_note("0000abcd-3", "bob", "wants a refund")
    s.add_calls("b1", [{"id": "0000abcd-3", "arrived": 1}])
    assert [n["text"] for n in s.calls()[0]["notes"]] == ["wants a refund"]


def test_db_urls():
    assert sqlite_path("sqlite:////var/lib/ops.db") == "/var/lib/ops.db"
    assert sqlite_path("sqlite:///ops.db") == "ops.db"
    for bad, words in (("postgresql://u@h/db", "not built yet"), ("mysql://x", "expected sqlite"),
                       ("sqlite:///", "no file")):
        with pytest.raises(StoreError, match=words):
            sqlite_path(bad)


def test_numbers_are_normalised_the_same_way_whatever_the_punctuation():
    assert normalise("+1 (555) 123-4567") == "+15551234567"
    assert normalise("00 44 20 7946 0000") == "+442079460000"
    assert normalise("555.1234") == normalise("5551234") == "5551234"
    for bad in ("", "abc", "555-12x4", "*21#", "++1"):
        with pytest.raises(NumberError):
            normalise(bad)
    assert lookup_key(None) is None and lookup_key("P") is None


@given(st.lists(st.sampled_from("0123456789 -.()"), min_size=1, max_size=30), st.booleans())
def test_normalise_keeps_the_digits_and_is_idempotent(chars, plus):
    text = ("+" if plus else "") + "".join(chars)
    want = ("+" if plus else "") + "".join(c for c in text if c.isdigit())
    if want.startswith("00"):
        want = "+" + want[2:]
    valid = 1 <= len(want.lstrip("+")) <= 20
    try:
        n = normalise(text)
    except NumberError:
        assert not valid, text
        return
    assert valid and n == want and normalise(n) == n
