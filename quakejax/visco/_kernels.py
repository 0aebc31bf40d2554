"""Closed-form antiplane kernels: strain volumes and a screw dislocation in a half-space.

Frame (all lengths in metres): `x` is the horizontal distance perpendicular to an infinitely
long vertical strike-slip fault at x = 0, `z` is depth, positive down, with the free surface at
z = 0.  The displacement `u` is out of plane, along strike; a positive slip moves the x > 0 side
in the +strike direction.  Strains are *engineering* shear strains `(du/dx, du/dz)` and an
eigenstrain is the pair `(gamma_x, gamma_z)`, so the stress of a medium of modulus mu is
`mu * (grad u - gamma)`.

A uniform eigenstrain in a rectangle `R` is equivalent to line sources on its boundary:
`laplacian(u) = div(gamma)` gives `u(p) = -(1/2 pi) * contour_integral(ln|p - p'| gamma.n' ds')`
(outward normal n').  Each edge integral is elementary.  This is the integral method of Lambert &
Barbot (2016, GRL 43:10142) for antiplane strain volumes, derived here from Green's identity; the
free surface is an image volume mirrored about z = 0 with `gamma_z` reversed.

The kernels take one observation point and one source; callers batch them with `jax.vmap`.
On an edge line the (discontinuous) derivative takes the mean of its two one-sided limits, and the
logarithmic corner singularities are guarded with the double-`where` pattern, so values and
gradients stay finite.
"""

import jax.numpy as jnp

from .._types import Array, ArrayLike, Float

_TWO_PI = 2.0 * jnp.pi


def _atan_ratio(t, d):
    """atan(t/d), with 0 at d = 0: the mean of the one-sided limits +-pi/2 sign(t)."""
    nonzero = d != 0
    safe_d = jnp.where(nonzero, d, 1.0)
    return jnp.where(nonzero, jnp.arctan(t / safe_d), 0.0)


def _half_log_r2(d, t):
    """ln(sqrt(d^2 + t^2)), with 0 in place of the singular value at d = t = 0."""
    r2 = d * d + t * t
    positive = r2 > 0
    return jnp.where(positive, 0.5 * jnp.log(jnp.where(positive, r2, 1.0)), 0.0)


def _primitive(d, t):
    """Antiderivative in t of ln(sqrt(d^2 + t^2)): t ln r - t + d atan(t/d)."""
    return t * _half_log_r2(d, t) - t + d * _atan_ratio(t, d)


def _segment(d, t1, t2):
    """Integral of ln r along a straight segment, and its two derivatives.

    The segment runs along a coordinate s' from s1 to s2 at a fixed transverse coordinate c; the
    observation point is at (s, p); `d = p - c`, `t1 = s1 - s`, `t2 = s2 - s`.

    Returns `(L, dL/dp, dL/ds)`.
    """
    value = _primitive(d, t2) - _primitive(d, t1)
    d_transverse = _atan_ratio(t2, d) - _atan_ratio(t1, d)
    d_along = -(_half_log_r2(d, t2) - _half_log_r2(d, t1))
    return value, d_transverse, d_along


def _rectangle_full_space_greens(x, z, x1, x2, z1, z2):
    """One eigenstrain rectangle in a full space, per unit eigenstrain.

    Returns `u` (2 in,) and `grad` (2 out: d/dx, d/dz; 2 in: gamma_x, gamma_z).
    """
    # Vertical edges x' = x1, x2 (normals -x, +x): d = x - x', t = z' - z.
    lv2, lv2_x, lv2_z = _segment(x - x2, z1 - z, z2 - z)
    lv1, lv1_x, lv1_z = _segment(x - x1, z1 - z, z2 - z)
    # Horizontal edges z' = z1, z2 (normals -z, +z): d = z - z', t = x' - x.
    lh2, lh2_z, lh2_x = _segment(z - z2, x1 - x, x2 - x)
    lh1, lh1_z, lh1_x = _segment(z - z1, x1 - x, x2 - x)
    scale = -1.0 / _TWO_PI
    u = scale * jnp.stack([lv2 - lv1, lh2 - lh1])
    grad = scale * jnp.stack(
        [jnp.stack([lv2_x - lv1_x, lh2_x - lh1_x]), jnp.stack([lv2_z - lv1_z, lh2_z - lh1_z])]
    )
    return u, grad


def _rectangle_full_space(x, z, x1, x2, z1, z2, gx, gz):
    """Displacement and its gradient of one eigenstrain rectangle in a full space."""
    u, grad = _rectangle_full_space_greens(x, z, x1, x2, z1, z2)
    gamma = jnp.stack([gx, gz])
    return u @ gamma, grad[0] @ gamma, grad[1] @ gamma


def antisymmetric_strain_volume_greens(
    obs: Float[ArrayLike, "2"], bounds: Float[ArrayLike, "4"]
) -> tuple[Float[Array, "2"], Float[Array, "2 2"]]:
    """`antisymmetric_strain_volume` per unit eigenstrain, both components in one pass.

    **Returns:** `(u, grad)` with `u[j]` the displacement for unit `gamma_j` and
    `grad[i, j] = d(grad u)_i / d gamma_j` (j = 0: `gamma_x`, 1: `gamma_z`); the same segment
    integrals serve both components, which halves the cost of assembling interaction matrices.
    """
    x, z = obs[0], obs[1]
    x1, x2, z1, z2 = bounds[0], bounds[1], bounds[2], bounds[3]
    flip = jnp.array([1.0, -1.0], jnp.result_type(x, x1))
    u = jnp.zeros(2, flip.dtype)
    grad = jnp.zeros((2, 2), flip.dtype)
    # The volume, its surface image (gamma_z reversed), and the mirror pair at x < 0 (gamma_z
    # reversed) with its own image.
    for a1, a2, sign_mirror in ((x1, x2, 1.0), (-x2, -x1, -1.0)):
        for b1, b2, sign_image in ((z1, z2, 1.0), (-z2, -z1, -1.0)):
            ui, gi = _rectangle_full_space_greens(x, z, a1, a2, b1, b2)
            column = jnp.where(sign_mirror * sign_image > 0, 1.0, flip)
            u = u + ui * column
            grad = grad + gi * column[None, :]
    return u, grad


def strain_volume(
    obs: Float[ArrayLike, "2"],
    bounds: Float[ArrayLike, "4"],
    eigenstrain: Float[ArrayLike, "2"],
) -> tuple[Float[Array, ""], Float[Array, "2"]]:
    """Displacement and displacement gradient of an antiplane strain volume in a half-space.

    The volume is the rectangle `x1 < x < x2`, `z1 < z < z2` (z >= 0 down) of an elastic
    half-space with a traction-free surface at z = 0, holding a uniform engineering eigenstrain
    `(gamma_x, gamma_z)`.  The displacement does not depend on the shear modulus.

    **Arguments:**

    - `obs`: observation point `(x, z)`, m, z >= 0.
    - `bounds`: `(x1, x2, z1, z2)`, m, with `x1 < x2` and `0 <= z1 < z2`.
    - `eigenstrain`: `(gamma_x, gamma_z)`, dimensionless (engineering strain).

    **Returns:**

    `(u, grad)`: the along-strike displacement u (m, per unit eigenstrain times length) and
    `grad = (du/dx, du/dz)`.  Inside the volume the stress is `mu * (grad - eigenstrain)`;
    outside it is `mu * grad`.

    Lambert & Barbot (2016) integral method; closed form from Green's identity with a free-surface
    image (see the module docstring).
    """
    x, z = obs[0], obs[1]
    x1, x2, z1, z2 = bounds[0], bounds[1], bounds[2], bounds[3]
    gx, gz = eigenstrain[0], eigenstrain[1]
    u, ux, uz = _rectangle_full_space(x, z, x1, x2, z1, z2, gx, gz)
    ui, uxi, uzi = _rectangle_full_space(x, z, x1, x2, -z2, -z1, gx, -gz)
    return u + ui, jnp.stack([ux + uxi, uz + uzi])


def antisymmetric_strain_volume(
    obs: Float[ArrayLike, "2"],
    bounds: Float[ArrayLike, "4"],
    eigenstrain: Float[ArrayLike, "2"],
) -> tuple[Float[Array, ""], Float[Array, "2"]]:
    """A strain volume at x > 0 plus its mirror image at x < 0 (the fault's antisymmetry).

    Around a vertical strike-slip fault the displacement is odd in x, so `gamma_x` is even and
    `gamma_z` odd: the volume `(x1, x2)` pairs with `(-x2, -x1)` holding `(gamma_x, -gamma_z)`.
    Arguments and returns as `strain_volume`.
    """
    eigenstrain = jnp.asarray(eigenstrain)
    bounds = jnp.asarray(bounds)
    u, grad = strain_volume(obs, bounds, eigenstrain)
    mirror = jnp.stack([-bounds[1], -bounds[0], bounds[2], bounds[3]])
    um, gradm = strain_volume(obs, mirror, eigenstrain * jnp.array([1.0, -1.0], eigenstrain.dtype))
    return u + um, grad + gradm


def screw_dislocation(
    obs: Float[ArrayLike, "2"], top: Float[ArrayLike, ""], bottom: Float[ArrayLike, ""]
) -> tuple[Float[Array, ""], Float[Array, "2"]]:
    """Unit slip on the vertical fault x = 0, `top < z < bottom`, in a half-space.

    `u = (1/2 pi) sum over the fault and its surface image of
    [atan((z2 - z)/x) - atan((z1 - z)/x)]`, which at the surface of a fault reaching it is
    `(1/pi) atan(D/x)` (the screw dislocation of Chinnery 1961 / Savage & Burford 1973).

    **Arguments:**

    - `obs`: `(x, z)`, m; x = 0 gives the mean of the two sides.
    - `top`, `bottom`: depths of the slipping segment, m, `0 <= top < bottom`.

    **Returns:**

    `(u, grad)`: displacement per unit slip (dimensionless) and its gradient `(du/dx, du/dz)`,
    1/m.  The strain field is independent of the shear modulus.
    """
    x, z = obs[0], obs[1]
    nonzero = x != 0
    safe_x = jnp.where(nonzero, x, 1.0)

    def edge(c):
        # One end of a segment at depth c, seen from (x, z): atan((c - z)/x) and its gradient.
        dz = c - z
        r2 = safe_x * safe_x + dz * dz
        value = jnp.where(nonzero, jnp.arctan(dz / safe_x), 0.0)
        d_dx = jnp.where(nonzero, -dz / r2, 0.0)
        d_dz = jnp.where(nonzero, -safe_x / r2, 0.0)
        return value, d_dx, d_dz

    total = jnp.zeros(3, dtype=jnp.result_type(x, top, bottom))
    for c, sign in ((bottom, 1.0), (top, -1.0), (-top, 1.0), (-bottom, -1.0)):
        total = total + sign * jnp.stack(edge(c))
    total = total / _TWO_PI
    return total[0], total[1:]
