"""Uniform eigenstrain in an axis-aligned cuboid of an elastic half-space (ENU frame).

A uniform plastic distortion beta* = b (x) n inside a slab is a continuous stack of dislocation
planes normal to n, each with Burgers vector b ds.  Cut to a cuboid, every plane is one of
Okada's rectangles, so the field of the cuboid is a 1D integral of closed-form DC3D fields
over the stacking coordinate s:

    u(x) = int u_rect(x; s) ds,     sigma(x) = C : sym( int grad u_rect(x; s) ds ).

Inside the cuboid the integrand jumps by b where the plane passes through x (the jump is the
plastic displacement), and the pointwise gradients of the planes already exclude that jump, so
the stress is C:(sym grad u - eps*) with no extra interior term.  Only the symmetric part of
beta* produces stress and outside displacement, so each shear component uses one stack:

    eps_EE: planes normal to E, opening        eps_EN: planes normal to N, 2 eps slip along E
    eps_NN: planes normal to N, opening        eps_EU: planes normal to U, 2 eps slip along E
    eps_UU: planes normal to U, opening        eps_NU: planes normal to U, 2 eps slip along N

Quadrature: the interval of s is cut where the plane passes through the receiver (or at its
middle when the receiver is outside the slab) and each half gets `order` Gauss-Legendre points
after the substitution t = d0 (exp(u L) - 1), which clusters them towards the end nearest the
receiver; d0 is the receiver's distance to the nearest rectangle edge there.  The convergence in
`order`, the equilibrium, the free surface, a superposition of sub-cuboids, point-source sums far
away and the laterally infinite layer are tested in `tests/test_visco3d.py`.

Units: m for coordinates and displacement per unit (dimensionless) eigenstrain, Pa for stress
per unit eigenstrain with the moduli in Pa.  Channels: the 6 components of a symmetric unit
eigenstrain, in the order `CHANNELS`.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, Float
from ..okada._dc3d import _dc3d_unit
from ..okada._fields import _rotate_to_enu

#: Order of the 6 eigenstrain channels (E, N, U axes).
CHANNELS = ("EE", "NN", "UU", "EN", "EU", "NU")

# Per stacking axis: strike (deg) and dip (deg) of the planes, the axis along Okada's x (along
# strike) and along its width, and the channel coefficients of the unit strike, dip and opening
# rows.  The Burgers vectors u(+n side) - u(-n side) of DC3D's unit slips were measured for
# these orientations (x-normal: strike->+N, dip->+U, open->+E; N-normal: strike->-E,
# dip->-U, open->+N; U-normal: strike->+E, dip->+N, open->+U) and are re-checked by the tests.
_STACKS = (
    # axis, strike, dip, length axis, width axis, {channel: (row, coefficient)}
    (0, 0.0, 90.0, 1, 2, {0: (2, 1.0)}),
    (1, 90.0, 90.0, 0, 2, {1: (2, 1.0), 3: (0, -2.0)}),
    (2, 90.0, 0.0, 0, 1, {2: (2, 1.0), 4: (0, 2.0), 5: (1, 2.0)}),
)

#: Deviatoric orthonormal basis in ENU (rows: B_1..B_5 as 3x3 tensors).
_S2, _S6 = 1.0 / math.sqrt(2.0), 1.0 / math.sqrt(6.0)
DEVIATORIC_BASIS = np.array(
    [
        [[_S2, 0, 0], [0, -_S2, 0], [0, 0, 0]],
        [[_S6, 0, 0], [0, _S6, 0], [0, 0, -2 * _S6]],
        [[0, _S2, 0], [_S2, 0, 0], [0, 0, 0]],
        [[0, 0, _S2], [0, 0, 0], [_S2, 0, 0]],
        [[0, 0, 0], [0, 0, _S2], [0, _S2, 0]],
    ]
)
# Channel amplitudes (EE, NN, UU, EN, EU, NU) of each basis tensor: (5, 6).
BASIS_TO_CHANNELS = np.stack(
    [[b[0, 0], b[1, 1], b[2, 2], b[0, 1], b[0, 2], b[1, 2]] for b in DEVIATORIC_BASIS]
)


def _gauss(order: int, dtype):
    u, w = np.polynomial.legendre.leggauss(order)
    return jnp.asarray(0.5 * (u + 1.0), dtype), jnp.asarray(0.5 * w, dtype)


def _safe_norm2(a, b):
    r2 = a * a + b * b
    pos = r2 > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, r2, 1.0)), 0.0)


def _footprint_distance(p, centre, half, k1, k2):
    """Distance (m) in the plane of axes k1, k2 from the receiver to the edge of the cuboid's
    footprint (inside: to the nearest edge; outside: to the footprint)."""
    o1 = jnp.abs(p[k1] - centre[k1]) - half[k1]
    o2 = jnp.abs(p[k2] - centre[k2]) - half[k2]
    inside = (o1 <= 0) & (o2 <= 0)
    return jnp.where(
        inside, jnp.minimum(-o1, -o2), _safe_norm2(jnp.maximum(o1, 0.0), jnp.maximum(o2, 0.0))
    )


def _stack_nodes(x, lo, hi, d_lat, u, w):
    """Positions s (2 order,) and weights (m) of the graded two-piece rule on [lo, hi]."""
    inside = (x > lo) & (x < hi)
    below = x <= lo
    mid = 0.5 * (lo + hi)
    near = (jnp.where(inside, x, jnp.where(below, lo, hi)), jnp.where(inside, x, mid))
    far = (jnp.where(inside, lo, mid), jnp.where(inside, hi, jnp.where(below, hi, lo)))
    floor = 1e-9 * (hi - lo)
    s_all, w_all = [], []
    for p, q in zip(near, far, strict=True):
        length = jnp.abs(q - p)
        sign = jnp.where(q >= p, 1.0, -1.0)
        d0 = jnp.maximum(_safe_norm2(d_lat, x - p), floor)
        big_l = jnp.log1p(length / d0)
        t = d0 * jnp.expm1(u * big_l)
        s_all.append(p + sign * t)
        w_all.append(w * big_l * (t + d0))
    return jnp.concatenate(s_all), jnp.concatenate(w_all)


def _pair_channels(p, centre, half, alpha, u, w):
    """u (3, 6) and grad (3, 3, 6) at receiver `p` per unit eigenstrain channel of one cuboid.

    The 3 stacks x 2 order planes go through one vectorised DC3D call (one compilation)."""
    cen, sn, cs, dips, hls, hws, wts = [], [], [], [], [], [], []
    n_nodes = 2 * u.shape[0]
    for axis, strike, dip, ax_len, ax_wid, _ in _STACKS:
        lo, hi = centre[axis] - half[axis], centre[axis] + half[axis]
        d_lat = _footprint_distance(p, centre, half, ax_len, ax_wid)
        s_nodes, weights = _stack_nodes(p[axis], lo, hi, d_lat, u, w)
        cen.append(jnp.broadcast_to(centre, (n_nodes, 3)).at[:, axis].set(s_nodes))
        wts.append(weights)
        ones = jnp.ones(n_nodes, p.dtype)
        sn.append(ones * (0.0 if strike == 0.0 else 1.0))
        cs.append(ones * (1.0 if strike == 0.0 else 0.0))
        dips.append(ones * dip)
        hls.append(ones * half[ax_len])
        hws.append(ones * half[ax_wid])
    cen, sn, cs, dips, hls, hws, wts = (
        jnp.concatenate(a) for a in (cen, sn, cs, dips, hls, hws, wts)
    )

    def one(c, s_, c_, dip, hl, hw):
        de, dn = p[0] - c[0], p[1] - c[1]
        x, y = de * s_ + dn * c_, -de * c_ + dn * s_
        rows, _ = _dc3d_unit(x, y, p[2], alpha, -c[2], dip, -hl, hl, -hw, hw, tensile=True)
        return rows

    rows = wts[:, None, None] * jax.vmap(one)(cen, sn, cs, dips, hls, hws)
    u_out = [jnp.zeros(3, p.dtype) for _ in range(6)]
    g_out = [jnp.zeros((3, 3), p.dtype) for _ in range(6)]
    for k, (_, strike, _, _, _, coeffs) in enumerate(_STACKS):
        summed = rows[k * n_nodes : (k + 1) * n_nodes].sum(0)
        s_, c_ = (0.0, 1.0) if strike == 0.0 else (1.0, 0.0)
        for ch, (row, coef) in coeffs.items():
            uu, gg = _rotate_to_enu(summed[row], s_, c_)
            u_out[ch] = u_out[ch] + coef * uu
            g_out[ch] = g_out[ch] + coef * gg
    return jnp.stack(u_out, axis=-1), jnp.stack(g_out, axis=-1)


def _stress_from_grad(grad, mu, lam):
    """Stress (..., 3, 3) from displacement gradients (..., 3, 3): C : sym(grad)."""
    e = 0.5 * (grad + jnp.swapaxes(grad, -1, -2))
    tr = jnp.trace(e, axis1=-2, axis2=-1)
    eye = jnp.broadcast_to(jnp.eye(3, dtype=grad.dtype), grad.shape)
    return lam * tr[..., None, None] * eye + 2.0 * mu * e


def cuboid_unit_fields(
    p: Float[Array, 3],
    centre: Float[Array, 3],
    half: Float[Array, 3],
    *,
    mu,
    lam,
    order: int = 6,
) -> tuple[Float[Array, "3 6"], Float[Array, "3 3 6"]]:
    """Displacement (m) and stress (Pa) at one point `p` (ENU, m, z <= 0) per unit eigenstrain
    channel (`CHANNELS`) of one cuboid of centre `centre` and half sides `half` (m).

    `order` Gauss points per half interval; see the module docstring.  Receivers on the
    cuboid's faces or edges are not supported (the stress jumps there).
    """
    alpha = (lam + mu) / (lam + 2.0 * mu)
    u, w = _gauss(order, p.dtype)
    disp, grad = _pair_channels(p, centre, half, alpha, u, w)
    sig = _stress_from_grad(jnp.moveaxis(grad, -1, 0), mu, lam)
    return disp, jnp.moveaxis(sig, 0, -1)
