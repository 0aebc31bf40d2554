"""GPS slip inversion: smoothing operator, bounded solvers, and invert_slip against
independent least-squares solutions (NumPy lstsq, SciPy lsq_linear)."""

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.optimize as so

import quakejax as qj
from quakejax.inversion import (
    invert_slip,
    laplacian,
    patch_adjacency,
    slip_basis,
    solve_box_qp,
    solve_box_qp_gradient,
)
from quakejax.io import GPSData, LocalFrame
from quakejax.okada import displacement, displacement_greens

ORIGIN = (140.0, 38.0)


def grid_fault(n_s=8, n_d=4, length=80e3, width=40e3, dip=20.0, top=1e3, slip=None):
    s = (np.arange(n_s) + 0.5) * length / n_s - length / 2
    w = (np.arange(n_d) + 0.5) * width / n_d
    ss, ww = np.meshgrid(s, w, indexing="ij")
    d = np.radians(dip)
    c = np.c_[ww.ravel() * np.cos(d), ss.ravel(), -(top + ww.ravel() * np.sin(d))]
    if slip is None:
        slip = np.zeros((len(c), 3))
    return qj.FaultModel(
        c, 0.0, dip, length / n_s, width / n_d, slip, info=qj.EventInfo(origin=ORIGIN)
    )


def checkerboard(fault, n_s=8, n_d=4):
    i, j = np.meshgrid(np.arange(n_s), np.arange(n_d), indexing="ij")
    board = (((i // 2) + (j // 2)) % 2).ravel()
    return np.c_[0.2 + 0.3 * board, 1.0 + 2.0 * board, np.zeros(board.size)]


@pytest.fixture(scope="module")
def problem():
    """A 8 x 4 thrust with a checkerboard, 80 stations, 3 mm noise, and its Green's matrix."""
    rng = np.random.default_rng(7)
    fault = grid_fault()
    truth = checkerboard(fault)
    xy = rng.uniform(-90e3, 110e3, (80, 2))
    pts = np.c_[xy, np.zeros(len(xy))]
    u = np.asarray(displacement(fault.with_slip(truth), pts))
    noise = 0.003
    lon, lat = LocalFrame(*ORIGIN).to_geographic(*xy.T)
    sigma = np.full(u.shape, noise) * rng.uniform(0.5, 2.0, u.shape)
    obs = np.ones(u.shape, bool)
    obs[:10, 2] = False  # some stations without a vertical
    gps = GPSData(lon, lat, u + rng.normal(size=u.shape) * sigma, sigma, obs)
    g = np.asarray(displacement_greens(fault, gps.enu(LocalFrame(*ORIGIN))))
    return fault, truth, gps, g


def weighted_system(gps, g):
    rows = gps.observed.reshape(-1)
    w = 1.0 / gps.sigma.reshape(-1)[rows]
    return g[rows] * w[:, None], gps.displacement.reshape(-1)[rows] * w


# -- the smoothing operator -------------------------------------------------------------


def test_adjacency_of_a_grid():
    fault = grid_fault(4, 3)
    adj = patch_adjacency(fault)
    # Patch (i, j) is index i * 3 + j: strike index i, down-dip index j.
    assert adj.neighbour[4].tolist() == [1, 7, 3, 5]
    assert adj.border("top").sum() == 4 and adj.border("bottom").sum() == 4
    assert adj.border("start").sum() == 3 and adj.border("end").sum() == 3


def test_laplacian_free_annihilates_constants_and_linear_fields():
    fault = grid_fault(6, 5)
    lap = laplacian(fault)
    assert np.allclose(lap @ np.ones(30), 0.0, atol=1e-12)
    assert np.linalg.matrix_rank(lap) == 29
    # A field linear along strike has zero Laplacian away from the ends.
    along = np.asarray(fault.centroid)[:, 1]
    inner = np.abs(along) < 25e3
    assert np.allclose((lap @ along)[inner], 0.0, atol=1e-6 * np.abs(along).max())
    # Interior stencil: -4, 1, 1, 1, 1 times h^2/d^2 on square patches.
    sq = grid_fault(5, 5, length=50e3, width=50e3)
    row = laplacian(sq)[12]
    assert np.isclose(row[12], -4.0) and np.isclose(row.sum(), 0.0)


def test_laplacian_zero_bottom_sides_is_full_rank_and_top_free():
    fault = grid_fault(6, 5)
    lap = laplacian(fault, edges="zero-bottom-sides")
    assert np.linalg.matrix_rank(lap) == 30
    rowsum = lap.sum(1).reshape(6, 5)
    # Only bottom-row and end patches feel the zero ghost; the top edge stays free.
    assert np.allclose(rowsum[1:-1, :-1], 0.0, atol=1e-12)
    assert np.all(rowsum[:, -1] < -0.1) and np.all(rowsum[0] < -0.1) and np.all(rowsum[-1] < -0.1)
    with pytest.raises(ValueError, match="edges"):
        laplacian(fault, edges="clamped")


def test_laplacian_couples_segments_meeting_at_an_angle():
    a = grid_fault(4, 2, length=40e3, width=20e3, dip=60.0)
    # Second segment: continues from the end of the first, strike 15 deg.
    end = np.array([0.0, 20e3, 0.0])
    phi = np.radians(15.0)
    s = np.array([np.sin(phi), np.cos(phi), 0.0])
    pts = []
    for i in range(4):
        for j in range(2):
            along = (i + 0.5) * 10e3
            dd = (
                np.array([np.cos(phi), -np.sin(phi), 0.0])
                * np.cos(np.radians(60))
                * (j + 0.5)
                * 10e3
            )
            pts.append(
                end + along * s + dd + [0, 0, -(1e3 + (j + 0.5) * 10e3 * np.sin(np.radians(60)))]
            )
    b = qj.FaultModel(np.array(pts), 15.0, 60.0, 10e3, 10e3, np.zeros((8, 3)))
    both = qj.FaultModel.concatenate([a, b], info=a.info)
    adj = patch_adjacency(both)
    last_of_a = 3 * 2  # patch (3, 0) of segment a
    assert adj.neighbour[last_of_a, 1] == 8  # its end edge meets patch (0, 0) of b
    assert np.allclose(laplacian(both) @ np.ones(16), 0.0, atol=1e-12)


# -- bounded solvers --------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_box_qp_matches_scipy_lsq_linear(seed):
    rng = np.random.default_rng(seed)
    n = 40
    a = rng.normal(size=(90, n)) @ np.diag(np.logspace(0, -2, n))
    b = rng.normal(size=90)
    lo = np.where(rng.random(n) < 0.6, 0.0, -np.inf)
    hi = np.where(rng.random(n) < 0.3, 0.3, np.inf)
    lo[:3] = hi[:3] = 0.1  # fixed variables
    # lsq_linear takes no equal bounds: the fixed variables are moved to the right-hand side.
    ref_free = so.lsq_linear(
        a[:, 3:], b - a[:, :3] @ lo[:3], bounds=(lo[3:], hi[3:]), method="bvls", tol=1e-14
    )
    ref = SimpleNamespace(x=np.r_[lo[:3], ref_free.x])
    x, _, ok = solve_box_qp(a.T @ a, a.T @ b, lo, hi)
    assert ok
    assert np.all(x >= lo) and np.all(x <= hi)
    np.testing.assert_allclose(x, ref.x, atol=1e-9 * np.abs(ref.x).max())
    # The fallback taken when the active set does not settle gives the same answer.
    xf, _, okf = solve_box_qp(a.T @ a, a.T @ b, lo, hi, max_iter=0)
    assert okf
    np.testing.assert_allclose(xf, ref.x, atol=1e-8 * np.abs(ref.x).max())
    xg, _, _ = solve_box_qp_gradient(a.T @ a, a.T @ b, lo, hi, tol=1e-9)
    np.testing.assert_allclose(np.asarray(xg), ref.x, atol=1e-4 * np.abs(ref.x).max())


def test_box_qp_rejects_crossed_bounds():
    with pytest.raises(ValueError, match="lower"):
        solve_box_qp(np.eye(2), np.ones(2), [0.0, 1.0], [1.0, 0.0])


# -- invert_slip ------------------------------------------------------------------------


def test_unconstrained_equals_closed_form(problem):
    fault, _, gps, g = problem
    lam = 0.3
    inv = invert_slip(fault, gps, smoothing=lam, positivity=False, greens=g)
    a, b = weighted_system(gps, g)
    l2 = np.kron(laplacian(fault), np.eye(2))
    ref = np.linalg.lstsq(np.vstack([a, lam * l2]), np.r_[b, np.zeros(len(l2))], rcond=None)[0]
    np.testing.assert_allclose(inv.slip.reshape(-1), ref, atol=1e-8 * np.abs(ref).max())
    # Its reported fit is that of the slip it returns.
    pred = np.asarray(displacement(inv.fault, inv.points))
    np.testing.assert_allclose(inv.predicted, pred, atol=1e-10)
    r = (gps.displacement - pred)[gps.observed] / gps.sigma[gps.observed]
    assert np.isclose(inv.chi2, r @ r) and np.isclose(inv.wrms, np.sqrt(r @ r / r.size))
    assert np.isclose(inv.mw(), float(inv.fault.magnitude(3e10)))


def test_lcurve_values_are_those_of_the_closed_form(problem):
    fault, _, gps, g = problem
    inv = invert_slip(fault, gps, smoothing=1.0, positivity=False, greens=g, lcurve=True)
    lc = inv.lcurve
    a, b = weighted_system(gps, g)
    lap = np.kron(laplacian(fault), np.eye(2))
    for i in (40, 120, 200):
        lam = lc.smoothing[i]
        s = np.linalg.lstsq(np.vstack([a, lam * lap]), np.r_[b, np.zeros(len(lap))], rcond=None)[0]
        r = a @ s - b
        assert np.isclose(lc.misfit[i], r @ r, rtol=1e-7)
        assert np.isclose(lc.roughness[i], np.sum((lap @ s) ** 2), rtol=1e-6)
        # GCV from its definition, with the hat matrix formed explicitly.
        hat = a @ np.linalg.solve(a.T @ a + lam**2 * lap.T @ lap, a.T)
        gcv = len(b) * (r @ r) / (len(b) - np.trace(hat)) ** 2
        assert np.isclose(lc.gcv[i], gcv, rtol=1e-7)


def test_rake_bounds_match_lsq_linear(problem):
    fault, _, gps, g = problem
    lam = 0.5
    # rake in [0, 90] is exactly strike slip >= 0 and dip slip >= 0: a box for lsq_linear.
    inv = invert_slip(fault, gps, smoothing=lam, rake=(0.0, 90.0), greens=g)
    a, b = weighted_system(gps, g)
    l2 = np.kron(laplacian(fault), np.eye(2))
    ref = so.lsq_linear(
        np.vstack([a, lam * l2]),
        np.r_[b, np.zeros(len(l2))],
        bounds=(0.0, np.inf),
        method="bvls",
        tol=1e-14,
    ).x
    np.testing.assert_allclose(inv.slip.reshape(-1), ref, atol=1e-8 * np.abs(ref).max())
    assert inv.info["converged"]
    # A narrow rake window is respected on every slipping patch.
    nar = invert_slip(fault, gps, smoothing=lam, rake=(80.0, 100.0), greens=g)
    moving = np.hypot(*nar.slip.T) > 1e-9
    assert np.all((nar.rake[moving] >= 80 - 1e-6) & (nar.rake[moving] <= 100 + 1e-6))


def test_optax_solver_agrees_with_direct(problem):
    fault, _, gps, g = problem
    kw = dict(smoothing=0.5, rake=(30.0, 150.0), greens=g)
    d = invert_slip(fault, gps, **kw)
    o = invert_slip(fault, gps, solver="optax", **kw)
    np.testing.assert_allclose(o.slip, d.slip, atol=1e-5 * np.abs(d.slip).max())
    assert o.info["converged"]


def test_checkerboard_is_recovered_with_auto_smoothing(problem):
    fault, truth, gps, g = problem
    inv = invert_slip(fault, gps, greens=g, rake=(0.0, 180.0))
    corr = np.corrcoef(inv.slip[:, 1], truth[:, 1])[0, 1]
    assert corr > 0.8, corr
    assert 0.7 < inv.wrms < 1.3
    assert abs(inv.mw() - float(fault.with_slip(truth).magnitude())) < 0.05
    lc = inv.lcurve
    assert lc is not None and lc.method == "abic"
    assert np.all(np.diff(lc.misfit) >= -1e-9 * lc.misfit.max())  # fit worsens with lambda
    assert np.all(np.diff(lc.roughness) <= 1e-9 * lc.roughness.max())
    assert np.all((inv.resolution > -1e-9) & (inv.resolution < 1 + 1e-9))
    gcv = invert_slip(fault, gps, greens=g, smoothing="gcv", rake=(0.0, 180.0))
    assert gcv.lcurve.method == "gcv" and gcv.smoothing > 0


def test_slip_basis_cone_and_half_plane():
    fault = grid_fault(2, 1, slip=np.array([[1.0, 1.0, 0.0], [0.0, -2.0, 0.0]]))
    b, lo, hi = slip_basis(fault, True, (30.0, 60.0))
    np.testing.assert_allclose(b[0][:, 0], [np.cos(np.pi / 6), np.sin(np.pi / 6)])
    assert np.all(lo == 0) and np.all(np.isinf(hi))
    b, lo, hi = slip_basis(fault, True, None)  # within 90 deg of the fault's own rake
    np.testing.assert_allclose(b[1][:, 0], [0.0, -1.0], atol=1e-12)
    assert lo[1, 0] == 0 and np.isneginf(lo[1, 1])
    with pytest.raises(ValueError, match="give rake"):
        slip_basis(grid_fault(2, 1), True, None)
    with pytest.raises(ValueError, match="positivity"):
        slip_basis(fault, False, (0.0, 90.0))
    with pytest.raises(ValueError, match="min <= max"):
        slip_basis(fault, True, (0.0, 270.0))


def test_invert_slip_errors_name_the_problem(problem):
    fault, _, gps, g = problem
    bare = qj.FaultModel(fault.centroid, 0.0, 20.0, 10e3, 10e3, np.zeros((32, 3)))
    with pytest.raises(ValueError, match="frame"):
        invert_slip(bare, gps, smoothing=1.0)
    bad = GPSData(
        gps.longitude,
        gps.latitude,
        gps.displacement,
        np.zeros((80, 3)),
        gps.observed,
        names=gps.names,
    )
    with pytest.raises(ValueError, match="sigma 0"):
        invert_slip(fault, bad, smoothing=1.0, greens=g)
    with pytest.raises(ValueError, match="greens"):
        invert_slip(fault, gps, smoothing=1.0, greens=g[:, :10])
    with pytest.raises(ValueError, match="solver"):
        invert_slip(fault, gps, solver="cvxpy", greens=g)
    with pytest.raises(ValueError, match="smoothing"):
        invert_slip(fault, gps, smoothing="bogus", rake=(0.0, 90.0), greens=g)


def test_plot(problem, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    fault, _, gps, g = problem
    fig = invert_slip(fault, gps, greens=g, rake=(0.0, 180.0)).plot()
    fig.savefig(tmp_path / "inv.png")
    assert (tmp_path / "inv.png").stat().st_size > 1000


def test_planar_fault_geometry():
    f = qj.FaultModel.planar([1e3, 2e3, 0.0], 30.0, 40.0, 60e3, 20e3, 6, 2)
    assert f.n_patches == 12
    top = np.asarray(f.corners)[:, :2, :].reshape(-1, 3)
    assert np.isclose(top[:, 2].max(), 0.0, atol=1e-6)  # the top edge is at the surface
    np.testing.assert_allclose(np.asarray(f.centroid).mean(0)[2], -10e3 * np.sin(np.radians(40)))
    # Patch i * n_dip + j: consecutive patches go down dip, to the right of strike.
    d = np.asarray(f.centroid[1] - f.centroid[0])
    np.testing.assert_allclose(d / np.linalg.norm(d), np.asarray(f.down_dip_vector[0]), atol=1e-12)
    with pytest.raises(ValueError, match="n_strike"):
        qj.FaultModel.planar([0, 0, 0], 0, 45, 1e3, 1e3, 0, 1)
