"""Okada (1992) displacement and displacement gradient of a finite rectangular dislocation.

A JAX transcription of the formulas of DC3D (Okada 1992, BSSA 82(2), 1018-1040, Tables 6-8):
the full-space part A at the real source, and parts A, B and C at the image source.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, ArrayLike, Float, Int
from ._common import (
    EPS,
    STATUS_ABOVE_SURFACE,
    STATUS_OK,
    STATUS_SINGULAR,
    TWO_PI,
    alpha_constants,
    backend_jit,
    dip_constants,
    is_concrete,
    safe,
    snap,
)


class _Corner:
    """Geometry constants of DC3D's DCCON2 for one corner (xi, eta) of the fault.

    Reciprocals of R, R^3, ... are formed once: XLA does not turn divisions into
    multiplications by itself, and divisions dominate the cost of the kernel.

    With `deferred`, the logarithms log(R + xi) and log(R + eta) are left out of the
    corner's terms (`alx` and `ale` are 0) and their arguments kept (`alx_arg`, `ale_arg`):
    they enter DC3D's outputs linearly with corner-independent coefficients, so the caller
    takes one log of the corners' signed product instead of four logs (`_corner_sum`,
    `_add_ua_logs`, `_add_ub_logs`).  `ale_exact` stays available for the dip derivative at
    a vertical dip (unused, and so never computed, otherwise).  The arctangents (TT, and the
    one in part B's I4) are deferred the same way: the corner keeps a plane vector whose
    angle is the arctangent (`tt_vec`, `i4_vec`), and the caller takes one angle of the
    corners' signed complex product (`_signed_angle_sum`, `_add_angles`).  On a CPU an
    arctangent costs about 15 additions in float64, and there are 12 per pair otherwise.
    """

    def __init__(self, xi, et, q, sd, cd, kxi, ket, deferred: bool = False):
        self.deferred = deferred
        self.xi, self.et, self.q = xi, et, q
        self.xi2, self.et2, self.q2 = xi * xi, et * et, q * q
        self.r2 = self.xi2 + self.et2 + self.q2
        self.r = r = jnp.sqrt(self.r2)
        self.ir = ir = 1.0 / r
        self.ir2 = ir2 = ir * ir
        self.ir3 = ir3 = ir * ir2
        self.ir5 = ir3 * ir2
        self.y = y = et * cd + q * sd
        self.d = d = et * sd - q * cd
        # TT = atan(xi eta / (q R)); 0 on the fault plane (q = 0) as in DC3D.  Deferred: the
        # vector (|q| R, xi eta) / R^2, whose angle is TT / sign(q) (q is shared by the
        # corners, so `_corner_sum` applies the sign once, with the q = 0 rule).
        q_zero = q == 0.0
        if deferred:
            self.tt = 0.0
            self.tt_vec = (jnp.abs(safe(q_zero, q)) * ir, xi * et * ir2)
        else:
            self.tt = jnp.where(q_zero, 0.0, jnp.arctan(xi * et * ir / safe(q_zero, q)))
        # On the negative extension of an edge R + xi (or R + eta) vanishes: DC3D switches to
        # -log(R - xi) and sets X11 = X32 = 0.  The log(eta^2 + q^2) difference between the two
        # forms cancels between the corners of one row, because the switch is made per row.
        self.alx_arg, self.x11, self.x32, alx = self._log_terms(r, ir, xi, self.et2 + self.q2, kxi)
        self.ale_arg, self.y11, self.y32, self.ale_exact = self._log_terms(
            r, ir, et, self.xi2 + self.q2, ket
        )
        if deferred:
            self.alx = self.ale = 0.0
        else:
            self.alx, self.ale = alx, self.ale_exact
        self.ey = sd * ir - y * q * ir3
        self.ez = cd * ir + d * q * ir3
        self.fy = d * ir3 + self.xi2 * self.y32 * sd
        self.fz = y * ir3 + self.xi2 * self.y32 * cd
        self.gy = 2.0 * self.x11 * sd - y * q * self.x32
        self.gz = 2.0 * self.x11 * cd + d * q * self.x32
        self.hy = d * q * self.x32 + xi * q * self.y32 * sd
        self.hz = y * q * self.x32 + xi * q * self.y32 * cd

    @staticmethod
    def _log_terms(r, ir, v, rest2, flag):
        """The argument of DC3D's log(R + v), 1/(R (R + v)), X32/Y32 and the log itself, with
        DC3D's switch at R + v ~ 0 (there the log is -log(R - v), of argument 1 / (R - v)).
        Whichever of the argument and the log the caller does not use is never computed."""
        rv = _r_plus(r, v, rest2)
        rmv = r - v  # no cancellation where it is used (v < 0)
        # Double-where: the unused form never reaches the log or the division, and rmv > 0
        # wherever flag is set.
        arg = jnp.where(flag, 1.0 / jnp.where(flag, rmv, 1.0), safe(flag, rv))
        log = jnp.where(flag, -1.0, 1.0) * jnp.log(jnp.where(flag, rmv, safe(flag, rv)))
        inv = ir / safe(flag, rv)  # 1 / (R (R + v))
        v11 = jnp.where(flag, 0.0, inv)
        v32 = jnp.where(flag, 0.0, (r + rv) * inv * inv * ir)
        return arg, v11, v32, log


def _r_plus(r, v, rest2):
    """R + v without cancellation: for v < 0 use (R^2 - v^2) / (R - v), R^2 = v^2 + rest2.

    Far along the negative extension of an edge (v < 0, |v| >> the other coordinates) the
    direct sum loses all digits in float32 and many in float64; DC3D uses the direct sum.
    """
    neg = v < 0.0
    den = safe(~neg, r - v)
    return jnp.where(neg, rest2 / den, r + v)


def _ua(c: _Corner, alp, sd, cd, tensile: bool):
    """Part A (full-space terms), Okada 1992 Table 6: (strike, dip[, tensile]) x 12."""
    alp1, alp2 = alp[0], alp[1]
    xi, et, q, ir, ir3 = c.xi, c.et, c.q, c.ir, c.ir3
    xy = xi * c.y11
    qx = q * c.x11
    qy = q * c.y11
    d, y = c.d, c.y
    strike = [
        c.tt * 0.5 + alp2 * xi * qy,
        alp2 * q * ir,
        alp1 * c.ale - alp2 * q * qy,
        -alp1 * qy - alp2 * c.xi2 * q * c.y32,
        -alp2 * xi * q * ir3,
        alp1 * xy + alp2 * xi * c.q2 * c.y32,
        alp1 * xy * sd + alp2 * xi * c.fy + d * 0.5 * c.x11,
        alp2 * c.ey,
        alp1 * (cd * ir + qy * sd) - alp2 * q * c.fy,
        alp1 * xy * cd + alp2 * xi * c.fz + y * 0.5 * c.x11,
        alp2 * c.ez,
        -alp1 * (sd * ir - qy * cd) - alp2 * q * c.fz,
    ]
    dip = [
        alp2 * q * ir,
        c.tt * 0.5 + alp2 * et * qx,
        alp1 * c.alx - alp2 * q * qx,
        -alp2 * xi * q * ir3,
        -qy * 0.5 - alp2 * et * q * ir3,
        alp1 * ir + alp2 * c.q2 * ir3,
        alp2 * c.ey,
        alp1 * d * c.x11 + xy * 0.5 * sd + alp2 * et * c.gy,
        alp1 * y * c.x11 - alp2 * q * c.gy,
        alp2 * c.ez,
        alp1 * y * c.x11 + xy * 0.5 * cd + alp2 * et * c.gz,
        -alp1 * d * c.x11 - alp2 * q * c.gz,
    ]
    if not tensile:
        return strike, dip
    opening = [
        -alp1 * c.ale - alp2 * q * qy,
        -alp1 * c.alx - alp2 * q * qx,
        c.tt * 0.5 - alp2 * (et * qx + xi * qy),
        -alp1 * xy + alp2 * xi * c.q2 * c.y32,
        -alp1 * ir + alp2 * c.q2 * ir3,
        -alp1 * qy - alp2 * q * c.q2 * c.y32,
        -alp1 * (cd * ir + qy * sd) - alp2 * q * c.fy,
        -alp1 * y * c.x11 - alp2 * q * c.gy,
        alp1 * (d * c.x11 + xy * sd) + alp2 * q * c.hy,
        alp1 * (sd * ir - qy * cd) - alp2 * q * c.fz,
        alp1 * d * c.x11 - alp2 * q * c.gz,
        alp1 * (y * c.x11 + xy * cd) + alp2 * q * c.hz,
    ]
    return strike, dip, opening


def _rd_terms(c: _Corner, y, d):
    """R + d and the factors of Okada's Table 7 built on it, for given y and d."""
    rd = _r_plus(c.r, d, c.xi2 + y * y)  # R^2 = xi^2 + y^2 + d^2
    rd = safe(rd == 0.0, rd)  # only on an edge, where the point is rejected anyway
    ird = 1.0 / rd
    d11 = c.ir * ird
    return rd, ird, d11, c.xi * y * ird * d11, -(d + y * y * ird) * d11


def _ub_general(c: _Corner, sd, cd, y, ird, d11, log_rd, aj2, aj5):
    """I3, I4, K1, K3, J3, J6 of Okada (1992) for cos(dip) != 0 (cd = 0 gives finite junk)."""
    xi, et, q, r = c.xi, c.et, c.q, c.r
    vertical = cd == 0.0
    icd = 1.0 / safe(vertical, cd)
    icdcd = icd * icd
    xi_zero = xi == 0.0
    x = jnp.sqrt(c.xi2 + c.q2)
    num = et * (x + q * cd) + x * (r + x) * sd
    if c.deferred:
        # atan(num / den) is the angle of (|den|, sign(den) num), both scaled by 1 / R^2
        # (|num| <= 4 R^2, |den| <= 2 R^2); (1, 0) where the term is not used.
        den = safe(vertical, cd) * xi * (r + x)
        unused = xi_zero | vertical
        ir2 = c.ir2
        c.i4_vec = (
            jnp.where(unused, 1.0, jnp.abs(den) * ir2),
            jnp.where(unused, 0.0, jnp.where(den < 0.0, -num, num) * ir2),
        )
        atan_term = 0.0
    else:
        atan_term = jnp.arctan(num * icd / (safe(xi_zero, xi) * (r + x)))
    ai4 = jnp.where(xi_zero, 0.0, (xi * ird * sd * cd + 2.0 * atan_term) * icdcd)
    ai3 = (y * cd * ird - c.ale + sd * log_rd) * icdcd
    ak1 = xi * (d11 - c.y11 * sd) * icd
    ak3 = (q * c.y11 - y * d11) * icd
    return ai3, ai4, ak1, ak3, (ak1 - aj2 * sd) * icd, (ak3 - aj5 * sd) * icd


def _ub_vertical(c: _Corner, sd, cd):
    """The same six terms at cos(dip) = 0: Okada's vertical limits.

    Their derivative with respect to the dip is not that of the limit formulas; the missing
    first-order term in cos(dip) is added by `_first_order_in_cd`, which is zero in value and
    costs nothing outside differentiation.
    """
    xi, et, q = c.xi, c.et, c.q
    sd0 = jax.lax.stop_gradient(sd)
    y, d = q * sd0, et * sd0  # y and d at cos(dip) = 0
    _, ird, d11, _, _ = _rd_terms(c, y, d)
    ird2 = ird * ird
    limits = (
        (et * ird + y * q * ird2 - c.ale) * 0.5,
        xi * y * ird2 * 0.5,
        xi * q * ird * d11,
        sd0 * ird * (c.xi2 * d11 - 1.0),
        -xi * ird2 * (c.q2 * d11 - 0.5),
        -y * ird2 * (c.xi2 * d11 - 0.5),
    )
    first = _first_order_in_cd(cd, xi, et, q, c.ale_exact, c.y11, sd0)
    return tuple(lim + f for lim, f in zip(limits, first, strict=True))


@jax.custom_jvp
def _first_order_in_cd(cd, xi, et, q, ale, y11, sd):
    """cd * (d/d cd of the six general UB terms at cd = 0, fixed xi, eta, q): zero in value
    where it is used (cd = 0), so only its derivative dcd * slope is ever formed."""
    zero = jnp.zeros_like(xi * cd)
    return (zero,) * 6


@_first_order_in_cd.defjvp
def _first_order_in_cd_jvp(primals, tangents):
    cd, xi, et, q, ale, y11, sd = primals
    dcd = tangents[0]
    slopes = _ub_slopes(xi, et, q, ale, y11, sd)
    zero = jnp.zeros_like(xi * cd)
    return (zero,) * 6, tuple(dcd * s for s in slopes)


def _ub_slopes(xi, et, q, ale, y11, sd):
    """Symmetric difference of the general UB terms at cos(dip) = +-delta, fixed xi, eta, q.

    delta = eps^(1/5) balances the general formulas' 1/cos^2 rounding against truncation.
    """
    corner = _Corner.__new__(_Corner)  # only the attributes the general formulas read
    corner.deferred = False
    corner.xi, corner.et, corner.q = xi, et, q
    corner.xi2, corner.q2 = xi * xi, q * q
    corner.r = jnp.sqrt(corner.xi2 + et * et + corner.q2)
    corner.ir = 1.0 / corner.r
    corner.ale, corner.y11 = ale, y11
    delta = float(jnp.finfo(xi.dtype).eps) ** 0.2
    sides = []
    for cdv in (delta, -delta):
        sdv = jnp.sign(sd) * (1.0 - cdv * cdv) ** 0.5
        yv, dv = et * cdv + q * sdv, et * sdv - q * cdv
        rd, ird, d11, aj2, aj5 = _rd_terms(corner, yv, dv)
        sides.append(_ub_general(corner, sdv, cdv, yv, ird, d11, jnp.log(rd), aj2, aj5))
    return tuple((a - b) / (2.0 * delta) for a, b in zip(*sides, strict=True))


def _ub(c: _Corner, alp, sd, cd, tensile: bool, vertical: bool = True):
    """Part B (image terms independent of z), Okada 1992 Table 7.

    `vertical=False` promises that no dip is vertical (cos(dip) != 0 after DC3D's snapping)
    and drops the vertical-limit formulas, which `jnp.where` would otherwise evaluate for
    every pair (about 15% of the kernel's time on a CPU)."""
    alp3 = alp[2]
    xi, et, q, ir, ir3 = c.xi, c.et, c.q, c.ir, c.ir3
    y, d = c.y, c.d
    sdsd, sdcd = sd * sd, sd * cd
    rd, ird, d11, aj2, aj5 = _rd_terms(c, y, d)
    c.rd_arg = rd
    log_rd = 0.0 if c.deferred else jnp.log(rd)
    is_vertical = cd == 0.0
    general = _ub_general(c, sd, cd, y, ird, d11, log_rd, aj2, aj5)
    if vertical:
        limits = _ub_vertical(c, sd, cd)
        ai3, ai4, ak1, ak3, aj3, aj6 = (
            jnp.where(is_vertical, v, g) for v, g in zip(limits, general, strict=True)
        )
    else:
        ai3, ai4, ak1, ak3, aj3, aj6 = general

    xy = xi * c.y11
    ai1 = -xi * ird * cd - ai4 * sd
    ai2 = log_rd + ai3 * sd
    ak2 = ir + ak3 * sd
    ak4 = xy * cd - ak1 * sd
    aj1 = aj5 * cd - aj6 * sd
    aj4 = -xy - aj2 * cd + aj3 * sd
    qx = q * c.x11
    qy = q * c.y11
    strike = [
        -xi * qy - c.tt - alp3 * ai1 * sd,
        -q * ir + alp3 * y * ird * sd,
        q * qy - alp3 * ai2 * sd,
        c.xi2 * q * c.y32 - alp3 * aj1 * sd,
        xi * q * ir3 - alp3 * aj2 * sd,
        -xi * c.q2 * c.y32 - alp3 * aj3 * sd,
        -xi * c.fy - d * c.x11 + alp3 * (xy + aj4) * sd,
        -c.ey + alp3 * (ir + aj5) * sd,
        q * c.fy - alp3 * (qy - aj6) * sd,
        -xi * c.fz - y * c.x11 + alp3 * ak1 * sd,
        -c.ez + alp3 * y * d11 * sd,
        q * c.fz + alp3 * ak2 * sd,
    ]
    dip = [
        -q * ir + alp3 * ai3 * sdcd,
        -et * qx - c.tt - alp3 * xi * ird * sdcd,
        q * qx + alp3 * ai4 * sdcd,
        xi * q * ir3 + alp3 * aj4 * sdcd,
        et * q * ir3 + qy + alp3 * aj5 * sdcd,
        -c.q2 * ir3 + alp3 * aj6 * sdcd,
        -c.ey + alp3 * aj1 * sdcd,
        -et * c.gy - xy * sd + alp3 * aj2 * sdcd,
        q * c.gy + alp3 * aj3 * sdcd,
        -c.ez - alp3 * ak3 * sdcd,
        -et * c.gz - xy * cd - alp3 * xi * d11 * sdcd,
        q * c.gz - alp3 * ak4 * sdcd,
    ]
    if not tensile:
        return strike, dip
    opening = [
        q * qy - alp3 * ai3 * sdsd,
        q * qx + alp3 * xi * ird * sdsd,
        et * qx + xi * qy - c.tt - alp3 * ai4 * sdsd,
        -xi * c.q2 * c.y32 - alp3 * aj4 * sdsd,
        -c.q2 * ir3 - alp3 * aj5 * sdsd,
        q * c.q2 * c.y32 - alp3 * aj6 * sdsd,
        q * c.fy - alp3 * aj1 * sdsd,
        q * c.gy - alp3 * aj2 * sdsd,
        -q * c.hy - alp3 * aj3 * sdsd,
        q * c.fz + alp3 * ak3 * sdsd,
        q * c.gz + alp3 * xi * d11 * sdsd,
        -q * c.hz + alp3 * ak4 * sdsd,
    ]
    return strike, dip, opening


def _uc(c: _Corner, alp, sd, cd, z, tensile: bool):
    """Part C (image terms proportional to z), Okada 1992 Table 8."""
    alp4, alp5 = alp[3], alp[4]
    xi, et, q, r = c.xi, c.et, c.q, c.r
    ir, ir2, ir3, ir5 = c.ir, c.ir2, c.ir3, c.ir5
    y, d = c.y, c.d
    xi2, et2, q2 = c.xi2, c.et2, c.q2
    x11, y11, x32, y32 = c.x11, c.y11, c.x32, c.y32
    sdsd, cdcd, sdcd = sd * sd, cd * cd, sd * cd
    cc = d + z
    x53 = (8.0 * c.r2 + 9.0 * r * xi + 3.0 * xi2) * x11 * x11 * x11 * ir2
    y53 = (8.0 * c.r2 + 9.0 * r * et + 3.0 * et2) * y11 * y11 * y11 * ir2
    h = q * cd - z
    z32 = sd * ir3 - h * y32
    z53 = 3.0 * sd * ir5 - h * y53
    y0 = y11 - xi2 * y32
    z0 = z32 - xi2 * z53
    ppy = cd * ir3 + q * y32 * sd
    ppz = sd * ir3 - q * y32 * cd
    qq = z * y32 + z32 + z0
    qqy = 3.0 * cc * d * ir5 - qq * sd
    qqz = 3.0 * cc * y * ir5 - qq * cd + q * y32
    xy = xi * y11
    qy = q * y11
    qr = 3.0 * q * ir5
    cdr = (cc + d) * ir3
    yy0 = y * ir3 - y0 * cd
    strike = [
        alp4 * xy * cd - alp5 * xi * q * z32,
        alp4 * (cd * ir + 2.0 * qy * sd) - alp5 * cc * q * ir3,
        alp4 * qy * cd - alp5 * (cc * et * ir3 - z * y11 + xi2 * z32),
        alp4 * y0 * cd - alp5 * q * z0,
        -alp4 * xi * (cd * ir3 + 2.0 * q * y32 * sd) + alp5 * cc * xi * qr,
        -alp4 * xi * q * y32 * cd + alp5 * xi * (3.0 * cc * et * ir5 - qq),
        -alp4 * xi * ppy * cd - alp5 * xi * qqy,
        alp4 * 2.0 * (d * ir3 - y0 * sd) * sd
        - y * ir3 * cd
        - alp5 * (cdr * sd - et * ir3 - cc * y * qr),
        -alp4 * q * ir3 + yy0 * sd + alp5 * (cdr * cd + cc * d * qr - (y0 * cd + q * z0) * sd),
        alp4 * xi * ppz * cd - alp5 * xi * qqz,
        alp4 * 2.0 * (y * ir3 - y0 * cd) * sd + d * ir3 * cd - alp5 * (cdr * cd + cc * d * qr),
        yy0 * cd - alp5 * (cdr * sd - cc * y * qr - y0 * sdsd + q * z0 * cd),
    ]
    dip = [
        alp4 * cd * ir - qy * sd - alp5 * cc * q * ir3,
        alp4 * y * x11 - alp5 * cc * et * q * x32,
        -d * x11 - xy * sd - alp5 * cc * (x11 - q2 * x32),
        -alp4 * xi * ir3 * cd + alp5 * cc * xi * qr + xi * q * y32 * sd,
        -alp4 * y * ir3 + alp5 * cc * et * qr,
        d * ir3 - y0 * sd + alp5 * cc * ir3 * (1.0 - 3.0 * q2 * ir2),
        -alp4 * et * ir3 + y0 * sdsd - alp5 * (cdr * sd - cc * y * qr),
        alp4 * (x11 - y * y * x32) - alp5 * cc * ((d + 2.0 * q * cd) * x32 - y * et * q * x53),
        xi * ppy * sd + y * d * x32 + alp5 * cc * ((y + 2.0 * q * sd) * x32 - y * q2 * x53),
        -q * ir3 + y0 * sdcd - alp5 * (cdr * cd + cc * d * qr),
        alp4 * y * d * x32 - alp5 * cc * ((y - 2.0 * q * sd) * x32 + d * et * q * x53),
        -xi * ppz * sd + x11 - d * d * x32 - alp5 * cc * ((d - 2.0 * q * cd) * x32 - d * q2 * x53),
    ]
    if not tensile:
        return strike, dip
    opening = [
        -alp4 * (sd * ir + qy * cd) - alp5 * (z * y11 - q2 * z32),
        alp4 * 2.0 * xy * sd + d * x11 - alp5 * cc * (x11 - q2 * x32),
        alp4 * (y * x11 + xy * cd) + alp5 * q * (cc * et * x32 + xi * z32),
        alp4 * xi * ir3 * sd
        + xi * q * y32 * cd
        + alp5 * xi * (3.0 * cc * et * ir5 - 2.0 * z32 - z0),
        alp4 * 2.0 * y0 * sd - d * ir3 + alp5 * cc * ir3 * (1.0 - 3.0 * q2 * ir2),
        -alp4 * yy0 - alp5 * (cc * et * qr - q * z0),
        alp4 * (q * ir3 + y0 * sdcd) + alp5 * (z * ir3 * cd + cc * d * qr - q * z0 * sd),
        -alp4 * 2.0 * xi * ppy * sd
        - y * d * x32
        + alp5 * cc * ((y + 2.0 * q * sd) * x32 - y * q2 * x53),
        -alp4 * (xi * ppy * cd - x11 + y * y * x32)
        + alp5 * (cc * ((d + 2.0 * q * cd) * x32 - y * et * q * x53) + xi * qqy),
        -et * ir3 + y0 * cdcd - alp5 * (z * ir3 * sd - cc * y * qr - y0 * sdsd + q * z0 * cd),
        alp4 * 2.0 * xi * ppz * sd
        - x11
        + d * d * x32
        - alp5 * cc * ((d - 2.0 * q * cd) * x32 - d * q2 * x53),
        alp4 * (xi * ppz * cd + y * d * x32)
        + alp5 * (cc * ((y - 2.0 * q * sd) * x32 + d * et * q * x53) + xi * qqz),
    ]
    return strike, dip, opening


def _source_frame(y, dd, sd, cd, aw1, aw2):
    """q and eta of the corners for a source at depth dd below the observation point."""
    p = y * cd + dd * sd
    q = snap(y * sd - dd * cd)
    return q, (snap(p - aw1), snap(p - aw2))


def _on_edge(xi, et, q):
    """DC3D's singular case: the observation point lies on a fault edge."""
    xx = xi[0] * xi[1]
    ee = et[0] * et[1]
    return (q == 0.0) & (((xx <= 0.0) & (ee == 0.0)) | ((ee <= 0.0) & (xx == 0.0)))


def _extension_flags(xi, et, q):
    """KXI (per eta row k) and KET (per xi column j): R + xi or R + eta ~ 0, as in DC3D."""
    q2 = q * q
    kxi = tuple(
        (xi[0] < 0.0) & (jnp.sqrt(xi[1] * xi[1] + et[k] * et[k] + q2) + xi[1] < EPS)
        for k in range(2)
    )
    ket = tuple(
        (et[0] < 0.0) & (jnp.sqrt(xi[j] * xi[j] + et[1] * et[1] + q2) + et[1] < EPS)
        for j in range(2)
    )
    return kxi, ket


def _corner_sum(xi, et, q, parts, log_args=None):
    """Chinnery's signed sum f(1,1) - f(2,1) - f(1,2) + f(2,2) of parts(corner) over corners.

    parts returns a pytree of scalars; the corners are unrolled so that the whole pair
    computation is elementwise and fuses into few loops under vmap.  With `log_args`, parts
    returns (pytree, tuple of positive log arguments a, tuple of plane vectors v) and this
    returns (total, logs, angles): for each argument the same signed sum of log(a), formed as
    the log of the signed product (one log instead of four; two, one per row of corners, in
    float32, whose range is too short for the product of four), and for each vector the
    signed sum of its angles (`_signed_angle_sum`: one arctangent instead of four).
    """
    kxi, ket = _extension_flags(xi, et, q)
    total = None
    ratios = []  # per row k, per argument: a(j = k) / a(j != k)
    vectors = []  # per row k: (vectors at j = k, vectors at j != k)
    for k in range(2):
        row = []
        row_vectors = []
        for j in range(2):
            value = parts(xi[j], et[k], q, kxi[k], ket[j])
            if log_args:
                value, args, vecs = value
                row.append(args)
                row_vectors.append(vecs)
            if total is None:
                total = value
            else:
                op = jnp.add if j == k else jnp.subtract
                total = jax.tree_util.tree_map(op, total, value)
        if log_args:
            plus, minus = (row[0], row[1]) if k == 0 else (row[1], row[0])
            ratios.append([a / b for a, b in zip(plus, minus, strict=True)])
            vectors.append((row_vectors[k], row_vectors[1 - k]))
    if not log_args:
        return total
    wide = jnp.finfo(jnp.result_type(xi[0])).bits >= 64
    logs = tuple(
        jnp.log(r0 * r1) if wide else jnp.log(r0) + jnp.log(r1)
        for r0, r1 in zip(*ratios, strict=True)
    )
    angles = tuple(
        _signed_angle_sum(p0, m0, p1, m1, normalise=not wide)
        for p0, m0, p1, m1 in zip(
            vectors[0][0], vectors[0][1], vectors[1][0], vectors[1][1], strict=True
        )
    )
    return total, logs, angles


def _signed_angle_sum(p0, m0, p1, m1, normalise: bool):
    """(angle p0 - angle m0) + (angle p1 - angle m1) for plane vectors (x, y) with x > 0, with
    one arctangent: the angle of the complex product p0 conj(m0) p1 conj(m1).

    Each vector's angle lies in (-pi/2, pi/2), so each row's difference lies in (-pi, pi) and
    is the exact angle of its product; the sum of the two rows lies in (-2 pi, 2 pi), and the
    principal angle of the whole product is off by 2 pi exactly when both rows have the same
    sign and the principal angle the other: that is corrected here.  `normalise` rescales
    each row's product (float32, whose range is too short for the product of four).
    """

    def times_conj(a, b):  # a * conj(b)
        return a[0] * b[0] + a[1] * b[1], a[1] * b[0] - a[0] * b[1]

    def rescaled(v):  # same angle, |x| + |y| = 1
        s = jnp.abs(v[0]) + jnp.abs(v[1])
        return v[0] / s, v[1] / s

    r0, r1 = times_conj(p0, m0), times_conj(p1, m1)
    if normalise:
        r0, r1 = rescaled(r0), rescaled(r1)
    re = r0[0] * r1[0] - r0[1] * r1[1]
    im = r0[0] * r1[1] + r0[1] * r1[0]
    angle = jnp.arctan2(im, re)
    wrap = jnp.where(
        (r0[1] >= 0.0) & (r1[1] >= 0.0) & (angle < 0.0),
        TWO_PI,
        jnp.where((r0[1] <= 0.0) & (r1[1] <= 0.0) & (angle > 0.0), -TWO_PI, 0.0),
    )
    return angle + wrap


def _add_angles(ua_r, ua_i, ub_i, q_r, q_i, alp3, sd, cd, angles_r, angles_i, vertical):
    """The corner-summed arctangent terms: TT (+TT/2 in part A's u_x, u_y, u_z of the strike,
    dip and opening rows; -TT in part B's), with sign(q) and DC3D's TT = 0 at q = 0, and part
    B's I4 = (... + 2 atan(...)) / cd^2 (0 at a vertical dip, whose limit has no arctangent),
    which enters through I1 = ... - I4 sd (Table 7)."""
    (tt_r,) = angles_r
    tt_r = _signed_tt(tt_r, q_r)
    for i, row in enumerate(ua_r):
        row[i] = row[i] + 0.5 * tt_r
    tt_i = _signed_tt(angles_i[0], q_i)
    for i, row in enumerate(ua_i):
        row[i] = row[i] + 0.5 * tt_i
    ub_i = _add_ub_angles(ub_i, tt_i, angles_i[1], alp3, sd, cd, vertical)
    return ua_r, ua_i, ub_i


def _signed_tt(tt, q):
    """TT summed over the corners from the angle sum of the vectors (|q| R, xi eta) / R^2:
    times sign(q), and 0 on the fault plane (q = 0) as in DC3D."""
    return jnp.where(q == 0.0, 0.0, jnp.where(q < 0.0, -tt, tt))


def _add_ub_angles(ub, tt, i4_atan, alp3, sd, cd, vertical):
    """Part B's corner-summed arctangent terms (see `_add_angles`); `tt` already signed."""
    is_vertical = cd == 0.0
    icd = 1.0 / safe(is_vertical, cd)
    ai4 = 2.0 * i4_atan * icd * icd
    if vertical:
        ai4 = jnp.where(is_vertical, 0.0, ai4)
    for i, row in enumerate(ub):
        row[i] = row[i] - tt
    ub[0][0] = ub[0][0] + alp3 * ai4 * sd * sd
    ub[1][2] = ub[1][2] + alp3 * ai4 * sd * cd
    if len(ub) > 2:
        ub[2][2] = ub[2][2] - alp3 * ai4 * sd * sd
    return ub


def _add_ua_logs(ua, alp1, l_ale, l_alx, tensile: bool):
    """Part A's corner-summed log terms (Table 6: alp1 log(R + eta) in the strike row's u_z,
    alp1 log(R + xi) in the dip row's, minus both in the opening row's u_x and u_y)."""
    ua[0][2] = ua[0][2] + alp1 * l_ale
    ua[1][2] = ua[1][2] + alp1 * l_alx
    if tensile:
        ua[2][0] = ua[2][0] - alp1 * l_ale
        ua[2][1] = ua[2][1] - alp1 * l_alx
    return ua


def _add_ub_logs(ub, alp3, sd, cd, l_ale, l_rd, tensile: bool, vertical: bool):
    """Part B's corner-summed log terms, through I3 = (... - log(R + eta) + sd log(R + d~))
    / cd^2 (-log(R + eta) / 2 at a vertical dip) and I2 = log(R + d~) + I3 sd (Table 7)."""
    is_vertical = cd == 0.0
    icd = 1.0 / safe(is_vertical, cd)
    ai3 = (sd * l_rd - l_ale) * icd * icd
    if vertical:
        ai3 = jnp.where(is_vertical, -0.5 * l_ale, ai3)
    ai2 = l_rd + ai3 * sd
    ub[0][2] = ub[0][2] - alp3 * ai2 * sd
    ub[1][0] = ub[1][0] + alp3 * ai3 * sd * cd
    if tensile:
        ub[2][0] = ub[2][0] - alp3 * ai3 * sd * sd
    return ub


def _dc3d_rows(
    x, y, z, alpha, depth, dip, al1, al2, aw1, aw2, tensile: bool = True, vertical: bool = True
):
    """The body of `_dc3d_unit` without any stacking: a list with one list of 12 outputs
    (DC3D's order, not yet divided by 2 pi) per slip type, the singular-point mask and the
    above-surface mask.  Every value is a separate array of the inputs' broadcast shape, so
    this also runs inside a Pallas kernel (`quakejax.okada._pallas`), whose Triton tensors
    must have power-of-two shapes.  `vertical=False`: no dip is vertical (see `_ub`).
    """
    alp = alpha_constants(alpha)
    sd, cd = dip_constants(dip)
    xi = (snap(x - al1), snap(x - al2))

    q_r, et_r = _source_frame(y, depth + z, sd, cd, aw1, aw2)
    q_i, et_i = _source_frame(y, depth - z, sd, cd, aw1, aw2)
    singular = _on_edge(xi, et_r, q_r) | _on_edge(xi, et_i, q_i)
    above = z > 0.0
    # Double-where: a singular point is evaluated at a harmless q and zeroed at the end.
    q_r = safe(singular, q_r)
    q_i = safe(singular, q_i)

    def real_part(xi_, et_, q_, kx, ke):
        c = _Corner(xi_, et_, q_, sd, cd, kx, ke, deferred=True)
        return _ua(c, alp, sd, cd, tensile), (c.ale_arg, c.alx_arg), (c.tt_vec,)

    def image_part(xi_, et_, q_, kx, ke):
        c = _Corner(xi_, et_, q_, sd, cd, kx, ke, deferred=True)
        parts = (
            _ua(c, alp, sd, cd, tensile),
            _ub(c, alp, sd, cd, tensile, vertical),
            _uc(c, alp, sd, cd, z, tensile),
        )
        return parts, (c.ale_arg, c.alx_arg, c.rd_arg), (c.tt_vec, c.i4_vec)

    # The log and arctangent terms are summed over the corners as logs and angles of
    # products (`_corner_sum`).
    real_sum, (l_ale, l_alx), angles_r = _corner_sum(xi, et_r, q_r, real_part, log_args=True)
    real_sum = _add_ua_logs([list(r) for r in real_sum], alp[0], l_ale, l_alx, tensile)
    (ua_i, ub_i, uc_i), (l_ale, l_alx, l_rd), angles_i = _corner_sum(
        xi, et_i, q_i, image_part, log_args=True
    )
    ua_i = _add_ua_logs([list(r) for r in ua_i], alp[0], l_ale, l_alx, tensile)
    ub_i = _add_ub_logs([list(r) for r in ub_i], alp[2], sd, cd, l_ale, l_rd, tensile, vertical)
    real_sum, ua_i, ub_i = _add_angles(
        real_sum, ua_i, ub_i, q_r, q_i, alp[2], sd, cd, angles_r, angles_i, vertical
    )

    rows = []
    for ua_r, ua, ub, uc in zip(real_sum, ua_i, ub_i, uc_i, strict=True):
        out = []
        for i in (0, 3, 6, 9):
            # Real source (part A), with DC3D's sign flips for the z-derivatives.
            sgn = -1.0 if i == 9 else 1.0
            r0 = -ua_r[i]
            r1 = -ua_r[i + 1] * cd + ua_r[i + 2] * sd
            r2 = -ua_r[i + 1] * sd - ua_r[i + 2] * cd
            # Image source (parts A + B + z C).
            s0 = ua[i] + ub[i] + z * uc[i]
            sp1 = ua[i + 1] + ub[i + 1]
            sp2 = ua[i + 2] + ub[i + 2]
            i1 = (sp1 + z * uc[i + 1]) * cd - (sp2 + z * uc[i + 2]) * sd
            i2 = (sp1 - z * uc[i + 1]) * sd + (sp2 - z * uc[i + 2]) * cd
            if i == 9:
                s0 = s0 + uc[0]
                i1 = i1 + uc[1] * cd - uc[2] * sd
                i2 = i2 - uc[1] * sd - uc[2] * cd
            out += [sgn * r0 + s0, sgn * r1 + i1, sgn * r2 + i2]
        rows.append(out)
    return rows, singular, above


def _dc3d_unit(
    x, y, z, alpha, depth, dip, al1, al2, aw1, aw2, tensile: bool = True, vertical: bool = True
):
    """DC3D for one observation point and unit dislocations.

    Returns `(n_types, 12)` outputs in DC3D's order, one row per slip type (strike, dip and,
    if `tensile`, opening), and IRET.  The result is linear in the dislocation.
    """
    rows, singular, above = _dc3d_rows(
        x, y, z, alpha, depth, dip, al1, al2, aw1, aw2, tensile, vertical
    )
    return _finish(jnp.stack([jnp.stack(out) for out in rows]), singular, above)


def _finish(values, singular, above):
    """DC3D's outputs over 2 pi, with its rules: 0 at a singular point (on a fault edge), NaN
    above the surface; and IRET (`STATUS_*`)."""
    values = jnp.where(singular, 0.0, values * (1.0 / TWO_PI))
    values = jnp.where(above, jnp.nan, values)
    status = jnp.where(above, STATUS_ABOVE_SURFACE, jnp.where(singular, STATUS_SINGULAR, STATUS_OK))
    return values, status


def _dc3d_surface_rows(x, y, alpha, depth, dip, al1, al2, aw1, aw2, tensile: bool = True):
    """Displacement only, on the free surface (z = 0), for unit dislocations: one list of
    three arrays (u_x, u_y, u_z, already divided by 2 pi and zero at singular points) per slip
    type, with no stacking.

    At z = 0 the real and image sources of DC3D coincide, so their part-A terms cancel and
    the displacement is part B alone (Okada 1992, eq. 3 with z = 0), rotated to (x, y, z).
    About a third of `_dc3d_unit`'s work, and much faster to compile.

    Keep the outputs separate through a batched evaluation: XLA's CPU backend fuses a stack
    of them into one loop that evaluates every stacked element on its own, i.e. recomputes the
    shared corner terms (roots, logs, arctangents) once per output; separate outputs become a
    multi-output computation that evaluates them once (3x faster for the nine outputs here).
    """
    alp = alpha_constants(alpha)
    sd, cd = dip_constants(dip)
    xi = (snap(x - al1), snap(x - al2))
    q, et = _source_frame(y, depth, sd, cd, aw1, aw2)
    singular = _on_edge(xi, et, q)
    q = safe(singular, q)

    def part(xi_, et_, q_, kx, ke):
        c = _Corner(xi_, et_, q_, sd, cd, kx, ke, deferred=True)
        ub = _ub(c, alp, sd, cd, tensile)
        rows = tuple(tuple(row[i] for i in range(3)) for row in ub)
        return rows, (c.ale_arg, c.rd_arg), (c.tt_vec, c.i4_vec)

    # Logs and arctangents summed over the corners as logs and angles of products, as in
    # `_dc3d_rows` (2 logs and 2 arctangents per pair instead of 8 and 8).
    ub, (l_ale, l_rd), (tt, i4_atan) = _corner_sum(xi, et, q, part, log_args=True)
    ub = _add_ub_logs([list(r) for r in ub], alp[2], sd, cd, l_ale, l_rd, tensile, True)
    ub = _add_ub_angles(ub, _signed_tt(tt, q), i4_atan, alp[2], sd, cd, True)
    scale = 1.0 / TWO_PI
    return [
        [
            jnp.where(singular, 0.0, v * scale)
            for v in (b[0], b[1] * cd - b[2] * sd, b[1] * sd + b[2] * cd)
        ]
        for b in ub
    ]


def _dc3d_surface_unit(x, y, alpha, depth, dip, al1, al2, aw1, aw2, tensile: bool = True):
    """`_dc3d_surface_rows` stacked: `(n_types, 3)` displacements per unit dislocation."""
    rows = _dc3d_surface_rows(x, y, alpha, depth, dip, al1, al2, aw1, aw2, tensile)
    return jnp.stack([jnp.stack(r) for r in rows])


def _dc3d_point(
    x,
    y,
    z,
    alpha,
    depth,
    dip,
    al1,
    al2,
    aw1,
    aw2,
    disl,
    tensile: bool = True,
    vertical: bool = True,
    pack: bool = False,
):
    """DC3D for one observation point: 12 outputs (DC3D's order) and IRET.

    The slip types are combined output by output before anything is stacked: XLA computes
    each output in its own loop and repeats the shared corner terms in each, so combining
    first makes 12 such loops instead of 24 or 36 (about 30% fewer operations on a CPU than
    stacking `_dc3d_unit`'s per-type rows and then combining them).  With `pack` (for XLA's
    CPU backend, see `_pack_pairs`) two outputs share each loop: 6 loops.
    """
    rows, singular, above = _dc3d_rows(
        x, y, z, alpha, depth, dip, al1, al2, aw1, aw2, tensile, vertical
    )
    out = []
    for j in range(12):
        v = disl[0] * rows[0][j]
        for k in range(1, len(rows)):
            v = v + disl[k] * rows[k][j]
        out.append(v)
    if pack:
        out = _pack_pairs(out)
    return _finish(jnp.stack(out), singular, above)


# The pairs of DC3D outputs computed in one loop by `_pack_pairs` (indices in DC3D's order,
# `split_output`): (u_x, du_x/dz), then each output's y and z components (Okada's dip rotation
# forms them from the same terms), and (du_x/dx, du_x/dy).  Chosen as the pairing with the
# fewest operations left in the loops, counted over the dependency cones of the 12 outputs
# (divisions, roots, logs and arctangents are stored once, the rest repeats per loop) among
# all 10,395 pairings, then checked on XLA's optimized program for one block (1 patch x
# 1,000 points, no opening): 11,300 operations against 12,700 for adjacent pairs and 16,900
# unpacked.
_PACKED_PAIRS = ((0, 9), (1, 2), (3, 6), (4, 5), (7, 8), (10, 11))


def _pack_pairs(out: list) -> list:
    """The same 12 values, computed two per XLA loop.

    XLA's CPU backend fuses each output with all the cheap terms it depends on and repeats
    those terms in every output's loop; it does not merge sibling loops here.  Each complex
    number lax.complex(a, b) is one elementwise result, so its loop computes a and b with
    their shared terms once; the optimization barrier keeps XLA from simplifying
    real(complex(a, b)) back to a.  Measured on one core of the 2-core CPU (float64): 1 patch
    x 200,000 points 2.0 -> 2.8 M pairs/s, 100 patches x 4,000 points 2.2 -> 3.2 M.
    """
    packed = jax.lax.optimization_barrier(
        tuple(jax.lax.complex(out[a], out[b]) for a, b in _PACKED_PAIRS)
    )
    res = list(out)
    for (a, b), c in zip(_PACKED_PAIRS, packed, strict=True):
        res[a], res[b] = jnp.real(c), jnp.imag(c)
    return res


def split_output(out):
    """DC3D's 12 outputs -> u (3,) and grad (3, 3) with grad[i, j] = d u_i / d x_j."""
    u = out[..., :3]
    # DC3D order after u: uxx uyx uzx | uxy uyy uzy | uxz uyz uzz, i.e. column by column.
    grad = jnp.swapaxes(out[..., 3:].reshape(out.shape[:-1] + (3, 3)), -1, -2)
    return u, grad


def _check_eager(obs, al, aw, depth, alpha):
    """Clear Python errors for bad concrete input (under jit the status code is used)."""
    if not is_concrete(obs, al, aw, depth, alpha):
        return
    obs_np = np.asarray(obs)
    if obs_np.size and np.any(obs_np[..., 2] > 0):
        idx = np.argwhere(obs_np[..., 2] > 0)[0]
        raise ValueError(
            f"obs: point {tuple(int(i) for i in idx)} has z = {obs_np[tuple(idx)][2]!r} > 0, "
            "above the free surface (Okada's frame has z up, the medium is z <= 0)."
        )
    al_np, aw_np = np.asarray(al), np.asarray(aw)
    if not (al_np[1] > al_np[0]):
        raise ValueError(f"al = {tuple(al_np.tolist())}: need al1 < al2 (fault length > 0).")
    if not (aw_np[1] > aw_np[0]):
        raise ValueError(f"aw = {tuple(aw_np.tolist())}: need aw1 < aw2 (fault width > 0).")
    alpha_np = np.asarray(alpha)
    if not (0.0 < alpha_np <= 1.0):
        raise ValueError(f"alpha = {alpha_np!r}: need 0 < alpha <= 1 (alpha = 1 / (2 (1 - nu))).")
    if np.any(~np.isfinite(obs_np)):
        raise ValueError("obs: contains NaN or infinite coordinates.")


@backend_jit
def _dc3d_batch(flat, alpha, depth, dip, al1, al2, aw1, aw2, disl):
    def one(p):
        return _dc3d_point(p[0], p[1], p[2], alpha, depth, dip, al1, al2, aw1, aw2, disl)

    return jax.vmap(one)(flat)


def dc3d(
    obs: Float[ArrayLike, "*batch 3"],
    *,
    alpha,
    depth,
    dip,
    al,
    aw,
    disl,
    return_status: bool = False,
) -> (
    tuple[Float[Array, "*batch 3"], Float[Array, "*batch 3 3"]]
    | tuple[Float[Array, "*batch 3"], Float[Array, "*batch 3 3"], Int[Array, "*batch"]]
):
    """Displacement and its gradient around a rectangular dislocation (Okada 1992, DC3D).

    Frame and conventions are Okada's: x along strike, y horizontal and perpendicular to
    strike, z up; the medium is z <= 0.  The fault's reference point is (0, 0, -depth) and the
    fault spans al1 <= xi <= al2 along strike and aw1 <= eta <= aw2 up-dip.  For 0 < dip < 90 it
    dips towards -y (the hanging wall is on the -y side).  Lengths may be in any unit (m or km),
    used consistently; displacement has the unit of `disl`.

    **Arguments:**

    - `obs`: observation points `(..., 3)` as (x, y, z) with z <= 0.
    - `alpha`: (lambda + mu) / (lambda + 2 mu) = 1 / (2 (1 - nu)); 2/3 for a Poisson solid.
    - `depth`: depth of the reference point (positive down).
    - `dip`: dip angle in degrees (any sign; 90 is vertical).
    - `al`, `aw`: pairs (al1, al2) and (aw1, aw2).
    - `disl`: (strike, dip, tensile) dislocation: > 0 is left-lateral, reverse (thrust), opening.
    - `return_status`: also return DC3D's IRET per point (0 ok, 1 on an edge, 2 z > 0).

    **Returns:**

    `u` of shape `(..., 3)` and `grad` of shape `(..., 3, 3)` with `grad[..., i, j] = du_i/dx_j`.
    On a fault edge both are zero (as DC3D); above the surface both are NaN.  Called eagerly
    with z > 0 or an empty fault it raises `ValueError`; under `jit` use `return_status`.

    Reference: Okada, Y. (1992), BSSA 82(2), 1018-1040, Tables 6-8 and DC3D.
    """
    obs = jnp.asarray(obs)
    if obs.ndim < 1 or obs.shape[-1] != 3:
        raise ValueError(f"obs must have shape (..., 3); got {obs.shape}.")
    _check_eager(obs, al, aw, depth, alpha)
    disl = tuple(disl[i] for i in range(3))
    out, status = _dc3d_batch(
        obs.reshape(-1, 3), alpha, depth, dip, al[0], al[1], aw[0], aw[1], disl
    )
    out = out.reshape(obs.shape[:-1] + (12,))
    u, grad = split_output(out)
    if return_status:
        return u, grad, status.reshape(obs.shape[:-1])
    return u, grad
