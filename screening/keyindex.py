"""The retrieval-by-key postings of every keyed script (ngrams.key_postings), built per distinct word for the artifact.

`ngrams.key_postings` is the slow reference twin: for each script, `build(cores)` gives the same keys and
the same names per key (tests/test_keyindex.py holds it to that). It computes each key once per distinct
word or joined pair of words (a list of 45,000 names has about 80,000), not once per occurrence, and
groups the (key, name) pairs with numpy. `compile_watchlist` stores the result as artifact sections, so
a process that loads the watchlist (each `screen file --jobs N` worker) maps them instead of building them.

Sections, per script S: `keys.S.blob`/`keys.S.offsets` (the keys, packed strings), `keys.S.ptr` (int64,
each key's slice of `keys.S.names`) and `keys.S.names` (int32, ascending within a key); and `keys.lengths`
(float32, each name's word count). The header's `key_index` is VERSION: the code that built them.

The skeleton postings (a listed word -> the names spelling it otherwise, `skeleton_postings`) are stored the same
way, as `skeleton.*`, for the parameters the header's `skeleton_postings` names (the matcher's defaults).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from . import ngrams, scripts
from .normalise import skeleton

SCRIPTS = tuple(ngrams.KEY_CANDIDATES)
# The postings depend on this module, the keys (scripts.key) and the retrieval rules (ngrams): any change
# to one of them makes an artifact's stored postings stale (Watchlist refuses it, naming the rebuild).
VERSION = "k-" + hashlib.sha256(
    b"".join(Path(__file__).with_name(f).read_bytes() for f in ("keyindex.py", "scripts.py", "ngrams.py"))
).hexdigest()[:8]

Postings = tuple[Mapping[str, np.ndarray], np.ndarray]  # as ngrams.key_postings returns them


def _words(cores: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The distinct words and joined pairs of words (as key_postings reads a name), and the (word, name)
    pairs, each once, in name order."""
    articles = ngrams._ARTICLES
    ids: dict[str, int] = {}
    word: list[int] = []
    name: list[int] = []
    for j, core in enumerate(cores):
        tokens = core.split()
        plain = [t for t in tokens if t not in articles]
        for t in {*tokens, *("".join(plain[i : i + 2]) for i in range(len(plain) - 1))}:
            word.append(ids.setdefault(t, len(ids)))
            name.append(j)
    return list(ids), np.array(word, np.int64), np.array(name, np.int64)


def _group(keys: list[str], word: np.ndarray, name: np.ndarray, n_names: int
           ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(distinct keys, ptr, names): each retrievable key's names, ascending, from each word's key."""
    kid: dict[str, int] = {}
    word_key = np.array([kid.setdefault(k, len(kid)) if len(k) >= ngrams.KEY_MIN and not k.isdigit() else -1
                         for k in keys], np.int64)
    wk = word_key[word] if len(word) else np.empty(0, np.int64)
    keep = wk >= 0
    codes = np.unique(wk[keep] * max(n_names, 1) + name[keep])  # (key, name) once each, by key then name
    key_of = codes // max(n_names, 1)
    ptr = np.zeros(len(kid) + 1, np.int64)
    np.cumsum(np.bincount(key_of, minlength=len(kid)), out=ptr[1:])
    return list(kid), ptr, (codes % max(n_names, 1)).astype(np.int32)


def build(cores: Sequence[str], which: Iterable[str] = SCRIPTS) -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
    """script -> (keys, ptr, names) for the names `cores`: the postings of ngrams.key_postings, as arrays."""
    words, word, name = _words(cores)
    key = scripts.key.__wrapped__  # each word once: the shared cache is the queries'
    out = {}
    for s in which:
        keys = [key(t, s) for t in words]
        if s in scripts.ABJADS:  # a word of an abjad also gives its key without a head y or w (scripts.unheaded)
            out[s] = _group(keys + [scripts.unheaded(k) for k in keys], np.concatenate([word, word + len(keys)]),
                            np.concatenate([name, name]), len(cores))
        else:
            out[s] = _group(keys, word, name, len(cores))
    return out


def word_counts(cores: Sequence[str]) -> np.ndarray:
    """Each name's word count, as key_postings counts it (float32)."""
    return np.array([len(c.split()) for c in cores], dtype=np.float32)


def sections(cores: Sequence[str], pack: Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray]]
             ) -> dict[str, np.ndarray]:
    """The artifact sections of every keyed script's postings (`pack` packs a string list)."""
    out: dict[str, np.ndarray] = {"keys.lengths": word_counts(cores)}
    for s, (keys, ptr, names) in build(cores).items():
        out[f"keys.{s}.blob"], out[f"keys.{s}.offsets"] = pack(keys)
        out[f"keys.{s}.ptr"] = ptr
        out[f"keys.{s}.names"] = names
    return out


# The matcher's defaults (MatchOptions.skeleton_min, skeleton_posting, skeleton_per_spelling), compiled in.
SKELETON_MIN = 4  # a word's consonant skeleton this long pulls in the names spelling it otherwise...
SKELETON_POSTING = 8  # ...when there are no more spellings than this...
SKELETON_PER_SPELLING = 2  # ...taking this many of each spelling's shortest names
SKELETON_DEFAULTS = (SKELETON_MIN, SKELETON_POSTING, SKELETON_PER_SPELLING)


def skeleton_postings(cores: Sequence[str], minimum: int = SKELETON_MIN, most: int = SKELETON_POSTING,
                      per: int = SKELETON_PER_SPELLING) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(words, ptr, names): each listed word's names holding another spelling of it, a word of the same consonant
    skeleton ("hezbollah" -> the names with "hizballah"): only for skeletons at least `minimum` long that at most
    `most` spellings share, and of each other spelling its `per` shortest names (those where the word weighs most:
    "HIZBALLAH" itself). Words in sorted order, names ascending within a word."""
    of: dict[str, str] = {}
    by_skeleton: dict[str, dict[str, list[int]]] = {}
    for j, core in enumerate(cores):
        for t in set(core.split()):
            sk = of.get(t)
            if sk is None:
                sk = of[t] = skeleton(t) if not t.isdigit() else ""
            if len(sk) >= minimum:
                by_skeleton.setdefault(sk, {}).setdefault(t, []).append(j)
    index: dict[str, list[int]] = {}
    for spellings in by_skeleton.values():
        if len(spellings) < 2 or len(spellings) > most:
            continue
        shortest = {u: sorted(js, key=lambda j: (len(cores[j]), j))[:per] for u, js in spellings.items()}
        for t in spellings:
            index[t] = sorted({j for u, js in shortest.items() if u != t for j in js})
    words = sorted(index)
    ptr = np.zeros(len(words) + 1, np.int64)
    np.cumsum([len(index[w]) for w in words], out=ptr[1:])
    names = np.array([j for w in words for j in index[w]], np.int32)
    return words, ptr, names


def skeleton_sections(cores: Sequence[str], pack: Callable[[Sequence[str]], tuple[np.ndarray, np.ndarray]]
                      ) -> dict[str, np.ndarray]:
    """The skeleton postings of the default parameters as artifact sections."""
    words, ptr, names = skeleton_postings(cores)
    out = {"skeleton.ptr": ptr, "skeleton.names": names}
    out["skeleton.blob"], out["skeleton.offsets"] = pack(words)
    return out


class KeyPostings(Mapping[str, np.ndarray]):
    """Key -> the names holding it (an int32 view of the postings, made on lookup), over stored arrays."""

    def __init__(self, keys: Sequence[str], ptr: np.ndarray, names: np.ndarray) -> None:
        self._at = dict(zip(keys, range(len(keys)), strict=True))
        self._ptr = ptr
        self._names = names

    def __getitem__(self, key: str) -> np.ndarray:
        i = self._at[key]
        return self._names[self._ptr[i] : self._ptr[i + 1]]

    def get(self, key: str, default: np.ndarray | None = None) -> np.ndarray | None:  # type: ignore[override]
        i = self._at.get(key)
        return default if i is None else self._names[self._ptr[i] : self._ptr[i + 1]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


def postings(keys: Sequence[str], ptr: np.ndarray, names: np.ndarray, lengths: np.ndarray) -> Postings:
    """One script's (key -> names, word counts), as ngrams.key_postings returns them."""
    return KeyPostings(keys, ptr, names), lengths


def from_sections(s: Mapping[str, np.ndarray], script: str,
                  unpack: Callable[[np.ndarray, np.ndarray], list[str]]) -> Postings | None:
    """One script's postings from artifact sections, or None when the artifact holds none."""
    if f"keys.{script}.ptr" not in s:
        return None
    keys = unpack(s[f"keys.{script}.blob"], s[f"keys.{script}.offsets"])
    return postings(keys, s[f"keys.{script}.ptr"], s[f"keys.{script}.names"], s["keys.lengths"])
