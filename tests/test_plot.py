"""quakejax.plot draws what it is given (Agg backend, no display)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import quakejax as qj  # noqa: E402
from quakejax import plot  # noqa: E402
from quakejax.aftershocks import GridSpec, build_grid, grid_table  # noqa: E402


def _fault():
    c = np.array([[0.0, -5e3, -8e3], [0.0, 5e3, -8e3], [3e3, 0.0, -12e3]])
    return qj.FaultModel.from_rake(
        c, [0.0, 0.0, 10.0], [90.0, 90.0, 45.0], 10e3, 8e3, [1.0, 2.0, 3.0], 180.0
    )


def test_slip_views_draw_one_polygon_per_patch():
    f = _fault()
    for view in ("map", "section"):
        fig, ax = plt.subplots()
        plot.plot_slip(f, ax=ax, view=view)
        polys = ax.collections[0]
        assert len(polys.get_paths()) == 3
        np.testing.assert_allclose(polys.get_array(), [1.0, 2.0, 3.0])
        plt.close(fig)
    with pytest.raises(ValueError, match="view"):
        plot.plot_slip(f, view="3d")


def test_stress_map_and_section():
    f = _fault()
    g = build_grid(f, GridSpec(radius=15e3, depth_bottom=10e3, n_layers=2))
    counts = np.zeros(len(g), int)
    counts[:3] = 1
    feats = {
        "von_mises": np.linspace(1.0, 1e6, len(g)),
        "stresses_full_cfs": np.linspace(-1e5, 1e5, len(g)),
    }
    table = grid_table(g, feats, counts)
    fig, ax = plt.subplots()
    plot.plot_stress_map(
        table, "von_mises", depth_km=2.5, aftershocks=np.array([[0.0, 0.0, -2.5e3]]), fault=f, ax=ax
    )
    n_layer = int(np.isclose(table["z"], -2.5).sum())
    assert len(ax.collections[0].get_paths()) == n_layer
    plt.close(fig)
    fig, ax = plt.subplots()
    plot.plot_stress_section(table, "stresses_full_cfs", azimuth=90.0, ax=ax)
    assert len(ax.collections[0].get_paths()) > 0
    plt.close(fig)
