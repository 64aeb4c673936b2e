"""Arabic Abd- names ("servant of" + one of God's names) written every way lists and counterparty files write
them: Abd al-Rahman, Abdul Rahman, Abdel Rahman, Abdelrahman, Abdurrahman; Abd Allah, Abdallah, Abdullah.
Listed names are real OFAC entries (../shared/data/lists/ofac-sdn, ofac-cons), transcribed."""

from __future__ import annotations

import pytest
from conftest import service_of
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.model import Entity
from screening.normalise import fold_abd, name_form
from screening.service import Query, Service


@pytest.mark.parametrize("spellings", [
    ["Abd al-Rahman", "Abdul Rahman", "Abdel Rahman", "Abd-el-Rahman", "Abdur Rahman", "Abd ar-Rahman"],
    ["Abdelrahman", "Abdulrahman", "Abdurrahman", "Abdalrahman"],
    ["Abd Allah", "Abdallah", "Abdullah", "Abdellah", "Abdulla", "Abdollah", "Abd ullah", "AB DALLAH"],
    ["Abd al-Aziz", "Abdel Aziz", "Abdul Aziz"],
    ["Abdelaziz", "Abdulaziz", "Abdalaziz"],
    ["Abdussalam", "Abdulsalam", "Abdessalam"],
])
def test_one_abd_name_has_one_form(spellings: list[str]) -> None:
    forms = {name_form(s, person=True).full for s in spellings} | {name_form(s).full for s in spellings}
    assert len(forms) == 1, forms


@pytest.mark.parametrize("name", ["Abdou Diouf", "Ahmed Abdi Aw-Mohamed", "Marat Abdullin", "Ruslan Abdulov",
                                  "Farid Abdullayev", "Abdirahman Mohamed", "Mohammed Abdul", "Abdel"])
def test_other_words_are_left_alone(name: str) -> None:
    assert name_form(name, person=True).full == " ".join(name.lower().replace("-", " ").split())


_PIECES = st.sampled_from(["abd", "abdul", "abdel", "abdur", "al", "el", "ar", "as", "ul", "rahman", "allah", "lah",
                           "ullah", "aziz", "abdallah", "abdurrahman", "abdelaziz", "abdullaev", "abdou", "ab",
                           "dallah", "ali", "karim", "abdelilah"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text("abdelruhmnsz", min_size=1, max_size=7)), max_size=7))
def test_the_fold_is_idempotent(tokens: list[str]) -> None:
    once = fold_abd(tokens)
    assert fold_abd(once) == once
    assert all(t for t in once) and len(once) <= len(tokens)


LISTED = [
    Entity(entity_id="ofac-cons:9716", source="ofac-cons", type="person", name="Qais Abdul KARIM"),
    Entity(entity_id="ofac-sdn:11538", source="ofac-sdn", type="person", name="Ali Mohamad ABDUL RAHIM"),
    Entity(entity_id="ofac-cons:9701", source="ofac-cons", type="person", name="Abdul Rahman AL-JAMAL"),
    Entity(entity_id="ofac-sdn:11174", source="ofac-sdn", type="person", name="Abdelrazag Elsharif ELOSTA"),
    Entity(entity_id="ofac-cons:9641", source="ofac-cons", type="person", name="Jamileh Abdullah AL-SHANTI"),
    Entity(entity_id="ofac-sdn:12295", source="ofac-sdn", type="person", name="Hafiz Abdul Rahman MAKKI"),
]


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> Service:
    return service_of(LISTED, tmp_path_factory.mktemp("abd"), "abd")


@pytest.mark.parametrize(("query", "entity"), [
    ("Qais AbdelKarim", "ofac-cons:9716"),
    ("Ali Mohamad AbdelRahim", "ofac-sdn:11538"),
    ("Abd al-Rahman Al-Jamal", "ofac-cons:9701"),
    ("Abdel Rahman AL JAMAL", "ofac-cons:9701"),
    ("Abdul Razag Elsharif Elosta", "ofac-sdn:11174"),
    ("Jamileh Abd Allah Al-Shanti", "ofac-cons:9641"),
    ("Hafiz Abdurrahman Makki", "ofac-sdn:12295"),
    ("Abdul YASIN MAKKI Hafiz", None),  # not his name: Yasin for Rahman
])
def test_a_listed_abd_name_is_found_however_it_is_spelt(listed: Service, query: str, entity: str | None) -> None:
    hits = listed.screen_valid([Query(name=query)], threshold=0.8, limit=3)[0].hits
    assert [h.entity_id for h in hits[:1]] == ([entity] if entity else [])


@pytest.mark.parametrize(("arabic", "latin"), [
    ("عبد الرحمن", "Abd al-Rahman"),
    ("عبدالرحمن", "Abdulrahman"),
    ("عبد الله", "Abdullah"),
    ("عبدالله", "Abdallah"),
    ("عبد اللّه", "Abd Allah"),
])
def test_an_arabic_script_abd_name_takes_the_one_form(arabic: str, latin: str) -> None:
    """عبد is "abd" (its ayn written a) and الله the word allah, so the fold writes the Arabic script's Abd- names
    in the form it writes the Latin ones in: the head "abdul" (or the word "abdullah"), apart or joined as written."""
    got, want = name_form(arabic).tokens, name_form(latin).tokens
    assert len(got) == len(want) and got[0][:5] == want[0][:5] == "abdul", (got, want)
    assert (got[0] == "abdullah") == (want[0] == "abdullah")


@pytest.mark.parametrize("word", ["عبدو", "عبدی"])  # Abdou, Abdi: names of their own, no Abd- name
def test_an_arabic_word_that_only_starts_with_abd_is_left_alone(word: str) -> None:
    assert name_form(word).tokens[0] not in ("abdul", "abdullah")


@pytest.mark.parametrize(("query", "entity"), [
    ("حافظ عبد الرحمن مكي", "ofac-sdn:12295"),
    ("جميلة عبد الله الشنطي", "ofac-cons:9641"),
    ("عبد الرحمن الجمل", "ofac-cons:9701"),
])
def test_a_listed_abd_name_is_found_in_arabic_script(listed: Service, query: str, entity: str) -> None:
    hits = listed.screen_valid([Query(name=query)], threshold=0.8, limit=3)[0].hits
    assert [h.entity_id for h in hits[:1]] == [entity], [(h.name, h.score) for h in hits]
