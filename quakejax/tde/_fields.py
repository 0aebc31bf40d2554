"""Triangular dislocations at many points: sums over triangles and Green's functions.

Each (point, triangle) pair is one call of the single-pair kernel.  Pairs are batched with
`vmap`, summed over triangles, and chunked with `lax.map` / `lax.scan` so that memory stays
bounded, as `quakejax.okada` does for rectangles.
"""

from __future__ import annotations

import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, ArrayLike, Float
from ..okada._common import backend_jit, is_concrete
from ..okada._fields import _blocks, _check_points
from ._kernel import _hs_displacement, _hs_displacement_surface, _hs_strain

# Pairs (points x triangles) evaluated together in one vectorised block; about 2^15 keeps the
# fused kernel's working set bounded (see quakejax.okada._fields).
DEFAULT_PAIRS_PER_BLOCK = 2**15


def _check(points, tris, slips, nu):
    """Shapes (always), values (eagerly: ValueError; traced: eqx.error_if on the batch)."""
    points = _check_points(points)  # shape, and (eagerly) finite and below the surface
    tris = jnp.asarray(tris)
    if tris.ndim != 3 or tris.shape[1:] != (3, 3):
        raise ValueError(
            f"tris must have shape (m, 3, 3) (vertices x coordinates, m); got {tris.shape}"
        )
    if slips is not None:
        slips = jnp.asarray(slips)
        if slips.shape != (tris.shape[0], 3):
            raise ValueError(
                f"slips must have shape (m, 3) = ({tris.shape[0]}, 3) (strike, dip, tensile "
                f"in m); got {slips.shape}"
            )
    dtype = (
        jnp.result_type(points, tris, 1.0)
        if slips is None
        else jnp.result_type(points, tris, slips, 1.0)
    )
    points = points.astype(dtype)
    tris = tris.astype(dtype)
    slips = None if slips is None else slips.astype(dtype)
    cross = jnp.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    if is_concrete(points, tris, nu):
        t, nu_np = np.asarray(tris), float(np.asarray(nu))
        bad = ~np.isfinite(t.reshape(t.shape[0], -1)).all(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"tris: entry {i} is not finite: {t[i].tolist()}")
        above = (t[:, :, 2] > 0).any(axis=1)
        if above.any():
            i = int(np.argmax(above))
            raise ValueError(
                f"tris: triangle {i} has a vertex above the free surface (z = "
                f"{t[i, :, 2].tolist()} m; the half-space is z <= 0)."
            )
        flat = ~np.asarray(cross).any(axis=1)
        if flat.any():
            i = int(np.argmax(flat))
            raise ValueError(f"tris: triangle {i} is degenerate (zero area): {t[i].tolist()}")
        if not (-1.0 < nu_np < 0.5):
            raise ValueError(f"nu = {nu_np!r}: need -1 < nu < 0.5.")
    else:
        points = eqx.error_if(
            points, jnp.any(points[:, 2] > 0), "points: a point is above the free surface (z > 0)."
        )
        points = eqx.error_if(
            points, jnp.any(tris[:, :, 2] > 0), "tris: a vertex is above the free surface (z > 0)."
        )
        points = eqx.error_if(
            points, jnp.any(jnp.all(cross == 0, axis=1)), "tris: a degenerate (zero-area) triangle."
        )
    return points, tris, slips, jnp.asarray(nu, dtype)


@functools.partial(backend_jit, static_argnames=("kernel", "pairs_per_block"))
def _summed(points, tris, slips, nu, kernel, pairs_per_block):
    """sum_j kernel(point_i, tri_j, slip_j, nu) for all points, chunked in both directions.

    Within a block the point index is the minor (vectorised) axis, so that a single triangle
    vectorises as well as many.  Padding triangles carry zero slip and add exactly zero.
    """
    n, m = points.shape[0], tris.shape[0]
    point_block = min(n, max(64, pairs_per_block // m))
    tri_chunk = min(m, max(1, pairs_per_block // point_block))
    n_chunks = math.ceil(m / tri_chunk)
    extra = n_chunks * tri_chunk - m
    if extra:
        tris = jnp.concatenate([tris, jnp.repeat(tris[:1], extra, axis=0)])
        slips = jnp.concatenate([slips, jnp.zeros((extra, 3), slips.dtype)])
    tris = tris.reshape(n_chunks, tri_chunk, 3, 3)
    slips = slips.reshape(n_chunks, tri_chunk, 3)
    pair = lambda p, t, s: kernel(p, t, s, nu)  # noqa: E731
    grid = jax.vmap(jax.vmap(pair, in_axes=(0, None, None)), in_axes=(None, 0, 0))

    def one_block(pts):
        def body(acc, chunk):
            return acc + grid(pts, *chunk).sum(0), None

        shape = jax.eval_shape(pair, pts[0], tris[0, 0], slips[0, 0]).shape
        init = jnp.zeros((pts.shape[0],) + shape, pts.dtype)
        if n_chunks == 1:
            return body(init, (tris[0], slips[0]))[0]
        return jax.lax.scan(body, init, (tris, slips))[0]

    out = jax.lax.map(one_block, _blocks(points, point_block))
    return out.reshape((-1,) + out.shape[2:])[:n]


@functools.partial(backend_jit, static_argnames=("kernel", "pairs_per_block"))
def _unit(points, tris, nu, kernel, pairs_per_block):
    """kernel(point_i, tri_j, unit slip k): (n, m, 3 slip components, *out)."""
    m = tris.shape[0]
    eye = jnp.eye(3, dtype=points.dtype)
    per_slip = jax.vmap(kernel, in_axes=(None, None, 0, None))  # geometry is shared
    per_tri = jax.vmap(per_slip, in_axes=(None, 0, None, None))
    batch = max(1, min(points.shape[0], pairs_per_block // max(1, m)))
    return jax.lax.map(lambda p: per_tri(p, tris, eye, nu), points, batch_size=batch)


def _displacement_kernel(points):
    """The surface kernel (one full-space evaluation instead of two, about 25% less work)
    when every point is concretely on the free surface (z = 0, e.g. GPS stations), else the
    general one.  Traced points (e.g. under `grad` with respect to them) take the general
    kernel, whose z-derivative the surface kernel does not give."""
    # (reduced where the points are, so a GPU sends back one flag, not the points)
    if is_concrete(points) and points.shape[0] and bool(jnp.all(jnp.asarray(points)[:, 2] == 0)):
        return _hs_displacement_surface
    return _hs_displacement


def tde_displacement_many(
    points: Float[ArrayLike, "n 3"],
    tris: Float[ArrayLike, "m 3 3"],
    slips: Float[ArrayLike, "m 3"],
    nu: Float[ArrayLike, ""] | float = 0.25,
    *,
    pairs_per_block: int = DEFAULT_PAIRS_PER_BLOCK,
) -> Float[Array, "n 3"]:
    """Displacement at `points` due to all triangular dislocations, summed.

    **Arguments:**

    - `points`: observation points `(n, 3)`, east, north, up in m, up <= 0.
    - `tris`: triangles `(m, 3, 3)`, vertex coordinates in m, all with up <= 0.
    - `slips`: `(m, 3)` (strike-slip, dip-slip, tensile) in m, in each triangle's own frame
      (see `tde_displacement` for the frame and the signs).
    - `nu`: Poisson's ratio.
    - `pairs_per_block`: point x triangle pairs evaluated in one vectorised block (memory).

    **Returns:** `u (n, 3)` in m (ENU).  A triangle contributes zero at a point on its own
    boundary.  Bad input raises `ValueError` eagerly, or `eqx.error_if` under `jit`.

    Reference: Nikkhoo & Walter (2015), GJI 201, 1119-1141.
    """
    points, tris, slips, nu = _check(points, tris, slips, nu)
    if points.shape[0] == 0 or tris.shape[0] == 0:
        return jnp.zeros((points.shape[0], 3), points.dtype)
    return _summed(points, tris, slips, nu, _displacement_kernel(points), pairs_per_block)


def tde_strain_many(
    points: Float[ArrayLike, "n 3"],
    tris: Float[ArrayLike, "m 3 3"],
    slips: Float[ArrayLike, "m 3"],
    nu: Float[ArrayLike, ""] | float = 0.25,
    *,
    pairs_per_block: int = DEFAULT_PAIRS_PER_BLOCK,
) -> Float[Array, "n 3 3"]:
    """Strain tensor `(n, 3, 3)` (ENU, extension positive) at `points` due to all triangles,
    summed.  Arguments as `tde_displacement_many`; see `tde_strain`."""
    points, tris, slips, nu = _check(points, tris, slips, nu)
    if points.shape[0] == 0 or tris.shape[0] == 0:
        return jnp.zeros((points.shape[0], 3, 3), points.dtype)
    return _summed(points, tris, slips, nu, _hs_strain, pairs_per_block)


def tde_displacement_greens(
    points: Float[ArrayLike, "n 3"],
    tris: Float[ArrayLike, "m 3 3"],
    nu: Float[ArrayLike, ""] | float = 0.25,
    *,
    pairs_per_block: int = DEFAULT_PAIRS_PER_BLOCK,
) -> Float[Array, "three_n three_m"]:
    """Design matrix `(3 n, 3 m)`: m of displacement per m of slip.

    Rows are (point, ENU component), columns (triangle, slip component) with the slip
    components (strike, dip, tensile), so that `u = G @ slips.reshape(-1)`.
    `G.reshape(n, 3, m, 3)` is the layout of `cutde.halfspace.disp_matrix`.
    Arguments as `tde_displacement_many`.
    """
    points, tris, _, nu = _check(points, tris, None, nu)
    n, m = points.shape[0], tris.shape[0]
    if n == 0 or m == 0:
        return jnp.zeros((3 * n, 3 * m), points.dtype)
    g = _unit(points, tris, nu, _displacement_kernel(points), pairs_per_block)  # (n, m, 3, 3)
    return jnp.transpose(g, (0, 3, 1, 2)).reshape(3 * n, 3 * m)
