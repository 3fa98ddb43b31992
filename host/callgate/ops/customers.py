"""Customers from a CSV file, all or nothing.

    import_csv(store, "customers.csv") -> {"created": 12, "updated": 3}

The first line names the columns (any case): `name` (required), `company`, `notes`, and the
numbers in `number`, `numbers` or `phone` (several in one cell separated by ";"). Every
other column is kept with the customer as an extra field. Numbers are normalised as the
calls' are (numbers.py). A row whose number belongs to a customer already stored updates
that customer; otherwise it creates one. Any bad row (no name, no number, a number that is
not one, a number on two rows) stops the import: CsvError lists every problem as
`FILE:LINE: what`, and nothing is stored.
"""

import csv

from .numbers import NumberError, normalise

NUMBER_COLUMNS = ("number", "numbers", "phone", "phones")
KNOWN = ("name", "company", "notes") + NUMBER_COLUMNS
MAX_LISTED = 20


class CsvError(ValueError):
    """Problems in a customer file, one `FILE:LINE: what` per line."""


def read_rows(path: str) -> list:
    """[(line, customer dict)] or CsvError with every problem."""
    try:
        f = open(path, newline="", encoding="utf-8-sig")
    except OSError as e:
        raise CsvError(f"{path}: {e.strerror}") from None
    problems, rows, seen = [], [], {}
    with f:
        try:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header:
                raise CsvError(f"{path}:1: empty file: the first line must name the columns (name, number, ...)")
            cols = [h.strip() for h in header]
            lower = [c.lower() for c in cols]
            if "name" not in lower:
                raise CsvError(f"{path}:1: no `name` column (columns: {', '.join(cols)})")
            if not any(c in NUMBER_COLUMNS for c in lower):
                raise CsvError(f"{path}:1: no number column (one of {', '.join(NUMBER_COLUMNS)})")
            for cells in reader:
                line = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(cols):
                    problems.append(f"{path}:{line}: {len(cells)} cells, the header has {len(cols)}")
                    continue
                if any("\x00" in cell for cell in cells):  # PostgreSQL's text cannot hold one
                    problems.append(f"{path}:{line}: a NUL character")
                    continue
                c = {"name": "", "company": "", "notes": "", "numbers": [], "extra": {}}
                for col, low, cell in zip(cols, lower, cells):
                    cell = cell.strip()
                    if low in NUMBER_COLUMNS:
                        for part in cell.split(";"):
                            if part.strip():
                                try:
                                    c["numbers"].append(normalise(part))
                                except NumberError as e:
                                    problems.append(f"{path}:{line}: {e}")
                    elif low in KNOWN:
                        c[low] = cell
                    else:
                        c["extra"][col] = cell
                if not c["name"]:
                    problems.append(f"{path}:{line}: no name")
                if not c["numbers"] and not any(p.startswith(f"{path}:{line}:") for p in problems):
                    problems.append(f"{path}:{line}: no number")
                for n in c["numbers"]:
                    if n in seen and seen[n] != line:
                        problems.append(f"{path}:{line}: number {n} is on line {seen[n]} too")
                    seen.setdefault(n, line)
                rows.append((line, c))
        except csv.Error as e:
            problems.append(f"{path}:{reader.line_num}: {e}")
        except UnicodeDecodeError:
            raise CsvError(f"{path}: not UTF-8 text") from None
    if problems:
        more = len(problems) - MAX_LISTED
        raise CsvError("\n".join(problems[:MAX_LISTED]) + (f"\n... and {more} more" if more > 0 else ""))
    return rows


def import_csv(store, path: str) -> dict:
    rows = read_rows(path)
    created = updated = 0
    with store.transaction() as db:
        for line, c in rows:
            cid = None
            for n in c["numbers"]:
                r = db.execute("SELECT customer FROM customer_numbers WHERE number = ?", (n,)).fetchone()
                if r is not None:
                    cid = r[0]
                    break
            try:
                store.save_customer(db, c, cid)
            except ValueError as e:
                raise CsvError(f"{path}:{line}: {e}") from None
            if cid is None:
                created += 1
            else:
                updated += 1
    return {"created": created, "updated": updated, "rows": len(rows)}
