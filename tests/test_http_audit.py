"""The audit trail under concurrent HTTP load, through a real `screen serve` (tests/serveproc.py), on SQLite and
(when SCREENING_TEST_PG_URL is set) PostgreSQL:

- every answered screening has its own audit record, however many requests arrive at once (the records of
  concurrent requests are committed together; an answer still waits for its record's commit);
- when the audit record cannot be written, the screening gets no answer: a 503 with the one {"detail"} shape,
  never an unrecorded 200;
- a revoked key stops working: at once on the worker that revoked it, and within the key cache's few seconds
  when revoked elsewhere (the CLI, another worker).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from serveproc import SCREEN, serving
from wfhelp import db_url  # noqa: F401 - the fixture: an SQLite file, and a PostgreSQL database when configured

from api.app import create_app
from screening.config import Settings

pytestmark = pytest.mark.slow
CONCURRENT = 48
REVOKE_BOUND = 30.0  # seconds a revocation elsewhere may take to reach a running server (cache of 1 s, loaded CI)


def _env(db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env.update(SCREENING_DB_URL=db, SCREENING_RELOAD_INTERVAL="0")
    return env


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(SCREEN), *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _key(env: dict[str, str], name: str, role: str = "screener") -> str:
    out = _cli(env, "keys", "create", name, "--role", role)
    return re.search(r"\bsk_\S+", out).group()


def _records(db: str) -> list[dict]:
    engine = sa.create_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT name, caller, channel, ref, status FROM screenings ORDER BY id"))
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


async def _burst(base: str, key: str, requests: list[tuple[str, dict]]) -> list[httpx.Response]:
    """All requests at once, each on its own connection."""
    limits = httpx.Limits(max_connections=len(requests))
    async with httpx.AsyncClient(base_url=base, timeout=60.0, trust_env=False, limits=limits,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        async def one(method: str, kwargs: dict) -> httpx.Response:
            return await client.request(method, "/v1/screen", **kwargs)

        return await asyncio.gather(*(one(m, kw) for m, kw in requests))


def test_concurrent_requests_each_get_their_audit_record(tmp_path: Path, seed_artifact: Path, db_url: str) -> None:  # noqa: F811
    env = _env(db_url)
    _cli(env, "db", "upgrade")
    key = _key(env, "burst")
    names = [f"Probe Trading Company {i:03d}" for i in range(CONCURRENT)]
    requests: list[tuple[str, dict]] = []
    for i, name in enumerate(names):
        if i % 4 == 3:  # a counterparty: stored, and its hits raise alerts
            requests.append(("GET", {"params": {"name": name, "ref": f"CP-{i}"}}))
        else:
            requests.append(("GET", {"params": {"name": name}}))
    requests.append(("GET", {"params": {"name": "Sino Electronics Co., Ltd", "ref": "CP-SINO"}}))
    requests.append(("POST", {"json": {"queries": [{"name": "Norinco", "ref": "CP-N"}, {"name": "Batch Probe One"},
                                                   {"name": "Batch Probe Two"}]}}))
    with serving(["--watchlist", str(seed_artifact), "--workers", "2"], env, tmp_path / "server.log") as base:
        first = asyncio.run(_burst(base, key, requests))
        second = asyncio.run(_burst(base, key, requests[:CONCURRENT]))  # the same again: every one is recorded again
    assert [r.status_code for r in first + second] == [200] * (len(first) + len(second))
    answered = [x["query"]["name"] for r in first + second for x in r.json()["results"]]
    records = _records(db_url)
    assert sorted(x["name"] for x in records) == sorted(answered)  # one record for each answer, none missing
    assert {x["caller"] for x in records} == {"key:burst"} and {x["channel"] for x in records} == {"api"}
    sino = [x for x in records if x["ref"] == "CP-SINO"]
    assert [x["status"] for x in sino] == ["potential_match"]
    by_name = {x["query"]["name"]: x["status"] for r in first for x in r.json()["results"]}
    assert by_name["Sino Electronics Co., Ltd"] == "potential_match" and by_name["Norinco"] == "potential_match"


_REFUSE = {
    "sqlite": ["CREATE TRIGGER refuse_audit BEFORE INSERT ON screenings BEGIN SELECT RAISE(ABORT, 'audit refused'); END"],
    "postgresql": ["CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$ "
                   "LANGUAGE plpgsql",
                   "CREATE TRIGGER refuse_audit BEFORE INSERT ON screenings FOR EACH ROW EXECUTE FUNCTION refuse_audit()"],
}
_ALLOW = {"sqlite": ["DROP TRIGGER refuse_audit"], "postgresql": ["DROP TRIGGER refuse_audit ON screenings"]}


def _execute(db: str, statements: list[str]) -> None:
    engine = sa.create_engine(db)
    try:
        with engine.begin() as conn:
            for s in statements:
                conn.execute(sa.text(s))
    finally:
        engine.dispose()


def test_a_failing_audit_write_gives_no_answer(tmp_path: Path, seed_artifact: Path, db_url: str) -> None:  # noqa: F811
    env = _env(db_url)
    _cli(env, "db", "upgrade")
    key = _key(env, "refused")
    backend = sa.engine.make_url(db_url).get_backend_name()
    with serving(["--watchlist", str(seed_artifact), "--workers", "2"], env, tmp_path / "server.log") as base:
        ok = asyncio.run(_burst(base, key, [("GET", {"params": {"name": "Before Refusal Ltd"}})]))
        assert ok[0].status_code == 200
        _execute(db_url, _REFUSE[backend])  # from now on the database refuses every audit record
        refused = asyncio.run(_burst(base, key, [("GET", {"params": {"name": f"Refused Probe {i}"}})
                                                 for i in range(16)] +
                                     [("GET", {"params": {"name": "Sino Electronics", "ref": "CP-R"}}),
                                      ("POST", {"json": {"queries": [{"name": "Norinco"}]}})]))
        _execute(db_url, _ALLOW[backend])
        after = asyncio.run(_burst(base, key, [("GET", {"params": {"name": "After Refusal Ltd"}})]))
        metrics = httpx.get(f"{base}/metrics", trust_env=False).text
    assert [r.status_code for r in refused] == [503] * len(refused)  # no answer without its record
    for r in refused:
        body = r.json()
        assert list(body) == ["detail"] and "audit" in body["detail"] and "\n" not in body["detail"]
        assert r.headers["content-type"].startswith("application/json")
    assert after[0].status_code == 200
    assert [x["name"] for x in _records(db_url)] == ["Before Refusal Ltd", "After Refusal Ltd"]
    failures = re.search(r"^screening_audit_write_failures_total (\S+)$", metrics, re.M)
    assert failures and float(failures.group(1)) >= 1
    log = (tmp_path / "server.log").read_text()
    assert "audit refused" in log  # the database's own reason is in the server log, not in the answer


def test_a_revoked_key_stops_working_on_a_running_server(tmp_path: Path, seed_artifact: Path) -> None:
    db = f"sqlite:///{tmp_path / 'screening.db'}"
    env = _env(db)
    _cli(env, "db", "upgrade")
    admin = _key(env, "admin", "admin")
    by_api, by_cli = _key(env, "by-api"), _key(env, "by-cli")
    with serving(["--watchlist", str(seed_artifact)], env, tmp_path / "server.log") as base, \
            httpx.Client(base_url=base, timeout=10.0, trust_env=False) as client:
        def status(key: str) -> int:
            return client.get("/v1/screen", params={"name": "Norinco"}, headers={"X-API-Key": key}).status_code

        assert status(by_api) == 200 and status(by_api) == 200 and status(by_cli) == 200  # known, and cached
        r = client.delete("/v1/keys/by-api", headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 204
        assert status(by_api) == 401  # revoked through this server: refused from the next request on
        _cli(env, "keys", "revoke", "by-cli")  # revoked by another process: the server learns it from the store
        deadline = time.monotonic() + REVOKE_BOUND
        while status(by_cli) == 200:
            assert time.monotonic() < deadline, "a key revoked with `screen keys revoke` still works"
            time.sleep(0.2)
        assert [status(by_cli) for _ in range(5)] == [401] * 5
        r = client.get("/v1/screen", params={"name": "Norinco"}, headers={"X-API-Key": by_cli})
        assert r.json() == {"detail": "unknown or revoked API key"}


def test_a_revoked_key_is_refused_at_once_in_process(tmp_path: Path, seed_artifact: Path) -> None:
    settings = Settings(watchlist=seed_artifact, db_url=f"sqlite:///{tmp_path / 'screening.db'}", reload_interval=0,
                        key_cache=3600.0)  # a long cache: only the invalidation can make the next request fail
    with TestClient(create_app(settings)) as client:
        wf = client.app.state.workflow
        _, admin = wf.create_key("admin", "admin")
        _, token = wf.create_key("screener", "screener")
        h = {"Authorization": f"Bearer {token}"}
        assert client.get("/v1/screen", params={"name": "Norinco"}, headers=h).status_code == 200
        assert client.delete("/v1/keys/screener", headers={"Authorization": f"Bearer {admin}"}).status_code == 204
        r = client.get("/v1/screen", params={"name": "Norinco"}, headers=h)
        assert r.status_code == 401 and r.json() == {"detail": "unknown or revoked API key"}
        assert client.post("/v1/screen", json={"queries": [{"name": "Norinco"}]}, headers=h).status_code == 401


def test_the_key_cache_rereads_the_store(tmp_path: Path, seed_artifact: Path) -> None:
    """A key revoked by another process (another worker, the CLI) is refused once its cache entry is older than
    SCREENING_KEY_CACHE; with the cache off every request reads the store."""
    from screening.workflow import Workflow

    db = f"sqlite:///{tmp_path / 'screening.db'}"
    settings = Settings(watchlist=seed_artifact, db_url=db, reload_interval=0, key_cache=0.0)
    with TestClient(create_app(settings)) as client:
        other = Workflow(Settings(db_url=db))  # another process's view of the same store
        _, token = other.create_key("elsewhere", "screener")
        h = {"X-API-Key": token}
        assert client.get("/v1/screen", params={"name": "Norinco"}, headers=h).status_code == 200
        other.revoke_key("elsewhere")
        assert client.get("/v1/screen", params={"name": "Norinco"}, headers=h).status_code == 401
        other.close()


def test_screen_answers_are_the_models_json(tmp_path: Path, seed_artifact: Path) -> None:
    """The screening routes write their JSON with the response model's own serializer: the body validates against
    ScreenResponse and says what the model would (every field, nothing else)."""
    from screening.service import ScreenResponse

    settings = Settings(watchlist=seed_artifact, db_url=f"sqlite:///{tmp_path / 'screening.db'}", reload_interval=0,
                        auth="off")
    with TestClient(create_app(settings, warn_auth_off=False)) as client:
        r = client.get("/v1/screen", params={"name": "Sino Electronics Co., Ltd", "country": "HK", "limit": 3})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        body = r.json()
        assert json.loads(ScreenResponse.model_validate(body).model_dump_json()) == body
        assert body["results"][0]["hits"][0]["entity_id"] == "seed:sinno-electronics"
        r = client.post("/v1/screen", json={"queries": [{"name": "Norinco", "ref": "CP-1"}, {"name": "Acme"}]})
        assert r.status_code == 200
        body = r.json()
        assert json.loads(ScreenResponse.model_validate(body).model_dump_json()) == body
        assert [x["ref"] for x in body["results"]] == ["CP-1", None]
