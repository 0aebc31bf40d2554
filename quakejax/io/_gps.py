"""Coseismic GPS offsets: the `GPSData` type and `read_gps`.

`read_gps` recognises the published offset tables met in practice from their content (see
its docstring) and returns station positions (WGS84 degrees) with east-north-up
displacements and standard deviations in metres.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import equinox as eqx
import numpy as np
import pyproj
from jaxtyping import Bool, Float

from ._geo import LocalFrame

_UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001}
_GEOD = pyproj.Geod(ellps="WGS84")


def _wrap_lon(lon):
    lon = np.asarray(lon, float)
    return np.where((lon >= -180.0) & (lon < 180.0), lon, (lon + 180.0) % 360.0 - 180.0)


def _as_n3(x, n: int, what: str) -> np.ndarray:
    """(n, 3) floats from (n, 3) or (n, 2) (east, north; up unknown = NaN)."""
    x = np.asarray(x, float)
    if x.ndim == 1 and n == 1 and x.shape[0] in (2, 3):
        x = x[None, :]
    if x.ndim == 2 and x.shape[0] == n and x.shape[1] == 2:
        x = np.concatenate([x, np.full((n, 1), np.nan)], axis=1)
    if x.shape != (n, 3):
        raise ValueError(f"GPSData: {what} has shape {x.shape}; expected ({n}, 3) or ({n}, 2).")
    return x


class GPSData(eqx.Module):
    """Coseismic offsets at GPS stations (final).

    Frame: east-north-up (ENU) at each station, metres; positions are WGS84 longitude and
    latitude in degrees.  Arrays are NumPy float64 (the library never enables x64, and
    float32 would round positions to about a metre); take `jnp.asarray` where physics needs
    them.

    **Fields:**

    - `longitude (n,)`, `latitude (n,)`: station positions, degrees; longitude in
      [-180, 180).
    - `displacement (n, 3)`: (east, north, up) offset, metres; NaN where not observed.
    - `sigma (n, 3)`: one standard deviation of each component, metres; NaN where the file
      gives none.
    - `observed (n, 3)`: True for the components the file gives (a horizontal-only file has
      `observed[:, 2]` False; a station list has none).
    - `names` (static): station codes, unique; `source` (static): where the data came from.

    **Arguments:** as the fields; `displacement` and `sigma` may be (n, 2) (east, north);
    `sigma` defaults to NaN; `observed` defaults to the finite components of
    `displacement` (components outside it are set to NaN); `names` defaults to "0", "1", ...
    """

    longitude: Float[np.ndarray, " n"]
    latitude: Float[np.ndarray, " n"]
    displacement: Float[np.ndarray, "n 3"]
    sigma: Float[np.ndarray, "n 3"]
    observed: Bool[np.ndarray, "n 3"]
    names: tuple[str, ...] = eqx.field(static=True)
    source: str = eqx.field(static=True)

    def __init__(
        self,
        longitude,
        latitude,
        displacement=None,
        sigma=None,
        observed=None,
        *,
        names: Sequence[str] | None = None,
        source: str = "",
    ):
        self.longitude = _wrap_lon(np.asarray(longitude, float).reshape(-1))
        self.latitude = np.asarray(latitude, float).reshape(-1)
        n = self.longitude.shape[0]
        disp = np.full((n, 3), np.nan) if displacement is None else displacement
        disp = _as_n3(disp, n, "displacement")
        obs = np.isfinite(disp) if observed is None else np.asarray(observed, bool)
        if obs.shape != (n, 3):
            raise ValueError(f"GPSData: observed has shape {obs.shape}; expected ({n}, 3).")
        self.displacement = np.where(obs, disp, np.nan)
        self.sigma = np.full((n, 3), np.nan) if sigma is None else _as_n3(sigma, n, "sigma")
        self.observed = obs
        self.names = tuple(str(i) for i in range(n)) if names is None else tuple(map(str, names))
        self.source = str(source)

    def __check_init__(self):
        n = self.longitude.shape[0]
        if self.latitude.shape != (n,):
            raise ValueError(f"GPSData: latitude has shape {self.latitude.shape}; expected ({n},).")
        if len(self.names) != n:
            raise ValueError(f"GPSData: {len(self.names)} names for {n} stations.")
        if len(set(self.names)) != n:
            dup = sorted({s for s in self.names if self.names.count(s) > 1})
            raise ValueError(f"GPSData: repeated station name(s) {dup[:10]}.")
        for what, arr, lo, hi in (
            ("latitude", self.latitude, -90.0, 90.0),
            ("longitude", self.longitude, -180.0, 180.0),
        ):
            bad = ~((arr >= lo) & (arr <= hi))
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(
                    f"GPSData: station {self.names[i]!r} has {what} {arr[i]:g} "
                    f"outside [{lo}, {hi}]."
                )
        bad = self.observed & ~np.isfinite(self.displacement)
        if bad.any():
            i = int(np.argwhere(bad)[0][0])
            raise ValueError(f"GPSData: station {self.names[i]!r} has a non-finite displacement.")
        bad = np.isinf(self.sigma) | (self.sigma < 0)
        if bad.any():
            i = int(np.argwhere(bad)[0][0])
            raise ValueError(
                f"GPSData: station {self.names[i]!r} has sigma {self.sigma[i]} (must be >= 0)."
            )

    def __len__(self) -> int:
        return int(self.longitude.shape[0])

    def enu(self, frame: LocalFrame) -> Float[np.ndarray, "n 3"]:
        """Station positions (n, 3) in `frame`'s east-north-up frame, metres, z = 0."""
        return frame.enu(self.longitude, self.latitude)

    def with_sigma(self, sigma) -> GPSData:
        """The same data with standard deviations `sigma` (m): a number, one per ENU
        component `(3,)`, or `(n, 3)`; set where a component is observed, NaN elsewhere."""
        s = np.asarray(sigma, dtype=float)
        try:
            s = np.broadcast_to(s, self.displacement.shape)
        except ValueError:
            raise ValueError(
                f"with_sigma: sigma of shape {s.shape} does not fit ({len(self)}, 3)."
            ) from None
        return GPSData(
            self.longitude,
            self.latitude,
            self.displacement,
            np.where(self.observed, s, np.nan),
            self.observed,
            names=self.names,
            source=self.source,
        )

    def select(self, which) -> GPSData:
        """The stations picked by a boolean mask `(n,)`, integer indices, or station names."""
        which = np.asarray(which)
        if which.dtype.kind in "US":
            lookup = {s: i for i, s in enumerate(self.names)}
            missing = [s for s in which.reshape(-1).tolist() if s not in lookup]
            if missing:
                raise ValueError(f"select: no station(s) {missing[:10]} in {self.source!r}.")
            which = np.asarray([lookup[s] for s in which.reshape(-1).tolist()], np.int64)
        elif which.dtype == bool:
            if which.shape != (len(self),):
                raise ValueError(f"select: mask shape {which.shape}; expected ({len(self)},).")
        elif which.dtype.kind not in "iu":
            raise TypeError(f"select: expected a mask, indices or names, got {which.dtype}.")
        names = np.asarray(self.names, dtype=object)[which].reshape(-1)
        return GPSData(
            self.longitude[which],
            self.latitude[which],
            self.displacement[which],
            self.sigma[which],
            self.observed[which],
            names=tuple(names),
            source=self.source,
        )

    @classmethod
    def concatenate(cls, datasets: Sequence[GPSData], *, source: str | None = None) -> GPSData:
        """Stations of several datasets, one after the other (names must not repeat; use
        `merge` to combine components of the same stations)."""
        datasets = list(datasets)
        if not datasets:
            raise ValueError("concatenate: no datasets.")
        cat = lambda f: np.concatenate([getattr(d, f) for d in datasets], axis=0)  # noqa: E731
        return cls(
            cat("longitude"),
            cat("latitude"),
            cat("displacement"),
            cat("sigma"),
            cat("observed"),
            names=tuple(s for d in datasets for s in d.names),
            source=" + ".join(d.source for d in datasets) if source is None else source,
        )

    def merge(self, other: GPSData, *, tolerance_m=100.0) -> GPSData:
        """Combine two datasets station by station, matching station names.

        For a station in both, each component comes from whichever dataset observes it (with
        its sigma), e.g. a horizontal and a vertical file of the same network.  Stations in
        only one dataset are kept, `self`'s first in their order, then `other`'s.

        Raises `ValueError` when a station's two positions are more than `tolerance_m` metres
        apart (geodesic), or when both datasets observe the same component with different
        values (beyond 1e-9 m).
        """
        index = {s: i for i, s in enumerate(self.names)}
        common = [(index[s], j) for j, s in enumerate(other.names) if s in index]
        lon, lat = self.longitude.copy(), self.latitude.copy()
        disp, sig, obs = self.displacement.copy(), self.sigma.copy(), self.observed.copy()
        if common:
            i, j = (np.asarray(k) for k in zip(*common, strict=True))
            _, _, dist = _GEOD.inv(lon[i], lat[i], other.longitude[j], other.latitude[j])
            far = np.asarray(dist) > tolerance_m
            if far.any():
                k = int(np.argmax(far))
                raise ValueError(
                    f"merge: station {self.names[i[k]]!r} is {np.asarray(dist)[k]:.1f} m from "
                    f"its namesake in {other.source!r} (tolerance {tolerance_m} m)."
                )
            both = obs[i] & other.observed[j]
            clash = both & ~(np.abs(disp[i] - other.displacement[j]) <= 1e-9)
            if clash.any():
                k, c = np.argwhere(clash)[0]
                raise ValueError(
                    f"merge: station {self.names[i[k]]!r} has {'ENU'[c]} displacement "
                    f"{disp[i[k], c]} m in {self.source!r} but {other.displacement[j[k], c]} m "
                    f"in {other.source!r}."
                )
            take = ~obs[i] & other.observed[j]
            disp[i] = np.where(take, other.displacement[j], disp[i])
            sig[i] = np.where(take, other.sigma[j], sig[i])
            obs[i] |= take
        new = np.asarray([j for j, s in enumerate(other.names) if s not in index], np.int64)
        return GPSData(
            np.concatenate([lon, other.longitude[new]]),
            np.concatenate([lat, other.latitude[new]]),
            np.concatenate([disp, other.displacement[new]]),
            np.concatenate([sig, other.sigma[new]]),
            np.concatenate([obs, other.observed[new]]),
            names=self.names + tuple(other.names[j] for j in new),
            source=f"{self.source} + {other.source}",
        )


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


class _Table(NamedTuple):
    """What one GPS file gives, before positions are resolved."""

    names: list[str]
    lines: list[int]
    lonlat: np.ndarray | None  # (n, 2) degrees
    local: np.ndarray | None  # (n, 2) east, north in metres in an unnamed local frame
    displacement: np.ndarray  # (n, 3) m, NaN = not given
    sigma: np.ndarray  # (n, 3) m


# Column names of headed tables, lower case, units stripped.
_ROLES = {
    "name": {"site", "name", "station", "stationname", "sta", "code", "stat"},
    "id": {"id", "nb", "n", "no", "num", "#"},
    "lon": {"lon", "longitude", "long"},
    "lat": {"lat", "latitude"},
    # Unicycle/Relax tables call the local axes x (north) and y (east).
    "north": {"north", "x", "x1"},
    "east": {"east", "y", "x2"},
    "down": {"down", "z", "x3", "depth"},
    "de": {"de", "ve", "ue", "es", "dx", "east_disp", "dispe"},
    "dn": {"dn", "vn", "un", "ns", "dy", "north_disp", "dispn"},
    "du": {"du", "dup", "vu", "uu", "us", "dz", "up_disp", "dispu"},
    "se": {"se", "sde", "sige", "sigma_e", "sig_e", "ee"},
    "sn": {"sn", "sdn", "sign", "sigma_n", "sig_n", "en"},
    "su": {"su", "sdu", "sigu", "sigma_u", "sig_u", "eu", "sup"},
}
_WORDS = {
    "lon": "longitude",
    "lat": "latitude",
    "north": "north coordinate",
    "east": "east coordinate",
    "de": "east displacement",
    "dn": "north displacement",
    "du": "up displacement",
    "se": "east sigma",
    "sn": "north sigma",
    "su": "up sigma",
}
_UNIT_RE = re.compile(r"^(.*?)[_(\[]?(m|cm|mm|deg)[)\]]?$")


def _column_role(token: str) -> tuple[str | None, str | None]:
    """(role, unit) of a header token such as 'De_cm', 'north(m)', 'Lon_deg' or 'SE'."""
    t = token.lower()
    candidates: list[tuple[str, str | None]] = [(t, None)]
    if m := _UNIT_RE.match(t):
        candidates.append((m.group(1), m.group(2)))
    for cand, unit in candidates:
        for role, names in _ROLES.items():
            if cand in names:
                return role, unit
    return None, None


def _tokens(line: str) -> list[str]:
    return [t for t in re.split(r"[,\s]+", line.strip()) if t]


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


def _float(path: Path, line: int, tok: str, what: str, allow_nan: bool = True) -> float:
    try:
        v = float(tok)
    except ValueError:
        raise ValueError(f"{path}, line {line}: bad {what} {tok!r} (not a number).") from None
    if np.isinf(v) or (np.isnan(v) and not allow_nan):
        raise ValueError(f"{path}, line {line}: bad {what} {tok!r} (must be finite).")
    return v


def _table_from_columns(path, rows, roles, units, default_unit) -> _Table:
    """Rows of tokens with a role (and unit) per column."""
    col = {r: k for k, r in enumerate(roles) if r is not None}
    n = len(rows)
    names, lines = [], []
    disp, sig = np.full((n, 3), np.nan), np.full((n, 3), np.nan)
    pos = np.full((n, 2), np.nan)
    has_lonlat, has_local = "lon" in col and "lat" in col, "east" in col and "north" in col
    for i, (line, tok) in enumerate(rows):
        lines.append(line)
        key = "name" if "name" in col else "id" if "id" in col else None
        names.append(tok[col[key]] if key else str(i))
        pos_roles = ("lon", "lat") if has_lonlat else ("east", "north") if has_local else ()
        for k, role in enumerate(pos_roles):
            pos[i, k] = _float(path, line, tok[col[role]], _WORDS[role], allow_nan=False)
        for k, (d, s) in enumerate((("de", "se"), ("dn", "sn"), ("du", "su"))):
            for arr, role in ((disp, d), (sig, s)):
                if role in col:
                    scale = _UNITS[units[col[role]] or default_unit]
                    arr[i, k] = _float(path, line, tok[col[role]], _WORDS[role]) * scale
    if has_local and not has_lonlat:
        k = col["east"]
        pos *= _UNITS[units[k] if units[k] in _UNITS else "m"]  # positions: metres unless stated
    return _Table(
        names,
        lines,
        pos if has_lonlat else None,
        pos if has_local and not has_lonlat else None,
        disp,
        sig,
    )


def _read_lines(path: Path) -> list[tuple[int, str]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ValueError(f"{path}, line {line}: not UTF-8 text; is this a GPS table?") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # line numbers as editors count
    lines = [(k + 1, ln) for k, ln in enumerate(text.split("\n")) if ln.strip()]
    if not lines:
        raise ValueError(f"{path}: the file is empty.")
    return lines


_FORMATS = (
    "viscojapan",
    "viscojapan_vertical",
    "ozawa2011",
    "lldet",
    "table",
    "site_enu",
    "site_positions",
)


def _sniff(path: Path, lines: list[tuple[int, str]]) -> str:
    text = "\n".join(ln for _, ln in lines)
    comments = [ln.lstrip("#").strip() for _, ln in lines if ln.lstrip().startswith("#")]
    data = [(k, _tokens(ln)) for k, ln in lines if not ln.lstrip().startswith("#")]
    if re.search(r"^\s*\[\w+\]\s*$", text, re.M) and re.search(r"^\s*\w+\s*=", text, re.M):
        gps = re.findall(r"^\s*gps\d+\s*=\s*(\S+)", text, re.M)
        hint = f" (its GPS data file: {', '.join(gps)})" if gps else ""
        raise ValueError(
            f"{path}: an inversion configuration file ([section] and key = value lines), "
            f"not a table of GPS offsets{hint}."
        )
    lowered = " ".join(comments).lower()
    if (
        "slip distribution" in lowered
        or "slip model" in lowered
        or any("slip" in _tokens(c.lower()) for c in comments)
    ):
        raise ValueError(
            f"{path}: a slip model (its header mentions slip: {comments[0][:80]!r}), not GPS "
            "offsets; read slip models with quakejax.io.read_slip_model."
        )
    if "latitude(ref)" in lowered.replace(" ", ""):
        return "ozawa2011"
    if not data:
        raise ValueError(f"{path}: no data lines, only comments.")
    if _header(data) is not None or _comment_header(lines, data) is not None:
        return "table"
    first = data[0][1]
    kinds = "".join("n" if _is_number(t) else "s" for t in first)
    if kinds == "nnnns":
        third = [row[2] for _, row in data if len(row) > 2]
        return (
            "viscojapan_vertical"
            if all(_is_number(t) and float(t) == 0 for t in third)
            else "viscojapan"
        )
    if kinds in ("snn", "snnn"):
        vals = np.asarray(
            [
                [float(t) for t in row[1:3]]
                for _, row in data
                if len(row) >= 3 and all(_is_number(t) for t in row[1:3])
            ]
        )
        if kinds == "snn" and (path.suffix == ".locations" or (np.abs(vals) > 90).any()):
            return "site_positions"
        return "site_enu"
    if kinds in ("nnnnnnnn", "nnnnnnnnn"):
        return "lldet"
    if kinds == "nnn" and (path.suffix == ".locations" or _codes_and_coordinates(data)):
        return "site_positions"
    if kinds == "nnn":
        raise ValueError(
            f"{path}, line {data[0][0]}: three numbers per line (lon lat value): a slip or "
            "grid file, not GPS offsets."
        )
    if kinds == "s":
        raise ValueError(
            f"{path}, line {data[0][0]}: one name per line: a list of station names without "
            "positions or offsets."
        )
    raise ValueError(
        f"{path}, line {data[0][0]}: unrecognised GPS table (first data line {_short(first)!r}). "
        f"Supported: {', '.join(_FORMATS)}; pass format= to choose one."
    )


def _short(tokens: list[str]) -> str:
    return " ".join(tokens)[:80]


def _codes_and_coordinates(data) -> bool:
    """Rows like '0079 33.9965575 130.9136250': an integer station code (GEONET codes are
    4 digits) and two coordinates, one of them beyond 90 degrees."""
    try:
        codes = all(re.fullmatch(r"\d+", row[0]) for _, row in data)
        vals = np.asarray([[float(t) for t in row[1:]] for _, row in data])
    except ValueError:
        return False
    return codes and vals.ndim == 2 and bool((np.abs(vals) > 90).any())


def _header(data):
    """Roles of a non-comment header line (first data line with named columns), or None."""
    k, tok = data[0]
    if sum(_is_number(t) for t in tok) > 0 or len(data) < 2:
        return None
    roles = [_column_role(t) for t in tok]
    return roles if _plausible(roles) else None


def _comment_tokens(lines, data) -> list[str]:
    first = data[0][0]
    before = [ln for k, ln in lines if k < first and ln.lstrip().startswith("#")]
    return _tokens(before[-1].lstrip().lstrip("#")) if before else []


def _comment_header(lines, data):
    """Roles of the comment line just before the first data line, or None."""
    tok = _comment_tokens(lines, data)
    if len(tok) != len(data[0][1]):
        return None
    roles = [_column_role(t) for t in tok]
    return roles if _plausible(roles) else None


def _plausible(roles) -> bool:
    found = {r for r, _ in roles if r is not None}
    return bool(found & {"de", "dn", "du", "lon", "lat", "north", "east"}) and bool(
        found & {"name", "id", "lon", "lat"}
    )


def _parse(path: Path, fmt: str, lines, default_unit: str | None) -> _Table:
    data = [(k, _tokens(ln)) for k, ln in lines if not ln.lstrip().startswith("#")]

    def fixed(width_ok, what):
        for k, tok in data:
            if not width_ok(len(tok)):
                raise ValueError(
                    f"{path}, line {k}: expected {what}, found {len(tok)} field(s): "
                    f"{_short(tok)!r}."
                )

    if fmt in ("viscojapan", "viscojapan_vertical"):
        fixed(lambda w: w == 5, "5 fields (lon lat dE dN site)")
        roles = ["lon", "lat", "de", "dn", "name"]
        if fmt == "viscojapan_vertical":
            roles = ["lon", "lat", None, "du", "name"]
            for k, tok in data:
                if _float(path, k, tok[2], "third column") != 0:
                    raise ValueError(
                        f"{path}, line {k}: a vertical file has 0 in its third column, got "
                        f"{tok[2]!r}."
                    )
        return _table_from_columns(path, data, roles, [None] * 5, default_unit or "m")
    if fmt == "ozawa2011":
        fixed(lambda w: w == 8, "8 fields (ID lat_ref lon_ref lat lon EW NS UD)")
        roles = ["id", None, None, "lat", "lon", "de", "dn", "du"]
        return _table_from_columns(path, data, roles, [None] * 8, default_unit or "m")
    if fmt == "lldet":
        fixed(lambda w: w in (8, 9), "8 or 9 fields (lon lat dE dN dU sE sN sU [height])")
        roles = ["lon", "lat", "de", "dn", "du", "se", "sn", "su", None]
        heights = [float(tok[8]) for k, tok in data if len(tok) == 9 and _is_number(tok[8])]
        if any(h != 0 for h in heights):
            warnings.warn(
                f"{path}: the 9th column (station height, m) is not kept by GPSData.",
                stacklevel=3,
            )
        return _table_from_columns(
            path, data, roles[: len(data[0][1])], [None] * 9, default_unit or "mm"
        )
    if fmt == "site_positions":
        fixed(lambda w: w == 3, "3 fields (site lat lon)")
        vals = np.asarray(
            [[_float(path, k, t, "coordinate", False) for t in tok[1:]] for k, tok in data]
        )
        # Position lists write (lat, lon) (Kumamoto .locations); a column beyond 90 degrees
        # must be the longitude.
        lonlat_order = (np.abs(vals[:, 0]) > 90).any() and not (np.abs(vals[:, 1]) > 90).any()
        roles = ["name", "lon", "lat"] if lonlat_order else ["name", "lat", "lon"]
        return _table_from_columns(path, data, roles, [None] * 3, "m")
    if fmt == "site_enu":
        w = len(data[0][1])
        fixed(lambda x: x == w, f"{w} fields (site dE dN{' dU' if w == 4 else ''})")
        roles = ["name", "de", "dn", "du"][:w]
        return _table_from_columns(path, data, roles, [None] * w, default_unit or "m")
    if fmt == "table":
        head = _header(data)
        if head is not None:
            header_tokens, data = data[0][1], data[1:]
        else:
            head = _comment_header(lines, data)
            if head is None:
                raise ValueError(f"{path}: no header line naming the columns (format='table').")
            header_tokens = _comment_tokens(lines, data)
        fixed(lambda x: x == len(head), f"{len(head)} fields, as the header names")
        roles = [r for r, _ in head]
        units = [u for _, u in head]
        for (role, u), tok in zip(head, header_tokens, strict=True):
            angle = role in ("lon", "lat")
            if u is not None and (u == "deg") != angle:
                raise ValueError(f"{path}: column {tok!r} has unit {u!r}, which does not fit.")
        return _table_from_columns(path, data, roles, units, default_unit or "m")
    raise ValueError(f"read_gps: format must be one of {_FORMATS}, got {fmt!r}.")


def _position_lookup(positions) -> dict[str, tuple[float, float]]:
    if isinstance(positions, GPSData):
        return {
            s: (float(x), float(y))
            for s, x, y in zip(
                positions.names, positions.longitude, positions.latitude, strict=True
            )
        }
    if isinstance(positions, Mapping):
        return {str(k): (float(v[0]), float(v[1])) for k, v in positions.items()}
    return _position_lookup(read_gps(positions))


def read_gps(
    path: str | os.PathLike,
    *,
    format: str | None = None,
    vertical=None,
    positions=None,
    frame: LocalFrame | None = None,
    unit: str | None = None,
    missing: str = "raise",
) -> GPSData:
    """Read a table of coseismic GPS offsets, recognising its format from the content.

    **Formats** (`format=` forces one); displacements become metres, ENU:

    - `"viscojapan"`: `lon lat dE dN site`, metres, no header (Tohoku 2011 GEONET `..._co_obs`
      and `..._co_obs_seafloor`); vertical not observed.
    - `"viscojapan_vertical"`: `lon lat 0 dU site` (`..._co_ver_obs`): recognised by a third
      column that is 0 on every line; only the vertical is observed.
    - `"ozawa2011"`: Ozawa et al. (2011, Nature 475:373) Table S1, `ID lat_ref lon_ref lat lon
      EW NS UD` in metres, relative to the reference site; names are the IDs; no sigmas.
    - `"lldet"`: `lon lat dE dN dU sE sN sU [height]` in **mm**, no header (Xu's
      Geodetic_Inversion_Package `gps.lldet`; Maule 2010).  The 9th column is the station
      height in m, used only for topography corrections there; it is not kept (a warning
      says so when it is not 0).
    - `"table"`: any table whose header line (plain, or the `#` comment just above the data)
      names the columns: station `site`/`name`/`stationname` (or `id`/`nb`), position
      `lon`/`lat` (deg), or local `north`/`east` (Unicycle `x` = north, `y` = east, metres),
      displacements `dE dN dU` (also `De Dn Dup`, `es ns us`), sigmas `SE SN SU`.  Units from
      suffixes such as `De_cm`, `north(m)`, else `unit` (default m).  Covers Houlie et al.
      (2014) Parkfield offsets (cm, longitudes in 0-360), the SCIGN site file
      (`# nb name north(m) east(m) down(m)`, positions only) and Unicycle `.dat` GPS files.
    - `"site_enu"`: `site dE dN [dU]` in metres with no positions (Tohoku
      `published_codisp`, `ozawa_..._obs_file`): needs `positions`.
    - `"site_positions"`: `site lat lon` (Kumamoto `.locations`): a station list, no offsets.

    Slip models (`lon lat slip`, Pollitz's grid), station-name lists and inversion
    configuration files are recognised and rejected with a `ValueError` that says what they
    are.  Any malformed line raises a `ValueError` naming the file and line: GPS tables are
    small and each station matters, so nothing is dropped.

    **Arguments:**

    - `vertical`: a second file (or `GPSData`) with the same network's vertical offsets,
      merged station by station with `GPSData.merge` (names must match, positions within
      100 m, stations found in only one file are kept):
      `read_gps(".../..._co_obs", vertical=".../..._co_ver_obs")`.
    - `positions`: where to find the positions of a file that gives only station names or
      local coordinates: another GPS file (path), a `GPSData`, or a mapping
      `name -> (lon, lat)` in degrees.
    - `frame`: the `LocalFrame` of a file in local north/east metres (SCIGN Parkfield,
      Unicycle `.dat`); positions are converted to longitude and latitude through it.
    - `unit`: `"m"`, `"cm"` or `"mm"` for displacements whose unit the file does not state.
    - `missing`: `"raise"` (default) or `"drop"` (with a warning) for stations that
      `positions` does not know.

    **Returns:** a `GPSData` (positions in degrees, displacement and sigma in m, ENU).
    """
    path = Path(path)
    if format is not None and format not in _FORMATS:
        raise ValueError(f"read_gps: format must be one of {_FORMATS}, got {format!r}.")
    if unit is not None and unit not in _UNITS:
        raise ValueError(f"read_gps: unit must be 'm', 'cm' or 'mm', got {unit!r}.")
    if missing not in ("raise", "drop"):
        raise ValueError(f"read_gps: missing must be 'raise' or 'drop', got {missing!r}.")
    lines = _read_lines(path)
    fmt = format or _sniff(path, lines)
    table = _parse(path, fmt, lines, unit)

    seen: dict[str, int] = {}
    for name, line in zip(table.names, table.lines, strict=True):
        if name in seen:
            raise ValueError(f"{path}, line {line}: station {name!r} already on line {seen[name]}.")
        seen[name] = line

    keep = np.ones(len(table.names), bool)
    if table.lonlat is not None:
        if positions is not None or frame is not None:
            raise ValueError(
                f"{path}: the file gives longitudes and latitudes; drop positions=/frame=."
            )
        lonlat = table.lonlat
    elif table.local is not None and frame is not None:
        if positions is not None:
            raise ValueError("read_gps: give frame= or positions=, not both.")
        lonlat = np.stack(frame.to_geographic(table.local[:, 0], table.local[:, 1]), axis=-1)
    elif positions is not None:
        known = _position_lookup(positions)
        keep = np.asarray([s in known for s in table.names], bool)
        if not keep.all():
            absent = [
                (ln, s) for s, ln, k in zip(table.names, table.lines, keep, strict=True) if not k
            ]
            listing = ", ".join(f"{s} (line {ln})" for ln, s in absent[:8])
            msg = f"{path}: {len(absent)} station(s) have no position in `positions`: {listing}"
            if missing == "raise":
                raise ValueError(
                    msg + ("..." if len(absent) > 8 else "") + "; missing='drop' skips them."
                )
            warnings.warn(msg + ("..." if len(absent) > 8 else "") + "; dropped.", stacklevel=2)
        lonlat = np.asarray([known.get(s, (np.nan, np.nan)) for s in table.names]).reshape(-1, 2)
    else:
        if table.local is not None:
            hint = "local north/east coordinates; pass frame=LocalFrame(...) or positions="
        else:
            hint = "station names but no positions; pass positions="
        raise ValueError(
            f"{path}: the file gives {hint}<GPS file, GPSData or {{name: (lon, lat)}}>."
        )
    for k in np.flatnonzero(keep & (np.abs(lonlat[:, 1]) > 90)):
        raise ValueError(
            f"{path}, line {table.lines[k]}: latitude {lonlat[k, 1]:g} outside [-90, 90]."
        )
    for k in np.flatnonzero(keep & ((lonlat[:, 0] < -180) | (lonlat[:, 0] > 360))):
        raise ValueError(
            f"{path}, line {table.lines[k]}: longitude {lonlat[k, 0]:g} outside [-180, 360]."
        )
    for k, c in np.argwhere((table.sigma < 0) & keep[:, None]):
        raise ValueError(f"{path}, line {table.lines[k]}: negative sigma {table.sigma[k, c]:g}.")
    data = GPSData(
        lonlat[keep, 0],
        lonlat[keep, 1],
        table.displacement[keep],
        table.sigma[keep],
        names=[s for s, k in zip(table.names, keep, strict=True) if k],
        source=str(path),
    )
    if vertical is not None:
        other = vertical if isinstance(vertical, GPSData) else read_gps(vertical)
        data = data.merge(other)
    return data
