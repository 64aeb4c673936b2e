"""Lists you can trust: one version per list, nothing silently lost, one hit per real-world entity.

Real files from ../shared/data (relative to the repository root): the 2021 OFAC SDN trio, the 2024-05-03 SDN
snapshot (no alias file), the UN XML, the UK OFSI 2018 CSV and the OFAC consolidated list. Everything runs
through the real importer and the `screen` CLI (Typer's CliRunner).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from screening.config import Settings
from screening.importer import diff_watchlists, import_lists
from screening.service import Query, Service
from screening.watchlist import Watchlist

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LISTS = SHARED / "lists"
SDN_2024 = SHARED / "history" / "ofac-sdn" / "2024-05-03" / "sdn.csv"
pytestmark = pytest.mark.skipif(not LISTS.is_dir(), reason=f"the shared list copies are not at {LISTS}")

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def un_uk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("un-uk") / "un-uk.wl"
    import_lists([LISTS / "un-sc", LISTS / "uk-ofsi"], out)
    return out


def test_any_argument_order_gives_the_same_bytes(un_uk: Path, tmp_path: Path) -> None:
    other = tmp_path / "reversed.wl"
    header = import_lists([LISTS / "uk-ofsi", LISTS / "un-sc"], other)
    assert header["version"] == Watchlist(un_uk).version
    assert sha(other) == sha(un_uk)


def test_watchlist_build_twice_writes_the_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.wl", tmp_path / "b.wl"
    assert invoke("watchlist", "build", "-o", a).exit_code == 0
    assert invoke("watchlist", "build", "-o", b).exit_code == 0
    assert sha(a) == sha(b)


def test_two_versions_of_one_list_are_refused_naming_both(tmp_path: Path) -> None:
    out = tmp_path / "x.wl"
    r = invoke("watchlist", "import", LISTS / "ofac-sdn", SDN_2024, "-o", out)
    assert r.exit_code == 2
    assert str(LISTS / "ofac-sdn") in r.stderr and str(SDN_2024) in r.stderr
    assert "versions of one list" in r.stderr and "--prefer newer" in r.stderr
    assert not out.exists()  # nothing written


def test_the_newer_version_needs_its_alias_file_or_allow_partial(tmp_path: Path) -> None:
    out = tmp_path / "x.wl"
    r = invoke("watchlist", "import", LISTS / "ofac-sdn", SDN_2024, "--prefer", "newer", "-o", out)
    assert r.exit_code == 2 and "alt.csv" in r.stderr and "--allow-partial" in r.stderr
    assert not out.exists()


@pytest.fixture(scope="module")
def sdn_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("sdn")
    old, new = d / "2021.wl", d / "2024.wl"
    import_lists([LISTS / "ofac-sdn"], old)
    # the rule resolves the pair whatever the order: the 2024 copy has the higher last entity number
    r = invoke("watchlist", "import", SDN_2024, LISTS / "ofac-sdn", "--prefer", "newer", "--allow-partial", "-o", new)
    assert r.exit_code == 0, r.output
    assert "kept" in r.stderr and "no alt.csv" in r.stderr  # the rule and the loss are both said
    return old, new


def test_the_newer_version_replaces_the_older_whole(sdn_pair: tuple[Path, Path]) -> None:
    old, new = sdn_pair
    wl_old, wl_new = Watchlist(old), Watchlist(new)
    ids_old = {i for i in wl_old.entity_ids.to_list() if i.startswith("ofac-sdn:")}
    ids_new = {i for i in wl_new.entity_ids.to_list() if i.startswith("ofac-sdn:")}
    assert len(ids_new) == 14965 and len(ids_old - ids_new) == 881  # the delisted are gone
    d = diff_watchlists(wl_old, wl_new).as_dict()["counts"]
    assert d["removed"] == 881 and d["added"] == 6870
    sources = [s for s in wl_new.header["sources"] if s["source"] == "ofac-sdn"]
    assert len(sources) == 1 and sources[0]["sequence"] == 48907
    assert any("no alt.csv" in w for w in sources[0]["warnings"])


def test_info_shows_the_warning_kept_in_the_artifact(sdn_pair: tuple[Path, Path]) -> None:
    _, new = sdn_pair
    r = invoke("watchlist", "info", "--watchlist", new)
    assert r.exit_code == 0 and "warning:" in r.stdout and "no alt.csv" in r.stdout


def test_an_sdn_csv_without_its_alias_file_is_not_imported_silently(tmp_path: Path) -> None:
    r = invoke("watchlist", "import", SDN_2024, "-o", tmp_path / "x.wl")
    assert r.exit_code == 2 and "no alt.csv or add.csv" in r.stderr


def test_a_un_entity_the_uk_also_lists_is_one_hit_with_both_listings(un_uk: Path) -> None:
    svc = Service(Settings(watchlist=un_uk))
    [result] = svc.screen([Query(name="Butembo Airlines (BAL)")]).results
    assert len(result.hits) == 1
    hit = result.hits[0]
    assert hit.entity_id == "un-sc:CDe.002"  # the UN listing names the entity
    assert {x.entity_id for x in hit.listings} == {"un-sc:CDe.002", "uk:9068"}
    assert {x.list_version for x in hit.listings} == {"2026-02-27", "2018-04-13"}
    assert hit.explanation["listing"] in {"un-sc:CDe.002", "uk:9068"}


@pytest.mark.parametrize("spelling", ["Azim Adhajani", "Azim Agha-Jani"])
def test_each_packed_un_alias_spelling_finds_its_entity_alone(un_uk: Path, spelling: str) -> None:
    svc = Service(Settings(watchlist=un_uk))
    [result] = svc.screen([Query(name=spelling)]).results
    assert result.hits and result.hits[0].entity_id == "un-sc:IRi.003"
    assert result.hits[0].score >= 0.95
    assert result.hits[0].matched_name.casefold() == spelling.casefold()  # the UN alias, or the UK listing of it


def test_a_uk_reference_to_a_related_party_is_not_a_link(un_uk: Path) -> None:
    # uk:13484 KANGBONG TRADING CORPORATION cites "UN Ref KPe.023" (Daedong Credit Bank, another party)
    wl = Watchlist(un_uk)
    group = wl.entity_group_list
    assert group[wl.index_of("uk:13484")] != group[wl.index_of("un-sc:KPe.023")]
    assert wl.header["links"]["refused_references"] >= 1


@pytest.fixture(scope="module")
def vtb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vtb") / "cons-2024.wl"
    import_lists([LISTS / "ofac-cons", SDN_2024], out, allow_partial=True)
    return out


def test_one_party_on_seed_sdn_and_consolidated_lists_is_one_hit(vtb: Path) -> None:
    svc = Service(Settings(watchlist=vtb))
    [result] = svc.screen([Query(name="VTB Bank PJSC")]).results
    top = result.hits[0]
    assert top.entity_id == "seed:vtb-bank"
    assert {x.entity_id for x in top.listings} == {"seed:vtb-bank", "ofac-cons:17013", "ofac-sdn:17013"}
    ids = [h.entity_id for h in result.hits]
    assert len(ids) == len(set(ids)) and not {"ofac-cons:17013", "ofac-sdn:17013"} & set(ids)


def test_the_file_output_and_json_name_the_linked_entity(vtb: Path, tmp_path: Path) -> None:
    r = invoke("check", "VTB Bank PJSC", "--json", "--watchlist", vtb)
    body = json.loads(r.stdout)
    assert body["hits"][0]["entity_id"] == "seed:vtb-bank"
    assert {x["source"] for x in body["hits"][0]["listings"]} == {"seed", "ofac-cons", "ofac-sdn"}
    info = json.loads(invoke("watchlist", "info", "--json", "--watchlist", vtb).stdout)
    assert info["links"]["rules"]["ofac-uid"] >= 1 and info["links"]["rules"]["listed"] >= 1


def test_alerts_key_on_the_linked_entity(vtb: Path, tmp_path: Path) -> None:
    from screening.workflow import Workflow

    settings = Settings(watchlist=vtb, db_url=f"sqlite:///{tmp_path / 'a.db'}")
    svc, wf = Service(settings), Workflow(settings)
    wf.upgrade()
    resp = svc.screen([Query(name="VTB Bank PJSC", ref="CP-1")])
    outcome = wf.record(svc, resp.results, threshold=resp.threshold, caller="test", channel="test")
    alerts = wf.list_alerts()
    entity_ids = [a["entity_id"] for a in alerts]
    assert len(outcome.new_alerts) == len(resp.results[0].hits) == len(entity_ids)
    assert entity_ids.count("seed:vtb-bank") == 1 and "ofac-cons:17013" not in entity_ids
