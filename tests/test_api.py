"""The HTTP API through FastAPI's TestClient (as a context manager, so the lifespan loads the watchlist)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app as cli_app
from screening.config import Settings
from screening.errors import WatchlistError
from screening.service import Query, Service

HIT_KEYS = {"listings", "entity_id", "name", "matched_name", "score", "type", "countries", "sources", "explanation",
            "suppressed", "suppression"}
# Models FastAPI adds on its own; every model of ours must carry examples.
FRAMEWORK_MODELS = {"HTTPValidationError", "ValidationError"}


@pytest.fixture(scope="module")
def client(seed_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(seed_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def small_client(seed_settings: Settings) -> Iterator[TestClient]:
    settings = replace(seed_settings, max_batch=3, max_name_length=20)
    with TestClient(create_app(settings)) as c:
        yield c


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- POST /v1/screen ----------------------------------------------------------------------------


def test_post_screen(client: TestClient, seed_service: Service) -> None:
    body = {"queries": [{"name": "Sino Electronics Co., Ltd", "country": "HK", "ref": "CP-3"},
                        {"name": "Siemens AG", "ref": "CP-1"},
                        {"name": "VTB Bank PJSC", "type": "company"}]}
    r = client.post("/v1/screen", json=body)
    assert r.status_code == 200
    data = r.json()
    assert data["watchlist"] == {"id": "seed", "version": seed_service.watchlist.version,
                                 "entities": seed_service.watchlist.n_entities}
    assert data["threshold"] == seed_service.settings.threshold
    results = data["results"]
    assert [x["ref"] for x in results] == ["CP-3", "CP-1", None]
    assert [x["status"] for x in results] == ["potential_match", "clear", "potential_match"]
    assert results[0]["query"] == {"name": "Sino Electronics Co., Ltd", "country": "HK", "type": None, "ref": "CP-3",
                                   "dob": None, "identifiers": []}
    assert results[0]["hits"][0]["entity_id"] == "seed:sinno-electronics"
    assert results[2]["hits"][0]["entity_id"] == "seed:vtb-bank"
    assert results[1]["hits"] == []
    for hit in results[0]["hits"] + results[2]["hits"]:
        assert set(hit) == HIT_KEYS


def test_hits_match_the_cli_json(client: TestClient) -> None:
    api = client.get("/v1/screen", params={"name": "Shandong Oree Laser Tech", "threshold": 0.3}).json()
    cli = json.loads(CliRunner().invoke(cli_app, ["check", "Shandong Oree Laser Tech", "--threshold", "0.3",
                                                  "--json"]).stdout)
    assert api["results"][0]["hits"] == cli["hits"]
    assert api["watchlist"] == cli["watchlist"]


def test_post_threshold_and_limit(client: TestClient) -> None:
    loose = client.post("/v1/screen", json={"queries": [{"name": "Technology"}], "threshold": 0.1, "limit": 50}).json()
    hits = loose["results"][0]["hits"]
    assert len(hits) >= 2 and all(h["score"] >= 0.1 for h in hits)
    one = client.post("/v1/screen", json={"queries": [{"name": "Technology"}], "threshold": 0.1, "limit": 1}).json()
    assert [h["entity_id"] for h in one["results"][0]["hits"]] == [hits[0]["entity_id"]]
    strict = client.post("/v1/screen", json={"queries": [{"name": "Sino Electronics Co., Ltd"}], "threshold": 1.0})
    assert strict.json()["results"][0]["status"] == "clear"


def test_post_empty_query_list(client: TestClient) -> None:
    r = client.post("/v1/screen", json={"queries": []})
    assert r.status_code == 200 and r.json()["results"] == []


@pytest.mark.parametrize("body", [
    {"queries": [{"name": "x"}], "threshold": 1.5},
    {"queries": [{"name": "x"}], "limit": 0},
    {"queries": [{"name": "x", "type": "bank"}]},
    {"queries": [{"country": "HK"}]},
    {"names": ["x"]},
])
def test_post_schema_errors(client: TestClient, body: dict) -> None:
    r = client.post("/v1/screen", json=body)
    assert r.status_code == 422
    assert r.json()["detail"]


# --- GET /v1/screen ---------------------------------------------------------------------------------


def test_get_screen(client: TestClient) -> None:
    r = client.get("/v1/screen", params={"name": "Norinco", "country": "CN", "type": "company", "limit": 1})
    assert r.status_code == 200
    (result,) = r.json()["results"]
    assert result["status"] == "potential_match"
    assert result["query"]["country"] == "CN" and result["query"]["type"] == "company"
    assert [h["entity_id"] for h in result["hits"]] == ["seed:china-north-industries-group"]


def test_get_screen_clear_and_type_filter(client: TestClient) -> None:
    assert client.get("/v1/screen", params={"name": "Alpha Bank"}).json()["results"][0]["status"] == "clear"
    r = client.get("/v1/screen", params={"name": "Sinno Electronics", "type": "person"})
    assert r.json()["results"][0]["status"] == "clear"


@pytest.mark.parametrize("params", [{}, {"name": "x", "threshold": 2}, {"name": "x", "limit": 0},
                                    {"name": "x", "type": "bank"}])
def test_get_screen_schema_errors(client: TestClient, params: dict) -> None:
    assert client.get("/v1/screen", params=params).status_code == 422


# --- bad input (issue 2, section 7) --------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_empty_name_names_the_query_index(client: TestClient, blank: str) -> None:
    r = client.post("/v1/screen", json={"queries": [{"name": "Sinno"}, {"name": "Acme"}, {"name": blank}]})
    assert r.status_code == 422
    assert r.json() == {"detail": "queries[2]: name is empty"}


def test_get_empty_name(client: TestClient) -> None:
    r = client.get("/v1/screen", params={"name": "  "})
    assert r.status_code == 422 and r.json()["detail"] == "queries[0]: name is empty"


def test_default_limits(client: TestClient) -> None:
    r = client.post("/v1/screen", json={"queries": [{"name": "a" * 301}]})
    assert r.status_code == 422
    assert r.json()["detail"] == "queries[0]: name is 301 characters long (limit 300)"
    r = client.post("/v1/screen", json={"queries": [{"name": "a"}] * 1001})
    assert r.status_code == 422
    assert r.json()["detail"] == "too many names in one request: 1001 (limit 1000)"
    assert client.post("/v1/screen", json={"queries": [{"name": "a"}] * 1000}).status_code == 200


def test_configured_limits(small_client: TestClient) -> None:
    r = small_client.post("/v1/screen", json={"queries": [{"name": "a"}] * 4})
    assert r.status_code == 422 and r.json()["detail"] == "too many names in one request: 4 (limit 3)"
    r = small_client.post("/v1/screen", json={"queries": [{"name": "ok"}, {"name": "b" * 21}]})
    assert r.status_code == 422 and r.json()["detail"] == "queries[1]: name is 21 characters long (limit 20)"
    r = small_client.get("/v1/screen", params={"name": "c" * 21})
    assert r.status_code == 422 and "(limit 20)" in r.json()["detail"]


def test_limits_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCREENING_AUTH", "off")
    monkeypatch.setenv("SCREENING_DB_URL", "sqlite://")
    monkeypatch.setenv("SCREENING_MAX_BATCH", "2")
    monkeypatch.setenv("SCREENING_MAX_NAME_LENGTH", "7")
    monkeypatch.setenv("SCREENING_RELOAD_INTERVAL", "0")
    with TestClient(create_app(Settings.from_env())) as c:
        r = c.post("/v1/screen", json={"queries": [{"name": "a"}] * 3})
        assert r.json()["detail"] == "too many names in one request: 3 (limit 2)"
        r = c.post("/v1/screen", json={"queries": [{"name": "Sinno El"}]})
        assert r.json()["detail"] == "queries[0]: name is 8 characters long (limit 7)"


def test_unpaired_surrogate_is_422_not_500(client: TestClient) -> None:
    # JSON allows a lone "\udc80" escape; it used to crash the normaliser with a 500
    r = client.post("/v1/screen", content=b'{"queries": [{"name": "Sinno \\udc80"}]}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("queries[0]: name has an unpaired surrogate")


# --- POST /v1/screen/file -------------------------------------------------------------------------

UPLOAD = "id,name,country\nC1,Sinno Electronics,HK\nC2,Siemens AG,DE\nC3,,HK\nC4,VTB Bank PJSC,RU\n"


def upload(client: TestClient, data: bytes, filename: str = "customers.csv", **params) -> object:
    return client.post("/v1/screen/file", files={"file": (filename, data, "text/csv")}, params=params)


def test_upload_returns_the_cli_output(client: TestClient, tmp_path: Path) -> None:
    r = upload(client, UPLOAD.encode())
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["x-rows"] == "4" and r.headers["x-potential-matches"] == "2" and r.headers["x-errors"] == "1"
    assert "customers-screened.csv" in r.headers["content-disposition"]
    rows = rows_of(r.text)
    assert [r_["id"] for r_ in rows] == ["C1", "C2", "C3", "C4"]
    assert [r_["match_status"] for r_ in rows] == ["potential_match", "clear", "error", "potential_match"]
    assert rows[2]["error"] == "row 4: name is empty"
    path = tmp_path / "customers.csv"
    path.write_text(UPLOAD, encoding="utf-8")
    cli = CliRunner().invoke(cli_app, ["file", str(path)])
    assert r.text == cli.stdout  # same columns, same values


def test_upload_options(client: TestClient) -> None:
    data = "Legal Name;Land\nSociété Générale;FR\nSinno Electronics;HK\n".encode("cp1252")
    r = upload(client, data, name_column="Legal Name", country_column="Land", encoding="cp1252")
    assert r.status_code == 200
    rows = rows_of(r.text)
    assert rows[0]["Legal Name"] == "Société Générale"
    assert [x["match_status"] for x in rows] == ["clear", "potential_match"]
    strict = upload(client, b'name\n"Sino Electronics Co., Ltd"\n', threshold=1.0)
    assert rows_of(strict.text)[0]["match_status"] == "clear"


def test_upload_tsv(client: TestClient) -> None:
    r = upload(client, b"name\tnote\nSinno Electronics\ta,b\n", filename="list.tsv")
    assert r.status_code == 200 and rows_of(r.text)[0]["note"] == "a,b"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "customers.csv: the file is empty"),
    (b"name,country\n", "customers.csv: the file has a header but no data rows"),
    (b"id,code\n1,2\n", "customers.csv: no name column (use --name-column); the file has columns: id, code"),
])
def test_upload_whole_file_errors(client: TestClient, data: bytes, message: str) -> None:
    r = upload(client, data)
    assert r.status_code == 400
    assert r.json() == {"detail": message}  # names the upload, not a server temp path


def test_upload_bad_threshold(client: TestClient) -> None:
    assert upload(client, UPLOAD.encode(), threshold=5).status_code == 422


# --- watchlist, health, docs ----------------------------------------------------------------------


def test_watchlist(client: TestClient, seed_service: Service) -> None:
    r = client.get("/v1/watchlist")
    assert r.status_code == 200
    info = r.json()
    wl = seed_service.watchlist
    assert (info["id"], info["version"], info["entities"], info["names"]) == ("seed", wl.version, wl.n_entities,
                                                                             wl.n_names)
    assert info["sources"][0]["source"] == "seed"
    assert info["threshold"] == seed_service.settings.threshold


def test_health_and_ready(client: TestClient, seed_service: Service) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready", "watchlist": seed_service.watchlist.version}


def test_not_ready_before_the_lifespan(seed_settings: Settings) -> None:
    c = TestClient(create_app(seed_settings), raise_server_exceptions=False)  # no `with`: lifespan not run
    assert c.get("/healthz").status_code == 200
    assert c.get("/readyz").status_code == 503
    r = c.get("/v1/screen", params={"name": "Sinno"})
    assert r.status_code == 500 and "not loaded" in r.json()["detail"]


def test_startup_fails_on_a_missing_watchlist(seed_settings: Settings, tmp_path: Path) -> None:
    app = create_app(replace(seed_settings, watchlist=tmp_path / "missing.wl"))
    with pytest.raises(WatchlistError, match="missing.wl"), TestClient(app):
        pass


def test_other_watchlist(extra_artifact: Path, seed_settings: Settings) -> None:
    with TestClient(create_app(replace(seed_settings, watchlist=extra_artifact))) as c:
        r = c.get("/v1/screen", params={"name": "Kvetoslav Quarry Works"})
        assert r.json()["results"][0]["hits"][0]["entity_id"] == "seed:kvetoslav-quarry-works"
        assert c.get("/v1/watchlist").json()["entities"] == 14


def test_docs(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and "swagger" in r.text.lower()


def test_openapi_has_examples_on_every_model(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/v1/screen", "/v1/screen/file", "/v1/watchlist", "/healthz", "/readyz"):
        assert path in spec["paths"], path
    assert set(spec["paths"]["/v1/screen"]) == {"get", "post"}
    schemas = spec["components"]["schemas"]
    ours = {name for name in schemas if name not in FRAMEWORK_MODELS and not name.startswith("Body_")}
    assert {"Query", "Hit", "WatchlistRef", "Result", "ScreenResponse", "ScreenRequest"} <= ours
    missing = [name for name in ours if "examples" not in json.dumps(schemas[name])]
    assert missing == []
    post = spec["paths"]["/v1/screen"]["post"]
    assert post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ScreenResponse")


def test_service_examples_are_valid(client: TestClient) -> None:
    # the request example on the docs page really works
    spec = client.get("/openapi.json").json()
    example = spec["components"]["schemas"]["ScreenRequest"]["properties"]["queries"]["examples"][0]
    r = client.post("/v1/screen", json={"queries": example})
    assert r.status_code == 200
    assert [Query.model_validate(q).name for q in example] == [x["query"]["name"] for x in r.json()["results"]]
