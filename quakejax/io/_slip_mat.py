"""SRCMOD finite-source models as MATLAB v5 structs (`.mat`), read with scipy.io.loadmat.

Reference: Mai & Thingbaijam (2014), SRCMOD, Seismol. Res. Lett. 85(6).
"""

from __future__ import annotations

import io
import math
import os
import struct
import zlib

import numpy as np

from .._fault import EventInfo, FaultModel
from ._geo import LocalFrame
from ._slip_common import (
    SlipModelError,
    assemble,
    finite_or_none,
    layered_rigidity,
    make_frame,
    parse_date,
)


def read_srcmod_mat(
    path,
    *,
    origin=None,
    frame: LocalFrame | None = None,
    surface: str = "trim",
) -> FaultModel:
    """Read a SRCMOD MATLAB struct (`.mat`, v5).

    The struct (one per file, named by its event tag) holds event fields (`event`,
    `evTAG`, `evDAT` as MM/DD/YYYY, `evLAT`, `evLON`, `evDPT` km, `srcMwMoS` = [Mw, M0 in
    N m]), source fields (`srcAStke`, `srcDipAn`, `srcARake` deg, `srcZ2top` km,
    `srcDimWL` = [W, L] km, `invDzDx` = [Dz, Dx] km, `srcHypXZ` = hypocentre along strike
    and down dip, km) and per-patch `Nz x Nx` grids (rows down dip, columns along strike):
    `geoLAT`, `geoLON` (deg), `geoZ` (depth, km), `geoX`/`geoY` (km, east/north),
    `slipSPL` (total slip, **cm**), `RAKE` or `rakeTWn`/`slipTWn` per time window.
    Multi-segment structs prefix the segment fields `seg1...`, `seg2...` (`segNSLIP`,
    `segNAStke`, `segNDipAn`, `segNDimWL`, `segNZ2top`).

    Whether `geoZ` is the top edge or the centre of a patch differs between files (the
    Hector Mine file starts at z = 0, the Amatrice file lists centres); the reader takes
    the one whose top depth agrees with `Z2top` or with the hypocentre (`evDPT` = top +
    HypZ sin(dip)), top centre on a tie, and notes it.  Aki & Richards angles.

    **Arguments:** `path` (file path or binary stream); `origin` `(lon, lat)` of the local
    aeqd frame (default: the hypocentre) or `frame`; `surface` as in `read_fsp`.

    **Returns:** a `FaultModel` in the local ENU frame (m, z up), one segment per struct
    segment.
    """
    from scipy.io import loadmat

    source = str(getattr(path, "name", "<stream>")) if hasattr(path, "read") else os.fspath(path)
    try:
        stream = path if hasattr(path, "read") else open(source, "rb")
    except OSError as e:
        raise SlipModelError(source, None, f"cannot open the file ({e.strerror}).") from e
    try:
        head = stream.read(128)
        if not isinstance(head, bytes) or not head.startswith(b"MATLAB 5.0 MAT-file"):
            raise SlipModelError(source, "byte 0", "not a MATLAB v5 .mat file.")
        raw = head + stream.read()
        _check_v5(raw)
        data = loadmat(io.BytesIO(raw), squeeze_me=True, struct_as_record=False)
    except SlipModelError:
        raise
    except Exception as e:  # scipy raises many types on corrupt files
        raise SlipModelError(
            source, "byte 0", f"unreadable MATLAB file ({type(e).__name__}: {e})."
        ) from e
    finally:
        if not hasattr(path, "read"):
            stream.close()
    structs = [
        (k, v) for k, v in data.items() if not k.startswith("__") and hasattr(v, "_fieldnames")
    ]
    if len(structs) != 1:
        raise SlipModelError(
            source,
            "top level",
            f"expected one SRCMOD struct, found {len(structs)} ({[k for k, _ in structs]}).",
        )
    name, s = structs[0]
    return _build(source, name, s, origin=origin, frame=frame, surface=surface)


def _build(source, struct_name, s, *, origin, frame, surface) -> FaultModel:
    fields = set(s._fieldnames)
    notes: list[str] = []

    def get(field, default=None):
        return getattr(s, field) if field in fields else default

    def scalar(field):
        v = get(field)
        if isinstance(v, np.ndarray):
            v = v.reshape(-1)[0] if v.size == 1 else None
        return finite_or_none(v) if not isinstance(v, str) else finite_or_none(v.strip())

    def pair(field):
        v = get(field)
        try:
            a = np.asarray(v, float).reshape(-1)
        except (TypeError, ValueError):
            return None
        return a if a.size == 2 and np.isfinite(a).all() else None

    nseg = scalar("invSEGM") or 1
    prefixes = [f"seg{k}" for k in range(1, int(nseg) + 1)] if nseg > 1 else [""]
    if nseg > 1 and not all(f"{p}geoLAT" in fields for p in prefixes):
        raise SlipModelError(
            source, "field 'invSEGM'", f"{int(nseg)} segments but not every segNgeoLAT field."
        )
    if nseg <= 1 and "geoLAT" not in fields:
        # Some single-segment structs use the seg1 prefix.
        prefixes = ["seg1"] if "seg1geoLAT" in fields else [""]

    mwmo = pair("srcMwMoS")
    lat0, lon0, dep0 = scalar("evLAT"), scalar("evLON"), scalar("evDPT")
    hypo = None
    if lat0 is not None and lon0 is not None and abs(lat0) <= 90 and abs(lon0) <= 360:
        hypo = (lon0, lat0, dep0 if dep0 is not None else math.nan)
    time, tnote = parse_date(str(get("evDAT", "") or ""))
    if tnote:
        notes.append(tnote)
    dzdx = pair("invDzDx")

    parts = []
    for k, p in enumerate(prefixes):

        def maybe_grid(field: str, p: str = p) -> np.ndarray | None:
            f = p + field
            if f not in fields:
                return None
            try:
                a = np.atleast_2d(np.asarray(getattr(s, f), float))
            except (TypeError, ValueError):
                raise SlipModelError(source, f"field {f!r}", "not a numeric array.") from None
            if a.ndim != 2:
                raise SlipModelError(source, f"field {f!r}", f"expected a 2-D grid, got {a.shape}.")
            return a

        def grid(field: str, p: str = p) -> np.ndarray:
            a = maybe_grid(field, p)
            if a is None:
                raise SlipModelError(source, f"field {p + field!r}", "missing.")
            return a

        label = f"segment {k + 1}: " if p else ""
        lat, lon, z = grid("geoLAT"), grid("geoLON"), grid("geoZ")
        slip_cm = maybe_grid("SLIP") if p else maybe_grid("slipSPL")
        if slip_cm is None and p:
            slip_cm = maybe_grid("slipSPL")
        if slip_cm is None:
            raise SlipModelError(source, f"field {p + ('SLIP' if p else 'slipSPL')!r}", "missing.")
        shape = lat.shape
        for f, a in (("geoLON", lon), ("geoZ", z), ("slip", slip_cm)):
            if a.shape != shape:
                raise SlipModelError(
                    source, f"field {p + f!r}", f"shape {a.shape} differs from geoLAT {shape}."
                )
        for f, a in (("geoLAT", lat), ("geoLON", lon), ("geoZ", z), ("slip", slip_cm)):
            bad = ~np.isfinite(a)
            if bad.any():
                i, j = np.argwhere(bad)[0]
                raise SlipModelError(source, f"field {p + f!r}[{i}, {j}]", "not a finite number.")
        if (np.abs(lat) > 90).any():
            i, j = np.argwhere(np.abs(lat) > 90)[0]
            raise SlipModelError(
                source, f"field {p + 'geoLAT'!r}[{i}, {j}]", "latitude outside [-90, 90]."
            )

        rake = maybe_grid("RAKE")
        if rake is None:
            tws = sorted(
                int(f[len(p) + 6 :])
                for f in fields
                if f.startswith(p + "rakeTW") and f[len(p) + 6 :].isdigit()
            )
            if tws and all(p + f"slipTW{t}" in fields for t in tws):
                ss, ds = np.zeros(shape), np.zeros(shape)
                for t in tws:
                    amp, ang = grid(f"slipTW{t}"), grid(f"rakeTW{t}")
                    if amp.shape != shape or ang.shape != shape:
                        raise SlipModelError(
                            source, f"field {p}slipTW{t}", f"shape differs from geoLAT {shape}."
                        )
                    ss += amp * np.cos(np.deg2rad(ang))
                    ds += amp * np.sin(np.deg2rad(ang))
                rake = np.rad2deg(np.arctan2(ds, ss))
            else:
                r = scalar("srcARake")
                if r is None:
                    raise SlipModelError(
                        source, f"field {p + 'RAKE'!r}", "no rake (RAKE, rakeTWn or srcARake)."
                    )
                rake = np.full(shape, r)
                notes.append(f"{label}no RAKE grid: srcARake = {r:g} deg")
        if rake.shape != shape:
            raise SlipModelError(
                source, f"field {p + 'RAKE'!r}", f"shape {rake.shape} differs from geoLAT {shape}."
            )

        strike = scalar(p + "AStke") if p else None
        strike = strike if strike is not None else scalar("srcAStke")
        dip = scalar(p + "DipAn") if p else None
        dip = dip if dip is not None else scalar("srcDipAn")
        if strike is None or dip is None:
            raise SlipModelError(
                source, f"field {p + 'AStke' if p else 'srcAStke'!r}", "no strike/dip."
            )
        wl = pair(p + "DimWL") if p else pair("srcDimWL")
        nz, nx = shape
        dz = dx = None
        if dzdx is not None and dzdx.min() > 0:
            dz, dx = float(dzdx[0]), float(dzdx[1])
        if wl is not None and wl.min() > 0:
            dz_w, dx_w = float(wl[0]) / nz, float(wl[1]) / nx
            if dz is None or abs(dz - dz_w) > 0.05 * dz_w or abs(dx - dx_w) > 0.05 * dx_w:
                if dz is not None:
                    notes.append(
                        f"{label}invDzDx = {dz:g}, {dx:g} km does "
                        f"not fit DimWL / grid = {dz_w:.4g}, {dx_w:.4g} km; the latter used"
                    )
                dz, dx = dz_w, dx_w
        if dz is None or dx is None:
            raise SlipModelError(
                source, "field 'invDzDx'", "no usable patch size (invDzDx or DimWL)."
            )
        z2top = scalar(p + "Z2top") if p else None
        z2top = z2top if z2top is not None else scalar("srcZ2top")
        hypxz = pair(p + "hypXZ") if p else None
        if hypxz is None and k == 0:
            hypxz = pair("srcHypXZ")
        parts.append(
            dict(
                lat=lat.ravel(),
                lon=lon.ravel(),
                z=z.ravel(),
                slip=slip_cm.ravel() / 100.0,
                rake=rake.ravel(),
                strike=strike,
                dip=dip,
                dx=dx,
                dz=dz,
                z2top=z2top,
                hypxz=hypxz,
                where=f"field {p + 'geoLAT'!r}",
                nx=nx,
                label=label,
            )
        )

    lat = np.concatenate([q["lat"] for q in parts])
    lon = np.concatenate([q["lon"] for q in parts])
    z_km = np.concatenate([q["z"] for q in parts])
    fr = make_frame(
        origin=origin,
        frame=frame,
        fallback=hypo[:2] if hypo else (float(lon[0]), float(lat[0])),
    )
    if fr is None:  # pragma: no cover - the fallback origin is always valid
        raise SlipModelError(source, None, "no usable frame origin.")
    point = fr.enu(lon, lat, 1e3 * z_km)
    seg = np.concatenate([np.full(q["lat"].size, k) for k, q in enumerate(parts)])
    reference = np.empty(len(seg), dtype=object)
    for k, q in enumerate(parts):
        reference[seg == k] = _reference(q, hypo, notes)
    lines = [
        f"{q['where']}[{i // q['nx']}, {i % q['nx']}]" for q in parts for i in range(q["lat"].size)
    ]
    info = EventInfo(
        name=str(get("event", "") or "").strip(),
        tag=str(get("evTAG", struct_name) or struct_name).strip(),
        time=time,
        hypocentre=hypo,
        mw=None if mwmo is None else float(mwmo[0]),
        m0=None if mwmo is None or mwmo[1] <= 0 else float(mwmo[1]),
        origin=(float(fr.lon0), float(fr.lat0)),
        frame=fr,
        source=source,
    )
    strike_all = np.concatenate([np.full(q["lat"].size, q["strike"]) for q in parts])
    dip_all = np.concatenate([np.full(q["lat"].size, q["dip"]) for q in parts])
    length = np.concatenate([np.full(q["lat"].size, 1e3 * q["dx"]) for q in parts])
    width = np.concatenate([np.full(q["lat"].size, 1e3 * q["dz"]) for q in parts])
    slip = np.concatenate([q["slip"] for q in parts])
    with np.errstate(over="ignore", invalid="ignore"):
        weight = slip * length * width
    info = info.replace(
        mu=_rigidity(get("invVstr"), point, reference, width, dip_all, weight, notes)
    )
    return assemble(
        source,
        point=point,
        reference=reference,
        strike=strike_all,
        dip=dip_all,
        length=length,
        width=width,
        slip=slip,
        rake=np.concatenate([q["rake"] for q in parts]),
        segment=seg,
        lines=lines,
        info=info,
        notes=notes,
        surface=surface,
    )


def _reference(q, hypo, notes) -> str:
    """'top' or 'centre': the one whose fault-top depth agrees with Z2top or the hypocentre."""
    zmin = float(np.min(q["z"]))
    hv = 0.5 * q["dz"] * math.sin(math.radians(q["dip"]))
    evidence = []
    if q["z2top"] is not None:
        evidence.append(q["z2top"])
    if hypo is not None and math.isfinite(hypo[2]) and q["hypxz"] is not None:
        evidence.append(hypo[2] - q["hypxz"][1] * math.sin(math.radians(q["dip"])))
    if not evidence or hv <= 0:
        return "top"
    miss_top = min(abs(zmin - e) for e in evidence)
    miss_centre = min(abs(zmin - hv - e) for e in evidence)
    if miss_centre < miss_top:
        notes.append(
            f"{q['label']}geoZ taken as patch centres (top depth {zmin - hv:.4g} km fits "
            f"Z2top/hypocentre within {miss_centre:.2g} km; as top edges it would miss by "
            f"{miss_top:.2g})"
        )
        return "centre"
    return "top"


def _rigidity(vstr, point, reference, width, dip, weight, notes):
    """Moment-equivalent rigidity of the `invVstr` table (depth top km, vp, vs km/s, rho)."""
    try:
        t = np.atleast_2d(np.asarray(vstr, float))
    except (TypeError, ValueError):
        t = np.zeros((0, 0))
    if t.ndim != 2 or t.shape[0] == 0 or t.shape[1] < 4:
        return None
    depth = -point[:, 2] + np.where(np.asarray(reference) == "top", 0.5, 0.0) * width * np.sin(
        np.deg2rad(dip)
    )
    mu, why = layered_rigidity(t[:, 0], t[:, 2], t[:, 3], depth, np.abs(weight))
    if mu is None:
        notes.append(f"invVstr velocity table not used ({why})")
        return None
    notes.append(
        f"mu = {mu:.3g} Pa: moment-equivalent rigidity of the invVstr velocity table "
        "(rho vs^2 at the patch centroids, weighted by slip x area)"
    )
    return mu


# MAT v5 data types and their item sizes (MATLAB "MAT-File Format", table 1-1).
_MI_SIZES = {
    1: 1,
    2: 1,
    3: 2,
    4: 2,
    5: 4,
    6: 4,
    7: 4,
    9: 8,
    12: 8,
    13: 8,
    14: 0,
    15: 0,
    16: 1,
    17: 2,
    18: 4,
}
_MI_MATRIX, _MI_COMPRESSED = 14, 15
_NUMERIC_CLASSES = set(range(6, 16))  # double, single, int8 ... uint64
_CELL, _STRUCT, _CHAR = 1, 2, 4


def _check_v5(raw: bytes, max_depth: int = 32) -> None:
    """Check the structure of a MAT v5 file before scipy reads it.

    scipy's compiled reader trusts the file: an unknown data type, a size running past
    its parent or dimensions that do not match the data can crash the interpreter.  This
    walks the data elements and raises ValueError for those.  Only the array classes
    SRCMOD uses are accepted (numeric, logical, char, cell, struct).
    """
    if len(raw) < 128:
        raise ValueError("file shorter than the 128-byte MAT header")
    endian = {b"IM": "<", b"MI": ">"}.get(raw[126:128])
    if endian is None:
        raise ValueError("no endian indicator in the MAT header")

    def elements(buf, pos, end):
        out = []
        while pos + 4 <= end:
            (word,) = struct.unpack_from(endian + "I", buf, pos)
            if word >> 16:  # small data element: size and type packed in 4 bytes
                mtype, size, start, stride = word & 0xFFFF, word >> 16, pos + 4, 8
                if size > 4:
                    raise ValueError(f"small data element of {size} bytes at byte {pos}")
            else:
                if pos + 8 > end:
                    raise ValueError(f"truncated data element tag at byte {pos}")
                mtype, size = struct.unpack_from(endian + "II", buf, pos)
                start = pos + 8
                stride = 8 + size + (-size % 8 if mtype != _MI_COMPRESSED else 0)
            if mtype not in _MI_SIZES:
                raise ValueError(f"unknown data type {mtype} at byte {pos}")
            if start + size > end:
                raise ValueError(f"data element at byte {pos} runs past its end")
            item = _MI_SIZES[mtype]
            if item > 1 and size % item:
                raise ValueError(f"data element at byte {pos}: {size} bytes for type {mtype}")
            out.append((mtype, start, size))
            pos += stride
        return out

    def count(el):
        mtype, _, size = el
        return size // max(_MI_SIZES[mtype], 1)

    def matrix(buf, start, size, depth):
        if depth > max_depth:
            raise ValueError("arrays nested too deeply")
        if size == 0:
            return  # an empty array
        els = elements(buf, start, start + size)
        if len(els) < 3 or els[0][0] != 6 or els[0][2] != 8 or els[1][0] != 5:
            raise ValueError(f"malformed array header at byte {start}")
        flags = struct.unpack_from(endian + "I", buf, els[0][1])[0]
        cls, complex_ = flags & 0xFF, bool(flags & 0x800)
        dims = struct.unpack_from(endian + f"{count(els[1])}i", buf, els[1][1])
        if not dims or min(dims) < 0:
            raise ValueError(f"bad array dimensions {dims} at byte {start}")
        n = math.prod(dims)
        if n > 1 << 28:
            raise ValueError(f"array of {n} elements at byte {start}")
        rest = els[3:]
        if cls in _NUMERIC_CLASSES or cls == _CHAR:
            want = 2 if complex_ else 1
            # UTF-8/16 text has no fixed bytes per character: only its presence is checked.
            sized = [e for e in rest if not (cls == _CHAR and e[0] in (16, 17))]
            if len(rest) != want or any(count(e) != n for e in sized):
                raise ValueError(f"array at byte {start}: data do not match dimensions {dims}")
            if any(e[0] in (_MI_MATRIX, _MI_COMPRESSED) for e in rest):
                raise ValueError(f"array at byte {start}: nested array as data")
        elif cls == _CELL:
            if len(rest) != n or any(e[0] != _MI_MATRIX for e in rest):
                raise ValueError(f"cell array at byte {start}: {len(rest)} cells for {dims}")
            for e in rest:
                matrix(buf, e[1], e[2], depth + 1)
        elif cls == _STRUCT:
            if len(rest) < 2 or rest[0][0] != 5 or rest[0][2] != 4 or rest[1][0] != 1:
                raise ValueError(f"struct at byte {start}: malformed field names")
            width = struct.unpack_from(endian + "i", buf, rest[0][1])[0]
            if width <= 0 or rest[1][2] % width:
                raise ValueError(f"struct at byte {start}: field name length {width}")
            nfields = rest[1][2] // width
            fields = rest[2:]
            if len(fields) != n * nfields or any(e[0] != _MI_MATRIX for e in fields):
                raise ValueError(f"struct at byte {start}: {len(fields)} values for {dims}")
            for e in fields:
                matrix(buf, e[1], e[2], depth + 1)
        else:
            raise ValueError(f"unsupported array class {cls} at byte {start}")

    for mtype, start, size in elements(raw, 128, len(raw)):
        if mtype == _MI_MATRIX:
            matrix(raw, start, size, 0)
        elif mtype == _MI_COMPRESSED:
            try:
                inner = zlib.decompressobj().decompress(raw[start : start + size], 1 << 28)
            except zlib.error as e:
                raise ValueError(f"corrupt compressed element at byte {start}") from e
            for m2, s2, z2 in elements(inner, 0, len(inner)):
                if m2 != _MI_MATRIX:
                    raise ValueError(f"compressed element at byte {start} is not an array")
                matrix(inner, s2, z2, 0)
        else:
            raise ValueError(f"top-level data element of type {mtype} is not an array")
