"""The web page's plumbing: templates, sessions and CSRF, roles, security headers, HTML error pages.

Every page needs a signed-in session, and a role checked the same way as the API's keys
(`screening.workflow.role_allows`); every POST needs the session's CSRF token. The cookie is
HttpOnly and SameSite=Strict and holds only a random token; the session lives in the store.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.base import BaseHTTPMiddleware

from screening.accounts import Accounts, Session
from screening.errors import ForbiddenError, ScreeningError
from screening.workflow import role_allows

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PREFIX = "/web"
SESSION_COOKIE = "screen_session"
SIGNIN_COOKIE = "screen_signin"  # the sign-in form's own CSRF token (double submit), before there is a session
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
NAV = [  # (path, label, role needed)
    ("/check", "Spot check", "screener"),
    ("/files", "Screen a file", "screener"),
    ("/alerts", "Alerts", "analyst"),
    ("/audit", "Audit", "admin"),
    ("/lists", "Lists", "screener"),
]


class SignInRequired(Exception):
    """No live session: a page redirects to the sign-in form, a script's request gets 401."""


class CsrfError(ScreeningError):
    status = 403


def make_env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"], default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda v: "" if v is None or v == "" else f"{float(v):.3f}"
    env.filters["when"] = _when
    env.globals["prefix"] = PREFIX
    return env


def _when(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, datetime):
        value = value.isoformat()
    return str(value).replace("T", " ").split(".")[0].removesuffix("Z").removesuffix("+00:00") + " UTC"


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if not request.url.path.startswith(PREFIX + "/static/"):
            response.headers.setdefault("Cache-Control", "no-store")  # pages hold screening data
        return response


class BodyLimit:
    """Refuse a request body over `limit` bytes while it streams (a declared Content-Length at once): 413."""

    class _TooLarge(Exception):
        pass

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyLimit._TooLarge()
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyLimit._TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        body = (f"<!doctype html><title>Too large</title><p>The upload is larger than the limit of "
                f"{self.limit >> 20} MB.</p>").encode()
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class Web:
    """What the routes share: templates, the accounts store, and the request's session."""

    def __init__(self, accounts: Accounts, *, secure_cookies: bool = False) -> None:
        self.env = make_env()
        self.accounts = accounts
        self.secure = secure_cookies

    # ---- sessions ---------------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        cached = getattr(request.state, "web_session", None)
        if cached is not None:
            return cached
        s = self.accounts.session(request.cookies.get(SESSION_COOKIE))
        request.state.web_session = s
        return s

    def require(self, request: Request, role: str) -> Session:
        s = self.session(request)
        if s is None:
            raise SignInRequired()
        if not role_allows(s.principal.role, role):
            raise ForbiddenError(f"you are signed in as {s.principal.name!r} with role {s.principal.role!r}; "
                                 f"this page needs {role}")
        return s

    async def require_post(self, request: Request, role: str) -> tuple[Session, Any]:
        """A form post: the session, its role, and its CSRF token checked; returns (session, form)."""
        s = self.require(request, role)
        form = await request.form()
        sent = form.get("csrf_token")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, s.csrf_token):
            raise CsrfError("the form's security token is missing or stale: reload the page and try again")
        return s, form

    def set_session_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(SESSION_COOKIE, session.token, httponly=True, samesite="strict", secure=self.secure,
                            path=PREFIX, max_age=int(self.accounts.max.total_seconds()))

    def clear_session_cookie(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path=PREFIX, httponly=True, samesite="strict", secure=self.secure)

    def signin_token(self, request: Request) -> str:
        return request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(32)

    def set_signin_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(SIGNIN_COOKIE, token, httponly=True, samesite="strict", secure=self.secure,
                            path=PREFIX, max_age=3600)

    # ---- rendering --------------------------------------------------------------------------

    def render(self, request: Request, template: str, *, status: int = 200, **ctx: Any) -> HTMLResponse:
        s = ctx.pop("session", None) or getattr(request.state, "web_session", None)
        nav = [(PREFIX + p, label) for p, label, role in NAV if s and role_allows(s.principal.role, role)]
        html = self.env.get_template(template).render(
            session=s, csrf_token=s.csrf_token if s else "", nav=nav, path=request.url.path, **ctx)
        return HTMLResponse(html, status_code=status)

    def error_page(self, request: Request, status: int, message: str) -> HTMLResponse:
        titles = {400: "Bad request", 401: "Sign in needed", 403: "Not allowed", 404: "Not found",
                  409: "Refused", 413: "Too large", 422: "Check the input"}
        return self.render(request, "error.html", status=status, title=titles.get(status, "Error"), message=message)


def signin_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{PREFIX}/signin?next={quote(target, safe='')}", status_code=303)


def safe_next(value: str | None) -> str:
    """Only a path of this page: never an open redirect to another site."""
    if value and value.startswith(PREFIX + "/") and not value.startswith("//") and "\\" not in value:
        return value
    return PREFIX + "/check"
