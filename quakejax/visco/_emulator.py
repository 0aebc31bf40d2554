"""A neural emulator of the antiplane Burgers earthquake-cycle model (`CycleModel`).

DeVries, Thompson & Meade (2017, GRL 44:2726) replaced a semi-analytic viscoelastic cycle code by
a small network of time, distance and rheology.  Here the network sees the scale-free groups of
`_emulator_data` and a few physics features, and predicts the difference between `v/V` and the
elastic-limit profile `atan(x/D)/pi`.
"""

import dataclasses
import json
import pathlib
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, ArrayLike, Float
from ._burgers import Burgers
from ._emulator_data import PARAMETERS, EmulatorDomain
from .base import AbstractRheology

WEIGHTS_DIR = pathlib.Path(__file__).parent / "weights"

#: Multipliers of the relaxation rates in the exponential time features.
_RATE_MULTIPLIERS = (0.3, 1.0, 3.0)
#: Number of network inputs: log10(x/D), t/T, 4 parameters, 3 rates x 3 multipliers.
N_FEATURES = 2 + len(PARAMETERS) + 3 * len(_RATE_MULTIPLIERS)


def features(
    x_over_D: Float[ArrayLike, ""],
    t_over_T: Float[ArrayLike, ""],
    params: Float[Array, "4"],
    domain: EmulatorDomain,
) -> Float[Array, " n_features"]:
    """Network inputs at one point: scaled `log10(x/D)`, `t/T`, scaled parameters, and
    `exp(-c a t/T)` for the dimensionless rates `a` = `tau_M`, `tau_K`, `tau_K mu_K/mu_M` and
    `c` in `_RATE_MULTIPLIERS`.

    The exponentials carry the fast early-postseismic decay that a smooth network of `t/T`
    alone would need many units to resolve.  `x_over_D > 0` (the caller uses oddness).
    """
    params = jnp.asarray(params)
    lo = jnp.asarray(domain.bounds[:, 0], params.dtype)
    hi = jnp.asarray(domain.bounds[:, 1], params.dtype)
    scaled = 2 * (params - lo) / (hi - lo) - 1
    # Python floats, not numpy scalars: those would promote float32 inputs to float64.
    lx0, lx1 = (float(np.log10(v)) for v in domain.x_over_D)
    xi = 2 * (jnp.log10(x_over_D) - lx0) / (lx1 - lx0) - 1
    tau_M, tau_K, ratio = 10 ** params[0], 10 ** params[1], 10 ** params[2]
    rates = jnp.stack([tau_M, tau_K, tau_K * ratio])
    c = jnp.asarray(_RATE_MULTIPLIERS, params.dtype)
    decays = jnp.exp(-(rates[:, None] * c[None, :]).reshape(-1) * t_over_T)
    return jnp.concatenate([jnp.stack([xi, 2 * t_over_T - 1]), scaled, decays])


class EmulatorNet(eqx.Module):
    """The multilayer perceptron (final): `N_FEATURES` inputs, `depth` hidden layers of `width`
    SiLU units, one output (the correction to `atan(x/D)/pi`, in units of `V`)."""

    layers: list[eqx.nn.Linear]

    def __init__(self, key, *, width: int = 128, depth: int = 5, dtype=None):
        sizes = [N_FEATURES] + [width] * depth + [1]
        keys = jax.random.split(key, len(sizes) - 1)
        self.layers = [
            eqx.nn.Linear(a, b, key=k, dtype=dtype)
            for a, b, k in zip(sizes[:-1], sizes[1:], keys, strict=True)
        ]

    def __call__(self, z: Float[Array, " n"]) -> Float[Array, ""]:
        for layer in self.layers[:-1]:
            z = jax.nn.silu(layer(z))
        return self.layers[-1](z)[0]


def scale_free(
    x, t, *, H, D, T, layer_mu, rheology: AbstractRheology
) -> tuple[Array, Array, Array, Array]:
    """`(|x|/D, t/T mod 1, params (..., 4), layer_mu/mu_M)` for a Burgers half-space.

    Inputs in SI (x, H, D in m; t, T in s; moduli in Pa; viscosities in Pa s); the outputs are
    dimensionless, `params` in the order of `PARAMETERS`.
    """
    if not isinstance(rheology, Burgers):
        raise TypeError(
            "the cycle emulator covers Burgers half-spaces only (a Maxwell body is "
            f"Burgers(mu_K=inf), outside its mu_K/mu_M box); got {type(rheology).__name__}"
        )
    mu_M, eta_M, mu_K, eta_K = rheology.mu_M, rheology.eta_M, rheology.mu_K, rheology.eta_K
    log_T = jnp.log10(T * mu_M / 2)
    params = jnp.stack(
        [log_T - jnp.log10(eta_M), log_T - jnp.log10(eta_K), jnp.log10(mu_K / mu_M), H / D],
        axis=-1,
    )
    return jnp.abs(x) / D, jnp.mod(t / T, 1.0), params, layer_mu / mu_M


def _outside(domain: EmulatorDomain, x_over_D, params, layer_ratio) -> Array:
    """True where a query lies outside `domain`, or is NaN (broadcast over the query)."""
    shape = (1,) * (params.ndim - 1) + (len(PARAMETERS),)
    lo = jnp.asarray(domain.bounds[:, 0], params.dtype).reshape(shape)
    hi = jnp.asarray(domain.bounds[:, 1], params.dtype).reshape(shape)
    # A little slack so that a box corner given in physical units is not rejected by rounding.
    slack = 1e-6 * (hi - lo)
    # Written as "not inside" so that NaN counts as outside.
    p_out = ~jnp.all((params >= lo - slack) & (params <= hi + slack), axis=-1)
    x_out = ~(
        (x_over_D >= domain.x_over_D[0] * (1 - 1e-6))
        & (x_over_D <= domain.x_over_D[1] * (1 + 1e-6))
    )
    l_out = ~(jnp.abs(layer_ratio / domain.layer_ratio - 1) <= domain.layer_tolerance)
    return p_out | x_out | l_out


def _warn_outside(flag) -> None:
    if bool(np.any(flag)):
        warnings.warn(
            "CycleEmulator: some queries lie outside the training domain (see "
            "CycleEmulator.domain); the emulator extrapolates there.  Use method='solver', or "
            "on_outside='error' to make this an error.",
            OutsideDomainWarning,
            stacklevel=2,
        )


class OutsideDomainWarning(UserWarning):
    """A `CycleEmulator` query outside the box it was trained on."""


class CycleEmulator(eqx.Module):
    """Neural emulator of `CycleModel.surface_velocity` for a Burgers half-space (final).

    Build it with `CycleEmulator.pretrained(H=..., D=..., T=..., V=..., layer_mu=...,
    rheology=Burgers(...))` (or `.pretrained()` then `.bind(...)`); then
    `emulator.surface_velocity(x, t)` returns the cycle-invariant surface velocity, m/s, at
    `x` (m from the fault) and `t` (s since the last rupture, modulo `T`), exactly like
    `CycleModel`.  Every parameter may be traced (jit, vmap and grad over all of them,
    including the rheology's fields).

    The network was trained on the box `domain` of dimensionless groups (`EmulatorDomain`).
    Outside it the answer is an extrapolation: `on_outside="warn"` (default) warns
    (`OutsideDomainWarning`, also under jit), `"error"` raises (through `eqx.error_if`), and
    `"ignore"` does neither.

    **Arguments:**

    - `net`: the `EmulatorNet`.
    - `domain`: its training box.
    - `info`: JSON text on how it was trained and how well it did.
    - `H`, `D`, `T`, `V`, `layer_mu`, `rheology`: as `CycleModel` (SI), or `None` until `bind`.
    - `on_outside`: "warn", "error" or "ignore".
    """

    net: EmulatorNet
    domain: EmulatorDomain = eqx.field(static=True)
    info: str = eqx.field(static=True, default="{}")
    H: Array | None = None
    D: Array | None = None
    T: Array | None = None
    V: Array | None = None
    layer_mu: Array | None = None
    rheology: Burgers | None = None
    on_outside: str = eqx.field(static=True, default="warn")

    def __check_init__(self):
        if self.on_outside not in ("warn", "error", "ignore"):
            raise ValueError(
                f"on_outside must be 'warn', 'error' or 'ignore', got {self.on_outside!r}"
            )
        if self.rheology is not None and not isinstance(self.rheology, Burgers):
            raise TypeError(
                "the cycle emulator covers Burgers half-spaces only; got "
                f"{type(self.rheology).__name__}"
            )

    def bind(self, *, H, D, T, V, layer_mu, rheology: Burgers) -> "CycleEmulator":
        """The same network with these model parameters (SI, as `CycleModel`)."""
        return eqx.tree_at(
            lambda e: (e.H, e.D, e.T, e.V, e.layer_mu, e.rheology),
            self,
            (
                jnp.asarray(H),
                jnp.asarray(D),
                jnp.asarray(T),
                jnp.asarray(V),
                jnp.asarray(layer_mu),
                rheology,
            ),
            is_leaf=lambda v: v is None,
        )

    def with_on_outside(self, on_outside: str) -> "CycleEmulator":
        """The same emulator with another out-of-domain policy."""
        return dataclasses.replace(self, on_outside=on_outside)

    def surface_velocity(
        self, x: Float[ArrayLike, "*x"], t: Float[ArrayLike, "*t"]
    ) -> Float[Array, "*shape"]:
        """Cycle-invariant surface velocity, m/s, at `x` (m), `t` (s since the last rupture).

        `x` and `t` broadcast.  As `CycleModel.surface_velocity`: relative to the fault, odd in
        `x`, `+V/2` far away on the x > 0 side.
        """
        if self.rheology is None:
            raise ValueError(
                "this CycleEmulator has no model parameters: call "
                ".bind(H=, D=, T=, V=, layer_mu=, rheology=) first"
            )
        return _surface_velocity(self, jnp.asarray(x), jnp.asarray(t))

    __call__ = surface_velocity

    def outside(self, x: Float[ArrayLike, "*x"]) -> Array:
        """True where a query at `x` (m) would lie outside the training domain."""
        xd, _, params, ratio = scale_free(
            jnp.asarray(x),
            0.0,
            H=self.H,
            D=self.D,
            T=self.T,
            layer_mu=self.layer_mu,
            rheology=self.rheology,  # type: ignore[arg-type]
        )
        return _outside(self.domain, xd, params, ratio)

    # ---- storage -------------------------------------------------------------------------
    def save(self, path) -> tuple[pathlib.Path, pathlib.Path]:
        """Write `<path>.eqx` (weights) and `<path>.json` (architecture, domain, card)."""
        path = pathlib.Path(path)
        first = self.net.layers[0]
        header = {
            "format": 1,
            "kind": "quakejax.visco.CycleEmulator",
            "width": first.out_features,
            "depth": len(self.net.layers) - 1,
            "dtype": str(first.weight.dtype),
            "domain": self.domain.to_json(),
            "card": json.loads(self.info),
        }
        weights, meta = path.with_suffix(".eqx"), path.with_suffix(".json")
        eqx.tree_serialise_leaves(weights, self.net)
        meta.write_text(json.dumps(header, indent=1) + "\n")
        return weights, meta

    @classmethod
    def load(cls, path, **params) -> "CycleEmulator":
        """Read an emulator written by `save`; `params` (H, D, T, V, layer_mu, rheology) bind it."""
        path = pathlib.Path(path)
        meta, weights = path.with_suffix(".json"), path.with_suffix(".eqx")
        for p in (meta, weights):
            if not p.exists():
                raise FileNotFoundError(f"{p}: no such emulator file.")
        try:
            header = json.loads(meta.read_text())
            if header.get("kind") != "quakejax.visco.CycleEmulator":
                raise ValueError(f"kind is {header.get('kind')!r}")
            dtype = np.dtype(header["dtype"])
            like = EmulatorNet(
                jax.random.PRNGKey(0),
                width=int(header["width"]),
                depth=int(header["depth"]),
                dtype=dtype,
            )
            domain = EmulatorDomain.from_json(header["domain"])
        except (KeyError, ValueError, TypeError) as err:
            raise ValueError(f"{meta}: not a quakejax cycle-emulator card ({err}).") from err
        try:
            net = eqx.tree_deserialise_leaves(weights, like)
        except Exception as err:  # equinox raises several types for a wrong file
            raise ValueError(f"{weights}: weights do not match {meta} ({err}).") from err
        emulator = cls(net, domain, json.dumps(header.get("card", {})))
        return emulator.bind(**params) if params else emulator

    @classmethod
    def pretrained(cls, name: str = "burgers_cycle", **params) -> "CycleEmulator":
        """The emulator shipped with quakejax (trained by `experiments/train_cycle_emulator.py`
        on diffrax `CycleModel` solves; its `info` says on what and how well).

        `params` (H, D, T, V, layer_mu, rheology), if given, bind it (see `bind`).
        """
        path = WEIGHTS_DIR / name
        if not path.with_suffix(".json").exists():
            have = sorted(p.stem for p in WEIGHTS_DIR.glob("*.json"))
            raise ValueError(f"no pretrained emulator {name!r}; available: {have}.")
        return cls.load(path, **params)


def network_velocity(net: EmulatorNet, domain: EmulatorDomain, x_over_D, t_over_T, params):
    """`v/V` for `x_over_D > 0`, one point (vmap to batch): `atan(x/D)/pi + net(features)`,
    computed in the precision of the inputs."""
    dtype = jnp.result_type(x_over_D, t_over_T, params)
    # The weights follow the inputs' precision (they are stored in float32).
    net = jax.tree_util.tree_map(lambda a: a.astype(dtype) if eqx.is_array(a) else a, net)
    z = features(x_over_D, t_over_T, params, domain)
    return jnp.arctan(x_over_D) / jnp.pi + net(z)


@eqx.filter_jit
def _surface_velocity(emulator: CycleEmulator, x, t):
    H, D, T, V, layer_mu = emulator.H, emulator.D, emulator.T, emulator.V, emulator.layer_mu
    dtype = jnp.result_type(x, t, H, D, T, V, layer_mu, emulator.rheology.mu_M)  # type: ignore[union-attr]
    if not jnp.issubdtype(dtype, jnp.floating):
        dtype = jnp.asarray(1.0).dtype
    x, t = x.astype(dtype), t.astype(dtype)
    shape = jnp.broadcast_shapes(x.shape, t.shape)
    x, t = jnp.broadcast_to(x, shape).reshape(-1), jnp.broadcast_to(t, shape).reshape(-1)
    xd, td, params, ratio = scale_free(
        x,
        t,
        H=H,
        D=D,
        T=T,
        layer_mu=layer_mu,
        rheology=emulator.rheology,  # type: ignore[arg-type]
    )
    if params.shape != (4,):
        raise ValueError(
            "CycleEmulator: H, D, T, layer_mu and the rheology's fields must be scalars here "
            f"(they give parameters of shape {params.shape[:-1]}); jax.vmap over them instead"
        )
    params = params.astype(dtype)
    if emulator.on_outside != "ignore":
        flag = jnp.any(_outside(emulator.domain, xd, params[None, :], ratio))
        if emulator.on_outside == "error":
            x = eqx.error_if(
                x, flag, "CycleEmulator: query outside the training domain (on_outside='error')"
            )
        else:
            jax.debug.callback(_warn_outside, flag)
    # v is odd in x; the network sees |x|/D (x = 0 gives 0 through the sign).
    safe = jnp.where(xd > 0, xd, 1.0)
    v = jax.vmap(network_velocity, in_axes=(None, None, 0, 0, None))(
        emulator.net, emulator.domain, safe, td, params
    )
    v = jnp.where(xd > 0, v, 0.0) * jnp.sign(x)
    return (V * v).reshape(shape)
