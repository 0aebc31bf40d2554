"""Shared pieces of the slip-model readers: errors, numbers, dates, frames, patch assembly.

Every reader turns its file into per-patch arrays (a reference point in a local
east-north-up frame, strike, dip, size, slip and rake) and hands them to `assemble`, which
checks them, repairs the documented quirks (dips past vertical, patch tops poking out of
the ground) and builds the `FaultModel`.  Errors are `SlipModelError`, a `ValueError` whose
message starts with the file and the line (or field) at fault.
"""

from __future__ import annotations

import datetime
import math
import os
import re

import numpy as np

from .._fault import EventInfo, FaultModel
from ._geo import LocalFrame

# Patch tops above z = 0 by less than this (m) are rounding in the published numbers.
ROUNDING_M = 50.0


class SlipModelError(ValueError):
    """A slip-model file that cannot be read: the message names the file and the line."""

    def __init__(self, source: str, where: object, why: str):
        self.source = source
        self.where = where
        self.why = why
        if isinstance(where, (int, np.integer)):
            loc = f"line {int(where)}"
        elif where:
            loc = str(where)
        else:
            loc = "line 0 (whole file)"
        super().__init__(f"{source}, {loc}: {why}")


# -- reading text ---------------------------------------------------------------------


def read_text(path_or_stream) -> tuple[str, str]:
    """The text of a file (path or text/bytes stream) and a name for error messages.

    UTF-8 is tried first; published tables also come in Latin-1 (author names), which
    decodes any byte.
    """
    if hasattr(path_or_stream, "read"):
        data = path_or_stream.read()
        source = str(getattr(path_or_stream, "name", "<stream>"))
    else:
        source = os.fspath(path_or_stream)
        try:
            with open(source, "rb") as f:
                data = f.read()
        except OSError as e:
            raise SlipModelError(source, None, f"cannot open the file ({e.strerror}).") from e
    if isinstance(data, bytes):
        if b"\x00" in data[:4096]:
            raise SlipModelError(source, None, "binary content; not a slip model text table.")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            data = data.decode("latin-1")
    return data, source


_FLOAT_RE = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$")


def to_float(token: str) -> float:
    """A float from a table token: plain numbers and 'nan'; raises ValueError otherwise."""
    t = token.strip()
    if _FLOAT_RE.match(t):
        return float(t)
    if t.lower() in ("nan", "-nan", "+nan"):
        return math.nan
    raise ValueError(token)


def finite_or_none(x) -> float | None:
    """A finite float, or None for nan/inf/missing and the -999/999 'unknown' markers."""
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(v) or v in (-999.0, 999.0, -99.0):
        return None
    return v


# -- dates ------------------------------------------------------------------------------


def parse_date(text: str) -> tuple[str | None, str | None]:
    """An ISO 8601 UTC date/time from free text, and a note if the order had to be guessed.

    Accepts `YYYY-MM-DDThh:mm:ss`, `YYYY/MM/DD` (USGS), `MM/DD/YYYY` (SRCMOD) and, when the
    first number cannot be a month, `DD/MM/YYYY`.  A time of day `hh:mm[:ss]` next to a
    date is kept; without one the result is the date alone.
    """
    m = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?", text)
    if m:
        y, mo, d, hh, mm = (int(m.group(i)) for i in range(1, 6))
        ss = float(m.group(6) or 0.0)
        return _iso(y, mo, d, hh, mm, ss), None
    note = None
    m = re.search(r"(?<!\d)(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?!\d)", text)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        rest = text[m.end() :]
    else:
        m = re.search(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)", text)
        if not m:
            return None, None
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        mo, d = a, b
        if a > 12 >= b:
            mo, d = b, a
            note = f"date {m.group(0)!r} read as DD/MM/YYYY (the first number is not a month)"
        rest = text[m.end() :]
    t = re.match(r"\s*[T ]?\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?", rest)
    if t:
        return _iso(y, mo, d, int(t.group(1)), int(t.group(2)), float(t.group(3) or 0.0)), note
    try:
        return datetime.date(y, mo, d).isoformat(), note
    except ValueError:
        return None, f"unreadable date {m.group(0)!r}"


def _iso(y, mo, d, hh, mm, ss) -> str | None:
    try:
        t = datetime.datetime(y, mo, d, hh, mm, int(ss), int(round((ss % 1) * 1e6)) % 1000000)
    except ValueError:
        return None
    return t.isoformat(timespec="seconds" if ss == int(ss) else "milliseconds") + "Z"


def magnitude_from_moment(m0: float) -> float:
    """Mw from M0 in N m (IASPEI: Mw = 2/3 (log10 M0 - 9.1))."""
    return (2.0 / 3.0) * (math.log10(m0) - 9.1)


# -- frames -----------------------------------------------------------------------------


def make_frame(
    *,
    origin=None,
    frame: LocalFrame | None = None,
    utm_zone: int | None = None,
    fallback: tuple[float, float] | None = None,
) -> LocalFrame | None:
    """The local frame of a model: `frame`, else `origin` (lon, lat) (UTM if `utm_zone`),
    else `fallback` (aeqd), else None."""
    if frame is not None:
        if not isinstance(frame, LocalFrame):
            raise TypeError(f"frame: expected a LocalFrame, got {type(frame).__name__}.")
        return frame
    if origin is not None:
        try:
            lon0, lat0 = (float(v) for v in origin)
        except (TypeError, ValueError) as e:
            raise TypeError(f"origin: expected (lon, lat) in degrees, got {origin!r}.") from e
        if utm_zone is not None:
            return LocalFrame(lon0, lat0, kind="utm", zone=int(utm_zone), south=lat0 < 0)
        return LocalFrame(lon0, lat0)
    if utm_zone is not None:
        raise TypeError("utm_zone needs origin=(lon, lat) of the frame's (0, 0) point.")
    if fallback is not None:
        lon0, lat0 = fallback
        if math.isfinite(lon0) and math.isfinite(lat0) and abs(lat0) <= 90.0:
            return LocalFrame(((lon0 + 180.0) % 360.0) - 180.0, lat0)
    return None


def mean_lonlat(lon: np.ndarray, lat: np.ndarray) -> tuple[float, float]:
    """The mean position of points (deg), averaged on the unit sphere (safe across 180 E)."""
    lo, la = np.deg2rad(lon), np.deg2rad(lat)
    v = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1).mean(0)
    return float(np.rad2deg(np.arctan2(v[1], v[0]))), float(
        np.rad2deg(np.arctan2(v[2], np.hypot(v[0], v[1])))
    )


# -- geometry ---------------------------------------------------------------------------


def strike_vec(strike_deg):
    """Unit vectors along strike (ENU)."""
    phi = np.deg2rad(strike_deg)
    return np.stack([np.sin(phi), np.cos(phi), np.zeros_like(phi)], axis=-1)


def down_dip_vec(strike_deg, dip_deg):
    """Unit vectors down dip (ENU); the fault dips to the right of strike (Aki & Richards)."""
    phi, delta = np.deg2rad(strike_deg), np.deg2rad(dip_deg)
    return np.stack(
        [np.cos(phi) * np.cos(delta), -np.sin(phi) * np.cos(delta), -np.sin(delta)], axis=-1
    )


def assemble(
    source: str,
    *,
    point,
    reference,
    strike,
    dip,
    length,
    width,
    slip,
    rake=None,
    slip_components=None,
    opening=None,
    segment,
    lines,
    info: EventInfo,
    notes: list[str],
    surface: str = "trim",
) -> FaultModel:
    """Check per-patch arrays, repair documented quirks and build the `FaultModel`.

    **Arguments:**

    - `point`: `(n, 3)` ENU metres (z up) of each patch's reference point.
    - `reference`: which point that is, per patch or for all: `"top"` (centre of the top
      edge), `"centre"`, or `"corner"` (top corner at the start of strike).
    - `strike`, `dip` (deg), `length` (along strike), `width` (down dip) in metres.
    - `slip` (m) with `rake` (deg, Aki & Richards), or `slip_components` `(n, 2)` (strike
      slip left-lateral+, dip slip reverse+).  `opening` (m) optional.
    - `segment`: `(n,)` ints; `lines`: `(n,)` where each patch came from (for errors).
    - `surface`: what to do with a patch whose top edge is above z = 0 by more than
      rounding (`ROUNDING_M`): `"trim"` it at the surface (keep its bottom edge, shorten
      its width), `"shift"` it down, or `"raise"` a `SlipModelError`.  Tops within
      rounding are always clamped to z = 0, with a note.

    **Returns:** a `FaultModel` with `info.notes` extended by `notes`.
    """
    if surface not in ("trim", "shift", "raise"):
        raise ValueError(f"surface: expected 'trim', 'shift' or 'raise', got {surface!r}.")
    point = np.asarray(point, float).reshape(-1, 3)
    n = point.shape[0]
    lines = list(lines)

    def arr(x):
        return np.broadcast_to(np.asarray(x, float), (n,)).copy()

    strike, dip, length, width = (arr(x) for x in (strike, dip, length, width))
    if slip_components is not None:
        comps = np.asarray(slip_components, float).reshape(n, 2)
    else:
        s, r = arr(slip), arr(rake)
        comps = np.stack([s * np.cos(np.deg2rad(r)), s * np.sin(np.deg2rad(r))], axis=-1)
    opening = np.zeros(n) if opening is None else arr(opening)
    if n == 0:
        raise SlipModelError(source, None, "no patches.")

    checks = {
        "position": point,
        "strike": strike,
        "dip": dip,
        "length": length,
        "width": width,
        "slip": comps,
        "opening": opening,
    }
    for name, a in checks.items():
        bad = ~np.isfinite(a)
        if bad.ndim > 1:
            bad = bad.any(axis=1)
        if bad.any():
            i = int(np.argmax(bad))
            raise SlipModelError(source, lines[i], f"patch {i}: {name} is not a finite number.")
    for name, a in (("length", length), ("width", width)):
        if (a <= 0).any():
            i = int(np.argmax(a <= 0))
            raise SlipModelError(source, lines[i], f"patch {i}: {name} {a[i]!r} m must be > 0.")
    if ((dip < 0) | (dip >= 180)).any():
        i = int(np.argmax((dip < 0) | (dip >= 180)))
        raise SlipModelError(
            source, lines[i], f"patch {i}: dip {dip[i]!r} deg is outside [0, 180)."
        )

    ref = np.broadcast_to(np.asarray(reference, dtype=object), (n,))
    sv, dv = strike_vec(strike), down_dip_vec(strike, dip)
    centroid = point.copy()
    top = ref == "top"
    corner = ref == "corner"
    centroid[top] += 0.5 * width[top, None] * dv[top]
    centroid[corner] += (
        0.5 * length[corner, None] * sv[corner] + 0.5 * width[corner, None] * dv[corner]
    )

    # A dip past vertical is the same plane described from the other side: strike + 180
    # and 180 - dip keep the down-dip vector and reverse the strike vector and the normal,
    # so the hanging wall becomes the other block.  The moment tensor u n^T + n u^T is
    # unchanged when the strike slip keeps its sign and the dip slip changes it (rake ->
    # -rake): an overhanging "reverse" fault is a normal fault seen from its true
    # hanging wall.
    over = dip > 90.0
    if over.any():
        notes.append(
            f"{int(over.sum())} patch(es) with dip > 90 deg (max {dip[over].max():g}) "
            "rewritten as strike + 180, 180 - dip, dip slip negated (same moment tensor)"
        )
        strike = np.where(over, strike + 180.0, strike)
        dip = np.where(over, 180.0 - dip, dip)
        comps[over, 1] = -comps[over, 1]
    strike = np.mod(strike, 360.0)

    # Patch tops above the free surface.
    sin_dip = np.sin(np.deg2rad(dip))
    top_z = centroid[:, 2] + 0.5 * width * sin_dip
    excess = np.where(top_z > 0.0, top_z, 0.0)
    if (excess > 0).any():
        k = excess > 0
        worst = float(excess.max())
        i = int(np.argmax(excess))
        if worst <= ROUNDING_M or surface == "shift":
            centroid[k, 2] -= excess[k]
            how = "rounding; moved down" if worst <= ROUNDING_M else "moved down (surface='shift')"
            notes.append(
                f"{int(k.sum())} patch top(s) above the free surface by up to {worst:.3g} m "
                f"({how} to z = 0)"
            )
        elif surface == "raise":
            raise SlipModelError(
                source,
                lines[i],
                f"patch {i}: its top edge is {worst:.1f} m above the free surface "
                "(pass surface='trim' or 'shift' to repair).",
            )
        else:
            cut = np.where(k, excess / np.maximum(sin_dip, 1e-12), 0.0)
            if (cut >= width - 1e-6).any() or (k & (sin_dip < 1e-6)).any():
                j = int(np.argmax((cut >= width - 1e-6) | (k & (sin_dip < 1e-6))))
                raise SlipModelError(
                    source,
                    lines[j],
                    f"patch {j}: lies entirely above the free surface (top at "
                    f"{top_z[j]:.1f} m, width {width[j]:.1f} m, dip {dip[j]:g} deg).",
                )
            area0 = float(np.sum(np.hypot(comps[:, 0], comps[:, 1]) * length * width))
            centroid += (0.5 * cut)[:, None] * down_dip_vec(strike, dip)
            width = width - cut
            centroid[k, 2] = np.minimum(centroid[k, 2], -0.5 * width[k] * sin_dip[k])
            area1 = float(np.sum(np.hypot(comps[:, 0], comps[:, 1]) * length * width))
            loss = 100.0 * (1.0 - area1 / area0) if area0 > 0 else 0.0
            notes.append(
                f"{int(k.sum())} patch(es) extended above the free surface by up to "
                f"{worst / 1e3:.3g} km; trimmed at z = 0 (keeping their bottom edge; "
                f"slip x area reduced by {loss:.2g}%)"
            )

    info = info.replace(notes=tuple(info.notes) + tuple(notes))
    slip3 = np.concatenate([comps, opening[:, None]], axis=1)
    try:
        return FaultModel(
            centroid, strike, dip, length, width, slip3, segment=np.asarray(segment), info=info
        )
    except ValueError as e:  # pragma: no cover - assemble checks what FaultModel checks
        m = re.search(r"patch (\d+)", str(e))
        where = lines[int(m.group(1))] if m and int(m.group(1)) < n else None
        raise SlipModelError(source, where, str(e)) from e


# -- rigidity ---------------------------------------------------------------------------


def layered_rigidity(depth_km, vs_kms, rho_gcc, centroid_depth_m, weight):
    """Moment-equivalent rigidity (Pa) of a layered velocity-density table.

    `mu_i = rho vs^2` of the layer holding each patch centroid, averaged with `weight`
    (slip x area), so that `mu * sum(weight)` is the moment of the layered model.  A table
    whose first depth is 0 lists layer tops (USGS, SRCMOD .mat); otherwise it lists layer
    bottoms (SRCMOD .fsp).  Returns `(mu, None)`, or `(None, why)` for an implausible table.
    """
    depth = np.asarray(depth_km, float)
    vs = np.asarray(vs_kms, float)
    rho = np.asarray(rho_gcc, float)
    if depth.size == 0:
        return None, "no rows"
    if not (np.isfinite(depth).all() and np.isfinite(vs).all() and np.isfinite(rho).all()):
        return None, "non-numeric entries"
    if (np.diff(depth) < 0).any():
        return None, "depths not increasing"
    if ((vs <= 0.05) | (vs > 7.0) | (rho < 1.0) | (rho > 4.5)).any():
        return None, (
            f"implausible S velocity or density (vs {vs.min():g}-{vs.max():g} km/s, "
            f"rho {rho.min():g}-{rho.max():g} g/cm^3)"
        )
    w = np.asarray(weight, float)
    if not np.isfinite(w).all() or w.sum() <= 0:
        return None, "no slip"
    tops = depth if depth[0] == 0.0 else np.concatenate([[0.0], depth[:-1]])
    z = np.asarray(centroid_depth_m, float) / 1e3
    layer = np.clip(np.searchsorted(tops, z, side="right") - 1, 0, tops.size - 1)
    mu = rho[layer] * 1e3 * (vs[layer] * 1e3) ** 2
    return float(np.sum(mu * w) / np.sum(w)), None
