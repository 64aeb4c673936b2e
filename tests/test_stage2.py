"""The array program of stage 2 (screening.stage2) against its slow twin (scoring.compare).

Random pairs built from words that trigger every rule of the token similarity (plurals, doubled
letters, transliteration swaps, skeletons, abbreviations, contractions, typos, numbers, joined and
split words, legal forms), and real pairs: the candidates the matcher retrieves from the shared OFAC
SDN and OpenSanctions lists for the development-set queries in ../shared/eval-dev. The scores must
equal the twin's within 1e-9, and Matcher.match's hits, their order and their explanations must be
the same with the array program on and off.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import replace

import numpy as np
import pytest
from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import stage2
from screening.importer import import_lists
from screening.matcher import Matcher, QueryForm
from screening.normalise import NameForm, name_form
from screening.scoring import Params, compare
from screening.watchlist import TYPE_CODES, TYPE_NAMES, Watchlist

WORDS = (
    "mohammed muhamad mohamed muhammad mhmd hassan hasan hussein husein ali aly umar omar qasim kasim "
    "industries industry intl international tech technology technologies techn shpg shipping trdg trading "
    "co company corp sinno sino crss cross bank bankinter alpha king pai kingpai jsc argument jscargument "
    "llc 3hc 2017 2018 ivanovich vladimirovich volodymyrovych igorevna branch shanghai hong kong abc a b c "
    "hezbollah hizballah zolqadr zolkadr chen cheng kone cone maria garcia juan carlos cruz ovalle luis "
    "mfg manufacturing svcs services elec electronics group grp holding hldg petrol petroleum al rahman "
    "manuel manuela mario daniel daniela daniele victor victoria julius julia ivanov ivanova sonia sofia gonzalez"
).split()
LEGAL = ("llc", "jsc", "sp", "gp")
COMMON_WORDS = {"company", "trading", "shipping", "industries", "industry", "international", "technology",
                "technologies", "services", "group", "holding", "electronics", "manufacturing", "petroleum",
                "bank", "branch", "co", "corp", "al", "a", "b", "c"}


def weight(token: str) -> float:
    """A fixed rarity for every token: generic words common, the rest spread over (0.5, 1]."""
    if token in COMMON_WORDS:
        return 0.02 + (len(token) % 5) * 0.1
    return 0.5 + int(hashlib.sha256(token.encode()).hexdigest()[:4], 16) / 0xFFFF / 2


def _mutate(draw: st.DrawFn, word: str) -> str:
    how = draw(st.sampled_from(("same", "same", "typo", "drop", "double", "swap", "plural", "join", "split")))
    if how == "split" and len(word) >= 6:  # written as two words, one letter spelt otherwise ("hosseini tash")
        k = draw(st.integers(2, len(word) - 2))
        respelt = word.replace("i", "y", 1) if draw(st.booleans()) else word.replace("s", "ss", 1)
        return respelt[:k] + " " + respelt[k:]
    if how == "typo" and len(word) > 1:
        i = draw(st.integers(0, len(word) - 1))
        return word[:i] + draw(st.sampled_from("aeiouykcqsz")) + word[i + 1 :]
    if how == "drop" and len(word) > 2:
        i = draw(st.integers(1, len(word) - 2))
        return word[:i] + word[i + 1 :]
    if how == "double":
        i = draw(st.integers(0, len(word) - 1))
        return word[:i] + word[i] + word[i:]
    if how == "swap" and len(word) > 3:
        i = draw(st.integers(1, len(word) - 3))
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if how == "plural":
        return word + "s"
    if how == "join":
        return word + draw(st.sampled_from(WORDS))
    return word


@st.composite
def tokens(draw: st.DrawFn) -> list[str]:
    words = draw(st.lists(st.one_of(st.sampled_from(WORDS), st.text("abcdehikmnorsuyz0", min_size=1, max_size=12)),
                          min_size=0, max_size=7))
    return [t for w in (_mutate(draw, w) for w in words) for t in w.split()]


@st.composite
def name_pair(draw: st.DrawFn) -> tuple[NameForm, list[str], tuple[str, ...], int]:
    qt = draw(tokens())
    ct = draw(tokens())
    if draw(st.booleans()):  # the listed name shares words with the query
        ct = ct + [w for w in qt if draw(st.booleans())]
    ct = ct or ["alpha"]
    q_legal = tuple(sorted(set(draw(st.lists(st.sampled_from(LEGAL), max_size=2)))))
    c_legal = tuple(sorted(set(draw(st.lists(st.sampled_from(LEGAL), max_size=2)))))
    core = " ".join(qt)
    q = NameForm(full=" ".join([core, *q_legal]).strip(), core=core, tokens=tuple(qt), legal=q_legal,
                 abjad=draw(st.booleans()))  # an Arabic or Hebrew query: consonant skeletons count too
    kind = draw(st.sampled_from(sorted(TYPE_CODES.values())))
    return q, ct, c_legal, kind


def _listed(ct: list[str], legal: tuple[str, ...]) -> tuple[str, str]:
    core = " ".join(ct)
    return core, " ".join([core, *legal])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(name_pair(), min_size=1, max_size=40), st.floats(0.0, 0.95))
def test_random_pairs_score_as_the_twin(pairs: list, floor: float) -> None:
    listed = [_listed(ct, legal) for _, ct, legal, _ in pairs]
    forms = {i: NameForm(full=full, core=core, tokens=tuple(core.split()),
                         legal=tuple(full[len(core) + 1 :].split()) if len(full) > len(core) else ())
             for i, (core, full) in enumerate(listed)}
    ix = stage2.Index([c for c, _ in listed], [f for _, f in listed], weight, forms.__getitem__)
    qs = [q for q, _, _, _ in pairs]
    kinds = np.array([k for _, _, _, k in pairs])
    got = stage2.score_pairs(ix, qs, np.arange(len(qs)), np.arange(len(qs)), kinds, Params(), floor=floor,
                             twin_below=0)
    want = [compare(q, forms[i], weight, Params(), kind=TYPE_NAMES[int(k)], floor=floor).score
            for i, (q, k) in enumerate(zip(qs, kinds, strict=True))]
    assert np.abs(got - np.array(want)).max() <= 1e-9, [(q, forms[i]) for i, q in enumerate(qs)
                                                       if abs(got[i] - want[i]) > 1e-9][:3]


def test_the_array_path_covers_the_rules() -> None:
    """Pairs the array program scores itself (not handed to the twin), one per rule of the similarity."""
    cases = [("mohammed", "muhamad"), ("industries", "industry"), ("hassan", "hasan"), ("umar", "omar"),
             ("mohamed", "muhammad"), ("intl", "international"), ("crss", "cross"), ("shpg", "shipping"),
             ("tech", "technology"), ("chen", "cheng"), ("kone", "cone"), ("3hc", "3hc"), ("3hc", "4hc"),
             ("manuela", "manuel"), ("mario", "maria"), ("victoria", "victor")]  # the last: gendered forms
    listed = [_listed([b, "zyx"], ()) for _, b in cases]
    forms = {i: NameForm(full=f, core=c, tokens=tuple(c.split()), legal=()) for i, (c, f) in enumerate(listed)}
    ix = stage2.Index([c for c, _ in listed], [f for _, f in listed], weight, forms.__getitem__)
    qs = [NameForm(full=f"{a} zyx", core=f"{a} zyx", tokens=(a, "zyx"), legal=()) for a, _ in cases]
    calls = []
    real = stage2.compare
    try:
        stage2.compare = lambda *a, **k: calls.append(a) or real(*a, **k)  # type: ignore[assignment]
        got = stage2.score_pairs(ix, qs, np.arange(len(qs)), np.arange(len(qs)), np.ones(len(qs), int), Params(),
                                 twin_below=0)
    finally:
        stage2.compare = real  # type: ignore[assignment]
    assert not calls  # none of these needs the twin
    want = [compare(q, forms[i], weight, Params()).score for i, q in enumerate(qs)]
    assert got.tolist() == want
    assert len(set(want)) > 5  # the rules give different scores: the comparison says something


def _dev_queries(step: int) -> list[QueryForm]:
    out = []
    for name in ("positives.csv", "negatives.csv"):
        with shared_path("eval-dev", name).open(encoding="utf-8", newline="") as f:
            for row in list(csv.DictReader(f))[::step]:
                n = row["query_name"]
                out.append(QueryForm(name_form(n), row.get("query_type") or None, row.get("query_country") or None,
                                     raw=n))
    return out


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Watchlist:
    lists = [shared_path("data", "lists", "ofac-sdn"), shared_path("data", "lists", "opensanctions")]
    target = tmp_path_factory.mktemp("stage2") / "real.wl"
    import_lists(lists, target)
    return Watchlist(target)


def test_real_pairs_score_as_the_twin(real: Watchlist) -> None:
    m = Matcher(real)
    queries = _dev_queries(5)
    forms, pf, pn, pk = [], [], [], []
    for q, cand in zip(queries, m.candidates(queries), strict=True):
        for form in {q.form, q.person_form}:
            forms.append(form)
            pf += [len(forms) - 1] * len(cand)
            pn += cand.tolist()
            pk += real.entity_type[real.name_entity[cand]].tolist()
    assert len(pf) > 5000
    calls = []
    twin = stage2.compare
    try:
        stage2.compare = lambda *a, **k: calls.append(a) or twin(*a, **k)  # type: ignore[assignment]
        for floor in (0.0, 0.68):
            got = stage2.score_pairs(m.stage2, forms, np.array(pf), np.array(pn), np.array(pk), m.options.params,
                                     floor=floor)
            want = np.array([twin(forms[f], real.form(j), real.weights, m.options.params, kind=TYPE_NAMES[k],
                                  floor=floor).score for f, j, k in zip(pf, pn, pk, strict=True)])
            assert np.abs(got - want).max() <= 1e-9
            assert (want >= 0.8).sum() > 100  # real hits among them
    finally:
        stage2.compare = twin  # type: ignore[assignment]
    # names from other scripts (either side) are compared on per-script keys by the twin; of the rest,
    # the array program scored at least 95% itself
    scripted = sum(bool(forms[f].script or forms[f].abjad or real.form(j).script or real.form(j).abjad)
                   for f, j in zip(pf, pn, strict=True))
    assert 0 < scripted < len(pf) / 2
    assert len(calls) - 2 * scripted < 0.05 * 2 * (len(pf) - scripted)
    assert any(f.abjad for f in forms)  # Arabic queries among them


def _hits(results: list, wl: Watchlist, queries: list[QueryForm]) -> list:
    return [[(m.entity, m.name, m.score, m.adjustments, m.explanation(wl, q.form)) for m in hits]
            for q, hits in zip(queries, results, strict=True)]


@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_hits_are_the_same_with_the_array_program_on_and_off(real: Watchlist, threshold: float) -> None:
    queries = _dev_queries(4)
    on = Matcher(real)
    off = Matcher(real, replace(on.options, vectorised=False))
    assert on.options.vectorised
    a = _hits(on.match(queries, threshold=threshold, limit=10), real, queries)
    b = _hits(off.match(queries, threshold=threshold, limit=10), real, queries)
    assert sum(map(len, b)) > 500
    assert a == b
    few = queries[:40]  # one query at a time: below the array program's batch size, the twin scores
    assert [h for q in few for h in _hits(on.match([q], threshold=threshold, limit=10), real, [q])] == \
        [h for q in few for h in _hits(off.match([q], threshold=threshold, limit=10), real, [q])]


def test_the_index_reads_the_listed_names_as_the_watchlist_does(real: Watchlist) -> None:
    ix = Matcher(real).stage2
    for j in range(0, real.n_names, 997):
        f = real.form(j)
        toks = ix.name_tok[ix.name_ptr[j] : ix.name_ptr[j + 1]]
        assert [ix.tokens.text[t] for t in toks] == list(f.tokens)
        assert bool(ix.name_has_legal[j]) == bool(f.legal)
    # the names compared on their script's keys, read off the display forms as Watchlist.form reads them
    assert ix.name_script.tolist() == [bool(real.form(j).script or real.form(j).abjad) for j in range(real.n_names)]
    assert ix.name_script.any()


def test_a_typed_query_scores_only_its_type_and_hits_as_before(real: Watchlist, monkeypatch: pytest.MonkeyPatch) -> None:
    """Names of another type than the query gives are dropped before scoring (they were scored, then dropped):
    the hits are those of the same query untyped, less the other types', and no other type reaches stage 2."""
    from dataclasses import replace as dc_replace

    typed = [q for q in _dev_queries(3) if q.type in TYPE_CODES][:300]
    assert len({q.type for q in typed}) >= 2
    m = Matcher(real)
    scored: list[tuple[int, ...]] = []
    real_score = stage2.score_pairs

    def spy(ix, forms, pair_form, pair_name, pair_kind, *a, **k):
        scored.append(tuple(pair_kind.tolist()))
        return real_score(ix, forms, pair_form, pair_name, pair_kind, *a, **k)

    monkeypatch.setattr(stage2, "score_pairs", spy)
    got = m.match(typed, threshold=0.5, limit=1000)
    monkeypatch.undo()
    untyped = [dc_replace(q, type=None) for q in typed]
    want = m.match(untyped, threshold=0.5, limit=1000)
    n_other = 0
    for q, a, b in zip(typed, got, want, strict=True):
        code = TYPE_CODES[q.type]
        kept = [h for h in b if real.entity_type[h.entity] == code]
        n_other += len(b) - len(kept)
        assert [(h.entity, h.name, h.score, h.adjustments) for h in a] == \
            [(h.entity, h.name, h.score, h.adjustments) for h in kept]
    assert n_other > 0 and sum(map(len, got)) > 100  # the untyped queries did hit other types
    assert len(scored) == 1 and len(scored[0]) > 1000
    persons = [q for q in typed if q.type == "person"]
    scored.clear()
    monkeypatch.setattr(stage2, "score_pairs", spy)
    m.match(persons, threshold=0.5, limit=10)
    assert len(persons) > 50 and set(scored[0]) == {TYPE_CODES["person"]}


def test_hits_without_explanations_are_the_same_hits(real: Watchlist) -> None:
    """A file renders only the top hit's score and names: its hits are the explained ones, less the explanation."""
    queries = _dev_queries(6)
    m = Matcher(real)
    a = m.match(queries, threshold=0.7, limit=10)
    b = m.match(queries, threshold=0.7, limit=10, explain=False)
    assert [[(h.entity, h.name, h.score, h.adjustments) for h in hs] for hs in a] == \
        [[(h.entity, h.name, h.score, h.adjustments) for h in hs] for hs in b]
    assert sum(map(len, a)) > 100 and all(h.detail is not None for hs in a for h in hs)


def test_the_compiled_token_table_is_the_one_the_index_builds(real: Watchlist, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stage 2's token rows and rule keys are compiled into the artifact; the index maps them instead of computing
    them, and they are what it would compute from the names."""
    table = real.token_table()
    assert table is not None and real.header["token_table"] == stage2.TABLE_VERSION
    built = stage2.Index(real.core, real.full, real.weights, real.form)
    monkeypatch.setattr(stage2, "token_table", lambda *a: pytest.fail("computed, not mapped"))
    monkeypatch.setattr(stage2, "name_tokens", lambda *a: pytest.fail("names read again, not mapped"))
    built_respelt = {k: built.respelt_joins[k].tolist() for k in built.respelt_joins}
    monkeypatch.setattr(stage2, "respelt_joins", lambda *a: pytest.fail("joins built, not mapped"))
    mapped = Matcher(real).stage2
    assert {k: mapped.respelt_joins[k].tolist() for k in mapped.respelt_joins} == built_respelt
    assert len(built_respelt) > 1000
    assert mapped.tokens.text == built.tokens.text and len(built.tokens.text) > 10_000
    for k in ("name_tok", "name_ptr", "name_len", "name_legal_set", "name_has_legal", "legal_codes", "other_codes",
              "name_digit", "name_patr", "name_script"):
        assert getattr(mapped, k).dtype == getattr(built, k).dtype and np.array_equal(getattr(mapped, k), getattr(built, k)), k
    assert mapped.vocab == built.vocab and mapped.legal_sets == built.legal_sets and len(built.legal_sets) > 10
    assert mapped.tokens.mat.dtype == built.tokens.mat.dtype and np.array_equal(mapped.tokens.mat, built.tokens.mat)
    assert mapped.key_ids == built.key_ids
    assert np.array_equal(mapped.tokens.weight, built.tokens.weight)
    q = [QueryForm(name_form(n)) for n in ("Banco Nacional de Cuba", "Hizballah", "Mohamed Ali Hassan")]
    on = Matcher(real)
    on.__dict__["stage2"] = built  # the same hits whichever index scores them
    assert [[(m.entity, m.score) for m in hs] for hs in Matcher(real).match(q, threshold=0.5, limit=10)] == \
        [[(m.entity, m.score) for m in hs] for hs in on.match(q, threshold=0.5, limit=10)]


def test_a_token_table_of_other_code_or_other_names_is_not_used(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table compiled by another scoring.py/stage2.py/rigour is left alone (the index computes its own), as is
    one whose tokens are not the names' (never silently used)."""
    from screening.build import build_seed_watchlist
    from screening.config import DEFAULT_SEEDS

    target = tmp_path / "old.wl"
    monkeypatch.setattr(stage2, "TABLE_VERSION", "t-older")
    build_seed_watchlist(DEFAULT_SEEDS, target)
    monkeypatch.undo()
    wl = Watchlist(target)
    assert wl.header["token_table"] == "t-older" and wl.token_table() is None
    fresh = stage2.Index(wl.core, wl.full, wl.weights, wl.form)
    assert np.array_equal(Matcher(wl).stage2.tokens.mat, fresh.tokens.mat)
    other = stage2.token_table(["zzz", *fresh.tokens.text[1:]])
    ix = stage2.Index(wl.core, wl.full, wl.weights, wl.form, table=other)
    assert np.array_equal(ix.tokens.mat, fresh.tokens.mat) and ix.key_ids == fresh.key_ids


def test_a_patronymic_costs_only_against_a_name_that_records_one() -> None:
    """The array program's patronymic cost follows the twin's: nothing against a listed person with no
    patronymic ("KRAVCHENKO Nikolai", OpenSanctions), the usual cost against one that records another."""
    listed = [_listed(["kravchenko", "nikolai"], ()), _listed(["kravchenko", "nikolai", "ivanovich"], ())]
    forms = {i: NameForm(full=f, core=c, tokens=tuple(c.split()), legal=()) for i, (c, f) in enumerate(listed)}
    ix = stage2.Index([c for c, _ in listed], [f for _, f in listed], weight, forms.__getitem__)
    q = NameForm(full="kravchenko nikolai petrovich", core="kravchenko nikolai petrovich",
                 tokens=("kravchenko", "nikolai", "petrovich"), legal=())
    calls = []
    real = stage2.compare
    try:
        stage2.compare = lambda *a, **k: calls.append(a) or real(*a, **k)  # type: ignore[assignment]
        got = stage2.score_pairs(ix, [q, q], np.arange(2) * 0, np.arange(2), np.zeros(2, int), Params(), twin_below=0)
    finally:
        stage2.compare = real  # type: ignore[assignment]
    assert not calls  # the array program scored both itself
    want = [compare(q, forms[i], weight, Params(), kind="person") for i in range(2)]
    assert got.tolist() == [w.score for w in want]
    assert want[0].token_score == 1.0 > want[1].token_score


def test_the_names_holding_every_query_word_are_candidates(real: Watchlist) -> None:
    # "Muhammad AL-RAWI" for OFAC SDN 26715 Muhammad Abd-al-Qadir Mutni Assaf AL-RAWI: a short form of a long name
    # ranks below the shorter al-Rawi names on n-grams (Amin Muhammad AL-RAWI...); the five names holding all three
    # words are candidates all the same
    m = Matcher(real)
    q = QueryForm(name_form("Muhammad AL-RAWI"), raw="Muhammad AL-RAWI")
    target = next(j for j, d in enumerate(real.display) if d == "Muhammad Abd-al-Qadir Mutni Assaf AL-RAWI")
    every = m.all_words(q.form)
    assert every is not None and target in every.tolist() and len(every) <= m.options.all_words_max
    assert target in m.candidates([q])[0].tolist()
    hits = m.match([q], threshold=0.8, limit=10)[0]
    assert any(real.entity_ids[h.entity] == "ofac-sdn:26715" for h in hits)
    # words many names hold are no such evidence: none are added
    assert Matcher(real, replace(m.options, all_words_max=2)).all_words(q.form) is None
    assert m.all_words(name_form("Muhammad")) is None  # one word: the n-grams find it


@pytest.mark.parametrize(("query", "listed"), [
    ("ali hosseini tash", "ali hoseynitash"), ("ali hoseynitash", "ali hosseini tash"),
    ("mohammad darvish vand", "mohammad darvishvand"), ("javad darvishvand", "javad darvish vand kazem"),
    ("kim jong un", "kim jongun"),  # too short a join to be read as a respelling: the exact rules only
])
def test_a_join_spelt_otherwise_scores_as_the_twin(query: str, listed: str) -> None:
    """Two words the other side writes as one word spelt otherwise (scoring._merge_joined): the array program
    hands the pair to the twin, so the score is the twin's; and the join lifts the score."""
    forms = {0: NameForm(full=listed, core=listed, tokens=tuple(listed.split()), legal=())}
    ix = stage2.Index([listed], [listed], weight, forms.__getitem__)
    q = NameForm(full=query, core=query, tokens=tuple(query.split()), legal=())
    got = stage2.score_pairs(ix, [q], np.zeros(1, int), np.zeros(1, int), np.array([TYPE_CODES["person"]]),
                             Params(), twin_below=0)
    want = compare(q, forms[0], weight, Params(), kind="person").score
    assert abs(got[0] - want) <= 1e-9
    if "hosseini" in query + listed:
        assert want > 0.9

