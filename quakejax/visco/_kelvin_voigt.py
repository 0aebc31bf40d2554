"""Kelvin-Voigt shear rheology: a spring in parallel with a dashpot."""

from typing import ClassVar

import jax.numpy as jnp

from .._types import Array, ArrayLike, Float, Shaped
from .base import AbstractRheology, _as_fields, _broadcast, _check_fields, _kelvin_compliance


class KelvinVoigt(AbstractRheology):
    """A Kelvin-Voigt solid in shear (final): a spring `mu` in parallel with a dashpot `eta`.

    With the engineering shear strain `gamma` (twice the tensor strain) and the shear stress
    `sigma` (Pa):

        sigma = mu gamma + eta d(gamma)/dt.

    There is no series spring, so the instantaneous modulus is `mu0 = inf` and all of the
    strain is inelastic: the state is the total strain `g = gamma` (`n_state = 1`), with
    `dg/dt = (sigma - mu g) / eta`.  The strain-volume solver needs a finite `mu0` and rejects
    this rheology; it is provided for creep problems and as the building block of `Burgers`
    and `StandardLinearSolid`.  With `tau = eta / mu` (s):

    - creep function `J(t) = (1 - exp(-t / tau)) / mu`, 1/Pa;
    - relaxation function `G(t) = mu + eta delta(t)`, Pa: `relaxation` returns `mu` and omits
      the impulse `eta delta(t)` at `t = 0` (it is in `modulus`);
    - Laplace modulus `mu(s) = mu + eta s`.

    **Arguments:**

    - `mu`: shear modulus of the spring, Pa, finite and > 0.
    - `eta`: dashpot viscosity, Pa s, finite and > 0.

    Fields broadcast together and against the inputs of every method.

    Reference: the Kelvin element of the Burgers body in Hetland & Hager (2005), *Postseismic
    and interseismic displacements near a strike-slip fault: a two-dimensional theory for
    general linear viscoelastic rheologies*, JGR 110, B10401.
    """

    mu: Float[Array, "*batch"]
    eta: Float[Array, "*batch"]

    n_state: ClassVar[int] = 1

    def __init__(self, mu: ArrayLike, eta: ArrayLike):
        self.mu, self.eta = _as_fields(mu=mu, eta=eta)

    def __check_init__(self):
        _check_fields(self, finite=("mu", "eta"))

    @property
    def mu0(self) -> Float[Array, "*batch"]:
        return jnp.full_like(self.mu, jnp.inf)

    @property
    def relaxed_mu(self) -> Float[Array, "*batch"]:
        return self.mu

    def state_rate(
        self, state: Float[Array, " n_state *shape"], stress: Float[ArrayLike, "*shape"]
    ) -> Float[Array, " n_state *shape"]:
        stress = jnp.asarray(stress)
        mu = jnp.broadcast_to(self.mu, stress.shape)
        eta = jnp.broadcast_to(self.eta, stress.shape)
        return ((stress - mu * state[0]) / eta)[None]

    def relaxation(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        mu, t = _broadcast(self.mu, t)
        return mu.astype(jnp.result_type(mu, t))

    def creep(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        mu, eta, t = _broadcast(self.mu, self.eta, t)
        return _kelvin_compliance(mu, eta, t)

    def modulus(self, s: Shaped[ArrayLike, "*#s"]) -> Shaped[Array, "..."]:
        mu, eta, s = _broadcast(self.mu, self.eta, s)
        return mu + eta * s
