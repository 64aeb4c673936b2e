"""The compliance commands through CliRunner: db, check/file --record, alerts, audit, keys, rescreen."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result
from wfhelp import COUNTERPARTIES, version_a, version_b

from cli.main import app
from screening.store import Store
from screening.workflow import os_caller

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    version_a(tmp_path)
    version_b(tmp_path)
    env = {"SCREENING_DB_URL": f"sqlite:///{tmp_path / 'screening.db'}",
           "SCREENING_WATCHLIST": str(tmp_path / "a.wl")}
    assert screen(env, "db", "upgrade").exit_code == 0
    return env


def screen(env: dict[str, str], *args: str | Path) -> Result:
    result = runner.invoke(app, [str(a) for a in args], env=env)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def as_json(env: dict[str, str], *args: str | Path):
    result = screen(env, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_cps(tmp_path: Path, rows=COUNTERPARTIES) -> Path:
    path = tmp_path / "cps.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("id", "name"), *rows])
    return path


def test_db_upgrade_and_status(tmp_path: Path) -> None:
    env = {"SCREENING_DB_URL": f"sqlite:///{tmp_path / 'x' / 'screening.db'}"}
    r = screen(env, "alerts", "list")
    assert r.exit_code == 2 and "run `screen db upgrade`" in r.output
    head = Store.head()
    r = screen(env, "db", "upgrade")
    assert r.exit_code == 0 and f"schema revision {head}" in r.stdout
    r = screen(env, "db", "status")
    assert f"revision {head} (newest {head})" in r.stdout and "screenings: 0" in r.stdout


def test_check_record_ref_and_accept_list(env: dict[str, str]) -> None:
    name = COUNTERPARTIES[0][1]
    r = screen(env, "check", name, "--ref", "CP-1", "--record")
    assert r.exit_code == 1 and "recorded screening 1: potential_match, new alerts [1]" in r.output
    (alert,) = as_json(env, "alerts", "list")
    assert (alert["ref"], alert["entity_id"], alert["status"]) == ("CP-1", "wf:zarkovian", "open")
    r = screen(env, "alerts", "decide", "1", "--decision", "false_positive", "--note", "a bakery", "--reviewer", "Ann")
    assert r.exit_code == 0 and "false_positive" in r.stdout and f"by {os_caller()} (noted as 'Ann'): a bakery" in r.stdout
    # suppressed now: exit 0 with --record, while the plain check still shows the hit
    r = screen(env, "check", name, "--ref", "CP-1", "--record")
    assert r.exit_code == 0 and "suppressed" in r.output
    assert screen(env, "check", name).exit_code == 1
    # the entity changes in version B: the alert comes back, linked to the decision
    r = screen(env, "check", name, "--ref", "CP-1", "--record", "--watchlist", Path(env["SCREENING_WATCHLIST"]).parent / "b.wl")
    assert r.exit_code == 1 and "new alerts [2]" in r.output
    shown = as_json(env, "alerts", "show", "2")
    assert shown["previous_alert_id"] == 1 and shown["previous_alerts"][0]["decisions"][0]["note"] == "a bakery"
    text = screen(env, "alerts", "show", "2").stdout
    assert "follows alert 1 (false_positive" in text
    rows = [json.loads(x) for x in screen(env, "audit", "export", "--format", "jsonl").stdout.splitlines()]
    assert [x["status"] for x in rows] == ["potential_match", "suppressed", "potential_match"]
    assert rows[0]["caller"].startswith("user:") and rows[0]["channel"] == "cli-check"
    assert rows[1]["hits"][0]["suppressed"] is True


def test_check_without_record_writes_nothing(env: dict[str, str]) -> None:
    assert screen(env, "check", COUNTERPARTIES[0][1], "--ref", "CP-1").exit_code == 1
    assert screen(env, "audit", "export").stdout.strip().count("\n") == 0  # header only


def test_file_record_id_column_and_rescreen(env: dict[str, str], tmp_path: Path) -> None:
    r = screen(env, "file", write_cps(tmp_path), "--id-column", "id", "--record", "-o", tmp_path / "out.csv")
    assert r.exit_code == 1 and "recorded 4 screenings: 2 new alerts, 0 suppressed hits" in r.output
    assert [a["ref"] for a in as_json(env, "alerts", "list")] == ["CP-1", "CP-2"]
    assert screen(env, "file", tmp_path / "cps.csv", "--id-column", "nope", "--record").exit_code == 2
    b = Path(env["SCREENING_WATCHLIST"]).parent / "b.wl"
    summary = as_json(env, "rescreen", "--watchlist", b)
    assert (summary["checked"], summary["new_alerts"], summary["changed_entities"]) == (4, 1, 2)
    r = screen(env, "rescreen", "--watchlist", b)
    assert "0 counterparties checked" in r.stdout
    alerts = as_json(env, "alerts", "list", "--status", "open")
    assert [(a["ref"], a["entity_id"]) for a in alerts] == [("CP-1", "wf:zarkovian"), ("CP-2", "wf:boranex"),
                                                            ("CP-3", "wf:quentaro")]


def test_four_eyes_from_the_environment(env: dict[str, str]) -> None:
    """On the CLI the reviewer is the OS account: a typed --reviewer name is a note and confirms nothing."""
    env = {**env, "SCREENING_FOUR_EYES": "true"}
    screen(env, "check", COUNTERPARTIES[1][1], "--ref", "CP-2", "--record")
    args = ["alerts", "decide", "1", "--decision", "true_match", "--note", "same vessel owner"]
    assert "awaiting a second reviewer" in screen(env, *args, "--reviewer", "Ann").stdout
    for name in ("Ann", "Bob"):
        r = screen(env, *args, "--reviewer", name)
        assert r.exit_code == 2 and "four-eyes rule" in r.output and "the same identity cannot confirm" in r.output
        assert f"proposed by {os_caller()}" in r.output
    assert [a["id"] for a in as_json(env, "alerts", "list", "--pending")] == [1]
    shown = as_json(env, "alerts", "show", "1")
    assert shown["status"] == "open" and [d["reviewer"] for d in shown["decisions"]] == [os_caller()]
    r = screen(env, "alerts", "decide", "1", "--decision", "escalated", "--note", "x", "--alert-version", "1")
    assert r.exit_code == 2 and "alert 1 is at version 2, not 1" in r.output
    r = screen(env, "alerts", "decide", "1", "--decision", "nope", "--note", "x")
    assert r.exit_code == 2 and "must be one of" in r.output


def test_keys_create_list_revoke(env: dict[str, str]) -> None:
    r = screen(env, "keys", "create", "procurement", "--role", "screener")
    key = r.stdout.strip()
    assert r.exit_code == 0 and key.startswith("sk_") and "shown once" in r.output
    listed = as_json(env, "keys", "list")
    assert [(k["name"], k["role"]) for k in listed] == [("procurement", "screener")]
    assert key not in screen(env, "keys", "list").stdout and key[:8] in screen(env, "keys", "list").stdout
    assert screen(env, "keys", "create", "procurement").exit_code == 2
    assert screen(env, "keys", "create", "x", "--role", "root").exit_code == 2
    assert screen(env, "keys", "revoke", "procurement").exit_code == 0
    assert screen(env, "keys", "revoke", "procurement").exit_code == 2


def test_audit_cli_is_export_only() -> None:
    from cli.workflow import audit_app

    assert [c.name for c in audit_app.registered_commands] == ["export"]


def test_audit_export_window_and_formats(env: dict[str, str], tmp_path: Path) -> None:
    screen(env, "file", write_cps(tmp_path), "--id-column", "id", "--record", "-o", tmp_path / "out.csv")
    out = screen(env, "audit", "export", "--format", "csv", "--since", "2000-01-01").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["ref"] for r in rows] == [r for r, _ in COUNTERPARTIES]
    assert rows[0]["channel"] == "cli-file" and json.loads(rows[0]["hits"])[0]["entity_id"] == "wf:zarkovian"
    assert screen(env, "audit", "export", "--until", "2000-01-01").stdout.count("\n") == 1
    r = screen(env, "audit", "export", "--since", "last week")
    assert r.exit_code == 2 and "not an ISO 8601" in r.output
    assert screen(env, "audit", "export", "--format", "xml").exit_code == 2
    screen(env, "audit", "export", "--format", "jsonl", "-o", tmp_path / "audit.jsonl")
    assert len((tmp_path / "audit.jsonl").read_text().splitlines()) == 4


def test_file_and_exports_escape_formulas(env: dict[str, str], tmp_path: Path) -> None:
    evil = [("=CP-1", "=Zarkovian Heavy Machinery Plant"), ("+CP-2", "@Boranex Shipping Lines"),
            ("-CP-3", "\tQuentaro"), ("CP-4", "-Siemens")]
    out = tmp_path / "out.csv"
    screen(env, "file", write_cps(tmp_path, evil), "--id-column", "id", "--record", "-o", out)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == ["'=CP-1", "'+CP-2", "'-CP-3", "CP-4"]
    assert [r["name"][:2] for r in rows] == ["'=", "'@", "'\t", "'-"]
    screen(env, "alerts", "decide", "1", "--decision", "escalated", "--note", "=1+1", "--reviewer", "@Ann")
    screen(env, "alerts", "decide", "2", "--decision", "escalated", "--note", "@CR\rinside", "--reviewer", "Bo")
    text = screen(env, "alerts", "export").stdout
    first = next(csv.DictReader(io.StringIO(text)))
    assert (first["ref"], first["query_name"], first["last_note"], first["last_reviewer_note"]) == \
        ("'=CP-1", "'=Zarkovian Heavy Machinery Plant", "'=1+1", "'@Ann")
    assert first["last_reviewer"] == os_caller()
    assert "'=1+1" in first["history"] or "=1+1" in first["history"]
    assert not first["history"].startswith(("=", "+", "-", "@"))
    second = list(csv.DictReader(io.StringIO(text, newline="")))[1]  # a CR inside a cell stays inside it
    assert second["last_note"] == "'@CR\rinside" and second["ref"] == "'+CP-2"
    audit = list(csv.DictReader(io.StringIO(screen(env, "audit", "export").stdout)))
    assert [a["ref"] for a in audit][:3] == ["'=CP-1", "'+CP-2", "'-CP-3"]
    xlsx = tmp_path / "alerts.xlsx"
    r = screen(env, "alerts", "export", "--format", "xlsx", "-o", xlsx)
    assert r.exit_code == 0 and "2 alerts" in r.output
    ws = load_workbook(xlsx).active
    header = [c.value for c in ws[1]]
    first_row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert first_row["ref"] == "'=CP-1" and first_row["last_note"] == "'=1+1"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert screen(env, "alerts", "export", "--format", "xlsx").exit_code == 2  # needs --output


def test_serve_refuses_auth_off_off_loopback(env: dict[str, str]) -> None:
    r = screen({**env, "SCREENING_AUTH": "off"}, "serve", "--host", "0.0.0.0")
    assert r.exit_code == 2 and "only with the server bound to 127.0.0.1" in r.output
    r = screen({**env, "SCREENING_AUTH": "maybe"}, "serve")
    assert r.exit_code == 2 and "must be on or off" in r.output


def test_cli_modules_do_not_import_each_other() -> None:
    """cli.workflow stands alone (cli._ui holds what both share): importing it does not load cli.main."""
    import subprocess
    import sys

    code = ("import sys, cli.workflow; assert 'cli.main' not in sys.modules, 'cli.workflow imports cli.main'; "
            "import cli.main; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
    assert "from cli.main" not in (Path(__file__).resolve().parents[1] / "cli" / "workflow.py").read_text()
