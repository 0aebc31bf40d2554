"""Displacement and strain of one triangular dislocation (TD) in an elastic half-space.

The artefact-free formulation of Nikkhoo & Walter (2015), GJI 201, 1119-1141: the full-space
TD (three angular dislocations in configuration I or II, chosen per point so that no
singular leg passes through it, plus the solid-angle term), its image in the free surface,
and the harmonic free-surface correction of the three angular-dislocation pairs along the
sides (the paper's MATLAB functions `TDdispHS` / `TDstrainHS`).

Frame and conventions are those of Nikkhoo & Walter and of cutde (x east, y north, z up,
metres; the half-space is z <= 0):

- the TD coordinate system (TDCS) has its normal n = (P2 - P1) x (P3 - P1) / |...|, its strike
  direction s = e_z x n / |...| (for a horizontal triangle s = e_y n_z), and its dip direction
  d = n x s, so the vertex order sets the normal and hence the slip signs;
- `slip` = (strike-slip, dip-slip, tensile) is the Burgers vector ss s + ds d + ts n, in m.
  Checked against Okada (1992) (`tests/test_tde.py`): positive strike slip is left-lateral
  and positive tensile slip is opening, whatever the vertex order; positive dip slip is
  reverse (hanging wall up-dip) when n points into the hanging wall (for a dipping fault:
  n up, vertices counter-clockwise seen from above), and normal otherwise.  With that vertex
  order the slip vector is exactly `FaultModel.slip`.

Accuracy (float64; measured against cutde and against a 50-digit evaluation of the same
formulas): 1e-12 relative to cutde on random triangles and points, the free surface
included, where no side is steeper than 84 deg.  At 1e-6 of the triangle size
from an edge or a vertex, 3e-10, where cutde, which forms r - z by subtraction, is off by
5e-5 (1e-3 at a vertex).  The harmonic correction of a steep side cancels as eps /
sin(beta)^2, beta the side's angle from the vertical.  With its log terms regrouped (see
`ad_fsc_displacement`) the error here is 1e-12 at 89.6 deg (cutde 3e-10), 1e-6 at
sin(beta) = 1e-4 (cutde 1e-4), and up to 1e-4 around sin(beta) = eps^(1/3), below which a
side counts as vertical (cutde: 1e-1 to 1e3 for sin(beta) between 1e-6 and 1e-5).  In
float32 the same cancellation makes steep triangles unreliable: worst case 4e-3 relative at
80 deg, 6e-2 at 85 deg and up to 0.8 between 88 and 89.9 deg (median 3e-6, max 2e-4 for
random triangles without sides steeper than 84 deg).  Use float64 for steep faults.

Every quantity below is one point and one triangle; callers batch with `jax.vmap`
(`quakejax.tde.tde_displacement_many` and friends).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, ArrayLike, Float
from ..okada._common import is_concrete
from ._angular import FOUR_PI, ad_displacement, ad_fsc_displacement, ad_strain

# -- small vector helpers on 3-tuples of scalars: everything stays elementwise, so a vmapped
# -- pair fuses into a few loops (as in the Okada kernels).


def _sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _combine(c, basis):
    """sum_k c[k] * basis[k] for three basis vectors (TDCS/ADCS components -> EFCS)."""
    return tuple(c[0] * basis[0][i] + c[1] * basis[1][i] + c[2] * basis[2][i] for i in range(3))


def _sym(t6):
    """(xx, yy, zz, xy, xz, yz) -> nested 3x3 tuple."""
    xx, yy, zz, xy, xz, yz = t6
    return ((xx, xy, xz), (xy, yy, yz), (xz, yz, zz))


def _rotate_tensor(t, rows):
    """M^T T M for a 3x3 tensor T in the frame whose axes are the `rows` of M."""
    tm = [[sum(t[k][q] * rows[q][j] for q in range(3)) for j in range(3)] for k in range(3)]
    return tuple(
        tuple(sum(rows[k][i] * tm[k][j] for k in range(3)) for j in range(3)) for i in range(3)
    )


def _unit2(y, z):
    n = jnp.sqrt(y * y + z * z)
    return y / n, z / n


# -- the full-space triangular dislocation -----------------------------------------------
# The three angular dislocations of a TD (and the six of its free-surface correction) are
# evaluated as one call on arrays of length 3 (6): one copy of each closed form in the
# compiled program, which keeps compilation fast and vectorises as well as unrolled code.


def _tdcs(p1, p2, p3, image):
    """TDCS axes (normal, strike, dip) as 3-tuples, and the degenerate-triangle mask.

    `image` (a boolean, may be traced) marks the image TD above the surface.
    """
    nrm = _cross(_sub(p2, p1), _sub(p3, p1))
    n2 = _dot(nrm, nrm)
    degenerate = n2 == 0.0
    inv = 1.0 / jnp.sqrt(jnp.where(degenerate, 1.0, n2))
    n = (nrm[0] * inv, nrm[1] * inv, nrm[2] * inv)
    h2 = n[0] * n[0] + n[1] * n[1]
    horizontal = h2 == 0.0
    ih = 1.0 / jnp.sqrt(jnp.where(horizontal, 1.0, h2))
    # A horizontal TD has strike e_y n_z; for the image of a horizontal TD (above the
    # surface) the paper flips it, which keeps the image's slip consistent with the source.
    sgn = jnp.where(image & (p1[2] > 0.0), -n[2], n[2])
    zero = jnp.zeros_like(n[0])
    s = (
        jnp.where(horizontal, zero, -n[1] * ih),
        jnp.where(horizontal, sgn, n[0] * ih),
        zero,
    )
    d = _cross(n, s)
    return (n, s, d), degenerate


def _setup(obs, tri, image):
    """Geometry shared by displacement and strain: the TDCS, the point and vertices in it,
    the artefact-free configuration and the frames of the three angular dislocations."""
    p1, p2, p3 = ((tri[i, 0], tri[i, 1], tri[i, 2]) for i in range(3))
    axes, degenerate = _tdcs(p1, p2, p3, image)
    rel = _sub(obs, p2)  # TDCS origin at P2, as in the paper
    x, y, z = (_dot(a, rel) for a in axes)
    d1, d3 = _sub(p1, p2), _sub(p3, p2)
    q1 = (_dot(axes[1], d1), _dot(axes[2], d1))  # (y, z) of P1; its x is 0 up to rounding
    q3 = (_dot(axes[1], d3), _dot(axes[2], d3))
    # Unit side vectors in the TD plane (the x components vanish exactly in theory).
    e12 = _unit2(-q1[0], -q1[1])
    e13 = _unit2(q3[0] - q1[0], q3[1] - q1[1])
    e23 = _unit2(q3[0], q3[1])

    # Barycentric coordinates of the point's projection (the paper's trimodefinder).
    den = -q3[1] * (q1[0] - q3[0]) + q3[0] * (q1[1] - q3[1])
    den = jnp.where(den == 0.0, 1.0, den)  # degenerate triangle only (masked by the caller)
    ba = (-q3[1] * (y - q3[0]) + q3[0] * (z - q3[1])) / den
    bb = ((q3[1] - q1[1]) * (y - q3[0]) + (q1[0] - q3[0]) * (z - q3[1])) / den
    bc = 1.0 - ba - bb
    config_two = (
        ((ba <= 0.0) & (bb > bc) & (bc > ba))
        | ((bb <= 0.0) & (bc > ba) & (ba > bb))
        | ((bc <= 0.0) & (ba > bb) & (bb > bc))
    )
    on_side = (
        ((ba == 0.0) & (bb >= 0.0) & (bc >= 0.0))
        | ((ba >= 0.0) & (bb == 0.0) & (bc >= 0.0))
        | ((ba >= 0.0) & (bb >= 0.0) & (bc == 0.0))
    )
    on_edge = on_side & (x == 0.0)  # on the TD's boundary: a singular point
    # Configuration I (+1) or II (-1): the singular legs of the angular dislocations then
    # point away from the point.  Off the plane (x != 0) the boundary counts as I.
    sign = jnp.where(config_two & jnp.logical_not(on_side), -1.0, 1.0)
    # The three angular dislocations must use the same configuration (only their sum is
    # artefact-free): the barrier makes XLA compute the sign once, instead of re-deriving it
    # in several fused loops where FMA rounding could flip it near a region boundary.
    sign = jax.lax.optimization_barrier(sign)

    # The angular dislocations at P1, P2, P3 (arrays of length 3): the direction of their
    # in-plane leg (sy, sz), their vertex (vy, vz), and their interior angle.  Cosines come
    # from dot products and sines from 2-D cross products (accurate for thin triangles).
    sy = jnp.stack([-e13[0], e12[0], e23[0]]) * sign
    sz = jnp.stack([-e13[1], e12[1], e23[1]]) * sign
    zero = jnp.zeros_like(x)
    vy = jnp.stack([q1[0], zero, q3[0]])
    vz = jnp.stack([q1[1], zero, q3[1]])
    u = (jnp.stack([e12[0], -e12[0], e23[0]]), jnp.stack([e12[1], -e12[1], e23[1]]))
    v = (jnp.stack([e13[0], e23[0], e13[0]]), jnp.stack([e13[1], e23[1], e13[1]]))
    cos_ang = u[0] * v[0] + u[1] * v[1]
    sin_ang = jnp.abs(u[0] * v[1] - u[1] * v[0])
    # The point in each ADCS (the paper's TDSetupD): x, and the in-plane rotation.
    dy, dz = y - vy, z - vz
    return {
        "axes": axes,
        "xyz": (x, y, z),
        "q1": q1,
        "q3": q3,
        "ad_yz": (sz * dy - sy * dz, sy * dy + sz * dz),
        # The angular dislocation of interior angle A is evaluated with angle A - pi.
        "ad_angle": (-cos_ang, -sin_ang),
        "ad_side": (sy, sz),
        "singular": on_edge | degenerate,
    }


def _solid_angle_term(g):
    """-Omega / (4 pi), Omega the solid angle of the TD seen from the point (van Oosterom &
    Strackee 1983), with its sign set by the vertex order."""
    x, y, z = g["xyz"]
    q1, q3 = g["q1"], g["q3"]
    a = (-x, q1[0] - y, q1[1] - z)
    b = (-x, -y, -z)
    c = (-x, q3[0] - y, q3[1] - z)

    def norm(v):
        v2 = _dot(v, v)
        zero = v2 == 0.0
        return jnp.sqrt(jnp.where(zero, 1.0, v2)), zero

    (na, za), (nb, zb), (nc, zc) = norm(a), norm(b), norm(c)
    num = _dot(a, _cross(b, c))
    den = na * nb * nc + _dot(a, b) * nc + _dot(a, c) * nb + _dot(b, c) * na
    both = (num == 0.0) & (den == 0.0)
    fi = -2.0 * jnp.arctan2(num, jnp.where(both, 1.0, den)) / FOUR_PI
    return fi, za | zb | zc | both


def _slip_tdcs(slip):
    """(strike, dip, tensile) -> TDCS components (normal, strike, dip)."""
    return (slip[2], slip[0], slip[1])


def _ad_slip(g, slip_t):
    """In-plane slip components in the three ADCS."""
    sy, sz = g["ad_side"]
    return sz * slip_t[1] - sy * slip_t[2], sy * slip_t[1] + sz * slip_t[2]


def _fs_displacement(obs, tri, slip, nu, image):
    """Full-space TD displacement (EFCS, 3-tuple), singular mask and TDCS (TDdispFS)."""
    g = _setup(obs, tri, image)
    slip_t = _slip_tdcs(slip)
    by1, bz1 = _ad_slip(g, slip_t)
    (ux, uy, uz), sing = ad_displacement(
        g["xyz"][0], *g["ad_yz"], *g["ad_angle"], slip_t[0], by1, bz1, nu
    )
    sy, sz = g["ad_side"]
    # ADCS -> TDCS (the inverse in-plane rotation), summed over the three dislocations.
    u = [jnp.sum(ux), jnp.sum(sz * uy + sy * uz), jnp.sum(sz * uz - sy * uy)]
    fi, sing_fi = _solid_angle_term(g)
    u = [u[i] + fi * slip_t[i] for i in range(3)]
    return _combine(u, g["axes"]), g["singular"] | jnp.any(sing) | sing_fi, g["axes"]


def _fs_strain(obs, tri, slip, nu, image):
    """Full-space TD strain (EFCS, nested 3x3 tuple), singular mask and TDCS (TDstrainFS)."""
    g = _setup(obs, tri, image)
    slip_t = _slip_tdcs(slip)
    by1, bz1 = _ad_slip(g, slip_t)
    e6, sing = ad_strain(g["xyz"][0], *g["ad_yz"], *g["ad_angle"], slip_t[0], by1, bz1, nu)
    sy, sz = g["ad_side"]
    one, zero = jnp.ones_like(sy), jnp.zeros_like(sy)
    rows = ((one, zero, zero), (zero, sz, -sy), (zero, sy, sz))  # ADCS axes in TDCS
    e = _rotate_tensor(_sym(e6), rows)
    total = tuple(tuple(jnp.sum(e[i][j]) for j in range(3)) for i in range(3))
    return _rotate_tensor(total, g["axes"]), g["singular"] | jnp.any(sing), g["axes"]


# -- the harmonic free-surface correction ----------------------------------------------


def _cot_half(c, s):
    """cot(beta / 2) from cos and sin of beta (s != 0), without cancellation."""
    pos = c >= 0.0
    return jnp.where(pos, (1.0 + c) / s, s / jnp.where(pos, 1.0, 1.0 - c))


def _fsc_displacement(obs, tri, b, nu):
    """Harmonic part of the half-space TD displacement (TDdisp_HarFunc): the angular
    dislocation pairs along the sides P1P2, P2P3, P3P1 (AngSetupFSC).  `b` is the Burgers
    vector in EFCS.  A vertical side contributes nothing."""
    pa = (tri[:, 0], tri[:, 1], tri[:, 2])  # the three sides at once: arrays of length 3
    nxt = jnp.stack([tri[1], tri[2], tri[0]])  # static slices: cheap to differentiate
    pb = (nxt[:, 0], nxt[:, 1], nxt[:, 2])
    side = _sub(pb, pa)
    h2 = side[0] * side[0] + side[1] * side[1]
    length = jnp.sqrt(_dot(side, side))
    inv_len = 1.0 / jnp.where(length == 0.0, 1.0, length)
    flat = h2 == 0.0  # exactly vertical: no square root of zero (its derivative is inf)
    sin_b = jnp.where(flat, 0.0, jnp.sqrt(jnp.where(flat, 1.0, h2)) * inv_len)
    # A vertical side contributes nothing, and a nearly vertical one tends to nothing, while
    # the closed form's cot(beta)^2 terms cancel between the two ends of the side with a
    # rounding error of about 5e-15 / sin(beta)^2 relative in float64.  Below eps^(1/3),
    # where the neglected contribution (about 10 sin(beta) relative) and that rounding error
    # meet at 1e-4, the side counts as vertical.  (cutde drops only sin(beta) < 1e-8.)
    vertical = sin_b < float(jnp.finfo(sin_b.dtype).eps) ** (1.0 / 3.0)
    vertical = jax.lax.optimization_barrier(vertical)
    h = jnp.sqrt(jnp.where(vertical, 1.0, h2))
    sin_b = jnp.where(vertical, 1.0, sin_b)
    cos_b = jnp.where(vertical, 0.0, -side[2] * inv_len)
    # ADCS of the correction: e1 horizontal along the side, e2 = e3 x e1, e3 down.
    e1 = (side[0] / h, side[1] / h)

    def to_ad(v):
        return (e1[0] * v[0] + e1[1] * v[1], e1[1] * v[0] - e1[0] * v[1], -v[2])

    ya = to_ad(_sub(obs, pa))
    yb = to_ad(_sub(obs, pb))
    bad = to_ad(b)
    # Configuration: beta for points behind PA along the side, beta - pi otherwise, so that
    # the singular legs of the image pair stay out of the half-space.
    # Computed once (see `_setup`): both ends of a side must use the same configuration.
    flip = jax.lax.optimization_barrier(ya[0] >= 0.0)
    c = jnp.where(flip, -cos_b, cos_b)
    s = jnp.where(flip, -sin_b, sin_b)
    ch = _cot_half(c, s)

    def both(u, w):  # ends A then B of the three sides: arrays of length 6
        return jnp.concatenate([jnp.broadcast_to(u, (3,)), jnp.broadcast_to(w, (3,))])

    v, sing = ad_fsc_displacement(
        *(both(ya[i], yb[i]) for i in range(3)),
        both(c, c),
        both(s, s),
        both(ch, ch),
        *(both(bad[i], bad[i]) for i in range(3)),
        nu,
        both(-pa[2], -pb[2]),
    )
    keep = jnp.logical_not(vertical)
    d = [jnp.where(keep, v[i][3:] - v[i][:3], 0.0) for i in range(3)]  # v_B - v_A
    u = (
        jnp.sum(d[0] * e1[0] + d[1] * e1[1]),
        jnp.sum(d[0] * e1[1] - d[1] * e1[0]),
        -jnp.sum(d[2]),
    )
    return u, jnp.any((sing[:3] | sing[3:]) & keep)


# -- the half-space TD ---------------------------------------------------------------------

_SAFE_TRI = np.array([[0.0, 0.0, -1.0], [1.0, 0.0, -1.0], [0.0, 1.0, -1.0]])


def _prepare(obs, tri, slip, nu):
    """Common dtype, and a harmless triangle in place of a degenerate one (double-where)."""
    dtype = jnp.result_type(obs, tri, slip, 1.0)
    obs = jnp.asarray(obs, dtype)
    tri = jnp.asarray(tri, dtype)
    slip = jnp.asarray(slip, dtype)
    nu = jnp.asarray(nu, dtype)
    cr = jnp.cross(tri[1] - tri[0], tri[2] - tri[0])
    degenerate = jnp.sum(cr * cr) == 0.0
    tri = jnp.where(degenerate, jnp.asarray(_SAFE_TRI, dtype), tri)
    return (obs[0], obs[1], obs[2]), tri, slip, nu, degenerate


def _source_and_image(fs, obs, tri, slip, nu):
    """The full-space TD `fs` at the source and at its image (z -> -z), as one vmapped call.

    Returns the summed field, the singular mask and the source's TDCS."""
    image_tri = jnp.stack([tri[:, 0], tri[:, 1], -tri[:, 2]], axis=1)
    pair = jnp.stack([tri, image_tri])
    field, sing, axes = jax.vmap(fs, in_axes=(None, 0, None, None, 0))(
        obs, pair, slip, nu, jnp.array([False, True])
    )
    field = jax.tree_util.tree_map(jnp.sum, field)
    return field, jnp.any(sing), jax.tree_util.tree_map(lambda a: a[0], axes)


def _hs_displacement(obs, tri, slip, nu):
    """Half-space TD displacement (3,) with no input checks; zero at singular points."""
    o, tri, slip, nu, degenerate = _prepare(obs, tri, slip, nu)
    u_fs, sing_fs, axes = _source_and_image(_fs_displacement, o, tri, slip, nu)
    u_fsc, sing_f = _fsc_displacement(o, tri, _combine(_slip_tdcs(slip), axes), nu)
    u = jnp.stack([u_fs[i] + u_fsc[i] for i in range(3)])
    return jnp.where(sing_fs | sing_f | degenerate, 0.0, u)


def _hs_displacement_surface(obs, tri, slip, nu):
    """`_hs_displacement` for a point on the free surface (obs z = 0).

    There the image TD's full-space displacement is the source's mirrored in the surface,
    (u_x, u_y, -u_z), so the two add to (2 u_x, 2 u_y, 0): one full-space evaluation instead
    of two, plus the harmonic part.  The image is singular exactly where the source is.
    """
    o, tri, slip, nu, degenerate = _prepare(obs, tri, slip, nu)
    (ux, uy, _), sing_fs, axes = _fs_displacement(o, tri, slip, nu, False)
    u_fsc, sing_f = _fsc_displacement(o, tri, _combine(_slip_tdcs(slip), axes), nu)
    u = jnp.stack([2.0 * ux + u_fsc[0], 2.0 * uy + u_fsc[1], u_fsc[2]])
    return jnp.where(sing_fs | sing_f | degenerate, 0.0, u)


def _hs_strain(obs, tri, slip, nu):
    """Half-space TD strain (3, 3) with no input checks; zero at singular points.

    Full-space parts (source and image) from the analytic strains of the angular
    dislocations; the harmonic part by forward-mode differentiation of its closed-form
    displacement (exact: the same derivative that the paper's AngDisStrainFSC writes out).
    """
    o, tri, slip, nu, degenerate = _prepare(obs, tri, slip, nu)
    e_fs, sing_fs, axes = _source_and_image(_fs_strain, o, tri, slip, nu)
    b = _combine(_slip_tdcs(slip), axes)

    def fsc(p):
        u, sing = _fsc_displacement((p[0], p[1], p[2]), tri, b, nu)
        return jnp.stack(u), sing

    grad, sing_f = jax.jacfwd(fsc, has_aux=True)(jnp.stack(o))
    e = jnp.stack([jnp.stack(row) for row in e_fs]) + 0.5 * (grad + grad.T)
    e = 0.5 * (e + e.T)  # exactly symmetric (the rotations round differently above/below)
    return jnp.where(sing_fs | sing_f | degenerate, 0.0, e)


# -- input checks -------------------------------------------------------------------------


def _check_pair(obs, tri, nu):
    """ValueError for bad concrete input; `eqx.error_if` on traced input.  Returns obs."""
    if jnp.shape(obs) != (3,):
        raise ValueError(
            f"obs must have shape (3,) (x east, y north, z up, m); got {jnp.shape(obs)}"
        )
    if jnp.shape(tri) != (3, 3):
        raise ValueError(
            f"tri must have shape (3, 3) (three vertices x, y, z, m); got {jnp.shape(tri)}"
        )
    if is_concrete(obs, tri, nu):
        o, t = np.asarray(obs, dtype=float), np.asarray(tri, dtype=float)
        if not (np.isfinite(o).all() and np.isfinite(t).all()):
            raise ValueError("obs, tri: coordinates must be finite.")
        if o[2] > 0:
            raise ValueError(f"obs: z = {o[2]!r} m > 0 is above the free surface (z up, z <= 0).")
        if (t[:, 2] > 0).any():
            raise ValueError(
                f"tri: vertex z = {t[:, 2].tolist()} m; a vertex above the free surface (z > 0)."
            )
        if not np.any(np.cross(t[1] - t[0], t[2] - t[0])):
            raise ValueError(f"tri: degenerate triangle (zero area): {t.tolist()}.")
        if not (-1.0 < float(np.asarray(nu)) < 0.5):
            raise ValueError(f"nu = {float(np.asarray(nu))!r}: need -1 < nu < 0.5.")
        return obs
    obs = jnp.asarray(obs)
    tri = jnp.asarray(tri)
    cr = jnp.cross(tri[1] - tri[0], tri[2] - tri[0])
    obs = eqx.error_if(obs, obs[2] > 0, "obs: point above the free surface (z > 0).")
    obs = eqx.error_if(obs, jnp.any(tri[:, 2] > 0), "tri: vertex above the free surface (z > 0).")
    obs = eqx.error_if(obs, jnp.all(cr == 0), "tri: degenerate triangle (zero area).")
    return obs


def tde_displacement(
    obs: Float[ArrayLike, " 3"],
    tri: Float[ArrayLike, "3 3"],
    slip: Float[ArrayLike, " 3"],
    nu: Float[ArrayLike, ""] | float,
) -> Float[Array, " 3"]:
    """Displacement at one point due to one triangular dislocation in a half-space.

    **Arguments:**

    - `obs`: the point (x east, y north, z up), m, with z <= 0 (the half-space).
    - `tri`: the vertices P1, P2, P3 as rows, m, all with z <= 0.  The vertex order sets the
      TD frame: normal n along (P2 - P1) x (P3 - P1), strike s = e_z x n / |e_z x n| (e_y n_z
      for a horizontal triangle), dip d = n x s.
    - `slip`: (strike-slip, dip-slip, tensile) in m, the Burgers vector components along s, d
      and n; the order and signs of cutde and of Nikkhoo & Walter's `TDdispHS`.
    - `nu`: Poisson's ratio.

    **Returns:**

    The displacement (3,) in m, (east, north, up).  At a singular point (on the TD's
    boundary, in its plane) it is zero, with a zero derivative, as Okada's DC3D does on a
    fault edge (cutde returns NaN there).  Called eagerly with a point or vertex above the
    surface, or a zero-area triangle, it raises `ValueError`; traced, `eqx.error_if` does.

    Reference: Nikkhoo, M. & Walter, T. R. (2015), GJI 201(2), 1119-1141 (their TDdispHS).
    """
    obs = _check_pair(obs, tri, nu)
    return _hs_displacement(obs, tri, slip, nu)


def tde_strain(
    obs: Float[ArrayLike, " 3"],
    tri: Float[ArrayLike, "3 3"],
    slip: Float[ArrayLike, " 3"],
    nu: Float[ArrayLike, ""] | float,
) -> Float[Array, "3 3"]:
    """Strain tensor at one point due to one triangular dislocation in a half-space.

    Arguments as `tde_displacement`.  Returns the symmetric infinitesimal strain (3, 3) in
    the east-north-up frame, extension positive, dimensionless; cutde's six components
    (xx, yy, zz, xy, xz, yz) are `e[0, 0], e[1, 1], e[2, 2], e[0, 1], e[0, 2], e[1, 2]`.
    Zero at singular points.

    The full-space terms are the paper's closed forms (its TDstrainFS, with one group
    rewritten to avoid a cancellation near the dislocation legs); the harmonic free-surface
    term is the forward-mode derivative of its closed-form displacement.

    Reference: Nikkhoo & Walter (2015), TDstrainHS.
    """
    obs = _check_pair(obs, tri, nu)
    return _hs_strain(obs, tri, slip, nu)
