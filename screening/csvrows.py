"""CSV records read line by line, so that a stray quote can't swallow the rows after it.

The rule (README, "Files"): a quoted field may hold line breaks, but a row that spans several
lines is accepted only if its quotes close cleanly and it then has as many fields as the header.
Otherwise the line where the quote opened becomes an error row naming that line, and reading goes
on with the next line as a row of its own. A row is also refused (as an error row, never the whole
file) when it runs over MAX_ROW_LINES lines or MAX_ROW_CHARS characters. Every physical line of
the input ends up in exactly one row, so every input row comes back out.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from typing import IO

MAX_ROW_LINES = 200  # line breaks a quoted field may hold before the quote counts as stray
MAX_ROW_CHARS = 1 << 24  # 16 Mi characters in one row; longer is an error row, read in bounded memory
_SKIP = 1 << 20

# The csv module's own field limit (128 KiB) would refuse a whole file for one long cell; the
# limits above bound a row instead. The setting is process-wide; raising it affects no other reader.
if csv.field_size_limit() < MAX_ROW_CHARS + 1:
    csv.field_size_limit(MAX_ROW_CHARS + 1)


class BadRow(list):
    """The cells of a row that could not be read as CSV, as far as they go, and why (naming its line)."""

    def __init__(self, values: list[str], error: str) -> None:
        super().__init__(values)
        self.error = error

    def __reduce__(self):  # keeps `error` when a chunk is sent to a worker process
        return (BadRow, (list(self), self.error))


class _Overrun(Exception):
    """The row being read ran over MAX_ROW_LINES lines, or the next line is over-long."""


class _Lines:
    """The physical lines of a text stream (line ends kept), numbered, with push-back.

    `taken` holds the lines handed to the csv reader since the current row began.
    """

    def __init__(self, text: IO[str]) -> None:
        self.text = text
        self.number = 0
        self.pending: deque[tuple[int, str, bool]] = deque()
        self.taken: list[tuple[int, str, bool]] = []

    def _read(self) -> tuple[int, str, bool] | None:
        if self.pending:
            return self.pending.popleft()
        line = self.text.readline(MAX_ROW_CHARS + 1)
        if not line:
            return None
        self.number += 1
        overlong = len(line) > MAX_ROW_CHARS
        if overlong:  # skip to the end of this line without holding it
            while line and not line.endswith(("\n", "\r")):
                line = self.text.readline(_SKIP)
            line = ""
        return self.number, line, overlong

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        item = self._read()
        if item is None:
            raise StopIteration
        if item[2] or len(self.taken) >= MAX_ROW_LINES:
            self.pending.appendleft(item)
            raise _Overrun
        self.taken.append(item)
        return item[1]


def _ends_inside_quotes(line: str, values: list[str]) -> bool:
    """A one-line row holds a line break only when a quote stayed open to the end of the file."""
    return line.endswith(("\n", "\r")) and any("\n" in v or "\r" in v for v in values)


def _lenient(line: str, delimiter: str) -> list[str]:
    """One line's cells with quotes taken as far as the line goes (for an error row's values)."""
    try:
        return next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
    except csv.Error:
        return [line.rstrip("\r\n")]


def _strict(lines: list[str], delimiter: str) -> list[str] | str:
    """The one record `lines` hold, or why they are not one clean record."""
    try:
        rows = list(csv.reader(lines, delimiter=delimiter, strict=True))
    except csv.Error as exc:
        return str(exc)
    return rows[0] if len(rows) == 1 else f"{len(rows)} records"


def csv_records(text: IO[str], delimiter: str) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, cells) for every row of a CSV text stream; never raises on bad CSV.

    The first row (the header) sets the width that a row spanning several lines must have.
    A row that can't be read is a BadRow whose `error` starts "line N:".
    """
    lines = _Lines(text)
    width: int | None = None
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        lines.taken = []
        problem: str | None = None
        try:
            values: list[str] | None = next(reader)
        except StopIteration:
            return
        except _Overrun:
            values, problem = None, "overrun"
        except csv.Error as exc:
            values, problem = None, str(exc)
        taken = lines.taken
        if not taken:  # an over-long line where a row begins
            n = lines.pending.popleft()[0]
            reader = csv.reader(lines, delimiter=delimiter)
            yield n, n, BadRow([], f"line {n}: longer than {MAX_ROW_CHARS:,} characters")
            continue
        first, last = taken[0][0], taken[-1][0]
        if values is not None and len(taken) == 1:  # the common case: one line, one row
            if not _ends_inside_quotes(taken[0][1], values):
                if width is None:
                    width = len(values)
                yield first, first, values
                continue
            problem = "unclosed"  # the last line, its quote still open at the end of the file
        if values is not None:  # a quoted field spanning lines: accept it only if it is one clean row
            check = _strict([t[1] for t in taken], delimiter)
            if isinstance(check, list) and (width is None or len(check) == width):
                if width is None:
                    width = len(check)
                yield first, last, values
                continue
            if check == "unexpected end of data":
                problem = "unclosed"
            else:
                why = check if isinstance(check, str) else f"{len(check)} fields, the header has {width}"
                problem = (f"a quote opened on this line closes only on line {last}, which would merge "
                           f"{len(taken)} lines into one row ({why})")
        if problem == "unclosed":
            problem = "a quote opened on this line is never closed"
        elif problem == "overrun":
            problem = (f"a quote opened on this line is not closed within {MAX_ROW_LINES} lines"
                       if len(taken) >= MAX_ROW_LINES else
                       f"a quote opened on this line is not closed before line {last + 1}, which is over-long")
        cells = _lenient(taken[0][1], delimiter)
        lines.pending.extendleft(reversed(taken[1:]))
        reader = csv.reader(lines, delimiter=delimiter)
        if width is None:
            width = len(cells)
        yield first, first, BadRow(cells, f"line {first}: {problem}; a stray quote? The lines after it are "
                                          "read as rows of their own")
