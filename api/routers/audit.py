"""The audit trail export: GET /v1/audit streams every recorded screening (there is no route that changes it)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Q
from fastapi.responses import StreamingResponse

from api.deps import KeyFirstRoute, role, workflow_of
from screening.workflow import AUDIT_COLUMNS, CSV_EOL, csv_cells, parse_time

router = APIRouter(route_class=KeyFirstRoute, tags=["audit"])


@router.get("/v1/audit", response_class=StreamingResponse,
            responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
            dependencies=[Depends(role("admin"))])
def export_audit(request: Request, format: Literal["jsonl", "csv"] = "jsonl",
                 since: str | None = Q(default=None, examples=["2025-11-01"]),
                 until: str | None = Q(default=None, examples=["2025-12-01T00:00:00Z"])) -> StreamingResponse:
    """The audit trail, streamed: every recorded screening with caller, list version, threshold and hits."""
    t0, t1 = parse_time(since, "since"), parse_time(until, "until")
    rows = workflow_of(request).audit_rows(since=t0, until=t1)

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
