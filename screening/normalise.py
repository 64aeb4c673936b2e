"""Pure name normalisation: one query or listed name in, comparable forms out.

Steps: NFKC and casefold (rigour), legal forms rewritten to one generic class through
rigour's maintained org-type table (so "Co., Ltd." = "Company Limited" = "ООО" = "LLC"),
transliteration of every script to Latin (anyascii; Han syllables split so that word
joins can be re-aligned), diacritics folded, punctuation dropped, whitespace collapsed.
Digits and letters are kept together ("3hc").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from anyascii import anyascii
from rigour.names import extract_org_types, normalize_name

from . import scripts

_NON_WORD = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")
# Han, written without spaces between syllables: give each character its own token (kana and
# Hangul are romanised by syllable before this, see scripts.prepare).
_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff])")
_DELETE = str.maketrans("", "", "'’‘`´.")


# The generic legal-form classes rigour returns; some (sp, soe) are not in its table as words.
_CLASS_CODES = frozenset({"coop", "fin", "gp", "jsc", "llc", "llp", "lp", "mil", "ngo", "soe", "sp"})
# Words rigour's table reads as a legal form that are ordinary words in names ("Games Unlimited").
_NOT_LEGAL = frozenset({"unlimited"})
# Words left beside a recognised legal form that are part of it ("company" in "Company Limited").
_GENERIC_LEGAL = frozenset({"company", "co", "corporation", "corp", "limited", "ltd", "inc", "incorporated"})


@dataclass(frozen=True, slots=True)
class NameForm:
    """The comparable forms of one name."""

    full: str  # whole name, legal forms as their generic class ("sinno electronics llc")
    core: str  # legal forms removed ("sinno electronics"); falls back to full if nothing else is left
    tokens: tuple[str, ...]  # core split on spaces
    legal: tuple[str, ...]  # generic legal-form classes found ("llc",)
    abjad: bool = False  # written in a script without vowel letters (Arabic, Hebrew): compare consonant skeletons
    only_legal: bool = False  # the whole name is a legal form ("ПАО", "Company Limited"): nobody's name
    script: str = ""  # the script it was written in, when not Latin ("Cyrl", "Arab", "Hang"...): see scripts.key
    spelled: tuple[str, ...] = ()  # tokens written as separate letters ("V.V. Putin" -> "vv"): a person's initials
    # the name said it is a firm with a generic word normalisation left out ("Target Corporation", "Silver Co"):
    # no legal form to compare, but no vessel's or person's name either (scoring._reads_as_other)
    generic: bool = False


def to_ascii(text: str) -> str:
    """Transliterate any script to lower-case ASCII words separated by single spaces.

    Apostrophes the transliteration writes for letters without a Latin sound (the Cyrillic soft
    sign, the Arabic ayn) are dropped, not read as word breaks: "Анатольевич" -> "anatolevich"."""
    text = scripts.GREEK_RUN.sub(scripts.greek, _CJK.sub(r" \1 ", text))
    text = anyascii(text).lower().replace("'", "").replace("`", "")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()


_LETTER_RUN = re.compile(r"\b(?:[^\W\d_] ){1,}[^\W\d_]\b")


def _join_letters(match: re.Match[str]) -> str:
    return match.group(0).replace(" ", "")


# A legal-form word glued to the word before it ("tobaccolimited", "toursgmbh", "2017ood").
_GLUED_LEGAL = re.compile(r"\b(\w{4,}?)(company|limited|ltd|gmbh|sarl|srl|eood|ood|llc|corporation|fze|fzco)\b")
_GLUED_LEGAL_BEFORE = re.compile(r"\b(company|cjsc|pjsc|ojsc|jsc|ooo|zao|oao|jointstock)(\w{4,})\b")
# "Co" on its own is always "Company": lets "Joint Stock Co" read as JSC.
_CO = re.compile(r"(?<![\w-])co(?![\w-])", re.IGNORECASE)


def _rewrite(text: str) -> str:
    """Word-level rewrites, applied to the original script and again after transliteration."""
    text = _CO.sub("company", text)
    text = _GLUED_LEGAL_BEFORE.sub(r"\1 \2", _GLUED_LEGAL.sub(r"\1 \2", text)).replace("jointstock", "joint stock")
    # Spelled-out initials are one word: "s a de c v" -> "sa de cv", "a b c company" -> "abc company".
    return _LETTER_RUN.sub(_join_letters, text)


def _prenormalise(text: str) -> str:
    text = _CO.sub("company", unicodedata.normalize("NFKC", text).translate(_DELETE))
    return _rewrite(normalize_name(text) or "")


# A bracketed word that spells the name's own words: "KOREA MINING DEVELOPMENT TRADING CORPORATION (KOMID)".
_BRACKETED = re.compile(r"\s*[(\[]\s*([^\W\d_][\w&.\-]{1,15})\s*[)\]]")
_ALPHABETS = ("LATIN", "CYRILLIC", "GREEK")
_SKIPPABLE = frozenset({"of", "and", "the", "for", "de", "la", "du", "des", "al", "el", "in", "on", "&"})


def _spells(acronym: str, words: list[str]) -> bool:
    """Whether `acronym` is the beginnings of two or more consecutive `words`, in order ("komid": KOrea MIning
    Development), small words such as "of" and "al" skipped or used."""

    @cache
    def rest(i: int, k: int, used: int) -> bool:
        if i == len(acronym):
            return used >= 2
        if k >= len(words):
            return False
        w = words[k]
        if w in _SKIPPABLE and rest(i, k + 1, used):
            return True
        return any(w[:n] == acronym[i : i + n] and rest(i + n, k + 1, used + 1)
                   for n in range(1, min(len(w), len(acronym) - i) + 1))

    return any(rest(0, start, 0) for start in range(len(words) - 1))


def own_acronyms(text: str) -> tuple[str, list[str]]:
    """`text` without the bracketed acronyms of its own words, and those acronyms as written.

    "ISLAMIC REVOLUTIONARY GUARD CORPS (IRGC)" -> ("ISLAMIC REVOLUTIONARY GUARD CORPS", ["IRGC"]): the acronym
    says again what the words say, so neither side of a comparison should count it as a word the other lacks.
    Brackets holding anything else ("(Hong Kong)", "(RGB) Ltd" is kept as words) are left alone."""
    found: list[str] = []
    out, pos = [], 0
    for m in _BRACKETED.finditer(text):
        if not all(c in "&.-" or unicodedata.name(c, "").startswith(_ALPHABETS) for c in m.group(1)):
            continue  # an original-script name in brackets ("Jin Tiesan (金铁三)") is a name of its own
        acronym = to_ascii(m.group(1)).replace(" ", "")
        before = to_ascii(text[: m.start()]).split()[-12:]
        if len(acronym) >= 2 and _spells(acronym, before):
            out.append(text[pos : m.start()])
            pos = m.end()
            found.append(m.group(1))
    if not found:
        return text, []
    out.append(text[pos:])
    stripped = " ".join("".join(out).split())
    return (stripped, found) if stripped else (text, [])


def normalise(text: str) -> str:
    """The full normalised form of a name: casefolded, legal forms canonical, ASCII words."""
    return name_form(text).full


_ROMAN = re.compile(r"^(?:x{0,3})(?:ix|iv|v?i{0,3})$(?<=..)", re.I)  # ii to xxxix, two letters or more
# Legal forms written before the name (OOO, ZAO, PAO, TOV...): the generic classes a short form may have there.
_FIRST_CLASSES = frozenset({"jsc", "llc"})
SHORT_LEGAL = 3  # a legal form this short ("KB", "Na", "Sá") is one only where legal forms stand


def _word_file(name: str) -> frozenset[str]:
    path = Path(__file__).parent / "data" / name
    words = (w.strip() for w in path.read_text(encoding="utf-8").splitlines()) if path.exists() else ()
    return frozenset(w for w in words if w and not w.startswith("#"))


# What may follow a legal form at the end of a name: "S.A. (Hong Kong) Limited", "Inc. Shanghai Branch".
_TAIL_WORDS = _word_file("affiliation_words.txt") | _word_file("place_words.txt")
# Given names (the census name prior's words): a short form after nothing but these ("Renata Sá",
# "Maria Ag") is a person's surname, never a legal form.
_GIVEN_NAMES = frozenset(line.split("\t", 1)[0] for line in _word_file("name_prior.tsv"))


def _stands_as_legal(text: str, start: int, end: int, original: str, cls: str, spans: list[tuple[int, int]]) -> bool:
    """A short legal form ("KB", "SA", "Na") counts only where legal forms stand: at the end of the
    name, followed only by other legal forms, branch or place words; or first when of a kind written
    first (OOO, PAO). In the middle of a name it is a word of the name."""
    if len(original.replace(" ", "")) > SHORT_LEGAL:
        return True
    if _ROMAN.match(original):
        return False  # a number in a name: vessel "OCEAN II", "King Fahd II"
    before = [to_ascii(w) for w in text[:start].split()]
    if 1 <= len(before) <= 2 and all(w in _GIVEN_NAMES for w in before):
        return False
    for w in re.finditer(r"\S+", text[end:]):
        a, b = end + w.start(), end + w.end()
        if not any(s <= a and b <= e for s, e in spans) and to_ascii(w.group()) not in _TAIL_WORDS:
            break
    else:
        return True
    return not text[:start].strip() and cls in _FIRST_CLASSES


def _romanised(original: str, prepared: str) -> frozenset[str]:
    """The words of `prepared` (scripts.prepare's rewrite of `original`), transliterated, that none of
    `original`'s own Latin words spell: those romanised from another script, by prepare or by to_ascii."""
    own = {t for w in scripts.fold_look_alikes(original).split()
           if not any(scripts.char_script(ch) not in ("Latn", "") for ch in w)
           for t in to_ascii(w).split()}
    return frozenset(t for t in to_ascii(prepared).split() if t not in own)


def _strip_legal(text: str, romanised: frozenset[str] = frozenset()) -> tuple[str, set[str]]:
    """Remove the legal forms rigour's table finds in `text` where they stand as legal forms; return
    the rest and their generic classes. A short form spelled by words of `romanised` (transliterations of
    another script) is not one: an abbreviation is written in the script it abbreviates, and "سعد" (Saad)
    romanised "sd", "Сад" (garden) "sad", are names, not the Latin "S.D." and "S.A.D."."""
    legal: set[str] = set()
    found_all = []
    for original, generic in extract_org_types(text, generic=True):
        if original in _NOT_LEGAL:
            continue
        if (romanised and len(original.replace(" ", "")) <= SHORT_LEGAL
                and all(w in romanised for w in original.split())):
            continue
        found = re.search(rf"(?<!\w){re.escape(original)}(?!\w)", text)
        if found is not None:
            found_all.append((found, original, to_ascii(generic)))
    spans = [(f.start(), f.end()) for f, _, _ in found_all]
    keep = [(f, cls) for f, original, cls in found_all
            if _stands_as_legal(text, f.start(), f.end(), original, cls, spans)]
    for found, cls in sorted(keep, key=lambda x: -x[0].start()):  # right to left: offsets stay valid
        text = text[: found.start()] + " " + text[found.end() :]
        if cls:
            legal.add(cls)
    return text, legal


_DIGRAPHS = (("kh", "x"), ("gh", "g"), ("sh", "$"), ("ch", "$"), ("th", "t"), ("dh", "z"), ("ph", "f"))
_SKELETON_MAP = str.maketrans({"q": "k", "c": "k", "p": "b", "v": "f", "$": "s"})
_SKELETON_DROP = str.maketrans("", "", "aeiouyw")
_REPEATS = re.compile(r"(.)\1+")
_FINAL_H = re.compile(r"(?<=.)h$")


@lru_cache(maxsize=1 << 18)
def skeleton(token: str) -> str:
    """The consonants of a word as an abjad writes them: vowels, and the letters that stand for
    vowels (w, y), dropped; sounds that transliterations spell differently folded together.
    A final h goes too: a ta marbuta is written "a" or "ah" ("mazida", "mzydh" -> "mzd").
    "yusuf" and Arabic "ywsf" -> "sf"; "hezbollah", "hizballah" -> "hzbl"; "zolqadr", "zolkadr" -> "zlkdr"."""
    for a, b in _DIGRAPHS:
        token = token.replace(a, b)
    return _FINAL_H.sub("", _REPEATS.sub(r"\1", token.translate(_SKELETON_DROP).translate(_SKELETON_MAP)))


_SPELLED = re.compile(r"\b(?:[^\W\d_] ){1,2}[^\W\d_]\b")


_GLUED_INITIAL = re.compile(r"(?<![^\W\d_])([^\W\d_])\.(?=[^\W\d_]{2})")


def _unglue_initials(text: str) -> str:
    """A person's initial glued to the name after it by its dot is a word of its own: "V.V.Putin" -> "V.V. Putin"
    (only before a capitalised word: "E.ON" stays one)."""
    return _GLUED_INITIAL.sub(lambda m: m.group(0) + " " if text[m.end()].isupper() and text[m.end() + 1].islower()
                              else m.group(0), text)


def _spelled(text: str, tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The `tokens` that `text` writes as two or three separate letters ("V.V.", "A. H."): initials when the name
    is a person's (scoring.align's `initials`), one word otherwise ("s a" -> "sa")."""
    if not any(2 <= len(t) <= 3 for t in tokens):  # a run of two or three letters is a word of that length
        return ()
    runs = {m.group(0).replace(" ", "") for m in _SPELLED.finditer(to_ascii(text.replace(".", ". ")))}
    return tuple(t for t in tokens if t in runs) if runs else ()


_LEGAL_PIECE = 4  # the longest word read as a piece of a legal form written apart ("spz o o", "sade cv")


def _is_legal_phrase(words: list[str]) -> bool:
    """Whether `words` are, all of them, one legal form of rigour's table."""
    phrase = " ".join(words)
    return any(found == phrase for found, _ in extract_org_types(phrase, generic=True))


def _join_legal_tail(text: str) -> str:
    """The last words of a name joined into one when their letters together are a legal form and each is short:
    "doncoaltrade spz o o", "x sp z oo" (from "Sp. z o.o."), "acme sade cv" (from "S.A.DE C.V."), "acme ll c".
    Written with other stops or spaces than the table's, a legal form is still the same letters."""
    words = text.split()
    if not words or _is_legal_phrase(words[-1:]):
        return text  # the last word is a legal form itself ("Fund I LP"): the words before it are the name's
    for k in (4, 3, 2):
        tail = words[-k:]
        if len(words) <= k or any(len(w) > _LEGAL_PIECE or not w.isalpha() for w in tail):
            continue
        joined = "".join(tail)
        if _is_legal_phrase([joined]):
            return " ".join([*words[:-k], joined])
    return text


def _complete_legal(text: str) -> str:
    """A legal form written without its last word "company", first or last in the name: "OPEN JOINT STOCK COMMERCIAL
    BANK X" is the "Open Joint Stock Company" its listing writes; "X Limited Liability", "X Public Joint Stock"."""
    words = text.split()
    sizes = range(1, min(len(words), 5) + 1)
    for k in (4, 3, 2):
        if len(words) <= k:
            continue
        # only where no legal form is written first (or last) already; looked at once a completion would be one
        if _is_legal_phrase([*words[:k], "company"]) and not any(_is_legal_phrase(words[:n]) for n in sizes):
            return " ".join([*words[:k], "company", *words[k:]])
        if _is_legal_phrase([*words[-k:], "company"]) and not any(_is_legal_phrase(words[-n:]) for n in sizes):
            return " ".join([*words, "company"])
    return text


# "Abd" (servant of) and one of God's names make one Arabic name written many ways: Abd al-Rahman, Abdul Rahman,
# Abdel Rahman, Abdelrahman, Abdurrahman; Abd Allah, Abdallah, Abdullah, Abdellah. One head for all, "abdul": a
# word written apart stays apart ("abdul rahman", so that each part still stands for itself, "Abdul YASIN" for
# "Abdul Rahman YASIN"), one written as one stays one ("abdulrahman"); the matcher joins the two where they meet.
# Read: the head (abd with its joining vowel), the article where it shows (al, el, ul, its l glued on, or an
# assimilated one's doubled letter: ar-Rahman, as-Salam), then the name. Abd Allah is one word (abdullah).
_ABD_HEADS = frozenset({"abd", "abdul", "abdel", "abdal", "abdol", "abdil", "abdur", "abdus", "abdoul"})
_ABD_ARTICLES = frozenset({"al", "el", "ul", "ol", "il", "ar", "ur", "er", "as", "us", "es", "ad", "ud", "an", "az", "at"})
_ABD_JOINED = re.compile(r"^abd([aeiou]{1,2})([a-z]{3,})$")
_ALLAH = re.compile(r"^[aeiou]?ll?ah?$")  # Allah as a word after the head: allah, ullah, ellah, lah, alla, la


def _abd_word(t: str) -> str | None:
    """One word "abd" + joining vowel + article + name in its one form, where the article shows: its l
    ("abdelaziz", "abdalaziz" -> abdulaziz), an assimilated one's doubled letter ("abdurrahman", "abdussalam" ->
    abdulrahman, abdulsalam), or Allah ("abdallah", "abdellah" -> abdullah). None for any other word: Abdou,
    Abdi, Abdirahman (no article to read), Abdullin, Abdulov."""
    m = _ABD_JOINED.match(t)
    if not m:
        return None
    rest = m.group(2)
    if _ALLAH.match(rest):
        return "abdullah"
    if (rest[0] == "l" and rest[1] != "l" or rest[0] == rest[1] and rest[0] in "rsztnd") and len(rest) > 3:
        return "abdul" + rest[1:]
    return None


def fold_abd(tokens: list[str]) -> list[str]:
    """The Abd- names among `tokens` (lowercase ASCII words) in one form: ["abd", "al", "rahman"], ["abdel",
    "rahman"] -> ["abdul", "rahman"]; ["abdurrahman"], ["ab", "durrahman"] -> ["abdulrahman"]; ["abd", "allah"]
    -> ["abdullah"]. Idempotent."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in _ABD_HEADS and i + 1 < len(tokens):
            j = i + 1
            if tokens[j] in _ABD_ARTICLES and j + 1 < len(tokens):
                j += 1  # abd al-Rahman, abdul al-Rahman: the article on its own
            name = tokens[j]
            if name.isalpha() and len(name) >= 2 and not name.startswith("abd") and name not in _ABD_ARTICLES:
                out += ["abdullah"] if _ALLAH.match(name) else ["abdul", name]
                i = j + 1
                continue
        word = _abd_word(t) if t.startswith("abd") else None
        if word is None and i + 1 < len(tokens) and not t.startswith("abd") and (t + tokens[i + 1]).startswith("abd"):
            word = _abd_word(t + tokens[i + 1])  # one word written apart ("AB DALLAH")
            i += word is not None
        out.append(word or t)
        i += 1
    return out


@lru_cache(maxsize=65536)
def name_form(text: str, person: bool = False) -> NameForm:
    """All comparable forms of `text`; never raises, returns empty forms for empty input.

    Legal forms are looked up twice: in the original script ("ООО"), then again after
    transliteration ("Öy" -> "oy"), so normalising a normalised name changes nothing.
    A person's name (`person=True`) has no legal form: "Na", "Yu", "Sá" and "Pao" stay names.
    """
    script = scripts.script_of(text)
    abjad = script in scripts.ABJADS
    original = text
    text = own_acronyms(scripts.prepare(text))[0]
    if person:
        text = _unglue_initials(text)
        core = to_ascii(_LETTER_RUN.sub(_join_letters, normalize_name(
            unicodedata.normalize("NFKC", text).translate(_DELETE)) or ""))
        core = _LETTER_RUN.sub(_join_letters, core)  # letters transliteration left single ("A:A㐀" -> "a a qiu")
        tokens = tuple(fold_abd(core.split()))
        core = " ".join(tokens)
        return NameForm(full=core, core=core, tokens=tokens, legal=(), abjad=abjad, script=script,
                        spelled=_spelled(text, tokens))
    pre = _complete_legal(_join_legal_tail(_prenormalise(text)))
    if not pre:
        return NameForm("", "", (), (), script=script)
    # words romanised from another script, by prepare (Hangul, kana, Hebrew, Thai: "박정사" -> "pak jong sa") or
    # below, are no short Latin legal forms ("sa" is not S.A., "سعد" "sd" not S.D.)
    romanised = _romanised(original, pre) if script else frozenset()
    rest, legal = _strip_legal(pre, romanised)
    core = to_ascii(rest)
    only_legal = False
    for _ in range(4):  # rewrite and strip again after transliteration until nothing changes
        # a legal form written apart shows only once transliterated too ("O:OÒ" -> "o oo": OOO)
        rewritten = _join_legal_tail(to_ascii(_rewrite(core)))
        rest, more = _strip_legal(rewritten, romanised)
        words = to_ascii(rest).split()
        while len(words) > 1 and words[-1] in _CLASS_CODES and words[-1] not in romanised:  # its own legal classes
            more.add(words.pop())
        if not words:  # the name is only a legal form ("Company Limited"): keep it as the core
            core, legal, only_legal = rewritten, set(), True
            break
        legal |= more
        if " ".join(words) == core:
            break
        core = " ".join(words)
    if not core:
        core, legal = to_ascii(pre), set()
    words = core.split()
    generic = False
    if len(words) > 1 and words[-1] in _GENERIC_LEGAL:  # "Acme Company Limited" = "Acme Co., Ltd."
        core, generic = " ".join(words[:-1]), True
    elif legal and len(words) > 2:  # "Al Fay Company (Hong Kong) Limited" = "Al Fay Company Limited (Hong Kong)"
        at = len(words)
        while at > 1 and words[at - 1] in _TAIL_WORDS and words[at - 1] not in _GENERIC_LEGAL:
            at -= 1
        if 1 < at < len(words) and words[at - 1] in _GENERIC_LEGAL:
            core = " ".join(words[: at - 1] + words[at:])
    core = " ".join(fold_abd(core.split()))
    legal_t = tuple(sorted(legal))
    full = " ".join([core, *legal_t]).strip()
    tokens = tuple(core.split())
    return NameForm(full=full, core=core, tokens=tokens, legal=legal_t, abjad=abjad, only_legal=only_legal,
                    script=script, spelled=_spelled(text, tokens), generic=generic)
