"""Aftershock-driven slip inversion: the slip -> stress -> classifier -> labels likelihood
against the forward code paths it must reproduce (Okada stress, the grid context, the
classifier's own probabilities), finite-difference gradients, the GPS-only limit (which
must equal `invert_slip`) and recovery of a known slip from labels drawn from it."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import quakejax as qj
from quakejax.aftershocks import (
    CONTEXT_COLUMNS,
    AftershockClassifier,
    GridSpec,
    build_grid,
    context_features,
)
from quakejax.inversion import (
    aftershock_likelihood,
    aftershock_sensitivity,
    invert_aftershocks,
    invert_slip,
)
from quakejax.io import GPSData, LocalFrame
from quakejax.okada import displacement_greens, stress

ORIGIN = (140.0, 38.0)


def fault_3x2(slip=None):
    info = qj.EventInfo(origin=ORIGIN)
    return qj.FaultModel.planar((0.0, 0.0, -1e3), 0, 45, 36e3, 20e3, 3, 2, slip=slip, info=info)


TRUE_SLIP = np.array([[0.1, 0.4], [0.0, 0.3], [0.3, 3.0], [0.2, 2.5], [0.0, 0.4], [0.1, 0.2]])


@pytest.fixture(scope="module")
def setup():
    """A 3 x 2 patch thrust, a 5 km cell grid around it, labels drawn from the pretrained
    classifier's (stress-only) probabilities for `TRUE_SLIP`."""
    fault = fault_3x2()
    grid = build_grid(fault, GridSpec(cell_size=3e3, radius=25e3, depth_bottom=20e3, n_layers=4))
    pts = np.asarray(grid.centroid, float)
    clf = AftershockClassifier.pretrained("devries")
    blank = aftershock_likelihood(fault, pts, np.zeros(len(pts)), classifier=clf, dtype=np.float64)
    p_true = np.asarray(blank.probability(TRUE_SLIP))
    labels = np.random.default_rng(3).random(len(pts)) < p_true
    lik = aftershock_likelihood(fault, pts, labels, classifier=clf, dtype=np.float64)
    return fault, pts, labels, lik, p_true


def test_stress_and_context_reproduce_the_forward_paths(setup):
    fault, pts, _, lik, _ = setup
    slipped = fault.with_slip(np.c_[TRUE_SLIP, np.zeros(6)])
    want = np.asarray(stress(slipped, pts, mu=3e10, lam=3e10))
    got = np.asarray(lik.stress(TRUE_SLIP))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * np.abs(want).max())
    ctx = context_features(slipped, pts)
    np.testing.assert_allclose(
        np.asarray(lik.context(TRUE_SLIP)),
        np.stack([ctx[c] for c in CONTEXT_COLUMNS], 1),
        rtol=1e-6,
    )


@pytest.mark.parametrize("name", ["devries", "invariant_context"])
def test_log_likelihood_is_the_bernoulli_likelihood_of_the_classifier(setup, name):
    fault, pts, labels, lik, _ = setup
    clf = AftershockClassifier.pretrained(name)
    if name != "devries":
        lik = aftershock_likelihood(fault, pts, labels, classifier=clf, dtype=np.float64)
    slipped = fault.with_slip(np.c_[TRUE_SLIP, np.zeros(6)])
    context = None
    if clf.needs_context:
        ctx = context_features(slipped, pts)
        context = np.stack([ctx[c] for c in CONTEXT_COLUMNS], 1)
    p = np.asarray(clf.probability(np.asarray(stress(slipped, pts, lam=3e10)), context), float)
    want = np.sum(np.where(labels, np.log(p), np.log1p(-p)))
    assert float(lik.log_likelihood(TRUE_SLIP)) == pytest.approx(want, rel=1e-5)


def test_likelihood_gradient_matches_finite_differences(setup):
    *_, lik, _ = setup
    s0 = jnp.asarray(TRUE_SLIP)
    g = np.asarray(jax.grad(lik.log_likelihood)(s0))
    h = 1e-6
    for i, k in [(0, 1), (2, 1), (3, 0), (5, 1)]:
        e = np.zeros((6, 2))
        e[i, k] = h
        fd = (float(lik.log_likelihood(s0 + e)) - float(lik.log_likelihood(s0 - e))) / (2 * h)
        assert g[i, k] == pytest.approx(fd, rel=1e-4, abs=1e-6)


def test_sensitivity_matches_finite_differences(setup):
    *_, lik, _ = setup
    cells = np.arange(40, 60)
    g = aftershock_sensitivity(lik, TRUE_SLIP, cells)

    def mean_p(s):
        return float(np.mean(np.asarray(lik.probability(s))[cells]))

    h = 1e-6
    for i, k in [(2, 1), (4, 0)]:
        e = np.zeros((6, 2))
        e[i, k] = h
        assert g[i, k] == pytest.approx(
            (mean_p(TRUE_SLIP + e) - mean_p(TRUE_SLIP - e)) / (2 * h), rel=1e-4, abs=1e-8
        )
    mask = np.zeros(lik.n_cells, bool)
    mask[cells] = True
    np.testing.assert_allclose(aftershock_sensitivity(lik, TRUE_SLIP, mask), g)


@pytest.mark.parametrize("offset", [0.0, -1.5])
def test_labels_drawn_from_a_slip_recover_it(setup, offset):
    fault, _, _, lik, _ = setup
    p = np.asarray(lik.probability(TRUE_SLIP, offset))
    labels = np.random.default_rng(4).random(p.size) < p
    lik = eqx.tree_at(lambda lk: lk.labels, lik, jnp.asarray(labels, lik.labels.dtype))
    want = np.linalg.norm(TRUE_SLIP, axis=1)
    inv = invert_aftershocks(
        fault, lik, smoothing=0.3, rake=(60, 120), steps=600, learning_rate=0.1
    )
    got = np.linalg.norm(inv.slip, axis=1)
    # The estimate fits its labels at least as well as the truth does ...
    truth_ll = float(lik.log_likelihood(TRUE_SLIP, offset))
    assert inv.log_likelihood >= truth_ll - 1.0
    assert float(lik.log_likelihood(inv.slip, inv.offset)) == pytest.approx(inv.log_likelihood)
    # ... puts the large slip where it was, and finds the event-wide rate offset.
    assert np.corrcoef(got, want)[0, 1] > 0.85
    assert set(np.argsort(got)[-2:]) == {2, 3}
    assert inv.offset == pytest.approx(offset, abs=0.5)
    assert inv.history[-1] < inv.history[0]


def test_offset_shifts_every_logit(setup):
    *_, lik, _ = setup
    z = np.asarray(lik.logit(TRUE_SLIP), float)
    y = np.asarray(lik.labels) > 0
    p = 1.0 / (1.0 + np.exp(-(z - 0.7)))
    want = np.sum(np.where(y, np.log(p), np.log1p(-p)))
    assert float(lik.log_likelihood(TRUE_SLIP, -0.7)) == pytest.approx(want, rel=1e-9)


def test_gps_only_limit_equals_invert_slip():
    rng = np.random.default_rng(1)
    fault = fault_3x2()
    truth = np.c_[rng.uniform(0.2, 2.0, (6, 2)), np.zeros(6)]
    xy = rng.uniform(-50e3, 60e3, (30, 2))
    g = np.asarray(displacement_greens(fault, np.c_[xy, np.zeros(30)]))
    u = (g @ truth[:, :2].reshape(-1)).reshape(-1, 3)
    sigma = np.full(u.shape, 0.005)
    lon, lat = LocalFrame(*ORIGIN).to_geographic(*xy.T)
    gps = GPSData(lon, lat, u + rng.normal(size=u.shape) * sigma, sigma, np.ones(u.shape, bool))
    ref = invert_slip(fault, gps, smoothing=0.3, rake=(0, 90), greens=g)
    got = invert_aftershocks(
        fault,
        None,
        gps=gps,
        gps_greens=g,
        smoothing=0.3,
        rake=(0, 90),
        steps=4000,
        learning_rate=0.05,
    )
    np.testing.assert_allclose(got.slip, ref.slip, atol=2e-3 * np.abs(ref.slip).max())
    assert got.gps_chi2 == pytest.approx(ref.chi2, rel=1e-3)
    np.testing.assert_allclose(got.predicted, ref.predicted, atol=1e-4)


def test_bad_input_is_named(setup):
    fault, pts, labels, lik, _ = setup
    above = pts.copy()
    above[5, 2] = 10.0
    with pytest.raises(ValueError, match=r"points\[5\].*above the free surface"):
        aftershock_likelihood(fault, above, labels)
    nan = pts.copy()
    nan[2, 0] = np.nan
    with pytest.raises(ValueError, match=r"points\[2\] is not finite"):
        aftershock_likelihood(fault, nan, labels)
    with pytest.raises(ValueError, match="labels must have shape"):
        aftershock_likelihood(fault, pts, labels[:-1])
    with pytest.raises(ValueError, match="labels, GPS data, or both"):
        invert_aftershocks(fault, None)
    with pytest.raises(ValueError, match="smoothing"):
        invert_aftershocks(fault, lik, smoothing=-1.0)
    with pytest.raises(ValueError, match="init"):
        invert_aftershocks(fault, lik, rake=(60, 120), init=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="cells"):
        aftershock_sensitivity(lik, TRUE_SLIP, [lik.n_cells])
    with pytest.raises(ValueError, match="built for 6 patches"):
        invert_aftershocks(qj.FaultModel.planar((0, 0, -1e3), 0, 45, 9e3, 9e3, 1, 1), lik)


def test_subsets_weight_the_cells_they_keep(setup):
    *_, lik, _ = setup
    z = np.asarray(lik.logit(TRUE_SLIP), float)
    y = np.asarray(lik.labels) > 0
    per_cell = np.where(y, -np.log1p(np.exp(-z)), -np.log1p(np.exp(z)))
    assert float(lik.sample_negatives(1.0).log_likelihood(TRUE_SLIP)) == pytest.approx(
        per_cell.sum(), rel=1e-6
    )
    half = lik.sample_negatives(0.5, seed=2)
    keep = np.random.default_rng(2).random(y.size) < 0.5
    kept = y | keep
    want = per_cell[y].sum() + 2.0 * per_cell[kept & ~y].sum()
    assert half.n_cells == kept.sum()
    assert float(half.log_likelihood(TRUE_SLIP)) == pytest.approx(want, rel=1e-6)
    with pytest.raises(ValueError, match="rate"):
        lik.sample_negatives(0.0)
    with pytest.raises(ValueError, match="subset"):
        lik.subset([lik.n_cells])
