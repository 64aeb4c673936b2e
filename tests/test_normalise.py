"""Name normalisation: examples, legal-form equivalences and hypothesis properties."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from screening.config import DEFAULT_SEEDS
from screening.normalise import NameForm, name_form, normalise, skeleton, to_ascii
from screening.scripts import char_script
from screening.seeds import load_seeds

CANONICAL = re.compile(r"^([a-z0-9]+( [a-z0-9]+)*)?$")  # lower-case ASCII words, single spaces


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ВТБ Банк", "vtb bank"),  # Cyrillic transliterated
        ("Банк ВТБ", "bank vtb"),
        ("Société Générale", "societe generale"),  # diacritics folded
        ("Zürich Versicherung", "zurich versicherung"),
        ("ŠKODA", "skoda"),
        ("Łódź", "lodz"),
        ("Straße", "strasse"),
        ("ＳＩＮＮＯ Electronics", "sinno electronics"),  # full-width letters (NFKC)
        ("SINNO ELECTRONICS", "sinno electronics"),  # casefolded
        ("King-Pai Technology", "king pai technology"),  # punctuation is a word break
        ("Asia-Pacific Links", "asia pacific links"),
        ("Sinno\tElectronics\n", "sinno electronics"),  # whitespace collapsed
        ("  Sinno   Electronics  ", "sinno electronics"),
        ("Sinno—Electronics", "sinno electronics"),
        ("O'Brien & Sons", "obrien sons"),  # apostrophes join, ampersands drop
        ("3HC Semiconductors", "3hc semiconductors"),  # digits and letters kept together
        ("3HC", "3hc"),
    ],
)
def test_examples(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_digits_are_kept() -> None:
    assert name_form("3HC Semiconductors Co Ltd").tokens == ("3hc", "semiconductors")
    assert name_form("Sigma 7 Ltd").tokens == ("sigma", "7")
    assert normalise("Sigma 7") != normalise("Sigma 8")


LEGAL_EQUIVALENTS = ["Acme Co., Ltd.", "Acme Co Ltd", "Acme Co. Ltd", "Acme LLC", "ООО Acme", "Acme ООО",
                     "Acme Limited", "Acme Ltd", "Acme, Inc."]


@pytest.mark.parametrize("variant", LEGAL_EQUIVALENTS)
def test_legal_forms_are_one_class(variant: str) -> None:
    form = name_form(variant)
    assert form.full == normalise("Acme Co., Ltd.")
    assert form.core == "acme"
    assert form.tokens == ("acme",)
    assert form.legal != ()


@pytest.mark.parametrize("variant", ["Acme Company Limited", "Acme Co., Limited"])
def test_company_limited_equals_co_ltd(variant: str) -> None:
    assert normalise(variant) == normalise("Acme Co., Ltd.")


def test_joint_stock_forms_are_one_class() -> None:
    assert normalise("VTB Bank PJSC") == normalise("VTB Bank JSC") == normalise("VTB Bank AG")
    assert name_form("VTB Bank PJSC").core == "vtb bank"


def test_legal_form_of_different_kinds_stay_apart() -> None:
    # a joint-stock company and a limited-liability company are not the same legal form
    assert name_form("Acme PJSC").legal != name_form("Acme LLC").legal


def test_name_that_is_only_a_legal_form_keeps_a_core() -> None:
    form = name_form("Company Limited")
    assert form.core and form.tokens
    assert form.full.startswith(form.core)


@pytest.mark.parametrize("raw", ["", " ", "\t\n ", "...", "🙂", "\x00"])
def test_empty_forms(raw: str) -> None:
    assert name_form(raw) == NameForm("", "", (), ())
    assert normalise(raw) == ""


def seed_names() -> list[str]:
    return sorted({alias.name for e in load_seeds(DEFAULT_SEEDS) for alias in e.all_names()})


@pytest.mark.parametrize("raw", seed_names() + ["Sino Electronics Co., Ltd", "VTB Bank PJSC", "3 HC Semiconductor",
                                                "Oree Laser Technology Co Ltd", "Alpha Trading Investment Limited"])
def test_idempotent_on_real_names(raw: str) -> None:
    once = normalise(raw)
    assert once
    assert normalise(once) == once


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_and_output_is_canonical(text: str) -> None:
    form = name_form(text)
    assert CANONICAL.match(form.full), form
    assert CANONICAL.match(form.core), form
    assert form.tokens == tuple(form.core.split())
    assert form.full == " ".join([form.core, *form.legal]).strip()
    assert bool(form.core) == bool(form.full)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_to_ascii_is_idempotent(text: str) -> None:
    once = to_ascii(text)
    assert CANONICAL.match(once)
    assert to_ascii(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text())
@example("Nokia Öy")
@example("0:O:OÒ")  # "o oo" once transliterated: the legal form OOO written apart
def test_idempotent_on_its_own_full_form(text: str) -> None:
    # Latin text only: a romanised word of another script may spell a Latin legal form ("سعد" -> "sd"), which the
    # romanised word is not, but the same letters written in Latin are (test_a_romanised_word_is_never_...)
    assume(all(char_script(ch) in ("Latn", "") for ch in text))
    once = normalise(text)
    assert normalise(once) == once


@pytest.mark.parametrize("text", ["ООО Ромашка", "株式会社学術生産団体イジュマシュ", "عبد الرحمن"])
def test_idempotent_on_other_scripts_without_abbreviation_lookalikes(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 .,-&'()/", max_size=40))
def test_case_does_not_matter(text: str) -> None:
    assert normalise(text.upper()) == normalise(text) == normalise(text.title())


@settings(max_examples=200, deadline=None)
@given(st.lists(WORD, min_size=1, max_size=5), st.sampled_from(["  ", " - ", ", ", "\t", " / ", "\u00a0", "\n"]))
def test_separators_do_not_matter(words: list[str], sep: str) -> None:
    assert normalise(sep.join(words)) == normalise(" ".join(words))


# --- issue 10 -----------------------------------------------------------------------------------

def test_a_persons_name_has_no_legal_forms() -> None:
    assert name_form("Yu Liang PAO", person=True).tokens == ("yu", "liang", "pao")
    assert name_form("Maria Sá", person=True).tokens == ("maria", "sa")
    assert name_form("Li Na", person=True).legal == ()
    assert name_form("PAO Gazprom").tokens == ("gazprom",)  # an organisation's name still has them


def test_short_legal_forms_only_where_legal_forms_stand() -> None:
    assert name_form("KB Lines Limited").tokens == ("kb", "lines")
    assert name_form("Vostok KB").tokens == ("vostok",)
    assert name_form("GAD S.A. Shanghai Branch").tokens == ("gad", "shanghai", "branch")
    assert name_form("Rosagro S.A.S. (Hong Kong) Limited").tokens == ("rosagro", "hong", "kong")
    assert name_form("OOO Romashka").tokens == ("romashka",)


@pytest.mark.parametrize(("raw", "full"), [
    ("سعد محمد", "sd mhmd"),  # Saad, romanised "sd", is not the Latin "S.D."
    ("سعد الدين سيد", "sd al dyn syd"),  # UN TAi.087, Saduddin Sayyed: its first name was dropped as "llc"
    ("宇 汤", "yu tang"),  # the syllable yu (宇) is not a Latin legal form "Yu"
    ("玉华 刘", "yu hua liu"),
    ("Зелёный Сад", "zelenyy sad"),  # a garden, not a "S.A.D."
    ("澳门贸易", "ao men mao yi"),  # Macau (Aomen) Trading: 澳 is not the Russian "AO"
])
def test_a_romanised_word_is_never_a_latin_abbreviation(raw: str, full: str) -> None:
    assert (name_form(raw).full, name_form(raw).legal) == (full, ())


def test_legal_forms_of_other_scripts_and_latin_words_beside_them_still_count() -> None:
    assert name_form("ООО Ромашка").legal == ("llc",)  # found in the original script
    assert name_form("Ромашка АО").legal == ("jsc",)
    assert name_form("CST有限会社").legal == ("llc",)
    assert name_form("شركة ABC LLC").legal == ("llc",)  # a Latin word of the name is still read as one
    assert name_form("Romashka SAD").legal == ("jsc",)  # the same word written in Latin is a legal form


@pytest.mark.parametrize(("raw", "full"), [
    ("DONCOALTRADE SP. Z O.O.", "doncoaltrade llc"),  # the stops gone, "sp z oo" was three words of the name
    ("DONCOALTRADE SPZ O O", "doncoaltrade llc"),  # the dev set's split variant of OFAC SDN's DONCOALTRADE SP Z O O
    ("TRADING BRIDGE SP.Z O.O.", "trading bridge llc"),
    ("Vantage Lux S.a r.l.", "vantage lux llc"),
    ("Acme LL C", "acme llc"),
    ("Eagle Hydro I LP", "eagle hydro i lp"),  # a legal form already: the fund's number stays its own
    ("Blackstone Offshore II, L.P.", "blackstone offshore ii lp"),
])
def test_a_legal_form_written_with_other_stops_or_spaces_is_one(raw: str, full: str) -> None:
    assert name_form(raw).full == full


@pytest.mark.parametrize(("raw", "full"), [
    # the dev set's OFAC SDN 19033 without its "Company"; and as listed
    ("OPEN JOINT STOCK COMMERCIAL BANK VERKHNEVOLZHSKY", "commercial bank verkhnevolzhsky jsc"),
    ("OPEN JOINT STOCK COMPANY COMMERCIAL BANK VERKHNEVOLZHSKY", "commercial bank verkhnevolzhsky jsc"),
    ("NATIONAL IRANIAN COPPER INDUSTRIES PUBLIC JOINT STOCK", "national iranian copper industries jsc"),  # OFAC
    ("ALAMER FOR MANUFACTURE OF PLASTIC LIMITED LIABILITY", "alamer for manufacture of plastic llc"),  # OFAC
    ("JOINT STOCK COMMERCIAL BANK NOVIKOMBANK", "novikombank jsc"),  # a legal form written first already
])
def test_a_legal_form_without_its_last_word_company_is_one(raw: str, full: str) -> None:
    assert name_form(raw).full == full


def test_a_short_form_after_only_given_names_is_a_surname() -> None:
    # a query's kind is unknown: "Renata Sá" must not become the company "renata" with a legal form
    assert name_form("Renata Sá").tokens == ("renata", "sa") and name_form("Renata Sá").legal == ()
    assert name_form("Maria José AG").legal == ()
    assert name_form("Apple AG").tokens == ("apple",)  # not a given name: still a legal form
    assert name_form("Renta A.S.").tokens == ("renta",)


def test_transliteration_drops_soft_signs_instead_of_splitting() -> None:
    assert name_form("Анатольевич Кузьменко", person=True).tokens == ("anatolevich", "kuzmenko")


def test_skeletons_fold_spelling_families() -> None:
    assert skeleton("hezbollah") == skeleton("hizballah")
    assert skeleton("zolqadr") == skeleton("zolkadr")
    assert skeleton("eslami") == skeleton("islami")
    assert skeleton(name_form("يوسف").tokens[0]) == skeleton("yusuf")
    assert name_form("عبد الرحمن").abjad and not name_form("Abd al-Rahman").abjad


@given(st.text(max_size=40))
def test_person_form_is_plain_ascii_words_without_legal_forms(text: str) -> None:
    f = name_form(text, person=True)
    assert f.legal == () and f.core == f.full
    assert all(t.isascii() and t == t.lower() and t.isalnum() for t in f.tokens)
    assert name_form(f.full, person=True).tokens == f.tokens  # idempotent


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=20))
def test_skeleton_has_no_vowel_letters(token: str) -> None:
    assert not set(skeleton(token)) & set("aeiouyw")


@pytest.mark.parametrize(("text", "full"), [
    ("OCEAN II", "ocean ii"),  # OpenSanctions vessel: II is its number, not a legal form ("sp")
    ("King Fahd II", "king fahd ii"),
    ("Trans II Ltd", "trans ii llc"),
    ("Ocean Sp", "ocean sp"),  # a short legal form that is no numeral still is one
])
def test_a_roman_numeral_is_never_a_legal_form(text: str, full: str) -> None:
    assert name_form(text).full == full
