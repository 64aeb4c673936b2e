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

WatchlistOpt = Annotated[
    Path | None, typer.Option("--watchlist", envvar="SCREENING_WATCHLIST", help="Compiled watchlist artifact.")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Map the library's errors to a message on stderr and exit code 2."""
    try:
        yield
    except ScreeningError as exc:
        err.print(f"[red]error:[/red] {exc.message}", highlight=False)
        raise typer.Exit(EXIT_ERROR) from None
