"""Benchmark the matcher's hot loop and the whole screen service against the naive rapidfuzz baseline.

Run from the repository root:  .venv/bin/python benchmarks/bench_matcher.py [--quick]

First the full shared list set (../shared/data/lists plus the seeds, compiled once into
benchmarks/out/combined.wl by benchmarks/common.py), with two mixes of names: the development set
(../shared/eval-dev positives and negatives, a fixed-seed sample) and the synthetic counterparty mix
of bench_batch/bench_single. There the matcher itself is timed, both stages and each stage, with the
array program of stage 2 (screening.stage2) on and off (off: scoring.compare per candidate, the slow
twin), in batches and one name at a time, against the naive extractOne+WRatio loop in the same run.
Every row starts with the token-similarity and token-key caches cleared (names not seen before).

Then two more watchlists: the committed seed list (watchlists/seed.wl) and a synthetic list of 50,000
company-like names (--sizes), generated with a fixed seed and compiled with compile_watchlist.
On each, three things are timed on the same queries in the same run, in every repeat:

  kernel    screening.kernel.cosine_topk, stage 1 of the matcher (query 3-gram vectors against the
            watchlist's grams x names matrix), single-query calls for latency and one batched call;
  service   Service.screen, the function the CLI and HTTP API call, single queries and batches;
  baseline  rapidfuzz.process.extractOne(name, names, scorer=fuzz.WRatio) per query, the loop
            a user would write, on a sample of the queries when the list is large.

Every figure is the median over repeats; a ratio is the median of per-repeat ratios, so that
each ratio compares measurements taken seconds apart on this shared, noisy machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rapidfuzz
from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))

import csv  # noqa: E402
from dataclasses import replace  # noqa: E402

from common import combined_watchlist, counterparties, listed_names  # noqa: E402

from screening import kernel, ngrams, scoring, stage2  # noqa: E402
from screening.config import DEFAULT_WATCHLIST, Settings  # noqa: E402
from screening.matcher import Matcher, MatchOptions, QueryForm  # noqa: E402
from screening.model import Alias, Entity  # noqa: E402
from screening.normalise import name_form  # noqa: E402
from screening.service import Query, Service  # noqa: E402
from screening.watchlist import SourceInfo, Watchlist, compile_watchlist  # noqa: E402

SEED = 20240917

# --- synthetic names --------------------------------------------------------------------------

SYLLABLES = (
    "ka lo mi ren tor sin vel dra quo pan zhe li xin bor tek na ri gal mar ost vin hua "
    "yun dong sha kor mek tal bel ros ner ami tsu jin har oda lev pol sev tan wei rum"
).split()
GENERIC = (
    "Trading Technology Technologies Group Industrial Industry Electronics Logistics Shipping "
    "Investment Investments Holding Holdings International Energy Machinery Semiconductor "
    "Import Export Engineering Resources Supply Systems Development Construction Petroleum "
    "Metals Chemical Marine Aviation Precision Optics Components Capital Commercial Global"
).split()
LEGAL = (
    "Co., Ltd.", "Co Ltd", "Company Limited", "Limited", "Ltd", "LLC", "LLP", "JSC", "OOO", "GmbH",
    "S.A.", "FZE", "FZCO", "Pte. Ltd.", "Inc.", "Corporation", "Corp.", "PJSC", "AO", "Sdn Bhd", "B.V.",
)
GIVEN = "Ivan Olga Wei Li Ahmad Fatima Sergei Elena Jun Mei Omar Hassan Viktor Anna Dmitri Chen Ali Nadia".split()
COUNTRIES = "CN HK RU BY AE TR IR KP SY SG MY IN KZ AM GE UZ VE CY".split()
# Clean queries: ordinary counterparties built from words the synthetic list does not use.
CLEAN_FIRST = (
    "Nordic Alpine Baltic Atlas Summit Harbor Crescent Meridian Pioneer Sterling Evergreen Cobalt "
    "Granite Horizon Lakeside Redwood Silverline Northstar Bluewater Keystone Riverside Oakridge"
).split()
CLEAN_SECOND = (
    "Timber Foods Textiles Paper Plastics Furniture Dairy Coffee Software Pharma Packaging Motors "
    "Ceramics Apparel Printing Consulting Insurance Media Medical Agri Brewing Glass"
).split()
CLEAN_LEGAL = ("AB", "AG", "GmbH", "Inc", "Ltd", "Limited", "S.p.A.", "SAS", "Oy", "A/S", "BV", "Pty Ltd", "LLC", "plc")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _company(rng: random.Random) -> str:
    words = [_word(rng) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
    words += rng.sample(GENERIC, rng.choice((0, 1, 1, 2, 2, 3)))
    return " ".join([*words, rng.choice(LEGAL)])


def _person(rng: random.Random) -> str:
    parts = [rng.choice(GIVEN), _word(rng)]
    if rng.random() < 0.4:
        parts.insert(1, _word(rng))
    return " ".join(parts)


def synthetic_entities(n_names: int, seed: int) -> list[Entity]:
    """Entities whose primary names plus aliases add up to n_names: 85% companies, some persons, ~25% with aliases."""
    rng = random.Random(seed)
    out: list[Entity] = []
    total = 0
    while total < n_names:
        person = rng.random() < 0.15
        name = _person(rng) if person else _company(rng)
        aliases: list[Alias] = []
        for _ in range(rng.choices((0, 1, 2), (0.75, 0.2, 0.05))[0]):
            if total + 1 + len(aliases) >= n_names:
                break
            if person:
                alias = _person(rng)
            elif rng.random() < 0.5:  # a short form or former name
                alias = " ".join([name.split()[0], *rng.sample(GENERIC, 1), rng.choice(LEGAL)])
            else:
                alias = _company(rng)
            aliases.append(Alias(name=alias, kind=rng.choice(("aka", "fka")), weak=rng.random() < 0.03))
        out.append(Entity(
            entity_id=f"synthetic:{len(out):06d}", source="custom", name=name, aliases=aliases,
            type="person" if person else "company", countries=[rng.choice(COUNTRIES)],
        ))
        total += 1 + len(aliases)
    return out


# --- queries ----------------------------------------------------------------------------------

def _typo(rng: random.Random, s: str) -> str:
    i = rng.randrange(len(s))
    op = rng.choice(("swap", "drop", "insert", "replace"))
    if op == "swap" and i < len(s) - 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    if op == "drop" and len(s) > 4:
        return s[:i] + s[i + 1 :]
    if op == "insert":
        return s[:i] + rng.choice("aeiounrst") + s[i:]
    return s[:i] + rng.choice("aeiounrst") + s[i + 1 :]


def variant(rng: random.Random, name: str) -> str:
    """A listed name as a user might type it: a typo, words reordered, the legal form changed, or upper case."""
    words = name.split()
    kind = rng.choice(("typo", "typo", "reorder", "legal", "upper"))
    if kind == "reorder" and len(words) > 2:
        words[0], words[1] = words[1], words[0]
        return " ".join(words)
    if kind == "legal":
        core = [w for w in words if name_form(w).legal == ()] or words
        return " ".join([*core, rng.choice(LEGAL + CLEAN_LEGAL)])
    if kind == "upper":
        return name.upper().replace(".", "").replace(",", "")
    return _typo(rng, name)


def make_queries(listed: list[str], n: int, seed: int, variant_share: float = 0.2) -> tuple[list[str], list[bool]]:
    """n queries, shuffled, and which of them are variants: ordinary counterparties plus variants of listed names."""
    rng = random.Random(seed)
    n_var = round(n * variant_share)
    out = [(variant(rng, rng.choice(listed)), True) for _ in range(n_var)]
    for _ in range(n - n_var):
        words = [rng.choice(CLEAN_FIRST), *rng.sample(CLEAN_SECOND, rng.choice((1, 1, 2)))]
        if rng.random() < 0.3:
            words.insert(0, _word(rng))  # an unfamiliar word: some real names are made-up words too
        out.append((" ".join([*words, rng.choice(CLEAN_LEGAL)]), False))
    rng.shuffle(out)
    return [q for q, _ in out], [v for _, v in out]


# --- timing -----------------------------------------------------------------------------------

def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def per_query(fn: Callable[[str], object], queries: list[str]) -> np.ndarray:
    return np.array([timed(lambda q=q: fn(q)) for q in queries])


@dataclass
class Repeat:
    kernel_single_qps: float
    kernel_qps: float
    kernel_p50: float
    kernel_p99: float
    single_qps: float
    single_p50: float
    single_p99: float
    batch_qps: float
    base_qps: float
    base_p50: float
    base_p99: float

    @property
    def ratios(self) -> dict[str, float]:
        return {
            "kernel single qps / baseline qps": self.kernel_single_qps / self.base_qps,
            "kernel batch qps / baseline qps": self.kernel_qps / self.base_qps,
            "service single qps / baseline qps": self.single_qps / self.base_qps,
            "service batch qps / baseline qps": self.batch_qps / self.base_qps,
            "baseline p50 / service single p50": self.base_p50 / self.single_p50,
        }


def bench_watchlist(label: str, wl: Watchlist, queries: list[str], is_variant: list[bool], n_base: int,
                    repeats: int, workers: int) -> list[Repeat]:
    settings = Settings(watchlist=wl.path, workers=workers)
    service = Service(settings, watchlist=wl)
    opts: MatchOptions = service.matcher.options
    names = wl.display.to_list()  # the names as listed: what a user would hand to extractOne
    objs = [Query(name=q) for q in queries]
    batch = min(len(objs), settings.max_batch)
    base_queries = queries[:n_base]

    def vectors(tokens: list[tuple[str, ...]]):
        return ngrams.vectorise(tokens, wl.gram_map, wl.gram_idf, min_idf=wl.common_gram_idf)

    def kernel_one(q: tuple[str, ...]) -> object:
        return kernel.cosine_topk(vectors([q]), wl.names_t, k=opts.candidates, threshold=opts.ngram_floor)

    print(f"\n## {label}: {len(queries)} queries x {wl.n_names:,} names ({wl.n_entities:,} entities)")
    print(f"kernel: cosine_topk(k={opts.candidates}, floor={opts.ngram_floor}) of query 3-gram vectors against the "
          f"(grams x names) matrix: stage 1 of the matcher, vectorising included")
    print(f"service: Service.screen, threshold {settings.threshold}, limit {settings.limit}, batches of {batch}, "
          f"workers={workers}; query normalisation cache cleared before each timed pass")
    print(f"baseline: extractOne(name, names, scorer=fuzz.WRatio) on the first {len(base_queries)} of the queries")

    # Warm up: lazy indexes (postings), token weights, first-call costs. Not timed.
    service.screen(objs[: min(20, len(objs))])
    kernel_one(name_form(queries[0]).tokens)
    process.extractOne(queries[0], names, scorer=fuzz.WRatio)
    status = [r.status == "potential_match"
              for i in range(0, len(objs), batch) for r in service.screen(objs[i : i + batch]).results]
    var_hits = sum(h for h, v in zip(status, is_variant, strict=True) if v)
    clean_hits = sum(h for h, v in zip(status, is_variant, strict=True) if not v)
    print(f"sanity (not a benchmark of accuracy): potential matches on {var_hits} of {sum(is_variant)} variants "
          f"of listed names and on {clean_hits} of {len(queries) - sum(is_variant)} ordinary names")

    # The kernel takes normalised strings; normalisation is timed as part of the service.
    qcores = [name_form(q).tokens for q in queries]
    out = []
    for r in range(repeats):
        gc.collect()
        k_lat = per_query(kernel_one, qcores)
        k_tot = timed(lambda: kernel.cosine_topk(vectors(qcores), wl.names_t, k=opts.candidates,
                                                 threshold=opts.ngram_floor))
        name_form.cache_clear()
        s_lat = np.array([timed(lambda o=o: service.screen([o])) for o in objs])
        name_form.cache_clear()
        b_tot = timed(lambda: [service.screen(objs[i : i + batch]) for i in range(0, len(objs), batch)])
        b_lat = per_query(lambda q: process.extractOne(q, names, scorer=fuzz.WRatio), base_queries)
        rep = Repeat(
            kernel_single_qps=len(k_lat) / k_lat.sum(),
            kernel_qps=len(qcores) / k_tot,
            kernel_p50=float(np.percentile(k_lat, 50)), kernel_p99=float(np.percentile(k_lat, 99)),
            single_qps=len(s_lat) / s_lat.sum(),
            single_p50=float(np.percentile(s_lat, 50)), single_p99=float(np.percentile(s_lat, 99)),
            batch_qps=len(objs) / b_tot,
            base_qps=len(b_lat) / b_lat.sum(),
            base_p50=float(np.percentile(b_lat, 50)), base_p99=float(np.percentile(b_lat, 99)),
        )
        print(f"  repeat {r + 1}/{repeats}: kernel single {rep.kernel_single_qps:,.0f} q/s, batch {rep.kernel_qps:,.0f} q/s; "
              f"service single {rep.single_qps:,.0f} q/s, batch {rep.batch_qps:,.0f} q/s; "
              f"baseline {rep.base_qps:,.0f} q/s", flush=True)
        out.append(rep)
    report(out)
    return out


def report(reps: list[Repeat]) -> None:
    def med(attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in reps)

    ms = 1000.0
    rows = [
        ("kernel cosine_topk, single-query calls", med("kernel_single_qps"), med("kernel_p50") * ms, med("kernel_p99") * ms),
        ("kernel cosine_topk, one batched call", med("kernel_qps"), None, None),
        ("service screen, single queries", med("single_qps"), med("single_p50") * ms, med("single_p99") * ms),
        ("service screen, batches", med("batch_qps"), None, None),
        ("baseline extractOne WRatio", med("base_qps"), med("base_p50") * ms, med("base_p99") * ms),
    ]
    print(f"\n  {'measure (median of ' + str(len(reps)) + ' repeats)':<40} {'queries/s':>11} {'p50 ms':>9} {'p99 ms':>9}")
    for name, qps, p50, p99 in rows:
        p50s = f"{p50:9.3f}" if p50 is not None else f"{'-':>9}"
        p99s = f"{p99:9.3f}" if p99 is not None else f"{'-':>9}"
        print(f"  {name:<40} {qps:11,.0f} {p50s} {p99s}")
    print("  ratios, ours vs baseline (median of per-repeat ratios; >1 means ours is faster):")
    for key in reps[0].ratios:
        print(f"    {key:<38} {statistics.median(r.ratios[key] for r in reps):8.2f}x")


# --- the full shared list set: the matcher, both stages and each ---------------------------------

EVAL_DEV = ROOT.parent / "shared" / "eval-dev"


def dev_mix(n: int, seed: int) -> list[tuple[str, str | None, str | None]]:
    """(name, type, country) of n development-set queries (positives and negatives), a fixed-seed sample."""
    rows = []
    for name in ("positives.csv", "negatives.csv"):
        with (EVAL_DEV / name).open(encoding="utf-8", newline="") as f:
            rows += [(r["query_name"], r.get("query_type") or None, r.get("query_country") or None)
                     for r in csv.DictReader(f)]
    return random.Random(seed).sample(rows, min(n, len(rows)))


def bench_stages(wl: Watchlist, label: str, mix: list[tuple[str, str | None, str | None]], repeats: int,
                 workers: int, n_base: int, batch: int) -> dict[str, float]:
    """Stage 1, stage 2 (array program and twin), the whole matcher in batches and one name at a time,
    and the naive baseline, on the same queries, every repeat. Returns the medians."""
    forms = [QueryForm(name_form(n), t, c, raw=n) for n, t, c in mix]
    on = Matcher(wl, MatchOptions(workers=workers))
    off = Matcher(wl, replace(on.options, vectorised=False))
    t = time.perf_counter()
    on.stage2  # noqa: B018 -- built once per watchlist, on first use; timed here, not in the repeats
    build = time.perf_counter() - t
    names = wl.display.to_list()
    base = [n for n, _, _ in mix[:n_base]]
    blocks = [forms[i : i + batch] for i in range(0, len(forms), batch)]
    for m in (on, off):
        m.match(forms[:50], threshold=0.8, limit=10)  # warm-up: postings, token weights, first calls
    process.extractOne(base[0], names, scorer=fuzz.WRatio)
    cands = [on.candidates(b) for b in blocks]
    pairs = sum(len(c) for cs in cands for c in cs)
    hits = sum(len(h) for b in blocks for h in on.match(b, threshold=0.8, limit=10))
    print(f"\n## full shared list set, {label}: {len(forms)} names x {wl.n_names:,} listed names "
          f"({wl.n_entities:,} entities)")
    print(f"matcher: threshold 0.8, limit 10, workers={workers}, batches of {batch}; {pairs / len(forms):.1f} "
          f"candidates a name; {hits} hits; stage-2 index built in {build:.2f} s (once per watchlist, not timed below)")
    print(f"baseline: extractOne(name, names, scorer=fuzz.WRatio) on the first {len(base)} names")

    def stage2_only(m: Matcher) -> float:
        t = time.perf_counter()
        for b, c in zip(blocks, cands, strict=True):
            m.candidates = lambda qs, c=c: c  # stage 1 done already: time the scoring alone
            m.match(b, threshold=0.8, limit=10)
        dt = time.perf_counter() - t
        del m.candidates
        return dt

    def single(m: Matcher) -> np.ndarray:
        return np.array([timed(lambda f=f: m.match([f], threshold=0.8, limit=10)) for f in forms])

    def cold() -> None:
        """Each row starts with cold caches of token similarities and token keys: names not seen before."""
        scoring._similarity.cache_clear()
        stage2.token_keys.cache_clear()
        on.stage2._query_rows.clear()
        gc.collect()

    def row(fn: Callable[[], object]) -> float:
        cold()
        return len(forms) / timed(fn)

    rows: dict[str, list[float]] = {}
    for r in range(repeats):
        rep = {
            "stage 1 (candidates), batches": row(lambda: [on.candidates(b) for b in blocks]),
            "stage 2, array program, batches": (cold(), len(forms) / stage2_only(on))[1],
            "stage 2, twin, batches": (cold(), len(forms) / stage2_only(off))[1],
            "matcher, array program, batches": row(lambda: [on.match(b, threshold=0.8, limit=10) for b in blocks]),
            "matcher, twin, batches": row(lambda: [off.match(b, threshold=0.8, limit=10) for b in blocks]),
        }
        cold()
        lat_on = single(on)
        cold()
        lat_off = single(off)
        lat_base = per_query(lambda q: process.extractOne(q, names, scorer=fuzz.WRatio), base)
        rep |= {"matcher, one name at a time, array program on": len(forms) / lat_on.sum(),
                "matcher, one name at a time, off": len(forms) / lat_off.sum(),
                "baseline extractOne WRatio": len(base) / lat_base.sum(),
                "p50 on": float(np.percentile(lat_on, 50)) * 1e3, "p99 on": float(np.percentile(lat_on, 99)) * 1e3,
                "p50 off": float(np.percentile(lat_off, 50)) * 1e3, "p99 off": float(np.percentile(lat_off, 99)) * 1e3,
                "p50 base": float(np.percentile(lat_base, 50)) * 1e3}
        for k, v in rep.items():
            rows.setdefault(k, []).append(v)
        print(f"  repeat {r + 1}/{repeats}: " + ", ".join(f"{k} {v:,.0f} q/s" for k, v in rep.items()
                                                          if not k.startswith("p")) + f"; load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    med = {k: statistics.median(v) for k, v in rows.items()}
    ratio = {k: statistics.median(a / b for a, b in zip(v, rows["baseline extractOne WRatio"], strict=True))
             for k, v in rows.items() if not k.startswith("p")}
    print(f"\n  | measure (median of {repeats} repeats) | names/s | × baseline |")
    print("  |---|---:|---:|")
    for k in ratio:
        print(f"  | {k} | {med[k]:,.0f} | {ratio[k]:,.1f}× |")
    print(f"  one name at a time: p50 {med['p50 on']:.3f} ms, p99 {med['p99 on']:.3f} ms (array program on); "
          f"p50 {med['p50 off']:.3f} ms, p99 {med['p99 off']:.3f} ms (off); baseline p50 {med['p50 base']:.1f} ms")
    s2 = statistics.median(a / b for a, b in zip(rows["stage 2, array program, batches"], rows["stage 2, twin, batches"],
                                                 strict=True))
    m2 = statistics.median(a / b for a, b in zip(rows["matcher, array program, batches"], rows["matcher, twin, batches"],
                                                 strict=True))
    print(f"  array program ÷ twin (median of per-repeat ratios): stage 2 {s2:.2f}×, whole matcher {m2:.2f}×")
    return med


def machine() -> None:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print("# Matcher benchmark")
    print(f"machine: {platform.platform()}; CPU {cpu}; {os.cpu_count()} cores ({usable} usable)")
    print(f"python {platform.python_version()}, numpy {np.__version__}, rapidfuzz {rapidfuzz.__version__}; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (other work on the shared machine)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer queries and repeats (about 15 s on 2 cores)")
    ap.add_argument("--sizes", default="50000", help="comma-separated synthetic watchlist sizes in names (default 50000)")
    ap.add_argument("--queries", type=int, help="queries per watchlist (default 300; 80 with --quick)")
    ap.add_argument("--repeats", type=int, help="timed repeats; figures are medians (default 5; 3 with --quick)")
    ap.add_argument("--baseline-queries", type=int,
                    help="queries given to the baseline on large lists (default 100; 40 with --quick)")
    ap.add_argument("--workers", type=int, default=Settings().workers,
                    help="rapidfuzz cdist threads for kernel and service (default: the service default)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--names", type=int, help="names of each mix on the full shared list set (default 2000; 600 "
                    "with --quick)")
    ap.add_argument("--batch", type=int, default=Settings().max_batch, help="names per matcher batch (default: "
                    "the service's max_batch)")
    ap.add_argument("--lists-only", action="store_true", help="only the full shared list set")
    args = ap.parse_args(argv)
    n_queries = args.queries or (80 if args.quick else 300)
    repeats = args.repeats or (3 if args.quick else 5)
    n_base = args.baseline_queries or (40 if args.quick else 100)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    started = time.perf_counter()
    machine()
    n_names = args.names or (600 if args.quick else 2000)
    wl = Watchlist(combined_watchlist())
    print(f"full shared list set: {wl.path.name}, {wl.n_entities:,} entities, {wl.n_names:,} names; "
          f"{n_names} names of each mix, {repeats} repeats, fixed seed {args.seed}")
    bench_stages(wl, "dev-set mix (eval-dev positives + negatives)", dev_mix(n_names, args.seed), repeats,
                 args.workers, n_base, args.batch)
    mix = [(n, None, c or None) for n, c, _ in counterparties(n_names, listed_names(wl), args.seed + 1)]
    bench_stages(wl, "synthetic counterparty mix (benchmarks/common.py)", mix, repeats, args.workers, n_base,
                 args.batch)
    if args.lists_only:
        print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")
        return
    print(f"workload: {n_queries} queries x names of each watchlist (seed list, then synthetic {sizes}); "
          f"{repeats} repeats; fixed seed {args.seed}")
    print("queries: 80% ordinary company names not on any list, 20% variants of listed names "
          "(typos, reordered words, changed legal forms, upper case)")

    seed_wl = Watchlist(DEFAULT_WATCHLIST)
    queries, is_variant = make_queries(seed_wl.display.to_list(), n_queries, args.seed)
    # The seed list is tiny, so the baseline runs on every query there.
    bench_watchlist(f"seed watchlist {DEFAULT_WATCHLIST.relative_to(ROOT)}", seed_wl, queries, is_variant, len(queries),
                    repeats, args.workers)

    with tempfile.TemporaryDirectory(prefix="bench-matcher-") as tmp:
        for size in sizes:
            t = time.perf_counter()
            ents = synthetic_entities(size, args.seed)
            path = Path(tmp) / f"synthetic-{size}.wl"
            compile_watchlist(ents, path, watchlist_id=f"synthetic-{size}",
                              sources=[SourceInfo(source="custom", format="synthetic", entities=len(ents))])
            wl = Watchlist(path)
            print(f"\nbuilt synthetic watchlist: {len(ents):,} entities, {wl.n_names:,} names "
                  f"(generate + compile + load {time.perf_counter() - t:.1f} s, seed {args.seed})")
            listed = wl.display.to_list()
            queries, is_variant = make_queries(listed, n_queries, args.seed + size)
            bench_watchlist(f"synthetic watchlist, {size:,} names", wl, queries, is_variant, min(n_base, len(queries)),
                            repeats, args.workers)
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
