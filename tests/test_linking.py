"""The cross-list linker's `name` rule (screening.linking) on real listings, transcribed from
../shared/data/lists: OFAC SDN rows by ent_num, UK OFSI rows by group id, UN entries by reference."""

from __future__ import annotations

from screening.linking import link
from screening.model import Alias, Entity


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


def _ids(links, ents: list[Entity]) -> list[list[str]]:
    return sorted(sorted(ents[i].entity_id for i in m) for m in links.members)


def test_a_shared_date_of_birth_links_names_spelt_otherwise() -> None:
    # OFAC SDN 7861 and UN IQi.019: one man, both born 1942-03-14 in Iraq, spelt two ways
    ofac = _person("ofac-sdn:7861", "Abd-al-Tawab Mullah HUWAYSH", dates=("1942-03-14",), countries=("IQ",))
    un = _person("un-sc:IQi.019", "ABD-AL-TAWWAB MULLAH HUWAYSH", dates=("1942-03-14",), countries=("IQ",))
    links = link([ofac, un])
    assert links.group[0] == links.group[1] and links.made["date"] == 1
    # OFAC SDN 16273 and OpenSanctions Q1187527 give one man other countries (TH, RU): the date and name decide
    assert _linked(_person("ofac-sdn:16273", "Grigory Victorovich LEPSVERIDZE", dates=("1962-07-16",), countries=("TH",)),
                   _person("opensanctions:Q1187527", "LEPSVERIDZE Grigory Viktorovych", dates=("1962-07-16",),
                           countries=("RU",)))
    # the same names a day apart, or on one list, do not link
    assert not _linked(ofac, _person("un-sc:IQi.019", un.name, dates=("1942-03-15",), countries=("IQ",)))
    assert not _linked(ofac, _person("ofac-sdn:1", un.name, dates=("1942-03-14",), countries=("IQ",)))


def test_a_shared_date_does_not_link_other_names() -> None:
    # OFAC SDN 7852 and UN IQi.022, both given 1955-05-04 in Iraq: KAMAL and JAMAL Mustafa Abdallah are two men
    assert not _linked(_person("ofac-sdn:7852", "Kamal Mustafa Sultan Abdallah AL-TIKRITI", dates=("1955-05-04",),
                               countries=("IQ",)),
                       _person("un-sc:IQi.022", "JAMAL MUSTAFA ABDALLAH SULTAN AL-TIKRITI", dates=("1955-05-04",),
                               countries=("IQ",)))
    # a date that many listings give is a placeholder: alike names on it do not link by the date alone
    crowd = [_person(f"test:p{k}", f"Person{k} SOMEBODY", dates=("1900-01-01",)) for k in range(70)]
    a = _person("ofac-sdn:7861", "Abd-al-Tawab Mullah HUWAYSH", dates=("1900-01-01",))
    b = _person("un-sc:IQi.019", "ABD-AL-TAWWAB MULLAH HUWAYSH", dates=("1900-01-01",))
    links = link([a, b, *crowd])
    assert links.group[0] != links.group[1]
    assert link([a, b, *crowd[:5]]).made["date"] == 1


def test_an_organisation_one_list_gives_no_country_links_on_a_long_name() -> None:
    # UK 13480 (no country) and UN KPe.041 (KP): KOREA TAESONG TRADING COMPANY
    uk = Entity(entity_id="uk:13480", source="uk", name="KOREA TAESONG TRADING COMPANY", type="company")
    un = _company("un-sc:KPe.041", "KOREA TAESONG TRADING COMPANY")
    assert _linked(uk, un)
    # two words are too few, and two countries that differ say two firms
    assert not _linked(Entity(entity_id="uk:1", source="uk", name="TAESONG TRADING", type="company"),
                       _company("un-sc:2", "TAESONG TRADING"))
    assert not _linked(Entity(entity_id="uk:1", source="uk", name="KOREA TAESONG TRADING COMPANY", type="company",
                              countries=["CN"]), un)


def test_a_name_one_list_gives_two_of_its_listings_links_neither() -> None:
    # the UK's AQAP (11044) carries the alias "ANSAR AL-SHARI'A"; so do three UN entries, which the UN lists apart
    uk = Entity(entity_id="uk:11044", source="uk", type="company", name="AL-QAIDA IN THE ARABIAN PENINSULA (AQAP)",
                aliases=[Alias(name="ANSAR AL-SHARI'A")], same_as=["un-sc:QDe.129"])
    aqap = Entity(entity_id="un-sc:QDe.129", source="un-sc", type="company", name="AL-QAIDA IN THE ARABIAN PENINSULA (AQAP)",
                  aliases=[Alias(name="Ansar al-Shari'a")])
    others = [Entity(entity_id=f"un-sc:QDe.{n}", source="un-sc", type="company", name=name,
                     aliases=[Alias(name="Ansar al-Shari'a")], countries=c)
              for n, name, c in ((143, "ANSAR AL-SHARI’A IN TUNISIA (AAS-T)", ["TN"]), (145, "ANSAR AL CHARIA DERNA", []),
                                 (146, "ANSAR AL CHARIA BENGHAZI", []))]
    ents = [uk, aqap, *others]
    links = link(ents)
    # the UN's three stay apart, and the UK's listing joins the one its reference names
    assert _ids(links, ents) == [["uk:11044", "un-sc:QDe.129"], ["un-sc:QDe.143"], ["un-sc:QDe.145"], ["un-sc:QDe.146"]]
    assert _ids(link(ents[::-1]), ents[::-1]) == _ids(links, ents)
