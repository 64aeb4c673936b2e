"""End to end: `screen serve` as a real process on a free port, called over HTTP with httpx."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

# cli/main.py runs app() under __main__, so `python -m cli.main` is not the entry point: use the script.
SCREEN = Path(sys.executable).parent / "screen"
STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_end_to_end(tmp_path: Path, seed_artifact: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env.update(SCREENING_AUTH="off", SCREENING_DB_URL=f"sqlite:///{tmp_path / 'screening.db'}")
    log = (tmp_path / "server.log").open("w+")
    proc = subprocess.Popen([str(SCREEN), "serve", "--port", str(port), "--watchlist", str(seed_artifact)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    # trust_env=False: a proxy configured in the environment must not intercept 127.0.0.1
    client = httpx.Client(base_url=base, timeout=10.0, trust_env=False)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert proc.poll() is None, f"server exited with {proc.returncode}: {Path(log.name).read_text()}"
            try:
                if client.get("/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"not ready after {STARTUP_TIMEOUT} s: {Path(log.name).read_text()}"
            time.sleep(0.1)

        ready = client.get("/readyz").json()
        info = client.get("/v1/watchlist").json()
        assert info["path"] == str(seed_artifact) and ready["watchlist"] == info["version"]

        r = client.get("/v1/screen", params={"name": "Sino Electronics Co., Ltd"})
        assert r.status_code == 200
        (result,) = r.json()["results"]
        assert result["status"] == "potential_match"
        assert result["hits"][0]["entity_id"] == "seed:sinno-electronics"

        r = client.post("/v1/screen", json={"queries": [{"name": "Norinco", "ref": "a"},
                                                        {"name": "Toyota Motor Corporation", "ref": "b"}]})
        assert r.status_code == 200
        results = r.json()["results"]
        assert [(x["ref"], x["status"]) for x in results] == [("a", "potential_match"), ("b", "clear")]
        assert results[0]["hits"][0]["entity_id"] == "seed:china-north-industries-group"

        r = client.post("/v1/screen", json={"queries": [{"name": " "}]})
        assert r.status_code == 422 and r.json()["detail"] == "queries[0]: name is empty"

        r = client.post("/v1/screen/file", files={"file": ("c.csv", b"name\nBelOMO\nAcme\n", "text/csv")})
        assert r.status_code == 200
        assert [line.split(",")[1] for line in r.text.splitlines()[1:]] == ["potential_match", "clear"]
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
