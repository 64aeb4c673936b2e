"""OFAC lists: the SDN list and the Consolidated (non-SDN) list, legacy CSV and SDN XML.

Legacy CSV (no header row, ``-0-`` means empty, cp1252/Latin-1):

    sdn.csv       ent_num, name, type, program, title, call sign, vessel type, tonnage, GRT,
                  vessel flag, vessel owner, remarks
    alt.csv       ent_num, alt_num, alt_type, alt_name, remarks
    add.csv       ent_num, add_num, address, city/state/postal, country, remarks
    sdn_comments  ent_num, remarks continued (OFAC cuts remarks at 1,000 characters and
                  publishes the rest here; it is appended to the entity's remarks)

The Consolidated list uses the same layout in cons_prim/cons_alt/cons_add/cons_comments.csv.

Remarks carry most of the structured data: DOB, nationality, identifiers ("Passport A123
(Egypt)", "Vessel Registration Identification IMO 9187629", ...), and weak AKAs
("a.k.a. 'BNC'"). SDN XML (sdnList/sdnEntry) carries the same data in elements.

Persons are listed "LAST, First": the entity's name is "First LAST" and the listed form is
kept as an alias of kind "listed". Companies keep their commas.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from ..errors import SourceError
from ..model import Alias, Entity, Identifier
from . import ListData, SourceLimits
from .common import decode_text
from .common import ofac_country_code as country_code
from .xmlsafe import child_text, children, iter_elements, local, text

SDN_FILES = ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")
CONS_FILES = ("cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv")
XML_NAMES = ("sdn.xml",)

EMPTY = "-0-"
TYPES = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft", "": "company"}
XML_TYPES = {"individual": "person", "entity": "company", "vessel": "vessel", "aircraft": "aircraft"}
ALIAS_KINDS = {"aka": "aka", "fka": "fka", "nka": "nka", "a.k.a.": "aka", "f.k.a.": "fka", "n.k.a.": "nka"}
NAME_SUFFIXES = {"JR", "SR", "II", "III", "IV", "V"}
MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


# ---------------------------------------------------------------------------------------------
# Names, dates, programs.

def reorder_person(listed: str) -> str:
    """'LAST, First' -> 'First LAST'; 'DELOS REYES, Feliciano Semborio, Jr.' ->
    'Feliciano Semborio DELOS REYES Jr.'. Names without a comma are returned unchanged."""
    if "," not in listed:
        return listed
    parts = [p.strip() for p in listed.split(",")]
    last, rest = parts[0], [p for p in parts[1:] if p]
    if not last or not rest:
        return listed
    suffixes = [p for p in rest if p.rstrip(".").upper() in NAME_SUFFIXES]
    given = [p for p in rest if p.rstrip(".").upper() not in NAME_SUFFIXES]
    return " ".join([*given, last, *suffixes])


def _one_date(value: str) -> str | None:
    v = value.strip().strip(".")
    m = re.fullmatch(r"(\d{1,2}) ([A-Za-z]{3})[a-z]* (\d{4})", v)
    if m and m.group(2).lower() in MONTHS:
        return f"{m.group(3)}-{MONTHS[m.group(2).lower()]:02d}-{int(m.group(1)):02d}"
    m = re.fullmatch(r"([A-Za-z]{3})[a-z]* (\d{4})", v)
    if m and m.group(1).lower() in MONTHS:
        return f"{m.group(2)}-{MONTHS[m.group(1).lower()]:02d}"
    if re.fullmatch(r"\d{4}", v):
        return v
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", v)
    if m:
        return v
    m = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", v)  # the XML's MM/DD/YYYY
    if m:
        return f"{m.group(3)}-{m.group(1)}-{m.group(2)}"
    return None


def parse_dates(value: str) -> list[str]:
    """OFAC date text as ISO dates: '10 Dec 1948', 'Apr 1961', '1962', 'circa 1951',
    '1951 to 1953' (endpoints plus the years between), '1960-1962'."""
    v = value.strip().strip(".")
    v = re.sub(r"^(circa|approximately|about)\s+", "", v, flags=re.I)
    m = re.fullmatch(r"(.+?)\s*(?:\bto\b|-)\s*(.+)", v) if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) else None
    if m:
        start, end = _one_date(m.group(1)), _one_date(m.group(2))
        if start and end:
            out = [start]
            y0, y1 = int(start[:4]), int(end[:4])
            if 0 < y1 - y0 <= 10:
                out += [str(y) for y in range(y0 + 1, y1)]
            out.append(end)
            return out
    one = _one_date(v)
    return [one] if one else []


def split_programs(value: str) -> list[str]:
    return [p.strip(" []") for p in value.split("] [") if p.strip(" []")]


# ---------------------------------------------------------------------------------------------
# Identifiers, from remarks segments ("Passport A123 (Egypt)") and XML idList entries.

# OFAC label -> our kind. Matched as the longest label the segment starts with.
_ID_LABELS: dict[str, str] = {
    "Vessel Registration Identification": "IMO",
    "Identification Number IMO": "IMO",
    "Company Number IMO": "IMO",
    "International Maritime Organization No.": "IMO",
    "IMO": "IMO",
    "MMSI": "MMSI",
    "Other Vessel Call Sign": "Call Sign",
    "Call Sign": "Call Sign",
    "Aircraft Manufacturer's Serial Number (MSN)": "MSN",
    "Aircraft Serial Identification": "MSN",
    "Aircraft Construction Number (also called L/N or S/N or F/N)": "Aircraft Construction Number",
    "Aircraft Tail Number": "Aircraft Tail Number",
    "Previous Aircraft Tail Number": "Aircraft Tail Number",
    "Aircraft Mode S Transponder Code": "Aircraft Mode S Transponder Code",
    "Passport": "Passport",
    "Passport No.:": "Passport",
    "Passport No.": "Passport",
    "Passport Booklet:": "Passport",
    "Passport Booklet": "Passport",
    "Diplomatic Passport": "Diplomatic Passport",
    "British National Overseas Passport": "Passport",
    "Stateless Person Passport": "Passport",
    "Travel Document Number": "Travel Document Number",
    "National ID No.": "National ID No.",
    "National ID No.:": "National ID No.",
    "National Foreign ID Number": "National Foreign ID Number",
    "Personal ID Card": "Personal ID Card",
    "Identification Number": "Identification Number",
    "Cedula No.": "Cedula No.",
    "D.N.I.": "D.N.I.",
    "N.I.E.": "N.I.E.",
    "C.U.R.P.": "C.U.R.P.",
    "C.U.R.P. #": "C.U.R.P.",
    "C.U.I.P.": "C.U.I.P.",
    "C.U.I.": "C.U.I.",
    "C.U.I.T.": "C.U.I.T.",
    "I.F.E.": "I.F.E.",
    "Credencial electoral": "Credencial electoral",
    "Electoral Registry No.": "Electoral Registry No.",
    "Cartilla de Servicio Militar Nacional": "Cartilla de Servicio Militar Nacional",
    "Driver's License No.": "Driver's License No.",
    "SSN": "SSN",
    "Residency Number": "Residency Number",
    "Birth Certificate Number": "Birth Certificate Number",
    "Turkish Identification Number": "Turkish Identification Number",
    "Numero de Identidad": "Numero de Identidad",
    "Citizen's Card Number": "Citizen's Card Number",
    "Kenyan ID No.": "Kenyan ID No.",
    "Tazkira National ID Card": "Tazkira National ID Card",
    "Moroccan Personal ID No.": "Moroccan Personal ID No.",
    "Bosnian Personal ID No.": "Bosnian Personal ID No.",
    "Stateless Person ID Card": "Stateless Person ID Card",
    "Refugee ID Card": "Refugee ID Card",
    "CNP (Personal Numerical Code)": "CNP (Personal Numerical Code)",
    "UAE Identification": "UAE Identification",
    "Seafarer's Identification Document": "Seafarer's Identification Document",
    "Italian Fiscal Code": "Italian Fiscal Code",
    "Italian Fiscal Code:": "Italian Fiscal Code",
    "Fiscal Code": "Fiscal Code",
    "Immigration No.": "Immigration No.",
    "Public Security and Immigration No.": "Public Security and Immigration No.",
    "VisaNumberID": "VisaNumberID",
    "Pilot License Number": "Pilot License Number",
    "Tax ID No.": "Tax ID No.",
    "NIT #": "NIT #",
    "RUC #": "RUC #",
    "RIF #": "RIF #",
    "RTN": "RTN",
    "R.F.C.": "R.F.C.",
    "R.F.C. #": "R.F.C.",
    "RFC": "R.F.C.",
    "C.I.F.": "C.I.F.",
    "US FEIN": "US FEIN",
    "V.A.T. Number": "V.A.T. Number",
    "RSIN": "RSIN",
    "Romanian Tax Registration": "Romanian Tax Registration",
    "Numero Unico de Identificacao Tributaria (NUIT)": "NUIT",
    "Paraguayan tax identification number": "Paraguayan tax identification number",
    "Registration ID": "Registration ID",
    "Registration Number": "Registration Number",
    "Public Registration Number": "Public Registration Number",
    "Business Registration Number": "Business Registration Number",
    "Business Registration Document #": "Business Registration Document #",
    "Business Number": "Business Number",
    "Company Number": "Company Number",
    "UK Company Number": "UK Company Number",
    "Commercial Registry Number": "Commercial Registry Number",
    "Government Gazette Number": "Government Gazette Number",
    "Folio Mercantil No.": "Folio Mercantil No.",
    "Matricula Mercantil No": "Matricula Mercantil No",
    "C.R. No.": "C.R. No.",
    "Romanian C.R.": "C.R. No.",
    "Trade License No.": "Trade License No.",
    "Tourism License No.": "Tourism License No.",
    "Chamber of Commerce Number": "Chamber of Commerce Number",
    "Istanbul Chamber of Comm. No.": "Chamber of Commerce Number",
    "Dubai Chamber of Commerce Membership No.": "Chamber of Commerce Number",
    "Certificate of Incorporation Number": "Certificate of Incorporation Number",
    "Enterprise Number": "Enterprise Number",
    "Branch Unit Number": "Branch Unit Number",
    "Registered Charity No.": "Registered Charity No.",
    "Central Registration System Number": "Central Registration System Number",
    "Unified Social Credit Code (USCC)": "USCC",
    "United Social Credit Code Certificate (USCCC)": "USCC",
    "LE Number": "LE Number",
    "Legal Entity Number": "Legal Entity Number",
    "D-U-N-S Number": "D-U-N-S Number",
    "SWIFT/BIC": "SWIFT/BIC",
    "BIK (RU)": "BIK (RU)",
    "ISIN": "ISIN",
    "Identification Number ISIN:": "ISIN",
    "MSB Registration Number": "MSB Registration Number",
    "Afghan Money Service Provider License Number": "Afghan Money Service Provider License Number",
    "SRE Permit No.": "SRE Permit No.",
    "Digital Currency Address - XBT": "Digital Currency Address - XBT",
    "Digital Currency Address - ETH": "Digital Currency Address - ETH",
    "Digital Currency Address - LTC": "Digital Currency Address - LTC",
    "Digital Currency Address - BCH": "Digital Currency Address - BCH",
    "Digital Currency Address - BSV": "Digital Currency Address - BSV",
    "Digital Currency Address - BTG": "Digital Currency Address - BTG",
    "Digital Currency Address - DASH": "Digital Currency Address - DASH",
    "Digital Currency Address - ETC": "Digital Currency Address - ETC",
    "Digital Currency Address - XMR": "Digital Currency Address - XMR",
    "Digital Currency Address - XVG": "Digital Currency Address - XVG",
    "Digital Currency Address - ZEC": "Digital Currency Address - ZEC",
    "Digital Currency Address - USDT": "Digital Currency Address - USDT",
    "Digital Currency Address - TRX": "Digital Currency Address - TRX",
    "Digital Currency Address - XRP": "Digital Currency Address - XRP",
}
_LABELS_LONGEST_FIRST = sorted(_ID_LABELS, key=len, reverse=True)
_ID_LABELS_FOLDED = {k.casefold().rstrip(":"): v for k, v in _ID_LABELS.items()}
_TRAILER = re.compile(r"\s+(?:issued|expires|expired|expiration)\b.*$", re.I)
_PARENS = re.compile(r"\s*\(([^()]*)\)")


def _identifier(kind: str, rest: str, country: str | None = None) -> Identifier | None:
    """Build one identifier from the text after its label: 'A123 (Egypt) issued 2001' etc."""
    rest = _TRAILER.sub("", rest.strip()).strip()
    if kind == "IMO":
        m = re.search(r"\b(\d{7})\b", rest)
        return Identifier(kind="IMO", value=m.group(1)) if m else None
    if country is None:  # "(Egypt)"; other parentheses ("(Abogado)") are not looked up further
        for inner in reversed(_PARENS.findall(rest)):
            country = country_code(inner, full_index=False)
            if country:
                break
    value = _PARENS.sub("", rest).strip()
    value = value.split(", ")[0].strip().lstrip(":").strip().rstrip(",")
    if not any(ch.isalnum() for ch in value):
        return None
    return Identifier(kind=kind, value=value, country=country)


def identifier_from_segment(segment: str) -> Identifier | None:
    """'Passport A123 (Egypt)', 'Vessel Registration Identification IMO 9187629' -> Identifier."""
    for label in _LABELS_LONGEST_FIRST:
        if segment.startswith(label) and (len(segment) == len(label) or not segment[len(label)].isalnum()):
            rest = segment[len(label):]
            if not rest.strip():
                return None
            return _identifier(_ID_LABELS[label], rest)
    return None


def identifier_from_xml(id_type: str, number: str, country: str | None) -> Identifier | None:
    kind = _ID_LABELS_FOLDED.get(id_type.strip().casefold().rstrip(":").strip())
    if kind is None or not number.strip():
        return None
    return _identifier(kind, number, country_code(country) if country else None)


# ---------------------------------------------------------------------------------------------
# Remarks.

_AKA = re.compile(r"^([afn])\.k\.a\.\s+'(.*)'$", re.I)
_COUNTRY_FACT = re.compile(r"^(?:Nationality of Registration|nationality|citizen)\s+(.+)$", re.I)
_DATE_FACT = re.compile(r"^(?:DOB|Organization Established Date)\s+(.+)$")


@dataclass
class Facts:
    """What an entity's remarks (or XML children) say, beyond its names."""

    aliases: list[Alias] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)


def parse_remarks(remarks: str) -> Facts:
    facts = Facts()
    body = remarks.strip()
    if body.endswith("."):
        body = body[:-1]
    for raw in body.split(";"):
        seg = raw.strip()
        if seg[:5].lower() == "alt. ":
            seg = seg[5:].strip()
        if not seg:
            continue
        m = _AKA.match(seg)
        if m:
            name = m.group(2).strip()
            if name:
                facts.aliases.append(Alias(name=name, kind=f"{m.group(1).lower()}ka", weak=True))
            continue
        m = _DATE_FACT.match(seg)
        if m:
            facts.dates.extend(parse_dates(m.group(1)))
            continue
        m = _COUNTRY_FACT.match(seg)
        if m:
            code = country_code(m.group(1))
            if code:
                facts.countries.append(code)
            continue
        ident = identifier_from_segment(seg)
        if ident is not None:
            facts.identifiers.append(ident)
    return facts


# ---------------------------------------------------------------------------------------------
# Building entities.

def _person_names(listed: str, kind: str, weak: bool) -> list[Alias]:
    """A person's alias in both forms: reordered (as given kind) and as listed (kind 'listed')."""
    reordered = reorder_person(listed)
    out = [Alias(name=reordered, kind=kind, weak=weak)]
    if reordered != listed:
        out.append(Alias(name=listed, kind="listed", weak=weak))
    return out


def _unique(items: list) -> list:
    seen: set = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


@dataclass
class _Draft:
    ent_num: str
    listed_name: str
    type: str
    programs: list[str]
    remarks: str = ""
    call_sign: str = ""
    flag: str = ""
    # (listed name, kind, weak)
    alt_names: list[tuple[str, str, bool]] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)  # first-hand: nationality, flag, addresses
    dates: list[str] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)


def _build(source: str, d: _Draft) -> Entity:
    facts = parse_remarks(d.remarks) if d.remarks else Facts()
    is_person = d.type == "person"
    name = reorder_person(d.listed_name) if is_person else d.listed_name
    aliases: list[Alias] = []
    if is_person and name != d.listed_name:
        aliases.append(Alias(name=d.listed_name, kind="listed"))
    alt = [*d.alt_names, *((a.name, a.kind, a.weak) for a in facts.aliases)]
    for alt_name, kind, weak in alt:
        if is_person:
            aliases.extend(_person_names(alt_name, kind, weak))
        else:
            aliases.append(Alias(name=alt_name, kind=kind, weak=weak))
    seen_names = {name}
    unique_aliases = []
    for a in aliases:
        if a.name not in seen_names:
            seen_names.add(a.name)
            unique_aliases.append(a)

    identifiers = list(d.identifiers)
    if d.call_sign:
        m = re.search(r"\bIMO\s*(\d{7})\b", d.call_sign)
        identifiers.append(Identifier(kind="IMO", value=m.group(1)) if m else
                           Identifier(kind="Call Sign", value=d.call_sign))
    identifiers.extend(facts.identifiers)
    countries = []
    flag = country_code(d.flag) if d.flag else None
    if flag:
        countries.append(flag)
    countries += facts.countries + d.countries
    return Entity(
        entity_id=f"{source}:{d.ent_num}",
        source=source,
        name=name,
        aliases=unique_aliases,
        type=d.type,  # type: ignore[arg-type]
        countries=_unique(countries),
        dates=_unique(d.dates + facts.dates),
        identifiers=_unique(identifiers),
        programs=d.programs,
        remarks=d.remarks or None,
    )


# ---------------------------------------------------------------------------------------------
# Legacy CSV.

def _field(value: str) -> str:
    v = value.strip()
    return "" if v == EMPTY else v


def _rows(path: Path, ncols: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) for each row; '-0-' already blanked. Wrong width -> SourceError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    text_ = decode_text(data.rstrip(b"\x1a\r\n"))  # OFAC files end with a DOS end-of-file (Ctrl-Z)
    reader = csv.reader(io.StringIO(text_, newline=""))
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip("\x1a \t")):
                continue
            if len(row) != ncols:
                raise SourceError(
                    f"{path}: line {reader.line_num}: expected {ncols} columns, found {len(row)}"
                )
            yield reader.line_num, [_field(v) for v in row]
    except csv.Error as exc:
        raise SourceError(f"{path}: line {reader.line_num}: malformed CSV ({exc})") from exc


def _ent_num(path: Path, line: int, value: str) -> str:
    if not value.isdigit():
        raise SourceError(f"{path}: line {line}: bad ent_num {value!r} (expected a number)")
    return str(int(value))


def _find(folder: Path, name: str) -> Path | None:
    """The file `name` in `folder`, matched case-insensitively (OFAC has used SDN.CSV too)."""
    exact = folder / name
    if exact.is_file():
        return exact
    try:
        for p in folder.iterdir():
            if p.name.lower() == name and p.is_file():
                return p
    except OSError:
        return None
    return None


def _check_size(path: Path, limits: SourceLimits) -> None:
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise SourceError(f"{path}: file is {size} bytes (limit {limits.max_file_bytes})")


def _parse_legacy(path: Path, names: tuple[str, str, str, str], source: str, fmt: str,
                  limits: SourceLimits) -> ListData:
    path = Path(path)
    if path.is_dir():
        folder = path
        main = _find(folder, names[0])
        if main is None:
            raise SourceError(f"{path}: no {names[0]} in this folder")
    elif path.is_file():
        folder, main = path.parent, path
    else:
        raise SourceError(f"{path}: no such file or folder")
    alt, add, comments = (_find(folder, n) for n in names[1:])
    files = [p for p in (main, alt, add, comments) if p is not None]
    for f in files:
        _check_size(f, limits)

    drafts: dict[str, _Draft] = {}
    for line, row in _rows(main, 12):
        ent = _ent_num(main, line, row[0])
        if ent in drafts:
            raise SourceError(f"{main}: line {line}: ent_num {ent} listed twice")
        kind = row[2].lower()
        if kind not in TYPES:
            raise SourceError(f"{main}: line {line}: unknown entity type {row[2]!r}")
        if not row[1]:
            raise SourceError(f"{main}: line {line}: entity {ent} has no name")
        drafts[ent] = _Draft(
            ent_num=ent, listed_name=row[1], type=TYPES[kind], programs=split_programs(row[3]),
            remarks=row[11], call_sign=row[5], flag=row[9],
        )
        if len(drafts) > limits.max_entities:
            raise SourceError(f"{main}: more than {limits.max_entities} entities (limit)")

    if comments is not None:
        for line, row in _rows(comments, 2):
            d = drafts.get(_ent_num(comments, line, row[0]))
            if d is not None and row[1]:
                d.remarks += row[1]  # continuation of a remarks field cut at 1,000 characters
    if alt is not None:
        for line, row in _rows(alt, 5):
            d = drafts.get(_ent_num(alt, line, row[0]))
            if d is None or not row[3]:
                continue
            kind = ALIAS_KINDS.get(row[2].lower(), "aka")
            d.alt_names.append((row[3], kind, False))
    if add is not None:
        for line, row in _rows(add, 6):
            d = drafts.get(_ent_num(add, line, row[0]))
            if d is None:
                continue
            code = country_code(row[4]) if row[4] else None
            if code:
                d.countries.append(code)

    entities = [_build(source, d) for d in drafts.values()]
    absent = [n for n, f in zip(names[1:], (alt, add, comments), strict=True) if f is None]
    warnings = [f"{main}: no {n} beside it: {_LOST[i]}" for i, n in enumerate(names[1:]) if n in absent]
    missing = [n for n in absent if n != names[3]]  # without alias or address file the list is partial
    return ListData(source=source, format=fmt, entities=entities, list_date=None,
                    files=[str(f) for f in files], sequence=max((int(k) for k in drafts), default=None),
                    warnings=warnings, missing=missing)


# What a legacy CSV loses without each companion file (alt, add, comments), for the import's warning.
_LOST = ("every name that only an alias carries is missing (only the a.k.a.s inside remarks are kept)",
         "addresses, and the countries they give, are missing",
         "remarks cut at 1,000 characters stay cut (dates, identifiers and a.k.a.s past the cut are missing)")


def parse_sdn_csv(path: Path, *, limits: SourceLimits | None = None) -> ListData:
    """OFAC SDN legacy CSV: a folder holding sdn.csv (+ alt.csv, add.csv, sdn_comments.csv),
    or the sdn.csv file itself with its companions beside it."""
    return _parse_legacy(Path(path), SDN_FILES, "ofac-sdn", "ofac-csv", limits or SourceLimits())


def parse_cons_csv(path: Path, *, limits: SourceLimits | None = None) -> ListData:
    """OFAC Consolidated (non-SDN) legacy CSV: cons_prim.csv (+ cons_alt/cons_add/cons_comments)."""
    return _parse_legacy(Path(path), CONS_FILES, "ofac-cons", "ofac-cons-csv", limits or SourceLimits())


# ---------------------------------------------------------------------------------------------
# SDN XML.

def _child(elem: Element, name: str) -> Element | None:
    for c in elem:
        if local(c.tag) == name:
            return c
    return None


def _list_items(elem: Element, list_name: str, item_name: str) -> list[Element]:
    lst = _child(elem, list_name)
    return children(lst, item_name) if lst is not None else []


def _xml_entry(path: Path, index: int, e: Element) -> _Draft:
    uid = child_text(e, "uid")
    if not uid.isdigit():
        raise SourceError(f"{path}: sdnEntry #{index}: missing or bad uid {uid!r}")
    sdn_type = child_text(e, "sdnType").lower()
    if sdn_type not in XML_TYPES:
        raise SourceError(f"{path}: sdnEntry #{index} (uid {uid}): unknown sdnType {sdn_type!r}")
    etype = XML_TYPES[sdn_type]
    last, first = child_text(e, "lastName"), child_text(e, "firstName")
    if not last and not first:
        raise SourceError(f"{path}: sdnEntry #{index} (uid {uid}): no name")
    listed = f"{last}, {first}" if last and first else (last or first)
    d = _Draft(
        ent_num=str(int(uid)), listed_name=listed, type=etype,
        programs=[text(p) for p in _list_items(e, "programList", "program") if text(p)],
        remarks=child_text(e, "remarks"),
    )
    for aka in _list_items(e, "akaList", "aka"):
        a_last, a_first = child_text(aka, "lastName"), child_text(aka, "firstName")
        a_listed = f"{a_last}, {a_first}" if a_last and a_first else (a_last or a_first)
        if not a_listed:
            continue
        kind = ALIAS_KINDS.get(child_text(aka, "type").lower(), "aka")
        weak = child_text(aka, "category").lower() == "weak"
        d.alt_names.append((a_listed, kind, weak))
    for item in _list_items(e, "dateOfBirthList", "dateOfBirthItem"):
        d.dates.extend(parse_dates(child_text(item, "dateOfBirth")))
    for list_name, item_name in (("nationalityList", "nationality"), ("citizenshipList", "citizenship"),
                                 ("addressList", "address")):
        for item in _list_items(e, list_name, item_name):
            code = country_code(child_text(item, "country"))
            if code:
                d.countries.append(code)
    for item in _list_items(e, "idList", "id"):
        id_type, number = child_text(item, "idType"), child_text(item, "idNumber")
        if id_type.lower() == "organization established date":
            d.dates.extend(parse_dates(number))
            continue
        if id_type.lower() in ("nationality of registration", "nationality", "citizenship"):
            code = country_code(number or child_text(item, "idCountry"))
            if code:
                d.countries.append(code)
            continue
        ident = identifier_from_xml(id_type, number, child_text(item, "idCountry") or None)
        if ident is not None:
            d.identifiers.append(ident)
    vessel = _child(e, "vesselInfo")
    if vessel is not None:
        d.call_sign = child_text(vessel, "callSign")
        d.flag = child_text(vessel, "vesselFlag")
    return d


def _xml_root(path: Path) -> str | None:
    """Local name of the root element, read from the first few KB."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        s = head.decode("utf-16", errors="ignore")
    else:
        s = head.decode("utf-8", errors="ignore")
    s = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", "", s, flags=re.S)
    m = re.search(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)", s)
    return m.group(2) if m else None


def parse_sdn_xml(path: Path, *, limits: SourceLimits | None = None) -> ListData:
    """The published SDN.XML (sdnList root; any namespace). A folder holding sdn.xml works too."""
    limits = limits or SourceLimits()
    path = Path(path)
    if path.is_dir():
        found = next((p for n in XML_NAMES if (p := _find(path, n)) is not None), None)
        if found is None:
            raise SourceError(f"{path}: no sdn.xml in this folder")
        path = found
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    _check_size(path, limits)
    root = _xml_root(path)
    if root != "sdnList":
        raise SourceError(f"{path}: not an OFAC SDN XML file (root element {root!r}, expected 'sdnList')")
    drafts: list[_Draft] = []
    seen: set[str] = set()
    list_date: str | None = None
    for elem in iter_elements(path, {"sdnEntry", "publshInformation", "publishInformation"}):
        if local(elem.tag) != "sdnEntry":
            published = child_text(elem, "Publish_Date")
            list_date = _one_date(published) if published else None
            continue
        d = _xml_entry(path, len(drafts) + 1, elem)
        if d.ent_num in seen:
            raise SourceError(f"{path}: sdnEntry #{len(drafts) + 1}: uid {d.ent_num} listed twice")
        seen.add(d.ent_num)
        drafts.append(d)
        if len(drafts) > limits.max_entities:
            raise SourceError(f"{path}: more than {limits.max_entities} entities (limit)")
    entities = [_build("ofac-sdn", d) for d in drafts]
    return ListData(source="ofac-sdn", format="ofac-xml", entities=entities, list_date=list_date,
                    sequence=max((int(d.ent_num) for d in drafts if d.ent_num.isdigit()), default=None),
                    files=[str(path)])


# ---------------------------------------------------------------------------------------------
# Detection.

def _looks_legacy(path: Path) -> bool:
    """First row of an OFAC legacy CSV: a number, then a quoted name (cheap: reads 2 KB)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2048)
    except OSError:
        return False
    first = head.split(b"\n", 1)[0]
    return re.match(rb'^\s*\d+\s*,\s*"', first) is not None


def sniff(path: Path) -> str | None:
    path = Path(path)
    try:
        if path.is_dir():
            if _find(path, "sdn.csv"):
                return "ofac-csv"
            if _find(path, "cons_prim.csv"):
                return "ofac-cons-csv"
            xml = _find(path, "sdn.xml")
            if xml is not None and _xml_root(xml) == "sdnList":
                return "ofac-xml"
            return None
        if not path.is_file():
            return None
        name = path.name.lower()
        if name == "sdn.csv" and _looks_legacy(path):
            return "ofac-csv"
        if name == "cons_prim.csv" and _looks_legacy(path):
            return "ofac-cons-csv"
        if name.endswith(".xml") or name.endswith(".xml.txt") or not name.endswith(".csv"):
            if _xml_root(path) == "sdnList":
                return "ofac-xml"
    except OSError:
        return None
    return None
