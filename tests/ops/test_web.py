"""The web app's doors, against a real `callgate serve` process (its board link points at
nothing, which it keeps retrying): logins, sessions, roles, CSRF, malformed requests."""

import pytest

from callgate.cli.serve import parse_listen
from callgate.ops.auth import check_password, hash_password
from opskit import Service, Web, callgate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    d = tmp_path_factory.mktemp("web")
    db = f"sqlite:///{d}/ops.db"
    callgate("users", "add", "sue", "--role", "supervisor", "--db", db, stdin="sup-pass\n")
    callgate("users", "add", "bob", "--role", "agent", "--ext", "202", "--db", db, stdin="bob-pass\n")
    with Service(db, f"{d}/no-such-board") as s:
        yield s


def test_passwords_are_hashed_with_a_salt():
    a, b = hash_password("secret"), hash_password("secret")
    assert a != b and "secret" not in a and a.startswith("scrypt$")
    assert check_password(a, "secret") and not check_password(a, "Secret") and not check_password("junk", "x")


def test_it_listens_on_127_0_0_1_unless_told():
    assert parse_listen("8080") == ("127.0.0.1", 8080)
    assert parse_listen("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_listen("0.0.0.0:9000") == ("0.0.0.0", 9000)
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen("localhost:http")


def test_users_add_refuses_an_agent_without_an_extension_and_an_unknown_role(tmp_path):
    db = f"sqlite:///{tmp_path}/ops.db"
    r = callgate("users", "add", "amy", "--role", "agent", "--db", db, stdin="x\n", check=False)
    assert r.returncode == 2 and "needs --ext" in r.stderr and "Traceback" not in r.stderr
    r = callgate("users", "add", "amy", "--role", "boss", "--db", db, stdin="x\n", check=False)
    assert r.returncode == 2
    r = callgate("users", "add", "amy", "--role", "admin", "--db", db, stdin="\n", check=False)
    assert r.returncode == 2 and "password is empty" in r.stderr


def test_without_a_session_the_api_answers_401_and_pages_send_to_the_login(service):
    w = Web(service.url)
    for path in ("/api/wallboard", "/api/calls", "/api/customers", "/api/agents", "/api/events", "/api/pop?ext=1"):
        status, body = w.json("GET", path)
        assert status == 401 and body == {"error": "login required"}, path
    for path in ("/", "/wallboard", "/agent", "/calls"):
        status, headers, _ = w.request("GET", path)
        assert status == 302 and headers["Location"].startswith("/login?next="), path


def test_a_wrong_password_does_not_log_in(service):
    w = Web(service.url)
    assert not w.login("sue", "wrong")
    assert not w.login("nobody", "sup-pass")
    assert w.json("GET", "/api/wallboard")[0] == 401


def test_a_login_form_without_its_token_is_refused(service):
    w = Web(service.url)
    status, _, _ = w.request("POST", "/login", form={"user": "sue", "password": "sup-pass", "csrf": "guess"})
    assert status == 403


def test_a_supervisor_sees_the_wallboard_and_an_agent_only_their_own(service):
    sue, bob = Web(service.url), Web(service.url)
    assert sue.login("sue", "sup-pass") and bob.login("bob", "bob-pass")
    status, wb = sue.json("GET", "/api/wallboard")
    assert status == 200 and wb["figures"]["today"]["calls"] == 0 and wb["target_s"] == 20
    assert bob.json("GET", "/api/wallboard")[0] == 403
    assert bob.request("GET", "/wallboard")[0] == 403
    assert bob.json("GET", "/api/pop?ext=201")[0] == 403
    assert bob.json("GET", "/api/pop?ext=202") == (200, {"pop": None})
    assert bob.json("GET", "/api/calls?agent=201")[0] == 403
    assert bob.request("GET", "/agent?ext=201")[0] == 403
    assert bob.request("GET", "/agent")[0] == 200


def test_changes_need_the_csrf_token(service):
    sue = Web(service.url)
    assert sue.login("sue", "sup-pass")
    body = {"name": "Carl", "numbers": ["555 7000"]}
    assert sue.json("POST", "/api/customers", body, csrf=False) == (403, {"error": "missing or wrong CSRF token"})
    status, _, _ = sue.request("POST", "/api/customers", body, {"X-CSRF-Token": "forged"})
    assert status == 403
    status, c = sue.json("POST", "/api/customers", body)
    assert status == 201 and c["numbers"] == ["5557000"]
    assert sue.json("GET", "/api/customers?number=555-7000")[1]["customers"][0]["id"] == c["id"]
    status, c2 = sue.json("PUT", f"/api/customers/{c['id']}", dict(body, company="Carl & Co"))
    assert status == 200 and c2["company"] == "Carl & Co"
    status, _, _ = sue.request("POST", "/logout", form={"csrf": "wrong"})
    assert status == 403


def test_malformed_requests_get_400_with_a_message(service):
    sue = Web(service.url)
    assert sue.login("sue", "sup-pass")
    status, _, body = sue.request("POST", "/api/customers", b"{not json", {"X-CSRF-Token": sue.csrf,
                                                                          "Content-Type": "application/json"})
    assert status == 400 and b"not JSON" in body
    assert sue.json("POST", "/api/customers", {"name": "X", "numbers": ["call me"]}) == (
        400, {"error": "'call me' is not a phone number (digits, an optional leading + or 00, spaces, dashes, dots and brackets)"})
    assert sue.json("POST", "/api/customers", {"numbers": ["1"]})[0] == 400
    assert sue.json("GET", "/api/calls?since=yesterday") == (
        400, {"error": "since='yesterday' is not an ISO 8601 time (e.g. 2026-11-23T10:00+08:00)"})
    assert sue.json("GET", "/api/calls?limit=many")[0] == 400
    assert sue.json("GET", "/api/calls/nope-1")[0] == 404
    assert sue.json("PUT", "/api/customers/999", {"name": "X", "numbers": ["1"]})[0] == 404
    assert sue.json("POST", "/api/calls/x-1/notes", {"text": ""})[0] == 400
    assert sue.json("POST", "/api/calls/x-1/notes", {"text": "a\x00b"}) == (
        400, {"error": "the body holds a NUL character (\\u0000)"})  # PostgreSQL's text cannot hold one


def test_logging_out_ends_the_session(service):
    sue = Web(service.url)
    assert sue.login("sue", "sup-pass")
    status, _, _ = sue.request("POST", "/logout", form={"csrf": sue.csrf})
    assert status == 302
    assert sue.json("GET", "/api/calls")[0] == 401


def test_a_locked_store_answers_503_and_loses_nothing(service):
    import sqlite3

    sue = Web(service.url)
    assert sue.login("sue", "sup-pass")
    path = service.db[len("sqlite:///"):]
    lock = sqlite3.connect(path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # another program holds the database
    try:
        status, body = sue.json("POST", "/api/customers", {"name": "Locked Out", "numbers": ["5559999"]})
        assert status == 503 and "database is locked" in body["error"]
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    status, c = sue.json("POST", "/api/customers", {"name": "Locked Out", "numbers": ["5559999"]})
    assert status == 201
    assert sue.json("GET", "/api/customers?number=5557000")[1]["customers"][0]["name"] == "Carl"  # kept
