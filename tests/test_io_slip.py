"""Slip-model readers: synthetic files with known geometry, fuzzing, and the real data.

The real files live in $QUAKEJAX_DATA (default `<repo>/../shared/data`); tests that need
them are marked `data` and skip when the folder is absent.
"""

from __future__ import annotations

import io
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from quakejax.io import LocalFrame
from quakejax.io._slip import (
    SlipModelError,
    detect_slip_format,
    read_flt,
    read_fsp,
    read_hamling,
    read_slip_model,
    read_srcmod_mat,
    read_usgs_param,
)
from quakejax.io._slip_common import parse_date

from . import _slip_fixtures as fx

DATA = Path(
    os.environ.get("QUAKEJAX_DATA", Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
)
SLIP_DIR = DATA / "slip_models"
needs_data = pytest.mark.skipif(
    not SLIP_DIR.is_dir(), reason=f"real data not found at {SLIP_DIR} (set QUAKEJAX_DATA)"
)
POS_ATOL = 5e-3  # m: LAT/LON are written with 8 decimals, Z with 6


def arrays(model):
    return {
        k: np.asarray(getattr(model, k))
        for k in ("centroid", "strike", "dip", "length", "width", "slip")
    }


def assert_patches(model, p, *, atol=POS_ATOL, size_rtol=1e-9):
    a = arrays(model)
    np.testing.assert_allclose(a["centroid"], p.centroid, atol=atol)
    np.testing.assert_allclose(a["strike"], np.mod(p.strike, 360.0), atol=1e-9)
    np.testing.assert_allclose(a["dip"], p.dip, atol=1e-9)
    np.testing.assert_allclose(a["length"], p.length, rtol=size_rtol)
    np.testing.assert_allclose(a["width"], p.width, rtol=size_rtol)
    np.testing.assert_allclose(a["slip"][:, :2], p.components, atol=1e-5)
    np.testing.assert_array_equal(a["slip"][:, 2], 0.0)


# -- FSP ----------------------------------------------------------------------------------


def test_fsp_srcmod_two_segments_flipped_strike():
    text, p = fx.fsp_text(fx.TWO_SEGMENTS)
    m = read_fsp(fx.named(text))
    assert_patches(m, p)
    assert m.segment == tuple(p.segment)
    info = m.info
    assert info.name == "Synthetic Ridge (Nowhere)"
    assert info.tag == "s1992SYNTHEtest"
    assert info.time == "1992-06-28"
    assert info.hypocentre == fx.HYPO
    assert info.origin == fx.HYPO[:2]
    assert info.m0 == pytest.approx(p.moment, rel=1e-6)
    assert info.mw == pytest.approx((2 / 3) * (math.log10(p.moment) - 9.1), abs=1e-3)
    assert info.mu is None and info.source == "synthetic.fsp"
    assert any("labelled X==NS but X is east" in n for n in info.notes)
    assert any("rakes outside" in n for n in info.notes)
    assert any("segment 2: top-centre LAT = -8.2, LON = -5.7" in n for n in info.notes)
    # With mu = 3e10 the model's moment is the header's.
    assert float(m.moment()) == pytest.approx(p.moment, rel=1e-9)


def test_fsp_usgs_centres_and_rigidity():
    text, p = fx.fsp_text(fx.ONE_SEGMENT, flavour="usgs", date="2016/03/02")
    m = read_fsp(fx.named(text))
    assert_patches(m, p)
    assert m.info.time == "2016-03-02"
    assert m.info.mu == pytest.approx(3.3e10, rel=1e-6)
    assert not any("labelled" in n for n in m.info.notes)


def test_fsp_header_without_percent_and_no_rake_column():
    text, p = fx.fsp_text(fx.TWO_SEGMENTS, percent_header=False, rake_column=False, header_rake=95)
    m = read_fsp(fx.named(text))
    r = np.deg2rad(95.0)
    expected = np.stack([p.slip * np.cos(r), p.slip * np.sin(r)], axis=-1)
    np.testing.assert_allclose(np.asarray(m.slip)[:, :2], expected, atol=1e-6)
    np.testing.assert_allclose(np.asarray(m.centroid), p.centroid, atol=POS_ATOL)
    assert any("without '%'" in n for n in m.info.notes)
    assert any("header RAKE = 95" in n for n in m.info.notes)


def test_fsp_no_rake_anywhere_is_an_error():
    text, _ = fx.fsp_text(fx.ONE_SEGMENT, rake_column=False, header_rake="nan")
    with pytest.raises(ValueError, match=r"synthetic\.fsp, line \d+: .*RAKE"):
        read_fsp(fx.named(text))


@pytest.mark.parametrize("kind", ["scalar", "vector"])
def test_fsp_time_windows(kind):
    text, p = fx.fsp_text(fx.TWO_SEGMENTS, time_windows=kind)
    m = read_fsp(fx.named(text))
    assert_patches(m, p, atol=POS_ATOL)
    notes = " ".join(m.info.notes)
    assert "differs from the sum" not in notes
    if kind == "vector":
        assert "summed over 2 time windows" in notes


def test_fsp_says_top_centre_but_lists_centres():
    text, p = fx.fsp_text(fx.ONE_SEGMENT, list_centres=True)
    m = read_fsp(fx.named(text))
    assert_patches(m, p)
    assert any("Z taken as patch centres" in n for n in m.info.notes)


def test_fsp_patch_size_from_segment_or_spacing():
    # Header Dx wrong, segment Dx right: the segment wins, silently.
    text, p = fx.fsp_text(fx.TWO_SEGMENTS, header_dx=5.0)
    assert_patches(read_fsp(fx.named(text)), p)
    # Header Dx wrong and no segment Dx/Dz: segment LEN / patches per row.
    text, p = fx.fsp_text(fx.TWO_SEGMENTS, header_dx=5.0, segment_dx=False)
    m = read_fsp(fx.named(text))
    assert_patches(m, p)
    assert any("disagree(s) with the patch spacing" in n for n in m.info.notes)
    # Single segment, header Dx wrong: LEN/Nx also wrong, so the measured spacing.
    text, p = fx.fsp_text(fx.ONE_SEGMENT, header_dx=1.0)
    text = re.sub(r"LEN = \S+ km", "LEN = 2.00 km", text, count=1)
    m = read_fsp(fx.named(text))
    assert_patches(m, p, size_rtol=1e-6)  # measured from positions written to 1 mm
    assert any("Dx from the patch spacing" in n for n in m.info.notes)


def test_parse_date_conventions():
    assert parse_date("Landers (Calif.)   06/28/1992   [Wald]") == ("1992-06-28", None)
    assert parse_date("SUMATRA  2016/03/02 [Hayes]") == ("2016-03-02", None)
    assert parse_date("MYANMAR 2025-03-28T06:20:54 CSN")[0] == "2025-03-28T06:20:54Z"
    iso, note = parse_date("created 13/1/2022")
    assert iso == "2022-01-13" and "DD/MM/YYYY" in note
    assert parse_date("no date here") == (None, None)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    "mutate, why",
    [
        (lambda rows: rows[0] + "  1.0", "expected"),
        (lambda rows: rows[0].replace(rows[0].split()[5], "abc", 1), "not a number"),
        (lambda rows: rows[0].replace(rows[0].split()[0], "nan", 1), "LAT"),
        (lambda rows: rows[0].replace(rows[0].split()[0], "95.0", 1), "latitude"),
    ],
)
def test_fsp_errors_name_file_and_line(mutate, why):
    text, _ = fx.fsp_text(fx.ONE_SEGMENT)
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("   "))
    lines[first] = mutate(lines[first:])
    with pytest.raises(ValueError, match=rf"synthetic\.fsp, line {first + 1}: .*{why}"):
        read_fsp(fx.named("\n".join(lines)))


def test_fsp_without_table():
    with pytest.raises(SlipModelError, match=r"synthetic\.fsp, line 2: no patch table"):
        read_fsp(fx.named("% Event : nothing\n% Loc : LAT = 1 LON = 2\n"))


def test_surface_trim_shift_raise():
    # USGS-style centres whose top row pokes 0.25 km out of the ground.
    sg = fx.Segment(strike=10.0, dip=30.0, nx=2, nz=2, dx_km=2.0, dz_km=2.0, top=(0.0, 0.0, -0.25))
    text, p = fx.fsp_text([sg], flavour="usgs")
    m = read_fsp(fx.named(text))
    top = np.asarray(m.top_centre)[:, 2]
    assert top.max() <= 1e-6
    first = p.segment == 0
    shallow = np.isclose(p.centroid[:, 2], p.centroid[first, 2].max())
    np.testing.assert_allclose(np.asarray(m.width)[shallow], 2000.0 - 250.0 / 0.5, rtol=1e-9)
    np.testing.assert_allclose(np.asarray(m.width)[~shallow], 2000.0)
    assert any("trimmed at z = 0" in n for n in m.info.notes)
    shifted = read_fsp(fx.named(text), surface="shift")
    np.testing.assert_allclose(np.asarray(shifted.width), 2000.0)
    assert np.asarray(shifted.top_centre)[:, 2].max() <= 1e-6
    with pytest.raises(ValueError, match=r"line \d+: .*above the free surface"):
        read_fsp(fx.named(text), surface="raise")


# -- .flt, Hamling, USGS .param, SRCMOD .mat ------------------------------------------------


def test_flt_cartesian_and_utm():
    text, p = fx.flt_text()
    m = read_flt(fx.named(text, "model.flt"))
    assert_patches(m, p, atol=1e-3)
    assert m.info.origin is None and m.info.tag == "model"
    m = read_flt(fx.named(text, "model.flt"), origin=(142.369, 38.322), utm_zone=54)
    assert m.info.origin == (142.369, 38.322)
    assert_patches(m, p, atol=1e-3)
    text, _ = fx.flt_text(comment_origin=True)
    m = read_flt(fx.named(text, "model.flt"))
    assert m.info.origin == (142.369, 38.322)
    assert any("UTM zone 54" in n for n in m.info.notes)


def _moment_tensors(strike, dip, comps):
    """Per-patch u n^T + n u^T (u: slip of the hanging wall, n: normal into it), ENU."""
    s = np.stack([fx.strike_vec(a) for a in strike])
    d = np.stack([fx.down_dip_vec(a, b) for a, b in zip(strike, dip, strict=True)])
    n = np.cross(d, s)
    u = comps[:, :1] * s - comps[:, 1:2] * d
    return u[:, :, None] * n[:, None, :] + n[:, :, None] * u[:, None, :]


def test_flt_dip_past_vertical():
    text, p = fx.flt_text(dip=95.0)
    m = read_flt(fx.named(text, "model.flt"))
    np.testing.assert_allclose(np.asarray(m.centroid), p.centroid, atol=1e-3)
    np.testing.assert_allclose(np.asarray(m.dip), 85.0)
    np.testing.assert_allclose(np.asarray(m.strike), np.mod(p.strike + 180.0, 360.0))
    # Same plane from the other side: the moment tensor of every patch is unchanged.
    comps = np.asarray(m.slip)[:, :2]
    np.testing.assert_allclose(
        _moment_tensors(np.asarray(m.strike), np.asarray(m.dip), comps),
        _moment_tensors(p.strike, p.dip, p.components),
        atol=1e-9,
    )
    np.testing.assert_allclose(comps, p.components * np.array([1.0, -1.0]), atol=1e-6)
    assert any("dip > 90" in n for n in m.info.notes)


def test_flt_bad_row():
    text, _ = fx.flt_text()
    lines = text.splitlines()
    lines[2] = lines[2] + " 7"
    with pytest.raises(ValueError, match=r"model\.flt, line 3: expected 10 values"):
        read_flt(fx.named("\n".join(lines), "model.flt"))


def test_hamling():
    text, p = fx.hamling_text()
    m = read_hamling(fx.named(text, "hamling.dat"), origin=fx.HYPO[:2])
    assert_patches(m, p, atol=POS_ATOL)
    assert m.segment == tuple(p.segment)
    assert (m.info.tag, m.info.mw, m.info.hypocentre) == ("hamling", None, None)
    # Default frame: about the mean patch position.
    m = read_hamling(fx.named(text, "hamling.dat"))
    np.testing.assert_allclose(np.asarray(m.centroid)[:, :2].mean(axis=0), 0.0, atol=50.0)


@pytest.mark.parametrize("old_style", [True, False])
def test_usgs_param_subfault_centres(old_style):
    text, p = fx.param_text(old_style=old_style)
    m = read_usgs_param(fx.named(text, "basic_inversion.param"))
    assert_patches(m, p, atol=1e-3)
    assert m.info.mu == pytest.approx(fx.MU, rel=1e-6)
    assert m.info.hypocentre[:2] == fx.HYPO[:2]
    assert any("first point source" in n for n in m.info.notes) == old_style


def test_usgs_param_row_count_error():
    text, _ = fx.param_text()
    lines = text.splitlines()
    del lines[-1]
    with pytest.raises(
        ValueError, match=r"basic_inversion\.param, line \d+: segment 1: 11 patch rows"
    ):
        read_usgs_param(fx.named("\n".join(lines), "basic_inversion.param"))


def test_srcmod_mat():
    data, p = fx.mat_bytes()
    stream = io.BytesIO(data)
    stream.name = "s2016SYNTHE01TEST.mat"
    m = read_srcmod_mat(stream)
    assert_patches(m, p)
    info = m.info
    assert (info.tag, info.name, info.time) == ("s2016SYNTHE01TEST", "Synthetic", "2016-08-24")
    assert info.hypocentre == fx.HYPO
    assert info.mu == pytest.approx(3.0e10, rel=1e-6)
    assert info.mw == pytest.approx((2 / 3) * (math.log10(p.moment) - 9.1))
    assert any("geoZ taken as patch centres" in n for n in info.notes)


def test_srcmod_mat_not_a_mat_file():
    stream = io.BytesIO(b"MATLAB 5.0 MAT-file, but then nothing useful")
    stream.name = "broken.mat"
    with pytest.raises(ValueError, match=r"broken\.mat, byte 0: unreadable MATLAB file"):
        read_srcmod_mat(stream)


def test_read_slip_model_dispatch(tmp_path):
    builders = {
        "a.fsp": (fx.fsp_text()[0], "fsp"),
        "b.txt": (fx.fsp_text()[0], "fsp"),
        "c.flt": (fx.flt_text()[0], "flt"),
        "d.dat": (fx.hamling_text()[0], "hamling"),
        "e.param": (fx.param_text()[0], "usgs_param"),
    }
    for name, (text, fmt) in builders.items():
        path = tmp_path / name
        path.write_text(text)
        assert detect_slip_format(path) == fmt
        assert read_slip_model(path).n_patches > 0
    (tmp_path / "f.mat").write_bytes(fx.mat_bytes()[0])
    assert detect_slip_format(tmp_path / "f.mat") == "srcmod_mat"
    assert read_slip_model(tmp_path / "f.mat", origin=(139.0, 35.0)).info.origin == (139.0, 35.0)
    (tmp_path / "gps.dat").write_text("ID station x y\n0001 0079 1.0 2.0\n")
    with pytest.raises(ValueError, match=r"gps\.dat, .*not a slip model format"):
        read_slip_model(tmp_path / "gps.dat")


# -- real data ------------------------------------------------------------------------------

# Documented frames of the .flt tables (data README and published_flt/*readme*).
FLT_ORIGINS = {
    "japan__tohoku11__": {"origin": (142.369, 38.322), "utm_zone": 54},
    "japan__kumamoto16__": {"origin": (130.726, 32.782), "utm_zone": 52},
}
NOT_SLIP_MODELS = re.compile(r"(SOURCE\.txt|readme\.txt|\.locations|_gps\.dat)$")
# Files that parse: measured 170 of 178 (2025); the floor guards against regressions.
PARSE_FLOOR = 170
MW_TOLERANCE = 0.2
# |Mw(model) - Mw(header)| > 0.2, each investigated: none is a unit or time-window error in
# the reader; the header's moment is not the moment of the tabulated slip.
MW_EXCEPTIONS = {
    "srcmod/s1978MIYAGIyama.fsp": "header Mo 2.91e20 N m needs 1.6 m mean slip on the 80 x 70 km "
    "plane at the file's mu = 3.3e10 Pa; the table has 0.3-1.3 m (Mw 7.37 vs 7.61): the header "
    "is the published seismic moment, not the table's",
    "srcmod/s1979IMPERIhart.fsp": "the file's velocity table has vs = 0.8 km/s over 0-5 km where "
    "most slip is, so its rigidity is 1.4e10 Pa (Mw 6.31); with 3e10 Pa the model gives 6.53 vs "
    "6.58: the header moment was not computed with the file's own layers (variable rigidity)",
    "srcmod/s1996PERU96sali.fsp": "header Mo 6.57e20 N m is 2.1x the tabulated slip's moment at "
    "the file's mu = 3.3e10 Pa (Mw 7.63 vs 7.84); the SLIP column does not match its own time "
    "windows either",
    "srcmod/s1998IWATEJmiya.fsp": "header Mo 2.82e18 N m is 6x the moment of the tabulated slip "
    "(max 0.52 m on 12 x 12 km; Mw 5.74 vs 6.27); the velocity table's columns are shuffled (the "
    "S-VEL column holds P velocities), so no file rigidity can be used",
    "srcmod/s1998IWATEJnaka.fsp": "header Mo is 3x the tabulated slip's moment at 3e10 Pa (Mw "
    "5.98 vs 6.30); same shuffled velocity table as the Miyakoshi model",
    "srcmod/s2004PARKFI01SIMPLE__crs.fsp": "a one-patch toy (40 x 15 km, 1 m slip) from the crs "
    "tutorial whose header is copied unchanged from Custodio et al. (2005), Mw 6.06",
}


def _options(path: Path) -> dict:
    for prefix, opts in FLT_ORIGINS.items():
        if path.name.startswith(prefix) and path.suffix == ".flt":
            return dict(opts)
    return {}


def _model_mw(model) -> tuple[float, float]:
    mu = model.info.mu or 3.0e10
    a = arrays(model)
    m0 = mu * float(np.sum(np.hypot(a["slip"][:, 0], a["slip"][:, 1]) * a["length"] * a["width"]))
    return (2.0 / 3.0) * (math.log10(m0) - 9.1), mu


@pytest.fixture(scope="module")
def parsed_folder():
    files = sorted(p for p in SLIP_DIR.rglob("*") if p.is_file())
    out = {}
    for path in files:
        rel = path.relative_to(SLIP_DIR).as_posix()
        if NOT_SLIP_MODELS.search(rel):
            with pytest.raises(ValueError, match="not a slip model format"):
                read_slip_model(path)
            continue
        try:
            out[rel] = read_slip_model(path, **_options(path))
        except ValueError as e:
            out[rel] = e
    return out


@pytest.mark.data
@needs_data
def test_real_folder_parses_or_fails_clearly(parsed_folder):
    failures = {k: v for k, v in parsed_folder.items() if isinstance(v, Exception)}
    for rel, err in failures.items():
        assert type(err) is SlipModelError or isinstance(err, ValueError)
        where = re.search(r", (line \d+|byte \d+|field '[^']+'(\[\d+, \d+\])?): ", str(err))
        assert rel.split("/")[-1] in str(err) and where, str(err)
    n_ok = len(parsed_folder) - len(failures)
    assert n_ok >= PARSE_FLOOR, f"{n_ok} of {len(parsed_folder)} parse; failures: {failures}"


@pytest.mark.data
@needs_data
def test_real_moment_matches_header(parsed_folder):
    bad, checked = {}, 0
    for rel, model in parsed_folder.items():
        if isinstance(model, Exception) or model.info.mw is None:
            continue
        checked += 1
        mw, mu = _model_mw(model)
        if abs(mw - model.info.mw) > MW_TOLERANCE:
            bad[rel] = (round(mw, 2), model.info.mw, mu)
    assert checked > 140
    assert set(bad) == set(MW_EXCEPTIONS), f"unexpected Mw mismatches: {bad}"


# A representative set that runs fast: every format and the quirks the readers repair.
SUBSET = [
    "srcmod/s1992LANDERwald.fsp",  # 3 segments, 6 time windows, X==NS mislabel, no RAKE
    "srcmod/s1995COLIMAmend.fsp",  # wrong latitude sign
    "srcmod/s2002DENALIasan.fsp",  # shifted coordinates, segment LAT/LON in km
    "srcmod/s2004PARKFI01CUST__elastic_stresses_py.fsp",  # stray 'x' column
    "srcmod/s1998HIDA08ides.fsp",  # LAT/LON too coarse for 120 m patches
    "srcmod/s1971SANFERheat.fsp",  # header Dx/Dz fit no segment
    "geonet/20130816-lake-grassmere__Hamling_EtAL2014__2013p613797.fsp",  # Z in metres
    "usgs/multi_segment_inversion.fsp",  # USGS centres above the surface
    "usgs/10004u1y.param",
    "other/hamling_coseismic_crustal_subduction.dat",
    "published_flt/japan__tohoku11__faults__wei+11.flt",  # origin from its comment
    "srcmod_mat/s2012MASSET01WEIx.mat",
    "geonet/20071015-george-sound__Petersen_EtAl2009__2808298.fsp",  # no per-patch positions
]


@pytest.mark.data
@needs_data
def test_real_subset():
    models = {}
    for rel in SUBSET:
        path = SLIP_DIR / rel
        if "george-sound" in rel:
            with pytest.raises(
                ValueError, match=r"george-sound.*line 46: .*no per-patch positions"
            ):
                read_slip_model(path)
            continue
        models[rel] = read_slip_model(path, **_options(path))
        mw, _ = _model_mw(models[rel])
        if models[rel].info.mw is not None and rel not in MW_EXCEPTIONS:
            assert abs(mw - models[rel].info.mw) <= MW_TOLERANCE, rel
    landers = models["srcmod/s1992LANDERwald.fsp"]
    assert (landers.n_patches, len(set(landers.segment))) == (186, 3)
    assert landers.info.time == "1992-06-28" and landers.info.tag == "s1992LANDERwald"
    colima = models["srcmod/s1995COLIMAmend.fsp"]
    assert colima.info.hypocentre[1] == pytest.approx(18.864)
    lon, lat = LocalFrame(*colima.info.origin).to_geographic(*np.asarray(colima.centroid)[:, :2].T)
    assert 17.5 < lat.min() and lat.max() < 20.5 and (-106 < lon).all() and (lon < -103).all()
    denali = models["srcmod/s2002DENALIasan.fsp"]
    lon, lat = LocalFrame(*denali.info.origin).to_geographic(*np.asarray(denali.centroid)[:, :2].T)
    # Denali-Totschunda: 63.6 N in the west to 62.2 N in the east (the other Denali model).
    assert 62.2 < lat.min() and lat.max() < 63.7 and (-148 < lon).all() and (lon < -142.5).all()
    grassmere = models["geonet/20130816-lake-grassmere__Hamling_EtAL2014__2013p613797.fsp"]
    assert (
        -np.asarray(grassmere.centroid)[:, 2].max() >= 0
        and -np.asarray(grassmere.centroid)[:, 2].min() < 30e3
    )
    myanmar = models["usgs/multi_segment_inversion.fsp"]
    assert np.asarray(myanmar.top_centre)[:, 2].max() <= 1e-3
    assert any("trimmed at z = 0" in n for n in myanmar.info.notes)
    tohoku = models["published_flt/japan__tohoku11__faults__wei+11.flt"]
    assert tohoku.info.origin == (142.369, 38.322)
    hamling = models["other/hamling_coseismic_crustal_subduction.dat"]
    assert len(set(hamling.segment)) == 20


@pytest.mark.data
@needs_data
@pytest.mark.parametrize(
    "param, fsp",
    [
        ("usgs/10004u1y.param", "usgs/10004u1y.fsp"),
        ("usgs/basic_inversion.param", "usgs/complete_inversion.fsp"),
    ],
)
def test_real_usgs_param_matches_its_fsp(param, fsp):
    """The same USGS model in both formats: same patches (to 0.1 km), slip and moment."""
    a = read_slip_model(SLIP_DIR / fsp)
    b = read_slip_model(SLIP_DIR / param, origin=a.info.origin)
    ca, cb = np.asarray(a.centroid), np.asarray(b.centroid)
    d = np.linalg.norm(ca[:, None, :] - cb[None, :, :], axis=-1)
    assert np.median(d.min(axis=1)) < 100.0
    j = d.argmin(axis=1)
    np.testing.assert_allclose(
        np.asarray(a.slip_magnitude), np.asarray(b.slip_magnitude)[j], atol=1e-4
    )
    assert float(a.moment(a.info.mu)) == pytest.approx(float(b.moment(b.info.mu)), rel=0.03)


# -- fuzzing --------------------------------------------------------------------------------

try:
    import hypothesis
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    hypothesis = None

if hypothesis is None:  # pragma: no cover

    def test_fuzz_needs_hypothesis():
        pytest.skip("hypothesis is not installed")

else:
    _FUZZ_TEXT, _ = fx.fsp_text(fx.ONE_SEGMENT)
    _FUZZ_LINES = _FUZZ_TEXT.splitlines()
    _TOKENS = [
        "nan",
        "-1",
        "0",
        "1e400",
        "-999",
        "%",
        "x",
        "LAT",
        "90.5",
        "1e-300",
        "",
        "-0",
        "7,5",
    ]

    @st.composite
    def _mutated_fsp(draw):
        lines = list(_FUZZ_LINES)
        for _ in range(draw(st.integers(1, 3))):
            op = draw(
                st.sampled_from(["truncate", "char", "token", "shuffle", "delete", "duplicate"])
            )
            if not lines:
                break
            if op == "truncate":
                text = "\n".join(lines)
                lines = text[: draw(st.integers(0, len(text)))].splitlines()
            elif op == "char":
                i = draw(st.integers(0, len(lines) - 1))
                line = lines[i] or " "
                j = draw(st.integers(0, len(line) - 1))
                lines[i] = (
                    line[:j]
                    + draw(st.characters(min_codepoint=32, max_codepoint=126))
                    + line[j + 1 :]
                )
            elif op == "token":
                i = draw(st.integers(0, len(lines) - 1))
                tokens = lines[i].split() or [""]
                j = draw(st.integers(0, len(tokens) - 1))
                tokens[j] = draw(st.sampled_from(_TOKENS))
                lines[i] = "  ".join(tokens)
            elif op == "shuffle":
                lines = draw(st.permutations(lines))
            elif op == "delete":
                del lines[draw(st.integers(0, len(lines) - 1))]
            else:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(i, lines[i])
        return "\n".join(lines)

    @hypothesis.given(_mutated_fsp())
    def test_fsp_fuzz_valid_model_or_value_error(text):
        try:
            m = read_fsp(fx.named(text))
        except ValueError as e:
            assert re.match(r"synthetic\.fsp, (line \d+|line 0 \(whole file\)): ", str(e)), str(e)
            return
        a = arrays(m)
        assert m.n_patches > 0
        assert all(np.isfinite(v).all() for v in a.values())
        assert (a["length"] > 0).all() and (a["width"] > 0).all()
        assert np.asarray(m.top_centre)[:, 2].max() <= 1e-3

    _MAT_BYTES, _ = fx.mat_bytes()

    @hypothesis.given(
        st.lists(
            st.tuples(st.integers(128, len(_MAT_BYTES) - 1), st.integers(0, 255)),
            min_size=1,
            max_size=8,
        ),
        st.one_of(st.none(), st.integers(0, len(_MAT_BYTES))),
    )
    def test_srcmod_mat_corrupt_bytes(edits, cut):
        """Corrupt .mat files give a ValueError (scipy's reader alone can crash on them)."""
        data = bytearray(_MAT_BYTES)
        for i, b in edits:
            data[i] = b
        stream = io.BytesIO(bytes(data[:cut]))
        stream.name = "corrupt.mat"
        try:
            m = read_srcmod_mat(stream)
        except ValueError as e:
            assert str(e).startswith("corrupt.mat, "), str(e)
            return
        assert np.isfinite(np.asarray(m.centroid)).all()
