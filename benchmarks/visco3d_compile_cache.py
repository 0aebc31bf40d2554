"""How much of the 3D solver's first-call time JAX's persistent compilation cache saves, and
what float32 changes, on whatever device JAX picks.

    .venv/bin/python benchmarks/visco3d_compile_cache.py [--model FSP] [--mesh coarse|fine]
        [--dtypes float64 [float32]] [--skip-no-cache] [--cache-dir DIR] [--out FILE]

Runs the solver for one real event (Landers 1992 by default: Wald & Heaton's SRCMOD model from
`$QUAKEJAX_DATA`, H = 30 km, Burgers with mu_M = mu_K = 30 GPa, eta_M 1e19 and eta_K 1e18 Pa s,
the 18,570 cells of its DeVries grid) several times, each in a fresh Python process:

1. without the persistent cache (compilation in the process; left out by `--skip-no-cache`,
   since run 2 also compiles everything);
2. with an empty cache directory (compiles and writes the cache);
3. with that directory filled (reads the compiled programs instead of compiling);

and runs 2 and 3 again for each further dtype in `--dtypes` (same cache directory; a float32
program is a different program, so its first run compiles).  Each process times the
interaction matrix, the diffrax solve to one year (with the window mean) and the
cuboid-to-cell pass of the window-mean strain, all first calls.

Meshes: `coarse` is the time-dependent experiment's (octree cubes of 10 km, alpha 1, stacking
order 2 on the grid; 425 cuboids for Landers), `fine` is `experiments/visco3d_landers.py`'s
(5 km, alpha 2, order 3; 1,573 cuboids).  Both reach 150 km sideways and 160 km below the
layer.  When float32 runs, the window-mean strain and the grid stress of its first run are
compared with those of float64's first run: the largest strain error over the largest strain,
and per cell the stress-tensor error over the largest cell's stress norm.

Prints a table and a JSON line last; `--out` gets the JSON, rewritten after every run so a
run stopped part-way keeps what finished.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
MU = 3.0e10  # Pa
YEAR = 365.0 * 86400.0  # s
MESHES = {  # finest cube side (m), octree growth factor, stacking order of the grid pass
    "coarse": (10e3, 1.0, 2),
    "fine": (5e3, 2.0, 3),
}


def one_run(spec: dict) -> dict:
    """The timed steps, in this process (the child).  `spec`: model, mesh, dtype, cache, save."""
    import jax

    jax.config.update("jax_enable_x64", True)
    if spec["cache"]:
        jax.config.update("jax_compilation_cache_dir", spec["cache"])
        # cache every program, however quick its compilation
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    import equinox as eqx
    import jax.numpy as jnp
    import numpy as np

    from quakejax.aftershocks import build_grid
    from quakejax.io import read_slip_model
    from quakejax.visco import Burgers
    from quakejax.visco._relax3d import CuboidMesh, Postseismic3D, eigenstrain_fields

    dt = jnp.dtype(spec["dtype"])

    def cast(tree):
        return jax.tree_util.tree_map(
            lambda v: v.astype(dt) if eqx.is_inexact_array(v) else v, tree
        )

    fault64 = read_slip_model(spec["model"])
    cells = jnp.asarray(np.asarray(build_grid(fault64).centroid, float), dt)
    h0, alpha, order = MESHES[spec["mesh"]]
    out = {"device": str(jax.devices()[0]), "jax": jax.__version__, "cells": int(len(cells))}
    t0 = time.perf_counter()
    mesh = cast(CuboidMesh.octree(fault64, 30e3, h0, alpha, 150e3, 160e3))
    fault = cast(fault64)
    model = Postseismic3D.build(mesh, cast(Burgers(MU, 1e19, MU, 1e18)), mu=MU, lam=MU)
    jax.block_until_ready(model.interaction)
    out["matrix_s"] = time.perf_counter() - t0
    out["cuboids"] = int(mesh.n)
    t0 = time.perf_counter()
    rel = jax.block_until_ready(model.relax(fault, [YEAR], window=YEAR))
    out["solve_s"] = time.perf_counter() - t0
    out["steps"] = int(rel.num_steps)
    t0 = time.perf_counter()
    _, grid = jax.block_until_ready(
        eigenstrain_fields(cells, mesh, rel.window_mean[None], mu=MU, lam=MU, order=order)
    )
    out["grid_s"] = time.perf_counter() - t0
    out["total_s"] = out["matrix_s"] + out["solve_s"] + out["grid_s"]
    if spec["save"]:
        np.savez(
            spec["save"],
            window_mean=np.asarray(rel.window_mean, np.float64),
            grid=np.asarray(grid[0], np.float64),
        )
    return out


def _compare(ref: str, other: str) -> dict:
    """Errors of `other`'s window-mean strain and grid stress against `ref`'s (npz files)."""
    import numpy as np

    a, b = np.load(ref), np.load(other)
    w = np.abs(b["window_mean"] - a["window_mean"]).max() / np.abs(a["window_mean"]).max()
    norm = np.sqrt(np.sum(a["grid"] ** 2, axis=(1, 2)))
    err = np.sqrt(np.sum((b["grid"] - a["grid"]) ** 2, axis=(1, 2))) / norm.max()
    return {
        "window_mean_strain_max_error_over_max": float(w),
        "grid_stress_error_median": float(np.median(err)),
        "grid_stress_error_p95": float(np.percentile(err, 95)),
        "grid_stress_error_max": float(err.max()),
    }


def main(argv=None):
    data = pathlib.Path(os.environ.get("QUAKEJAX_DATA") or REPO.parent / "shared" / "data")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(data / "slip_models/srcmod/s1992LANDERwald.fsp"))
    ap.add_argument("--mesh", choices=sorted(MESHES), default="coarse")
    ap.add_argument("--dtypes", nargs="+", choices=("float64", "float32"), default=["float64"])
    ap.add_argument("--skip-no-cache", action="store_true", help="leave out run 1")
    ap.add_argument("--cache-dir", default=None, help="default: a new temporary directory")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per run, s")
    ap.add_argument("--out", default=None, help="JSON file for the results")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:  # one timed run; the parent reads the last line
        print(json.dumps(one_run(json.loads(args.child))))
        return
    if not pathlib.Path(args.model).exists():
        raise SystemExit(f"{args.model}: no such slip model (set QUAKEJAX_DATA or --model)")
    cache = args.cache_dir or tempfile.mkdtemp(prefix="quakejax_jax_cache_")
    if any(pathlib.Path(cache).iterdir()):
        raise SystemExit(f"{cache}: the cache directory must start empty")
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="quakejax_visco3d_fields_"))
    plan = [] if args.skip_no_cache else [("float64", "no cache", "")]
    for dt in args.dtypes:
        plan += [(dt, "cache, empty", cache), (dt, "cache, filled", cache)]
    result = {
        "model": pathlib.Path(args.model).name,
        "mesh": args.mesh,
        "cache_dir": cache,
        "runs": {},
    }

    def save():
        if args.out:
            pathlib.Path(args.out).write_text(json.dumps(result, indent=1))

    first = {}  # dtype -> npz of its first run
    for dt, label, where in plan:
        key = f"{dt}, {label}"
        spec = {"model": args.model, "mesh": args.mesh, "dtype": dt, "cache": where, "save": ""}
        if dt not in first:
            spec["save"] = first[dt] = str(scratch / f"{dt}.npz")
        try:
            res = subprocess.run(
                [sys.executable, __file__, "--child", json.dumps(spec)],
                capture_output=True,
                text=True,
                check=False,
                timeout=args.timeout,
            )
        except subprocess.TimeoutExpired:
            print(f"  {key}: stopped after {args.timeout:.0f} s", flush=True)
            result["runs"][key] = {"stopped_after_s": args.timeout}
            save()
            break
        if res.returncode != 0:
            raise SystemExit(f"{key}: the child run failed:\n{res.stderr[-3000:]}")
        result["runs"][key] = r = json.loads(res.stdout.strip().splitlines()[-1])
        print(
            f"  {key:<24s} matrix {r['matrix_s']:7.2f} s  solve {r['solve_s']:6.2f} s "
            f"({r['steps']} steps)  grid pass {r['grid_s']:7.2f} s  total {r['total_s']:7.2f} s"
            f"  [{r['cuboids']} cuboids, {r['cells']} cells, {r['device']}]",
            flush=True,
        )
        save()
    result["cache_bytes"] = sum(
        p.stat().st_size for p in pathlib.Path(cache).rglob("*") if p.is_file()
    )
    if "float64" in first and "float32" in first and pathlib.Path(first["float32"]).exists():
        result["float32_vs_float64"] = c = _compare(first["float64"], first["float32"])
        print(
            "  float32 against float64: window-mean strain error / max "
            f"{c['window_mean_strain_max_error_over_max']:.2e}; grid stress error / max: median "
            f"{c['grid_stress_error_median']:.2e}, p95 {c['grid_stress_error_p95']:.2e}, max "
            f"{c['grid_stress_error_max']:.2e}"
        )
    save()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
