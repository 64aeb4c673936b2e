"""Screening jobs over HTTP: POST /v1/jobs queues a file, GET reports progress and streams the result, DELETE cancels."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse

from api.deps import KeyFirstRoute, attachment, caller_of, role
from api.models import JobOut
from screening.batch import FileOptions
from screening.errors import NotFoundError
from screening.jobs import JobRunner
from screening.workflow import role_allows

router = APIRouter(route_class=KeyFirstRoute, tags=["jobs"])


def runner_of(request: Request) -> JobRunner:
    return request.app.state.jobs


def _sees_all(request: Request) -> bool:
    """An admin key sees every job; so does the one local user when auth is off."""
    if request.app.state.workflow.settings.auth == "off":
        return True
    key = getattr(request.state, "key", None)
    return key is not None and role_allows(key["role"], "admin")


def _visible(request: Request, job_id: str) -> dict[str, Any]:
    """The job, if the caller submitted it or sees all (others get 404, as for an unknown id)."""
    job = runner_of(request).status(job_id)
    if job["caller"] != caller_of(request) and not _sees_all(request):
        raise NotFoundError(f"no job {job_id}")
    return job


@router.post("/v1/jobs", response_model=JobOut, status_code=202, dependencies=[Depends(role("screener"))])
def submit_job(
    request: Request,
    file: UploadFile = File(description="CSV, TSV or XLSX with a name column"),
    name_column: str | None = Form(default=None, examples=["company"]),
    country_column: str | None = Form(default=None),
    type_column: str | None = Form(default=None),
    id_column: str | None = Form(default=None, description="column of your references: stores counterparties"),
    encoding: str | None = Form(default=None),
    threshold: float | None = Form(default=None, ge=0, le=1),
) -> dict[str, Any]:
    """Queue a file for screening in the background; poll `GET /v1/jobs/{id}`, then fetch its result."""
    options = FileOptions(name_column=name_column, country_column=country_column, type_column=type_column,
                          encoding=encoding, threshold=threshold, id_column=id_column)
    runner = runner_of(request)
    job_id = runner.submit(file.file, options, caller=caller_of(request), filename=file.filename or "upload.csv")
    return runner.status(job_id)


@router.get("/v1/jobs", response_model=list[JobOut], dependencies=[Depends(role("screener"))])
def list_jobs(request: Request) -> list[dict[str, Any]]:
    """Your jobs, newest first (an admin key sees everyone's)."""
    return runner_of(request).list(caller=None if _sees_all(request) else caller_of(request))


@router.get("/v1/jobs/{job_id}", response_model=JobOut, dependencies=[Depends(role("screener"))])
def job_status(request: Request, job_id: str) -> dict[str, Any]:
    """A job's status (queued, running, done, failed, cancelled), progress, rate, time left and counts."""
    return _visible(request, job_id)


@router.get("/v1/jobs/{job_id}/result", response_class=FileResponse,
            responses={200: {"content": {"text/csv": {}}}, 409: {"description": "the job is not done"}},
            dependencies=[Depends(role("screener"))])
def job_result(request: Request, job_id: str) -> FileResponse:
    """The screened CSV of a done job: every input row with the result columns of `screen file`."""
    job = _visible(request, job_id)
    path = runner_of(request).result_path(job_id)
    stem = job["filename"].rsplit(".", 1)[0] if "." in job["filename"] else job["filename"]
    return FileResponse(path, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": attachment(f"{stem}-screened.csv"),
                                 "X-Rows": str(job["rows_done"]),
                                 "X-Potential-Matches": str(job["summary"]["potential_match"]),
                                 "X-Errors": str(job["summary"]["error"])})


@router.delete("/v1/jobs/{job_id}", response_model=JobOut, dependencies=[Depends(role("screener"))])
def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    """Cancel a queued or running job (a running one stops after its current chunk of rows)."""
    _visible(request, job_id)
    return runner_of(request).cancel(job_id)
