"""The patch tables of Hamling et al. (2017), 2016 Kaikoura earthquake slip models.

Reference: Hamling, I. J., et al. (2017), Complex multifault rupture during the 2016
Mw 7.8 Kaikoura earthquake, New Zealand, Science 356(6334), eaam7194.
"""

from __future__ import annotations

import math
import re

import numpy as np

from .._fault import EventInfo, FaultModel
from ._geo import LocalFrame
from ._slip_common import SlipModelError, assemble, make_frame, mean_lonlat, read_text, to_float


def read_hamling(
    path,
    *,
    origin=None,
    frame: LocalFrame | None = None,
    surface: str = "trim",
) -> FaultModel:
    """Read a Hamling et al. (2017) Kaikoura patch table.

    Text header lines (`Fault index 1 = needles segment`, a column legend), then one row
    per patch: `lon lat strike dip rake slip length top bottom index`, where lon/lat
    (degrees) are the patch centre, slip is in m, `length` (along strike), `top` and
    `bottom` (depths of the top and bottom edges, positive down) in km, and `index` the
    fault number (1-based; it becomes the segment, 0-based).  The down-dip width is
    `(bottom - top) / sin(dip)`.  Aki & Richards angles.

    **Arguments:** `path` (file or text stream); `origin` `(lon, lat)` of the local aeqd
    frame (default: the mean patch position) or `frame`; `surface` as in `read_fsp`.

    **Returns:** a `FaultModel` in the local ENU frame (m, z up).  The file carries no
    event name, time or magnitude.
    """
    text, source = read_text(path)
    notes: list[str] = []
    rows, lines = [], []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        if not s:
            continue
        tokens = s.split()
        if not rows and not _numeric(tokens[0]):
            continue  # the legend ("Fault index 1 = needles segment", column names)
        if len(tokens) != 10:
            raise SlipModelError(
                source,
                lineno,
                "expected 10 values (lon lat strike dip rake slip length top bottom index), "
                f"found {len(tokens)}.",
            )
        try:
            rows.append([to_float(t) for t in tokens])
        except ValueError as e:
            raise SlipModelError(source, lineno, f"not a number: {e.args[0]!r}.") from None
        lines.append(lineno)
    if not rows:
        raise SlipModelError(source, None, "no patch rows.")
    a = np.array(rows, float)
    lon, lat, strike, dip, rake, slip, length_km, top, bottom, index = a.T
    names = ("lon", "lat", "strike", "dip", "rake", "slip", "length", "top", "bottom", "index")
    bad = ~np.isfinite(a)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise SlipModelError(source, lines[i], f"patch {i}: {names[j]} is not a number.")
    if (np.abs(lat) > 90).any():
        i = int(np.argmax(np.abs(lat) > 90))
        raise SlipModelError(source, lines[i], f"patch {i}: latitude {lat[i]} outside [-90, 90].")
    if (bottom <= top).any():
        i = int(np.argmax(bottom <= top))
        raise SlipModelError(
            source,
            lines[i],
            f"patch {i}: bottom depth {bottom[i]} km is not below top {top[i]} km.",
        )
    if ((index < 1) | (index != np.round(index))).any():
        i = int(np.argmax((index < 1) | (index != np.round(index))))
        raise SlipModelError(
            source, lines[i], f"patch {i}: fault index {index[i]!r} is not 1, 2, ..."
        )
    sin_dip = np.sin(np.deg2rad(dip))
    if (np.abs(sin_dip) < 1e-6).any():
        i = int(np.argmax(np.abs(sin_dip) < 1e-6))
        raise SlipModelError(
            source, lines[i], f"patch {i}: dip {dip[i]!r} gives no down-dip width."
        )

    fr = make_frame(origin=origin, frame=frame, fallback=mean_lonlat(lon, lat))
    if fr is None:  # pragma: no cover - the fallback origin is always valid
        raise SlipModelError(source, None, "no usable frame origin.")
    point = fr.enu(lon, lat, 0.5e3 * (top + bottom))
    stem = re.split(r"[\\/]", str(source))[-1].rsplit(".", 1)[0]
    info = EventInfo(
        name="",
        tag=stem,
        hypocentre=None,
        origin=(float(fr.lon0), float(fr.lat0)),
        frame=fr,
        source=str(source),
    )
    return assemble(
        source,
        point=point,
        reference="centre",
        strike=strike,
        dip=dip,
        length=1e3 * length_km,
        width=1e3 * (bottom - top) / np.abs(sin_dip),
        slip=slip,
        rake=rake,
        segment=(index - 1).astype(int),
        lines=lines,
        info=info,
        notes=notes,
        surface=surface,
    )


def _numeric(token: str) -> bool:
    try:
        return math.isfinite(to_float(token))
    except ValueError:
        return False
