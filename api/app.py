"""The HTTP API: thin FastAPI routes over screening.service, built by create_app(settings)."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import shutil
import tempfile
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import Depends, FastAPI, File, Request, UploadFile
from fastapi import Query as Q
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.routers.web import mount_web
from api.workflow import audit, file_audit, install_workflow, require_key
from screening.batch import FileOptions, screen_file
from screening.config import Settings
from screening.errors import ScreeningError, WatchlistError
from screening.model import EntityType
from screening.service import Query, ScreenResponse, Service

log = logging.getLogger("screening.api")


class ScreenRequest(BaseModel):
    queries: list[Query] = Field(
        examples=[[{"name": "Sino Electronics Co., Ltd", "country": "HK", "ref": "CP-0003"}, {"name": "Siemens AG"}]]
    )
    threshold: float | None = Field(default=None, ge=0, le=1, examples=[0.8])
    limit: int | None = Field(default=None, ge=1, le=100, examples=[5])


class Holder:
    """The service in force; replaced whole, so a request sees one watchlist from start to end.

    A reload builds the new service first and swaps the reference only when it is ready;
    if the new artifact can't be loaded, the old one stays in force and the error is kept.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.service: Service | None = None
        self.stamp: tuple[int, int] | None = None
        self.last_error: str | None = None
        self._lock = threading.Lock()

    def get(self) -> Service:
        if self.service is None:
            raise ScreeningError("the watchlist is not loaded yet")
        return self.service

    def _stamp(self) -> tuple[int, int]:
        try:
            st = os.stat(self.settings.watchlist)
        except OSError as exc:
            raise WatchlistError(f"{self.settings.watchlist}: cannot read watchlist artifact ({exc.strerror})") from exc
        return st.st_mtime_ns, st.st_ino

    def load(self) -> Service:
        with self._lock:
            stamp = self._stamp()
            svc = Service(self.settings)
            svc.screen_valid([Query(name="warm up")], threshold=1.0, limit=1)  # builds lazy indexes
            self.service, self.stamp, self.last_error = svc, stamp, None
            return svc

    def reload_if_changed(self) -> bool:
        try:
            if self._stamp() == self.stamp:
                return False
            self.load()
            log.info("watchlist reloaded: version %s", self.get().watchlist.version)
            return True
        except (ScreeningError, OSError) as exc:
            self.last_error = getattr(exc, "message", str(exc))
            log.error("watchlist reload failed, previous version kept: %s", self.last_error)
            return False


def create_app(settings: Settings) -> FastAPI:
    holder = Holder(settings)

    async def watch() -> None:
        while True:
            await asyncio.sleep(settings.reload_interval)
            await run_in_threadpool(holder.reload_if_changed)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Screening is CPU-bound under one GIL per worker: a few threads keep the latency tail short
        # where anyio's default 40 let requests queue inside the process.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        await run_in_threadpool(app.state.workflow.upgrade)  # schema migrations, before the first request
        holder.load()
        task = asyncio.create_task(watch()) if settings.reload_interval > 0 else None
        yield
        if task:
            task.cancel()
        await run_in_threadpool(app.state.workflow.close)  # the audit writer commits what it holds

    app = FastAPI(title="Sanctions screening", version="0.1.0", lifespan=lifespan,
                  description="Screen names against sanctions watchlists. Scores are in [0, 1]; "
                              "a hit is score >= threshold. Every route but /healthz and /readyz needs an "
                              "API key (`Authorization: Bearer <key>` or `X-API-Key`).",
                  dependencies=[Depends(require_key)])
    app.state.holder = holder
    install_workflow(app, holder, settings)
    mount_web(app, holder, settings)  # the page for compliance staff, at /web

    @app.exception_handler(ScreeningError)
    async def screening_error(_request: Request, exc: ScreeningError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": exc.message})

    @app.post("/v1/screen", response_model=ScreenResponse, tags=["screening"])
    def screen(body: ScreenRequest, request: Request) -> ScreenResponse:
        """Screen up to `max_batch` names in one call (recorded in the audit trail; a `ref` stores the counterparty)."""
        svc = holder.get()
        resp = svc.screen(body.queries, threshold=body.threshold, limit=body.limit)
        audit(request, svc, resp)
        return resp

    @app.get("/v1/screen", response_model=ScreenResponse, tags=["screening"])
    def screen_one(
        request: Request,
        name: str = Q(examples=["Sino Electronics Co., Ltd"]),
        country: str | None = Q(default=None, examples=["HK"]),
        type: EntityType | None = None,
        threshold: float | None = Q(default=None, ge=0, le=1),
        limit: int | None = Q(default=None, ge=1, le=100),
        ref: str | None = Q(default=None, examples=["CP-0003"]),
        dob: str | None = Q(default=None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", examples=["1971-05-02"]),
        identifier: list[str] = Q(default=[], examples=[["IMO 9187629"]]),
    ) -> ScreenResponse:
        """Screen one name (recorded in the audit trail; a `ref` stores the counterparty)."""
        svc = holder.get()
        query = Query(name=name, country=country, type=type, ref=ref, dob=dob, identifiers=identifier)
        resp = svc.screen([query], threshold=threshold, limit=limit)
        audit(request, svc, resp)
        return resp

    @app.post("/v1/screen/file", tags=["screening"], response_class=Response,
              responses={200: {"content": {"text/csv": {}}}})
    def screen_upload(
        request: Request,
        file: UploadFile = File(description="CSV, TSV or XLSX with a name column"),
        name_column: str | None = None,
        country_column: str | None = None,
        type_column: str | None = None,
        threshold: float | None = Q(default=None, ge=0, le=1),
        encoding: str | None = None,
        id_column: str | None = Q(default=None, description="column of your references: stores counterparties"),
    ) -> Response:
        """Screen an uploaded file; returns every row with the same result columns as `screen file`."""
        suffix = Path(file.filename or "upload.csv").suffix or ".csv"
        with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
            shutil.copyfileobj(file.file, tmp)
            tmp.flush()
            buf = io.StringIO()
            opts = FileOptions(name_column=name_column, country_column=country_column, type_column=type_column,
                               encoding=encoding, threshold=threshold, id_column=id_column)
            svc = holder.get()
            summary = screen_file(svc, Path(tmp.name), buf, opts, label=file.filename or "upload",
                                  on_results=file_audit(request, svc))
        headers = {"X-Rows": str(summary.rows), "X-Potential-Matches": str(summary.potential_match),
                   "X-Errors": str(summary.error),
                   "Content-Disposition": f'attachment; filename="{Path(file.filename or "upload").stem}-screened.csv"'}
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)

    @app.get("/v1/watchlist", tags=["watchlist"])
    def watchlist() -> dict:
        """The watchlist in force: id, version (content hash), counts and sources."""
        return holder.get().info()

    @app.post("/v1/watchlist/reload", tags=["watchlist"])
    def reload() -> dict:
        """Load the artifact file again now (after `screen watchlist update`); the old one serves until ready."""
        old = holder.get().watchlist.version
        try:
            holder.load()
        except ScreeningError as exc:
            holder.last_error = exc.message
            raise
        return {"previous_version": old, "version": holder.get().watchlist.version}

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    def readyz() -> JSONResponse:
        if holder.service is None:
            return JSONResponse(status_code=503, content={"status": "loading"})
        return JSONResponse({"status": "ready", "watchlist": holder.service.watchlist.version})

    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker serving: settings from the environment."""
    return create_app(Settings.from_env())
