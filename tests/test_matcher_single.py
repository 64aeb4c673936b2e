"""The one-name-at-a-time paths equal the paths they shortcut (issue 14, single names).

- stage 1 for one query (`matcher._query_vector` + `kernel.cosine_topk_one`) gives the candidates, scores and
  order of `ngrams.vectorise` + `kernel.cosine_topk`, bit for bit;
- `scoring._similarity` on memoised per-word rule keys gives what the per-pair code it replaced gave (a copy of
  that code is kept here as the reference), and `_squeeze` what the r"\\1" regex substitution gave.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA
from rigour.text import metaphone

from screening import kernel, ngrams, scoring
from screening.config import DEFAULT_WATCHLIST, Settings
from screening.matcher import QueryForm, _query_vector
from screening.normalise import name_form
from screening.service import Service

_DOUBLE = re.compile(r"(.)\1+")


def _old_squeeze(t: str) -> str:
    return _DOUBLE.sub(r"\1", t)


def _old_similarity(a: str, b: str) -> tuple[float, float]:
    """scoring._similarity as it was before the rule keys were memoised per word (main ed78ebd)."""
    if scoring._has_digit(a) or scoring._has_digit(b):
        return 0.0, 0.0
    if scoring._stem(a) == scoring._stem(b) or (abs(len(a) - len(b)) == 1 and _old_squeeze(a) == _old_squeeze(b)):
        return 0.95, 0.95
    if scoring._translit_key(a) == scoring._translit_key(b):
        return 0.9, 0.9
    if a[0] == b[0] and len(sk := scoring._skeleton(a)) >= 4 and sk == scoring._skeleton(b):
        return 0.85, 0.85
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if long in scoring.ABBREVIATIONS.get(short, ()):
        return 0.9, 0.9
    n, m = len(long), len(short)
    plain = None
    if m == 4 and scoring._interior_deletion(short, long):
        plain = 0.8
    else:
        budget = 0 if m <= 4 else 1 if m <= 7 else 2 if m <= 10 else 3
        if budget == 0 or (m <= 6 and a[0] != b[0]):
            plain = 0.0
        else:
            d = OSA.distance(a, b, score_cutoff=budget + 1)
            if d <= budget:
                plain = 1.0 - (1.0 if m <= 6 else 0.6) * d / n
            elif d == budget + 1 and a[0] == b[0] and metaphone(a) == metaphone(b):
                plain = 0.8
            else:
                plain = 0.0
    return plain, (0.9 if scoring._is_abbrev(short, long) else plain)


# words that exercise every rule: plurals, doubled letters, transliteration swaps, skeletons, edits, digits
_LETTERS = "aeiouybcdfghklmnpqrstvwxz"
word = st.one_of(
    st.text(alphabet=_LETTERS, min_size=1, max_size=12),
    st.text(alphabet="abcmo1", min_size=1, max_size=6),
    st.sampled_from(["mohammed", "muhammad", "mohamed", "sino", "sinno", "hassan", "hasan", "aly", "ali", "umar",
                     "omar", "industries", "industry", "tech", "technology", "intl", "international", "cross", "crss",
                     "shpg", "shipping", "chen", "cheng", "3hc", "2017", "kone", "cone", "philip", "filip"]),
)


@settings(max_examples=1500, deadline=None)
@given(word, word)
def test_similarity_on_memoised_keys_equals_the_per_pair_rules(a: str, b: str) -> None:
    scoring._similarity.cache_clear()
    assert scoring._similarity(a, b) == _old_similarity(a, b)
    assert scoring._similarity(b, a) == _old_similarity(b, a)


@given(st.text(max_size=20))
def test_squeeze_equals_the_regex_substitution(t: str) -> None:
    assert scoring._squeeze(t) == _old_squeeze(t)


@pytest.fixture(scope="module")
def service() -> Service:
    return Service(Settings(watchlist=DEFAULT_WATCHLIST, reload_interval=0))


names = st.one_of(
    st.text(alphabet=_LETTERS + " ", min_size=1, max_size=30),
    st.sampled_from(["Sino Electronics Co., Ltd", "Sinno Electronic", "Hezbollah", "HIZBALLAH", "Acme Trading LLC",
                     "Ivan Petrov", "ООО Ромашка", "محمد رسول", "Banco Nacional de Cuba", "Alpha Bank"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names)
def test_one_query_stage1_equals_the_sparse_matrix_path(service: Service, name: str) -> None:
    wl, m = service.watchlist, service.matcher
    form = name_form(name)
    for abjad, floor, k in ((False, m.options.ngram_floor, m.options.candidates),
                            (True, m.options.abjad_ngram_floor, m.options.abjad_candidates)):
        mat = ngrams.vectorise([form.tokens], wl.gram_map, wl.gram_idf, min_idf=wl.common_gram_idf, abjad=[abjad])
        gi, gv = _query_vector(form.tokens, wl.gram_map, wl.gram_idf, min_idf=wl.common_gram_idf, abjad=abjad)
        assert gi.tolist() == mat.indices.tolist()
        assert gv.tobytes() == mat.data.astype(np.float32).tobytes()
        (want_i, want_v), = kernel.cosine_topk(mat, wl.names_t, k=k, threshold=floor)
        got_i, got_v = kernel.cosine_topk_one(gi, gv, wl.names_t, k=k, threshold=floor)
        assert got_i.tolist() == want_i.tolist()
        assert got_v.tobytes() == want_v.tobytes()
    # and the matcher's candidates for the name alone equal its candidates within a batch
    q = QueryForm(form, raw=name)
    other = QueryForm(name_form("Acme Trading"), raw="Acme Trading")
    alone = m.candidates([q])[0]
    in_batch = m.candidates([q, other])[0]
    assert alone.tolist() == in_batch.tolist()
