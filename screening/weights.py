"""How much a name word counts: its rarity among listed names (TokenWeights), mixed with a reference corpus
of official-list names (load_prior) so that a small watchlist, or a handful of listings being linked, still
knows which words are generic."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

PRIOR_PATH = Path(__file__).parent / "data" / "token_prior.tsv"
GENERIC_PATH = Path(__file__).parent / "data" / "generic_words.txt"
PLACES_PATH = Path(__file__).parent / "data" / "place_words.txt"
GENERIC_RATE = 0.02  # a generic business word counts as if in 2% of listed entities


@lru_cache(maxsize=1)
def load_prior(path: Path = PRIOR_PATH, generic: tuple[Path, ...] = (GENERIC_PATH, PLACES_PATH)
               ) -> tuple[dict[str, int], int]:
    """Token document counts from a reference corpus of listed names (see scripts/make_token_prior.py),
    raised for generic business words and place names, common in company names but rare on sanctions lists."""
    counts: dict[str, int] = {}
    total = 0
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                total = int(line.split("=")[1]) if line.startswith("#entities=") else total
                continue
            token, n = line.split("\t")
            counts[token] = int(n)
    floor = int(GENERIC_RATE * max(total, 1000))
    for words in generic:
        for word in words.read_text(encoding="utf-8").split("\n") if words.exists() else ():
            word = word.strip()
            if word and not word.startswith("#"):
                counts[word] = max(counts.get(word, 0), floor)
    return counts, total


class TokenWeights:
    """Rarity weight of a token in [0.02, 1]: common words ("trading", "bank") barely count.

    The rate of a token mixes its document frequency in this watchlist with a reference
    corpus of official-list names, so a small watchlist still knows which words are generic.
    """

    R_MIN = 1e-4  # tokens this rare or rarer get full weight

    def __init__(self, df: dict[str, int], n_entities: int, prior: tuple[dict[str, int], int]) -> None:
        self.df = df
        self.prior, self.prior_n = prior
        self.total = n_entities + self.prior_n
        self._cache: dict[str, float] = {}

    def __call__(self, token: str) -> float:
        w = self._cache.get(token)
        if w is None:
            count = self.df.get(token, 0) + self.prior.get(token, 0)
            rate = max(count, 0.5) / max(self.total, 1)
            w = min(1.0, max(0.02, (math.log(1 / rate) / math.log(1 / self.R_MIN)) ** 2)) if rate < 1 else 0.02
            self._cache[token] = w
        return w
