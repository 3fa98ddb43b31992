"""What every command prints and writes: its result (text, or JSON with --json), its output
files, and how a failure reads.

    emit(args, record, lines)        # the result: one JSON document with --json, else the lines
    write_output(path, data)         # an output file; "-" is standard output
    error_text(exc)                  # an exception as the one line the user sees

With --json, standard output carries only JSON: the result (commands that stream, `monitor` and
`sim call`, print one JSON object per line), or, when the command fails, {"error": MESSAGE}
with a non-zero exit. When a command's data itself goes to standard output (`-o -`), its
summary goes to standard error instead. Notes on the way (progress, skipped records) are text
on standard error either way.
"""

import errno
import json
import math
import os
import secrets
import stat
import sys

from .errors import UsageError


def wants_json(args) -> bool:
    return bool(getattr(args, "json", False))


def is_stdout(path) -> bool:
    """Whether an output path is standard output: "-", or a name of the same file
    (/dev/stdout, the terminal's device): then a command's summary goes to standard error."""
    if path is None:
        return False
    path = os.fspath(path)
    if path == "-":
        return True
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):
        return False


def plain(obj):
    """obj with every float JSON cannot hold (infinity, NaN) as None, tuples as lists, paths as
    text."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


def to_json(obj) -> str:
    return json.dumps(plain(obj), allow_nan=False)


def emit(args, record, text=(), to_stderr: bool = False) -> None:
    """A command's result: record as one line of JSON with --json, else text (a string or an
    iterable of lines). to_stderr: the data went to standard output (`-o -`), so the result
    goes to standard error."""
    stream = sys.stderr if to_stderr else sys.stdout
    if wants_json(args):
        lines = [to_json(record)]
    else:
        lines = [text] if isinstance(text, str) else text
    try:
        for line in lines:
            print(line, file=stream)
        stream.flush()
    except BrokenPipeError:
        raise
    except OSError as e:
        where = "standard output" if stream is sys.stdout else "standard error"
        raise OSError(e.errno, e.strerror or str(e), where) from None


def pull_records(args, fetch, to_text, key: str, label: str) -> None:
    """A pull command's records (cdr pull, agent-log pull): fetch() -> (items, bad lines), each
    bad line said on stderr, then to_text(items, "csv" or "json") written to args.output (None
    or -: standard output; --format, else by the file's name, --json). Into a file, a summary
    follows: {"output", "format", key: count, "skipped"}, or "FILE: N label"."""
    to_stdout = args.output is None or is_stdout(args.output)
    if wants_json(args) and to_stdout and args.format == "csv":
        raise UsageError(f"--json prints the {key} as JSON: for CSV, give -o FILE (or leave out --json)")
    fmt = args.format or ("json" if (to_stdout and wants_json(args)) or (args.output or "").lower().endswith(".json")
                          else "csv")
    items, bad = fetch()
    for b in bad:
        print(f"callgate: skipped {b}", file=sys.stderr)
    write_output(args.output or "-", to_text(items, fmt))
    if not to_stdout:
        emit(args, {"output": args.output, "format": fmt, key: len(items), "skipped": [str(b) for b in bad]},
             f"{args.output}: {len(items)} {label}" + (f", {len(bad)} bad line(s) skipped" if bad else ""),
             to_stderr=not wants_json(args))


def flush_stdout() -> None:
    """sys.stdout.flush(), an error naming standard output (a closed pipe stays
    BrokenPipeError: main() ends quietly on it)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as e:
        raise OSError(e.errno, e.strerror or str(e), "standard output") from None


def write_output(path, data) -> None:
    """Write a command's output file (data: bytes, str written as UTF-8, or an iterable of
    bytes written one piece at a time: a long output in constant memory).

    "-" is standard output. A regular file, or a path that does not exist yet, is replaced
    atomically: the data goes to a temporary file beside it, which then takes its place in
    one rename (an existing file keeps its permissions; a crash leaves the old file or the
    new one). A symbolic link is followed: its target gets the data, the link stays. Anything
    else (a FIFO, a device such as /dev/null, a terminal) is written through, as a shell's
    `>` would; a directory is refused. Errors are OSError naming the path.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if os.fspath(path) == "-":
        sys.stdout.flush()
        try:
            fd = sys.stdout.fileno()
        except (OSError, ValueError, AttributeError):  # not a file (a test's capture)
            for piece in _pieces(data):
                sys.stdout.buffer.write(piece)
            sys.stdout.buffer.flush()
            return
        for piece in _pieces(data):
            _write_all(fd, piece)
        return
    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode  # through any symbolic links
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise _named(e, path) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", path)
    target = _link_target(path)
    if target is not None and (mode is None or stat.S_ISREG(mode)):
        _replace(target, data, mode, shown=path)
    else:
        _write_through(path, data, shown=path)


def _pieces(data):
    return (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data


def _link_target(path: str):
    """Where path's symbolic links lead (path itself if it is none), or None when a link goes
    through /proc or /dev/fd (/dev/stdout, /proc/self/fd/1: an open file of this process,
    which only writing through reaches)."""
    for _ in range(40):
        if _is_process_file(path):
            return None
        if not os.path.islink(path):
            return path
        path = os.path.join(os.path.dirname(path), os.readlink(path))
    raise OSError(errno.ELOOP, "too many levels of symbolic links", path)


def _is_process_file(path: str) -> bool:
    p = os.path.abspath(path)
    return p.startswith(("/proc/", "/dev/fd/"))


def _write_through(target: str, data: bytes, shown: str) -> None:
    sys.stdout.flush()  # the path may be standard output by another name
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
        try:
            for piece in _pieces(data):
                _write_all(fd, piece)
        finally:
            os.close(fd)
    except BrokenPipeError:
        raise
    except OSError as e:
        raise _named(e, shown) from None


def _write_all(fd: int, data: bytes) -> None:
    """All of data to fd. (A buffered file can report a short write to a pipe whose reader
    left as success; os.write raises BrokenPipeError on the next try.)"""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _replace(target: str, data: bytes, mode, shown: str) -> None:
    directory, base = os.path.split(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, "no such directory for the output", shown)
    tmp = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                for piece in _pieces(data):
                    f.write(piece)
                f.flush()
                os.fsync(f.fileno())
            if mode is not None:
                os.chmod(tmp, stat.S_IMODE(mode))
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as e:
        raise _named(e, shown) from None


def _named(e: OSError, path: str) -> OSError:
    """e about path as the user wrote it (not the temporary file or the link's target)."""
    return type(e)(e.errno, e.strerror or str(e), path)


def error_text(exc: BaseException) -> str:
    """The one line an error shows: `PATH: what happened` for an OSError about a file, else its
    message (lines joined by "; ")."""
    if isinstance(exc, OSError) and exc.errno is not None and exc.strerror:
        if exc.filename is None:
            return exc.strerror
        where = os.fsdecode(exc.filename)
        if exc.filename2 is not None:
            where += f" -> {os.fsdecode(exc.filename2)}"
        return f"{where}: {exc.strerror}"
    text = str(exc) or type(exc).__name__
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())
