"""FaultModel fields in the ENU frame: against pyrocko (independent frame handling), chunking,
Green's functions, stress, rotation invariance and sharding over devices."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import quakejax as qj
from quakejax.okada import displacement, displacement_gradient, greens_functions, stress

from ._geometry import rel_err


def _fault(rng, n=5, opening=False):
    centroid = np.c_[rng.uniform(-5e3, 5e3, (n, 2)), -rng.uniform(6e3, 12e3, n)]
    slip = np.c_[rng.normal(size=(n, 2)), rng.uniform(0, 0.5, n) if opening else np.zeros(n)]
    return qj.FaultModel(
        centroid,
        rng.uniform(0, 360, n),
        rng.uniform(15, 85, n),
        rng.uniform(1e3, 4e3, n),
        rng.uniform(1e3, 3e3, n),
        slip,
    )


def _points(rng, n=40):
    p = np.c_[rng.uniform(-2e4, 2e4, (n, 2)), -rng.uniform(0, 1.5e4, n)]
    p[: n // 4, 2] = 0.0
    return p


def test_fault_model_against_pyrocko(rng):
    """pyrocko takes north-east-down receivers and the patch reference point; its outputs
    are converted here with an independent NED -> ENU permutation."""
    okada_ext = pytest.importorskip("pyrocko.modelling.okada_ext", reason="pyrocko not installed")
    fault = _fault(rng, opening=True)
    pts = _points(rng)
    u, g = displacement_gradient(fault, pts, nu=0.25)
    c = np.asarray(fault.centroid)
    hl, hw = np.asarray(fault.length) / 2, np.asarray(fault.width) / 2
    src = np.c_[c[:, 1], c[:, 0], -c[:, 2], fault.strike, fault.dip, -hl, hl, -hw, hw]
    rec = np.c_[pts[:, 1], pts[:, 0], -pts[:, 2]]
    # pyrocko wants writeable, aligned, C-contiguous float64 arrays.
    src, rec, slip = (
        np.require(a, np.float64, ["C", "W", "A"]) for a in (src, rec, np.array(fault.slip))
    )
    res = okada_ext.okada(src, slip, rec, 3e10, 3e10, nthreads=1, rotate_sdn=0, stack_sources=1)
    perm = np.array([[0, 1, 0], [1, 0, 0], [0, 0, -1.0]])  # ENU <- NED
    u_ref = res[:, :3] @ perm.T
    g_ref = np.einsum("ab,nbc,dc->nad", perm, np.swapaxes(res[:, 3:].reshape(-1, 3, 3), 1, 2), perm)
    assert rel_err(u, u_ref) < 1e-10
    assert rel_err(g, g_ref) < 1e-10


def test_sum_over_patches_and_chunking(rng):
    """The summed fields do not depend on how the point-patch pairs are blocked: the CPU's
    scan over the patches, its shared blocks (`shared=True`, the layout of the derivatives
    of faults of up to CPU_BLOCK_MAX_PATCHES patches) and one-patch calls summed.  (The
    accelerators' layout: test_vertical_formulas_are_skipped_only_when_no_dip_is_vertical.)"""
    import jax.numpy as jnp

    from quakejax.okada._fields import (
        _max_point_block,
        _patch_params,
        _summed_fields_layout,
        alpha_from,
    )

    fault = _fault(rng, n=9)
    pts = _points(rng, 50)
    u, g = displacement_gradient(fault, pts)  # on a CPU: one patch per block, scanned
    parts = [displacement_gradient(fault[i], pts) for i in range(9)]
    # Kernels compiled apart round differently: 1e-13 of the largest value.
    tol_u, tol_g = 1e-13 * np.abs(u).max(), 1e-13 * np.abs(g).max()
    np.testing.assert_allclose(u, sum(p[0] for p in parts), rtol=1e-10, atol=tol_u)
    np.testing.assert_allclose(g, sum(p[1] for p in parts), rtol=1e-10, atol=tol_g)
    # A limit of 16 pairs: 13 points per block, 4 blocks (the last padded).
    u_small, g_small = displacement_gradient(fault, pts, pairs_per_block=16)
    np.testing.assert_allclose(u_small, u, rtol=1e-10, atol=tol_u)
    np.testing.assert_allclose(g_small, g, rtol=1e-10, atol=tol_g)
    args = (jnp.asarray(pts), _patch_params(fault), jnp.asarray(alpha_from(0.25)))
    # Shared blocks on a CPU: 9 patches x 3 points per block (a limit of 30 pairs), 17
    # blocks (the last padded).
    static = (30, False, True, _max_point_block() or 1000)
    u_sh, g_sh = _summed_fields_layout(*args, *static, shared=True)
    np.testing.assert_allclose(u_sh, u, rtol=1e-10, atol=tol_u)
    np.testing.assert_allclose(g_sh, g, rtol=1e-10, atol=tol_g)
    with pytest.raises(ValueError, match="pairs_per_block must be a positive integer"):
        displacement_gradient(fault, pts, pairs_per_block=0)


def test_derivatives_through_shared_blocks(rng):
    """A fault of 2 to CPU_BLOCK_MAX_PATCHES patches: values from the scan, derivatives
    through the shared blocks (`_scanned_with_block_derivatives`).  Forward mode along dip,
    depth and slip at once against central differences of the values (float64).  Reverse
    mode through the same rule is checked in the closed-graph tests (2 patches, jax.grad
    against central differences: tests/test_visco3d.py, tests/test_visco_emulator3d.py)."""
    import jax
    import jax.numpy as jnp

    from quakejax.okada._fields import CPU_BLOCK_MAX_PATCHES

    fault = _fault(rng, n=3, opening=True)
    assert 3 <= CPU_BLOCK_MAX_PATCHES
    pts = jnp.asarray(_points(rng, 8)[2:])  # below the surface: 6 points, scanned on a CPU

    def fields(dip, dz, slip):
        f = qj.FaultModel(
            fault.centroid.at[:, 2].add(dz), fault.strike, dip, fault.length, fault.width, slip
        )
        return displacement(f, pts).ravel()

    x0 = (fault.dip, jnp.zeros(3), fault.slip)
    d = (jnp.asarray([1.0, -0.5, 0.7]), jnp.asarray([80.0, -120.0, 50.0]), fault.slip[::-1])
    value = jax.jit(fields)
    h = 1e-4
    plus = value(*(a + h * b for a, b in zip(x0, d, strict=True)))
    minus = value(*(a - h * b for a, b in zip(x0, d, strict=True)))
    fd = np.asarray(plus - minus) / (2 * h)
    tangent = jax.jit(lambda *t: jax.jvp(fields, x0, t)[1])(*d)
    assert rel_err(tangent, fd) < 1e-7


def test_cpu_point_block_avoids_cache_aliasing():
    """Block lengths: near-equal blocks, at most 7 points over the limit, and arrays spanning
    an odd number of 64-byte lines where one exists (16 f64 patches: 128 bytes per point,
    so the fewest factors of 2)."""
    from quakejax.okada._fields import _cpu_point_block

    for n, limit, patches, itemsize in [
        (10**6, 1000, 1, 8),
        (4096, 1024, 1, 8),
        (10**4, 81, 100, 8),
        (2150, 44, 186, 8),
        (1024, 1000, 16, 4),
        (25_000, 512, 16, 8),
        (400, 8, 1000, 8),
        (5, 1000, 1, 8),
    ]:
        block = _cpu_point_block(n, limit, patches, itemsize)
        n_blocks = -(-n // block)
        assert block <= limit + 7
        assert n_blocks <= -(-n // limit)
        lines = -(-patches * block * itemsize // 64)
        if block >= 32 and (patches * itemsize) % 128:
            assert lines % 2 == 1, (n, limit, patches, itemsize, block)
        elif block >= 32:
            assert lines % 4 == 2, (n, limit, patches, itemsize, block)
    assert _cpu_point_block(400, 8, 1000, 8) == 8  # short axes keep the vector width


@pytest.mark.parametrize("n_patches", [1, 7])
def test_short_cpu_point_blocks_equal_one_block(rng, monkeypatch, n_patches):
    """On a CPU blocks hold at most CPU_POINT_BLOCK points (the last one padded); lifting
    the limit evaluates all points in one block, with the same result."""
    from quakejax.okada import _fields

    fault = _fault(rng, n=n_patches)
    pts = _points(rng, 2 * _fields.CPU_POINT_BLOCK + 37)
    u, g = displacement_gradient(fault, pts)
    monkeypatch.setattr(_fields, "CPU_POINT_BLOCK", 10**9)
    u_one, g_one = displacement_gradient(fault, pts)
    # Rounding differs with the vector layout: compare to 1e-12 of the largest value.
    np.testing.assert_allclose(u, u_one, rtol=1e-10, atol=1e-12 * np.abs(u_one).max())
    np.testing.assert_allclose(g, g_one, rtol=1e-10, atol=1e-12 * np.abs(g_one).max())


def test_vertical_formulas_are_skipped_only_when_no_dip_is_vertical(rng):
    """Without a vertical dip the kernel drops DC3D's vertical-limit formulas (a static
    choice); the fields are those of the kernel that keeps them."""
    import jax
    import jax.numpy as jnp

    from quakejax.okada._fields import (
        _needs_vertical,
        _over_devices,
        _patch_params,
        _summed_fields,
        alpha_from,
    )

    fault = _fault(rng, n=7)
    pts = _points(rng, 50)
    assert not _needs_vertical(fault)
    u, g = displacement_gradient(fault, pts)
    static = (("pairs_per_block", 2**13), ("tensile", False), ("vertical", True))
    args = (jnp.asarray(pts), _patch_params(fault), jnp.asarray(alpha_from(0.25)))
    u_kept, g_kept = _over_devices(_summed_fields, static, *args)
    # Two compiled kernels round differently: compare to 1e-13 of the largest value.
    np.testing.assert_allclose(u, u_kept, rtol=1e-12, atol=1e-13 * np.abs(u_kept).max())
    np.testing.assert_allclose(g, g_kept, rtol=1e-12, atol=1e-13 * np.abs(g_kept).max())

    def with_dip(d):
        dip = np.asarray(fault.dip).copy()
        dip[3] = d
        return qj.FaultModel(
            fault.centroid, fault.strike, dip, fault.length, fault.width, fault.slip
        )

    for d, needed in ((90.0, True), (-90.0, True), (90.0 - 5e-5, True), (89.9, False)):
        assert _needs_vertical(with_dip(d)) is needed, d
    seen = []  # under jit the dips are not known: the formulas are kept
    traced = jax.jit(
        lambda dip: (
            seen.append(
                _needs_vertical(
                    qj.FaultModel(
                        fault.centroid, fault.strike, dip, fault.length, fault.width, fault.slip
                    )
                )
            )
            or dip
        )
    )
    traced(jnp.asarray(fault.dip))
    assert seen == [True]


def test_greens_functions_reproduce_forward_model(rng):
    fault = _fault(rng, n=4, opening=True)
    pts = _points(rng, 12)
    g_u, g_grad = greens_functions(fault, pts, components=("strike", "dip", "opening"))
    assert g_u.shape == (12, 3, 4, 3) and g_grad.shape == (12, 3, 3, 4, 3)
    u, g = displacement_gradient(fault, pts)
    np.testing.assert_allclose(np.einsum("nipk,pk->ni", g_u, fault.slip), u, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(
        np.einsum("nijpk,pk->nij", g_grad, fault.slip), g, rtol=1e-10, atol=1e-17
    )
    design = qj.okada.displacement_greens(fault.with_slip(fault.slip[:, :2]), pts)
    np.testing.assert_allclose(
        design @ np.asarray(fault.slip[:, :2]).reshape(-1),
        np.asarray(displacement_gradient(fault.with_slip(fault.slip[:, :2]), pts)[0]).reshape(-1),
        rtol=1e-10,
        atol=1e-15,
    )
    # Same points and components as above, so the compiled Green's functions are reused.
    sg = qj.okada.stress_greens(fault, pts, mu=3e10, components=("strike", "dip", "opening"))
    np.testing.assert_allclose(
        np.einsum("nijpk,pk->nij", sg, fault.slip),
        stress(fault, pts, mu=3e10),
        rtol=1e-10,
        atol=1e-4,
    )


def test_stress_is_symmetric_and_traction_free_at_surface(rng):
    fault = _fault(rng, n=3)
    pts = _points(rng, 20)
    sig = np.asarray(stress(fault, pts, mu=3e10))
    np.testing.assert_allclose(sig, np.swapaxes(sig, 1, 2), atol=1e-9 * np.abs(sig).max())
    surf = pts[:, 2] == 0
    np.testing.assert_allclose(sig[surf][:, :, 2], 0.0, atol=1e-10 * np.abs(sig).max())


def test_rotating_the_configuration_rotates_the_fields(rng):
    """Rotate fault strikes, centroids and points about the vertical by 37 deg: u rotates."""
    fault = _fault(rng, n=3)
    pts = _points(rng, 16)
    a = np.radians(37.0)  # clockwise seen from above = strike + 37
    rot = np.array([[np.cos(a), np.sin(a), 0], [-np.sin(a), np.cos(a), 0], [0, 0, 1.0]])
    rotated = qj.FaultModel(
        np.asarray(fault.centroid) @ rot.T,
        np.asarray(fault.strike) + 37.0,
        fault.dip,
        fault.length,
        fault.width,
        fault.slip,
    )
    u, g = displacement_gradient(fault, pts)
    ur, gr = displacement_gradient(rotated, pts @ rot.T)
    np.testing.assert_allclose(ur, np.asarray(u) @ rot.T, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(gr, rot @ np.asarray(g) @ rot.T, rtol=1e-10, atol=1e-18)


def test_geometry_helpers():
    f = qj.FaultModel.from_top_centre([0.0, 0.0, 0.0], 0.0, 30.0, 10e3, 4e3, [1.0, 0.0])
    # Strike north, dipping east at 30 deg: centroid 2 km down dip.
    np.testing.assert_allclose(f.centroid[0], [2e3 * np.cos(np.radians(30)), 0.0, -1e3], atol=1e-9)
    np.testing.assert_allclose(
        f.normal_vector[0], [np.sin(np.radians(30)), 0, np.cos(np.radians(30))], atol=1e-12
    )
    np.testing.assert_allclose(f.top_centre[0], [0.0, 0.0, 0.0], atol=1e-9)
    r = qj.FaultModel.from_rake([0.0, 0.0, -5e3], 0.0, 30.0, 1e3, 1e3, 2.0, -90.0)
    np.testing.assert_allclose(r.slip[0], [0.0, -2.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(r.rake, [-90.0])
    assert float(r.magnitude(3e10)) == pytest.approx((2 / 3) * (np.log10(3e10 * 2.0 * 1e6) - 9.1))


_SHARD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax
    jax.config.update("jax_enable_x64", True)
    import numpy as np, quakejax as qj
    d = json.loads(sys.stdin.read())
    f = qj.FaultModel(np.array(d["c"]), d["s"], d["d"], d["l"], d["w"], np.array(d["slip"]))
    u, g = qj.okada.displacement_gradient(f, np.array(d["p"]))
    gu, _ = qj.okada.greens_functions(f, np.array(d["p"]))
    print(json.dumps({"n_devices": len(jax.devices()), "u": np.asarray(u).tolist(),
                      "g": np.asarray(g).tolist(), "gu": np.asarray(gu).tolist()}))
    """
)


def test_sharded_over_four_host_devices_equals_single_device(rng):
    fault = _fault(rng, n=3)
    pts = _points(rng, 23)  # not a multiple of 4: exercises padding
    payload = json.dumps(
        {
            "c": np.asarray(fault.centroid).tolist(),
            "s": np.asarray(fault.strike).tolist(),
            "d": np.asarray(fault.dip).tolist(),
            "l": np.asarray(fault.length).tolist(),
            "w": np.asarray(fault.width).tolist(),
            "slip": np.asarray(fault.slip).tolist(),
            "p": pts.tolist(),
        }
    )
    env = dict(
        os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu"
    )
    out = subprocess.run(
        [sys.executable, "-c", _SHARD_SCRIPT],
        input=payload,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["n_devices"] == 4
    u, g = displacement_gradient(fault, pts)
    gu, _ = greens_functions(fault, pts)
    np.testing.assert_allclose(res["u"], u, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(res["g"], g, rtol=1e-10, atol=1e-17)
    np.testing.assert_allclose(res["gu"], gu, rtol=1e-10, atol=1e-15)


def test_empty_inputs_give_empty_or_zero_fields(rng):
    fault = _fault(rng, n=2)
    u, g = displacement_gradient(fault, np.zeros((0, 3)))
    assert u.shape == (0, 3) and g.shape == (0, 3, 3)
    none = fault[np.array([], dtype=int)]
    u, g = displacement_gradient(none, _points(rng, 4))
    assert u.shape == (4, 3) and not np.any(np.asarray(u)) and not np.any(np.asarray(g))


def test_fault_captured_by_a_user_jit(rng):
    """A concrete FaultModel closed over by the caller's jit (not passed as an argument)."""
    import jax

    fault = _fault(rng, n=3)
    pts = _points(rng, n=4)
    want = np.asarray(displacement_gradient(fault, pts)[0])

    @jax.jit
    def u(p):
        return displacement_gradient(fault, p)[0]

    np.testing.assert_allclose(np.asarray(u(pts)), want, rtol=1e-12, atol=1e-15)
