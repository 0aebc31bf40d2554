"""Linear operators of the block model (Meade & Loveless 2009), in celeri's layout.

Units: block rotation vectors are geocentric Cartesian (omega_x, omega_y, omega_z) in
1e-3 rad/yr (mrad/yr), so that rotation times position in metres gives mm/yr.  Velocities and
slip rates are mm/yr.  Station rows are interleaved (east, north, up); segment and triangle
slip columns are interleaved (strike-slip, dip-slip, tensile) or (strike-slip, dip-slip).

Elastic operators follow celeri's geometry exactly:

- a segment is a rectangular dislocation from the surface to its locking depth, in a WGS84
  oblique Mercator projection through its two ends (pyproj `omerc`); its (x, y) displacements
  are rotated to east and north with the segment's geodesic azimuth;
- a triangle is evaluated in a WGS84 transverse Mercator projection centred on its mean vertex
  (pyproj `tmerc`), whose (x, y) displacements are taken as east and north.

Projections run once on the host (NumPy, pyproj); the kernels then run in JAX, so the
Okada operator is a differentiable function of locking depths and dips.
"""

from __future__ import annotations

import functools
import os
import types

import jax
import jax.numpy as jnp
import numpy as np
import pyproj

from ..okada._common import CPU_COMPILER_OPTIONS, backend_jit
from ..okada._dc3d import _dc3d_surface_rows
from ..tde._kernel import _hs_displacement_surface
from ._model import EARTH_RADIUS, GEOD, BlockModel, FaultMesh, sph2cart


def _rotation_partials(xyz, lon, lat):
    """(n, 2, 3): (east, north) velocity at position `xyz` (m) for unit omega_x, _y, _z,
    projected on the local axes at (lon, lat) degrees."""
    xyz = np.atleast_2d(xyz)
    lo, la = np.radians(lon), np.radians(lat)
    east_axis = np.stack([-np.sin(lo), np.cos(lo), np.zeros_like(lo)], -1)
    north_axis = np.stack([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)], -1)
    out = np.empty((xyz.shape[0], 2, 3))
    for k in range(3):
        omega = np.zeros(3)
        omega[k] = 1.0
        v = np.cross(omega[None, :], xyz)  # omega x r
        out[:, 0, k] = (v * east_axis).sum(-1)
        out[:, 1, k] = (v * north_axis).sum(-1)
    return out


def rotation_to_velocities(model) -> np.ndarray:
    """(3 n_stations, 3 n_blocks): station velocity (mm/yr) per block rotation (mrad/yr).

    `model`: a `BlockModel`, or any object with a `station` table (lon, lat, block_label)
    and `n_blocks`.

    Each station moves with its own block; the up rows are zero (rigid rotation on a sphere).
    """
    st = model.station
    n, nb = len(st), model.n_blocks
    xyz = np.stack(sph2cart(st.lon.to_numpy(), st.lat.to_numpy(), EARTH_RADIUS), 1)
    p = _rotation_partials(xyz, st.lon.to_numpy(), st.lat.to_numpy())
    out = np.zeros((n, 3, nb, 3))
    lab = st.block_label.to_numpy()
    ok = lab >= 0
    out[np.nonzero(ok)[0], :2, lab[ok], :] = p[ok]
    return out.reshape(3 * n, 3 * nb)


def rotation_to_slip_rate(model: BlockModel) -> np.ndarray:
    """(3 n_segments, 3 n_blocks): segment slip rates (strike, dip, tensile; mm/yr).

    The velocity of the east block relative to the west block at the segment's geodesic
    mid-point is projected on the unit strike vector (along the segment's azimuth, reversed
    when its second end lies south of its first) and on the horizontal normal to the left of
    that vector.  The first projection is strike slip; the second becomes dip slip scaled by
    1/|cos dip| for dipping segments, or tensile slip with the opposite sign for vertical ones
    (dip exactly 90 degrees).  These are celeri's conventions.
    """
    sg = model.segment
    ns, nb = len(sg), model.n_blocks
    mid_lon, mid_lat = sg.mid_lon.to_numpy(), sg.mid_lat.to_numpy()
    xyz = np.stack(sph2cart(mid_lon, mid_lat, EARTH_RADIUS), 1)
    p = _rotation_partials(xyz, mid_lon, mid_lat)  # (ns, 2, 3)
    az = np.radians(sg.azimuth.to_numpy())
    par = np.stack([np.sin(az), np.cos(az)], -1)  # (east, north) along strike
    perp = np.stack([-np.cos(az), np.sin(az)], -1)  # to the left of strike
    south = (sg.lat2.to_numpy() < sg.lat1.to_numpy())[:, None]
    par = np.where(south, -par, par)
    perp = np.where(south, -perp, perp)
    along = np.einsum("sc,sck->sk", par, p)  # (ns, 3)
    across = np.einsum("sc,sck->sk", perp, p)
    dip = sg.dip.to_numpy()
    vertical = dip == 90.0
    m = np.zeros((ns, 3, 3))
    m[:, 0] = along
    scale = np.where(vertical, 0.0, 1.0 / np.abs(np.cos(np.radians(np.where(vertical, 0, dip)))))
    m[:, 1] = scale[:, None] * across
    m[:, 2] = np.where(vertical[:, None], -across, 0.0)
    out = np.zeros((ns, 3, nb, 3))
    rows = np.arange(ns)
    out[rows, :, sg.east_labels.to_numpy(), :] = m
    out[rows, :, sg.west_labels.to_numpy(), :] = -m  # west written last (wins if equal)
    return out.reshape(3 * ns, 3 * nb)


# -- Okada segments ------------------------------------------------------------------------


def _omerc(lon1, lat1, lon2, lat2):
    lon1 = lon1 - 360.0 if lon1 > 180.0 else lon1
    lon2 = lon2 - 360.0 if lon2 > 180.0 else lon2
    if abs(lat1 - lat2) <= 1e-8 + 1e-5 * abs(lat2):  # np.isclose's rule, on floats
        lat2 = lat2 + 0.001
    return pyproj.Proj(
        f"+proj=omerc +lon_1={lon1!s} +lat_1={lat1!s} +lon_2={lon2!s} +lat_2={lat2!s} +ellps=WGS84"
    )


def segment_frames(model, *, progress=None):
    """Stations in each segment's Okada frame, before the dip-dependent shift.

    `model`: a `BlockModel`, or any object with `segment` (lon1, lat1, lon2, lat2) and
    `station` (lon, lat) tables, longitudes in degrees.

    Returns `(x (s, n), y (s, n), length (s,))` in metres: x along strike from the segment's
    projected mid-point, y to the left of strike, and the projected segment length.
    """
    sg, st = model.segment, model.station
    ends = [sg[c].to_numpy(dtype=float).tolist() for c in ("lon1", "lat1", "lon2", "lat2")]
    ns, n = len(sg), len(st)
    # The stations and then the segment's two end points, projected in one call.
    lon = np.concatenate([st.lon.to_numpy(dtype=float), [0.0, 0.0]])
    lat = np.concatenate([st.lat.to_numpy(dtype=float), [0.0, 0.0]])
    xs = np.empty((ns, n))
    ys = np.empty((ns, n))
    length = np.empty(ns)
    it = range(ns) if progress is None else progress(range(ns))
    for i in it:
        lon1, lat1, lon2, lat2 = (e[i] for e in ends)
        proj = _omerc(lon1, lat1, lon2, lat2)
        lon[n:] = lon1, lon2
        lat[n:] = lat1, lat2
        x, y = proj(lon, lat)
        x1, y1, x2, y2 = x[n], y[n], x[n + 1], y[n + 1]
        strike = np.arctan2(y2 - y1, x2 - x1)
        length[i] = np.hypot(x2 - x1, y2 - y1)
        x = x[:n] - 0.5 * (x1 + x2)
        y = y[:n] - 0.5 * (y1 + y2)
        c, s = np.cos(strike), np.sin(strike)
        xs[i] = x * c + y * s
        ys[i] = -x * s + y * c
    _far_sentinel(xs, ys, what="segment (oblique Mercator)")
    return xs, ys, length


# Coordinates (m) given to station-source pairs that a projection cannot map (a station
# roughly 90 degrees or more from the source): the kernels then return ~1e-12 of the
# near-field value, i.e. no elastic effect.
FAR_AWAY_M = 1e10


def _far_sentinel(*arrays, what):
    bad = ~np.isfinite(arrays[0])
    for a in arrays[1:]:
        bad |= ~np.isfinite(a)
    if bad.any():
        import warnings

        for a in arrays:
            a[bad] = FAR_AWAY_M
        warnings.warn(
            f"{int(bad.sum())} station-{what} pairs lie outside the projection's domain (about "
            "90 degrees or more apart); they are given no elastic effect",
            stacklevel=3,
        )


def _okada_segments(x, y, depth, dip, length, azimuth, alpha):
    """Surface displacement per unit slip of segments (s,) at stations (s, n) in their frames
    (m/m): a nested list [east, north, up][strike, dip, tensile] of (s, n) arrays."""
    dip_r = jnp.radians(dip)
    live = depth > 0
    d = jnp.where(live, depth, 1.0)  # double-where: a zero-depth segment is evaluated safely
    width = d / jnp.sin(dip_r)
    col = lambda v: v[:, None]  # noqa: E731  (per segment, broadcast over stations)
    rows = _dc3d_surface_rows(
        x,
        y + col(jnp.cos(dip_r) * width),
        alpha,
        col(d),
        col(dip),
        col(-length / 2),
        col(length / 2),
        0.0,
        col(width),
    )  # [slip][x, y, z]
    ds_sign = col(jnp.sign(90.0 - dip))
    rows[1] = [v * ds_sign for v in rows[1]]
    theta = jnp.radians(90.0 - azimuth)
    c, s = col(jnp.cos(theta)), col(jnp.sin(theta))
    keep = col(live)
    east = [jnp.where(keep, c * u[0] - s * u[1], 0.0) for u in rows]
    north = [jnp.where(keep, s * u[0] + c * u[1], 0.0) for u in rows]
    up = [jnp.where(keep, u[2], 0.0) for u in rows]
    return [east, north, up]


# Sources per compiled call: every chunk has the same shape, so one compilation serves all
# segments (and all meshes) of a model with the same number of stations.
SOURCE_CHUNK = 128


def _chunks(n, chunk):
    return [(s, min(s + chunk, n)) for s in range(0, n, chunk)]


def _pad_rows(a, size):
    """Pad axis 0 of `a` to `size` by repeating its first row (a valid source)."""
    xp = np if isinstance(a, np.ndarray) else jnp
    if a.shape[0] == size:
        return a
    reps = xp.broadcast_to(a[:1], (size - a.shape[0],) + a.shape[1:])
    return xp.concatenate([a, reps], 0)


def _by_chunks(fn, args, n_sources, n_points, width, size=None):
    """Run `fn(*chunk_args) -> (n_points, 3, chunk, width)` over fixed-size source chunks
    (`size` sources, default `min(SOURCE_CHUNK, n_sources)`; the last one padded).

    With NumPy arguments the chunks are sliced and gathered in NumPy (no small JAX programs
    per slice); with JAX arguments (e.g. under `grad`) in JAX.
    """
    size = min(SOURCE_CHUNK, n_sources) if size is None else size
    concrete = all(isinstance(a, np.ndarray) for a in args)
    if concrete:
        out = np.empty((n_points, 3, n_sources, width))
        pending = []
        for a, b in _chunks(n_sources, size):
            pending.append((a, b, fn(*(_pad_rows(x[a:b], size) for x in args))))
        for a, b, r in pending:  # dispatch everything first, then wait
            out[:, :, a:b] = np.asarray(r)[:, :, : b - a]
        return out.reshape(3 * n_points, width * n_sources)
    parts = [
        fn(*(_pad_rows(x[a:b], size) for x in args))[:, :, : b - a]
        for a, b in _chunks(n_sources, size)
    ]
    g = parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=2)
    return g.reshape(3 * n_points, width * n_sources)


# Station-segment pairs per vmapped batch of `_okada_chunk`.
OKADA_PAIRS_PER_BATCH = 1 << 18


@functools.partial(backend_jit, static_argnames=("batch",))
def _okada_chunk(xs, ys, depth_m, dip, length, azimuth, alpha, batch=8):
    def block(a):
        out = _okada_segments(*a, alpha=alpha)
        # The nine (s, n) outputs leave the elementwise code separately (see
        # `_dc3d_surface_rows`); only then are they stacked.
        return jax.lax.optimization_barrier(out)

    args = (xs, ys, depth_m, dip, length, azimuth)
    s = xs.shape[0]
    if batch >= s:
        out = block(args)
        per = jnp.stack([jnp.stack(r, -1) for r in out], -2)  # (s, n, 3 disp, 3 slip)
    else:
        per = jax.lax.map(
            lambda a: jnp.stack([jnp.stack(r, -1) for r in block(a)], -2),
            tuple(v.reshape((-1, batch) + v.shape[1:]) for v in _pad_to(args, batch)),
        ).reshape((-1,) + xs.shape[1:] + (3, 3))[:s]
    return jnp.transpose(per, (1, 2, 0, 3))  # (n, 3 disp, s, 3 slip)


def _okada_batch(n_stations, chunk):
    """Segments per vmapped batch of `_okada_chunk`: the whole chunk while it stays under
    OKADA_PAIRS_PER_BATCH pairs (XLA then spreads it over the cores; a lax.map over small
    batches runs on one), smaller batches in a loop beyond that (bounded memory for any n)."""
    return max(1, min(chunk, OKADA_PAIRS_PER_BATCH // max(n_stations, 1)))


def _pad_to(args, batch):
    """Pad axis 0 of every array to a multiple of `batch` (repeating the first row)."""
    s = args[0].shape[0]
    size = -(-s // batch) * batch
    return tuple(_pad_rows(a, size) for a in args)


def _alpha(mu, lam):
    """Okada's medium constant (lambda + mu) / (lambda + 2 mu)."""
    return (lam + mu) / (lam + 2.0 * mu)


def _poisson(mu, lam):
    """celeri's Poisson ratio for triangles, mu / (2 (lambda + mu)) (see `tde_to_velocities`)."""
    return mu / (2.0 * (mu + lam))


# Where `kernels` keeps exported (traced and lowered) kernels; set by
# `quakejax.blocks.enable_compilation_cache`, None: no export cache.
EXPORT_DIR: os.PathLike | str | None = None


@functools.cache
def _source_digest() -> str:
    """SHA-256 of the kernels' source files (an exported kernel is reused only with them)."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"jax {jax.__version__}".encode())
    for path in sorted(
        [*(root / "okada").glob("*.py"), *(root / "tde").glob("*.py"), Path(__file__)]
    ):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _exported(name: str, fn, args):
    """`fn` (positional arguments only) as a jitted call of its exported StableHLO, read from
    `EXPORT_DIR` when present (else exported and written there): a new process then skips
    tracing and lowering (about 0.5 s for the two kernels here; the compiled code itself
    comes from JAX's persistent compilation cache).  None if exporting is unavailable."""
    import hashlib
    from pathlib import Path

    if EXPORT_DIR is None:
        return None
    try:
        from jax import export
    except ImportError:  # pragma: no cover - old JAX
        return None
    sig = repr([(np.shape(a), np.result_type(a).name, isinstance(a, float)) for a in args])
    key = hashlib.sha256(f"{name} {sig} {_source_digest()}".encode()).hexdigest()[:32]
    path = Path(EXPORT_DIR) / f"{name}-{key}.jaxexport"
    try:
        if path.is_file():
            exp = export.deserialize(bytearray(path.read_bytes()))
        else:
            exp = export.export(jax.jit(fn))(*args)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_bytes(exp.serialize())
            tmp.replace(path)
    except Exception:  # noqa: BLE001 - no flatbuffers, unreadable file, a JAX without export
        return None  # the caller then traces and compiles the kernel as usual
    options = CPU_COMPILER_OPTIONS if jax.default_backend() == "cpu" else None
    call = jax.jit(exp.call, compiler_options=options)
    call.lower(*args).compile()
    return call


def kernels(n_stations: int, n_segments: int, n_blocks: int, mesh_sizes, *, mu, lam) -> dict:
    """Compile (or load from JAX's persistent cache) the Okada and TDE kernels that
    `okada_backslip_velocities` (without `keep_full`) and `tde_to_velocities(...,
    tensile=False)` will run for these sizes, in float64, so that a thread can do it while
    the projections run.  Returns the callables to pass to them as `kernel` (empty when
    `EXPORT_DIR` is None: the functions' own jits are then compiled and used)."""
    n = n_stations
    out = {}
    with jax.enable_x64(True):
        if n_segments:
            c = min(SOURCE_CHUNK, n_segments)
            z2, z1 = np.zeros((c, n)), np.zeros(c)
            args = (z2, z2, z1, z1, z1, z1, np.zeros((3 * c, 3 * n_blocks)), _alpha(mu, lam))
            batch = _okada_batch(n, c)
            if EXPORT_DIR is not None:
                fn = functools.partial(_okada_backslip_chunk.__wrapped__, batch=batch)
                out["okada"] = _exported("okada_backslip", fn, args)
            if out.get("okada") is None:
                _okada_backslip_chunk.lower(*args[:-1], alpha=args[-1], batch=batch).compile()
        for m in sorted(set(mesh_sizes)):
            c = min(SOURCE_CHUNK, m)
            args = (np.zeros((c, n, 2)), np.zeros((c, 3, 3)), _poisson(mu, lam))
            if EXPORT_DIR is not None:
                fn = functools.partial(_tde_chunk.__wrapped__, n_slip=2)
                out[("tde", m)] = _exported("tde_chunk", fn, args)
            if out.get(("tde", m)) is None:
                _tde_chunk.lower(*args, n_slip=2).compile()
    return {k: v for k, v in out.items() if v is not None}


def okada_to_velocities(
    frames, depth_km, dip_deg, azimuth_deg, *, mu, lam, chunk: int | None = None
):
    """(3 n_stations, 3 n_segments): surface velocity (mm/yr) per unit slip rate (mm/yr).

    `frames` from `segment_frames`; `depth_km (s,)` locking depths (zero: no contribution),
    `dip_deg (s,)`, `azimuth_deg (s,)` geodesic azimuths.  Differentiable in depth and dip.
    Dip slip is sign-flipped for dips over 90 degrees (Okada 1992, p. 1023), as celeri does.
    `chunk`: segments per compiled call (default `min(SOURCE_CHUNK, s)`).
    """
    xs, ys, length = frames
    alpha = _alpha(mu, lam)

    def arr(v):
        return v if isinstance(v, jax.Array) else np.asarray(v, dtype=float)

    args = (
        np.asarray(xs),
        np.asarray(ys),
        1e3 * abs(arr(depth_km)),
        arr(dip_deg),
        np.asarray(length),
        np.asarray(azimuth_deg, dtype=float),
    )
    ns, n = xs.shape
    chunk = min(SOURCE_CHUNK, ns) if chunk is None else chunk
    batch = _okada_batch(n, chunk)
    fn = functools.partial(_okada_chunk, alpha=alpha, batch=batch)
    return _by_chunks(fn, args, ns, n, 3, size=chunk)


@functools.partial(backend_jit, static_argnames=("batch",))
def _okada_backslip_chunk(xs, ys, depth_m, dip, length, azimuth, r2s, alpha, batch):
    """(n, 3 disp, k): the chunk's Okada operator (surface velocity in mm/yr, ENU, per mm/yr
    of slip) times its rows of `r2s` (3 s, k; mm/yr of slip per mrad/yr of rotation), without
    forming the operator (padding segments need zero rows in `r2s`).  Station positions
    `xs`, `ys` (s, n), `depth_m` and `length` in m, `dip` and `azimuth` in degrees."""

    def block(args, r):
        rows = _okada_segments(*args, alpha=alpha)
        rows = jax.lax.optimization_barrier(rows)  # [disp][slip] (b, n)
        return jnp.stack(
            [sum(rows[d][k].T @ r[k::3] for k in range(3)) for d in range(3)], 1
        )  # (n, 3, k)

    args = (xs, ys, depth_m, dip, length, azimuth)
    if batch >= xs.shape[0]:
        return block(args, r2s)
    args = _pad_to(args, batch)
    nb = args[0].shape[0] // batch
    r2s = jnp.concatenate([r2s, jnp.zeros((3 * nb * batch - r2s.shape[0], r2s.shape[1]))])

    def body(acc, i):
        sl = [jax.lax.dynamic_slice_in_dim(a, i * batch, batch) for a in args]
        r = jax.lax.dynamic_slice_in_dim(r2s, 3 * i * batch, 3 * batch)
        return acc + block(sl, r), None

    init = jnp.zeros((xs.shape[1], 3, r2s.shape[1]), xs.dtype)
    return jax.lax.scan(body, init, jnp.arange(nb))[0]


def okada_backslip_velocities(
    model, rotation_to_slip, *, mu, lam, keep_full: bool = False, frames=None, kernel=None
):
    """`okada @ rotation_to_slip`, (3 n_stations, 3 n_blocks): the elastic velocity of fully
    locked segments per block rotation, built in chunks of `SOURCE_CHUNK` segments so that
    the (3 n_stations, 3 n_segments) Okada operator is never held whole (a global model has
    ~10^9 entries).  With `keep_full` also returns that operator.  `frames`: the segments'
    `segment_frames(model)`, if already computed (else projected here, chunk by chunk).
    `kernel`: the compiled chunk kernel from `kernels`, if any.
    """
    sg, st = model.segment, model.station
    ns, n = len(sg), len(st)
    k = rotation_to_slip.shape[1]
    out = np.zeros((3 * n, k))
    full = np.empty((3 * n, 3 * ns)) if keep_full else None
    depth, dip, az = sg.locking_depth.to_numpy(), sg.dip.to_numpy(), sg.azimuth.to_numpy()
    chunk = min(SOURCE_CHUNK, ns)
    pending = []
    for a, b in _chunks(ns, chunk):
        if frames is None:
            sub = types.SimpleNamespace(segment=sg.iloc[a:b], station=st)
            fr = segment_frames(sub)
        else:
            fr = tuple(f[a:b] for f in frames)
        if keep_full:
            g = okada_to_velocities(fr, depth[a:b], dip[a:b], az[a:b], mu=mu, lam=lam, chunk=chunk)
            out += g @ rotation_to_slip[3 * a : 3 * b]
            full[:, 3 * a : 3 * b] = g
            continue
        seg = (fr[0], fr[1], 1e3 * np.abs(depth[a:b]), dip[a:b], fr[2], az[a:b])
        r = np.zeros((3 * chunk, k))
        r[: 3 * (b - a)] = rotation_to_slip[3 * a : 3 * b]  # padding segments: zero rows
        seg = [_pad_rows(np.asarray(v, dtype=float), chunk) for v in seg]
        if kernel is not None:
            pending.append(kernel(*seg, r, _alpha(mu, lam)))
        else:
            pending.append(
                _okada_backslip_chunk(*seg, r, alpha=_alpha(mu, lam), batch=_okada_batch(n, chunk))
            )
    for p in pending:  # dispatched all, now wait
        out += np.asarray(p).reshape(3 * n, k)
    return (out, full) if keep_full else out


# -- triangles -----------------------------------------------------------------------------

_TMERC = pyproj.Proj(pyproj.CRS.from_proj4("+proj=tmerc +lon_0=0 +lat_0=0 +ellps=WGS84"))


def _tmerc(dlon, lat, lat0):
    """WGS84 transverse Mercator about central longitude offset `dlon` and origin latitude
    `lat0` (degrees): the projection commutes with a shift in longitude, and the origin
    latitude only shifts northing by the meridian distance to it."""
    x, y = _TMERC(dlon, lat)
    lat0 = np.asarray(lat0)
    _, y0 = _TMERC(np.zeros_like(lat0), lat0)  # lat0 may broadcast: one value per origin
    return np.asarray(x), np.asarray(y) - np.asarray(y0)


def triangle_frames(model, mesh: FaultMesh, *, chunk: int = 256):
    """Stations and triangle corners in each triangle's own transverse Mercator frame.

    `model`: a `BlockModel`, or any object with a `station` table (lon, lat in degrees).

    Returns `(points (m, n, 2), tris (m, 3, 3))` in metres (corner z = 1e3 x depth in km).
    """
    st = model.station
    slon, slat = st.lon.to_numpy(), st.lat.to_numpy()
    c = mesh.centroid_lonlat
    clon = np.where(c[:, 0] > 180.0, c[:, 0] - 360.0, c[:, 0])
    m, n = c.shape[0], len(st)
    pts = np.empty((m, n, 2))
    for s in range(0, m, chunk):
        sl = slice(s, s + chunk)
        dl = ((slon[None, :] - clon[sl, None]) + 180.0) % 360.0 - 180.0
        # The origin's northing once per triangle (lat0 (k, 1)), not once per pair.
        x, y = _tmerc(dl, np.broadcast_to(slat[None, :], dl.shape), c[sl, 1:2])
        pts[sl, :, 0], pts[sl, :, 1] = x, y
    _far_sentinel(pts[..., 0], pts[..., 1], what="triangle (transverse Mercator)")
    corners = mesh.corners
    dl = ((corners[..., 0] - clon[:, None]) + 180.0) % 360.0 - 180.0
    x, y = _tmerc(dl, corners[..., 1], c[:, 1:2])
    tris = np.stack([x, y, 1e3 * corners[..., 2]], -1)
    return pts, tris


@functools.partial(backend_jit, static_argnames=("n_slip", "batch"))
def _tde_chunk(pts, tris, nu, n_slip=3, batch=8):
    eye = jnp.eye(3, dtype=pts.dtype)[:n_slip]

    def one_tri(args):
        p, tri = args
        obs = jnp.concatenate([p, jnp.zeros_like(p[:, :1])], 1)
        per_slip = jax.vmap(_hs_displacement_surface, in_axes=(None, None, 0, None))
        return jax.vmap(per_slip, in_axes=(0, None, None, None))(obs, tri, eye, nu)  # (n,3s,3u)

    g = jax.lax.map(one_tri, (pts, tris), batch_size=batch)  # (m, n, slip, u)
    return jnp.transpose(g, (1, 3, 0, 2))  # (n, u, m, slip)


def tde_to_velocities(frames, *, mu, lam, tensile: bool = True, kernel=None) -> np.ndarray:
    """(3 n_stations, 3 n_triangles): velocity (mm/yr) per unit slip rate (mm/yr) of each
    triangle (strike, dip, tensile in the Nikkhoo & Walter / cutde sense of its corner order).
    With `tensile=False` only the strike and dip columns: (3 n_stations, 2 n_triangles).

    Poisson's ratio is taken as mu / (2 (lambda + mu)), celeri's expression (it equals the
    usual lambda / (2 (lambda + mu)) when lambda = mu).
    """
    pts, tris = frames
    nu = _poisson(mu, lam)
    k = 3 if tensile else 2
    m, n = pts.shape[:2]
    return _by_chunks(
        (lambda p, t: kernel(p, t, nu))
        if kernel is not None and not tensile
        else (lambda p, t: _tde_chunk(p, t, nu, n_slip=k)),
        (np.asarray(pts), np.asarray(tris)),
        m,
        n,
        k,
    )


def rotation_to_tri_slip_rate(model: BlockModel, mesh_index: int) -> np.ndarray | None:
    """(2 n_triangles, 3 n_blocks): (strike, dip) slip rate of each triangle (mm/yr) implied by
    the rotations of the blocks on either side of the segment nearest to it (celeri's rule:
    nearest segment mid-point in degrees among the segments that the mesh replaces).

    `None` (with a warning) when no segment names the mesh: its triangles then have no
    block-motion rate, so no coupling (celeri builds this operator only for the meshes that
    segments reference)."""
    mesh = model.meshes[mesh_index]
    sg = model.segment
    cand = np.nonzero(
        (sg.mesh_flag.to_numpy() != 0) & (sg.mesh_file_index.to_numpy() == mesh_index)
    )[0]
    if cand.size == 0:
        import warnings

        warnings.warn(
            f"mesh {mesh_index} ({mesh.mesh.path.name}): no segment has mesh_flag != 0 and "
            f"mesh_file_index == {mesh_index}; its triangles get no kinematic slip rate and "
            "no coupling",
            stacklevel=2,
        )
        return None
    mids = np.stack([sg.mid_lon.to_numpy()[cand], sg.mid_lat.to_numpy()[cand]], 1)
    d2 = ((mesh.centroid_lonlat[:, None, :] - mids[None, :, :]) ** 2).sum(-1)
    cs = cand[np.argmin(d2, axis=1)]
    east = sg.east_labels.to_numpy()[cs]
    west = sg.west_labels.to_numpy()[cs]
    seg_az = sg.azimuth.to_numpy()[cs]
    ts = np.where(mesh.strike > 180.0, mesh.strike - 180.0, mesh.strike)
    p = _rotation_partials(mesh.centroid_xyz, *mesh.centroid_lonlat.T)  # (m, 2, 3)
    sc = -np.sign(ts - 90.0)
    tr = np.radians(ts)
    par = sc[:, None] * np.stack([np.sin(tr), np.cos(tr)], -1)
    perp = sc[:, None] * np.stack([-np.cos(tr), np.sin(tr)], -1)
    sf = 1.0 / np.cos(np.radians(mesh.dip))
    mat = np.zeros((mesh.n, 2, 3))
    mat[:, 0] = np.einsum("tc,tck->tk", par, p)
    mat[:, 1] = sf[:, None] * np.einsum("tc,tck->tk", perp, p)
    ns = np.sign(90.0 - np.abs(ts - seg_az))
    ew = ns * np.sign(ts - 90.0) * np.sign(seg_az - 90.0)
    out = np.zeros((mesh.n, 2, model.n_blocks, 3))
    rows = np.arange(mesh.n)
    out[rows, :, east, :] = ew[:, None, None] * mat
    out[rows, :, west, :] = -ew[:, None, None] * mat
    return out.reshape(2 * mesh.n, 3 * model.n_blocks)


def smoothing_matrix(mesh: FaultMesh):
    """(2 m, 2 m) sparse distance-weighted umbrella Laplacian (Desbrun et al. 1999) of the
    (strike, dip) slip on a mesh: for triangle i with edge neighbours j at centroid distances
    d_ij (m), L_ii = -(2 / sum_j d_ij) sum_j 1/d_ij and L_ij = (2 / sum_j d_ij) / d_ij
    (1/m^2).  Returns a `scipy.sparse.csr_matrix`."""
    import scipy.sparse

    nb = mesh.neighbours
    has = nb >= 0
    c = mesh.centroid_xyz
    d = np.where(has, np.linalg.norm(c[:, None, :] - c[np.maximum(nb, 0)], axis=-1), np.nan)
    lead = 2.0 / np.nansum(d, axis=1)
    inv = 1.0 / d
    n = mesh.n
    r, k = np.nonzero(has)
    rows = np.r_[np.arange(n), r]
    cols = np.r_[np.arange(n), nb[r, k]]
    vals = np.r_[-lead * np.nansum(inv, axis=1), (lead[:, None] * inv)[r, k]]
    lap = scipy.sparse.coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()
    return scipy.sparse.kron(lap, scipy.sparse.eye(2), format="csr")


def boundary_constraints(mesh: FaultMesh) -> np.ndarray:
    """(k, 2 m) identity rows that pin the (strike, dip) slip of the boundary triangles the
    mesh parameters constrain (top, then bottom, then side; each flag > 0 switches its set on)."""
    p = mesh.params
    rows = []
    for flag, which in (
        (p.top_slip_rate_constraint, mesh.top),
        (p.bot_slip_rate_constraint, mesh.bottom),
        (p.side_slip_rate_constraint, mesh.side),
    ):
        if flag > 0:
            idx = np.nonzero(which)[0]
            rows.append(np.sort(np.concatenate([2 * idx, 2 * idx + 1])))
    if not rows:
        return np.zeros((0, 2 * mesh.n))
    cols = np.concatenate(rows)
    out = np.zeros((cols.size, 2 * mesh.n))
    out[np.arange(cols.size), cols] = 1.0
    return out


def block_strain_to_velocities(model: BlockModel) -> tuple[np.ndarray, np.ndarray]:
    """Homogeneous strain rate of flagged blocks -> station velocity (Savage et al. 2001).

    Returns `(G (3 n_stations, 3 k), blocks (k,))`: columns (e_lon_lon, e_lat_lat, e_lon_lat)
    per strain block, with celeri's signs (extension positive, shear sinistral).  The strain
    centroid is the length-weighted mean of the ends of the segments bounding the block.
    """
    blk = np.nonzero(model.block.strain_rate_flag.to_numpy() > 0)[0]
    st, sg = model.station, model.segment
    out = np.zeros((3 * len(st), 3 * blk.size))
    lon_r = np.radians(st.lon.to_numpy())
    colat = np.radians(np.where(st.lat >= 0, 90.0 - st.lat, -90.0 - st.lat))
    for i, b in enumerate(blk):
        on = (sg.east_labels.to_numpy() == b) | (sg.west_labels.to_numpy() == b)
        w = np.r_[sg.length.to_numpy()[on], sg.length.to_numpy()[on]]
        clon = np.sum(w * np.r_[sg.lon1.to_numpy()[on], sg.lon2.to_numpy()[on]]) / w.sum()
        clat = np.sum(w * np.r_[sg.lat1.to_numpy()[on], sg.lat2.to_numpy()[on]]) / w.sum()
        cco = np.radians(90.0 - clat if clat >= 0 else -90.0 - clat)
        sel = np.nonzero(st.block_label.to_numpy() == b)[0]
        dlon = EARTH_RADIUS * (lon_r[sel] - np.radians(clon)) * np.sin(cco)
        dlat = EARTH_RADIUS * (colat[sel] - cco)
        out[3 * sel, 3 * i] = dlon
        out[3 * sel + 1, 3 * i + 1] = -dlat
        out[3 * sel, 3 * i + 2] = dlat
        out[3 * sel + 1, 3 * i + 2] = dlon
    return out, blk


def mogi_to_velocities(model: BlockModel) -> np.ndarray:
    """(3 n_stations, n_sources): surface velocity per unit volume-change rate of each Mogi
    source (Segall 2010, eq. 7.14), at geodesic distance and azimuth."""
    st, mg = model.station, model.mogi
    out = np.zeros((3 * len(st), len(mg)))
    if len(mg) == 0:
        return out
    mu, lam = model.config.material_mu, model.config.material_lambda
    nu = mu / (2.0 * (lam + mu))
    for i in range(len(mg)):
        depth = 1e3 * float(mg.depth.iloc[i])
        n = len(st)
        az, _, r = GEOD.inv(
            np.full(n, mg.lon.iloc[i]),
            np.full(n, mg.lat.iloc[i]),
            st.lon.to_numpy(),
            st.lat.to_numpy(),
        )
        c = (1.0 - nu) / np.pi / (r**2 + depth**2) ** 1.5
        ur = c * r
        out[2::3, i] = c * depth
        out[0::3, i] = ur * np.sin(np.radians(az))
        out[1::3, i] = ur * np.cos(np.radians(az))
    return out


def block_motion_constraints(model: BlockModel) -> tuple[np.ndarray, np.ndarray]:
    """A priori block rotations: `(G (3 k, 3 n_blocks), d (3 k,))` for blocks with
    `rotation_flag == 1`; d in mrad/yr from the Euler pole (degrees) and rate (degrees/Myr)."""
    b = model.block
    idx = np.nonzero(b.rotation_flag.to_numpy() == 1)[0]
    g = np.zeros((3 * idx.size, 3 * model.n_blocks))
    for i, k in enumerate(idx):
        g[3 * i : 3 * i + 3, 3 * k : 3 * k + 3] = np.eye(3)
    x, y, z = sph2cart(
        b.euler_lon.to_numpy()[idx],
        b.euler_lat.to_numpy()[idx],
        np.radians(b.rotation_rate.to_numpy()[idx]),
    )
    d = 1e-3 * np.stack([x, y, z], 1).reshape(-1)
    return g, d


def slip_rate_constraints(model: BlockModel, rotation_to_slip: np.ndarray):
    """Rows of the rotation-to-slip-rate operator for flagged segment rates, and their data
    (mm/yr): `(G (k, 3 n_blocks), d (k,))`."""
    sg = model.segment
    flags = np.stack([sg.ss_rate_flag, sg.ds_rate_flag, sg.ts_rate_flag], 1).reshape(-1)
    rates = np.stack([sg.ss_rate, sg.ds_rate, sg.ts_rate], 1).reshape(-1)
    idx = np.nonzero(flags == 1)[0]
    return rotation_to_slip[idx], rates[idx]


def eigenmodes(mesh: FaultMesh, n_modes: int, *, nu: float = 2.5, length_scale: float = 0.2):
    """Leading `n_modes` eigenvectors `(m, n_modes)` of a Matern covariance between triangle
    centroids (Karhunen-Loeve modes of slip), largest eigenvalue first.

    The Matern length is `length_scale` times the mesh diameter (largest centroid distance).
    Computed with SciPy's LAPACK `eigh` (float64) so that eigenvector signs are LAPACK's.
    """
    import scipy.linalg
    from scipy.spatial.distance import pdist, squareform

    if nu != 2.5:
        raise ValueError("eigenmodes: only the Matern nu = 2.5 kernel is implemented")
    d = squareform(pdist(mesh.centroid_xyz))
    ell = length_scale * d.max()
    r = np.sqrt(5.0) * d / ell
    k = (1.0 + r + r**2 / 3.0) * np.exp(-r)
    m = k.shape[0]
    n_modes = min(n_modes, m)
    _, vec = scipy.linalg.eigh(k, subset_by_index=[m - n_modes, m - 1])
    return vec[:, ::-1]
