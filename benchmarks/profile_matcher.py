"""Where the time of Service.screen goes, on the full shared list set: batches and one name at a time.

Run from the repository root:  .venv/bin/python benchmarks/profile_matcher.py [--names N] [--mix dev|synthetic]

Each part is timed by wrapping the function that does it (no profiler overhead on the rest):
normalisation (name_form), stage 1 (Matcher.candidates), stage 2's array program (stage2.score_pairs,
less the pairs it hands to the twin), the twin (scoring.compare: the pairs the array program hands
over, small batches, and the explanation of each returned hit), the results (Service._hit: entity
records and pydantic models), and the rest (the matcher's per-candidate loop, validation). Every pass
starts with cold caches (normalisation, token similarities, token keys). Fixed seed; medians of
repeats; load average printed. --twin-below 0 gives even one name to the array program.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_matcher import dev_mix  # noqa: E402
from common import SEED, cold_caches, combined_watchlist, counterparties, listed_names, machine  # noqa: E402

from screening import matcher, service, stage2  # noqa: E402
from screening.config import Settings  # noqa: E402
from screening.service import Query, Service  # noqa: E402

PARTS = ("normalisation", "stage 1", "stage 2 array program", "stage 2 twin", "results (pydantic)", "rest")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--names", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mix", choices=("dev", "synthetic"), default="dev")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--twin-below", type=int, default=stage2.TWIN_BELOW,
                    help=f"batches of fewer pairs go to the twin whole (default stage2.TWIN_BELOW, {stage2.TWIN_BELOW})")
    args = ap.parse_args()
    stage2.TWIN_BELOW = args.twin_below
    svc = Service(Settings(watchlist=combined_watchlist(), reload_interval=0))
    wl = svc.watchlist
    if args.mix == "dev":
        mix = [(n, t) for n, t, _ in dev_mix(args.names, args.seed)]
    else:
        mix = [(n, None) for n, _, _ in counterparties(args.names, listed_names(wl), args.seed + 1)]
    queries = [Query(name=n, type=t) for n, t in mix]
    print(f"machine: {machine()}")
    print(f"watchlist: {wl.path.name}: {wl.n_entities:,} entities, {wl.n_names:,} names; {len(queries)} names "
          f"({args.mix} mix, seed {args.seed}), {args.repeats} repeats; threshold {svc.settings.threshold}")

    spent: dict[str, float] = defaultdict(float)

    def wrap(owner: object, attr: str, part: str) -> None:
        fn = getattr(owner, attr)

        def timed(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[part] += time.perf_counter() - t
        setattr(owner, attr, timed)

    wrap(service, "name_form", "normalisation")
    wrap(matcher.Matcher, "candidates", "stage 1")
    wrap(stage2, "score_pairs", "stage 2 array program")
    wrap(stage2, "compare", "stage 2 twin, inside the array program")
    wrap(matcher, "compare", "stage 2 twin")
    wrap(Service, "_hit", "results (pydantic)")
    svc.screen(queries[:50])
    svc.matcher.stage2  # noqa: B018 -- built once per watchlist

    def cold() -> None:
        cold_caches(svc.matcher)

    for label, batches in (("batches of 1000", [queries[i : i + 1000] for i in range(0, len(queries), 1000)]),
                           ("one name at a time", [[q] for q in queries])):
        shares: dict[str, list[float]] = defaultdict(list)
        totals = []
        for _ in range(args.repeats):
            cold()
            spent.clear()
            t = time.perf_counter()
            for b in batches:
                svc.screen(b)
            total = time.perf_counter() - t
            twin_in = spent["stage 2 twin, inside the array program"]
            parts = {
                "normalisation": spent["normalisation"],
                "stage 1": spent["stage 1"],
                "stage 2 array program": spent["stage 2 array program"] - twin_in,
                "stage 2 twin": spent["stage 2 twin"] + twin_in,
                "results (pydantic)": spent["results (pydantic)"],
            }
            parts["rest"] = total - sum(parts.values())
            totals.append(total)
            for k, v in parts.items():
                shares[k].append(v)
        total = statistics.median(totals)
        print(f"\n{label}: {len(queries) / total:,.0f} names/s, {total / len(queries) * 1e3:.3f} ms a name "
              f"(median of {args.repeats})")
        print("| part | ms a name | share |")
        print("|---|---:|---:|")
        for k in PARTS:
            v = statistics.median(shares[k])
            print(f"| {k} | {v / len(queries) * 1e3:.3f} | {v / total:.0%} |")


if __name__ == "__main__":
    main()
