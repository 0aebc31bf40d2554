"""Scalar shear rheologies of `quakejax.visco`: ODE vs closed forms, Laplace transforms, limits.

References in layers: (1) the state ODE (`state_rate`, integrated by diffrax) against the closed
creep and relaxation functions; (2) the Laplace modulus against a numerical Laplace transform
(scipy quad) of the relaxation and of the creep function; (3) the Burgers relaxation function
against a 50-digit mpmath evaluation of the two-root formula; (4) limits (Burgers -> Maxwell,
Burgers -> standard linear solid, Maxwell -> elastic), each through independent code; (5) jit,
vmap, grad (vs finite differences), dtypes and input validation.  SI units throughout:
mu ~ 3e10 Pa, eta ~ 1e18-1e20 Pa s, times ~ 1e5-1e10 s; engineering shear strain.
"""

import functools

import diffrax
import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import optimistix as optx
import pytest
from scipy import integrate

from quakejax.visco._burgers import Burgers
from quakejax.visco._elastic import Elastic
from quakejax.visco._kelvin_voigt import KelvinVoigt
from quakejax.visco._maxwell import Maxwell
from quakejax.visco._sls import StandardLinearSolid
from quakejax.visco.base import AbstractRheology

MU = 3e10  # Pa
SIGMA0 = 1e6  # Pa, creep-test stress
GAMMA0 = 1e-4  # relaxation-test engineering strain
YEAR = 3.15576e7  # s

CLASSES = {
    "elastic": Elastic,
    "maxwell": Maxwell,
    "kelvin_voigt": KelvinVoigt,
    "sls": StandardLinearSolid,
    "burgers": Burgers,
}
# name -> (class key, parameters)
CASES = {
    "elastic": ("elastic", dict(mu=MU)),
    "maxwell": ("maxwell", dict(mu=MU, eta=1e19)),
    "kelvin_voigt": ("kelvin_voigt", dict(mu=MU, eta=1e18)),
    "sls": ("sls", dict(mu=MU, mu_K=2e10, eta_K=1e18)),
    "burgers": ("burgers", dict(mu_M=MU, eta_M=1e19, mu_K=2e10, eta_K=1e18)),
    # The other branch of the stable amplitudes (rK > rM + mu_M/eta_K).
    "burgers_fast_kelvin": ("burgers", dict(mu_M=MU, eta_M=1e20, mu_K=3e11, eta_K=1e18)),
    # Stiff: Kelvin rate 1e6 x Maxwell rate.
    "burgers_mu_K_1e6": ("burgers", dict(mu_M=MU, eta_M=1e19, mu_K=1e6 * MU, eta_K=1e19)),
    "burgers_mu_K_inf": ("burgers", dict(mu_M=MU, eta_M=1e19, mu_K=np.inf, eta_K=1e19)),
}


def _make(name, dtype=None):
    kind, p = CASES[name]
    if dtype is not None:
        p = {k: np.asarray(v, dtype) for k, v in p.items()}
    return CLASSES[kind](**p)


def _burgers_rates(mu_M, eta_M, mu_K, eta_K):
    """Relaxation rates of a Burgers body (1/s, negative), by numpy's companion-matrix roots."""
    a, b, c = eta_M * eta_K, eta_M * mu_K + mu_M * eta_K + mu_M * eta_M, mu_M * mu_K
    return np.sort(np.roots([1.0, b / a, c / a]).real)


def _char_times(name):
    """Characteristic times (s) of a case, from its parameters (never from the library)."""
    kind, p = CASES[name]
    if kind == "elastic":
        return []
    if kind in ("maxwell", "kelvin_voigt"):
        return [p["eta"] / p["mu"]]
    if kind == "sls":
        return [p["eta_K"] / (p["mu"] + p["mu_K"]), p["eta_K"] / p["mu_K"]]
    if np.isinf(p["mu_K"]):
        return [p["eta_M"] / p["mu_M"]]
    return sorted([*(1 / -_burgers_rates(**p)), p["eta_K"] / p["mu_K"], p["eta_M"] / p["mu_M"]])


def _slowest_time(name):
    return max(_char_times(name), default=YEAR)


@functools.partial(jax.jit, static_argnums=1)
def _call(rheo, method, x):
    """`rheo.<method>(x)` compiled once per class and shape: eager evaluation compiles every
    primitive for every new shape, which would dominate this file's run time."""
    return getattr(rheo, method)(x)


# ------------------------------------------------------------------------------------------
# (1) State ODE vs closed forms
# ------------------------------------------------------------------------------------------

# Dimensionless save times: 1e-3 to 10 slowest times, i.e. 0.01 to 10 of every relaxation
# time of these cases (their times differ by < 10x, except the stiff Kelvin transient).
TAU = np.logspace(-3, 1, 9)


@pytest.fixture(scope="module")
def ode_solutions():
    """All creep and relaxation ODEs in one diffrax solve (one compilation: the slow part).

    The cases of one class form one rheology with fields of shape (k,), and its state has the
    batch shape (n_modes, k) (creep, relaxation): the strain-volume solver's broadcasting, and
    one `state_rate` call per class keeps diffrax's tracing short.  Each case has its own
    time unit T (its slowest time) and each mode its own strain unit, so every component is
    O(1) in dimensionless time tau in [0, 10]; the max norm holds each to the tolerance.
    """
    scales = np.array([SIGMA0 / MU, GAMMA0])  # creep, relaxation strain units
    groups, offset = [], 0
    for kind, cls in CLASSES.items():
        names = [n for n, (k, _) in CASES.items() if k == kind]
        keys = CASES[names[0]][1]
        rheo = cls(**{key: np.array([CASES[n][1][key] for n in names]) for key in keys})
        n_modes = 1 if kind == "kelvin_voigt" else 2  # no relaxation test without mu0
        shape = (rheo.n_state, n_modes, len(names))
        T = np.array([_slowest_time(n) for n in names])[None, None, :]
        scale = scales[None, :n_modes, None]
        groups.append((names, rheo, shape, T, scale, offset))
        offset += int(np.prod(shape))

    def vector_field(y):
        rates = []
        for names, rheo, shape, T, scale, i in groups:
            state = y[i : i + int(np.prod(shape))].reshape(shape) * scale
            stress = [jnp.full(len(names), SIGMA0)]
            if shape[1] == 2:
                stress.append(rheo.mu0 * (GAMMA0 - rheo.inelastic_strain(state)[1]))
            rate = rheo.state_rate(state, jnp.stack(stress))
            rates.append((T * rate / scale).reshape(-1))
        return jnp.concatenate(rates)

    # Every rheology's ODE is affine, dy/dtau = A y + b: diffrax integrates A y + b, with A and
    # b taken from `state_rate` (one trace of the library, not one per implicit stage: that
    # halves the fixture's time).  Affinity is checked at random states, so a nonlinear error
    # in `state_rate` still fails the tests.
    y_zero = jnp.zeros(offset)
    A = jax.jit(jax.jacfwd(vector_field))(y_zero)
    ys = jnp.asarray(np.random.default_rng(0).uniform(-10, 10, (3, offset)))
    rates = np.asarray(jax.jit(jax.vmap(vector_field))(jnp.concatenate([y_zero[None], ys])))
    b = rates[0]
    affine = np.asarray(ys) @ np.asarray(A).T + b
    np.testing.assert_allclose(rates[1:], affine, rtol=0, atol=1e-12 * np.abs(A).max())
    A, b = jnp.asarray(A), jnp.asarray(b)

    @jax.jit
    def solve(y0):
        return diffrax.diffeqsolve(
            diffrax.ODETerm(lambda tau, y, args: A @ y + b),
            diffrax.Kvaerno5(),
            t0=0.0,
            t1=float(TAU[-1]),
            dt0=None,
            y0=y0,
            saveat=diffrax.SaveAt(ts=jnp.asarray(TAU)),
            stepsize_controller=diffrax.PIDController(rtol=1e-12, atol=1e-14, norm=optx.max_norm),
            max_steps=100_000,
        )

    ys = np.asarray(solve(jnp.zeros(offset)).ys)  # (n_times, offset)
    out = {}
    for names, _, shape, T, scale, i in groups:
        block = ys[:, i : i + int(np.prod(shape))].reshape(len(TAU), *shape)
        block = np.moveaxis(block, 0, -1) * scale[..., None]  # (n_state, n_modes, k, n_times)
        for j, name in enumerate(names):
            for m, mode in enumerate(("creep", "relax")[: shape[1]]):
                out[name, mode] = (_make(name), TAU * T[0, 0, j], jnp.asarray(block[:, m, j]))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_creep_ode_matches_creep_function(ode_solutions, name):
    rheo, t, state = ode_solutions[name, "creep"]
    strain = SIGMA0 / rheo.mu0 + rheo.inelastic_strain(state)
    np.testing.assert_allclose(strain, SIGMA0 * _call(rheo, "creep", t), rtol=1e-8, atol=0)


@pytest.mark.parametrize("name", [n for n in CASES if n != "kelvin_voigt"])
def test_relaxation_ode_matches_relaxation_function(ode_solutions, name):
    rheo, t, state = ode_solutions[name, "relax"]
    stress = rheo.mu0 * (GAMMA0 - rheo.inelastic_strain(state))
    np.testing.assert_allclose(stress, GAMMA0 * _call(rheo, "relaxation", t), rtol=1e-8, atol=0)


def test_burgers_ode_tends_to_maxwell(ode_solutions):
    """The stiff Burgers ODE (mu_K = 1e6 mu_M) against the *Maxwell* closed forms.

    Tolerances from first-order perturbation in eps = mu_M/mu_K (see the closed-form test):
    creep differs by at most eps/mu_M, relaxation by about eps (1 + t/tau_M) relative.
    """
    eps = 1e-6
    maxwell = Maxwell(mu=MU, eta=1e19)
    rheo, t, state = ode_solutions["burgers_mu_K_1e6", "creep"]
    strain = SIGMA0 / rheo.mu0 + rheo.inelastic_strain(state)
    np.testing.assert_allclose(strain, SIGMA0 * _call(maxwell, "creep", t), rtol=eps + 1e-8, atol=0)
    rheo, t, state = ode_solutions["burgers_mu_K_1e6", "relax"]
    stress = rheo.mu0 * (GAMMA0 - rheo.inelastic_strain(state))
    expected = GAMMA0 * _call(maxwell, "relaxation", t)
    bound = 2 * eps * (1 + t * MU / 1e19) + 1e-8
    assert np.all(np.abs(stress / expected - 1) <= bound)


# ------------------------------------------------------------------------------------------
# (2) Laplace modulus vs numerical Laplace transforms
# ------------------------------------------------------------------------------------------


def _laplace(rheo, method, s, times):
    """s * integral_0^inf f(t) exp(-s t) dt by scipy quad, f = `rheo.relaxation` or
    `rheo.creep`, for real or complex s (Re s > 0).

    With x = Re(s) t the integrand is f(x/Re s) exp(-x) exp(-i Im(s)/Re(s) x); the intervals
    are split at the characteristic times so that quad sees every transient.
    """
    sr, w = s.real, s.imag / s.real
    breaks = sorted({min(sr * tc, 50.0) for tc in times} | {0.0, 50.0})

    def integrand(x):
        return float(_call(rheo, method, x / sr)) * np.exp(-x) * np.exp(-1j * w * x)

    total = 0j
    for lo, hi in [*zip(breaks[:-1], breaks[1:], strict=True), (breaks[-1], np.inf)]:
        if hi > lo:
            val, _ = integrate.quad(
                integrand, lo, hi, epsabs=0, epsrel=1e-11, limit=100, complex_func=True
            )
            total += val
    return s / sr * total


def _s_values(name):
    """Real s across the relaxation rates, then one complex s (Re s = Im s)."""
    T = _slowest_time(name)
    return [0.1 / T, 3 / T, 100 / T, (1 + 1j) / T]


@pytest.mark.parametrize("name", list(CASES))
def test_modulus_is_laplace_transform_of_relaxation(name):
    rheo = _make(name)
    for s in _s_values(name):
        expected = _laplace(rheo, "relaxation", complex(s), _char_times(name))
        if isinstance(rheo, KelvinVoigt):
            expected += complex(rheo.eta) * s  # the impulse eta delta(t) at t = 0
        got = complex(_call(rheo, "modulus", s))
        assert abs(got - expected) <= 1e-8 * abs(expected), (s, got, expected)


@pytest.mark.parametrize("name", list(CASES))
def test_modulus_inverts_creep_transform(name):
    """Creep and relaxation are consistent: mu(s) * s L[J](s) = 1."""
    rheo = _make(name)
    for s in _s_values(name)[:2]:
        jhat = _laplace(rheo, "creep", complex(s), _char_times(name))
        assert abs(complex(_call(rheo, "modulus", s)) * jhat - 1) <= 1e-8, s


@pytest.mark.parametrize("name", list(CASES))
def test_moduli_limits(name):
    """mu0 = G(0) = mu(s -> inf) and relaxed_mu = G(inf) = mu(s -> 0), from the parameters."""
    kind, p = CASES[name]
    rheo = _make(name)
    T = _slowest_time(name)
    mu0 = {"kelvin_voigt": np.inf, "burgers": p.get("mu_M")}.get(kind, p.get("mu"))
    relaxed = {
        "elastic": MU,
        "maxwell": 0.0,
        "kelvin_voigt": MU,
        "sls": MU * p.get("mu_K", 0) / (MU + p.get("mu_K", 0)),
        "burgers": 0.0,
    }[kind]
    np.testing.assert_allclose(rheo.mu0, mu0, rtol=1e-15)
    np.testing.assert_allclose(rheo.relaxed_mu, relaxed, rtol=1e-15)
    if kind != "kelvin_voigt":
        np.testing.assert_allclose(_call(rheo, "relaxation", 0.0), mu0, rtol=1e-15)
        np.testing.assert_allclose(_call(rheo, "modulus", 1e9 / T), mu0, rtol=1e-6)
    np.testing.assert_allclose(_call(rheo, "relaxation", 1e3 * T), relaxed, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(_call(rheo, "modulus", 1e-9 / T), relaxed, rtol=1e-6, atol=1e-8 * MU)


# ------------------------------------------------------------------------------------------
# (3) Burgers relaxation function vs 50-digit arithmetic
# ------------------------------------------------------------------------------------------


def _burgers_relaxation_mp(mu_M, eta_M, mu_K, eta_K, times):
    """The textbook two-root formula in 50-digit arithmetic; roots by the plain formula."""
    with mpmath.workdps(50):
        mu_M, eta_M, mu_K, eta_K = map(mpmath.mpf, (mu_M, eta_M, mu_K, eta_K))
        a, b, c = eta_M * eta_K, eta_M * mu_K + mu_M * eta_K + mu_M * eta_M, mu_M * mu_K
        sq = mpmath.sqrt(b * b - 4 * a * c)
        r1, r2 = (-b - sq) / (2 * a), (-b + sq) / (2 * a)
        out = [
            mu_M
            / eta_K
            * ((mu_K + eta_K * r1) * mpmath.exp(r1 * t) - (mu_K + eta_K * r2) * mpmath.exp(r2 * t))
            / (r1 - r2)
            for t in map(mpmath.mpf, times)
        ]
        return np.array([float(g) for g in out]), float(-1 / r1), float(-1 / r2)


@pytest.mark.parametrize("eta_ratio", [1e-3, 1.0, 1e3, 1e6])
@pytest.mark.parametrize("mu_ratio", [1e-2, 1.0, 1e4, 1e8])
def test_burgers_relaxation_against_mpmath(eta_ratio, mu_ratio):
    """eta_M/eta_K from 1e-3 to 1e6 and mu_K/mu_M up to 1e8, at 0.01-10 of both times."""
    p = dict(mu_M=MU, eta_M=1e19, mu_K=mu_ratio * MU, eta_K=1e19 / eta_ratio)
    _, t_fast, t_slow = _burgers_relaxation_mp(**p, times=[0.0])
    times = np.concatenate([np.logspace(-2, 1, 4) * t_fast, np.logspace(-2, 1, 4) * t_slow])
    expected, _, _ = _burgers_relaxation_mp(**p, times=times)
    got = np.asarray(_call(Burgers(**p), "relaxation", times))
    # exp(r t) carries a relative error ~ |r t| eps64 <~ 1e-14 for r t up to 10.
    np.testing.assert_allclose(got, expected, rtol=1e-11, atol=0)


# ------------------------------------------------------------------------------------------
# (4) Limits, through independent code paths
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mu_ratio", [1e6, np.inf])
def test_burgers_tends_to_maxwell(mu_ratio):
    """Burgers with mu_K = mu_ratio * mu_M against Maxwell (mu_M, eta_M).

    With eps = mu_M/mu_K, after the Kelvin transient the body is a Maxwell body of spring
    mu_M/(1 + eps) and dashpot eta_M, so G_B/G_M - 1 = eps (1 + t/tau_M) + O(eps^2) with
    tau_M = eta_M/mu_M (bound: twice that).  J_B - J_M = (1 - exp(-mu_K t/eta_K))/mu_K lies
    in [0, eps/mu_M] and J_M >= 1/mu_M, so creep agrees to eps relative; |1/mu_B(s) -
    1/mu_M(s)| <= 1/mu_K and |1/mu_M(s)| >= 1/mu_M for Re s > 0, so moduli agree to
    eps/(1 - eps).  At mu_K = inf (eps = 0) agreement is to rounding.
    """
    eps = 1 / mu_ratio
    eta_M, eta_K = 1e19, 1e19
    burgers = Burgers(mu_M=MU, eta_M=eta_M, mu_K=mu_ratio * MU, eta_K=eta_K)
    maxwell = Maxwell(mu=MU, eta=eta_M)
    tau_M = eta_M / MU
    t = tau_M * np.logspace(-3, 1, 9)
    rel = np.abs(_call(burgers, "relaxation", t) / _call(maxwell, "relaxation", t) - 1)
    assert np.all(rel <= 2 * eps * (1 + t / tau_M) + 1e-14)
    if eps:  # the bound is tight, not vacuous: the first-order term is there
        assert rel[-1] >= 0.5 * eps * (1 + t[-1] / tau_M)
    np.testing.assert_allclose(
        _call(burgers, "creep", t), _call(maxwell, "creep", t), rtol=eps + 1e-15, atol=0
    )
    s = np.array([0.1, 1.0, 10.0, 1 + 1j, 0.2 + 5j]) / tau_M
    np.testing.assert_allclose(
        _call(burgers, "modulus", s),
        _call(maxwell, "modulus", s),
        rtol=eps / (1 - eps) + 1e-14,
        atol=0,
    )
    np.testing.assert_allclose(burgers.relaxed_mu, 0.0)


@pytest.mark.parametrize(
    "limit, reference",
    [
        (
            Burgers(mu_M=MU, eta_M=np.inf, mu_K=2e10, eta_K=1e18),
            StandardLinearSolid(MU, 2e10, 1e18),
        ),
        (Burgers(mu_M=MU, eta_M=1e19, mu_K=2e10, eta_K=np.inf), Maxwell(MU, 1e19)),
        (Burgers(mu_M=MU, eta_M=np.inf, mu_K=np.inf, eta_K=np.inf), Elastic(MU)),
        (Maxwell(mu=MU, eta=np.inf), Elastic(MU)),
        (StandardLinearSolid(mu=MU, mu_K=np.inf, eta_K=1e18), Elastic(MU)),
        (StandardLinearSolid(mu=MU, mu_K=2e10, eta_K=np.inf), Elastic(MU)),
    ],
)
def test_infinite_parameters_give_the_limit(limit, reference):
    t = np.concatenate([[0.0], np.logspace(5, 10, 6)])
    s = np.array([1e-9, 1e-7, 1e-9 + 1e-8j])
    for method, arg in (("relaxation", t), ("creep", t), ("modulus", s)):
        got, expected = _call(limit, method, arg), _call(reference, method, arg)
        assert np.all(np.isfinite(got)), method
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0, err_msg=method)
    np.testing.assert_allclose(limit.relaxed_mu, reference.relaxed_mu, rtol=1e-15)
    # The state ODE of the limit: the frozen elements do not move.
    state = limit.init_state((3,)) + 1e-5
    rate = limit.state_rate(state, jnp.full((3,), 1e6))
    assert np.all(np.isfinite(rate))
    strain_rate = limit.inelastic_strain(rate)
    if isinstance(reference, Elastic):
        np.testing.assert_array_equal(strain_rate, 0.0)


# ------------------------------------------------------------------------------------------
# (5) Interface, jit, vmap, grad, dtypes, validation
# ------------------------------------------------------------------------------------------


def test_state_interface_and_batch_shapes():
    """State (n_state, *shape); fields of shape (n,) broadcast against a (2, n) batch."""
    n_states = {"elastic": 0, "maxwell": 1, "kelvin_voigt": 1, "sls": 1, "burgers": 2}
    for name in ("elastic", "maxwell", "kelvin_voigt", "sls", "burgers"):
        rheo = _make(name)
        assert isinstance(rheo, AbstractRheology)
        assert rheo.n_state == n_states[name]
        state = rheo.init_state((2, 5))
        assert state.shape == (n_states[name], 2, 5) and state.dtype == jnp.float64
        assert rheo.state_rate(state, jnp.ones((2, 5))).shape == state.shape
        assert rheo.inelastic_strain(state).shape == (2, 5)
    with pytest.raises(TypeError):
        AbstractRheology()  # type: ignore[abstract]
    # Burgers rates by hand, per volume: fields of shape (3,), state (2, 2, 3).
    eta_M, mu_K, eta_K = np.array([1e19, 1e20, 3e18]), np.array([1e10, 3e10, 1e11]), 1e18
    rheo = Burgers(mu_M=MU, eta_M=eta_M, mu_K=mu_K, eta_K=eta_K)
    state = jnp.asarray(np.random.default_rng(0).uniform(0, 1e-4, (2, 2, 3)))
    stress = jnp.asarray(np.random.default_rng(1).uniform(-1e6, 1e6, (2, 3)))
    rate = rheo.state_rate(state, stress)
    state, stress = np.asarray(state), np.asarray(stress)
    np.testing.assert_allclose(rate[0], stress / eta_M, rtol=1e-15)
    np.testing.assert_allclose(rate[1], (stress - mu_K * state[1]) / eta_K, rtol=1e-13)
    np.testing.assert_allclose(
        rheo.inelastic_strain(jnp.asarray(state)), state[0] + state[1], rtol=1e-15
    )


def test_jit_matches_eager():
    # Burgers (both branches of its where) covers nearly every primitive of the other classes;
    # each extra class costs eager per-primitive compilations, not coverage.
    names = ["elastic", "kelvin_voigt", "burgers", "burgers_mu_K_inf"]
    rheos = tuple(_make(n) for n in names)
    t = jnp.logspace(5, 10, 6)
    s = jnp.array([1e-9 + 0j, 1e-8 + 1e-8j])

    def evaluate(rheos, t, s):
        out = []
        for r in rheos:
            state = r.init_state((6,)) + 1e-5
            out.append((r.relaxation(t), r.creep(t), r.modulus(s), r.state_rate(state, t)))
        return out

    for got, expected in zip(jax.jit(evaluate)(rheos, t, s), evaluate(rheos, t, s), strict=True):
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-13, atol=0)


def test_vmap_over_burgers_parameters():
    eta_M = np.logspace(18, 20, 5)
    mu_K = MU * np.logspace(-1, 3, 5)
    batch = Burgers(mu_M=jnp.full(5, MU), eta_M=eta_M, mu_K=mu_K, eta_K=1e18)
    assert batch.eta_K.shape == (5,)  # fields broadcast together, so vmap maps every field
    t = jnp.logspace(6, 10, 7)
    s = jnp.array([1e-9, 1e-8 + 1e-8j])
    got = jax.vmap(lambda r: (r.relaxation(t), r.creep(t), r.modulus(s)))(batch)
    for i in range(5):
        one = Burgers(mu_M=MU, eta_M=eta_M[i], mu_K=mu_K[i], eta_K=1e18)
        for g, e in zip(
            got,
            (_call(one, "relaxation", t), _call(one, "creep", t), _call(one, "modulus", s)),
            strict=True,
        ):
            np.testing.assert_allclose(g[i], e, rtol=1e-14, atol=0)
        expected, _, _ = _burgers_relaxation_mp(MU, eta_M[i], mu_K[i], 1e18, np.asarray(t))
        np.testing.assert_allclose(got[0][i], expected, rtol=1e-11)


def _fd(f, x):
    """Central difference.  Step eps^(1/3) x, not sqrt(eps) x: it balances truncation (h^2)
    against rounding (eps/h) for the weakest log-sensitivities here (~1e-3), ~1e-8 error."""
    h = np.finfo(np.float64).eps ** (1 / 3) * x
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("name", ["burgers", "burgers_fast_kelvin"])
def test_burgers_relaxation_gradients_vs_finite_differences(name):
    """d G(t) / d eta_M and d G(t) / d mu_K, both amplitude branches, vs central differences,
    at every characteristic time (log-sensitivities 1e-4 to 1 there)."""
    p = CASES[name][1]
    t = jnp.asarray(_char_times(name))

    def g_eta(eta_M, t):
        return Burgers(p["mu_M"], eta_M, p["mu_K"], p["eta_K"]).relaxation(t)

    def g_mu(mu_K, t):
        return Burgers(p["mu_M"], p["eta_M"], mu_K, p["eta_K"]).relaxation(t)

    for f, x in ((g_eta, p["eta_M"]), (g_mu, p["mu_K"])):
        grad = jax.jit(jax.vmap(jax.grad(f), in_axes=(None, 0)))(x, t)
        f_t = jax.jit(lambda x, f=f: f(x, t))
        np.testing.assert_allclose(grad, _fd(f_t, x), rtol=1e-6)


def test_gradients_at_infinite_parameters_are_finite():
    """Double-where: gradients through the discarded branch stay finite (and correct)."""
    t = 1e9

    def burgers_eta(eta_M):
        return Burgers(MU, eta_M, np.inf, 1e19).relaxation(t)

    def maxwell_eta(eta):
        return Maxwell(MU, eta).relaxation(t)

    np.testing.assert_allclose(
        jax.jit(jax.grad(burgers_eta))(1e19), jax.jit(jax.grad(maxwell_eta))(1e19), rtol=1e-14
    )
    grad_mu_K = jax.jit(jax.grad(lambda mu_K: Burgers(MU, 1e19, mu_K, 1e19).relaxation(t)))(np.inf)
    assert np.isfinite(grad_mu_K)

    def burgers_mu_K(mu_K):
        return Burgers(MU, np.inf, mu_K, 1e18).relaxation(t / 100)

    def sls_mu_K(mu_K):
        return StandardLinearSolid(MU, mu_K, 1e18).relaxation(t / 100)

    np.testing.assert_allclose(
        jax.jit(jax.grad(burgers_mu_K))(2e10), jax.jit(jax.grad(sls_mu_K))(2e10), rtol=1e-10
    )


@pytest.mark.parametrize("name", ["elastic", "maxwell", "kelvin_voigt", "sls", "burgers"])
def test_float32_in_float32_out(name):
    """float32 fields and inputs stay float32, within 1e-5 of float64 (|r t| <= 10 here)."""
    r32, r64 = _make(name, np.float32), _make(name)
    T = _slowest_time(name)
    t = np.logspace(-2, 1, 4) * T
    s = np.array([0.1, 1.0, 10.0]) / T
    sc = s * (1 + 1j)
    for method, arg in (("relaxation", t), ("creep", t), ("modulus", s), ("modulus", sc)):
        arg32 = arg.astype(np.complex64 if np.iscomplexobj(arg) else np.float32)
        got = _call(r32, method, arg32)
        assert got.dtype == (jnp.complex64 if np.iscomplexobj(arg) else jnp.float32), method
        np.testing.assert_allclose(got, _call(r64, method, arg), rtol=1e-5, err_msg=method)
    assert r32.mu0.dtype == jnp.float32 and r32.relaxed_mu.dtype == jnp.float32
    state = r32.init_state((3,))
    assert state.dtype == jnp.float32
    assert r32.state_rate(state + 1e-5, jnp.full(3, 1e6, jnp.float32)).dtype == jnp.float32


@pytest.mark.parametrize(
    "cls, kwargs, match",
    [
        (Elastic, dict(mu=-MU), "mu must be > 0"),
        (Elastic, dict(mu=np.inf), "mu must be finite"),
        (Elastic, dict(mu=np.nan), "mu is NaN"),
        (Maxwell, dict(mu=MU, eta=0.0), "eta must be > 0"),
        (Maxwell, dict(mu=MU, eta=np.nan), "eta is NaN"),
        (KelvinVoigt, dict(mu=MU, eta=np.inf), "eta must be finite"),
        (KelvinVoigt, dict(mu=-1.0, eta=1e18), "mu must be > 0"),
        (StandardLinearSolid, dict(mu=MU, mu_K=-2e10, eta_K=1e18), "mu_K must be > 0"),
        (StandardLinearSolid, dict(mu=MU, mu_K=2e10, eta_K=np.nan), "eta_K is NaN"),
        (Burgers, dict(mu_M=np.inf, eta_M=1e19, mu_K=MU, eta_K=1e18), "mu_M must be finite"),
        (Burgers, dict(mu_M=MU, eta_M=-1e19, mu_K=MU, eta_K=1e18), "eta_M must be > 0"),
        (Burgers, dict(mu_M=MU, eta_M=1e19, mu_K=np.nan, eta_K=1e18), "mu_K is NaN"),
        (Burgers, dict(mu_M=MU, eta_M=1e19, mu_K=-np.inf, eta_K=1e18), "mu_K must be > 0"),
        (
            Burgers,
            dict(mu_M=MU, eta_M=1e19, mu_K=MU, eta_K=np.array([1e18, 1e18, np.nan])),
            r"eta_K is NaN.*index \(2,\)",
        ),
    ],
)
def test_bad_parameters_raise(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_construction_inside_jit():
    """Traced fields skip the eager checks, so a rheology can be built inside jit and grad."""
    f = jax.jit(lambda eta: Burgers(MU, eta, MU, 1e18).relaxation(1e8))
    np.testing.assert_allclose(f(1e19), Burgers(MU, 1e19, MU, 1e18).relaxation(1e8), rtol=1e-14)
