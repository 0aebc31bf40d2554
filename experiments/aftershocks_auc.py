"""Held-out AUC of the DeVries network and its baselines on the built dataset.

    python experiments/aftershocks_auc.py --dataset DIR [--splits 10] [--steps 500] [--out DIR]

Reads the tables written by `experiments/build_dataset.py` (models with at least one
positive cell; DeVries et al. skip single-class models).  Two protocols:

- **event split** (the honest one): all slip models of one earthquake fall on the same
  side.  The earthquake is the tag's first 11 characters for SRCMOD tags ("s1992LANDER");
  other tags are their own earthquake.  30% of earthquakes are held out, `--splits` times.
- **slip-model split** (DeVries et al.): 30% of slip models at random, so one
  earthquake can be on both sides.

Scored on the pooled held-out cells of each split:

- the network (Adam, class-balanced batches of 3500);
- every scalar stress metric as a score;
- a one-feature logistic regression on log10(von Mises), the "one neuron" of Mignan &
  Broccardo (2019);
- a histogram gradient-boosted classifier on the 12 network inputs.

Prints a Markdown table of the mean and standard deviation over splits, writes `auc.json`,
`auc.md`, `roc_event_split0.png` and `per_event_auc.csv` to `--out`, and prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import numpy as np
import pandas as pd

METRICS = [
    "von_mises",
    "stresses_full_max_shear",
    "sum_abs",
    "stresses_full_cfs",
    "stresses_full_cfs_total",
    "stresses_full_cfs_total_shear",
]


def earthquake_of(tag: str) -> str:
    return tag[:11] if tag.startswith("s") and tag[1:5].isdigit() else tag


def load(ds: pathlib.Path):
    from quakejax.aftershocks import devries_features

    summary = pd.read_csv(ds / "summary.csv")
    ok = summary[(summary.status == "ok") & (summary.positives > 0)].reset_index(drop=True)
    xs, ys, ms, model_id = [], [], [], []
    for i, row in ok.iterrows():
        t = pd.read_parquet(ds / row.output)
        xs.append(devries_features(t))
        ys.append(t.aftershocksyn.to_numpy().astype(np.int8))
        ms.append(t[METRICS].to_numpy(np.float64))
        model_id.append(np.full(len(t), i, np.int32))
    return ok, np.concatenate(xs), np.concatenate(ys), np.concatenate(ms), np.concatenate(model_id)


def evaluate(train_models, test_models, x, y, m, mid, steps, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    from quakejax.aftershocks import TrainConfig, roc_auc, train

    tr = np.isin(mid, train_models)
    te = np.isin(mid, test_models)
    out = {}
    t0 = time.perf_counter()
    net, _ = train(x[tr], y[tr], TrainConfig(steps=steps, seed=seed), progress=False)
    out["train_s"] = time.perf_counter() - t0
    xt = x[te]
    p = np.concatenate(
        [np.asarray(net.probability(xt[i : i + 262_144])) for i in range(0, len(xt), 262_144)]
    )
    out["nn"] = float(roc_auc(p, y[te]))
    for j, c in enumerate(METRICS):
        out[c] = float(roc_auc(m[te, j], y[te]))
    logvm = np.log10(np.maximum(m[:, 0], 1e-3))[:, None]
    lr = LogisticRegression(class_weight="balanced").fit(logvm[tr], y[tr])
    out["logistic_log_von_mises"] = float(roc_auc(lr.decision_function(logvm[te]), y[te]))
    rng = np.random.default_rng(seed)
    sub = np.flatnonzero(tr)
    sub = rng.choice(sub, size=min(len(sub), 400_000), replace=False)  # keeps the fit short
    gb = HistGradientBoostingClassifier(max_iter=200, class_weight="balanced", random_state=seed)
    gb.fit(x[sub], y[sub])
    out["gradient_boosting"] = float(roc_auc(gb.predict_proba(xt)[:, 1], y[te]))
    return out, p, te


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--out", default="auc_results")
    args = ap.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    ok, x, y, m, mid = load(pathlib.Path(args.dataset))
    quakes = np.array([earthquake_of(t) for t in ok.tag])
    uniq = np.unique(quakes)
    print(
        f"{len(ok)} slip models, {len(uniq)} earthquakes, {len(y)} cells, {int(y.sum())} positive"
    )
    results = {"event": [], "slip_model": []}
    roc_split0 = None
    for s in range(args.splits):
        rng = np.random.default_rng(1000 + s)
        held = set(rng.choice(uniq, size=max(1, int(round(0.3 * len(uniq)))), replace=False))
        test = np.flatnonzero([q in held for q in quakes])
        train_ = np.setdiff1d(np.arange(len(ok)), test)
        r, p, te = evaluate(train_, test, x, y, m, mid, args.steps, s)
        results["event"].append(r)
        if s == 0:
            roc_split0 = (p, te)
        perm = rng.permutation(len(ok))
        n_test = int(round(0.3 * len(ok)))
        r2, _, _ = evaluate(perm[n_test:], perm[:n_test], x, y, m, mid, args.steps, s)
        results["slip_model"].append(r2)
        print(
            f"split {s}: event nn {r['nn']:.3f} von Mises {r['von_mises']:.3f} | "
            f"slip-model nn {r2['nn']:.3f} von Mises {r2['von_mises']:.3f}"
        )
    keys = ["nn", *METRICS, "logistic_log_von_mises", "gradient_boosting"]
    rows = []
    for k in keys:
        ev = np.array([r[k] for r in results["event"]])
        sm = np.array([r[k] for r in results["slip_model"]])
        rows.append(
            {
                "model": k,
                "event_mean": ev.mean(),
                "event_std": ev.std(ddof=1) if len(ev) > 1 else 0.0,
                "slip_model_mean": sm.mean(),
                "slip_model_std": sm.std(ddof=1) if len(sm) > 1 else 0.0,
            }
        )
    table = pd.DataFrame(rows)
    md = (
        table.to_markdown(index=False, floatfmt=".3f")
        if _has_tabulate()
        else table.to_string(index=False)
    )
    print(md)
    (out / "auc.md").write_text(md + "\n")
    # Per-event AUC of the scalar metrics (no training involved).
    per = []
    for i, row in ok.iterrows():
        sel = mid == i
        from quakejax.aftershocks import roc_auc

        d = {
            "file": row.file,
            "tag": row.tag,
            "cells": int(sel.sum()),
            "positives": int(y[sel].sum()),
        }
        for j, c in enumerate(METRICS):
            d[c] = float(roc_auc(m[sel, j], y[sel]))
        per.append(d)
    pd.DataFrame(per).to_csv(out / "per_event_auc.csv", index=False)
    _roc_figure(roc_split0, y, m, out / "roc_event_split0.png")
    summary = {
        "models": int(len(ok)),
        "earthquakes": int(len(uniq)),
        "cells": int(len(y)),
        "positives": int(y.sum()),
        "splits": args.splits,
        "steps": args.steps,
        "table": table.to_dict("records"),
        "nn_train_s_mean": float(np.mean([r["train_s"] for r in results["event"]])),
        "wall_s": round(time.perf_counter() - t_all, 1),
    }
    (out / "auc.json").write_text(json.dumps({**summary, "splits_raw": results}, indent=1))
    print(json.dumps(summary))


def _has_tabulate():
    try:
        import tabulate  # noqa: F401

        return True
    except ImportError:
        return False


def _roc_figure(roc, y, m, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from quakejax.aftershocks import roc_auc, roc_curve

    p, te = roc
    fig, ax = plt.subplots(figsize=(5, 5), constrained_layout=True)
    for name, s in [
        ("network", p),
        ("von Mises", m[te, 0]),
        ("max shear", m[te, 1]),
        ("dCFS", m[te, 3]),
    ]:
        fpr, tpr, _ = roc_curve(s, y[te])
        ax.plot(fpr, tpr, label=f"{name} ({float(roc_auc(s, y[te])):.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        title="Held-out earthquakes, split 0",
    )
    ax.legend(loc="lower right")
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
