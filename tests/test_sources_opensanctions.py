"""OpenSanctions parsers (screening.sources.opensanctions): FtM JSON lines and targets.simple.csv.

Fixtures: tests/fixtures/opensanctions/sample.ftm.json holds 9 lines copied unchanged from the
two FtM files in ../shared/data/lists/opensanctions/ (3 from t1, 6 from zala: entities,
Sanctions, an Address and an Ownership). targets.simple.handmade.csv is HAND-MADE in the
published targets.simple.csv layout (no copy is available); its names and ids are invented.
The full-list test reads the two real files and is skipped, saying so, only when ../shared is absent.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import SHARED as SHARED_ROOT
from conftest import shared_path

from screening.errors import SourceError
from screening.sources import SourceLimits, detect_format, load_list
from screening.sources.opensanctions import NOT_TARGET, SCHEMA_TYPES, parse_ftm, parse_simple_csv, sniff

FIXTURES = Path(__file__).parent / "fixtures" / "opensanctions"
FTM = FIXTURES / "sample.ftm.json"
SIMPLE = FIXTURES / "targets.simple.handmade.csv"
SHARED = SHARED_ROOT / "data" / "lists" / "opensanctions"
LIMITS = SourceLimits()

CST = "opensanctions:NK-abdzbEBkqyT29GyREbiURZ"


@pytest.fixture(scope="module")
def ftm():
    data = load_list(FTM)
    return data, {e.entity_id: e for e in data.entities}


def test_sniff():
    assert sniff(FTM) == "ftm-json" and detect_format(FTM) == "ftm-json"
    assert sniff(SIMPLE) == "opensanctions-csv" and detect_format(SIMPLE) == "opensanctions-csv"
    assert sniff(FIXTURES) == "ftm-json"  # a folder of *.ftm.json
    assert sniff(Path(__file__).parent / "fixtures" / "custom" / "internal-list.csv") is None


def test_only_matchable_schemas_become_entities(ftm):
    data, by_id = ftm
    assert data.source == "opensanctions" and data.format == "ftm-json" and data.list_date is None
    assert list(by_id) == [
        "opensanctions:NK-2GdmHtZTeNXjNVrBGEXZNj",  # Organization
        "opensanctions:NK-2Ka3UvopqbpZmVDFjWd4LA",  # Person
        CST,  # Company
        "opensanctions:NK-JseaPJctnK9o8wrmz8xmoT",  # Person
        "opensanctions:NK-56Edov9bas9puzaChH5pBy",  # Company, not a target
    ]  # Address, 2 Sanctions and an Ownership skipped
    assert [e.type for e in data.entities] == ["company", "person", "company", "person", "company"]


def test_caption_is_the_primary_name_and_scripts_are_tagged(ftm):
    _, by_id = ftm
    org = by_id["opensanctions:NK-2GdmHtZTeNXjNVrBGEXZNj"]
    assert org.name == "RAB „Inter Tobacco“"  # the caption, one of its names
    scripts = {a.name: a.script for a in org.aliases if a.kind == "script"}
    assert scripts["Εταιρία περιορισμένης ευθύνης “Inter Tobacco”"] == "Grek"
    assert scripts["Общество с ограниченной ответственностью “Интер Тобако”"] == "Cyrl"
    assert "LLC “Inter Tobacco”" in [a.name for a in org.aliases if a.kind == "aka"]
    person = by_id["opensanctions:NK-2Ka3UvopqbpZmVDFjWd4LA"]
    assert person.name == "Vitaly Yurievich KUZMENKO"
    assert [(a.name, a.kind) for a in person.aliases] == [
        ("Vitalij Kuzmenko", "aka"), ("Виталий Юрьевич КУЗЬМЕНКО", "script"),
    ]


def test_weak_aliases_and_japanese_names(ftm):
    _, by_id = ftm
    cst = by_id[CST]
    assert cst.name == "LLC CST"
    weak = {a.name for a in cst.aliases if a.weak}
    assert {"CST", "ZALA"} <= weak  # weakAlias / abbreviation
    assert "Zala Aero Group" in {a.name for a in cst.aliases if not a.weak}
    assert "ザラ・アエロ・グループ無人システム" in {a.name for a in cst.aliases if a.script == "Jpan"}


def test_countries_dates_identifiers_programs(ftm):
    _, by_id = ftm
    person = by_id["opensanctions:NK-2Ka3UvopqbpZmVDFjWd4LA"]
    assert person.countries == ["RU"]  # nationality "ru"
    assert person.dates == ["1971-01-22"]
    assert [(i.kind, i.value) for i in person.identifiers] == [("Tax ID", "366510784303")]
    assert person.listed_on == "2024-02-23"  # createdAt
    assert person.remarks.startswith("The plant is part of")
    cst = by_id[CST]
    # its own programId plus the programIds of the two Sanction lines that point to it
    assert {"AU-RUSSIA", "EU-UKR"} <= set(cst.programs)
    assert len(cst.programs) == len(set(cst.programs))
    egrul = by_id["opensanctions:NK-56Edov9bas9puzaChH5pBy"]
    assert [(i.kind, i.value) for i in egrul.identifiers] == [
        ("INN", "1835045074"), ("INN", "1831006638"), ("OGRN", "1021801671462"), ("OGRN", "1021801149754"),
    ]
    assert egrul.dates == ["2002-12-31", "2002-10-02"]  # incorporationDate
    assert egrul.remarks == NOT_TARGET


def test_malformed_json_line_names_file_and_line(tmp_path):
    lines = FTM.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "broken.ftm.json"
    path.write_text("\n".join(lines[:4]) + "\n" + lines[4][:200] + "\n", encoding="utf-8")  # line 5 cut
    with pytest.raises(SourceError) as err:
        parse_ftm(path, limits=LIMITS)
    assert str(path) in str(err.value) and "line 5" in str(err.value) and "not valid JSON" in str(err.value)
    path.write_text('{"id": "x", "schema": "Person"}\n', encoding="utf-8")
    with pytest.raises(SourceError, match="line 1: not a FollowTheMoney entity"):
        parse_ftm(path, limits=LIMITS)


def test_folder_of_ftm_files(tmp_path):
    lines = FTM.read_text(encoding="utf-8").splitlines()
    (tmp_path / "a.ftm.json").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    (tmp_path / "b.ftm.json").write_text("\n".join(lines[2:]) + "\n", encoding="utf-8")  # one repeat
    data = load_list(tmp_path)
    assert data.format == "ftm-json" and len(data.files) == 2
    assert len(data.entities) == 5


# ------------------------------------------------------------------------------------------ CSV


def test_simple_csv():
    data = load_list(SIMPLE)
    assert data.format == "opensanctions-csv"
    by_id = {e.entity_id: e for e in data.entities}
    assert list(by_id) == [
        "opensanctions:NK-example-person-1", "opensanctions:NK-example-vessel-1",
        "opensanctions:NK-example-company-1", "opensanctions:NK-example-plane-1",
    ]  # the CryptoWallet row is not a name to screen
    person = by_id["opensanctions:NK-example-person-1"]
    assert person.type == "person" and person.name == "Ivan Petrovich Examplov"
    assert [(a.name, a.kind, a.script) for a in person.aliases] == [
        ("Иван Петрович Экзамплов", "script", "Cyrl"), ("Ivan Examplov", "aka", None),
        ("伊万·埃克赞普洛夫", "script", "Hani"),
    ]
    assert person.countries == ["RU", "CY"] and person.dates == ["1965-07-04", "1966"]
    assert [i.value for i in person.identifiers] == ["7512345678", "123456789012"]
    assert person.programs == ["EU-UKR", "GB-RUS"] and person.listed_on == "2022-03-15"
    company = by_id["opensanctions:NK-example-company-1"]
    assert company.name == "Example Trading Company, LLC"
    assert [a.name for a in company.aliases] == ['ООО "Пример Трейдинг"', "ETC"]
    assert by_id["opensanctions:NK-example-vessel-1"].type == "vessel"
    assert by_id["opensanctions:NK-example-plane-1"].type == "aircraft"


def test_simple_csv_errors(tmp_path):
    header = SIMPLE.read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "targets.simple.csv"
    path.write_text(header + "\nX1,Person,,,,,,,,,,,ds,,,\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"line 2: entity X1 has an empty name"):
        parse_simple_csv(path, limits=LIMITS)
    path.write_text(header + "\nX1,Person,A B,,,,\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"targets.simple.csv: line 2: 7 fields where the header has 16"):
        parse_simple_csv(path, limits=LIMITS)


# ------------------------------------------------------------------------------ the complete files


@pytest.mark.slow
@pytest.mark.parametrize("name", ["t1.entities.ftm.json", "zala.entities.ftm.json"])
def test_full_ftm_files_match_an_independent_count(name):
    path = shared_path("data", "lists", "opensanctions", name)
    objects = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = [o["id"] for o in objects if o["schema"] in SCHEMA_TYPES and o["properties"].get("name")]
    assert len(objects) == {"t1.entities.ftm.json": 7, "zala.entities.ftm.json": 91}[name]  # README counts

    start = time.perf_counter()
    data = load_list(path)
    elapsed = time.perf_counter() - start
    assert data.format == "ftm-json"
    assert [e.entity_id for e in data.entities] == [f"opensanctions:{i}" for i in expected]
    assert len(data.entities) == {"t1.entities.ftm.json": 6, "zala.entities.ftm.json": 17}[name]
    schemas = {o["id"]: o["schema"] for o in objects}
    for e in data.entities:
        assert e.type == SCHEMA_TYPES[schemas[e.entity_id.split(":", 1)[1]]]
    # every listed name and alias of every entity is kept (as primary, alias or script alias)
    for o, e in zip([o for o in objects if o["id"] in expected], data.entities, strict=True):
        # (a value packing several spellings with ";" is kept as each of them)
        listed = {" ".join(x.split()) for p in ("name", "alias") for n in o["properties"].get(p, []) for x in n.split(";")}
        assert listed <= {n.name for n in e.all_names()}
    print(f"\n{name}: {len(data.entities)} entities in {elapsed:.3f} s")
