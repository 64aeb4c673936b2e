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
