"""Earthquake catalogs: the `Catalog` type and `read_catalog`.

`read_catalog` recognises the format from the file's content:

- **ComCat CSV** (USGS): header with `time,latitude,longitude,depth,mag,magType,...`.
- **ISC Bulletin CSV**: the ISC web service's CSV output, bare or wrapped in its HTML page.
- **GeoNet CMT CSV** (New Zealand moment tensors): `PublicID,Date,...,Mw,Mo,CD,...`.
- **CSEP CSV** (pycsep): `lon,lat,M,time_string,depth,catalog_id,event_id`.
- **Generic CSV**: `time,latitude,longitude,depth,mag` (ISO 8601, depth km positive down).

All become a `Catalog` in one convention: UTC times (`datetime64[ms]`), longitude wrapped to
[-180, 180) degrees, depth in metres positive down.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import equinox as eqx
import numpy as np
import pandas as pd
from jaxtyping import Float, Shaped

from ._geo import LocalFrame

_MS = "datetime64[ms]"
_DAY = np.timedelta64(86_400_000, "ms")

# Plausibility limits on values as files give them (depth in km): they catch a file in the
# wrong units or a shifted column, while allowing events above sea level (volcanoes, mines)
# and negative magnitudes of dense local networks.
_DEPTH_KM_RANGE = (-15.0, 1000.0)
_MAGNITUDE_RANGE = (-5.0, 10.5)

_DATE_ONLY = re.compile(r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})\s*$")
_DATE_ONLY_US = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def _wrap_lon(lon):
    lon = np.asarray(lon, float)
    # Only values outside [-180, 180) change, so that 179.996 is not rounded to 179.99599...
    return np.where((lon >= -180.0) & (lon < 180.0), lon, (lon + 180.0) % 360.0 - 180.0)


def _as_datetime64(values) -> np.ndarray:
    """Any array-like of times to naive UTC `datetime64[ms]` (naive input is taken as UTC)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.reshape(-1).astype(_MS)
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values).reshape(-1))
    if series.dtype.kind in "biuf":
        if len(series) == 0:
            return np.zeros(0, _MS)
        # Numbers are ambiguous (epoch seconds? days? decimal years?): refuse them.
        raise ValueError(
            "Catalog: times must be datetime64, datetime objects or ISO 8601 text, got numbers."
        )
    if series.dtype.kind == "M" or isinstance(series.dtype, pd.DatetimeTZDtype):
        parsed = pd.to_datetime(series, utc=True)
    else:
        try:
            parsed = pd.to_datetime(series, utc=True, format="ISO8601")
        except (ValueError, TypeError) as err:
            raise ValueError(f"Catalog: cannot read times as ISO 8601 UTC: {err}") from None
    return parsed.dt.tz_localize(None).to_numpy().astype(_MS)


def _as_time_point(t, what: str) -> tuple[np.datetime64, bool]:
    """A time given as datetime64, datetime, date or text, as (UTC datetime64[ms], is_date).

    `is_date` is True when only a calendar date was given (no time of day).
    """
    if isinstance(t, np.datetime64):
        unit = np.datetime_data(t.dtype)[0]
        if np.isnat(t):
            raise ValueError(f"{what}: got NaT.")
        return t.astype(_MS), unit in ("Y", "M", "W", "D")
    if isinstance(t, datetime.datetime):
        ts = pd.Timestamp(t)
        ts = ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts
        return ts.to_datetime64().astype(_MS), False
    if isinstance(t, datetime.date):
        return np.datetime64(t.isoformat(), "D").astype(_MS), True
    if isinstance(t, str):
        m = _DATE_ONLY.match(t)
        if m:
            y, mo, d = (int(g) for g in m.groups())
        elif m := _DATE_ONLY_US.match(t):  # MM/DD/YYYY, as SRCMOD writes dates
            mo, d, y = (int(g) for g in m.groups())
        if m:
            try:
                return np.datetime64(datetime.date(y, mo, d).isoformat(), "D").astype(_MS), True
            except ValueError as err:
                raise ValueError(f"{what}: bad date {t!r} ({err}).") from None
        try:
            ts = pd.Timestamp(t)
        except (ValueError, TypeError) as err:
            raise ValueError(f"{what}: cannot read {t!r} as an ISO 8601 time ({err}).") from None
        if ts is pd.NaT:
            raise ValueError(f"{what}: cannot read {t!r} as a time.")
        ts = ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo is not None else ts
        return ts.to_datetime64().astype(_MS), False
    raise TypeError(
        f"{what}: expected a datetime64, datetime, date or ISO 8601 text, got {type(t).__name__}."
    )


def _as_timedelta_ms(w, what: str) -> np.timedelta64:
    if isinstance(w, datetime.timedelta):
        w = np.timedelta64(w)
    if isinstance(w, np.timedelta64):
        if w < np.timedelta64(0, "ms"):
            raise ValueError(f"{what}: expected a non-negative duration, got {w!r}.")
        return w.astype("timedelta64[ms]")
    w = float(w)
    if not np.isfinite(w) or w < 0:
        raise ValueError(f"{what}: expected a non-negative number of seconds, got {w!r}.")
    return np.timedelta64(int(round(w * 1000.0)), "ms")


class MainshockMatch(NamedTuple):
    """The catalog event that `Catalog.find_mainshock` matched.

    **Fields:** `index` into the catalog; `time_difference` (s), catalog time minus the
    query time (for a date-only query, seconds after 00:00 UTC of that date); `distance_km`,
    the geodesic distance (km, WGS84) from the query epicentre.
    """

    index: int
    time_difference: float
    distance_km: float


class Catalog(eqx.Module):
    """An earthquake catalog: one row per event, as NumPy arrays (final).

    Times are not JAX-friendly, so the fields are NumPy arrays; take `jnp.asarray` of the
    numeric ones where physics needs them.

    **Fields:**

    - `time (n,)`: origin times, UTC, `datetime64[ms]`.
    - `longitude (n,)`, `latitude (n,)`: epicentre in degrees (WGS84); longitude in
      [-180, 180).
    - `depth (n,)`: hypocentre depth in metres, positive down; NaN when unknown.
    - `magnitude (n,)`: NaN when unknown.
    - `magnitude_type (n,)`: the magnitude scale of each event as the file names it (`"mww"`,
      `"MS"`, ...), or None when the file does not say.
    - `name`, `source` (static): a label and the file the catalog was read from.

    **Arguments:** the fields above; `time` may be `datetime64`, `datetime` objects or ISO 8601
    text (naive times are UTC), `longitude` may be in [0, 360), `depth` and `magnitude` may
    be None (all unknown).
    """

    time: Shaped[np.ndarray, " n"]
    longitude: Float[np.ndarray, " n"]
    latitude: Float[np.ndarray, " n"]
    depth: Float[np.ndarray, " n"]
    magnitude: Float[np.ndarray, " n"]
    magnitude_type: Shaped[np.ndarray, " n"] | None
    name: str = eqx.field(static=True)
    source: str = eqx.field(static=True)

    def __init__(
        self,
        time,
        longitude,
        latitude,
        depth=None,
        magnitude=None,
        *,
        magnitude_type=None,
        name: str = "",
        source: str = "",
    ):
        self.time = _as_datetime64(time)
        n = self.time.shape[0]
        self.longitude = _wrap_lon(np.asarray(longitude, float).reshape(-1))
        self.latitude = np.asarray(latitude, float).reshape(-1)
        self.depth = np.full(n, np.nan) if depth is None else np.asarray(depth, float).reshape(-1)
        self.magnitude = (
            np.full(n, np.nan) if magnitude is None else np.asarray(magnitude, float).reshape(-1)
        )
        self.magnitude_type = (
            None if magnitude_type is None else np.asarray(magnitude_type, str).reshape(-1)
        )
        self.name = str(name)
        self.source = str(source)

    def __check_init__(self):
        n = self.time.shape[0]
        fields = {"longitude": self.longitude, "latitude": self.latitude}
        fields |= {"depth": self.depth, "magnitude": self.magnitude}
        if self.magnitude_type is not None:
            fields["magnitude_type"] = self.magnitude_type
        for key, arr in fields.items():
            if arr.shape != (n,):
                raise ValueError(f"Catalog: {key} has shape {arr.shape}; expected ({n},).")
        if np.isnat(self.time).any():
            raise ValueError(f"Catalog: event {int(np.argmax(np.isnat(self.time)))} has no time.")
        for key, lo, hi in (("latitude", -90.0, 90.0), ("longitude", -180.0, 180.0)):
            arr = fields[key]
            bad = ~((arr >= lo) & (arr <= hi))
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(f"Catalog: event {i} has {key} {arr[i]:g} outside [{lo}, {hi}].")
        for key in ("depth", "magnitude"):
            if np.isinf(fields[key]).any():
                i = int(np.argmax(np.isinf(fields[key])))
                raise ValueError(f"Catalog: event {i} has an infinite {key}.")

    # -- basics ---------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.time.shape[0])

    def subset(self, index) -> Catalog:
        """The events at `index`: a boolean mask `(n,)`, integer indices or a slice."""
        if isinstance(index, slice):
            index = np.arange(len(self))[index]
        index = np.asarray(index)
        if index.dtype == bool and index.shape != (len(self),):
            raise ValueError(f"subset: mask shape {index.shape}; expected ({len(self)},).")
        if index.dtype != bool and index.dtype.kind not in "iu":
            raise TypeError(f"subset: expected a boolean mask or integers, got {index.dtype}.")
        take = lambda a: None if a is None else a[index]  # noqa: E731
        return Catalog(
            self.time[index],
            self.longitude[index],
            self.latitude[index],
            self.depth[index],
            self.magnitude[index],
            magnitude_type=take(self.magnitude_type),
            name=self.name,
            source=self.source,
        )

    def sort(self) -> Catalog:
        """The catalog in time order (a stable sort: simultaneous events keep file order)."""
        return self.subset(np.argsort(self.time, kind="stable"))

    @property
    def time_range(self) -> tuple[np.datetime64, np.datetime64]:
        """(first, last) origin time, UTC `datetime64[ms]`; (NaT, NaT) for an empty catalog."""
        if len(self) == 0:
            nat = np.datetime64("NaT", "ms")
            return nat, nat
        return self.time.min(), self.time.max()

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """`(lon_min, lon_max, lat_min, lat_max)` in degrees: the smallest box holding all events.

        A catalog whose epicentres fit in an arc shorter than 180 degrees across the dateline
        (New Zealand, Tonga, Aleutians) gets that arc, with `lon_min > lon_max`, e.g.
        (165.0, -175.0), the convention `select(region=...)` accepts; otherwise the plain
        minimum and maximum longitude.  All NaN when empty.
        """
        if len(self) == 0:
            return (np.nan, np.nan, np.nan, np.nan)
        lon = np.unique(self.longitude)
        gaps = np.diff(np.concatenate([lon, lon[:1] + 360.0]))
        k = int(np.argmax(gaps))  # the largest empty arc lies after lon[k]
        wrapped = k != lon.size - 1 and 360.0 - gaps[k] < 180.0
        lon_min, lon_max = (lon[k + 1], lon[k]) if wrapped else (lon[0], lon[-1])
        lat = self.latitude
        return float(lon_min), float(lon_max), float(lat.min()), float(lat.max())

    # -- selection ------------------------------------------------------------------
    def select(
        self,
        start=None,
        end=None,
        min_magnitude=None,
        max_depth=None,
        region=None,
    ) -> Catalog:
        """Events in a time window, above a magnitude, above a depth and inside a region.

        **Arguments:**

        - `start`, `end`: UTC time window `start <= t < end`, as `datetime64`, `datetime`
          (naive = UTC) or ISO 8601 text ("2019-07-06", "2019-07-06T03:19:53Z").
        - `min_magnitude`: keep `magnitude >= min_magnitude` (events of unknown magnitude
          are dropped).
        - `max_depth`: keep `depth <= max_depth`, in **metres** positive down like `depth`
          (events of unknown depth are dropped).
        - `region`: `(lon_min, lon_max, lat_min, lat_max)` in degrees, edges included.
          `lon_min > lon_max` means the box crosses the dateline: (170, -170, ...) spans
          20 degrees of longitude.

        **Returns:** a new `Catalog` in the same order.
        """
        keep = np.ones(len(self), bool)
        if start is not None:
            keep &= self.time >= _as_time_point(start, "select: start")[0]
        if end is not None:
            keep &= self.time < _as_time_point(end, "select: end")[0]
        if min_magnitude is not None:
            keep &= self.magnitude >= float(min_magnitude)
        if max_depth is not None:
            keep &= self.depth <= float(max_depth)
        if region is not None:
            if len(region) != 4:
                raise ValueError(
                    f"select: region must be (lon_min, lon_max, lat_min, lat_max), got {region!r}."
                )
            lon_min, lon_max, lat_min, lat_max = (float(v) for v in region)
            keep &= (self.latitude >= lat_min) & (self.latitude <= lat_max)
            if lon_max - lon_min < 360.0:
                # Arc measured eastwards from lon_min: handles the dateline and 0-360 input.
                width = (lon_max - lon_min) % 360.0
                keep &= (self.longitude - lon_min) % 360.0 <= width
        return self.subset(keep)

    # -- conversions ----------------------------------------------------------------
    def to_dataframe(self) -> pd.DataFrame:
        """A pandas DataFrame with columns `time` (UTC, tz-aware), `longitude`, `latitude`
        (deg), `depth_m` (m, positive down), `magnitude` and, when known, `magnitude_type`."""
        cols: dict[str, Any] = {
            "time": pd.Series(self.time).dt.tz_localize("UTC"),
            "longitude": self.longitude,
            "latitude": self.latitude,
            "depth_m": self.depth,
            "magnitude": self.magnitude,
        }
        if self.magnitude_type is not None:
            cols["magnitude_type"] = self.magnitude_type
        return pd.DataFrame(cols)

    @classmethod
    def from_dataframe(
        cls,
        df: pd.DataFrame,
        *,
        time: str = "time",
        longitude: str = "longitude",
        latitude: str = "latitude",
        depth: str | None = "depth_m",
        magnitude: str | None = "magnitude",
        magnitude_type: str | None = "magnitude_type",
        depth_unit: str = "m",
        name: str = "",
        source: str = "DataFrame",
    ) -> Catalog:
        """A catalog from a DataFrame, by column names (the inverse of `to_dataframe`).

        **Arguments:** column names for each field.  `depth` and `magnitude` columns must
        exist unless given as None (then all unknown); `magnitude_type` is used when present.
        `depth_unit` is `"m"` or `"km"` (positive down).  Times: datetime columns (naive =
        UTC) or ISO 8601 text.
        """
        if depth_unit not in ("m", "km"):
            raise ValueError(f"from_dataframe: depth_unit must be 'm' or 'km', got {depth_unit!r}.")
        needed = [time, longitude, latitude] + [c for c in (depth, magnitude) if c is not None]
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise ValueError(
                f"from_dataframe: no column(s) {missing}; the DataFrame has {list(df.columns)}."
            )
        num = lambda c: None if c is None else pd.to_numeric(df[c], errors="raise").to_numpy(float)  # noqa: E731
        dep = num(depth)
        if dep is not None and depth_unit == "km":
            dep = dep * 1000.0
        mtype = None
        if magnitude_type is not None and magnitude_type in df.columns:
            mtype = df[magnitude_type].fillna("").astype(str).to_numpy()
        return cls(
            _as_datetime64(df[time]),
            num(longitude),
            num(latitude),
            dep,
            num(magnitude),
            magnitude_type=mtype,
            name=name,
            source=source,
        )

    def enu(self, frame: LocalFrame) -> Float[np.ndarray, "n 3"]:
        """Hypocentres (n, 3) in metres in `frame`'s east-north-up frame; z = -depth (NaN
        where the depth is unknown)."""
        return frame.enu(self.longitude, self.latitude, self.depth)

    # -- statistics -----------------------------------------------------------------
    def completeness_magnitude(self, method: str = "maxc", bin_width=0.1, correction=0.2) -> float:
        """Magnitude of completeness Mc by the maximum-curvature method.

        `"maxc"`: Mc is the magnitude bin with the most events in the non-cumulative
        frequency-magnitude distribution (the point of maximum curvature of the cumulative
        one), Wiemer & Wyss (2000, BSSA 90:859).  MAXC is known to underestimate Mc when the
        distribution rolls off gradually, so `correction` (default +0.2, Woessner & Wiemer
        2005, BSSA 95:684) is added.

        **Arguments:** `bin_width` of the magnitude bins (bins centred on multiples of it);
        `correction` added to the maximum-curvature magnitude.  Events of unknown magnitude
        are ignored.

        **Returns:** Mc (same magnitude scale as the catalog).  Raises `ValueError` for a
        catalog with no magnitudes.
        """
        if method != "maxc":
            raise ValueError(f"completeness_magnitude: unknown method {method!r}; use 'maxc'.")
        if not bin_width > 0:
            raise ValueError(f"completeness_magnitude: bin_width must be > 0, got {bin_width!r}.")
        m = self.magnitude[np.isfinite(self.magnitude)]
        if m.size == 0:
            raise ValueError(
                f"completeness_magnitude: catalog {self.name!r} has no events with a known "
                f"magnitude ({len(self)} events)."
            )
        k = np.round(m / bin_width).astype(np.int64)
        counts = np.bincount(k - k.min())
        # Ties go to the smallest magnitude (argmax returns the first maximum).
        k_max = k.min() + int(np.argmax(counts))
        return float(np.round(k_max * bin_width + correction, 10))

    def find_mainshock(
        self,
        time_or_date,
        lon,
        lat,
        *,
        max_distance_km=100.0,
        time_window=None,
        min_magnitude=None,
    ) -> MainshockMatch | None:
        """The catalog event that best matches a mainshock known by its time (or only date)
        and epicentre.

        Slip models often give only the date of their earthquake; this finds its origin time.

        - **Date only** (a `date`, `datetime64[D]`, or text such as "1999-10-16",
          "1999/10/16" or SRCMOD's "10/16/1999"): the largest-magnitude event within
          `max_distance_km` during that UTC day (widened by `time_window` on both sides,
          default 0, e.g. to allow for a local-time date).  Ties: the nearest.
        - **Time known** (`datetime`, `datetime64[s]`, ISO text with a time of day, naive =
          UTC): the event nearest in time within `time_window` (default 600 s) and
          `max_distance_km`.  Ties: the largest magnitude.

        **Arguments:** `lon`, `lat` (deg) of the mainshock epicentre; `max_distance_km`
        (geodesic, WGS84); `time_window` (s, or a `timedelta`); `min_magnitude` ignores
        smaller events.

        **Returns:** a `MainshockMatch(index, time_difference, distance_km)`, or None when no
        event matches.
        """
        t0, date_only = _as_time_point(time_or_date, "find_mainshock")
        default = 0.0 if date_only else 600.0
        w = _as_timedelta_ms(default if time_window is None else time_window, "time_window")
        if date_only:
            t0 = t0.astype("datetime64[D]").astype(_MS)
            cand = (self.time >= t0 - w) & (self.time < t0 + _DAY + w)
        else:
            cand = np.abs(self.time - t0) <= w
        if min_magnitude is not None:
            cand &= self.magnitude >= float(min_magnitude)
        idx = np.flatnonzero(cand)
        if idx.size == 0:
            return None
        # Azimuthal equidistant distances from the origin are geodesic distances.
        x, y = LocalFrame(float(lon), float(lat), "aeqd").to_local(
            self.longitude[idx], self.latitude[idx]
        )
        dist = np.hypot(x, y) / 1000.0
        near = dist <= float(max_distance_km)
        if not near.any():
            return None
        idx, dist = idx[near], dist[near]
        dt = (self.time[idx] - t0).astype(np.int64) / 1000.0
        mag = np.where(np.isnan(self.magnitude[idx]), -np.inf, self.magnitude[idx])
        # lexsort: last key is primary.
        order = np.lexsort((dist, -mag)) if date_only else np.lexsort((-mag, np.abs(dt)))
        best = int(order[0])
        return MainshockMatch(int(idx[best]), float(dt[best]), float(dist[best]))


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


class _Columns(NamedTuple):
    """Raw text columns of one catalog file, before conversion and checks."""

    lines: np.ndarray  # 1-based file line of each row
    time: pd.Series
    time_kind: str  # "iso" or "geonet" (YYYYMMDDhhmmss)
    longitude: pd.Series
    latitude: pd.Series
    depth_km: pd.Series
    magnitude: pd.Series
    magnitude_type: np.ndarray | None
    event_type: np.ndarray | None = None  # ComCat "type" column


class _Problems:
    """Bad rows found while checking columns; the first reason per row is reported."""

    def __init__(self, n: int):
        self.n = n
        self.checks: list[tuple[np.ndarray, Callable[[int], str]]] = []

    def add(self, mask, describe: Callable[[int], str]):
        mask = np.asarray(mask, bool)
        if mask.any():
            self.checks.append((mask, describe))

    def mask(self) -> np.ndarray:
        out = np.zeros(self.n, bool)
        for m, _ in self.checks:
            out |= m
        return out

    def describe(self, i: int) -> str:
        return next(d(i) for m, d in self.checks if m[i])


def _read_text(path: Path) -> list[str]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise ValueError(
            f"{path}, line {line}: not UTF-8 text (byte {data[err.start]:#04x}); "
            "is this a catalog file?"
        ) from None
    if not text.strip():
        raise ValueError(f"{path}: the file is empty.")
    return _split_lines(text)


def _split_lines(text: str) -> list[str]:
    # Lines end at \n, \r\n or \r only (str.splitlines also splits at form feeds and other
    # separators, which would shift the line numbers that errors report).
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _csv_fields(line: str) -> list[str]:
    return [f.strip() for f in next(csv.reader([line]))]


def _field_count(line: str) -> int:
    if '"' not in line:
        return line.count(",") + 1
    if line.count('"') % 2:
        return -1
    return len(next(csv.reader([line])))


_HEADERS = {
    # format: (required lower-case columns, column roles)
    "geonet_cmt": {
        "publicid",
        "date",
        "latitude",
        "longitude",
        "cd",
        "mw",
    },
    "comcat": {"time", "latitude", "longitude", "depth", "mag", "magtype"},
    "csep": {"lon", "lat", "m", "time_string", "depth"},
    "csv": {"time", "latitude", "longitude", "depth", "mag"},
}
_ROLES = {
    # format: time, longitude, latitude, depth (km), magnitude, magnitude type
    "geonet_cmt": ("date", "longitude", "latitude", "cd", "mw", None),
    "comcat": ("time", "longitude", "latitude", "depth", "mag", "magtype"),
    "csep": ("time_string", "lon", "lat", "depth", "m", None),
    "csv": ("time", "longitude", "latitude", "depth", "mag", None),
}
_FORMATS = ("comcat", "isc", "geonet_cmt", "csep", "csv")


def _is_isc_header(line: str) -> bool:
    return line.replace(" ", "").upper().startswith("EVENTID,AUTHOR,DATE,TIME,LAT,LON")


def _sniff(path: Path, lines: list[str]) -> tuple[str, int]:
    """(format, 0-based index of the header line)."""
    first = next(i for i, ln in enumerate(lines) if ln.strip())
    head = "\n".join(lines[first : first + 40]).lower()
    if head.lstrip().startswith("<") or "<html" in head or "data_type event_catalogue" in head:
        return "isc", first
    if _is_isc_header(lines[first]):
        return "isc", first
    cols = {c.lower() for c in _csv_fields(lines[first])}
    for fmt in ("geonet_cmt", "comcat", "csep", "csv"):
        if _HEADERS[fmt] <= cols:
            return fmt, first
    raise ValueError(
        f"{path}, line {first + 1}: unrecognised catalog header {lines[first][:120]!r}. "
        "Expected a ComCat CSV (time,latitude,longitude,depth,mag,magType,...), an ISC "
        "Bulletin CSV or HTML page, a GeoNet CMT CSV (PublicID,Date,...,Mw,Mo,CD,...), a CSEP "
        "CSV (lon,lat,M,time_string,depth,...) or time,latitude,longitude,depth,mag."
    )


def _line_stats(body: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per line: number of commas, whether it has a double quote, and whether it is blank."""
    n = len(body)
    commas = np.fromiter((ln.count(",") for ln in body), np.int64, n)
    quoted = np.fromiter(('"' in ln for ln in body), bool, n)
    blank = np.fromiter((not ln.strip() for ln in body), bool, n)
    return commas, quoted, blank


def _split_csv(
    path: Path, lines: list[str], header_index: int, fmt: str, line_problems: list
) -> _Columns:
    """Tabular CSV formats through pandas; lines with the wrong field count are set aside."""
    header = _csv_fields(lines[header_index])
    lower = [h.lower() for h in header]
    dup = sorted({h for h in lower if lower.count(h) > 1 and h})
    if dup:
        raise ValueError(f"{path}, line {header_index + 1}: repeated column name(s) {dup}.")
    absent = sorted(_HEADERS[fmt] - set(lower))
    if absent:
        raise ValueError(
            f"{path}, line {header_index + 1}: a {fmt} header needs column(s) {absent}; "
            f"found {header[:12]}."
        )
    nf = len(header)
    body = lines[header_index + 1 :]
    # Field counts are checked before pandas sees the data: pandas pads short rows with NaN,
    # which would turn a truncated line into an event of unknown depth and magnitude.
    commas, quoted, blank = _line_stats(body)
    count = commas + 1
    for j in np.flatnonzero(quoted & ~blank):
        count[j] = _field_count(body[j])
    bad = ~blank & (count != nf)
    for j in np.flatnonzero(bad):
        k = int(count[j])
        if k < 0:
            line_problems.append((header_index + 2 + int(j), "unbalanced double quote"))
        else:
            hint = " (truncated line?)" if k < nf else ""
            why = f"expected {nf} comma-separated fields, found {k}{hint}"
            line_problems.append((header_index + 2 + int(j), why))
    good = np.flatnonzero(~blank & ~bad)
    rows = body if good.size == len(body) else [body[j] for j in good]
    roles = _ROLES[fmt]
    names = [r for r in roles if r is not None]
    extra = ["type"] if fmt == "comcat" and "type" in lower else []
    text_cols = {roles[0], *extra} | ({roles[5]} if roles[5] else set())
    if rows:
        try:
            df = pd.read_csv(
                io.StringIO("\n".join(rows)),
                header=None,
                names=lower,
                usecols=names + extra,
                dtype={c: str for c in text_cols},
                index_col=False,
                skipinitialspace=True,
            )
        except Exception as err:  # any tokenizer surprise becomes a message naming the file
            raise ValueError(f"{path}: cannot parse as a {fmt} CSV: {err}") from None
        if len(df) != len(rows):
            raise ValueError(
                f"{path}: {len(rows)} data lines gave {len(df)} rows; a quoted field spans lines?"
            )
    else:
        df = pd.DataFrame({c: pd.Series([], dtype=str) for c in names + extra})
    text = lambda c: df[c].fillna("").str.strip().to_numpy(str)  # noqa: E731
    mtype = None if roles[5] is None else text(roles[5])
    if fmt == "geonet_cmt":
        mtype = np.full(len(df), "Mw")
    return _Columns(
        lines=good.astype(np.int64) + header_index + 2,
        time=df[roles[0]].str.strip(),
        time_kind="geonet" if fmt == "geonet_cmt" else "iso",
        longitude=df[roles[1]],
        latitude=df[roles[2]],
        depth_km=df[roles[3]],
        magnitude=df[roles[4]],
        magnitude_type=mtype,
        event_type=text("type") if extra else None,
    )


def _preferred_magnitude(triples, preference) -> tuple[str, str]:
    """(magnitude text, type) of the first magnitude of the most preferred class."""
    for prefix in preference:
        for _, mtype, mag in triples:
            if mtype.lower().startswith(prefix):
                return mag, mtype
    return (triples[0][2], triples[0][1]) if triples else ("", "")


def _split_isc(
    path: Path, lines: list[str], start: int, preference, line_problems: list
) -> _Columns:
    """The ISC Bulletin CSV block, found inside its HTML page.

    Rows are ragged (one AUTHOR,TYPE,MAG triple per reported magnitude), so they are split
    in Python; a month of the reviewed bulletin is a few thousand lines.
    """
    header = next((i for i in range(start, len(lines)) if _is_isc_header(lines[i])), None)
    if header is None:
        text = re.sub(r"<[^>]*>", " ", "\n".join(lines))
        text = " ".join(text.split())
        raise ValueError(
            f"{path}: no ISC CSV block in this file (no 'EVENTID,AUTHOR,DATE,TIME,LAT,LON,...' "
            f"header line; {len(lines)} lines). The page says: {text[:300]!r}"
        )
    numbers, cols = [], ([], [], [], [], [], [])
    for i in range(header + 1, len(lines)):
        raw = lines[i].strip()
        if not raw:
            continue
        if raw.upper() == "STOP" or raw.startswith("<"):
            break
        f = [x.strip() for x in raw.split(",")]
        while f and not f[-1]:  # the service ends some rows with a comma
            f.pop()
        if len(f) < 6 or not f[0].isdigit():
            line_problems.append((i + 1, f"not an ISC event line (EVENTID,...,LON): {raw[:60]!r}"))
            continue
        f += [""] * (-(len(f) - 8) % 3) if len(f) > 8 else [""] * (8 - len(f))
        triples = [tuple(f[j : j + 3]) for j in range(8, len(f), 3) if f[j + 2]]
        mag, mtype = _preferred_magnitude(triples, preference)
        numbers.append(i + 1)
        for c, v in zip(cols, (f"{f[2]}T{f[3]}", f[5], f[4], f[6], mag, mtype), strict=True):
            c.append(v)
    t, lon, lat, depth, mag = (pd.Series(c, dtype=str) for c in cols[:5])
    return _Columns(
        lines=np.asarray(numbers, np.int64),
        time=t,
        time_kind="iso",
        longitude=lon,
        latitude=lat,
        depth_km=depth,
        magnitude=mag,
        magnitude_type=np.asarray(cols[5], str),
    )


def _numbers(s: pd.Series, what: str, problems: _Problems) -> np.ndarray:
    """Floats from a column that pandas read as numbers, or as text when some are not."""
    if s.dtype.kind in "fiu":
        v = s.to_numpy(float)
    else:
        t = s.astype(str).str.strip()
        v = pd.to_numeric(t, errors="coerce").to_numpy(float)
        given = (s.notna() & (t.str.len() > 0)).to_numpy(bool)
        problems.add(np.isnan(v) & given, lambda i: f"bad {what} {s.iloc[i]!r} (not a number)")
    problems.add(np.isinf(v), lambda i: f"bad {what} {v[i]:g} (infinite)")
    return v


def _times(cols: _Columns, problems: _Problems) -> np.ndarray:
    s = cols.time
    missing = (s.isna() | (s.str.len() == 0)).to_numpy(bool)
    problems.add(missing, lambda i: "missing time")
    if cols.time_kind == "geonet":
        shape, fmt, expect = r"\d{14}", "%Y%m%d%H%M%S", "YYYYMMDDhhmmss"
    else:
        # A date alone ("2019-07") would parse as ISO 8601; a catalog needs the time of day.
        shape = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)? ?(Z|[+-]\d{2}:?\d{2})?"
        fmt, expect = "ISO8601", "ISO 8601, e.g. 2019-07-06T03:19:53.040Z"
    ok = s.str.fullmatch(shape).fillna(False).to_numpy(bool)
    problems.add(~missing & ~ok, lambda i: f"bad time {s.iloc[i]!r} (expected {expect})")
    t = pd.to_datetime(s.where(ok), format=fmt, utc=True, errors="coerce")
    t = t.dt.tz_localize(None).to_numpy()
    problems.add(ok & np.isnat(t), lambda i: f"bad time {s.iloc[i]!r} (no such date or time)")
    return t


def _resolve(
    path: Path, cols: _Columns, problems: _Problems, line_problems, on_error
) -> np.ndarray:
    """Rows to keep; raises, or warns and drops, according to `on_error`."""
    bad = problems.mask()
    n_bad = int(bad.sum()) + len(line_problems)
    if n_bad == 0:
        return ~bad
    found = [(int(cols.lines[i]), problems.describe(int(i))) for i in np.flatnonzero(bad)[:5]]
    found = sorted(found + sorted(line_problems)[:5])[:5]
    if on_error == "raise":
        line, why = found[0]
        more = f" ({n_bad - 1} more bad lines)" if n_bad > 1 else ""
        raise ValueError(
            f"{path}, line {line}: {why}{more}. Fix the file, or pass on_error='drop' to skip "
            "bad lines with a warning."
        )
    listing = "; ".join(f"line {ln}: {why}" for ln, why in found)
    warnings.warn(
        f"{path}: dropped {n_bad} malformed line(s) of {len(cols.lines) + len(line_problems)} "
        f"({listing}{'; ...' if n_bad > len(found) else ''}).",
        stacklevel=3,
    )
    return ~bad


def read_catalog(
    path: str | os.PathLike,
    *,
    format: str | None = None,
    on_error: str = "raise",
    name: str | None = None,
    magnitude_preference: Sequence[str] = ("mw", "ms", "mb"),
    event_types: Sequence[str] | None = None,
    sort: bool = False,
) -> Catalog:
    """Read an earthquake catalog file, recognising its format from the content.

    **Formats** (`format=` forces one):

    - `"comcat"`: USGS ComCat CSV (`time,latitude,longitude,depth,mag,magType,...,type,...`);
      depth km; `magnitude_type` from `magType`.
    - `"isc"`: ISC Bulletin CSV as the ISC web service returns it, HTML page included. Each
      event lists any number of `AUTHOR,TYPE,MAG` triples; the magnitude kept is the first
      listed of the first class in `magnitude_preference` that the event has, matching the
      type's start case-insensitively (default Mw, then Ms, then mb: "MW", "Mww"; "MS",
      "Msz", "msmle"; "mb", "mB", "mbmle", ...); an event with none of these keeps its
      first listed magnitude (ML, MD, ...), and one without any gets NaN.  The ISC lists
      its own (prime) magnitudes first.  Missing depths become NaN.
    - `"geonet_cmt"`: GeoNet moment-tensor CSV: `Date` as `YYYYMMDDhhmmss` (UTC, given to
      the minute), centroid depth `CD` (km), magnitude `Mw`.
    - `"csep"`: pycsep CSV `lon,lat,M,time_string,depth,...` (naive times are UTC, depth km).
    - `"csv"`: `time,latitude,longitude,depth,mag`, ISO 8601 times (naive = UTC), depth in
      km positive down; other columns are ignored.

    **Malformed lines**: with `on_error="raise"` (default) the first bad line raises a
    `ValueError` naming the file, the 1-based line and the reason (bad or missing time,
    latitude outside [-90, 90], longitude outside [-180, 360], depth outside
    [-15, 1000] km, magnitude outside [-5, 10.5], wrong number of fields, ...) and the count
    of other bad lines.  With `on_error="drop"` bad lines are skipped and a warning counts
    them and lists the first few.  Empty depth or magnitude fields are not errors: they
    read as NaN (unknown).

    **Arguments:** `path`; `name` for the catalog (default: the file name without
    extension); `magnitude_preference` (ISC only); `event_types` keeps only these ComCat
    `type` values (e.g. `("earthquake",)`; default: all rows, explosions included); `sort`
    by time (default: file order; ComCat files are newest first).

    **Returns:** a `Catalog` (times UTC, depth in m positive down, longitude in [-180, 180)).
    """
    path = Path(path)
    if on_error not in ("raise", "drop"):
        raise ValueError(f"read_catalog: on_error must be 'raise' or 'drop', got {on_error!r}.")
    if format is not None and format not in _FORMATS:
        raise ValueError(f"read_catalog: format must be one of {_FORMATS}, got {format!r}.")
    lines = _read_text(path)
    fmt, header = _sniff(path, lines)
    if format is not None and format != fmt:
        if format == "isc" or fmt == "isc":
            header = next(i for i, ln in enumerate(lines) if ln.strip())
        fmt = format
    line_problems: list[tuple[int, str]] = []
    if fmt == "isc":
        prefs = tuple(p.lower() for p in magnitude_preference)
        cols = _split_isc(path, lines, header, prefs, line_problems)
    else:
        cols = _split_csv(path, lines, header, fmt, line_problems)

    problems = _Problems(len(cols.lines))
    t = _times(cols, problems)
    lat = _numbers(cols.latitude, "latitude", problems)
    lon = _numbers(cols.longitude, "longitude", problems)
    depth = _numbers(cols.depth_km, "depth", problems)
    mag = _numbers(cols.magnitude, "magnitude", problems)
    for v, what in ((lat, "latitude"), (lon, "longitude")):
        given = problems.mask()  # a value that is present but bad is reported as such
        problems.add(np.isnan(v) & ~given, lambda i, w=what: f"missing {w}")
    problems.add(np.abs(lat) > 90.0, lambda i: f"latitude {lat[i]:g} outside [-90, 90]")
    problems.add(
        (lon < -180.0) | (lon > 360.0), lambda i: f"longitude {lon[i]:g} outside [-180, 360]"
    )
    lo, hi = _DEPTH_KM_RANGE
    problems.add(
        (depth < lo) | (depth > hi),
        lambda i: f"depth {depth[i]:g} km outside [{lo}, {hi}] km (km, positive down)",
    )
    lo, hi = _MAGNITUDE_RANGE
    problems.add((mag < lo) | (mag > hi), lambda i: f"magnitude {mag[i]:g} outside [{lo}, {hi}]")
    keep = _resolve(path, cols, problems, line_problems, on_error)
    if event_types is not None:
        if cols.event_type is None:
            raise ValueError(f"read_catalog: event_types applies to ComCat files; {path} is {fmt}.")
        keep &= np.isin(cols.event_type, list(event_types))
    cat = Catalog(
        t[keep],
        lon[keep],
        lat[keep],
        depth[keep] * 1000.0,
        mag[keep],
        magnitude_type=None if cols.magnitude_type is None else cols.magnitude_type[keep],
        name=path.stem if name is None else name,
        source=str(path),
    )
    return cat.sort() if sort else cat
