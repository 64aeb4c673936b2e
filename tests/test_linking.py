"""The cross-list linker's `name` rule (screening.linking) on real listings, transcribed from
../shared/data/lists: OFAC SDN rows by ent_num, UK OFSI rows by group id, UN entries by reference."""

from __future__ import annotations

from screening.linking import link
from screening.model import Entity


def _person(eid: str, name: str, *, dates: tuple[str, ...] = (), countries: tuple[str, ...] = ()) -> Entity:
    return Entity(entity_id=eid, source=eid.split(":")[0], name=name, type="person", dates=list(dates),
                  countries=list(countries))


def _linked(a: Entity, b: Entity) -> bool:
    links = link([a, b])
    return links.group[0] == links.group[1]


def test_a_long_shared_name_born_the_same_year_in_one_country_links() -> None:
    # OFAC SDN 7881 and UK 7602 give only the year 1953 and Iraq; the UK row carries no UN Ref
    assert _linked(_person("ofac-sdn:7881", "Huda Salih Mahdi AMMASH", dates=("1953",), countries=("IQ",)),
                   _person("uk:7602", "Huda Salih Mahdi AMMASH", dates=("1953",), countries=("IQ",)))


def test_four_shared_words_link_where_neither_list_gives_a_year() -> None:
    # OFAC SDN 7887 / UK 7604: no date of birth on either
    assert _linked(_person("ofac-sdn:7887", "Nayif Shindakh Thamir GHALIB", countries=("IQ",)),
                   _person("uk:7604", "Nayif Shindakh Thamir GHALIB", countries=("IQ",)))


def test_a_short_or_unsupported_shared_name_does_not_link() -> None:
    # a Korean name is three words: without a year, many people share one ("Kang Myong Chol", UK 13479)
    assert not _linked(_person("uk:13479", "Kang Myong CHOL", countries=("KP",)),
                       _person("test:other", "Kang Myong CHOL", countries=("KP",)))
    # other years of birth, or no shared country
    assert not _linked(_person("ofac-sdn:7881", "Huda Salih Mahdi AMMASH", dates=("1953",), countries=("IQ",)),
                       _person("test:other", "Huda Salih Mahdi AMMASH", dates=("1961",), countries=("IQ",)))
    assert not _linked(_person("ofac-sdn:7881", "Huda Salih Mahdi AMMASH", dates=("1953",), countries=("IQ",)),
                       _person("test:other", "Huda Salih Mahdi AMMASH", dates=("1953",), countries=("JO",)))
    # two words are not enough, even born the same year
    assert not _linked(_person("ofac-sdn:19929", "Salim KONY", dates=("1992",), countries=("CF",)),
                       _person("test:other", "Salim KONY", dates=("1992",), countries=("CF",)))
