"""CSV records read line by line, so that a stray quote can't swallow the rows after it.

The rule (README, "Files"): a quoted field may hold line breaks, but a row that spans several
lines is accepted only if its quotes close cleanly and it then has as many fields as the header,
within MAX_ROW_LINES lines. Otherwise the line where the quote opened becomes an error row naming
that line, and reading goes on with the next line as a row of its own. A field over
MAX_FIELD_CHARS characters makes an error row too, never a refused file. Every physical line of
the input ends up in exactly one row, so every input row comes back out.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from itertools import chain, tee
from typing import IO

MAX_ROW_LINES = 200  # lines one row may span before its open quote counts as stray
MAX_FIELD_CHARS = 1 << 24  # 16 Mi characters in one field; a longer one makes its row an error row

# The csv module's own field limit (128 KiB) would refuse a whole file for one long cell; here a field
# over the limit makes an error row instead. The setting is process-wide: it is raised, never lowered.
if csv.field_size_limit() < MAX_FIELD_CHARS:
    csv.field_size_limit(MAX_FIELD_CHARS)


class BadRow(list):
    """The cells of a row that could not be read as CSV, as far as they go, and why (naming its line)."""

    def __init__(self, values: list[str], error: str) -> None:
        super().__init__(values)
        self.error = error

    def __reduce__(self):  # keeps `error` when a chunk is sent to a worker process
        return (BadRow, (list(self), self.error))


def _drain(pending: deque[str]) -> Iterator[str]:
    while pending:
        yield pending.popleft()


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

    The csv module reads the stream at C speed; a tee keeps each row's physical lines until the
    row is checked, so a refused row's later lines can be read again as rows of their own.
    """
    base = iter(text)
    pending: deque[str] = deque()  # lines to read again, before the rest of the stream
    width: int | None = None
    done = 0  # physical lines of the rows already yielded
    while True:  # one reader per stretch between refused rows
        feed, lag = tee(chain(_drain(pending), base) if pending else base)
        reader = csv.reader(feed, delimiter=delimiter)
        seen = 0  # lines this reader has taken, and dropped from `lag`
        while True:
            problem = None
            try:
                values: list[str] | None = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                values, problem = None, str(exc)
            consumed = reader.line_num - seen
            seen = reader.line_num
            if values is not None and consumed == 1 and not (values and values[-1][-1:] in ("\n", "\r")):
                next(lag)  # the common case: one line, one row (a last field ending in a line break: EOF in quotes)
                done += 1
                if width is None:
                    width = len(values)
                yield done, done, values
                continue
            taken = [next(lag) for _ in range(consumed)]
            first, last = done + 1, done + consumed
            if values is not None:  # a quoted field spanning lines: one row only if it is one clean row
                check = _strict(taken, delimiter)
                if consumed > MAX_ROW_LINES:
                    problem = f"a quote opened on this line is not closed within {MAX_ROW_LINES} lines"
                elif isinstance(check, list) and (width is None or len(check) == width):
                    if width is None:
                        width = len(check)
                    done = last
                    yield first, last, values
                    continue
                elif check == "unexpected end of data":
                    problem = "a quote opened on this line is never closed"
                else:
                    why = check if isinstance(check, str) else f"{len(check)} fields, the header has {width}"
                    problem = (f"a quote opened on this line closes only on line {last}, which would merge "
                               f"{consumed} lines into one row ({why})")
            elif problem.startswith("field larger than field limit"):
                problem = f"a field longer than {csv.field_size_limit():,} characters"
            elif problem == "unexpected end of data":
                problem = "a quote opened on this line is never closed"
            cells = _lenient(taken[0], delimiter)
            if width is None:
                width = len(cells)
            done = first
            pending.extendleft(reversed(taken[1:]))
            yield first, first, BadRow(cells, f"line {first}: {problem}; a stray quote? The lines after it are "
                                              "read as rows of their own" if "quote" in problem else
                                       f"line {first}: {problem}")
            break  # a new reader, on the lines put back and the rest
