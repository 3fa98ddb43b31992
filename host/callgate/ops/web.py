"""The web application (aiohttp): the login check, CSRF, the pages, the API, the static files.

    app = build_app(store, floor, target_s=20)
    web.run_app(app, host="127.0.0.1", port=8080)

Every path but /login and /static/ needs a session: the API answers 401 with a JSON error,
a page redirects to /login. Every POST, PUT and DELETE needs the session's CSRF token (the
X-CSRF-Token header, or a `csrf` form field): 403 otherwise.
"""

import pathlib
import secrets
import urllib.parse

from aiohttp import web

from . import auth, pages
from .api import Api
from .store import StoreUnavailable

STATIC = pathlib.Path(__file__).parent / "static"
COOKIE = "cg_session"
PRE_COOKIE = "cg_login"
PUBLIC = ("/login", "/static/")
UNSAFE = ("POST", "PUT", "DELETE", "PATCH")


def build_app(store, floor, target_s: float = 20, sl_alarm: float = 0.8, wait_alarm_s: float = 60,
              secure_cookies: bool = False, recordings=None, card=None) -> web.Application:
    api = Api(store, floor, target_s, sl_alarm, wait_alarm_s, recordings, card)

    @web.middleware
    async def login_check(request, handler):
        if request.path.startswith(PUBLIC):
            return await handler(request)
        token = request.cookies.get(COOKIE)
        try:
            user = store.session(token) if token else None
        except StoreUnavailable as e:
            return web.json_response({"error": f"the store cannot be used: {e}"}, status=503)
        if user is None:
            if request.path.startswith("/api/"):
                return web.json_response({"error": "login required"}, status=401)
            raise web.HTTPFound("/login?" + urllib.parse.urlencode({"next": request.path_qs}))
        if request.method in UNSAFE:
            sent = request.headers.get("X-CSRF-Token")
            if sent is None and request.content_type == "application/x-www-form-urlencoded":
                sent = (await request.post()).get("csrf")
            if not auth.same(sent, user["csrf"]):
                return web.json_response({"error": "missing or wrong CSRF token"}, status=403)
        request["user"] = user
        return await handler(request)

    app = web.Application(middlewares=[login_check, api.middleware], client_max_size=1 << 20)
    app["store"], app["floor"], app["api"] = store, floor, api

    async def stop_streams(app):
        await api.streams.stop()

    app.on_cleanup.append(stop_streams)
    api.routes(app)

    async def login_form(request):
        token = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
        resp = web.Response(text=pages.login(token, request.query.get("next", "/"), request.query.get("failed") == "1"),
                            content_type="text/html")
        resp.set_cookie(PRE_COOKIE, token, httponly=True, samesite="Strict", secure=secure_cookies)
        return resp

    async def login(request):
        form = await request.post()
        nxt = form.get("next") or "/"
        if not nxt.startswith("/") or nxt.startswith("//"):
            nxt = "/"
        if not auth.same(form.get("csrf"), request.cookies.get(PRE_COOKIE)):
            return web.Response(status=403, text="the login form expired: load /login again")
        got = auth.login(store, str(form.get("user", "")), str(form.get("password", "")))
        if got is None:
            raise web.HTTPFound("/login?" + urllib.parse.urlencode({"next": nxt, "failed": "1"}))
        resp = web.HTTPFound(nxt)
        resp.set_cookie(COOKIE, got[0], httponly=True, samesite="Strict", secure=secure_cookies, max_age=auth.SESSION_S)
        resp.del_cookie(PRE_COOKIE)
        raise resp

    async def logout(request):
        store.end_session(request.cookies.get(COOKIE))
        resp = web.HTTPFound("/login")
        resp.del_cookie(COOKIE)
        raise resp

    async def home(request):
        raise web.HTTPFound("/agent" if request["user"]["role"] == "agent" else "/wallboard")

    def page(render, supervisors_only=False):
        async def handler(request):
            user = request["user"]
            if supervisors_only and user["role"] == "agent":
                return web.Response(status=403, text="supervisors and admins only", content_type="text/plain")
            ext = request.query.get("ext") or user["ext"] or ""
            if user["role"] == "agent" and ext != user["ext"]:
                return web.Response(status=403, text="an agent sees their own page only", content_type="text/plain")
            return web.Response(text=render(user, ext), content_type="text/html")
        return handler

    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/", home)
    app.router.add_get("/wallboard", page(pages.wallboard, supervisors_only=True))
    app.router.add_get("/agent", page(pages.agent))
    app.router.add_get("/calls", page(pages.calls))
    app.router.add_get("/quality", page(pages.quality, supervisors_only=True))
    app.router.add_static("/static/", STATIC)
    return app
