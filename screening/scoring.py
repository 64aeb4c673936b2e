"""Pairwise name scoring on the few candidates the kernel retrieved: aligned, rarity-weighted tokens.

Pure functions: two NameForms and a token-weight function in, a score with its evidence out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rigour.text import metaphone

Weight = Callable[[str], float]
COMMON = 0.5  # tokens weighing no more than this are generic words (trading, technology, shipping)

# Abbreviations as business registers and lists write them. Prefix abbreviations
# ("tech" for "technology") are recognised without a table.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "intl": ("international",),
    "int": ("international",),
    "grp": ("group",),
    "comm": ("communications", "commercial", "communication"),
    "svcs": ("services",),
    "svc": ("service", "services"),
    "srvces": ("services",),
    "mfg": ("manufacturing",),
    "ind": ("industry", "industries", "industrial"),
    "inds": ("industries",),
    "hldgs": ("holdings",),
    "hldg": ("holding",),
    "bros": ("brothers",),
    "dept": ("department",),
    "mgmt": ("management",),
    "natl": ("national",),
    "assn": ("association",),
    "assoc": ("association", "associates"),
    "dev": ("development",),
    "devt": ("development",),
    "engg": ("engineering",),
    "eng": ("engineering",),
    "elec": ("electronics", "electric", "electrical"),
    "equip": ("equipment",),
    "inv": ("investment", "investments"),
    "invest": ("investment", "investments"),
    "petrol": ("petroleum",),
    "pharm": ("pharmaceutical", "pharmaceuticals"),
    "sys": ("systems",),
    "tech": ("technology", "technologies", "technical"),
    "techn": ("technology", "technologies"),
    "tel": ("telecommunications",),
    "telecom": ("telecommunications", "telecommunication"),
    "trdg": ("trading",),
    "univ": ("university",),
    "co": ("company",),
    "corp": ("corporation",),
    "ltd": ("limited",),
    "mohd": ("mohammed", "mohammad", "muhammad"),
    "md": ("mohammed", "muhammad"),
}


@dataclass(frozen=True)
class Params:
    """Weights of the name score; calibrated on the development set (see benchmarks/README.md)."""

    query_extra: float = 0.5  # weight of query tokens left unmatched (the user typed more)
    name_extra: float = 0.45  # weight of listed tokens left unmatched (the query left them out)
    person_name_extra: float = 0.12  # the same for persons: middle names and patronymics are often left out
    extra_power: float = 2.0  # unmatched query words cost weight ** extra_power
    generic_only: float = 0.75  # factor when only common words matched and the listed name has more
    substitution: float = 0.9  # factor when each side has a word the other lacks (Alpha Bank / Alpha Trading)
    distinctive_min: float = 0.6  # ...where "only common words" means matched weight below this
    char_share: float = 0.1  # share of the whole-string similarity, for spread among variants
    legal_mismatch: float = 0.02  # both sides name a legal form and they differ
    number_mismatch: float = 0.5  # factor when the two names carry different numbers
    person_one_token: float = 0.75  # factor when a person listed with several names matches on one only


@dataclass
class NameScore:
    score: float
    token_score: float = 0.0
    char_score: float = 0.0
    pairs: list[tuple[str, str, float]] = field(default_factory=list)
    query_extra: list[str] = field(default_factory=list)
    name_extra: list[str] = field(default_factory=list)
    adjustments: list[tuple[str, float]] = field(default_factory=list)


def _has_digit(t: str) -> bool:
    return not t.isalpha()  # tokens hold only a-z and 0-9


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _is_abbrev(short: str, long: str) -> bool:
    """A prefix ("tech") or a contraction ("shpg") of `long`; only trusted for common words."""
    if len(short) < 3 or len(long) < len(short) + 2 or short[0] != long[0]:
        return False
    if len(short) >= 4 and long.startswith(short):
        return True
    vowels = sum(ch in "aeiou" for ch in short)
    return short[-1] == long[-1] and vowels <= (1 if len(short) >= 4 else 0) and _is_subsequence(short, long)


_DOUBLE = re.compile(r"(.)\1+")


def _squeeze(t: str) -> str:
    return _DOUBLE.sub(r"\1", t)


def _stem(t: str) -> str:
    """Crude English singular: industries -> industry, systems -> system."""
    if len(t) > 4 and t.endswith("ies"):
        return t[:-3] + "y"
    if len(t) > 3 and t.endswith("s") and not t.endswith("ss"):
        return t[:-1]
    return t


def token_similarity(a: str, b: str, weight: Weight) -> float:
    """Similarity of two tokens in [0, 1]; 0 when they should not pair at all.

    Abbreviations shorten generic words, so a prefix or contraction only counts when the
    long word is common in the watchlist: that keeps "bank" from passing for "bankinter".
    """
    if a == b:
        return 1.0
    plain, as_abbrev = _similarity(a, b)
    if as_abbrev > plain and weight(a if len(a) > len(b) else b) <= COMMON:
        return as_abbrev
    return plain


@lru_cache(maxsize=1 << 20)
def _similarity(a: str, b: str) -> tuple[float, float]:
    """(similarity, similarity if the longer word may be abbreviated); pure, so memoised."""
    if _has_digit(a) or _has_digit(b):
        return 0.0, 0.0  # numbers must agree exactly
    if _stem(a) == _stem(b) or (abs(len(a) - len(b)) == 1 and _squeeze(a) == _squeeze(b)):
        return 0.95, 0.95  # plural, or a doubled letter (sinno / sino, hassan / hasan)
    if _translit_key(a) == _translit_key(b):
        return 0.9, 0.9  # letters that transliterations swap (aly / ali, umar / omar, qasim / kasim)
    if a[0] == b[0] and len(sk := _skeleton(a)) >= 4 and sk == _skeleton(b):
        return 0.85, 0.85  # the same consonants, other vowels (mohamed / muhammad); too loose for short names
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if long in ABBREVIATIONS.get(short, ()):
        return 0.9, 0.9
    plain = _edit_similarity(a, b, short, long)
    return plain, (0.9 if _is_abbrev(short, long) else plain)


_TRANSLIT = str.maketrans({"y": "i", "u": "o", "q": "k", "w": "v", "c": "k"})
_VOWELS = str.maketrans("", "", "aeiouy")


def _skeleton(t: str) -> str:
    """First letter and consonants, doubled letters squeezed: mohamed, muhammad -> mhmd."""
    return t[0] + _squeeze(t[1:].translate(_TRANSLIT).translate(_VOWELS))


def _translit_key(t: str) -> str:
    # A first consonant stays itself: "Kone" is not "Cone", though "Umar" is "Omar".
    head = t[0] if t[0] not in "aeiouy" else t[0].translate(_TRANSLIT)
    return _squeeze(head + t[1:].replace("ph", "f").translate(_TRANSLIT))


def _interior_deletion(short: str, long: str) -> bool:
    """`short` is `long` with one inner letter dropped ("crss" / "cross"), first and last kept."""
    return len(long) == len(short) + 1 and short[0] == long[0] and short[-1] == long[-1] and any(
        long[:i] + long[i + 1 :] == short for i in range(1, len(long) - 1)
    )


def _edit_similarity(a: str, b: str, short: str, long: str) -> float:
    n, m = len(long), len(short)
    if m == 4 and _interior_deletion(short, long):
        return 0.8
    # Edits allowed grow with the shorter word: one letter changes a short name (chen / cheng).
    budget = 0 if m <= 4 else 1 if m <= 7 else 2 if m <= 10 else 3
    if budget == 0 or (m <= 6 and a[0] != b[0]):  # short words: a changed first letter is another word
        return 0.0
    d = OSA.distance(a, b, score_cutoff=budget + 1)  # a swapped pair of letters is one edit
    if d <= budget:
        return 1.0 - (1.0 if m <= 6 else 0.6) * d / n  # an edit weighs more in a short word
    if d == budget + 1 and a[0] == b[0] and metaphone(a) == metaphone(b):
        return 0.8  # a spelling variant that sounds the same (mohammed / muhamad)
    return 0.0


def _merge_joined(tokens: list[str], other: set[str]) -> list[str]:
    """Join adjacent tokens that the other side writes as one word ("king pai" -> "kingpai")."""
    if len(tokens) < 2 or other.issubset(tokens):
        return tokens  # nothing on the other side could be a join of these
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and tokens[i] + tokens[i + 1] in other:
            out.append(tokens[i] + tokens[i + 1])
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def _split_prefix(tokens: list[str], other: set[str]) -> list[str]:
    """Split a token that the other side writes as two words ("jscargument" -> "jsc argument")."""
    out: list[str] = []
    for t in tokens:
        if t not in other:
            for o in other:
                if len(o) < len(t) and t.startswith(o) and t[len(o) :] in other:
                    out.extend((o, t[len(o) :]))
                    break
            else:
                out.append(t)
        else:
            out.append(t)
    return out


def align(
    q: list[str], c: list[str], weight: Weight, q_legal: tuple[str, ...] = (), c_legal: tuple[str, ...] = ()
) -> tuple[list[tuple[int, int, float]], list[str], list[str]]:
    """Pair tokens one-to-one, best similarity first. Returns pairs, and the re-tokenised sides.

    A legal form glued to a word ("jscargument") is split off and dropped.
    """
    c_set = set(c)
    q = _split_prefix(q, c_set.union(c_legal) if c_legal else c_set)
    if c_legal:
        q = [t for t in q if t not in c_legal]
    q_set = set(q)
    c = _split_prefix(c, q_set.union(q_legal) if q_legal else q_set)
    if q_legal:
        c = [t for t in c if t not in q_legal]
    q = _merge_joined(q, set(c))
    c = _merge_joined(c, set(q))
    cand = []
    for i, a in enumerate(q):
        for j, b in enumerate(c):
            s = 1.0 if a == b else token_similarity(a, b, weight)
            if s > 0:
                cand.append((-s, i, j))
    cand.sort()
    used_q: set[int] = set()
    used_c: set[int] = set()
    pairs = []
    for s, i, j in cand:
        if i not in used_q and j not in used_c:
            used_q.add(i)
            used_c.add(j)
            pairs.append((i, j, -s))
    return pairs, q, c


def compare(q_tokens: tuple[str, ...], q_core: str, q_legal: tuple[str, ...],
            c_tokens: tuple[str, ...], c_core: str, c_legal: tuple[str, ...],
            weight: Weight, params: Params = Params(), person: bool = False, floor: float = 0.0) -> NameScore:
    """Score a query name against a listed name (both normalised) in [0, 1].

    When even a perfect whole-string similarity could not lift the score to `floor`, the
    rest is skipped and the (upper-bound) score returned: the caller discards it anyway.
    """
    if not q_tokens or not c_tokens:
        return NameScore(0.0)
    pairs, qt, ct = align(list(q_tokens), list(c_tokens), weight, q_legal, c_legal)
    if not pairs:
        return NameScore(0.0, query_extra=qt, name_extra=ct)
    matched = total = 0.0
    for i, j, s in pairs:
        w = min(weight(qt[i]), weight(ct[j]))  # a typo must not make a common word rare
        matched += s * w
        total += w
    paired_q = {i for i, _, _ in pairs}
    paired_c = {j for _, j, _ in pairs}
    q_extra = [t for i, t in enumerate(qt) if i not in paired_q]
    c_extra = [t for j, t in enumerate(ct) if j not in paired_c]
    # Unmatched words cost by the square of their rarity: an appended "Shanghai Branch" or
    # "(Hong Kong) Limited" costs little, an extra distinctive word ("Emma Daniels") a lot.
    power = 1.0 if person else params.extra_power  # every given name and surname of a person counts
    total += params.query_extra * sum(weight(t) ** power for t in q_extra)
    total += (params.person_name_extra if person else params.name_extra) * sum(weight(t) for t in c_extra)
    token_score = matched / total
    if (1 - params.char_share) * token_score + params.char_share < floor:
        return NameScore((1 - params.char_share) * token_score + params.char_share, token_score)
    char_score = max(fuzz.ratio(q_core, c_core), fuzz.ratio(" ".join(sorted(qt)), " ".join(sorted(ct)))) / 100
    score = (1 - params.char_share) * token_score + params.char_share * char_score
    result = NameScore(score, token_score, char_score, [(qt[i], ct[j], s) for i, j, s in pairs], q_extra, c_extra)
    q_num = {t for t in qt if _has_digit(t)}
    c_num = {t for t in ct if _has_digit(t)}
    if (q_num or c_num) and q_num != c_num:
        result.adjustments.append(("numbers differ", params.number_mismatch))
        result.score *= params.number_mismatch
    matched_weight = sum(min(weight(qt[i]), weight(ct[j])) for i, j, _ in pairs)
    if not person and c_extra and len(pairs) <= 2 and matched_weight < params.distinctive_min:
        result.adjustments.append(("only common words matched", params.generic_only))
        result.score *= params.generic_only
    if q_extra and c_extra:
        result.adjustments.append(("a word replaced by another", params.substitution))
        result.score *= params.substitution
    if person and len(ct) > 1 and len(pairs) < 2:
        result.adjustments.append(("one name of a person matched", params.person_one_token))
        result.score *= params.person_one_token
    if q_legal and c_legal and set(q_legal) != set(c_legal):
        result.adjustments.append(("legal form differs", -params.legal_mismatch))
        result.score -= params.legal_mismatch
    result.score = min(1.0, max(0.0, result.score))
    return result
