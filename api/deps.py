"""What the routes share: the role each route declares, the API-key check, and the audit hooks.

Every route declares its role beside itself, `dependencies=[Depends(role("analyst"))]`, or
`Depends(public)` for the probes. `create_app` refuses to start with a route that declares
neither, so a new route is never open by accident.

The key is checked before the request body is read: `KeyFirstRoute` (the route class of every
router in api/routers/) runs the declared role's check before FastAPI parses JSON or a multipart
upload, so a caller without a key gets 401, never a parser's 422, and never costs an upload.
Then it checks the body's type and, for JSON, parses it strictly (api/edge.py: check_body).
The same check also runs as the declared dependency (a no-op when the route class has run it),
so a route declared on a plain router is still protected.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from fastapi import Depends, Request, params
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.edge import check_body
from screening.holder import Holder
from screening.service import Result, ScreenResponse, Service
from screening.workflow import ROLES, Workflow, os_caller

PUBLIC = "public"
T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <key> (from `screen keys create`)")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same key in an X-API-Key header")


def role(needed: str) -> Callable[..., str]:
    """The dependency a route declares: the caller's key must have role `needed` (or one after it in ROLES)."""
    if needed not in ROLES:
        raise ValueError(f"role {needed!r}: must be one of {', '.join(ROLES)}")

    async def check(request: Request, _bearer_key: HTTPAuthorizationCredentials | None = Depends(_bearer),
                    _header_key: str | None = Depends(_header)) -> str:
        return await authorize_async(request, needed)  # async: no thread hop when the route class has checked

    check.role = needed  # type: ignore[attr-defined]
    check.__name__ = f"role_{needed}"
    return check


async def public() -> None:
    """The dependency of the routes anyone may call (the probes, metrics); async: it needs no thread."""


public.role = PUBLIC  # type: ignore[attr-defined]


def declared_role(route: APIRoute) -> str | None:
    """The role a route declares (PUBLIC for the probes), or None when it declares none."""
    found = [getattr(d.dependency, "role", None) for d in route.dependencies]
    found = [r for r in found if r is not None]
    return found[0] if len(found) == 1 else None


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, credentials = auth.partition(" ")
    if scheme.lower() in ("bearer", "apikey") and credentials.strip():  # "ApiKey <key>": what yente clients send
        return credentials.strip()
    return request.headers.get("x-api-key") or None


def authorize(request: Request, needed: str, key: dict[str, Any] | None = None) -> str:
    """Set request.state.caller and .identity for a key with role `needed`; AuthError (401) or ForbiddenError (403).

    The identity is who acts: the key's person or system, or with auth off the server's OS user.
    `key`, when given, is the presented key's record already looked up (authorize_async).
    """
    state = request.state
    if getattr(state, "authorized_for", None) == needed:
        return state.caller
    wf: Workflow = request.app.state.workflow
    if wf.settings.auth == "off":
        state.caller = "local:" + os_caller().split(":", 1)[1]
        state.identity = os_caller()  # one local user: the same identity as that user's CLI
    else:
        key = getattr(state, "key", None) or key or wf.authenticate(_token(request))
        state.key = key
        route = request.scope.get("route")
        path = getattr(route, "path", request.url.path)
        wf.authorize(key, needed, f"{request.method} {path}")
        state.caller = f"key:{key['name']}"
        state.identity = key["identity"]
    state.authorized_for = needed
    return state.caller


async def authorize_async(request: Request, needed: str) -> str:
    """`authorize` on the event loop when it needs no I/O (checked already, auth off, or the key cached);
    otherwise on a request thread, where the key is read from the store."""
    state = request.state
    if getattr(state, "authorized_for", None) == needed:
        return state.caller
    wf: Workflow = request.app.state.workflow
    if wf.settings.auth == "off" or getattr(state, "key", None) is not None:
        return authorize(request, needed)
    key = wf.cached_key(_token(request))
    if key is not None:
        return authorize(request, needed, key)
    return await run_in_threadpool(authorize, request, needed)


class KeyFirstRoute(APIRoute):
    """An APIRoute that checks the declared role before FastAPI reads the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        needed = declared_role(self)
        expects = None
        if self.body_field is not None:
            expects = "form" if isinstance(self.body_field.field_info, params.Form) else "json"
        if (needed is None or needed == PUBLIC) and expects is None:
            return handler

        async def key_first(request: Request) -> Response:
            if needed is not None and needed != PUBLIC:
                await authorize_async(request, needed)
            if expects is not None:
                await check_body(request, expects=expects)
            return await handler(request)

        return key_first


def sees_everything(request: Request) -> bool:
    """An admin key, or the one local user when auth is off: may see every job and server file paths."""
    if request.app.state.workflow.settings.auth == "off":
        return True
    key = getattr(request.state, "key", None)
    return key is not None and ROLES.index(key["role"]) >= ROLES.index("admin")


def caller_of(request: Request) -> str:
    return getattr(request.state, "caller", "unknown")


def identity_of(request: Request) -> str:
    """The authenticated identity of the request (a decision's reviewer); empty when the route set none."""
    return getattr(request.state, "identity", "")


def holder_of(request: Request) -> Holder:
    return request.app.state.holder


def workflow_of(request: Request) -> Workflow:
    return request.app.state.workflow


def _observe(request: Request, channel: str, results: list[Result], seconds: float) -> None:
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.screened(channel, results, seconds)


def audit(request: Request, service: Service, resp: ScreenResponse, channel: str = "api") -> ScreenResponse:
    """The audit hook of the screening routes: record every result under the caller; returns the response as
    recorded (a counterparty's hits on the accept list marked suppressed), which is what the route answers."""
    wf = workflow_of(request)
    start = time.perf_counter()
    try:
        outcome = wf.record_grouped(service, resp.results, threshold=resp.threshold, caller=caller_of(request),
                                    identity=identity_of(request), channel=channel)
    except Exception:
        _failed(request)
        raise
    _observe(request, channel, resp.results, time.perf_counter() - start)
    return resp.model_copy(update={"results": outcome.results}) if outcome.results else resp


async def audit_async(request: Request, service: Service, resp: ScreenResponse, channel: str = "api") -> ScreenResponse:
    """`audit` for an async route: the record is handed to the audit writer and awaited on the event loop (no
    request thread waits for the commit); the response is what was recorded, and only once it is committed."""
    wf = workflow_of(request)
    start = time.perf_counter()
    try:
        # shield: a client that goes away does not cancel the record (the screening was done; it is kept)
        outcome = await asyncio.shield(asyncio.wrap_future(wf.record_soon(
            service, resp.results, threshold=resp.threshold, caller=caller_of(request), identity=identity_of(request),
            channel=channel)))
    except Exception:
        _failed(request)
        raise
    _observe(request, channel, resp.results, time.perf_counter() - start)
    return resp.model_copy(update={"results": outcome.results}) if outcome.results else resp


async def on_thread(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on one of the app's screening threads (SCREENING_THREADS of them), awaited.

    A plain executor hop with the request's context (its request id in the logs): lighter than anyio's
    run_in_threadpool, which costs a task group and a limiter per call. Without the app's pool (an app not
    built by create_app), anyio's.
    """
    pool = getattr(request.app.state, "screen_pool", None)
    if pool is None:
        return await run_in_threadpool(fn, *args, **kwargs)
    ctx = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(pool, functools.partial(ctx.run, fn, *args, **kwargs))


def screen_json(resp: ScreenResponse) -> Response:
    """The answer of a screening route: the model's own JSON serializer (pydantic-core), with no second
    validation of a response the service built (what FastAPI's response_model would do)."""
    return Response(resp.model_dump_json().encode(), media_type="application/json")


def file_audit(request: Request, service: Service) -> Callable[[list[Result], float], list[Result]]:
    """The audit hook of the upload route: records each chunk's results and hands them back as recorded."""
    wf = workflow_of(request)
    caller, identity = caller_of(request), identity_of(request)

    def on_results(results: list[Result], threshold: float) -> list[Result]:
        start = time.perf_counter()
        try:
            recorded = wf.record(service, results, threshold=threshold, caller=caller, identity=identity,
                                 channel="api-file").results
        except Exception:
            _failed(request)
            raise
        _observe(request, "api-file", results, time.perf_counter() - start)
        return recorded

    return on_results


def _failed(request: Request) -> None:
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.audit_failures.inc()


__all__ = ["PUBLIC", "KeyFirstRoute", "attachment", "audit", "audit_async", "authorize", "authorize_async",
           "caller_of", "declared_role", "file_audit", "holder_of", "identity_of", "on_thread", "public", "role", "screen_json",
           "sees_everything", "workflow_of"]


def attachment(filename: str) -> str:
    """A Content-Disposition value for any file name: an ASCII fallback plus the UTF-8 name (RFC 6266/5987)."""
    from urllib.parse import quote

    name = "".join(ch for ch in filename if ch.isprintable() and ch not in '"\\' and not "\ud800" <= ch <= "\udfff")
    name = name[-200:] or "download.csv"
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
