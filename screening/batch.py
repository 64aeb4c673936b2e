"""Screen a CSV/TSV/XLSX/Parquet file row by row in chunks: every input row comes back out, in order."""

from __future__ import annotations

import codecs
import csv
import io
import multiprocessing
import os
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import IO, Any

from .config import Settings
from .errors import InputFileError, LimitError, ResumeError, ScreeningError
from .matcher import MATCHER_VERSION
from .service import Query, Result, Service

# The run columns (watchlist id and version, threshold, matcher) say on every row what it was screened with,
# so a file never mixes runs unseen: --resume compares them with its own run. `error` stays last.
RUN_COLUMNS = ["watchlist_id", "watchlist_version", "threshold", "matcher"]
RESULT_COLUMNS = ["match_status", "top_score", "top_entity_id", "top_listings", "top_entity_name", "top_matched_name",
                  "hit_count", "suppressed_count", *RUN_COLUMNS, "error"]
STATUSES = ("clear", "potential_match", "suppressed", "error")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NAME_COLUMNS = ("name", "company", "company_name", "counterparty", "counterparty_name", "full_name", "entity_name")
CHUNK = 2000
# Fewer chunks than this are screened in-process: a pool's start (about 1 s: processes, then each
# loads the watchlist) costs more than 2 processes save on a few thousand rows.
POOL_MIN_CHUNKS = 4
_SURROGATES = re.compile("[\ud800-\udfff]")
_ROW_PREFIX = re.compile(r"^row (\d+):")
EOL = "\n"  # the output's line terminator; resume relies on it


class _CsvWriter:
    """csv.writer with EOL line ends that still quotes a cell holding a carriage return.

    The csv module quotes only the characters of its own line terminator, so with "\n" a cell
    with "\r" would be written bare and split the row when read back.
    """

    def __init__(self, out) -> None:
        self._plain = csv.writer(out, lineterminator=EOL)
        self._quoted = csv.writer(out, lineterminator=EOL, quoting=csv.QUOTE_ALL)

    def writerow(self, row) -> None:
        row = list(row)
        (self._quoted if any("\r" in str(v) for v in row) else self._plain).writerow(row)

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(out) -> _CsvWriter:
    return _CsvWriter(out)


def escape_cell(value: Any) -> str:
    """Neutralise spreadsheet formula injection: a cell starting =, +, -, @, tab or CR gets a leading '.

    Undecodable input bytes (held as lone surrogates) come out as U+FFFD, so the row can still be written.
    """
    s = "" if value is None else str(value)
    if not s.isascii():
        s = _SURROGATES.sub("\ufffd", s)
    return "'" + s if s.startswith(FORMULA_PREFIXES) else s


@dataclass
class FileOptions:
    name_column: str | None = None
    country_column: str | None = None
    type_column: str | None = None
    encoding: str | None = None
    threshold: float | None = None
    delimiter: str | None = None
    id_column: str | None = None  # your reference for each row, echoed as the query's ref


@dataclass(frozen=True)
class RunInfo:
    """What a run screens with; written on every output row (RUN_COLUMNS) and compared by --resume."""

    watchlist_id: str
    watchlist_version: str
    threshold: str
    matcher: str

    @classmethod
    def of(cls, service: Service, threshold: float) -> RunInfo:
        wl = service.watchlist
        return cls(wl.id, wl.version, f"{threshold:g}", MATCHER_VERSION)

    def cells(self) -> list[str]:
        return [self.watchlist_id, self.watchlist_version, self.threshold, self.matcher]

    def __str__(self) -> str:
        return f"watchlist {self.watchlist_id} {self.watchlist_version}, threshold {self.threshold}, matcher {self.matcher}"


@dataclass
class FileSummary:
    rows: int = 0
    clear: int = 0
    potential_match: int = 0
    suppressed: int = 0  # rows whose every hit is on the accept list (recorded runs with an id column)
    error: int = 0
    seconds: float = 0.0
    encoding: str = ""
    columns: list[str] = field(default_factory=list)
    resumed: int = 0  # rows already in the output when a run resumed
    run: RunInfo | None = None  # what this run screened with
    previous_run: RunInfo | None = None  # the run a --resume continued, when it differed (--force-resume)

    @property
    def status(self) -> str:
        return "potential_match" if self.potential_match else "clear"

    def add(self, counts: dict[str, int]) -> None:
        for key, n in counts.items():
            setattr(self, key, getattr(self, key) + n)
            self.rows += n


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut by the sample's end
            return "utf-8"
    # Mostly valid UTF-8 with a few bad bytes is a UTF-8 file whose bad rows get an error,
    # not a cp1252 file (which would silently misread every accented name in it).
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    return "utf-8" if good > bad else "cp1252"


def decode_errors(encoding: str) -> str:
    return "replace" if encoding.startswith("utf-16") else "surrogateescape"


def _text_stream(raw: IO[bytes], encoding: str) -> IO[str]:
    return io.TextIOWrapper(raw, encoding=encoding, errors=decode_errors(encoding), newline="")


def _bad_text(values: list[str]) -> bool:
    return any("\ufffd" in v or any("\udc80" <= ch <= "\udcff" for ch in v) for v in values)


def sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def clean_header(values: list[str]) -> list[str]:
    # a BOM read as text (e.g. --encoding utf-8 on a UTF-8-with-BOM file) is not part of a column name
    return [h.strip().lstrip("\ufeff") for h in values]


def arrow_cell(value: Any) -> str:
    """A Parquet/Arrow value as the text both engines screen and write: null is empty."""
    return "" if value is None else str(value)


class Table:
    """Rows of an input file as lists of strings, with a header; names the file in every error."""

    def __init__(self, path: Path, raw: IO[bytes], options: FileOptions, label: str | None = None) -> None:
        self.path = path
        self.label = label or str(path)
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            self.encoding = "xlsx"
            self._rows = self._xlsx_rows(raw)
        elif suffix in (".parquet", ".pq"):
            self.encoding = "parquet"
            self._rows = self._parquet_rows(raw)
        else:
            head = raw.read(1 << 16)
            raw.seek(0)
            if not head.strip():
                raise InputFileError(f"{self.label}: the file is empty")
            try:
                self.encoding = options.encoding or detect_encoding(head)
                codecs.lookup(self.encoding)
            except LookupError as exc:
                raise InputFileError(f"{self.label}: unknown encoding {options.encoding!r}") from exc
            text = _text_stream(raw, self.encoding)
            sample = head.decode(self.encoding, errors="replace")
            self.delimiter = options.delimiter or ("\t" if suffix == ".tsv" else sniff_delimiter(sample))
            self._rows = self._csv_rows(text, self.delimiter)
        try:
            self.header = clean_header(next(self._rows)[1])
        except StopIteration:
            raise InputFileError(f"{self.label}: the file is empty") from None
        if not any(self.header):
            raise InputFileError(f"{self.label}: the header row is empty")

    def _csv_rows(self, text: IO[str], delim: str) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(text, delimiter=delim)
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as exc:
            raise InputFileError(f"{self.label}: line {reader.line_num}: {exc}") from exc

    def _xlsx_rows(self, raw: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
        from openpyxl import load_workbook

        try:
            wb = load_workbook(raw, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a bad workbook
            raise InputFileError(f"{self.label}: not a readable .xlsx workbook ({exc})") from exc
        for n, row in enumerate(wb.active.iter_rows(values_only=True), start=1):
            yield n, ["" if v is None else str(v) for v in row]

    def _parquet_rows(self, raw: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise InputFileError(f"{self.label}: reading Parquet needs pyarrow (pip install 'screening[dask]')") from exc
        try:
            pf = pq.ParquetFile(raw)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
            raise InputFileError(f"{self.label}: not a readable Parquet file ({exc})") from exc
        yield 1, list(pf.schema_arrow.names)
        n = 1
        for batch in pf.iter_batches(batch_size=CHUNK):  # one record batch in memory at a time
            for values in arrow_rows(batch):
                n += 1
                yield n, values

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(1-based row number counting the header as row 1, values) for every data row."""
        for n, (_line, values) in enumerate(self._rows, start=2):
            yield n, values

    def column(self, wanted: str | None, role: str, fallbacks: tuple[str, ...] = ()) -> int | None:
        return find_column(self.header, wanted, role, fallbacks, self.label)

    def layout(self, options: FileOptions, threshold: float) -> Layout:
        return make_layout(self.header, options, threshold, self.label)

    def output_header(self) -> list[str]:
        return output_header(self.header)


def find_column(header: list[str], wanted: str | None, role: str, fallbacks: tuple[str, ...], label: str) -> int | None:
    lower = [h.lower() for h in header]
    if wanted:
        if wanted in header:
            return header.index(wanted)
        if wanted.lower() in lower:
            return lower.index(wanted.lower())
        raise InputFileError(f"{label}: no {role} column {wanted!r}; the file has columns: {', '.join(header)}")
    for f in fallbacks:
        if f in lower:
            return lower.index(f)
    return None


def make_layout(header: list[str], options: FileOptions, threshold: float, label: str) -> Layout:
    name_i = find_column(header, options.name_column, "name", NAME_COLUMNS, label)
    if name_i is None:
        raise InputFileError(f"{label}: no name column (use --name-column); the file has columns: {', '.join(header)}")
    return Layout(width=len(header), name_i=name_i,
                  country_i=find_column(header, options.country_column, "country", ("country", "country_code"), label),
                  type_i=find_column(header, options.type_column, "type", ("type", "entity_type"), label),
                  ref_i=find_column(header, options.id_column, "id", (), label) if options.id_column else None,
                  threshold=threshold)


def output_header(header: list[str]) -> list[str]:
    return [escape_cell(h) for h in header + RESULT_COLUMNS]


def arrow_rows(batch: Any) -> list[list[str]]:
    """A pyarrow RecordBatch or Table as rows of text cells (the one conversion both engines use)."""
    columns = [[arrow_cell(v) for v in col.to_pylist()] for col in batch.columns]
    return [list(r) for r in zip(*columns, strict=True)] if columns else []


@dataclass(frozen=True)
class Layout:
    """Where the name, country and type are in a row, and the threshold: all a worker needs besides the service."""

    width: int
    name_i: int
    country_i: int | None
    type_i: int | None
    threshold: float
    ref_i: int | None = None


@dataclass
class ChunkOut:
    """One screened chunk: how many rows, its output as CSV text, counts by status, and (if asked) the results.

    With `keep_results` the chunk is not rendered yet (`text` is empty): the caller records the
    results first and renders them as recorded (`render_chunk`), from `source` and `errors`.
    """

    rows: int
    text: str
    counts: dict[str, int]
    results: list[Result] | None = None
    source: list[tuple[int, list[str]]] | None = None
    errors: list[str] | None = None  # per row: why it can't be screened, or "" for a screened row


def screen_rows(service: Service, rows: list[tuple[int, list[str]]], layout: Layout, *,
                keep_results: bool = False) -> ChunkOut:
    """Screen one chunk of (row number, values) into its output CSV text and counts by status.

    The one function every engine runs (in-process, process pool, Dask), so their outputs are identical.
    """
    queries = [_row_query(service, n, values, layout) for n, values in rows]
    valid = [q for q, _ in queries if q is not None]
    screened = service.screen_valid(valid, threshold=layout.threshold, limit=service.settings.limit)
    errors = [e for _, e in queries]
    if keep_results:
        return ChunkOut(len(rows), "", {}, screened, rows, errors)
    return render_chunk(service, rows, errors, screened, layout)


def render_chunk(service: Service, rows: list[tuple[int, list[str]]], errors: list[str], results: list[Result],
                 layout: Layout) -> ChunkOut:
    """The output CSV text of a chunk: every row with its result columns (results in order of the valid rows)."""
    width = layout.width
    run = RunInfo.of(service, layout.threshold).cells()
    it = iter(results)
    counts = dict.fromkeys(STATUSES, 0)
    buf = io.StringIO()
    writer = csv_writer(buf)
    for (_n, values), err in zip(rows, errors, strict=True):
        values = (values + [""] * width)[:width]
        if err:
            counts["error"] += 1
            extra = ["error", "", "", "", "", "", "", "", *run, err]
        else:
            r = next(it)
            counts[r.status] += 1
            # the top hit a reader acts on: the best one not on the accept list (the best one when all are)
            top = next((h for h in r.hits if not h.suppressed), r.hits[0] if r.hits else None)
            n_supp = sum(1 for h in r.hits if h.suppressed)
            extra = [r.status, f"{top.score:.4f}" if top else "", top.entity_id if top else "",
                     "; ".join(x.entity_id for x in top.listings) if top else "",
                     top.name if top else "", top.matched_name if top else "", str(len(r.hits)), str(n_supp), *run, ""]
        writer.writerow([escape_cell(v) for v in values + extra])
    return ChunkOut(len(rows), buf.getvalue(), counts)


def _row_query(service: Service, n: int, values: list[str], layout: Layout) -> tuple[Query | None, str]:
    """The row's query, or None and the reason it can't be screened (always starting "row N:")."""
    width = layout.width
    if len(values) != width:
        shown = "; extra values: " + ", ".join(values[width:]) if len(values) > width else ""
        return None, f"row {n}: {len(values)} fields, the header has {width}{shown}"
    if _bad_text(values):
        return None, f"row {n}: bytes that are not valid in the file's encoding"
    name = values[layout.name_i].strip()
    try:
        country = values[layout.country_i].strip() or None if layout.country_i is not None else None
        kind = values[layout.type_i].strip().lower() or None if layout.type_i is not None else None
        ref = values[layout.ref_i].strip() or None if layout.ref_i is not None else None
        q = Query(name=name, country=country, type=kind if kind in ("person", "company", "vessel", "aircraft")
                  else None, ref=ref)
        service.validate(q, f"row {n}")
    except ScreeningError as exc:
        return None, exc.message
    return q, ""


def shift_row_numbers(text: str, offset: int, error_col: int) -> str:
    """Renumber the "row N:" error messages of a chunk screened with partition-local row numbers."""
    if not offset or "row " not in text:
        return text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    changed = False
    for r in rows:
        if r[error_col]:
            new = _ROW_PREFIX.sub(lambda m: f"row {int(m.group(1)) + offset}:", r[error_col], count=1)
            changed |= new != r[error_col]
            r[error_col] = new
    if not changed:
        return text
    buf = io.StringIO()
    csv_writer(buf).writerows(rows)
    return buf.getvalue()


# --- process pool -------------------------------------------------------------------------------

_worker_service: Service | None = None  # one per pool worker process, set by its initializer


def _init_worker(settings: Settings) -> None:
    global _worker_service
    _worker_service = Service(settings)


def _screen_in_worker(rows: list[tuple[int, list[str]]], layout: Layout, keep_results: bool) -> ChunkOut:
    assert _worker_service is not None, "the pool initializer did not run"
    return screen_rows(_worker_service, rows, layout, keep_results=keep_results)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def chunks_of(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _run_chunks(service: Service, chunks: Iterator[list[tuple[int, list[str]]]], layout: Layout,
                jobs: int, keep_results: bool) -> Iterator[ChunkOut]:
    """Each chunk screened, in input order; chunks run on `jobs` processes when there are several."""
    head = list(islice(chunks, POOL_MIN_CHUNKS))
    if jobs <= 1 or len(head) < POOL_MIN_CHUNKS:  # a short file: starting processes would cost more than it saves
        for chunk in _prepend(head, chunks):
            yield screen_rows(service, chunk, layout, keep_results=keep_results)
        return
    settings = replace(service.settings, watchlist=service.watchlist.path, workers=1)
    # forkserver: workers start from a clean process, not a fork of one running a progress-bar thread
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["screening.service"])
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                             initargs=(settings,)) as pool:
        pending: deque[Future[ChunkOut]] = deque()
        for chunk in _prepend(head, chunks):
            pending.append(pool.submit(_screen_in_worker, chunk, layout, keep_results))
            if len(pending) >= 2 * jobs:  # a bounded window keeps memory constant
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _prepend(head: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from head
    yield from rest


# --- screening a file ---------------------------------------------------------------------------


def _open_input(path: Path, label: str) -> IO[bytes]:
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        raise InputFileError(f"{label}: cannot open ({exc.strerror})") from exc


def file_threshold(service: Service, options: FileOptions) -> float:
    threshold = service.settings.threshold if options.threshold is None else options.threshold
    if not 0 <= threshold <= 1:
        raise LimitError(f"threshold {threshold} is outside [0, 1]")
    return threshold


def screen_file(
    service: Service,
    path: Path,
    out: IO[str],
    options: FileOptions,
    *,
    progress: Callable[[int], None] | None = None,
    label: str | None = None,
    jobs: int = 1,
    skip_rows: int = 0,
    write_header: bool = True,
    summary: FileSummary | None = None,
    on_results: Callable[[list[Result], float], list[Result] | None] | None = None,
) -> FileSummary:
    """Screen every row of `path` and write it, with result columns, to `out` as CSV.

    `label` names the file in error messages (an upload's own file name, not its temporary path).
    `jobs` > 1 screens chunks on that many worker processes; the output is the same, in input order.
    `skip_rows` data rows are passed over without output (a resumed run; `summary` holds their counts).
    `on_results(results, threshold)` gets each chunk's screened results, in order, before the chunk is
    written (e.g. to record them); the results it returns (as recorded: suppressed hits marked) are written.
    Output is flushed after every chunk, so a killed run leaves whole chunks behind it.
    """
    path = Path(path)
    label = label or str(path)
    threshold = file_threshold(service, options)
    start = time.perf_counter()
    with _open_input(path, label) as raw:
        table = Table(path, raw, options, label)
        layout = table.layout(options, threshold)
        summary = summary or FileSummary()
        summary.encoding, summary.columns = table.encoding, table.header
        summary.run = RunInfo.of(service, threshold)
        if write_header:
            csv_writer(out).writerow(table.output_header())
        rows = table.rows()
        skipped = sum(1 for _ in islice(rows, skip_rows))
        if skipped < skip_rows:
            raise InputFileError(f"{label}: has {skipped} data rows, but the output already holds {skip_rows}")
        for chunk in _run_chunks(service, chunks_of(rows, CHUNK), layout, jobs, on_results is not None):
            if on_results and chunk.results is not None:  # recorded first, then written as recorded
                recorded = on_results(chunk.results, threshold)
                assert chunk.source is not None and chunk.errors is not None
                chunk = render_chunk(service, chunk.source, chunk.errors,
                                     chunk.results if recorded is None else recorded, layout)
            out.write(chunk.text)
            out.flush()
            summary.add(chunk.counts)
            if progress:
                progress(chunk.rows)
    if summary.rows == 0:
        raise InputFileError(f"{label}: the file has a header but no data rows")
    summary.seconds = time.perf_counter() - start
    return summary


def screen_to_path(
    service: Service,
    path: Path,
    output: Path,
    options: FileOptions,
    *,
    resume: bool = False,
    force_resume: bool = False,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    on_resume: Callable[[int], None] | None = None,
    on_results: Callable[[list[Result], float], list[Result] | None] | None = None,
) -> FileSummary:
    """Screen `path` into the CSV file `output`; with `resume`, carry on from the rows already in it.

    A resumed run checks that the output's header is the one this input gives, drops a trailing
    partial row (a killed run), skips as many input rows as the output holds, and appends the rest:
    the final file is the same as an uninterrupted run's. It refuses, naming both, when the rows
    already there were screened with another watchlist version, threshold or matcher (their run
    columns), unless `force_resume`: then the new rows carry their own run columns, and the summary
    names the run it continued (`previous_run`).
    """
    path, output = Path(path), Path(output)
    summary = FileSummary()
    if resume and output.exists() and output.stat().st_size:
        threshold = file_threshold(service, options)
        with _open_input(path, str(path)) as raw:
            header = Table(path, raw, options).output_header()
        summary, last, end = _resume_point(output, header)
        run = RunInfo.of(service, threshold)
        if last is not None and last != run:
            if not force_resume:
                raise ResumeError(
                    f"{output}: its {summary.rows} rows were screened with {last}; this run uses {run}. Resuming "
                    "would mix them in one file: write a new output, or give --force-resume to carry on anyway "
                    "(the rows after the resume point then name this run in their own columns)")
            summary.previous_run = last
        if end < output.stat().st_size:  # only once the run may go on: a refused resume leaves the file as it was
            os.truncate(output, end)
        summary.resumed = summary.rows
        if on_resume:
            on_resume(summary.rows)
    try:
        sink = open(output, "a" if resume else "w", newline="", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise InputFileError(f"{output}: cannot write ({exc.strerror})") from exc
    with sink:
        return screen_file(service, path, sink, options, progress=progress, jobs=jobs, skip_rows=summary.rows,
                           write_header=sink.tell() == 0, summary=summary, on_results=on_results)


def resume_point(output: Path, header: list[str]) -> FileSummary:
    """Counts of the complete rows in a partly written output; truncates a trailing partial row."""
    summary, _, end = _resume_point(output, header)
    if end < output.stat().st_size:
        os.truncate(output, end)
    return summary


def _resume_point(output: Path, header: list[str]) -> tuple[FileSummary, RunInfo | None, int]:
    """Counts of the complete rows, the run columns of the last one (None when there is none), and where they end.

    A record ends at a newline outside quotes (csv.writer quotes any field holding a newline and
    doubles its quotes), so an even running count of quote characters at a newline marks a row end.
    Nothing is changed here: the caller truncates a trailing partial row when it goes on.
    """
    expected = csv_line(header).encode("utf-8")
    with open(output, "rb") as f:
        head = f.read(len(expected))
    if head != expected:
        if len(head) < len(expected) and expected.startswith(head):  # killed while writing the header
            return FileSummary(), None, 0
        raise InputFileError(
            f"{output}: its header is not the one this input gives ({csv_line(header).strip()}); "
            "it may be another file's output: remove it or write elsewhere"
        )
    end = _last_record_end(output)
    summary, last = _tally(output, end, len(header) - len(RESULT_COLUMNS), len(header))
    return summary, last, end


def _last_record_end(output: Path) -> int:
    end = pos = quotes = 0
    with open(output, "rb") as f:
        for line in f:
            pos += len(line)
            quotes += line.count(b'"')
            if not quotes & 1 and line.endswith(b"\n"):
                end = pos
    return end


def _lines_upto(f: IO[bytes], end: int) -> Iterator[str]:
    pos = 0
    for line in f:
        if pos >= end:
            return
        pos += len(line)
        yield line.decode("utf-8", errors="surrogateescape")


def _tally(output: Path, end: int, status_col: int, width: int) -> tuple[FileSummary, RunInfo | None]:
    """Counts by status of the rows before byte `end`, and the run columns of the last of them."""
    summary = FileSummary()
    run_col = status_col + RESULT_COLUMNS.index(RUN_COLUMNS[0])
    last: list[str] | None = None
    with open(output, "rb") as f:
        reader = csv.reader(_lines_upto(f, end))
        next(reader, None)
        for row in reader:
            status = row[status_col] if len(row) == width else ""
            if status not in STATUSES:
                raise InputFileError(f"{output}: line {reader.line_num} is not a row this tool wrote; can't resume")
            setattr(summary, status, getattr(summary, status) + 1)
            summary.rows += 1
            last = row
    run = RunInfo(*last[run_col : run_col + len(RUN_COLUMNS)]) if last else None
    return summary, run


def csv_line(values: Iterable[str]) -> str:
    buf = io.StringIO()
    csv_writer(buf).writerow(list(values))
    return buf.getvalue()


def estimate_rows(path: Path, *, max_bytes: int = 2 << 30) -> int | None:
    """Data rows in a CSV/TSV by counting newlines (quoted newlines overcount), or None when not cheap."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        return None
    if path.suffix.lower() in (".xlsx", ".parquet", ".pq") or size > max_bytes:
        return None
    lines = 0
    last = b"\n"
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return max(lines - 1 + (last != b"\n"), 0)
