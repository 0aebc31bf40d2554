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

import jax
import numpy as np
import scipy.linalg

from . import _operators as ops
from ._model import BlockModel, build_model

MODES = ("tde", "eigen", "segments")


def _progress(iterable, desc, enabled):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(total=len(iterable), desc=desc, leave=False)


@dataclasses.dataclass
class Operators:
    """Every operator of a block model (NumPy float64); see `build_operators`.

    Units: station rows are east, north, up velocities in mm/yr; rotation columns are
    geocentric (omega_x, omega_y, omega_z) in mrad/yr; slip columns and rows are slip rates in
    mm/yr (so the elastic operators are dimensionless); eigenvectors are unit-norm,
    dimensionless.
    """

    rotation_to_velocities: np.ndarray
    rotation_to_slip_rate: np.ndarray
    rotation_to_okada_velocities: np.ndarray  # (3 n_sta, 3 n_blocks) = okada @ rotation_to_slip
    block_motion_constraints: tuple
    slip_rate_constraints: tuple
    block_strain_rate_to_velocities: np.ndarray
    strain_blocks: np.ndarray
    mogi_to_velocities: np.ndarray
    tde_to_velocities: list  # per mesh (3 n_sta, 2 n_tri): strike and dip columns only
    rotation_to_tri_slip_rate: list  # per mesh (2 n_tri, 3 n_blocks), None without segments
    eigenvectors: list  # per mesh (n_tri, n_modes) or None
    slip_rate_to_okada_to_velocities: np.ndarray | None = None  # (3 n_sta, 3 n_seg) if kept

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
            elif v is not None:
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
            elif f.name == "slip_rate_to_okada_to_velocities":
                kw[f.name] = None
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


def enable_compilation_cache(folder=None) -> Path:
    """Keep JAX's compiled kernels on disk (default `~/.cache/quakejax/jax`), so that a new
    process does not recompile the Okada and TDE kernels (a few seconds each on a CPU), and
    the block kernels' exported (traced and lowered) form in its `exported/` folder, so that
    it does not trace them either (needs the `flatbuffers` package; skipped without it).

    This sets JAX's global `jax_compilation_cache_dir`; the command line does it, the library
    never does it by itself.
    """
    import jax

    folder = Path(folder) if folder is not None else default_cache_dir().parent / "jax"
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.2)
    # The block kernels' traced and lowered form too (`_operators.kernels`), next to it.
    ops.EXPORT_DIR = folder / "exported"
    return folder


def build_operators(
    model: BlockModel,
    *,
    eigen: bool = False,
    meshes: bool = True,
    cache_dir=None,
    progress: bool = False,
    keep_okada: bool = False,
) -> Operators:
    """All operators of `model` (mesh operators only if `meshes`); cached on disk (npz keyed
    by the inputs' SHA-256) when `cache_dir` is given.  The segments' Okada operator is only
    kept whole with `keep_okada` (otherwise just its product with the rotation-to-slip-rate
    operator, which is all the solve needs)."""
    path = None
    mesh_list = model.meshes if meshes else []
    if cache_dir is not None:
        key = _cache_key(model, eigen) + ("" if meshes else "-nomesh") + ("-okada" * keep_okada)
        path = Path(cache_dir) / f"operators-{key}.npz"
        if path.is_file():
            with np.load(path) as z:
                return Operators.from_arrays(dict(z), len(model.meshes))
    cfg = model.config
    mu, lam = cfg.material_mu, cfg.material_lambda
    r2s = ops.rotation_to_slip_rate(model)

    # Two phases, each using both cores: the projections (pyproj, which releases the GIL)
    # of the segments and of the meshes in two threads, then the Okada and TDE kernels one
    # after the other (XLA spreads each over the cores; run side by side they contend).
    from concurrent.futures import ThreadPoolExecutor

    steps = ["projections", "segments (Okada)"] + [
        f"mesh {i} ({m.mesh.path.name}, {m.n} triangles)" for i, m in enumerate(mesh_list)
    ]
    bar = _progress(range(len(steps)), "block operators", progress)
    with ThreadPoolExecutor(max_workers=2) as pool:
        # The kernels compile (or load from JAX's disk cache) meanwhile, on the side.
        compiled = pool.submit(
            ops.kernels,
            len(model.station),
            len(model.segment),
            model.n_blocks,
            [m.n for m in mesh_list],
            mu=mu,
            lam=lam,
        )
        seg_frames = pool.submit(ops.segment_frames, model)
        tri_frames = [ops.triangle_frames(model, mesh) for mesh in mesh_list]
        seg_frames = seg_frames.result()
        kern = compiled.result()
    if progress:
        bar.update(1)
    # float64 whatever the global setting: the operators feed a solve whose constraint
    # weights span 30 orders of magnitude (the context is local to this thread).
    with jax.enable_x64(True):
        okada = ops.okada_backslip_velocities(
            model,
            r2s,
            mu=mu,
            lam=lam,
            keep_full=keep_okada,
            frames=seg_frames,
            kernel=kern.get("okada"),
        )
        if progress:
            bar.update(1)
        r2v = ops.rotation_to_velocities(model)
        tde, tri_rate, vecs = [], [], []
        for i, (mesh, frames) in enumerate(zip(mesh_list, tri_frames, strict=True)):
            g = ops.tde_to_velocities(
                frames, mu=mu, lam=lam, tensile=False, kernel=kern.get(("tde", mesh.n))
            )
            tde.append(np.asarray(g))
            tri_rate.append(ops.rotation_to_tri_slip_rate(model, i))
            if eigen:
                n = max(mesh.params.n_modes_strike_slip, mesh.params.n_modes_dip_slip)
                vecs.append(ops.eigenmodes(mesh, n))
            else:
                vecs.append(None)
            if progress:
                bar.update(1)
    okada_product, okada_full = okada if keep_okada else (okada, None)
    if progress:
        bar.close()
    strain, strain_blocks = ops.block_strain_to_velocities(model)
    out = Operators(
        rotation_to_velocities=r2v,
        rotation_to_slip_rate=r2s,
        rotation_to_okada_velocities=okada_product,
        slip_rate_to_okada_to_velocities=okada_full,
        block_motion_constraints=ops.block_motion_constraints(model),
        slip_rate_constraints=ops.slip_rate_constraints(model, r2s),
        block_strain_rate_to_velocities=strain,
        strain_blocks=strain_blocks,
        mogi_to_velocities=ops.mogi_to_velocities(model),
        tde_to_velocities=tde,
        rotation_to_tri_slip_rate=tri_rate,
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
    """The weighted least-squares problem as row blocks.

    `rows`: list of `(name, G_k, d_k, w_k)`, with `G_k` a dense array or a SciPy sparse
    matrix of `n_columns` columns; the first block is the stations (3 rows each).
    `columns`: name -> (start, stop) of each part of the state vector.
    """

    rows: list
    columns: dict
    n_columns: int
    n_stations: int

    @property
    def station_G(self) -> np.ndarray:
        return self.rows[0][1]

    @property
    def G(self) -> np.ndarray:
        """The whole operator, dense (for inspection; the solve never forms it)."""
        return np.concatenate([_dense(g) for _, g, _, _ in self.rows])

    @property
    def d(self) -> np.ndarray:
        return np.concatenate([d for _, _, d, _ in self.rows])

    @property
    def w(self) -> np.ndarray:
        return np.concatenate([w for _, _, _, w in self.rows])

    def column_scale(self, *, skip_vertical: bool = True) -> np.ndarray:
        """Largest |G| in each column (station up rows left out if `skip_vertical`)."""
        out = np.zeros(self.n_columns)
        for k, (_, g, _, _) in enumerate(self.rows):
            if k == 0 and skip_vertical:
                keep = np.ones(g.shape[0], bool)
                keep[2::3] = False
                g = g[keep]
            if g.shape[0]:
                a = abs(g).max(axis=0)
                out = np.maximum(out, np.asarray(_dense(a)).reshape(-1))
        return out

    def normal_equations(self) -> tuple[np.ndarray, np.ndarray]:
        """(G^T W G upper triangle, G^T W d); dense blocks by a symmetric rank-k update, the
        sparse blocks (constraints, smoothing) by one sparse product added entry by entry."""
        return _normal_equations(self.rows, self.n_columns)


_SYRK_ROWS = 1024  # rows of a dense block per rank-k update in `_normal_equations`


def _normal_equations(rows, n_columns, base=None) -> tuple[np.ndarray, np.ndarray]:
    """The normal equations of `rows` (see `LinearSystem`), added to `base` = (upper triangle,
    right-hand side) if given (`base` is not modified)."""
    import scipy.sparse
    from scipy.linalg.blas import dsyrk

    n = None if base is None else base[0].copy(order="F")
    rhs = np.zeros(n_columns) if base is None else base[1].copy()
    sparse = []
    for _, g, d, w in rows:
        keep = np.nonzero(w > 0)[0]
        if not keep.size:
            continue
        wd = w[keep] * d[keep]
        if hasattr(g, "tocsr"):
            g = g.tocsr()[keep]
            sparse.append(scipy.sparse.diags(np.sqrt(w[keep])) @ g)
            rhs += g.T @ wd
        else:
            rhs += g[keep].T @ wd if keep.size < g.shape[0] else g.T @ wd
            sw = np.sqrt(w[keep])
            # In chunks of rows: the weighted copy stays small (fresh memory is slow to touch
            # on virtual machines).  Each chunk adds the upper triangle of a^T a; a.T is
            # Fortran-ordered, so BLAS reads it without a copy.
            for lo in range(0, keep.size, _SYRK_ROWS):
                sel = keep[lo : lo + _SYRK_ROWS]
                a = g[sel]
                a *= sw[lo : lo + _SYRK_ROWS, None]
                if n is None:
                    n = dsyrk(1.0, a.T, trans=0, lower=0)
                else:
                    n = dsyrk(1.0, a.T, beta=1.0, c=n, trans=0, lower=0, overwrite_c=1)
    if n is None:
        n = np.zeros((n_columns, n_columns), order="F")
    if sparse:
        s = scipy.sparse.vstack(sparse).tocsr()
        ata = (s.T @ s).tocoo()
        upper = ata.row <= ata.col
        np.add.at(n, (ata.row[upper], ata.col[upper]), ata.data[upper])
    return n, rhs


def _dense(a):
    return a.toarray() if hasattr(a, "toarray") else np.asarray(a)


def assemble(model: BlockModel, op: Operators, *, mode: str = "tde") -> LinearSystem:
    """The weighted least-squares system for `mode` = "tde" (triangle slip rates with
    Laplacian smoothing), "eigen" (eigenmode coefficients) or "segments" (no meshes, no strain
    or Mogi columns; celeri's "no TDE" problem)."""
    import scipy.sparse

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    cfg, st = model.config, model.station
    n_sta, nb = len(st), model.n_blocks
    cols = {"rotation": (0, 3 * nb)}
    ncol = 3 * nb
    bases = []
    if mode != "segments":
        for i, mesh in enumerate(model.meshes):
            basis = None if mode == "tde" else eigen_slip_basis(mesh, op.eigenvectors[i])
            bases.append(basis)
            k = 2 * mesh.n if basis is None else basis.shape[1]
            cols[f"mesh{i}"] = (ncol, ncol + k)
            ncol += k
        ns = op.block_strain_rate_to_velocities.shape[1]
        cols["strain"] = (ncol, ncol + ns)
        ncol += ns
        nm = op.mogi_to_velocities.shape[1]
        cols["mogi"] = (ncol, ncol + nm)
        ncol += nm
    rows = []
    # Stations: rigid rotation minus the elastic effect of fully locked segments (backslip).
    # Written in place (no temporaries): the mesh block is 5,058 x 3,682 for WNA.
    gs = np.zeros((3 * n_sta, ncol))
    np.subtract(op.rotation_to_velocities, op.rotation_to_okada_velocities, out=gs[:, : 3 * nb])
    if mode != "segments":
        for i, basis in enumerate(bases):
            a, b = cols[f"mesh{i}"]
            tde = op.tde_to_velocities[i]
            np.negative(tde if basis is None else tde @ basis, out=gs[:, a:b])
        a, b = cols["strain"]
        gs[:, a:b] = op.block_strain_rate_to_velocities
        a, b = cols["mogi"]
        gs[:, a:b] = op.mogi_to_velocities
    up_w = 1.0 / st.up_sig.to_numpy() ** 2 if cfg.include_vertical_velocity else np.zeros(n_sta)
    rows.append(
        (
            "stations",
            gs,
            np.stack([st.east_vel, st.north_vel, st.up_vel], 1).reshape(-1),
            np.stack(
                [1.0 / st.east_sig.to_numpy() ** 2, 1.0 / st.north_sig.to_numpy() ** 2, up_w], 1
            ).reshape(-1),
        )
    )

    def padded(g, a, b):
        g = scipy.sparse.csr_matrix(g)
        left = scipy.sparse.csr_matrix((g.shape[0], a))
        right = scipy.sparse.csr_matrix((g.shape[0], ncol - b))
        return scipy.sparse.hstack([left, g, right], format="csr")

    # A priori block rotations and segment slip rates.
    g, d = op.block_motion_constraints
    weight = cfg.block_constraint_weight if mode != "segments" else 1.0
    rows.append(("block_constraints", padded(g, 0, 3 * nb), d, np.full(len(d), weight)))
    g, d = op.slip_rate_constraints
    rows.append(
        (
            "slip_rate_constraints",
            padded(g, 0, 3 * nb),
            d,
            np.full(len(d), cfg.slip_constraint_weight),
        )
    )
    # Mesh regularisation: smoothing and boundary rows (slip rates), or weighted boundary rows
    # of the eigenmode expansion.
    if mode != "segments":
        for i, (mesh, basis) in enumerate(zip(model.meshes, bases, strict=True)):
            a, b = cols[f"mesh{i}"]
            p = mesh.params
            bc = ops.boundary_constraints(mesh)
            if basis is None:
                lap = ops.smoothing_matrix(mesh)
                rows.append(
                    (
                        f"mesh{i}_smoothing",
                        padded(lap, a, b),
                        np.zeros(lap.shape[0]),
                        np.full(lap.shape[0], p.smoothing_weight),
                    )
                )
                rows.append(
                    (
                        f"mesh{i}_boundary",
                        padded(bc, a, b),
                        np.zeros(bc.shape[0]),
                        np.full(bc.shape[0], cfg.tri_con_weight),
                    )
                )
            else:
                rows.append(
                    (
                        f"mesh{i}_boundary",
                        padded(p.eigenmode_slip_rate_constraint_weight * (bc @ basis), a, b),
                        np.zeros(bc.shape[0]),
                        np.full(bc.shape[0], p.bot_slip_rate_weight),
                    )
                )
    return LinearSystem(rows=rows, columns=cols, n_columns=ncol, n_stations=n_sta)


def solve_normal(system: LinearSystem, normal=None) -> np.ndarray:
    """x minimising sum w (G x - d)^2: Cholesky of the normal equations in float64 (celeri's
    method; the very large constraint weights make them ill-conditioned, but the Cholesky
    factor exists and the solution matches celeri's to its printed precision).  `normal`:
    the normal equations `(upper triangle, rhs)` if already formed (they are overwritten)."""
    n, rhs = system.normal_equations() if normal is None else normal
    factor = scipy.linalg.cho_factor(n, lower=False, overwrite_a=True, check_finite=False)
    return scipy.linalg.cho_solve(factor, rhs, check_finite=False)


@dataclasses.dataclass
class BoundsReport:
    """Outcome of `solve_bounded`: per iteration, the number of bounded components outside
    their bounds (`violations`), and the final fraction within bounds."""

    violations: list
    n_bounded: int
    satisfied: float
    iterations: int


def _mesh_bounds(model: BlockModel, op: Operators, system: LinearSystem, mode: str):
    """Per bounded mesh component: (row of the state -> slip rate, row -> kinematic rate,
    (lo, hi) coupling bounds, (lo, hi) slip-rate bounds)."""
    nb3 = 3 * model.n_blocks
    out = []
    for i, mesh in enumerate(model.meshes):
        if f"mesh{i}" not in system.columns:
            continue
        a, b = system.columns[f"mesh{i}"]
        p = mesh.params
        if mode == "eigen":
            basis = eigen_slip_basis(mesh, op.eigenvectors[i])
        else:
            basis = np.eye(2 * mesh.n)
        kin = op.rotation_to_tri_slip_rate[i]
        if kin is None:  # no segment maps onto this mesh: no kinematic rate, no coupling
            kin = np.zeros((2 * mesh.n, nb3))
            no_coupling = True
        else:
            no_coupling = False
        for comp, coup, elastic in (
            (0, p.coupling_constraints_ss, p.elastic_constraints_ss),
            (1, p.coupling_constraints_ds, p.elastic_constraints_ds),
        ):
            if no_coupling:
                coup = (None, None)
            if all(v is None for v in coup) and all(v is None for v in elastic):
                continue
            rows = np.arange(comp, 2 * mesh.n, 2)
            slip = np.zeros((rows.size, system.n_columns))
            slip[:, a:b] = basis[rows]
            k = np.zeros((rows.size, system.n_columns))
            k[:, :nb3] = kin[rows]
            out.append((slip, k, coup, elastic))
    return out


def solve_bounded(
    system: LinearSystem,
    model: BlockModel,
    op: Operators,
    *,
    mode: str,
    max_iter: int = 10,
    target: float = 0.99,
    weight: float = 1e8,
    tolerance: float = 1e-3,
) -> tuple[np.ndarray, BoundsReport]:
    """Dense solve with the mesh parameters' bounds on coupling and slip rate.

    Coupling bounds (`coupling_constraints_ss/ds`, fractions of the block-motion slip rate)
    and slip-rate bounds (`elastic_constraints_ss/ds`, mm/yr) hold per triangle and
    component.  An active-set iteration: solve; every component outside its bounds (by more
    than `tolerance` mm/yr) is pinned to the bound it crossed by a pseudo-observation of
    weight `weight` (a coupling bound is linear in the state: slip - c x kinematic(rotation));
    re-solve; stop when a fraction `target` of the bounded components is within bounds or
    after `max_iter` solves (`violations` then counts those left after the last solve).
    Pinned components stay pinned, as in celeri's iterative
    coupling bounds.
    """
    import scipy.sparse

    comps = _mesh_bounds(model, op, system, mode)
    n_bounded = int(sum(c[0].shape[0] for c in comps))
    base = system.normal_equations()  # formed once; each re-solve adds the pinned rows
    x = solve_normal(system, (base[0].copy(order="F"), base[1].copy()))
    violations = []
    pinned: dict = {}  # (component set, row) -> constraint row
    solves = 1
    while True:
        count = 0
        for ci, (slip, kin, coup, elastic) in enumerate(comps):
            s, k = slip @ x, kin @ x
            lo = np.full(s.shape, -np.inf)
            hi = np.full(s.shape, np.inf)
            rows_lo = [None] * s.size
            rows_hi = [None] * s.size
            for c, side in ((coup[0], "lo"), (coup[1], "hi")):
                if c is None:
                    continue
                # With a negative kinematic rate the lower coupling bound is the upper one.
                value = c * k
                is_lo = (k >= 0) == (side == "lo")
                for j in np.nonzero(is_lo & (value > lo))[0]:
                    lo[j], rows_lo[j] = value[j], slip[j] - c * kin[j]
                for j in np.nonzero(~is_lo & (value < hi))[0]:
                    hi[j], rows_hi[j] = value[j], slip[j] - c * kin[j]
            if elastic[0] is not None:
                for j in np.nonzero(elastic[0] > lo)[0]:
                    lo[j], rows_lo[j] = elastic[0], (slip[j], elastic[0])
            if elastic[1] is not None:
                for j in np.nonzero(elastic[1] < hi)[0]:
                    hi[j], rows_hi[j] = elastic[1], (slip[j], elastic[1])
            below = np.nonzero(s < lo - tolerance)[0]
            above = np.nonzero(s > hi + tolerance)[0]
            count += below.size + above.size
            for j in below:
                pinned[(ci, int(j))] = rows_lo[j]
            for j in above:
                pinned[(ci, int(j))] = rows_hi[j]
        violations.append(count)
        if count == 0 or 1.0 - count / max(n_bounded, 1) >= target or solves >= max_iter:
            break
        g_rows, d_rows = [], []
        for row in pinned.values():
            if isinstance(row, tuple):
                g_rows.append(row[0])
                d_rows.append(row[1])
            else:
                g_rows.append(row)
                d_rows.append(0.0)
        extra = (
            "bounds",
            scipy.sparse.csr_matrix(np.array(g_rows)),
            np.array(d_rows),
            np.full(len(d_rows), weight),
        )
        x = solve_normal(system, _normal_equations([extra], system.n_columns, base))
        solves += 1
    satisfied = 1.0 - violations[-1] / max(n_bounded, 1)
    return x, BoundsReport(
        violations=violations, n_bounded=n_bounded, satisfied=satisfied, iterations=solves
    )


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
    - `wall_s`: seconds from reading the inputs to the solution; `timings`: its parts
      (model, operators, assemble, solve).
    """

    model: BlockModel
    operators: Operators
    system: LinearSystem
    mode: str
    state: np.ndarray
    wall_s: float = float("nan")
    bounds: BoundsReport | None = None
    timings: dict = dataclasses.field(default_factory=dict)

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
        return (self.system.station_G @ self.state).reshape(n, 3)

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
        return [
            None if r is None else (r @ rot).reshape(-1, 2)
            for r in self.operators.rotation_to_tri_slip_rate
        ]

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
    bounded: bool = False,
) -> BlockSolution:
    """Read, assemble and solve a celeri block model (dense).  See `assemble` for `mode`;
    `bounded` applies the meshes' coupling and slip-rate bounds (`solve_bounded`)."""
    t0 = time.perf_counter()
    model = model if model is not None else build_model(config)
    t1 = time.perf_counter()
    op = build_operators(
        model,
        eigen=(mode == "eigen"),
        meshes=(mode != "segments"),
        cache_dir=cache_dir,
        progress=progress,
    )
    t2 = time.perf_counter()
    system = assemble(model, op, mode=mode)
    t3 = time.perf_counter()
    report = None
    if bounded and mode != "segments":
        state, report = solve_bounded(system, model, op, mode=mode)
    else:
        state = solve_normal(system)
    t4 = time.perf_counter()
    return BlockSolution(
        model=model,
        operators=op,
        system=system,
        mode=mode,
        state=state,
        wall_s=time.perf_counter() - t0,
        bounds=report,
        timings={"model": t1 - t0, "operators": t2 - t1, "assemble": t3 - t2, "solve": t4 - t3},
    )
