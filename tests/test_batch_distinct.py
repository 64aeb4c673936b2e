"""`screen file` screens each distinct name once and renders rows from the top hit: the output is what
screening every row into full Results gives, byte for byte, on a real list (the UN consolidated list
in ../shared) with dev-set queries, duplicates and bad rows mixed in; and the same with --jobs 1 and 2."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest
from conftest import shared_path
from typer.testing import CliRunner

from cli.main import app
from screening import batch
from screening.batch import FileOptions, screen_file
from screening.config import Settings
from screening.importer import import_lists
from screening.service import Service


@pytest.fixture(scope="module")
def un_watchlist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("un") / "un.wl"
    import_lists([shared_path("data", "lists", "un-sc")], target)
    return target


@pytest.fixture(scope="module")
def un_service(un_watchlist: Path) -> Service:
    return Service(Settings(watchlist=un_watchlist, reload_interval=0))


def _dev_queries() -> list[list[str]]:
    """The dev set's queries on UN entities (hits), and some negatives (mostly clear), as name, country, type."""
    rows: list[list[str]] = []
    with open(shared_path("eval-dev", "positives.csv"), encoding="utf-8", newline="") as f:
        rows += [[r["query_name"], r["query_country"], r["query_type"]] for r in csv.DictReader(f)
                 if r["expected_entity_id"].startswith("un-sc:")][:150]
    with open(shared_path("eval-dev", "negatives.csv"), encoding="utf-8", newline="") as f:
        rows += [[r["query_name"], r["query_country"], r["query_type"]] for r in csv.DictReader(f)][:150]
    return rows


# Rows that can't be screened, each repeated so that every copy must carry its own row number.
BAD = [["", "", ""], ["   ", "GB", "person"], ["ACME\0TRADING", "", ""], ["Al-Qaida", "Narnia", ""],
       ["---", "", "company"]]


def _write(path: Path, n_rows: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    pool = _dev_queries() + BAD
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name", "country", "type"])
        for i in range(n_rows):
            name, country, kind = rng.choice(pool)
            if i % 97 == 0:
                name = name.upper()  # another spelling of a name also in the file: a key of its own
            w.writerow([f"CP-{i:05d}\0" if i % 499 == 0 else f"CP-{i:05d}", name, country, kind])
        f.write("CP-X,only two\n")  # too few fields
        f.write('CP-Y,"a stray quote,GB,company\n')  # a bad CSV row
    return path


def _screen(service: Service, path: Path, **kw) -> str:
    out = io.StringIO()
    screen_file(service, path, out, FileOptions(id_column="id"), **kw)
    return out.getvalue()


def test_distinct_keys_render_as_full_results_do(un_service: Service, tmp_path: Path) -> None:
    path = _write(tmp_path / "cp.csv", 3000)
    fast = _screen(un_service, path)
    # on_results takes the recorded path: every row screened into a Result, rendered from its Hits
    full = _screen(un_service, path, on_results=lambda results, threshold: None)
    assert fast == full
    rows = list(csv.DictReader(io.StringIO(fast)))
    assert len(rows) == 3002
    statuses = {r["match_status"] for r in rows}
    assert statuses == {"clear", "potential_match", "error"}
    assert any(r["top_listings"] for r in rows)
    # a ref with a NUL is refused on its own row, though its name is screened on others
    assert rows[0]["error"] == "row 2: ref has a NUL character at position 8"


def test_each_distinct_key_reaches_the_matcher_once(un_service: Service, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "cp.csv", 2500)
    seen: list[str] = []
    real = Service.match_valid

    def counting(self, queries, **kw):
        seen.extend(q.name for q in queries)
        return real(self, queries, **kw)

    monkeypatch.setattr(Service, "match_valid", counting)
    text = _screen(un_service, path, chunk_size=400)
    rows = list(csv.DictReader(io.StringIO(text)))
    screened = [r for r in rows if r["match_status"] != "error"]
    assert len(seen) == len(set(seen))  # none twice, across chunks too
    assert set(seen) == {r["name"] for r in screened}
    assert len(seen) < len(screened) / 3
    # every copy of a bad row is refused with its own row number
    empty = [(i, r["error"]) for i, r in enumerate(rows, start=2) if r["name"] == "" and r["id"] != "CP-X"]
    assert len(empty) >= 5
    assert all(err == f"row {i}: name is empty" for i, err in empty)
    narnia = [(i, r["error"]) for i, r in enumerate(rows, start=2) if r["country"] == "Narnia"]
    assert narnia and all(err.startswith(f"row {i}: country 'Narnia': not an ISO") for i, err in narnia)


def test_a_full_memo_forgets_without_changing_the_output(un_service: Service, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "cp.csv", 1500)
    expected = _screen(un_service, path, chunk_size=100)
    monkeypatch.setattr(batch, "MEMO_KEYS", 5)
    assert _screen(un_service, path, chunk_size=100) == expected


def test_cli_jobs_1_and_2_write_the_same_file(un_service: Service, un_watchlist: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "cp.csv", 9000)  # more than POOL_MIN_CHUNKS chunks: --jobs 2 starts a pool
    outs = {}
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}.csv"
        res = CliRunner().invoke(app, ["file", str(path), "-o", str(out), "--jobs", str(jobs), "--id-column", "id",
                                       "--watchlist", str(un_watchlist)])
        assert res.exit_code == 1, res.output  # potential matches
        outs[jobs] = out.read_bytes()
    assert outs[1] == outs[2]
    assert outs[1].decode() == _screen(un_service, path, on_results=lambda results, threshold: None)
