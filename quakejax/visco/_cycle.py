"""One entry point for the interseismic surface velocity: the diffrax solver or its emulator."""

from __future__ import annotations

import functools

import jax

from .._types import Array, ArrayLike, Float
from ._antiplane import CycleModel
from ._emulator import CycleEmulator
from ._mesh import AntiplaneMesh
from .base import AbstractRheology


@functools.lru_cache(maxsize=4)
def _pretrained(name: str) -> CycleEmulator:
    # Loaded eagerly even when first asked for inside a jit trace: the cache must not keep tracers.
    with jax.ensure_compile_time_eval():
        return CycleEmulator.pretrained(name)


def cycle_surface_velocity(
    x: Float[ArrayLike, "*x"],
    t: Float[ArrayLike, "*t"],
    *,
    H: Float[ArrayLike, ""],
    D: Float[ArrayLike, ""],
    T: Float[ArrayLike, ""],
    V: Float[ArrayLike, ""],
    layer_mu: Float[ArrayLike, ""],
    rheology: AbstractRheology,
    method: str = "solver",
    mesh: AntiplaneMesh | None = None,
    emulator: CycleEmulator | str = "burgers_cycle",
    on_outside: str = "warn",
) -> Float[Array, "*shape"]:
    """Cycle-invariant interseismic surface velocity of the antiplane cycle model, m/s.

    An infinitely long strike-slip fault, locked on `0 < z < D` and ruptured every `T` with slip
    `V T`, in an elastic layer of thickness `H` (shear modulus `layer_mu`) over a viscoelastic
    half-space (`rheology`).  Velocity at `x` (m from the fault, odd in `x`) and `t` (s since
    the last rupture, modulo `T`), relative to the fault (`+V/2` far away on the x > 0 side).

    **Arguments** (SI):

    - `x`, `t`: broadcast together.
    - `H`, `D`, `T`, `V`, `layer_mu`, `rheology`: as `CycleModel`.
    - `method`: `"solver"` (the strain-volume model integrated with diffrax, `CycleModel`) or
      `"emulator"` (the pretrained neural network, `CycleEmulator`: Burgers half-spaces with
      `layer_mu = mu_M`, in the box of its `domain`; thousands of times faster).
    - `mesh`: the solver's `AntiplaneMesh` (default mesh if `None`).
    - `emulator`: the name of a shipped emulator or a `CycleEmulator`.
    - `on_outside`: the emulator's policy for queries outside its domain: "warn", "error",
      "ignore".

    **Returns:** velocity, m/s, of the broadcast shape of `x` and `t`.

    Pure JAX: jit it (with `method` static, e.g. `jax.jit(f, static_argnames="method")` or
    `eqx.filter_jit`), vmap it over any argument, the fields of `rheology` included, and
    differentiate it.
    """
    if method == "solver":
        model = CycleModel(
            H=H, D=D, T=T, V=V, layer_mu=layer_mu, rheology=rheology, mesh=mesh or AntiplaneMesh()
        )
        return model.surface_velocity(x, t)
    if method == "emulator":
        net = _pretrained(emulator) if isinstance(emulator, str) else emulator
        if on_outside != net.on_outside:
            net = net.with_on_outside(on_outside)
        return net.bind(H=H, D=D, T=T, V=V, layer_mu=layer_mu, rheology=rheology).surface_velocity(
            x, t
        )
    raise ValueError(f"method must be 'solver' or 'emulator', got {method!r}")
