"""Random mutations of the demo site: the loader either accepts the site or raises SiteError
whose every problem has the file and a line inside it; never anything else."""

import pathlib

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callgate.site import SiteError, check_text

DEMO_TEXT = (pathlib.Path(__file__).resolve().parents[2] / "sites" / "demo" / "site.yaml").read_text()
LINES = DEMO_TEXT.splitlines(keepends=True)
JUNK = st.sampled_from(["", "x", "-", ":", "*", "#", "&a", "*a", "!!binary", "[", "]", "{", "}", "'", '"',
                        "\t", "  ", "\n", "0", "99", "-1", "1.5", "yes", "null", "~", "08:00", "2026-13-40",
                        "CN", "fxs", "fxo", "menu", "queue", "<<: *a", "? ", "|", ">", "%YAML 1.1", "---", "\x00",
                        "é", "\ufeff"])


def check(text, folder):
    try:
        check_text(text, "site.yaml", folder, _boards())
    except SiteError as e:
        n = text.count("\n") + 1
        assert e.problems
        for file, line, field, msg in e.problems:
            assert file == "site.yaml" and 1 <= line <= n + 1 and isinstance(msg, str) and msg
            assert str(e).count("site.yaml:") == len(e.problems)


def _boards():
    from callgate import runtime

    return runtime.BOARDS


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.data())
def test_text_mutations(demo_dir, data):
    lines = list(LINES)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["delete", "swap", "insert", "replace", "splice", "indent"]))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "swap":
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, data.draw(JUNK) + "\n")
        elif op == "indent":
            lines[i] = " " * data.draw(st.integers(1, 3)) + lines[i]
        else:
            line = lines[i]
            k = data.draw(st.integers(0, len(line)))
            cut = data.draw(st.integers(0, 3)) if op == "replace" else 0
            lines[i] = line[:k] + data.draw(JUNK) + line[k + cut:]
    check("".join(lines), demo_dir)


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 100), st.text(max_size=8),
                   st.sampled_from(["main", "sales", "CN", "fxs", "queue", "menu", "24:00", "00:00-24:00",
                                    "prompts/welcome.wav", "../x.wav", "1", "*"]),
                   st.lists(st.integers(0, 3), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


@SETTINGS
@given(data=st.data())
def test_value_mutations(demo_dir, data):
    site = yaml.safe_load(DEMO_TEXT)
    site["ivr"]["menus"]["main"]["options"] = {str(k): v for k, v in site["ivr"]["menus"]["main"]["options"].items()}
    for _ in range(data.draw(st.integers(1, 3))):
        paths = [p for p in _paths(site) if p]
        path = data.draw(st.sampled_from(paths))
        parent = site
        for k in path[:-1]:
            parent = parent[k]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(VALUES)
    check(yaml.safe_dump(site, sort_keys=False), demo_dir)
