"""Strain and stress tensors from the displacement gradient (small strain, isotropic)."""

from __future__ import annotations

import jax.numpy as jnp

from .._types import Array, ArrayLike, Float


def strain_from_gradient(grad: Float[ArrayLike, "*batch 3 3"]) -> Float[Array, "*batch 3 3"]:
    """Infinitesimal strain (grad + grad^T) / 2, with `grad[..., i, j] = du_i/dx_j`.

    Dimensionless; extension positive; same frame as `grad`.
    """
    return 0.5 * (grad + jnp.swapaxes(grad, -1, -2))


def stress_from_strain(
    strain: Float[ArrayLike, "*batch 3 3"], *, mu, lam
) -> Float[Array, "*batch 3 3"]:
    """Hooke's law, sigma = lam tr(eps) I + 2 mu eps, in the unit of `mu` and `lam` (Pa).

    Tension positive (the sign convention of Okada's outputs and Coulomb 3).
    """
    trace = jnp.trace(strain, axis1=-2, axis2=-1)[..., None, None]
    eye = jnp.broadcast_to(jnp.eye(3, dtype=strain.dtype), strain.shape)
    return lam * trace * eye + 2.0 * mu * strain


def stress_from_gradient(
    grad: Float[ArrayLike, "*batch 3 3"], *, mu, lam
) -> Float[Array, "*batch 3 3"]:
    """Stress (Pa, tension positive) from the displacement gradient, for Lame constants (Pa)."""
    return stress_from_strain(strain_from_gradient(grad), mu=mu, lam=lam)


def lame_lambda(mu, nu):
    """First Lame constant lambda = 2 mu nu / (1 - 2 nu), in the unit of mu."""
    return 2.0 * mu * nu / (1.0 - 2.0 * nu)
