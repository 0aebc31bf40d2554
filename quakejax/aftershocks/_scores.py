"""Scores of aftershock forecasts: the area under the ROC curve."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def roc_auc(scores, labels) -> float:
    """Area under the ROC curve of `scores` for binary `labels` (1 = aftershock cell).

    The Mann-Whitney statistic: the probability that a random positive cell scores higher
    than a random negative one, ties counting one half.  0.5 is no skill.  NaN scores are
    an error; a single class gives NaN (the AUC is undefined).
    """
    scores = np.asarray(scores, dtype=float).reshape(-1)
    labels = np.asarray(labels).reshape(-1)
    if scores.shape != labels.shape:
        raise ValueError(f"roc_auc: {scores.shape[0]} scores but {labels.shape[0]} labels.")
    if not np.isfinite(scores).all():
        raise ValueError(f"roc_auc: score {int(np.argmax(~np.isfinite(scores)))} is not finite.")
    if not np.isin(labels, (0, 1, True, False)).all():
        raise ValueError("roc_auc: labels must be 0 or 1.")
    pos = labels.astype(bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)  # ties get their average rank
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))
