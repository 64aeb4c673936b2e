"""Screening an uploaded file: POST /v1/screen/file answers with the screened CSV."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi import Query as Q
from fastapi.responses import Response

from api.deps import KeyFirstRoute, file_audit, holder_of, role
from screening.batch import FileOptions, screen_file

router = APIRouter(route_class=KeyFirstRoute, tags=["screening"])


@router.post("/v1/screen/file", response_class=Response, responses={200: {"content": {"text/csv": {}}}},
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
    suffix = Path(file.filename or "upload.csv").suffix or ".csv"
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        shutil.copyfileobj(file.file, tmp)
        tmp.flush()
        buf = io.StringIO()
        opts = FileOptions(name_column=name_column, country_column=country_column, type_column=type_column,
                           encoding=encoding, threshold=threshold, id_column=id_column)
        svc = holder_of(request).get()
        summary = screen_file(svc, Path(tmp.name), buf, opts, label=file.filename or "upload",
                              on_results=file_audit(request, svc))
    headers = {"X-Rows": str(summary.rows), "X-Potential-Matches": str(summary.potential_match),
               "X-Suppressed": str(summary.suppressed), "X-Errors": str(summary.error),
               "Content-Disposition": f'attachment; filename="{Path(file.filename or "upload").stem}-screened.csv"'}
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
