"""One rupture + one catalog -> a labelled per-cell stress table (DeVries et al. 2018)."""

from __future__ import annotations

import dataclasses
import time as _time

import numpy as np
import pandas as pd

from .._fault import FaultModel
from ..io._geo import LocalFrame
from ..stress import mean_receiver
from ._context import context_features
from ._features import cell_features, cell_stress
from ._grid import GridSpec, build_grid
from ._table import grid_table

DAY = np.timedelta64(86_400_000, "ms")


@dataclasses.dataclass(frozen=True)
class LabelSpec:
    """Which catalog events label a cell.

    **Fields:** `start`, `end`: the window after the mainshock in seconds (DeVries et al.:
    1 s to 365 days); `min_magnitude`: drop smaller events (None keeps all);
    `match_radius_km`, `match_days`: how far (km from the hypocentre) and how long (days
    either side of the file's date or time) to look for the mainshock in the catalog when
    matching its origin time.
    """

    start: float = 1.0
    end: float = 365.0 * 86_400.0
    min_magnitude: float | None = None
    match_radius_km: float = 150.0
    match_days: float = 1.0

    def __post_init__(self):
        if not (np.isfinite(self.start) and np.isfinite(self.end) and 0 <= self.start < self.end):
            raise ValueError(
                f"LabelSpec: need 0 <= start < end (s after the mainshock), got {self.start}, "
                f"{self.end}."
            )


@dataclasses.dataclass
class EventSummary:
    """What `build_event_table` did for one rupture (one row of the dataset summary)."""

    tag: str
    name: str
    patches: int
    cells: int
    positives: int
    catalog: str
    completeness_magnitude: float
    mainshock_time: str
    time_source: str
    match_seconds: float
    match_km: float
    match_magnitude: float
    events_in_window: int
    receiver: tuple[float, float, float]
    pairs: int
    wall_s: float

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _parse_time(text: str | None):
    if not text:
        return None, False
    t = np.datetime64(text.replace("Z", ""), "ms")
    has_clock = "T" in text or " " in text.strip()
    return t, has_clock


def match_mainshock(fault: FaultModel, catalog, labels: LabelSpec | None = None):
    """Origin time of `fault`'s earthquake (numpy datetime64[ms] UTC) and how it was found.

    The file's date (and time, when given) is compared with the catalog: the largest event
    within `labels.match_radius_km` of the hypocentre and `labels.match_days` of the file's
    time is taken as the mainshock.  Returns `(time, source, seconds, km, magnitude)` with
    `source` one of "catalog" (matched; time from the catalog), "file" (time of day from the
    file, no catalog match) or "date" (only a date, unmatched: the window starts at 00:00 UTC
    of that date, so same-day foreshocks may be counted).
    """
    labels = LabelSpec() if labels is None else labels
    info = fault.info
    t_file, has_clock = _parse_time(info.time if info is not None else None)
    if t_file is None:
        raise ValueError(
            f"{getattr(info, 'source', '') or 'fault'}: no event date in the slip model; pass the "
            "mainshock time explicitly."
        )
    hypo = info.hypocentre
    if hypo is None and info.origin is not None:
        hypo = (info.origin[0], info.origin[1], np.nan)
    nan = float("nan")
    if catalog is not None and hypo is not None and len(catalog):
        zero = np.timedelta64(0, "ms")
        centre = t_file + (zero if has_clock else DAY // 2)
        half = DAY * labels.match_days + (zero if has_clock else DAY // 2)
        near = catalog.select(start=centre - half, end=centre + half)
        if len(near):
            frame = LocalFrame(float(hypo[0]), float(hypo[1]))
            e, n = frame.to_local(near.longitude, near.latitude)
            dist = np.hypot(e, n) / 1e3
            ok = dist <= labels.match_radius_km
            if ok.any():
                mags = np.where(
                    ok, np.nan_to_num(np.asarray(near.magnitude, float), nan=-9.0), -np.inf
                )
                i = int(np.argmax(mags))
                t = np.asarray(near.time)[i].astype("datetime64[ms]")
                dt = float((t - t_file) / np.timedelta64(1, "s"))
                return t, "catalog", dt, float(dist[i]), float(np.asarray(near.magnitude)[i])
    return t_file, ("file" if has_clock else "date"), nan, nan, nan


def build_event_table(
    fault: FaultModel,
    catalog=None,
    *,
    spec: GridSpec | None = None,
    labels: LabelSpec | None = None,
    mu: float = 3.0e10,
    lam: float = 3.0e10,
    friction: float = 0.4,
    receiver: tuple[float, float, float] | None = None,
    regional=None,
    mainshock_time=None,
    dtype=np.float32,
    progress=None,
) -> tuple[pd.DataFrame, EventSummary]:
    """The labelled stress-change grid of one rupture.

    **Arguments:**

    - `fault`: a slip model with `info.origin` (its local frame) and `info.time`, as the
      readers in `quakejax.io` return it.
    - `catalog`: a `quakejax.io.Catalog` for labels (None: an unlabelled table).
    - `spec`, `labels`: grid and label parameters (DeVries et al. 2018 by default).
    - `mu`, `lam` (Pa), `friction`: elastic constants and Coulomb friction.
    - `receiver`: (strike, dip, rake) deg for dCFS; default the mainshock-mean receiver.
    - `regional`: regional stress (3, 3) Pa for optimally oriented dCFS (optional).
    - `mainshock_time`: overrides the catalog match (ISO text or datetime64).
    - `dtype`: precision of the Okada evaluation (float32 by default, for speed; its
      relative error is about 1e-5 of the largest stress, see docs/validation.md).

    **Returns:** `(table, summary)`: the per-cell `pandas.DataFrame` (columns of
    `grid_table`, plus the rupture context of `context_features`: `rupture_distance_km`,
    `nearest_slip_m`, `mean_slip_m`) and an `EventSummary`.
    """
    t_start = _time.perf_counter()
    spec = GridSpec() if spec is None else spec
    labels = LabelSpec() if labels is None else labels
    info = fault.info
    if info is None or info.origin is None:
        raise ValueError(
            "build_event_table: the fault has no geographic origin (info.origin); read it with "
            "quakejax.io or give FaultModel(..., info=EventInfo(origin=(lon, lat), ...))."
        )
    frame = info.local_frame()
    grid = build_grid(fault, spec)
    sigma = cell_stress(
        fault, np.asarray(grid.centroid, dtype=dtype), mu=mu, lam=lam, progress=progress
    )
    if receiver is None:
        receiver = mean_receiver(fault)
    features = cell_features(sigma, receiver, friction=friction, regional=regional)
    features.update(context_features(fault, np.asarray(grid.centroid, dtype=float)))

    counts = None
    t0, source = None, "none"
    dt = km = mag = float("nan")
    n_window = 0
    mc = float("nan")
    if mainshock_time is not None:
        t0, source = np.datetime64(mainshock_time, "ms"), "given"
    elif catalog is not None or (info.time is not None):
        t0, source, dt, km, mag = match_mainshock(fault, catalog, labels)
    if catalog is not None:
        window = catalog.select(
            start=t0 + np.timedelta64(int(round(labels.start * 1000)), "ms"),
            end=t0 + np.timedelta64(int(round(labels.end * 1000)), "ms"),
            min_magnitude=labels.min_magnitude,
        )
        points = window.enu(frame)
        counts = grid.count(points)
        inside = grid.locate(points) >= 0
        n_window = int(inside.sum())
        # Completeness of the events that can label cells.
        mc = _completeness(window.subset(np.flatnonzero(inside)))
    table = grid_table(grid, features, counts, frame=frame)
    summary = EventSummary(
        tag=info.tag,
        name=info.name,
        patches=fault.n_patches,
        cells=len(grid),
        positives=int((counts > 0).sum()) if counts is not None else 0,
        catalog=(getattr(catalog, "name", "") or getattr(catalog, "source", ""))
        if catalog is not None
        else "",
        completeness_magnitude=mc,
        mainshock_time=str(t0) if t0 is not None else "",
        time_source=source,
        match_seconds=dt,
        match_km=km,
        match_magnitude=mag,
        events_in_window=n_window,
        receiver=tuple(float(v) for v in receiver),
        pairs=len(grid) * fault.n_patches,
        wall_s=_time.perf_counter() - t_start,
    )
    return table, summary


def _completeness(catalog) -> float:
    try:
        if catalog is None or len(catalog) < 50:
            return float("nan")
        return float(catalog.completeness_magnitude())
    except ValueError:
        return float("nan")


def choose_catalog(fault: FaultModel, catalogs: dict, *, spec=None, labels=None, near_km=500.0):
    """The best-covering catalog for labelling `fault`'s cells.

    Candidates are the `catalogs` (name -> `Catalog`) whose time span covers the label
    window (allowing a 5% shortfall at its end) and that hold at least one event within
    `near_km` of the frame origin during the window (so a regional catalog far from the
    event is never chosen).  The best has the most events inside the grid during the window;
    ties go to the most events within `near_km`.  Returns `(name or None, {name: (in grid,
    within near_km)})`.
    """
    from ._grid import build_grid

    spec = GridSpec() if spec is None else spec
    labels = LabelSpec() if labels is None else labels
    grid = build_grid(fault, spec)
    frame = fault.info.local_frame()
    t0, *_ = match_mainshock(fault, None, labels)
    end = t0 + np.timedelta64(int(labels.end * 1000), "ms")
    best, best_score, scores = None, (-1, -1), {}
    for name, cat in catalogs.items():
        if not len(cat):
            continue
        t_lo, t_hi = cat.time_range
        if t_lo > t0 or t_hi < t0 + (end - t0) * 0.95:
            continue
        win = cat.select(start=t0, end=end, min_magnitude=labels.min_magnitude)
        if not len(win):
            continue
        xyz = win.enu(frame)
        near = int((np.hypot(xyz[:, 0], xyz[:, 1]) <= near_km * 1e3).sum())
        if near == 0:
            continue
        score = (int((grid.locate(xyz) >= 0).sum()), near)
        scores[name] = score
        if score > best_score:
            best, best_score = name, score
    return best, scores
