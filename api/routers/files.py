"""Screening an uploaded file: POST /v1/screen/file answers with the screened CSV.

For small files (the body is limited by SCREENING_MAX_UPLOAD like every request); large ones go
to POST /v1/jobs. The screening stops at the next chunk when the client disconnects.
"""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
from pathlib import Path

import anyio.from_thread
from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi import Query as Q
from fastapi.responses import Response

from api.deps import KeyFirstRoute, attachment, file_audit, holder_of, role
from api.errors import clean
from api.models import PROTECTED, WITH_BODY, errors
from screening.batch import FileOptions, screen_file
from screening.jobs import input_suffix

log = logging.getLogger("screening.api")

router = APIRouter(route_class=KeyFirstRoute, responses=errors(*PROTECTED), tags=["screening"])

CLIENT_CLOSED = 499  # nginx's "client closed request": what the access log and metrics show


class ClientGone(Exception):
    """The client disconnected: stop screening its file."""


@router.post("/v1/screen/file", response_class=Response,
             responses={200: {"content": {"text/csv": {}}}, **errors(*WITH_BODY)},
             dependencies=[Depends(role("screener"))])
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
    filename = clean(file.filename or "upload.csv")
    done = 0

    def progress(rows: int) -> None:
        nonlocal done
        done += rows
        if anyio.from_thread.run(request.is_disconnected):
            raise ClientGone

    # the temporary file takes a known suffix only: the reader picks the format by it, and a client's
    # long or odd file name never reaches the file system
    with tempfile.NamedTemporaryFile(suffix=input_suffix(filename)) as tmp:
        shutil.copyfileobj(file.file, tmp, 1 << 20)
        tmp.flush()
        buf = io.StringIO()
        opts = FileOptions(name_column=name_column, country_column=country_column, type_column=type_column,
                           encoding=encoding, threshold=threshold, id_column=id_column)
        svc = holder_of(request).get()
        try:
            summary = screen_file(svc, Path(tmp.name), buf, opts, label=filename, progress=progress,
                                  on_results=file_audit(request, svc))
        except ClientGone:
            log.info("client disconnected from %s upload after %d rows; screening stopped", filename, done)
            return Response(status_code=CLIENT_CLOSED)
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    headers = {"X-Rows": str(summary.rows), "X-Potential-Matches": str(summary.potential_match),
               "X-Suppressed": str(summary.suppressed), "X-Errors": str(summary.error),
               "Content-Disposition": attachment(f"{stem}-screened.csv")}
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
