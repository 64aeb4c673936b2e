"""How good are the cross-list links? The name rule measured against the UK list's own "UN Ref" links.

The UK consolidated list names the UN record of many of its entries ("UN Ref QDi.123"): those pairs are
labels the name rule never sees. We run the name rule alone between the UK and UN lists and compare:

    precision  of the name rule's UK-UN links whose UK entry carries a UN reference, the share that name
               the referenced UN record (a UK entry without a reference can't be judged, and is reported apart)
    recall     of the referenced UK-UN pairs (both records present), the share the name rule finds

Also prints every rule's link count on the full shared list set, and a sample of the name rule's links
between other lists for reading by eye. Deterministic: no sampling but a fixed sort.

    .venv/bin/python benchmarks/bench_linking.py
"""

from __future__ import annotations

import platform
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screening.linking import RULES, link  # noqa: E402
from screening.sources import load_list  # noqa: E402

LISTS = ROOT.parent / "shared" / "data" / "lists"


def main() -> None:
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    uk = load_list(LISTS / "uk-ofsi").entities
    un = load_list(LISTS / "un-sc").entities
    ents = uk + un
    ids = {e.entity_id for e in ents}
    print(f"workload: UK {len(uk)} listings, UN {len(un)} listings")
    gold = {(e.entity_id, r) for e in uk for r in e.same_as if r in ids}
    referenced = {a for a, _ in gold}
    print(f"labelled UK->UN links (both present): {len(gold)} from {len(referenced)} UK entries")
    # the labels themselves: references the data contradicts (related parties cited, stale numbers)
    listed = link(ents, rules=("listed",))
    kept = {(a, b) if a.startswith("uk:") else (b, a) for a, b, _ in listed.pairs}
    print(f"UN Ref labels the linker accepts: {len(kept & gold)}/{len(gold)}; refused as contradicted: "
          f"{listed.refused} (e.g. {', '.join(f'{a}->{b}' for a, b in listed.refused_pairs[:3])})")
    clean = gold & kept
    for rules in (("name",), ("date",), ("name", "date")):
        found = link(ents, rules=rules)
        pred = {(a, b) if a.startswith("uk:") else (b, a) for a, b, _ in found.pairs
                if {a.split(":")[0], b.split(":")[0]} == {"uk", "un-sc"}}
        judged = {p for p in pred if p[0] in referenced}
        right = judged & gold
        clean_judged = {p for p in pred if p[0] in {a for a, _ in clean}}
        rule = " + ".join(rules)
        print(f"\n{rule} rule UK-UN links: {len(pred)}, of which {len(judged)} can be judged (UK entry has a UN Ref)")
        print(f"  precision: {len(right)}/{len(judged)} = {len(right) / max(len(judged), 1):.2%}")
        print(f"  recall:    {len(gold & pred)}/{len(gold)} = {len(gold & pred) / max(len(gold), 1):.2%}")
        for a, b in sorted(judged - gold)[:10]:
            print(f"    disagrees with the label: {a} -> {b}")
        print(f"  against the accepted labels only: precision {len(clean_judged & clean)}/{len(clean_judged)} = "
              f"{len(clean_judged & clean) / max(len(clean_judged), 1):.2%}, recall {len(pred & clean)}/{len(clean)} = "
              f"{len(pred & clean) / max(len(clean), 1):.2%}")

    everything = []
    for folder in sorted(p for p in LISTS.iterdir() if p.is_dir()):
        everything += load_list(folder).entities
    unique = {e.entity_id: e for e in everything}  # ids two OpenSanctions exports share: once
    allrules = link(list(unique.values()))
    print(f"\nall shared lists: {len(unique)} listings -> {len(allrules.members)} entities; links by rule: "
          + ", ".join(f"{r} {allrules.made.get(r, 0)}" for r in RULES)
          + f"; references refused {allrules.refused}, unresolved {allrules.unresolved}")
    for rule in ("name", "date"):
        by_sources = Counter(tuple(sorted({a.split(":")[0], b.split(":")[0]})) for a, b, r in allrules.pairs if r == rule)
        print(f"{rule}-rule links by list pair: " + ", ".join(f"{'-'.join(k)} {n}" for k, n in by_sources.most_common()))
    names = {e.entity_id: e.name for e in unique.values()}
    date_links = sorted((a, b) for a, b, r in allrules.pairs if r == "date")
    print(f"date-rule links, every {max(1, len(date_links) // 15)}th for reading by eye:")
    for a, b in date_links[:: max(1, len(date_links) // 15)]:
        print(f"  {a} {names[a]!r} = {b} {names[b]!r}")
    sizes = Counter(len(m) for m in allrules.members)
    print("entities by number of listings: " + ", ".join(f"{k}: {v}" for k, v in sorted(sizes.items())))


if __name__ == "__main__":
    main()
