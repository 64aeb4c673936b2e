"""UN Security Council Consolidated List parser (screening.sources.un).

Fixtures: tests/fixtures/un-sc/UN_consolidated.excerpt.xml holds 5 INDIVIDUAL and 5 ENTITY
elements copied unchanged from the real list in ../shared/data/lists/un-sc/ (root element
and dateGenerated kept); UN_consolidated.truncated.xml is its first 150 lines. The full-list test
reads the real file itself and is skipped, saying so, only when ../shared is absent.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from conftest import SHARED as SHARED_ROOT
from conftest import shared_path

from screening.errors import SourceError, UnsafeXMLError
from screening.sources import SourceLimits, detect_format, load_list
from screening.sources.un import country_code, guess_script, iso_date, parse_xml, sniff, year_range

FIXTURES = Path(__file__).parent / "fixtures"
EXCERPT = FIXTURES / "un-sc" / "UN_consolidated.excerpt.xml"
TRUNCATED = FIXTURES / "un-sc" / "UN_consolidated.truncated.xml"
BOMB = FIXTURES / "xml-bomb.xml"
FULL = SHARED_ROOT / "data" / "lists" / "un-sc" / "UN_consolidated.xml"


@pytest.fixture(scope="module")
def excerpt():
    data = load_list(EXCERPT)
    return data, {e.entity_id: e for e in data.entities}


def test_sniff_recognises_un_xml_only():
    assert sniff(EXCERPT) == "un-xml"
    assert detect_format(EXCERPT) == "un-xml"
    assert sniff(FIXTURES / "eu-fsf" / "fsf-1.1.handmade.xml") is None
    assert sniff(FIXTURES / "custom" / "internal-list.csv") is None
    assert sniff(FIXTURES / "un-sc") is None  # a folder


def test_excerpt_counts_ids_and_list_date(excerpt):
    data, by_id = excerpt
    assert data.source == "un-sc" and data.format == "un-xml"
    assert data.list_date == "2026-02-27"
    assert data.files == [str(EXCERPT)]
    assert list(by_id) == [
        "un-sc:CDi.003", "un-sc:IQi.001", "un-sc:QDi.290", "un-sc:QDi.363", "un-sc:SOi.020",
        "un-sc:CDe.001", "un-sc:IQe.197", "un-sc:QDe.164", "un-sc:QDe.131", "un-sc:TAe.010",
    ]
    assert [e.type for e in data.entities] == ["person"] * 5 + ["company"] * 5
    assert all(e.source == "un-sc" for e in data.entities)


def test_person_name_is_first_to_fourth_name_in_un_order(excerpt):
    _, by_id = excerpt
    assert by_id["un-sc:CDi.003"].name == "GASTON IYAMUREMYE"
    assert by_id["un-sc:QDi.290"].name == "DOKU KHAMATOVICH UMAROV"
    assert by_id["un-sc:IQi.001"].name == "SADDAM HUSSEIN AL-TIKRITI"
    assert by_id["un-sc:IQe.197"].name == "AL WASEL AND BABEL GENERAL TRADING LLC"


def test_low_quality_aliases_are_weak_and_good_ones_strong(excerpt):
    _, by_id = excerpt
    aliases = {a.name: a for a in by_id["un-sc:CDi.003"].aliases}
    assert aliases["Rumuli"].weak is True  # QUALITY Low
    assert aliases["Victor Rumuri"].weak is False  # QUALITY Good
    assert [a.name for a in by_id["un-sc:CDi.003"].aliases] == [
        "Rumuli", "Byiringiro Victor Rumuli", "Victor Rumuri", "Michel Byiringiro",
    ]  # as listed
    saddam = {a.name: a for a in by_id["un-sc:IQi.001"].aliases}
    assert saddam["Abu Ali"].weak is True


def test_entity_aka_and_fka(excerpt):
    _, by_id = excerpt
    adf = {a.name: a for a in by_id["un-sc:CDe.001"].aliases}
    assert adf["Allied Democratic Forces"].kind == "aka" and not adf["Allied Democratic Forces"].weak
    assert adf["NALU"].kind == "fka" and not adf["NALU"].weak


def test_repeated_alias_is_listed_once(excerpt):
    _, by_id = excerpt
    names = [a.name for a in by_id["un-sc:QDi.290"].aliases]
    assert names.count("Dokka Umarov") == 1


def test_original_script_names(excerpt):
    _, by_id = excerpt
    scripts = {e.entity_id: [(a.name, a.script) for a in e.aliases if a.kind == "script"] for e in by_id.values()}
    assert scripts["un-sc:IQi.001"] == [("صدام حسين التكريتي", "Arab")]
    assert scripts["un-sc:QDi.290"] == [("Умаров Доку Хаматович", "Cyrl")]
    assert scripts["un-sc:QDe.131"] == [("Эмират Кавказ", "Cyrl")]
    assert scripts["un-sc:TAe.010"] == [("حاجی خيرالله و حاجی ستار صرافی", "Arab")]
    # QDe.164's NAME_ORIGINAL_SCRIPT is its Latin name again: not repeated as an alias
    assert scripts["un-sc:QDe.164"] == []
    assert all(not a.weak for e in by_id.values() for a in e.aliases if a.kind == "script")


def test_countries_from_nationality_and_address(excerpt):
    _, by_id = excerpt
    assert by_id["un-sc:CDi.003"].countries == ["RW", "CD"]  # nationality Rwanda, address DR Congo
    # "Russian Federation" and "former Soviet Union" (no alpha-2 code) -> RU only
    assert by_id["un-sc:QDi.290"].countries == ["RU"]
    assert by_id["un-sc:IQe.197"].countries == ["AE", "IQ"]
    assert by_id["un-sc:SOi.020"].countries == ["SO"]


def test_dates_of_birth(excerpt):
    _, by_id = excerpt
    assert by_id["un-sc:IQi.001"].dates == ["1937-04-28"]
    assert by_id["un-sc:CDi.003"].dates == ["1948"]  # YEAR
    assert by_id["un-sc:SOi.020"].dates == ["1957", "1958", "1959", "1960", "1961", "1962"]  # BETWEEN
    # alias-level DATE_OF_BIRTH values and four INDIVIDUAL_DATE_OF_BIRTH elements, once each
    assert sorted(by_id["un-sc:QDi.290"].dates) == ["1955", "1964-04-13", "1964-05-12", "1965-04-13"]
    assert by_id["un-sc:IQe.197"].dates == []


def test_documents_become_identifiers(excerpt):
    _, by_id = excerpt
    ids = by_id["un-sc:QDi.290"].identifiers
    assert [(i.kind, i.value, i.country) for i in ids] == [("Passport", "96 03 464086", "RU")]
    assert by_id["un-sc:CDi.003"].identifiers == []


def test_programs_listed_on_and_remarks(excerpt):
    _, by_id = excerpt
    saddam = by_id["un-sc:IQi.001"]
    assert saddam.programs == ["Iraq"]
    assert saddam.listed_on == "2003-06-27"
    assert by_id["un-sc:CDe.001"].programs == ["DRC"]
    assert by_id["un-sc:QDi.290"].remarks.startswith("Physical description: 180 cm tall")
    assert by_id["un-sc:IQe.197"].remarks is None


def test_truncated_file_names_file_and_line():
    with pytest.raises(SourceError) as err:
        load_list(TRUNCATED)
    message = str(err.value)
    assert str(TRUNCATED) in message and "line 151" in message and "truncated" in message


def test_billion_laughs_is_refused_via_load_list():
    assert detect_format(BOMB) == "un-xml"  # its root is CONSOLIDATED_LIST
    for fmt in (None, "un-xml"):
        with pytest.raises(UnsafeXMLError) as err:  # refused before any expansion: the error itself says so
            load_list(BOMB, fmt)
        assert str(BOMB) in str(err.value) and "unsafe XML refused" in str(err.value)
        assert err.value.status == 400


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "un.xml"
    path.write_text(f'<?xml version="1.0"?>\n<CONSOLIDATED_LIST dateGenerated="2026-01-02T03:04:05Z">{body}'
                    "</CONSOLIDATED_LIST>\n", encoding="utf-8")
    return path


def test_missing_reference_number_or_name_is_an_error(tmp_path):
    path = _write(tmp_path, "<INDIVIDUALS><INDIVIDUAL><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL></INDIVIDUALS>")
    with pytest.raises(SourceError, match=r"<INDIVIDUAL> #1: no REFERENCE_NUMBER"):
        parse_xml(path, limits=SourceLimits())
    path = _write(tmp_path, "<ENTITIES><ENTITY><REFERENCE_NUMBER>XXe.001</REFERENCE_NUMBER></ENTITY></ENTITIES>")
    with pytest.raises(SourceError, match=r"<ENTITY> #1 \(XXe.001\): no name"):
        parse_xml(path, limits=SourceLimits())


def test_repeated_reference_number_is_an_error(tmp_path):
    one = "<INDIVIDUAL><FIRST_NAME>A</FIRST_NAME><REFERENCE_NUMBER>XXi.001</REFERENCE_NUMBER></INDIVIDUAL>"
    path = _write(tmp_path, f"<INDIVIDUALS>{one}{one}</INDIVIDUALS>")
    with pytest.raises(SourceError, match="repeats element #1"):
        parse_xml(path, limits=SourceLimits())


def test_entity_limit(tmp_path):
    with pytest.raises(SourceError, match="limit"):
        load_list(EXCERPT, limits=SourceLimits(max_entities=3))


def test_helpers():
    assert country_code("Iran (Islamic Republic of)") == "IR"
    assert country_code("Türkiye") == "TR"
    assert country_code("ru") == "RU"
    assert country_code("na") is None and country_code("00") is None and country_code("") is None
    assert country_code("former Soviet Union") is None
    assert guess_script("صدام") == "Arab" and guess_script("Анна") == "Cyrl" and guess_script("习近平") == "Hani"
    assert guess_script("ザラ・アエロ") == "Jpan" and guess_script("김정은") == "Hang" and guess_script("Μέγα") == "Grek"
    assert guess_script("Ali") == "Latn" and guess_script("123") is None
    assert iso_date("2012-12-31") == "2012-12-31" and iso_date("00/00/1959") == "1959"
    assert iso_date("00/05/1959") == "1959-05" and iso_date("31/12/2012") == "2012-12-31" and iso_date("x") == ""
    assert year_range("1973", "1974") == ["1973", "1974"] and year_range("1900", "1990") == ["1900", "1990"]


# ------------------------------------------------------------------------------ the complete list


@pytest.mark.slow
def test_full_un_list_counts_match_an_independent_count():
    raw = shared_path("data", "lists", "un-sc", "UN_consolidated.xml").read_text(encoding="utf-8")
    individuals = re.findall(r"<INDIVIDUAL>(.*?)</INDIVIDUAL>", raw, re.S)
    entities = re.findall(r"<ENTITY>(.*?)</ENTITY>", raw, re.S)
    refs = re.findall(r"<REFERENCE_NUMBER>([^<]+)</REFERENCE_NUMBER>", raw)
    originals = re.findall(r"<NAME_ORIGINAL_SCRIPT>([^<]+)</NAME_ORIGINAL_SCRIPT>", raw)
    # the README's numbers, checked against the file itself
    assert (len(individuals), len(entities), len(originals)) == (730, 273, 378)

    start = time.perf_counter()
    data = load_list(FULL)
    elapsed = time.perf_counter() - start
    assert data.format == "un-xml" and data.list_date == "2026-02-27"
    assert len(data.entities) == len(individuals) + len(entities) == 1003
    assert sum(e.type == "person" for e in data.entities) == len(individuals)
    assert sum(e.type == "company" for e in data.entities) == len(entities)
    assert sorted(e.entity_id for e in data.entities) == sorted(f"un-sc:{r.strip()}" for r in refs)

    # every non-Latin original-script name is a script alias (the one Latin one repeats its entity's name)
    # and so is each original-script spelling packed into an ALIAS_NAME ("Jin Tiesan (金铁三)", "X; Y",
    # "original script: Абубакар")
    script_aliases = [a for e in data.entities for a in e.aliases if a.kind == "script"]
    names = {a.name for a in script_aliases}
    assert {"金铁三", "Абубакар", "اغا جان عالیزی"} <= names
    assert {" ".join(o.split()) for o in originals if not o.isascii() and ":" not in o} <= names
    packed = re.findall(r"<ALIAS_NAME>[^<]*[^\x00-\u024f\W\d_][^<]*</ALIAS_NAME>", raw)
    assert len(packed) == 39 and len(script_aliases) >= 377 + len(packed)
    assert len([n for n in names if re.search("[A-Za-z]", n)]) <= 3  # nested brackets left as listed
    assert {a.script for a in script_aliases} == {"Arab", "Cyrl", "Hani"}

    # weak aliases: the distinct Low-quality alias names of each element
    def low_names(block: str) -> set[str]:
        pairs = re.findall(r"<QUALITY>(?:Low|Very Low)</QUALITY>\s*<ALIAS_NAME>([^<]+)</ALIAS_NAME>", block)
        return {" ".join(p.split()) for p in pairs}

    expected_weak = sum(len(low_names(b)) for b in individuals + entities)
    # 615 distinct Low-quality ALIAS_NAME values; splitting packed spellings ("X; Y", "X (original script)") makes 628
    assert expected_weak == 615 and sum(a.weak for e in data.entities for a in e.aliases) == 628

    # the eval set's ids (e.g. un-sc:IQe.197) use this scheme
    ids = {e.entity_id for e in data.entities}
    assert "un-sc:IQe.197" in ids
    assert all(re.fullmatch(r"[A-Z]{2}", c) for e in data.entities for c in e.countries)
    print(f"\nUN full list: {len(data.entities)} entities in {elapsed:.2f} s")
