"""The key postings stored in the artifact (screening.keyindex) against their slow twin, ngrams.key_postings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import artifact, keyindex, ngrams
from screening.errors import WatchlistError
from screening.importer import import_lists
from screening.watchlist import Watchlist

UN_EXCERPT = Path(__file__).parent / "fixtures" / "un-sc" / "UN_consolidated.excerpt.xml"


def _unpack(blob: np.ndarray, offsets: np.ndarray) -> list[str]:
    return artifact.PackedStrings(blob, offsets).to_list()


def assert_same_postings(got: keyindex.Postings, want: keyindex.Postings) -> None:
    post, lengths = got
    ref, ref_lengths = want
    assert set(post) == set(ref) and len(post) == len(ref)
    for k, names in ref.items():
        assert post[k].dtype == names.dtype and np.array_equal(post[k], names), k
    assert lengths.dtype == ref_lengths.dtype and np.array_equal(lengths, ref_lengths)


@pytest.fixture(scope="module")
def un_list(tmp_path_factory: pytest.TempPathFactory) -> Watchlist:
    """The whole UN Security Council list (Arabic and Cyrillic original-script names) and the seeds."""
    target = tmp_path_factory.mktemp("keyindex") / "un.wl"
    import_lists([shared_path("data", "lists", "un-sc")], target)
    return Watchlist(target)


def test_stored_postings_equal_the_lazily_built_ones_on_a_real_list(un_list: Watchlist) -> None:
    assert un_list.header["key_index"] == keyindex.VERSION
    scripts_seen = {un_list.form(j).script for j in range(un_list.n_names)}
    assert {"Arab", "Cyrl"} <= scripts_seen  # the list has names in the scripts whose queries use the keys
    for script in keyindex.SCRIPTS:
        stored = keyindex.from_sections(un_list._sections, script, _unpack)
        assert stored is not None, script  # mapped from the artifact, not built on load
        assert len(stored[0]) > 100
        assert_same_postings(stored, ngrams.key_postings(un_list.core, script))
        assert_same_postings(un_list.key_postings(script), ngrams.key_postings(un_list.core, script))


def test_an_arabic_query_finds_the_same_names_as_with_the_built_index(un_list: Watchlist) -> None:
    from screening.matcher import Matcher
    from screening.normalise import name_form

    m = Matcher(un_list)
    q = name_form("عبد الرحمن")
    got = m.key_candidates(q)
    want = ngrams.key_topk(ngrams.key_postings(un_list.core, q.script), q.tokens, q.script,
                           ngrams.KEY_CANDIDATES[q.script])
    assert len(got) > 0 and np.array_equal(got, want)


def _without_key_sections(src: Path, dst: Path) -> None:
    header, sections = artifact.read(src)
    header = {k: v for k, v in header.items() if k not in ("key_index", "sections", "format")}
    artifact.write(dst, header, {k: np.array(v) for k, v in sections.items() if not k.startswith("keys.")})


def test_an_artifact_without_stored_postings_builds_the_same(tmp_path: Path) -> None:
    """An artifact compiled before they were stored (e.g. an older seed.wl) still screens, as before."""
    built = tmp_path / "un.wl"
    import_lists([UN_EXCERPT], built)
    _without_key_sections(built, tmp_path / "old.wl")
    old, new = Watchlist(tmp_path / "old.wl"), Watchlist(built)
    assert "key_index" not in old.header and keyindex.from_sections(old._sections, "Arab", _unpack) is None
    for script in keyindex.SCRIPTS:
        assert_same_postings(old.key_postings(script), ngrams.key_postings(old.core, script))
        assert_same_postings(old.key_postings(script), new.key_postings(script))


def test_postings_built_by_other_code_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored postings are only used by the code that built them: stale ones would find other names silently."""
    target = tmp_path / "stale.wl"
    monkeypatch.setattr(keyindex, "VERSION", "k-older")
    import_lists([UN_EXCERPT], target)
    monkeypatch.undo()
    with pytest.raises(WatchlistError, match=r"stale\.wl: its key index was built by k-older.*rebuild it"):
        Watchlist(target)


_WORDS = st.sampled_from(["al", "el", "ul", "abdul", "rahman", "habib", "ullah", "olena", "elena", "jong", "jeong",
                          "kim", "ri", "lee", "x", "42", "shah", "khan", "yusuf", "wali", "zhukov", "dzhamal"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(_WORDS, st.text("abdehiklmnorsuyz", min_size=1, max_size=7)), max_size=6)
                .map(" ".join), max_size=25))
def test_build_equals_key_postings_on_any_names(cores: list[str]) -> None:
    counts = keyindex.word_counts(cores)
    for script, (keys, ptr, names) in keyindex.build(cores).items():
        assert_same_postings(keyindex.postings(keys, ptr, names, counts), ngrams.key_postings(cores, script))


def test_warm_maps_every_scripts_postings_from_the_artifact(un_list: Watchlist, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a `screen file --jobs N` worker does before its first task: nothing is built from the names."""
    from screening.matcher import Matcher

    def no_build(*a, **k):
        raise AssertionError("built from the names, not mapped")

    from screening import stage2, watchlist

    m = Matcher(Watchlist(un_list.path))
    monkeypatch.setattr(keyindex, "build", no_build)
    monkeypatch.setattr(ngrams, "key_postings", no_build)
    monkeypatch.setattr(keyindex, "skeleton_postings", no_build)
    monkeypatch.setattr(stage2, "name_tokens", no_build)
    monkeypatch.setattr(stage2, "token_table", no_build)
    monkeypatch.setattr(watchlist, "name_scripts", no_build)
    m.warm()
    assert set(m.wl._key_postings) == set(keyindex.SCRIPTS)
    assert m.stage2.V > 1000 and len(m.skeleton_postings) > 0


def _skeleton_reference(cores: list[str], minimum: int, most: int, per: int) -> dict[str, list[int]]:
    """keyindex.skeleton_postings from its definition, word by word."""
    from screening.normalise import skeleton

    words = {t for c in cores for t in c.split() if not t.isdigit() and len(skeleton(t)) >= minimum}
    shortest = {t: sorted((j for j, c in enumerate(cores) if t in c.split()), key=lambda j: (len(cores[j]), j))[:per]
                for t in words}
    out = {}
    for t in words:
        spellings = [u for u in words if skeleton(u) == skeleton(t)]
        if 2 <= len(spellings) <= most:
            out[t] = sorted({j for u in spellings if u != t for j in shortest[u]})
    return out


def _as_dict(post: keyindex.KeyPostings) -> dict[str, list[int]]:
    return {k: post[k].tolist() for k in post}


_SPELLINGS = st.sampled_from(["hezbollah", "hizballah", "hizbullah", "yusuf", "yousef", "youssef", "jusuf", "zolqadr",
                              "zolkadr", "mohammad", "muhammad", "mohamed", "ltd", "trading", "2024", "baqer", "bakr"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(_SPELLINGS, st.text("abdehkmnoqrsuyz", min_size=1, max_size=6)), min_size=1, max_size=5)
                .map(" ".join), max_size=25), st.integers(2, 5), st.integers(1, 4), st.integers(1, 3))
def test_skeleton_postings_are_their_definition_on_any_names(cores: list[str], minimum: int, most: int, per: int) -> None:
    words, ptr, names = keyindex.skeleton_postings(cores, minimum, most, per)
    assert words == sorted(words) and names.dtype == np.int32
    assert _as_dict(keyindex.KeyPostings(words, ptr, names)) == _skeleton_reference(cores, minimum, most, per)


def test_the_compiled_skeleton_postings_are_used_for_the_default_options_only(un_list: Watchlist,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The artifact holds the skeleton postings of the matcher's default options (mapped, equal to a build from the
    names); a matcher given other options builds its own."""
    from screening.matcher import Matcher, MatchOptions

    assert un_list.header["skeleton_postings"] == list(keyindex.SKELETON_DEFAULTS)
    built = keyindex.KeyPostings(*keyindex.skeleton_postings(un_list.core))
    assert len(built) > 100 and _as_dict(built) == _skeleton_reference(list(un_list.core), *keyindex.SKELETON_DEFAULTS)
    wl = Watchlist(un_list.path)
    calls = []
    real = keyindex.skeleton_postings
    monkeypatch.setattr(keyindex, "skeleton_postings", lambda *a: calls.append(a[1:]) or real(*a))
    assert _as_dict(Matcher(wl).skeleton_postings) == _as_dict(built) and calls == []
    other = Matcher(wl, MatchOptions(skeleton_posting=2)).skeleton_postings
    assert calls == [(4, 2, 2)] and _as_dict(other) == _skeleton_reference(list(wl.core), 4, 2, 2) != _as_dict(built)
    assert wl.name_script.dtype == bool and np.array_equal(wl.name_script, watchlist_name_scripts(wl))


def watchlist_name_scripts(wl: Watchlist) -> np.ndarray:
    from screening.watchlist import name_scripts

    return name_scripts(wl.display.to_list())
