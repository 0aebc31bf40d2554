"""The numpy references of quakejax.visco.reference against independent solutions.

Every expected value comes from a different route than the one under test: closed forms of
the periodic image arrays, a wavenumber-domain solution of the layered boundary-value
problem, direct (long) sums written out here, mpmath de Hoog inversions, and the physical
identities of the earthquake cycle (cycle average, far field, elastic limit).
Years are Julian: 1 yr = 365.25 * 86400 s (this gives the PyLith benchmark's tau0 = 4).
"""

import math
import warnings

import mpmath
import numpy as np
import pytest
from scipy import integrate, special, stats

from quakejax.visco.reference import (
    burgers_cycle_velocity,
    burgers_postseismic_displacement,
    image_kernel,
    nur_mavko_displacement,
    rybicki_displacement,
    savage_prescott_velocity,
)

YEAR = 365.25 * 86400.0
MU = 30e9
# PyLith's Savage-Prescott benchmark.
PYLITH = dict(H=40e3, D=20e3, T=200.0 * YEAR, eta=2.36682e19, mu=MU, V=0.02 / YEAR)
H, D = 40e3, 20e3
X = np.array([1e3, 7e3, 20e3, 40e3, 90e3, 300e3])


def _gauss_average(f, n=96):
    """Average of f(t) over [0, 1) by Gauss-Legendre (f smooth on the closed interval)."""
    s, w = np.polynomial.legendre.leggauss(n)
    return f(0.5 * (s + 1.0)) @ (0.5 * w)


def _eta_for(tau0, T, mu=MU):
    return mu * T / (2.0 * tau0)


# ----------------------------------------------------------------------------- elastic


def test_image_kernel_is_the_angle_difference():
    n = np.arange(0, 6)[:, None]
    x = X[None, :]
    expected = np.arctan((2 * n * H + D) / x) - np.arctan((2 * n * H - D) / x)
    np.testing.assert_allclose(image_kernel(x, n, H=H, D=D), expected, rtol=1e-14, atol=1e-15)


def test_rybicki_homogeneous_half_space():
    u = rybicki_displacement(X, H=H, D=D, slip=2.0, mu1=MU, mu2=MU)
    np.testing.assert_allclose(u, (2.0 / np.pi) * np.arctan(D / X), rtol=1e-15)


def test_rybicki_is_odd_in_x():
    u = rybicki_displacement(np.concatenate([X, -X]), H=H, D=D, slip=1.0, mu1=MU, mu2=0.3 * MU)
    np.testing.assert_allclose(u[X.size :], -u[: X.size], rtol=1e-15)


def _wavenumber_solution(x, G, H, D):
    """u(x, 0)/b for a layer over a half-space, from the boundary-value problem in wavenumber.

    With w(x, z) = int_0^inf W(k, z) sin(kx) dk, the fault (slip b over 0 < z < D) is the
    source of W'' - k^2 W = -(k b/pi) 1[z < D]. With W'(0) = 0, W and W' continuous at D,
    W and mu W' continuous at H and decay below, elimination gives
    W(k, 0) = (b/(pi k)) [(1 - e^{-kD}) + G e^{-2kH}(e^{kD} - 1)]/(1 - G e^{-2kH}),
    G = (mu1 - mu2)/(mu1 + mu2) (G = 0 gives the half-space transform of atan(D/x)).
    The sine integral is done with QUADPACK: plain on [0, 2/H], QAWF beyond.
    """
    h, d, xi = 1.0, D / H, x / H

    def W(k):
        num = -np.expm1(-k * d) + G * (np.exp(k * d - 2 * k * h) - np.exp(-2 * k * h))
        den = -np.expm1(-2 * k * h) if G == 1.0 else 1.0 - G * np.exp(-2 * k * h)
        return num / (k * den)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        near, _ = integrate.quad(
            lambda k: W(k) * np.sin(k * xi), 0.0, 2.0, limit=200, epsabs=1e-14, epsrel=1e-13
        )
        far, _ = integrate.quad(W, 2.0, np.inf, weight="sin", wvar=xi, limlst=200, epsabs=1e-14)
    return (near + far) / np.pi


@pytest.mark.parametrize("G", [0.5, -0.6, 0.95, 1.0])
def test_rybicki_against_wavenumber_solution(G):
    d = 25e3
    mu2 = MU * (1.0 - G) / (1.0 + G)
    x = np.array([2e3, 30e3, 150e3])
    u = rybicki_displacement(x, H=H, D=d, slip=1.0, mu1=MU, mu2=mu2)
    expected = [_wavenumber_solution(xi, G, H, d) for xi in x]
    np.testing.assert_allclose(u, expected, rtol=0, atol=1e-13)


@pytest.mark.parametrize("d", [10e3, 20e3, 40e3])
def test_rybicki_free_base_closed_form(d):
    """Gamma = 1: images of period 2H; summing atan over them (the Mittag-Leffler expansion
    of sinh) gives u = (b/pi) atan(tan(pi D/2H)/tanh(pi x/2H))."""
    x = np.array([10.0, 1e3, 2e4, 4e4, 2e5, 2e6, 4e7])
    u = rybicki_displacement(x, H=H, D=d, slip=1.0, mu1=MU, mu2=0.0)
    q, p = np.pi * d / (2 * H), np.pi * x / (2 * H)
    expected = np.arctan2(np.sin(q), np.cos(q) * np.tanh(p)) / np.pi
    np.testing.assert_allclose(u, expected, rtol=2e-14)


def test_rybicki_rigid_base_closed_form():
    """Gamma = -1: images of alternating sign, period 4H; each sub-array sums to the argument
    of sinh(pi (x + i c)/(4H)), so u = (b/2pi)[A(0) - A(2H)],
    A(c) = arg sinh(pi(x + i(c + D))/4H) - arg sinh(pi(x + i(c - D))/4H)."""
    x = np.array([1e3, 2e4, 4e4, 1e5])
    u = rybicki_displacement(x, H=H, D=D, slip=1.0, mu1=MU, mu2=np.inf)

    def A(c):
        p = np.pi * x / (4 * H)
        return np.angle(np.sinh(p + 1j * np.pi * (c + D) / (4 * H))) - np.angle(
            np.sinh(p + 1j * np.pi * (c - D) / (4 * H))
        )

    np.testing.assert_allclose(u, (A(0.0) - A(2 * H)) / (2 * np.pi), rtol=0, atol=1e-15)


# ----------------------------------------------------------------------------- Nur & Mavko

ETA = 2.36682e19
T_R = 2 * ETA / MU


def test_nur_mavko_starts_at_the_homogeneous_solution():
    u = nur_mavko_displacement(X, 0.0, H=H, D=D, slip=1.5, mu=MU, eta=ETA)
    np.testing.assert_allclose(u, 1.5 / np.pi * np.arctan(D / X), rtol=1e-15)


def test_nur_mavko_ends_at_the_free_base_rybicki():
    relaxed = rybicki_displacement(X, H=H, D=D, slip=1.0, mu1=MU, mu2=0.0)
    u_inf = nur_mavko_displacement(X, np.inf, H=H, D=D, slip=1.0, mu=MU, eta=ETA)
    np.testing.assert_allclose(u_inf, relaxed, rtol=1e-14)
    # Late times: what is still missing is sum_n Q_n(tau) c_n ~ sum_{n > tau} c_n
    # ~ a/tau, with c_n ~ a/n^2, a = D x/(2 H^2).
    tau = 1e6
    u = nur_mavko_displacement(X, tau * T_R, H=H, D=D, slip=1.0, mu=MU, eta=ETA)
    deficit = (relaxed - u) * np.pi
    np.testing.assert_allclose(deficit, D * X / (2 * H * H) / tau, rtol=2e-3)


@pytest.mark.parametrize("tau", [0.7, 25.0, 2.0e4])
def test_nur_mavko_against_a_direct_sum(tau):
    """Direct sum of P_n c_n up to where P_n < 1e-40 (2e4: the module's window branch)."""
    n = np.arange(1, int(tau + 14 * math.sqrt(tau) + 60))[:, None]
    c = np.arctan((2 * n * H + D) / X) - np.arctan((2 * n * H - D) / X)
    expected = (np.arctan(D / X) + (special.gammainc(n, tau) * c).sum(axis=0)) / np.pi
    u = nur_mavko_displacement(X, tau * T_R, H=H, D=D, slip=1.0, mu=MU, eta=ETA)
    np.testing.assert_allclose(u, expected, rtol=0, atol=2e-14)


def test_nur_mavko_rejects_negative_time():
    with pytest.raises(ValueError):
        nur_mavko_displacement(X, -1.0, H=H, D=D, slip=1.0, mu=MU, eta=ETA)


def test_fault_must_lie_in_the_layer():
    with pytest.raises(ValueError):
        rybicki_displacement(X, H=H, D=1.5 * H, slip=1.0, mu1=MU, mu2=MU)


# ----------------------------------------------------------------------------- Burgers


@pytest.mark.parametrize("mu_K", [np.inf, 1e12 * MU])
def test_burgers_maxwell_limit_is_nur_mavko(mu_K):
    x = np.array([3e3, 30e3, 120e3])
    t = np.array([0.4, 3.0, 12.0]) * T_R
    u = burgers_postseismic_displacement(
        x, t, H=H, D=D, slip=1.0, layer_mu=MU, mu_M=MU, eta_M=ETA, mu_K=mu_K, eta_K=1e19
    )
    expected = nur_mavko_displacement(x, t, H=H, D=D, slip=1.0, mu=MU, eta=ETA)
    np.testing.assert_allclose(u, expected, rtol=0, atol=1e-12)


def test_burgers_standard_linear_solid_relaxes_to_rybicki():
    """eta_M = inf: the half-space relaxes to mu_R = mu_M mu_K/(mu_M + mu_K); layer_mu != mu_M."""
    mu_M, mu_K, eta_K = 20e9, 30e9, 1e18
    kw = dict(H=H, D=D, slip=1.0, layer_mu=MU, mu_M=mu_M, eta_M=np.inf, mu_K=mu_K, eta_K=eta_K)
    x = np.array([5e3, 60e3])
    u = burgers_postseismic_displacement(x, 400.0 * eta_K / mu_K, **kw)
    mu_R = mu_M * mu_K / (mu_M + mu_K)
    expected = rybicki_displacement(x, H=H, D=D, slip=1.0, mu1=MU, mu2=mu_R)
    np.testing.assert_allclose(u, expected, rtol=0, atol=1e-12)
    # Just after the rupture: the instantaneous modulus mu_M.
    early = burgers_postseismic_displacement(x, 1e-9 * eta_K / mu_K, dps=20, **kw)
    coseismic = rybicki_displacement(x, H=H, D=D, slip=1.0, mu1=MU, mu2=mu_M)
    np.testing.assert_allclose(early, coseismic, rtol=0, atol=1e-8)


# ----------------------------------------------------------------------------- Savage & Prescott


def test_pylith_benchmark_has_tau0_4():
    p = PYLITH
    assert p["mu"] * p["T"] / (2 * p["eta"]) == pytest.approx(4.0, abs=1e-5)


@pytest.mark.parametrize("tau0", [0.05, 4.0, 30.0])
def test_savage_prescott_cycle_average_is_the_elastic_solution(tau0):
    T, V = 100.0 * YEAR, 1.0
    eta = _eta_for(tau0, T)
    avg = _gauss_average(
        lambda s: savage_prescott_velocity(
            X[:, None], s[None, :] * T, H=H, D=D, T=T, V=V, mu=MU, eta=eta
        )
    )
    np.testing.assert_allclose(avg, V / np.pi * np.arctan(X / D), rtol=0, atol=1e-10)


def test_savage_prescott_far_field_is_half_the_plate_rate():
    p = PYLITH
    t = np.array([0.0, 10.0, 150.0]) * YEAR
    v = savage_prescott_velocity(
        1e10, t, H=p["H"], D=p["D"], T=p["T"], V=p["V"], mu=p["mu"], eta=p["eta"]
    )
    np.testing.assert_allclose(v, p["V"] / 2, rtol=1e-5)


def test_savage_prescott_is_odd_in_x():
    p = PYLITH
    kw = dict(H=p["H"], D=p["D"], T=p["T"], V=p["V"], mu=p["mu"], eta=p["eta"])
    v = savage_prescott_velocity(np.concatenate([X, -X]), 30 * YEAR, **kw)
    np.testing.assert_allclose(v[X.size :], -v[: X.size], rtol=1e-14)


def test_savage_prescott_short_cycles_are_elastic():
    """tau0 -> 0: C_n -> 1 (C_1 = tau0 e^-tau/(1 - e^-tau0) = 1 + O(tau0))."""
    T, V, tau0 = 100.0 * YEAR, 1.0, 1e-3
    t = np.array([0.0, 0.3, 0.999]) * T
    v = savage_prescott_velocity(
        X[:, None], t[None, :], H=H, D=D, T=T, V=V, mu=MU, eta=_eta_for(tau0, T)
    )
    elastic = V / np.pi * np.arctan(X / D)[:, None]
    assert np.max(np.abs(v - elastic)) <= tau0 * V


def test_savage_prescott_against_a_long_direct_sum():
    """C_n = tau0 sum_k Gamma(n)-density(tau + k tau0), summed over 4000 k with scipy.stats."""
    T, V, tau0, theta = 100.0 * YEAR, 1.0, 0.5, 0.37
    x = np.array([4e3, 35e3, 200e3])
    y = theta * tau0 + tau0 * np.arange(4000)
    v_expected = np.arctan(x / D)
    for n in range(1, 41):
        Cn = tau0 * stats.gamma.pdf(y, a=n).sum()
        v_expected = v_expected + (Cn - 1.0) * (
            np.arctan((2 * n * H + D) / x) - np.arctan((2 * n * H - D) / x)
        )
    v = savage_prescott_velocity(x, theta * T, H=H, D=D, T=T, V=V, mu=MU, eta=_eta_for(tau0, T))
    np.testing.assert_allclose(v, V / np.pi * v_expected, rtol=0, atol=1e-13)


# ----------------------------------------------------------------------------- Burgers cycle


def test_burgers_cycle_maxwell_is_savage_prescott_pylith():
    p = PYLITH
    x = np.array([0.0, 1e3, 5e3, 20e3, 40e3, 100e3, 300e3])[:, None]
    t = np.array([0.0, 0.1, 1.0, 20.0, 100.0, 199.9])[None, :] * YEAR
    geo = dict(H=p["H"], D=p["D"], T=p["T"], V=p["V"])
    v = burgers_cycle_velocity(
        x, t, **geo, layer_mu=p["mu"], mu_M=p["mu"], eta_M=p["eta"], mu_K=np.inf, eta_K=1.0
    )
    expected = savage_prescott_velocity(x, t, **geo, mu=p["mu"], eta=p["eta"])
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-10 * p["V"])


@pytest.mark.parametrize("tau0", [0.05, 30.0])
def test_burgers_cycle_maxwell_is_savage_prescott(tau0):
    T, V = 100.0 * YEAR, 1.0
    eta = _eta_for(tau0, T)
    t = np.array([0.0, 0.01, 0.5, 0.97])[None, :] * T
    v = burgers_cycle_velocity(
        X[:, None], t, H=H, D=D, T=T, V=V, layer_mu=MU, mu_M=MU, eta_M=eta, mu_K=np.inf, eta_K=1.0
    )
    expected = savage_prescott_velocity(X[:, None], t, H=H, D=D, T=T, V=V, mu=MU, eta=eta)
    np.testing.assert_allclose(v, expected, rtol=0, atol=1e-10 * V)


def test_burgers_cycle_average_and_far_field():
    """Transient Kelvin element (time T/50) on a Maxwell body: same cycle average."""
    T, V = 200.0 * YEAR, 1.0
    kw = dict(
        H=H,
        D=D,
        T=T,
        V=V,
        layer_mu=MU,
        mu_M=MU,
        eta_M=_eta_for(4.0, T),
        mu_K=MU,
        eta_K=MU * T / 50.0,
    )
    avg = _gauss_average(lambda s: burgers_cycle_velocity(X[:, None], s[None, :] * T, **kw), 160)
    np.testing.assert_allclose(avg, V / np.pi * np.arctan(X / D), rtol=0, atol=1e-10)
    # v - V/2 ~ (2D/x) sum_n (C_n - 1): O(1/x), with a large sum right after the rupture.
    far = burgers_cycle_velocity(1e13, np.array([0.0, 0.5]) * T, **kw)
    np.testing.assert_allclose(far, V / 2, rtol=1e-6)


def test_burgers_cycle_contrast_average_is_layered_elastic():
    """mu_M != layer_mu: the interseismic average is the elastic layered (unrelaxed)
    back-slip solution V/2 - Rybicki(slip V, mu1, mu_M), the coseismic jumps aside."""
    T, V, mu_M = 200.0 * YEAR, 1.0, 45e9
    kw = dict(
        H=H, D=D, T=T, V=V, layer_mu=MU, mu_M=mu_M, eta_M=_eta_for(2.0, T), mu_K=np.inf, eta_K=1.0
    )
    avg = _gauss_average(lambda s: burgers_cycle_velocity(X[:, None], s[None, :] * T, **kw))
    expected = V / 2 - rybicki_displacement(X, H=H, D=D, slip=V, mu1=MU, mu2=mu_M)
    np.testing.assert_allclose(avg, expected, rtol=0, atol=1e-10)


def test_burgers_cycle_against_de_hoog_over_past_cycles():
    """Standard linear solid, mu_M != layer_mu, against the time-domain superposition
    v = (V/pi)[atan(x/D) - R(Gamma(0)) + T sum_k q(t + kT)], q = L^-1[R(Gamma(s)) - R(Gamma(inf))],
    R(G) = sum_n G^n c_n: each q inverted with mpmath (de Hoog); q decays exponentially here,
    so a few past cycles suffice."""
    T, V, mu_M, mu_K = 200.0 * YEAR, 1.0, 20e9, 30e9
    eta_K = mu_K * T / 8.0
    mu_R = mu_M * mu_K / (mu_M + mu_K)

    def image_sum(G, x, tol):
        acc, g, n = 0, mpmath.mpf(1), 0
        while abs(g) >= tol:
            n += 1
            g *= G
            acc += g * mpmath.atan2(2 * D * x, x * x + 4 * n * n * H * H - D * D)
        return acc

    def expected(x, t):
        with mpmath.workdps(15):
            x, tol = mpmath.mpf(x), mpmath.mpf(10) ** -18
            gam = lambda mu2: (MU - mu2) / (MU + mu2)  # noqa: E731
            r_inf = image_sum(gam(mpmath.mpf(mu_M)), x, tol)
            r_0 = image_sum(gam(mpmath.mpf(mu_R)), x, tol)
            F = lambda s: (
                image_sum(gam(1 / (1 / mpmath.mpf(mu_M) + 1 / (mu_K + eta_K * s))), x, tol) - r_inf
            )  # noqa: E731
            total, k = 0, 0
            while True:
                q = mpmath.invertlaplace(F, t + k * T, method="dehoog")
                total += q
                k += 1
                if abs(q) * T < 1e-16 or k > 40:
                    break
            return float((mpmath.atan(x / D) - r_0 + T * total) / mpmath.pi)

    for x, t in [(10e3, 3.0 * YEAR), (60e3, 120.0 * YEAR)]:
        v = burgers_cycle_velocity(
            x, t, H=H, D=D, T=T, V=V, layer_mu=MU, mu_M=mu_M, eta_M=np.inf, mu_K=mu_K, eta_K=eta_K
        )
        assert v == pytest.approx(V * expected(x, t), abs=1e-12)
