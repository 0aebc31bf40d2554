"""Antiplane strain-volume models against independent solutions (quakejax.visco.reference).

References: Nur & Mavko (1974), Savage & Prescott (1978), Rybicki (1971), and the
correspondence-principle Burgers series inverted along the Bromwich line.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from quakejax.visco import (
    AntiplaneMesh,
    Burgers,
    CycleModel,
    Elastic,
    KelvinVoigt,
    Maxwell,
    PostseismicModel,
    reference,
)

YEAR = 365.25 * 86400.0
# PyLith's Savage-Prescott benchmark: tau0 = mu T / (2 eta) = 4.
H, D, MU, ETA, T, V = 40e3, 20e3, 30e9, 2.36682e19, 200 * YEAR, 0.02 / YEAR
T_R = 2 * ETA / MU
X = np.array([5e3, 10e3, 20e3, 40e3, 80e3, 160e3])
COARSE = AntiplaneMesh(n_x=12, n_z=12, first=0.25, growth=1.4)
SMALL = AntiplaneMesh(n_x=6, n_z=6, first=0.5, growth=1.8)


# One time grid for every postseismic comparison, so that each (rheology type, mesh) compiles once.
TS = np.array([0.0, 0.1 * T_R, 1.0 * YEAR, 1.0 * T_R, 3.0 * T_R, 20.0 * YEAR, 1e4 * YEAR])
XS = np.concatenate([-X[::-1], X])


# The default mesh meets the Nur-Mavko target; the other comparisons use a cheaper mesh.
DEFAULT = AntiplaneMesh()
MID = AntiplaneMesh(n_x=24, n_z=24, first=0.25, growth=1.2)


def _postseismic(rheology, mesh=MID, layer_mu=MU):
    model = PostseismicModel(H=H, D=D, slip=1.0, layer_mu=layer_mu, rheology=rheology, mesh=mesh)
    return np.asarray(model.surface_displacement(XS[None], TS[:, None]))


@pytest.fixture(scope="module")
def maxwell_runs():
    rheology = Maxwell(mu=MU, eta=ETA)
    return {
        "default": _postseismic(rheology, DEFAULT),
        "mid": _postseismic(rheology),
    }


def _nur_mavko_errors(u):
    nm_times = [1, 3, 4]  # 0.1, 1 and 3 t_R
    expected = np.stack(
        [
            reference.nur_mavko_displacement(X, TS[i], H=H, D=D, slip=1.0, mu=MU, eta=ETA)
            for i in nm_times
        ]
    )
    return np.abs(u[nm_times][:, X.size :] - expected)


def test_nur_mavko_within_1e3_of_slip(maxwell_runs):
    assert _nur_mavko_errors(maxwell_runs["default"]).max() < 1e-3


def test_nur_mavko_converges_with_refinement(maxwell_runs):
    # experiments/visco_validation.py shows the whole sequence of meshes.
    mid = _nur_mavko_errors(maxwell_runs["mid"])
    fine = _nur_mavko_errors(maxwell_runs["default"])
    assert fine.max() < 0.6 * mid.max()
    # Every time sampled improves.
    assert np.all(fine.max(axis=1) < mid.max(axis=1))


def test_coseismic_step_is_elastic_and_odd(maxwell_runs):
    u = maxwell_runs["default"]
    np.testing.assert_allclose(u[0], np.arctan(D / XS) / np.pi, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(u[:, : X.size], -u[:, X.size :][:, ::-1], rtol=1e-12)


@pytest.mark.parametrize("mu2", [0.5 * MU, 2.0 * MU])
def test_elastic_half_space_contrast_is_rybicki(mu2):
    # No viscous flow: the layered elastic solution, with the modulus contrast represented by
    # equivalent eigenstrains.
    u = _postseismic(Elastic(mu=mu2))
    expected = reference.rybicki_displacement(X, H=H, D=D, slip=1.0, mu1=MU, mu2=mu2)
    assert np.abs(u[:, X.size :] - expected).max() < 5e-4


@pytest.fixture(scope="module")
def burgers_runs():
    # Burgers with eta_M = inf is the standard linear solid, with mu_K = inf Maxwell (the
    # rheology tests check those identities); one compiled solve serves all three.
    return {
        "burgers": _postseismic(Burgers(**BURGERS), DEFAULT),
        "sls": _postseismic(Burgers(mu_M=MU, eta_M=np.inf, mu_K=MU, eta_K=1e19), DEFAULT),
        "stiff_kelvin": _postseismic(
            Burgers(mu_M=MU, eta_M=ETA, mu_K=1e6 * MU, eta_K=1e17), DEFAULT
        ),
    }


BURGERS = dict(mu_M=MU, eta_M=1e19, mu_K=MU, eta_K=1e18)


def test_burgers_postseismic_matches_laplace_inversion(burgers_runs):
    times = [2, 3, 5]  # 1 yr, t_R, 20 yr
    expected = np.stack(
        [
            reference.burgers_postseismic_displacement(
                X[::2], TS[i], H=H, D=D, slip=1.0, layer_mu=MU, **BURGERS
            )
            for i in times
        ]
    )
    np.testing.assert_allclose(
        burgers_runs["burgers"][times][:, X.size :][:, ::2], expected, atol=1e-3
    )


def test_standard_linear_solid_relaxes_to_rybicki(burgers_runs):
    # A Kelvin element in series with the spring relaxes to mu mu_K / (mu + mu_K): the elastic
    # layered solution with that modulus (the elastic limit of a solid without steady flow).
    expected = reference.rybicki_displacement(X, H=H, D=D, slip=1.0, mu1=MU, mu2=MU / 2)
    np.testing.assert_allclose(burgers_runs["sls"][-1, X.size :], expected, atol=5e-4)
    # ... and starts from the unrelaxed elastic solution.
    np.testing.assert_allclose(burgers_runs["sls"][0], np.arctan(D / XS) / np.pi, rtol=1e-10)


def test_burgers_with_stiff_kelvin_element_is_maxwell(burgers_runs, maxwell_runs):
    np.testing.assert_allclose(burgers_runs["stiff_kelvin"], maxwell_runs["default"], atol=1e-5)


@pytest.fixture(scope="module")
def savage_prescott():
    """Velocities of the PyLith Savage-Prescott case on one time grid (one compiled solve)."""
    model = CycleModel(H=H, D=D, T=T, V=V, layer_mu=MU, rheology=Maxwell(mu=MU, eta=ETA), mesh=MID)
    nodes, weights = np.polynomial.legendre.leggauss(48)
    grid = np.linspace(0.05, 0.95, 10) * T
    t = np.concatenate([grid, (nodes + 1) / 2 * T, [grid[3] + 2 * T]])
    x = np.concatenate([X, [3e6]])
    v = np.asarray(model.surface_velocity(x[None], t[:, None]))
    return {
        "grid": grid,
        "v_grid": v[:10, :-1],
        "weights": weights,
        "v_gauss": v[10:58],
        "v_wrapped": v[58],
        "v": v,
    }


def test_savage_prescott_within_1_percent_of_plate_rate(savage_prescott):
    grid = savage_prescott["grid"]
    expected = reference.savage_prescott_velocity(
        X[None], grid[:, None], H=H, D=D, T=T, V=V, mu=MU, eta=ETA
    )
    assert np.abs(savage_prescott["v_grid"] - expected).max() < 0.01 * V
    # t is time since the last rupture, taken modulo T.
    np.testing.assert_allclose(savage_prescott["v_wrapped"], savage_prescott["v"][3], rtol=1e-9)


def test_cycle_average_is_arctan(savage_prescott):
    # Over one cycle the inelastic strain returns to its start (the spin-up is exact), so the mean
    # velocity is exactly the elastic (V/pi) atan(x/D); Gauss-Legendre in t resolves the smooth
    # Maxwell transient.
    v = savage_prescott["v_gauss"][:, :-1]
    mean = (savage_prescott["weights"][:, None] * v).sum(0) / 2
    np.testing.assert_allclose(mean, V / np.pi * np.arctan(X / D), atol=1e-6 * V)
    # Far from the fault the x > 0 side moves at half the plate rate.
    np.testing.assert_allclose(savage_prescott["v_gauss"][:, -1], V / 2, atol=0.01 * V)


def test_burgers_cycle_matches_fourier_solution():
    params = dict(mu_M=MU, eta_M=1e20, mu_K=MU, eta_K=1e18)
    model = CycleModel(H=H, D=D, T=T, V=V, layer_mu=MU, rheology=Burgers(**params), mesh=MID)
    t = np.array([0.05, 0.3, 0.9]) * T
    v = np.asarray(model.surface_velocity(X[None], t[:, None]))
    expected = reference.burgers_cycle_velocity(
        X[None], t[:, None], H=H, D=D, T=T, V=V, layer_mu=MU, **params
    )
    assert np.abs(v - expected).max() < 0.01 * V


def test_stress_at_depth():
    model = PostseismicModel(
        H=H, D=D, slip=1.0, layer_mu=MU, rheology=Maxwell(mu=MU, eta=ETA), mesh=COARSE
    )
    # Points in the layer, plus the 2x2 Gauss points of two volumes of the half-space (the
    # relaxed state has zero cell-averaged stress there), all at t = 0 and late.
    layer = np.array([[3e3, 10e3], [-3e3, 10e3], [30e3, 25e3]])
    bounds = np.asarray(COARSE.bounds(H, D))[[0, COARSE.n_x + 2]]
    g = (1 + np.array([-1, 1]) / np.sqrt(3)) / 2
    gauss = np.array(
        [[b[0] + (b[1] - b[0]) * a, b[2] + (b[3] - b[2]) * c] for b in bounds for a in g for c in g]
    )
    points = np.concatenate([layer, gauss])
    t = np.array([0.0, 20 * T_R])
    sigma = np.asarray(model.stress(points[None, :, 0], points[None, :, 1], t[:, None]))
    # Coseismic: mu times the screw dislocation's strain, (mu b / 2 pi) sum of image terms.
    for (xi, zi), s in zip(points, sigma[0], strict=True):
        ends = ((D, 1), (0, -1), (0, 1), (-D, -1))
        dudx = sum(sign * -(c - zi) / (xi**2 + (c - zi) ** 2) for c, sign in ends) / (2 * np.pi)
        dudz = sum(sign * -xi / (xi**2 + (c - zi) ** 2) for c, sign in ends) / (2 * np.pi)
        np.testing.assert_allclose(s, MU * np.array([dudx, dudz]), rtol=1e-9)
    # Odd displacement: sigma_xs is even in x, sigma_zs odd.
    np.testing.assert_allclose(sigma[:, 1], sigma[:, 0] * np.array([1, -1]), rtol=1e-10)
    # Late: the Maxwell half-space has relaxed (cell averages ~ 0); the elastic layer has not.
    scale = np.abs(sigma[0, 3:]).max()
    averages = sigma[1, 3:].reshape(2, 4, 2).mean(axis=1)
    assert np.abs(averages).max() < 0.02 * scale
    assert np.abs(sigma[1, 0]).max() > 0.5 * np.abs(sigma[0, 0]).max()


def _burgers_from(params):
    log_eta_m, log_eta_k, ratio = params
    return Burgers(mu_M=MU, eta_M=10.0**log_eta_m, mu_K=ratio * MU, eta_K=10.0**log_eta_k)


def _log_params_displacement(params):
    model = PostseismicModel(
        H=H,
        D=D,
        slip=1.0,
        layer_mu=MU,
        rheology=_burgers_from(params),
        mesh=SMALL,
        rtol=1e-11,
        atol=1e-13,
    )
    return model.surface_displacement(
        jnp.array([15e3, 60e3]), jnp.array([3 * YEAR, 30 * YEAR])
    ).sum()


def _log_params_velocity(params):
    model = CycleModel(
        H=H,
        D=D,
        T=T,
        V=V,
        layer_mu=MU,
        rheology=_burgers_from(params),
        mesh=SMALL,
        rtol=1e-12,
        atol=1e-14,
    )
    return model.surface_velocity(jnp.array([15e3, 60e3]), jnp.array([0.1 * T, 0.5 * T])).sum() / V


@pytest.mark.parametrize(
    "fn", [_log_params_displacement, pytest.param(_log_params_velocity, marks=pytest.mark.slow)]
)
def test_gradients_through_the_solver_match_finite_differences(fn):
    # d/d(log10 eta_M, log10 eta_K, mu_K/mu_M), through the diffrax solves (discretise-then-
    # optimise adjoint; for the cycle also the invariant-state solve), against central
    # differences of the same function.  The cycle case compiles for about a minute, so it
    # runs with the slow tests (make test-all).
    value_and_grad = jax.jit(jax.value_and_grad(fn))
    params = jnp.array([19.3, 18.2, 0.7])
    _, grad = value_and_grad(params)

    def central(i, h):
        plus = float(value_and_grad(params.at[i].add(h))[0])
        minus = float(value_and_grad(params.at[i].add(-h))[0])
        return (plus - minus) / (2 * h)

    steps = np.array([2e-4, 2e-4, 2e-4 * 0.7])
    fd = [central(i, h) for i, h in enumerate(steps)]
    np.testing.assert_allclose(grad, fd, rtol=1e-5)
    assert np.all(np.abs(np.asarray(grad)) > 0)


def test_vmap_over_rheology_matches_unbatched(maxwell_runs):
    etas = jnp.array([5e18, ETA, 4e19])

    def displacement(eta):
        model = PostseismicModel(
            H=H, D=D, slip=1.0, layer_mu=MU, rheology=Maxwell(mu=MU, eta=eta), mesh=MID
        )
        return model.surface_displacement(XS[None], TS[:, None])

    batched = np.asarray(jax.vmap(displacement)(etas))
    # Batched adaptive solves iterate their Newton steps jointly: agreement to the solver tolerance.
    np.testing.assert_allclose(batched[1], maxwell_runs["mid"], rtol=1e-6, atol=1e-9)
    # A lower viscosity relaxes faster: more displacement at the same time, far from the fault.
    assert np.all(batched[0, 3, X.size + 2 :] > batched[1, 3, X.size + 2 :])
    assert np.all(batched[1, 3, X.size + 2 :] > batched[2, 3, X.size + 2 :])
    # vmap over H and D too: the mesh scales with D.
    geom = jax.vmap(
        lambda h, d: PostseismicModel(
            H=h, D=d, slip=1.0, layer_mu=MU, rheology=Elastic(mu=MU), mesh=SMALL
        ).surface_displacement(X, 0.0)
    )(jnp.array([30e3, 40e3]), jnp.array([15e3, 20e3]))
    np.testing.assert_allclose(geom[1], np.arctan(D / X) / np.pi, rtol=1e-10)
    np.testing.assert_allclose(geom[0], np.arctan(15e3 / X) / np.pi, rtol=1e-10)


def test_bad_input_raises_clear_errors():
    with pytest.raises(TypeError, match="Kelvin-Voigt"):
        PostseismicModel(H=H, D=D, slip=1.0, layer_mu=MU, rheology=KelvinVoigt(mu=MU, eta=ETA))
    with pytest.raises(ValueError, match="must not exceed H"):
        PostseismicModel(H=10e3, D=D, slip=1.0, layer_mu=MU, rheology=Maxwell(mu=MU, eta=ETA))
    with pytest.raises(ValueError, match="H must be finite and > 0"):
        CycleModel(H=-1.0, D=D, T=T, V=V, layer_mu=MU, rheology=Maxwell(mu=MU, eta=ETA))
    with pytest.raises(ValueError, match="T must be finite"):
        CycleModel(H=H, D=D, T=np.nan, V=V, layer_mu=MU, rheology=Maxwell(mu=MU, eta=ETA))
    with pytest.raises(ValueError, match=r"x \(3,\), t \(2,\) do not broadcast"):
        PostseismicModel(
            H=H, D=D, slip=1.0, layer_mu=MU, rheology=Elastic(mu=MU), mesh=SMALL
        ).surface_displacement(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="n_x"):
        AntiplaneMesh(n_x=0)
    with pytest.raises(TypeError, match="rheology"):
        PostseismicModel(H=H, D=D, slip=1.0, layer_mu=MU, rheology="maxwell")  # type: ignore[arg-type]


@pytest.mark.slow
def test_float32_follows_inputs():
    f32 = np.float32
    rheology = Maxwell(mu=f32(MU), eta=f32(ETA))
    model = PostseismicModel(
        H=f32(H), D=f32(D), slip=f32(1.0), layer_mu=f32(MU), rheology=rheology, mesh=SMALL
    )
    u = model.surface_displacement(X.astype(f32), f32(T_R))
    assert u.dtype == jnp.float32
    model64 = PostseismicModel(
        H=H, D=D, slip=1.0, layer_mu=MU, rheology=Maxwell(mu=MU, eta=ETA), mesh=SMALL
    )
    u64 = np.asarray(model64.surface_displacement(X, T_R))
    # The float32 error is measured in benchmarks/visco_speed.py; this bounds it loosely.
    assert np.abs(np.asarray(u, float) - u64).max() < 1e-4


def test_python_numbers_and_lists_are_accepted():
    model = PostseismicModel(H=H, D=D, slip=2, layer_mu=MU, rheology=Elastic(mu=MU), mesh=SMALL)
    u = model.surface_displacement([5e3, 10e3], 0)
    np.testing.assert_allclose(u, 2 / np.pi * np.arctan(D / np.array([5e3, 10e3])), rtol=1e-10)
    # Another Python value reuses the compiled function (arguments are made arrays first).
    np.testing.assert_allclose(
        model.surface_displacement([5e3, 20e3], 1),
        2 / np.pi * np.arctan(D / np.array([5e3, 20e3])),
        rtol=1e-10,
    )
