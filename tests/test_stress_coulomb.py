"""Tractions, Coulomb stress, Lode angle and the mean receiver against analytic cases."""

import jax
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import quakejax as qj
from quakejax.stress import (
    coulomb_stress_change,
    lode_angle,
    max_coulomb_stress,
    mean_receiver,
    normal_and_shear,
    optimal_coulomb_stress_change,
    principal_stresses,
    receiver_vectors,
    sum_abs_components,
    tensor_invariants,
    traction,
)

from ._geometry import random_rotation


def _sym(rng, n):
    a = rng.normal(size=(n, 3, 3))
    return a + np.swapaxes(a, 1, 2)


def test_receiver_vectors_match_fault_model_and_known_planes():
    # Vertical north-striking plane: normal east; rake 0 (left-lateral) moves the east side north.
    n, s = receiver_vectors(0.0, 90.0, 0.0)
    np.testing.assert_allclose(n, [1, 0, 0], atol=1e-15)
    np.testing.assert_allclose(s, [0, 1, 0], atol=1e-15)
    # 45-degree thrust striking east, dipping south: hanging wall moves up dip (north and up).
    n, s = receiver_vectors(90.0, 45.0, 90.0)
    np.testing.assert_allclose(n, [0, -np.sqrt(0.5), np.sqrt(0.5)], atol=1e-15)
    np.testing.assert_allclose(s, [0, np.sqrt(0.5), np.sqrt(0.5)], atol=1e-15)
    f = qj.FaultModel(
        np.array([[0.0, 0.0, -5e3]] * 3),
        [10.0, 200.0, 300.0],
        [30.0, 60.0, 89.0],
        1e3,
        1e3,
        np.zeros((3, 3)),
    )
    n, _ = receiver_vectors(f.strike, f.dip, 0.0)
    np.testing.assert_allclose(n, f.normal_vector, atol=1e-14)


def test_coulomb_on_simple_stress_states():
    tau, p = 2.0e6, -1.0e6
    # sigma_EN drives left-lateral slip on a north-striking vertical plane.
    sig = np.array([[p, tau, 0.0], [tau, 0.0, 0.0], [0.0, 0.0, 0.0]])
    assert float(coulomb_stress_change(sig, 0.0, 90.0, 0.0, 0.4)) == pytest.approx(tau + 0.4 * p)
    assert float(coulomb_stress_change(sig, 0.0, 90.0, 180.0, 0.4)) == pytest.approx(-tau + 0.4 * p)
    # The same plane described with the strike flipped (dip to the west) is the same plane.
    assert float(coulomb_stress_change(sig, 180.0, 90.0, 0.0, 0.4)) == pytest.approx(tau + 0.4 * p)
    sn, t, ttot = normal_and_shear(sig, np.array([1.0, 0, 0]), np.array([0, 0, 1.0]))
    assert (float(sn), float(t), float(ttot)) == pytest.approx((p, 0.0, tau))
    np.testing.assert_allclose(traction(sig, np.array([0, 1.0, 0])), [tau, 0, 0])


@given(strike=st.floats(0, 360), dip=st.floats(1, 90), rake=st.floats(-180, 180))
def test_coulomb_is_frame_independent(strike, dip, rake):
    rng = np.random.default_rng(1)
    sig = _sym(rng, 1)[0] * 1e6
    value = float(coulomb_stress_change(sig, strike, dip, rake, 0.6))
    # Rotate the stress about the vertical axis by a, and the receiver's strike by a as well.
    a = 37.0
    c, s = np.cos(np.radians(a)), np.sin(np.radians(a))
    rot = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])  # clockwise by a, seen from above
    n, sv = receiver_vectors(strike + a, dip, rake)
    np.testing.assert_allclose(
        rot @ np.asarray(receiver_vectors(strike, dip, rake)[0]), n, atol=1e-12
    )
    assert float(
        coulomb_stress_change(rot @ sig @ rot.T, strike + a, dip, rake, 0.6)
    ) == pytest.approx(value, rel=1e-10, abs=1e-6)


def test_lode_angle_and_invariants():
    for sig, theta in [
        (np.diag([1.0, 0, 0]), 0.0),  # uniaxial tension
        (np.diag([-1.0, 0, 0]), np.pi / 3),  # uniaxial compression
        (np.array([[0, 1.0, 0], [1.0, 0, 0], [0, 0, 0]]), np.pi / 6),  # pure shear
    ]:
        assert float(lode_angle(sig)) == pytest.approx(theta, abs=1e-7)
    rng = np.random.default_rng(3)
    sig = _sym(rng, 30)
    th = np.asarray(lode_angle(sig))
    i1, _, _ = tensor_invariants(sig)
    s = sig - (np.asarray(i1) / 3)[:, None, None] * np.eye(3)
    j2 = 0.5 * np.sum(s * s, axis=(1, 2))
    k = np.arange(3)
    recon = (
        2 * np.sqrt(j2 / 3)[:, None] * np.cos(th[:, None] - 2 * np.pi * k / 3)
        + np.asarray(i1)[:, None] / 3
    )
    np.testing.assert_allclose(np.sort(recon, 1)[:, ::-1], principal_stresses(sig), atol=1e-9)
    # Invariants of sigma against the characteristic polynomial of its eigenvalues.
    ev = np.linalg.eigvalsh(sig)
    i1, i2, i3 = tensor_invariants(sig)
    np.testing.assert_allclose(i1, ev.sum(1), atol=1e-12)
    np.testing.assert_allclose(
        i2, ev[:, 0] * ev[:, 1] + ev[:, 1] * ev[:, 2] + ev[:, 0] * ev[:, 2], atol=1e-10
    )
    np.testing.assert_allclose(i3, ev.prod(1), atol=1e-10)
    rot = random_rotation(rng)
    np.testing.assert_allclose(lode_angle(rot @ sig @ rot.T), th, atol=1e-7)
    for sigma in (np.zeros((3, 3)), np.eye(3), np.diag([1.0, 0, 0])):
        assert np.isfinite(np.asarray(jax.grad(lode_angle)(sigma))).all()


def test_sum_abs_components():
    sig = np.array([[1.0, -2.0, 3.0], [-2.0, -4.0, 5.0], [3.0, 5.0, 6.0]])
    assert float(sum_abs_components(sig)) == pytest.approx(1 + 4 + 6 + 2 + 3 + 5)


def _brute_force_optimal(total, friction, n_grid=181):
    # Every plane (1-degree grid of normals on the upper hemisphere), slipping along its
    # shear traction: the largest total Coulomb stress.
    az, inc = np.meshgrid(
        np.radians(np.linspace(0, 360, n_grid)), np.radians(np.linspace(0, 90, n_grid))
    )
    n = np.stack([np.sin(inc) * np.sin(az), np.sin(inc) * np.cos(az), np.cos(inc)], -1).reshape(
        -1, 3
    )
    t = n @ total
    sn = np.sum(t * n, -1)
    shear = np.linalg.norm(t - sn[:, None] * n, axis=-1)
    return np.max(shear + friction * sn)


def test_optimal_planes_against_brute_force_search():
    rng = np.random.default_rng(7)
    regional = np.diag([-20e6, -50e6, -100e6])  # Pa, compression negative
    rot = random_rotation(rng)
    regional = rot @ regional @ rot.T
    friction = 0.6
    best = _brute_force_optimal(regional, friction, n_grid=721)
    # The Mohr-circle formula is the maximum over all planes (grid spacing 1 deg).
    assert float(max_coulomb_stress(regional, friction)) == pytest.approx(best, rel=1e-3)
    assert float(max_coulomb_stress(regional, friction)) >= best - 1.0
    # dCFS on the optimal planes equals the change of the maximum to first order (envelope
    # theorem): the difference shrinks as the square of the change.
    d = _sym(rng, 5)
    errors = []
    for scale in (1e4, 1e3):
        dcfs = np.asarray(optimal_coulomb_stress_change(scale * d, regional, friction))
        diff = np.asarray(
            max_coulomb_stress(regional + scale * d, friction)
            - max_coulomb_stress(regional, friction)
        )
        np.testing.assert_allclose(dcfs, diff, rtol=2e-2)
        errors.append(np.max(np.abs(dcfs - diff)))
    assert errors[1] < errors[0] / 50


def _fault(strikes, dips, rakes, slips=None):
    n = len(strikes)
    slips = np.ones(n) if slips is None else np.asarray(slips, float)
    c = np.array([[i * 2e3, 0.0, -10e3] for i in range(n)])
    return qj.FaultModel.from_rake(c, strikes, dips, 2e3, 2e3, slips, rakes)


def test_mean_receiver_single_plane_and_flipped_segments():
    s, d, r = mean_receiver(_fault([30.0, 30.0], [60.0, 60.0], [100.0, 100.0]))
    assert (s, d, r) == pytest.approx((30.0, 60.0, 100.0), abs=1e-9)
    # A vertical strike-slip fault described half with strike 0, half with strike 180: the
    # physical motion is the same (right-lateral), so the mean is that plane, not strike 90.
    s, d, r = mean_receiver(_fault([0.0, 180.0], [89.0, 89.0], [180.0, 180.0]))
    n, sv = receiver_vectors(s, d, r)
    np.testing.assert_allclose(np.abs(np.asarray(n)), [1, 0, 0], atol=2e-2)
    assert s % 180 == pytest.approx(0.0, abs=1e-6) or s % 180 == pytest.approx(180.0, abs=1e-6)
    # Opposite-dipping segments (80 E and 80 W) of a reverse fault average to a vertical plane.
    s, d, r = mean_receiver(_fault([0.0, 180.0], [80.0, 80.0], [90.0, 90.0]))
    assert d == pytest.approx(90.0, abs=1e-9)
    # Patches without slip do not count.
    s, d, r = mean_receiver(_fault([0.0, 90.0], [45.0, 10.0], [0.0, 90.0], slips=[1.0, 0.0]))
    assert (s, d, r) == pytest.approx((0.0, 45.0, 0.0), abs=1e-9)
    with pytest.raises(ValueError, match="no slipping patch"):
        mean_receiver(_fault([0.0], [45.0], [0.0], slips=[0.0]))


def test_mean_receiver_is_differentiable_and_matches_eager():
    import jax
    import jax.numpy as jnp

    f = _fault([30.0, 200.0, 35.0], [60.0, 70.0, 50.0], [100.0, 80.0, 120.0], slips=[1.0, 2.0, 0.5])
    eager = mean_receiver(f)
    traced = jax.jit(lambda g: jnp.stack(mean_receiver(g)))(f)
    np.testing.assert_allclose(np.asarray(traced), eager, atol=1e-9)

    # d(mean dip)/d(slip of patch 1) against central differences.
    def mean_dip(s1):
        slip = f.slip.at[1, 1].set(s1)
        return mean_receiver(f.with_slip(slip), weights=f.area * jnp.array([1.0, s1, 1.0]))[1]

    s1 = float(f.slip[1, 1])
    g = float(jax.grad(mean_dip)(s1))
    h = 1e-6
    fd = (float(mean_dip(s1 + h)) - float(mean_dip(s1 - h))) / (2 * h)
    assert np.isfinite(g) and g == pytest.approx(fd, rel=1e-5, abs=1e-8)
