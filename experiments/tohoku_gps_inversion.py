"""Slip of the 2011 Tohoku-oki earthquake from coseismic GPS, against three published models.

Data (`$QUAKEJAX_DATA/gps/tohoku2011`): 1,295 GEONET + IGS horizontal offsets
(`..._share_co_obs`), their verticals (`..._verticals_share_co_ver_obs`) and 6 seafloor GPS/A
horizontals (`..._co_obs_seafloor`).  The files give no uncertainties; we assume 1 cm
(horizontal), 3 cm (vertical) and 20 cm (seafloor).

Fault: a plane through Yamazaki et al. (2011)'s (strike 192, dip 12 deg, top at the trench),
600 km along strike by 200 km down dip, in 40 x 25 patches of 15 x 8 km (1,000 patches);
rake in [45, 135] deg, slip >= 0 along it, Laplacian smoothing picked by spatially blocked
cross-validation (`--smoothing`), zero slip
beyond the bottom and the along-strike ends (the top is the trench: free).  mu = 30 GPa,
nu = 0.25, in the UTM zone 54 frame about 142.369E 38.322N of the published `.flt` files.

Printed and written to `docs/figures/tohoku_gps_inversion.json`:

1. the wall time of the Green's functions (1,295 sites x 1,000 patches, 2 slip components)
   and of the solve, cold (compilation included) and warm;
2. Mw, peak slip and its position for our inversions (land horizontals only, and all data)
   and for wei+11, bletery+14 and yamazaki+11;
3. the correlation of slip magnitude with each published model on our patches (and of the
   published models with each other, for scale);
4. the horizontal RMS residual at the 1,295 land sites of our models and of the published
   ones run forward, against the RMS of the data.

Figure: `docs/figures/tohoku_gps_inversion.png`.

    QUAKEJAX_DATA=../shared/data .venv/bin/python experiments/tohoku_gps_inversion.py

About 1-2 minutes on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
ORIGIN = (142.369, 38.322)
PUBLISHED = ("wei+11", "bletery+14", "yamazaki+11")
SIGMA_H, SIGMA_V, SIGMA_SEA = 0.01, 0.03, 0.20


def load_data(data: pathlib.Path):
    from quakejax.io import GPSData, read_gps

    d = data / "gps/tohoku2011"
    h = read_gps(d / "agu-paper_near_field_co_disp_share_co_obs")
    v = read_gps(d / "agu-paper_near_field_co_disp_verticals_share_co_ver_obs")
    sea = read_gps(d / "agu-paper_near_field_co_disp_share_co_obs_seafloor")

    land_h = h.with_sigma(SIGMA_H)
    land = land_h.merge(v.with_sigma(SIGMA_V))
    allgps = GPSData.concatenate([land, sea.with_sigma(SIGMA_SEA)], source="tohoku land + seafloor")
    return land_h, allgps


def published_models(data: pathlib.Path):
    from quakejax.io import read_flt

    return {
        name: read_flt(
            data / f"slip_models/published_flt/japan__tohoku11__faults__{name}.flt",
            origin=ORIGIN,
            utm_zone=54,
        )
        for name in PUBLISHED
    }


def inversion_plane(reference, n_strike=40, n_dip=25):
    """The plane of `reference` (one strike and dip), 600 x 200 km, top edge at z = 0."""
    import quakejax as qj

    strike, dip = float(reference.strike[0]), float(reference.dip[0])
    corners = np.asarray(reference.corners, float).reshape(-1, 3)
    phi = np.radians(strike)
    along = np.array([np.sin(phi), np.cos(phi), 0.0])
    horiz_down = np.array([np.cos(phi), -np.sin(phi), 0.0])
    # Where the plane meets z = 0: move the shallowest corners up-dip along the plane.
    top = corners[np.argsort(corners[:, 2])[-2:]].mean(0)
    top = top - horiz_down * (top[2] / np.tan(np.radians(dip))) * -1.0
    top[2] = 0.0
    # Centre the plane along strike on the reference model's centre.
    centre = np.asarray(reference.centroid, float).mean(0)
    top = top + along * ((centre - top) @ along)
    return qj.FaultModel.planar(
        top, strike, dip, 600e3, 200e3, n_strike, n_dip, info=reference.info
    )


def peak(fault, frame):
    s = np.hypot(*np.asarray(fault.slip, float)[:, :2].T)
    i = int(np.argmax(s))
    c = np.asarray(fault.centroid, float)[i]
    lon, lat = frame.to_geographic(c[0], c[1])
    return {
        "peak_slip_m": float(s[i]),
        "lon": float(lon),
        "lat": float(lat),
        "depth_km": -c[2] / 1e3,
    }


def horizontal_rms(pred, gps):
    r = (gps.displacement - pred)[:, :2]
    return float(np.sqrt(np.mean(r**2)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=pathlib.Path,
        default=pathlib.Path(os.environ.get("QUAKEJAX_DATA", ROOT / ".." / "shared" / "data")),
    )
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs/figures")
    parser.add_argument("--x64", action="store_true", help="Green's functions in float64")
    parser.add_argument(
        "--smoothing",
        default="cv",
        help="rule or value for lambda (default cv: ABIC and GCV undersmooth these data)",
    )
    args = parser.parse_args(argv)
    if not (args.data / "gps/tohoku2011").is_dir():
        parser.error(f"no Tohoku GPS under {args.data} (set QUAKEJAX_DATA)")

    import jax

    if args.x64:
        jax.config.update("jax_enable_x64", True)
    from quakejax.inversion import invert_slip, resample_slip, slip_correlation
    from quakejax.okada import displacement, displacement_greens

    land_h, allgps = load_data(args.data)
    pub = published_models(args.data)
    frame = pub["yamazaki+11"].info.local_frame()
    plane = inversion_plane(pub["yamazaki+11"])
    pts = land_h.enu(frame)
    print(
        f"data: {len(land_h)} land sites (+ verticals), {len(allgps) - len(land_h)} seafloor; "
        f"fault: {plane.n_patches} patches; JAX {jax.default_backend()}, "
        f"{'float64' if args.x64 else 'float32'} Green's functions"
    )

    # 1. Timing: Green's functions + solve for the 1,295 land sites, cold then warm, with
    # the default rule (smoothing="auto", ABIC), then the solve with the rule used below.
    kw = dict(rake=(45.0, 135.0), edges="zero-bottom-sides", frame=frame)
    timing = {}
    for run in ("cold", "warm"):
        t0 = time.perf_counter()
        g = np.asarray(jax.block_until_ready(displacement_greens(plane, pts)), float)
        t1 = time.perf_counter()
        invert_slip(plane, land_h, greens=g, smoothing="auto", **kw)
        t2 = time.perf_counter()
        timing[run] = {"greens_s": t1 - t0, "solve_s": t2 - t1, "total_s": t2 - t0}
        print(
            f"{run}: Green's functions {t1 - t0:.2f} s, solve (ABIC search + bounded solve) "
            f"{t2 - t1:.2f} s, total {t2 - t0:.2f} s"
        )
        pts = pts + 0.0  # same shapes: the warm run reuses the compiled kernel
    kw["smoothing"] = args.smoothing
    t0 = time.perf_counter()
    inv_h = invert_slip(plane, land_h, greens=g, **kw)
    timing[f"solve_{args.smoothing}_s"] = time.perf_counter() - t0
    print(f"solve with smoothing={args.smoothing!r}: {timing[f'solve_{args.smoothing}_s']:.2f} s")

    inv_all = invert_slip(plane, allgps, **kw)

    # 2-4. Compare.
    rows = {}
    data_rms = float(np.sqrt(np.mean(land_h.displacement[:, :2] ** 2)))
    for name, inv in (("quakejax, land horizontals", inv_h), ("quakejax, all data", inv_all)):
        pred = inv.predicted[: len(land_h)] if inv is inv_all else inv.predicted
        rows[name] = {
            "mw": inv.mw(),
            **peak(inv.fault, frame),
            "smoothing": inv.smoothing,
            "wrms": inv.wrms,
            "horizontal_rms_m": horizontal_rms(pred, land_h),
            "n_patches": plane.n_patches,
        }
    for name, f in pub.items():
        pred = np.asarray(displacement(f, pts), float)
        rows[name] = {
            "mw": float(f.magnitude(3e10)),
            **peak(f, frame),
            "horizontal_rms_m": horizontal_rms(pred, land_h),
            "n_patches": f.n_patches,
        }
    on_plane = {name: resample_slip(f, plane, max_distance=30e3) for name, f in pub.items()}
    on_plane["quakejax, land horizontals"] = inv_h.slip
    on_plane["quakejax, all data"] = inv_all.slip
    names = list(on_plane)
    corr = {a: {b: slip_correlation(on_plane[a], on_plane[b]) for b in names} for a in names}

    print(f"\nhorizontal data RMS at the {len(land_h)} land sites: {data_rms:.3f} m")
    print(
        f"{'model':28s} {'Mw':>5s} {'peak m':>7s} {'lon':>8s} {'lat':>7s} {'depth':>6s} "
        f"{'h-RMS m':>8s}  corr with: " + " ".join(f"{n[:10]:>10s}" for n in PUBLISHED)
    )
    for name, r in rows.items():
        cs = " ".join(f"{corr[name][p]:10.2f}" for p in PUBLISHED)
        print(
            f"{name:28s} {r['mw']:5.2f} {r['peak_slip_m']:7.1f} {r['lon']:8.2f} {r['lat']:7.2f} "
            f"{r['depth_km']:6.1f} {r['horizontal_rms_m']:8.3f}  {cs}"
        )
    print(
        f"smoothing ({args.smoothing}): {inv_h.smoothing:.3g} /m (land horizontals), "
        f"{inv_all.smoothing:.3g} /m (all data)"
    )

    args.out.mkdir(parents=True, exist_ok=True)
    result = {
        "data_horizontal_rms_m": data_rms,
        "timing": timing,
        "models": rows,
        "slip_correlation": corr,
        "settings": {
            "sigma_m": [SIGMA_H, SIGMA_V, SIGMA_SEA],
            "mu_pa": 3e10,
            "nu": 0.25,
            "float64_greens": bool(args.x64),
            **{k: v for k, v in kw.items() if k != "frame"},
        },
    }
    (args.out / "tohoku_gps_inversion.json").write_text(json.dumps(result, indent=1))
    plot(args.out / "tohoku_gps_inversion.png", inv_all, pub)
    print(
        json.dumps(
            {"mw": rows["quakejax, all data"]["mw"], "timing_warm_s": timing["warm"]["total_s"]}
        )
    )


def plot(path, inv, pub):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from quakejax.plot import plot_slip

    fig = plt.figure(figsize=(20, 6))
    inv.plot(fig)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    fig, axes = plt.subplots(1, 3, figsize=(16, 6), sharex=True, sharey=True)
    for ax, (name, f) in zip(axes, pub.items(), strict=True):
        plot_slip(f, ax, view="map")
        ax.set_title(f"{name}, Mw {float(f.magnitude()):.2f}")
    fig.tight_layout()
    fig.savefig(path.with_name(path.stem + "_published.png"), dpi=90)
    plt.close(fig)


if __name__ == "__main__":
    main()
