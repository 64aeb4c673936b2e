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
from functools import lru_cache

from anyascii import anyascii
from rigour.names import extract_org_types, normalize_name, remove_org_types

_NON_WORD = re.compile(r"[^a-z0-9]+")
_SPACES = re.compile(r"\s+")
# Scripts written without spaces between syllables: give each character its own token.
_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff])")
_DELETE = str.maketrans("", "", "'’‘`´.")


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

    @property
    def sorted_core(self) -> str:
        return " ".join(sorted(self.tokens))


def to_ascii(text: str) -> str:
    """Transliterate any script to lower-case ASCII words separated by single spaces."""
    text = _CJK.sub(r" \1 ", text)
    text = anyascii(text).lower()
    return _SPACES.sub(" ", _NON_WORD.sub(" ", text)).strip()


_LETTER_RUN = re.compile(r"\b(?:[^\W\d_] ){1,}[^\W\d_]\b")


def _join_letters(match: re.Match[str]) -> str:
    return match.group(0).replace(" ", "")


# A legal-form word glued to the word before it ("tobaccolimited", "toursgmbh", "2017ood").
_GLUED_LEGAL = re.compile(r"\b(\w{4,}?)(company|limited|ltd|gmbh|sarl|srl|eood|ood|llc|corporation|fze|fzco)\b")
_GLUED_LEGAL_BEFORE = re.compile(r"\b(company|cjsc|pjsc|ojsc|jsc|ooo|zao|oao|jointstock)(\w{4,})\b")
# "Co" on its own is always "Company": lets "Joint Stock Co" read as JSC.
_CO = re.compile(r"(?<![\w-])co(?![\w-])", re.IGNORECASE)


def _prenormalise(text: str) -> str:
    text = _CO.sub("company", unicodedata.normalize("NFKC", text).translate(_DELETE))
    text = normalize_name(text) or ""
    text = _GLUED_LEGAL_BEFORE.sub(r"\1 \2", _GLUED_LEGAL.sub(r"\1 \2", text)).replace("jointstock", "joint stock")
    # Spelled-out initials are one word: "s a de c v" -> "sa de cv", "a b c company" -> "abc company".
    return _LETTER_RUN.sub(_join_letters, text)


def normalise(text: str) -> str:
    """The full normalised form of a name: casefolded, legal forms canonical, ASCII words."""
    return name_form(text).full


@lru_cache(maxsize=65536)
def name_form(text: str) -> NameForm:
    """All comparable forms of `text`; never raises, returns empty forms for empty input."""
    pre = _prenormalise(text)
    if not pre:
        return NameForm("", "", (), ())
    found = [f for f in extract_org_types(pre, generic=True) if f[0] not in _NOT_LEGAL]
    legal = tuple(sorted({to_ascii(generic) for _, generic in found if to_ascii(generic)}))
    core = to_ascii(remove_org_types(pre, replacement=" ")) if found else to_ascii(pre)
    if not core:  # the name is only a legal form ("Company Limited"): keep it as the core
        core = to_ascii(pre)
        legal = ()
    words = core.split()
    if len(words) > 1 and words[-1] in _GENERIC_LEGAL:  # "Acme Company Limited" = "Acme Co., Ltd."
        core = " ".join(words[:-1])
    full = " ".join([core, *legal]).strip()
    return NameForm(full=full, core=core, tokens=tuple(core.split()), legal=legal)
