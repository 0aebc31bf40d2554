"""Bad input gives clear errors eagerly, and NaN plus a status code under jit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import quakejax as qj
from quakejax.okada import STATUS_ABOVE_SURFACE, STATUS_OK, STATUS_SINGULAR, dc3d, dc3d0

KW = dict(alpha=2.0 / 3.0, depth=5.0, dip=55.0, al=(-2.0, 3.0), aw=(-1.5, 2.0), disl=(1.0, 0, 0))


def test_point_above_surface_raises_eagerly():
    obs = np.array([[0.0, 0.0, -1.0], [1.0, 2.0, 0.5]])
    with pytest.raises(ValueError, match=r"point \(1,\).*above the free surface"):
        dc3d(obs, **KW)
    with pytest.raises(ValueError, match="above the free surface"):
        dc3d0(obs, alpha=2 / 3, depth=3.0, dip=40.0, pot=(1, 0, 0, 0))


def test_point_above_surface_under_jit_gives_nan_and_status():
    obs = jnp.array([[0.0, 0.0, -1.0], [1.0, 2.0, 0.5]])
    u, g, status = jax.jit(lambda o: dc3d(o, return_status=True, **KW))(obs)
    assert np.isfinite(u[0]).all() and np.isnan(u[1]).all() and np.isnan(g[1]).all()
    assert status.tolist() == [STATUS_OK, STATUS_ABOVE_SURFACE]


def test_on_edge_gives_zero_and_singular_status():
    sd, cd = np.sin(np.radians(55.0)), np.cos(np.radians(55.0))
    top_edge = [0.5, 2.0 * cd, -5.0 + 2.0 * sd]
    u, g, status = dc3d(np.array([top_edge, [0.0, 0.0, 0.0]]), return_status=True, **KW)
    assert status.tolist() == [STATUS_SINGULAR, STATUS_OK]
    assert np.all(np.asarray(u[0]) == 0) and np.all(np.asarray(g[0]) == 0)
    u0, _, s0 = dc3d0(
        np.array([[0.0, 0.0, -3.0]]),
        alpha=2 / 3,
        depth=3.0,
        dip=40.0,
        pot=(1, 0, 0, 0),
        return_status=True,
    )
    assert s0.tolist() == [STATUS_SINGULAR] and np.all(np.asarray(u0) == 0)


@pytest.mark.parametrize(
    "change,match",
    [
        (dict(al=(3.0, 3.0)), "al1 < al2"),
        (dict(aw=(2.0, -1.0)), "aw1 < aw2"),
        (dict(alpha=1.5), "alpha"),
    ],
)
def test_bad_fault_arguments(change, match):
    with pytest.raises(ValueError, match=match):
        dc3d(np.zeros((1, 3)), **{**KW, **change})


def test_bad_obs_shape_and_nan():
    # Under the test suite's runtime type checking, jaxtyping rejects the shape first.
    with pytest.raises((ValueError, TypeError), match="obs"):
        dc3d(np.zeros((4, 2)), **KW)
    with pytest.raises(ValueError, match="NaN"):
        dc3d(np.array([[np.nan, 0.0, -1.0]]), **KW)


def _fault(**over):
    args = dict(
        centroid=[0.0, 0.0, -5e3],
        strike=10.0,
        dip=45.0,
        length=4e3,
        width=2e3,
        slip=[1.0, 0.0, 0.0],
    )
    args.update(over)
    return qj.FaultModel(**args)


@pytest.mark.parametrize(
    "over,match",
    [
        (dict(length=0.0), "length: patch 0 .* must be > 0"),
        (dict(width=-1.0), "width: patch 0"),
        (dict(centroid=[0.0, 0.0, -500.0]), "above the free surface"),
        (dict(centroid=[0.0, np.nan, -5e3]), "centroid: patch 0 is not finite"),
        (dict(slip=[1.0, 2.0, 3.0, 4.0]), "slip: expected shape"),
        (dict(strike=[10.0, 20.0]), "strike: expected shape"),
    ],
)
def test_fault_model_validation(over, match):
    with pytest.raises(ValueError, match=match):
        _fault(**over)


def test_fields_reject_points_above_surface_and_bad_shapes():
    fault = _fault()
    with pytest.raises(ValueError, match=r"point 1 has up = 10\.0 m > 0"):
        qj.okada.displacement(fault, np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 10.0]]))
    with pytest.raises((ValueError, TypeError), match="points"):
        qj.okada.displacement(fault, np.zeros((3,)))
    with pytest.raises(ValueError, match="unknown slip component"):
        qj.okada.greens_functions(fault, np.zeros((1, 3)), components=("rake",))


def test_accelerator_point_check_path(monkeypatch):
    """The device-side check (used for arrays on an accelerator) accepts good points and
    names the bad point like the host-side check does."""
    from quakejax.okada import _fields

    monkeypatch.setattr(_fields, "_on_host", lambda x: False)
    fault = qj.FaultModel(
        centroid=jnp.array([[0.0, 0.0, -5e3]]),
        strike=jnp.array([10.0]),
        dip=jnp.array([60.0]),
        length=jnp.array([4e3]),
        width=jnp.array([2e3]),
        slip=jnp.array([[1.0, 0.5, 0.0]]),
    )
    good = jnp.array([[1e3, 2e3, -1e3], [3e3, -1e3, 0.0]])
    u, g = qj.okada.displacement_gradient(fault, good)
    monkeypatch.undo()
    u_ref, g_ref = qj.okada.displacement_gradient(fault, good)
    np.testing.assert_array_equal(np.asarray(u), np.asarray(u_ref))
    np.testing.assert_array_equal(np.asarray(g), np.asarray(g_ref))

    monkeypatch.setattr(_fields, "_on_host", lambda x: False)
    with pytest.raises(ValueError, match=r"point 1 has up = 5.0 m > 0, above the free surface"):
        qj.okada.displacement_gradient(fault, good.at[1, 2].set(5.0))
    with pytest.raises(ValueError, match=r"point 0 is not finite"):
        qj.okada.displacement_gradient(fault, good.at[0, 1].set(jnp.nan))
