"""`implementation="pallas"`: the Pallas/Triton kernel against the XLA path.

On a CPU the kernel runs in Pallas's interpreter (the same kernel code, traced and lowered to
XLA instead of Triton); on an NVIDIA GPU the same tests run the compiled Triton kernel.  The
XLA path is itself checked against pyrocko, okada-wrapper and Okada's Table 2 elsewhere.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import quakejax as qj
from quakejax.okada import displacement, displacement_gradient, stress

from ._geometry import rel_err


def _fault(rng, n=6, opening=True):
    centroid = np.c_[rng.uniform(-5e3, 5e3, (n, 2)), -rng.uniform(3e3, 12e3, n)]
    slip = np.c_[rng.normal(size=(n, 2)), rng.uniform(0, 0.5, n) if opening else np.zeros(n)]
    dip = rng.uniform(10, 90, n)
    dip[0] = 90.0  # DC3D's vertical limits
    return qj.FaultModel(
        centroid,
        rng.uniform(0, 360, n),
        dip,
        rng.uniform(1e3, 4e3, n),
        rng.uniform(1e3, 3e3, n),
        slip,
    )


def _points(rng, fault, n=150):
    p = np.c_[rng.uniform(-2e4, 2e4, (n, 2)), -rng.uniform(0, 1.5e4, n)]
    p[: n // 4, 2] = 0.0  # free surface
    # One point at a patch centroid and one on the top edge of patch 0 (a singular point,
    # where DC3D and both paths drop that patch's contribution).
    c = np.asarray(fault.centroid)
    p[-1] = c[1]
    top = c[0].copy()
    top[2] += 0.5 * float(fault.width[0])  # patch 0 is vertical
    p[-2] = top
    return p


@pytest.mark.parametrize("opening", [True, False])
def test_pallas_matches_xla_float64(rng, opening):
    fault = _fault(rng, opening=opening)
    pts = _points(rng, fault)
    u, g = displacement_gradient(fault, pts)
    up, gp = displacement_gradient(fault, pts, implementation="pallas")
    assert np.all(np.isfinite(up)) and np.all(np.isfinite(gp))
    assert rel_err(up, u) < 1e-10
    assert rel_err(gp, g) < 1e-10


def test_pallas_float32(rng):
    """float32 through the kernel, against float64: the same accuracy as the XLA path's."""
    fault = _fault(rng)
    # Not the edge point: rounded to float32 it lies just off the edge, where the gradient
    # grows as 1 / distance.
    pts = _points(rng, fault)[:-2]
    u, g = displacement_gradient(fault, pts)
    f32 = jax.tree_util.tree_map(lambda v: jnp.asarray(v, jnp.float32), fault)
    up, gp = displacement_gradient(f32, pts.astype(np.float32), implementation="pallas")
    ux, gx = displacement_gradient(f32, pts.astype(np.float32))
    assert up.dtype == jnp.float32
    # About 1e-4 of the largest value here (near-vertical dips lose digits in float32, see
    # docs/validation.md); the kernel must not be less accurate than the XLA path.
    for a, x, ref in ((up, ux, u), (gp, gx, g)):
        assert rel_err(a, ref) < 1e-3
        assert rel_err(a, ref) < 1.5 * rel_err(x, ref) + 1e-6
        assert rel_err(a, x) < 1e-3


def test_pallas_reverse_mode_gradient_is_the_xla_one(rng):
    """jax.grad through the kernel (its custom VJP is the XLA path's) against central
    differences of the XLA path, in every slip component.  The loss is quadratic in the slip,
    so central differences are exact up to round-off; this avoids compiling the XLA path's
    own reverse mode a second time.  The custom VJP runs the XLA path in the accelerators'
    layout, so this also checks that layout's reverse mode; the CPU layouts' is checked
    through the emulator and the closed graph (tests/test_visco_emulator3d.py,
    tests/test_visco3d.py).  Only the slip: the geometry derivatives are the XLA path's
    own, tested in test_okada_gradients."""
    fault = _fault(rng, n=3)
    pts = jnp.asarray(_points(rng, fault, n=20)[:-2])

    def loss(slip, implementation):
        f = qj.FaultModel(fault.centroid, fault.strike, fault.dip, fault.length, fault.width, slip)
        sig = stress(f, pts, implementation=implementation)
        return jnp.sum((sig / 1e6) ** 2)

    gp = jax.grad(loss)(fault.slip, "pallas")
    value = jax.jit(loss, static_argnums=1)
    h = 1e-2
    fd = np.zeros(fault.slip.shape)
    for i, j in np.ndindex(*fd.shape):
        e = jnp.zeros_like(fault.slip).at[i, j].set(h)
        fd[i, j] = (value(fault.slip + e, "xla") - value(fault.slip - e, "xla")) / (2 * h)
    assert np.abs(fd).max() > 0
    assert rel_err(gp, fd) < 1e-9


def test_pallas_under_jit_marks_points_above_the_surface(rng):
    fault = _fault(rng, n=2)
    pts = _points(rng, fault, n=10)
    pts[3, 2] = 100.0  # above the surface: NaN under jit, as the XLA path
    f = jax.jit(lambda p: displacement_gradient(fault, p, implementation="pallas"))
    u, g = f(pts)
    ux, gx = jax.jit(lambda p: displacement_gradient(fault, p))(pts)
    assert np.all(np.isnan(u[3])) and np.all(np.isnan(g[3]))
    ok = np.arange(len(pts)) != 3
    assert rel_err(u[ok], ux[ok]) < 1e-10 and rel_err(g[ok], gx[ok]) < 1e-10
    with pytest.raises(ValueError, match="above the free surface"):
        displacement_gradient(fault, pts, implementation="pallas")


def test_pallas_under_vmap(rng):
    """vmap over a slip scale (Pallas batches the kernel's grid) equals the XLA path."""
    fault = _fault(rng, n=3)
    pts = jnp.asarray(_points(rng, fault, n=50)[:-2])

    def u(scale, implementation):
        f = qj.FaultModel(
            fault.centroid, fault.strike, fault.dip, fault.length, fault.width, fault.slip * scale
        )
        return displacement(f, pts, implementation=implementation)

    scales = jnp.array([0.5, 1.0, 2.0])
    got = jax.vmap(lambda c: u(c, "pallas"))(scales)
    want = jax.vmap(lambda c: u(c, "xla"))(scales)
    assert got.shape == (3, pts.shape[0], 3)
    assert rel_err(got, want) < 1e-10


def test_unknown_implementation_is_an_error(rng):
    fault = _fault(rng, n=1)
    with pytest.raises(ValueError, match="implementation must be one of"):
        displacement_gradient(fault, np.zeros((1, 3)), implementation="cuda")


def test_emulator3d_with_pallas_probes(rng):
    """The 3D relaxation emulator's probe stresses through the kernel give the same answer."""
    from quakejax.visco import Burgers, RelaxationEmulator3D

    emu = RelaxationEmulator3D.pretrained()
    fault = _fault(rng, n=3, opening=False)
    pts = np.c_[rng.uniform(-3e4, 3e4, (12, 2)), -rng.uniform(1e3, 2.5e4, 12)]
    rheo = Burgers(3e10, 1e19, 3e10, 1e18)
    year = 365.0 * 86400.0
    ref = emu.relaxation_stress(fault, pts, rheo, year, mean=True)
    pal = emu.with_okada_implementation("pallas").relaxation_stress(
        fault, pts, rheo, year, mean=True
    )
    assert rel_err(pal, ref) < 1e-10
    with pytest.raises(ValueError, match="okada_implementation"):
        emu.with_okada_implementation("triton")
