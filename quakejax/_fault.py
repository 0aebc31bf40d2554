"""Rectangular fault patches in a local east-north-up frame."""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ._types import Array, Float
from .okada._common import is_concrete

# Tolerance (m) for a patch top touching the free surface: rounding in published models puts
# surface-breaking patches a few mm above z = 0.
_SURFACE_TOL = 1.0e-3


@dataclasses.dataclass(frozen=True)
class EventInfo:
    """What a slip-model file says about its earthquake (hashable, so it is static under jit).

    **Fields:**

    - `name`: event name, e.g. "Landers"; `tag`: database tag, e.g. "s1992LANDERwald".
    - `time`: origin time as ISO 8601 UTC text; only the date ("1992-06-28") when the file
      gives no time of day.
    - `hypocentre`: (longitude deg, latitude deg, depth km positive down), or None.
    - `mw`, `m0` (N m): as the file's header gives them, or None.
    - `origin`: (longitude, latitude) in degrees of the local ENU frame of the model's
      coordinates, or None for a purely Cartesian model; `frame`: that frame itself (a
      `quakejax.io.LocalFrame`, which also says its projection), or None.  Code that maps
      the model to geographic coordinates should use `frame` when it is set.
    - `mu`: the rigidity (Pa) the authors used, when the file gives one.
    - `source`: the file it was read from; `notes`: quirks met while reading it.
    """

    name: str = ""
    tag: str = ""
    time: str | None = None
    hypocentre: tuple[float, float, float] | None = None
    mw: float | None = None
    m0: float | None = None
    origin: tuple[float, float] | None = None
    frame: object = None
    mu: float | None = None
    source: str = ""
    notes: tuple[str, ...] = ()

    def local_frame(self):
        """The model's `LocalFrame`: `frame`, else an aeqd frame about `origin` (None if
        neither is known)."""
        if self.frame is not None:
            return self.frame
        if self.origin is None:
            return None
        from .io._geo import LocalFrame

        return LocalFrame(*self.origin)

    def replace(self, **changes) -> EventInfo:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def _as_float(x):
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.result_type(float))


class FaultModel(eqx.Module):
    """Many rectangular dislocation patches, stored as arrays (final).

    Frame: a local Cartesian east-north-up (ENU) frame in metres, z = 0 at the free surface and
    z < 0 in the Earth.  Conventions (Aki & Richards):

    - `strike` in degrees clockwise from north; the fault dips to the right of the strike
      direction.  `dip` in degrees from horizontal, 0 < dip <= 90 (negative dips are accepted
      and mean dipping to the left).
    - `slip[:, 0]` strike slip, > 0 left-lateral; `slip[:, 1]` dip slip, > 0 reverse (hanging
      wall up); `slip[:, 2]` opening, > 0 tensile.  Metres.  With a rake (degrees, counter-
      clockwise from the strike direction in the fault plane), strike slip = s cos(rake) and dip
      slip = s sin(rake): rake 0 is left-lateral, 90 reverse, 180 right-lateral, -90 normal.
    - `centroid` is the centre of each patch; use `from_top_centre` for top-centre positions.
    - `length` along strike and `width` down dip, in metres.

    **Fields:** `centroid (n, 3)` m, `strike (n,)` deg, `dip (n,)` deg, `length (n,)` m,
    `width (n,)` m, `slip (n, 3)` m.  Static (not traced): `segment`, the segment index of
    each patch (a tuple of ints, or None), and `info`, an `EventInfo` with the event metadata
    of a model read from a file (or None).
    """

    centroid: Float[Array, "n 3"]
    strike: Float[Array, " n"]
    dip: Float[Array, " n"]
    length: Float[Array, " n"]
    width: Float[Array, " n"]
    slip: Float[Array, "n 3"]
    segment: tuple[int, ...] | None = eqx.field(static=True, default=None)
    info: EventInfo | None = eqx.field(static=True, default=None)

    def __init__(self, centroid, strike, dip, length, width, slip, *, segment=None, info=None):
        centroid = _as_float(centroid)
        if centroid.ndim == 1:
            centroid = centroid[None, :]
        n = centroid.shape[0]

        def vec(name, v):
            v = _as_float(v)
            if v.ndim == 0:
                v = jnp.broadcast_to(v, (n,))
            if v.shape != (n,):
                raise ValueError(f"{name}: expected shape ({n},) to match centroid, got {v.shape}.")
            return v

        self.centroid = centroid
        self.strike = vec("strike", strike)
        self.dip = vec("dip", dip)
        self.length = vec("length", length)
        self.width = vec("width", width)
        slip = _as_float(slip)
        if slip.ndim == 1 and n == 1:
            slip = slip[None, :]
        if slip.ndim == 2 and slip.shape[1] == 2:
            slip = jnp.concatenate([slip, jnp.zeros((slip.shape[0], 1), slip.dtype)], axis=1)
        if slip.shape != (n, 3):
            raise ValueError(
                f"slip: expected shape ({n}, 3) (strike, dip, opening) or ({n}, 2), "
                f"got {slip.shape}."
            )
        self.slip = slip
        if segment is not None:
            segment = tuple(int(i) for i in np.asarray(segment).reshape(-1))
            if len(segment) != n:
                raise ValueError(f"segment: expected {n} segment indices, got {len(segment)}.")
        self.segment = segment
        if info is not None and not isinstance(info, EventInfo):
            raise TypeError(f"info: expected an EventInfo, got {type(info).__name__}.")
        self.info = info

    def __check_init__(self):
        if self.centroid.ndim != 2 or self.centroid.shape[1] != 3:
            raise ValueError(f"centroid: expected shape (n, 3), got {self.centroid.shape}.")
        if not is_concrete(
            self.centroid, self.strike, self.dip, self.length, self.width, self.slip
        ):
            return  # traced (inside jit/vmap): geometry was validated where it was built
        for name in ("centroid", "strike", "dip", "length", "width", "slip"):
            arr = np.asarray(getattr(self, name))
            bad = ~np.isfinite(arr)
            if bad.any():
                i = int(np.argwhere(bad)[0][0])
                raise ValueError(f"{name}: patch {i} is not finite ({arr[i]!r}).")
        for name in ("length", "width"):
            arr = np.asarray(getattr(self, name))
            if (arr <= 0).any():
                i = int(np.argmax(arr <= 0))
                raise ValueError(f"{name}: patch {i} has {name} {arr[i]!r} m; must be > 0.")
        # numpy, not jnp: eager jnp ops would compile once per patch count.
        dip = np.radians(np.asarray(self.dip, dtype=float))
        top = np.asarray(self.centroid[:, 2], dtype=float) + 0.5 * np.asarray(
            self.width, dtype=float
        ) * np.sin(dip)
        if (top > _SURFACE_TOL).any():
            i = int(np.argmax(top))
            raise ValueError(
                f"patch {i}: its top edge is at z = {top[i]:.3f} m, above the free surface "
                f"(centroid depth {-float(self.centroid[i, 2]):.1f} m, width "
                f"{float(self.width[i]):.1f} m, dip {float(self.dip[i]):.2f} deg)."
            )

    # -- constructors ---------------------------------------------------------------
    @classmethod
    def from_top_centre(cls, top_centre, strike, dip, length, width, slip, **kwargs) -> FaultModel:
        """Patches positioned by the centre of their top edge (ENU, m), as SRCMOD does.

        Keyword arguments (`segment`, `info`) pass through to the constructor.
        """
        top_centre = _as_float(top_centre)
        if top_centre.ndim == 1:
            top_centre = top_centre[None, :]
        down = _down_dip(
            jnp.broadcast_to(_as_float(strike), top_centre.shape[:1]),
            jnp.broadcast_to(_as_float(dip), top_centre.shape[:1]),
        )
        centroid = (
            top_centre
            + 0.5 * jnp.broadcast_to(_as_float(width), top_centre.shape[:1])[:, None] * down
        )
        return cls(centroid, strike, dip, length, width, slip, **kwargs)

    @classmethod
    def planar(
        cls,
        top_centre,
        strike: float | int,
        dip: float | int,
        length: float | int,
        width: float | int,
        n_strike: int,
        n_dip: int,
        *,
        slip=None,
        info: EventInfo | None = None,
    ) -> FaultModel:
        """A plane of `n_strike x n_dip` equal patches, for inversions on a fixed geometry.

        **Arguments:** `top_centre` (3,), the centre of the plane's top edge (ENU, m, up <= 0);
        `strike`, `dip` in degrees (Aki & Richards); `length` along strike and `width` down
        dip in metres; the patch counts; `slip` `(n, 3)` or `(n, 2)` in metres (default 0);
        `info`.

        **Returns:** a `FaultModel` of `n_strike * n_dip` patches ordered along strike first
        (patch `i * n_dip + j` is the i-th along strike, j-th down dip).
        """
        if int(n_strike) < 1 or int(n_dip) < 1:
            raise ValueError(f"planar: need n_strike, n_dip >= 1, got {n_strike}, {n_dip}.")
        if not (float(length) > 0 and float(width) > 0):
            raise ValueError(f"planar: length and width must be > 0 m, got {length}, {width}.")
        top = np.asarray(top_centre, float).reshape(3)
        phi, delta = np.radians(float(strike)), np.radians(float(dip))
        along = np.array([np.sin(phi), np.cos(phi), 0.0])
        down = np.array([np.cos(delta) * np.cos(phi), -np.cos(delta) * np.sin(phi), -np.sin(delta)])
        pl, pw = float(length) / n_strike, float(width) / n_dip
        s = (np.arange(n_strike) + 0.5) * pl - 0.5 * float(length)
        w = (np.arange(n_dip) + 0.5) * pw
        ss, ww = np.meshgrid(s, w, indexing="ij")
        centroid = top + ss.reshape(-1, 1) * along + ww.reshape(-1, 1) * down
        n = centroid.shape[0]
        slip = np.zeros((n, 3)) if slip is None else slip
        return cls(centroid, float(strike), float(dip), pl, pw, slip, info=info)

    @classmethod
    def from_rake(
        cls, centroid, strike, dip, length, width, slip, rake, opening=0.0, **kwargs
    ) -> FaultModel:
        """Patches with slip magnitude (m) and rake (deg, Aki & Richards) instead of components.

        Keyword arguments (`segment`, `info`) pass through to the constructor.
        """
        n = jnp.atleast_2d(_as_float(centroid)).shape[0]
        slip = jnp.broadcast_to(_as_float(slip), (n,))
        r = jnp.broadcast_to(jnp.deg2rad(_as_float(rake)), (n,))
        opening = jnp.broadcast_to(_as_float(opening), (n,))
        comps = jnp.stack([slip * jnp.cos(r), slip * jnp.sin(r), opening], axis=-1)
        return cls(centroid, strike, dip, length, width, comps, **kwargs)

    @classmethod
    def concatenate(cls, faults, *, info=None) -> FaultModel:
        """Join several `FaultModel`s into one.

        Each input becomes its own segment(s): segment indices are offset so that they stay
        distinct.  `info` defaults to the first input's.
        """
        faults = list(faults)
        cat = lambda name: jnp.concatenate([getattr(f, name) for f in faults], axis=0)  # noqa: E731
        segment, offset = [], 0
        for f in faults:
            seg = f.segment if f.segment is not None else (0,) * f.n_patches
            segment.extend(s + offset for s in seg)
            offset += (max(seg) + 1) if seg else 0
        if info is None and faults:
            info = faults[0].info
        return cls(
            *(cat(n) for n in ("centroid", "strike", "dip", "length", "width", "slip")),
            segment=segment,
            info=info,
        )

    # -- derived geometry ---------------------------------------------------------------
    @property
    def n_patches(self) -> int:
        """Number of patches."""
        return self.centroid.shape[0]

    def __len__(self) -> int:
        return self.n_patches

    @property
    def strike_vector(self) -> Float[Array, "n 3"]:
        """Unit vector along strike (ENU)."""
        phi = jnp.deg2rad(self.strike)
        return jnp.stack([jnp.sin(phi), jnp.cos(phi), jnp.zeros_like(phi)], axis=-1)

    @property
    def down_dip_vector(self) -> Float[Array, "n 3"]:
        """Unit vector pointing down dip in the fault plane (ENU)."""
        return _down_dip(self.strike, self.dip)

    @property
    def normal_vector(self) -> Float[Array, "n 3"]:
        """Unit normal pointing into the hanging wall (up for a shallow-dipping fault), ENU."""
        return jnp.cross(self.down_dip_vector, self.strike_vector)

    @property
    def top_centre(self) -> Float[Array, "n 3"]:
        """Centre of each patch's top edge (ENU, m)."""
        return self.centroid - 0.5 * self.width[:, None] * self.down_dip_vector

    @property
    def corners(self) -> Float[Array, "n 4 3"]:
        """Patch corners (ENU, m): top-start, top-end, bottom-end, bottom-start of strike."""
        s = 0.5 * self.length[:, None] * self.strike_vector
        d = 0.5 * self.width[:, None] * self.down_dip_vector
        c = self.centroid
        return jnp.stack([c - s - d, c + s - d, c + s + d, c - s + d], axis=1)

    @property
    def area(self) -> Float[Array, " n"]:
        """Patch area in m^2."""
        return self.length * self.width

    @property
    def slip_magnitude(self) -> Float[Array, " n"]:
        """Shear slip magnitude in m (opening excluded)."""
        return jnp.hypot(self.slip[:, 0], self.slip[:, 1])

    @property
    def rake(self) -> Float[Array, " n"]:
        """Rake in degrees, in (-180, 180]."""
        return jnp.rad2deg(jnp.arctan2(self.slip[:, 1], self.slip[:, 0]))

    def moment(self, mu=3.0e10):
        """Scalar seismic moment sum(mu * |slip| * area) in N m, for shear modulus mu (Pa)."""
        return jnp.sum(mu * self.slip_magnitude * self.area)

    def magnitude(self, mu=3.0e10):
        """Moment magnitude Mw = (2/3)(log10 M0 - 9.1), M0 in N m (IASPEI)."""
        return (2.0 / 3.0) * (jnp.log10(self.moment(mu)) - 9.1)

    def with_slip(self, slip) -> FaultModel:
        """The same geometry with new slip components `(n, 3)` or `(n, 2)` (m)."""
        return self._replace(slip=slip)

    def with_info(self, **changes) -> FaultModel:
        """The same model with some `EventInfo` fields changed (e.g. `time=...`)."""
        return self._replace(info=(self.info or EventInfo()).replace(**changes))

    def _replace(self, *, slip=None, info=None) -> FaultModel:
        return FaultModel(
            self.centroid,
            self.strike,
            self.dip,
            self.length,
            self.width,
            self.slip if slip is None else slip,
            segment=self.segment,
            info=self.info if info is None else info,
        )

    def __getitem__(self, idx) -> FaultModel:
        take = lambda a: jnp.atleast_1d(a[idx]) if a.ndim == 1 else jnp.atleast_2d(a[idx])  # noqa: E731
        return FaultModel(
            take(self.centroid),
            take(self.strike),
            take(self.dip),
            take(self.length),
            take(self.width),
            take(self.slip),
            segment=None if self.segment is None else np.asarray(self.segment)[idx],
            info=self.info,
        )


def numpy_geometry(fault: FaultModel) -> dict[str, np.ndarray]:
    """Patch geometry in numpy (float64): `strike_vector`, `down_dip_vector`,
    `normal_vector` (n, 3), `corners` (n, 4, 3) and `area` (n,), as the properties of the
    same names.  For bookkeeping outside JAX: eager `jnp` properties compile once per patch
    count, which costs more than the arithmetic for a dataset of many differently sized
    models."""
    phi = np.radians(np.asarray(fault.strike, dtype=float))
    delta = np.radians(np.asarray(fault.dip, dtype=float))
    along = np.stack([np.sin(phi), np.cos(phi), np.zeros_like(phi)], axis=-1)
    down = np.stack(
        [np.cos(phi) * np.cos(delta), -np.sin(phi) * np.cos(delta), -np.sin(delta)], axis=-1
    )
    c = np.asarray(fault.centroid, dtype=float)
    length = np.asarray(fault.length, dtype=float)
    width = np.asarray(fault.width, dtype=float)
    s = 0.5 * length[:, None] * along
    d = 0.5 * width[:, None] * down
    return {
        "strike_vector": along,
        "down_dip_vector": down,
        "normal_vector": np.cross(down, along),
        "corners": np.stack([c - s - d, c + s - d, c + s + d, c - s + d], axis=1),
        "area": length * width,
    }


def _down_dip(strike, dip):
    phi = jnp.deg2rad(strike)
    delta = jnp.deg2rad(dip)
    # Horizontal direction of dip is strike + 90 deg (to the right of strike).
    return jnp.stack(
        [jnp.cos(phi) * jnp.cos(delta), -jnp.sin(phi) * jnp.cos(delta), -jnp.sin(delta)], axis=-1
    )


def RectangularPatch(centroid, strike, dip, length, width, slip) -> FaultModel:
    """A single rectangular patch: a `FaultModel` with one patch (same units and conventions)."""
    return FaultModel(
        jnp.reshape(_as_float(centroid), (1, 3)),
        strike,
        dip,
        length,
        width,
        jnp.reshape(_as_float(slip), (1, -1)),
    )
