"""Accuracy harness: every quality figure of the matcher in one run, on the full shared list set.

    python benchmarks/accuracy.py [--watchlist W] [--clean-sample N] [--no-nomenklatura] [--errors N]

Without --watchlist it imports every list in ../shared/data/lists (plus the seeds) into
benchmarks/out/all-<normaliser>-<code hash>.wl (git ignores benchmarks/out/). It reports, at the default
threshold and over the threshold range:

  * dev: ../shared/eval-dev positives.csv / negatives.csv, split by entity into a tuning part
    and a held-out part (HELD_OUT_SHARE of the expected entities, chosen by sha256 of
    "<SPLIT_SEED>:<entity id>"; negatives by the same hash of the query name). The held-out part
    is never looked at while tuning: its rows are only ever printed as figures.
  * clean: clean/gleif_legal_names.csv.gz (rows with listed_name_exact dropped) and
    clean/persons_us.csv, false alerts per 1,000 names;
  * native script: every non-Latin listed name (UN original-script names, OpenSanctions Cyrillic
    aliases...) as a query against the same lists with every non-Latin name removed, so it must
    find its entity through a Latin name; recall and top-1 per script;
  * cross-authority: every Latin name the UK list gives a listing whose "UN Ref" the linker accepted, as a
    query against the lists without the UK's, so it must find the UN's listing by name alone; recall over
    every name and over the names written differently from every name the UN gives;
  * Abd- respellings: every listed person whose name holds an Abd- name (Abdul Rahman, Abdallah...), that name
    respelt one of seven ways lists and files write it (Abdel X, Abd al-X, AbdulX...; seeded), against the full
    lists: recall and top-1 (`abd_respellings`);
  * words written apart: a long word (8 letters or more) of listed people's names written as two words and one
    letter spelt otherwise ("Hosseini Tash" for HOSEYNITASH: i/y, s/ss; seeded), against the full lists
    (`split_respellings`);
  * per entity kind: dev recall by the expected entity's type, false alerts by negative kind;
  * probes: names that must find (Hezbollah -> HIZBALLAH) or stay clear (Maria Garcia...);
  * nomenklatura logic-v2 side by side (optional: `pip install nomenklatura`), scoring our top-20
    candidate entities the way yente scores its candidates (dev in full, clean sets on a sample).
Writes benchmarks/out/accuracy.json and accuracy.png.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import platform
import random
import re
import sys
import time
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.config import DEFAULT_THRESHOLD, Settings  # noqa: E402
from screening.normalise import name_form  # noqa: E402
from screening.service import Query, Service, country_code_of, country_problem  # noqa: E402
from screening.watchlist import NORMALISER_VERSION, Watchlist  # noqa: E402

SHARED = ROOT.parent / "shared"
OUT = ROOT / "benchmarks" / "out"
THRESHOLDS = [round(t, 2) for t in np.arange(0.50, 0.951, 0.05)]
SPLIT_SEED = "issue10-heldout-v1"
HELD_OUT_SHARE = 0.25
CLEAN_SPLIT_SEED = "issue10-clean-fit-v1"
CLEAN_FIT_SHARE = 0.5
YENTE_THRESHOLD = 0.70
MUST_FIND = {"Hezbollah": "HIZBALLAH"}
MUST_CLEAR = ["Maria Garcia", "Alpha Bank", "Pacific Trading Ltd", "Victoria Shipping", "Sunrise Trading LLC",
              "Carlos Cruz", "Emma Daniels"]


def read_csv(path: Path) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def held_out(key: str) -> bool:
    """The fixed split: a key is held out when its seeded hash falls in the first HELD_OUT_SHARE."""
    h = int.from_bytes(hashlib.sha256(f"{SPLIT_SEED}:{key}".encode()).digest()[:8], "big")
    return h / 2**64 < HELD_OUT_SHARE


def clean_fit(name: str) -> bool:
    """The clean sets' fit half: names benchmarks/fit_scores.py may train on (the other half never is)."""
    h = int.from_bytes(hashlib.sha256(f"{CLEAN_SPLIT_SEED}:{name}".encode()).digest()[:8], "big")
    return h / 2**64 < CLEAN_FIT_SHARE


def list_dirs() -> list[Path]:
    return sorted(p for p in (SHARED / "data" / "lists").iterdir() if p.is_dir())


def default_watchlist() -> Path:
    from screening.importer import import_lists

    code = b"".join(p.read_bytes() for p in sorted((ROOT / "screening").rglob("*.py")) if "store" not in p.parts)
    target = OUT / f"all-{NORMALISER_VERSION}-{hashlib.sha256(code).hexdigest()[:8]}.wl"
    if not target.exists():
        import_lists(list_dirs(), target)
    return target


def latin_watchlist(wl: Watchlist) -> tuple[Path, list[tuple[str, str, str, str]]]:
    """The same entities with every non-Latin name removed; and those names as (query, script, entity, type).

    A name is non-Latin by the letters most of it is written in (scripts.script_of): "Dimitra IІ" and
    "KUZMISHKINA Yulia Alexandrovnа", Latin names typed with a look-alike Cyrillic letter or two, stay in the
    lists and are no query. An entity left with no name at all is gone from the Latin-only lists, and its
    native names are no query either: there is nothing for them to find."""
    from screening.scripts import script_of
    from screening.watchlist import SourceInfo, compile_watchlist

    def native(name: str) -> str:
        return script_of(name) if not name.isascii() else ""

    target = OUT / f"latin2-{wl.version}.wl"
    queries: list[tuple[str, str, str, str]] = []
    ents = []
    for i in range(wl.n_entities):
        e = wl.entity(i)
        names = [(e.name, native(e.name)), *((a.name, native(a.name)) for a in e.aliases)]
        keep = [a for a in e.aliases if not native(a.name)]
        if not any(not s for _, s in names):
            continue
        queries += [(n, s, e.entity_id, e.type) for n, s in names if s]
        if names[0][1]:  # a primary name in another script
            e = e.model_copy(update={"name": keep[0].name, "aliases": keep[1:]})
        else:
            e = e.model_copy(update={"aliases": keep})
        ents.append(e)
    if not target.exists():
        compile_watchlist(ents, target, watchlist_id="latin-only", sources=[SourceInfo(**s) for s in wl.header["sources"]])
    return target, queries


_ABD = re.compile(r"\b(abd(?:ul|el|al|ur|us|ou|oul)?)(?:[\s-]+(?:al|el|ul|ar|ur|as|us)[\s-]+|[\s-]+|-)?([a-z]{3,})\b", re.I)
_ABD_FORMS = ("Abdul {x}", "Abdel {x}", "Abd al-{x}", "Abdul{x}", "Abdel{x}", "Abd-al-{x}", "Abd el {x}")


def abd_respellings(wl: Watchlist, seed: int = 7) -> list[tuple[str, str]]:
    """(query, entity id): each listed person's first Abd- name written another way (one of _ABD_FORMS, drawn with
    `seed`), the rest of the name as listed."""
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i in range(wl.n_entities):
        e = wl.entity(i)
        m = _ABD.search(e.name) if e.type == "person" else None
        if not m:
            continue
        x = m.group(2).lower()
        if x in ("al", "el", "ul") or (x.startswith(("al", "el")) and len(x) < 5):
            continue
        q = e.name[: m.start()] + rng.choice(_ABD_FORMS).format(x=x.capitalize()) + e.name[m.end() :]
        if q.lower() != e.name.lower() and q not in seen:
            seen.add(q)
            out.append((q, e.entity_id))
    return out


def split_respellings(wl: Watchlist, n: int = 1000, seed: int = 11) -> list[tuple[str, str]]:
    """(query, entity id): up to `n` listed people (seeded sample) with a word of 8 letters or more in their
    primary name, that word respelt (its first y as i or i as y, else its first s doubled) and cut in two at a
    seeded point, three letters or more each side."""
    rng = random.Random(seed)
    people = [i for i in range(wl.n_entities) if wl.entity(i).type == "person"]
    rng.shuffle(people)
    out: list[tuple[str, str]] = []
    for i in people:
        e = wl.entity(i)
        words = e.name.split()
        long = [k for k, w in enumerate(words) if len(w) >= 8 and w.isalpha()]
        if not long:
            continue
        k = rng.choice(long)
        w = words[k]
        low = w.lower()
        if "y" in low:
            at = low.index("y")
            w = w[:at] + ("I" if w[at].isupper() else "i") + w[at + 1 :]
        elif "i" in low:
            at = low.index("i")
            w = w[:at] + ("Y" if w[at].isupper() else "y") + w[at + 1 :]
        elif "s" in low:
            at = low.index("s")
            w = w[: at + 1] + w[at:]
        else:
            continue
        cut = rng.randint(3, len(w) - 3)
        out.append((" ".join([*words[:k], w[:cut], w[cut:], *words[k + 1 :]]), e.entity_id))
        if len(out) == n:
            break
    return out


@lru_cache(maxsize=1)
def _foreign_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("foreign_names", ROOT / "tests" / "test_foreign_names.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def foreign_names() -> list[tuple[str, str]]:
    """(query, entity id): listed people's names in Hebrew, Thai, Hangul, kana and Greek, from the test's table."""
    return list(_foreign_module().FOREIGN)


# Names of other listed people as their Wikipedia articles title them, in the same scripts: chosen once the mechanisms
# for the test's names were built, and never tuned on (held out). An entity listed twice answers to either id.
FOREIGN_HELD_OUT: list[tuple[str, str]] = [
    (q, eid) for eid, names in (
        ("ofac-sdn:16692", ("איגור סצ'ין", "อีกอร์ เซชิน", "이고리 세친", "イーゴリ・セーチン", "Ιγκόρ Σέτσιν")),
        ("opensanctions:Q503147", ("עלישר אוסמנוב", "알리셰르 우스마노프", "アリシェル・ウスマノフ", "Αλισέρ Ουσμάνοφ")),
        ("ofac-sdn:24306", ("ויקטור וקסלברג", "빅토르 벡셀베르크", "ヴィクトル・ヴェクセリベルク", "Βίκτορ Βέξελμπεργκ")),
        ("ofac-sdn:16669", ("ארקדי רוטנברג", "아르카디 로텐베르크", "アルカディ・ローテンベルク")),
        ("ofac-sdn:16666", ("גנאדי טימצ'נקו", "겐나디 팀첸코", "ゲンナジー・ティムチェンコ")),
        ("opensanctions:Q32024", ("סרגיי שויגו", "เซียร์เกย์ ชอยกู", "세르게이 쇼이구", "セルゲイ・ショイグ", "Σεργκέι Σοϊγκού")),
        ("opensanctions:Q36073", ("ולרי גרסימוב", "발레리 게라시모프", "ワレリー・ゲラシモフ")),
        ("ofac-sdn:26945", ("עלי ח'אמנאי", "อาลี คาเมเนอี", "알리 하메네이", "アリー・ハーメネイー", "Αλί Χαμενεΐ")),
        ("ofac-sdn:12735", ("בשאר אל-אסד", "บัชชาร์ อัลอะซัด", "바샤르 알아사드", "バッシャール・アル＝アサド", "Μπασάρ αλ-Άσαντ")),
        ("ofac-sdn:22790", ("ניקולס מדורו", "นิโกลัส มาดูโร", "니콜라스 마두로", "ニコラス・マドゥロ", "Νικολάς Μαδούρο")),
        ("ofac-sdn:27225", ("מין און הליינג", "มิน อ่อง หล่าย", "민 아웅 흘라잉", "ミン・アウン・フライン")),
        ("ofac-sdn:21444", ("김여정", "キム・ヨジョン")),
    ) for q in names]


def foreign_clear_names() -> list[str]:
    """Common names of nobody listed, in those scripts (the test's own)."""
    return list(_foreign_module().COMMON_NAMES)


def cross_authority(wl: Watchlist) -> tuple[Path, list[tuple[str, str, bool]]]:
    """The lists without the UK's, and the UK's names of every UK listing whose "UN Ref" the linker accepted.

    Each name is a query that must find the referenced UN listing by name alone (its own UK listing is gone):
    (query, UN entity id, whether the name is written differently from every name the UN listing gives).
    """
    from screening.watchlist import SourceInfo, compile_watchlist

    target = OUT / f"no-uk-{wl.version}.wl"
    group = wl.entity_group_list
    ents, queries = [], []
    for i in range(wl.n_entities):
        e = wl.entity(i)
        if e.source != "uk":
            ents.append(e)
            continue
        for ref in e.same_as:
            j = wl.index_of(ref)
            if j is None or group[j] != group[i] or not ref.startswith("un-sc:"):
                continue  # the UN listing is absent, or the linker refused the reference
            un = wl.entity(j)
            theirs = {" ".join(sorted(name_form(n).full.split())) for n in [un.name, *(a.name for a in un.aliases)]}
            for n in dict.fromkeys([e.name, *(a.name for a in e.aliases if not (a.script and a.script != "Latn"))]):
                queries.append((n, ref, " ".join(sorted(name_form(n).full.split())) not in theirs))
    if not target.exists():
        compile_watchlist(ents, target, watchlist_id="no-uk",
                          sources=[SourceInfo(**s) for s in wl.header["sources"] if s["source"] != "uk"])
    return target, queries


def initialled(persons: list[dict[str, str]]) -> list[str]:
    """Each person of two names or more with the first as its initial: "John Smith" -> "J. Smith"."""
    return [p[0][0].upper() + ". " + " ".join(p[1:]) for r in persons
            if len(p := r["full_name"].split()) >= 2 and p[0][:1].isalpha()]


def initialled_two(persons: list[dict[str, str]]) -> list[str]:
    """Each person of three names or more with the first two as initials run together: "John Mark Smith" -> "J.M. Smith"."""
    return [f"{p[0][0].upper()}.{p[1][0].upper()}. " + " ".join(p[2:]) for r in persons
            if len(p := r["full_name"].split()) >= 3 and p[0][:1].isalpha() and p[1][:1].isalpha()]


def listed_initialled(wl: Watchlist) -> list[tuple[str, str]]:
    """Every OFAC SDN person written "Given Given... SURNAME" (two given names or more, the surnames in capitals), as
    files write them with the first two given names as initials run together: Vladimir Vladimirovich PUTIN ->
    ("V.V. Putin", its entity id)."""
    out = []
    for i in range(wl.n_entities):
        e = wl.entity(i)
        if e.type != "person" or e.source != "ofac-sdn":
            continue
        words = e.name.split()
        given = [w for w in words if not w.isupper()]
        sur = words[len(given):]
        if sur and len(given) >= 2 and words[: len(given)] == given and all(w[:1].isalpha() for w in given[:2]):
            out.append((f"{given[0][0].upper()}.{given[1][0].upper()}. {' '.join(sur).title()}", e.entity_id))
    return out


def _script(text: str) -> str:
    from screening.sources.un import guess_script

    return guess_script(text) or "?"


class Ours:
    def __init__(self, svc: Service, floor: float = THRESHOLDS[0]) -> None:
        self.svc = svc
        self.floor = floor  # the lowest threshold reported: hits below it are not kept

    def run(self, qs: list[Query], threshold: float | None = None, limit: int = 20) -> list[list[tuple[set[str], float]]]:
        """Per query, (ids the hit answers to, score) best first: the hit's id and every listing's id."""
        out = []
        for i in range(0, len(qs), 500):
            for r in self.svc.screen_valid(qs[i : i + 500], threshold=self.floor if threshold is None else threshold,
                                           limit=limit):
                out.append([({h.entity_id, *(x.entity_id for x in h.listings)}, h.score) for h in r.hits])
        return out


def equivalents(wl: Watchlist, rows: list[dict[str, str]]) -> list[set[str]]:
    """Entities counted correct for each positive: the expected one, or any listing the same source name."""

    def key(full: str) -> str:  # the artifact keeps one word order per token multiset
        return " ".join(sorted(full.split()))

    by_form: dict[str, set[str]] = defaultdict(set)
    wanted = {key(name_form(r["source_name"]).full) for r in rows if r.get("source_name")}
    for j, full in enumerate(wl.full):
        if key(full) in wanted:
            by_form[key(full)].add(wl.entity_ids[int(wl.name_entity[j])])
    return [{r["expected_entity_id"]} | by_form.get(key(name_form(r.get("source_name", "")).full), set()) for r in rows]


def as_queries(rows: list[dict[str, str]], name: str = "query_name") -> list[Query]:
    """The rows as queries; a country written out ("Egypt") as its code, as `screen file` reads it."""
    return [Query(name=r[name], country=_country(r.get("query_country", "")),
                  type=(r.get("query_type") or None) if r.get("query_type") in ("person", "company") else None)
            for r in rows]


def _country(value: str) -> str | None:
    if not value:
        return None
    return value if country_problem(value) is None else (country_code_of(value) or value)


def pos_metrics(hits: list[list[tuple[set[str], float]]], ok: list[set[str]], t: float) -> dict:
    found = [any(ids & good and s >= t for ids, s in h) for h, good in zip(hits, ok, strict=True)]
    top1 = [bool(h) and h[0][1] >= t and bool(h[0][0] & good) for h, good in zip(hits, ok, strict=True)]
    return {"n": len(hits), "recall": float(np.mean(found)) if hits else 0.0, "top1": float(np.mean(top1)) if hits else 0.0,
            "found": found}


def fa_rate(hits: list[list[tuple[set[str], float]]], t: float) -> tuple[float, int]:
    fa = sum(1 for h in hits if h and h[0][1] >= t)
    return 1000 * fa / max(1, len(hits)), fa


def pct(x: float) -> str:
    return f"{x:.2%}"


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.data: dict = {}

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


def nomenklatura_scores(svc: Service, qs: list[Query], cands: list[list[tuple[set[str], float]]]
                        ) -> list[list[tuple[set[str], float]]] | None:
    """logic-v2 over our top-20 candidate entities of each query (retrieved at our lowest threshold 0)."""
    try:
        from followthemoney import model as ftm_model
        from nomenklatura.matching import get_algorithm
    except ImportError:
        return None
    algo = get_algorithm("logic-v2")
    wl = svc.watchlist
    schema_of = {"person": "Person", "company": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}
    out = []
    made: dict[str, object] = {}
    for n, (q, hits) in enumerate(zip(qs, cands, strict=True)):
        qe = ftm_model.make_entity(schema_of.get(q.type or "", "LegalEntity"))
        qe.id = f"query-{n}-{random.random()}"  # nomenklatura caches by entity id: ids must be unique
        qe.add("name", q.name)
        if q.country:
            qe.add("country", q.country)
        scored = []
        for ids, _ in hits:
            for eid in sorted(ids):
                i = wl.index_of(eid)
                if i is None:
                    continue
                ce = made.get(eid)
                if ce is None:
                    e = wl.entity(i)
                    ce = ftm_model.make_entity(schema_of.get(e.type, "LegalEntity"))
                    ce.id = eid
                    ce.add("name", e.name)
                    ce.add("alias", [a.name for a in e.aliases if not a.weak])
                    if ce.schema.get("weakAlias"):
                        ce.add("weakAlias", [a.name for a in e.aliases if a.weak])
                    ce.add("country", e.countries)
                    made[eid] = ce
                try:
                    res = algo.compare(qe, ce, algo.default_config())
                except TypeError:
                    res = algo.compare(qe, ce)
                scored.append(({eid}, float(res.score)))
        out.append(sorted(scored, key=lambda x: -x[1]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--watchlist", type=Path)
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--clean-sample", type=int, default=0, help="score only this many rows of each clean file (0: all)")
    ap.add_argument("--nk-sample", type=int, default=1500, help="rows of each clean file logic-v2 scores")
    ap.add_argument("--no-nomenklatura", action="store_true")
    ap.add_argument("--fitted", action="store_true",
                    help="score with the fitted model (screening/data/score_model.json) instead of the hand-set score")
    ap.add_argument("--errors", type=int, default=0, help="print this many misses and false alerts of each set")
    ap.add_argument("--show-held-out-errors", action="store_true", help="also print held-out errors (don't, while tuning)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    t = args.threshold
    rep = Report()
    started = time.perf_counter()
    wl_path = args.watchlist or default_watchlist()
    svc = Service(Settings.from_env(watchlist=wl_path))
    wl = svc.watchlist
    if args.fitted:
        from dataclasses import replace

        from screening.matcher import Matcher
        from screening.scoring import fitted_params

        svc.matcher = Matcher(wl, replace(svc.matcher.options, params=fitted_params()))
    ours = Ours(svc, min(THRESHOLDS[0], t))
    rep(f"machine: {platform.platform()}, python {platform.python_version()}")
    rep(f"watchlist {wl.id} {wl.version} ({wl_path.name}): {wl.n_entities} entities, {wl.n_names} names, "
        f"sources {', '.join(s['source'] for s in wl.header['sources'])}")
    rep(f"held-out split: {HELD_OUT_SHARE:.0%} of expected entities, sha256('{SPLIT_SEED}:<entity id>')")
    rep(f"score: {'fitted model (' + svc.matcher.options.params.model.info + ')' if args.fitted else 'hand-set'}")

    # --- dev set, split by entity
    pos_rows = read_csv(SHARED / "eval-dev" / "positives.csv")
    neg_rows = read_csv(SHARED / "eval-dev" / "negatives.csv")
    ok = equivalents(wl, pos_rows)
    tq = time.perf_counter()
    pos = ours.run(as_queries(pos_rows))
    neg = ours.run(as_queries(neg_rows))
    n_q = len(pos_rows) + len(neg_rows)
    rep(f"dev: {n_q} queries in {time.perf_counter() - tq:.1f} s")
    pos_ho = [held_out(r["expected_entity_id"]) for r in pos_rows]
    neg_ho = [held_out(r["query_name"]) for r in neg_rows]
    parts = {
        "dev (all)": (list(range(len(pos_rows))), list(range(len(neg_rows)))),
        "dev tuning part": ([i for i, h in enumerate(pos_ho) if not h], [i for i, h in enumerate(neg_ho) if not h]),
        "dev held-out part": ([i for i, h in enumerate(pos_ho) if h], [i for i, h in enumerate(neg_ho) if h]),
    }

    # --- clean sets
    gleif = [r for r in read_csv(SHARED / "eval-dev" / "clean" / "gleif_legal_names.csv.gz") if not r["listed_name_exact"]]
    persons = read_csv(SHARED / "eval-dev" / "clean" / "persons_us.csv")
    if args.clean_sample:
        rng = random.Random(11)
        gleif = rng.sample(gleif, min(args.clean_sample, len(gleif)))
        persons = rng.sample(persons, min(args.clean_sample, len(persons)))
    tq = time.perf_counter()
    gleif_hits = ours.run([Query(name=r["legal_name"], country=r["country"] or None) for r in gleif])
    persons_hits = ours.run([Query(name=r["full_name"]) for r in persons])
    # the same people with the given name as an initial ("J. Smith"), as files often write them
    initials_hits = ours.run([Query(name=q) for q in initialled(persons)])
    initials2_hits = ours.run([Query(name=q) for q in initialled_two(persons)])
    listed_init = listed_initialled(wl)
    listed_init_hits = ours.run([Query(name=q) for q, _ in listed_init])
    rep(f"clean: {len(gleif) + len(persons)} queries in {time.perf_counter() - tq:.1f} s")

    # --- native script against the Latin-only lists
    latin_path, script_q = latin_watchlist(wl)
    lsvc = Service(Settings.from_env(watchlist=latin_path))
    # The Latin-only lists can't teach which name parts the lists write two ways in another script (their
    # native names are gone): the matcher learns them from the full lists, as it would in use, with one
    # entity more of support than it asks for, so that no query's own entity is what taught it a pair.
    from screening.matcher import Matcher, learn_variants
    from screening.scripts import KEYED, VARIANT_SUPPORT

    lsvc.matcher = Matcher(lsvc.watchlist, lsvc.matcher.options,
                           variants={s: learn_variants(wl, s, support=VARIANT_SUPPORT + 1) for s in KEYED})
    lours = Ours(lsvc, min(THRESHOLDS[0], t))
    script_hits = lours.run([Query(name=q) for q, _, _, _ in script_q])
    script_ok = [{eid} for _, _, eid, _ in script_q]

    # --- foreign names of listed people in the scripts the lists don't carry (tests/test_foreign_names.py)
    foreign = [*foreign_names(), *FOREIGN_HELD_OUT]
    foreign_hits = lours.run([Query(name=q) for q, _ in foreign])
    foreign_clear = lours.run([Query(name=q) for q in foreign_clear_names()], threshold=t)

    # --- Abd- names respelt, against the full lists
    abd_q = abd_respellings(wl)
    abd_hits = ours.run([Query(name=q) for q, _ in abd_q])
    split_q = split_respellings(wl)
    split_hits = ours.run([Query(name=q) for q, _ in split_q])

    # --- the UK's names for the UN's listings, against the lists without the UK's
    xa_path, xa_q = cross_authority(wl)
    xsvc = Service(Settings.from_env(watchlist=xa_path))
    xours = Ours(xsvc, min(THRESHOLDS[0], t))
    xa_hits = xours.run([Query(name=q) for q, _, _ in xa_q])
    xa_ok = [{ref} for _, ref, _ in xa_q]
    xa_differs = [i for i, (_, _, d) in enumerate(xa_q) if d]

    # --- the report at the default threshold
    rep(f"\n== at the default threshold {t} ==")
    rep(f"{'set':<28} {'n':>7} {'recall':>8} {'top-1':>8} {'FA/1000':>8} {'FA':>5}")
    summary: dict[str, dict] = {}
    for name, (pi, ni) in parts.items():
        m = pos_metrics([pos[i] for i in pi], [ok[i] for i in pi], t)
        fa, nfa = fa_rate([neg[i] for i in ni], t)
        summary[name] = {"positives": len(pi), "negatives": len(ni), "recall": m["recall"], "top1": m["top1"],
                         "fa_per_1000": fa}
        rep(f"{name:<28} {len(pi):>4}+{len(ni):<4} {pct(m['recall']):>8} {pct(m['top1']):>8} {fa:>8.1f} {nfa:>5}")
    gleif_unseen = [h for h, r in zip(gleif_hits, gleif, strict=True) if not clean_fit(r["legal_name"])]
    persons_unseen = [h for h, r in zip(persons_hits, persons, strict=True) if not clean_fit(r["full_name"])]
    for key, name, hits in (("GLEIF legal names", "GLEIF legal names", gleif_hits),
                            ("GLEIF unseen half", "  its half never fitted on", gleif_unseen),
                            ("persons_us", "persons_us", persons_hits),
                            ("persons_us unseen half", "  its half never fitted on", persons_unseen),
                            ("persons_us as J. Smith", "persons_us as 'J. Smith'", initials_hits),
                            ("persons_us as J.M. Smith", "persons_us as 'J.M. Smith'", initials2_hits)):
        fa, nfa = fa_rate(hits, t)
        summary[key] = {"n": len(hits), "fa_per_1000": fa}
        rep(f"{name:<28} {len(hits):>9} {'':>8} {'':>8} {fa:>8.1f} {nfa:>5}")
    m = pos_metrics(listed_init_hits, [{eid} for _, eid in listed_init], t)
    summary["SDN persons as V.V. Putin"] = {"n": len(listed_init), "recall": m["recall"], "top1": m["top1"]}
    rep(f"{'SDN persons as V.V. Putin':<28} {len(listed_init):>9} {pct(m['recall']):>8} {pct(m['top1']):>8}")

    rep(f"\nnative-script names against the Latin-only lists ({lsvc.watchlist.n_names} names), at {t}:")
    by_script: dict[str, list[int]] = defaultdict(list)
    for i, (_, s, _, _) in enumerate(script_q):
        by_script[s].append(i)
    summary["script"] = {}
    for s, idx in sorted(by_script.items(), key=lambda x: -len(x[1])):
        m = pos_metrics([script_hits[i] for i in idx], [script_ok[i] for i in idx], t)
        summary["script"][s] = {"n": len(idx), "recall": m["recall"], "top1": m["top1"]}
        rep(f"  {s:<6} n={len(idx):<5} recall {pct(m['recall']):>8}  top-1 {pct(m['top1']):>8}")

    rep(f"\nforeign names of listed people as Wikipedia titles them in scripts the lists don't carry "
        f"(tests/test_foreign_names.py), against the Latin-only lists, at {t}:")
    by_foreign: dict[str, list[int]] = defaultdict(list)
    held = len(foreign) - len(FOREIGN_HELD_OUT)
    for i, (q, _) in enumerate(foreign):
        by_foreign[("held-out " if i >= held else "") + _script(q)].append(i)
    summary["foreign"] = {}
    for s, idx in sorted(by_foreign.items()):
        m = pos_metrics([foreign_hits[i] for i in idx], [{foreign[i][1]} for i in idx], t)
        summary["foreign"][s] = {"n": len(idx), "recall": m["recall"], "top1": m["top1"]}
        rep(f"  {s:<15} n={len(idx):<5} recall {pct(m['recall']):>8}  top-1 {pct(m['top1']):>8}")
    alerts = sum(bool(h) for h in foreign_clear)
    summary["foreign clear"] = {"n": len(foreign_clear), "alerts": alerts}
    rep(f"  common names of nobody listed, in the same scripts: {alerts} of {len(foreign_clear)} alert")

    rep(f"\nthe UK's names of UN-referenced listings against the lists without the UK's, at {t}:")
    for label, idx in (("every name", list(range(len(xa_q)))), ("written differently", xa_differs)):
        m = pos_metrics([xa_hits[i] for i in idx], [xa_ok[i] for i in idx], t)
        summary[f"cross-authority {label}"] = {"n": len(idx), "recall": m["recall"], "top1": m["top1"]}
        rep(f"  {label:<20} n={len(idx):<5} recall {pct(m['recall']):>8}  top-1 {pct(m['top1']):>8}")

    m = pos_metrics(abd_hits, [{eid} for _, eid in abd_q], t)
    summary["abd respellings"] = {"n": len(abd_q), "recall": m["recall"], "top1": m["top1"]}
    rep(f"\nlisted people's Abd- names respelt (Abdel X, Abd al-X, AbdulX...), at {t}:")
    rep(f"  {'every name':<20} n={len(abd_q):<5} recall {pct(m['recall']):>8}  top-1 {pct(m['top1']):>8}")

    m = pos_metrics(split_hits, [{eid} for _, eid in split_q], t)
    summary["split respellings"] = {"n": len(split_q), "recall": m["recall"], "top1": m["top1"]}
    rep(f"listed people's long words written as two, one letter spelt otherwise ('Hosseini Tash'), at {t}:")
    rep(f"  {'every name':<20} n={len(split_q):<5} recall {pct(m['recall']):>8}  top-1 {pct(m['top1']):>8}")

    rep(f"\nper entity kind (dev, all), at {t}:")
    etype = {}
    for r in pos_rows:
        i = wl.index_of(r["expected_entity_id"])
        etype[r["expected_entity_id"]] = wl.entity(i).type if i is not None else "?"
    m_all = pos_metrics(pos, ok, t)
    for kind in sorted(set(etype.values())):
        idx = [i for i, r in enumerate(pos_rows) if etype[r["expected_entity_id"]] == kind]
        held = [i for i in idx if pos_ho[i]]
        rec = np.mean([m_all["found"][i] for i in idx])
        rec_h = np.mean([m_all["found"][i] for i in held]) if held else float("nan")
        summary[f"kind {kind}"] = {"n": len(idx), "recall": float(rec), "recall_held_out": float(rec_h)}
        rep(f"  positives {kind:<10} n={len(idx):<5} recall {pct(rec):>8}  (held-out n={len(held)}: {pct(rec_h)})")
    for kind in sorted({r["kind"] for r in neg_rows}):
        idx = [i for i, r in enumerate(neg_rows) if r["kind"] == kind]
        fa, nfa = fa_rate([neg[i] for i in idx], t)
        summary[f"negatives {kind}"] = {"n": len(idx), "fa_per_1000": fa}
        rep(f"  negatives {kind:<14} n={len(idx):<5} FA/1000 {fa:>6.1f} ({nfa})")
    alerted_types = Counter()
    for hits in gleif_hits + persons_hits:
        if hits and hits[0][1] >= t:
            i = wl.index_of(sorted(hits[0][0])[0])
            alerted_types[wl.entity(i).type if i is not None else "?"] += 1
    rep(f"  clean-set false alerts by the listed entity's kind: {dict(alerted_types)}")
    # clean people written in other scripts: the dev negatives' and persons_us's, by the script of the query
    by_script_fa: dict[str, list] = defaultdict(list)
    for r, hits in [*((r, h) for r, h in zip(neg_rows, neg, strict=True) if r["kind"] == "person"),
                    *((r, h) for r, h in zip(persons, persons_hits, strict=True))]:
        by_script_fa[_script(r.get("query_name") or r.get("full_name", ""))].append(hits)
    summary["clean persons by script"] = {}
    cells = []
    for sc, hits in sorted(by_script_fa.items(), key=lambda x: -len(x[1])):
        fa, nfa = fa_rate(hits, t)
        summary["clean persons by script"][sc] = {"n": len(hits), "fa_per_1000": fa, "fa": nfa}
        cells.append(f"{sc} {fa:.1f} ({nfa} of {len(hits)})")
    rep("  clean people (dev negatives and persons_us) by script, FA per 1,000: " + ", ".join(cells))

    rep(f"\nrecall by variant (dev all / held-out) at {t}:")
    variants = [r["variant"] for r in pos_rows]
    for v in sorted(set(variants)):
        idx = [i for i, x in enumerate(variants) if x == v]
        held = [i for i in idx if pos_ho[i]]
        rep(f"  {v:<18} n={len(idx):<5} {pct(np.mean([m_all['found'][i] for i in idx])):>8}   "
            f"held-out {pct(np.mean([m_all['found'][i] for i in held])) if held else '-':>8}")

    rep("\nprobes:")
    for q, want in MUST_FIND.items():
        r = svc.screen_valid([Query(name=q)], threshold=t, limit=5)[0]
        rep(f"  {q!r}: {'FOUND' if any(h.name == want for h in r.hits) else 'MISSED'} {want}; "
            f"hits {[(h.name, h.score) for h in r.hits[:3]]}")
    for q in MUST_CLEAR:
        r = svc.screen_valid([Query(name=q)], threshold=t, limit=3)[0]
        rep(f"  {q!r}: {'clear' if not r.hits else 'ALERTS'} {[(h.name, h.score) for h in r.hits[:3]]}")

    # --- threshold trade-off
    rep("\n== threshold trade-off (ours) ==")
    rep(f"{'thr':>5} | {'dev recall':>10} {'top-1':>7} {'FA/1k':>6} | {'held recall':>11} {'top-1':>7} {'FA/1k':>6} | "
        f"{'GLEIF':>6} {'persons':>7} | {'script min':>10}")
    curve = []
    hp, hn = parts["dev held-out part"]
    for th in sorted(set(THRESHOLDS) | {t}):
        md = pos_metrics(pos, ok, th)
        mh = pos_metrics([pos[i] for i in hp], [ok[i] for i in hp], th)
        row = {"threshold": th, "dev_recall": md["recall"], "dev_top1": md["top1"], "dev_fa": fa_rate(neg, th)[0],
               "held_recall": mh["recall"], "held_top1": mh["top1"], "held_fa": fa_rate([neg[i] for i in hn], th)[0],
               "gleif_fa": fa_rate(gleif_hits, th)[0], "persons_fa": fa_rate(persons_hits, th)[0],
               "script_min": min(pos_metrics([script_hits[i] for i in idx], [script_ok[i] for i in idx], th)["recall"]
                                 for idx in by_script.values() if len(idx) >= 5)}
        curve.append(row)
        mark = " <- default" if th == t else ""
        rep(f"{th:>5.2f} | {pct(row['dev_recall']):>10} {pct(row['dev_top1']):>7} {row['dev_fa']:>6.1f} | "
            f"{pct(row['held_recall']):>11} {pct(row['held_top1']):>7} {row['held_fa']:>6.1f} | "
            f"{row['gleif_fa']:>6.1f} {row['persons_fa']:>7.1f} | {pct(row['script_min']):>10}{mark}")
    rep.data = {"summary": summary, "curve": curve}

    # --- nomenklatura logic-v2 on the same candidates
    if not args.no_nomenklatura:
        tq = time.perf_counter()
        pq, nq = as_queries(pos_rows), as_queries(neg_rows)
        nk_pos = nomenklatura_scores(svc, pq, ours.run(pq, threshold=0.0))
        if nk_pos is None:
            rep("\nnomenklatura not installed (pip install nomenklatura): logic-v2 skipped")
        else:
            nk_neg = nomenklatura_scores(svc, nq, ours.run(nq, threshold=0.0))
            rng = random.Random(5)
            gs = rng.sample(range(len(gleif)), min(args.nk_sample, len(gleif)))
            ps = rng.sample(range(len(persons)), min(args.nk_sample, len(persons)))
            gq = [Query(name=gleif[i]["legal_name"], country=gleif[i]["country"] or None) for i in gs]
            prq = [Query(name=persons[i]["full_name"]) for i in ps]
            nk_g = nomenklatura_scores(svc, gq, ours.run(gq, threshold=0.0))
            nk_p = nomenklatura_scores(svc, prq, ours.run(prq, threshold=0.0))
            sq = [Query(name=q) for q, _, _, _ in script_q]
            nk_s = nomenklatura_scores(lsvc, sq, lours.run(sq, threshold=0.0))
            rep(f"\n== nomenklatura logic-v2 beside ours (same candidates; {time.perf_counter() - tq:.0f} s) ==")
            rep(f"{'set':<28} {'system':<22} {'recall':>8} {'top-1':>8} {'FA/1000':>8}")
            for name, (pi, ni) in parts.items():
                for label, th in ((f"ours @{t}", t), (f"logic-v2 @{YENTE_THRESHOLD}", YENTE_THRESHOLD), (f"logic-v2 @{t}", t)):
                    ph, nh = (pos, neg) if label.startswith("ours") else (nk_pos, nk_neg)
                    m = pos_metrics([ph[i] for i in pi], [ok[i] for i in pi], th)
                    rep(f"{name:<28} {label:<22} {pct(m['recall']):>8} {pct(m['top1']):>8} "
                        f"{fa_rate([nh[i] for i in ni], th)[0]:>8.1f}")
            for name, ourh, nkh, idx in (("GLEIF (sample)", gleif_hits, nk_g, gs),
                                         ("persons_us (sample)", persons_hits, nk_p, ps)):
                rep(f"{name:<28} {'ours @' + str(t):<22} {'':>8} {'':>8} {fa_rate([ourh[i] for i in idx], t)[0]:>8.1f}")
                rep(f"{name:<28} {'logic-v2 @0.7':<22} {'':>8} {'':>8} {fa_rate(nkh, YENTE_THRESHOLD)[0]:>8.1f}")
            for s, idx in sorted(by_script.items(), key=lambda x: -len(x[1])):
                m = pos_metrics([nk_s[i] for i in idx], [script_ok[i] for i in idx], YENTE_THRESHOLD)
                rep(f"{'script ' + s:<28} {'logic-v2 @0.7':<22} {pct(m['recall']):>8} {pct(m['top1']):>8}")
            xq = [Query(name=q) for q, _, _ in xa_q]
            nk_x = nomenklatura_scores(xsvc, xq, xours.run(xq, threshold=0.0))
            for label, idx in (("every name", list(range(len(xa_q)))), ("written differently", xa_differs)):
                m = pos_metrics([nk_x[i] for i in idx], [xa_ok[i] for i in idx], YENTE_THRESHOLD)
                rep(f"{'UK names, ' + label:<28} {'logic-v2 @0.7':<22} {pct(m['recall']):>8} {pct(m['top1']):>8}")

    if args.errors:
        n = args.errors
        shown = [i for i in parts["dev tuning part"][0] if not m_all["found"][i]]
        if args.show_held_out_errors:
            shown = [i for i in range(len(pos_rows)) if not m_all["found"][i]]
        rep(f"\nmisses (dev{'' if args.show_held_out_errors else ' tuning part'}): {len(shown)}")
        for i in shown[:n]:
            r = pos_rows[i]
            got = [(sorted(a)[0], s) for a, s in pos[i][:2]]
            rep(f"  [{r['variant']}] {r['query_name']!r} -> {r['source_name']!r}; got {got}")
        for label, rows, hits, key, allowed in (
            ("dev negatives", neg_rows, neg, "query_name", set(parts["dev tuning part"][1])),
            ("GLEIF", gleif, gleif_hits, "legal_name", None), ("persons_us", persons, persons_hits, "full_name", None),
        ):
            fas = [i for i, h in enumerate(hits)
                   if h and h[0][1] >= t and (allowed is None or args.show_held_out_errors or i in allowed)]
            rep(f"\nfalse alerts ({label}): {len(fas)}")
            for i in fas[:n]:
                e = wl.entity(wl.index_of(sorted(hits[i][0][0])[0]))
                rep(f"  {rows[i][key]!r} -> {e.name!r} [{e.type}] {hits[i][0][1]}")
        misses = [i for i in range(len(script_q)) if not pos_metrics([script_hits[i]], [script_ok[i]], t)["found"][0]]
        rep(f"\nnative-script misses: {len(misses)} (up to {n} per script)")
        per: Counter[str] = Counter()
        for i in misses:
            per[script_q[i][1]] += 1
            if per[script_q[i][1]] > n:
                continue
            q, s, eid, _ = script_q[i]
            rep(f"  [{s}] {q!r} ({name_form(q).full!r}) -> {wl.entity(wl.index_of(eid)).name!r}; "
                f"got {[(sorted(a)[0], s2) for a, s2 in script_hits[i][:1]]}")

        xmiss = [i for i in xa_differs if not pos_metrics([xa_hits[i]], [xa_ok[i]], t)["found"][0]]
        rep(f"\ncross-authority misses (written differently): {len(xmiss)}")
        for i in xmiss[:n]:
            q, ref, _ = xa_q[i]
            rep(f"  {q!r} -> {wl.entity(wl.index_of(ref)).name!r}; got {[(sorted(a)[0], s2) for a, s2 in xa_hits[i][:1]]}")

    rep(f"\ntotal {time.perf_counter() - started:.0f} s")
    (OUT / "accuracy.json").write_text(json.dumps(rep.data, indent=1))
    (OUT / "accuracy.txt").write_text("\n".join(rep.lines) + "\n")
    try:
        plot(curve, OUT / "accuracy.png")
    except ImportError:
        pass
    return 0


def plot(curve: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    ts = [r["threshold"] for r in curve]
    for key, label in (("dev_recall", "dev"), ("held_recall", "held-out"), ("script_min", "worst script")):
        a.plot(ts, [r[key] for r in curve], marker="o", label=label)
    for key, label in (("dev_fa", "dev negatives"), ("held_fa", "held-out negatives"), ("gleif_fa", "GLEIF"),
                       ("persons_fa", "persons_us")):
        b.plot(ts, [r[key] for r in curve], marker="o", label=label)
    a.set_xlabel("threshold")
    a.set_ylabel("recall")
    a.legend()
    b.set_xlabel("threshold")
    b.set_ylabel("false alerts per 1,000")
    b.set_yscale("symlog")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
