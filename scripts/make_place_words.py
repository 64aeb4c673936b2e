"""Write screening/data/place_words.txt: the words of country and territory names (rigour's table).

    python scripts/make_place_words.py

A place in a company name ("(Hong Kong) Limited", "Korea ... Trading") says where, not who,
so the matcher weighs these words like generic business words. Generated, not hand-picked.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rigour.territories import get_territories  # noqa: E402

from screening.normalise import to_ascii  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "screening" / "data" / "place_words.txt"
SHORT = ["usa", "uae", "uk", "hk", "prc", "dprk", "ussr"]  # common short forms of the same places
JOINERS = {"and", "the", "of", "da", "de", "del", "la", "le", "du", "et", "st", "saint"}


def main() -> None:
    words: set[str] = set(SHORT)
    for t in get_territories():
        if t.is_historical:
            continue
        for w in to_ascii(t.name).split():
            if len(w) >= 3 and w not in JOINERS:
                words.add(w)
    OUT.write_text("# words of country and territory names, from rigour.territories (scripts/make_place_words.py)\n"
                   + "\n".join(sorted(words)) + "\n", encoding="utf-8")
    print(f"wrote {len(words)} words to {OUT}")


if __name__ == "__main__":
    main()
