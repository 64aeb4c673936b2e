"""The HTTP API: create_app(settings) builds the app from the routers in api/routers/ over the core services."""

from __future__ import annotations

import gc
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute

from api import errors
from api.deps import declared_role
from api.edge import EdgeMiddleware
from api.fastscreen import FastScreen, find_route
from api.metrics import Metrics
from api.routers import alerts, audit, files, health, jobs, keys, screen, watchlist, yente
from api.routers.web import mount_web
from screening.config import Settings
from screening.holder import Holder
from screening.jobs import JobRunner
from screening.workflow import Workflow, check_auth_setting

log = logging.getLogger("screening.api")

ROUTERS = (screen.router, files.router, jobs.router, watchlist.router, alerts.router, audit.router, keys.router,
           health.router, yente.router)


def check_routes_declare_roles(app: FastAPI) -> None:
    """Refuse to build an app with a route that declares no role: no route is open by accident."""
    missing = [f"{sorted(r.methods)} {r.path}" for r in app.routes
               if isinstance(r, APIRoute) and declared_role(r) is None]
    if missing:
        raise RuntimeError(f"routes without a declared role (Depends(role(...)) or Depends(public)): {missing}")


def settle_heap() -> None:
    """Exempt what a server process holds for its life (the loaded watchlist, its matcher and indexes, millions of
    objects) from the cyclic garbage collector's full passes: each pass walked them all, 100-160 ms with every
    request of the process waiting (the p99 of GET /v1/screen, benchmarks/README.md). Called after every watchlist
    load: what was exempt before is collected first, so a replaced watchlist's cycles are not kept."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def create_app(settings: Settings, *, warn_auth_off: bool = True, serving: bool = False) -> FastAPI:
    """The app over `settings`; `warn_auth_off=False` when the caller (`screen serve`) has warned already.
    `serving`: the app is this process's for its life (`screen serve`), which settles its heap after each
    watchlist load (settle_heap); an app built in a process that does other things (tests) leaves it alone."""
    warning = check_auth_setting(settings)  # refuses auth off unless bound to 127.0.0.1
    if warning and warn_auth_off:
        log.warning(warning)
    holder = Holder(settings, after_load=settle_heap if serving else None)
    workflow = Workflow(settings)
    runner = JobRunner(settings, holder, workflow)
    metrics = Metrics(holder, runner)
    runner.on_event = metrics.job_event

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Screening is CPU-bound under one GIL per worker: a few threads keep the latency tail short
        # where anyio's default 40 let requests queue inside the process.
        # The screening routes have their own SCREENING_THREADS pool; the other sync routes (uploads, jobs, alerts, a
        # key read from the store) keep at least 4, so a long upload never holds up a key check.
        anyio.to_thread.current_default_thread_limiter().total_tokens = max(settings.threads, 4)
        # the threads that screen for GET/POST /v1/screen (api/deps.py: on_thread); other sync routes use anyio's
        screen_pool = ThreadPoolExecutor(max_workers=max(1, settings.threads), thread_name_prefix="screen")
        app.state.screen_pool = screen_pool
        await run_in_threadpool(workflow.upgrade)  # schema migrations, before the first request
        holder.load()
        holder.start_watching()
        runner.start()  # resumes jobs a stopped server left behind
        yield
        await run_in_threadpool(runner.close)  # a running job stops at its next chunk and resumes next start
        await run_in_threadpool(holder.stop_watching)
        await run_in_threadpool(workflow.close)  # the audit writer commits what it holds
        app.state.screen_pool = None  # an app served again (tests) starts a new pool; without one, anyio's threads
        screen_pool.shutdown(wait=False)

    app = FastAPI(title="Sanctions screening", version="0.1.0", lifespan=lifespan,
                  description="Screen names against sanctions watchlists. Scores are in [0, 1]; "
                              "a hit is score >= threshold. Every route but /healthz, /readyz and /metrics "
                              "needs an API key (`Authorization: Bearer <key>` or `X-API-Key`). Every error "
                              "is `{\"detail\": \"<one line>\"}`.")
    app.state.holder = holder
    app.state.workflow = workflow
    app.state.jobs = runner
    app.state.metrics = metrics
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    # GET /v1/screen without FastAPI's per-request machinery (api/fastscreen.py), inside the edge's id, log and metrics
    app.add_middleware(FastScreen, route=find_route(screen.router.routes), enabled=settings.fast_screen)
    app.add_middleware(EdgeMiddleware, max_body=settings.max_upload, metrics=metrics)
    app.add_middleware(yente.ReconcileCORS)  # CORS (and ?api_key=) on /reconcile/* only
    check_routes_declare_roles(app)
    mount_web(app, holder, settings)  # the page for compliance staff, at /web: its own sessions guard it
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker serving: settings from the environment.

    `screen serve` sets SCREENING_SERVE_WARNED after printing the auth-off warning itself, so
    each worker process does not print it again.
    """
    return create_app(Settings.from_env(), warn_auth_off=not os.environ.get("SCREENING_SERVE_WARNED"), serving=True)
