"""Displacement, strain and stress of a `FaultModel` at many points (ENU frame).

Each (point, patch) pair is one call of the DC3D kernel.  Pairs are batched with `vmap`, summed
over patches, chunked with `lax.map` / `lax.scan` so that memory stays bounded, and split over
all visible devices with `shard_map` when there is more than one.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero
from jax.sharding import Mesh, PartitionSpec

from .._fault import FaultModel
from .._types import Array, ArrayLike, Float
from ..stress._tensor import strain_from_gradient, stress_from_gradient
from . import _pallas
from ._common import backend_jit, is_concrete, okada_to_enu, step_size
from ._dc3d import _dc3d_point, _dc3d_unit

# Pairs (points x patches) evaluated together in one vectorised block, an upper bound.  On a
# CPU a block holds one patch and at most about CPU_POINT_BLOCK points (below), and a
# `lax.scan` runs over the patches: measured on one core of the 2-core x86-64 CPU (float64,
# 2026-11-28), 100 patches x 4,000 points ran at 2.2 M pairs/s that way, against 1.6 M with
# all 100 patches in one block of 81 points (8k pairs), 1.4 M with 2 or 4 patches per block
# and 1.3 M with 10; 1,000 patches x 100 points at 2.0 M against 1.5 M; x 40 points 1.7 M
# against 0.9 M; x 4 points 1.2 M against 1.0 M.  With fewer than CPU_SCAN_MIN_POINTS points,
# and on accelerators, the patches are put side by side in a block of up to this many pairs
# (1,000 patches x 1 point: 0.73 M pairs/s, against 0.45 M one patch at a time).
DEFAULT_PAIRS_PER_BLOCK = 2**13
CPU_SCAN_MIN_POINTS = 4
# On a CPU the derivatives (forward mode, and reverse mode through it) of faults of 2 to this
# many patches are taken through another layout: all the patches side by side in blocks of
# about CPU_POINT_BLOCK pairs, with no scan (`_scanned_with_block_derivatives`).  Reverse mode
# through the scan stores the kernel's per-slip-type outputs as residuals, and XLA's CPU
# backend compiles that program slowly: `jax.grad` of a stress misfit with respect to slip
# (`benchmarks/okada_block_layout.py --grad`, two cores, float64, 2026-11-29) compiled and
# ran once in 9.5 s through the shared blocks against 48.3 s through the scan for 2 patches x
# 200 points, and in 18.0 s against 43.7 s for 8 patches.  The values keep the scan, which
# runs faster (same script, one core, 20,000 points, best of 8: 2 patches 1.65 against 1.30
# M pairs/s, 4 patches 2.07 against 1.68, 8 patches 2.19 against 1.74).  The compiled
# gradient runs as fast or faster through the shared blocks at these sizes (x 4,000 points:
# 0.011 s against 0.013 s for 2 patches, 0.046 s against 0.065 s for 8).  Larger faults keep
# the scan for both: at 186 patches x 4,000 points (5 points per shared block) the first
# call took 20.1 s against 74.3 s, but each later one 2.49 s against 1.37 s, and a fit makes
# many.
CPU_BLOCK_MAX_PATCHES = 8
# On an accelerator each block is a kernel launch: the Okada benchmark's fastest setting on an
# H100 (100 patches x 1e6 points, float32 and float64).
ACCELERATOR_PAIRS_PER_BLOCK = 2**22
# On a CPU a block holds at most about this many points (`_cpu_point_block`).  XLA's CPU
# loops run at half speed or less when a block's arrays are a multiple of 4 KiB long
# (a power-of-two number of pairs): its many intermediate arrays then fall on the same
# L1-cache sets.  Measured on one core of the 2-core CPU (float64, 2026-11-27), one patch:
# 1.75 M pairs/s with 1,000 points per block against 0.89 M with 1,024, 0.86 M with 512,
# 0.83 M with 2,048 and 0.89 M with 8,191 (too large for the caches).  Such blocks run on one
# thread; a multi-core CPU is used through several XLA host devices (`jax_num_cpu_devices`),
# over which the points are sharded.
CPU_POINT_BLOCK = 1000


def _pairs_per_block(value) -> int:
    """`value`, or `DEFAULT_PAIRS_PER_BLOCK` on a CPU and `ACCELERATOR_PAIRS_PER_BLOCK` on
    other backends when None."""
    return step_size(value, DEFAULT_PAIRS_PER_BLOCK, ACCELERATOR_PAIRS_PER_BLOCK, "pairs_per_block")


def alpha_from(nu=None, *, mu=None, lam=None):
    """Okada's alpha = (lambda + mu)/(lambda + 2 mu) from Poisson's ratio or Lame constants."""
    if lam is not None and mu is not None:
        return (lam + mu) / (lam + 2.0 * mu)
    if nu is None:
        nu = 0.25
    return 1.0 / (2.0 * (1.0 - nu))


def _patch_params(fault: FaultModel, xp=jnp):
    """Per-patch DC3D inputs: centroid east, north and depth (m, depth positive down), sine
    and cosine of the strike, dip (deg), half length and half width (m), slip (m).

    `xp=np` builds them in numpy: no per-shape compilation of eager jnp ops, for callers
    that evaluate many differently sized faults (quakejax.aftershocks).
    """
    phi = xp.deg2rad(xp.asarray(fault.strike))
    c = xp.asarray(fault.centroid)
    return {
        "east": c[:, 0],
        "north": c[:, 1],
        "depth": -c[:, 2],
        "sin": xp.sin(phi),
        "cos": xp.cos(phi),
        "dip": xp.asarray(fault.dip),
        "half_length": 0.5 * xp.asarray(fault.length),
        "half_width": 0.5 * xp.asarray(fault.width),
        "slip": xp.asarray(fault.slip),
    }


def _rotate_to_enu(out, s, c):
    """DC3D's 12 outputs in Okada's frame -> u (3,) and grad (3, 3) in ENU (`okada_to_enu`)."""
    v = okada_to_enu(out, s, c)
    grad = jnp.stack(v[3:])
    return jnp.stack(v[:3]), grad.reshape((3, 3) + grad.shape[1:])


def _okada_coords(point, patch):
    s, c = patch["sin"], patch["cos"]
    de = point[0] - patch["east"]
    dn = point[1] - patch["north"]
    return de * s + dn * c, -de * c + dn * s  # along strike, to the left of strike


def _pair(point, patch, alpha, tensile=True, vertical=True, pack=False):
    """u (3,) and grad (3, 3) in ENU at one point due to one patch (`pack`: see
    `_dc3d._pack_pairs`)."""
    x, y = _okada_coords(point, patch)
    hl, hw = patch["half_length"], patch["half_width"]
    slip = patch["slip"]
    out, _ = _dc3d_point(
        x,
        y,
        point[2],
        alpha,
        patch["depth"],
        patch["dip"],
        -hl,
        hl,
        -hw,
        hw,
        (slip[0], slip[1], slip[2]),
        tensile=tensile,
        vertical=vertical,
        pack=pack,
    )
    return _rotate_to_enu(out, patch["sin"], patch["cos"])


def _pad_patches(params, n_chunks, chunk):
    """Pad to n_chunks * chunk patches by repeating patch 0 with zero slip (adds exactly 0)."""
    n = params["dip"].shape[0]
    extra = n_chunks * chunk - n
    if extra == 0:
        return params
    out = {}
    for k, v in params.items():
        fill = jnp.zeros_like(v[:1]) if k == "slip" else v[:1]
        out[k] = jnp.concatenate([v, jnp.repeat(fill, extra, axis=0)], axis=0)
    return out


def _blocks(points, block):
    """(n, 3) -> (n_blocks, block, 3), padding with copies of the last point."""
    n = points.shape[0]
    n_blocks = math.ceil(n / block)
    pad = n_blocks * block - n
    if pad:
        points = jnp.concatenate([points, jnp.repeat(points[-1:], pad, axis=0)], axis=0)
    return points.reshape(n_blocks, block, 3)


def _max_point_block() -> int | None:
    """The point limit of a block: `CPU_POINT_BLOCK` when JAX's default backend is the CPU,
    None (no limit) on accelerators."""
    return CPU_POINT_BLOCK if jax.default_backend() == "cpu" else None


def _cpu_point_block(n: int, limit: int, patches: int, itemsize: int) -> int:
    """Points per block on a CPU: at most about `limit`, in near-equal blocks (little
    padding).  From 32 points up, the first of the next 8 counts for which a block's arrays
    (`patches` x points x `itemsize` bytes) span an odd number of 64-byte cache lines (or
    the fewest factors of 2 in that number), so that XLA's many intermediate arrays do not
    fall on the same L1-cache sets (see `CPU_POINT_BLOCK`).  Shorter point axes stay as they
    are: there a length off the vector width costs more (1,000 patches x 9 points per block
    ran at 0.75 M pairs/s on one core, x 8 at 1.8 M)."""
    n_blocks = math.ceil(max(n, 1) / limit)
    block = math.ceil(n / n_blocks)
    if block < 32:
        return block

    def twos(b):  # times 2 divides the number of cache lines: 0 is best
        lines = math.ceil(patches * b * itemsize / 64)
        return (lines & -lines).bit_length() - 1

    # When patches x itemsize is a multiple of 128 bytes no count is odd; take the fewest 2s.
    return min(range(block, block + 8), key=twos)


def _summed_fields(
    points, params, alpha, pairs_per_block, tensile, vertical=True, max_point_block=None
):
    """u (n, 3) and grad (n, 3, 3) summed over all patches, chunked in both directions.

    Within a block the point index is the minor (vectorised) axis, so that a single patch
    vectorises as well as many.  With `max_point_block` (CPUs) and at least
    `CPU_SCAN_MIN_POINTS` points, a block holds one patch and at most about that many points
    (and `pairs_per_block`), a count chosen by `_cpu_point_block`, and `lax.scan` sums the
    patches.  Otherwise the patches that fit `pairs_per_block` share a block.  Derivatives
    of a scan over at most `CPU_BLOCK_MAX_PATCHES` patches are taken through shared blocks
    instead (`_scanned_with_block_derivatives`): same values, a smaller program.
    """
    n, n_patch = points.shape[0], params["dip"].shape[0]
    static = (pairs_per_block, tensile, vertical, max_point_block)
    scanned = max_point_block is not None and n >= CPU_SCAN_MIN_POINTS
    if scanned and 1 < n_patch <= CPU_BLOCK_MAX_PATCHES:
        return _scanned_with_block_derivatives(static, points, params, alpha)
    return _summed_fields_layout(points, params, alpha, *static, shared=not scanned)


def _summed_fields_layout(
    points, params, alpha, pairs_per_block, tensile, vertical, max_point_block, *, shared
):
    """`_summed_fields` with the scan over single patches (`shared=False`, CPUs only) or
    with the patches side by side in each block (`shared=True`): on a CPU blocks of about
    `max_point_block` pairs, elsewhere the patches that fit `pairs_per_block`."""
    n, n_patch = points.shape[0], params["dip"].shape[0]
    itemsize = points.dtype.itemsize
    if max_point_block is not None and not shared:
        point_block = _cpu_point_block(n, min(max_point_block, pairs_per_block), 1, itemsize)
        patch_chunk = 1
    elif max_point_block is not None and n >= CPU_SCAN_MIN_POINTS:
        limit = max(1, min(max_point_block, pairs_per_block) // n_patch)
        point_block = _cpu_point_block(n, limit, n_patch, itemsize)
        patch_chunk = n_patch
    else:
        point_block = max(8, pairs_per_block // n_patch)
        patch_chunk = min(n_patch, max(1, pairs_per_block // point_block))
    point_block = min(n, point_block)
    n_chunks = math.ceil(n_patch / patch_chunk)
    params = _pad_patches(params, n_chunks, patch_chunk)
    chunked = jax.tree_util.tree_map(
        lambda v: v.reshape((n_chunks, patch_chunk) + v.shape[1:]), params
    )
    pack = max_point_block is not None  # XLA's CPU backend (`_dc3d._pack_pairs`)
    pair = lambda p, prm: _pair(p, prm, alpha, tensile, vertical, pack)  # noqa: E731
    # (patches, points) with points minor.
    grid = jax.vmap(jax.vmap(pair, in_axes=(0, None)), in_axes=(None, 0))

    def one_block(pts):
        def body(acc, chunk):
            u, g = grid(pts, chunk)
            return (acc[0] + u.sum(0), acc[1] + g.sum(0)), None

        init = (jnp.zeros((pts.shape[0], 3), pts.dtype), jnp.zeros((pts.shape[0], 3, 3), pts.dtype))
        if n_chunks == 1:
            return body(init, jax.tree_util.tree_map(lambda v: v[0], chunked))[0]
        return jax.lax.scan(body, init, chunked)[0]

    u, g = jax.lax.map(one_block, _blocks(points, point_block))
    return u.reshape(-1, 3)[:n], g.reshape(-1, 3, 3)[:n]


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _scanned_with_block_derivatives(static, points, params, alpha):
    """The CPU's scan over single patches for the values; its derivatives (forward mode,
    and reverse mode through them) from the shared-block layout (`CPU_BLOCK_MAX_PATCHES`).
    Under differentiation the values come from the shared blocks too (equal to rounding)."""
    return _summed_fields_layout(points, params, alpha, *static, shared=False)


def _block_derivatives(static, primals, tangents):
    # Differentiate only along the perturbed inputs (symbolic zeros elsewhere): a zero
    # tangent for the geometry would otherwise put its whole derivative into the program.
    leaves, tree = jax.tree_util.tree_flatten(primals)
    t_leaves = jax.tree_util.tree_leaves(tangents, is_leaf=lambda t: isinstance(t, SymbolicZero))
    live = [not isinstance(t, SymbolicZero) for t in t_leaves]

    def fields(*varied):
        it = iter(varied)
        full = [next(it) if on else v for v, on in zip(leaves, live, strict=True)]
        return _summed_fields_layout(*tree.unflatten(full), *static, shared=True)

    varied = [v for v, on in zip(leaves, live, strict=True) if on]
    dots = [t for t, on in zip(t_leaves, live, strict=True) if on]
    return jax.jvp(fields, varied, dots)


_scanned_with_block_derivatives.defjvp(_block_derivatives, symbolic_zeros=True)


def _summed_fields_pallas(points, params, alpha, pairs_per_block, tensile, block, num_warps):
    """`_summed_fields` by the Pallas kernel (forward), with the XLA path's gradient."""
    xla = functools.partial(_summed_fields, pairs_per_block=pairs_per_block, tensile=tensile)
    return _pallas.pallas_summed_fields(
        points, params, alpha, tensile=tensile, block=block, num_warps=num_warps, xla_fields=xla
    )


#: The values of `displacement_gradient`'s `implementation`.
IMPLEMENTATIONS = ("xla", "pallas")


@backend_jit(static_argnums=(0, 1))
def _over_devices(fn, static, points, *args):
    """Apply fn(points, *args, **static) -> pytree with leading axis n, over all devices.

    `fn` is a module-level function and `static` a tuple of (name, value) pairs: both are
    static arguments of the jit, so repeated calls reuse the compiled code.
    """
    fn = functools.partial(fn, **dict(static))
    devices = jax.devices()
    n = points.shape[0]
    if len(devices) == 1 or n < len(devices):
        return fn(points, *args)
    nd = len(devices)
    pad = (-n) % nd
    padded = jnp.concatenate([points, jnp.repeat(points[-1:], pad, axis=0)]) if pad else points
    mesh = Mesh(np.array(devices), ("points",))
    sharded = jax.shard_map(
        fn,
        mesh=mesh,
        in_specs=(PartitionSpec("points"),) + (PartitionSpec(),) * len(args),
        out_specs=PartitionSpec("points"),
        check_vma=False,
    )
    out = sharded(padded, *args)
    return jax.tree_util.tree_map(lambda v: v[:n], out)


def _needs_tensile(fault: FaultModel) -> bool:
    """Whether the opening terms must be evaluated: skipped (a third of the work) only when
    the slip is concrete and has no opening; under jit they are always kept."""
    if not is_concrete(fault.slip):
        return True
    # Convert before indexing: inside a user's jit, indexing a captured (concrete) array
    # would stage a traced op.
    return bool(np.any(np.asarray(fault.slip)[:, 2] != 0.0))


def _needs_vertical(fault: FaultModel) -> bool:
    """Whether DC3D's vertical-dip formulas must be kept: skipped (about 15% of the CPU time)
    only when the dips are concrete and none is within about 1e-4 degrees of vertical (DC3D snaps
    |cos(dip)| < 1e-6, about 6e-5 degrees, to exactly vertical); under jit they are kept."""
    if not is_concrete(fault.dip):
        return True
    dip = np.asarray(fault.dip, dtype=np.float64)
    return bool(np.any(np.abs(np.cos(np.deg2rad(dip))) < 2e-6)) or not np.all(np.isfinite(dip))


@jax.jit
def _point_flags(points):
    """(any point not finite, any point above the surface), reduced on the points' device."""
    return ~jnp.all(jnp.isfinite(points)), jnp.any(points[:, 2] > 0)


def _on_host(x) -> bool:
    """True for numpy data and for JAX arrays that live on CPU devices."""
    devices = getattr(x, "devices", None)
    return devices is None or all(d.platform == "cpu" for d in devices())


def _check_points(points):
    points = jnp.asarray(points)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(
            f"points must have shape (n, 3) (east, north, up in m); got {points.shape}"
        )
    if is_concrete(points) and points.size:
        if not _on_host(points):
            # On an accelerator, reduce there and fetch two flags, not the whole array
            # (a device-to-host copy of 1e6 points costs more than the kernel itself).
            nonfinite, above = (bool(f) for f in _point_flags(points))
            if not (nonfinite or above):
                return points
        p = np.asarray(points)
        bad = ~np.isfinite(p).all(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"points: point {i} is not finite: {p[i].tolist()}")
        above = p[:, 2] > 0
        if above.any():
            i = int(np.argmax(above))
            raise ValueError(
                f"points: point {i} has up = {float(p[i, 2])} m > 0, above the free surface "
                "(ENU frame, z = 0 at the surface, z < 0 in the Earth)."
            )
    return points


def displacement_gradient(
    fault: FaultModel,
    points: Float[ArrayLike, "n 3"],
    *,
    nu=0.25,
    mu=None,
    lam=None,
    pairs_per_block: int | None = None,
    implementation: str = "xla",
) -> tuple[Float[Array, "n 3"], Float[Array, "n 3 3"]]:
    """Displacement and its gradient at `points` due to all patches of `fault`.

    **Arguments:**

    - `fault`: the source, ENU metres (see `FaultModel`).
    - `points`: observation points `(n, 3)`, east, north, up in metres, up <= 0.
    - `nu`: Poisson's ratio (default 0.25, i.e. lambda = mu); or give both `mu` and `lam` (Pa).
    - `pairs_per_block`: point x patch pairs evaluated in one vectorised block (a memory and
      speed knob; None: 2^13 when JAX's default backend is the CPU, 2^22 otherwise).  On a
      CPU a block holds one patch and at most about `CPU_POINT_BLOCK` (1,000) points, a
      count chosen to avoid cache aliasing, and runs on one thread: to use several cores,
      make one XLA host device per core (`jax_num_cpu_devices`), over which the points are
      sharded.  The derivatives of a fault of 2 to `CPU_BLOCK_MAX_PATCHES` (8) patches are
      taken through blocks of all its patches, which compile faster in reverse mode.
    - `implementation`: `"xla"` (default) or `"pallas"`, a Pallas/Triton kernel for NVIDIA
      GPUs that keeps each point's sums in registers while it loops over the patches (4.6x
      the XLA path on an H100 in float32; in float64 it gains little and can be slower; see
      docs/benchmarks.md).  Same formulas and results to rounding.  Its reverse-mode
      gradient is the XLA path's (`jax.grad` works, at the XLA cost); forward mode
      (`jax.jvp`, `jax.jacfwd`) needs `"xla"`.  On other backends it runs in Pallas's
      interpreter: correct, but not meant for speed (used by the tests).

    **Returns:**

    `u (n, 3)` in metres (ENU) and `grad (n, 3, 3)` with `grad[:, i, j] = du_i/dx_j`
    (dimensionless, ENU).  NaN at points above the surface when traced under `jit` (an eager
    call raises `ValueError`); zero contribution from a patch whose edge the point lies on.

    Reference: Okada (1992) DC3D, one call per point-patch pair.
    """
    points = _check_points(points)
    if points.shape[0] == 0 or fault.n_patches == 0:  # nothing to sum: exact zeros
        n = points.shape[0]
        return jnp.zeros((n, 3), points.dtype), jnp.zeros((n, 3, 3), points.dtype)
    alpha = alpha_from(nu, mu=mu, lam=lam)
    params = _patch_params(fault)
    static = (
        ("pairs_per_block", _pairs_per_block(pairs_per_block)),
        ("tensile", _needs_tensile(fault)),
    )
    fn = _summed_fields
    if implementation == "xla":
        static += (
            ("vertical", _needs_vertical(fault)),
            ("max_point_block", _max_point_block()),
        )
    if implementation == "pallas":
        _pallas.prepare()
        fn = _summed_fields_pallas
        static += (("block", _pallas.DEFAULT_BLOCK), ("num_warps", _pallas.DEFAULT_NUM_WARPS))
    elif implementation != "xla":
        raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}; got {implementation!r}")
    return _over_devices(fn, static, points, params, jnp.asarray(alpha, points.dtype))


def displacement(fault: FaultModel, points, **kwargs) -> Float[Array, "n 3"]:
    """Displacement (m, ENU) at `points`; see `displacement_gradient` for the arguments."""
    return displacement_gradient(fault, points, **kwargs)[0]


def strain(fault: FaultModel, points, **kwargs) -> Float[Array, "n 3 3"]:
    """Infinitesimal strain tensor (ENU, extension positive) at `points`."""
    return strain_from_gradient(displacement_gradient(fault, points, **kwargs)[1])


def stress(
    fault: FaultModel, points, *, mu=3.0e10, nu=None, lam=None, **kwargs
) -> Float[Array, "n 3 3"]:
    """Stress-change tensor in Pa (ENU, tension positive) for shear modulus `mu` (Pa).

    Give Poisson's ratio `nu` or the Lame constant `lam` (Pa); the default is lam = mu
    (nu = 0.25), the DeVries et al. (2018) and Coulomb 3 choice.
    """
    if lam is None:
        lam = mu if nu is None else 2.0 * mu * nu / (1.0 - 2.0 * nu)
    grad = displacement_gradient(fault, points, mu=mu, lam=lam, **kwargs)[1]
    return stress_from_gradient(grad, mu=mu, lam=lam)


_SLIP_INDEX = {"strike": 0, "dip": 1, "opening": 2}


def _unit_responses(
    points, params, alpha, components, pairs_per_block, gradient=True, vertical=True
):
    """Per-patch responses to unit slip: u (n, 3, m, k) and grad (n, 3, 3, m, k), or u
    alone when not `gradient` (XLA then drops the gradient terms, about half the work)."""
    idx = [_SLIP_INDEX[c] for c in components]
    n_patch = params["dip"].shape[0]
    batch = max(1, pairs_per_block // max(1, n_patch))
    if _max_point_block() is not None:
        # Block lengths off multiples of 4 KiB (64 patches x 20,000 points, one core: 1.2 M
        # pairs/s with 129 points per step against 0.83 M with 128).
        batch = _cpu_point_block(points.shape[0], batch, n_patch, points.dtype.itemsize)

    def unit(p, patch, a):
        x, y = _okada_coords(p, patch)
        hl, hw = patch["half_length"], patch["half_width"]
        # The kernel returns one row per unit slip type (it is linear in the slip).
        rows, _ = _dc3d_unit(
            *(x, y, p[2], a, patch["depth"], patch["dip"], -hl, hl, -hw, hw),
            tensile=2 in idx,
            vertical=vertical,
        )
        fields = [_rotate_to_enu(rows[k], patch["sin"], patch["cos"]) for k in idx]
        u = jnp.stack([f[0] for f in fields], axis=-1)
        return (u, jnp.stack([f[1] for f in fields], axis=-1)) if gradient else u

    def one_point(p):
        return jax.vmap(unit, in_axes=(None, 0, None), out_axes=-2)(p, params, alpha)

    return jax.lax.map(one_point, points, batch_size=min(batch, points.shape[0]))


def _unit_fields(fault, points, nu, mu, lam, components, pairs_per_block, gradient):
    """Shared set-up of the Green's functions: validate, handle empty inputs, dispatch."""
    for c in components:
        if c not in _SLIP_INDEX:
            raise ValueError(f"components: unknown slip component {c!r}; use {list(_SLIP_INDEX)}")
    points = _check_points(points)
    n, m, k = points.shape[0], fault.n_patches, len(components)
    if n == 0 or m == 0:
        u = jnp.zeros((n, 3, m, k), points.dtype)
        return (u, jnp.zeros((n, 3, 3, m, k), points.dtype)) if gradient else u
    alpha = alpha_from(nu, mu=mu, lam=lam)
    static = (
        ("components", tuple(components)),
        ("pairs_per_block", _pairs_per_block(pairs_per_block)),
        ("gradient", gradient),
        ("vertical", _needs_vertical(fault)),
    )
    return _over_devices(
        _unit_responses, static, points, _patch_params(fault), jnp.asarray(alpha, points.dtype)
    )


def greens_functions(
    fault: FaultModel,
    points: Float[ArrayLike, "n 3"],
    *,
    nu=0.25,
    mu=None,
    lam=None,
    components=("strike", "dip"),
    pairs_per_block: int | None = None,
) -> tuple[Float[Array, "n 3 m k"], Float[Array, "n 3 3 m k"]]:
    """Green's functions: displacement and gradient at `points` per unit slip on each patch.

    **Arguments:** as `displacement_gradient`, plus `components`, a tuple of slip components
    among "strike", "dip" and "opening" (k of them), each a unit (1 m) slip.

    **Returns:** `G_u (n, 3, m, k)` (m of displacement per m of slip, ENU) and
    `G_grad (n, 3, 3, m, k)`, so that `u = einsum("nipk,pk->ni", G_u, slip_components)`.
    """
    return _unit_fields(fault, points, nu, mu, lam, components, pairs_per_block, True)


def displacement_greens(
    fault: FaultModel,
    points: Float[ArrayLike, "n 3"],
    *,
    nu=0.25,
    mu=None,
    lam=None,
    components=("strike", "dip"),
    pairs_per_block: int | None = None,
) -> Float[Array, "three_n km"]:
    """Design matrix for slip inversion: `(3 n, k m)` with rows (point, ENU component) and
    columns (patch, slip component) -- i.e. `d = G @ slip.reshape(-1)` for slip `(m, k)`,
    metres of displacement per metre of slip.

    Arguments as `greens_functions`; only the displacement is evaluated (the gradient terms
    are never formed), so this is about twice as fast as `greens_functions`.
    """
    g_u = _unit_fields(fault, points, nu, mu, lam, components, pairs_per_block, False)
    n, _, m, k = g_u.shape
    return g_u.reshape(n * 3, m * k)


def stress_greens(
    fault: FaultModel, points, *, mu=3.0e10, nu=None, lam=None, **kwargs
) -> Float[Array, "n 3 3 m k"]:
    """Stress (Pa, ENU, tension positive) at `points` per unit slip on each patch."""
    if lam is None:
        lam = mu if nu is None else 2.0 * mu * nu / (1.0 - 2.0 * nu)
    _, g_grad = greens_functions(fault, points, mu=mu, lam=lam, **kwargs)
    # Move the patch and component axes first so the tensor helpers see (..., 3, 3).
    moved = jnp.moveaxis(g_grad, (3, 4), (0, 1))
    sig = stress_from_gradient(moved, mu=mu, lam=lam)
    return jnp.moveaxis(sig, (0, 1), (3, 4))
