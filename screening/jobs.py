"""Screening jobs: a file screened in the background, with its progress and result kept in the store.

The HTTP routes (`/v1/jobs`) and the web upload page are thin adapters over this API:

    runner = JobRunner(settings, holder, workflow)  # holder: a loaded screening.holder.Holder
    runner.start()                                   # settings.job_workers threads; picks up jobs left over
    job_id = runner.submit(path_or_bytes, FileOptions(name_column="company"), caller="key:procurement",
                           filename="book.csv")     # checks the header now: InputFileError if unreadable
    runner.status(job_id)       # -> dict: status, rows_done, rows_total, rows_per_second, eta_seconds, summary, ...
    runner.result_path(job_id)  # -> Path of the screened CSV (ConflictError until the job is done)
    runner.cancel(job_id)       # -> dict: the status after cancelling
    runner.close()              # running jobs stop at their next chunk and are queued again

A job is `queued`, `running`, then `done`, `failed` or `cancelled`. Its input and output files live
in `<jobs_dir>/<id>/`; its row lives in the store (table `jobs`), so any server process sharing the
database can report on it, and a job whose process died is resumed by the next runner that starts
(or, on another host, once its heartbeat is older than STALE_SECONDS): the rows already in its
output are kept, like `screen file --resume`. Every screened chunk is recorded in the audit trail
(channel `api-job`, the job id in the record's attributes) before it is written to the output.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa

from .batch import FileOptions, FileSummary, Table, estimate_rows, file_threshold, resume_point, screen_file
from .config import Settings
from .errors import ConflictError, InputFileError, NotFoundError, ScreeningError
from .holder import Holder
from .logs import request_id
from .service import Result, Service
from .store import as_utc, utcnow
from .store.schema import jobs as T
from .workflow import Workflow

log = logging.getLogger("screening.jobs")

__all__ = ["JobRunner", "FileOptions", "STATUSES", "FINISHED", "jobs_directory"]

STATUSES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")
STALE_SECONDS = 300  # a running job whose heartbeat is this old belongs to a dead process
POLL_SECONDS = 2.0  # how often an idle runner looks for queued jobs (others' submissions, left-over jobs)
INPUT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".parquet", ".pq")


# Rows per chunk of a job: each chunk is recorded, written and reported (progress, cancel), so a page's
# progress bar moves every 500 rows rather than every 2,000.
JOB_CHUNK = 500


class _Stop(Exception):
    """Raised from the progress hook to stop a job at a chunk boundary."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status  # "cancelled", or "queued" when the runner is shutting down


def jobs_directory(settings: Settings) -> Path:
    """Where job files go: settings.jobs_dir, else a `jobs` directory beside the SQLite file, else data/jobs."""
    if settings.jobs_dir:
        return Path(settings.jobs_dir)
    url = sa.engine.make_url(settings.db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).parent / "jobs"
    from .config import ROOT

    return ROOT / "data" / "jobs"


def input_suffix(filename: str | None) -> str:
    """The suffix the input is stored under: a known format's, else .csv (a long or odd name is never reused)."""
    suffix = Path(filename or "").suffix.lower()
    return suffix if suffix in INPUT_SUFFIXES else ".csv"


@dataclass
class _Progress:
    rows: int = 0
    clear: int = 0
    potential_match: int = 0
    error: int = 0


class JobRunner:
    """A bounded pool of threads running the store's screening jobs; see the module docstring."""

    def __init__(self, settings: Settings, holder: Holder, workflow: Workflow, *,
                 directory: Path | None = None, workers: int | None = None,
                 on_event: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.settings = settings
        self.holder = holder
        self.workflow = workflow
        self.store = workflow.store
        self.directory = Path(directory) if directory else jobs_directory(settings)
        self.workers = max(1, settings.job_workers if workers is None else workers)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.on_event = on_event  # ("started" | "done" | "failed" | "cancelled" | "rows", info): for metrics
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    # ---- the public API ---------------------------------------------------------------------------

    def submit(self, source: Path | str | bytes | IO[bytes], options: FileOptions | None = None, *,
               caller: str, filename: str | None = None) -> str:
        """Queue a file (a path, its bytes, or a binary stream); returns the job id.

        The file is copied into the job's directory and its header checked now (a missing name
        column or an unreadable file is an InputFileError before anything is queued).
        """
        options = options or FileOptions()
        if isinstance(source, str | Path):
            filename = filename or Path(source).name
        filename = (filename or "upload.csv")[:500]
        job_id = uuid.uuid4().hex
        folder = self.directory / job_id
        folder.mkdir(parents=True, exist_ok=False)
        input_path = folder / f"input{input_suffix(filename)}"
        try:
            if isinstance(source, bytes):
                input_path.write_bytes(source)
            elif isinstance(source, str | Path):
                shutil.copyfile(source, input_path)
            else:
                with open(input_path, "wb") as fh:
                    shutil.copyfileobj(source, fh, 1 << 20)
            self._check_input(input_path, options, filename)
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise InputFileError(f"{filename}: cannot store the upload ({exc.strerror})") from exc
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        now = utcnow()
        row = {"id": job_id, "status": "queued", "caller": caller, "filename": filename,
               "options": _options_dict(options), "input_path": str(input_path),
               "output_path": str(folder / "result.csv"), "rows_done": 0, "rows_total": estimate_rows(input_path),
               "clear": 0, "potential_match": 0, "errors": 0, "error": None, "watchlist_version": None,
               "owner": None, "cancel_requested": False, "runs": 0, "run_started_at": None, "run_rows_start": 0,
               "created_at": now, "started_at": None, "finished_at": None, "heartbeat_at": None}
        try:
            with self.store.begin() as conn:
                conn.execute(T.insert(), row)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        log.info("job %s queued: %s by %s", job_id, filename, caller)
        self._wake.set()
        return job_id

    def status(self, job_id: str) -> dict[str, Any]:
        """The job's state and progress (NotFoundError for an unknown id)."""
        return _view(self._row(job_id))

    def result_path(self, job_id: str) -> Path:
        """The screened CSV of a done job; ConflictError while it is queued or running, or when it ended otherwise."""
        row = self._row(job_id)
        if row["status"] != "done":
            what = f"{row['rows_done']} rows screened so far" if row["status"] in ("queued", "running") else \
                (row["error"] or "no result")
            raise ConflictError(f"job {job_id} is {row['status']} ({what}); its result is ready when it is done")
        path = Path(row["output_path"])
        if not path.exists():
            raise NotFoundError(f"job {job_id}: its result file is gone ({path.name})")
        return path

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job (a running one stops after its current chunk); a finished job is kept."""
        with self.store.begin() as conn:
            row = self._row(job_id, conn)
            queued = conn.execute(T.update().where(T.c.id == job_id, T.c.status == "queued")
                                  .values(status="cancelled", cancel_requested=True, finished_at=utcnow())).rowcount
            if not queued:  # running (or claimed just now): its runner stops at the next chunk
                conn.execute(T.update().where(T.c.id == job_id, T.c.status == "running")
                             .values(cancel_requested=True))
        if queued:
            self._remove_input(row)
            self._event("cancelled", row)
        return self.status(job_id)

    def list(self, *, caller: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest jobs first, optionally only one caller's."""
        q = sa.select(T).order_by(T.c.created_at.desc()).limit(limit)
        if caller is not None:
            q = q.where(T.c.caller == caller)
        with self.store.connect() as conn:
            return [_view(dict(r)) for r in conn.execute(q).mappings()]

    def counts(self) -> dict[str, int]:
        """Jobs by status (for metrics)."""
        with self.store.connect() as conn:
            found = dict(conn.execute(sa.select(T.c.status, sa.func.count()).group_by(T.c.status)).all())
        return {s: int(found.get(s, 0)) for s in STATUSES}

    # ---- the pool ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the pool; a job left `running` by a dead process is resumed by it."""
        if self._threads:
            return
        self._stop.clear()
        for i in range(self.workers):
            t = threading.Thread(target=self._loop, name=f"job-runner-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def close(self, timeout: float = 30) -> None:
        """Stop the pool: a running job stops after its current chunk and is queued again for the next start."""
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout=timeout)
        self._threads = []

    def run_next(self) -> str | None:
        """Claim and run one job in this thread; its id, or None when none was waiting (for tests and the CLI)."""
        row = self._claim()
        if row is None:
            return None
        self._run(row)
        return row["id"]

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_next()
            except Exception:  # noqa: BLE001 - the store is down, say: keep the thread, try again later
                log.exception("job runner: cannot claim a job")
                ran = None
            if ran is None:
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()

    def _claim(self) -> dict[str, Any] | None:
        now = utcnow()
        with self.store.begin() as conn:
            rows = conn.execute(sa.select(T).where(T.c.status.in_(("queued", "running")))
                                .order_by(T.c.created_at).limit(50)).mappings().all()
            for r in rows:
                if r["status"] == "running" and not self._orphaned(dict(r), now):
                    continue
                owner_is = T.c.owner.is_(None) if r["owner"] is None else T.c.owner == r["owner"]
                claimed = conn.execute(
                    T.update().where(T.c.id == r["id"], T.c.status == r["status"], owner_is)
                    .values(status="running", owner=self.owner, run_started_at=now, heartbeat_at=now,
                            started_at=r["started_at"] or now, runs=r["runs"] + 1, run_rows_start=r["rows_done"]))
                if claimed.rowcount == 1:
                    return {**dict(r), "status": "running", "owner": self.owner, "runs": r["runs"] + 1}
        return None

    def _orphaned(self, row: dict[str, Any], now: datetime) -> bool:
        """A running job whose process is gone: dead on this host, or silent for STALE_SECONDS."""
        beat = as_utc(row["heartbeat_at"])
        if beat is None or now - beat > timedelta(seconds=STALE_SECONDS):
            return True
        host, _, rest = (row["owner"] or "").partition(":")
        pid = rest.partition(":")[0]
        if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    # ---- running one job --------------------------------------------------------------------------

    def _run(self, row: dict[str, Any]) -> None:
        token = request_id.set(f"job-{row['id']}")
        try:
            self._run_job(row)
        finally:
            request_id.reset(token)

    def _run_job(self, row: dict[str, Any]) -> None:
        job_id = row["id"]
        try:
            service = self.holder.get()
            self._update(job_id, watchlist_version=service.watchlist.version)
            self._event("started", row)
            log.info("job %s running (run %d): %s", job_id, row["runs"], row["filename"])
            summary = self._screen(row, service)
        except _Stop as stop:
            if stop.status == "cancelled":
                self._finish(row, "cancelled")
            else:  # shutting down: the next start resumes it
                self._update(job_id, status="queued", owner=None)
                log.info("job %s interrupted by shutdown; queued to resume", job_id)
            return
        except ScreeningError as exc:
            self._finish(row, "failed", error=exc.message)
            return
        except Exception as exc:  # noqa: BLE001 - a job never takes its thread down; the reason is kept
            log.exception("job %s failed", job_id)
            self._finish(row, "failed", error=f"internal error: {type(exc).__name__}")
            return
        self._finish(row, "done", summary=summary)

    def _screen(self, row: dict[str, Any], service: Service) -> FileSummary:
        job_id, label = row["id"], row["filename"]
        options = FileOptions(**row["options"])
        file_threshold(service, options)
        source, output = Path(row["input_path"]), Path(row["output_path"])
        summary = FileSummary()
        if output.exists() and output.stat().st_size:  # a resumed job: keep the rows already written
            with open(source, "rb") as raw:
                header = Table(source, raw, options, label).output_header()
            summary = resume_point(output, header)
            summary.resumed = summary.rows
        progress = _Progress(summary.rows, summary.clear, summary.potential_match, summary.error)
        self._update(job_id, rows_done=progress.rows, clear=progress.clear,
                     potential_match=progress.potential_match, errors=progress.error)

        def record(results: list[Result], threshold: float) -> list[Result]:  # written as recorded (suppression)
            start = time.perf_counter()
            outcome = self.workflow.record(service, results, threshold=threshold, caller=row["caller"],
                                           channel="api-job", attributes={"job_id": job_id})
            self._event("recorded", {"screened": len(results), "hits": sum(1 for r in results if r.hits),
                                     "seconds": time.perf_counter() - start})
            return outcome.results

        def on_chunk(n: int) -> None:
            progress.rows, progress.clear = summary.rows, summary.clear
            progress.potential_match, progress.error = summary.potential_match, summary.error
            self._event("rows", {**row, "rows": n})
            state = self._update(job_id, rows_done=progress.rows, clear=progress.clear,
                                 potential_match=progress.potential_match, errors=progress.error,
                                 heartbeat_at=utcnow())
            if state.get("cancel_requested"):
                raise _Stop("cancelled")
            if self._stop.is_set():
                raise _Stop("queued")

        with open(output, "a", newline="", encoding="utf-8") as sink:
            return screen_file(service, source, sink, options, label=label, progress=on_chunk,
                               skip_rows=summary.rows, write_header=sink.tell() == 0, summary=summary,
                               on_results=record, chunk_size=JOB_CHUNK)

    def _finish(self, row: dict[str, Any], status: str, *, summary: FileSummary | None = None,
                error: str | None = None) -> None:
        values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "owner": None, "error": error}
        if summary is not None:
            values.update(rows_done=summary.rows, rows_total=summary.rows, clear=summary.clear,
                          potential_match=summary.potential_match, errors=summary.error)
        self._update(row["id"], **values)
        self._remove_input(row)
        if status == "cancelled":
            Path(row["output_path"]).unlink(missing_ok=True)
        log.info("job %s %s%s", row["id"], status, f": {error}" if error and status == "failed" else "")
        self._event(status, row)

    # ---- rows -------------------------------------------------------------------------------------

    def _row(self, job_id: str, conn: sa.Connection | None = None) -> dict[str, Any]:
        q = sa.select(T).where(T.c.id == job_id)
        if conn is None:
            with self.store.connect() as c:
                found = c.execute(q).mappings().first()
        else:
            found = conn.execute(q).mappings().first()
        if found is None:
            raise NotFoundError(f"no job {job_id}")
        return dict(found)

    def _update(self, job_id: str, **values: Any) -> dict[str, Any]:
        """Set columns of a job; returns its cancel flag (read in the same transaction)."""
        with self.store.begin() as conn:
            if values:
                conn.execute(T.update().where(T.c.id == job_id).values(**values))
            flag = conn.execute(sa.select(T.c.cancel_requested).where(T.c.id == job_id)).scalar()
        return {"cancel_requested": bool(flag)}

    def _check_input(self, path: Path, options: FileOptions, label: str) -> None:
        service = self.holder.get()
        file_threshold(service, options)
        with open(path, "rb") as raw:
            Table(path, raw, options, label).layout(options, 0.0)

    @staticmethod
    def _remove_input(row: dict[str, Any]) -> None:
        Path(row["input_path"]).unlink(missing_ok=True)

    def _event(self, kind: str, row: dict[str, Any]) -> None:
        if self.on_event is not None:
            try:
                self.on_event(kind, row)
            except Exception:  # noqa: BLE001 - metrics never break a job
                log.exception("job event hook failed")


def _options_dict(options: FileOptions) -> dict[str, Any]:
    known = {f.name for f in fields(FileOptions)}
    return {k: v for k, v in asdict(options).items() if k in known}


def _iso(value: datetime | None) -> str | None:
    v = as_utc(value)
    return v.isoformat().replace("+00:00", "Z") if v else None


def _view(row: dict[str, Any]) -> dict[str, Any]:
    """A job row as the API shows it, with its rate and the time left (None when unknown)."""
    rate = eta = None
    started = as_utc(row["run_started_at"])
    if row["status"] == "running" and started is not None:
        elapsed = (utcnow() - started).total_seconds()
        done_here = row["rows_done"] - row["run_rows_start"]
        if elapsed > 0 and done_here > 0:
            rate = round(done_here / elapsed, 1)
            if row["rows_total"] is not None:
                eta = round(max(row["rows_total"] - row["rows_done"], 0) / rate, 1)
    elif row["status"] == "done" and row["started_at"] and row["finished_at"]:
        elapsed = (as_utc(row["finished_at"]) - as_utc(row["started_at"])).total_seconds()  # type: ignore[operator]
        rate = round(row["rows_done"] / elapsed, 1) if elapsed > 0 else None
        eta = 0.0
    return {
        "id": row["id"], "status": row["status"], "filename": row["filename"], "caller": row["caller"],
        "rows_done": row["rows_done"], "rows_total": row["rows_total"], "rows_per_second": rate,
        "eta_seconds": eta,
        "summary": {"clear": row["clear"], "potential_match": row["potential_match"], "error": row["errors"]},
        "error": row["error"], "watchlist_version": row["watchlist_version"], "options": row["options"],
        "runs": row["runs"], "cancel_requested": bool(row["cancel_requested"]),
        "created_at": _iso(row["created_at"]), "started_at": _iso(row["started_at"]),
        "finished_at": _iso(row["finished_at"]),
    }


def wait(runner: JobRunner, job_id: str, *, timeout: float = 60, until: tuple[str, ...] = FINISHED) -> dict[str, Any]:
    """Poll a job until its status is one of `until` (for tests and scripts); returns its last status."""
    deadline = time.monotonic() + timeout
    while True:
        state = runner.status(job_id)
        if state["status"] in until or time.monotonic() > deadline:
            return state
        time.sleep(0.05)
