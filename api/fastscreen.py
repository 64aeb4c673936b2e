"""The hot path of GET /v1/screen: the same answer as the FastAPI route in api/routers/screen.py, without its
per-request machinery (route matching over every route, dependency solving, parameter introspection).

`FastScreen` is a pure ASGI middleware just inside `EdgeMiddleware` (so a request still gets its id, access
log line, metrics and body limit). It answers only `GET /v1/screen`; everything else, and every request when
`enabled` is False, goes on to FastAPI. The route in api/routers/screen.py stays the reference ("slow twin"):
it declares the parameters (OpenAPI) and answers when the fast path is off, and tests/test_http_fastscreen.py
checks that both give the same status, headers that matter and body for generated query strings.

What it keeps, in the route's order: the key and role check first (401/403 before anything is validated),
then the query parameters validated as FastAPI validates them (the same 422 message), then screening on a
request thread and the audit record awaited before the answer (api/deps.py: audit_async), the answer in the
response model's JSON, and every error as {"detail"} with the status the app's handlers give it.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import audit_async, authorize_async, holder_of, on_thread, screen_json
from api.errors import error, response_for, validation_message
from screening.errors import ScreeningError
from screening.model import EntityType
from screening.service import Query

PATH = "/v1/screen"
ROLE = "screener"


class ScreenParams(BaseModel):
    """GET /v1/screen's query parameters, in the route's order and with its constraints (api/routers/screen.py)."""

    model_config = ConfigDict(extra="ignore")

    name: str
    country: str | None = None
    type: EntityType | None = None
    threshold: float | None = Field(default=None, ge=0, le=1)
    limit: int | None = Field(default=None, ge=1, le=100)
    ref: str | None = None
    dob: str | None = Field(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    identifier: list[str] = Field(default_factory=list)


_LISTS = {"identifier"}
_FIELDS = tuple(ScreenParams.model_fields)


def find_route(routes: list[Any]) -> APIRoute:
    """The FastAPI route of GET /v1/screen (its template labels the metrics and the access log)."""
    for r in routes:
        if isinstance(r, APIRoute) and r.path == PATH and "GET" in r.methods:
            return r
    raise RuntimeError(f"no GET {PATH} route to serve fast")


class FastScreen:
    def __init__(self, app: ASGIApp, *, route: APIRoute | None = None, enabled: bool = True) -> None:
        self.app = app
        self.route = route
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (not self.enabled or self.route is None or scope["type"] != "http" or scope["path"] != PATH
                or scope["method"] != "GET"):
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        scope["endpoint"] = self.route.endpoint
        request = Request(scope, receive)
        try:
            response = await self._answer(request)
        except ValidationError as exc:
            response = error(422, validation_message([{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]))
        except ScreeningError as exc:
            response = response_for(exc)
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Any:
        await authorize_async(request, ROLE)
        qp = request.query_params
        raw = {k: (qp.getlist(k) if k in _LISTS else qp[k]) for k in _FIELDS if k in qp}
        p = ScreenParams.model_validate(raw)
        svc = holder_of(request).get()
        query = Query(name=p.name, country=p.country, type=p.type, ref=p.ref, dob=p.dob, identifiers=p.identifier)
        resp = await on_thread(request, svc.screen, [query], threshold=p.threshold, limit=p.limit)
        return screen_json(await audit_async(request, svc, resp))
