"""USGS NEIC finite-fault `basic_inversion.param` files (the Wasp/Ji & Hayes products)."""

from __future__ import annotations

import math
import re

import numpy as np

from .._fault import EventInfo, FaultModel
from ._geo import LocalFrame
from ._slip_common import SlipModelError, assemble, make_frame, read_text, to_float

_SEGMENT_RE = re.compile(
    r"#\s*Fault_segment\s*=\s*(\d+)\s+nx\(Along-strike\)\s*=\s*(\d+)\s+Dx\s*=\s*([\d.eE+-]+)\s*km"
    r"\s+ny\(downdip\)\s*=\s*(\d+)\s+Dy\s*=\s*([\d.eE+-]+)\s*km",
    re.IGNORECASE,
)
_HYPO_RE = re.compile(r"Lon:\s*([-+\d.eE]+)\s+Lat:\s*([-+\d.eE]+)", re.IGNORECASE)


def read_usgs_param(
    path,
    *,
    origin=None,
    frame: LocalFrame | None = None,
    surface: str = "trim",
) -> FaultModel:
    """Read a USGS finite-fault `.param` file (`basic_inversion.param`).

    Per segment: a `#Fault_segment = k nx(Along-strike)= .. Dx= ..km ny(downdip)= .. Dy=
    ..km` line, a `#Boundary ... Lon: .. Lat: ..` line (the hypocentre), five boundary
    corners `lon lat depth`, then `nx * ny` rows `lat lon depth slip rake strike dip t_rup
    t_ris t_fal mo` with depth in km (positive down), slip in **cm**, angles in degrees
    (Aki & Richards) and the patch moment `mo` in **dyne cm**.

    The rows give one point of each subfault.  Newer files give the subfault centre and a
    boundary through the corner subfaults' centres; older ones give the first point
    source of each subfault and a boundary through the outermost point sources.  Both are
    symmetric about the fault centre, so each patch is moved by the offset between the
    centres of the boundary and of the patch grid (zero for the newer files) to get its
    centre.

    **Arguments:** `path` (file or text stream); `origin` `(lon, lat)` of the local aeqd
    frame (default: the hypocentre) or `frame`; `surface` as in `read_fsp` (these grids
    often reach above the free surface).

    **Returns:** a `FaultModel` in the local ENU frame (m, z up).  `info.mu` is the
    moment-equivalent rigidity `sum(mo) / sum(slip x area)`, so `model.moment(info.mu)`
    is the file's moment; `info.hypocentre` is the `Lon:`/`Lat:` of the first segment with
    depth nan (the file gives none), and there is no event name, time or magnitude.
    """
    text, source = read_text(path)
    lines = text.splitlines()
    notes: list[str] = []
    segments: list[dict] = []
    rows, row_lines, row_seg = [], [], []
    state = None
    for lineno, raw in enumerate(lines, start=1):
        s = raw.strip()
        if not s:
            continue
        if s.startswith("#"):
            m = _SEGMENT_RE.match(s)
            if m:
                segments.append(
                    {
                        "line": lineno,
                        "nx": int(m.group(2)),
                        "dx": _pos(m.group(3), source, lineno, "Dx"),
                        "ny": int(m.group(4)),
                        "dy": _pos(m.group(5), source, lineno, "Dy"),
                        "boundary": [],
                        "hypo": None,
                    }
                )
                state = None
                continue
            low = s.lower()
            if low.startswith("#boundary"):
                if not segments:
                    raise SlipModelError(
                        source, lineno, "boundary before any '#Fault_segment' line."
                    )
                h = _HYPO_RE.search(s)
                if h:
                    segments[-1]["hypo"] = (float(h.group(1)), float(h.group(2)))
                continue
            if low.startswith("#lon"):
                state = "boundary"
            elif low.startswith("#lat"):
                state = "patches"
            continue
        if not segments or state is None:
            raise SlipModelError(
                source, lineno, "data line outside a segment's boundary or patch table."
            )
        tokens = s.split()
        try:
            values = [to_float(t) for t in tokens]
        except ValueError as e:
            raise SlipModelError(source, lineno, f"not a number: {e.args[0]!r}.") from None
        if state == "boundary":
            if len(values) != 3:
                raise SlipModelError(
                    source,
                    lineno,
                    f"boundary corner: expected lon lat depth, found {len(values)} values.",
                )
            segments[-1]["boundary"].append(values)
        else:
            if len(values) != 11:
                raise SlipModelError(
                    source,
                    lineno,
                    "expected 11 values (lat lon depth slip rake strike dip t_rup t_ris t_fal mo), "
                    f"found {len(values)}.",
                )
            rows.append(values)
            row_lines.append(lineno)
            row_seg.append(len(segments) - 1)
    if not segments:
        raise SlipModelError(source, None, "no '#Fault_segment' line: not a USGS .param file.")
    if not rows:
        raise SlipModelError(source, len(lines), "no patch rows.")
    m = re.search(r"fault_segments\s*=\s*(\d+)", text, re.IGNORECASE)
    if m and int(m.group(1)) != len(segments):
        notes.append(f"header says {m.group(1)} segment(s), {len(segments)} found")

    a = np.array(rows, float)
    seg = np.array(row_seg)
    line_no = np.array(row_lines)
    lat, lon, depth, slip_cm, rake, strike, dip = (a[:, i] for i in range(7))
    mo = a[:, 10]
    for name, v in (("lat", lat), ("lon", lon), ("depth", depth)):
        bad = ~np.isfinite(v)
        if bad.any():
            i = int(np.argmax(bad))
            raise SlipModelError(source, int(line_no[i]), f"patch {i}: {name} is not a number.")
    if (np.abs(lat) > 90).any():
        i = int(np.argmax(np.abs(lat) > 90))
        raise SlipModelError(
            source, int(line_no[i]), f"patch {i}: latitude {lat[i]} outside [-90, 90]."
        )

    hypo = segments[0]["hypo"]
    if hypo is not None and not (
        np.isfinite(hypo).all() and abs(hypo[1]) <= 90.0 and abs(hypo[0]) <= 360.0
    ):
        notes.append(f"hypocentre Lon/Lat {hypo} unusable")
        hypo = None
    fr = make_frame(
        origin=origin,
        frame=frame,
        fallback=hypo if hypo else (float(lon[0]), float(lat[0])),
    )
    if fr is None:  # pragma: no cover - patch latitudes are checked above
        raise SlipModelError(source, None, "no usable frame origin.")
    point = fr.enu(lon, lat, 1e3 * depth)
    length = np.empty(len(a))
    width = np.empty(len(a))
    for k, sg in enumerate(segments):
        mk = seg == k
        if not mk.any():
            notes.append(f"segment {k + 1} has no patch rows")
            continue
        length[mk], width[mk] = 1e3 * sg["dx"], 1e3 * sg["dy"]
        if mk.sum() != sg["nx"] * sg["ny"]:
            raise SlipModelError(
                source,
                int(line_no[np.flatnonzero(mk)[-1]]),
                f"segment {k + 1}: {int(mk.sum())} patch rows for nx x ny = "
                f"{sg['nx']} x {sg['ny']}.",
            )
        if len(sg["boundary"]) >= 4:
            b = np.array(sg["boundary"][:4], float)
            if not np.isfinite(b).all() or (np.abs(b[:, 1]) > 90).any():
                raise SlipModelError(
                    source, sg["line"], f"segment {k + 1}: unreadable boundary corners."
                )
            corners = fr.enu(b[:, 0], b[:, 1], 1e3 * b[:, 2])
            shift = corners.mean(axis=0) - point[mk].mean(axis=0)
            half = 0.5 * math.hypot(sg["dx"], sg["dy"]) * 1e3
            if np.linalg.norm(shift) > half:
                raise SlipModelError(
                    source,
                    sg["line"],
                    f"segment {k + 1}: the boundary's centre is "
                    f"{np.linalg.norm(shift) / 1e3:.3g} km from the patch grid's centre (more "
                    "than half a subfault).",
                )
            if np.linalg.norm(shift) > 0.1e3 * min(sg["dx"], sg["dy"]):
                notes.append(
                    f"segment {k + 1}: rows give a point {np.linalg.norm(shift) / 1e3:.3g} km from "
                    "the subfault centres (first point source); moved to the centres"
                )
            point[mk] += shift
        else:
            notes.append(f"segment {k + 1}: no boundary; rows taken as subfault centres")
    slip = slip_cm / 100.0
    area_slip = np.abs(slip) * length * width
    mu = None
    if np.isfinite(mo).all() and area_slip.sum() > 0:
        mu_eff = float(np.sum(mo) * 1e-7 / np.sum(area_slip))
        if 1e9 <= mu_eff <= 2e11:
            mu = mu_eff
            notes.append(
                f"mu = {mu:.3g} Pa: moment-equivalent rigidity from the mo column (dyne cm)"
            )
        else:
            notes.append(f"mo column implies mu = {mu_eff:.3g} Pa; ignored")
    stem = re.split(r"[\\/]", str(source))[-1].rsplit(".", 1)[0]
    info = EventInfo(
        tag=stem,
        hypocentre=None if hypo is None else (hypo[0], hypo[1], math.nan),
        origin=(float(fr.lon0), float(fr.lat0)),
        frame=fr,
        mu=mu,
        source=str(source),
    )
    return assemble(
        source,
        point=point,
        reference="centre",
        strike=strike,
        dip=dip,
        length=length,
        width=width,
        slip=slip,
        rake=rake,
        segment=seg,
        lines=line_no,
        info=info,
        notes=notes,
        surface=surface,
    )


def _pos(token, source, lineno, name) -> float:
    try:
        v = to_float(token)
    except ValueError:
        v = math.nan
    if not (math.isfinite(v) and v > 0):
        raise SlipModelError(source, lineno, f"{name} = {token!r} km is not a positive number.")
    return v
