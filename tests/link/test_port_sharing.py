"""One program at a time per data port (link/portlock.py), and what `callgate status` says when
nothing answers (issue 12).

Two programs on one port used to fail most requests with "no reply to hello": a pty (or a
serial port) hands each byte to whichever reader takes it first, so each stole the other's
replies. Now the second is refused at once, naming the first. A board whose app is stopped at
the REPL answers nothing on its data port: status says that, and how to start it again.
Everything here is real: the virtual board, ptys, `callgate` processes, mpremote's REPL port.
"""

import json
import os
import select
import signal
import subprocess
import sys
import time

import pytest
import serial

from callgate.link.client import Client, LinkTimeout, connect
from callgate.link.portlock import PortInUse, PortLock, port_key
from callgate.sim import control
from callgate.sim.board import VirtualBoard

CALLGATE = [sys.executable, "-m", "callgate"]


@pytest.fixture(autouse=True)
def own_dirs(tmp_path, monkeypatch):
    """Locks and sim records of these tests only (the children inherit the environment)."""
    monkeypatch.setenv("CALLGATE_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.setenv("CALLGATE_RUNTIME_DIR", str(tmp_path / "sims"))


def callgate(*args, timeout=60):
    return subprocess.run(CALLGATE + list(args), capture_output=True, text=True, timeout=timeout)


def start_monitor(port):
    # The board answering first (a board just booted under CI's 4 workers once let the monitor's
    # 4 hellos of 0.5 s go unanswered); the status closes the port again.
    assert callgate("--port", port, "status", "--timeout", "2").returncode == 0
    mon = subprocess.Popen(CALLGATE + ["--port", port, "monitor", "--seconds", "60"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert select.select([mon.stderr], [], [], 20)[0], "monitor did not start"
    line = mon.stderr.readline()
    assert line.startswith("monitoring"), line
    return mon


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_monitor_and_status_on_one_port():
    with VirtualBoard("virtual-4") as vb:
        mon = start_monitor(vb.data_port)
        try:
            for _ in range(3):
                r = callgate("--port", vb.data_port, "status")
                assert r.returncode == 2
                assert r.stderr.strip() == (
                    f"callgate: error: port {vb.data_port} is in use by PID {mon.pid} "
                    f"(callgate --port {vb.data_port} monitor --seconds 60); one program at a "
                    f"time per data port"), r.stderr
            with pytest.raises(PortInUse) as e:  # the library says the same
                Client(vb.data_port)
            assert e.value.pid == mon.pid and "monitor" in e.value.command
            vb.model.lines.ring(0)  # the monitor lost nothing to the refused programs
            assert select.select([mon.stdout], [], [], 10)[0]
            assert "ring" in mon.stdout.readline()
        finally:
            stop(mon)
        r = callgate("--port", vb.data_port, "status")  # the port is free again
        assert r.returncode == 0 and "board virtual-4" in r.stdout, r.stderr


def test_a_killed_holder_frees_the_port_and_close_frees_it():
    with VirtualBoard("virtual-4") as vb:
        mon = start_monitor(vb.data_port)
        os.kill(mon.pid, signal.SIGKILL)  # no cleanup at all: the kernel drops the flock
        mon.wait()
        with connect(vb.data_port) as c:
            assert c.status()["board"] == "virtual-4"
        with connect(vb.data_port) as c:  # closed: free again, in this process too
            c.ping()


def test_socket_urls_are_locked_by_url():
    with VirtualBoard("virtual-4", tcp_port=0) as vb:
        with connect(vb.tcp_url) as c:
            r = callgate("--port", vb.tcp_url, "status")
            assert r.returncode == 2 and f"port {vb.tcp_url} is in use by PID {os.getpid()}" in r.stderr
            assert c.status()["board"] == "virtual-4"  # still answered: nobody stole the replies
        r = callgate("--port", vb.tcp_url, "status")
        assert r.returncode == 0, r.stderr


def test_the_pty_and_the_tcp_port_of_a_running_sim_are_one_port():
    """`callgate sim --tcp` serves its data UART on a pty and on TCP: one port by two names
    (the sim's record, control.register, says both), so one lock."""
    with VirtualBoard("virtual-4", tcp_port=0) as vb:
        record = control.register(vb, "virtual-4")
        try:
            assert port_key(vb.tcp_url) == port_key(vb.data_port)
            assert port_key(vb.tcp_url.replace("127.0.0.1", "localhost")) == port_key(vb.data_port)
            with connect(vb.tcp_url) as c:
                r = callgate("--port", vb.data_port, "status")
                assert r.returncode == 2 and f"port {vb.data_port} is in use by PID {os.getpid()}" in r.stderr
                assert c.status()["board"] == "virtual-4"  # still answered: nobody stole the replies
            mon = start_monitor(vb.data_port)
            try:
                r = callgate("--port", vb.tcp_url, "status")
                assert r.returncode == 2 and f"port {vb.tcp_url} is in use by PID {mon.pid}" in r.stderr
                assert "monitor" in r.stderr
            finally:
                stop(mon)
            r = callgate("--port", vb.tcp_url, "status")
            assert r.returncode == 0, r.stderr
        finally:
            control.unregister(record)
        assert port_key(vb.tcp_url) == vb.tcp_url  # no sim serves it: the URL as written


def test_a_device_is_one_port_by_any_name(tmp_path):
    with VirtualBoard("virtual-4") as vb:
        alias = tmp_path / "ttyCALLGATE"
        alias.symlink_to(vb.data_port)
        assert port_key(str(alias)) == port_key(vb.data_port)
        with connect(vb.data_port):
            with pytest.raises(PortInUse):
                Client(str(alias))
            # a tool that locks the device itself (pyserial exclusive=True) is kept out too
            with pytest.raises(serial.SerialException, match="exclusively lock"):
                serial.Serial(vb.data_port, exclusive=True)
        with PortLock(str(alias)) as lock:  # and a lock by the alias keeps out the real name
            assert lock.held
            with pytest.raises(PortInUse, match=f"PID {os.getpid()}"):
                PortLock(vb.data_port).acquire()
        assert not lock.held
        PortLock("loop://").acquire().acquire()  # nothing to share: no lock
        with serial.Serial(vb.data_port, exclusive=True):  # another tool that locks the device
            with pytest.raises(PortInUse, match=f"port {vb.data_port} is in use by another program"):
                Client(vb.data_port)
        with connect(vb.data_port) as c:  # and everything was let go
            c.ping()


def test_no_lock_folder_is_no_reason_to_refuse(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("CALLGATE_LOCK_DIR", str(blocker / "locks"))  # cannot be made
    with PortLock("socket://127.0.0.1:9") as lock:
        assert not lock.held


# --- a board that answers nothing -------------------------------------------------------------

def start_sim():
    sim = subprocess.Popen(CALLGATE + ["sim", "--json"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return sim, json.loads(sim.stdout.readline())


def quit_sim(sim):
    try:
        sim.stdin.write("quit\n")
        sim.stdin.flush()
        sim.wait(timeout=15)
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()


def wait_status_ok(port, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        r = callgate("--port", port, "status")
        if r.returncode == 0 or time.monotonic() > deadline:
            return r
        time.sleep(0.3)


def test_status_says_the_app_is_stopped_at_the_repl_and_how_to_restart_it():
    sim, info = start_sim()
    try:
        with connect(info["data"]) as c:
            assert c.repl() == {}  # as mpremote or `Client.repl()` stops it
        r = callgate("--port", info["data"], "status", "--timeout", "0.2")
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "no reply to hello" in r.stderr
        assert "the virtual board's app is not running: it is stopped at its REPL" in r.stderr
        assert f"mpremote connect {info['repl']} repl`, then Ctrl-D" in r.stderr
        # Doing what it says: Ctrl-D at the REPL, a soft reset that runs main.py.
        with serial.Serial(info["repl"], timeout=0.2) as repl:
            repl.write(b"\r\n")
            time.sleep(0.3)
            repl.write(b"\x04")
            r = wait_status_ok(info["data"])
        assert r.returncode == 0 and "board virtual-4" in r.stdout, r.stderr
    finally:
        quit_sim(sim)


def test_status_of_a_silent_board_that_is_not_a_sim_and_of_the_wrong_port():
    with VirtualBoard("virtual-4") as vb:  # not a `callgate sim`: status cannot ask it
        with connect(vb.data_port) as c:
            c.repl()
        r = callgate("--port", vb.data_port, "status", "--timeout", "0.2")
        assert r.returncode == 2, r.stderr
        assert "nothing came back at all" in r.stderr and "REPL" in r.stderr
        # the REPL port echoes what it gets: bytes, but no reply
        r = callgate("--port", vb.repl_port, "status", "--timeout", "0.2")
        assert r.returncode == 2
        assert "bytes came back but no reply" in r.stderr and "not its REPL" in r.stderr


def test_the_timeout_says_what_came_back():
    with VirtualBoard("virtual-4") as vb:
        with connect(vb.data_port) as c:
            assert c.stats["rx_bytes"] > 0  # the reply to hello
            c.repl()
        with pytest.raises(LinkTimeout) as e:
            connect(vb.data_port, timeout=0.2, retries=1)
        assert (e.value.op, e.value.rx_bytes) == ("hello", 0)
