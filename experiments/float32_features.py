"""How much float32 changes the per-cell features of a real rupture (against float64).

    python experiments/float32_features.py [--model PATH]

Prints the error of the stress components and scalar metrics relative to their largest
value on the grid, the 99th percentile of the point-wise relative error, and the ROC AUC of
von Mises and dCFS from both precisions.  JSON last line.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib

os.environ.setdefault(
    "XLA_FLAGS", f"--xla_force_host_platform_device_count={max(1, os.cpu_count() or 1)}"
)

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)  # this script compares against float64

import numpy as np  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]


def main(argv=None):
    from quakejax.aftershocks import build_event_table, choose_catalog, roc_auc
    from quakejax.io import read_catalog, read_slip_model

    data = pathlib.Path(os.environ.get("QUAKEJAX_DATA") or REPO.parent / "shared" / "data")
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(data / "slip_models/srcmod/s1992LANDERwald.fsp"))
    args = ap.parse_args(argv)
    fault = read_slip_model(args.model)
    cats = {p.name: read_catalog(p) for p in sorted((data / "catalogs").glob("*"))}
    name, _ = choose_catalog(fault, cats)
    t32, _ = build_event_table(fault, cats[name], dtype=np.float32)
    t64, _ = build_event_table(fault, cats[name], dtype=np.float64)
    out = {"model": fault.info.tag, "cells": len(t64)}
    cols = [c for c in t64.columns if c.startswith("stresses_full_") or c == "von_mises"]
    worst = {}
    for c in cols:
        a, b = t32[c].to_numpy(float), t64[c].to_numpy(float)
        scale = np.abs(b).max()
        rel = np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
        worst[c] = (float(np.abs(a - b).max() / scale), float(np.percentile(rel, 99)))
        print(f"{c:40s} max|err|/max {worst[c][0]:.2e}   99th pct point-wise {worst[c][1]:.2e}")
    y = t64["aftershocksyn"].to_numpy()
    for c in ("von_mises", "stresses_full_max_shear", "stresses_full_cfs"):
        out[f"auc_{c}_f32"] = float(roc_auc(t32[c].to_numpy(), y))
        out[f"auc_{c}_f64"] = float(roc_auc(t64[c].to_numpy(), y))
        print(f"AUC {c}: float32 {out[f'auc_{c}_f32']:.6f}  float64 {out[f'auc_{c}_f64']:.6f}")
    out["max_err_over_max"] = max(v[0] for v in worst.values())
    out["p99_pointwise"] = max(v[1] for v in worst.values())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
