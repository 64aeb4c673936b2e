"""Build a watchlist artifact from seed records (and, later, official lists)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .seeds import load_seeds
from .watchlist import SourceInfo, compile_watchlist


def build_seed_watchlist(seeds_dir: Path, output: Path) -> dict[str, Any]:
    entities = load_seeds(seeds_dir)
    files = sorted(p.name for p in Path(seeds_dir).glob("*.toml"))
    info = SourceInfo(source="seed", format="seed-toml", entities=len(entities), files=files)
    return compile_watchlist(entities, output, watchlist_id="seed", sources=[info])
