"""Scores of aftershock forecasts: ROC curve, ROC AUC and average precision.

`roc_auc` and `average_precision` are pure JAX (jit- and vmap-compatible, O(n log n)); ties
in the scores are handled as scikit-learn does (a tie is one threshold).  Called eagerly on
concrete arrays, `roc_auc` computes the same Mann-Whitney statistic with numpy and scipy,
which is faster on a CPU.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Real

from .._types import Array, ArrayLike, Float
from ..okada._common import is_concrete


def _check(scores, labels, name):
    shape, label_shape = np.shape(scores), np.shape(labels)
    if len(shape) != 1 or shape != label_shape:
        raise ValueError(f"{name}: scores {shape} and labels {label_shape} must be equal (n,).")
    if is_concrete(scores, labels):
        # Concrete inputs: check and convert in numpy (an eager jnp conversion would
        # compile once per array length).
        s, y = np.asarray(scores), np.asarray(labels)
        if not np.issubdtype(s.dtype, np.floating):
            s = s.astype(jnp.result_type(float))
        if not np.isfinite(s).all():
            raise ValueError(f"{name}: score {int(np.argmax(~np.isfinite(s)))} is not finite.")
        if not np.isin(y, (0, 1)).all():
            raise ValueError(f"{name}: labels must be 0 or 1.")
        return s, y.astype(s.dtype)
    scores = jnp.asarray(scores)
    if not jnp.issubdtype(scores.dtype, jnp.floating):
        scores = scores.astype(jnp.result_type(float))
    return scores, jnp.asarray(labels).astype(scores.dtype)


def roc_auc(scores: Real[ArrayLike, " n"], labels: ArrayLike) -> Float[Array, ""]:
    """Area under the ROC curve of `scores` for binary `labels` (1 = aftershock cell).

    The Mann-Whitney statistic: the probability that a random positive cell scores higher
    than a random negative one, ties counting one half (the trapezoidal ROC area).  0.5 is
    no skill.  NaN when only one class is present.  Non-finite scores raise `ValueError`
    when called eagerly.
    """
    scores, y = _check(scores, labels, "roc_auc")
    if isinstance(scores, np.ndarray):
        # Concrete inputs: the same statistic in numpy, about ten times faster than XLA's
        # CPU sort (this is the per-event loop of every evaluation).
        from scipy.stats import rankdata

        n_pos = float(y.sum())
        n_neg = y.shape[0] - n_pos
        if n_pos == 0 or n_neg == 0:
            return jnp.asarray(np.nan, jnp.result_type(float))
        u = float(rankdata(scores)[y == 1].sum()) - n_pos * (n_pos + 1) / 2
        return jnp.asarray(u / (n_pos * n_neg), jnp.result_type(float))
    return _roc_auc(scores, y)


def _pad(scores, y):
    """Eagerly, pad to the next power of two (>= 1024) with -inf scores and 0 labels, so
    that arrays of every length share a few compilations of `_average_precision`.  Padded
    entries sort after every finite score (scores are checked finite), so they add nothing
    to the precision of any real threshold."""
    if not is_concrete(scores, y):
        return scores, y, 0
    n = scores.shape[0]
    size = max(1024, 1 << max(n - 1, 1).bit_length())
    if size == n:
        return jnp.asarray(scores), jnp.asarray(y), 0
    s = np.full(size, -np.inf, dtype=scores.dtype)
    s[:n] = np.asarray(scores)
    yy = np.zeros(size, dtype=y.dtype)
    yy[:n] = np.asarray(y)
    return jnp.asarray(s), jnp.asarray(yy), size - n


@jax.jit
def _roc_auc(scores, y):
    ordered = jnp.sort(scores)
    lo = jnp.searchsorted(ordered, scores, side="left")
    hi = jnp.searchsorted(ordered, scores, side="right")
    rank = 0.5 * (lo + hi + 1).astype(scores.dtype)  # average 1-based rank of ties
    n_pos = jnp.sum(y)
    n_neg = y.shape[0] - n_pos
    u = jnp.sum(rank * y) - n_pos * (n_pos + 1) / 2
    ok = (n_pos > 0) & (n_neg > 0)
    return jnp.where(ok, u / jnp.where(ok, n_pos * n_neg, 1.0), jnp.nan)


def average_precision(scores: Real[ArrayLike, " n"], labels: ArrayLike) -> Float[Array, ""]:
    """Average precision: sum over thresholds of (R_k - R_{k-1}) P_k (no interpolation).

    The definition of scikit-learn's `average_precision_score`; ties form one threshold.
    NaN without positives.  Its no-skill value is the positive fraction.
    """
    scores, y = _check(scores, labels, "average_precision")
    scores, y, _ = _pad(scores, y)
    return _average_precision(scores, y)


@jax.jit
def _average_precision(scores, y):
    order = jnp.argsort(-scores)
    a = -scores[order]  # ascending
    yy = y[order]
    tp = jnp.cumsum(yy)
    tp0 = jnp.concatenate([jnp.zeros(1, tp.dtype), tp])
    n = a.shape[0]
    idx = jnp.arange(n)
    end = jnp.concatenate([a[1:] != a[:-1], jnp.ones(1, bool)])  # last of each tie group
    start = jnp.searchsorted(a, a, side="left")
    precision = tp / (idx + 1)
    gain = tp - tp0[start]
    n_pos = tp[-1]
    total = jnp.sum(jnp.where(end, precision * gain, 0.0))
    return jnp.where(n_pos > 0, total / jnp.where(n_pos > 0, n_pos, 1.0), jnp.nan)


def roc_curve(scores, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROC curve `(fpr, tpr, thresholds)` (numpy), one point per distinct score, from (0, 0).

    A cell is called positive when its score is >= the threshold; the first threshold is
    +inf (nothing positive).
    """
    scores, y = _check(scores, labels, "roc_curve")
    s, y = np.asarray(scores, float), np.asarray(y, float)
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    end = np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(y)[end]
    fp = np.cumsum(1 - y)[end]
    n_pos, n_neg = y.sum(), (1 - y).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = np.r_[0.0, tp / n_pos]
        fpr = np.r_[0.0, fp / n_neg]
    return fpr, tpr, np.r_[np.inf, s[end]]
