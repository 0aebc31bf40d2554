"""A block model assembled from celeri inputs: processed tables and fault meshes.

`build_model(config)` reads the files a celeri config names and derives everything the
operators need, following celeri's conventions so that its stored reference operators can be
reproduced:

- stations with `flag == 0` are dropped;
- segment ends are ordered west to east (the end whose position vector, crossed with the
  other's, has a positive z component comes first);
- segment azimuth, length and mid-point are WGS84 geodesic quantities (pyproj `Geod`);
- locking-depth flags 2-5 take the config's depths; segments traced by a mesh get locking
  depth 0 (the mesh carries their elastic effect);
- blocks are the faces of the segment graph (`close_blocks`) and are numbered in the order
  in which celeri's half-edge traversal meets them; the block table is re-ordered to match;
- a segment's "east" block lies on the side its right-hand normal points to, walking from its
  first (western) end when that normal has a positive east component.

Geocentric positions use a sphere of radius `EARTH_RADIUS` (the mean of the WGS84 semi-axes),
in metres; depths in meshes are km, negative below the surface.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyproj

from ._closure import Closure, close_blocks
from ._io import (
    BlockConfig,
    MeshParameters,
    TriangleMesh,
    read_blocks,
    read_config,
    read_mesh,
    read_mesh_parameters,
    read_mogi,
    read_segments,
    read_stations,
)

GEOD = pyproj.Geod(ellps="WGS84")
#: Sphere radius for geocentric positions (m): the mean of the WGS84 semi-axes (celeri's value).
EARTH_RADIUS = (GEOD.a + GEOD.b) / 2.0


def sph2cart(lon, lat, radius):
    """Geocentric Cartesian (x, y, z) from longitude, latitude (degrees) and radius."""
    lo, la = np.radians(lon), np.radians(lat)
    return (
        radius * np.cos(la) * np.cos(lo),
        radius * np.cos(la) * np.sin(lo),
        radius * np.sin(la),
    )


@dataclasses.dataclass(frozen=True)
class FaultMesh:
    """A triangulated fault surface with the derived geometry the operators use.

    - `mesh`: the file's vertices (lon, lat in degrees; depth in km, negative down) and
      triangles.
    - `params`: its entry in the mesh-parameters file.
    - `corners (m, 3, 3)`: per triangle, its vertices' (lon, lat, depth-km).
    - `centroid_lonlat (m, 2)`: mean vertex longitude and latitude (degrees).
    - `centroid_xyz (m, 3)`: mean geocentric position of the vertices at their depths (m).
    - `strike (m,)`, `dip (m,)`: degrees, celeri's values: from the normal of the triangle in
      (lon radians, lat radians, depth / Earth radius) space, so only approximately the
      geometric strike and dip (longitudes are not scaled by cos(lat)), and a dip over 90
      where the corner order makes the normal point down.
    - `neighbours (m, 3)`: the triangle across each side, -1 on the boundary.
    - `top`, `bottom`, `side (m,)`: boundary triangles along the top, bottom and lateral edges.
    """

    mesh: TriangleMesh
    params: MeshParameters
    corners: np.ndarray
    centroid_lonlat: np.ndarray
    centroid_xyz: np.ndarray
    strike: np.ndarray
    dip: np.ndarray
    neighbours: np.ndarray
    top: np.ndarray
    bottom: np.ndarray
    side: np.ndarray

    @property
    def n(self) -> int:
        return self.corners.shape[0]


def _sides(tri):
    return [np.sort(tri[:, [0, 1]], 1), np.sort(tri[:, [1, 2]], 1), np.sort(tri[:, [0, 2]], 1)]


def _neighbours(tri):
    m = tri.shape[0]
    sides = np.concatenate(_sides(tri))  # (3m, 2): side k of triangle t at row k*m + t
    owner = np.tile(np.arange(m), 3)
    _, inv, counts = np.unique(sides, axis=0, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    if counts.max() > 2:
        raise ValueError("mesh: an edge is shared by more than two triangles (non-manifold mesh)")
    out = np.full((m, 3), -1, dtype=np.int64)
    order = np.argsort(inv, kind="stable")
    inv_sorted = inv[order]
    pair = np.nonzero(inv_sorted[1:] == inv_sorted[:-1])[0]
    a, b = order[pair], order[pair + 1]
    out[owner[a], a // m] = owner[b]
    out[owner[b], b // m] = owner[a]
    return out


def _boundary_classes(depth_km, tri, neighbours):
    """Top / bottom / side boundary triangles.

    A boundary side (one triangle only) is a top side when the triangle's third vertex is
    deeper than the side's mid-depth by more than the side's own depth range, a bottom side
    when it is shallower by more than that.  Stray tops (bottoms) that a histogram of
    centroid depths separates from the main group by a gap of more than 10 km are dropped.
    Remaining boundary triangles are side triangles.  (celeri's rule.)
    """
    d = np.abs(depth_km)
    centroid = depth_km[tri].mean(axis=1)
    m = tri.shape[0]
    top = np.zeros(m, bool)
    bottom = np.zeros(m, bool)
    boundary = (neighbours < 0).any(axis=1)
    for k, (i, j, o) in enumerate(((0, 1, 2), (1, 2, 0), (0, 2, 1))):
        on = neighbours[:, k] < 0
        di, dj, do = d[tri[:, i]], d[tri[:, j]], d[tri[:, o]]
        excess = do - 0.5 * (di + dj)
        spread = np.abs(di - dj)
        top |= on & (excess > spread)
        bottom |= on & (excess < -spread)

    def prune(flags, keep_deep: bool):
        if flags.sum() == 0:
            return flags
        count, edges = np.histogram(centroid[flags], bins="doane")
        empty = np.nonzero(count == 0)[0]
        if len(empty) == 0 or len(count) <= 1:
            return flags
        lo, hi = edges[:-1], edges[1:]
        flags = flags.copy()
        if keep_deep:  # tops: centroids are negative depths; drop the deep strays
            if abs(hi[empty[0]] - lo[empty[-1] + 1]) > 10:
                flags[centroid < edges[empty[0]]] = False
        else:
            if abs(lo[empty[-1]] - hi[empty[0] - 1]) > 10:
                flags[centroid > lo[empty[-1]]] = False
        return flags

    top = prune(top, True)
    bottom = prune(bottom, False)
    side = boundary & ~top & ~bottom
    return top, bottom, side


def process_mesh(mesh: TriangleMesh, params: MeshParameters) -> FaultMesh:
    """Derived geometry of one mesh (see `FaultMesh`)."""
    v, tri = mesh.vertices, mesh.triangles
    corners = v[tri]
    lon, lat, dep = corners[..., 0], corners[..., 1], corners[..., 2]
    centroid_lonlat = np.stack([lon.mean(1), lat.mean(1)], 1)
    x, y, z = sph2cart(lon, lat, EARTH_RADIUS + 1e3 * dep)
    centroid_xyz = np.stack([x.mean(1), y.mean(1), z.mean(1)], 1)
    legs = np.stack(
        [np.radians(lon - lon[:, :1]), np.radians(lat - lat[:, :1]), 1e3 * (dep - dep[:, :1])],
        -1,
    )
    legs[..., 2] /= EARTH_RADIUS
    normal = np.cross(legs[:, 1], legs[:, 2])
    az = np.degrees(np.arctan2(normal[:, 1], normal[:, 0]))
    el = np.degrees(np.arctan2(normal[:, 2], np.hypot(normal[:, 0], normal[:, 1])))
    strike = -az
    strike = np.where(strike < 0, strike + 360.0, strike)
    dip = 90.0 - el
    nb = _neighbours(tri)
    top, bottom, side = _boundary_classes(v[:, 2], tri, nb)
    return FaultMesh(
        mesh=mesh,
        params=params,
        corners=corners,
        centroid_lonlat=centroid_lonlat,
        centroid_xyz=centroid_xyz,
        strike=strike,
        dip=dip,
        neighbours=nb,
        top=top,
        bottom=bottom,
        side=side,
    )


@dataclasses.dataclass(frozen=True)
class BlockModel:
    """Processed inputs of a block model (NumPy, host side).

    - `config`: the `BlockConfig`.
    - `station`: used stations (flag != 0) with `block_label`, velocities and sigmas in mm/yr.
    - `segment`: segments with ordered ends, `azimuth` (degrees), `length` (m), `mid_lon`,
      `mid_lat` (degrees), `locking_depth` (km, flags resolved), `east_labels`,
      `west_labels`.
    - `block`: blocks in label order (row i is block i).
    - `meshes`: one `FaultMesh` per mesh-parameters entry.
    - `mogi`: Mogi sources (possibly empty) with `block_label`.
    - `closure`: the `Closure` of the segment graph.  It numbers blocks by their row in the
      block file; `closure.face_index[row]` is the label used everywhere else here.
    """

    config: BlockConfig
    station: pd.DataFrame
    segment: pd.DataFrame
    block: pd.DataFrame
    meshes: list
    mogi: pd.DataFrame
    closure: Closure

    @property
    def n_blocks(self) -> int:
        return len(self.block)


def _process_segments(seg: pd.DataFrame, cfg: BlockConfig, n_meshes: int) -> pd.DataFrame:
    seg = seg.copy()
    p1 = np.stack(sph2cart(seg.lon1, seg.lat1, EARTH_RADIUS), 1)
    p2 = np.stack(sph2cart(seg.lon2, seg.lat2, EARTH_RADIUS), 1)
    swap = np.cross(p1, p2)[:, 2] < 0
    for a, b in (("lon1", "lon2"), ("lat1", "lat2")):
        va, vb = seg[a].to_numpy().copy(), seg[b].to_numpy().copy()
        seg[a], seg[b] = np.where(swap, vb, va), np.where(swap, va, vb)
    az, _, length = GEOD.inv(
        seg.lon1.to_numpy(), seg.lat1.to_numpy(), seg.lon2.to_numpy(), seg.lat2.to_numpy()
    )
    seg["azimuth"], seg["length"] = az, length
    mid = np.array(
        [
            GEOD.npts(a, b, c, d, 1)[0]
            for a, b, c, d in zip(seg.lon1, seg.lat1, seg.lon2, seg.lat2, strict=True)
        ]
    )
    seg["mid_lon"] = np.where(mid[:, 0] < 0, mid[:, 0] + 360.0, mid[:, 0])
    seg["mid_lat"] = mid[:, 1]
    depth = seg.locking_depth.to_numpy().astype(float).copy()
    flag = seg.locking_depth_flag.to_numpy()
    for k in (2, 3, 4, 5):
        depth[flag == k] = getattr(cfg, f"locking_depth_flag{k}")
    if cfg.locking_depth_override_flag:
        depth[:] = cfg.locking_depth_override_value
    traced = (
        (seg.mesh_flag.to_numpy() != 0)
        & (seg.mesh_file_index.to_numpy() >= 0)
        & (seg.mesh_file_index.to_numpy() <= n_meshes)
    )
    depth[traced] = 0.0
    seg["locking_depth"] = depth
    return seg


def build_model(config) -> BlockModel:
    """Read a celeri config (path or `BlockConfig`) and everything it names; see module doc."""
    cfg = config if isinstance(config, BlockConfig) else read_config(config)
    station = read_stations(cfg.station_file_name)
    station = station[station["flag"].to_numpy() != 0].reset_index(drop=True)
    if cfg.unit_sigmas:
        for c in ("east_sig", "north_sig", "up_sig"):
            station[c] = 1.0
    block = read_blocks(cfg.block_file_name)
    meshes = []
    if cfg.mesh_parameters_file_name is not None:
        for p in read_mesh_parameters(cfg.mesh_parameters_file_name):
            meshes.append(process_mesh(read_mesh(p.mesh_filename), p))
    mogi = (
        read_mogi(cfg.mogi_file_name)
        if cfg.mogi_file_name is not None
        else pd.DataFrame({c: [] for c in ("lon", "lat", "depth", "name")})
    )
    seg = _process_segments(read_segments(cfg.segment_file_name), cfg, len(meshes))
    closure = close_blocks(
        seg.lon1.to_numpy(),
        seg.lat1.to_numpy(),
        seg.lon2.to_numpy(),
        seg.lat2.to_numpy(),
        block.interior_lon.to_numpy(),
        block.interior_lat.to_numpy(),
        names=list(block.name),
    )
    # Number blocks by face (celeri's order) and re-order the block table to match.
    label_of_row = closure.face_index
    left = label_of_row[closure.left_block]
    right = label_of_row[closure.right_block]
    north = seg.lat2.to_numpy() > seg.lat1.to_numpy()
    flat = seg.lat2.to_numpy() == seg.lat1.to_numpy()
    if flat.any():
        i = int(np.argmax(flat))
        raise ValueError(
            f"{cfg.segment_file_name}, line {i + 2}: segment {seg.name.iloc[i]!r} runs exactly "
            "east-west; its east and west blocks are undefined (perturb a latitude)"
        )
    seg["east_labels"] = np.where(north, right, left)
    seg["west_labels"] = np.where(north, left, right)
    block = block.iloc[np.argsort(label_of_row)].reset_index(drop=True)

    def label(lon, lat):
        row = closure.block_of(lon, lat)
        return np.where(row >= 0, label_of_row[np.maximum(row, 0)], -1)

    station["block_label"] = label(station.lon.to_numpy(), station.lat.to_numpy())
    if len(mogi):
        mogi["block_label"] = label(mogi.lon.to_numpy(), mogi.lat.to_numpy())
    return BlockModel(
        config=cfg,
        station=station,
        segment=seg,
        block=block,
        meshes=meshes,
        mogi=mogi,
        closure=closure,
    )
