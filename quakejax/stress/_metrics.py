"""Scalar measures of a stress tensor: invariants, principal stresses, von Mises, max shear.

All are pure and batched over leading axes; the unit is that of the input (Pa), tension
positive.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._types import Array, ArrayLike, Float


def mean_stress(sigma: Float[ArrayLike, "*batch 3 3"]) -> Float[Array, "*batch"]:
    """I1 / 3, the mean normal stress (tension positive)."""
    return jnp.trace(sigma, axis1=-2, axis2=-1) / 3.0


def deviatoric(sigma: Float[ArrayLike, "*batch 3 3"]) -> Float[Array, "*batch 3 3"]:
    """s = sigma - (tr sigma / 3) I."""
    eye = jnp.broadcast_to(jnp.eye(3, dtype=sigma.dtype), sigma.shape)
    return sigma - mean_stress(sigma)[..., None, None] * eye


def invariants(sigma: Float[ArrayLike, "*batch 3 3"]):
    """(I1, J2, J3): first invariant of sigma, second and third invariants of its deviator.

    J2 = s_ij s_ij / 2 and J3 = det(s).
    """
    s = deviatoric(sigma)
    i1 = jnp.trace(sigma, axis1=-2, axis2=-1)
    j2 = 0.5 * jnp.sum(s * s, axis=(-2, -1))
    j3 = jnp.linalg.det(s)
    return i1, j2, j3


def tensor_invariants(sigma: Float[ArrayLike, "*batch 3 3"]):
    """(I1, I2, I3) of sigma itself: tr(sigma), ((tr sigma)^2 - tr(sigma^2)) / 2, det(sigma).

    Units Pa, Pa^2, Pa^3.  Applied to the deviator they give (0, -J2, J3).
    """
    sigma = jnp.asarray(sigma)
    i1 = jnp.trace(sigma, axis1=-2, axis2=-1)
    i2 = 0.5 * (i1**2 - jnp.sum(sigma * jnp.swapaxes(sigma, -1, -2), axis=(-2, -1)))
    return i1, i2, jnp.linalg.det(sigma)


def lode_angle(sigma: Float[ArrayLike, "*batch 3 3"]) -> Float[Array, "*batch"]:
    """Lode angle theta in radians, in [0, pi/3], from cos(3 theta) = (3 sqrt(3)/2) J3 / J2^1.5.

    theta = 0 for axisymmetric extension (s1 > s2 = s3, e.g. uniaxial tension), pi/6 for pure
    shear, pi/3 for axisymmetric compression (tension-positive principal stresses).  The
    deviatoric principal stresses are 2 sqrt(J2/3) cos(theta - 2 pi k/3), k = 0, 1, 2.  Where
    J2 = 0 (isotropic or zero stress) the angle is undefined; 0 is returned with a zero
    gradient, and so is the gradient at the end points where arccos has an infinite slope.
    """
    _, j2, j3 = invariants(sigma)
    ok = j2 > 0.0
    j2s = jnp.where(ok, j2, 1.0)
    x = jnp.where(ok, 1.5 * jnp.sqrt(3.0) * j3 / (j2s * jnp.sqrt(j2s)), 1.0)
    inside = jnp.abs(x) < 1.0
    theta = jnp.arccos(jnp.where(inside, x, 0.0)) / 3.0
    edge = jnp.where(x >= 1.0, 0.0, jnp.pi / 3.0)
    return jnp.where(inside, theta, edge)


def sum_abs_components(sigma: Float[ArrayLike, "*batch 3 3"]) -> Float[Array, "*batch"]:
    """Sum of the absolute values of the six independent components (xx, yy, zz, xy, xz, yz).

    DeVries et al. (2018) found it explains most of their network's output.  Not invariant
    under rotation of the frame.
    """
    sigma = jnp.asarray(sigma)
    diag = jnp.abs(jnp.diagonal(sigma, axis1=-2, axis2=-1)).sum(-1)
    off = jnp.abs(sigma[..., 0, 1]) + jnp.abs(sigma[..., 0, 2]) + jnp.abs(sigma[..., 1, 2])
    return diag + off


def von_mises(sigma: Float[ArrayLike, "*batch 3 3"]) -> Float[Array, "*batch"]:
    """Von Mises equivalent stress sqrt(3 J2) (equal to |sigma| for uniaxial stress).

    Written as sqrt(3 J2 + tiny) so its gradient stays finite at zero stress.
    """
    _, j2, _ = invariants(sigma)
    zero = j2 == 0.0
    return jnp.where(zero, 0.0, jnp.sqrt(3.0 * jnp.where(zero, 1.0, j2)))


def principal_stresses(sigma: Float[ArrayLike, "*batch 3 3"]) -> Float[Array, "*batch 3"]:
    """Principal stresses sorted sigma_1 >= sigma_2 >= sigma_3 (tension positive)."""
    sym = 0.5 * (sigma + jnp.swapaxes(sigma, -1, -2))
    return jnp.linalg.eigvalsh(sym)[..., ::-1]


def max_shear(sigma: Float[ArrayLike, "*batch 3 3"]) -> Float[Array, "*batch"]:
    """Maximum shear stress (sigma_1 - sigma_3) / 2."""
    p = principal_stresses(sigma)
    return 0.5 * (p[..., 0] - p[..., 2])
