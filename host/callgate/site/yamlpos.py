"""YAML to plain data, remembering the line of every value (for errors that name the line).

`load(text, name)` composes the YAML into nodes (`yaml.compose`, which keeps each node's start
mark) and builds dicts, lists and scalars from them itself, recording `path -> line` for every
value and mapping key. A path is a tuple of keys and list indexes, e.g. ("ports", 2, "plan").

Choices a site file wants and plain `yaml.safe_load` does not make:
  - mapping keys are always strings, as written (`1:` is the key "1", the DTMF digit);
  - a duplicate key is an error (safe_load silently keeps the last one);
  - times and dates stay strings ("08:00" is not YAML 1.1's sexagesimal 480; 2026-12-25 is
    not a date object), and so does anything else the schema should see as written;
  - aliases are followed, but a document of more than MAX_NODES values (an alias bomb) or
    deeper than MAX_DEPTH is refused.
Every problem is a SiteProblem list raised as LoadError; nothing else escapes for bad text.
"""

import yaml

MAX_NODES = 100_000
MAX_DEPTH = 64

_STR = "tag:yaml.org,2002:str"
_KEEP_AS_WRITTEN = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary")


class LoadError(ValueError):
    """The text is not a YAML document this loader accepts: (line, message) in .line/.msg."""

    def __init__(self, line, msg):
        super().__init__(f"{line}: {msg}")
        self.line = line
        self.msg = msg


class Document:
    """Plain data (`data`) and the line of each path (`line_of(path)`, 1-based)."""

    def __init__(self, data, lines):
        self.data = data
        self.lines = lines

    def line_of(self, path) -> int:
        """The line of path, or of its nearest ancestor that has one (1 if none)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


class _Builder:
    def __init__(self):
        self.lines = {}
        self.count = 0
        self.scalars = yaml.constructor.SafeConstructor()

    def build(self, node, path, depth):
        self.count += 1
        if self.count > MAX_NODES:
            raise LoadError(node.start_mark.line + 1, f"more than {MAX_NODES} values (an alias bomb?)")
        if depth > MAX_DEPTH:
            raise LoadError(node.start_mark.line + 1, f"nested deeper than {MAX_DEPTH} levels")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise LoadError(line, "a mapping key must be a plain value, not a list or mapping")
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise LoadError(line, "merge keys (<<) are not supported in site files")
                key = key_node.value
                if key in out:
                    raise LoadError(line, f"duplicate key {key!r} (first on line {self.lines[path + (key,)]})")
                self.lines[path + (key,)] = line
                out[key] = self.build(value_node, path + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, path + (i,), depth + 1) for i, v in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node):
        if node.tag == _STR or node.style in ("'", '"', "|", ">"):
            return node.value
        if node.tag in _KEEP_AS_WRITTEN:
            return node.value
        if node.tag == "tag:yaml.org,2002:int" and ":" in node.value:
            return node.value  # sexagesimal: a time of day, as written
        try:
            return self.scalars.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as e:
            raise LoadError(node.start_mark.line + 1, f"bad value {node.value!r}: {e}") from None


def load(text: str) -> Document:
    """A Document from YAML text; LoadError (with a line) if it is not one."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise LoadError(line, f"not valid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise LoadError(1, f"not valid YAML: {e}") from None
    except RecursionError:
        raise LoadError(1, "not valid YAML: nested too deeply") from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise LoadError(1, "the file is empty")
    if len(nodes) > 1:
        raise LoadError(nodes[1].start_mark.line + 1, "more than one YAML document")
    b = _Builder()
    try:
        data = b.build(nodes[0], (), 0)
    except RecursionError:
        raise LoadError(1, "nested too deeply") from None
    return Document(data, b.lines)
