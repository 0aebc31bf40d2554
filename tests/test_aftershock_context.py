"""Rupture context: exact point-to-patch distance against dense sampling and simple geometry."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quakejax import FaultModel, RectangularPatch
from quakejax._fault import numpy_geometry
from quakejax.aftershocks import context_features, rupture_distance


def test_vertical_strike_slip_patch_distances():
    # Strike north (x = along strike is north), vertical, 20 km long, 10 km wide, top at 0 m.
    f = RectangularPatch([0.0, 0.0, -5e3], 0.0, 90.0, 20e3, 10e3, [1.0, 0.0, 0.0])
    pts = np.array(
        [
            [3e3, 0.0, -5e3],  # 3 km east of the centre: perpendicular distance
            [0.0, 14e3, -5e3],  # 4 km beyond the northern end, in the plane
            [3e3, 14e3, -14e3],  # beyond the end and the bottom edge: corner distance
            [0.0, 5e3, -2e3],  # on the patch
        ]
    )
    d, j = rupture_distance(f, pts)
    np.testing.assert_allclose(d, [3e3, 4e3, np.sqrt(3e3**2 + 4e3**2 + 4e3**2), 0.0], atol=1e-6)
    assert (j == 0).all()


@settings(max_examples=25, deadline=None)
@given(
    strike=st.floats(0, 360),
    dip=st.floats(5, 90),
    seed=st.integers(0, 2**16),
)
def test_matches_dense_sampling_of_the_patches(strike, dip, seed):
    rng = np.random.default_rng(seed)
    f = FaultModel(
        centroid=np.array([[0.0, 0.0, -8e3], [6e3, 3e3, -9e3]]),
        strike=np.array([strike, strike + 20.0]),
        dip=np.array([dip, max(dip - 3.0, 1.0)]),
        length=np.array([8e3, 5e3]),
        width=np.array([6e3, 4e3]),
        slip=np.array([[1.0, 0.0, 0.0], [0.5, 0.2, 0.0]]),
    )
    pts = rng.uniform([-20e3, -20e3, -30e3], [20e3, 20e3, 0.0], size=(40, 3))
    d, _ = rupture_distance(f, pts)
    geo = numpy_geometry(f)
    u = np.linspace(0, 1, 161)
    samples = []
    for k in range(2):
        c0, c1, _, c3 = geo["corners"][k]
        a, b = np.meshgrid(u, u, indexing="ij")
        samples.append(c0 + a[..., None] * (c1 - c0) + b[..., None] * (c3 - c0))
    s = np.concatenate([x.reshape(-1, 3) for x in samples])
    brute = np.min(np.linalg.norm(pts[:, None] - s[None], axis=-1), axis=1)
    # Sampling spacing is at most 50 m, so brute force overestimates by at most ~36 m.
    assert np.all(d <= brute + 1e-6)
    assert np.all(brute - d < 40.0)


def test_patches_without_slip_are_ignored_and_context_columns():
    f = FaultModel(
        centroid=np.array([[0.0, 0.0, -5e3], [0.0, 30e3, -5e3]]),
        strike=np.zeros(2),
        dip=np.full(2, 90.0),
        length=np.full(2, 10e3),
        width=np.full(2, 10e3),
        slip=np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]),
    )
    pts = np.array([[1e3, 0.0, -5e3]])
    d, j = rupture_distance(f, pts)
    # The slipping patch spans y = 25..35 km: 25 km along strike and 1 km off its plane.
    assert j[0] == 1 and d[0] == pytest.approx(np.hypot(1e3, 25e3))
    ctx = context_features(f, pts)
    assert ctx["nearest_slip_m"][0] == pytest.approx(2.0)
    assert ctx["mean_slip_m"][0] == pytest.approx(1.0)  # equal areas
    assert ctx["rupture_distance_km"][0] == pytest.approx(np.hypot(1.0, 25.0), rel=1e-6)


def test_bad_points_are_named():
    f = RectangularPatch([0.0, 0.0, -5e3], 0.0, 90.0, 1e3, 1e3, [1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"points\[1\]"):
        rupture_distance(f, np.array([[0.0, 0.0, -1.0], [np.nan, 0.0, -1.0]]))
    # (The jaxtyping hook of the test run may reject the shape before the function does.)
    with pytest.raises((ValueError, TypeError), match="shape|n 3"):
        rupture_distance(f, np.zeros((3, 2)))
