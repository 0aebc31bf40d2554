"""The CPU's two block layouts of the Okada XLA path, side by side.

On a CPU the summed fields scan over the patches, one patch per block of about
`CPU_POINT_BLOCK` points.  For faults of 2 to `CPU_BLOCK_MAX_PATCHES` patches the
derivatives are taken through the other layout, all patches side by side in blocks of about
`CPU_POINT_BLOCK` pairs (`okada._fields._scanned_with_block_derivatives`).  This prints, per
fault size:

- the forward throughput of each layout (both compiled in one process, called in turn; best
  and median of `--repeat` calls): why the values keep the scan;
- with `--grad`, the first call (compilation and one run) and the best of 3 later calls of
  `jax.grad` of a stress misfit with respect to slip, with the derivatives through the
  shared blocks (whatever the number of patches) and through the scan: why the derivatives
  of small faults do not, and why those of large faults do.

    python benchmarks/okada_block_layout.py --patches 2 4 8 --points 20000
    python benchmarks/okada_block_layout.py --patches 2 8 --points 200 --grad --repeat 3
    python benchmarks/okada_block_layout.py --patches 186 --points 4000 --grad --repeat 1

float64; 10 km x 12 km patches 10 km apart along east, points within 50 km and 1-40 km deep.
Results: docs/benchmarks.md ("Small faults: derivatives through shared blocks").
"""

from __future__ import annotations

import argparse
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import quakejax.okada._fields as fields  # noqa: E402
from quakejax import FaultModel, okada  # noqa: E402


def _case(n_patch: int, n_points: int):
    rng = np.random.default_rng(0)
    z = np.zeros(n_patch)
    fault = FaultModel.from_top_centre(
        np.c_[np.arange(n_patch) * 10e3, z, z],
        10.0 + np.arange(n_patch),
        80.0 + z,
        10e3 + z,
        12e3 + z,
        np.tile([[1.0, 0.3, 0.1]], (n_patch, 1)),
    )
    pts = np.c_[rng.uniform(-50e3, 50e3, (n_points, 2)), -rng.uniform(1e3, 40e3, n_points)]
    return fault, jnp.asarray(pts)


def _forward(fault, pts, shared: bool):
    """Compiled summed displacement and gradient of `fault` at `pts` in one layout."""
    static = (
        fields._pairs_per_block(None),
        fields._needs_tensile(fault),
        fields._needs_vertical(fault),
        fields._max_point_block(),
    )
    alpha = jnp.asarray(fields.alpha_from(0.25), pts.dtype)

    def run(params):
        return fields._summed_fields_layout(pts, params, alpha, *static, shared=shared)

    params = fields._patch_params(fault)
    return jax.jit(run).lower(params).compile(), params


def _grad_times(fault, pts, max_patches: int) -> tuple[float, float]:
    """Seconds for the first call (compilation and one run) of jax.grad of a stress misfit
    w.r.t. slip, and the best of 3 later calls, with `CPU_BLOCK_MAX_PATCHES = max_patches`."""
    saved = fields.CPU_BLOCK_MAX_PATCHES
    fields.CPU_BLOCK_MAX_PATCHES = max_patches
    try:
        jax.clear_caches()  # the bound is read when the kernel is traced

        def misfit(slip):
            f = FaultModel(fault.centroid, fault.strike, fault.dip, fault.length, fault.width, slip)
            return jnp.sum((okada.stress(f, pts, mu=3e10, lam=3e10) / 1e6) ** 2)

        grad = jax.jit(jax.grad(misfit))
        t0 = time.perf_counter()
        jax.block_until_ready(grad(fault.slip))
        first = time.perf_counter() - t0
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            jax.block_until_ready(grad(fault.slip))
            runs.append(time.perf_counter() - t0)
        return first, min(runs)
    finally:
        fields.CPU_BLOCK_MAX_PATCHES = saved


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--patches", type=int, nargs="+", default=[2, 4, 8])
    ap.add_argument("--points", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=8)
    ap.add_argument("--grad", action="store_true", help="also time jax.grad's first call")
    args = ap.parse_args(argv)
    if jax.default_backend() != "cpu":
        raise SystemExit("the layouts differ only on a CPU")
    for n_patch in args.patches:
        fault, pts = _case(n_patch, args.points)
        calls = {}
        for name, shared in (("shared blocks", True), ("scan", False)):
            calls[name] = _forward(fault, pts, shared)
        times = {k: [] for k in calls}
        for _ in range(args.repeat):
            for k, (fn, params) in calls.items():
                t0 = time.perf_counter()
                jax.block_until_ready(fn(params))
                times[k].append(time.perf_counter() - t0)
        pairs = n_patch * args.points
        for k, ts in times.items():
            print(
                f"{n_patch} patches x {args.points} points, forward, {k}: best "
                f"{pairs / min(ts) / 1e6:.2f}, median {pairs / np.median(ts) / 1e6:.2f} M pairs/s",
                flush=True,
            )
        if args.grad:
            # Any number of patches through the shared blocks, or none.
            for name, bound in (("shared blocks", 10**9), ("scan", 0)):
                first, run = _grad_times(fault, pts, bound)
                print(
                    f"{n_patch} patches x {args.points} points, jax.grad w.r.t. slip through "
                    f"{name}: first call {first:.1f} s, then {run:.3f} s",
                    flush=True,
                )


if __name__ == "__main__":
    main()
