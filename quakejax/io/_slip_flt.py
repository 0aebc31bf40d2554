"""Unicycle / Relax `.flt` fault tables (Barbot's codes): one rectangular patch per row."""

from __future__ import annotations

import re

import numpy as np

from .._fault import EventInfo, FaultModel
from ._geo import LocalFrame
from ._slip_common import SlipModelError, assemble, make_frame, read_text, to_float

_REFERENCE_RE = re.compile(
    r"reference\s+point\s*:\s*(\d+(?:\.\d*)?)\s*([EW])\s*,\s*(\d+(?:\.\d*)?)\s*([NS])"
    r"(?:\s*,\s*UTM\s+zone\s*(\d+))?",
    re.IGNORECASE,
)


def read_flt(
    path,
    *,
    origin=None,
    utm_zone: int | None = None,
    frame: LocalFrame | None = None,
    surface: str = "trim",
) -> FaultModel:
    """Read a Unicycle/Relax `.flt` table of rectangular patches.

    Rows: `n slip x1 x2 x3 length width strike dip rake`; `#` starts a comment.  `x1`
    north, `x2` east, `x3` depth (positive down) of the patch's top corner at the *start*
    of strike, in metres in a local (usually UTM) frame; `length` along strike and `width`
    down dip in metres; slip in metres; strike, dip and rake in degrees (Aki & Richards:
    dipping to the right of strike, rake 0 left-lateral, 90 reverse).  A dip beyond 90 deg
    (seen in published tables) is rewritten as strike + 180, 180 - dip.

    **Arguments:**

    - `path`: file path or text stream.
    - `origin`: `(lon, lat)` in degrees of the frame's (0, 0) point, with `utm_zone` when
      the frame is a shifted UTM zone (Unicycle's convention; south is taken from the
      latitude); without `utm_zone` an aeqd frame about `origin` is assumed.  `frame`: a
      `LocalFrame` to use instead.  When none is given, a comment of the form
      `reference point: 142.369E, 38.322N, UTM zone 54` is used; otherwise the model
      stays in its own Cartesian frame and `info.origin` is None.
    - `surface`: `"trim"`, `"shift"` or `"raise"` for patch tops above the free surface.

    **Returns:** a `FaultModel` in ENU metres: east = x2, north = x1, up = -x3 (the
    frame's own grid north).  The table has no segment column: a new segment starts where
    the strike changes by more than 5 deg from the previous row (curved meshes whose dip
    or strike drift slowly stay one segment).
    """
    text, source = read_text(path)
    notes: list[str] = []
    rows, lines = [], []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        s = raw.split("#", 1)[0].strip()
        if not s:
            continue
        tokens = s.split()
        if len(tokens) != 10:
            raise SlipModelError(
                source,
                lineno,
                f"expected 10 values (n slip x1 x2 x3 length width strike dip rake), "
                f"found {len(tokens)}.",
            )
        try:
            rows.append([to_float(t) for t in tokens])
        except ValueError as e:
            raise SlipModelError(source, lineno, f"not a number: {e.args[0]!r}.") from None
        lines.append(lineno)
    if not rows:
        raise SlipModelError(
            source, None, "no patch rows (n slip x1 x2 x3 length width strike dip rake)."
        )
    a = np.array(rows, float)

    if frame is None and origin is None and utm_zone is None:
        m = _REFERENCE_RE.search(text)
        if m:
            lon = float(m.group(1)) * (-1.0 if m.group(2).upper() == "W" else 1.0)
            lat = float(m.group(3)) * (-1.0 if m.group(4).upper() == "S" else 1.0)
            zone = int(m.group(5)) if m.group(5) else None
            if lon <= 360.0 and lat <= 90.0 and (zone is None or 1 <= zone <= 60):
                origin, utm_zone = (lon, lat), zone
                notes.append(
                    f"frame origin {lon:g}, {lat:g}"
                    + (f" (UTM zone {zone})" if zone else "")
                    + " from the file's 'reference point' comment"
                )
            else:
                notes.append(f"unusable 'reference point' comment {m.group(0)!r} ignored")
    fr = make_frame(origin=origin, frame=frame, utm_zone=utm_zone)
    if fr is None:
        notes.append("no geographic origin given: model in the file's own Cartesian frame")
    elif fr.kind == "utm":
        notes.append(
            f"frame: UTM zone {fr.zone}{' south' if fr.south else ''} shifted to the origin"
        )
    info = EventInfo(
        tag=re.split(r"[\\/]", str(source))[-1].rsplit(".", 1)[0],
        origin=None if fr is None else (float(fr.lon0), float(fr.lat0)),
        frame=fr,
        source=str(source),
    )
    point = np.stack([a[:, 3], a[:, 2], -a[:, 4]], axis=-1)
    seg = _segments(a)
    return assemble(
        source,
        point=point,
        reference="corner",
        strike=a[:, 7],
        dip=a[:, 8],
        length=a[:, 5],
        width=a[:, 6],
        slip=a[:, 1],
        rake=a[:, 9],
        segment=seg,
        lines=lines,
        info=info,
        notes=notes,
        surface=surface,
    )


def _segments(a) -> np.ndarray:
    """Segment index per patch: a new segment wherever the strike jumps by > 5 deg."""
    d_strike = np.abs((np.diff(a[:, 7]) + 180.0) % 360.0 - 180.0)
    change = np.concatenate([[False], d_strike > 5.0])
    return np.cumsum(change)
