"""The compliance routes and API keys through TestClient: every protected route answers 401 and 403."""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Depends
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from wfhelp import COUNTERPARTIES, db_url, version_a, version_b  # noqa: F401 - db_url is a fixture

from api.app import check_routes_declare_roles, create_app
from api.deps import PUBLIC, declared_role
from api.deps import role as needs_role
from screening.config import Settings
from screening.errors import InputError
from screening.workflow import ROLES, Workflow

# values for path parameters when walking the route table
SAMPLE = {"alert_id": "1", "name": "nobody", "dataset": "default", "entity_id": "nobody"}


@pytest.fixture
def env(tmp_path: Path, db_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Path]]:  # noqa: F811
    """A server on version A with auth on, and a key per role (headers by role name)."""
    a = version_a(tmp_path)
    version_b(tmp_path)
    settings = Settings(watchlist=a, db_url=db_url, reload_interval=0)
    app = create_app(settings)
    with TestClient(app) as client:
        wf: Workflow = app.state.workflow
        keys = {role: {"Authorization": f"Bearer {wf.create_key(f'{role}-key', role)[1]}"} for role in ROLES}
        yield client, keys, tmp_path


def all_routes(app) -> list[tuple[str, str, str | None]]:
    """(method, path, declared role) of every API route, including those of included or mounted routers."""
    out = []
    for route in app.routes:
        inner = getattr(route, "original_router", None) or getattr(route, "app", None)
        if not isinstance(route, APIRoute) and hasattr(inner, "routes"):
            out.extend(all_routes(inner))  # an included or mounted router
        elif isinstance(route, APIRoute):
            out.extend((m, route.path, declared_role(route)) for m in sorted(route.methods))
    return out


def protected_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every API route but the public probes."""
    return [(m, p) for m, p, r in all_routes(app) if r != PUBLIC]


def call(client: TestClient, method: str, path: str, headers: dict[str, str] | None = None):
    url = path.format(**SAMPLE)
    if method in ("POST", "PUT", "PATCH"):
        return client.request(method, url, json={}, headers=headers)
    return client.request(method, url, headers=headers)


def test_every_route_but_health_needs_a_key_and_the_right_role(env) -> None:
    client, keys, _ = env
    declared = {(m, p): r for m, p, r in all_routes(client.app)}
    # every route declares its role beside itself; only the probes are public
    assert None not in declared.values(), declared
    assert {(m, p) for (m, p), r in declared.items() if r == PUBLIC} == {("GET", "/healthz"), ("GET", "/readyz")}
    routes = protected_routes(client.app)
    assert ("POST", "/v1/screen") in routes and ("POST", "/v1/alerts/{alert_id}/decision") in routes
    assert len(routes) >= 14
    assert declared[("POST", "/v1/watchlist/reload")] == "admin" and declared[("GET", "/v1/alerts")] == "analyst"
    for method, path in routes:
        for headers in (None, {"Authorization": "Bearer sk_wrong"}, {"X-API-Key": "sk_wrong"},
                        {"Authorization": "Basic dXNlcjpwYXNz"}):
            r = call(client, method, path, headers)
            assert r.status_code == 401, (method, path, headers, r.text)
            assert r.headers["www-authenticate"] == "Bearer"
        needed = declared[(method, path)]
        for role in ROLES:
            r = call(client, method, path, keys[role])
            if ROLES.index(role) < ROLES.index(needed):
                assert r.status_code == 403, (method, path, role, r.text)
                assert needed in r.json()["detail"]
            else:
                assert r.status_code not in (401, 403), (method, path, role, r.text)
    for path in ("/healthz", "/readyz", "/docs", "/openapi.json"):
        assert client.get(path).status_code == 200


def test_a_route_without_a_declared_role_is_refused() -> None:
    app = create_app(Settings(db_url="sqlite://", reload_interval=0))

    @app.get("/v1/some-new-route")
    def new_route() -> dict:
        return {}

    with pytest.raises(RuntimeError, match="/v1/some-new-route"):
        check_routes_declare_roles(app)


def test_a_role_declared_on_a_plain_route_is_still_checked(env) -> None:
    client, keys, _ = env
    app = client.app

    @app.get("/v1/plain-route", dependencies=[Depends(needs_role("admin"))])
    def plain_route() -> dict:
        return {"ok": True}

    assert client.get("/v1/plain-route").status_code == 401
    assert client.get("/v1/plain-route", headers=keys["analyst"]).status_code == 403
    assert client.get("/v1/plain-route", headers=keys["admin"]).json() == {"ok": True}


def test_x_api_key_header_and_revocation(env) -> None:
    client, keys, _ = env
    token = keys["screener"]["Authorization"].split()[1]
    assert client.get("/v1/screen", params={"name": "x"}, headers={"X-API-Key": token}).status_code == 200
    assert client.delete("/v1/keys/screener-key", headers=keys["admin"]).status_code == 204
    r = client.get("/v1/screen", params={"name": "x"}, headers={"X-API-Key": token})
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_keys_are_never_logged(env, caplog: pytest.LogCaptureFixture) -> None:
    client, keys, _ = env
    caplog.set_level(logging.DEBUG)
    token = keys["admin"]["Authorization"].split()[1]
    client.get("/v1/alerts", headers=keys["admin"])
    created = client.post("/v1/keys", json={"name": "new", "role": "analyst"}, headers=keys["admin"]).json()
    client.get("/v1/alerts", headers={"X-API-Key": created["key"]})
    client.get("/v1/alerts", headers={"X-API-Key": token + "typo"})
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert token not in text and created["key"] not in text
    listed = client.get("/v1/keys", headers=keys["admin"]).json()
    assert {k["name"] for k in listed} == {"screener-key", "analyst-key", "admin-key", "new"}
    assert "key" not in listed[0] and "key_hash" not in listed[0]


def test_auth_off_only_on_loopback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(InputError, match="only with the server bound to 127.0.0.1"):
        create_app(Settings(auth="off", host="0.0.0.0", db_url="sqlite://"))
    with pytest.raises(InputError, match="must be on or off"):
        create_app(Settings(auth="maybe", db_url="sqlite://"))
    caplog.set_level(logging.WARNING)
    app = create_app(Settings(auth="off", db_url="sqlite://", reload_interval=0))
    assert "SCREENING_AUTH=off" in caplog.text
    with TestClient(app) as client:
        assert client.get("/v1/alerts").status_code == 200


def test_screen_records_the_audit_trail_under_the_key(env) -> None:
    client, keys, _ = env
    body = {"queries": [{"name": n, "ref": r} for r, n in COUNTERPARTIES]}
    assert client.post("/v1/screen", json=body, headers=keys["screener"]).status_code == 200
    assert client.get("/v1/screen", params={"name": "Boranex Shipping", "ref": "CP-2", "country": "AE"},
                      headers=keys["screener"]).status_code == 200
    r = client.get("/v1/audit", headers=keys["admin"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert [x["ref"] for x in rows] == ["CP-1", "CP-2", "CP-3", "CP-4", "CP-2"]
    assert {x["caller"] for x in rows} == {"key:screener-key"} and {x["channel"] for x in rows} == {"api"}
    assert rows[-1]["attributes"]["country"] == "AE" and rows[0]["hits"][0]["entity_id"] == "wf:zarkovian"
    r = client.get("/v1/audit", params={"format": "csv", "since": "2000-01-01"}, headers=keys["admin"])
    assert [x["ref"] for x in csv.DictReader(io.StringIO(r.text))] == ["CP-1", "CP-2", "CP-3", "CP-4", "CP-2"]
    assert client.get("/v1/audit", params={"since": "yesterday"}, headers=keys["admin"]).status_code == 422
    # the audit trail has no route that changes it
    audit_routes = [(m, p) for m, p in protected_routes(client.app) if p.startswith("/v1/audit")]
    assert audit_routes == [("GET", "/v1/audit")]


def test_alert_review_loop(env) -> None:
    client, keys, tmp = env
    body = {"queries": [{"name": n, "ref": r} for r, n in COUNTERPARTIES]}
    client.post("/v1/screen", json=body, headers=keys["screener"])
    alerts = client.get("/v1/alerts", headers=keys["analyst"]).json()
    assert [(a["ref"], a["entity_id"], a["status"]) for a in alerts] == [
        ("CP-1", "wf:zarkovian", "open"), ("CP-2", "wf:boranex", "open")]
    first = alerts[0]["id"]
    r = client.post(f"/v1/alerts/{first}/decision", headers=keys["analyst"],
                    json={"decision": "false_positive", "note": "a bakery in Omsk"})
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["status"] == "false_positive" and shown["decisions"][0]["reviewer"] == "system:analyst-key"
    assert shown["decisions"][0]["caller"] == "key:analyst-key"
    assert client.post(f"/v1/alerts/{first}/decision", headers=keys["analyst"],
                       json={"decision": "false_positive", "note": ""}).status_code == 422
    assert client.post("/v1/alerts/999/decision", headers=keys["analyst"],
                       json={"decision": "escalated", "note": "x"}).status_code == 404
    assert client.get("/v1/alerts/999", headers=keys["analyst"]).status_code == 404
    # screening again: suppressed; the list update changes the entity: the alert comes back on re-screen
    client.post("/v1/screen", json=body, headers=keys["screener"])
    assert len(client.get("/v1/alerts", headers=keys["analyst"]).json()) == 2
    (tmp / "a.wl").write_bytes((tmp / "b.wl").read_bytes())
    assert client.post("/v1/watchlist/reload", headers=keys["admin"]).status_code == 200
    summary = client.post("/v1/rescreen", headers=keys["analyst"]).json()
    assert (summary["checked"], summary["new_alerts"], summary["changed_entities"]) == (4, 2, 2)
    after = client.get("/v1/alerts", params={"status": "open"}, headers=keys["analyst"]).json()
    assert sorted((a["ref"], a["entity_id"]) for a in after) == [
        ("CP-1", "wf:zarkovian"), ("CP-2", "wf:boranex"), ("CP-3", "wf:quentaro")]
    back = next(a for a in after if a["ref"] == "CP-1")
    detail = client.get(f"/v1/alerts/{back['id']}", headers=keys["analyst"]).json()
    assert detail["previous_alert_id"] == first and detail["previous_alerts"][0]["status"] == "false_positive"
    assert client.post("/v1/rescreen", headers=keys["analyst"]).json()["checked"] == 0


def test_four_eyes_over_http(tmp_path: Path) -> None:
    settings = Settings(watchlist=version_a(tmp_path), db_url=f"sqlite:///{tmp_path / 'db'}", four_eyes=True,
                        reload_interval=0)
    app = create_app(settings)
    with TestClient(app) as client:
        wf: Workflow = app.state.workflow
        ann = {"X-API-Key": wf.create_key("ann", "analyst")[1]}
        bob = {"X-API-Key": wf.create_key("bob", "analyst")[1]}
        client.post("/v1/screen", json={"queries": [{"name": COUNTERPARTIES[0][1], "ref": "CP-1"}]}, headers=ann)
        decide = {"decision": "true_match", "note": "same registry number"}
        r = client.post("/v1/alerts/1/decision", json=decide, headers=ann)
        assert r.json()["status"] == "open" and r.json()["awaiting_second_review"]
        r = client.post("/v1/alerts/1/decision", json=decide, headers=ann)
        assert r.status_code == 403 and "four-eyes rule" in r.json()["detail"]
        assert client.get("/v1/alerts", params={"pending": True}, headers=bob).json()[0]["id"] == 1
        r = client.post("/v1/alerts/1/decision", json=decide, headers=bob)
        assert r.json()["status"] == "true_match"


def test_upload_with_id_column_records_counterparties(env) -> None:
    client, keys, _ = env
    data = "id,name\n" + "".join(f"{r},{n}\n" for r, n in COUNTERPARTIES)
    r = client.post("/v1/screen/file", params={"id_column": "id"}, headers=keys["screener"],
                    files={"file": ("cps.csv", data.encode(), "text/csv")})
    assert r.status_code == 200 and r.headers["x-potential-matches"] == "2"
    assert [a["ref"] for a in client.get("/v1/alerts", headers=keys["analyst"]).json()] == ["CP-1", "CP-2"]
    rows = [json.loads(line) for line in client.get("/v1/audit", headers=keys["admin"]).text.splitlines()]
    assert {x["channel"] for x in rows} == {"api-file"} and len(rows) == 4


def test_alert_export_escapes_formulas(env) -> None:
    client, keys, tmp = env
    evil = "=Zarkovian Heavy Machinery Plant"
    client.post("/v1/screen", json={"queries": [{"name": evil, "ref": "@CP-1"}]}, headers=keys["screener"])
    client.post("/v1/alerts/1/decision", headers=keys["analyst"],
                json={"decision": "escalated", "note": "+check", "reviewer": "-Ann"})
    r = client.get("/v1/alerts/export", headers=keys["analyst"])
    (row,) = csv.DictReader(io.StringIO(r.text))
    assert (row["query_name"], row["ref"], row["last_note"], row["last_reviewer_note"]) == \
        ("'" + evil, "'@CP-1", "'+check", "'-Ann")
    r = client.get("/v1/alerts/export", params={"format": "xlsx"}, headers=keys["analyst"])
    path = tmp / "alerts.xlsx"
    path.write_bytes(r.content)
    ws = load_workbook(path).active
    header = [c.value for c in ws[1]]
    values = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert values["query_name"] == "'" + evil and values["last_note"] == "'+check"
    assert all(c.data_type != "f" for c in ws[2])  # no cell is a formula
    assert isinstance(values["score"], int | float)  # numbers stay numbers
    r = client.get("/v1/audit", params={"format": "csv"}, headers=keys["admin"])
    (audit_row,) = csv.DictReader(io.StringIO(r.text))
    assert audit_row["name"] == "'" + evil and audit_row["ref"] == "'@CP-1"


def test_concurrent_screenings_are_each_in_the_audit_trail_once(tmp_path) -> None:
    """Group commit: 40 requests from 8 threads, every one recorded once, under its own query."""
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    from api.app import create_app
    from screening.config import Settings
    from screening.workflow import Workflow

    settings = Settings(auth="off", db_url=f"sqlite:///{tmp_path / 'audit.db'}", reload_interval=0)
    names = [f"Sinno Electronics {i}" if i % 2 else f"Acme Widgets {i}" for i in range(40)]
    with TestClient(create_app(settings)) as client, ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda n: client.get("/v1/screen", params={"name": n}).status_code, names))
    assert codes == [200] * 40
    rows = Workflow(settings).audit_rows(since=None, until=None)
    assert sorted(r["name"] for r in rows) == sorted(names)


def test_the_key_is_checked_before_the_body_is_read(env) -> None:
    client, keys, _ = env
    bad_json = {"content": b'{"queries": [', "headers": {"Content-Type": "application/json"}}
    r = client.post("/v1/screen", **bad_json)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", r.text
    r = client.post("/v1/screen/file", files={"file": ("x.csv", b"name\nSiemens AG\n")})
    assert r.status_code == 401, r.text
    r = client.post("/v1/keys", content=b"{", headers={**keys["analyst"], "Content-Type": "application/json"})
    assert r.status_code == 403, r.text
