"""How much of the 3D solver's first-call time JAX's persistent compilation cache saves.

    .venv/bin/python benchmarks/visco3d_compile_cache.py [--cache-dir DIR] [--name STEM]

Runs the solver for one real event (Landers 1992 by default; the time-dependent
experiment's set-up: octree cubes of 10 km, alpha 1, H = 30 km, 18,570 DeVries cells from its
cache, stacking order 2, float64) three times, each in a fresh Python process:

1. without the persistent cache (compilation in the process, as before);
2. with an empty cache directory (compiles and writes the cache);
3. with that directory filled (reads the compiled programs instead of compiling).

Each process times the interaction matrix, the diffrax solve to one year and the
cuboid-to-cell pass, all first calls.  Prints a table and a JSON line last.  Needs the real
data (`QUAKEJAX_DATA`) and `timedependent_cache/<name>.parquet`.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
MU = 3.0e10  # Pa
YEAR = 365.0 * 86400.0  # s


def one_run(name: str, cache_dir: str | None) -> dict:
    """The timed steps, in this process (the child)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    if cache_dir:
        jax.config.update("jax_compilation_cache_dir", cache_dir)
        # cache every program, however quick its compilation
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    import pandas as pd

    sys.path.insert(0, str(REPO / "experiments"))
    import _scripts

    from quakejax.visco import Burgers
    from quakejax.visco._relax3d import CuboidMesh, Postseismic3D, eigenstrain_fields

    build = _scripts.load("build_dataset")
    files = {p.stem: p for p in build.slip_files(build.data_dir(None))}
    fault = build.read_model(files[name])
    cells = pd.read_parquet(REPO / "timedependent_cache" / f"{name}.parquet")[["x", "y", "z"]]
    cells = cells.to_numpy(float)
    out = {}
    t0 = time.perf_counter()
    mesh = CuboidMesh.octree(fault, 30e3, 10e3, 1.0, 150e3, 160e3)
    model = Postseismic3D.build(mesh, Burgers(MU, 1e19, MU, 1e18), mu=MU, lam=MU)
    jax.block_until_ready(model.interaction)
    out["matrix_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rel = jax.block_until_ready(model.relax(fault, [YEAR], window=YEAR))
    out["solve_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    jax.block_until_ready(
        eigenstrain_fields(cells, mesh, rel.window_mean[None], mu=MU, lam=MU, order=2)
    )
    out["grid_s"] = time.perf_counter() - t0
    out["total_s"] = out["matrix_s"] + out["solve_s"] + out["grid_s"]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", default="s1992LANDERwald", help="slip model file stem")
    ap.add_argument("--cache-dir", default=None, help="default: a new temporary directory")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:  # one timed run; the parent reads the last line
        print(json.dumps(one_run(args.name, args.child or None)))
        return
    if not (REPO / "timedependent_cache" / f"{args.name}.parquet").exists():
        raise SystemExit(f"no timedependent_cache/{args.name}.parquet: run the experiment first")
    cache = args.cache_dir or tempfile.mkdtemp(prefix="quakejax_jax_cache_")
    if any(pathlib.Path(cache).iterdir()):
        raise SystemExit(f"{cache}: the cache directory must start empty")
    runs = {}
    for label, where in (("no cache", ""), ("cache, empty", cache), ("cache, filled", cache)):
        res = subprocess.run(
            [sys.executable, __file__, "--name", args.name, "--child", where],
            capture_output=True,
            text=True,
            check=False,
        )
        if res.returncode != 0:
            raise SystemExit(f"{label}: the child run failed:\n{res.stderr[-3000:]}")
        runs[label] = json.loads(res.stdout.strip().splitlines()[-1])
        r = runs[label]
        print(
            f"  {label:<14s} matrix {r['matrix_s']:7.2f} s  solve {r['solve_s']:6.2f} s  "
            f"grid pass {r['grid_s']:7.2f} s  total {r['total_s']:7.2f} s",
            flush=True,
        )
    size = sum(p.stat().st_size for p in pathlib.Path(cache).rglob("*") if p.is_file())
    print(json.dumps({"name": args.name, "cache_dir": cache, "cache_bytes": size, "runs": runs}))


if __name__ == "__main__":
    main()
