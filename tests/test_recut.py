"""A word the other side writes as two is cut the same way in every process (scoring._split_prefix).

The cut once came from the first match found while iterating a set of the other side's words, an order that
changes with the process's hash seed: a word with two possible cuts scored one way in one worker and another
way in the next. It now tries the other side's words in their order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from screening.scoring import _split_prefix

ROOT = Path(__file__).resolve().parents[1]


@given(st.lists(st.text("abc", min_size=1, max_size=6), min_size=1, max_size=4),
       st.lists(st.text("abc", min_size=1, max_size=4), max_size=8))
def test_a_cut_keeps_the_letters_and_cuts_only_into_the_other_sides_words(tokens: list[str], other: list[str]) -> None:
    out = _split_prefix(tokens, other)
    assert "".join(out) == "".join(tokens)
    assert len(tokens) <= len(out) <= 2 * len(tokens)
    assert all(t in tokens or t in other for t in out)


_PROBE = """
import json
from screening.scoring import _split_prefix
words = [chr(97 + i % 26) * (1 + i // 26) for i in range(60)]  # enough words that a set's order varies by seed
other = [*words, "abc", "def", "ab", "cdef"]
print(json.dumps(_split_prefix(["abcdef", "abcdefxyz"], other)))
"""


def test_the_cut_is_the_same_under_every_hash_seed() -> None:
    outs = set()
    for seed in ("1", "2", "3", "4", "5"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        r = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
        outs.add(r.stdout.strip())
    assert len(outs) == 1
    assert json.loads(outs.pop()) == ["abc", "def", "abcdefxyz"]  # the first of the two cuts in the words' order
