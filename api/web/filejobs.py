"""Files screened for the web page as background jobs: submit, status, result_path, cancel.

A stand-in with the job runner's interface (screening/jobs.py, from the hostile-input issue),
used while that runner is not in this tree: one worker thread per server process runs
`screening.batch.screen_to_path`, the same function as `screen file`, and keeps each job's state
in a JSON file beside its output, so a reload of the page (or a later request) finds it again.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from screening.batch import FileOptions, estimate_rows, screen_to_path
from screening.errors import NotFoundError, ScreeningError
from screening.service import Result, Service


class Cancelled(Exception):
    pass


class FileJobs:
    def __init__(self, workdir: Path, *, workers: int = 1) -> None:
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="web-job")
        self._lock = threading.Lock()
        self._cancel: set[str] = set()

    def _meta_path(self, job_id: str) -> Path:
        if not job_id.isalnum():
            raise NotFoundError(f"no job {job_id!r}")
        return self.dir / job_id / "job.json"

    def _write(self, job_id: str, meta: dict[str, Any]) -> None:
        path = self._meta_path(job_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, path)

    def submit(self, service: Service, path: Path, options: FileOptions, *, owner: str, label: str,
               rows_total: int | None = None,
               on_results: Callable[[list[Result], float], None] | None = None) -> str:
        job_id = secrets.token_hex(8)
        (self.dir / job_id).mkdir(parents=True)
        meta = {"id": job_id, "owner": owner, "label": label, "state": "queued", "rows_done": 0,
                "rows_total": rows_total if rows_total is not None else estimate_rows(path),
                "submitted_at": time.time(), "started_at": None, "finished_at": None, "error": None,
                "summary": None, "options": asdict(options)}
        self._write(job_id, meta)
        self._pool.submit(self._run, job_id, service, Path(path), options, on_results)
        return job_id

    def _run(self, job_id: str, service: Service, path: Path, options: FileOptions,
             on_results: Callable[[list[Result], float], None] | None) -> None:
        meta = self.status(job_id)
        if job_id in self._cancel:
            meta.update(state="cancelled", finished_at=time.time())
            self._write(job_id, meta)
            return
        meta.update(state="running", started_at=time.time())
        self._write(job_id, meta)
        done = 0

        def progress(n: int) -> None:
            nonlocal done
            done += n
            if job_id in self._cancel:
                raise Cancelled()
            with self._lock:
                m = self.status(job_id)
                m["rows_done"] = done
                self._write(job_id, m)

        try:
            summary = screen_to_path(service, path, self.result_path(job_id, finished=False), options,
                                     progress=progress, on_results=on_results)
            meta.update(state="done", rows_done=summary.rows, rows_total=summary.rows,
                        summary={"rows": summary.rows, "clear": summary.clear, "potential_match": summary.potential_match,
                                 "error": summary.error, "seconds": round(summary.seconds, 3)})
        except Cancelled:
            meta.update(state="cancelled", rows_done=done)
        except ScreeningError as exc:
            meta.update(state="failed", error=exc.message, rows_done=done)
        except Exception as exc:  # noqa: BLE001 - a job's failure is shown on its page, never lost
            meta.update(state="failed", error=f"{type(exc).__name__}: {exc}", rows_done=done)
        meta["finished_at"] = time.time()
        with self._lock:
            self._write(job_id, meta)
        self._cancel.discard(job_id)

    def status(self, job_id: str) -> dict[str, Any]:
        try:
            return json.loads(self._meta_path(job_id).read_text())
        except FileNotFoundError:
            raise NotFoundError(f"no job {job_id!r}") from None

    def result_path(self, job_id: str, *, finished: bool = True) -> Path:
        out = self.dir / job_id / "screened.csv"
        if finished and self.status(job_id)["state"] != "done":
            raise NotFoundError(f"job {job_id} has no result yet")
        return out

    def cancel(self, job_id: str) -> None:
        if self.status(job_id)["state"] in ("queued", "running"):
            self._cancel.add(job_id)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
