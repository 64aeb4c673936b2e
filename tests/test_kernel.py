"""The hot loop: kernel.topk must agree exactly with its slow twin, kernel.topk_reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from screening import kernel

# Scorers that take score_cutoff and are fast enough for cdist (WRatio is left to the benchmark).
SCORERS = [fuzz.ratio, fuzz.QRatio, fuzz.token_sort_ratio, fuzz.token_set_ratio, fuzz.partial_ratio]

# A small alphabet makes near-duplicates and ties common; a few non-ASCII letters keep it honest.
NAME = st.text(alphabet="abcde xyzéж3", max_size=10)


def as_lists(result: list[tuple[np.ndarray, np.ndarray]]) -> list[tuple[list[int], list[int]]]:
    return [(idx.tolist(), scores.tolist()) for idx, scores in result]


@settings(max_examples=300, deadline=None)
@given(
    queries=st.lists(NAME, max_size=5),
    choices=st.lists(NAME, max_size=25),
    k=st.integers(1, 30),
    cutoff=st.integers(0, 100),
    scorer=st.sampled_from(SCORERS),
)
def test_topk_agrees_with_reference(queries, choices, k, cutoff, scorer) -> None:
    fast = kernel.topk(queries, choices, k=k, score_cutoff=cutoff, scorer=scorer)
    slow = kernel.topk_reference(queries, choices, k=k, score_cutoff=cutoff, scorer=scorer)
    assert as_lists(fast) == slow
    for idx, scores in fast:
        assert idx.dtype == np.int32 and scores.dtype == np.uint8
        assert len(idx) <= k
        assert all(s >= cutoff for s in scores.tolist())
        assert scores.tolist() == sorted(scores.tolist(), reverse=True)


@settings(max_examples=50, deadline=None)
@given(queries=st.lists(NAME, min_size=1, max_size=6), choices=st.lists(NAME, min_size=1, max_size=12),
       k=st.integers(1, 5), cutoff=st.integers(0, 80))
def test_topk_agrees_across_matrix_blocks(queries, choices, k, cutoff) -> None:
    # a one-cell budget forces one cdist call per query; the results must not change
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kernel, "MAX_MATRIX_CELLS", 1)
        fast = kernel.topk(queries, choices, k=k, score_cutoff=cutoff)
    assert as_lists(fast) == kernel.topk_reference(queries, choices, k=k, score_cutoff=cutoff)


def test_topk_with_threads_agrees() -> None:
    choices = [f"company {i} trading" for i in range(300)]
    queries = ["company 17 trading", "compny 2 tradng", "nothing alike"]
    fast = kernel.topk(queries, choices, k=7, score_cutoff=40, workers=2)
    assert as_lists(fast) == kernel.topk_reference(queries, choices, k=7, score_cutoff=40)
    assert fast[0][0][0] == 17 and fast[0][1][0] == 100


def test_empty_queries() -> None:
    assert kernel.topk([], ["a", "b"], k=3) == []
    assert kernel.topk_reference([], ["a", "b"], k=3) == []


def test_empty_choices() -> None:
    fast = kernel.topk(["a", "b"], [], k=3)
    assert as_lists(fast) == [([], []), ([], [])] == kernel.topk_reference(["a", "b"], [], k=3)


def test_ties_broken_by_lower_index() -> None:
    fast = kernel.topk(["abc"], ["xyz", "abc", "abd", "abc", "abc"], k=2)
    assert as_lists(fast) == [([1, 3], [100, 100])]


def test_k_larger_than_choices_keeps_all_above_cutoff() -> None:
    fast = kernel.topk(["abcd"], ["abcd", "abcx", "wxyz"], k=10, score_cutoff=50)
    assert as_lists(fast) == [([0, 1], [100, 75])]


def test_everything_below_cutoff() -> None:
    fast = kernel.topk(["abcd"], ["wxyz", "qrst"], k=2, score_cutoff=1)
    assert as_lists(fast) == [([], [])]


def test_k_zero_returns_nothing() -> None:
    assert as_lists(kernel.topk(["abc"], ["abc", "abd"], k=0)) == kernel.topk_reference(["abc"], ["abc", "abd"], k=0)


# ---- cosine_topk: the n-gram retrieval stage, against its nested-loop twin ----------------------

WORDS = st.sampled_from(["sinno", "sino", "electronics", "trading", "oree", "laser", "tech", "group",
                         "king", "pai", "kingpai", "vtb", "bank", "alpha", "3hc", "x"])
NAMES = st.lists(WORDS, min_size=1, max_size=4).map(" ".join)


def _cosine_case(names: list[str], queries: list[str]):
    from screening import ngrams

    vocab, idf, names_t = ngrams.build(names)
    vectors = ngrams.vectorise([q.split() for q in queries], {g: i for i, g in enumerate(vocab)}, idf)
    return vectors, names_t


@settings(max_examples=150, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=40), st.lists(NAMES, min_size=1, max_size=8),
       st.integers(1, 10), st.sampled_from([0.0, 0.2, 0.5, 0.9]), st.sampled_from([1, 2]))
def test_cosine_topk_agrees_with_reference(names, queries, k, threshold, threads) -> None:
    vectors, names_t = _cosine_case(names, queries)
    fast = kernel.cosine_topk(vectors, names_t, k=k, threshold=threshold, threads=threads)
    slow = kernel.cosine_topk_reference(vectors, names_t, k=k, threshold=threshold)
    dense = (vectors @ names_t).toarray()
    for r, ((idx, scores), (_ref_idx, ref_scores)) in enumerate(zip(fast, slow, strict=True)):
        assert np.allclose(dense[r, idx], scores, atol=1e-5)  # each kept index really has that score
        # the same scores in the same order; among equal scores either index may be kept
        assert np.allclose(scores, ref_scores, atol=1e-5)
        assert len(set(idx.tolist())) == len(idx)


def test_cosine_topk_scores_are_the_cosines() -> None:
    names = ["sinno electronics", "alpha trading investments", "king pai technology"]
    vectors, names_t = _cosine_case(names, ["sino electronics", "kingpai technology", "zzz"])
    dense = (vectors @ names_t).toarray()
    for r, (idx, scores) in enumerate(kernel.cosine_topk(vectors, names_t, k=3, threshold=0.0)):
        assert np.allclose(scores, dense[r, idx], atol=1e-6)
        assert list(scores) == sorted(scores, reverse=True)
    (best, _), (king, _), (none, _) = kernel.cosine_topk(vectors, names_t, k=1, threshold=0.3)
    assert best.tolist() == [0] and king.tolist() == [2] and none.tolist() == []


def test_cosine_topk_empty() -> None:
    vectors, names_t = _cosine_case(["sinno"], ["x"])
    assert kernel.cosine_topk(vectors[:0], names_t, k=3) == []
    assert [i.tolist() for i, _ in kernel.cosine_topk(vectors, names_t, k=0)] == [[]]
