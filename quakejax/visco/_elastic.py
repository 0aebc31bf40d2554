"""Linear elastic shear rheology: a spring with no inelastic element."""

from typing import ClassVar

import jax.numpy as jnp

from .._types import Array, ArrayLike, Float, Shaped
from .base import AbstractRheology, _as_fields, _broadcast, _check_fields


class Elastic(AbstractRheology):
    """A Hookean spring in shear (final): `sigma = mu gamma`.

    `gamma` is the engineering shear strain (twice the tensor strain) and `sigma` the shear
    stress in Pa.  There is no inelastic element, so the state has shape `(0, *shape)`:

    - relaxation function `G(t) = mu`, creep function `J(t) = 1 / mu`;
    - Laplace modulus `mu(s) = mu`.

    **Arguments:**

    - `mu`: shear modulus, Pa, finite and > 0 (any shape; broadcast with the inputs).

    Reference: the elastic end member of the linear rheologies in Hetland & Hager (2005),
    *Postseismic and interseismic displacements near a strike-slip fault: a two-dimensional
    theory for general linear viscoelastic rheologies*, JGR 110, B10401.
    """

    mu: Float[Array, "*batch"]

    n_state: ClassVar[int] = 0

    def __init__(self, mu: ArrayLike):
        (self.mu,) = _as_fields(mu=mu)

    def __check_init__(self):
        _check_fields(self, finite=("mu",))

    @property
    def mu0(self) -> Float[Array, "*batch"]:
        return self.mu

    @property
    def relaxed_mu(self) -> Float[Array, "*batch"]:
        return self.mu

    def state_rate(
        self, state: Float[Array, " n_state *shape"], stress: Float[ArrayLike, "*shape"]
    ) -> Float[Array, " n_state *shape"]:
        return jnp.zeros_like(state)

    def relaxation(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        mu, t = _broadcast(self.mu, t)
        return mu.astype(jnp.result_type(mu, t))

    def creep(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        mu, t = _broadcast(self.mu, t)
        return (1 / mu).astype(jnp.result_type(mu, t))

    def modulus(self, s: Shaped[ArrayLike, "*#s"]) -> Shaped[Array, "..."]:
        mu, s = _broadcast(self.mu, s)
        return mu.astype(jnp.result_type(mu, s))
