"""The shipped classifier: inputs from stress, gradients, storage, and the pretrained weights."""

import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from quakejax.aftershocks import (
    AftershockClassifier,
    DeVriesNet,
    devries_features,
    principal_from_invariants,
    stress_inputs,
    table_stress,
)

from ._geometry import random_rotation


def _sym(rng, n):
    a = rng.normal(size=(n, 3, 3)) * 1e6
    return 0.5 * (a + np.swapaxes(a, 1, 2))


def test_principal_stresses_match_eigvalsh_and_have_finite_gradients():
    rng = np.random.default_rng(0)
    s = _sym(rng, 50)
    np.testing.assert_allclose(
        principal_from_invariants(s), np.linalg.eigvalsh(s)[:, ::-1], rtol=1e-9, atol=1e-3
    )
    # Frame independent: rotating the tensor leaves them unchanged.
    r = random_rotation(rng)
    rotated = np.einsum("ij,njk,lk->nil", r, s, r)
    np.testing.assert_allclose(
        principal_from_invariants(rotated), principal_from_invariants(s), rtol=1e-9, atol=1e-3
    )
    # Zero and isotropic stress: eigen-derivatives are NaN there, ours are finite.
    g = jax.grad(lambda x: principal_from_invariants(x).sum())
    for x in (jnp.zeros((3, 3)), 1e6 * jnp.eye(3)):
        assert np.isfinite(np.asarray(g(x))).all()


def test_devries_inputs_agree_with_the_table_path():
    rng = np.random.default_rng(1)
    s = _sym(rng, 20)
    cols = {
        f"stresses_full_{c}": s[:, i, j]
        for c, (i, j) in zip(
            ["xx", "xy", "xz", "yy", "yz", "zz"],
            [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)],
            strict=True,
        )
    }
    table = pd.DataFrame(cols)
    np.testing.assert_allclose(table_stress(table), s)
    np.testing.assert_allclose(stress_inputs(s), devries_features(table), rtol=1e-6)
    with pytest.raises(ValueError, match="features"):
        stress_inputs(s, "raw")


def test_logit_gradient_matches_finite_differences_and_jit_vmap():
    model = AftershockClassifier(DeVriesNet(jax.random.PRNGKey(0)), "devries")
    rng = np.random.default_rng(2)
    s = jnp.asarray(_sym(rng, 1)[0])
    g = jax.grad(model.logit)(s)
    e = np.zeros((3, 3))
    e[0, 1] = e[1, 0] = 1.0
    h = 10.0  # Pa, on stresses of ~1e6 Pa
    fd = (model.logit(s + h * e) - model.logit(s - h * e)) / (2 * h)
    assert float(jnp.sum(g * e)) == pytest.approx(float(fd), rel=1e-5)
    batch = jnp.asarray(_sym(rng, 7))
    np.testing.assert_allclose(
        model.probability(batch), jax.nn.sigmoid(jax.vmap(model.logit)(batch)), rtol=1e-12
    )
    assert np.isfinite(np.asarray(jax.grad(model.logit)(jnp.zeros((3, 3))))).all()


def test_save_load_round_trip_and_errors(tmp_path):
    card = {"note": "test"}
    model = AftershockClassifier(
        DeVriesNet(jax.random.PRNGKey(3), n_features=3), "principal", json.dumps(card)
    )
    model.save(tmp_path / "m")
    back = AftershockClassifier.load(tmp_path / "m.json")
    assert back.features == "principal" and back.info == card
    for a, b in zip(
        jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_array)),
        jax.tree_util.tree_leaves(eqx.filter(back, eqx.is_array)),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="inputs"):
        AftershockClassifier(DeVriesNet(jax.random.PRNGKey(0)), "principal")
    with pytest.raises(FileNotFoundError, match="nothere"):
        AftershockClassifier.load(tmp_path / "nothere")
    (tmp_path / "bad.json").write_text("{}")
    (tmp_path / "bad.eqx").write_bytes(b"")
    with pytest.raises(ValueError, match="bad.json"):
        AftershockClassifier.load(tmp_path / "bad")
    with pytest.raises(ValueError, match="available"):
        AftershockClassifier.pretrained("nonexistent")


def test_pretrained_weights_load_and_rank_large_stress_above_small():
    model = AftershockClassifier.pretrained()
    info = model.info
    assert model.features == "devries" and info["data"]["slip_models"] > 100
    # Not a reference value: only the physical ordering the paper found (large von Mises
    # stress change -> more aftershocks), on isotropic-free shear tensors of growing size.
    shear = np.zeros((5, 3, 3))
    amp = np.array([1e3, 1e4, 1e5, 1e6, 1e7])
    shear[:, 0, 1] = shear[:, 1, 0] = amp
    p = np.asarray(model.probability(shear.astype(np.float32)))
    assert np.all((p > 0) & (p < 1)) and np.all(np.diff(p) > 0)
