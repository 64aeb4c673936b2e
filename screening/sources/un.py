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

The helpers shared by every parser are in `common`.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree.ElementTree import Element

from ..errors import SourceError
from ..model import Entity, Identifier
from . import ListData, SourceLimits
from .common import (  # noqa: F401 - country_code, guess_script, year_range: part of this module's tested surface
    AliasList,
    CountryList,
    check_count,
    clean,
    country_code,
    document_kind,
    guess_script,
    iso_date,
    read_head,
    split_spellings,
    unique,
    year_range,
)
from .xmlsafe import child_text, children, iter_elements, local

SOURCE = "un-sc"

_WEAK_QUALITIES = {"low", "very low"}


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
    split: list[int] = []  # spellings per ";"-joined alias
    for elem in iter_elements(path, {"INDIVIDUAL", "ENTITY", "CONSOLIDATED_LIST"}):
        tag = local(elem.tag)
        if tag == "CONSOLIDATED_LIST":
            list_date = iso_date(elem.get("dateGenerated", "")[:10]) or None
            continue
        count += 1
        entity = _entity(elem, tag, path, count, split)
        if entity.entity_id in seen:
            raise SourceError(
                f"{path}: <{tag}> #{count}: REFERENCE_NUMBER {entity.entity_id.split(':', 1)[1]} "
                f"repeats element #{seen[entity.entity_id]}"
            )
        seen[entity.entity_id] = count
        entities.append(entity)
        check_count(path, len(entities), limits)
    warnings = [f"{path}: {len(split)} names held several spellings (joined by ';', or a Latin name with its "
                f"original script in brackets): "
                f"split into {sum(split)} aliases"] if split else []
    return ListData(source=SOURCE, format="un-xml", entities=entities, list_date=list_date, files=[str(path)],
                    warnings=warnings)


def _entity(elem: Element, tag: str, path: Path, index: int, split: list[int]) -> Entity:
    ref = child_text(elem, "REFERENCE_NUMBER")
    where = f"{path}: <{tag}> #{index}" + (f" ({ref})" if ref else "")
    if not ref:
        raise SourceError(f"{where}: no REFERENCE_NUMBER")
    name = clean(" ".join(child_text(elem, f) for f in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")))
    name, *more_names = split_spellings(name) or [""]
    if more_names:
        split.append(1 + len(more_names))
    if not name:
        raise SourceError(f"{where}: no name (FIRST_NAME .. FOURTH_NAME are empty)")
    is_person = tag == "INDIVIDUAL"
    prefix = "INDIVIDUAL" if is_person else "ENTITY"

    aliases = AliasList(name)
    for other in more_names:
        aliases.add_any_script(other)
    dates: list[str] = []
    for node in children(elem, f"{prefix}_ALIAS"):
        quality = clean(child_text(node, "QUALITY")).lower()
        kind = "fka" if quality == "f.k.a." else "aka"
        # a few ALIAS_NAME values hold several spellings joined by ";" ("Azim Adhajani; Azim Agha-Jani") or a name
        # with its original script in brackets ("Jin Tiesan (金铁三)"): each is an alias of its own
        spellings = split_spellings(child_text(node, "ALIAS_NAME"), script_runs=True)
        if len(spellings) > 1:
            split.append(len(spellings))
        for spelling in spellings:
            aliases.add_any_script(spelling, kind=kind, weak=quality in _WEAK_QUALITIES)
        # a few aliases carry the date of birth used under that name
        dates.extend(d for d in [iso_date(child_text(node, "DATE_OF_BIRTH"))] if d)
    for node in children(elem, "NAME_ORIGINAL_SCRIPT"):
        for original in split_spellings(node.text or "", script_runs=True):
            aliases.add_any_script(original)

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

