"""Antiplane strain-volume and dislocation kernels against analytic identities."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

from quakejax.visco._kernels import antisymmetric_strain_volume, screw_dislocation, strain_volume

BOUNDS = jnp.array([3e3, 9e3, 40e3, 55e3])
GAMMA = jnp.array([0.3, -0.7])


def _u(obs, bounds=BOUNDS, gamma=GAMMA):
    return strain_volume(jnp.asarray(obs), bounds, gamma)


def test_screw_dislocation_surface_is_atan():
    D = 20e3
    for x in (1e2, 5e3, 20e3, 300e3):
        u, grad = screw_dislocation(jnp.array([x, 0.0]), 0.0, D)
        assert u == pytest.approx(np.arctan(D / x) / np.pi, rel=1e-13)
        assert grad[0] == pytest.approx(-D / (x * x + D * D) / np.pi, rel=1e-12)
        assert abs(grad[1]) < 1e-18  # traction-free surface


def test_screw_dislocation_jump_across_fault():
    D = 20e3
    right, _ = screw_dislocation(jnp.array([1e-6, 5e3]), 0.0, D)
    left, _ = screw_dislocation(jnp.array([-1e-6, 5e3]), 0.0, D)
    assert float(right - left) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("obs", [(5e3, 0.0), (7e3, 3e3), (20e3, 30e3), (60e3, 80e3)])
def test_thin_column_of_eigenstrain_is_a_dislocation(obs):
    # Plastic shear gamma_x = b/w smeared over a column of width w is slip b on the column
    # (Lambert & Barbot 2016); converges as O(w).
    D, w = 20e3, 0.01
    u, grad = strain_volume(jnp.array(obs), jnp.array([0.0, w, 0.0, D]), jnp.array([1.0 / w, 0.0]))
    ud, gradd = screw_dislocation(jnp.array(obs), 0.0, D)
    np.testing.assert_allclose(u, ud, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(grad, gradd, rtol=1e-5, atol=1e-12)


def test_displacement_matches_boundary_quadrature():
    # u(p) = -(1/2 pi) contour integral of ln|p - p'| gamma.n' ds', full space plus image,
    # by quadrature.
    x1, x2, z1, z2 = (float(b) for b in BOUNDS)
    gx, gz = (float(g) for g in GAMMA)

    def contour(x, z, zsign):
        za, zb = (z1, z2) if zsign > 0 else (-z2, -z1)
        g_z = gz * zsign

        def ln_r(xp, zp):
            return 0.5 * np.log((x - xp) ** 2 + (z - zp) ** 2)

        right = integrate.quad(lambda s: ln_r(x2, s), za, zb)[0]
        left = integrate.quad(lambda s: ln_r(x1, s), za, zb)[0]
        bottom = integrate.quad(lambda s: ln_r(s, zb), x1, x2)[0]
        top = integrate.quad(lambda s: ln_r(s, za), x1, x2)[0]
        return -(gx * (right - left) + g_z * (bottom - top)) / (2 * np.pi)

    for obs in [(0.0, 0.0), (12e3, 10e3), (5e3, 47e3), (-20e3, 60e3)]:
        expected = contour(*obs, 1) + contour(*obs, -1)
        assert float(_u(obs)[0]) == pytest.approx(expected, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("obs", [(5e3, 45e3), (1e3, 0.0), (20e3, 30e3), (3e3, 47e3), (6e3, 40e3)])
def test_gradient_is_derivative_of_displacement(obs):
    # Includes points on an edge line of the volume (x = x1, z = z1): there the kernel returns the
    # mean of the one-sided derivatives.
    obs = jnp.array(obs)
    auto = jax.grad(lambda p: _u(p)[0])(obs)
    h = 1e-2
    fd = [
        (float(_u(obs + e)[0]) - float(_u(obs - e)[0])) / (2 * h)
        for e in (jnp.array([h, 0.0]), jnp.array([0.0, h]))
    ]
    np.testing.assert_allclose(_u(obs)[1], fd, rtol=1e-6, atol=1e-12)
    assert np.all(np.isfinite(auto))


def test_free_surface_is_traction_free():
    for x in (-30e3, 0.0, 2e3, 6e3, 100e3):
        _, grad = _u((x, 0.0))
        assert abs(float(grad[1])) < 1e-15


def test_traction_continuity_across_volume_edges():
    # Stress = grad u - gamma (per unit modulus); its normal component is continuous across edges.
    x1, x2, z1, z2 = (float(b) for b in BOUNDS)
    eps = 1e-3
    for (xa, za), (xb, zb), comp in [
        ((x2 - eps, 47e3), (x2 + eps, 47e3), 0),
        ((x1 + eps, 50e3), (x1 - eps, 50e3), 0),
        ((5e3, z1 + eps), (5e3, z1 - eps), 1),
        ((8e3, z2 - eps), (8e3, z2 + eps), 1),
    ]:
        inside = _u((xa, za))[1] - GAMMA
        outside = _u((xb, zb))[1]
        assert float(inside[comp]) == pytest.approx(float(outside[comp]), abs=1e-6)


def test_slabs_with_compatible_eigenstrain_are_stress_free():
    # A vertical slab with gamma_x, and a horizontal slab with gamma_z, are compatible plastic
    # strains in a half-space: the total strain equals the eigenstrain inside and vanishes outside.
    L = 1e12
    _, grad_in = strain_volume(
        jnp.array([1e3, 5e3]), jnp.array([0.0, 2e3, 0.0, L]), jnp.array([1.0, 0.0])
    )
    np.testing.assert_allclose(grad_in, [1.0, 0.0], atol=1e-8)
    _, grad_in = strain_volume(
        jnp.array([3e3, 5e3]), jnp.array([-L, L, 4e3, 6e3]), jnp.array([0.0, 1.0])
    )
    np.testing.assert_allclose(grad_in, [0.0, 1.0], atol=1e-8)
    _, grad_out = strain_volume(
        jnp.array([3e3, 9e3]), jnp.array([-L, L, 4e3, 6e3]), jnp.array([0.0, 1.0])
    )
    np.testing.assert_allclose(grad_out, [0.0, 0.0], atol=1e-8)


def test_antisymmetric_pair_is_odd_in_x():
    for obs in [(4e3, 30e3), (15e3, 0.0)]:
        u, grad = antisymmetric_strain_volume(jnp.array(obs), BOUNDS, GAMMA)
        um, gradm = antisymmetric_strain_volume(jnp.array([-obs[0], obs[1]]), BOUNDS, GAMMA)
        assert float(um) == pytest.approx(-float(u), rel=1e-12)
        np.testing.assert_allclose(gradm, [grad[0], -grad[1]], rtol=1e-12)


def test_reciprocity_of_interaction():
    # Betti reciprocity for eigenstrains:
    # area_A * gamma_A . sigma_B(at A) = area_B * gamma_B . sigma_A(at B)
    # holds for volume-averaged stresses; far apart, centroid values suffice.
    a = jnp.array([0.0, 1e3, 40e3, 41e3])
    b = jnp.array([30e3, 32e3, 70e3, 71.5e3])
    ga, gb = jnp.array([0.4, -1.0]), jnp.array([-0.3, 0.8])
    ca, cb = jnp.array([0.5e3, 40.5e3]), jnp.array([31e3, 70.75e3])
    area_a, area_b = 1e3 * 1e3, 2e3 * 1.5e3
    lhs = area_a * jnp.dot(ga, strain_volume(ca, b, gb)[1])
    rhs = area_b * jnp.dot(gb, strain_volume(cb, a, ga)[1])
    assert float(lhs) == pytest.approx(float(rhs), rel=2e-3)


def test_gradients_finite_at_corners_and_edges():
    def f(p):
        u, grad = strain_volume(p, BOUNDS, GAMMA)
        return u + grad.sum()

    for obs in [(3e3, 40e3), (9e3, 55e3), (3e3, 0.0), (0.0, 40e3)]:
        g = jax.grad(f)(jnp.array(obs))
        assert np.all(np.isfinite(g))
    g = jax.grad(lambda p: screw_dislocation(p, 0.0, 20e3)[1].sum())(jnp.array([0.0, 20e3]))
    assert np.all(np.isfinite(g))


def test_float32_kernels_follow_input_dtype():
    u, grad = strain_volume(
        jnp.array([5e3, 45e3], jnp.float32), BOUNDS.astype(jnp.float32), GAMMA.astype(jnp.float32)
    )
    assert u.dtype == jnp.float32 and grad.dtype == jnp.float32
    u64, grad64 = _u((5e3, 45e3))
    np.testing.assert_allclose(grad, grad64, rtol=1e-4)


def test_greens_form_equals_unit_eigenstrains():
    from quakejax.visco._kernels import antisymmetric_strain_volume_greens

    for obs in [(4e3, 30e3), (15e3, 0.0), (-6e3, 47e3), (3e3, 40e3)]:
        u, grad = antisymmetric_strain_volume_greens(jnp.array(obs), BOUNDS)
        for j, unit in enumerate((jnp.array([1.0, 0.0]), jnp.array([0.0, 1.0]))):
            uj, gj = antisymmetric_strain_volume(jnp.array(obs), BOUNDS, unit)
            assert float(u[j]) == pytest.approx(float(uj), rel=1e-13, abs=1e-12)
            np.testing.assert_allclose(grad[:, j], gj, rtol=1e-13, atol=1e-16)
