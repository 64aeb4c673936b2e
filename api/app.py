"""The HTTP API: create_app(settings) builds the app from the routers in api/routers/ over the core services."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.deps import declared_role
from api.routers import alerts, audit, files, health, keys, screen, watchlist, yente
from screening.config import Settings
from screening.errors import AuthError, ScreeningError
from screening.holder import Holder
from screening.workflow import Workflow, check_auth_setting

log = logging.getLogger("screening.api")

ROUTERS = (screen.router, files.router, watchlist.router, alerts.router, audit.router, keys.router, health.router,
           yente.router)


def check_routes_declare_roles(app: FastAPI) -> None:
    """Refuse to build an app with a route that declares no role: no route is open by accident."""
    missing = [f"{sorted(r.methods)} {r.path}" for r in app.routes
               if isinstance(r, APIRoute) and declared_role(r) is None]
    if missing:
        raise RuntimeError(f"routes without a declared role (Depends(role(...)) or Depends(public)): {missing}")


def create_app(settings: Settings) -> FastAPI:
    warning = check_auth_setting(settings)  # refuses auth off unless bound to 127.0.0.1
    if warning:
        log.warning(warning)
    holder = Holder(settings)
    workflow = Workflow(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Screening is CPU-bound under one GIL per worker: a few threads keep the latency tail short
        # where anyio's default 40 let requests queue inside the process.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        await run_in_threadpool(workflow.upgrade)  # schema migrations, before the first request
        holder.load()
        holder.start_watching()
        yield
        await run_in_threadpool(holder.stop_watching)
        await run_in_threadpool(workflow.close)  # the audit writer commits what it holds

    app = FastAPI(title="Sanctions screening", version="0.1.0", lifespan=lifespan,
                  description="Screen names against sanctions watchlists. Scores are in [0, 1]; "
                              "a hit is score >= threshold. Every route but /healthz and /readyz needs an "
                              "API key (`Authorization: Bearer <key>` or `X-API-Key`).")
    app.state.holder = holder
    app.state.workflow = workflow

    @app.exception_handler(AuthError)
    async def auth_error(_request: Request, exc: AuthError) -> JSONResponse:
        return JSONResponse(status_code=401, content={"detail": exc.message}, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ScreeningError)
    async def screening_error(_request: Request, exc: ScreeningError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": exc.message})

    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(yente.ReconcileCORS)  # CORS (and ?api_key=) on /reconcile/* only
    check_routes_declare_roles(app)
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker serving: settings from the environment."""
    return create_app(Settings.from_env())
