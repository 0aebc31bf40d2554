"""The DeVries et al. (2018) cell grid around a rupture, and catalog labels on it."""

from __future__ import annotations

import dataclasses

import equinox as eqx
import numpy as np
from scipy.spatial import cKDTree

from .._fault import FaultModel, numpy_geometry


@dataclasses.dataclass(frozen=True)
class GridSpec:
    """Where the cells are.  Defaults are those of DeVries et al. (2018).

    **Fields** (metres):

    - `cell_size`: horizontal cell edge, 5 km.  Cell edges lie on multiples of `cell_size`
      from the origin of the fault's local frame.
    - `radius`: a cell is kept when its centroid is within this horizontal distance of some
      patch corner (the union of 100 km circles around the corners).
    - `depth_top`, `depth_bottom`: the depth range (m, positive down), 0-50 km.
    - `n_layers`: equal layers in that range (ten 5 km layers).
    """

    cell_size: float = 5.0e3
    radius: float = 100.0e3
    depth_top: float = 0.0
    depth_bottom: float = 50.0e3
    n_layers: int = 10

    def __post_init__(self):
        for name in ("cell_size", "radius"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise ValueError(f"GridSpec: {name} must be a positive length in m, got {v!r}.")
        if not (0 <= self.depth_top < self.depth_bottom and np.isfinite(self.depth_bottom)):
            raise ValueError(
                f"GridSpec: need 0 <= depth_top < depth_bottom (m, positive down), got "
                f"{self.depth_top!r}, {self.depth_bottom!r}."
            )
        if int(self.n_layers) != self.n_layers or self.n_layers < 1:
            raise ValueError(
                f"GridSpec: n_layers must be a positive integer, got {self.n_layers!r}."
            )

    @property
    def layer_thickness(self) -> float:
        """Thickness of one depth layer (m)."""
        return (self.depth_bottom - self.depth_top) / self.n_layers


class CellGrid(eqx.Module):
    """Cells of a `GridSpec` around one rupture (final).

    **Fields:** `centroid (n, 3)`: cell centroids, ENU metres in the fault's local frame (z < 0);
    `index (n, 3)`: integer cell indices (i_east, i_north, i_layer), with
    east = (i_east + 1/2) cell_size and depth = depth_top + (i_layer + 1/2) thickness; `spec`
    (static).
    """

    centroid: np.ndarray
    index: np.ndarray
    spec: GridSpec = eqx.field(static=True)

    def __check_init__(self):
        if self.centroid.ndim != 2 or self.centroid.shape[1] != 3:
            raise ValueError(f"CellGrid: centroid must be (n, 3), got {self.centroid.shape}.")
        if self.index.shape != self.centroid.shape:
            raise ValueError("CellGrid: index and centroid shapes differ.")

    def __len__(self) -> int:
        return int(self.centroid.shape[0])

    def locate(self, points) -> np.ndarray:
        """Row of the cell holding each point (ENU m), or -1 outside the grid.

        A point on a cell boundary belongs to the cell above/east/north of it (floor).
        """
        points = np.asarray(points, dtype=float).reshape(-1, 3)
        spec = self.spec
        with np.errstate(invalid="ignore"):
            ie = np.floor(points[:, 0] / spec.cell_size)
            in_ = np.floor(points[:, 1] / spec.cell_size)
            iz = np.floor((-points[:, 2] - spec.depth_top) / spec.layer_thickness)
        ok = np.isfinite(ie) & np.isfinite(in_) & np.isfinite(iz)
        ok &= (iz >= 0) & (iz < spec.n_layers)
        keys = _keys(self.index)
        order = np.argsort(keys)
        wanted = _keys(np.stack([ie, in_, iz], axis=1).astype(np.int64)[ok])
        pos = np.searchsorted(keys[order], wanted)
        pos = np.minimum(pos, len(keys) - 1) if len(keys) else pos
        hit = (keys[order][pos] == wanted) if len(keys) else np.zeros(len(wanted), bool)
        rows = np.full(points.shape[0], -1, dtype=np.int64)
        rows[np.flatnonzero(ok)[hit]] = order[pos[hit]]
        return rows

    def count(self, points) -> np.ndarray:
        """Number of `points` (ENU m) inside each cell, shape (n_cells,)."""
        rows = self.locate(points)
        return np.bincount(rows[rows >= 0], minlength=len(self)).astype(np.int64)


def _keys(index):
    # One int64 per cell; indices are bounded by |i| < 2^20 (5 km cells span 5e6 km).
    index = np.asarray(index, dtype=np.int64)
    return ((index[:, 0] + (1 << 20)) << 42) | ((index[:, 1] + (1 << 20)) << 21) | index[:, 2]


def build_grid(fault: FaultModel, spec: GridSpec | None = None) -> CellGrid:
    """Cells within `spec.radius` (horizontally) of any patch corner, in every depth layer.

    **Arguments:** `fault` in its local ENU frame (m); `spec` the grid parameters.

    **Returns:** a `CellGrid` ordered by layer, then north, then east.
    """
    spec = GridSpec() if spec is None else spec
    corners = numpy_geometry(fault)["corners"].reshape(-1, 3)[:, :2]
    if corners.size == 0:
        raise ValueError("build_grid: the fault has no patches.")
    if not np.isfinite(corners).all():
        raise ValueError("build_grid: fault corners are not finite.")
    h = spec.cell_size
    lo = np.floor((corners.min(0) - spec.radius) / h).astype(np.int64)
    hi = np.ceil((corners.max(0) + spec.radius) / h).astype(np.int64)
    ie, in_ = np.meshgrid(np.arange(lo[0], hi[0]), np.arange(lo[1], hi[1]))
    ie, in_ = ie.reshape(-1), in_.reshape(-1)
    xy = np.stack([(ie + 0.5) * h, (in_ + 0.5) * h], axis=1)
    # Corners repeat between neighbouring patches: unique ones make the tree smaller.
    tree = cKDTree(np.unique(np.round(corners, 3), axis=0))
    dist, _ = tree.query(xy, k=1, distance_upper_bound=spec.radius * (1 + 1e-12))
    keep = np.isfinite(dist)
    ie, in_, xy = ie[keep], in_[keep], xy[keep]
    layers = np.arange(spec.n_layers)
    depth = spec.depth_top + (layers + 0.5) * spec.layer_thickness
    n_h = xy.shape[0]
    centroid = np.concatenate([np.column_stack([xy, np.full(n_h, -d)]) for d in depth], axis=0)
    index = np.concatenate(
        [np.column_stack([ie, in_, np.full(n_h, k)]) for k in layers], axis=0
    ).astype(np.int64)
    return CellGrid(centroid, index, spec)
