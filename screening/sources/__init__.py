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
    source: str  # the id namespace, one of SOURCES, e.g. "ofac-sdn"
    format: str  # a key of FORMATS, e.g. "ofac-csv"
    entities: list[Entity]
    list_date: str | None = None  # the publisher's date for this copy, ISO 8601, if it says
    files: list[str] = field(default_factory=list)
    # Which list of the namespace this is: the source itself, except for namespaces shared by several lists
    # (OpenSanctions ids are global across its datasets: "opensanctions/ua_war_sanctions").
    dataset: str = ""
    # For lists that number their entries in sequence (OFAC's ent_num): the highest number, a version order
    # when the format carries no date.
    sequence: int | None = None
    # What the parser could not use or changed, one line each (kept in the artifact, shown by `watchlist info`).
    warnings: list[str] = field(default_factory=list)
    # Companion files the format expects and this copy lacks (OFAC's alt.csv...): the list is partial.
    missing: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dataset = self.dataset or self.source


@dataclass(frozen=True)
class ListFormat:
    """One list format: its name, the id namespace its entities live in, and its parser ("module:function")."""

    name: str
    source: str
    parser: str
    description: str

    def parse(self, path: Path, limits: SourceLimits) -> ListData:
        module, func = self.parser.split(":")
        return getattr(importlib.import_module(module), func)(path, limits=limits)


# The one registry of list formats. A new list is one line here plus its module, which has
# `sniff(path) -> format name | None`; modules are asked in the order they first appear below
# (custom CSV last: it is the fallback for any CSV with a name column).
REGISTRY: tuple[ListFormat, ...] = (
    ListFormat("ofac-csv", "ofac-sdn", "screening.sources.ofac:parse_sdn_csv", "OFAC SDN legacy CSV (sdn/alt/add/comments)"),
    ListFormat("ofac-xml", "ofac-sdn", "screening.sources.ofac:parse_sdn_xml", "OFAC SDN XML"),
    ListFormat("ofac-cons-csv", "ofac-cons", "screening.sources.ofac:parse_cons_csv", "OFAC Consolidated legacy CSV"),
    ListFormat("un-xml", "un-sc", "screening.sources.un:parse_xml", "UN Security Council Consolidated List XML"),
    ListFormat("eu-fsf-xml", "eu-fsf", "screening.sources.eu:parse_xml", "EU Financial Sanctions Files XML"),
    ListFormat("eu-fsf-csv", "eu-fsf", "screening.sources.eu:parse_csv", "EU Financial Sanctions Files CSV"),
    ListFormat("uk-ofsi-csv", "uk", "screening.sources.uk:parse_ofsi_csv", "UK OFSI ConList / FCDO UK Sanctions List CSV"),
    ListFormat("ftm-json", "opensanctions", "screening.sources.opensanctions:parse_ftm", "OpenSanctions FtM JSON lines"),
    ListFormat("opensanctions-csv", "opensanctions", "screening.sources.opensanctions:parse_simple_csv",
               "OpenSanctions targets.simple.csv"),
    ListFormat("custom-csv", "custom", "screening.sources.custom:parse_csv", "your own CSV list"),
)
FORMATS: dict[str, ListFormat] = {f.name: f for f in REGISTRY}
# Every entity-id namespace: the seed records, then each list's.
SOURCES: tuple[str, ...] = ("seed", *dict.fromkeys(f.source for f in REGISTRY))
SNIFFERS: tuple[str, ...] = tuple(dict.fromkeys(f.parser.split(":")[0] for f in REGISTRY))


def detect_format(path: Path) -> str:
    for module_name in SNIFFERS:
        found = importlib.import_module(module_name).sniff(path)
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
    data = FORMATS[fmt].parse(path, limits)
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
        parts.append(FORMATS[fmt].parse(f, limits))
    if not parts:
        raise SourceError(f"{path}: no recognised list file in this folder (use --format)")
    if len({p.source for p in parts}) > 1:
        raise SourceError(f"{path}: holds lists of several sources ({', '.join(sorted({p.source for p in parts}))}); "
                          "import them as separate paths")
    if len({p.dataset for p in parts}) > 1:
        raise SourceError(f"{path}: holds several lists ({', '.join(sorted({p.dataset for p in parts}))}); "
                          "import them as separate paths")
    dates = [p.list_date for p in parts if p.list_date]
    sequences = [p.sequence for p in parts if p.sequence is not None]
    return ListData(source=parts[0].source, format=parts[0].format,
                    entities=[e for p in parts for e in p.entities], list_date=max(dates) if dates else None,
                    files=[f for p in parts for f in (p.files or [])], dataset=parts[0].dataset,
                    sequence=max(sequences) if sequences else None,
                    warnings=[w for p in parts for w in p.warnings], missing=[m for p in parts for m in p.missing])
