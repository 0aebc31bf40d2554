"""GPS offset readers and the `GPSData` type: every format with exact values, files that are
not GPS offsets, malformed lines; real data when present."""

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest

from quakejax.io import GPSData, LocalFrame, read_gps

from ._fuzz import OPS, mutate_lines

DATA = Path(os.environ.get("QUAKEJAX_DATA", Path(__file__).parents[1] / ".." / "shared" / "data"))


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


NAN = np.nan

# ---------------------------------------------------------------------------------------
# Formats, exact values
# ---------------------------------------------------------------------------------------

VISCO_H = """139.547653 39.185562 0.793211 -0.313051 019B
130.611111 31.822222 0.013333 0.004444 AIRA
142.455555 38.166666 14.222222 -5.111111 _MGW
"""
VISCO_V = """139.547653 39.185562 0.000000 0.038867 019B
130.611111 31.822222 0.000000 nan AIRA
135.000000 35.000000 0.000000 -0.100000 ONLYV
"""


def test_viscojapan_horizontal_and_vertical(tmp_path):
    h = read_gps(_write(tmp_path, "x_co_obs", VISCO_H))
    assert len(h) == 3 and h.names == ("019B", "AIRA", "_MGW")
    np.testing.assert_array_equal(h.longitude, [139.547653, 130.611111, 142.455555])
    np.testing.assert_array_equal(h.latitude, [39.185562, 31.822222, 38.166666])
    np.testing.assert_array_equal(
        h.displacement,
        [[0.793211, -0.313051, NAN], [0.013333, 0.004444, NAN], [14.222222, -5.111111, NAN]],
    )
    assert h.observed.tolist() == [[True, True, False]] * 3
    assert np.isnan(h.sigma).all()
    v = read_gps(_write(tmp_path, "x_co_ver_obs", VISCO_V))
    np.testing.assert_array_equal(v.displacement[:, 2], [0.038867, NAN, -0.1])
    assert v.observed.tolist() == [[False, False, True], [False] * 3, [False, False, True]]


def test_vertical_merged_by_station(tmp_path):
    hv = read_gps(
        _write(tmp_path, "x_co_obs", VISCO_H), vertical=_write(tmp_path, "x_ver", VISCO_V)
    )
    assert hv.names == ("019B", "AIRA", "_MGW", "ONLYV")
    np.testing.assert_array_equal(
        hv.displacement,
        [
            [0.793211, -0.313051, 0.038867],
            [0.013333, 0.004444, NAN],
            [14.222222, -5.111111, NAN],
            [NAN, NAN, -0.1],
        ],
    )
    assert hv.observed.sum(0).tolist() == [3, 3, 2]
    assert "x_co_obs" in hv.source and "x_ver" in hv.source


OZAWA = """# Table S1 Coseismic displacements at the GPS sites. EW is east-west, NS is north-south, and UD is up-down components in m.
# ID  Latitude(ref)  Longitude(ref)  Latitude  Longitude  EW (m)  NS (m)  UD (m)  
5  32.6694  128.8431  36.3333  138.1111  0.177  0.0311  0.0022  
6  32.6694  128.8431  40.7777  140.9999  0.2555  -0.2666  0.0044  

"""  # noqa: E501


def test_ozawa2011(tmp_path):
    g = read_gps(_write(tmp_path, "ozawa_2011.txt", OZAWA))
    assert g.names == ("5", "6")
    np.testing.assert_array_equal(g.longitude, [138.1111, 140.9999])  # the observation site,
    np.testing.assert_array_equal(g.latitude, [36.3333, 40.7777])  # not the reference site
    np.testing.assert_array_equal(
        g.displacement, [[0.177, 0.0311, 0.0022], [0.2555, -0.2666, 0.0044]]
    )
    assert g.observed.all() and np.isnan(g.sigma).all()


LLDET = """-71.532 -37.338 -806.2 183.7 -27.3 4.1 3.5 12.2 0
-73.111 -36.777 -3111.1 -666.6 -33.3 15.5 12.2 21.1 0
"""


def test_lldet_mm(tmp_path):
    g = read_gps(_write(tmp_path, "gps.lldet", LLDET))
    assert g.names == ("0", "1")
    np.testing.assert_array_equal(g.longitude, [-71.532, -73.111])
    np.testing.assert_allclose(
        g.displacement, [[-0.8062, 0.1837, -0.0273], [-3.1111, -0.6666, -0.0333]], rtol=1e-12
    )
    np.testing.assert_allclose(
        g.sigma, [[0.0041, 0.0035, 0.0122], [0.0155, 0.0122, 0.0211]], rtol=1e-12
    )
    with pytest.warns(UserWarning, match="station height"):
        read_gps(_write(tmp_path, "h.lldet", LLDET.replace(" 0\n", " 120\n", 1)))


HOULIE = """id Site Lon_deg Lat_deg De_cm Dn_cm Dup_cm
1 CAND 239.577 35.944 2.3 -4.4 -0.2
2 CARH 239.555 35.899 1.3 -1.4 -0.2
"""


def test_houlie_table_cm_and_0_360(tmp_path):
    g = read_gps(_write(tmp_path, "Houlie_et_al_2014.txt", HOULIE))
    assert g.names == ("CAND", "CARH")
    np.testing.assert_allclose(g.longitude, [-120.423, -120.445], atol=1e-12)
    np.testing.assert_array_equal(g.latitude, [35.944, 35.899])
    np.testing.assert_allclose(
        g.displacement, [[0.023, -0.044, -0.002], [0.013, -0.014, -0.002]], rtol=1e-12
    )


def test_scign_local_positions(tmp_path):
    frame = LocalFrame(-120.374, 35.815)
    text = (
        "# nb name north(m)  east(m) down(m)\n"
        "   1 CAND  13797.1  -5401.3       0\n"
        "   2 CRBT  -2595.2 -34155.3       0\n"
    )
    p = _write(tmp_path, "scign.dat", text)
    with pytest.raises(ValueError, match="local north/east coordinates; pass frame="):
        read_gps(p)
    g = read_gps(p, frame=frame)
    assert g.names == ("CAND", "CRBT") and not g.observed.any()
    np.testing.assert_allclose(
        g.enu(frame), [[-5401.3, 13797.1, 0.0], [-34155.3, -2595.2, 0.0]], atol=1e-6
    )


def test_unicycle_dat_with_frame_or_positions(tmp_path):
    # Kumamoto 2016 (Unicycle): x north, y east from UTM 52 shifted to (130.726E, 32.782N).
    frame = LocalFrame(130.726, 32.782, "utm", zone=52)
    text = (
        "ID stationname  x  y  dE  dN  dU  SE  SN  SU\n"
        "0001  0079  134888.2500   15111.0000    0.000030    0.006222   -0.004333"
        "    0.000678    0.000801    0.002671\n"
    )
    p = _write(tmp_path, "kumamoto_gps.dat", text)
    g = read_gps(p, frame=frame)
    assert g.names == ("0079",)
    np.testing.assert_allclose(g.enu(frame)[:, :2], [[15111.0, 134888.25]], atol=1e-6)
    np.testing.assert_array_equal(g.displacement, [[0.00003, 0.006222, -0.004333]])
    np.testing.assert_array_equal(g.sigma, [[0.000678, 0.000801, 0.002671]])
    loc = read_gps(_write(tmp_path, "k.locations", "0079      33.9911111       130.9122222 \n"))
    assert (
        loc.names == ("0079",) and loc.longitude[0] == 130.9122222 and loc.latitude[0] == 33.9911111
    )
    assert not loc.observed.any()
    via = read_gps(p, positions=loc)
    assert via.longitude[0] == 130.9122222
    with pytest.raises(ValueError, match="not both"):
        read_gps(p, frame=frame, positions=loc)


def test_site_enu_needs_positions(tmp_path):
    text = "# site es ns us\nG100  0.102300  0.031800  -0.014300\nG103 0.2306 -0.2722 0.0030\n"
    p = _write(tmp_path, "obs_file", text)
    with pytest.raises(ValueError, match="station names but no positions; pass positions="):
        read_gps(p)
    g = read_gps(p, positions={"G100": (140.0, 38.0), "G103": (141.0, 39.0)})
    assert g.names == ("G100", "G103")
    np.testing.assert_array_equal(g.longitude, [140.0, 141.0])
    np.testing.assert_array_equal(
        g.displacement, [[0.1023, 0.0318, -0.0143], [0.2306, -0.2722, 0.003]]
    )
    pos = _write(tmp_path, "pos_co_obs", "140.0 38.0 0.1 0.2 G100\n141.0 39.0 0.1 0.2 G103\n")
    assert read_gps(p, positions=pos).latitude.tolist() == [38.0, 39.0]
    assert read_gps(p, positions=read_gps(pos)).latitude.tolist() == [38.0, 39.0]


def test_site_enu_missing_positions(tmp_path):
    p = _write(tmp_path, "codisp", "SCNC 0.000600 -0.001500\nKUNW 0.027700 0.003700\n")
    with pytest.raises(
        ValueError, match=r"codisp: 1 station\(s\) have no position.*KUNW \(line 2\)"
    ):
        read_gps(p, positions={"SCNC": (100.0, 30.0)})
    with pytest.warns(UserWarning, match="dropped"):
        g = read_gps(p, positions={"SCNC": (100.0, 30.0)}, missing="drop")
    assert g.names == ("SCNC",)
    np.testing.assert_array_equal(g.displacement, [[0.0006, -0.0015, NAN]])


# ---------------------------------------------------------------------------------------
# Not GPS, malformed
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, why",
    [
        (
            "Pollitz-slipmodel.txt",
            "# lon            lat            depth (km)     dip slip (m)\tdip\n"
            "# slip distribution on three connected 700 km-long fault segments\n"
            "   140.1798       34.79054       39.00000      9.9999997E-05   22.00000    \n",
            "slip model",
        ),
        (
            "x_co_slip",
            "144.855361 40.110362 0.000001\n144.767634 39.895766 0.003959\n",
            "slip or grid",
        ),
        ("sites", "# site lon lat\n019B \nAIRA\n", "list of station names"),
        (
            "maule_config.inv",
            "[inversion]\n\t{inv_params}\n\t\tsmooth_factor = 0.03\n[data]\n\t\tgps1 = gps.lldet\n",
            "configuration file .*gps.lldet",
        ),
        ("empty", "", "empty"),
        ("comments", "# nothing here\n", "no data lines"),
        ("odd", "a b c d e f\n", "unrecognised GPS table"),
    ],
)
def test_not_gps(tmp_path, name, text, why):
    with pytest.raises(ValueError, match=why) as err:
        read_gps(_write(tmp_path, name, text))
    assert name in str(err.value)


@pytest.mark.parametrize(
    "text, line, why",
    [
        (VISCO_H + "139.5 39.1 abc -0.3 X\n", 4, "bad east displacement 'abc'"),
        (VISCO_H + "139.5 39.1 0.1 -0.3\n", 4, "expected 5 fields"),
        ("139.5 95.0 0.1 0.2 A\n", 1, "latitude 95"),
        (VISCO_H + "139.5 nan 0.1 0.2 X\n", 4, "bad latitude 'nan'"),
        (VISCO_H + "139.5 39.0 inf 0.2 X\n", 4, "must be finite"),
        (VISCO_H + VISCO_H.splitlines()[0] + "\n", 4, "already on line 1"),
        (HOULIE + "3 X 239.5 35.9 1 2\n", 4, "expected 7 fields"),
        (LLDET + "-71.5 -37.3 1 2 3 -4 5 6 0\n", 3, "negative sigma"),
    ],
)
def test_malformed_names_file_and_line(tmp_path, text, line, why):
    with pytest.raises(ValueError, match=why) as err:
        read_gps(_write(tmp_path, "broken_gps.txt", text))
    assert "broken_gps.txt" in str(err.value) and f"line {line}:" in str(err.value)


def test_options_checked(tmp_path):
    p = _write(tmp_path, "h.txt", HOULIE)
    with pytest.raises(ValueError, match="drop positions=/frame="):
        read_gps(p, frame=LocalFrame(0.0, 0.0))
    with pytest.raises(ValueError, match="format must be"):
        read_gps(p, format="rinex")
    with pytest.raises(ValueError, match="unit must be"):
        read_gps(p, unit="ft")
    # A unit for a headerless table whose unit the file does not state.
    g = read_gps(_write(tmp_path, "v_co_obs", VISCO_H), unit="cm")
    assert g.displacement[0, 0] == pytest.approx(0.00793211)


# ---------------------------------------------------------------------------------------
# The GPSData type
# ---------------------------------------------------------------------------------------


def _demo():
    return GPSData(
        [10.0, 370.0, 12.0],
        [45.0, 46.0, 47.0],
        [[0.1, 0.2], [0.3, 0.4], [0.5, NAN]],
        sigma=[[0.01, 0.02], [0.03, 0.04], [0.05, 0.06]],
        names=["A", "B", "C"],
        source="demo",
    )


def test_gpsdata_basics():
    g = _demo()
    assert len(g) == 3 and g.longitude[1] == 10.0
    assert g.observed.tolist() == [[True, True, False]] * 2 + [[True, False, False]]
    assert np.isnan(g.sigma[:, 2]).all()
    frame = LocalFrame(10.0, 45.0)
    xyz = g.enu(frame)
    assert xyz.shape == (3, 3) and np.all(xyz[:, 2] == 0)
    np.testing.assert_allclose(xyz[0], 0.0, atol=1e-9)
    assert g.select([True, False, True]).names == ("A", "C")
    assert g.select(np.array([2, 0])).names == ("C", "A")
    b = g.select(["B"])
    assert b.names == ("B",) and b.source == "demo"
    np.testing.assert_array_equal(b.displacement, [[0.3, 0.4, NAN]])
    with pytest.raises(ValueError, match="no station"):
        g.select(["Z"])
    # Components outside `observed` are NaN, whatever was passed.
    masked = GPSData([0.0], [0.0], [[1.0, 2.0, 3.0]], observed=[[True, True, False]])
    assert np.isnan(masked.displacement[0, 2])


def test_gpsdata_validation():
    with pytest.raises(ValueError, match="latitude 91"):
        GPSData([0.0], [91.0])
    with pytest.raises(ValueError, match="repeated station"):
        GPSData([0.0, 1.0], [0.0, 1.0], names=["A", "A"])
    with pytest.raises(ValueError, match="2 names for 1"):
        GPSData([0.0], [0.0], names=["A", "B"])
    with pytest.raises(ValueError, match="shape"):
        GPSData([0.0], [0.0], [[1.0, 2.0, 3.0, 4.0]])
    with pytest.raises(ValueError, match="must be >= 0"):
        GPSData([0.0], [0.0], [[1.0, 2.0]], sigma=[[-1.0, 1.0]])


def test_gpsdata_concatenate_and_merge():
    g = _demo()
    other = GPSData([20.0], [0.0], [[1.0, 1.0, 1.0]], names=["D"], source="other")
    both = GPSData.concatenate([g, other])
    assert both.names == ("A", "B", "C", "D") and both.source == "demo + other"
    with pytest.raises(ValueError, match="repeated station"):
        GPSData.concatenate([g, g])
    up = GPSData([10.0, 12.0], [45.0, 47.0], [[NAN, NAN, 0.7], [NAN, 0.9, 0.8]],
                 sigma=[[NAN, NAN, 0.07], [NAN, 0.09, 0.08]], names=["A", "C"])  # fmt: skip
    m = g.merge(up)
    np.testing.assert_array_equal(m.displacement[:, 2], [0.7, NAN, 0.8])
    np.testing.assert_array_equal(m.displacement[2], [0.5, 0.9, 0.8])
    np.testing.assert_array_equal(m.sigma[2], [0.05, 0.09, 0.08])  # each with its own sigma
    clash = GPSData([10.0], [45.0], [[0.15, NAN, NAN]], names=["A"], source="clash")
    with pytest.raises(ValueError, match="station 'A' has E displacement"):
        g.merge(clash)
    moved = GPSData([10.01], [45.0], [[NAN, NAN, 1.0]], names=["A"], source="moved")
    with pytest.raises(ValueError, match="'A' is 78.* m from"):
        g.merge(moved)
    assert g.merge(moved, tolerance_m=1000).observed[0].all()


# ---------------------------------------------------------------------------------------
# Real data
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gps():
    folder = DATA / "gps"
    if not folder.is_dir():
        pytest.skip(f"real data not found at {folder} (set QUAKEJAX_DATA)")
    return folder


@pytest.mark.data
def test_real_tohoku(gps):
    t = gps / "tohoku2011"
    h = read_gps(t / "agu-paper_near_field_co_disp_share_co_obs")
    v = read_gps(t / "agu-paper_near_field_co_disp_verticals_share_co_ver_obs")
    hv = read_gps(t / "agu-paper_near_field_co_disp_share_co_obs", vertical=v)
    assert len(h) == len(v) == len(hv) == 1295
    # Three stations have 'nan' verticals in the file.
    assert hv.observed.sum(0).tolist() == [1295, 1295, 1292]
    assert [s for s, o in zip(hv.names, hv.observed[:, 2], strict=True) if not o] == [
        "J333", "J691", "J692"
    ]  # fmt: skip
    assert np.nanmax(np.abs(hv.displacement[:, 0])) == pytest.approx(5.305465)
    # The seafloor file holds 6 GPS/A sites (_CHS off Choshi plus the 5 of the README).
    sea = read_gps(t / "agu-paper_near_field_co_disp_share_co_obs_seafloor")
    assert sea.names == ("_CHS", "_FUK", "_KMN", "_KMS", "_MGI", "_MGW")
    assert sea.displacement[:, 0].max() == pytest.approx(22.104456)
    oz = read_gps(t / "ozawa_slip_model_ozawa_2011.txt")
    assert len(oz) == 377 and oz.observed.all()
    obs = read_gps(t / "ozawa_slip_model_ozawa_2011_obs_file", positions=h)
    assert len(obs) == 358 and obs.observed.all()
    with pytest.warns(UserWarning, match="191 station"):
        pub = read_gps(t / "published_codisp_all_published_codisp", positions=h, missing="drop")
    assert len(pub) == 30
    for name in (
        "agu-paper_near_field_co_disp_share_co_slip",
        "pollitz_2011_slip_model_Pollitz-slipmodel.txt",
        "agu-paper_near_field_co_disp_sites_with_seafloor",
    ):
        with pytest.raises(ValueError, match="slip|station names"):
            read_gps(t / name)


@pytest.mark.data
def test_real_parkfield(gps):
    p = gps / "parkfield2004"
    h = read_gps(p / "Houlie_et_al_2014.txt")
    assert len(h) == 14 and np.all((h.longitude > -121) & (h.longitude < -120))
    assert np.abs(h.displacement).max() == pytest.approx(0.045)
    # SCIGN positions are north/east metres about the 2004 epicentre (found by fitting them
    # to Houlie's positions, which are rounded to 0.001 deg, about 100 m).
    frame = LocalFrame(-120.374, 35.815)
    s = read_gps(p / "parkfield__gps__scign.dat", frame=frame)
    assert len(s) == 11 and not s.observed.any()
    hs = h.select(list(s.names))
    assert np.abs(hs.enu(frame) - s.enu(frame)).max() < 150.0


@pytest.mark.data
def test_real_maule(gps):
    m = gps / "maule2010"
    g = read_gps(m / "maule2010_gps.lldet")
    assert len(g) == 13 and g.observed.all() and np.isfinite(g.sigma).all()
    assert g.displacement[:, 0].min() == pytest.approx(-3.0019)
    assert g.sigma.max() == pytest.approx(0.0204)
    with pytest.raises(ValueError, match="configuration file"):
        read_gps(m / "maule_config.inv")


@pytest.mark.data
def test_real_kumamoto(gps):
    folder = DATA / "slip_models" / "published_flt"
    loc = read_gps(folder / "japan__kumamoto16__gps__Kumamoto_GPS.locations")
    frame = LocalFrame(130.726, 32.782, "utm", zone=52)  # from japan__kumamoto16__readme.txt
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dat = read_gps(folder / "japan__kumamoto16__gps__disp_pos3m_gps.dat", frame=frame)
    assert len(loc) == 168 and len(dat) == 162 and dat.observed.all()
    near = LocalFrame(130.8, 32.8)
    assert np.abs(loc.select(list(dat.names)).enu(near) - dat.enu(near)).max() < 10.0


# ---------------------------------------------------------------------------------------
# Fuzzed tables: a GPSData or a ValueError naming the file, nothing else
# ---------------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies
_CHARS = "0123456789.- e#naS_\n"


@st.composite
def _mutated(draw):
    lines = draw(st.sampled_from([VISCO_H, VISCO_V, HOULIE, LLDET, OZAWA])).splitlines()
    lines = mutate_lines(draw, lines, _CHARS, ops=OPS[:5])
    return "\n".join(lines) + "\n"


@hypothesis.given(text=_mutated())
def test_fuzz_gps_tables(text):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fuzz_gps.txt"
        p.write_text(text, encoding="utf-8")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                g = read_gps(p)
            except ValueError as err:
                assert "fuzz_gps.txt" in str(err)
                return
        assert isinstance(g, GPSData)
        assert np.all(np.abs(g.latitude) <= 90) and np.all(np.isfinite(g.longitude))
        assert np.array_equal(g.observed, np.isfinite(g.displacement))


def test_with_sigma_sets_observed_components_only():
    obs = np.array([[True, True, False], [True, True, True]])
    g = GPSData([140.0, 141.0], [38.0, 38.5], np.ones((2, 3)), np.full((2, 3), np.nan), obs)
    s = g.with_sigma([0.01, 0.02, 0.03]).sigma
    np.testing.assert_array_equal(s, [[0.01, 0.02, np.nan], [0.01, 0.02, 0.03]])
    assert np.isnan(g.with_sigma(0.5).sigma[0, 2]) and g.with_sigma(0.5).sigma[1, 2] == 0.5
    with pytest.raises(ValueError, match="with_sigma"):
        g.with_sigma([0.1, 0.2])
