"""Interpret the pretrained aftershock networks: R^2 of stress metrics, gradients, closed forms.

    python experiments/interpret.py [--data ../shared/data] [--dataset DIR] [--out DIR]

Both shipped networks are analysed: "devries" (the published 12 stress inputs) and
"invariant_context" (4 invariant inputs plus distance and slip).

1. On idealised Okada ruptures (`interpret.idealised_fault`: a vertical strike-slip fault and
   a 30 deg thrust, 1 m uniform slip, the DeVries grid around each), the share of the
   network's output variance that each stress metric explains (DeVries et al. 2018 report
   over 98% for von Mises and maximum shear).
2. Gradients: the sensitivity of the logit to the mean stress p and to the von Mises
   stress q at every cell (d logit/dp = trace of d logit/d sigma; d logit/dq along the
   cell's own deviator), and integrated-gradient attributions to normal and shear
   components; maps for the idealised strike-slip fault and, with `--data`, for Landers 1992.
3. A sparse (greedy stepwise) regression of the logit on a library of invariant terms (and
   log10 distance), on the idealised grids and, with `--dataset`, on 200,000 real cells.

Writes `interpret.json` and figures to `--out`; prints a summary and one JSON line.  The
held-out tests of pressure and Lode terms are `experiments/invariant_ablation.py` and, in
`experiments/aftershocks_auc.py`, `logistic_vm_pressure_lode` against
`logistic_log_von_mises`.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import time

import numpy as np
import pandas as pd

REPO = pathlib.Path(__file__).resolve().parents[1]
METRICS = {
    "von_mises": "von_mises",
    "max_shear": "stresses_full_max_shear",
    "sum_abs": "sum_abs",
    "cfs_mean_receiver": "stresses_full_cfs",
    "cfs_total_shear": "stresses_full_cfs_total_shear",
    "mean_stress_abs": None,  # |I1| / 3
    "distance": "rupture_distance_km",  # not a stress metric: the context
}


def pressure_and_shear_sensitivity(grad, sigma):
    """d logit / dp and d logit / dq (per MPa) from d logit / d sigma (per Pa)."""
    p_sens = np.trace(grad, axis1=1, axis2=2) * 1e6
    dev = sigma - np.trace(sigma, axis1=1, axis2=2)[:, None, None] / 3 * np.eye(3)
    norm = np.linalg.norm(dev, axis=(1, 2))
    unit = dev / np.maximum(norm, 1e-12)[:, None, None]
    q_sens = np.sum(grad * unit, axis=(1, 2)) / np.sqrt(1.5) * 1e6
    return p_sens, q_sens


def analyse_grid(model, table):
    from quakejax.aftershocks import CONTEXT_COLUMNS, table_stress
    from quakejax.aftershocks.interpret import (
        explained_variance,
        integrated_gradients,
        stress_sensitivity,
    )

    sigma = table_stress(table)
    prob = model.probability_from_table(table)
    context = None
    if model.needs_context:
        context = np.stack([table[c].to_numpy(np.float32) for c in CONTEXT_COLUMNS], axis=1)
    r2 = {}
    for name, col in METRICS.items():
        v = np.abs(table.stresses_full_i1.to_numpy()) / 3 if col is None else table[col]
        r2[name] = explained_variance(prob, np.asarray(v, float))
    grad = np.asarray(stress_sensitivity(model, sigma.astype(np.float32), context), float)
    p_sens, q_sens = pressure_and_shear_sensitivity(grad, sigma)
    sub = np.random.default_rng(0).choice(len(sigma), size=min(4000, len(sigma)), replace=False)
    ig = np.asarray(
        integrated_gradients(
            model,
            sigma[sub].astype(np.float32),
            context=None if context is None else context[sub],
            steps=32,
        )
    )
    diag = np.abs(np.einsum("nii->n", np.abs(ig)))
    total = np.abs(ig).sum(axis=(1, 2))
    ratio = np.abs(p_sens) / np.maximum(np.abs(q_sens), 1e-12)
    return {
        "cells": len(table),
        "r2": r2,
        "median_abs_dlogit_dp_over_dlogit_dq": float(np.median(ratio)),
        "share_of_ig_on_normal_components": float(np.median(diag / np.maximum(total, 1e-30))),
        "p_sens": p_sens,
        "q_sens": q_sens,
        "prob": prob,
    }


def sensitivity_figure(table, res, title, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    z = table.z.to_numpy()
    layer = np.unique(z)[np.argmin(np.abs(np.unique(z) + 7.5))]
    sel = np.isclose(z, layer)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), constrained_layout=True)
    x, y = table.x.to_numpy()[sel], table.y.to_numpy()[sel]
    panels = [
        (res["prob"][sel], "probability", "magma", None),
        (res["q_sens"][sel], "d logit / d q (per MPa)", "viridis", None),
        (res["p_sens"][sel], "d logit / d p (per MPa)", "RdBu_r", "sym"),
    ]
    for ax, (v, label, cmap, sym) in zip(axes, panels, strict=True):
        kw = {}
        if sym:
            lim = np.nanpercentile(np.abs(v), 99) or 1.0
            kw = {"vmin": -lim, "vmax": lim}
        sc = ax.scatter(x, y, c=v, s=9, marker="s", cmap=cmap, **kw)
        ax.set_aspect("equal")
        ax.set(xlabel="east (km)", ylabel="north (km)", title=label)
        fig.colorbar(sc, ax=ax, shrink=0.8)
    fig.suptitle(f"{title}, layer at {-layer:.1f} km")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def r2_figure(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(METRICS)
    fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    w = 0.8 / len(results)
    for k, (label, res) in enumerate(results.items()):
        vals = [res["r2"][n]["function"] for n in names]
        ax.bar(np.arange(len(names)) + k * w, vals, width=w, label=label)
    ax.set_xticks(np.arange(len(names)) + 0.4 - w / 2, names, rotation=20)
    ax.set(ylabel="share of network variance explained", ylim=(0, 1.02))
    ax.legend()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.environ.get("QUAKEJAX_DATA"))
    ap.add_argument("--dataset", default=None)
    ap.add_argument("--out", default="interpret_results")
    args = ap.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    from quakejax.aftershocks import AftershockClassifier, build_event_table, table_stress
    from quakejax.aftershocks.interpret import (
        idealised_fault,
        invariant_terms,
        stepwise_regression,
    )

    data = pathlib.Path(args.data) if args.data else REPO.parent / "shared" / "data"
    landers = data / "slip_models" / "srcmod" / "s1992LANDERwald.fsp"
    grids = {}
    for kind in ("strike-slip", "thrust"):
        grids[f"idealised {kind}"], _ = build_event_table(idealised_fault(kind), None)
    if landers.exists():
        from quakejax.io import read_slip_model

        grids["Landers 1992"], _ = build_event_table(read_slip_model(landers), None)
    real = None
    if args.dataset:
        ds = pathlib.Path(args.dataset)
        s = pd.read_csv(ds / "summary.csv")
        s = s[(s.status == "ok") & (s.positives > 0)]
        real = pd.concat([pd.read_parquet(ds / o) for o in s.output], ignore_index=True)
        pick = np.random.default_rng(0).choice(
            len(real), size=min(200_000, len(real)), replace=False
        )
        real = real.iloc[pick]

    def library(table):
        terms = invariant_terms(table_stress(table))
        terms["log_distance"] = np.log10(table.rupture_distance_km.to_numpy(float) + 0.1)
        return terms

    summary: dict = {}
    regressions: dict = {}
    for model_name in ("devries", "invariant_context"):
        model = AftershockClassifier.pretrained(model_name)
        results = {name: analyse_grid(model, table) for name, table in grids.items()}
        for name, res in results.items():
            tag = name.replace(" ", "_").replace("idealised_", "")
            sensitivity_figure(
                grids[name],
                res,
                f"{model_name} network, {name}",
                out / f"sensitivity_{model_name}_{tag}.png",
            )
        r2_figure(results, out / f"r2_metrics_{model_name}.png")
        regs = {}
        for name in ("idealised strike-slip", "idealised thrust"):
            prob = np.clip(results[name]["prob"], 1e-7, 1 - 1e-7)
            regs[name] = stepwise_regression(
                np.log(prob) - np.log1p(-prob),
                invariant_terms(table_stress(grids[name])),
                max_terms=4,
            )
        if real is not None:
            prob = np.clip(model.probability_from_table(real), 1e-7, 1 - 1e-7)
            regs["real cells (200,000)"] = stepwise_regression(
                np.log(prob) - np.log1p(-prob), library(real), max_terms=4
            )
        regressions[model_name] = regs
        summary[model_name] = {
            name: {
                "cells": res["cells"],
                "r2_function": {k: round(v["function"], 4) for k, v in res["r2"].items()},
                "r2_linear_log": {k: round(v["linear"], 4) for k, v in res["r2"].items()},
                "median_abs_dlogit_dp_over_dlogit_dq": round(
                    res["median_abs_dlogit_dp_over_dlogit_dq"], 4
                ),
                "median_share_of_ig_on_normal_components": round(
                    res["share_of_ig_on_normal_components"], 4
                ),
            }
            for name, res in results.items()
        }
        for name, res in results.items():
            r2 = ", ".join(f"{k} {v['function']:.3f}" for k, v in res["r2"].items())
            print(f"[{model_name}] {name}: R^2 (any function of the metric): {r2}")
            print(
                f"  median |dlogit/dp| / |dlogit/dq| = "
                f"{res['median_abs_dlogit_dp_over_dlogit_dq']:.3f}; "
                f"median IG share on normal components "
                f"{res['share_of_ig_on_normal_components']:.3f}"
            )
        for name, steps in regs.items():
            print(
                f"[{model_name}] stepwise on {name}: "
                + "; ".join(f"{'+'.join(st['terms'])} R^2={st['r2']:.4f}" for st in steps)
            )
    summary["stepwise"] = regressions
    summary["wall_s"] = round(time.perf_counter() - t0, 1)
    (out / "interpret.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps({"wall_s": summary["wall_s"], "out": str(out)}))


if __name__ == "__main__":
    main()
