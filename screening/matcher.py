"""Two stages: the kernel retrieves candidate names for a batch, then `scoring` ranks them per entity."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from . import kernel, ngrams
from .normalise import NameForm, name_form, skeleton
from .scoring import NameScore, Params, compare
from .watchlist import SCRIPT, TYPE_CODES, TYPE_NAMES, WEAK, Watchlist

PERSON = TYPE_CODES["person"]

MATCHER_VERSION = "m1"


@dataclass(frozen=True)
class MatchOptions:
    retrieval: str = "ngram"  # "ngram": sparse 3-gram TF-IDF cosine; "cdist": brute-force rapidfuzz over all names
    candidates: int = 12  # names kept per query by stage 1 (dev-set hits all rank in the top 8)
    ngram_floor: float = 0.3  # cosine below which a name is not a candidate (99.9% of dev-set hits are above 0.38)
    kernel_cutoff: int = 50  # 0-100; for retrieval="cdist"
    rare_token_weight: float = 0.5  # query tokens this distinctive also pull in every name holding them
    max_posting: int = 5000
    weak_min: float = 0.95  # a weak alias only counts when this close
    weak_min_length: int = 4  # ...and only when it is longer than a bare initialism ("HM")
    country_match: float = 0.02
    country_mismatch: float = 0.05
    date_match: float = 0.05  # share of the gap to 1.0 that a matching year of birth/incorporation adds
    date_mismatch: float = 0.1  # no listed year within date_tolerance years
    date_tolerance: int = 1
    identifier_score: float = 0.95  # an exact identifier match is a hit on its own
    as_written: float = 0.03  # share of the score that rewards the name as written (punctuation, order)
    workers: int = 1
    skeleton_min: int = 4  # a word's consonant skeleton this long pulls in the names sharing it...
    skeleton_posting: int = 40  # ...when no more names than this share it
    params: Params = field(default_factory=Params)


@dataclass
class QueryForm:
    form: NameForm
    type: str | None = None
    country: str | None = None
    dob: str | None = None  # date of birth or incorporation: YYYY, YYYY-MM or YYYY-MM-DD
    identifiers: tuple[str, ...] = ()  # identifier keys (watchlist.identifier_key)
    raw: str = ""  # the name as given, for the as-written tie-break

    @cached_property
    def person_form(self) -> NameForm:
        """The name read as a person's: no token of it is a legal form ("Li Na", "Maria Sá")."""
        return name_form(self.raw, person=True) if self.raw and self.type != "company" else self.form


@dataclass
class Match:
    entity: int
    name: int
    score: float
    detail: NameScore
    adjustments: list[tuple[str, float]]

    def explanation(self, wl: Watchlist, q: NameForm) -> dict[str, Any]:
        d = self.detail
        flags = int(wl.name_flags[self.name])
        return {
            "listing": wl.entity_ids[self.entity],  # the listing whose name matched
            "query_normalised": q.full,
            "name_normalised": wl.full[self.name],
            "name_score": round(d.score, 4),
            "token_score": round(d.token_score, 4),
            "char_score": round(d.char_score, 4),
            "matched_tokens": [{"query": a, "name": b, "similarity": round(s, 3)} for a, b, s in d.pairs],
            "unmatched_query_tokens": d.query_extra,
            "unmatched_name_tokens": d.name_extra,
            "adjustments": [{"reason": r, "value": v} for r, v in d.adjustments + self.adjustments],
            "weak_alias": bool(flags & WEAK),
            "original_script": bool(flags & SCRIPT),
        }


def _as_written(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


class Matcher:
    def __init__(self, wl: Watchlist, options: MatchOptions | None = None) -> None:
        self.wl = wl
        self.options = options or MatchOptions()

    def _date_adjust(self, dob: str, e: int, score: float, adj: list[tuple[str, float]]) -> float:
        listed = self.wl.entity_dates[e]
        if not listed:
            return score
        years = {int(d[:4]) for d in listed.split(";") if d[:4].isdigit()}
        if not years or not dob[:4].isdigit():
            return score
        o, year = self.options, int(dob[:4])
        if any(abs(year - y) <= o.date_tolerance for y in years):
            exact = dob in listed.split(";")
            bump = round(o.date_match * (2 if exact else 1) * (1 - score), 4)
            adj.append((f"date {dob} {'matches' if exact else 'within a year of'} {listed}", bump))
            return min(1.0, score + bump)
        adj.append((f"date {dob} not near {listed}", -o.date_mismatch))
        return max(0.0, score - o.date_mismatch)

    @cached_property
    def skeleton_postings(self) -> dict[str, np.ndarray]:
        """Consonant skeleton of a listed word -> the names holding such a word (built on first use)."""
        index: dict[str, list[int]] = {}
        for j, core in enumerate(self.wl.core):
            for t in set(core.split()):
                sk = skeleton(t)
                if len(sk) >= self.options.skeleton_min:
                    index.setdefault(sk, []).append(j)
        return {k: np.array(v, dtype=np.int32) for k, v in index.items() if len(v) <= self.options.skeleton_posting}

    def candidates(self, queries: list[QueryForm]) -> list[np.ndarray]:
        """Stage 1: name indices worth scoring, per query: the n-gram cosine top-k, and every name
        with a word of the same distinctive consonant skeleton as a query word (Hezbollah finds
        HIZBALLAH even where a dozen names spelled "hezbollah" fill the top-k)."""
        o, wl = self.options, self.wl
        vectors = ngrams.vectorise([q.form.tokens for q in queries], wl.gram_map, wl.gram_idf, min_idf=wl.common_gram_idf)
        found = kernel.cosine_topk(vectors, wl.names_t, k=o.candidates, threshold=o.ngram_floor, threads=o.workers)
        post = self.skeleton_postings
        out = []
        for q, (idx, _) in zip(queries, found, strict=True):
            extra = [p for t in q.form.tokens if (p := post.get(skeleton(t))) is not None]
            out.append(np.unique(np.concatenate([idx, *extra])) if extra else idx)
        return out

    def _candidates_cdist(self, queries: list[QueryForm]) -> list[np.ndarray]:
        o, wl = self.options, self.wl
        cores = [q.form.core for q in queries]
        by_core = kernel.topk(cores, wl.core, k=o.candidates, score_cutoff=o.kernel_cutoff, workers=o.workers)
        by_sorted = kernel.topk(
            [q.form.sorted_core for q in queries], wl.sorted_core,
            k=o.candidates, score_cutoff=o.kernel_cutoff, workers=o.workers,
        )
        out = []
        for q, (a, _), (b, _) in zip(queries, by_core, by_sorted, strict=True):
            parts = [a, b]
            for t in q.form.tokens:
                if wl.weights(t) >= o.rare_token_weight:
                    post = wl.postings.get(t)
                    if post is not None and len(post) <= o.max_posting:
                        parts.append(post)
            out.append(np.unique(np.concatenate(parts)))
        return out

    def match(self, queries: list[QueryForm], *, threshold: float, limit: int) -> list[list[Match]]:
        """Stage 2: score candidates, keep each entity's best name, filter and rank."""
        o, wl = self.options, self.wl
        # No adjustment lifts a score by more than this: a candidate below it can't become a hit.
        floor = threshold - o.country_match - 2 * o.date_match
        name_entity, entity_type, name_flags = wl.name_entity_list, wl.entity_type_list, wl.name_flags_list
        group = wl.entity_group_list  # one hit per linked entity: its best-scoring listing and name
        results = []
        for q, cand in zip(queries, self.candidates(queries), strict=True):
            if not q.form.tokens and not q.identifiers:
                results.append([])
                continue
            type_code = TYPE_CODES.get(q.type) if q.type else None
            q_written = _as_written(q.raw) if q.raw else ""
            best: dict[int, Match] = {}
            for j in cand.tolist():
                e = name_entity[j]
                if type_code is not None and entity_type[e] != type_code:
                    continue
                c = wl.form(j)
                kind = TYPE_NAMES[entity_type[e]]
                s = compare(q.person_form if kind == "person" else q.form, c, wl.weights, o.params, kind=kind,
                            floor=floor)
                score = s.score
                if score < floor or score <= 0:
                    continue
                adj: list[tuple[str, float]] = []
                if q_written:
                    # Spread: names that normalise alike still differ as written; only the listed
                    # name exactly as written (up to case and spacing) keeps 1.0.
                    written = fuzz.ratio(q_written, _as_written(wl.display[j])) / 100
                    if written < 1:
                        adj.append(("as written", -round(score * o.as_written * (1 - written), 4)))
                        score += adj[-1][1]
                if name_flags[j] & WEAK and (score < o.weak_min or len(c.core) < o.weak_min_length):
                    continue  # weak aliases alert only when near-exact, and never on a bare initialism
                if q.country and score > 0:
                    countries = wl.entity_countries[e]
                    if countries:
                        if q.country.upper() in countries.split(";"):
                            # a share of the remaining gap, so a variant never reaches an exact match's 1.0
                            adj.append((f"country {q.country.upper()} matches", round(o.country_match * (1 - score), 4)))
                        else:
                            adj.append((f"country {q.country.upper()} not in {countries}", -o.country_mismatch))
                        score = min(1.0, max(0.0, score + adj[-1][1]))
                if q.dob and score > 0:
                    score = self._date_adjust(q.dob, e, score, adj)
                prev = best.get(group[e])
                if prev is None or score > prev.score:
                    best[group[e]] = Match(e, j, score, s, adj)
            for key in q.identifiers:
                # "IMO 9187629" finds a listing of kind IMO whose value is "9187629"
                unprefixed = key.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                found = set(wl.identifiers.get(key, ())) | set(wl.identifiers.get(unprefixed, ()) if unprefixed else ())
                for e in sorted(found):
                    if type_code is not None and wl.entity_type[e] != type_code:
                        continue
                    m = best.get(group[e])
                    reason = (f"identifier {key} matches", o.identifier_score)
                    if m is None:
                        best[group[e]] = Match(e, int(wl.first_name[e]), o.identifier_score, NameScore(0.0), [reason])
                    else:
                        m.adjustments.append(reason)
                        m.score = max(m.score, o.identifier_score)
            hits = sorted((m for m in best.values() if m.score >= threshold and m.score > 0),
                          key=lambda m: (-m.score, group[m.entity]))
            results.append(hits[:limit])
        return results
