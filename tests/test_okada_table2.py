"""Okada (1985) Table 2: the published check list, reproduced through `dc3d` at z = 0.

Published values (4 significant figures) for a Poisson solid (lambda = mu), unit dislocation,
fault from (0, 0, -d) with 0 <= xi <= L and 0 <= eta <= W.  Okada's case 4 (dip = -90, "d = 6")
is the vertical fault between depths 4 and 6; in DC3D's parametrisation, where eta runs down
the plane when sin(dip) < 0, that is depth = 4, dip = -90 (key `d` below is DC3D's depth).
Columns: ux, uy, uz, dux/dx,
dux/dy, duy/dx, duy/dy, duz/dx, duz/dy.
"""

import numpy as np
import pytest

from quakejax.okada import dc3d

CASES = {
    # (x, y, d, dip, L, W): {slip type: 9 published values}
    (2.0, 3.0, 4.0, 70.0, 3.0, 2.0): {
        "strike": [
            -8.689e-3,
            -4.298e-3,
            -2.747e-3,
            -1.220e-3,
            2.470e-4,
            -8.191e-3,
            -5.814e-4,
            -5.175e-3,
            2.945e-4,
        ],
        "dip": [
            -4.682e-3,
            -3.527e-2,
            -3.564e-2,
            -8.867e-3,
            -1.519e-4,
            4.057e-3,
            -1.035e-2,
            4.088e-3,
            2.626e-3,
        ],
        "tensile": [
            -2.660e-4,
            1.056e-2,
            3.214e-3,
            -5.655e-4,
            1.993e-3,
            -1.066e-3,
            1.230e-2,
            -3.730e-4,
            1.040e-2,
        ],
    },
    (0.0, 0.0, 4.0, 90.0, 3.0, 2.0): {
        "strike": [0, 5.253e-3, 0, 0, -1.864e-2, -2.325e-3, 0, 0, 2.289e-2],
        "dip": [0, 0, 0, 0, 2.748e-2, 0, 0, 0, -7.166e-2],
        "tensile": [1.223e-2, 0, -1.606e-2, -4.182e-3, 0, 0, -2.325e-3, -9.146e-3, 0],
    },
    (0.0, 0.0, 4.0, -90.0, 3.0, 2.0): {
        "strike": [0, -1.303e-3, 0, 0, 2.726e-3, 7.345e-4, 0, 0, -4.422e-3],
        "dip": [0, 0, 0, 0, 5.157e-3, 0, 0, 0, -1.901e-2],
        "tensile": [3.507e-3, 0, -7.740e-3, -1.770e-3, 0, 0, -7.345e-4, -1.843e-3, 0],
    },
}
SLIP = {"strike": (1.0, 0.0, 0.0), "dip": (0.0, 1.0, 0.0), "tensile": (0.0, 0.0, 1.0)}

PARAMS = [(geom, kind) for geom, by_kind in CASES.items() for kind in by_kind]


def _round_sig(v, n=4):
    if v == 0:
        return 0.0
    scale = 10.0 ** (np.floor(np.log10(abs(v))) - n + 1)
    return float(np.round(v / scale) * scale)


@pytest.mark.parametrize("geom,kind", PARAMS, ids=[f"dip{g[3]:+.0f}-{k}" for g, k in PARAMS])
def test_okada1985_table2(geom, kind):
    x, y, d, dip, length, width = geom
    u, g = dc3d(
        np.array([x, y, 0.0]),
        alpha=2.0 / 3.0,
        depth=d,
        dip=dip,
        al=(0.0, length),
        aw=(0.0, width),
        disl=SLIP[kind],
    )
    u, g = np.asarray(u), np.asarray(g)
    ours = [u[0], u[1], u[2], g[0, 0], g[0, 1], g[1, 0], g[1, 1], g[2, 0], g[2, 1]]
    expected = CASES[geom][kind]
    for name, mine, pub in zip(
        ["ux", "uy", "uz", "uxx", "uxy", "uyx", "uyy", "uzx", "uzy"], ours, expected, strict=True
    ):
        if pub == 0:
            assert abs(mine) < 1e-12, (name, mine)
        else:
            assert _round_sig(mine) == pytest.approx(pub, rel=1e-9, abs=0), (name, mine, pub)


def test_dip_minus90_is_the_flipped_vertical_fault():
    """Same plane (depth 4-6) described with dip +90 from its bottom: strike slip changes sign."""
    obs = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, -1.5], [4.0, 1.0, -7.0]])
    kw = dict(alpha=2.0 / 3.0, al=(0.0, 3.0), aw=(0.0, 2.0))
    for disl, flipped in [
        ((1.0, 0, 0), (-1.0, 0, 0)),
        ((0, 1.0, 0), (0, 1.0, 0)),
        ((0, 0, 1.0), (0, 0, 1.0)),
    ]:
        u1, g1 = dc3d(obs, depth=4.0, dip=-90.0, disl=disl, **kw)
        u2, g2 = dc3d(obs, depth=6.0, dip=90.0, disl=flipped, **kw)
        np.testing.assert_allclose(u1, u2, atol=1e-14)
        np.testing.assert_allclose(g1, g2, atol=1e-14)
