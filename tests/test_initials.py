"""A person's initial in a query ("A. Khamenei") is evidence for the given name it begins, much weaker than the
name itself; it never makes a name of an organisation or another initial match. Listed names as OFAC SDN writes
them (Ali Husseini KHAMENEI, SDN 16980; Mojtaba KHAMENEI; PUTIN, Vladimir Vladimirovich)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import service_of

from screening import stage2
from screening.model import Entity
from screening.normalise import name_form
from screening.scoring import INITIAL, Params, align, compare
from screening.service import Query, Service

THRESHOLD = 0.8
LISTED = [
    Entity(entity_id="ofac-sdn:16980", source="ofac-sdn", type="person", name="Ali Husseini KHAMENEI"),
    Entity(entity_id="ofac-sdn:27000", source="ofac-sdn", type="person", name="Mojtaba KHAMENEI"),
    Entity(entity_id="ofac-sdn:35096", source="ofac-sdn", type="person", name="PUTIN, Vladimir Vladimirovich"),
    Entity(entity_id="test:alpha", source="test", type="company", name="ALPHA KHAMENEI TRADING"),
    Entity(entity_id="ofac-sdn:99001", source="ofac-sdn", type="person", name="Jhon LIU"),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Service:
    return service_of(LISTED, tmp_path_factory.mktemp("initials"), "initials")


def _hits(service: Service, name: str, threshold: float = THRESHOLD) -> list[tuple[str, float]]:
    result = service.screen([Query(name=name)], threshold=threshold, limit=5).results[0]
    return [(h.entity_id, h.score) for h in result.hits]


@pytest.mark.parametrize(("query", "expected"), [
    ("A. Khamenei", "ofac-sdn:16980"),
    ("Ali H. Khamenei", "ofac-sdn:16980"),
    ("M. Khamenei", "ofac-sdn:27000"),
    ("V. Putin", "ofac-sdn:35096"),
])
def test_an_initial_finds_the_name_it_begins(service: Service, query: str, expected: str) -> None:
    hits = _hits(service, query)
    assert hits and hits[0][0] == expected, (query, hits)


def test_an_initial_is_weaker_than_the_name(service: Service) -> None:
    initial = dict(_hits(service, "A. Khamenei", 0.5))["ofac-sdn:16980"]
    full = dict(_hits(service, "Ali Khamenei", 0.5))["ofac-sdn:16980"]
    assert initial < full


@pytest.mark.parametrize("query", ["B. Khamenei", "X. Putin", "J. Liu"])  # Liu: a name part many people bear
def test_another_initial_stays_clear(service: Service, query: str) -> None:
    assert _hits(service, query) == []


@pytest.mark.parametrize(("query", "expected"), [
    ("A. H. Khamenei", "ofac-sdn:16980"),
    ("A.H. Khamenei", "ofac-sdn:16980"),
    ("V.V. Putin", "ofac-sdn:35096"),
    ("V. V. Putin", "ofac-sdn:35096"),
    ("V.V.Putin", "ofac-sdn:35096"),  # the last dot glued to the surname
    ("A.H.Khamenei", "ofac-sdn:16980"),
])
def test_initials_run_together_are_each_an_initial(service: Service, query: str, expected: str) -> None:
    # "V.V." normalises to one word "vv", which begins no listed name: read as two initials it finds both given
    # names (Vladimir Vladimirovich); the n-grams of the rest of the name retrieve it
    hits = _hits(service, query)
    assert hits and hits[0][0] == expected, (query, hits)


@pytest.mark.parametrize(("more", "fewer", "expected"), [
    ("V.V. Putin", "V. Putin", "ofac-sdn:35096"),
    ("A. H. Khamenei", "A. Khamenei", "ofac-sdn:16980"),
])
def test_an_agreeing_initial_never_scores_below_the_name_left_out(service: Service, more: str, fewer: str,
                                                                   expected: str) -> None:
    # an initial pairs at INITIAL, which would weigh more against the score than the middle name left out
    assert dict(_hits(service, more, 0.5))[expected] >= dict(_hits(service, fewer, 0.5))[expected]


@pytest.mark.parametrize("query", ["X.Y. Putin", "J.L. Liu", "A.B. Khamenei"])
def test_initials_run_together_that_begin_no_name_stay_clear(service: Service, query: str) -> None:
    assert _hits(service, query) == []


def test_spelled_letters_are_recorded_not_split() -> None:
    # the normalised form is what it was (an acronym stays one word); only `spelled` says it was written as letters
    assert name_form("V.V. Putin").tokens == ("vv", "putin") and name_form("V.V. Putin").spelled == ("vv",)
    assert name_form("A B C Company").tokens == ("abc",) and name_form("A B C Company").spelled == ("abc",)
    assert name_form("VV Putin").spelled == () and name_form("A.B.C.D. Putin").spelled == ()
    # an initial's dot glued to the name after it parts them in a person's name only, and only before a
    # capitalised word: E.ON stays one word
    assert name_form("V.V.Putin", person=True).tokens == ("vv", "putin") and name_form("V.V.Putin").tokens == ("vvputin",)
    assert name_form("E.ON", person=True).tokens == ("eon",)
    weight = lambda t: 1.0  # noqa: E731
    # a listed name that has the word itself pairs it whole ("A.K.M. Rahman" / A.K.M. RAHMAN)
    pairs, qt, _ = align(["akm", "rahman"], ["akm", "rahman"], weight, initials=True, spelled=("akm",))
    assert qt == ["akm", "rahman"] and (0, 0, 1.0) in pairs
    pairs, qt, _ = align(["vv", "putin"], ["putin", "vladimir", "vladimirovich"], weight, initials=True,
                         spelled=("vv",))
    assert qt == ["v", "v", "putin"] and (2, 0, 1.0) in pairs
    assert sorted(j for i, j, s in pairs if s == INITIAL) == [1, 2]  # one initial each for Vladimir, Vladimirovich
    # without `initials` (the listed name is not a person's) the word stays whole
    assert align(["vv", "putin"], ["putin", "vladimir"], weight, spelled=("vv",))[1] == ["vv", "putin"]


def test_only_a_persons_name_reads_an_initial() -> None:
    q, c = name_form("A Khamenei Trading").tokens, name_form("ALPHA KHAMENEI TRADING").tokens
    weight = lambda t: 1.0  # noqa: E731
    assert (0, 0, INITIAL) in align(list(q), list(c), weight, initials=True)[0]
    assert all(i != 0 for i, _, _ in align(list(q), list(c), weight)[0])


def test_the_array_program_scores_initials_as_the_twin() -> None:
    listed = ["ali husseini khamenei", "mojtaba khamenei", "alpha khamenei trading"]
    forms = {i: name_form(n) for i, n in enumerate(listed)}
    ix = stage2.Index(listed, listed, lambda t: 0.8, forms.__getitem__)
    qs = [name_form(n, person=True) for n in ("A. Khamenei", "M Khamenei", "A Khamenei", "Ali Khamenei", "A.H. Khamenei",
                                              "M. A. Khamenei")]
    pf, pn = np.repeat(np.arange(len(qs)), len(listed)), np.tile(np.arange(len(listed)), len(qs))
    kinds = np.array([0, 0, 1] * len(qs))
    got = stage2.score_pairs(ix, qs, pf, pn, kinds, Params(), floor=0.0, twin_below=0)
    want = [compare(qs[f], forms[n], lambda t: 0.8, Params(), kind="person" if k == 0 else "company").score
            for f, n, k in zip(pf, pn, kinds, strict=True)]
    assert np.abs(got - np.array(want)).max() <= 1e-9
