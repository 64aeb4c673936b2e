"""Screening jobs: the core runner (screening.jobs) and the /v1/jobs routes through TestClient.

The input is the seed watchlist's names mixed with clear ones and error rows, long enough for
several chunks (jobs.JOB_CHUNK rows each) so a job can be stopped and resumed between chunks.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from wfhelp import db_url  # noqa: F401 - a fixture: SQLite, and PostgreSQL when one is given

from api.app import create_app
from screening.batch import FileOptions, screen_file
from screening.config import DEFAULT_WATCHLIST, Settings
from screening.errors import ConflictError, InputFileError, NotFoundError
from screening.holder import Holder
from screening.jobs import JOB_CHUNK, JobRunner, wait
from screening.service import Service
from screening.store.schema import jobs as T
from screening.workflow import Workflow

NAMES = ["Sinno Electronics", "Siemens AG", "", "VTB Bank PJSC", "Acme Trading GmbH", "Norinco"]
ROWS = JOB_CHUNK * 2 + 500  # three chunks


def book(rows: int = ROWS) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "company", "country"])
    for i in range(rows):
        w.writerow([f"C{i}", NAMES[i % len(NAMES)], "HK" if i % 2 else ""])
    return buf.getvalue().encode()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0, auth="off",
                    db_url=f"sqlite:///{tmp_path / 'screening.db'}")


@pytest.fixture
def expected(tmp_path: Path, settings: Settings) -> str:
    """What `screen file --name-column company` writes for book(): the result every job must equal."""
    path = tmp_path / "book.csv"
    path.write_bytes(book())
    out = io.StringIO()
    screen_file(Service(settings), path, out, FileOptions(name_column="company"), label="book.csv")
    return out.getvalue()


def make_runner(settings: Settings) -> JobRunner:
    holder = Holder(settings)
    holder.load()
    wf = Workflow(settings)
    wf.upgrade()
    return JobRunner(settings, holder, wf)


def audit_rows(wf: Workflow) -> list[dict]:
    return [r for r in wf.audit_rows() if r["channel"] == "api-job"]


# ---- the core API --------------------------------------------------------------------------------

def test_submit_run_and_result(settings: Settings, expected: str) -> None:
    runner = make_runner(settings)
    job = runner.submit(book(), FileOptions(name_column="company"), caller="key:tester", filename="book.csv")
    state = runner.status(job)
    assert state["status"] == "queued" and state["rows_total"] == ROWS and state["rows_done"] == 0
    with pytest.raises(ConflictError, match="is queued"):
        runner.result_path(job)
    assert runner.run_next() == job and runner.run_next() is None
    state = runner.status(job)
    assert state["status"] == "done" and state["rows_done"] == ROWS and state["error"] is None
    statuses = [r["match_status"] for r in csv.DictReader(io.StringIO(expected))]
    assert state["summary"] == {s: statuses.count(s) for s in ("clear", "potential_match", "error")}
    assert state["summary"]["error"] > 0 and state["summary"]["potential_match"] > 0
    assert runner.result_path(job).read_text(encoding="utf-8") == expected
    assert not Path(runner.directory / job / "input.csv").exists()  # the input goes once it is screened
    # audited like any screening: every screenable row once, with the caller and the job id
    records = audit_rows(runner.workflow)
    assert len(records) == ROWS - state["summary"]["error"]
    assert {r["caller"] for r in records} == {"key:tester"}
    assert {r["attributes"]["job_id"] for r in records} == {job}


def test_submit_checks_the_header_first(settings: Settings) -> None:
    runner = make_runner(settings)
    with pytest.raises(InputFileError, match="book.csv: no name column"):
        runner.submit(b"id,code\n1,2\n", caller="x", filename="book.csv")
    with pytest.raises(InputFileError, match="no name column 'nope'"):
        runner.submit(book(3), FileOptions(name_column="nope"), caller="x", filename="book.csv")
    assert runner.list() == [] and list(runner.directory.iterdir()) == []
    with pytest.raises(NotFoundError):
        runner.status("0" * 32)


def test_cancel_queued_and_running(settings: Settings) -> None:
    runner = make_runner(settings)
    queued = runner.submit(book(10), FileOptions(name_column="company"), caller="x", filename="a.csv")
    assert runner.cancel(queued)["status"] == "cancelled"
    assert runner.run_next() is None

    running = runner.submit(book(), FileOptions(name_column="company"), caller="x", filename="b.csv")
    runner.on_event = lambda kind, row: runner.cancel(row["id"]) if kind == "rows" else None
    runner.run_next()
    state = runner.status(running)
    assert state["status"] == "cancelled" and state["rows_done"] == JOB_CHUNK  # stopped after its first chunk
    with pytest.raises(ConflictError, match="is cancelled"):
        runner.result_path(running)


def test_a_job_stopped_by_shutdown_resumes_in_the_next_runner(settings: Settings, expected: str) -> None:
    first = make_runner(settings)
    job = first.submit(book(), FileOptions(name_column="company"), caller="x", filename="book.csv")
    first.on_event = lambda kind, row: first._stop.set() if kind == "rows" else None
    first.run_next()
    assert first.status(job)["status"] == "queued" and first.status(job)["rows_done"] == JOB_CHUNK

    second = make_runner(settings)  # a restarted server
    assert second.run_next() == job
    state = second.status(job)
    assert state["status"] == "done" and state["runs"] == 2
    assert second.result_path(job).read_text(encoding="utf-8") == expected
    assert len(audit_rows(second.workflow)) == ROWS - state["summary"]["error"]  # no row recorded twice


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    return int(proc.stdout)


def test_a_job_whose_process_died_resumes_from_its_partial_output(settings: Settings, expected: str) -> None:
    runner = make_runner(settings)
    job = runner.submit(book(), FileOptions(name_column="company"), caller="x", filename="book.csv")
    # what a kill -9 mid-run leaves: status running under a dead process, the output cut mid-row
    lines = expected.splitlines(keepends=True)
    out = runner.directory / job / "result.csv"
    out.write_text("".join(lines[:JOB_CHUNK + 1]) + lines[JOB_CHUNK + 1][:7], encoding="utf-8")
    with runner.store.begin() as conn:
        conn.execute(T.update().where(T.c.id == job).values(
            status="running", owner=f"{socket.gethostname()}:{dead_pid()}:gone", runs=1,
            heartbeat_at=sa.func.now(), rows_done=JOB_CHUNK))

    with TestClient(create_app(settings)) as client:  # the server restarts; its runner resumes the job
        state = client.get(f"/v1/jobs/{job}").json()
        state = wait(client.app.state.jobs, job)
        assert state["status"] == "done", state
        assert state["runs"] == 2
        r = client.get(f"/v1/jobs/{job}/result")
        assert r.status_code == 200 and r.text == expected


def test_a_job_running_in_a_live_process_is_left_alone(settings: Settings) -> None:
    runner = make_runner(settings)
    job = runner.submit(book(10), FileOptions(name_column="company"), caller="x", filename="a.csv")
    with runner.store.begin() as conn:
        conn.execute(T.update().where(T.c.id == job).values(
            status="running", owner=f"{socket.gethostname()}:{os.getppid()}:other", heartbeat_at=sa.func.now()))
    assert runner.run_next() is None


# ---- over HTTP -----------------------------------------------------------------------------------

@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def test_http_job_lifecycle(client: TestClient, expected: str) -> None:
    r = client.post("/v1/jobs", files={"file": ("контрагенты.csv", book(), "text/csv")},
                    data={"name_column": "company"})
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] in ("queued", "running") and body["filename"] == "контрагенты.csv"
    job = body["id"]
    state = wait(client.app.state.jobs, job)
    assert state["status"] == "done"
    r = client.get(f"/v1/jobs/{job}")
    status = r.json()
    assert status["rows_done"] == status["rows_total"] == ROWS and status["eta_seconds"] == 0
    assert set(status) >= {"id", "status", "rows_done", "rows_total", "rows_per_second", "eta_seconds", "summary",
                           "error"}
    r = client.get(f"/v1/jobs/{job}/result")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text == expected
    assert "filename*=UTF-8''%D0%BA" in r.headers["content-disposition"]
    assert [j["id"] for j in client.get("/v1/jobs").json()] == [job]
    assert client.delete(f"/v1/jobs/{job}").json()["status"] == "done"  # a finished job is kept


def test_http_job_errors(client: TestClient) -> None:
    r = client.post("/v1/jobs", files={"file": ("book.csv", b"id,code\n1,2\n", "text/csv")})
    assert r.status_code == 400 and "no name column" in r.json()["detail"]
    assert client.get("/v1/jobs/nope").status_code == 404
    assert client.get("/v1/jobs/nope/result").status_code == 404
    assert client.delete("/v1/jobs/nope").status_code == 404
    r = client.post("/v1/jobs", files={"file": ("book.csv", book(5), "text/csv")}, data={"threshold": "2"})
    assert r.status_code == 422


def test_http_jobs_are_private_to_their_caller(tmp_path: Path) -> None:
    settings = Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0, db_url=f"sqlite:///{tmp_path / 's.db'}")
    app = create_app(settings)
    with TestClient(app) as client:
        wf: Workflow = app.state.workflow
        keys = {n: {"X-API-Key": wf.create_key(n, role)[1]}
                for n, role in (("alice", "screener"), ("bob", "screener"), ("root", "admin"))}
        job = client.post("/v1/jobs", files={"file": ("a.csv", book(5), "text/csv")},
                          data={"name_column": "company"}, headers=keys["alice"]).json()["id"]
        assert client.get(f"/v1/jobs/{job}", headers=keys["bob"]).status_code == 404
        assert client.delete(f"/v1/jobs/{job}", headers=keys["bob"]).status_code == 404
        assert client.get("/v1/jobs", headers=keys["bob"]).json() == []
        assert client.get(f"/v1/jobs/{job}", headers=keys["root"]).status_code == 200
        state = wait(app.state.jobs, job)
        assert state["caller"] == "key:alice" and state["status"] == "done"
        assert client.get(f"/v1/jobs/{job}/result", headers=keys["alice"]).status_code == 200
        assert json.loads(client.get("/v1/jobs", headers=keys["root"]).text)[0]["id"] == job


def test_a_job_on_each_backend(tmp_path: Path, db_url: str, expected: str) -> None:  # noqa: F811
    settings = Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0, auth="off", db_url=db_url,
                        jobs_dir=str(tmp_path / "jobs"))
    first = make_runner(settings)
    job = first.submit(book(), FileOptions(name_column="company"), caller="x", filename="book.csv")
    first.on_event = lambda kind, row: first._stop.set() if kind == "rows" else None
    first.run_next()  # stopped after a chunk, queued again
    second = make_runner(settings)
    assert second.run_next() == job and second.run_next() is None
    assert second.status(job)["status"] == "done" and second.status(job)["runs"] == 2
    assert second.result_path(job).read_text(encoding="utf-8") == expected
    assert second.counts()["done"] == 1


def test_jobs_dir_setting(tmp_path: Path, settings: Settings) -> None:
    runner = make_runner(replace(settings, jobs_dir=str(tmp_path / "elsewhere")))
    job = runner.submit(book(3), FileOptions(name_column="company"), caller="x", filename="a.csv")
    assert (tmp_path / "elsewhere" / job).is_dir()
