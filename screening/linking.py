"""Link listings of one real-world entity across lists, so a hit is one entity with all its listings.

A link is made only where the lists say so, or where the data leaves little doubt:

    listed     a listing names the other: the UK list's "UN Ref QDi.123", OpenSanctions referents
               ("ofac-17013", "gb-hmt-1234"), a seed record's `listings`
    ofac-uid   OFAC numbers SDN and consolidated entries in one sequence: ofac-sdn:N is ofac-cons:N
    imo        two vessels with the same IMO number (one number per hull, for its life)
    name       the same type, a strong listed name identical once normalised (two words or more), and a
               shared full date of birth or incorporation; or, for organisations and vessels without
               dates, a shared country, or a name of three words or more where one list gives no
               country (the UK's KOREA TAESONG TRADING COMPANY, the UN's in KP); for people without a
               full date in common, a shared country and a long shared name: three words and a shared
               year of birth, four where neither gives a year. Two listings whose full dates are all
               different never link.
    date       the same type, a shared full date of birth or incorporation (one that few listings give: a
               date many give is a placeholder), and names alike however each list spells them: a strong
               name of each scoring at least SIMILAR against one of the other (scoring.compare, either
               way, words weighted by their rarity: weights.TokenWeights): "Abd-al-Tawab Mullah HUWAYSH"
               (OFAC) and "ABD-AL-TAWWAB MULLAH HUWAYSH" (UN), both born 1942-03-14.

A `listed` reference is refused where the data contradicts it (`reference_plausible`), or where the name
or date rule links the referring listing to another record of the referenced list: lists also cite related
parties and stale numbers. Listings on the same list are never linked by a rule (the list itself says they
are two), only by a `listed` reference; and a listing that the name and date rules pair with two listings
of one list is linked to neither by them (`_unambiguous`). Links are transitive (union-find); each group's
id is its first listing by source priority, so a hit keeps its id while other lists join it. The precision
of the name and date rules is measured against the UK list's own UN references in benchmarks/bench_linking.py.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .model import Entity
from .normalise import NameForm, name_form
from .scoring import compare
from .weights import TokenWeights, load_prior

RULES = ("listed", "ofac-uid", "imo", "name", "date")
SIMILAR = 0.85  # the `date` rule: how alike two names must score (scoring.compare) to link listings of one birth date
CROWDED_DATE = 60  # a full date more listings than this give is a placeholder ("1900-01-01"): it links nothing
LONG_NAME = 3  # words of a shared person's name that link two listings born the same year (one more without years)
# Which listing names a group: our own curated records first, then the lists that designate.
SOURCE_PRIORITY = ("seed", "un-sc", "ofac-sdn", "ofac-cons", "eu-fsf", "uk", "opensanctions", "custom")
_IMO = re.compile(r"(?:^|\bIMO\s*)(\d{7})$", re.I)
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}$")


@dataclass
class Links:
    group: list[int]  # entity position -> group number
    members: list[list[int]]  # group number -> entity positions, the group's own listing first
    made: Counter[str] = field(default_factory=Counter)  # rule -> links that joined two groups
    pairs: list[tuple[str, str, str]] = field(default_factory=list)  # (entity id, entity id, rule), every link
    unresolved: int = 0  # `listed` references to a listing this watchlist does not hold
    refused: int = 0  # `listed` references the data contradicts (see reference_plausible)
    refused_pairs: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        linked = sum(len(m) for m in self.members if len(m) > 1)
        return {"rules": {r: self.made.get(r, 0) for r in RULES}, "linked_listings": linked,
                "groups_with_several_listings": sum(1 for m in self.members if len(m) > 1),
                "unresolved_references": self.unresolved, "refused_references": self.refused}


def _priority(e: Entity) -> tuple[int, str]:
    rank = SOURCE_PRIORITY.index(e.source) if e.source in SOURCE_PRIORITY else len(SOURCE_PRIORITY)
    return rank, e.entity_id


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True


def imo_numbers(e: Entity) -> set[str]:
    out = set()
    for i in e.identifiers:
        m = _IMO.search(i.value.strip()) if i.kind.upper() == "IMO" or i.value.upper().startswith("IMO") else None
        if m:
            out.add(m.group(1))
    return out


def _name_keys(e: Entity) -> set[str]:
    keys = set()
    for a in e.all_names():
        if a.weak:
            continue
        form = name_form(a.name)
        if len(form.tokens) >= 2:
            keys.add(form.full)
    return keys


def dates_agree(a: Entity, b: Entity) -> bool | None:
    """True: a full date in common; False: both have full dates and none in common; None: can't tell."""
    da = {d for d in a.dates if _FULL_DATE.match(d)}
    db = {d for d in b.dates if _FULL_DATE.match(d)}
    if not da or not db:
        return None
    return bool(da & db)


def _tokens(e: Entity) -> set[str]:
    return {t for a in e.all_names() if not a.weak for t in name_form(a.name).tokens if len(t) > 2}


COMMON_SHARE = 0.005  # a name word in more than this share of the listings (and 20 of them) is no evidence


def common_words(ents: Sequence[Entity]) -> frozenset[str]:
    """The name words that many listings share ("bank", "korea", "trading"): sharing one proves nothing."""
    df = Counter(t for e in ents for t in _tokens(e))
    cut = max(20, COMMON_SHARE * len(ents))
    return frozenset(t for t, n in df.items() if n > cut)


def _same_words(a: Entity, b: Entity) -> bool:
    """A strong name of each with the same words, in any order ("Chol U YU" / "YU CHOL U")."""
    def keys(e: Entity) -> set[tuple[str, ...]]:
        return {tuple(sorted(f.tokens)) for x in e.all_names() if not x.weak and (f := name_form(x.name)).tokens}

    return bool(keys(a) & keys(b))


def reference_plausible(a: Entity, b: Entity, common: frozenset[str] = frozenset()) -> bool:
    """A list's reference to another list's record, checked against the data: lists also cite related
    parties ("Subordinated to ... UN Ref KPe.035"), and a stale reference names someone else. Refused when
    the two differ in type, their full dates of birth all differ, or they share no name, no name word but
    `common` ones, and no identifier: the UK's KOREA DAESONG BANK cites the UN's KPe.023, which is DAEDONG
    CREDIT BANK; "bank" is all they share."""
    if a.type != b.type or dates_agree(a, b) is False:
        return False
    if (_tokens(a) & _tokens(b)) - common or _same_words(a, b):
        return True
    return bool({i.value for i in a.identifiers} & {i.value for i in b.identifiers})


def name_rule(a: Entity, b: Entity) -> bool:
    """The `name` rule for two listings that share a normalised strong name (see the module docstring)."""
    if a.type != b.type or a.source == b.source:
        return False
    agree = dates_agree(a, b)
    if agree is not None:
        return agree
    shared_country = bool(set(a.countries) & set(b.countries))
    if a.type == "person":
        # A person's name without a matching full date of birth is not enough, unless it is a long name in a
        # shared country: three words and a shared year of birth ("Huda Salih Mahdi AMMASH", 1953, IQ), or four
        # where neither list gives a year ("Nayif Shindakh Thamir GHALIB"). Three words without a year are
        # too many people: a Korean name is three ("Kang Myong Chol").
        ya, yb = _years(a), _years(b)
        if ya or yb:
            return shared_country and bool(ya & yb) and _long_name_shared(a, b, LONG_NAME)
        return shared_country and _long_name_shared(a, b, LONG_NAME + 1)
    return shared_country or ((not a.countries or not b.countries) and _long_name_shared(a, b, LONG_NAME))


def _years(e: Entity) -> set[str]:
    return {d[:4] for d in e.dates if d[:4].isdigit()}


def _long_name_shared(a: Entity, b: Entity, words: int) -> bool:
    return any(len(k.split()) >= words for k in _name_keys(a) & _name_keys(b))


def strong_forms(e: Entity) -> list[NameForm]:
    """The normalised forms of an entity's strong names (a person's read as a person's: no legal forms)."""
    return [f for a in e.all_names() if not a.weak and (f := name_form(a.name, person=e.type == "person")).tokens]


def name_weights(forms: Sequence[Sequence[NameForm]]) -> Callable[[str], float]:
    """A name word's weight among listings (each given as its strong_forms), as the matcher weighs it: its
    rarity here mixed with the reference corpus (weights.TokenWeights), so that a word most listings share
    ("mohammed", "ali") barely counts towards two names being alike, however few listings are linked."""
    df = Counter(t for fs in forms for t in {t for f in fs for t in f.tokens})
    return TokenWeights(dict(df), len(forms), load_prior())


def names_alike(a: Sequence[NameForm], b: Sequence[NameForm], weight: Callable[[str], float], kinds: tuple[str, str]
                ) -> bool:
    """Whether a name of `a` and one of `b` score SIMILAR or more (scoring.compare, each side taken as the listed
    one; `kinds`: the entity types of a and b). The first such pair decides, and compare's `floor` skips the
    rest of a pair that cannot reach it."""
    return any(compare(p, q, weight, kind=kinds[1], floor=SIMILAR).score >= SIMILAR
               or compare(q, p, weight, kind=kinds[0], floor=SIMILAR).score >= SIMILAR for p in a for q in b)


def _candidates_by_date(ents: Sequence[Entity]) -> Iterable[tuple[int, int]]:
    """Pairs of entity positions that pass the date rule: a shared full date that few listings give, the same
    type, other lists, and names alike."""
    by_date: dict[str, list[int]] = {}
    for i, e in enumerate(ents):
        for d in sorted({d for d in e.dates if _FULL_DATE.match(d)}):
            by_date.setdefault(d, []).append(i)
    if not any(len(idx) > 1 for idx in by_date.values()):
        return
    forms = [strong_forms(e) for e in ents]
    weight = name_weights(forms)
    seen: set[tuple[int, int]] = set()
    for d in sorted(by_date):
        idx = by_date[d]
        if len(idx) > CROWDED_DATE:
            continue
        for x in range(len(idx)):
            for y in range(x + 1, len(idx)):
                pair = (idx[x], idx[y])
                a, b = ents[pair[0]], ents[pair[1]]
                if pair in seen or a.type != b.type or a.source == b.source:
                    continue
                seen.add(pair)
                if names_alike(forms[pair[0]], forms[pair[1]], weight, (a.type, b.type)):
                    yield pair


def _candidates_by_name(ents: Sequence[Entity], allowed: Iterable[int] | None = None) -> Iterable[tuple[int, int]]:
    """Pairs of entity positions that share a normalised strong name and pass the name rule."""
    by_key: dict[str, list[int]] = {}
    for i in allowed if allowed is not None else range(len(ents)):
        for k in _name_keys(ents[i]):
            by_key.setdefault(k, []).append(i)
    seen: set[tuple[int, int]] = set()
    for key in sorted(by_key):
        idx = by_key[key]
        if len(idx) > 50:  # a name this common links nothing on its own
            continue
        for x in range(len(idx)):
            for y in range(x + 1, len(idx)):
                pair = (idx[x], idx[y])
                if pair not in seen and name_rule(ents[pair[0]], ents[pair[1]]):
                    seen.add(pair)
                    yield pair


def _unambiguous(ents: Sequence[Entity], *pair_lists: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """The rule pairs without those of a listing that the rules pair with two listings of one list: that list
    says they are two, so the name or date names neither in particular (the UK's AQAP shares the alias "Ansar
    al-Sharia" with three UN entries). Decided on the pairs as a set, so it does not depend on their order."""
    partners: dict[int, Counter[str]] = {}
    for i, j in {p for pairs in pair_lists for p in pairs}:
        partners.setdefault(i, Counter())[ents[j].source] += 1
        partners.setdefault(j, Counter())[ents[i].source] += 1

    def clear(i: int, j: int) -> bool:
        return partners[i][ents[j].source] == 1 and partners[j][ents[i].source] == 1

    return [[p for p in pairs if clear(*p)] for pairs in pair_lists]


def link(ents: Sequence[Entity], *, rules: Sequence[str] = RULES) -> Links:
    """Group `ents` (in their given order) into linked entities by `rules`."""
    uf = _UnionFind(len(ents))
    links = Links(group=[], members=[])
    position = {e.entity_id: i for i, e in enumerate(ents)}

    def join(i: int, j: int, rule: str) -> None:
        if i == j:
            return
        links.pairs.append((ents[i].entity_id, ents[j].entity_id, rule))
        if uf.union(i, j):
            links.made[rule] += 1

    name_pairs = list(_candidates_by_name(ents)) if "name" in rules or "listed" in rules else []
    date_pairs = list(_candidates_by_date(ents)) if "date" in rules or "listed" in rules else []
    name_pairs, date_pairs = _unambiguous(ents, name_pairs, date_pairs)
    if "listed" in rules:
        common = common_words(ents)
        by_name: dict[int, set[int]] = {}
        for i, j in name_pairs + date_pairs:
            by_name.setdefault(i, set()).add(j)
            by_name.setdefault(j, set()).add(i)
        for i, e in enumerate(ents):
            for ref in e.same_as:
                source, _, own = ref.partition(":")
                targets = [f"ofac-sdn:{own}", f"ofac-cons:{own}"] if source == "ofac" else [ref]
                found = [position[t] for t in targets if t in position]
                links.unresolved += not found
                for j in found:
                    elsewhere = any(ents[k].source == ents[j].source and k != j for k in by_name.get(i, ()))
                    if elsewhere or not reference_plausible(e, ents[j], common):
                        links.refused += 1
                        links.refused_pairs.append((e.entity_id, ents[j].entity_id))
                        continue
                    join(i, j, "listed")
    if "ofac-uid" in rules:
        for i, e in enumerate(ents):
            if e.source == "ofac-sdn":
                j = position.get("ofac-cons:" + e.entity_id.split(":", 1)[1])
                if j is not None:
                    join(i, j, "ofac-uid")
    if "imo" in rules:
        by_imo: dict[str, list[int]] = {}
        for i, e in enumerate(ents):
            if e.type == "vessel":
                for n in imo_numbers(e):
                    by_imo.setdefault(n, []).append(i)
        for n in sorted(by_imo):
            first, *rest = by_imo[n]
            for j in rest:
                if ents[j].source != ents[first].source:
                    join(first, j, "imo")
    if "name" in rules:
        for i, j in name_pairs:
            join(i, j, "name")
    if "date" in rules:
        for i, j in date_pairs:
            join(i, j, "date")

    roots: dict[int, list[int]] = {}
    for i in range(len(ents)):
        roots.setdefault(uf.find(i), []).append(i)
    # groups in the order of their own (first-by-priority) listing's id: deterministic for any input order
    members = sorted((sorted(m, key=lambda k: _priority(ents[k])) for m in roots.values()),
                     key=lambda m: ents[m[0]].entity_id)
    links.members = members
    links.group = [0] * len(ents)
    for g, m in enumerate(members):
        for i in m:
            links.group[i] = g
    return links


def group_hash(member_hashes: Iterable[str]) -> str:
    """One hash for a linked entity: changes when any of its listings changes, joins or leaves."""
    hashes = sorted(member_hashes)
    if len(hashes) == 1:
        return hashes[0]
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest()[:16]
