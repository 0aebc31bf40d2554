"""Angular dislocations: the building blocks of a triangular dislocation (TD).

A TD is the superposition of three angular dislocations, one at each vertex (Nikkhoo & Walter
2015, GJI 201, 1119-1141).  This module holds the closed forms for one angular dislocation,
each a pure function of scalars (the names of the paper's MATLAB functions in brackets):

- `ad_displacement`, `ad_strain`: an angular dislocation in a full space, in its own frame
  (ADCS), after Comninou & Dundurs (1975) as given by Nikkhoo & Walter (2015) [AngDisDisp,
  AngDisStrain].
- `ad_fsc_displacement`: the harmonic free-surface correction of an angular dislocation in a
  half-space, after Comninou & Dundurs (1975) with the corrections of Nikkhoo & Walter (2015)
  [AngDisDispFSC].

Singular lines are guarded with the double-`where` pattern: where a denominator or the
argument of a log or a square root is exactly zero, it is replaced by 1 and the returned flag
is set, so that the caller can zero the pair with finite values and finite derivatives.
The r - z type denominators are formed without cancellation, (x^2 + y^2) / (r + z) for z > 0,
so that points within a rounding error of a leg keep their digits; two groups of the paper's
formulas that cancel badly (one in the strain near the legs, one in the free-surface
correction of steep sides) are regrouped, as noted where they are formed.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

FOUR_PI = 4.0 * np.pi
EIGHT_PI = 8.0 * np.pi


def _guard(v):
    """Exact zeros of v replaced by 1 (first half of the double-where) and the zero mask."""
    zero = v == 0.0
    return jnp.where(zero, 1.0, v), zero


def r_minus(r, v, rest2):
    """r - v without cancellation, with r^2 = v^2 + rest2 (rest2 >= 0, r > 0).

    For v > 0 the direct difference loses digits as the point approaches the half-line
    (rest2 -> 0); (r^2 - v^2) / (r + v) keeps them.  Both forms are exact near the switch
    (v = 0), so the result does not depend on which one a compiled program picks there: XLA
    may evaluate the predicate in several fused loops, with different rounding (FMA).  The
    denominator's own guard (against v = -r) switches far away, at v = -r / 2.
    """
    den = jnp.where(v > -0.5 * r, r + v, 1.0)
    return jnp.where(v > 0.0, rest2 / den, r - v)


def ad_displacement(x, y, z, cos_a, sin_a, bx, by, bz, nu):
    """Displacement (ux, uy, uz) of an angular dislocation in a full space, in its frame.

    One leg lies along +z, the other along (0, sin a, cos a); `a` is the angle of the
    dislocation, given by its cosine and sine.  (bx, by, bz) is the Burgers vector in the same
    frame.  Comninou & Dundurs (1975) as in Nikkhoo & Walter (2015) [AngDisDisp].

    Returns `((ux, uy, uz), singular)`; `singular` is true on a leg (finite junk is returned).
    """
    eta = y * cos_a - z * sin_a
    zeta = y * sin_a + z * cos_a
    x2 = x * x
    r2, r0 = _guard(x2 + y * y + z * z)
    r = jnp.sqrt(r2)
    rmz, z0 = _guard(r_minus(r, z, x2 + y * y))
    rmzeta, zeta0 = _guard(r_minus(r, zeta, x2 + eta * eta))
    ir = 1.0 / r
    iz = 1.0 / rmz
    ie = 1.0 / rmzeta
    irz = ir * iz
    ire = ir * ie
    log_z = jnp.log(rmz)
    log_e = jnp.log(rmzeta)
    n1 = 1.0 - 2.0 * nu
    k = 1.0 / (EIGHT_PI * (1.0 - nu))

    ux = bx * x * (y * irz - eta * ire)
    uy = bx * (eta * sin_a * ie - y * eta * ire + y * y * irz + n1 * (cos_a * log_e - log_z))
    uz = bx * (eta * cos_a * ie - y * ir - eta * z * ire - n1 * sin_a * log_e)

    ux = ux + by * (x2 * (cos_a * ire - irz) - n1 * (cos_a * log_e - log_z))
    uy = uy + by * x * (y * cos_a * ire - sin_a * cos_a * ie - y * irz)
    uz = uz + by * x * (z * cos_a * ire - cos_a * cos_a * ie + ir)

    ux = ux + bz * sin_a * (n1 * log_e - x2 * ire)
    uy = uy + bz * x * sin_a * (sin_a * ie - y * ire)
    uz = uz + bz * x * sin_a * (cos_a * ie - z * ire)
    return (k * ux, k * uy, k * uz), r0 | z0 | zeta0


def ad_strain(x, y, z, cos_a, sin_a, bx, by, bz, nu):
    """Strain (exx, eyy, ezz, exy, exz, eyz) of an angular dislocation in a full space.

    Same frame and arguments as `ad_displacement`; Nikkhoo & Walter (2015) [AngDisStrain],
    whose first terms are the derivatives of the Burgers function (the solid-angle term).

    Returns `(strain6, singular)`.
    """
    eta = y * cos_a - z * sin_a
    zeta = y * sin_a + z * cos_a
    x2, y2, z2 = x * x, y * y, z * z
    r2, r0 = _guard(x2 + y2 + z2)
    r = jnp.sqrt(r2)
    rmz, z0 = _guard(r_minus(r, z, x2 + y2))
    rmzeta, zeta0 = _guard(r_minus(r, zeta, x2 + eta * eta))
    ir = 1.0 / r
    ir3 = ir * ir * ir
    # Denominators of the paper with W = zeta - r = -(r - zeta).
    iw = -1.0 / rmzeta
    iwr = iw * ir  # 1 / (W r)
    iw2 = iw * iw
    iw2r = iw2 * ir
    iw2r2 = iw2r * ir
    iwr3 = iw * ir3
    irz = ir / rmz  # 1 / (r (r - z))
    ir2z2 = irz * irz
    ir3z = ir3 / rmz
    # r cos(a) - z and r sin(a) - y vanish to second order on the leg along (0, sin a, cos a);
    # with y = zeta sin a + eta cos a and z = zeta cos a - eta sin a they are formed from
    # r - zeta and eta, without cancellation.
    c_term = (cos_a * rmzeta + eta * sin_a) * iwr
    s_term = (sin_a * rmzeta - eta * cos_a) * iwr
    n2 = 2.0 * nu + 1.0

    # Derivatives of the Burgers function (the solid angle / 4 pi).
    ire = ir / rmzeta
    fx = (eta * ire - y * irz) / FOUR_PI
    fy = (x * irz - cos_a * x * ire) / FOUR_PI
    fz = sin_a * x * ire / FOUR_PI

    k = 1.0 / (EIGHT_PI * (1.0 - nu))
    xs = x * sin_a
    p_x = n2 * iwr + x2 * iw2r2 - x2 * iwr3  # shared by the by and bz terms of exx
    p_y = iwr + s_term * s_term - y2 * iwr3
    p_z = iwr + c_term * c_term - z2 * iwr3
    # G = sc/W^2 - (y c + z s)/(W^2 r) + y z/(W^2 r^2) - y z/(W r^3) (s, c of the angle) as
    # written in the paper: its terms grow as (r/d)^4 at a distance d from the inclined leg
    # and cancel to (r/d)^2.  With m = r - zeta, q = x^2 + eta^2 = m (r + zeta) and the
    # leg-frame coordinates it is sc B - eta (c^2 - s^2) / r^3, where B below has no such
    # cancellation.
    # (E = zeta^2 m - eta^2 r; near the leg, zeta > 0, in the form without cancellation, and
    # both forms valid around the switch at zeta = 0, as in `r_minus`.)
    sc = sin_a * cos_a
    zeta2, eta2 = zeta * zeta, eta * eta
    p_den = jnp.where(zeta > -0.5 * r, r + zeta, 1.0)
    e_term = jnp.where(
        zeta > 0.0,
        (zeta2 * x2 - eta2 * (x2 + eta2) - eta2 * r * zeta) / p_den,
        zeta2 * rmzeta - eta2 * r,
    )
    big_b = ir * ir + (e_term * iw * iw + eta2 * iw) * ir3  # iw = -1 / m
    g_term = sc * big_b - eta * (cos_a * cos_a - sin_a * sin_a) * ir3

    exx = bx * fx + k * (
        bx * (eta * (iwr + x2 * iw2r2 - x2 * iwr3) + y * irz - x2 * y * (ir2z2 + ir3z))
        - by * x * (p_x * cos_a + n2 * irz - x2 * (ir2z2 + ir3z))
        + bz * xs * p_x
    )
    eyy = by * fy + k * (
        bx * (p_y * eta + n2 * y * irz - y2 * y * (ir2z2 + ir3z) - 2.0 * nu * cos_a * s_term)
        - by * x * (irz - y2 * (ir2z2 + ir3z) + p_y * cos_a)
        + bz * xs * p_y
    )
    ezz = bz * fz + k * (
        bx * (eta * p_z + y * z * ir3 + 2.0 * nu * sin_a * c_term)
        - by * x * (p_z * cos_a + z * ir3)
        + bz * xs * p_z
    )
    exy = 0.5 * (bx * fy + by * fx) + k * (
        -bx
        * (
            x * y2 * (ir2z2 + ir3z)
            - nu * x * irz
            - nu * x * cos_a * iwr
            + eta * x * s_term * iwr
            + eta * x * y * iwr3
        )
        + by
        * (
            x2 * y * (ir2z2 + ir3z)
            - nu * y * irz
            + nu * cos_a * s_term
            + x2 * y * cos_a * iwr3
            + x2 * cos_a * s_term * iwr
        )
        - bz * sin_a * (nu * s_term + x2 * s_term * iwr + x2 * y * iwr3)
    )
    exz = 0.5 * (bx * fz + bz * fx) + k * (
        -bx * (-x * y * ir3 + nu * xs * iwr + eta * x * c_term * iwr + eta * x * z * iwr3)
        + by
        * (
            -x2 * ir3
            + nu * ir
            + nu * cos_a * c_term
            + x2 * z * cos_a * iwr3
            + x2 * cos_a * c_term * iwr
        )
        - bz * sin_a * (nu * c_term + x2 * c_term * iwr + x2 * z * iwr3)
    )
    eyz = 0.5 * (by * fz + bz * fy) + k * (
        bx * (y2 * ir3 - nu * ir - nu * cos_a * c_term + nu * sin_a * s_term + eta * g_term)
        - by * x * (y * ir3 + cos_a * g_term)
        + bz * xs * g_term
    )
    return (exx, eyy, ezz, exy, exz, eyz), r0 | z0 | zeta0


def ad_fsc_displacement(y1, y2, y3, cos_b, sin_b, cot_half, b1, b2, b3, nu, a):
    """Harmonic free-surface correction of one angular dislocation in a half-space.

    Frame (ADCS of the correction): y1 horizontal along the side, y2 horizontal, y3 down; the
    vertex of the angular dislocation is at depth `a` >= 0 and the point at (y1, y2, y3)
    relative to it.  `cos_b`, `sin_b` are the cosine and sine of the configuration angle beta
    and `cot_half` = cot(beta / 2); (b1, b2, b3) the Burgers vector in this frame.
    Nikkhoo & Walter (2015) [AngDisDispFSC], after Comninou & Dundurs (1975).

    The paper's 1/cos(beta) factors always come multiplied by cot(beta); they are written here
    as 1/sin(beta), which is regular for horizontal sides (cos(beta) = 0).  sin(beta) = 0 (a
    vertical side) is the caller's to exclude; near it the terms grow as cot(beta)^2 and
    cancel between the two ends of a side (see `quakejax.tde._kernel._fsc_displacement`).

    Returns `((v1, v2, v3), singular)`.
    """
    c, s = cos_b, sin_b
    inv_s = 1.0 / s
    cot = c * inv_s
    cot2 = cot * cot
    y3b = y3 + 2.0 * a
    z1b = y1 * c + y3b * s
    z3b = -y1 * s + y3b * c
    y1sq, y2sq = y1 * y1, y2 * y2
    rb2, r0 = _guard(y1sq + y2sq + y3b * y3b)
    rb = jnp.sqrt(rb2)
    # rb + y3b >= rb in the half-space (y3b >= 0); rb + z3b via y1^2 + y3b^2 = z1b^2 + z3b^2.
    w6, w6_0 = _guard(rb + y3b)
    w7, w7_0 = _guard(r_minus(rb, -z3b, y2sq + z1b * z1b))
    den_f, f0 = _guard(y1 - (rb + y3b) * cot_half)
    fib = 2.0 * jnp.arctan(-y2 / den_f)  # the Burgers function of the image
    irb = 1.0 / rb
    irb2 = irb * irb
    irb3 = irb2 * irb
    i6 = 1.0 / w6
    i7 = 1.0 / w7
    log6 = jnp.log(w6)
    log7 = jnp.log(w7)
    # log(rb + y3b) - cos(beta) log(rb + z3b) is O(sin beta) for a steep side and is scaled
    # by cot(beta)^2: formed from W6 - W7 = y3b (1 - cos) + y1 sin, not as a difference of
    # logs, so that its rounding is not amplified by 1 / sin(beta)^2.
    one_m_c = jnp.where(c > 0.0, s * s / (1.0 + jnp.abs(c)), 1.0 - c)
    dlog = jnp.log1p((y3b * one_m_c + y1 * s) * i7) + one_m_c * log7
    n1 = 1.0 - 2.0 * nu
    m1 = 2.0 * (1.0 - nu)  # 2 (1 - nu)
    w1 = rb * c + y3b
    w2 = c + a * irb
    w4 = nu + a * irb
    w5 = 2.0 * nu + a * irb
    w8 = y3b - a  # = y3 + a
    cot_w9 = cot + a * irb * inv_s  # cot (1 + a / (rb cos))
    rs_y1 = rb * s - y1

    # Burgers vector component b1.
    v1_1 = (
        -m1 * n1 * fib * cot2
        + n1 * y2 * i6 * ((n1 - a * irb) * cot - y1 * i6 * w4)
        + n1 * y2 * c * cot * i7 * w2
        + a * y2 * w8 * cot * irb3
        + y2 * w8 * irb * i6 * (-n1 * cot + y1 * i6 * w5 + a * y1 * irb2)
        + y2
        * w8
        * irb
        * i7
        * (c * i7 * (w1 * (n1 * c - a * irb) * cot + m1 * rs_y1 * c) - a * y3b * c * cot * irb2)
    )
    v2_1 = (
        n1 * (m1 * cot2 * dlog - nu * log6 - n1 * c * log7)
        - n1 * i6 * (y1 * cot * (n1 - a * irb) + nu * y3b - a + y2sq * i6 * w4)
        - n1 * z1b * cot * i7 * w2
        - a * y1 * w8 * cot * irb3
        + w8 * i6 * (-2.0 * nu + irb * (n1 * y1 * cot - a) + y2sq * irb * i6 * w5 + a * y2sq * irb3)
        + w8
        * i7
        * (
            c * c
            - irb * (n1 * z1b * cot + a * c)
            + a * y3b * z1b * cot * irb3
            - irb * i7 * (y2sq * c * c - a * z1b * cot * irb * w1)
        )
    )
    v3_1 = (
        m1 * (n1 * fib * cot + y2 * i6 * w5 - y2 * c * i7 * w2)
        + y2 * w8 * irb * (2.0 * nu * i6 + a * irb2)
        + y2 * w8 * c * irb * i7 * (n1 - w1 * i7 * w2 - a * y3b * irb2)
    )

    # Burgers vector component b2.
    v1_2 = (
        n1 * (m1 * cot2 * dlog + nu * log6 - c * log7)
        + n1 * i6 * (-n1 * y1 * cot + nu * y3b - a + a * y1 * cot * irb + y1sq * i6 * w4)
        - n1 * i7 * (z1b * c * cot - a * rs_y1 * irb * inv_s)
        - a * y1 * w8 * cot * irb3
        + w8 * i6 * (2.0 * nu + irb * (n1 * y1 * cot + a) - y1sq * irb * i6 * w5 - a * y1sq * irb3)
        + w8
        * i7
        * (-c * c + a * y1 * y3b * irb3 * inv_s + rs_y1 * irb * (m1 * c * cot - w1 * i7 * cot_w9))
    )
    v2_2 = (
        m1 * n1 * fib * cot2
        + n1 * y2 * i6 * (-(n1 - a * irb) * cot + y1 * i6 * w4)
        - n1 * y2 * i7 * cot_w9
        - a * y2 * w8 * cot * irb3
        + y2 * w8 * irb * i6 * (n1 * cot - 2.0 * nu * y1 * i6 - a * y1 * irb * (irb + i6))
        + y2 * w8 * irb * i7 * (-m1 * c * cot + w1 * i7 * cot_w9 + a * y3b * irb2 * inv_s)
    )
    v3_2 = (
        -m1 * n1 * cot * dlog
        - m1 * y1 * i6 * w5
        + m1 * z1b * i7 * w2
        + w8 * irb * (n1 * cot - 2.0 * nu * y1 * i6 - a * y1 * irb2)
        - w8
        * i7
        * (
            c * s
            + w1 * cot * irb * (m1 * c - w1 * i7)
            + a * irb * (s - y3b * z1b * irb2 - z1b * w1 * irb * i7)
        )
    )

    # Burgers vector component b3.
    v1_3 = (
        n1 * (y2 * i6 * (1.0 + a * irb) - y2 * c * i7 * w2)
        - y2 * w8 * irb * (a * irb2 + i6)
        + y2 * w8 * c * irb * i7 * (w1 * i7 * w2 + a * y3b * irb2)
    )
    v2_3 = (
        n1 * (-s * log7 - y1 * i6 * (1.0 + a * irb) + z1b * i7 * w2)
        + y1 * w8 * irb * (a * irb2 + i6)
        - w8
        * i7
        * (
            s * (c - a * irb)
            + z1b * irb * (1.0 + a * y3b * irb2)
            - irb * i7 * (y2sq * c * s - a * z1b * irb * w1)
        )
    )
    v3_3 = (
        m1 * fib
        + m1 * y2 * s * i7 * w2
        + y2 * w8 * s * irb * i7 * (1.0 + w1 * i7 * w2 + a * y3b * irb2)
    )

    k = 1.0 / (FOUR_PI * (1.0 - nu))
    v1 = k * (b1 * v1_1 + b2 * v1_2 + b3 * v1_3)
    v2 = k * (b1 * v2_1 + b2 * v2_2 + b3 * v2_3)
    v3 = k * (b1 * v3_1 + b2 * v3_2 + b3 * v3_3)
    return (v1, v2, v3), r0 | w6_0 | w7_0 | f0
