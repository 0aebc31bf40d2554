"""Train the classifier shipped as `AftershockClassifier.pretrained()` on every event.

    python experiments/train_classifier.py --dataset DIR [--steps 2000] [--features devries]
        [--auc-json auc_results/auc.json] [--out quakejax/aftershocks/weights/devries]

Uses every slip model of the dataset built by `experiments/build_dataset.py` that has at
least one positive cell.  The held-out AUC of this recipe is measured separately, by
`experiments/aftershocks_auc.py` (event-grouped splits); pass its `auc.json` with
`--auc-json` to copy those numbers into the model card.  Prints one JSON line.
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import platform
import time

import _scripts  # experiments/_scripts.py, beside this script
import numpy as np
import pandas as pd

REPO = pathlib.Path(__file__).resolve().parents[1]


def inputs_of(sigma, context, features, chunk=1 << 18):
    """The (unstandardised) network inputs, in fixed-size chunks (one compilation)."""
    import jax
    import jax.numpy as jnp

    from quakejax.aftershocks import context_inputs, stress_inputs

    @jax.jit
    def f(s, c):
        x = stress_inputs(s, features)
        if features.endswith("_context"):
            x = jnp.concatenate([x, context_inputs(c)], axis=-1)
        return x

    n = len(sigma)
    out = []
    for i in range(0, n, chunk):
        s, c = sigma[i : i + chunk], context[i : i + chunk]
        pad = chunk - len(s)
        s = np.concatenate([s, np.zeros((pad, 3, 3), s.dtype)])
        c = np.concatenate([c, np.ones((pad, 3), c.dtype)])
        out.append(np.asarray(f(s, c))[: chunk - pad])
    return np.concatenate(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--features",
        default="devries",
        choices=["devries", "devries_asinh", "principal", "invariant", "invariant_context"],
    )
    ap.add_argument("--auc-json", default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    import jax

    from quakejax.aftershocks import (
        CONTEXT_COLUMNS,
        FEATURE_SETS,
        AftershockClassifier,
        TrainConfig,
        roc_auc,
        table_stress,
        train,
    )

    ds = pathlib.Path(args.dataset)
    summary = pd.read_csv(ds / "summary.csv")
    ok = summary[(summary.status == "ok") & (summary.positives > 0)].reset_index(drop=True)
    sigmas, contexts, ys = [], [], []
    for out in ok.output:
        t = pd.read_parquet(ds / out)
        sigmas.append(table_stress(t).astype(np.float32))
        contexts.append(np.stack([t[c].to_numpy(np.float32) for c in CONTEXT_COLUMNS], 1))
        ys.append(t.aftershocksyn.to_numpy().astype(np.int8))
    y = np.concatenate(ys)
    x = inputs_of(np.concatenate(sigmas), np.concatenate(contexts), args.features)
    shift = scale = None
    if args.features != "devries":  # standardise (the published network takes raw MPa)
        shift, scale = x.mean(axis=0), x.std(axis=0)
        x = (x - shift) / scale
    config = TrainConfig(steps=args.steps, seed=args.seed, n_features=FEATURE_SETS[args.features])
    t0 = time.perf_counter()
    net, losses = train(x, y, config)
    wall = time.perf_counter() - t0
    rows_per_s = config.steps * config.batch_size / wall
    card = {
        "model": f"DeVries et al. (2018) network, {args.features} inputs",
        "trained": datetime.date.today().isoformat(),
        "data": {
            "slip_models": len(ok),
            "earthquakes": int(len(set(_scripts.load("aftershocks_auc").earthquake_groups(ok)))),
            "cells": len(y),
            "positives": int(y.sum()),
            "built_by": "experiments/build_dataset.py (DeVries grid: 5 km cells, 100 km, 0-50 km;"
            " labels: 1 s to 365 days)",
        },
        "training": {
            **{k: getattr(config, k) for k in ("optimizer", "learning_rate", "batch_size")},
            "steps": config.steps,
            "seed": config.seed,
            "final_loss": float(np.mean(losses[-50:])),
            "wall_s": round(wall, 1),
            "rows_per_s": round(rows_per_s),
            "machine": f"{platform.machine()} {jax.default_backend()}",
        },
        "training_auc_all_cells": None,
        "held_out": None,
    }
    p = np.concatenate(
        [np.asarray(net.probability(x[i : i + 262_144])) for i in range(0, len(x), 262_144)]
    )
    card["training_auc_all_cells"] = round(float(roc_auc(p, y)), 4)
    if args.auc_json:
        res = json.loads(pathlib.Path(args.auc_json).read_text())
        card["held_out"] = {
            "source": "experiments/aftershocks_auc.py",
            "splits": res["splits"],
            "table": res["table"],
        }
    model = AftershockClassifier(net, args.features, json.dumps(card), shift, scale)
    out = args.out or REPO / "quakejax" / "aftershocks" / "weights" / args.features
    model.save(out)
    print(json.dumps(card))


if __name__ == "__main__":
    main()
