"""Users, roles, password hashes, sessions and CSRF tokens.

    h = hash_password("s3cret")          # "scrypt$16384$8$1$<salt hex>$<hash hex>"
    check_password(h, "s3cret") -> True
    token, csrf = new_session(store, "bob")

Passwords are hashed with scrypt (the standard library's hashlib.scrypt: memory-hard, with a
random 16-byte salt per password) and compared in constant time. A session is a random
token in an HttpOnly, SameSite=Strict cookie, kept in the store with an expiry; each session
has its own CSRF token, which every form carries in a hidden field and every script sends in
the X-CSRF-Token header on a POST, PUT or DELETE (checked by web.py). The login form, before
there is a session, uses the double-submit form: a random cookie and the same value in the
form.
"""

import hashlib
import hmac
import secrets
import time

ROLES = ("agent", "supervisor", "admin")
SESSION_S = 12 * 3600
_N, _R, _P = 2 ** 14, 8, 1


class AuthError(ValueError):
    """A user or password that cannot be used (one line in the CLI)."""


def hash_password(password: str) -> str:
    if not password:
        raise AuthError("the password is empty")
    salt = secrets.token_bytes(16)
    h = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${h.hex()}"


def check_password(stored: str, password: str) -> bool:
    try:
        kind, n, r, p, salt, want = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(want) // 2)
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(got.hex(), want)


def add_user(store, name: str, role: str, password: str, ext=None) -> None:
    if role not in ROLES:
        raise AuthError(f"role {role!r}: one of {', '.join(ROLES)}")
    if not name or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise AuthError(f"user name {name!r}: letters, digits, '-', '_' and '.' only")
    if role == "agent" and not ext:
        raise AuthError("an agent needs --ext (their extension, as in the site file)")
    store.put_user(name, role, ext, hash_password(password))


def login(store, name: str, password: str):
    """(token, csrf) for a right name and password, else None."""
    u = store.user(name)
    if u is None:
        hash_password("x")  # about the same time as a wrong password: names are not revealed
        return None
    if not check_password(u["password"], password):
        return None
    return new_session(store, name)


def new_session(store, name: str):
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    store.add_session(token, name, csrf, time.time() + SESSION_S)
    return token, csrf


def same(a, b) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
