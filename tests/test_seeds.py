"""Tests for the seed watchlist records and their loader."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import shared_path

from screening.errors import SourceError
from screening.seeds import load_seeds

SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"

REQUIRED_NAMES = [
    "3HC Semiconductors",
    "King-Pai Technology",
    "Sinno Electronics",
    "Sigma Technology",
    "Asia Pacific Links",
    "Tordan Industry",
    "Alpha Trading Investments",
    "Shandong Oree Laser Technology Co.",
    "Oree Laser",
    "Green Cycle Energy",
    "BelOMO Holding",
    "VTB Bank",
    "China North Industries Group Corporation Limited",
    "NORINCO",
]

GOOD = """\
id = "{id}"
name = "Example Trading Ltd"
aliases = ["Example Trading"]
type = "company"
countries = ["HK"]
summary = "A made-up record used by the tests."

[[sources]]
file = "000_example.txt"
headline = "An example headline"
"""


def write(directory: Path, stem: str, text: str) -> Path:
    path = directory / f"{stem}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def good(stem: str) -> str:
    return GOOD.format(id=stem)


# --- the real seeds -----------------------------------------------------------------------------


def test_real_seeds_load() -> None:
    entities = load_seeds(SEEDS_DIR)
    assert len(entities) >= 12
    assert all(e.source == "seed" and e.entity_id.startswith("seed:") for e in entities)


@pytest.mark.parametrize("name", REQUIRED_NAMES)
def test_real_seeds_cover_named_entities(name: str) -> None:
    entities = load_seeds(SEEDS_DIR)
    names = {alias.name.casefold() for e in entities for alias in e.all_names()}
    assert name.casefold() in names


def test_real_seed_ids_unique_and_sourced() -> None:
    entities = load_seeds(SEEDS_DIR)
    ids = [e.entity_id for e in entities]
    assert len(ids) == len(set(ids))
    for entity in entities:
        assert entity.references, entity.entity_id
        assert entity.summary
        assert all(len(c) == 2 and c.isupper() for c in entity.countries)


def test_real_seed_sources_exist_in_reports_dir() -> None:
    reports = shared_path("seeds")
    for entity in load_seeds(SEEDS_DIR):
        for ref in entity.references:
            assert (reports / ref.split(" — ")[0]).is_file(), ref


def test_conversion_to_entity(tmp_path: Path) -> None:
    write(tmp_path, "example-trading", good("example-trading"))
    [entity] = load_seeds(tmp_path)
    assert entity.entity_id == "seed:example-trading"
    assert entity.name == "Example Trading Ltd"
    assert [(a.name, a.kind) for a in entity.aliases] == [("Example Trading", "aka")]
    assert entity.countries == ["HK"]
    assert entity.references == ["000_example.txt — An example headline"]


def test_sorted_order(tmp_path: Path) -> None:
    for stem in ("charlie", "alpha", "bravo"):
        write(tmp_path, stem, good(stem))
    assert [e.entity_id for e in load_seeds(tmp_path)] == ["seed:alpha", "seed:bravo", "seed:charlie"]


# --- bad records --------------------------------------------------------------------------------


def fails(directory: Path) -> str:
    with pytest.raises(SourceError) as info:
        load_seeds(directory)
    return info.value.message


def test_missing_name(tmp_path: Path) -> None:
    write(tmp_path, "bad", good("bad").replace('name = "Example Trading Ltd"\n', ""))
    message = fails(tmp_path)
    assert "bad.toml" in message and "'name'" in message


def test_empty_name(tmp_path: Path) -> None:
    write(tmp_path, "bad", good("bad").replace('"Example Trading Ltd"', '"  "'))
    message = fails(tmp_path)
    assert "bad.toml" in message and "'name'" in message


def test_bad_type(tmp_path: Path) -> None:
    write(tmp_path, "bad", good("bad").replace('type = "company"', 'type = "bank"'))
    message = fails(tmp_path)
    assert "bad.toml" in message and "'type'" in message


def test_bad_country_code(tmp_path: Path) -> None:
    write(tmp_path, "bad", good("bad").replace('["HK"]', '["HK", "China"]'))
    message = fails(tmp_path)
    assert "bad.toml" in message and "'countries.1'" in message


def test_extra_field(tmp_path: Path) -> None:
    write(tmp_path, "bad", good("bad").replace('type = "company"', 'type = "company"\nrisk = "high"'))
    message = fails(tmp_path)
    assert "bad.toml" in message and "'risk'" in message


def test_missing_sources(tmp_path: Path) -> None:
    text = good("bad")
    write(tmp_path, "bad", text[: text.index("[[sources]]")])
    message = fails(tmp_path)
    assert "bad.toml" in message and "'sources'" in message


def test_toml_syntax_error(tmp_path: Path) -> None:
    write(tmp_path, "bad", good("bad").replace('name = "Example Trading Ltd"', 'name = "Example Trading Ltd'))
    message = fails(tmp_path)
    assert "bad.toml" in message and "line 2" in message


def test_id_not_file_stem(tmp_path: Path) -> None:
    write(tmp_path, "bad", good("other"))
    message = fails(tmp_path)
    assert "bad.toml" in message and "'id'" in message and "other" in message


def test_bad_slug(tmp_path: Path) -> None:
    write(tmp_path, "Bad_Name", good("Bad_Name"))
    message = fails(tmp_path)
    assert "Bad_Name.toml" in message and "'id'" in message


def test_duplicate_id(tmp_path: Path) -> None:
    write(tmp_path, "first", good("first"))
    write(tmp_path, "second", good("first"))
    message = fails(tmp_path)
    assert "first.toml" in message and "second.toml" in message and "duplicate" in message


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        load_seeds(tmp_path / "nope")
