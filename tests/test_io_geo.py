"""LocalFrame against geodesic distances (pyproj.Geod, Karney's algorithm)."""

import numpy as np
import pytest
from pyproj import Geod

from quakejax.io import LocalFrame

GEOD = Geod(ellps="WGS84")


def test_aeqd_preserves_distance_and_azimuth_from_the_origin():
    f = LocalFrame(142.369, 38.322)
    rng = np.random.default_rng(0)
    lon = 142.369 + rng.uniform(-3, 3, 50)
    lat = 38.322 + rng.uniform(-3, 3, 50)
    e, n = f.to_local(lon, lat)
    az, _, dist = GEOD.inv(np.full(50, 142.369), np.full(50, 38.322), lon, lat)
    np.testing.assert_allclose(np.hypot(e, n), dist, rtol=1e-9)
    np.testing.assert_allclose(np.degrees(np.arctan2(e, n)), az, atol=1e-7)
    back = f.to_geographic(e, n)
    np.testing.assert_allclose(back[0], lon, atol=1e-9)
    np.testing.assert_allclose(back[1], lat, atol=1e-9)


def test_tmerc_central_meridian_and_utm_shift():
    f = LocalFrame(-117.0, 34.0, kind="tmerc")
    _, n = f.to_local(-117.0, 35.0)
    assert float(n) == pytest.approx(GEOD.inv(-117.0, 34.0, -117.0, 35.0)[2], rel=1e-9)
    u = LocalFrame(141.0, 0.0, kind="utm", zone=54)
    assert np.allclose(u.to_local(141.0, 0.0), 0.0)
    # On the central meridian of zone 54 (141E) the UTM scale is 0.9996.
    _, n = u.to_local(141.0, 1.0)
    assert float(n) == pytest.approx(0.9996 * GEOD.inv(141.0, 0.0, 141.0, 1.0)[2], rel=1e-9)
    # Longitudes given in 0-360 and -180-180 are the same place.
    g = LocalFrame(-120.4, 35.8)
    np.testing.assert_allclose(g.to_local(239.6, 35.9), g.to_local(-120.4, 35.9), atol=1e-6)
    assert np.allclose(g.enu([-120.4], [35.8], [5e3]), [[0.0, 0.0, -5e3]])


def test_bad_frames_and_points():
    with pytest.raises(ValueError, match="lat0"):
        LocalFrame(0.0, 95.0)
    with pytest.raises(ValueError, match="zone"):
        LocalFrame(0.0, 0.0, kind="utm")
    with pytest.raises(ValueError, match="kind"):
        LocalFrame(0.0, 0.0, kind="lcc")
    with pytest.raises(ValueError, match="not finite"):
        LocalFrame(float("nan"), 0.0)
    with pytest.raises(ValueError, match="latitude"):
        LocalFrame(0.0, 0.0).to_local([0.0, 1.0], [0.0, 91.0])
    LocalFrame(np.float64(1.0), np.float32(2.0)).to_local(1.0, 2.0)  # numpy scalars are fine


def test_models_carry_their_frame(tmp_path):
    from quakejax.io import read_flt

    p = tmp_path / "one.flt"
    p.write_text(
        "# n slip x1 x2 x3 length width strike dip rake\n1 2.0 0 0 1000 5000 4000 10 60 90\n"
    )
    utm = read_flt(p, origin=(142.369, 38.322), utm_zone=54)
    assert utm.info.frame == LocalFrame(142.369, 38.322, kind="utm", zone=54)
    assert utm.info.local_frame() is utm.info.frame
    plain = read_flt(p)
    assert plain.info.origin is None and plain.info.local_frame() is None
