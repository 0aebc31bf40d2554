"""3D strain volumes (`quakejax.visco._cuboid`, `_relax3d`): kernel identities against
independent references (DC3D0 point-source sums, the laterally infinite layer, equilibrium, the
free surface, superposition), the stability of the interaction matrix, and the model (t = 0 is
Okada, the 2D Nur & Mavko limit)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from quakejax import FaultModel, okada
from quakejax.okada._dc3d import split_output
from quakejax.okada._dc3d0 import _dc3d0_point
from quakejax.visco import Maxwell
from quakejax.visco._cuboid import CHANNELS, cuboid_unit_fields
from quakejax.visco._relax3d import CuboidMesh, Postseismic3D, interaction_matrix

MU = LAM = 3.0e10
CENTRE = np.array([1e3, -2e3, -30e3])
HALF = np.array([2.5e3, 3e3, 2e3])


@pytest.fixture(scope="module")
def fields():
    f = jax.jit(
        lambda p, c, h: cuboid_unit_fields(p, c, h, mu=MU, lam=LAM, order=6),
    )
    return lambda p, c=CENTRE, h=HALF: tuple(
        np.asarray(a)
        for a in f(jnp.asarray(p, float), jnp.asarray(c, float), jnp.asarray(h, float))
    )


# Point-source representation of each channel: (strike, dip, potency index, factor).  A unit
# eigenstrain channel in dV is a plane of potency factor * dV (slip x area; opening x area).
_POINT = {
    "EE": (0.0, 90.0, 2, 1.0),
    "NN": (90.0, 90.0, 2, 1.0),
    "UU": (90.0, 0.0, 2, 1.0),
    "EN": (90.0, 90.0, 0, -2.0),
    "EU": (90.0, 0.0, 0, 2.0),
    "NU": (90.0, 0.0, 1, 2.0),
}


def _point_sum(p, channel, q=6):
    """u and stress at p of a channel's eigenstrain in the cuboid, as a q^3 Gauss sum of DC3D0
    point sources (an independent 3D quadrature of Okada's point-source solution)."""
    strike, dip, idx, fac = _POINT[channel]
    x, w = np.polynomial.legendre.leggauss(q)
    src = np.array([[a, b, c] for a in x for b in x for c in x]) * HALF + CENTRE
    dv = np.array([a * b * c for a in w for b in w for c in w]) * np.prod(HALF)
    d = p - src
    if strike == 0.0:  # Okada x = north, y = west
        obs = np.stack([d[:, 1], -d[:, 0], np.full(len(d), p[2])], 1)
        rot = np.array([[0, -1, 0], [1, 0, 0], [0, 0, 1.0]])
    else:  # Okada x = east, y = north
        obs = np.stack([d[:, 0], d[:, 1], np.full(len(d), p[2])], 1)
        rot = np.eye(3)
    pot = np.zeros((len(d), 4))
    pot[:, idx] = fac * dv
    alpha = (LAM + MU) / (LAM + 2 * MU)

    def one(o, depth, pt):
        out, _ = _dc3d0_point(o[0], o[1], o[2], alpha, depth, dip, tuple(pt[i] for i in range(4)))
        return split_output(out)

    u, g = jax.vmap(one)(jnp.asarray(obs), jnp.asarray(-src[:, 2]), jnp.asarray(pot))
    u = rot @ np.asarray(u).sum(0)
    g = rot @ np.asarray(g).sum(0) @ rot.T
    e = 0.5 * (g + g.T)
    return u, LAM * np.trace(e) * np.eye(3) + 2 * MU * e


@pytest.mark.parametrize(
    "p", [[12e3, 5e3, -25e3], [1e3, -11e3, -30e3], [7e3, -2e3, -41e3]], ids=str
)
def test_matches_point_source_sums(fields, p):
    """Every channel equals a 6^3 Gauss sum of DC3D0 point sources at 2-4 sides away."""
    p = np.asarray(p)
    u, s = fields(p)
    for k, ch in enumerate(CHANNELS):
        u_ref, s_ref = _point_sum(p, ch)
        assert np.abs(u[:, k] - u_ref).max() < 1e-6 * np.abs(u_ref).max(), ch
        assert np.abs(s[:, :, k] - s_ref).max() < 1e-6 * np.abs(s_ref).max(), ch


def test_laterally_infinite_layer():
    """A flat cuboid 200 times wider than thick approaches the uniaxial-strain layer:
    eps*_EE = 1 gives sigma_EE = -4 mu (lam + mu)/(lam + 2 mu), sigma_NN = -2 mu lam/(lam + 2 mu),
    sigma_UU = 0; a horizontal shear eps*_EU (a stack of infinite dislocation planes) gives 0."""
    c, h = jnp.array([0.0, 0.0, -60e3]), jnp.array([200e3, 200e3, 1e3])
    p = jnp.array([0.0, 0.0, -60e3 + 123.0])
    _, s = cuboid_unit_fields(p, c, h, mu=MU, lam=LAM, order=16)
    s = np.asarray(s) / MU
    expect = [-4 * (LAM + MU) / (LAM + 2 * MU), -2 * LAM / (LAM + 2 * MU), 0.0]
    np.testing.assert_allclose(np.diag(s[:, :, 0]), expect, atol=0.03)
    assert np.abs(s[:, :, 4]).max() < 0.03


def test_free_surface_traction(fields):
    """sigma . e_U = 0 on z = 0 above a shallow cuboid."""
    c, h = np.array([0.0, 0.0, -4e3]), np.array([3e3, 2e3, 2e3])
    for p in ([1e3, 1e3, 0.0], [6e3, -4e3, 0.0]):
        _, s = fields(np.asarray(p), c, h)
        scale = np.abs(s).max()
        assert np.abs(s[:, 2, :]).max() < 1e-10 * scale


@pytest.mark.parametrize("inside", [False, True])
def test_equilibrium(inside):
    """div sigma = 0 (forward-mode derivative of the kernel), outside and inside the cuboid.

    The quadrature nodes move with the receiver, so the derivative also carries the
    quadrature error: 7e-7 (outside) and 1e-5 (inside) at order 6, 1e-14 at order 16."""
    p = jnp.asarray(CENTRE + (np.array([0.3e3, -0.4e3, 0.5e3]) if inside else [6e3, 1e3, -3e3]))

    def sig(x):
        c, h = jnp.asarray(CENTRE), jnp.asarray(HALF)
        return cuboid_unit_fields(x, c, h, mu=MU, lam=LAM, order=16)[1]

    grad = np.asarray(jax.jacfwd(sig)(p))  # (3, 3, 6, 3)
    div = np.einsum("ijcj->ic", grad)
    scale = np.abs(np.asarray(sig(p))).max() / HALF.min()
    assert np.abs(div).max() < 1e-11 * scale


def test_continuity_across_faces():
    """Displacement and traction sigma . n are continuous across the cuboid's faces (the other
    stress components jump).  Receivers this close to a face (0.5 m) are near-singular for the
    stacking quadrature: order 16 is needed (order 6 errs by 0.3 mu at 1 mm, 0.08 mu at 1 m)."""
    c, h = jnp.asarray(CENTRE), jnp.asarray(HALF)
    f = jax.jit(lambda p: cuboid_unit_fields(p, c, h, mu=MU, lam=LAM, order=16))
    for axis in range(3):
        n = np.eye(3)[axis]
        face = CENTRE + HALF * n + np.array([0.3e3, 0.2e3, -0.1e3]) * (1 - n)
        u_in, s_in = (np.asarray(a) for a in f(jnp.asarray(face - 0.5 * n)))
        u_out, s_out = (np.asarray(a) for a in f(jnp.asarray(face + 0.5 * n)))
        assert np.abs(u_in - u_out).max() < 1e-3 * np.abs(u_in).max()
        jump = np.einsum("ijc,j->ic", s_in - s_out, n)
        assert np.abs(jump).max() < 2e-3 * np.abs(s_in).max()


def test_superposition_of_subcuboids():
    """A cuboid equals the sum of its 8 half-size sub-cuboids (at points outside and inside,
    never on a sub-cuboid face): a sharp test of the quadrature near and inside a source.
    Order 16 makes it exact to rounding; order 6 errs by 2e-6 (outside) and 3e-5 (inside)."""
    f = jax.jit(lambda p, c, h: cuboid_unit_fields(p, c, h, mu=MU, lam=LAM, order=16))
    octs = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], float)
    for p in (CENTRE + [4e3, 3.5e3, -1e3], CENTRE + [0.7e3, -1.1e3, 0.4e3]):
        u, s = (np.asarray(a) for a in f(p, CENTRE, HALF))
        parts = [f(p, CENTRE + 0.5 * HALF * o, 0.5 * HALF) for o in octs]
        u_sum = sum(np.asarray(a[0]) for a in parts)
        s_sum = sum(np.asarray(a[1]) for a in parts)
        assert np.abs(u - u_sum).max() < 1e-12 * np.abs(u).max()
        assert np.abs(s - s_sum).max() < 1e-12 * np.abs(s).max()


def test_interaction_matrix_stability():
    """Centre collocation gives a growing mode on a block of 4^3 cubes; receiver averaging of
    near pairs gives eigenvalues in [-2 mu, 0) (elastic energy bounds), with a nearly
    symmetric volume-weighted matrix."""
    mesh = CuboidMesh.tensor(*(np.arange(5) * 5e3,) * 2, 100e3 + np.arange(5) * 5e3)
    k1 = np.asarray(interaction_matrix(mesh, quadrature=1)) / MU
    k2 = np.asarray(interaction_matrix(mesh, quadrature=2)) / MU
    assert np.linalg.eigvals(k1).real.max() > 0.1  # documented failure of collocation
    ev = np.linalg.eigvals(k2)
    assert ev.real.max() < 0 and ev.real.min() > -2.0
    assert np.linalg.norm(k2 - k2.T) < 1e-3 * np.linalg.norm(k2)  # equal volumes: W K = K W


def test_mesh_errors():
    with pytest.raises(ValueError, match="above the free"):
        CuboidMesh([[0.0, 0.0, -1e3]], [[1e3, 1e3, 2e3]])
    with pytest.raises(ValueError, match="side <= 0"):
        CuboidMesh([[0.0, 0.0, -5e3]], [[1e3, 0.0, 2e3]])
    with pytest.raises(ValueError, match="depth_edges"):
        CuboidMesh.tensor([0, 1e3], [0, 1e3], [2e3, 1e3])


@pytest.fixture(scope="module")
def small_model():
    mesh = CuboidMesh.tensor(
        [-40e3, -15e3, -5e3, 5e3, 15e3, 40e3], [-60e3, -20e3, 20e3, 60e3], [20e3, 30e3, 50e3]
    )
    return Postseismic3D.build(mesh, Maxwell(MU, 1e19), mu=MU, lam=LAM)


def test_t0_is_okada(small_model):
    fault = FaultModel.from_top_centre(
        [[0.0, 0, 0]], [10.0], [80.0], [30e3], [15e3], [[1.0, 0.3, 0]]
    )
    pts = np.array([[3e3, 2e3, 0.0], [-7e3, 5e3, -3e3], [20e3, -10e3, -25e3]])
    u, s = small_model.fields(fault, pts, [0.0, 3e7])
    # Okada's, to round-off: the points share one DC3D pass with the cuboid centres,
    # vectorised differently from a call of their own.
    u_okada = okada.displacement(fault, pts, mu=MU, lam=LAM)
    np.testing.assert_allclose(np.asarray(u[0]), np.asarray(u_okada), rtol=1e-13, atol=0)
    s_okada = np.asarray(okada.stress(fault, pts, mu=MU, lam=LAM))
    np.testing.assert_allclose(
        np.asarray(s[0]), s_okada, rtol=1e-13, atol=1e-13 * abs(s_okada).max()
    )
    assert np.abs(np.asarray(u[1] - u[0])).max() > 1e-5  # it relaxes
    deep = FaultModel.from_top_centre([[0.0, 0, 0]], [0.0], [90.0], [30e3], [25e3], [[1.0, 0, 0]])
    with pytest.raises(ValueError, match="elastic layer"):
        small_model.relax(deep, [1.0])


# ------------------------------------------------------------------------- the closed graph
@pytest.fixture(scope="module")
def graph(small_model):
    import dataclasses

    import diffrax

    from quakejax.visco._graph import ViscoGrid

    # The same mesh and interaction matrix as `small_model`, tight tolerances, forward mode.
    model = dataclasses.replace(small_model, rtol=1e-10, atol=1e-12, adjoint=diffrax.ForwardMode())
    rng = np.random.default_rng(3)
    cells = np.stack(
        [rng.uniform(-30e3, 30e3, 24), rng.uniform(-30e3, 30e3, 24), -rng.uniform(2.5e3, 40e3, 24)],
        1,
    )
    fault = FaultModel.from_top_centre(
        [[-6e3, 0.0, 0.0], [6e3, 1e3, 0.0]],
        [5.0, 15.0],
        [85.0, 80.0],
        [12e3, 12e3],
        [15e3, 15e3],
        [[2.0, 0.5, 0.0], [1.5, -0.3, 0.0]],
    )
    labels = (rng.random(24) < 0.3).astype(float)
    return ViscoGrid.build(cells, model), fault, labels


def test_graph_t0_is_coseismic(graph):
    from quakejax.aftershocks import AftershockClassifier
    from quakejax.visco._graph import aftershock_log_likelihood

    grid, fault, labels = graph
    clf = AftershockClassifier.pretrained("devries")
    z = jax.vmap(clf.logit)(okada.stress(fault, grid.points, mu=MU, lam=LAM))
    expect = np.sum(labels * z - jax.nn.softplus(z))
    got = aftershock_log_likelihood(fault, Maxwell(MU, 1e19), grid, labels, 0.0)
    np.testing.assert_allclose(float(got), float(expect), rtol=1e-12)
    later = aftershock_log_likelihood(fault, Maxwell(MU, 1e19), grid, labels, 3e8)
    assert abs(float(later) - float(expect)) > 1e-6  # relaxation changes it


@pytest.mark.slow  # about 3 min on 2 cores: forward mode through DC3D and diffrax
def test_graph_derivatives_match_finite_differences(graph):
    """jvp of the relaxed stress and of the log-likelihood along slip, log-viscosity and
    geometry (depth, dip) directions, against central differences (float64)."""
    from quakejax.visco._graph import aftershock_log_likelihood, relaxed_stress

    grid, fault, labels = graph
    window = 1.5e8  # s, about 0.24 t_R

    def stages(log_eta, slip, dz, ddip):
        f = eqx.tree_at(
            lambda m: (m.slip, m.centroid, m.dip),
            fault,
            (slip, fault.centroid + dz[:, None] * jnp.array([[0.0, 0.0, 1.0]]), fault.dip + ddip),
        )
        rheo = Maxwell(MU, jnp.exp(log_eta))
        return (
            relaxed_stress(f, rheo, grid, window) / 1e6,
            aftershock_log_likelihood(f, rheo, grid, labels, window),
        )

    x0 = (jnp.log(1e19), fault.slip, jnp.zeros(2), jnp.zeros(2))
    dirs = [
        (1.0, jnp.zeros_like(fault.slip), jnp.zeros(2), jnp.zeros(2)),
        (0.0, jnp.array([[1.0, -0.5, 0.0], [0.3, 1.0, 0.0]]), jnp.zeros(2), jnp.zeros(2)),
        (0.0, jnp.zeros_like(fault.slip), jnp.array([-300.0, 200.0]), jnp.zeros(2)),
        (0.0, jnp.zeros_like(fault.slip), jnp.zeros(2), jnp.array([2.0, -1.0])),
    ]
    value = jax.jit(stages)
    tangent_of = jax.jit(lambda d: jax.jvp(stages, x0, d)[1])
    for d in dirs:
        d = tuple(jnp.asarray(a, float) for a in d)
        tangent = tangent_of(d)
        h = 1e-4
        plus = value(*(a + h * b for a, b in zip(x0, d, strict=True)))
        minus = value(*(a - h * b for a, b in zip(x0, d, strict=True)))
        for k in range(2):
            fd = (np.asarray(plus[k]) - np.asarray(minus[k])) / (2 * h)
            scale = np.abs(fd).max()
            assert scale > 0
            assert np.abs(np.asarray(tangent[k]) - fd).max() < 1e-5 * scale + 1e-9


def test_graph_gradient_slip_and_viscosity(graph):
    """Reverse mode (diffrax's default adjoint) of the log-likelihood with respect to slip and
    log-viscosity, against central differences."""
    import dataclasses

    import diffrax

    from quakejax.visco._graph import aftershock_log_likelihood

    grid, fault, labels = graph
    grid = eqx.tree_at(
        lambda g: g.model,
        grid,
        dataclasses.replace(grid.model, adjoint=diffrax.RecursiveCheckpointAdjoint()),
    )

    def loglik(slip, log_eta):
        f = eqx.tree_at(lambda m: m.slip, fault, slip)
        return aftershock_log_likelihood(f, Maxwell(MU, jnp.exp(log_eta)), grid, labels, 1.5e8)

    x0 = (fault.slip, jnp.log(1e19))
    g_slip, g_eta = jax.jit(jax.grad(loglik, argnums=(0, 1)))(*x0)
    value = jax.jit(loglik)
    h = 1e-5
    for i, j in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        e = jnp.zeros_like(fault.slip).at[i, j].set(h)
        fd = (value(x0[0] + e, x0[1]) - value(x0[0] - e, x0[1])) / (2 * h)
        np.testing.assert_allclose(float(g_slip[i, j]), float(fd), rtol=1e-5, atol=1e-9)
    h = 1e-4
    fd = (value(x0[0], x0[1] + h) - value(x0[0], x0[1] - h)) / (2 * h)
    np.testing.assert_allclose(float(g_eta), float(fd), rtol=1e-5, atol=1e-9)


def test_octree_mesh_tiles_the_domain():
    """The octree cubes fill the box below the layer exactly (volumes add up, none overlap
    the layer), are h0 near the rupture and coarser away from it."""
    fault = FaultModel.from_top_centre([[0.0, 0, 0]], [30.0], [90.0], [40e3], [15e3], [[1.0, 0, 0]])
    mesh = CuboidMesh.octree(fault, 20e3, h0=5e3, alpha=2.0, lateral=60e3, depth_extent=80e3)
    c, h = np.asarray(mesh.centre), np.asarray(mesh.half)
    lo, hi = (c - h).min(0), (c + h).max(0)
    assert np.isclose(float(np.sum(np.asarray(mesh.volume))), np.prod(hi - lo), rtol=1e-12)
    assert np.isclose(hi[2], -20e3) and np.isclose(lo[2], -100e3)
    assert np.isclose(h.min(), 2.5e3) and h.max() >= 10e3
    nearest = np.argmin(np.linalg.norm(c - [0.0, 0.0, -22.5e3], axis=1))
    assert np.isclose(h[nearest, 0], 2.5e3)


_SHARD_SCRIPT = """
import json, sys
import jax
jax.config.update("jax_enable_x64", True)
import numpy as np
from quakejax.visco import CuboidMesh, eigenstrain_fields, interaction_matrix
mesh = CuboidMesh.tensor([-10e3, 0.0, 10e3], [-10e3, 10e3], [20e3, 30e3, 45e3])
pts = np.array(json.loads(sys.stdin.read()))
strain = np.linspace(-1, 1, 2 * mesh.n * 5).reshape(2, mesh.n, 5) * 1e-6
u, s = eigenstrain_fields(pts, mesh, strain, order=4)
k = interaction_matrix(mesh, order=4, quadrature=1)  # the sharded rows alone
print(json.dumps({"n": len(jax.devices()), "u": np.asarray(u).tolist(),
                  "s": np.asarray(s).tolist(), "k": np.asarray(k).tolist()}))
"""


def test_kernels_sharded_over_three_host_devices_equal_single_device():
    import json
    import os
    import subprocess
    import sys

    from quakejax.visco import eigenstrain_fields

    pts = np.array([[1e3 * i, -2e3 * i, -1e3 * (i + 1)] for i in range(7)])  # 7: padding
    env = dict(
        os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=3", JAX_PLATFORMS="cpu"
    )
    out = subprocess.run(
        [sys.executable, "-c", _SHARD_SCRIPT],
        input=json.dumps(pts.tolist()),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["n"] == 3
    mesh = CuboidMesh.tensor([-10e3, 0.0, 10e3], [-10e3, 10e3], [20e3, 30e3, 45e3])
    strain = np.linspace(-1, 1, 2 * mesh.n * 5).reshape(2, mesh.n, 5) * 1e-6
    u, s = eigenstrain_fields(pts, mesh, strain, order=4)
    # Collocated rows only (quadrature=1): they are the part sharded over the devices; the
    # receiver-averaged near pairs are one jitted call on the default device.
    k = interaction_matrix(mesh, order=4, quadrature=1)
    np.testing.assert_allclose(res["u"], np.asarray(u), rtol=1e-10, atol=1e-18)
    np.testing.assert_allclose(res["s"], np.asarray(s), rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(res["k"], np.asarray(k), rtol=1e-10, atol=1e-2)


def test_step_sizes_change_speed_not_results():
    """The accelerator's larger vectorised steps (and odd ones that need padding) give the
    CPU defaults' kernels; bad sizes are errors that name the argument."""
    from quakejax.visco import eigenstrain_fields
    from quakejax.visco._relax3d import _STEP_SIZES

    mesh = CuboidMesh.tensor([-10e3, 0.0, 10e3], [-10e3, 10e3], [20e3, 30e3, 45e3])
    pts = np.array([[1e3 * i, -2e3 * i, -1e3 * (i + 1)] for i in range(7)])
    strain = np.linspace(-1, 1, 2 * mesh.n * 5).reshape(2, mesh.n, 5) * 1e-6
    u, s = eigenstrain_fields(pts, mesh, strain, order=4)
    k = interaction_matrix(mesh, order=4)
    # Blocks of 3 points x 5 cuboids (both padded); the accelerator's rows step (256
    # receivers, here all 8 in one step) and 5 averaged pairs per step.
    u2, s2 = eigenstrain_fields(pts, mesh, strain, order=4, block=3, chunk=5)
    np.testing.assert_allclose(np.asarray(u2), np.asarray(u), rtol=1e-12, atol=1e-20)
    np.testing.assert_allclose(np.asarray(s2), np.asarray(s), rtol=1e-12, atol=1e-8)
    k2 = interaction_matrix(mesh, order=4, block=_STEP_SIZES["rows_block"][1], averaged_block=5)
    np.testing.assert_allclose(np.asarray(k2), np.asarray(k), rtol=1e-12, atol=1e-4)
    with pytest.raises(ValueError, match="chunk must be a positive integer"):
        eigenstrain_fields(pts, mesh, strain, chunk=0)
    with pytest.raises(ValueError, match="averaged_block must be a positive integer"):
        interaction_matrix(mesh, averaged_block=-1)
