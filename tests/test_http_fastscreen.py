"""GET /v1/screen's fast path (api/fastscreen.py) answers exactly as the FastAPI route it stands in for.

Two apps over one database, one with the fast path and one without (SCREENING_FAST_SCREEN=false: the route in
api/routers/screen.py, the reference), get the same generated query strings and headers; status, body and the
headers a client reads must be the same. Then what only the fast path's wiring can break: the access log line,
the metrics label, and the key check before the parameters.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from screening.config import DEFAULT_WATCHLIST, Settings

KEYS = ["name", "country", "type", "threshold", "limit", "ref", "dob", "identifier", "other"]
VALUES = ["", "Norinco", "Sino Electronics Co., Ltd", "Siemens AG", " ", "x" * 301, "HK", "person", "company", "Person",
          "vessel", "0", "0.5", "1", "1.5", "-1", "nan", "inf", "1e309", "abc", "10", "100", "101", "1971",
          "1971-05", "1971-05-02", "1971-5-2", "IMO 9187629", "%FF%FE", "%00", "%ED%A0%80", "Ñoño", "中国北方工业"]
PAIR = st.tuples(st.sampled_from(KEYS), st.sampled_from(VALUES))


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, TestClient, str]]:
    db = f"sqlite:///{tmp_path_factory.mktemp('fast') / 'screening.db'}"
    base = Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0, db_url=db)
    with TestClient(create_app(base)) as fast, \
            TestClient(create_app(Settings(**{**base.__dict__, "fast_screen": False}))) as slow:
        _, token = fast.app.state.workflow.create_key("twin", "screener")
        yield fast, slow, token


def _query(pairs: list[tuple[str, str]]) -> str:
    # values are put in as written: "%FF" stays a percent escape, so undecodable bytes reach both apps
    return "&".join(f"{k}={v if v.startswith('%') else urllib.parse.quote(v)}" for k, v in pairs)


def _same(fast: TestClient, slow: TestClient, url: str, headers: dict[str, str]) -> None:
    a, b = fast.get(url, headers=headers), slow.get(url, headers=headers)
    assert a.status_code == b.status_code, (url, a.text, b.text)
    assert a.json() == b.json(), url
    for h in ("content-type", "www-authenticate"):
        assert a.headers.get(h) == b.headers.get(h), (url, h)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(PAIR, max_size=6), with_name=st.booleans())
def test_the_fast_path_answers_as_the_route(clients: tuple[TestClient, TestClient, str],
                                            pairs: list[tuple[str, str]], with_name: bool) -> None:
    fast, slow, token = clients
    if with_name:
        pairs = [("name", "Norinco"), *pairs]
    _same(fast, slow, "/v1/screen?" + _query(pairs), {"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sk_nope"}, {"X-API-Key": ""},
                                     {"Authorization": "Basic abc"}])
def test_the_key_is_checked_before_the_parameters(clients: tuple[TestClient, TestClient, str],
                                                  headers: dict[str, str]) -> None:
    fast, slow, _ = clients
    for url in ("/v1/screen?name=Norinco", "/v1/screen?threshold=abc", "/v1/screen"):
        _same(fast, slow, url, headers)
        assert fast.get(url, headers=headers).status_code == 401


def test_other_methods_and_paths_go_to_fastapi(clients: tuple[TestClient, TestClient, str]) -> None:
    fast, slow, token = clients
    h = {"Authorization": f"Bearer {token}"}
    for method, url in (("HEAD", "/v1/screen?name=Norinco"), ("PUT", "/v1/screen?name=Norinco"),
                        ("GET", "/v1/screen/?name=Norinco"), ("GET", "/v1/screen/file")):
        a = fast.request(method, url, headers=h, follow_redirects=False)
        b = slow.request(method, url, headers=h, follow_redirects=False)
        assert (a.status_code, a.content) == (b.status_code, b.content), (method, url)


def test_the_fast_path_is_logged_counted_and_recorded(clients: tuple[TestClient, TestClient, str],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    fast, _, token = clients
    with caplog.at_level(logging.INFO, logger="screening.api.access"):
        r = fast.get("/v1/screen", params={"name": "Sino Electronics Co., Ltd", "ref": "CP-FAST"},
                     headers={"Authorization": f"Bearer {token}", "X-Request-ID": "fast-1"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "fast-1"
    line = [x for x in caplog.records if x.name == "screening.api.access"][-1]
    assert (line.route, line.status, line.caller) == ("/v1/screen", 200, "key:twin")
    metrics = fast.get("/metrics").text
    assert 'screening_http_requests_total{method="GET",route="/v1/screen",status="200"}' in metrics
    assert 'screening_screenings_total{channel="api"}' in metrics
    rows = list(fast.app.state.workflow.audit_rows())
    mine = [x for x in rows if x["ref"] == "CP-FAST"]
    assert len(mine) == 1 and mine[0]["caller"] == "key:twin" and mine[0]["status"] == "potential_match"
    assert json.loads(r.text)["results"][0]["status"] == "potential_match"


def test_a_fast_answer_needs_its_record(tmp_path: Path) -> None:
    """The fast path awaits the audit record like the route: a database deleted under the server gives 503."""
    db = tmp_path / "screening.db"
    app = create_app(Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0, db_url=f"sqlite:///{db}", auth="off"),
                     warn_auth_off=False)
    with TestClient(app) as client:
        assert client.get("/v1/screen", params={"name": "Norinco"}).status_code == 200
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        r = client.get("/v1/screen", params={"name": "Norinco"})
        assert r.status_code == 503 and list(r.json()) == ["detail"]
