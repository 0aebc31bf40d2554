"""`python -m quakejax.demo`: slip model -> surface displacement and stress-change grids -> figures.

With no data this uses an embedded synthetic thrust earthquake (a 40 x 20 km fault, 8 x 4
patches, elliptical slip of 4 m peak).  It computes, with the Okada (1992) kernels,
the surface displacement on a 2 km grid and the stress change on a 5 km grid at 0-50 km depth
(the DeVries et al. 2018 cell size), then writes figures and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import numpy as np


def example_fault():
    """A synthetic thrust: strike 0, dip 30 deg, top at 2 km depth, elliptical slip (m)."""
    import quakejax as qj

    n_strike, n_dip = 8, 4
    length, width = 40e3, 20e3
    dip = 30.0
    pl, pw = length / n_strike, width / n_dip
    s = (np.arange(n_strike) + 0.5) * pl - length / 2  # along strike (north), m
    w = (np.arange(n_dip) + 0.5) * pw  # down dip from the top edge, m
    ss, ww = np.meshgrid(s, w, indexing="ij")
    top_depth = 2e3
    east = ww.ravel() * np.cos(np.radians(dip))
    north = ss.ravel()
    up = -(top_depth + ww.ravel() * np.sin(np.radians(dip)))
    r2 = (ss.ravel() / (length / 2)) ** 2 + ((ww.ravel() - width / 2) / (width / 2)) ** 2
    slip = 4.0 * np.sqrt(np.clip(1.0 - 0.8 * r2, 0.0, None))
    return qj.FaultModel.from_rake(np.c_[east, north, up], 0.0, dip, pl, pw, slip, rake=90.0)


def run(out: pathlib.Path) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)  # a script may choose float64; the library never does
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import quakejax as qj

    out.mkdir(parents=True, exist_ok=True)
    fault = example_fault()
    summary = {"n_patches": fault.n_patches, "mw": float(fault.magnitude(3e10))}

    # Surface displacement on a 2 km grid.
    x = np.arange(-60e3, 60.001e3, 2e3)
    gx, gy = np.meshgrid(x, x)
    surf = np.c_[gx.ravel(), gy.ravel(), np.zeros(gx.size)]
    t0 = time.perf_counter()
    u = np.asarray(qj.okada.displacement(fault, surf))
    summary["surface_points"] = int(surf.shape[0])
    summary["surface_seconds"] = time.perf_counter() - t0

    # Stress change on 5 km cells, 0-50 km depth, at cell centroids (lambda = mu = 30 GPa).
    c = np.arange(-97.5e3, 97.51e3, 5e3)
    z = -np.arange(2.5e3, 50e3, 5e3)
    cx, cy, cz = np.meshgrid(c, c, z, indexing="ij")
    cells = np.c_[cx.ravel(), cy.ravel(), cz.ravel()]
    t0 = time.perf_counter()
    sigma = qj.okada.stress(fault, cells, mu=3e10)
    vm = np.asarray(qj.stress.von_mises(sigma)).reshape(cx.shape) / 1e6  # MPa
    ms = np.asarray(qj.stress.max_shear(sigma)).reshape(cx.shape) / 1e6
    summary["stress_cells"] = int(cells.shape[0])
    summary["stress_seconds"] = time.perf_counter() - t0
    summary["max_von_mises_MPa"] = float(vm.max())
    summary["max_surface_uplift_m"] = float(u[:, 2].max())

    # Figures.
    corners = np.asarray(fault.corners) / 1e3
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), constrained_layout=True)
    ax = axes[0]
    sc = ax.scatter(
        np.asarray(fault.centroid[:, 0]) / 1e3,
        np.asarray(fault.centroid[:, 1]) / 1e3,
        c=np.asarray(fault.slip_magnitude),
        s=400,
        marker="s",
        cmap="viridis",
    )
    fig.colorbar(sc, ax=ax, label="slip (m)")
    ax.set(
        title=f"Slip model (Mw {summary['mw']:.2f}), map view",
        xlabel="east (km)",
        ylabel="north (km)",
        aspect="equal",
    )
    ax = axes[1]
    im = ax.pcolormesh(
        gx / 1e3,
        gy / 1e3,
        u[:, 2].reshape(gx.shape),
        cmap="RdBu_r",
        shading="auto",
        vmin=-abs(u[:, 2]).max(),
        vmax=abs(u[:, 2]).max(),
    )
    step = 4
    ax.quiver(
        gx[::step, ::step] / 1e3,
        gy[::step, ::step] / 1e3,
        u[:, 0].reshape(gx.shape)[::step, ::step],
        u[:, 1].reshape(gx.shape)[::step, ::step],
    )
    for quad in corners:
        ax.fill(quad[:, 0], quad[:, 1], fill=False, lw=0.4, color="k")
    fig.colorbar(im, ax=ax, label="vertical displacement (m)")
    ax.set(
        title="Surface displacement (arrows: horizontal)",
        xlabel="east (km)",
        ylabel="north (km)",
        aspect="equal",
    )
    ax = axes[2]
    k = 2  # 12.5 km depth
    im = ax.pcolormesh(
        c / 1e3,
        c / 1e3,
        vm[:, :, k].T,
        cmap="magma",
        shading="auto",
        norm=matplotlib.colors.LogNorm(vmin=1e-3, vmax=max(vm.max(), 1e-2)),
    )
    fig.colorbar(im, ax=ax, label="von Mises stress change (MPa)")
    ax.set(
        title=f"Stress change at {-z[k] / 1e3:.1f} km depth",
        xlabel="east (km)",
        ylabel="north (km)",
        aspect="equal",
    )
    fig.savefig(out / "demo_okada.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    j = np.argmin(np.abs(c))
    im = ax.pcolormesh(
        c / 1e3,
        -z / 1e3,
        ms[:, j, :].T,
        cmap="magma",
        shading="auto",
        norm=matplotlib.colors.LogNorm(vmin=1e-3, vmax=max(ms.max(), 1e-2)),
    )
    ax.invert_yaxis()
    fig.colorbar(im, ax=ax, label="max shear stress change (MPa)")
    ax.set(title="Depth section across strike (north = 0)", xlabel="east (km)", ylabel="depth (km)")
    fig.savefig(out / "demo_section.png", dpi=110)
    plt.close(fig)

    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo_output", help="output folder (created)")
    args = parser.parse_args(argv)
    summary = run(pathlib.Path(args.out))
    for key, value in summary.items():
        print(f"{key:>24}: {value:.4g}" if isinstance(value, float) else f"{key:>24}: {value}")
    print(f"figures written to {args.out}/")


if __name__ == "__main__":
    main()
