"""Two stages: the kernel retrieves candidate names for a batch, then `scoring` ranks them per entity."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from rapidfuzz import fuzz

from . import kernel, keyindex, ngrams, scripts, stage2
from .normalise import NameForm, name_form
from .scoring import MAX_LIFT, NameScore, Params, _translit_key, compare, respelt_join, script_similarity, token_similarity
from .watchlist import PRIMARY, SCRIPT, TYPE_CODES, TYPE_NAMES, WEAK, Watchlist, name_script_of

PERSON = TYPE_CODES["person"]
_NONE = np.empty(0, np.int32)

MATCHER_VERSION = "m1"


@dataclass(frozen=True)
class MatchOptions:
    candidates: int = 12  # names kept per query by stage 1 (dev-set hits all rank in the top 8)
    ngram_floor: float = 0.3  # cosine below which a name is not a candidate (99.9% of dev-set hits are above 0.38)
    rare_token_weight: float = 0.5  # query tokens this distinctive also pull in the names spelling them otherwise
    weak_min: float = 0.95  # a weak alias only counts when this close
    weak_min_length: int = 4  # ...and only when it is longer than a bare initialism ("HM")
    initialism_max: int = 2  # an alias this short ("HM" for HIZBUL MUJAHIDEEN) is weak whatever its list says
    no_surname: float = 0.85  # factor: a person's name matched on none of the surnames its list marks (see surnames)
    country_match: float = 0.02
    country_mismatch: float = 0.05  # a listed country that is not the query's costs this...
    country_mismatch_gap: float = 1.0  # ...plus this many times the name score's gap to 1.0 (see _country_adjust)
    date_match: float = 0.05  # share of the gap to 1.0 that a matching year of birth/incorporation adds
    date_mismatch: float = 0.1  # no listed year within date_tolerance years
    date_tolerance: int = 1
    identifier_score: float = 0.95  # an exact identifier match is a hit on its own
    as_written: float = 0.03  # share of the score that rewards the name as written (punctuation, order)
    workers: int = 1
    abjad_ngram_floor: float = 0.1  # the cosine floor for an abjad query, looked up by its skeleton grams too...
    abjad_candidates: int = 20  # ...which rank less sharply: more names kept
    skeleton_min: int = keyindex.SKELETON_MIN  # a word's consonant skeleton this long pulls in the names spelling it
    skeleton_posting: int = keyindex.SKELETON_POSTING  # otherwise, when there are no more spellings than this,
    skeleton_per_spelling: int = keyindex.SKELETON_PER_SPELLING  # taking this many of each spelling's shortest names
    all_words_max: int = 8  # the names holding every word of a query are candidates when there are no more than this
    prune: bool = True  # skip a candidate once no adjustment could lift it to the threshold (same hits, faster)
    vectorised: bool = True  # name scores from the array program (stage2), the twin only explains the hits returned
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
    def written(self) -> str:
        """The name as written, for the as-written tie-break."""
        return _as_written(self.raw) if self.raw else ""

    @cached_property
    def person_form(self) -> NameForm:
        """The name read as a person's: no token of it is a legal form ("Li Na", "Maria Sá"). A name
        that is nothing but a legal form ("ПАО") is nobody's name: empty, it matches no person."""
        if not self.raw or self.type == "company":
            return self.form
        if self.form.only_legal:
            return NameForm("", "", (), ())
        return name_form(self.raw, person=True)


@dataclass
class Match:
    entity: int
    name: int
    score: float
    detail: NameScore | None  # None until the matcher explains a returned hit
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
            # every feature the name score was computed from (screening.scoring.Features)
            "features": {k: round(v, 4) for k, v in asdict(d.features).items()} if d.features else {},
            "weak_alias": weak_alias(flags, wl.form(self.name), MatchOptions.initialism_max),
            "original_script": bool(flags & SCRIPT),
        }


def weak_alias(flags: int, c: NameForm, initialism_max: int) -> bool:
    """A listed name that is weak evidence: flagged weak by its list, or an alias of `initialism_max` letters or
    fewer (MatchOptions.initialism_max). Two letters ("HM", "H&M") name a thousand firms; the lists that give them
    seldom flag them."""
    return bool(flags & WEAK) or (not flags & PRIMARY and len(c.core.replace(" ", "")) <= initialism_max)


def surnames(display: str) -> frozenset[str]:
    """The surname tokens a listed person's name marks: lists that write names in mixed case write the surname
    in capitals ("Jose Vicente PENA PACHECO", OFAC; "Michel Joseph MARTELLY"). A name in one case marks none."""
    if not any(ch.islower() for ch in display):
        return frozenset()
    caps = [w for w in display.replace(",", " ").split() if w.isupper() and sum(ch.isalpha() for ch in w) >= 2]
    return frozenset(name_form(" ".join(caps), person=True).tokens) if caps else frozenset()


def _as_written(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _query_vector(tokens: Sequence[str], vocab: dict[str, int], idf: np.ndarray, *, min_idf: float = 0.0,
                  abjad: bool = False, unknown: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One query's row of `ngrams.vectorise`, as (gram indices int32, ascending; values float32), without building a
    sparse matrix: the same numbers, bit for bit (tests/test_matcher_single.py holds it to that). `unknown` is
    `idf.max()`, passed in by a caller that keeps it."""
    if unknown is None:
        unknown = float(idf.max()) if len(idf) else 1.0
    grams = Counter(ngrams.token_grams(tokens) + ngrams.skeleton_grams(tokens) if abjad else ngrams.token_grams(tokens))
    norm = 0.0
    row: dict[int, float] = {}
    get = vocab.get
    for g, c in grams.items():
        i = get(g)
        if i is None:
            w = c * unknown
        else:
            v = float(idf[i])
            w = c * v
            if v >= min_idf:
                row[i] = w
        norm += w * w
    scale = 1.0 / np.sqrt(norm) if norm else 0.0
    keys = sorted(row)
    return np.array(keys, dtype=np.int32), np.array([row[i] * scale for i in keys], dtype=np.float32)


def people_by_script(wl: Watchlist) -> dict[str, list[tuple[list[list[str]], list[list[str]]]]]:
    """Per script other than Latin: for each linked person with names in that script and Latin ones, (its names in
    the script, its Latin names), as word lists in name order. One pass over the names for every script."""
    by_group: dict[int, dict[str, list[list[str]]]] = {}
    entity_type, group, display, core = wl.entity_type_list, wl.entity_group_list, wl.display, wl.core
    for j, e in enumerate(wl.name_entity_list):
        if entity_type[e] == PERSON:
            s = name_script_of(display[j])
            by_group.setdefault(group[e], {}).setdefault(s, []).append(core[j].split())
    out: dict[str, list[tuple[list[list[str]], list[list[str]]]]] = {}
    for names in by_group.values():
        latin = names.get("")
        if latin:
            for s, native in names.items():
                if s:
                    out.setdefault(s, []).append((native, latin))
    return out


def learn_variants(wl: Watchlist, script: str, *, support: int = scripts.VARIANT_SUPPORT,
                   people: dict[str, list[tuple[list[list[str]], list[list[str]]]]] | None = None
                   ) -> frozenset[tuple[str, str]]:
    """scripts.variant_keys over the listed people of `wl`: per linked entity, its names written in `script`
    and its Latin ones (`people`: people_by_script(wl), when the caller has it)."""
    found = (people if people is not None else people_by_script(wl)).get(script, ())
    return scripts.variant_keys(found, script, support=support) if found else frozenset()


class Matcher:
    def __init__(self, wl: Watchlist, options: MatchOptions | None = None,
                 variants: dict[str, frozenset[tuple[str, str]]] | None = None) -> None:
        self.wl = wl
        self.options = options or MatchOptions()
        self._variants: dict[str, frozenset[tuple[str, str]]] = dict(variants or {})  # per script, learned on first use
        self._surnames: dict[int, frozenset[str]] = {}  # per listed name, the surnames it marks (see surnames)

    def variants(self, script: str) -> frozenset[tuple[str, str]]:
        """The pairs of keys (scripts.key) in which the listed people's names in `script` and in Latin letters
        write one name part two ways (scripts.variant_keys): how a name from `script` is also compared.
        Learned from the watchlist's own names on first use, unless given to the constructor."""
        found = self._variants.get(script)
        if found is None:
            found = self._variants[script] = learn_variants(self.wl, script, people=self._people)
        return found

    @cached_property
    def _people(self) -> dict[str, list[tuple[list[list[str]], list[list[str]]]]]:
        return people_by_script(self.wl)

    def key_candidates(self, q: NameForm) -> np.ndarray:
        """The names sharing comparison keys with a query written in a script compared on keys
        (ngrams.key_topk): Arabic "hbyb al lh rshd" finds "Habibullah Reshad"."""
        if not ngrams.KEY_CANDIDATES.get(q.script) or not q.tokens:
            return np.empty(0, np.int32)
        return ngrams.key_topk(self.wl.key_postings(q.script), q.tokens, q.script,
                               ngrams.KEY_CANDIDATES.get(q.script, 0), self.variants(q.script))

    def warm(self) -> None:
        """Build the lazy indexes now (stage 2's tokens, the skeleton and key postings, the learned variants of
        each script compared on keys), not on a first batch."""
        _ = self.skeleton_postings, self.stage2, self.stage2.respelt_joins, self._translit_tokens, self.word_postings
        for script in ngrams.KEY_CANDIDATES:
            self.wl.key_postings(script)
        for script in scripts.KEYED:
            self.variants(script)

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
    def skeleton_postings(self) -> Mapping[str, np.ndarray]:
        """Listed word -> the names holding another spelling of it: a word of the same consonant
        skeleton ("hezbollah" -> the names with "hizballah"), for skeletons that few names share
        (keyindex.skeleton_postings; compiled into the artifact for the default options)."""
        o = self.options
        return self.wl.skeleton_postings(o.skeleton_min, o.skeleton_posting, o.skeleton_per_spelling)

    @cached_property
    def word_postings(self) -> dict[str, np.ndarray]:
        """Listed word -> the names holding it (ascending); built on first use."""
        index: dict[str, list[int]] = {}
        for j, core in enumerate(self.wl.core):
            for t in set(core.split()):
                index.setdefault(t, []).append(j)
        return {t: np.array(js, dtype=np.int32) for t, js in index.items()}

    def all_words(self, q: NameForm) -> np.ndarray | None:
        """The names holding every word of a query of two or more words, when there are at most
        `all_words_max` of them: a short form of a long name ("Muhammad AL-RAWI" for Muhammad Abd-al-Qadir Mutni
        Assaf AL-RAWI) ranks low on n-grams, below the shorter names that share its words."""
        words = set(q.tokens)
        if len(words) < 2 or q.script or q.abjad:
            return None
        return self._holding(words)

    def rare_words(self, q: NameForm) -> np.ndarray | None:
        """The names holding every distinctive word of a query that has common ones too, when there are at most
        `all_words_max` of them: the n-grams of its common words fill the top-k ("AL FAY COMPANY (HONG KONG)
        LIMITED": a dozen names with HONG KONG, none with FAY, before AL FAY COMPANY)."""
        words = set(q.tokens)
        rare = {t for t in words if self.wl.weights(t) >= self.options.rare_token_weight}
        if not rare or len(rare) == len(words) or q.script or q.abjad:
            return None
        return self._holding(rare)

    @cached_property
    def _translit_tokens(self) -> tuple[np.ndarray, np.ndarray]:
        """The listed tokens grouped by transliteration key id: (token ids in key order, each key id's start)."""
        ids = self.stage2.tokens.mat[:, stage2.TRANSLIT]
        order = np.argsort(ids, kind="stable")
        starts = np.searchsorted(ids[order], np.arange(len(self.stage2.key_ids["translit"]) + 1))
        return order, starts

    def respelt(self, q: NameForm) -> list[np.ndarray]:
        """The names the matcher may join words of against a word spelt otherwise (scoring._merge_joined): two
        query words whose join is a listed word's respelling ("hosseini tash" -> HOSEYNITASH), and a query word
        that respells two listed words joined; when few names hold them (`all_words_max`). N-grams of the words
        apart rank such names low."""
        if q.script or q.abjad:
            return []
        ix, post, most = self.stage2, self.word_postings, self.options.all_words_max
        out = []
        order, starts = self._translit_tokens
        for a, b in zip(q.tokens, q.tokens[1:], strict=False):
            if respelt_join(a, b) and (kid := ix.key_ids["translit"].get(_translit_key(a + b))) is not None:
                for tok in order[starts[kid] : starts[kid + 1]].tolist():
                    if (p := post.get(ix.tokens.text[tok])) is not None and len(p) <= most:
                        out.append(p)
        for t in q.tokens:
            if t.isalpha() and (p := ix.respelt_joins.get(_translit_key(t))) is not None and len(p) <= most:
                out.append(p)
        return out

    def _holding(self, words: set[str]) -> np.ndarray | None:
        post = self.word_postings
        lists = sorted((post.get(t, _NONE) for t in words), key=len)
        found = lists[0]
        for other in lists[1:]:  # the shortest first: each step looks up only what is left
            if not len(found):
                return None
            found = found[other[np.minimum(np.searchsorted(other, found), len(other) - 1)] == found]
        return found if 0 < len(found) <= self.options.all_words_max else None

    @cached_property
    def _unknown_idf(self) -> float:
        """The IDF a gram the watchlist lacks counts with in a query's norm (ngrams.vectorise's `unknown`)."""
        idf = self.wl.gram_idf
        return float(idf.max()) if len(idf) else 1.0

    @cached_property
    def stage2(self) -> stage2.Index:
        """The listed names' tokens and rule keys for the array scorer; built on first use."""
        return stage2.Index(self.wl.core, self.wl.full, self.wl.weights, self.wl.form, name_script=self.wl.name_script,
                            table=self.wl.token_table(), variants=self.variants)

    def _name_scores(self, queries: list[QueryForm], cands: list[np.ndarray], floor: float,
                     pairs: int) -> list[list[float]] | None:
        """Stage 2's name scores of every candidate, in one array program over the batch; None for a batch
        too small to gain from it (the twin scores it, candidate by candidate). `pairs` is the batch's size
        before the candidates of the wrong type were dropped: it decides, so each pair takes the path it did
        when they were scored too."""
        if pairs < stage2.TWIN_BELOW or self.options.params.model is not None:
            return None  # the array program mirrors the hand-set tail; a fitted model is scored by the twin
        wl, forms, pf, pn, pk = self.wl, [], [], [], []
        for q, cand in zip(queries, cands, strict=True):
            kinds = wl.entity_type[wl.name_entity[cand]].astype(np.int64) if len(cand) else np.empty(0, np.int64)
            person = kinds == PERSON
            forms.append(q.form)
            fi = np.full(len(cand), len(forms) - 1, np.int64)
            if person.any():
                forms.append(q.person_form)
                fi[person] = len(forms) - 1
            pf.append(fi)
            pn.append(cand)
            pk.append(kinds)
        scores = stage2.score_pairs(self.stage2, forms, np.concatenate(pf), np.concatenate(pn), np.concatenate(pk),
                                    self.options.params, floor=floor, workers=self.options.workers,
                                    twin_below=0).tolist()
        out, at = [], 0
        for cand in cands:
            out.append(scores[at : at + len(cand)])
            at += len(cand)
        return out

    def _topk_one(self, tokens: tuple[str, ...], abjad: bool, k: int, floor: float) -> np.ndarray:
        """Stage 1's n-gram cosine top-k of one name's `tokens`."""
        wl = self.wl
        gi, gv = _query_vector(tokens, wl.gram_map, wl.gram_idf, min_idf=wl.common_gram_idf, abjad=abjad,
                               unknown=self._unknown_idf)
        return kernel.cosine_topk_one(gi, gv, wl.names_t, k=k, threshold=floor)[0]

    def candidates(self, queries: list[QueryForm]) -> list[np.ndarray]:
        """Stage 1: name indices worth scoring, per query: the n-gram cosine top-k, and every name
        with a word of the same distinctive consonant skeleton as a query word (Hezbollah finds
        HIZBALLAH even where a dozen names spelled "hezbollah" fill the top-k)."""
        o, wl = self.options, self.wl
        found: list[np.ndarray] = [np.empty(0, np.int32)] * len(queries)
        for abjad, floor, k in ((False, o.ngram_floor, o.candidates), (True, o.abjad_ngram_floor, o.abjad_candidates)):
            rows = [i for i, q in enumerate(queries) if q.form.abjad == abjad]
            if not rows:
                continue
            if len(rows) == 1 and o.workers <= 1:  # one name: the same product without scipy's per-call cost
                found[rows[0]] = self._topk_one(queries[rows[0]].form.tokens, abjad, k, floor)
                continue
            vectors = ngrams.vectorise([queries[i].form.tokens for i in rows], wl.gram_map, wl.gram_idf,
                                       min_idf=wl.common_gram_idf, abjad=[abjad] * len(rows))
            for i, (idx, _) in zip(rows, kernel.cosine_topk(vectors, wl.names_t, k=k, threshold=floor,
                                                            threads=o.workers), strict=True):
                found[i] = idx
        post = self.skeleton_postings
        out = []
        for q, idx in zip(queries, found, strict=True):
            extra = [p for t in q.form.tokens if (p := post.get(t)) is not None and wl.weights(t) >= o.rare_token_weight]
            if (every := self.all_words(q.form)) is not None:
                extra.append(every)
            if (rare := self.rare_words(q.form)) is not None:
                extra.append(rare)
            extra += self.respelt(q.form)
            if q.form.script in ngrams.KEY_CANDIDATES:
                extra.append(self.key_candidates(q.form))
            # "V.V.Putin" is two words only read as a person's name
            sf = q.form if q.form.spelled or "." not in q.raw else q.person_form
            if sf.spelled and not sf.abjad and (rest := [t for t in sf.tokens if t not in sf.spelled]):
                # a person's initials run together ("V.V. Putin" -> "vv") are no n-grams of the names they begin:
                # the rest of the name retrieves too
                extra.append(self._topk_one(tuple(rest), False, o.candidates, o.ngram_floor))
            out.append(np.unique(np.concatenate([idx, *extra])) if extra else idx)
        return out

    def _as_written_adjust(self, q: QueryForm, e: int, j: int, score: float, adj: list[tuple[str, float]]) -> float:
        # Spread: names that normalise alike still differ as written; only the listed
        # name exactly as written (up to case and spacing) keeps 1.0.
        # A name in another script than the listed one has no letters to compare with it: half the
        # spread (comparing Arabic letters with Latin ones would cost every such name the whole of it).
        if not q.written:
            written = 1.0
        elif q.form.script != self.wl.form(j).script:
            written = 0.5
        else:
            written = fuzz.ratio(q.written, _as_written(self.wl.display[j])) / 100
        if written < 1:
            adj.append(("as written", -round(score * self.options.as_written * (1 - written), 4)))
            score += adj[-1][1]
        return score

    def _country_adjust(self, q: QueryForm, e: int, j: int, score: float, adj: list[tuple[str, float]]) -> float:
        o = self.options
        countries = self.wl.entity_countries[e] if q.country and score > 0 else ""
        if countries:
            if q.country.upper() in countries.split(";"):
                # a share of the remaining gap, so a variant never reaches an exact match's 1.0
                adj.append((f"country {q.country.upper()} matches", round(o.country_match * (1 - score), 4)))
            else:
                # Other evidence against weighs more the less sure the name is: an exact listed name keeps
                # its alert elsewhere, a variant of generic words from another country does not.
                cost = o.country_mismatch + o.country_mismatch_gap * (1 - score)
                adj.append((f"country {q.country.upper()} not in {countries}", -round(cost, 4)))
            score = min(1.0, max(0.0, score + adj[-1][1]))
        return score

    def _surname_adjust(self, q: QueryForm, e: int, j: int, score: float, adj: list[tuple[str, float]]) -> float:
        """A person matched on given names only, none of the surnames the list marks ("Jose Vicente" against
        Jose Vicente PENA PACHECO): many people share given names, so that is weak evidence of this one."""
        if self.wl.entity_type_list[e] != PERSON or score <= 0:
            return score
        marked = self._surnames.get(j)
        if marked is None:
            marked = self._surnames[j] = surnames(self.wl.display[j])
        if not marked or marked.issuperset(self.wl.form(j).tokens):
            return score  # every part marked: a list that writes the whole name in capitals there
        weight, tokens, listed = self.wl.weights, q.person_form.tokens, self.wl.form(j).tokens
        script = q.form.script or ("Arab" if q.form.abjad else "")
        script = script if script in scripts.KEYED else ""  # a name from a script compared on keys: on its keys too
        native = q.form.script == "Arab"  # an Arabic-script query: its words' other readings too (scoring.abjad_similarity)

        def pairs(words: Iterable[str], marks: Iterable[str]) -> bool:
            return any(t == m or token_similarity(t, m, weight) > 0 or (script and script_similarity(t, m, script, native) > 0)
                       for t in words for m in marks)

        if pairs(tokens, marked):  # the usual case, on pairs the alignment has already compared
            return score
        # a surname written as two words on one side is one on the other ("KAL ASHNIKOV" / KALASHNIKOV), or run
        # into the given name ("ГОЛОВЧЕНКОАНДРЕЙ" / GOLOVCHENKO Andrey)
        words = {*tokens, *(a + b for a, b in zip(tokens, tokens[1:], strict=False))}
        marks = {*marked, *(a + b for a, b in zip(listed, listed[1:], strict=False) if a in marked or b in marked)}
        if pairs(words, marks):
            return score
        adj.append(("no surname of the listed person matched", -round(score * (1 - self.options.no_surname), 4)))
        return score + adj[-1][1]

    def _dob_adjust(self, q: QueryForm, e: int, j: int, score: float, adj: list[tuple[str, float]]) -> float:
        return self._date_adjust(q.dob, e, score, adj) if q.dob and score > 0 else score

    # The adjustments of a candidate's name score by what else the query gives, in order, each with
    # the most it can raise a score. The early-exit floor is derived from these lifts and scoring's.
    ADJUSTMENTS: tuple[tuple[str, Callable[[MatchOptions], float], str], ...] = (
        ("as written", lambda o: 0.0, "_as_written_adjust"),
        ("surname", lambda o: 0.0, "_surname_adjust"),
        ("country", lambda o: o.country_match, "_country_adjust"),
        ("date", lambda o: 2 * o.date_match, "_dob_adjust"),
    )

    def floor(self, threshold: float) -> float:
        """The name score below which no candidate can reach `threshold`, whatever the adjustments."""
        if not self.options.prune:
            return 0.0
        return threshold - MAX_LIFT - sum(lift(self.options) for _, lift, _ in self.ADJUSTMENTS)

    def match(self, queries: list[QueryForm], *, threshold: float, limit: int, explain: bool = True
              ) -> list[list[Match]]:
        """Stage 2: score candidates, keep each entity's best name, filter and rank. Without `explain` the
        hits' `detail` may stay None (a caller that renders only scores and names: the same hits, cheaper)."""
        o, wl = self.options, self.wl
        floor = self.floor(threshold)
        steps = [getattr(self, method) for _, _, method in self.ADJUSTMENTS]
        as_written, later = steps[0], steps[1:]
        name_entity, entity_type, name_flags = wl.name_entity_list, wl.entity_type_list, wl.name_flags_list
        group = wl.entity_group_list  # one hit per linked entity: its best-scoring listing and name
        results = []
        cands = self.candidates(queries)
        pairs = sum(len(c) for c in cands)
        for qi, q in enumerate(queries):  # a name of another type than the query's is never a hit: not scored
            code = TYPE_CODES.get(q.type) if q.type else None
            if code is not None and len(cands[qi]):
                cands[qi] = cands[qi][wl.entity_type[wl.name_entity[cands[qi]]] == code]
        pre = self._name_scores(queries, cands, floor, pairs) if o.vectorised else None
        for qi, (q, cand) in enumerate(zip(queries, cands, strict=True)):
            if not q.form.tokens and not q.identifiers:
                results.append([])
                continue
            type_code = TYPE_CODES.get(q.type) if q.type else None
            best: dict[int, Match] = {}
            for pos, j in enumerate(cand.tolist()):
                e = name_entity[j]
                if type_code is not None and entity_type[e] != type_code:
                    continue
                c = wl.form(j)
                kind = TYPE_NAMES[entity_type[e]]
                if pre is not None:  # the explanation comes from the twin, for the hits returned only
                    s, score = None, pre[qi][pos]
                else:
                    s = compare(q.person_form if kind == "person" else q.form, c, wl.weights, o.params, kind=kind,
                                floor=floor, variants=self.variants)
                    score = s.score
                if score < floor or score <= 0:
                    continue
                adj: list[tuple[str, float]] = []
                score = as_written(q, e, j, score, adj)
                if weak_alias(name_flags[j], c, o.initialism_max) and (score < o.weak_min or len(c.core) < o.weak_min_length):
                    continue  # weak aliases alert only when near-exact, and never on a bare initialism
                for step in later:
                    score = step(q, e, j, score, adj)
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
            for m in hits[:limit] if explain else ():
                if m.detail is None:
                    kind = TYPE_NAMES[entity_type[m.entity]]
                    m.detail = compare(q.person_form if kind == "person" else q.form, wl.form(m.name), wl.weights,
                                       o.params, kind=kind, floor=floor, variants=self.variants)
            results.append(hits[:limit])
        return results
