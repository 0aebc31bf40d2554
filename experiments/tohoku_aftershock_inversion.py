"""Tohoku 2011 slip from GPS, from aftershocks, and from both; and which slip drives the
aftershocks where.

The aftershock likelihood is slip -> Okada stress change on the DeVries et al. (2018) grid
(5 km cells within 100 km of the fault, 0-50 km depth) -> the pretrained stress-only
classifier (`AftershockClassifier.pretrained("devries")`) -> Bernoulli log-likelihood of
the cells' labels (a cell is positive when a JMA M>=4.5 event fell in it between 1 s and
365 days after the mainshock).  Every positive cell and a random 5% of the negative ones
(weighted by 1/0.05) enter the fit; AUCs are measured on every cell.

Fault: the plane of `tohoku_gps_inversion.py` (Yamazaki et al. 2011's strike 192 and dip
12 deg, top at the trench, 600 x 200 km) in 20 x 8 patches of 30 x 25 km; rake in
[45, 135] deg; zero slip beyond the bottom and the ends.

1. **Synthetic.**  Labels drawn from the classifier's probabilities for a known slip (the
   GPS-only estimate below, so the pattern is realistic); recover it by gradient descent
   from 1 m of uniform slip; report the correlation with the truth, and the log-likelihood
   of the estimate against that of the truth.
2. **Real.**  GPS only (`invert_slip`, land horizontals + verticals + seafloor, blocked CV
   smoothing), aftershocks only (`invert_aftershocks`, smoothing picked by the
   log-likelihood of held-out cells: 5 spatial blocks of cell columns) and joint (GPS +
   aftershocks at the GPS smoothing).  The aftershock fits estimate an event-wide logit
   offset with the slip; the aftershocks-only fit is also run with the offset fixed at 0
   (the classifier's own calibration), which shrinks the slip to almost nothing.  Mw, peak
   slip, slip correlation between them and with wei+11, bletery+14, yamazaki+11
   (resampled on our patches), the classifier's AUC on all cells for each slip model, its
   log-likelihood (at offset 0 and at its best offset), and the GPS horizontal RMS
   residual.
3. **Sensitivity.**  The gradient of the mean aftershock probability of two regions -- the
   Iwaki/Fukushima-Hamadori cells (36.8-37.3 N, 140.5-141.2 E, 0-20 km: the April 2011
   normal-faulting swarm) and the offshore cells east of the trench (outer rise) -- with
   respect to the slip on every patch, for the GPS-only slip, projected on its slip
   direction.

Writes `docs/figures/tohoku_aftershock_inversion.json` and `.png`.

    QUAKEJAX_DATA=../shared/data .venv/bin/python experiments/tohoku_aftershock_inversion.py

About 10 minutes on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "experiments"))

MAINSHOCK = "2011-03-11T05:46:24"
RAKE = (45.0, 135.0)
EDGES = "zero-bottom-sides"


def labels_for(grid, data, frame):
    from quakejax.io import read_catalog

    cat = read_catalog(data / "catalogs/japan_jma_m45_1966-2015.csv")
    t0 = np.datetime64(MAINSHOCK, "ms")
    window = cat.select(start=t0 + np.timedelta64(1, "s"), end=t0 + np.timedelta64(365, "D"))
    counts = grid.count(window.enu(frame))
    return counts, len(window)


def spatial_blocks(points, k=5, size=100e3):
    """Cells grouped by 100 km squares, squares dealt into k folds at random."""
    key = np.floor(points[:, :2] / size).astype(np.int64)
    _, square = np.unique(key, axis=0, return_inverse=True)
    order = np.random.default_rng(0).permutation(square.max() + 1)
    return order[square.ravel()] % k


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=pathlib.Path,
        default=pathlib.Path(os.environ.get("QUAKEJAX_DATA", ROOT / ".." / "shared" / "data")),
    )
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs/figures")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--rate", type=float, default=0.05, help="negative-cell sampling rate")
    args = parser.parse_args(argv)
    if not (args.data / "gps/tohoku2011").is_dir():
        parser.error(f"no Tohoku data under {args.data} (set QUAKEJAX_DATA)")

    import equinox as eqx
    import jax
    import jax.numpy as jnp
    from tohoku_gps_inversion import inversion_plane, load_data, peak, published_models

    from quakejax.aftershocks import build_grid, roc_auc
    from quakejax.inversion import (
        aftershock_likelihood,
        aftershock_sensitivity,
        invert_aftershocks,
        invert_slip,
        resample_slip,
        slip_correlation,
    )

    t_start = time.perf_counter()
    _, allgps = load_data(args.data)
    pub = published_models(args.data)
    frame = pub["yamazaki+11"].info.local_frame()
    plane = inversion_plane(pub["yamazaki+11"], n_strike=20, n_dip=8)
    grid = build_grid(plane)
    pts = np.asarray(grid.centroid, float)
    counts, n_events = labels_for(grid, args.data, frame)
    y = counts > 0
    print(
        f"fault {plane.n_patches} patches; grid {len(pts)} cells, {int(y.sum())} positive "
        f"({n_events} JMA M>=4.5 events in the year); JAX {jax.default_backend()}"
    )

    t0 = time.perf_counter()
    full = aftershock_likelihood(plane, pts, y)
    t_build = time.perf_counter() - t0
    fit = full.sample_negatives(args.rate, seed=0)
    print(f"stress Green's functions: {t_build:.1f} s; fitting on {fit.n_cells} cells")

    # -- GPS only ----------------------------------------------------------------------
    t0 = time.perf_counter()
    gps_inv = invert_slip(plane, allgps, smoothing="cv", rake=RAKE, edges=EDGES, frame=frame)
    lam_gps = gps_inv.smoothing
    print(f"GPS only: {time.perf_counter() - t0:.1f} s, smoothing {lam_gps:.3g} /m")
    kw = dict(rake=RAKE, edges=EDGES, steps=args.steps, learning_rate=0.5)

    # -- 1. synthetic --------------------------------------------------------------------
    truth = gps_inv.slip
    p_true = np.asarray(full.probability(truth), float)
    y_syn = np.random.default_rng(1).random(len(pts)) < p_true
    syn_full = eqx.tree_at(lambda lk: lk.labels, full, jnp.asarray(y_syn, full.labels.dtype))
    syn = syn_full.sample_negatives(args.rate, seed=0)
    synthetic = {}
    for lam in (0.3, 1.0, 3.0):
        t0 = time.perf_counter()
        inv = invert_aftershocks(plane, syn, smoothing=lam, **kw)
        corr = slip_correlation(inv.slip, truth)
        synthetic[lam] = {
            "correlation": corr,
            "mw": inv.mw(),
            "mw_true": gps_inv.mw(),
            "log_likelihood": float(syn_full.log_likelihood(inv.slip, inv.offset)),
            "offset": inv.offset,
            "log_likelihood_truth": float(syn_full.log_likelihood(truth)),
            "wall_s": time.perf_counter() - t0,
        }
        print(
            f"synthetic, lambda {lam:g}: corr {corr:.2f}, Mw {inv.mw():.2f} (true "
            f"{gps_inv.mw():.2f}), loglik {synthetic[lam]['log_likelihood']:.0f} vs truth "
            f"{synthetic[lam]['log_likelihood_truth']:.0f}, {synthetic[lam]['wall_s']:.0f} s"
        )

    # -- 2. real: aftershocks only, smoothing by held-out cells ---------------------------
    folds = spatial_blocks(pts)
    held = {}
    for lam in (0.3, 1.0, 3.0):
        score = 0.0
        for k in range(2):  # two of the five folds held out in turn (cost)
            train = np.flatnonzero(folds != k)
            test = np.flatnonzero(folds == k)
            part = full.subset(train).sample_negatives(args.rate, seed=k)
            inv = invert_aftershocks(plane, part, smoothing=lam, **kw)
            score += float(full.subset(test).log_likelihood(inv.slip, inv.offset))
        held[lam] = score
        print(f"aftershocks only, lambda {lam:g}: held-out log-likelihood {score:.0f}")
    lam_aft = max(held, key=held.get)
    aft_inv = invert_aftershocks(plane, fit, smoothing=lam_aft, **kw)
    # The same with the logit offset held at 0: the classifier's own calibration.
    aft_fixed = invert_aftershocks(plane, fit, smoothing=lam_aft, fit_offset=False, **kw)
    joint = invert_aftershocks(
        plane, fit, gps=allgps, frame=frame, smoothing=lam_gps, init=truth, **kw
    )
    print(
        f"aftershocks only: offset {aft_inv.offset:.2f}, Mw {aft_inv.mw():.2f}; with the "
        f"offset fixed at 0: Mw {aft_fixed.mw():.2f}, peak "
        f"{np.linalg.norm(aft_fixed.slip, axis=1).max():.2f} m; joint: offset "
        f"{joint.offset:.2f}"
    )

    models = {
        "GPS only": gps_inv.fault,
        "aftershocks only": aft_inv.fault,
        "joint": joint.fault,
        "aftershocks, b = 0": aft_fixed.fault,
        **pub,
    }
    on_plane = {n: np.asarray(f.slip, float)[:, :2] for n, f in list(models.items())[:4]}
    on_plane.update({n: resample_slip(f, plane, max_distance=30e3) for n, f in pub.items()})
    names = list(on_plane)
    corr = {a: {b: slip_correlation(on_plane[a], on_plane[b]) for b in names} for a in names}
    gps_pts = allgps.enu(frame)
    from quakejax.okada import displacement

    rows = {}
    for name in names:
        f = plane.with_slip(np.c_[on_plane[name], np.zeros(plane.n_patches)])
        prob = np.asarray(full.probability(on_plane[name]), float)
        pred = np.asarray(displacement(f, gps_pts), float)
        n_land = 1295
        r = (allgps.displacement - pred)[:n_land, :2]
        rows[name] = {
            "mw": float(models[name].magnitude(3e10)),
            **peak(models[name], frame),
            "auc_all_cells": float(roc_auc(prob, y)),
            "log_likelihood_b0": float(full.log_likelihood(on_plane[name])),
            **best_offset(full, on_plane[name]),
            "gps_horizontal_rms_m": float(np.sqrt(np.mean(r**2))),
        }
    print(
        f"\n{'model':18s} {'Mw':>5s} {'peak m':>7s} {'AUC':>6s} {'loglik b=0':>10s} "
        f"{'best b':>6s} {'loglik':>9s} {'GPS RMS':>8s}"
    )
    for name, r in rows.items():
        print(
            f"{name:18s} {r['mw']:5.2f} {r['peak_slip_m']:7.1f} {r['auc_all_cells']:6.3f} "
            f"{r['log_likelihood_b0']:10.0f} {r['offset']:6.2f} {r['log_likelihood']:9.0f} "
            f"{r['gps_horizontal_rms_m']:8.3f}"
        )
    print("\nslip correlation on our patches:")
    print(" " * 18 + " ".join(f"{n[:10]:>10s}" for n in names))
    for a in names:
        print(f"{a:18s}" + " ".join(f"{corr[a][b]:10.2f}" for b in names))

    # -- 3. sensitivity -------------------------------------------------------------------
    lon, lat = frame.to_geographic(pts[:, 0], pts[:, 1])
    regions = {
        "Iwaki (36.8-37.3N, 140.5-141.2E, 0-20 km)": (lat > 36.8)
        & (lat < 37.3)
        & (lon > 140.5)
        & (lon < 141.2)
        & (pts[:, 2] > -20e3),
        "outer rise (east of the trench)": east_of_trench(plane, pts),
    }
    sens = {}
    b_gps = rows["GPS only"]["offset"]
    for name, mask in regions.items():
        g = aftershock_sensitivity(full, truth, mask, offset=b_gps)
        mag = np.linalg.norm(truth, axis=1)
        along = np.where(mag > 0, (g * truth).sum(1) / np.maximum(mag, 1e-12), g[:, 1])
        sens[name] = {
            "n_cells": int(mask.sum()),
            "offset": b_gps,
            "mean_probability": float(np.asarray(full.probability(truth, b_gps))[mask].mean()),
            "observed_fraction": float(y[mask].mean()),
            "along_slip_per_m": along.tolist(),
        }
        top = np.argsort(-np.abs(along))[:3]
        print(
            f"sensitivity, {name}: {int(mask.sum())} cells; largest |dP/ds| on patches "
            f"{top.tolist()} ({', '.join(f'{along[i]:.2e}' for i in top)} per m)"
        )

    args.out.mkdir(parents=True, exist_ok=True)
    result = {
        "cells": len(pts),
        "positives": int(y.sum()),
        "fit_cells": fit.n_cells,
        "stress_greens_s": t_build,
        "smoothing": {"gps_cv": lam_gps, "aftershocks_heldout": lam_aft, "heldout": held},
        "synthetic": synthetic,
        "models": rows,
        "slip_correlation": corr,
        "sensitivity": sens,
        "wall_s": time.perf_counter() - t_start,
    }
    (args.out / "tohoku_aftershock_inversion.json").write_text(json.dumps(result, indent=1))
    figure(args.out / "tohoku_aftershock_inversion.png", plane, on_plane, pts, y, full, sens)
    print(f"total {time.perf_counter() - t_start:.0f} s")


def best_offset(lik, slip):
    """The logit offset that maximises the log-likelihood of `slip` (a 1-D search)."""
    from scipy.optimize import minimize_scalar

    z = np.asarray(lik.logit(slip), float)
    y = np.asarray(lik.labels) > 0
    w = np.asarray(lik.weight, float)

    def nll(b):
        return float(np.sum(w * (np.logaddexp(0.0, z + b) - np.where(y, z + b, 0.0))))

    res = minimize_scalar(nll, bounds=(-20.0, 20.0), method="bounded")
    return {"offset": float(res.x), "log_likelihood": -float(res.fun)}


def east_of_trench(plane, pts):
    """Cells seaward of the fault's top edge (the trench), 0-30 km deep."""
    phi = np.radians(float(plane.strike[0]))
    normal = np.array([np.cos(phi), -np.sin(phi)])  # horizontal, down dip
    top = np.asarray(plane.corners, float).reshape(-1, 3)
    top = top[np.argmax(top[:, 2])]
    return ((pts[:, :2] - top[:2]) @ normal < -10e3) & (pts[:, 2] > -30e3)


def sens_offset(sens):
    return next(iter(sens.values()))["offset"]


def figure(path, plane, on_plane, pts, y, full, sens):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from quakejax.plot import plot_slip

    fig, axes = plt.subplots(2, 3, figsize=(16, 11), sharex=True, sharey=True)
    for ax, name in zip(axes[0], ("GPS only", "aftershocks only", "joint"), strict=True):
        f = plane.with_slip(np.c_[on_plane[name], np.zeros(plane.n_patches)])
        plot_slip(f, ax, view="map")
        ax.set_title(f"{name}: Mw {float(f.magnitude(3e10)):.2f}")
    top = pts[:, 2] > -10e3
    ax = axes[1, 0]
    p = np.asarray(full.probability(on_plane["GPS only"], sens_offset(sens)), float)
    sc = ax.scatter(pts[top, 0] / 1e3, pts[top, 1] / 1e3, c=p[top], s=3, cmap="magma")
    ax.scatter(pts[top & y, 0] / 1e3, pts[top & y, 1] / 1e3, s=2, c="cyan")
    fig.colorbar(sc, ax=ax, label="P(aftershock), 0-10 km (cyan: observed)")
    ax.set_title("classifier on the GPS-only slip")
    from matplotlib.collections import PolyCollection

    from quakejax._fault import numpy_geometry

    corners = numpy_geometry(plane)["corners"][:, :, :2] / 1e3
    for ax, (name, s) in zip(axes[1, 1:], sens.items(), strict=True):
        v = np.asarray(s["along_slip_per_m"])
        lim = float(np.abs(v).max()) or 1.0
        pc = PolyCollection(corners, array=v, cmap="RdBu_r", clim=(-lim, lim), edgecolors="k")
        ax.add_collection(pc)
        fig.colorbar(pc, ax=ax, label="d mean P / d slip (1/m)")
        ax.set_title(f"sensitivity: {name[:30]}", fontsize=9)
    for ax in axes.ravel():
        ax.set_aspect("equal")
        ax.set_xlabel("east (km)")
        ax.set_ylabel("north (km)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
