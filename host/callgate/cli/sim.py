"""`callgate sim`: run a virtual board (the real firmware on MicroPython, a board model).

Prints the two serial ports it made, then takes line commands on standard input until
`quit`, Ctrl-C, SIGTERM or --seconds; without standard input it just runs. Everything it
started stops with it.
"""

import argparse
import signal
import sys
import threading

from ..sim import control
from ..sim.board import VirtualBoard, is_mcu_board
from ..sim.clock import parse_epoch
from ..sim.lines import LineError
from . import simcall, validate
from .output import emit, to_json

HELP = ("commands: ring PORT [on|off] | hook PORT [off|on] | agent PORT [ANSWER_MS [TALK_MS[-MS]] | off] | "
        "number NUMBER ANSWER [RINGS] | trunk PORT [dial-tone on|off] [plan CN|US|EU] | ports | kill | quit")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("sim", help="run a virtual board and print its serial ports", description=__doc__)
    p.add_argument("--board", default="virtual-4", help="board definition in boards/ (default virtual-4)")
    p.add_argument("--flash", metavar="IMAGE", help="keep the board's flash in IMAGE, a LittleFS2 image file, made if missing (default: a temporary one)")
    p.add_argument("--noise", type=validate.probability, default=0.0, metavar="P", help="chance of a bit flip per byte on the data UART")
    p.add_argument(
        "--fault-rate",
        type=validate.probability,
        default=0.0,
        metavar="R",
        help="chance per byte, each way, that the data UART corrupts, drops or duplicates it",
    )
    p.add_argument("--seed", type=validate.whole(), help="seed of the noise and faults (repeatable runs)")
    p.add_argument("--tcp", type=validate.port, metavar="PORT", help="also serve the data UART on 127.0.0.1:PORT (socket://)")
    p.add_argument("--seconds", type=validate.number(least=0, unit="s"), metavar="S", help="stop after S seconds")
    p.add_argument("--clock", type=validate.number(above=0), default=1.0, metavar="X", help="run the phone lines X times faster than real time")
    p.add_argument("--site", metavar="SITE.yaml",
                   help="write this site file into the board's flash before it boots, as a factory programs it "
                        "(a `callgate provision` of it then sends nothing)")
    p.add_argument("--epoch", type=_epoch, metavar="ISO8601",
                   help="the date and time the board's clock starts at, e.g. 2026-11-23T10:00+08:00 (no offset: UTC; default: now)")
    p.set_defaults(func=run)
    simcall.add_parsers(p.add_subparsers(dest="sim_command", metavar="[call|phone|agent|number|trunk]"))


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
        if verb == "kill" and not hasattr(vb, "kill_firmware"):
            return "error: kill: not on an emulated MCU board (stop the sim and start it again: the flash stays)"
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
        if verb == "number" and len(rest) in (2, 3):  # how the exchange answers the board's calls to it
            r = vb.model.network.set_number(rest[0], rest[1], int(rest[2]) if len(rest) > 2 else None)
            return f"ok: {r['number']} answers {r['answers']}" + (f" after {r['rings']} ring(s)" if "rings" in r else "")
        if verb == "trunk" and rest and len(rest) % 2 == 1:
            opts = dict(zip(rest[1::2], rest[2::2]))
            bad = set(opts) - {"dial-tone", "plan"}
            if bad or opts.get("dial-tone", "on") not in ("on", "off"):
                return "error: trunk PORT [dial-tone on|off] [plan CN|US|EU]"
            tone = None if "dial-tone" not in opts else opts["dial-tone"] == "on"
            r = vb.model.network.set_trunk(int(rest[0]), tone, opts.get("plan"))
            return f"ok: trunk {r['port']}: dial tone {'on' if r['dial_tone'] else 'off'}, plan {r['plan']}"
    except (ValueError, OSError, LineError, argparse.ArgumentTypeError) as e:
        return f"error: {e}"
    return HELP


def run(args) -> int:
    stop = threading.Event()

    def on_term(signum, frame):
        raise KeyboardInterrupt

    site = None
    if args.site:  # checked before anything starts: an invalid site is one message per problem
        from ..site import SiteError, load_site
        from .site import problems

        try:
            site = load_site(args.site)
        except SiteError as e:
            return problems(args, e, ": the sim did not start")
    mcu = is_mcu_board(args.board)
    if mcu:  # an emulated MCU (boards/qemu-m4f): the image in QEMU, the line cards on its bus
        given = [o for o, v in (("--noise", args.noise), ("--fault-rate", args.fault_rate), ("--tcp", args.tcp)) if v]
        if given:
            print(f"callgate sim: {', '.join(given)}: not for {args.board} (an emulated MCU board; the virtual board's only)",
                  file=sys.stderr)
            return 2
        from ..mcu.board import McuSimBoard

        vb = McuSimBoard(args.board, flash=args.flash, clock=args.clock, epoch=args.epoch, site=site)
    else:
        vb = VirtualBoard(
            args.board, flash=args.flash, noise=args.noise, seed=args.seed, fault_rate=args.fault_rate,
            tcp_port=args.tcp, clock=args.clock, epoch=args.epoch, site=site,
        )
    previous = signal.signal(signal.SIGTERM, on_term)
    record = None
    try:
        try:
            vb.start()
        except OSError as e:  # McuError: no image, no QEMU, no MicroPython source (ProvisionRefused: a
            # ValueError, reported by main, --json or not)
            print(f"callgate sim: {e}", file=sys.stderr)
            return 1
        if site is not None:
            print(f"callgate sim: site {site.data['site']} in the flash at boot", file=sys.stderr, flush=True)
        record = control.register(vb, args.board)  # how `callgate sim call` finds this sim
        fw = vb.model.firmware or {}
        if args.json:
            info = {"board": args.board, "data": vb.data_port, "repl": vb.repl_port, "flash": str(vb.flash)}
            info["firmware_pid"] = vb.proc.pid
            info["control"] = vb.control_path
            if vb.tcp_url:
                info["tcp"] = vb.tcp_url
            emit(args, info)
        else:
            state = "safe mode (app not started)" if vb.safe_mode() else f"firmware {fw.get('fw')}"
            print(f"callgate sim: {args.board} running, {state}", flush=True)
            print(f"  data  {vb.data_port:<12}  callgate --port {vb.data_port} status", flush=True)
            print(f"  repl  {vb.repl_port:<12}  mpremote connect {vb.repl_port}", flush=True)
            if mcu:
                print(f"  bus   {vb.qemu.bus:<12}  the line-card bus (UART2): the host's line cards, "
                      f"at most {args.clock:g}x real time", flush=True)
            print("  phone network         callgate sim call --from 5551234 --digits 1#", flush=True)
            if vb.tcp_url:
                print(f"  tcp   {vb.tcp_url}  callgate --port {vb.tcp_url} status", flush=True)
            print(HELP, flush=True)
        if args.seconds is not None:
            timer = threading.Timer(args.seconds, stop.set)
            timer.daemon = True
            timer.start()
            threading.Thread(target=_read_commands, args=(vb, stop, args.json), daemon=True).start()
            stop.wait()
        else:
            _read_commands(vb, stop, args.json)
            while not stop.wait(1.0):  # no more input: run until a signal
                pass
    except KeyboardInterrupt:
        pass
    finally:
        control.unregister(record)
        vb.close()
        signal.signal(signal.SIGTERM, previous)
    return 0


def _read_commands(vb: VirtualBoard, stop: threading.Event, json_out: bool = False) -> None:
    for line in sys.stdin:
        out = command(vb, line)
        if out is None:
            stop.set()
            return
        if out and json_out:
            print(to_json({"command": line.strip(), "reply": out}), flush=True)
        elif out:
            print(out, flush=True)
    if sys.stdin.isatty():
        stop.set()  # Ctrl-D at a terminal means quit
