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
