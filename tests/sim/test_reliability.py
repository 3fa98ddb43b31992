"""Reliability of the whole path: a faulty wire, the board killed mid-session, a host killed
mid-request, `socket://` and ptys. Real processes, ptys and sockets on 127.0.0.1; no mocks.

Each test starts its own virtual board and stops it (and anything else it started) itself.
"""

import json
import os
import queue
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import serial

from callgate.firmware.link import frame, messages
from callgate.link.client import Client, LinkError, connect
from callgate.sim.board import VirtualBoard
from callgate.sim.faults import Faults

CALLGATE = [sys.executable, "-m", "callgate"]


def collect(q, pred, timeout):
    """Events from q until pred(list so far) holds; the list."""
    got = []
    deadline = time.monotonic() + timeout
    while not pred(got) and time.monotonic() < deadline:
        try:
            got.append(q.get(timeout=0.1))
        except queue.Empty:
            pass
    return got


def hooks(events, port):
    return [e.value["off"] for e in events if e.name == "hook" and e.value.get("port") == port]


def consecutive(events):
    numbers = [e.number for e in events]
    return bool(numbers) and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_faults_model():
    """The faulty wire itself: each kind at about its share of the rate, repeatable."""
    data = bytes(range(256)) * 400
    f = Faults(0.01, seed=5)
    out = b"".join(f.apply(data[i : i + 333]) for i in range(0, len(data), 333))
    s = f.stats
    assert s["bytes"] == len(data)
    for k in ("corrupted", "dropped", "duplicated"):
        assert 0.002 * len(data) < s[k] < 0.0047 * len(data), s
    assert len(out) == len(data) - s["dropped"] + s["duplicated"]
    g = Faults(0.01, seed=5)
    assert g.apply(data) == Faults(0.01, seed=5).apply(data)


def test_fault_rate_requests_and_events_exactly_once():
    """1 % of the bytes corrupted, dropped or duplicated, each way: every request is answered
    and every event reaches the subscriber exactly once, in order (gaps refilled by EVENTS,
    duplicates suppressed), none reported lost."""
    n_requests, n_events = 100, 60
    with VirtualBoard("virtual-4", fault_rate=0.01, seed=11) as vb, connect(
        vb.data_port, timeout=0.05, retries=20
    ) as c:
        for i in range(n_requests):
            assert c.ping(i)["echo"] == i
        # a long reply (~230 bytes): the likeliest to be hit. Request and reply arrive whole
        # about one time in twelve (0.99 ** 250), so 20 tries fail one time in six: allow 200
        c.retries = 200
        st = c.status()
        assert st["board"] == "virtual-4"
        q = queue.SimpleQueue()
        c.subscribe(q.put)
        for i in range(n_events // 2):  # each hook change is two events: hook, port
            vb.model.lines.hook(2, i % 2 == 0)
            time.sleep(0.01)

        def done(got):
            if len(hooks(got, 2)) < n_events // 2 or got[-1].name != "port":
                c.ping("nudge")  # its reply's next_ev shows a lost last event
                return False
            return True

        got = collect(q, done, 20)
        assert [e.name for e in got if e.number is None] == [], c.stats  # nothing "lost"
        assert consecutive(got), [e.number for e in got]  # each once, in order
        assert hooks(got, 2) == [i % 2 == 0 for i in range(n_events // 2)]
        faults = vb.model.faults
        for way in ("to_host", "to_board"):
            s = faults[way].stats
            assert s["corrupted"] and s["dropped"] and s["duplicated"], (way, s)
        assert c.stats["retries"] > 0 and c.stats["lost"] == 0
        print(f"client {c.stats}; faults {faults['to_host'].stats} / {faults['to_board'].stats}")


def test_kill9_firmware_mid_session():
    """SIGKILL the MicroPython process while requests are flying: the sim restarts it, every
    request still gets its answer (retries), the client sees the BOOT event, shakes hands
    again and keeps delivering events, numbered from the new boot."""
    with VirtualBoard("virtual-4") as vb, connect(vb.data_port, timeout=0.3, retries=10) as c:
        q = queue.SimpleQueue()
        c.subscribe(q.put)
        old_boot, old_pid = c.info["boot"], vb.proc.pid
        vb.model.lines.hook(2, True)
        first = collect(q, lambda g: hooks(g, 2) and g[-1].name == "port", 5)  # hook, port
        assert hooks(first, 2) == [True] and first[-1].value["state"] == "offhook"

        answers, errors, go = [], [], threading.Event()

        def pinger():
            i = 0
            while not go.is_set():
                try:
                    answers.append(c.ping(i)["echo"] == i)
                except Exception as e:  # noqa: BLE001 - the test reports it
                    errors.append(e)
                i += 1

        t = threading.Thread(target=pinger)
        t.start()
        time.sleep(0.1)
        vb.kill_firmware(signal.SIGKILL)
        assert vb.wait_restart(old_pid), vb.console()
        time.sleep(0.2)
        go.set()
        t.join(10)
        assert not errors and answers and all(answers), errors
        deadline = time.monotonic() + 5
        while c.resets < 1 or c.info["boot"] == old_boot:
            assert time.monotonic() < deadline, "no new handshake"
            time.sleep(0.02)
        assert c.info["board"] == "virtual-4"
        vb.model.lines.hook(3, True)
        # the new boot: BOOT, the line conditions it finds (port 2's phone still off hook),
        # then port 3's hook; numbered from 0, each once
        after = collect(q, lambda g: hooks(g, 3) == [True], 5)
        assert [e.number for e in after] == list(range(len(after))), after
        assert after[0].name == "boot" and after[0].value["boot"] not in (old_boot, None)
        assert after[0].value["boot"] == c.info["boot"]
        assert c.stats["lost"] == 0 and vb.restarts == 1
        assert c.status()["ports"][2]["state"] == "offhook"


def test_monitor_survives_firmware_restart():
    with VirtualBoard("virtual-4") as vb:
        mon = subprocess.Popen(
            CALLGATE + ["--port", vb.data_port, "monitor", "--json", "--seconds", "20"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert select.select([mon.stderr], [], [], 15)[0], "monitor did not start"
            assert mon.stderr.readline().startswith("monitoring")
            lines = queue.SimpleQueue()
            threading.Thread(target=lambda: [lines.put(json.loads(x)) for x in mon.stdout], daemon=True).start()
            vb.model.lines.hook(2, True)
            first = collect(lines, lambda g: g and g[-1]["event"] == "port", 5)  # hook, port
            assert [(e["event"], e["port"]) for e in first] == [("hook", 2), ("port", 2)]
            vb.wait_restart(vb.kill_firmware())
            vb.model.lines.hook(3, True)
            # BOOT, what the new boot finds (port 2 still off hook), then port 3's hook
            again = collect(lines, lambda g: any(e["event"] == "hook" and e["port"] == 3 for e in g), 5)
            assert [e["n"] for e in again] == list(range(len(again))) and again[0]["event"] == "boot"
            assert mon.poll() is None
        finally:
            stop(mon)


HOST_SCRIPT = r"""
import sys, time
from callgate.firmware.link import frame, messages
from callgate.link.client import connect
c = connect(sys.argv[1])
print("connected", flush=True)
i = 0
while True:               # requests back to back until killed, one of them cut short
    c.request(messages.OP_STATUS)
    c._ser.write(frame.encode(messages.pack(messages.REQ, 7, messages.OP_PING, "x" * 200))[:60])
    i += 1
    print(i, flush=True)
"""


def test_host_killed_mid_request_next_client_works():
    """kill -9 a host while it has requests (and half a frame) on the line: the board keeps
    running, and the next client's handshake, requests and events all work at once."""
    with VirtualBoard("virtual-4") as vb:
        host = subprocess.Popen([sys.executable, "-c", HOST_SCRIPT, vb.data_port], stdout=subprocess.PIPE, text=True)
        try:
            assert select.select([host.stdout], [], [], 10)[0] and host.stdout.readline().startswith("connected")
            done = 0
            while done < 12:  # many requests in (counted, not timed: a loaded machine is slower)
                assert select.select([host.stdout], [], [], 10)[0], "the host stopped making requests"
                done = int(host.stdout.readline())
        finally:
            host.kill()
            host.wait()
        vb.model.lines.hook(3, True)  # events for nobody, while no host is connected
        deadline = time.monotonic() + 10  # the firmware took it (a busy machine: not at once):
        while not any(c.get("port") == 3 and c.get("name") == "dial" for c in vb.model.lines.commands[-50:]):
            assert time.monotonic() < deadline, "the firmware never gave the off-hook phone dial tone"
            time.sleep(0.02)  # its dial tone goes to the line card, then the event out: a moment for it
        time.sleep(0.1)
        t0 = time.monotonic()
        with connect(vb.data_port, timeout=0.3, retries=0) as c:  # no retry needed
            q = queue.SimpleQueue()
            c.subscribe(q.put)
            st = c.status()
            assert st["ports"][3]["state"] == "offhook"
            assert st["link"]["requests"] > 10  # the killed host's
            vb.model.lines.hook(3, False)
            got = collect(q, lambda g: hooks(g, 3) == [False], 5)
            assert hooks(got, 3) == [False] and consecutive(got) and c.stats["lost"] == 0
        assert time.monotonic() - t0 < 2
        assert vb.proc.poll() is None and vb.restarts == 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sim_tcp_and_socket_url():
    """`callgate sim --tcp PORT` serves the data UART on 127.0.0.1, and `callgate --port
    socket://127.0.0.1:PORT status` talks to the board through it (pyserial's serial_for_url)."""
    port = free_port()
    sim = subprocess.Popen(
        CALLGATE + ["sim", "--json", "--tcp", str(port), "--seconds", "30"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert select.select([sim.stdout], [], [], 15)[0], "sim did not start"
        info = json.loads(sim.stdout.readline())
        url = f"socket://127.0.0.1:{port}"
        assert info["tcp"] == url
        r = subprocess.run(CALLGATE + ["--json", "--port", url, "status"], capture_output=True, text=True, timeout=20)
        assert r.returncode == 0, r.stderr
        st = json.loads(r.stdout)
        assert st["board"] == "virtual-4" and len(st["ports"]) == 4
        r = subprocess.run(CALLGATE + ["--port", url, "status"], capture_output=True, text=True, timeout=20)
        assert r.returncode == 0 and r.stdout.startswith("board virtual-4"), r.stderr
        with connect(url) as c:  # and a second connection after those went away
            assert c.ping(5)["echo"] == 5
    finally:
        stop(sim)
    assert sim.returncode == 0


def test_tcp_bridge_noisy_with_events():
    """The socket:// path under faults too, with events."""
    with VirtualBoard("virtual-4", tcp_port=0, fault_rate=0.005, seed=3) as vb, connect(
        vb.tcp_url, timeout=0.1, retries=12
    ) as c:
        q = queue.SimpleQueue()
        c.subscribe(q.put)
        for i in range(10):
            vb.model.lines.hook(3, i % 2 == 0)
            time.sleep(0.01)
        got = collect(q, lambda g: len(hooks(g, 3)) >= 10 or not c.ping(), 10)
        assert hooks(got, 3) == [i % 2 == 0 for i in range(10)] and consecutive(got), got


def test_port_vanishes_and_comes_back_same_board():
    """The link itself goes away (a USB board re-enumerating after a reset; here a dropped
    TCP connection) while events flow: the client opens the same URL again, checks by HELLO
    that the same board answers, and delivers every event exactly once, none lost."""
    with VirtualBoard("virtual-4", tcp_port=0) as vb, connect(vb.tcp_url, timeout=0.2, retries=10) as c:
        q = queue.SimpleQueue()
        c.subscribe(q.put)
        vb.model.lines.hook(3, True)
        collect(q, lambda g: hooks(g, 3) == [True], 5)
        vb.tcp.drop()
        vb.model.lines.hook(3, False)  # while the host is away: held in the board's ring
        assert c.ping(7)["echo"] == 7  # retried until the port is back
        vb.model.lines.hook(3, True)
        got = collect(q, lambda g: hooks(g, 3) == [False, True], 10)
        assert consecutive(got), got
        assert c.reopens == 1 and c.info["board"] == "virtual-4" and c.stats["lost"] == 0


def test_port_gone_for_good_closes_the_client():
    with VirtualBoard("virtual-4", tcp_port=0) as vb:
        c = connect(vb.tcp_url, timeout=0.2, retries=2, reopen=0.5)
        try:
            vb.tcp.close()  # no listener any more: nothing to reopen
            deadline = time.monotonic() + 5
            while not c._closed.is_set():
                assert time.monotonic() < deadline, "client still waiting"
                time.sleep(0.05)
            with pytest.raises(LinkError):
                c.ping()
        finally:
            c.close()


def test_pty_tolerates_dtr_rts(tmp_path):
    """A pty has no modem lines. Setting DTR/RTS before open (what Client does, so a real
    adapter does not reset the board) is accepted and opening works; after open pyserial's
    ioctl fails with a plain OSError (ENOTTY), which callers can catch. Client opens it either
    way and talks."""
    with VirtualBoard("virtual-4") as vb:
        ser = serial.serial_for_url(vb.data_port, do_not_open=True, baudrate=921600, timeout=0.5)
        ser.dtr = False
        ser.rts = False
        ser.open()
        try:
            for line in ("dtr", "rts"):
                try:
                    setattr(ser, line, True)
                except OSError:
                    pass  # ENOTTY on a pty: no modem lines; the port stays usable
            ser.write(frame.encode(messages.pack(messages.REQ, 9, messages.OP_PING, 1)))
            reader, got = frame.Reader(), []
            deadline = time.monotonic() + 3
            while not got and time.monotonic() < deadline:
                got = reader.feed(ser.read(max(1, ser.in_waiting)))
            assert messages.unpack(got[0])[:2] == (messages.RSP, 9)
        finally:
            ser.close()
        with Client(vb.data_port) as c:
            assert c.hello()["board"] == "virtual-4"


def test_sim_kill_command():
    """`kill` at the sim's prompt: the firmware dies (SIGKILL) and the sim starts it again."""
    sim = subprocess.Popen(
        CALLGATE + ["sim", "--json", "--seconds", "30"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        info = json.loads(sim.stdout.readline())
        old = info["firmware_pid"]
        sim.stdin.write("kill\n")
        sim.stdin.flush()
        assert select.select([sim.stdout], [], [], 15)[0]
        line = json.loads(sim.stdout.readline())["reply"]  # --json: each reply as {"command", "reply"}
        assert line.startswith(f"ok: killed firmware {old}, restarted as "), line
        try:
            os.kill(old, 0)
            raise AssertionError(f"firmware {old} still running")
        except ProcessLookupError:
            pass
        with connect(info["data"]) as c:
            assert c.status()["uptime_ms"] < 5000
        sim.stdin.write("quit\n")
        sim.stdin.flush()
        sim.wait(timeout=10)
    finally:
        stop(sim)
