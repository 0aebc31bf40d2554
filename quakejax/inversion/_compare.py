"""Comparing slip models on different patch geometries."""

from __future__ import annotations

import numpy as np

from .._fault import FaultModel, numpy_geometry


def resample_slip(
    source: FaultModel, target: FaultModel, *, max_distance: float | None = None
) -> np.ndarray:
    """Slip of `source` sampled at the centroids of `target`'s patches.

    Each target centroid takes the slip of the source patch whose rectangle contains the
    centroid's projection onto that patch's plane, with the centroid within `max_distance`
    (m) of the plane; among several, the nearest plane wins.  Centroids beyond every source
    patch get zero slip (outside the source rupture).  Both models must share one ENU frame.

    **Arguments:** `source`, `target` (ENU metres); `max_distance` in metres (default: the
    larger of the mean target and source patch sizes).

    **Returns:** `(m_target, 2)` strike and dip slip in metres, NumPy.
    """
    gs, gt = numpy_geometry(source), numpy_geometry(target)
    if max_distance is None:
        max_distance = max(float(np.sqrt(gt["area"]).mean()), float(np.sqrt(gs["area"]).mean()))
    cs = np.asarray(source.centroid, float)
    ct = np.asarray(target.centroid, float)
    half_l = 0.5 * np.asarray(source.length, float)
    half_w = 0.5 * np.asarray(source.width, float)
    slip = np.asarray(source.slip, float)[:, :2]
    out = np.zeros((ct.shape[0], 2))
    for lo in range(0, ct.shape[0], 256):
        d = ct[lo : lo + 256, None, :] - cs[None, :, :]
        a = np.einsum("tpk,pk->tp", d, gs["strike_vector"])
        b = np.einsum("tpk,pk->tp", d, gs["down_dip_vector"])
        n = np.abs(np.einsum("tpk,pk->tp", d, gs["normal_vector"]))
        inside = (np.abs(a) <= half_l * (1 + 1e-9)) & (np.abs(b) <= half_w * (1 + 1e-9))
        inside &= n <= max_distance
        n = np.where(inside, n, np.inf)
        j = np.argmin(n, axis=1)
        hit = np.isfinite(n[np.arange(len(j)), j])
        out[lo : lo + 256][hit] = slip[j[hit]]
    return out


def slip_correlation(a, b) -> float:
    """Pearson correlation of two slip-magnitude fields on the same patches.

    **Arguments:** `a`, `b`: `(m, 2)` slip components or `(m,)` magnitudes, metres.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.ndim == 2:
        a = np.hypot(a[:, 0], a[:, 1])
    if b.ndim == 2:
        b = np.hypot(b[:, 0], b[:, 1])
    if a.shape != b.shape:
        raise ValueError(f"slip_correlation: shapes {a.shape} and {b.shape} differ.")
    return float(np.corrcoef(a, b)[0, 1])
