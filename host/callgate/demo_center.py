"""`make demo`: a busy half-hour of the demo call center on the virtual board.

    python -m callgate.demo [center] [--board B] [--clock X] [--minutes M] [--rate R] [--seed N] [--out DIR]

What runs, all real processes and links:
  1. `callgate sim --board virtual-8 --clock X --epoch <a Monday 10:00 at the site>`: the
     firmware on MicroPython, the board model with five trunks and three agent phones (or
     --board qemu-m4f: the MCU image in QEMU with the same ports, its line cards on the bus;
     default --clock 2 there, a cap: the MCU paces its lines, docs/hardware.md has the figures);
     with `--site sites/demo/site.yaml`: the site (IVR, queues, survey, recording policy,
     prompts) written into the board's flash before it boots, as a factory programs it;
  2. `callgate --port PTY provision sites/demo/site.yaml`: the board checked to run that site
     (up to date: nothing sent; a changed site would be sent over the link and switched to).
     The demo's copy of the site (OUT/site) lets trunk5 call out, so the board dials back the
     callers who left a number (support's overflow, offered after 45 s in the copy, not 180 s)
     and runs a small outbound survey,
     campaigns/autumn-survey.yaml (`callgate campaign load`, `start`); the exchange answers
     its contacts as a person who keys 4, a machine, a busy line, and each callback as a
     person (`callgate sim number`);
  3. the operations center: `callgate users add supervisor` (a password made for the run,
     printed) and `callgate serve --port PTY --db sqlite:///OUT/ops.db`, whose wallboard runs
     at the address printed for the whole run; the demo logs in as the supervisor and shows
     the screen pops and call records as the service's event stream (/api/events) tells them;
  4. three simulated agents (answer in 3-6 s, talk 1-4 min, key a disposition after each call,
     take a 2-minute break now and then with a feature code) and callers arriving at random
     (Poisson, R per minute) through the sim's control socket: they choose in the IVR, some
     run out of patience in the queue, most rate the call afterwards;
  5. `callgate serve` stopped (it stores the records written up to then), then `callgate --port
     PTY cdr pull`, `recordings pull`, `agent-log pull`, `campaign results`, and `callgate
     report` with the agents' time by state and Erlang C's prediction for the same traffic.

One program per data port (link/portlock.py): the demo's own link use (provision; the pulls)
comes before and after the service's, which holds the port while the calls run; the live view
comes from the service, not from a monitor of the demo's own.

The phone lines run X times faster than real time at most (the firmware's timers follow the
line cards' clock; the line cards wait for a firmware that falls behind, sim/linecards.py, and
the MCU paces its own). Callers arrive by the board's line time (the sim's `info`), so a
board slower than X gets the same traffic, only later. Results
stay in --out (default build/demo): cdr.json, cdr.csv, recordings/, ops.db, callers.json (what
each simulated caller went through, as the exchange saw it) and console.log (what the firmware
printed).
Exits 0 only if every call that reached the board left exactly one call record, and the
service's store holds as many call records as `cdr pull` pulled (the board's own outbound
calls, callbacks and the survey's, count apart).
"""

import http.cookiejar
import json
import os
import pathlib
import random
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from . import runtime
from .sim.caller import Caller
from .sim.control import Control

CALLGATE = [sys.executable, "-m", "callgate"]
SITE = runtime.DEMO_SITE  # sites/demo/site.yaml, in a checkout or an installed wheel
CAMPAIGN = runtime.DEMO_CAMPAIGN  # campaigns/autumn-survey.yaml
# How the exchange answers the survey's contacts (the file's 5550104 is out of its window: a
# Sunday evening at -05:00; 5550105 is on its do-not-call list).
CONTACTS = {"5550101": "person:4", "5550102": "machine", "5550103": "busy"}
OUT_TRUNK = "  - port: 4\n    kind: fxo\n    name: trunk5\n"  # the trunk the demo lets call out
SUPPORT_WAIT = ("    max_wait_s: 180\n    overflow: {action: callback",  # support offers the callback
                "    max_wait_s: 45\n    overflow: {action: callback")    # sooner in the demo's copy
CALLBACKS = """
# (the demo's copy) trunk5 calls out: callers who left a number are called back, an agent first.
callbacks:
  machine: leave
  retry:
    busy: {after_s: 300, attempts: 3}
    no-answer: {after_s: 600, attempts: 2}
"""
EPOCH = "2026-11-23T10:00+08:00"  # a Monday, inside the demo site's business hours
TRUNKS = range(0, 5)
SUPPORT_LINE = 1  # trunk2: its calls start in the support menu (sites/demo/site.yaml)
AGENTS = {5: 3000, 6: 4500, 7: 6000}  # FXS port -> ms to answer
TALK_MS = (60000, 240000)
# The agents' habits, as feature codes of sites/demo/site.yaml: a disposition after each call
# (*4 + resolved, follow-up, escalated, wrong-number) and a break every 12 minutes or so (*2 +
# lunch, training, meeting) of 2 minutes, then ready again (*3).
DISPOSITIONS = ["*41", "*41", "*42", "*43", "*44"]
BREAKS = {"every_ms": 12 * 60000, "length_ms": 2 * 60000, "pause": ["*21", "*22", "*24"], "ready": "*3"}
SUPERVISOR = "supervisor"
WALLBOARD_PORT = 8080  # the web port when it is free (else any free one)

# What callers key in the IVR (main menu: 1 sales, 2 support -> 1, 0 operator; nothing: the
# menu times out to the operator), with weights.
CHOICES = [("1", 50), ("2,1", 30), ("0", 10), ("", 10)]
SURVEY = [("5", 35), ("4", 30), ("3", 15), ("2", 5), ("1", 5), (None, 10)]


def pick(rng, table):
    r = rng.uniform(0, sum(w for _, w in table))
    for value, w in table:
        r -= w
        if r <= 0:
            return value
    return table[-1][0]


class Run:
    def __init__(self, args):
        self.args = args
        self.out = pathlib.Path(args.out)
        self.procs = []
        self.env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.lock = threading.Lock()
        self.placed = 0
        self.blocked = 0
        self.failed = []
        self.threads = []
        self.results = []  # what each caller who reached the board went through (Call.result())

    def start(self, args, **kw):
        p = subprocess.Popen(CALLGATE + args, env=self.env, text=True, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def cli(self, *args) -> int:
        print(f"$ callgate {' '.join(args)}", flush=True)
        return subprocess.run(CALLGATE + list(args), env=self.env).returncode

    def say(self, text):
        with self.lock:
            print(text, flush=True)

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def demo_site(self) -> pathlib.Path:
        """The demo site copied into OUT/site, trunk5 allowed to call out, with callbacks, and
        support's callback offered after 45 s."""
        folder = self.out / "site"
        shutil.copytree(SITE.parent, folder)
        path = folder / "site.yaml"
        text = path.read_text()
        if OUT_TRUNK not in text or SUPPORT_WAIT[0] not in text:
            raise RuntimeError(f"{SITE}: no trunk5 on port 4 to let call out, or no support overflow to a callback")
        text = text.replace(OUT_TRUNK, OUT_TRUNK + "    outbound: {allow: true}\n").replace(*SUPPORT_WAIT)
        path.write_text(text + CALLBACKS)
        return path

    def keep_console(self, repl: str, path: pathlib.Path) -> None:
        """Copy what the firmware prints on its REPL port to `path` for the whole run (what a
        crash or a warning said, kept after the demo)."""
        fd = os.open(repl, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)

        def copy():
            with open(path, "wb") as f:
                while True:
                    select.select([fd], [], [], 1.0)
                    try:
                        data = os.read(fd, 4096)
                    except BlockingIOError:
                        continue
                    except OSError:
                        return
                    if not data:
                        return
                    f.write(data)
                    f.flush()

        threading.Thread(target=copy, daemon=True).start()

    # -- the operations center ----------------------------------------------------------------

    def serve(self, port, db):
        """`callgate serve` on the board's data port; returns (process, the wallboard's URL)."""
        web_port = _free_port(WALLBOARD_PORT)
        srv = self.start(["serve", "--port", port, "--db", f"sqlite:///{db}", "--listen", f"127.0.0.1:{web_port}",
                          "--site", str(SITE)],  # the quality page's scorecard
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        log = []
        ready = threading.Event()

        def read():
            for line in srv.stderr:
                log.append(line.rstrip())
                if "listening on" in line:
                    ready.set()
                elif ready.is_set():  # after the start it says only what went wrong
                    self.say(line.rstrip())

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(30):
            raise RuntimeError("callgate serve did not start:\n" + "\n".join(log))
        return srv, f"http://127.0.0.1:{web_port}"

    def watch(self, center, elapsed):
        """Show screen pops and call records as the service's event stream tells them, at the
        line time `elapsed()` says."""
        shown = set()
        for kind, v in center.events():
            s = elapsed()
            at = f"[{int(s // 60):02d}:{int(s % 60):02d}]"
            if kind == "pop":
                p = v.get("pop") or {}
                who = (v.get("customer") or {}).get("name")
                self.say(f"{at} screen pop  -> {p.get('agent')} ({p.get('ext')}): {p.get('number') or '?'} "
                         f"{p.get('name') or ''} via {_path(p.get('ivr'))}, queue {p.get('queue')}, "
                         f"waited {p.get('waited_ms', 0) / 1000:.0f} s" + (f", customer {who}" if who else ""))
            elif kind == "wallboard":  # after call records were stored: which ones are new
                try:
                    stored = center.get("/api/calls?limit=50")["calls"]
                except (OSError, ValueError):
                    return  # the service stopped
                for r in stored:
                    if r["id"] not in shown:
                        shown.add(r["id"])
                        self.say(f"{at} call record {r['id']}: {r.get('outcome')} (stored by the service)")
                today = (v.get("figures") or {}).get("today") or {}
                if today:
                    sl = today.get("service_level")
                    self.say(f"{at} wallboard: {today.get('calls')} calls today, {today.get('answered')} answered, "
                             f"{today.get('abandoned')} abandoned"
                             + (f", service level {sl:.0%}" if isinstance(sl, (int, float)) else ""))

    # -- callers ------------------------------------------------------------------------------

    def caller(self, control, rng, n):
        back = f"555{rng.randrange(10000):04d}"  # the number they leave, should they wait too long
        caller = Caller(number=f"555{rng.randrange(10000):04d}", name=f"CALLER {n}", digits=pick(rng, CHOICES),
                        patience_ms=rng.randint(40000, 300000), survey=pick(rng, SURVEY),
                        callback=back + "#", max_rings=8)
        try:
            with Control(control) as ctl:
                ctl.number(back, "person")  # who answers when the board calls back
        except (ConnectionError, OSError):
            return
        for port in TRUNKS:
            digits = caller.digits
            if port == SUPPORT_LINE and digits.startswith("2,"):
                digits = digits[2:]  # the support line starts in the support menu
            done = None
            try:
                with Control(control, timeout=3600) as ctl:
                    for item in ctl.call(port, caller.replace(digits=digits)):
                        if item.get("what") == "failed":
                            break
                        if item.get("t") == "done":
                            done = item
            except ConnectionError:
                return  # the board stopped (the demo is ending): this caller's line is gone
            if done is not None:
                with self.lock:
                    self.results.append({"caller": n, **done})
                return
        with self.lock:
            self.blocked += 1  # every trunk busy: the exchange gave this caller busy tone

    def run(self) -> int:
        args = self.args
        if self.out.exists():
            shutil.rmtree(self.out)
        self.out.mkdir(parents=True)
        self.env["CALLGATE_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="callgate-demo-")
        try:
            site = self.demo_site()
            sim = self.start(["sim", "--board", getattr(args, "board", "virtual-8"), "--json", "--clock", str(args.clock),
                              "--epoch", EPOCH, "--site", str(site)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            if not select.select([sim.stdout], [], [], 120)[0]:
                print(f"demo: the board {getattr(args, 'board', 'virtual-8')} did not start", file=sys.stderr)
                return 1
            info = json.loads(sim.stdout.readline())
            port, control = info["data"], info["control"]
            self.keep_console(info["repl"], self.out / "console.log")
            kind = "emulated MCU" if info["board"] == "qemu-m4f" else "virtual board"
            print(f"{kind} {info['board']} on {port} (lines at {args.clock:g}x real time at most)")
            if self.cli("--port", port, "provision", str(site)) != 0:
                print("demo: FAILED: the board does not run the demo site", file=sys.stderr)
                return 1
            with Control(control) as ctl:
                for p, answer_ms in AGENTS.items():
                    ctl.agent(p, answer_ms=answer_ms, talk_ms=list(TALK_MS), seed=args.seed + p,
                              dispositions=DISPOSITIONS, breaks=BREAKS)
                for number, answers in CONTACTS.items():
                    ctl.number(number, answers)
            name = CAMPAIGN.stem
            if (self.cli("--port", port, "campaign", "load", str(CAMPAIGN), "--site", str(site))
                    or self.cli("--port", port, "campaign", "start", name)):
                print("demo: FAILED: the outbound survey", file=sys.stderr)
                return 1
            db = self.out / "ops.db"
            password = secrets.token_urlsafe(9)
            print(f"$ callgate users add {SUPERVISOR} --role supervisor --db sqlite:///{db}", flush=True)
            if subprocess.run(CALLGATE + ["users", "add", SUPERVISOR, "--role", "supervisor", "--db", f"sqlite:///{db}"],
                              input=password + "\n", text=True, env=self.env).returncode != 0:
                print("demo: FAILED: adding the supervisor", file=sys.stderr)
                return 1
            try:
                srv, url = self.serve(port, db)
                print(f"operations center: {url}/wallboard  (login {SUPERVISOR} / {password}, made for this run)",
                      flush=True)
                center = Center(url)
                center.login(SUPERVISOR, password)
            except (RuntimeError, OSError, AttributeError) as e:  # AttributeError: no csrf field
                print(f"demo: FAILED: the operations center: {e}", file=sys.stderr)
                return 1
            t0 = time.monotonic()
            line0 = _line_s(control)

            def elapsed() -> float:  # line seconds since the arrivals' time 0
                return _line_s(control) - line0

            threading.Thread(target=self.watch, args=(center, elapsed), daemon=True).start()
            rng = random.Random(args.seed)
            period = args.minutes * 60
            print(f"{args.minutes:g} minutes of calls, about {args.rate:g} a minute, "
                  f"3 agents: Alice 201, Bob 202, Carol 203")
            at = rng.expovariate(args.rate / 60)
            n = 0
            while at < period:
                if not _wait_line(elapsed, at):
                    print("demo: FAILED: the board's line clock stopped", file=sys.stderr)
                    return 1
                n += 1
                t = threading.Thread(target=self.caller, args=(control, random.Random(rng.random()), n),
                                     daemon=True)
                t.start()
                self.threads.append(t)
                at += rng.expovariate(args.rate / 60)
            self.placed = n
            # the last callers: their longest stay (patience, a talk, the survey) is under 15 minutes
            _wait_line(elapsed, period + 900, done=lambda: not any(t.is_alive() for t in self.threads))
            stuck = sum(t.is_alive() for t in self.threads)
            time.sleep(2)  # the last records' events
            line_s, real_s = _line_s(control) - line0, time.monotonic() - t0  # the board's pace
            print(f"the lines ran {line_s / 60:.1f} minutes in {real_s / 60:.1f} minutes of real time: "
                  f"{line_s / max(real_s, 1e-9):.2f} times real time (--clock {args.clock:g} at most)")
            os.killpg(srv.pid, signal.SIGTERM)  # it stores what has come; one program per data port
            srv.wait(timeout=30)
            cdr = self.out / "cdr.json"
            rc = self.cli("--port", port, "cdr", "pull", "-o", str(cdr))
            rc |= self.cli("--port", port, "cdr", "pull", "-o", str(self.out / "cdr.csv"))
            rc |= self.cli("--port", port, "recordings", "pull", str(self.out / "recordings"))
            agent_log = self.out / "agents.json"
            rc |= self.cli("--port", port, "agent-log", "pull", "-o", str(agent_log))
            rc |= self.cli("--port", port, "campaign", "status", name)
            rc |= self.cli("--port", port, "campaign", "results", name, "-o", str(self.out / "campaign.csv"))
            rc |= self.cli("report", str(cdr), "--agents", "3", "--period", str(period), "--agent-log", str(agent_log))
            (self.out / "callers.json").write_text(json.dumps(sorted(self.results, key=lambda r: r["caller"]), indent=1))
            records = json.loads(cdr.read_text()) if cdr.exists() else []
            reached = self.placed - self.blocked
            ids = [r["id"] for r in records]
            inbound = [r["id"] for r in records if r.get("direction") != "out"]
            back = [r for r in records if r.get("callback_for")]
            survey = [r for r in records if r.get("campaign")]
            stored = _stored_ids(db)
            print(f"callers: {self.placed}, of whom {self.blocked} found every trunk busy; "
                  f"{reached} reached the board and left {len(inbound)} call records "
                  f"({len(set(inbound))} distinct)")
            print(f"the board called out {len(ids) - len(inbound)} times on trunk5: {len(back)} callbacks "
                  f"({sum(r.get('outcome') == 'person' for r in back)} answered and put through to an agent), "
                  f"{len(survey)} survey calls (results in {self.out / 'campaign.csv'})")
            print(f"the operations center's store ({db}) holds {len(stored)} call records; "
                  f"cdr pull pulled {len(ids)}" + (" (the same ids)" if stored == set(ids) else ""))
            print(f"results in {self.out}/: cdr.json, cdr.csv, agents.json, campaign.csv, recordings/, ops.db, "
                  "callers.json, site/ (the demo's copy of the site), "
                  "console.log")
            if stuck or rc or len(inbound) != reached or len(set(ids)) != len(ids) or stored != set(ids):
                print(f"demo: FAILED: {stuck} callers still on the line, exit codes {rc}, "
                      f"{len(inbound)} records for {reached} calls, {len(stored)} in the store", file=sys.stderr)
                return 1
            return 0
        finally:
            self.stop_all()
            shutil.rmtree(self.env["CALLGATE_RUNTIME_DIR"], ignore_errors=True)


class Center:
    """The demo's view of `callgate serve`: a logged-in session (cookie, CSRF token from the
    login form) on the standard library's HTTP client."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def login(self, user: str, password: str) -> None:
        with self.opener.open(self.base + "/login", timeout=30) as r:
            token = re.search(r'name="csrf" value="([^"]+)"', r.read().decode()).group(1)
        form = urllib.parse.urlencode({"csrf": token, "user": user, "password": password, "next": "/wallboard"})
        with self.opener.open(self.base + "/login", data=form.encode(), timeout=30) as r:
            if "failed" in r.url or "/login" in urllib.parse.urlparse(r.url).path:
                raise RuntimeError(f"logging in to {self.base} as {user} failed")

    def get(self, path: str):
        with self.opener.open(self.base + path, timeout=30) as r:
            return json.loads(r.read())

    def events(self):
        """(kind, data) from /api/events (server-sent events) until the service stops."""
        from .ops.live import read_events

        try:
            with self.opener.open(self.base + "/api/events", timeout=3600) as r:
                yield from read_events(r)
        except (OSError, ValueError):
            return  # the service stopped


def _free_port(wanted: int) -> int:
    for p in (wanted, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free TCP port")


def _line_s(control) -> float:
    """The board's line time in seconds (the sim's clock: the MCU's ticks on qemu-m4f)."""
    with Control(control) as ctl:
        return float(ctl.info().get("now_s") or 0)


def _wait_line(elapsed, until_s: float, done=lambda: False, stalled_s: float = 60.0) -> bool:
    """Wait until elapsed() (line seconds) reaches until_s or done(); False if the line clock
    stood still for stalled_s of real time (a board that stopped)."""
    last, moved = elapsed(), time.monotonic()
    while last < until_s and not done():
        time.sleep(0.2)
        now = elapsed()
        if now > last:
            last, moved = now, time.monotonic()
        elif time.monotonic() - moved > stalled_s:
            return False
    return True


def _stored_ids(db) -> set:
    """The ids of the call records in the service's store (opened after the service stopped)."""
    from .ops.store import Store

    store = Store.open(f"sqlite:///{db}")
    try:
        return {r["id"] for r in store.calls()}
    finally:
        store.close()


def _path(ivr):
    return ">".join(f"{m}:{k}" for m, k in ivr or ()) or "-"


def main(args) -> int:
    # Stopped with kill (SIGTERM), the demo takes its board and service with it, as on Ctrl-C:
    # a board left behind keeps QEMU running at full tilt (seen: two for an hour)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    return Run(args).run()
