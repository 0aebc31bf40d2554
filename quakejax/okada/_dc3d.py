"""Okada (1992) displacement and displacement gradient of a finite rectangular dislocation.

A JAX transcription of the formulas of DC3D (Okada 1992, BSSA 82(2), 1018-1040, Tables 6-8):
the full-space part A at the real source, and parts A, B and C at the image source.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, Float, Int
from ._common import (
    EPS,
    STATUS_ABOVE_SURFACE,
    STATUS_OK,
    STATUS_SINGULAR,
    TWO_PI,
    alpha_constants,
    dip_constants,
    is_concrete,
    safe,
    snap,
)

# Sign of each corner in the Chinnery sum f(xi1, eta1) - f(xi1, eta2) - f(xi2, eta1) + f(xi2, eta2),
# laid out [k (eta index), j (xi index)].
_CORNER_SIGN = np.array([[1.0, -1.0], [-1.0, 1.0]])


class _Corner:
    """Geometry constants of DC3D's DCCON2, for the 2 x 2 corners at once."""

    def __init__(self, xi, et, q, sd, cd, kxi, ket):
        self.xi, self.et, self.q = xi, et, q
        self.xi2, self.et2, self.q2 = xi * xi, et * et, q * q
        self.r2 = self.xi2 + self.et2 + self.q2
        self.r = r = jnp.sqrt(self.r2)
        self.r3 = r * self.r2
        self.r5 = self.r3 * self.r2
        self.y = et * cd + q * sd
        self.d = et * sd - q * cd
        # TT = atan(xi eta / (q R)); 0 on the fault plane (q = 0) as in DC3D.
        q_zero = q == 0.0
        self.tt = jnp.where(q_zero, 0.0, jnp.arctan(xi * et / (safe(q_zero, q) * r)))
        # On the negative extension of an edge R + xi (or R + eta) vanishes: DC3D switches to
        # -log(R - xi) and sets X11 = X32 = 0.  The log(eta^2 + q^2) difference between the two
        # forms cancels between the corners of one row, because the switch is made per row.
        rxi = safe(kxi, r + xi)
        rmxi = safe(~kxi, r - xi)
        self.alx = jnp.where(kxi, -jnp.log(rmxi), jnp.log(rxi))
        x11 = 1.0 / (r * rxi)
        self.x11 = jnp.where(kxi, 0.0, x11)
        self.x32 = jnp.where(kxi, 0.0, (r + rxi) * x11 * x11 / r)
        ret = safe(ket, r + et)
        rmet = safe(~ket, r - et)
        self.ale = jnp.where(ket, -jnp.log(rmet), jnp.log(ret))
        y11 = 1.0 / (r * ret)
        self.y11 = jnp.where(ket, 0.0, y11)
        self.y32 = jnp.where(ket, 0.0, (r + ret) * y11 * y11 / r)
        y, d, r3 = self.y, self.d, self.r3
        self.ey = sd / r - y * q / r3
        self.ez = cd / r + d * q / r3
        self.fy = d / r3 + self.xi2 * self.y32 * sd
        self.fz = y / r3 + self.xi2 * self.y32 * cd
        self.gy = 2.0 * self.x11 * sd - y * q * self.x32
        self.gz = 2.0 * self.x11 * cd + d * q * self.x32
        self.hy = d * q * self.x32 + xi * q * self.y32 * sd
        self.hz = y * q * self.x32 + xi * q * self.y32 * cd


def _ua(c: _Corner, alp, sd, cd, disl):
    """Part A (full-space terms), Okada 1992 Table 6; 12 components, each of corner shape."""
    alp1, alp2 = alp[0], alp[1]
    xi, et, q, r, r3 = c.xi, c.et, c.q, c.r, c.r3
    xy = xi * c.y11
    qx = q * c.x11
    qy = q * c.y11
    d, y = c.d, c.y
    d1, d2, d3 = disl
    strike = [
        c.tt / 2.0 + alp2 * xi * qy,
        alp2 * q / r,
        alp1 * c.ale - alp2 * q * qy,
        -alp1 * qy - alp2 * c.xi2 * q * c.y32,
        -alp2 * xi * q / r3,
        alp1 * xy + alp2 * xi * c.q2 * c.y32,
        alp1 * xy * sd + alp2 * xi * c.fy + d / 2.0 * c.x11,
        alp2 * c.ey,
        alp1 * (cd / r + qy * sd) - alp2 * q * c.fy,
        alp1 * xy * cd + alp2 * xi * c.fz + y / 2.0 * c.x11,
        alp2 * c.ez,
        -alp1 * (sd / r - qy * cd) - alp2 * q * c.fz,
    ]
    dip = [
        alp2 * q / r,
        c.tt / 2.0 + alp2 * et * qx,
        alp1 * c.alx - alp2 * q * qx,
        -alp2 * xi * q / r3,
        -qy / 2.0 - alp2 * et * q / r3,
        alp1 / r + alp2 * c.q2 / r3,
        alp2 * c.ey,
        alp1 * d * c.x11 + xy / 2.0 * sd + alp2 * et * c.gy,
        alp1 * y * c.x11 - alp2 * q * c.gy,
        alp2 * c.ez,
        alp1 * y * c.x11 + xy / 2.0 * cd + alp2 * et * c.gz,
        -alp1 * d * c.x11 - alp2 * q * c.gz,
    ]
    tensile = [
        -alp1 * c.ale - alp2 * q * qy,
        -alp1 * c.alx - alp2 * q * qx,
        c.tt / 2.0 - alp2 * (et * qx + xi * qy),
        -alp1 * xy + alp2 * xi * c.q2 * c.y32,
        -alp1 / r + alp2 * c.q2 / r3,
        -alp1 * qy - alp2 * q * c.q2 * c.y32,
        -alp1 * (cd / r + qy * sd) - alp2 * q * c.fy,
        -alp1 * y * c.x11 - alp2 * q * c.gy,
        alp1 * (d * c.x11 + xy * sd) + alp2 * q * c.hy,
        alp1 * (sd / r - qy * cd) - alp2 * q * c.fz,
        alp1 * d * c.x11 - alp2 * q * c.gz,
        alp1 * (y * c.x11 + xy * cd) + alp2 * q * c.hz,
    ]
    return [d1 * a + d2 * b + d3 * t for a, b, t in zip(strike, dip, tensile, strict=True)]


def _ub(c: _Corner, alp, sd, cd, disl):
    """Part B (image terms independent of z), Okada 1992 Table 7."""
    alp3 = alp[2]
    xi, et, q, r, r3 = c.xi, c.et, c.q, c.r, c.r3
    y, d = c.y, c.d
    sdsd, cdcd, sdcd = sd * sd, cd * cd, sd * cd
    rd = r + d
    d11 = 1.0 / (r * rd)
    aj2 = xi * y / rd * d11
    aj5 = -(d + y * y / rd) * d11

    # General dip.  cd is replaced by 1 where it is 0 so that the unused branch stays finite.
    vertical = cd == 0.0
    cds = safe(vertical, cd)
    cdcds = cds * cds
    xi_zero = xi == 0.0
    xis = safe(xi_zero, xi)
    x = jnp.sqrt(c.xi2 + c.q2)
    ai4_gen = jnp.where(
        xi_zero,
        0.0,
        (
            xis / rd * sdcd
            + 2.0 * jnp.arctan((et * (x + q * cds) + x * (r + x) * sd) / (xis * (r + x) * cds))
        )
        / cdcds,
    )
    ai3_gen = (y * cds / rd - c.ale + sd * jnp.log(rd)) / cdcds
    ak1_gen = xi * (d11 - c.y11 * sd) / cds
    ak3_gen = (q * c.y11 - y * d11) / cds
    aj3_gen = (ak1_gen - aj2 * sd) / cds
    aj6_gen = (ak3_gen - aj5 * sd) / cds
    # Vertical fault (cos dip = 0): the limits given by Okada (1992).
    rd2 = rd * rd
    ai3_v = (et / rd + y * q / rd2 - c.ale) / 2.0
    ai4_v = xi * y / rd2 / 2.0
    ak1_v = xi * q / rd * d11
    ak3_v = sd / rd * (c.xi2 * d11 - 1.0)
    aj3_v = -xi / rd2 * (c.q2 * d11 - 0.5)
    aj6_v = -y / rd2 * (c.xi2 * d11 - 0.5)

    ai3 = jnp.where(vertical, ai3_v, ai3_gen)
    ai4 = jnp.where(vertical, ai4_v, ai4_gen)
    ak1 = jnp.where(vertical, ak1_v, ak1_gen)
    ak3 = jnp.where(vertical, ak3_v, ak3_gen)
    aj3 = jnp.where(vertical, aj3_v, aj3_gen)
    aj6 = jnp.where(vertical, aj6_v, aj6_gen)

    xy = xi * c.y11
    ai1 = -xi / rd * cd - ai4 * sd
    ai2 = jnp.log(rd) + ai3 * sd
    ak2 = 1.0 / r + ak3 * sd
    ak4 = xy * cd - ak1 * sd
    aj1 = aj5 * cd - aj6 * sd
    aj4 = -xy - aj2 * cd + aj3 * sd
    qx = q * c.x11
    qy = q * c.y11
    d1, d2, d3 = disl
    strike = [
        -xi * qy - c.tt - alp3 * ai1 * sd,
        -q / r + alp3 * y / rd * sd,
        q * qy - alp3 * ai2 * sd,
        c.xi2 * q * c.y32 - alp3 * aj1 * sd,
        xi * q / r3 - alp3 * aj2 * sd,
        -xi * c.q2 * c.y32 - alp3 * aj3 * sd,
        -xi * c.fy - d * c.x11 + alp3 * (xy + aj4) * sd,
        -c.ey + alp3 * (1.0 / r + aj5) * sd,
        q * c.fy - alp3 * (qy - aj6) * sd,
        -xi * c.fz - y * c.x11 + alp3 * ak1 * sd,
        -c.ez + alp3 * y * d11 * sd,
        q * c.fz + alp3 * ak2 * sd,
    ]
    dip = [
        -q / r + alp3 * ai3 * sdcd,
        -et * qx - c.tt - alp3 * xi / rd * sdcd,
        q * qx + alp3 * ai4 * sdcd,
        xi * q / r3 + alp3 * aj4 * sdcd,
        et * q / r3 + qy + alp3 * aj5 * sdcd,
        -c.q2 / r3 + alp3 * aj6 * sdcd,
        -c.ey + alp3 * aj1 * sdcd,
        -et * c.gy - xy * sd + alp3 * aj2 * sdcd,
        q * c.gy + alp3 * aj3 * sdcd,
        -c.ez - alp3 * ak3 * sdcd,
        -et * c.gz - xy * cd - alp3 * xi * d11 * sdcd,
        q * c.gz - alp3 * ak4 * sdcd,
    ]
    tensile = [
        q * qy - alp3 * ai3 * sdsd,
        q * qx + alp3 * xi / rd * sdsd,
        et * qx + xi * qy - c.tt - alp3 * ai4 * sdsd,
        -xi * c.q2 * c.y32 - alp3 * aj4 * sdsd,
        -c.q2 / r3 - alp3 * aj5 * sdsd,
        q * c.q2 * c.y32 - alp3 * aj6 * sdsd,
        q * c.fy - alp3 * aj1 * sdsd,
        q * c.gy - alp3 * aj2 * sdsd,
        -q * c.hy - alp3 * aj3 * sdsd,
        q * c.fz + alp3 * ak3 * sdsd,
        q * c.gz + alp3 * xi * d11 * sdsd,
        -q * c.hz + alp3 * ak4 * sdsd,
    ]
    return [d1 * a + d2 * b + d3 * t for a, b, t in zip(strike, dip, tensile, strict=True)]


def _uc(c: _Corner, alp, sd, cd, z, disl):
    """Part C (image terms proportional to z), Okada 1992 Table 8."""
    alp4, alp5 = alp[3], alp[4]
    xi, et, q, r = c.xi, c.et, c.q, c.r
    r2, r3, r5 = c.r2, c.r3, c.r5
    y, d = c.y, c.d
    xi2, et2, q2 = c.xi2, c.et2, c.q2
    x11, y11, x32, y32 = c.x11, c.y11, c.x32, c.y32
    sdsd, cdcd, sdcd = sd * sd, cd * cd, sd * cd
    cc = d + z
    x53 = (8.0 * r2 + 9.0 * r * xi + 3.0 * xi2) * x11 * x11 * x11 / r2
    y53 = (8.0 * r2 + 9.0 * r * et + 3.0 * et2) * y11 * y11 * y11 / r2
    h = q * cd - z
    z32 = sd / r3 - h * y32
    z53 = 3.0 * sd / r5 - h * y53
    y0 = y11 - xi2 * y32
    z0 = z32 - xi2 * z53
    ppy = cd / r3 + q * y32 * sd
    ppz = sd / r3 - q * y32 * cd
    qq = z * y32 + z32 + z0
    qqy = 3.0 * cc * d / r5 - qq * sd
    qqz = 3.0 * cc * y / r5 - qq * cd + q * y32
    xy = xi * y11
    qy = q * y11
    qr = 3.0 * q / r5
    cdr = (cc + d) / r3
    yy0 = y / r3 - y0 * cd
    d1, d2, d3 = disl
    strike = [
        alp4 * xy * cd - alp5 * xi * q * z32,
        alp4 * (cd / r + 2.0 * qy * sd) - alp5 * cc * q / r3,
        alp4 * qy * cd - alp5 * (cc * et / r3 - z * y11 + xi2 * z32),
        alp4 * y0 * cd - alp5 * q * z0,
        -alp4 * xi * (cd / r3 + 2.0 * q * y32 * sd) + alp5 * cc * xi * qr,
        -alp4 * xi * q * y32 * cd + alp5 * xi * (3.0 * cc * et / r5 - qq),
        -alp4 * xi * ppy * cd - alp5 * xi * qqy,
        alp4 * 2.0 * (d / r3 - y0 * sd) * sd
        - y / r3 * cd
        - alp5 * (cdr * sd - et / r3 - cc * y * qr),
        -alp4 * q / r3 + yy0 * sd + alp5 * (cdr * cd + cc * d * qr - (y0 * cd + q * z0) * sd),
        alp4 * xi * ppz * cd - alp5 * xi * qqz,
        alp4 * 2.0 * (y / r3 - y0 * cd) * sd + d / r3 * cd - alp5 * (cdr * cd + cc * d * qr),
        yy0 * cd - alp5 * (cdr * sd - cc * y * qr - y0 * sdsd + q * z0 * cd),
    ]
    dip = [
        alp4 * cd / r - qy * sd - alp5 * cc * q / r3,
        alp4 * y * x11 - alp5 * cc * et * q * x32,
        -d * x11 - xy * sd - alp5 * cc * (x11 - q2 * x32),
        -alp4 * xi / r3 * cd + alp5 * cc * xi * qr + xi * q * y32 * sd,
        -alp4 * y / r3 + alp5 * cc * et * qr,
        d / r3 - y0 * sd + alp5 * cc / r3 * (1.0 - 3.0 * q2 / r2),
        -alp4 * et / r3 + y0 * sdsd - alp5 * (cdr * sd - cc * y * qr),
        alp4 * (x11 - y * y * x32) - alp5 * cc * ((d + 2.0 * q * cd) * x32 - y * et * q * x53),
        xi * ppy * sd + y * d * x32 + alp5 * cc * ((y + 2.0 * q * sd) * x32 - y * q2 * x53),
        -q / r3 + y0 * sdcd - alp5 * (cdr * cd + cc * d * qr),
        alp4 * y * d * x32 - alp5 * cc * ((y - 2.0 * q * sd) * x32 + d * et * q * x53),
        -xi * ppz * sd
        + x11
        - d * d * x32
        - alp5 * cc * ((d - 2.0 * q * cd) * x32 - d * q2 * x53),
    ]
    tensile = [
        -alp4 * (sd / r + qy * cd) - alp5 * (z * y11 - q2 * z32),
        alp4 * 2.0 * xy * sd + d * x11 - alp5 * cc * (x11 - q2 * x32),
        alp4 * (y * x11 + xy * cd) + alp5 * q * (cc * et * x32 + xi * z32),
        alp4 * xi / r3 * sd
        + xi * q * y32 * cd
        + alp5 * xi * (3.0 * cc * et / r5 - 2.0 * z32 - z0),
        alp4 * 2.0 * y0 * sd - d / r3 + alp5 * cc / r3 * (1.0 - 3.0 * q2 / r2),
        -alp4 * yy0 - alp5 * (cc * et * qr - q * z0),
        alp4 * (q / r3 + y0 * sdcd) + alp5 * (z / r3 * cd + cc * d * qr - q * z0 * sd),
        -alp4 * 2.0 * xi * ppy * sd
        - y * d * x32
        + alp5 * cc * ((y + 2.0 * q * sd) * x32 - y * q2 * x53),
        -alp4 * (xi * ppy * cd - x11 + y * y * x32)
        + alp5 * (cc * ((d + 2.0 * q * cd) * x32 - y * et * q * x53) + xi * qqy),
        -et / r3 + y0 * cdcd - alp5 * (z / r3 * sd - cc * y * qr - y0 * sdsd + q * z0 * cd),
        alp4 * 2.0 * xi * ppz * sd
        - x11
        + d * d * x32
        - alp5 * cc * ((d - 2.0 * q * cd) * x32 - d * q2 * x53),
        alp4 * (xi * ppz * cd + y * d * x32)
        + alp5 * (cc * ((y - 2.0 * q * sd) * x32 + d * et * q * x53) + xi * qqz),
    ]
    return [d1 * a + d2 * b + d3 * t for a, b, t in zip(strike, dip, tensile, strict=True)]


def _source_frame(y, dd, sd, cd, aw1, aw2):
    """q and eta of the corners for a source at depth dd below the observation point."""
    p = y * cd + dd * sd
    q = snap(y * sd - dd * cd)
    et = snap(jnp.stack([p - aw1, p - aw2]))
    return q, et


def _on_edge(xi, et, q):
    """DC3D's singular case: the observation point lies on a fault edge."""
    xx = xi[0] * xi[1]
    ee = et[0] * et[1]
    return (q == 0.0) & (((xx <= 0.0) & (ee == 0.0)) | ((ee <= 0.0) & (xx == 0.0)))


def _extension_flags(xi, et, q):
    """KXI (per eta row) and KET (per xi column): R + xi or R + eta ~ 0, see DC3D."""
    r_xi2 = jnp.sqrt(xi[1] * xi[1] + et * et + q * q)  # R at (xi2, eta_k), k = 1, 2
    r_et2 = jnp.sqrt(xi * xi + et[1] * et[1] + q * q)  # R at (xi_j, eta2), j = 1, 2
    kxi = (xi[0] < 0.0) & (r_xi2 + xi[1] < EPS)
    ket = (et[0] < 0.0) & (r_et2 + et[1] < EPS)
    return kxi, ket


def _corner_sum(terms):
    """Signed Chinnery sum over the 2 x 2 corners of each of the 12 components."""
    sign = jnp.asarray(_CORNER_SIGN, dtype=terms[0].dtype)
    return jnp.stack([jnp.sum(sign * t) for t in terms])


def _dc3d_point(x, y, z, alpha, depth, dip, al1, al2, aw1, aw2, disl):
    """DC3D for one observation point: 12 outputs (DC3D's order) and IRET."""
    alp = alpha_constants(alpha)
    sd, cd = dip_constants(dip)
    xi = snap(jnp.stack([x - al1, x - al2]))

    q_r, et_r = _source_frame(y, depth + z, sd, cd, aw1, aw2)
    q_i, et_i = _source_frame(y, depth - z, sd, cd, aw1, aw2)
    singular = _on_edge(xi, et_r, q_r) | _on_edge(xi, et_i, q_i)
    above = z > 0.0
    # Double-where: a singular point is evaluated at a harmless q and zeroed at the end.
    q_r = safe(singular, q_r)
    q_i = safe(singular, q_i)

    # Real source: part A only.
    kxi, ket = _extension_flags(xi, et_r, q_r)
    c = _Corner(xi[None, :], et_r[:, None], q_r, sd, cd, kxi[:, None], ket[None, :])
    ua = _corner_sum(_ua(c, alp, sd, cd, disl))
    real = []
    for i in (0, 3, 6, 9):
        block = [-ua[i], -ua[i + 1] * cd + ua[i + 2] * sd, -ua[i + 1] * sd - ua[i + 2] * cd]
        real += [-b for b in block] if i == 9 else block

    # Image source: parts A, B and C.
    kxi, ket = _extension_flags(xi, et_i, q_i)
    c = _Corner(xi[None, :], et_i[:, None], q_i, sd, cd, kxi[:, None], ket[None, :])
    ua = _corner_sum(_ua(c, alp, sd, cd, disl))
    ub = _corner_sum(_ub(c, alp, sd, cd, disl))
    uc = _corner_sum(_uc(c, alp, sd, cd, z, disl))
    image = []
    for i in (0, 3, 6, 9):
        s0 = ua[i] + ub[i] + z * uc[i]
        sp1 = ua[i + 1] + ub[i + 1]
        sp2 = ua[i + 2] + ub[i + 2]
        image += [
            s0,
            (sp1 + z * uc[i + 1]) * cd - (sp2 + z * uc[i + 2]) * sd,
            (sp1 - z * uc[i + 1]) * sd + (sp2 - z * uc[i + 2]) * cd,
        ]
    image[9] = image[9] + uc[0]
    image[10] = image[10] + uc[1] * cd - uc[2] * sd
    image[11] = image[11] - uc[1] * sd - uc[2] * cd

    out = (jnp.stack(real) + jnp.stack(image)) / TWO_PI
    out = jnp.where(singular, 0.0, out)
    out = jnp.where(above, jnp.nan, out)
    status = jnp.where(above, STATUS_ABOVE_SURFACE, jnp.where(singular, STATUS_SINGULAR, STATUS_OK))
    return out, status


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


@jax.jit
def _dc3d_batch(flat, alpha, depth, dip, al1, al2, aw1, aw2, disl):
    def one(p):
        return _dc3d_point(p[0], p[1], p[2], alpha, depth, dip, al1, al2, aw1, aw2, disl)

    return jax.vmap(one)(flat)


def dc3d(
    obs: Float[Array, "*batch 3"],
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
    out, status = _dc3d_batch(obs.reshape(-1, 3), alpha, depth, dip, al[0], al[1], aw[0], aw[1], disl)
    out = out.reshape(obs.shape[:-1] + (12,))
    u, grad = split_output(out)
    if return_status:
        return u, grad, status.reshape(obs.shape[:-1])
    return u, grad
