"""Single-name latency: Service.screen for one name, in process, against the combined official lists + seeds.

Run from the repository root:  .venv/bin/python benchmarks/bench_single.py [--quick]

Measured in one run, on the same names (the realistic counterparty mix of bench_batch.py):
  service    Service.screen([Query(name=...)]) one call per name: validation, normalisation,
             retrieval, scoring and the pydantic response (what GET /v1/screen runs);
  baseline   brute-force rapidfuzz.process.cdist of the one name against every listed name
             (fuzz.ratio on default-processed strings, and fuzz.WRatio), plus the argmax.
  service, twin  the same with MatchOptions(vectorised=False): stage 2 scored by scoring.compare per
             candidate. One name has ~10 candidates, fewer than stage2.TWIN_BELOW pairs, so the
             array program hands it to the twin anyway: the two rows should agree.
Each repeat times every name once (the normalisation, token-similarity and token-key caches cleared
before each row); the figures are the
median over repeats of each repeat's p50 and p99. Target (issue 14): p50 <= 0.5 ms, p99 <= 2 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dataclasses import replace  # noqa: E402

import numpy as np  # noqa: E402
from common import OUT, SEED, cold_caches, combined_watchlist, counterparties, listed_names, machine, median, pct  # noqa: E402
from rapidfuzz import fuzz, process, utils  # noqa: E402

from screening.config import Settings  # noqa: E402
from screening.matcher import Matcher  # noqa: E402
from screening.service import Query, Service  # noqa: E402

TARGET_P50, TARGET_P99 = 0.5, 2.0


def time_each(fn, items) -> list[float]:
    out = []
    for x in items:
        t = time.perf_counter()
        fn(x)
        out.append((time.perf_counter() - t) * 1e3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--names", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--baseline-names", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="300 names, 3 repeats")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    if args.quick:
        args.names, args.repeats, args.baseline_names = 300, 3, 100

    wl_path = combined_watchlist()
    svc = Service(Settings(watchlist=wl_path, reload_interval=0))
    wl = svc.watchlist
    twin = Service(Settings(watchlist=wl_path, reload_interval=0), watchlist=wl)
    twin.matcher = Matcher(wl, replace(svc.matcher.options, vectorised=False))
    mix = counterparties(args.names, listed_names(wl), args.seed + 1)
    queries = [Query(name=n, country=c or None) for n, c, _ in mix]
    choices = list(wl.display)
    processed = [utils.default_process(c) for c in choices]
    print(f"machine: {machine()}")
    print(f"watchlist: {wl_path.name} {wl.version}: {wl.n_entities:,} entities, {wl.n_names:,} names")
    print(f"workload: {args.names} single-name calls per repeat (realistic mix, seed {args.seed + 1}), "
          f"{args.repeats} repeats; baseline on {args.baseline_names} of the names; threshold "
          f"{svc.settings.threshold}, limit {svc.settings.limit}, workers {svc.settings.workers}")
    for q in queries[:50]:
        svc.screen([q])  # warm-up
        twin.screen([q])

    def brute(scorer, prep):
        def run(name: str) -> None:
            scores = process.cdist([prep(name)], processed if prep is utils.default_process else choices,
                                   scorer=scorer, workers=1)
            int(np.argmax(scores[0]))
        return run

    results: dict[str, dict[str, list[float]]] = {k: {"p50": [], "p99": []} for k in
                                                  ("service", "service, twin", "cdist ratio",
                                                                         "cdist WRatio")}
    base_names = [n for n, _, _ in mix[:args.baseline_names]]
    def cold() -> None:
        cold_caches(svc.matcher)

    for r in range(args.repeats):
        cold()
        runs = {"service": time_each(lambda q: svc.screen([q]), queries)}
        cold()
        runs |= {"service, twin": time_each(lambda q: twin.screen([q]), queries),
                "cdist ratio": time_each(brute(fuzz.ratio, utils.default_process), base_names),
                "cdist WRatio": time_each(brute(fuzz.WRatio, lambda s: s), base_names)}
        for k, lat in runs.items():
            results[k]["p50"].append(pct(lat, 50))
            results[k]["p99"].append(pct(lat, 99))
        print(f"  repeat {r + 1}: " + ", ".join(f"{k} p50 {pct(v, 50):.3f} ms p99 {pct(v, 99):.3f} ms"
                                                 for k, v in runs.items()), flush=True)

    med = {k: (median(v["p50"]), median(v["p99"])) for k, v in results.items()}
    print("\n| measure | p50 ms | p99 ms | target p50 / p99 |")
    print("|---|---:|---:|---|")
    for k, (p50, p99) in med.items():
        target = f"≤ {TARGET_P50:g} ms / ≤ {TARGET_P99:g} ms" if k.startswith("service") else "baseline"
        print(f"| {k} | {p50:.3f} | {p99:.3f} | {target} |")
    s50, s99 = med["service"]
    for k in ("cdist ratio", "cdist WRatio"):
        print(f"{k} p50 ÷ service p50: {med[k][0] / s50:.1f}×; p99 ÷ p99: {med[k][1] / s99:.1f}×")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_single.json").write_text(json.dumps({"machine": machine(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
