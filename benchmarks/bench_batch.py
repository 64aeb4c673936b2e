"""Batch throughput: 100,000 counterparty names (a realistic mix) against the combined official lists + seeds.

Run from the repository root:  .venv/bin/python benchmarks/bench_batch.py [--quick]

Measured in one run, on the same names:
  service    Service.screen_valid in chunks of screening.batch.CHUNK, one process (what each
             `screen file` worker runs); the median over slices of the names, and the whole pass;
  file       screen_file end to end (CSV in, CSV out) with --jobs 1 and --jobs 2, median of repeats;
  baseline   rapidfuzz.process.extractOne(name, names, scorer=fuzz.WRatio) per name, on a sample;
             nomenklatura logic-v2 per name against every listed entity, on a time-bounded sample
             (when nomenklatura is installed).
Target (issue 5): >= 20,000 names/s. Results also go to benchmarks/out/bench_batch.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import OUT, SEED, combined_watchlist, counterparties, listed_names, machine, median  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from screening import batch  # noqa: E402
from screening.batch import FileOptions, screen_file  # noqa: E402
from screening.config import Settings  # noqa: E402
from screening.normalise import name_form  # noqa: E402
from screening.service import Query, Service  # noqa: E402

TARGET = 20_000


def service_pass(svc: Service, queries: list[Query], threshold: float) -> tuple[float, list[str]]:
    name_form.cache_clear()  # normalisation is paid for every name, as for a fresh file
    statuses: list[str] = []
    start = time.perf_counter()
    for i in range(0, len(queries), batch.CHUNK):
        res = svc.screen_valid(queries[i:i + batch.CHUNK], threshold=threshold, limit=svc.settings.limit)
        statuses.extend(r.status for r in res)
    return time.perf_counter() - start, statuses


def file_pass(svc: Service, path: Path, jobs: int) -> float:
    name_form.cache_clear()
    out = io.StringIO()
    summary = screen_file(svc, path, out, FileOptions(), jobs=jobs)
    return summary.seconds


def extract_one_baseline(names: list[str], choices: list[str]) -> float:
    start = time.perf_counter()
    for n in names:
        process.extractOne(n, choices, scorer=fuzz.WRatio)
    return time.perf_counter() - start


def nomenklatura_baseline(svc: Service, names: list[str], seconds: float) -> tuple[int, float] | None:
    """logic-v2 over every listed entity, name by name, until `seconds` have passed (at least one name)."""
    try:
        from followthemoney import model as ftm
        from nomenklatura.matching import get_algorithm
    except ImportError:
        return None
    algo = get_algorithm("logic-v2")
    if algo is None:
        return None
    wl = svc.watchlist
    schema_of = {"person": "Person", "company": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}
    entities = []
    for i in range(wl.n_entities):
        e = wl.entity(i)
        ce = ftm.make_entity(schema_of.get(e.type, "LegalEntity"))
        ce.id = e.entity_id
        ce.add("name", e.name)
        ce.add("alias", [a.name for a in e.aliases if not a.weak])
        ce.add("country", e.countries)
        entities.append(ce)
    try:
        config = algo.default_config()
    except AttributeError:
        config = None
    done, start = 0, time.perf_counter()
    for n, name in enumerate(names):
        qe = ftm.make_entity("LegalEntity")
        qe.id = f"query-{n}"
        qe.add("name", name)
        for ce in entities:
            algo.compare(qe, ce, config) if config is not None else algo.compare(qe, ce)
        done += 1
        if time.perf_counter() - start > seconds:
            break
    return done, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--names", type=int, default=100_000)
    ap.add_argument("--slices", type=int, default=5, help="service throughput: median over this many slices")
    ap.add_argument("--file-names", type=int, default=20_000, help="rows in the end-to-end screen_file runs")
    ap.add_argument("--repeats", type=int, default=3, help="end-to-end runs per --jobs setting")
    ap.add_argument("--sample", type=int, default=200, help="names for the extractOne baseline")
    ap.add_argument("--nk-seconds", type=float, default=20.0, help="time bound of the nomenklatura baseline")
    ap.add_argument("--quick", action="store_true", help="20,000 names, 5,000 end to end, 2 repeats")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    if args.quick:
        args.names, args.file_names, args.repeats, args.sample, args.nk_seconds = 20_000, 5_000, 2, 100, 10.0

    wl_path = combined_watchlist()
    svc = Service(Settings(watchlist=wl_path, reload_interval=0))
    wl = svc.watchlist
    threshold = svc.settings.threshold
    mix = counterparties(args.names, listed_names(wl), args.seed)
    queries = [Query(name=n, country=c or None) for n, c, _ in mix]
    print(f"machine: {machine()}")
    print(f"watchlist: {wl_path.name} {wl.version}: {wl.n_entities:,} entities, {wl.n_names:,} names")
    print(f"workload: {args.names:,} counterparty names (seed {args.seed}), mix "
          f"{dict(Counter(k for _, _, k in mix))}; threshold {threshold}, limit {svc.settings.limit}, "
          f"chunks of {batch.CHUNK}")
    svc.screen_valid(queries[:200], threshold=threshold, limit=svc.settings.limit)  # warm-up: lazy indexes

    # service, one process, slice by slice
    size = args.names // args.slices
    rates, statuses = [], []
    total = 0.0
    for s in range(args.slices):
        seconds, st = service_pass(svc, queries[s * size:(s + 1) * size], threshold)
        rates.append(size / seconds)
        statuses += st
        total += seconds
        print(f"  service slice {s + 1}/{args.slices}: {size / seconds:,.0f} names/s", flush=True)
    hits = Counter((k, st) for (_, _, k), st in zip(mix, statuses, strict=False))
    sanity = {k: f"{hits[(k, 'potential_match')]}/{hits[(k, 'potential_match')] + hits[(k, 'clear')]}"
              for k in ("company", "person", "listed-exact", "listed-variant")}
    print(f"  potential matches by kind (sanity, not accuracy): {sanity}")

    # end to end: screen_file with 1 and 2 processes
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "counterparties.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["id", "name", "country"])
            w.writerows([f"CP-{i:06d}", n, c] for i, (n, c, _) in enumerate(mix[:args.file_names]))
        e2e: dict[int, list[float]] = {1: [], 2: []}
        for r in range(args.repeats):
            for jobs in (1, 2):
                rate = args.file_names / file_pass(svc, path, jobs)
                e2e[jobs].append(rate)
                print(f"  screen_file --jobs {jobs}, repeat {r + 1}: {rate:,.0f} rows/s (load average "
                      f"{os.getloadavg()[0]:.1f})", flush=True)

    # baselines
    choices = list(wl.display)
    sample = [n for n, _, _ in mix[:args.sample]]
    base_rate = len(sample) / extract_one_baseline(sample, choices)
    print(f"  baseline extractOne+WRatio: {base_rate:,.1f} names/s on {len(sample)} names", flush=True)
    nk = nomenklatura_baseline(svc, sample, args.nk_seconds)
    nk_rate = nk[0] / nk[1] if nk else None
    print("  baseline nomenklatura logic-v2: " + (f"{nk_rate:,.2f} names/s on {nk[0]} names" if nk else
                                                 "not installed, skipped"), flush=True)

    svc_rate = median(rates)
    rows = [
        ("service, 1 process (median of slices)", svc_rate),
        (f"service, 1 process (whole {args.names:,})", args.names / total),
        ("screen_file --jobs 1 (CSV in/out, median)", median(e2e[1])),
        ("screen_file --jobs 2 (CSV in/out, median)", median(e2e[2])),
    ]
    print(f"\n| measure | names/s | target | × extractOne+WRatio ({base_rate:,.1f}/s)"
          + (f" | × nomenklatura logic-v2 ({nk_rate:,.2f}/s)" if nk_rate else "") + " |")
    print("|---|---:|---:|---:|" + ("---:|" if nk_rate else ""))
    for label, rate in rows:
        print(f"| {label} | {rate:,.0f} | {TARGET:,} | {rate / base_rate:,.0f}×"
              + (f" | {rate / nk_rate:,.0f}×" if nk_rate else "") + " |")
    print(f"\n--jobs 2 ÷ --jobs 1: {median(e2e[2]) / median(e2e[1]):.2f}×")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_batch.json").write_text(json.dumps({
        "machine": machine(), "names": args.names, "service_rates": rates, "file_rates": e2e,
        "extractone_rate": base_rate, "nomenklatura_rate": nk_rate, "sanity": sanity}, indent=2))


if __name__ == "__main__":
    main()
