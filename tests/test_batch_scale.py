"""Batch screening at scale: a process pool gives the same output in the same order, and --resume
after a kill gives the same file as an uninterrupted run.

The input is generated here (fixed seed): names that hit the seed list, names that don't, empty
names, a ragged row, quoted fields holding commas, quotes and newlines (so a kill can cut a row
in the middle of a quoted newline).
"""

from __future__ import annotations

import csv
import io
import os
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from screening import batch
from screening.batch import (
    RESULT_COLUMNS,
    FileOptions,
    estimate_rows,
    resume_point,
    screen_file,
    screen_to_path,
    shift_row_numbers,
)
from screening.config import Settings
from screening.errors import InputFileError
from screening.service import Service

HITS = ["Sinno Electronics", "VTB Bank PJSC", "Norinco", "3 HC Semiconductor"]
CLEAR = ["Siemens AG", "Maersk Line A/S", "Nordic Timber AB", "Harbor Dairy Oy"]


def make_rows(n: int, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        name = rng.choice(HITS + CLEAR * 3)
        if i % 17 == 5:
            name = ""
        note = rng.choice(["plain", 'has "quotes", and a comma', "two\nlines", "=1+1"])
        rows.append([f"R{i:04d}", name, rng.choice(["HK", "RU", "DE", ""]), note])
    return rows


def write_csv(path: Path, rows: list[list[str]], *, ragged_at: int | None = None) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "name", "country", "note"])
        for i, r in enumerate(rows):
            # the ragged row keeps to one line: a row spanning lines must have the header's width (README)
            w.writerow(r[:3] + ["plain", "extra"] if i == ragged_at else r)
    return path


@pytest.fixture(scope="module")
def service(seed_artifact: Path) -> Service:
    return Service(Settings(watchlist=seed_artifact, reload_interval=0))


@pytest.fixture()
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "CHUNK", 7)  # many chunks from a small file


@pytest.fixture()
def input_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "in.csv", make_rows(120), ragged_at=40)


def screened(service: Service, path: Path, **kw) -> str:
    out = io.StringIO()
    screen_file(service, path, out, FileOptions(), **kw)
    return out.getvalue()


# --- process pool ---------------------------------------------------------------------------------


def test_two_jobs_give_the_same_output_in_order(service: Service, input_csv: Path, small_chunks: None) -> None:
    one = screened(service, input_csv, jobs=1)
    two = screened(service, input_csv, jobs=2)
    assert two == one
    rows = list(csv.DictReader(io.StringIO(two)))
    assert [r["id"] for r in rows] == [f"R{i:04d}" for i in range(120)]
    statuses = {r["match_status"] for r in rows}
    assert statuses == {"clear", "potential_match", "error"}  # the workload exercises every path
    assert rows[40]["error"].startswith("row 42: 5 fields")  # numbered by file row, though screened in a worker


def test_results_callback_gets_every_chunk_in_order(service: Service, input_csv: Path, small_chunks: None) -> None:
    seen: list[str | None] = []
    out = io.StringIO()
    screen_file(service, input_csv, out, FileOptions(id_column="id"), jobs=2,
                on_results=lambda results, threshold: seen.extend(r.ref for r in results))
    expected = [r["id"] for r in csv.DictReader(io.StringIO(out.getvalue())) if r["match_status"] != "error"]
    assert seen == expected


def test_a_short_file_is_screened_in_process(service: Service, tmp_path: Path, small_chunks: None,
                                            monkeypatch) -> None:
    def no_pool(*args, **kwargs):
        raise AssertionError("a process pool was started for a file of a few chunks")

    monkeypatch.setattr(batch, "ProcessPoolExecutor", no_pool)
    path = write_csv(tmp_path / "small.csv", make_rows(7 * (batch.POOL_MIN_CHUNKS - 1)))
    assert screened(service, path, jobs=2) == screened(service, path, jobs=1)


# --- resume ---------------------------------------------------------------------------------------


def cut_points(data: bytes) -> list[int]:
    """Where a kill could leave the output: inside the header, at a row end, mid-row, inside a quoted newline."""
    header_end = data.index(b"\n") + 1
    row_end = data.index(b"\n", header_end + 100) + 1
    quoted_newline = data.index(b"two\n") + 4
    return [0, 5, header_end, header_end + 3, row_end, row_end + 11, quoted_newline, len(data) - 1, len(data)]


def test_resume_after_a_kill_gives_the_uninterrupted_output(service: Service, input_csv: Path, tmp_path: Path,
                                                            small_chunks: None) -> None:
    full = tmp_path / "full.csv"
    screen_to_path(service, input_csv, full, FileOptions())
    data = full.read_bytes()
    total = screen_file(service, input_csv, io.StringIO(), FileOptions())
    for cut in cut_points(data):
        part = tmp_path / f"part-{cut}.csv"
        part.write_bytes(data[:cut])
        summary = screen_to_path(service, input_csv, part, FileOptions(), resume=True)
        assert part.read_bytes() == data, f"cut at byte {cut}"
        assert (summary.rows, summary.clear, summary.potential_match, summary.error) == (
            total.rows, total.clear, total.potential_match, total.error)


def test_resume_with_two_jobs(service: Service, input_csv: Path, tmp_path: Path, small_chunks: None) -> None:
    full = tmp_path / "full.csv"
    screen_to_path(service, input_csv, full, FileOptions())
    data = full.read_bytes()
    part = tmp_path / "part.csv"
    part.write_bytes(data[: len(data) // 2])
    summary = screen_to_path(service, input_csv, part, FileOptions(), resume=True, jobs=2)
    assert part.read_bytes() == data
    assert 0 < summary.resumed < summary.rows == 120


def test_resume_point_counts_rows_and_drops_the_partial_one(tmp_path: Path) -> None:
    header = ["name", *RESULT_COLUMNS]
    out = tmp_path / "out.csv"
    run = "seed,9d26bb50e1590817,0.8,m1"
    whole = (",".join(header) + f'\nAcme,clear,,,,,,0,0,{run},\n"two\nlines",error,,,,,,,,{run},row 3: x\n'
             f'Sino,suppressed,0.95,seed:sinno,seed:sinno,Sinno,Sinno,1,1,{run},\n')
    out.write_text(whole + '"Sinno, HK",potential_match,0.9', encoding="utf-8")
    summary = resume_point(out, header)
    assert (summary.rows, summary.clear, summary.error, summary.potential_match, summary.suppressed) == (3, 1, 1, 0, 1)
    assert out.read_text(encoding="utf-8") == whole


def test_resume_refuses_another_files_output(service: Service, input_csv: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("id,name,something_else\n1,2,3\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="other.csv: its header is not the one this input gives"):
        screen_to_path(service, input_csv, other, FileOptions(), resume=True)
    assert other.read_text(encoding="utf-8") == "id,name,something_else\n1,2,3\n"  # left alone


def test_resume_refuses_an_output_longer_than_the_input(service: Service, input_csv: Path, tmp_path: Path) -> None:
    full = tmp_path / "full.csv"
    screen_to_path(service, input_csv, full, FileOptions())
    shorter = write_csv(tmp_path / "shorter.csv", make_rows(120)[:50])
    with pytest.raises(InputFileError, match="shorter.csv: has 50 data rows, but the output already holds 120"):
        screen_to_path(service, shorter, full, FileOptions(), resume=True)


def test_cli_resume_and_jobs(seed_artifact: Path, input_csv: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    full, part = tmp_path / "full.csv", tmp_path / "part.csv"
    base = ["file", str(input_csv), "--watchlist", str(seed_artifact)]
    assert runner.invoke(app, [*base, "-o", str(full), "--jobs", "1"]).exit_code == 1
    data = full.read_bytes()
    part.write_bytes(data[: len(data) // 3])
    result = runner.invoke(app, [*base, "-o", str(part), "--resume", "--jobs", "2"])
    assert result.exit_code == 1, result.output
    assert part.read_bytes() == data
    assert "already screened, resumed" in result.output
    result = runner.invoke(app, [*base, "--resume"])
    assert result.exit_code == 2 and "--resume needs --output" in result.output


# --- Parquet and helpers --------------------------------------------------------------------------


def test_parquet_input_gives_the_csv_output(service: Service, tmp_path: Path, small_chunks: None) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = make_rows(60)
    csv_path = write_csv(tmp_path / "in.csv", rows)
    table = pa.table({"id": [r[0] for r in rows], "name": [r[1] for r in rows], "country": [r[2] for r in rows],
                      "note": [r[3] for r in rows]})
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=25)
    assert screened(service, tmp_path / "in.parquet") == screened(service, csv_path)


def test_parquet_nulls_and_numbers(service: Service, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"id": [1, None, 3], "name": ["Sinno Electronics", None, "Siemens AG"]}),
                   tmp_path / "in.parquet")
    rows = list(csv.DictReader(io.StringIO(screened(service, tmp_path / "in.parquet"))))
    assert [r["id"] for r in rows] == ["1", "", "3"]
    assert [r["match_status"] for r in rows] == ["potential_match", "error", "clear"]
    assert rows[1]["error"] == "row 3: name is empty"


def test_estimate_rows(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", [["R1", "a", "", "x"], ["R2", "b", "", "y"]])
    assert estimate_rows(path) == 2
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # no final newline
    assert estimate_rows(path) == 2
    assert estimate_rows(tmp_path / "in.xlsx") is None
    assert estimate_rows(path, max_bytes=4) is None


def test_shift_row_numbers() -> None:
    text = 'a,error,,,,,,row 2: name is empty\n"b\nc",clear,,,,,0,\nd,error,,,,,,row 4: 5 fields; row 9\n'
    shifted = shift_row_numbers(text, 100, 7)
    rows = list(csv.reader(io.StringIO(shifted)))
    assert [r[7] for r in rows] == ["row 102: name is empty", "", "row 104: 5 fields; row 9"]
    assert shift_row_numbers(text, 0, 7) == text


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux CPU affinity")
def test_default_jobs_is_the_usable_cores() -> None:
    assert batch.default_jobs() == len(os.sched_getaffinity(0))
