"""Throughput of quakejax's Okada (1992) kernel against pyrocko and okada-wrapper.

What it measures
----------------
Displacement plus displacement gradient of rectangular dislocations in an elastic half-space
(lambda = mu = 3e10 Pa, nu = 0.25) for two workloads of 1e6 point x source pairs each:

- case A: 1 source x 1e6 points,
- case B: 100 sources x 1e4 points (fields summed over the sources).

Sources are 2 km x 2 km patches with centroids 8-12 km deep and within 10 km of the origin,
random strikes, dips 20-80 deg and random strike/dip slip (no opening unless `--opening`).
Points are uniform in a 100 km x 100 km box, 0-20 km deep.

For each implementation it reports

- the first call time (for quakejax: tracing + XLA compilation + one run),
- the median of `--repeats` timed calls after that warm-up call (`jax.block_until_ready`),
- pairs/s = n_sources * n_points / median seconds.

quakejax (`quakejax.okada.displacement_gradient`) runs on the CPU in `--dtype` and, when an
accelerator backend is present, also on the accelerator in float32 and float64 (cases named
by `--accel-cases`), plus an accelerator-only case C (`--accel-large`, default 100 sources x
1e6 points: 1e6 pairs are too few to time on a GPU), checked against the CPU in float64.
With `--accel-pallas BLOCKxWARPS ...` case C also runs through
`implementation="pallas"` (the Triton kernel), once per configuration, and is compared with
the XLA path's result of the same dtype.  The reference codes are CPU-only: pyrocko's C
kernel (`okada_ext.okada`, `--pyrocko-threads` OpenMP threads, whole workload, same repeats)
and okada-wrapper
(Okada's DC3D Fortran, one Python call per pair, so timed on a subsample of about
`--okada-wrapper-pairs` pairs).

Correctness is checked in the same run: quakejax's output from its last timed call is
compared with pyrocko's (converted from north-east-down to east-north-up) on the first
`--check-points` points (all of them by default), and okada-wrapper's with quakejax's on its
subsample.  Relative errors are point-wise and norm-wise,

    max_i |a_i - b_i| / |b_i|,

over points i with |.| the Euclidean norm of the displacement vector or the Frobenius norm
of the gradient; the reported value is the larger of the two fields.  The "scaled" variant
divides by max_i |b_i| instead.  Far from a patch DC3D's four-corner sum cancels, so no
implementation keeps all its digits there, worst on the prolongation of the strike line:
expect point-wise errors up to ~1e-3 in float64 far along the strike line, where quakejax
forms R + xi without cancellation and DC3D-based codes do not (scaled errors 1e-10 to 1e-7),
and larger in float32 (okada-wrapper's DC3D is single precision).

How to run
----------
    .venv/bin/python benchmarks/okada_throughput.py                    # full size, ~1 min
    .venv/bin/python benchmarks/okada_throughput.py --points-scale 0.1 # quick check

`--host-devices N` splits the CPU into N XLA host devices (`jax_num_cpu_devices`; quakejax
shards points over all devices of the default backend).  The default is one per core this
process may use, the set-up docs/benchmarks.md recommends on a multi-core CPU: quakejax's
CPU blocks are short and run on one thread each, so one device per core is how it uses the
cores, as pyrocko uses one OpenMP thread per core.  `--host-devices 1` measures a single
device.  An `--xla_force_host_platform_device_count` already in XLA_FLAGS is left alone.  The
setting must come before JAX starts, so this script imports JAX only after parsing its
arguments.  x64 is enabled here, in `main`; the library itself never changes JAX's
configuration.

Output: a table, then, as the last line, one JSON object with keys "machine", "backend",
"dtype" and "cases" (one entry per case and quakejax device/dtype, with "name",
"n_sources", "n_points", "quakejax_pairs_per_s", "quakejax_compile_s",
"pyrocko_pairs_per_s", "okada_wrapper_pairs_per_s", "ratio_vs_pyrocko",
"max_rel_err_vs_pyrocko" (point-wise), plus "max_scaled_err_vs_pyrocko", "device" and
"dtype").  Unavailable values are null.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np

# pyrocko's OpenMP threads otherwise spin for a while after each of its calls, on the cores
# that the next timing (quakejax's, in the same process) needs: measured on the 2-core CPU,
# case B read 2.3-3.25 M pairs/s with spinning threads and 3.05-3.11 M without, pyrocko's own
# figure unchanged.  Set before pyrocko (and its OpenMP runtime) is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

LAMBDA = 3.0e10  # Pa
MU = 3.0e10  # Pa
NU = LAMBDA / (2.0 * (LAMBDA + MU))  # 0.25
ALPHA = (LAMBDA + MU) / (LAMBDA + 2.0 * MU)  # Okada's medium constant

PATCH_SIZE = 2.0e3  # m, length and width
BOX = 100.0e3  # m, side of the square of points
MAX_POINT_DEPTH = 20.0e3  # m
SOURCE_RADIUS = 10.0e3  # m, centroids within this horizontal distance of the origin
SOURCE_DEPTHS = (8.0e3, 12.0e3)  # m, centroid depths
SOURCE_DIPS = (20.0, 80.0)  # deg

# ENU <- NED: swaps north and east and flips the vertical.  Its own inverse.
P_ENU_NED = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])


@dataclass(frozen=True)
class Case:
    name: str
    n_sources: int
    n_points: int

    @property
    def pairs(self) -> int:
        return self.n_sources * self.n_points


@dataclass
class Timing:
    first_s: float
    median_s: float
    pairs: int

    @property
    def pairs_per_s(self) -> float:
        return self.pairs / self.median_s


# -- arguments and machine -------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Okada displacement + gradient throughput: quakejax vs pyrocko and "
        "okada-wrapper (see the module docstring).",
    )
    p.add_argument(
        "--points-scale",
        type=float,
        default=1.0,
        help="multiply both cases' point counts by this (default 1.0)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed calls after the warm-up call; the median is reported",
    )
    p.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="quakejax dtype on the CPU (accelerators run both)",
    )
    p.add_argument(
        "--pairs-per-block",
        type=int,
        default=2**13,
        help="quakejax's pairs_per_block on the CPU (memory/speed knob; default: the library's "
        "CPU default, quakejax.okada._fields.DEFAULT_PAIRS_PER_BLOCK)",
    )
    p.add_argument(
        "--skip-reference",
        action="store_true",
        help="do not run pyrocko or okada-wrapper (no correctness check)",
    )
    p.add_argument("--pyrocko-threads", type=int, default=2)
    p.add_argument(
        "--okada-wrapper-pairs",
        type=int,
        default=20_000,
        help="approximate pairs timed with okada-wrapper (one Python call each)",
    )
    p.add_argument(
        "--check-points",
        type=int,
        default=0,
        help="points compared with pyrocko (0: all points of the case)",
    )
    p.add_argument(
        "--opening",
        action="store_true",
        help="give the sources tensile opening too (quakejax skips the tensile "
        "terms when all openings are zero)",
    )
    p.add_argument(
        "--host-devices",
        type=int,
        default=None,
        help="number of XLA host (CPU) devices (default: one per core available to this "
        "process, unless XLA_FLAGS sets the count)",
    )
    p.add_argument(
        "--accel-pairs-per-block",
        type=int,
        nargs="+",
        default=[2**22],
        help="pairs_per_block values tried on an accelerator (the fastest is reported)",
    )
    p.add_argument(
        "--accel-large",
        type=int,
        nargs=2,
        default=[100, 1_000_000],
        metavar=("SOURCES", "POINTS"),
        help="size of the accelerator-only case C (0 0 to skip)",
    )
    p.add_argument(
        "--accel-dtypes",
        nargs="+",
        choices=("float32", "float64"),
        default=["float32", "float64"],
        help="dtypes of case C (default both)",
    )
    p.add_argument(
        "--accel-pallas",
        nargs="*",
        default=[],
        metavar="BLOCKxWARPS",
        help="also run case C with implementation='pallas', once per configuration of points "
        "per GPU program and warps per program (e.g. 128x4 64x2); the fastest is reported",
    )
    p.add_argument(
        "--accel-cases",
        default="ABC",
        help="which cases also run on an accelerator (letters; default ABC)",
    )
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.points_scale <= 0:
        p.error("--points-scale must be > 0")
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    return args


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_info(jax) -> dict:
    cpu_devices = jax.devices("cpu")
    return {
        "hostname": platform.node(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "jax_version": jax.__version__,
        "default_backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "n_host_devices": len(cpu_devices),
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
    }


def print_machine(info: dict) -> None:
    print("== machine ==")
    print(f"  host            {info['hostname']}  (python {info['python']})")
    print(f"  CPU             {info['cpu_model']}, os.cpu_count() = {info['cpu_count']}")
    print(f"  jax             {info['jax_version']}, default backend {info['default_backend']}")
    print(f"  devices         {', '.join(info['devices'])}")
    note = "quakejax shards points over all devices of the default backend"
    if info["n_host_devices"] == 1:
        note += "; 1 host device (--host-devices N splits the CPU)"
    print(f"  host devices    {info['n_host_devices']}  ({note})")
    if info["xla_flags"]:
        print(f"  XLA_FLAGS       {info['xla_flags']}")


# -- geometry ------------------------------------------------------------------------


def make_sources(rng: np.random.Generator, n: int, opening: bool) -> dict:
    """Buried 2 km x 2 km patches near the origin, ENU metres and degrees (float64)."""
    r = SOURCE_RADIUS * np.sqrt(rng.uniform(0.0, 1.0, n))
    theta = rng.uniform(0.0, 2.0 * np.pi, n)
    depth = rng.uniform(*SOURCE_DEPTHS, n)
    centroid = np.column_stack([r * np.cos(theta), r * np.sin(theta), -depth])
    slip = np.column_stack(
        [
            rng.uniform(-2.0, 2.0, n),
            rng.uniform(-2.0, 2.0, n),
            rng.uniform(0.0, 0.5, n) if opening else np.zeros(n),
        ]
    )
    return {
        "centroid": centroid,
        "strike": rng.uniform(0.0, 360.0, n),
        "dip": rng.uniform(*SOURCE_DIPS, n),
        "length": np.full(n, PATCH_SIZE),
        "width": np.full(n, PATCH_SIZE),
        "slip": slip,
    }


def make_points(rng: np.random.Generator, n: int) -> np.ndarray:
    """Points uniform in the box, (n, 3) east, north, up (m), up <= 0."""
    half = 0.5 * BOX
    return np.column_stack(
        [
            rng.uniform(-half, half, n),
            rng.uniform(-half, half, n),
            -rng.uniform(0.0, MAX_POINT_DEPTH, n),
        ]
    )


def make_cases(scale: float) -> list[Case]:
    def pts(n):
        return max(1, round(n * scale))

    return [
        Case("A: 1 src x 1e6 pts", 1, pts(1_000_000)),
        Case("B: 100 src x 1e4 pts", 100, pts(10_000)),
    ]


# -- timing --------------------------------------------------------------------------


def time_calls(fn, repeats: int, pairs: int, sync=lambda x: x):
    """First call, then `repeats` calls; returns (Timing, output of the last call)."""
    t0 = time.perf_counter()
    out = sync(fn())
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = sync(fn())
        times.append(time.perf_counter() - t0)
    return Timing(first, statistics.median(times), pairs), out


# -- implementations -----------------------------------------------------------------


def quakejax_inputs(src: dict, points: np.ndarray, dt):
    """The FaultModel and points as JAX arrays of dtype `dt`, on JAX's current default device."""
    import jax.numpy as jnp

    import quakejax

    keys = ("centroid", "strike", "dip", "length", "width", "slip")
    return quakejax.FaultModel(*(jnp.asarray(src[k], dt) for k in keys)), jnp.asarray(points, dt)


def run_quakejax(
    jax,
    src: dict,
    points: np.ndarray,
    dtype: str,
    device,
    repeats: int,
    pairs_per_block: int,
    implementation: str = "xla",
):
    """Time quakejax on `device`; returns (Timing, u (n, 3), grad (n, 3, 3)) as float64 numpy.

    The inputs are created uncommitted under `jax.default_device(device)`: quakejax shards over
    all devices of the default backend when there are several, which arrays committed to one
    device would forbid.  (On a machine with several accelerators the CPU run would therefore
    still be sharded over the accelerators; this script does not handle that case.)
    """

    from quakejax.okada import displacement_gradient

    dt = np.dtype(dtype)
    with jax.default_device(device):
        fault, pts = quakejax_inputs(src, points, dt)

        def call():
            return displacement_gradient(
                fault, pts, nu=NU, pairs_per_block=pairs_per_block, implementation=implementation
            )

        timing, (u, g) = time_calls(
            call, repeats, len(src["dip"]) * len(points), sync=jax.block_until_ready
        )
    return timing, np.asarray(u, np.float64), np.asarray(g, np.float64)


def pyrocko_inputs(src: dict, points: np.ndarray):
    """Source patches (n, 9), dislocations (n, 3) and receivers (m, 3) for okada_ext.okada.

    Each patch is referenced at its centroid (north, east, depth) with al = (-L/2, L/2)
    along strike and aw = (-W/2, W/2) up dip.
    """
    c = src["centroid"]
    hl, hw = 0.5 * src["length"], 0.5 * src["width"]
    patches = np.column_stack(
        [c[:, 1], c[:, 0], -c[:, 2], src["strike"], src["dip"], -hl, hl, -hw, hw]
    )
    receivers = np.column_stack([points[:, 1], points[:, 0], -points[:, 2]])
    return (
        np.ascontiguousarray(patches),
        np.ascontiguousarray(src["slip"]),
        np.ascontiguousarray(receivers),
    )


def pyrocko_to_enu(results: np.ndarray):
    """okada_ext results (m, 12) in NED -> u (m, 3), grad (m, 3, 3) ENU, grad[i, j] = du_i/dx_j.

    pyrocko lists the gradient as DC3D does, derivative direction first:
    results[:, 3 + 3 * j + i] = du_i/dx_j, so the row-major (3, 3) block is the transpose of
    du_i/dx_j (determined empirically; see `check_pyrocko_layout`).
    """
    u = results[:, :3] @ P_ENU_NED.T
    g_ned = results[:, 3:12].reshape(-1, 3, 3).transpose(0, 2, 1)
    return u, P_ENU_NED @ g_ned @ P_ENU_NED.T


def run_pyrocko(okada_ext, src: dict, points: np.ndarray, repeats: int, nthreads: int):
    patches, disl, receivers = pyrocko_inputs(src, points)

    def call():
        return okada_ext.okada(
            patches, disl, receivers, LAMBDA, MU, nthreads=nthreads, rotate_sdn=0, stack_sources=1
        )

    timing, res = time_calls(call, repeats, len(patches) * len(points))
    u, g = pyrocko_to_enu(np.asarray(res).reshape(len(points), 12))
    return timing, u, g


def okada_frames(src: dict):
    """Per source: ENU <- Okada rotation matrices (n, 3, 3) (x along strike, y left, z up)."""
    phi = np.deg2rad(src["strike"])
    s, c = np.sin(phi), np.cos(phi)
    z, o = np.zeros_like(s), np.ones_like(s)
    return np.stack(
        [np.stack([s, -c, z], -1), np.stack([c, s, z], -1), np.stack([z, z, o], -1)], axis=1
    )


def run_okada_wrapper(dc3dwrapper, src: dict, points: np.ndarray, repeats: int):
    """One dc3dwrapper call per pair, summed over sources; ENU outputs.

    The pair coordinates are converted to Okada's frame beforehand (vectorised, untimed);
    the timed part is the loop of calls, the rotation back to ENU and the sum.
    """
    n_src = len(src["dip"])
    rot = okada_frames(src)  # (n_src, 3, 3): columns are Okada's axes in ENU
    rel = points[:, None, :] - src["centroid"][None, :, :]  # (m, n_src, 3)
    local = np.einsum("sji,msj->msi", rot, rel)  # Okada-frame x, y (horizontal rotation)
    local[..., 2] = points[:, None, 2]  # DC3D's z is the point's own (negative) elevation
    depth = -src["centroid"][:, 2]
    hl, hw = 0.5 * src["length"], 0.5 * src["width"]
    args = [([-hl[k], hl[k]], [-hw[k], hw[k]], list(src["slip"][k])) for k in range(n_src)]
    dips = [float(d) for d in src["dip"]]
    xyz = local.tolist()
    m = len(points)

    def call():
        u_ok = np.empty((m, n_src, 3))
        g_ok = np.empty((m, n_src, 3, 3))
        for i in range(m):
            row = xyz[i]
            for k in range(n_src):
                al, aw, disl = args[k]
                _, u, g = dc3dwrapper(ALPHA, row[k], float(depth[k]), dips[k], al, aw, disl)
                u_ok[i, k] = u
                g_ok[i, k] = g
        # okada-wrapper's grad[a, b] is du_b/dx_a: transpose to du_i/dx_j.
        g_ok = g_ok.transpose(0, 1, 3, 2)
        u = np.einsum("sij,msj->mi", rot, u_ok)
        g = np.einsum("sia,msab,sjb->mij", rot, g_ok, rot)
        return u, g

    timing, (u, g) = time_calls(call, repeats, n_src * m)
    return timing, u, g


def check_pyrocko_layout(okada_ext, rng) -> tuple[bool, str]:
    """Whether pyrocko's (3, 3) gradient block is du_j/dx_i (as `pyrocko_to_enu` assumes),
    from central differences of its displacement; and a one-line description."""
    src = make_sources(rng, 1, opening=True)
    p = np.array([[25.0e3, 5.0e3, -3.0e3]])  # ENU, at least 15 km from any centroid
    h = 1.0  # m
    patches, disl, rec = pyrocko_inputs(src, p)
    # Receivers displaced by +-h along north, east and down.
    rec = rec + np.vstack([np.zeros(3), h * np.eye(3), -h * np.eye(3)])
    res = okada_ext.okada(
        patches, disl, rec, LAMBDA, MU, nthreads=1, rotate_sdn=0, stack_sources=1
    ).reshape(-1, 12)
    # Central differences in NED: fd[i, j] = du_i/dx_j.
    fd = (res[1:4, :3] - res[4:7, :3]).T / (2.0 * h)
    block = res[0, 3:12].reshape(3, 3)
    err_row = np.abs(block - fd).max() / np.abs(fd).max()
    err_col = np.abs(block.T - fd).max() / np.abs(fd).max()
    transposed = bool(err_col < err_row)
    layout = "du_j/dx_i (transpose)" if transposed else "du_i/dx_j (row-major)"
    return transposed, (
        f"pyrocko gradient block results[..., 3:12].reshape(3, 3) = {layout}; "
        f"finite-difference mismatch: as transpose {err_col:.1e}, as row-major {err_row:.1e}"
    )


# -- errors --------------------------------------------------------------------------


def rel_errors(u, g, u_ref, g_ref) -> dict:
    """Point-wise and max-scaled norm-wise relative errors of u and grad (see docstring)."""
    out = {}
    for name, a, b in (
        ("u", u, u_ref),
        ("grad", g.reshape(len(g), -1), g_ref.reshape(len(g_ref), -1)),
    ):
        diff = np.linalg.norm(a - b, axis=1)
        ref = np.linalg.norm(b, axis=1)
        scale = ref.max()
        pw = diff / np.maximum(ref, np.finfo(np.float64).tiny)
        i = int(np.argmax(pw))
        out[name] = {
            "pointwise": float(pw.max()),
            "scaled": float(diff.max() / scale) if scale > 0 else float("nan"),
            "worst_point": i,
            "median_pointwise": float(np.median(pw)),
            "nonfinite": int((~np.isfinite(a)).any(axis=1).sum()),
        }
    out["max"] = max(out["u"]["pointwise"], out["grad"]["pointwise"])
    out["max_scaled"] = max(out["u"]["scaled"], out["grad"]["scaled"])
    return out


def describe_worst(err: dict, points: np.ndarray, src: dict) -> str:
    """Distance from the worst point to the nearest centroid, for context."""
    parts = []
    for name in ("u", "grad"):
        p = points[err[name]["worst_point"]]
        d = np.linalg.norm(src["centroid"] - p, axis=1).min()
        parts.append(
            f"{name} worst at {d / 1e3:.1f} km from nearest centroid "
            f"(median point-wise {err[name]['median_pointwise']:.1e})"
        )
    return "; ".join(parts)


# -- report --------------------------------------------------------------------------


def fmt(x, spec):
    """format(x, spec), or a right-aligned "-" of the same width when x is None."""
    if x is None:
        width = spec.lstrip("<>^").split(".")[0]
        return format("-", f">{width}")
    return format(x, spec)


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'case':<22} {'code':<14} {'device':<7} {'dtype':<8} {'pairs':>9} "
        f"{'1st call s':>10} {'median s':>9} {'pairs/s':>10} {'vs pyrocko':>10} "
        f"{'err u':>8} {'err grad':>8} {'scaled':>8}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        e = r.get("err")
        print(
            f"{r['case']:<22} {r['code']:<14} {r['device']:<7} {r['dtype']:<8} "
            f"{r['pairs']:>9d} {r['first_s']:>10.3f} {r['median_s']:>9.4f} "
            f"{r['pairs_per_s']:>10.3g} {fmt(r.get('ratio'), '>10.2f')} "
            f"{fmt(e and e['u']['pointwise'], '>8.1e')} "
            f"{fmt(e and e['grad']['pointwise'], '>8.1e')} "
            f"{fmt(e and e['max_scaled'], '>8.1e')}"
        )
    print(
        "  err u / err grad: max point-wise relative error vs pyrocko (okada-wrapper rows: "
        "vs quakejax on its subsample); scaled: max error / max |reference|."
    )


# -- main ----------------------------------------------------------------------------


def import_references(skip: bool):
    """(okada_ext or None, dc3dwrapper or None), printing why each is skipped."""
    if skip:
        print("reference codes skipped (--skip-reference)")
        return None, None
    okada_ext = dc3dwrapper = None
    try:
        from pyrocko.modelling import okada_ext
    except Exception as exc:  # ImportError, or a broken binary extension
        print(f"pyrocko skipped: cannot import pyrocko.modelling.okada_ext ({exc!r})")
    try:
        from okada_wrapper import dc3dwrapper
    except Exception as exc:
        print(f"okada-wrapper skipped: cannot import okada_wrapper ({exc!r})")
    return okada_ext, dc3dwrapper


def run_case(jax, case: Case, args, okada_ext, dc3dwrapper, accel) -> tuple[list, list]:
    """Benchmark one case; returns (table rows, JSON case entries)."""
    rng = np.random.default_rng([args.seed, case.n_sources, case.n_points])
    src = make_sources(rng, case.n_sources, args.opening)
    points = make_points(rng, case.n_points)
    print(
        f"\n== {case.name}: {case.n_sources} source(s) x {case.n_points} points "
        f"= {case.pairs:.3g} pairs ==",
        flush=True,
    )

    # quakejax runs: the CPU in --dtype, then an accelerator (if any) in float32 and float64.
    runs = [("cpu", jax.devices("cpu")[0], args.dtype)]
    if accel is not None and case.name[0] in args.accel_cases:
        runs += [(accel.platform, accel, dt) for dt in ("float32", "float64")]
    qj = []
    for label, device, dtype in runs:
        blocks = [args.pairs_per_block] if label == "cpu" else args.accel_pairs_per_block
        timing, u, g = min(
            (run_quakejax(jax, src, points, dtype, device, args.repeats, b) for b in blocks),
            key=lambda r: r[0].median_s,
        )
        print(
            f"  quakejax {label} {dtype}: first call {timing.first_s:.2f} s, median "
            f"{timing.median_s:.4f} s, {timing.pairs_per_s:.3g} pairs/s",
            flush=True,
        )
        qj.append((label, dtype, timing, u, g))

    py = None
    if okada_ext is not None:
        timing, u_py, g_py = run_pyrocko(okada_ext, src, points, args.repeats, args.pyrocko_threads)
        print(
            f"  pyrocko ({args.pyrocko_threads} threads): first call {timing.first_s:.3f} s, "
            f"median {timing.median_s:.4f} s, {timing.pairs_per_s:.3g} pairs/s",
            flush=True,
        )
        py = (timing, u_py, g_py)

    ow = None
    if dc3dwrapper is not None:
        m = min(case.n_points, max(1, args.okada_wrapper_pairs // case.n_sources))
        timing, u_ow, g_ow = run_okada_wrapper(dc3dwrapper, src, points[:m], args.repeats)
        print(
            f"  okada-wrapper on {m} points x {case.n_sources} source(s): median "
            f"{timing.median_s:.3f} s, {timing.pairs_per_s:.3g} pairs/s",
            flush=True,
        )
        ow = (timing, m, u_ow, g_ow)

    rows, entries = [], []
    n_check = case.n_points if args.check_points <= 0 else min(args.check_points, case.n_points)
    for label, dtype, timing, u, g in qj:
        err = ratio = None
        if py is not None:
            ratio = timing.pairs_per_s / py[0].pairs_per_s
            err = rel_errors(u[:n_check], g[:n_check], py[1][:n_check], py[2][:n_check])
            print(
                f"  quakejax {label} {dtype} vs pyrocko on {n_check} points: max point-wise "
                f"rel err u {err['u']['pointwise']:.2e}, grad {err['grad']['pointwise']:.2e}; "
                f"scaled {err['max_scaled']:.2e}"
            )
            print(f"    {describe_worst(err, points[:n_check], src)}")
            bad = err["u"]["nonfinite"] + err["grad"]["nonfinite"]
            if bad:
                print(f"    WARNING: {bad} non-finite quakejax outputs")
        rows.append(table_row(case.name, "quakejax", label, dtype, timing, ratio=ratio, err=err))
        entries.append(
            {
                "name": case.name,
                "device": label,
                "dtype": dtype,
                "n_sources": case.n_sources,
                "n_points": case.n_points,
                "quakejax_pairs_per_s": timing.pairs_per_s,
                "quakejax_compile_s": timing.first_s,
                "pyrocko_pairs_per_s": py[0].pairs_per_s if py else None,
                "okada_wrapper_pairs_per_s": ow[0].pairs_per_s if ow else None,
                "ratio_vs_pyrocko": ratio,
                "max_rel_err_vs_pyrocko": err["max"] if err else None,
                "max_scaled_err_vs_pyrocko": err["max_scaled"] if err else None,
            }
        )
    if py is not None:
        t = py[0]
        rows.append(table_row(case.name, "pyrocko", "cpu", "float64", t, ratio=1.0, err=None))
    if ow is not None:
        t, m, u_ow, g_ow = ow
        # Reference for okada-wrapper: the first float64 quakejax run (CPU first).
        ref = next(((u, g) for _, dt, _, u, g in qj if dt == "float64"), qj[0][3:])
        err = rel_errors(u_ow, g_ow, ref[0][:m], ref[1][:m])
        rows.append(
            table_row(
                case.name,
                "okada-wrapper",
                "cpu",
                "float32*",
                t,
                ratio=t.pairs_per_s / py[0].pairs_per_s if py else None,
                err=err,
            )
        )
    return rows, entries


def table_row(case_name, code, device, dtype, timing: Timing, ratio=None, err=None) -> dict:
    """One row of the printed summary table."""
    return dict(
        case=case_name,
        code=code,
        device=device,
        dtype=dtype,
        pairs=timing.pairs,
        first_s=timing.first_s,
        median_s=timing.median_s,
        pairs_per_s=timing.pairs_per_s,
        ratio=ratio,
        err=err,
    )


def core_breakdown(jax, src, points, dtype, device, pairs_per_block, repeats):
    """Median seconds of (the point check, the jitted kernel alone) of one call: the rest of
    `displacement_gradient` is host-side work (checks, patch parameters, dispatch)."""
    import jax.numpy as jnp

    from quakejax.okada._fields import (
        _check_points,
        _needs_vertical,
        _over_devices,
        _patch_params,
        _summed_fields,
        alpha_from,
    )

    dt = np.dtype(dtype)
    with jax.default_device(device):
        fault, pts = quakejax_inputs(src, points, dt)
        params = _patch_params(fault)
        alpha = jnp.asarray(alpha_from(NU), dt)
        static = (
            ("pairs_per_block", pairs_per_block),
            ("tensile", bool(src["slip"][:, 2].any())),
            ("vertical", _needs_vertical(fault)),
        )
        check = time_calls(lambda: _check_points(pts), repeats, 1, sync=jax.block_until_ready)
        core = time_calls(
            lambda: _over_devices(_summed_fields, static, pts, params, alpha),
            repeats,
            1,
            sync=jax.block_until_ready,
        )
    return check[0].median_s, core[0].median_s


def run_accel_large(jax, args, accel) -> tuple[list, list]:
    """Case C, on the accelerator only: `--accel-large` sources x points, float32 and float64.

    Workloads of 1e6 pairs take about a millisecond on a GPU, too little to time, so this case
    is large (default 1e8 pairs).  No reference code runs at this size; instead the float64
    result on the first 2,000 points is compared with quakejax on the CPU (float64), and the
    float32 result with the float64 one (scaled error: max |a - b| / max |b|).
    """
    n_src, n_pts = args.accel_large
    case = Case(f"C: {n_src} src x {n_pts:.0e} pts", n_src, n_pts)
    rng = np.random.default_rng([args.seed, n_src, n_pts])
    src = make_sources(rng, n_src, args.opening)
    points = make_points(rng, n_pts)
    print(f"\n== {case.name} = {case.pairs:.3g} pairs, accelerator only ==", flush=True)
    results, breakdown, pallas = {}, {}, {}
    for dtype in args.accel_dtypes:
        if args.accel_pallas:
            fastest = run_pallas_configs(jax, args, src, points, dtype, accel)
            if fastest is not None:
                pallas[dtype] = fastest
        best = None
        for b in args.accel_pairs_per_block:
            timing, u, g = run_quakejax(jax, src, points, dtype, accel, args.repeats, b)
            print_run(f"quakejax {accel.platform} {dtype} pairs_per_block {b}", timing)
            if best is None or timing.median_s < best[0].median_s:
                best = (timing, u, g, b)
        results[dtype] = best
        check_s, core_s = core_breakdown(jax, src, points, dtype, accel, best[3], args.repeats)
        print(
            f"  {dtype}: of the {best[0].median_s:.4f} s call, the point check takes "
            f"{check_s:.4f} s and the jitted kernel alone {core_s:.4f} s "
            f"({case.pairs / core_s:.3g} pairs/s)",
            flush=True,
        )
        breakdown[dtype] = (check_s, core_s)
    m = min(2000, n_pts)
    _, u_cpu, g_cpu = run_quakejax(
        jax, src, points[:m], "float64", jax.devices("cpu")[0], 1, args.pairs_per_block
    )

    def scaled(a, b):
        return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))

    err_cpu = err_32 = None
    for dtype, (_, u, g, _) in results.items():
        e = max(scaled(u[:m], u_cpu), scaled(g[:m], g_cpu))
        print(f"  {accel.platform} {dtype} vs CPU float64 on {m} points: scaled error {e:.2e}")
        if dtype == "float64":
            err_cpu = e
    if len(results) == 2:
        u64, g64 = results["float64"][1], results["float64"][2]
        err_32 = max(scaled(results["float32"][1], u64), scaled(results["float32"][2], g64))
        print(f"  float32 vs float64 on all points: scaled error {err_32:.2e}")
    pallas_entries = []
    for dtype, (timing, u, g, cfg) in pallas.items():
        xla_u, xla_g = results[dtype][1], results[dtype][2]
        e_xla = max(scaled(u, xla_u), scaled(g, xla_g))
        e_cpu = max(scaled(u[:m], u_cpu), scaled(g[:m], g_cpu))
        print(
            f"  pallas {dtype} ({cfg}): scaled error vs XLA {dtype} {e_xla:.2e}, vs CPU "
            f"float64 on {m} points {e_cpu:.2e}; "
            f"{timing.pairs_per_s / results[dtype][0].pairs_per_s:.2f}x the XLA path"
        )
        pallas_entries.append((dtype, timing, cfg, e_xla, e_cpu))
    rows, entries = [], []
    for dtype, (timing, _, _, b) in results.items():
        rows.append(
            table_row(case.name, "quakejax", accel.platform, dtype, timing, ratio=None, err=None)
        )
        entries.append(
            {
                "name": case.name,
                "device": accel.platform,
                "dtype": dtype,
                "n_sources": n_src,
                "n_points": n_pts,
                "pairs_per_block": b,
                "quakejax_pairs_per_s": timing.pairs_per_s,
                "quakejax_compile_s": timing.first_s,
                "max_scaled_err_vs_cpu_float64": err_cpu if dtype == "float64" else None,
                "max_scaled_err_vs_float64": err_32 if dtype == "float32" else None,
                "point_check_s": breakdown[dtype][0],
                "kernel_only_pairs_per_s": case.pairs / breakdown[dtype][1],
            }
        )
    for dtype, timing, cfg, e_xla, e_cpu in pallas_entries:
        rows.append(table_row(case.name, "quakejax pallas", accel.platform, dtype, timing))
        entries.append(
            {
                "name": case.name,
                "implementation": "pallas",
                "pallas_config": cfg,
                "device": accel.platform,
                "dtype": dtype,
                "n_sources": n_src,
                "n_points": n_pts,
                "quakejax_pairs_per_s": timing.pairs_per_s,
                "quakejax_compile_s": timing.first_s,
                "max_scaled_err_vs_xla": e_xla,
                "max_scaled_err_vs_cpu_float64": e_cpu,
            }
        )
    return rows, entries


def print_run(label: str, timing: Timing) -> None:
    print(
        f"  {label}: first call {timing.first_s:.2f} s, median {timing.median_s:.4f} s, "
        f"{timing.pairs_per_s:.3g} pairs/s",
        flush=True,
    )


def run_pallas_configs(jax, args, src, points, dtype, accel):
    """Case C through `implementation="pallas"` for each `--accel-pallas` BLOCKxWARPS
    configuration; returns the fastest as (Timing, u, grad, "BLOCKxWARPS")."""
    from quakejax.okada import _pallas

    best = None
    defaults = _pallas.DEFAULT_BLOCK, _pallas.DEFAULT_NUM_WARPS
    for cfg in args.accel_pallas:
        block, warps = (int(v) for v in cfg.lower().split("x"))
        _pallas.DEFAULT_BLOCK, _pallas.DEFAULT_NUM_WARPS = block, warps
        try:
            timing, u, g = run_quakejax(
                jax, src, points, dtype, accel, args.repeats, args.pairs_per_block, "pallas"
            )
        except Exception as exc:  # a configuration Triton cannot compile: report, go on
            print(f"  quakejax pallas {dtype} {cfg}: failed: {exc!r}"[:400], flush=True)
            continue
        finally:
            _pallas.DEFAULT_BLOCK, _pallas.DEFAULT_NUM_WARPS = defaults
        print_run(f"quakejax pallas {accel.platform} {dtype} {cfg}", timing)
        if best is None or timing.median_s < best[0].median_s:
            best = (timing, u, g, cfg)
    return best


def main(argv=None) -> int:
    args = parse_args(argv)
    host_devices = args.host_devices
    if host_devices is None and "xla_force_host_platform_device_count" not in os.environ.get(
        "XLA_FLAGS", ""
    ):
        host_devices = len(os.sched_getaffinity(0))
    if host_devices is not None and host_devices < 1:
        raise SystemExit(f"--host-devices must be >= 1, got {host_devices}")

    import jax

    if host_devices is not None:
        try:
            jax.config.update("jax_num_cpu_devices", host_devices)
        except RuntimeError as err:  # a backend already started (e.g. imported by a caller)
            print(f"warning: --host-devices {host_devices} has no effect: {err}")

    jax.config.update("jax_enable_x64", True)  # float64 available; dtypes follow the inputs

    info = machine_info(jax)
    print_machine(info)
    accel = jax.devices()[0] if jax.default_backend() != "cpu" else None
    if accel is None:
        print("  no accelerator backend: quakejax runs on the CPU only")
    else:
        print(f"  accelerator {accel}: quakejax also runs there in float32 and float64")
    print(
        f"  settings        dtype {args.dtype}, repeats {args.repeats}, points scale "
        f"{args.points_scale}, pairs_per_block {args.pairs_per_block}, "
        f"opening {'yes' if args.opening else 'no'}, lambda = mu = {MU:.0e} Pa, nu = {NU}"
    )

    okada_ext, dc3dwrapper = import_references(args.skip_reference)
    if okada_ext is not None:
        transposed, msg = check_pyrocko_layout(okada_ext, np.random.default_rng(args.seed))
        print("  " + msg)
        if not transposed:
            print("  WARNING: not the layout pyrocko_to_enu assumes; errors vs pyrocko are wrong")

    rows, entries = [], []
    t_start = time.perf_counter()
    for case in make_cases(args.points_scale):
        r, e = run_case(jax, case, args, okada_ext, dc3dwrapper, accel)
        rows += r
        entries += e
    if accel is not None and min(args.accel_large) > 0 and "C" in args.accel_cases:
        r, e = run_accel_large(jax, args, accel)
        rows += r
        entries += e

    print(
        f"\n== summary (total {time.perf_counter() - t_start:.0f} s"
        + ("; okada-wrapper's DC3D is single precision, hence float32*" if dc3dwrapper else "")
        + ") =="
    )
    print_table(rows)
    result = {
        "machine": info,
        "backend": jax.default_backend(),
        "dtype": args.dtype,
        "cases": entries,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
