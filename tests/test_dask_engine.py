"""The Dask engine gives the local engine's output, byte for byte, for CSV and Parquet input.

One in-process LocalCluster (one worker, two threads) for the module; small blocks and partitions
so every file is split into several, and error rows must be renumbered across them.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from distributed import Client, LocalCluster  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")  # inside dask with pandas 3

from screening.batch import FileOptions, screen_file  # noqa: E402
from screening.config import Settings  # noqa: E402
from screening.dask_engine import PLUGIN, screen_dask  # noqa: E402
from screening.errors import InputFileError  # noqa: E402
from screening.service import Service  # noqa: E402
from tests.test_batch_scale import make_rows, write_csv  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def service(seed_artifact: Path) -> Service:
    return Service(Settings(watchlist=seed_artifact, reload_interval=0))


def local(service: Service, path: Path, **options) -> str:
    out = io.StringIO()
    screen_file(service, path, out, FileOptions(**options))
    return out.getvalue()


def on_dask(service: Service, path: Path | str, client, **kw) -> str:
    out = io.StringIO()
    screen_dask(service, str(path), out, FileOptions(), client=client, **kw)
    return out.getvalue()


def rows_without_newlines(n: int) -> list[list[str]]:
    return [[c.replace("\n", " ") for c in r] for r in make_rows(n)]


def test_csv_identical_to_the_local_engine(service: Service, client, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", rows_without_newlines(300), ragged_at=250)
    expected = local(service, path)
    got = on_dask(service, path, client, blocksize=2000)  # about 15 partitions
    assert got == expected
    assert "row 252: 5 fields" in got and "row 7: name is empty" in got  # renumbered across partitions
    assert client.run(lambda dask_worker: dask_worker.plugins[PLUGIN].service is not None)  # loaded on the worker


def test_parquet_identical_to_the_local_engine(service: Service, client, tmp_path: Path) -> None:
    rows = make_rows(300)  # quoted newlines are fine in Parquet
    table = pa.table({"id": [r[0] for r in rows], "name": [r[1] for r in rows], "country": [r[2] for r in rows],
                      "note": [r[3] for r in rows], "amount": [i if i % 9 else None for i in range(300)]})
    folder = tmp_path / "dataset"
    folder.mkdir()
    for i in range(3):  # a dataset of three files, several row groups each
        pq.write_table(table.slice(i * 100, 100), folder / f"part-{i}.parquet", row_group_size=40)
    single = tmp_path / "all.parquet"
    pq.write_table(table, single)
    expected = local(service, single)
    assert on_dask(service, folder, client) == expected
    assert on_dask(service, single, client) == expected


def test_csv_with_a_newline_in_a_quoted_field_is_refused_when_split(service: Service, client,
                                                                    tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", make_rows(300))
    with pytest.raises(InputFileError, match="ends inside a quoted field"):
        on_dask(service, path, client, blocksize=1500)
    assert on_dask(service, path, client, blocksize=10**7) == local(service, path)  # one block: fine
