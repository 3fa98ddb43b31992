# The IVR: a site's menus (the compiled site.json, host/callgate/site/build.py) driven by a
# call's events. Pure logic, like calls.py: no samples, no time of its own, no I/O.
#
#   ivr = Ivr(bundle)                 everything is built here, once: menus, actions as tuples,
#   s = ivr.session(port)             one Session per FXO port, reused for every call on it
#   ivr.start(s, tm, out)             the call was answered; tm is the site's local time
#                                     (year, month, day, hour, minute, second, weekday 0=Mon),
#                                     or None (always open); picks the port's menu or, outside
#                                     business hours, the after-hours menu
#   ivr.digit(s, d, out)              a DTMF digit from the caller
#   ivr.prompt_done(s, name, reason, out)   the line card finished a prompt (reason "complete";
#                                     "barge-in" ends are ignored: the digit did the work)
#   ivr.timeout(s, out)               the digit timer the last WAIT asked for ran out
#   ivr.stop(s)                       the call ended (caller hung up): the session goes idle
#
# Each appends actions (tuples made at load, so an event allocates nothing but the caller's
# list slot) to out:
#
#   ("play", prompt, barge_in)   play a prompt
#   ("stop",)                    stop the prompt playing (a barge-in, or an invalid key)
#   ("wait", ms)                 (re)arm the digit timer; ("wait", 0) cancels it
#   ("menu", name)               the call entered a menu (for the host's events)
#   ("queue", name)              done: put the call in this queue
#   ("operator", queue)          done: the operator (the site's operator queue)
#   ("callback", prompt, then)   done: ask for a number to call back (then: a prompt or None)
#   ("voicemail", prompt, max_s) done: take a message
#   ("hangup", why)              done: hang up; why is "menu" (a hang-up key) or "after-play"
#
# In a menu: its prompt plays (barge-in if the menu says so: a key cuts it), then the timer
# waits `ms`. A key with an action does it; any other key, or no key in time, is a try: the
# invalid (or timeout) prompt, then the menu prompt again, until `retries` tries have been
# repeated, then the menu's fallback action. A menu without keys does its fallback when its
# prompt ends. "repeat" plays the menu again without counting a try; "play" plays a prompt,
# then returns to the menu or hangs up.
#
# The bundle's ivr.limit (max_steps, max_ms, limit_then, bye here) bounds a call's time in the
# menus; calls.py counts and enforces it, the IVR itself never ends a call on its own.

from .bundle import SiteBundleError
from .link.compat import const

# Session states
IDLE = "idle"
PLAYING = "playing"
WAITING = "waiting"
DONE = "done"

# What to do when the prompt playing completes
_THEN_WAIT = const(0)  # the menu prompt: wait for a key
_THEN_MENU = const(1)  # an invalid/timeout/info prompt: play the menu prompt again
_THEN_HANGUP = const(2)
_THEN_FALLBACK = const(3)  # a menu without keys

STOP = ("stop",)
NO_WAIT = ("wait", 0)
_HANGUP_MENU = ("hangup", "menu")
_HANGUP_PLAY = ("hangup", "after-play")


class Menu:
    def __init__(self, name, m, ivr):
        self.name = name
        self.entered = ("menu", name)
        self.barge = bool(m["barge"])
        self.play = ("play", m["prompt"], self.barge)
        self.wait = ("wait", int(m["ms"]))
        self.retries = int(m["retries"])
        inv = m["invalid"]
        tmo = m["timeout"]
        self.invalid = ("play", inv, self.barge) if inv else None
        self.timeout = ("play", tmo, self.barge) if tmo else None
        self.keys = {}
        for k, a in m["keys"].items():
            self.keys[k] = ivr._action(a)
        self.fallback = ivr._action(m["fallback"])


class Session:
    def __init__(self, port, menu):
        self.port = port
        self.home = menu  # the port's own menu name
        self.state = IDLE
        self.menu = None  # the current Menu
        self.tries = 0
        self.playing = None  # prompt name
        self.then = _THEN_WAIT
        self.result = None  # the final action tuple once DONE


class Ivr:
    def __init__(self, bundle):
        ivr = bundle["ivr"]  # bundle.check() has seen every field
        self.operator = ("operator", ivr["operator"])
        self._acts = {}  # shared action tuples by key
        self.menus = {}
        for name, m in ivr["menus"].items():
            self.menus[name] = Menu(name, m, self)
        for menu in self.menus.values():  # resolve menu actions to Menu objects
            for k, a in menu.keys.items():
                menu.keys[k] = self._resolve(a, menu)
            menu.fallback = self._resolve(menu.fallback, menu)
        # The bound on one call's time in the menus (calls.py enforces it): at most `steps`
        # prompts played over the whole call, at most `s` seconds per visit; then the `then`
        # action (a done-action tuple), or a hang-up after the `bye` prompt.
        limit = ivr["limit"]
        self.max_steps = int(limit["steps"])
        self.max_ms = int(limit["s"]) * 1000
        self.limit_then = self.action(limit["then"])
        self.bye = limit["bye"]
        self.start_menu = self._menu(ivr["start"], "ivr.start")
        after = ivr["after"]
        self.after_menu = self._menu(after, "ivr.after") if after else None
        self.sessions = {}
        for p in bundle["ports"]:
            if p["kind"] == "fxo":
                home = self._menu(p["menu"], "port menu")
                self.sessions[p["n"]] = Session(p["n"], home)
        hours = bundle["hours"]
        self.week = None
        self.closed = ()
        if hours:
            self.week = [tuple((int(a), int(b)) for a, b in day) for day in hours["week"]]
            self.closed = tuple(int(d[0:4]) * 10000 + int(d[5:7]) * 100 + int(d[8:10]) for d in hours["closed"])
            self.offset_min = int(hours["offset_min"])
        else:
            self.offset_min = 0

    def _menu(self, name, what):
        m = self.menus.get(name)
        if m is None:
            raise SiteBundleError("%s: no menu %r" % (what, name))
        return m

    def _action(self, a):
        do = a["do"]
        if do == "menu":
            return ("menu", a["to"])
        if do == "queue":
            return ("queue", a["to"])
        if do == "play":
            return ("play", a["prompt"], a["then"])
        if do == "callback":
            return ("callback", a["prompt"], a["then"])
        if do == "voicemail":
            return ("voicemail", a["prompt"], int(a["max_s"]))
        if do in ("repeat", "operator", "hangup"):
            return (do,)
        raise SiteBundleError("unknown action %r" % (do,))

    def _resolve(self, a, menu):
        if a[0] == "menu":
            return ("menu", self._menu(a[1], "menu " + menu.name))
        if a[0] == "play":
            # a key may cut it only if it then returns to a menu that takes keys while playing
            # (the line card must not cut a prompt whose digit the IVR then ignores)
            then = _THEN_HANGUP if a[2] == "hangup" else _THEN_MENU
            return ("play", ("play", a[1], menu.barge and then == _THEN_MENU), then)
        key = a
        return self._acts.setdefault(key, a)

    def session(self, port):
        return self.sessions[port]

    def action(self, a):
        """A bundle action outside the menus (a queue's overflow) as a done-action tuple:
        ("queue", name), ("operator", queue), ("callback", ...), ("voicemail", ...),
        ("menu", name) or ("hangup",)."""
        t = self._action(a)
        if t[0] == "operator":
            return self.operator
        if t[0] in ("queue", "callback", "voicemail", "menu"):
            return t
        return ("hangup",)

    def enter(self, s, name, out):
        """Put session s (its call back from a queue) in menu `name`."""
        s.tries = 0
        s.result = None
        self._enter(s, self._menu(name, "overflow"), out)

    # -- time ----------------------------------------------------------------------------

    def is_open(self, tm):
        """Business hours at local time tm (year, month, day, hour, minute, sec, weekday 0=Mon);
        None means always open, and so does a site without hours."""
        if tm is None or self.week is None:
            return True
        if tm[0] * 10000 + tm[1] * 100 + tm[2] in self.closed:
            return False
        minute = tm[3] * 60 + tm[4]
        for a, b in self.week[tm[6]]:
            if a <= minute < b:
                return True
        return False

    def local_time(self, utc_seconds):
        """The site's local time tuple for the board's UTC clock (its own epoch)."""
        import time

        return time.gmtime(utc_seconds + self.offset_min * 60)

    # -- events ----------------------------------------------------------------------------

    def start(self, s, tm, out):
        s.tries = 0
        s.result = None
        menu = s.home if self.is_open(tm) or self.after_menu is None else self.after_menu
        self._enter(s, menu, out)

    def stop(self, s):
        s.state = IDLE
        s.playing = None

    def digit(self, s, d, out):
        if s.state == WAITING:
            out.append(NO_WAIT)
        elif s.state == PLAYING and s.menu.barge and s.then != _THEN_HANGUP:
            out.append(STOP)  # barge-in: the line card cut it already, this makes it sure
            s.playing = None
        else:
            return  # no key taken now (a prompt without barge-in, or the call is done)
        a = s.menu.keys.get(d)
        if a is None:
            self._try(s, s.menu.invalid, out)
        else:
            self._do(s, a, out)

    def prompt_done(self, s, name, reason, out):
        if s.state != PLAYING or reason == "barge-in" or (name is not None and name != s.playing):
            return
        s.playing = None
        then = s.then
        if then == _THEN_WAIT:
            s.state = WAITING
            out.append(s.menu.wait)
        elif then == _THEN_MENU:
            self._play_menu(s, out)
        elif then == _THEN_HANGUP:
            self._finish(s, _HANGUP_PLAY, out)
        else:
            self._do(s, s.menu.fallback, out)

    def timeout(self, s, out):
        if s.state == WAITING:
            self._try(s, s.menu.timeout, out)

    # -- the flow --------------------------------------------------------------------------

    def _enter(self, s, menu, out):
        s.menu = menu
        s.tries = 0
        out.append(menu.entered)
        self._play_menu(s, out)

    def _play_menu(self, s, out):
        m = s.menu
        self._play(s, m.play, _THEN_WAIT if m.keys else _THEN_FALLBACK, out)

    def _play(self, s, play, then, out):
        s.state = PLAYING
        s.playing = play[1]
        s.then = then
        out.append(play)

    def _try(self, s, prompt, out):
        s.tries += 1
        if s.tries > s.menu.retries:
            self._do(s, s.menu.fallback, out)
        elif prompt is not None:
            self._play(s, prompt, _THEN_MENU, out)
        else:
            self._play_menu(s, out)

    def _do(self, s, a, out):
        kind = a[0]
        if kind == "menu":
            self._enter(s, a[1], out)
        elif kind == "repeat":
            self._play_menu(s, out)
        elif kind == "play":
            self._play(s, a[1], a[2], out)
        elif kind == "operator":
            self._finish(s, self.operator, out)
        elif kind == "hangup":
            self._finish(s, _HANGUP_MENU, out)
        else:  # queue
            self._finish(s, a, out)

    def _finish(self, s, result, out):
        s.state = DONE
        s.playing = None
        s.result = result
        out.append(result)
