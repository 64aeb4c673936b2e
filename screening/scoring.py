"""Pairwise name scoring on the few candidates the kernel retrieved: aligned, rarity-weighted tokens.

Pure functions: two NameForms and a token-weight function in, a score with its evidence out.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rigour.text import metaphone

from . import scripts
from .normalise import NameForm

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
    common_name: float = 0.02  # percent of people: a name part at least this common is weak evidence alone
    person_partial: float = 0.12  # a person matched on common parts only loses up to this share, by how much is left out
    fuzzy_short: float = 0.9  # factor: a shortened person's name whose remaining parts are not all exact...
    fuzzy_exact: float = 0.95  # ...below this similarity
    one_word: float = 0.8  # factor: a one-word listed name inside a query with other words of its own
    thing_kind: float = 0.75  # factor: a vessel or aircraft name against a query that says more
    # A fitted score model (screening.scoring.fitted_params(): screening/data/score_model.json, written by
    # benchmarks/fit_scores.py) or None: the hand-set score, the default (see benchmarks/README.md "Accuracy").
    model: ScoreModel | None = None


@dataclass
class NameScore:
    score: float
    token_score: float = 0.0
    char_score: float = 0.0
    pairs: list[tuple[str, str, float]] = field(default_factory=list)
    query_extra: list[str] = field(default_factory=list)
    name_extra: list[str] = field(default_factory=list)
    adjustments: list[tuple[str, float]] = field(default_factory=list)
    features: Features | None = None  # the evidence the score was computed from (None when pruned or unpaired)


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
# East Slavic patronymics ("Vladimirovich", "Volodymyrovych", "Igorevna", "Oleksandrivna"): lists often leave them out.
_PATRONYMIC = re.compile(r"^[a-z]{3,}(?:ovich|evich|ovych|evych|yovych|ich|ovna|evna|ivna|yivna|ichna)$")


def _first_group(m: re.Match[str]) -> str:
    return m.group(1)


def _squeeze(t: str) -> str:
    """Runs of one letter written once ("hassan" -> "hasan"); a function replacement is cheaper than r"\\1"."""
    return _DOUBLE.sub(_first_group, t)


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
    """(similarity, similarity if the longer word may be abbreviated); pure, so memoised. The rule keys
    of each word come from `token_keys` (computed once per word, not once per pair)."""
    ka, kb = token_keys(a), token_keys(b)
    if ka is None or kb is None:
        return 0.0, 0.0  # numbers must agree exactly
    if gendered(a, b):
        return 0.0, 0.0  # another name, not a spelling of it (Manuela / Manuel)
    if ka[0] == kb[0] or (abs(len(a) - len(b)) == 1 and ka[1] == kb[1]):
        return 0.95, 0.95  # plural, or a doubled letter (sinno / sino, hassan / hasan)
    if ka[2] == kb[2]:
        return 0.9, 0.9  # letters that transliterations swap (aly / ali, umar / omar, qasim / kasim)
    if a[0] == b[0] and len(sk := ka[3]) >= 4 and sk == kb[3]:
        return 0.85, 0.85  # the same consonants, other vowels (mohamed / muhammad); too loose for short names
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if long in ABBREVIATIONS.get(short, ()):
        return 0.9, 0.9
    plain = _edit_similarity(a, b, short, long)
    return plain, (0.9 if _is_abbrev(short, long) else plain)


def gendered(a: str, b: str) -> bool:
    """One name in its feminine and masculine forms: Manuela / Manuel, Maria / Mario, Daniela / Daniele,
    Victoria / Victor, Julia / Julius, Ivanova / Ivanov. A feminine form ends in "a" where the other
    ends in "o", "e", "us" or nothing ("ia" after a consonant too). These are two people's names, not two
    spellings of one, however close their letters; the rest of the name decides alone. Short names
    (Ana / Ano) are left to the edit rules."""
    if (a[-1] == "a") == (b[-1] == "a"):
        return False
    fem, masc = (a, b) if a[-1] == "a" else (b, a)
    if len(fem) < 5 or len(masc) < 4 or fem[0] != masc[0]:
        return False
    stem = fem[:-1]
    if masc == stem or (masc[-1] in "oe" and masc[:-1] == stem) or (masc.endswith("us") and masc[:-2] == stem):
        return True
    return stem[-1] == "i" and masc == stem[:-1] and masc[-1] not in "aeiouy"


RuleKeys = tuple[str, str, str, str]  # stem, squeezed, transliteration key, consonant skeleton


def rule_keys(t: str) -> RuleKeys | None:
    """The keys `_similarity` compares a word on: (stem, squeezed, transliteration key, skeleton); None for
    a word with a digit, which pairs only with itself."""
    if _has_digit(t):
        return None
    return _stem(t), _squeeze(t), _translit_key(t), _skeleton(t)


@lru_cache(maxsize=1 << 18)
def token_keys(t: str) -> RuleKeys | None:
    """`rule_keys(t)`, memoised per word: `_similarity` meets each word in many pairs."""
    return rule_keys(t)


# metaphone of a word, memoised (the edit similarity's last rule asks it of the same words again and again)
_metaphone = lru_cache(maxsize=1 << 18)(metaphone)


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
    if d == budget + 1 and a[0] == b[0] and _metaphone(a) == _metaphone(b):
        return 0.8  # a spelling variant that sounds the same (mohammed / muhamad)
    return 0.0


JOIN_RESPELT = 6  # the shortest join of two words that may be another spelling of the other side's one word


def respelt_join(a: str, b: str) -> bool:
    """Whether the join of words `a` and `b` is long and plain enough to be compared as another spelling of one
    word (`_merge_joined`): letters only, two or more each, JOIN_RESPELT or more in all."""
    return len(a) >= 2 and len(b) >= 2 and len(a) + len(b) >= JOIN_RESPELT and a.isalpha() and b.isalpha()


def _merge_joined(tokens: list[str], other: list[str]) -> list[str]:
    """Join adjacent tokens that the other side writes as one word ("king pai" -> "kingpai"), or as one word
    spelt otherwise: the join and that word share their transliteration key ("hosseini tash" / "hoseynitash"),
    where neither of the two is a word of the other side already. Words are counted: "Abdullah Ahmed ABD ULLAH"
    has one "abdullah" of the two in "Abdullah Ahmed ABDULLAH"."""
    words = set(other)
    if len(tokens) < 2 or (words.issubset(tokens) and (len(words) == len(other) or not Counter(other) - Counter(tokens))):
        return tokens  # nothing on the other side could be a join of these
    respelt: dict[tuple[str, int], set[str]] | None = None
    longest = max(map(len, words)) + 2  # no join longer than this is a respelt word of the other side
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens):
            a, b = tokens[i], tokens[i + 1]
            joined = a + b
            if joined in words:
                out.append(joined)
                i += 2
                continue
            if len(a) + len(b) <= longest and a not in words and b not in words and respelt_join(a, b):
                if respelt is None:  # the other side's words by first letter of their key and length
                    respelt = {}
                    for w in words - set(tokens):
                        if len(w) >= JOIN_RESPELT - 2 and w.isalpha():
                            respelt.setdefault((_key_head(w), len(w)), set()).add(_translit_key(w))
                # a key drops doubled letters only: the same key is within two letters of the same length
                head, n = _key_head(joined), len(joined)
                near = [respelt[k] for d in (-2, -1, 0, 1, 2) if (k := (head, n + d)) in respelt]
                if near and _translit_key(joined) in set().union(*near):
                    out.append(joined)
                    i += 2
                    continue
        out.append(tokens[i])
        i += 1
    return out


def _key_head(t: str) -> str:
    """The first letter of `_translit_key(t)`."""
    return t[0] if t[0] not in "aeiouy" else t[0].translate(_TRANSLIT)


def _split_prefix(tokens: list[str], other: list[str], legal: tuple[str, ...] = (), *,
                  own_legal: bool = False) -> list[str]:
    """Split a token that the other side writes as two words ("jscargument" -> "jsc argument",
    "marineco" -> "marine co"): the two words stand in that order there, at most one word apart, or
    one is the other side's legal form. Two words of the other side in another order are two names,
    not the parts of one ("Tor Vik" does not split "Viktor"). A legal word glued to the last word
    before this side's own legal form ("MARINECO LTD" for "MARINE CO LTD") is cut off and dropped when
    the other side names a legal form too (`glued_legal`)."""
    if not other and not legal:
        return tokens
    known = set(other)
    if legal:
        known.update(legal)
    out: list[str] = []
    head = ""
    if own_legal and legal and len(tokens) > 1 and tokens[-1] not in known and glued_legal(tokens[-1]) in known:
        head, tokens = glued_legal(tokens[-1]), tokens[:-1]
    for t in tokens:
        if t not in known:
            split = _split_one(t, other, legal, known)
            if split:
                out.extend(split)
                continue
        out.append(t)
    if head:
        out.append(head)
    return out


def glued_legal(t: str) -> str:
    """`t` without a generic legal word written onto its end ("marineco" -> "marine"), or "" if it has none.
    Only the word before a legal form is cut so ("Monaco", "Petco" stay whole elsewhere)."""
    for g in GLUED_LEGAL:
        if t.endswith(g) and len(t) >= len(g) + 3:
            return t[: -len(g)]
    return ""


GLUED_LEGAL = ("company", "corp", "co", "inc", "ltd")  # legal words the normaliser leaves glued to a word


def _split_one(t: str, other: list[str], legal: tuple[str, ...], known: set[str]) -> tuple[str, str] | None:
    """The first split of `t` into two words of the other side (its words in order, then its legal forms:
    the same split on every run), by `_split_prefix`'s rule; None if there is none."""
    for o in (*other, *legal):
        if len(o) < len(t) and t.startswith(o) and (r := t[len(o) :]) in known:
            if o in legal or r in legal:
                return o, r
            for k, w in enumerate(other):  # o and r in that order, at most one word apart ("p & i" / "p and i")
                if w == o and r in other[k + 1 : k + 3]:
                    return o, r
    return None


_CONFUSED = str.maketrans({"z": "d", "t": "d", "x": "h"})


def _vowels_fit(a: str, b: str) -> bool:
    va, vb = scripts.vowelled(a), scripts.vowelled(b)
    return scripts.vowels_fit(va, vb) if len(va) <= len(vb) else scripts.vowels_fit(vb, va)


def _ends_long_i(t: str) -> bool:
    return len(t) > 2 and t[-1] in "iy"


def _ends_apart(a: str, b: str) -> bool:
    """One word ends in the long vowel i (ي, ی: "drghamy", "Hosseini") and the other in a consonant:
    Arabic script writes a word's last long vowel and the Latin spellings write it too, so these are two
    names (Zarghami / Zargham, Sayyadi / Seyed / Said), however alike their skeletons. Not against a final
    "a": a final ى or ی is the long a in Arabic (موسى, Musa; عیسی, Isa) and the long i in Persian and
    Dari (حقانى, Haqqani), and is romanised either way."""
    ia, ib = _ends_long_i(a), _ends_long_i(b)
    return ia != ib and (b if ia else a)[-1] not in "aeiouwy"


READING = 0.9  # the most a word scores through another reading of its letters (scripts.readings)


@lru_cache(maxsize=1 << 18)
def abjad_similarity(a: str, b: str, script: str = "Arab", readings: bool = False) -> float:
    """Similarity of a word written in an abjad (Arabic, Hebrew: no short vowels) and a Latin
    spelling, on their consonant skeletons. The abjad writes no short vowels, so the same
    skeleton is as close as the two can be: "tkryty" / "tikriti" 0.95; a short skeleton says less
    ("ywsf" / "yusuf": "Ysf" 0.95, "lym" / "aleem": "lm" 0.75); one consonant apart 0.75. Arabic words are
    `readings`: `a` is an Arabic-script word of the query, also compared in its other readings, and `b` in its
    own (scripts.readings: "shrawy" / "sahraoui", "thna" / "sana", "syd" / "elsseid"), up to READING. Only a query
    written in the script: what an Arabic-script name may stand for, not what a Latin query may be misread as."""
    s = _abjad_similarity(a, b, script)
    if s < READING and readings and script == "Arab":
        for x, y in [*((r, b) for r in scripts.readings(a)), *((a, r) for r in scripts.readings(b))]:
            s = max(s, min(READING, _abjad_similarity(x, y, script)))
    return s


def _abjad_similarity(a: str, b: str, script: str) -> float:
    sa, sb = scripts.key(a, script), scripts.key(b, script)
    if not sa or not sb or _has_digit(a) or _has_digit(b):
        return 0.0
    if script == "Arab" and _ends_apart(a, b):
        return 0.0
    if sa == sb:
        if len(sa) >= 3:
            return 0.95
        # a short skeleton says less, unless the long vowels the abjad writes are where the Latin has them
        # ("dwry" / "duri", "ly" / "ali": Duri, Ali; not "ly" / "ola")
        if script == "Arab" and _vowels_fit(a, b):
            return 0.85
        return 0.75 if len(sa) == 2 else 0.6
    ua, ub = scripts.unheaded(sa), scripts.unheaded(sb)
    if ua == ub and ua and (ua != sa or ub != sb):  # a head y or w one side writes as a vowel ("ymn" / "aiman")
        return 0.9 if len(ua) >= 3 else 0.75 if len(ua) == 2 else 0.6
    # one consonant apart in a longer skeleton; in a short one only where romanisations write one letter as
    # the other (d, z, t: dad, za, dhal, tha; h and kh): "kdhm" / "kathim", "fdl" / "fazal", not "smwt" / "ismail"
    if min(len(sa), len(sb)) >= 3 and sa[0] == sb[0] and OSA.distance(sa, sb, score_cutoff=2) <= 1 and (
            min(len(sa), len(sb)) >= 4 or sa.translate(_CONFUSED) == sb.translate(_CONFUSED)):
        return 0.75
    return 0.0


_ARTICLES = frozenset({"al", "el", "ul"})


_PATRONYMIC_STEM = re.compile(r"^([a-z]{3,}?)(?:ovich|evich|ovych|evych|yovych|ich|ovna|evna|ivna|yivna|ichna)$")


_IOTATED = re.compile(r"^i([aeou])")  # я, е, ю written ia, ie, iu (Iakovlevich) as well as ya, ye, yu


def _same_father(a: str, b: str) -> bool:
    """Two patronymics of one father's name, as Ukrainian and Russian form them ("yakovich" / "yakovlevich":
    Якович / Яковлевич): one stem the start of the other, both a son's or both a daughter's."""
    ma, mb = _PATRONYMIC_STEM.match(_IOTATED.sub(r"y\1", a)), _PATRONYMIC_STEM.match(_IOTATED.sub(r"y\1", b))
    if not ma or not mb or a.endswith("a") != b.endswith("a"):
        return False
    sa, sb = sorted((ma.group(1), mb.group(1)), key=len)
    return sb.startswith(sa)


@lru_cache(maxsize=1 << 18)
def script_similarity(a: str, b: str, script: str, readings: bool = False) -> float:
    """Similarity of a word romanised from `script` and a Latin spelling, on the script's comparison
    key (scripts.key): abjads and Thai on consonant skeletons (abjad_similarity); Cyrillic on the
    consonants, the Russian and Ukrainian forms of a name differing mostly in vowels (Oleksandr /
    Aleksandr 0.85); Greek on the consonants foreign names are written with folded (kandirof / kadyrov); kana
    on consonants with l = r (zara / zala); Hangul on voicing and vowel
    digraphs folded (jeong / jong, gil / kil 0.9)."""
    if (a in _ARTICLES) != (b in _ARTICLES):  # the article is no consonant of a name ("ly" is not "al")
        return 0.0
    if script in scripts.ABJADS or script == "Thai":
        return abjad_similarity(a, b, script, readings)
    if _has_digit(a) or _has_digit(b):
        return 0.0
    ka, kb = scripts.key(a, script), scripts.key(b, script)
    if ka != kb and script == "Cyrl" and _same_father(a, b):
        return 0.85
    if ka != kb or not ka:
        return 0.0
    if script == "Cyrl":  # a two-consonant key (Olena / Elena) says less, one of four or more (Oleksandr / Alexander) more
        # one consonant: a syllable of a Chinese or Burmese name as Russian writes it ("Цзоу" / Zou, "Со" / Soe)
        base = 0.9 if len(ka) >= 4 else 0.85 if len(ka) == 3 else 0.75
    elif script == "Grek":  # its key keeps the vowels: one of three letters or more is a name part written two ways
        base = 0.9 if len(ka) >= 5 else 0.85 if len(ka) >= 3 else 0.0
    elif script == "Kana":
        base = 0.85 if len(ka) >= 3 else 0.75 if len(ka) == 2 else 0.0
    elif script == "Hang":
        base = 0.9
    else:
        return 0.0
    # the same key and letters one edit apart ("kuznietsov" / "kuznetsov") are as close as the edit says
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return max(base, _edit_similarity(a, b, short, long)) if base else 0.0


def script_char_similarity(qt: list[str], ct: list[str], script: str) -> float:
    """Whole-name similarity of the aligned words on their comparison keys, for a name written in a
    script compared on keys: the letters of "mhmd rswl ywb" and "mohammad rasul ayyub" differ by the
    vowels the abjad doesn't write, their keys ("mhmd rsl b") not at all."""
    if script not in scripts.KEYED:
        return 0.0
    kq = [scripts.key(t, script) for t in qt]
    kc = [scripts.key(t, script) for t in ct]
    return max(fuzz.ratio(" ".join(kq), " ".join(kc)), fuzz.ratio(" ".join(sorted(kq)), " ".join(sorted(kc)))) / 100


WHOLE_JOIN_KEY = 8  # consonants in the key of a whole name written as one word, at least


def _joined_key(joined: str, keys: dict[str, str], script: str, readings: bool) -> str:
    """The key of words joined, or for Arabic that of another reading of them (scripts.readings) when that one is a word
    of the other side ("khwnd zadh" / "akhundzada": a final h is no digraph; "thna al lh" / "sanaullah")."""
    k = scripts.join_key(joined, script)
    if k not in keys and readings and script == "Arab":
        return next((r for r in (scripts.join_key(x, script) for x in scripts.readings(joined)) if r in keys), k)
    return k


def _merge_keyed(tokens: list[str], other: list[str], script: str, readings: bool = False) -> list[str]:
    """Join adjacent words whose joined key is the key of one word on the other side: "shhb al dyn"
    / "shahabuddin", "hbyb allah" / "habibullah" (an article between them may be left out, as the
    Latin spelling assimilates it), "kim jong un" / "jongun"."""
    if len(tokens) < 2:
        return tokens
    keys = {scripts.join_key(o, script): o for o in other if len(o) > 3}
    other_keys = Counter(scripts.join_key(o, script) for o in other)
    keys.pop("", None)
    if not keys:
        return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for n in (3, 2):
            run = tokens[i : i + n]
            if len(run) < n or run[0] in _ARTICLES:
                continue
            plain = [t for t in run if t not in _ARTICLES] if n == 3 else run
            joined = "".join(plain)
            if n == 3 and len(plain) == 2 and _joined_key("".join(run), keys, script, readings) in keys:
                joined = "".join(run)  # the article written into the word ("abd al hamid" / "bdlhmyd")
            # A join of the whole name is one only across an article ("mty al lh" / "matiullah"), or when
            # its key is long enough to be no accident (a surname and name run together in capitals,
            # "САМОЙЛЕНКОКОНСТАНТИН"): two short names ("ly mwswy") are not one word; each part brings
            # consonants, the join enough of them.
            # So is one onto Allah, which Latin spellings write onto the name before it ("mty allah" / "matiullah").
            whole = (n == len(tokens) and len(plain) == n and plain[-1] != "allah"
                     and len(scripts.join_key(joined, script)) < WHOLE_JOIN_KEY)
            first = scripts.join_key(run[0], script)
            if (len(plain) > 1 and not whole and all(scripts.join_key(t, script) for t in plain)
                    # its first word has no match of its own there, or another word here to take it
                    # (not one ending apart: "abdul wali" / "bdalwly", whose last letter is wali's)
                    and (first not in keys or sum(scripts.join_key(t, script) == first for t in tokens) > other_keys[first]
                         or script == "Arab" and _ends_apart(run[0], keys[first]))
                    and len(k := _joined_key(joined, keys, script, readings)) >= 3 and k in keys and joined not in other
                    # where both sides write their vowels, the join is about as long as the word: "vijay vinayakrao"
                    # is not "vinayakrao" (its v merges into the next one's)
                    and (script in scripts.ABJADS or len(joined) <= len(keys[k]) + 2)):
                out.append(joined)
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


Variants = Callable[[str], frozenset[tuple[str, str]]]  # script -> pairs of keys of one name part (scripts.variant_keys)
VARIANT = 0.85  # a word and another form the lists give the same name part in (Mykola / Nikolai)


INITIAL = 0.6  # a person's initial against the name it begins: evidence, but much less than the name


def _initial(a: str, b: str) -> bool:
    """`a` is an initial that `b` begins (align's `initials`)."""
    return len(a) == 1 and len(b) > 1 and b[0] == a


def align(
    q: list[str], c: list[str], weight: Weight, q_legal: tuple[str, ...] = (), c_legal: tuple[str, ...] = (),
    abjad: bool = False, script: str = "", variants: frozenset[tuple[str, str]] = frozenset(), initials: bool = False,
    native: bool = False, spelled: tuple[str, ...] = (),
) -> tuple[list[tuple[int, int, float]], list[str], list[str]]:
    """Pair tokens one-to-one, best similarity first. Returns pairs, and the re-tokenised sides.

    A legal form glued to a word ("jscargument") is split off and dropped. A name written in a
    script compared on keys (`script`, or `abjad` for Arabic) also pairs words by their keys
    (script_similarity) and by `variants` (pairs of keys the lists give one name part in), and joins
    words whose joined key is a word of the other side. With `initials` (a person's name), a query's
    one-letter word pairs with a listed word it begins, at INITIAL ("A. Khamenei" / Ali Husseini KHAMENEI).
    `native`: `q` is written in `script` (Arabic words are then read in their other readings too,
    abjad_similarity). `spelled`: query words written as separate letters ("V.V." -> "vv"); with `initials`
    each letter is an initial, unless the listed name has the word itself ("A.K.M." / AKM).
    """
    if initials and spelled:
        q = [x for t in q for x in (list(t) if t in spelled and t not in c else (t,))]
    if abjad and not script:
        script = "Arab"
    q = _split_prefix(q, c, c_legal, own_legal=bool(q_legal))
    if c_legal:
        q = [t for t in q if t not in c_legal]
    c = _split_prefix(c, q, q_legal, own_legal=bool(c_legal))
    if q_legal:
        c = [t for t in c if t not in q_legal]
    q = _merge_joined(q, c)
    c = _merge_joined(c, q)
    # A Han name romanised is one syllable per character, and two syllables that differ are two characters:
    # only the same syllable pairs ("cheng" is not "chang"), and a join or split of the other side's words
    # already gives its syllables
    han = script == "Hani"
    if script in scripts.KEYED:
        native = native and script == "Arab"
        q = _merge_keyed(q, c, script, native)
        c = _merge_keyed(c, q, script)
    else:
        script = ""
    cand = []
    for i, a in enumerate(q):
        for j, b in enumerate(c):
            if a != b and (han or script == "Arab" and _ends_apart(a, b)):
                continue  # two names, not two spellings of one (_ends_apart), by any similarity
            s = 1.0 if a == b else token_similarity(a, b, weight)
            if initials and s < INITIAL and _initial(a, b):
                s = INITIAL
            if script and s < 0.95:
                s = max(s, script_similarity(a, b, script, native))
                if s < VARIANT and variants and (scripts.key(a, script), scripts.key(b, script)) in variants:
                    s = VARIANT
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


def _word_set(name: str) -> frozenset[str]:
    path = Path(__file__).parent / "data" / name
    if not path.exists():
        return frozenset()
    words = (w.strip() for w in path.read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


# Words that name a part of the same firm, not another firm ("Acme Holdings", "Acme Shanghai Branch").
AFFILIATION = _word_set("affiliation_words.txt") | _word_set("place_words.txt")
# Generic business words: a query holding one reads as an organisation's name.
ORG_WORDS = _word_set("generic_words.txt") - AFFILIATION


@dataclass(slots=True)
class Evidence:
    """What an adjustment looks at: the aligned pair and its weights."""

    q: NameForm
    c: NameForm
    qt: list[str]
    ct: list[str]
    pairs: list[tuple[int, int, float]]
    q_extra: list[str]
    c_extra: list[str]
    matched_weight: float
    kind: str  # the listed entity's type: person, company, vessel, aircraft
    weight: Weight


@dataclass(slots=True)
class Features:
    """Everything the score tail (`score_tail`) looks at, as plain numbers in [0, inf): the evidence
    of one query name against one listed name. Flags are 0.0 or 1.0. Every field is in the hit's
    explanation; a vectorised stage 2 can hold each as one array."""

    token_score: float = 0.0  # rarity-weighted token agreement: matched / (matched + weighted unmatched)
    char_score: float = 0.0  # whole-string similarity, the better of as-normalised and tokens sorted
    matched_weight: float = 0.0  # summed rarity weight of the paired tokens (the lesser of each pair's two)
    query_extra_weight: float = 0.0  # summed rarity weight of the query's unpaired tokens
    name_extra_weight: float = 0.0  # summed rarity weight of the listed name's unpaired tokens
    pairs: float = 0.0  # tokens paired
    person: float = 0.0  # the listed entity is a person
    thing: float = 0.0  # ...a vessel or an aircraft
    abjad: float = 0.0  # one side is written in an abjad (compared on consonant skeletons)
    numbers_differ: float = 0.0
    only_common: float = 0.0
    substitution: float = 0.0
    one_person_name: float = 0.0
    weak_person: float = 0.0  # 0, or how much of a longer person's name its common parts left out, in (0, 1]
    fuzzy_short: float = 0.0  # a shortened person's name with a part that only nearly matches
    one_word_listed: float = 0.0
    other_kind: float = 0.0
    legal_differs: float = 0.0


FEATURE_NAMES: tuple[str, ...] = tuple(Features.__dataclass_fields__)
# Known only after the early exit of `compare`: the upper bound takes each at its most favourable value.
LATE_FEATURES = frozenset({"char_score", "numbers_differ", "only_common", "substitution", "one_person_name",
                           "weak_person", "fuzzy_short", "one_word_listed", "other_kind", "legal_differs"})
LATE_RANGE = (0.0, 1.0)  # every late feature lies in [0, 1]


@dataclass(frozen=True)
class Adjustment:
    """One correction of the name score, read from one flag of `Features`.

    `applies` gives the flag's value (0 when it does not apply); `handset` the hand-set factor
    (<= 1) or shift it makes. `lift` is the most it can raise a hand-set score: the matcher derives
    its early-exit floor from the lifts, so an adjustment that could raise a score must declare it."""

    reason: str
    feature: str
    applies: Callable[[Evidence, Params], float]
    handset: Callable[[float, Params], float]
    factor: bool = True
    lift: float = 0.0


def _numbers_differ(ev: Evidence, p: Params) -> float:
    q_num = {t for t in ev.qt if _has_digit(t)}
    c_num = {t for t in ev.ct if _has_digit(t)}
    return float(bool(q_num or c_num) and q_num != c_num)


def _only_common(ev: Evidence, p: Params) -> float:
    """An organisation matched on two or fewer generic words, with more of the listed name left out."""
    return float(ev.kind != "person" and bool(ev.c_extra) and len(ev.pairs) <= 2 and ev.matched_weight < p.distinctive_min)


def _one_word_listed(ev: Evidence, p: Params) -> float:
    """A listed name of one word (legal form stripped) inside a query with other words of its own:
    "Alpha Bank" is not "Alpha LLC". A branch, group or place qualifier keeps it the same firm, unless
    the place is also a name many people bear ("Victoria Morgan" is a person, not "Morgan LLC")."""
    return float(ev.kind != "person" and len(ev.ct) == 1 and any(_own_word(t, p) for t in ev.q_extra))


def _own_word(t: str, p: Params) -> bool:
    """A query word the one-word rule counts as the query's own: not a qualifier, or a person's name too."""
    return t not in AFFILIATION or NAME_PRIOR.get(t, 0.0) >= p.common_name


# A name written in these of a word or few, with no legal form, is a person's: the lists write every vessel and
# aircraft in Latin letters, and a Chinese or Korean personal name is two to four characters ("博 文", "김정은").
_PERSON_SCRIPTS = frozenset({"Hani", "Hang"})
PERSON_SYLLABLES = 4


def _reads_as_other(ev: Evidence, p: Params) -> float:
    """A vessel or aircraft name against a query that says more: a legal form, a generic firm's word or words of its
    own ("Pacific Trading Ltd", "Target Corporation", "Maria Garcia" against the vessels MARIA and TARGET), or a
    person's name in Han or Hangul ("博 文" against the vessel Cape Bowen: its syllables spell "bowen")."""
    return float(ev.kind in ("vessel", "aircraft") and (
        bool(ev.q.legal) or ev.q.generic or bool(ev.q_extra)
        or ev.q.script in _PERSON_SCRIPTS and len(ev.q.tokens) <= PERSON_SYLLABLES))


def _name_prior() -> dict[str, float]:
    path = Path(__file__).parent / "data" / "name_prior.tsv"
    out: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else ():
        if line and not line.startswith("#"):
            word, pct = line.split("\t")
            out[word] = float(pct)
    return out


# Share of people (percent) bearing a given name or surname: how common a name part is in a
# population, which a sanctions list's own counts can't tell ("Luis" is rare on lists).
NAME_PRIOR = _name_prior()


def _short_form(ev: Evidence) -> bool:
    """The query is the listed name's first and last parts and nothing else ("Jose Torres" for
    "Jose Luis RUELAS TORRES"): how a name with middle names is usually shortened. Parts from the
    middle ("Carlos Cruz" for "Juan Carlos CRUZ OVALLE") are not."""
    paired = {j for _, j, _ in ev.pairs}
    return not ev.q_extra and len(ev.pairs) >= 2 and 0 in paired and len(ev.ct) - 1 in paired


def _weak_person_parts(ev: Evidence, p: Params) -> float:
    """A person's name matched only on parts many people bear, with more of the listed name left out
    ("Carlos Cruz" against "Juan Carlos CRUZ OVALLE"): weak evidence of the same person. The value
    is how much of the listed name the query left out (doubled, at most 1)."""
    if not (ev.kind == "person" and ev.c_extra and ev.pairs
            and all(NAME_PRIOR.get(ev.qt[i], 0.0) >= p.common_name for i, _, _ in ev.pairs)):
        return 0.0
    if _short_form(ev):
        return 0.0
    left = sum(ev.weight(t) for t in ev.c_extra)
    return min(1.0, 2 * left / (ev.matched_weight + left))


def _fuzzy_short(ev: Evidence, p: Params) -> float:
    """A person's name shortened (parts of the listed name left out) with a part that only nearly
    matches, the exact parts being names many people bear ("Sofia Gonzalez" against "Sonia CASTRO
    GONZALEZ"): each doubt alone is usual, together they are weak evidence. A distinctive exact part
    ("Saddam Husain" against "SADDAM HUSSEIN AL-TIKRITI") keeps the name strong, and a name with no
    exact part is a transliteration (Kiselov Dmitro / KISELEV (Kiselyov) Dmitry), not this doubt."""
    if not (ev.kind == "person" and ev.c_extra and len(ev.pairs) >= 2):
        return 0.0
    exact = [i for i, _, s in ev.pairs if s >= p.fuzzy_exact]
    return float(0 < len(exact) < len(ev.pairs) and all(NAME_PRIOR.get(ev.qt[i], 0.0) >= p.common_name for i in exact))


ADJUSTMENTS: tuple[Adjustment, ...] = (
    Adjustment("numbers differ", "numbers_differ", _numbers_differ, lambda v, p: p.number_mismatch),
    Adjustment("only common words matched", "only_common", _only_common, lambda v, p: p.generic_only),
    Adjustment("a word replaced by another", "substitution", lambda ev, p: float(bool(ev.q_extra and ev.c_extra)),
               lambda v, p: p.substitution),
    Adjustment("one name of a person matched", "one_person_name",
               lambda ev, p: float(ev.kind == "person" and len(ev.ct) > 1 and len(ev.pairs) < 2),
               lambda v, p: p.person_one_token),
    Adjustment("common parts of a longer person's name", "weak_person", _weak_person_parts,
               lambda v, p: 1 - p.person_partial * v),
    Adjustment("a shortened person's name, not all of it exact", "fuzzy_short", _fuzzy_short,
               lambda v, p: p.fuzzy_short),
    Adjustment("one-word listed name inside a longer name", "one_word_listed", _one_word_listed, lambda v, p: p.one_word),
    Adjustment("a vessel or aircraft name against another kind of name", "other_kind", _reads_as_other,
               lambda v, p: p.thing_kind),
    Adjustment("legal form differs", "legal_differs",
               lambda ev, p: float(bool(ev.q.legal and ev.c.legal and set(ev.q.legal) != set(ev.c.legal))),
               lambda v, p: -p.legal_mismatch, factor=False),
)
MAX_LIFT = sum(a.lift for a in ADJUSTMENTS)  # no name-level adjustment of the hand-set score raises it


@dataclass(frozen=True)
class ScoreModel:
    """A logistic model of "this listed name is the entity the query means", fitted on labelled
    pairs by benchmarks/fit_scores.py: P = 1 / (1 + exp(-(intercept + sum(weight * term)))), where a
    term is a `Features` field, a product "a*b" of two, or "handset": the hand-set score
    (`handset_score`, itself a pure function of the features). A pure function of the features."""

    intercept: float
    terms: tuple[tuple[str, float], ...]
    info: str = ""  # what it was fitted on (the data file's "fitted_on")

    @classmethod
    def load(cls, path: Path) -> ScoreModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        unknown = {f for t in data["coefficients"] for f in t.split("*")} - set(FEATURE_NAMES) - {"handset"}
        if unknown:
            raise ValueError(f"{path}: unknown features {sorted(unknown)}")
        return cls(float(data["intercept"]), tuple((t, float(w)) for t, w in data["coefficients"].items()),
                   str(data.get("fitted_on", "")))

    def logit(self, f: Features, params: Params) -> float:
        z = self.intercept
        for term, w in self.terms:
            a, _, b = term.partition("*")
            v = handset_score(f, params) if a == "handset" else getattr(f, a)
            z += w * (v * getattr(f, b) if b else v)
        return z

    def logit_bound(self, f: Features, params: Params) -> float:
        """The largest logit any values of the late features could give, the early ones as in `f`.
        Every feature is >= 0 and every late one at most 1 (the hand-set score at most its own
        bound), so a term's largest value is its known part times that maximum when the weight is
        positive, 0 otherwise."""
        z = self.intercept
        for term, w in self.terms:
            parts = term.split("*")
            known = 1.0
            for name in parts:
                if name == "handset":
                    known *= (1 - params.char_share) * f.token_score + params.char_share + MAX_LIFT
                elif name not in LATE_FEATURES:
                    known *= getattr(f, name)
            late = any(n in LATE_FEATURES or n == "handset" for n in parts)
            z += max(0.0, w * known) if late else w * known
        return z


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z)) if z > -700 else 0.0


MODEL_PATH = Path(__file__).parent / "data" / "score_model.json"


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> ScoreModel | None:
    return ScoreModel.load(path) if path.exists() else None


def fitted_params(path: Path = MODEL_PATH, **changes: float) -> Params:
    """Params scoring with the fitted model (its probability is the name score)."""
    model = load_model(path)
    if model is None:
        raise FileNotFoundError(f"{path}: no fitted score model (run benchmarks/fit_scores.py)")
    return Params(model=model, **changes)


def _exact(f: Features) -> bool:
    """The two names are the same once normalised, and nothing counts against them."""
    return f.token_score >= 1.0 and f.char_score >= 1.0 and not any(getattr(f, a.feature) for a in ADJUSTMENTS)


def score_tail(f: Features, params: Params) -> tuple[float, list[tuple[str, float]]]:
    """The name score from the features, and the adjustments to show: (reason, how much it moved
    the score). ONE pure function of plain numbers (a vectorised stage 2 mirrors it on arrays).

    With a fitted model (`params.model`) the score is the model's probability, and exactly 1.0 for
    the same name; without one, the hand-set blend of token and char score times the factors."""
    adjustments: list[tuple[str, float]] = []
    model = params.model
    if model is not None:
        if _exact(f):
            return 1.0, adjustments
        z = model.logit(f, params)
        score = _sigmoid(z)
        weights = dict(model.terms)
        for a in ADJUSTMENTS:
            v = getattr(f, a.feature)
            if v:
                adjustments.append((a.reason, round(score - _sigmoid(z - weights.get(a.feature, 0.0) * v), 4)))
        return score, adjustments
    return _handset(f, params, adjustments), adjustments


def handset_score(f: Features, params: Params) -> float:
    """The hand-set score: (1 - char_share) * token score + char_share * char score, times the
    adjustments' factors (and the legal-form shift), clamped to [0, 1]."""
    return _handset(f, params, None)


def _handset(f: Features, params: Params, shown: list[tuple[str, float]] | None) -> float:
    score = (1 - params.char_share) * f.token_score + params.char_share * f.char_score
    for a in ADJUSTMENTS:
        v = getattr(f, a.feature)
        if v:
            h = a.handset(v, params)
            if shown is not None:
                shown.append((a.reason, round(h, 4)))
            score = score * h if a.factor else score + h
    return min(1.0, max(0.0, score))


def score_bound(f: Features, params: Params) -> float:
    """The most `score_tail` could give for these early features, whatever the late ones turn out."""
    if params.model is not None:
        return 1.0 if f.token_score >= 1.0 else _sigmoid(params.model.logit_bound(f, params))
    return (1 - params.char_share) * f.token_score + params.char_share + MAX_LIFT


@dataclass(slots=True)
class _Aligned:
    pairs: list[tuple[int, int, float]]
    qt: list[str]
    ct: list[str]
    q_extra: list[str]
    c_extra: list[str]
    matched_weight: float


def _early_features(q: NameForm, c: NameForm, weight: Weight, params: Params, kind: str,
                    variants: Variants | None = None) -> tuple[Features, _Aligned] | _Aligned | None:
    """The features known before the whole-string similarity and the flags (those stay 0), and the
    alignment behind them; the bare alignment when no tokens pair; None when a side has no tokens."""
    if not q.tokens or not c.tokens:
        return None
    person = kind == "person"
    script = q.script or c.script
    pairs, qt, ct = align(list(q.tokens), list(c.tokens), weight, q.legal, c.legal, abjad=q.abjad or c.abjad, script=script,
                          variants=variants(script) if variants is not None and script in scripts.KEYED else frozenset(),
                          initials=person, native=q.script == "Arab", spelled=q.spelled)
    if person and any(_initial(qt[i], ct[j]) for i, j, _ in pairs) and all(
            qt[i] in NAME_PRIOR for i, j, _ in pairs if not _initial(qt[i], ct[j])):
        # an initial is evidence only beside a name part few people bear: "A. Khamenei", not "J. Liu"
        pairs = [p for p in pairs if not _initial(qt[p[0]], ct[p[1]])]
    if not pairs:
        return _Aligned(pairs, qt, ct, qt, ct, 0.0)
    matched = total = 0.0
    for i, j, s in pairs:
        w = min(weight(qt[i]), weight(ct[j]))  # a typo must not make a common word rare
        matched += s * w
        total += w
    matched_weight = total
    paired_q = {i for i, _, _ in pairs}
    paired_c = {j for _, j, _ in pairs}
    # The Arabic article is no word of a name: the Latin spellings leave it out ("al shhbndr" / "Shahbandar")
    q_extra = [t for i, t in enumerate(qt) if i not in paired_q and not (q.abjad and t in _ARTICLES)]
    c_extra = [t for j, t in enumerate(ct) if j not in paired_c and not (c.abjad and t in _ARTICLES)]
    c_w = sum(weight(t) for t in c_extra)
    # Unmatched words cost by the square of their rarity: an appended "Shanghai Branch" or
    # "(Hong Kong) Limited" costs little, an extra distinctive word ("Emma Daniels") a lot.
    power = 1.0 if person else params.extra_power  # every given name and surname of a person counts
    if person:  # a patronymic the list leaves out costs as little as a middle name the query leaves out...
        if any(_PATRONYMIC.search(t) for t in c.tokens):  # ...and nothing where the list records none for anybody
            total += params.person_name_extra * sum(weight(t) for t in q_extra if _PATRONYMIC.search(t))
        q_cost = [t for t in q_extra if not _PATRONYMIC.search(t)]
    else:
        q_cost = q_extra
    total += params.query_extra * sum(weight(t) ** power for t in q_cost)
    # a Chinese name has no middle names: a syllable the Han side lacks is another given name, not one left out
    person_parts = person and script != "Hani"
    if (person_parts and not q_extra and len(pairs) >= 2 and 0 in paired_c and len(ct) - 1 in paired_c
            and any(NAME_PRIOR.get(qt[i], 0.0) < params.common_name for i, _, _ in pairs)):
        # a short form (first and last parts, `_short_form`) with a part few people bear: the middle names it
        # leaves out cost at most what the parts it kept weigh, however many there are ("Abu QUMU" for Abu Sufian
        # Ibrahim Ahmed Hamuda Bin QUMU); "Maria Garcia" for a longer listed name stays weak
        total += params.person_name_extra * min(c_w, matched_weight)
    else:
        total += (params.person_name_extra if person_parts else params.name_extra) * c_w
    token_score = matched / total
    if person:
        # an initial that agrees with a name never scores below the name left out: "V.V. Putin" is at least
        # "V. Putin" against PUTIN, Vladimir Vladimirovich (a pair at INITIAL weighs more than a middle name omitted)
        init = [(s, min(weight(qt[i]), weight(ct[j])), weight(ct[j])) for i, j, s in pairs if _initial(qt[i], ct[j])]
        if init and len(init) < len(pairs):
            rest = total - sum(w for _, w, _ in init) + params.person_name_extra * sum(cw for _, _, cw in init)
            token_score = max(token_score, (matched - sum(s * w for s, w, _ in init)) / rest)
    f = Features(token_score=token_score, matched_weight=matched_weight,
                 query_extra_weight=float(sum(weight(t) for t in q_extra)), name_extra_weight=float(c_w), pairs=float(len(pairs)),
                 person=float(person), thing=float(kind in ("vessel", "aircraft")), abjad=float(q.abjad or c.abjad))
    return f, _Aligned(pairs, qt, ct, q_extra, c_extra, matched_weight)


def _late_features(f: Features, al: _Aligned, q: NameForm, c: NameForm, weight: Weight, params: Params,
                   kind: str) -> Features:
    char = max(fuzz.ratio(q.core, c.core), fuzz.ratio(" ".join(sorted(al.qt)), " ".join(sorted(al.ct)))) / 100
    if q.script or c.script:  # a name from a script compared on keys: its letters on the keys too
        char = max(char, script_char_similarity(al.qt, al.ct, q.script or c.script))
    ev = Evidence(q, c, al.qt, al.ct, al.pairs, al.q_extra, al.c_extra, al.matched_weight, kind, weight)
    f.char_score = char  # filled in place: a new record per candidate would cost more than the rest of the tail
    for a in ADJUSTMENTS:
        setattr(f, a.feature, a.applies(ev, params))
    return f


def features(q: NameForm, c: NameForm, weight: Weight, params: Params = Params(), *, kind: str = "company",
             variants: Variants | None = None) -> Features | None:
    """The features of a query name against a listed name; None when no tokens pair."""
    got = _early_features(q, c, weight, params, kind, variants)
    if not isinstance(got, tuple):
        return None
    return _late_features(*got, q, c, weight, params, kind)


def compare(q: NameForm, c: NameForm, weight: Weight, params: Params = Params(), *, kind: str = "company",
            floor: float = 0.0, variants: Variants | None = None) -> NameScore:
    """Score a query name against a listed name (both normalised) in [0, 1].

    `kind` is the listed entity's type. When the most the score tail could give for the features
    known so far (`score_bound`) is below `floor`, the rest is skipped and that upper bound
    returned: the caller discards it anyway. `variants` gives, per script, the pairs of keys the
    watchlist's own names give one name part in (Matcher.variants).
    """
    got = _early_features(q, c, weight, params, kind, variants)
    if got is None:
        return NameScore(0.0)
    if not isinstance(got, tuple):
        return NameScore(0.0, query_extra=got.qt, name_extra=got.ct)
    f, al = got
    bound = score_bound(f, params)
    if bound < floor:
        return NameScore(bound, f.token_score)
    f = _late_features(f, al, q, c, weight, params, kind)
    score, adjustments = score_tail(f, params)
    return NameScore(score, f.token_score, f.char_score, [(al.qt[i], al.ct[j], s) for i, j, s in al.pairs],
                     al.q_extra, al.c_extra, adjustments, f)
