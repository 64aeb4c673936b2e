"""Names of listed people from other languages written in Hebrew, Thai, Hangul and Greek (issue 10).

The lists carry these people in Latin letters only (and Cyrillic, for some); a counterparty file from
Israel, Thailand or Greece writes them as its own press does. The queries are the names as the people's
Wikipedia articles in those languages title them; the listed names are transcribed from
../shared/data/lists (OpenSanctions by id, OFAC SDN by ent_num), Latin names only.

What each needs: Hebrew's geresh letters (ג׳ j, ז׳ zh, צ׳ ch) and a vav starting a word read as v;
Thai romanised with its vowels where they are said (เด "de", not "ed") and its aspirated letters as the
plain ones of foreign names (คิม, Kim); Greek's digraphs (ου u, μπ b, ντ d, γκ g) and a key folding the
consonants Greek writes foreign names with (Καντίροφ / Kadyrov); Hangul's foreign names read as words, the
vowel ㅡ that carries a lone consonant dropped ("블라디미르" bladimir), and compared on their consonants.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.config import DEFAULT_SEEDS
from screening.model import Alias, Entity
from screening.normalise import name_form, to_ascii
from screening.scoring import script_similarity
from screening.scripts import key
from screening.seeds import load_seeds
from screening.service import Query, Service
from tests.conftest import service_of

THRESHOLD = 0.8


def _person(eid: str, name: str, *aliases: str) -> Entity:
    return Entity(entity_id=eid, source=eid.split(":")[0], name=name, type="person",
                  aliases=[Alias(name=a) for a in aliases])


LISTED = [
    _person("opensanctions:Q7747", "PUTIN vladimir vladimirovich"),
    _person("ofac-sdn:9760", "Alyaksandr Hryhoryavich LUKASHENKA", "Aliaksandr Grigorievich LUKASHENKA",
            "Aliaksandr Hryhoryavich LUKASHENKO", "Aleksandr Grigorievich LUKASHENKO"),
    _person("ofac-sdn:21171", "Yevgeniy Viktorovich PRIGOZHIN", "Evgeny PRIGOZHIN"),
    _person("ofac-sdn:24283", "Oleg Vladimirovich DERIPASKA"),
    _person("ofac-sdn:23343", "Ramzan Akhmatovich KADYROV", "Ramzan KADYROV", "Ramzan Achmatowisch KADYROW"),
    _person("ofac-sdn:2686", "Hasan NASRALLAH", "Hasan Abd-al-Karim NASRALLAH"),
    _person("ofac-sdn:20157", "Jong Un KIM"),
    _person("opensanctions:Q23530", "MEDVEDEV Dmitry Anatolyevich"),
    # the OpenSanctions vessel OCEAN II, alias Cape Bowen (NK-GUkkAuqzsncQbg7hBJGabW)
    Entity(entity_id="opensanctions:NK-GUkkAuqzsncQbg7hBJGabW", source="opensanctions", name="OCEAN II", type="vessel",
           aliases=[Alias(name="Cape Bowen")]),
    # others of the same names, so that the right one must rank first
    _person("test:kim-yong-un", "KIM YONG UN"),
    _person("test:oleg-deripaskin", "Oleg Ivanovich DERIPASKIN"),
]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Service:
    return service_of([*load_seeds(DEFAULT_SEEDS), *LISTED], tmp_path_factory.mktemp("foreign"), "foreign")


FOREIGN = [
    # Hebrew
    ("ולדימיר פוטין", "opensanctions:Q7747"),  # a vav starting a word is v
    ("יבגני פריגוז'ין", "ofac-sdn:21171"),  # ז' is zh (letter by letter "prygwz yn", two words)
    ("אולג דריפסקה", "ofac-sdn:24283"),  # after an alef the vav is the vowel o
    ("רמזאן קדירוב", "ofac-sdn:23343"),
    ("חסן נסראללה", "ofac-sdn:2686"),
    ("אלכסנדר לוקשנקו", "ofac-sdn:9760"),
    ("דמיטרי מדבדב", "opensanctions:Q23530"),
    # Thai
    ("วลาดีมีร์ ปูติน", "opensanctions:Q7747"),  # ว is the v of Vladimir
    ("คิม จ็อง-อึน", "ofac-sdn:20157"),  # คิม Kim (kh), จ็อง Jong (ch / j), อึน Un (the carrier อ no letter)
    ("รามซาน กาดีรอฟ", "ofac-sdn:23343"),
    ("โอเลก เดริปาสกา", "ofac-sdn:24283"),  # the vowels written first are said after: "olek deripaska"
    ("ฮัสซัน นัสรัลลอฮ์", "ofac-sdn:2686"),
    ("อเล็กซานเดอร์ ลูกาเชนโก", "ofac-sdn:9760"),
    # Hangul: a foreign name written by its sounds, read as one word (the vowel ㅡ carrying a consonant dropped)
    ("블라디미르 푸틴", "opensanctions:Q7747"),  # b(ㅡ)l-la-di-mi-r(ㅡ): bladimir
    ("람잔 카디로프", "ofac-sdn:23343"),  # ka-di-ro-p(ㅡ): kadirop
    ("하산 나스랄라", "ofac-sdn:2686"),
    ("알렉산드르 루카셴코", "ofac-sdn:9760"),  # four syllables, more than a word of a Korean name
    ("올레크 데리파스카", "ofac-sdn:24283"),
    ("예브게니 프리고진", "ofac-sdn:21171"),
    ("드미트리 아나톨리예비치 메드베데프", "opensanctions:Q23530"),
    ("김정은", "ofac-sdn:20157"),  # a Korean name still by syllable
    # Japanese (katakana)
    ("ラムザン・カディロフ", "ofac-sdn:23343"),
    ("エフゲニー・プリゴジン", "ofac-sdn:21171"),
    ("オレグ・デリパスカ", "ofac-sdn:24283"),
    ("ハサン・ナスルッラーフ", "ofac-sdn:2686"),
    # Greek
    ("Βλαντιμίρ Πούτιν", "opensanctions:Q7747"),  # ου u (letter by letter "poytin"), ντ nd
    ("Ραμζάν Καντίροφ", "ofac-sdn:23343"),  # ντ the d, φ the v of Kadyrov
    ("Ντμίτρι Μεντβέντεφ", "opensanctions:Q23530"),
    ("Γεβγκένι Πριγκόζιν", "ofac-sdn:21171"),  # γ before e is y, γκ g, ζ zh
    ("Όλεγκ Ντεριπάσκα", "ofac-sdn:24283"),
    ("Αλεξάντρ Λουκασένκο", "ofac-sdn:9760"),  # σ the sh of Lukashenko
    # (not "Κιμ Γιονγκ Ουν": Greek writes Jong and Yong alike, and KIM YONG UN ranks first, rightly)
    ("Χασάν Νασράλα", "ofac-sdn:2686"),
]


@pytest.mark.parametrize(("query", "entity_id"), FOREIGN)
def test_foreign_name_in_another_script_finds_its_listing(service: Service, query: str, entity_id: str) -> None:
    result = service.screen([Query(name=query)], threshold=THRESHOLD, limit=5).results[0]
    assert result.hits, f"{query!r} ({name_form(query).full!r}) found nothing"
    assert result.hits[0].entity_id == entity_id, [(h.entity_id, h.score) for h in result.hits]


# common names of people nobody lists, in the same scripts (the harness reads them too)
COMMON_NAMES = [
    "משה כהן", "דוד לוי", "יוסי מזרחי", "ויקטור אברהם",
    "สมชาย ใจดี", "สมศักดิ์ ศรีสุข", "วิชัย ทองดี",
    "Γιώργος Παπαδόπουλος", "Μαρία Παπαδοπούλου", "Νίκος Ντεμίρης", "Κώστας Μπακογιάννης",
    "스티븐 스미스", "마리아 가르시아", "김민준", "이서연", "남궁민수",
]


@pytest.mark.parametrize("query", COMMON_NAMES)
def test_common_names_in_those_scripts_stay_clear(service: Service, query: str) -> None:
    result = service.screen([Query(name=query)], threshold=THRESHOLD, limit=5).results[0]
    assert result.status == "clear", (query, name_form(query).full, [(h.entity_id, h.score) for h in result.hits])


@pytest.mark.parametrize(("raw", "expected"), [
    ("Πούτιν", "putin"), ("Μπλερ", "bler"), ("Ντεριπάσκα", "deripaska"), ("Σεργκέι", "sergei"),
    ("Καίσαρας", "kesaras"),  # αι one vowel, accent on its second letter
    ("Ευνοϊκός", "evnoikos"),  # a diaeresis parts οι
    ("Γιονγκ", "yong"),  # γι before a vowel is y
    ("ΑΛΕΞΑΝΤΡ", "alexandr"),
])
def test_greek_romanisation(raw: str, expected: str) -> None:
    assert to_ascii(raw) == expected
    assert name_form(raw, person=True).full == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("ג'ונג", "jwng"), ("ג׳ונג", "jwng"), ("פריגוז׳ין", "prygwzhyn"), ("אברמוביץ'", "brmwbych"),
    ("ולדימיר", "vldymyr"), ("ווליד", "wlyd"), ("אולג", "wlg"),
    ("בשאר אל-אסד", "bsr al sd"),  # the Arabic article as Hebrew writes it, not "l"
    ("עלי ח'אמנאי", "ly khmny"),  # ח' the kh of Arabic names
    ("โอเลก", "olek"), ("จ็อง", "jong"), ("อึน", "un"),
])
def test_hebrew_and_thai_romanisation(raw: str, expected: str) -> None:
    assert name_form(raw, person=True).full == expected


@pytest.mark.parametrize(("a", "b", "script"), [
    ("kandirof", "kadyrov", "Grek"), ("lukasenko", "lukashenko", "Grek"), ("prigozin", "prigozhin", "Grek"),
    ("mendvendef", "medvedev", "Grek"), ("chasan", "hasan", "Grek"), ("ambramovits", "abramovich", "Grek"),
    ("vldymyr", "vladimir", "Hebr"), ("vladimir", "wladimir", "Thai"), ("khim", "kim", "Thai"),
    ("jong", "chong", "Thai"), ("jinwatr", "shinawatra", "Thai"),
    ("bladimir", "vladimir", "Hang"), ("kadirop", "kadyrov", "Hang"), ("prigojin", "prigozhin", "Hang"),
    ("rabrop", "lavrov", "Hang"), ("phuthin", "putin", "Hang"), ("hasan", "hassan", "Hang"),
    ("urajimiru", "vladimir", "Kana"), ("jon", "jong", "Kana"),  # ウ for the v of "vl", ジ di, ン ng
])
def test_keys_fold_how_those_scripts_write_foreign_names(a: str, b: str, script: str) -> None:
    assert key(a, script) == key(b, script)
    if len(key(a, script)) >= 4:  # a short key says less (abjad_similarity)
        assert script_similarity(a, b, script) >= 0.85


@pytest.mark.parametrize(("raw", "expected"), [
    ("블라디미르", "bladimir"), ("프리고진", "prigojin"), ("알렉산드르", "aleksandr"), ("루카셴코", "rukashenko"),
    ("김정은", "kim jong un"), ("남궁민수", "nam kung min su"),  # Korean names by syllable, a compound surname too
    ("겐나디", "gennadi"), ("팀첸코", "timchenko"),  # three syllables that start with no Korean surname
    ("최룡해", "choe ryong hae"), ("리용무", "ri yong mu"),  # ...and three that do
])
def test_hangul_reads_foreign_names_as_words(raw: str, expected: str) -> None:
    assert name_form(raw, person=True).full == expected


def test_a_person_written_in_han_or_hangul_is_no_vessel(service: Service) -> None:
    # "博 文" (a clean person of persons_us) romanises "bo wen", whose syllables spell the vessel's "Bowen": 0.90
    # before. The lists write vessels in Latin letters; a name of a few Han or Hangul syllables is a person's.
    for query in ("博 文", "보 웬"):
        result = service.screen([Query(name=query)], threshold=THRESHOLD, limit=5).results[0]
        assert result.status == "clear", (query, [(h.entity_id, h.score) for h in result.hits])
    hit = service.screen([Query(name="Cape Bowen")], threshold=THRESHOLD, limit=5).results[0].hits[0]
    assert hit.entity_id == "opensanctions:NK-GUkkAuqzsncQbg7hBJGabW"


def test_a_greek_legal_form_is_read_in_greek() -> None:
    # the OpenSanctions export's Greek alias of RAB "Inter Tobacco": its legal form is found before romanisation
    form = name_form("Εταιρία περιορισμένης ευθύνης “Inter Tobacco”")
    assert form.full == "inter tobacco llc" and form.legal == ("llc",)


@pytest.mark.parametrize(("raw", "expected"), [("박정사", "pak jong sa"), ("이 세", "i se"), ("최 사", "choe sa")])
def test_a_syllable_romanised_from_hangul_is_no_legal_form(raw: str, expected: str) -> None:
    # "sa" and "se" are the Latin S.A. and SE: read as legal forms, the syllables were dropped from the name
    form = name_form(raw)
    assert form.full == expected and form.legal == ()
    assert name_form("Samsung SE").legal == ("jsc",)  # written in Latin letters it is one


def test_check_on_the_cli_reads_greek(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    path = tmp_path / "foreign.wl"
    service_of(LISTED, tmp_path, "foreign")
    result = CliRunner().invoke(app, ["check", "Ραμζάν Καντίροφ", "--json", "--watchlist", str(path)])
    assert result.exit_code == 1, result.output
    assert '"ofac-sdn:23343"' in result.stdout
