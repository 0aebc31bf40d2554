"""SRCMOD finite-source (FSP) text files, in their SRCMOD, USGS and GeoNet flavours.

Reference: Mai & Thingbaijam (2014), SRCMOD: an online database of finite-fault rupture
models, Seismol. Res. Lett. 85(6); format at http://equake-rc.info/SRCMOD/fileformats/fsp/.
"""

from __future__ import annotations

import math
import re
from typing import NoReturn

import numpy as np

from .._fault import EventInfo, FaultModel
from ._geo import LocalFrame
from ._slip_common import (
    SlipModelError,
    assemble,
    down_dip_vec,
    finite_or_none,
    layered_rigidity,
    magnitude_from_moment,
    make_frame,
    mean_lonlat,
    parse_date,
    read_text,
    strike_vec,
    to_float,
)

_SECTIONS = {"LOC", "SIZE", "MECH", "RUPT", "INVS"}
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_KV_RE = re.compile(rf"([A-Za-z][A-Za-z0-9_]*)\s*=\s*({_NUM}|[-+]?nan)(?![\w.])", re.IGNORECASE)
_DECL_RE = re.compile(
    r"coordinates\s+are\s+given\s+for\s+(top[-\s]?cent(?:er|re)|cent(?:er|re))", re.IGNORECASE
)

# Location errors that no check inside the file can see (each file is self-consistent),
# documented in the data's README.  Keyed by EventTAG: the corrected hypocentre (lon, lat)
# and why; the patches are re-placed from their X/Y offsets (km) about it.
_KNOWN_LOCATION_ERRORS = {
    "s1995COLIMAmend": (
        -104.579,
        18.864,
        "header latitude -18.864 has the wrong sign (Colima, Mexico is at 18.9 N) and the "
        "patch latitudes follow it; patches re-placed from their X/Y offsets about 18.864 N",
    ),
    "s2002DENALIasan": (
        -147.453,
        63.514,
        "header latitude 61.514 is 2 deg south of the Denali epicentre (63.5 N; the other "
        "Denali model has 63.52 N) and every patch is shifted with it; patches re-placed "
        "from their X/Y offsets about 63.514 N",
    ),
}

# A header patch size "fits" the measured patch spacing within this fraction (plus the
# rounding of the positions).
_FIT = 0.1
# Per-patch strikes more than this (deg, modulo 180) off the direction of their row...
_ROW_ANGLE = 30.0
# ...for more than this fraction of a segment's patches make the geometry unusable.
_ROW_FRACTION = 0.2
# Deepest plausible hypocentre (km): Z columns beyond it are in metres.
_MAX_DEPTH_KM = 800.0


def read_fsp(
    path,
    *,
    origin=None,
    frame: LocalFrame | None = None,
    surface: str = "trim",
) -> FaultModel:
    """Read a SRCMOD finite-source model (`.fsp`): SRCMOD, USGS or GeoNet flavour.

    The file has a `%`-commented header (event, date, hypocentre, Mw and Mo, mechanism,
    grid, velocity structure) and one table per fault segment with a row per patch:
    `LAT LON X Y Z SLIP [RAKE TRUP RISE TW1 ... SF_MOMENT]`, LAT/LON in degrees, X/Y/Z in
    km (Z is depth, positive down), slip in m, rake in degrees.

    How the conventions are settled (every repair is recorded in `model.info.notes`):

    - **Position**: LAT/LON and Z of each patch.  X/Y are checked against them (they are
      often labelled "X==NS Y==EW" while X is east) and used instead only when LAT/LON are
      rounded too coarsely for the patch size.  SRCMOD files give the top centre of each
      patch, USGS files the centre: the file's statement is used, overridden when Z of
      the shallowest row matches the segment's top depth (`Z2top`/`Htop`) only as the
      other convention.
    - **Patch size**: segment `Dx`/`Dz` over the header's, then LEN/Nx and WID/Nz; a value
      that disagrees with the patch spacing by more than 10% is rejected and the measured
      spacing is used.
    - **Slip**: the SLIP column (the total over time windows), else the sum of the `TWn`
      columns (a vector sum with `rkTWn` rakes).  Rake from RAKE, else the time windows,
      else the header RAKE.  Aki & Richards: rake 0 is left-lateral, 90 reverse.
    - **Orientation**: per-patch STRIKE/DIP columns (GeoNet) over the segment's values over
      the header's.  Strike clockwise from north, the fault dipping to its right.
    - **Rigidity** `info.mu` (Pa): the moment-equivalent rigidity `sum(M0_i) / sum(slip_i
      area_i)` from the SF_MOMENT column (USGS), else the header's "assumed shear modulus",
      else `rho vs^2` of the velocity-density table at each patch centroid, weighted by
      slip x area; so `model.moment(info.mu)` is the moment of the authors' model.

    **Arguments:**

    - `path`: file path or text stream.
    - `origin`: `(lon, lat)` in degrees of the local frame; default the hypocentre (else
      the mean patch position).  `frame`: a `LocalFrame` to use instead.
    - `surface`: `"trim"` (default), `"shift"` or `"raise"` for a patch whose top edge is
      above the free surface (USGS grids of patch centres reach up to 1-2 km above it).

    **Returns:** a `FaultModel` in the local ENU frame (m, z up, aeqd projection about
    `info.origin`), with one segment index per patch.

    **Raises:** `ValueError` (`SlipModelError`) naming the file and the line.
    """
    text, source = read_text(path)
    return _Reader(text, source).run(origin=origin, frame=frame, surface=surface)


class _Segment:
    def __init__(self, number: int):
        self.number = number
        self.kv: dict[str, float] = {}


def _canon(token: str) -> str:
    t = token.upper().strip(",;")
    if t.startswith("X=="):
        return "X"
    if t.startswith("Y=="):
        return "Y"
    if t in ("DEPTH", "DEP"):
        return "Z"
    m = re.fullmatch(r"(?:RK|RAKE)TW(\d+)", t)
    if m:
        return f"RKTW{int(m.group(1))}"
    m = re.fullmatch(r"TW(\d+)", t)
    if m:
        return f"TW{int(m.group(1))}"
    return t


def _is_column_header(tokens: list[str]) -> bool:
    up = [t.upper() for t in tokens]
    return len(up) >= 3 and up[0] == "LAT" and "LON" in up[:3] and ("Z" in up or "SLIP" in up)


def _decimals(token: str) -> int:
    mant = token.lower().split("e")[0]
    return len(mant.split(".")[1]) if "." in mant else 0


class _Reader:
    """One pass over the lines, then the geometry, per segment."""

    def __init__(self, text: str, source: str):
        self.lines = text.splitlines()
        self.source = source
        self.notes: list[str] = []
        self.header: dict[str, dict[str, float]] = {}
        self.plain: dict[str, float] = {}
        self.segments: list[_Segment] = []
        self.event_line = ""
        self.tag = ""
        self.declared: str | None = None
        self.block_columns: list[list[str]] = []
        self.block_labels: list[list[str]] = []
        self.rows: list[tuple[int, int, int, list[float]]] = []  # line, segment, block, values
        self.latlon_decimals = 99
        self.shear_modulus: float | None = None
        self.layers: list[list[float]] = []
        self.layer_columns: tuple[int, int, int] | None = None
        self.layer_count: float | None = None
        self.modulus_scale = 1.0
        self.xy_enu: np.ndarray | None = None
        self.hypo: tuple[float, float, float] | None = None

    def fail(self, line, why) -> NoReturn:
        raise SlipModelError(self.source, line, why)

    # -- pass over the text -----------------------------------------------------------
    def scan(self):
        columns = None
        stray_before = 0
        stray_tokens: set[str] = set()
        missing_pct = None
        expect_modulus = 0
        in_layers = False
        for lineno, raw in enumerate(self.lines, start=1):
            s = raw.strip()
            if not s:
                continue
            comment = s.startswith("%")
            body = s.lstrip("%").strip()
            tokens = body.split()
            if tokens and _is_column_header(tokens):
                columns = [_canon(t) for t in tokens]
                if len(set(columns)) != len(columns):
                    self.fail(lineno, f"repeated column names in {body!r}.")
                self.block_columns.append(columns)
                self.block_labels.append([t.upper() for t in tokens])
                if not comment and missing_pct is None:
                    missing_pct = lineno
                in_layers = False
                continue
            if comment:
                in_layers, expect_modulus = self._comment(body, in_layers, expect_modulus)
                continue
            if columns is None:
                stray_before += 1
                continue
            self._row(tokens, lineno, columns, stray_tokens)
        if stray_before:
            self.notes.append(
                f"{stray_before} non-comment line(s) before the first column header ignored"
            )
        if missing_pct is not None:
            self.notes.append(f"column-header line without '%' (line {missing_pct})")
        if stray_tokens:
            self.notes.append(f"stray token(s) {sorted(stray_tokens)} in patch rows ignored")
        if not self.block_columns:
            self.fail(
                len(self.lines), "no patch table: no column-header line 'LAT LON ... Z SLIP'."
            )
        if not self.rows:
            self.fail(len(self.lines), "the patch table has no rows.")

    def _comment(self, body, in_layers, expect_modulus):
        low = body.lower()
        up = body.upper()
        if expect_modulus:
            t = body.split()
            if len(t) == 1 and _FLOATISH.match(t[0]):
                v = finite_or_none(t[0])
                if v is not None and v > 0:
                    self.shear_modulus = v * self.modulus_scale
                expect_modulus = 0
            elif "10**10" in body or "10^10" in body:
                self.modulus_scale = 1e10
                expect_modulus -= 1
            else:
                expect_modulus -= 1
            return in_layers, expect_modulus
        if "shear modulus" in low:
            self.modulus_scale = 1.0
            return False, 3
        if "S-VEL" in up or "S_VEL" in up:
            names = [t.upper().replace("_", "-") for t in body.replace("%", " ").split()]
            if "DEPTH" in names and "S-VEL" in names and "DENS" in names:
                self.layer_columns = (
                    names.index("DEPTH"),
                    names.index("S-VEL"),
                    names.index("DENS"),
                )
                self.layers = []
                return True, 0
        if in_layers:
            t = body.replace("%", " ").split()
            if t and all(_FLOATISH.match(x) for x in t):
                self.layers.append([to_float(x) for x in t])
                return True, 0
            if t and t[0].startswith("["):
                return True, 0
            return False, 0
        m = re.search(r"no\.?\s*of\s+layers\s*=\s*(\S+)", low)
        if m:
            self.layer_count = finite_or_none(m.group(1))
        if low.startswith("event") and ":" in body and not low.startswith("eventtag"):
            self.event_line = self.event_line or body.split(":", 1)[1].strip()
            return False, 0
        if low.startswith("eventtag"):
            self.tag = self.tag or (body.split(":", 1)[1].strip() if ":" in body else "")
            return False, 0
        m = _DECL_RE.search(body)
        if m and self.declared is None:
            self.declared = "top" if m.group(1).lower().startswith("top") else "centre"
        head = body.split(":", 1)[0].strip().upper() if ":" in body else ""
        if up.startswith("SEGMENT") and "#" in up:
            m = re.search(r"#\s*(\d+)", body)
            sg = _Segment(int(m.group(1)) if m else len(self.segments) + 1)
            self.segments.append(sg)
            for k, v in _KV_RE.findall(body):
                sg.kv.setdefault(k.upper(), _num(v))
            return False, 0
        if head in _SECTIONS:
            d = self.header.setdefault(head, {})
            for k, v in _KV_RE.findall(body.split(":", 1)[1]):
                d.setdefault(k.upper(), _num(v))
            return False, 0
        target = self.segments[-1].kv if self.segments else self.plain
        for k, v in _KV_RE.findall(body):
            target.setdefault(k.upper(), _num(v))
        return False, 0

    def _row(self, tokens, lineno, columns, stray_tokens):
        values: list[float | None] = []
        for t in tokens:
            try:
                values.append(to_float(t))
            except ValueError:
                values.append(None)
        if len(values) != len(columns) or any(v is None for v in values):
            numeric = [v for v in values if v is not None]
            bad = [t for t, v in zip(tokens, values, strict=True) if v is None]
            if len(numeric) == len(columns) and bad and all(not re.search(r"\d", b) for b in bad):
                stray_tokens.update(bad)
                tokens = [t for t, v in zip(tokens, values, strict=True) if v is not None]
                values = list(numeric)
            elif len(values) != len(columns):
                self.fail(
                    lineno,
                    f"expected {len(columns)} values ({' '.join(self.block_labels[-1])}), "
                    f"found {len(values)}.",
                )
            else:
                self.fail(lineno, f"not a number: {bad[0]!r} (in a patch row).")
        if "LAT" in columns:
            self.latlon_decimals = min(
                self.latlon_decimals, _decimals(tokens[columns.index("LAT")])
            )
        seg = max(len(self.segments) - 1, 0)
        clean = [float(v) for v in values if v is not None]
        self.rows.append((lineno, seg, len(self.block_columns) - 1, clean))

    # -- the model ---------------------------------------------------------------------
    def run(self, *, origin, frame, surface) -> FaultModel:
        self.scan()
        info, hypo = self._event_info()
        n = len(self.rows)
        self.line_no = np.array([r[0] for r in self.rows])
        seg = np.array([r[1] for r in self.rows])
        names = sorted({c for cols in self.block_columns for c in cols})
        col = {c: np.full(n, np.nan) for c in names}
        present = {c: np.zeros(n, bool) for c in names}
        for i, (_, _, b, vals) in enumerate(self.rows):
            for c, v in zip(self.block_columns[b], vals, strict=True):
                col[c][i] = v
                present[c][i] = True
        full = {c: bool(present[c].all()) for c in names}
        self.col, self.full = col, full
        if not self.segments:
            self.segments = [_Segment(1)]
        self._check_counts(seg)

        # -- positions ---------------------------------------------------------------
        if not full.get("Z"):
            i = int(np.argmin(present["Z"])) if "Z" in present else 0
            self.fail(int(self.line_no[i]), "patch rows lack a Z (depth) column.")
        z_km = col["Z"].copy()
        self._finite(z_km, "Z")
        if np.nanmax(z_km) > _MAX_DEPTH_KM:
            if np.nanmax(z_km) / 1e3 > _MAX_DEPTH_KM:
                i = int(np.nanargmax(z_km))
                self.fail(
                    int(self.line_no[i]), f"patch {i}: depth Z = {z_km[i]:g} km is impossible."
                )
            z_km = z_km / 1e3
            self.notes.append(
                f"Z column in metres (deepest {1e3 * np.nanmax(z_km):g}), not km: divided by 1000"
            )
        lon, lat = self._positions(info, hypo)
        fix = _KNOWN_LOCATION_ERRORS.get(info.tag)
        if fix is not None and hypo is not None:
            hypo = (fix[0], fix[1], hypo[2])
            info = info.replace(hypocentre=hypo)
        self.hypo = hypo
        fr = make_frame(
            origin=origin,
            frame=frame,
            fallback=(hypo[0], hypo[1]) if hypo is not None else mean_lonlat(lon, lat),
        )
        if fr is None:  # pragma: no cover - the fallback origin is always valid
            raise SlipModelError(self.source, None, "no usable frame origin.")
        info = info.replace(origin=(float(fr.lon0), float(fr.lat0)), frame=fr)
        if self.xy_enu is not None and hypo is not None:
            hx, hy = fr.to_local(hypo[0], hypo[1])
            xy = self.xy_enu + np.array([float(hx), float(hy)])
        else:
            xy = np.stack(fr.to_local(lon, lat), axis=-1)
        point = np.concatenate([xy, -1e3 * z_km[:, None]], axis=1)

        # -- orientation, slip --------------------------------------------------------
        mech = self.header.get("MECH", {})
        strike, dip = np.full(n, np.nan), np.full(n, np.nan)
        for k, sg in enumerate(self.segments):
            m = seg == k
            strike[m] = _first(sg.kv.get("STRIKE"), mech.get("STRK"))
            dip[m] = _first(sg.kv.get("DIP"), mech.get("DIP"))
        for c, arr in (("STRIKE", strike), ("DIP", dip)):
            if c in col:
                arr[present[c]] = col[c][present[c]]
        self._finite(strike, "strike (no column, segment or header value)")
        self._finite(dip, "dip (no column, segment or header value)")
        slip, rake = self._slip_and_rake(mech)

        # -- size and reference point, per segment -------------------------------------
        length, width = np.full(n, np.nan), np.full(n, np.nan)
        reference = np.empty(n, dtype=object)
        for k in range(len(self.segments)):
            m = seg == k
            if m.any():
                self._segment(k, m, point, z_km, lon, lat, strike, dip, length, width, reference)

        mu = self._rigidity(point, reference, length, width, dip, strike, slip)
        if mu is not None:
            info = info.replace(mu=mu)
        return assemble(
            self.source,
            point=point,
            reference=reference,
            strike=strike,
            dip=dip,
            length=length,
            width=width,
            slip=slip,
            rake=rake,
            segment=seg,
            lines=self.line_no,
            info=info,
            notes=self.notes,
            surface=surface,
        )

    def _finite(self, a, what):
        bad = ~np.isfinite(a)
        if bad.any():
            i = int(np.argmax(bad))
            self.fail(int(self.line_no[i]), f"patch {i}: no valid {what}.")

    def _check_counts(self, seg):
        n = len(seg)
        found = int(seg.max()) + 1
        if found < len(self.segments):
            empty = [s.number for k, s in enumerate(self.segments) if not (seg == k).any()]
            self.notes.append(f"segment(s) {empty} have no patch rows")
        nsg = finite_or_none(self.header.get("INVS", {}).get("NSG"))
        if nsg is not None and int(nsg) != len(self.segments):
            self.notes.append(f"header Nsg = {int(nsg)} but {len(self.segments)} segment(s) found")
        for k, sg in enumerate(self.segments):
            want = finite_or_none(sg.kv.get("NSBFS"))
            got = int((seg == k).sum())
            if want is not None and got and int(want) != got:
                self.notes.append(f"segment {k + 1}: Nsbfs = {int(want)} but {got} patch rows")
        want = finite_or_none(self.plain.get("NSBFS"))
        if len(self.segments) == 1 and want is not None and int(want) != n:
            self.notes.append(f"Nsbfs = {int(want)} but {n} patch rows")

    def _event_info(self):
        loc, size = self.header.get("LOC", {}), self.header.get("SIZE", {})
        lat, lon, dep = (finite_or_none(loc.get(k)) for k in ("LAT", "LON", "DEP"))
        hypo = None
        if lat is not None and lon is not None and abs(lat) <= 90.0 and abs(lon) <= 360.0:
            hypo = (lon, lat, dep if dep is not None else math.nan)
            if dep is None:
                self.notes.append("hypocentre depth not given")
        elif lat is not None or lon is not None:
            self.notes.append(f"header hypocentre LAT = {lat}, LON = {lon} unusable")
        time, tnote = parse_date(self.event_line)
        if tnote:
            self.notes.append(tnote)
        name = self.event_line
        m = re.search(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4}|\d{4}/\d{1,2}/\d{1,2}", name)
        if m:
            name = name[: m.start()]
        name = re.sub(r"\s+", " ", name.split("[")[0]).strip(" ,;")
        mw = finite_or_none(size.get("MW"))
        m0 = finite_or_none(size.get("MO"))
        if m0 is not None and m0 <= 0:
            m0 = None
        if mw is not None and m0 is not None:
            d = magnitude_from_moment(m0) - mw
            if abs(d) > 0.1:
                self.notes.append(
                    f"header Mo = {m0:.3g} N m is Mw {mw + d:.2f}, header Mw = {mw:g}"
                )
        tag = self.tag.split()[0] if self.tag.split() else ""
        info = EventInfo(
            name=name, tag=tag, time=time, hypocentre=hypo, mw=mw, m0=m0, source=self.source
        )
        return info, hypo

    def _positions(self, info, hypo):
        """Patch lon/lat (deg); sets self.xy_enu when X/Y offsets (m about the hypocentre)
        are to be used instead."""
        col, full = self.col, self.full
        self.xy_enu = None
        has_ll = full.get("LAT") and full.get("LON")
        has_xy = full.get("X") and full.get("Y")
        labels = next((lb for lb in self.block_labels if any(x.startswith("X==") for x in lb)), [])
        x_label = next((x for x in labels if x.startswith("X==")), None)
        fix = _KNOWN_LOCATION_ERRORS.get(info.tag)
        if has_ll:
            lon, lat = col["LON"].copy(), col["LAT"].copy()
            self._finite(lat, "LAT")
            self._finite(lon, "LON")
            if (np.abs(lat) > 90).any():
                i = int(np.argmax(np.abs(lat) > 90))
                self.fail(
                    int(self.line_no[i]), f"patch {i}: latitude {lat[i]} is outside [-90, 90]."
                )
        elif has_xy and hypo is not None:
            east, north = (
                (col["X"], col["Y"])
                if not x_label or x_label.endswith("EW")
                else (col["Y"], col["X"])
            )
            self._finite(east, "X")
            self._finite(north, "Y")
            self.xy_enu = 1e3 * np.stack([east, north], axis=-1)
            lon, lat = LocalFrame(hypo[0], hypo[1]).to_geographic(
                self.xy_enu[:, 0], self.xy_enu[:, 1]
            )
            self.notes.append("no LAT/LON columns: positions from X/Y (km) about the hypocentre")
            return np.asarray(lon), np.asarray(lat)
        else:
            self.fail(int(self.line_no[0]), "patch rows lack LAT/LON columns.")
        if not (
            has_xy
            and hypo is not None
            and np.isfinite(col["X"]).all()
            and np.isfinite(col["Y"]).all()
        ):
            if fix is not None:
                self.fail(
                    int(self.line_no[0]), "known location error, but no X/Y columns to repair it."
                )
            return lon, lat
        # X/Y against LAT/LON, in an aeqd frame about the file's own epicentre.
        e, nn = LocalFrame(hypo[0], hypo[1]).to_local(lon, lat)
        e, nn = e / 1e3, nn / 1e3
        x, y = col["X"], col["Y"]
        r_x = float(np.sqrt(np.mean((x - e) ** 2 + (y - nn) ** 2)))
        r_y = float(np.sqrt(np.mean((y - e) ** 2 + (x - nn) ** 2)))
        quant = 0.5 * 10.0 ** -min(self.latlon_decimals, 12) * 111.2  # km
        tol = 2.0 * quant + 0.03 * float(np.max(np.hypot(e, nn))) + 0.05
        x_east = r_x <= r_y
        r = min(r_x, r_y)
        if r > tol:
            if fix is not None:
                self.fail(
                    int(self.line_no[0]),
                    "known location error, but X/Y do not match LAT/LON to repair it.",
                )
            self.notes.append(
                f"X/Y columns cannot be reconciled with LAT/LON (rms misfit {r:.3g} km); "
                "positions from LAT/LON"
            )
            return lon, lat
        if x_label is not None and x_label.endswith("EW") != x_east:
            self.notes.append(
                f"columns labelled {x_label} but X is {'east' if x_east else 'north'}"
            )
        east, north = (x, y) if x_east else (y, x)
        if fix is not None:
            self.notes.append(fix[2])
            self.xy_enu = 1e3 * np.stack([east, north], axis=-1)
            lon, lat = LocalFrame(fix[0], fix[1]).to_geographic(
                self.xy_enu[:, 0], self.xy_enu[:, 1]
            )
            return np.asarray(lon), np.asarray(lat)
        sizes = [
            finite_or_none(v)
            for d in [self.header.get("INVS", {})] + [s.kv for s in self.segments]
            for v in (d.get("DX"), d.get("DZ"))
        ]
        sizes = [v for v in sizes if v is not None and v > 0]
        if sizes and quant > 0.1 * min(sizes):
            self.xy_enu = 1e3 * np.stack([east, north], axis=-1)
            self.notes.append(
                f"LAT/LON rounded to {self.latlon_decimals} decimals (+-{1e3 * quant:.0f} m) is "
                f"coarse for {min(sizes):g} km patches: positions from X/Y about the hypocentre"
            )
        return lon, lat

    def _slip_and_rake(self, mech):
        col, full = self.col, self.full
        n = len(self.rows)
        tws = sorted(int(c[2:]) for c in col if re.fullmatch(r"TW\d+", c) and full[c])
        with_rake = bool(tws) and all(full.get(f"RKTW{k}") for k in tws)
        scalar = sum(col[f"TW{k}"] for k in tws) if tws else None
        vec = None
        if with_rake:
            ss = sum(col[f"TW{k}"] * np.cos(np.deg2rad(col[f"RKTW{k}"])) for k in tws)
            ds = sum(col[f"TW{k}"] * np.sin(np.deg2rad(col[f"RKTW{k}"])) for k in tws)
            vec = (np.hypot(ss, ds), np.rad2deg(np.arctan2(ds, ss)))
        if full.get("SLIP"):
            slip = col["SLIP"]
            if scalar is not None:
                tol = 0.02 * max(float(np.nanmax(np.abs(slip))), 1e-3) + 0.005
                d = np.abs(slip - scalar)
                if vec is not None:
                    d = np.minimum(d, np.abs(slip - vec[0]))
                if np.nanmax(d) > tol:
                    i = int(np.nanargmax(d))
                    self.notes.append(
                        f"SLIP differs from the sum over the {len(tws)} time windows by up to "
                        f"{float(d[i]):.3g} m (line {int(self.line_no[i])}); SLIP used"
                    )
        elif scalar is not None:
            slip = vec[0] if vec is not None else scalar
            self.notes.append(f"no SLIP column: slip summed over {len(tws)} time windows")
        elif full.get("SS") and full.get("DS"):
            slip = np.hypot(col["SS"], col["DS"])
        else:
            self.fail(int(self.line_no[0]), "patch rows have no SLIP (or TWn) column.")
        if full.get("RAKE"):
            rake = col["RAKE"]
        elif vec is not None:
            rake = vec[1]
            self.notes.append("no RAKE column: rake of the summed time-window slip vectors")
        elif full.get("SS") and full.get("DS"):
            rake = np.rad2deg(np.arctan2(col["DS"], col["SS"]))
            self.notes.append("no RAKE column: rake from the strike-slip and dip-slip columns")
        else:
            r = finite_or_none(mech.get("RAKE"))
            if r is None:
                self.fail(
                    int(self.line_no[0]),
                    "no RAKE column and no usable header RAKE: the slip direction is unknown.",
                )
            rake = np.full(n, r)
            self.notes.append(f"no RAKE column: header RAKE = {r:g} deg for every patch")
        self._finite(slip, "SLIP")
        self._finite(rake, "RAKE")
        if rake.min() < -180.0 or rake.max() > 360.0:
            self.notes.append(
                f"rakes outside [-180, 360] deg (from {rake.min():g} to {rake.max():g}); "
                "used as angles"
            )
        slip = np.asarray(slip, float)
        neg = slip < 0
        if neg.any():
            self.notes.append(f"{int(neg.sum())} negative slip value(s): slip opposite to the rake")
        return slip, rake

    def _segment(self, k, m, point, z_km, lon, lat, strike, dip, length, width, reference):
        nseg = len(self.segments)
        sg = self.segments[k]
        where = f"segment {k + 1}: " if nseg > 1 else ""
        idx = np.flatnonzero(m)
        if idx.size > 1:
            ll = np.stack([lon[idx], lat[idx]], axis=-1)
            if self.xy_enu is None and np.all(ll == ll[0]):
                self.fail(
                    int(self.line_no[idx[1]]),
                    f"{where}all {idx.size} patch rows give the same LAT/LON "
                    f"({ll[0, 1]:g}, {ll[0, 0]:g}): the table has no per-patch positions.",
                )
        lat_s, lon_s = finite_or_none(sg.kv.get("LAT")), finite_or_none(sg.kv.get("LON"))
        if lat_s is not None and lon_s is not None and self.hypo is not None:
            dlon = abs((lon_s - self.hypo[0] + 180.0) % 360.0 - 180.0)
            if abs(lat_s - self.hypo[1]) > 5.0 or dlon > 5.0:
                self.notes.append(
                    f"{where}top-centre LAT = {lat_s:g}, LON = {lon_s:g} are far from the "
                    "event (km offsets, not degrees?); ignored"
                )
        seg_strike = _circular_median(strike[m])
        seg_dip = float(np.median(dip[m]))
        sp = _spacing(point[m], z_km[m], seg_strike, seg_dip)
        if sp.duplicate is not None:
            i, j = idx[list(sp.duplicate)]
            self.fail(
                int(self.line_no[j]),
                f"patch {j} repeats the position (LAT, LON, Z) of patch {i} (line "
                f"{int(self.line_no[i])}): the table gives no usable patch positions.",
            )
        if sp.row_azimuth is not None:
            off = np.abs((np.asarray(strike[m]) - sp.row_azimuth + 90.0) % 180.0 - 90.0)
            bad = off > _ROW_ANGLE
            if bad.mean() > _ROW_FRACTION:
                i = int(idx[np.argmax(bad)])
                self.fail(
                    int(self.line_no[i]),
                    f"{where}strikes of {int(bad.sum())} of {idx.size} patches (e.g. "
                    f"{strike[i]:g} deg) are more than {_ROW_ANGLE:g} deg off the direction of "
                    f"their patch rows ({sp.row_azimuth:.0f} deg): the STRIKE/DIP values are "
                    "not the orientation of the patches (e.g. per-patch mechanisms).",
                )
            if bad.any():
                self.notes.append(
                    f"{where}{int(bad.sum())} patch strike(s) more than {_ROW_ANGLE:g} deg off "
                    f"the direction of their rows ({sp.row_azimuth:.0f} deg)"
                )
        invs, size = self.header.get("INVS", {}), self.header.get("SIZE", {})
        single = nseg == 1
        quant = (
            0.0 if self.xy_enu is not None else 0.5 * 10.0 ** -min(self.latlon_decimals, 12) * 111.2
        )
        cand_dx = [
            ("segment Dx", sg.kv.get("DX")),
            ("header Dx", invs.get("DX")),
            ("segment LEN/Nx", _div(sg.kv.get("LEN"), sp.n_along)),
            ("header LEN/Nx", _div(size.get("LEN"), invs.get("NX")) if single else None),
        ]
        cand_dz = [
            ("segment Dz", sg.kv.get("DZ")),
            ("header Dz", invs.get("DZ")),
            ("segment WID/Nz", _div(sg.kv.get("WID"), sp.n_down)),
            ("header WID/Nz", _div(size.get("WID"), invs.get("NZ")) if single else None),
        ]
        dx = self._pick(cand_dx, sp.along, "Dx", where, quant)
        dz = self._pick(cand_dz, sp.down, "Dz", where, quant)
        if dx is None or dz is None:
            what = "Dx (patch length)" if dx is None else "Dz (patch width)"
            self.fail(
                int(self.line_no[idx[0]]),
                f"{where}cannot determine {what}: no header value and no spacing to measure.",
            )
        length[m], width[m] = 1e3 * dx, 1e3 * dz
        htop = finite_or_none(sg.kv.get("Z2TOP"))
        if htop is None and single:
            htop = finite_or_none(self.header.get("MECH", {}).get("HTOP"))
        reference[m] = self._reference(z_km[m], dz, seg_dip, htop, where)

    def _pick(self, cands, measured, what, where, quant):
        rejected = []
        for name, v in cands:
            v = finite_or_none(v)
            if v is None or v <= 0:
                continue
            if measured is None or abs(v - measured) <= _FIT * measured + 2.0 * quant:
                if rejected:
                    self.notes.append(
                        f"{where}{', '.join(rejected)} disagree(s) with the patch spacing "
                        f"{measured:.4g} km; {name} = {v:.4g} km used"
                    )
                return v
            rejected.append(f"{name} = {v:.4g} km")
        if measured is None:
            return None
        why = f"{', '.join(rejected)} do not fit" if rejected else "no header value"
        self.notes.append(f"{where}{what} from the patch spacing: {measured:.4g} km ({why})")
        return measured

    def _reference(self, z_km, dz, dip, htop, where):
        """'top' or 'centre' for a segment: the file's statement, checked against Htop."""
        zmin = float(np.min(z_km))
        hv = 0.5 * dz * math.sin(math.radians(dip))
        ref = self.declared or "top"
        if self.declared is None and not any("reference point" in n for n in self.notes):
            self.notes.append("no statement of the reference point: top centre assumed (SRCMOD)")
        if htop is None or hv <= 0:
            return ref
        tol = max(0.02, 0.15 * hv)
        top_fits = abs(zmin - htop) <= tol
        centre_fits = abs(zmin - hv - htop) <= tol
        if ref == "top" and centre_fits and not top_fits:
            self.notes.append(
                f"{where}the file says top centre, but the shallowest Z ({zmin:.4g} km) lies "
                f"half a patch below the top depth {htop:.4g} km: Z taken as patch centres"
            )
            return "centre"
        return ref

    def _rigidity(self, point, reference, length, width, dip, strike, slip):
        area_slip = np.abs(slip) * length * width
        total = float(area_slip.sum())
        if total <= 0:
            return self.shear_modulus
        if self.full.get("SF_MOMENT"):
            mu = float(np.sum(self.col["SF_MOMENT"])) / total
            if 1e9 <= mu <= 2e11:
                self.notes.append(
                    f"mu = {mu:.3g} Pa: moment-equivalent rigidity from the SF_MOMENT column"
                )
                return mu
            self.notes.append(f"SF_MOMENT column not in N m (it implies mu = {mu:.3g} Pa); ignored")
        if self.shear_modulus is not None:
            if 1e9 <= self.shear_modulus <= 2e11:
                self.notes.append(f"mu = {self.shear_modulus:.3g} Pa: the header's shear modulus")
                return self.shear_modulus
            self.notes.append(
                f"header shear modulus {self.shear_modulus:g} Pa implausible; ignored"
            )
        if not self.layers or self.layer_columns is None:
            return None
        jd, jv, jr = self.layer_columns
        rows = [r for r in self.layers if len(r) > max(jd, jv, jr)]
        if self.layer_count is not None and len(rows) != int(self.layer_count):
            self.notes.append(
                f"velocity-density table not used ({len(rows)} rows for "
                f"{int(self.layer_count)} layers)"
            )
            return None
        ref = np.asarray(reference)
        depth = -point[:, 2] + np.where(ref == "top", 0.5, 0.0) * width * np.sin(np.deg2rad(dip))
        mu, why = layered_rigidity(
            [r[jd] for r in rows], [r[jv] for r in rows], [r[jr] for r in rows], depth, area_slip
        )
        if mu is None:
            self.notes.append(f"velocity-density table not used ({why})")
            return None
        self.notes.append(
            f"mu = {mu:.3g} Pa: moment-equivalent rigidity of the velocity-density table "
            "(rho vs^2 at the patch centroids, weighted by slip x area)"
        )
        return mu


_FLOATISH = re.compile(rf"^{_NUM}$")


def _num(v: str) -> float:
    try:
        return float(v)
    except ValueError:
        return math.nan


def _first(*vals):
    for v in vals:
        f = finite_or_none(v)
        if f is not None:
            return f
    return math.nan


def _div(a, b):
    a, b = finite_or_none(a), finite_or_none(b)
    if a is None or b is None or b <= 0 or a <= 0:
        return None
    return a / b


def _circular_median(angles) -> float:
    """The angle (deg) of the patch closest to the circular mean (robust to odd rows)."""
    a = np.deg2rad(np.asarray(angles, float))
    mean = math.atan2(float(np.mean(np.sin(a))), float(np.mean(np.cos(a))))
    d = np.abs((a - mean + np.pi) % (2 * np.pi) - np.pi)
    return float(np.rad2deg(a[int(np.argmin(d))]))


class _Spacing:
    along: float | None = None
    down: float | None = None
    n_along: int = 0
    n_down: int = 0
    duplicate: tuple[int, int] | None = None
    row_azimuth: float | None = None


def _spacing(p, z_km, strike, dip) -> _Spacing:
    """Measured patch spacing (km) along strike and down dip, row/column counts, the first
    pair of patches sharing a position, and the mean azimuth of the rows (deg)."""
    out = _Spacing()
    s = p @ strike_vec(np.float64(strike))
    d = p @ down_dip_vec(np.float64(strike), np.float64(dip))
    keys = np.round(z_km, 3)
    rows = np.unique(keys)
    along, counts, az_vec = [], [], np.zeros(2)
    for r in rows:
        idx = np.flatnonzero(keys == r)
        counts.append(idx.size)
        if idx.size < 2:
            continue
        order = idx[np.argsort(s[idx], kind="stable")]
        ds = np.diff(s[order])
        gap = np.linalg.norm(np.diff(p[order], axis=0), axis=1)
        if out.duplicate is None and (gap < 1.0).any():
            q = int(np.argmax(gap < 1.0))
            out.duplicate = (int(min(order[q], order[q + 1])), int(max(order[q], order[q + 1])))
        along.extend(ds[ds > 1.0])
        if idx.size >= 3:
            # Principal horizontal axis of the row, as a doubled angle (axial average).
            h = p[idx, :2] - p[idx, :2].mean(axis=0)
            w, v = np.linalg.eigh(h.T @ h)
            if w[1] > 4.0 * max(w[0], 1e-9):
                ang = math.atan2(v[0, 1], v[1, 1])
                az_vec += idx.size * np.array([math.cos(2 * ang), math.sin(2 * ang)])
    if along:
        out.along = float(np.median(along)) / 1e3
    if rows.size > 1:
        means = np.sort(np.array([d[keys == r].mean() for r in rows]))
        dd = np.diff(means)
        dd = dd[dd > 1.0]
        if dd.size:
            out.down = float(np.median(dd)) / 1e3
    out.n_along = int(np.median(counts)) if counts else 0
    out.n_down = int(rows.size)
    if math.hypot(float(az_vec[0]), float(az_vec[1])) > 0:
        out.row_azimuth = float(np.rad2deg(0.5 * math.atan2(az_vec[1], az_vec[0]))) % 180.0
    return out
