"""The 3D Burgers solver in float32 against float64, on one real event.

    python experiments/visco3d_float32.py [--name s1992LANDERwald] [--out FILE]

The library's dtype follows its inputs, so the solver runs in float32 when the mesh and the
rupture are float32.  On the time-dependent experiment's set-up (octree cubes of 10 km,
alpha 1, H = 30 km, eta_M 1e19, eta_K 1e18 Pa s, mu_K = mu = lambda = 30 GPa; Landers 1992
by default, with its DeVries grid), this script times and compares:

- the interaction matrix, float64 and float32 (each call includes its compilation, as a user
  meets it for a new mesh): relative error of the float32 matrix, and the largest real part
  of each matrix's eigenvalues (the relaxation is stable only if none is positive);
- the diffrax solve to one year with the window mean: steps and the error of the window-mean
  strain;
- the float32 cuboid-to-cell pass (stacking order 2) against the float64 grid stress of
  `experiments/aftershocks_timedependent.py` (its cache, `--cache`): the window-mean
  relaxation stress error per cell relative to the largest, and the aftershock AUC of the
  time-averaged von Mises stress.

Prints a table and a JSON line last; writes `--out`.  Needs the real data
(`QUAKEJAX_DATA` or `--data`) and the time-dependent experiment's cache for that event.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import _scripts  # experiments/_scripts.py, beside this script
import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

REPO = pathlib.Path(__file__).resolve().parents[1]
MU = 3.0e10  # Pa
YEAR = 365.0 * 86400.0  # s


def _timed(f):
    t0 = time.perf_counter()
    out = jax.block_until_ready(f())
    return out, time.perf_counter() - t0


def main(argv=None):
    import equinox as eqx
    import jax.numpy as jnp
    import pandas as pd

    from quakejax.aftershocks import roc_auc
    from quakejax.stress import von_mises
    from quakejax.visco import Burgers
    from quakejax.visco._relax3d import CuboidMesh, Postseismic3D, eigenstrain_fields

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--name", default="s1992LANDERwald", help="slip model file stem")
    ap.add_argument("--cache", default=str(REPO / "timedependent_cache"))
    ap.add_argument("--out", default=str(REPO / "experiments/results/visco3d_float32.json"))
    args = ap.parse_args(argv)

    table = pathlib.Path(args.cache) / f"{args.name}.parquet"
    if not table.exists():
        raise SystemExit(
            f"{table}: no float64 grid stress for {args.name}; run "
            f"experiments/aftershocks_timedependent.py --only {args.name} first"
        )
    td = _scripts.load("aftershocks_timedependent")
    build = _scripts.load("build_dataset")
    files = {p.stem: p for p in build.slip_files(build.data_dir(args.data))}
    if args.name not in files:
        raise SystemExit(f"{args.name}: no such slip model in the data folder")
    fault64 = build.read_model(files[args.name])
    df = pd.read_parquet(table)
    cells64 = df[["x", "y", "z"]].to_numpy(float)
    co = td.from6(df[[f"co_{c}" for c in td.COMPONENTS]].to_numpy())
    ref = td.from6(df[[f"mean_{c}" for c in td.COMPONENTS]].to_numpy())  # float64 solver
    y = df["label"].to_numpy()

    def cast(tree, dt):
        return jax.tree_util.tree_map(
            lambda v: v.astype(dt) if eqx.is_inexact_array(v) else v, tree
        )

    mesh64 = CuboidMesh.octree(fault64, 30e3, 10e3, 1.0, 150e3, 160e3)
    rheo = Burgers(MU, 1e19, MU, 1e18)
    rows, res = [], {"name": args.name, "cells": len(df), "cuboids": int(mesh64.n)}
    models, rels = {}, {}
    for dt in ("float64", "float32"):
        mesh, fault, rh = (cast(v, jnp.dtype(dt)) for v in (mesh64, fault64, rheo))
        model, t_k = _timed(lambda m=mesh, r=rh: Postseismic3D.build(m, r, mu=MU, lam=MU))
        rel, t_first = _timed(lambda m=model, f=fault: m.relax(f, [YEAR], window=YEAR))
        _, t_solve = _timed(lambda m=model, f=fault: m.relax(f, [YEAR], window=YEAR))
        models[dt], rels[dt] = model, rel
        eig = np.linalg.eigvals(np.asarray(model.interaction, np.float64))
        res[dt] = {
            "matrix_s": t_k,
            "solve_first_s": t_first,
            "solve_s": t_solve,
            "steps": int(rel.num_steps),
            "max_real_eigenvalue_over_mu": float(eig.real.max() / MU),
            "min_real_eigenvalue_over_mu": float(eig.real.min() / MU),
        }
        rows += [
            (f"{dt}: interaction matrix ({mesh.n} cuboids, first call)", t_k),
            (f"{dt}: diffrax solve to 1 yr, first call / again", t_first, t_solve),
        ]
    k64 = np.asarray(models["float64"].interaction)
    k32 = np.asarray(models["float32"].interaction, np.float64)
    res["matrix_rel_error_frobenius"] = float(np.linalg.norm(k32 - k64) / np.linalg.norm(k64))
    res["matrix_max_error_over_max"] = float(np.abs(k32 - k64).max() / np.abs(k64).max())
    w64 = np.asarray(rels["float64"].window_mean)
    w32 = np.asarray(rels["float32"].window_mean, np.float64)
    res["window_mean_strain_max_error_over_max"] = float(
        np.abs(w32 - w64).max() / np.abs(w64).max()
    )

    mesh32 = cast(mesh64, jnp.float32)
    states = jnp.asarray(rels["float32"].window_mean)[None]
    (_, grid32), t_grid = _timed(
        lambda: eigenstrain_fields(
            jnp.asarray(cells64, jnp.float32), mesh32, states, mu=MU, lam=MU, order=2
        )
    )
    grid32 = np.asarray(grid32[0], np.float64)
    rows += [("float32: cuboid-to-cell pass (first call)", t_grid)]
    norm = np.sqrt(np.sum(ref**2, axis=(1, 2)))
    err = np.sqrt(np.sum((grid32 - ref) ** 2, axis=(1, 2))) / norm.max()
    vm = {k: np.asarray(von_mises(jnp.asarray(co + s))) for k, s in (("64", ref), ("32", grid32))}
    res.update(
        grid_pass_float32_s=t_grid,
        grid_window_mean_error_median=float(np.median(err)),
        grid_window_mean_error_p95=float(np.percentile(err, 95)),
        grid_window_mean_error_max=float(err.max()),
        auc_float64=float(roc_auc(vm["64"], y)),
        auc_float32=float(roc_auc(vm["32"], y)),
        device=str(jax.devices()[0]),
    )
    for row in rows:
        print(f"  {row[0]:<62s} " + " / ".join(f"{v:8.3f} s" for v in row[1:]))
    for dt in ("float64", "float32"):
        r = res[dt]
        print(
            f"  {dt}: {r['steps']} solver steps; eigenvalues of the matrix / mu in "
            f"[{r['min_real_eigenvalue_over_mu']:.4g}, {r['max_real_eigenvalue_over_mu']:.4g}]"
        )
    print(
        f"  float32 matrix error (Frobenius, relative) {res['matrix_rel_error_frobenius']:.2e}; "
        f"window-mean strain error / max {res['window_mean_strain_max_error_over_max']:.2e}"
    )
    print(
        f"  float32 grid window-mean stress error / max: median "
        f"{res['grid_window_mean_error_median']:.2e}, p95 {res['grid_window_mean_error_p95']:.2e}"
        f", max {res['grid_window_mean_error_max']:.2e}; AUC of time-averaged von Mises "
        f"float64 {res['auc_float64']:.5f}, float32 {res['auc_float32']:.5f}"
    )
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
