"""The 3D strain-volume model against the 2D Nur & Mavko (1974) solution.

    python experiments/visco3d_2d_limit.py [--ratios 10 20 40] [--cells 8 10] [--out JSON]

A vertical strike-slip rupture of length L = ratio x H, uniform slip 1 m from the surface to
D = H/2 = 10 km (D = H puts the stress singularity of the rupture's bottom edge on the
relaxing region), over a Maxwell half-space (mu = 30 GPa, eta = 1e19 Pa s, t_R = 2 eta/mu).  The
relaxing region is a tensor mesh: columns and rows of 2.5 km growing by `--growth` away from the
fault and the layer's base (`--cells` of them per side and in depth), and 5 along strike with
the central one spanning |y| < L/4.  The postseismic surface displacement u(t) - u(0) along the
centre profile (x = 2.5 to 60 km) is compared with `quakejax.visco.reference.
nur_mavko_displacement` at t/t_R = 0.1, 1 and 3.  Reported: the largest difference over the
profile as a fraction of the largest 2D postseismic displacement, against Nur & Mavko and
against the 2D strain-volume `PostseismicModel` on the same cross-section mesh (which isolates
the finite-length effect from the discretisation error both models share).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

from quakejax import FaultModel  # noqa: E402
from quakejax.visco import AntiplaneMesh, Maxwell, PostseismicModel, reference  # noqa: E402
from quakejax.visco._relax3d import CuboidMesh, Postseismic3D  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
H = 20e3
D = 10e3
MU, ETA = 3.0e10, 1.0e19
T_R = 2 * ETA / MU
X = np.array([2.5e3, 5e3, 10e3, 20e3, 40e3, 60e3])
TAU = np.array([0.1, 1.0, 3.0])


def run(ratio: float, cells: int, growth: float, along: int = 5) -> dict:
    length = ratio * H
    fault = FaultModel.from_top_centre([[0, 0, 0]], [0.0], [90.0], [length], [D], [[1.0, 0, 0]])
    widths = 2.5e3 * growth ** np.arange(cells)
    edges = np.concatenate([[0.0], np.cumsum(widths)])
    east = np.concatenate([-edges[::-1], edges[1:]])
    depth = H + edges
    # Along strike: `along` cells (odd), the outer two from the rupture's ends to 2L, the
    # others equal over the rupture (5: the central one spans |y| < L/4).
    inner = np.linspace(-1.0, 1.0, along - 1)
    inner = inner[np.abs(inner) < 1.0]
    north = np.concatenate([[-4.0, -1.0], inner, [1.0, 4.0]]) * length / 2
    if along == 5:
        north = np.array([-4, -1, -0.5, 0.5, 1, 4]) * length / 2
    mesh = CuboidMesh.tensor(east, north, depth)
    t0 = time.perf_counter()
    model = Postseismic3D.build(mesh, Maxwell(MU, ETA), mu=MU, lam=MU)
    jax.block_until_ready(model.interaction)
    build_s = time.perf_counter() - t0
    pts = np.stack([X, 0 * X, 0 * X], 1)
    u = np.asarray(model.displacement(fault, pts, np.concatenate([[0.0], TAU * T_R])))[..., 1]
    ref = reference.nur_mavko_displacement(
        X[None], np.concatenate([[0.0], TAU])[:, None] * T_R, H=H, D=D, slip=1.0, mu=MU, eta=ETA
    )
    post, post_ref = u[1:] - u[0], ref[1:] - ref[0]
    err = np.abs(post - post_ref).max(1) / np.abs(post_ref).max(1)
    # The 2D strain-volume model on the same cross-section mesh: isolates the 3D (finite
    # length) effect from the discretisation error that both share.
    m2d = PostseismicModel(
        H,
        D,
        1.0,
        MU,
        Maxwell(MU, ETA),
        AntiplaneMesh(n_x=cells, n_z=cells, first=2.5e3 / D, growth=growth, quadrature=2),
    )
    u2 = np.asarray(m2d.surface_displacement(X[None], np.concatenate([[0.0], TAU])[:, None] * T_R))
    post2 = u2[1:] - u2[0]
    err2 = np.abs(post2 - post_ref).max(1) / np.abs(post_ref).max(1)
    err32 = np.abs(post - post2).max(1) / np.abs(post2).max(1)
    res = {
        "L_over_H": ratio,
        "cells_per_side": cells,
        "cells_along_strike": along,
        "growth": growth,
        "extent_km": float(edges[-1] / 1e3),
        "cuboids": mesh.n,
        "build_s": build_s,
        "coseismic_rel_error": float(np.abs(u[0] - ref[0]).max() / np.abs(ref[0]).max()),
        "postseismic_rel_error": dict(zip([f"t/tR={t}" for t in TAU], err.tolist(), strict=True)),
        "postseismic_rel_error_2d_same_mesh": dict(
            zip([f"t/tR={t}" for t in TAU], err2.tolist(), strict=True)
        ),
        "postseismic_3d_vs_2d_same_mesh": dict(
            zip([f"t/tR={t}" for t in TAU], err32.tolist(), strict=True)
        ),
        "profile_x_m": X.tolist(),
        "postseismic_3d_m": post.tolist(),
        "postseismic_2d_same_mesh_m": post2.tolist(),
        "postseismic_nur_mavko_m": post_ref.tolist(),
    }
    print(json.dumps(res), flush=True)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ratios", type=float, nargs="+", default=[10, 20, 40])
    ap.add_argument("--cells", type=int, nargs="+", default=[8])
    ap.add_argument("--growth", type=float, default=1.6)
    ap.add_argument("--along", type=int, default=5, help="cells along strike (odd)")
    ap.add_argument("--out", default=str(REPO / "experiments/results/visco3d_2d_limit.json"))
    args = ap.parse_args(argv)
    results = [run(r, c, args.growth, args.along) for c in args.cells for r in args.ratios]
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
