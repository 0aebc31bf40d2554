"""`python -m quakejax.demo`: slip model -> stress grid -> aftershock labels, scores, figures.

With `QUAKEJAX_DATA` (or `--data`) pointing at the real data, this reads a published slip
model (default: Wald & Heaton's 1992 Landers model from SRCMOD) and the catalog that best
covers its first year of aftershocks.  Without data it uses an embedded synthetic thrust
earthquake (40 x 20 km, 8 x 4 patches, elliptical slip of 4 m peak) and a synthetic
aftershock catalog (clusters at the rupture's ends and base, seed 0; no stress is used to
make it).  Then, following DeVries et al. (2018): the stress change at the centroids of 5 km
cells within 100 km of the rupture at 0-50 km depth (Okada 1992), cell labels from the
aftershocks of the following year, the ROC AUC of each stress metric as an aftershock
predictor, the surface displacement, and figures plus a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
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
    info = qj.EventInfo(
        name="synthetic thrust",
        tag="SYNTHETIC",
        time="2020-01-01T00:00:00",
        hypocentre=(-117.0, 34.0, 10.0),
        origin=(-117.0, 34.0),
        source="quakejax.demo.example_fault",
    )
    return qj.FaultModel.from_rake(
        np.c_[east, north, up], 0.0, dip, pl, pw, slip, rake=90.0, info=info
    )


def example_catalog(fault, n=400, seed=0):
    """A synthetic aftershock catalog for `example_fault`: Gaussian clusters (5 km) at the
    two ends of the rupture and along its base, days 0-365, magnitudes Gutenberg-Richter
    (b = 1) above 2.5.  Independent of any stress computation."""
    from quakejax.io import Catalog, LocalFrame

    rng = np.random.default_rng(seed)
    corners = np.asarray(fault.corners).reshape(-1, 4, 3)
    north = corners[..., 1]
    ends = np.array([[0.0, north.min(), -8e3], [0.0, north.max(), -8e3]])
    base = corners[:, 2:, :].reshape(-1, 3)
    centres = np.concatenate([ends, base[:: max(1, len(base) // 6)]])
    pick = centres[rng.integers(0, len(centres), n)]
    xyz = pick + rng.normal(scale=[5e3, 5e3, 3e3], size=(n, 3))
    xyz[:, 2] = np.clip(xyz[:, 2], -40e3, -500.0)
    lon, lat = LocalFrame(*fault.info.origin).to_geographic(xyz[:, 0], xyz[:, 1])
    t0 = np.datetime64(fault.info.time, "ms")
    days = rng.exponential(30.0, n).clip(0.001, 364.0)
    t = t0 + (days * 86_400_000).astype("timedelta64[ms]")
    mag = 2.5 + rng.exponential(1.0 / np.log(10.0), n)
    hypo = fault.info.hypocentre
    return Catalog(
        np.concatenate([[t0], t]),
        np.concatenate([[hypo[0]], lon]),
        np.concatenate([[hypo[1]], lat]),
        np.concatenate([[hypo[2] * 1e3], -xyz[:, 2]]),
        np.concatenate([[float(fault.magnitude())], mag]),
        name="synthetic (quakejax.demo)",
    )


DEFAULT_MODEL = "slip_models/srcmod/s1992LANDERwald.fsp"
SCORED = (
    "von_mises",
    "stresses_full_max_shear",
    "sum_abs",
    "stresses_full_cfs",
    "stresses_full_cfs_total",
)


def load_inputs(data, model):
    """(fault, catalog, catalog name, catalog scores): real data when `data` is given."""
    if data is None:
        fault = example_fault()
        return fault, example_catalog(fault), "synthetic", {}
    from quakejax.aftershocks import choose_catalog
    from quakejax.io import read_catalog, read_slip_model

    data = pathlib.Path(data)
    path = pathlib.Path(model) if model else data / DEFAULT_MODEL
    if not path.is_absolute() and not path.exists():
        path = data / path
    fault = read_slip_model(path)
    catalogs = {}
    for p in sorted((data / "catalogs").glob("*")):
        try:
            catalogs[p.name] = read_catalog(p)
        except ValueError as err:
            print(f"catalog {p.name} skipped: {err}")
    name, scores = choose_catalog(fault, catalogs)
    if name is None:
        raise SystemExit(f"no catalog in {data / 'catalogs'} covers the year after {path.name}")
    return fault, catalogs[name], name, scores


def run(out: pathlib.Path, data=None, model=None) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)  # a script may choose float64; the library never does
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import quakejax as qj
    from quakejax import plot
    from quakejax.aftershocks import (
        AftershockClassifier,
        build_event_table,
        roc_auc,
        write_grid_table,
    )

    out.mkdir(parents=True, exist_ok=True)
    fault, catalog, cat_name, cat_scores = load_inputs(data, model)
    info = fault.info
    summary = {
        "model": info.tag or info.source,
        "source": info.source,
        "n_patches": fault.n_patches,
        "mw_model": float(fault.magnitude(3e10)),
        "mw_header": info.mw,
        "catalog": cat_name,
    }
    t0 = time.perf_counter()
    table, ev = build_event_table(fault, catalog, dtype=np.float64)
    summary["grid_seconds"] = time.perf_counter() - t0
    summary.update(
        cells=ev.cells,
        positive_cells=ev.positives,
        mainshock_time=ev.mainshock_time,
        mainshock_time_from=ev.time_source,
        completeness_magnitude=ev.completeness_magnitude,
        receiver_strike_dip_rake=list(ev.receiver),
    )
    # The pretrained DeVries network: aftershock probability per cell.
    classifier = AftershockClassifier.pretrained()
    table["probability"] = classifier.probability_from_table(table)
    write_grid_table(table, out / f"{summary['model'] or 'model'}_grid")
    labels = table["aftershocksyn"].to_numpy()
    aucs = {}
    if 0 < labels.sum() < len(labels):
        aucs["network"] = float(roc_auc(table["probability"].to_numpy(np.float64), labels))
        for col in SCORED:
            aucs[col] = float(roc_auc(table[col].to_numpy(), labels))
    summary["auc"] = aucs

    # Surface displacement on a 2 km grid around the rupture.
    corners = np.asarray(fault.corners).reshape(-1, 3)
    lo, hi = corners[:, :2].min(0) - 40e3, corners[:, :2].max(0) + 40e3
    gx, gy = np.meshgrid(np.arange(lo[0], hi[0], 2e3), np.arange(lo[1], hi[1], 2e3))
    surf = np.c_[gx.ravel(), gy.ravel(), np.zeros(gx.size)]
    t0 = time.perf_counter()
    u = np.asarray(qj.okada.displacement(fault, surf))
    summary["surface_points"] = int(surf.shape[0])
    summary["surface_seconds"] = time.perf_counter() - t0
    summary["max_horizontal_m"] = float(np.hypot(u[:, 0], u[:, 1]).max())

    frame = info.local_frame()
    t_main = np.datetime64(ev.mainshock_time, "ms")
    after = catalog.select(
        start=t_main + np.timedelta64(1, "s"), end=t_main + np.timedelta64(365, "D")
    )
    quakes = after.enu(frame)

    fig, axes = plt.subplots(1, 3, figsize=(17, 5), constrained_layout=True)
    plot.plot_slip(fault, ax=axes[0], view="map")
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
    step = max(1, gx.shape[1] // 20)
    ax.quiver(
        gx[::step, ::step] / 1e3,
        gy[::step, ::step] / 1e3,
        u[:, 0].reshape(gx.shape)[::step, ::step],
        u[:, 1].reshape(gx.shape)[::step, ::step],
    )
    fig.colorbar(im, ax=ax, label="vertical displacement (m)", shrink=0.8)
    ax.set(
        title="Surface displacement (arrows: horizontal)",
        xlabel="east (km)",
        ylabel="north (km)",
        aspect="equal",
    )
    plot.plot_stress_map(table, "von_mises", aftershocks=quakes, fault=fault, ax=axes[2])
    fig.savefig(out / "demo_map.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(2, 1, figsize=(9, 8), constrained_layout=True)
    plot.plot_slip(fault, ax=axes[0], view="section")
    strike = float(np.radians(ev.receiver[0]))
    centre = np.asarray(fault.centroid).mean(0)[:2] / 1e3
    plot.plot_stress_section(
        table,
        "stresses_full_max_shear",
        centre_km=tuple(centre),
        azimuth=np.degrees(strike) + 90.0,
        aftershocks=quakes,
        ax=axes[1],
    )
    fig.savefig(out / "demo_section.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(12, 5), constrained_layout=True)
    plot.plot_probability_map(table, "probability", fault=fault, ax=axes[0])
    a = np.asarray(quakes, float) / 1e3
    axes[0].plot(a[:, 0], a[:, 1], ".", ms=2, color="c", label="aftershocks (1 year)")
    axes[0].legend(loc="upper right", fontsize=7)
    axes[0].set_title("Pretrained network: aftershock probability (largest over depth)")
    plot.plot_slip(fault, ax=axes[1], view="map")
    fig.savefig(out / "demo_probability.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 4), constrained_layout=True)
    if aucs:
        ax.barh(list(aucs), list(aucs.values()), color="0.4")
        ax.axvline(0.5, color="k", lw=0.8)
        ax.set(xlim=(0.4, 1.0), xlabel="ROC AUC", title=f"Aftershock cells, {summary['model']}")
    fig.savefig(out / "demo_auc.png", dpi=110)
    plt.close(fig)

    (out / "demo_summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo_output", help="output folder (created)")
    parser.add_argument(
        "--data",
        default=os.environ.get("QUAKEJAX_DATA") or None,  # set but empty: no data
        help="the real-data folder (default: $QUAKEJAX_DATA; none: the embedded example)",
    )
    parser.add_argument(
        "--model", default=None, help=f"slip model (default <data>/{DEFAULT_MODEL})"
    )
    args = parser.parse_args(argv)
    if args.data and not pathlib.Path(args.data).is_dir():
        parser.error(f"--data / QUAKEJAX_DATA: {args.data} is not a folder")
    summary = run(pathlib.Path(args.out), args.data, args.model)
    for key, value in summary.items():
        if isinstance(value, dict):
            for k, v in value.items():
                print(f"{'AUC ' + k:>40}: {v:.3f}")
        else:
            print(f"{key:>40}: {value:.4g}" if isinstance(value, float) else f"{key:>40}: {value}")
    print(f"tables and figures written to {args.out}/")


if __name__ == "__main__":
    main()
