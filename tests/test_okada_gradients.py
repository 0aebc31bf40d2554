"""Derivatives of the Okada kernels: finite everywhere the value is, and equal to central
finite differences (float64) with respect to every input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from quakejax.okada._dc3d import _dc3d_point
from quakejax.okada._dc3d0 import _dc3d0_point

NAMES = ["x", "y", "z", "depth", "dip", "al1", "al2", "aw1", "aw2", "d1", "d2", "d3", "alpha"]


def _f(theta):
    x, y, z, depth, dip, al1, al2, aw1, aw2, d1, d2, d3, alpha = theta
    out, _ = _dc3d_point(x, y, z, alpha, depth, dip, al1, al2, aw1, aw2, (d1, d2, d3))
    return out


# Every finite-difference call below uses 6 points, so `_val` compiles once.
N = 6
# Compile speed matters more than run speed here: skip XLA's backend optimisations.
_FAST_COMPILE = {"xla_backend_optimization_level": 0}
_val = jax.jit(jax.vmap(_f), compiler_options=_FAST_COMPILE)
# Reverse mode as jax.grad uses it: the gradient of a weighted sum of the 12 outputs.
_WEIGHTS = jnp.linspace(-1.0, 1.3, 12)
# The derivatives themselves run eagerly (op by op), all test points in one batch: compiling
# the forward Jacobian and the reverse gradient of the whole kernel under jit takes about
# three minutes on a 2-core CPU, running them eagerly about twenty seconds.
_jac = jax.vmap(jax.jacfwd(_f))
_grad_rev = jax.vmap(jax.grad(lambda t: jnp.sum(_WEIGHTS * _f(t))))


def _theta(
    x,
    y,
    z,
    depth=5.0,
    dip=55.0,
    al=(-2.0, 3.0),
    aw=(-1.5, 2.0),
    disl=(1.0, 0.6, 0.3),
    alpha=2.0 / 3.0,
):
    return [x, y, z, depth, dip, *al, *aw, *disl, alpha]


def _central_difference(thetas, h=1e-5):
    thetas = np.asarray(thetas, dtype=float)
    cols = []
    for k in range(thetas.shape[1]):
        step = h * max(1.0, abs(thetas[0, k]))
        e = np.zeros(thetas.shape[1])
        e[k] = step
        central = (np.asarray(_val(thetas + e)) - np.asarray(_val(thetas - e))) / (2 * step)
        if k == 2:  # z: second-order backward difference on the free surface (z + h is outside)
            f0, f1, f2 = (np.asarray(_val(thetas - m * e)) for m in (0, 1, 2))
            backward = (3 * f0 - 4 * f1 + f2) / (2 * step)
            central = np.where((thetas[:, 2] + step > 0)[:, None], backward, central)
        cols.append(central)
    return np.stack(cols, axis=-1)  # (n, 12, 13)


DIPS = [55.0, 12.0, -40.0, 89.0, 0.0]
VERTICAL = [90.0, -90.0]


def _dip_thetas(dip):
    """N random points (one on the free surface) around the standard fault at `dip`."""
    rng = np.random.default_rng(20240601)
    pts = np.c_[rng.uniform(-8, 8, N), rng.uniform(-8, 8, N), -rng.uniform(0.0, 10.0, N)]
    pts[0, 2] = 0.0
    return np.array([_theta(*p, dip=dip) for p in pts])


@pytest.fixture(scope="module")
def derivatives():
    """Forward Jacobian (12, 13) and reverse gradient (13,) at every point the tests use,
    keyed by dip (float) or singular-point name."""
    cases = {d: _dip_thetas(d) for d in DIPS + VERTICAL}
    cases.update({name: np.array([t], dtype=float) for name, t in SINGULAR.items()})
    stacked = jnp.asarray(np.concatenate(list(cases.values())))
    jac, rev = np.asarray(_jac(stacked)), np.asarray(_grad_rev(stacked))
    out, i = {}, 0
    for key, th in cases.items():
        out[key] = (th, jac[i : i + len(th)], rev[i : i + len(th)])
        i += len(th)
    return out


@pytest.mark.parametrize("dip", DIPS)
def test_jacobian_matches_central_differences(derivatives, dip):
    thetas, jac, rev = derivatives[dip]
    fd = _central_difference(thetas)
    scale = np.abs(fd).max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(jac, fd, rtol=0, atol=2e-6 * scale.max())
    # Reverse mode agrees with forward mode (up to rounding, amplified near vertical dips).
    np.testing.assert_allclose(
        rev, np.einsum("o,nop->np", np.asarray(_WEIGHTS), jac), rtol=1e-7, atol=1e-10 * scale.max()
    )


SINGULAR = {
    # buried fault (depth 5, dip 55, xi in [-2, 3], eta in [-1.5, 2]); edge points in Okada's frame
    "on top edge": _theta(0.5, 2.0 * np.cos(np.radians(55)), -5.0 + 2.0 * np.sin(np.radians(55))),
    "on corner": _theta(3.0, 2.0 * np.cos(np.radians(55)), -5.0 + 2.0 * np.sin(np.radians(55))),
    "inside fault plane": _theta(0.5, 0.0, -5.0),
    "extension of top edge": _theta(
        -6.0, 2.0 * np.cos(np.radians(55)), -5.0 + 2.0 * np.sin(np.radians(55))
    ),
    "extension of side edge": _theta(
        -2.0, 3.0 * np.cos(np.radians(55)), -5.0 + 3.0 * np.sin(np.radians(55))
    ),
    "surface above fault": _theta(0.3, 1.0, 0.0),
    "surface trace of surface-breaking fault": _theta(
        0.3, 0.0, 0.0, depth=2.0, dip=90.0, aw=(-2.0, 2.0)
    ),
    "surface, vertical fault": _theta(1.0, 2.0, 0.0, dip=90.0),
    "depth, vertical fault": _theta(1.0, 2.0, -4.0, dip=90.0),
    "vertical fault plane": _theta(1.0, 0.0, -4.0, dip=90.0),
    "horizontal fault": _theta(1.0, 2.0, -1.0, dip=0.0),
    "above horizontal fault edge": _theta(3.0, -1.5, -5.0, dip=0.0),
    "dip -90": _theta(1.0, 2.0, 0.0, dip=-90.0),
}


@pytest.mark.parametrize("name", list(SINGULAR))
def test_gradients_finite_at_singular_points(derivatives, name):
    theta, jac, rev = derivatives[name]
    val = np.asarray(_val(jnp.asarray(np.repeat(theta, N, axis=0))))
    assert np.isfinite(val).all()
    assert np.isfinite(jac).all(), name
    assert np.isfinite(rev).all(), name


def test_point_source_gradients():
    def f(theta):
        x, y, z, depth, dip, p1, p2, p3, p4, alpha = theta
        return _dc3d0_point(x, y, z, alpha, depth, dip, (p1, p2, p3, p4))[0]

    jac = jax.jacfwd(f)  # eager: compiling it costs more than running it three times
    theta = np.array([1.5, -2.0, -1.0, 4.0, 35.0, 1.0, 0.5, -0.3, 0.2, 2.0 / 3.0])
    j = np.asarray(jac(jnp.asarray(theta)))
    fd = []
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = 1e-5 * max(1.0, abs(theta[k]))
        fd.append((np.asarray(f(theta + e)) - np.asarray(f(theta - e))) / (2 * e[k]))
    np.testing.assert_allclose(j, np.stack(fd, -1), atol=2e-7 * np.abs(j).max())
    # At the source itself and on the surface at a vertical dip: finite.
    for t in (
        [0.0, 0.0, -4.0, 4.0, 35.0, 1, 1, 1, 1, 2 / 3],
        [0.0, 1.0, 0.0, 4.0, 90.0, 1, 1, 1, 1, 2 / 3],
    ):
        assert np.isfinite(np.asarray(jac(jnp.asarray(t, dtype=float)))).all()


@pytest.mark.parametrize("dip", VERTICAL)
def test_dip_derivative_at_vertical(derivatives, dip):
    """d/d(dip) at an exactly vertical dip, where DC3D's vertical limit formulas are used.

    The central difference uses a 0.03 degree step: smaller steps land where DC3D's general
    formulas lose digits to 1/cos^2(dip) cancellation.
    """
    thetas, jac, _ = derivatives[dip]
    jac = jac[:, :, 4]
    e = np.zeros(thetas.shape[1])
    e[4] = 0.03
    fd = (np.asarray(_val(thetas + e)) - np.asarray(_val(thetas - e))) / 0.06
    np.testing.assert_allclose(jac, fd, rtol=0, atol=2e-5 * np.abs(fd).max())
