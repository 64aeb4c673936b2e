"""What every `screen` command shares: the consoles, the error-to-exit mapping, exit codes and common options.

`cli.main` and `cli.workflow` both import this module and not each other, so neither needs the
other to be loaded first.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from screening.errors import ScreeningError

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)  # error lines unwrapped: messages name files, grep-able in logs

EXIT_CLEAR, EXIT_MATCH, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C

WatchlistOpt = Annotated[
    Path | None, typer.Option("--watchlist", envvar="SCREENING_WATCHLIST", help="Compiled watchlist artifact.")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def fail(message: str) -> typer.Exit:
    """Print one error line on stderr; the exit to raise (code 2: 1 means "potential match")."""
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(EXIT_ERROR)


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Map the library's errors, and failures of the disk or database under it, to one line and exit code 2."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except ScreeningError as exc:
        raise fail(exc.message) from None
    except SQLAlchemyError as exc:
        raise fail(f"the database (SCREENING_DB_URL): {_first_line(getattr(exc, 'orig', None) or exc)}") from None
    except OSError as exc:  # a full disk, a closed pipe, a file that went away
        if exc.filename is None:  # a write to stdout: stop the interpreter's own flush failing again at exit
            _silence_stdout()
        where = f"{exc.filename}: " if exc.filename else "writing the output: "
        raise fail(f"{where}{exc.strerror or exc}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _silence_stdout() -> None:
    import os

    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
