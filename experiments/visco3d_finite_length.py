"""How large is the finite-length effect in the 3D model's 2D-limit test?

    python experiments/visco3d_finite_length.py [--ratios 10 20 40 80] [--limit JSON] [--out JSON]

`experiments/visco3d_2d_limit.py` compares the 3D strain-volume model's postseismic surface
displacement at the centre of a rupture of length L with the 2D (infinitely long) solution.
Part of that difference is physical: the rupture is finite.  This script estimates that part
independently of the 3D model, from the image series behind the 2D reference.

Nur & Mavko (1974) write the postseismic surface displacement over a Maxwell half-space as
(b/pi) sum_{n>=1} P_n(t/t_R) c_n(x), with c_n(x) = atan((2nH + D)/x) - atan((2nH - D)/x): the
surface displacement of an infinitely long vertical strike-slip fault spanning depths
2nH - D to 2nH + D in a half-space (Rybicki's images), weighted by P_n(tau) =
gammainc(n, tau).  Here each image is replaced by a rectangle of the rupture's length L
(Okada, in a half-space, nu = 0.25 as in the 3D model), with the same weights.  As L grows the
estimate tends to the 2D series exactly.  It is not an exact 3D solution (a layer over a
half-space with a rigidity contrast is an image problem only in antiplane 2D), so it
measures the order of the finite-length effect, not the 3D answer.

Same set-up as the 2D-limit experiment: H = 20 km, D = 10 km, slip 1 m, profile x = 2.5-60 km
at the rupture's centre, t/t_R = 0.1, 1, 3.  Printed per L/H: the largest finite-length effect
over the profile, |estimate - 2D| / max |2D|; and, where the 2D-limit results are given
(`--limit`), the 3D model's own departure from the 2D model on the same cross-section mesh,
and the largest difference between the two departures.
"""

from __future__ import annotations

import argparse
import json
import pathlib

import jax
import numpy as np
from scipy import special

jax.config.update("jax_enable_x64", True)

from quakejax import FaultModel  # noqa: E402
from quakejax.okada import displacement  # noqa: E402
from quakejax.visco import reference  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
H = 20e3  # m, elastic layer
D = 10e3  # m, rupture depth
MU, ETA = 3.0e10, 1.0e19
X = np.array([2.5e3, 5e3, 10e3, 20e3, 40e3, 60e3])  # m, profile at the rupture's centre
TAU = np.array([0.1, 1.0, 3.0])  # t / t_R
N_IMAGES = 120  # P_n(3) < 1e-30 beyond n = 64


def images(length: float | None) -> np.ndarray:
    """(N_IMAGES, len(X)): surface displacement (m per m of slip, along strike) of image n at
    the profile; `length` None: the 2D images (b/pi) c_n(x)."""
    n = np.arange(1, N_IMAGES + 1)[:, None]
    if length is None:
        return (np.arctan((2 * n * H + D) / X) - np.arctan((2 * n * H - D) / X)) / np.pi
    pts = np.stack([X, 0 * X, 0 * X], 1)
    top = 2 * n[:, 0] * H - D
    fault = FaultModel.from_top_centre(
        np.stack([0 * top, 0 * top, -top], 1),
        np.zeros(N_IMAGES),
        np.full(N_IMAGES, 90.0),
        np.full(N_IMAGES, length),
        np.full(N_IMAGES, 2 * D),
        np.tile([1.0, 0.0, 0.0], (N_IMAGES, 1)),
    )
    # One image at a time: the fields of a FaultModel are summed over its patches.
    return np.stack(
        [
            np.asarray(displacement(fault[i : i + 1], pts, mu=MU, nu=0.25))[:, 1]
            for i in range(N_IMAGES)
        ]
    )


def postseismic(img: np.ndarray) -> np.ndarray:
    """(len(TAU), len(X)): sum_n P_n(tau) image_n(x)."""
    n = np.arange(1, N_IMAGES + 1)
    return special.gammainc(n[None, :], TAU[:, None]) @ img


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--ratios", type=float, nargs="+", default=[10, 20, 40, 80])
    ap.add_argument(
        "--limit",
        nargs="+",
        default=[
            str(REPO / "experiments/results" / f)
            for f in (
                "visco3d_2d_limit.json",
                "visco3d_2d_limit_L80.json",
                "visco3d_2d_limit_along9.json",
            )
        ],
        help="2D-limit result files (those missing are skipped)",
    )
    ap.add_argument("--out", default=str(REPO / "experiments/results/visco3d_finite_length.json"))
    args = ap.parse_args(argv)

    flat = postseismic(images(None))
    # The 2D image series is Nur & Mavko's solution itself.
    t = TAU[:, None] * 2 * ETA / MU
    nm = reference.nur_mavko_displacement(X[None], t, H=H, D=D, slip=1.0, mu=MU, eta=ETA)
    nm0 = reference.nur_mavko_displacement(X[None], 0 * t, H=H, D=D, slip=1.0, mu=MU, eta=ETA)
    series_check = float(np.abs(flat - (nm - nm0)).max())
    runs = []  # 2D-limit runs of the 3D model
    for name in args.limit:
        path = pathlib.Path(name)
        if path.is_file():
            runs += json.loads(path.read_text())

    rows = []
    for ratio in args.ratios:
        est = postseismic(images(ratio * H))
        effect = (est - flat) / np.abs(flat).max(1, keepdims=True)
        base = {
            "L_over_H": ratio,
            "estimate_effect": dict(
                zip([f"t/tR={x}" for x in TAU], np.abs(effect).max(1).tolist(), strict=True)
            ),
        }
        matching = [r for r in runs if r["L_over_H"] == ratio] or [None]
        for r in matching:
            row = dict(base)
            rows.append(row)
            if r is None:
                continue
            row["cells_along_strike"] = r.get("cells_along_strike", 5)
            p3 = np.asarray(r["postseismic_3d_m"])
            p2 = np.asarray(r["postseismic_2d_same_mesh_m"])
            model_effect = (p3 - p2) / np.abs(p2).max(1, keepdims=True)
            row["model_effect"] = dict(
                zip([f"t/tR={x}" for x in TAU], np.abs(model_effect).max(1).tolist(), strict=True)
            )
            row["model_minus_estimate"] = dict(
                zip(
                    [f"t/tR={x}" for x in TAU],
                    np.abs(model_effect - effect).max(1).tolist(),
                    strict=True,
                )
            )

    print(f"2D image series against reference.nur_mavko_displacement: {series_check:.1e} m")
    print(
        "L/H  along  finite-length effect, image estimate   3D model vs 2D same mesh   difference"
    )
    for row in rows:

        def fmt(d):
            return " / ".join(f"{100 * v:5.1f}%" for v in d.values()) if d else "-"

        print(
            f"{row['L_over_H']:4.0f}  {row.get('cells_along_strike', '-')!s:>5}  "
            f"{fmt(row['estimate_effect']):>36}   "
            f"{fmt(row.get('model_effect', {})):>24}   {fmt(row.get('model_minus_estimate', {}))}"
        )
    out = {"series_check_m": series_check, "t_over_tR": TAU.tolist(), "rows": rows}
    pathlib.Path(args.out).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
