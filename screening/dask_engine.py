"""Screen a large CSV or Parquet dataset partition by partition on a Dask cluster (the optional `dask` extra).

The compiled watchlist goes to each worker once, inside a worker plugin: the plugin carries the
artifact's bytes, writes them to the worker's local directory and loads one Service there. Each
partition runs the same `screen_rows` as the local engine; the driver writes the partitions' output
in input order (renumbering "row N:" error messages), so the file is identical to the local engine's.

CSV input is split into byte blocks at newlines (dask.bytes.read_bytes) and parsed with the same
csv reader as the local engine; a quoted field that holds a newline can't be split that way, and a
block that ends inside quotes is an error that says so. Parquet input is read with
dask.dataframe.read_parquet, one partition per task.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from .batch import (
    CHUNK,
    EOL,
    RESULT_COLUMNS,
    STATUSES,
    ChunkOut,
    FileOptions,
    FileSummary,
    Layout,
    RunInfo,
    Table,
    arrow_rows,
    chunks_of,
    clean_header,
    decode_errors,
    file_threshold,
    make_layout,
    output_header,
    partial_path,
    screen_rows,
    shift_row_numbers,
)
from .errors import InputError, InputFileError
from .service import Service

PLUGIN = "screening-watchlist"
BLOCKSIZE = 16 * 2**20  # bytes of CSV per partition: about 200,000 rows of a typical counterparty file
PARQUET_SUFFIXES = (".parquet", ".pq")

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # the extra isn't installed; screen_dask says how to install it
    WorkerPlugin = object  # type: ignore[assignment,misc]


class WatchlistPlugin(WorkerPlugin):  # type: ignore[misc,valid-type]
    """Ships the artifact to every worker (including ones that join later) and loads a Service there."""

    name = PLUGIN

    def __init__(self, artifact: bytes, version: str, settings: Any) -> None:
        self.artifact = artifact
        self.version = version
        self.settings = settings
        self.service: Service | None = None

    def setup(self, worker: Any) -> None:
        path = Path(worker.local_directory) / f"watchlist-{self.version}.wl"
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(self.artifact)
            os.replace(tmp, path)
        self.service = Service(replace(self.settings, watchlist=path, workers=1))


def _worker_service() -> Service:
    from distributed import get_worker

    plugin = get_worker().plugins[PLUGIN]
    assert plugin.service is not None, "the watchlist plugin did not set up on this worker"
    return plugin.service


def _screen_all(service: Service, rows: list[tuple[int, list[str]]], layout: Layout) -> ChunkOut:
    parts = [screen_rows(service, chunk, layout) for chunk in chunks_of(iter(rows), CHUNK)]
    counts = dict.fromkeys(STATUSES, 0)
    for p in parts:
        for k, v in p.counts.items():
            counts[k] += v
    return ChunkOut(len(rows), "".join(p.text for p in parts), counts)


def screen_csv_block(block: bytes, index: int, *, first: bool, encoding: str, delimiter: str, layout: Layout,
                     label: str) -> ChunkOut:
    """One byte block of a CSV file, rows numbered as if it began the file (the driver renumbers)."""
    if block.count(b'"') % 2:
        raise InputFileError(
            f"{label}: partition {index} ends inside a quoted field (a field holding a newline), so the file "
            "can't be split at newlines; screen it with the local engine, or convert it to Parquet"
        )
    codec = encoding if first else encoding.removesuffix("-sig")
    text = block.decode(codec, errors=decode_errors(codec))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    if first:
        next(reader, None)  # the header
    try:
        rows = [(n, values) for n, values in enumerate(reader, start=2)]
    except csv.Error as exc:
        raise InputFileError(f"{label}: partition {index}: {exc}") from exc
    return _screen_all(_worker_service(), rows, layout)


def screen_frame(frame: Any, layout: Layout) -> ChunkOut:
    """One Parquet partition (a pandas DataFrame), converted to text exactly as the local engine does."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    rows = [(n, values) for n, values in enumerate(arrow_rows(table), start=2)]
    return _screen_all(_worker_service(), rows, layout)


def _open(urlpath: str) -> IO[bytes]:
    import fsspec

    try:
        return fsspec.open(urlpath, "rb").open()
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{urlpath}: cannot open ({exc})") from exc


def _csv_tasks(urlpath: str, options: FileOptions, threshold: float, blocksize: int) -> tuple[list[str], Layout, str, list]:
    import dask
    from dask.bytes import read_bytes

    with _open(urlpath) as raw:
        table = Table(Path(urlpath), raw, options, urlpath)
    layout = make_layout(table.header, options, threshold, urlpath)
    encoding = table.encoding
    if encoding.startswith("utf-16"):
        blocksize = None  # two-byte newlines: one block per file
    _, files = read_bytes(urlpath, delimiter=b"\n", blocksize=blocksize, sample=False)
    tasks = []
    for blocks in files:
        for j, block in enumerate(blocks):
            tasks.append(dask.delayed(screen_csv_block)(
                block, len(tasks), first=j == 0, encoding=encoding, delimiter=table.delimiter, layout=layout,
                label=urlpath))
    return table.header, layout, encoding, tasks


def _parquet_tasks(urlpath: str, options: FileOptions, threshold: float) -> tuple[list[str], Layout, str, list]:
    import dask
    import dask.dataframe as dd

    try:
        ddf = dd.read_parquet(urlpath, dtype_backend="pyarrow")
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{urlpath}: not a readable Parquet dataset ({exc})") from exc
    header = clean_header([str(c) for c in ddf.columns])
    layout = make_layout(header, options, threshold, urlpath)
    return header, layout, "parquet", [dask.delayed(screen_frame)(part, layout) for part in ddf.to_delayed()]


def connect(scheduler: str | None) -> Any:
    """A client for the cluster at `scheduler`, or for a new local cluster of one process per core."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise InputError("--engine dask needs the dask extra: pip install 'screening[dask]'") from exc
    if scheduler:
        try:
            return Client(scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from exc
    from .batch import default_jobs

    return Client(LocalCluster(n_workers=default_jobs(), threads_per_worker=1, dashboard_address=None))


def ship_watchlist(client: Any, service: Service) -> None:
    """Send the compiled artifact to every worker once, and load a Service on each."""
    wl = service.watchlist
    client.register_plugin(WatchlistPlugin(Path(wl.path).read_bytes(), wl.version, service.settings), name=PLUGIN)


def screen_dask(
    service: Service,
    urlpath: str,
    out: IO[str],
    options: FileOptions,
    *,
    client: Any,
    blocksize: int = BLOCKSIZE,
    progress: Callable[[int], None] | None = None,
    window: int | None = None,
) -> FileSummary:
    """Screen a CSV or Parquet dataset on the cluster behind `client`, writing the local engine's output to `out`.

    `urlpath` may be a local path the workers can read too, a glob, or an fsspec URL (s3://, gs://, ...)
    when the matching filesystem package is installed on the driver and the workers.
    """
    start = time.perf_counter()
    threshold = file_threshold(service, options)
    parquet = urlpath.rstrip("/").lower().endswith(PARQUET_SUFFIXES) or (
        os.path.isdir(urlpath) and any(p.suffix in PARQUET_SUFFIXES for p in Path(urlpath).iterdir())
    )
    if parquet:
        header, layout, encoding, tasks = _parquet_tasks(urlpath, options, threshold)
    else:
        header, layout, encoding, tasks = _csv_tasks(urlpath, options, threshold, blocksize)
    ship_watchlist(client, service)
    summary = FileSummary(encoding=encoding, columns=header, run=RunInfo.of(service, threshold))
    csv.writer(out, lineterminator=EOL).writerow(output_header(header))
    error_col = len(header) + RESULT_COLUMNS.index("error")
    window = window or 2 * max(sum(client.nthreads().values()), 1)
    for chunk in _in_order(client, tasks, window):
        out.write(shift_row_numbers(chunk.text, summary.rows, error_col))
        out.flush()
        summary.add(chunk.counts)
        if progress:
            progress(chunk.rows)
    if summary.rows == 0:
        raise InputFileError(f"{urlpath}: the file has a header but no data rows")
    summary.seconds = time.perf_counter() - start
    return summary


def _in_order(client: Any, tasks: list, window: int) -> Iterator[ChunkOut]:
    """Results of `tasks` in order, with at most `window` partitions computing or waiting at once."""
    pending: deque = deque()
    for task in tasks:
        pending.append(client.compute(task))
        if len(pending) >= window:
            yield _result(pending.popleft())
    while pending:
        yield _result(pending.popleft())


def _result(future: Any) -> ChunkOut:
    try:
        return future.result()
    finally:
        future.release()


def screen_dask_to(
    service: Service,
    urlpath: str,
    output: Path | None,
    options: FileOptions,
    *,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
    stdout: IO[str] | None = None,
) -> FileSummary:
    """`screen file --engine dask`: connect (or start a local cluster), screen into `output` or `stdout`, disconnect."""
    client = connect(scheduler)
    try:
        if output is None:
            assert stdout is not None
            return screen_dask(service, urlpath, stdout, options, client=client, progress=progress)
        output = Path(output)
        work = partial_path(output)  # replaces the output only when the run succeeds, as the local engine does
        try:
            sink = open(work, "w", newline="", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise InputFileError(f"{output}: cannot write ({exc.strerror})") from exc
        try:
            with sink:
                summary = screen_dask(service, urlpath, sink, options, client=client, progress=progress)
            os.replace(work, output)
        finally:
            work.unlink(missing_ok=True)
        return summary
    finally:
        cluster = None if scheduler else client.cluster
        client.close()
        if cluster is not None:
            cluster.close()
