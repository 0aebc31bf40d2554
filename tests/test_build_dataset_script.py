"""experiments/build_dataset.py end to end on a tiny synthetic data folder: outputs, resume."""

import importlib.util
import os
import pathlib

import numpy as np
import pandas as pd

from quakejax.aftershocks import read_grid_table

from ._slip_fixtures import FRAME, ONE_SEGMENT, fsp_text

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "experiments" / "build_dataset.py"


def _script():
    spec = importlib.util.spec_from_file_location("build_dataset", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _data(tmp_path):
    data = tmp_path / "data"
    (data / "slip_models" / "srcmod").mkdir(parents=True)
    (data / "catalogs").mkdir()
    text, _ = fsp_text(ONE_SEGMENT)
    (data / "slip_models" / "srcmod" / "s1992SYNTHEtest.fsp").write_text(text)
    (data / "slip_models" / "srcmod" / "broken.fsp").write_text("% not\n% really\n1 2 3\n")
    # Mainshock on the file's date, then events in cells near the fault and one far away.
    rng = np.random.default_rng(0)
    e = rng.uniform(-20e3, 20e3, 30)
    n = rng.uniform(-20e3, 20e3, 30)
    lon, lat = FRAME.to_geographic(np.r_[0.0, e, 900e3], np.r_[0.0, n, 0.0])
    times = ["1992-06-28T11:57:34"] + [f"1992-{m:02d}-15T00:00:00" for m in rng.integers(7, 13, 30)]
    times += ["1993-07-01T00:00:00"]  # the catalog spans the whole year
    rows = pd.DataFrame(
        {
            "time": times + ["1990-01-01T00:00:00"],
            "latitude": np.r_[lat, 35.0],
            "longitude": np.r_[lon, 139.0],
            "depth": np.r_[8.0, rng.uniform(1, 15, 30), 10.0, 10.0],
            "mag": np.r_[6.0, rng.uniform(3, 5, 30), 4.0, 4.0],
        }
    )
    rows.to_csv(data / "catalogs" / "synthetic.csv", index=False)
    return data


def test_build_dataset_writes_tables_and_resumes(tmp_path, monkeypatch):
    # The script sets XLA_FLAGS only when unset: keep this process's devices as they are.
    monkeypatch.setenv("XLA_FLAGS", os.environ.get("XLA_FLAGS", ""))
    data, out = _data(tmp_path), tmp_path / "out"
    mod = _script()
    result = mod.main(["--data", str(data), "--out", str(out)])
    assert result["models"] == 1 and result["skipped"] == 1
    summary = pd.read_csv(out / "summary.csv")
    ok = summary[summary.status == "ok"].iloc[0]
    assert ok.catalog == "synthetic.csv" and ok.time_source == "catalog"
    table = read_grid_table(out / "s1992SYNTHEtest_grid.parquet")
    assert len(table) == ok.cells and table.aftershocksyn.sum() == ok.positives > 0
    assert read_grid_table(out / "s1992SYNTHEtest_grid.csv").shape == table.shape
    bad = summary[summary.status != "ok"].iloc[0]
    assert "broken.fsp" in bad.status and "line" in bad.status
    # A second run finds the table written and does not rebuild it.
    stamp = (out / "s1992SYNTHEtest_grid.parquet").stat().st_mtime_ns
    mod.main(["--data", str(data), "--out", str(out)])
    assert (out / "s1992SYNTHEtest_grid.parquet").stat().st_mtime_ns == stamp
