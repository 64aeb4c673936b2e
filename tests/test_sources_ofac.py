"""OFAC parsers: legacy SDN/Consolidated CSV and SDN XML.

Fixtures (see tests/fixtures/README.md): ofac-sdn/ and ofac-cons/ are byte-exact row excerpts
of the real legacy files in ../shared/data/lists/; ofac-sdn-xml/sdn.xml is HAND-MADE in the
published SDN.XML structure (no SDN XML copy is available), transcribed from the same rows.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from conftest import SHARED as SHARED_ROOT
from conftest import shared_path

from screening.errors import SourceError
from screening.model import Entity, Identifier
from screening.sources import detect_format, load_list, ofac

FIXTURES = Path(__file__).parent / "fixtures"
SDN_DIR = FIXTURES / "ofac-sdn"
CONS_DIR = FIXTURES / "ofac-cons"
SDN_XML = FIXTURES / "ofac-sdn-xml" / "sdn.xml"
SHARED = SHARED_ROOT / "data" / "lists"


def by_id(entities: list[Entity]) -> dict[str, Entity]:
    return {e.entity_id: e for e in entities}


@pytest.fixture(scope="module")
def sdn() -> dict[str, Entity]:
    return by_id(ofac.parse_sdn_csv(SDN_DIR).entities)


@pytest.fixture(scope="module")
def xml() -> dict[str, Entity]:
    return by_id(ofac.parse_sdn_xml(SDN_XML).entities)


def names(e: Entity, kind: str | None = None, weak: bool | None = None) -> set[str]:
    return {a.name for a in e.aliases if (kind is None or a.kind == kind) and (weak is None or a.weak == weak)}


# --- detection -------------------------------------------------------------------------------

def test_sniff_folders_and_files():
    assert ofac.sniff(SDN_DIR) == "ofac-csv"
    assert ofac.sniff(SDN_DIR / "sdn.csv") == "ofac-csv"
    assert ofac.sniff(CONS_DIR) == "ofac-cons-csv"
    assert ofac.sniff(CONS_DIR / "cons_prim.csv") == "ofac-cons-csv"
    assert ofac.sniff(SDN_XML) == "ofac-xml"
    assert ofac.sniff(SDN_XML.parent) == "ofac-xml"
    assert detect_format(SDN_DIR) == "ofac-csv"
    assert detect_format(SDN_XML) == "ofac-xml"


def test_sniff_rejects_other_files(tmp_path):
    assert ofac.sniff(SDN_DIR / "alt.csv") is None
    assert ofac.sniff(tmp_path) is None
    assert ofac.sniff(tmp_path / "missing.xml") is None
    (tmp_path / "names.csv").write_text("name,country\nACME,US\n")
    assert ofac.sniff(tmp_path / "names.csv") is None
    # A file called sdn.csv that is not OFAC's legacy layout is left to other parsers.
    (tmp_path / "sdn.csv").write_text("name,country\nACME,US\n")
    assert ofac.sniff(tmp_path / "sdn.csv") is None
    (tmp_path / "other.xml").write_text('<?xml version="1.0"?><CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>')
    assert ofac.sniff(tmp_path / "other.xml") is None
    if (SHARED / "un-sc").is_dir():
        assert ofac.sniff(SHARED / "un-sc" / "UN_consolidated.xml") is None


def test_sniff_xml_any_namespace_and_prolog(tmp_path):
    body = SDN_XML.read_text(encoding="utf-8").replace(
        'xmlns="http://tempuri.org/sdnList.xsd"',
        'xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML"',
    )
    (tmp_path / "SDN.XML").write_text(body, encoding="utf-8")
    assert ofac.sniff(tmp_path / "SDN.XML") == "ofac-xml"
    assert len(ofac.parse_sdn_xml(tmp_path / "SDN.XML").entities) == 7
    (tmp_path / "prefixed.xml").write_text(
        '<?xml version="1.0"?>\n<!-- c -->\n<s:sdnList xmlns:s="urn:x"><s:sdnEntry/></s:sdnList>'
    )
    assert ofac.sniff(tmp_path / "prefixed.xml") == "ofac-xml"


def test_sniff_is_cheap(tmp_path, monkeypatch):
    """Sniffing reads a few KB at most, whatever the file size."""
    big = tmp_path / "big.xml"
    big.write_bytes(b'<?xml version="1.0"?>\n<sdnList>' + b" " * 5_000_000 + b"</sdnList>")
    sizes: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def read(self, n=-1):
            sizes.append(n)
            return self.fh.read(n)

    monkeypatch.setattr(ofac, "open", lambda *a, **k: Spy(real_open(*a, **k)), raising=False)
    assert ofac.sniff(big) == "ofac-xml"
    assert sizes and all(0 < n <= 8192 for n in sizes)


# --- legacy SDN CSV --------------------------------------------------------------------------

def test_sdn_csv_listdata():
    data = load_list(SDN_DIR)
    assert data.source == "ofac-sdn" and data.format == "ofac-csv"
    assert len(data.entities) == 16
    assert data.list_date is None  # the legacy files carry no publication date
    assert {Path(f).name for f in data.files} == {"sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"}
    # The sdn.csv file itself works too: companions are found beside it.
    assert by_id(load_list(SDN_DIR / "sdn.csv").entities).keys() == by_id(data.entities).keys()


def test_entity_ids_match_eval_scheme(sdn):
    assert "ofac-sdn:13466" in sdn and "ofac-sdn:758" in sdn
    assert sdn["ofac-sdn:13466"].source == "ofac-sdn"
    assert sdn["ofac-sdn:758"].name == "EMPRESA DE TURISMO NACIONAL Y INTERNACIONAL"
    assert "CUBATUR" in names(sdn["ofac-sdn:758"], "aka")


def test_type_mapping(sdn):
    assert Counter(e.type for e in sdn.values()) == {"person": 7, "company": 6, "vessel": 2, "aircraft": 1}
    assert sdn["ofac-sdn:36"].type == "company"  # "-0-" in the type column
    assert sdn["ofac-sdn:10042"].type == "person"
    assert sdn["ofac-sdn:15036"].type == "vessel"
    assert sdn["ofac-sdn:15431"].type == "aircraft"


def test_person_reordered_with_listed_alias(sdn):
    e = sdn["ofac-sdn:10042"]
    assert e.name == "Hatim Ahmad BARAKAT"
    assert "BARAKAT, Hatim Ahmad" in names(e, "listed")
    # alt.csv aliases: reordered as aka, listed form kept
    assert {"Hatam Ahmad BARAKAT", "Hatem Ahmad BARAKAT", "Hotem Ahmad BARAKAT"} <= names(e, "aka")
    assert {"BARAKAT, Hatam Ahmad", "BARAKAT, Hotem Ahmad"} <= names(e, "listed")
    # suffixes go to the end; middle commas are dropped
    reyes = sdn["ofac-sdn:10851"]
    assert reyes.name == "Feliciano Semborio DELOS REYES Jr."
    assert "DELOS REYES, Feliciano Semborio, Jr." in names(reyes, "listed")
    assert "Feliciano Abubakar DE LOS REYES" in names(reyes, "aka")
    # a mononym person has nothing to reorder
    z = sdn["ofac-sdn:8886"]
    assert z.name == "ZULKARNAEN" and not names(z, "listed")
    assert "USTAD DAUD ZULKARNAEN" in names(z, "aka")


def test_companies_not_reordered(sdn):
    e = sdn["ofac-sdn:173"]
    assert e.name == "ANGLO-CARIBBEAN CO., LTD."
    assert not names(e, "listed")
    g = sdn["ofac-sdn:13466"]
    assert g.name == "GASOLINERA ALAMOS COUNTRY, S.A. DE C.V."
    assert names(g, "nka") == {"GASOLINERA RECURSOS HIDRAULICOS, S.A. DE C.V."}


def test_reorder_person_unit():
    assert ofac.reorder_person("TIAN, Yinyin") == "Yinyin TIAN"
    assert ofac.reorder_person("KNOWLES, JR., Samuel") == "Samuel KNOWLES JR."
    assert ofac.reorder_person("MARUF, Taha, Muhyi al-Din") == "Taha Muhyi al-Din MARUF"
    assert ofac.reorder_person("ABU ZUBAYDAH") == "ABU ZUBAYDAH"
    assert ofac.reorder_person("SMITH,") == "SMITH,"


def test_weak_aliases_from_remarks(sdn):
    bnc = sdn["ofac-sdn:306"]
    assert [(a.name, a.weak) for a in bnc.aliases] == [("NATIONAL BANK OF CUBA", False), ("BNC", True)]
    vessel = sdn["ofac-sdn:15036"]
    assert names(vessel, "fka", weak=False) == {"ABADAN", "SHONA"}
    assert names(vessel, "fka", weak=True) == {"ALPHA"}
    swan = sdn["ofac-sdn:4243"]
    assert names(swan, "fka", weak=True) == {"ANA I"}
    # weak aliases of persons are reordered too, keeping the listed form (also weak)
    reyes = sdn["ofac-sdn:10851"]
    assert "Abdul ABDILLAH" in names(reyes, "aka", weak=True)
    assert "ABDILLAH, Abdul" in names(reyes, "listed", weak=True)
    # "Linked To:" names another listed party: it is not an alias of this one
    unijet = sdn["ofac-sdn:31299"]
    assert names(unijet, weak=True) == {"UNIJET COMPANY LIMITED"}
    assert not any("PRIGOZHIN" in a.name for a in unijet.aliases)
    assert "Linked To: PRIGOZHIN" in unijet.remarks


def test_remarks_continued_in_comments_file(sdn):
    """sdn.csv cuts remarks at 1,000 characters; sdn_comments.csv holds the rest."""
    tian = sdn["ofac-sdn:28263"]
    assert tian.name == "Yinyin TIAN"
    assert tian.remarks.endswith("a.k.a. 'snowsjohn'; Linked To: LAZARUS GROUP.")
    assert names(tian, "aka", weak=True) == {"tianyinyin0404", "snowsjohn"}
    assert Identifier(kind="Identification Number", value="321284198607120616", country="CN") in tian.identifiers


def test_identifiers(sdn):
    vessel = sdn["ofac-sdn:15036"]
    assert Identifier(kind="IMO", value="9187629") in vessel.identifiers
    assert Identifier(kind="MMSI", value="572469210") in vessel.identifiers
    assert Identifier(kind="Call Sign", value="T2EU4") in vessel.identifiers
    barakat = sdn["ofac-sdn:10042"]
    passports = {(i.value, i.country) for i in barakat.identifiers if i.kind == "Passport"}
    assert passports == {("183319", "PY"), ("148842", "PY"), ("106318", "PY")}
    assert Identifier(kind="Identification Number", value="2.194.575", country="PY") in barakat.identifiers
    unijet = sdn["ofac-sdn:31299"]
    assert Identifier(kind="Tax ID No.", value="7703711949", country="RU") in unijet.identifiers
    gas = sdn["ofac-sdn:13466"]
    assert gas.identifiers == [Identifier(kind="R.F.C.", value="GAC-100224-GDA", country="MX")]
    plane = sdn["ofac-sdn:15431"]
    assert Identifier(kind="MSN", value="1023409321") in plane.identifiers
    assert Identifier(kind="Aircraft Construction Number", value="8401") in plane.identifiers


def test_identifier_segments():
    seg = ofac.identifier_from_segment
    assert seg("Passport A123456 (Egypt) issued 01 Jan 2001 expires 01 Jan 2006") == Identifier(
        kind="Passport", value="A123456", country="EG")
    assert seg("Passport D000000483, Diplomatic (Syria)") == Identifier(
        kind="Passport", value="D000000483", country="SY")
    assert seg("Identification Number IMO 5342883") == Identifier(kind="IMO", value="5342883")
    assert seg("International Maritime Organization No. (5777731)") == Identifier(kind="IMO", value="5777731")
    assert seg("Registration ID 27134614 (Netherlands)") == Identifier(
        kind="Registration ID", value="27134614", country="NL")
    assert seg("Tarjeta Profesional 186785 (Abogado) (Colombia)") is None  # unknown label: left in remarks
    assert seg("Gender Male") is None
    assert seg("Website http://www.rshb.ru") is None


def test_dates(sdn):
    assert sdn["ofac-sdn:10042"].dates == ["1961-09-25"]
    assert sdn["ofac-sdn:7782"].dates == ["1951"]  # "DOB circa 1951"
    assert sdn["ofac-sdn:15496"].dates == ["1929", "1930"]  # "DOB 1929 to 1930"
    assert sdn["ofac-sdn:12057"].dates == ["1951", "1952", "1953", "1960", "1961", "1962", "1961-04"]
    assert sdn["ofac-sdn:31299"].dates == ["2009-12-10"]  # Organization Established Date
    assert ofac.parse_dates("01 Jan 1960 to 31 Dec 1962") == ["1960-01-01", "1961", "1962-12-31"]
    assert ofac.parse_dates("Apr 1961") == ["1961-04"]
    assert ofac.parse_dates("circa 1959-1961") == ["1959", "1960", "1961"]
    assert ofac.parse_dates("unknown") == []


def test_countries(sdn):
    assert sdn["ofac-sdn:36"].countries == ["CU"]  # address
    assert sdn["ofac-sdn:306"].countries == ["CH", "ES", "JP", "PA"]  # addresses, in order
    assert sdn["ofac-sdn:10042"].countries == ["LB", "PY"]  # citizen; alt. citizen
    assert sdn["ofac-sdn:28263"].countries == ["CN"]  # nationality + address, deduplicated
    assert sdn["ofac-sdn:12057"].countries == ["IR"]
    assert sdn["ofac-sdn:15036"].countries == ["IR"]  # vessel flag; former flags are not countries
    assert sdn["ofac-sdn:4243"].countries == ["CY"]
    assert sdn["ofac-sdn:15431"].countries == []


def test_country_names():
    cc = ofac.country_code
    assert cc("Korea, North") == "KP"
    assert cc("Democratic People's Republic of Korea") == "KP"
    assert cc("Burma") == "MM"
    assert cc("Congo, Democratic Republic of the") == "CD"
    assert cc("Virgin Islands, British") == "VG"
    assert cc("Man, Isle of") == "IM"
    assert cc("Region: Gaza") == "PS"
    assert cc("Palestinian") == "PS"
    assert cc("United Kingdom") == "GB"
    assert cc("Turkey") == "TR"
    assert cc("Cote d Ivoire") == "CI"
    assert cc("undetermined") is None
    assert cc("None Identified") is None
    assert cc("") is None


def test_programs(sdn):
    assert sdn["ofac-sdn:36"].programs == ["CUBA"]
    assert sdn["ofac-sdn:28263"].programs == ["DPRK3", "CYBER2"]
    assert sdn["ofac-sdn:31299"].programs == ["UKRAINE-EO13661", "CYBER2", "ELECTION-EO13848"]
    assert ofac.split_programs("SDGT] [NPWMD") == ["SDGT", "NPWMD"]


def test_no_duplicate_aliases(sdn):
    for e in sdn.values():
        alias_names = [a.name for a in e.aliases]
        assert len(alias_names) == len(set(alias_names)), e.entity_id
        assert e.name not in alias_names


def test_cp1252_bytes(tmp_path):
    row = '1,"M\xdcLLER, J\xfcrgen","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"a.k.a. \'\x8aEF\'."\r\n'
    (tmp_path / "sdn.csv").write_bytes(row.encode("latin-1") + b"\x1a")
    (tmp_path / "alt.csv").write_bytes(b'1,2,"aka","M\x9aLLER \x81",-0-\r\n')  # 0x81: undefined in cp1252
    e = ofac.parse_sdn_csv(tmp_path).entities[0]
    assert e.name == "J\u00fcrgen M\u00dcLLER"
    assert "\u0160EF" in names(e, weak=True)  # 0x8A is Š in cp1252 (not a Latin-1 control)
    assert "M\u0161LLER \x81" in names(e, "aka")


# --- Consolidated list ------------------------------------------------------------------------

def test_cons_csv():
    data = load_list(CONS_DIR)
    assert data.source == "ofac-cons" and data.format == "ofac-cons-csv"
    ents = by_id(data.entities)
    assert len(ents) == 5
    h = ents["ofac-cons:9639"]
    assert h.type == "person" and h.name == "Ismail Abdul Salah HANIYA"
    assert "HANIYA, Ismail Abdul Salah" in names(h, "listed")
    assert {"Ismail HANIYA", "Ismaeel HANIYYA"} <= names(h, "aka")
    assert h.dates == ["1962"] and h.programs == ["NS-PLC"]
    assert ents["ofac-cons:9641"].countries == ["PS"]  # address country "Palestinian"
    bank = ents["ofac-cons:17014"]
    assert bank.type == "company"
    assert "ROSSELKHOZBANK" in names(bank, "aka")
    assert bank.programs == ["UKRAINE-EO13662", "RUSSIA-EO14024"]
    assert bank.countries == ["RU"]
    assert Identifier(kind="SWIFT/BIC", value="RUAGRUMM") in bank.identifiers
    # the registration number straddles the cut between cons_prim.csv and cons_comments.csv
    assert Identifier(kind="Registration Number", value="1027700342890", country="RU") in bank.identifiers
    assert names(bank, weak=True) == {"RUSAG"}
    assert names(ents["ofac-cons:17016"], "fka") == {
        "GAZPROMBANK OPEN JOINT STOCK COMPANY", "JOINT STOCK BANK OF THE GAS INDUSTRY GAZPROMBANK"}


# --- errors -----------------------------------------------------------------------------------

def _copy_sdn(tmp_path: Path) -> Path:
    for f in SDN_DIR.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    return tmp_path


def test_wrong_column_count_names_file_and_line(tmp_path):
    folder = _copy_sdn(tmp_path)
    lines = (folder / "sdn.csv").read_bytes().split(b"\r\n")
    lines[4] = b'475,"CASA DE CUBA",-0- ,"CUBA"'
    (folder / "sdn.csv").write_bytes(b"\r\n".join(lines))
    with pytest.raises(SourceError, match=r"sdn\.csv: line 5: expected 12 columns, found 4"):
        load_list(folder)


def test_bad_ent_num_names_file_and_line(tmp_path):
    folder = _copy_sdn(tmp_path)
    lines = (folder / "alt.csv").read_bytes().split(b"\r\n")
    lines[2] = b'X306,220,"aka","NATIONAL BANK OF CUBA",-0- '
    (folder / "alt.csv").write_bytes(b"\r\n".join(lines))
    with pytest.raises(SourceError, match=r"alt\.csv: line 3: bad ent_num 'X306'"):
        ofac.parse_sdn_csv(folder)


def test_other_malformed_rows(tmp_path):
    row = '{n},"NAME",{t},"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    (tmp_path / "sdn.csv").write_text(row.format(n=1, t="-0- ") + row.format(n=1, t="-0- "))
    with pytest.raises(SourceError, match=r"sdn\.csv: line 2: ent_num 1 listed twice"):
        ofac.parse_sdn_csv(tmp_path)
    (tmp_path / "sdn.csv").write_text(row.format(n=1, t='"submarine"'))
    with pytest.raises(SourceError, match=r"sdn\.csv: line 1: unknown entity type 'submarine'"):
        ofac.parse_sdn_csv(tmp_path)
    (tmp_path / "sdn.csv").unlink()
    with pytest.raises(SourceError, match="no sdn.csv"):
        ofac.parse_sdn_csv(tmp_path)
    with pytest.raises(SourceError) as err:
        load_list(tmp_path, "ofac-cons-csv")
    assert err.value.status == 400


def test_entity_limit(tmp_path):
    from screening.sources import SourceLimits

    with pytest.raises(SourceError, match="limit"):
        ofac.parse_sdn_csv(SDN_DIR, limits=SourceLimits(max_entities=3))


# --- SDN XML ----------------------------------------------------------------------------------

def test_xml_listdata():
    data = load_list(SDN_XML)
    assert data.source == "ofac-sdn" and data.format == "ofac-xml"
    assert data.list_date == "2021-07-06"
    assert len(data.entities) == 7


def test_xml_entities(xml):
    barakat = xml["ofac-sdn:10042"]
    assert barakat.type == "person" and barakat.name == "Hatim Ahmad BARAKAT"
    assert "BARAKAT, Hatim Ahmad" in names(barakat, "listed")
    assert "Hatem Ahmad BARAKAT" in names(barakat, "aka")
    assert barakat.countries == ["LB", "PY"] and barakat.dates == ["1961-09-25"]
    assert Identifier(kind="Passport", value="183319", country="PY") in barakat.identifiers
    reyes = xml["ofac-sdn:10851"]
    assert reyes.name == "Feliciano Semborio DELOS REYES Jr."
    assert "Abdul ABDILLAH" in names(reyes, "aka", weak=True)
    vessel = xml["ofac-sdn:15036"]
    assert vessel.type == "vessel" and vessel.countries == ["IR"]
    assert Identifier(kind="IMO", value="9187629") in vessel.identifiers
    assert names(vessel, "fka", weak=True) == {"ALPHA"}
    assert xml["ofac-sdn:15431"].type == "aircraft"
    assert xml["ofac-sdn:306"].type == "company"
    assert names(xml["ofac-sdn:306"], weak=True) == {"BNC"}
    unijet = xml["ofac-sdn:31299"]
    assert unijet.dates == ["2009-12-10"]
    assert unijet.programs == ["UKRAINE-EO13661", "CYBER2", "ELECTION-EO13848"]
    assert Identifier(kind="Tax ID No.", value="7703711949", country="RU") in unijet.identifiers
    assert not any(i.kind == "Website" for i in unijet.identifiers)


def test_xml_agrees_with_csv(xml, sdn):
    """The XML fixture was transcribed from the CSV rows: same names, types and programs, and
    whatever the XML holds (a subset of the rows) is found in the CSV parse too."""
    for eid, x in xml.items():
        c = sdn[eid]
        assert (x.name, x.type, x.programs) == (c.name, c.type, c.programs)
        assert {(a.name, a.kind, a.weak) for a in x.aliases} <= {(a.name, a.kind, a.weak) for a in c.aliases}
        assert set(x.identifiers) <= set(c.identifiers)
        assert set(x.countries) <= set(c.countries)
        assert x.dates == c.dates


def test_truncated_xml(tmp_path):
    raw = SDN_XML.read_text(encoding="utf-8")
    cut = raw[: raw.index("<uid>15036</uid>") + 30]
    (tmp_path / "sdn.xml").write_text(cut, encoding="utf-8")
    line = cut.count("\n") + 1
    assert ofac.sniff(tmp_path / "sdn.xml") == "ofac-xml"
    with pytest.raises(SourceError, match=rf"sdn\.xml: XML is malformed or truncated at line {line}"):
        load_list(tmp_path / "sdn.xml")


def test_xml_entity_expansion_refused(tmp_path):
    from screening.errors import UnsafeXMLError

    (tmp_path / "sdn.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE sdnList [<!ENTITY a "aaaa">]>\n'
        "<sdnList><sdnEntry><uid>1</uid><lastName>&a;</lastName><sdnType>Entity</sdnType></sdnEntry></sdnList>"
    )
    with pytest.raises(UnsafeXMLError):
        ofac.parse_sdn_xml(tmp_path / "sdn.xml")


def test_xml_bad_entry_and_wrong_root(tmp_path):
    (tmp_path / "sdn.xml").write_text(
        "<sdnList><sdnEntry><uid>1</uid><lastName>A</lastName><sdnType>Entity</sdnType></sdnEntry>"
        "<sdnEntry><uid>x</uid><lastName>B</lastName><sdnType>Entity</sdnType></sdnEntry></sdnList>"
    )
    with pytest.raises(SourceError, match=r"sdnEntry #2: missing or bad uid 'x'"):
        ofac.parse_sdn_xml(tmp_path / "sdn.xml")
    (tmp_path / "un.xml").write_text("<CONSOLIDATED_LIST/>")
    with pytest.raises(SourceError, match="not an OFAC SDN XML"):
        load_list(tmp_path / "un.xml", "ofac-xml")


# --- the complete lists -----------------------------------------------------------------------

def _rows(path: Path, width: int) -> list[list[str]]:
    with open(path, encoding="cp1252", newline="") as fh:
        return [r for r in csv.reader(fh) if len(r) == width and r[0].strip().isdigit()]


def _independent_count(path: Path) -> tuple[int, Counter]:
    """Rows and type column of a legacy primary file, counted with the csv module alone."""
    rows = _rows(path, 12)
    types = Counter({"individual": "person", "vessel": "vessel", "aircraft": "aircraft", "-0-": "company"}[
        r[2].strip()] for r in rows)
    return len(rows), types


@pytest.mark.slow
def test_full_lists():
    shared_path("data", "lists", "ofac-sdn")
    data = load_list(SHARED / "ofac-sdn")
    assert data.format == "ofac-csv" and data.source == "ofac-sdn"
    n, types = _independent_count(SHARED / "ofac-sdn" / "sdn.csv")
    assert len(data.entities) == n == 8976
    got = Counter(e.type for e in data.entities)
    assert got == types == {"person": 4620, "company": 3673, "vessel": 406, "aircraft": 277}
    assert len({e.entity_id for e in data.entities}) == n
    primary = {r[0].strip(): r[1] for r in _rows(SHARED / "ofac-sdn" / "sdn.csv", 12)}
    alt_pairs = {(r[0].strip(), r[3]) for r in _rows(SHARED / "ofac-sdn" / "alt.csv", 5)}
    expected_aliases = sum(1 for ent, name in alt_pairs if name != primary[ent])  # OFAC repeats a few
    strong = sum(1 for e in data.entities for a in e.aliases if not a.weak and a.kind != "listed")
    assert strong == expected_aliases > 11_800  # every distinct alt.csv name is one (non-listed) alias
    # (how long the parse takes is measured in benchmarks/, not asserted here)

    cons = load_list(SHARED / "ofac-cons")
    assert cons.format == "ofac-cons-csv" and cons.source == "ofac-cons"
    n, types = _independent_count(SHARED / "ofac-cons" / "cons_prim.csv")
    assert len(cons.entities) == n == 442
    assert Counter(e.type for e in cons.entities) == types

    ents = by_id(data.entities)
    assert ents["ofac-sdn:13466"].name == "GASOLINERA ALAMOS COUNTRY, S.A. DE C.V."
    imo = sum(1 for e in data.entities if e.type == "vessel" and any(i.kind == "IMO" for i in e.identifiers))
    assert imo >= 400  # nearly every vessel carries its IMO number
    assert sum(1 for e in data.entities if e.countries) > 0.8 * n
