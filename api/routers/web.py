"""The web page for compliance staff, mounted at /web: sign-in, spot check, files, alerts, audit, lists.

Thin routes over the same functions as the CLI and the API (`Service.screen`, `Workflow.record`,
`Workflow.decide`, `screen_to_path` through the job runner, `Workflow.audit_rows`); the only
logic here is reading forms and choosing what to show. Each route names the role it needs beside
it (`web.require(request, ROLE)`), checked on the server against the role of the signed-in key or
account as it stands now; every POST also checks the session's CSRF token.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import re
import shutil
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from api.web.core import (
    PREFIX,
    STATIC,
    BodyLimit,
    CsrfError,
    SecurityHeaders,
    SignInRequired,
    Web,
    safe_next,
    signin_redirect,
)
from api.web.evidence import marked_tokens
from screening.accounts import Accounts, key_principal
from screening.batch import FileOptions, Table, find_column
from screening.config import Settings
from screening.errors import AuthError, InputError, InputFileError, LimitError, NotFoundError, ScreeningError
from screening.jobs import JobRunner, jobs_directory
from screening.listinfo import last_change
from screening.service import Query
from screening.workflow import ALERT_STATUSES, AUDIT_COLUMNS, DECISIONS, Workflow, parse_time, stream_rows

UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
DEFAULT_MAX_UPLOAD = 100 << 20  # bytes, when the settings name no upload limit
PREVIEW_ROWS = 8
PER_PAGE = (100, 500, 2000)
AUDIT_SHOWN = 200
_UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")


def mount_web(app: FastAPI, holder: Any, settings: Settings) -> None:
    """Serve the page at /web on `app` (a sub-application: its sessions, not API keys, guard it)."""
    app.mount(PREFIX, create_web_app(app, holder, settings))


def _uploads_dir(settings: Settings) -> Path:
    # beside the job runner's directory, so every worker of one server finds a staged upload
    return jobs_directory(settings).parent / "web-uploads"


def create_web_app(parent: FastAPI, holder: Any, settings: Settings) -> FastAPI:
    web_app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    web_app.add_middleware(SecurityHeaders)
    max_upload = int(getattr(settings, "max_upload", 0) or DEFAULT_MAX_UPLOAD)
    web_app.add_middleware(BodyLimit, limit=max_upload + (64 << 10))  # the file plus the form's own fields
    web_app.mount("/static", StaticFiles(directory=STATIC), name="static")

    def wf() -> Workflow:
        return parent.state.workflow

    web = Web(Accounts(wf().store, idle_seconds=settings.session_idle, max_seconds=settings.session_max))
    uploads = _uploads_dir(settings)  # staged until the columns are picked; then the job runner copies it

    def jobs() -> JobRunner:
        return parent.state.jobs

    @web_app.exception_handler(SignInRequired)
    async def sign_in(request: Request, _exc: SignInRequired) -> Response:
        if request.method == "GET" and not request.url.path.endswith((".json", "/progress")):
            return signin_redirect(request)
        return JSONResponse(status_code=401, content={"detail": "sign in first"})

    @web_app.exception_handler(ScreeningError)
    async def screening_error(request: Request, exc: ScreeningError) -> Response:
        return web.error_page(request, exc.status, exc.message)

    # ---- sign in and out -----------------------------------------------------------------------

    @web_app.get("/")
    def home(request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/check" if web.session(request) else f"{PREFIX}/signin", status_code=303)

    @web_app.get("/signin")
    def signin_form(request: Request, next: str | None = None, message: str | None = None) -> Response:
        token = web.signin_token(request)
        resp = web.render(request, "signin.html", signin_token=token, next=safe_next(next), error=None,
                          message={"signed_out": "You are signed out.", "expired": "Your session ended: sign in again."}
                          .get(message or ""))
        web.set_signin_cookie(resp, token)
        return resp

    @web_app.post("/signin")
    async def signin(request: Request) -> Response:
        form = await request.form()
        sent, cookie = str(form.get("signin_token") or ""), request.cookies.get("screen_signin") or ""
        nxt = safe_next(str(form.get("next") or ""))
        if not cookie or not _same(sent, cookie):
            raise CsrfError("the sign-in form's security token is missing or stale: reload the page and try again")
        key, username, password = (str(form.get(k) or "") for k in ("api_key", "username", "password"))
        try:
            if key.strip():
                principal = key_principal(wf().authenticate(key.strip()))
            elif username.strip():
                principal = web.accounts.verify_password(username, password)
            else:
                raise AuthError("enter your API key, or your username and password")
        except AuthError as exc:
            resp = web.render(request, "signin.html", status=401, signin_token=cookie, next=nxt, error=exc.message,
                              username=username, message=None)
            return resp
        old = request.cookies.get("screen_session")
        if old:
            web.accounts.end_session(old)  # a new session id at sign-in: no fixation
        session = web.accounts.open_session(principal)
        resp = RedirectResponse(nxt, status_code=303)
        web.set_session_cookie(resp, session)
        resp.delete_cookie("screen_signin", path=PREFIX)
        return resp

    @web_app.post("/signout")
    async def signout(request: Request) -> Response:
        s, _ = await web.require_post(request, "screener")
        web.accounts.end_session(s.token)
        resp = RedirectResponse(f"{PREFIX}/signin?message=signed_out", status_code=303)
        web.clear_session_cookie(resp)
        return resp

    # ---- spot check ----------------------------------------------------------------------------

    @web_app.get("/check")
    def check_form(request: Request) -> Response:
        web.require(request, "screener")
        return web.render(request, "check.html", form={}, result=None, error=None, threshold=holder.get().settings.threshold)

    @web_app.post("/check")
    async def check(request: Request) -> Response:
        s, form = await web.require_post(request, "screener")
        fields = {k: str(form.get(k) or "").strip() for k in ("name", "country", "type", "dob", "ref", "identifiers",
                                                                 "threshold")}
        svc = holder.get()
        try:
            threshold = _threshold(fields["threshold"])
        except InputError as exc:
            return web.render(request, "check.html", status=exc.status, form=fields, result=None, error=exc.message,
                              threshold=svc.settings.threshold)
        try:
            query = Query(name=fields["name"], country=fields["country"].upper() or None, type=fields["type"] or None,
                          dob=fields["dob"] or None, ref=fields["ref"] or None,
                          identifiers=[i.strip() for i in fields["identifiers"].splitlines() if i.strip()])
        except ValidationError as exc:
            return web.render(request, "check.html", status=422, form=fields, result=None,
                              error=_validation_message(exc), threshold=svc.settings.threshold)
        try:
            resp = await _in_thread(svc.screen, [query], threshold=threshold)
        except InputError as exc:
            return web.render(request, "check.html", status=exc.status, form=fields, result=None, error=exc.message,
                              threshold=svc.settings.threshold)
        outcome = await _in_thread(wf().record_grouped, svc, resp.results, threshold=resp.threshold,
                                   caller=s.principal.caller, identity=s.principal.identity, channel="web")
        result = outcome.results[0] if outcome.results else resp.results[0]  # as recorded: suppressed hits marked
        answer = result.status
        return web.render(request, "check.html", form=fields, error=None, result=result, answer=answer,
                          hits=[_hit_view(h) for h in result.hits], threshold=resp.threshold,
                          watchlist=resp.watchlist, new_alerts=outcome.new_alerts)

    # ---- files ---------------------------------------------------------------------------------

    @web_app.get("/files")
    def files(request: Request) -> Response:
        s = web.require(request, "screener")
        return web.render(request, "files.html", error=None, recent=jobs().list(caller=s.principal.caller, limit=10),
                          max_upload_mb=max_upload >> 20)

    @web_app.post("/files")
    async def upload(request: Request) -> Response:
        s, form = await web.require_post(request, "screener")
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            return web.render(request, "files.html", status=400, error="choose a file to upload",
                              recent=jobs().list(caller=s.principal.caller, limit=10), max_upload_mb=max_upload >> 20)
        name = Path(file.filename).name[-120:] or "upload.csv"
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            return web.render(request, "files.html", status=400,
                              error=f"{name}: a {suffix or 'nameless'} file; upload CSV, TSV or XLSX",
                              recent=jobs().list(caller=s.principal.caller, limit=10), max_upload_mb=max_upload >> 20)
        upload_id = hashlib.sha256(f"{time.time_ns()}{id(file)}".encode()).hexdigest()[:16]
        target = uploads / upload_id
        target.mkdir(parents=True, exist_ok=True)
        size = 0
        with open(target / f"input{suffix}", "wb") as out:
            while chunk := await file.read(1 << 20):
                size += len(chunk)
                if size > max_upload:
                    out.close()
                    shutil.rmtree(target, ignore_errors=True)
                    raise LimitError(f"{name}: larger than the upload limit of {max_upload >> 20} MB")
                out.write(chunk)
        (target / "meta.json").write_text(json.dumps({"owner": s.principal.caller, "label": name}))
        return RedirectResponse(f"{PREFIX}/files/{upload_id}", status_code=303)

    def _upload(upload_id: str, caller: str) -> tuple[Path, dict[str, Any]]:
        if not _UPLOAD_ID.match(upload_id) or not (uploads / upload_id / "meta.json").exists():
            raise NotFoundError(f"no upload {upload_id!r}")
        meta = json.loads((uploads / upload_id / "meta.json").read_text())
        if meta["owner"] != caller:
            raise NotFoundError(f"no upload {upload_id!r}")  # someone else's file is not shown, nor said to exist
        path = next((uploads / upload_id).glob("input.*"))
        return path, meta

    @web_app.get("/files/{upload_id}")
    def preview(request: Request, upload_id: str) -> Response:
        s = web.require(request, "screener")
        path, meta = _upload(upload_id, s.principal.caller)
        return web.render(request, "preview.html", upload_id=upload_id, label=meta["label"], error=None,
                          **_preview(path, meta["label"]), threshold=holder.get().settings.threshold)

    @web_app.post("/files/{upload_id}/screen")
    async def start_job(request: Request, upload_id: str) -> Response:
        s, form = await web.require_post(request, "screener")
        path, meta = _upload(upload_id, s.principal.caller)
        pick = {k: str(form.get(k) or "") or None for k in ("name_column", "country_column", "type_column", "id_column")}
        try:
            opts = FileOptions(threshold=_threshold(str(form.get("threshold") or "")), **pick)
            svc = holder.get()
            with open(path, "rb") as raw:
                Table(path, raw, opts, meta["label"]).layout(opts, 0.0)  # a wrong column is said now, not in the job
        except ScreeningError as exc:
            return web.render(request, "preview.html", status=exc.status, upload_id=upload_id, label=meta["label"],
                              error=exc.message, **_preview(path, meta["label"]), threshold=svc.settings.threshold)
        job_id = await _in_thread(jobs().submit, path, opts, caller=s.principal.caller, filename=meta["label"])
        shutil.rmtree(path.parent, ignore_errors=True)  # the job holds its own copy
        return RedirectResponse(f"{PREFIX}/jobs/{job_id}", status_code=303)

    def _job(job_id: str, caller: str) -> dict[str, Any]:
        job = jobs().status(job_id)
        if job["caller"] != caller:
            raise NotFoundError(f"no job {job_id!r}")
        return job

    @web_app.get("/jobs/{job_id}")
    def job_page(request: Request, job_id: str, status: str = "", min_score: str = "", q: str = "", page: int = 1,
                 per_page: int = PER_PAGE[0]) -> Response:
        s = web.require(request, "screener")
        job = _job(job_id, s.principal.caller)
        ctx: dict[str, Any] = {"job": job, "progress": _progress(job), "filters": {"status": status,
                               "min_score": min_score, "q": q, "per_page": per_page}, "per_page_options": PER_PAGE}
        if job["status"] == "done":
            ctx.update(_results(jobs().result_path(job_id), status=status, min_score=min_score, q=q, page=page,
                                per_page=per_page))
        return web.render(request, "job.html", **ctx)

    @web_app.get("/jobs/{job_id}/progress")
    def job_progress(request: Request, job_id: str) -> JSONResponse:
        s = web.require(request, "screener")
        return JSONResponse(_progress(_job(job_id, s.principal.caller)))

    @web_app.get("/jobs/{job_id}/download")
    def job_download(request: Request, job_id: str) -> Response:
        s = web.require(request, "screener")
        job = _job(job_id, s.principal.caller)
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(job["filename"]).stem)[:80] or "upload"
        return FileResponse(jobs().result_path(job_id), media_type="text/csv; charset=utf-8",
                            filename=f"{stem}-screened.csv")

    @web_app.post("/jobs/{job_id}/cancel")
    async def job_cancel(request: Request, job_id: str) -> Response:
        s, _ = await web.require_post(request, "screener")
        _job(job_id, s.principal.caller)
        jobs().cancel(job_id)
        return RedirectResponse(f"{PREFIX}/jobs/{job_id}", status_code=303)

    # ---- alerts --------------------------------------------------------------------------------

    @web_app.get("/alerts")
    def alert_queue(request: Request, status: str = "open", min_score: str = "", list: str = "", ref: str = "",
                    page: int = 1) -> Response:
        web.require(request, "analyst")
        if status not in (*ALERT_STATUSES, "pending", "all"):
            raise InputError(f"status {status!r}: must be one of {', '.join((*ALERT_STATUSES, 'pending', 'all'))}")
        floor = _score(min_score)
        rows = wf().list_alerts(status=None if status in ("all", "pending") else status,
                                pending=True if status == "pending" else None, ref=ref.strip() or None, limit=None)
        wl = holder.get().watchlist
        shown = [a for a in rows if (floor is None or a["score"] >= floor)
                 and (not list or list in _alert_sources(wl, a["entity_id"]))]
        per = PER_PAGE[0]
        page = max(page, 1)
        return web.render(request, "alerts.html", alerts=shown[(page - 1) * per: page * per], total=len(shown),
                          page=page, pages=max(1, -(-len(shown) // per)),
                          filters={"status": status, "min_score": min_score, "list": list, "ref": ref},
                          statuses=(*ALERT_STATUSES, "pending", "all"),
                          lists=sorted({s["source"] for s in holder.get().info()["sources"]}),
                          sources={a["id"]: _alert_sources(wl, a["entity_id"]) for a in shown})

    def _alert_page(request: Request, alert_id: int, *, status: int = 200, error: str | None = None,
                    note: str = "") -> Response:
        a = wf().show_alert(alert_id)
        pending = next((d for d in reversed(a["decisions"]) if d["outcome"] == "pending"), None) \
            if a["awaiting_second_review"] else None
        applied = next((d for d in reversed(a["decisions"]) if d["outcome"] == "applied"), None)
        return web.render(request, "alert.html", status=status, alert=a, error=error, note=note, pending=pending,
                          applied=applied, tokens=marked_tokens(a["explanation"]),
                          adjustments=a["explanation"].get("adjustments") or [], decisions=DECISIONS,
                          entity=_entity(holder.get().watchlist, a["entity_id"]), four_eyes=settings.four_eyes,
                          threshold=holder.get().settings.threshold)

    @web_app.get("/alerts/{alert_id}")
    def alert_page(request: Request, alert_id: int) -> Response:
        web.require(request, "analyst")
        return _alert_page(request, alert_id)

    @web_app.post("/alerts/{alert_id}/decision")
    async def decide(request: Request, alert_id: int) -> Response:
        s, form = await web.require_post(request, "analyst")
        decision, note = str(form.get("decision") or ""), str(form.get("note") or "")
        version = str(form.get("alert_version") or "")
        try:
            await _in_thread(wf().decide, alert_id, decision, note=note, identity=s.principal.identity,
                             caller=s.principal.caller, alert_version=int(version) if version.isdigit() else None)
        except (InputError, ScreeningError) as exc:
            if isinstance(exc, NotFoundError):
                raise
            return _alert_page(request, alert_id, status=exc.status, error=exc.message, note=note)
        return RedirectResponse(f"{PREFIX}/alerts/{alert_id}", status_code=303)

    # ---- audit ---------------------------------------------------------------------------------

    def _audit_matches(f: dict[str, str]) -> Iterator[dict[str, Any]]:
        since, until = parse_time(f["since"], "from"), parse_time(f["until"], "to")
        name, ref, caller = f["name"].casefold(), f["ref"].casefold(), f["caller"].casefold()
        for row in wf().audit_rows(since=since, until=until):
            if name and name not in (row["name"] or "").casefold():
                continue
            if ref and ref != (row["ref"] or "").casefold():
                continue
            if caller and caller not in (row["caller"] or "").casefold():
                continue
            yield row

    def _audit_filters(request: Request) -> dict[str, str]:
        return {k: (request.query_params.get(k) or "").strip() for k in ("name", "ref", "caller", "since", "until")}

    @web_app.get("/audit")
    def audit(request: Request) -> Response:
        web.require(request, "admin")
        f = _audit_filters(request)
        searched = any(f.values()) or request.query_params.get("search") == "1"
        rows: deque[dict[str, Any]] = deque(maxlen=AUDIT_SHOWN)
        total = 0
        error = None
        if searched:
            try:
                for row in _audit_matches(f):
                    rows.append(row)
                    total += 1
            except InputError as exc:
                error = exc.message
        return web.render(request, "audit.html", status=422 if error else 200, filters=f, rows=list(reversed(rows)),
                          total=total, searched=searched, error=error, shown=AUDIT_SHOWN,
                          export_query=request.url.query)

    @web_app.get("/audit/export")
    def audit_export(request: Request, format: str = "csv") -> Response:
        web.require(request, "admin")
        if format not in ("csv", "jsonl"):
            raise InputError(f"format {format!r}: must be csv or jsonl")
        f = _audit_filters(request)
        rows = _audit_matches(f)
        first = next(rows, None)  # a bad date is a 422 page here, not a cut stream

        media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
        every = itertools.chain([first] if first else [], rows)
        return StreamingResponse(stream_rows(format, AUDIT_COLUMNS, every), media_type=media,
                                 headers={"Content-Disposition": f'attachment; filename="audit.{format}"'})

    # ---- lists ---------------------------------------------------------------------------------

    @web_app.get("/lists")
    def lists(request: Request) -> Response:
        web.require(request, "screener")
        svc = holder.get()
        info = svc.info()
        warnings = [f"{s['source']}: {w}" for s in info["sources"] for w in (s.get("warnings") or [])]
        if getattr(holder, "last_error", None):
            warnings.insert(0, f"the last reload failed, this version stays in force: {holder.last_error}")
        return web.render(request, "lists.html", info=info, warnings=warnings,
                          diff=last_change(wf().store, svc.watchlist))

    return web_app


# ---- helpers (reading forms, shaping what a template shows) --------------------------------------


async def _in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from fastapi.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args, **kwargs)


def _same(a: str, b: str) -> bool:
    import hmac

    return hmac.compare_digest(a.encode(), b.encode())


def _threshold(raw: str) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"threshold {raw!r}: not a number between 0 and 1") from None
    if not 0 <= value <= 1:
        raise LimitError(f"threshold {value} is outside [0, 1]")
    return value


def _score(raw: str) -> float | None:
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise InputError(f"minimum score {raw!r}: not a number between 0 and 1") from None


def _validation_message(exc: ValidationError) -> str:
    e = exc.errors()[0]
    field = ".".join(str(p) for p in e.get("loc", ())) or "input"
    return f"{field}: {e.get('msg', 'invalid')}"


def _hit_view(hit: Any) -> dict[str, Any]:
    d = hit.model_dump()
    d["tokens"] = marked_tokens(d["explanation"])
    d["adjustments"] = d["explanation"].get("adjustments") or []
    return d


def _alert_sources(wl: Any, entity_id: str) -> list[str]:
    found = {entity_id.split(":", 1)[0]}
    e = _entity(wl, entity_id)
    if e is not None:
        found.add(e["source"])
        found.update(lst["source"] for lst in e.get("listings") or [])
    return sorted(found)


def _entity(wl: Any, entity_id: str) -> dict[str, Any] | None:
    """The linked entity an alert names, in the list in force, with every listing of it (as a hit shows them)."""
    i = wl.index_of(entity_id)
    if i is None:
        return None
    members = wl.group_members[wl.entity_group_list[i]]
    entities = [wl.entity(j) for j in members]
    view = entities[0].model_dump()
    view["countries"] = list(dict.fromkeys(c for e in entities for c in e.countries))
    view["listings"] = [{"entity_id": e.entity_id, "source": e.source, "name": e.name, "programs": e.programs,
                         "list_version": wl.list_of(j).get("version")} for j, e in zip(members, entities, strict=True)]
    return view


def _progress(job: dict[str, Any]) -> dict[str, Any]:
    """What the progress bar shows (also the JSON the page's script polls)."""
    return {"state": job["status"], "rows_done": job["rows_done"], "rows_total": job["rows_total"],
            "rows_per_second": job["rows_per_second"], "seconds_left": job["eta_seconds"], "error": job["error"]}


def _preview(path: Path, label: str) -> dict[str, Any]:
    with open(path, "rb") as raw:
        try:
            table = Table(path, raw, FileOptions(), label)
            rows = []
            for _n, values in table.rows():
                rows.append(values)
                if len(rows) >= PREVIEW_ROWS:
                    break
        except InputFileError as exc:
            return {"header": [], "rows": [], "guess": {}, "preview_error": exc.message}
    header = table.header
    guess = {f"{role}_column": find_column(header, None, role, label) for role in ("name", "country", "type", "id")}
    return {"header": header, "rows": rows, "guess": {k: (header[v] if v is not None else "") for k, v in guess.items()},
            "preview_error": None}


def _results(path: Path, *, status: str, min_score: str, q: str, page: int, per_page: int) -> dict[str, Any]:
    """One page of the screened file's rows that pass the filters, with counts by status."""
    floor = _score(min_score)
    per_page = per_page if per_page in PER_PAGE else PER_PAGE[0]
    needle = q.casefold()
    counts: dict[str, int] = {}
    kept: list[list[str]] = []
    matched = 0
    page = max(page, 1)
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        si, ti = header.index("match_status"), header.index("top_score")
        for row in reader:
            st = row[si]
            counts[st] = counts.get(st, 0) + 1
            if status and st != status:
                continue
            if floor is not None and (not row[ti] or float(row[ti]) < floor):
                continue
            if needle and not any(needle in c.casefold() for c in row):
                continue
            matched += 1
            if (page - 1) * per_page < matched <= page * per_page:
                kept.append(row)
    return {"header": header, "rows": kept, "counts": counts, "matched": matched, "page": page,
            "pages": max(1, -(-matched // per_page)), "status_col": si, "score_col": ti}
