"""Every error leaves the API as {"detail": "<one line>"} with a fitting status, and never with a traceback.

- ScreeningError and its subclasses: their own status (screening/errors.py), AuthError with
  `WWW-Authenticate: Bearer`.
- Request validation: 422 with the failing fields named, e.g. `queries[0].name: Field required`
  (FastAPI's list of error objects, which echoes the input and can hold NaN, is never sent).
- HTTP errors (404 for an unknown route, 405, 413, 415, ...): their status and detail as a string.
- Anything else: 500 with the request id, and the traceback in the server log only (answered
  by api/edge.py's middleware, which knows the request id).
A detail is made one printable line: line breaks become spaces, control characters and unpaired
surrogates U+FFFD (a binary upload's "header" can hold both).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from screening.errors import AuthError, ScreeningError

log = logging.getLogger("screening.api")

MAX_DETAIL = 2000
SHOWN_ERRORS = 5


def clean(message: Any) -> str:
    """A detail as one printable line: line breaks become spaces, other unprintable characters U+FFFD."""
    text = " ".join(str(message).splitlines())
    if not (text.isascii() and text.isprintable()):
        text = "".join(ch if ch.isprintable() else "\ufffd" for ch in text)
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def error(status: int, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": clean(detail)}, headers=headers)


def _loc(loc: tuple[Any, ...]) -> str:
    parts = list(loc)
    kind = parts.pop(0) if parts and parts[0] in ("body", "query", "path", "header", "cookie") else None
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    if kind in ("query", "path", "header"):
        return f"{kind} parameter {out}" if out else kind
    return out or "body"


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One line naming each failing field and why, e.g. `queries[0].name: Field required; limit: ...`."""
    parts = []
    for e in errors[:SHOWN_ERRORS]:
        msg = e.get("msg", "invalid")
        if e.get("type") == "missing":
            msg = "required"
        parts.append(f"{_loc(tuple(e.get('loc', ())))}: {msg}")
    more = len(errors) - SHOWN_ERRORS
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def response_for(exc: ScreeningError) -> JSONResponse:
    """The answer to a ScreeningError: its status, AuthError with `WWW-Authenticate: Bearer`; 5xx are logged."""
    if isinstance(exc, AuthError):
        return error(401, exc.message, {"WWW-Authenticate": "Bearer"})
    if exc.status >= 500:
        log.error("%s: %s", type(exc).__name__, clean(exc.message))
    return error(exc.status, exc.message)


def install(app: FastAPI) -> None:
    @app.exception_handler(AuthError)
    async def auth_error(_request: Request, exc: AuthError) -> JSONResponse:
        return response_for(exc)

    @app.exception_handler(ScreeningError)
    async def screening_error(_request: Request, exc: ScreeningError) -> JSONResponse:
        return response_for(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error(400, "malformed JSON body")
        return error(422, validation_message(errors))

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return error(exc.status_code, exc.detail, dict(exc.headers) if exc.headers else None)
