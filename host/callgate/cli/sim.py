"""`callgate sim`: run a virtual board (the real firmware on MicroPython, a board model).

Prints the two serial ports it made, then takes line commands on standard input until
`quit`, Ctrl-C, SIGTERM or --seconds; without standard input it just runs. Everything it
started stops with it.
"""

import argparse
import json
import signal
import sys
import threading

from ..sim import control
from ..sim.board import VirtualBoard
from ..sim.clock import parse_epoch
from ..sim.lines import LineError
from . import simcall

HELP = ("commands: ring PORT [on|off] | hook PORT [off|on] | agent PORT [ANSWER_MS [TALK_MS[-MS]] | off] | ports | "
        "kill | quit")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("sim", help="run a virtual board and print its serial ports", description=__doc__)
    p.add_argument("--board", default="virtual-4", help="board definition in boards/ (default virtual-4)")
    p.add_argument("--flash", metavar="IMAGE", help="keep the board's flash in IMAGE, a LittleFS2 image file, made if missing (default: a temporary one)")
    p.add_argument("--noise", type=float, default=0.0, metavar="P", help="chance of a bit flip per byte on the data UART")
    p.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="R",
        help="chance per byte, each way, that the data UART corrupts, drops or duplicates it",
    )
    p.add_argument("--seed", type=int, help="seed of the noise and faults (repeatable runs)")
    p.add_argument("--tcp", type=int, metavar="PORT", help="also serve the data UART on 127.0.0.1:PORT (socket://)")
    p.add_argument("--seconds", type=float, metavar="S", help="stop after S seconds")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print the ports as one JSON line")
    p.add_argument("--clock", type=float, default=1.0, metavar="X", help="run the phone lines X times faster than real time")
    p.add_argument("--site", metavar="SITE.yaml",
                   help="provision this site file onto the board once it runs (callgate provision, over its serial link)")
    p.add_argument("--epoch", type=_epoch, metavar="ISO8601",
                   help="the date and time the board's clock starts at, e.g. 2026-11-23T10:00+08:00 (no offset: UTC; default: now)")
    p.set_defaults(func=run)
    simcall.add_parsers(p.add_subparsers(dest="sim_command", metavar="[call|phone|agent]"))


def _epoch(text: str) -> float:
    try:
        return parse_epoch(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def command(vb: VirtualBoard, line: str) -> str | None:
    """Run one line command on the board model; returns what to print (None: quit)."""
    words = line.split()
    if not words:
        return ""
    verb, rest = words[0], words[1:]
    try:
        if verb == "quit":
            return None
        if verb == "kill":  # the board loses power mid-whatever: the sim starts it again
            pid = vb.kill_firmware()
            ok = vb.wait_restart(pid)
            return f"ok: killed firmware {pid}, " + (f"restarted as {vb.proc.pid}" if ok else "not restarted")
        if verb == "ports":
            return "\n".join(f"{p['n']} {p['kind']} {p['name']}" for p in vb.board_def["ports"])
        if verb in ("ring", "hook") and rest:
            port = int(rest[0])
            arg = rest[1] if len(rest) > 1 else ("on" if verb == "ring" else "off")
            if verb == "ring":
                vb.model.lines.ring(port, arg == "on")
            else:
                vb.model.lines.hook(port, arg == "off")
            return f"ok: {verb} {port} {arg}"
        if verb == "agent" and rest:  # the phone on FXS port PORT answers and hangs up by itself
            phone = vb.model.network.phone(int(rest[0]))
            if rest[1:2] == ["off"]:
                phone.manual()
                return f"ok: agent {phone.port} off"
            answer = int(rest[1]) if len(rest) > 1 else 2000
            talk = simcall._talk(rest[2]) if len(rest) > 2 else 60000
            phone.auto(answer, tuple(talk) if isinstance(talk, list) else talk)
            return f"ok: agent {phone.port} answers after {answer} ms, talks {rest[2] if len(rest) > 2 else talk} ms"
    except (ValueError, LineError, argparse.ArgumentTypeError) as e:
        return f"error: {e}"
    return HELP


def _provision(vb, site) -> None:
    """The site onto the running board over its data pty, as `callgate provision` does."""
    from ..link.client import connect
    from ..provision import provision

    with connect(vb.data_port) as c:
        r = provision(c, site)
    reload = r.get("reload") or {}
    print(f"callgate sim: site {site.data['site']} provisioned ({'applied' if reload.get('applied') else 'stored'})",
          file=sys.stderr, flush=True)


def run(args) -> int:
    stop = threading.Event()

    def on_term(signum, frame):
        raise KeyboardInterrupt

    site = None
    if args.site:  # checked before anything starts: an invalid site is one message per problem
        from ..site import load_site

        site = load_site(args.site)
    previous = signal.signal(signal.SIGTERM, on_term)
    vb = VirtualBoard(
        args.board, flash=args.flash, noise=args.noise, seed=args.seed, fault_rate=args.fault_rate, tcp_port=args.tcp,
        clock=args.clock, epoch=args.epoch,
    )
    record = None
    try:
        vb.start()
        if site is not None:
            _provision(vb, site)
        record = control.register(vb, args.board)  # how `callgate sim call` finds this sim
        fw = vb.model.firmware or {}
        if args.json:
            info = {"board": args.board, "data": vb.data_port, "repl": vb.repl_port, "flash": str(vb.flash)}
            info["firmware_pid"] = vb.proc.pid
            info["control"] = vb.control_path
            if vb.tcp_url:
                info["tcp"] = vb.tcp_url
            print(json.dumps(info), flush=True)
        else:
            state = "safe mode (app not started)" if vb.safe_mode() else f"firmware {fw.get('fw')}"
            print(f"callgate sim: {args.board} running, {state}", flush=True)
            print(f"  data  {vb.data_port:<12}  callgate --port {vb.data_port} status", flush=True)
            print(f"  repl  {vb.repl_port:<12}  mpremote connect {vb.repl_port}", flush=True)
            print("  phone network         callgate sim call --from 5551234 --digits 1#", flush=True)
            if vb.tcp_url:
                print(f"  tcp   {vb.tcp_url}  callgate --port {vb.tcp_url} status", flush=True)
            print(HELP, flush=True)
        if args.seconds is not None:
            timer = threading.Timer(args.seconds, stop.set)
            timer.daemon = True
            timer.start()
            threading.Thread(target=_read_commands, args=(vb, stop), daemon=True).start()
            stop.wait()
        else:
            _read_commands(vb, stop)
            while not stop.wait(1.0):  # no more input: run until a signal
                pass
    except KeyboardInterrupt:
        pass
    finally:
        control.unregister(record)
        vb.close()
        signal.signal(signal.SIGTERM, previous)
    return 0


def _read_commands(vb: VirtualBoard, stop: threading.Event) -> None:
    for line in sys.stdin:
        out = command(vb, line)
        if out is None:
            stop.set()
            return
        if out:
            print(out, flush=True)
    if sys.stdin.isatty():
        stop.set()  # Ctrl-D at a terminal means quit
