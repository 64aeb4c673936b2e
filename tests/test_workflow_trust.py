"""A workflow an auditor can trust: decisions bound to identities, suppression in every answer, no silent mixing.

Through the real adapters (Typer CliRunner, FastAPI TestClient, and `screen serve` as a real process),
on SQLite and, when SCREENING_TEST_PG_URL is set (CI's .ci/run starts one), on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from serveproc import SCREEN, serving
from test_e2e_server import STARTUP_TIMEOUT
from typer.testing import CliRunner
from typer.testing import Result as CliResult
from wfhelp import COUNTERPARTIES, db_url, version_a, version_b  # noqa: F401 - db_url is a fixture

from api.app import create_app
from cli.main import app as cli_app
from screening.config import Settings
from screening.service import Hit, Query, Result
from screening.workflow import (
    AlertDraft,
    ExistingAlert,
    Known,
    NewAlert,
    Suppressed,
    Unreferenced,
    classify,
    mark,
    os_caller,
)

runner = CliRunner()


def cli(env: dict[str, str], *args: str | Path) -> CliResult:
    result = runner.invoke(cli_app, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


# ---- the pure classification step ---------------------------------------------------------------


def _hit(entity_id: str) -> Hit:
    return Hit(entity_id=entity_id, name=entity_id, matched_name=entity_id, score=0.9, type="company",
               countries=[], sources=["custom"], explanation={})


def test_classify_gives_each_hit_a_typed_fate() -> None:
    cleared_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    results = [Result(query=Query(name="x", ref="CP-1"), status="potential_match",
                      hits=[_hit("e1"), _hit("e2"), _hit("e3"), _hit("e4")]),
               Result(query=Query(name="x"), status="potential_match", hits=[_hit("e1")]),
               Result(query=Query(name="x", ref="CP-2"), status="potential_match", hits=[_hit("e3")])]
    known = Known(
        by_key={(1, "e1", "h-e1", "d1"): {"id": 7, "status": "false_positive"},
                (1, "e4", "h-e4", "d1"): {"id": 9, "status": "true_match"}},
        by_pair={(1, "e1"): {"id": 7, "status": "false_positive"}, (1, "e2"): {"id": 8, "status": "escalated"},
                 (1, "e4"): {"id": 9, "status": "true_match"}, (2, "e3"): {"id": 5, "status": "false_positive"}},
        clearing={7: {"id": 3, "reviewer": "person:A. Analyst", "decided_at": cleared_at}})
    plan = classify(results, ["CP-1", None, "CP-2"], ["d1", "", "d2"], {"CP-1": 1, "CP-2": 2}, known,
                    lambda e: f"h-{e}")
    assert plan.fates == [
        [Suppressed("h-e1", 7, 3, "person:A. Analyst", cleared_at), ExistingAlert("h-e2", 8, "escalated"),
         NewAlert("h-e3", 0), ExistingAlert("h-e4", 9, "true_match")],
        [Unreferenced("h-e1")],  # no reference: never alerted, never suppressed
        [NewAlert("h-e3", 1)],  # CP-2's data changed (d2): a new alert following the cleared one
    ]
    assert plan.drafts == [AlertDraft(1, "e3", "h-e3", "d1", None, 0, 2), AlertDraft(2, "e3", "h-e3", "d2", 5, 2, 0)]
    marked = mark(results[0], plan.fates[0])
    assert marked.status == "potential_match" and [h.suppressed for h in marked.hits] == [True, False, False, False]
    assert marked.hits[0].suppression.model_dump() == {
        "alert_id": 7, "decision_id": 3, "reviewer": "person:A. Analyst", "decided_at": "2026-01-02T03:04:05Z"}
    assert results[0].hits[0].suppressed is False  # the service's result is left as it was
    only = Result(query=Query(name="x", ref="CP-1"), status="potential_match", hits=[_hit("e1")])
    assert mark(only, plan.fates[0][:1]).status == "suppressed"


# ---- no silent mixing: the run columns and --resume ---------------------------------------------


def test_resume_against_another_watchlist_is_refused_naming_both_versions(tmp_path: Path) -> None:
    a, b = version_a(tmp_path), version_b(tmp_path)
    source = tmp_path / "in.csv"
    with open(source, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("id", "name"), *[(f"{r}-{i}", n) for i in range(5) for r, n in COUNTERPARTIES]])
    env = {"SCREENING_DB_URL": f"sqlite:///{tmp_path / 'unused.db'}"}
    full, part = tmp_path / "full.csv", tmp_path / "part.csv"
    assert cli(env, "file", source, "--watchlist", a, "-o", full).exit_code == 1
    data = full.read_bytes()
    rows = rows_of(data.decode())
    version_of_a = rows[0]["watchlist_version"]
    assert {(r["watchlist_id"], r["watchlist_version"], r["threshold"]) for r in rows} == {
        ("wftest", version_of_a, "0.8")}
    assert rows[0]["top_listings"] == "wf:zarkovian" and rows[0]["top_entity_id"] == "wf:zarkovian"
    cut = data.index(b"\n", len(data) // 2) + 1 + 7  # a run killed after some rows, inside the next one
    part.write_bytes(data[:cut])
    done = len(rows_of(data[:cut - 7].decode()))

    r = cli(env, "file", source, "--watchlist", b, "-o", part, "--resume")
    version_of_b = cli(env, "watchlist", "info", "--watchlist", b, "--json").stdout
    version_of_b = json.loads(version_of_b)["version"]
    assert r.exit_code == 2 and version_of_a in r.output and version_of_b in r.output, r.output
    assert "--force-resume" in r.output and f"its {done} rows were screened with watchlist wftest" in r.output
    assert part.read_bytes() == data[:cut]  # left as it was
    r = cli(env, "file", source, "--watchlist", a, "-o", part, "--resume", "--threshold", "0.9")
    assert r.exit_code == 2 and "threshold 0.8" in r.output and "threshold 0.9" in r.output

    r = cli(env, "file", source, "--watchlist", a, "-o", part, "--resume")  # the same run: carries on
    assert r.exit_code == 1 and part.read_bytes() == data
    assert f"wftest {version_of_a}, threshold 0.8" in r.output  # the summary line names the run

    part.write_bytes(data[:cut])
    r = cli(env, "file", source, "--watchlist", b, "-o", part, "--force-resume")
    assert r.exit_code == 1 and "--force-resume" in r.output and version_of_a in r.output, r.output
    mixed = rows_of(part.read_text(encoding="utf-8"))
    assert len(mixed) == len(rows)
    assert {r["watchlist_version"] for r in mixed[:done]} == {version_of_a}
    assert {r["watchlist_version"] for r in mixed[done:]} == {version_of_b}  # the rows after it say so


# ---- decisions bound to identities, over HTTP -----------------------------------------------------


def make_client(tmp_path: Path, db_url: str, **settings: object):  # noqa: F811
    live = tmp_path / "live.wl"  # the artifact in force; a test copies another version over it to change a listing
    shutil.copyfile(version_a(tmp_path), live)
    version_b(tmp_path)
    app = create_app(Settings(watchlist=live, db_url=db_url, reload_interval=0, **settings))  # type: ignore[arg-type]
    return TestClient(app), app


def key(app, name: str, role: str = "analyst", **owner: str) -> dict[str, str]:
    return {"X-API-Key": app.state.workflow.create_key(name, role, **owner)[1]}


def decide(client, headers: dict[str, str], alert: int, decision: str, **extra: object):
    return client.post(f"/v1/alerts/{alert}/decision", headers=headers,
                       json={"decision": decision, "note": f"{decision}: checked the registry", **extra})


def test_four_eyes_needs_two_people_not_two_names(tmp_path: Path, db_url: str) -> None:  # noqa: F811
    client, app = make_client(tmp_path, db_url, four_eyes=True)
    with client:
        ann = key(app, "ann-laptop", person="A. Analyst")
        ann_again = key(app, "ann-server", person="a.  analyst")  # the same person, another key
        bob = key(app, "bob", person="B. Reviewer")
        erp = key(app, "erp", "screener")  # a system's key
        body = {"queries": [{"name": n, "ref": r} for r, n in COUNTERPARTIES[:2]]}
        assert client.post("/v1/screen", json=body, headers=erp).status_code == 200

        # one key, two reviewer names: the names are notes, the identity is the key's person
        r = decide(client, ann, 1, "true_match", reviewer="X")
        assert r.status_code == 200 and r.json()["awaiting_second_review"] and r.json()["status"] == "open"
        first = r.json()["decisions"][0]
        assert (first["reviewer"], first["reviewer_note"], first["caller"]) == ("person:A. Analyst", "X",
                                                                                 "key:ann-laptop")
        for headers, name in ((ann, "Y"), (ann_again, "Z")):
            r = decide(client, headers, 1, "true_match", reviewer=name)
            assert r.status_code == 403, r.text
            assert "four-eyes rule" in r.json()["detail"] and "proposed by person:A. Analyst" in r.json()["detail"]
        assert client.get("/v1/alerts/1", headers=bob).json()["status"] == "open"

        # the second person confirms the same decision on the same alert version
        version = client.get("/v1/alerts/1", headers=bob).json()["version"]
        r = decide(client, bob, 1, "true_match", alert_version=version - 1)
        assert r.status_code == 409 and f"alert 1 is at version {version}" in r.json()["detail"]
        r = decide(client, bob, 1, "true_match", alert_version=version)
        assert r.status_code == 200 and r.json()["status"] == "true_match"
        assert [(d["outcome"], d["reviewer"]) for d in r.json()["decisions"]] == [
            ("pending", "person:A. Analyst"), ("applied", "person:B. Reviewer")]

        # overturning the true match needs the second person too; until then nothing is suppressed
        r = decide(client, bob, 1, "false_positive")
        assert r.json()["status"] == "true_match" and r.json()["awaiting_second_review"]
        again = client.post("/v1/screen", json=body, headers=erp).json()["results"][0]
        assert again["status"] == "potential_match" and again["hits"][0]["suppressed"] is False
        r = decide(client, bob, 1, "false_positive")
        assert r.status_code == 403 and "overturning true_match" in r.json()["detail"]
        r = decide(client, ann, 1, "false_positive")
        assert r.status_code == 200 and r.json()["status"] == "false_positive"

        # clearing an escalated alert: two people
        assert decide(client, ann, 2, "escalated").json()["status"] == "escalated"
        assert decide(client, ann, 2, "false_positive").json()["status"] == "escalated"
        assert decide(client, ann_again, 2, "false_positive").status_code == 403
        assert decide(client, bob, 2, "false_positive").json()["status"] == "false_positive"

        # a system's key is its own identity; the exports show identities
        keys = {k["name"]: k for k in client.get("/v1/keys", headers=key(app, "root", "admin")).json()}
        assert keys["erp"]["identity"] == "system:erp" and keys["ann-server"]["identity"] == "person:a. analyst"
        exported = {r["alert_id"]: r for r in rows_of(client.get("/v1/alerts/export", headers=ann).text)}
        assert (exported["1"]["last_reviewer"], exported["1"]["last_caller"]) == ("person:A. Analyst",
                                                                                  "key:ann-laptop")
        assert "by person:B. Reviewer" in exported["1"]["history"]
        audit = rows_of(client.get("/v1/audit", params={"format": "csv"}, headers=key(app, "aud", "admin")).text)
        assert {(a["caller"], a["identity"]) for a in audit} == {("key:erp", "system:erp")}


def test_four_eyes_off_one_person_decides(tmp_path: Path, db_url: str) -> None:  # noqa: F811
    client, app = make_client(tmp_path, db_url)
    with client:
        ann = key(app, "ann", person="A. Analyst")
        client.post("/v1/screen", json={"queries": [{"name": COUNTERPARTIES[0][1], "ref": "CP-1"}]}, headers=ann)
        assert decide(client, ann, 1, "true_match").json()["status"] == "true_match"
        assert decide(client, ann, 1, "false_positive").json()["status"] == "false_positive"
        r = client.post("/v1/keys", json={"name": "x", "role": "analyst", "person": "P", "system": "S"},
                        headers=key(app, "root", "admin"))
        assert r.status_code == 422 and "one person or one system" in r.json()["detail"]


# ---- suppression in every answer ------------------------------------------------------------------


def test_a_suppressed_hit_is_marked_in_every_answer(tmp_path: Path, db_url: str) -> None:  # noqa: F811
    client, app = make_client(tmp_path, db_url)
    live = tmp_path / "live.wl"
    env = {"SCREENING_DB_URL": db_url, "SCREENING_WATCHLIST": str(live)}
    name = COUNTERPARTIES[0][1]
    with client:
        ann = key(app, "ann", person="A. Analyst")
        erp = key(app, "erp", "screener")
        one = {"queries": [{"name": name, "ref": "CP-1"}]}
        assert client.post("/v1/screen", json=one, headers=erp).json()["results"][0]["status"] == "potential_match"
        decision = decide(client, ann, 1, "false_positive").json()["decisions"][-1]

        # HTTP, POST and GET, with the counterparty's reference
        (res,) = client.post("/v1/screen", json=one, headers=erp).json()["results"]
        assert res["status"] == "suppressed" and res["hits"][0]["suppressed"] is True
        assert res["hits"][0]["suppression"] == {"alert_id": 1, "decision_id": decision["id"],
                                                 "reviewer": "person:A. Analyst",
                                                 "decided_at": decision["decided_at"]}
        (res,) = client.get("/v1/screen", params={"name": name, "ref": "CP-1"}, headers=erp).json()["results"]
        assert res["status"] == "suppressed" and res["hits"][0]["suppression"]["decision_id"] == decision["id"]
        # without the reference the screening is not the counterparty's: nothing is suppressed
        (res,) = client.get("/v1/screen", params={"name": name}, headers=erp).json()["results"]
        assert res["status"] == "potential_match" and res["hits"][0]["suppressed"] is False

        # screen check --record: JSON, table and exit code 0 when every hit is suppressed
        r = cli(env, "check", name, "--ref", "CP-1", "--record", "--json")
        body = json.loads(r.stdout)
        assert r.exit_code == 0 and body["status"] == "suppressed"
        assert body["hits"][0]["suppression"]["reviewer"] == "person:A. Analyst"
        r = cli(env, "check", name, "--ref", "CP-1", "--record")
        assert r.exit_code == 0 and "every hit is on the accept list" in r.stdout
        assert f"decision {decision['id']}" in r.stdout and "person:A." in r.stdout  # the table may wrap the cell
        assert cli(env, "check", name, "--ref", "CP-1").exit_code == 1  # not recorded: the pure screening

        # the file output, local and uploaded
        source = tmp_path / "cps.csv"
        source.write_text(f"id,name\nCP-1,{name}\nCP-4,Siemens AG\n", encoding="utf-8")
        out = tmp_path / "out.csv"
        r = cli(env, "file", source, "--id-column", "id", "--record", "-o", out)
        assert r.exit_code == 0 and "1 suppressed" in r.output, r.output
        cp1, cp4 = rows_of(out.read_text(encoding="utf-8"))
        assert (cp1["match_status"], cp1["hit_count"], cp1["suppressed_count"]) == ("suppressed", "1", "1")
        assert (cp4["match_status"], cp4["suppressed_count"]) == ("clear", "0")
        r = client.post("/v1/screen/file", params={"id_column": "id"}, headers=erp,
                        files={"file": ("cps.csv", source.read_bytes(), "text/csv")})
        assert [x["match_status"] for x in rows_of(r.text)] == ["suppressed", "clear"]
        assert r.headers["x-potential-matches"] == "0"

        # the audit export: every one of those records marked, with the decision and its reviewer
        records = [json.loads(x) for x in cli(env, "audit", "export", "--format", "jsonl").stdout.splitlines()]
        cp1_records = [x for x in records if x["ref"] == "CP-1"]
        # POST, GET, check --json, check, file, upload
        assert [x["status"] for x in cp1_records] == ["potential_match"] + ["suppressed"] * 6
        assert all(x["hits"][0]["suppression"]["reviewer"] == "person:A. Analyst" for x in cp1_records[1:])
        assert {x["suppressed_count"] for x in cp1_records[1:]} == {1}
        assert {x["identity"] for x in records if x["channel"] == "cli-file"} == {os_caller()}

        # the listing changes (version B adds an alias): unmarked everywhere, and a new alert
        shutil.copyfile(tmp_path / "b.wl", live)
        assert client.post("/v1/watchlist/reload", headers=key(app, "root", "admin")).status_code == 200
        (res,) = client.post("/v1/screen", json=one, headers=erp).json()["results"]
        assert res["status"] == "potential_match" and res["hits"][0]["suppressed"] is False
        assert res["hits"][0]["suppression"] is None
        assert cli(env, "check", name, "--ref", "CP-1", "--record").exit_code == 1
        r = cli(env, "file", source, "--id-column", "id", "--record", "-o", out)
        assert r.exit_code == 1 and rows_of(out.read_text(encoding="utf-8"))[0]["match_status"] == "potential_match"
        last = [json.loads(x) for x in cli(env, "audit", "export", "--format", "jsonl").stdout.splitlines()][-2]
        assert last["ref"] == "CP-1" and last["status"] == "potential_match" and last["suppressed_count"] == 0


# ---- the four-eyes path against a real `screen serve` ----------------------------------------------


def test_four_eyes_with_two_keys_against_a_real_server(tmp_path: Path, db_url: str) -> None:  # noqa: F811
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env.update(SCREENING_DB_URL=db_url, SCREENING_FOUR_EYES="true", SCREENING_WATCHLIST=str(version_a(tmp_path)))
    subprocess.run([str(SCREEN), "db", "upgrade"], env=env, check=True, capture_output=True)

    def new_key(name: str, *args: str) -> dict[str, str]:
        done = subprocess.run([str(SCREEN), "keys", "create", name, *args], env=env, check=True,
                              capture_output=True, text=True)
        return {"Authorization": f"Bearer {done.stdout.strip()}"}

    ann = new_key("ann", "--role", "analyst", "--person", "A. Analyst")
    bob = new_key("bob", "--role", "analyst", "--person", "B. Reviewer")
    with serving([], env, tmp_path / "server.log", timeout=STARTUP_TIMEOUT) as base, \
            httpx.Client(base_url=base, timeout=10.0, trust_env=False) as client:
        r = client.post("/v1/screen", headers=ann, json={"queries": [{"name": COUNTERPARTIES[0][1], "ref": "CP-1"}]})
        assert r.status_code == 200 and r.json()["results"][0]["status"] == "potential_match"
        decision = {"decision": "true_match", "note": "same registry number"}
        r = client.post("/v1/alerts/1/decision", headers=ann, json={**decision, "reviewer": "X"})
        assert r.status_code == 200 and r.json()["awaiting_second_review"]
        r = client.post("/v1/alerts/1/decision", headers=ann, json={**decision, "reviewer": "Y"})
        assert r.status_code == 403 and "four-eyes rule" in r.json()["detail"]
        r = client.post("/v1/alerts/1/decision", headers=bob, json=decision)
        assert r.status_code == 200 and r.json()["status"] == "true_match"
        assert [d["reviewer"] for d in r.json()["decisions"]] == ["person:A. Analyst", "person:B. Reviewer"]
