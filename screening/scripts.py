"""Scripts: which one a name is written in, how each is romanised, and the keys by which a
romanised word is compared with a Latin spelling of it. Pure functions, no state but caches.

Romanisation, per run of one script (anyascii for the rest):
  * Hangul: syllable by syllable from the Unicode decomposition (initial, vowel, final), in the
    spellings North Korean and UN lists use ("김정은" -> "kim jong un"); each syllable a word, as
    the lists write Korean names ("Ri Yong Gil"), joins re-aligned by the scorer.
  * Kana: ICU's Katakana-Latin / Hiragana-Latin (digraphs as one syllable: "イジュ" -> "iju", where
    letter by letter gives "ijiyu"); the name separators "・" "＝" are word breaks.
  * Hebrew: ICU's Hebrew-Latin (vav and yod as w and y, the letters that also write vowels).
  * Arabic: the article written onto a word is a word of its own ("al"); ayn and hamza are letters
    without a Latin sound, dropped, not word breaks.
  * Cyrillic words run together by a missing space ("ВалерийНиколаевич") are split at the case change.
  * Greek (in normalise.to_ascii, once legal forms were read in Greek): as ELOT 743 writes modern Greek,
    digraphs as one sound ("Πούτιν" -> "putin", "Μπλερ" -> "bler").
  * Han: a legal form glued to the name ("CST有限会社", "株式会社学術...") is set apart as a word, so that it
    is read as a legal form, not romanised as a Chinese name's syllables ("you xian hui she").

Comparison keys (`key`): what is left of a word once the letters a script's romanisations spell
differently are folded together. Abjads write no short vowels (consonant skeleton); kana adds
vowels and has no l (skeleton, l = r); Cyrillic names come in Russian and Ukrainian forms that
differ mostly in vowels (Олександр / Aleksandr, Олена / Elena: consonant skeleton); Hangul
romanisations differ in voicing and vowel digraphs (Jong / Jeong, Gil / Kil, Ri / Lee).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

# Script of a letter, by code-point range: the scripts compared in their own way.
_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0370, 0x03FF, "Grek"), (0x1F00, 0x1FFF, "Grek"),
    (0x0400, 0x052F, "Cyrl"), (0x1C80, 0x1C8F, "Cyrl"), (0x2DE0, 0x2DFF, "Cyrl"), (0xA640, 0xA69F, "Cyrl"),
    (0x0590, 0x05FF, "Hebr"), (0xFB1D, 0xFB4F, "Hebr"),
    (0x0600, 0x06FF, "Arab"), (0x0750, 0x077F, "Arab"), (0x08A0, 0x08FF, "Arab"), (0xFB50, 0xFDFF, "Arab"),
    (0xFE70, 0xFEFF, "Arab"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x3040, 0x309F, "Kana"), (0x30A0, 0x30FF, "Kana"), (0x31F0, 0x31FF, "Kana"), (0xFF66, 0xFF9F, "Kana"),
    (0x1100, 0x11FF, "Hang"), (0x3130, 0x318F, "Hang"), (0xAC00, 0xD7AF, "Hang"),
    (0x3400, 0x4DBF, "Hani"), (0x4E00, 0x9FFF, "Hani"), (0xF900, 0xFAFF, "Hani"),
)
ABJADS = frozenset({"Arab", "Hebr"})


def char_script(ch: str) -> str:
    """The script of one character among those above; "Latn" for a Latin letter, "" for the rest."""
    o = ord(ch)
    if o < 0x0370:
        return "Latn" if ch.isalpha() else ""
    for lo, hi, name in _RANGES:
        if lo <= o <= hi:
            return name
    return ""


def script_of(text: str) -> str:
    """The script most letters of `text` are written in ("" for Latin, none, or another script).
    Kana with Han (Japanese writes both) is kana: its kana are what romanise well; a name that is
    mostly Latin with a few look-alike Cyrillic letters ("Mariner ІІІ") is Latin."""
    counts: dict[str, int] = {}
    for ch in text:
        s = char_script(ch)
        if s:
            counts[s] = counts.get(s, 0) + 1
    if not counts:
        return ""
    if "Kana" in counts and "Hani" in counts:
        counts["Kana"] += counts.pop("Hani")
    best = max(sorted(counts), key=lambda s: counts[s])
    return "" if best == "Latn" else best


# --- Hangul ---------------------------------------------------------------------------------------
_INITIALS = ("k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "j", "jj", "ch", "kh", "th", "ph", "h")
_VOWELS = ("a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu",
           "u", "ui", "i")
_FINALS = ("", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t",
           "ng", "t", "t", "k", "t", "p", "t")
_HANGUL_RUN = re.compile("[\uac00-\ud7a3]+")


def _jamo(ch: str) -> tuple[int, int, int]:
    """A Hangul syllable's initial, vowel and final, as indexes (Unicode's decomposition)."""
    n = ord(ch) - 0xAC00
    return n // 588, (n % 588) // 28, n % 28


def _syllable(ch: str) -> str:
    ini, vowel, fin = _jamo(ch)
    return _INITIALS[ini] + _VOWELS[vowel] + _FINALS[fin]


# Korean writes a foreign name by its sounds, a vowel ㅡ (eu) carrying each consonant that has none of its own
# ("블라디미르": b-la-di-mi-r, Vladimir; "프리고진": p-ri-go-jin, Prigozhin). A word with such a syllable (ㅡ without
# a final consonant, or with the ㄹ that doubles the next one's, "블라"), or of more syllables than a word of a
# Korean name has, is read as one foreign word: the carried vowels dropped, ㄹㄹ one l, the consonants as
# their loanword values (ㅂ b, ㄷ d, ㄱ g, ㅈ j; ㅅ before y sh, "셴" shen).
_LOAN_INITIALS = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h")
_LOAN_VOWELS = ("a", "e", "ya", "ye", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu",
                "u", "ui", "i")
_EU, _RIEUL_FINAL, _RIEUL_INITIAL, _IEUNG = 18, 8, 5, 11  # ㅡ, final ㄹ, initial ㄹ, the silent initial ㅇ
KOREAN_NAME_SYLLABLES = 3  # a word of a Korean name has no more syllables than this ("김정은")...
_COMPOUND_SURNAMES = frozenset({"남궁", "황보", "제갈", "선우", "독고", "사공", "서문"})  # ...after these ("남궁민수")
# ...and one of three starts with a surname: the Korean surnames borne by nearly all Koreans, in South and North
# Korean spellings (이 / 리, 노 / 로, 유 / 류); a word of three syllables that starts otherwise is a foreign name
# ("겐나디", Gennady; "팀첸코", Timchenko)
_KOREAN_SURNAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송전홍유고문양손배백허남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소"
    "석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌팽승간상시갈단견당화창옹순"
    "빙종리로류량림라렴룡륙려뢰")


def _carried(parts: list[tuple[int, int, int]], i: int) -> bool:
    """Syllable i's vowel is the ㅡ that only carries its consonant."""
    ini, vowel, fin = parts[i]
    return vowel == _EU and ini != _IEUNG and (fin == 0 or fin == _RIEUL_FINAL and i + 1 < len(parts)
                                           and parts[i + 1][0] == _RIEUL_INITIAL)


def _loanword(parts: list[tuple[int, int, int]]) -> str:
    out = []
    for i, (ini, vowel, fin) in enumerate(parts):
        initial = _LOAN_INITIALS[ini]
        if ini == _RIEUL_INITIAL and i and parts[i - 1][2] == _RIEUL_FINAL:
            initial = ""  # ㄹㄹ: the l of the final already written
        v = "" if _carried(parts, i) else _LOAN_VOWELS[vowel]
        if initial == "s" and v[:1] == "y":
            initial, v = "sh", v[1:]
        out.append(initial + v + _FINALS[fin])
    return "".join(out)


def _hangul(match: re.Match[str]) -> str:
    run = match.group(0)
    parts = [_jamo(ch) for ch in run]
    if (len(parts) > KOREAN_NAME_SYLLABLES and run[:2] not in _COMPOUND_SURNAMES
            or len(parts) == KOREAN_NAME_SYLLABLES and run[0] not in _KOREAN_SURNAMES
            or any(_carried(parts, i) for i in range(len(parts)))):
        return " " + _loanword(parts) + " "
    return " " + " ".join(_syllable(ch) for ch in run) + " "


# --- Greek ---------------------------------------------------------------------------------------
# Modern Greek as ELOT 743 (and the UN) romanise it: the vowel digraphs are one sound (ου u, αι e, ει and οι i),
# αυ and ευ av and ev, and μπ ντ γκ, the b d g of foreign names at the start of a word, mb nd inside one
# ("Πούτιν" Putin, "Μπλερ" Blair, "Βλαντιμίρ" Vladimir); γκ is g there too, as foreign names write it
# ("Σεργκέι", Sergei). Letter by letter they read "poytin", "mpler", "sergkei".
GREEK_RUN = re.compile("[\u0370-\u03ff\u1f00-\u1fff]+")
_GREEK_PAIRS = {"ου": "u", "αι": "e", "ει": "i", "οι": "i", "υι": "i", "αυ": "av", "ευ": "ev", "ηυ": "iv",
                "γγ": "ng", "γξ": "nx", "γχ": "nch", "μπ": "mb", "ντ": "nd", "γκ": "g", "τζ": "tz"}
_GREEK_INITIAL = {"μπ": "b", "ντ": "d", "γκ": "g"}
_GREEK_VOWELS = frozenset("αεηιοωυ")
_GREEK_FRONT = frozenset("εηι")
_DIAERESIS = frozenset("\u0308\u0344")
_GREEK_LETTERS = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψω",
                          ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", "r", "s", "s",
                           "t", "y", "f", "ch", "ps", "o"], strict=True))


def greek(match: re.Match[str]) -> str:
    """A run of Greek letters (GREEK_RUN) romanised; applied by normalise.to_ascii, after legal forms were looked up
    in Greek ("Εταιρία περιορισμένης ευθύνης")."""
    # each letter, with whether an accent and a diaeresis are on it: a vowel pair with an accent on its first
    # vowel ("Σεργκέι", Ser-ge-i) or a diaeresis on its second ("Ευνοϊκός") is two vowels, not a digraph
    letters: list[tuple[str, bool, bool]] = []
    for ch in unicodedata.normalize("NFD", match.group(0).lower()):
        if unicodedata.combining(ch):
            if letters:
                c, accent, diaeresis = letters[-1]
                letters[-1] = (c, accent or ch not in _DIAERESIS, diaeresis or ch in _DIAERESIS)
        else:
            letters.append((ch, False, False))
    out, i = [], 0
    while i < len(letters):
        pair = "".join(ch for ch, _, _ in letters[i : i + 2])
        if i == 0 and pair[:1] == "γ" and pair[1:] in _GREEK_FRONT:  # γ before e or i is y ("Γεβγκένι" Yevgeny)
            out.append("y")
            i += 2 if pair == "γι" and i + 2 < len(letters) and letters[i + 2][0] in _GREEK_VOWELS else 1
            continue
        if pair in _GREEK_PAIRS and not (pair[0] in _GREEK_VOWELS and (letters[i][1] or letters[i + 1][2])):
            out.append(_GREEK_INITIAL.get(pair, _GREEK_PAIRS[pair]) if i == 0 else _GREEK_PAIRS[pair])
            i += 2
        else:
            out.append(_GREEK_LETTERS.get(letters[i][0], letters[i][0]))
            i += 1
    return "".join(out)


# --- ICU transliterators (kana, Hebrew): one instance per thread, ICU's are not thread-safe ------
_ICU_IDS = {"Kana": "Katakana-Latin; Hiragana-Latin; Latin-ASCII", "Hebr": "Hebrew-Latin; Latin-ASCII",
            "Thai": "Thai-Latin; Latin-ASCII"}
_local = threading.local()


def _icu(script: str, text: str) -> str:
    cache = getattr(_local, "tr", None)
    if cache is None:
        cache = _local.tr = {}
    tr = cache.get(script)
    if tr is None:
        import icu  # PyICU: maintained transliteration rules for kana digraphs and Hebrew

        tr = cache[script] = icu.Transliterator.createInstance(_ICU_IDS[script])
    return tr.transliterate(text)


_KANA_RUN = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]+")
_KANA_BREAKS = str.maketrans({"・": " ", "＝": " ", "゠": " ", "･": " ", "ー": "", "ｰ": ""})
_HEBREW_RUN = re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]+")
# A Hebrew word, with the geresh (or an apostrophe typed for it) after a letter: the mark is part of the word.
_HEBREW_WORD = re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]+(?:['\u2019\u05f3][\u0590-\u05ff\ufb1d-\ufb4f]*)*")
# Letters with a geresh write the sounds Hebrew has no letter for, in foreign names: ג׳ j (ג'ונג, Jong),
# ז׳ zh (פריגוז'ין, Prigozhin), צ׳ ch (אברמוביץ', Abramovich), ת׳ th; in Arabic names ח׳ kh (ח'אמנאי, Khamenei),
# ע׳ gh, ד׳ dh. Read off before ICU, which writes the
# letter without the mark ("g'"). Another geresh (an abbreviation's) is dropped.
_HEBREW_GERESH = re.compile("([\u05d2\u05d6\u05e6\u05e5\u05ea\u05d7\u05e2\u05d3])['\u2019\u05f3]")
_GERESH_SOUNDS = {"\u05d2": "j", "\u05d6": "zh", "\u05e6": "ch", "\u05e5": "ch", "\u05ea": "th", "\u05d7": "kh",
                  "\u05e2": "gh", "\u05d3": "dh"}
_HEBREW_ARTICLE_AFTER = re.compile("[-\u05be\\s]+[\u0590-\u05ff\ufb1d-\ufb4f]")
_HEBREW_VAV = re.compile("(?<![\\w\u0590-\u05ff\ufb1d-\ufb4f])\u05d5\u05d5?(?=[\u0590-\u05ff\ufb1d-\ufb4f])")
_GERESH_MARKS = str.maketrans("", "", "'\u2019\u05f3")
# The Arabic article written onto the next word ("الرحمن"): a word of its own, "al" as in "al-Rahman"; and
# written apart before one ("ال منصور", Al-Mansur), where letter by letter it would be "l". Not آل ("family of":
# آل سعود), found only after the seats are read (آ as ا): a name's own word, no article to leave out.
_ARABIC_ARTICLE = re.compile("(?<![\\w\u0600-\u06ff])[\u0627\u0671]\u0644(?=[\u0600-\u06ff]{2,})")
_ARABIC_ARTICLE_APART = re.compile("(?<![\\w\u0600-\u06ff])[\u0627\u0671]\u0644(?=\\s+[\u0600-\u06ff])")
# Abd- names and Allah, read before the article and the ayn are: عبد ("servant of") is "abd" in every Latin
# spelling of the names it starts (its ayn written a), so normalise.fold_abd writes them in its one form
# (عبد الرحمن -> abdul rahman, as Abd al-Rahman; عبدالرحمن -> abdulrhmn, as Abdulrahman); الله is the word
# "allah", not the article and "lh", on its own or ending a word (عبد الله, عبدالله -> abdullah; خيرالله -> khyrallah).
_ARABIC_ABD = re.compile("(?<![\\w\u0600-\u06ff])\u0639\u0628\u062f(\u0627\u0644(?=[\u0600-\u06ff]{2,}))?"
                         "(?=[a-z\u0600-\u06ff]|\\s+[a-z\u0600-\u06ff])")
_ARABIC_ALLAH = re.compile("\u0627?\u0644\u0644[\u064b-\u0652\u0670]*[\u0647\u06c1\u06be](?![\\w\u0600-\u06ff])")
# Letters with no Latin sound of their own: ayn, hamza and its seats, tatweel; dropped.
_ARABIC_SILENT = str.maketrans("", "", "\u0621\u0639\u0640")
# Hamza on a seat is the seat; ta marbuta is the "a" (or "ah", "at") the Latin spellings write.
# Pashto's dze and tse (ځ, څ) are the z and s of the Latin spellings (ځدران, Zadran), not "dz" and "ts".
_ARABIC_SEATS = str.maketrans({"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0624": "\u0648",
                               "\u0626": "\u064a", "\u0629": "a", "\u0681": "\u0632", "\u0685": "\u0633"})
# Dad (ض) is "dh", as dhal and za are (ذ, ظ): a d in Arabic spellings (Ramadan), dh (Romdhane) or z in Persian, Urdu
# and Pashto ones (Ramzan, Faiz, Zia); its key is z, and `readings` gives the d.
# An alif inside a word is the long vowel "a", which the Latin spellings always write; transliterated letter by
# letter it is dropped, and its neighbours then read as a digraph ("طاهر" -> "thr", thaa + r, not Tahir).
_ARABIC_LONG_A = re.compile("(?<=[\u0628-\u064a\u067e-\u06d3])\u0627")
# A lower-case letter of a cased non-Latin script followed by a capital: two words run together.
_CASE_JOIN = re.compile("([\u0430-\u045f\u0461-\u052f\u03ac-\u03ce])(?=[\u0400-\u042f\u0460-\u052e\u0386-\u03ab])")


# A word mixing Latin letters with Cyrillic ones that look the same ("СENTURY", "NРO", "IІІ"): a Latin word typed
# with look-alikes, which are read as the Latin letters they look like (ICU's confusables, see _look_alikes).
_MIXED_WORD = re.compile(r"\w*(?:[A-Za-z]\w*[\u0400-\u04ff]|[\u0400-\u04ff]\w*[A-Za-z])\w*")


@lru_cache(maxsize=1)
def _look_alikes() -> dict[int, str]:
    """Cyrillic letters -> the Latin letter of the same case ICU's confusables give the same skeleton
    (А -> A, Р -> P, С -> C, І -> I); {} without ICU."""
    try:
        import icu

        checker = icu.SpoofChecker()
        skeleton = {a: checker.getSkeleton(0, a) for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}
        table: dict[int, str] = {}
        for o in range(0x0400, 0x0500):
            ch = chr(o)
            same = [a for a, sk in skeleton.items() if ch.isalpha() and sk == checker.getSkeleton(0, ch)]
            same.sort(key=lambda a: a.isupper() != ch.isupper())
            if same:
                table[o] = same[0]
        return table
    except Exception:  # pragma: no cover - ICU missing
        return {}


def _latin_look_alikes(match: re.Match[str]) -> str:
    return match.group(0).translate(_look_alikes())


def fold_look_alikes(text: str) -> str:
    """`text` with its Latin words typed with look-alike Cyrillic letters ("СENTURY") in Latin letters."""
    return _MIXED_WORD.sub(_latin_look_alikes, text)


def _kana(match: re.Match[str]) -> str:
    # a letter ICU leaves as it is (an unassigned code point of the block, U+3040) is dropped: left, it would be
    # romanised again on the next pass, and prepare(prepare(x)) must be prepare(x)
    latin = _icu("Kana", match.group(0).translate(_KANA_BREAKS)).replace("~", "").replace("'", "")
    return " " + _KANA_RUN.sub("", latin) + " "


_THAI_RUN = re.compile("[\u0e00-\u0e7f]+")
# ICU writes Thai letter for letter (ISO 11940), the vowels written before a consonant read after it ("เดริ" ->
# "de ri"; anyascii gives "edri"), with a space between syllables, which are no word breaks. Its "x" is o ang
# (อ): the vowel o, and nothing at the start of a word, where it carries the vowel after it ("อึน" -> "un");
# its "c" (not "ch") is cho chan (จ), the j of foreign names (จ็อง, Jong).
_THAI_CARRIER = re.compile("^x(?=[aeiou])")
_THAI_CHO_CHAN = re.compile("c(?!h)")  # ICU's ch is ฉ and ช


def _thai(match: re.Match[str]) -> str:
    latin = _THAI_RUN.sub("", _icu("Thai", match.group(0))).replace(" ", "").replace("'", "")
    return " " + _THAI_CHO_CHAN.sub("j", _THAI_CARRIER.sub("", latin).replace("x", "o")) + " "


def _hebrew(match: re.Match[str]) -> str:
    if match.group(0) == "\u05d0\u05dc" and _HEBREW_ARTICLE_AFTER.match(match.string, match.end()):
        return " al "  # the Arabic article as Hebrew writes it, hyphenated or apart ("בשאר אל-אסד"), not "l"
    run = _HEBREW_GERESH.sub(lambda m: _GERESH_SOUNDS[m.group(1)], match.group(0))
    # a vav that starts a word is a consonant, the v of modern Hebrew (ולדימיר, Vladimir; ויקטור, Victor); a double
    # one (וו) the w (ווליד, Walid); after an alef it is the vowel (אולג, Oleg): ICU writes all three "w"
    run = _HEBREW_VAV.sub(lambda m: "w" if m.group(0) == "\u05d5\u05d5" else "v", run)
    return " " + _HEBREW_RUN.sub("", _icu("Hebr", run.translate(_GERESH_MARKS))) + " "


_HAN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LEGAL_HAN = 8  # the longest legal form looked for inside a run of Han characters ("股份有限公司": 6)


@lru_cache(maxsize=1 << 14)
def _han_legal_cuts(run: str) -> tuple[int, ...]:
    """Where a run of Han characters is cut so that the legal forms in it (rigour's table: 株式会社, 有限公司)
    stand as words of their own: Chinese and Japanese write no spaces, so a legal form is glued to the name
    ("株式会社学術生産団体", "CST有限会社") and rigour's word-boundary lookup misses it. Leftmost, longest."""
    from rigour.names import extract_org_types  # the legal-form table legal forms are read with elsewhere

    cuts: list[int] = []
    i = 0
    while i < len(run) - 1:
        for n in range(min(_LEGAL_HAN, len(run) - i), 1, -1):
            part = run[i : i + n]
            if any(original == part for original, _ in extract_org_types(part, generic=True)):
                cuts += [i, i + n]
                i += n
                break
        else:
            i += 1
    return tuple(cuts)


def _han_legal(match: re.Match[str]) -> str:
    run, text = match.group(0), match.string
    found = _han_legal_cuts(run)
    if not found:
        return run
    cuts = [c for c in found if 0 < c < len(run)]
    pieces = [run[a:b] for a, b in zip([0, *cuts], [*cuts, len(run)], strict=True)]
    before = " " if match.start() > 0 and text[match.start() - 1].isalnum() else ""
    after = " " if match.end() < len(text) and text[match.end()].isalnum() else ""
    return before + " ".join(pieces) + after


def prepare(text: str) -> str:
    """Script-specific rewrites in the original script, before legal forms are looked up and the
    rest transliterated: the Arabic article split off, words run together split, and Hangul,
    kana and Hebrew romanised as described above. Pure; never raises."""
    if text.isascii():
        return text
    text = _CASE_JOIN.sub(r"\1 ", fold_look_alikes(unicodedata.normalize("NFKC", text)))
    # the article is found before ayn and hamza are dropped: "عالیزی" (Alizai) starts with ayn, not with the article
    text = _ARABIC_ABD.sub(lambda m: "abdal" if m.group(1) else "abd", _ARABIC_ALLAH.sub("allah", text))
    text = _ARABIC_ARTICLE.sub("al ", _ARABIC_ARTICLE_APART.sub("al", text).translate(_ARABIC_SEATS)).translate(_ARABIC_SILENT)
    text = _ARABIC_LONG_A.sub("a", text).replace("\u0636", "dh")
    text = _HANGUL_RUN.sub(_hangul, text)
    text = _HAN_RUN.sub(_han_legal, text)
    try:
        text = _KANA_RUN.sub(_kana, text)
        text = _HEBREW_WORD.sub(_hebrew, text)
        text = _THAI_RUN.sub(_thai, text)
    except Exception:  # pragma: no cover - ICU missing or refusing a string: anyascii does the rest
        pass
    return text


# --- comparison keys ------------------------------------------------------------------------------
_REPEATS = re.compile(r"(.)\1+")
_VOWEL_LETTERS = str.maketrans("", "", "aeiouyw")


def _fold(token: str, digraphs: tuple[tuple[str, str], ...], table: dict[int, str | None]) -> str:
    for a, b in digraphs:
        token = token.replace(a, b)
    return _REPEATS.sub(r"\1", token.translate(table))


# Arabic names also come in French spellings: dj is j (Djamel, Djouadi), a c before e or i an s (Belgacem, Lounici);
# q, k and g are one letter (qaf is g in Maghrebi and Gulf spellings: Gasmi, Belgacem, Gaddafi)
_ABJAD_DIGRAPHS = (("kh", "x"), ("gh", "g"), ("sh", "$"), ("ch", "$"), ("th", "t"), ("dh", "z"), ("ph", "f"))
_ARABIC_DIGRAPHS = (("dj", "j"), *_ABJAD_DIGRAPHS, ("ce", "s"), ("ci", "s"))
_ABJAD = str.maketrans({"q": "k", "c": "k", "g": "k", "p": "b", "v": "f", "$": "s", "a": None, "e": None, "i": None,
                        "o": None, "u": None, "y": None, "w": None})
# Hebrew writes b/v with one letter, p/f with one, k/kh with one; vav (romanised w) is mostly o/u.
_HEBREW = str.maketrans({"q": "k", "c": "k", "x": "k", "p": "b", "f": "b", "v": "b", "$": "s", "a": None,
                         "e": None, "i": None, "o": None, "u": None, "y": None, "w": None})
# Thai's aspirated letters (kh, th, ph) write the plain k, t, p of foreign names (คิม, Kim); ch and j are one
# sound to it (ช ชินวัตร Shinawatra, จ จ็อง Jong)
_THAI_DIGRAPHS = (("kh", "k"), ("th", "t"), ("ph", "p"), ("sh", "$"), ("ch", "$"), ("j", "$"), ("dj", "$"))
# Greek writes foreign names with ντ μπ γκ for d b g (romanised nd mb g inside a word: "Καντίροφ" Kadyrov), σ for
# sh, ζ for zh, τσ for ch, χ for kh, φ for final v (Λουκασένκο, Πριγκόζιν, Αμπράμοβιτς, Μιχαήλ, Λαβρόφ)
_GREEK_DIGRAPHS = (("nd", "d"), ("mb", "b"), ("ng", "g"), ("x", "ks"), ("tch", "H"), ("ch", "H"), ("kh", "H"),
                   ("ts", "H"), ("tz", "H"), ("sh", "s"), ("zh", "z"), ("th", "t"), ("ph", "f"), ("ou", "u"))
_GREEK = str.maketrans({"v": "f", "w": "f", "y": "i", "j": "i", "c": "k", "q": "k", "h": "H"})
# dzh (Дж) is the j of the Latin spellings (Dzhamaldin / Jamaldin); a j otherwise is й, a vowel
# chzh and tsz are how Russian writes Chinese zh and z (Palladius: "Чжао" / Zhao, "Цзоу" / Zou), and it writes
# Chinese ng as n ("Инкуй" / Yingkui); th is the t of English names (Smith)
_CYRILLIC_DIGRAPHS = (("chzh", "Z"), ("tsz", "z"), ("ng", "n"), ("th", "t"), ("dzh", "J"), ("dj", "J"), ("shch", "$"),
                      ("sch", "$"), ("sh", "$"), ("tch", "C"), ("ch", "C"), ("zh", "Z"), ("kh", "h"), ("ks", "x"),
                      ("ts", "c"), ("tz", "c"), ("ph", "f"))
# g and h together: Ukrainian г is h in its own romanisation, g in Russian-style ones (Hlib / Glib)
_CYRILLIC = str.maketrans({"w": "v", "g": "h", "a": None, "e": None, "i": None, "o": None, "u": None, "y": None, "j": None})
_J_VOWEL = re.compile(r"j(?=[aeiou])")
# ン is the ng Japanese has no sound for (ジョン, Jong); ジ also writes the di of foreign names (ウラジーミル, Vladimir),
# so j and d are one letter (_KANA)
_KANA_DIGRAPHS = (("sh", "s"), ("ch", "t"), ("ts", "t"), ("zh", "j"), ("ph", "f"), ("th", "s"), ("x", "ks"),
                  ("ng", "n"))
# a v before a consonant is written as the vowel u (ウラジオストク, Vladivostok): a key has no vowel there
_KANA_V_CLUSTER = re.compile("^v(?=[^aeiouy])")
_KANA = str.maketrans({"l": "r", "v": "f", "c": "k", "q": "k", "h": "f", "j": "d", "a": None, "e": None, "i": None, "o": None,
                       "u": None, "y": None, "w": None})
_HANGUL_DIGRAPHS = (("eo", "o"), ("eu", "u"), ("ee", "i"), ("oo", "u"), ("kh", "k"), ("th", "t"), ("ph", "p"),
                    ("ch", "c"), ("sh", "s"), ("yi", "i"))
_HANGUL = str.maketrans({"g": "k", "d": "t", "b": "p", "j": "c", "r": "l", "f": "p", "v": "p", "z": "c"})
# A word this long is a foreign name Korean wrote by its sounds (_loanword), or the Latin spelling of one: compared on
# its consonants, those Korean writes with one letter folded together ("bladimir" / "vladimir", "kadirop" / "kadyrov")
_LOAN_KEY = 6
_LOAN_KEY_MIN = 3
_LOAN_DIGRAPHS = (*_HANGUL_DIGRAPHS, ("zh", "c"), ("ts", "c"), ("tz", "c"), ("x", "ks"), ("w", "p"))
_LOAN_VOWELS_OUT = str.maketrans("", "", "aeiouy")
_FINAL_H = re.compile(r"(?<=.)h$")


@lru_cache(maxsize=1 << 18)
def key(token: str, script: str) -> str:
    """The comparison key of a (romanised or Latin) word when one side was written in `script`."""
    if script in ABJADS or script == "Thai":  # Thai: vowels written around consonants, read off unsurely
        # y and w are vowels but at the start of a word, where they are consonants (Yusuf, Wali); there Thai's wo
        # waen also writes the v of foreign names (วลาดีมีร์, Vladimir), so w is read as v (Hebrew's vav: _hebrew)
        if token[:1] == "w" and script == "Thai":
            token = "v" + token[1:]
        head = token[:1].upper() if token[:1] in ("y", "w") else ""
        rest = token[1:] if head else token
        k = head + (_fold(rest, _ABJAD_DIGRAPHS, _HEBREW) if script == "Hebr" else
                    _fold(rest, _THAI_DIGRAPHS, _ABJAD) if script == "Thai" else _fold(rest, _ARABIC_DIGRAPHS, _ABJAD))
        return _FINAL_H.sub("", k)  # a ta marbuta or final he is written "a" or "ah" alike
    if script == "Cyrl":  # a j before a vowel is the English j of дж (Vijay / Виджай), elsewhere й
        return _fold(_J_VOWEL.sub("J", "J" + token[1:] if token[:1] == "j" else token), _CYRILLIC_DIGRAPHS, _CYRILLIC)
    if script == "Grek":  # vowels as written (η, ι, υ all i), the consonants foreign names are written with folded
        return _fold(token, _GREEK_DIGRAPHS, _GREEK)
    if script == "Kana":  # a syllabary: vowels added after consonants, no l
        return _fold(_KANA_V_CLUSTER.sub("", token), _KANA_DIGRAPHS, _KANA)
    if script == "Hang":
        folded = join_key(token, script)
        if len(folded) < _LOAN_KEY:
            return folded
        loan = _REPEATS.sub(r"\1", _fold(_FINAL_H.sub("", token), _LOAN_DIGRAPHS, _HANGUL).translate(_LOAN_VOWELS_OUT))
        return loan if len(loan) >= _LOAN_KEY_MIN else folded  # two consonants ("pl") would pair too many words
    return token


def join_key(token: str, script: str) -> str:
    """The key words are joined on (scoring._merge_keyed): `key`, but for Hangul always by syllable's letters. Joined
    syllables of a Korean name are no foreign word, and on consonants alone would join unlike ones ("song un" is
    not "songyan")."""
    return _fold(token, _HANGUL_DIGRAPHS, _HANGUL) if script == "Hang" else key(token, script)


# Vowels in three classes, as an abjad writes its long ones: alif a; ya i (Latin e, i, y); waw u (o, u, w)
_VOWELLED = str.maketrans({"q": "k", "c": "k", "g": "k", "p": "b", "v": "f", "$": "s", "e": "i", "y": "i", "o": "u",
                           "w": "u"})


@lru_cache(maxsize=1 << 18)
def vowelled(token: str) -> str:
    """An Arabic-script word (romanised) or a Latin spelling of one as `key` folds it, but with its vowels
    in three classes (a, i, u) kept: the long vowels the abjad writes ("dwry" -> "duri", "duri" -> "duri")."""
    head = token[:1].upper() if token[:1] in ("y", "w") else ""
    return head + _fold(token[1:] if head else token, _ARABIC_DIGRAPHS, _VOWELLED)


def vowels_fit(abjad: str, latin: str) -> bool:
    """The letters of `abjad` (vowelled) are those of `latin` (vowelled) but for vowels only `latin` writes:
    the short vowels an abjad leaves out ("zt" / "izat", "li" / "ali", "duri" / "duri"; not "li" / "ula")."""
    at = 0
    for ch in latin:
        if at < len(abjad) and ch == abjad[at]:
            at += 1
        elif ch not in "aiu":
            return False
    return at == len(abjad)


def unheaded(k: str) -> str:
    """An abjad key without its head consonant y or w: the Latin spelling may write it as a vowel before
    it ("Ayman", "Aiman" / "ymn"; "Ould" / "wld"; "Iyad" / "yd"), or the abjad write a vowel as it."""
    return k[1:] if k[:1] in ("Y", "W") else k


_H_APART = re.compile("([kgstdcpz])h")


@lru_cache(maxsize=1 << 16)
def readings(token: str) -> tuple[str, ...]:
    """Other readings of a word romanised from Arabic script (or a Latin spelling of one), where one
    spelling stands for letters the others write otherwise: a consonant and h as two letters, not a
    digraph (ص+ح in "shrawy", Sahraoui; ن+د+ز+ا+د+ه "khwndzadh", Akhundzada); dh as d (ض, ظ, ذ in many
    spellings: Ramadan, Dahir); th as s (ث is s in Persian, Urdu, Pashto and Turkish: Sanaullah, Saqib, Wasiq,
    Ghiasuddin, Osman; in words of three consonants or more); a Latin spelling's article written onto the word
    ("elsseid", "alhabbo") left out, as the Arabic script writes it apart. The keys of these are compared too."""
    out = [token[2:]] if token[:2] in ("al", "el") and len(token) >= 6 else []
    if _H_APART.search(token):
        out.append(_H_APART.sub(r"\1ah", token))
    if "dh" in token:
        out.append(token.replace("dh", "d"))
    if "th" in token and len(key(s := token.replace("th", "s"), "Arab")) >= 3:  # a two-consonant word read
        out.append(s)  # another way would pair what little its key says with more names still ("thna" / Son)
    return tuple(out)


KEYED = frozenset({"Arab", "Hebr", "Cyrl", "Kana", "Thai", "Hang", "Grek"})  # scripts compared on keys too


VARIANT_SUPPORT = 3  # a pair of keys counts as one name part written two ways when this many entities show it
VARIANT_NAMES = 12  # names of one entity in each script compared pairwise, at most
VARIANT_DIFFER = 2  # parts of two names that may differ (at least one other must agree)


def variant_keys(entities: Iterable[tuple[Sequence[Sequence[str]], Sequence[Sequence[str]]]], script: str, *,
                 support: int = VARIANT_SUPPORT) -> frozenset[tuple[str, str]]:
    """The pairs of keys in which the lists write one name part in `script` and in Latin letters: for each
    entity, (its names written in `script`, romanised, as word lists; its Latin names), wherever a name of
    each has as many words and agrees on all but one or two, the keys at the places they differ are one
    part written two ways ("Микола" / "Nikolai", "Ганна" / "Anna", "Якович" / "Yakovlevich": Ukrainian and
    Russian forms that no transliteration turns into each other). Counted once per entity; a pair
    `support` entities show is kept, both ways round."""
    seen: dict[tuple[str, str], int] = {}
    for native, latin in entities:
        a_keys = {tuple(key(t, script) for t in w) for w in list(native)[:VARIANT_NAMES] if len(w) >= 2}
        b_keys = {tuple(key(t, script) for t in w) for w in list(latin)[:VARIANT_NAMES] if len(w) >= 2}
        found: set[tuple[str, str]] = set()
        for a in a_keys:
            for b in b_keys:
                if len(a) != len(b):
                    continue
                differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
                if 1 <= len(differ) <= min(VARIANT_DIFFER, len(a) - 1):
                    found.update((min(x, y), max(x, y)) for x, y in differ
                                 if len(x) >= 2 and len(y) >= 2 and not x.isdigit() and not y.isdigit())
        for pair in found:
            seen[pair] = seen.get(pair, 0) + 1
    return frozenset(p for (x, y), n in seen.items() if n >= support for p in ((x, y), (y, x)))
