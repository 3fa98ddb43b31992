"""What the operations-center tests share: a provisioned virtual board, `callgate serve` as a
real process, and a logged-in HTTP session against it (urllib, a cookie jar)."""

import http.cookiejar
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from callgate.ops.live import read_events

from boardkit import EPOCH, SITE, demo_board, wait  # noqa: F401 (the ops tests take them from here)

CLOCK = 20.0
ALICE, BOB, CAROL = 5, 6, 7  # the demo site's agents 201, 202, 203 on FXS ports


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def callgate(*args, stdin=None, check=True):
    r = subprocess.run([sys.executable, "-m", "callgate", *args], input=stdin, capture_output=True, text=True, timeout=120)
    if check and r.returncode:
        raise AssertionError(f"callgate {' '.join(args)}: exit {r.returncode}\n{r.stderr}")
    return r


class Service:
    """`callgate serve` in a process of its own; its standard error kept in .log."""

    def __init__(self, db: str, *ports, listen_port=None, args=()):
        self.db = db if db.startswith(("sqlite:", "postgresql:")) else f"sqlite:///{db}"
        self.ports = ports
        self.args = list(args)  # more of serve's options (--site ...)
        self.listen_port = listen_port or free_port()
        self.url = f"http://127.0.0.1:{self.listen_port}"
        self.proc = None
        self.log = []

    def start(self, timeout=30):
        args = [sys.executable, "-m", "callgate", "serve", "--db", self.db, "--listen", f"127.0.0.1:{self.listen_port}"]
        for p in self.ports:
            args += ["--port", p]
        args += self.args
        self.proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        ready = threading.Event()

        def read(proc=self.proc):
            for line in proc.stderr:
                self.log.append(line.rstrip())
                if "listening on" in line:
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(timeout):
            self.stop()
            raise AssertionError("callgate serve did not start:\n" + "\n".join(self.log))
        return self

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class Web:
    """An HTTP session: cookies kept, the CSRF token read from the pages."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.csrf = None

    def request(self, method, path, body=None, headers=None, form=None):
        data, h = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            h["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, method, path, body=None, csrf=True):
        status, _, data = self.request(method, path, body, {"X-CSRF-Token": self.csrf} if csrf and self.csrf else None)
        return status, json.loads(data or b"null")

    def login(self, user, password):
        status, _, page = self.request("GET", "/login")
        assert status == 200
        token = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
        status, headers, _ = self.request("POST", "/login", form={"csrf": token, "user": user, "password": password,
                                                                   "next": "/calls"})
        if status != 302 or "failed" in headers.get("Location", ""):
            return False
        status, _, page = self.request("GET", "/calls")
        self.csrf = re.search(rb'name="csrf" content="([^"]+)"', page).group(1).decode()
        return True


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


def wait_for(fn, timeout=30, step=0.1, what="the condition"):
    """boardkit.wait() in the ops tests' argument order."""
    return wait(fn, what, timeout, step)


class EventStream:
    """/api/events read on a thread: .events holds (host time, kind, data) as they come;
    on_event(kind, data) is called first, on that thread."""

    def __init__(self, web: Web, path="/api/events", on_event=None):
        self.events = []
        self.on_event = on_event
        req = urllib.request.Request(web.base + path)
        self.resp = web.opener.open(req, timeout=120)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for kind, value in read_events(self.resp):
                if self.on_event:
                    self.on_event(kind, value)
                self.events.append((time.time(), kind, value))
        except (OSError, ValueError, AttributeError):  # closed by close()
            pass

    def of(self, kind):
        return [v for _, k, v in self.events if k == kind]

    def close(self):
        self.resp.close()
