"""Triangular dislocations (quakejax.tde) against cutde, Okada (1992) and finite differences.

References, in layers:

- cutde (C++, float64; Nikkhoo & Walter's formulas) on random triangles and points, on the
  free surface included.  Both codes evaluate the same closed forms, so away from singular
  lines they agree to rounding (6e-13 relative measured here).  Near a TD edge cutde forms
  r - z by direct subtraction and loses digits (5e-5 relative at 1e-6 of the triangle size
  from an edge, NaN at 1e-9), so that comparison is made at 1e-3 of the size; closer in, the
  reference is Okada's DC3D (quakejax.okada forms R + xi without cancellation).
- cutde on special geometries: horizontal and vertical triangles, a vertical side, an edge on
  the free surface; and continuity as a side tilts from the vertical, where cutde fails.
- Okada (1992): a rectangle split into two triangles is the rectangle, for any slip.
- Physical identity: the analytic strain is the symmetric part of the derivative of the
  displacement.
- Central finite differences for the derivatives, and finite derivatives at singular points.

Compilation dominates the run time on a CPU, so every batched check reuses a few jitted
functions on one fixed batch size, compiled with LLVM's cheap pipeline (the results do not
depend on it; only the run time of the code does, which is irrelevant here).
"""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import jaxtyping
import numpy as np
import pytest

from quakejax import FaultModel
from quakejax.okada import displacement_gradient
from quakejax.tde import (
    tde_displacement,
    tde_displacement_greens,
    tde_displacement_many,
    tde_strain,
    tde_strain_many,
)
from quakejax.tde._fields import _check

NU = 0.25
BATCH = 256  # every vmapped call is padded to this size: one compilation per function
_jit = functools.partial(
    jax.jit,
    compiler_options={
        "xla_backend_optimization_level": 0,
        "xla_llvm_disable_expensive_passes": True,
    },
)


def _pair_fields(obs, tri, slip, nu):
    """u (3,), strain (3, 3) and du_i/dobs_j (3, 3) of one pair: one program for all three
    (compiling them together is cheaper than apart)."""
    jac = jax.jacfwd(tde_displacement)(obs, tri, slip, nu)
    return tde_displacement(obs, tri, slip, nu), tde_strain(obs, tri, slip, nu), jac


_fields = _jit(jax.vmap(_pair_fields, in_axes=(0, 0, 0, None)))
_disp32 = _jit(jax.vmap(tde_displacement, in_axes=(0, 0, 0, None)))  # for float32 only


@functools.partial(_jit, static_argnames="pairs_per_block")
def _many(points, tris, slips, nu, pairs_per_block):
    """tde_displacement_many and tde_strain_many, compiled together."""
    u = tde_displacement_many(points, tris, slips, nu, pairs_per_block=pairs_per_block)
    return u, tde_strain_many(points, tris, slips, nu, pairs_per_block=pairs_per_block)


_greens = _jit(tde_displacement_greens)
_okada = _jit(displacement_gradient)


def _batched(fn, *arrays):
    """fn on arrays with leading axis k <= BATCH, padded with copies of the first pair."""
    k = arrays[0].shape[0]
    assert k <= BATCH
    padded = [np.concatenate([a, np.repeat(a[:1], BATCH - k, axis=0)]) for a in arrays]
    out = fn(*padded, NU)
    return jax.tree_util.tree_map(lambda v: np.asarray(v)[:k], out)


def _disp(*arrays):
    return _batched(_fields, *arrays)[0]


def _strain(*arrays):
    return _batched(_fields, *arrays)[1]


def _jac(*arrays):
    return _batched(_fields, *arrays)[2]


def _voigt(e):
    """(..., 3, 3) -> cutde's (..., 6) order (xx, yy, zz, xy, xz, yz)."""
    return np.stack(
        [e[..., 0, 0], e[..., 1, 1], e[..., 2, 2], e[..., 0, 1], e[..., 0, 2], e[..., 1, 2]], -1
    )


def _rel(a, b):
    """Per-point max |a - b| / max |b| (b the reference)."""
    a, b = np.asarray(a).reshape(len(a), -1), np.asarray(b).reshape(len(b), -1)
    return np.abs(a - b).max(axis=1) / np.abs(b).max(axis=1)


def _random_triangles(rng, m, surface_fraction=0.2):
    """Triangles in [-1, 1]^2 x [-2, 0] m, some with a vertex on the free surface.

    Sides steeper than 84 deg are redrawn: the harmonic correction has cot(beta)^2 terms
    that cancel between the two ends of a side, and for nearly vertical sides cutde loses
    digits (3e-10 relative at 89.6 deg; see test_nearly_vertical_sides_are_continuous).
    Interior angles are kept above 10 deg.
    """
    out = []
    while len(out) < m:
        t = rng.uniform(-1.0, 1.0, (3, 3))
        t[:, 2] = -rng.uniform(0.05, 2.0, 3)
        if rng.uniform() < surface_fraction:
            t[rng.integers(3), 2] = 0.0
        side = np.roll(t, -1, axis=0) - t
        length = np.linalg.norm(side, axis=1)
        if (np.hypot(side[:, 0], side[:, 1]) / length).min() < 0.1:
            continue
        cos = [
            np.dot(t[(i + 1) % 3] - t[i], t[(i + 2) % 3] - t[i]) / (length[i] * length[(i + 2) % 3])
            for i in range(3)
        ]
        if max(cos) > np.cos(np.radians(10.0)):
            continue
        out.append(t)
    return np.array(out)


def _random_points(rng, n, surface_fraction=0.25):
    p = rng.uniform(-2.0, 2.0, (n, 3))
    p[:, 2] = -rng.uniform(0.0, 2.0, n)
    p[rng.uniform(size=n) < surface_fraction, 2] = 0.0
    return p


def _near_edges(rng, tris, dist):
    """Points at `dist` (m) off an edge of each triangle, normal to its plane (kind 0), at
    `dist` from a vertex (kind 1), or in the plane on an edge's extension (kind 2), kept in
    the half-space.  Returns the points and their kinds."""
    pts, kinds = [], []
    for t in tris:
        n = np.cross(t[1] - t[0], t[2] - t[0])
        n /= np.linalg.norm(n)
        k = rng.integers(3)
        a, b = t[k], t[(k + 1) % 3]
        kind = rng.integers(3)
        if kind == 0:  # beside an edge
            p = a + rng.uniform(0.1, 0.9) * (b - a) + dist * n * rng.choice([-1.0, 1.0])
        elif kind == 1:  # near a vertex
            p = a + dist * rng.normal(size=3)
        else:  # in the plane, on the extension of an edge beyond its end
            p = a + rng.uniform(1.2, 2.0) * (b - a)
        p[2] = min(p[2], 0.0)
        pts.append(p)
        kinds.append(kind)
    return np.array(pts), np.array(kinds)


@pytest.fixture(scope="module")
def cutde_hs():
    return pytest.importorskip(
        "cutde.halfspace", reason="cutde (the `bench` extra) is the reference TDE code"
    )


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(7)
    tris = _random_triangles(rng, BATCH)
    pts = _random_points(rng, BATCH)
    slips = rng.normal(size=(BATCH, 3))
    return pts, tris, slips


# -- cutde -------------------------------------------------------------------------------------


def test_displacement_matches_cutde(case, cutde_hs):
    pts, tris, slips = case
    u = _disp(pts, tris, slips)
    ref = cutde_hs.disp(pts, tris, slips, NU)
    err = _rel(u, ref)
    assert err.max() < 1e-10, f"max rel err {err.max():.2e} at pair {err.argmax()}"
    surface = pts[:, 2] == 0.0
    assert surface.sum() > 30 and err[surface].max() < 1e-10


def test_strain_matches_cutde(case, cutde_hs):
    pts, tris, slips = case
    e = _strain(pts, tris, slips)
    ref = cutde_hs.strain(pts, tris, slips, NU)
    err = _rel(_voigt(e), ref)
    assert err.max() < 1e-10, f"max rel err {err.max():.2e} at pair {err.argmax()}"


def test_near_edges_and_vertices_match_cutde(cutde_hs):
    """At 1e-3 of the triangle size from edges, and on edge extensions in the triangle's
    plane (where the configuration I/II choice matters): 1e-9 for the displacement and 1e-8
    for the strain, about cutde's own rounding error there.  At 1e-3 from a vertex cutde
    loses more (7e-8 against a 50-digit evaluation of the same formulas, which this code
    matches to 1e-12), so the bound there is loose; test_rectangle_matches_okada checks
    edges and corners 1e-6 away against DC3D."""
    rng = np.random.default_rng(11)
    tris = _random_triangles(rng, BATCH)
    pts, kind = _near_edges(rng, tris, 1e-3)
    slips = rng.normal(size=(BATCH, 3))
    err_u = _rel(_disp(pts, tris, slips), cutde_hs.disp(pts, tris, slips, NU))
    e = _strain(pts, tris, slips)
    err_e = _rel(_voigt(e), cutde_hs.strain(pts, tris, slips, NU))
    edge = kind != 1
    assert err_u[edge].max() < 1e-9, err_u[edge].max()
    assert err_e[edge].max() < 1e-8, err_e[edge].max()
    assert err_u.max() < 1e-6 and err_e.max() < 1e-6


def test_special_geometries_match_cutde(cutde_hs):
    """Horizontal triangles (either normal; the image's strike flips), a surface-breaking
    edge, a vertical triangle and a vertical side, at points half of which are on the free
    surface."""
    rng = np.random.default_rng(19)
    cases = [
        [[0.0, 0.0, -1.0], [1.0, 0.0, -1.0], [0.0, 1.0, -1.0]],
        [[0.0, 0.0, -1.0], [0.0, 1.0, -1.0], [1.0, 0.0, -1.0]],
        [[0.0, 0.0, 0.0], [1.0, 0.3, 0.0], [0.4, 0.2, -1.0]],
        [[0.0, 0.0, -0.2], [1.0, 1.0, -0.2], [0.5, 0.5, -1.5]],
        [[0.0, 0.0, -0.2], [0.0, 0.0, -1.2], [0.7, 0.3, -0.5]],
    ]
    k = 40
    tris = np.repeat(np.array(cases), k, axis=0)
    pts = rng.uniform(-1.5, 2.0, (len(tris), 3))
    pts[:, 2] = -rng.uniform(0.0, 2.0, len(tris))
    pts[::2, 2] = 0.0
    slips = rng.normal(size=(len(tris), 3))
    u, e = _disp(pts, tris, slips), _strain(pts, tris, slips)
    assert _rel(u, cutde_hs.disp(pts, tris, slips, NU)).max() < 1e-11
    assert _rel(_voigt(e), cutde_hs.strain(pts, tris, slips, NU)).max() < 1e-11


def test_greens_matrix_matches_cutde(cutde_hs):
    rng = np.random.default_rng(3)
    tris = _random_triangles(rng, 7)
    pts = _random_points(rng, 13)
    slips = rng.normal(size=(7, 3))
    g = np.asarray(_greens(pts, tris, NU))
    assert g.shape == (39, 21)
    ref = cutde_hs.disp_matrix(pts, tris, NU)  # (n, 3, m, 3)
    assert (
        _rel(
            g.reshape(13, 3, 21).transpose(0, 2, 1), ref.reshape(13, 3, 21).transpose(0, 2, 1)
        ).max()
        < 1e-10
    )
    # Columns are (triangle, slip component): G @ slips is the sum over the pairs.
    pairs = _disp(np.repeat(pts, 7, axis=0), np.tile(tris, (13, 1, 1)), np.tile(slips, (13, 1)))
    np.testing.assert_allclose(
        (g @ slips.reshape(-1)).reshape(13, 3),
        pairs.reshape(13, 7, 3).sum(1),
        rtol=1e-12,
        atol=1e-15,
    )


# -- Okada -------------------------------------------------------------------------------------

_FAULTS = [(30.0, 45.0), (200.0, 70.0), (10.0, 90.0), (100.0, 20.0)]  # strike, dip (deg)
# Static block size for the `*_many` calls: with 70 points and 8 triangles it gives two point
# blocks (the second padded) and three triangle chunks (the last padded).
_PAIRS = 192


def _rectangles(rng):
    """Four overlapping rectangles (ENU, m) as one FaultModel and as eight triangles, with
    points around them: generic, on the free surface, and 5 mm (1e-6 of the patch size) off
    their outer edges (not the diagonals), half of these near corners."""
    slip = rng.normal(size=(4, 3))
    n_f = len(_FAULTS)
    fm = FaultModel(
        np.tile([1e3, -2e3, -6e3], (n_f, 1)),
        np.array([f[0] for f in _FAULTS]),
        np.array([f[1] for f in _FAULTS]),
        8e3,
        5e3,
        slip,
    )
    c = np.asarray(fm.corners)  # top-start, top-end, bottom-end, bottom-start
    # (c0, c3, c2) and (c0, c2, c1): normals (P2 - P1) x (P3 - P1) into the hanging wall.
    tris = np.concatenate([c[:, [0, 3, 2]], c[:, [0, 2, 1]]])
    slips = np.concatenate([slip, slip])
    pts = rng.uniform(-20e3, 20e3, (38, 3))
    pts[:, 2] = -rng.uniform(0.0, 15e3, 38)
    pts[:10, 2] = 0.0
    near = []
    normal = np.asarray(fm.normal_vector)
    for j in range(32):
        f, i = j % n_f, rng.integers(4)
        t = rng.uniform(0.1, 0.9) if j % 2 else rng.choice([1e-6, 1.0 - 1e-6])
        p = c[f, i] + t * (c[f, (i + 1) % 4] - c[f, i]) + 5e-3 * rng.choice([-1, 1]) * normal[f]
        p[2] = min(p[2], 0.0)
        near.append(p)
    return fm, tris, slips, np.concatenate([pts, near])


def test_rectangle_matches_okada():
    """Slip maps one to one: with the vertex order whose normal points into the hanging wall,
    (strike-slip, dip-slip, tensile) of the triangles is `FaultModel.slip` (left-lateral,
    reverse, opening positive).  Dips 20 to 90 deg, strikes all round."""
    fm, tris, slips, pts = _rectangles(np.random.default_rng(1))
    u_ok, g_ok = _okada(fm, pts, nu=NU)
    e_ok = 0.5 * (g_ok + jnp.swapaxes(g_ok, 1, 2))
    u, e = _many(pts, tris, slips, NU, pairs_per_block=_PAIRS)
    err_u, err_e = _rel(u, u_ok), _rel(e, e_ok)
    generic = np.arange(len(pts)) < 38
    assert err_u[generic].max() < 1e-10 and err_e[generic].max() < 1e-10
    # 5 mm from edges and corners of 5 km patches.
    assert err_u.max() < 1e-9 and err_e.max() < 1e-9, (err_u.max(), err_e.max())


def test_vertex_order_flips_dip_slip_only():
    """Reversing the vertices reverses the normal: strike slip and opening keep their sense,
    dip slip changes sign (n x s, the dip axis, is unchanged while the reference side flips)."""
    fm, tris, slips, pts = _rectangles(np.random.default_rng(2))
    u = _many(pts, tris, slips, NU, pairs_per_block=_PAIRS)[0]
    flipped = _many(
        pts, tris[:, ::-1], slips * np.array([1.0, -1.0, 1.0]), NU, pairs_per_block=_PAIRS
    )[0]
    assert _rel(flipped, u).max() < 1e-10


# -- identities, derivatives, singular points --------------------------------------------------


def test_strain_is_symmetric_gradient(case):
    """Analytic full-space strains against forward-mode derivatives of the displacement, at
    generic points and at 1e-6 of the triangle size from edges and vertices (where the
    paper's closed form for the strain cancels to (size / distance)^2 if written as is)."""
    pts, tris, slips = case
    e = _strain(pts, tris, slips)
    g = _jac(pts, tris, slips)
    assert _rel(e, 0.5 * (g + np.swapaxes(g, 1, 2))).max() < 1e-10
    np.testing.assert_array_equal(e, np.swapaxes(e, 1, 2))
    rng = np.random.default_rng(13)
    near, _ = _near_edges(rng, tris, 1e-6)
    e = _strain(near, tris, slips)
    g = _jac(near, tris, slips)
    assert _rel(e, 0.5 * (g + np.swapaxes(g, 1, 2))).max() < 1e-8


def test_nearly_vertical_sides_are_continuous(cutde_hs):
    """A side within eps^(1/3) of vertical counts as vertical (its harmonic correction
    vanishes there and its closed form cancels as 1 / sin^2): the field stays continuous
    as the side tilts, where cutde loses all digits (at a tilt of 1e-6 rad here)."""
    rng = np.random.default_rng(17)
    t0 = np.array([[0.0, 0.0, -1.0], [0.0, 0.0, -3.0], [2.0, 0.5, -2.0]])
    pts = _random_points(rng, 8)
    slips = rng.normal(size=(8, 3))
    tilts = [0.0, 1e-9, 1e-7, 1e-6, 1e-5, 1e-2]
    tris = []
    for tilt in tilts:
        t = t0.copy()
        t[1, 0] += 2.0 * tilt
        tris.append(t)
    k = len(tilts)
    u = _disp(np.tile(pts, (k, 1)), np.repeat(np.array(tris), 8, axis=0), np.tile(slips, (k, 1)))
    u = u.reshape(k, 8, 3)
    for i, tilt in enumerate(tilts[1:5], start=1):
        # The field changes by O(tilt); rounding in the band near the threshold is 1e-4.
        assert _rel(u[i], u[0]).max() < 1e-4 + 10 * tilt
    # At sin(beta) = 0.01 both codes still lose cot^2 = 1e4 times eps (2e-10 seen).
    ref = cutde_hs.disp(pts, np.repeat(tris[-1][None], 8, axis=0), slips, NU)
    assert _rel(u[-1], ref).max() < 1e-8


def test_derivatives_match_finite_differences():
    """du/dobs (forward mode) against central differences at generic points, on the free
    surface included (one-sided in z there).  Step 1e-5 x 1 m: with sqrt(eps) the rounding
    of the differences (the source, image and surface terms cancel in part) reaches 3e-6."""
    rng = np.random.default_rng(5)
    k = 40
    tris = _random_triangles(rng, k)
    pts = _random_points(rng, k)
    slips = rng.normal(size=(k, 3))
    h = 1e-5
    surface = pts[:, 2] == 0.0
    # (+h, -h) in x and y, and in z (-h, -2h) at the surface: 6 x 40 = 240 <= BATCH.
    steps = np.array([[h, 0, 0], [-h, 0, 0], [0, h, 0], [0, -h, 0], [0, 0, h], [0, 0, -h]])
    obs = pts[:, None, :] + steps[None]
    obs[surface, 4] -= np.array([0.0, 0.0, 2 * h])
    obs[surface, 5] -= np.array([0.0, 0.0, h])
    u = _disp(obs.reshape(-1, 3), np.repeat(tris, 6, axis=0), np.repeat(slips, 6, axis=0))
    u = u.reshape(k, 3, 2, 3)
    central = (u[:, :, 0] - u[:, :, 1]) / (2 * h)  # (k, coordinate, component)
    # At the surface, the z column from -h and -2h is a backward difference: use the
    # second-order one-sided formula with the value at the point itself.
    u0 = _disp(pts, tris, slips)
    one_sided = (3 * u0 - 4 * u[:, 2, 0] + u[:, 2, 1]) / (2 * h)
    central[surface, 2] = one_sided[surface]
    fd = np.swapaxes(central, 1, 2)  # (k, component, coordinate)
    ad = _jac(pts, tris, slips)
    # Rounding in the differences is eps |u| / h: scale by |u| per metre as well.
    scale = np.maximum(np.abs(fd).max(axis=(1, 2)), np.abs(u0).max(axis=1))[:, None, None]
    assert surface.sum() > 3
    assert (np.abs(ad - fd) / scale).max() < 1e-6


def _singular_cases():
    """(point, triangle, on_boundary): exactly on edges and at vertices (one on the
    surface), in the plane on an edge's extension and inside, and on the free surface."""
    # A triangle in the vertical plane y = 0 (its TDCS x is exactly 0 for points with y = 0),
    # with its top vertex on the free surface.
    t = np.array([[0.0, 0.0, -1.0], [2.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
    t_deep = np.array([[0.0, 0.0, -1.0], [2.0, 0.0, -1.5], [1.0, 0.0, -3.0]])
    return [
        (np.array([1.0, 0.0, -1.0]), t, True),  # on the bottom edge (horizontal)
        (np.array([0.5, 0.0, -0.5]), t, True),  # on a sloping edge
        (t[0].copy(), t, True),  # at a vertex
        (t[2].copy(), t, True),  # at the vertex on the free surface
        (np.array([3.0, 0.0, -1.0]), t, False),  # on an edge's extension, in the plane
        (np.array([-1.0, 0.0, -0.5]), t_deep, False),  # on an edge's extension, in the plane
        (np.array([1.0, 0.0, 0.0]), t_deep, False),  # on the surface above a vertex
        (np.array([0.3, 0.7, 0.0]), t, False),  # on the surface, generic
        (np.array([1.0, 0.0, -0.5]), t, False),  # in the plane, inside the triangle
    ]


def test_singular_points_are_finite_with_finite_derivatives(cutde_hs):
    cases = _singular_cases()
    pts = np.array([c[0] for c in cases])
    tris = np.array([c[1] for c in cases])
    on_boundary = np.array([c[2] for c in cases])
    slips = np.tile([0.7, -1.3, 0.4], (len(cases), 1))
    u = _disp(pts, tris, slips)
    e = _strain(pts, tris, slips)
    g = _jac(pts, tris, slips)
    for arr in (u, e, g):
        assert np.isfinite(arr).all()
    # On the TD's boundary the pair is zero with a zero derivative (DC3D's rule on an edge).
    assert (u[on_boundary] == 0).all() and (e[on_boundary] == 0).all()
    assert (g[on_boundary] == 0).all()
    assert (np.abs(u[~on_boundary]).max(axis=1) > 0).all()
    # Elsewhere cutde agrees (on the boundary it returns NaN).
    ref = cutde_hs.disp(pts[~on_boundary], tris[~on_boundary], slips[~on_boundary], NU)
    assert _rel(u[~on_boundary], ref).max() < 1e-10


# -- dtypes, batching, errors ------------------------------------------------------------------


def test_float32_follows_inputs(case):
    """float32 in, float32 out; error against the float64 kernel on the same inputs."""
    pts, tris, slips = (a.astype(np.float32) for a in case)
    u32 = _batched(_disp32, pts, tris, slips)
    assert u32.dtype == np.float32
    u64 = _disp(*(a.astype(np.float64) for a in (pts, tris, slips)))
    err = _rel(u32, u64)
    # Median 3e-6, max 2e-4 here; steep sides are far worse in float32 (see the module doc).
    assert np.median(err) < 1e-5 and err.max() < 1e-3, (np.median(err), err.max())
    shape = jax.eval_shape(tde_displacement_many, pts, tris, slips)
    assert shape.dtype == jnp.float32 and shape.shape == (BATCH, 3)


def test_eager_errors_name_the_argument():
    tri = np.array([[0.0, 0.0, -1.0], [1.0, 0.0, -1.0], [0.0, 1.0, -2.0]])
    obs = np.array([0.3, 0.2, -0.5])
    with pytest.raises(ValueError, match="obs"):
        tde_displacement(np.array([0.0, 0.0, 1.0]), tri, np.ones(3), NU)
    with pytest.raises(ValueError, match="tri"):
        tde_strain(obs, tri + np.array([0.0, 0.0, 1.5]), np.ones(3), NU)
    with pytest.raises(ValueError, match="degenerate"):
        tde_displacement(obs, np.array([tri[0], tri[1], tri[0]]), np.ones(3), NU)
    with pytest.raises(ValueError, match="points: point 1"):
        tde_displacement_many(np.array([obs, [0.0, 0.0, 0.1]]), tri[None], np.ones((1, 3)))
    with pytest.raises(ValueError, match="tris: triangle 0"):
        tde_displacement_greens(obs[None], (tri + np.array([0.0, 0.0, 1.5]))[None])
    with pytest.raises(ValueError, match="tris: triangle 0 is degenerate"):
        tde_strain_many(obs[None], tri[None, [0, 1, 0]], np.ones((1, 3)))
    with pytest.raises(ValueError, match="nu"):
        tde_strain_many(obs[None], tri[None], np.ones((1, 3)), nu=0.5)
    # jaxtyping (on in the tests) catches the slip count first; _check names it otherwise.
    with pytest.raises((ValueError, jaxtyping.TypeCheckError), match="slips"):
        tde_displacement_many(obs[None], tri[None], np.ones((2, 3)))
    with pytest.raises(ValueError, match="slips"):
        _check(obs[None], tri[None], np.ones((2, 3)), NU)


def test_traced_errors_use_error_if():
    tri = np.array([[[0.0, 0.0, -1.0], [1.0, 0.0, -1.0], [0.0, 1.0, -2.0]]])
    check = eqx.filter_jit(lambda p, t: _check(p, t, None, NU)[0])
    np.testing.assert_array_equal(check(np.zeros((1, 3)), tri), np.zeros((1, 3)))
    with pytest.raises(eqx.EquinoxRuntimeError, match="above the free surface"):
        check(np.array([[0.0, 0.0, 2.0]]), tri)
    with pytest.raises(eqx.EquinoxRuntimeError, match="degenerate"):
        check(np.zeros((1, 3)), tri[:, [0, 1, 0]])


def test_surface_kernel_equals_half_space_kernel_at_z0():
    """At z = 0 the image's full-space field mirrors the source's, so the surface-only kernel
    (one full-space evaluation) must equal the general one, including triangles with a
    vertex or an edge on the surface and points above a vertex."""
    from quakejax.tde._kernel import _hs_displacement, _hs_displacement_surface

    rng = np.random.default_rng(7)
    tris = np.concatenate([rng.uniform(-5, 5, (64, 3, 2)), -rng.uniform(0, 10, (64, 3, 1))], 2)
    tris[:8, :2, 2] = 0.0  # an edge on the surface
    tris[8:16, 0, 2] = 0.0  # a vertex on the surface
    pts = np.c_[rng.uniform(-10, 10, (64, 2)), np.zeros(64)]
    pts[16:24, :2] = tris[16:24, 0, :2]  # right above a vertex
    slips = rng.normal(size=(64, 3))
    a = jax.vmap(_hs_displacement, in_axes=(0, 0, 0, None))(pts, tris, slips, 0.27)
    b = jax.vmap(_hs_displacement_surface, in_axes=(0, 0, 0, None))(pts, tris, slips, 0.27)
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-15)


def test_surface_points_take_the_surface_kernel_with_the_same_result():
    """All points concretely at z = 0 (GPS stations): the public functions use the surface
    kernel; under jit (traced points) the general one.  The two agree."""
    from quakejax.tde import _fields

    rng = np.random.default_rng(11)
    tris = np.concatenate([rng.uniform(-5, 5, (20, 3, 2)), -rng.uniform(0.5, 10, (20, 3, 1))], 2)
    pts = np.c_[rng.uniform(-15, 15, (30, 2)), np.zeros(30)]
    slips = rng.normal(size=(20, 3))
    assert _fields._displacement_kernel(pts) is _fields._hs_displacement_surface
    assert _fields._displacement_kernel(pts - [0, 0, 1]) is _fields._hs_displacement
    g = tde_displacement_greens(pts, tris, 0.25)
    g_general = jax.jit(tde_displacement_greens)(pts, tris, 0.25)
    scale = np.abs(g_general).max()
    np.testing.assert_allclose(g, g_general, rtol=1e-12, atol=1e-13 * scale)
    u = tde_displacement_many(pts, tris, slips, 0.25)
    u_general = jax.jit(tde_displacement_many)(pts, tris, slips, 0.25)
    np.testing.assert_allclose(u, u_general, rtol=1e-12, atol=1e-13 * np.abs(u_general).max())
