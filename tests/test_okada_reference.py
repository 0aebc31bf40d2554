"""dc3d / dc3d0 against independent codes: pyrocko (C, float64) and okada-wrapper (DC3D Fortran).

pyrocko: max relative error 1e-10 on random geometries, away from the near-vertical band
(|cos dip| < 0.1), where both codes lose digits to DC3D's 1/cos^2(dip) cancellation (pyrocko
also replaces dip = 90 by 89.99).  okada-wrapper is single precision: 1e-6 for DC3D and 1e-5
for DC3D0 (single-precision intermediates), vertical dips included.
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from quakejax.okada import dc3d, dc3d0

from ._geometry import as_float32_exact, ned_to_okada_point, okada_to_ned, rel_err

LAM = MU = 3.0e10
ALPHA = (LAM + MU) / (LAM + 2 * MU)
ALPHA32 = float(np.float32(ALPHA))


def _slip():
    mag = st.floats(0.01, 5.0)
    return st.one_of(st.just(0.0), mag, mag.map(lambda v: -v))


@st.composite
def fault_and_point(draw, allow_vertical=False):
    """A buried fault and a receiver within a few fault sizes of it.

    The fault's dimensions scale with its depth (0.1 to 1.5 times), and the receiver lies
    within 2 times max(size, depth): further out the four-corner sum cancels to a small
    fraction of its terms, and the two float64 codes (which also differ in how they form
    R + xi) drift apart to ~1e-9 (seen at 2.5 sizes: 1.08e-10).
    """
    dips = st.floats(-84.0, 84.0)
    if allow_vertical:
        dip = draw(st.one_of(dips, st.sampled_from([90.0, -90.0, 0.0, 89.0])))
    else:
        dip = draw(dips)
    depth = draw(st.floats(500.0, 30000.0))
    dim = lambda: max(50.0, draw(st.floats(0.05, 0.75)) * depth)  # noqa: E731
    al1, al2, aw1, aw2 = -dim(), dim(), -dim(), dim()
    # Keep the whole fault below the surface: corner depths depth - eta sin(dip) > 0.
    sd = np.sin(np.radians(dip))
    top = max(aw1 * sd, aw2 * sd)
    if top >= 0.95 * depth:
        scale = 0.95 * depth / top
        aw1, aw2 = aw1 * scale, aw2 * scale
    disl = [draw(_slip()) for _ in range(3)]
    reach = 2.0 * max(al2 - al1, aw2 - aw1, depth)
    # Shallow and deep receivers, some of them on the free surface.
    # (pyrocko returns values of order 1e207 for a receiver 4e-202 m deep, so receivers are
    # either exactly on the surface or at least 1 m deep.)
    ned = [
        draw(st.floats(-reach, reach)),
        draw(st.floats(-reach, reach)),
        draw(st.one_of(st.just(0.0), st.floats(1.0, reach))),
    ]
    strike = draw(st.floats(0.0, 360.0))
    return dict(
        dip=dip, depth=depth, al=(al1, al2), aw=(aw1, aw2), disl=disl, ned=ned, strike=strike
    )


@given(fault_and_point())
@settings(max_examples=150)
def test_dc3d_matches_pyrocko(case):
    okada_ext = pytest.importorskip("pyrocko.modelling.okada_ext", reason="pyrocko not installed")
    if not np.any(case["disl"]):
        return
    src = np.array(
        [[0.0, 0.0, case["depth"], case["strike"], case["dip"], *case["al"], *case["aw"]]]
    )
    ref = okada_ext.okada(
        src,
        np.array([case["disl"]]),
        np.array([case["ned"]]),
        LAM,
        MU,
        nthreads=1,
        rotate_sdn=0,
        stack_sources=0,
    )[0, 0]
    obs = ned_to_okada_point(case["ned"], case["strike"])
    u, g = dc3d(
        obs,
        alpha=ALPHA,
        depth=case["depth"],
        dip=case["dip"],
        al=case["al"],
        aw=case["aw"],
        disl=case["disl"],
    )
    rot = okada_to_ned(case["strike"])
    u_ned = rot @ np.asarray(u)
    g_ned = rot @ np.asarray(g) @ rot.T
    # pyrocko stores the gradient as d u_j / d x_i (row = derivative direction).
    assert rel_err(u_ned, ref[:3]) < 1e-10
    assert rel_err(g_ned, ref[3:].reshape(3, 3).T) < 1e-10


@given(fault_and_point(allow_vertical=True))
@settings(max_examples=150)
def test_dc3d_matches_okada_wrapper(case):
    ow = pytest.importorskip("okada_wrapper", reason="okada-wrapper not installed")
    # The wrapper takes and returns float32: give both codes the same float32-exact inputs,
    # leaving only the reference's output rounding (about 6e-8 relative).
    obs = ned_to_okada_point(case["ned"], case["strike"])
    obs, depth, dip, al, aw, disl = as_float32_exact(
        obs, case["depth"], case["dip"], case["al"], case["aw"], case["disl"]
    )
    ok, u_ref, g_ref = ow.dc3dwrapper(ALPHA32, obs, depth, dip, al, aw, disl)
    if ok != 0:
        return
    u, g = dc3d(np.array(obs), alpha=ALPHA32, depth=depth, dip=dip, al=al, aw=aw, disl=disl)
    slip = max(np.abs(disl))
    # okada_wrapper's grad[i, j] is d u_j / d x_i: the transpose of ours.  Where symmetry makes
    # the field vanish, the reference returns a cancellation residue (1.4e-17 m per m of slip
    # at the epicentre of a vertical fault, found by hypothesis): fields below 1e-10 of the
    # slip count as zero.
    assert rel_err(u, u_ref, floor=1e-10 * slip) < 1e-6
    assert rel_err(g, np.asarray(g_ref).T, floor=1e-10 * slip / depth) < 1e-6


@given(
    dip=st.one_of(st.floats(-90.0, 90.0), st.sampled_from([90.0, 0.0, -90.0])),
    depth=st.floats(0.5, 30.0),
    kind=st.sampled_from([0, 1, 2, 3]),
    value=st.floats(0.01, 5.0),
    xyz=st.tuples(
        st.floats(-4.0, 4.0), st.floats(-4.0, 4.0), st.one_of(st.just(0.0), st.floats(-4.0, 0.0))
    ),
)
@example(dip=0.0, depth=1.2481432028380317, kind=3, value=1.0, xyz=(0.0, 0.0, -2.75))  # CI, 2e-6
@settings(max_examples=150)
def test_dc3d0_matches_okada_wrapper(dip, depth, kind, value, xyz):
    ow = pytest.importorskip("okada_wrapper", reason="okada-wrapper not installed")
    # The wrapper computes in single precision: where terms cancel (far from the source, or
    # between the tensile and inflation sources) it keeps only a few digits.  So one potency
    # type at a time (linearity is tested elsewhere), within 4 source depths (xyz in depths).
    pot = [0.0] * 4
    pot[kind] = value
    xyz = [v * depth for v in xyz]
    if np.hypot(np.hypot(xyz[0], xyz[1]), xyz[2] + depth) < 0.05 * depth:
        return
    xyz, depth, dip, pot = as_float32_exact(xyz, depth, dip, pot)
    ok, u_ref, g_ref = ow.dc3d0wrapper(ALPHA32, xyz, depth, dip, pot)
    u, g = dc3d0(np.array(xyz), alpha=ALPHA32, depth=depth, dip=dip, pot=pot)
    p = max(np.abs(pot))
    # DC3D0 keeps its intermediates in single precision: up to ~30 ulp (2e-6 seen directly
    # below an inflation source), so 1e-5 here against 1e-6 for DC3D.
    assert rel_err(u, u_ref, floor=1e-12 * p / depth**2) < 1e-5
    assert rel_err(g, np.asarray(g_ref).T, floor=1e-12 * p / depth**3) < 1e-5
