"""How does the aftershock AUC of time-averaged stress depend on the Burgers viscosities?

    python experiments/visco3d_rheology_sweep.py [--cache timedependent_cache] [--n 6]

This is a sweep that the 3D solver makes too costly (minutes per event and rheology), done with
the pretrained 3D relaxation emulator (`RelaxationEmulator3D`). Take the 14 events of
`experiments/aftershocks_timedependent.py`, with its cells, labels and coseismic stress from
its cache. For an `--n` x `--n` grid of log10 eta_M in [18, 20.5] and log10 eta_K in
[17, 19.5] (mu_K = mu), compute the von Mises stress of sigma_0 plus the emulated window-mean
relaxation over the one-year label window. Its ROC AUC is used as a score with no fitting,
pooled over all cells and per event. Printed: the pooled AUC table, the best viscosities per
event, and a JSON line last.  Full result: `experiments/results/visco3d_rheology_sweep.json`.

The emulator was trained on 10 of these events (see `train_visco3d_emulator.py`); the
held-out four are marked in the output.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import _scripts  # experiments/_scripts.py, beside this script
import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

REPO = pathlib.Path(__file__).resolve().parents[1]
MU = 3.0e10
YEAR = 365.0 * 86400.0


def main(argv=None):
    import pandas as pd

    from quakejax.aftershocks import roc_auc
    from quakejax.stress import von_mises
    from quakejax.visco._emulator3d import (
        WEIGHTS_DIR,
        RelaxationEmulator3D,
        from_spin_parts,
        window_factors,
    )

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--cache", default=str(REPO / "timedependent_cache"))
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--out", default=str(REPO / "experiments/results/visco3d_rheology_sweep.json"))
    args = ap.parse_args(argv)
    train = _scripts.load("train_visco3d_emulator")
    build = _scripts.load("build_dataset")
    files = {p.stem: p for p in build.slip_files(build.data_dir(args.data))}
    emu = RelaxationEmulator3D.pretrained()
    held = json.loads((WEIGHTS_DIR / "relaxation3d.json").read_text())["info"]["held_out"]
    # The emulator's training box: log10 eta_M in [18, 20.5], log10 eta_K in [17, 19.5].
    log_m = np.linspace(*emu.domain["rheology"][0], args.n)
    log_k = np.linspace(*emu.domain["rheology"][1], args.n)
    fac = window_factors(emu.tau, jnp.asarray([YEAR]))

    @jax.jit
    def relaxed_vm(co, parts, geom, basis, rin):
        z = emu.inputs(geom, parts, rin)
        rel = from_spin_parts(emu.predict(parts, z, fac, basis)[0])
        return von_mises(co + rel)

    t_all = time.perf_counter()
    vms, labels, per_event = {}, {}, {}
    for meta in sorted(pathlib.Path(args.cache).glob("*.json")):
        name = meta.stem
        df = pd.read_parquet(meta.with_suffix(".parquet"))
        fault = build.read_model(files[name])
        cells = jnp.asarray(df[["x", "y", "z"]].to_numpy(float))
        co = jnp.asarray(train.six_to_tensor(df[[f"co_{c}" for c in train.COMPONENTS]].to_numpy()))
        layout = emu.column_layout(cells)
        parts = emu.probe_stress(fault, cells, layout)
        geom = emu.geometry(fault, cells)
        basis = emu.moment_probe(fault, cells)[1] if emu.moment_term else None
        y = df["label"].to_numpy()
        grid = np.empty((args.n, args.n, len(df)))
        for i, lm in enumerate(log_m):
            for j, lk in enumerate(log_k):
                rin = jnp.asarray([lm, lk, 0.0])
                grid[i, j] = np.asarray(relaxed_vm(co, parts, geom, basis, rin))
        vms[name], labels[name] = grid, y
        auc = np.array([[roc_auc(grid[i, j], y) for j in range(args.n)] for i in range(args.n)])
        auc0 = roc_auc(np.asarray(von_mises(co)), y)
        i, j = np.unravel_index(np.argmax(auc), auc.shape)
        per_event[name] = {
            "held_out": name in held,
            "auc_t0": float(auc0),
            "auc": auc.tolist(),
            "best_log10_eta_M": float(log_m[i]),
            "best_log10_eta_K": float(log_k[j]),
            "best_auc": float(auc[i, j]),
            "auc_spread": float(auc.max() - auc.min()),
        }
        print(
            f"{name}{' (held out)' if name in held else ''}: t0 {auc0:.4f}, best {auc[i, j]:.4f}"
            f" at log10 eta_M {log_m[i]:.1f}, eta_K {log_k[j]:.1f}; range over the sweep "
            f"{auc.min():.4f}-{auc.max():.4f}",
            flush=True,
        )
    y = np.concatenate([labels[n] for n in vms])
    pooled = np.array(
        [
            [roc_auc(np.concatenate([vms[n][i, j] for n in vms]), y) for j in range(args.n)]
            for i in range(args.n)
        ]
    )
    print("pooled AUC; rows log10 eta_M, columns log10 eta_K")
    print("        " + " ".join(f"{v:7.2f}" for v in log_k))
    for i, lm in enumerate(log_m):
        print(f"{lm:7.2f} " + " ".join(f"{v:7.4f}" for v in pooled[i]))
    i, j = np.unravel_index(np.argmax(pooled), pooled.shape)
    result = {
        "log10_eta_M": log_m.tolist(),
        "log10_eta_K": log_k.tolist(),
        "pooled_auc": pooled.tolist(),
        "best": {
            "log10_eta_M": float(log_m[i]),
            "log10_eta_K": float(log_k[j]),
            "auc": float(pooled[i, j]),
        },
        "events": per_event,
        "cells": int(len(y)),
        "wall_s": time.perf_counter() - t_all,
    }
    out = pathlib.Path(args.out)
    out.write_text(json.dumps(result, indent=1))
    print(
        json.dumps(
            {k: result[k] for k in ("best", "cells", "wall_s")}
            | {"pooled_min": float(pooled.min()), "pooled_max": float(pooled.max())}
        )
    )


if __name__ == "__main__":
    main()
