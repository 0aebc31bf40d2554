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

jax.config.update("jax_enable_x64", True)

MU = 3.0e10
YEAR = 365.0 * 86400.0


def _median(fn, repeats):
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        out.append(time.perf_counter() - t0)
    return float(np.median(out))


def main(argv=None):
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

    # ---- solver
    t0 = time.perf_counter()
    mesh = CuboidMesh.octree(fault, 30e3, 10e3, 1.0, 150e3, 160e3)
    model = Postseismic3D.build(mesh, rheo, mu=MU, lam=MU)
    jax.block_until_ready(model.interaction)
    assembly = time.perf_counter() - t0
    drive = model.coseismic_driving(fault)
    solve = lambda: model.relax(drive, [YEAR], window=YEAR).window_mean  # noqa: E731
    jax.block_until_ready(solve())
    solve_s = _median(solve, args.repeats)
    t0 = time.perf_counter()
    _, dsig = eigenstrain_fields(cells, mesh, solve()[None], mu=MU, lam=MU, order=2)
    solver_rel = np.asarray(jax.block_until_ready(dsig))[0]
    grid_s = time.perf_counter() - t0

    # ---- emulator
    emu = RelaxationEmulator3D.pretrained()
    layout = emu.column_layout(cells)  # the grid's 10 layers share their probes
    full = jax.jit(
        lambda pts, c, o: emu.relaxation_stress(fault, pts, rheo, YEAR, mean=True, layout=(c, o))[0]
    )
    t0 = time.perf_counter()
    emu_rel = np.asarray(jax.block_until_ready(full(cells, *layout)))
    first = time.perf_counter() - t0
    emu_s = _median(lambda: full(cells, *layout), args.repeats)
    parts = emu.probe_stress(fault, cells, layout)
    geom = emu.geometry(fault, cells)
    fac = window_factors(emu.tau, jnp.asarray([YEAR]))

    @jax.jit
    def network(eta_m):
        rin = emu.rheology_inputs(Burgers(MU, eta_m, MU, 1e18))
        return emu.predict(parts, emu.inputs(geom, parts, rin), fac)

    jax.block_until_ready(network(1e19))
    net_s = _median(lambda: network(1e19), args.repeats)

    # ---- accuracy on this grid
    norm = np.sqrt(np.sum(solver_rel**2, axis=(1, 2)))
    err = np.sqrt(np.sum((emu_rel - solver_rel) ** 2, axis=(1, 2))) / norm.max()
    co = np.asarray(okada_stress(fault, cells, mu=MU, lam=MU))
    vm_s = np.asarray(von_mises(jnp.asarray(co + solver_rel)))
    vm_e = np.asarray(von_mises(jnp.asarray(co + emu_rel)))
    vm_0 = np.asarray(von_mises(jnp.asarray(co)))

    solver_total = assembly + solve_s + grid_s
    rows = [
        ("solver: mesh + interaction matrix (first call)", assembly),
        ("solver: diffrax solve, 1 yr window mean", solve_s),
        ("solver: cuboid-to-cell pass (first call)", grid_s),
        ("solver: total for a new rupture", solver_total),
        ("emulator: first call (compile + run)", first),
        ("emulator: whole prediction", emu_s),
        ("emulator: network only, new rheology", net_s),
    ]
    print(f"{model_path.name}: {len(cells)} cells, {mesh.n} cuboids, {platform.processor()}")
    for name, v in rows:
        print(f"  {name:<50s} {v:10.4f} s")
    print(f"  speed-up, new rupture (total / whole prediction): {solver_total / emu_s:,.0f}x")
    print(f"  speed-up, new rheology (solve / network only):    {solve_s / net_s:,.1f}x")
    print(
        f"  error of the window-mean relaxation stress, of its max: median {np.median(err):.3f}, "
        f"p95 {np.percentile(err, 95):.3f}; median von Mises change: solver "
        f"{np.median((vm_s - vm_0) / vm_0):.4f}, emulator {np.median((vm_e - vm_0) / vm_0):.4f}"
    )
    print(
        json.dumps(
            {
                "model": model_path.name,
                "cells": len(cells),
                "cuboids": mesh.n,
                "assembly_s": assembly,
                "solve_s": solve_s,
                "grid_s": grid_s,
                "emulator_s": emu_s,
                "emulator_first_s": first,
                "network_s": net_s,
                "speedup_new_rupture": solver_total / emu_s,
                "speedup_new_rheology": solve_s / net_s,
                "error_median": float(np.median(err)),
                "error_p95": float(np.percentile(err, 95)),
            }
        )
    )


if __name__ == "__main__":
    main()
