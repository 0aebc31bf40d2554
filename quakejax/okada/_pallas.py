"""A Pallas (Triton) kernel for the summed Okada fields on GPUs: `implementation="pallas"`.

The XLA path (`_fields._summed_fields`) evaluates a block of (patch, point) pairs as one
vectorised expression and sums over the patch axis.  On a GPU XLA splits the large DC3D
expression into many fusions and writes their intermediate arrays to memory; in float32 that
memory traffic, not arithmetic, limits it (the kernel below is 4.6x faster on an H100, see
docs/benchmarks.md; in float64 the arithmetic limits both).  Here one GPU program takes `block`
points, loops over all patches and keeps everything (the 12 running sums included) in
registers: the only memory traffic is reading the points and patches and writing 12 numbers
per point.

The formulas are the same code as the XLA path (`_dc3d._dc3d_rows`), traced once more
inside the kernel, so the two agree to rounding.  The kernel is forward only; its
reverse-mode derivative is that of the XLA path (a `custom_vjp`), so gradients are exact and
identical to `implementation="xla"`, and cost what they cost there.  Forward-mode
differentiation (`jax.jvp`, `jax.jacfwd`) is not available through it.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl

from ._common import TWO_PI, okada_to_enu
from ._dc3d import _dc3d_rows

# Rows of the patch table read by the kernel (one column per patch).
_PARAM_ROWS = (
    "east",
    "north",
    "depth",
    "sin",
    "cos",
    "dip",
    "half_length",
    "half_width",
    "slip_strike",
    "slip_dip",
    "slip_opening",
    "alpha",
)
_N_ROWS = 16  # padded to a power of two, as Triton's tensors require

#: Points per GPU program, and warps per program, unless given.
DEFAULT_BLOCK = 128
DEFAULT_NUM_WARPS = 4


def _patch_table(params, alpha, dtype):
    """(16, m_pad) table of the patch parameters (rows `_PARAM_ROWS`), m_pad a power of 2."""
    m = params["dip"].shape[0]
    cols = [
        params["east"],
        params["north"],
        params["depth"],
        params["sin"],
        params["cos"],
        params["dip"],
        params["half_length"],
        params["half_width"],
        params["slip"][:, 0],
        params["slip"][:, 1],
        params["slip"][:, 2],
        jnp.broadcast_to(alpha, (m,)),
    ]
    table = jnp.stack([jnp.asarray(c, dtype) for c in cols])
    m_pad = 1 << max(0, (m - 1).bit_length())
    return jnp.pad(table, ((0, _N_ROWS - len(cols)), (0, m_pad - m)))


def _kernel(e_ref, n_ref, z_ref, table_ref, *out_refs, n_patch: int, tensile: bool):
    e, n, z = e_ref[...], n_ref[...], z_ref[...]

    def body(i, acc):
        p = {name: table_ref[k, i] for k, name in enumerate(_PARAM_ROWS)}
        s, c = p["sin"], p["cos"]
        de, dn = e - p["east"], n - p["north"]
        x, y = de * s + dn * c, -de * c + dn * s  # along strike, to the left of strike
        hl, hw = p["half_length"], p["half_width"]
        rows, singular, _ = _dc3d_rows(
            x, y, z, p["alpha"], p["depth"], p["dip"], -hl, hl, -hw, hw, tensile
        )
        slips = (p["slip_strike"], p["slip_dip"], p["slip_opening"])
        out = []
        for j in range(12):
            v = slips[0] * rows[0][j]
            for k in range(1, len(rows)):
                v = v + slips[k] * rows[k][j]
            out.append(jnp.where(singular, 0.0, v))
        return tuple(a + b for a, b in zip(acc, okada_to_enu(out, s, c), strict=True))

    zero = jnp.zeros_like(e)
    acc = jax.lax.fori_loop(0, n_patch, body, (zero,) * 12)
    above = z > 0.0
    for ref, v in zip(out_refs, acc, strict=True):
        ref[...] = jnp.where(above, jnp.nan, v * (1.0 / TWO_PI))


def prepare() -> None:
    """Import the Pallas modules that register JAX configuration options on first use.

    Pallas's interpreter imports its fuser on the first lowering, which registers a
    configuration option that is part of JAX's tracing context; a jit traced before that
    would then miss its cache once more.  Called eagerly before the first trace.
    """
    try:
        import jax.experimental.pallas.fuser  # noqa: F401
    except ImportError:  # pragma: no cover - other JAX versions
        pass


def _compiler_params(num_warps):
    from jax.experimental.pallas import triton as pl_triton

    return pl_triton.CompilerParams(num_warps=num_warps, num_stages=1)


def _pallas_forward(points, table, *, n_patch, tensile, block, num_warps, interpret):
    n = points.shape[0]
    n_pad = math.ceil(n / block) * block
    if n_pad != n:
        points = jnp.concatenate([points, jnp.repeat(points[-1:], n_pad - n, axis=0)])
    coords = [points[:, k] for k in range(3)]
    point_spec = pl.BlockSpec((block,), lambda i: (i,))
    table_spec = pl.BlockSpec(table.shape, lambda i: (0, 0))
    kwargs = {} if interpret else {"compiler_params": _compiler_params(num_warps)}
    outs = pl.pallas_call(
        functools.partial(_kernel, n_patch=n_patch, tensile=tensile),
        out_shape=tuple(jax.ShapeDtypeStruct((n_pad,), points.dtype) for _ in range(12)),
        grid=(n_pad // block,),
        in_specs=[point_spec] * 3 + [table_spec],
        out_specs=tuple(point_spec for _ in range(12)),
        interpret=interpret,
        **kwargs,
    )(*coords, table)
    flat = jnp.stack(outs, axis=-1)[:n]
    return flat[:, :3], flat[:, 3:].reshape(n, 3, 3)


def pallas_summed_fields(
    points,
    params,
    alpha,
    *,
    tensile: bool,
    block: int = DEFAULT_BLOCK,
    num_warps: int = DEFAULT_NUM_WARPS,
    interpret: bool | None = None,
    xla_fields=None,
):
    """u (n, 3) and grad (n, 3, 3) summed over the patches, by the Pallas kernel.

    `interpret=None` runs Pallas's interpreter on backends other than GPUs (slow; for tests
    on the CPU).  `xla_fields(points, params, alpha)` is the XLA implementation, used for
    the reverse-mode derivative.
    """
    if block < 16 or block & (block - 1):
        raise ValueError(f"block must be a power of two >= 16; got {block}")
    if interpret is None:
        interpret = jax.default_backend() != "gpu"
    n_patch = params["dip"].shape[0]
    forward = functools.partial(
        _pallas_forward,
        n_patch=n_patch,
        tensile=tensile,
        block=block,
        num_warps=num_warps,
        interpret=interpret,
    )

    @jax.custom_vjp
    def fields(points, params, alpha):
        return forward(points, _patch_table(params, alpha, points.dtype))

    def fwd(points, params, alpha):
        return fields(points, params, alpha), (points, params, alpha)

    def bwd(res, ct):
        _, pullback = jax.vjp(xla_fields, *res)
        return pullback(ct)

    fields.defvjp(fwd, bwd)
    return fields(points, params, alpha)
