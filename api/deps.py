"""What the routes share: the role each route declares, the API-key check, and the audit hooks.

Every route declares its role beside itself, `dependencies=[Depends(role("analyst"))]`, or
`Depends(public)` for the probes. `create_app` refuses to start with a route that declares
neither, so a new route is never open by accident.

The key is checked before the request body is read: `KeyFirstRoute` (the route class of every
router in api/routers/) runs the declared role's check before FastAPI parses JSON or a multipart
upload, so a caller without a key gets 401, never a parser's 422, and never costs an upload.
The same check also runs as the declared dependency (a no-op when the route class has run it),
so a route declared on a plain router is still protected.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from screening.holder import Holder
from screening.service import Result, ScreenResponse, Service
from screening.workflow import ROLES, Workflow, os_caller

PUBLIC = "public"

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <key> (from `screen keys create`)")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same key in an X-API-Key header")


def role(needed: str) -> Callable[..., str]:
    """The dependency a route declares: the caller's key must have role `needed` (or one after it in ROLES)."""
    if needed not in ROLES:
        raise ValueError(f"role {needed!r}: must be one of {', '.join(ROLES)}")

    def check(request: Request, _bearer_key: HTTPAuthorizationCredentials | None = Depends(_bearer),
              _header_key: str | None = Depends(_header)) -> str:
        return authorize(request, needed)

    check.role = needed  # type: ignore[attr-defined]
    check.__name__ = f"role_{needed}"
    return check


def public() -> None:
    """The dependency of the routes anyone may call (the liveness and readiness probes, metrics)."""


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


def authorize(request: Request, needed: str) -> str:
    """Set request.state.caller and .identity for a key with role `needed`; AuthError (401) or ForbiddenError (403).

    The identity is who acts: the key's person or system, or with auth off the server's OS user.
    """
    state = request.state
    if getattr(state, "authorized_for", None) == needed:
        return state.caller
    wf: Workflow = request.app.state.workflow
    if wf.settings.auth == "off":
        state.caller = "local:" + os_caller().split(":", 1)[1]
        state.identity = os_caller()  # one local user: the same identity as that user's CLI
    else:
        key = getattr(state, "key", None) or wf.authenticate(_token(request))
        state.key = key
        route = request.scope.get("route")
        path = getattr(route, "path", request.url.path)
        wf.authorize(key, needed, f"{request.method} {path}")
        state.caller = f"key:{key['name']}"
        state.identity = key["identity"]
    state.authorized_for = needed
    return state.caller


class KeyFirstRoute(APIRoute):
    """An APIRoute that checks the declared role before FastAPI reads the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        needed = declared_role(self)
        if needed is None or needed == PUBLIC:
            return handler

        async def key_first(request: Request) -> Response:
            await run_in_threadpool(authorize, request, needed)
            return await handler(request)

        return key_first


def caller_of(request: Request) -> str:
    return getattr(request.state, "caller", "unknown")


def identity_of(request: Request) -> str:
    """The authenticated identity of the request (a decision's reviewer); empty when the route set none."""
    return getattr(request.state, "identity", "")


def holder_of(request: Request) -> Holder:
    return request.app.state.holder


def workflow_of(request: Request) -> Workflow:
    return request.app.state.workflow


def audit(request: Request, service: Service, resp: ScreenResponse, channel: str = "api") -> ScreenResponse:
    """The audit hook of the screening routes: record every result under the caller; returns the response as
    recorded (a counterparty's hits on the accept list marked suppressed), which is what the route answers."""
    wf = workflow_of(request)
    outcome = wf.record_grouped(service, resp.results, threshold=resp.threshold, caller=caller_of(request),
                                identity=identity_of(request), channel=channel)
    return resp.model_copy(update={"results": outcome.results}) if outcome.results else resp


def file_audit(request: Request, service: Service) -> Callable[[list[Result], float], list[Result]]:
    """The audit hook of the upload route: records each chunk's results and hands them back as recorded."""
    wf = workflow_of(request)
    caller, identity = caller_of(request), identity_of(request)

    def on_results(results: list[Result], threshold: float) -> list[Result]:
        return wf.record(service, results, threshold=threshold, caller=caller, identity=identity,
                         channel="api-file").results

    return on_results


__all__ = ["PUBLIC", "KeyFirstRoute", "audit", "authorize", "caller_of", "declared_role", "file_audit",
           "holder_of", "identity_of", "public", "role", "workflow_of"]
