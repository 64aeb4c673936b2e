"""Stage 1 on a real list: a query's distinctive words retrieve the names that hold them, whatever fills the
n-gram top-k (issue 10).

OFAC SDN as shipped (../shared/data/lists/ofac-sdn). "AL FAY COMPANY (HONG KONG) LIMITED" (a dev-set variant of
OFAC SDN 31954, AL FAY COMPANY) found nothing: the n-grams of HONG KONG, a dozen listed names, filled stage 1's
top-k before AL FAY COMPANY, whose words AL and FAY are too short to weigh much there. And "Company" before the
bracketed place is the legal form's ("Company (Hong Kong) Limited" = "Company Limited (Hong Kong)").
"""

from __future__ import annotations

import pytest

from screening.config import Settings
from screening.importer import import_lists
from screening.normalise import name_form
from screening.service import Query, Service
from tests.conftest import shared_path

THRESHOLD = 0.8


@pytest.fixture(scope="module")
def sdn(tmp_path_factory: pytest.TempPathFactory) -> Service:
    target = tmp_path_factory.mktemp("sdn") / "sdn.wl"
    import_lists([shared_path("data", "lists", "ofac-sdn")], target)
    return Service(Settings(watchlist=target, reload_interval=0))


@pytest.mark.parametrize("query", ["AL FAY COMPANY (HONG KONG) LIMITED", "AL FAY HONG KONG", "Al Fay Co. (HK) Ltd"])
def test_a_short_distinctive_name_with_a_place_added_is_found(sdn: Service, query: str) -> None:
    result = sdn.screen([Query(name=query)], threshold=THRESHOLD).results[0]
    assert result.hits, f"{query!r} ({name_form(query).full!r}) found nothing"
    hit = result.hits[0]
    assert (hit.entity_id, hit.matched_name) == ("ofac-sdn:31954", "AL FAY COMPANY")
    assert hit.explanation["unmatched_name_tokens"] == []


def test_the_names_holding_the_distinctive_words_are_candidates(sdn: Service) -> None:
    m, wl = sdn.matcher, sdn.watchlist
    found = m.rare_words(name_form("AL FAY HONG KONG"))
    assert found is not None and "AL FAY COMPANY" in {wl.display[j] for j in found}
    assert all("fay" in wl.form(j).tokens for j in found)
    assert m.rare_words(name_form("FAY")) is None  # one word: the n-grams find it
    assert m.rare_words(name_form("HONG KONG TRADING")) is None  # no distinctive word: nothing to add


def test_company_before_a_bracketed_place_is_the_legal_forms() -> None:
    assert name_form("AL FAY COMPANY (HONG KONG) LIMITED").full == "al fay hong kong llc"
    assert name_form("Sino Trading Co. (Shanghai) Ltd.").full == "sino trading shanghai llc"
    assert name_form("Acme Company (UK)").full == "acme company uk"  # no legal form after it: a word of the name
    assert name_form("Company (Hong Kong) Limited").tokens == ("company", "hong", "kong")  # nothing else to keep
