"""A first, single-split look at the DeVries network on the built dataset (not the protocol).

    python experiments/train_quick.py --dataset DIR [--steps 500]

Loads every `<file>_grid.parquet` written by `build_dataset.py`, holds out about 30% of the
earthquakes (all slip models of one earthquake together; the earthquake is the tag's first
11 characters, e.g. "s1992LANDER"), trains the network with Adam on class-balanced batches,
and prints training throughput (rows/s) and the held-out pooled ROC AUC of the network and
of von Mises, maximum shear and dCFS.  One split only: the 10-split protocol is
`experiments/aftershocks_auc.py` (to come).  JSON last line.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import numpy as np
import pandas as pd


def main(argv=None):
    from quakejax.aftershocks import TrainConfig, devries_features, roc_auc, train

    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    ds = pathlib.Path(args.dataset)
    summary = pd.read_csv(ds / "summary.csv")
    ok = summary[(summary.status == "ok") & (summary.positives > 0)]
    events = ok.tag.str.slice(0, 11)
    rng = np.random.default_rng(args.seed)
    uniq = np.unique(events)
    test_events = set(rng.choice(uniq, size=int(0.3 * len(uniq)), replace=False))
    cols = ["von_mises", "stresses_full_max_shear", "stresses_full_cfs"]
    parts = {"train": [], "test": []}
    for (_, row), ev in zip(ok.iterrows(), events, strict=True):
        t = pd.read_parquet(ds / row.output)
        side = "test" if ev in test_events else "train"
        parts[side].append((devries_features(t), t.aftershocksyn.to_numpy(), t[cols].to_numpy()))
    x_tr = np.concatenate([p[0] for p in parts["train"]])
    y_tr = np.concatenate([p[1] for p in parts["train"]])
    x_te = np.concatenate([p[0] for p in parts["test"]])
    y_te = np.concatenate([p[1] for p in parts["test"]])
    m_te = np.concatenate([p[2] for p in parts["test"]])
    cfg = TrainConfig(steps=args.steps, seed=args.seed)
    t0 = time.perf_counter()
    model, losses = train(x_tr, y_tr, cfg)
    wall = time.perf_counter() - t0
    p = np.concatenate(
        [np.asarray(model.probability(x_te[i : i + 200_000])) for i in range(0, len(x_te), 200_000)]
    )
    out = {
        "events_train": len(uniq) - len(test_events),
        "events_test": len(test_events),
        "cells_train": int(len(y_tr)),
        "cells_test": int(len(y_te)),
        "positives_test": int(y_te.sum()),
        "train_rows_per_s": round(cfg.steps * cfg.batch_size / wall),
        "train_wall_s_incl_compile": round(wall, 1),
        "auc_nn": float(roc_auc(p, y_te)),
    }
    for i, c in enumerate(cols):
        out[f"auc_{c}"] = float(roc_auc(m_te[:, i], y_te))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
