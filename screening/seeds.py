"""Load the hand-written seed watchlist (seeds/*.toml) into validated `Entity` records."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from .errors import SourceError
from .model import Alias, Entity

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
# an official listing of the same entity: "<source>:<its own id>", or "ofac:<uid>" for either OFAC list
ListingRef = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z-]*:\S+$")]


class SeedSource(BaseModel):
    """One report a seed record is drawn from."""

    model_config = ConfigDict(extra="forbid")

    file: Text
    headline: Text


class SeedRecord(BaseModel):
    """One seed file, exactly as written on disk."""

    model_config = ConfigDict(extra="forbid")

    id: Slug
    name: Text
    aliases: list[Text] = Field(default_factory=list)
    type: Literal["company", "person", "vessel", "aircraft"]
    countries: list[CountryCode] = Field(default_factory=list)
    summary: Text
    sources: list[SeedSource] = Field(min_length=1)
    # the official listings of this entity: one hit with all of them (screening.linking, rule "listed")
    listings: list[ListingRef] = Field(default_factory=list)

    def to_entity(self) -> Entity:
        return Entity(
            entity_id=f"seed:{self.id}",
            source="seed",
            name=self.name,
            aliases=[Alias(name=alias, kind="aka") for alias in self.aliases],
            type=self.type,
            countries=list(self.countries),
            summary=self.summary,
            references=[f"{src.file} — {src.headline}" for src in self.sources],
            same_as=list(self.listings),
        )


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def read_seed(path: Path) -> SeedRecord:
    """Parse and validate one seed file; any problem is a SourceError naming the file and field."""
    label = _label(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(f"{label}: TOML syntax error: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{label}: cannot read file: {exc}") from exc
    try:
        return SeedRecord.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"field '{'.'.join(str(part) for part in err['loc']) or '<root>'}': {err['msg']}"
            for err in exc.errors()
        )
        raise SourceError(f"{label}: {problems}") from exc


def load_seeds(directory: Path) -> list[Entity]:
    """Read every *.toml in `directory` (sorted by name) and return them as seed entities."""
    if not directory.is_dir():
        raise SourceError(f"{directory}: seed directory not found")
    records = [(path, read_seed(path)) for path in sorted(directory.glob("*.toml"))]
    seen: dict[str, Path] = {}
    for path, record in records:
        if record.id in seen:
            raise SourceError(
                f"{_label(path)}: field 'id': duplicate id {record.id!r}, "
                f"already used by {_label(seen[record.id])}"
            )
        seen[record.id] = path
    for path, record in records:
        if record.id != path.stem:
            raise SourceError(
                f"{_label(path)}: field 'id': {record.id!r} does not equal the file stem {path.stem!r}"
            )
    return [record.to_entity() for _, record in records]
