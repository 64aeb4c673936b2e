"""Screen a CSV/TSV/XLSX file row by row in chunks: every input row comes back out, in order."""

from __future__ import annotations

import codecs
import csv
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .errors import InputFileError, LimitError, ScreeningError
from .service import Query, Service

RESULT_COLUMNS = ["match_status", "top_score", "top_entity_id", "top_entity_name", "top_matched_name",
                  "hit_count", "error"]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NAME_COLUMNS = ("name", "company", "company_name", "counterparty", "counterparty_name", "full_name", "entity_name")
CHUNK = 2000
_SURROGATES = re.compile("[\ud800-\udfff]")


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


@dataclass
class FileSummary:
    rows: int = 0
    clear: int = 0
    potential_match: int = 0
    error: int = 0
    seconds: float = 0.0
    encoding: str = ""
    columns: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "potential_match" if self.potential_match else "clear"


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


def _text_stream(raw: IO[bytes], encoding: str) -> IO[str]:
    errors = "replace" if encoding.startswith("utf-16") else "surrogateescape"
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, newline="")


def _bad_text(values: list[str]) -> bool:
    return any("\ufffd" in v or any("\udc80" <= ch <= "\udcff" for ch in v) for v in values)


class Table:
    """Rows of an input file as lists of strings, with a header; names the file in every error."""

    def __init__(self, path: Path, raw: IO[bytes], options: FileOptions, label: str | None = None) -> None:
        self.path = path
        self.label = label or str(path)
        if path.suffix.lower() == ".xlsx":
            self.encoding = "xlsx"
            self._rows = self._xlsx_rows(raw)
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
            delim = options.delimiter or ("\t" if path.suffix.lower() == ".tsv" else self._sniff(sample))
            self._rows = self._csv_rows(text, delim)
        try:
            # a BOM read as text (e.g. --encoding utf-8 on a UTF-8-with-BOM file) is not part of a column name
            self.header = [h.strip().lstrip("\ufeff") for h in next(self._rows)[1]]
        except StopIteration:
            raise InputFileError(f"{self.label}: the file is empty") from None
        if not any(self.header):
            raise InputFileError(f"{self.label}: the header row is empty")

    @staticmethod
    def _sniff(sample: str) -> str:
        try:
            return csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t").delimiter
        except csv.Error:
            return ","

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

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(1-based row number counting the header as row 1, values) for every data row."""
        for n, (_line, values) in enumerate(self._rows, start=2):
            yield n, values

    def column(self, wanted: str | None, role: str, fallbacks: tuple[str, ...] = ()) -> int | None:
        lower = [h.lower() for h in self.header]
        if wanted:
            if wanted in self.header:
                return self.header.index(wanted)
            if wanted.lower() in lower:
                return lower.index(wanted.lower())
            raise InputFileError(
                f"{self.label}: no {role} column {wanted!r}; the file has columns: {', '.join(self.header)}"
            )
        for f in fallbacks:
            if f in lower:
                return lower.index(f)
        return None


def screen_file(
    service: Service,
    path: Path,
    out: IO[str],
    options: FileOptions,
    *,
    progress: Callable[[int], None] | None = None,
    label: str | None = None,
) -> FileSummary:
    """Screen every row of `path` and write it, with result columns, to `out` as CSV.

    `label` names the file in error messages (an upload's own file name, not its temporary path).
    """
    path = Path(path)
    label = label or str(path)
    threshold = service.settings.threshold if options.threshold is None else options.threshold
    if not 0 <= threshold <= 1:
        raise LimitError(f"threshold {threshold} is outside [0, 1]")
    try:
        raw: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputFileError(f"{label}: cannot open ({exc.strerror})") from exc
    start = time.perf_counter()
    with raw:
        table = Table(path, raw, options, label)
        name_i = table.column(options.name_column, "name", NAME_COLUMNS)
        if name_i is None:
            raise InputFileError(
                f"{table.label}: no name column (use --name-column); the file has columns: {', '.join(table.header)}"
            )
        country_i = table.column(options.country_column, "country", ("country", "country_code"))
        type_i = table.column(options.type_column, "type", ("type", "entity_type"))
        summary = FileSummary(encoding=table.encoding, columns=table.header)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([escape_cell(h) for h in table.header + RESULT_COLUMNS])
        width = len(table.header)
        chunk: list[tuple[int, list[str], Query | None, str]] = []

        def flush() -> None:
            valid = [(i, q) for i, (_, _, q, _) in enumerate(chunk) if q is not None]
            results = service.screen_valid([q for _, q in valid], threshold=threshold, limit=service.settings.limit)
            by_pos = {i: r for (i, _), r in zip(valid, results, strict=True)}
            for i, (_n, values, _q, err) in enumerate(chunk):
                values = (values + [""] * width)[:width]
                r = by_pos.get(i)
                if r is None:
                    summary.error += 1
                    extra = ["error", "", "", "", "", "", err]
                else:
                    top = r.hits[0] if r.hits else None
                    setattr(summary, r.status, getattr(summary, r.status) + 1)
                    extra = [r.status, f"{top.score:.4f}" if top else "", top.entity_id if top else "",
                             top.name if top else "", top.matched_name if top else "", str(len(r.hits)), ""]
                writer.writerow([escape_cell(v) for v in values + extra])
            summary.rows += len(chunk)
            if progress:
                progress(len(chunk))
            chunk.clear()

        for n, values in table.rows():
            chunk.append((n, values, *_row_query(service, n, values, width, name_i, country_i, type_i)))
            if len(chunk) >= CHUNK:
                flush()
        if chunk:
            flush()
    if summary.rows == 0:
        raise InputFileError(f"{label}: the file has a header but no data rows")
    summary.seconds = time.perf_counter() - start
    return summary


def _row_query(service: Service, n: int, values: list[str], width: int, name_i: int,
               country_i: int | None, type_i: int | None) -> tuple[Query | None, str]:
    """The row's query, or None and the reason it can't be screened."""
    if len(values) != width:
        shown = "; extra values: " + ", ".join(values[width:]) if len(values) > width else ""
        return None, f"row {n}: {len(values)} fields, the header has {width}{shown}"
    if _bad_text(values):
        return None, f"row {n}: bytes that are not valid in the file's encoding"
    name = values[name_i].strip()
    try:
        country = values[country_i].strip() or None if country_i is not None else None
        kind = values[type_i].strip().lower() or None if type_i is not None else None
        q = Query(name=name, country=country, type=kind if kind in ("person", "company", "vessel", "aircraft")
                  else None)
        service.validate(q, f"row {n}")
    except ScreeningError as exc:
        return None, exc.message
    return q, ""
