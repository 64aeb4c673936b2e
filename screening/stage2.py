"""Stage 2 of the matcher as an array program: name scores for a batch of (query form, listed name) pairs.

Arrays in, arrays out; no I/O, no pydantic. `scoring.compare` is the slow twin: for every pair this
module returns exactly the `.score` that `compare(q, c, weight, params, kind=kind, floor=floor)`
returns (tests/test_stage2.py holds it to that), and the matcher builds the explanation of the
hits it returns with the twin.

How a batch is scored:
1. Every token of the listed names has an id and its rule keys (stem, squeezed form, transliteration
   key, consonant skeleton, metaphone, length, first and last letter, weight), computed once per
   watchlist (`Index`). Query tokens get the same keys per batch.
2. Token similarities for all (query token, listed token) combinations of the batch at once: the
   rules of `scoring._similarity` as comparisons of key ids, the edit distances in one rapidfuzz
   `cpdist` call; the few rows a table or a loop decides (abbreviation table, inner deletion,
   contractions) are looked up one by one.
3. Greedy one-to-one alignment, best similarity first, ties by position, over padded
   (pair x query token x listed token) arrays: one argmax per step.
4. Weights, features and the score (`compose`, the mirror of compare's tail).

Pairs whose tokens the twin would re-cut first (a word written as two on the other side, a legal
form glued to or standing for a word) or that are very long go to the twin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist
from rigour.text import metaphone

from .keyindex import KeyPostings
from .model import TYPE_CODES
from .normalise import NameForm
from .scoring import (
    _PATRONYMIC,
    ABBREVIATIONS,
    COMMON,
    MAX_LIFT,
    NAME_PRIOR,
    Params,
    Variants,
    _interior_deletion,
    _is_abbrev,
    _own_word,
    _skeleton,
    _squeeze,
    _stem,
    _translit_key,
    compare,
    gendered,
    glued_legal,
    respelt_join,
)

PERSON = TYPE_CODES["person"]
THINGS = (TYPE_CODES["vessel"], TYPE_CODES["aircraft"])
MAX_TOKENS = 12  # pairs with a longer side go to the twin: keeps the padded arrays small
_KEYS = RULE_KEYS = ("stem", "squeeze", "translit", "skeleton", "metaphone")
# The code a compiled token table (TokenTable) depends on: the rules' keys (scoring.py, rigour's
# metaphone) and the table's layout (this module). An artifact's table of another version is not used.
TABLE_VERSION = "t-" + hashlib.sha256(
    b"".join(Path(__file__).with_name(f).read_bytes() for f in ("stage2.py", "scoring.py"))
    + version("rigour").encode()).hexdigest()[:8]


@lru_cache(maxsize=1 << 18)
def token_keys(t: str) -> tuple[str, str, str, str, str]:
    """The rule keys of one token, as `scoring._similarity` compares them."""
    return _stem(t), _squeeze(t), _translit_key(t), _skeleton(t), metaphone(t)


# Columns of a token row: its listed id (-1 for a query token nobody lists), length, first and last
# letter, digit and abbreviation-key flags, skeleton length, then the rule keys' ids (-1: no listed
# token has that key).
ID, LEN, FIRST, LAST, DIGIT, ABBREV, SKL, STEM, SQUEEZE, TRANSLIT, SKELETON, METAPHONE = range(12)


@dataclass
class _Tokens:
    """Per-token arrays: one row per token."""

    text: list[str]
    mat: np.ndarray  # int64 (tokens x 12), the columns above
    weight: np.ndarray  # float64


def _token_row(t: str, listed: int, key_ids: dict[str, dict[str, int]], grow: bool) -> tuple[int, ...]:
    keys = token_keys(t)
    ids = []
    for name, value in zip(_KEYS, keys, strict=True):
        table = key_ids[name]
        got = table.get(value)
        if got is None:
            got = table.setdefault(value, len(table)) if grow else -1
        ids.append(got)
    return (listed, len(t), ord(t[0]), ord(t[-1]), int(not t.isalpha()), int(t in ABBREVIATIONS), len(keys[3]), *ids)


@dataclass
class NameTokens:
    """Each listed name's words and legal-form words as listed-token ids, and the id of its set of legal-form words."""

    tok: np.ndarray  # int64: every name's words in turn (name j's are tok[ptr[j]:ptr[j + 1]])
    ptr: np.ndarray  # int64 (names + 1)
    legal_tok: np.ndarray  # int64: every name's legal-form words in turn, likewise
    legal_ptr: np.ndarray  # int64 (names + 1)
    legal_set: np.ndarray  # int64 (names): 0 for no legal form, else one id per distinct set of legal-form words


SECTIONS = ("tok", "ptr", "legal_tok", "legal_ptr", "legal_set")  # NameTokens as artifact sections names.<field>


def name_tokens(core: Sequence[str], full: Sequence[str]) -> tuple[list[str], NameTokens]:
    """The listed tokens (in the order Index numbers them: each name's words, then its legal form) and the names
    as their ids."""
    vocab: dict[str, int] = {}
    tok: list[int] = []
    ptr = [0]
    legal_tok: list[int] = []
    legal_ptr = [0]
    legal_sets: dict[frozenset[str], int] = {frozenset(): 0}
    name_legal_set: list[int] = []
    for c, f in zip(core, full, strict=True):
        for t in c.split():
            tok.append(vocab.setdefault(t, len(vocab)))
        ptr.append(len(tok))
        legal = f[len(c) + 1 :].split() if len(f) > len(c) else []  # as Watchlist.form reads it
        for t in legal:
            legal_tok.append(vocab.setdefault(t, len(vocab)))
        legal_ptr.append(len(legal_tok))
        name_legal_set.append(legal_sets.setdefault(frozenset(legal), len(legal_sets)))
    return list(vocab), NameTokens(*(np.array(v, np.int64) for v in (tok, ptr, legal_tok, legal_ptr, name_legal_set)))


def legal_sets(text: Sequence[str], names: NameTokens) -> dict[frozenset[str], int]:
    """Set of legal-form words -> its id in `names.legal_set`."""
    ids, first = np.unique(names.legal_set, return_index=True)
    out: dict[frozenset[str], int] = {frozenset(): 0}
    lt, lp = names.legal_tok, names.legal_ptr
    for i, j in zip(ids.tolist(), first.tolist(), strict=True):
        if i:
            out[frozenset(text[t] for t in lt[lp[j] : lp[j + 1]].tolist())] = i
    return out


def respelt_joins(text: Sequence[str], names: NameTokens) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(keys, ptr, names): the transliteration key of each two adjacent words of a listed name joined (where the
    join may be read as another spelling of one word, scoring.respelt_join) -> the names holding that pair,
    ascending: where a query word is such a join spelt otherwise, the twin joins the pair (scoring._merge_joined).
    Keys in sorted order, names as int32."""
    tok, ptr = names.tok.tolist(), names.ptr.tolist()
    by: dict[str, set[int]] = {}
    for j in range(len(ptr) - 1):
        for i in range(ptr[j], ptr[j + 1] - 1):
            a, b = text[tok[i]], text[tok[i + 1]]
            if respelt_join(a, b):
                by.setdefault(_translit_key(a + b), set()).add(j)
    keys = sorted(by)
    out_ptr = np.zeros(len(keys) + 1, np.int64)
    np.cumsum([len(by[k]) for k in keys], out=out_ptr[1:])
    return keys, out_ptr, np.array([j for k in keys for j in sorted(by[k])], np.int32)


@dataclass
class TokenTable:
    """The listed tokens (in Index order), their rows (the columns above) and each rule key's values by id; and,
    when compiled, the names as token ids."""

    text: list[str]
    mat: np.ndarray  # int64 (tokens x 12)
    keys: dict[str, list[str]]  # rule key -> its values, in id order
    names: NameTokens | None = None
    respelt: tuple[list[str], np.ndarray, np.ndarray] | None = None  # respelt_joins of those names


def listed_tokens(core: Sequence[str], full: Sequence[str]) -> list[str]:
    """The listed names' distinct tokens in the order Index numbers them: each name's words, then its legal form."""
    return name_tokens(core, full)[0]


def token_table(text: list[str], names: NameTokens | None = None) -> TokenTable:
    """Rows and rule keys of listed tokens `text` (token i has listed id i)."""
    key_ids: dict[str, dict[str, int]] = {k: {} for k in _KEYS}
    rows = [_token_row(t, i, key_ids, grow=True) for i, t in enumerate(text)]
    return TokenTable(text, np.array(rows, np.int64).reshape(len(text), 12), {k: list(v) for k, v in key_ids.items()},
                      names)


def table_sections(core: Sequence[str], full: Sequence[str], pack: Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray]]
                   ) -> dict[str, np.ndarray]:
    """A watchlist's TokenTable as artifact sections (`pack` packs a string list): tokens.text, tokens.mat,
    tokens.key.<rule key> and the names as token ids, names.<NameTokens field>; compiled once, so a process that
    loads the watchlist does not compute them."""
    table = token_table(*name_tokens(core, full))
    assert table.names is not None
    out = {"tokens.mat": table.mat}
    out["tokens.text.blob"], out["tokens.text.offsets"] = pack(table.text)
    for k, values in table.keys.items():
        out[f"tokens.key.{k}.blob"], out[f"tokens.key.{k}.offsets"] = pack(values)
    for k in SECTIONS:
        a = getattr(table.names, k)
        out[f"names.{k}"] = a.astype(np.int32) if k in ("tok", "legal_tok", "legal_set") else a
    keys, out["respelt.ptr"], out["respelt.names"] = respelt_joins(table.text, table.names)
    out["respelt.blob"], out["respelt.offsets"] = pack(keys)
    return out


class Index:
    """The listed names as token ids and the listed tokens' keys; built once per watchlist."""

    def __init__(self, core: Sequence[str], full: Sequence[str], weight: Callable[[str], float],
                 form: Callable[[int], NameForm], name_script: np.ndarray | None = None,
                 table: TokenTable | None = None, variants: Variants | None = None) -> None:
        self.weight, self.form, self.variants = weight, form, variants  # variants: the twin's (scoring.compare)
        respelt = None
        if table is None or table.names is None or len(table.names.ptr) != len(core) + 1:
            # none compiled, or not these names': computed here
            text, names = name_tokens(core, full)
            if table is None or table.text != text:
                table = token_table(text)
        else:
            text, names, respelt = table.text, table.names, table.respelt
        self._names = names
        self.vocab = dict(zip(text, range(len(text)), strict=True))
        self.legal_sets = legal_sets(text, names)
        self.key_ids: dict[str, dict[str, int]] = {k: dict(zip(v, range(len(v)), strict=True))
                                                  for k, v in table.keys.items()}
        self.tokens = _Tokens(text, table.mat, np.array([weight(t) for t in text], np.float64))
        self._query_rows: dict[str, tuple[int, ...]] = {}
        self.V = max(1, len(text))
        self.name_tok = np.asarray(names.tok, np.int64)
        self.name_ptr = np.asarray(names.ptr, np.int64)
        self.name_len = np.diff(self.name_ptr)
        self.name_legal_set = np.asarray(names.legal_set, np.int64)
        legal_ptr_a = np.asarray(names.legal_ptr, np.int64)
        self.name_has_legal = np.diff(legal_ptr_a) > 0
        n_names = len(self.name_ptr) - 1
        # a name written in another script (or an abjad) is compared on its script's keys (scoring.align's
        # script= and abjad=): those pairs are the twin's (`name_script`, when given, says it per name)
        self.name_script = (np.asarray(name_script, bool) if name_script is not None else
                            np.array([bool(f.script or f.abjad) for f in map(form, range(n_names))], bool))
        legal_names = np.repeat(np.arange(n_names, dtype=np.int64), np.diff(legal_ptr_a))
        legal_codes = legal_names * self.V + np.asarray(names.legal_tok, np.int64)
        token_names = np.repeat(np.arange(n_names, dtype=np.int64), self.name_len)
        self.legal_codes = np.unique(legal_codes)  # (name, legal class) present
        self.other_codes = np.unique(np.concatenate([token_names * self.V + self.name_tok, legal_codes]))
        has_tok = len(self.name_tok) > 0
        digit_tok = self.tokens.mat[self.name_tok, DIGIT] > 0 if has_tok else np.zeros(0, bool)
        self.name_digit = np.bincount(token_names[digit_tok], minlength=n_names) > 0
        # names that record a patronymic: a query's unmatched one costs only against those (compare's early features)
        patr_tok = (np.array([bool(_PATRONYMIC.search(t)) for t in text], bool)[self.name_tok] if has_tok
                    else np.zeros(0, bool))
        self.name_patr = np.bincount(token_names[patr_tok], minlength=n_names) > 0
        self._sorted: dict[int, str] = {}
        self._respelt: KeyPostings | None = KeyPostings(*respelt) if respelt is not None else None

    def query_tokens(self, tokens: list[str]) -> _Tokens:
        """Rows for query tokens; remembered per token (up to a bound)."""
        cache = self._query_rows
        if len(cache) > 200_000:
            cache.clear()
        rows = []
        for t in tokens:
            row = cache.get(t)
            if row is None:
                row = cache[t] = _token_row(t, self.vocab.get(t, -1), self.key_ids, grow=False)
            rows.append(row)
        return _Tokens(tokens, np.array(rows, np.int64).reshape(len(tokens), 12),
                       np.array([self.weight(t) for t in tokens], np.float64))

    @property
    def respelt_joins(self) -> KeyPostings:
        """`respelt_joins` of the listed names as a mapping: compiled into the artifact, else built on first use."""
        got = self._respelt
        if got is None:
            got = self._respelt = KeyPostings(*respelt_joins(self.tokens.text, self._names))
        return got

    def sorted_tokens(self, j: int) -> str:
        s = self._sorted.get(j)
        if s is None:
            s = self._sorted[j] = " ".join(sorted(self.form(j).tokens))
        return s


def _isin(codes: np.ndarray, sorted_codes: np.ndarray) -> np.ndarray:
    if len(sorted_codes) == 0 or len(codes) == 0:
        return np.zeros(codes.shape, bool)
    pos = np.minimum(np.searchsorted(sorted_codes, codes), len(sorted_codes) - 1)
    return sorted_codes[pos] == codes


# Edits allowed by the length of the shorter word, as scoring._edit_similarity allows them.
_BUDGET = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3], np.int64)
SMALL = 64  # below this many strings a Python loop over rapidfuzz beats one cpdist call
# Below this many pairs the array program's fixed cost (a few hundred numpy calls) exceeds the twin's
# cost per pair (benchmarks/bench_matcher.py prints both): such batches go to the twin whole.
TWIN_BELOW = 48


def _similarities(qt: _Tokens, ct: _Tokens, qa: np.ndarray, cb: np.ndarray, workers: int = 1) -> np.ndarray:
    """`scoring.token_similarity(query token qa, listed token cb)` for arrays of combinations."""
    A, B = qt.mat[qa], ct.mat[cb]
    eq = A == B
    la, lb = A[:, LEN], B[:, LEN]
    first = eq[:, FIRST]
    out = np.zeros(len(qa), np.float64)
    same = eq[:, ID]
    out[same] = 1.0
    rest = ~same & (A[:, DIGIT] == 0) & (B[:, DIGIT] == 0)  # numbers must agree exactly
    hit = rest & (eq[:, STEM] | ((np.abs(la - lb) == 1) & eq[:, SQUEEZE]))
    out[hit] = 0.95
    rest &= ~hit
    hit = rest & eq[:, TRANSLIT]
    out[hit] = 0.9
    rest &= ~hit
    hit = rest & first & (A[:, SKL] >= 4) & eq[:, SKELETON]
    out[hit] = 0.85
    rest &= ~hit
    m, n = np.minimum(la, lb), np.maximum(la, lb)
    # the abbreviation table and an inner deletion: a handful of rows, looked up one by one
    table = rest & np.where(la <= lb, A[:, ABBREV], B[:, ABBREV]).astype(bool)
    inner = rest & (m == 4) & (n == 5) & first & eq[:, LAST]
    for r in np.flatnonzero(table | inner).tolist():
        a, b = qt.text[qa[r]], ct.text[cb[r]]
        short, long = (a, b) if len(a) <= len(b) else (b, a)
        if table[r] and long in ABBREVIATIONS[short]:
            out[r] = 0.9
            rest[r] = False
        elif inner[r] and _interior_deletion(short, long):  # the table comes first, then the edit similarity
            out[r] = 0.8
            rest[r] = False
    # the edit similarity
    budget = _BUDGET[np.minimum(m, len(_BUDGET) - 1)]
    rows = np.flatnonzero(rest & (budget > 0) & (first | (m > 6)))
    if len(rows):
        a_s, b_s = [qt.text[i] for i in qa[rows].tolist()], [ct.text[i] for i in cb[rows].tolist()]
        if len(rows) < SMALL:  # cpdist's own overhead outweighs a short loop
            d = np.array([OSA.distance(a, b, score_cutoff=4) for a, b in zip(a_s, b_s, strict=True)], np.int64)
        else:
            d = cpdist(a_s, b_s, scorer=OSA.distance, score_cutoff=4, dtype=np.int64, workers=workers)
        bud, nn = budget[rows], n[rows]
        coef = np.where(m[rows] <= 6, 1.0, 0.6)
        sounds = first[rows] & eq[rows, METAPHONE]
        out[rows] = np.where(d <= bud, 1.0 - coef * d / nn, np.where((d == bud + 1) & sounds, 0.8, 0.0))
    # a contraction or prefix of a common word ("tech", "shpg"): only where the longer word is common
    cand = rest & (n >= m + 2) & (m >= 3) & first & (out < 0.9)
    if cand.any():
        w_long = np.where(la > lb, qt.weight[qa], ct.weight[cb])
        for r in np.flatnonzero(cand & (w_long <= COMMON)).tolist():
            a, b = qt.text[qa[r]], ct.text[cb[r]]
            short, long = (a, b) if len(a) <= len(b) else (b, a)
            if _is_abbrev(short, long):
                out[r] = 0.9
    # a feminine and a masculine form of one name pair with nothing (scoring.gendered, checked before every rule)
    a_fem = A[:, LAST] == ord("a")
    for r in np.flatnonzero((out > 0) & ~same & first & (a_fem != (B[:, LAST] == ord("a")))).tolist():
        if gendered(qt.text[qa[r]], ct.text[cb[r]]):
            out[r] = 0.0
    return out




@dataclass
class Features:
    """What compare's tail reads, one entry per pair (arrays of equal length)."""

    person: np.ndarray  # bool: the listed entity is a person
    thing: np.ndarray  # bool: a vessel or aircraft
    matched: np.ndarray  # sum of similarity x weight over the aligned pairs
    matched_weight: np.ndarray  # sum of the aligned pairs' weights
    q_patronymic: np.ndarray  # sum of the weights of unmatched query patronymics (persons)
    q_cost: np.ndarray  # sum of weight ** power of the other unmatched query tokens
    c_extra_weight: np.ndarray  # sum of the weights of the unmatched listed tokens
    n_pairs: np.ndarray
    n_ct: np.ndarray  # listed tokens
    q_extra: np.ndarray  # bool: a query token is left unmatched
    c_extra: np.ndarray  # bool: a listed token is left unmatched
    all_common: np.ndarray  # bool: every matched query token is a common name part (NAME_PRIOR)
    fuzzy: np.ndarray  # bool: an aligned pair's similarity is below params.fuzzy_exact...
    exact_common: np.ndarray  # bool: ...and every other matched query token is a common name part...
    has_exact: np.ndarray  # bool: ...of which there is at least one
    short_form: np.ndarray  # bool: the query is the listed name's first and last parts, nothing else (scoring._short_form)
    q_extra_own: np.ndarray  # bool: an unmatched query token is not an affiliation or place word
    numbers_differ: np.ndarray
    q_legal: np.ndarray  # bool: the query names a legal form or a generic firm's word (NameForm.generic)
    legal_differs: np.ndarray  # bool: both name a legal form and they differ


# ---- compare's tail, mirrored ------------------------------------------------------------------------------
# Keep this function in step with the tail of `scoring.compare` (token score, bound, char score,
# adjustments, clamp): tests/test_stage2.py compares the two on random and real pairs.
def compose(f: Features, params: Params, floor: float, char_score: Callable[[np.ndarray], np.ndarray]
            ) -> np.ndarray:
    """The name score of each pair from its features, as compare's tail computes it. `char_score(rows)`
    gives the whole-string similarity of the rows it is asked for (only those above the floor)."""
    p = params
    total = f.matched_weight
    total = total + p.person_name_extra * f.q_patronymic  # zero for all but persons
    total = total + p.query_extra * f.q_cost
    # a person's short form with a part few people bear: the middle names left out cost at most what the kept
    # parts weigh (scoring._early_features)
    short = f.person & f.short_form & ~f.all_common
    left = np.where(short, np.minimum(f.c_extra_weight, f.matched_weight), f.c_extra_weight)
    total = total + np.where(f.person, p.person_name_extra, p.name_extra) * left
    token_score = np.where(f.n_pairs > 0, f.matched / np.where(f.n_pairs > 0, total, 1.0), 0.0)  # total > 0 there
    bound = (1 - p.char_share) * token_score + p.char_share + MAX_LIFT
    out = np.where(f.n_pairs > 0, bound, 0.0)
    rows = np.flatnonzero((f.n_pairs > 0) & ~(bound < floor))
    if not len(rows):
        return out
    ts = token_score[rows]
    score = (1 - p.char_share) * ts + p.char_share * char_score(rows)
    person, n_pairs, q_extra, c_extra = f.person[rows], f.n_pairs[rows], f.q_extra[rows], f.c_extra[rows]
    mw = f.matched_weight[rows]
    score = np.where(f.numbers_differ[rows], score * p.number_mismatch, score)
    score = np.where(~person & c_extra & (n_pairs <= 2) & (mw < p.distinctive_min), score * p.generic_only, score)
    score = np.where(q_extra & c_extra, score * p.substitution, score)
    score = np.where(person & (f.n_ct[rows] > 1) & (n_pairs < 2), score * p.person_one_token, score)
    left = f.c_extra_weight[rows]
    weak = 1 - p.person_partial * np.minimum(1.0, 2 * (left / (mw + left)))  # mw > 0: every row has a pair
    score = np.where(person & c_extra & (n_pairs >= 1) & f.all_common[rows] & ~f.short_form[rows], score * weak, score)
    score = np.where(person & c_extra & (n_pairs >= 2) & f.fuzzy[rows] & f.exact_common[rows] & f.has_exact[rows],
                     score * p.fuzzy_short, score)
    score = np.where(~person & (f.n_ct[rows] == 1) & f.q_extra_own[rows], score * p.one_word, score)
    score = np.where(f.thing[rows] & (f.q_legal[rows] | q_extra), score * p.thing_kind, score)
    score = np.where(f.legal_differs[rows], score + -p.legal_mismatch, score)
    out[rows] = np.minimum(1.0, np.maximum(0.0, score))
    return out
# ---- end of compare's tail ---------------------------------------------------------------------------------


def score_pairs(ix: Index, forms: Sequence[NameForm], pair_form: np.ndarray, pair_name: np.ndarray,
                pair_kind: np.ndarray, params: Params, *, floor: float = 0.0, workers: int = 1,
                twin_below: int | None = None) -> np.ndarray:
    """`compare(forms[pair_form[p]], form(pair_name[p]), weight, params, kind=..., floor=floor).score` for
    every pair p, as float64. `pair_kind` holds watchlist type codes. A batch of fewer than `twin_below`
    pairs (default TWIN_BELOW) is scored by the twin (the same scores, cheaper at that size)."""
    P = len(pair_form)
    twin_below = TWIN_BELOW if twin_below is None else twin_below
    out = np.zeros(P, np.float64)
    if P == 0:
        return out
    if P < twin_below:
        return np.array([compare(forms[f], ix.form(j), ix.weight, params, kind=_KIND_NAMES[k], floor=floor,
                                 variants=ix.variants).score
                         for f, j, k in zip(np.asarray(pair_form).tolist(), np.asarray(pair_name).tolist(),
                                            np.asarray(pair_kind).tolist(), strict=True)], np.float64)
    pair_form = np.asarray(pair_form, np.int64)
    pair_name = np.asarray(pair_name, np.int64)
    pair_kind = np.asarray(pair_kind, np.int64)
    V, vocab = ix.V, ix.vocab
    # the query side: tokens, keys, and what could make the twin re-cut a pair's tokens
    local: dict[str, int] = {}
    f_tokens: list[list[int]] = []
    join_codes: list[int] = []  # (form, listed token) where the token joins two words of the query
    legal_codes: list[int] = []  # (form, legal class of the query)
    split_rows: list[tuple[int, int, int]] = []  # (form, o, r): a query word is listed words o + r
    glued_codes: list[int] = []  # (form, listed token): a query word is that token with a legal word glued on
    respelt_codes: list[int] = []  # (form, transliteration key id): two query words joined, spelt as a listed word
    respelt_names: list[int] = []  # (form, name): a query word is two words of the name joined, spelt otherwise
    translit_ids = ix.key_ids["translit"]
    KT = max(1, len(translit_ids))
    N = len(ix.name_ptr) - 1
    f_legal_set = np.empty(len(forms), np.int64)
    f_len = np.empty(len(forms), np.int64)
    f_digits: list[frozenset[str]] = []
    for fi, q in enumerate(forms):
        ids = [local.setdefault(t, len(local)) for t in q.tokens]
        f_tokens.append(ids)
        f_len[fi] = len(ids)
        f_legal_set[fi] = ix.legal_sets.get(frozenset(q.legal), -1 - fi)
        side = set(q.tokens).union(q.legal)
        for a in side:
            for b in side:
                got = vocab.get(a + b)
                if got is not None:
                    join_codes.append(fi * V + got)
        for a in q.tokens:
            for b in q.tokens:
                if respelt_join(a, b) and (got := translit_ids.get(_translit_key(a + b))) is not None:
                    respelt_codes.append(fi * KT + got)
            if a.isalpha() and (names := ix.respelt_joins.get(_translit_key(a))) is not None:
                respelt_names.extend((fi * N + names.astype(np.int64)).tolist())
        for t in q.legal:
            if (got := vocab.get(t)) is not None:
                legal_codes.append(fi * V + got)
        for t in set(q.tokens):
            if (head := glued_legal(t)) and (got := vocab.get(head)) is not None:
                glued_codes.append(fi * V + got)  # "marineco" before a legal form is "marine" (scoring._split_prefix)
            for k in range(1, len(t)):
                o, r = vocab.get(t[:k]), vocab.get(t[k:])
                if o is not None and r is not None:
                    split_rows.append((fi, o, r))
        f_digits.append(frozenset(t for t in q.tokens if not t.isalpha()))
    f_sorted = [" ".join(sorted(q.tokens)) for q in forms]
    qtext = list(local)
    qt = ix.query_tokens(qtext)
    q_listed = qt.mat[:, ID]
    q_patr = np.array([bool(_PATRONYMIC.search(t)) for t in qtext], bool)
    q_own = np.array([_own_word(t, params) for t in qtext], bool)
    q_prior = np.array([NAME_PRIOR.get(t, 0.0) >= params.common_name for t in qtext], bool)
    # Python's own power, as the twin takes it: numpy's vector pow differs from libm's in the last bit
    q_pow = np.array([w ** params.extra_power for w in qt.weight.tolist()], np.float64)

    n_len = ix.name_len[pair_name]
    q_len = f_len[pair_form]
    empty = (q_len == 0) | (n_len == 0)
    f_script = np.array([bool(q.script or q.abjad) for q in forms], bool)
    # very long names, and names from other scripts (compared on per-script keys), go to the twin
    # ...and so do a person's names against a query with an initial (scoring.align's `initials`)
    f_initial = np.array([bool(q.spelled) or any(len(t) == 1 for t in q.tokens) for q in forms], bool)
    twin = ~empty & ((q_len > MAX_TOKENS) | (n_len > MAX_TOKENS) | f_script[pair_form] | ix.name_script[pair_name]
                     | (f_initial[pair_form] & (pair_kind == TYPE_CODES["person"])))
    live = np.flatnonzero(~empty & ~twin)
    Qm = int(q_len[live].max()) if len(live) else 0
    Cm = int(n_len[live].max()) if len(live) else 0
    if len(live):
        qf, nm = pair_form[live], pair_name[live]
        QTf = np.full((len(forms), max(Qm, 1)), -1, np.int64)
        for fi, ids in enumerate(f_tokens):
            if len(ids) <= Qm:
                QTf[fi, : len(ids)] = ids
        QT = QTf[qf][:, :Qm]
        q_valid = QT >= 0
        idx = ix.name_ptr[nm][:, None] + np.arange(Cm)[None, :]
        c_valid = np.arange(Cm)[None, :] < n_len[live][:, None]
        CT = np.where(c_valid, ix.name_tok[np.minimum(idx, len(ix.name_tok) - 1)], -1)
        # pairs the twin would re-cut: a listed word that joins two query words, a query word that is
        # two listed words, a word that is the other side's legal form
        recut = np.zeros(len(live), bool)
        codes_c = qf[:, None] * V + CT
        if join_codes:
            recut |= (_isin(codes_c, np.unique(np.array(join_codes, np.int64))) & c_valid).any(axis=1)
        if legal_codes:
            recut |= (_isin(codes_c, np.unique(np.array(legal_codes, np.int64))) & c_valid).any(axis=1)
        if glued_codes:
            recut |= (_isin(codes_c, np.unique(np.array(glued_codes, np.int64))) & c_valid).any(axis=1)
        if respelt_codes:  # the twin may join two query words spelt as a listed word (scoring._merge_joined)
            c_translit = ix.tokens.mat[np.maximum(CT, 0), TRANSLIT]
            recut |= (_isin(qf[:, None] * KT + c_translit, np.unique(np.array(respelt_codes, np.int64)))
                      & c_valid & (c_translit >= 0)).any(axis=1)
        if respelt_names:  # ...or two listed words spelt as a query word
            recut |= _isin(qf * N + nm, np.unique(np.array(respelt_names, np.int64)))
        QL = np.where(q_valid, q_listed[np.maximum(QT, 0)], -1)
        has_ql = (QL >= 0) & q_valid
        recut |= (_isin(nm[:, None] * V + QL, ix.legal_codes) & has_ql).any(axis=1)
        if split_rows:
            sp = np.array(split_rows, np.int64)
            order = np.argsort(sp[:, 0], kind="stable")
            sp = sp[order]
            counts = np.bincount(sp[:, 0], minlength=len(forms))
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            per = counts[qf]
            if per.sum():
                rep = np.repeat(np.arange(len(live)), per)
                within = np.arange(len(rep)) - np.repeat(np.cumsum(per) - per, per)
                rowi = starts[qf[rep]] + within
                both = (_isin(nm[rep] * V + sp[rowi, 1], ix.other_codes)
                        & _isin(nm[rep] * V + sp[rowi, 2], ix.other_codes))
                recut |= np.bincount(rep[both], minlength=len(live)) > 0
        twin[live[recut]] = True
        keep = ~recut
        live, qf, nm = live[keep], qf[keep], nm[keep]
        QT, q_valid, CT, c_valid = QT[keep], q_valid[keep], CT[keep], c_valid[keep]
    if len(live):
        L = len(live)
        # token similarities over the batch's distinct (query token, listed token) combinations
        cell = q_valid[:, :, None] & c_valid[:, None, :]
        codes = (np.maximum(QT, 0)[:, :, None] * V + np.maximum(CT, 0)[:, None, :])[cell]
        S = np.zeros((L, Qm, Cm), np.float64)
        if len(codes) > 2048:  # a large batch repeats combinations: score each once
            uniq, inverse = np.unique(codes, return_inverse=True)
            S[cell] = _similarities(qt, ix.tokens, uniq // V, uniq % V, workers)[inverse.ravel()]
        else:
            S[cell] = _similarities(qt, ix.tokens, codes // V, codes % V, workers)
        # greedy one-to-one alignment, best similarity first, ties by query then listed position
        wq = np.where(q_valid, qt.weight[np.maximum(QT, 0)], 0.0)
        wc = np.where(c_valid, ix.tokens.weight[np.maximum(CT, 0)], 0.0)
        prior_q = np.where(q_valid, q_prior[np.maximum(QT, 0)], False)
        matched = np.zeros(L)
        total = np.zeros(L)
        n_pairs = np.zeros(L, np.int64)
        paired_q = np.zeros((L, Qm), bool)
        paired_c = np.zeros((L, Cm), bool)
        all_common = np.ones(L, bool)
        fuzzy = np.zeros(L, bool)
        exact_common = np.ones(L, bool)
        has_exact = np.zeros(L, bool)
        flat = S.reshape(L, Qm * Cm)
        rows_all = np.arange(L)
        for _ in range(min(Qm, Cm)):
            k = flat.argmax(axis=1)
            s = flat[rows_all, k]
            act = np.flatnonzero(s > 0)
            if not len(act):
                break
            i, j, s = k[act] // Cm, k[act] % Cm, s[act]
            w = np.minimum(wq[act, i], wc[act, j])  # a typo must not make a common word rare
            matched[act] += s * w
            total[act] += w
            n_pairs[act] += 1
            paired_q[act, i] = True
            paired_c[act, j] = True
            all_common[act] &= prior_q[act, i]
            near = s < params.fuzzy_exact
            fuzzy[act] |= near
            exact_common[act] &= near | prior_q[act, i]
            has_exact[act] |= ~near
            S[act, i, :] = 0.0
            S[act, :, j] = 0.0
        person = pair_kind[live] == PERSON
        q_extra = q_valid & ~paired_q
        c_extra = c_valid & ~paired_c
        patr = np.where(q_valid, q_patr[np.maximum(QT, 0)], False)
        own = np.where(q_valid, q_own[np.maximum(QT, 0)], False)
        # sums in token order, as the twin adds them
        q_patronymic = np.zeros(L)
        q_cost = np.zeros(L)
        cost = q_extra & ~(patr & person[:, None])
        patr_extra = q_extra & patr & person[:, None]
        wq_pow = np.where(person[:, None], wq, np.where(q_valid, q_pow[np.maximum(QT, 0)], 0.0))  # power 1 for persons
        for i in range(Qm):
            q_patronymic = q_patronymic + np.where(patr_extra[:, i], wq[:, i], 0.0)
            q_cost = q_cost + np.where(cost[:, i], wq_pow[:, i], 0.0)
        q_patronymic = np.where(ix.name_patr[nm], q_patronymic, 0.0)
        c_extra_weight = np.zeros(L)
        for j in range(Cm):
            c_extra_weight = c_extra_weight + np.where(c_extra[:, j], wc[:, j], 0.0)
        numbers = np.zeros(L, bool)
        digit_rows = np.flatnonzero(ix.name_digit[nm] | np.array([bool(f_digits[f]) for f in qf.tolist()], bool))
        for r in digit_rows.tolist():
            c_num = frozenset(t for t in ix.form(int(nm[r])).tokens if not t.isalpha())
            q_num = f_digits[int(qf[r])]
            numbers[r] = bool(q_num or c_num) and q_num != c_num
        q_has_legal = np.array([bool(forms[f].legal) for f in range(len(forms))], bool)[qf]
        q_says_firm = q_has_legal | np.array([forms[f].generic for f in range(len(forms))], bool)[qf]
        legal_differs = q_has_legal & ix.name_has_legal[nm] & (f_legal_set[qf] != ix.name_legal_set[nm])
        n_ct = n_len[live]
        last_paired = paired_c[rows_all, np.clip(n_ct - 1, 0, Cm - 1)]
        short_form = ~q_extra.any(axis=1) & (n_pairs >= 2) & paired_c[:, 0] & last_paired
        feats = Features(
            person=person, thing=(pair_kind[live] == THINGS[0]) | (pair_kind[live] == THINGS[1]),
            matched=matched, matched_weight=total,
            q_patronymic=q_patronymic, q_cost=q_cost, c_extra_weight=c_extra_weight, n_pairs=n_pairs,
            n_ct=n_ct, q_extra=q_extra.any(axis=1), c_extra=c_extra.any(axis=1), all_common=all_common, fuzzy=fuzzy,
            exact_common=exact_common, has_exact=has_exact,
            short_form=short_form,
            q_extra_own=(q_extra & own).any(axis=1), numbers_differ=numbers, q_legal=q_says_firm,
            legal_differs=legal_differs,
        )

        def char_score(rows: np.ndarray) -> np.ndarray:
            fr, nr = qf[rows].tolist(), nm[rows].tolist()
            qs = [forms[f].core for f in fr] + [f_sorted[f] for f in fr]
            cs = [ix.form(j).core for j in nr] + [ix.sorted_tokens(j) for j in nr]
            if len(qs) < SMALL:
                both = np.array([fuzz.ratio(a, b) for a, b in zip(qs, cs, strict=True)], np.float64)
            else:
                both = cpdist(qs, cs, scorer=fuzz.ratio, dtype=np.float64, workers=workers)
            return np.maximum(both[: len(fr)], both[len(fr) :]) / 100

        out[live] = compose(feats, params, floor, char_score)
    for p in np.flatnonzero(twin).tolist():
        out[p] = compare(forms[pair_form[p]], ix.form(int(pair_name[p])), ix.weight, params,
                         kind=_KIND_NAMES[int(pair_kind[p])], floor=floor, variants=ix.variants).score
    return out


_KIND_NAMES = {v: k for k, v in TYPE_CODES.items()}
