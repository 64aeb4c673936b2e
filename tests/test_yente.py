"""The yente-compatible routes through TestClient on the seed watchlist: shapes, parameters, errors, filters, audit, auth."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import declared_role
from api.routers import yente
from screening.config import Settings
from screening.workflow import Workflow

SINO = {"schema": "Company", "properties": {"name": ["Sino Electronics Co., Ltd"], "country": ["Hong Kong"]}}
CLEAN = {"schema": "Company", "properties": {"name": "Siemens AG", "jurisdiction": "de"}}
RESULT_KEYS = {"id", "caption", "schema", "properties", "datasets", "referents", "target", "first_seen", "last_seen",
               "last_change", "score", "match", "explanations"}
FTM_ID = re.compile(r"^[0-9a-zA-Z]([0-9a-zA-Z.\-]*[0-9a-zA-Z])?$")  # FollowTheMoney's entity id rule


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, seed_artifact: Path) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("yente-db") / "screening.db"
    settings = Settings(watchlist=seed_artifact, reload_interval=0, auth="off", db_url=f"sqlite:///{db}")
    with TestClient(create_app(settings)) as c:
        yield c


def match(client: TestClient, queries: dict, dataset: str = "default", **params):
    return client.post(f"/match/{dataset}", json={"queries": queries}, params=params)


def test_match_shape_and_expected_hits(client: TestClient) -> None:
    r = match(client, {"sino": SINO, "clean": CLEAN})
    assert r.status_code == 200, r.text
    assert r.headers["x-batch-size"] == "2"
    data = r.json()
    assert data["limit"] == 5 and set(data["responses"]) == {"sino", "clean"}
    sino = data["responses"]["sino"]
    assert sino["status"] == 200
    assert sino["query"] == {"id": None, "schema": "Company",
                             "properties": {"name": ["Sino Electronics Co., Ltd"], "country": ["hk"]}}
    (hit,) = sino["results"]
    assert set(hit) == RESULT_KEYS
    assert hit["id"] == "seed-sinno-electronics" and FTM_ID.match(hit["id"])
    assert hit["caption"] == "Sinno Electronics" and hit["schema"] == "Company"
    assert hit["datasets"] == ["seed"] and hit["referents"] == [] and hit["target"] is True
    assert hit["properties"]["country"] == ["hk"] and hit["properties"]["topics"] == ["sanction.linked"]
    assert all(isinstance(v, list) for v in hit["properties"].values())
    assert hit["match"] is True and 0.8 <= hit["score"] < 1
    assert sino["total"] == {"value": 1, "relation": "eq"}
    name = hit["explanations"]["name_match"]
    assert name["candidate"] == "Sinno Electronics" and "sino~sinno" in name["detail"]
    assert hit["explanations"]["country_match"]["detail"] == "country HK matches"
    assert data["responses"]["clean"]["results"] == [] and data["responses"]["clean"]["total"]["value"] == 0


def test_every_name_and_country_is_screened(client: TestClient) -> None:
    # the second name matches; of two countries, the listed one counts (no mismatch penalty)
    q = {"schema": "Company", "properties": {"name": ["Acme Widgets", "VTB Bank PJSC"], "country": ["de", "ru"]}}
    (hit,) = match(client, {"q": q}).json()["responses"]["q"]["results"]
    assert hit["id"] == "seed-vtb-bank" and hit["score"] == 1.0
    assert "country_match" in hit["explanations"]
    one = {"schema": "Company", "properties": {"name": "VTB Bank PJSC", "country": "de"}}
    (other,) = match(client, {"q": one}).json()["responses"]["q"]["results"]
    assert other["score"] < hit["score"] and "country_mismatch" in other["explanations"]


def test_id_passes_through_and_numbers_are_strings(client: TestClient) -> None:
    q = {"id": "my-ref-1", "schema": "Company", "properties": {"name": ["Norinco"], "incorporationDate": [1980],
                                                               "registrationNumber": 12345}}
    res = match(client, {"q": q}).json()["responses"]["q"]
    assert res["query"]["id"] == "my-ref-1"
    assert res["query"]["properties"]["incorporationDate"] == ["1980"]
    assert res["query"]["properties"]["registrationNumber"] == ["12345"]
    assert res["results"][0]["id"] == "seed-china-north-industries-group"


def test_schema_decides_the_entity_types(client: TestClient) -> None:
    for schema, found in [("Company", True), ("LegalEntity", True), ("Organization", True), ("Thing", True),
                          ("Person", False), ("Vessel", False), ("Address", False)]:
        q = {"schema": schema, "properties": {"name": ["VTB Bank"]}}
        r = match(client, {"q": q})
        assert r.status_code == 200, (schema, r.text)
        assert bool(r.json()["responses"]["q"]["results"]) is found, schema


@pytest.mark.parametrize(("body", "status", "detail"), [
    ({"queries": {"q": {"properties": {"name": "Banana"}}}}, 422, None),  # no schema: pydantic's 422
    ({"queries": {"q": {"schema": "xxx", "properties": {"name": "Banana"}}, "ok": SINO}}, 400, "Unknown schema: 'xxx'"),
    ({"queries": {"q": {"schema": "Sanction", "properties": {}}}}, 400, "Non-matchable schema for query: Sanction"),
    ({"queries": {}}, 400, "No queries provided."),
    ({"queries": {f"q{i}": CLEAN for i in range(101)}}, 400, "Too many queries in one batch (limit: 100)"),
    ({"queries": {"q": SINO}, "config": {"invalid_option": 1}}, 400,
     "Invalid configuration parameter: invalid_option for algorithm best"),
])
def test_match_errors_as_yente_gives_them(client: TestClient, body: dict, status: int, detail: str | None) -> None:
    r = client.post("/match/default", json=body)
    assert r.status_code == status, r.text
    if detail:
        assert r.json() == {"detail": detail}


def test_match_parameters_errors(client: TestClient) -> None:
    assert match(client, {"q": SINO}, algorithm="neural-net").json() == {"detail": "Invalid algorithm: neural-net"}
    assert match(client, {"q": SINO}, dataset="nope").status_code == 404
    assert match(client, {"q": SINO}, limit=501).status_code == 422
    assert match(client, {"q": SINO}, threshold=1.5).status_code == 422
    assert match(client, {"q": SINO}, changed_since="yesterday").status_code == 422
    too_long = {"schema": "Company", "properties": {"name": "x" * 400}}
    r = match(client, {"long": too_long})
    assert r.status_code == 422 and r.json()["detail"] == "queries.long: name is 400 characters long (limit 300)"


def test_yente_algorithm_names_and_config(client: TestClient) -> None:
    for name in ("best", "logic-v2", "logic-v1", "name-based", "name-qualified", "ofac", "regression-v1", "m1"):
        r = match(client, {"q": SINO}, algorithm=name)
        assert r.status_code == 200 and r.json()["responses"]["q"]["results"], name
    r = client.post("/match/default", params={"algorithm": "logic-v2"},
                    json={"queries": {"q": SINO}, "config": {"nm_number_mismatch": 0.4}, "weights": {"name": 0.5}})
    assert r.status_code == 200 and r.headers["x-ignored-config"] == "nm_number_mismatch, weights.name"
    r = client.post("/match/default", params={"algorithm": "name-based"},
                    json={"queries": {"q": SINO}, "config": {"nm_number_mismatch": 0.4}})
    assert r.status_code == 400  # yente's name-based takes no configuration


def test_threshold_cutoff_and_limit(client: TestClient, extra_artifact: Path, tmp_path: Path) -> None:
    assert match(client, {"q": SINO}, threshold=0.99).json()["responses"]["q"]["results"] == []
    res = match(client, {"q": SINO}, threshold=0.99, cutoff=0.5).json()["responses"]["q"]
    assert [r["id"] for r in res["results"]] == ["seed-sinno-electronics"]
    assert res["results"][0]["match"] is False and res["total"]["value"] == 0
    # the made-up person, and the company whose alias holds his name (conftest's extra seeds)
    settings = Settings(watchlist=extra_artifact, reload_interval=0, auth="off", db_url=f"sqlite:///{tmp_path / 'x.db'}")
    person = {"schema": "LegalEntity", "properties": {"name": ["Radomir Zelinka"]}}
    with TestClient(create_app(settings)) as extra:
        both = match(extra, {"q": person}, threshold=0.9, cutoff=0.5).json()["responses"]["q"]
        assert [(r["id"], r["schema"], r["match"]) for r in both["results"]] == [
            ("seed-radomir-zelinka", "Person", True), ("seed-kvetoslav-quarry-works", "Company", False)]
        assert both["total"]["value"] == 1
        one = match(extra, {"q": person}, threshold=0.9, cutoff=0.5, limit=1).json()["responses"]["q"]
        assert one["results"] == both["results"][:1] and one["total"] == both["total"]
        assert match(extra, {"q": person}, limit=0).json()["responses"]["q"]["results"] == []
        only_person = {"schema": "Person", "properties": {"name": ["Radomir Zelinka"]}}
        res = match(extra, {"q": only_person}, cutoff=0.5).json()["responses"]["q"]
        assert [r["id"] for r in res["results"]] == ["seed-radomir-zelinka"]


@pytest.mark.parametrize(("params", "found"), [
    ({"include_dataset": "seed"}, True),
    ({"include_dataset": ["ofac-sdn", "ae_local_terrorists"]}, False),
    ({"include_dataset": ["seed", "mx_governors"], "exclude_dataset": "seed"}, False),
    ({"exclude_dataset": "seed"}, False),
    ({"exclude_dataset": "ofac-sdn"}, True),
    ({"exclude_schema": "Company"}, False),
    ({"exclude_schema": "Person"}, True),
    ({"topics": "sanction.linked"}, True),
    ({"topics": ["crime.cyber", "role.pep"]}, False),
    ({"exclude_entity_ids": "seed-sinno-electronics"}, False),
    ({"exclude_entity_ids": "seed:sinno-electronics"}, False),
    ({"exclude_entity_ids": "seed-vtb-bank"}, True),
    ({"changed_since": "2024-01-01"}, True),  # the lists don't date changes: nothing is dropped
    ({"fuzzy": "false"}, True),
])
def test_match_filters(client: TestClient, params: dict, found: bool) -> None:
    r = match(client, {"q": SINO}, **params)
    assert r.status_code == 200, r.text
    assert bool(r.json()["responses"]["q"]["results"]) is found


def test_dataset_path_scopes_to_one_list(client: TestClient) -> None:
    for dataset in ("default", "sanctions", "seed"):
        assert match(client, {"q": SINO}, dataset=dataset).json()["responses"]["q"]["results"], dataset


def test_identifier_only_query(extra_artifact: Path, tmp_path: Path, seed_artifact: Path) -> None:
    # the seeds carry no identifiers; an identifier-only query that finds nothing is a clean 200
    settings = Settings(watchlist=seed_artifact, reload_interval=0, auth="off", db_url=f"sqlite:///{tmp_path / 'a.db'}")
    with TestClient(create_app(settings)) as c:
        res = c.post("/match/default", json={"queries": {"q": {"schema": "Company", "properties": {
            "registrationNumber": ["91110000100010433L"]}}}}).json()["responses"]["q"]
    assert res["results"] == [] and res["query"]["properties"] == {"registrationNumber": ["91110000100010433L"]}


def test_every_match_call_is_audited(client: TestClient) -> None:
    wf: Workflow = client.app.state.workflow
    before = len(list(wf.audit_rows()))
    match(client, {"sino": SINO, "clean": CLEAN}, threshold=0.9, cutoff=0.5)
    rows = list(wf.audit_rows())[before:]
    assert [(r["name"], r["channel"], r["status"]) for r in rows] == [
        ("Sino Electronics Co., Ltd", "yente", "potential_match"), ("Siemens AG", "yente", "clear")]
    assert rows[0]["country"] == "HK" and rows[0]["threshold"] == 0.9 and rows[0]["caller"].startswith("local:")


def test_entities_by_ftm_id_and_our_id(client: TestClient) -> None:
    r = client.get("/entities/seed-vtb-bank", params={"nested": "false"})
    assert r.status_code == 200, r.text
    e = r.json()
    assert e["id"] == "seed-vtb-bank" and e["schema"] == "Company" and e["caption"] == "VTB Bank"
    assert e["properties"]["name"] == ["VTB Bank"]
    assert set(e["properties"]["alias"]) >= {"VTB", "VTB Bank PJSC", "Банк ВТБ"}
    assert "sanctions" not in e["properties"] and "score" not in e
    assert client.get("/entities/seed:vtb-bank", params={"nested": "false"}).json() == e
    nested = client.get("/entities/seed-vtb-bank").json()  # nested is yente's default
    (sanction,) = nested["properties"]["sanctions"]
    assert sanction["schema"] == "Sanction" and sanction["properties"]["entity"] == ["seed-vtb-bank"]
    assert sanction["properties"]["authorityId"] == ["vtb-bank"] and FTM_ID.match(sanction["id"])
    r = client.get("/entities/NK-nothing")
    assert r.status_code == 404 and r.json() == {"detail": "No such entity!"}


def test_catalog_lists_as_datasets(client: TestClient) -> None:
    data = client.get("/catalog").json()
    by_name = {d["name"]: d for d in data["datasets"]}
    assert set(by_name) == {"seed", "default", "sanctions"}
    assert data["current"] and data["outdated"] == [] and data["index_stale"] is False
    wl = client.get("/v1/watchlist").json()
    assert by_name["seed"]["version"] == wl["version"] and by_name["seed"]["entity_count"] == 12
    assert by_name["default"]["children"] == ["seed"] and by_name["default"]["version"] == wl["version"]


def test_algorithms_say_which_of_ours_answers(client: TestClient) -> None:
    data = client.get("/algorithms").json()
    names = [a["name"] for a in data["algorithms"]]
    assert names[0] == "m1" and {"logic-v2", "logic-v1", "name-based", "ofac"} <= set(names)
    assert data["default"] == "best" and data["best"] == "m1"
    assert set(data["answered_by"].values()) == {"m1"}
    assert all({"name", "description", "features", "docs"} <= set(a) for a in data["algorithms"])


def test_search(client: TestClient) -> None:
    data = client.get("/search/default", params={"q": "Sino Electronics"}).json()
    assert data["results"][0]["id"] == "seed-sinno-electronics" and "score" not in data["results"][0]
    assert data["total"]["value"] == len(data["results"]) and data["limit"] == 10 and data["offset"] == 0
    assert set(data["facets"]) == {"countries", "topics", "datasets"}
    assert {"name": "hk", "label": "hk", "count": 1} in data["facets"]["countries"]["values"]
    assert client.get("/search/default", params={"q": "Sino Electronics", "countries": "ru"}).json()["results"] == []
    assert client.get("/search/default", params={"q": "Sino Electronics", "filter": "countries:hk"}).json()["results"]
    assert client.get("/search/default", params={"q": ""}).json()["results"] == []
    both = {"q": "Sino Electronics", "countries": ["hk", "ru"]}
    assert client.get("/search/default", params=both).json()["results"]  # OR: any of them
    assert client.get("/search/default", params={**both, "filter_op": "AND"}).json()["results"] == []
    assert client.get("/search/default", params={"q": "Sino Electronics", "target": "false"}).json()["results"] == []
    assert client.get("/search/default", params={"q": "x", "schema": "Banana"}).json() == {"detail": "Invalid schema"}
    assert client.get("/search/default", params={"q": "x", "filter": "nocolon"}).status_code == 400
    assert client.get("/search/default", params={"q": "x", "limit": 501}).status_code == 422


def test_roles_as_for_v1_screen() -> None:
    routes = [r for r in yente.router.routes if isinstance(r, APIRoute)]
    assert len(routes) == 11
    assert {declared_role(r) for r in routes} == {"screener"}


def test_apikey_header_and_roles(tmp_path: Path, seed_artifact: Path) -> None:
    settings = Settings(watchlist=seed_artifact, reload_interval=0, db_url=f"sqlite:///{tmp_path / 'k.db'}")
    with TestClient(create_app(settings)) as c:
        wf: Workflow = c.app.state.workflow
        _, key = wf.create_key("enricher", "screener")
        body = {"queries": {"q": SINO}}
        assert c.post("/match/default", json=body).status_code == 401
        assert c.post("/match/default", json=body, headers={"Authorization": "ApiKey sk_wrong"}).status_code == 401
        for headers in ({"Authorization": f"ApiKey {key}"}, {"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
            r = c.post("/match/default", json=body, headers=headers)
            assert r.status_code == 200, (headers, r.text)
        assert c.get("/catalog", headers={"Authorization": f"ApiKey {key}"}).status_code == 200
        # a screener may not do what needs an analyst, whichever header carries the key
        assert c.get("/v1/alerts", headers={"Authorization": f"ApiKey {key}"}).status_code == 403
        rows = list(wf.audit_rows())
        assert {r["caller"] for r in rows} == {"key:enricher"}


def test_cors_on_reconcile_only(client: TestClient) -> None:
    pre = client.options("/reconcile/default", headers={"Origin": "http://localhost:3333",
                                                        "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "*"
    assert client.get("/reconcile/default").headers["access-control-allow-origin"] == "*"
    assert client.get("/reconcile/default/suggest/type", params={"prefix": "comp"}).headers[
        "access-control-allow-origin"] == "*"
    for path in ("/catalog", "/v1/watchlist"):
        assert "access-control-allow-origin" not in client.get(path, headers={"Origin": "http://x"}).headers
    assert "access-control-allow-origin" not in match(client, {"q": SINO}).headers
