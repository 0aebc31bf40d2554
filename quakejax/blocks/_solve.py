"""Assemble the block model's weighted least-squares problem and solve it.

State vector (celeri's layout): block rotations (3 per block, mrad/yr), then per mesh either
triangle slip rates (strike, dip interleaved; mm/yr) or eigenmode coefficients, then block
strain rates (3 per strain block), then Mogi volume-change rates.  Rows: stations (east,
north, up interleaved; mm/yr), a priori block rotations, segment slip-rate constraints, then
per mesh its Laplacian smoothing rows (slip-rate parametrisation only) and its boundary
constraint rows.  Weights multiply squared residuals: 1/sigma^2 for velocities (0 for the up
rows unless `include_vertical_velocity`).

The dense solution solves the weighted normal equations G^T W G x = G^T W d by Cholesky in
float64, as celeri does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from pathlib import Path

import numpy as np
import scipy.linalg

from . import _operators as ops
from ._model import BlockModel, build_model

MODES = ("tde", "eigen", "segments")


def _progress(iterable, desc, enabled):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, leave=False)


@dataclasses.dataclass
class Operators:
    """Every operator of a block model (NumPy float64); see `build_operators`."""

    rotation_to_velocities: np.ndarray
    rotation_to_slip_rate: np.ndarray
    slip_rate_to_okada_to_velocities: np.ndarray
    block_motion_constraints: tuple
    slip_rate_constraints: tuple
    block_strain_rate_to_velocities: np.ndarray
    strain_blocks: np.ndarray
    mogi_to_velocities: np.ndarray
    tde_to_velocities: list  # per mesh (3 n_sta, 2 n_tri): strike and dip columns only
    rotation_to_tri_slip_rate: list  # per mesh (2 n_tri, 3 n_blocks)
    smoothing: list  # per mesh (2 n_tri, 2 n_tri)
    boundary: list  # per mesh (k, 2 n_tri)
    eigenvectors: list  # per mesh (n_tri, n_modes) or None

    def arrays(self) -> dict:
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, tuple):
                for i, a in enumerate(v):
                    out[f"{f.name}__{i}"] = a
            elif isinstance(v, list):
                for i, a in enumerate(v):
                    if a is not None:
                        out[f"{f.name}__m{i}"] = a
            else:
                out[f.name] = v
        return out

    @classmethod
    def from_arrays(cls, arrays, n_meshes: int):
        kw = {}
        for f in dataclasses.fields(cls):
            if f"{f.name}__0" in arrays:
                kw[f.name] = (arrays[f"{f.name}__0"], arrays[f"{f.name}__1"])
            elif f.name in arrays:
                kw[f.name] = arrays[f.name]
            else:
                kw[f.name] = [arrays.get(f"{f.name}__m{i}") for i in range(n_meshes)]
        return cls(**kw)


def _cache_key(model: BlockModel, eigen: bool) -> str:
    h = hashlib.sha256(model.config.digest().encode())
    h.update(b"eigen" if eigen else b"plain")
    h.update(b"quakejax-blocks-operators-v1")
    return h.hexdigest()[:24]


def default_cache_dir() -> Path:
    """`$QUAKEJAX_CACHE/blocks` or `~/.cache/quakejax/blocks`."""
    base = os.environ.get("QUAKEJAX_CACHE") or (Path.home() / ".cache" / "quakejax")
    return Path(base) / "blocks"


def build_operators(
    model: BlockModel,
    *,
    eigen: bool = False,
    meshes: bool = True,
    cache_dir=None,
    progress: bool = False,
) -> Operators:
    """All operators of `model` (mesh operators only if `meshes`); cached on disk (npz keyed
    by the inputs' SHA-256) when `cache_dir` is given."""
    path = None
    mesh_list = model.meshes if meshes else []
    if cache_dir is not None:
        key = _cache_key(model, eigen) + ("" if meshes else "-nomesh")
        path = Path(cache_dir) / f"operators-{key}.npz"
        if path.is_file():
            with np.load(path) as z:
                return Operators.from_arrays(dict(z), len(model.meshes))
    cfg = model.config
    mu, lam = cfg.material_mu, cfg.material_lambda
    steps = ["rotation", "segments (Okada)"] + [
        f"mesh {i} ({m.mesh.path.name}, {m.n} triangles)" for i, m in enumerate(mesh_list)
    ]
    bar = _progress(steps, "block operators", progress)
    it = iter(bar)
    next(it)
    r2v = ops.rotation_to_velocities(model)
    r2s = ops.rotation_to_slip_rate(model)
    next(it)
    frames = ops.segment_frames(model)
    sg = model.segment
    okada = np.asarray(
        ops.okada_to_velocities(
            frames,
            sg.locking_depth.to_numpy(),
            sg.dip.to_numpy(),
            sg.azimuth.to_numpy(),
            mu=mu,
            lam=lam,
        )
    )
    tde, tri_rate, smooth, bound, vecs = [], [], [], [], []
    for i, mesh in enumerate(mesh_list):
        next(it)
        tde.append(
            np.asarray(
                ops.tde_to_velocities(
                    ops.triangle_frames(model, mesh), mu=mu, lam=lam, tensile=False
                )
            )
        )
        tri_rate.append(ops.rotation_to_tri_slip_rate(model, i))
        smooth.append(ops.smoothing_matrix(mesh))
        bound.append(ops.boundary_constraints(mesh))
        if eigen:
            n = max(mesh.params.n_modes_strike_slip, mesh.params.n_modes_dip_slip)
            vecs.append(ops.eigenmodes(mesh, n))
        else:
            vecs.append(None)
    strain, strain_blocks = ops.block_strain_to_velocities(model)
    out = Operators(
        rotation_to_velocities=r2v,
        rotation_to_slip_rate=r2s,
        slip_rate_to_okada_to_velocities=okada,
        block_motion_constraints=ops.block_motion_constraints(model),
        slip_rate_constraints=ops.slip_rate_constraints(model, r2s),
        block_strain_rate_to_velocities=strain,
        strain_blocks=strain_blocks,
        mogi_to_velocities=ops.mogi_to_velocities(model),
        tde_to_velocities=tde,
        rotation_to_tri_slip_rate=tri_rate,
        smoothing=smooth,
        boundary=bound,
        eigenvectors=vecs,
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **out.arrays())
        tmp.replace(path)
    return out


def eigen_slip_basis(mesh, vectors) -> np.ndarray:
    """(2 n_tri, n_ss + n_ds): triangle (strike, dip) slip per eigenmode coefficient."""
    n_ss, n_ds = mesh.params.n_modes_strike_slip, mesh.params.n_modes_dip_slip
    out = np.zeros((2 * mesh.n, n_ss + n_ds))
    out[0::2, :n_ss] = vectors[:, :n_ss]
    out[1::2, n_ss:] = vectors[:, :n_ds]
    return out


@dataclasses.dataclass
class LinearSystem:
    """Dense G (rows x cols), data d and weights w, with the column ranges of each part."""

    G: np.ndarray
    d: np.ndarray
    w: np.ndarray
    columns: dict
    n_stations: int


def assemble(model: BlockModel, op: Operators, *, mode: str = "tde") -> LinearSystem:
    """The weighted least-squares system for `mode` = "tde" (triangle slip rates with
    Laplacian smoothing), "eigen" (eigenmode coefficients) or "segments" (no meshes, no strain
    or Mogi columns; celeri's "no TDE" problem)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    cfg, st = model.config, model.station
    n_sta, nb = len(st), model.n_blocks
    cols = {"rotation": (0, 3 * nb)}
    ncol = 3 * nb
    mesh_cols = []
    if mode != "segments":
        for i, mesh in enumerate(model.meshes):
            k = 2 * mesh.n if mode == "tde" else eigen_slip_basis(mesh, op.eigenvectors[i]).shape[1]
            mesh_cols.append((ncol, ncol + k))
            cols[f"mesh{i}"] = (ncol, ncol + k)
            ncol += k
        ns = op.block_strain_rate_to_velocities.shape[1]
        cols["strain"] = (ncol, ncol + ns)
        ncol += ns
        nm = op.mogi_to_velocities.shape[1]
        cols["mogi"] = (ncol, ncol + nm)
        ncol += nm
    blocks_rows, d_rows, w_rows = [], [], []
    # Stations.
    gs = np.zeros((3 * n_sta, ncol))
    gs[:, : 3 * nb] = (
        op.rotation_to_velocities - op.slip_rate_to_okada_to_velocities @ op.rotation_to_slip_rate
    )
    if mode != "segments":
        for i, mesh in enumerate(model.meshes):
            a, b = mesh_cols[i]
            if mode == "tde":
                gs[:, a:b] = -op.tde_to_velocities[i]
            else:
                gs[:, a:b] = -op.tde_to_velocities[i] @ eigen_slip_basis(mesh, op.eigenvectors[i])
        a, b = cols["strain"]
        gs[:, a:b] = op.block_strain_rate_to_velocities
        a, b = cols["mogi"]
        gs[:, a:b] = op.mogi_to_velocities
    blocks_rows.append(gs)
    d_rows.append(np.stack([st.east_vel, st.north_vel, st.up_vel], 1).reshape(-1))
    up_w = 1.0 / st.up_sig.to_numpy() ** 2 if cfg.include_vertical_velocity else np.zeros(n_sta)
    w_rows.append(
        np.stack(
            [1.0 / st.east_sig.to_numpy() ** 2, 1.0 / st.north_sig.to_numpy() ** 2, up_w], 1
        ).reshape(-1)
    )
    # A priori block rotations and segment slip rates.
    g, d = op.block_motion_constraints
    gb = np.zeros((g.shape[0], ncol))
    gb[:, : 3 * nb] = g
    blocks_rows.append(gb)
    d_rows.append(d)
    w_rows.append(np.full(g.shape[0], cfg.block_constraint_weight if mode != "segments" else 1.0))
    g, d = op.slip_rate_constraints
    gr = np.zeros((g.shape[0], ncol))
    gr[:, : 3 * nb] = g
    blocks_rows.append(gr)
    d_rows.append(d)
    w_rows.append(np.full(g.shape[0], cfg.slip_constraint_weight))
    # Mesh regularisation.
    if mode != "segments":
        for i, mesh in enumerate(model.meshes):
            a, b = mesh_cols[i]
            p = mesh.params
            if mode == "tde":
                gm = np.zeros((2 * mesh.n, ncol))
                gm[:, a:b] = op.smoothing[i]
                blocks_rows.append(gm)
                d_rows.append(np.zeros(2 * mesh.n))
                w_rows.append(np.full(2 * mesh.n, p.smoothing_weight))
                bc = op.boundary[i]
                gc = np.zeros((bc.shape[0], ncol))
                gc[:, a:b] = bc
                blocks_rows.append(gc)
                d_rows.append(np.zeros(bc.shape[0]))
                w_rows.append(np.full(bc.shape[0], cfg.tri_con_weight))
            else:
                bc = op.boundary[i] @ eigen_slip_basis(mesh, op.eigenvectors[i])
                gc = np.zeros((bc.shape[0], ncol))
                gc[:, a:b] = p.eigenmode_slip_rate_constraint_weight * bc
                blocks_rows.append(gc)
                d_rows.append(np.zeros(bc.shape[0]))
                w_rows.append(np.full(bc.shape[0], p.bot_slip_rate_weight))
    return LinearSystem(
        G=np.concatenate(blocks_rows),
        d=np.concatenate(d_rows),
        w=np.concatenate(w_rows),
        columns=cols,
        n_stations=n_sta,
    )


def solve_normal(system: LinearSystem) -> np.ndarray:
    """x minimising sum w (G x - d)^2 by Cholesky on the normal equations (float64)."""
    keep = system.w > 0
    g = system.G[keep]
    w = system.w[keep]
    gw = g * w[:, None]
    n = gw.T @ g
    rhs = gw.T @ system.d[keep]
    return scipy.linalg.solve(n, rhs, assume_a="pos")


@dataclasses.dataclass
class BlockSolution:
    """A solved block model.

    - `state`: the state vector (layout in `system.columns`).
    - `rotation (n_blocks, 3)`: rotation vectors, mrad/yr (geocentric x, y, z).
    - `euler_lon`, `euler_lat` (degrees), `euler_rate` (degrees/Myr) per block.
    - `predicted (n_stations, 3)`, `residual (n_stations, 3)`: mm/yr, residual = predicted -
      observed (celeri's sign).
    - `slip_rate (n_segments, 3)`: strike, dip, tensile slip rates, mm/yr.
    - `tde_slip_rate`: per mesh `(n_tri, 2)` strike and dip slip rates, mm/yr.
    - `kinematic_tri_slip_rate`: per mesh `(n_tri, 2)`: the rates the block motions imply.
    - `wall_s`: seconds from reading the inputs to the solution.
    """

    model: BlockModel
    operators: Operators
    system: LinearSystem
    mode: str
    state: np.ndarray
    wall_s: float = float("nan")

    @property
    def n_stations(self) -> int:
        return self.system.n_stations

    @property
    def rotation(self) -> np.ndarray:
        return self.state[: 3 * self.model.n_blocks].reshape(-1, 3)

    @property
    def euler(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r = self.rotation
        norm = np.linalg.norm(r, axis=1)
        lon = np.mod(np.degrees(np.arctan2(r[:, 1], r[:, 0])), 360.0)
        lat = np.degrees(
            np.arcsin(np.divide(r[:, 2], norm, where=norm > 0, out=np.zeros_like(norm)))
        )
        return lon, lat, 1e3 * np.degrees(norm)

    @property
    def predicted(self) -> np.ndarray:
        n = self.n_stations
        return (self.system.G[: 3 * n] @ self.state).reshape(n, 3)

    @property
    def observed(self) -> np.ndarray:
        st = self.model.station
        return np.stack([st.east_vel, st.north_vel, st.up_vel], 1)

    @property
    def residual(self) -> np.ndarray:
        return self.predicted - self.observed

    @property
    def slip_rate(self) -> np.ndarray:
        return (
            self.operators.rotation_to_slip_rate @ self.state[: 3 * self.model.n_blocks]
        ).reshape(-1, 3)

    @property
    def tde_slip_rate(self) -> list:
        out = []
        for i, mesh in enumerate(self.model.meshes):
            if f"mesh{i}" not in self.system.columns:
                out.append(None)
                continue
            a, b = self.system.columns[f"mesh{i}"]
            x = self.state[a:b]
            if self.mode == "eigen":
                x = eigen_slip_basis(mesh, self.operators.eigenvectors[i]) @ x
            out.append(x.reshape(-1, 2))
        return out

    @property
    def kinematic_tri_slip_rate(self) -> list:
        rot = self.state[: 3 * self.model.n_blocks]
        return [(r @ rot).reshape(-1, 2) for r in self.operators.rotation_to_tri_slip_rate]

    def residual_stats(self) -> dict:
        """Horizontal residual statistics over all used stations, mm/yr."""
        r = self.residual[:, :2]
        return {
            "n_stations": int(self.n_stations),
            "residual_rms_mm_per_yr": float(np.sqrt(np.mean(r**2))),
            "residual_mean_abs_mm_per_yr": float(np.mean(np.abs(r))),
        }


def solve(
    config,
    *,
    mode: str = "tde",
    cache_dir=None,
    progress: bool = False,
    model: BlockModel | None = None,
) -> BlockSolution:
    """Read, assemble and solve a celeri block model (dense).  See `assemble` for `mode`."""
    t0 = time.perf_counter()
    model = model if model is not None else build_model(config)
    op = build_operators(
        model,
        eigen=(mode == "eigen"),
        meshes=(mode != "segments"),
        cache_dir=cache_dir,
        progress=progress,
    )
    system = assemble(model, op, mode=mode)
    state = solve_normal(system)
    return BlockSolution(
        model=model,
        operators=op,
        system=system,
        mode=mode,
        state=state,
        wall_s=time.perf_counter() - t0,
    )
