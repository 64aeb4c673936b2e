"""Benchmark importing the official lists and loading the compiled artifact.

    .venv/bin/python benchmarks/bench_import.py [--repeats 3] [--lists ../shared/data/lists]

Measures, medians of repeats, on every list folder in shared plus the seeds:
  import    screen watchlist import: parse every native file, normalise, compile, write;
  size      the artifact's bytes on disk;
  load      a fresh process loading the artifact until the matcher is ready (Service built and
            one query screened), and its resident memory;
  baseline  the same fresh process parsing the native files instead (what a service that does
            not compile ahead of time pays at every start).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.importer import import_lists  # noqa: E402

LOAD = """
import json, resource, sys, time
t = time.perf_counter()
from screening.config import Settings
from screening.service import Query, Service
t_import = time.perf_counter()
svc = Service(Settings(watchlist=sys.argv[1]))
svc.screen([Query(name="Banco Nacional de Cuba")])
t_ready = time.perf_counter()
print(json.dumps({"seconds": t_ready - t, "artifact": t_ready - t_import,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "entities": svc.watchlist.n_entities, "names": svc.watchlist.n_names}))
"""
PARSE = """
import json, resource, sys, time
t = time.perf_counter()
from screening.sources import load_list
n = sum(len(load_list(p).entities) for p in sys.argv[1:])
print(json.dumps({"seconds": time.perf_counter() - t, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "entities": n}))
"""


def fresh(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--lists", type=Path, default=ROOT.parent / "shared" / "data" / "lists")
    args = ap.parse_args()
    lists = sorted(p for p in args.lists.iterdir() if p.is_dir())
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"workload: {', '.join(p.name for p in lists)} + seeds; {args.repeats} repeats, medians")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "combined.wl"
        imports, loads, parses = [], [], []
        header: dict = {}
        for _ in range(args.repeats):
            t = time.perf_counter()
            header = import_lists(lists, target)
            imports.append(time.perf_counter() - t)
            loads.append(fresh(LOAD, str(target)))
            parses.append(fresh(PARSE, *map(str, lists)))
        size = target.stat().st_size
    med = statistics.median
    print(f"\nentities {header['entities']:,}, names {header['names']:,}; per source: "
          + ", ".join(f"{s['source']} {s['entities']:,}" for s in header["sources"]))
    print(f"import + compile (in process)        {med(imports):6.2f} s")
    print(f"artifact size                        {size / 1e6:6.1f} MB")
    print(f"artifact load until ready            {med(x['artifact'] for x in loads):6.2f} s "
          f"(map the file, build the matcher, screen one name)")
    print(f"cold start of a new process          {med(x['seconds'] for x in loads):6.2f} s, "
          f"RSS {med(x['rss_mb'] for x in loads):.0f} MB (Python imports included)")
    print(f"baseline: parse the native files     {med(x['seconds'] for x in parses):6.2f} s, "
          f"RSS {med(x['rss_mb'] for x in parses):.0f} MB (no normalisation, no index)")
    print(f"ratio baseline parse / artifact load  {med(x['seconds'] for x in parses) / med(x['seconds'] for x in loads):.1f}x")


if __name__ == "__main__":
    main()
