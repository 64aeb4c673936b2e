"""`screen serve --workers 2`: two worker processes answer, each mapping the same artifact with no page copied."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.test_e2e_server import SCREEN, free_port

STARTUP_TIMEOUT = 60.0


def _read(path: Path) -> str:
    """A /proc file's text, or "" when its process or thread has gone meanwhile (a worker starting or ending)."""
    try:
        return path.read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def children(pid: int) -> list[int]:
    kids = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return []
    for task in tasks:
        kids += [int(c) for c in _read(task / "children").split()]
    return kids


def artifact_mappings(pid: int, artifact: Path) -> list[dict[str, int]]:
    """The artifact's mappings in /proc/PID/smaps, each as its counters in kB."""
    out: list[dict[str, int]] = []
    current: dict[str, int] | None = None
    for line in _read(Path(f"/proc/{pid}/smaps")).splitlines():
        head = line.split()
        if "-" in head[0] and not line.endswith("kB"):  # a mapping's first line
            current = {} if line.endswith(str(artifact)) else None
            if current is not None:
                out.append(current)
        elif current is not None and line.endswith("kB"):
            current[head[0].rstrip(":")] = int(head[1])
    return out


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_two_workers_share_the_mapped_artifact(tmp_path: Path, seed_artifact: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env.update(SCREENING_AUTH="off", SCREENING_DB_URL=f"sqlite:///{tmp_path / 'screening.db'}")
    log = (tmp_path / "server.log").open("w+")
    proc = subprocess.Popen([str(SCREEN), "serve", "--port", str(port), "--workers", "2", "--watchlist",
                             str(seed_artifact)], stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10.0, trust_env=False)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        # Ready when both workers have loaded the watchlist: each maps the artifact once, with pages resident.
        # smaps is read while workers start (a worker may be mid-load, or a helper process come and go), so the
        # condition is polled until it holds; a copied page, once there, would stay, so the check after it is final.
        while True:
            assert proc.poll() is None, f"server exited with {proc.returncode}: {Path(log.name).read_text()}"
            maps = {p: artifact_mappings(p, seed_artifact) for p in children(proc.pid)}
            maps = {p: m for p, m in maps.items() if m}
            try:
                if (len(maps) == 2 and all(len(m) == 1 and m[0].get("Rss", 0) > 0 for m in maps.values())
                        and client.get("/readyz", timeout=1.0).status_code == 200):
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (f"not ready after {STARTUP_TIMEOUT} s: {maps}; "
                                                 f"{Path(log.name).read_text()}")
            time.sleep(0.1)

        for pid, m in maps.items():
            # copy-on-write that nothing writes: every resident page is the page cache's, none copied
            assert m[0]["Private_Dirty"] == 0 and m[0]["Anonymous"] == 0, (pid, m)
        for _ in range(6):  # whichever worker answers gives the same result
            r = client.get("/v1/screen", params={"name": "Sino Electronics Co., Ltd"})
            assert r.status_code == 200
            assert r.json()["results"][0]["hits"][0]["entity_id"] == "seed:sinno-electronics"
    finally:
        client.close()
        os.killpg(proc.pid, signal.SIGTERM)  # the server's own session: it and its workers
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
