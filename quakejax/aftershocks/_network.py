"""The DeVries et al. (2018) aftershock network and its class-balanced training (optax).

Inputs are 12 features per cell: |sigma_ij| of the six independent stress-change components
(xx, xy, xz, yy, yz, zz, in MPa) followed by their negatives (DeVries et al. feed both).
Six hidden Dense(50, tanh) layers, each followed by dropout 0.5, then Dense(1, sigmoid):
13,451 parameters.
"""

from __future__ import annotations

import dataclasses
import pathlib

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._types import Array, ArrayLike, Float, PRNGKeyArray
from ._features import COMPONENTS

N_FEATURES = 12


def devries_features(table) -> np.ndarray:
    """The 12 network inputs (float32, MPa) from a grid table with `stresses_full_*` in Pa."""
    comps = np.stack([np.asarray(table[f"stresses_full_{c}"], float) for c in COMPONENTS], 1)
    a = np.abs(comps) / 1e6
    return np.concatenate([a, -a], axis=1).astype(np.float32)


class DeVriesNet(eqx.Module):
    """The DeVries et al. (2018) classifier (final).

    **Fields:** `layers`, seven `eqx.nn.Linear`; `dropout` rate (0.5).  `n_features` (12 by
    default, the published inputs) sets the input width for other feature sets.  Call it on
    one cell's features `(n_features,)`, or vmap over cells; returns the logit (apply
    `jax.nn.sigmoid` for the probability).  Pass `key` to apply dropout (training), omit it
    for inference.
    """

    layers: tuple[eqx.nn.Linear, ...]
    dropout: float = eqx.field(static=True)

    def __init__(
        self,
        key: PRNGKeyArray,
        *,
        width: int = 50,
        depth: int = 6,
        dropout: float = 0.5,
        n_features: int = N_FEATURES,
    ):
        sizes = [n_features] + [width] * depth + [1]
        keys = jax.random.split(key, len(sizes) - 1)
        self.layers = tuple(
            eqx.nn.Linear(a, b, key=k) for a, b, k in zip(sizes[:-1], sizes[1:], keys, strict=True)
        )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}.")
        self.dropout = dropout

    def __call__(
        self, x: Float[ArrayLike, " features"], key: PRNGKeyArray | None = None
    ) -> Float[Array, ""]:
        h = jnp.asarray(x)
        for i, layer in enumerate(self.layers[:-1]):
            h = jnp.tanh(layer(h))
            if key is not None and self.dropout > 0:
                keep = jax.random.bernoulli(jax.random.fold_in(key, i), 1.0 - self.dropout, h.shape)
                h = jnp.where(keep, h / (1.0 - self.dropout), 0.0)
        return self.layers[-1](h)[0]

    @property
    def n_features(self) -> int:
        return self.layers[0].in_features

    def probability(self, x: Float[ArrayLike, "n features"]) -> Float[Array, " n"]:
        """Aftershock probability per cell (no dropout)."""
        return jax.nn.sigmoid(jax.vmap(self)(jnp.asarray(x)))


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Training settings.  `optimizer`: "adam" (default, `learning_rate`) or "adadelta" as in
    the paper; `batch_size` cells per step, half positive and half negative; `steps`;
    `checkpoint_every` steps (with `checkpoint`, a file path); `n_features`: the input width
    (12 for the published features)."""

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 3500
    steps: int = 1000
    seed: int = 0
    checkpoint_every: int = 200
    n_features: int = N_FEATURES

    def make_optimizer(self):
        if self.optimizer == "adam":
            return optax.adam(self.learning_rate)
        if self.optimizer == "adadelta":
            return optax.adadelta(learning_rate=1.0, rho=0.95, eps=1e-7)
        raise ValueError(f"optimizer must be 'adam' or 'adadelta', got {self.optimizer!r}.")


def _loss(model, x, y, key):
    keys = jax.random.split(key, x.shape[0])
    logits = jax.vmap(model)(x, keys)
    return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, y))


@eqx.filter_jit
def _step(model, opt_state, x_all, pos, neg, key, optimizer, half):
    k_pos, k_neg, k_drop = jax.random.split(key, 3)
    ip = pos[jax.random.randint(k_pos, (half,), 0, pos.shape[0])]
    ineg = neg[jax.random.randint(k_neg, (half,), 0, neg.shape[0])]
    idx = jnp.concatenate([ip, ineg])
    y = jnp.concatenate([jnp.ones(half), jnp.zeros(half)]).astype(x_all.dtype)
    loss, grads = eqx.filter_value_and_grad(_loss)(model, x_all[idx], y, k_drop)
    updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_array))
    return eqx.apply_updates(model, updates), opt_state, loss


def train(
    x: Float[ArrayLike, "n features"],
    y: ArrayLike,
    config: TrainConfig | None = None,
    *,
    checkpoint: str | pathlib.Path | None = None,
    stop_after: int | None = None,
    progress: bool = True,
) -> tuple[DeVriesNet, np.ndarray]:
    """Train a `DeVriesNet` on cells `x (n, n_features)` with labels `y (n,)` in {0, 1}.

    Each step draws a class-balanced batch (with replacement) and minimises binary cross
    entropy.  Everything random derives from `config.seed`: step k uses
    `fold_in(key, k)`, so a run resumed from `checkpoint` (equinox serialisation of model,
    optimiser state and step, written every `config.checkpoint_every` steps and at the end)
    gives exactly the result of an uninterrupted one.  `stop_after` ends the run early after
    that many steps in total (to test resuming).  Returns `(model, losses of this call)`.
    """
    config = TrainConfig() if config is None else config
    x = jnp.asarray(x)
    y = np.asarray(y)
    nf = config.n_features
    if x.ndim != 2 or x.shape[1] != nf or y.shape != (x.shape[0],):
        raise ValueError(
            f"train: need x (n, {nf}) (TrainConfig.n_features) and y (n,), got {x.shape} and "
            f"{y.shape}."
        )
    if not np.isin(y, (0, 1)).all():
        raise ValueError("train: labels must be 0 or 1.")
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("train: both classes are needed (all cells have one label).")
    key = jax.random.PRNGKey(config.seed)
    model = DeVriesNet(jax.random.fold_in(key, 0), n_features=nf)
    optimizer = config.make_optimizer()
    opt_state = optimizer.init(eqx.filter(model, eqx.is_array))
    start = 0
    path = None if checkpoint is None else pathlib.Path(checkpoint)
    if path is not None and path.exists():
        like = (model, opt_state, jnp.asarray(0))
        model, opt_state, done = eqx.tree_deserialise_leaves(path, like)
        start = int(done)
    end = config.steps if stop_after is None else min(config.steps, stop_after)
    half = config.batch_size // 2
    pos_j, neg_j = jnp.asarray(pos), jnp.asarray(neg)
    losses = []
    steps = range(start, end)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="train", unit="step", initial=start, total=config.steps)
    for k in steps:
        model, opt_state, loss = _step(
            model, opt_state, x, pos_j, neg_j, jax.random.fold_in(key, k + 1), optimizer, half
        )
        losses.append(loss)
        if path is not None and ((k + 1) % config.checkpoint_every == 0 or k + 1 == end):
            tmp = path.with_name(path.name + ".partial")
            eqx.tree_serialise_leaves(tmp, (model, opt_state, jnp.asarray(k + 1)))
            tmp.replace(path)
    return model, np.asarray(jnp.stack(losses)) if losses else np.zeros(0)
