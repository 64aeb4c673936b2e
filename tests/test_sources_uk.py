"""UK consolidated list parser (screening.sources.uk).

No copy of the UK list is available (/work/shared has none), so these tests run on HAND-MADE
fixtures: tests/fixtures/uk/ConList.handmade.csv is written in OFSI's ConList.csv layout ("Last
Updated,<date>" line, then the 36-column header, one row per name grouped by Group ID), and
UK-Sanctions-List.handmade.csv in the FCDO UK Sanctions List CSV layout that replaced it
("Report Date: ..." line, 58-column header). Names, numbers and ids are invented.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import SourceError
from screening.sources import SourceLimits, detect_format, load_list
from screening.sources.uk import parse_ofsi_csv, sniff

FIXTURES = Path(__file__).parent / "fixtures" / "uk"
CONLIST = FIXTURES / "ConList.handmade.csv"
UKSL = FIXTURES / "UK-Sanctions-List.handmade.csv"
LIMITS = SourceLimits()


@pytest.fixture(scope="module")
def conlist():
    data = load_list(CONLIST)
    return data, {e.entity_id: e for e in data.entities}


def test_sniff():
    assert sniff(CONLIST) == "uk-ofsi-csv" and detect_format(CONLIST) == "uk-ofsi-csv"
    assert sniff(UKSL) == "uk-ofsi-csv"
    assert sniff(Path(__file__).parent / "fixtures" / "custom" / "internal-list.csv") is None
    assert sniff(Path(__file__).parent / "fixtures" / "eu-fsf" / "fsf-1.1.handmade.csv") is None


def test_rows_grouped_by_group_id(conlist):
    data, by_id = conlist
    assert data.source == "uk" and data.format == "uk-ofsi-csv"
    assert data.list_date == "2022-03-16"
    assert list(by_id) == ["uk:90001", "uk:90002", "uk:90003"]
    assert [e.type for e in data.entities] == ["person", "company", "vessel"]


def test_person_name_order_and_aliases(conlist):
    _, by_id = conlist
    person = by_id["uk:90001"]
    assert person.name == "Ivan Petrovich EXAMPLOV"  # Name 1, Name 2, then Name 6
    assert [(a.name, a.kind, a.weak) for a in person.aliases if a.kind != "script"] == [
        ("Ivan Petrovich EKZAMPLOV", "aka", False),  # Primary name variation
        ("John EXAMPLOFF", "aka", False),  # AKA, Good
        ("VANYA", "aka", True),  # AKA, Low quality -> weak
    ]
    company = by_id["uk:90002"]
    assert company.name == "EXAMPLE TRADING COMPANY LLC"
    assert [(a.name, a.kind, a.weak) for a in company.aliases] == [
        ("ETC", "aka", True), ("OLD EXAMPLE TRADING", "fka", False),
    ]


def test_non_latin_script_name(conlist):
    _, by_id = conlist
    scripts = [(a.name, a.script) for a in by_id["uk:90001"].aliases if a.kind == "script"]
    assert scripts == [("Иван Петрович Экзамплов", "Cyrl")]


def test_countries_dates_identifiers(conlist):
    _, by_id = conlist
    person = by_id["uk:90001"]
    assert person.countries == ["RU", "CY"]  # "(1) Russia (2) Cyprus", address Cyprus
    assert person.dates == ["1965-07-04", "1966"]  # 04/07/1965 and 00/00/1966
    assert [(i.kind, i.value, i.country) for i in person.identifiers] == [
        ("Passport", "7512345678", "RU"),
        ("Passport", "K1234567", "CY"),
        ("National ID", "123456789012", None),
        ("UK Sanctions List Ref", "RUS9001", None),
    ]
    assert by_id["uk:90002"].countries == ["SY", "RU"]
    ship = by_id["uk:90003"]
    assert [(i.kind, i.value) for i in ship.identifiers] == [("IMO", "9876543"), ("UK Sanctions List Ref", "RUS9003")]


def test_programs_listed_on_remarks(conlist):
    _, by_id = conlist
    person = by_id["uk:90001"]
    assert person.programs == ["Russia"] and by_id["uk:90002"].programs == ["Syria"]
    assert person.listed_on == "2022-03-15"
    assert "Invented person for parser tests." in person.remarks


def test_fcdo_uk_sanctions_list_layout():
    data = load_list(UKSL)
    assert data.list_date == "2026-02-13"  # "Report Date: 13-Feb-2026"
    person, ship = data.entities
    assert person.entity_id == "uk:90001"  # OFSI Group ID
    assert ship.entity_id == "uk:RUS9003"  # no group id: the Unique ID
    assert person.name == "Ivan Petrovich EXAMPLOV" and person.type == "person"
    assert [(a.name, a.weak) for a in person.aliases if a.kind == "aka"] == [("VANYA", True)]
    assert [a.script for a in person.aliases if a.kind == "script"] == ["Cyrl"]
    assert person.countries == ["RU", "CY"] and person.dates == ["1965-07-04"]
    assert person.remarks == "Invented person for parser tests."
    assert ship.type == "vessel" and ("IMO", "9876543") in [(i.kind, i.value) for i in ship.identifiers]


def test_truncated_file_names_file_and_line(tmp_path):
    text = CONLIST.read_text(encoding="utf-8")
    path = tmp_path / "ConList.csv"
    path.write_text(text[: len(text) - 60], encoding="utf-8")  # cut inside the last row
    with pytest.raises(SourceError) as err:
        parse_ofsi_csv(path, limits=LIMITS)
    assert str(path) in str(err.value) and "line 11" in str(err.value)


def test_unterminated_quote_names_file_and_line(tmp_path):
    text = CONLIST.read_text(encoding="utf-8")
    cut = text.index('"(UK Sanctions List Ref):SYR9002')  # the entity's Other Information cell opens a quote
    path = tmp_path / "ConList.csv"
    path.write_text(text[: cut + 5], encoding="utf-8")
    with pytest.raises(SourceError, match=r"ConList.csv: malformed or truncated CSV at line 8"):
        parse_ofsi_csv(path, limits=LIMITS)


def test_bad_header_and_bad_rows(tmp_path):
    path = tmp_path / "ConList.csv"
    path.write_text("Last Updated,01/01/2026\nName 6,Name 1,Regime\nX,,Russia\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"line 2: not an OFSI consolidated list header, missing Group Type, Group ID"):
        parse_ofsi_csv(path, limits=LIMITS)
    path.write_text("Last Updated,01/01/2026\nName 6,Group Type,Alias Type,Group ID\nX,Planet,Primary name,1\n",
                    encoding="utf-8")
    with pytest.raises(SourceError, match=r"line 3: unknown Group Type 'Planet'"):
        parse_ofsi_csv(path, limits=LIMITS)
    path.write_text("Last Updated,01/01/2026\nName 6,Group Type,Alias Type,Group ID\nX,Entity,Primary name,\n",
                    encoding="utf-8")
    with pytest.raises(SourceError, match=r"line 3: empty Group ID"):
        parse_ofsi_csv(path, limits=LIMITS)
    path.write_text("Last Updated,01/01/2026\nName 6,Group Type,Alias Type,Group ID\n,Entity,Primary name,5\n",
                    encoding="utf-8")
    with pytest.raises(SourceError, match=r"line 3 \(group 5\): no name"):
        parse_ofsi_csv(path, limits=LIMITS)


def test_group_without_primary_row_uses_its_first_name(tmp_path):
    path = tmp_path / "ConList.csv"
    path.write_text("Last Updated,01/01/2026\nName 6,Name 1,Group Type,Alias Type,Group ID\n"
                    "DOE,Jane,Individual,AKA,7\nROE,Jane,Individual,AKA,7\n", encoding="utf-8")
    (e,) = parse_ofsi_csv(path, limits=LIMITS).entities
    assert e.name == "Jane DOE" and [a.name for a in e.aliases] == ["Jane ROE"]


def test_date_line_with_trailing_commas_or_missing(tmp_path):
    body = "Name 6,Name 1,Group Type,Alias Type,Group ID\nDOE,Jane,Individual,Primary name,7\n"
    path = tmp_path / "ConList.csv"
    path.write_text("Last Updated,01/02/2026,,,\n" + body, encoding="utf-8")
    assert sniff(path) == "uk-ofsi-csv"
    assert parse_ofsi_csv(path, limits=LIMITS).list_date == "2026-02-01"
    path.write_text(body, encoding="utf-8")
    assert sniff(path) == "uk-ofsi-csv"
    data = parse_ofsi_csv(path, limits=LIMITS)
    assert data.list_date is None and [e.name for e in data.entities] == ["Jane DOE"]


def test_fcdo_layout_merges_designations_of_one_ofsi_group(tmp_path):
    lines = UKSL.read_text(encoding="utf-8").splitlines()
    extra = lines[2].replace("RUS9001", "GHR9001").replace("Russia,Individual", "Global Human Rights,Individual")
    path = tmp_path / "uksl.csv"
    path.write_text("\n".join([*lines, extra]) + "\n", encoding="utf-8")
    person = parse_ofsi_csv(path, limits=LIMITS).entities[0]
    assert person.entity_id == "uk:90001"
    assert [i.value for i in person.identifiers if i.kind == "UK Sanctions List Ref"] == ["RUS9001", "GHR9001"]
    assert person.programs == ["Russia", "Global Human Rights"]
