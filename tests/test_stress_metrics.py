"""Stress tensors and scalar metrics against analytic cases."""

import jax
import numpy as np
import pytest

from quakejax.stress import (
    invariants,
    max_shear,
    principal_stresses,
    strain_from_gradient,
    stress_from_gradient,
    von_mises,
)

from ._geometry import random_rotation


def test_uniaxial_and_pure_shear():
    uni = np.diag([5.0, 0.0, 0.0])
    assert float(von_mises(uni)) == pytest.approx(5.0)
    assert float(max_shear(uni)) == pytest.approx(2.5)
    shear = np.array([[0.0, 3.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    assert float(von_mises(shear)) == pytest.approx(np.sqrt(3.0) * 3.0)
    assert float(max_shear(shear)) == pytest.approx(3.0)
    np.testing.assert_allclose(principal_stresses(shear), [3.0, 0.0, -3.0], atol=1e-12)
    hydro = -2.0 * np.eye(3)
    assert float(von_mises(hydro)) == 0.0 and abs(float(max_shear(hydro))) < 1e-12
    i1, j2, _ = invariants(hydro)
    assert float(i1) == pytest.approx(-6.0) and float(j2) == 0.0


def test_scalar_metrics_are_rotation_invariant(rng):
    sig = rng.normal(size=(20, 3, 3))
    sig = sig + np.swapaxes(sig, 1, 2)
    rot = random_rotation(rng)
    rotated = rot @ sig @ rot.T
    for f in (von_mises, max_shear):
        np.testing.assert_allclose(f(rotated), f(sig), rtol=1e-12)
    for a, b in zip(invariants(rotated), invariants(sig), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_hooke_law_and_strain():
    grad = np.array([[1e-6, 2e-6, 0.0], [0.0, -1e-6, 0.0], [0.0, 0.0, 0.5e-6]])
    eps = np.asarray(strain_from_gradient(grad))
    np.testing.assert_allclose(eps, [[1e-6, 1e-6, 0], [1e-6, -1e-6, 0], [0, 0, 0.5e-6]])
    mu, lam = 3e10, 2e10
    sig = np.asarray(stress_from_gradient(grad, mu=mu, lam=lam))
    np.testing.assert_allclose(sig, lam * np.trace(eps) * np.eye(3) + 2 * mu * eps)


def test_metric_gradients_are_finite_at_zero_and_degenerate_stress():
    for sigma in (np.zeros((3, 3)), np.eye(3), np.diag([1.0, 1.0, 0.0])):
        assert np.isfinite(np.asarray(jax.grad(von_mises)(sigma))).all()
        assert np.isfinite(np.asarray(jax.grad(max_shear)(sigma))).all()
