"""Block closure: the faces that fault segments cut the sphere into, and who lies in which.

Segments are great-circle arcs joined at shared end points (equal to 1e-6 degrees).  Walking
every segment in both directions and always taking the sharpest left turn at each junction
traces each face of this planar graph once, with the face on the walker's left (the classic
half-edge face traversal; angles are spherical azimuths, so it works on the whole sphere).
Each face must hold exactly one block interior point; the face is then that block.  A point
lies in a face when the great-circle arc from it to a reference point just left of the face's
longest edge crosses the face's boundary an even number of times (on a sphere a face may be
larger than a hemisphere, so "inside" cannot be read from a winding number or a planar test).

All inputs are degrees; nothing here needs a projection.
"""

from __future__ import annotations

import dataclasses

import numpy as np


class ClosureError(ValueError):
    """The segments do not close into blocks that match the block interior points."""


def azimuth(lon1, lat1, lon2, lat2):
    """Initial great-circle azimuth from point 1 to point 2, degrees clockwise from north."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.degrees(np.arctan2(y, x))


def _wrap180(a):
    return (np.asarray(a) + 180.0) % 360.0 - 180.0


@dataclasses.dataclass(frozen=True)
class Closure:
    """Result of `close_blocks`.

    - `vertices (p, 2)`: unique segment end points (lon, lat), degrees.
    - `segment_vertices (s, 2)`: each segment's end-point indices (end 1, end 2).
    - `left_block (s,)`, `right_block (s,)`: block index on the left and on the right of each
      segment, walking from end 1 to end 2.
    - `faces`: per block, the vertex loop (indices) of its face, walked with the block on the
      left.
    - `references (b, 2)`: a point (lon, lat) just inside each block's face.
    - `face_index (b,)`: the order in which the traversal meets each block's face, scanning
      half-edges 2k (segment k from end 2 to end 1, face on the right) and 2k + 1 (from end 1
      to end 2) for k = 0, 1, ...; celeri numbers blocks this way.
    """

    vertices: np.ndarray
    segment_vertices: np.ndarray
    left_block: np.ndarray
    right_block: np.ndarray
    faces: list
    references: np.ndarray
    face_index: np.ndarray

    def block_of(self, lon, lat, *, chunk: int = 512) -> np.ndarray:
        """Block index of each point (lon, lat in degrees); -1 where no face claims it."""
        return _locate(self, np.asarray(lon, float), np.asarray(lat, float), chunk)


def _xyz(lon, lat):
    lon, lat = np.radians(lon), np.radians(lat)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)


def _in_face(vertices, loop, ref, lon, lat):
    """(n,) bool: the arc from each point to `ref` crosses the loop an even number of times."""
    a = _xyz(*vertices[loop].T)  # (k, 3) edge starts
    b = np.roll(a, -1, axis=0)  # edge ends
    p = _xyz(lon, lat)  # (n, 3)
    q = _xyz(*ref)  # (3,)
    n_edge = np.cross(a, b)  # (k, 3) normal of each edge's great circle
    n_pq = np.cross(p, q)  # (n, 3)
    # p and q on opposite sides of the edge's great circle ...
    sp = p @ n_edge.T  # (n, k)
    sq = q @ n_edge.T  # (k,)
    # ... and the edge's ends on opposite sides of the arc's great circle ...
    sa = n_pq @ a.T
    sb = n_pq @ b.T
    cross = (sp * sq[None, :] < 0) & (sa * sb < 0)
    # ... with the two great circles meeting on both minor arcs (not at the antipode).
    x = np.cross(n_pq[:, None, :], n_edge[None, :, :])  # (n, k, 3)
    on_edge = np.einsum("nkc,kc->nk", x, a + b)
    on_arc = np.einsum("nkc,nc->nk", x, p + q[None, :])
    cross &= on_edge * on_arc > 0
    return cross.sum(axis=1) % 2 == 0


def _locate(c: Closure, lon, lat, chunk):
    out = np.full(lon.shape, -1, dtype=np.int64)
    for b, loop in enumerate(c.faces):
        if loop is None:
            continue
        for s in range(0, lon.size, chunk):
            inside = _in_face(
                c.vertices, loop, c.references[b], lon[s : s + chunk], lat[s : s + chunk]
            )
            sel = out[s : s + chunk]
            sel[inside & (sel < 0)] = b
    return out


def _left_reference(vertices, loop, eps_deg=1e-4):
    """A point just left of the longest edge of a loop (degrees)."""
    a, b = vertices[loop], vertices[np.roll(loop, -1)]
    length = np.hypot(_wrap180(b[:, 0] - a[:, 0]) * np.cos(np.radians(a[:, 1])), b[:, 1] - a[:, 1])
    k = int(np.argmax(length))
    # Midpoint of the edge on the sphere, then a small step to the left (azimuth - 90).
    va = _xyz(*a[k]) + _xyz(*b[k])
    mid = np.degrees([np.arctan2(va[1], va[0]), np.arctan2(va[2], np.hypot(va[0], va[1]))])
    az_mid = azimuth(mid[0], mid[1], b[k, 0], b[k, 1])
    return _step(mid[0], mid[1], az_mid - 90.0, eps_deg)


def _step(lon, lat, az, dist_deg):
    """Point `dist_deg` (arc degrees) from (lon, lat) along azimuth `az` (degrees)."""
    p, d, a = np.radians(lat), np.radians(dist_deg), np.radians(az)
    p2 = np.arcsin(np.sin(p) * np.cos(d) + np.cos(p) * np.sin(d) * np.cos(a))
    l2 = np.radians(lon) + np.arctan2(
        np.sin(a) * np.sin(d) * np.cos(p), np.cos(d) - np.sin(p) * np.sin(p2)
    )
    return float(np.mod(np.degrees(l2), 360.0)), float(np.degrees(p2))


def close_blocks(lon1, lat1, lon2, lat2, interior_lon, interior_lat, *, names=None) -> Closure:
    """Trace the faces of the segment graph and match them to block interior points.

    `lon1, lat1, lon2, lat2 (s,)`: segment end points; `interior_lon, interior_lat (b,)`: one
    point inside each block (degrees).  Raises `ClosureError` naming the segment or block
    when a segment end dangles, a face holds no interior point, or one holds several.
    """
    ends = np.round(
        np.stack(
            [np.c_[np.mod(lon1, 360.0), lat1], np.c_[np.mod(lon2, 360.0), lat2]], axis=1
        ).reshape(-1, 2),
        6,
    )
    vertices, inv = np.unique(ends, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    seg = inv.reshape(-1, 2)
    n_seg = seg.shape[0]
    names = names if names is not None else [str(i) for i in range(len(interior_lon))]
    loops_self = np.nonzero(seg[:, 0] == seg[:, 1])[0]
    if loops_self.size:
        raise ClosureError(f"segment {int(loops_self[0])} has both ends at the same point")
    # Half-edges: 2k walks segment k from end 1 to end 2, 2k+1 back.
    tail = np.empty(2 * n_seg, dtype=np.int64)
    head = np.empty(2 * n_seg, dtype=np.int64)
    tail[0::2], head[0::2] = seg[:, 0], seg[:, 1]
    tail[1::2], head[1::2] = seg[:, 1], seg[:, 0]
    out_az = azimuth(
        vertices[tail, 0], vertices[tail, 1], vertices[head, 0], vertices[head, 1]
    )  # direction of leaving the tail
    degree = np.bincount(tail, minlength=len(vertices))
    if (degree < 2).any():
        v = int(np.argmax(degree < 2))
        k = int(np.nonzero((seg == v).any(axis=1))[0][0])
        raise ClosureError(
            f"segment {k}: end point ({vertices[v, 0]:.6f}, {vertices[v, 1]:.6f}) touches no "
            "other segment, so the block boundaries are not closed"
        )
    # Outgoing half-edges per vertex.
    order = np.argsort(tail, kind="stable")
    starts = np.r_[0, np.cumsum(degree)]
    nxt = np.empty(2 * n_seg, dtype=np.int64)
    for e in range(2 * n_seg):
        v = head[e]
        cand = order[starts[v] : starts[v + 1]]
        back = e ^ 1  # the same segment walked from v back to the tail
        # Sharpest left turn: the outgoing edge reached first turning clockwise from `back`.
        d = (out_az[cand] - out_az[back]) % 360.0
        d[cand == back] = 360.0
        nxt[e] = cand[int(np.argmin(d))]
    face_of = np.full(2 * n_seg, -1, dtype=np.int64)
    loops = []
    for e0 in range(2 * n_seg):
        if face_of[e0] >= 0:
            continue
        loop_e, e = [], e0
        while face_of[e] < 0:
            face_of[e] = len(loops)
            loop_e.append(e)
            e = nxt[e]
        loops.append(tail[np.asarray(loop_e)])
    # A connected planar graph on the sphere has V - E + F = 2 faces (Euler).
    n_components = len(vertices) - n_seg + len(loops) - 1
    if n_components != 1:
        raise ClosureError(
            f"the segments form {n_components} separate networks; every block boundary must "
            "connect to the others"
        )
    refs = np.array([_left_reference(vertices, loop) for loop in loops])
    # Match faces to interior points.
    ilon = np.mod(np.asarray(interior_lon, float), 360.0)
    ilat = np.asarray(interior_lat, float)
    block_face = np.full(len(ilon), -1, dtype=np.int64)
    for f, loop in enumerate(loops):
        inside = _in_face(vertices, loop, refs[f], ilon, ilat)
        for b in np.nonzero(inside)[0]:
            if block_face[b] >= 0:
                raise ClosureError(
                    f"block {names[b]!r}: its interior point lies in two faces "
                    f"({block_face[b]} and {f}); the segments overlap"
                )
            block_face[b] = f
    missing = np.nonzero(block_face < 0)[0]
    if missing.size:
        b = int(missing[0])
        raise ClosureError(
            f"block {names[b]!r}: its interior point ({ilon[b]}, {ilat[b]}) lies in no closed face"
        )
    face_block = np.full(len(loops), -1, dtype=np.int64)
    for b, f in enumerate(block_face):
        if face_block[f] >= 0:
            raise ClosureError(
                f"blocks {names[face_block[f]]!r} and {names[b]!r} have interior points in the "
                "same closed face"
            )
        face_block[f] = b
    if (face_block < 0).any():
        f = int(np.argmax(face_block < 0))
        v = vertices[loops[f][0]]
        raise ClosureError(
            f"a closed face (through ({v[0]:.4f}, {v[1]:.4f})) holds no block interior point"
        )
    left = face_block[face_of[0::2]]
    right = face_block[face_of[1::2]]
    faces = [loops[f] for f in block_face]
    return Closure(
        vertices=vertices,
        segment_vertices=seg,
        left_block=left,
        right_block=right,
        faces=faces,
        references=refs[block_face],
        face_index=block_face,
    )
