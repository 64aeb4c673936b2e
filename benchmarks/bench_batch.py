"""Batch throughput: `screen file` end to end against the full shared list set, on the dev-set mix and a synthetic mix.

Run from the repository root:  .venv/bin/python benchmarks/bench_batch.py [--quick] [--before /path/to/old/screen]

Measured in one run, on the same names:
  file       the real `screen` binary, `screen file IN -o OUT --jobs 1` and `--jobs 2` (CSV in, CSV out),
             timed by the wall clock (process start included) and by the run's own summary line;
             median of repeats, on two workloads:
               dev      100,000 rows sampled (fixed seed, with replacement) from the queries of
                        ../shared/eval-dev positives.csv + negatives.csv: name, country, type as given.
                        5,754 queries, so most names recur (as counterparties recur in real files);
               synth    the synthetic counterparty mix of benchmarks/common.py (nearly all names distinct);
             with --before, the same runs with another checkout's `screen` (e.g. main's) as the before figure
             (--before-watchlist: the lists as that checkout compiled them, when its normaliser differs);
  service    Service.screen_valid in chunks of screening.batch.CHUNK, one process, on distinct dev-set names
             (what the matcher costs per distinct name, without files);
  baseline   rapidfuzz.process.extractOne(name, names, scorer=fuzz.WRatio) per name, on a sample.
Outputs of --jobs 1 and --jobs 2 (and --before) are compared byte for byte (a before whose matcher scores
otherwise differs, and says so).
Target (issue 14): >= 20,000 names/s with --jobs 2 on the dev mix; --jobs 2 >= 1.8x --jobs 1.
Results also go to benchmarks/out/bench_batch.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import OUT, SCREEN, SEED, combined_watchlist, counterparties, listed_names, machine, median  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from screening import batch  # noqa: E402
from screening.config import Settings  # noqa: E402
from screening.normalise import name_form  # noqa: E402
from screening.service import Query, Service  # noqa: E402

TARGET = 20_000
EVAL_DEV = ROOT.parent / "shared" / "eval-dev"


def service_pass(svc: Service, queries: list[Query], threshold: float) -> tuple[float, list[str]]:
    name_form.cache_clear()  # normalisation is paid for every name, as for a fresh file
    statuses: list[str] = []
    start = time.perf_counter()
    for i in range(0, len(queries), batch.CHUNK):
        res = svc.screen_valid(queries[i:i + batch.CHUNK], threshold=threshold, limit=svc.settings.limit)
        statuses.extend(r.status for r in res)
    return time.perf_counter() - start, statuses


def dev_mix(n: int, seed: int) -> list[tuple[str, str, str]]:
    """`n` queries (name, country, type) drawn with replacement from the dev set's positives and negatives."""
    qs: list[tuple[str, str, str]] = []
    for f in ("positives.csv", "negatives.csv"):
        with open(EVAL_DEV / f, encoding="utf-8", newline="") as fh:
            qs += [(r["query_name"], r["query_country"], r["query_type"]) for r in csv.DictReader(fh)]
    rng = random.Random(seed)
    return [rng.choice(qs) for _ in range(n)]


def write_csv(path: Path, rows: list[tuple[str, ...]], header: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", *header])
        w.writerows([f"CP-{i:06d}", *r] for i, r in enumerate(rows))
    return path


_IN = re.compile(r" in ([0-9.]+) s ")


def file_run(screen: Path, wl: Path, path: Path, out: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, the run's own seconds from its summary line) of one `screen file`."""
    env = {**os.environ, "SCREENING_WATCHLIST": str(wl)}
    start = time.perf_counter()
    res = subprocess.run([str(screen), "file", str(path), "-o", str(out), "--jobs", str(jobs)], env=env,
                         capture_output=True, text=True)
    wall = time.perf_counter() - start
    if res.returncode not in (0, 1):
        sys.exit(f"{screen} file failed ({res.returncode}): {res.stderr}")
    m = _IN.search(res.stderr)
    return wall, float(m.group(1)) if m else wall


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
    ap.add_argument("--names", type=int, default=100_000, help="rows of the dev-mix file")
    ap.add_argument("--synth-names", type=int, default=20_000, help="rows of the synthetic-mix file")
    ap.add_argument("--repeats", type=int, default=3, help="runs per --jobs setting")
    ap.add_argument("--service-names", type=int, default=2_000, help="distinct dev names for the service figure")
    ap.add_argument("--sample", type=int, default=200, help="names for the extractOne baseline")
    ap.add_argument("--before", type=Path, help="another checkout's screen binary, run the same way")
    ap.add_argument("--before-watchlist", type=Path,
                    help="the lists compiled by that checkout (its normaliser may read this one's artifact as stale)")
    ap.add_argument("--quick", action="store_true", help="20,000 dev rows, 5,000 synthetic, 1 repeat")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    if args.quick:
        args.names, args.synth_names, args.repeats, args.sample = 20_000, 5_000, 1, 100

    wl_path = combined_watchlist()
    svc = Service(Settings(watchlist=wl_path, reload_interval=0))
    wl = svc.watchlist
    threshold = svc.settings.threshold
    print(f"machine: {machine()}")
    print(f"watchlist: {wl_path.name} {wl.version}: {wl.n_entities:,} entities, {wl.n_names:,} names")
    dev = dev_mix(args.names, args.seed)
    synth = [(n, c) for n, c, _ in counterparties(args.synth_names, listed_names(wl), args.seed)]
    print(f"workload: dev mix {len(dev):,} rows, {len(set(dev)):,} distinct (seed {args.seed}); synthetic mix "
          f"{len(synth):,} rows, {len(set(synth)):,} distinct; threshold {threshold}, limit {svc.settings.limit}, "
          f"chunks of {batch.CHUNK}", flush=True)

    # the matcher alone, per distinct name
    distinct = list(dict.fromkeys(dev))[:args.service_names]
    queries = [Query(name=n, country=c.strip() or None, type=t or None) for n, c, t in distinct
               if not c.strip() or len(c.strip()) == 2]
    svc.screen_valid(queries[:50], threshold=threshold, limit=svc.settings.limit)  # warm-up: lazy indexes
    seconds, _ = service_pass(svc, queries, threshold)
    svc_rate = len(queries) / seconds
    print(f"  service, distinct dev names, 1 process: {svc_rate:,.0f} names/s on {len(queries):,}", flush=True)

    binaries = {"after": SCREEN, **({"before": args.before} if args.before else {})}
    results: dict[str, dict[str, dict[int, list[tuple[float, float]]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = {"dev": write_csv(Path(tmp) / "dev.csv", dev, ["name", "country", "type"]),
                 "synth": write_csv(Path(tmp) / "synth.csv", synth, ["name", "country"])}
        for mix, path in files.items():
            outputs: dict[tuple[str, int], bytes] = {}
            for r in range(args.repeats):
                for label, screen in binaries.items():
                    for jobs in (1, 2):
                        out = Path(tmp) / f"out-{label}-{jobs}.csv"
                        lists = args.before_watchlist if label == "before" and args.before_watchlist else wl_path
                        wall, own = file_run(screen, lists, path, out, jobs)
                        results.setdefault(mix, {}).setdefault(label, {}).setdefault(jobs, []).append((wall, own))
                        outputs[(label, jobs)] = out.read_bytes()
                        rows = len(dev) if mix == "dev" else len(synth)
                        print(f"  {mix} {label} --jobs {jobs}, repeat {r + 1}: {rows / wall:,.0f} rows/s wall "
                              f"({wall:.2f} s; {rows / own:,.0f} rows/s by its summary), load average "
                              f"{os.getloadavg()[0]:.1f}", flush=True)
            for label in binaries:  # --jobs 1 and --jobs 2 of one screen must agree byte for byte
                same = outputs[(label, 1)] == outputs[(label, 2)]
                print(f"  {mix}: {label} --jobs 1 and --jobs 2 outputs {'byte-identical' if same else 'DIFFER'}",
                      flush=True)
            if len(binaries) > 1:
                same = outputs[("after", 1)] == outputs[("before", 1)]
                print(f"  {mix}: after and before outputs {'byte-identical' if same else 'differ (other scores)'}",
                      flush=True)

    choices = list(wl.display)
    sample = [n for n, _, _ in distinct[:args.sample]]
    base_rate = len(sample) / extract_one_baseline(sample, choices)
    print(f"  baseline extractOne+WRatio: {base_rate:,.1f} names/s on {len(sample)} dev names", flush=True)

    print(f"\n| workload | screen | --jobs 1 rows/s | --jobs 2 rows/s | --jobs 2 / --jobs 1 | --jobs 2 × baseline "
          f"({base_rate:,.1f}/s) |")
    print("|---|---|---:|---:|---:|---:|")
    summary = {}
    for mix, by_label in results.items():
        rows = len(dev) if mix == "dev" else len(synth)
        for label, by_jobs in by_label.items():
            r1 = rows / median([w for w, _ in by_jobs[1]])
            r2 = rows / median([w for w, _ in by_jobs[2]])
            summary[f"{mix}/{label}"] = {"jobs1": r1, "jobs2": r2}
            print(f"| {mix} ({rows:,} rows) | {label} | {r1:,.0f} | {r2:,.0f} | {r2 / r1:.2f}× | {r2 / base_rate:,.0f}× |")
    if "before" in binaries:
        for mix in results:
            a, b = summary[f"{mix}/after"], summary[f"{mix}/before"]
            print(f"{mix}: after / before, --jobs 1 {a['jobs1'] / b['jobs1']:.2f}×, --jobs 2 {a['jobs2'] / b['jobs2']:.2f}×")
    print(f"service (matcher, distinct dev names, 1 process): {svc_rate:,.0f} names/s; target {TARGET:,} rows/s "
          f"end to end with --jobs 2; load average at the end {os.getloadavg()}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_batch.json").write_text(json.dumps({
        "machine": machine(), "results": {m: {lab: {str(j): v for j, v in bj.items()} for lab, bj in bl.items()}
                                          for m, bl in results.items()},
        "summary": summary, "service_rate": svc_rate, "extractone_rate": base_rate}, indent=2))


if __name__ == "__main__":
    main()
