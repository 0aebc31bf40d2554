"""Interpretation tools: exact identities and known answers, not the network's own numbers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from quakejax.aftershocks import AftershockClassifier, DeVriesNet, build_grid
from quakejax.aftershocks.interpret import (
    explained_variance,
    idealised_fault,
    integrated_gradients,
    invariant_terms,
    stepwise_regression,
    stress_sensitivity,
)
from quakejax.stress import von_mises


def _model(seed=0):
    return AftershockClassifier(DeVriesNet(jax.random.PRNGKey(seed)), "devries")


def _sym(rng, n):
    a = rng.normal(size=(n, 3, 3)) * 1e6
    return 0.5 * (a + np.swapaxes(a, 1, 2))


def test_explained_variance_of_exact_and_unrelated_functions():
    rng = np.random.default_rng(0)
    m = 10 ** rng.uniform(-3, 1, 5000)
    ev = explained_variance(np.tanh(np.log10(m)), m)  # a monotone function of the metric
    assert ev["function"] > 0.99 and ev["linear"] > 0.8
    noise = explained_variance(rng.normal(size=5000), m)
    assert noise["function"] < 0.03 and noise["linear"] < 0.01
    with pytest.raises(ValueError, match="sizes"):
        explained_variance(np.ones(10), np.ones(11))


def test_integrated_gradients_complete_and_sensitivity_matches_finite_differences():
    model = _model()
    rng = np.random.default_rng(1)
    s = jnp.asarray(_sym(rng, 6))
    ig = integrated_gradients(model, s, steps=256)
    change = jax.vmap(model.logit)(s) - model.logit(jnp.zeros((3, 3)))
    np.testing.assert_allclose(ig.sum(axis=(1, 2)), change, rtol=2e-3, atol=1e-6)
    g = stress_sensitivity(model, s)
    e = np.zeros((3, 3))
    e[2, 2] = 1.0
    h = 10.0
    e = jnp.asarray(e)[None]
    fd = (jax.vmap(model.logit)(s + h * e) - jax.vmap(model.logit)(s - h * e)) / (2 * h)
    np.testing.assert_allclose(g[:, 2, 2], fd, rtol=1e-4, atol=1e-14)


def test_invariant_terms_and_stepwise_regression_recover_a_known_law():
    rng = np.random.default_rng(2)
    s = _sym(rng, 3000) * 10 ** rng.uniform(-2, 1, (3000, 1, 1))
    t = invariant_terms(s)
    np.testing.assert_allclose(10 ** t["log_q"], von_mises(s) / 1e6, rtol=1e-6)
    # A target built from two known terms: the regression must pick exactly those.
    target = 1.5 * t["log_q"] - 0.7 * t["c"] + 0.2
    steps = stepwise_regression(target, t, max_terms=3)
    assert set(steps[1]["terms"]) == {"log_q", "c"} and steps[1]["r2"] > 1 - 1e-10
    assert steps[1]["coef"]["log_q"] == pytest.approx(1.5)
    assert steps[1]["coef"]["c"] == pytest.approx(-0.7)


def test_idealised_faults_build_their_grids():
    for kind in ("strike-slip", "thrust"):
        f = idealised_fault(kind)
        assert f.n_patches == 1 and float(jnp.linalg.norm(f.slip)) == pytest.approx(1.0)
        assert len(build_grid(f)) > 1000
    with pytest.raises(ValueError, match="kind"):
        idealised_fault("normal-ish")
