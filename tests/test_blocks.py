"""Block models (`quakejax.blocks`): readers, closure, operators and the dense solve.

Independent references: analytic rigid rotation on a sphere, the Savage & Burford (1973)
arctan profile of a long strike-slip fault, and celeri's stored reference operators and dense
solutions (`tests/reference` of brendanjmeade/celeri, in $QUAKEJAX_DATA/blocks/celeri).
"""

from __future__ import annotations

import functools
import json
import os
import types
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from quakejax import blocks
from quakejax.blocks import _operators as ops

DATA = Path(
    os.environ.get("QUAKEJAX_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
)
CELERI = DATA / "blocks" / "celeri"

# Two blocks side by side inside a third (the rest of the globe).  Corners are nudged so that
# no segment runs exactly east-west.
CORNERS = {
    "A": (240.0, 34.00),
    "E": (241.0, 34.03),
    "B": (242.0, 34.06),
    "C": (242.05, 36.0),
    "F": (241.02, 36.05),
    "D": (240.03, 36.1),
}
EDGES = [("A", "E"), ("E", "B"), ("B", "C"), ("C", "F"), ("F", "D"), ("D", "A"), ("E", "F")]


def _write_model(folder: Path, *, edges=EDGES, interiors=None, mesh=False, dip_ef=90.0):
    folder.mkdir(parents=True, exist_ok=True)
    seg = []
    for a, b in edges:
        (lo1, la1), (lo2, la2) = CORNERS[a], CORNERS[b]
        inner = (a, b) == ("E", "F")
        seg.append(
            {
                "name": f"{a}{b}",
                "lon1": lo1,
                "lat1": la1,
                "lon2": lo2,
                "lat2": la2,
                "dip": dip_ef if inner else 90.0,
                "locking_depth": 15.0 if inner else 10.0,
                "locking_depth_flag": 0,
                "ss_rate": 0,
                "ss_rate_sig": 1,
                "ss_rate_flag": 0,
                "ds_rate": 0,
                "ds_rate_sig": 1,
                "ds_rate_flag": 0,
                "ts_rate": 0,
                "ts_rate_sig": 1,
                "ts_rate_flag": 0,
                "mesh_file_index": 0 if (mesh and inner) else -1,
                "mesh_flag": 1 if (mesh and inner) else 0,
            }
        )
    pd.DataFrame(seg).to_csv(folder / "segment.csv", index=False)
    interiors = interiors or {"west": (240.5, 35.0), "east": (241.5, 35.0), "rest": (230.0, 20.0)}
    pd.DataFrame(
        [
            {"name": k, "interior_lon": v[0], "interior_lat": v[1], "rotation_flag": 0}
            for k, v in interiors.items()
        ]
    ).to_csv(folder / "block.csv", index=False)
    lon, lat = np.meshgrid(np.arange(239.6, 242.5, 0.2), np.arange(33.55, 36.6, 0.2))
    n = lon.size
    pd.DataFrame(
        {
            "lon": lon.ravel(),
            "lat": lat.ravel(),
            "name": [f"S{i:03d}" for i in range(n)],
            "east_vel": 0.0,
            "north_vel": 0.0,
            "east_sig": 1.0,
            "north_sig": 1.0,
            "flag": 1,
            "up_vel": 0.0,
            "up_sig": 1.0,
        }
    ).to_csv(folder / "station.csv", index=False)
    cfg = {
        "station_file_name": "station.csv",
        "segment_file_name": "segment.csv",
        "block_file_name": "block.csv",
        "material_mu": 3e10,
        "material_lambda": 3e10,
        "tri_con_weight": 1e2,
    }
    if mesh:
        import meshio

        # A 60-degree dipping plane under segment E-F, 0-20 km deep, 6 x 4 quads -> triangles.
        (lo1, la1), (lo2, la2) = CORNERS["E"], CORNERS["F"]
        s = np.linspace(0, 1, 7)
        z = np.linspace(0, -20, 5)
        pts = []
        for zz in z:
            shift = (-zz / np.tan(np.radians(dip_ef))) / 92.0  # km -> deg of longitude (east)
            for ss in s:
                pts.append([lo1 + ss * (lo2 - lo1) + shift, la1 + ss * (la2 - la1), zz])
        pts = np.array(pts)
        tri = []
        for k in range(4):
            for j in range(6):
                p0 = k * 7 + j
                tri += [[p0, p0 + 1, p0 + 8], [p0, p0 + 8, p0 + 7]]
        meshio.write(
            folder / "plane.msh",
            meshio.Mesh(pts, [("triangle", np.array(tri))]),
            file_format="gmsh",
            binary=False,
        )
        (folder / "mesh.json").write_text(
            json.dumps(
                [
                    {
                        "mesh_filename": "plane.msh",
                        "smoothing_weight": 1e10,
                        "n_modes_strike_slip": 5,
                        "n_modes_dip_slip": 5,
                        "bot_slip_rate_constraint": 1,
                    }
                ]
            )
        )
        cfg["mesh_parameters_file_name"] = "mesh.json"
    (folder / "config.json").write_text(json.dumps(cfg))
    return folder / "config.json"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return _write_model(tmp_path_factory.mktemp("blocks"))


# -- readers ---------------------------------------------------------------------------------


def test_read_config_resolves_paths_and_reads_tables(synthetic):
    cfg = blocks.read_config(synthetic)
    assert cfg.station_file_name == synthetic.parent / "station.csv"
    assert cfg.mesh_parameters_file_name is None
    st = blocks.read_stations(cfg.station_file_name)
    assert {"lon", "lat", "east_vel", "north_sig", "flag"} <= set(st.columns)
    assert (st.lon >= 0).all() and (st.lon < 360).all()
    assert len(cfg.digest()) == 64


def test_reader_errors_name_file_line_and_column(tmp_path):
    p = tmp_path / "station.csv"
    p.write_text("lon,lat,east_vel,north_vel,east_sig,north_sig\n1,2,3,4,0.5,0.5\n1,2,x,4,1,1\n")
    with pytest.raises(blocks.BlockFileError, match=r"station.csv, line 3, column 'east_vel'"):
        blocks.read_stations(p)
    p.write_text("lon,lat,east_vel,north_vel,east_sig\n1,2,3,4,1\n")
    with pytest.raises(blocks.BlockFileError, match="lacks column.*north_sig"):
        blocks.read_stations(p)
    p.write_text("lon,lat,east_vel,north_vel,east_sig,north_sig\n1,2,3,4,0,1\n")
    with pytest.raises(blocks.BlockFileError, match="line 2.*sigma must be positive"):
        blocks.read_stations(p)
    s = tmp_path / "segment.csv"
    s.write_text("lon1,lat1,lon2,lat2,dip,locking_depth\n1,2,1,2,90,10\n")
    with pytest.raises(blocks.BlockFileError, match="line 2.*zero length"):
        blocks.read_segments(s)
    s.write_text("lon1,lat1,lon2,lat2,dip,locking_depth\n1,2,1,95,90,10\n")
    with pytest.raises(blocks.BlockFileError, match="latitude 95"):
        blocks.read_segments(s)
    c = tmp_path / "config.json"
    c.write_text('{"station_file_name": "nope.csv"}')
    with pytest.raises(blocks.BlockFileError, match="nope.csv.*does not exist"):
        blocks.read_config(c)
    c.write_text('{"station_file_name": ')
    with pytest.raises(blocks.BlockFileError, match="line 1: invalid JSON"):
        blocks.read_config(c)


def test_read_mesh_rejects_vertices_above_surface(tmp_path):
    import meshio

    pts = np.array([[240.0, 34.0, 0.0], [240.1, 34.0, -5.0], [240.0, 34.1, 1.0]])
    meshio.write(
        tmp_path / "m.msh", meshio.Mesh(pts, [("triangle", np.array([[0, 1, 2]]))]), "gmsh"
    )
    with pytest.raises(blocks.BlockFileError, match="above the surface"):
        blocks.read_mesh(tmp_path / "m.msh")


# -- closure ---------------------------------------------------------------------------------


def test_closure_labels_blocks_stations_and_sides(synthetic):
    from matplotlib.path import Path as MplPath

    model = blocks.build_model(synthetic)
    names = list(model.block.name)
    assert sorted(names) == ["east", "rest", "west"]
    st = model.station
    pts = np.c_[st.lon, st.lat]
    west = MplPath([CORNERS[k] for k in "AEFD"]).contains_points(pts)
    east = MplPath([CORNERS[k] for k in "EBCF"]).contains_points(pts)
    expect = np.where(west, names.index("west"), np.where(east, names.index("east"), -1))
    expect = np.where(expect < 0, names.index("rest"), expect)
    np.testing.assert_array_equal(st.block_label.to_numpy(), expect)
    ef = model.segment[model.segment.name == "EF"].iloc[0]
    assert names[ef.east_labels] == "east" and names[ef.west_labels] == "west"
    da = model.segment[model.segment.name == "DA"].iloc[0]
    assert names[da.east_labels] == "west" and names[da.west_labels] == "rest"


def test_closure_errors(tmp_path):
    with pytest.raises(blocks.ClosureError, match="touches no other segment"):
        blocks.build_model(_write_model(tmp_path / "a", edges=EDGES[:-2] + EDGES[-1:]))
    two = {"west": (240.5, 35.0), "west2": (240.6, 35.1), "rest": (230.0, 20.0)}
    with pytest.raises(blocks.ClosureError, match="same closed face"):
        blocks.build_model(_write_model(tmp_path / "b", interiors=two))


# -- operators -------------------------------------------------------------------------------


def test_rotation_operator_is_omega_cross_r():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(0, 360, 20), rng.uniform(-80, 80, 20)
    model = types.SimpleNamespace(
        station=pd.DataFrame({"lon": lon, "lat": lat, "block_label": np.zeros(20, int)}),
        n_blocks=1,
    )
    g = ops.rotation_to_velocities(model)
    omega = rng.normal(size=3)  # mrad/yr
    v = (g @ omega).reshape(-1, 3)
    lo, la = np.radians(lon), np.radians(lat)
    r = blocks.EARTH_RADIUS * np.c_[np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)]
    vxyz = np.cross(omega, r)  # m * mrad/yr = mm/yr
    east = np.c_[-np.sin(lo), np.cos(lo), np.zeros_like(lo)]
    north = np.c_[-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)]
    np.testing.assert_allclose(v[:, 0], (vxyz * east).sum(1), rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(v[:, 1], (vxyz * north).sum(1), rtol=1e-12, atol=1e-6)
    assert np.all(v[:, 2] == 0)
    # Spin about the pole: due east at R cos(lat) per mrad/yr.
    v = (g @ np.array([0.0, 0.0, 1.0])).reshape(-1, 3)
    np.testing.assert_allclose(v[:, 0], blocks.EARTH_RADIUS * np.cos(la), rtol=1e-12)


def test_long_strike_slip_segment_matches_savage_burford_profile():
    """A 4000 km vertical segment locked to D: surface slip-deficit profile
    u(d) = s/2 sign(d) - (s/pi) atan(d/D) (d to the right of strike), to O(d/L)."""
    from quakejax.blocks._model import GEOD

    lon1, lat1 = 240.0, 20.0
    lon2, lat2, _ = GEOD.fwd(lon1, lat1, 5.0, 4000e3)
    az, _, _ = GEOD.inv(lon1, lat1, lon2, lat2)
    mid_lon, mid_lat = GEOD.npts(lon1, lat1, lon2, lat2, 1)[0]
    az_mid, _, _ = GEOD.inv(mid_lon, mid_lat, lon2, lat2)  # local strike at the profile
    d_km = np.r_[-40, -20, -10, -5, -2, 2, 5, 10, 20, 40.0]
    n = d_km.size
    pl, pt, _ = GEOD.fwd(
        np.full(n, mid_lon), np.full(n, mid_lat), np.full(n, az_mid + 90), 1e3 * d_km
    )
    seg = pd.DataFrame({"lon1": [lon1], "lat1": [lat1], "lon2": [lon2 % 360], "lat2": [lat2]})
    st = pd.DataFrame({"lon": np.mod(pl, 360), "lat": pt})
    model = types.SimpleNamespace(segment=seg, station=st)
    g = np.asarray(
        ops.okada_to_velocities(ops.segment_frames(model), [15.0], [90.0], [az], mu=3e10, lam=3e10)
    )
    u = g[:, 0].reshape(-1, 3)  # unit strike slip
    a = np.radians(az)  # the operator turns Okada's x to east/north with the end-1 azimuth
    along = u[:, 0] * np.sin(a) + u[:, 1] * np.cos(a)
    expect = 0.5 * np.sign(d_km) - np.arctan(d_km / 15.0) / np.pi
    np.testing.assert_allclose(along, expect, atol=2.5 * 40 / (np.pi * 4000) + 1e-3)
    assert np.abs(u[:, 2]).max() < 1e-3  # vertical strike slip: almost no uplift
    assert np.all(g[:, 1] == 0)  # dip slip is switched off for a vertical segment (celeri)


def test_zero_locking_depth_gives_zero_columns_and_finite_gradient():
    seg = pd.DataFrame({"lon1": [240.0], "lat1": [34.0], "lon2": [240.2], "lat2": [35.0]})
    st = pd.DataFrame({"lon": [239.8, 240.5], "lat": [34.5, 34.4]})
    model = types.SimpleNamespace(segment=seg, station=st)
    frames = ops.segment_frames(model)
    g = ops.okada_to_velocities(frames, [0.0], [60.0], [10.0], mu=3e10, lam=3e10)
    assert np.all(np.asarray(g) == 0)
    import jax

    grad = jax.grad(
        lambda d: ops.okada_to_velocities(
            frames, d, jnp.array([60.0]), [10.0], mu=3e10, lam=3e10
        ).sum()
    )(jnp.array([0.0]))
    assert np.all(np.isfinite(np.asarray(grad)))


def test_mesh_geometry_smoothing_and_boundaries(tmp_path):
    model = blocks.build_model(_write_model(tmp_path, mesh=True, dip_ef=60.0))
    mesh = model.meshes[0]
    assert mesh.n == 48
    lap = ops.smoothing_matrix(mesh).toarray()
    np.testing.assert_allclose(lap.sum(axis=1), 0.0, atol=1e-20)  # constants are smooth
    assert np.all(np.diag(lap) < 0)
    depth = -mesh.corners[..., 2]
    # Top triangles touch the surface with an edge, bottom ones the 20 km edge.
    top_expect = (np.isclose(depth, 0).sum(1) == 2) & (mesh.neighbours < 0).any(1)
    bot_expect = (np.isclose(depth, 20).sum(1) == 2) & (mesh.neighbours < 0).any(1)
    np.testing.assert_array_equal(mesh.top, top_expect)
    np.testing.assert_array_equal(mesh.bottom, bot_expect)
    assert mesh.side.sum() > 0 and not (mesh.side & (mesh.top | mesh.bottom)).any()
    # celeri's strike and dip come from normals in (lon, lat) radians, not a local metric
    # frame: only approximately geometric (here 55 degrees for a 60-degree plane at 35 N,
    # reported as 180 - 55 because the file's winding puts the normal downwards).
    assert np.all((mesh.dip > 0) & (mesh.dip < 180)) and np.ptp(mesh.dip) < 1e-9
    # The segment the mesh replaces has no rectangular backslip.
    assert model.segment.set_index("name").loc["EF", "locking_depth"] == 0
    # A station 95 degrees of longitude away on the equator is outside the transverse
    # Mercator domain (pyproj returns inf): it gets no elastic effect (not NaN), with a warning.
    far = types.SimpleNamespace(station=pd.DataFrame({"lon": [336.5, 241.5], "lat": [0.0, 35.0]}))
    with pytest.warns(UserWarning, match="outside the projection"):
        frames = ops.triangle_frames(far, mesh)
    g = ops.tde_to_velocities(frames, mu=3e10, lam=3e10)
    assert np.all(np.isfinite(g))
    assert np.abs(g[:3]).max() < 1e-9 * np.abs(g[3:]).max()


# -- solve -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["segments", "tde", "eigen"])
def test_solve_recovers_synthetic_rotations(tmp_path, mode):
    """Noise-free velocities from known rotations (no mesh creep, so the smoothing and
    boundary rows are satisfied too): the solve returns them exactly."""
    cfg = _write_model(tmp_path, mesh=(mode != "segments"), dip_ef=60.0)
    model = blocks.build_model(cfg)
    op = blocks.build_operators(model, eigen=(mode == "eigen"), meshes=(mode != "segments"))
    system = blocks.assemble(model, op, mode=mode)
    rng = np.random.default_rng(3)
    truth = np.zeros(system.n_columns)
    truth[: 3 * model.n_blocks] = 1e-5 * rng.normal(size=3 * model.n_blocks)  # ~ 50 mm/yr
    v = (system.station_G @ truth).reshape(-1, 3)
    st = model.station.copy()
    st["east_vel"], st["north_vel"] = v[:, 0], v[:, 1]
    model = blocks.BlockModel(**{**model.__dict__, "station": st})
    system = blocks.assemble(model, op, mode=mode)
    x = blocks.solve_normal(system)
    fit = (system.station_G @ x).reshape(-1, 3)[:, :2]
    np.testing.assert_allclose(fit, v[:, :2], atol=1e-6 * np.abs(v).max())
    nb3 = 3 * model.n_blocks
    np.testing.assert_allclose(x[:nb3], truth[:nb3], rtol=1e-6, atol=1e-12)  # mrad/yr
    np.testing.assert_allclose(x[nb3:], 0.0, atol=1e-6)  # mm/yr of creep, or mode weights


def test_cli_blocks_solve_json_and_cache(synthetic, tmp_path, capsys, monkeypatch):
    from quakejax.cli import main

    monkeypatch.setattr(ops, "EXPORT_DIR", ops.EXPORT_DIR)  # the command line sets it

    args = ["blocks", "solve", str(synthetic), "--json", "--mode", "segments"]
    args += ["--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "out")]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["n_stations"] == 240 and first["wall_s"] > 0
    assert set(first) >= {"residual_rms_mm_per_yr", "residual_mean_abs_mm_per_yr"}
    assert len(list((tmp_path / "cache").glob("operators-*.npz"))) == 1
    assert main(args + ["--plot", str(tmp_path / "map.png")]) == 0  # from the cache
    second = json.loads(capsys.readouterr().out)
    assert (tmp_path / "map.png").stat().st_size > 10_000
    assert second["residual_rms_mm_per_yr"] == pytest.approx(first["residual_rms_mm_per_yr"])
    tables = {p.name for p in (tmp_path / "out").iterdir()}
    assert tables == {"blocks.csv", "segments.csv", "stations.csv"}
    assert main(["blocks", "solve", str(tmp_path / "missing.json")]) == 2


# -- celeri's reference operators and solutions (real data) ----------------------------------

needs_celeri = pytest.mark.skipif(
    not (CELERI / "tests" / "reference").is_dir(),
    reason=f"celeri block-model data not found at {CELERI} (set QUAKEJAX_DATA)",
)


def _sample(a):
    """celeri's test sampling: 50 random rows then 50 random columns, default_rng(0)."""
    a = np.asarray(a)
    rng = np.random.default_rng(seed=0)
    size = min(a.shape[0], a.shape[1], 50)
    r = rng.choice(a.shape[0], size=size, replace=False)
    c = rng.choice(a.shape[1], size=size, replace=False)
    return a[np.ix_(r, c)]


def _reference(name):
    p = CELERI / "tests" / "reference" / f"{name}.txt"
    return np.loadtxt(p, ndmin=2) if p.stat().st_size else np.zeros((0, 0))


@functools.lru_cache(maxsize=2)
def _celeri_model(name):
    """Model and operators (eigenmodes included) of a celeri test config, built once."""
    model = blocks.build_model(CELERI / "tests" / "configs" / f"{name}.json")
    return model, blocks.build_operators(model, eigen=True, keep_okada=True)


@pytest.fixture(scope="module", params=["test_wna_config", "test_japan_config"])
def celeri_case(request):
    if not (CELERI / "tests" / "reference").is_dir():
        pytest.skip(f"celeri block-model data not found at {CELERI} (set QUAKEJAX_DATA)")
    name = request.param
    model, op = _celeri_model(name)
    mesh = model.meshes[0]
    cfg = model.config
    tde3 = np.asarray(
        ops.tde_to_velocities(
            ops.triangle_frames(model, mesh), mu=cfg.material_mu, lam=cfg.material_lambda
        )
    )
    return name, model, op, tde3


@needs_celeri
@pytest.mark.data
def test_celeri_reference_operators(celeri_case):
    from quakejax.blocks._solve import eigen_slip_basis

    name, model, op, tde3 = celeri_case
    mesh = model.meshes[0]
    basis = eigen_slip_basis(mesh, op.eigenvectors[0])
    keep12 = np.sort(np.r_[np.arange(0, tde3.shape[1], 3), np.arange(1, tde3.shape[1], 3)])
    mine = {
        "rotation_to_slip_rate": op.rotation_to_slip_rate,
        "slip_rate_to_okada_to_velocities": op.slip_rate_to_okada_to_velocities,
        "tde_to_velocities": tde3,
        "rotation_to_tri_slip_rate": op.rotation_to_tri_slip_rate[0],
        "block_strain_rate_to_velocities": op.block_strain_rate_to_velocities,
        "eigen_to_tde_slip": basis,
        "eigen_to_velocities": -tde3[:, keep12] @ basis,
        "eigen_to_tde_bcs": mesh.params.eigenmode_slip_rate_constraint_weight
        * ops.boundary_constraints(mesh)
        @ basis,
    }
    np.testing.assert_allclose(tde3[:, keep12], op.tde_to_velocities[0], rtol=1e-12, atol=1e-15)
    for key, value in mine.items():
        ref = _reference(f"test_operator_{key}_{name}")
        got = _sample(value) if value.size else np.zeros((0, 0))
        if ref.size == 0:
            assert got.size == 0, key
            continue
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-9, err_msg=key)


@needs_celeri
@pytest.mark.data
@pytest.mark.parametrize(
    "name, mode",
    [
        ("test_wna_config", "segments"),
        ("test_wna_config", "tde"),
        ("test_wna_config", "eigen"),
        ("test_japan_config", "segments"),
        pytest.param("test_japan_config", "tde", marks=pytest.mark.slow),
        pytest.param("test_japan_config", "eigen", marks=pytest.mark.slow),
    ],
)
def test_celeri_reference_dense_solutions(name, mode):
    """celeri's dense solutions, each parameter scaled by its column's largest |G| (station
    up rows excluded), to the reference's tolerance (rtol 1e-3)."""
    flags = {"eigen": "True-True", "tde": "False-True", "segments": "False-False"}[mode]
    model, op = _celeri_model(name)
    system = blocks.assemble(model, op, mode=mode)
    got = blocks.solve_normal(system) * system.column_scale()
    ref = _reference(f"test_dense_sol_{name}-{flags}").reshape(-1)
    np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-9)


# -- differentiable geometry ------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["segments", "tde"])
def test_geometry_misfit_value_and_gradient(tmp_path, mode):
    """chi^2 equals the weighted residual of the dense solve; its gradient with respect to
    locking depth and dip matches central finite differences (float64)."""
    import jax

    cfg = _write_model(tmp_path, mesh=(mode == "tde"), dip_ef=60.0)
    model = blocks.build_model(cfg)
    rng = np.random.default_rng(5)
    st = model.station.copy()
    st["east_vel"] = rng.normal(0, 5, len(st)) + 0.05 * (st.lon - 241) * 111
    st["north_vel"] = rng.normal(0, 5, len(st)) - 0.1 * (st.lat - 35) * 111
    model = blocks.BlockModel(**{**model.__dict__, "station": st})
    op = blocks.build_operators(model, meshes=(mode == "tde"))
    system = blocks.assemble(model, op, mode=mode)
    x = blocks.solve_normal(system)
    direct = sum(
        float(np.sum(w * (np.asarray(g @ x).reshape(-1) - d) ** 2)) for _, g, d, w in system.rows
    )
    index = np.nonzero(model.segment.locking_depth.to_numpy() > 0)[0]
    f = blocks.GeometryMisfit(model, op, system, index)
    assert float(f(f.depth0, f.dip0)) == pytest.approx(direct, rel=1e-9)
    np.testing.assert_allclose(np.asarray(f.solve(f.depth0, f.dip0)), x, rtol=1e-7, atol=1e-12)
    depth = f.depth0 + rng.uniform(-2, 2, index.size)
    dip = np.where(f.dip0 == 90.0, 90.0, f.dip0 + rng.uniform(-5, 5, index.size))
    g_depth, g_dip = jax.grad(f, argnums=(0, 1))(jnp.asarray(depth), jnp.asarray(dip))
    h = 1e-4
    for k in range(index.size):
        e = np.zeros(index.size)
        e[k] = h
        fd = (f(depth + e, dip) - f(depth - e, dip)) / (2 * h)
        assert float(g_depth[k]) == pytest.approx(float(fd), rel=1e-5, abs=1e-6)
        if dip[k] != 90.0:
            fd = (f(depth, dip + e) - f(depth, dip - e)) / (2 * h)
            assert float(g_dip[k]) == pytest.approx(float(fd), rel=1e-5, abs=1e-6)
    assert np.any(np.asarray(g_dip) != 0) or mode == "tde"


def test_bounded_coupling_solve_keeps_coupling_within_bounds(tmp_path):
    """Velocities that ask for coupling outside [0, 1] on the mesh: the bounded solve pins
    the offending triangles to the bounds and fits the data less well than the free solve."""
    cfg = _write_model(tmp_path, mesh=True, dip_ef=60.0)
    params = json.loads((tmp_path / "mesh.json").read_text())
    params[0].update(
        {
            "coupling_constraints_ss": [0, 1],
            "coupling_constraints_ds": [0, 1],
            "smoothing_weight": 1e8,
        }
    )
    (tmp_path / "mesh.json").write_text(json.dumps(params))
    model = blocks.build_model(cfg)
    op = blocks.build_operators(model)
    system = blocks.assemble(model, op, mode="tde")
    rng = np.random.default_rng(11)
    truth = np.zeros(system.n_columns)
    truth[: 3 * model.n_blocks] = 1e-5 * rng.normal(size=3 * model.n_blocks)
    a, b = system.columns["mesh0"]
    truth[a:b] = rng.normal(0, 40, b - a)  # creep far outside what the blocks can drive
    v = (system.station_G @ truth).reshape(-1, 3)
    st = model.station.copy()
    st["east_vel"], st["north_vel"] = v[:, 0], v[:, 1]
    model = blocks.BlockModel(**{**model.__dict__, "station": st})
    system = blocks.assemble(model, op, mode="tde")
    free = blocks.solve_normal(system)
    x, report = blocks.solve_bounded(system, model, op, mode="tde", target=1.0, max_iter=20)
    nb3 = 3 * model.n_blocks
    kin = (op.rotation_to_tri_slip_rate[0] @ x[:nb3]).reshape(-1, 2)
    slip = x[a:b].reshape(-1, 2)
    lo, hi = np.minimum(0, kin), np.maximum(0, kin)
    kin_free = (op.rotation_to_tri_slip_rate[0] @ free[:nb3]).reshape(-1, 2)
    slip_free = free[a:b].reshape(-1, 2)
    outside_free = (slip_free < np.minimum(0, kin_free) - 1e-3) | (
        slip_free > np.maximum(0, kin_free) + 1e-3
    )
    assert outside_free.sum() > 10  # the test asks for something
    assert report.violations[0] == outside_free.sum()
    assert report.satisfied == 1.0 and report.violations[-1] == 0
    assert np.all(slip >= lo - 1e-2) and np.all(slip <= hi + 1e-2)
    chi = [
        sum(
            float(np.sum(w * (np.asarray(g @ s).reshape(-1) - d) ** 2))
            for _, g, d, w in system.rows
        )
        for s in (free, x)
    ]
    assert chi[1] > chi[0]


def test_operators_are_float64_whatever_the_global_setting(tmp_path, monkeypatch):
    """`build_operators` computes its kernels in float64 even when the caller (e.g. the
    command line) has not enabled x64: in float32 the Okada operator of this model is off by
    up to 1.6% (coordinates of 1e5 m, four-corner cancellation).  Also: the Okada kernel's
    looped batches (used when a chunk exceeds OKADA_PAIRS_PER_BATCH pairs) give the same
    operator."""
    import jax

    cfg = _write_model(tmp_path, mesh=True, dip_ef=60.0)
    model = blocks.build_model(cfg)
    ref = blocks.build_operators(model)
    with jax.enable_x64(False):
        low = blocks.build_operators(model)
    for name in ("rotation_to_okada_velocities",):
        np.testing.assert_array_equal(getattr(low, name), getattr(ref, name))
    np.testing.assert_array_equal(low.tde_to_velocities[0], ref.tde_to_velocities[0])
    close = functools.partial(
        np.testing.assert_allclose,
        rtol=1e-13,
        atol=1e-13 * np.abs(ref.rotation_to_okada_velocities).max(),
    )
    # The product formed chunk by chunk inside the kernel equals the whole operator's.
    full = blocks.build_operators(model, keep_okada=True)
    close(
        full.slip_rate_to_okada_to_velocities @ ref.rotation_to_slip_rate,
        ref.rotation_to_okada_velocities,
    )
    close(full.rotation_to_okada_velocities, ref.rotation_to_okada_velocities)
    # Batches of 2 segments in a loop instead of one vmapped chunk.
    monkeypatch.setattr(ops, "OKADA_PAIRS_PER_BATCH", 2 * len(model.station))
    looped = blocks.build_operators(model)
    close(looped.rotation_to_okada_velocities, ref.rotation_to_okada_velocities)
    looped = blocks.build_operators(model, keep_okada=True)
    close(looped.slip_rate_to_okada_to_velocities, full.slip_rate_to_okada_to_velocities)


def test_exported_kernels_give_the_same_operators(tmp_path, monkeypatch):
    """With an export folder (what the command line's compilation cache sets), the kernels
    are exported on first use and read back later; the operators are bitwise the same."""
    cfg = _write_model(tmp_path, mesh=True, dip_ef=60.0)
    model = blocks.build_model(cfg)
    monkeypatch.setattr(ops, "EXPORT_DIR", None)
    ref = blocks.build_operators(model)
    monkeypatch.setattr(ops, "EXPORT_DIR", tmp_path / "exported")
    for _ in range(2):  # export and write, then read
        kern = ops.kernels(
            len(model.station),
            len(model.segment),
            model.n_blocks,
            [m.n for m in model.meshes],
            mu=model.config.material_mu,
            lam=model.config.material_lambda,
        )
        assert set(kern) == {"okada", ("tde", model.meshes[0].n)}
        assert len(list((tmp_path / "exported").glob("*.jaxexport"))) == 2
        op = blocks.build_operators(model)
        np.testing.assert_array_equal(
            op.rotation_to_okada_velocities, ref.rotation_to_okada_velocities
        )
        np.testing.assert_array_equal(op.tde_to_velocities[0], ref.tde_to_velocities[0])
