"""Build screening/data/name_prior.tsv: how common given names and surnames are in a population.

    python scripts/make_name_prior.py DIR

DIR holds the US Census Bureau 1990 name-frequency files dist.all.last, dist.male.first and
dist.female.first (public-domain data; PyPI `names` 0.3.0 ships them: `pip download names==0.3.0`).
Each line of the output is `name<TAB>percent of people who bear it` (the larger of the given-name
and surname figures), for names borne by at least MIN_PERCENT of people. The matcher reads it to
tell a common name part ("Luis", "Rodriguez") from a rare one: two common parts of a longer listed
name are weak evidence (screening.scoring, "common parts of a longer person's name").
"""

from __future__ import annotations

import sys
from pathlib import Path

MIN_PERCENT = 0.005
OUT = Path(__file__).resolve().parent.parent / "screening" / "data" / "name_prior.tsv"


def main(argv: list[str]) -> int:
    src = Path(argv[0])
    pct: dict[str, float] = {}
    for name in ("dist.all.last", "dist.male.first", "dist.female.first"):
        for line in (src / name).read_text(encoding="ascii").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                word, freq = parts[0].lower(), float(parts[1])
                if freq >= MIN_PERCENT:
                    pct[word] = max(pct.get(word, 0.0), freq)
    lines = ["# name\tpercent of people (US Census 1990 name files; scripts/make_name_prior.py)"]
    lines += [f"{w}\t{p:g}" for w, p in sorted(pct.items(), key=lambda x: (-x[1], x[0]))]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(pct)} names")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
