"""Write screening/data/token_prior.tsv: how many listed entities use each common token.

    python scripts/make_token_prior.py WATCHLIST.wl

Run on an artifact of the official lists (`screen watchlist import ../shared/data/lists/*/`).
Only tokens used by at least MIN_ENTITIES entities are kept, so the table holds generic words
("trading", "company", "al"), never a distinctive name. It lets a small watchlist (the seeds)
know which words are common.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screening.watchlist import PRIOR_PATH, Watchlist  # noqa: E402

MIN_ENTITIES = 8


def main(path: str) -> None:
    wl = Watchlist(Path(path))
    rows = sorted(((t, n) for t, n in wl.weights.df.items() if n >= MIN_ENTITIES), key=lambda x: (-x[1], x[0]))
    PRIOR_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(PRIOR_PATH, "w", encoding="utf-8") as f:
        f.write(f"#entities={wl.n_entities}\n# from watchlist {wl.id} {wl.version}; tokens used by >= {MIN_ENTITIES}\n")
        for t, n in rows:
            f.write(f"{t}\t{n}\n")
    print(f"wrote {len(rows)} tokens to {PRIOR_PATH}")


if __name__ == "__main__":
    main(sys.argv[1])
