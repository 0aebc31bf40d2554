"""Training data for the cycle emulator: the domain, quasi-random samples, and chunked solves.

The antiplane cycle model is scale-free: with lengths in units of the locking depth `D`, times in
units of the recurrence time `T`, velocities in units of the plate rate `V` and moduli in units
of the half-space's instantaneous modulus `mu_M`, the surface velocity `v/V` depends only on

- `x/D` and `t/T` (where and when),
- `tau_M = T mu_M / (2 eta_M)`: the Savage & Prescott (1978) `tau0` of the Maxwell element,
- `tau_K = T mu_M / (2 eta_K)`: the same for the Kelvin viscosity,
- `mu_K/mu_M` and `H/D`,
- `layer_mu/mu_M` (fixed at 1 here: a homogeneous elastic modulus).

So the training box is a box in these groups, and one data set serves every `T`, `D`, `V` and
modulus that maps into it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib

import numpy as np

#: Names of the parameter groups, in the order of every parameter array here.
PARAMETERS = ("log10_tau_M", "log10_tau_K", "log10_mu_ratio", "H_over_D")


@dataclasses.dataclass(frozen=True)
class EmulatorDomain:
    """The box of dimensionless groups an emulator was trained on (and is valid in).

    **Arguments:**

    - `x_over_D`: range of `|x|/D` (the field is odd in `x`).
    - `log10_tau_M`, `log10_tau_K`: ranges of `log10(T mu_M / (2 eta_M))` and
      `log10(T mu_M / (2 eta_K))`.
    - `log10_mu_ratio`: range of `log10(mu_K / mu_M)`.
    - `H_over_D`: range of the elastic layer thickness over the locking depth.
    - `layer_ratio`: the one value of `layer_mu / mu_M` (a homogeneous modulus).
    - `layer_tolerance`: relative tolerance on `layer_ratio`.

    `t/T` covers a whole cycle, `[0, 1)`; times are taken modulo `T`.
    """

    x_over_D: tuple[float, float] = (0.1, 20.0)
    log10_tau_M: tuple[float, float] = (-1.5, 1.5)
    log10_tau_K: tuple[float, float] = (-1.5, 1.5)
    log10_mu_ratio: tuple[float, float] = (-1.0, 1.0)
    H_over_D: tuple[float, float] = (1.0, 4.0)
    layer_ratio: float = 1.0
    layer_tolerance: float = 1e-3

    def __post_init__(self):
        for name in ("x_over_D", *PARAMETERS):
            lo, hi = getattr(self, name)
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise ValueError(f"EmulatorDomain.{name}: need finite lo < hi, got {(lo, hi)}")
        if self.x_over_D[0] <= 0 or self.H_over_D[0] < 1:
            raise ValueError("EmulatorDomain: x_over_D must be > 0 and H_over_D >= 1")

    @property
    def bounds(self) -> np.ndarray:
        """`(4, 2)` lower and upper bounds of the parameters, in the order of `PARAMETERS`."""
        return np.array([getattr(self, name) for name in PARAMETERS], float)

    def widened(self, fraction: float) -> EmulatorDomain:
        """The box grown by `fraction` of each width on both sides (x/D in log space).

        Training data is drawn from a slightly larger box than the one an emulator claims, so
        that its edges are interior points of the data.
        """

        def grow(lo, hi):
            pad = fraction * (hi - lo)
            return (lo - pad, hi + pad)

        lx = np.log10(self.x_over_D)
        x_lo, x_hi = grow(*lx)
        h_lo, h_hi = grow(*self.H_over_D)
        return dataclasses.replace(
            self,
            x_over_D=(10**x_lo, 10**x_hi),
            log10_tau_M=grow(*self.log10_tau_M),
            log10_tau_K=grow(*self.log10_tau_K),
            log10_mu_ratio=grow(*self.log10_mu_ratio),
            H_over_D=(max(1.0, h_lo), h_hi),
        )

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> EmulatorDomain:
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - fields
        if unknown:
            raise ValueError(f"EmulatorDomain: unknown fields {sorted(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def sobol_parameters(n: int, domain: EmulatorDomain, seed: int) -> np.ndarray:
    """`n` scrambled-Sobol parameter sets in `domain`, shape `(n, 4)` (order `PARAMETERS`)."""
    from scipy.stats import qmc

    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    sampler = qmc.Sobol(d=len(PARAMETERS), scramble=True, seed=seed)
    # Sobol points keep their balance properties in powers of two: draw the next one, keep n.
    m = int(np.ceil(np.log2(n)))
    unit = sampler.random_base2(m)[:n]
    lo, hi = domain.bounds.T
    return lo + unit * (hi - lo)


def sample_points(
    rng: np.random.Generator, domain: EmulatorDomain, n_x: int, n_t: int, early_fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified random `x/D` (log-uniform) and `t/T` for one parameter set.

    A fraction `early_fraction` of the times are log-uniform in `[1e-4, 0.05]`, where the
    postseismic transients are fast; the rest are stratified uniform in `[0, 1)`.
    """
    lx = np.log10(domain.x_over_D)
    x = 10 ** (lx[0] + (np.arange(n_x) + rng.random(n_x)) / n_x * (lx[1] - lx[0]))
    n_early = int(round(early_fraction * n_t))
    n_uniform = n_t - n_early
    t_uniform = (np.arange(n_uniform) + rng.random(n_uniform)) / n_uniform
    t_early = 10 ** (
        -4 + (np.arange(n_early) + rng.random(n_early)) / max(n_early, 1) * np.log10(500)
    )
    return x, np.sort(np.concatenate([t_uniform, t_early]))


def solver_velocity(params: np.ndarray, x: np.ndarray, t: np.ndarray, mesh=None) -> np.ndarray:
    """`v/V` of the diffrax `CycleModel` at one parameter set, on the grid `t (n_t) x x (n_x)`.

    Solved in the scale-free units `D = T = V = mu_M = layer_mu = 1`.
    """
    from ._mesh import AntiplaneMesh

    groups = [float(p) for p in params]
    model = _scale_free_model(groups[:3], groups[3], mesh or AntiplaneMesh())
    return np.asarray(model.surface_velocity(x[None, :], t[:, None]))


def _scale_free_model(rheology_groups, h, mesh, one=1.0, forward_mode: bool = False):
    """The `CycleModel` of the groups `(log10 tau_M, log10 tau_K, log10 mu_K/mu_M)` (the first
    three `PARAMETERS`) and `H/D = h`, in the scale-free units `D = T = V = mu_M = layer_mu = 1`
    (`one` is that 1, as a Python float or an array of the dtype wanted): with
    `tau = T mu_M / (2 eta)`, each viscosity is `eta = 0.5 / tau`."""
    from ._antiplane import CycleModel
    from ._burgers import Burgers

    p = rheology_groups
    rheology = Burgers(mu_M=one, eta_M=0.5 / 10 ** p[0], mu_K=10 ** p[2], eta_K=0.5 / 10 ** p[1])
    return CycleModel(
        H=h,
        D=one,
        T=one,
        V=one,
        layer_mu=one,
        rheology=rheology,
        mesh=mesh,
        forward_mode=forward_mode,
    )


def _atomic_savez(path: pathlib.Path, **arrays) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _meta(domain, box, mesh, n_params, n_x, n_t, chunk_size, seed, margin, early_fraction):
    """The settings of a data run, as `meta.json` records them."""
    return {
        "format": 1,
        "n_params": n_params,
        "n_x": n_x,
        "n_t": n_t,
        "chunk_size": chunk_size,
        "seed": seed,
        "margin": margin,
        "early_fraction": early_fraction,
        "domain": domain.to_json(),
        "sampled_box": box.to_json(),
        "parameters": list(PARAMETERS),
        "units": "x in D, t in T, v in V; tau = T mu_M / (2 eta)",
        "mesh": {k: getattr(mesh, k) for k in ("n_x", "n_z", "first", "growth", "quadrature")},
    }


def _write_or_check_meta(directory: pathlib.Path, meta: dict) -> None:
    """Write `meta.json`, or check that the one there has the same settings (a resumed run)."""
    meta = json.loads(json.dumps(meta))  # as it reads back (tuples become lists)
    meta_path = directory / "meta.json"
    if meta_path.exists():
        old = json.loads(meta_path.read_text())
        if old != meta:
            diff = sorted(k for k in set(meta) | set(old) if old.get(k) != meta.get(k))
            raise ValueError(
                f"{meta_path}: this directory holds data made with other settings ({diff}); "
                "use a new directory or the same settings to resume"
            )
    else:
        meta_path.write_text(json.dumps(meta, indent=1) + "\n")


def generate_training_data(
    directory,
    *,
    n_params: int,
    n_x: int = 48,
    n_t: int = 48,
    chunk_size: int = 16,
    seed: int = 0,
    domain: EmulatorDomain | None = None,
    margin: float = 0.05,
    early_fraction: float = 1 / 3,
    progress: bool = True,
    shard: tuple[int, int] = (0, 1),
    mesh=None,
) -> pathlib.Path:
    """Solve the diffrax `CycleModel` at `n_params` Sobol parameter sets and write the results.

    Each parameter set gives a grid of `n_t` times by `n_x` distances (`sample_points`).  Sets are
    written `chunk_size` at a time to `directory/chunk_#####.npz` (arrays `params (c, 4)`,
    `x (c, n_x)`, `t (c, n_t)`, `v (c, n_t, n_x)`), each chunk atomically, with the run's
    settings in `directory/meta.json`.  A rerun with the same settings skips the chunks already
    written, so an interrupted run resumes; different settings in the same directory are an
    error.  `shard = (i, n)` does only the chunks `k` with `k % n == i`, so that `n` processes
    can share the work.  `mesh` is the solver's `AntiplaneMesh` (default: `AntiplaneMesh()`).
    Must run with `jax_enable_x64` on (the solves are float64).

    **Returns:** `directory`.
    """
    import jax

    if not jax.config.jax_enable_x64:
        raise RuntimeError("generate_training_data: enable jax_enable_x64 first (float64 solves)")
    from ._mesh import AntiplaneMesh

    domain = domain or EmulatorDomain()
    mesh = mesh or AntiplaneMesh()
    box = domain.widened(margin)
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    meta = _meta(domain, box, mesh, n_params, n_x, n_t, chunk_size, seed, margin, early_fraction)
    _write_or_check_meta(directory, meta)

    params = sobol_parameters(n_params, box, seed)
    n_chunks = -(-n_params // chunk_size)
    i_shard, n_shard = shard
    todo = [
        k
        for k in range(i_shard, n_chunks, n_shard)
        if not (directory / f"chunk_{k:05d}.npz").exists()
    ]
    from tqdm.auto import tqdm

    def rows_of(k):
        return range(k * chunk_size, min(n_params, (k + 1) * chunk_size))

    mine = sum(len(rows_of(k)) for k in range(i_shard, n_chunks, n_shard))
    bar = tqdm(
        total=mine,
        initial=mine - sum(len(rows_of(k)) for k in todo),
        desc="cycle solves",
        unit="set",
        disable=not progress,
    )
    for k in todo:
        rows = rows_of(k)
        xs, ts, vs = [], [], []
        for j in rows:
            rng = np.random.default_rng([seed, j])
            x, t = sample_points(rng, box, n_x, n_t, early_fraction)
            v = solver_velocity(params[j], x, t, mesh)
            if not np.all(np.isfinite(v)):
                raise FloatingPointError(
                    f"non-finite solver output at parameter set {j}: {params[j]}"
                )
            xs.append(x)
            ts.append(t)
            vs.append(v)
            bar.update(1)
        _atomic_savez(
            directory / f"chunk_{k:05d}.npz",
            index=np.asarray(rows),
            params=params[list(rows)],
            x=np.stack(xs),
            t=np.stack(ts),
            v=np.stack(vs),
        )
    bar.close()
    return directory


def layer_solver(mesh=None, batch: int | None = None, gradients: bool = False):
    """A jitted solve of many rheologies over one elastic layer, sharing its modal decomposition.

    Returns `solve(h, rheologies (b, 3), x (b, n_x), t (b, n_t)) -> v/V (b, n_t, n_x)`, in the
    units of `solver_velocity` (`D = T = V = mu_M = layer_mu = 1`). `h` is `H/D` and the
    rheology columns are `PARAMETERS[:3]`.  The modal decomposition (the `O(N^3)` part, 3/4 of
    a single solve on the CPU) is done once for all `b` rheologies; the mode ODEs are then
    solved `batch` rheologies at a time (`None`: all `b` at once, one vmapped diffrax solve,
    best on a GPU; `1`: one after the other, best on a CPU).  The values are those of
    `solver_velocity`, up to rounding.

    With `gradients`, `solve` returns `(v, g)`, with `g (b, 3, n_t, n_x)` the derivatives of
    `v/V` with respect to the three rheology columns, by forward-mode differentiation through
    the diffrax solves (`CycleModel(forward_mode=True)`).
    """
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    from ._antiplane import _modes
    from ._mesh import AntiplaneMesh

    mesh = mesh or AntiplaneMesh()

    @eqx.filter_jit
    def solve(h, rheologies, x, t):
        one_d = jnp.ones_like(h)
        modes = _modes(h, one_d, mesh)
        n_t, n_x = t.shape[1], x.shape[1]
        ix = jnp.tile(jnp.arange(n_x), n_t)
        it = jnp.repeat(jnp.arange(n_t), n_x)

        def velocity(p, xs, ts):
            model = _scale_free_model(p, h, mesh, one_d, forward_mode=gradients)
            v = model.velocity_from_modes(modes, xs, jnp.mod(ts, one_d), ix, it)
            return v.reshape(n_t, n_x)

        def one(args):
            p, xs, ts = args
            if not gradients:
                return velocity(p, xs, ts)
            f = lambda q: velocity(q, xs, ts)  # noqa: E731
            basis = jnp.eye(3, dtype=p.dtype)
            v, g = jax.vmap(lambda e: jax.jvp(f, (p,), (e,)))(basis)
            return v[0], g

        size = rheologies.shape[0] if batch is None else batch
        return jax.lax.map(one, (rheologies, x, t), batch_size=size)

    return solve


def generate_layered_training_data(
    directory,
    *,
    n_layers: int,
    sets_per_layer: int,
    n_x: int = 48,
    n_t: int = 48,
    seed: int = 0,
    domain: EmulatorDomain | None = None,
    margin: float = 0.05,
    early_fraction: float = 1 / 3,
    batch: int | None = 1,
    progress: bool = True,
    shard: tuple[int, int] = (0, 1),
    mesh=None,
    deadline: float | None = None,
    gradients: bool = False,
) -> pathlib.Path:
    """Like `generate_training_data`, with the sets grouped by layer thickness (faster).

    `H/D` takes `n_layers` stratified random values across the box (one per equal slice), and
    each layer gets `sets_per_layer` scrambled-Sobol rheologies `(tau_M, tau_K, mu_K/mu_M)` of
    its own (seeded by `(seed, layer)`), so the `n_layers * sets_per_layer` sets still fill the
    four-dimensional box.  Layers are solved in a random order, so that the layers of a run
    cut short still span the range of `H/D`.  Since the modal decomposition depends on `H/D`
    alone, it is computed once per layer.  A set then costs about 0.85 s on this project's
    2-core CPU (`batch=1`; 2.9 s with `generate_training_data`), and 0.011 s on an H200
    (`batch=None`, 32 sets at a time).

    Layer `k` is written to `directory/chunk_{k:05d}.npz` with the arrays of
    `generate_training_data` (and set indices `k * sets_per_layer + j`), so `load_training_data`
    reads both.  Resuming, `shard` and the settings check work as there.  `deadline` (a
    `time.monotonic()` value) stops before starting a layer after it, leaving a directory that
    a rerun completes.  With `gradients`, each chunk also holds `g (c, 3, n_t, n_x)`, the
    derivatives of `v` with respect to the three rheology parameters (`layer_solver`; about
    four times the cost), for training on gradients.  Must run with `jax_enable_x64` on (the
    solves are float64).

    **Returns:** `directory`.
    """
    import time

    import jax

    if not jax.config.jax_enable_x64:
        raise RuntimeError(
            "generate_layered_training_data: enable jax_enable_x64 first (float64 solves)"
        )
    from scipy.stats import qmc
    from tqdm.auto import tqdm

    from ._mesh import AntiplaneMesh

    if n_layers < 1 or sets_per_layer < 1:
        raise ValueError(
            f"n_layers and sets_per_layer must be >= 1, got {n_layers}, {sets_per_layer}"
        )
    domain = domain or EmulatorDomain()
    mesh = mesh or AntiplaneMesh()
    box = domain.widened(margin)
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    n_params = n_layers * sets_per_layer
    meta = _meta(
        domain, box, mesh, n_params, n_x, n_t, sets_per_layer, seed, margin, early_fraction
    )
    meta.update(design="layers", n_layers=n_layers, sets_per_layer=sets_per_layer)
    if gradients:
        meta["gradients"] = "g: d(v/V) / d(" + ", ".join(PARAMETERS[:3]) + ")"
    _write_or_check_meta(directory, meta)
    lo, hi = box.bounds.T
    u = np.random.default_rng([seed, 1 << 20]).random(n_layers)
    layers = lo[3] + (np.arange(n_layers) + u) / n_layers * (hi[3] - lo[3])
    i_shard, n_shard = shard
    # Layers in a random order, so that a run cut short (deadline) still spans the H/D range.
    order = np.random.default_rng([seed, 2 << 20]).permutation(n_layers)
    todo = [
        int(k)
        for k in order
        if k % n_shard == i_shard and not (directory / f"chunk_{k:05d}.npz").exists()
    ]
    mine = len(range(i_shard, n_layers, n_shard)) * sets_per_layer
    solve = layer_solver(mesh, batch, gradients)
    bar = tqdm(
        total=mine,
        initial=mine - len(todo) * sets_per_layer,
        desc="cycle solves",
        unit="set",
        disable=not progress,
    )
    for k in todo:
        if deadline is not None and time.monotonic() > deadline:
            break
        m = int(np.ceil(np.log2(sets_per_layer)))
        unit = qmc.Sobol(d=3, scramble=True, seed=np.random.default_rng([seed, k])).random_base2(m)
        rheologies = lo[:3] + unit[:sets_per_layer] * (hi[:3] - lo[:3])
        points = [
            sample_points(np.random.default_rng([seed, k, j]), box, n_x, n_t, early_fraction)
            for j in range(sets_per_layer)
        ]
        x = np.stack([p[0] for p in points])
        t = np.stack([p[1] for p in points])
        out = solve(np.float64(layers[k]), rheologies, x, t)
        extra = {"g": np.asarray(out[1])} if gradients else {}
        v = np.asarray(out[0] if gradients else out)
        bad = ~np.all(np.isfinite(v), axis=(1, 2))
        if gradients:
            bad |= ~np.all(np.isfinite(extra["g"]), axis=(1, 2, 3))
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise FloatingPointError(
                f"non-finite solver output at layer {k}, set {j}: "
                f"{rheologies[j]}, H/D = {layers[k]}"
            )
        params = np.concatenate([rheologies, np.full((sets_per_layer, 1), layers[k])], axis=1)
        _atomic_savez(
            directory / f"chunk_{k:05d}.npz",
            index=k * sets_per_layer + np.arange(sets_per_layer),
            params=params,
            x=x,
            t=t,
            v=v,
            **extra,
        )
        bar.update(sets_per_layer)
    bar.close()
    return directory


def load_training_data(directory) -> dict[str, np.ndarray]:
    """Concatenate the chunks written by `generate_training_data` (those present).

    Gradients (`g`) are included when every chunk holds them.
    """
    directory = pathlib.Path(directory)
    files = sorted(directory.glob("chunk_*.npz"))
    if not files:
        raise FileNotFoundError(f"{directory}: no chunk_*.npz files (run generate_training_data)")
    parts: dict[str, list] = {}
    for f in files:
        try:
            with np.load(f) as data:
                for key in ("index", "params", "x", "t", "v", "g"):
                    if key != "g" or "g" in data.files:
                        parts.setdefault(key, []).append(data[key])
        except (OSError, KeyError, ValueError) as err:
            raise ValueError(f"{f}: not a readable emulator data chunk ({err})") from err
    if "g" in parts and len(parts["g"]) != len(files):
        raise ValueError(f"{directory}: only some chunks hold gradients (g)")
    return {k: np.concatenate(v) for k, v in parts.items()}
