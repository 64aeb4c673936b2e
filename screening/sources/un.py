"""UN Security Council Consolidated List (XML) -> `Entity` records.

One `<INDIVIDUAL>` or `<ENTITY>` element is one entity, `entity_id` "un-sc:<REFERENCE_NUMBER>"
(e.g. "un-sc:IQi.001"). Mapping:

    FIRST_NAME .. FOURTH_NAME           name, joined in the UN's own order
    INDIVIDUAL_ALIAS / ENTITY_ALIAS     aliases; QUALITY "Low"/"Very Low" -> weak, "f.k.a." -> kind fka,
                                        "Good"/"a.k.a."/empty -> strong aka
    NAME_ORIGINAL_SCRIPT                Alias(kind="script", script=<ISO 15924 guessed from the letters>)
    NATIONALITY/VALUE, *_ADDRESS/COUNTRY  countries (ISO alpha-2 via rigour.territories)
    INDIVIDUAL_DATE_OF_BIRTH            dates: DATE, YEAR, or every year FROM_YEAR..TO_YEAR
    INDIVIDUAL_DOCUMENT                 identifiers (TYPE_OF_DOCUMENT, NUMBER, ISSUING_COUNTRY)
    UN_LIST_TYPE                        programs
    LISTED_ON, COMMENTS1                listed_on, remarks

The second half of this module holds small helpers shared by the other list parsers
(country codes, script guessing, partial dates, strict CSV reading).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from xml.etree.ElementTree import Element

from rigour.territories import lookup_territory
from rigour.text.scripts import codepoint_script

from ..errors import SourceError
from ..model import Alias, Entity, Identifier
from . import ListData, SourceLimits
from .xmlsafe import child_text, children, iter_elements, local

SOURCE = "un-sc"

_WEAK_QUALITIES = {"low", "very low"}
_MAX_YEAR_SPAN = 15  # a FROM_YEAR..TO_YEAR range wider than this keeps only its two ends


def sniff(path: Path) -> str | None:
    head = read_head(path)
    if head is not None and "<CONSOLIDATED_LIST" in head:
        return "un-xml"
    return None


def parse_xml(path: Path, *, limits: SourceLimits) -> ListData:
    path = Path(path)
    entities: list[Entity] = []
    seen: dict[str, int] = {}
    list_date: str | None = None
    count = 0
    for elem in iter_elements(path, {"INDIVIDUAL", "ENTITY", "CONSOLIDATED_LIST"}):
        tag = local(elem.tag)
        if tag == "CONSOLIDATED_LIST":
            list_date = iso_date(elem.get("dateGenerated", "")[:10]) or None
            continue
        count += 1
        entity = _entity(elem, tag, path, count)
        if entity.entity_id in seen:
            raise SourceError(
                f"{path}: <{tag}> #{count}: REFERENCE_NUMBER {entity.entity_id.split(':', 1)[1]} "
                f"repeats element #{seen[entity.entity_id]}"
            )
        seen[entity.entity_id] = count
        entities.append(entity)
        check_count(path, len(entities), limits)
    return ListData(source=SOURCE, format="un-xml", entities=entities, list_date=list_date, files=[str(path)])


def _entity(elem: Element, tag: str, path: Path, index: int) -> Entity:
    ref = child_text(elem, "REFERENCE_NUMBER")
    where = f"{path}: <{tag}> #{index}" + (f" ({ref})" if ref else "")
    if not ref:
        raise SourceError(f"{where}: no REFERENCE_NUMBER")
    name = clean(" ".join(child_text(elem, f) for f in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")))
    if not name:
        raise SourceError(f"{where}: no name (FIRST_NAME .. FOURTH_NAME are empty)")
    is_person = tag == "INDIVIDUAL"
    prefix = "INDIVIDUAL" if is_person else "ENTITY"

    aliases = AliasList(name)
    dates: list[str] = []
    for node in children(elem, f"{prefix}_ALIAS"):
        quality = clean(child_text(node, "QUALITY")).lower()
        kind = "fka" if quality == "f.k.a." else "aka"
        aliases.add(child_text(node, "ALIAS_NAME"), kind=kind, weak=quality in _WEAK_QUALITIES)
        # a few aliases carry the date of birth used under that name
        dates.extend(d for d in [iso_date(child_text(node, "DATE_OF_BIRTH"))] if d)
    for node in children(elem, "NAME_ORIGINAL_SCRIPT"):
        original = clean(node.text or "")
        aliases.add(original, kind="script", script=guess_script(original))

    countries = CountryList()
    for nat in children(elem, "NATIONALITY"):
        for value in children(nat, "VALUE"):
            countries.add(value.text)
    for addr in children(elem, f"{prefix}_ADDRESS"):
        countries.add(child_text(addr, "COUNTRY"))

    for dob in children(elem, "INDIVIDUAL_DATE_OF_BIRTH"):
        dates.extend(_dob(dob))

    identifiers: list[Identifier] = []
    for doc in children(elem, "INDIVIDUAL_DOCUMENT"):
        number = clean(child_text(doc, "NUMBER"))
        if not number:
            continue
        kind = document_kind(child_text(doc, "TYPE_OF_DOCUMENT") or child_text(doc, "TYPE_OF_DOCUMENT2"))
        country = country_code(child_text(doc, "ISSUING_COUNTRY") or child_text(doc, "COUNTRY_OF_ISSUE"))
        identifiers.append(Identifier(kind=kind, value=number, country=country))

    program = clean(child_text(elem, "UN_LIST_TYPE"))
    return Entity(
        entity_id=f"{SOURCE}:{ref}",
        source=SOURCE,
        name=name,
        aliases=aliases.items,
        type="person" if is_person else "company",
        countries=countries.items,
        dates=unique(dates),
        identifiers=unique(identifiers),
        programs=[program] if program else [],
        listed_on=iso_date(child_text(elem, "LISTED_ON")) or None,
        remarks=child_text(elem, "COMMENTS1") or None,
    )


def _dob(node: Element) -> list[str]:
    date = iso_date(child_text(node, "DATE"))
    if date:
        return [date]
    year = child_text(node, "YEAR")
    if re.fullmatch(r"\d{4}", year):
        return [year]
    return year_range(child_text(node, "FROM_YEAR"), child_text(node, "TO_YEAR"))


# ---------------------------------------------------------------------------------------------
# Helpers shared by the list parsers (eu, uk, opensanctions, custom import them from here).
# ---------------------------------------------------------------------------------------------

_NULL_VALUES = {"", "-", "na", "n/a", "n.a.", "none", "unknown", "00", "zz", "xx"}

# rigour's Unicode script names -> ISO 15924 codes
_SCRIPT_CODES = {
    "Latin": "Latn", "Cyrillic": "Cyrl", "Arabic": "Arab", "Han": "Hani", "Hangul": "Hang",
    "Hiragana": "Jpan", "Katakana": "Jpan", "Greek": "Grek", "Hebrew": "Hebr", "Armenian": "Armn",
    "Georgian": "Geor", "Thai": "Thai", "Devanagari": "Deva", "Bengali": "Beng", "Ethiopic": "Ethi",
    "Myanmar": "Mymr", "Khmer": "Khmr", "Tamil": "Taml", "Syriac": "Syrc", "Thaana": "Thaa",
    "Sinhala": "Sinh", "Lao": "Laoo", "Tibetan": "Tibt", "Mongolian": "Mong", "Gujarati": "Gujr",
    "Gurmukhi": "Guru", "Telugu": "Telu", "Kannada": "Knda", "Malayalam": "Mlym", "Oriya": "Orya",
}

_DOC_KINDS = {
    "passport": "Passport",
    "national passport": "Passport",
    "numéro de passeport": "Passport",
    "número de pasaporte": "Passport",
    "national identification number": "National ID",
    "national identification": "National ID",
    "national id": "National ID",
    "id": "National ID",
    "tax": "Tax ID",
    "tax id": "Tax ID",
}


def clean(value: str | None) -> str:
    """Collapse runs of whitespace; None -> ''."""
    return " ".join(value.split()) if value else ""


def unique(values: Iterable):
    """Values in first-seen order without repeats (and without empty strings)."""
    return list(dict.fromkeys(v for v in values if v not in ("", None)))


@lru_cache(maxsize=4096)
def country_code(value: str | None) -> str | None:
    """A country name or code ("Russian Federation", "ru", "GBR") -> ISO alpha-2 ("RU"), else None.

    Uses rigour.territories. Sub-national territories map to their country; historic ones
    without an alpha-2 code (former Soviet Union) and "unknown" markers give None.
    """
    text = clean(value)
    if text.lower() in _NULL_VALUES:
        return None
    territory = lookup_territory(text)
    while territory is not None and len(territory.code) != 2:
        territory = territory.parent
    if territory is None or territory.code in ("zz", "xx"):
        return None
    return territory.code.upper()


class CountryList:
    """Ordered, de-duplicated ISO alpha-2 codes; values that name no country are dropped."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, value: str | None) -> str | None:
        code = country_code(value)
        if code and code not in self.items:
            self.items.append(code)
        return code


def guess_script(text: str) -> str | None:
    """ISO 15924 code of the main non-Latin script of `text` ("Arab", "Cyrl", "Hani"...), "Latn"
    for Latin-only text, None when it has no letters."""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            script = codepoint_script(ord(char))
            if script and script not in ("Common", "Inherited"):
                counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    if counts.keys() & {"Hiragana", "Katakana"}:
        return "Jpan"
    if "Hangul" in counts and "Han" in counts:
        return "Kore"
    others = {k: v for k, v in counts.items() if k != "Latin"}
    if not others:
        return "Latn"
    best = max(others, key=lambda k: others[k])
    return _SCRIPT_CODES.get(best, best[:4].title())


class AliasList:
    """Collects aliases in listed order: skips empties, the primary name and exact repeats."""

    def __init__(self, primary: str) -> None:
        self.primary = primary
        self.items: list[Alias] = []
        self._seen: set[tuple[str, str, bool]] = set()

    def add(self, name: str | None, *, kind: str = "aka", weak: bool = False, script: str | None = None) -> None:
        name = clean(name)
        if not name or name == self.primary:
            return
        key = (name, kind, weak)
        if key in self._seen:
            return
        self._seen.add(key)
        self.items.append(Alias(name=name, kind=kind, weak=weak, script=script))

    def add_any_script(self, name: str | None, *, kind: str = "aka", weak: bool = False) -> None:
        """Add a name; non-Latin names become kind="script" with their script code."""
        name = clean(name)
        script = guess_script(name)
        if script not in ("Latn", None):
            self.add(name, kind="script", weak=weak, script=script)
        else:
            self.add(name, kind=kind, weak=weak)


def document_kind(label: str | None) -> str:
    """A document type as a list prints it -> our identifier kind ("Passport", "National ID"...)."""
    text = clean(label)
    return _DOC_KINDS.get(text.lower(), text or "ID")


_DMY = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def iso_date(value: str | None, *, dmy: bool = True) -> str:
    """'2012-12-31' / '2012' / '31/12/2012' / '00/00/1959' (unknown day, month) -> ISO, possibly
    partial ('1959', '1959-05'); '' when the text is no date. Time parts are dropped."""
    text = clean(value)
    if not text:
        return ""
    m = _ISO.fullmatch(text[:10]) if len(text) >= 4 and text[:4].isdigit() else None
    if m:
        year, month, day = m.groups()
        if month in (None, "00"):
            return year
        if day in (None, "00"):
            return f"{year}-{month}"
        return f"{year}-{month}-{day}"
    m = _DMY.fullmatch(text) if dmy else None
    if m:
        day, month, year = (int(x) for x in m.groups())
        if year == 0:
            return ""
        if month == 0:
            return f"{year:04d}"
        if day == 0:
            return f"{year:04d}-{month:02d}"
        return f"{year:04d}-{month:02d}-{day:02d}"
    return ""


def year_range(start: str | None, end: str | None) -> list[str]:
    """Every year from `start` to `end` (a wide span keeps only its two ends)."""
    start, end = clean(start), clean(end)
    years = [y for y in (start, end) if re.fullmatch(r"\d{4}", y)]
    if len(years) != 2:
        return years
    lo, hi = sorted(int(y) for y in years)
    if hi - lo > _MAX_YEAR_SPAN:
        return [str(lo), str(hi)]
    return [str(y) for y in range(lo, hi + 1)]


def check_count(path: Path, count: int, limits: SourceLimits) -> None:
    if count > limits.max_entities:
        raise SourceError(f"{path}: more than {limits.max_entities} entities (limit)")


def read_head(path: Path, size: int = 4096) -> str | None:
    """The first `size` bytes of a file as text (BOM dropped), or None for folders/unreadable files."""
    try:
        if not Path(path).is_file():
            return None
        with open(path, "rb") as fh:
            raw = fh.read(size)
    except OSError:
        return None
    return raw.decode("utf-8-sig", errors="replace")


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' unless the first 1 MB is not UTF-8, then 'cp1252' (Excel's usual export)."""
    with open(path, "rb") as fh:
        raw = fh.read(1 << 20)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 4:  # not merely a character cut by the 1 MB window
            return "cp1252"
    return "utf-8-sig"


def read_csv(path: Path, *, delimiter: str = ",", encoding: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) for each non-blank record of a CSV file, header included.

    Strict: an unterminated quote (a truncated file), a NUL byte or undecodable bytes raise
    SourceError naming the file and line.
    """
    encoding = encoding or detect_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter, strict=True)
            line = 0
            try:
                for fields in reader:
                    start, line = line + 1, reader.line_num
                    if any("\x00" in f for f in fields):
                        raise SourceError(f"{path}: line {start}: NUL byte (a binary or corrupt file, not CSV text)")
                    if any(f.strip() for f in fields):
                        yield start, fields
            except csv.Error as exc:
                raise SourceError(f"{path}: malformed or truncated CSV at line {reader.line_num}: {exc}") from exc
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"{path}: bytes that are not {encoding} text after line {line}: {exc.reason}"
                ) from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot read file: {exc}") from exc


def split_multi(value: str | None, sep: str = ";") -> list[str]:
    return [v for v in (clean(x) for x in (value or "").split(sep)) if v]
