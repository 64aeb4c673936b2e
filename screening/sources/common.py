"""Helpers every list parser shares: text cleaning, country codes, scripts, partial dates, strict CSV reading,
and the `ListReport` each parser fills with what it could not use."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from rigour.territories import lookup_territory
from rigour.text.scripts import codepoint_script

from ..errors import SourceError
from ..model import Alias

if TYPE_CHECKING:
    from . import SourceLimits

_MAX_YEAR_SPAN = 15  # a FROM_YEAR..TO_YEAR range wider than this keeps only its two ends

_NULL_VALUES = {"", "-", "na", "n/a", "n.a.", "none", "unknown", "00", "zz", "xx"}

# rigour's Unicode script names -> ISO 15924 codes
_SCRIPT_CODES = {
    "Latin": "Latn", "Cyrillic": "Cyrl", "Arabic": "Arab", "Han": "Hani", "Hangul": "Hang",
    "Hiragana": "Jpan", "Katakana": "Jpan", "Greek": "Grek", "Hebrew": "Hebr", "Armenian": "Armn",
    "Georgian": "Geor", "Thai": "Thai", "Devanagari": "Deva", "Bengali": "Beng", "Ethiopic": "Ethi",
    "Myanmar": "Mymr", "Khmer": "Khmr", "Tamil": "Taml", "Syriac": "Syrc", "Thaana": "Thaa",
    "Sinhala": "Sinh", "Lao": "Laoo", "Tibetan": "Tibt", "Mongolian": "Mong", "Gujarati": "Gujr",
    "Gurmukhi": "Guru", "Telugu": "Telu", "Kannada": "Knda", "Malayalam": "Mlym", "Oriya": "Orya",
}

_DOC_KINDS = {
    "passport": "Passport",
    "national passport": "Passport",
    "numéro de passeport": "Passport",
    "número de pasaporte": "Passport",
    "national identification number": "National ID",
    "national identification": "National ID",
    "national id": "National ID",
    "id": "National ID",
    "tax": "Tax ID",
    "tax id": "Tax ID",
}


def clean(value: str | None) -> str:
    """Collapse runs of whitespace; None -> ''."""
    return " ".join(value.split()) if value else ""


def unique(values: Iterable):
    """Values in first-seen order without repeats (and without empty strings)."""
    return list(dict.fromkeys(v for v in values if v not in ("", None)))


@lru_cache(maxsize=4096)
def country_code(value: str | None) -> str | None:
    """A country name or code ("Russian Federation", "ru", "GBR") -> ISO alpha-2 ("RU"), else None.

    Uses rigour.territories. Sub-national territories map to their country; historic ones
    without an alpha-2 code (former Soviet Union) and "unknown" markers give None.
    """
    text = clean(value)
    if text.lower() in _NULL_VALUES:
        return None
    territory = lookup_territory(text)
    while territory is not None and len(territory.code) != 2:
        territory = territory.parent
    if territory is None or territory.code in ("zz", "xx"):
        return None
    return territory.code.upper()


class CountryList:
    """Ordered, de-duplicated ISO alpha-2 codes; values that name no country are dropped."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, value: str | None) -> str | None:
        code = country_code(value)
        if code and code not in self.items:
            self.items.append(code)
        return code


def guess_script(text: str) -> str | None:
    """ISO 15924 code of the main non-Latin script of `text` ("Arab", "Cyrl", "Hani"...), "Latn"
    for Latin-only text, None when it has no letters."""
    counts: dict[str, int] = {}
    for char in text:
        if char.isalpha():
            script = codepoint_script(ord(char))
            if script and script not in ("Common", "Inherited"):
                counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    if counts.keys() & {"Hiragana", "Katakana"}:
        return "Jpan"
    if "Hangul" in counts and "Han" in counts:
        return "Kore"
    others = {k: v for k, v in counts.items() if k != "Latin"}
    if not others:
        return "Latn"
    best = max(others, key=lambda k: others[k])
    return _SCRIPT_CODES.get(best, best[:4].title())


class AliasList:
    """Collects aliases in listed order: skips empties, the primary name and exact repeats."""

    def __init__(self, primary: str) -> None:
        self.primary = primary
        self.items: list[Alias] = []
        self._seen: set[tuple[str, str, bool]] = set()

    def add(self, name: str | None, *, kind: str = "aka", weak: bool = False, script: str | None = None) -> None:
        name = clean(name)
        if not name or name == self.primary:
            return
        key = (name, kind, weak)
        if key in self._seen:
            return
        self._seen.add(key)
        self.items.append(Alias(name=name, kind=kind, weak=weak, script=script))

    def add_any_script(self, name: str | None, *, kind: str = "aka", weak: bool = False) -> None:
        """Add a name; non-Latin names become kind="script" with their script code."""
        name = clean(name)
        script = guess_script(name)
        if script not in ("Latn", None):
            self.add(name, kind="script", weak=weak, script=script)
        else:
            self.add(name, kind=kind, weak=weak)


def document_kind(label: str | None) -> str:
    """A document type as a list prints it -> our identifier kind ("Passport", "National ID"...)."""
    text = clean(label)
    return _DOC_KINDS.get(text.lower(), text or "ID")


_DMY = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def iso_date(value: str | None, *, dmy: bool = True) -> str:
    """'2012-12-31' / '2012' / '31/12/2012' / '00/00/1959' (unknown day, month) -> ISO, possibly
    partial ('1959', '1959-05'); '' when the text is no date. Time parts are dropped."""
    text = clean(value)
    if not text:
        return ""
    m = _ISO.fullmatch(text[:10]) if len(text) >= 4 and text[:4].isdigit() else None
    if m:
        year, month, day = m.groups()
        if month in (None, "00"):
            return year
        if day in (None, "00"):
            return f"{year}-{month}"
        return f"{year}-{month}-{day}"
    m = _DMY.fullmatch(text) if dmy else None
    if m:
        day, month, year = (int(x) for x in m.groups())
        if year == 0:
            return ""
        if month == 0:
            return f"{year:04d}"
        if day == 0:
            return f"{year:04d}-{month:02d}"
        return f"{year:04d}-{month:02d}-{day:02d}"
    return ""


def year_range(start: str | None, end: str | None) -> list[str]:
    """Every year from `start` to `end` (a wide span keeps only its two ends)."""
    start, end = clean(start), clean(end)
    years = [y for y in (start, end) if re.fullmatch(r"\d{4}", y)]
    if len(years) != 2:
        return years
    lo, hi = sorted(int(y) for y in years)
    if hi - lo > _MAX_YEAR_SPAN:
        return [str(lo), str(hi)]
    return [str(y) for y in range(lo, hi + 1)]


def check_count(path: Path, count: int, limits: SourceLimits) -> None:
    if count > limits.max_entities:
        raise SourceError(f"{path}: more than {limits.max_entities} entities (limit)")


def read_head(path: Path, size: int = 4096) -> str | None:
    """The first `size` bytes of a file as text (BOM dropped), or None for folders/unreadable files."""
    try:
        if not Path(path).is_file():
            return None
        with open(path, "rb") as fh:
            raw = fh.read(size)
    except OSError:
        return None
    return raw.decode("utf-8-sig", errors="replace")


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' unless the first 1 MB is not UTF-8, then 'cp1252' (Excel's usual export)."""
    with open(path, "rb") as fh:
        raw = fh.read(1 << 20)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(raw) - 4:  # not merely a character cut by the 1 MB window
            return "cp1252"
    return "utf-8-sig"


def read_csv(path: Path, *, delimiter: str = ",", encoding: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) for each non-blank record of a CSV file, header included.

    Strict: an unterminated quote (a truncated file), a NUL byte or undecodable bytes raise
    SourceError naming the file and line.
    """
    encoding = encoding or detect_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter, strict=True)
            line = 0
            try:
                for fields in reader:
                    start, line = line + 1, reader.line_num
                    if any("\x00" in f for f in fields):
                        raise SourceError(f"{path}: line {start}: NUL byte (a binary or corrupt file, not CSV text)")
                    if any(f.strip() for f in fields):
                        yield start, fields
            except csv.Error as exc:
                raise SourceError(f"{path}: malformed or truncated CSV at line {reader.line_num}: {exc}") from exc
            except UnicodeDecodeError as exc:
                raise SourceError(
                    f"{path}: bytes that are not {encoding} text after line {line}: {exc.reason}"
                ) from exc
    except OSError as exc:
        raise SourceError(f"{path}: cannot read file: {exc}") from exc


def split_multi(value: str | None, sep: str = ";") -> list[str]:
    return [v for v in (clean(x) for x in (value or "").split(sep)) if v]


# ---------------------------------------------------------------------------------------------
# Countries as OFAC writes them -> ISO 3166-1 alpha-2.

# OFAC's own spellings that general-purpose tables miss or map elsewhere.
_OFAC_COUNTRIES = {
    "korea, north": "KP", "north korea": "KP", "democratic people's republic of korea": "KP",
    "korea, south": "KR", "south korea": "KR", "burma": "MM", "turkey": "TR",
    "congo, democratic republic of the": "CD", "congo, republic of the": "CG",
    "virgin islands, british": "VG", "bahamas, the": "BS", "gambia, the": "GM", "the gambia": "GM",
    "palestinian": "PS", "palestinian authority": "PS", "west bank": "PS", "gaza": "PS",
    "cote d ivoire": "CI", "cote d'ivoire": "CI", "macau": "MO", "czech republic": "CZ",
    "macedonia, the former yugoslav republic of": "MK", "macedonia": "MK", "cabo verde": "CV",
    "st. kitts & nevis": "KN", "st. vincent and the grenadines": "VC", "u.k.": "GB", "uk": "GB",
    "united states": "US", "usa": "US", "u.s.a.": "US", "russia": "RU", "iran": "IR", "syria": "SY",
    "laos": "LA", "vietnam": "VN", "brunei": "BN", "moldova": "MD", "tanzania": "TZ",
    "bosnia-herzegovina": "BA", "micronesia, federated states of": "FM", "holy see": "VA",
    "netherlands antilles": "AN", "kosovo": "XK", "hong kong": "HK", "taiwan": "TW",
    "united kingdom": "GB", "eswatini": "SZ", "swaziland": "SZ", "timor-leste": "TL",
    "crimea": "UA", "northern mali": "ML",
}
# Values OFAC uses where a country goes that name no single country.
_NOT_COUNTRIES = {"", "none identified", "undetermined", "unknown", "stateless", "kafia kingi"}
_country_cache: dict[str, str | None] = {}


def _norm_country(name: str) -> str:
    return " ".join(name.casefold().replace("\u2019", "'").split()).strip(" .")


@lru_cache(maxsize=1)
def _quick_table() -> dict[str, str]:
    """OFAC spellings plus the English names in rigour's territory index (cheap to build)."""
    from rigour.territories import get_territories

    table: dict[str, str] = {}
    for t in get_territories():
        code = (t.code or "").upper()
        if len(code) != 2:  # skips sub-national codes such as "gb-sct"
            continue
        for name in (t.name, t.full_name):
            if name:
                table.setdefault(_norm_country(name), code)
    table.update(_OFAC_COUNTRIES)
    return table


def ofac_country_code(name: str | None, *, full_index: bool = True) -> str | None:
    """An OFAC country name ("Korea, North", "Burma", "Region: Gaza") as ISO alpha-2, or None.

    OFAC's spellings and rigour's English territory names are looked up first; on a miss, and
    if `full_index`, rigour's multilingual name and place index (about 1.5 s to load, once).
    """
    if not name:
        return None
    key = _norm_country(name)
    if key.startswith("region:"):
        key = key[len("region:"):].strip()
    if key in _NOT_COUNTRIES or key.startswith("possibly "):
        return None
    table = _quick_table()
    code = table.get(key)
    if code is None and ", " in key:  # OFAC's inverted forms: "man, isle of", "bahamas, the"
        head, _, tail = key.partition(", ")
        code = table.get(f"{tail} {head}") or (table.get(head) if tail == "the" else None)
    if code is not None or not full_index:
        return code
    if key in _country_cache:
        return _country_cache[key]
    code = None
    if re.fullmatch(r"[a-z][a-z .,'&()-]{2,}", key):
        try:
            from rigour.territories import lookup_territory

            t = lookup_territory(key)
        except ImportError:  # pragma: no cover
            t = None
        if t is not None:
            found = (t.ftm_country or t.code or "").upper()
            code = found if len(found) == 2 else None
    _country_cache[key] = code
    return code


# ---------------------------------------------------------------------------------------------
# Encodings.

def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    assert isinstance(err, UnicodeDecodeError)
    return err.object[err.start:err.end].decode("latin-1"), err.end


codecs.register_error("screening-ofac-latin1", _latin1_fallback)


def decode_text(data: bytes) -> str:
    """List files are often cp1252 (OFAC's are (Latin-1 for the five bytes cp1252 leaves undefined). A file that
    is valid UTF-8 is read as UTF-8 (plain ASCII reads the same either way)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="screening-ofac-latin1")


# ---------------------------------------------------------------------------------------------
# Names packed into one field.

_PAIRED = re.compile(r"^(?P<a>[^()]+?)\s*\((?P<b>[^()]+)\)?$")
_LABEL = re.compile(r"^\s*original script\s*:\s*|\s*\(original script\)", re.I)


def _script_runs(name: str) -> list[str]:
    """'Agha Jan Alizai اغا جان عالیزی' -> the Latin words and the others as two names; else [name]."""
    words = name.split()
    latin = [guess_script(w) in ("Latn", None) for w in words]
    cuts = [i for i in range(1, len(words)) if latin[i] != latin[i - 1]]
    if len(cuts) != 1:
        return [name]
    return [" ".join(words[: cuts[0]]), " ".join(words[cuts[0]:])]


def split_spellings(value: str | None, *, script_runs: bool = False) -> list[str]:
    """One listed field holding several names, as separate names: spellings joined by ";"
    ("Azim Adhajani; Azim Agha-Jani"), and a name with its original-script form in brackets
    ("Jin Tiesan (金铁三)", "أبو بكر البغدادي (Abu Bakr al-Baghdadi"). Brackets that hold a
    name in the same script ("Great Lakes Business Company (GLBC)") are left alone. With `script_runs`,
    also a Latin name followed by its original-script form with no brackets (a UN packing)."""
    out: list[str] = []
    for part in split_multi(value):
        part = _LABEL.sub("", part).strip(" ,")
        m = _PAIRED.match(part)
        if m:
            a, b = (clean(_LABEL.sub("", m.group(k))).strip(" ,") for k in ("a", "b"))
            sa, sb = guess_script(a), guess_script(b)
            if sa and sb and (sa == "Latn") != (sb == "Latn"):
                out += [a, b]
                continue
        out += _script_runs(part) if script_runs else [part]
    return unique(out)
