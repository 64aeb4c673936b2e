"""End to end: `screen serve` as a real process on a free port, called over HTTP with httpx."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from serveproc import SCREEN, free_port, serving  # noqa: F401 - SCREEN, free_port: used by other server tests

STARTUP_TIMEOUT = 30.0


def test_serve_end_to_end(tmp_path: Path, seed_artifact: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env.update(SCREENING_AUTH="off", SCREENING_DB_URL=f"sqlite:///{tmp_path / 'screening.db'}")
    with serving(["--watchlist", str(seed_artifact)], env, tmp_path / "server.log", timeout=STARTUP_TIMEOUT) as base, \
            httpx.Client(base_url=base, timeout=10.0, trust_env=False) as client:
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
