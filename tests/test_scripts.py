"""Native-script names against Latin listed names (issue 10): romanisation per script, comparison
keys, and names in Arabic, Cyrillic, Hangul, kana, Hebrew and Thai finding the real listings they
name, through `Service.screen` and once through `screen check`.

The watchlist holds only the Latin names of real listings, as transcribed from ../shared/data/lists:
UN Security Council entries by reference number (the Arabic queries are the UN list's own
NAME_ORIGINAL_SCRIPT of those entries), OpenSanctions Ukraine war-sanctions records by id (the
Cyrillic queries are the records' own Russian and Ukrainian aliases) and the Zala export (its
Japanese aliases), OFAC SDN rows by ent_num. Lists carry no Hangul, Hebrew or Thai names today:
those queries are the names written in that script, for listings of people of that language.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from cli.main import app
from screening.config import DEFAULT_SEEDS, Settings
from screening.model import Entity
from screening.normalise import name_form
from screening.scoring import compare, script_similarity
from screening.scripts import join_key as scripts_join_key
from screening.scripts import key, prepare, script_of
from screening.seeds import load_seeds
from screening.service import Query, Service
from screening.watchlist import SourceInfo, Watchlist, compile_watchlist

THRESHOLD = 0.8


def _entity(eid: str, name: str, *aliases: str, type: str = "person") -> Entity:
    from screening.model import Alias

    return Entity(entity_id=eid, source=eid.split(":")[0], name=name, type=type,
                  aliases=[Alias(name=a) for a in aliases])


LISTED = [
    # UN Security Council (un-sc/UN_consolidated.xml), Latin names only
    _entity("un-sc:KPi.013", "CHOE CHUN-SIK", "Choe Chun Sik"),
    _entity("un-sc:KPi.050", "PAK TO CHUN", "Pak Do Chun"),
    _entity("un-sc:KPi.053", "RI YONG MU", "Ri Yong-Mu"),
    _entity("un-sc:KPi.024", "KIM YONG CHOL", "Kim Yong-Chol", "Kim Young-Chol"),
    _entity("un-sc:KPi.054", "CHOE CHUN YONG"),
    _entity("un-sc:QDi.120", "ABDUL HAKIM MURAD", "Murad, Abdul Hakim Hasim"),
    _entity("un-sc:TAi.168", "QARI SAIFULLAH TOKHI", "Qari Saifullah", "Saifullah Tokhi"),
    _entity("un-sc:YEi.002", "ABDULLAH YAHYA AL HAKIM", "Abu Ali al Hakim"),
    _entity("un-sc:TAi.094", "ABDUL BARI AKHUND", "Haji Mullah Sahib"),
    # OpenSanctions Ukraine war sanctions (targets.simple.csv), Latin caption only
    _entity("opensanctions:ua-ws-person-36169", "ZAITSEV Alexey Nikolaevich"),
    _entity("opensanctions:ua-ws-person-36195", "JOS Victor Sergeyevich"),
    _entity("opensanctions:Q20743291", "MALTSEV Alexander Evgenievich"),
    # OpenSanctions Zala export (zala.entities.ftm.json)
    _entity("opensanctions:NK-iE6m5ryPeTAMZozfECVSL7", "AEROSCAN", "Limited Liability Company Aeroscan",
            type="company"),
    # OFAC SDN (sdn.csv by ent_num)
    _entity("ofac-sdn:23252", "GERTLER, Dan"),
    _entity("ofac-sdn:16269", "RYBALSKIY, Yakov"),
    _entity("ofac-sdn:23651", "RUNGTAWANKHIRI, Nat"),
    # UN entries whose Arabic names need the long a, a head y written as a vowel, French spellings, the
    # article written into a word (only the primary Latin name kept: its aliases would spell it out)
    _entity("un-sc:IQi.016", "TAHIR JALIL HABBUSH AL-TIKRITI"),
    _entity("un-sc:QDi.006", "AIMAN MUHAMMED RABI AL-ZAWAHIRI"),
    _entity("un-sc:QDi.155", "DJAMEL LOUNICI"),
    _entity("un-sc:QDi.320", "ABD-AL-HAMID AL-MASLI"),
    _entity("un-sc:TAi.171", "MUHAMMAD OMAR ZADRAN"),  # Pashto's ځ
    # OpenSanctions records whose Cyrillic aliases run surname and name together, give a Ukrainian
    # patronymic
    _entity("opensanctions:NK-6yWE5ub8uSnBZe9HuPq2Cb", "SAMOILENKO Konstantin"),
    _entity("opensanctions:NK-cqFnxQunBb9FrvcS4FDwCZ", "OVCHINNIKOV Viktor Yakovlevich"),
    # listed names a native-script name of someone else came near (dev negatives, clean persons)
    _entity("ofac-sdn:29405", "Samer ISMAIL"),
    _entity("test:ocean-crown", "OCEAN CROWN", type="vessel"),
    # others of the same names, so that the right one must rank first
    _entity("test:kim-yong-nam", "KIM YONG NAM"),
    _entity("test:abdul-hakim", "ABDUL HAKIM"),
    _entity("test:zaitsev-sergey", "ZAITSEV Sergey Nikolaevich"),
]


@pytest.fixture(scope="module")
def wl_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path: Path = tmp_path_factory.mktemp("scripts-wl") / "scripts.wl"
    entities = [*load_seeds(DEFAULT_SEEDS), *LISTED]
    compile_watchlist(entities, path, watchlist_id="scripts",
                      sources=[SourceInfo(source="test", format="entities", entities=len(entities))])
    return path


@pytest.fixture(scope="module")
def service(wl_path: Path) -> Service:
    return Service(Settings(watchlist=wl_path, reload_interval=0), Watchlist(wl_path))


NATIVE = [
    # Arabic: the UN list's original-script names of these entries
    ("عبد الحكيم مراد", "un-sc:QDi.120"),
    ("قاري سیف الله توخى", "un-sc:TAi.168"),
    ("عبد الله يحيى الحاكم", "un-sc:YEi.002"),
    ("عبد الباری ﺁخوند", "un-sc:TAi.094"),
    # Cyrillic: the records' own aliases, Russian and Ukrainian (Олексій / Alexey, Миколайович / Nikolaevich)
    ("ЗАЙЦЕВ Алексей Николаевич", "opensanctions:ua-ws-person-36169"),
    ("ЗАЙЦЕВ Олексій Миколайович", "opensanctions:ua-ws-person-36169"),
    ("ДЖОС Віктор Сергійович", "opensanctions:ua-ws-person-36195"),
    ("МАЛЬЦЕВ Олександр Євгенович", "opensanctions:Q20743291"),
    # the long a of "طاهر" (Tahir, not "thr"); "أيمن" / Aiman (a head y the Latin writes as a vowel);
    # "جمال لونيسي" / Djamel Lounici (French dj and soft c); "عبدالحميد" / Abd-al-Hamid (one word)
    ("طاهر جليل حبوش التكريتي", "un-sc:IQi.016"),
    ("أيمن محمد ربيع الظواهري", "un-sc:QDi.006"),
    ("جمال لونيسي", "un-sc:QDi.155"),
    ("عبدالحميد المصلي", "un-sc:QDi.320"),
    ("محمد عمر ځدران", "un-sc:TAi.171"),  # Pashto ځ is the z of Zadran ("dz" letter by letter)
    # surname and name run together in capitals; Якович / Yakovlevich
    ("САМОЙЛЕНКОКОНСТАНТИН Юрьевич", "opensanctions:NK-6yWE5ub8uSnBZe9HuPq2Cb"),
    ("ОВЧИННИКОВ Віктор Якович", "opensanctions:NK-cqFnxQunBb9FrvcS4FDwCZ"),
    # Hangul, romanised by syllable
    ("최춘식", "un-sc:KPi.013"),
    ("박도춘", "un-sc:KPi.050"),
    ("리용무", "un-sc:KPi.053"),
    ("김영철", "un-sc:KPi.024"),
    # kana (the Zala export's Japanese alias)
    ("アエロスキャン", "opensanctions:NK-iE6m5ryPeTAMZozfECVSL7"),
    # Hebrew and Thai
    ("דן גרטלר", "ofac-sdn:23252"),
    ("יעקב ריבלסקי", "ofac-sdn:16269"),
    ("ณัฐ รุ่งตะวันคีรี", "ofac-sdn:23651"),
]


@pytest.mark.parametrize(("query", "entity_id"), NATIVE)
def test_native_script_name_finds_its_latin_listing(service: Service, query: str, entity_id: str) -> None:
    result = service.screen([Query(name=query)], threshold=THRESHOLD, limit=5).results[0]
    assert result.hits, f"{query!r} ({name_form(query).full!r}) found nothing"
    top = result.hits[0]
    assert top.entity_id == entity_id, [(h.entity_id, h.score) for h in result.hits]
    assert top.score >= THRESHOLD
    assert top.explanation["query_normalised"] == name_form(query).full


def test_native_script_names_stay_clear_of_other_names(service: Service) -> None:
    # the same scripts, names of nobody listed here
    # ساميار سماوات (a dev negative) is not Samer Ismail: "smwt" / "ismail" are one consonant apart, but not
    # letters romanisations swap; שיינא קרן (a clean person) is not the vessel OCEAN CROWN ("ocean" is no "syyn")
    for query in ("김정은", "محمد يوسف", "ПЕТРЕНКО Ірина Василівна", "משה כהן", "ソニー", "ساميار سماوات", "שיינא קרן"):
        result = service.screen([Query(name=query)], threshold=THRESHOLD, limit=5).results[0]
        assert result.status == "clear", (query, [(h.entity_id, h.score) for h in result.hits])


def test_cli_check_finds_a_latin_listing_from_hangul(wl_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", "김영철", "--json", "--watchlist", str(wl_path)])
    assert result.exit_code == 1, result.output
    body = json.loads(result.stdout)
    assert body["status"] == "potential_match"
    assert body["hits"][0]["entity_id"] == "un-sc:KPi.024"
    assert body["hits"][0]["explanation"]["query_normalised"] == "kim yong chol"


# --- romanisation, per script ----------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("김정은", "kim jong un"),  # Hangul by syllable, in the spellings the lists use
    ("최룡해", "choe ryong hae"),
    ("박봉주", "pak pong ju"),
    ("イジュマシュ", "ijumashu"),  # kana digraphs as one syllable (letter by letter: "ijiyumashiyu")
    ("ザラ・アエロ・グループ", "zara aero gurupu"),  # the middle dot separates names
    ("יוסף", "ywsp"),  # Hebrew: vav and yod as the letters they are
    ("الجماعة الاسلامية", "al jmaa al slamya"),  # article a word; ayn dropped, not a word break; ta marbuta "a"
    ("طاهر", "tahr"),  # an alif inside a word is the long a (dropped, "thr" would read as thaa + r)
    ("عبد الرحمن", "abdul rhmn"),  # an Abd- name in the one form normalise.fold_abd writes the Latin ones in
    ("СУДАРЕВ ВалерийНиколаевич", "sudarev valeriy nikolaevich"),  # words run together split at the capital
])
def test_romanisation(raw: str, expected: str) -> None:
    assert name_form(raw, person=True).full == expected


@pytest.mark.parametrize(("text", "script"), [
    ("ЗАЙЦЕВ Олексій", "Cyrl"), ("عبد الله", "Arab"), ("דן גרטלר", "Hebr"), ("김정은", "Hang"),
    ("アエロスキャン", "Kana"), ("株式会社カラシニコフ", "Kana"), ("沈忠國際海運", "Hani"), ("ณัฐ", "Thai"),
    ("Όμιλος", "Grek"), ("Mariner ІІІ", ""), ("Acme", ""), ("", ""), ("123", ""),
])
def test_script_of(text: str, script: str) -> None:
    assert script_of(text) == script
    assert name_form(text).script == script


@pytest.mark.parametrize(("a", "b", "script"), [
    ("oleksandr", "aleksandr", "Cyrl"), ("olena", "elena", "Cyrl"), ("hlib", "glib", "Cyrl"),
    ("dzheffri", "jeffrey", "Cyrl"), ("anatoliyovich", "anatolievich", "Cyrl"),
    ("mhmd", "mohammed", "Arab"), ("tkryty", "tikriti", "Arab"), ("mzyda", "mazidih", "Arab"),
    ("ywsp", "yosef", "Hebr"), ("yqb", "yakov", "Hebr"),
    ("gurupu", "group", "Kana"), ("zara", "zala", "Kana"),
    ("jong", "jeong", "Hang"), ("kil", "gil", "Hang"), ("ri", "lee", "Hang"),
    ("chnwtr", "shinawatra", "Thai"),
    ("jml", "djamel", "Arab"), ("lwnysy", "lounici", "Arab"), ("blqsm", "belgacem", "Arab"),  # French spellings
    ("tszunmin", "zongmin", "Cyrl"), ("smit", "smith", "Cyrl"),  # Palladius tsz and ng; English th
])
def test_keys_fold_what_romanisations_spell_differently(a: str, b: str, script: str) -> None:
    assert key(a, script) == key(b, script)
    assert script_similarity(a, b, script) >= 0.75


@pytest.mark.parametrize(("a", "b", "script"), [
    ("mikola", "nikolai", "Cyrl"), ("ivanov", "petrov", "Cyrl"), ("mhmd", "ahmad", "Arab"),
    ("kim", "pak", "Hang"), ("zara", "sara", "Kana"),
    ("smwt", "ismail", "Arab"),  # one consonant apart, t / l: other names
    ("syyn", "ocean", "Hebr"),  # the French soft c is for Arabic names only
    ("petrovich", "pavlovich", "Cyrl"), ("yakovich", "yakovlevna", "Cyrl"),  # other fathers; a son and a daughter
])
def test_keys_keep_other_names_apart(a: str, b: str, script: str) -> None:
    assert script_similarity(a, b, script) == 0.0


@pytest.mark.parametrize(("a", "b"), [("ymn", "aiman"), ("ywb", "ayyub"), ("wld", "ould"), ("yd", "iyad")])
def test_a_head_y_or_w_written_as_a_vowel_still_pairs(a: str, b: str) -> None:
    # the abjad writes the y of Ayman, the w of Ould; Latin spellings write them as vowels after another
    assert key(a, "Arab") != key(b, "Arab")
    assert script_similarity(a, b, "Arab") >= 0.6


@pytest.mark.parametrize(("a", "b"), [("kdhm", "kathim"), ("fdl", "fazal")])
def test_short_skeletons_one_swapped_letter_apart_pair(a: str, b: str) -> None:
    # dad, za and dhal are written d, z, dh or th; a three-consonant skeleton may differ in them only
    assert script_similarity(a, b, "Arab") == 0.75


def test_ukrainian_and_russian_patronymics_of_one_father_pair() -> None:
    assert script_similarity("yakovich", "yakovlevich", "Cyrl") == 0.85  # Якович / Яковлевич


def test_the_arabic_article_left_out_costs_nothing() -> None:
    # "سميرة الشهبندر" (UN list) / "Samira SHAHBANDAR": the Latin spelling leaves the article out
    s = compare(name_form("سميرة الشهبندر", person=True), name_form("Samira SHAHBANDAR", person=True),
                lambda t: 1.0, kind="person")
    assert "al" not in s.query_extra
    assert s.score >= 0.9


def test_arabic_joins_are_realigned(service: Service) -> None:
    # "سیف الله" is one word in the Latin spelling ("Saifullah"), the article assimilated
    hit = service.screen([Query(name="قاري سیف الله توخى")], threshold=THRESHOLD, limit=1).results[0].hits[0]
    matched = {m["name"] for m in hit.explanation["matched_tokens"]}
    assert "saifullah" in matched


@given(st.text())
@example("\u3040")  # unassigned in the kana block: ICU leaves it, and each pass once added spaces around it
@example("\u05ff")  # the same in the Hebrew block
@example("\u30a2\u3040\u30a2")
def test_prepare_never_raises_and_is_stable(text: str) -> None:
    once = prepare(text)
    assert isinstance(once, str)
    assert prepare(once) == once


# Letters of the scripts read by their own rules (Hebrew with its geresh, Thai, Hangul, Greek with its accents),
# with Latin letters, spaces, hyphens and apostrophes between them
_MIXED = st.text(st.sampled_from(list("אבגדהוזחטיכלמנסעפצקרשתץ׳'") + list("กขคงจฉชซดตทนบปผพฟมยรลวสหอะาิีึืุูเแโใไ่้็์ํ")
                                 + list("블라디미르푸틴김정은세겐팀첸코스") + list("αβγδεζηθικλμνξοπρσςτυφχψωάέήίόύώϊΐΑΒΓΟΥ")
                                 + list("ab -'.")), max_size=24)


@given(_MIXED)
@example("אל")  # the Arabic article with nothing after it is no article
@example("Όϊ")
def test_scripts_read_by_their_own_rules_never_raise(text: str) -> None:
    once = prepare(text)
    assert prepare(once) == once
    form = name_form(text)
    assert form.full.isascii() and name_form(text, person=True).full.isascii()


@given(st.text(max_size=30), st.sampled_from(["", "Arab", "Hebr", "Cyrl", "Kana", "Thai", "Hang", "Hani", "Grek"]))
def test_keys_never_raise(token: str, script: str) -> None:
    assert isinstance(scripts_join_key(token, script), str)
    assert isinstance(key(token, script), str)
    assert 0.0 <= script_similarity(token, token + "a", script) <= 1.0


# Three listed people (OpenSanctions Ukraine war-sanctions records) whose Ukrainian Cyrillic alias and Latin
# name write one given name two ways: Микола / Nikolai, a form no transliteration gives
TEACHERS = [
    _entity("opensanctions:NK-3TNk3j8UvMmALEYKMX4zQw", "TUPIKIN Nikolai Aleksandrovich", "ТУПІКІН Микола Олександрович"),
    _entity("opensanctions:NK-Jym6h9Vab3evwuxzC5difp", "VARENYKH Nikolai Mikhailovich", "ВАРЄНИХ Микола Михайлович"),
    _entity("opensanctions:NK-KaDjDbnwmZ3UA4x447SHgQ", "YELAGIN Nikolai Alexandrovich", "ЄЛАГІН Микола Олександрович"),
]
# ...and one listed by its Latin name only; its alias "КРАВЧЕНКО Микола Петрович" is the query
KRAVCHENKO = _entity("opensanctions:NK-UkLCj7iBdUFMuhkMRHJZQs", "KRAVCHENKO Nikolai")


def _service_of(entities: list[Entity], path: Path) -> Service:
    compile_watchlist(entities, path, watchlist_id="variants",
                      sources=[SourceInfo(source="test", format="entities", entities=len(entities))])
    return Service(Settings(watchlist=path, reload_interval=0), Watchlist(path))


def test_name_parts_the_lists_write_two_ways_are_learned(tmp_path: Path) -> None:
    from screening.matcher import Matcher, learn_variants

    wl = _service_of([*TEACHERS, KRAVCHENKO], tmp_path / "three.wl").watchlist
    assert (key("mikola", "Cyrl"), key("nikolai", "Cyrl")) in learn_variants(wl, "Cyrl")
    # the matcher learns every script from one pass over the names (people_by_script): the same pairs
    m = Matcher(wl)
    assert m.variants("Cyrl") == learn_variants(wl, "Cyrl") and m.variants("Arab") == frozenset()
    # two entities are not enough (scripts.VARIANT_SUPPORT), and a Latin name alone teaches nothing
    wl2 = _service_of([*TEACHERS[:2], KRAVCHENKO], tmp_path / "two.wl").watchlist
    assert not learn_variants(wl2, "Cyrl")


def test_a_learned_variant_finds_a_person_listed_by_the_other_form(tmp_path: Path) -> None:
    query = [Query(name="КРАВЧЕНКО Микола Петрович")]
    taught = _service_of([*TEACHERS, KRAVCHENKO], tmp_path / "three.wl").screen(query, threshold=THRESHOLD)
    assert [h.entity_id for h in taught.results[0].hits][:1] == [KRAVCHENKO.entity_id]
    matched = {(m["query"], m["name"]) for m in taught.results[0].hits[0].explanation["matched_tokens"]}
    assert ("mikola", "nikolai") in matched
    untaught = _service_of([*TEACHERS[:2], KRAVCHENKO], tmp_path / "two.wl").screen(query, threshold=THRESHOLD)
    assert untaught.results[0].status == "clear"


def _person(q: str, c: str) -> float:
    return compare(name_form(q, person=True), name_form(c, person=True), lambda t: 1.0, kind="person").score


def test_a_final_long_i_written_in_arabic_script_is_part_of_the_name() -> None:
    # dev negatives "علي ضرغامی" (Ali Zarghami) and persons_us "يوسف صیادی" (Yusef Sayyadi): the last letter ی is a
    # long i the Latin spelling would write, so Durgham and Sa'id are other names (UK list: Mohammad Ali DURGHAM;
    # OFAC SDN: Sa'id Yusif Ali Abu AZIZAH)
    assert _person("علي ضرغامی", "Mohammad Ali DURGHAM") < 0.5
    assert _person("يوسف صیادی", "Sa'id Yusif Ali Abu AZIZAH") < 0.5
    # a final ى is the long a of Arabic and the long i of Dari: UN QDi/TAi entries keep pairing both ways
    assert _person("حقانى", "HAQQANI") >= 0.9
    assert _person("سعيد باهاجى", "SAID BAHAJI") >= 0.9


def test_a_join_is_tried_where_the_first_word_ends_apart() -> None:
    # UN list: "عبدالولی صدیقی" / ABDUL WALI SEDDIQI; "abdul" alone has the skeleton of "abdulwly" but not its
    # final long i, which is wali's
    s = compare(name_form("عبدالولی صدیقی", person=True), name_form("ABDUL WALI SEDDIQI", person=True),
                lambda t: 1.0, kind="person")
    assert ("abdulwly", "abdulwali") in [(a, b) for a, b, _ in s.pairs]
    assert s.score >= 0.95


@pytest.mark.parametrize(("arabic", "latin"), [
    ("مطيع الله", "MATIULLAH"),  # UN list, its original-script name and its Latin one
    ("هدايت الله", "HIDAYATULLAH"),
    ("نذیر الله حنفى", "NAZIRULLAH HANAFI"),
])
def test_a_name_onto_allah_is_one_word(arabic: str, latin: str) -> None:
    # الله is the word allah (not the article and "lh"), and Latin spellings write it onto the name before it,
    # even where that is the whole name
    s = compare(name_form(arabic, person=True), name_form(latin, person=True), lambda t: 1.0, kind="person")
    assert s.score >= 0.9, s


def test_han_syllables_pair_only_with_the_same_syllable() -> None:
    # persons_us "承翰 蘇" (Su Chenghan) against the UK list's Jang Su HAN (alias Chang Su Han): cheng is not chang
    s = compare(name_form("承翰 蘇", person=True), name_form("Chang Su HAN", person=True), lambda t: 1.0, kind="person")
    assert "cheng" in s.query_extra
    assert s.score < THRESHOLD


def test_a_syllable_a_han_name_lacks_is_another_given_name() -> None:
    # dev negative "文 王" against OFAC SDN's Ssu LAO, aka "WANG, Wen Chou": Chinese names have no middle names, so
    # the unmatched "chou" costs what a company's left-out word costs, not what a Latin middle name does
    han = _person("文 王", "WANG, Wen Chou")
    assert han < _person("Wen Wang", "WANG, Wen Chou") - 0.05


def test_han_legal_forms_glued_to_the_name_are_read_as_legal_forms() -> None:
    # Zala export aliases of LLC CST and of JSC Kalashnikov Concern (Izhmash): Japanese writes no spaces
    cst = name_form("CST有限会社")
    assert cst.tokens == ("cst",) and cst.legal == ("llc",)
    izh = name_form("株式会社学術生産団体イジュマシュ")
    assert "jsc" in izh.legal and "zhu" not in izh.tokens
    assert name_form("長安海連技術有限公司").legal == ("llc",)  # OFAC SDN's Chang An Shipping, in Chinese


# UN entries whose Arabic-script names (the list's own NAME_ORIGINAL_SCRIPT) were missed: an ayn read as the article,
# a consonant and h read as a digraph, dad (ض) as z, a Latin article glued on,
# the article inside a compound, a join across a final h. Latin primary names only, as the harness's Latin-only list.
READINGS_LISTED = [
    _entity("un-sc:TAi.148", "ABDUL HABIB ALIZAI"),
    _entity("un-sc:QDi.222", "NESSIM BEN ROMDHANE SAHRAOUI"),
    _entity("un-sc:TAi.156", "AHMAD ZIA AGHA"),
    _entity("un-sc:QDi.064", "SAMI BEN KHAMIS BEN SALEH ELSSEID"),
    _entity("un-sc:YEi.001", "ABD AL-KHALIQ AL-HOUTHI"),
    _entity("un-sc:TAi.137", "RAHMATULLAH KAKAZADA"),
    _entity("un-sc:TAi.087", "SADUDDIN SAYYED"),
    _entity("un-sc:TAi.110", "NOOR MOHAMMAD SAQIB"),
    _entity("un-sc:TAi.082", "ABDUL-HAQ WASSIQ"),
    _entity("un-sc:QDi.431", "SANAULLAH GHAFARI"),
    _entity("un-sc:TAi.072", "SAYYED GHIASSOUDDINE AGHA"),
    _entity("un-sc:QDi.411", "SALIM MUSTAFA MUHAMMAD AL-MANSUR"),
    _entity("ofac-sdn:18601", "Mustapha CHAD", "Mustapha TCHAD"),
    _entity("ofac-sdn:19532", "Jong Hyok SON", "Min SON"),  # a Korean alias of two short words: not "ثنا معین"
    _entity("ofac-sdn:18602", "Mohammed NURA"),  # what "نور محمد ثاقب" found before, at 0.58
    # others of the same given names, so the right one must rank first
    _entity("test:abdul-habib", "ABDUL HABIB"),
    _entity("test:nasim-sahrawi", "Nasim AL-SAHRAWI"),
    _entity("test:abd-al-khaliq", "ABD AL-KHALIQ"),
    _entity("uk:13389", "Kheir Eddin AL-SAYYED"),
]
READINGS = [
    ("نسيم بن رمضان صحراوي", "un-sc:QDi.222"),  # ص + ح, not ش: "shrawy" read "sahrawy"
    ("احمد ضیا آغا", "un-sc:TAi.156"),  # ض as z: Zia
    ("سامي بن خميس بن صالح الصيد", "un-sc:QDi.064"),  # "al syd" / ELSSEID
    ("عبدالخالق الحوثي", "un-sc:YEi.001"),  # one word: found through the keys of its parts
    ("رحمت الله کاکا زاده", "un-sc:TAi.137"),  # "kaka zadh" / Kakazada: the final h is no digraph
    ("سعد الدين سيد", "un-sc:TAi.087"),  # سعد (sd) is no legal form "S.D.": the name keeps its first word
    ("نور محمد ثاقب", "un-sc:TAi.110"),  # ث as s, as Persian, Urdu and Pashto say it: Saqib
    ("عبد الحق وثيق", "un-sc:TAi.082"),  # Wassiq
    ("ثناء اللہ غفاری", "un-sc:QDi.431"),  # Sanaullah: ث as s, and the three words joined
    ("سيد غیاث الدین آغا", "un-sc:TAi.072"),  # Ghiassouddine: ث as s in a compound of three words
    ("سالم مصطفى محمد ال منصور", "un-sc:QDi.411"),  # the article written apart: "al mnswr", not "l mnswr"
]


@pytest.fixture(scope="module")
def readings_service(tmp_path_factory: pytest.TempPathFactory) -> Service:
    return _service_of(READINGS_LISTED, tmp_path_factory.mktemp("readings") / "readings.wl")


@pytest.mark.parametrize(("query", "entity_id"), READINGS)
def test_arabic_script_names_are_read_as_their_latin_spellings_write_them(readings_service: Service, query: str,
                                                                          entity_id: str) -> None:
    result = readings_service.screen([Query(name=query)], threshold=THRESHOLD, limit=5).results[0]
    assert result.hits, f"{query!r} ({name_form(query).full!r}) found nothing"
    assert (result.hits[0].entity_id, result.hits[0].score >= THRESHOLD) == (entity_id, True), \
        [(h.entity_id, h.score) for h in result.hits]


def test_the_family_word_al_is_no_article(readings_service: Service) -> None:
    # آل ("family of": Al Saud) is a word of the name, not the article ال left out of the comparison: read as the
    # article, "mstfa al swd" was Mustapha CHAD (0.875, a first version)
    assert name_form("ال منصور").tokens == ("al", "mnswr")
    result = readings_service.screen([Query(name="مصطفى آل سعود")], threshold=THRESHOLD).results[0]
    assert result.status == "clear", [(h.name, h.score) for h in result.hits]


def test_a_two_consonant_word_is_not_read_another_way(readings_service: Service) -> None:
    # ث as s counts where the word's key has three consonants or more: "thna" (ثنا) read "sna" would pair with "son"
    result = readings_service.screen([Query(name="ثنا معین")], threshold=THRESHOLD).results[0]
    assert result.status == "clear", [(h.name, h.score) for h in result.hits]


def test_other_readings_are_a_native_querys_only() -> None:
    from screening.scoring import abjad_similarity
    from screening.scripts import readings

    assert name_form("عالیزی").tokens == ("lyzy",) and name_form("الأنصار").tokens == ("al", "nsar")
    assert "sahrawy" in readings("shrawy") and "dahr" in readings("dhahr") and "sseid" in readings("elsseid")
    # an Arabic-script word of the query is read the other ways; a Latin query is not misread so
    assert abjad_similarity("shrawy", "sahraoui", "Arab", True) == 0.9
    assert abjad_similarity("shrawy", "sahraoui", "Arab") == 0.0
    assert script_similarity("rmdhan", "ramadan", "Arab", True) == 0.9 and script_similarity("rmdhan", "ramadan", "Arab") < 0.9
    # the readings keep other names apart: Zarghami is not Durgham (a final long i), Sahrawi is not Shahrani
    assert _person("علي ضرغامی", "Mohammad Ali DURGHAM") < 0.5
    assert abjad_similarity("shrawy", "shahrani", "Arab", True) == 0.0
