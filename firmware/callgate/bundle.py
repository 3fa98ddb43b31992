# The site bundle: site.json in the flash, a site compiled by the host
# (host/callgate/site/build.py, docs/site.md). The host fills in every field, defaults
# included; the firmware keeps no defaults of its own. check() refuses a bundle of another
# version or missing a field the firmware reads, naming it, when the bundle is loaded (at
# boot, or OP_SITE_RELOAD), never at a call. ivr.py, acd.py and calls.py then read the fields
# without fallbacks.

from .compat import const

VERSION = const(4)  # the bundle's "v": the host's build writes this same number
FILE = "site.json"  # in the flash root, with prompts/ beside it (or in its "dir")


class SiteBundleError(ValueError):
    pass


# Every field the firmware reads, by part of the bundle (build.py's docstring shows them).
TOP = ("v", "site", "law", "ports", "ivr", "hours", "queues", "survey", "recording", "agents")
FXO = ("n", "kind", "name", "plan", "cid", "cid_start", "disconnect", "rings", "menu")
FXS = ("n", "kind", "name", "agent", "ext", "skills", "supervisor")
IVR = ("start", "after", "operator", "menus", "limit")
LIMIT = ("steps", "s", "then", "bye")
MENU = ("prompt", "barge", "ms", "retries", "invalid", "timeout", "fallback", "keys")
HOURS = ("offset_min", "week", "closed")
QUEUE = ("skills", "strategy", "hold", "positions", "announce_s", "max_wait_s", "overflow", "ring_s",
         "wrap_s", "record", "ext")
SURVEY = ("questions", "intro", "thanks", "ms")
QUESTION = ("id", "prompt", "min", "max")
RECORDING = ("mode", "percent", "announce", "days")
AGENTS = ("start", "auto_pause", "codes", "reasons", "dispositions", "flash_ms", "outside")
CODES = ("login", "ready", "pause", "disposition", "listen", "whisper", "barge")
CALLBACKS = ("queue", "machine", "retry")  # "callbacks": optional (absent or null: never dialled)
ACTIONS = {"menu": ("to",), "queue": ("to",), "play": ("prompt", "then"), "callback": ("prompt", "then"),
           "voicemail": ("prompt", "max_s"), "repeat": (), "operator": (), "hangup": ()}


def _need(d, fields, where):
    if not isinstance(d, dict):
        raise SiteBundleError("site bundle v%d: %s is not a map" % (VERSION, where or "the bundle"))
    for f in fields:
        if f not in d:
            raise SiteBundleError("site bundle v%d: %s missing" % (VERSION, where + f))


def _action(a, where):
    _need(a, ("do",), where + ".")
    fields = ACTIONS.get(a["do"])
    if fields is None:
        raise SiteBundleError("site bundle v%d: %s.do %r is not an action" % (VERSION, where, a["do"]))
    _need(a, fields, where + ".")


def check(b):
    """Raise SiteBundleError unless b is a bundle of this version with every field the
    firmware reads (the message names the first missing one and the version)."""
    if not isinstance(b, dict):
        raise SiteBundleError("site bundle: not a map")
    if b.get("v") != VERSION:
        raise SiteBundleError("site bundle version %r, this firmware reads version %d" % (b.get("v"), VERSION))
    _need(b, TOP, "")
    for i, p in enumerate(b["ports"]):
        where = "ports[%d]." % i
        _need(p, ("kind",), where)
        _need(p, FXO if p["kind"] == "fxo" else FXS, where)
    ivr = b["ivr"]
    _need(ivr, IVR, "ivr.")
    _need(ivr["limit"], LIMIT, "ivr.limit.")
    _action(ivr["limit"]["then"], "ivr.limit.then")
    for name, m in ivr["menus"].items():
        where = "ivr.menus.%s." % name
        _need(m, MENU, where)
        _action(m["fallback"], where + "fallback")
        for k, a in m["keys"].items():
            _action(a, where + "keys." + k)
    if b["hours"] is not None:
        _need(b["hours"], HOURS, "hours.")
    for name, q in b["queues"].items():
        where = "queues.%s." % name
        _need(q, QUEUE, where)
        _action(q["overflow"], where + "overflow")
    if b["survey"] is not None:
        _need(b["survey"], SURVEY, "survey.")
        for i, q in enumerate(b["survey"]["questions"]):
            _need(q, QUESTION, "survey.questions[%d]." % i)
    _need(b["recording"], RECORDING, "recording.")
    _need(b["agents"], AGENTS, "agents.")
    _need(b["agents"]["codes"], CODES, "agents.codes.")
    if b.get("callbacks") is not None:
        _need(b["callbacks"], CALLBACKS, "callbacks.")


def load(path=FILE):
    """(bundle, None) for a good site.json in the flash; (None, None) when there is none;
    (None, why) when it is refused (printed too: the board keeps its plain call flow rather
    than stop)."""
    import json

    from .ivr import Ivr

    try:
        with open(path) as f:
            b = json.load(f)
    except OSError:
        return None, None
    except ValueError as e:
        why = "not JSON: %s" % e
    else:
        try:
            check(b)
            Ivr(b)  # refuse it here, not at the first call (a menu that does not exist...)
            return b, None
        except (SiteBundleError, KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            why = str(e) if isinstance(e, SiteBundleError) else repr(e)
    print("site:", path, "refused:", why)
    return None, why
