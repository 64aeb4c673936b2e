"""Build the seed watchlist artifact: the import path with no official lists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .importer import import_lists


def build_seed_watchlist(seeds_dir: Path, output: Path) -> dict[str, Any]:
    return import_lists([], output, seeds_dir=seeds_dir, watchlist_id="seed")
