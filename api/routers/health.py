"""The probes and metrics, open to anyone: /healthz, /readyz and /metrics.

/healthz answers from memory on the event loop: no request thread, no database, so a server whose
threads all wait on a locked database still says it is alive. /readyz says what is not ready:
the watchlist (not loaded, or its last reload failed) and the database (checked with a short
read, on a thread of its own, with a time limit).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from api.deps import KeyFirstRoute, holder_of, public, workflow_of

router = APIRouter(route_class=KeyFirstRoute, tags=["ops"])

DB_CHECK_SECONDS = 2.0


@router.get("/healthz", dependencies=[Depends(public)])
async def healthz() -> dict:
    """Liveness: the process answers (never touches the database)."""
    return {"status": "ok"}


@router.get("/readyz", dependencies=[Depends(public)],
            responses={503: {"description": "not ready: `not_ready` says what"}})
async def readyz(request: Request) -> JSONResponse:
    """Readiness: a watchlist is loaded and the database answers; otherwise 503 naming what is not ready."""
    holder = holder_of(request)
    problems: list[str] = []
    body: dict[str, Any] = {}
    if holder.service is None:
        problems.append("watchlist: " + (holder.last_error or "not loaded yet"))
        body["watchlist"] = None
    else:
        body["watchlist"] = holder.service.watchlist.version
        if holder.last_error:
            body["watchlist_reload_error"] = holder.last_error  # the old list still serves
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, workflow_of(request).store.check), DB_CHECK_SECONDS)
        body["database"] = "ok"
    except TimeoutError:
        problems.append(f"database: no answer within {DB_CHECK_SECONDS:g} s")
        body["database"] = "timeout"
    except Exception as exc:  # noqa: BLE001 - readiness reports any database failure
        problems.append(f"database: {getattr(exc, 'message', None) or type(exc).__name__}")
        body["database"] = "error"
    if problems:
        return JSONResponse(status_code=503, content={"status": "not ready", "not_ready": problems, **body})
    return JSONResponse({"status": "ready", **body})


@router.get("/metrics", dependencies=[Depends(public)], response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
async def metrics(request: Request) -> Response:
    """Prometheus metrics (text exposition format)."""
    data, content_type = await asyncio.get_running_loop().run_in_executor(None, request.app.state.metrics.render)
    return Response(data, media_type=content_type)
