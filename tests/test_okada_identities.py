"""Physical identities and analytic limits of the Okada kernels (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from quakejax.okada import dc3d, dc3d0
from quakejax.okada._dc3d import _dc3d_point
from quakejax.stress import stress_from_gradient

ALPHA = 2.0 / 3.0  # lambda = mu
MU = LAM = 1.0
FAULT = dict(alpha=ALPHA, depth=5.0, dip=55.0, al=(-2.0, 3.0), aw=(-1.5, 2.0))


def _points(rng, n, z_max=12.0, surface=False):
    xy = rng.uniform(-10.0, 10.0, size=(n, 2))
    z = np.zeros((n, 1)) if surface else -rng.uniform(0.1, z_max, size=(n, 1))
    return np.concatenate([xy, z], axis=1)


@pytest.mark.parametrize("dip", [0.0, 35.0, 90.0, -60.0])
def test_free_surface_is_traction_free(rng, dip):
    obs = _points(rng, 64, surface=True)
    kw = dict(FAULT, dip=dip)
    _, g = dc3d(obs, disl=(1.0, -0.7, 0.4), **kw)
    sig = np.asarray(stress_from_gradient(g, mu=MU, lam=LAM))
    scale = np.abs(sig).max()
    np.testing.assert_allclose(sig[:, :, 2], 0.0, atol=1e-11 * scale)
    np.testing.assert_allclose(sig[:, 2, :], 0.0, atol=1e-11 * scale)


def test_point_source_free_surface_is_traction_free(rng):
    obs = _points(rng, 64, surface=True)
    _, g = dc3d0(obs, alpha=ALPHA, depth=4.0, dip=40.0, pot=(1.0, 0.5, -0.3, 0.2))
    sig = np.asarray(stress_from_gradient(g, mu=MU, lam=LAM))
    np.testing.assert_allclose(sig[:, :, 2], 0.0, atol=1e-11 * np.abs(sig).max())


_DISL = (0.8, 1.1, 0.3)


def _outputs_at(p):
    out, _ = _dc3d_point(p[0], p[1], p[2], ALPHA, 5.0, 55.0, -2.0, 3.0, -1.5, 2.0, _DISL)
    return out


# d(12 outputs)/d(x, y, z) at 16 points: one compile serves the two tests below.
_d_outputs = jax.jit(
    jax.vmap(jax.jacfwd(_outputs_at)), compiler_options={"xla_backend_optimization_level": 0}
)


def test_equilibrium_div_stress_is_zero(rng):
    """d sigma_ij / d x_j = 0 away from the fault, with second derivatives from autodiff."""
    obs = _points(rng, 16)
    d_out = np.asarray(_d_outputs(jnp.asarray(obs)))  # (n, 12, 3)
    # d grad_ij / d x_k, with grad_ij = du_i/dx_j stored column by column in DC3D's order.
    d_grad = np.swapaxes(d_out[:, 3:, :].reshape(-1, 3, 3, 3), 1, 2)  # (n, i, j, k)
    d_eps = 0.5 * (d_grad + np.swapaxes(d_grad, 1, 2))
    d_sig = 2.0 * MU * d_eps + LAM * np.einsum("nllk,ij->nijk", d_eps, np.eye(3))
    div = np.einsum("nijj->ni", d_sig)
    np.testing.assert_allclose(div, 0.0, atol=1e-9 * np.abs(d_sig).max())


def test_grad_equals_jacobian_of_displacement(rng):
    obs = _points(rng, 16)
    jac = np.asarray(_d_outputs(jnp.asarray(obs)))[:, :3, :]
    _, g = dc3d(obs, disl=_DISL, **FAULT)
    np.testing.assert_allclose(jac, g, rtol=1e-9, atol=1e-13)


def test_linear_in_slip(rng):
    obs = _points(rng, 32)
    d1, d2 = np.array([0.3, -1.2, 0.5]), np.array([-0.7, 0.4, 2.0])
    u1, g1 = dc3d(obs, disl=d1, **FAULT)
    u2, g2 = dc3d(obs, disl=d2, **FAULT)
    u12, g12 = dc3d(obs, disl=2.0 * d1 - 3.0 * d2, **FAULT)
    np.testing.assert_allclose(u12, 2.0 * u1 - 3.0 * u2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g12, 2.0 * g1 - 3.0 * g2, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dip", [30.0, 90.0])
def test_far_field_equals_point_source(rng, dip):
    """A small rectangle seen from far away is a point source of the same potency."""
    h = 0.05  # half-size; the points are > 60 half-sizes away
    area = (2 * h) ** 2
    obs = _points(rng, 32) * np.array([1.0, 1.0, 0.5])
    obs = obs[np.linalg.norm(obs - np.array([0, 0, -6.0]), axis=1) > 3.0]
    for disl in [(1.0, 0, 0), (0, 1.0, 0), (0, 0, 1.0)]:
        u, g = dc3d(obs, alpha=ALPHA, depth=6.0, dip=dip, al=(-h, h), aw=(-h, h), disl=disl)
        # Potency = slip x area for all three (for opening, DC3D0's tensile source with potency
        # U A carries the isotropic intensity lambda U A of a crack of opening U).
        pot = np.array(disl) * area
        u0, g0 = dc3d0(obs, alpha=ALPHA, depth=6.0, dip=dip, pot=(*pot, 0.0))
        rel = np.abs(np.asarray(u) - np.asarray(u0)).max() / np.abs(u0).max()
        relg = np.abs(np.asarray(g) - np.asarray(g0)).max() / np.abs(g0).max()
        assert rel < 2e-3 and relg < 2e-3, (disl, rel, relg)


def test_jit_and_vmap_match_eager(rng):
    obs = _points(rng, 16)
    u, g = dc3d(obs, disl=(1.0, 0.5, 0.0), **FAULT)
    uj, gj = jax.jit(lambda o: dc3d(o, disl=(1.0, 0.5, 0.0), **FAULT))(obs)
    np.testing.assert_allclose(uj, u, rtol=1e-11, atol=1e-16)
    np.testing.assert_allclose(gj, g, rtol=1e-11, atol=1e-16)
    # vmap over sources (depth and dip) against a loop.
    depths = jnp.array([3.0, 5.0, 7.5])
    dips = jnp.array([20.0, 55.0, 90.0])
    kw = dict(alpha=ALPHA, al=(-2.0, 3.0), aw=(-1.5, 2.0), disl=(1.0, 0.5, 0.0))
    uv, gv = jax.vmap(lambda d, a: dc3d(obs, depth=d, dip=a, **kw))(depths, dips)
    for i in range(3):
        ui, gi = dc3d(obs, depth=float(depths[i]), dip=float(dips[i]), **kw)
        np.testing.assert_allclose(uv[i], ui, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(gv[i], gi, rtol=1e-12, atol=1e-15)


def test_float32_error_against_float64(rng):
    """float32 keeps about 5 significant digits relative to the largest value (see docs)."""
    obs = _points(rng, 256)
    u64, g64 = dc3d(obs, disl=(1.0, 0.5, 0.2), **FAULT)
    kw32 = {
        k: (np.float32(v) if np.isscalar(v) else tuple(np.float32(x) for x in v))
        for k, v in FAULT.items()
    }
    u32, g32 = dc3d(obs.astype(np.float32), disl=np.float32([1.0, 0.5, 0.2]), **kw32)
    assert u32.dtype == jnp.float32 and g32.dtype == jnp.float32
    err_u = np.abs(np.asarray(u32, np.float64) - u64).max() / np.abs(u64).max()
    err_g = np.abs(np.asarray(g32, np.float64) - g64).max() / np.abs(g64).max()
    assert err_u < 1e-4 and err_g < 1e-4, (err_u, err_g)


@pytest.mark.parametrize("dip", [90.0, 63.0, 20.0, 110.0])
def test_surface_only_kernel_equals_dc3d_at_z0(rng, dip):
    """`_dc3d_surface_unit` (part B only: the real and image part-A terms cancel at z = 0)
    equals the displacement rows of the full DC3D evaluation, including points on the trace
    extension and a fault edge."""
    from quakejax.okada._dc3d import _dc3d_surface_unit, _dc3d_unit

    alpha, depth, al, aw = 2.0 / 3.0, 12.0, (-8.0, 9.0), (-6.0, 0.0)
    xy = np.r_[rng.uniform(-40, 40, (200, 2)), [[0.0, 0.0], [20.0, 0.0], [-8.0, 3.0]]]
    surf = jax.vmap(lambda p: _dc3d_surface_unit(p[0], p[1], alpha, depth, dip, *al, *aw))(xy)
    full = jax.vmap(lambda p: _dc3d_unit(p[0], p[1], 0.0, alpha, depth, dip, *al, *aw)[0])(xy)
    np.testing.assert_allclose(surf, full[..., :3], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("dip", [40.0, 90.0])
def test_point_kernel_equals_unit_rows_combined(rng, dip):
    """`_dc3d_point` combines the slip types output by output before stacking (fewer XLA
    loops); it must equal the per-type rows of `_dc3d_unit` combined afterwards, with the
    same zeros on a fault edge, NaN above the surface and the same status, under jit.  Both
    paths are live (`_dc3d_unit` serves the Green's functions); their values are checked
    against pyrocko, okada-wrapper and Okada's Table 2 elsewhere."""
    from quakejax.okada._common import STATUS_ABOVE_SURFACE, STATUS_SINGULAR
    from quakejax.okada._dc3d import _dc3d_unit

    al, aw, depth = (-2.0, 3.0), (-1.5, 2.0), 5.0
    sd, cd = np.sin(np.deg2rad(dip)), np.cos(np.deg2rad(dip))
    edge = [3.0, 2.0 * cd, -depth + 2.0 * sd]  # on the top edge of the fault
    obs = np.r_[_points(rng, 64), _points(rng, 8, surface=True), [edge, [1.0, 1.0, 0.5]]]
    disl = (0.3, -1.2, 0.5)

    def point(p):
        return _dc3d_point(p[0], p[1], p[2], ALPHA, depth, dip, *al, *aw, disl)

    def combined(p):
        unit, status = _dc3d_unit(p[0], p[1], p[2], ALPHA, depth, dip, *al, *aw)
        return sum(d * row for d, row in zip(disl, unit, strict=True)), status

    out, status = jax.jit(jax.vmap(point))(obs)
    ref, ref_status = jax.jit(jax.vmap(combined))(obs)
    np.testing.assert_array_equal(status, ref_status)
    assert status[-2] == STATUS_SINGULAR and status[-1] == STATUS_ABOVE_SURFACE
    np.testing.assert_allclose(out, ref, rtol=1e-13, atol=1e-15 * np.nanmax(np.abs(ref)))
    assert np.all(out[-2] == 0.0) and np.all(np.isnan(out[-1]))


@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32])
def test_signed_angle_sum_equals_the_sum_of_arctangents(rng, dtype):
    """The kernel sums DC3D's corner arctangents as one angle of a complex product
    (`_signed_angle_sum`), correcting the principal angle by 2 pi where the sum leaves
    (-pi, pi].  Against numpy's four arctangents, on vectors drawn so that every branch
    occurs: both rows' differences large and of one sign (sums beyond +-pi), mixed signs,
    angles near +-pi/2, tiny and huge magnitudes, and the (1, 0) vector of unused terms."""
    from quakejax.okada._dc3d import _signed_angle_sum

    n = 4000
    ang = rng.uniform(-0.5, 0.5, size=(4, n)) * np.pi * (1.0 - 1e-6)
    ang[:, :500] = np.array([[1.5], [-1.5], [1.4], [-1.45]]) + rng.normal(0, 0.05, (4, 500))
    ang[:, 500:1000] = -ang[:, :500]
    ang = np.clip(ang, -0.4999 * np.pi, 0.4999 * np.pi)  # x > 0, as for the kernel's vectors
    ang[:, 1000:1100] = 0.0  # unused terms
    mag = 10.0 ** rng.uniform(-6.0, 6.0, size=(4, n))
    mag[:, 1000:1100] = 1.0
    x, y = mag * np.cos(ang), mag * np.sin(ang)
    ang = np.arctan2(y, x)  # the angles the vectors really have
    expected = (ang[0] - ang[1]) + (ang[2] - ang[3])
    assert (np.abs(expected) > np.pi).sum() > 500  # the wrap is exercised
    vec = [(jnp.asarray(x[i], dtype), jnp.asarray(y[i], dtype)) for i in range(4)]
    got = jax.jit(_signed_angle_sum, static_argnums=4)(*vec, dtype == jnp.float32)
    assert got.dtype == dtype
    tol = 2e-5 if dtype == jnp.float32 else 1e-13
    np.testing.assert_allclose(np.asarray(got, np.float64), expected, rtol=0, atol=tol)
