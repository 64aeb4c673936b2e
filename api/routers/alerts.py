"""The alert review: list, export, show and decide alerts, and re-screen stored counterparties."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Q
from fastapi.responses import Response

from api.deps import KeyFirstRoute, caller_of, holder_of, identity_of, role, workflow_of
from api.models import AlertDetail, AlertOut, DecisionRequest, RescreenOut

router = APIRouter(route_class=KeyFirstRoute, tags=["alerts"])

AlertStatus = Literal["open", "escalated", "false_positive", "true_match"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/v1/alerts", response_model=list[AlertOut], dependencies=[Depends(role("analyst"))])
def list_alerts(
    request: Request,
    status: AlertStatus | None = None,
    ref: str | None = Q(default=None, examples=["CP-0003"]),
    pending: bool | None = Q(default=None, description="only alerts awaiting (true) or not awaiting a 2nd review"),
    limit: int = Q(default=100, ge=1, le=1000),
    offset: int = Q(default=0, ge=0),
) -> list[dict[str, Any]]:
    """Alerts, oldest first."""
    return workflow_of(request).list_alerts(status=status, ref=ref, pending=pending, limit=limit, offset=offset)


@router.get("/v1/alerts/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}}, dependencies=[Depends(role("analyst"))])
def export_alerts(request: Request, format: Literal["csv", "xlsx"] = "csv",
                  status: AlertStatus | None = None) -> Response:
    """Alerts with their decisions as CSV or XLSX (formula-like cells escaped)."""
    wf = workflow_of(request)
    if format == "xlsx":
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "alerts.xlsx"
            wf.export_alerts(path, "xlsx", status=status)
            data = path.read_bytes()
        return Response(data, media_type=XLSX, headers={"Content-Disposition": 'attachment; filename="alerts.xlsx"'})
    buf = io.StringIO()
    wf.export_alerts(buf, "csv", status=status)
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="alerts.csv"'})


@router.get("/v1/alerts/{alert_id}", response_model=AlertDetail, dependencies=[Depends(role("analyst"))])
def show_alert(request: Request, alert_id: int) -> dict[str, Any]:
    """One alert with its counterparty, decision history, and the earlier alerts it came back from."""
    return workflow_of(request).show_alert(alert_id)


@router.post("/v1/alerts/{alert_id}/decision", response_model=AlertDetail, dependencies=[Depends(role("analyst"))])
def decide(request: Request, alert_id: int, body: DecisionRequest) -> dict[str, Any]:
    """Decide an alert: false_positive (suppresses it while both sides are unchanged), true_match, escalated.

    The reviewer is the key's person (or system), never a name in the body. With four-eyes on,
    a true_match, overturning one, and clearing an escalated alert wait for the same decision by a
    second identity; the same identity confirming is a 403 naming the rule.
    """
    return workflow_of(request).decide(alert_id, body.decision, note=body.note, identity=identity_of(request),
                                       caller=caller_of(request), reviewer_note=body.reviewer,
                                       alert_version=body.alert_version)


@router.post("/v1/rescreen", response_model=RescreenOut, dependencies=[Depends(role("analyst"))])
def rescreen(request: Request, threshold: float | None = Q(default=None, ge=0, le=1)) -> dict[str, Any]:
    """Re-screen stored counterparties against the entities added or changed since each was last screened."""
    svc = holder_of(request).get()
    return workflow_of(request).rescreen(svc, caller=caller_of(request), threshold=threshold).as_dict()
