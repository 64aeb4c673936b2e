"""The audit trail export: GET /v1/audit streams every recorded screening (there is no route that changes it)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Q
from fastapi.responses import StreamingResponse

from api.deps import KeyFirstRoute, role, workflow_of
from api.models import PROTECTED, errors
from screening.workflow import AUDIT_COLUMNS, parse_time, stream_rows

router = APIRouter(route_class=KeyFirstRoute, responses=errors(*PROTECTED), tags=["audit"])


@router.get("/v1/audit", response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
            dependencies=[Depends(role("admin"))])
def export_audit(request: Request, format: Literal["jsonl", "csv"] = "jsonl",
                 since: str | None = Q(default=None, examples=["2025-11-01"]),
                 until: str | None = Q(default=None, examples=["2025-12-01T00:00:00Z"])) -> StreamingResponse:
    """The audit trail, streamed: every recorded screening with caller, list version, threshold and hits."""
    t0, t1 = parse_time(since, "since"), parse_time(until, "until")
    rows = workflow_of(request).audit_rows(since=t0, until=t1)

    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(stream_rows(format, AUDIT_COLUMNS, rows), media_type=media)
