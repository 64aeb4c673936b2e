"""A word the other side writes as two is cut the same way in every process (scoring._split_prefix).

It used to take the first cut found while iterating a set of the other side's words, an order that changes
with the process's hash seed: a word with two possible cuts scored one way in one worker and another way in
the next. Now the longest first word wins, whatever the seed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.scoring import _split_prefix

ROOT = Path(__file__).resolve().parents[1]


def test_the_longest_first_word_wins() -> None:
    other = {"ab", "cdef", "abc", "def"}
    assert _split_prefix(["abcdef"], other) == ["abc", "def"]
    assert _split_prefix(["jscargument", "argument"], {"jsc", "argument"}) == ["jsc", "argument", "argument"]


def test_a_word_the_other_side_has_is_never_cut() -> None:
    assert _split_prefix(["abcdef"], {"abcdef", "abc", "def"}) == ["abcdef"]


def test_no_cut_without_both_halves() -> None:
    assert _split_prefix(["abcdef"], {"abc", "de"}) == ["abcdef"]


@given(st.lists(st.text("abc", min_size=1, max_size=6), min_size=1, max_size=4),
       st.sets(st.text("abc", min_size=1, max_size=4), max_size=8))
def test_a_cut_keeps_the_letters_and_uses_the_other_sides_words(tokens: list[str], other: set[str]) -> None:
    out = _split_prefix(tokens, other)
    assert "".join(out) == "".join(tokens)
    cut = [t for t in tokens if t not in other and any(t[:i] in other and t[i:] in other for i in range(1, len(t)))]
    assert len(out) == len(tokens) + len(cut)


_PROBE = """
import json, sys
from screening.scoring import _split_prefix
words = [chr(97 + i % 26) * (1 + i // 26) for i in range(60)]  # enough words that set order varies by seed
other = set(words) | {"ab", "cdef", "abc", "def", "abcd", "ef"}
print(json.dumps(_split_prefix(["abcdef", "abcdefxyz"], other)))
"""


@pytest.mark.parametrize("seeds", [("1", "2", "3", "4", "5")])
def test_the_cut_is_the_same_under_every_hash_seed(seeds: tuple[str, ...]) -> None:
    outs = set()
    for seed in seeds:
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        r = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
        outs.add(r.stdout.strip())
    assert len(outs) == 1
    assert json.loads(outs.pop()) == ["abcd", "ef", "abcdefxyz"]
