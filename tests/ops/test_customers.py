"""`callgate customers import`: all or nothing, line-numbered errors, extra columns kept,
numbers found whatever way the caller ID writes them."""

import pytest

from callgate.ops.customers import CsvError, import_csv
from callgate.ops.store import Store
from opskit import callgate


@pytest.fixture
def store(tmp_path):
    s = Store(str(tmp_path / "ops.db"))
    yield s
    s.close()


def write(tmp_path, text, name="c.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_an_import_keeps_every_column_and_finds_customers_by_any_spelling_of_their_number(store, tmp_path):
    f = write(tmp_path, "Name,Number,Company,Notes,Account,Tier\n"
                        "Alice Smith,555-1234;+1 (555) 999-0000,Acme,prefers email,A-17,gold\n"
                        "Bob Jones,5552222,,\"line one, still one\",B-2,\n")
    assert import_csv(store, f) == {"created": 2, "updated": 0, "rows": 2}
    a = store.customer_by_number("5551234")
    assert a["name"] == "Alice Smith" and a["company"] == "Acme" and a["extra"] == {"Account": "A-17", "Tier": "gold"}
    assert a["numbers"] == ["+15559990000", "5551234"]
    assert store.customer_by_number("+1 555 999 0000")["id"] == a["id"]
    assert store.customer_by_number("555.2222")["notes"] == "line one, still one"
    # the same file again updates, creates nothing
    assert import_csv(store, f) == {"created": 0, "updated": 2, "rows": 2}


def test_a_bad_row_stops_the_whole_import_and_every_problem_is_named_with_its_line(store, tmp_path):
    import_csv(store, write(tmp_path, "name,number\nKeep Me,5550001\n", "first.csv"))
    f = write(tmp_path, "name,number,company\n"
                        "Good One,5550002,x\n"
                        ",5550003,x\n"
                        "Letters,555-CALL-NOW,x\n"
                        "Twice,5550002,x\n"
                        "Short,5550004\n"
                        "Nul\x00Name,5550005,x\n")
    with pytest.raises(CsvError) as e:
        import_csv(store, f)
    lines = str(e.value).splitlines()
    assert lines[0] == f"{f}:3: no name"
    assert lines[1].startswith(f"{f}:4: '555-CALL-NOW' is not a phone number")
    assert lines[2] == f"{f}:5: number 5550002 is on line 2 too"
    assert lines[3] == f"{f}:6: 2 cells, the header has 3"
    assert lines[4] == f"{f}:7: a NUL character"  # PostgreSQL's text cannot hold one: refused on both
    assert [c["name"] for c in store.customers()] == ["Keep Me"]  # nothing of the bad file


def test_a_file_without_the_needed_columns_is_refused_at_line_1(store, tmp_path):
    with pytest.raises(CsvError, match=r":1: no number column"):
        import_csv(store, write(tmp_path, "name,company\nA,B\n"))
    with pytest.raises(CsvError, match=r":1: empty file"):
        import_csv(store, write(tmp_path, ""))
    with pytest.raises(CsvError, match="No such file"):
        import_csv(store, str(tmp_path / "missing.csv"))


def test_a_number_held_by_another_customer_rolls_the_import_back(store, tmp_path):
    import_csv(store, write(tmp_path, "name,number\nA,5550001\nB,5550002\n", "a.csv"))
    f = write(tmp_path, "name,number\nA again,5550001;5550002\nNew,5550009\n")
    with pytest.raises(CsvError, match=r":2: number 5550002 belongs to customer"):
        import_csv(store, f)
    assert sorted(c["name"] for c in store.customers()) == ["A", "B"]


def test_the_command_prints_one_line_per_problem_and_exits_2(tmp_path):
    db = f"sqlite:///{tmp_path}/ops.db"
    ok = write(tmp_path, "name,phone\nAlice,555 1234\n", "ok.csv")
    r = callgate("customers", "import", ok, "--db", db)
    assert "1 customer(s) created" in r.stdout
    bad = write(tmp_path, "name,phone\nBob,call me\n", "bad.csv")
    r = callgate("customers", "import", bad, "--db", db, check=False)
    assert r.returncode == 2 and f"{bad}:2:" in r.stderr and "nothing imported" in r.stderr
    assert "Traceback" not in r.stderr
