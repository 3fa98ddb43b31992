"""The JSON API under /api/ (docs/ops.md), used by the pages themselves.

Every handler gets the session's user as request["user"] ({"name", "role", "ext"}); web.py
has checked the login and, for a POST or PUT, the CSRF token. A malformed request gets 400
and {"error": "..."} naming the problem; a record that is not there 404; what the user's role
may not see 403; a database that cannot be written (locked, gone) 503.
"""

import asyncio
import pathlib
import re
import time

from aiohttp import web

from ..callcenter import cdr
from . import figures, quality
from .numbers import NumberError, lookup_key, normalise
from .stream import Streams, frame
from .store import StoreUnavailable

LAST_CALLS = 10
_RECORDING = re.compile(r"([0-9a-f]{8}-[0-9]+)(?:-vm)?\.wav")


def error(status: int, msg: str):
    return web.json_response({"error": msg}, status=status)


class ApiError(Exception):
    def __init__(self, status: int, msg: str):
        super().__init__(msg)
        self.status = status


def _supervisor(request):
    if request["user"]["role"] not in ("supervisor", "admin"):
        raise ApiError(403, "supervisors and admins only")


def _time_arg(request, name):
    v = request.query.get(name)
    if not v:
        return None
    try:
        return cdr.from_iso(v)
    except ValueError:
        raise ApiError(400, f"{name}={v!r} is not an ISO 8601 time (e.g. 2026-11-23T10:00+08:00)") from None


def _has_nul(v) -> bool:
    if isinstance(v, str):
        return "\x00" in v
    if isinstance(v, dict):
        return any(_has_nul(k) or _has_nul(x) for k, x in v.items())
    if isinstance(v, list):
        return any(_has_nul(x) for x in v)
    return False


async def _body(request) -> dict:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    if _has_nul(body):  # PostgreSQL's text cannot hold one; SQLite's would: refused on both alike
        raise ApiError(400, "the body holds a NUL character (\\u0000)")
    return body


def _run(fn, *args, **kw):
    """A store call in a worker thread (the database calls block)."""
    return asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kw))


class Api:
    def __init__(self, store, floor, target_s: float = 20, sl_alarm: float = 0.8, wait_alarm_s: float = 60,
                 recordings=None, card=None):
        self.store, self.floor = store, floor
        self.card = card  # the reviewers' scorecard (quality.scorecard()), None without a site
        self.streams = Streams(floor, self.wallboard_data, self.pop_data, _run)  # /api/events
        self.recordings = pathlib.Path(recordings) if recordings else None
        self.target_s, self.sl_alarm, self.wait_alarm_s = target_s, sl_alarm, wait_alarm_s

    def routes(self, app) -> None:
        r = app.router
        r.add_get("/api/wallboard", self.wallboard)
        r.add_get("/api/calls", self.calls)
        r.add_get("/api/calls/{id}", self.call)
        r.add_get("/api/recordings/{name}", self.recording)
        r.add_post("/api/calls/{id}/notes", self.add_note)
        r.add_get("/api/customers", self.customers)
        r.add_post("/api/customers", self.create_customer)
        r.add_put("/api/customers/{id}", self.update_customer)
        r.add_get("/api/agents", self.agents)
        r.add_get("/api/pop", self.pop)
        r.add_get("/api/me", self.me)
        r.add_get("/api/quality", self.quality)
        r.add_get("/api/quality/agents", self.quality_agents)
        r.add_post("/api/calls/{id}/scorecard", self.add_scorecard)
        r.add_get("/api/events", self.events)

    @web.middleware
    async def middleware(self, request, handler):
        if not request.path.startswith("/api/"):
            return await handler(request)
        try:
            return await handler(request)
        except ApiError as e:
            return error(e.status, str(e))
        except StoreUnavailable as e:
            return error(503, f"the store cannot be used: {e}")

    # -- the wallboard -------------------------------------------------------------------------

    def wallboard_data(self) -> dict:
        now_ms = self.floor.board_now_ms()
        figs = figures.wallboard_figures(self.store, now_ms, self.target_s, self.floor.utc_offset_min)
        floor = self.floor.snapshot()
        alarms = []
        for name in ("last_15_min", "today"):
            sl = figs[name]["service_level"]
            if sl is not None and sl < self.sl_alarm:
                alarms.append(f"service level {100 * sl:.0f} % ({name.replace('_', ' ')}) is below the target "
                              f"{100 * self.sl_alarm:.0f} %")
        for r in floor.get("refused", []):
            alarms.append(f"{r['port']}: not followed: the board there answers as {r['board']!r}, like the one on "
                          f"{r['holder']} (boards need distinct ids)")
        for w in floor["waiting"]:
            if w["longest_wait_s"] > self.wait_alarm_s:
                alarms.append(f"{w['queue']}: a caller has waited {w['longest_wait_s']:.0f} s "
                              f"(alarm at {self.wait_alarm_s:g} s)")
        return {"now_ms": now_ms, "target_s": self.target_s, "figures": figs, "floor": floor, "alarms": alarms,
                "chart": figures.chart(self.store, now_ms)}

    async def wallboard(self, request):
        _supervisor(request)
        return web.json_response(await _run(self.wallboard_data))

    # -- calls ---------------------------------------------------------------------------------

    async def calls(self, request):
        q = request.query
        user = request["user"]
        agent = q.get("agent") or None
        if user["role"] == "agent":
            if agent not in (None, user["ext"]):
                raise ApiError(403, "an agent sees their own calls only")
            agent = user["ext"]
        try:
            limit = int(q.get("limit", "500"))
        except ValueError:
            raise ApiError(400, f"limit={q.get('limit')!r} is not a number") from None
        number = q.get("number") or None
        if number is not None and lookup_key(number) is None:
            raise ApiError(400, f"number={number!r} is not a phone number")
        records = await _run(self.store.calls, since_ms=_time_arg(request, "since"), until_ms=_time_arg(request, "until"),
                             queue=q.get("queue") or None, agent=agent, number=number,
                             outcome=q.get("outcome") or None)
        records = records[-limit:] if limit > 0 else records
        cards = await _run(self._scorecards_by_call, [r["id"] for r in records])
        for r in records:
            self._recording_url(r)
            r["scorecards"] = cards.get(r["id"], [])
        return web.json_response({"calls": records, "count": len(records)})

    def _scorecards_by_call(self, ids) -> dict:
        out = {}
        for sc in self.store.scorecards(calls=ids):
            out.setdefault(sc["call"], []).append(sc)
        return out

    def _recording_url(self, r) -> dict:
        """Add "recording_url" when the call's recording is in the store's folder."""
        rec = r.get("recording")
        if self.recordings and isinstance(rec, str):
            name = rec.rsplit("/", 1)[-1]
            if (self.recordings / name).is_file():
                r["recording_url"] = f"/api/recordings/{name}"
        return r

    async def recording(self, request):
        """A recording (audio/wav), for whoever may see its call."""
        name = request.match_info["name"]
        m = _RECORDING.fullmatch(name)
        if not m or self.recordings is None:
            raise ApiError(404, f"no recording {name!r}")
        got = await _run(self.store.calls, ids=[m.group(1)])
        if not got:
            raise ApiError(404, f"no call record for {name!r}")
        user = request["user"]
        if user["role"] == "agent" and got[0].get("agent") != user["ext"]:
            raise ApiError(403, "an agent hears their own calls only")
        path = self.recordings / name
        if not path.is_file():
            raise ApiError(404, f"{name}: not pulled from the board (yet)")
        return web.FileResponse(path, headers={"Content-Type": "audio/wav"})

    async def call(self, request):
        got = await _run(self.store.calls, ids=[request.match_info["id"]])
        if not got:
            raise ApiError(404, f"no call record {request.match_info['id']!r}")
        user = request["user"]
        if user["role"] == "agent" and got[0].get("agent") != user["ext"]:
            raise ApiError(403, "an agent sees their own calls only")
        got[0]["scorecards"] = await _run(self.store.scorecards, calls=[got[0]["id"]])
        return web.json_response(self._recording_url(got[0]))

    async def add_note(self, request):
        body = await _body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "a note needs \"text\"")
        cid = request.match_info["id"]
        if len(cid) > 40 or not cid.replace("-", "").isalnum():
            raise ApiError(400, f"{cid!r} is not a call id (boot id - call number)")
        note = await _run(self.store.add_note, cid, request["user"]["name"], text.strip())
        return web.json_response(note, status=201)

    # -- quality review ------------------------------------------------------------------------

    def _card(self):
        if self.card is None:
            raise ApiError(404, "no scorecard: start `callgate serve` with --site FILE, a site with a quality section")
        return self.card

    async def quality(self, request):
        """The scorecard and the worklist: ?since=&until= (ISO 8601), ?seed=, ?per_agent=."""
        _supervisor(request)
        card = self._card()
        q = request.query
        args = {}
        for name, least in (("seed", 0), ("per_agent", 1)):
            if q.get(name):
                try:
                    args[name] = int(q[name])
                    if args[name] < least:
                        raise ValueError
                except ValueError:
                    raise ApiError(400, f"{name}={q[name]!r} is not a whole number of at least {least}") from None
        wl = await _run(quality.worklist, self.store, card, _time_arg(request, "since"), _time_arg(request, "until"),
                        **args)
        for r in wl["calls"]:
            self._recording_url(r)
        return web.json_response(dict(wl, card=card))

    async def add_scorecard(self, request):
        """{"scores": {criterion: score}, "comment": "..."}: stored with the call and its agent."""
        _supervisor(request)
        card = self._card()
        body = await _body(request)
        comment = body.get("comment") or ""
        if not isinstance(comment, str):
            raise ApiError(400, "\"comment\" must be text")
        try:
            sc = quality.score(card, body.get("scores"))
        except quality.ScoreError as e:
            raise ApiError(400, str(e)) from None
        cid = request.match_info["id"]
        got = await _run(self.store.calls, ids=[cid])
        if not got:
            raise ApiError(404, f"no call record {cid!r}")
        sc.update(call=cid, agent=got[0].get("agent"), reviewer=request["user"]["name"], comment=comment.strip())
        return web.json_response(await _run(self.store.add_scorecard, sc), status=201)

    async def quality_agents(self, request):
        """Per agent: calls reviewed, average / lowest / highest percent, passed (an agent: their own)."""
        rows = await _run(self.store.quality_by_agent)
        user = request["user"]
        if user["role"] == "agent":
            rows = [r for r in rows if r["agent"] == user["ext"]]
        for r in rows:
            r["name"] = self.floor.names.get(r["agent"])
        return web.json_response({"agents": rows, "pass_percent": (self.card or {}).get("pass_percent")})

    # -- customers -----------------------------------------------------------------------------

    async def customers(self, request):
        q = request.query
        if q.get("number"):
            if lookup_key(q["number"]) is None:
                raise ApiError(400, f"number={q['number']!r} is not a phone number")
            c = await _run(self.store.customer_by_number, q["number"])
            return web.json_response({"customers": [c] if c else []})
        return web.json_response({"customers": await _run(self.store.customers, q.get("q") or None)})

    def _customer_body(self, body) -> dict:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "a customer needs a \"name\"")
        numbers = body.get("numbers")
        if isinstance(numbers, str):
            numbers = [n for n in numbers.split(";") if n.strip()]
        if not isinstance(numbers, list) or not numbers:
            raise ApiError(400, "a customer needs \"numbers\" (a list, or one string separated by ;)")
        try:
            numbers = [normalise(n) for n in numbers]
        except NumberError as e:
            raise ApiError(400, str(e)) from None
        extra = body.get("extra") or {}
        if not isinstance(extra, dict):
            raise ApiError(400, "\"extra\" must be an object")
        return {"name": name.strip(), "company": str(body.get("company") or ""), "notes": str(body.get("notes") or ""),
                "numbers": numbers, "extra": {str(k): str(v) for k, v in extra.items()}}

    def _save(self, c, cid=None):
        with self.store.transaction() as db:
            if cid is not None and db.execute("SELECT 1 FROM customers WHERE id = ?", (cid,)).fetchone() is None:
                raise ApiError(404, f"no customer {cid}")
            try:
                cid = self.store.save_customer(db, c, cid)
            except ValueError as e:
                raise ApiError(409, str(e)) from None
        return self.store.customer(cid)

    async def create_customer(self, request):
        c = self._customer_body(await _body(request))
        return web.json_response(await _run(self._save, c), status=201)

    async def update_customer(self, request):
        try:
            cid = int(request.match_info["id"])
        except ValueError:
            raise ApiError(400, f"{request.match_info['id']!r} is not a customer id") from None
        c = self._customer_body(await _body(request))
        return web.json_response(await _run(self._save, c, cid))

    # -- agents and the screen pop ---------------------------------------------------------------

    async def agents(self, request):
        floor = self.floor.snapshot()["agents"]
        user = request["user"]
        if user["role"] == "agent":
            floor = [a for a in floor if a["ext"] == user["ext"]]
        return web.json_response({"agents": floor})

    def pop_data(self, pop) -> dict:
        if pop is None:
            return {"pop": None}
        out = {"pop": pop, "customer": self.store.customer_by_number(pop.get("number")),
               "call_id": f"{pop['board_boot']:08x}-{pop['call']}" if pop.get("board_boot") is not None else None}
        key = lookup_key(pop.get("number"))
        out["last_calls"] = self.store.calls(number=key)[-LAST_CALLS:][::-1] if key else []
        return out

    async def pop(self, request):
        user = request["user"]
        ext = request.query.get("ext") or user["ext"]
        if not ext:
            raise ApiError(400, "which extension? (?ext=)")
        if user["role"] == "agent" and ext != user["ext"]:
            raise ApiError(403, "an agent sees their own page only")
        return web.json_response(await _run(self.pop_data, self.floor.pop_for(ext)))

    async def me(self, request):
        u = request["user"]
        return web.json_response({"name": u["name"], "role": u["role"], "ext": u["ext"]})

    # -- the event stream ----------------------------------------------------------------------

    async def events(self, request):
        """Server-sent events (stream.py): `floor` (the live floor, at most every 0.2 s),
        `wallboard` (the whole wallboard after call records were stored; supervisors) or
        `calls` (their ids; the others), `pop` (a screen pop for the user's extension, or any
        for a supervisor, with the customer's card)."""
        user = request["user"]
        ext = request.query.get("ext") or user["ext"]
        if user["role"] == "agent" and ext != user["ext"]:
            raise ApiError(403, "an agent sees their own page only")
        supervisor = user["role"] in ("supervisor", "admin")
        sub = self.streams.open(ext, supervisor, all_pops=supervisor and not request.query.get("ext"))
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
        try:
            await resp.prepare(request)
            await resp.write(frame("hello", {"user": user["name"], "at": time.time()}))
            while not sub.stuck:
                frames = await sub.next_frames(15)
                if not frames:
                    await resp.write(b": keepalive\n\n")
                for _, b in frames:
                    if b:
                        await resp.write(b)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.streams.close(sub)
        return resp
