"""The store, on SQLite and on PostgreSQL (a server of the tests' own, conftest.pg_server):
migrations applied once, exactly-once keys, URLs, notes and customers, a locked database or
a server gone."""

import sqlite3
import time

import pytest
from hypothesis import given, strategies as st

from callgate.ops import store as store_mod
from callgate.ops.numbers import NumberError, lookup_key, normalise
from callgate.ops.store import Store, StoreError, StoreUnavailable, shown, sqlite_path


def test_a_new_store_is_at_the_last_migration_and_opening_it_again_changes_nothing(store_url):
    s = Store.open(store_url)
    assert s.version() == store_mod.MIGRATIONS[-1][0]
    s.add_calls("b1", [{"id": "0000abcd-1", "arrived": 1, "number": "5551234"}])
    s.close()
    s = Store.open(store_url)
    assert s.version() == store_mod.MIGRATIONS[-1][0]
    assert [r["id"] for r in s.calls()] == ["0000abcd-1"]
    assert s.query("SELECT count(*) FROM schema_version")[0][0] == len(store_mod.MIGRATIONS)


def test_a_later_migration_runs_once_on_an_older_store(store_url, monkeypatch):
    Store.open(store_url).close()
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS + [(99, "CREATE TABLE extra (x BIGINT)")])
    s = Store.open(store_url)
    assert s.version() == 99
    s.close()
    assert Store.open(store_url).version() == 99  # not run again (it would fail: the table exists)


def test_a_call_record_or_an_event_stored_twice_is_stored_once(store_url):
    s = Store.open(store_url)
    rec = {"id": "0000abcd-1", "arrived": 1764700000000, "number": "555 1234", "queue": "sales", "outcome": "answered"}
    assert s.add_calls("b1", [rec], file="cdr/x.log", offset=10) == ["0000abcd-1"]
    assert s.add_calls("b1", [rec], file="cdr/x.log", offset=20) == []
    assert s.call_count() == 1 and s.cdr_offset("b1", "cdr/x.log") == 20
    ev = [(1, 1, "call", {"state": "ringing"}, 0.0), (2, 2, "pop", {}, 0.0)]
    assert s.add_events("b1", "/dev/x", 7, ev) == 2
    assert s.add_events("b1", "/dev/x", 7, ev[1:], lost=3) == 0
    assert s.board("b1")["last_n"] == 2 and s.board("b1")["boot"] == 7 and s.board("b1")["lost"] == 3
    assert s.add_events("b1", "/dev/y", None, []) == 0  # the port it is on now; its position stays
    assert s.board("b1")["port"] == "/dev/y" and s.board("b1")["last_ord"] == 2
    assert [r["id"] for r in s.calls(number="5551234")] == ["0000abcd-1"]
    assert s.calls(since_ms=1764700000000, queue="sales", outcome="answered")[0]["arrived"] == 1764700000000
    assert [e["kind"] for e in s.events(board="b1")] == ["call", "pop"]


def test_a_failed_transaction_leaves_what_was_stored(store_url):
    s = Store.open(store_url)
    s.add_calls("b1", [{"id": "a-1"}])
    with pytest.raises(RuntimeError):
        with s.transaction() as db:
            db.execute("DELETE FROM calls")
            raise RuntimeError("cut off")
    assert s.call_count() == 1


def test_notes_typed_before_the_record_arrives_are_found_with_it(store_url):
    s = Store.open(store_url)
    s.add_note("0000abcd-3", "bob", "wants a refund: 100% (or so?)")
    s.add_calls("b1", [{"id": "0000abcd-3", "arrived": 1}])
    assert [n["text"] for n in s.calls()[0]["notes"]] == ["wants a refund: 100% (or so?)"]


def test_customers_and_sessions_read_the_same_on_both_databases(store_url):
    s = Store.open(store_url)
    with s.transaction() as db:
        ann = s.save_customer(db, {"name": "Ann Lee", "company": "Acme", "numbers": ["5551234"], "extra": {"tier": "gold"}})
        s.save_customer(db, {"name": "bob", "numbers": ["+4420"]})
    assert [c["name"] for c in s.customers("ANN")] == ["Ann Lee"]  # case ignored on both
    assert [c["name"] for c in s.customers("acme")] == ["Ann Lee"]
    assert s.customer_by_number("555-1234")["extra"] == {"tier": "gold"}
    with pytest.raises(ValueError, match="belongs to customer"):
        with s.transaction() as db:
            s.save_customer(db, {"name": "Eve", "numbers": ["5551234"]})
    assert [c["name"] for c in s.customers()] == ["Ann Lee", "bob"]  # Eve rolled back
    s.put_user("sue", "supervisor", None, "hash")
    s.add_session("tok", "sue", "csrf", time.time() + 60)
    assert s.session("tok")["role"] == "supervisor" and s.customer(ann)["numbers"] == ["5551234"]


def test_a_locked_database_is_a_clear_error_and_loses_nothing(store_url, request):
    s = Store.open(store_url, timeout=0.3)
    s.add_calls("b1", [{"id": "a-1"}])
    if store_url.startswith("sqlite"):
        other = sqlite3.connect(sqlite_path(store_url), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        other = psycopg.connect(store_url)  # a transaction of its own, holding the lock
        other.execute("LOCK TABLE calls IN ACCESS EXCLUSIVE MODE")
    with pytest.raises(StoreUnavailable, match="lock"):
        s.add_calls("b1", [{"id": "a-2"}])
    other.rollback() if not store_url.startswith("sqlite") else other.execute("ROLLBACK")
    other.close()
    assert s.add_calls("b1", [{"id": "a-2"}]) == ["a-2"]
    assert [r["id"] for r in s.calls()] == ["a-1", "a-2"]


def test_a_postgresql_server_gone_is_a_clear_error_and_the_store_connects_again(pg_server):
    url = pg_server.new_database()
    s = Store.open(url)
    s.add_calls("b1", [{"id": "a-1"}])
    pg_server.restart()  # every connection cut
    with pytest.raises(StoreUnavailable, match="postgresql:///"):
        s.add_calls("b1", [{"id": "a-2"}])  # the connection the store held is gone
    assert s.add_calls("b1", [{"id": "a-2"}]) == ["a-2"]  # a new one
    assert [r["id"] for r in s.calls()] == ["a-1", "a-2"]


def test_a_store_that_cannot_be_opened_is_a_one_line_error(tmp_path, pg_server):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="file"):
        Store.open(f"sqlite:///{tmp_path}/file/ops.db")
    with pytest.raises(StoreError, match="cannot open the store: postgresql:///nowhere"):
        Store.open(pg_server.url("nowhere"))  # no such database


def test_db_urls():
    assert sqlite_path("sqlite:////var/lib/ops.db") == "/var/lib/ops.db"
    assert sqlite_path("sqlite:///ops.db") == "ops.db"
    for bad, words in (("mysql://x", "expected sqlite"), ("sqlite:///", "no file")):
        with pytest.raises(StoreError, match=words):
            sqlite_path(bad)
    assert shown("postgresql://ops:secret@db.example:5432/ops") == "postgresql://ops:***@db.example:5432/ops"
    assert shown("postgresql://ops@db/ops") == "postgresql://ops@db/ops"


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


def test_the_commands_name_a_postgresql_store_they_cannot_use_in_one_line(pg_server):
    from opskit import callgate

    r = callgate("users", "list", "--db", pg_server.url("nowhere"), check=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert 'database "nowhere" does not exist' in r.stderr
    url = pg_server.new_database()
    callgate("users", "add", "sue", "--role", "supervisor", "--db", url, stdin="pw-for-sue-1\n")
    assert "sue" in callgate("users", "list", "--db", url).stdout
