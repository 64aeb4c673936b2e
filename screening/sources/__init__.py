"""Official-list parsers behind one interface: path in, `ListData` (entities in our model) out.

Each source module exposes `parse_*(path, *, limits) -> ListData` functions and a
`sniff(path) -> str | None` that names the format it recognises. `load_list` auto-detects
the format unless one is given.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceError
from ..model import Entity


@dataclass(frozen=True)
class SourceLimits:
    """Size limits for list files; over-limit files are rejected before parsing."""

    max_file_bytes: int = 2 * 1024**3
    max_entities: int = 5_000_000


@dataclass
class ListData:
    source: str  # one of model.SOURCES, e.g. "ofac-sdn"
    format: str  # a key of FORMATS, e.g. "ofac-csv"
    entities: list[Entity]
    list_date: str | None = None  # the publisher's date for this copy, ISO 8601, if it says
    files: list[str] = field(default_factory=list)


# format name -> "module:function"; modules are imported lazily.
FORMATS: dict[str, str] = {
    "ofac-csv": "screening.sources.ofac:parse_sdn_csv",
    "ofac-xml": "screening.sources.ofac:parse_sdn_xml",
    "ofac-cons-csv": "screening.sources.ofac:parse_cons_csv",
    "un-xml": "screening.sources.un:parse_xml",
    "eu-fsf-xml": "screening.sources.eu:parse_xml",
    "eu-fsf-csv": "screening.sources.eu:parse_csv",
    "uk-ofsi-csv": "screening.sources.uk:parse_ofsi_csv",
    "ftm-json": "screening.sources.opensanctions:parse_ftm",
    "opensanctions-csv": "screening.sources.opensanctions:parse_simple_csv",
    "custom-csv": "screening.sources.custom:parse_csv",
}
# Modules asked in this order to recognise a path; custom CSV is the fallback for CSV files.
SNIFFERS = ("ofac", "un", "eu", "uk", "opensanctions", "custom")


def _resolve(spec: str):
    module, func = spec.split(":")
    return getattr(importlib.import_module(module), func)


def detect_format(path: Path) -> str:
    for name in SNIFFERS:
        module = importlib.import_module(f"screening.sources.{name}")
        found = module.sniff(path)
        if found:
            return found
    raise SourceError(f"{path}: unrecognised list format (use --format, one of: {', '.join(FORMATS)})")


def check_size(path: Path, limits: SourceLimits) -> None:
    files = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else [path]
    for f in files:
        size = f.stat().st_size
        if size > limits.max_file_bytes:
            raise SourceError(f"{f}: file is {size} bytes (limit {limits.max_file_bytes})")


def load_list(path: Path | str, fmt: str | None = None, *, limits: SourceLimits | None = None) -> ListData:
    path = Path(path)
    limits = limits or SourceLimits()
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    if fmt is not None and fmt not in FORMATS:
        raise SourceError(f"unknown list format {fmt!r} (one of: {', '.join(FORMATS)})")
    check_size(path, limits)
    if fmt is None and path.is_dir():
        try:
            fmt = detect_format(path)
        except SourceError:
            return _load_folder(path, limits)
    fmt = fmt or detect_format(path)
    data: ListData = _resolve(FORMATS[fmt])(path, limits=limits)
    if len(data.entities) > limits.max_entities:
        raise SourceError(f"{path}: {len(data.entities)} entities (limit {limits.max_entities})")
    return data


def _load_folder(path: Path, limits: SourceLimits) -> ListData:
    """A folder no parser claims as a whole: parse each list file in it and merge them."""
    parts: list[ListData] = []
    for f in sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")):
        try:
            fmt = detect_format(f)
        except SourceError:
            continue  # a README or other companion file
        parts.append(_resolve(FORMATS[fmt])(f, limits=limits))
    if not parts:
        raise SourceError(f"{path}: no recognised list file in this folder (use --format)")
    if len({p.source for p in parts}) > 1:
        raise SourceError(f"{path}: holds lists of several sources ({', '.join(sorted({p.source for p in parts}))}); "
                          "import them as separate paths")
    dates = [p.list_date for p in parts if p.list_date]
    return ListData(source=parts[0].source, format=parts[0].format,
                    entities=[e for p in parts for e in p.entities], list_date=max(dates) if dates else None,
                    files=[f for p in parts for f in (p.files or [])])
