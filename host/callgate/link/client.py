"""The host's end of the link: requests with deadlines and retries, events to subscribers.

    with Client("/dev/ttyUSB0") as c:      # or the virtual board's pty, socket://, rfc2217://
        info = c.hello()                    # the version handshake (done by connect())
        print(c.status()["ports"])
        c.subscribe(print)                  # Event(number, kind, name, value) for each event

Layers, from the bottom: pyserial's serial_for_url() moves bytes; frame.Reader cuts them
into frames; a reader thread hands replies to the request waiting for that id and events to
a dispatcher thread, which calls the subscribers. A slow subscriber therefore never delays a
reply. Requests carry a 16-bit id; a request not answered by its deadline is sent again,
byte for byte, so the board's reply cache answers it without running it twice (docs/link.md).

The client tracks event numbers: a gap makes it ask the board for the missing events
(EVENTS); those the board no longer holds are reported to subscribers as one Event with
kind "lost". An event numbered 0 of kind "boot" means the board restarted.

Resets: a BOOT event, or a reply whose `boot` differs from the last one seen (the BOOT event
was lost), means the board restarted: the client shakes hands again (HELLO; `info` is
refreshed, `resets` counts them, and `info["board"]` is checked to be the same board), fetches
the new boot's events and goes on delivering them. With `keepalive=S` it PINGs after S seconds
without traffic while someone is subscribed, so a restart (or a lost last event) is noticed
even on a quiet line; `monitor` uses that. Bytes that were waiting in the port when it opened
(replies and events meant for a host that went away) are discarded.

Resuming: a program that stored the events it was given (the operations center's ingest)
starts a new client where the last one stopped, before the handshake:

    c = Client(port)
    c.subscribe(store)                      # first, so no event goes to nobody
    c.resume_from(boot, n)                  # before the handshake
    c.hello()                               # then: the events after n of that boot

The HELLO reply's `next_ev` and `boot` then drive the usual recovery: the same boot gives
exactly the events after n (those the board still holds; older ones as one "lost" event);
another boot gives that boot's events from its BOOT event (0), as far as the ring holds them.

One host per port: the client holds the port's lock (portlock.py) from opening to close(), so
a second program on the same port is refused at once with PortInUse, naming the first one,
instead of both losing replies to each other.
"""

import errno
import itertools
import queue
import random
import threading
import time

import serial

from ..firmware.link import frame, messages
from ..firmware.link.errors import DecodeError, LinkError, RemoteError
from .portlock import PortInUse, PortLock, is_device

DEFAULT_BAUD = 921600


class LinkTimeout(LinkError, TimeoutError):
    """No reply before the deadline, after every retry. op: the request's name ("hello"...);
    rx_bytes: how many bytes the port had delivered by then (0: nothing answers at all)."""

    def __init__(self, message: str, op=None, rx_bytes: int = 0):
        super().__init__(message)
        self.op, self.rx_bytes = op, rx_bytes


class LinkClosed(LinkError):
    """The client was closed, or the serial port failed, while a request waited."""


class VersionMismatch(LinkError):
    """The board speaks another protocol version."""


class Event:
    """One event from the board: number (16-bit), kind (EV_* or "lost"), name, value."""

    __slots__ = ("number", "kind", "name", "value", "received")

    def __init__(self, number, kind, value):
        self.number = number
        self.kind = kind
        self.name = messages.EVENT_NAMES.get(kind, str(kind)) if isinstance(kind, int) else kind
        self.value = value
        self.received = time.time()

    def as_dict(self) -> dict:
        return {"n": self.number, "event": self.name, **(self.value if isinstance(self.value, dict) else {"value": self.value})}

    def __repr__(self) -> str:
        return f"Event({self.number}, {self.name!r}, {self.value!r})"


class _Pending:
    __slots__ = ("done", "reply")

    def __init__(self):
        self.done = threading.Event()
        self.reply = None


class Client:
    RECOVER_TRIES = 6  # EVENTS requests per gap, while resent events keep arriving damaged
    HELLO_TRIES = 10  # at least, for the handshake (harmless to repeat): a board just booted, or
    # busy on its flash, may take seconds to answer its first request (4 tries of 0.5 s went
    # unanswered under CI's load, after a rig run, and a provision failed)

    def __init__(
        self,
        port: str,
        baudrate: int = DEFAULT_BAUD,
        timeout: float = 0.5,
        retries: int = 3,
        keepalive: float | None = None,
        reopen: float = 10.0,
    ):
        """reopen: when the port itself goes away (a USB board re-enumerating after a reset, a
        dropped TCP connection), how long to keep trying to open the same URL again before
        giving up; 0 gives up at once. Once it is back, the client shakes hands again and
        refuses to go on if another board answers (LinkClosed names both)."""
        self.timeout = timeout
        self.retries = retries
        self.keepalive = keepalive
        self.info = None
        self.resets = 0  # board restarts seen (each followed by a new handshake)
        self.stats = {"sent": 0, "retries": 0, "replies": 0, "events": 0, "recovered": 0, "lost": 0, "late": 0, "damaged": 0,
                      "rx_bytes": 0}
        self.port, self.baudrate, self.reopen = port, baudrate, reopen
        self.reopens = 0  # times the port vanished and was opened again
        self._port_lock = PortLock(port).acquire()  # PortInUse if another program has it
        try:
            self._ser = self._open()
        except BaseException:
            self._port_lock.release()
            raise
        self._last_check = 0.0
        self._ids = itertools.count(random.getrandbits(16))
        self._pending = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._subscribers = []
        self._events = queue.SimpleQueue()
        self._last_event = None  # number of the last event delivered
        self._boot = None  # the board's boot id, from HELLO or STATUS
        self._closed = threading.Event()
        self._error = None
        self._reader = threading.Thread(target=self._read_loop, name="link-reader", daemon=True)
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="link-events", daemon=True)
        self._reader.start()
        self._dispatcher.start()

    def _open(self):
        options = {"exclusive": True} if is_device(self.port) else {}  # flock on the device too
        ser = serial.serial_for_url(self.port, do_not_open=True, baudrate=self.baudrate, timeout=0.05, **options)
        for line in ("dtr", "rts"):  # some adapters reset the board on DTR/RTS; a pty has none
            try:
                setattr(ser, line, False)
            except (OSError, ValueError, serial.SerialException):
                pass
        try:
            ser.open()
        except serial.SerialException as e:
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):  # another user's or tool's lock
                raise PortInUse(self.port) from None
            raise
        try:
            ser.reset_input_buffer()  # left over for a host that went away
        except (OSError, serial.SerialException):
            pass
        return ser

    def _reopen(self) -> bool:
        """The port went away: open the same URL again, for up to `reopen` seconds."""
        deadline = time.monotonic() + self.reopen
        with self._write_lock:
            try:
                self._ser.close()
            except (OSError, serial.SerialException):
                pass
            while not self._closed.is_set() and time.monotonic() < deadline:
                try:
                    self._ser = self._open()
                except (OSError, ValueError, serial.SerialException, PortInUse):
                    time.sleep(0.2)
                    continue
                self.reopens += 1
                return True
        return False

    # -- requests ----------------------------------------------------------------------------

    def request(self, op: int, value=None, timeout: float | None = None, retries: int | None = None):
        """Send a request; return the reply's value, or raise RemoteError / LinkTimeout."""
        timeout = self.timeout if timeout is None else timeout
        retries = self.retries if retries is None else retries
        rid = next(self._ids) & 0xFFFF
        wire = frame.encode(messages.pack(messages.REQ, rid, op, value))
        slot = _Pending()
        with self._lock:
            self._pending[rid] = slot
        try:
            for attempt in range(retries + 1):
                if attempt:
                    self.stats["retries"] += 1
                self._write(wire)
                if slot.done.wait(timeout):
                    if _damaged(slot.reply) and attempt < retries and not self._closed.is_set():
                        # The board could not parse a payload this host encoded: the line
                        # changed it and the CRC-16 did not see it (a chance of 1 in 65 536
                        # per damaged frame). Send it again.
                        self.stats["damaged"] += 1
                        slot.reply = None
                        slot.done.clear()
                        continue
                    break
                if self._closed.is_set():
                    raise LinkClosed(str(self._error or "client closed"))
            else:
                name = messages.OP_NAMES.get(op, op)
                raise LinkTimeout(f"no reply to {name} in {retries + 1} tries of {timeout:g} s", name,
                                  self.stats["rx_bytes"])
        finally:
            with self._lock:
                self._pending.pop(rid, None)
        if slot.reply is None:
            raise LinkClosed(str(self._error or "client closed"))
        kind, _, _, reply = slot.reply
        if kind == messages.ERR:
            reply = reply if isinstance(reply, dict) else {}
            code = reply.get("code", 0)
            msg = reply.get("msg") or messages.ERROR_NAMES.get(code, "error")
            raise RemoteError(code, msg, reply.get("detail"))
        return reply

    def hello(self) -> dict:
        try:
            info = self.request(messages.OP_HELLO, {"proto": messages.PROTO},
                                retries=max(self.retries, self.HELLO_TRIES - 1))
        except RemoteError as e:
            if e.code == messages.ERR_VERSION:
                theirs = (e.detail or {}).get("proto")
                raise VersionMismatch(f"board speaks protocol {theirs}, this host {messages.PROTO}") from None
            raise
        if self.info is not None and info.get("board") != self.info.get("board"):
            raise LinkError(f"another board answers: {info.get('board')!r}, was {self.info.get('board')!r}")
        self.info = info
        self._resync(info)
        return info

    def resume_from(self, boot, last_event: int) -> None:
        """Go on from event `last_event` of boot `boot`, delivered by an earlier client: the
        handshake then fetches the events after it (or, if the board has restarted since, the
        new boot's from 0). Call it after subscribe() and before hello(); a client that has shaken hands already
        tracks the numbers itself (ValueError)."""
        if self.info is not None:
            raise ValueError("resume_from() after the handshake: the client already knows where it is")
        if boot is None or not isinstance(last_event, int) or not 0 <= last_event <= 0xFFFF:
            raise ValueError(f"resume_from needs a boot id and an event number 0..65535, not {boot!r}, {last_event!r}")
        self._boot = boot
        self._last_event = last_event

    def ping(self, value=None):
        return self.request(messages.OP_PING, value)

    def status(self) -> dict:
        st = self.request(messages.OP_STATUS)
        self._resync(st)
        return st

    def repl(self) -> dict:
        """Ask the board to stop its application and run its REPL (the link goes quiet)."""
        return self.request(messages.OP_REPL)

    # -- events ------------------------------------------------------------------------------

    def subscribe(self, fn):
        """Call fn(event) for every event, on the dispatcher thread; returns an unsubscriber."""
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn)

    def events(self, timeout: float | None = None):
        """Iterate over events as they come; stop after `timeout` s of silence (None: never)."""
        q = queue.SimpleQueue()
        unsubscribe = self.subscribe(q.put)
        try:
            while True:
                try:
                    yield q.get(timeout=timeout)
                except queue.Empty:
                    return
        finally:
            unsubscribe()

    # -- plumbing ----------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        self._events.put(None)
        self._reader.join(timeout=2)
        self._dispatcher.join(timeout=2)
        self._ser.close()
        self._port_lock.release()
        with self._lock:
            for slot in self._pending.values():
                slot.done.set()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _write(self, wire: bytes) -> None:
        with self._write_lock:
            try:
                self._ser.write(wire)
                self._ser.flush()
            except (OSError, serial.SerialException) as e:
                if not self.reopen:
                    raise LinkClosed(f"serial port: {e}") from e
                return  # the port is going away: the reader reopens it, the request retries
        self.stats["sent"] += 1

    def _read_loop(self) -> None:
        reader = frame.Reader()
        while not self._closed.is_set():
            try:
                data = self._ser.read(max(1, self._ser.in_waiting))
                self.stats["rx_bytes"] += len(data)
            except (OSError, serial.SerialException, TypeError, AttributeError) as e:
                if self._closed.is_set():
                    return
                if not self.reopen or not self._reopen():
                    self._fail(e)
                    return
                reader = frame.Reader()
                self._events.put(("reopened",))
                continue
            for body in reader.feed(data):
                try:
                    msg = messages.unpack(body)
                except DecodeError:
                    continue
                kind, seq = msg[0], msg[1]
                if kind == messages.EVT:
                    self._events.put(msg)
                elif kind in (messages.RSP, messages.ERR):
                    with self._lock:
                        slot = self._pending.get(seq)
                    if slot is None or slot.done.is_set():
                        self.stats["late"] += 1  # a reply to a retry already answered
                    else:
                        slot.reply = msg
                        self.stats["replies"] += 1
                        slot.done.set()
                    value = msg[3]
                    if kind == messages.RSP and isinstance(value, dict) and isinstance(value.get("next_ev"), int):
                        # behind the events sent before this reply: is the last of them missing?
                        self._events.put(("check", value["next_ev"], value.get("boot")))

    def _fail(self, exc) -> None:
        if not self._closed.is_set():
            self._error = exc
            self._closed.set()
            self._events.put(None)
        with self._lock:
            for slot in self._pending.values():
                slot.done.set()

    def _dispatch_loop(self) -> None:
        while True:
            try:
                msg = self._events.get(timeout=self.keepalive)
            except queue.Empty:  # a quiet line: is the board still the one we knew?
                if self._subscribers:
                    self._check()
                continue
            if msg is None:
                return
            if msg[0] == "reopened":
                self._after_reopen()
                continue
            if msg[0] == "check":
                _, next_ev, boot = msg
                if boot is not None and self._boot is not None and boot != self._boot:
                    self._boot = boot  # a restart whose BOOT event never came: all of it
                    self._last_event = 0xFFFF
                    self._rehandshake()
                    self._recover(0xFFFF, next_ev)
                elif self._last_event is not None and messages.seq_after((next_ev - 1) & 0xFFFF, self._last_event):
                    self._recover(self._last_event, next_ev)
                continue
            _, number, kind, value = msg
            if kind == messages.EV_BOOT and number == 0:
                new_boot = value.get("boot") if isinstance(value, dict) else None
                if new_boot is not None and new_boot == self._boot and self._last_event is not None:
                    continue  # this boot's BOOT event again (resent)
                self._last_event = None  # the board restarted: numbering starts again
                self._boot = new_boot
                self._rehandshake()
            elif self._last_event is not None:
                if not messages.seq_after(number, self._last_event):
                    # A resent event, or the board restarted and its BOOT event was lost
                    # (numbering began again below ours): a PING's boot id tells which.
                    if time.monotonic() - self._last_check > 0.2:
                        self._check()
                    continue
                if (number - self._last_event - 1) & 0xFFFF:
                    self._recover(self._last_event, number)
                    if not messages.seq_after(number, self._last_event):
                        continue  # recovered, including this one
            self._deliver(Event(number, kind, value))

    def _check(self) -> None:
        """PING: its reply's next_ev and boot queue a check (a lost last event, a restart)."""
        self._last_check = time.monotonic()
        try:
            self.ping()
        except LinkError:
            pass

    def _after_reopen(self) -> None:
        """The port is back: the same board? Then catch up on events as after a restart."""
        if self.info is None:
            return
        try:
            self.hello()  # refuses another board
        except LinkError as e:
            self._fail(LinkClosed(f"after reopening {self.port}: {e}"))
            return
        self._check()  # its reply queues a check: a restart or missed events are recovered

    def _rehandshake(self) -> None:
        """After a restart: HELLO again (the board may run other firmware now)."""
        if self.info is None:
            return  # not shaken hands yet: the caller's hello() will
        self.resets += 1
        try:
            self.hello()
        except LinkError:
            pass  # the board is still starting: requests will retry

    def _recover(self, after: int, seen: int) -> None:
        """Ask for the events after `after` (a gap before number `seen`), which the board
        sends ahead of its reply; ask again if some of those were damaged too. What the board
        no longer holds, or what never arrives, is delivered as one "lost" event."""
        held = {}  # number -> message, not delivered yet
        top = (seen - 1) & 0xFFFF  # the newest number known to exist
        for _ in range(self.RECOVER_TRIES):
            try:
                r = self.request(messages.OP_EVENTS, {"after": after})
            except LinkError:
                break
            for msg in self._drain():
                held[msg[1]] = msg
            top = (r["next_ev"] - 1) & 0xFFFF
            for n in held:  # events that came in meanwhile: a gap below them is missing too
                if messages.seq_after(n, top):
                    top = n
            if r.get("lost"):
                self._lost(r["lost"])
                after = (r["next_ev"] - r["sent"] - 1) & 0xFFFF  # just before the oldest held
                self._last_event = after
            while (after + 1) & 0xFFFF in held:
                after = (after + 1) & 0xFFFF
                self.stats["recovered"] += 1
                self._deliver(Event(*held.pop(after)[1:]))
            if not messages.seq_after(top, after):
                break
        missing = 0
        for m in sorted(held.values(), key=lambda m: (m[1] - after) & 0xFFFF):
            if not messages.seq_after(m[1], after):
                continue
            missing += (m[1] - after - 1) & 0xFFFF
            if missing:
                self._lost(missing)
                missing = 0
            after = m[1]
            self._deliver(Event(*m[1:]))
        if messages.seq_after(top, after):
            self._lost((top - after) & 0xFFFF)
            self._last_event = top

    def _drain(self) -> list:
        """The events waiting in the queue (checks dropped: the caller is recovering; a
        reopened port is put back, so its handshake still happens)."""
        out, reopened = [], False
        while True:
            try:
                msg = self._events.get_nowait()
            except queue.Empty:
                break
            if msg is None:
                self._events.put(None)
                break
            if msg[0] == messages.EVT:
                out.append(msg)
            elif msg[0] == "reopened":
                reopened = True
        if reopened:
            self._events.put(("reopened",))
        return out

    def _lost(self, count: int) -> None:
        self.stats["lost"] += count
        self._deliver(Event(None, "lost", {"count": count}))

    def _deliver(self, ev: Event) -> None:
        if ev.number is not None:
            self._last_event = ev.number
        self.stats["events"] += 1
        for fn in list(self._subscribers):
            try:
                fn(ev)
            except Exception:  # a subscriber's bug must not stop the others
                pass

    def _resync(self, info) -> None:
        """From the first HELLO or STATUS reply: where the event numbers are. (Later boot
        changes are the dispatcher's: see the "check" messages.)"""
        if isinstance(info, dict) and "next_ev" in info and self._last_event is None and self._boot is None:
            self._boot = info.get("boot")
            self._last_event = (info["next_ev"] - 1) & 0xFFFF


def _damaged(msg) -> bool:
    """An ERR saying the request's payload did not parse (endpoint.py's "payload" error)."""
    if msg is None or msg[0] != messages.ERR or not isinstance(msg[3], dict):
        return False
    return msg[3].get("code") == messages.ERR_BAD_REQUEST and msg[3].get("msg") == "payload"


def connect(port: str, **kw) -> Client:
    """Open port and shake hands; the caller closes the client."""
    c = Client(port, **kw)
    try:
        c.hello()
    except BaseException:
        c.close()
        raise
    return c
