"""EU Consolidated Financial Sanctions File (FSF) -> `Entity` records, from its XML or its CSV.

Written against the published FSF v1.1 layouts (no copy of the EU list ships in /work/shared;
the tests use small hand-made files of the same structure).

XML (`xmlFullSanctionsList_1_1`): root `<export generationDate=...>` in the namespace
"http://eu.europa.ec/fpi/fsd/export"; one `<sanctionEntity logicalId=... designationDate=...>` per
entity, with children (attributes in brackets):

    subjectType (code person|enterprise, classificationCode P|E)   type person|company
    nameAlias (wholeName, firstName, middleName, lastName,         the first strong Latin name is the
               nameLanguage, strong "true"/"false")                 primary; strong="false" -> weak alias;
                                                                    non-Latin names -> kind "script"
    citizenship (countryIso2Code), address (countryIso2Code)       countries ("00" = unknown, dropped)
    birthdate (birthdate | year, monthOfYear, dayOfMonth |          dates
               yearRangeFrom..yearRangeTo)
    identification (identificationTypeCode, number, countryIso2Code)  identifiers
    regulation (programme, publicationDate, entryIntoForceDate)    programs; the earliest date is the
                                                                    listing date when designationDate is empty
    remark                                                          remarks

CSV (`csvFullSanctionsList_1_1`): semicolon-delimited, one header row, then one row per name or
attribute of an entity (the XML flattened), rows grouped by `Entity_LogicalId`. Columns used:
fileGenerationDate, Entity_LogicalId, Entity_DesignationDate, Entity_Remark, Entity_SubjectType /
Entity_SubjectType_ClassificationCode (one holds P|E, the other person|enterprise),
Entity_Regulation_Programme, Entity_Regulation_PublicationDate, NameAlias_WholeName /
_FirstName / _MiddleName / _LastName / _NameLanguage, NameAlias_Strong (if the file has it),
Address_CountryIso2Code, BirthDate_BirthDate / _Year / _YearRangeFrom / _YearRangeTo,
Identification_Number / _TypeCode / _TypeDescription / _CountryIso2Code, Citizenship_CountryIso2Code.

entity_id is "eu-fsf:<logicalId>".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from ..errors import SourceError
from ..model import Entity, Identifier
from . import ListData, SourceLimits
from .common import (
    AliasList,
    CountryList,
    check_count,
    clean,
    country_code,
    document_kind,
    guess_script,
    iso_date,
    read_csv,
    read_head,
    unique,
    year_range,
)
from .xmlsafe import children, iter_elements, local

SOURCE = "eu-fsf"
NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"

_TYPES = {"person": "person", "p": "person", "enterprise": "company", "e": "company"}
_ID_KINDS = {
    "passport": "Passport",
    "id": "National ID",
    "nationalid": "National ID",
    "ssn": "National ID",
    "regnumber": "Registration",
    "fiscalcode": "Tax ID",
    "tax": "Tax ID",
    "taxid": "Tax ID",
    "imo": "IMO",
    "swiftbic": "SWIFT/BIC",
}


def sniff(path: Path) -> str | None:
    head = read_head(path)
    if head is None:
        return None
    if "<export" in head and (NAMESPACE in head or "<sanctionEntity" in head):
        return "eu-fsf-xml"
    first = head.split("\n", 1)[0]
    if "Entity_LogicalId" in first and ";" in first:
        return "eu-fsf-csv"
    return None


@dataclass
class _Draft:
    """What is known of one entity while its rows or child elements are read."""

    logical_id: str
    where: str
    subject: str = ""
    names: list[tuple[str, str, bool]] = field(default_factory=list)  # (name, language, strong)
    countries: CountryList = field(default_factory=CountryList)
    dates: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    designated: str = ""
    regulation_dates: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    def add_name(self, whole: str, first: str, middle: str, last: str, language: str, strong: str) -> None:
        name = clean(whole) or clean(" ".join((first, middle, last)))
        if name:
            self.names.append((name, clean(language).upper(), clean(strong).lower() != "false"))

    def add_birth(self, date: str, year: str, month: str, day: str, year_from: str, year_to: str) -> None:
        full = iso_date(date)
        if full:
            self.dates.append(full)
        elif clean(year).isdigit() and int(year):
            y, m, dd = clean(year), clean(month), clean(day)
            m = m.zfill(2) if m.isdigit() and int(m) else ""
            dd = dd.zfill(2) if m and dd.isdigit() and int(dd) else ""
            self.dates.append("-".join(p for p in (y.zfill(4), m, dd) if p))
        else:
            self.dates.extend(year_range(year_from, year_to))

    def add_identifier(self, number: str, code: str, description: str, country: str) -> None:
        number = clean(number)
        if number:
            code = clean(code)
            kind = _ID_KINDS.get(code.lower()) or document_kind(description or code)
            self.identifiers.append(Identifier(kind=kind, value=number, country=country_code(country)))

    def entity(self) -> Entity:
        entity_type = _TYPES.get(self.subject.lower())
        if entity_type is None:
            raise SourceError(f"{self.where}: unknown subject type {self.subject!r} (expected person/enterprise)")
        if not self.names:
            raise SourceError(f"{self.where}: no name (nameAlias wholeName is empty)")
        primary = _pick_primary(self.names)
        aliases = AliasList(primary)
        for name, _language, strong in self.names:
            aliases.add_any_script(name, weak=not strong)
        listed = iso_date(self.designated) or min((d for d in self.regulation_dates if d), default="")
        return Entity(
            entity_id=f"{SOURCE}:{self.logical_id}",
            source=SOURCE,
            name=primary,
            aliases=aliases.items,
            type=entity_type,
            countries=self.countries.items,
            dates=unique(self.dates),
            identifiers=unique(self.identifiers),
            programs=unique(self.programs),
            listed_on=listed or None,
            remarks="\n".join(unique(self.remarks)) or None,
        )


def _pick_primary(names: list[tuple[str, str, bool]]) -> str:
    """The first strong Latin-script name; failing that the first strong name, then the first name."""
    for name, _language, strong in names:
        if strong and guess_script(name) in ("Latn", None):
            return name
    for name, _language, strong in names:
        if strong:
            return name
    return names[0][0]


# ------------------------------------------------------------------------------------------ XML


def parse_xml(path: Path, *, limits: SourceLimits) -> ListData:
    path = Path(path)
    entities: list[Entity] = []
    seen: set[str] = set()
    list_date: str | None = None
    count = 0
    for elem in iter_elements(path, {"sanctionEntity", "export"}):
        if local(elem.tag) == "export":
            list_date = iso_date(elem.get("generationDate", "")) or None
            continue
        count += 1
        logical_id = clean(elem.get("logicalId"))
        where = f"{path}: <sanctionEntity> #{count}" + (f" (logicalId {logical_id})" if logical_id else "")
        if not logical_id:
            raise SourceError(f"{where}: no logicalId attribute")
        if logical_id in seen:
            raise SourceError(f"{where}: logicalId {logical_id} is repeated")
        seen.add(logical_id)
        entities.append(_xml_draft(elem, logical_id, where).entity())
        check_count(path, len(entities), limits)
    return ListData(source=SOURCE, format="eu-fsf-xml", entities=entities, list_date=list_date, files=[str(path)])


def _xml_draft(elem: Element, logical_id: str, where: str) -> _Draft:
    d = _Draft(logical_id=logical_id, where=where, designated=elem.get("designationDate", ""))
    for node in children(elem, "subjectType"):
        d.subject = node.get("code") or node.get("classificationCode") or ""
    for node in children(elem, "nameAlias"):
        a = node.get
        d.add_name(a("wholeName", ""), a("firstName", ""), a("middleName", ""), a("lastName", ""),
                   a("nameLanguage", ""), a("strong", "true"))
    for tag in ("citizenship", "address"):
        for node in children(elem, tag):
            d.countries.add(node.get("countryIso2Code"))
    for node in children(elem, "birthdate"):
        a = node.get
        d.add_birth(a("birthdate", ""), a("year", ""), a("monthOfYear", ""), a("dayOfMonth", ""),
                    a("yearRangeFrom", ""), a("yearRangeTo", ""))
    for node in children(elem, "identification"):
        a = node.get
        d.add_identifier(a("number", "") or a("latinNumber", ""), a("identificationTypeCode", ""),
                         a("identificationTypeDescription", ""), a("countryIso2Code", ""))
    for node in children(elem, "regulation"):
        d.programs.append(clean(node.get("programme")))
        d.regulation_dates.append(iso_date(node.get("entryIntoForceDate")) or iso_date(node.get("publicationDate")))
    for node in children(elem, "remark"):
        d.remarks.append(clean(node.text))
    return d


# ------------------------------------------------------------------------------------------ CSV


def parse_csv(path: Path, *, limits: SourceLimits) -> ListData:
    path = Path(path)
    rows = read_csv(path, delimiter=";")
    header_line, header = next(rows, (0, []))
    cols = {clean(name): i for i, name in enumerate(header)}
    missing = [c for c in ("Entity_LogicalId", "NameAlias_WholeName") if c not in cols]
    if missing:
        raise SourceError(
            f"{path}: line {header_line or 1}: not an EU FSF CSV header, missing {', '.join(missing)} "
            f"(columns: {', '.join(cols) or 'none'})"
        )
    drafts: dict[str, _Draft] = {}
    list_date: str | None = None
    width = len(header)
    for line, fields in rows:
        if len(fields) != width:
            raise SourceError(
                f"{path}: line {line}: {len(fields)} fields where the header has {width} (truncated or malformed row)"
            )

        def get(column: str, fields: list[str] = fields) -> str:
            i = cols.get(column)
            return fields[i].strip() if i is not None else ""

        logical_id = get("Entity_LogicalId")
        if not logical_id:
            raise SourceError(f"{path}: line {line}: empty Entity_LogicalId")
        list_date = list_date or iso_date(get("fileGenerationDate")) or None
        d = drafts.get(logical_id)
        if d is None:
            check_count(path, len(drafts) + 1, limits)
            d = drafts[logical_id] = _Draft(
                logical_id=logical_id, where=f"{path}: line {line} (Entity_LogicalId {logical_id})"
            )
        d.designated = d.designated or get("Entity_DesignationDate")
        for column in ("Entity_SubjectType_ClassificationCode", "Entity_SubjectType"):
            if not d.subject and get(column).lower() in _TYPES:
                d.subject = get(column)
        d.add_name(get("NameAlias_WholeName"), get("NameAlias_FirstName"), get("NameAlias_MiddleName"),
                   get("NameAlias_LastName"), get("NameAlias_NameLanguage"), get("NameAlias_Strong") or "true")
        d.countries.add(get("Citizenship_CountryIso2Code"))
        d.countries.add(get("Address_CountryIso2Code"))
        d.add_birth(get("BirthDate_BirthDate"), get("BirthDate_Year"), get("BirthDate_Month"), get("BirthDate_Day"),
                    get("BirthDate_YearRangeFrom"), get("BirthDate_YearRangeTo"))
        d.add_identifier(get("Identification_Number") or get("Identification_LatinNumber"),
                         get("Identification_TypeCode"), get("Identification_TypeDescription"),
                         get("Identification_CountryIso2Code"))
        d.programs.append(get("Entity_Regulation_Programme"))
        d.regulation_dates.append(iso_date(get("Entity_Regulation_EntryIntoForceDate"))
                                  or iso_date(get("Entity_Regulation_PublicationDate")))
        d.remarks.append(clean(get("Entity_Remark")))
    entities = [d.entity() for d in drafts.values()]
    return ListData(source=SOURCE, format="eu-fsf-csv", entities=entities, list_date=list_date, files=[str(path)])
