"""FollowTheMoney (yente's data model) onto our queries, and our entities and hits back onto FtM: pure mapping, no I/O.

yente clients send an entity "example" per query (`{"schema": "Company", "properties": {"name": [...],
"jurisdiction": ["hk"], "registrationNumber": [...]}}`). `plan_query` turns one into the `Query`
records our service screens: one per name (name, alias, previousName, or the name parts combined),
and per country when several are given (a listed country matching any of them counts), each with the
schema's entity type, the first date of birth or incorporation and every identifier. `merge_hits`
folds the sub-queries' hits back into one result per entity (its best score), and `entity_to_ftm` /
`hit_to_ftm` render our entities in yente's `EntityResponse` shape.

The facts about FtM (schema names, which are matchable, property names and labels) are from the
FollowTheMoney model as yente serves it; nothing here imports followthemoney.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rigour.territories import lookup_territory

from .errors import InputError
from .model import Entity
from .normalise import normalise
from .service import Hit, Listing, Query

# ---- schemata ------------------------------------------------------------------------------------

# FtM schema -> (our entity types it can match, plural label, description). None means every type.
MATCHABLE: dict[str, tuple[tuple[str, ...] | None, str, str]] = {
    "Thing": (None, "Things", "Anything: every listed entity"),
    "LegalEntity": (("person", "company"), "Legal entities",
                    "Any party to legal proceedings, such as asset ownership, corporate governance or social interactions"),
    "Person": (("person",), "People", "A natural person, as opposed to a corporation of some type"),
    "Organization": (("company",), "Organizations", "Any type of incorporated entity"),
    "Company": (("company",), "Companies", "A corporation, usually for profit"),
    "PublicBody": (("company",), "Public bodies", "A public body, such as a ministry, department or state company"),
    "Vehicle": (("vessel", "aircraft"), "Vehicles", "A vehicle"),
    "Vessel": (("vessel",), "Vessels", "A boat or ship"),
    "Airplane": (("aircraft",), "Airplanes", "An airplane, helicopter or other flying vehicle"),
    # matchable in FtM, but our lists hold none of them: a valid query with no results
    "Address": ((), "Addresses", "A location associated with an entity"),
    "BankAccount": ((), "Bank accounts", "An account held at a bank"),
    "CryptoWallet": ((), "Cryptocurrency wallets", "A cryptocurrency wallet"),
    "Position": ((), "Positions", "A post, role or position within an organization or body"),
    "Security": ((), "Securities", "A tradeable financial asset"),
    "Territory": ((), "Territories", "A country, subnational division or other administrative area"),
    "UserAccount": ((), "User accounts", "An account on a website or service"),
}
NOT_MATCHABLE = frozenset({
    "Analyzable", "Article", "Asset", "Associate", "Audio", "Call", "CallForTenders", "Contract", "ContractAward",
    "Control", "CourtCase", "CourtCaseParty", "Debt", "Directorship", "Document", "Documentation",
    "EconomicActivity", "Email", "Employment", "Event", "Family", "Folder", "HyperText", "Identification", "Image",
    "Interest", "Interval", "License", "Membership", "Mention", "Message", "Note", "Occupancy", "Ownership",
    "Package", "Page", "Pages", "Passport", "Payment", "PlainText", "Project", "ProjectParticipant", "RealEstate",
    "Representation", "Risk", "Sanction", "Similar", "Succession", "Table", "TaxRoll", "Trip", "UnknownLink",
    "Value", "Video", "Workbook",
})
# What our entity types are in FtM, and the schemata each type's entities can be returned for.
TYPE_SCHEMA = {"person": "Person", "company": "Company", "vessel": "Vessel", "aircraft": "Airplane"}
# The schemata offered to OpenRefine (reconciliation defaultTypes and type suggestions).
RECONCILE_TYPES = ("LegalEntity", "Person", "Company", "Organization", "PublicBody", "Vessel", "Airplane")

# ---- properties ----------------------------------------------------------------------------------

NAME_PROPS = ("name", "alias", "previousName")
NAME_PART_PROPS = ("firstName", "secondName", "middleName", "fatherName", "lastName")
COUNTRY_PROPS = ("country", "jurisdiction", "nationality", "citizenship", "mainCountry", "flag", "birthCountry")
DATE_PROPS = ("birthDate", "incorporationDate")
# FtM identifier property -> the kind our importers give that identifier
IDENTIFIER_PROPS = {
    "registrationNumber": "Registration", "imoNumber": "IMO", "innCode": "INN", "ogrnCode": "OGRN",
    "leiCode": "LEI", "swiftBic": "SWIFT/BIC", "taxNumber": "Tax ID", "vatCode": "VAT", "okpoCode": "OKPO",
    "idNumber": "National ID", "passportNumber": "Passport", "mmsi": "MMSI", "icaoCode": "ICAO",
    "uniqueEntityId": "UEI", "dunsCode": "DUNS", "bikCode": "BIK", "permId": "PermID", "callSign": "Call sign",
}
# Property labels, for the reconciliation property suggestions (pid -> label).
PROPERTY_LABELS = {
    "name": "Name", "alias": "Other name", "previousName": "Previous name", "weakAlias": "Weak alias",
    "firstName": "First name", "middleName": "Middle name", "lastName": "Last name", "fatherName": "Patronymic",
    "secondName": "Second name", "country": "Country", "jurisdiction": "Jurisdiction", "nationality": "Nationality",
    "citizenship": "Citizenship", "flag": "Flag", "birthDate": "Birth date", "incorporationDate": "Incorporation date",
    "registrationNumber": "Registration number", "imoNumber": "IMO number", "innCode": "INN", "ogrnCode": "OGRN",
    "leiCode": "LEI", "swiftBic": "SWIFT/BIC", "taxNumber": "Tax number", "vatCode": "VAT number",
    "okpoCode": "OKPO", "idNumber": "ID number", "passportNumber": "Passport number", "mmsi": "MMSI",
    "icaoCode": "ICAO aircraft type designator", "uniqueEntityId": "Unique Entity ID", "callSign": "Call sign",
    "mainCountry": "Country of origin", "birthCountry": "Country of birth", "dunsCode": "DUNS",
    "bikCode": "Russian bank ID", "permId": "PermID", "programId": "Program ID", "topics": "Topics",
    "notes": "Notes", "summary": "Summary", "sourceUrl": "Source link", "createdAt": "Created at",
}
# Where FtM defines each property a query may give: reconciliation property ids are "Schema:property".
PROPERTY_SCHEMA = {
    "name": "Thing", "alias": "Thing", "previousName": "Thing", "country": "Thing", "firstName": "Person",
    "secondName": "Person", "middleName": "Person", "fatherName": "Person", "lastName": "Person",
    "nationality": "Person", "citizenship": "Person", "birthCountry": "Person", "birthDate": "Person",
    "passportNumber": "Person", "jurisdiction": "LegalEntity", "mainCountry": "LegalEntity",
    "incorporationDate": "LegalEntity", "registrationNumber": "LegalEntity", "innCode": "LegalEntity",
    "ogrnCode": "LegalEntity", "leiCode": "LegalEntity", "swiftBic": "LegalEntity", "taxNumber": "LegalEntity",
    "vatCode": "LegalEntity", "okpoCode": "LegalEntity", "idNumber": "LegalEntity", "uniqueEntityId": "LegalEntity",
    "dunsCode": "LegalEntity", "imoNumber": "Organization", "permId": "Organization", "bikCode": "Company",
    "flag": "Vessel", "mmsi": "Vessel", "callSign": "Vessel", "icaoCode": "Airplane",
}
# Our identifier kinds (as the importers write them) -> FtM property, per entity type.
KIND_PROPS = {
    "imo": "imoNumber", "inn": "innCode", "ogrn": "ogrnCode", "lei": "leiCode", "swift/bic": "swiftBic",
    "swift": "swiftBic", "bic": "swiftBic", "swift/bic code": "swiftBic", "tax id": "taxNumber", "vat": "vatCode",
    "okpo": "okpoCode", "mmsi": "mmsi", "passport": "passportNumber", "national id": "idNumber",
    "registration": "registrationNumber", "uei": "uniqueEntityId", "duns": "dunsCode", "call sign": "callSign",
    # OFAC's kinds
    "diplomatic passport": "passportNumber", "national id no.": "idNumber", "tax id no.": "taxNumber",
    "v.a.t. number": "vatCode", "d-u-n-s number": "dunsCode", "legal entity number": "leiCode",
}
# The identifier properties each of our output schemata has in FtM; others fall back to the last entry.
SCHEMA_ID_PROPS = {
    "Person": ("passportNumber", "innCode", "taxNumber", "uniqueEntityId", "registrationNumber", "idNumber"),
    "Company": ("innCode", "ogrnCode", "leiCode", "swiftBic", "taxNumber", "vatCode", "okpoCode", "uniqueEntityId",
                "dunsCode", "imoNumber", "idNumber", "registrationNumber"),
    "Vessel": ("imoNumber", "mmsi", "callSign", "registrationNumber"),
    "Airplane": ("registrationNumber",),
}
MAX_NAMES = 20  # names screened per query (yente clients send a handful; more says nothing new)
MAX_COUNTRIES = 3
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?")
_FTM_ID_BAD = re.compile(r"[^0-9A-Za-z.\-]+")
MARKER_NOT_TARGET = "not itself a sanctions target"  # the OpenSanctions importer's remark on related entities


class SchemaError(InputError):
    """An unknown or non-matchable FtM schema in a query: yente answers 400."""

    status = 400


# ---- queries -------------------------------------------------------------------------------------

def values_of(raw: Any) -> list[str]:
    """A property value as yente accepts it: a string, a number, or a list of them; blanks dropped."""
    items = raw if isinstance(raw, list | tuple) else [raw]
    out: list[str] = []
    for v in items:
        if v is None or isinstance(v, dict | list | bool):
            continue
        s = " ".join(str(v).split())
        if s and s not in out:
            out.append(s)
    return out


def country_code(value: str) -> str | None:
    """An ISO alpha-2 code (lower case, as FtM writes it) for a code or a country name; None if none."""
    territory = lookup_territory(value)
    if territory is None:
        return None
    code = territory.code.split("-")[0]
    return code if len(code) == 2 else None


def check_schema(schema: str) -> tuple[str, ...] | None:
    """Our entity types a query of this schema can match; SchemaError for a schema yente would refuse."""
    if schema in MATCHABLE:
        return MATCHABLE[schema][0]
    if schema in NOT_MATCHABLE:
        raise SchemaError(f"Non-matchable schema for query: {schema}")
    raise SchemaError(f"Unknown schema: {schema!r}")


@dataclass
class QueryPlan:
    """One yente query as we screen it: the sub-queries, the types its schema admits, the echo."""

    key: str
    schema: str
    types: tuple[str, ...] | None
    queries: list[Query] = field(default_factory=list)
    properties: dict[str, list[str]] = field(default_factory=dict)  # the properties used, cleaned (echoed back)


def plan_query(key: str, schema: str, properties: Mapping[str, Any]) -> QueryPlan:
    """The `Query` records that screen one FtM example (see the module docstring)."""
    types = check_schema(schema)
    props = {k: values_of(v) for k, v in properties.items()}
    used: dict[str, list[str]] = {}
    names: list[str] = []
    for prop in NAME_PROPS:
        for v in props.get(prop, []):
            used.setdefault(prop, []).append(v)
            if v not in names:
                names.append(v)
    parts = [v for prop in NAME_PART_PROPS for v in props.get(prop, [])[:1]]
    for prop in NAME_PART_PROPS:
        if props.get(prop):
            used[prop] = props[prop]
    if not names and parts:
        names.append(" ".join(parts))  # yente combines name parts when no full name is given
    countries: list[str] = []
    for prop in COUNTRY_PROPS:
        for v in props.get(prop, []):
            code = country_code(v)
            if code:
                used.setdefault(prop, []).append(code)
                if code not in countries:
                    countries.append(code)
    dates: list[str] = []
    for prop in DATE_PROPS:
        for v in props.get(prop, []):
            m = _DATE.match(v)
            if m:
                used.setdefault(prop, []).append(m.group())
                dates.append(m.group())
    identifiers: list[str] = []
    for prop in IDENTIFIER_PROPS:
        for v in props.get(prop, []):
            used.setdefault(prop, []).append(v)
            if v not in identifiers:
                identifiers.append(v)
    plan = QueryPlan(key=key, schema=schema, types=types, properties=used)
    if types == ():  # a schema our lists hold none of
        return plan
    if not names and identifiers:
        names = identifiers[:1]  # an identifier-only query: its identifiers decide
    entity_type = types[0] if types is not None and len(types) == 1 else None
    dob = dates[0] if dates else None
    for name in names[:MAX_NAMES]:
        for country in countries[:MAX_COUNTRIES] or [None]:
            plan.queries.append(Query(name=name, country=country.upper() if country else None, type=entity_type,
                                      dob=dob, identifiers=identifiers))
    return plan


def merge_hits(plan: QueryPlan, hit_lists: Iterable[list[Hit]]) -> list[Hit]:
    """The sub-queries' hits as one list: each entity once, with its best-scoring hit, best first."""
    best: dict[str, Hit] = {}
    for hits in hit_lists:
        for h in hits:
            if plan.types is not None and h.type not in plan.types:
                continue
            prev = best.get(h.entity_id)
            if prev is None or h.score > prev.score:
                best[h.entity_id] = h
    return sorted(best.values(), key=lambda h: (-h.score, h.entity_id))


def prefix_matches(names: Iterable[str], typed: str, limit: int) -> list[int]:
    """Positions of the normalised names that what has been typed so far begins (autocomplete): every typed
    word but the last is a word of the name, and the last begins one ("alexander zak" finds "alexander zakharov")."""
    words = normalise(typed).split()
    if not words or limit < 1:
        return []
    *whole, last = words
    out = []
    for j, name in enumerate(names):
        tokens = name.split()
        if all(w in tokens for w in whole) and any(t.startswith(last) for t in tokens):
            out.append(j)
            if len(out) >= limit:
                break
    return out


# ---- entities ------------------------------------------------------------------------------------

def ftm_id(entity_id: str) -> str:
    """Our entity id as a valid FtM id: "ofac-sdn:17013" -> "ofac-sdn-17013"; OpenSanctions ids stay as they are."""
    source, _, own = entity_id.partition(":")
    if source == "opensanctions" and own and _FTM_ID_BAD.sub("-", own) == own:
        return own
    return _FTM_ID_BAD.sub("-", entity_id.replace(":", "-")).strip("-.") or "x"


def id_index(entity_ids: Iterable[str]) -> dict[str, str]:
    """FtM id -> our entity id, for every entity id (a clash keeps the first; the other stays reachable by our id)."""
    out: dict[str, str] = {}
    for eid in entity_ids:
        out.setdefault(ftm_id(eid), eid)
    return out


def _listing_source_id(listing: Listing) -> str:
    return listing.entity_id.partition(":")[2] or listing.entity_id


def topics_of(entity: Entity) -> list[str]:
    if entity.source == "seed":
        return ["sanction.linked"]  # named in sanctions reporting, not necessarily listed
    if entity.remarks and MARKER_NOT_TARGET in entity.remarks:
        return []
    return ["sanction"]


def entity_properties(entities: list[Entity]) -> dict[str, list[str]]:
    """FtM properties of one real-world entity from the records of its listings (primary first)."""
    props: dict[str, list[str]] = {}

    def add(prop: str, value: str | None) -> None:
        if value:
            values = props.setdefault(prop, [])
            if value not in values:
                values.append(value)

    kind = entities[0].type
    id_props = SCHEMA_ID_PROPS[TYPE_SCHEMA[kind]]
    for e in entities:
        add("name", e.name)
        for a in e.aliases:
            add("weakAlias" if a.weak else "previousName" if a.kind == "fka" else "alias", a.name)
        for c in e.countries:
            add("nationality" if kind == "person" else "flag" if kind == "vessel" else "country", c.lower())
        for d in e.dates:
            if kind in ("person", "company"):
                add("birthDate" if kind == "person" else "incorporationDate", d)
        for i in e.identifiers:
            prop = KIND_PROPS.get(i.kind.lower(), "")
            add(prop if prop in id_props else id_props[-1], i.value)
        for p in e.programs:
            add("programId", p)
        add("notes", e.remarks)
        add("summary", e.summary)
        for r in e.references:
            if r.startswith(("http://", "https://")):
                add("sourceUrl", r)
        add("createdAt", e.listed_on)
        for t in topics_of(e):
            add("topics", t)
    return props


def _iso(date: str | None) -> str | None:
    if not date or not _DATE.match(date):
        return None
    return date[:10] + "T00:00:00" if len(date) >= 10 else None


def sanction_of(listing: Listing, entity: Entity | None, parent_id: str, titles: Mapping[str, str]) -> dict[str, Any]:
    """The FtM Sanction entity of one list entry (what `/entities/{id}?nested=true` nests under `sanctions`)."""
    props: dict[str, list[str]] = {
        "entity": [parent_id],
        "authority": [titles.get(listing.source, listing.source)],
        "authorityId": [_listing_source_id(listing)],
    }
    if listing.programs:
        props["program"] = list(listing.programs)
        props["programId"] = list(listing.programs)
    if entity is not None and entity.listed_on:
        props["listingDate"] = [entity.listed_on]
    if listing.list_version:
        props["modifiedAt"] = [listing.list_version]
    return {"id": f"{ftm_id(listing.entity_id)}-sanction", "caption": f"Sanction: {listing.name}", "schema": "Sanction",
            "properties": props, "datasets": [listing.source], "referents": [], "target": False,
            "first_seen": None, "last_seen": None, "last_change": None}


def entity_to_ftm(entity_id: str, entities: list[Entity], listings: list[Listing], *,
                  titles: Mapping[str, str], nested: bool = False) -> dict[str, Any]:
    """yente's EntityResponse for one of our entities (`entities`: the records of its listings, primary first)."""
    primary = entities[0]
    fid = ftm_id(entity_id)
    props: dict[str, list[Any]] = dict(entity_properties(entities))
    if nested:
        records = {e.entity_id: e for e in entities}
        props["sanctions"] = [sanction_of(li, records.get(li.entity_id), fid, titles) for li in listings]
    # the other list entries of this entity, and the listings its lists say are the same ("ofac:45937")
    referents = sorted(({ftm_id(li.entity_id) for li in listings} | {ftm_id(x) for e in entities for x in e.same_as})
                       - {fid})
    listed = sorted(d for d in (_iso(e.listed_on) for e in entities) if d)
    seen = sorted(d for d in (_iso(li.list_version) for li in listings) if d)  # the newest list that holds it
    return {
        "id": fid,
        "caption": primary.name,
        "schema": TYPE_SCHEMA[primary.type],
        "properties": props,
        "datasets": sorted({li.source for li in listings} or {primary.source}),
        "referents": referents,
        "target": any(topics_of(e) for e in entities),
        "first_seen": listed[0] if listed else None,
        "last_seen": seen[-1] if seen else None,
        "last_change": None,  # the lists don't date their changes per entry
    }


def explanations(hit: Hit) -> dict[str, dict[str, Any]]:
    """The hit's evidence as yente's feature results: {feature: {score, detail, query, candidate}}."""
    ex = hit.explanation
    pairs = ", ".join(f"{p['query']}~{p['name']}" for p in ex.get("matched_tokens", []))
    out: dict[str, dict[str, Any]] = {
        "name_match": {"score": ex.get("name_score", hit.score), "detail": pairs or None,
                       "query": ex.get("query_normalised"), "candidate": hit.matched_name},
    }
    for adj in ex.get("adjustments", []):
        reason = str(adj.get("reason", ""))
        words = reason.lower().split()
        key = "as_written" if reason == "as written" else re.sub(r"[^a-z]+", "_", words[0] if words else "adjustment")
        if reason.startswith(("country", "date", "identifier")):
            key += "_mismatch" if (" not " in reason or adj.get("value", 0) < 0) else "_match"
        while key in out:
            key += "_"
        out[key] = {"score": adj.get("value", 0.0), "detail": reason, "query": None, "candidate": None}
    return out


def hit_to_ftm(hit: Hit, entities: list[Entity], *, threshold: float, titles: Mapping[str, str]) -> dict[str, Any]:
    """yente's ScoredEntityResponse for one hit."""
    listings = hit.listings or [Listing(entity_id=hit.entity_id, source=s, name=hit.name) for s in hit.sources]
    out = entity_to_ftm(hit.entity_id, entities, listings, titles=titles)
    out.update(score=hit.score, match=hit.score >= threshold, explanations=explanations(hit))
    return out
