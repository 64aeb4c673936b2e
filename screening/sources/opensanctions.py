"""OpenSanctions exports -> `Entity` records: FollowTheMoney JSON lines and `targets.simple.csv`.

FtM (`*.ftm.json`, also a folder of them): one JSON object per line, `{"id", "schema",
"properties": {prop: [values]}, "caption", "target", "first_seen", ...}`. Only the matchable
schemas below become entities ("opensanctions:<id>"); Address, Sanction, Ownership, Family...
lines are read but not listed. A Sanction's programId/program is added to the programs of the
entity it names. Mapping:

    name                      primary name (the caption when it is one of the names) + aliases
    alias / weakAlias / abbreviation / previousName   aka / weak aka / weak aka / fka
    non-Latin names           Alias(kind="script", script=<ISO 15924>)
    country, nationality, citizenship, jurisdiction    countries (ISO alpha-2)
    birthDate, incorporationDate                       dates
    innCode, ogrnCode, registrationNumber, imoNumber, taxNumber, leiCode, swiftBic,
    passportNumber, idNumber, vatCode, okpoCode, mmsi  identifiers
    program, programId (+ linked Sanctions)            programs
    createdAt (else first_seen)                        listed_on
    notes                                              remarks

Entities of a listed schema with no name at all are skipped (nothing to screen against).
Entities that are in the export only as relatives/owners ("target": false) are kept, with a
remark saying so.

simple CSV (`targets.simple.csv`): header id,schema,name,aliases,birth_date,countries,addresses,
identifiers,sanctions,phones,emails,program_ids,dataset,first_seen,last_seen,last_change; cells
with several values separate them with ";".
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import SourceError
from ..model import Entity, Identifier
from . import ListData, SourceLimits
from .common import (
    AliasList,
    CountryList,
    check_count,
    clean,
    iso_date,
    read_csv,
    read_head,
    split_multi,
    split_spellings,
    unique,
)

SOURCE = "opensanctions"

SCHEMA_TYPES = {
    "Person": "person",
    "Company": "company",
    "Organization": "company",
    "LegalEntity": "company",
    "PublicBody": "company",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}
_ID_PROPS = {
    "innCode": "INN",
    "ogrnCode": "OGRN",
    "registrationNumber": "Registration",
    "imoNumber": "IMO",
    "taxNumber": "Tax ID",
    "leiCode": "LEI",
    "swiftBic": "SWIFT/BIC",
    "passportNumber": "Passport",
    "idNumber": "National ID",
    "vatCode": "VAT",
    "okpoCode": "OKPO",
    "mmsi": "MMSI",
}
_COUNTRY_PROPS = ("country", "nationality", "citizenship", "jurisdiction")
_DATE_PROPS = ("birthDate", "incorporationDate")
_SIMPLE_HEADER = ["id", "schema", "name", "aliases"]
NOT_TARGET = "Related entity in the OpenSanctions export, not itself a sanctions target."


def sniff(path: Path) -> str | None:
    path = Path(path)
    if path.is_dir():
        return "ftm-json" if _ftm_files(path) else None
    head = read_head(path, 8192)
    if head is None:
        return None
    stripped = head.lstrip()
    if stripped.startswith("{") and '"schema"' in head and '"properties"' in head:
        return "ftm-json"
    first = [clean(c).strip('"').lower() for c in head.split("\n", 1)[0].split(",")]
    if first[:4] == _SIMPLE_HEADER:
        return "opensanctions-csv"
    return None


def _ftm_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith((".ftm.json", ".jsonl")))


# ------------------------------------------------------------------------------------------ FtM


def parse_ftm(path: Path, *, limits: SourceLimits) -> ListData:
    path = Path(path)
    files = _ftm_files(path) if path.is_dir() else [path]
    if not files:
        raise SourceError(f"{path}: no *.ftm.json files in this folder")
    entities: dict[str, Entity] = {}
    sanction_programs: dict[str, list[str]] = {}
    for file in files:
        for line_no, obj in _json_lines(file):
            schema = obj["schema"]
            props = obj["properties"]
            if schema == "Sanction":
                programs = _values(props, "programId") or _values(props, "program")
                for target in _values(props, "entity"):
                    sanction_programs.setdefault(target, []).extend(programs)
                continue
            entity_type = SCHEMA_TYPES.get(schema)
            if entity_type is None or obj["id"] in entities:
                continue
            entity = _ftm_entity(obj, entity_type, props, f"{file}: line {line_no}")
            if entity is None:
                continue
            entities[obj["id"]] = entity
            check_count(path, len(entities), limits)
    for target, programs in sanction_programs.items():
        entity = entities.get(target)
        if entity is not None:
            entity.programs = unique([*entity.programs, *programs])
    return ListData(
        source=SOURCE,
        format="ftm-json",
        entities=list(entities.values()),
        list_date=None,  # FtM exports carry no publication date
        files=[str(f) for f in files],
        # one list per export: its file names ("zala" for zala.entities.ftm.json)
        dataset=f"{SOURCE}/" + "+".join(f.name.split(".")[0] for f in files),
    )


def _json_lines(file: Path):
    """(line number, object) for each non-blank line; a line that is not an FtM object is a SourceError."""
    try:
        with open(file, "rb") as fh:
            for line_no, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise SourceError(f"{file}: line {line_no}: not valid JSON ({exc})") from exc
                if not isinstance(obj, dict) or not isinstance(obj.get("properties"), dict):
                    raise SourceError(f"{file}: line {line_no}: not a FollowTheMoney entity (no properties object)")
                if not obj.get("id") or not obj.get("schema"):
                    raise SourceError(f"{file}: line {line_no}: entity without id or schema")
                yield line_no, obj
    except OSError as exc:
        raise SourceError(f"{file}: cannot read file: {exc}") from exc


# OpenSanctions ids of the lists we read ourselves: "ofac-32733" is OFAC uid 32733 (SDN or consolidated),
# "gb-hmt-15174" the UK OFSI Group ID 15174. A referent names another list's record of the same entity.
_REFERENT_PREFIXES = (("ofac-", "ofac:"), ("gb-hmt-", "uk:"))


def referent(value: str) -> str | None:
    """An OpenSanctions referent id as one of our listing ids ("ofac-32733" -> "ofac:32733"), else None."""
    for prefix, ours in _REFERENT_PREFIXES:
        rest = value[len(prefix):]
        if value.startswith(prefix) and rest.isdigit():
            return ours + str(int(rest))
    return None


def _values(props: dict, name: str) -> list[str]:
    values = props.get(name) or []
    if isinstance(values, str):
        values = [values]
    return [v for v in (clean(str(x)) for x in values) if v]


def _ftm_entity(obj: dict, entity_type: str, props: dict, where: str) -> Entity | None:
    names = _values(props, "name")
    caption = clean(obj.get("caption"))
    if not names:
        names = _values(props, "alias")
    if not names:
        return None
    primary = caption if caption in names else names[0]
    primary = split_spellings(primary)[0]
    aliases = AliasList(primary)
    for name in (n for packed in names for n in split_spellings(packed)):
        aliases.add_any_script(name)
    for prop, kind, weak in (("alias", "aka", False), ("weakAlias", "aka", True),
                             ("abbreviation", "aka", True), ("previousName", "fka", False)):
        for name in (n for packed in _values(props, prop) for n in split_spellings(packed)):
            aliases.add_any_script(name, kind=kind, weak=weak)
    countries = CountryList()
    for prop in _COUNTRY_PROPS:
        for value in _values(props, prop):
            countries.add(value)
    dates = [iso_date(v) for prop in _DATE_PROPS for v in _values(props, prop)]
    identifiers = [Identifier(kind=kind, value=v) for prop, kind in _ID_PROPS.items() for v in _values(props, prop)]
    programs = _values(props, "programId") + _values(props, "program")
    listed = next(iter(_values(props, "createdAt")), "") or clean(str(obj.get("first_seen") or ""))
    notes = _values(props, "notes")
    if obj.get("target") is False:
        notes.append(NOT_TARGET)
    try:
        return Entity(
            entity_id=f"{SOURCE}:{obj['id']}",
            source=SOURCE,
            name=primary,
            aliases=aliases.items,
            type=entity_type,
            countries=countries.items,
            dates=unique(dates),
            identifiers=unique(identifiers),
            programs=unique(programs),
            listed_on=iso_date(listed) or None,
            remarks="\n".join(unique(notes)) or None,
            same_as=unique(ref for r in obj.get("referents") or [] if (ref := referent(str(r)))),
        )
    except ValueError as exc:  # pydantic validation
        raise SourceError(f"{where}: entity {obj['id']}: {exc}") from exc


# ------------------------------------------------------------------------------------------ CSV


def parse_simple_csv(path: Path, *, limits: SourceLimits) -> ListData:
    path = Path(path)
    rows = read_csv(path)
    header_line, header = next(rows, (0, []))
    cols = {clean(name).lower(): i for i, name in enumerate(header)}
    missing = [c for c in ("id", "schema", "name") if c not in cols]
    if missing:
        raise SourceError(
            f"{path}: line {header_line or 1}: not an OpenSanctions targets.simple.csv header, missing "
            f"{', '.join(missing)} (columns: {', '.join(header) or 'none'})"
        )
    width = len(header)
    entities: list[Entity] = []
    seen: set[str] = set()
    seen_dates: set[str] = set()
    datasets: set[str] = set()
    for line, fields in rows:
        if len(fields) != width:
            raise SourceError(
                f"{path}: line {line}: {len(fields)} fields where the header has {width} (truncated or malformed row)"
            )

        def get(column: str, fields: list[str] = fields) -> str:
            i = cols.get(column)
            return fields[i].strip() if i is not None else ""

        entity_type = SCHEMA_TYPES.get(get("schema"))
        if entity_type is None:
            continue
        ident, name = get("id"), clean(get("name"))
        if not ident:
            raise SourceError(f"{path}: line {line}: empty id")
        if not name:
            raise SourceError(f"{path}: line {line}: entity {ident} has an empty name")
        if ident in seen:
            raise SourceError(f"{path}: line {line}: id {ident} is repeated")
        seen.add(ident)
        seen_dates.update(d for d in [iso_date(get("last_seen"))] if d)
        datasets.update(d for d in [clean(get("dataset"))] if d)
        aliases = AliasList(name)
        for alias in split_multi(get("aliases")):
            aliases.add_any_script(alias)
        countries = CountryList()
        for value in split_multi(get("countries")):
            countries.add(value)
        entities.append(
            Entity(
                entity_id=f"{SOURCE}:{ident}",
                source=SOURCE,
                name=name,
                aliases=aliases.items,
                type=entity_type,
                countries=countries.items,
                dates=unique(iso_date(v) for v in split_multi(get("birth_date"))),
                identifiers=unique(Identifier(kind="ID", value=v) for v in split_multi(get("identifiers"))),
                programs=split_multi(get("program_ids")),
                listed_on=iso_date(get("first_seen")) or None,
                remarks=clean(get("sanctions")) or None,
            )
        )
        check_count(path, len(entities), limits)
    return ListData(
        source=SOURCE, format="opensanctions-csv", entities=entities,
        list_date=max(seen_dates) if seen_dates else None,  # the export's date: when its newest record was seen
        files=[str(path)], dataset=f"{SOURCE}/{_slug(max(datasets)) if datasets else path.stem}",
    )


def _slug(name: str) -> str:
    """'Ukraine War and Sanctions' -> 'ukraine_war_and_sanctions'."""
    return "_".join("".join(c if c.isalnum() else " " for c in name.casefold()).split())

