"""Standard linear solid in shear: a spring in series with a Kelvin-Voigt element."""

from typing import ClassVar

import jax.numpy as jnp

from .._types import Array, ArrayLike, Float, Shaped
from .base import (
    AbstractRheology,
    _as_fields,
    _broadcast,
    _check_fields,
    _kelvin_compliance,
    _kelvin_inverse_modulus,
    _kelvin_rate,
)


class StandardLinearSolid(AbstractRheology):
    """A standard linear solid in shear (final): a spring `mu` in series with a Kelvin-Voigt
    element (`mu_K`, `eta_K`), i.e. a Burgers body without Maxwell flow (`eta_M = inf`).

    With the engineering shear strain `gamma` (twice the tensor strain) and the shear stress
    `sigma` (Pa), the state is the Kelvin strain `g_K` (`n_state = 1`):

        sigma = mu (gamma - g_K),        dg_K/dt = (sigma - mu_K g_K) / eta_K.

    With the relaxed modulus `mu_R = mu mu_K / (mu + mu_K)` and the relaxation time
    `tau = eta_K / (mu + mu_K)` (s):

    - relaxation function `G(t) = mu_R + (mu - mu_R) exp(-t / tau)`, Pa;
    - creep function `J(t) = 1/mu + (1 - exp(-mu_K t / eta_K)) / mu_K`, 1/Pa (retardation
      time `eta_K / mu_K`);
    - Laplace modulus `1/mu(s) = 1/mu + 1/(mu_K + eta_K s)`.

    `mu_K = inf` or `eta_K = inf` (rigid Kelvin element) is a spring `mu`, exactly.

    **Arguments:**

    - `mu`: instantaneous shear modulus, Pa, finite and > 0.
    - `mu_K`: Kelvin shear modulus, Pa, > 0 (may be `inf`).
    - `eta_K`: Kelvin viscosity, Pa s, > 0 (may be `inf`).

    Fields broadcast together and against the inputs of every method.

    Reference: the Burgers body of Hetland & Hager (2005), *Postseismic and interseismic
    displacements near a strike-slip fault: a two-dimensional theory for general linear
    viscoelastic rheologies*, JGR 110, B10401, with an infinite Maxwell viscosity.
    """

    mu: Float[Array, "*batch"]
    mu_K: Float[Array, "*batch"]
    eta_K: Float[Array, "*batch"]

    n_state: ClassVar[int] = 1

    def __init__(self, mu: ArrayLike, mu_K: ArrayLike, eta_K: ArrayLike):
        self.mu, self.mu_K, self.eta_K = _as_fields(mu=mu, mu_K=mu_K, eta_K=eta_K)

    def __check_init__(self):
        _check_fields(self, finite=("mu",), may_be_inf=("mu_K", "eta_K"))

    @property
    def mu0(self) -> Float[Array, "*batch"]:
        return self.mu

    @property
    def relaxed_mu(self) -> Float[Array, "*batch"]:
        # mu / (1 + mu/mu_K) is mu mu_K / (mu + mu_K) without inf/inf at mu_K = inf.
        return jnp.where(jnp.isinf(self.eta_K), self.mu, self.mu / (1 + self.mu / self.mu_K))

    def state_rate(
        self, state: Float[Array, " n_state *shape"], stress: Float[ArrayLike, "*shape"]
    ) -> Float[Array, " n_state *shape"]:
        stress = jnp.asarray(stress)
        mu_K, eta_K = (jnp.broadcast_to(x, stress.shape) for x in (self.mu_K, self.eta_K))
        rate = _kelvin_rate(mu_K, eta_K, state[0], stress)
        return rate[None].astype(jnp.result_type(state, stress, mu_K))

    def relaxation(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        mu, mu_K, eta_K, t = _broadcast(self.mu, self.mu_K, self.eta_K, t)
        rigid = jnp.isinf(mu_K) | jnp.isinf(eta_K)
        # Double where: finite stand-ins keep inf * 0 out of the discarded branch.
        mu_K = jnp.where(rigid, 1.0, mu_K)
        eta_K = jnp.where(rigid, 1.0, eta_K)
        x = mu / mu_K
        # mu_R = mu/(1 + x) and mu - mu_R = mu x/(1 + x): both without cancellation.
        decay = jnp.exp(-((mu + mu_K) / eta_K) * t)
        sls = mu / (1 + x) + mu * x / (1 + x) * decay
        return jnp.where(rigid, mu, sls)

    def creep(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        mu, mu_K, eta_K, t = _broadcast(self.mu, self.mu_K, self.eta_K, t)
        return 1 / mu + _kelvin_compliance(mu_K, eta_K, t)

    def modulus(self, s: Shaped[ArrayLike, "*#s"]) -> Shaped[Array, "..."]:
        mu, mu_K, eta_K, s = _broadcast(self.mu, self.mu_K, self.eta_K, s)
        return 1 / (1 / mu + _kelvin_inverse_modulus(mu_K, eta_K, s))
