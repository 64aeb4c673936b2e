"""Fit the name-score model (screening/data/score_model.json) on labelled pairs, validated k-fold by entity.

    python benchmarks/fit_scores.py [--watchlist W] [--folds 5] [--clean-sample N] [--out PATH] [--cache]

Training pairs: every stage-1 candidate name of each query, scored with the hand-set model to get its
`Features` (screening.scoring.features) and its hand-set score. A pair is positive when the candidate's
linked entity is the query's expected one (or lists the same source name: benchmarks/accuracy.equivalents);
of a positive entity only its best name (by the hand-set score) is kept, since one name finding the
entity is enough. Every candidate of a negative query or a clean name is a negative.

Queries: the dev set's tuning part only (never its held-out part: benchmarks/accuracy.held_out), and the
clean sets' fit half (benchmarks/accuracy.clean_fit: sha256 of the name; the other half is never used
here, so benchmarks/accuracy.py can report it as unseen). Folds: by sha256 of the expected entity id
(positives), of the query name (negatives and clean names), so one entity's variants share a fold.

Model: logistic regression over FEATURE TERMS (Features fields and products of two), L2-penalised, with
sign constraints (evidence for raises the score, evidence against lowers it: the probabilities are
monotone in evidence and the matcher's early-exit bound stays valid). Fitted by L-BFGS-B, deterministic:
the same rows give the same coefficients (the committed file records a check fit on a seeded sample,
tests/data/fit_sample.csv.gz, which tests/test_quality.py re-fits).

Reports, on the out-of-fold predictions (each row scored by the model fitted without its fold): query-level
recall / top-1 / false alerts per 1,000 at each threshold for the fitted model and for the hand-set
score on the same rows, and a reliability table (predicted probability against the share that are
true matches).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from screening.scoring import FEATURE_NAMES, MODEL_PATH, Params  # noqa: E402

SEED = 17
FOLD_SEED = "issue10-fit-folds-v1"
SAMPLE_PATH = ROOT / "tests" / "data" / "fit_sample.csv.gz"
SAMPLE_ROWS = 3000
L2 = 1e-6  # penalty per row-weight unit on every weight but the intercept
POSITIVE_WEIGHT = 5.0  # a positive pair's weight relative to a negative's

# (term, sign): +1 may only raise the score, -1 only lower it, 0 either. Kind-specific terms let a
# person's left-out middle name cost less than a company's left-out word.
TERMS: tuple[tuple[str, int], ...] = (
    ("handset", +1),
    ("token_score", +1), ("person*token_score", 0), ("thing*token_score", 0),
    ("char_score", +1), ("person*char_score", 0),
    ("matched_weight", +1), ("person*matched_weight", 0),
    ("query_extra_weight", -1), ("name_extra_weight", -1),
    ("pairs", 0), ("person", 0), ("thing", 0), ("abjad", 0),
    ("numbers_differ", -1), ("only_common", -1), ("substitution", -1), ("one_person_name", -1),
    ("weak_person", -1), ("one_word_listed", -1), ("other_kind", -1), ("legal_differs", -1),
)


def fold_of(key: str, folds: int) -> int:
    h = int.from_bytes(hashlib.sha256(f"{FOLD_SEED}:{key}".encode()).digest()[:8], "big")
    return h % folds


def design(F: np.ndarray, hand: np.ndarray, terms: tuple[tuple[str, int], ...] = TERMS) -> np.ndarray:
    """The term matrix from a features matrix (columns in FEATURE_NAMES order) and the hand-set scores."""
    col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    out = np.empty((len(F), len(terms)))
    for k, (term, _) in enumerate(terms):
        a, _, b = term.partition("*")
        va = hand if a == "handset" else F[:, col[a]]
        out[:, k] = va * (F[:, col[b]] if b else 1.0)
    return out


def fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, terms: tuple[tuple[str, int], ...] = TERMS,
        l2: float = L2) -> tuple[float, np.ndarray]:
    """Weighted, L2-penalised logistic regression with sign constraints; returns (intercept, weights)."""
    from scipy.optimize import minimize

    n, d = X.shape
    total = w.sum()
    sgn = 2 * y - 1

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] + X @ theta[1:]
        m = -sgn * z
        lse = np.logaddexp(0, m)  # log(1 + exp(-y z))
        g = -sgn * (1 / (1 + np.exp(-m)))  # d lse / d z
        gw = w * g
        f = (w @ lse) / total + 0.5 * l2 * theta[1:] @ theta[1:]
        grad = np.empty(d + 1)
        grad[0] = gw.sum() / total
        grad[1:] = X.T @ gw / total + l2 * theta[1:]
        return f, grad

    bounds = [(None, None)] + [((0, None) if s > 0 else (None, 0) if s < 0 else (None, None)) for _, s in terms]
    res = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 5000, "ftol": 1e-12, "gtol": 1e-9})
    return float(res.x[0]), res.x[1:]


def fit_calibrated(X: np.ndarray, y: np.ndarray, w: np.ndarray, positive_weight: float = POSITIVE_WEIGHT,
                   terms: tuple[tuple[str, int], ...] = TERMS, l2: float = L2) -> tuple[float, np.ndarray]:
    """`fit`, with the intercept moved back by log(positive_weight): weighting the positives k times
    adds log k to every logit, so the model's probabilities are those of the pairs as they come."""
    b, c = fit(X, y, w, terms, l2)
    return b - float(np.log(positive_weight)), c


def predict(intercept: float, coef: np.ndarray, X: np.ndarray, F: np.ndarray) -> np.ndarray:  # noqa: N803
    """The model's score on rows: its probability, 1.0 for the same name (screening.scoring.score_tail)."""
    p = 1 / (1 + np.exp(-(intercept + X @ coef)))
    col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    flags = [col[n] for n in ("numbers_differ", "only_common", "substitution", "one_person_name", "weak_person",
                              "fuzzy_short", "one_word_listed", "other_kind", "legal_differs")]
    exact = (F[:, col["token_score"]] >= 1) & (F[:, col["char_score"]] >= 1) & (F[:, flags].sum(axis=1) == 0)
    return np.where(exact, 1.0, p)


# --- the training pairs -------------------------------------------------------------------------

def extract(svc, queries: list, expected: list[set[str] | None], sets: list[int], keys: list[str]) -> dict:
    """Rows of (query, candidate name) with features, hand-set score and label, by the real stage 1."""
    from screening.matcher import QueryForm
    from screening.normalise import name_form
    from screening.scoring import features, score_tail
    from screening.watchlist import TYPE_CODES, TYPE_NAMES, WEAK

    wl, m = svc.watchlist, svc.matcher
    handset = Params(model=None)
    group = wl.entity_group_list
    members_ids = {}
    rows_q, rows_g, rows_lab, rows_hand, rows_F = [], [], [], [], []
    for start in range(0, len(queries), 500):
        chunk = queries[start : start + 500]
        forms = [QueryForm(name_form(q.name), q.type, q.country, None, (), q.name) for q in chunk]
        for k, (qf, cand) in enumerate(zip(forms, m.candidates(forms), strict=True)):
            qi = start + k
            want = expected[qi]
            type_code = TYPE_CODES.get(qf.type) if qf.type else None
            best: dict[int, tuple[float, int]] = {}
            local = []
            for j in cand.tolist():
                if wl.name_flags_list[j] & WEAK:
                    continue
                e = wl.name_entity_list[j]
                if type_code is not None and wl.entity_type_list[e] != type_code:
                    continue
                kind = TYPE_NAMES[wl.entity_type_list[e]]
                f = features(qf.person_form if kind == "person" else qf.form, wl.form(j), wl.weights, handset, kind=kind)
                if f is None:
                    continue
                g = group[e]
                if g not in members_ids:
                    members_ids[g] = {wl.entity_ids[i] for i in wl.group_members[g]}
                label = int(bool(want) and bool(members_ids[g] & want))
                hs = score_tail(f, handset)[0]
                local.append((g, label, hs, [getattr(f, n) for n in FEATURE_NAMES]))
                if label and (g not in best or hs > best[g][0]):
                    best[g] = (hs, len(local) - 1)
            keep = {i for _, i in best.values()}
            for i, (g, label, hs, fv) in enumerate(local):
                if label and i not in keep:
                    continue  # of a positive entity, only the name that finds it best
                rows_q.append(qi)
                rows_g.append(g)
                rows_lab.append(label)
                rows_hand.append(hs)
                rows_F.append(fv)
    q = np.array(rows_q, np.int64)
    return {"q": q, "group": np.array(rows_g, np.int64), "y": np.array(rows_lab, np.int8),
            "hand": np.array(rows_hand), "F": np.array(rows_F, float).reshape(-1, len(FEATURE_NAMES)),
            "set": np.array(sets, np.int8), "key": np.array(keys, dtype=object), "n_queries": len(queries)}


SET_NAMES = ("dev positives", "dev negatives", "GLEIF (fit half)", "persons_us (fit half)")


def build_rows(wl_path: Path | None, clean_sample: int) -> dict:
    from accuracy import as_queries, clean_fit, default_watchlist, equivalents, held_out, read_csv

    from screening.config import Settings
    from screening.service import Query, Service

    shared = ROOT.parent / "shared"
    svc = Service(Settings.from_env(watchlist=wl_path or default_watchlist()))
    wl = svc.watchlist
    pos = [r for r in read_csv(shared / "eval-dev" / "positives.csv") if not held_out(r["expected_entity_id"])]
    neg = [r for r in read_csv(shared / "eval-dev" / "negatives.csv") if not held_out(r["query_name"])]
    gleif = [r for r in read_csv(shared / "eval-dev" / "clean" / "gleif_legal_names.csv.gz")
             if not r["listed_name_exact"] and clean_fit(r["legal_name"])]
    persons = [r for r in read_csv(shared / "eval-dev" / "clean" / "persons_us.csv") if clean_fit(r["full_name"])]
    if clean_sample:
        rng = random.Random(SEED)
        gleif = rng.sample(gleif, min(clean_sample, len(gleif)))
        persons = rng.sample(persons, min(clean_sample, len(persons)))
    queries = (as_queries(pos) + as_queries(neg) + [Query(name=r["legal_name"], country=r["country"] or None) for r in gleif]
               + [Query(name=r["full_name"]) for r in persons])
    expected: list[set[str] | None] = [*equivalents(wl, pos), *[None] * (len(neg) + len(gleif) + len(persons))]
    sets = [0] * len(pos) + [1] * len(neg) + [2] * len(gleif) + [3] * len(persons)
    keys = ([r["expected_entity_id"] for r in pos] + [r["query_name"] for r in neg] + [r["legal_name"] for r in gleif]
            + [r["full_name"] for r in persons])
    rows = extract(svc, queries, expected, sets, keys)
    rows["watchlist"] = f"{wl.id} {wl.version}: {wl.n_entities} entities, {wl.n_names} names"
    return rows


# --- query-level figures ------------------------------------------------------------------------

def query_metrics(rows: dict, score: np.ndarray, thresholds: list[float]) -> list[dict]:
    """Per threshold: recall and top-1 of the dev positives, false alerts per 1,000 of each negative set."""
    nq = rows["n_queries"]
    q, y, g = rows["q"], rows["y"], rows["group"]
    # per (query, group): its best name's score
    order = np.lexsort((-score, g, q))
    qs, gs, ss, ys = q[order], g[order], score[order], y[order]
    first = np.ones(len(qs), bool)
    first[1:] = (qs[1:] != qs[:-1]) | (gs[1:] != gs[:-1])
    qs, ss, ys = qs[first], ss[first], ys[first]
    top = np.full(nq, -1.0)
    np.maximum.at(top, qs, ss)
    true_best = np.full(nq, -1.0)
    np.maximum.at(true_best, qs[ys == 1], ss[ys == 1])
    wrong_best = np.full(nq, -1.0)
    np.maximum.at(wrong_best, qs[ys == 0], ss[ys == 0])
    sets = rows["set"]
    out = []
    for t in thresholds:
        r = {"threshold": t}
        p = sets == 0
        r["recall"] = float(np.mean(true_best[p] >= t))
        r["top1"] = float(np.mean((true_best[p] >= t) & (true_best[p] > wrong_best[p])))
        for s in (1, 2, 3):
            r[f"fa{s}"] = 1000 * float(np.mean(top[sets == s] >= t))
        out.append(r)
    return out


def row_folds(rows: dict, folds: int) -> np.ndarray:
    qfold = np.array([fold_of(k, folds) for k in rows["key"]])
    return qfold[rows["q"]]


EASY = 0.3  # negatives the hand-set score puts below this are easy: a seeded tenth of them stands for all
EASY_SHARE = 0.1


def row_weights(rows: dict, positive_weight: float = POSITIVE_WEIGHT) -> np.ndarray:
    """Each pair's weight in the fit: positives `positive_weight`, hard negatives 1, a seeded sample of
    the easy negatives 1 / EASY_SHARE (the rest 0: left out, for speed)."""
    y, hand = rows["y"], rows["hand"]
    rng = np.random.default_rng(SEED)
    easy = (y == 0) & (hand < EASY)
    w = np.where(y == 1, positive_weight, 1.0)
    return np.where(easy, np.where(rng.random(len(y)) < EASY_SHARE, 1 / EASY_SHARE, 0.0), w)


def out_of_fold(rows: dict, folds: int, terms=TERMS, l2: float = L2, positive_weight: float = POSITIVE_WEIGHT
                ) -> np.ndarray:
    X, F, y = design(rows["F"], rows["hand"], terms), rows["F"], rows["y"].astype(float)
    w = row_weights(rows, positive_weight)
    fo = row_folds(rows, folds)
    pred = np.empty(len(y))
    for k in range(folds):
        tr = (fo != k) & (w > 0)
        b, c = fit_calibrated(X[tr], y[tr], w[tr], positive_weight, terms, l2)
        pred[~tr] = predict(b, c, X[~tr], F[~tr])
    return pred


def print_table(label: str, metrics: list[dict]) -> None:
    print(f"\n{label}")
    print(f"{'thr':>5} | {'recall':>7} {'top-1':>7} | {'dev neg FA/1k':>13} {'GLEIF FA/1k':>11} {'persons FA/1k':>13}")
    for r in metrics:
        print(f"{r['threshold']:>5.2f} | {r['recall']:>7.2%} {r['top1']:>7.2%} | {r['fa1']:>13.1f} {r['fa2']:>11.1f} "
              f"{r['fa3']:>13.1f}")


def reliability(pred: np.ndarray, y: np.ndarray) -> None:
    print("\nreliability (out of fold): predicted probability bin -> pairs, share that are true matches")
    edges = [0, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001]
    for lo, hi in zip(edges, edges[1:], strict=False):
        m = (pred >= lo) & (pred < hi)
        if m.any():
            print(f"  [{lo:.2f}, {min(hi, 1):.2f}) n={int(m.sum()):>7}  mean predicted {pred[m].mean():.3f}  "
                  f"true {y[m].mean():.3f}")


def write_sample(rows: dict, path: Path, n: int = SAMPLE_ROWS) -> None:
    """A seeded sample of the training rows (features, label) for the reproducibility test."""
    rng = np.random.default_rng(SEED)
    pos = np.flatnonzero(rows["y"] == 1)
    neg = np.flatnonzero(rows["y"] == 0)
    take = np.sort(np.concatenate([rng.choice(pos, min(len(pos), n // 3), replace=False),
                                   rng.choice(neg, min(len(neg), n - n // 3), replace=False)]))
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow(["label", *FEATURE_NAMES, "handset"])
    for i in take:
        wr.writerow([int(rows["y"][i]), *(repr(round(float(v), 6)) for v in (*rows["F"][i], rows["hand"][i]))])
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        f.write(buf.getvalue().encode())


def read_sample(path: Path = SAMPLE_PATH) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        data = list(csv.reader(f))
    header = data[0][1:]
    # a feature added after the sample was drawn is absent from it: it reads as 0 (the flag not raised)
    unknown = set(header) - {*FEATURE_NAMES, "handset"}
    assert header[-1] == "handset" and not unknown, f"the sample's columns are not the features: {sorted(unknown)}"
    arr = np.array(data[1:], float)
    F = np.zeros((len(arr), len(FEATURE_NAMES) + 1))
    for k, name in enumerate([*FEATURE_NAMES, "handset"]):
        if name in header:
            F[:, k] = arr[:, 1 + header.index(name)]
    return F, arr[:, 0]


def fit_sample(path: Path = SAMPLE_PATH) -> dict[str, float]:
    F, y = read_sample(path)
    b, c = fit_calibrated(design(F[:, :-1], F[:, -1]), y, np.where(y == 1, POSITIVE_WEIGHT, 1.0))
    return {"intercept": round(b, 6), **{t: round(float(v), 6) for (t, _), v in zip(TERMS, c, strict=True)}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--watchlist", type=Path)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--clean-sample", type=int, default=0, help="rows of each clean set's fit half (0: all)")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--no-write", action="store_true", help="report only")
    ap.add_argument("--cache", action="store_true", help="reuse benchmarks/out/fit_rows.npz if present")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    print(f"machine: {platform.platform()}, python {platform.python_version()}; seed {SEED}, {args.folds} folds")
    cache = ROOT / "benchmarks" / "out" / "fit_rows.npz"
    if args.cache and cache.exists():
        z = np.load(cache, allow_pickle=True)
        rows = {k: z[k] for k in z.files}
        rows["n_queries"] = int(rows["n_queries"])
        rows["watchlist"] = str(rows["watchlist"])
    else:
        rows = build_rows(args.watchlist, args.clean_sample)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **rows)
    n_by_set = np.bincount(rows["set"], minlength=4)
    print(f"watchlist {rows['watchlist']}")
    print("queries: " + ", ".join(f"{name} {n}" for name, n in zip(SET_NAMES, n_by_set, strict=True)))
    print(f"pairs: {len(rows['y'])} ({int(rows['y'].sum())} positive), extracted/loaded in "
          f"{time.perf_counter() - started:.0f} s")

    thresholds = [round(t, 2) for t in np.arange(0.3, 0.951, 0.05)]
    pred = out_of_fold(rows, args.folds)
    print_table("hand-set score (same rows, name score before the matcher's country/as-written steps):",
                query_metrics(rows, rows["hand"], thresholds))
    print_table(f"fitted model, out of fold ({args.folds} folds by entity / name):", query_metrics(rows, pred, thresholds))
    reliability(pred, rows["y"].astype(float))

    X = design(rows["F"], rows["hand"])
    w = row_weights(rows)
    b, c = fit_calibrated(X[w > 0], rows["y"][w > 0].astype(float), w[w > 0])
    print("\ncoefficients (all rows):")
    print(f"  {'intercept':<28} {b:+.4f}")
    for (t, _), v in zip(TERMS, c, strict=True):
        print(f"  {t:<28} {v:+.4f}")
    if not args.no_write:
        write_sample(rows, SAMPLE_PATH)
        model = {
            "about": "Logistic name-score model: P(same entity) = 1/(1+exp(-(intercept + sum(coef * term)))); "
                     "a term is a screening.scoring.Features field, a product a*b, or handset (the hand-set score, "
                     "screening.scoring.handset_score). Written by benchmarks/fit_scores.py.",
            "fitted_on": f"{rows['watchlist']}; " + ", ".join(f"{name} {n}" for name, n in zip(SET_NAMES, n_by_set,
                                                                                             strict=True))
                         + f"; {len(rows['y'])} pairs; seed {SEED}",
            "l2": L2, "positive_weight": POSITIVE_WEIGHT,
            "intercept": round(b, 6),
            "coefficients": {t: round(float(v), 6) for (t, _), v in zip(TERMS, c, strict=True)},
            "sample_check": {"path": str(SAMPLE_PATH.relative_to(ROOT)), "fit": fit_sample()},
        }
        args.out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {args.out.relative_to(ROOT)} and {SAMPLE_PATH.relative_to(ROOT)}")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
