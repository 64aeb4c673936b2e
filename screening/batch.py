"""Screen a CSV/TSV/XLSX/Parquet file row by row in chunks: every input row comes back out, in order."""

from __future__ import annotations

import codecs
import csv
import io
import multiprocessing
import os
import pickle
import re
import select
import shutil
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import islice
from multiprocessing import spawn
from pathlib import Path
from typing import IO, Any

from .config import Settings
from .csvrows import BadRow, csv_records
from .errors import InputFileError, LimitError, ResumeError, ScreeningError
from .matcher import MATCHER_VERSION
from .service import _NOT_TEXT, Query, Result, Service, country_code_of, country_problem

# The run columns (watchlist id and version, threshold, matcher) say on every row what it was screened with,
# so a file never mixes runs unseen: --resume compares them with its own run. `error` stays last.
RUN_COLUMNS = ["watchlist_id", "watchlist_version", "threshold", "matcher"]
RESULT_COLUMNS = ["match_status", "top_score", "top_entity_id", "top_listings", "top_entity_name", "top_matched_name",
                  "hit_count", "suppressed_count", *RUN_COLUMNS, "error"]
STATUSES = ("clear", "potential_match", "suppressed", "error")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000
# An XLSX is a zip of XML: a few MB can unpack to GBs. A full sheet of a million rows of five short
# columns unpacks to well under this; a larger workbook is refused before it is parsed.
MAX_XLSX_UNPACKED = 2 << 30
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

    def writetext(self, row: list[str]) -> None:
        """writerow for a row of strings (the hot path of a file's output)."""
        (self._quoted if "\r" in "".join(row) else self._plain).writerow(row)

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
    countries_named: int = 0  # rows whose country was a name ("China"), read as its code ("CN")
    run: RunInfo | None = None  # what this run screened with
    previous_run: RunInfo | None = None  # the run a --resume continued, when it differed (--force-resume)

    @property
    def status(self) -> str:
        return "potential_match" if self.potential_match else "clear"

    def add(self, counts: dict[str, int]) -> None:
        for key, n in counts.items():
            setattr(self, key, getattr(self, key) + n)
            if key in STATUSES:  # not countries_named: a note about rows already counted
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


_BAD_TEXT = re.compile("[\ufffd\udc80-\udcff]")  # a replaced character, or an undecodable byte held as a surrogate


def _bad_text(values: list[str]) -> bool:
    text = "".join(values)
    return not text.isascii() and _BAD_TEXT.search(text) is not None


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
            first = next(self._rows)[1]
        except StopIteration:
            raise InputFileError(f"{self.label}: the file is empty") from None
        if isinstance(first, BadRow):
            raise InputFileError(f"{self.label}: the header row: {first.error}")
        self.header = clean_header(first)
        if not any(self.header):
            raise InputFileError(f"{self.label}: the header row is empty")

    def _csv_rows(self, text: IO[str], delim: str) -> Iterator[tuple[int, list[str]]]:
        # numbered by row (the header is row 1); a row that isn't clean CSV is a BadRow naming its line
        for n, (_first, _last, values) in enumerate(csv_records(text, delim), start=1):
            yield n, values

    def _xlsx_rows(self, raw: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
        """The active sheet's rows, numbered as the sheet numbers them; wholly empty rows are not rows.

        The sheet's declared <dimension> is not trusted: it may under-declare the rows (read-only
        openpyxl would stop early) or declare A1:XFD1048576 for a few cells (and pad every row to
        16,384 cells, a million times). Each row is as long as its last non-empty cell.
        """
        import zipfile

        from openpyxl import load_workbook

        try:  # the limit is checked before the work: the sizes the zip declares (reading stops at them)
            unpacked = sum(i.file_size for i in zipfile.ZipFile(raw).infolist())
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputFileError(f"{self.label}: not a readable .xlsx workbook (not a zip archive: {exc})") from exc
        if unpacked > MAX_XLSX_UNPACKED:
            raise InputFileError(f"{self.label}: the workbook unpacks to {unpacked:,} bytes (limit "
                                 f"{MAX_XLSX_UNPACKED:,}); save the sheet as CSV")
        raw.seek(0)
        try:
            wb = load_workbook(raw, read_only=True, data_only=True)
            ws = wb.active
            if ws is None or not hasattr(ws, "reset_dimensions"):
                raise InputFileError(f"{self.label}: the workbook's active sheet is not a worksheet")
            ws.reset_dimensions()
            for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
                values = ["" if v is None else str(v) for v in row]
                while values and not values[-1]:
                    values.pop()
                if values:
                    yield n, values
        except InputFileError:
            raise
        except Exception as exc:  # openpyxl raises many kinds for a bad workbook
            raise InputFileError(f"{self.label}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})") from exc

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
        """(row number, values) for every data row: the header is row 1 (in a sheet, the sheet's numbers)."""
        width = len(self.header)
        for n, values in self._rows:
            if self.encoding == "xlsx" and len(values) < width and not isinstance(values, BadRow):
                values = values + [""] * (width - len(values))  # a sheet leaves out trailing empty cells
            yield n, values

    def column(self, wanted: str | None, role: str) -> int | None:
        return find_column(self.header, wanted, role, self.label)

    def layout(self, options: FileOptions, threshold: float) -> Layout:
        return make_layout(self.header, options, threshold, self.label)

    def output_header(self) -> list[str]:
        return output_header(self.header)


# The column guess: a header's words (case, spacing, underscores and camelCase ignored) ranked per role.
_ENTITY_WORDS = frozenset({"company", "entity", "counterparty", "party", "organisation", "organization", "org",
                           "business", "customer", "supplier", "vendor", "client", "beneficiary", "firm", "person"})
_NAME_QUALIFIERS = _ENTITY_WORDS | {"full", "legal", "registered", "official", "trading", "complete"}
# Words that say a column holds something about the name, not the name ("Company ID", "File name", "First name").
_NOT_NAME = frozenset({"id", "code", "no", "nr", "number", "num", "ref", "reference", "country", "type", "kind",
                       "date", "dob", "email", "mail", "address", "city", "phone", "file", "user", "first", "last",
                       "given", "middle", "family", "maiden", "father", "mother", "alias", "aka", "status", "score"})
_COUNTRY_WORDS = frozenset({"country", "nationality", "jurisdiction", "citizenship"})
_TYPE_WORDS = frozenset({"type", "kind", "category"})
_ID_WORDS = frozenset({"id", "ref", "reference"})


def header_words(header: str) -> list[str]:
    """'Company Name', 'company_name', 'CompanyName' and ' COMPANY  NAME ' are all ['company', 'name']."""
    return re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", header).casefold())


def _rank(role: str, words: list[str]) -> int | None:
    """How surely a column with these header words holds `role` (0 surest), or None."""
    w = set(words)
    if not w:
        return None
    if role == "name":
        if words == ["name"]:
            return 0
        if w & _NOT_NAME:
            return None
        if "name" in w and w - {"name"} <= _NAME_QUALIFIERS:
            return 1  # Company Name, counterparty_name, Full Name, Legal Name
        if w <= _ENTITY_WORDS:
            return 2  # Company, Counterparty, Party
        return 3 if "name" in w else None
    if role == "country":
        if words == ["country"]:
            return 0
        if "country" in w and w <= {"country", "code", "iso", "iso2", "alpha", "alpha2", "2", "cc"}:
            return 1
        return 2 if w & _COUNTRY_WORDS else None
    if role == "type":
        if words == ["type"]:
            return 0
        return 1 if w & _TYPE_WORDS and w <= _TYPE_WORDS | {"entity", "party", "counterparty", "record"} else None
    if role == "id":  # only guessed for a preview (a file's id column is given with --id-column)
        if words in (["id"], ["ref"], ["reference"]):
            return 0
        return 1 if w & _ID_WORDS and w <= _ID_WORDS | _ENTITY_WORDS | {"no", "nr", "number", "code"} else None
    return None


def find_column(header: list[str], wanted: str | None, role: str, label: str) -> int | None:
    """The column given by name (exact, then ignoring case), or else the best guess for `role`, or None."""
    if wanted:
        if wanted in header:
            return header.index(wanted)
        lower = [h.casefold() for h in header]
        if wanted.casefold() in lower:
            return lower.index(wanted.casefold())
        raise InputFileError(f"{label}: no {role} column {wanted!r}; the file has columns: {', '.join(header)}")
    ranked = [(r, i) for i, h in enumerate(header) if (r := _rank(role, header_words(h))) is not None]
    return min(ranked)[1] if ranked else None


def make_layout(header: list[str], options: FileOptions, threshold: float, label: str) -> Layout:
    name_i = find_column(header, options.name_column, "name", label)
    if name_i is None:
        raise InputFileError(f"{label}: no name column (use --name-column); the file has columns: {', '.join(header)}")
    country_i = find_column(header, options.country_column, "country", label)
    type_i = find_column(header, options.type_column, "type", label)
    return Layout(width=len(header), name_i=name_i,
                  country_i=None if country_i == name_i else country_i,
                  type_i=None if type_i in (name_i, country_i) else type_i,
                  ref_i=find_column(header, options.id_column, "id", label) if options.id_column else None,
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
            if r.query.country and layout.country_i is not None and values[layout.country_i].strip() != r.query.country:
                counts["countries_named"] = counts.get("countries_named", 0) + 1  # "China" screened as CN
            # the top hit a reader acts on: the best one not on the accept list (the best one when all are)
            top = next((h for h in r.hits if not h.suppressed), r.hits[0] if r.hits else None)
            n_supp = sum(1 for h in r.hits if h.suppressed)
            extra = [r.status, f"{top.score:.4f}" if top else "", top.entity_id if top else "",
                     "; ".join(x.entity_id for x in top.listings) if top else "",
                     top.name if top else "", top.matched_name if top else "", str(len(r.hits)), str(n_supp), *run, ""]
        writer.writerow([escape_cell(v) for v in values + extra])
    return ChunkOut(len(rows), buf.getvalue(), counts)


# What a row's screening depends on: its name, country and type as written, and its ref only when
# validation would refuse it (a NUL; otherwise a ref is echoed, never matched). Rows with one key get
# the same result columns.
Key = tuple[str, str | None, str | None, str | None]
_TYPES = frozenset(("person", "company", "vessel", "aircraft"))


def _row_key(n: int, values: list[str], layout: Layout, *, ref: bool = False) -> Key | str:
    """The row's key (with its ref if `ref`), or the reason it can't be screened (always starting "row N:")."""
    width = layout.width
    if isinstance(values, BadRow):
        return f"row {n}: {values.error}"
    if len(values) != width:
        shown = "; extra values: " + ", ".join(values[width:]) if len(values) > width else ""
        return f"row {n}: {len(values)} fields, the header has {width}{shown}"
    if _bad_text(values):
        return f"row {n}: bytes that are not valid in the file's encoding"
    country = values[layout.country_i].strip() or None if layout.country_i is not None else None
    kind = values[layout.type_i].strip().lower() or None if layout.type_i is not None else None
    given = values[layout.ref_i].strip() or None if layout.ref_i is not None else None
    return (values[layout.name_i].strip(), country, kind if kind in _TYPES else None,
            given if ref or (given and _NOT_TEXT.search(given)) else None)


def _query_of(key: Key) -> Query:
    name, country, kind, ref = key
    if country and country_problem(country):  # a country written out in a file: its code, counted in the summary
        country = country_code_of(country) or country
    return Query(name=name, country=country, type=kind, ref=ref)


def _row_query(service: Service, n: int, values: list[str], layout: Layout) -> tuple[Query | None, str]:
    """The row's query, or None and the reason it can't be screened (always starting "row N:")."""
    key = _row_key(n, values, layout, ref=True)
    if isinstance(key, str):
        return None, key
    try:
        q = _query_of(key)
        service.validate(q, f"row {n}")
    except ScreeningError as exc:
        return None, exc.message
    return q, ""


# --- screening a file that is not recorded: each distinct key once --------------------------------

# A key's outcome: (status, its result cells escaped, the query's country), or (None, why it can't be screened, None)
Outcome = tuple[str | None, Any, str | None]
MEMO_KEYS = 50_000  # keys remembered per run (then forgotten all at once): memory stays bounded
_CLEAR_CELLS = ["clear", "", "", "", "", "", "0", "0"]


def screen_keys(service: Service, keys: list[Key], layout: Layout) -> list[Outcome]:
    """Validate and screen distinct keys: each one's result cells (the top hit, as render_chunk writes it)."""
    out: list[Outcome] = [(None, "", None)] * len(keys)
    valid: list[Query] = []
    at: list[int] = []
    for i, key in enumerate(keys):
        q = _query_of(key)
        try:
            service.validate(q, "")  # the message gets each row's own "row N: " when rendered
        except ScreeningError as exc:
            out[i] = (None, exc.message, None)
            continue
        valid.append(q)
        at.append(i)
    if valid:
        # the cells name the top hit's score and names only: no explanation is built
        _, matches = service.match_valid(valid, threshold=layout.threshold, limit=service.settings.limit, explain=False)
        wl = service.watchlist
        for i, q, hits in zip(at, valid, matches, strict=True):
            out[i] = ("potential_match" if hits else "clear", _top_cells(wl, hits) if hits else _CLEAR_CELLS, q.country)
    return out


def _top_cells(wl: Any, hits: list[Any]) -> list[str]:
    """The result cells of an unrecorded row with hits, as Service._hit builds the top Hit (no hit is suppressed)."""
    m = hits[0]
    members = wl.group_members[wl.entity_group_list[m.entity]]
    own = wl.entity(members[0])
    return [escape_cell(v) for v in ("potential_match", f"{round(m.score, 4):.4f}", own.entity_id,
                                     "; ".join(wl.entity(i).entity_id for i in members), own.name,
                                     wl.display[m.name], str(len(hits)), "0")]


@dataclass
class _Planned:
    """A chunk's rows, each with its key (or error) and the dict its outcome is (or will be) in."""

    items: list[tuple[int, list[str], Any, dict[Key, Outcome] | None]]
    holder: dict[Key, Outcome]  # the outcomes of `new`, once screened
    new: list[Key]  # the keys first seen in this chunk
    jobs: list[tuple[list[Key], Future[list[Outcome]]]] = field(default_factory=list)


class _Plans:
    """Keys already seen in this run, and which chunk's outcomes hold them."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.memo: dict[Key, dict[Key, Outcome]] = {}

    def plan(self, chunk: list[tuple[int, list[str]]]) -> _Planned:
        holder: dict[Key, Outcome] = {}
        new: list[Key] = []
        items: list[tuple[int, list[str], Any, dict[Key, Outcome] | None]] = []
        memo, layout = self.memo, self.layout
        for n, values in chunk:
            key = _row_key(n, values, layout)
            if isinstance(key, str):
                items.append((n, values, key, None))
                continue
            h = memo.get(key)
            if h is None:
                if len(memo) >= MEMO_KEYS:
                    memo.clear()  # the chunks planned so far keep their holders
                h = memo[key] = holder
                new.append(key)
            items.append((n, values, key, h))
        return _Planned(items, holder, new)


def _render_planned(p: _Planned, layout: Layout, run: list[str]) -> ChunkOut:
    """A planned chunk's output, as render_chunk writes it, from its keys' outcomes."""
    for keys, future in p.jobs:
        p.holder.update(zip(keys, future.result(), strict=True))
    width = layout.width
    counts = dict.fromkeys(STATUSES, 0)
    named = 0
    buf = io.StringIO()
    writer = csv_writer(buf)
    error_cells = ["error", "", "", "", "", "", "", "", *run]
    country_i = layout.country_i
    for n, values, key, holder in p.items:
        if len(values) != width:
            values = (values + [""] * width)[:width]
        row = [escape_cell(v) for v in values]
        if holder is None:
            counts["error"] += 1
            row += [*error_cells, escape_cell(key)]
        else:
            status, cells, country = holder[key]
            if status is None:
                counts["error"] += 1
                row += [*error_cells, escape_cell(f"row {n}: {cells}")]
            else:
                counts[status] += 1
                if country and country_i is not None and values[country_i].strip() != country:
                    named += 1  # "China" screened as CN
                row += [*cells, *run, ""]
        writer.writetext(row)
    if named:
        counts["countries_named"] = named
    return ChunkOut(len(p.items), buf.getvalue(), counts)


KEYS_PER_JOB = 250  # new keys per pool task: the first chunks of a file hold most of them, shared out evenly


def _run_unrecorded(service: Service, chunks: Iterator[list[tuple[int, list[str]]]], layout: Layout,
                    jobs: int) -> Iterator[ChunkOut]:
    """Each chunk's output, in input order; a key is screened once (on `jobs` processes when there are several)."""
    plans = _Plans(layout)
    run = [escape_cell(v) for v in RunInfo.of(service, layout.threshold).cells()]
    head = list(islice(chunks, POOL_MIN_CHUNKS))
    if jobs <= 1 or len(head) < POOL_MIN_CHUNKS:  # a short file: starting processes would cost more than it saves
        for chunk in _prepend(head, chunks):
            p = plans.plan(chunk)
            if p.new:
                p.holder.update(zip(p.new, screen_keys(service, p.new, layout), strict=True))
            yield _render_planned(p, layout, run)
        return
    with _Workers(service, jobs) as workers:
        pending: deque[_Planned] = deque()
        outstanding = 0  # pool tasks not yet rendered
        for chunk in _prepend(head, chunks):
            p = plans.plan(chunk)
            for i in range(0, len(p.new), KEYS_PER_JOB):
                keys = p.new[i:i + KEYS_PER_JOB]
                p.jobs.append((keys, workers.submit(keys, layout)))
            outstanding += len(p.jobs)
            pending.append(p)
            # a bounded window keeps memory constant; a chunk is written as soon as its outcomes are in
            while pending and (outstanding >= 4 * jobs or len(pending) > 8 * jobs
                               or all(f.done() for _, f in pending[0].jobs)):
                outstanding -= len(pending[0].jobs)
                yield _render_planned(pending.popleft(), layout, run)
        while pending:
            yield _render_planned(pending.popleft(), layout, run)


class _Workers:
    """A process pool, started while this process reads and plans the first chunks when it must be started from a thread.

    Where the workers are forked from this process (`start_method`: no other thread runs), the pool starts here, at
    once: this process warms its Service and forks them, and they screen with it. Otherwise (a fork server) starting
    the pool takes a second or two (the fork server, then each worker loading the watchlist and building its
    matcher's indexes: Matcher.warm), in a background thread. Tasks wait for it rather than run in this process
    meanwhile: that would build a third copy of the indexes, on cores the workers are building theirs on
    (20,000 dev-mix rows with --jobs 2: 9.1/9.3/6.0 s waiting, 11.5/12.6/8.5 s screening here meanwhile).
    """

    def __init__(self, service: Service, jobs: int) -> None:
        self.service = service
        self.pool: ProcessPoolExecutor | None = None
        self.failure: BaseException | None = None
        self.ready = threading.Event()
        self._starter: threading.Thread | None = None
        if start_method() == "fork":
            self._start(jobs, "fork")
        else:
            self._starter = threading.Thread(target=self._start, args=(jobs, "forkserver"), name="pool-start", daemon=True)
            self._starter.start()

    def _start(self, jobs: int, method: str) -> None:
        try:
            pool = self.pool = _make_pool(self.service, jobs, method)
            for f in [pool.submit(_worker_ready) for _ in range(jobs)]:
                f.result()
        except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread, at its next task
            self.failure = exc
        self.ready.set()

    def submit(self, keys: list[Key], layout: Layout) -> Future[list[Outcome]]:
        self.ready.wait()
        if self.failure is not None:
            raise self.failure
        assert self.pool is not None
        return self.pool.submit(_keys_in_worker, keys, layout)

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._starter is not None:
            self._starter.join()
        if self.pool is not None:  # on an error or Ctrl-C, don't wait for the tasks still queued
            self.pool.shutdown(wait=True, cancel_futures=True)


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
_worker_origin = ""  # where it came from: "parent" (forked with it), "fork server" (built there) or "own"
_forking: Service | None = None  # the Service of a pool being forked from this process (see _forked_pool)
POOL_MAIN_ENV = "SCREENING_POOL_MAIN"  # screening.workerboot.MAIN_ENV (not imported here: it ignores SIGINT)
POOL_WARM_ENV = "SCREENING_POOL_WARM"  # screening.workerboot.WARM_ENV


def _init_worker(settings: Settings, parent: int) -> None:
    global _worker_service, _worker_origin
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it stops the pool)
    exit_with(parent)
    boot = sys.modules.get("screening.workerboot")  # the fork server's, when it built the Service already
    if boot is not None and boot.service is not None and boot.service.settings == settings:
        try:
            st = os.stat(settings.watchlist)
            now = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:  # gone: Service() below says so
            now = None
        if now is not None and boot.stamp == now:  # the same file, not one swapped in since
            _worker_service, _worker_origin = boot.service, "fork server"
            return
    _worker_service, _worker_origin = Service(settings), "own"
    # the lazy indexes and tables are built now, while the parent still reads, not on the first chunk
    _worker_service.warm()


def _init_forked(parent: int) -> None:
    """A worker forked from its parent (`_forked_pool`) screens with the parent's warmed Service, its own copy."""
    global _worker_service, _worker_origin
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it stops the pool)...
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # ...blocked from the fork until now
    exit_with(parent)
    svc = _forking
    assert svc is not None, "a forked pool worker without its parent's Service"
    if svc.matcher.options.workers != 1:  # one thread a process: the pool is the parallelism
        svc.matcher.options = replace(svc.matcher.options, workers=1)
    _worker_service, _worker_origin = svc, "parent"


def _worker_ready() -> bool:
    return _worker_service is not None


def _worker_watchlist() -> tuple[str, str]:
    """Where this worker's Service came from ("parent", "fork server", "own") and its watchlist version."""
    assert _worker_service is not None, "the pool initializer did not run"
    return _worker_origin, _worker_service.watchlist.version


def exit_with(pid: int) -> None:
    """End this process as soon as process `pid` ends (e.g. `kill -9` of the `screen file` that started it).

    A pool worker blocks reading its task queue, whose write end it holds itself, so it would never
    see its parent go. A daemon thread waits on a pidfd of the parent (Linux), else polls it.
    """
    try:
        fd = os.pidfd_open(pid)
    except AttributeError:
        fd = None
    except OSError:  # already gone
        os._exit(1)

    def wait() -> None:
        if fd is not None:
            select.select([fd], [], [])
        else:
            while True:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    pass
                time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=wait, name="exit-with-parent", daemon=True).start()


def _keys_in_worker(keys: list[Key], layout: Layout) -> list[Outcome]:
    assert _worker_service is not None, "the pool initializer did not run"
    return screen_keys(_worker_service, keys, layout)


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
    with _pool(service, jobs) as pool:
        pending: deque[Future[ChunkOut]] = deque()
        for chunk in _prepend(head, chunks):
            pending.append(pool.submit(_screen_in_worker, chunk, layout, keep_results))
            if len(pending) >= 2 * jobs:  # a bounded window keeps memory constant
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def start_method() -> str:
    """How a pool's workers start: "fork" when this process runs no other thread, else "forkserver".

    Forked, a worker starts with its parent's warmed Service (shared copy-on-write): nothing is imported or
    built again. But a fork copies only the forking thread, and a lock another thread held (the I/O, logging or
    allocator locks a progress bar or a server's threads take) stays held in the child forever; so with other
    threads running, workers come from a fork server, a clean process started for them.
    """
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "forkserver"


def _make_pool(service: Service, jobs: int, method: str | None = None) -> ProcessPoolExecutor:
    """`jobs` worker processes on `service`'s watchlist file (mapped, not copied): forked from this process with its
    Service, or started by a fork server that builds theirs (`method`, by default `start_method()`)."""
    if (method or start_method()) == "fork":
        return _forked_pool(service, jobs)
    settings = replace(service.settings, watchlist=service.watchlist.path, workers=1)
    # forkserver: workers start from a clean process, not a fork of one running other threads
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["screening.workerboot", "screening.service"])
    # the fork server runs this process's main script once for every worker (see screening.workerboot)
    main_path = spawn.get_preparation_data("pool").get("init_main_from_path")
    if main_path:
        os.environ[POOL_MAIN_ENV] = main_path
    # and it builds and warms the workers' Service once, which they inherit (a fork server already running keeps
    # the one it built: a worker given other settings builds its own)
    os.environ[POOL_WARM_ENV] = pickle.dumps(settings).hex()
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                               initargs=(settings, os.getpid()))


def _forked_pool(service: Service, jobs: int) -> ProcessPoolExecutor:
    """`jobs` workers forked from this process now, each screening with `service`, warmed here first.

    A fork pool forks all its workers at its first task, from the calling thread, before it starts its own
    thread. SIGINT is blocked across the fork (a worker ignores it once its initializer runs; a Ctrl-C meanwhile
    stays pending here, for this process to handle) and the objects alive are frozen out of the cyclic
    collector's reach, so the workers' collections do not write to (and so copy) the pages they share.
    """
    global _forking
    if threading.active_count() != 1:
        raise RuntimeError("a pool is forked only from a process running one thread (see start_method)")
    import gc

    service.warm()
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=_init_forked, initargs=(os.getpid(),))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    _forking = service
    gc.freeze()
    try:
        pool.submit(_worker_ready)  # forks every worker
    finally:
        gc.unfreeze()
        _forking = None
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return pool


@contextmanager
def _pool(service: Service, jobs: int) -> Iterator[ProcessPoolExecutor]:
    pool = _make_pool(service, jobs)
    try:
        yield pool
    finally:  # on an error or Ctrl-C, don't wait for the chunks still queued
        pool.shutdown(wait=True, cancel_futures=True)


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
    chunk_size: int | None = None,
) -> FileSummary:
    """Screen every row of `path` and write it, with result columns, to `out` as CSV.

    `label` names the file in error messages (an upload's own file name, not its temporary path).
    `jobs` > 1 screens chunks on that many worker processes; the output is the same, in input order.
    `skip_rows` data rows are passed over without output (a resumed run; `summary` holds their counts).
    `on_results(results, threshold)` gets each chunk's screened results, in order, before the chunk is
    written (e.g. to record them); the results it returns (as recorded: suppressed hits marked) are written.
    Output is flushed after every chunk of `chunk_size` rows (default CHUNK), so a killed run leaves whole
    chunks behind it.
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
        chunks = chunks_of(rows, chunk_size or CHUNK)
        engine = (_run_chunks(service, chunks, layout, jobs, True) if on_results is not None
                  else _run_unrecorded(service, chunks, layout, jobs))
        for chunk in engine:
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


XLSX_MAX_ROWS = 1_048_576  # one sheet's rows, the header included
# Output suffixes that name a format this tool does not write: refused rather than filled with CSV text.
REFUSED_OUTPUTS = (".xls", ".xlsm", ".xlsb", ".ods", ".tsv", ".tab", ".parquet", ".pq", ".json", ".jsonl")


def output_format(output: Path) -> str:
    """'xlsx' for a .xlsx output, 'csv' for any other name; a suffix naming another format is refused."""
    suffix = output.suffix.lower()
    if suffix in REFUSED_OUTPUTS:
        raise InputFileError(f"{output}: can't write {suffix} files; give an output ending .csv or .xlsx")
    return "xlsx" if suffix == ".xlsx" else "csv"


def partial_path(output: Path) -> Path:
    """Where a run writes until it finishes: OUTPUT.partial beside OUTPUT (what --resume carries on from)."""
    return output.with_name(output.name + ".partial")


def same_file(a: Path | int, b: Path | int) -> bool:
    """Whether two paths (or open file descriptors) are one file: same device and inode, so links count too."""
    try:
        sa = os.fstat(a) if isinstance(a, int) else os.stat(a)
        sb = os.fstat(b) if isinstance(b, int) else os.stat(b)
    except (OSError, ValueError):
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def check_not_input(path: Path, output: Path | int, shown: str | None = None) -> None:
    """Refuse an output that is the input file, or a hard or symbolic link to it, before anything is written."""
    shown = shown or str(output)
    targets = [output] if isinstance(output, int) else [output, partial_path(Path(output))]
    if any(same_file(path, t) for t in targets):
        raise InputFileError(f"{shown}: is the input file {path} (the same file, or a link to it); "
                             "write the output to another file")


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
    """Screen `path` into `output` (CSV, or XLSX for a .xlsx name); with `resume`, carry on from a killed run.

    The output is refused if it is the input (or a link to it). Rows are written to OUTPUT.partial,
    which replaces OUTPUT only when the run succeeds: a failed or interrupted run leaves OUTPUT as
    it was, and the partial file (if it holds any rows) for --resume. A resumed run carries on from
    OUTPUT.partial, or else from a CSV OUTPUT itself: it checks that the header is the one this
    input gives, drops a trailing partial row, skips as many input rows as it holds, and appends the
    rest, so the final file is the same as an uninterrupted run's. It refuses, naming both, when the
    rows already there were screened with another watchlist version, threshold or matcher (their
    run columns), unless `force_resume`: then the new rows carry their own run columns, and the
    summary names the run it continued (`previous_run`).
    """
    path, output = Path(path), Path(output)
    fmt = output_format(output)
    check_not_input(path, output)
    target = output.resolve() if output.is_symlink() else output  # write through a link to its file
    partial = partial_path(target)
    work = partial
    if resume and not _nonempty(partial) and fmt == "csv" and _nonempty(target):
        work = target  # resumed in place: an output from an older run, or a finished one
    summary = FileSummary()
    if resume and _nonempty(work):
        threshold = file_threshold(service, options)
        with _open_input(path, str(path)) as raw:
            header = Table(path, raw, options).output_header()
        summary, last, end = _resume_point(work, header)
        run = RunInfo.of(service, threshold)
        if last is not None and last != run:
            if not force_resume:
                raise ResumeError(
                    f"{output}: its {summary.rows} rows were screened with {last}; this run uses {run}. Resuming "
                    "would mix them in one file: write a new output, or give --force-resume to carry on anyway "
                    "(the rows after the resume point then name this run in their own columns)")
            summary.previous_run = last
        if end < work.stat().st_size:  # only once the run may go on: a refused resume leaves the file as it was
            os.truncate(work, end)
        summary.resumed = summary.rows
        if on_resume:
            on_resume(summary.rows)
    try:
        sink = open(work, "a" if resume else "w", newline="", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise InputFileError(f"{output}: cannot write ({exc.strerror})") from exc
    try:
        with sink:
            summary = screen_file(service, path, sink, options, progress=progress, jobs=jobs, skip_rows=summary.rows,
                                  write_header=sink.tell() == 0, summary=summary, on_results=on_results)
        if fmt == "xlsx":
            csv_to_xlsx(work, target)
            work.unlink()
        elif work != target:
            _replace(work, target)
    except BaseException:
        if work == partial and summary.rows == 0:  # nothing screened: leave no empty file behind
            work.unlink(missing_ok=True)
        raise
    return summary


def _nonempty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _replace(work: Path, target: Path) -> None:
    try:
        if target.exists():
            shutil.copymode(target, work)  # the output keeps its permissions
        os.replace(work, target)
    except OSError as exc:
        raise InputFileError(f"{target}: cannot write ({exc.strerror}); the screened rows are in {work}") from exc


def csv_to_xlsx(source: Path, target: Path) -> None:
    """Write the CSV output `source` as a one-sheet XLSX at `target` (streamed; replaced atomically)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    tmp = target.with_name(target.name + ".xlsx-tmp")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("screened")
    with open(source, encoding="utf-8", newline="") as f:
        for n, row in enumerate(csv.reader(f), start=1):
            if n > XLSX_MAX_ROWS:
                wb.close()
                raise InputFileError(f"{target}: more than {XLSX_MAX_ROWS:,} rows, the most an XLSX sheet holds; "
                                     f"the screened rows are in {source} (CSV): write a .csv output")
            ws.append([ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) for v in row])
    try:
        wb.save(tmp)
        _replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputFileError(f"{target}: cannot write ({exc.strerror})") from exc
    finally:
        tmp.unlink(missing_ok=True)


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
