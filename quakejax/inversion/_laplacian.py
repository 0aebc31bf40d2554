"""Patch adjacency and the finite-difference Laplacian of slip on a fault of rectangles."""

from __future__ import annotations

import dataclasses

import numpy as np

from .._fault import FaultModel, numpy_geometry

# Edge order used throughout: the edge a neighbour is looked for across.
EDGES = ("start", "end", "top", "bottom")


@dataclasses.dataclass(frozen=True)
class PatchAdjacency:
    """Which patch lies across each edge of each patch (NumPy, float64).

    **Fields:**

    - `neighbour (m, 4)`: index of the patch across the start-of-strike, end-of-strike, top
      and bottom edge (`EDGES`), or -1 where the edge is on the fault's border.
    - `distance (m, 4)`: centroid-to-centroid distance to that neighbour in metres, or, on the
      border, the distance from the centroid to the mirror point across the edge (twice the
      centroid-to-edge distance).
    """

    neighbour: np.ndarray
    distance: np.ndarray

    @property
    def n_patches(self) -> int:
        return int(self.neighbour.shape[0])

    def border(self, edge: str) -> np.ndarray:
        """Boolean `(m,)`: patches whose `edge` ("start", "end", "top", "bottom") is on the
        fault's border."""
        return self.neighbour[:, EDGES.index(edge)] < 0


def patch_adjacency(fault: FaultModel, *, tolerance: float = 0.5) -> PatchAdjacency:
    """Find the neighbour across each edge of every patch, for any collection of rectangles.

    The neighbour across an edge is the patch whose centroid is nearest to the mirror image
    of this patch's centroid in that edge, accepted when it lies within `tolerance` times the
    patch size in that direction.  This works on regular grids, on multi-segment faults
    whose segments meet at an angle or with small gaps (so smoothing couples slip across
    segment junctions), and on grids whose patch sizes change.

    **Arguments:** `fault`, ENU metres; `tolerance`, dimensionless (default 0.5).

    **Returns:** a `PatchAdjacency`.
    """
    if fault.n_patches == 0:
        raise ValueError("patch_adjacency: the fault has no patches.")
    geo = numpy_geometry(fault)
    c = np.asarray(fault.centroid, float)
    half_l = 0.5 * np.asarray(fault.length, float)[:, None]
    half_w = 0.5 * np.asarray(fault.width, float)[:, None]
    s, d = geo["strike_vector"], geo["down_dip_vector"]
    offsets = (-2 * half_l * s, 2 * half_l * s, -2 * half_w * d, 2 * half_w * d)
    size = (2 * half_l[:, 0], 2 * half_l[:, 0], 2 * half_w[:, 0], 2 * half_w[:, 0])
    m = c.shape[0]
    neighbour = np.full((m, 4), -1, dtype=np.int64)
    distance = np.zeros((m, 4))
    for k, (off, h) in enumerate(zip(offsets, size, strict=True)):
        target = c + off
        # Nearest centroid to each mirror point, in blocks so memory stays O(block * m).
        for lo in range(0, m, 512):
            hi = min(m, lo + 512)
            d2 = ((target[lo:hi, None, :] - c[None, :, :]) ** 2).sum(-1)
            d2[np.arange(hi - lo), np.arange(lo, hi)] = np.inf
            j = np.argmin(d2, axis=1)
            ok = np.sqrt(d2[np.arange(hi - lo), j]) <= tolerance * h[lo:hi]
            neighbour[lo:hi, k] = np.where(ok, j, -1)
            distance[lo:hi, k] = np.where(ok, np.linalg.norm(c[j] - c[lo:hi], axis=1), h[lo:hi])
    return PatchAdjacency(neighbour, distance)


def laplacian(
    fault: FaultModel,
    *,
    edges: str = "free",
    adjacency: PatchAdjacency | None = None,
) -> np.ndarray:
    """Finite-difference Laplacian of a per-patch field, scaled to be dimensionless.

    Row i is `h^2 * sum_e (f_e - f_i) / d_e^2` over the four edges e of patch i, where `d_e`
    is the distance to the patch across the edge and `h` the mean patch size, so `L @ slip`
    is in metres of slip and the smoothing weight has units of 1/m (see `invert_slip`).

    **Arguments:**

    - `fault`: the fault, ENU metres.
    - `edges`: `"free"` (no condition: a border edge adds nothing, as for a zero-gradient
      ghost patch) or `"zero-bottom-sides"` (slip tends to zero below the bottom edge and
      beyond the along-strike ends: a ghost patch with zero slip; the top edge stays free,
      so slip may reach a trench or the surface).
    - `adjacency`: a precomputed `patch_adjacency(fault)`.

    **Returns:** `L (m, m)` (NumPy, float64).
    """
    if edges not in ("free", "zero-bottom-sides"):
        raise ValueError(f"edges: expected 'free' or 'zero-bottom-sides', got {edges!r}.")
    adj = patch_adjacency(fault) if adjacency is None else adjacency
    if adj.n_patches != fault.n_patches:
        raise ValueError(
            f"adjacency: built for {adj.n_patches} patches, the fault has {fault.n_patches}."
        )
    m = fault.n_patches
    h2 = float(np.mean(np.sqrt(np.asarray(fault.length) * np.asarray(fault.width)))) ** 2
    lap = np.zeros((m, m))
    rows = np.arange(m)
    dirichlet = (True, True, False, True) if edges == "zero-bottom-sides" else (False,) * 4
    for k in range(4):
        j = adj.neighbour[:, k]
        w = h2 / adj.distance[:, k] ** 2
        inside = j >= 0
        np.add.at(lap, (rows[inside], j[inside]), w[inside])
        np.add.at(lap, (rows[inside], rows[inside]), -w[inside])
        if dirichlet[k]:
            # Ghost patch with zero slip across the border edge.
            np.add.at(lap, (rows[~inside], rows[~inside]), -w[~inside])
    return lap
