"""Training data for the 3D relaxation emulator: Burgers relaxation stress at DeVries cells,
for several rheologies and times, from the 3D strain-volume solver.

    python experiments/visco3d_emulator_data.py [--data DIR] [--cache timedependent_cache]
        [--out visco3d_emulator_cache] [--cells 3000] [--rheologies 8]

Takes the events of `experiments/aftershocks_timedependent.py` (its cache gives the cells,
their labels and the coseismic stress). For each event: the same octree mesh (cubes of
`--h0` m near the rupture, refinement `--alpha`, the elastic layer `--H` m thick), the
interaction matrix once, then one diffrax solve per rheology: the default of the
time-dependent experiment (eta_M 1e19, eta_K 1e18 Pa s, mu_K = mu) and `--rheologies`
scrambled-Halton draws in the box `RHEOLOGY_BOX` (log10 eta_M, log10 eta_K in Pa s,
log10 mu_K/mu). The inelastic strains at `TIMES` and their mean over the first year go
through one cuboid-to-cell pass at `--cells` random cells of the event's grid.

One file per event, `<out>/<event>.npz` (resume: existing files are kept):
`cells (n, 3)` m ENU; `rheology (R, 3)` eta_M Pa s, eta_K Pa s, mu_K Pa; `times (T,)` s;
`snap (R, T, n, 6)` relaxation stress (Pa, ENU, components xx yy zz xy xz yz) at the times;
`mean (R, n, 6)` its mean over [0, 1 yr]; `solve_s (R,)` the wall time of each diffrax
solve; `assembly_s`, `grid_s`; `slip_file` (the slip model's file name).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time

import _scripts  # experiments/_scripts.py, beside this script
import equinox as eqx
import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

REPO = pathlib.Path(__file__).resolve().parents[1]
DAY = 86400.0  # s
YEAR = 365.0 * DAY  # s
MU = 3.0e10  # Pa
TIMES = np.array([1.0, 10.0, 30.0, 100.0, 365.0, 1095.0]) * DAY  # s
# log10 eta_M (Pa s), log10 eta_K (Pa s), log10 (mu_K / mu)
RHEOLOGY_BOX = np.array([[18.0, 20.5], [17.0, 19.5], [-0.3, 0.3]])
DEFAULT = np.array([19.0, 18.0, 0.0])


def rheologies(n: int, seed: int) -> np.ndarray:
    """The default rheology then `n` scrambled-Halton draws in RHEOLOGY_BOX, as
    (n + 1, 3) rows of log10 eta_M, log10 eta_K, log10 mu_K/mu."""
    from scipy.stats import qmc

    u = qmc.Halton(d=3, scramble=True, seed=seed).random(n)
    lo, hi = RHEOLOGY_BOX[:, 0], RHEOLOGY_BOX[:, 1]
    return np.vstack([DEFAULT, lo + u * (hi - lo)])


def event_data(path, table, args, seed):
    from quakejax.visco import Burgers
    from quakejax.visco._relax3d import CuboidMesh, Postseismic3D, eigenstrain_fields

    build = _scripts.load("build_dataset")
    fault = build.read_model(path)
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(table), size=min(args.cells, len(table)), replace=False))
    cells = table[["x", "y", "z"]].to_numpy(float)[pick]
    t0 = time.perf_counter()
    mesh = CuboidMesh.octree(fault, args.H, args.h0, args.alpha, args.lateral, args.depth_extent)
    model = Postseismic3D.build(mesh, Burgers(MU, 1e19, MU, 1e18), mu=MU, lam=MU)
    drive = model.coseismic_driving(fault)
    drive.block_until_ready()
    assembly = time.perf_counter() - t0
    logs = rheologies(args.rheologies, seed)
    states, solve_s = [], []
    for lm, lk, lr in logs:
        m = eqx.tree_at(lambda x: x.rheology, model, Burgers(MU, 10.0**lm, MU * 10.0**lr, 10.0**lk))
        t1 = time.perf_counter()
        rel = m.relax(drive, TIMES, window=YEAR)
        rel.strain.block_until_ready()
        solve_s.append(time.perf_counter() - t1)
        states.append(np.concatenate([np.asarray(rel.strain), np.asarray(rel.window_mean)[None]]))
    states = np.concatenate(states)  # (R * (T + 1), N, 5)
    t2 = time.perf_counter()
    _, dsig = eigenstrain_fields(cells, mesh, states, mu=MU, lam=MU, order=args.grid_order)
    dsig = np.asarray(dsig)
    grid_s = time.perf_counter() - t2
    six = (
        _scripts.load("aftershocks_timedependent")
        .to6(dsig)
        .reshape(len(logs), len(TIMES) + 1, len(cells), 6)
    )
    rheo = np.column_stack([10.0 ** logs[:, 0], 10.0 ** logs[:, 1], MU * 10.0 ** logs[:, 2]])
    return dict(
        cells=cells,
        pick=pick,
        rheology=rheo,
        times=TIMES,
        snap=six[:, :-1],
        mean=six[:, -1],
        solve_s=np.array(solve_s),
        assembly_s=assembly,
        grid_s=grid_s,
        cuboids=mesh.n,
        slip_file=path.name,
    )


def main(argv=None):
    import pandas as pd

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--cache", default=str(REPO / "timedependent_cache"))
    ap.add_argument("--out", default=str(REPO / "visco3d_emulator_cache"))
    ap.add_argument("--cells", type=int, default=3000)
    ap.add_argument("--rheologies", type=int, default=8)
    ap.add_argument("--H", type=float, default=30e3)
    ap.add_argument("--h0", type=float, default=10e3)
    ap.add_argument("--alpha", type=float, default=1.0)
    ap.add_argument("--lateral", type=float, default=150e3)
    ap.add_argument("--depth-extent", type=float, default=160e3)
    ap.add_argument("--grid-order", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args(argv)

    build = _scripts.load("build_dataset")
    data = build.data_dir(args.data)
    files = {p.stem: p for p in build.slip_files(data)}
    cache = pathlib.Path(args.cache)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    metas = sorted(cache.glob("*.json"))
    if not metas:
        sys.exit(f"no event tables in {cache}: run experiments/aftershocks_timedependent.py first")
    for k, meta_path in enumerate(metas):
        stem = meta_path.stem
        if args.only and not any(stem.startswith(o) for o in args.only):
            continue
        target = out / f"{stem}.npz"
        if target.exists():
            print(f"{stem}: done already", flush=True)
            continue
        if stem not in files:
            print(f"{stem}: slip model not found under {data}; skipped", flush=True)
            continue
        table = pd.read_parquet(meta_path.with_suffix(".parquet"))
        t0 = time.perf_counter()
        d = event_data(files[stem], table, args, seed=1000 + k)
        np.savez(target, **d)
        print(
            f"{stem}: {len(d['cells'])} cells, {d['cuboids']} cuboids, assembly "
            f"{d['assembly_s']:.0f} s, solves {np.median(d['solve_s']):.2f} s each, grid "
            f"{d['grid_s']:.0f} s, total {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    done = [p for p in out.glob("*.npz") if not p.name.endswith((".probes.npz", ".solver.npz"))]
    print(json.dumps({"events": len(done)}))


if __name__ == "__main__":
    main()
