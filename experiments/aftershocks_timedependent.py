"""Do postseismic viscoelastic stress features improve held-out-event aftershock AUC?

    python experiments/aftershocks_timedependent.py [--data DIR] [--only TEXT ...]
        [--max-events N] [--h0 10e3 --alpha 1] [--out experiments/results/...json]

For each crustal earthquake (one slip model per earthquake, the list `EVENTS` by default),
on the DeVries et al. (2018) grid (5 km cells, 100 km, 0-50 km deep) labelled with the
best-covering catalog (as `experiments/build_dataset.py` does):

- the coseismic stress change sigma_0 (Okada, float64, lambda = mu = 30 GPa);
- 3D Burgers relaxation below an elastic layer of thickness `--H` (`Postseismic3D`, octree
  cuboids of side `--h0` near the rupture, refinement factor `--alpha`), Maxwell viscosity
  `--eta-m`, Kelvin viscosity `--eta-k`, mu_K = mu: the stress change added by relaxation at
  the end of the label window (1 yr) and its mean over the window;
- the scalar stress metrics of `quakejax.aftershocks.cell_features` (von Mises, maximum shear,
  Coulomb on the mainshock-mean receiver, ...) of sigma_0 (t = 0) and of sigma_0 plus the
  window-mean relaxation stress ("time-averaged").

Scores, all on held-out events: (1) each metric as a score, with no fitting, pooled over all
cells and per event, and minus the distance to the rupture as a control; (2) logistic
regression, leaving one earthquake sequence out (`SEQUENCES`), on log10 von Mises at t = 0,
on the time-averaged one, on both plus log10 of the relaxation stress's von Mises alone, and,
as controls, log10 von Mises at t = 0 plus log10 distance to the rupture (and depth), with
and without the relaxation stress.

Events whose slip reaches the viscous region (deeper than H) or with fewer than 10 positive
cells are skipped, with the reason printed.  Each event's cell table is cached under
`--cache` (resume after an interruption).  1-3 min per event on a 2-core CPU with the defaults
(65-191 s measured).  The last line printed is a JSON summary; the full result goes to `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

import _scripts  # experiments/_scripts.py, beside this script
import jax
import numpy as np
import pandas as pd

jax.config.update("jax_enable_x64", True)

REPO = pathlib.Path(__file__).resolve().parents[1]
DAY = 86400.0  # s
YEAR = 365.0 * DAY  # s, the label window
MU = 3.0e10  # Pa, shear modulus; lambda = mu throughout (DeVries et al. 2018)

# One model per earthquake: crustal events (slip above 30 km) in regions with a catalog.
EVENTS = [
    "s1992LANDERwald",
    "s1999HECTORjons",
    "s1994NORTHRwald",
    "s1984MORGANbero",
    "s1979IMPERIarch",
    "s1987SUPERS",
    "s1987ELMORE",
    "s1987WHITTI",
    "s1986NPALMS",
    "s2004PARKFIcust",
    "s1992JOSHUA",
    "s1979COYOTE",
    "s1992LITTLE",
    "s1991SIERRA",
    "s2000TOTTORseki",
    "s1998IWATEJmiya",
    "s1983BORAHP",
    "20100904-darfield",
    "20110222-christchurch",
]
# Events whose one-year label windows overlap (foreshock-mainshock pairs, doublets, and the
# Canterbury sequence): a held-out event's sequence partners leave the training set too.
SEQUENCES = {
    "1987SUPERS": "1987 Elmore Ranch - Superstition Hills",
    "1987ELMORE": "1987 Elmore Ranch - Superstition Hills",
    "1992JOSHUA": "1992 Joshua Tree - Landers",
    "1992LANDER": "1992 Joshua Tree - Landers",
    "darfield": "2010-2011 Canterbury",
    "christchurch": "2010-2011 Canterbury",
}
METRICS = {
    "von_mises": "von_mises",
    "max_shear": "stresses_full_max_shear",
    "sum_abs": "sum_abs",
    "cfs_mean_receiver": "stresses_full_cfs",
}
COMPONENTS = ("xx", "yy", "zz", "xy", "xz", "yz")
IJ = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))


def to6(sigma):
    """(..., 3, 3) -> (..., 6) in the order of COMPONENTS."""
    return np.stack([sigma[..., i, j] for i, j in IJ], axis=-1)


def from6(six):
    """(..., 6) in the order of COMPONENTS -> symmetric (..., 3, 3)."""
    six = np.asarray(six)
    out = np.empty(six.shape[:-1] + (3, 3))
    for k, (i, j) in enumerate(IJ):
        out[..., i, j] = out[..., j, i] = six[..., k]
    return out


def relax_one_year(fault, args, h0, alpha):
    """Octree mesh (cubes of side h0 m near the rupture) and its Burgers relaxation after
    `fault` over one year: (mesh, `Relaxation` with the strain at 1 yr and the window mean)."""
    from quakejax.visco import Burgers
    from quakejax.visco._relax3d import CuboidMesh, Postseismic3D

    mesh = CuboidMesh.octree(fault, args.H, h0, alpha, args.lateral, args.depth_extent)
    rheology = Burgers(MU, args.eta_m, MU, args.eta_k)
    model = Postseismic3D.build(mesh, rheology, mu=MU, lam=MU)
    return mesh, model.relax(model.coseismic_driving(fault), [YEAR], window=YEAR)


def event_table(path, catalogs, args):
    """The per-cell table of one event, or a skip reason.

    Columns: cell centroid `x, y, z` (m, the event's local ENU frame), `label` (0/1),
    `rupture_distance_km`, and the stress tensors in Pa (ENU, tension positive) as six
    components each: `co_*` the coseismic sigma_0, `end_*` the relaxation stress at 1 yr and
    `mean_*` its mean over the year.
    """
    from quakejax.aftershocks import build_event_table, choose_catalog
    from quakejax.okada import stress as okada_stress
    from quakejax.visco._relax3d import eigenstrain_fields

    build = _scripts.load("build_dataset")
    fault = build.read_model(path)
    info = fault.info
    if info is None or info.origin is None or info.time is None:
        return None, "no geographic origin or date in the file"
    corners = np.asarray(fault.corners)
    deepest = float(-corners[..., 2].min())
    if deepest >= args.H:
        return None, f"slip reaches {deepest / 1e3:.1f} km, below the elastic layer (H)"
    cat_name, _ = choose_catalog(fault, catalogs)
    if cat_name is None:
        return None, "no catalog covers the year after this event near it"
    table, summ = build_event_table(fault, catalogs[cat_name])
    if summ.positives < 10:
        return None, f"{summ.positives} positive cells (< 10) in {cat_name}"
    cells = table[["x", "y", "z"]].to_numpy(float) * 1e3  # km -> m
    t0 = time.perf_counter()
    sigma0 = np.asarray(okada_stress(fault, cells, mu=MU, lam=MU))
    mesh, rel = relax_one_year(fault, args, args.h0, args.alpha)
    states = np.stack([np.asarray(rel.strain[0]), np.asarray(rel.window_mean)])
    _, dsig = eigenstrain_fields(cells, mesh, states, mu=MU, lam=MU, order=args.grid_order)
    dsig = np.asarray(dsig)
    wall = time.perf_counter() - t0
    out = pd.DataFrame({"x": cells[:, 0], "y": cells[:, 1], "z": cells[:, 2]})
    out["label"] = table["aftershocksyn"].to_numpy()
    out["rupture_distance_km"] = table["rupture_distance_km"].to_numpy()
    for name, arr in (("co", sigma0), ("end", dsig[0]), ("mean", dsig[1])):
        for c, v in zip(COMPONENTS, to6(arr).T, strict=True):
            out[f"{name}_{c}"] = v
    meta = {
        "file": path.name,
        "tag": info.tag,
        "catalog": cat_name,
        "cells": len(out),
        "positives": int(out["label"].sum()),
        "patches": fault.n_patches,
        "deepest_slip_km": deepest / 1e3,
        "cuboids": mesh.n,
        "receiver": list(summ.receiver),
        "visco_wall_s": wall,
        "solver_steps": int(rel.num_steps),
    }
    return (out, meta), None


def metric_columns(df, which, receiver):
    """The METRICS of sigma_0 (which='co') or sigma_0 + window-mean relaxation ('mean')."""
    from quakejax.aftershocks import cell_features

    sig = from6(df[[f"co_{c}" for c in COMPONENTS]].to_numpy())
    if which != "co":
        sig = sig + from6(df[[f"{which}_{c}" for c in COMPONENTS]].to_numpy())
    feats = cell_features(sig, tuple(receiver))
    return {m: np.asarray(feats[col], float) for m, col in METRICS.items()}


def auc(score, y):
    from quakejax.aftershocks import roc_auc

    return float(roc_auc(np.asarray(score, float), np.asarray(y)))


def sequence(stem: str) -> str:
    """The earthquake sequence of a model: events whose label windows overlap in space and
    time are held out together."""
    return next((g for key, g in SEQUENCES.items() if key in stem), stem)


def loeo_logistic(frames, columns):
    """Leave-one-sequence-out logistic regression: pooled and per-event held-out AUC."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scores, labels, per_event = [], [], {}
    for k in frames:
        train = pd.concat([f for j, f in frames.items() if sequence(j) != sequence(k)])
        test = frames[k]
        scaler = StandardScaler().fit(train[columns].to_numpy())
        clf = LogisticRegression(class_weight="balanced", max_iter=1000)
        clf.fit(scaler.transform(train[columns].to_numpy()), train["label"].to_numpy())
        s = clf.decision_function(scaler.transform(test[columns].to_numpy()))
        per_event[k] = auc(s, test["label"])
        scores.append(s)
        labels.append(test["label"].to_numpy())
    pooled = auc(np.concatenate(scores), np.concatenate(labels))
    return {"pooled": pooled, "per_event_mean": float(np.mean(list(per_event.values())))}


def mesh_check(path, df, args, n_cells=3000):
    """The window-mean relaxation stress of `df` (the coarse mesh) against a finer mesh (h0 5 km,
    alpha 2, as experiments/visco3d_landers.py) on `n_cells` random cells of one event."""
    from quakejax.stress import von_mises
    from quakejax.visco._relax3d import eigenstrain_fields

    build = _scripts.load("build_dataset")
    fault = build.read_model(path)
    t0 = time.perf_counter()
    mesh, rel = relax_one_year(fault, args, 5e3, 2.0)
    sub = np.sort(np.random.default_rng(0).choice(len(df), min(n_cells, len(df)), replace=False))
    cells = df[["x", "y", "z"]].to_numpy()[sub]
    _, fine = eigenstrain_fields(
        cells, mesh, np.asarray(rel.window_mean)[None], mu=MU, lam=MU, order=args.grid_order
    )
    fine = np.asarray(fine[0])
    coarse = from6(df[[f"mean_{c}" for c in COMPONENTS]].to_numpy()[sub])
    co = from6(df[[f"co_{c}" for c in COMPONENTS]].to_numpy()[sub])

    def vm(s):
        return np.asarray(von_mises(s))

    strong = vm(co) > 1e4
    change_fine = (vm(co + fine) - vm(co))[strong] / vm(co)[strong]
    change_coarse = (vm(co + coarse) - vm(co))[strong] / vm(co)[strong]
    err = np.abs(coarse - fine).max((1, 2))
    return {
        "event": path.stem,
        "fine_cuboids": mesh.n,
        "cells": len(sub),
        "max_error_over_max_fine": float(err.max() / np.abs(fine).max()),
        "median_error_over_max_fine": float(np.median(err) / np.abs(fine).max()),
        "median_vm_change_fine": float(np.median(np.abs(change_fine))),
        "median_vm_change_coarse": float(np.median(np.abs(change_coarse))),
        "corr_vm_change": float(np.corrcoef(change_fine, change_coarse)[0, 1]),
        "wall_s": time.perf_counter() - t0,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--only", nargs="*", default=None, help="file-name prefixes (default EVENTS)")
    ap.add_argument("--max-events", type=int, default=None)
    ap.add_argument("--H", type=float, default=30e3, help="elastic layer thickness, m")
    ap.add_argument("--h0", type=float, default=10e3, help="finest cuboid side, m")
    ap.add_argument("--alpha", type=float, default=1.0, help="octree refinement factor")
    ap.add_argument("--lateral", type=float, default=150e3, help="mesh margin, m")
    ap.add_argument("--depth-extent", type=float, default=160e3, help="mesh depth below H, m")
    ap.add_argument("--eta-m", type=float, default=1e19, help="Maxwell viscosity, Pa s")
    ap.add_argument("--eta-k", type=float, default=1e18, help="Kelvin viscosity, Pa s")
    ap.add_argument("--grid-order", type=int, default=2, help="stacking quadrature at cells")
    ap.add_argument("--cache", default=str(REPO / "timedependent_cache"))
    ap.add_argument(
        "--mesh-check",
        action="store_true",
        help="compare the first event's relaxation stress with a finer mesh (about 7 min)",
    )
    ap.add_argument(
        "--out", default=str(REPO / "experiments/results/aftershocks_timedependent.json")
    )
    args = ap.parse_args(argv)
    from quakejax.stress import von_mises

    build = _scripts.load("build_dataset")
    data = build.data_dir(args.data)
    cache = pathlib.Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    files = {p.stem: p for p in build.slip_files(data)}
    wanted = args.only or EVENTS
    chosen = []
    for prefix in wanted:
        match = [prefix] if prefix in files else sorted(k for k in files if k.startswith(prefix))
        if not match:
            print(f"{prefix}: no slip model of that name under {data}", file=sys.stderr)
            continue
        chosen.append(files[match[0]])
    if args.max_events:
        chosen = chosen[: args.max_events]

    catalogs = None
    frames, metas, skipped = {}, {}, {}
    t_all = time.perf_counter()
    for path in chosen:
        stem = cache / path.stem
        if stem.with_suffix(".parquet").exists() and stem.with_suffix(".json").exists():
            frames[path.stem] = pd.read_parquet(stem.with_suffix(".parquet"))
            metas[path.stem] = json.loads(stem.with_suffix(".json").read_text())
            print(f"{path.stem}: cached", flush=True)
            continue
        if catalogs is None:
            catalogs = build.load_catalogs(data)
        t0 = time.perf_counter()
        try:
            result, reason = event_table(path, catalogs, args)
        except (ValueError, NotImplementedError) as err:
            result, reason = None, f"{type(err).__name__}: {err}"
        if result is None:
            skipped[path.stem] = reason
            print(f"{path.stem}: skipped ({reason})", flush=True)
            continue
        df, meta = result
        df.to_parquet(stem.with_suffix(".parquet"))
        stem.with_suffix(".json").write_text(json.dumps(meta, indent=1))
        frames[path.stem], metas[path.stem] = df, meta
        print(
            f"{path.stem}: {meta['cells']} cells, {meta['positives']} positive, "
            f"{meta['cuboids']} cuboids, {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    if len(frames) < 2:
        sys.exit("fewer than two usable events: nothing to hold out")

    # Scalar metrics: no fitting, every event is held out.
    rows = []
    for k, df in frames.items():
        receiver = metas[k]["receiver"]
        co = metric_columns(df, "co", receiver)
        mean = metric_columns(df, "mean", receiver)
        df["log_vm_co"] = np.log10(np.maximum(co["von_mises"], 1.0))
        df["log_vm_mean"] = np.log10(np.maximum(mean["von_mises"], 1.0))
        relax = from6(df[[f"mean_{c}" for c in COMPONENTS]].to_numpy())
        df["log_vm_relax"] = np.log10(np.maximum(np.asarray(von_mises(relax)), 1.0))
        vm_change = np.abs(mean["von_mises"] - co["von_mises"]) / np.maximum(co["von_mises"], 1.0)
        row = {
            "event": k,
            "positives": metas[k]["positives"],
            "cells": metas[k]["cells"],
            "median_rel_change_von_mises": float(np.median(vm_change[co["von_mises"] > 1e4])),
        }
        for m in METRICS:
            row[f"{m}_t0"] = auc(co[m], df["label"])
            row[f"{m}_time_averaged"] = auc(mean[m], df["label"])
        row["relaxation_von_mises_alone"] = auc(df["log_vm_relax"], df["label"])
        row["minus_distance"] = auc(-df["rupture_distance_km"], df["label"])
        df["log_distance"] = np.log10(np.maximum(df["rupture_distance_km"], 0.1))
        df["depth_km"] = -df["z"] / 1e3
        rows.append(row)
        for m in METRICS:
            df[f"score_{m}_t0"] = co[m]
            df[f"score_{m}_time_averaged"] = mean[m]
    per_event = pd.DataFrame(rows)
    pooled = {}
    allcells = pd.concat(frames.values())
    for m in METRICS:
        for v in ("t0", "time_averaged"):
            pooled[f"{m}_{v}"] = auc(allcells[f"score_{m}_{v}"], allcells["label"])
    pooled["relaxation_von_mises_alone"] = auc(allcells["log_vm_relax"], allcells["label"])
    pooled["minus_distance"] = auc(-allcells["rupture_distance_km"], allcells["label"])
    logistic = {
        "log_von_mises_t0": loeo_logistic(frames, ["log_vm_co"]),
        "log_von_mises_time_averaged": loeo_logistic(frames, ["log_vm_mean"]),
        "t0_plus_time_averaged_plus_relaxation": loeo_logistic(
            frames, ["log_vm_co", "log_vm_mean", "log_vm_relax"]
        ),
        # Controls: relaxation stress decays with distance from the rupture, so is its gain
        # more than distance gives?
        "t0_plus_log_distance": loeo_logistic(frames, ["log_vm_co", "log_distance"]),
        "t0_plus_relaxation_plus_log_distance": loeo_logistic(
            frames, ["log_vm_co", "log_vm_relax", "log_distance"]
        ),
        # ... and more than depth gives (relaxation stress is largest near the viscous
        # region, where the catalogs have few aftershocks)?
        "t0_plus_log_distance_plus_depth": loeo_logistic(
            frames, ["log_vm_co", "log_distance", "depth_km"]
        ),
        "t0_plus_relaxation_plus_log_distance_plus_depth": loeo_logistic(
            frames, ["log_vm_co", "log_vm_relax", "log_distance", "depth_km"]
        ),
    }
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(per_event.round(3).to_string(index=False))
    print("pooled AUC (no fitting):", json.dumps({k: round(v, 4) for k, v in pooled.items()}))
    print("leave-one-sequence-out logistic:", json.dumps(logistic))
    check = None
    if args.mesh_check:
        first = next(p for p in chosen if p.stem in frames)
        check = mesh_check(first, frames[first.stem], args)
        print("mesh check:", json.dumps(check), flush=True)
    result = {
        "settings": {
            k: getattr(args, k)
            for k in ("H", "h0", "alpha", "lateral", "depth_extent", "eta_m", "eta_k", "grid_order")
        },
        "window_s": YEAR,
        "events": metas,
        "skipped": skipped,
        "per_event_auc": rows,
        "pooled_auc": pooled,
        "leave_one_sequence_out_logistic": logistic,
        "mesh_check": check,
        "wall_s": time.perf_counter() - t_all,
        "cpu_count": os.cpu_count(),
        "device": str(jax.devices()[0]),
    }
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: result[k] for k in ("pooled_auc", "leave_one_sequence_out_logistic")}))


if __name__ == "__main__":
    main()
