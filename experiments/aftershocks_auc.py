"""Held-out AUC of the DeVries network, its baselines and our extensions on the built dataset.

    python experiments/aftershocks_auc.py --dataset DIR [--splits 10] [--steps 500] [--out DIR]

Reads the tables written by `experiments/build_dataset.py` (models with at least one
positive cell; DeVries et al. skip single-class models).  Two protocols:

- **event split** (the honest one): all slip models of one earthquake fall on the same
  side (`earthquake_groups`: same SRCMOD event prefix, or mainshock times within 120 s).
  30% of earthquakes are held out, `--splits` times.
- **slip-model split** (DeVries et al.): 30% of slip models at random, so one
  earthquake can be on both sides.

Models, each scored by ROC AUC on the pooled held-out cells of a split:

- `nn`: the DeVries network (12 inputs |sigma_ij| in MPa; Adam, class-balanced batches);
- `nn_asinh` (with `--extras`): the same network on asinh(|sigma_ij| / 0.01 MPa)
  (log-compressed inputs);
- `nn_invariant` (with `--extras`): the same network on 4 frame-independent inputs (log10
  von Mises, pressure ratio, cos 3 theta, log10 |mean stress|; standardised);
- `nn_context`: the same plus the rupture context (log10 distance, log10 nearest slip, mean
  slip), the shipped `invariant_context` model;
- every scalar stress metric as a score, and `distance` (minus the distance to the
  nearest slipping patch);
- `logistic_log_von_mises`: Mignan & Broccardo's "one neuron" on log10(von Mises);
- `logistic_distance_slip`: logistic regression on log10 distance, log10 slip of the
  nearest patch and the model's mean slip;
- `logistic_vm_pressure_lode`: log10 von Mises plus the pressure ratio I1 / (3 sqrt(J2))
  and cos(3 theta) (Lode): does anything beyond von Mises help on held-out events?;
- `gradient_boosting`: histogram gradient boosting on the 12 network inputs;
- `gradient_boosting_context`: invariants plus distance and slip;
- `*_event_rank`: per-event calibration: the score replaced by its percentile among the
  cells of its own rupture (uses no labels, so it is allowed on a new event).

Besides the pooled AUC, `per_event_mean` is the unweighted mean of the per-event AUCs of
the held-out events (event split).  Writes `auc.json`, `auc.md`, `per_event_auc.csv`
(each event's AUC for the scalar metrics and, averaged over the splits that held it out,
for the trained models) and `roc_event_split0.png` to `--out`, and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import _scripts  # experiments/_scripts.py, beside this script
import numpy as np
import pandas as pd

METRICS = {
    "von_mises": "von_mises",
    "max_shear": "stresses_full_max_shear",
    "sum_abs": "sum_abs",
    "cfs_mean_receiver": "stresses_full_cfs",
    "cfs_total": "stresses_full_cfs_total",
    "cfs_total_shear": "stresses_full_cfs_total_shear",
}
GBM_ROWS = 250_000  # training rows subsampled for each boosting or logistic fit
RANKED = ("von_mises", "nn", "nn_context")


def earthquake_of(tag: str) -> str:
    return tag[:11] if tag.startswith("s") and tag[1:5].isdigit() else tag


def earthquake_groups(summary: pd.DataFrame) -> np.ndarray:
    """One label per slip model: models of the same earthquake share it.

    Two models are one earthquake when their SRCMOD tags share the event prefix
    ("s1992LANDER"), when their mainshock times (matched in the catalog) are within 120 s,
    or when one of them has only a date and the dates agree.  The links are closed
    transitively (USGS, GeoNet and published .flt models of one event, and the variants of
    one model, carry unrelated tags).
    """
    n = len(summary)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    prefix = [earthquake_of(t) for t in summary.tag]
    times = pd.to_datetime(summary.mainshock_time).to_numpy()
    date_only = (summary.time_source == "date").to_numpy()
    days = times.astype("datetime64[D]")
    for i in range(n):
        for j in range(i + 1, n):
            dt = abs((times[i] - times[j]) / np.timedelta64(1, "s"))
            same = prefix[i] == prefix[j] or dt <= 120.0
            same |= (date_only[i] or date_only[j]) and days[i] == days[j]
            if same:
                parent[find(i)] = find(j)
    roots = [find(i) for i in range(n)]
    first = {}
    return np.array([first.setdefault(r, prefix[i]) for i, r in enumerate(roots)])


class Data:
    """Every per-cell input of every model, stacked over the dataset."""

    def __init__(self, ds: pathlib.Path):
        from quakejax.aftershocks import CONTEXT_COLUMNS, devries_features, table_stress

        summary = pd.read_csv(ds / "summary.csv")
        self.ok = summary[(summary.status == "ok") & (summary.positives > 0)].reset_index(drop=True)
        parts: dict[str, list] = {}
        for i, row in self.ok.iterrows():
            t = pd.read_parquet(ds / row.output)
            if "rupture_distance_km" not in t:
                raise SystemExit(
                    f"{row.output}: no rupture-context columns; rerun "
                    "experiments/build_dataset.py on this folder to add them."
                )
            sigma = table_stress(t)
            vm = t.von_mises.to_numpy(np.float64)
            sqrt_j2 = np.maximum(vm / np.sqrt(3.0), 1e-3)
            i1 = t.stresses_full_i1.to_numpy(np.float64)
            lode = t.lode_angle.to_numpy(np.float64)
            dist = np.maximum(t.rupture_distance_km.to_numpy(np.float64), 0.1)
            near = np.maximum(t.nearest_slip_m.to_numpy(np.float64), 1e-3)
            inv = np.c_[np.log10(sqrt_j2 * np.sqrt(3.0)), i1 / (3 * sqrt_j2), np.cos(3 * lode)]
            add = {
                # numpy here: eager jnp would compile once per table size
                "x12": devries_features(t),
                "y": t.aftershocksyn.to_numpy().astype(np.int8),
                "metrics": np.c_[t[list(METRICS.values())].to_numpy(np.float64), -dist],
                "inv": np.c_[inv, np.log10(np.abs(i1) + 1e-3)].astype(np.float32),
                "ctx": np.c_[np.log10(dist), np.log10(near), t.mean_slip_m.to_numpy()].astype(
                    np.float32
                ),
                "mid": np.full(len(t), i, np.int32),
            }
            add["sigma"] = sigma.astype(np.float32)
            add["context"] = np.stack([t[c].to_numpy(np.float32) for c in CONTEXT_COLUMNS], axis=1)
            for k, v in add.items():
                parts.setdefault(k, []).append(v)
        for k, v in parts.items():
            setattr(self, k, np.concatenate(v))
        # The networks' other inputs, through the library (one compilation each).
        inputs_of = _scripts.load("train_classifier").inputs_of
        self.x7 = inputs_of(self.sigma, self.context, "invariant_context")
        self.xa = inputs_of(self.sigma, self.context, "devries_asinh")
        del self.sigma, self.context
        self.metric_names = [*METRICS, "distance"]
        self.quakes = earthquake_groups(self.ok)


def _within_event_rank(score, mid):
    from scipy.stats import rankdata

    out = np.empty(len(score))
    for m in np.unique(mid):
        sel = mid == m
        out[sel] = rankdata(score[sel]) / sel.sum()
    return out


def _predict(net, x):
    return np.concatenate(
        [np.asarray(net.probability(x[i : i + 262_144])) for i in range(0, len(x), 262_144)]
    )


def evaluate(d: Data, train_models, test_models, steps, seed, *, extended=True, extras=False):
    """Scores of every model on the held-out cells of one split: {name: score array}."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from quakejax.aftershocks import TrainConfig, train

    tr, te = np.isin(d.mid, train_models), np.isin(d.mid, test_models)
    y = d.y
    scores, timing = {}, {}
    t0 = time.perf_counter()
    net, _ = train(d.x12[tr], y[tr], TrainConfig(steps=steps, seed=seed), progress=False)
    timing["nn_train_s"] = time.perf_counter() - t0
    scores["nn"] = _predict(net, d.x12[te])
    for j, name in enumerate(d.metric_names):
        scores[name] = d.metrics[te, j]

    rng = np.random.default_rng(seed)
    sub = np.flatnonzero(tr)
    sub = rng.choice(sub, size=min(len(sub), GBM_ROWS), replace=False)

    def logistic(name, cols):
        sc = StandardScaler().fit(cols[sub])
        lr = LogisticRegression(class_weight="balanced", max_iter=500)
        lr.fit(sc.transform(cols[sub]), y[sub])
        scores[name] = lr.decision_function(sc.transform(cols[te]))

    logistic("logistic_log_von_mises", d.inv[:, :1])
    logistic("logistic_distance_slip", d.ctx)

    def boosting(name, x):
        gb = HistGradientBoostingClassifier(
            max_iter=100, class_weight="balanced", random_state=seed
        )
        t1 = time.perf_counter()
        gb.fit(x[sub], y[sub])
        timing[f"{name}_s"] = time.perf_counter() - t1
        scores[name] = gb.predict_proba(x[te])[:, 1]

    boosting("gradient_boosting", d.x12)
    if extended:
        for name, cols in (("nn_invariant", 4), ("nn_context", 7)):
            if name == "nn_invariant" and not extras:
                continue
            x = d.x7[:, :cols]
            mu, sd = x[tr].mean(axis=0), x[tr].std(axis=0)
            x = ((x - mu) / sd).astype(np.float32)
            t0 = time.perf_counter()
            cfg = TrainConfig(steps=steps, seed=seed, n_features=cols)
            net_i, _ = train(x[tr], y[tr], cfg, progress=False)
            timing[f"{name}_train_s"] = time.perf_counter() - t0
            scores[name] = _predict(net_i, x[te])
        if extras:
            t0 = time.perf_counter()
            cfg = TrainConfig(steps=steps, seed=seed)
            net_a, _ = train(d.xa[tr], y[tr], cfg, progress=False)
            timing["nn_asinh_train_s"] = time.perf_counter() - t0
            scores["nn_asinh"] = _predict(net_a, d.xa[te])
        logistic("logistic_vm_pressure_lode", d.inv[:, :3])
        boosting("gradient_boosting_context", np.c_[d.inv, d.ctx])
        for name in RANKED:
            scores[f"{name}_event_rank"] = _within_event_rank(scores[name], d.mid[te])
    return scores, te, timing


def summarise(scores, y, mid):
    """Pooled AUC and the unweighted mean of per-event AUCs, per model."""
    from quakejax.aftershocks import roc_auc

    pooled = {k: float(roc_auc(v.astype(np.float64), y)) for k, v in scores.items()}
    per_event = {}
    for m in np.unique(mid):
        sel = mid == m
        if 0 < y[sel].sum() < sel.sum():
            per_event[int(m)] = {
                k: float(roc_auc(v[sel].astype(np.float64), y[sel])) for k, v in scores.items()
            }
    return pooled, per_event


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--out", default="auc_results")
    ap.add_argument(
        "--extras", action="store_true", help="also the asinh- and invariant-input networks"
    )
    args = ap.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    d = Data(pathlib.Path(args.dataset))
    t_load = time.perf_counter() - t_all
    uniq = np.unique(d.quakes)
    n_models = len(d.ok)
    print(
        f"{n_models} slip models, {len(uniq)} earthquakes, {len(d.y)} cells, "
        f"{int(d.y.sum())} positive (loaded in {t_load:.0f} s)"
    )
    results = {"event": [], "slip_model": []}
    means = {"event": [], "slip_model": []}
    held_out_auc: dict[int, dict[str, list]] = {}
    timings = []
    roc_split0 = None
    for s in range(args.splits):
        rng = np.random.default_rng(1000 + s)
        held = set(rng.choice(uniq, size=max(1, int(round(0.3 * len(uniq)))), replace=False))
        test = np.flatnonzero([q in held for q in d.quakes])
        train_ = np.setdiff1d(np.arange(n_models), test)
        sc, te, timing = evaluate(d, train_, test, args.steps, s, extras=args.extras)
        pooled, per_event = summarise(sc, d.y[te], d.mid[te])
        results["event"].append(pooled)
        means["event"].append(
            {k: float(np.mean([e[k] for e in per_event.values()])) for k in pooled}
        )
        for m, e in per_event.items():
            for k in ("nn", "nn_invariant", "nn_context", "gradient_boosting_context"):
                if k not in e:
                    continue
                held_out_auc.setdefault(m, {}).setdefault(k, []).append(e[k])
        timings.append(timing)
        if s == 0:
            roc_split0 = (sc, te)
        perm = rng.permutation(n_models)
        n_test = int(round(0.3 * n_models))
        sc2, te2, _ = evaluate(d, perm[n_test:], perm[:n_test], args.steps, s, extended=False)
        pooled2, per_event2 = summarise(sc2, d.y[te2], d.mid[te2])
        results["slip_model"].append(pooled2)
        means["slip_model"].append(
            {k: float(np.mean([e[k] for e in per_event2.values()])) for k in pooled2}
        )
        print(
            f"split {s}: event nn {pooled['nn']:.3f} von Mises {pooled['von_mises']:.3f} "
            f"context {pooled['nn_context']:.3f} "
            f"GBM+context {pooled['gradient_boosting_context']:.3f} | slip-model nn "
            f"{pooled2['nn']:.3f} von Mises {pooled2['von_mises']:.3f} "
            f"({time.perf_counter() - t_all:.0f} s)",
            flush=True,
        )
    table = _table(results, means)
    md = table.to_markdown(index=False, floatfmt=".3f")
    print(md)
    (out / "auc.md").write_text(md + "\n")
    _per_event_table(d, held_out_auc).to_csv(out / "per_event_auc.csv", index=False)
    _roc_figure(roc_split0, d.y, out / "roc_event_split0.png")
    wall = time.perf_counter() - t_all
    summary = {
        "models": int(n_models),
        "earthquakes": int(len(uniq)),
        "cells": int(len(d.y)),
        "positives": int(d.y.sum()),
        "splits": args.splits,
        "steps": args.steps,
        "table": table.to_dict("records"),
        "timing_mean_s": {k: round(float(np.mean([t[k] for t in timings])), 1) for k in timings[0]},
        "load_s": round(t_load, 1),
        "wall_s": round(wall, 1),
    }
    (out / "auc.json").write_text(
        json.dumps({**summary, "splits_raw": results, "per_event_mean_raw": means}, indent=1)
    )
    print(json.dumps(summary))


def _table(results, means):
    rows = []
    for k in results["event"][0]:
        row = {"model": k}
        for proto in ("event", "slip_model"):
            if k not in results[proto][0]:
                row[f"{proto}_mean"] = row[f"{proto}_std"] = np.nan
                continue
            v = np.array([r[k] for r in results[proto]])
            row[f"{proto}_mean"] = v.mean()
            row[f"{proto}_std"] = v.std(ddof=1) if len(v) > 1 else 0.0
        pe = np.array([r[k] for r in means["event"]])
        row["event_per_event_mean"] = pe.mean()
        rows.append(row)
    return pd.DataFrame(rows)


def _per_event_table(d: Data, held_out_auc):
    from quakejax.aftershocks import roc_auc

    rows = []
    for i, row in d.ok.iterrows():
        sel = d.mid == i
        r = {
            "file": row.file,
            "tag": row.tag,
            "earthquake": d.quakes[i],
            "catalog": row.catalog,
            "cells": int(sel.sum()),
            "positives": int(d.y[sel].sum()),
        }
        for j, name in enumerate(d.metric_names):
            r[name] = float(roc_auc(d.metrics[sel, j], d.y[sel]))
        for k, v in held_out_auc.get(i, {}).items():
            r[f"{k}_held_out"] = float(np.mean(v))
        r["times_held_out"] = len(held_out_auc.get(i, {}).get("nn", []))
        rows.append(r)
    return pd.DataFrame(rows)


def _roc_figure(roc, y, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from quakejax.aftershocks import roc_auc, roc_curve

    scores, te = roc
    fig, ax = plt.subplots(figsize=(5.5, 5.5), constrained_layout=True)
    for name, label in [
        ("nn", "DeVries network"),
        ("von_mises", "von Mises"),
        ("cfs_mean_receiver", "dCFS, mean receiver"),
        ("distance", "distance to rupture"),
        ("nn_context", "network, invariants + context"),
    ]:
        s = scores[name].astype(np.float64)
        fpr, tpr, _ = roc_curve(s, y[te])
        ax.plot(fpr, tpr, label=f"{label} ({float(roc_auc(s, y[te])):.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        title="Held-out earthquakes, split 0",
    )
    ax.legend(loc="lower right", fontsize=8)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
