"""One word on one side, two on the other, and spelt otherwise ("Ali Hosseini Tash" / Ali HOSEYNITASH): the
matcher retrieves the name and joins the two words (scoring._merge_joined), through the real service.
Listed names are real UK OFSI (2018) and OFAC SDN entries, transcribed from ../shared/data/lists."""

from __future__ import annotations

import pytest
from conftest import service_of

from screening.config import DEFAULT_SEEDS
from screening.model import Entity
from screening.seeds import load_seeds
from screening.service import Query, Service

LISTED = [
    Entity(entity_id="uk:10637", source="uk", type="person", name="Ali HOSEYNITASH", countries=["IR"]),
    Entity(entity_id="uk:10634", source="uk", type="person", name="Javad DARVISH-VAND", countries=["IR"]),
    Entity(entity_id="ofac-sdn:9331", source="ofac-sdn", type="person", name="Ayman Sabawi Ibrahim Hasan AL-TIKRITI"),
    Entity(entity_id="ofac-sdn:7887", source="ofac-sdn", type="person", name="Nayif Shindakh Thamir GHALIB"),
]


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Service:
    return service_of([*load_seeds(DEFAULT_SEEDS), *LISTED], tmp_path_factory.mktemp("joined"), "joined")


@pytest.mark.parametrize(("query", "entity"), [
    ("Ali Hosseini Tash", "uk:10637"),  # two words for one, and ss / ey spelt otherwise
    ("Ali Hoseyni Tash", "uk:10637"),
    ("Javad Darvishvand", "uk:10634"),  # one word for the two the list hyphenates
    ("Ayman Sabawi Ibrahim Hasan Altykriti", "ofac-sdn:9331"),  # one word for two, y for i
    ("Nayif Shindakh Thamir Ghaleeb", "ofac-sdn:7887"),  # no join: the rest of the rules as before
])
def test_a_word_written_apart_and_spelt_otherwise_finds_its_listing(listed: Service, query: str, entity: str) -> None:
    hits = listed.screen_valid([Query(name=query)], threshold=0.8, limit=3)[0].hits
    assert hits and hits[0].entity_id == entity, [(h.entity_id, h.score) for h in hits]
    assert len(hits[0].explanation["matched_tokens"]) >= 2  # the join pairs as one word, the rest as before


@pytest.mark.parametrize("query", ["Ali Hosseini", "Ali Tash", "Hosseini Tash Trading LLC", "Ali Hosseini Tashkent"])
def test_a_part_of_the_word_alone_stays_clear(listed: Service, query: str) -> None:
    assert listed.screen_valid([Query(name=query)], threshold=0.8, limit=3)[0].hits == []
