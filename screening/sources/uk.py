"""UK consolidated list of financial sanctions targets (OFSI "ConList.csv") -> `Entity` records.

Written against the published layout, and run on the real 2018 legacy ConList in ../shared/data/lists/uk-ofsi
(the tests also use small hand-made files of the newer structure). The file:

    Last Updated,03/06/2026                    <- list date (dd/mm/yyyy)
    Name 6,Name 1,...,Name 5,Title,Name Non-Latin Script,...,DOB,Town of Birth,Country of Birth,
    Nationality,Passport Number,...,National Identification Number,...,Country,Other Information,
    Group Type,Alias Type,Alias Quality,Regime,Listed On,UK Sanctions List Date Designated,
    Last Updated,Group ID                     <- header
    one row per name; the rows of one target share a Group ID

Mapping: entity_id "uk:<Group ID>"; name = Name 1..Name 5 then Name 6 (the surname, or an
entity's whole name) in natural order, from the row whose Alias Type is "Primary name"; the other
rows are aliases ("AKA", "Primary name variation"; "FKA" -> kind fka; Alias Quality "Low" -> weak);
Name Non-Latin Script -> Alias(kind="script"); Group Type Individual/Entity/Ship -> person/company/
vessel; Nationality and Country (address) -> countries; DOB (dd/mm/yyyy, 00 = unknown) -> dates;
Passport Number, National Identification Number, IMO number, UK Sanctions List Ref -> identifiers;
Regime -> programs; Listed On -> listed_on; Other Information -> remarks, and its "UN Ref QDi.123"
-> same_as "un-sc:QDi.123" (a link to the UN listing, checked by screening.linking). Multi-valued cells
written "(1) X (2) Y" are split.

The FCDO "UK Sanctions List" CSV that replaced ConList.csv (first line "Report Date: ...",
columns Unique ID, OFSI Group ID, Name type, Alias strength, Regime Name, Designation Type,
D.O.B, Nationality(/ies), ...) is read by the same function, through the column synonyms below;
rows are grouped by OFSI Group ID (or Unique ID when the group id is empty), and the entity_id
is "uk:<OFSI Group ID>" (or "uk:<Unique ID>").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import SourceError
from ..model import Entity, Identifier
from . import ListData, SourceLimits
from .common import (
    AliasList,
    CountryList,
    check_count,
    clean,
    country_code,
    iso_date,
    read_csv,
    read_head,
    unique,
)

SOURCE = "uk"

# our field -> header names that hold it (compared case-insensitively), ConList first
_COLUMNS: dict[str, tuple[str, ...]] = {
    "group": ("Group ID", "OFSI Group ID"),
    "unique": ("Unique ID",),
    "group_type": ("Group Type", "Designation Type"),
    "alias_type": ("Alias Type", "Name type"),
    "alias_quality": ("Alias Quality", "Alias strength"),
    "non_latin": ("Name Non-Latin Script",),
    "dob": ("DOB", "D.O.B"),
    "nationality": ("Nationality", "Nationality(/ies)"),
    "country": ("Country", "Address Country"),
    "passport": ("Passport Number",),
    "passport_details": ("Passport Details", "Passport additional information"),
    "national_id": ("National Identification Number", "National Identifier number"),
    "imo": ("IMO number",),
    "registration": ("Business registration number (s)",),
    "ref": ("UK Sanctions List Ref",),
    "regime": ("Regime", "Regime Name"),
    "listed_on": ("Listed On", "Date Designated"),
    "other": ("Other Information",),
    "reasons": ("UK Statement of Reasons",),
}
_TYPES = {"individual": "person", "entity": "company", "ship": "vessel"}
_MULTI = re.compile(r"\(\d+\)\s*")
_REF_IN_TEXT = re.compile(r"\(UK Sanctions List Ref\)\s*:\s*([A-Z]{2,4}\d{3,5})")
_IMO_IN_TEXT = re.compile(r"\(IMO number\)\s*:\s*(\d{7})\b")
# "UN Ref QDi.123", "UN Ref.KPI.067.", "UN Ref: QDe.004": the UN list's REFERENCE_NUMBER (QDi.123), which links
# the UK listing to the UN one (old-style "QI.A.86.03" references name no current UN record and are not read).
_UN_REF = re.compile(r"\bUN Ref\s*[.:]?\s*([A-Za-z]{2})([IiEe])\s*\.\s*(\d{3})\b")


def sniff(path: Path) -> str | None:
    head = read_head(path)
    if head is None:
        return None
    for line in head.splitlines()[:2]:  # the header is the second line, or the first if the date line is gone
        if "Name 6" in line and ("Group ID" in line or "Unique ID" in line):
            return "uk-ofsi-csv"
    return None


def _split(value: str) -> list[str]:
    """'(1) Russia (2) Belarus' -> ['Russia', 'Belarus']; a plain value -> [value]."""
    return [v for v in (clean(p).rstrip(",;") for p in _MULTI.split(value or "")) if v]


def _list_date(first: list[str]) -> str | None:
    """'Last Updated,16/03/2022' or 'Report Date: 13-Feb-2026' -> ISO date."""
    cells = [clean(c) for c in first if clean(c)]
    if not cells:
        return None
    text = cells[1] if len(cells) > 1 else cells[0].split(":", 1)[-1].strip()
    date = iso_date(text)
    if not date:
        try:
            date = datetime.strptime(text, "%d-%b-%Y").date().isoformat()
        except ValueError:
            date = ""
    return date or None


@dataclass
class _Group:
    key: str
    where: str
    entity_id: str
    type: str = ""
    primary: str = ""
    names: list[tuple[str, str, bool]] = field(default_factory=list)  # (name, kind, weak)
    scripts: list[str] = field(default_factory=list)
    countries: CountryList = field(default_factory=CountryList)
    dates: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    listed_on: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    same_as: list[str] = field(default_factory=list)

    def entity(self) -> Entity:
        names = list(self.names)
        primary = self.primary or (names[0][0] if names else "")
        if not primary:
            raise SourceError(f"{self.where}: no name in any row (Name 1 .. Name 6 are empty)")
        aliases = AliasList(primary)
        for name, kind, weak in names:
            aliases.add(name, kind=kind, weak=weak)
        for script_name in self.scripts:
            aliases.add_any_script(script_name)
        return Entity(
            entity_id=self.entity_id,
            source=SOURCE,
            name=primary,
            aliases=aliases.items,
            type=self.type or "company",
            countries=self.countries.items,
            dates=unique(self.dates),
            identifiers=unique(self.identifiers),
            programs=unique(self.programs),
            listed_on=min((d for d in self.listed_on if d), default=None),
            remarks="\n".join(unique(self.remarks)) or None,
            same_as=unique(self.same_as),
        )


def parse_ofsi_csv(path: Path, *, limits: SourceLimits) -> ListData:
    path = Path(path)
    rows = read_csv(path)
    first_line, first = next(rows, (0, []))
    if not first:
        raise SourceError(f"{path}: empty file")
    if any(clean(c).lower() == "name 6" for c in first):  # no date line: the first line is the header
        list_date, header_line, header = None, first_line, first
    else:
        list_date = _list_date(first)
        header_line, header = next(rows, (0, []))
    index = {clean(name).lower(): i for i, name in enumerate(header)}
    cols = {
        key: next((index[n.lower()] for n in names if n.lower() in index), None) for key, names in _COLUMNS.items()
    }
    names_at = [index.get(f"name {i}") for i in (1, 2, 3, 4, 5, 6)]
    missing = [n for n, i in (("Name 6", names_at[5]), ("Group Type", cols["group_type"])) if i is None]
    if cols["group"] is None and cols["unique"] is None:
        missing.append("Group ID")
    if missing:
        raise SourceError(
            f"{path}: line {header_line or 2}: not an OFSI consolidated list header, missing "
            f"{', '.join(missing)} (columns: {', '.join(c for c in header if c) or 'none'})"
        )
    new_format = cols["unique"] is not None
    width = len(header)
    groups: dict[str, _Group] = {}
    for line, fields in rows:
        if len(fields) != width:
            raise SourceError(
                f"{path}: line {line}: {len(fields)} fields where the header has {width} (truncated or malformed row)"
            )

        def get(key: str, fields: list[str] = fields) -> str:
            i = cols[key]
            return fields[i].strip() if i is not None else ""

        # rows are grouped by the OFSI Group ID; the newer layout falls back to its Unique ID
        key = get("group") or get("unique")
        if not key:
            raise SourceError(f"{path}: line {line}: empty {'OFSI Group ID and Unique ID' if new_format else 'Group ID'}")
        g = groups.get(key)
        if g is None:
            check_count(path, len(groups) + 1, limits)
            g = groups[key] = _Group(key=key, where=f"{path}: line {line} (group {key})", entity_id=f"uk:{key}")
        _add_row(g, fields, get, names_at, path, line)
    entities = [g.entity() for g in groups.values()]
    return ListData(source=SOURCE, format="uk-ofsi-csv", entities=entities, list_date=list_date, files=[str(path)])


def _add_row(g: _Group, fields: list[str], get, names_at: list[int | None], path: Path, line: int) -> None:
    group_type = get("group_type").lower()
    entity_type = _TYPES.get(group_type)
    if entity_type is None:
        raise SourceError(f"{path}: line {line}: unknown Group Type {get('group_type')!r} (Individual/Entity/Ship)")
    g.type = g.type or entity_type
    name = clean(" ".join(fields[i] for i in names_at if i is not None))
    alias_type = clean(get("alias_type")).lower()
    if name:
        if alias_type == "primary name" and not g.primary:
            g.primary = name
        kind = "fka" if alias_type in ("fka", "formerly known as") else "aka"
        g.names.append((name, kind, clean(get("alias_quality")).lower().startswith("low")))
    non_latin = clean(get("non_latin"))
    if non_latin:
        g.scripts.append(non_latin)
    for value in _split(get("nationality")):
        g.countries.add(value)
    for value in _split(get("country")):
        g.countries.add(value)
    for value in _split(get("dob")):
        date = iso_date(value)
        if date:
            g.dates.append(date)
    passports = _split(get("passport"))
    details = _split(get("passport_details"))
    for i, value in enumerate(passports):
        # "(1) 123 (2) 456" with details "(1) Russia (2) Cyprus": the n-th detail names the n-th issuer
        country = country_code(details[i]) if len(details) == len(passports) else None
        g.identifiers.append(Identifier(kind="Passport", value=value, country=country))
    other = clean(get("other"))
    for key, kind in (("national_id", "National ID"), ("imo", "IMO"), ("registration", "Registration")):
        for value in _split(get(key)):
            g.identifiers.append(Identifier(kind=kind, value=value))
    if not get("imo"):  # ConList.csv prints a ship's IMO number inside Other Information
        for value in _IMO_IN_TEXT.findall(other):
            g.identifiers.append(Identifier(kind="IMO", value=value))
    ref = get("ref") or get("unique") or next(iter(_REF_IN_TEXT.findall(other)), "")
    if ref:
        g.identifiers.append(Identifier(kind="UK Sanctions List Ref", value=ref))
    for value in _split(get("regime")):
        g.programs.append(value)
    g.listed_on.append(iso_date(get("listed_on")))
    for a, kind, num in _UN_REF.findall(other):
        g.same_as.append(f"un-sc:{a.upper()}{kind.lower()}.{num}")
    for text in (other, clean(get("reasons"))):
        if text:
            g.remarks.append(text)

