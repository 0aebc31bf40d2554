"""Per-cell tables in the column names of DeVries et al.'s grid files (Parquet and CSV)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ._grid import CellGrid

#: Columns every grid table has: cell centroid (km, local ENU, z < 0 below the surface),
#: the six stress-change components (Pa) and the label.
REQUIRED_COLUMNS = (
    "x",
    "y",
    "z",
    "stresses_full_xx",
    "stresses_full_xy",
    "stresses_full_xz",
    "stresses_full_yy",
    "stresses_full_yz",
    "stresses_full_zz",
    "aftershocksyn",
)


def grid_table(
    grid: CellGrid,
    features: dict[str, np.ndarray],
    counts: np.ndarray | None = None,
    *,
    frame=None,
) -> pd.DataFrame:
    """A per-cell table: `x, y, z` (km), `lon, lat` (deg, when a frame is given), features
    (Pa, as named by `stress_features`), `grid_aftershock_count` and `aftershocksyn` (0/1).

    **Arguments:** `grid`; `features` from `cell_features`; `counts (n,)` aftershocks per
    cell (None: no labels, the columns are left out); `frame`: the `LocalFrame` of the grid.
    """
    n = len(grid)
    c = np.asarray(grid.centroid, dtype=float)
    cols = {"grid_id": np.arange(n), "x": c[:, 0] / 1e3, "y": c[:, 1] / 1e3, "z": c[:, 2] / 1e3}
    if frame is not None:
        lon, lat = frame.to_geographic(c[:, 0], c[:, 1])
        cols["lon"], cols["lat"] = lon, lat
    for k in sorted(features, key=_column_order):
        v = np.asarray(features[k])
        if v.shape != (n,):
            raise ValueError(f"grid_table: feature {k!r} has shape {v.shape}, expected ({n},).")
        cols[k] = v
    if counts is not None:
        counts = np.asarray(counts)
        if counts.shape != (n,):
            raise ValueError(f"grid_table: counts has shape {counts.shape}, expected ({n},).")
        cols["grid_aftershock_count"] = counts.astype(np.int64)
        cols["aftershocksyn"] = (counts > 0).astype(np.int8)
    return pd.DataFrame(cols)


def _column_order(name: str):
    # Components first in DeVries order, then the rest alphabetically.
    order = list(REQUIRED_COLUMNS[3:9])
    return (order.index(name), "") if name in order else (len(order), name)


def write_grid_table(table: pd.DataFrame, path, *, csv: bool = True) -> list[Path]:
    """Write `table` to `<path>.parquet` (and `<path>.csv`); returns the files written.

    `path` may end in `.parquet` or `.csv` or have no suffix.  Files are written to a
    temporary name and renamed, so an interrupted run never leaves a truncated table.
    """
    path = Path(path)
    if path.suffix in (".parquet", ".csv"):
        path = path.with_suffix("")
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    targets = [(path.with_suffix(".parquet"), "parquet")] + (
        [(path.with_suffix(".csv"), "csv")] if csv else []
    )
    for target, kind in targets:
        tmp = target.with_name(target.name + ".partial")
        if kind == "parquet":
            table.to_parquet(tmp, index=False)
        else:
            # pyarrow's CSV writer: an order of magnitude faster than DataFrame.to_csv, and
            # floats round-trip exactly (shortest representation).
            pacsv.write_csv(pa.Table.from_pandas(table, preserve_index=False), tmp)
        os.replace(tmp, target)
        written.append(target)
    return written


def read_grid_table(path) -> pd.DataFrame:
    """Read a per-cell grid table: ours (`.parquet` or `.csv`) or the authors' `<TAG>_grid.csv`.

    Checks that the DeVries columns `x, y, z`, the six `stresses_full_*` components and the
    label (`aftershocksyn`, or `grid_aftershock_count` from which it is derived) are present
    and numeric, and raises `ValueError` naming the file, column and first bad row otherwise.
    Stress in Pa and x, y, z in km, as written.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such grid table.")
    try:
        if path.suffix == ".parquet":
            table = pd.read_parquet(path)
        else:
            table = pd.read_csv(path, skipinitialspace=True)
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise ValueError(f"{path}: cannot be read as a grid table ({err}).") from err
    table.columns = [str(c).strip() for c in table.columns]
    if "aftershocksyn" not in table and "grid_aftershock_count" in table:
        table["aftershocksyn"] = (pd.to_numeric(table["grid_aftershock_count"]) > 0).astype(np.int8)
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing grid-table column(s) {missing}.")
    for c in REQUIRED_COLUMNS:
        values = pd.to_numeric(table[c], errors="coerce")
        bad = values.isna() & table[c].notna() | values.isna()
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            # CSV line: header is line 1, the first row line 2.
            where = f"line {row + 2}" if path.suffix != ".parquet" else f"row {row}"
            raise ValueError(
                f"{path}: {where}: column {c!r} is not a number ({table[c].iloc[row]!r})."
            )
        table[c] = values
    labels = table["aftershocksyn"].to_numpy()
    if not np.isin(labels, (0, 1)).all():
        row = int(np.argmax(~np.isin(labels, (0, 1))))
        raise ValueError(f"{path}: row {row}: aftershocksyn must be 0 or 1, got {labels[row]!r}.")
    return table
