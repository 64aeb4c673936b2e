"""yente-compatible routes (/match, /search, /entities, /catalog, /algorithms) and the W3C reconciliation API.

The shapes are yente's (OpenSanctions' screening API) so its clients (nomenklatura's YenteEnricher,
OpenRefine, in-house integrations) work unchanged; the screening is ours: every route maps FtM onto
our queries with `screening.ftm`, calls `Service.screen`, records the audit trail like /v1/screen,
and maps the hits back. `create_app` includes `router` and adds `ReconcileCORS`.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi import Path as P
from fastapi import Query as Q
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import KeyFirstRoute, audit, role
from screening import ftm
from screening.errors import InputError, NotFoundError
from screening.matcher import MATCHER_VERSION, MatchOptions
from screening.model import Entity
from screening.service import Hit, Listing, Result, ScreenResponse, Service

router = APIRouter(route_class=KeyFirstRoute, dependencies=[Depends(role("screener"))])  # roles as for /v1/screen


class RequestError(InputError):
    """A malformed yente or reconciliation request body: yente answers these with a 400."""

    status = 400


MAX_BATCH = 100  # yente's limit of queries per /match or /reconcile request
MAX_MATCHES = 500
MAX_PAGE = 500
SEARCH_CUTOFF = 0.5  # /search and the suggest service rank names down to this score
RECONCILE_CUTOFF = 0.5  # reconciliation candidates are offered down to this score; `match` is the threshold
INTERNAL_LIMIT = 500  # hits asked of the service per name, before the dataset/schema/topic filters
TS_PATTERN = r"^\d{4}-\d{2}-\d{2}(T\d{2}(:\d{2}(:\d{2})?)?)?$"
COLLECTIONS = ("default", "sanctions")  # collection names yente users call, each holding every list
# yente's algorithm names: ours answers each of them (see GET /algorithms)
YENTE_ALGORITHMS = ("best", "logic-v2", "logic-v1", "name-based", "name-qualified", "ofac", "regression-v1")
# The configuration keys yente takes for each algorithm ("best" is logic-v2): accepted so a tuned client still
# works, but they tune nomenklatura's scorer, not ours: they are ignored and named in `x-ignored-config`.
YENTE_CONFIG = {"best": ("nm_extra_query_name", "nm_extra_result_name", "nm_family_name_weight",
                         "nm_fuzzy_cutoff_factor", "nm_name_property", "nm_number_mismatch")}
YENTE_CONFIG["logic-v2"] = YENTE_CONFIG["best"]
SOURCE_TITLES = {
    "seed": "Seed records: companies named in sanctions reporting",
    "ofac-sdn": "US OFAC Specially Designated Nationals (SDN)",
    "ofac-cons": "US OFAC Consolidated (non-SDN) Sanctions List",
    "eu-fsf": "EU Financial Sanctions Files (FSF)",
    "un-sc": "UN Security Council Consolidated List",
    "uk": "UK HM Treasury OFSI Consolidated List",
    "opensanctions": "OpenSanctions export",
    "custom": "Custom list",
}


# ---- models (yente's shapes) ----------------------------------------------------------------------

class EntityExample(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str | None = Field(default=None, examples=["my-entity-id"])
    schema_: str = Field(alias="schema", examples=["Company"])
    properties: dict[str, Any] = Field(examples=[{"name": ["Sino Electronics Co., Ltd"], "jurisdiction": ["hk"]}])


class EntityMatchQuery(BaseModel):
    queries: dict[str, EntityExample] = Field(examples=[{"q1": {"schema": "Company", "properties": {
        "name": ["Sino Electronics Co., Ltd"], "country": ["hk"]}}}])
    weights: dict[str, float] = Field(default_factory=dict, examples=[{}],
                                      description="yente's feature weights: accepted and ignored (x-ignored-config)")
    config: dict[str, Any] = Field(default_factory=dict, examples=[{}],
                                   description="yente's algorithm configuration: its logic-v2 keys are accepted "
                                               "and ignored (x-ignored-config); others are a 400")


class EntityResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(examples=["seed-sinno-electronics"])
    caption: str = Field(examples=["Sinno Electronics"])
    schema_: str = Field(alias="schema", examples=["Company"])
    properties: dict[str, list[Any]] = Field(examples=[{"name": ["Sinno Electronics"], "country": ["hk"]}])
    datasets: list[str] = Field(examples=[["seed"]])
    referents: list[str] = Field(examples=[["ofac-sdn-17013"]])
    target: bool = Field(examples=[True])
    first_seen: str | None = Field(default=None, examples=["2024-05-03T00:00:00"])
    last_seen: str | None = Field(default=None, examples=["2026-11-23T10:13:00"])
    last_change: str | None = Field(default=None, examples=[None])


class FeatureResult(BaseModel):
    score: float = Field(examples=[0.96])
    detail: str | None = Field(default=None, examples=["sino~sinno, electronics~electronics"])
    query: str | None = Field(default=None, examples=["sino electronics llc"])
    candidate: str | None = Field(default=None, examples=["Sinno Electronics"])


class ScoredEntityResponse(EntityResponse):
    score: float = Field(examples=[0.953])
    match: bool = Field(examples=[True], description="score >= threshold")
    explanations: dict[str, FeatureResult] = Field(examples=[{"name_match": {"score": 0.96, "detail": "sino~sinno"}}])


class TotalSpec(BaseModel):
    value: int = Field(examples=[1])
    relation: str = Field(default="eq", examples=["eq"])


class EntityMatches(BaseModel):
    status: int = Field(default=200, examples=[200])
    results: list[ScoredEntityResponse]
    total: TotalSpec
    query: EntityExample


class EntityMatchResponse(BaseModel):
    responses: dict[str, EntityMatches]
    limit: int = Field(examples=[5])


class SearchFacetItem(BaseModel):
    name: str = Field(examples=["ru"])
    label: str = Field(examples=["ru"])
    count: int = Field(examples=[3])


class SearchFacet(BaseModel):
    label: str = Field(examples=["Countries"])
    values: list[SearchFacetItem]


class SearchResponse(BaseModel):
    limit: int = Field(examples=[10])
    offset: int = Field(default=0, examples=[0])
    total: TotalSpec
    results: list[EntityResponse]
    facets: dict[str, SearchFacet]


# ---- helpers ---------------------------------------------------------------------------------------

def service(request: Request) -> Service:
    return request.app.state.holder.get()


def scope_sources(svc: Service, dataset: str) -> set[str]:
    """The list sources a dataset path names: a collection holds every list; 404 for an unknown name."""
    sources = {s["source"] for s in svc.watchlist.header.get("sources", [])}
    if dataset in COLLECTIONS or dataset == svc.watchlist.id:
        return sources
    if dataset in sources:
        return {dataset}
    raise NotFoundError("No such dataset.")


def check_algorithm(name: str) -> None:
    clean = name.lower().strip()
    if clean not in YENTE_ALGORITHMS and clean != MATCHER_VERSION:
        raise HTTPException(400, detail=f"Invalid algorithm: {name}")


def records(svc: Service, entity_id: str, listings: list[Listing]) -> list[Entity]:
    """The entity records behind a (linked) entity: its listings' records, its own first."""
    wl = svc.watchlist
    out: list[Entity] = []
    for eid in [entity_id, *(li.entity_id for li in listings)]:
        i = wl.index_of(eid)
        if i is not None and all(e.entity_id != eid for e in out):
            out.append(wl.entity(i))
    return out


def linked(svc: Service, i: int) -> tuple[str, list[Entity], list[Listing]]:
    """The linked entity that listing `i` belongs to: its id, its listings' records and its listings."""
    wl = svc.watchlist
    members = wl.group_members[wl.entity_group_list[i]]
    ents = [wl.entity(m) for m in members]
    listings = [Listing(entity_id=e.entity_id, source=e.source, name=e.name, programs=e.programs,
                        list_version=wl.list_of(m).get("list_date")) for m, e in zip(members, ents, strict=True)]
    return ents[0].entity_id, ents, listings


def ftm_hit(svc: Service, hit: Hit, threshold: float) -> dict[str, Any]:
    return ftm.hit_to_ftm(hit, records(svc, hit.entity_id, hit.listings), threshold=threshold,
                          titles=SOURCE_TITLES)


def keep(result: dict[str, Any], *, allowed: set[str], exclude_schema: set[str], topics: set[str],
         exclude_ids: set[str]) -> bool:
    """yente's filters on one rendered result: dataset scope, schema, topics, excluded ids (or any referent)."""
    if not allowed.intersection(result["datasets"]):
        return False
    if result["schema"] in exclude_schema:
        return False
    if topics and not topics.intersection(result["properties"].get("topics", [])):
        return False
    return not (exclude_ids and exclude_ids.intersection([result["id"], *result["referents"]]))


def screen_plans(request: Request, svc: Service, plans: list[ftm.QueryPlan], *, cutoff: float, threshold: float,
                 channel: str) -> list[list[Hit]]:
    """Screen every plan's sub-queries in one call, audit it, and return each plan's merged hits."""
    queries = [q for p in plans for q in p.queries]
    for p in plans:
        for q in p.queries:
            svc.validate(q, f"queries.{p.key}")
    if not queries:
        return [[] for _ in plans]
    resp = svc.screen(queries, threshold=cutoff, limit=INTERNAL_LIMIT, max_batch=len(queries))
    # The audit record states the decision threshold; hits between cutoff and threshold are kept as evidence.
    audited = [Result(ref=r.ref, query=r.query, hits=r.hits,
                      status="potential_match" if any(h.score >= threshold for h in r.hits) else "clear")
               for r in resp.results]
    audit(request, svc, ScreenResponse(watchlist=resp.watchlist, threshold=threshold, results=audited),
          channel=channel)
    out, i = [], 0
    for p in plans:
        out.append(ftm.merge_hits(p, [r.hits for r in resp.results[i:i + len(p.queries)]]))
        i += len(p.queries)
    return out


# ---- /match ---------------------------------------------------------------------------------------

@router.post("/match/{dataset}", response_model=EntityMatchResponse, response_model_by_alias=True, tags=["yente"],
             summary="Query by example matcher (yente)")
def match(
    request: Request,
    response: Response,
    body: EntityMatchQuery,
    dataset: Annotated[str, P(examples=["default"], description="default, sanctions, or one list (GET /catalog)")],
    limit: Annotated[int, Q(ge=0, le=MAX_MATCHES)] = 5,
    threshold: Annotated[float | None, Q(ge=0, le=1, description="match = score >= threshold "
                                                                  "(default: our calibrated threshold)")] = None,
    cutoff: Annotated[float | None, Q(ge=0, le=1, description="results below this are not returned "
                                                               "(yente's deprecated lower bound; at most threshold)")] = None,
    algorithm: Annotated[str, Q(description="yente's algorithm names are accepted; one matcher answers all")] = "best",
    include_dataset: Annotated[list[str], Q()] = [],  # noqa: B006 - FastAPI copies defaults
    exclude_dataset: Annotated[list[str], Q()] = [],  # noqa: B006
    exclude_schema: Annotated[list[str], Q()] = [],  # noqa: B006
    topics: Annotated[list[str], Q()] = [],  # noqa: B006
    changed_since: Annotated[str | None, Q(pattern=TS_PATTERN, description="accepted; the lists don't date "
                                                                           "changes per entry, so nothing is dropped")] = None,
    exclude_entity_ids: Annotated[list[str], Q(max_length=50)] = [],  # noqa: B006
    fuzzy: Annotated[bool, Q(description="accepted; our retrieval is always fuzzy")] = False,
) -> dict[str, Any]:
    """Match FtM entity examples against the lists, as yente's `/match` does (each call is audited)."""
    svc = service(request)
    sources = scope_sources(svc, dataset)
    check_algorithm(algorithm)
    known = YENTE_CONFIG.get(algorithm.lower().strip(), ())
    for key in body.config:
        if key not in known:
            raise HTTPException(400, detail=f"Invalid configuration parameter: {key} for algorithm {algorithm}")
    ignored = sorted(body.config) + sorted(f"weights.{k}" for k in body.weights)
    if ignored:
        response.headers["x-ignored-config"] = ", ".join(ignored)
    if len(body.queries) > MAX_BATCH:
        raise HTTPException(400, detail=f"Too many queries in one batch (limit: {MAX_BATCH})")
    if not body.queries:
        raise HTTPException(400, detail="No queries provided.")
    threshold = svc.settings.threshold if threshold is None else threshold
    cutoff = threshold if cutoff is None else min(cutoff, threshold)
    plans = [ftm.plan_query(key, ex.schema_, ex.properties) for key, ex in body.queries.items()]
    allowed = (sources & set(include_dataset) if include_dataset else sources) - set(exclude_dataset)
    responses: dict[str, Any] = {}
    for plan, hits, ex in zip(plans, screen_plans(request, svc, plans, cutoff=cutoff, threshold=threshold,
                                                  channel="yente"), body.queries.values(), strict=True):
        results = [r for r in (ftm_hit(svc, h, threshold) for h in hits)
                   if keep(r, allowed=allowed, exclude_schema=set(exclude_schema), topics=set(topics),
                           exclude_ids={*exclude_entity_ids, *map(ftm.ftm_id, exclude_entity_ids)})]
        responses[plan.key] = {
            "status": 200,
            "results": results[:limit],
            "total": {"value": sum(r["match"] for r in results), "relation": "eq"},
            "query": {"id": ex.id, "schema": plan.schema, "properties": plan.properties},
        }
    response.headers["x-batch-size"] = str(len(responses))
    return {"responses": responses, "limit": limit}


# ---- /search, /entities ---------------------------------------------------------------------------

FACETS = {"countries": "Countries", "topics": "Topics", "datasets": "Data sources", "schema": "Entity types"}
COUNTRY_KEYS = ("country", "nationality", "flag", "jurisdiction", "citizenship")


def facet_values(result: dict[str, Any], facet: str) -> list[str]:
    props = result["properties"]
    if facet == "countries":
        return sorted({c for k in COUNTRY_KEYS for c in props.get(k, [])})
    if facet == "topics":
        return list(props.get("topics", []))
    if facet == "datasets":
        return list(result["datasets"])
    if facet == "schema":
        return [result["schema"]]
    return []


def facets_of(results: list[dict[str, Any]], names: list[str]) -> dict[str, SearchFacet]:
    out = {}
    for name in names:
        counts: dict[str, int] = {}
        for r in results:
            for v in facet_values(r, name):
                counts[v] = counts.get(v, 0) + 1
        values = [SearchFacetItem(name=k, label=SOURCE_TITLES.get(k, k) if name == "datasets" else k, count=n)
                  for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
        out[name] = SearchFacet(label=FACETS.get(name, name), values=values)
    return out


@router.get("/search/{dataset}", response_model=SearchResponse, response_model_by_alias=True, tags=["yente"],
            summary="Simple entity search (yente)")
def search(
    request: Request,
    dataset: Annotated[str, P(examples=["default"])],
    q: Annotated[str, Q(examples=["Sino Electronics"], description="a name; results are ranked by our score")] = "",
    schema: Annotated[str, Q(examples=["Company"])] = "Thing",
    include_dataset: Annotated[list[str], Q()] = [],  # noqa: B006
    exclude_dataset: Annotated[list[str], Q()] = [],  # noqa: B006
    exclude_schema: Annotated[list[str], Q()] = [],  # noqa: B006
    changed_since: Annotated[str | None, Q(pattern=TS_PATTERN)] = None,
    countries: Annotated[list[str], Q()] = [],  # noqa: B006
    topics: Annotated[list[str], Q()] = [],  # noqa: B006
    datasets: Annotated[list[str], Q()] = [],  # noqa: B006
    filter: Annotated[list[str], Q(description="field:value, for countries, topics, datasets, schema")] = [],  # noqa: B006
    limit: Annotated[int, Q(ge=0, le=MAX_PAGE)] = 10,
    offset: Annotated[int, Q(ge=0, le=9999 - MAX_PAGE)] = 0,
    facets: Annotated[list[str], Q()] = ["countries", "topics", "datasets"],  # noqa: B006
    fuzzy: bool = False,
    simple: bool = False,
    sort: Annotated[list[str], Q(description="accepted; results are ranked by score")] = [],  # noqa: B006
    target: Annotated[bool | None, Q(description="only (true) or no (false) sanctions targets")] = None,
    filter_op: Annotated[str, Q(pattern="^(?i:and|or)$", description="several values of one filter: any (OR) "
                                                                    "or all (AND)")] = "OR",
) -> dict[str, Any]:
    """Search by name, as yente's `/search` (each call with a name is audited); an empty `q` finds nothing."""
    svc = service(request)
    sources = scope_sources(svc, dataset)
    if schema not in ftm.MATCHABLE:
        raise HTTPException(400, detail="Invalid schema")
    wanted: dict[str, set[str]] = {"countries": {c.lower() for c in countries}, "topics": set(topics),
                                   "datasets": set(datasets), "schema": set()}
    for flt in filter:
        field, sep, value = flt.partition(":")
        if not sep or field not in wanted:
            raise HTTPException(400, detail=f"Invalid filter: {flt!r}")
        wanted[field].add(value.lower() if field == "countries" else value)
    results: list[dict[str, Any]] = []
    if q.strip():
        plan = ftm.plan_query("q", schema, {"name": [q]})
        threshold = svc.settings.threshold
        hits = screen_plans(request, svc, [plan], cutoff=SEARCH_CUTOFF, threshold=threshold, channel="yente-search")[0]
        allowed = (sources & set(include_dataset) if include_dataset else sources) - set(exclude_dataset)
        for h in hits:
            r = ftm_hit(svc, h, threshold)
            if not keep(r, allowed=allowed, exclude_schema=set(exclude_schema), topics=set(), exclude_ids=set()):
                continue
            if target is not None and r["target"] is not target:
                continue
            if filter_op.upper() == "AND":
                if any(not v <= set(facet_values(r, k)) for k, v in wanted.items()):
                    continue
            elif any(v and not v.intersection(facet_values(r, k)) for k, v in wanted.items()):
                continue
            results.append({k: v for k, v in r.items() if k not in ("score", "match", "explanations")})
    return {"limit": limit, "offset": offset, "total": {"value": len(results), "relation": "eq"},
            "results": results[offset:offset + limit], "facets": facets_of(results, [f for f in facets if f in FACETS])}


def entity_ids(request: Request, svc: Service) -> dict[str, str]:
    """FtM id -> our id for the watchlist in force (built on first use, again after a reload)."""
    cached = getattr(request.app.state, "yente_ids", None)
    if cached is None or cached[0] != svc.watchlist.version:
        cached = (svc.watchlist.version, ftm.id_index(svc.watchlist.entity_ids.to_list()))
        request.app.state.yente_ids = cached
    return cached[1]


@router.get("/entities/{entity_id}", response_model=EntityResponse, response_model_by_alias=True, tags=["yente"],
            summary="Fetch an entity (yente)", responses={308: {"description": "a list entry of a linked entity"}})
def fetch_entity(
    request: Request,
    entity_id: Annotated[str, P(examples=["seed-sinno-electronics"], description="the FtM id, or our own id")],
    nested: Annotated[bool, Q(description="nest one Sanction per list entry under `sanctions`")] = True,
) -> Any:
    """One entity in FtM form, by its FtM id (from /match or /search) or our own `source:id`."""
    svc = service(request)
    own = entity_ids(request, svc).get(entity_id, entity_id)
    i = svc.watchlist.index_of(own)
    if i is None:
        raise NotFoundError("No such entity!")
    canonical, ents, listings = linked(svc, i)
    if canonical != own:  # a list entry of a linked entity: yente redirects a referent to its entity
        return RedirectResponse(status_code=308, url=str(request.url_for("fetch_entity",
                                                                         entity_id=ftm.ftm_id(canonical))))
    return ftm.entity_to_ftm(own, ents, listings, titles=SOURCE_TITLES, nested=nested)


# ---- /catalog, /algorithms --------------------------------------------------------------------------

@router.get("/catalog", tags=["yente"], summary="Data catalog (yente): our lists as datasets")
def catalog(request: Request) -> dict[str, Any]:
    """Every list in the watchlist as a dataset (version: the list's own date, else the artifact version),
    and the collections `default` and `sanctions` holding them all."""
    svc = service(request)
    header = svc.watchlist.header
    merged: dict[str, dict[str, Any]] = {}
    for s in header.get("sources", []):
        d = merged.setdefault(s["source"], {"entities": 0, "list_date": None, "format": s.get("format")})
        d["entities"] += s.get("entities", 0)
        d["list_date"] = max(filter(None, [d["list_date"], s.get("list_date")]), default=None)
    datasets = []
    for name, d in sorted(merged.items()):
        version = d["list_date"] or svc.watchlist.version
        datasets.append({"name": name, "title": SOURCE_TITLES.get(name, name), "type": "source",
                         "summary": f"{SOURCE_TITLES.get(name, name)} ({d['format']})", "version": version,
                         "updated_at": d["list_date"], "last_export": d["list_date"], "entity_count": d["entities"],
                         "children": [], "load": True, "index_version": version, "index_current": True,
                         "tags": ["list.sanction"]})
    newest = max(filter(None, (d["list_date"] for d in merged.values())), default=None)
    for name in COLLECTIONS:
        datasets.append({"name": name, "title": f"All lists ({svc.watchlist.id})", "type": "collection",
                         "summary": "every list in the watchlist in force", "version": svc.watchlist.version,
                         "updated_at": newest, "last_export": newest,
                         "entity_count": header.get("linked_entities", svc.watchlist.n_entities),
                         "children": sorted(merged), "load": False, "index_version": svc.watchlist.version,
                         "index_current": True, "tags": []})
    return {"datasets": datasets, "current": [d["name"] for d in datasets], "outdated": [], "index_stale": False}


@router.get("/algorithms", tags=["yente"], summary="Scoring algorithms (yente): which of ours answers each name")
def algorithms(request: Request) -> dict[str, Any]:
    """yente's algorithm names are all accepted by /match; our matcher answers every one of them."""
    o = MatchOptions()
    features = {
        "name_match": {"description": "best listed name against the query name: aligned tokens weighted by rarity",
                       "coefficient": 1.0, "url": "https://example.invalid/README#how-matching-works"},
        "country_match": {"description": "a query country among the entity's countries raises the score (a share "
                                         "of the gap to 1.0)", "coefficient": o.country_match, "url": ""},
        "country_mismatch": {"description": "no query country among the entity's countries",
                             "coefficient": -o.country_mismatch, "url": ""},
        "date_match": {"description": "a year of birth/incorporation within a year of a listed one",
                       "coefficient": o.date_match, "url": ""},
        "date_mismatch": {"description": "no listed year within a year", "coefficient": -o.date_mismatch, "url": ""},
        "identifier_match": {"description": "an exact registration/IMO/passport/... number: a hit on its own",
                             "coefficient": o.identifier_score, "url": ""},
        "as_written": {"description": "as written: only the listed name exactly as written keeps 1.0",
               "coefficient": -o.as_written, "url": ""},
    }
    for f in features.values():
        f["url"] = ""
    threshold = service(request).settings.threshold
    ours = {"name": MATCHER_VERSION, "description": f"The screening matcher {MATCHER_VERSION} (calibrated "
                                                    f"threshold {threshold})",
            "features": features, "docs": {"name": MATCHER_VERSION, "description": "n-gram retrieval, token "
                                           "alignment scoring, per-entity qualifiers", "config": {},
                                           "features": features}}
    out = [ours]
    for name in YENTE_ALGORITHMS:
        if name == "best":
            continue
        out.append({"name": name, "description": f"yente's {name}: answered by {MATCHER_VERSION}", "features": features,
                    "docs": {"name": name, "description": f"answered by {MATCHER_VERSION}", "config": {},
                             "features": features}})
    return {"algorithms": out, "default": "best", "best": MATCHER_VERSION, "answered_by": {
        name: MATCHER_VERSION for name in (*YENTE_ALGORITHMS, MATCHER_VERSION)}}


# ---- /reconcile -------------------------------------------------------------------------------------

def recon_type(schema: str) -> dict[str, str]:
    return {"id": schema, "name": ftm.MATCHABLE[schema][1]}


def base_url(request: Request, dataset: str) -> str:
    return str(request.base_url).rstrip("/") + f"/reconcile/{dataset}"


def manifest(request: Request, svc: Service, dataset: str) -> dict[str, Any]:
    base = base_url(request, dataset)
    root = str(request.base_url).rstrip("/")
    # pass a key given in the URL on to the suggest services (for clients that can't send headers), as yente does
    key = getattr(request.state, "url_api_key", None)
    qs = f"?{urlencode({'api_key': key})}" if key else ""
    return {
        "versions": ["0.2"],
        "name": f"Sanctions screening: {dataset} ({svc.watchlist.id} {svc.watchlist.version})",
        "identifierSpace": f"{root}/entities/",
        "schemaSpace": "https://www.opensanctions.org/reference/#schema",
        "documentation": f"{root}/docs",
        "serviceVersion": MATCHER_VERSION,
        "view": {"url": f"{root}/entities/{{{{id}}}}"},
        "batchSize": 10,
        "suggest": {
            "entity": {"service_url": base, "service_path": f"/suggest/entity{qs}"},
            "type": {"service_url": base, "service_path": f"/suggest/type{qs}"},
            "property": {"service_url": base, "service_path": f"/suggest/property{qs}"},
        },
        "defaultTypes": [recon_type(s) for s in ftm.RECONCILE_TYPES],
        "extend": {
            "propose_properties": {"service_url": base, "service_path": f"/extend/property{qs}"},
            "property_settings": [{"name": "limit", "label": "Limit", "type": "number", "default": 0,
                                   "help_text": "Most values per row (0: all)"}],
        },
    }


def parse_recon_batch(raw: str) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise RequestError(f"queries: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise RequestError("queries: must be a JSON object of {key: {\"query\", \"type\", \"limit\", \"properties\"}}")
    if len(data) > MAX_BATCH:
        raise HTTPException(400, detail=f"Too many queries in one batch (limit: {MAX_BATCH})")
    return data


def recon_plan(key: str, q: dict[str, Any]) -> tuple[ftm.QueryPlan, int]:
    """One reconciliation query as an FtM example: the query string is a name, `pid` names an FtM property."""
    schema = q.get("type") or "LegalEntity"
    if isinstance(schema, list):
        schema = schema[0] if schema else "LegalEntity"
    if not isinstance(schema, str):
        raise RequestError(f"queries.{key}.type: must be a type id or a list of them")
    props: dict[str, list[Any]] = {}
    if isinstance(q.get("query"), str):
        props["name"] = [q["query"]]
    for i, p in enumerate(q.get("properties") or []):
        if not isinstance(p, dict) or "pid" not in p or "v" not in p:
            raise RequestError(f"queries.{key}.properties[{i}]: needs pid and v")
        pid = str(p["pid"]).rpartition(":")[2]  # "LegalEntity:country" or "country"
        values = p["v"] if isinstance(p["v"], list) else [p["v"]]
        props.setdefault(pid, []).extend(v.get("name") or v.get("id") if isinstance(v, dict) else v for v in values)
    limit = q.get("limit", 5)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise RequestError(f"queries.{key}.limit: must be a whole number >= 0")
    return ftm.plan_query(key, schema, props), min(limit, MAX_PAGE)


def reconcile_queries(request: Request, svc: Service, raw: str, sources: set[str]) -> dict[str, Any]:
    batch = parse_recon_batch(raw)
    planned = [recon_plan(str(k), q) for k, q in batch.items()]
    threshold = svc.settings.threshold
    merged = screen_plans(request, svc, [p for p, _ in planned], cutoff=RECONCILE_CUTOFF, threshold=threshold,
                          channel="reconcile")
    out = {}
    for (plan, limit), hits in zip(planned, merged, strict=True):
        results = []
        for h in hits:
            r = ftm_hit(svc, h, threshold)
            if not sources.intersection(r["datasets"]):
                continue
            results.append({"id": r["id"], "name": r["caption"], "description": _describe(r),
                            "score": r["score"], "match": r["match"], "type": [recon_type(r["schema"])],
                            "features": [{"id": k, "value": v["score"]} for k, v in r["explanations"].items()]})
        out[plan.key] = {"result": results[:limit]}
    return out


def _describe(r: dict[str, Any]) -> str:
    props = r["properties"]
    bits = [r["schema"], ", ".join(r["datasets"])]
    countries = sorted({c for k in COUNTRY_KEYS for c in props.get(k, [])})
    if countries:
        bits.append(", ".join(countries))
    if props.get("programId"):
        bits.append(", ".join(props["programId"][:3]))
    return "; ".join(b for b in bits if b)


@router.get("/reconcile/{dataset}", tags=["reconciliation"], summary="Reconciliation manifest, or queries=...")
def reconcile_get(request: Request, dataset: Annotated[str, P(examples=["default"])],
                  queries: Annotated[str | None, Q(description="a JSON batch of reconciliation queries")] = None,
                  algorithm: Annotated[str, Q(description="yente's names accepted; one matcher answers")] = "best",
                  changed_since: Annotated[str | None, Q(pattern=TS_PATTERN, description="accepted")] = None,
                  ) -> dict[str, Any]:
    """The W3C Reconciliation Service API 0.2 manifest; with `queries`, the reconciliation results."""
    svc = service(request)
    sources = scope_sources(svc, dataset)
    check_algorithm(algorithm)
    if queries is not None:
        return reconcile_queries(request, svc, queries, sources)
    return manifest(request, svc, dataset)


@router.post("/reconcile/{dataset}", tags=["reconciliation"], summary="Reconciliation queries")
def reconcile_post(request: Request, response: Response, dataset: Annotated[str, P(examples=["default"])],
                   queries: Annotated[str | None, Form(description="a JSON batch of reconciliation queries")] = None,
                   extend: Annotated[str | None, Form(description="a JSON data extension query: ids and properties")
                                     ] = None,
                   algorithm: Annotated[str, Q(description="yente's names accepted; one matcher answers")] = "best",
                   changed_since: Annotated[str | None, Q(pattern=TS_PATTERN, description="accepted")] = None,
                   ) -> dict[str, Any]:
    """Reconcile a batch (`queries`, a form field as OpenRefine sends it, or a query parameter)."""
    svc = service(request)
    sources = scope_sources(svc, dataset)
    check_algorithm(algorithm)
    if extend is not None and extend.strip():
        return extend_rows(request, svc, extend)
    raw = queries if queries is not None else request.query_params.get("queries")
    if raw is None:
        raise HTTPException(400, detail="No queries or extend request provided.")
    out = reconcile_queries(request, svc, raw, sources)
    response.headers["x-batch-size"] = str(len(out))
    return out


EXTEND_PROPS = ("name", "alias", "weakAlias", "previousName", "country", "nationality", "flag", "birthDate",
                "incorporationDate", "registrationNumber", "idNumber", "passportNumber", "innCode", "ogrnCode",
                "taxNumber", "imoNumber", "mmsi", "swiftBic", "leiCode", "programId", "topics", "notes", "sourceUrl")


def extend_rows(request: Request, svc: Service, raw: str) -> dict[str, Any]:
    """Data extension: property values of reconciled entities, `{"meta": [...], "rows": {id: {pid: [{"str"}]}}}`."""
    try:
        query = json.loads(raw)
    except ValueError as exc:
        raise RequestError(f"extend: not valid JSON ({exc})") from None
    if not isinstance(query, dict) or not isinstance(query.get("ids"), list) or \
            not isinstance(query.get("properties"), list):
        raise RequestError('extend: must be a JSON object {"ids": [...], "properties": [{"id": ...}]}')
    if len(query["ids"]) > MAX_BATCH:
        raise HTTPException(400, detail=f"Too many queries in one batch (limit: {MAX_BATCH})")
    pids = []
    for p in query["properties"]:
        if not isinstance(p, dict) or not isinstance(p.get("id"), str):
            raise RequestError('extend: each property must be {"id": "<property>"}')
        limit = (p.get("settings") or {}).get("limit", 0)
        pids.append((p["id"], p["id"].rpartition(":")[2], int(limit) if str(limit).isdigit() else 0))
    index = entity_ids(request, svc)
    rows: dict[str, dict[str, list[dict[str, str]]]] = {}
    for eid in map(str, query["ids"]):
        i = svc.watchlist.index_of(index.get(eid, eid))
        props = {}
        if i is not None:
            props = ftm.entity_properties(linked(svc, i)[1])
        rows[eid] = {pid: [{"str": v} for v in props.get(name, [])[: limit or None]] for pid, name, limit in pids}
    meta = [{"id": pid, "name": ftm.PROPERTY_LABELS.get(name, name)} for pid, name, _ in pids]
    return {"meta": meta, "rows": rows}


@router.get("/reconcile/{dataset}/extend/property", tags=["reconciliation"], summary="Properties to extend with")
def extend_property(request: Request, dataset: Annotated[str, P(examples=["default"])],
                    type: Annotated[str, Q(examples=["Company"])] = "LegalEntity",
                    limit: Annotated[int, Q(ge=0)] = 0) -> dict[str, Any]:
    """The properties data extension can add as columns, for a type (FtM schema)."""
    scope_sources(service(request), dataset)
    ftm.check_schema(type)
    props = [{"id": p, "name": ftm.PROPERTY_LABELS.get(p, p)} for p in EXTEND_PROPS]
    return {"limit": limit, "type": type, "properties": props[:limit] if limit else props}


def _prefix_match(prefix: str, *names: str) -> bool:
    p = prefix.strip().lower()
    return bool(p) and any(n.lower().startswith(p) or any(w.startswith(p) for w in re.split(r"\W+", n.lower()))
                        for n in names)


@router.get("/reconcile/{dataset}/suggest/entity", tags=["reconciliation"], summary="Suggest entities")
def suggest_entity(request: Request, dataset: Annotated[str, P(examples=["default"])],
                   prefix: Annotated[str, Q(examples=["Sinno"])] = "",
                   limit: Annotated[int, Q(ge=0, le=MAX_PAGE)] = 10) -> dict[str, Any]:
    """Entities whose names match what has been typed so far (screened, and audited, like a search)."""
    svc = service(request)
    sources = scope_sources(svc, dataset)
    result: list[dict[str, Any]] = []
    if prefix.strip():
        plan = ftm.plan_query("prefix", "Thing", {"name": [prefix]})
        threshold = svc.settings.threshold
        found = [ftm_hit(svc, h, threshold) for h in screen_plans(request, svc, [plan], cutoff=SEARCH_CUTOFF,
                                                                  threshold=threshold, channel="reconcile-suggest")[0]]
        # then names that begin with what has been typed, which a name score rates low ("alexander zak")
        wl = svc.watchlist
        for j in ftm.prefix_matches(wl.core, prefix, limit * 4):
            canonical, ents, listings = linked(svc, wl.name_entity_list[j])
            found.append(ftm.entity_to_ftm(canonical, ents, listings, titles=SOURCE_TITLES))
        seen_ids: set[str] = set()
        for r in found:
            if r["id"] in seen_ids or not sources.intersection(r["datasets"]):
                continue
            seen_ids.add(r["id"])
            t = [recon_type(r["schema"])]
            result.append({"id": r["id"], "name": r["caption"], "description": _describe(r), "type": t, "notable": t})
    return {"code": "/api/status/ok", "status": "200 OK", "prefix": prefix, "result": result[:limit]}


@router.get("/reconcile/{dataset}/suggest/type", tags=["reconciliation"], summary="Suggest types (FtM schemata)")
def suggest_type(request: Request, dataset: Annotated[str, P(examples=["default"])],
                 prefix: Annotated[str, Q(examples=["Comp"])] = "") -> dict[str, Any]:
    scope_sources(service(request), dataset)
    result = [recon_type(s) for s in ftm.RECONCILE_TYPES if _prefix_match(prefix, s, ftm.MATCHABLE[s][1])]
    return {"code": "/api/status/ok", "status": "200 OK", "prefix": prefix, "result": result}


@router.get("/reconcile/{dataset}/suggest/property", tags=["reconciliation"], summary="Suggest properties")
def suggest_property(request: Request, dataset: Annotated[str, P(examples=["default"])],
                     prefix: Annotated[str, Q(examples=["birth"])] = "") -> dict[str, Any]:
    """The FtM properties a reconciliation query may give (`pid`): names, countries, dates, identifiers."""
    scope_sources(service(request), dataset)
    usable = [*ftm.NAME_PROPS, *ftm.NAME_PART_PROPS, *ftm.COUNTRY_PROPS, *ftm.DATE_PROPS, *ftm.IDENTIFIER_PROPS]
    result = [{"id": f"{ftm.PROPERTY_SCHEMA[p]}:{p}", "name": ftm.PROPERTY_LABELS.get(p, p)} for p in usable
              if _prefix_match(prefix, p, ftm.PROPERTY_LABELS.get(p, p))]
    return {"code": "/api/status/ok", "status": "200 OK", "prefix": prefix, "result": result}


# ---- CORS on /reconcile, and the key from a query parameter -----------------------------------------

CORS_HEADERS = [(b"access-control-allow-origin", b"*"), (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                (b"access-control-allow-headers", b"Authorization, X-API-Key, Content-Type"),
                (b"access-control-max-age", b"600")]


class ReconcileCORS:
    """CORS on /reconcile/* only (browser-based reconciliation clients), and `?api_key=` for clients that can't
    send headers (OpenRefine): the key moves into the X-API-Key header and out of the query string, so the
    access log never shows it. Every other route is left as it is."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/reconcile/"):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": CORS_HEADERS})
            await send({"type": "http.response.body", "body": b""})
            return
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        keys = [v for k, v in pairs if k == "api_key"]
        if keys:
            scope["query_string"] = urlencode([(k, v) for k, v in pairs if k != "api_key"]).encode("latin-1")
            headers = [(k, v) for k, v in scope["headers"] if k != b"x-api-key"]
            scope["headers"] = [*headers, (b"x-api-key", keys[0].encode("latin-1"))]
            scope.setdefault("state", {})["url_api_key"] = keys[0]

        async def send_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *CORS_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_cors)
