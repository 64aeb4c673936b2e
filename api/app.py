"""The HTTP API: thin FastAPI routes over screening.service, built by create_app(settings)."""

from __future__ import annotations

import io
import shutil
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, File, Request, UploadFile
from fastapi import Query as Q
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from screening.batch import FileOptions, screen_file
from screening.config import Settings
from screening.errors import ScreeningError
from screening.model import EntityType
from screening.service import Query, ScreenResponse, Service


class ScreenRequest(BaseModel):
    queries: list[Query] = Field(
        examples=[[{"name": "Sino Electronics Co., Ltd", "country": "HK", "ref": "CP-0003"}, {"name": "Siemens AG"}]]
    )
    threshold: float | None = Field(default=None, ge=0, le=1, examples=[0.8])
    limit: int | None = Field(default=None, ge=1, le=100, examples=[5])


class Holder:
    """The service in force; replaced whole, so a request sees one watchlist from start to end."""

    def __init__(self) -> None:
        self.service: Service | None = None

    def get(self) -> Service:
        if self.service is None:
            raise ScreeningError("the watchlist is not loaded yet")
        return self.service


def create_app(settings: Settings) -> FastAPI:
    holder = Holder()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        holder.service = Service(settings)
        holder.service.screen_valid([Query(name="warm up")], threshold=1.0, limit=1)  # builds lazy indexes
        yield

    app = FastAPI(title="Sanctions screening", version="0.1.0", lifespan=lifespan,
                  description="Screen names against sanctions watchlists. Scores are in [0, 1]; "
                              "a hit is score >= threshold.")
    app.state.holder = holder

    @app.exception_handler(ScreeningError)
    async def screening_error(_request: Request, exc: ScreeningError) -> JSONResponse:
        return JSONResponse(status_code=exc.status, content={"detail": exc.message})

    @app.post("/v1/screen", response_model=ScreenResponse, tags=["screening"])
    def screen(body: ScreenRequest) -> ScreenResponse:
        """Screen up to `max_batch` names in one call."""
        return holder.get().screen(body.queries, threshold=body.threshold, limit=body.limit)

    @app.get("/v1/screen", response_model=ScreenResponse, tags=["screening"])
    def screen_one(
        name: str = Q(examples=["Sino Electronics Co., Ltd"]),
        country: str | None = Q(default=None, examples=["HK"]),
        type: EntityType | None = None,
        threshold: float | None = Q(default=None, ge=0, le=1),
        limit: int | None = Q(default=None, ge=1, le=100),
    ) -> ScreenResponse:
        """Screen one name."""
        return holder.get().screen([Query(name=name, country=country, type=type)], threshold=threshold, limit=limit)

    @app.post("/v1/screen/file", tags=["screening"], response_class=Response,
              responses={200: {"content": {"text/csv": {}}}})
    def screen_upload(
        file: UploadFile = File(description="CSV, TSV or XLSX with a name column"),
        name_column: str | None = None,
        country_column: str | None = None,
        type_column: str | None = None,
        threshold: float | None = Q(default=None, ge=0, le=1),
        encoding: str | None = None,
    ) -> Response:
        """Screen an uploaded file; returns every row with the same result columns as `screen file`."""
        suffix = Path(file.filename or "upload.csv").suffix or ".csv"
        with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
            shutil.copyfileobj(file.file, tmp)
            tmp.flush()
            buf = io.StringIO()
            opts = FileOptions(name_column=name_column, country_column=country_column, type_column=type_column,
                               encoding=encoding, threshold=threshold)
            summary = screen_file(holder.get(), Path(tmp.name), buf, opts)
        headers = {"X-Rows": str(summary.rows), "X-Potential-Matches": str(summary.potential_match),
                   "X-Errors": str(summary.error),
                   "Content-Disposition": f'attachment; filename="{Path(file.filename or "upload").stem}-screened.csv"'}
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)

    @app.get("/v1/watchlist", tags=["watchlist"])
    def watchlist() -> dict:
        """The watchlist in force: id, version (content hash), counts and sources."""
        return holder.get().info()

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
