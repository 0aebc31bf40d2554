"""The `quakejax` command line.

    quakejax aftershocks evaluate --slip FILE [FILE ...] --catalog FILE [FILE ...] [--json]
    quakejax aftershocks predict --slip FILE --out map.png|map.parquet|map.csv
    quakejax invert gps --gps FILE --fault FILE [--origin LON LAT --utm-zone N] [--json]
                        [--plot out.png] [--out slip.csv] [--smoothing auto|cv|...|VALUE]
    quakejax blocks solve CONFIG.json [--json] [--plot out.png] [--out DIR] [--bounded]
                          [--mode tde|eigen|segments] [--cache-dir DIR | --no-cache]

`evaluate` builds the DeVries et al. (2018) grid of each slip model (5 km cells within
100 km of the rupture, 0-50 km depth), labels it with the catalog's events of the following
year, and scores the pretrained network and every scalar stress metric by ROC AUC, per
event and pooled over all events.  `predict` writes the probability map of one rupture.
Slip models and catalogs are read with `quakejax.io` (formats sniffed from the content).

`invert gps` estimates slip on the patches of the `--fault` file (its own slip is ignored
unless `--rake` is omitted, when slip stays within 90 degrees of it) from the offsets of the
`--gps` file (`quakejax.io.read_gps` formats), with `quakejax.inversion.invert_slip`, and
prints Mw, the fit and the smoothing chosen; `--json` prints one JSON object instead, and
the slip table (one row per patch) is written to `--out`.

`blocks solve` reads a celeri block-model config, assembles the operators (a progress bar on
stderr; cached on disk by the SHA-256 of every input file) and solves the dense weighted
least-squares problem.  It prints the horizontal residual statistics and writes the Euler
poles, segment slip rates, mesh slip rates and coupling, and station fits as CSV to `--out`
(default `<config>_blocks/`).  `--json` prints `{"n_stations", "residual_rms_mm_per_yr",
"residual_mean_abs_mm_per_yr", "wall_s", ...}`; `wall_s` is the time from reading the
config to the solution (operators included; imports and writing the outputs excluded).
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys

import numpy as np

# Score columns of the grid table, named as in the JSON output.  "distance" is the
# negative distance to the slipping patches (closer = higher score).
METRIC_COLUMNS = {
    "von_mises": "von_mises",
    "max_shear": "stresses_full_max_shear",
    "sum_abs": "sum_abs",
    "cfs_mean_receiver": "stresses_full_cfs",
    "cfs_shear_only": "stresses_full_cfs_shear_only",
    "cfs_total": "stresses_full_cfs_total",
    "cfs_total_shear": "stresses_full_cfs_total_shear",
    "distance": "rupture_distance_km",
}


class CommandError(Exception):
    """A user error: printed without a traceback, exit status 2."""


def _slip_options(args) -> dict:
    opts = {}
    if args.origin is not None:
        opts["origin"] = tuple(args.origin)
    if args.utm_zone is not None:
        opts["utm_zone"] = args.utm_zone
    return opts


def _read_fault(path: str, args):
    from .io import read_slip_model

    p = pathlib.Path(path)
    if not p.is_file():
        raise CommandError(f"{path}: no such slip-model file.")
    fault = read_slip_model(p, **_slip_options(args))
    info = fault.info
    if info is None or info.origin is None:
        raise ValueError(
            f"{path}: the slip model has no geographic origin; give --origin LON LAT "
            "(and --utm-zone for Unicycle .flt tables)."
        )
    if args.time is not None:
        fault = fault.with_info(time=args.time)
    return fault


def _check_time(args):
    if args.time is not None:
        try:
            np.datetime64(args.time.replace("Z", ""), "ms")
        except ValueError as err:
            raise CommandError(f"--time {args.time!r}: not an ISO date or time ({err}).") from err


def _coverage_warning(catalog, summary, labels) -> str | None:
    """A note when the catalog does not span the label window (labels would be missing)."""
    if not len(catalog) or not summary.mainshock_time:
        return None
    t0 = np.datetime64(summary.mainshock_time, "ms")
    end = t0 + np.timedelta64(int(labels.end * 1000), "ms")
    lo, hi = catalog.time_range
    if lo > t0 or hi < t0 + (end - t0) * 0.95:
        return (
            f"the catalog spans {lo} to {hi}, which does not cover the label window "
            f"{t0} to {end}: cells may be missing their aftershocks."
        )
    return None


def _read_catalogs(paths):
    from .io import read_catalog

    cats = {}
    for path in paths:
        p = pathlib.Path(path)
        if not p.is_file():
            raise CommandError(f"{path}: no such catalog file.")
        cats[str(path)] = read_catalog(p)
    return cats


# The other shipped networks, scored beside the chosen one when they are installed.
EXTRA_MODELS = {"nn_devries": "devries", "nn_context": "invariant_context"}


def _load_models(name) -> dict:
    from .aftershocks import AftershockClassifier
    from .aftershocks._classifier import WEIGHTS_DIR

    models = {"nn": _load_model(name)}
    for key, extra in EXTRA_MODELS.items():
        if extra != name and (WEIGHTS_DIR / f"{extra}.json").exists():
            models[key] = AftershockClassifier.pretrained(extra)
    return models


def _scores(table, models) -> dict[str, np.ndarray]:
    out = {k: m.probability_from_table(table) for k, m in models.items()}
    for name, col in METRIC_COLUMNS.items():
        if col in table:
            v = np.asarray(table[col], float)
            out[name] = -v if name == "distance" else v
    return out


def _finite(score, y):
    score, y = np.asarray(score, np.float64), np.asarray(y)
    ok = np.isfinite(score)  # a metric may be undefined at a few cells: score the rest
    return score[ok], y[ok]


def _auc(score, y) -> float | None:
    from .aftershocks import roc_auc

    score, y = _finite(score, y)
    if y.size == 0 or y.min() == y.max():
        return None  # one class only: AUC undefined
    return round(float(roc_auc(score, y)), 4)


def _average_precision(score, y) -> float | None:
    from .aftershocks import average_precision

    score, y = _finite(score, y)
    if y.size == 0 or y.min() == y.max():
        return None
    return round(float(average_precision(score, y)), 4)


def cmd_evaluate(args) -> int:
    from .aftershocks import LabelSpec, build_event_table, choose_catalog

    _check_time(args)
    models = _load_models(args.model)
    catalogs = _read_catalogs(args.catalog)
    labels = LabelSpec(end=args.days * 86_400.0, min_magnitude=args.min_magnitude)
    if args.time is not None and len(args.slip) > 1:
        raise CommandError("--time applies to one slip model; give one --slip file with it.")
    events, pooled_s, pooled_y = [], {}, []
    for path in args.slip:
        entry: dict = {"slip": path}
        try:
            fault = _read_fault(path, args)
            if fault.info.time is None:
                raise ValueError(
                    f"{path}: the slip model has no date; give the mainshock time with --time."
                )
            if len(catalogs) == 1:
                name = next(iter(catalogs))
            else:
                name, _ = choose_catalog(fault, catalogs, labels=labels)
                if name is None:
                    raise ValueError(
                        "none of the catalogs covers the label window near this event."
                    )
            table, summ = build_event_table(fault, catalogs[name], labels=labels)
        except (ValueError, CommandError, NotImplementedError) as err:
            entry["error"] = str(err)
            events.append(entry)
            _progress(args, f"{path}: {err}")
            continue
        y = table["aftershocksyn"].to_numpy()
        scores = _scores(table, models)
        entry.update(
            tag=summ.tag,
            name=summ.name,
            catalog=name,
            mainshock_time=summ.mainshock_time,
            time_source=summ.time_source,
            events_in_window=summ.events_in_window,
            n_cells=int(len(y)),
            n_pos=int(y.sum()),
            auc={k: _auc(v, y) for k, v in scores.items()},
            average_precision={k: _average_precision(v, y) for k, v in scores.items()},
        )
        warning = _coverage_warning(catalogs[name], summ, labels)
        if warning:
            entry["warning"] = warning
        events.append(entry)
        for k, v in scores.items():
            pooled_s.setdefault(k, []).append(v)
        pooled_y.append(y)
        _progress(args, f"{path}: {len(y)} cells, {int(y.sum())} with aftershocks")
    result = {"events": events, "models": {k: _model_summary(m) for k, m in models.items()}}
    if pooled_y:
        y_all = np.concatenate(pooled_y)
        result["n_cells"] = int(y_all.size)
        result["n_pos"] = int(y_all.sum())
        result["pooled_auc"] = {
            k: _auc(np.concatenate(v), y_all)
            for k, v in pooled_s.items()
            if len(v) == len(pooled_y)
        }
    else:
        result["pooled_auc"] = {}
    if args.json:
        print(json.dumps(result, allow_nan=False))
    else:
        _print_table(result)
    return 0 if pooled_y else 1


def _model_summary(model) -> dict:
    info = model.info
    return {"features": model.features, "name": info.get("model"), "trained": info.get("trained")}


def _progress(args, text):
    if not args.json or args.verbose:
        print(text, file=sys.stderr)


def _print_table(result):
    keys = [*result["models"], *METRIC_COLUMNS]
    head = f"{'event':<34} {'cells':>7} {'pos':>5} " + " ".join(f"{k[:10]:>10}" for k in keys)
    print(head)
    print("-" * len(head))

    def fmt(v):
        return f"{v:>10.3f}" if isinstance(v, float) and math.isfinite(v) else f"{'-':>10}"

    for e in result["events"]:
        label = (e.get("tag") or pathlib.Path(e["slip"]).name)[:34]
        if "error" in e:
            print(f"{label:<34} error: {e['error']}")
            continue
        row = " ".join(fmt(e["auc"].get(k)) for k in keys)
        print(f"{label:<34} {e['n_cells']:>7} {e['n_pos']:>5} {row}")
    if result.get("pooled_auc"):
        row = " ".join(fmt(result["pooled_auc"].get(k)) for k in keys)
        print(f"{'pooled':<34} {result['n_cells']:>7} {result['n_pos']:>5} {row}")


def _load_model(name):
    from .aftershocks import AftershockClassifier

    if pathlib.Path(name).with_suffix(".json").is_file():
        return AftershockClassifier.load(name)
    return AftershockClassifier.pretrained(name)


def cmd_predict(args) -> int:
    from .aftershocks import GridSpec, build_event_table

    _check_time(args)
    model = _load_model(args.model)
    fault = _read_fault(args.slip, args)
    out = pathlib.Path(args.out)
    if out.suffix.lower() not in (".png", ".pdf", ".svg", ".parquet", ".csv"):
        raise CommandError(f"--out {out}: give a .png, .pdf, .svg, .parquet or .csv file.")
    info = fault.info
    if info.time is None:
        fault = fault.with_info(time="1970-01-01")  # no labels are made; any date will do
    table, _ = build_event_table(fault, None, spec=GridSpec())
    table = table.assign(probability=model.probability_from_table(table))
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        table.to_parquet(out, index=False)
    elif out.suffix.lower() == ".csv":
        table.to_csv(out, index=False)
    else:
        _probability_figure(fault, table, out)
    print(
        f"{out}: {len(table)} cells; probability {table.probability.min():.3g} to "
        f"{table.probability.max():.3g}",
        file=sys.stderr,
    )
    return 0


def _probability_figure(fault, table, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plot import plot_probability_map, plot_slip

    fig, axes = plt.subplots(1, 2, figsize=(11, 5), constrained_layout=True)
    plot_probability_map(table, "probability", fault=fault, ax=axes[0])
    plot_slip(fault, ax=axes[1], view="map")
    name = fault.info.name or fault.info.tag or pathlib.Path(fault.info.source or "").name
    axes[0].set_title(f"{name}: network probability")
    axes[1].set_title("slip (m)")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _smoothing_arg(text: str):
    rules = ("auto", "abic", "gcv", "cv", "lcurve")
    if text in rules:
        return text
    try:
        value = float(text)
    except ValueError:
        raise CommandError(
            f"--smoothing {text!r}: give one of {', '.join(rules)} or a number (1/m)."
        ) from None
    if not (math.isfinite(value) and value >= 0):
        raise CommandError(f"--smoothing {text!r}: a number must be >= 0 (1/m).")
    return value


def cmd_invert_gps(args) -> int:
    import pandas as pd

    from .inversion import invert_slip
    from .io import read_gps

    gps_path = pathlib.Path(args.gps)
    if not gps_path.is_file():
        raise CommandError(f"{args.gps}: no such GPS file.")
    fault = _read_fault(args.fault, args)
    gps = read_gps(gps_path)
    smoothing = _smoothing_arg(args.smoothing)
    rake = None if args.rake is None else tuple(args.rake)
    if args.sigma is not None and not (math.isfinite(args.sigma) and args.sigma > 0):
        raise CommandError(f"--sigma {args.sigma}: give a positive number of metres.")
    inv = invert_slip(
        fault,
        gps,
        smoothing=smoothing,
        rake=rake,
        positivity=not args.no_positivity,
        edges=args.edges,
        default_sigma=0.01 if args.sigma is None else args.sigma,
        mu=args.mu,
    )
    frame = fault.info.local_frame()
    lon, lat = frame.to_geographic(*np.asarray(fault.centroid, float)[:, :2].T)
    slip = inv.slip
    table = pd.DataFrame(
        {
            "patch": np.arange(fault.n_patches),
            "lon": lon,
            "lat": lat,
            "depth_km": -np.asarray(fault.centroid, float)[:, 2] / 1e3,
            "strike_deg": np.broadcast_to(np.asarray(fault.strike, float), (fault.n_patches,)),
            "dip_deg": np.broadcast_to(np.asarray(fault.dip, float), (fault.n_patches,)),
            "length_km": np.broadcast_to(np.asarray(fault.length, float), (fault.n_patches,)) / 1e3,
            "width_km": np.broadcast_to(np.asarray(fault.width, float), (fault.n_patches,)) / 1e3,
            "strike_slip_m": slip[:, 0],
            "dip_slip_m": slip[:, 1],
            "slip_m": np.hypot(slip[:, 0], slip[:, 1]),
            "rake_deg": inv.rake,
            "resolution_strike": inv.resolution[:, 0],
            "resolution_dip": inv.resolution[:, 1],
        }
    )
    out = pathlib.Path(args.out) if args.out else None
    if out is None and args.json:
        out = pathlib.Path(gps_path.stem + "_slip.csv")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(out, index=False, float_format="%.6g")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(18, 5.5))
        inv.plot(fig)
        pathlib.Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot, dpi=110)
        plt.close(fig)
    rule = inv.lcurve.method if inv.lcurve is not None else "given"
    result = {
        "mw": inv.mw(),
        "wrms": inv.wrms,
        "smoothing": inv.smoothing,
        "smoothing_rule": rule,
        "n_sites": len(gps),
        "n_patches": fault.n_patches,
        "chi2": inv.chi2,
        "n_data": inv.n_data,
        "horizontal_rms_m": inv.rms("horizontal"),
        "data_horizontal_rms_m": inv.data_rms("horizontal"),
        "moment_nm": inv.moment(),
        "peak_slip_m": float(table.slip_m.max()),
        "slip_table": None if out is None else str(out),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"Mw {result['mw']:.2f} (mu {args.mu / 1e9:g} GPa, M0 {result['moment_nm']:.3g} N m), "
        f"peak slip {result['peak_slip_m']:.2f} m"
    )
    print(
        f"fit: weighted RMS {inv.wrms:.3g}, chi2 {inv.chi2:.4g} for {inv.n_data} data; "
        f"horizontal RMS residual {result['horizontal_rms_m']:.4g} m "
        f"(data {result['data_horizontal_rms_m']:.4g} m)"
    )
    print(
        f"smoothing: {inv.smoothing:.4g} /m ({rule}); {len(gps)} sites, {fault.n_patches} patches"
    )
    if out is not None:
        print(f"slip table: {out}")
    return 0


def cmd_blocks_solve(args) -> int:
    import time

    from . import blocks

    # Timed from here: reading the inputs, operators, solve (library imports excluded, as
    # in celeri's own timing in benchmarks/blocks_wna.py).
    t0 = time.perf_counter()
    cfg_path = pathlib.Path(args.config)
    cache = None if args.no_cache else (args.cache_dir or blocks.default_cache_dir())
    if not args.no_compile_cache:
        blocks.enable_compilation_cache()
    sol = blocks.solve(
        cfg_path,
        mode=args.mode,
        cache_dir=cache,
        progress=not args.json or args.verbose,
        bounded=args.bounded,
    )
    wall = time.perf_counter() - t0
    out = pathlib.Path(args.out) if args.out else cfg_path.with_name(cfg_path.stem + "_blocks")
    paths = blocks.write_solution(sol, out)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig = blocks.plot_solution(sol)
        pathlib.Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot, dpi=110)
        plt.close(fig)
    result = sol.residual_stats()
    result.update(
        {
            "wall_s": wall,
            "mode": args.mode,
            "n_blocks": sol.model.n_blocks,
            "n_segments": len(sol.model.segment),
            "n_triangles": int(sum(m.n for m in sol.model.meshes)),
            "n_parameters": int(sol.state.size),
            "timings_s": {k: round(v, 3) for k, v in sol.timings.items()},
            "output": str(out),
        }
    )
    if sol.bounds is not None:
        result["bounds"] = {
            "n_bounded": sol.bounds.n_bounded,
            "violations_per_iteration": sol.bounds.violations,
            "fraction_within_bounds": sol.bounds.satisfied,
        }
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"{result['n_stations']} stations, {result['n_blocks']} blocks, "
        f"{result['n_segments']} segments, {result['n_triangles']} triangles ({args.mode})"
    )
    print(
        f"horizontal residuals: RMS {result['residual_rms_mm_per_yr']:.3f} mm/yr, "
        f"mean |r| {result['residual_mean_abs_mm_per_yr']:.3f} mm/yr"
    )
    if sol.bounds is not None:
        b = sol.bounds
        print(
            f"bounds: {b.satisfied:.1%} of {b.n_bounded} bounded mesh slip components within "
            f"bounds after {b.iterations} solves (violations: {b.violations})"
        )
    print(f"wall time {wall:.2f} s; tables: " + ", ".join(p.name for p in paths) + f" in {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="quakejax", description="Differentiable earthquake physics.")
    sub = ap.add_subparsers(dest="group", required=True)
    aft = sub.add_parser("aftershocks", help="aftershock-location models (DeVries et al. 2018)")
    cmds = aft.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument(
            "--model",
            default="invariant_context",
            help="pretrained classifier name, or the path of a saved one",
        )
        p.add_argument(
            "--origin",
            nargs=2,
            type=float,
            metavar=("LON", "LAT"),
            default=None,
            help="geographic origin (deg) for slip files without one",
        )
        p.add_argument("--utm-zone", type=int, default=None, help="UTM zone of .flt tables")
        p.add_argument(
            "--time", default=None, help="mainshock origin time (ISO, UTC) when the file has none"
        )

    ev = cmds.add_parser("evaluate", help="AUC of the network and stress metrics on real events")
    ev.add_argument("--slip", nargs="+", required=True, metavar="FILE")
    ev.add_argument(
        "--catalog",
        nargs="+",
        required=True,
        metavar="FILE",
        help="one catalog, or several: the best-covering one is used per event",
    )
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--days", type=float, default=365.0, help="label window after the mainshock")
    ev.add_argument("--min-magnitude", type=float, default=None)
    ev.add_argument("--verbose", action="store_true", help="progress on stderr with --json too")
    common(ev)
    ev.set_defaults(func=cmd_evaluate)

    pr = cmds.add_parser("predict", help="aftershock probability map of one rupture")
    pr.add_argument("--slip", required=True, metavar="FILE")
    pr.add_argument("--out", required=True, help="map.png (figure) or .parquet/.csv (table)")
    common(pr)
    pr.set_defaults(func=cmd_predict)

    inv = sub.add_parser("invert", help="slip inversions")
    inv_cmds = inv.add_subparsers(dest="command", required=True)
    gp = inv_cmds.add_parser("gps", help="slip on a fixed fault from coseismic GPS offsets")
    gp.add_argument("--gps", required=True, metavar="FILE", help="GPS offsets (read_gps formats)")
    gp.add_argument("--fault", required=True, metavar="FILE", help="fault geometry (slip model)")
    gp.add_argument(
        "--origin",
        nargs=2,
        type=float,
        metavar=("LON", "LAT"),
        default=None,
        help="geographic origin (deg) of the fault file's frame",
    )
    gp.add_argument("--utm-zone", type=int, default=None, help="UTM zone of .flt tables")
    gp.add_argument("--json", action="store_true", help="print one JSON object")
    gp.add_argument("--plot", default=None, metavar="PNG", help="write the result figure")
    gp.add_argument(
        "--out",
        default=None,
        metavar="CSV",
        help="slip table (default with --json: <gps>_slip.csv)",
    )
    gp.add_argument(
        "--smoothing",
        default="auto",
        help="auto (ABIC), abic, gcv, cv (blocked cross-validation), lcurve, or lambda in 1/m",
    )
    gp.add_argument(
        "--rake",
        nargs=2,
        type=float,
        metavar=("MIN", "MAX"),
        default=None,
        help="rake range (deg); default: within 90 deg of the fault file's own slip",
    )
    gp.add_argument("--no-positivity", action="store_true", help="let slip take any direction")
    gp.add_argument("--edges", choices=("free", "zero-bottom-sides"), default="free")
    gp.add_argument("--sigma", type=float, default=None, help="sigma (m) where the file has none")
    gp.add_argument("--mu", type=float, default=3.0e10, help="rigidity (Pa) for the moment")
    gp.set_defaults(func=cmd_invert_gps, time=None)

    blk = sub.add_parser("blocks", help="block models from GPS velocities (celeri inputs)")
    blk_cmds = blk.add_subparsers(dest="command", required=True)
    bs = blk_cmds.add_parser("solve", help="dense solve of a celeri config")
    bs.add_argument("config", metavar="CONFIG.json", help="celeri config file")
    bs.add_argument("--json", action="store_true", help="print one JSON object")
    bs.add_argument("--plot", default=None, metavar="PNG", help="write the result maps")
    bs.add_argument("--out", default=None, metavar="DIR", help="folder for the CSV tables")
    bs.add_argument(
        "--mode",
        choices=("tde", "eigen", "segments"),
        default="tde",
        help="mesh slip as triangle rates with smoothing (tde), eigenmodes, or no meshes",
    )
    bs.add_argument(
        "--bounded",
        action="store_true",
        help="apply the meshes' coupling and slip-rate bounds (iterative active set)",
    )
    bs.add_argument("--cache-dir", default=None, help="operator cache (default ~/.cache/quakejax)")
    bs.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    bs.add_argument(
        "--no-compile-cache",
        action="store_true",
        help="do not keep JAX's compiled kernels on disk (~/.cache/quakejax/jax)",
    )
    bs.add_argument("--verbose", action="store_true", help="progress bar with --json too")
    bs.set_defaults(func=cmd_blocks_solve)
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CommandError as err:
        print(f"quakejax: {err}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as err:
        print(f"quakejax: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
