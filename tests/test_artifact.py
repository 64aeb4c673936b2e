"""The compiled watchlist artifact: round trip, corruption, and a content hash that tracks the seeds."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import artifact
from screening.build import build_seed_watchlist
from screening.config import DEFAULT_SEEDS, DEFAULT_WATCHLIST
from screening.errors import WatchlistError
from screening.normalise import normalise
from screening.seeds import load_seeds
from screening.watchlist import TYPE_NAMES, Watchlist


def test_round_trip(seed_artifact: Path) -> None:
    wl = Watchlist(seed_artifact)
    entities = load_seeds(DEFAULT_SEEDS)
    assert wl.id == "seed"
    assert wl.n_entities == len(entities) == wl.header["entities"]
    assert wl.n_names == wl.header["names"]
    assert list(wl.entity_ids) == sorted(e.entity_id for e in entities)
    by_id = {e.entity_id: e for e in entities}
    for i in range(wl.n_entities):
        e = wl.entity(i)
        assert e.model_dump() == by_id[e.entity_id].model_dump()
        assert TYPE_NAMES[int(wl.entity_type[i])] == e.type
        assert wl.entity_countries[i].split(";") == e.countries
    # every distinct normalised name of every entity is there once (one word order per token multiset)
    for j in range(wl.n_names):
        assert wl.full[j] == normalise(wl.display[j])
        assert wl.form(j).full == wl.full[j]
        assert wl.form(j).core == wl.core[j]
    for e in entities:
        i = wl.index_of(e.entity_id)
        kept = [wl.full[j] for j in np.flatnonzero(wl.name_entity == i).tolist()]
        assert len(kept) == len({" ".join(sorted(f.split())) for f in kept})
        assert {" ".join(sorted(f.split())) for f in kept} == {" ".join(sorted(normalise(a.name).split())) for a in e.all_names()}
    info = wl.describe()
    assert info["version"] == wl.version and info["path"] == str(seed_artifact)
    assert info["sources"][0]["files"] == sorted(p.name for p in DEFAULT_SEEDS.glob("*.toml"))


def test_committed_seed_artifact_is_up_to_date(seed_artifact: Path) -> None:
    # watchlists/seed.wl is the embedded default: it must be a build of the current seeds/
    assert Watchlist(DEFAULT_WATCHLIST).version == Watchlist(seed_artifact).version


def test_content_hash_is_stable_across_builds(tmp_path: Path) -> None:
    a = build_seed_watchlist(DEFAULT_SEEDS, tmp_path / "a.wl")
    b = build_seed_watchlist(DEFAULT_SEEDS, tmp_path / "b.wl")
    assert a["version"] == b["version"] and a["sha256"] == b["sha256"]
    assert Watchlist(tmp_path / "a.wl").version == Watchlist(tmp_path / "b.wl").version == a["version"]


def test_content_hash_changes_with_a_seed(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    shutil.copytree(DEFAULT_SEEDS, seeds)
    before = build_seed_watchlist(seeds, tmp_path / "before.wl")
    path = seeds / "vtb-bank.toml"
    text = path.read_text(encoding="utf-8")
    assert '"VTB", ' in text
    path.write_text(text.replace('"VTB", ', '"VTB", "Vneshtorgbank", '), encoding="utf-8")
    after = build_seed_watchlist(seeds, tmp_path / "after.wl")
    assert after["version"] != before["version"]
    assert after["names"] == before["names"] + 1


def test_build_writes_atomically(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir" / "seed.wl"
    build_seed_watchlist(DEFAULT_SEEDS, target)
    assert [p.name for p in target.parent.iterdir()] == ["seed.wl"]  # no temporary file left behind


# --- corrupt files ------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0, 5, 20, 200, -1000, -1])
def test_truncated_artifact(seed_artifact: Path, tmp_path: Path, keep: int) -> None:
    data = seed_artifact.read_bytes()
    path = tmp_path / "truncated.wl"
    path.write_bytes(data[:keep])
    with pytest.raises(WatchlistError) as info:
        Watchlist(path)
    assert str(path) in info.value.message


def test_bad_magic(seed_artifact: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.wl"
    path.write_bytes(b"PK\x03\x04" + seed_artifact.read_bytes()[4:])
    with pytest.raises(WatchlistError, match="bad magic") as info:
        Watchlist(path)
    assert str(path) in info.value.message


def test_unknown_format_version(seed_artifact: Path, tmp_path: Path) -> None:
    data = bytearray(seed_artifact.read_bytes())
    data[len(artifact.MAGIC)] = artifact.FORMAT_VERSION + 1
    path = tmp_path / "future.wl"
    path.write_bytes(bytes(data))
    with pytest.raises(WatchlistError, match="format") as info:
        Watchlist(path)
    assert str(path) in info.value.message


def test_missing_artifact(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match="not found") as info:
        Watchlist(tmp_path / "nope.wl")
    assert str(tmp_path / "nope.wl") in info.value.message


def test_text_file_is_not_an_artifact(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("name\nSinno Electronics\n", encoding="utf-8")
    with pytest.raises(WatchlistError, match="names.csv"):
        Watchlist(path)


# --- the container format -----------------------------------------------------------------------


def test_sections_round_trip(tmp_path: Path) -> None:
    sections = {
        "a": np.arange(7, dtype=np.int32),
        "b": np.array([[1.5, 2.5], [3.5, 4.5]], dtype=np.float64),
        "c": np.array([], dtype=np.uint8),
        "d": np.array([255, 0, 7], dtype=np.uint8),
    }
    artifact.write(tmp_path / "x.wl", {"id": "x"}, sections)
    header, back = artifact.read(tmp_path / "x.wl")
    assert header["id"] == "x" and header["format"] == artifact.FORMAT_VERSION
    for name, arr in sections.items():
        assert back[name].dtype == arr.dtype and back[name].shape == arr.shape
        assert np.array_equal(back[name], arr)
        assert not back[name].flags.writeable


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=20))
def test_packed_strings_round_trip(values: list[str]) -> None:
    packed = artifact.PackedStrings(*artifact.pack_strings(values))
    assert len(packed) == len(values)
    assert packed.to_list() == values
    assert [packed[i] for i in range(len(values))] == values
    assert packed[1:3] == values[1:3]


def test_an_artifact_from_another_normaliser_is_refused(tmp_path, monkeypatch) -> None:
    """Its names were normalised otherwise than today's queries are: loading it would answer silently wrong."""
    import screening.watchlist as watchlist_module
    from screening.build import build_seed_watchlist
    from screening.config import DEFAULT_SEEDS
    from screening.errors import WatchlistError
    from screening.watchlist import Watchlist

    target = tmp_path / "old.wl"
    real = watchlist_module.NORMALISER_VERSION
    monkeypatch.setattr(watchlist_module, "NORMALISER_VERSION", "n-older")
    build_seed_watchlist(DEFAULT_SEEDS, target)
    monkeypatch.setattr(watchlist_module, "NORMALISER_VERSION", real)
    with pytest.raises(WatchlistError, match=r"old\.wl: compiled with normaliser n-older.*rebuild it"):
        Watchlist(target)
