"""The service functions that the CLI and the HTTP API call: screen names, describe the watchlist."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field

from .config import Settings
from .errors import EmptyNameError, InputError, LimitError, TooLargeError
from .matcher import MATCHER_VERSION, Match, Matcher, MatchOptions, QueryForm
from .model import EntityType
from .normalise import name_form
from .watchlist import TYPE_NAMES, Watchlist, identifier_key

# "suppressed": every hit is on the accept list; only a recorded screening of a counterparty (with its ref) says so
Status = Literal["clear", "potential_match", "suppressed"]
_NOT_TEXT = re.compile("[\ud800-\udfff\0]")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@lru_cache(maxsize=1)
def _territories() -> tuple[frozenset[str], dict[str, str]]:
    """The two-letter territory codes rigour knows (ISO 3166-1 alpha-2 plus XK and the like), and names to codes."""
    from rigour.territories import get_territories

    codes, names = set(), {}
    for t in get_territories():
        if len(t.code) == 2 and t.code != "zz":  # zz: "unknown" in rigour, not a country
            codes.add(t.code.upper())
            for n in (t.name, t.full_name, t.alpha3, *t.other_codes):
                if n:
                    names.setdefault(n.casefold(), t.code.upper())
    names.setdefault("uk", "GB")  # common, but not ISO
    return frozenset(codes), names


def country_code_of(name: str) -> str | None:
    """The alpha-2 code of a country written out ("China", "Deutschland", "CHN"), if the name is known exactly."""
    return _territories()[1].get(name.strip().casefold())


def country_problem(value: str) -> str | None:
    """Why `value` is not an ISO 3166-1 alpha-2 country code (with the code it may mean), or None."""
    codes, names = _territories()
    if value.upper() in codes:
        return None
    guess = country_code_of(value)
    hint = f"; did you mean {guess!r}?" if guess else ""
    return f"not an ISO 3166-1 alpha-2 country code such as 'CN' or 'GB'{hint}"


def date_problem(value: str) -> str | None:
    """Why `value` is not a real calendar date written YYYY, YYYY-MM or YYYY-MM-DD, or None."""
    m = _DATE.match(value)
    if not m:
        return "not a date written YYYY, YYYY-MM or YYYY-MM-DD"
    year, month, day = (int(g) if g else None for g in m.groups())
    try:
        date(year or 1, month or 1, day or 1)
    except ValueError as exc:
        return f"not a real calendar date ({exc})"
    return None


class Query(BaseModel):
    name: str = Field(examples=["Sino Electronics Co., Ltd"])
    country: str | None = Field(default=None, examples=["HK"], description="ISO 3166-1 alpha-2")
    type: EntityType | None = Field(default=None, examples=["company"])
    ref: str | None = Field(default=None, examples=["CP-0003"], description="your own reference, echoed back")
    dob: str | None = Field(default=None, examples=["1971-05-02"], pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
                            description="date of birth or incorporation: YYYY, YYYY-MM or YYYY-MM-DD")
    identifiers: list[str] = Field(default_factory=list, examples=[["IMO 9187629"]],
                                   description="registration, IMO, passport or other numbers; an exact match is a hit")


class Listing(BaseModel):
    """One list's entry for a hit's entity: a linked entity has one per list that names it."""

    entity_id: str = Field(examples=["ofac-sdn:17013"], description="<source>:<the source's own id>")
    source: str = Field(examples=["ofac-sdn"])
    name: str = Field(examples=["VTB BANK PJSC"])
    programs: list[str] = Field(default_factory=list, examples=[["UKRAINE-EO13662"]])
    list_version: str | None = Field(default=None, examples=["2026-02-27"],
                                     description="the list's own date, or 'sha-' and a hash of its content")


class Suppression(BaseModel):
    """The accept-list entry that suppresses a hit: the false_positive decision, who made it and when."""

    alert_id: int = Field(examples=[1])
    decision_id: int = Field(examples=[3])
    reviewer: str = Field(examples=["person:A. Analyst"], description="the identity that decided it")
    decided_at: str = Field(examples=["2026-11-23T10:13:03.892290Z"])


class Hit(BaseModel):
    entity_id: str = Field(examples=["seed:sinno-electronics"])
    name: str = Field(examples=["Sinno Electronics"])
    matched_name: str = Field(examples=["Sinno Electronics"], description="the listed name or alias that matched")
    score: float = Field(ge=0, le=1, examples=[0.87])
    type: EntityType
    countries: list[str] = Field(examples=[["HK"]])
    sources: list[str] = Field(examples=[["seed"]])
    listings: list[Listing] = Field(default_factory=list, description="every list entry of this entity")
    explanation: dict[str, Any] = Field(
        examples=[{"query_normalised": "sino electronics llc", "name_normalised": "sinno electronics",
                   "token_score": 0.85, "char_score": 0.94,
                   "matched_tokens": [{"query": "sino", "name": "sinno", "similarity": 0.8}]}]
    )
    suppressed: bool = Field(default=False, description="on the accept list: cleared as a false positive for "
                             "this counterparty (ref), whose data and this entity's listing are unchanged since")
    suppression: Suppression | None = Field(default=None, description="the decision that suppresses it")


class WatchlistRef(BaseModel):
    id: str = Field(examples=["seed"])
    version: str = Field(examples=["3f9c0a1e2b4d5c6f"])
    entities: int = Field(examples=[12])


class Result(BaseModel):
    ref: str | None = Field(default=None, examples=["CP-0003"])
    query: Query
    status: Status = Field(examples=["potential_match"])
    hits: list[Hit]


class ScreenResponse(BaseModel):
    watchlist: WatchlistRef
    matcher: str = Field(default=MATCHER_VERSION, examples=[MATCHER_VERSION])
    threshold: float = Field(examples=[0.8])
    results: list[Result]


class Service:
    """A loaded watchlist and its matcher, built once per process from `Settings`."""

    def __init__(self, settings: Settings, watchlist: Watchlist | None = None) -> None:
        self.settings = settings
        self.watchlist = watchlist or Watchlist(settings.watchlist)
        self.matcher = Matcher(self.watchlist, MatchOptions(workers=settings.workers))

    @property
    def ref(self) -> WatchlistRef:
        wl = self.watchlist
        return WatchlistRef(id=wl.id, version=wl.version, entities=wl.n_entities)

    def validate(self, query: Query, where: str) -> None:
        """Refuse a query that can't be screened honestly, naming `where` ("queries[3]", "row 17"), the value and the rule.

        Every adapter (HTTP, CLI, files, jobs) goes through here, so they all refuse the same queries.
        """
        at = f"{where}: " if where else ""
        name = query.name
        if not name or not name.strip():
            raise EmptyNameError(f"{at}name is empty")
        if len(name) > self.settings.max_name_length:
            raise LimitError(f"{at}name is {len(name)} characters long (limit {self.settings.max_name_length})")
        for label, value in (("name", name), ("ref", query.ref), ("country", query.country), ("dob", query.dob),
                             *(("identifiers", v) for v in query.identifiers)):
            if not value:
                continue
            bad = _NOT_TEXT.search(value)
            if bad:  # a lone surrogate (a JSON "\udc80" escape, undecodable argv bytes) or NUL is not text
                what = "a NUL character" if bad.group() == "\0" else f"an unpaired surrogate {bad.group()!r}"
                raise InputError(f"{at}{label} has {what} at position {bad.start()}")
        if not any(ch.isalnum() for ch in name):  # "…", "-", "()", zero-width or control characters only
            raise EmptyNameError(f"{at}name has no letters or digits ({name!r}): nothing to compare")
        if query.country is not None:
            problem = country_problem(query.country)
            if problem:
                raise InputError(f"{at}country {query.country!r}: {problem}")
        if query.dob is not None:
            problem = date_problem(query.dob)
            if problem:
                raise InputError(f"{at}dob {query.dob!r}: {problem}")

    def screen(self, queries: list[Query], *, threshold: float | None = None, limit: int | None = None,
               max_batch: int | None = None) -> ScreenResponse:
        """Screen a batch of queries; every query must be valid (checked first, naming its index)."""
        cap = self.settings.max_batch if max_batch is None else max_batch
        if len(queries) > cap:
            raise TooLargeError(f"too many names in one request: {len(queries)} (limit {cap})")
        for i, q in enumerate(queries):
            self.validate(q, f"queries[{i}]")
        threshold = self.settings.threshold if threshold is None else threshold
        if not 0 <= threshold <= 1:
            raise LimitError(f"threshold {threshold} is outside [0, 1]")
        limit = self.settings.limit if limit is None else limit
        if limit < 1:  # limit 0 would report every match as clear
            raise LimitError(f"limit {limit} is below the minimum of 1")
        return ScreenResponse(watchlist=self.ref, threshold=threshold,
                              results=self.screen_valid(queries, threshold=threshold, limit=limit))

    def match_valid(self, queries: list[Query], *, threshold: float, limit: int,
                    explain: bool = True) -> tuple[list[QueryForm], list[list[Match]]]:
        """The matcher's hits for valid queries, before they are built into Results (files render only the top one;
        without `explain` the hits carry no explanation)."""
        forms = [QueryForm(name_form(q.name), q.type, q.country, q.dob,
                           tuple(k for k in map(identifier_key, q.identifiers) if k), q.name) for q in queries]
        return forms, self.matcher.match(forms, threshold=threshold, limit=limit, explain=explain)

    def warm(self) -> None:
        """Build and decode now what the first answers would otherwise build: the matcher's indexes and the
        watchlist's tables (a server's first requests, or a pool worker's first batch, would queue behind them)."""
        self.screen_valid([Query(name="warm up")], threshold=1.0, limit=1)
        self.matcher.warm()
        self.watchlist.warm()

    def screen_valid(self, queries: list[Query], *, threshold: float, limit: int) -> list[Result]:
        forms, matches = self.match_valid(queries, threshold=threshold, limit=limit)
        return [
            Result(ref=q.ref, query=q, status="potential_match" if hits else "clear",
                   hits=[self._hit(m, f) for m in hits])
            for q, f, hits in zip(queries, forms, matches, strict=True)
        ]

    def _hit(self, m: Match, q: QueryForm) -> Hit:
        """One linked entity: named by its own listing, with every listing, and the name that matched."""
        wl = self.watchlist
        members = wl.group_members[wl.entity_group_list[m.entity]]
        own = wl.entity(members[0])
        listings = [wl.entity(i) for i in members]
        return Hit(
            entity_id=own.entity_id, name=own.name, matched_name=wl.display[m.name], score=round(m.score, 4),
            type=TYPE_NAMES[int(wl.entity_type[members[0]])],
            countries=list(dict.fromkeys(c for e in listings for c in e.countries)),
            sources=list(dict.fromkeys(e.source for e in listings)),
            listings=[Listing(entity_id=e.entity_id, source=e.source, name=e.name, programs=e.programs,
                              list_version=wl.list_of(i).get("version")) for i, e in zip(members, listings, strict=True)],
            explanation=m.explanation(wl, q.form),
        )

    def info(self) -> dict[str, Any]:
        return {**self.watchlist.describe(), "matcher": MATCHER_VERSION, "threshold": self.settings.threshold}
