"""build_event_table: labels from a catalog, the label window, mainshock matching."""

import numpy as np
import pytest

import quakejax as qj
from quakejax.aftershocks import (
    GridSpec,
    LabelSpec,
    build_event_table,
    choose_catalog,
    match_mainshock,
)
from quakejax.io import Catalog, LocalFrame

ORIGIN = (-117.0, 34.0)
SPEC = GridSpec(radius=20e3, depth_bottom=20e3, n_layers=4)


def _fault(time="2001-02-03"):
    info = qj.EventInfo(tag="TEST", time=time, hypocentre=(-117.0, 34.0, 8.0), origin=ORIGIN)
    c = np.array([[0.0, -5e3, -8e3], [0.0, 5e3, -8e3]])
    return qj.FaultModel.from_rake(c, 0.0, 90.0, 10e3, 10e3, 1.0, 180.0, info=info)


def _catalog(points, times, mags):
    lon, lat = LocalFrame(*ORIGIN).to_geographic(points[:, 0], points[:, 1])
    return Catalog(np.array(times, dtype="datetime64[ms]"), lon, lat, -points[:, 2], mags, name="t")


def test_labels_follow_the_window_and_magnitude_cut():
    fault = _fault()
    t0 = np.datetime64("2001-02-03T04:05:06.000")
    cell_a = np.array([12.5e3, 2.5e3, -7.5e3])  # a cell centroid
    cell_b = np.array([-12.5e3, -7.5e3, -12.5e3])
    pts = np.array(
        [[0.0, 0.0, -8e3], cell_a, cell_a + 100.0, cell_b, cell_b, cell_b, [400e3, 0, -5e3]]
    )
    s = np.timedelta64(1000, "ms")
    times = [
        t0,
        t0 + 2 * s,
        t0 + 3 * s,
        t0 + s // 2,
        t0 + 366 * 86_400 * s,
        t0 + 10 * s,
        t0 + 5 * s,
    ]
    mags = [6.8, 3.0, 3.1, 3.0, 3.0, 1.0, 4.0]
    cat = _catalog(pts, times, mags)
    t, source, dt, km, mag = match_mainshock(fault, cat)
    assert (t, source, mag) == (t0, "catalog", 6.8) and km < 1.0 and dt == pytest.approx(14706.0)
    table, summ = build_event_table(fault, cat, spec=SPEC, dtype=np.float64)
    grid_xyz = table[["x", "y", "z"]].to_numpy() * 1e3
    row_a = np.argmin(np.linalg.norm(grid_xyz - cell_a, axis=1))
    row_b = np.argmin(np.linalg.norm(grid_xyz - cell_b, axis=1))
    counts = table["grid_aftershock_count"].to_numpy()
    # cell_a: two events at +2 s and +3 s; cell_b: only the M1.0 at +10 s (0.5 s and 366 d
    # fall outside the window); the mainshock itself (t0) is excluded; 400 km is off-grid.
    assert counts[row_a] == 2 and counts[row_b] == 1 and counts.sum() == 3
    assert summ.positives == 2 and summ.events_in_window == 3
    table2, summ2 = build_event_table(
        fault, cat, spec=SPEC, labels=LabelSpec(min_magnitude=2.0), dtype=np.float64
    )
    assert table2["grid_aftershock_count"].sum() == 2 and summ2.positives == 1
    # The features are the stress functions of the blocked Okada stress at the centroids.
    sig = np.asarray(qj.okada.stress(fault, grid_xyz[:50]))
    np.testing.assert_allclose(table["stresses_full_xz"][:50], sig[:, 0, 2], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(table["von_mises"][:50], qj.stress.von_mises(sig), rtol=1e-9)


def test_unmatched_date_and_choice_of_catalog():
    fault = _fault("2001-02-03")
    far = _catalog(np.array([[900e3, 0.0, -5e3]]), ["2001-02-03T01:00:00"], [7.0])
    t, source, *_ = match_mainshock(fault, far)
    assert t == np.datetime64("2001-02-03") and source == "date"
    t, source, *_ = match_mainshock(_fault("2001-02-03T04:05:06"), far)
    assert t == np.datetime64("2001-02-03T04:05:06") and source == "file"
    near = _catalog(
        np.array([[12.5e3, 2.5e3, -7.5e3]] * 4),
        ["2000-12-01", "2001-03-01", "2001-06-01", "2002-01-25"],
        [3.0] * 4,
    )
    short = _catalog(
        np.array([[12.5e3, 2.5e3, -7.5e3]] * 5), ["2000-12-01"] + ["2001-03-01"] * 4, [3.0] * 5
    )
    name, scores = choose_catalog(fault, {"far": far, "near": near, "short": short}, spec=SPEC)
    # "short" has more events but ends a month after the mainshock: it does not cover the year
    # (a catalog must reach 95% of the window).
    assert name == "near" and scores == {"near": (3, 3)}
    with pytest.raises(ValueError, match="no geographic origin"):
        build_event_table(
            qj.FaultModel(
                fault.centroid, fault.strike, fault.dip, fault.length, fault.width, fault.slip
            ),
            None,
        )
