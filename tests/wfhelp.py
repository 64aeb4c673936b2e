"""Helpers for the compliance-workflow tests: two small watchlist versions and a database on each backend.

The made-up entities (no real listing) are built so that version B changes one entity's aliases
(`wf:zarkovian`), adds one (`wf:quentaro`) and keeps one as it was (`wf:boranex`).

`db_url` gives a fresh database per test: an SQLite file always, and a new database on the
PostgreSQL server named by SCREENING_TEST_PG_URL when that is set (CI's .ci/run starts one).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from screening.model import Alias, Entity
from screening.watchlist import SourceInfo, compile_watchlist

PG_URL = os.environ.get("SCREENING_TEST_PG_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="SCREENING_TEST_PG_URL is not set (CI's .ci/run starts a PostgreSQL server)"))]

ZARKOVIAN = Entity(entity_id="wf:zarkovian", source="custom", name="Zarkovian Heavy Machinery Plant",
                   aliases=[Alias(name="ZHMP Holding")], countries=["RU"], programs=["TEST"])
BORANEX = Entity(entity_id="wf:boranex", source="custom", name="Boranex Shipping Lines", countries=["AE"])
QUENTARO = Entity(entity_id="wf:quentaro", source="custom", name="Quentaro Mining Consortium", countries=["KP"])
DRASTONOVIC = Entity(entity_id="wf:drastonovic", source="custom", name="Velimir Drastonovic", type="person")

# (ref, name): CP-1 hits Zarkovian, CP-2 hits Boranex, CP-3 is clear on A and hits Quentaro on B, CP-4 is clear
COUNTERPARTIES = [("CP-1", "Zarkovian Heavy Machinery Plant LLC"), ("CP-2", "Boranex Shipping Lines Ltd"),
                  ("CP-3", "Quentaro Mining Consortium"), ("CP-4", "Siemens AG")]


def build(path: Path, entities: list[Entity]) -> Path:
    compile_watchlist(entities, path, watchlist_id="wftest",
                      sources=[SourceInfo("custom", "test", len(entities))])
    return path


def version_a(directory: Path) -> Path:
    return build(directory / "a.wl", [ZARKOVIAN, BORANEX, DRASTONOVIC])


def version_b(directory: Path) -> Path:
    changed = ZARKOVIAN.model_copy(update={"aliases": [*ZARKOVIAN.aliases, Alias(name="Zarkov Heavy Machinery")]})
    return build(directory / "b.wl", [changed, BORANEX, DRASTONOVIC, QUENTARO])


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'screening.db'}"
        return
    base = sa.engine.make_url(PG_URL)
    name = f"screening_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:  # FORCE: the workflow's pool may still hold connections
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
