"""Typed records at the boundaries: listed entities, queries and hits."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EntityType = Literal["person", "company", "vessel", "aircraft"]
TYPE_CODES: dict[str, int] = {"person": 0, "company": 1, "vessel": 2, "aircraft": 3}  # as a watchlist stores them


class Alias(BaseModel):
    """One listed name of an entity other than its primary name."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, examples=["NORINCO"])
    # aka / fka / nka / original (listed word order kept as an alias) / script (original script)
    kind: str = Field(default="aka", examples=["aka"])
    # OFAC "weak AKA" and UN "Low" quality aliases only alert on a near-exact match.
    weak: bool = False
    # ISO 15924-ish script hint for original-script names, e.g. "Cyrl", "Arab", "Hani".
    script: str | None = None


class Identifier(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: str = Field(examples=["IMO"])
    value: str = Field(examples=["9187629"])
    country: str | None = None


class Entity(BaseModel):
    """One listed party, from any source, in one shape."""

    model_config = ConfigDict(extra="forbid")

    entity_id: str = Field(examples=["ofac-sdn:36"], description="<source>:<the source's own id>")
    source: str = Field(examples=["ofac-sdn"])
    name: str = Field(min_length=1, examples=["AEROCARIBBEAN AIRLINES"])
    aliases: list[Alias] = Field(default_factory=list)
    type: EntityType = "company"
    countries: list[str] = Field(default_factory=list, examples=[["CU"]], description="ISO 3166-1 alpha-2")
    dates: list[str] = Field(default_factory=list, description="dates of birth or incorporation, ISO 8601 or partial (YYYY)")
    identifiers: list[Identifier] = Field(default_factory=list)
    programs: list[str] = Field(default_factory=list, examples=[["CUBA"]])
    listed_on: str | None = None
    remarks: str | None = None
    # Free-text facts (seed records: what the report says, and which report).
    summary: str | None = None
    references: list[str] = Field(default_factory=list)
    # Listings of the same real-world entity on other lists, as the list itself names them: "<source>:<id>"
    # ("un-sc:QDi.123" from the UK list's "UN Ref"), or "ofac:<uid>" for either OFAC list. See screening.linking.
    same_as: list[str] = Field(default_factory=list)

    def all_names(self) -> list[Alias]:
        """Primary name first, then aliases, as Alias records (primary has kind 'primary')."""
        return [Alias(name=self.name, kind="primary"), *self.aliases]
