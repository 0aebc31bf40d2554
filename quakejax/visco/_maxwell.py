"""Maxwell shear rheology: a spring in series with a dashpot."""

from typing import ClassVar

import jax.numpy as jnp

from .._types import Array, ArrayLike, Float, Shaped
from .base import AbstractRheology, _as_fields, _broadcast, _check_fields


class Maxwell(AbstractRheology):
    """A Maxwell body in shear (final): a spring `mu` in series with a dashpot `eta`.

    With the engineering shear strain `gamma` (twice the tensor strain) and the shear stress
    `sigma` (Pa), the state is the dashpot strain `g` (`n_state = 1`):

        sigma = mu (gamma - g),        dg/dt = sigma / eta.

    The Maxwell relaxation time is `tau = eta / mu` in this convention (s), and

    - relaxation function `G(t) = mu exp(-t / tau)`, Pa;
    - creep function `J(t) = 1 / mu + t / eta`, 1/Pa;
    - Laplace modulus `mu(s) = mu eta s / (mu + eta s)`, i.e. `1/mu(s) = 1/mu + 1/(eta s)`.

    `eta = inf` is a spring (no flow): `G = mu`, `J = 1 / mu`, `relaxed_mu = mu`.

    **Arguments:**

    - `mu`: shear modulus, Pa, finite and > 0.
    - `eta`: dashpot viscosity, Pa s, > 0 (may be `inf`).

    Fields broadcast together and against the inputs of every method.

    Reference: Hetland & Hager (2005), *Postseismic and interseismic displacements near a
    strike-slip fault: a two-dimensional theory for general linear viscoelastic rheologies*,
    JGR 110, B10401 (Maxwell body; the Burgers body with a rigid Kelvin element).
    """

    mu: Float[Array, "*batch"]
    eta: Float[Array, "*batch"]

    n_state: ClassVar[int] = 1

    def __init__(self, mu: ArrayLike, eta: ArrayLike):
        self.mu, self.eta = _as_fields(mu=mu, eta=eta)

    def __check_init__(self):
        _check_fields(self, finite=("mu",), may_be_inf=("eta",))

    @property
    def mu0(self) -> Float[Array, "*batch"]:
        return self.mu

    @property
    def relaxed_mu(self) -> Float[Array, "*batch"]:
        return jnp.where(jnp.isinf(self.eta), self.mu, 0.0)

    def state_rate(
        self, state: Float[Array, " n_state *shape"], stress: Float[ArrayLike, "*shape"]
    ) -> Float[Array, " n_state *shape"]:
        stress = jnp.asarray(stress)
        eta = jnp.broadcast_to(self.eta, stress.shape)
        return (stress / eta)[None].astype(jnp.result_type(state, stress, eta))

    def relaxation(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        mu, eta, t = _broadcast(self.mu, self.eta, t)
        return mu * jnp.exp(-(mu / eta) * t)

    def creep(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        mu, eta, t = _broadcast(self.mu, self.eta, t)
        return 1 / mu + t / eta

    def modulus(self, s: Shaped[ArrayLike, "*#s"]) -> Shaped[Array, "..."]:
        mu, eta, s = _broadcast(self.mu, self.eta, s)
        # (1/eta)/s rather than 1/(eta s): exactly 0 for eta = inf, also for complex s.
        return 1 / (1 / mu + (1 / eta) / s)
