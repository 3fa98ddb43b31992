# Messages: a 4-byte header, then at most one payload value (codec.py).
#
#   kind  u8    REQ, RSP, ERR or EVT
#   seq   u16   big-endian. REQ: the request id, chosen by the host; RSP and ERR repeat it.
#               EVT: the event number, counting up from 0 at boot and wrapping at 65536.
#   op    u8    REQ, RSP, ERR: the request op (OP_*). EVT: the event kind (EV_*).
#   payload     zero bytes (None) or one codec value: a map for everything defined here.
#
# The header layout never changes. What a version changes (ops, payload fields) is agreed
# by the HELLO request, which every protocol version answers the same way: a host speaking
# another version gets ERR_VERSION with the board's version in the detail.
#
# Requests (REQ payload -> RSP payload):
#   HELLO   {"proto": 1}        -> {"proto", "max", "fw", "board", "boot", "next_ev"}
#   PING    any value           -> {"echo": value, "next_ev", "boot"}
#   STATUS  None                -> {"fw", "board", "boot", "uptime_ms", "ports", "next_ev", "link"}
#   EVENTS  {"after": n | None} -> the board first sends again, as EVT frames, each event it
#                                  still holds after number n, then {"next_ev", "sent", "lost"}
#   REPL    None                -> {} then the application stops and the board's REPL runs
#   files (FS_*), deploy (DEPLOY_*), RESET, SITE_RELOAD, CALLS: beside their OP_ numbers below
# Events (EVT payload):
#   BOOT    {"fw", "boot"}                      the firmware started (event 0)
#   PORT    {"port", "state", "was"}            a port changed state
#   RING    {"port", "on"}                      ringing voltage on an FXO port started/stopped
#   HOOK    {"port", "off"}                     a phone on an FXS port went off/on hook
#   CALL    {"port", "call", "state", ...}      an inbound call changed state (calls.py):
#           ringing {rings} | answered {rings} | prompt {prompt} | collect |
#           digits {digits, end} | menu {menu} | queued {queue, position[, operator]} |
#           offered {agent} | connected {agent, recording} | survey | callback | voicemail |
#           ended {by, reason, cdr}
#           an outbound call (OP_DIAL, outbound.py): seized {number, direction} | dialing |
#           answered {result, decide_ms} | ended {by, reason, outcome, decide_ms, direction,
#           number, cdr}
#   CID     {"port", "call", "number", "name", "status"}   caller ID received
#   DTMF    {"port", "digit", "call"}          a DTMF digit heard on a port
#   AGENT   {"port", "ext", "name", "state", "call"}   an agent's phone changed state (acd.py):
#           idle | ringing | talking | wrapup | offhook
#   POP     {"port", "ext", "agent", "call", "trunk", "number", "name", "ivr", "queue",
#            "waited_ms"}                      screen pop: an agent's phone rings with a caller
#   CDR     {"id", "outcome", "file"}           a call record was written (cdr.py)
#   CALLBACK {"id", "state", "attempt", ...}    a callback changed state (callbacks.py; id: the
#           inbound call's record id): pending {queue, number} (left, or back in its queue) |
#           offered {agent} | dialing {agent, port, call} | connected {agent, result} |
#           retry {outcome, due} | done {outcome} | failed {outcome}
# Errors (ERR payload {"code", "msg", "detail"}): ERR_* below.

from . import codec
from ..compat import const
from .errors import DecodeError

PROTO = const(1)
HEADER_LEN = const(4)

REQ = const(1)
RSP = const(2)
ERR = const(3)
EVT = const(4)

OP_HELLO = const(0)
OP_PING = const(1)
OP_STATUS = const(2)
OP_EVENTS = const(3)
OP_REPL = const(4)
# Files and deploy (firmware/callgate/files.py, update.py; host/callgate/link/files.py).
# Paths are relative to the flash root, "/"-separated, without "..".
OP_FS_STAT = const(32)  # {"p"} -> {"size", "dir"} | None when missing
OP_FS_LIST = const(33)  # {"p", "from"} -> {"entries": [[name, size | -1 for a dir]], "more"}
OP_FS_OPEN = const(34)  # {"p", "size", "fresh"} -> {"size"}: create (and parents), keep what is there
OP_FS_WRITE = const(35)  # {"p", "o", "d"} -> {"size"}: d belongs at offset o; o <= size
OP_FS_HASH = const(36)  # {"p", "n"} -> {"sha256", "size"}: of the first n bytes (all if n absent)
OP_FS_READ = const(37)  # {"p", "o", "n"} -> bytes
OP_FS_RENAME = const(38)  # {"from", "to"} -> {}
OP_FS_REMOVE = const(39)  # {"p"} -> {"removed": n}: a file or a whole folder; missing is fine
OP_FS_COPY = const(40)  # {"from", "to"} -> {"size"}: on the board, no bytes over the link
OP_FS_DF = const(41)  # None -> {"free", "used", "total"}
OP_DEPLOY_STATE = const(48)  # None -> {"board", "fw", "active", "previous", "ok", "tries", ...}
OP_DEPLOY_COMMIT = const(49)  # {"slot"} -> {"verified": n}: checks every file, then switches
OP_RESET = const(50)  # None -> {} then the board restarts
OP_SITE_RELOAD = const(51)  # None -> {"site", "applied", "pending"}: load site.json again (docs/callcenter.md)
OP_AGENTS = const(53)  # None -> {"now", "agents": [{"port", "ext", "name", "state", "reason", "since", "calls", "today", ...}]}
OP_AGENT = const(54)  # {"ext", "do": login|logout|ready|pause, "reason"} -> the agent's status (docs/callcenter.md)
OP_CALLS = const(52)  # None -> {"calls": [{"port", "call", "state"}], "agents": [as OP_AGENTS]}
OP_DIAL = const(55)  # {"number", "trunk": port or name or None, "play": prompt or None} -> {"call", "port",
#                      "trunk", "number", "cdr"}: the board calls out (outbound.py); CALL events follow,
#                      the last "ended" {outcome, decide_ms}; ERR_REFUSED names why it cannot
OP_CAMPAIGN = const(63)  # {"do": load|start|pause|stop|status, "name"} -> the campaign's status
#                          (dialer.py, campaigns.py); ERR_NOT_FOUND: no such campaign; ERR_REFUSED: why not
OP_CALLBACKS = const(62)  # {"from": i} -> {"callbacks": [up to 3 from the i-th], "total"}: the callbacks
#                           not over (callbacks.py: id, number, queue, since, attempt, state, due, outcome)

EV_BOOT = const(1)
EV_PORT = const(16)
EV_RING = const(17)
EV_HOOK = const(18)
EV_CALL = const(19)
EV_CID = const(20)
EV_DTMF = const(21)
EV_AGENT = const(22)  # an agent's phone changed state (docs/callcenter.md)
EV_POP = const(23)  # screen pop: an agent's phone started ringing with a caller
EV_CDR = const(24)  # a call record was written
EV_CALLBACK = const(25)  # a callback changed state (callbacks.py)
EV_SUPERVISE = const(26)  # a supervisor listens, whispers, barges, or stopped (supervise.py)
EV_CAMPAIGN = const(27)  # the board changed a campaign's run state itself (dialer.py)

ERR_BAD_REQUEST = const(1)
ERR_UNKNOWN_OP = const(2)
ERR_VERSION = const(3)
ERR_TOO_LARGE = const(4)
ERR_INTERNAL = const(5)
ERR_NOT_FOUND = const(6)
ERR_NO_SPACE = const(7)
ERR_REFUSED = const(8)  # a deploy refused: another board, a bad hash, a version too old

KIND_NAMES = {REQ: "req", RSP: "rsp", ERR: "err", EVT: "evt"}
OP_NAMES = {
    OP_HELLO: "hello",
    OP_PING: "ping",
    OP_STATUS: "status",
    OP_EVENTS: "events",
    OP_REPL: "repl",
    OP_FS_STAT: "fs-stat",
    OP_FS_LIST: "fs-list",
    OP_FS_OPEN: "fs-open",
    OP_FS_WRITE: "fs-write",
    OP_FS_HASH: "fs-hash",
    OP_FS_READ: "fs-read",
    OP_FS_RENAME: "fs-rename",
    OP_FS_REMOVE: "fs-remove",
    OP_FS_COPY: "fs-copy",
    OP_FS_DF: "fs-df",
    OP_DEPLOY_STATE: "deploy-state",
    OP_DEPLOY_COMMIT: "deploy-commit",
    OP_RESET: "reset",
    OP_SITE_RELOAD: "site-reload",
    OP_CALLS: "calls",
    OP_AGENTS: "agents",
    OP_AGENT: "agent",
    OP_DIAL: "dial",
    OP_CALLBACKS: "callbacks",
    OP_CAMPAIGN: "campaign",
}
EVENT_NAMES = {
    EV_BOOT: "boot",
    EV_PORT: "port",
    EV_RING: "ring",
    EV_HOOK: "hook",
    EV_CALL: "call",
    EV_CID: "cid",
    EV_DTMF: "dtmf",
    EV_AGENT: "agent",
    EV_POP: "pop",
    EV_CDR: "cdr",
    EV_CALLBACK: "callback",
    EV_SUPERVISE: "supervise",
    EV_CAMPAIGN: "campaign",
}
ERROR_NAMES = {
    ERR_BAD_REQUEST: "bad request",
    ERR_UNKNOWN_OP: "unknown op",
    ERR_VERSION: "protocol version",
    ERR_TOO_LARGE: "too large",
    ERR_INTERNAL: "internal error",
    ERR_NOT_FOUND: "not found",
    ERR_NO_SPACE: "no space",
    ERR_REFUSED: "refused",
}


def pack(kind, seq, op, value=None):
    """Return the body of one message (frame.encode() puts it on the wire)."""
    out = bytearray(HEADER_LEN)
    out[0] = kind
    out[1] = (seq >> 8) & 0xFF
    out[2] = seq & 0xFF
    out[3] = op
    if value is not None:
        out.extend(codec.dumps(value))
    return bytes(out)


def unpack(body):
    """Return (kind, seq, op, value) of a body; raise DecodeError if it is not a message."""
    if len(body) < HEADER_LEN:
        raise DecodeError("%d-byte message, header is %d" % (len(body), HEADER_LEN))
    kind = body[0]
    if kind not in KIND_NAMES:
        raise DecodeError("unknown message kind %d" % kind)
    seq = (body[1] << 8) | body[2]
    value = None
    if len(body) > HEADER_LEN:
        value = codec.loads(body[HEADER_LEN:])
    return kind, seq, body[3], value


def seq_after(a, b):
    """True if 16-bit number a comes after b (serial number arithmetic, RFC 1982)."""
    d = (a - b) & 0xFFFF
    return 0 < d < 0x8000
