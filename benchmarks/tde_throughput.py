"""Throughput of quakejax's triangular dislocations against cutde's CPU backend.

Workload: `--points` observation points (default 2,000) x `--triangles` triangles (500) in
a half-space (nu = 0.25): random triangles with vertices 0.5-10 km deep within 10 km of the
origin, points within 20 km, 0-10 km deep (`--surface`: all at z = 0, as GPS stations), random
slip.  Timed, for float64 and float32:

- displacement summed over the triangles (`quakejax.tde.tde_displacement_many` against
  `cutde.halfspace.disp_free`);
- the displacement Green's matrix (`tde_displacement_greens` against `disp_matrix`);
- strain summed over the triangles (`tde_strain_many` against `strain_free`).

Each is the median of `--repeats` calls after one warm-up call (which, for quakejax,
includes compilation; its time is printed too).  pairs/s = points x triangles / seconds.
The outputs are compared in the same run (maximum over points of |a - b| / max |b|).

    .venv/bin/python benchmarks/tde_throughput.py          # about 1 minute, 2-core CPU
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def timed(fn, repeats):
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return np.asarray(out), first, statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--triangles", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--surface",
        action="store_true",
        help="all points on the free surface (GPS stations): quakejax then takes its surface "
        "kernel (one full-space evaluation instead of two)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object at the end")
    args = parser.parse_args(argv)

    import jax

    jax.config.update("jax_enable_x64", True)  # float64 available; each case picks its dtype
    from quakejax.tde import tde_displacement_greens, tde_displacement_many, tde_strain_many

    try:
        import cutde.halfspace as hs
    except ImportError:
        hs = None
        print("cutde is not installed (pip install 'quakejax[bench]'): quakejax only")

    rng = np.random.default_rng(0)
    n, m = args.points, args.triangles
    tris = rng.uniform(-10e3, 10e3, (m, 3, 3))
    tris[:, :, 2] = -rng.uniform(0.5e3, 10e3, (m, 3))
    pts = rng.uniform(-20e3, 20e3, (n, 3))
    pts[:, 2] = -rng.uniform(0.0, 10e3, n)
    if args.surface:
        pts[:, 2] = 0.0
    slips = rng.normal(size=(m, 3))
    pairs = n * m
    where = "on the surface" if args.surface else "0-10 km deep"
    print(f"{n} points ({where}) x {m} triangles = {pairs:,} pairs; JAX {jax.default_backend()}")
    print(f"{'case':34s} {'first s':>8s} {'median s':>9s} {'Mpairs/s':>9s} {'max rel diff':>13s}")
    results = {}
    for dtype in (np.float64, np.float32):
        p, t, s = pts.astype(dtype), tris.astype(dtype), slips.astype(dtype)
        cases = {
            "displacement": (
                lambda p=p, t=t, s=s: jax.block_until_ready(tde_displacement_many(p, t, s, 0.25)),
                None if hs is None else (lambda p=p, t=t, s=s: hs.disp_free(p, t, s, 0.25)),
            ),
            "Green's matrix": (
                lambda p=p, t=t: jax.block_until_ready(tde_displacement_greens(p, t, 0.25)),
                None
                if hs is None
                else (lambda p=p, t=t: hs.disp_matrix(p, t, 0.25).reshape(3 * n, 3 * m)),
            ),
            "strain": (
                lambda p=p, t=t, s=s: jax.block_until_ready(tde_strain_many(p, t, s, 0.25)),
                None if hs is None else (lambda p=p, t=t, s=s: hs.strain_free(p, t, s, 0.25)),
            ),
        }
        for case, (ours, theirs) in cases.items():
            name = f"{case}, {np.dtype(dtype).name}"
            a, first, med = timed(ours, args.repeats)
            row = {"first_s": first, "median_s": med, "mpairs_per_s": pairs / med / 1e6}
            print(f"quakejax {name:25s} {first:8.2f} {med:9.3f} {pairs / med / 1e6:9.2f}")
            if theirs is not None:
                b, first_b, med_b = timed(theirs, args.repeats)
                if case == "strain":  # cutde: (n, 6) as xx, yy, zz, xy, xz, yz
                    a = a[:, [0, 1, 2, 0, 0, 1], [0, 1, 2, 1, 2, 2]]
                diff = float(np.abs(a - b).max() / np.abs(b).max())
                row.update(
                    cutde_median_s=med_b,
                    cutde_mpairs_per_s=pairs / med_b / 1e6,
                    speedup=med_b / med,
                    max_rel_diff=diff,
                )
                print(
                    f"cutde    {name:25s} {first_b:8.2f} {med_b:9.3f} {pairs / med_b / 1e6:9.2f} "
                    f"{diff:13.2e}   quakejax / cutde: {med_b / med:.2f}x"
                )
            results[name] = row
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
