"""3D viscoelastic relaxation around a finite rupture: strain volumes below an elastic layer.

An elastic layer over a viscoelastic half-space with the same elastic moduli.  The half-space
below the layer is cut into axis-aligned cuboids (`CuboidMesh`); each carries a uniform
deviatoric inelastic strain (the rheology's element strains, e.g. Maxwell and Kelvin parts).
The stress at a cuboid's centre is the coseismic Okada stress plus the sum over all cuboids of
`_cuboid`'s eigenstrain kernels; the rheology turns the deviatoric stress into strain rates and
diffrax integrates the linear ODE.  Displacement and stress at any points and times follow from
the same kernels.  See `docs/visco-3d.md`.

Frames and units: ENU metres, z = 0 at the free surface and z < 0 below it; times in s; stress
in Pa, tension positive.  Deviatoric tensors are stored as coordinates in the orthonormal basis
`DEVIATORIC_BASIS` (5 numbers per cuboid), engineering strain g = 2 a as in the 2D models, so
that the rheology classes of `quakejax.visco` apply unchanged (eta_M, mu_K, eta_K mean the same
in 2D and 3D).
"""

from __future__ import annotations

import functools
import math

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._fault import FaultModel
from .._types import Array, Float
from ..okada import displacement_gradient as okada_displacement_gradient
from ..okada import stress as okada_stress
from ..okada._common import is_concrete, step_size
from ..okada._fields import _over_devices
from ..stress._tensor import stress_from_gradient
from ._cuboid import BASIS_TO_CHANNELS, DEVIATORIC_BASIS, _gauss, _pair_channels, _stress_from_grad
from .base import AbstractRheology


class CuboidMesh(eqx.Module):
    """Axis-aligned cuboids (ENU, m) that discretise the viscoelastic region.

    **Fields:** `centre (N, 3)` and `half (N, 3)` (half side lengths along E, N, U), metres.
    Every cuboid must lie below the free surface (top z <= 0) and have positive sides; cuboids
    must not overlap (not checked: build them with `octree` or `tensor`).
    """

    centre: Float[Array, "N 3"] = eqx.field(converter=jnp.asarray)
    half: Float[Array, "N 3"] = eqx.field(converter=jnp.asarray)

    def __check_init__(self):
        if (
            self.centre.ndim != 2
            or self.centre.shape[1] != 3
            or self.half.shape != self.centre.shape
        ):
            raise ValueError(
                f"CuboidMesh: centre and half must both be (N, 3); got {self.centre.shape} "
                f"and {self.half.shape}"
            )
        if is_concrete(self.centre, self.half) and self.centre.size:
            c, h = np.asarray(self.centre), np.asarray(self.half)
            bad = ~(np.isfinite(c).all(1) & np.isfinite(h).all(1))
            if bad.any():
                raise ValueError(f"CuboidMesh: cuboid {int(np.argmax(bad))} is not finite")
            bad = (h <= 0).any(1)
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(
                    f"CuboidMesh: cuboid {i} has a side <= 0: half = {h[i].tolist()} m"
                )
            top = c[:, 2] + h[:, 2]
            if (top > 1e-6).any():
                i = int(np.argmax(top))
                raise ValueError(
                    f"CuboidMesh: cuboid {i} reaches up to z = {top[i]:.6g} m, above the free "
                    "surface (z = 0)"
                )

    @property
    def n(self) -> int:
        return int(self.centre.shape[0])

    @property
    def volume(self) -> Float[Array, " N"]:
        """Volumes, m^3."""
        return 8.0 * jnp.prod(self.half, axis=1)

    @property
    def top(self) -> float:
        """Depth (m, positive) of the shallowest cuboid top."""
        return float(-np.max(np.asarray(self.centre[:, 2] + self.half[:, 2])))

    @classmethod
    def tensor(cls, east_edges, north_edges, depth_edges) -> CuboidMesh:
        """The tensor-product mesh of the given cell edges (m; depths positive down, increasing)."""
        e, n, d = (np.asarray(v, float) for v in (east_edges, north_edges, depth_edges))
        for name, v in (("east_edges", e), ("north_edges", n), ("depth_edges", d)):
            if v.ndim != 1 or v.size < 2 or not (np.diff(v) > 0).all():
                raise ValueError(f"CuboidMesh.tensor: {name} must increase strictly (>= 2 values)")
        if d[0] < 0:
            raise ValueError(f"CuboidMesh.tensor: depth_edges start above the surface ({d[0]} m)")
        ce, cn, cd = (0.5 * (v[1:] + v[:-1]) for v in (e, n, d))
        he, hn, hd = (0.5 * np.diff(v) for v in (e, n, d))
        grid = np.stack(np.meshgrid(ce, cn, -cd, indexing="ij"), -1).reshape(-1, 3)
        half = np.stack(np.meshgrid(he, hn, hd, indexing="ij"), -1).reshape(-1, 3)
        return cls(grid, half)

    @classmethod
    def octree(
        cls,
        fault: FaultModel,
        top: float,
        h0: float = 5e3,
        alpha: float = 3.0,
        lateral: float = 300e3,
        depth_extent: float = 320e3,
    ) -> CuboidMesh:
        """Cubes below depth `top` (m), of side h0 near the rupture and doubling with distance.

        Start from cubes of side h0 2^k over the rupture's box +- `lateral` (m) and from `top` to
        `top + depth_extent`; split a cube of side s > h0 in 8 while its nearest point lies within
        `alpha s` of the rupture (patches sampled every h0/5).  Faces lie on an h0 lattice from
        the local origin, so with h0 a multiple of 5 km the DeVries cell centroids (odd multiples
        of 2.5 km) never fall on a face.
        """
        if not (h0 > 0 and alpha > 0 and lateral >= 0 and depth_extent > 0 and top >= 0):
            raise ValueError(
                "CuboidMesh.octree: need h0 > 0, alpha > 0, lateral >= 0, depth_extent > 0 and "
                f"top >= 0 (m); got h0={h0}, alpha={alpha}, lateral={lateral}, "
                f"depth_extent={depth_extent}, top={top}"
            )
        pts = _fault_samples(fault, h0 / 5.0)
        c, side = octree_cubes(pts, top, h0, alpha, lateral, depth_extent)
        return cls(c, 0.5 * np.repeat(side[:, None], 3, axis=1))


def octree_cubes(points, top, h0, alpha, lateral, depth_extent):
    """Centres (N, 3) and sides (N,) in m of the octree cubes of `CuboidMesh.octree` around
    the rupture sample `points` (ENU, m)."""
    from scipy.spatial import cKDTree

    levels = max(0, math.ceil(math.log2(depth_extent / h0)))
    s = h0 * 2**levels
    lo = np.floor((points[:, :2].min(0) - lateral) / s) * s
    hi = np.ceil((points[:, :2].max(0) + lateral) / s) * s
    xs = np.arange(lo[0], hi[0] - 0.5 * s, s) + s / 2
    ys = np.arange(lo[1], hi[1] - 0.5 * s, s) + s / 2
    zs = -top - (np.arange(max(1, round(depth_extent / s))) + 0.5) * s
    cen = np.stack(np.meshgrid(xs, ys, zs, indexing="ij"), -1).reshape(-1, 3)
    tree = cKDTree(points)
    octs = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], float)
    out_c, out_s = [], []
    while len(cen):
        d, _ = tree.query(cen)
        near = np.maximum(d - s * math.sqrt(3) / 2, 0.0) < alpha * s
        split = near & (s > h0 * (1 + 1e-9))
        out_c.append(cen[~split])
        out_s.append(np.full((~split).sum(), s))
        cen = (cen[split][:, None, :] + 0.25 * s * octs[None]).reshape(-1, 3)
        s /= 2
    return np.concatenate(out_c), np.concatenate(out_s)


def _fault_samples(fault: FaultModel, spacing: float) -> np.ndarray:
    """Points (ENU, m) on every patch, at most `spacing` apart."""
    out = []
    corners = np.asarray(fault.corners)
    for cs in corners:
        a, b, d = cs[0], cs[1], cs[3]
        nu = max(2, math.ceil(np.linalg.norm(b - a) / spacing) + 1)
        nv = max(2, math.ceil(np.linalg.norm(d - a) / spacing) + 1)
        u = np.linspace(0, 1, nu)[:, None, None]
        v = np.linspace(0, 1, nv)[None, :, None]
        out.append((a + u * (b - a) + v * (d - a)).reshape(-1, 3))
    return np.concatenate(out)


# ------------------------------------------------------------------------------------ kernels
# Vectorised step sizes of the kernel passes.  On a CPU small steps keep the fused DC3D kernel's
# intermediates in cache; on an accelerator each step is a kernel launch, and steps of a few
# thousand pairs leave it idle (the Landers cuboid-to-cell pass with the CPU sizes did not
# finish in 200 s on an H100; with these, 28.5 s on an H200), so the steps there are 32-256
# times larger.  Measured on the H200 for the Landers mesh (1,573 cuboids, float64): rows in
# 1.52 s per call with 64 receivers per step, 0.48 s with 256; averaged blocks 1.56 s with
# 2,048 pairs, 0.91 s with 16,384 (but 87 s to compile instead of 49 s).
_STEP_SIZES = {
    # name: (CPU, accelerator)
    "rows_block": (8, 256),  # receivers per step of the collocated interaction rows
    "averaged_block": (8, 2048),  # (receiver, source) pairs per step of the averaged blocks
    "fields_block": (16, 512),  # points per step of the cuboid-to-point pass
    "fields_chunk": (64, 64),  # cuboids per inner step of that pass
}


def _step_size(name: str, value: int | None, arg: str) -> int:
    """`value` (the argument `arg`), or the default for JAX's default backend when None."""
    return step_size(value, *_STEP_SIZES[name], arg)


def _pair_fields(p, centre, half, alpha, mu, lam, u, w):
    disp, grad = _pair_channels(p, centre, half, alpha, u, w)
    sig = _stress_from_grad(jnp.moveaxis(grad, -1, 0), mu, lam)  # (6, 3, 3)
    return disp, sig


def _blocks_of(n, block):
    n_blocks = math.ceil(n / block)
    return n_blocks, n_blocks * block - n


def _pair_basis(p, c, h, alpha, mu, lam, u, w):
    """Deviatoric stress coordinates at p per unit basis strain coordinate of one cuboid:
    (5 receiver coords, 5 source coords)."""
    dtype = p.dtype
    _, sig = _pair_fields(p, c, h, alpha, mu, lam, u, w)  # (6, 3, 3)
    s_ch = jnp.einsum("cij,kij->ck", sig, jnp.asarray(DEVIATORIC_BASIS, dtype))
    return jnp.einsum("lc,ck->kl", jnp.asarray(BASIS_TO_CHANNELS, dtype), s_ch)


def _collocated_rows(receivers, centre, half, mu, lam, *, order, block):
    """(n, N, 5, 5): deviatoric stress at each receiver point per unit basis strain of each
    cuboid (module level: `_over_devices` shards the receivers over devices)."""
    u, w = _gauss(order, receivers.dtype)
    alpha = (lam + mu) / (lam + 2.0 * mu)
    row = jax.vmap(lambda p, c, h: _pair_basis(p, c, h, alpha, mu, lam, u, w), (None, 0, 0))
    return jax.lax.map(
        lambda p: row(p, centre, half), receivers, batch_size=min(block, receivers.shape[0])
    )


@functools.partial(jax.jit, static_argnames=("order", "quadrature", "block"))
def _interaction_averaged(rc, rh, sc, sh, mu, lam, *, order, quadrature, block):
    """Receiver-averaged blocks for the listed (receiver, source) pairs: (n_pairs, 5, 5)."""
    u, w = _gauss(order, rc.dtype)
    alpha = (lam + mu) / (lam + 2.0 * mu)
    x, wx = np.polynomial.legendre.leggauss(quadrature)
    offs = jnp.asarray([[a, b, c] for a in x for b in x for c in x], rc.dtype)
    wts = jnp.asarray([a * b * c for a in wx for b in wx for c in wx], rc.dtype) / 8.0

    def pair(c_r, h_r, c_s, h_s):
        pts = c_r[None] + offs * h_r[None]
        vals = jax.vmap(lambda p: _pair_basis(p, c_s, h_s, alpha, mu, lam, u, w))(pts)
        return jnp.einsum("q,qkl->kl", wts, vals)

    return jax.lax.map(lambda a: pair(*a), (rc, rh, sc, sh), batch_size=min(block, rc.shape[0]))


def _near_pairs(centre, half, near):
    """(receiver, source) index pairs whose centres are closer than `near` times the larger
    of the two cuboids' diagonals."""
    from scipy.spatial import cKDTree

    diag = 2.0 * np.linalg.norm(half, axis=1)
    pairs = cKDTree(centre).query_pairs(near * diag.max(), output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.linalg.norm(centre[i] - centre[j], axis=1)
    keep = d < near * np.maximum(diag[i], diag[j])
    i, j = i[keep], j[keep]
    diag_idx = np.arange(centre.shape[0])
    return np.concatenate([i, j, diag_idx]), np.concatenate([j, i, diag_idx])


def interaction_matrix(
    mesh: CuboidMesh,
    *,
    mu=3.0e10,
    lam=3.0e10,
    order: int = 6,
    quadrature: int = 2,
    near: float = 2.0,
    block: int | None = None,
    averaged_block: int | None = None,
) -> Float[Array, "N5 N5"]:
    """Deviatoric stress coordinates (Pa) in every cuboid per unit deviatoric eigenstrain
    coordinate of every cuboid: `(5 N, 5 N)`, rows (receiver, stress coordinate), columns
    (source, strain coordinate), in `DEVIATORIC_BASIS`.

    The receiver's stress is averaged over the receiving cuboid with `quadrature`^3
    Gauss-Legendre points for pairs whose centres are closer than `near` diagonals (of the
    larger cuboid), and taken at its centre beyond.  Centre collocation alone is *unstable*:
    on a block of 4^3 cubes it has an eigenvalue of +0.27 mu (a growing mode); averaging
    restores eigenvalues in [-2 mu, 0), as the elastic energy requires (checked in
    `tests/test_visco3d.py`).  `quadrature=1` is pure collocation.  `order` is the stacking
    quadrature of `_cuboid` (6 gives about 1e-7 relative error for neighbouring cubes);
    `block` receivers per vectorised step of the collocated rows and `averaged_block`
    (receiver, source) pairs per step of the averaged ones (None: 8 and 8 on a CPU, 256 and
    2048 on an accelerator).  These change the speed and memory, not the result.
    """
    block = _step_size("rows_block", block, "block")
    averaged_block = _step_size("averaged_block", averaged_block, "averaged_block")
    dtype = mesh.centre.dtype
    mu, lam = jnp.asarray(mu, dtype), jnp.asarray(lam, dtype)
    static = (("order", order), ("block", block))
    rows = _over_devices(_collocated_rows, static, mesh.centre, mesh.centre, mesh.half, mu, lam)
    k = jnp.transpose(rows, (0, 2, 1, 3))  # (N, 5, N, 5)
    if quadrature > 1:
        r, s = _near_pairs(np.asarray(mesh.centre), np.asarray(mesh.half), near)
        vals = _interaction_averaged(
            mesh.centre[r],
            mesh.half[r],
            mesh.centre[s],
            mesh.half[s],
            mu,
            lam,
            order=order,
            quadrature=quadrature,
            block=averaged_block,
        )
        k = k.at[r, :, s, :].set(vals)
    return k.reshape(5 * mesh.n, 5 * mesh.n)


def _eigen_fields(points, centre, half, strain6, mu, lam, *, order, block, chunk):
    """u (n, n_t, 3) and sigma (n, n_t, 3, 3) of channel eigenstrains strain6 (n_t, N, 6)
    (points first: `_over_devices` shards them over devices)."""
    dtype = points.dtype
    u, w = _gauss(order, dtype)
    alpha = (lam + mu) / (lam + 2.0 * mu)
    n, n_src, n_t = points.shape[0], centre.shape[0], strain6.shape[0]
    n_chunks, pad_s = _blocks_of(n_src, chunk)
    if pad_s:  # zero strain: adds exactly 0
        centre = jnp.concatenate([centre, jnp.repeat(centre[-1:], pad_s, 0)])
        half = jnp.concatenate([half, jnp.repeat(half[-1:], pad_s, 0)])
        strain6 = jnp.concatenate([strain6, jnp.zeros((n_t, pad_s, 6), dtype)], axis=1)
    src = (
        centre.reshape(n_chunks, chunk, 3),
        half.reshape(n_chunks, chunk, 3),
        jnp.moveaxis(strain6.reshape(n_t, n_chunks, chunk, 6), 1, 0),
    )
    pair = jax.vmap(
        jax.vmap(lambda p, c, h: _pair_fields(p, c, h, alpha, mu, lam, u, w), (None, 0, 0)),
        (0, None, None),
    )

    def one_block(pts):
        def body(acc, s):
            c, h, e = s
            d, sg = pair(pts, c, h)  # (b, chunk, 3, 6), (b, chunk, 6, 3, 3)
            return (
                acc[0] + jnp.einsum("bjic,tjc->tbi", d, e),
                acc[1] + jnp.einsum("bjcik,tjc->tbik", sg, e),
            ), None

        init = (
            jnp.zeros((n_t, pts.shape[0], 3), dtype),
            jnp.zeros((n_t, pts.shape[0], 3, 3), dtype),
        )
        return jax.lax.scan(body, init, src)[0]

    n_blocks, pad = _blocks_of(n, block)
    pts = jnp.concatenate([points, jnp.repeat(points[-1:], pad, 0)]) if pad else points
    d, s = jax.lax.map(one_block, pts.reshape(n_blocks, block, 3))  # (blocks, n_t, b, ...)
    d = jnp.moveaxis(d, 1, 2).reshape(-1, n_t, 3)[:n]
    s = jnp.moveaxis(s, 1, 2).reshape(-1, n_t, 3, 3)[:n]
    return d, s


def eigenstrain_fields(
    points,
    mesh: CuboidMesh,
    strain,
    *,
    mu=3.0e10,
    lam=3.0e10,
    order: int = 6,
    block: int | None = None,
    chunk: int | None = None,
) -> tuple[Float[Array, "n_t n 3"], Float[Array, "n_t n 3 3"]]:
    """Displacement (m) and stress (Pa) at `points` (ENU, m) of deviatoric eigenstrains given as
    basis coordinates `strain` (n_t, N, 5) (tensor strain, not engineering), for each of n_t
    states at once (one pass over the point-cuboid pairs).

    `block` points times `chunk` cuboids are evaluated per vectorised step (None: 16 x 64 on
    a CPU, 512 x 64 on an accelerator); they change the speed and memory, not the result."""
    block = _step_size("fields_block", block, "block")
    chunk = _step_size("fields_chunk", chunk, "chunk")
    points = jnp.asarray(points)
    strain = jnp.asarray(strain, points.dtype)
    six = jnp.einsum("tnl,lc->tnc", strain, jnp.asarray(BASIS_TO_CHANNELS, points.dtype))
    if points.shape[0] == 0:
        return (
            jnp.zeros((strain.shape[0], 0, 3), points.dtype),
            jnp.zeros((strain.shape[0], 0, 3, 3), points.dtype),
        )
    n_dev = len(jax.devices())
    static = (
        ("order", order),
        ("block", min(block, -(-points.shape[0] // n_dev))),
        ("chunk", min(chunk, mesh.n)),
    )
    d, s = _over_devices(
        _eigen_fields,
        static,
        points,
        mesh.centre.astype(points.dtype),
        mesh.half.astype(points.dtype),
        six,
        jnp.asarray(mu, points.dtype),
        jnp.asarray(lam, points.dtype),
    )
    return jnp.moveaxis(d, 0, 1), jnp.moveaxis(s, 0, 1)


def to_basis(sigma: Float[Array, "... 3 3"]) -> Float[Array, "... 5"]:
    """Deviatoric coordinates s_k = sigma : B_k (the isotropic part drops out)."""
    return jnp.einsum("...ij,kij->...k", sigma, jnp.asarray(DEVIATORIC_BASIS, sigma.dtype))


def from_basis(a: Float[Array, "... 5"]) -> Float[Array, "... 3 3"]:
    """The symmetric traceless tensor sum_k a_k B_k."""
    return jnp.einsum("...k,kij->...ij", a, jnp.asarray(DEVIATORIC_BASIS, a.dtype))


# -------------------------------------------------------------------------------------- model
class Relaxation(eqx.Module):
    """A solved relaxation: inelastic strains of the cuboids at the requested times.

    **Fields:** `t (n_t,)` s; `strain (n_t, N, 5)`: total inelastic tensor strain coordinates
    (sum of the rheology's elements, `DEVIATORIC_BASIS`); `window_mean (N, 5)`: its mean over
    [0, t_max], or over `window` if one was given; `num_steps`: diffrax's accepted and
    rejected steps.
    """

    t: Float[Array, " n_t"]
    strain: Float[Array, "n_t N 5"]
    window_mean: Float[Array, "N 5"]
    num_steps: Array


class Postseismic3D(eqx.Module):
    """Postseismic relaxation of a viscoelastic half-space below an elastic layer, in 3D.

    The layer and the half-space share the elastic moduli `mu`, `lam` (Pa), so that at t = 0
    the solution is Okada's.  The relaxing region is `mesh` (its cuboids lie below the layer);
    `rheology` is any linear `AbstractRheology` of `quakejax.visco` (Maxwell, Burgers, SLS...)
    with scalar parameters.

    Build with `Postseismic3D.build(mesh, rheology, mu=..., lam=...)`, which assembles the
    interaction matrix once (the costly step; it does not depend on the fault or the
    rheology); `dataclasses.replace(model, rheology=...)` or `eqx.tree_at` reuses it.

    **Fields:** `mesh`, `rheology`, `interaction (5N, 5N)` Pa per unit strain, `mu`, `lam`,
    `order` (stacking quadrature), `solver` (diffrax; default Tsit5: the relaxation rates are
    bounded by about (mu + mu_K)/eta_K for any mesh, see docs/visco-3d-design.md §4),
    `rtol`, `atol` (on strain in units of the coseismic stress / mu), `max_steps`, `adjoint`
    (diffrax's; the default supports reverse mode, `diffrax.ForwardMode()` supports
    `jax.jvp`).
    """

    mesh: CuboidMesh
    rheology: AbstractRheology
    interaction: Float[Array, "N5 N5"]
    mu: Array = eqx.field(converter=jnp.asarray, default=3.0e10)
    lam: Array = eqx.field(converter=jnp.asarray, default=3.0e10)
    order: int = eqx.field(static=True, default=6)
    solver: diffrax.AbstractSolver = eqx.field(static=True, default_factory=diffrax.Tsit5)
    rtol: float = eqx.field(static=True, default=1e-6)
    atol: float = eqx.field(static=True, default=1e-8)
    max_steps: int = eqx.field(static=True, default=16384)
    adjoint: diffrax.AbstractAdjoint = eqx.field(
        static=True, default_factory=diffrax.RecursiveCheckpointAdjoint
    )

    @classmethod
    def build(
        cls,
        mesh: CuboidMesh,
        rheology: AbstractRheology,
        *,
        mu=3.0e10,
        lam=3.0e10,
        order: int = 6,
        quadrature: int = 2,
        **kwargs,
    ) -> Postseismic3D:
        """Assemble the interaction matrix of `mesh` and return the model."""
        k = interaction_matrix(mesh, mu=mu, lam=lam, order=order, quadrature=quadrature)
        return cls(mesh, rheology, k, mu, lam, order=order, **kwargs)

    # ---------------------------------------------------------------------------- driving
    def _check_fault(self, fault: FaultModel):
        if is_concrete(fault.centroid):
            bottom = float(np.max(-np.asarray(fault.corners)[..., 2]))
            if bottom > self.mesh.top + 1e-6:
                raise ValueError(
                    f"Postseismic3D: the rupture reaches {bottom / 1e3:.3f} km depth, below the "
                    f"top of the relaxing region ({self.mesh.top / 1e3:.3f} km): the patches "
                    "must lie in the elastic layer"
                )

    def coseismic_driving(self, fault: FaultModel) -> Float[Array, "N 5"]:
        """Deviatoric coseismic stress coordinates (Pa) at the cuboid centres."""
        self._check_fault(fault)
        sig = okada_stress(
            fault, self.mesh.centre.astype(fault.centroid.dtype), mu=self.mu, lam=self.lam
        )
        return to_basis(sig)

    def _coseismic(self, fault: FaultModel, points, *, driving: bool):
        """Okada's displacement (m) and stress (Pa) at `points` (ENU, m), and with `driving`
        the deviatoric coordinates (Pa) at the cuboid centres (`coseismic_driving`), else
        None.  The points and the centres share one DC3D pass: one kernel to compile and to
        differentiate instead of two; one pass gives u and its gradient."""
        n = points.shape[0]
        if driving:
            points = jnp.concatenate([points, self.mesh.centre.astype(points.dtype)])
        u, grad = okada_displacement_gradient(fault, points, mu=self.mu, lam=self.lam)
        sig = stress_from_gradient(grad, mu=self.mu, lam=self.lam)
        return u[:n], sig[:n], (to_basis(sig[n:]) if driving else None)

    # ------------------------------------------------------------------------------ solve
    def relax(
        self,
        driving,
        t,
        *,
        window: float | None = None,
    ) -> Relaxation:
        """Integrate the inelastic strain from the relaxed state at t = 0 to the times `t` (s,
        >= 0, any order), driven by a rupture (`FaultModel`) or by given deviatoric stress
        coordinates `(N, 5)` Pa.  Also returns the mean inelastic strain over [0, window]
        (default: [0, max t])."""
        s_co = self.coseismic_driving(driving) if isinstance(driving, FaultModel) else driving
        s_co = jnp.asarray(s_co)
        if s_co.shape != (self.mesh.n, 5):
            raise ValueError(
                f"Postseismic3D.relax: driving stress must be (N, 5) = ({self.mesh.n}, 5) "
                f"deviatoric coordinates, got {s_co.shape}"
            )
        t = jnp.atleast_1d(jnp.asarray(t, s_co.dtype))
        if is_concrete(t):
            tt = np.asarray(t)
            if not np.isfinite(tt).all() or (tt < 0).any():
                raise ValueError(f"Postseismic3D.relax: times must be finite and >= 0 s; got {tt}")
        return _relax(self, s_co, t, window)

    def stress(
        self,
        fault: FaultModel,
        points,
        t,
        *,
        relaxation: Relaxation | None = None,
        mean: bool = False,
    ) -> Float[Array, "n_t n 3 3"]:
        """Full stress tensor (Pa, ENU, tension positive) at `points` (ENU, m) and times `t`
        (s): Okada's coseismic stress plus the relaxation.  With `mean=True`, returns the
        window-mean stress `(1, n, 3, 3)` over [0, max t] instead."""
        return self.fields(fault, points, t, relaxation=relaxation, mean=mean)[1]

    def displacement(
        self, fault: FaultModel, points, t, *, relaxation=None, mean: bool = False
    ) -> Float[Array, "n_t n 3"]:
        """Displacement (m, ENU) at `points` and times `t`: Okada plus the relaxation."""
        return self.fields(fault, points, t, relaxation=relaxation, mean=mean)[0]

    def fields(self, fault: FaultModel, points, t, *, relaxation=None, mean=False):
        """(displacement (n_t, n, 3) m, stress (n_t, n, 3, 3) Pa); see `stress`."""
        points = jnp.asarray(points, fault.centroid.dtype)
        if relaxation is None:
            self._check_fault(fault)
            u_co, s_co, drive = self._coseismic(fault, points, driving=True)
            relaxation = self.relax(drive, t)
        else:
            u_co, s_co, _ = self._coseismic(fault, points, driving=False)
        strain = relaxation.window_mean[None] if mean else relaxation.strain
        du, ds = eigenstrain_fields(
            points, self.mesh, strain, mu=self.mu, lam=self.lam, order=self.order
        )
        return u_co[None] + du, s_co[None] + ds


@eqx.filter_jit
def _relax(model: Postseismic3D, s_co, t, window):
    dtype = s_co.dtype
    n = model.mesh.n
    k = model.interaction.astype(dtype)
    rheo = model.rheology
    # Scale: strain in units of (stress scale / mu), so that atol is dimensionless.
    scale = (jnp.max(jnp.abs(s_co)) + jnp.finfo(dtype).tiny) / model.mu
    t_end = jnp.max(t) if window is None else jnp.asarray(window, dtype)
    t1 = jnp.maximum(jnp.maximum(jnp.max(t), t_end), jnp.finfo(dtype).tiny)

    def strain_of(g):  # engineering element strains (n_state, N, 5) scaled -> tensor strain
        return 0.5 * jnp.sum(g, axis=0) * scale

    def rhs(tau, y, args):
        g, _ = y
        a = strain_of(g)
        s = s_co + (k @ a.reshape(-1)).reshape(n, 5)
        rate = rheo.state_rate(g * scale, s) / scale
        in_window = (tau <= t_end).astype(dtype)
        return rate, a * in_window

    g0 = rheo.init_state((n, 5), dtype)
    y0 = (g0, jnp.zeros((n, 5), dtype))
    order = jnp.argsort(t)
    ts = t[order]
    if rheo.n_state == 0:
        zeros = jnp.zeros((t.shape[0], n, 5), dtype)
        return Relaxation(t, zeros, jnp.zeros((n, 5), dtype), jnp.asarray(0))
    save_ts = jnp.concatenate([ts, t1[None]])  # m stops growing after t_end
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(rhs),
        model.solver,
        t0=jnp.zeros((), dtype),
        t1=t1,
        dt0=None,
        y0=y0,
        saveat=diffrax.SaveAt(ts=save_ts),
        stepsize_controller=diffrax.PIDController(
            rtol=model.rtol, atol=model.atol, jump_ts=None if window is None else t_end[None]
        ),
        max_steps=model.max_steps,
        adjoint=model.adjoint,
    )
    g_all, m_all = sol.ys
    strain = jax.vmap(strain_of)(g_all[:-1])
    strain = jnp.empty_like(strain).at[order].set(strain)
    mean = m_all[-1] / jnp.maximum(t_end, jnp.finfo(dtype).tiny)
    mean = jnp.where(t_end > 0, mean, 0.0)
    return Relaxation(t, strain, mean, sol.stats["num_steps"])
