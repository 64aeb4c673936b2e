"""/reconcile: every response validates against the W3C Reconciliation API 0.2 JSON Schemas; OpenRefine's batches work."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from api.app import create_app
from screening.config import Settings
from screening.workflow import Workflow

SCHEMAS = Path(__file__).parent / "fixtures" / "reconcile"


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents, default_specification=DRAFT7)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validate(instance: object, schema_name: str) -> None:
    """Validate against one of the spec's schemas (their `$schema` is the draft-agnostic URI: draft 7 rules)."""
    schema = json.loads((SCHEMAS / f"{schema_name}.json").read_text(encoding="utf-8"))
    errors = sorted(Draft7Validator(schema, registry=REGISTRY).iter_errors(instance), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_the_validator_rejects_what_the_spec_rejects() -> None:
    # a check that cannot fail is a defect: the schemas must refuse a bad manifest and a bad result batch
    with pytest.raises(AssertionError):
        validate({"name": "x", "identifierSpace": "x", "schemaSpace": "y"}, "manifest")  # no versions
    with pytest.raises(AssertionError):
        validate({"q0": {"result": [{"name": "no id", "score": 1}]}}, "reconciliation-result-batch")
    with pytest.raises(AssertionError):
        validate({"q0": {"type": "Company"}}, "reconciliation-query-batch")  # neither query nor properties


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, seed_artifact: Path) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("recon-db") / "screening.db"
    settings = Settings(watchlist=seed_artifact, reload_interval=0, auth="off", db_url=f"sqlite:///{db}")
    with TestClient(create_app(settings)) as c:
        yield c


# What OpenRefine sends for a column of company names: a form field `queries` holding a batch of a few
# queries, each with the chosen type, a limit, and the columns mapped to properties.
OPENREFINE_BATCH = {
    "q0": {"query": "Sino Electronics Co., Ltd", "type": "Company", "limit": 3, "type_strict": "should",
           "properties": [{"pid": "Thing:country", "v": "Hong Kong"}]},
    "q1": {"query": "VTB Bank PJSC", "type": "Company", "limit": 3,
           "properties": [{"pid": "country", "v": ["ru"]}, {"pid": "LegalEntity:registrationNumber", "v": "1027739609391"}]},
    "q2": {"query": "Siemens AG", "type": "Company", "limit": 3, "properties": [{"pid": "country", "v": "de"}]},
    "q3": {"query": "Norinco", "type": ["Organization", "Company"]},
}


def test_manifest(client: TestClient) -> None:
    r = client.get("/reconcile/default")
    assert r.status_code == 200
    m = r.json()
    validate(m, "manifest")
    assert m["versions"] == ["0.2"] and "{{id}}" in m["view"]["url"]
    assert m["suggest"]["entity"] == {"service_url": "http://testserver/reconcile/default",
                                      "service_path": "/suggest/entity"}
    assert {"id": "Company", "name": "Companies"} in m["defaultTypes"] and len(m["defaultTypes"]) > 3
    assert m["extend"]["propose_properties"]["service_path"] == "/extend/property"
    assert client.get("/reconcile/nope").status_code == 404


def test_openrefine_batch_as_form_field(client: TestClient) -> None:
    validate(OPENREFINE_BATCH, "reconciliation-query-batch")
    r = client.post("/reconcile/default", data={"queries": json.dumps(OPENREFINE_BATCH)})
    assert r.status_code == 200, r.text
    data = r.json()
    validate(data, "reconciliation-result-batch")
    assert set(data) == set(OPENREFINE_BATCH) and r.headers["x-batch-size"] == "4"
    top = {k: v["result"][0] if v["result"] else None for k, v in data.items()}
    assert top["q0"]["id"] == "seed-sinno-electronics" and top["q0"]["match"] is True
    assert top["q0"]["type"] == [{"id": "Company", "name": "Companies"}]
    assert "seed" in top["q0"]["description"] and "hk" in top["q0"]["description"]
    assert {f["id"] for f in top["q0"]["features"]} >= {"name_match", "country_match"}
    assert top["q1"]["id"] == "seed-vtb-bank" and top["q1"]["score"] == 1.0
    assert top["q2"] is None
    assert top["q3"]["id"] == "seed-china-north-industries-group"
    assert all(len(v["result"]) <= 3 for v in data.values())


def test_queries_as_query_parameter(client: TestClient) -> None:
    queries = json.dumps({"a": {"query": "Sinno Electronics"}})
    for r in (client.get("/reconcile/default", params={"queries": queries}),
              client.post("/reconcile/default", params={"queries": queries})):
        assert r.status_code == 200, r.text
        validate(r.json(), "reconciliation-result-batch")
        assert r.json()["a"]["result"][0]["id"] == "seed-sinno-electronics"


def test_yente_query_parameters(client: TestClient) -> None:
    queries = json.dumps({"a": {"query": "Sinno Electronics"}})
    ok = client.post("/reconcile/default", params={"algorithm": "logic-v2", "changed_since": "2024-01-01"},
                     data={"queries": queries})
    assert ok.status_code == 200 and ok.json()["a"]["result"]
    bad = client.post("/reconcile/default", params={"algorithm": "neural-net"}, data={"queries": queries})
    assert bad.status_code == 400 and bad.json() == {"detail": "Invalid algorithm: neural-net"}


def test_candidates_below_the_threshold_are_offered_not_matched(client: TestClient) -> None:
    data = client.post("/reconcile/default", data={"queries": json.dumps({"a": {"query": "Shandong Laser"}})}).json()
    validate(data, "reconciliation-result-batch")
    (cand,) = data["a"]["result"]
    assert cand["id"] == "seed-shandong-oree-laser-technology" and cand["match"] is False and cand["score"] < 0.8


def test_country_property_changes_the_score(client: TestClient) -> None:
    def score(country: str) -> float:
        q = {"a": {"query": "VTB Bank", "type": "Company", "properties": [{"pid": "Thing:country", "v": country}]}}
        return client.post("/reconcile/default", data={"queries": json.dumps(q)}).json()["a"]["result"][0]["score"]

    assert score("ru") > score("fr")


def test_every_reconciliation_is_audited(client: TestClient) -> None:
    wf: Workflow = client.app.state.workflow
    before = len(list(wf.audit_rows()))
    client.post("/reconcile/default", data={"queries": json.dumps(OPENREFINE_BATCH)})
    rows = list(wf.audit_rows())[before:]
    assert [r["name"] for r in rows] == [q["query"] for q in OPENREFINE_BATCH.values()]
    assert {r["channel"] for r in rows} == {"reconcile"}


@pytest.mark.parametrize(("form", "status", "detail"), [
    ({"queries": json.dumps({"a": {"type": "Banana", "query": "x"}})}, 400, "Unknown schema: 'Banana'"),
    ({"queries": "{not json"}, 400, None),
    ({"queries": json.dumps(["a"])}, 400, None),
    ({"queries": json.dumps({f"q{i}": {"query": "x"} for i in range(101)})}, 400,
     "Too many queries in one batch (limit: 100)"),
    ({"queries": json.dumps({"a": {"query": "x", "properties": [{"pid": "country"}]}})}, 400,
     "queries.a.properties[0]: needs pid and v"),
    ({}, 400, "No queries or extend request provided."),
])
def test_reconcile_errors(client: TestClient, form: dict, status: int, detail: str | None) -> None:
    r = client.post("/reconcile/default", data=form)
    assert r.status_code == status, r.text
    assert "detail" in r.json()
    if detail:
        assert r.json()["detail"] == detail


def test_suggest_entity(client: TestClient) -> None:
    r = client.get("/reconcile/default/suggest/entity", params={"prefix": "sinno electr"})
    data = r.json()
    validate(data, "suggest-entities-response")
    assert data["result"][0]["id"] == "seed-sinno-electronics" and data["result"][0]["name"] == "Sinno Electronics"
    assert client.get("/reconcile/default/suggest/entity").json()["result"] == []
    assert client.get("/reconcile/default/suggest/entity", params={"prefix": "banana man"}).json()["result"] == []


def test_suggest_type_and_property(client: TestClient) -> None:
    types = client.get("/reconcile/default/suggest/type", params={"prefix": "organ"}).json()
    validate(types, "suggest-types-response")
    assert [t["id"] for t in types["result"]] == ["Organization"]
    assert client.get("/reconcile/default/suggest/type").json()["result"] == []
    assert client.get("/reconcile/default/suggest/type", params={"prefix": "banana"}).json()["result"] == []
    props = client.get("/reconcile/default/suggest/property", params={"prefix": "country"}).json()
    validate(props, "suggest-properties-response")
    ids = [p["id"] for p in props["result"]]
    assert "Thing:country" in ids and "LegalEntity:mainCountry" in ids
    assert client.get("/reconcile/default/suggest/property").json()["result"] == []
    birth = client.get("/reconcile/default/suggest/property", params={"prefix": "birth"}).json()["result"]
    assert {"id": "Person:birthDate", "name": "Birth date"} in birth


def test_data_extension(client: TestClient) -> None:
    proposal = client.get("/reconcile/default/extend/property", params={"type": "Company", "limit": 5}).json()
    validate(proposal, "data-extension-property-proposal")
    assert len(proposal["properties"]) == 5 and proposal["type"] == "Company"
    query = {"ids": ["seed-vtb-bank", "NK-missing"], "properties": [{"id": "name"}, {"id": "alias", "settings": {"limit": 2}},
                                                                     {"id": "country"}]}
    validate(query, "data-extension-query")
    r = client.post("/reconcile/default", data={"extend": json.dumps(query)})
    assert r.status_code == 200, r.text
    data = r.json()
    validate(data, "data-extension-response")
    assert [m["id"] for m in data["meta"]] == ["name", "alias", "country"]
    assert data["rows"]["seed-vtb-bank"]["name"] == [{"str": "VTB Bank"}]
    assert len(data["rows"]["seed-vtb-bank"]["alias"]) == 2 and data["rows"]["seed-vtb-bank"]["country"] == [{"str": "ru"}]
    assert data["rows"]["NK-missing"] == {"name": [], "alias": [], "country": []}
    assert client.post("/reconcile/default", data={"extend": "[1]"}).status_code == 400
    assert client.get("/reconcile/default/extend/property", params={"type": "Banana"}).status_code == 400


def test_api_key_in_the_url_for_clients_without_headers(tmp_path: Path, seed_artifact: Path) -> None:
    settings = Settings(watchlist=seed_artifact, reload_interval=0, db_url=f"sqlite:///{tmp_path / 'k.db'}")
    with TestClient(create_app(settings)) as c:
        _, key = c.app.state.workflow.create_key("openrefine", "screener")
        assert c.get("/reconcile/default").status_code == 401
        m = c.get("/reconcile/default", params={"api_key": key})
        assert m.status_code == 200, m.text
        validate(m.json(), "manifest")
        # the suggest services OpenRefine calls next carry the key on
        path = m.json()["suggest"]["entity"]["service_path"]
        assert path == f"/suggest/entity?api_key={key}"
        r = c.get(f"/reconcile/default{path}&prefix=vtb")
        assert r.status_code == 200 and r.json()["result"][0]["id"] == "seed-vtb-bank"
        assert c.post(f"/reconcile/default?api_key={key}",
                      data={"queries": json.dumps({"a": {"query": "VTB Bank"}})}).status_code == 200
        # only on /reconcile: elsewhere a key goes in a header
        assert c.get("/catalog", params={"api_key": key}).status_code == 401
