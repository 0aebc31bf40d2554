"""`quakejax aftershocks evaluate/predict` on a tiny synthetic data folder."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from quakejax.aftershocks import AftershockClassifier, build_event_table
from quakejax.cli import main
from quakejax.io import read_catalog, read_slip_model

from .test_build_dataset_script import _data


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return _data(tmp_path_factory.mktemp("cli"))


def test_evaluate_json_matches_an_independent_scoring(data, capsys):
    slip = data / "slip_models" / "srcmod" / "s1992SYNTHEtest.fsp"
    broken = data / "slip_models" / "srcmod" / "broken.fsp"
    cat = data / "catalogs" / "synthetic.csv"
    rc = main(
        [
            "aftershocks",
            "evaluate",
            "--slip",
            str(slip),
            str(broken),
            "--catalog",
            str(cat),
            "--json",
        ]
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    good, bad = out["events"]
    assert "broken.fsp" in bad["error"] and "line" in bad["error"]
    # The same grid and labels through the library, scored with scikit-learn.
    table, _ = build_event_table(read_slip_model(slip), read_catalog(cat))
    y = table.aftershocksyn.to_numpy()
    assert good["n_cells"] == len(table) and good["n_pos"] == int(y.sum()) > 0
    assert good["auc"]["von_mises"] == pytest.approx(roc_auc_score(y, table.von_mises), abs=1e-4)
    assert good["auc"]["max_shear"] == pytest.approx(
        roc_auc_score(y, table.stresses_full_max_shear), abs=1e-4
    )
    assert good["auc"]["cfs_mean_receiver"] == pytest.approx(
        roc_auc_score(y, table.stresses_full_cfs), abs=1e-4
    )
    assert good["auc"]["distance"] == pytest.approx(
        roc_auc_score(y, -table.rupture_distance_km), abs=1e-4
    )
    p = AftershockClassifier.pretrained().probability_from_table(table)
    assert good["auc"]["nn"] == pytest.approx(roc_auc_score(y, p), abs=1e-4)
    # One scored event: the pooled AUC is that event's.
    assert out["pooled_auc"] == good["auc"]


def test_evaluate_table_and_user_errors(data, capsys):
    slip = data / "slip_models" / "srcmod" / "s1992SYNTHEtest.fsp"
    cat = data / "catalogs" / "synthetic.csv"
    assert main(["aftershocks", "evaluate", "--slip", str(slip), "--catalog", str(cat)]) == 0
    text = capsys.readouterr().out
    assert "von_mises" in text and "pooled" in text
    assert (
        main(["aftershocks", "evaluate", "--slip", str(slip), "--catalog", str(data / "nope.csv")])
        == 2
    )
    assert "nope.csv" in capsys.readouterr().err
    # Only broken inputs: nothing scored, exit status 1, the reason in the JSON.
    rc = main(
        [
            "aftershocks",
            "evaluate",
            "--slip",
            str(data / "missing.fsp"),
            "--catalog",
            str(cat),
            "--json",
        ]
    )
    assert rc == 1
    assert "missing.fsp" in json.loads(capsys.readouterr().out)["events"][0]["error"]


def test_predict_writes_table_and_figure(data, tmp_path, capsys):
    slip = data / "slip_models" / "srcmod" / "s1992SYNTHEtest.fsp"
    assert (
        main(
            ["aftershocks", "predict", "--slip", str(slip), "--out", str(tmp_path / "map.parquet")]
        )
        == 0
    )
    t = pd.read_parquet(tmp_path / "map.parquet")
    assert "aftershocksyn" not in t and t.probability.between(0, 1).all()
    np.testing.assert_allclose(
        t.probability, AftershockClassifier.pretrained().probability_from_table(t), rtol=1e-6
    )
    assert (
        main(["aftershocks", "predict", "--slip", str(slip), "--out", str(tmp_path / "map.png")])
        == 0
    )
    assert (tmp_path / "map.png").stat().st_size > 10_000
    assert (
        main(["aftershocks", "predict", "--slip", str(slip), "--out", str(tmp_path / "map.txt")])
        == 2
    )
    assert ".png" in capsys.readouterr().err


def test_evaluate_warns_when_the_catalog_stops_early_and_checks_time(data, tmp_path, capsys):
    slip = data / "slip_models" / "srcmod" / "s1992SYNTHEtest.fsp"
    rows = pd.read_csv(data / "catalogs" / "synthetic.csv")
    short = tmp_path / "short.csv"
    rows[rows.time < "1992-09-01"].to_csv(short, index=False)
    assert (
        main(["aftershocks", "evaluate", "--slip", str(slip), "--catalog", str(short), "--json"])
        == 0
    )
    event = json.loads(capsys.readouterr().out)["events"][0]
    assert "does not cover the label window" in event["warning"]
    assert (
        main(
            [
                "aftershocks",
                "evaluate",
                "--slip",
                str(slip),
                "--catalog",
                str(short),
                "--time",
                "June 28th",
            ]
        )
        == 2
    )
    assert "--time" in capsys.readouterr().err


# -- quakejax invert gps ----------------------------------------------------------------


def _invert_files(tmp_path):
    """A 4 x 2 patch thrust as a Unicycle .flt table (aeqd frame about ORIGIN) and the
    offsets of 40 stations above it in the lldet format (mm), with 2 mm noise."""
    from quakejax.io import LocalFrame
    from quakejax.okada import displacement

    origin = (140.0, 38.0)
    rows = []
    slip = [1.0, 1.0, 3.0, 3.0, 3.0, 3.0, 1.0, 1.0]
    dip, length, width = 30.0, 15e3, 12e3
    for i in range(4):
        for j in range(2):
            x1 = i * length - 2 * length  # north of the start-of-strike top corner
            x2 = j * width * np.cos(np.radians(dip))
            x3 = 1e3 + j * width * np.sin(np.radians(dip))
            n = 2 * i + j
            rows.append(f"{n + 1} {slip[n]} {x1} {x2} {x3} {length} {width} 0 {dip} 90")
    flt = tmp_path / "thrust.flt"
    flt.write_text("# n slip x1 x2 x3 length width strike dip rake\n" + "\n".join(rows) + "\n")
    fault = read_slip_model(flt, origin=origin)
    rng = np.random.default_rng(5)
    xy = rng.uniform(-50e3, 60e3, (40, 2))
    u = np.asarray(displacement(fault, np.c_[xy, np.zeros(40)]))
    u = u + rng.normal(size=u.shape) * 0.002
    lon, lat = LocalFrame(*origin).to_geographic(*xy.T)
    lines = [
        f"{a:.6f} {b:.6f} {e:.3f} {n:.3f} {z:.3f} 2 2 4 0"
        for a, b, (e, n, z) in zip(lon, lat, u * 1e3, strict=True)
    ]
    gps = tmp_path / "offsets.lldet"
    gps.write_text("\n".join(lines) + "\n")
    return flt, gps, fault, origin


def test_invert_gps_json_and_slip_table(tmp_path, capsys):
    flt, gps, fault, origin = _invert_files(tmp_path)
    out = tmp_path / "slip.csv"
    args = ["invert", "gps", "--gps", str(gps), "--fault", str(flt), "--origin", *map(str, origin)]
    rc = main(
        [
            *args,
            "--json",
            "--out",
            str(out),
            "--rake",
            "45",
            "135",
            "--plot",
            str(tmp_path / "f.png"),
        ]
    )
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert {"mw", "wrms", "smoothing", "n_sites", "n_patches"} <= set(res)
    assert res["n_sites"] == 40 and res["n_patches"] == 8
    # The synthetic truth: Mw of the slip that made the data, a fit at the noise level.
    assert res["mw"] == pytest.approx(float(fault.magnitude(3e10)), abs=0.05)
    assert 0.5 < res["wrms"] < 1.5
    table = pd.read_csv(out)
    assert len(table) == 8
    assert table.slip_m.to_numpy() == pytest.approx(
        np.hypot(table.strike_slip_m, table.dip_slip_m), rel=1e-5
    )
    assert table.slip_m.max() == pytest.approx(res["peak_slip_m"], rel=1e-5)
    assert set(np.argsort(table.slip_m.to_numpy())[-4:]) == {2, 3, 4, 5}
    assert (tmp_path / "f.png").stat().st_size > 0
    # Human-readable output names Mw, fit and smoothing.
    assert main([*args, "--smoothing", "0.5", "--rake", "45", "135"]) == 0
    text = capsys.readouterr().out
    assert "Mw" in text and "RMS" in text and "smoothing: 0.5 /m (given)" in text


def test_invert_gps_errors_are_named(tmp_path, capsys):
    flt, gps, _, origin = _invert_files(tmp_path)
    base = ["invert", "gps", "--fault", str(flt), "--origin", *map(str, origin)]
    assert main([*base, "--gps", str(tmp_path / "none.txt")]) == 2
    assert "none.txt: no such GPS file" in capsys.readouterr().err
    assert main([*base, "--gps", str(gps), "--smoothing", "lots"]) == 2
    assert "--smoothing 'lots'" in capsys.readouterr().err
    bad = tmp_path / "bad.lldet"
    bad.write_text(gps.read_text() + "140.1 38.1 nan-ish 1 2 3\n")
    assert main([*base, "--gps", str(bad)]) == 2
    assert "bad.lldet" in capsys.readouterr().err
