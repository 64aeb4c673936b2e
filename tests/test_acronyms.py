"""A bracketed acronym of a name's own words ("... CORPORATION (KOMID)") repeats the words: neither side of a
comparison counts it as a word the other lacks, and the listed acronym alone still finds its entity.

Names from the shared lists: UK OFSI writes "RECONNAISSANCE GENERAL BUREAU (RGB)" and "HESA TRADE CENTER (HTC)"
where the UN and OFAC write "RECONNAISSANCE GENERAL BUREAU" and "HESA TRADE CENTER"; the UN lists "KOREA MINING
DEVELOPMENT TRADING CORPORATION (KOMID)" and OFAC "GLOBAL RELIEF FOUNDATION (GRF)", with no separate acronym.
"""

from __future__ import annotations

import pytest
from conftest import service_of
from hypothesis import given
from hypothesis import strategies as st

from screening.model import Alias, Entity
from screening.normalise import name_form, own_acronyms
from screening.service import Query, Service
from screening.watchlist import with_acronyms

THRESHOLD = 0.8


@pytest.mark.parametrize(("text", "stripped", "found"), [
    ("KOREA MINING DEVELOPMENT TRADING CORPORATION (KOMID)", "KOREA MINING DEVELOPMENT TRADING CORPORATION", ["KOMID"]),
    ("ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC)-QODS FORCE", "ISLAMIC REVOLUTIONARY GUARD CORPS-QODS FORCE", ["IRGC"]),
    ("AL-QAIDA IN THE ARABIAN PENINSULA (AQAP)", "AL-QAIDA IN THE ARABIAN PENINSULA", ["AQAP"]),
    ("NAFTIRAN TRADING SERVICES CO. (NTS) LIMITED", "NAFTIRAN TRADING SERVICES CO. LIMITED", ["NTS"]),
    ("ООО Торговый Дом Восток (ТДВ)", "ООО Торговый Дом Восток", ["ТДВ"]),
    # brackets holding anything else stay
    ("HUAXIN SHIPPING (HONG KONG) LTD", "HUAXIN SHIPPING (HONG KONG) LTD", []),
    ("Jin Tiesan (金铁三)", "Jin Tiesan (金铁三)", []),  # an original-script name, not an acronym
    ("PASDARAN-E ENGHELAB-E ISLAMI (PASDARAN)", "PASDARAN-E ENGHELAB-E ISLAMI (PASDARAN)", []),  # one word again
    ("RELIEF GLOBAL FOUNDATION (GRF)", "RELIEF GLOBAL FOUNDATION (GRF)", []),  # the words no longer spell it
    ("(ABC)", "(ABC)", []),
])
def test_own_acronyms(text: str, stripped: str, found: list[str]) -> None:
    assert own_acronyms(text) == (stripped, found)


@given(st.text(alphabet=st.sampled_from("AB C(D)[e] ofКЯ金-."), max_size=40) | st.text(max_size=40))
def test_own_acronyms_never_raises_and_only_cuts_brackets(text: str) -> None:
    stripped, found = own_acronyms(text)
    assert bool(stripped.strip()) == bool(text.strip())
    assert all(a in text for a in found)
    opened = sum(stripped.count(b) for b in "([")
    assert opened == (sum(text.count(b) for b in "([") - len(found) if found else sum(text.count(b) for b in "(["))
    assert len(stripped) <= len(text)
    name_form(text)


def test_with_acronyms_keeps_the_name_as_written_and_the_acronym_weak() -> None:
    forms = with_acronyms([Alias(name="GLOBAL RELIEF FOUNDATION (GRF)", kind="primary")])
    assert [(a.name, a.kind, a.weak, shown) for a, shown in forms] == [
        ("GLOBAL RELIEF FOUNDATION (GRF)", "primary", False, "GLOBAL RELIEF FOUNDATION (GRF)"),
        ("GLOBAL RELIEF FOUNDATION GRF", "aka", False, "GLOBAL RELIEF FOUNDATION (GRF)"),
        ("GRF", "acronym", True, "GRF"),
    ]


LISTED = [
    Entity(entity_id="un-sc:KPe.001", source="un-sc", type="company",
           name="KOREA MINING DEVELOPMENT TRADING CORPORATION (KOMID)"),
    Entity(entity_id="ofac-sdn:12210", source="ofac-sdn", type="company", name="RECONNAISSANCE GENERAL BUREAU"),
    Entity(entity_id="uk:11199", source="uk", type="company", name="HESA TRADE CENTER (HTC)"),
    Entity(entity_id="ofac-sdn:7269", source="ofac-sdn", type="company", name="GLOBAL RELIEF FOUNDATION (GRF)"),
    Entity(entity_id="test:other", source="test", type="company", name="KOREA NATIONAL INSURANCE CORPORATION"),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Service:
    return service_of(LISTED, tmp_path_factory.mktemp("acronyms"), "acronyms")


def _hits(service: Service, name: str) -> list[tuple[str, float]]:
    result = service.screen([Query(name=name)], threshold=THRESHOLD, limit=5).results[0]
    return [(h.entity_id, h.score) for h in result.hits]


@pytest.mark.parametrize(("query", "expected"), [
    ("Korea Mining Development Trading Corporation (KOMID)", "un-sc:KPe.001"),  # 0.65 before
    ("Korea Mining Development Trading Corporation", "un-sc:KPe.001"),
    ("KOMID", "un-sc:KPe.001"),  # the listed acronym alone
    ("Reconnaissance General Bureau (RGB)", "ofac-sdn:12210"),  # 0.77 before
    ("Global Relief Foundation", "ofac-sdn:7269"),
    ("Global Relief Foundation GRF", "ofac-sdn:7269"),  # the acronym written as a word
    ("RELIEF GLOBAL FOUNDATION (GRF)", "ofac-sdn:7269"),  # reordered: the words no longer spell it
])
def test_found(service: Service, query: str, expected: str) -> None:
    hits = _hits(service, query)
    assert hits and hits[0][0] == expected, (query, hits)
    assert hits[0][1] >= 0.9


def test_shown_as_listed(service: Service) -> None:
    hit = service.screen([Query(name="Global Relief Foundation GRF")], threshold=THRESHOLD, limit=1).results[0].hits[0]
    assert hit.matched_name == "GLOBAL RELIEF FOUNDATION (GRF)"


@pytest.mark.parametrize("query", ["HTC", "HTC Corporation", "GRF"])
def test_a_short_acronym_alone_stays_clear(service: Service, query: str) -> None:
    assert _hits(service, query) == []
