"""The HTTP edge through TestClient: error shapes, hostile JSON, uploads, limits, the database going away.

Each case is from issue 15's hostile-input corpus (its item number in the test name's comment).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app as cli_app
from screening.config import DEFAULT_WATCHLIST, Settings
from screening.logs import JsonFormatter, RequestIdFilter
from screening.service import Query, Service
from screening.workflow import Workflow

JSON = {"content-type": "application/json"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0, auth="off",
                    db_url=f"sqlite:///{tmp_path / 'screening.db'}")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def detail(r) -> str:
    """The one error shape: {"detail": "<one line>"} and nothing else."""
    body = r.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str), body
    assert "\n" not in body["detail"]
    return body["detail"]


# ---- 15: one error shape, fitting statuses --------------------------------------------------------

@pytest.mark.parametrize(("content", "headers", "status", "message"), [
    (b'{"queries": [', JSON, 400, "malformed JSON body: Expecting value (line 1, column 14)"),
    (b'{"queries": [{"name": "x"}]}', {"content-type": "text/plain"}, 415,
     "this route takes application/json, not text/plain"),
    (b"queries=x", {"content-type": "application/x-www-form-urlencoded"}, 415,
     "this route takes application/json, not application/x-www-form-urlencoded"),
    (b'\xff\xfe{"queries": []}', JSON, 400, "the JSON body is not UTF-8 (byte 0)"),
    (b'{"queries": [{"nam": "x"}]}', JSON, 422, "queries[0].name: required"),
    (b'{"queries": "x"}', JSON, 422, "queries: Input should be a valid list"),
    (b'[1, 2]', JSON, 422, "body: Input should be a valid dictionary or object to extract fields from"),
])
def test_json_body_errors(client: TestClient, content: bytes, headers: dict, status: int, message: str) -> None:
    r = client.post("/v1/screen", content=content, headers=headers)
    assert r.status_code == status and detail(r) == message


def test_too_many_queries_is_413(client: TestClient) -> None:
    r = client.post("/v1/screen", json={"queries": [{"name": "a"}] * 1001})
    assert r.status_code == 413 and detail(r) == "too many names in one request: 1001 (limit 1000)"


def test_query_parameter_errors_name_the_parameter(client: TestClient) -> None:
    r = client.get("/v1/screen")
    assert r.status_code == 422 and detail(r) == "query parameter name: required"
    r = client.get("/v1/screen", params={"name": "x", "threshold": "2"})
    assert r.status_code == 422 and detail(r) == "query parameter threshold: Input should be less than or equal to 1"


def test_framework_errors_have_the_same_shape(client: TestClient) -> None:
    r = client.get("/v1/nowhere")
    assert r.status_code == 404 and detail(r) == "Not Found"
    r = client.put("/v1/screen")
    assert r.status_code == 405 and detail(r) == "Method Not Allowed"
    r = client.post("/v1/screen/file", json={"file": "x"})
    assert r.status_code == 415 and detail(r) == "this route takes a multipart/form-data upload, not application/json"


# ---- 10: non-finite numbers ----------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_422(client: TestClient, raw: str) -> None:
    for field in ("threshold", "limit"):
        r = client.post("/v1/screen", content=f'{{"queries": [{{"name": "x"}}], "{field}": {raw}}}'.encode(),
                        headers=JSON)
        assert r.status_code == 422, r.text
        assert "JSON body:" in detail(r)


def test_non_finite_query_parameters_are_422(client: TestClient) -> None:
    for value in ("nan", "inf", "-inf", "1e999"):
        r = client.get("/v1/screen", params={"name": "x", "threshold": value})
        assert r.status_code == 422 and "threshold" in detail(r)


def test_a_huge_integer_is_422(client: TestClient) -> None:
    r = client.post("/v1/screen", content=b'{"queries": [{"name": "x"}], "limit": ' + b"9" * 5000 + b"}",
                    headers=JSON)
    assert r.status_code == 422 and detail(r).startswith("JSON body:")


# ---- 11: ids and offsets beyond 64 bits ----------------------------------------------------------

def test_ids_and_offsets_beyond_64_bits(client: TestClient) -> None:
    big = "99999999999999999999"
    assert client.get(f"/v1/alerts/{big}").status_code == 422
    assert client.get("/v1/alerts/9223372036854775807").status_code == 404
    r = client.post(f"/v1/alerts/{big}/decision", json={"decision": "escalated", "note": "n"})
    assert r.status_code == 422 and "alert_id" in detail(r)
    assert client.get("/v1/alerts", params={"offset": big}).status_code == 422
    assert client.get("/v1/alerts", params={"offset": "9223372036854775807"}).json() == []


# ---- 0: lone surrogates anywhere in JSON ---------------------------------------------------------

@pytest.mark.parametrize(("path", "body", "message"), [
    ("/v1/screen", {"queries": [{"name": "Acme", "ref": "\ud800"}]},
     "queries[0]: ref has an unpaired surrogate '\\ud800' at position 0"),
    ("/v1/screen", {"queries": [{"name": "Acme", "country": "H\udc80"}]},
     "queries[0]: country has an unpaired surrogate '\\udc80' at position 1"),
    ("/v1/screen", {"queries": [{"name": "Acme", "identifiers": ["IMO \udfff"]}]},
     "queries[0]: identifiers[0] has an unpaired surrogate '\\udfff' at position 4"),
    ("/v1/alerts/1/decision", {"decision": "escalated", "note": "bad \ud800 note"},
     "note has an unpaired surrogate '\\ud800' at position 4"),
    ("/v1/keys", {"name": "key \ud800", "role": "screener"}, "name has an unpaired surrogate '\\ud800' at position 4"),
    ("/v1/screen", {"queries": [{"name": "Acme", "\ud800": 1}]}, "queries[0]: a key has an unpaired surrogate '\\ud800'"),
])
def test_lone_surrogates_are_422(client: TestClient, path: str, body: dict, message: str) -> None:
    raw = json.dumps(body).encode()  # ensure_ascii: the surrogate travels as a \ud800 escape, as JSON allows
    r = client.post(path, content=raw, headers=JSON)
    assert r.status_code == 422, r.text
    assert detail(r) == message


def test_a_surrogate_recorded_by_another_channel_never_breaks_the_audit_export(client: TestClient,
                                                                                settings: Settings) -> None:
    # the CLI can record text with surrogates (undecodable argv bytes); the store and exports must cope
    wf: Workflow = client.app.state.workflow
    svc = Service(settings)
    bad = Query(name="Sinno Electronics", ref="CP-\udcff", country="H\ud800")
    wf.record(svc, svc.screen_valid([bad], threshold=0.8, limit=3), threshold=0.8, caller="user:x", channel="cli")
    client.get("/v1/screen", params={"name": "Siemens AG"})
    r = client.get("/v1/audit")
    assert r.status_code == 200
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert [x["name"] for x in rows] == ["Sinno Electronics", "Siemens AG"]  # the stream is whole
    assert rows[0]["ref"] == "CP-\ufffd" and rows[0]["country"] == "H\ufffd"
    r = client.get("/v1/audit", params={"format": "csv"})
    assert r.status_code == 200 and len(list(csv.DictReader(io.StringIO(r.text)))) == 2
    # a record written before the writer cleaned its text: the JSON column holds a "\ud800" escape
    legacy = {**{k: v for k, v in next(iter(wf.store.iter_screenings())).items() if k != "id"},
              "request_id": "legacy", "attributes": {"country": "\ud800", "note": "x\udfff"}}
    with wf.store.begin() as conn:
        wf.store.insert_screenings(conn, [legacy])
    r = client.get("/v1/audit")
    rows = [json.loads(line) for line in r.text.splitlines()]
    assert len(rows) == 3 and rows[2]["attributes"]["country"] == "\ud800"  # kept, as a JSON escape
    for fmt, lines in (("jsonl", 3), ("csv", 4)):
        cli = CliRunner().invoke(cli_app, ["audit", "export", "--format", fmt], env={"SCREENING_DB_URL": settings.db_url})
        assert cli.exit_code == 0, cli.output
        assert len(cli.stdout.splitlines()) == lines


# ---- 12: upload file names and contents ----------------------------------------------------------

UPLOAD = b"name\nSinno Electronics\nSiemens AG\n"


@pytest.mark.parametrize("filename", ["контрагенты.csv", "客户名单.csv", "a" * 296 + ".csv", "x" * 300,
                                      'we"ird\\name.csv'])
def test_upload_file_names(client: TestClient, filename: str) -> None:
    r = client.post("/v1/screen/file", files={"file": (filename, UPLOAD, "text/csv")})
    assert r.status_code == 200, r.text
    assert r.headers["x-rows"] == "2"
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="') and "filename*=UTF-8''" in disposition


def xlsx_bytes() -> bytes:
    wb = Workbook()
    wb.active.append(["name"])
    wb.active.append(["Sinno Electronics"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(("filename", "data"), [
    ("book.csv", bytes(range(256)) * 64),  # a binary file
    ("book.csv", xlsx_bytes()),  # an XLSX sent as .csv
    ("book.xlsx", b"name\nSinno\n"),  # CSV sent as .xlsx
    ("book.xlsx", b"PK\x03\x04 not really a zip"),
])
def test_upload_of_the_wrong_kind_is_4xx(client: TestClient, filename: str, data: bytes) -> None:
    for path in ("/v1/screen/file", "/v1/jobs"):
        r = client.post(path, files={"file": (filename, data, "application/octet-stream")})
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
        assert detail(r)  # one printable line


# ---- 5: upload size limits -----------------------------------------------------------------------

def test_uploads_over_the_limit_are_413_before_the_work(settings: Settings) -> None:
    small = replace(settings, max_upload=2000)
    with TestClient(create_app(small)) as client:
        big = b"name\n" + b"Siemens AG\n" * 400  # 4.4 kB
        for path in ("/v1/screen/file", "/v1/jobs"):
            r = client.post(path, files={"file": ("big.csv", big, "text/csv")})
            assert r.status_code == 413, r.text
            assert detail(r).endswith("over the limit of 2000 bytes (SCREENING_MAX_UPLOAD)")

        def stream() -> Iterator[bytes]:  # no Content-Length: counted while it streams
            yield b'{"queries": ['
            for _ in range(200):
                yield b'{"name": "Siemens AG"},'
            yield b'{"name": "x"}]}'

        r = client.post("/v1/screen", content=stream(), headers=JSON)
        assert r.status_code == 413 and "over the limit of 2000 bytes" in detail(r)
        assert client.post("/v1/screen/file", files={"file": ("ok.csv", UPLOAD, "text/csv")}).status_code == 200
        # nothing over the limit was screened or recorded
        assert [x["name"] for x in client.app.state.workflow.audit_rows()] == ["Sinno Electronics", "Siemens AG"]


@pytest.mark.parametrize("dimension", [b"A1:XFD20000", b"A1:XFD1048576"])
def test_xlsx_dimension_bomb_over_http_is_screened_as_it_is(client: TestClient, dimension: bytes) -> None:
    # a tiny XLSX whose <dimension> declares a huge sheet: the reader reads the rows that are there
    wb = Workbook()
    wb.active.append(["name"])
    wb.active.append(["Sinno Electronics"])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, n = re.subn(rb'<dimension ref="A1:A2"\s*/>', b'<dimension ref="' + dimension + b'"/>', data)
                assert n == 1
            z.writestr(item, data)
    for path in ("/v1/screen/file", "/v1/jobs"):
        r = client.post(path, files={"file": ("bomb.xlsx", out.getvalue(), "application/octet-stream")})
        assert r.status_code in (200, 202), r.text
    r = client.post("/v1/screen/file", files={"file": ("bomb.xlsx", out.getvalue(), "application/octet-stream")})
    assert r.headers["x-rows"] == "1" and r.text.splitlines()[1].startswith("Sinno Electronics,potential_match")


# ---- 4: the database deleted under a running server ----------------------------------------------

def test_no_answer_without_its_record_when_the_database_is_deleted(client: TestClient, settings: Settings) -> None:
    assert client.get("/v1/screen", params={"name": "Siemens AG"}).status_code == 200
    db = Path(settings.db_url.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    r = client.get("/v1/screen", params={"name": "Norinco"})
    assert r.status_code == 503 and "was deleted while the server ran" in detail(r)
    r = client.post("/v1/screen/file", files={"file": ("a.csv", UPLOAD, "text/csv")})
    assert r.status_code == 503
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["not_ready"][0].startswith("database: the database file")
    assert client.get("/healthz").status_code == 200
    db.write_bytes(b"")  # a new file at the same path is not the one with the records either
    assert client.get("/v1/screen", params={"name": "Norinco"}).status_code == 503


# ---- 16: what a screener sees of the server ------------------------------------------------------

def test_watchlist_shows_file_paths_to_admins_only(tmp_path: Path) -> None:
    settings = Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0, db_url=f"sqlite:///{tmp_path / 's.db'}")
    app = create_app(settings)
    with TestClient(app) as client:
        wf: Workflow = app.state.workflow
        screener = {"X-API-Key": wf.create_key("s", "screener")[1]}
        admin = {"X-API-Key": wf.create_key("a", "admin")[1]}
        seen = client.get("/v1/watchlist", headers=screener).json()
        assert "path" not in seen and str(tmp_path) not in json.dumps(seen) and "/" not in json.dumps(seen["sources"])
        assert seen["version"] and seen["sources"][0]["source"] == "seed"
        assert client.get("/v1/watchlist", headers=admin).json()["path"] == str(DEFAULT_WATCHLIST)


def test_auth_off_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with TestClient(create_app(Settings(auth="off", db_url=f"sqlite:///{tmp_path / 's.db'}", reload_interval=0))):
        pass
    assert caplog.text.count("SCREENING_AUTH=off") == 1
    caplog.clear()
    create_app(Settings(auth="off", db_url="sqlite://"), warn_auth_off=False)  # screen serve warned already
    assert "SCREENING_AUTH=off" not in caplog.text


# ---- operations: request ids, logs, metrics ------------------------------------------------------

def test_every_log_line_of_a_request_carries_its_id(client: TestClient) -> None:
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("screening")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        r = client.get("/v1/screen", params={"name": "Norinco"}, headers={"X-Request-ID": "req-42"})
        assert r.headers["x-request-id"] == "req-42"
        client.get("/v1/nowhere", headers={"X-Request-ID": "bad id with spaces"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    mine = [x for x in records if x["request_id"] == "req-42"]
    assert mine and mine[-1]["logger"] == "screening.api.access" and mine[-1]["status"] == 200
    assert mine[-1]["route"] == "/v1/screen" and mine[-1]["caller"].startswith("local:")
    other = records[-1]
    assert other["status"] == 404 and other["request_id"] != "bad id with spaces" and len(other["request_id"]) == 32


def test_metrics(client: TestClient) -> None:
    client.post("/v1/screen", json={"queries": [{"name": "Sinno Electronics"}, {"name": "Siemens AG"}]})
    client.get("/v1/alerts/99999999999999999999")
    client.post("/v1/screen/file", files={"file": ("a.csv", UPLOAD, "text/csv")})
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    version = client.get("/v1/watchlist").json()["version"]
    for line in (
        'screening_http_requests_total{method="POST",route="/v1/screen",status="200"} 1.0',
        'screening_http_requests_total{method="GET",route="/v1/alerts/{alert_id}",status="422"} 1.0',
        'screening_screenings_total{channel="api"} 2.0',
        'screening_potential_matches_total{channel="api"} 1.0',
        'screening_screenings_total{channel="api-file"} 2.0',
        'screening_audit_write_seconds_count 2.0',
        f'screening_watchlist_info{{id="seed",version="{version}"}} 1.0',
        'screening_jobs{status="done"} 0.0',
    ):
        assert line in text, line
    assert 'screening_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/v1/screen"} 1.0' in text
    assert "screening_watchlist_age_seconds " in text
