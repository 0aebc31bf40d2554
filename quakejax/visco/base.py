"""Abstract base of the scalar shear rheologies of `quakejax.visco`.

Convention shared by every rheology (and relied on by the strain-volume solver): one material
point in simple shear, with ENGINEERING shear strain `gamma` (twice the tensor strain) and
shear stress `sigma`, in SI units (Pa, Pa s, s).  A rheology with a finite instantaneous
modulus `mu0` is a spring `mu0` in series with inelastic elements, so that

    gamma = sigma / mu0 + sum_i g_i,

where `g_i` are the inelastic element strains.  They form the internal state, an array of shape
`(n_state, *shape)` for any batch shape of material points or strain components.  The closed
forms are the relaxation function `G(t)` (stress for a unit step of strain at t = 0), the
creep function `J(t)` (strain for a unit step of stress) and the s-multiplied Laplace modulus
`mu(s) = s L[G](s)`, with `mu(s) s L[J](s) = 1` (Hetland & Hager 2005, JGR 110, B10401).
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, ArrayLike, Float, Shaped


class AbstractRheology(eqx.Module):
    """A linear viscoelastic shear rheology of one material point (abstract).

    All quantities use the engineering shear strain `gamma` (= 2 x tensor strain) and the
    shear stress `sigma` (Pa); times in s, moduli in Pa, viscosities in Pa s.  The fields of a
    concrete rheology are JAX arrays of one floating dtype and one (broadcast) batch shape, so
    a rheology can be vmapped over its fields and differentiated with respect to them; the
    dtype of every output follows the fields and the inputs.

    The internal state is the stack of inelastic element strains, shape `(n_state, *shape)`;
    `state_rate` is the right-hand side of its ODE for a given stress.  Fields of shape `p`
    broadcast (numpy rules, explicitly) against the argument shapes of every method.

    The closed forms take finite `t >= 0` and `Re(s) > 0`.  In float32 they agree with
    float64 to ~2e-6 relative for `|rate * t| <= 10` (measured over the test cases; the error
    grows like `|rate * t|` times the float32 rounding of `t`).
    """

    n_state: eqx.AbstractClassVar[int]

    @property
    @abc.abstractmethod
    def mu0(self) -> Float[Array, "*batch"]:
        """Instantaneous (unrelaxed) shear modulus `G(0+)`, Pa; `inf` without a series spring."""

    @property
    @abc.abstractmethod
    def relaxed_mu(self) -> Float[Array, "*batch"]:
        """Long-time (relaxed) shear modulus `G(inf)`, Pa; 0 for a fluid (Maxwell, Burgers)."""

    @abc.abstractmethod
    def state_rate(
        self, state: Float[Array, " n_state *shape"], stress: Float[ArrayLike, "*shape"]
    ) -> Float[Array, " n_state *shape"]:
        """Time derivative of the inelastic element strains at a given shear stress.

        **Arguments:**

        - `state`: inelastic element strains (engineering shear strain), `(n_state, *shape)`.
        - `stress`: shear stress at each point, Pa, of shape `state.shape[1:]`.

        **Returns:** `d state / dt`, 1/s, same shape as `state`.
        """

    @abc.abstractmethod
    def relaxation(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        """Relaxation function `G(t)`: shear stress (Pa) for a unit step of engineering shear
        strain applied at `t = 0`.

        **Arguments:** `t`, time since the step, s (finite, `t >= 0`), any shape.

        **Returns:** `G(t)`, Pa, of the broadcast shape of `t` and the fields.
        """

    @abc.abstractmethod
    def creep(self, t: Shaped[ArrayLike, "*#t"]) -> Float[Array, "..."]:
        """Creep function `J(t)`: engineering shear strain for a unit step of shear stress
        (1 Pa) applied at `t = 0`.

        **Arguments:** `t`, time since the step, s (finite, `t >= 0`), any shape.

        **Returns:** `J(t)`, 1/Pa, of the broadcast shape of `t` and the fields.
        """

    @abc.abstractmethod
    def modulus(self, s: Shaped[ArrayLike, "*#s"]) -> Shaped[Array, "..."]:
        """s-multiplied Laplace transform of the relaxation function, `mu(s) = s L[G](s)`.

        **Arguments:** `s`, Laplace variable, 1/s, real or complex with `Re(s) > 0`, any
        shape.

        **Returns:** `mu(s)`, Pa, real for real `s` and complex for complex `s`, of the
        broadcast shape of `s` and the fields.
        """

    def init_state(
        self, shape: int | tuple[int, ...] = (), dtype=None
    ) -> Float[Array, " n_state *shape"]:
        """The relaxed initial state: zero inelastic strain.

        **Arguments:**

        - `shape`: batch shape of the material points / strain components.
        - `dtype`: floating dtype; default the dtype of the fields.

        **Returns:** zeros of shape `(n_state, *shape)`.
        """
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if dtype is None:
            dtype = jnp.result_type(*jax.tree_util.tree_leaves(self))
        return jnp.zeros((self.n_state, *shape), dtype)

    def inelastic_strain(self, state: Float[Array, " n_state *shape"]) -> Float[Array, "*shape"]:
        """Total inelastic (engineering shear) strain: the sum of the element strains.

        **Arguments:** `state`, `(n_state, *shape)`.

        **Returns:** `(*shape)`; zeros when `n_state == 0`.
        """
        return jnp.sum(state, axis=0)


# -- helpers shared by the concrete rheologies (private) ----------------------------------


def _is_concrete(*xs) -> bool:
    """True when no argument is a JAX tracer, so that values can be checked eagerly."""
    return not any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(xs))


def _as_fields(**values) -> tuple[Array, ...]:
    """Fields as floating JAX arrays of one dtype and one broadcast shape.

    One dtype so that `init_state` and every output have the dtype of the inputs (a Python
    float is weakly typed and follows a float32 array); one shape so that `jax.vmap` can map
    the module over axis 0 of every field.
    """
    arrays = [jnp.asarray(v) for v in values.values()]
    for name, a in zip(values, arrays, strict=True):
        if not (jnp.issubdtype(a.dtype, jnp.floating) or jnp.issubdtype(a.dtype, jnp.integer)):
            raise TypeError(f"{name}: expected a real number or array, got dtype {a.dtype}.")
    dtype = jnp.result_type(*arrays)
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.result_type(float)
    try:
        arrays = jnp.broadcast_arrays(*arrays)
    except ValueError as err:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(values, arrays, strict=True))
        raise ValueError(f"fields do not broadcast together: {shapes}.") from err
    return tuple(a.astype(dtype) for a in arrays)


def _check_fields(module, finite: tuple[str, ...], may_be_inf: tuple[str, ...] = ()) -> None:
    """Eager check that the named fields are > 0 and not NaN, finite unless `may_be_inf`.

    Skipped for traced fields (inside jit/vmap/grad), where the values are not known.
    """
    names = finite + may_be_inf
    if not _is_concrete(*(getattr(module, n) for n in names)):
        return
    cls = type(module).__name__
    for name in names:
        a = np.asarray(getattr(module, name))
        for bad, why in (
            (np.isnan(a), "is NaN"),
            (~(a > 0) & ~np.isnan(a), "must be > 0"),
            (np.isinf(a) if name in finite else np.zeros(a.shape, bool), "must be finite"),
        ):
            if bad.any():
                where = "" if a.ndim == 0 else f" at index {tuple(map(int, np.argwhere(bad)[0]))}"
                value = float(a[bad].reshape(-1)[0])
                raise ValueError(f"{cls}: {name} {why}, got {value}{where}.")


def _broadcast(*xs) -> tuple[Array, ...]:
    """Explicit numpy broadcasting (the tests forbid implicit rank promotion)."""
    return tuple(jnp.broadcast_arrays(*(jnp.asarray(x) for x in xs)))


def _kelvin_compliance(mu_K, eta_K, t):
    """Creep of a Kelvin-Voigt element, `(1 - exp(-mu_K t / eta_K)) / mu_K`, 1/Pa.

    A rigid element (`mu_K` or `eta_K` infinite) never strains: 0, through a double `where` so
    that neither the value nor the gradient sees `inf / inf`.
    """
    rigid = jnp.isinf(mu_K) | jnp.isinf(eta_K)
    mu_s = jnp.where(rigid, 1.0, mu_K)
    eta_s = jnp.where(rigid, 1.0, eta_K)
    return jnp.where(rigid, 0.0, -jnp.expm1(-(mu_s / eta_s) * t) / mu_s)


def _kelvin_rate(mu_K, eta_K, g, sigma):
    """Strain rate `(sigma - mu_K g) / eta_K` of a Kelvin-Voigt element, 0 when rigid."""
    rigid = jnp.isinf(mu_K) | jnp.isinf(eta_K)
    mu_s = jnp.where(rigid, 1.0, mu_K)
    eta_s = jnp.where(rigid, 1.0, eta_K)
    return jnp.where(rigid, 0.0, (sigma - mu_s * g) / eta_s)


def _kelvin_inverse_modulus(mu_K, eta_K, s):
    """`1 / (mu_K + eta_K s)`, 1/Pa, real or complex; 0 for a rigid element."""
    rigid = jnp.isinf(mu_K) | jnp.isinf(eta_K)
    mu_s = jnp.where(rigid, 1.0, mu_K)
    eta_s = jnp.where(rigid, 1.0, eta_K)
    return jnp.where(rigid, 0.0, 1.0 / (mu_s + eta_s * s))
