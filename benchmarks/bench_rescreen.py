"""Benchmark delta re-screening: 100,000 stored counterparties re-screened after a real list update.

Run from the repository root:  .venv/bin/python benchmarks/bench_rescreen.py [--quick] [--db-url URL]

The lists are the official ones in ../shared/data/lists (OFAC SDN and consolidated, UN, the
OpenSanctions samples) plus the seeds, imported with screening.importer.import_lists. Two
versions are cut from them with a fixed seed, the way a monthly update looks:

  version A  every entity but the `--added` ones, which appear only in B;
  version B  every entity but the `--removed` ones; `--changed` entities get one more alias
             (so their content hash changes, as an OFAC or UN amendment does).

Counterparties (fixed seed): ordinary company and person names that are on no list, plus 0.5%
variants of names of entities B adds or changes (these must raise new alerts) and 0.5% variants of
unchanged entities (alerted on A and cleared as false positives; they must stay quiet). Every alert
of the first screening is decided false_positive before the re-screen, so an alert on a changed
entity comes back (linked to its decision) and one on an unchanged entity does not.

Timed, in the same run:
  full screen   the first screening of every counterparty on A, through Workflow.record (batches of
                2,000: Service.screen_valid, then audit records, counterparties and alerts written);
  rescreen      Workflow.rescreen on B (the measured path): screen_valid per 2,000, hits kept on
                added/changed entities, new alerts and audit records written. Repeated --repeats
                times; between repeats the counterparties are set back to A and the new alerts
                removed (benchmark-only SQL; the audit trail only grows);
  batch only    Service.screen_valid over every counterparty on B, no database: the matcher's share;
  per-name      Service.screen one name at a time on a sample, extrapolated: the loop the issue rules out.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from screening.config import DEFAULT_SEEDS, Settings  # noqa: E402
from screening.importer import diff_watchlists, import_lists  # noqa: E402
from screening.model import Alias, Entity  # noqa: E402
from screening.service import Query, Service  # noqa: E402
from screening.store import schema  # noqa: E402
from screening.watchlist import SourceInfo, Watchlist, compile_watchlist  # noqa: E402
from screening.workflow import RESCREEN_CHUNK, Workflow  # noqa: E402

SEED = 20251123
LISTS = Path(os.environ.get("SCREENING_BENCH_LISTS", ROOT.parent / "shared" / "data" / "lists"))
SYLLABLES = ("ka lo mi ren tor sin vel dra quo pan zhe li xin bor tek na ri gal mar ost vin hua yun dong "
             "sha kor mek tal bel ros ner ami tsu jin har oda lev pol sev tan wei rum").split()
GENERIC = ("Trading Logistics Foods Textiles Engineering Consulting Partners Systems Dairy Ceramics Bakery "
           "Furniture Printing Packaging Motors Garden Travel Media Software Plastics").split()
LEGAL = ["Ltd", "LLC", "GmbH", "S.A.", "Co., Ltd", "Inc", "Oy", "AG", "B.V.", "S.R.L.", "Pty Ltd", "AB"]
FIRST = "Anna Marek Lucia Pedro Chen Amira Jonas Sofia Ivan Laila Tomas Nadia Omar Ines Karl Mei".split()


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def ordinary(rng: random.Random) -> tuple[str, str | None]:
    if rng.random() < 0.2:
        return f"{rng.choice(FIRST)} {word(rng)}", "person"
    return f"{word(rng)} {rng.choice(GENERIC)} {rng.choice(LEGAL)}", None


def variant(rng: random.Random, e: Entity) -> str:
    """The listed name as a counterparty file might hold it: upper case, a legal form added, or as is."""
    name = e.name
    r = rng.random()
    if r < 0.3:
        return name.upper()
    if r < 0.6 and e.type == "company":
        return f"{name} {rng.choice(LEGAL)}"
    return name


def cut_versions(full: Watchlist, out: Path, args: argparse.Namespace) -> tuple[Path, Path, set[str], set[str]]:
    rng = random.Random(SEED)
    entities = [full.entity(i) for i in range(full.n_entities)]
    official = [e for e in entities if e.source != "seed"]
    picked = rng.sample(official, args.added + args.changed + args.removed)
    added = {e.entity_id for e in picked[: args.added]}
    changed = {e.entity_id for e in picked[args.added : args.added + args.changed]}
    removed = {e.entity_id for e in picked[args.added + args.changed :]}
    a = [e for e in entities if e.entity_id not in added]
    b = []
    for e in entities:
        if e.entity_id in removed:
            continue
        if e.entity_id in changed:  # an amendment: one more alias
            e = e.model_copy(update={"aliases": [*e.aliases, Alias(name=f"{e.name} (formerly {word(rng)})")]})
        b.append(e)
    pa, pb = out / "a.wl", out / "b.wl"
    for path, ents in ((pa, a), (pb, b)):
        compile_watchlist(ents, path, watchlist_id="combined", sources=[SourceInfo("combined", "bench", len(ents))])
    return pa, pb, added | changed, {e.entity_id for e in a} - removed - changed


def counterparties(n: int, full: Watchlist, delta: set[str], unchanged: set[str]) -> list[Query]:
    rng = random.Random(SEED + 1)
    by_id = {full.entity(i).entity_id: full.entity(i) for i in range(full.n_entities)}
    n_delta = n_same = n // 200
    delta_ids, same_ids = sorted(delta), sorted(unchanged - {i for i in unchanged if i.startswith("seed:")})
    queries = []
    for i in range(n):
        ref = f"CP-{i:06d}"
        if i % 200 == 0 and n_delta:
            e = by_id[rng.choice(delta_ids)]
            queries.append(Query(name=variant(rng, e), ref=ref))
            n_delta -= 1
        elif i % 200 == 100 and n_same:
            e = by_id[rng.choice(same_ids)]
            queries.append(Query(name=variant(rng, e), ref=ref))
            n_same -= 1
        else:
            name, kind = ordinary(rng)
            queries.append(Query(name=name, type=kind, ref=ref))
    return queries


def reset(wf: Workflow, version_a: str, max_alert: int) -> None:
    """Benchmark only: put every counterparty back on A and drop the alerts the re-screen raised."""
    with wf.store.begin() as conn:
        conn.execute(schema.counterparties.update().values(watchlist_version=version_a))
        conn.execute(schema.alerts.delete().where(schema.alerts.c.id > max_alert))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--counterparties", type=int, default=100_000)
    p.add_argument("--added", type=int, default=250)
    p.add_argument("--changed", type=int, default=250)
    p.add_argument("--removed", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--per-name-sample", type=int, default=1000)
    p.add_argument("--workers", type=int, default=1, help="cdist threads (Settings.workers)")
    p.add_argument("--db-url", default=None, help="default: a new SQLite file in a temporary directory")
    p.add_argument("--quick", action="store_true", help="10,000 counterparties, 1 repeat")
    args = p.parse_args()
    if args.quick:
        args.counterparties, args.repeats, args.per_name_sample = 10_000, 1, 300

    tmp = Path(tempfile.mkdtemp(prefix="bench-rescreen-"))
    db_url = args.db_url or f"sqlite:///{tmp / 'screening.db'}"
    print(f"machine: {platform.platform()} {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, SQLAlchemy {sa.__version__}")
    print(f"database: {Workflow(Settings(db_url=db_url)).store!r}")

    t = time.perf_counter()
    import_lists(sorted(p for p in LISTS.iterdir() if p.is_dir()), tmp / "full.wl", seeds_dir=DEFAULT_SEEDS)
    full = Watchlist(tmp / "full.wl")
    pa, pb, delta, unchanged = cut_versions(full, tmp, args)
    wa, wb = Watchlist(pa), Watchlist(pb)
    d = diff_watchlists(wa, wb).as_dict()["counts"]
    print(f"lists: {full.n_entities} entities, {full.n_names} names imported from {LISTS} in "
          f"{time.perf_counter() - t:.1f} s")
    print(f"  A {wa.version}: {wa.n_entities} entities; B {wb.version}: {wb.n_entities} entities; "
          f"diff A->B: {d['added']} added, {d['changed']} changed, {d['removed']} removed")

    queries = counterparties(args.counterparties, full, delta, unchanged)
    print(f"workload: {len(queries):,} counterparties ({len(queries) // 200} variants of added/changed entities, "
          f"{len(queries) // 200} of unchanged ones), threshold 0.8, chunks of {RESCREEN_CHUNK}, "
          f"workers={args.workers}, seed {SEED}")

    settings_a = Settings(watchlist=pa, db_url=db_url, workers=args.workers)
    settings_b = Settings(watchlist=pb, db_url=db_url, workers=args.workers)
    wf = Workflow(settings_a)
    wf.upgrade()
    svc_a, svc_b = Service(settings_a), Service(settings_b)
    for svc in (svc_a, svc_b):
        svc.screen_valid(queries[:50], threshold=0.8, limit=10)  # lazy indexes

    t = time.perf_counter()
    first_alerts = 0
    for i in range(0, len(queries), RESCREEN_CHUNK):
        chunk = queries[i : i + RESCREEN_CHUNK]
        results = svc_a.screen_valid(chunk, threshold=0.8, limit=10)
        first_alerts += len(wf.record(svc_a, results, threshold=0.8, caller="bench", channel="bench").new_alerts)
    full_s = time.perf_counter() - t
    print(f"full screen on A + record: {full_s:.1f} s ({len(queries) / full_s:,.0f}/s), {first_alerts} alerts")
    # the analysts have cleared the first alerts before the list update: false positives, so a changed
    # entity's alert comes back (linked) and an unchanged one stays suppressed
    t = time.perf_counter()
    for a in wf.list_alerts(limit=None):
        wf.decide(a["id"], "false_positive", note="benchmark", identity="system:bench", caller="bench")
    print(f"decided {first_alerts} alerts false_positive in {time.perf_counter() - t:.1f} s")
    with wf.store.connect() as conn:
        max_alert = conn.execute(sa.select(sa.func.max(schema.alerts.c.id))).scalar() or 0

    runs = []
    for r in range(args.repeats):
        if r:
            reset(wf, wa.version, max_alert)
        s = wf.rescreen(svc_b, caller="bench")
        runs.append(s)
        print(f"  rescreen {r + 1}: {s.seconds:.1f} s, checked {s.checked:,}, screened {s.screened:,}, "
              f"changed entities {s.changed_entities}, new alerts {s.new_alerts}")
    with wf.store.connect() as conn:
        new = conn.execute(sa.select(schema.alerts.c.entity_id).where(schema.alerts.c.id > max_alert)).scalars().all()
    # alerts key on linked entities: a new alert must be on one that holds an added or changed listing
    ids_b = wb.entity_ids.to_list()
    members = {g_id: {ids_b[e] for e in m} for g_id, m in zip(wb.group_ids.to_list(), wb.group_members, strict=True)}
    assert all(members.get(e, {e}) & delta for e in new), "a re-screen raised an alert on an unchanged entity"
    assert wf.rescreen(svc_b, caller="bench").checked == 0

    t = time.perf_counter()
    for i in range(0, len(queries), RESCREEN_CHUNK):
        svc_b.screen_valid(queries[i : i + RESCREEN_CHUNK], threshold=0.8, limit=50)
    batch_s = time.perf_counter() - t

    sample = queries[: args.per_name_sample]
    t = time.perf_counter()
    for q in sample:
        svc_b.screen([q], threshold=0.8, limit=50)
    per_name_s = (time.perf_counter() - t) / len(sample) * len(queries)

    med = statistics.median(s.seconds for s in runs)
    n = len(queries)
    print()
    print(f"| measure ({n:,} counterparties, A->B: +{d['added']} ~{d['changed']} -{d['removed']}) | seconds | per second |")
    print("|---|---:|---:|")
    print(f"| `screen rescreen` (Workflow.rescreen, median of {len(runs)}) | {med:.1f} | {n / med:,.0f} |")
    print(f"| first full screen on A with recording | {full_s:.1f} | {n / full_s:,.0f} |")
    print(f"| batch screen_valid only, no database | {batch_s:.1f} | {n / batch_s:,.0f} |")
    print(f"| per-name Service.screen loop (extrapolated from {len(sample):,}) | {per_name_s:.1f} | "
          f"{n / per_name_s:,.0f} |")
    print(f"new alerts per re-screen: {runs[0].new_alerts} (all on added or changed entities); "
          f"rescreen / batch-only = {med / batch_s:.2f}; per-name loop / rescreen = {per_name_s / med:.1f}x")


if __name__ == "__main__":
    main()
