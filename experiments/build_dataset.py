"""Build the labelled stress-change grids of every real slip model (DeVries et al. 2018 set-up).

    python experiments/build_dataset.py [--data ../shared/data] [--out dataset] [--only TEXT]

For every slip model under `<data>/slip_models` that parses and carries a date and a
geographic origin, this picks the best-covering catalog under `<data>/catalogs` (the one
with the most events in the label window inside the model's cells, among catalogs whose
time span covers the window), computes the stress change at every cell with the Okada
kernels, labels the cells, and writes `<out>/<tag>_grid.parquet` and `.csv`.  A per-event
summary goes to `<out>/summary.csv`.  Events already written are skipped (resume after an
interruption); `--force` rebuilds them.  The last line printed is a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import time
import traceback

# Use every core: one host device per core, the Okada blocks are split over them.
os.environ.setdefault(
    "XLA_FLAGS", f"--xla_force_host_platform_device_count={max(1, os.cpu_count() or 1)}"
)

import pandas as pd  # noqa: E402
from tqdm import tqdm  # noqa: E402

SLIP_SUFFIXES = {".fsp", ".mat", ".param", ".dat", ".flt"}
REPO = pathlib.Path(__file__).resolve().parents[1]


# Facts the files lack, for files whose format has no date or no geographic frame: origin
# times (UTC, USGS ComCat; refined against the catalog) and the frames documented beside
# the .flt tables (published_flt/SOURCE.txt, japan__kumamoto16__readme.txt).
KNOWN = {
    "japan__tohoku11__": {
        "options": {"origin": (142.369, 38.322), "utm_zone": 54},
        "time": "2011-03-11T05:46:24",
    },
    "japan__kumamoto16__": {
        "options": {"origin": (130.726, 32.782), "utm_zone": 52},
        "time": "2016-04-15T16:25:06",
    },
    "ridgecrest.param": {"options": {}, "time": "2019-07-06T03:19:53"},
}


def read_model(path):
    """Read one slip model, adding what KNOWN says about its file."""
    from quakejax.io import read_slip_model

    extra = next((v for k, v in KNOWN.items() if path.name.startswith(k)), None)
    fault = read_slip_model(path, **(extra["options"] if extra else {}))
    if extra and fault.info is not None and fault.info.time is None:
        note = "origin time from experiments/build_dataset.py KNOWN (ComCat)"
        fault = fault.with_info(time=extra["time"], notes=fault.info.notes + (note,))
    return fault


def add_context(path, stem, *, csv=True):
    """Add the rupture-context columns to a table written before they existed (no stress
    recomputation: only the distance to the patches)."""
    from quakejax.aftershocks import context_features, write_grid_table

    table = pd.read_parquet(stem.with_suffix(".parquet"))
    if "rupture_distance_km" in table:
        return
    fault = read_model(path)
    xyz = table[["x", "y", "z"]].to_numpy(float) * 1e3
    for k, v in context_features(fault, xyz).items():
        table[k] = v
    write_grid_table(table, stem, csv=csv)


def data_dir(arg) -> pathlib.Path:
    path = pathlib.Path(arg or os.environ.get("QUAKEJAX_DATA") or REPO.parent / "shared" / "data")
    if not (path / "slip_models").is_dir():
        sys.exit(f"build_dataset: no slip_models folder under {path}; set --data or QUAKEJAX_DATA.")
    return path


def slip_files(data: pathlib.Path):
    for p in sorted((data / "slip_models").rglob("*")):
        if p.is_file() and p.suffix.lower() in SLIP_SUFFIXES and "gps" not in p.name:
            yield p


def load_catalogs(data: pathlib.Path):
    from quakejax.io import read_catalog

    cats = {}
    for p in sorted((data / "catalogs").glob("*")):
        if p.is_file() and not p.name.startswith(("README", "SOURCE")):
            t = time.perf_counter()
            try:
                cats[p.name] = read_catalog(p)
            except ValueError as err:
                print(f"catalog {p.name}: skipped ({err})", file=sys.stderr)
                continue
            print(f"catalog {p.name}: {len(cats[p.name])} events ({time.perf_counter() - t:.1f} s)")
    return cats


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--out", default=str(REPO / "dataset"))
    ap.add_argument("--only", default=None, help="only files whose name contains this text")
    ap.add_argument("--force", action="store_true", help="rebuild events already written")
    ap.add_argument("--no-csv", action="store_true", help="write Parquet only")
    args = ap.parse_args(argv)

    import jax

    from quakejax.aftershocks import (
        GridSpec,
        LabelSpec,
        build_event_table,
        choose_catalog,
        write_grid_table,
    )

    data = data_dir(args.data)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    spec, labels = GridSpec(), LabelSpec()
    files = [p for p in slip_files(data) if args.only is None or args.only in p.name]
    machine = platform.processor() or platform.machine()
    print(f"{len(files)} slip-model files; devices: {jax.devices()}; {machine}")
    t_all = time.perf_counter()
    catalogs = load_catalogs(data)
    summary_path = out / "summary.csv"
    rows = {}
    if summary_path.exists() and not args.force:
        for r in pd.read_csv(summary_path).to_dict("records"):
            rows[r["file"]] = r
    computed_pairs, computed_s = 0, 0.0
    bar = tqdm(files, unit="model", dynamic_ncols=True)
    for path in bar:
        key = str(path.relative_to(data / "slip_models"))
        bar.set_postfix_str(path.name[:40])
        done = rows.get(key)
        # Output named after the file: several files can share one tag (model variants).
        stem = path.stem
        if (
            done is not None
            and done.get("status") == "ok"
            and (out / f"{stem}_grid.parquet").exists()
        ):
            add_context(path, out / f"{stem}_grid", csv=not args.no_csv)
            continue
        row = {"file": key}
        try:
            fault = read_model(path)
            info = fault.info
            row.update(tag=info.tag or path.stem, name=info.name, patches=fault.n_patches)
            if info.origin is None or info.time is None:
                raise ValueError("no geographic origin or date in the file")
            cat_name, scores = choose_catalog(fault, catalogs, spec=spec, labels=labels)
            if cat_name is None:
                raise ValueError("no catalog covers the year after this event near it")
            table, summ = build_event_table(fault, catalogs[cat_name], spec=spec, labels=labels)
            write_grid_table(table, out / f"{stem}_grid", csv=not args.no_csv)
            row.update(summ.as_dict())
            row["file"] = key
            row["catalog"] = cat_name
            row["catalog_scores"] = json.dumps(scores)
            row["output"] = f"{stem}_grid.parquet"
            row["status"] = "ok"
            computed_pairs += summ.pairs
            computed_s += summ.wall_s
        except (ValueError, NotImplementedError) as err:
            row["status"] = f"skipped: {err}"
        except Exception as err:  # report and go on: one bad model must not stop the dataset
            row["status"] = f"error: {type(err).__name__}: {err}"
            traceback.print_exc()
        rows[key] = row
        pd.DataFrame(list(rows.values())).to_csv(summary_path, index=False)
    wall = time.perf_counter() - t_all
    summary = pd.DataFrame(list(rows.values()))
    ok = summary[summary["status"] == "ok"]
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        cols = [
            "tag",
            "patches",
            "cells",
            "positives",
            "catalog",
            "completeness_magnitude",
            "time_source",
            "wall_s",
        ]
        print(ok[[c for c in cols if c in ok]].to_string(index=False))
        bad = summary[summary["status"] != "ok"]
        if len(bad):
            print(bad[["file", "status"]].to_string(index=False))
    result = {
        "models": int(len(ok)),
        "skipped": int(len(summary) - len(ok)),
        "cells": int(ok["cells"].sum()) if len(ok) else 0,
        "positives": int(ok["positives"].sum()) if len(ok) else 0,
        "pairs": int(ok["pairs"].sum()) if len(ok) else 0,
        "wall_s_this_run": round(wall, 1),
        "pairs_per_s_this_run": round(computed_pairs / computed_s) if computed_s else None,
        "backend": jax.default_backend(),
        "devices": len(jax.devices()),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
