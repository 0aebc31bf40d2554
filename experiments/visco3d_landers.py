"""3D Burgers relaxation after Landers 1992: wall times at 1 day, 1 month and 1 year, and the
time-dependent stress on the DeVries et al. (2018) grid.

    python experiments/visco3d_landers.py [--model PATH] [--out experiments/results/...json]

Reads the Wald & Heaton (1994) SRCMOD model from $QUAKEJAX_DATA (default ../shared/data).
Steps, each timed: the octree mesh below the elastic layer; the interaction matrix; one solve
per window (1 d, 30 d, 365 d; compile and run separately); one pass over the cell-cuboid pairs
that gives the grid stress at the three times and the three window means at once; and, on 300
random cells, the error of the grid pass's stacking quadrature against order 8.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from quakejax.aftershocks import build_grid  # noqa: E402
from quakejax.io import read_slip_model  # noqa: E402
from quakejax.stress import von_mises  # noqa: E402
from quakejax.visco import Burgers  # noqa: E402
from quakejax.visco._relax3d import CuboidMesh, Postseismic3D, eigenstrain_fields  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
DAY = 86400.0


def main(argv=None):
    data = pathlib.Path(os.environ.get("QUAKEJAX_DATA") or REPO.parent / "shared" / "data")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(data / "slip_models/srcmod/s1992LANDERwald.fsp"))
    ap.add_argument("--H", type=float, default=30e3, help="elastic layer thickness, m")
    ap.add_argument("--h0", type=float, default=5e3, help="finest cuboid side, m")
    ap.add_argument("--alpha", type=float, default=2.0, help="octree refinement factor")
    ap.add_argument(
        "--lateral", type=float, default=150e3, help="mesh half-width beyond the rupture, m"
    )
    ap.add_argument("--depth-extent", type=float, default=160e3, help="mesh depth below H, m")
    ap.add_argument("--eta-m", type=float, default=1e19, help="Maxwell viscosity, Pa s")
    ap.add_argument("--eta-k", type=float, default=1e18, help="Kelvin viscosity, Pa s")
    ap.add_argument("--grid-order", type=int, default=3, help="stacking quadrature for the grid")
    ap.add_argument("--out", default=str(REPO / "experiments/results/visco3d_landers.json"))
    args = ap.parse_args(argv)

    path = pathlib.Path(args.model)
    if not path.exists():
        raise SystemExit(f"{path}: no such slip model (set QUAKEJAX_DATA or --model)")
    fault = read_slip_model(path)
    mu = lam = 3.0e10
    rheology = Burgers(mu, args.eta_m, mu, args.eta_k)
    out = {
        "model": path.name,
        "patches": fault.n_patches,
        "H_m": args.H,
        "h0_m": args.h0,
        "alpha": args.alpha,
        "lateral_m": args.lateral,
        "depth_extent_m": args.depth_extent,
        "rheology": {
            "kind": "Burgers",
            "mu_M": mu,
            "eta_M": args.eta_m,
            "mu_K": mu,
            "eta_K": args.eta_k,
        },
        "device": str(jax.devices()[0]),
        "cpu_count": os.cpu_count(),
    }

    t0 = time.perf_counter()
    mesh = CuboidMesh.octree(fault, args.H, args.h0, args.alpha, args.lateral, args.depth_extent)
    out["cuboids"] = mesh.n
    out["mesh_s"] = time.perf_counter() - t0
    print(f"mesh: {mesh.n} cuboids ({out['mesh_s']:.1f} s)", flush=True)

    t0 = time.perf_counter()
    model = Postseismic3D.build(mesh, rheology, mu=mu, lam=lam)
    jax.block_until_ready(model.interaction)
    out["interaction_s"] = time.perf_counter() - t0
    k = np.asarray(model.interaction)
    out["interaction_max_re_eig_over_mu"] = float(np.linalg.eigvals(k).real.max() / mu)
    print(
        f"interaction matrix {k.shape}: {out['interaction_s']:.1f} s; "
        f"max Re eig / mu = {out['interaction_max_re_eig_over_mu']:.3g}",
        flush=True,
    )

    drive = model.coseismic_driving(fault)
    windows = {"1 day": 1 * DAY, "1 month": 30 * DAY, "1 year": 365 * DAY}
    out["solve"] = {}
    rels = {}
    for name, t_end in windows.items():
        t0 = time.perf_counter()
        rel = model.relax(drive, [t_end])
        jax.block_until_ready(rel.strain)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        rel = model.relax(drive, [t_end])
        jax.block_until_ready(rel.strain)
        second = time.perf_counter() - t0
        rels[name] = rel
        out["solve"][name] = {"first_call_s": first, "run_s": second, "steps": int(rel.num_steps)}
        print(
            f"solve to {name}: {second:.2f} s ({first:.1f} s with compilation), "
            f"{int(rel.num_steps)} steps",
            flush=True,
        )

    cells = np.asarray(build_grid(fault).centroid, float)
    out["cells"] = len(cells)
    states = np.stack([rels[n].strain[0] for n in windows] + [rels[n].window_mean for n in windows])
    t0 = time.perf_counter()
    _, dsig = eigenstrain_fields(cells, mesh, states, mu=mu, lam=lam, order=args.grid_order)
    dsig = np.asarray(jax.block_until_ready(dsig))
    out["grid_pass_s"] = time.perf_counter() - t0
    print(
        f"grid pass ({len(cells)} cells x {mesh.n} cuboids, 6 states, order "
        f"{args.grid_order}): {out['grid_pass_s']:.1f} s",
        flush=True,
    )

    from quakejax.okada import stress as okada_stress

    sig_co = np.asarray(okada_stress(fault, cells, mu=mu, lam=lam))
    vm_co = np.asarray(von_mises(sig_co))
    strong = vm_co > 1e4  # cells with a coseismic von Mises stress above 10 kPa
    out["stats"] = {}
    labels = [f"at {n}" for n in windows] + [f"mean over {n}" for n in windows]
    for i, name in enumerate(labels):
        vm = np.asarray(von_mises(sig_co + dsig[i]))
        rel_change = np.abs(vm - vm_co)[strong] / vm_co[strong]
        out["stats"][name] = {
            "max_abs_dstress_Pa": float(np.abs(dsig[i]).max()),
            "median_rel_change_von_mises": float(np.median(rel_change)),
            "p90_rel_change_von_mises": float(np.percentile(rel_change, 90)),
        }
        print(
            f"{name}: max |dsigma| {np.abs(dsig[i]).max() / 1e3:.1f} kPa, von Mises change "
            f"median {np.median(rel_change):.2%}, 90th percentile "
            f"{np.percentile(rel_change, 90):.2%} (cells with > 10 kPa)",
            flush=True,
        )

    sub = np.random.default_rng(0).choice(len(cells), 300, replace=False)
    _, ref = eigenstrain_fields(cells[sub], mesh, states[2:3], mu=mu, lam=lam, order=8)
    err = np.abs(dsig[2, sub] - np.asarray(ref[0])).max() / np.abs(np.asarray(ref[0])).max()
    out["grid_order_rel_error_vs_order8"] = float(err)
    print(
        f"grid quadrature order {args.grid_order} vs 8 on 300 cells: max error "
        f"{err:.2e} of the largest relaxation stress",
        flush=True,
    )

    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k != "stats"}))


if __name__ == "__main__":
    main()
