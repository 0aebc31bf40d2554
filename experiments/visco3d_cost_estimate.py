"""Cost ESTIMATE for the 3D strain-volume relaxation model designed in docs/visco-3d-design.md.

    python experiments/visco3d_cost_estimate.py [--model PATH] [--no-measure] [--figure]

Nothing here runs the 3D model: it does not exist yet.  The script

1. builds the cuboid mesh that the design proposes (an octree below the elastic layer,
   refined towards the rupture) around the Landers 1992 slip model, and counts cuboids,
   states, interaction-matrix memory and kernel pairs;
2. measures, on this machine, the rates that the estimate is scaled from: dense float64
   matmul, matvec bandwidth, LU and eigh at a small size, and the DC3D / DC3D0 kernels of
   quakejax.okada (pairs per second);
3. checks the point-source route of the design: Gauss quadrature of DC3D0 point sources
   against the exact DC3D rectangle (the thin-cuboid limit), and the quadrature
   convergence for a cube of uniform eigenstrain;
4. prints a table of estimated wall times for 1 day, 1 month and 1 year on this CPU and
   on an H100, from the counts, the measured rates and the ASSUMPTIONS listed in
   `ASSUMED` (printed too).  GPU rows use spec-sheet numbers, not a GPU run.

The last line is JSON.  `--figure` writes docs/figures/visco3d_mesh_quadrature.png.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import platform
import time

import jax

jax.config.update("jax_enable_x64", True)  # rates and the quadrature check are in float64

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from scipy.spatial import cKDTree  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
YEAR = 365.25 * 86400.0
WINDOWS = {"1 day": 86400.0, "1 month": YEAR / 12, "1 year": YEAR}

# Everything below is an assumption, not a measurement.  Change it here, not in the text.
ASSUMED = {
    # Rheology used only to size the time stepping (Burgers half-space).
    "mu_pa": 3.0e10,  # elastic shear modulus, layer and half-space (homogeneous kernels)
    "mu_kelvin_pa": 3.0e10,  # Kelvin spring
    "eta_kelvin_pa_s": 1.0e17,  # transient viscosity: sets the fastest relaxation rate
    "eta_maxwell_pa_s": 3.0e18,  # steady viscosity
    # Cost of one analytic cuboid stress evaluation (Barbot et al. 2017 J-integrals, all six
    # eigenstrain columns at once) in units of one DC3D (rectangle) evaluation.  From the
    # structure of the formulas (8 corners x 81 J-derivative terms against DC3D's 4 corners);
    # the first deliverable of the implementation is to measure it.  Range 10-100.
    "cuboid_over_dc3d": 30.0,
    # One point moment tensor costs about two DC3D0 calls (two source orientations cover a
    # general deviatoric moment tensor).
    "point_pair_over_dc3d0": 2.0,
    # Zones, in cuboid sizes from the cuboid centre: analytic kernel below `mid_from`,
    # 2^3 Gauss points of DC3D0 up to `far_from`, one point source beyond.  From the
    # quadrature check: 2^3 points at 3 sizes and 1 point at 10 sizes err by < 5e-3.
    "mid_from": 3.0,
    "far_from": 10.0,
    # H100 SXM spec sheet: FP64 tensor-core 67 TFLOP/s, HBM3 3.35 TB/s, 80 GB.  Achieved
    # fractions assumed: 50% for LU/matmul, 10% for eigh, 80% of bandwidth for matvec.
    "gpu_fp64_flops": 67e12,
    "gpu_bandwidth_bytes_s": 3.35e12,
    "gpu_memory_bytes": 80e9,
    "gpu_lu_eff": 0.5,
    "gpu_eigh_eff": 0.1,
    "gpu_bw_eff": 0.8,
    # Kernel throughput (pairs/s) of an H100 relative to this 2-core CPU, float64.  Not
    # measured: docs/benchmarks.md has no GPU run yet.
    "gpu_over_cpu_kernel": 200.0,
}


# ----------------------------------------------------------------------------- geometry
def rupture_points(model: str | None, spacing_m: float = 1000.0):
    """Points sampled on every patch (ENU, m), the fault's top/bottom depth and patch count.
    Falls back to an 80 km x 15 km vertical strike-slip fault when the file is missing."""
    if model and pathlib.Path(model).exists():
        from quakejax._fault import numpy_geometry
        from quakejax.io import read_slip_model

        fault = read_slip_model(model)
        g = numpy_geometry(fault)
        c = np.asarray(fault.centroid, float)
        L, W = np.asarray(fault.length, float), np.asarray(fault.width, float)
        pts = []
        for i in range(fault.n_patches):
            na, nd = max(2, int(L[i] / spacing_m) + 1), max(2, int(W[i] / spacing_m) + 1)
            a = np.linspace(-0.5, 0.5, na)[:, None, None] * L[i] * g["strike_vector"][i]
            d = np.linspace(-0.5, 0.5, nd)[None, :, None] * W[i] * g["down_dip_vector"][i]
            pts.append((c[i] + a + d).reshape(-1, 3))
        pts = np.concatenate(pts)
        name = fault.info.tag if fault.info else pathlib.Path(model).name
        return pts, name, fault
    x = np.arange(0.0, 80e3 + 1, spacing_m)
    z = -np.arange(0.0, 15e3 + 1, spacing_m)
    pts = np.stack(np.meshgrid(x - 40e3, [0.0], z, indexing="ij"), -1).reshape(-1, 3)
    return pts, "straight 80 km x 15 km (fallback)", None


def octree_mesh(points, H, h0, alpha, lateral=300e3, depth_extent=320e3):
    """Cuboids below depth H (m): start from coarse cubes over the box [rupture +- lateral]
    x [H, H + depth_extent] and split a cube of size s in 8 while s > h0 and its nearest
    point lies within alpha * s of the rupture.  Cube faces lie on a lattice of spacing h0
    from the local frame's origin and at depth H + k h0, so the DeVries cell centroids
    (odd multiples of 2.5 km) never fall on a face when h0 is a multiple of 5 km.

    Returns centres (N, 3) and edge lengths (N,), metres."""
    from quakejax.visco._relax3d import octree_cubes

    return octree_cubes(points, H, h0, alpha, lateral, depth_extent)


def grid_cells(fault):
    """DeVries et al. (2018) cell centroids (ENU, m) around the rupture, or None."""
    if fault is None:
        return None
    from quakejax.aftershocks import build_grid

    return np.asarray(build_grid(fault).centroid, float)


def pair_zones(receivers, centres, sizes, A):
    """(near, mid, far) counts of (receiver, cuboid) pairs: closer than `mid_from` cuboid
    sizes to the cuboid centre, between `mid_from` and `far_from`, and beyond."""
    tree = cKDTree(receivers)

    def closer(f):
        return int(tree.query_ball_point(centres, r=f * sizes, return_length=True).sum())

    near, within = closer(A["mid_from"]), closer(A["far_from"])
    return near, within - near, len(receivers) * len(centres) - within


# ----------------------------------------------------------------------------- measurements
def _timeit(fn, repeats=3):
    jax.block_until_ready(fn())  # compile / warm up
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def measure_rates():
    """Rates of this machine (float64).  Each is a median of 3 after a warm-up."""
    from quakejax import FaultModel
    from quakejax.okada import dc3d, dc3d0, displacement_gradient

    r = {}
    key = jax.random.PRNGKey(0)
    n = 2000
    a = jax.random.normal(key, (n, n))
    t = _timeit(lambda: a @ a)
    r["matmul_flops"] = 2 * n**3 / t
    m = 6000  # 288 MB: out of cache, so the matvec is bandwidth bound as in the model
    big = jax.random.normal(key, (m, m))
    v = jnp.ones(m)
    t = _timeit(lambda: big @ v, repeats=5)
    r["matvec_bytes_s"] = 8 * m * m / t
    n0 = 1000  # LU and eigh are timed here and scaled by n^3
    spd = a[:n0, :n0] @ a[:n0, :n0].T + n0 * jnp.eye(n0)
    r["lu_n0"], r["lu_s"] = n0, _timeit(lambda: jax.scipy.linalg.lu_factor(spd))
    r["eigh_s"] = _timeit(lambda: jnp.linalg.eigh(spd))
    # Okada kernels.  One source, many points (as in the grid evaluation of one cuboid),
    # and many sources x many points through the FaultModel path (as assembly would be).
    npts = 200_000
    pts = jnp.stack(
        [jnp.linspace(-5e4, 5e4, npts), jnp.linspace(3e3, 8e4, npts), -jnp.linspace(1, 4e4, npts)],
        -1,
    )
    r["dc3d0_pairs_s"] = npts / _timeit(
        lambda: dc3d0(pts, alpha=2 / 3, depth=3e4, dip=90.0, pot=(1.0, 0.5, 0.0, 0.0))[1]
    )
    r["dc3d_pairs_s"] = npts / _timeit(
        lambda: dc3d(
            pts,
            alpha=2 / 3,
            depth=1e4,
            dip=90.0,
            al=(-2e3, 2e3),
            aw=(-2e3, 2e3),
            disl=(1.0, 0.0, 0.0),
        )[1]
    )
    k = 64
    rng = np.random.default_rng(0)
    fault = FaultModel(
        centroid=np.c_[rng.uniform(-2e4, 2e4, (k, 2)), -rng.uniform(8e3, 12e3, k)],
        strike=rng.uniform(0, 360, k),
        dip=rng.uniform(20, 80, k),
        length=2e3,
        width=2e3,
        slip=np.c_[rng.normal(size=(k, 2)), np.zeros(k)],
    )
    pts2 = pts[:8192]
    r["dc3d_many_pairs_s"] = (
        k * pts2.shape[0] / _timeit(lambda: displacement_gradient(fault, pts2)[1])
    )
    return r


# Used with --no-measure: the DC3D rates are docs/benchmarks.md's (2-core AMD EPYC, unloaded);
# the others are from the least loaded run of this script on that machine (LU and eigh
# scaled from n = 1500 to 1000).
DOCUMENTED = {
    "matmul_flops": 1.7e10,
    "matvec_bytes_s": 2.5e10,
    "lu_n0": 1000,
    "lu_s": 0.02,
    "eigh_s": 0.14,
    "dc3d_pairs_s": 3.31e5,
    "dc3d_many_pairs_s": 9.87e5,
    "dc3d0_pairs_s": 5.4e5,
}


# ----------------------------------------------------------------------------- quadrature
def quadrature_check():
    """Gauss-Legendre sums of DC3D0 point sources against closed forms.

    (a) Thin-cuboid limit: a vertical square fault (side a, unit strike slip) as q x q point
        sources of potency slip x weight, against DC3D.  Exact reference.
    (b) A cube of side a with uniform eigenstrain eps_xy: q^3 point sources, each a vertical
        strike-slip potency 2 eps_xy dV (moment density 2 mu eps), against q = 12.
    Error: Frobenius norm of the displacement-gradient difference over that of the
    reference, at points along a ray from the source centre, as a function of distance/a.
    """
    from quakejax.okada import dc3d, dc3d0

    a, zc = 2.0, 20.0  # km; any unit works, DC3D is scale free
    ratios = np.geomspace(0.8, 30.0, 36)
    direction = np.array([0.35, 0.8, 0.3]) / np.linalg.norm([0.35, 0.8, 0.3])
    obs = np.array([0.0, 0.0, -zc]) + ratios[:, None] * a * direction
    obs = jnp.asarray(obs)

    def rect(q):
        x, w = np.polynomial.legendre.leggauss(q)
        x, w = 0.5 * a * x, 0.5 * a * w
        g = 0.0
        for xi, wi in zip(x, w, strict=True):
            for eta, wj in zip(x, w, strict=True):
                shifted = obs - jnp.array([xi, 0.0, 0.0])
                g = (
                    g
                    + dc3d0(
                        shifted, alpha=2 / 3, depth=zc - eta, dip=90.0, pot=(wi * wj, 0.0, 0.0, 0.0)
                    )[1]
                )
        return np.asarray(g)

    exact = np.asarray(
        dc3d(
            obs,
            alpha=2 / 3,
            depth=zc,
            dip=90.0,
            al=(-a / 2, a / 2),
            aw=(-a / 2, a / 2),
            disl=(1.0, 0.0, 0.0),
        )[1]
    )

    def cube(q, eps=1.0):
        x, w = np.polynomial.legendre.leggauss(q)
        x, w = 0.5 * a * x, 0.5 * a * w
        g = 0.0
        for xi, wi in zip(x, w, strict=True):
            for yi, wj in zip(x, w, strict=True):
                for zi, wk in zip(x, w, strict=True):
                    shifted = obs - jnp.array([xi, yi, 0.0])
                    g = (
                        g
                        + dc3d0(
                            shifted,
                            alpha=2 / 3,
                            depth=zc - zi,
                            dip=90.0,
                            pot=(2 * eps * wi * wj * wk, 0.0, 0.0, 0.0),
                        )[1]
                    )
        return np.asarray(g)

    def err(g, ref):
        return np.linalg.norm((g - ref).reshape(len(ratios), -1), axis=1) / np.linalg.norm(
            ref.reshape(len(ratios), -1), axis=1
        )

    rect_err = {q: err(rect(q), exact) for q in (1, 2, 3, 4, 8)}
    ref = cube(12)
    cube_err = {q: err(cube(q), ref) for q in (1, 2, 3, 4)}
    return ratios, rect_err, cube_err


# ----------------------------------------------------------------------------- estimate
def steps(T, rate_max):
    """Heuristic step counts (not measured) for a 5th-order adaptive solver at rtol ~1e-6:
    about 10 steps per e-folding of the fastest mode while it is still active; afterwards an
    explicit method is held at its stability limit h ~ 3.3 / rate_max, an implicit one grows
    its step geometrically."""
    x = T * rate_max
    explicit = 10 + 10 * min(x, 14.0) + 0.3 * max(x - 14.0, 0.0)
    implicit = 10 + 10 * min(x, 5.0) + 15 * max(0.0, math.log10(max(x / 5.0, 1.0)))
    return math.ceil(1.1 * explicit), math.ceil(1.1 * implicit)  # +10% rejected steps


def pair_seconds(zones, rates, A):
    """Seconds (this CPU) to evaluate pairs split in zones (near, mid, far): the analytic
    cuboid kernel near, 2^3 Gauss points of DC3D0 at mid range, one point source far."""
    near, mid, far = zones
    analytic = A["cuboid_over_dc3d"] / rates["dc3d_many_pairs_s"]
    point = A["point_pair_over_dc3d0"] / rates["dc3d0_pairs_s"]
    return near * analytic + mid * 8 * point + far * point


def estimate(N, n_grid, n_patch, zones_K, zones_grid, rates, A):
    """Flops, bytes and seconds for one configuration; every formula is in the note."""
    n5 = 5 * N  # deviatoric components per element
    n = 2 * n5  # Burgers: Maxwell + Kelvin
    k_bytes = 8 * n5**2
    rate_max = (A["mu_pa"] + A["mu_kelvin_pa"]) / A["eta_kelvin_pa_s"]
    gpu = A["gpu_over_cpu_kernel"]
    okada = (N + n_grid) * n_patch / rates["dc3d_many_pairs_s"]  # coseismic driving + grid
    assembly = pair_seconds(zones_K, rates, A)
    assembly_exact = N * N * A["cuboid_over_dc3d"] / rates["dc3d_many_pairs_s"]
    grid_out = pair_seconds(zones_grid, rates, A)  # one output time on the whole grid
    matvec_cpu = k_bytes / rates["matvec_bytes_s"]
    matvec_gpu = k_bytes / (A["gpu_bandwidth_bytes_s"] * A["gpu_bw_eff"])
    # Modal path: one symmetric eigendecomposition of the 5N x 5N interaction matrix.
    eigh_cpu = rates["eigh_s"] * (n5 / rates["lu_n0"]) ** 3
    eigh_gpu = 9.0 * n5**3 / (A["gpu_fp64_flops"] * A["gpu_eigh_eff"])
    # diffrax's default implicit step: materialise the 10N x 10N Jacobian (n JVPs, each a
    # K matvec: 2 n5^2 n flops) and LU-factorise it (2/3 n^3).
    jac_flops, lu_flops = 2 * n5**2 * n, 2 / 3 * n**3
    lu_cpu = rates["lu_s"] * (n / rates["lu_n0"]) ** 3
    row = {
        "N": N,
        "states": n,
        "K_GB_f64": k_bytes / 1e9,
        "jacobian_GB_f64": 8 * n**2 / 1e9,
        "rate_max_per_day": rate_max * 86400,
        "zones_K": [z / N**2 for z in zones_K],
        "zones_grid": [z / (n_grid * N) for z in zones_grid],
        "cpu": {
            "okada_s": okada,
            "assembly_s": assembly,
            "assembly_all_analytic_s": assembly_exact,
            "grid_output_s": grid_out,
            "matvec_s": matvec_cpu,
            "eigh_5N_s": eigh_cpu,
        },
        "gpu": {
            "okada_s": okada / gpu,
            "assembly_s": assembly / gpu,
            "grid_output_s": grid_out / gpu,
            "matvec_s": matvec_gpu,
            "eigh_5N_s": eigh_gpu,
        },
        "fits_cpu_ram": {
            "K": k_bytes < 0.5 * _ram_bytes(),
            "jacobian": 8 * n**2 < 0.5 * _ram_bytes(),
        },
        "fits_gpu": {
            "K": k_bytes < 0.5 * A["gpu_memory_bytes"],
            "jacobian": 8 * n**2 < 0.5 * A["gpu_memory_bytes"],
        },
    }
    for name, T in WINDOWS.items():
        se, si = steps(T, rate_max)
        fixed_cpu = okada + assembly + 2 * grid_out  # 2 outputs: end of window + window mean
        fixed_gpu = (okada + assembly + 2 * grid_out) / gpu
        row[name] = {
            "explicit_steps": se,
            "implicit_steps": si,
            "cpu_tsit5_stepping_s": 6.6 * se * matvec_cpu,
            "cpu_kvaerno5_dense_stepping_s": si * (jac_flops / rates["matmul_flops"] + lu_cpu),
            "gpu_tsit5_stepping_s": 6.6 * se * matvec_gpu,
            "gpu_kvaerno5_dense_stepping_s": si
            * (jac_flops + lu_flops)
            / (A["gpu_fp64_flops"] * A["gpu_lu_eff"]),
            "cpu_total_tsit5_s": fixed_cpu + 6.6 * se * matvec_cpu,
            "cpu_total_modal_s": fixed_cpu + eigh_cpu,
            "gpu_total_tsit5_s": fixed_gpu + 6.6 * se * matvec_gpu,
            "gpu_total_modal_s": fixed_gpu + eigh_gpu,
        }
    return row


def _ram_bytes():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 16e9


def _fmt_s(s):
    if s < 1:
        return f"{s * 1e3:.0f} ms"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def figure(path, mesh, points, grid, H, quad):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    centres, sizes = mesh
    ratios, rect_err, cube_err = quad
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.6))
    top = centres[:, 2] + sizes / 2 > -H - 1.0  # cuboids touching the layer base
    for c, s in zip(centres[top], sizes[top], strict=True):
        ax[0].add_patch(
            plt.Rectangle(
                ((c[0] - s / 2) / 1e3, (c[1] - s / 2) / 1e3),
                s / 1e3,
                s / 1e3,
                fill=False,
                lw=0.3,
                color="0.3",
            )
        )
    if grid is not None:
        g = grid[np.isclose(grid[:, 2], grid[:, 2].max())]
        ax[0].plot(g[:, 0] / 1e3, g[:, 1] / 1e3, ",", color="tab:blue", alpha=0.4)
    ax[0].plot(points[:, 0] / 1e3, points[:, 1] / 1e3, ".", ms=1, color="tab:red")
    ax[0].set(
        xlim=(-160, 140),
        ylim=(-120, 180),
        aspect="equal",
        xlabel="east (km)",
        ylabel="north (km)",
        title=f"Cuboids at the top of the half-space (H = {H / 1e3:.0f} km)\n"
        "red: Landers patches; blue: DeVries cells",
    )
    for q, e in rect_err.items():
        ax[1].loglog(ratios, np.maximum(e, 1e-17), label=f"{q}x{q} points")
    ax[1].set(
        xlabel="distance / side",
        ylabel="relative error of grad u",
        title="Square fault: Gauss sum of DC3D0 vs DC3D",
    )
    for q, e in cube_err.items():
        ax[2].loglog(ratios, np.maximum(e, 1e-17), label=f"{q}^3 points")
    ax[2].set(
        xlabel="distance / side",
        ylabel="relative error of grad u",
        title="Cube of uniform eigenstrain: q^3 vs 12^3 Gauss",
    )
    for a_ in ax[1:]:
        a_.axvline(0.5 * math.sqrt(3), color="0.6", lw=0.8, ls=":")
        a_.legend(fontsize=8)
        a_.grid(True, which="both", lw=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    print(f"wrote {path}")


def main(argv=None):
    data = pathlib.Path(os.environ.get("QUAKEJAX_DATA") or REPO.parent / "shared" / "data")
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(data / "slip_models/srcmod/s1992LANDERwald.fsp"))
    ap.add_argument("--no-measure", action="store_true", help="use the documented rates")
    ap.add_argument("--figure", action="store_true")
    args = ap.parse_args(argv)
    A = ASSUMED
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"jax {jax.__version__} on {jax.devices()[0].platform}; RAM {_ram_bytes() / 1e9:.0f} GB; "
        f"load average {os.getloadavg()[0]:.1f} (other jobs make the measured rates vary)"
    )
    print("ESTIMATE, NOT A MEASUREMENT.  Assumptions:", json.dumps(A))
    points, name, fault = rupture_points(args.model)
    grid = grid_cells(fault)
    n_grid = 18_570 if grid is None else len(grid)
    print(f"rupture: {name}; DeVries grid: {n_grid} cells")

    rates = DOCUMENTED if args.no_measure else measure_rates()
    print(
        "rates (" + ("documented" if args.no_measure else "measured here") + "):",
        {k: f"{v:.3g}" for k, v in rates.items()},
    )

    configs = [(30e3, 5e3, 3.0), (30e3, 2.5e3, 3.0), (30e3, 5e3, 2.0), (20e3, 5e3, 3.0)]
    n_patch = 186 if fault is None else fault.n_patches
    rows, meshes = [], {}
    recv_grid = grid if grid is not None else np.zeros((1, 3))
    for H, h0, alpha in configs:
        centres, sizes = octree_mesh(points, H, h0, alpha)
        meshes[(H, h0, alpha)] = (centres, sizes)
        N = len(centres)
        zones_K = pair_zones(centres, centres, sizes, A)
        zones_grid = pair_zones(recv_grid, centres, sizes, A)
        row = estimate(N, n_grid, n_patch, zones_K, zones_grid, rates, A)
        row.update(
            H_km=H / 1e3,
            h0_km=h0 / 1e3,
            alpha=alpha,
            sizes_km={f"{s / 1e3:g}": int((sizes == s).sum()) for s in np.unique(sizes)},
        )
        rows.append(row)

    def cfg(r):
        return f"| {r['H_km']:.0f} | {r['h0_km']:g} | {r['alpha']:g} "

    print(
        "\nMesh and memory (float64; float32 halves the bytes).  Pair zones: analytic / "
        "2^3 Gauss / 1 point"
    )
    print(
        "| H km | h0 km | alpha | cuboids N | sizes (km: count) | states 10N | K (5N)^2 GB "
        "| Jacobian (10N)^2 GB | K pairs by zone | grid pairs by zone |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        sz = ", ".join(f"{k}: {v}" for k, v in r["sizes_km"].items())
        zk = " / ".join(f"{100 * z:.1f}%" for z in r["zones_K"])
        zg = " / ".join(f"{100 * z:.1f}%" for z in r["zones_grid"])
        print(
            cfg(r) + f"| {r['N']:,} | {sz} | {r['states']:,} | {r['K_GB_f64']:.1f} "
            f"| {r['jacobian_GB_f64']:.1f} | {zk} | {zg} |"
        )

    print("\nOne-off costs (CPU: rates measured here x assumed kernel ratio; GPU: assumed)")
    print(
        "| H km | h0 km | alpha | Okada driving | K assembly (all analytic) | K assembly (zoned) "
        "| one grid output | K matvec | eigh 5N | GPU: assembly | GPU: grid output "
        "| GPU: matvec | GPU: eigh 5N |"
    )
    print("|---" * 13 + "|")
    one_off = [
        ("cpu", "okada_s"), ("cpu", "assembly_all_analytic_s"), ("cpu", "assembly_s"),
        ("cpu", "grid_output_s"), ("cpu", "matvec_s"), ("cpu", "eigh_5N_s"),
        ("gpu", "assembly_s"), ("gpu", "grid_output_s"), ("gpu", "matvec_s"), ("gpu", "eigh_5N_s"),
    ]  # fmt: skip
    for r in rows:
        print(cfg(r) + "".join(f"| {_fmt_s(r[d][k])} " for d, k in one_off) + "|")

    print(
        "\nLanders windows (Burgers; fastest rate (mu + mu_K)/eta_K = "
        f"{rows[0]['rate_max_per_day']:.3f} per day).  Totals = Okada + assembly + 2 grid "
        "outputs + stepping (or + eigh)"
    )
    print(
        "| H km | h0 km | alpha | window | steps expl. / impl. | CPU Tsit5 stepping "
        "| CPU Kvaerno5 dense stepping | CPU total Tsit5 | CPU total modal | GPU Tsit5 stepping "
        "| GPU Kvaerno5 dense stepping | GPU total Tsit5 | GPU total modal |"
    )
    print("|---" * 13 + "|")
    per_window = [
        "cpu_tsit5_stepping_s", "cpu_kvaerno5_dense_stepping_s", "cpu_total_tsit5_s",
        "cpu_total_modal_s", "gpu_tsit5_stepping_s", "gpu_kvaerno5_dense_stepping_s",
        "gpu_total_tsit5_s", "gpu_total_modal_s",
    ]  # fmt: skip
    for r in rows:
        for w in WINDOWS:
            x = r[w]
            cells = "".join(f"| {_fmt_s(x[k])} " for k in per_window)
            print(cfg(r) + f"| {w} | {x['explicit_steps']} / {x['implicit_steps']} " + cells + "|")

    quad = quadrature_check()
    ratios, rect_err, cube_err = quad
    print("\nQuadrature check (measured here): relative error of grad u")
    print(
        "| distance / side | "
        + " | ".join(f"square {q}x{q}" for q in rect_err)
        + " | "
        + " | ".join(f"cube {q}^3" for q in cube_err)
        + " |"
    )
    print("|---" * (1 + len(rect_err) + len(cube_err)) + "|")
    for target in (1.0, 2.0, 3.0, 5.0, 10.0, 20.0):
        i = int(np.argmin(np.abs(ratios - target)))
        print(
            f"| {ratios[i]:.2f} | "
            + " | ".join(f"{e[i]:.1e}" for e in rect_err.values())
            + " | "
            + " | ".join(f"{e[i]:.1e}" for e in cube_err.values())
            + " |"
        )

    if args.figure:
        key = configs[0]
        figure(
            REPO / "docs/figures/visco3d_mesh_quadrature.png",
            meshes[key],
            points,
            grid,
            key[0],
            quad,
        )

    summary = {
        "estimate": True,
        "rupture": name,
        "grid_cells": n_grid,
        "load_average": os.getloadavg()[0],
        "measured": not args.no_measure,
        "rates": rates,
        "assumed": A,
        "configs": [{k: v for k, v in r.items()} for r in rows],
        "quadrature": {
            "ratios": ratios.tolist(),
            "square": {str(q): e.tolist() for q, e in rect_err.items()},
            "cube": {str(q): e.tolist() for q, e in cube_err.items()},
        },
    }
    print(json.dumps(summary, default=float))


if __name__ == "__main__":
    main()
