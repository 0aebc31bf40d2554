"""Rupture context per cell: distance to the slipping surface and the slip nearby.

These are the inputs of the "distance plus slip" baseline of the aftershock issue: a cell
close to a large slip is likely to host aftershocks whatever the stress tensor says.
Bookkeeping in numpy (float64), not differentiable; `quakejax.okada` is the
differentiable path.
"""

from __future__ import annotations

import numpy as np

from .._fault import FaultModel, numpy_geometry
from .._types import ArrayLike, Float

# Cells x patches evaluated at once (memory: about 100 bytes per pair).
_PAIRS_PER_CHUNK = 2_000_000


def rupture_distance(
    fault: FaultModel,
    points: Float[ArrayLike, "n 3"],
    *,
    min_slip: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Shortest distance (m) from each point to the fault's patches, and which patch.

    Exact point-to-rectangle distance: the point is projected on each patch's plane, its
    along-strike and down-dip coordinates are clamped to the patch, and the distance to that
    nearest point of the patch is taken; the minimum over patches is returned.  Patches whose
    slip magnitude (m) is not above `min_slip` are ignored (the default ignores only patches
    with no slip at all; a fault with no slip anywhere uses every patch).

    **Arguments:** `fault` (ENU m); `points (n, 3)` ENU m.

    **Returns:** `(distance (n,) m, nearest patch index (n,))`, numpy.
    """
    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise ValueError(f"rupture_distance: points must have shape (n, 3), got {pts.shape}.")
    if not np.isfinite(pts).all():
        bad = int(np.flatnonzero(~np.isfinite(pts).all(axis=1))[0])
        raise ValueError(f"rupture_distance: points[{bad}] is not finite: {pts[bad]}.")
    geo = numpy_geometry(fault)
    slip = np.linalg.norm(np.asarray(fault.slip, dtype=float), axis=1)
    use = np.flatnonzero(slip > min_slip)
    if use.size == 0:
        use = np.arange(fault.n_patches)
    c = np.asarray(fault.centroid, dtype=float)[use]
    s, d, nrm = (geo[k][use] for k in ("strike_vector", "down_dip_vector", "normal_vector"))
    half_l = 0.5 * np.asarray(fault.length, dtype=float)[use]
    half_w = 0.5 * np.asarray(fault.width, dtype=float)[use]
    n, m = pts.shape[0], use.size
    dist = np.empty(n)
    which = np.empty(n, dtype=np.int64)
    step = max(1, _PAIRS_PER_CHUNK // max(m, 1))
    for i in range(0, n, step):
        r = pts[i : i + step, None, :] - c[None, :, :]  # (k, m, 3)
        a = np.einsum("kmj,mj->km", r, s)
        b = np.einsum("kmj,mj->km", r, d)
        h = np.einsum("kmj,mj->km", r, nrm)
        da = np.abs(a) - half_l
        db = np.abs(b) - half_w
        d2 = np.maximum(da, 0.0) ** 2 + np.maximum(db, 0.0) ** 2 + h**2
        j = np.argmin(d2, axis=1)
        dist[i : i + step] = np.sqrt(d2[np.arange(j.size), j])
        which[i : i + step] = use[j]
    return dist, which


def context_features(fault: FaultModel, points: Float[ArrayLike, "n 3"]) -> dict[str, np.ndarray]:
    """Per-cell context columns for a grid table.

    - `rupture_distance_km`: distance to the nearest slipping patch (km);
    - `nearest_slip_m`: slip magnitude of that patch (m);
    - `mean_slip_m`: the area-weighted mean slip magnitude of the whole model (m; the same
      for every cell of one rupture).
    """
    dist, which = rupture_distance(fault, points)
    slip = np.linalg.norm(np.asarray(fault.slip, dtype=float), axis=1)
    area = numpy_geometry(fault)["area"]
    mean = float(np.sum(slip * area) / np.sum(area)) if np.sum(area) > 0 else 0.0
    n = dist.shape[0]
    return {
        "rupture_distance_km": (dist / 1e3).astype(np.float32),
        "nearest_slip_m": slip[which].astype(np.float32),
        "mean_slip_m": np.full(n, mean, np.float32),
    }
