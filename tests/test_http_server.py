"""Issue 15 against a real `screen serve` process: probes under a locked database, a client that leaves,
a job that survives kill -9 of its server, and the auth-off warning printed once."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from screening.batch import FileOptions, screen_file
from screening.config import Settings
from screening.service import Service
from tests.test_e2e_server import SCREEN, free_port

STARTUP_TIMEOUT = 60.0
WAIT = 60.0  # the longest any condition below is waited for (a deadline, not a measured duration)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and /proc")


class Server:
    def __init__(self, tmp: Path, artifact: Path, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / f"server-{self.port}.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
        self.env.update(SCREENING_AUTH="off", SCREENING_DB_URL=f"sqlite:///{tmp / 'screening.db'}",
                        SCREENING_RELOAD_INTERVAL="0", **env)
        self.artifact = artifact
        self.proc: subprocess.Popen | None = None

    def start(self) -> Server:
        log = self.log_path.open("a")
        self.proc = subprocess.Popen([str(SCREEN), "serve", "--port", str(self.port), "--watchlist",
                                      str(self.artifact)], stdout=log, stderr=subprocess.STDOUT, env=self.env)
        client = httpx.Client(base_url=self.base, timeout=5.0, trust_env=False)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert self.proc.poll() is None, f"server exited: {self.log()}"
            try:
                if client.get("/readyz", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"not ready: {self.log()}"
            time.sleep(0.1)

    def client(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=timeout, trust_env=False)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def serving(tmp: Path, artifact: Path, **env: str) -> Iterator[Server]:
    server = Server(tmp, artifact, **env).start()
    try:
        yield server
    finally:
        server.stop()


def until(condition, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def book(rows: int) -> bytes:
    names = ["Sinno Electronics", "Siemens AG", "VTB Bank PJSC", "Acme Trading GmbH", "Norinco", ""]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "company"])
    for i in range(rows):
        w.writerow([f"C{i}", names[i % len(names)]])
    return buf.getvalue().encode()


# ---- 6: /healthz while another process holds the database's write lock ----------------------------

def test_healthz_answers_while_another_process_holds_the_write_lock(tmp_path: Path, seed_artifact: Path) -> None:
    with serving(tmp_path, seed_artifact, SCREENING_THREADS="2") as server, server.client() as client:
        assert client.get("/v1/screen", params={"name": "Siemens AG"}).status_code == 200  # schema in place
        db = tmp_path / "screening.db"
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sqlite3, sys\n"
             f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
             "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); sys.stdin.readline()\n"
             "c.execute('ROLLBACK')"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "locked"
            results: list[int] = []

            def screen(i: int) -> None:
                with server.client(timeout=120) as c:
                    results.append(c.get("/v1/screen", params={"name": f"Siemens AG {i}"}).status_code)

            threads = [threading.Thread(target=screen, args=(i,)) for i in range(6)]
            for t in threads:
                t.start()
            # all six are in the server, its request threads waiting for the audit commit behind the lock
            # (7: the six and the /metrics request asking)
            until(lambda: 'screening_http_requests_in_progress{method="GET"} 7.0' in client.get("/metrics").text,
                  "the six screenings to be in progress")
            for _ in range(5):
                r = client.get("/healthz", timeout=10)
                assert r.status_code == 200 and r.json() == {"status": "ok"}
            assert results == []  # the screenings are still waiting: healthz did not need them
            ready = client.get("/readyz", timeout=10)
            assert ready.status_code == 200  # reads still answer in WAL mode: ready, just slow to write
        finally:
            holder.stdin.write("\n")
            holder.stdin.flush()
            holder.wait(timeout=30)
        for t in threads:
            t.join(timeout=120)
        assert results == [200] * 6  # released: each answered, with its record
        audited = [json.loads(line) for line in client.get("/v1/audit").text.splitlines()]
        assert len(audited) == 7


# ---- 5: an upload whose client leaves stops screening --------------------------------------------

def test_screen_file_stops_when_the_client_disconnects(tmp_path: Path, seed_artifact: Path) -> None:
    rows = 60_000  # 30 chunks
    data = book(rows)
    with serving(tmp_path, seed_artifact) as server:
        boundary = "xyzzy"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
                f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        head = (f"POST /v1/screen/file HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; "
                f"boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(head + body)
        db = sqlite3.connect(tmp_path / "screening.db")
        until(lambda: db.execute("SELECT count(*) FROM screenings").fetchone()[0] > 0, "the first chunk")
        sock.close()  # the client leaves
        until(lambda: "screening stopped" in server.log() and '"status": 499' in server.log(), "the server to notice")
        recorded = db.execute("SELECT count(*) FROM screenings").fetchone()[0]
        assert 0 < recorded < rows * 5 // 6  # stopped well before the end (every 6th row is an error row)
        with server.client() as client:  # and the server is fine
            assert client.get("/v1/screen", params={"name": "Norinco"}).status_code == 200
        db.close()


# ---- jobs over a real server: submit, kill -9, restart, resumed -----------------------------------

def test_a_job_survives_kill_9_of_its_server(tmp_path: Path, seed_artifact: Path) -> None:
    rows = 40_000
    data = book(rows)
    src = tmp_path / "book.csv"
    src.write_bytes(data)
    expected = io.StringIO()
    screen_file(Service(Settings(watchlist=seed_artifact)), src, expected, FileOptions(name_column="company"),
                label="book.csv")
    server = Server(tmp_path, seed_artifact).start()
    try:
        with server.client() as client:
            r = client.post("/v1/jobs", files={"file": ("book.csv", data, "text/csv")},
                            data={"name_column": "company"})
            assert r.status_code == 202, r.text
            job = r.json()["id"]
            state = until(lambda: (s := client.get(f"/v1/jobs/{job}").json())["rows_done"] > 0 and s, "progress")
            assert state["status"] == "running" and state["rows_total"] == rows
        server.stop(signal.SIGKILL)
        server.start()  # same database, same jobs directory
        with server.client() as client:
            state = until(lambda: (s := client.get(f"/v1/jobs/{job}").json())["status"] in ("done", "failed") and s,
                          "the resumed job")
            assert state["status"] == "done", state
            r = client.get(f"/v1/jobs/{job}/result")
            assert r.status_code == 200 and r.text == expected.getvalue()
            audited = [json.loads(x) for x in client.get("/v1/audit").text.splitlines()]
            assert {a["attributes"]["job_id"] for a in audited} == {job}
            assert len(audited) >= rows - state["summary"]["error"]  # every screened row has its record
    finally:
        server.stop()


# ---- 16: SCREENING_AUTH=off warns once ----------------------------------------------------------

def test_screen_serve_warns_once_about_auth_off(tmp_path: Path, seed_artifact: Path) -> None:
    with serving(tmp_path, seed_artifact) as server:
        pass
    assert server.log().count("SCREENING_AUTH=off") == 1, server.log()
    lines = [x for x in server.log().splitlines() if x.startswith("{")]
    assert lines and all("request_id" in json.loads(x) for x in lines)  # JSON logs, each with its request id
