"""CSV reading: screening.csvrows (line by line, stray quotes caught) against csv.reader over the same stream.

Run from the repository root:  .venv/bin/python benchmarks/bench_csv_read.py [--rows N] [--repeats R]

Workload: N rows (fixed seed) of id, name, country, note, with about 1 in 20 notes quoted and holding a
comma, a doubled quote or a line break, so both the one-line fast path and the several-line check run.
Prints the machine, the workload, the median seconds of R repeats each, rows/s and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import machine, median  # noqa: E402

from screening.csvrows import csv_records  # noqa: E402

NAMES = ["Sinno Electronics", "VTB Bank PJSC", "Norinco", "Siemens AG", "Maersk Line A/S", "Harbor Dairy Oy"]
NOTES = ["plain", "plain", "plain", 'has "quotes", and a comma', "two\nlines"]


def workload(rows: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "name", "country", "note"])
    for i in range(rows):
        note = rng.choice(NOTES) if rng.random() < 0.25 else "plain"
        w.writerow([f"CP-{i:07d}", rng.choice(NAMES), rng.choice(["HK", "RU", "DE", ""]), note])
    return buf.getvalue()


def timed(fn, text: str, repeats: int) -> tuple[float, int]:
    times, n = [], 0
    for _ in range(repeats):
        stream = io.StringIO(text, newline="")
        start = time.perf_counter()
        n = sum(1 for _ in fn(stream))
        times.append(time.perf_counter() - start)
    return median(times), n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    text = workload(args.rows)
    print(machine())
    print(f"workload: {args.rows:,} rows, {len(text) / 1e6:.1f} MB of CSV text in memory, {args.repeats} repeats")
    base, n_base = timed(lambda s: csv.reader(s), text, args.repeats)
    ours, n_ours = timed(lambda s: csv_records(s, ","), text, args.repeats)
    assert n_base == n_ours == args.rows + 1, (n_base, n_ours)
    print(f"csv.reader (baseline)  {base:6.2f} s  {args.rows / base:>10,.0f} rows/s")
    print(f"csvrows.csv_records    {ours:6.2f} s  {args.rows / ours:>10,.0f} rows/s  ({ours / base:.2f}x the baseline)")


if __name__ == "__main__":
    main()
