"""Shared fixtures for the foundation tests.

Fixture strategy: the seed watchlist is small (a dozen entities), so the tests use real compiled
artifacts and never mock the matcher.

- `seed_service`: one `Service` on the committed default artifact `watchlists/seed.wl`
  (session scope; a loaded watchlist is read-only).
- `seed_artifact`: a fresh build of `seeds/` into a temporary directory, for tests that pass
  `--watchlist`, corrupt a file, or compare two builds.
- `extra_artifact`: `seeds/` plus two made-up records (a person, and a company whose name no real
  seed resembles), so a test can tell which artifact was really loaded and exercise the type filter.

Every test runs with the SCREENING_* variables removed, so a developer's environment can't change
a result; tests that need one set it explicitly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from screening.build import build_seed_watchlist
from screening.config import DEFAULT_SEEDS, DEFAULT_WATCHLIST, Settings
from screening.service import Service

# The read-only reference material beside the repository (../shared: the real lists, the seed reports);
# found relative to the repository root, never by a machine's absolute path.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared_path(*parts: str) -> Path:
    """A path under ../shared; the test is skipped, saying what is missing and where, when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (../shared beside the repository: the real lists and seed reports); it is absent")
    return path


# Made-up records (not from any report): a person, and a company that shares his name.
EXTRA_PERSON = "Radomir Zelinka"
EXTRA_COMPANY = "Kvetoslav Quarry Works"
EXTRA_SEEDS = {
    "radomir-zelinka": f"""\
id = "radomir-zelinka"
name = "{EXTRA_PERSON}"
aliases = ["Radomir Kvetoslav Zelinka"]
type = "person"
countries = ["CZ"]
summary = "A made-up person used by the tests."

[[sources]]
file = "000_test.txt"
headline = "Test record"
""",
    "kvetoslav-quarry-works": f"""\
id = "kvetoslav-quarry-works"
name = "{EXTRA_COMPANY}"
aliases = ["Radomir Zelinka Quarry"]
type = "company"
countries = ["CZ"]
summary = "A made-up company used by the tests."

[[sources]]
file = "000_test.txt"
headline = "Test record"
""",
}


@pytest.fixture(autouse=True)
def _no_screening_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("SCREENING_"):
            monkeypatch.delenv(key)


def service_of(entities: list, folder: Path, name: str) -> Service:
    """A Service over `entities` compiled into `folder`/<name>.wl (small real excerpts as test watchlists)."""
    from screening.watchlist import SourceInfo, Watchlist, compile_watchlist

    path = folder / f"{name}.wl"
    compile_watchlist(entities, path, watchlist_id=name,
                      sources=[SourceInfo(source="test", format="entities", entities=len(entities))])
    return Service(Settings(watchlist=path, reload_interval=0), Watchlist(path))


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # API tests call routes without keys (auth off, as on 127.0.0.1) and record into a throwaway database
    db = tmp_path_factory.mktemp("db") / "screening.db"
    return Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0, auth="off", db_url=f"sqlite:///{db}")


@pytest.fixture(scope="session")
def seed_service(seed_settings: Settings) -> Service:
    return Service(seed_settings)


@pytest.fixture(scope="session")
def seed_artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed-wl") / "seed.wl"
    build_seed_watchlist(DEFAULT_SEEDS, path)
    return path


@pytest.fixture(scope="session")
def extra_seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("extra-seeds") / "seeds"
    shutil.copytree(DEFAULT_SEEDS, directory)
    for stem, text in EXTRA_SEEDS.items():
        (directory / f"{stem}.toml").write_text(text, encoding="utf-8")
    return directory


@pytest.fixture(scope="session")
def extra_artifact(tmp_path_factory: pytest.TempPathFactory, extra_seeds: Path) -> Path:
    path = tmp_path_factory.mktemp("extra-wl") / "extra.wl"
    build_seed_watchlist(extra_seeds, path)
    return path


@pytest.fixture(scope="session")
def extra_service(extra_artifact: Path) -> Service:
    return Service(Settings(watchlist=extra_artifact, reload_interval=0))
