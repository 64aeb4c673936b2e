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


def _company(eid: str, name: str, *aliases: str, same_as: tuple[str, ...] = ()) -> Entity:
    from screening.model import Alias

    return Entity(entity_id=eid, source=eid.split(":")[0], name=name, type="company",
                  aliases=[Alias(name=a) for a in aliases], same_as=list(same_as), countries=["KP"])


def _filler(word: str, n: int) -> list[Entity]:
    """`n` other listings whose names all hold `word` ("bank"), so that it is a common word here."""
    return [_company(f"test:{word}-{k}", f"{word.upper()} OF PLACE{k}") for k in range(n)]


def test_a_reference_sharing_only_a_common_word_is_refused() -> None:
    # UK OFSI 11286 (2018) cites "UN Ref KPe.023", which the UN list gives to DAEDONG CREDIT BANK (SWIFT DCBKKPPY,
    # the UK's is KDBKKPPY): two banks whose names share only "bank"
    uk = _company("uk:11286", "KOREA DAESONG BANK", "CHOSON TAESONG UNHAENG", "TAESONG BANK",
                  same_as=("un-sc:KPe.023",))
    un = _company("un-sc:KPe.023", "DAEDONG CREDIT BANK (DCB)", "DCB FINANCE LIMITED")
    links = link([uk, un, *_filler("bank", 30)])
    assert links.group[0] != links.group[1]
    assert ("uk:11286", "un-sc:KPe.023") in links.refused_pairs
    # where "bank" is rare (few listings), it still counts as a shared word
    few = link([uk, un])
    assert few.group[0] == few.group[1]


def test_a_reference_to_the_same_words_in_another_order_is_kept() -> None:
    # UK and UN write Korean names in other orders ("Chol U YU" / "YU CHOL U"); the words are common ones
    a = Entity(entity_id="uk:13500", source="uk", name="Chol U YU", type="person", same_as=["un-sc:KPi.070"])
    b = Entity(entity_id="un-sc:KPi.070", source="un-sc", name="YU CHOL U", type="person")
    crowd = [Entity(entity_id=f"test:p{k}", source="test", type="person", name=f"{w} CHOL U")
             for k, w in enumerate(["YU", "KIM", "PAK", "RI", "CHOE"] * 6)]
    links = link([a, b, *crowd])
    assert links.group[0] == links.group[1]
