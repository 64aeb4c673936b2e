"""Scale: latency, throughput and resident memory against watchlist size, up to 1,000,000 names.

Run from the repository root:  .venv/bin/python benchmarks/bench_scale.py [--quick]

- Synthetic watchlists of 10k, 100k and 1M names (fixed seed; the generator of bench_matcher.py:
  company-like names with legal forms, 15% persons, a quarter with aliases), compiled with
  screening.watchlist.compile_watchlist once into benchmarks/out/synthetic-<n>.wl and reused.
- Each size is measured in a fresh process: load the artifact (Service), warm up, then
  single-name Service.screen latency (p50/p99 over the names, median over repeats), batch
  throughput (Service.screen_valid in chunks of 2,000), and resident memory (VmRSS after the
  run, VmHWM peak).
- Queries: the realistic counterparty mix of bench_batch.py, its listed share drawn from each list.
- Baseline beside each size: brute-force rapidfuzz cdist (fuzz.ratio, default-processed) of one
  name against every listed name.
- Writes benchmarks/out/scale.png (latency and throughput against size) and copies it to
  benchmarks/scale.png. Targets (issue 5) at 1M names: p50 <= 10 ms, resident memory <= 2 GB.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import OUT, SEED, counterparties, listed_names, machine, median, pct  # noqa: E402

TARGET_P50_MS, TARGET_RSS_GB = 10.0, 2.0


def artifact(n: int, seed: int) -> Path:
    """benchmarks/out/synthetic-<n>.wl, compiled once (again if the artifact format changed)."""
    from screening.errors import WatchlistError
    from screening.watchlist import SourceInfo, Watchlist, compile_watchlist

    path = OUT / f"synthetic-{n}-{seed}.wl"
    if path.exists():
        try:
            Watchlist(path)
            return path
        except WatchlistError:
            path.unlink()
    from bench_matcher import synthetic_entities

    OUT.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    ents = synthetic_entities(n, seed)
    compile_watchlist(ents, path, watchlist_id=f"synthetic-{n}",
                      sources=[SourceInfo("custom", "synthetic", len(ents))])
    print(f"  compiled {path.name}: {len(ents):,} entities in {time.perf_counter() - start:.0f} s", flush=True)
    return path


def rss_kb() -> tuple[int, int]:
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def measure(path: Path, names: int, repeats: int, baseline_names: int, seed: int) -> dict:
    """One size, in this (fresh) process."""
    import numpy as np
    from rapidfuzz import fuzz, process, utils

    from screening.config import Settings
    from screening.normalise import name_form
    from screening.service import Query, Service

    rss0, _ = rss_kb()
    t = time.perf_counter()
    svc = Service(Settings(watchlist=path, reload_interval=0))
    svc.screen([Query(name="warm up")])
    load_s = time.perf_counter() - t
    wl = svc.watchlist
    mix = counterparties(names, listed_names(wl), seed)
    queries = [Query(name=n, country=c or None) for n, c, _ in mix]
    for q in queries[:20]:
        svc.screen([q])
    p50s, p99s, rates = [], [], []
    for _ in range(repeats):
        name_form.cache_clear()
        lat = []
        for q in queries:
            t = time.perf_counter()
            svc.screen([q])
            lat.append((time.perf_counter() - t) * 1e3)
        p50s.append(pct(lat, 50))
        p99s.append(pct(lat, 99))
        name_form.cache_clear()
        t = time.perf_counter()
        svc.screen_valid(queries, threshold=svc.settings.threshold, limit=svc.settings.limit)
        rates.append(len(queries) / (time.perf_counter() - t))
    choices = [utils.default_process(c) for c in wl.display]
    base = []
    for n, _, _ in mix[:baseline_names]:
        t = time.perf_counter()
        int(np.argmax(process.cdist([utils.default_process(n)], choices, scorer=fuzz.ratio, workers=1)[0]))
        base.append((time.perf_counter() - t) * 1e3)
    rss, hwm = rss_kb()
    return {"names": wl.n_names, "entities": wl.n_entities, "load_s": load_s, "p50_ms": median(p50s),
            "p99_ms": median(p99s), "batch_names_per_s": median(rates), "baseline_p50_ms": pct(base, 50),
            "rss_mb": rss / 1024, "peak_rss_mb": hwm / 1024, "rss_before_load_mb": rss0 / 1024,
            "artifact_mb": path.stat().st_size / 2**20}


def plot(rows: list[dict], png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["names"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    a.plot(sizes, [r["p50_ms"] for r in rows], "o-", label="Service.screen p50")
    a.plot(sizes, [r["p99_ms"] for r in rows], "o--", label="Service.screen p99")
    a.plot(sizes, [r["baseline_p50_ms"] for r in rows], "s:", label="baseline: brute-force cdist p50")
    a.axhline(TARGET_P50_MS, color="grey", lw=0.8, ls="--")
    a.text(sizes[0], TARGET_P50_MS * 1.1, "target p50 at 1M: 10 ms", fontsize=8, color="grey")
    a.set(xscale="log", yscale="log", xlabel="watchlist names", ylabel="ms per name", title="Single-name latency")
    a.legend(fontsize=8)
    b.plot(sizes, [r["batch_names_per_s"] for r in rows], "o-", label="Service.screen_valid, 1 process")
    b.plot(sizes, [1000 / r["baseline_p50_ms"] for r in rows], "s:", label="baseline: brute-force cdist")
    b.set(xscale="log", yscale="log", xlabel="watchlist names", ylabel="names per second",
          title="Batch throughput (one process)")
    b.legend(fontsize=8)
    fig.suptitle("screening: latency and throughput against watchlist size (synthetic lists, fixed seed)", fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--names", type=int, default=300, help="query names per size")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--baseline-names", type=int, default=30)
    ap.add_argument("--quick", action="store_true", help="sizes 10k and 100k, 200 names, 2 repeats")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # internal: measure one artifact, print JSON
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.names, args.repeats, args.baseline_names, args.seed + 3)))
        return
    if args.quick:
        args.sizes, args.names, args.repeats = "10000,100000", 200, 2
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"machine: {machine()}")
    print(f"workload: synthetic watchlists of {', '.join(f'{s:,}' for s in sizes)} names (seed {args.seed}); "
          f"{args.names} query names (realistic mix), {args.repeats} repeats; baseline on {args.baseline_names} names")
    rows = []
    for n in sizes:
        path = artifact(n, args.seed)
        out = subprocess.run([sys.executable, __file__, "--measure", str(path), "--names", str(args.names),
                              "--repeats", str(args.repeats), "--baseline-names", str(args.baseline_names),
                              "--seed", str(args.seed)], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"  {row['names']:>9,} names: p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms, "
              f"batch {row['batch_names_per_s']:,.0f} names/s, RSS {row['rss_mb']:,.0f} MB "
              f"(peak {row['peak_rss_mb']:,.0f}), load {row['load_s']:.1f} s; baseline cdist p50 "
              f"{row['baseline_p50_ms']:.2f} ms", flush=True)
    print("\n| watchlist names | entities | artifact MB | load s | p50 ms | p99 ms | batch names/s | RSS MB (peak) "
          "| baseline cdist p50 ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['names']:,} | {r['entities']:,} | {r['artifact_mb']:.0f} | {r['load_s']:.1f} | {r['p50_ms']:.2f} "
              f"| {r['p99_ms']:.2f} | {r['batch_names_per_s']:,.0f} | {r['rss_mb']:,.0f} ({r['peak_rss_mb']:,.0f}) "
              f"| {r['baseline_p50_ms']:.2f} |")
    big = rows[-1]
    print(f"at {big['names']:,} names: p50 {big['p50_ms']:.2f} ms (target ≤ {TARGET_P50_MS:g} ms), resident "
          f"{big['rss_mb'] / 1024:.2f} GB, peak {big['peak_rss_mb'] / 1024:.2f} GB (target ≤ {TARGET_RSS_GB:g} GB)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_scale.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    png = OUT / "scale.png"
    plot(rows, png)
    if len(rows) >= 3:  # the committed plot is the full run's
        shutil.copyfile(png, ROOT / "benchmarks" / "scale.png")
    print(f"plot: {png}" + (" (copied to benchmarks/scale.png)" if len(rows) >= 3 else ""))


if __name__ == "__main__":
    main()
