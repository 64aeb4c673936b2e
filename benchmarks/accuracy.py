"""Accuracy harness: recall, top-1 and false alerts per 1,000 negatives over thresholds, beside baselines.

    python benchmarks/accuracy.py [--watchlist W] [--positives P] [--negatives N] [--baseline-sample 400]

Without --watchlist it imports every list in ../shared/data/lists plus the seeds into
benchmarks/out/combined.wl. Writes benchmarks/out/accuracy.png and accuracy.json.
Comparators, measured in the same run on the same rows:
  * wratio: the naive approach, rapidfuzz WRatio of the raw query against every listed name
    (on a fixed-seed sample: it is ~100x slower than our matcher);
  * nomenklatura logic-v2 / logic-v1, when `nomenklatura` is installed (optional extra), scoring
    our top-20 candidate entities (retrieved at threshold 0) the way yente scores its candidates.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.config import DEFAULT_THRESHOLD, Settings  # noqa: E402
from screening.normalise import name_form  # noqa: E402
from screening.service import Query, Service  # noqa: E402

SHARED = ROOT.parent / "shared"
OUT = ROOT / "benchmarks" / "out"
THRESHOLDS = [round(t, 2) for t in np.arange(0.50, 0.951, 0.05)]


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def default_watchlist() -> Path:
    from screening.importer import import_lists

    target = OUT / "combined.wl"
    if not target.exists():
        lists = sorted(p for p in (SHARED / "data" / "lists").iterdir() if p.is_dir())
        import_lists(lists, target)
    return target


def equivalents(svc: Service, rows: list[dict[str, str]]) -> list[set[str]]:
    """Entities counted correct for each positive: the expected one, or any listing the same source name."""
    wl = svc.watchlist

    def key(full: str) -> str:  # the artifact keeps one word order per token multiset
        return " ".join(sorted(full.split()))

    by_form: dict[str, set[str]] = defaultdict(set)
    wanted = {key(name_form(r["source_name"]).full) for r in rows if r.get("source_name")}
    for j, full in enumerate(wl.full):
        if key(full) in wanted:
            by_form[key(full)].add(wl.entity_ids[int(wl.name_entity[j])])
    return [{r["expected_entity_id"]} | by_form.get(key(name_form(r.get("source_name", "")).full), set()) for r in rows]


def queries(rows: list[dict[str, str]]) -> list[Query]:
    return [Query(name=r["query_name"], country=r.get("query_country") or None,
                  type=(r.get("query_type") or None) if r.get("query_type") in ("person", "company") else None)
            for r in rows]


def run_ours(svc: Service, qs: list[Query]) -> tuple[list[list[tuple[str, float]]], float]:
    start = time.perf_counter()
    out = []
    for i in range(0, len(qs), 500):
        for r in svc.screen_valid(qs[i : i + 500], threshold=0.0, limit=20):
            out.append([(h.entity_id, h.score) for h in r.hits])
    return out, time.perf_counter() - start


def stage1_recall(svc: Service, rows: list[dict[str, str]], ok: list[set[str]]) -> float:
    """Share of positives whose expected entity is among the names stage 1 hands to the scorer."""
    from screening.matcher import QueryForm

    wl = svc.watchlist
    forms = [QueryForm(name_form(q.name), q.type, q.country) for q in queries(rows)]
    found = 0
    for cand, good in zip(svc.matcher.candidates(forms), ok, strict=True):
        ids = {wl.entity_ids[int(wl.name_entity[j])] for j in cand.tolist()}
        found += bool(ids & good)
    return found / max(1, len(rows))


def run_wratio(svc: Service, qs: list[Query]) -> list[list[tuple[str, float]]]:
    from rapidfuzz import fuzz, process, utils

    wl = svc.watchlist
    names = [wl.display[j] for j in range(wl.n_names)]
    out = []
    for q in qs:
        res = process.extract(q.name, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=20,
                              score_cutoff=40)
        best: dict[str, float] = {}
        for _, score, j in res:
            eid = wl.entity_ids[int(wl.name_entity[j])]
            best[eid] = max(best.get(eid, 0.0), score / 100)
        out.append(sorted(best.items(), key=lambda x: -x[1]))
    return out


def run_nomenklatura(svc: Service, qs: list[Query], algorithm: str) -> list[list[tuple[str, float]]] | None:
    try:
        from followthemoney import model as ftm_model
        from nomenklatura.matching import get_algorithm
    except ImportError:
        return None
    algo = get_algorithm(algorithm)
    if algo is None:
        return None
    wl = svc.watchlist
    cands, _ = run_ours(svc, qs)
    out = []
    schema_of = {"person": "Person", "company": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}
    for n, (q, hits) in enumerate(zip(qs, cands, strict=True)):
        qe = ftm_model.make_entity(schema_of.get(q.type or "", "LegalEntity"))
        qe.id = f"query-{n}-{algorithm}"  # nomenklatura caches by entity id: ids must be unique
        qe.add("name", q.name)
        if q.country:
            qe.add("country", q.country)
        scored = []
        for eid, _ in hits:
            e = wl.entity(wl.index_of(eid))
            ce = ftm_model.make_entity(schema_of.get(e.type, "LegalEntity"))
            ce.id = eid
            ce.add("name", e.name)
            ce.add("alias", [a.name for a in e.aliases if not a.weak])
            if ce.schema.get("weakAlias"):
                ce.add("weakAlias", [a.name for a in e.aliases if a.weak])
            ce.add("country", e.countries)
            try:
                res = algo.compare(qe, ce, algo.default_config())
            except TypeError:
                res = algo.compare(qe, ce)
            scored.append((eid, float(res.score)))
        out.append(sorted(scored, key=lambda x: -x[1]))
    return out


def metrics(pos: list[list[tuple[str, float]]], ok: list[set[str]], neg: list[list[tuple[str, float]]],
            variants: list[str], t: float) -> dict:
    found = [any(e in good and s >= t for e, s in hits) for hits, good in zip(pos, ok, strict=True)]
    top1 = [bool(hits) and hits[0][1] >= t and hits[0][0] in good for hits, good in zip(pos, ok, strict=True)]
    fa = sum(1 for hits in neg if hits and hits[0][1] >= t)
    by_variant: dict[str, list[bool]] = defaultdict(list)
    for v, f in zip(variants, found, strict=True):
        by_variant[v].append(f)
    return {"threshold": t, "recall": float(np.mean(found)), "top1": float(np.mean(top1)),
            "false_alerts_per_1000": 1000 * fa / max(1, len(neg)), "false_alerts": fa,
            "recall_by_variant": {v: float(np.mean(x)) for v, x in sorted(by_variant.items())}}


def table(name: str, rows: list[dict]) -> str:
    lines = [f"\n{name}", f"{'threshold':>9} {'recall':>8} {'top-1':>8} {'FA/1000':>8}"]
    for m in rows:
        lines.append(f"{m['threshold']:>9.2f} {m['recall']:>8.2%} {m['top1']:>8.2%} {m['false_alerts_per_1000']:>8.1f}")
    return "\n".join(lines)


def plot(curves: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    for name, rows in curves.items():
        ts = [m["threshold"] for m in rows]
        a.plot(ts, [m["recall"] for m in rows], marker="o", label=f"{name} recall")
        b.plot(ts, [m["false_alerts_per_1000"] for m in rows], marker="o", label=name)
    a.set_xlabel("threshold")
    a.set_ylabel("recall")
    a.legend()
    b.set_xlabel("threshold")
    b.set_ylabel("false alerts per 1,000 negatives")
    b.set_yscale("symlog")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--watchlist", type=Path)
    ap.add_argument("--positives", type=Path, default=SHARED / "eval-dev" / "positives.csv")
    ap.add_argument("--negatives", type=Path, default=SHARED / "eval-dev" / "negatives.csv")
    ap.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    ap.add_argument("--baseline-sample", type=int, default=400, help="rows of each file for the WRatio baseline")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--errors", type=int, default=0, help="print this many misses and false alerts")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    svc = Service(Settings.from_env(watchlist=args.watchlist or default_watchlist()))
    pos_rows, neg_rows = read_csv(args.positives), read_csv(args.negatives)
    print(f"machine: {platform.platform()}, python {platform.python_version()}")
    print(f"watchlist {svc.watchlist.id} {svc.watchlist.version}: {svc.watchlist.n_entities} entities, "
          f"{svc.watchlist.n_names} names; {len(pos_rows)} positives, {len(neg_rows)} negatives")
    ok = equivalents(svc, pos_rows)
    variants = [r["variant"] for r in pos_rows]
    pos, t_pos = run_ours(svc, queries(pos_rows))
    neg, t_neg = run_ours(svc, queries(neg_rows))
    print(f"ours: {len(pos_rows) + len(neg_rows)} queries in {t_pos + t_neg:.1f} s "
          f"({(len(pos_rows) + len(neg_rows)) / (t_pos + t_neg):.0f} queries/s, one process)")
    print(f"stage 1 (retrieval) recall of the expected entity: {stage1_recall(svc, pos_rows, ok):.2%}")
    ts = sorted(set(THRESHOLDS) | {args.threshold})
    curves = {"ours": [metrics(pos, ok, neg, variants, t) for t in ts]}
    results = {"ours": curves["ours"]}
    if not args.no_baselines:
        rng = random.Random(7)
        pi = sorted(rng.sample(range(len(pos_rows)), min(args.baseline_sample, len(pos_rows))))
        ni = sorted(rng.sample(range(len(neg_rows)), min(args.baseline_sample, len(neg_rows))))
        sp, sn = [pos_rows[i] for i in pi], [neg_rows[i] for i in ni]
        sok, sv = [ok[i] for i in pi], [variants[i] for i in pi]
        comparators = {"ours (same sample)": ([pos[i] for i in pi], [neg[i] for i in ni])}
        start = time.perf_counter()
        comparators["wratio"] = (run_wratio(svc, queries(sp)), run_wratio(svc, queries(sn)))
        print(f"wratio baseline: {len(sp) + len(sn)} queries in {time.perf_counter() - start:.1f} s")
        for name, (p, n) in comparators.items():
            results[name] = [metrics(p, sok, n, sv, t) for t in ts]
            curves[name] = results[name]
        # nomenklatura scores few candidates per query, so it runs on the whole set
        for algo in ("logic-v2", "logic-v1"):
            start = time.perf_counter()
            p = run_nomenklatura(svc, queries(pos_rows), algo)
            if p is None:
                print(f"nomenklatura {algo}: not installed (pip install nomenklatura), skipped")
                continue
            n = run_nomenklatura(svc, queries(neg_rows), algo)
            print(f"nomenklatura {algo}: {len(pos_rows) + len(neg_rows)} queries in {time.perf_counter() - start:.1f} s")
            results[f"nomenklatura {algo}"] = [metrics(p, ok, n, variants, t) for t in ts]
            curves[f"nomenklatura {algo}"] = results[f"nomenklatura {algo}"]
    for name, rows in results.items():
        print(table(name, rows))
    at = {name: next(m for m in rows if m["threshold"] == args.threshold) for name, rows in results.items()}
    true_scores = [next((sc for e, sc in hits if e in good), None) for hits, good in zip(pos, ok, strict=True)]
    true_scores = [x for x in true_scores if x is not None and x >= args.threshold]
    exact_share = sum(1 for x in true_scores if x >= 0.9999) / max(1, len(true_scores))
    variant_share = sum(1 for r, hits, good in zip(pos_rows, pos, ok, strict=True) if r["variant"] != "exact"
                        and any(e in good and sc >= 0.9999 for e, sc in hits)) / max(1, sum(
                            1 for r in pos_rows if r["variant"] != "exact"))
    print(f"\nscore spread: {exact_share:.1%} of true hits score exactly 1.0; "
          f"{variant_share:.1%} of non-exact variants do")
    print(f"\nat threshold {args.threshold}:")
    for name, m in at.items():
        print(f"  {name:<24} recall {m['recall']:.2%}  top-1 {m['top1']:.2%}  FA/1000 {m['false_alerts_per_1000']:.1f}")
    yente = 0.70
    for name, rows in results.items():
        if name.startswith("nomenklatura"):
            m = next(m for m in rows if m["threshold"] == yente)
            print(f"  {name + ' @0.70':<24} recall {m['recall']:.2%}  top-1 {m['top1']:.2%}  "
                  f"FA/1000 {m['false_alerts_per_1000']:.1f}   (yente's default threshold)")
    nk = results.get("nomenklatura logic-v2")
    nk_at = next(m for m in nk if m["threshold"] == yente)["recall_by_variant"] if nk else {}
    print(f"\nrecall by variant (full set): ours @{args.threshold}" + ("   logic-v2 @0.70" if nk else ""))
    for v, r in at["ours"]["recall_by_variant"].items():
        other = f"   {nk_at[v]:.2%}" if v in nk_at else ""
        print(f"  {v:<18} {r:>8.2%}{other}   (n={Counter(variants)[v]})")
    if args.errors:
        t = args.threshold
        print("\nmisses:")
        for r, hits, good in zip(pos_rows, pos, ok, strict=True):
            if not any(e in good and s >= t for e, s in hits):
                print(f"  [{r['variant']}] {r['query_name']!r} -> {r['source_name']!r}; got {hits[:2]}")
        print("\nfalse alerts:")
        for r, hits in zip(neg_rows, neg, strict=True):
            if hits and hits[0][1] >= t:
                e = svc.watchlist.entity(svc.watchlist.index_of(hits[0][0]))
                print(f"  [{r['kind']}] {r['query_name']!r} -> {e.name!r} {hits[0][1]}")
    plot(curves, OUT / "accuracy.png")
    (OUT / "accuracy.json").write_text(json.dumps(results, indent=1))
    print(f"\nplot: {OUT / 'accuracy.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
