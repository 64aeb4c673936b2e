"""EU Financial Sanctions File parsers (screening.sources.eu), XML and CSV.

No copy of the EU list is available (/work/shared has none), so these tests run on HAND-MADE
fixtures written in the published FSF v1.1 structures: tests/fixtures/eu-fsf/fsf-1.1.handmade.xml
(export/sanctionEntity with nameAlias, citizenship, birthdate, identification, address,
regulation, remark) and fsf-1.1.handmade.csv (the 118-column semicolon-delimited export, one row
per name or attribute). Names, numbers and ids are invented. They test our reading of the
published format, not agreement with a real EU file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import SourceError
from screening.sources import SourceLimits, detect_format, load_list
from screening.sources.eu import parse_csv, parse_xml, sniff

FIXTURES = Path(__file__).parent / "fixtures" / "eu-fsf"
XML = FIXTURES / "fsf-1.1.handmade.xml"
CSV = FIXTURES / "fsf-1.1.handmade.csv"
LIMITS = SourceLimits()


def by_id(data):
    return {e.entity_id: e for e in data.entities}


def test_sniff():
    assert sniff(XML) == "eu-fsf-xml" and detect_format(XML) == "eu-fsf-xml"
    assert sniff(CSV) == "eu-fsf-csv" and detect_format(CSV) == "eu-fsf-csv"
    assert sniff(Path(__file__).parent / "fixtures" / "un-sc" / "UN_consolidated.excerpt.xml") is None
    assert sniff(Path(__file__).parent / "fixtures" / "custom" / "internal-list.csv") is None


# ------------------------------------------------------------------------------------------ XML


def test_xml_entities_types_and_list_date():
    data = load_list(XML)
    assert data.source == "eu-fsf" and data.format == "eu-fsf-xml"
    assert data.list_date == "2026-03-02"
    assert [(e.entity_id, e.type) for e in data.entities] == [("eu-fsf:900001", "person"), ("eu-fsf:900002", "company")]


def test_xml_names_weak_and_script_aliases():
    person, company = load_list(XML).entities
    assert person.name == "Ivan Petrovich Examplov"
    aliases = {a.name: a for a in person.aliases}
    assert aliases["Иван Петрович Экзамплов"].kind == "script" and aliases["Иван Петрович Экзамплов"].script == "Cyrl"
    assert aliases["Vanya"].weak is True  # strong="false"
    assert aliases["Examplov Ivan"].weak is False and aliases["Examplov Ivan"].kind == "aka"
    assert company.name == "Example Trading Company LLC"
    scripts = {a.name: a.script for a in company.aliases if a.kind == "script"}
    assert scripts == {"ООО Пример Трейдинг": "Cyrl", "Μέγα Παράδειγμα Εμπορική": "Grek"}
    assert [a.name for a in company.aliases if a.weak] == ["ETC"]


def test_xml_countries_dates_identifiers_programs():
    person, company = load_list(XML).entities
    assert person.countries == ["RU", "CY"]  # citizenship, then address
    assert company.countries == ["SY"]  # countryIso2Code "00" (unknown) dropped
    assert person.dates == ["1965-07-04", "1966"]  # full date; year only
    assert [(i.kind, i.value, i.country) for i in person.identifiers] == [
        ("Passport", "7512345678", "RU"), ("Tax ID", "123456789012", "RU"),
    ]
    assert [(i.kind, i.value, i.country) for i in company.identifiers] == [("Registration", "1027700000000", "RU")]
    assert person.programs == ["UKR"] and company.programs == ["UKR", "SYR"]
    assert person.listed_on == "2022-03-15"  # designationDate
    assert company.listed_on == "2012-01-19"  # no designationDate: earliest regulation in force
    assert person.remarks == "Invented person for parser tests." and company.remarks is None


def test_xml_truncated_names_file_and_line(tmp_path):
    path = tmp_path / "fsf.xml"
    path.write_bytes(XML.read_bytes()[:5000])
    with pytest.raises(SourceError) as err:
        parse_xml(path, limits=LIMITS)
    assert str(path) in str(err.value) and "line" in str(err.value) and "truncated" in str(err.value)


def _xml(tmp_path: Path, entity: str) -> Path:
    path = tmp_path / "fsf.xml"
    path.write_text(
        '<?xml version="1.0"?><export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2026-01-01">'
        f"{entity}</export>", encoding="utf-8",
    )
    return path


def test_xml_element_errors_name_the_element(tmp_path):
    no_id = '<sanctionEntity><subjectType code="person"/><nameAlias wholeName="A B"/></sanctionEntity>'
    with pytest.raises(SourceError, match=r"<sanctionEntity> #1: no logicalId"):
        parse_xml(_xml(tmp_path, no_id), limits=LIMITS)
    no_name = '<sanctionEntity logicalId="7"><subjectType code="person"/></sanctionEntity>'
    with pytest.raises(SourceError, match=r"#1 \(logicalId 7\): no name"):
        parse_xml(_xml(tmp_path, no_name), limits=LIMITS)
    odd_type = '<sanctionEntity logicalId="8"><subjectType code="planet"/><nameAlias wholeName="X"/></sanctionEntity>'
    with pytest.raises(SourceError, match="unknown subject type 'planet'"):
        parse_xml(_xml(tmp_path, odd_type), limits=LIMITS)


def test_xml_name_from_parts_and_year_range(tmp_path):
    entity = (
        '<sanctionEntity logicalId="9"><subjectType code="person" classificationCode="P"/>'
        '<nameAlias firstName="Anna" middleName="" lastName="Example" wholeName="" strong="true"/>'
        '<birthdate yearRangeFrom="1970" yearRangeTo="1972"/></sanctionEntity>'
    )
    (e,) = parse_xml(_xml(tmp_path, entity), limits=LIMITS).entities
    assert e.name == "Anna Example" and e.dates == ["1970", "1971", "1972"]


# ------------------------------------------------------------------------------------------ CSV


def test_csv_groups_rows_by_logical_id():
    data = load_list(CSV)
    assert data.format == "eu-fsf-csv" and data.list_date == "2026-03-02"  # fileGenerationDate dd/mm/yyyy
    entities = by_id(data)
    assert list(entities) == ["eu-fsf:900001", "eu-fsf:900002"]
    person, company = entities["eu-fsf:900001"], entities["eu-fsf:900002"]
    assert person.type == "person" and company.type == "company"
    assert person.name == "Ivan Petrovich Examplov"
    assert [(a.name, a.kind, a.script) for a in person.aliases] == [
        ("Иван Петрович Экзамплов", "script", "Cyrl"), ("Examplov Ivan", "aka", None),
    ]
    assert person.countries == ["RU", "CY"]
    assert person.dates == ["1965-07-04", "1966"]
    assert [(i.kind, i.value, i.country) for i in person.identifiers] == [("Passport", "7512345678", "RU")]
    assert person.programs == ["UKR"] and person.listed_on == "2022-03-15"
    assert person.remarks == "Invented person for parser tests."
    assert company.countries == ["SY"]
    assert company.programs == ["SYR", "UKR"] and company.listed_on == "2012-01-19"
    assert [(i.kind, i.value) for i in company.identifiers] == [("Registration", "1027700000000")]


def test_csv_and_xml_agree_on_shared_facts():
    xml, csv = by_id(load_list(XML)), by_id(load_list(CSV))
    for key in xml:
        assert xml[key].name == csv[key].name and xml[key].type == csv[key].type
        assert xml[key].countries == csv[key].countries
        assert {i.value for i in csv[key].identifiers} <= {i.value for i in xml[key].identifiers}


def test_csv_strong_column_when_present(tmp_path):
    lines = CSV.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0] + ";NameAlias_Strong"
    rows = [line + (";false" if "Examplov Ivan" in line else ";") for line in lines[1:]]
    path = tmp_path / "fsf.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    person = by_id(parse_csv(path, limits=LIMITS))["eu-fsf:900001"]
    assert {a.name: a.weak for a in person.aliases}["Examplov Ivan"] is True


def test_csv_truncated_row_names_file_and_line(tmp_path):
    text = CSV.read_text(encoding="utf-8-sig")
    path = tmp_path / "fsf.csv"
    path.write_text(text[: text.rindex("\n", 0, len(text) - 1) + 40], encoding="utf-8")
    with pytest.raises(SourceError) as err:
        parse_csv(path, limits=LIMITS)
    assert str(path) in str(err.value) and "line 13" in str(err.value)


def test_csv_wrong_header_lists_columns(tmp_path):
    path = tmp_path / "fsf.csv"
    path.write_text("a;b;c\n1;2;3\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"missing Entity_LogicalId, NameAlias_WholeName \(columns: a, b, c\)"):
        parse_csv(path, limits=LIMITS)
