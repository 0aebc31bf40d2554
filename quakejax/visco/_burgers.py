"""Burgers shear rheology: a Maxwell element in series with a Kelvin-Voigt element."""

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


class Burgers(AbstractRheology):
    """A Burgers body in shear (final): a Maxwell element (`mu_M`, `eta_M`) in series with a
    Kelvin-Voigt element (`mu_K`, `eta_K`).

    With the engineering shear strain `gamma` (twice the tensor strain) and the shear stress
    `sigma` (Pa), the state is `(g_M, g_K)`, the strains of the Maxwell dashpot and of the
    Kelvin element (`n_state = 2`):

        sigma = mu_M (gamma - g_M - g_K),
        dg_M/dt = sigma / eta_M,
        dg_K/dt = (sigma - mu_K g_K) / eta_K.

    Closed forms (t in s):

    - Laplace modulus: `1/mu(s) = 1/mu_M + 1/(eta_M s) + 1/(mu_K + eta_K s)`;
    - creep function: `J(t) = 1/mu_M + t/eta_M + (1 - exp(-mu_K t/eta_K)) / mu_K`;
    - relaxation function: `G(t) = A1 exp(r1 t) + A2 exp(r2 t)`, where `r1 < r2 < 0` are the
      roots of `a s^2 + b s + c` with `a = eta_M eta_K`,
      `b = eta_M mu_K + mu_M eta_K + mu_M eta_M`, `c = mu_M mu_K`, and
      `A_i = (-1)^(i+1) (mu_M/eta_K) (mu_K + eta_K r_i) / (r1 - r2)` (so `A1 + A2 = mu_M`).

    `G` is evaluated without cancellation: with the rates `rK = mu_K/eta_K`,
    `rM = mu_M/eta_M`, `m = mu_M/eta_K` and `p = rK + rM + m = b/a`, the discriminant
    `p^2 - 4 rK rM = (rK - rM)^2 + m (m + 2 rK + 2 rM)` is a sum of non-negative terms,
    `r1 = -(p + sqrt(D))/2`, the small root comes from Vieta (`r2 = rK rM / r1`), and of the
    two positive amplitudes `A = mu_M (1 -+ u/sqrt(D))/2` (`u = rK - rM - m`) the larger is
    computed directly and the smaller from `A1 A2 = mu_M^2 m rK / D`.

    Limits: `mu_K = inf` or `eta_K = inf` (rigid Kelvin element) is a Maxwell body
    (`mu_M`, `eta_M`); `eta_M = inf` is a standard linear solid, `relaxed_mu =
    mu_M mu_K / (mu_M + mu_K)`.  Both are exact here, without NaN in values or gradients.

    **Arguments:**

    - `mu_M`: Maxwell (instantaneous) shear modulus, Pa, finite and > 0.
    - `eta_M`: Maxwell (steady-state) viscosity, Pa s, > 0 (may be `inf`).
    - `mu_K`: Kelvin shear modulus, Pa, > 0 (may be `inf`).
    - `eta_K`: Kelvin (transient) viscosity, Pa s, > 0 (may be `inf`).

    Fields broadcast together and against the inputs of every method.

    References: Hetland & Hager (2005), *Postseismic and interseismic displacements near a
    strike-slip fault: a two-dimensional theory for general linear viscoelastic rheologies*,
    JGR 110, B10401 (Burgers body); Lambert & Barbot (2016), *Contribution of viscoelastic flow
    in earthquake cycles within the lithosphere-asthenosphere system*, GRL 43 (transient and
    steady-state creep in strain volumes).
    """

    mu_M: Float[Array, "*batch"]
    eta_M: Float[Array, "*batch"]
    mu_K: Float[Array, "*batch"]
    eta_K: Float[Array, "*batch"]

    n_state: ClassVar[int] = 2

    def __init__(self, mu_M: ArrayLike, eta_M: ArrayLike, mu_K: ArrayLike, eta_K: ArrayLike):
        self.mu_M, self.eta_M, self.mu_K, self.eta_K = _as_fields(
            mu_M=mu_M, eta_M=eta_M, mu_K=mu_K, eta_K=eta_K
        )

    def __check_init__(self):
        _check_fields(self, finite=("mu_M",), may_be_inf=("eta_M", "mu_K", "eta_K"))

    @property
    def mu0(self) -> Float[Array, "*batch"]:
        return self.mu_M

    @property
    def relaxed_mu(self) -> Float[Array, "*batch"]:
        # mu_M / (1 + mu_M/mu_K) is mu_M mu_K / (mu_M + mu_K) without inf/inf at mu_K = inf.
        sls = jnp.where(jnp.isinf(self.eta_K), self.mu_M, self.mu_M / (1 + self.mu_M / self.mu_K))
        return jnp.where(jnp.isinf(self.eta_M), sls, 0.0)

    def state_rate(
        self, state: Float[Array, " n_state *shape"], stress: Float[ArrayLike, "*shape"]
    ) -> Float[Array, " n_state *shape"]:
        stress = jnp.asarray(stress)
        eta_M, mu_K, eta_K = (
            jnp.broadcast_to(x, stress.shape) for x in (self.eta_M, self.mu_K, self.eta_K)
        )
        rate_M = stress / eta_M
        rate_K = _kelvin_rate(mu_K, eta_K, state[1], stress)
        dtype = jnp.result_type(state, rate_M, rate_K)
        return jnp.stack([rate_M.astype(dtype), rate_K.astype(dtype)])

    def relaxation(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        mu_M, eta_M, mu_K, eta_K, t = _broadcast(self.mu_M, self.eta_M, self.mu_K, self.eta_K, t)
        rigid = jnp.isinf(mu_K) | jnp.isinf(eta_K)
        maxwell = mu_M * jnp.exp(-(mu_M / eta_M) * t)
        # Double where: finite stand-ins for a rigid Kelvin element keep the two-mode branch
        # (and its gradient) free of inf/inf; the where below discards it.
        mu_K = jnp.where(rigid, 1.0, mu_K)
        eta_K = jnp.where(rigid, 1.0, eta_K)
        rK, rM, m = mu_K / eta_K, mu_M / eta_M, mu_M / eta_K
        p = rK + rM + m  # > 0: eta_K is finite here, so m > 0
        # Rates relative to p lie in [0, 1]: no overflow of squared rates in float32.
        xK, xM, xm = rK / p, rM / p, m / p
        sd = jnp.sqrt((xK - xM) ** 2 + xm * (xm + 2 * (xK + xM)))  # sqrt(D)/p >= xm > 0
        u = xK - xM - xm
        w = sd + jnp.abs(u)
        big = mu_M * w / (2 * sd)
        small = 2 * mu_M * xm * xK / (sd * w)
        a_fast = jnp.where(u >= 0, small, big)
        a_slow = jnp.where(u >= 0, big, small)
        r_fast = -p * (1 + sd) / 2
        r_slow = -p * (2 * xK * xM / (1 + sd))
        two_mode = a_fast * jnp.exp(r_fast * t) + a_slow * jnp.exp(r_slow * t)
        return jnp.where(rigid, maxwell, two_mode)

    def creep(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        mu_M, eta_M, mu_K, eta_K, t = _broadcast(self.mu_M, self.eta_M, self.mu_K, self.eta_K, t)
        return 1 / mu_M + t / eta_M + _kelvin_compliance(mu_K, eta_K, t)

    def modulus(self, s: Shaped[ArrayLike, "*#s"]) -> Shaped[Array, "..."]:
        mu_M, eta_M, mu_K, eta_K, s = _broadcast(self.mu_M, self.eta_M, self.mu_K, self.eta_K, s)
        # (1/eta_M)/s rather than 1/(eta_M s): exactly 0 for eta_M = inf, also for complex s.
        return 1 / (1 / mu_M + (1 / eta_M) / s + _kelvin_inverse_modulus(mu_K, eta_K, s))
