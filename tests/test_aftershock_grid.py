"""The DeVries cell grid, cell features, labels and grid tables."""

import numpy as np
import pandas as pd
import pytest

import quakejax as qj
from quakejax.aftershocks import (
    GridSpec,
    build_grid,
    cell_features,
    cell_stress,
    grid_table,
    read_grid_table,
    stress_features,
    write_grid_table,
)


def _fault():
    # Two 10 km x 10 km patches along strike north, 5-15 km depth range.
    c = np.array([[0.0, -5e3, -10e3], [0.0, 5e3, -10e3]])
    return qj.FaultModel.from_rake(c, 0.0, 90.0, 10e3, 10e3, 1.0, 180.0)


def test_grid_is_the_union_of_circles_around_corners():
    f = _fault()
    spec = GridSpec(cell_size=5e3, radius=20e3, depth_bottom=20e3, n_layers=4)
    g = build_grid(f, spec)
    corners = np.asarray(f.corners).reshape(-1, 3)[:, :2]
    c = np.asarray(g.centroid)
    d = np.min(np.linalg.norm(c[:, None, :2] - corners[None], axis=-1), axis=1)
    assert (d <= 20e3 + 1e-6).all()
    # Brute force: every cell centre of the bounding lattice within the radius is present.
    ii = np.arange(-20, 20)
    xy = np.stack(np.meshgrid((ii + 0.5) * 5e3, (ii + 0.5) * 5e3), -1).reshape(-1, 2)
    dd = np.min(np.linalg.norm(xy[:, None] - corners[None], axis=-1), axis=1)
    assert len(g) == 4 * int((dd <= 20e3).sum())
    np.testing.assert_allclose(np.unique(c[:, 2]), [-17.5e3, -12.5e3, -7.5e3, -2.5e3])
    assert np.all(np.abs(c[:, :2] / 5e3 - 0.5) % 1 < 1e-9)
    # Locate and count.
    rows = g.locate(c[[3, 10]] + 1.0)
    assert rows.tolist() == [3, 10]
    assert g.locate(np.array([[0.0, 0.0, 1.0], [0.0, 0.0, -60e3], [1e6, 0, -1e3]])).tolist() == [
        -1,
        -1,
        -1,
    ]
    counts = g.count(np.concatenate([c[[5, 5, 7]], [[1e6, 0.0, -1e3]]]))
    assert counts.sum() == 3 and counts[5] == 2 and counts[7] == 1


def test_grid_spec_validation():
    with pytest.raises(ValueError, match="cell_size"):
        GridSpec(cell_size=0.0)
    with pytest.raises(ValueError, match="depth_top < depth_bottom"):
        GridSpec(depth_top=10e3, depth_bottom=5e3)
    with pytest.raises(ValueError, match="n_layers"):
        GridSpec(n_layers=0)


def test_blocked_cell_stress_equals_okada_stress():
    f = _fault()
    g = build_grid(f, GridSpec(radius=15e3, depth_bottom=10e3, n_layers=2))
    ref = np.asarray(qj.okada.stress(f, g.centroid))
    got = cell_stress(f, g.centroid)
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


def test_features_match_the_stress_functions():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(7, 3, 3)) * 1e5
    sig = a + np.swapaxes(a, 1, 2)
    rec = (20.0, 70.0, -30.0)
    feats = stress_features(sig, rec, friction=0.4)
    np.testing.assert_allclose(feats["stresses_full_xy"], sig[:, 0, 1])
    np.testing.assert_allclose(feats["stresses_full_yz"], sig[:, 1, 2])
    np.testing.assert_allclose(
        feats["stresses_full_cfs"], qj.stress.coulomb_stress_change(sig, *rec, 0.4)
    )
    np.testing.assert_allclose(feats["von_mises"], qj.stress.von_mises(sig))
    np.testing.assert_allclose(
        feats["stresses_full_cfs"],
        feats["stresses_full_cfs_shear_only"] + 0.4 * feats["stresses_full_cfs_normal"],
    )
    assert np.all(
        feats["stresses_full_cfs_total_shear"]
        >= np.abs(feats["stresses_full_cfs_shear_only"]) - 1e-6
    )
    blocked = cell_features(sig, rec)
    for k, v in feats.items():
        np.testing.assert_allclose(blocked[k], v, rtol=1e-12, err_msg=k)


def test_grid_table_round_trip_and_the_authors_columns(tmp_path):
    f = _fault()
    g = build_grid(f, GridSpec(radius=10e3, depth_bottom=10e3, n_layers=2))
    sig = cell_stress(f, g.centroid)
    feats = cell_features(sig, (0.0, 90.0, 180.0))
    counts = np.zeros(len(g), int)
    counts[[1, 4]] = [3, 1]
    table = grid_table(g, feats, counts, frame=qj.io.LocalFrame(-117.0, 34.0))
    assert table["aftershocksyn"].sum() == 2 and table["grid_aftershock_count"].sum() == 4
    assert list(table.columns[:4]) == ["grid_id", "x", "y", "z"]
    files = write_grid_table(table, tmp_path / "EVENT_grid")
    assert [p.suffix for p in files] == [".parquet", ".csv"]
    for p in files:
        back = read_grid_table(p)
        np.testing.assert_allclose(back["stresses_full_xx"], table["stresses_full_xx"], rtol=1e-7)
        assert back["aftershocksyn"].tolist() == table["aftershocksyn"].tolist()
    # A table written with the authors' field names (FieldsToWrite): no aftershocksyn column,
    # a grid_aftershock_count instead, quoted with spaces as their CSVs are.
    names = ["grid_id", "x", "y", "z"] + [
        f"stresses_full_{c}" for c in ("xx", "xy", "xz", "yy", "yz", "zz")
    ]
    rows = [
        [0, -2.5, 2.5, -2.5] + [1e5, 2e5, 3e5, 4e5, 5e5, 6e5] + [0],
        [1, 2.5, 2.5, -2.5] + [0] * 6 + [2],
    ]
    authors = pd.DataFrame(rows, columns=names + ["grid_aftershock_count"])
    path = tmp_path / "1992LANDER01WALD_grid.csv"
    authors.to_csv(path, index=False, sep=",")
    back = read_grid_table(path)
    assert back["aftershocksyn"].tolist() == [0, 1]
    assert back["stresses_full_zz"].tolist() == [6e5, 0.0]


def test_read_grid_table_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad_grid.csv"
    bad.write_text("x,y,z,stresses_full_xx\n1,2,3,4\n")
    with pytest.raises(ValueError, match=r"bad_grid.csv.*missing.*stresses_full_xy"):
        read_grid_table(bad)
    comps = ",".join(f"stresses_full_{c}" for c in ("xx", "xy", "xz", "yy", "yz", "zz"))
    cols = f"x,y,z,{comps},aftershocksyn"
    bad.write_text(cols + "\n1,2,3,4,5,6,7,8,9,0\n1,2,3,oops,5,6,7,8,9,1\n")
    with pytest.raises(ValueError, match=r"bad_grid.csv: line 3: column 'stresses_full_xx'"):
        read_grid_table(bad)
    bad.write_text(cols + "\n1,2,3,4,5,6,7,8,9,2\n")
    with pytest.raises(ValueError, match="0 or 1"):
        read_grid_table(bad)


def test_roc_auc_against_pairwise_counting():
    from quakejax.aftershocks import roc_auc

    rng = np.random.default_rng(4)
    s = np.round(rng.normal(size=200), 1)  # rounded: many ties
    y = (rng.random(200) < 0.3).astype(int)
    pos, neg = s[y == 1], s[y == 0]
    brute = np.mean((pos[:, None] > neg[None]) + 0.5 * (pos[:, None] == neg[None]))
    assert float(roc_auc(s, y)) == pytest.approx(brute, rel=1e-12)
    # The jitted (JAX) path and the eager (numpy) path give the same statistic.
    import jax

    assert float(jax.jit(roc_auc)(s, y)) == pytest.approx(brute, rel=1e-12)
    assert np.isnan(float(jax.jit(roc_auc)(s, np.zeros(200))))
    assert float(roc_auc(y, y)) == 1.0 and float(roc_auc(-y, y)) == 0.0
    assert np.isnan(float(roc_auc(s, np.zeros(200))))
    with pytest.raises(ValueError, match="not finite"):
        roc_auc(np.array([0.0, np.nan]), np.array([0, 1]))
    with pytest.raises(ValueError, match="0 or 1"):
        roc_auc(np.array([0.0, 1.0]), np.array([0, 2]))


def test_scores_against_scikit_learn_jit_and_vmap():
    import jax

    from quakejax.aftershocks import average_precision, roc_auc, roc_curve

    metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn not installed")
    rng = np.random.default_rng(5)
    # Lengths padded inside (to 1024 and 2048) and one that is not (1024).
    for n, decimals in [(50, 0), (500, 1), (1024, 2), (2000, 3)]:
        s = np.round(rng.normal(size=n), decimals)
        y = (rng.random(n) < 0.2 + 0.3 * (s > 0)).astype(int)
        assert float(roc_auc(s, y)) == pytest.approx(metrics.roc_auc_score(y, s), rel=1e-12)
        assert float(average_precision(s, y)) == pytest.approx(
            metrics.average_precision_score(y, s), rel=1e-12
        )
        fpr, tpr, thr = roc_curve(s, y)
        f2, t2, _ = metrics.roc_curve(y, s, drop_intermediate=False)
        np.testing.assert_allclose(fpr, f2, atol=1e-15)
        np.testing.assert_allclose(tpr, t2, atol=1e-15)
        assert np.trapezoid(tpr, fpr) == pytest.approx(float(roc_auc(s, y)), rel=1e-12)
    batch = rng.normal(size=(4, 300))
    labels = (rng.random((4, 300)) < 0.3).astype(float)
    vm = jax.jit(jax.vmap(roc_auc))(batch, labels)
    np.testing.assert_allclose(
        vm, [metrics.roc_auc_score(labels[i], batch[i]) for i in range(4)], rtol=1e-12
    )
