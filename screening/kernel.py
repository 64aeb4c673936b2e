"""The hot loop: score queries against every listed name and keep the top k per query.

`topk` is brute force over strings (rapidfuzz cdist); `cosine_topk` is the sparse n-gram
product used to retrieve candidates from large watchlists.

Arrays in, arrays out. No I/O, no pydantic. `topk_reference` is the slow twin that the
property tests hold this module to.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist
from scipy.sparse import csr_matrix
from sparse_dot_topn import sp_matmul_topn
from sparse_dot_topn.lib import _sparse_dot_topn_core as _topn_core  # type: ignore[attr-defined]

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


def cosine_topk(
    queries: csr_matrix, names_t: csr_matrix, *, k: int, threshold: float = 0.0, threads: int = 1
) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each query row, (name indices, cosine scores float32) of its k best names above `threshold`.

    `queries` is (queries x grams), `names_t` is (grams x names), both L2-normalised CSR: the
    product is the cosine. The sparse product keeps only the top k per row as it goes.
    """
    if queries.shape[0] == 0:
        return []
    if k <= 0 or names_t.shape[1] == 0:
        return [(np.empty(0, np.int32), np.empty(0, np.float32)) for _ in range(queries.shape[0])]
    it = names_t.indices.dtype  # the product needs one index dtype on both sides
    if queries.indices.dtype != it or queries.indptr.dtype != it:
        queries = csr_matrix((queries.data, queries.indices.astype(it), queries.indptr.astype(it)), shape=queries.shape)
    if queries.nnz == 0 or names_t.nnz == 0:
        return [(np.empty(0, np.int32), np.empty(0, np.float32)) for _ in range(queries.shape[0])]
    if it == np.int32 and threads <= 1:
        # sparse_dot_topn's public wrapper copies the right-hand index arrays on every call
        # (astype without copy=False): 80 MB at a million names. Ours are already int32.
        data, indices, indptr = _topn_core.sp_matmul_topn(
            top_n=min(k, names_t.shape[1]), nrows=queries.shape[0], ncols=names_t.shape[1],
            threshold=float(threshold), density=1.0, A_data=queries.data, A_indptr=queries.indptr,
            A_indices=queries.indices, B_data=names_t.data, B_indptr=names_t.indptr, B_indices=names_t.indices,
        )
        # the raw (data, indices, indptr) as they are: a csr_matrix around them only costs its checks
    else:
        prod = sp_matmul_topn(queries, names_t, top_n=k, threshold=threshold, sort=False,
                              n_threads=threads if threads > 1 else None,
                              idx_dtype=it)
        indptr, indices, data = prod.indptr, prod.indices, prod.data
    out = []
    for r in range(queries.shape[0]):
        idx = indices[indptr[r] : indptr[r + 1]].astype(np.int32)
        val = data[indptr[r] : indptr[r + 1]].astype(np.float32)
        order = np.lexsort((idx, -val))
        out.append((idx[order], val[order]))
    return out


def cosine_topk_one(indices: np.ndarray, data: np.ndarray, names_t: csr_matrix, *, k: int,
                    threshold: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """`cosine_topk` of one query row given as (gram indices, values): the same product, called without
    building a sparse matrix around one row (scipy's checks cost more than the product for one name)."""
    it = names_t.indices.dtype
    if k <= 0 or names_t.shape[1] == 0 or len(indices) == 0 or names_t.nnz == 0:
        return np.empty(0, np.int32), np.empty(0, np.float32)
    if it != np.int32:
        got = cosine_topk(csr_matrix((data, indices.astype(it), np.array([0, len(indices)], it)),
                                     shape=(1, names_t.shape[0])), names_t, k=k, threshold=threshold)
        return got[0]
    vals, idx, _ = _topn_core.sp_matmul_topn(
        top_n=min(k, names_t.shape[1]), nrows=1, ncols=names_t.shape[1], threshold=float(threshold), density=1.0,
        A_data=data, A_indptr=np.array([0, len(indices)], np.int32), A_indices=indices.astype(np.int32, copy=False),
        B_data=names_t.data, B_indptr=names_t.indptr, B_indices=names_t.indices,
    )
    idx = idx.astype(np.int32, copy=False)
    vals = vals.astype(np.float32, copy=False)
    order = np.lexsort((idx, -vals))
    return idx[order], vals[order]


def cosine_topk_reference(
    queries: csr_matrix, names_t: csr_matrix, *, k: int, threshold: float = 0.0
) -> list[tuple[list[int], list[float]]]:
    """Slow twin of `cosine_topk`: a nested Python loop of dot products."""
    q_rows = [dict(zip(queries.getrow(r).indices.tolist(), queries.getrow(r).data.tolist(), strict=True))
              for r in range(queries.shape[0])]
    cols = names_t.tocsc()
    n_cols = [dict(zip(cols.getcol(c).indices.tolist(), cols.getcol(c).data.tolist(), strict=True))
              for c in range(cols.shape[1])]
    out = []
    for q in q_rows:
        scored = []
        for c, col in enumerate(n_cols):
            s = sum(np.float32(v) * np.float32(col[g]) for g, v in q.items() if g in col)
            if s > threshold:
                scored.append((-float(s), c))
        scored.sort()
        best = scored[:k]
        out.append(([c for _, c in best], [-s for s, _ in best]))
    return out
