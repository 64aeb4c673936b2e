"""Character n-gram TF-IDF vectors of names, for fast candidate retrieval over large watchlists.

Each token is padded with "#" and cut into 3-grams ("#king#" -> #ki kin ing ng#), so word
order does not matter, a joined or split word keeps most of its grams, and a typo costs
only the grams it touches. Grams of common words ("trading", "company") get a low IDF.
Pure functions: strings in, sparse matrices out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.sparse import csr_matrix

from . import scripts
from .normalise import skeleton

N = 3
SKELETON_MIN = 3  # words whose consonant skeleton is this long also give the skeleton's grams
SKELETON_WEIGHT = 0.5  # skeleton grams count this much in a listed name's vector


def _grams(padded: str) -> list[str]:
    return [padded] if len(padded) <= N else [padded[i : i + N] for i in range(len(padded) - N + 1)]


def token_grams(tokens: Iterable[str]) -> list[str]:
    """3-grams of each padded token ("#king#" -> #ki kin ing ng#)."""
    return [g for t in tokens for g in _grams(f"#{t}#")]


def skeleton_grams(tokens: Iterable[str]) -> list[str]:
    """3-grams of each token's consonant skeleton, in upper case: a namespace of their own (tokens
    are lower case). An abjad query (Arabic "sdm hsyn") is looked up by these too."""
    return [g for t in tokens if len(sk := skeleton(t)) >= SKELETON_MIN and not sk.isdigit()
            for g in _grams(f"#{sk.upper()}#")]


def build(cores: Sequence[str]) -> tuple[list[str], np.ndarray, csr_matrix]:
    """Gram vocabulary, IDF per gram, and the L2-normalised (grams x names) matrix, CSR."""
    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    counts: list[float] = []
    for j, core in enumerate(cores):
        tokens = core.split()
        for grams, w in ((token_grams(tokens), 1.0), (skeleton_grams(tokens), SKELETON_WEIGHT)):
            for g, c in Counter(grams).items():
                rows.append(vocab.setdefault(g, len(vocab)))
                cols.append(j)
                counts.append(c * w)
    n = max(len(cores), 1)
    r = np.array(rows, dtype=np.int64)
    df = np.bincount(r, minlength=len(vocab)).astype(np.float64)
    idf = (np.log((n + 1) / (df + 1)) + 1.0).astype(np.float32)
    data = np.array(counts, dtype=np.float32) * idf[r]
    col = np.array(cols, dtype=np.int64)
    norms = np.sqrt(np.bincount(col, weights=data.astype(np.float64) ** 2, minlength=len(cores)))
    data = (data / np.where(norms[col] > 0, norms[col], 1)).astype(np.float32)
    m = csr_matrix((data, (r, col)), shape=(len(vocab), len(cores)), dtype=np.float32)
    m.sum_duplicates()
    m.sort_indices()
    return list(vocab), idf, m


def vectorise(
    token_lists: Sequence[Sequence[str]], vocab: dict[str, int], idf: np.ndarray, *, min_idf: float = 0.0,
    abjad: Sequence[bool] | None = None,
) -> csr_matrix:
    """L2-normalised query vectors (queries x grams). Grams the watchlist lacks still count in the norm.
    A query flagged in `abjad` also carries its skeleton grams: it finds a listing in its own script
    by the letters, and the Latin spellings by the consonants.

    Grams with an IDF below `min_idf` (the commonest, found in thousands of names) count in the
    norm but are left out of the vector: they add little to any cosine and most of the work.
    """
    unknown = float(idf.max()) if len(idf) else 1.0
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for n, tokens in enumerate(token_lists):
        grams = Counter(token_grams(tokens) + skeleton_grams(tokens) if abjad is not None and abjad[n]
                        else token_grams(tokens))
        norm = 0.0
        row: dict[int, float] = {}
        for g, c in grams.items():
            i = vocab.get(g)
            w = c * (float(idf[i]) if i is not None else unknown)
            norm += w * w
            if i is not None and idf[i] >= min_idf:
                row[i] = w
        scale = 1.0 / np.sqrt(norm) if norm else 0.0
        for i in sorted(row):
            indices.append(i)
            data.append(row[i] * scale)
        indptr.append(len(indices))
    return csr_matrix(
        (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
        shape=(len(token_lists), len(idf)),
    )


# --- retrieval by comparison key, for names written in a script compared on keys (scripts.key) -------

_ARTICLES = frozenset({"al", "el", "ul"})
# Names a query in such a script adds to its n-gram candidates. Fewer for Cyrillic and Greek: they write their
# vowels, and its n-grams find most Latin spellings; the keys find the other forms (Olena / Elena).
KEY_CANDIDATES = {"Arab": 20, "Hebr": 20, "Thai": 20, "Kana": 20, "Hang": 20, "Cyrl": 5, "Grek": 5}
KEY_MIN = 2  # keys shorter than this ("l" of "al") retrieve nothing
KEY_MAX_SHARE = 0.1  # nor do keys this many of the names share ("l" of "al")


def key_postings(cores: Sequence[str], script: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Key of a word (as a word romanised from `script` would be compared) -> the names holding a
    word of that key, or two adjacent words that joined have it; and each name's word count.
    "hbbl" -> the names with "habibullah"; "bdlmn" -> "abdul manan" (Arabic writes "عبدالمنان")."""
    post: dict[str, list[int]] = {}
    lengths = np.zeros(len(cores), dtype=np.float32)
    for j, core in enumerate(cores):
        tokens = core.split()
        lengths[j] = len(tokens)
        plain = [t for t in tokens if t not in _ARTICLES]
        for t in {*tokens, *("".join(plain[i : i + 2]) for i in range(len(plain) - 1))}:
            whole = scripts.key(t, script)
            for k in {whole, scripts.unheaded(whole)} if script in scripts.ABJADS else (whole,):
                if len(k) >= KEY_MIN and not k.isdigit() and (not post.get(k) or post[k][-1] != j):
                    post.setdefault(k, []).append(j)
    return {k: np.array(v, dtype=np.int32) for k, v in post.items()}, lengths


def query_keys(tokens: Sequence[str], script: str) -> set[str]:
    """The keys a query's words give: each word's, and those of two or three adjacent words joined,
    an article between them left out ("hbyb al lh" -> also "hbyblh", as in "habibullah")."""
    keys = {scripts.key(t, script) for t in tokens}
    if script == "Arab":  # and those of its words' other readings ("shrawy" as "sahrawy")
        keys.update(scripts.key(r, script) for t in tokens for r in scripts.readings(t))
        # a compound written as one word with its article inside ("عبدالحميد", "bdalhmyd"): the keys of its parts and
        # of the word without the article, as the lists write it ("abd al hamid", its parts joined without "al")
        for t in tokens:
            at = t.find("al", 2)
            if 0 < at <= len(t) - 4:
                keys.update(scripts.key(x, script) for x in (t[:at], t[at + 2 :], t[:at] + t[at + 2 :]))
    plain = [t for t in tokens if t not in _ARTICLES]
    for n in (2, 3):
        joined = ["".join(plain[i : i + n]) for i in range(len(plain) - n + 1)]
        keys.update(scripts.key(t, script) for t in joined)
        if script == "Arab":
            keys.update(scripts.key(r, script) for t in joined for r in scripts.readings(t))
    if script in scripts.ABJADS:  # and without a head y or w (scripts.unheaded)
        keys |= {scripts.unheaded(k) for k in keys}
    return {k for k in keys if len(k) >= KEY_MIN and not k.isdigit()}


def key_topk(index: tuple[dict[str, np.ndarray], np.ndarray], tokens: Sequence[str], script: str, k: int,
             variants: frozenset[tuple[str, str]] = frozenset()) -> np.ndarray:
    """The `k` names sharing the most distinctive keys with the query's words, or their `variants` (IDF-weighted, shorter
    names first on a tie of evidence), for queries whose letters n-grams can't find: Arabic "hbyb al lh
    rshd" shares no 3-gram with "habibullah reshad", but both have the keys "hbbl" and "rsd"."""
    post, lengths = index
    n = max(len(lengths), 1)
    hits: list[np.ndarray] = []
    weights: list[float] = []
    keys = query_keys(tokens, script)
    if variants:  # and the other forms the lists give a part in (scripts.variant_keys: "fdl" / "fzl", Fazal)
        keys |= {b for a, b in variants if a in keys}
    for key in keys:
        p = post.get(key)
        if p is not None and len(p) <= KEY_MAX_SHARE * n:
            hits.append(p)
            weights.append(float(np.log(n / len(p))))
    if not hits:
        return np.empty(0, np.int32)
    idx = np.concatenate(hits)
    w = np.repeat(np.array(weights, dtype=np.float32), [len(h) for h in hits])
    names, inverse = np.unique(idx, return_inverse=True)
    score = np.bincount(inverse, weights=w) / np.sqrt(lengths[names] + 1)
    top = np.argsort(-score, kind="stable")[:k]
    return names[top].astype(np.int32)
