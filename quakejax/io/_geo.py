"""Local Cartesian frames around an event, through pyproj."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pyproj


@dataclasses.dataclass(frozen=True)
class LocalFrame:
    """A local east-north frame in metres, centred on (`lon0`, `lat0`) degrees on WGS84.

    `kind` picks the projection:

    - `"aeqd"` (default): azimuthal equidistant; distances and azimuths from the origin are
      exact, so a 100 km circle around the event is a 100 km circle in the frame.
    - `"tmerc"`: transverse Mercator with its central meridian through the origin (scale 1).
    - `"utm"`: UTM zone `zone` (1-60, `south` for the southern hemisphere), shifted so that
      the origin maps to (0, 0); the frame of Unicycle/Relax `.flt` models.

    Depths are not projected: z (m, up) passes through unchanged.
    """

    lon0: float | np.floating
    lat0: float | np.floating
    kind: str = "aeqd"
    zone: int | None = None
    south: bool = False

    def __post_init__(self):
        for name in ("lon0", "lat0"):
            # Plain floats: numpy scalars would print as np.float64(...) in the proj string.
            object.__setattr__(self, name, float(getattr(self, name)))
            v = getattr(self, name)
            if not np.isfinite(v):
                raise ValueError(f"LocalFrame: {name} = {v!r} is not finite.")
        if not -90.0 <= self.lat0 <= 90.0:
            raise ValueError(f"LocalFrame: lat0 = {self.lat0} deg is outside [-90, 90].")
        if self.kind not in ("aeqd", "tmerc", "utm"):
            raise ValueError(
                f"LocalFrame: kind must be 'aeqd', 'tmerc' or 'utm', got {self.kind!r}."
            )
        if self.kind == "utm" and (self.zone is None or not 1 <= int(self.zone) <= 60):
            raise ValueError(f"LocalFrame: a UTM frame needs zone in 1..60, got {self.zone!r}.")

    @property
    def crs(self) -> pyproj.CRS:
        """The projected pyproj CRS (before the UTM origin shift)."""
        if self.kind == "utm":
            south = " +south" if self.south else ""
            return pyproj.CRS.from_proj4(f"+proj=utm +zone={int(self.zone)}{south} +ellps=WGS84")
        return pyproj.CRS.from_proj4(
            f"+proj={self.kind} +lat_0={self.lat0!r} +lon_0={self.lon0!r} +x_0=0 +y_0=0 "
            "+k_0=1 +ellps=WGS84 +units=m"
        )

    @functools.cached_property
    def _transformer(self) -> pyproj.Transformer:
        return pyproj.Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)

    @functools.cached_property
    def _shift(self) -> tuple[float, float]:
        if self.kind != "utm":
            return (0.0, 0.0)
        x, y = self._transformer.transform(self.lon0, self.lat0)
        return (float(x), float(y))

    def to_local(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """Longitude, latitude (deg) to east, north (m) in this frame."""
        lon, lat = np.broadcast_arrays(np.asarray(lon, float), np.asarray(lat, float))
        bad = np.abs(lat) > 90.0
        if bad.any():
            i = int(np.argmax(bad.reshape(-1)))
            raise ValueError(
                f"to_local: latitude {lat.reshape(-1)[i]} deg (index {i}) is outside [-90, 90]."
            )
        # Longitudes wrap (0..360 and -180..180 both occur in real files).
        lon = (lon - self.lon0 + 180.0) % 360.0 - 180.0 + self.lon0
        x, y = self._transformer.transform(lon, lat)
        return np.asarray(x - self._shift[0]), np.asarray(y - self._shift[1])

    def to_geographic(self, east, north) -> tuple[np.ndarray, np.ndarray]:
        """East, north (m) in this frame to longitude, latitude (deg)."""
        east, north = np.broadcast_arrays(np.asarray(east, float), np.asarray(north, float))
        lon, lat = self._transformer.transform(
            east + self._shift[0],
            north + self._shift[1],
            direction=pyproj.enums.TransformDirection.INVERSE,
        )
        return np.asarray(lon), np.asarray(lat)

    def enu(self, lon, lat, depth_m=None) -> np.ndarray:
        """Points (n, 3) in ENU metres from lon, lat (deg) and depth (m, positive down)."""
        x, y = self.to_local(lon, lat)
        z = (
            np.zeros_like(x)
            if depth_m is None
            else -np.broadcast_to(np.asarray(depth_m, float), x.shape)
        )
        return np.stack([x, y, z], axis=-1)
