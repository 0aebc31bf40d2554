"""Speed of the 3D relaxation emulator against the 3D strain-volume solver, in the same run.

    .venv/bin/python benchmarks/visco3d_emulator_speed.py [--model PATH.fsp] [--repeats 3]

On one rupture (Landers 1992, Wald & Heaton, by default; `QUAKEJAX_DATA` or `--data` gives
the data folder) and its whole DeVries grid (5 km cells within 100 km, 0-50 km deep), the
window-mean relaxation stress over the first year with the default Burgers rheology
(eta_M 1e19, eta_K 1e18 Pa s, mu_K = mu = 30 GPa, H = 30 km), float64, this CPU:

- the solver, as `experiments/aftershocks_timedependent.py` runs it: octree mesh (10 km
  cubes, alpha 1) and interaction matrix; the diffrax solve (median of `--repeats` after a
  warm-up); the cuboid-to-cell pass (stacking order 2).  Assembly and the grid pass are
  single calls that include their compilation, as a user meets them for a new rupture.
- the emulator (`RelaxationEmulator3D.pretrained()`), jitted, median of `--repeats` after a
  warm-up: the whole prediction (Okada stress at the cells and at the probes below the
  grid's 1,857 columns, then the network); and the network alone for a new rheology on
  stored probe stresses, beside the solver's solve.

Options for GPUs: `--solver assembly` times only the solver's mesh, interaction matrix and
solve (a lower bound on its cost: the grid pass takes minutes there), `--solver none` skips
it; `--okada-implementations xla pallas` and `--dtypes float64 float32` run the emulator once
per combination (pallas: the Triton Okada kernel for the probes).  Without the full solver the
errors printed are against the float64 XLA emulator run.

Prints a table, the emulator's error against the solver on this grid, and a JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import time

import jax
import numpy as np
from visco_speed import _median_time  # benchmarks/visco_speed.py, beside this script

jax.config.update("jax_enable_x64", True)

MU = 3.0e10
YEAR = 365.0 * 86400.0


def main(argv=None):
    import equinox as eqx
    import jax.numpy as jnp

    from quakejax.aftershocks import build_grid
    from quakejax.io import read_slip_model
    from quakejax.okada import stress as okada_stress
    from quakejax.stress import von_mises
    from quakejax.visco import Burgers
    from quakejax.visco._emulator3d import RelaxationEmulator3D, window_factors
    from quakejax.visco._relax3d import CuboidMesh, Postseismic3D, eigenstrain_fields

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--model", default=None, help="slip model (default: Landers, Wald & Heaton)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--solver",
        choices=("full", "assembly", "none"),
        default="full",
        help="run the whole solver (default); only its mesh and interaction matrix, a lower "
        "bound on its cost (for GPUs, where the grid pass takes minutes); or not at all",
    )
    ap.add_argument(
        "--okada-implementations",
        nargs="+",
        choices=("xla", "pallas"),
        default=["xla"],
        help="Okada kernels for the emulator's probes (pallas: NVIDIA GPUs)",
    )
    ap.add_argument("--dtypes", nargs="+", choices=("float64", "float32"), default=["float64"])
    args = ap.parse_args(argv)
    data = pathlib.Path(
        args.data
        or os.environ.get("QUAKEJAX_DATA")
        or pathlib.Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    model_path = pathlib.Path(args.model or data / "slip_models/srcmod/s1992LANDERwald.fsp")
    if not model_path.exists():
        raise SystemExit(f"visco3d_emulator_speed: no slip model at {model_path}")
    fault = read_slip_model(model_path)
    cells = jnp.asarray(build_grid(fault).centroid)
    rheo = Burgers(MU, 1e19, MU, 1e18)
    print(f"{model_path.name}: {len(cells)} cells, {platform.processor()}, {jax.devices()}")

    # ---- solver
    result = {"model": model_path.name, "cells": len(cells), "device": str(jax.devices()[0])}
    rows = []
    solver_rel = solver_total = solve_s = None
    if args.solver != "none":
        t0 = time.perf_counter()
        mesh = CuboidMesh.octree(fault, 30e3, 10e3, 1.0, 150e3, 160e3)
        model = Postseismic3D.build(mesh, rheo, mu=MU, lam=MU)
        jax.block_until_ready(model.interaction)
        assembly = time.perf_counter() - t0
        drive = model.coseismic_driving(fault)
        solve = lambda: model.relax(drive, [YEAR], window=YEAR).window_mean  # noqa: E731
        jax.block_until_ready(solve())
        solve_s = _median_time(solve, args.repeats)
        rows += [
            ("solver: mesh + interaction matrix (first call)", assembly),
            ("solver: diffrax solve, 1 yr window mean", solve_s),
        ]
        result.update(cuboids=mesh.n, assembly_s=assembly, solve_s=solve_s)
        solver_total = assembly + solve_s
        if args.solver == "full":
            t0 = time.perf_counter()
            _, dsig = eigenstrain_fields(cells, mesh, solve()[None], mu=MU, lam=MU, order=2)
            solver_rel = np.asarray(jax.block_until_ready(dsig))[0]
            grid_s = time.perf_counter() - t0
            solver_total += grid_s
            rows += [("solver: cuboid-to-cell pass (first call)", grid_s)]
            result.update(grid_s=grid_s)
        label = "total for a new rupture" if args.solver == "full" else "lower bound (no grid)"
        rows += [(f"solver: {label}", solver_total)]
        result["solver_s"] = solver_total

    # ---- emulator, for each Okada kernel and dtype
    base = RelaxationEmulator3D.pretrained()
    layout = base.column_layout(cells)  # the grid's 10 layers share their probes
    runs = []
    for dtype in args.dtypes:
        dt = jnp.dtype(dtype)
        cast = lambda tree, dt=dt: jax.tree_util.tree_map(  # noqa: E731
            lambda v: v.astype(dt) if eqx.is_inexact_array(v) else v, tree
        )
        f_dt, cells_dt = cast(fault), cells.astype(dt)
        for impl in args.okada_implementations:
            emu = cast(base).with_okada_implementation(impl)
            full = jax.jit(
                lambda pts, c, o, emu=emu, f=f_dt: emu.relaxation_stress(
                    f, pts, rheo, YEAR, mean=True, layout=(c, o)
                )[0]
            )
            t0 = time.perf_counter()
            emu_rel = np.asarray(jax.block_until_ready(full(cells_dt, *layout)), np.float64)
            first = time.perf_counter() - t0
            emu_s = _median_time(lambda full=full, c=cells_dt: full(c, *layout), args.repeats)
            name = f"emulator {impl} {dtype}"
            rows += [(f"{name}: first call (compile + run)", first)]
            rows += [(f"{name}: whole prediction", emu_s)]
            runs.append({"okada": impl, "dtype": dtype, "s": emu_s, "first_s": first})
            runs[-1]["rel"] = emu_rel

    # The network alone for a new rheology, on stored probe stresses (float64).
    parts = base.probe_stress(fault, cells, layout)
    geom = base.geometry(fault, cells)
    basis = base.moment_probe(fault, cells)[1] if base.moment_term else None
    fac = window_factors(base.tau, jnp.asarray([YEAR]))

    @jax.jit
    def network(eta_m):
        rin = base.rheology_inputs(Burgers(MU, eta_m, MU, 1e18))
        return base.predict(parts, base.inputs(geom, parts, rin), fac, basis)

    jax.block_until_ready(network(1e19))
    net_s = _median_time(lambda: network(1e19), args.repeats)
    rows += [("emulator: network only, new rheology, float64", net_s)]

    for name, v in rows:
        print(f"  {name:<55s} {v:10.4f} s")
    fastest = min(runs, key=lambda r: r["s"])
    if solver_total is not None:
        kind = "" if args.solver == "full" else " (solver lower bound)"
        for r in runs:
            r["speedup_new_rupture"] = solver_total / r["s"]
            print(
                f"  speed-up, new rupture{kind}, emulator {r['okada']} {r['dtype']}: "
                f"{solver_total / r['s']:,.0f}x"
            )
        print(f"  speed-up, new rheology (solve / network only): {solve_s / net_s:,.1f}x")
        result["speedup_new_rheology"] = solve_s / net_s

    # ---- accuracy on this grid: against the solver, or else against the float64 XLA
    # emulator run (or the first run)
    first_run = next((r for r in runs if (r["okada"], r["dtype"]) == ("xla", "float64")), runs[0])
    ref = solver_rel if solver_rel is not None else first_run["rel"]
    ref_name = (
        "solver"
        if solver_rel is not None
        else f"emulator {first_run['okada']} {first_run['dtype']}"
    )
    norm = np.sqrt(np.sum(ref**2, axis=(1, 2)))
    co = np.asarray(okada_stress(fault, cells, mu=MU, lam=MU))
    vm_0 = np.asarray(von_mises(jnp.asarray(co)))
    vm_r = np.asarray(von_mises(jnp.asarray(co + ref)))
    for r in runs:
        err = np.sqrt(np.sum((r["rel"] - ref) ** 2, axis=(1, 2))) / norm.max()
        r.update(error_median=float(np.median(err)), error_p95=float(np.percentile(err, 95)))
        print(
            f"  emulator {r['okada']} {r['dtype']} against the {ref_name}, window-mean "
            f"relaxation stress error / its max: median {np.median(err):.3g}, "
            f"p95 {np.percentile(err, 95):.3g}"
        )
    if solver_rel is not None:
        vm_e = np.asarray(von_mises(jnp.asarray(co + first_run["rel"])))
        ch_s, ch_e = (vm_r - vm_0) / vm_0, (vm_e - vm_0) / vm_0
        # Relaxation raises von Mises stress in the layer and lowers it below: compare the
        # sizes of the relative changes and their fit, not only their (signed) medians.
        print(
            f"  relative von Mises change, solver / emulator {first_run['okada']} "
            f"{first_run['dtype']}: median {np.median(ch_s):.4f} / {np.median(ch_e):.4f}, "
            f"median size {np.median(np.abs(ch_s)):.4f} / {np.median(np.abs(ch_e)):.4f}, "
            f"correlation {np.corrcoef(ch_s, ch_e)[0, 1]:.3f}, slope of the solver's on the "
            f"emulator's {np.sum(ch_s * ch_e) / np.sum(ch_e**2):.3f}"
        )
    for r in runs:
        del r["rel"]
    result.update(network_s=net_s, emulator_runs=runs, fastest_emulator_s=fastest["s"])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
