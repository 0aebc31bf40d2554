"""Catalog readers and the `Catalog` type: synthetic files with exact values, malformed input,
a fuzzed generic CSV, completeness magnitude, mainshock matching; real data when present."""

import datetime
import os
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest

from quakejax.io import Catalog, LocalFrame, read_catalog

from ._fuzz import mutate_lines

DATA = Path(os.environ.get("QUAKEJAX_DATA", Path(__file__).parents[1] / ".." / "shared" / "data"))
_GEOD = pyproj.Geod(ellps="WGS84")
FIXTURES = Path(__file__).parent / "data"  # small synthetic files with long lines


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _t(s):
    return np.datetime64(s, "ms")


# ---------------------------------------------------------------------------------------
# Formats, exact values
# ---------------------------------------------------------------------------------------

GENERIC = """time,latitude,longitude,depth,mag
2019-07-06T03:19:53.040Z,35.7695,-117.5993,8.0,7.1
2019-07-06T03:20:00.000+01:00,35.5,242.5,,
1999-10-16 09:46:44,34.594,-116.271,0.0,7.1

2020-01-01T00:00:00.5Z,-10.0,180.0,-0.5,-1.2
"""


def test_generic_csv(tmp_path):
    cat = read_catalog(_write(tmp_path, "gen.csv", GENERIC))
    assert len(cat) == 4 and cat.name == "gen" and cat.source.endswith("gen.csv")
    assert cat.time.dtype == np.dtype("datetime64[ms]")
    np.testing.assert_array_equal(
        cat.time,
        [
            _t("2019-07-06T03:19:53.040"),
            _t("2019-07-06T02:20:00"),  # +01:00 converted to UTC
            _t("1999-10-16T09:46:44"),  # naive: UTC
            _t("2020-01-01T00:00:00.500"),
        ],
    )
    np.testing.assert_array_equal(cat.longitude, [-117.5993, -117.5, -116.271, -180.0])
    np.testing.assert_array_equal(cat.latitude, [35.7695, 35.5, 34.594, -10.0])
    np.testing.assert_array_equal(cat.depth, [8000.0, np.nan, 0.0, -500.0])
    np.testing.assert_array_equal(cat.magnitude, [7.1, np.nan, 7.1, -1.2])
    assert cat.magnitude_type is None


COMCAT = (FIXTURES / "catalog_comcat.csv").read_text(encoding="utf-8")


def test_comcat_csv(tmp_path):
    p = _write(tmp_path, "comcat.csv", COMCAT)
    cat = read_catalog(p)
    assert len(cat) == 3
    np.testing.assert_array_equal(
        cat.time,
        [_t("2022-01-16T12:34:56.789"), _t("2022-01-15T04:11:11"), _t("2021-12-31T00:00")],
    )
    np.testing.assert_array_equal(cat.latitude, [-6.1234, -20.111, 10.0])
    np.testing.assert_array_equal(cat.longitude, [154.5678, -175.222, 20.0])
    np.testing.assert_allclose(cat.depth, [379000.0, 0.0, -830.0])
    np.testing.assert_array_equal(cat.magnitude, [6.1, 5.8, 5.5])
    assert cat.magnitude_type.tolist() == ["mww", "ms_20", ""]
    quakes = read_catalog(p, event_types=["earthquake"])
    assert len(quakes) == 2 and quakes.magnitude.tolist() == [6.1, 5.5]
    # Newest-first file order is kept unless asked.
    assert np.all(np.diff(read_catalog(p, sort=True).time.astype(np.int64)) >= 0)


ISC_HTML = (FIXTURES / "catalog_isc.html_csv").read_text(encoding="utf-8")


def test_isc_html(tmp_path):
    cat = read_catalog(_write(tmp_path, "isc.html_csv", ISC_HTML))
    assert len(cat) == 5
    np.testing.assert_array_equal(
        cat.time,
        [
            _t("1999-10-17T00:01:11.110"),
            _t("1999-10-17T00:44:22.200"),
            _t("1999-10-17T02:40:33.300"),
            _t("1999-10-17T02:28:44.400"),
            _t("1999-11-01T19:41:55.500"),
        ],
    )
    np.testing.assert_array_equal(cat.latitude, [65.1111, 21.333, 35.555, 35.777, 50.999])
    np.testing.assert_array_equal(cat.longitude, [-135.2222, 93.444, 31.666, 138.888, 18.111])
    np.testing.assert_array_equal(cat.depth, [10000.0, 13100.0, 9000.0, 131000.0, np.nan])
    # Preferred: Mw, then Ms, then mb (first listed of the class); else the first listed.
    np.testing.assert_array_equal(cat.magnitude, [3.4, 1.9, 3.1, np.nan, np.nan])
    assert cat.magnitude_type.tolist() == ["ML", "MS", "MW", "", ""]
    mb_first = read_catalog(tmp_path / "isc.html_csv", magnitude_preference=("mb",))
    np.testing.assert_array_equal(mb_first.magnitude, [3.4, 3.9, 3.3, np.nan, np.nan])


def test_isc_bare_csv(tmp_path):
    lines = ISC_HTML.splitlines()
    start = next(i for i, ln in enumerate(lines) if "EVENTID" in ln)
    bare = "\n".join(lines[start : start + 4]) + "\n"
    cat = read_catalog(_write(tmp_path, "isc.csv", bare))
    assert len(cat) == 3 and cat.magnitude.tolist() == [3.4, 1.9, 3.1]


GEONET = (FIXTURES / "catalog_geonet_cmt.csv").read_text(encoding="utf-8")


def test_geonet_cmt(tmp_path):
    cat = read_catalog(_write(tmp_path, "geonet.csv", GEONET))
    np.testing.assert_array_equal(cat.time, [_t("2003-08-21T12:07:00"), _t("2026-07-17T22:04")])
    np.testing.assert_array_equal(cat.latitude, [-45.1111, -38.3333])
    np.testing.assert_array_equal(cat.longitude, [166.7777, -179.9997])
    np.testing.assert_array_equal(cat.depth, [22000.0, 20000.0])  # CD, centroid depth
    np.testing.assert_array_equal(cat.magnitude, [7.1, 3.8])  # Mw, not ML
    assert cat.magnitude_type.tolist() == ["Mw", "Mw"]
    assert cat.bounds[0] == 166.7777 and cat.bounds[1] == -179.9997  # across the dateline


CSEP = """lon,lat,M,time_string,depth,catalog_id,event_id
-117.44444,35.622222,4.71,2019-07-06T03:22:31.110000,9.25,-1,
-117.7111,35.877,4.62,2019-07-06T03:22:44.400000,9.2,-1,
"""


def test_csep_csv(tmp_path):
    cat = read_catalog(_write(tmp_path, "csep.csv", CSEP))
    np.testing.assert_array_equal(
        cat.time, [_t("2019-07-06T03:22:31.110"), _t("2019-07-06T03:22:44.400")]
    )
    np.testing.assert_array_equal(cat.longitude, [-117.44444, -117.7111])
    np.testing.assert_array_equal(cat.latitude, [35.622222, 35.877])
    np.testing.assert_allclose(cat.depth, [9250.0, 9200.0])
    np.testing.assert_array_equal(cat.magnitude, [4.71, 4.62])


# ---------------------------------------------------------------------------------------
# Malformed input
# ---------------------------------------------------------------------------------------

HEAD = "time,latitude,longitude,depth,mag\n"
OK = "2020-01-01T00:00:00Z,35.0,-117.0,10.0,3.0\n"


@pytest.mark.parametrize(
    "text, line, why",
    [
        (HEAD + OK + "2020-01-01T25:00:00Z,35.0,-117.0,10.0,3.0\n", 3, "bad time"),
        (HEAD + OK + "yesterday,35.0,-117.0,10.0,3.0\n", 3, "bad time"),
        (HEAD + OK + "2020-02-30T00:00:00Z,35.0,-117.0,10.0,3.0\n", 3, "no such date"),
        (HEAD + "2020-01-01,35.0,-117.0,10.0,3.0\n", 2, "bad time"),
        (HEAD + OK + OK + "2020-01-01T00:00:00Z,91,-117.0,10.0,3.0\n", 4, "latitude 91"),
        (HEAD + OK + "2020-01-01T00:00:00Z,35.0,-117.0,10.0,3.0,7\n", 3, "found 6"),
        (HEAD + OK + "2020-01-01T00:00:00Z,35.0\n", 3, "truncated"),
        (HEAD + OK + "\n\n2020-01-01T00:00:00Z,abc,-117.0,10.0,3.0\n", 5, "bad latitude 'abc'"),
        (HEAD + OK + "2020-01-01T00:00:00Z,,-117.0,10.0,3.0\n", 3, "missing latitude"),
        (HEAD + OK + ",35.0,-117.0,10.0,3.0\n", 3, "missing time"),
        (HEAD + OK + "2020-01-01T00:00:00Z,35.0,-117.0,7000,3.0\n", 3, "depth 7000 km"),
        (HEAD + OK + "2020-01-01T00:00:00Z,35.0,-117.0,10,12\n", 3, "magnitude 12"),
        (HEAD + OK + "2020-01-01T00:00:00Z,35.0,-117.0,inf,3\n", 3, "infinite"),
        (HEAD + OK + '2020-01-01T00:00:00Z,"35.0,-117.0,10.0,3.0\n', 3, "quote"),
        ("time,lat,lon\n" + OK, 1, "unrecognised catalog header"),
        ("time,latitude,longitude,depth,mag,mag\n" + OK, 1, "repeated column"),
    ],
)
def test_malformed_names_file_and_line(tmp_path, text, line, why):
    p = _write(tmp_path, "broken_cat.csv", text)
    with pytest.raises(ValueError) as err:
        read_catalog(p)
    msg = str(err.value)
    assert "broken_cat.csv" in msg and f"line {line}:" in msg and why in msg, msg


@pytest.mark.parametrize(
    "text, why",
    [
        ("", "empty"),
        ("\n  \n", "empty"),
        ("<html><body><p>No events were found.</p></body></html>\n", "No events were found"),
    ],
)
def test_empty_and_html_without_csv(tmp_path, text, why):
    p = _write(tmp_path, "nothing.html_csv", text)
    with pytest.raises(ValueError, match=why) as err:
        read_catalog(p)
    assert "nothing.html_csv" in str(err.value)


def test_isc_bad_line(tmp_path):
    text = ISC_HTML.replace(" 65.1111,", " 95.1111,")
    with pytest.raises(ValueError, match=r"isc\.html_csv, line 14: latitude 95.1111"):
        read_catalog(_write(tmp_path, "isc.html_csv", text))


def test_not_utf8(tmp_path):
    p = tmp_path / "binary.csv"
    p.write_bytes(HEAD.encode() + b"\xff\xfe\x00garbage\n")
    with pytest.raises(ValueError, match=r"binary\.csv, line 2: not UTF-8"):
        read_catalog(p)


def test_drop_bad_lines_with_warning(tmp_path):
    text = HEAD + OK + "bad,35,-117,1,1\n" + OK + "2020-01-01T00:00:00Z,35.0\n"
    p = _write(tmp_path, "some_bad.csv", text)
    with pytest.warns(UserWarning, match=r"dropped 2 malformed line\(s\) of 4.*line 3.*line 5"):
        cat = read_catalog(p, on_error="drop")
    assert len(cat) == 2
    with pytest.raises(ValueError, match=r"line 3: bad time 'bad'.*\(1 more bad lines\)"):
        read_catalog(p)


def test_header_only_is_empty_catalog(tmp_path):
    cat = read_catalog(_write(tmp_path, "none.csv", HEAD))
    assert len(cat) == 0 and cat.time.dtype == np.dtype("datetime64[ms]")
    assert all(np.isnan(cat.bounds)) and all(np.isnat(t) for t in cat.time_range)


# ---------------------------------------------------------------------------------------
# Fuzzed generic CSV: a Catalog holding every data line, or a ValueError naming the file
# ---------------------------------------------------------------------------------------

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

_VALID = [
    "2019-07-06T03:19:53.040Z,35.7695,-117.5993,8.0,7.1",
    "2019-07-06T03:20:00Z,35.5,242.5,,",
    "1999-10-16T09:46:44.000Z,34.594,-116.271,0.0,7.1",
    "2020-01-01T00:00:00.5Z,-10.0,180.0,-0.5,-1.2",
    "2011-03-11T05:46:24.120Z,38.297,142.373,29.0,9.1",
]
_CHARS = '0123456789,.-:+TZ aE"\n'


@st.composite
def _mutated(draw):
    lines = ["time,latitude,longitude,depth,mag", *draw(st.permutations(_VALID))]
    lines = mutate_lines(draw, lines, _CHARS)
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


@hypothesis.given(text=_mutated(), on_error=st.sampled_from(["raise", "drop"]))
def test_fuzz_generic_csv(text, on_error):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "fuzz_cat.csv"
        p.write_text(text, encoding="utf-8")
        nonblank = [ln for ln in text.splitlines() if ln.strip()]
        n_data = len(nonblank) - 1  # after the header, the first non-blank line
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                cat = read_catalog(p, on_error=on_error)
            except ValueError as err:
                assert "fuzz_cat.csv" in str(err)
                return
        assert isinstance(cat, Catalog)
        dropped = [w for w in caught if "dropped" in str(w.message)]
        # Never lose data silently: every data line is an event unless a warning says so.
        assert len(cat) == n_data or (on_error == "drop" and dropped and len(cat) < n_data)
        assert np.all(np.abs(cat.latitude) <= 90) and np.all(np.abs(cat.longitude) <= 180)


# ---------------------------------------------------------------------------------------
# The Catalog type
# ---------------------------------------------------------------------------------------


def _demo():
    return Catalog(
        [
            "2020-05-01T10:00:00",
            "2020-05-01T10:05:00",
            "2020-05-01T22:00:00Z",
            "2020-04-30T23:00:00",
            "2020-05-01T10:00:30",
        ],  # fmt: skip
        [10.0, 10.05, 10.0, 10.0, 10.01],
        [45.0, 45.02, 46.5, 45.0, 45.0],
        [10e3, 5e3, 30e3, np.nan, 2e3],
        [6.0, 4.5, 7.0, 6.5, 3.0],
        magnitude_type=["Mw"] * 5,
        name="demo",
    )


def test_catalog_validation():
    with pytest.raises(ValueError, match="latitude 91"):
        Catalog(["2020-01-01T00:00"], [0.0], [91.0])
    with pytest.raises(ValueError, match="shape"):
        Catalog(["2020-01-01T00:00"], [0.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="no time"):
        Catalog(np.array(["NaT"], "datetime64[ms]"), [0.0], [1.0])
    with pytest.raises(ValueError, match="got numbers"):
        Catalog([1.5e9], [0.0], [1.0])
    with pytest.raises(ValueError, match="ISO 8601"):
        Catalog(["not a time"], [0.0], [1.0])
    assert len(Catalog([], [], [])) == 0
    cat = Catalog(["2020-01-01T00:00"], [359.5], [1.0])
    assert cat.longitude[0] == -0.5 and np.isnan(cat.depth[0]) and np.isnan(cat.magnitude[0])


def test_select_sort_and_properties():
    cat = _demo()
    assert len(cat) == 5
    assert cat.time_range == (_t("2020-04-30T23:00"), _t("2020-05-01T22:00"))
    assert cat.bounds == (10.0, 10.05, 45.0, 46.5)
    day = cat.select("2020-05-01", np.datetime64("2020-05-01T22:00"))
    assert day.magnitude.tolist() == [6.0, 4.5, 3.0]  # end excluded
    assert len(cat.select(start=datetime.datetime(2020, 5, 1, 10, 1))) == 2
    assert cat.select(min_magnitude=6.0).magnitude.tolist() == [6.0, 7.0, 6.5]
    assert cat.select(max_depth=10e3).magnitude.tolist() == [6.0, 4.5, 3.0]  # NaN dropped
    assert len(cat.select(region=(10.0, 10.02, 44.9, 45.1))) == 3
    ordered = cat.sort()
    assert ordered.magnitude.tolist() == [6.5, 6.0, 3.0, 4.5, 7.0]
    assert ordered.name == "demo" and ordered.magnitude_type.tolist() == ["Mw"] * 5


def test_region_across_dateline():
    cat = Catalog(["2020-01-01T00:00"] * 4, [179.5, -179.5, 170.0, 0.0], [0.0, 0.0, 0.0, 0.0])
    assert len(cat.select(region=(175.0, -175.0, -1, 1))) == 2
    assert len(cat.select(region=(175.0, 185.0, -1, 1))) == 2
    assert len(cat.select(region=(-180.0, 180.0, -1, 1))) == 4
    assert cat.subset([0, 1, 2]).bounds == (170.0, -179.5, 0.0, 0.0)


def test_dataframe_roundtrip_and_enu():
    cat = _demo()
    df = cat.to_dataframe()
    assert list(df.columns) == [
        "time", "longitude", "latitude", "depth_m", "magnitude", "magnitude_type"
    ]  # fmt: skip
    assert str(df["time"].dt.tz) == "UTC"
    back = Catalog.from_dataframe(df, name="demo")
    for f in ("time", "longitude", "latitude", "depth", "magnitude", "magnitude_type"):
        np.testing.assert_array_equal(getattr(back, f), getattr(cat, f))
    km = pd.DataFrame({"t": ["2020-01-01T00:00Z"], "lon": [1.0], "lat": [2.0], "z": [3.0]})
    one = Catalog.from_dataframe(
        km, time="t", longitude="lon", latitude="lat", depth="z", magnitude=None, depth_unit="km"
    )
    assert one.depth.tolist() == [3000.0] and np.isnan(one.magnitude[0])
    with pytest.raises(ValueError, match="no column"):
        Catalog.from_dataframe(km)
    xyz = cat.enu(LocalFrame(10.0, 45.0))
    assert xyz.shape == (5, 3)
    np.testing.assert_allclose(xyz[0], [0.0, 0.0, -10e3], atol=1e-6)
    assert np.isnan(xyz[3, 2])
    _, _, d = _GEOD.inv(10.0, 45.0, 10.05, 45.02)
    np.testing.assert_allclose(np.hypot(*xyz[1, :2]), d, rtol=1e-9)


@pytest.mark.parametrize("mc", [1.5, 2.5, 3.2])
def test_completeness_maxc_gutenberg_richter(mc):
    """Magnitudes from Gutenberg-Richter with b = 1, fully detected from Mc up (catalogs report
    magnitudes rounded to 0.1, so the complete part starts at Mc - 0.05) and detected with
    probability 10^(-2 (Mc - 0.05 - m)) below: the non-cumulative distribution then peaks in
    the Mc bin, which MAXC must find."""
    rng = np.random.default_rng(int(mc * 10))
    beta = np.log(10.0)  # b = 1
    m = mc - 1.5 + rng.exponential(1.0 / beta, 200_000)
    below = m < mc - 0.05
    detected = rng.random(m.size) < np.where(below, 10.0 ** (-2.0 * (mc - 0.05 - m)), 1.0)
    m = np.round(m[detected], 1)
    cat = Catalog(np.zeros(m.size, "datetime64[ms]"), np.zeros(m.size), np.zeros(m.size),
                  magnitude=m)  # fmt: skip
    est = cat.completeness_magnitude(correction=0.0)
    assert abs(est - mc) <= 0.15
    assert cat.completeness_magnitude() == pytest.approx(est + 0.2, abs=1e-9)


def test_completeness_errors():
    empty = Catalog(np.zeros(0, "datetime64[ms]"), [], [])
    with pytest.raises(ValueError, match="no events with a known magnitude"):
        empty.completeness_magnitude()
    with pytest.raises(ValueError, match="no events with a known magnitude"):
        Catalog(["2020-01-01T00:00"], [0.0], [0.0]).completeness_magnitude()
    with pytest.raises(ValueError, match="unknown method"):
        _demo().completeness_magnitude(method="gft")


def test_find_mainshock():
    cat = _demo()
    for day in ("2020-05-01", "2020/05/01", "05/01/2020", datetime.date(2020, 5, 1),
                np.datetime64("2020-05-01")):  # fmt: skip
        hit = cat.find_mainshock(day, 10.0, 45.0)
        assert hit.index == 0 and hit.time_difference == 36000.0 and hit.distance_km < 1e-6
    # The M7 at 166 km is too far by default, found with a wider radius.
    assert cat.find_mainshock("2020-05-01", 10.0, 45.0, max_distance_km=200).index == 2
    # A window around the date reaches the M6.5 an hour before midnight.
    hit = cat.find_mainshock("2020-05-01", 10.0, 45.0, time_window=3600)
    assert hit.index == 3 and hit.time_difference == -3600.0
    # A known time: the nearest event in time.
    hit = cat.find_mainshock("2020-05-01T10:00:20Z", 10.0, 45.0)
    assert hit.index == 4 and hit.time_difference == 10.0
    hit = cat.find_mainshock(datetime.datetime(2020, 5, 1, 10, 0, 20), 10.0, 45.0, min_magnitude=5)
    assert hit.index == 0 and hit.time_difference == -20.0
    _, _, d = _GEOD.inv(10.0, 45.0, 10.05, 45.02)
    hit = cat.find_mainshock("2020-05-01T10:04:00", 10.0, 45.0)
    assert hit.index == 1 and hit.distance_km == pytest.approx(d / 1000, rel=1e-9)
    assert cat.find_mainshock("2020-06-01", 10.0, 45.0) is None
    assert cat.find_mainshock("2020-05-01", -60.0, 45.0) is None
    assert cat.find_mainshock("2020-05-01T12:00", 10.0, 45.0) is None
    with pytest.raises(ValueError, match="bad date"):
        cat.find_mainshock("2020-02-30", 10.0, 45.0)


# ---------------------------------------------------------------------------------------
# Real data
# ---------------------------------------------------------------------------------------

# Events per file as read here (the README's counts where it gives them).
_COUNTS = {
    "california_ncedc_sample_1968-2012.csv": 18_545,
    "global_comcat_m54_2002-2022.csv": 12_576,
    "global_isc_reviewed_1999-10-17_1999-11-15.html_csv": 4_878,
    "global_neic_m45_1990-2014.csv": 143_276,
    "italy_horus_1960-2019.csv": 415_048,
    "japan_jma_m45_1926-2007.csv": 13_724,
    "japan_jma_m45_1966-2015.csv": 9_189,
    "newzealand_geonet_cmt_2003-2026.csv": 3_691,
    "newzealand_subduction_m3_1900-2020.csv": 66_182,
    "ridgecrest_comcat_2019-07-06_week.csv": 829,
}


@pytest.fixture(scope="module")
def catalogs():
    folder = DATA / "catalogs"
    if not folder.is_dir():
        pytest.skip(f"real data not found at {folder} (set QUAKEJAX_DATA)")
    out = {}
    for p in sorted(folder.iterdir()):
        t0 = time.perf_counter()
        out[p.name] = read_catalog(p)
        print(f"{p.name}: {len(out[p.name])} events in {time.perf_counter() - t0:.2f} s")
    return out


@pytest.mark.data
def test_real_catalogs_read(catalogs):
    assert {k: len(v) for k, v in catalogs.items()} == _COUNTS
    for name, cat in catalogs.items():
        assert np.all(np.abs(cat.latitude) <= 90) and np.all(np.abs(cat.longitude) <= 180), name
        depth_km = cat.depth[np.isfinite(cat.depth)] / 1000
        assert depth_km.min() >= -1 and depth_km.max() <= 701, name
        m = cat.magnitude[np.isfinite(cat.magnitude)]
        assert m.min() >= -1.2 and m.max() <= 9.1, name
        ordered = cat.sort()
        assert np.all(np.diff(ordered.time.astype(np.int64)) >= 0)
        assert ordered.time_range[0] >= np.datetime64("1900-01-01")
        assert ordered.time_range[1] <= np.datetime64("2026-12-31")
    # The ComCat file is newest first; the others are in time order.
    unsorted = [k for k, c in catalogs.items() if np.any(np.diff(c.time.astype(np.int64)) < 0)]
    assert unsorted == ["global_comcat_m54_2002-2022.csv"]


@pytest.mark.data
def test_real_isc(catalogs):
    isc = catalogs["global_isc_reviewed_1999-10-17_1999-11-15.html_csv"]
    # 4,878 as the page's own "Events found: 4878" says; 660 have no magnitude, 3 no depth.
    assert len(isc) == 4878
    assert np.isnan(isc.magnitude).sum() == 660 and np.isnan(isc.depth).sum() == 3
    assert isc.time_range == (_t("1999-10-17T00:00:38.950"), _t("1999-11-15T23:57:41.900"))
    # Hector Mine aftershocks are there (the mainshock, on 10-16, is not: the file starts 10-17).
    after = isc.select(region=(-117.0, -115.5, 34.0, 35.2))
    assert len(after) == 230 and np.nanmax(after.magnitude) < 7


@pytest.mark.data
def test_real_hector_mine(catalogs):
    lon, lat = -116.271, 34.594
    neic = catalogs["global_neic_m45_1990-2014.csv"]
    for query in ("1999-10-16", "10/16/1999", "1999-10-16T09:46:40Z"):
        hit = neic.find_mainshock(query, lon, lat)
        assert hit is not None
        assert neic.time[hit.index] == _t("1999-10-16T09:46:44.130")
        assert neic.magnitude[hit.index] == 7.1 and hit.distance_km < 10
    # The ISC bulletin here starts the day after the mainshock: nothing on 1999-10-16 ...
    isc = catalogs["global_isc_reviewed_1999-10-17_1999-11-15.html_csv"]
    assert isc.find_mainshock("1999-10-16", lon, lat) is None
    # ... and its largest event near Hector Mine in the file is an aftershock.
    hit = isc.find_mainshock("1999-10-17", lon, lat)
    assert hit is not None and isc.magnitude[hit.index] < 7


@pytest.mark.data
def test_real_completeness_and_geonet(catalogs):
    # NEIC M>=4.5 global: Mc at the cut-off or just above it.
    mc = catalogs["global_neic_m45_1990-2014.csv"].completeness_magnitude()
    assert 4.5 <= mc <= 5.2
    geonet = catalogs["newzealand_geonet_cmt_2003-2026.csv"]
    lon_min, lon_max, _, _ = geonet.bounds
    assert lon_min > lon_max  # across the dateline
    assert np.all(geonet.time.astype(np.int64) % 60_000 == 0)  # to the minute
