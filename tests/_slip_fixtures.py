"""Synthetic slip-model files with known geometry, for tests/test_io_slip.py.

Each builder returns the file text (or bytes) and the patches it encodes, in the aeqd
frame about `HYPO` that the readers use by default: centroids in ENU metres (z up),
strike/dip in degrees, length/width in metres and slip components (strike slip, dip
slip) in metres.
"""

from __future__ import annotations

import dataclasses
import io
import math

import numpy as np

from quakejax.io import LocalFrame

HYPO = (139.5, 35.25, 8.0)  # lon, lat (deg), depth (km)
FRAME = LocalFrame(HYPO[0], HYPO[1])
MU = 3.0e10


@dataclasses.dataclass
class Segment:
    """A planar grid of `nx` x `nz` patches; its top edge centre at `top` (E, N m, depth km)."""

    strike: float
    dip: float
    nx: int
    nz: int
    dx_km: float
    dz_km: float
    top: tuple[float, float, float]


@dataclasses.dataclass
class Patches:
    centroid: np.ndarray
    top_centre: np.ndarray
    strike: np.ndarray
    dip: np.ndarray
    length: np.ndarray
    width: np.ndarray
    slip: np.ndarray  # magnitude, m
    rake: np.ndarray  # deg, as written (some outside [-180, 360])
    segment: np.ndarray

    @property
    def components(self) -> np.ndarray:
        r = np.deg2rad(self.rake)
        return np.stack([self.slip * np.cos(r), self.slip * np.sin(r)], axis=-1)

    @property
    def moment(self) -> float:
        return float(MU * np.sum(self.slip * self.length * self.width))


def strike_vec(strike):
    phi = np.deg2rad(strike)
    return np.array([np.sin(phi), np.cos(phi), 0.0])


def down_dip_vec(strike, dip):
    phi, delta = np.deg2rad(strike), np.deg2rad(dip)
    return np.array([np.cos(phi) * np.cos(delta), -np.sin(phi) * np.cos(delta), -np.sin(delta)])


def patches(segments: list[Segment]) -> Patches:
    """Row by row (down dip), along strike within a row; slip and rake vary per patch."""
    out = {k: [] for k in ("c", "t", "s", "d", "l", "w", "slip", "rake", "seg")}
    for k, sg in enumerate(segments):
        s, d = strike_vec(sg.strike), down_dip_vec(sg.strike, sg.dip)
        p0 = np.array([sg.top[0], sg.top[1], -1e3 * sg.top[2]])
        for j in range(sg.nz):
            for i in range(sg.nx):
                t = p0 + (i - 0.5 * (sg.nx - 1)) * 1e3 * sg.dx_km * s + j * 1e3 * sg.dz_km * d
                out["t"].append(t)
                out["c"].append(t + 0.5e3 * sg.dz_km * d)
                out["s"].append(sg.strike)
                out["d"].append(sg.dip)
                out["l"].append(1e3 * sg.dx_km)
                out["w"].append(1e3 * sg.dz_km)
                out["slip"].append(0.5 + 0.25 * i + 0.5 * j + 0.1 * k)
                out["rake"].append(80.0 + 15.0 * i - 20.0 * j + 30.0 * k)
                out["seg"].append(k)
    rake = np.array(out["rake"])
    # Rakes outside [0, 360) as published files have them (same slip direction).
    rake[0] += 360.0
    if rake.size > 2:
        rake[2] -= 360.0
    return Patches(
        np.array(out["c"]), np.array(out["t"]), np.array(out["s"]), np.array(out["d"]),
        np.array(out["l"]), np.array(out["w"]), np.array(out["slip"]), rake, np.array(out["seg"]),
    )  # fmt: skip


TWO_SEGMENTS = [
    Segment(strike=30.0, dip=60.0, nx=3, nz=2, dx_km=2.0, dz_km=1.5, top=(0.0, 0.0, 1.0)),
    # The next segment's strike is flipped by 180 deg (it dips the other way).
    Segment(strike=210.0, dip=60.0, nx=2, nz=2, dx_km=2.0, dz_km=1.5, top=(4000.0, 6928.2, 1.0)),
]
ONE_SEGMENT = [
    Segment(strike=120.0, dip=45.0, nx=2, nz=2, dx_km=3.0, dz_km=2.0, top=(0.0, 0.0, 2.0))
]


def fsp_text(
    segments: list[Segment] = TWO_SEGMENTS,
    *,
    flavour: str = "srcmod",
    percent_header: bool = True,
    rake_column: bool = True,
    list_centres: bool = False,
    header_dx: float | None = None,
    segment_dx: bool = True,
    header_rake: float | str = 95.0,
    time_windows: str = "",
    date: str = "06/28/1992",
) -> tuple[str, Patches]:
    """An FSP file for `segments`.

    - `flavour="srcmod"`: positions of the top centres, "X==NS Y==EW" labels with X east
      (the common mislabelling); `"usgs"`: positions of the centres and an SF_MOMENT
      column (mu = 3.3e10).
    - `list_centres`: a SRCMOD file that says top centre but lists centres.
    - `time_windows`: `"scalar"` (SLIP plus TW1..TW2 that sum to it) or `"vector"` (no
      SLIP/RAKE, TW1/rkTW1, TW2/rkTW2 whose vector sum is the slip).
    """
    p = patches(segments)
    usgs = flavour == "usgs"
    centres = usgs or list_centres
    ref = p.centroid if centres else p.top_centre
    lon, lat = FRAME.to_geographic(ref[:, 0], ref[:, 1])
    depth_km = -ref[:, 2] / 1e3
    single = len(segments) == 1
    sg0 = segments[0]
    mo = 1.1 * p.moment if usgs else p.moment
    mw = (2.0 / 3.0) * (math.log10(mo) - 9.1)
    dx = sg0.dx_km if header_dx is None else header_dx
    htop = min(s.top[2] for s in segments)
    lines = [
        "% ----------------------------------  FINITE-SOURCE RUPTURE MODEL  ---------------",
        "%",
        f"% Event : Synthetic Ridge (Nowhere)   {date}   [Test et al. (2024)]",
        "% EventTAG: s1992SYNTHEtest",
        "%",
        f"% Loc  : LAT = {HYPO[1]}   LON = {HYPO[0]}   DEP = {HYPO[2]}",
        f"% Size : LEN = {sg0.nx * sg0.dx_km:.2f} km   WID = {sg0.nz * sg0.dz_km:.2f} km   "
        f"Mw = {mw:.3f}   Mo = {mo:.6e} Nm",
        f"% Mech : STRK = {sg0.strike:g}   DIP = {sg0.dip:g}   RAKE = {header_rake}   "
        f"Htop = {htop:.2f} km",
        "% Rupt : HypX = 3.00 km   HypZ = 2.00 km   avTr = nan s   avVr = nan km/s",
        "%",
        f"% Invs : Nx = {sg0.nx}   Nz = {sg0.nz}   Fmin = 0.01 Hz   Fmax = 1.0 Hz",
        f"% Invs : Dx = {dx:.2f} km   Dz = {sg0.dz_km:.2f} km",
        f"% Invs : Ntw = 2   Nsg = {len(segments)}   (# of time-windows,# of fault segments)",
        "%",
        "% SOURCE MODEL PARAMETERS",
        "%   X,Y,Z coordinates in km; SLIP in m",
        "%",
        f"%   Coordinates are given for {'center' if usgs else 'top-center'} of each subfault "
        "or segment: |'|",
        "%   Origin of local coordinate system at epicenter: X (EW) = 0,  Y (NS) = 0",
    ]
    cols = ["LAT", "LON", "X==EW", "Y==NS"] if usgs else ["LAT", "LON", "X==NS", "Y==EW"]
    cols += ["Z"]
    if time_windows == "vector":
        cols += ["TW1", "rkTW1", "TW2", "rkTW2"]
    else:
        cols += ["SLIP"] + (["RAKE"] if rake_column else [])
        if time_windows == "scalar":
            cols += ["TW1", "TW2"]
    if usgs:
        cols += ["TRUP", "RISE", "SF_MOMENT"]
    header_line = ("% " if percent_header else "  ") + "  ".join(cols)
    for k, sg in enumerate(segments):
        idx = np.flatnonzero(p.segment == k)
        if not single:
            lines += [
                f"% SEGMENT # {k + 1}: STRIKE = {sg.strike:g} deg   DIP = {sg.dip:g} deg",
                f"%   LEN = {sg.nx * sg.dx_km:.2f} km   WID = {sg.nz * sg.dz_km:.2f} km",
            ]
            if segment_dx:
                lines.append(f"%   Dx = {sg.dx_km:.3f} km   Dz = {sg.dz_km:.3f} km")
            lines += [
                f"%   depth to top: Z2top = {sg.top[2]:.3f} km",
                "%   coordinates of top-center:",
                f"%   LAT = {-8.2:.4f}, LON = {-5.7:.4f}",  # km, not degrees (a real quirk)
                f"%   Nsbfs = {idx.size} subfaults",
            ]
        elif list_centres:
            lines.append(f"%   depth to top: Z2top = {sg.top[2]:.3f} km")
        lines += [header_line, "% " + "-" * 60]
        for i in idx:
            row = [f"{lat[i]:.8f}", f"{lon[i]:.8f}"]
            e, n = ref[i, 0] / 1e3, ref[i, 1] / 1e3
            row += [f"{e:.6f}", f"{n:.6f}"]  # X is east under either label
            row.append(f"{depth_km[i]:.6f}")
            if time_windows == "vector":
                # Two windows 30 deg either side whose sum is the patch slip vector.
                m = p.slip[i] / (2.0 * math.cos(math.radians(30.0)))
                row += [
                    f"{m:.8f}",
                    f"{p.rake[i] - 30.0:.4f}",
                    f"{m:.8f}",
                    f"{p.rake[i] + 30.0:.4f}",
                ]
            else:
                row.append(f"{p.slip[i]:.6f}")
                if rake_column:
                    row.append(f"{p.rake[i]:.4f}")
                if time_windows == "scalar":
                    row += [f"{0.25 * p.slip[i]:.6f}", f"{0.75 * p.slip[i]:.6f}"]
            if usgs:
                row += ["1.0", "2.0", f"{3.3e10 * p.slip[i] * p.length[i] * p.width[i]:.6e}"]
            lines.append("   " + "  ".join(row))
    return "\n".join(lines) + "\n", p


def named(text: str, name: str = "synthetic.fsp") -> io.StringIO:
    """A text stream with a file name (readers put it in their error messages)."""
    s = io.StringIO(text)
    s.name = name
    return s


def flt_text(*, dip: float = 60.0, comment_origin: bool = False) -> tuple[str, Patches]:
    """A `.flt` table of the ONE_SEGMENT patches (metres, x1 north, x2 east, x3 down)."""
    seg = dataclasses.replace(ONE_SEGMENT[0], dip=dip)
    p = patches([seg])
    lines = []
    if comment_origin:
        lines.append("# reference point: 142.369E, 38.322N, UTM zone 54 (619669.75,4242429.17)")
    lines.append("# n   slip         x1         x2       x3  length  width strike  dip  rake")
    for i in range(len(p.slip)):
        s, d = strike_vec(p.strike[i]), down_dip_vec(p.strike[i], p.dip[i])
        corner = p.centroid[i] - 0.5 * p.length[i] * s - 0.5 * p.width[i] * d
        lines.append(
            f"{i + 1:03d} {p.slip[i]:.6f} {corner[1]:.4f} {corner[0]:.4f} {-corner[2]:.4f} "
            f"{p.length[i]:.1f} {p.width[i]:.1f} {p.strike[i]:g} {p.dip[i]:g} {p.rake[i]:.4f}"
        )
    return "\n".join(lines) + "\n", p


def hamling_text() -> tuple[str, Patches]:
    """A Hamling et al. (2017) style table: two faults (index 1 and 2)."""
    segs = [
        Segment(strike=218.0, dip=70.0, nx=2, nz=2, dx_km=2.0, dz_km=3.0, top=(0.0, 0.0, 0.0)),
        Segment(strike=40.0, dip=30.0, nx=2, nz=1, dx_km=3.0, dz_km=4.0, top=(8000.0, 2000.0, 5.0)),
    ]
    p = patches(segs)
    lon, lat = FRAME.to_geographic(p.centroid[:, 0], p.centroid[:, 1])
    top = (-p.centroid[:, 2] - 0.5 * p.width * np.sin(np.deg2rad(p.dip))) / 1e3
    bottom = (-p.centroid[:, 2] + 0.5 * p.width * np.sin(np.deg2rad(p.dip))) / 1e3
    lines = [
        "Fault index 1 = needles segment",
        "Fault index 2 = interface",
        "longditude (centre of patch), latitude (centre of patch), strike, dip, rake, slip (m), "
        "length (km), top of patch (km), bottom of patch (km) index",
    ]
    for i in range(len(p.slip)):
        lines.append(
            f"{lon[i]:.8f} {lat[i]:.8f} {p.strike[i]:.6f} {p.dip[i]:.6f} {p.rake[i]:.6f} "
            f"{p.slip[i]:.6f} {p.length[i] / 1e3:.6f} {top[i]:.8f} {bottom[i]:.8f}\t"
            f"{p.segment[i] + 1:.7e}"
        )
    return "\n".join(lines) + "\n", p


def param_text(*, old_style: bool = True, ns: int = 3, nd: int = 3) -> tuple[str, Patches]:
    """A USGS `.param` file.  Old style: rows give each subfault's first point source
    (of `ns` x `nd`), and the boundary runs through the outermost point sources; new
    style: rows and boundary at the subfault centres."""
    sg = Segment(strike=240.0, dip=20.0, nx=4, nz=3, dx_km=4.0, dz_km=3.0, top=(0.0, 0.0, 3.0))
    p = patches([sg])
    s, d = strike_vec(sg.strike), down_dip_vec(sg.strike, sg.dip)
    a = 0.5e3 * sg.dx_km * (1.0 - 1.0 / ns) if old_style else 0.0
    b = 0.5e3 * sg.dz_km * (1.0 - 1.0 / nd) if old_style else 0.0
    rows = p.centroid - a * s - b * d
    grid = p.centroid.reshape(sg.nz, sg.nx, 3)
    corners = np.array(
        [
            grid[0, 0] - a * s - b * d,
            grid[0, -1] + a * s - b * d,
            grid[-1, -1] + a * s + b * d,
            grid[-1, 0] - a * s + b * d,
        ]
    )
    corners = np.concatenate([corners, corners[:1]])

    def geo(pts):
        lon, lat = FRAME.to_geographic(pts[:, 0], pts[:, 1])
        return lon, lat, -pts[:, 2] / 1e3

    lines = [
        "#Total number of fault_segments=     1",
        f"#Fault_segment =   1 nx(Along-strike)=  {sg.nx} Dx=  {sg.dx_km:.2f}km "
        f"ny(downdip)=   {sg.nz} Dy=  {sg.dz_km:.2f}km",
        "#Boundary of Fault_segment     1. EQ in cell 2,2. "
        f"Lon: {HYPO[0]:.4f}   Lat: {HYPO[1]:.4f}",
        "#Lon.  Lat.  Depth",
    ]
    for lo, la, de in zip(*geo(corners), strict=True):
        lines.append(f"   {lo:.8f}   {la:.8f}   {de:.6f}")
    lines.append("#Lat. Lon. depth slip rake strike dip t_rup t_ris t_fal mo")
    for i, (lo, la, de) in enumerate(zip(*geo(rows), strict=True)):
        mo_dyne_cm = MU * p.slip[i] * p.length[i] * p.width[i] * 1e7
        lines.append(
            f"  {la:.8f}  {lo:.8f}  {de:.6f}  {100.0 * p.slip[i]:.6f}  {p.rake[i]:.6f}  "
            f"{sg.strike:.6f}  {sg.dip:.6f}  1.0  1.0  1.0  {mo_dyne_cm:.6e}"
        )
    return "\n".join(lines) + "\n", p


def mat_bytes() -> tuple[bytes, Patches]:
    """A single-segment SRCMOD struct with centre positions (told apart by Z2top)."""
    from scipy.io import savemat

    sg = Segment(strike=155.0, dip=45.0, nx=3, nz=2, dx_km=1.2, dz_km=1.0, top=(0.0, 0.0, 1.5))
    p = patches([sg])
    lon, lat = FRAME.to_geographic(p.centroid[:, 0], p.centroid[:, 1])
    shape = (sg.nz, sg.nx)
    struct = {
        "evTAG": "s2016SYNTHE01TEST",
        "event": "Synthetic ",
        "evDAT": "08/24/2016",
        "evLAT": HYPO[1],
        "evLON": HYPO[0],
        "evDPT": "8.00",
        "srcMwMoS": np.array([(2.0 / 3.0) * (math.log10(p.moment) - 9.1), p.moment]),
        "srcAStke": sg.strike,
        "srcDipAn": sg.dip,
        "srcARake": -85.0,
        "srcZ2top": sg.top[2],
        "srcDimWL": np.array([sg.nz * sg.dz_km, sg.nx * sg.dx_km]),
        "invDzDx": np.array([sg.dz_km, sg.dx_km]),
        "invNzNx": np.array([sg.nz, sg.nx], float),
        "invSEGM": 1.0,
        "srcHypXZ": np.array([1.8, 1.0]),
        "geoLAT": lat.reshape(shape),
        "geoLON": lon.reshape(shape),
        "geoZ": (-p.centroid[:, 2] / 1e3).reshape(shape),
        "geoX": (p.centroid[:, 0] / 1e3).reshape(shape),
        "geoY": (p.centroid[:, 1] / 1e3).reshape(shape),
        "slipSPL": (100.0 * p.slip).reshape(shape),
        "RAKE": p.rake.reshape(shape),
        # depth top (km), vp, vs (km/s), rho (g/cm^3), Qp, Qs: mu = 2.5e3 * 3.4641e3^2 = 3e10
        "invVstr": np.array([[0.0, 6.0, 3.4641016, 2.5, 600.0, 300.0]]),
    }
    buf = io.BytesIO()
    savemat(buf, {"s2016SYNTHE01TEST": struct})
    return buf.getvalue(), p
