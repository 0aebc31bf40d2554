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
