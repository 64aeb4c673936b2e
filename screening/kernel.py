"""The hot loop: score query strings against all choice strings and keep the top k per query.

Arrays in, arrays out. No I/O, no pydantic. `topk_reference` is the slow twin that the
property tests hold this module to.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

Scorer = Callable[..., float]
# Bound the score matrix of one cdist call (rows x choices bytes, uint8 scores).
MAX_MATRIX_CELLS = 32_000_000


def _select(row: np.ndarray, k: int, cutoff: int) -> np.ndarray:
    """Indices of the k best scores >= cutoff, best first, ties broken by lower index."""
    if k < len(row):
        kth = np.partition(row, len(row) - k)[len(row) - k]
        kth = max(int(kth), cutoff)
        above = np.flatnonzero(row > kth)
        tied = np.flatnonzero(row == kth)[: k - len(above)]
        idx = np.concatenate([above, tied])
    else:
        idx = np.flatnonzero(row >= cutoff)
    idx = idx[row[idx] >= cutoff]
    return idx[np.lexsort((idx, -row[idx].astype(np.int16)))]


def topk(
    queries: Sequence[str],
    choices: Sequence[str],
    *,
    k: int,
    score_cutoff: int = 0,
    scorer: Scorer = fuzz.ratio,
    workers: int = 1,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each query, (choice indices int32, scores uint8 0-100) of its k best choices.

    Scores below `score_cutoff` are dropped; rapidfuzz rounds scores to integers (dtype uint8).
    """
    out: list[tuple[np.ndarray, np.ndarray]] = []
    if not queries:
        return out
    if not choices or k <= 0:
        empty = (np.empty(0, np.int32), np.empty(0, np.uint8))
        return [empty for _ in queries]
    rows = max(1, MAX_MATRIX_CELLS // len(choices))
    for start in range(0, len(queries), rows):
        block = cdist(
            queries[start : start + rows],
            choices,
            scorer=scorer,
            score_cutoff=score_cutoff,
            dtype=np.uint8,
            workers=workers,
        )
        for row in block:
            idx = _select(row, k, score_cutoff)
            out.append((idx.astype(np.int32), row[idx]))
    return out


def topk_reference(
    queries: Sequence[str],
    choices: Sequence[str],
    *,
    k: int,
    score_cutoff: int = 0,
    scorer: Scorer = fuzz.ratio,
) -> list[tuple[list[int], list[int]]]:
    """Slow twin of `topk`: a nested Python loop over the same scorer."""
    out = []
    for q in queries:
        scored = []
        for i, c in enumerate(choices):
            # cdist converts to integer dtypes by rounding half up
            s = math.floor(scorer(q, c, score_cutoff=score_cutoff) + 0.5)
            if s >= score_cutoff:
                scored.append((-s, i))
        scored.sort()
        best = scored[:k]
        out.append(([i for _, i in best], [-s for s, _ in best]))
    return out
