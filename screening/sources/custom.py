"""A company's own internal list: a CSV with a header row -> `Entity` records ("custom:<id>").

Column mapping (header names are matched case-insensitively, surrounding spaces ignored; other
columns are ignored; the delimiter may be "," ";" tab or "|", taken from the header line;
UTF-8, or Windows-1252 as Excel writes it):

    name         required. The listed name. An empty name is an error naming file and row.
    id           optional. entity_id becomes "custom:<id>"; without the column it is the data row
                 number (1 = first row under the header). Ids must be unique.
    aliases      optional, ";"-separated. Non-Latin names become script aliases.
    type         optional: person/individual, company/entity/organisation/organization,
                 vessel/ship, aircraft/airplane; empty or missing -> company.
    countries    optional, ";"-separated ISO alpha-2 codes or country names ("DE; Russia").
    dates        optional, ";"-separated dates of birth / incorporation: YYYY, YYYY-MM or YYYY-MM-DD.
    identifiers  optional, ";"-separated "KIND:VALUE" pairs ("IMO:9187629; LEI:5493..."); a value
                 without "KIND:" is kept with kind "ID".
    programs     optional, ";"-separated.
    remarks      optional free text.

Unknown types, countries and malformed dates are errors naming the file and row, so that a typo
does not silently drop a fact from the list.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ..errors import SourceError
from ..model import Entity, Identifier
from . import ListData, SourceLimits
from .common import (
    AliasList,
    CountryList,
    check_count,
    clean,
    detect_encoding,
    read_csv,
    read_head,
    split_multi,
    unique,
)

SOURCE = "custom"
_SUFFIXES = (".csv", ".tsv", ".txt")
_DELIMITERS = (",", ";", "\t", "|")
_TYPES = {
    "person": "person", "individual": "person",
    "company": "company", "entity": "company", "organisation": "company", "organization": "company",
    "vessel": "vessel", "ship": "vessel",
    "aircraft": "aircraft", "airplane": "aircraft",
}
_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _valid_date(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value if len(value) == 10 else f"{value}-01-01"[:10])
    except ValueError:
        return False
    return True


def _delimiter(header_line: str) -> str:
    return max(_DELIMITERS, key=header_line.count) if header_line else ","


def _header_line(path: Path) -> str | None:
    head = read_head(path)
    if head is None:
        return None
    return head.splitlines()[0] if head.strip() else ""


def sniff(path: Path) -> str | None:
    path = Path(path)
    if path.suffix.lower() not in _SUFFIXES:
        return None
    line = _header_line(path)
    if not line:
        return None
    columns = [clean(c).strip('"').lower() for c in line.split(_delimiter(line))]
    return "custom-csv" if "name" in columns else None


def parse_csv(path: Path, *, limits: SourceLimits) -> ListData:
    path = Path(path)
    line = _header_line(path)
    if line is None:
        raise SourceError(f"{path}: not a readable file")
    encoding = detect_encoding(path)
    rows = read_csv(path, delimiter=_delimiter(line), encoding=encoding)
    header_line, header = next(rows, (0, []))
    cols = {clean(name).lower(): i for i, name in enumerate(header)}
    if "name" not in cols:
        have = ", ".join(repr(clean(h)) for h in header if clean(h)) or "none"
        raise SourceError(f"{path}: line {header_line or 1}: no 'name' column (the columns are: {have})")
    entities: list[Entity] = []
    rows_of_id: dict[str, int] = {}
    for row_no, (line_no, fields) in enumerate(rows, 1):
        where = f"{path}: row {row_no} (line {line_no})"
        if len(fields) != len(header):
            raise SourceError(
                f"{where}: {len(fields)} fields where the header has {len(header)} "
                "(a delimiter is missing or extra, or the file is truncated)"
            )

        def get(column: str, fields: list[str] = fields) -> str:
            i = cols.get(column)
            return fields[i].strip() if i is not None else ""

        name = clean(get("name"))
        if not name:
            raise SourceError(f"{where}: empty name")
        ident = get("id") if "id" in cols else str(row_no)
        if not ident:
            raise SourceError(f"{where}: empty id")
        if ident in rows_of_id:
            raise SourceError(f"{where}: id {ident!r} is already used by row {rows_of_id[ident]}")
        rows_of_id[ident] = row_no
        entities.append(_entity(ident, name, get, where))
        check_count(path, len(entities), limits)
    return ListData(source=SOURCE, format="custom-csv", entities=entities, files=[str(path)])


def _entity(ident: str, name: str, get, where: str) -> Entity:
    kind = get("type").lower()
    entity_type = _TYPES.get(kind or "company")
    if entity_type is None:
        raise SourceError(f"{where}: unknown type {get('type')!r} (one of: {', '.join(_TYPES)})")
    aliases = AliasList(name)
    for alias in split_multi(get("aliases")):
        aliases.add_any_script(alias)
    countries = CountryList()
    for value in split_multi(get("countries")):
        if countries.add(value) is None:
            raise SourceError(f"{where}: {value!r} is not a country code or name")
    dates = []
    for value in split_multi(get("dates")):
        if not _valid_date(value):
            raise SourceError(f"{where}: date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        dates.append(value)
    identifiers = []
    for value in split_multi(get("identifiers")):
        id_kind, sep, id_value = value.partition(":")
        id_kind, id_value = (clean(id_kind), clean(id_value)) if sep else ("ID", clean(value))
        if not id_value or not id_kind:
            raise SourceError(f"{where}: identifier {value!r} is not KIND:VALUE")
        identifiers.append(Identifier(kind=id_kind, value=id_value))
    return Entity(
        entity_id=f"{SOURCE}:{ident}",
        source=SOURCE,
        name=name,
        aliases=aliases.items,
        type=entity_type,
        countries=countries.items,
        dates=unique(dates),
        identifiers=unique(identifiers),
        programs=unique(split_multi(get("programs"))),
        remarks=get("remarks") or None,
    )
