"""Shared constants and gradient-safe helpers of the Okada (1992) kernels."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

# DC3D's snapping threshold, in the units of the inputs (m if you work in m).
# Coordinates closer than EPS to an edge line are put exactly on it, as DC3D does.
EPS = 1.0e-6
TWO_PI = 2.0 * np.pi

#: Status codes returned by `dc3d(..., return_status=True)` (the IRET of DC3D).
STATUS_OK = 0
STATUS_SINGULAR = 1  # on a fault edge (DC3D) or at the point source (DC3D0): zeros returned
STATUS_ABOVE_SURFACE = 2  # z > 0: outside the half-space, NaN returned


def snap(v, eps=EPS):
    """Set |v| < eps to exactly zero, as DC3D does, but keep dv/dv = 1.

    `v - stop_gradient(v)` is exactly 0.0 in value, so the singular-point rules of DC3D
    see a true zero, while forward- and reverse-mode derivatives still flow through.
    """
    return jnp.where(jnp.abs(v) < eps, v - jax.lax.stop_gradient(v), v)


def dip_constants(dip):
    """sin and cos of the dip (degrees), with DC3D's vertical snapping (|cos| < 1e-6 -> 0)."""
    rad = jnp.deg2rad(dip)
    sd = jnp.sin(rad)
    cd = jnp.cos(rad)
    vertical = jnp.abs(cd) < EPS
    # Exact values 0 and +-1 at a vertical dip, as DC3D, with the derivative kept.
    cd = jnp.where(vertical, cd - jax.lax.stop_gradient(cd), cd)
    sd = jnp.where(vertical, jnp.sign(sd) + (sd - jax.lax.stop_gradient(sd)), sd)
    return sd, cd


def alpha_constants(alpha):
    """ALP1..ALP5 of DC3D's DCCON0 for alpha = (lambda + mu) / (lambda + 2 mu)."""
    return (1.0 - alpha) / 2.0, alpha / 2.0, (1.0 - alpha) / alpha, 1.0 - alpha, alpha


def safe(cond, x, fill=1.0):
    """First half of the double-`where` pattern: replace x by a harmless value where cond."""
    return jnp.where(cond, fill, x)


def okada_to_enu(out, s, c) -> list:
    """DC3D's 12 outputs in Okada's frame (indexable: u_x, u_y, u_z, then the derivatives
    column by column) -> 12 values in ENU: u_e, u_n, u_u, then grad[i][j] = d u_i / d x_j
    row by row.  Units are those of `out` (m, and m/m for the gradient, in quakejax).

    Okada's x axis is (s, c, 0) in ENU and its y axis (-c, s, 0), with s, c the sine and
    cosine of the strike; z is shared.  Written out elementwise (no dot products and no
    stacking), so that it fuses with the kernel and also runs inside a Pallas kernel.
    """
    ux, uy, uz = out[0], out[1], out[2]
    g = [[out[3 + 3 * j + i] for j in range(3)] for i in range(3)]  # Okada's frame
    u = [s * ux - c * uy, c * ux + s * uy, uz]
    # Rotate the component index (rows), then the derivative index (columns).
    rows = [
        [s * g[0][j] - c * g[1][j] for j in range(3)],
        [c * g[0][j] + s * g[1][j] for j in range(3)],
        [g[2][j] for j in range(3)],
    ]
    grad = []
    for r in rows:
        grad += [s * r[0] - c * r[1], c * r[0] + s * r[1], r[2]]
    return u + grad


def is_concrete(*xs) -> bool:
    """True when none of the arguments is a JAX tracer (so they can be checked eagerly)."""
    return not any(isinstance(x, jax.core.Tracer) for x in jax.tree_util.tree_leaves(xs))


# On the CPU, LLVM's most expensive optimisation passes make the (very large, fully unrolled)
# Okada kernels about 2-3x *slower* and take longer to compile; measured on x86-64 with AVX2
# (benchmarks/okada_throughput.py).  Only the outermost jit's options count: a kernel called
# inside a user's own jit is compiled with that jit's options.
CPU_COMPILER_OPTIONS = {"xla_llvm_disable_expensive_passes": True}


def step_size(value, cpu: int, accelerator: int, arg: str) -> int:
    """A vectorised step size (a count of points, pairs or cuboids per step): `value`, checked
    to be a positive integer (the error names the argument `arg`), or, when None, `cpu` or
    `accelerator` after JAX's default backend."""
    if value is None:
        return cpu if jax.default_backend() == "cpu" else accelerator
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{arg} must be a positive integer or None, got {value!r}")
    return int(value)


def backend_jit(fn=None, **jit_kwargs):
    """`jax.jit` that adds `CPU_COMPILER_OPTIONS` when running on the CPU backend."""
    if fn is None:
        return lambda f: backend_jit(f, **jit_kwargs)
    plain = jax.jit(fn, **jit_kwargs)
    cpu = jax.jit(fn, compiler_options=CPU_COMPILER_OPTIONS, **jit_kwargs)

    def call(*args, **kwargs):
        # Options are only allowed on a top-level jit: inside a trace, use the plain one.
        top_level = is_concrete(args, kwargs) and jax.default_backend() == "cpu"
        return (cpu if top_level else plain)(*args, **kwargs)

    def lower(*args, **kwargs):
        # The jit that a top-level call on this backend uses: compiling it ahead
        # (`.lower(...).compile()`) serves that later call.
        return (cpu if jax.default_backend() == "cpu" else plain).lower(*args, **kwargs)

    call.__wrapped__ = fn
    call.__doc__ = fn.__doc__
    call.lower = lower
    return call
