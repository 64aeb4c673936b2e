"""People who sign in to the web page: password accounts set by an admin, and server-side sessions.

A session belongs to a principal: an API key (signed in with the key itself) or a user account
(username and password, set with `screen users ...`). Each acts as an identity, the one its
decisions are recorded under: a key's person or system, an account's person (`person:<name>`),
so a person who signs in with a key and with an account is one identity for the four-eyes rule.
Only the sha256 of a session's token is stored, and the principal's role is read again on every
request, so revoking a key, disabling an account or changing a role takes effect at once, exactly
as for the API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from .errors import AuthError, ConflictError, InputError, NotFoundError
from .roles import ROLES
from .store import Store, as_utc, utcnow
from .store.schema import web_sessions, web_users  # the tables of migration 0004
from .workflow import key_identity

MIN_PASSWORD = 12
MAX_PASSWORD = 1024
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often (fewer writes under the SQLite lock)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}




def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.urlsafe_b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.urlsafe_b64decode(salt), dklen=len(want),
                             n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))  # an unknown username costs the same time as a wrong password


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _iso(value: datetime | None) -> str | None:
    v = as_utc(value)
    return v.isoformat().replace("+00:00", "Z") if v else None


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password is {len(password)} characters long (minimum {MIN_PASSWORD})")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"password is {len(password)} characters long (limit {MAX_PASSWORD})")


@dataclass(frozen=True)
class Principal:
    """Who a session acts as, with the role in force now."""

    kind: str  # key | user
    name: str
    role: str
    identity: str  # person:<name> or system:<name>, as screening.workflow records decisions

    @property
    def caller(self) -> str:
        """As recorded in the audit trail and on decisions: key:NAME like the API, web:NAME for an account."""
        return f"{'key' if self.kind == 'key' else 'web'}:{self.name}"


@dataclass(frozen=True)
class Session:
    token: str
    csrf_token: str
    principal: Principal
    expires_at: datetime


class Accounts:
    """User accounts and web sessions over the compliance store."""

    def __init__(self, store: Store, *, idle_seconds: float = 1800, max_seconds: float = 12 * 3600) -> None:
        self.store = store
        self.idle = timedelta(seconds=idle_seconds)
        self.max = timedelta(seconds=max_seconds)

    # ---- accounts ---------------------------------------------------------------------------

    def create_user(self, username: str, role: str, password: str, *, person: str | None = None) -> dict[str, Any]:
        """An account for one person (default: the person named like the account)."""
        username = (username or "").strip()
        person = " ".join((person or username).split())
        if len(person) > 200:
            raise InputError(f"person {person!r}: must be 1-200 characters")
        if not username or len(username) > 100 or any(c.isspace() or c == ":" for c in username):
            raise InputError(f"username {username!r}: must be 1-100 characters, no spaces or ':'")
        if role not in ROLES:
            raise InputError(f"role {role!r}: must be one of {', '.join(ROLES)}")
        check_password_rules(password)
        now = utcnow()
        with self.store.begin() as conn:
            if conn.execute(sa.select(web_users.c.id).where(web_users.c.username == username)).first():
                raise ConflictError(f"a user named {username!r} already exists")
            conn.execute(web_users.insert(), {"username": username, "role": role, "person": person,
                                              "password_hash": hash_password(password),
                                              "created_at": now, "password_set_at": now, "disabled_at": None})
        return self.user(username)

    def user(self, username: str) -> dict[str, Any]:
        with self.store.connect() as conn:
            row = conn.execute(sa.select(web_users).where(web_users.c.username == username)).mappings().first()
        if row is None:
            raise NotFoundError(f"no user named {username!r}")
        return _user_view(row)

    def list_users(self) -> list[dict[str, Any]]:
        with self.store.connect() as conn:
            return [_user_view(r) for r in conn.execute(sa.select(web_users).order_by(web_users.c.id)).mappings()]

    def set_password(self, username: str, password: str) -> None:
        """A new password (admin); the user's open sessions end."""
        check_password_rules(password)
        self._update_user(username, password_hash=hash_password(password), password_set_at=utcnow())
        self.end_sessions("user", username)

    def set_role(self, username: str, role: str) -> None:
        if role not in ROLES:
            raise InputError(f"role {role!r}: must be one of {', '.join(ROLES)}")
        self._update_user(username, role=role)

    def disable_user(self, username: str) -> None:
        self._update_user(username, disabled_at=utcnow())
        self.end_sessions("user", username)

    def enable_user(self, username: str) -> None:
        self._update_user(username, disabled_at=None)

    def _update_user(self, username: str, **values: Any) -> None:
        with self.store.begin() as conn:
            res = conn.execute(web_users.update().where(web_users.c.username == username).values(**values))
            if res.rowcount == 0:
                raise NotFoundError(f"no user named {username!r}")

    def verify_password(self, username: str, password: str) -> Principal:
        """The account's principal; AuthError for an unknown user, a wrong password or a disabled account."""
        username = (username or "").strip()
        with self.store.connect() as conn:
            row = conn.execute(sa.select(web_users).where(web_users.c.username == username)).mappings().first()
        ok = check_password(password or "", row["password_hash"] if row else _DUMMY_HASH)
        if row is None or not ok or row["disabled_at"] is not None:
            raise AuthError("unknown username or wrong password")  # the same message: no probing for names
        return _user_principal(row)

    # ---- sessions ---------------------------------------------------------------------------

    def open_session(self, principal: Principal) -> Session:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = utcnow()
        expires = now + self.max
        with self.store.begin() as conn:
            conn.execute(web_sessions.insert(), {"id": _token_id(token), "kind": principal.kind,
                                                 "principal": principal.name, "csrf_token": csrf, "created_at": now,
                                                 "last_seen_at": now, "expires_at": expires, "ended_at": None})
        return Session(token, csrf, principal, expires)

    def session(self, token: str | None) -> Session | None:
        """The live session for a cookie's token, with its principal's current role; None if ended or expired."""
        if not token or len(token) > 200:
            return None
        sid = _token_id(token)
        now = utcnow()
        with self.store.connect() as conn:
            row = conn.execute(sa.select(web_sessions).where(web_sessions.c.id == sid)).mappings().first()
            if row is None or row["ended_at"] is not None:
                return None
            last, expires = as_utc(row["last_seen_at"]), as_utc(row["expires_at"])
            assert last is not None and expires is not None
            if now >= expires or now - last >= self.idle:
                return None
            principal = self._principal(conn, row["kind"], row["principal"])
        if principal is None:
            return None
        if now - last >= TOUCH_EVERY:
            with self.store.begin() as conn:
                conn.execute(web_sessions.update().where(web_sessions.c.id == sid).values(last_seen_at=now))
        return Session(token, row["csrf_token"], principal, expires)

    def _principal(self, conn: sa.Connection, kind: str, name: str) -> Principal | None:
        if kind == "key":
            key = self.store.key_by_name(conn, name)
            if key is None or key["revoked_at"] is not None:
                return None
            return key_principal(key)
        row = conn.execute(sa.select(web_users).where(web_users.c.username == name)).mappings().first()
        if row is None or row["disabled_at"] is not None:
            return None
        return _user_principal(row)

    def end_session(self, token: str | None) -> None:
        if token:
            with self.store.begin() as conn:
                conn.execute(web_sessions.update().where(web_sessions.c.id == _token_id(token),
                                                         web_sessions.c.ended_at.is_(None)).values(ended_at=utcnow()))

    def end_sessions(self, kind: str, name: str) -> None:
        with self.store.begin() as conn:
            conn.execute(web_sessions.update().where(web_sessions.c.kind == kind, web_sessions.c.principal == name,
                                                     web_sessions.c.ended_at.is_(None)).values(ended_at=utcnow()))


def key_principal(key: Any) -> Principal:
    """The principal of an API key record (a store row or screening.workflow's key view)."""
    return Principal("key", key["name"], key["role"], key_identity(key.get("owner"), key.get("owner_kind"), key["name"]))


def _user_principal(row: Any) -> Principal:
    return Principal("user", row["username"], row["role"], f"person:{row['person']}")


def _user_view(row: Any) -> dict[str, Any]:
    return {"username": row["username"], "role": row["role"], "person": row["person"], "created_at": _iso(row["created_at"]),
            "password_set_at": _iso(row["password_set_at"]), "disabled_at": _iso(row["disabled_at"])}
