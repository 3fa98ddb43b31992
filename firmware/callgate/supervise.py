# Supervision: a supervisor (an agent whose FXS port the site marks supervisor) joins an
# agent's call to listen, whisper or barge. Pure logic, like acd.py: calls.py hands in the
# supervisor's keys and hook and the call's end; line-card commands and link events come out.
#
# The audio is the line cards' hear sets (linecard.py CMD_HEAR: one row of a call's listen
# matrix per leg). With C the caller's port, A the agent's, S the supervisor's:
#
#   listen    S hears C+A   A hears C     C hears A     nobody hears the supervisor
#   whisper   S hears C+A   A hears C+S   C hears A     only the agent hears them
#   barge     S hears C+A   A hears C+S   C hears A+S   all three hear each other
#
# Every mode sends all three rows, so a switch back (barge -> listen) takes S out of A's and
# C's rows. The end is `unbridge` of S: the line cards take it out of every row (the caller
# and the agent go on hearing each other, as the bridge had it).
#
#   supervisor off hook, keys a code + an agent's extension (agents.py: "supervise")
#       --the agent talks to a caller, nobody else supervises it--> session (in the code's mode)
#       --otherwise--> the refusal tone (agents.py TONE_NO)
#   session --key 1, 2 or 3--> listen, whisper, barge (other keys do nothing)
#   session --the supervisor hangs up--> over
#   session --the agent or the caller hangs up--> over; the supervisor hears busy tone
#
# Each mode's stretch goes into the call's record as {"ext" (the supervisor's), "mode", "ms"}
# in "supervised" (a list, in order; absent when nobody supervised the call), and each start,
# switch and end is an EV_SUPERVISE event for the wallboards: {"port", "ext" (the
# supervisor's), "agent" (the agent's extension), "agent_port", "call", "trunk", "mode"
# (None: over), "ms" (the session's length so far)}.

from . import linecard
from .compat import ticks_diff
from .link import messages

LISTEN = "listen"
WHISPER = "whisper"
BARGE = "barge"
MODES = (LISTEN, WHISPER, BARGE)  # also the names of their feature codes (agents.py)
KEYS = {"1": LISTEN, "2": WHISPER, "3": BARGE}  # a key during a session switches the mode


def rows(mode, c, a, s):
    """The hear rows [(port, ports it hears)] of a mode: c the caller's port, a the agent's,
    s the supervisor's."""
    if mode == LISTEN:
        return ((s, [c, a]), (a, [c]), (c, [a]))
    if mode == WHISPER:
        return ((s, [c, a]), (a, [c, s]), (c, [a]))
    return ((s, [c, a]), (a, [c, s]), (c, [a, s]))


class Session:
    def __init__(self, sup, agent, call, now):
        self.sup = sup  # acd.Agent: the supervisor
        self.agent = agent  # acd.Agent: the agent supervised
        self.call = call  # calls.Call: the agent's caller
        self.mode = None
        self.since = now  # the session's start (board ms)
        self.mode_at = now  # the mode's start


class Supervision:
    def __init__(self):
        self.sessions = {}  # the supervisor's port -> Session

    def of(self, port):
        return self.sessions.get(port)

    def watching(self, call):
        """The session on this call, or None (one supervisor per call)."""
        for s in self.sessions.values():
            if s.call is call:
                return s
        return None

    def start(self, sup, agent, call, mode, now, ev, cmd):
        s = Session(sup, agent, call, now)
        self.sessions[sup.port] = s
        self.switch(s, mode, now, ev, cmd)

    def switch(self, s, mode, now, ev, cmd):
        if mode == s.mode:
            return
        self._note(s, now)
        s.mode = mode
        for port, hears in rows(mode, s.call.port, s.agent.port, s.sup.port):
            cmd.append({"t": linecard.CMD_HEAR, "port": port, "from": hears})
        self._event(s, mode, now, ev)

    def end(self, s, now, ev, cmd):
        """The session is over: the supervisor hears and is heard by nobody."""
        self._note(s, now)
        del self.sessions[s.sup.port]
        cmd.append({"t": linecard.CMD_UNBRIDGE, "port": s.sup.port})
        self._event(s, None, now, ev)

    def _note(self, s, now):
        """The mode so far goes into the call's record."""
        if s.mode is None:
            return
        r = s.call.cdr
        if r is not None:
            if "supervised" not in r:
                r["supervised"] = []
            r["supervised"].append({"ext": s.sup.ext, "mode": s.mode, "ms": ticks_diff(now, s.mode_at)})
        s.mode_at = now

    def _event(self, s, mode, now, ev):
        ev.append((messages.EV_SUPERVISE, {"port": s.sup.port, "ext": s.sup.ext, "agent": s.agent.ext,
                                           "agent_port": s.agent.port, "call": s.call.id, "trunk": s.call.port,
                                           "mode": mode, "ms": ticks_diff(now, s.since)}))
