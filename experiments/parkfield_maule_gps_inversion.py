"""Slip of the 2004 Parkfield (M6.0) and 2010 Maule (M8.8) earthquakes from coseismic GPS.

Data (`$QUAKEJAX_DATA`, never copied into the repository), read with `quakejax.io.read_gps`:

- Parkfield, `gps/parkfield2004/Houlie_et_al_2014.txt`: Houlie et al. (2014) offsets at 14
  sites (east, north, up in cm; longitudes in 0-360).  The file gives no uncertainties: we
  assume 3 mm (horizontal) and 10 mm (vertical).  `parkfield__gps__scign.dat` gives 11 of
  these sites in the local north/east frame of the published Parkfield `.flt` models, whose
  origin is written down nowhere: we fit it by least squares (the Houlie longitudes and
  latitudes, given to 0.001 deg, against the SCIGN local coordinates), for an
  azimuthal-equidistant (true-north) frame and for a shifted UTM zone 10 frame, and use the
  better fit (aeqd: about 70 m RMS, the rounding of the positions; UTM: about 300 m).
- Maule, `gps/maule2010/maule2010_gps.lldet`: 13 unnamed sites, `lon lat dE dN dU sE sN sU`
  in mm (Xu's Geodetic_Inversion_Package example); its sigmas are used as given.  The fault
  is that package's `maule_config.inv` (parsed here): origin (-72.733, -35.909); the centre
  of the top edge at x = -92.0 km (east), y = 13.3 km (north) in UTM zone 18 south shifted
  to the origin (the package's `utm2ll`), 4 km deep; 673.6 km along strike 17 deg, 250 km
  down dip 15 deg; zero slip at the bottom and the sides.

Faults and constraints (mu = 30 GPa, nu = 0.25, Okada half-space, Laplacian smoothing):

- Parkfield: a vertical plane over the extent of the published Barbot et al. (2012) model
  (40 km along strike 141 deg, surface to 15 km), 20 x 8 patches of 2 x 1.9 km; rake in
  [135, 225] deg (right-lateral 180 +- 45); `edges="zero-bottom-sides"` (free surface on top).
- Maule: the plane above in 24 x 10 patches of 28 x 25 km; rake in [45, 135] deg (reverse
  90 +- 45); `edges="zero-bottom-sides"`.

Smoothing: every event is inverted with lambda from ABIC, GCV, blocked cross-validation
(`--cv-folds` k-means blocks of sites, default 4) and leave-one-site-out CV, all printed; the
blocked-CV lambda is also printed for 3-6 blocks.  The model used for the comparisons and
figures is `--smoothing-parkfield` / `--smoothing-maule` (default ABIC for both), because
with 13-14 sites and 320-480 unknowns: GCV undersmooths Maule (lambda 0.015, peak slip
26 m, 33 km deep); blocked CV at Parkfield jumps between lambda ~ 2 (4 blocks) and ~ 150-420
(3, 5, 6 blocks, Mw 5.85-5.94, peak slip 0.1 m); ABIC needs no random blocks, does not
depend on the overall scale of the assumed sigmas, and gives models like the published ones
in Mw.  At Maule blocked CV is stable over 3-6 blocks and smoother than ABIC (lambda 13.5
against 1.5, Mw 8.71 against 8.69); both are shown in the figure.

Published models: Parkfield `published_flt` dreger+05, ji04 and barbot+12a (placed with the
fitted frame), and SRCMOD `s2004PARKFIdreg`, `s2004PARKFIjich` (the same two, placed by their
own latitude/longitude: a check of the fitted frame) and `s2004PARKFIcust` (Custodio et al.
2005).  Maule `published_flt` hayes15, lorito+11, luttrel+11 and moreno+09 are in frames of
undocumented origin: only their Mw and peak slip (and its depth) are given.

Printed per event, and written to `docs/figures/parkfield_maule_gps_inversion.json`: sites,
data and patches; for each smoothing rule lambda (1/m), Mw, peak slip and its position, the
weighted RMS residual (1 = fit to the sigmas), horizontal and vertical RMS residuals against
the RMS of the data; for the published models run forward at the same sites (Parkfield) the
same numbers, and the correlation of slip magnitude on our patches (`resample_slip` within
4 km of our plane + `slip_correlation`) with each published model, of our models and of the
published models with each other.

Figures: `docs/figures/parkfield_gps_inversion.png` (offsets, our slip and three published
models in section, the smoothing criteria) and `docs/figures/maule_gps_inversion.png` (our
ABIC and blocked-CV slip maps, the criteria).

    QUAKEJAX_DATA=../shared/data .venv/bin/python experiments/parkfield_maule_gps_inversion.py

About 45 s on a 2-core CPU (mostly the two JAX compilations of the Green's functions).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import time

# The matrices here are small (at most 480 x 480): a threaded OpenBLAS is slower than one
# thread, by 100x on a busy 2-core machine (threads spinning).  Set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
MU, NU = 3.0e10, 0.25

PK_GPS = "gps/parkfield2004/Houlie_et_al_2014.txt"
PK_SCIGN = "gps/parkfield2004/parkfield__gps__scign.dat"
PK_SIGMA_H, PK_SIGMA_V = 0.003, 0.010  # assumed: the file has no uncertainties
PK_FLT = ("dreger+05", "ji04", "barbot+12a")
PK_FSP = ("s2004PARKFIdreg", "s2004PARKFIjich", "s2004PARKFIcust")
PK_RAKE = (135.0, 225.0)
PK_GRID = (20, 8)

MA_GPS = "gps/maule2010/maule2010_gps.lldet"
MA_CONFIG = "gps/maule2010/maule_config.inv"
MA_FLT = ("hayes15", "lorito+11", "luttrel+11", "moreno+09")
MA_RAKE = (45.0, 135.0)
MA_GRID = (24, 10)


# ---------------------------------------------------------------------------------------
# Data and geometry
# ---------------------------------------------------------------------------------------


def fit_scign_frame(gps, scign_path):
    """The frame of the Parkfield `.flt` models, fitted to the SCIGN site coordinates.

    `scign_path` lists sites in the models' local north/east frame (m) with no origin.  We
    read it through a provisional frame (the round trip back to local metres is exact),
    take the same sites' longitude/latitude from `gps`, and fit the origin of an aeqd
    (true north) frame and of a shifted UTM zone 10 frame by least squares.

    **Returns:** (best frame, dict of the fits: origin, RMS and largest residual in m).
    """
    from scipy.optimize import least_squares

    from quakejax.io import LocalFrame, read_gps

    guess = LocalFrame(-120.37, 35.82)
    sites = read_gps(scign_path, frame=guess)
    local = sites.enu(guess)[:, :2]
    missing = [s for s in sites.names if s not in gps.names]
    if missing:
        raise ValueError(f"{scign_path}: sites {missing} are not in {gps.source}.")
    g = gps.select(np.asarray(sites.names))
    fits = {}
    for kind in ("aeqd", "utm"):

        def make(p, kind=kind):
            return LocalFrame(p[0], p[1], kind=kind, zone=10 if kind == "utm" else None)

        def resid(p, make=make):
            return (make(p).enu(g.longitude, g.latitude)[:, :2] - local).ravel()

        sol = least_squares(resid, [guess.lon0, guess.lat0])
        r = sol.fun.reshape(-1, 2)
        fits[kind] = {
            "frame": make(sol.x),
            "origin": [float(sol.x[0]), float(sol.x[1])],
            "rms_m": float(np.sqrt(np.mean(np.sum(r**2, 1)))),
            "max_m": float(np.max(np.hypot(r[:, 0], r[:, 1]))),
            "n_sites": len(g),
        }
    best = min(fits, key=lambda k: fits[k]["rms_m"])
    return fits[best]["frame"], {
        k: {kk: vv for kk, vv in v.items() if kk != "frame"} | {"kind": k} for k, v in fits.items()
    } | {"used": best}


def read_inv_config(path):
    """`{section: {key: value}}` of the `{section}` / `key = value` lines of an `.inv` file
    (Xu's Geodetic_Inversion_Package)."""
    out, section = {}, None
    for lineno, raw in enumerate(pathlib.Path(path).read_text().splitlines(), start=1):
        line = raw.strip()
        if m := re.fullmatch(r"\{(\w+)\}", line):
            section = m.group(1)
            out.setdefault(section, {})
        elif "=" in line and section is not None:
            key, value = (t.strip() for t in line.split("=", 1))
            out[section][key] = (value, lineno)
    return out


def config_number(config, path, section, key):
    try:
        value, lineno = config[section][key]
    except KeyError:
        raise ValueError(f"{path}: no '{key} = ...' in its {{{section}}} block.") from None
    try:
        return float(value)
    except ValueError:
        raise ValueError(
            f"{path}, line {lineno}: {key} = {value!r} is not a number ({{{section}}})."
        ) from None


def maule_plane(path, n_strike, n_dip):
    """The Maule fault of `maule_config.inv`: (plane, frame, geometry dict)."""
    import quakejax as qj
    from quakejax.io import LocalFrame

    cfg = read_inv_config(path)
    num = lambda s, k: config_number(cfg, path, s, k)  # noqa: E731
    lon0, lat0 = num("origin", "xo"), num("origin", "yo")
    geom = {k: num("trace1", k) for k in ("x", "y", "z", "len", "wid", "dip", "strike")}
    # The package's utm2ll takes each point's own zone; the trace was made in the origin's.
    zone = int((lon0 + 180.0) // 6.0) + 1
    frame = LocalFrame(lon0, lat0, kind="utm", zone=zone, south=lat0 < 0)
    # (x, y): centre of the top edge (trace2patch/generate_grid), z: up (top 4 km deep).
    top = (geom["x"], geom["y"], geom["z"])
    info = qj.EventInfo(name="Maule 2010", tag="quakejax", origin=(lon0, lat0), frame=frame)
    plane = qj.FaultModel.planar(
        top, geom["strike"], geom["dip"], geom["len"], geom["wid"], n_strike, n_dip, info=info
    )
    return plane, frame, {"origin": [lon0, lat0], "utm_zone": zone, **geom}


def vertical_plane(reference, n_strike, n_dip, info):
    """A vertical plane over the extent of `reference` (a vertical model), top at z = 0."""
    import quakejax as qj

    # Vertical: strike and strike + 180 are one plane; 0-180 gives the usual SE-ward
    # San Andreas strike (141), with rake 180 right-lateral either way.
    strike = float(np.asarray(reference.strike, float)[0]) % 180.0
    phi = np.radians(strike)
    along = np.array([np.sin(phi), np.cos(phi), 0.0])
    corners = np.asarray(reference.corners, float).reshape(-1, 3)
    s = corners @ along
    length, width = float(s.max() - s.min()), float(-corners[:, 2].min())
    c0 = corners[0] - along * s[0]  # where the plane's line passes at along = 0
    top = c0 + along * 0.5 * (s.max() + s.min())
    top[2] = 0.0
    plane = qj.FaultModel.planar(top, strike, 90.0, length, width, n_strike, n_dip, info=info)
    return plane, {"strike": strike, "dip": 90.0, "length_m": length, "width_m": width}


def reframe(fault, frame):
    """`fault` (with its own geographic frame) in `frame`: centroids moved through
    longitude/latitude; strikes kept (the two frames' north differ by < 0.01 deg here)."""
    import quakejax as qj

    src = fault.info.local_frame()
    c = np.asarray(fault.centroid, float)
    lon, lat = src.to_geographic(c[:, 0], c[:, 1])
    xy = frame.enu(lon, lat)
    return qj.FaultModel(
        np.c_[xy[:, :2], c[:, 2]],
        fault.strike,
        fault.dip,
        fault.length,
        fault.width,
        fault.slip,
        segment=fault.segment,
        info=fault.info.replace(origin=(frame.lon0, frame.lat0), frame=frame),
    )


# ---------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------


def peak(fault, frame):
    s = np.hypot(*np.asarray(fault.slip, float)[:, :2].T)
    i = int(np.argmax(s))
    c = np.asarray(fault.centroid, float)[i]
    out = {"peak_slip_m": float(s[i]), "depth_km": float(-c[2] / 1e3)}
    if frame is not None:
        lon, lat = frame.to_geographic(c[0], c[1])
        out |= {"lon": float(lon), "lat": float(lat)}
    return out


def fit_numbers(gps, sigma, pred):
    """wrms (with `sigma`), chi^2, horizontal and vertical RMS residuals (m) of a
    prediction."""
    obs = gps.observed
    r = np.where(obs, gps.displacement - pred, np.nan)
    w = (r / sigma)[obs]
    h, v = r[:, :2][obs[:, :2]], r[:, 2][obs[:, 2]]
    return {
        "wrms": float(np.sqrt(np.mean(w**2))),
        "chi2": float(w @ w),
        "horizontal_rms_m": float(np.sqrt(np.mean(h**2))),
        "vertical_rms_m": float(np.sqrt(np.mean(v**2))) if v.size else float("nan"),
    }


def run_rules(plane, gps, frame, greens, rules, kw):
    """One inversion per smoothing rule: `rules` maps a label to (smoothing, cv_folds)."""
    import warnings

    from quakejax.inversion import invert_slip

    out = {}
    for label, (smoothing, folds) in rules.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            inv = invert_slip(
                plane,
                gps,
                smoothing=smoothing,
                frame=frame,
                greens=greens,
                mu=MU,
                nu=NU,
                cv_folds=folds,
                **kw,
            )
            dt = time.perf_counter() - t0
        notes = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
        out[label] = (inv, dt, notes)
    return out


def smoothing_rules(chosen, cv_folds, n_sites):
    """Labels -> (smoothing, cv_folds): ABIC, GCV, blocked CV, leave-one-site-out CV, and
    the chosen value when it is a number."""
    rules = {
        "abic": ("abic", cv_folds),
        "gcv": ("gcv", cv_folds),
        "cv": ("cv", cv_folds),
        "cv-loo": ("cv", n_sites),
    }
    if chosen not in rules:
        rules[str(chosen)] = (float(chosen), cv_folds)
    return rules


def fold_sensitivity(plane, gps, frame, greens, kw, folds=(3, 4, 5, 6)):
    """lambda, Mw and peak slip of blocked CV for several numbers of station blocks."""
    from quakejax.inversion import invert_slip

    out = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in folds:
            inv = invert_slip(
                plane, gps, smoothing="cv", frame=frame, greens=greens, cv_folds=k, **kw
            )
            out[k] = {
                "smoothing_per_m": inv.smoothing,
                "mw": inv.mw(MU),
                "peak_slip_m": float(np.hypot(*inv.slip.T).max()),
            }
    return out


def inversion_row(inv, frame, dt, notes):
    return {
        "smoothing_per_m": inv.smoothing,
        "mw": inv.mw(MU),
        **peak(inv.fault, frame),
        "wrms": inv.wrms,
        "chi2": inv.chi2,
        "n_data": inv.n_data,
        "horizontal_rms_m": inv.rms("horizontal"),
        "vertical_rms_m": inv.rms("vertical"),
        "data_horizontal_rms_m": inv.data_rms("horizontal"),
        "solve_s": dt,
        "converged": inv.info["converged"],
        "warnings": notes,
    }


def published_row(f, gps, sigma, frame, pred):
    row = {"mw": float(f.magnitude(MU)), "n_patches": f.n_patches, **peak(f, frame)}
    if pred is not None:
        row |= fit_numbers(gps, sigma, pred)
    return row


def greens_and_forward(plane, models, points):
    """Green's functions of `plane` and forward predictions of `models` at `points` from one
    `displacement_greens` call on all their patches together (one JAX compilation instead
    of one per patch count)."""
    import quakejax as qj
    from quakejax.okada import displacement_greens

    faults = [plane, *models.values()]
    big = qj.FaultModel.concatenate(faults, info=plane.info)
    g = np.asarray(displacement_greens(big, points, nu=NU), float)
    edges = np.cumsum([0] + [f.n_patches for f in faults])
    blocks = [g[:, 2 * a : 2 * b] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    pred = {
        name: (blk @ np.asarray(f.slip, float)[:, :2].reshape(-1)).reshape(-1, 3)
        for (name, f), blk in zip(models.items(), blocks[1:], strict=True)
    }
    return blocks[0], pred


def print_table(title, rows, corr_with=None):
    print(f"\n{title}")
    head = (
        f"  {'model':26s} {'lambda/m':>9s} {'Mw':>5s} {'peak m':>7s} {'lon':>8s} {'lat':>7s} "
        f"{'dep km':>6s} {'wrms':>6s} {'h-RMS mm':>8s} {'v-RMS mm':>8s}"
    )
    if corr_with:
        head += "  corr: " + " ".join(f"{n[:12]:>12s}" for n in corr_with)
    print(head)
    for name, r in rows.items():
        lam = r.get("smoothing_per_m")
        line = (
            f"  {name:26s} {'' if lam is None else f'{lam:9.3g}':>9s} {r['mw']:5.2f} "
            f"{r['peak_slip_m']:7.2f} "
            + (f"{r['lon']:8.3f} {r['lat']:7.3f} " if "lon" in r else f"{'-':>8s} {'-':>7s} ")
            + f"{r['depth_km']:6.1f} "
            + (
                f"{r['wrms']:6.2f} {1e3 * r['horizontal_rms_m']:8.1f} "
                f"{1e3 * r['vertical_rms_m']:8.1f}"
                if "wrms" in r
                else f"{'-':>6s} {'-':>8s} {'-':>8s}"
            )
        )
        if corr_with:
            line += "        " + " ".join(
                f"{r['corr'][n]:12.2f}" if n in r.get("corr", {}) else f"{'-':>12s}"
                for n in corr_with
            )
        print(line)


def print_folds(ev):
    print(
        "  blocked CV against the number of station blocks: "
        + "; ".join(
            f"{k}: lambda {r['smoothing_per_m']:.3g}, Mw {r['mw']:.2f}, "
            f"peak {r['peak_slip_m']:.2f} m"
            for k, r in ev["cv_fold_sensitivity"].items()
        )
    )


def parse_smoothing(v):
    try:
        return float(v)
    except ValueError:
        if v not in ("abic", "gcv", "cv", "cv-loo"):
            raise argparse.ArgumentTypeError(
                "smoothing: a number (1/m) or one of abic, gcv, cv, cv-loo"
            ) from None
        return v


# ---------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------


def parkfield(data, smoothing, cv_folds):
    import quakejax as qj
    from quakejax.inversion import resample_slip, slip_correlation
    from quakejax.io import read_flt, read_fsp, read_gps

    t_start = time.perf_counter()
    gps = read_gps(data / PK_GPS).with_sigma([PK_SIGMA_H, PK_SIGMA_H, PK_SIGMA_V])
    frame, frame_fit = fit_scign_frame(gps, data / PK_SCIGN)
    flt = {
        n: read_flt(data / f"slip_models/published_flt/parkfield__faults__{n}.flt", frame=frame)
        for n in PK_FLT
    }
    fsp = {
        f"{n} (fsp)": reframe(read_fsp(data / f"slip_models/srcmod/{n}.fsp"), frame) for n in PK_FSP
    }
    pub = {**flt, **fsp}
    info = qj.EventInfo(
        name="Parkfield 2004", tag="quakejax", origin=(frame.lon0, frame.lat0), frame=frame
    )
    plane, geom = vertical_plane(flt["barbot+12a"], *PK_GRID, info)
    t0 = time.perf_counter()
    greens, pred = greens_and_forward(plane, pub, gps.enu(frame))
    t_greens = time.perf_counter() - t0
    kw = dict(rake=PK_RAKE, edges="zero-bottom-sides", positivity=True)
    invs = run_rules(plane, gps, frame, greens, smoothing_rules(smoothing, cv_folds, len(gps)), kw)
    chosen = invs[str(smoothing)][0]
    folds = fold_sensitivity(plane, gps, frame, greens, kw)

    rows = {}
    for rule, (inv, dt, notes) in invs.items():
        rows[f"quakejax {rule}" + (" (chosen)" if rule == str(smoothing) else "")] = inversion_row(
            inv, frame, dt, notes
        )
    # Published planes dip 80-90 deg and lie within 3.5 km of our vertical one.
    on_plane, reach = {"quakejax": chosen.slip}, {}
    for name, f in pub.items():
        rows[name] = published_row(f, gps, chosen.sigma, frame, pred[name])
        on_plane[name] = resample_slip(f, plane, max_distance=4e3)
        cover = resample_slip(f.with_slip(np.ones((f.n_patches, 2))), plane, max_distance=4e3)
        reach[name] = float(np.mean(np.any(cover != 0, axis=1)))
        rows[name]["patches_reached"] = reach[name]
    names = list(on_plane)
    corr = {a: {b: slip_correlation(on_plane[a], on_plane[b]) for b in names} for a in names}
    for name, r in rows.items():
        if name.startswith("quakejax"):
            inv = invs[name.split()[1]][0]
            r["corr"] = {p: slip_correlation(inv.slip, on_plane[p]) for p in pub}
        else:
            r["corr"] = {p: corr[name][p] for p in pub}
    return {
        "n_sites": len(gps),
        "n_data": chosen.n_data,
        "n_patches": plane.n_patches,
        "data_horizontal_rms_m": chosen.data_rms("horizontal"),
        "data_vertical_rms_m": chosen.data_rms("vertical"),
        "sigma_assumed_m": {"horizontal": PK_SIGMA_H, "vertical": PK_SIGMA_V},
        "frame_fit": frame_fit,
        "geometry": geom | {"n_strike": PK_GRID[0], "n_dip": PK_GRID[1]},
        "settings": {**kw, "cv_folds": cv_folds, "mu_pa": MU, "nu": NU},
        "chosen_rule": str(smoothing),
        "cv_fold_sensitivity": folds,
        "models": rows,
        "slip_correlation": corr,
        "greens_s": t_greens,
        "total_s": time.perf_counter() - t_start,
    }, (chosen, invs, pub)


def maule(data, smoothing, cv_folds):
    from quakejax.io import GPSData, read_flt, read_gps

    t_start = time.perf_counter()
    g = read_gps(data / MA_GPS)
    gps = GPSData(  # the file has no site names
        g.longitude,
        g.latitude,
        g.displacement,
        g.sigma,
        g.observed,
        names=[f"S{i + 1:02d}" for i in range(len(g))],
        source=g.source,
    )
    plane, frame, geom = maule_plane(data / MA_CONFIG, *MA_GRID)
    t0 = time.perf_counter()
    greens, _ = greens_and_forward(plane, {}, gps.enu(frame))
    t_greens = time.perf_counter() - t0
    kw = dict(rake=MA_RAKE, edges="zero-bottom-sides", positivity=True)
    invs = run_rules(plane, gps, frame, greens, smoothing_rules(smoothing, cv_folds, len(gps)), kw)
    chosen = invs[str(smoothing)][0]
    folds = fold_sensitivity(plane, gps, frame, greens, kw)
    rows = {}
    for rule, (inv, dt, notes) in invs.items():
        rows[f"quakejax {rule}" + (" (chosen)" if rule == str(smoothing) else "")] = inversion_row(
            inv, frame, dt, notes
        )
    pub = {
        n: read_flt(data / f"slip_models/published_flt/chile__maule10__faults__{n}.flt")
        for n in MA_FLT
    }
    for name, f in pub.items():
        rows[name] = published_row(f, gps, chosen.sigma, None, None)  # origin unknown
    return {
        "n_sites": len(gps),
        "n_data": chosen.n_data,
        "n_patches": plane.n_patches,
        "data_horizontal_rms_m": chosen.data_rms("horizontal"),
        "data_vertical_rms_m": chosen.data_rms("vertical"),
        "sigma": "from the file (mm), per component",
        "geometry": geom | {"n_strike": MA_GRID[0], "n_dip": MA_GRID[1]},
        "settings": {**kw, "cv_folds": cv_folds, "mu_pa": MU, "nu": NU},
        "chosen_rule": str(smoothing),
        "cv_fold_sensitivity": folds,
        "models": rows,
        "published_frame": "origin undocumented: Mw and peak slip only",
        "greens_s": t_greens,
        "total_s": time.perf_counter() - t_start,
    }, (chosen, invs, pub)


# ---------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------


def _arrows(ax, inv):
    xy = inv.points[:, :2] / 1e3
    obs, pred = inv.gps.displacement[:, :2], inv.predicted[:, :2]
    big = float(np.nanmax(np.hypot(*obs.T)))
    span = float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1])))
    kw = dict(angles="xy", scale_units="xy", scale=big / (0.2 * span))
    ax.quiver(*xy.T, *obs.T, color="k", width=0.006, label="observed", **kw)
    ax.quiver(*xy.T, *pred.T, color="r", width=0.003, label="predicted", **kw)
    ax.legend(loc="lower left", fontsize=8)


def _criteria(ax, invs, chosen_rule):
    """ABIC, log GCV and log CV against lambda, each scaled to 0-1, with each rule's pick."""
    lc = invs["cv"][0].lcurve
    curves = {
        "ABIC": (lc.abic, "abic", "C0"),
        "log GCV": (np.log10(lc.gcv), "gcv", "C1"),
        "log blocked CV": (np.log10(lc.cv), "cv", "C2"),
        "log leave-one-out CV": (np.log10(invs["cv-loo"][0].lcurve.cv), "cv-loo", "C3"),
    }
    for label, (v, rule, colour) in curves.items():
        v = np.where(np.isfinite(v), v, np.nan)
        v = (v - np.nanmin(v)) / max(np.nanmax(v) - np.nanmin(v), 1e-300)
        ax.semilogx(lc.smoothing, v, color=colour, label=label)
        ax.axvline(invs[rule][0].smoothing, color=colour, ls="--", lw=1)
    ax.axvline(invs[chosen_rule][0].smoothing, color="k", ls=":", lw=2, label="chosen")
    ax.set_xlabel("smoothing lambda (1/m)")
    ax.set_ylabel("criterion, scaled to 0-1")
    ax.set_title(f"smoothing criteria (dashed: their minima; chosen: {chosen_rule})")
    ax.legend(fontsize=8)


def plot_parkfield(path, chosen, invs, pub, rule):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from quakejax.plot import plot_slip

    fig, axes = plt.subplots(2, 3, figsize=(18, 9))
    ax = axes[0, 0]
    c = np.asarray(chosen.fault.corners, float) / 1e3
    top = c[:, :2, :2].reshape(-1, 2)
    ax.plot(top[:, 0], top[:, 1], "-", color="0.5", lw=2, label="fault trace")
    _arrows(ax, chosen)
    for (x, y), n in zip(chosen.points[:, :2] / 1e3, chosen.gps.names, strict=True):
        ax.annotate(n, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_aspect("equal")
    ax.set_xlabel("east (km)")
    ax.set_ylabel("north (km)")
    ax.set_title(
        f"Parkfield: Houlie et al. 2014 offsets; h-RMS {1e3 * chosen.rms():.1f} of "
        f"{1e3 * chosen.data_rms():.1f} mm"
    )
    plot_slip(chosen.fault, axes[0, 1], view="section")
    axes[0, 1].set_title(f"quakejax ({rule}), Mw {chosen.mw(MU):.2f}, wrms {chosen.wrms:.2f}")
    _criteria(axes[0, 2], invs, rule)
    for ax, name in zip(axes[1], ("dreger+05", "ji04", "barbot+12a"), strict=True):
        plot_slip(pub[name], ax, view="section")
        ax.set_title(f"{name}, Mw {float(pub[name].magnitude(MU)):.2f}")
    xl, yl = axes[0, 1].get_xlim(), axes[0, 1].get_ylim()
    for ax in axes[1]:
        ax.set_xlim(xl)
        ax.set_ylim(yl)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_maule(path, chosen, invs, rule, other="cv"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from quakejax.plot import plot_slip

    fig, axes = plt.subplots(1, 3, figsize=(20, 7))
    for ax, (label, inv) in zip(
        axes[:2], ((f"{rule} (chosen)", chosen), (other, invs[other][0])), strict=True
    ):
        plot_slip(inv.fault, ax, view="map")
        _arrows(ax, inv)
        ax.set_title(
            f"Maule, quakejax {label}: Mw {inv.mw(MU):.2f}, wrms {inv.wrms:.1f}, "
            f"h-RMS {100 * inv.rms():.1f} of {100 * inv.data_rms():.0f} cm",
            fontsize=10,
        )
    _criteria(axes[2], invs, rule)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=pathlib.Path,
        default=pathlib.Path(os.environ.get("QUAKEJAX_DATA", ROOT / ".." / "shared" / "data")),
    )
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs/figures")
    parser.add_argument(
        "--smoothing-parkfield",
        type=parse_smoothing,
        default="abic",
        help="abic, gcv, cv, cv-loo or lambda in 1/m (default abic)",
    )
    parser.add_argument(
        "--smoothing-maule",
        type=parse_smoothing,
        default="abic",
        help="abic, gcv, cv, cv-loo or lambda in 1/m (default abic)",
    )
    parser.add_argument("--cv-folds", type=int, default=4, help="blocks for 'cv' (default 4)")
    args = parser.parse_args(argv)
    for d in (PK_GPS, PK_SCIGN, MA_GPS, MA_CONFIG):
        if not (args.data / d).is_file():
            parser.error(f"no {d} under {args.data} (set QUAKEJAX_DATA)")

    import jax

    t0 = time.perf_counter()
    pk, (pk_inv, pk_invs, pk_pub) = parkfield(args.data, args.smoothing_parkfield, args.cv_folds)
    ma, (ma_inv, ma_invs, _) = maule(args.data, args.smoothing_maule, args.cv_folds)
    print(f"JAX {jax.default_backend()}; mu = {MU:.0e} Pa, nu = {NU}")

    fit = pk["frame_fit"]
    a = fit[fit["used"]]
    geo = pk["geometry"]
    print(
        f"\n== Parkfield 2004: {pk['n_sites']} sites ({pk['n_data']} data: E, N, U), "
        f"{pk['n_patches']} patches ({PK_GRID[0]} x {PK_GRID[1]}; vertical, strike "
        f"{geo['strike']:.0f}, {geo['length_m'] / 1e3:.0f} x {geo['width_m'] / 1e3:.0f} km); "
        f"sigma assumed {1e3 * PK_SIGMA_H:.0f} mm horizontal, {1e3 * PK_SIGMA_V:.0f} mm vertical; "
        f"rake {PK_RAKE}; Green's functions {pk['greens_s']:.1f} s"
    )
    print(
        f"published .flt frame fitted to {a['n_sites']} SCIGN sites: {fit['used']} about "
        f"({a['origin'][0]:.4f}, {a['origin'][1]:.4f}), residual RMS {a['rms_m']:.0f} m "
        f"(max {a['max_m']:.0f} m); shifted UTM zone 10: RMS {fit['utm']['rms_m']:.0f} m "
        f"(max {fit['utm']['max_m']:.0f} m)"
    )
    print(
        f"data RMS: horizontal {1e3 * pk['data_horizontal_rms_m']:.1f} mm, vertical "
        f"{1e3 * pk['data_vertical_rms_m']:.1f} mm"
    )
    print_table(
        "models (published ones run forward at the same 14 sites; wrms with our sigmas):",
        pk["models"],
        list(pk_pub),
    )
    print(
        "  corr: correlation of slip magnitude on our 160 patches, published models "
        "resampled within 4 km of our plane; share of our patches they reach: "
        + ", ".join(
            f"{n} {r['patches_reached']:.2f}" for n, r in pk["models"].items() if n in pk_pub
        )
    )

    print_folds(pk)

    geo = ma["geometry"]
    print(
        f"\n== Maule 2010: {ma['n_sites']} sites ({ma['n_data']} data), {ma['n_patches']} "
        f"patches ({MA_GRID[0]} x {MA_GRID[1]}; strike {geo['strike']:.0f}, dip "
        f"{geo['dip']:.0f}, {geo['len'] / 1e3:.0f} x {geo['wid'] / 1e3:.0f} km, top "
        f"{-geo['z'] / 1e3:.0f} km deep); sigmas from the file; rake {MA_RAKE}; "
        f"Green's functions {ma['greens_s']:.1f} s"
    )
    print(
        f"data RMS: horizontal {1e3 * ma['data_horizontal_rms_m']:.1f} mm, vertical "
        f"{1e3 * ma['data_vertical_rms_m']:.1f} mm"
    )
    print_table(
        "models (published: frame unknown, so only Mw, peak slip and its depth):", ma["models"]
    )
    print_folds(ma)
    print()
    for title, ev in (("Parkfield", pk), ("Maule", ma)):
        seen = {}
        for name, r in ev["models"].items():
            for w in r.get("warnings", []):
                seen.setdefault(w, []).append(name.split()[1])
        for w, rules in seen.items():
            print(f"warning during the {title} inversions ({', '.join(rules)}): {w}")

    args.out.mkdir(parents=True, exist_ok=True)
    result = {"parkfield2004": pk, "maule2010": ma, "total_s": time.perf_counter() - t0}
    (args.out / "parkfield_maule_gps_inversion.json").write_text(json.dumps(result, indent=1))
    plot_parkfield(
        args.out / "parkfield_gps_inversion.png",
        pk_inv,
        pk_invs,
        pk_pub,
        str(args.smoothing_parkfield),
    )
    plot_maule(args.out / "maule_gps_inversion.png", ma_inv, ma_invs, str(args.smoothing_maule))
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
