"""The edge of every request: request id, access log, metrics, the body size limit, and strict JSON.

`EdgeMiddleware` (pure ASGI, outermost) gives each request an id (a sane `X-Request-ID` from the
caller, else a new one) that every log line of the request carries and the response echoes;
refuses a body over `SCREENING_MAX_UPLOAD` bytes with 413, from its Content-Length before
anything is read or, without one, as soon as the streamed bytes pass the limit; counts and times
the request by route template for /metrics; and writes one access log line.

`check_body` runs before FastAPI parses a body (from `KeyFirstRoute`, after the key check): a
JSON route gets 415 for another content type, 400 for malformed JSON or a body that is not
UTF-8, and 422 for NaN, Infinity, numbers out of range and unpaired surrogates anywhere in it,
so nothing non-finite or unencodable reaches a model, the audit trail or an error body.
A form or upload route gets 415 for a body that is neither multipart/form-data nor a URL-encoded form.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from screening.logs import request_id

log = logging.getLogger("screening.api.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_SURROGATE = re.compile("[\ud800-\udfff]")


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int, metrics: Any = None) -> None:
        self.app = app
        self.max_body = max_body
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        start = time.perf_counter()
        status = 500
        limit = self.max_body

        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        method = scope.get("method", "")
        if self.metrics is not None:
            self.metrics.in_progress.labels(method).inc()
        try:
            length = headers.get(b"content-length", b"")
            if length.isdigit() and int(length) > limit:
                await _too_large(send_with_id, int(length), limit)
                return
            seen = 0

            async def counted_receive() -> Message:
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > limit:
                        raise HTTPException(413, f"the request body is over the limit of {limit} bytes "
                                                 "(SCREENING_MAX_UPLOAD)")
                return message

            await self.app(scope, counted_receive, send_with_id)
        except Exception:
            # the one place an unexpected error is logged (with its traceback) and answered: JSON, with the id
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            body = json.dumps({"detail": f"internal error (request id {rid}); the server log has the details"})
            await send_with_id({"type": "http.response.start", "status": 500,
                                "headers": [(b"content-type", b"application/json")]})
            await send_with_id({"type": "http.response.body", "body": body.encode()})
        finally:
            seconds = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            if self.metrics is not None:
                self.metrics.in_progress.labels(method).dec()
                self.metrics.requests.labels(method, template, str(status)).inc()
                self.metrics.latency.labels(method, template).observe(seconds)
            state = scope.get("state") or {}
            log.info("%s %s %s", method, scope.get("path", ""), status,
                     extra={"method": method, "path": scope.get("path", ""), "route": template, "status": status,
                            "duration_ms": round(seconds * 1000, 2), "caller": state.get("caller")})
            request_id.reset(token)


async def _too_large(send: Send, length: int, limit: int) -> None:
    body = json.dumps({"detail": f"the request body is {length} bytes, over the limit of {limit} bytes "
                                 "(SCREENING_MAX_UPLOAD)"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


# ---- strict JSON bodies ----------------------------------------------------------------------------

class BodyError(HTTPException):
    """A body refused before parsing: 400, 415 or 422 with a one-line detail."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows: use a finite number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _where(path: list[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "body"


def _field(path: list[str | int]) -> tuple[str, str]:
    """(where, field) in the service's style: ["queries", 0, "identifiers", 1] -> ("queries[0]", "identifiers[1]")."""
    last = max((i for i, p in enumerate(path) if isinstance(p, str)), default=None)
    if last is None:
        return _where(path), "a value"
    where = _where(path[:last]) if last else ""
    return where, str(path[last]) + "".join(f"[{p}]" for p in path[last + 1:])


def find_surrogate(value: Any, path: list[str | int] | None = None) -> str | None:
    """Where the first unpaired surrogate in a parsed JSON value is, as a one-line message; None if none.

    Worded as Service.validate words it for a query field, e.g. "queries[0]: ref has an unpaired
    surrogate '\\ud800' at position 3", so the message is the same whichever check meets it first.
    """
    path = path or []
    if isinstance(value, str):
        m = _SURROGATE.search(value)
        if not m:
            return None
        where, field = _field(path)
        return f"{where + ': ' if where else ''}{field} has an unpaired surrogate {m.group()!r} at position {m.start()}"
    if isinstance(value, dict):
        for k, v in value.items():
            if _SURROGATE.search(k):
                where = _where(path) if path else ""
                return f"{where + ': ' if where else ''}a key has an unpaired surrogate {_SURROGATE.search(k).group()!r}"
            found = find_surrogate(v, [*path, k])
            if found:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = find_surrogate(v, [*path, i])
            if found:
                return found
    return None


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def check_body(request: Request, *, expects: str) -> None:
    """Refuse a body the route can't take before FastAPI reads it; `expects` is "json" or "form"."""
    media = _media_type(request)
    if expects == "form":
        if media and media not in ("multipart/form-data", "application/x-www-form-urlencoded"):
            raise BodyError(415, f"this route takes a multipart/form-data upload, not {media}")
        return
    body = await request.body()
    if not body:
        return
    if media and not (media == "application/json" or (media.startswith("application/") and media.endswith("+json"))):
        raise BodyError(415, f"this route takes application/json, not {media}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(400, f"the JSON body is not UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise BodyError(400, f"malformed JSON body: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:  # NaN, Infinity, 1e999, an integer of thousands of digits
        raise BodyError(422, f"JSON body: {str(exc).splitlines()[0]}") from None
    problem = find_surrogate(value)
    if problem:
        raise BodyError(422, problem)
    request._json = value  # FastAPI's own parse reuses it
