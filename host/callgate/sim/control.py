"""The control protocol: host tools driving a running virtual board's exchange, both sides.

Over the board model's `control.sock` (model.py owns the socket and its thread), JSON lines,
one request per line, answered by zero or more lines and then a last one, "done" or "error":

    {"op": "call", "port", "caller": Caller.to_json() (caller.py)}
        an inbound call on FXO `port`: {"t": "progress", "what", "at", ...} per step, then
        {"t": "done", ...Call.result()} when the call has ended
    {"op": "phone", "port", "action": "off"|"on"|"dial", "digits"}
        the phone on FXS `port` goes off hook, on hook, or dials: {"t": "done", "port", "action"}
    {"op": "agent", "port", "answer_ms", "talk_ms" (ms or [low, high]), "seed", "off",
     "dispositions": [keys], "breaks": {"every_ms", "length_ms", "pause": [keys], "ready": keys}}
        that phone an automatic agent (phones.Phone.auto, with its habits: feature codes it
        keys), or a manual one again ("off": true):
        {"t": "done", ...Phone.status()}
    {"op": "number", "number", "answers", "rings"}
        how the exchange answers the board's outbound calls to `number` (callee.py):
        {"t": "done", "number", "answers"[, "rings"]}
    {"op": "trunk", "port", "dial_tone", "plan"}
        FXO `port`'s exchange side: dial tone on seizure (false: none), its tone plan:
        {"t": "done", "port", "dial_tone", "plan"}
    {"op": "dialled"}
        the outbound calls the exchange finished (the last 20): {"t": "done", "calls"}
    {"op": "info"}
        {"t": "done", "board", "ports", "clock", "epoch", "now_s", "firmware", "phones"}
    anything refused: {"t": "error", "msg"}

`Control` is the client, `answer()` the server (called by the board model per request line).

`callgate sim` records each running sim in a small JSON file, `<runtime dir>/<pid>.json`
({"pid", "board", "data", "repl", "control", "tcp": the socket:// URL of its data UART or null}),
and removes it when it stops (link/portlock.py locks that URL as the data pty); the runtime
dir is $CALLGATE_RUNTIME_DIR, else $XDG_RUNTIME_DIR/callgate-sims, else
/tmp/callgate-sims-<uid>. `find()` picks the running sim (by its data port when there are
several):

    with Control(find().control) as ctl:
        for item in ctl.call(0, Caller(number="5551234", digits="1#")):
            print(item)                # {"t": "progress", "what": "ring", ...} ... {"t": "done"}
"""

import json
import os
import pathlib
import random
import socket
import tempfile
import threading

from .caller import WAV_FIELDS, Caller

PHONE_ACTIONS = ("off", "on", "dial", "flash")


class NoSim(OSError):
    """No running virtual board (or several, and nothing says which)."""


def runtime_dir() -> pathlib.Path:
    if os.environ.get("CALLGATE_RUNTIME_DIR"):
        return pathlib.Path(os.environ["CALLGATE_RUNTIME_DIR"])
    if os.environ.get("XDG_RUNTIME_DIR"):
        return pathlib.Path(os.environ["XDG_RUNTIME_DIR"]) / "callgate-sims"
    return pathlib.Path(tempfile.gettempdir()) / f"callgate-sims-{os.getuid()}"


class SimRecord:
    def __init__(self, d: dict, path: pathlib.Path):
        self.pid = d["pid"]
        self.board = d.get("board")
        self.data = d.get("data")
        self.repl = d.get("repl")
        self.control = d["control"]
        self.tcp = d.get("tcp")
        self.path = path


def register(vb, board: str) -> pathlib.Path:
    """Record a running VirtualBoard; returns the file (unregister() removes it)."""
    folder = runtime_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{os.getpid()}.json"
    info = {"pid": os.getpid(), "board": board, "data": vb.data_port, "repl": vb.repl_port,
            "control": vb.control_path, "tcp": getattr(vb, "tcp_url", None)}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, path)
    return path


def unregister(path) -> None:
    try:
        os.unlink(path)
    except (OSError, TypeError):
        pass


def running() -> list:
    """The sims that are still running (records of dead ones are removed)."""
    out = []
    folder = runtime_dir()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            rec = SimRecord(json.loads(path.read_text()), path)
            os.kill(rec.pid, 0)
        except ProcessLookupError:
            unregister(path)
            continue
        except (OSError, ValueError, KeyError):
            continue
        if os.path.exists(rec.control):
            out.append(rec)
    return out


def find(port=None) -> SimRecord:
    """The running sim whose data port is `port` (its pty or TCP URL), or the only running one."""
    sims = running()
    if port:
        sims = [s for s in sims if port in (s.data, s.tcp)]
        if not sims:
            raise NoSim(f"no running `callgate sim` has data port {port}")
    if not sims:
        raise NoSim("no virtual board is running: start one with `callgate sim`")
    if len(sims) > 1:
        raise NoSim("several virtual boards run (" + ", ".join(s.data for s in sims) + "): say which with --port")
    return sims[0]


class Control:
    def __init__(self, path: str, timeout: float = 120.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self._buf = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _send(self, msg: dict) -> None:
        self.sock.sendall(json.dumps(msg).encode() + b"\n")

    def _replies(self):
        while True:
            while b"\n" not in self._buf:
                data = self.sock.recv(4096)
                if not data:
                    raise ConnectionError("the virtual board stopped")
                self._buf += data
            line, self._buf = self._buf.split(b"\n", 1)
            msg = json.loads(line)
            if msg.get("t") == "error":
                raise ValueError(msg.get("msg"))
            yield msg
            if msg.get("t") == "done":
                return

    def request(self, msg: dict) -> dict:
        self._send(msg)
        return list(self._replies())[-1]

    def call(self, port=0, caller: Caller | None = None, **fields):
        """Place a call on FXO `port` by `caller` (or a Caller of `fields`; CallerError before
        anything is sent if one is bad); yields its progress items, then the "done" summary."""
        if caller is None:
            caller = Caller(**fields)
        elif fields:
            raise ValueError("call() takes a Caller or its fields, not both")
        wavs = {k: os.path.abspath(getattr(caller, k)) for k in WAV_FIELDS if getattr(caller, k)}
        self._send({"op": "call", "port": port, "caller": caller.replace(**wavs).to_json()})
        yield from self._replies()

    def phone(self, port: int, action: str, digits: str = "") -> dict:
        return self.request({"op": "phone", "port": port, "action": action, "digits": digits})

    def agent(self, port: int, answer_ms=2000, talk_ms=60000, seed=None, off=False, dispositions=None,
              breaks=None) -> dict:
        """Make the phone on FXS `port` an automatic agent (phones.Phone.auto; talk_ms: ms or
        [low, high]; dispositions and breaks: its habits), or a manual phone again (off);
        returns the phone's status."""
        msg = {"op": "agent", "port": port, "answer_ms": answer_ms,
               "talk_ms": list(talk_ms) if isinstance(talk_ms, tuple) else talk_ms, "seed": seed, "off": off}
        if dispositions:
            msg["dispositions"] = list(dispositions)
        if breaks:
            msg["breaks"] = breaks
        return self.request(msg)

    def info(self) -> dict:
        return self.request({"op": "info"})

    def number(self, number: str, answers: str, rings=None) -> dict:
        if answers.startswith("wav:"):
            answers = "wav:" + os.path.abspath(answers[4:])
        return self.request({"op": "number", "number": number, "answers": answers, "rings": rings})

    def trunk(self, port: int, dial_tone=None, plan=None) -> dict:
        return self.request({"op": "trunk", "port": port, "dial_tone": dial_tone, "plan": plan})

    def dialled(self) -> list:
        return self.request({"op": "dialled"})["calls"]


# -- the server: the board model's side ------------------------------------------------------

def answer(model, msg, reply) -> None:
    """Carry out one request on `model` (a BoardModel); reply(obj) sends an answer line (from
    any thread). A bad request is answered with an error, never raised."""
    try:
        if not isinstance(msg, dict):
            raise ValueError("a request is one JSON object per line")
        op = msg.get("op")
        if op not in _OPS:
            raise ValueError(f"unknown op {op!r} ({', '.join(_OPS)})")
        _OPS[op](model, msg, reply)
    except (ValueError, TypeError, KeyError, OSError) as e:
        reply({"t": "error", "msg": str(e)})


def _call(model, msg, reply) -> None:
    call = model.network.place_call(int(msg.get("port", 0)), Caller.from_json(msg.get("caller", {})))
    call.listeners.append(lambda item: reply({"t": "progress", **item}))
    threading.Thread(target=_await_call, args=(call, reply), daemon=True).start()


def _await_call(call, reply) -> None:
    call.done.wait()
    reply({"t": "done", **call.result()})


def _phone(model, msg, reply) -> None:
    phone = model.network.phone(int(msg.get("port", -1)))
    action = msg.get("action")
    if action == "off":
        phone.off_hook()
    elif action == "on":
        phone.hang_up()
    elif action == "dial":
        phone.dial(str(msg.get("digits", "")))
    elif action == "flash":
        phone.flash()
    else:
        raise ValueError(f"phone action must be {', '.join(PHONE_ACTIONS)}, not {action!r}")
    reply({"t": "done", "port": phone.port, "action": action})


def _agent(model, msg, reply) -> None:
    phone = model.network.phone(int(msg.get("port", -1)))
    if msg.get("off"):
        phone.manual()
    else:
        seed = msg.get("seed")
        breaks = msg.get("breaks")
        if breaks is not None and not isinstance(breaks, dict):
            raise ValueError("breaks: {every_ms, length_ms, pause: [keys], ready: keys}")
        dispositions = msg.get("dispositions")
        if dispositions is not None and not isinstance(dispositions, list):
            raise ValueError("dispositions: a list of keys")
        phone.auto(answer_ms=msg.get("answer_ms", 2000), talk_ms=msg.get("talk_ms", 60000),
                   rng=random.Random(seed) if seed is not None else None, dispositions=dispositions, breaks=breaks)
    reply({"t": "done", **phone.status()})


def _info(model, msg, reply) -> None:
    plane = model.audio
    reply({"t": "done", "board": model.board_def.get("id"), "ports": model.board_def["ports"],
           "clock": plane.clock, "epoch": plane.epoch, "firmware": model.firmware, "now_s": plane.now / 8000,
           "phones": [ph.status() for ph in model.network.phones.values()]})


def _number(model, msg, reply) -> None:
    reply({"t": "done", **model.network.set_number(msg.get("number"), msg.get("answers"), msg.get("rings"))})


def _trunk(model, msg, reply) -> None:
    port = msg.get("port")
    if not isinstance(port, int) or isinstance(port, bool):
        raise ValueError(f"trunk: port must be a port number, not {port!r}")
    reply({"t": "done", **model.network.set_trunk(port, msg.get("dial_tone"), msg.get("plan"))})


def _dialled(model, msg, reply) -> None:
    reply({"t": "done", "calls": list(model.network.dialled)})


_OPS = {"call": _call, "phone": _phone, "agent": _agent, "info": _info, "number": _number,
        "trunk": _trunk, "dialled": _dialled}
