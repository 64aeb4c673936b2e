"""The probes, open to anyone: /healthz (the process answers) and /readyz (a watchlist is loaded)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.deps import KeyFirstRoute, holder_of, public

router = APIRouter(route_class=KeyFirstRoute, tags=["ops"])


@router.get("/healthz", dependencies=[Depends(public)])
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", dependencies=[Depends(public)])
def readyz(request: Request) -> JSONResponse:
    holder = holder_of(request)
    if holder.service is None:
        return JSONResponse(status_code=503, content={"status": "loading"})
    return JSONResponse({"status": "ready", "watchlist": holder.service.watchlist.version})
