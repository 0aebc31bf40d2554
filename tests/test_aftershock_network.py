"""The DeVries network: size, inputs, training on a learnable problem, exact resume."""

import equinox as eqx
import jax
import numpy as np
import pandas as pd
import pytest

from quakejax.aftershocks import DeVriesNet, TrainConfig, devries_features, roc_auc, train


def test_parameter_count_is_the_published_13451():
    model = DeVriesNet(jax.random.PRNGKey(0))
    n = sum(p.size for p in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_array)))
    assert n == 13_451  # DeVries et al. (2018): six Dense(50) layers on 12 inputs, one output


def test_features_are_abs_components_and_negatives_in_mpa():
    cols = {
        f"stresses_full_{c}": [1e6 * (i + 1) * (-1) ** i]
        for i, c in enumerate(["xx", "xy", "xz", "yy", "yz", "zz"])
    }
    x = devries_features(pd.DataFrame(cols))
    np.testing.assert_allclose(x[0], [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6])


def _problem(n=4000, seed=0):
    # Positives where the stress is large, as near a rupture: learnable from |components|.
    rng = np.random.default_rng(seed)
    comps = rng.normal(size=(n, 6)) * np.exp(rng.normal(size=(n, 1)))
    p = 1 / (1 + np.exp(-(np.abs(comps).sum(1) - 6.0)))
    y = (rng.random(n) < p).astype(int)
    a = np.abs(comps).astype(np.float32)
    return np.concatenate([a, -a], 1), y


def test_training_learns_and_resumes_exactly(tmp_path):
    x, y = _problem()
    cfg = TrainConfig(batch_size=256, steps=60, checkpoint_every=20, learning_rate=3e-3)
    full, losses = train(x, y, cfg, progress=False)
    auc = float(roc_auc(np.asarray(full.probability(x)), y))
    assert auc > 0.85 and losses[-10:].mean() < losses[:10].mean()
    # Interrupted after 40 steps, then resumed from the checkpoint: the same model.
    ck = tmp_path / "ck.eqx"
    train(x, y, cfg, checkpoint=ck, stop_after=40, progress=False)
    resumed, rest = train(x, y, cfg, checkpoint=ck, progress=False)
    assert rest.shape == (20,)
    for a, b in zip(
        jax.tree_util.tree_leaves(eqx.filter(full, eqx.is_array)),
        jax.tree_util.tree_leaves(eqx.filter(resumed, eqx.is_array)),
        strict=True,
    ):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # Dropout only with a key.
    m = DeVriesNet(jax.random.PRNGKey(1))
    assert float(m(x[0])) == float(m(x[0]))
    assert float(m(x[0], jax.random.PRNGKey(2))) != float(m(x[0]))


def test_training_input_errors():
    x, y = _problem(100)
    with pytest.raises(ValueError, match="both classes"):
        train(x, np.zeros(100), TrainConfig(steps=1), progress=False)
    with pytest.raises(ValueError, match="12"):
        train(x[:, :6], y, TrainConfig(steps=1), progress=False)
    with pytest.raises(ValueError, match="optimizer"):
        train(x, y, TrainConfig(steps=1, optimizer="sgd"), progress=False)
