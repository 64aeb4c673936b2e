"""Screening names: POST /v1/screen (a batch) and GET /v1/screen (one name)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Q
from fastapi.responses import Response

from api.deps import KeyFirstRoute, audit_async, holder_of, on_thread, role, screen_json
from api.models import PROTECTED, WITH_BODY, ScreenRequest, errors
from screening.model import EntityType
from screening.service import Query, ScreenResponse

router = APIRouter(route_class=KeyFirstRoute, responses=errors(*PROTECTED), tags=["screening"])


@router.post("/v1/screen", response_model=ScreenResponse, responses=errors(*WITH_BODY),
             dependencies=[Depends(role("screener"))])
async def screen(body: ScreenRequest, request: Request) -> Response:
    """Screen up to `max_batch` names in one call (recorded in the audit trail; a `ref` stores the counterparty)."""
    svc = holder_of(request).get()
    resp = await on_thread(request, svc.screen, body.queries, threshold=body.threshold, limit=body.limit)
    # as recorded: a counterparty's hits on the accept list come back suppressed; sent once its record is committed
    return screen_json(await audit_async(request, svc, resp))


@router.get("/v1/screen", response_model=ScreenResponse, dependencies=[Depends(role("screener"))])
async def screen_one(
    request: Request,
    name: str = Q(examples=["Sino Electronics Co., Ltd"]),
    country: str | None = Q(default=None, examples=["HK"]),
    type: EntityType | None = None,
    threshold: float | None = Q(default=None, ge=0, le=1),
    limit: int | None = Q(default=None, ge=1, le=100),
    ref: str | None = Q(default=None, examples=["CP-0003"]),
    dob: str | None = Q(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", examples=["1971-05-02"]),
    identifier: list[str] = Q(default=[], examples=[["IMO 9187629"]]),
) -> Response:
    """Screen one name (recorded in the audit trail; a `ref` stores the counterparty)."""
    svc = holder_of(request).get()
    query = Query(name=name, country=country, type=type, ref=ref, dob=dob, identifiers=identifier)
    resp = await on_thread(request, svc.screen, [query], threshold=threshold, limit=limit)
    return screen_json(await audit_async(request, svc, resp))
