"""The 3D relaxation emulator (`quakejax.visco.RelaxationEmulator3D`): exact at t = 0,
closed-form window means, linear in slip, equivariant under rotations about the vertical,
differentiable, its domain checks; and, where the shipped weights exist, its accuracy against
the 3D solver on a rupture it was not trained on."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from quakejax import FaultModel, okada
from quakejax.visco import Burgers, Maxwell
from quakejax.visco._emulator3d import (
    SPIN_NORM_WEIGHTS,
    OutsideDomain3DWarning,
    RelaxationEmulator3D,
    from_spin_parts,
    spin_parts,
    time_factors,
    window_factors,
)

MU = 3.0e10
DAY = 86400.0
RHEO = Burgers(MU, 1e19, MU, 1e18)


@pytest.fixture(
    scope="module", params=[None, "centroid", "patches"], ids=["local", "centroid", "patches"]
)
def emulator(request):
    # Random weights exercise every identity below as well as trained ones; a larger last
    # layer than `init`'s so that the output is not near zero.  "centroid", "patches": with
    # the rupture's moment tensor as an extra probe, from its centroid or from every patch.
    emu = RelaxationEmulator3D.init(
        jax.random.PRNGKey(1),
        width=16,
        depth=2,
        moment_term=request.param is not None,
        moment_source=request.param or "centroid",
    )
    last = emu.net.layers[-1]
    import equinox as eqx

    return eqx.tree_at(lambda e: e.net.layers[-1].weight, emu, last.weight * 100.0)


def _fault(strike_offset=0.0, slip_scale=1.0):
    return FaultModel.from_top_centre(
        [[-8e3, 0.0, 0.0], [8e3, 2e3, 0.0]],
        [10.0 + strike_offset, 20.0 + strike_offset],
        [85.0, 70.0],
        [16e3, 16e3],
        [14e3, 14e3],
        [[2.0 * slip_scale, 0.5 * slip_scale, 0.0], [1.5 * slip_scale, -0.3 * slip_scale, 0.0]],
    )


PTS = np.array([[3e3, 2e3, -2.5e3], [-27e3, 15e3, -12.5e3], [40e3, -35e3, -47.5e3]])


def test_spin_parts_round_trip_and_norm():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 3, 3))
    s = jnp.asarray(a + np.swapaxes(a, 1, 2))
    np.testing.assert_allclose(np.asarray(from_spin_parts(spin_parts(s))), np.asarray(s))
    # The library's weights must turn the spin parts' norm into the Frobenius norm.
    w = np.asarray(SPIN_NORM_WEIGHTS)
    np.testing.assert_allclose(
        np.sum(w * np.asarray(spin_parts(s)) ** 2, -1), np.sum(np.asarray(s) ** 2, (1, 2))
    )


def test_window_factors_are_the_mean_of_time_factors():
    tau = jnp.asarray([0.5, 10.0, 400.0]) * DAY
    T = 365.0 * DAY
    t = np.linspace(0, T, 400001)
    numeric = np.trapezoid(np.asarray(time_factors(tau, t)), t, axis=0) / T
    np.testing.assert_allclose(np.asarray(window_factors(tau, T)), numeric, rtol=1e-7)
    np.testing.assert_array_equal(np.asarray(window_factors(tau, 0.0)), 0.0)
    g = jax.grad(lambda w: jnp.sum(window_factors(tau, w)))(0.0)
    assert np.isfinite(g)


def test_exact_at_t0(emulator):
    f = _fault()
    rel = emulator.relaxation_stress(f, PTS, RHEO, [0.0, 30 * DAY])
    np.testing.assert_array_equal(np.asarray(rel[0]), 0.0)
    assert np.abs(np.asarray(rel[1])).max() > 0
    total = emulator.stress(f, PTS, RHEO, 0.0)
    # Equal to rounding: the emulator evaluates the cells in one call with its probes, so in
    # other blocks (one patch at a time) than `okada.stress` on these 3 points alone (all
    # patches side by side); the sums and loops round apart.
    ref = np.asarray(okada.stress(f, PTS, mu=MU, lam=MU))
    np.testing.assert_allclose(
        np.asarray(total[0]), ref, rtol=1e-12, atol=1e-13 * np.abs(ref).max()
    )


def test_linear_in_slip(emulator):
    one = emulator.relaxation_stress(_fault(), PTS, RHEO, 100 * DAY, mean=True)
    two = emulator.relaxation_stress(_fault(slip_scale=-2.5), PTS, RHEO, 100 * DAY, mean=True)
    np.testing.assert_allclose(np.asarray(two), -2.5 * np.asarray(one), rtol=1e-12, atol=1e-9)


def test_stress_from_greens_functions(emulator):
    """For a fixed geometry the probe stresses may come from Green's functions at
    `probe_points`: the same relaxation as the emulator's own Okada calls, for any slip."""
    f = _fault()
    pts = np.concatenate([PTS, PTS + [0.0, 0.0, -5e3]])  # two cells per column
    layout = emulator.column_layout(pts)
    probe = emulator.probe_points(pts, layout)
    assert probe.shape == (6 + 3 * (len(emulator.probe_depths) + 8 * len(emulator.rings)), 3)
    g = okada.stress_greens(f, probe, mu=MU, lam=MU)  # (N, 3, 3, patches, 2)
    slip = np.array([[0.7, -1.2], [2.0, 0.4]])
    f2 = f.with_slip(np.concatenate([slip, np.zeros((2, 1))], axis=1))
    stress = jnp.einsum("nijmk,mk->nij", g, slip)
    a = emulator.fields(f2, pts, RHEO, 100 * DAY, mean=True, layout=layout)
    b = emulator.fields(f2, pts, RHEO, 100 * DAY, mean=True, layout=layout, stress=stress)
    for x, y in zip(a, b, strict=True):
        x, y = np.asarray(x), np.asarray(y)
        np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-10 * np.abs(x).max())
    with pytest.raises(ValueError, match="probe_points"):
        emulator.fields(f2, pts, RHEO, 100 * DAY, layout=layout, stress=stress[:-1])


def test_rotation_about_the_vertical(emulator):
    """Turning the map by 90 degrees (fault and points) turns the stress with it: exact, since
    the probe rings map onto themselves."""
    c, s = 0.0, 1.0  # 90 degrees counter-clockwise
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    f = _fault()
    f_rot = FaultModel(
        np.asarray(f.centroid) @ rot.T,
        np.asarray(f.strike) - 90.0,
        f.dip,
        f.length,
        f.width,
        f.slip,
    )
    a = np.asarray(emulator.relaxation_stress(f, PTS, RHEO, 200 * DAY))[0]
    b = np.asarray(emulator.relaxation_stress(f_rot, PTS @ rot.T, RHEO, 200 * DAY))[0]
    np.testing.assert_allclose(b, rot @ a @ rot.T, atol=1e-9 * np.abs(a).max())


def test_moment_probe_of_a_vertical_strike_slip_patch():
    """A vertical left-lateral patch striking north (the hanging wall is east): `M` = A s
    (e_E e_N + e_N e_E), seen at mu M / rho^3 (tapered) from the slipping patch's centre
    (the second patch does not slip, so it does not move the centroid); in the frame of a
    point due east the xy part is positive, due north (x axis north, y axis west) negative.
    """
    emu = RelaxationEmulator3D.init(jax.random.PRNGKey(0), width=8, depth=1, moment_term=True)
    s, length, width, h = 2.0, 20e3, 10e3, emu.H
    fault = FaultModel(
        [[0.0, 0.0, -8e3], [50e3, 0.0, -8e3]],
        [0.0, 0.0],
        [90.0, 90.0],
        [length, length],
        [width, width],
        [[s, 0.0, 0.0], [0.0, 0.0, 0.0]],
    )
    r = 30e3
    pts = np.array([[r, 0.0, -8e3], [0.0, r, -8e3]])
    parts, basis, geom = (np.asarray(a) for a in emu.moment_probe(fault, pts))
    # the taper s^2 / (s^2 + H^2), s to the nearest patch centre: the idle one for the
    # point due east (20 km), the slipping one for the point due north (30 km)
    near = np.array([20e3, 30e3])
    expect = MU * length * width * s / (r**2 + h**2) ** 1.5 * near**2 / (near**2 + h**2)
    np.testing.assert_allclose(parts[:, 5], [expect[0], -expect[1]], rtol=1e-12)
    np.testing.assert_allclose(parts[:, :5], 0.0, atol=1e-12 * expect.max())
    # The identity map gives the scaled moment tensor back in ENU, xy > 0 at both points.
    ident = basis[:, [0, 5, 10, 15, 16, 19]].sum(axis=1)
    np.testing.assert_allclose(ident[:, 5], expect, rtol=1e-12)
    np.testing.assert_allclose(ident[:, :5], 0.0, atol=1e-12 * expect.max())
    # Only the weight xy -> xy sees this moment, so alone it gives the same; at the point due
    # north it flips the sign of the frame's xy part back (the frame is turned by 90 degrees).
    np.testing.assert_allclose(basis[:, 19], ident, rtol=1e-12, atol=1e-12 * expect.max())
    rho = np.sqrt(r**2 + h**2)
    np.testing.assert_allclose(geom, [[np.log10(0.05 + rho / h), r / rho, 8e3 / h]] * 2, rtol=1e-12)


def _rot(cos, sin):
    return np.array([[cos, sin, 0.0], [-sin, cos, 0.0], [0.0, 0.0, 1.0]])


@pytest.mark.parametrize("source", ["centroid", "patches", "tapered_patches"])
def test_moment_basis_is_the_map_in_each_sources_frame(source):
    """`sum_a w_a basis_a` against the map written out: per source, the moment tensor turned
    into the frame pointing from the source to the point (numpy rotation matrices), the 4 x 4
    and 2 x 2 maps on its mirror-even and -odd parts, the result turned back and summed."""
    emu = RelaxationEmulator3D.init(
        jax.random.PRNGKey(0), width=8, depth=1, moment_term=True, moment_source=source
    )
    f = _fault()
    parts, basis, _ = (np.asarray(a) for a in emu.moment_probe(f, PTS))
    w = np.random.default_rng(3).normal(size=20)
    got = np.einsum("a,nac->nc", w, basis)
    b = (
        np.asarray(f.slip[:, 0:1]) * np.asarray(f.strike_vector)
        - np.asarray(f.slip[:, 1:2]) * np.asarray(f.down_dip_vector)
        + np.asarray(f.slip[:, 2:3]) * np.asarray(f.normal_vector)
    )
    area, nrm, cent = np.asarray(f.area), np.asarray(f.normal_vector), np.asarray(f.centroid)
    mom = np.stack(
        [a * (np.outer(n, v) + np.outer(v, n)) for a, n, v in zip(area, nrm, b, strict=True)]
    )
    if source == "centroid":
        wgt = area * np.linalg.norm(b, axis=1)
        srcs, moms = [wgt @ cent / wgt.sum()], [mom.sum(0)]
    else:
        srcs, moms = list(cent), list(mom)
    even, odd = [0, 1, 2, 4], [3, 5]
    w4, w2 = w[:16].reshape(4, 4), w[16:].reshape(2, 2)
    h = emu.H
    for k, x in enumerate(PTS):
        total = np.zeros((3, 3))
        for c, m in zip(srcs, moms, strict=True):
            d = x - c
            rot = _rot(d[0], d[1]) / np.hypot(d[0], d[1])
            rot[2, 2] = 1.0
            amp = MU / (d @ d + h**2) ** 1.5
            if source == "centroid":
                s2 = np.min(np.sum((x - cent) ** 2, axis=1))
                amp *= s2 / (s2 + h**2)
            elif source == "tapered_patches":
                amp *= (d @ d) / (d @ d + h**2)
            q = np.asarray(spin_parts(jnp.asarray(rot @ (amp * m) @ rot.T)))
            out = np.zeros(6)
            out[even] = w4 @ q[even]
            out[odd] = w2 @ q[odd]
            total += rot.T @ np.asarray(from_spin_parts(jnp.asarray(out))) @ rot
        ref = np.asarray(spin_parts(jnp.asarray(total)))
        np.testing.assert_allclose(got[k], ref, rtol=1e-10, atol=1e-12 * np.abs(ref).max())
        if source != "centroid":  # the probe: the sources' scaled moments summed in ENU
            d2 = [np.sum((x - c) ** 2) for c in srcs]
            amps = [MU / (e + h**2) ** 1.5 for e in d2]
            if source == "tapered_patches":
                amps = [a * e / (e + h**2) for a, e in zip(amps, d2, strict=True)]
            summed = sum(a * m for a, m in zip(amps, moms, strict=True))
            np.testing.assert_allclose(
                parts[k], np.asarray(spin_parts(jnp.asarray(summed))), rtol=1e-10
            )
    with pytest.raises(ValueError, match="moment_source"):
        RelaxationEmulator3D.init(jax.random.PRNGKey(0), moment_term=True, moment_source="x")


# The moment layouts contain the local one; their gradients cover both (and halve the time).
@pytest.mark.parametrize("emulator", ["patches"], indirect=True, ids=["patches"])
def test_jit_vmap_and_gradients(emulator):
    """Reverse mode in the log-viscosity and forward mode (jvp) along a slip direction,
    against central differences.  Reverse mode in the slip is checked through the closed
    graph below (one reverse-mode compilation through Okada for this file, not two)."""
    f = _fault()

    def vm_mean(log_eta_m, slip):
        ff = FaultModel(f.centroid, f.strike, f.dip, f.length, f.width, slip)
        r = Burgers(MU, jnp.exp(log_eta_m), MU, 1e18)
        s = emulator.relaxation_stress(ff, PTS, r, 365 * DAY, mean=True)
        return jnp.sum(s**2) / 1e8

    x0 = (jnp.log(1e19), f.slip)
    g_eta = jax.jit(jax.grad(vm_mean))(*x0)
    h = 1e-5
    fd = (vm_mean(x0[0] + h, x0[1]) - vm_mean(x0[0] - h, x0[1])) / (2 * h)
    np.testing.assert_allclose(float(g_eta), float(fd), rtol=1e-6)
    d = jnp.ones_like(f.slip)
    along = jax.jit(lambda s: jax.jvp(lambda q: vm_mean(x0[0], q), (s,), (d,))[1])(x0[1])
    fd = (vm_mean(x0[0], x0[1] + h * d) - vm_mean(x0[0], x0[1] - h * d)) / (2 * h)
    np.testing.assert_allclose(float(along), float(fd), rtol=1e-6)
    eta = jnp.asarray([5e18, 1e19, 5e19])
    batched = jax.vmap(
        lambda e: emulator.relaxation_stress(f, PTS, Burgers(MU, e, MU, 1e18), 1e7)[0]
    )(eta)
    one = emulator.relaxation_stress(f, PTS, Burgers(MU, 5e19, MU, 1e18), 1e7)[0]
    np.testing.assert_allclose(
        np.asarray(batched[2]), np.asarray(one), rtol=1e-12, atol=1e-12 * np.abs(one).max()
    )


def test_domain_checks(emulator):
    f = _fault()
    with pytest.warns(OutsideDomain3DWarning, match="outside the training domain"):
        emulator.relaxation_stress(f, PTS, Burgers(MU, 1e22, MU, 1e18), 1e7)
    with pytest.warns(OutsideDomain3DWarning):
        emulator.relaxation_stress(f, PTS, RHEO, 10 * 365 * DAY)
    with pytest.warns(OutsideDomain3DWarning):
        emulator.relaxation_stress(f, PTS, RHEO, [-1.0, DAY])
    with pytest.warns(OutsideDomain3DWarning, match="mu_M"):
        emulator.relaxation_stress(f, PTS, Burgers(4e10, 1e19, 4e10, 1e18), DAY)
    strict = emulator.with_on_outside("error")
    run = jax.jit(lambda e: strict.relaxation_stress(f, PTS, Burgers(MU, e, MU, 1e18), 1e7))
    run(1e19)
    with pytest.raises(Exception, match="outside the training domain"):
        jax.block_until_ready(run(1e22))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        emulator.with_on_outside("ignore").relaxation_stress(
            f, PTS, Burgers(MU, 1e22, MU, 1e18), 1.0
        )
    with pytest.raises(TypeError, match="Burgers"):
        emulator.relaxation_stress(f, PTS, Maxwell(MU, 1e19), 1e7)
    with pytest.raises(ValueError, match="on_outside"):
        emulator.with_on_outside("sometimes")
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        emulator.relaxation_stress(f, PTS[:, :2], RHEO, 1e7)


def test_save_load_round_trip(emulator, tmp_path):
    emulator.save(tmp_path / "e", note="test")
    back = RelaxationEmulator3D.load(tmp_path / "e")
    f = _fault()
    np.testing.assert_array_equal(
        np.asarray(back.relaxation_stress(f, PTS, RHEO, 1e7)),
        np.asarray(emulator.relaxation_stress(f, PTS, RHEO, 1e7)),
    )
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json"):
        RelaxationEmulator3D.load(tmp_path / "bad")


# The moment layouts contain the local one; their gradients cover both (and halve the time).
@pytest.mark.parametrize("emulator", ["centroid"], indirect=True, ids=["centroid"])
def test_closed_graph_through_the_emulator(emulator):
    """`aftershock_log_likelihood` with an `EmulatorGrid`: Okada at t = 0, and gradients with
    respect to slip and log-viscosity against central differences."""
    from quakejax.aftershocks import AftershockClassifier
    from quakejax.visco import EmulatorGrid, aftershock_log_likelihood

    rng = np.random.default_rng(5)
    cells = np.stack(
        [
            rng.uniform(-40e3, 40e3, 16),
            rng.uniform(-40e3, 40e3, 16),
            -rng.uniform(2.5e3, 47.5e3, 16),
        ],
        1,
    )
    labels = (rng.random(16) < 0.3).astype(float)
    grid = EmulatorGrid.build(cells, emulator)
    f = _fault()
    clf = AftershockClassifier.pretrained("devries")
    z = jax.vmap(clf.logit)(okada.stress(f, jnp.asarray(cells), mu=MU, lam=MU))
    expect = np.sum(labels * z - jax.nn.softplus(z))
    got = aftershock_log_likelihood(f, RHEO, grid, labels, 0.0)
    np.testing.assert_allclose(float(got), float(expect), rtol=1e-12)

    def ll(log_eta_m, slip):
        ff = FaultModel(f.centroid, f.strike, f.dip, f.length, f.width, slip)
        return aftershock_log_likelihood(
            ff, Burgers(MU, jnp.exp(log_eta_m), MU, 1e18), grid, labels, 200 * DAY
        )

    x0 = (jnp.log(1e19), f.slip)
    g = jax.grad(ll, argnums=(0, 1))(*x0)
    h = 1e-5
    fd = (ll(x0[0] + h, x0[1]) - ll(x0[0] - h, x0[1])) / (2 * h)
    assert abs(float(fd)) > 0
    np.testing.assert_allclose(float(g[0]), float(fd), rtol=1e-5)
    d = jnp.asarray([[1.0, -0.5, 0.0], [0.3, 1.0, 0.0]])
    fd = (ll(x0[0], x0[1] + h * d) - ll(x0[0], x0[1] - h * d)) / (2 * h)
    np.testing.assert_allclose(float(jnp.sum(g[1] * d)), float(fd), rtol=1e-5)


def test_pretrained_weights_load():
    emu = RelaxationEmulator3D.pretrained()
    assert emu.domain["t_max"] == pytest.approx(3 * 365 * DAY)
    f = _fault()
    rel = emu.relaxation_stress(f, PTS, RHEO, [0.0, 365 * DAY])
    np.testing.assert_array_equal(np.asarray(rel[0]), 0.0)
    assert np.isfinite(np.asarray(rel)).all() and np.abs(np.asarray(rel[1])).max() > 0


@pytest.mark.slow  # about 2 min on 2 cores: a cuboid mesh and its interaction matrix
def test_pretrained_against_the_3d_solver_on_a_synthetic_rupture():
    """A rupture that is not in the training set (two strike-slip segments to 15 km): the
    window-mean relaxation stress over a year from the pretrained emulator against
    `Postseismic3D` on the training set-up's mesh (10 km octree cubes, alpha 1, H = 30 km)."""
    from quakejax.visco._relax3d import CuboidMesh, Postseismic3D, eigenstrain_fields

    fault = FaultModel.from_top_centre(
        [[-12e3, -3e3, 0.0], [14e3, 4e3, 0.0]],
        [340.0, 355.0],
        [88.0, 80.0],
        [26e3, 28e3],
        [15e3, 15e3],
        [[3.0, 0.2, 0.0], [2.0, -0.4, 0.0]],
    )
    rng = np.random.default_rng(11)
    xy = rng.uniform(-60e3, 60e3, (150, 2))
    cells = np.concatenate(
        [np.column_stack([xy, np.full(150, -d)]) for d in (7.5e3, 22.5e3, 37.5e3)]
    )
    mesh = CuboidMesh.octree(fault, 30e3, 10e3, 1.0, 150e3, 160e3)
    model = Postseismic3D.build(mesh, RHEO, mu=MU, lam=MU)
    rel = model.relax(fault, [365 * DAY], window=365 * DAY)
    _, solver = eigenstrain_fields(cells, mesh, rel.window_mean[None], mu=MU, lam=MU, order=2)
    solver = np.asarray(solver[0])
    emu = np.asarray(
        RelaxationEmulator3D.pretrained().relaxation_stress(
            fault, cells, RHEO, 365 * DAY, mean=True
        )[0]
    )
    norm = np.sqrt(np.sum(solver**2, axis=(1, 2)))
    err = np.sqrt(np.sum((emu - solver) ** 2, axis=(1, 2))) / norm.max()
    # No relaxation at all errs by norm / max; the emulator must do much better.
    assert np.median(err) < 0.5 * np.median(norm / norm.max())
    assert np.percentile(err, 95) < 0.25
