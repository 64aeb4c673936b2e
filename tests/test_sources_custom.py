"""A company's own list as CSV (screening.sources.custom).

Fixtures in tests/fixtures/custom/ are HAND-MADE (an internal list has no public original):
internal-list.csv uses every documented column; semicolon-no-id.csv is an Excel-style export
with ";" separators, CRLF line ends, a capitalised "Name" and no id column; no-name-column.csv
and empty-name.csv are the two errors the module docstring promises.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.errors import SourceError
from screening.sources import SourceLimits, detect_format, load_list
from screening.sources.custom import parse_csv, sniff

FIXTURES = Path(__file__).parent / "fixtures"
CUSTOM = FIXTURES / "custom"
LIMITS = SourceLimits()


def test_sniff_claims_only_csv_with_a_name_column_nobody_else_claims():
    assert sniff(CUSTOM / "internal-list.csv") == "custom-csv"
    assert detect_format(CUSTOM / "internal-list.csv") == "custom-csv"
    assert detect_format(CUSTOM / "semicolon-no-id.csv") == "custom-csv"
    assert sniff(CUSTOM / "no-name-column.csv") is None
    # the OpenSanctions simple CSV has a "name" column too, but its own sniffer runs first
    simple = FIXTURES / "opensanctions" / "targets.simple.handmade.csv"
    assert sniff(simple) == "custom-csv" and detect_format(simple) == "opensanctions-csv"
    assert detect_format(FIXTURES / "uk" / "ConList.handmade.csv") == "uk-ofsi-csv"
    assert sniff(FIXTURES / "un-sc" / "UN_consolidated.excerpt.xml") is None


def test_every_documented_column():
    data = load_list(CUSTOM / "internal-list.csv")
    assert data.source == "custom" and data.format == "custom-csv" and data.list_date is None
    by_id = {e.entity_id: e for e in data.entities}
    assert list(by_id) == ["custom:C-001", "custom:C-002", "custom:C-003", "custom:C-004"]
    shell = by_id["custom:C-001"]
    assert shell.name == "Example Shell Holdings Ltd" and shell.type == "company"
    assert [a.name for a in shell.aliases] == ["Example Shell", "ESH Ltd"]
    assert shell.countries == ["HK", "CY"]  # a code and a country name
    assert shell.dates == ["2015"]
    assert [(i.kind, i.value) for i in shell.identifiers] == [("REG", "HK-1234567"), ("LEI", "5493000EXAMPLE00001")]
    assert shell.programs == ["INTERNAL-WATCH"] and shell.remarks == "Flagged by the 2025 audit"
    person = by_id["custom:C-002"]
    assert person.type == "person" and person.dates == ["1965-07-04"]
    assert [(a.name, a.kind, a.script) for a in person.aliases] == [("Иван Экзамплов", "script", "Cyrl")]
    assert by_id["custom:C-003"].type == "vessel"
    assert by_id["custom:C-003"].identifiers[0].kind == "IMO"
    assert by_id["custom:C-004"].type == "company"  # no type given


def test_semicolons_capitalised_name_and_row_number_ids():
    data = load_list(CUSTOM / "semicolon-no-id.csv")
    assert [(e.entity_id, e.name, e.type, e.countries) for e in data.entities] == [
        ("custom:1", "Example GmbH", "company", ["DE"]),
        ("custom:2", "Anna Example", "person", ["AT"]),
    ]


def test_missing_name_column_lists_the_columns_it_has():
    with pytest.raises(SourceError) as err:
        load_list(CUSTOM / "no-name-column.csv", "custom-csv")
    message = str(err.value)
    assert "no-name-column.csv" in message and "no 'name' column" in message
    assert "'id', 'full_name', 'country'" in message


def test_empty_name_names_file_and_row():
    with pytest.raises(SourceError, match=r"empty-name.csv: row 2 \(line 3\): empty name"):
        load_list(CUSTOM / "empty-name.csv")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("1,A,planet,,", r"row 1 \(line 2\): unknown type 'planet'"),
        ("1,A,,Atlantis,", r"row 1 \(line 2\): 'Atlantis' is not a country code or name"),
        ("1,A,,,31/12/1999", r"row 1 \(line 2\): date '31/12/1999' is not YYYY, YYYY-MM or YYYY-MM-DD"),
        ("1,A,,,2020-02-30", r"date '2020-02-30'"),
        ("1,A,,", r"row 1 \(line 2\): 4 fields where the header has 5"),
        ('1,"A,,,', r"malformed or truncated CSV at line 2"),
    ],
)
def test_bad_cells_name_file_and_row(tmp_path, row, message):
    path = tmp_path / "list.csv"
    path.write_text(f"id,name,type,countries,dates\n{row}\n", encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        parse_csv(path, limits=LIMITS)


def test_repeated_id_is_an_error(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("id,name\n7,A\n7,B\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"row 2 \(line 3\): id '7' is already used by row 1"):
        parse_csv(path, limits=LIMITS)


def test_windows_1252_and_blank_lines(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes("name,aliases\r\nCafé Müller GmbH,Müller\r\n\r\n".encode("cp1252"))
    (e,) = load_list(path).entities
    assert e.name == "Café Müller GmbH" and [a.name for a in e.aliases] == ["Müller"]


def test_nul_byte_is_an_error(tmp_path):
    path = tmp_path / "list.csv"
    path.write_bytes(b"name\nA\x00B\n")
    with pytest.raises(SourceError, match=r"line 2: NUL byte"):
        parse_csv(path, limits=LIMITS)
