"""Readers for celeri's block-model inputs.

celeri (Meade & Loveless 2009; github.com/brendanjmeade/celeri) describes a block model with a
config JSON that names four CSV tables (stations, segments, blocks, optional Mogi sources) and a
mesh-parameters JSON that names Gmsh meshes of triangles.  Paths inside a JSON file are relative
to the folder that holds that JSON file.

Every reader returns plain tables (`pandas.DataFrame`) or small typed records, in the file's own
units: longitudes and latitudes in degrees, velocities and sigmas in mm/yr, locking depths in km,
dips in degrees, Euler poles in degrees and rotation rates in degrees per Myr.  Longitudes are
mapped to [0, 360), celeri's convention.  Malformed input raises `BlockFileError` (a
`ValueError`) that names the file and, where it can, the line and column.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd


class BlockFileError(ValueError):
    """A block-model input file is missing or malformed (the message names file and line)."""


# Columns each table must have, and the optional ones with their defaults.
_STATION_REQUIRED = ("lon", "lat", "east_vel", "north_vel", "east_sig", "north_sig")
_STATION_OPTIONAL = {"name": "", "flag": 1, "up_vel": 0.0, "up_sig": 1.0}
_SEGMENT_REQUIRED = ("lon1", "lat1", "lon2", "lat2", "dip", "locking_depth")
_SEGMENT_OPTIONAL = {
    "name": "",
    "locking_depth_flag": 0,
    "ss_rate": 0.0,
    "ss_rate_sig": 1.0,
    "ss_rate_flag": 0,
    "ds_rate": 0.0,
    "ds_rate_sig": 1.0,
    "ds_rate_flag": 0,
    "ts_rate": 0.0,
    "ts_rate_sig": 1.0,
    "ts_rate_flag": 0,
    "mesh_file_index": -1,
    "mesh_flag": 0,
    "create_ribbon_mesh": 0,
}
_BLOCK_REQUIRED = ("interior_lon", "interior_lat")
_BLOCK_OPTIONAL = {
    "name": "",
    "euler_lon": 0.0,
    "euler_lon_sig": 0.0,
    "euler_lat": 0.0,
    "euler_lat_sig": 0.0,
    "rotation_rate": 0.0,
    "rotation_rate_sig": 0.0,
    "rotation_flag": 0,
    "apriori_flag": 0,
    "strain_rate": 0.0,
    "strain_rate_sig": 0.0,
    "strain_rate_flag": 0,
}
_MOGI_REQUIRED = ("lon", "lat", "depth")
_MOGI_OPTIONAL = {
    "name": "",
    "volume_change_flag": 0,
    "volume_change": 0.0,
    "volume_change_sig": 0.0,
}
_TEXT_COLUMNS = ("name",)
_INT_COLUMNS = (
    "flag",
    "locking_depth_flag",
    "ss_rate_flag",
    "ds_rate_flag",
    "ts_rate_flag",
    "mesh_file_index",
    "mesh_flag",
    "create_ribbon_mesh",
    "rotation_flag",
    "apriori_flag",
    "strain_rate_flag",
    "volume_change_flag",
)


def wrap360(lon) -> np.ndarray:
    """Longitude in degrees mapped to [0, 360) (celeri's convention)."""
    lon = np.asarray(lon, dtype=float)
    return np.mod(lon, 360.0)


def _read_table(path, kind: str, required, optional) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise BlockFileError(f"{kind} file not found: {path}")
    try:
        df = pd.read_csv(path, skipinitialspace=True, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise BlockFileError(f"{path}: cannot parse as a CSV {kind} table: {err}") from err
    df.columns = [str(c).strip() for c in df.columns]
    # A trailing comma on every line makes an unnamed, empty last column: drop such columns.
    drop = [c for c in df.columns if c.startswith("Unnamed:") and (df[c].str.strip() == "").all()]
    df = df.drop(columns=drop)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise BlockFileError(
            f"{path}: the {kind} table lacks column(s) {missing}; it has {list(df.columns)}"
        )
    out = {}
    for col in df.columns:
        raw = df[col].astype(str).str.strip()
        if col in _TEXT_COLUMNS:
            out[col] = raw.str.strip('"').to_numpy()
            continue
        values = pd.to_numeric(raw.replace({"": np.nan}), errors="coerce").to_numpy(float)
        bad = np.isnan(values) & (raw.str.lower() != "nan").to_numpy()
        if col in required or col in optional:
            bad |= ~np.isfinite(values)
            if bad.any():
                i = int(np.argmax(bad))
                raise BlockFileError(
                    f"{path}, line {i + 2}, column {col!r}: expected a finite number, got "
                    f"{df[col].iloc[i]!r}"
                )
            if col in _INT_COLUMNS:
                if np.any(values != np.round(values)):
                    i = int(np.argmax(values != np.round(values)))
                    raise BlockFileError(
                        f"{path}, line {i + 2}, column {col!r}: expected an integer flag, got "
                        f"{df[col].iloc[i]!r}"
                    )
                out[col] = values.astype(np.int64)
            else:
                out[col] = values
        else:  # columns we do not use are kept as text where they do not parse
            out[col] = values if not bad.any() else raw.to_numpy()
    for col, default in optional.items():
        if col not in out:
            out[col] = np.full(len(df), default, dtype=type(default) if default != "" else object)
    table = pd.DataFrame(out)
    if len(table) == 0:
        raise BlockFileError(f"{path}: the {kind} table has no rows")
    table.attrs["path"] = str(path)
    return table


def _check_latitudes(table: pd.DataFrame, path, cols):
    for col in cols:
        bad = np.abs(table[col].to_numpy()) > 90.0
        if bad.any():
            i = int(np.argmax(bad))
            raise BlockFileError(
                f"{path}, line {i + 2}, column {col!r}: latitude {table[col].iloc[i]} is outside "
                "[-90, 90] degrees"
            )


def read_stations(path) -> pd.DataFrame:
    """Read a celeri station table: GPS velocities in mm/yr at (lon, lat) in degrees.

    Columns used: `lon, lat, east_vel, north_vel, east_sig, north_sig` (required), `name`,
    `flag` (1 = use), `up_vel, up_sig` (optional).  Sigmas must be positive.
    """
    t = _read_table(path, "station", _STATION_REQUIRED, _STATION_OPTIONAL)
    _check_latitudes(t, path, ["lat"])
    for col in ("east_sig", "north_sig"):
        bad = t[col].to_numpy() <= 0
        if bad.any():
            i = int(np.argmax(bad))
            raise BlockFileError(
                f"{path}, line {i + 2}, column {col!r}: sigma must be positive (mm/yr), got "
                f"{t[col].iloc[i]}"
            )
    t["lon"] = wrap360(t["lon"])
    return t


def read_segments(path) -> pd.DataFrame:
    """Read a celeri segment table: fault traces (degrees), dip (degrees), locking depth (km).

    Zero-length segments (both ends equal) are rejected with the line that holds them.
    """
    t = _read_table(path, "segment", _SEGMENT_REQUIRED, _SEGMENT_OPTIONAL)
    _check_latitudes(t, path, ["lat1", "lat2"])
    t["lon1"] = wrap360(t["lon1"])
    t["lon2"] = wrap360(t["lon2"])
    same = (t["lon1"].to_numpy() == t["lon2"].to_numpy()) & (
        t["lat1"].to_numpy() == t["lat2"].to_numpy()
    )
    if same.any():
        i = int(np.argmax(same))
        raise BlockFileError(f"{path}, line {i + 2}: segment {t['name'].iloc[i]!r} has zero length")
    dip = t["dip"].to_numpy()
    bad = (dip <= 0) | (dip > 180)
    if bad.any():
        i = int(np.argmax(bad))
        raise BlockFileError(
            f"{path}, line {i + 2}, column 'dip': {dip[i]} degrees is outside (0, 180]"
        )
    return t


def read_blocks(path) -> pd.DataFrame:
    """Read a celeri block table: one interior point per block (degrees) and a priori poles."""
    t = _read_table(path, "block", _BLOCK_REQUIRED, _BLOCK_OPTIONAL)
    _check_latitudes(t, path, ["interior_lat"])
    t["interior_lon"] = wrap360(t["interior_lon"])
    t["name"] = [str(n).strip() for n in t["name"]]
    return t


def read_mogi(path) -> pd.DataFrame:
    """Read a celeri Mogi-source table: lon, lat (degrees), depth (km), volume-change flags."""
    t = _read_table(path, "mogi", _MOGI_REQUIRED, _MOGI_OPTIONAL)
    _check_latitudes(t, path, ["lat"])
    t["lon"] = wrap360(t["lon"])
    return t


@dataclasses.dataclass(frozen=True)
class MeshParameters:
    """One entry of a celeri mesh-parameters JSON (weights are dimensionless multipliers).

    `mesh_filename` is resolved to an absolute path.  `coupling_constraints_*` and
    `elastic_constraints_*` are (lower, upper) bounds, `None` meaning unbounded: coupling is a
    fraction of the block-motion slip rate, elastic bounds are slip rates in mm/yr.
    """

    mesh_filename: Path
    smoothing_weight: float = 1.0
    n_modes_strike_slip: int = 10
    n_modes_dip_slip: int = 10
    top_slip_rate_constraint: int = 0
    bot_slip_rate_constraint: int = 0
    side_slip_rate_constraint: int = 0
    top_slip_rate_weight: float = 1.0
    bot_slip_rate_weight: float = 1.0
    side_slip_rate_weight: float = 1.0
    coupling_constraints_ss: tuple = (None, None)
    coupling_constraints_ds: tuple = (None, None)
    elastic_constraints_ss: tuple = (None, None)
    elastic_constraints_ds: tuple = (None, None)
    eigenmode_slip_rate_constraint_weight: float = 1.0
    a_priori_slip_filename: str | None = None


def _read_json(path: Path, kind: str):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as err:
        raise BlockFileError(f"{kind} file not found: {path}") from err
    except json.JSONDecodeError as err:
        raise BlockFileError(f"{path}, line {err.lineno}: invalid JSON: {err.msg}") from err


def read_mesh_parameters(path) -> list[MeshParameters]:
    """Read a celeri mesh-parameters JSON: a list of per-mesh settings."""
    path = Path(path)
    entries = _read_json(path, "mesh-parameters")
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        raise BlockFileError(f"{path}: expected a JSON list of mesh entries")
    known = {f.name for f in dataclasses.fields(MeshParameters)}
    out = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or "mesh_filename" not in e:
            raise BlockFileError(f"{path}: entry {i} has no 'mesh_filename'")
        # Newer celeri names the bottom-edge fields bottom_*; older files use bot_*.
        e = {
            ("bot_" + k[len("bottom_") :] if k.startswith("bottom_") else k): v
            for k, v in e.items()
        }
        kw = {k: v for k, v in e.items() if k in known}
        kw["mesh_filename"] = (path.parent / e["mesh_filename"]).resolve()
        for k in (
            "coupling_constraints_ss",
            "coupling_constraints_ds",
            "elastic_constraints_ss",
            "elastic_constraints_ds",
        ):
            if k in kw:
                v = kw[k]
                if not (isinstance(v, list | tuple) and len(v) == 2):
                    raise BlockFileError(f"{path}: entry {i}, {k!r} must be [lower, upper]")
                kw[k] = tuple(v)
        out.append(MeshParameters(**kw))
    return out


@dataclasses.dataclass(frozen=True)
class TriangleMesh:
    """A triangulated fault surface from a Gmsh file.

    `vertices (p, 3)`: longitude (degrees, [0, 360)), latitude (degrees) and depth coordinate
    as stored by celeri's meshes (km, negative below the surface).  `triangles (m, 3)`: vertex
    indices.  `path`: the source file.
    """

    vertices: np.ndarray
    triangles: np.ndarray
    path: Path

    @property
    def corners(self) -> np.ndarray:
        """(m, 3, 3): each triangle's (lon, lat, depth-km) corners."""
        return self.vertices[self.triangles]


def read_mesh(path) -> TriangleMesh:
    """Read a Gmsh mesh (any version meshio reads) and keep its triangles.

    Vertex coordinates are (longitude in degrees, latitude in degrees, z in km, negative
    down).  Degenerate triangles and vertices above the surface raise `BlockFileError`.
    """
    import meshio

    path = Path(path)
    if not path.is_file():
        raise BlockFileError(f"mesh file not found: {path}")
    try:
        m = meshio.read(path)
    except Exception as err:  # meshio raises many types for malformed files
        raise BlockFileError(f"{path}: cannot read as a Gmsh mesh: {err}") from err
    tris = [c.data for c in m.cells if c.type == "triangle"]
    if not tris:
        raise BlockFileError(f"{path}: the mesh has no triangles")
    triangles = np.concatenate(tris).astype(np.int64)
    pts = np.asarray(m.points, dtype=float).copy()
    if not np.isfinite(pts).all():
        i = int(np.argmax(~np.isfinite(pts).all(axis=1)))
        raise BlockFileError(f"{path}: node {i} has a non-finite coordinate {pts[i].tolist()}")
    pts[:, 0] = wrap360(pts[:, 0])
    if (pts[triangles, 2] > 1e-9).any():
        i = int(np.argmax((pts[triangles, 2] > 1e-9).any(axis=1)))
        raise BlockFileError(
            f"{path}: triangle {i} has a vertex above the surface (z = "
            f"{pts[triangles[i], 2].tolist()} km; depths are negative)"
        )
    c = pts[triangles]
    same = (
        np.all(c[:, 0] == c[:, 1], axis=1)
        | np.all(c[:, 1] == c[:, 2], axis=1)
        | np.all(c[:, 0] == c[:, 2], axis=1)
    )
    if same.any():
        raise BlockFileError(f"{path}: triangle {int(np.argmax(same))} is degenerate")
    return TriangleMesh(vertices=pts, triangles=triangles, path=path)


@dataclasses.dataclass(frozen=True)
class BlockConfig:
    """A celeri config JSON, with every file path resolved.

    Fields keep celeri's names.  Weights are dimensionless multipliers of the squared
    residuals; `material_mu` and `material_lambda` are in Pa; `locking_depth_flag2..5` in km.
    """

    path: Path
    station_file_name: Path
    segment_file_name: Path
    block_file_name: Path
    mesh_parameters_file_name: Path | None
    mogi_file_name: Path | None
    material_mu: float = 3e10
    material_lambda: float = 3e10
    block_constraint_weight: float = 1e24
    slip_constraint_weight: float = 1e5
    tri_con_weight: float = 1e6
    locking_depth_flag2: float = 25.0
    locking_depth_flag3: float = 15.0
    locking_depth_flag4: float = 10.0
    locking_depth_flag5: float = 5.0
    locking_depth_override_flag: int = 0
    locking_depth_override_value: float = 15.0
    unit_sigmas: bool = False
    include_vertical_velocity: bool = False
    lon_range: tuple = (0.0, 360.0)
    lat_range: tuple = (-90.0, 90.0)
    raw: dict = dataclasses.field(default_factory=dict, repr=False)

    def input_files(self) -> list[Path]:
        """Every file the model reads (for cache keys)."""
        files = [self.path, self.station_file_name, self.segment_file_name, self.block_file_name]
        if self.mogi_file_name is not None:
            files.append(self.mogi_file_name)
        if self.mesh_parameters_file_name is not None:
            files.append(self.mesh_parameters_file_name)
            files += [p.mesh_filename for p in read_mesh_parameters(self.mesh_parameters_file_name)]
        return files

    def digest(self) -> str:
        """SHA-256 over the contents of every input file (the operator-cache key)."""
        h = hashlib.sha256()
        for f in self.input_files():
            h.update(str(f.name).encode())
            h.update(Path(f).read_bytes())
        return h.hexdigest()


def read_config(path) -> BlockConfig:
    """Read a celeri config JSON; file names are resolved against the JSON's folder."""
    path = Path(path).resolve()
    raw = _read_json(path, "config")
    if not isinstance(raw, dict):
        raise BlockFileError(f"{path}: expected a JSON object")

    def file(key, required=True):
        v = raw.get(key)
        if v in (None, "", 0):
            if required:
                raise BlockFileError(f"{path}: {key!r} is required")
            return None
        p = (path.parent / str(v)).resolve()
        if not p.is_file():
            raise BlockFileError(f"{path}: {key!r} = {v!r} -> {p} does not exist")
        return p

    kw = {}
    for f in dataclasses.fields(BlockConfig):
        if f.name in raw and f.name not in (
            "path",
            "station_file_name",
            "segment_file_name",
            "block_file_name",
            "mesh_parameters_file_name",
            "mogi_file_name",
            "raw",
        ):
            v = raw[f.name]
            if f.name in ("lon_range", "lat_range"):
                v = tuple(float(x) for x in v)
            elif f.name in ("unit_sigmas", "include_vertical_velocity"):
                v = bool(v)
            elif isinstance(v, int | float) and not isinstance(v, bool):
                v = type(f.default)(v) if isinstance(f.default, int | float) else v
            kw[f.name] = v
    for key in ("material_mu", "material_lambda"):
        if key in kw and not (kw[key] > 0 and math.isfinite(kw[key])):
            raise BlockFileError(f"{path}: {key!r} must be positive (Pa), got {kw[key]}")
    return BlockConfig(
        path=path,
        station_file_name=file("station_file_name"),
        segment_file_name=file("segment_file_name"),
        block_file_name=file("block_file_name"),
        mesh_parameters_file_name=file("mesh_parameters_file_name", required=False),
        mogi_file_name=file("mogi_file_name", required=False),
        raw=raw,
        **kw,
    )
