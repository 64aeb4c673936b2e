"""The compliance routes (alerts, decisions, re-screen, audit export, keys) and the API-key check for every route.

`install_workflow(app, holder, settings)` is called by `create_app`: it checks the auth setting,
declares the routes, and maps AuthError to a 401 with `WWW-Authenticate`. `require_key` is the
app-wide dependency: it lets /healthz and /readyz through, and for every other route finds the
key (`Authorization: Bearer` or `X-API-Key`) and the role that route needs in `ROUTE_ROLES`.
A route missing from that table needs `admin`, so a new route is never open by accident.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi import Query as Q
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from screening.config import Settings
from screening.errors import AuthError
from screening.service import Result, ScreenResponse, Service
from screening.workflow import (
    AUDIT_COLUMNS,
    CSV_EOL,
    Workflow,
    check_auth_setting,
    csv_cells,
    os_caller,
    parse_time,
)

log = logging.getLogger("screening.api")

PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})  # /docs and /openapi.json are not API routes: never checked
ROUTE_ROLES: dict[tuple[str, str], str] = {
    ("POST", "/v1/screen"): "screener",
    ("GET", "/v1/screen"): "screener",
    ("POST", "/v1/screen/file"): "screener",
    ("GET", "/v1/watchlist"): "screener",
    ("POST", "/v1/watchlist/reload"): "admin",
    ("GET", "/v1/alerts"): "analyst",
    ("GET", "/v1/alerts/export"): "analyst",
    ("GET", "/v1/alerts/{alert_id}"): "analyst",
    ("POST", "/v1/alerts/{alert_id}/decision"): "analyst",
    ("POST", "/v1/rescreen"): "analyst",
    ("GET", "/v1/audit"): "admin",
    ("GET", "/v1/keys"): "admin",
    ("POST", "/v1/keys"): "admin",
    ("DELETE", "/v1/keys/{name}"): "admin",
}

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <key> (from `screen keys create`)")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same key in an X-API-Key header")


def required_role(method: str, path: str) -> str:
    return ROUTE_ROLES.get((method, path), "admin")


def require_key(request: Request, bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
                header: str | None = Depends(_header)) -> None:
    """The app-wide check: sets request.state.caller, or raises AuthError (401) / ForbiddenError (403)."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    if path in PUBLIC_PATHS:
        return
    wf: Workflow = request.app.state.workflow
    if wf.settings.auth == "off":
        request.state.caller = "local:" + os_caller().split(":", 1)[1]
        return
    key = wf.authenticate(bearer.credentials if bearer else header or yente_api_key(request))
    wf.authorize(key, required_role(request.method, path), f"{request.method} {path}")
    request.state.caller = f"key:{key['name']}"


def yente_api_key(request: Request) -> str | None:
    """The `Authorization: ApiKey <key>` header that yente clients (nomenklatura's YenteEnricher) send."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "apikey" else None


def caller_of(request: Request) -> str:
    return getattr(request.state, "caller", "unknown")


def audit(request: Request, service: Service, resp: ScreenResponse, channel: str = "api") -> None:
    """The audit hook of the screening routes: record every result of the response under the caller."""
    wf: Workflow = request.app.state.workflow
    wf.record_grouped(service, resp.results, threshold=resp.threshold, caller=caller_of(request), channel=channel)


def file_audit(request: Request, service: Service) -> Callable[[list[Result], float], None]:
    """The audit hook of the upload route: screen_file hands it each chunk's results."""
    wf: Workflow = request.app.state.workflow
    caller = caller_of(request)

    def on_results(results: list[Result], threshold: float) -> None:
        wf.record(service, results, threshold=threshold, caller=caller, channel="api-file")

    return on_results


# ---- models ---------------------------------------------------------------------------------------

Decision = Literal["false_positive", "true_match", "escalated"]
Role = Literal["screener", "analyst", "admin"]


class DecisionRequest(BaseModel):
    decision: Decision = Field(examples=["false_positive"])
    note: str = Field(min_length=1, max_length=4000, examples=["Different company: HK registry no. 1234567, "
                                                                "no link to the listed entity"])
    reviewer: str | None = Field(default=None, max_length=200, examples=["A. Analyst"],
                                 description="the reviewer's name; defaults to the API key's name")


class AlertOut(BaseModel):
    id: int = Field(examples=[12])
    status: str = Field(examples=["open"], description="open | escalated | false_positive | true_match")
    awaiting_second_review: bool = Field(examples=[False])
    ref: str | None = Field(examples=["CP-0003"])
    counterparty_name: str | None = Field(examples=["Sino Electronics Co., Ltd"])
    query_name: str = Field(examples=["Sino Electronics Co., Ltd"])
    entity_id: str = Field(examples=["seed:sinno-electronics"])
    entity_name: str = Field(examples=["Sinno Electronics"])
    matched_name: str = Field(examples=["Sinno Electronics"])
    score: float = Field(examples=[0.9658])
    entity_hash: str = Field(examples=["d909350bf99d6857"])
    data_hash: str = Field(examples=["a067a19efe7e6f96"])
    watchlist_version: str = Field(examples=["a008f29efd6a8088"])
    previous_alert_id: int | None = Field(examples=[None], description="the earlier alert this one came back from")
    screening_id: int | None = Field(examples=[41], description="the audit record that raised it")
    created_at: str = Field(examples=["2025-11-23T09:29:39Z"])
    updated_at: str = Field(examples=["2025-11-23T09:29:39Z"])


class DecisionOut(BaseModel):
    id: int = Field(examples=[3])
    decision: str = Field(examples=["false_positive"])
    outcome: str = Field(examples=["applied"], description="applied, or pending a second reviewer (four-eyes)")
    note: str = Field(examples=["Different company"])
    reviewer: str = Field(examples=["A. Analyst"])
    caller: str = Field(examples=["key:analyst-1"])
    decided_at: str = Field(examples=["2025-11-23T09:31:02Z"])
    previous_status: str = Field(examples=["open"])
    confirms_id: int | None = Field(examples=[None], description="the pending decision this one confirms")


class PreviousAlert(AlertOut):
    decisions: list[DecisionOut] = Field(examples=[[]])


class AlertDetail(AlertOut):
    explanation: dict[str, Any] = Field(examples=[{"name_score": 0.97, "matched_tokens": []}])
    counterparty: dict[str, Any] = Field(examples=[{"ref": "CP-0003", "name": "Sino Electronics Co., Ltd",
                                                    "country": "HK", "type": None, "data_hash": "a067a19efe7e6f96"}])
    decisions: list[DecisionOut] = Field(examples=[[]])
    previous_alerts: list[PreviousAlert] = Field(examples=[[]])


class RescreenOut(BaseModel):
    watchlist_version: str = Field(examples=["a008f29efd6a8088"])
    checked: int = Field(examples=[100000], description="counterparties last screened against another version")
    screened: int = Field(examples=[100000])
    changed_entities: int = Field(examples=[512])
    new_alerts: int = Field(examples=[7])
    seconds: float = Field(examples=[41.2])
    full: bool = Field(examples=[False])
    groups: list[dict[str, Any]] = Field(examples=[[{"from_version": "3ae0abb0142bc4a4", "counterparties": 100000,
                                                     "changed_entities": 512, "known": True, "new_alerts": 7}]])
    run_id: int | None = Field(examples=[1])


class KeyRequest(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["procurement-system"])
    role: Role = Field(examples=["screener"])


class KeyOut(BaseModel):
    id: int | None = Field(examples=[2])
    name: str = Field(examples=["procurement-system"])
    role: str = Field(examples=["screener"])
    prefix: str = Field(examples=["sk_Zx81q"], description="the key's first characters")
    created_at: str = Field(examples=["2025-11-23T09:00:00Z"])
    revoked_at: str | None = Field(examples=[None])


class KeyCreated(KeyOut):
    key: str = Field(examples=["sk_Zx81q..."], description="shown once; only its hash is stored")


# ---- routes ---------------------------------------------------------------------------------------

def add_routes(router: FastAPI | APIRouter, holder: Any) -> None:
    """Declare the compliance routes on `router`.

    `create_app` passes the app itself, so the app-wide key check is attached to each route as it is
    declared (included routers are mounted differently across FastAPI versions).
    """

    def wf(request: Request) -> Workflow:
        return request.app.state.workflow

    @router.get("/v1/alerts", response_model=list[AlertOut], tags=["alerts"])
    def list_alerts(
        request: Request,
        status: Literal["open", "escalated", "false_positive", "true_match"] | None = None,
        ref: str | None = Q(default=None, examples=["CP-0003"]),
        pending: bool | None = Q(default=None, description="only alerts awaiting (true) or not awaiting a 2nd review"),
        limit: int = Q(default=100, ge=1, le=1000),
        offset: int = Q(default=0, ge=0),
    ) -> list[dict[str, Any]]:
        """Alerts, oldest first."""
        return wf(request).list_alerts(status=status, ref=ref, pending=pending, limit=limit, offset=offset)

    @router.get("/v1/alerts/export", tags=["alerts"], response_class=Response,
                responses={200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument"
                                                                          ".spreadsheetml.sheet": {}}}})
    def export_alerts(request: Request, format: Literal["csv", "xlsx"] = "csv",
                      status: Literal["open", "escalated", "false_positive", "true_match"] | None = None) -> Response:
        """Alerts with their decisions as CSV or XLSX (formula-like cells escaped)."""
        if format == "xlsx":
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "alerts.xlsx"
                wf(request).export_alerts(path, "xlsx", status=status)
                data = path.read_bytes()
            return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            headers={"Content-Disposition": 'attachment; filename="alerts.xlsx"'})
        buf = io.StringIO()
        wf(request).export_alerts(buf, "csv", status=status)
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="alerts.csv"'})

    @router.get("/v1/alerts/{alert_id}", response_model=AlertDetail, tags=["alerts"])
    def show_alert(request: Request, alert_id: int) -> dict[str, Any]:
        """One alert with its counterparty, decision history, and the earlier alerts it came back from."""
        return wf(request).show_alert(alert_id)

    @router.post("/v1/alerts/{alert_id}/decision", response_model=AlertDetail, tags=["alerts"])
    def decide(request: Request, alert_id: int, body: DecisionRequest) -> dict[str, Any]:
        """Decide an alert: false_positive (suppresses it while both sides are unchanged), true_match, escalated."""
        caller = caller_of(request)
        reviewer = body.reviewer or caller.split(":", 1)[-1]
        return wf(request).decide(alert_id, body.decision, note=body.note, reviewer=reviewer, caller=caller)

    @router.post("/v1/rescreen", response_model=RescreenOut, tags=["alerts"])
    def rescreen(request: Request, threshold: float | None = Q(default=None, ge=0, le=1)) -> dict[str, Any]:
        """Re-screen stored counterparties against the entities added or changed since each was last screened."""
        return wf(request).rescreen(holder.get(), caller=caller_of(request), threshold=threshold).as_dict()

    @router.get("/v1/audit", tags=["audit"], response_class=StreamingResponse,
                responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}})
    def export_audit(request: Request, format: Literal["jsonl", "csv"] = "jsonl",
                     since: str | None = Q(default=None, examples=["2025-11-01"]),
                     until: str | None = Q(default=None, examples=["2025-12-01T00:00:00Z"])) -> StreamingResponse:
        """The audit trail, streamed: every recorded screening with caller, list version, threshold and hits."""
        t0, t1 = parse_time(since, "since"), parse_time(until, "until")
        rows = wf(request).audit_rows(since=t0, until=t1)

        def chunks() -> Iterator[str]:
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator=CSV_EOL)
            if format == "csv":
                writer.writerow(csv_cells(AUDIT_COLUMNS, {c: c for c in AUDIT_COLUMNS}))
            for row in rows:
                if format == "csv":
                    writer.writerow(csv_cells(AUDIT_COLUMNS, row))
                else:
                    buf.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                if buf.tell() > 1 << 16:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
            yield buf.getvalue()

        media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
        return StreamingResponse(chunks(), media_type=media)

    @router.get("/v1/keys", response_model=list[KeyOut], tags=["keys"])
    def list_keys(request: Request) -> list[dict[str, Any]]:
        """API keys: names, roles and prefixes, never the keys."""
        return wf(request).list_keys()

    @router.post("/v1/keys", response_model=KeyCreated, status_code=201, tags=["keys"])
    def create_key(request: Request, body: KeyRequest) -> dict[str, Any]:
        """Create a key; the response holds it once, and only its hash is stored."""
        key, token = wf(request).create_key(body.name, body.role)
        return {**key, "key": token}

    @router.delete("/v1/keys/{name}", status_code=204, tags=["keys"])
    def revoke_key(request: Request, name: str) -> Response:
        """Revoke a key; it is refused from the next request on."""
        wf(request).revoke_key(name)
        return Response(status_code=204)


def install_workflow(app: FastAPI, holder: Any, settings: Settings) -> Workflow:
    """Attach the store and the compliance routes to `app`; refuse auth off unless bound to 127.0.0.1."""
    warning = check_auth_setting(settings)
    if warning:
        log.warning(warning)
    wf = Workflow(settings)
    app.state.workflow = wf

    @app.exception_handler(AuthError)
    async def auth_error(_request: Request, exc: AuthError) -> JSONResponse:
        return JSONResponse(status_code=401, content={"detail": exc.message}, headers={"WWW-Authenticate": "Bearer"})

    add_routes(app, holder)
    return wf
