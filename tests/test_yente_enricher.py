"""The real client: nomenklatura's YenteEnricher against a real `screen serve` loaded with the shared lists.

nomenklatura is an optional test extra (`pip install -e '.[yente-client]'`, which `make install` includes);
without it this module is skipped. The server is a uvicorn subprocess on 127.0.0.1 with keys on: the
enricher sends `Authorization: ApiKey <key>` as it does to yente.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serveproc import SCREEN, serving

pytest.importorskip("nomenklatura.enrich.yente")

from followthemoney import Dataset, StatementEntity  # noqa: E402
from nomenklatura.cache import Cache  # noqa: E402
from nomenklatura.enrich import make_enricher  # noqa: E402

from screening.importer import import_lists  # noqa: E402

pytestmark = pytest.mark.slow
LISTS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lists"
STARTUP_TIMEOUT = 60.0

# (FtM entity to enrich, the ids of the matches it must get, and no others)
CASES = [
    ({"id": "q-sino", "schema": "Company", "properties": {"name": ["Sino Electronics Co., Ltd"], "country": ["hk"]}},
     {"seed-sinno-electronics"}),
    ({"id": "q-norinco", "schema": "Company", "properties": {"name": ["China North Industries Group"],
                                                             "country": ["cn"]}},
     {"seed-china-north-industries-group"}),
    ({"id": "q-belomo", "schema": "Company", "properties": {"name": ["BelOMO Holding"], "country": ["by"]}},
     {"seed-belomo-holding"}),
    ({"id": "q-3hc", "schema": "Company", "properties": {"name": ["3HC Semiconductors"]}}, {"seed-3hc-semiconductors"}),
    # VTB: the seed record linked with its OFAC consolidated listing, and VTB's listed Kiev bank
    ({"id": "q-vtb", "schema": "Company", "properties": {"name": ["VTB Bank PJSC"], "jurisdiction": ["ru"]}},
     {"seed-vtb-bank", "ofac-cons-18720"}),
    # a UN person, listed by the UN, OFAC and the UK: one linked entity
    ({"id": "q-yasin", "schema": "Person", "properties": {"name": ["Abdul Rahman Yasin"], "birthDate": ["1960"]}},
     {"un-sc-QDi.037"}),
    ({"id": "q-siemens", "schema": "Company", "properties": {"name": ["Siemens AG"], "country": ["de"]}}, set()),
    ({"id": "q-maersk", "schema": "Company", "properties": {"name": ["Maersk Line A/S"], "country": ["dk"]}}, set()),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path, dict[str, str]]]:
    """(base URL, API key, server log, env) of `screen serve` on an artifact built from ../shared/data/lists/*."""
    tmp = tmp_path_factory.mktemp("yente-server")
    artifact = tmp / "combined.wl"
    import_lists(sorted(p for p in LISTS.iterdir() if p.is_dir()), artifact)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "YENTE_"))}
    env.update(SCREENING_DB_URL=f"sqlite:///{tmp / 'screening.db'}", SCREENING_RELOAD_INTERVAL="0")
    subprocess.run([str(SCREEN), "db", "upgrade"], env=env, capture_output=True, check=True)
    created = subprocess.run([str(SCREEN), "keys", "create", "enricher", "--role", "screener"], env=env,
                             capture_output=True, text=True, check=True)
    key = created.stdout.strip().splitlines()[-1]
    log_path = tmp / "server.log"
    with serving(["--watchlist", str(artifact)], env, log_path, timeout=STARTUP_TIMEOUT) as base:
        yield base + "/", key, log_path, env


@pytest.fixture(scope="module")
def enricher(server):
    base, key, _, _ = server
    dataset = Dataset.make({"name": "counterparties", "title": "Counterparties"})
    # cache_days 0: every call goes to the server (the cache is never read or written)
    enr = make_enricher(dataset, Cache(None, dataset), {"type": "nomenklatura.enrich.yente:YenteEnricher",
                                                        "api": base, "api_key": key, "cache_days": 0})
    yield dataset, enr
    enr.close()


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0]["id"] for c in CASES])
def test_enricher_gets_the_expected_matches_and_no_others(enricher, query: dict, expected: set[str]) -> None:
    dataset, enr = enricher
    entity = StatementEntity.from_data(dataset, query)
    matches = list(enr.match(entity))
    assert {m.id for m in matches} == expected
    for m in matches:
        assert m.schema.name == query["schema"]
        assert m.caption and m.get("sourceUrl")[0].endswith(f"/entities/{m.id}")


def test_expand_nests_every_listing(enricher) -> None:
    dataset, enr = enricher
    query, _ = CASES[5]
    entity = StatementEntity.from_data(dataset, query)
    (match,) = enr.match(entity)
    expanded = list(enr.expand(entity, match))
    assert expanded[0].id == "un-sc-QDi.037" and expanded[0].schema.name == "Person"
    sanctions = [e for e in expanded if e.schema.name == "Sanction"]
    # one Sanction per list entry of the linked entity: UN, OFAC SDN and UK
    assert {s.first("authority") for s in sanctions} == {
        "UN Security Council Consolidated List", "US OFAC Specially Designated Nationals (SDN)",
        "UK HM Treasury OFSI Consolidated List"}
    assert all(s.first("entity") == "un-sc-QDi.037" for s in sanctions)
    assert any(d.startswith("1960") for d in expanded[0].get("birthDate"))


def test_entities_nested_over_http(server) -> None:
    base, key, _, _ = server
    headers = {"Authorization": f"ApiKey {key}"}
    nested = httpx.get(base + "entities/un-sc-QDi.037", params={"nested": "true"}, headers=headers, trust_env=False)
    assert nested.status_code == 200
    data = nested.json()
    assert {s["schema"] for s in data["properties"]["sanctions"]} == {"Sanction"}
    assert set(data["datasets"]) == {"un-sc", "ofac-sdn", "uk"}
    assert set(data["referents"]) >= {"ofac-sdn-6931", "uk-7478"}
    flat = httpx.get(base + "entities/un-sc-QDi.037", params={"nested": "false"}, headers=headers, trust_env=False)
    assert "sanctions" not in flat.json()["properties"]
    # a list entry of the linked entity redirects to it, as yente does for a referent
    r = httpx.get(base + "entities/ofac-sdn-6931", headers=headers, trust_env=False)
    assert r.status_code == 308 and r.headers["location"].endswith("/entities/un-sc-QDi.037")


def test_calls_are_audited_under_the_key_and_keys_never_logged(server, enricher) -> None:
    base, key, log_path, env = server
    dataset, enr = enricher
    list(enr.match(StatementEntity.from_data(dataset, CASES[0][0])))
    r = httpx.get(base + "reconcile/default", params={"api_key": key, "queries": json.dumps(
        {"q0": {"query": "VTB Bank"}})}, trust_env=False)
    assert r.status_code == 200 and r.json()["q0"]["result"][0]["id"] == "seed-vtb-bank"
    out = subprocess.run([str(SCREEN), "audit", "export", "--format", "jsonl"], env=env, capture_output=True,
                         text=True, check=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    yente = [r for r in rows if r["channel"] in ("yente", "reconcile")]
    assert yente and {r["caller"] for r in yente} == {"key:enricher"}
    assert {"Sino Electronics Co., Ltd", "VTB Bank"} <= {r["name"] for r in yente}
    time.sleep(0.2)
    assert key not in log_path.read_text()
