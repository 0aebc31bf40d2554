"""Okada (1992) displacement and displacement gradient of a point source (DC3D0)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, ArrayLike, Float, Int
from ._common import (
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
from ._dc3d import split_output


class _Point:
    """Station constants of DC3D0's DCCON1 for a source dd below the observation point."""

    def __init__(self, x, y, dd, sd, cd):
        x, y, dd = snap(x), snap(y), snap(dd)
        self.x, self.y, self.d = x, y, dd
        self.p = p = y * cd + dd * sd
        self.q = q = y * sd - dd * cd
        self.s = p * sd + q * cd
        self.t = p * cd - q * sd
        self.xy = x * y
        self.x2, self.y2, self.d2 = x * x, y * y, dd * dd
        self.r2 = r2 = self.x2 + self.y2 + self.d2
        self.r = jnp.sqrt(r2)
        self.r3 = self.r * r2
        self.r5 = self.r3 * r2
        self.r7 = self.r5 * r2
        self.a3 = 1.0 - 3.0 * self.x2 / r2
        self.a5 = 1.0 - 5.0 * self.x2 / r2
        self.b3 = 1.0 - 3.0 * self.y2 / r2
        self.c3 = 1.0 - 3.0 * self.d2 / r2
        self.qr = 3.0 * q / self.r5
        self.qrx = 5.0 * self.qr * x / r2
        self.uy = sd - 5.0 * y * q / r2
        self.uz = cd + 5.0 * dd * q / r2
        self.vy = self.s - 5.0 * y * p * q / r2
        self.vz = self.t + 5.0 * dd * p * q / r2
        self.wy = self.uy + sd
        self.wz = self.uz + cd


def _combine(pot, *parts):
    return sum(pk * jnp.stack(part) for pk, part in zip(pot, parts, strict=True))


def _ua0(c: _Point, alp, sd, cd, pot):
    """Part A of the point source (full-space), Okada 1992 Table 2."""
    alp1, alp2 = alp[0], alp[1]
    x, y, d, p, q, s, t = c.x, c.y, c.d, c.p, c.q, c.s, c.t
    r3, r5, qr, qrx, a3, a5 = c.r3, c.r5, c.qr, c.qrx, c.a3, c.a5
    s2d, c2d = 2.0 * sd * cd, cd * cd - sd * sd
    strike = [
        alp1 * q / r3 + alp2 * c.x2 * qr,
        alp1 * x / r3 * sd + alp2 * c.xy * qr,
        -alp1 * x / r3 * cd + alp2 * x * d * qr,
        x * qr * (-alp1 + alp2 * (1.0 + a5)),
        alp1 * a3 / r3 * sd + alp2 * y * qr * a5,
        -alp1 * a3 / r3 * cd + alp2 * d * qr * a5,
        alp1 * (sd / r3 - y * qr) + alp2 * 3.0 * c.x2 / r5 * c.uy,
        3.0 * x / r5 * (-alp1 * y * sd + alp2 * (y * c.uy + q)),
        3.0 * x / r5 * (alp1 * y * cd + alp2 * d * c.uy),
        alp1 * (cd / r3 + d * qr) + alp2 * 3.0 * c.x2 / r5 * c.uz,
        3.0 * x / r5 * (alp1 * d * sd + alp2 * y * c.uz),
        3.0 * x / r5 * (-alp1 * d * cd + alp2 * (d * c.uz - q)),
    ]
    dip = [
        alp2 * x * p * qr,
        alp1 * s / r3 + alp2 * y * p * qr,
        -alp1 * t / r3 + alp2 * d * p * qr,
        alp2 * p * qr * a5,
        -alp1 * 3.0 * x * s / r5 - alp2 * y * p * qrx,
        alp1 * 3.0 * x * t / r5 - alp2 * d * p * qrx,
        alp2 * 3.0 * x / r5 * c.vy,
        alp1 * (s2d / r3 - 3.0 * y * s / r5) + alp2 * (3.0 * y / r5 * c.vy + p * qr),
        -alp1 * (c2d / r3 - 3.0 * y * t / r5) + alp2 * 3.0 * d / r5 * c.vy,
        alp2 * 3.0 * x / r5 * c.vz,
        alp1 * (c2d / r3 + 3.0 * d * s / r5) + alp2 * 3.0 * y / r5 * c.vz,
        alp1 * (s2d / r3 - 3.0 * d * t / r5) + alp2 * (3.0 * d / r5 * c.vz - p * qr),
    ]
    tensile = [
        alp1 * x / r3 - alp2 * x * q * qr,
        alp1 * t / r3 - alp2 * y * q * qr,
        alp1 * s / r3 - alp2 * d * q * qr,
        alp1 * a3 / r3 - alp2 * q * qr * a5,
        -alp1 * 3.0 * x * t / r5 + alp2 * y * q * qrx,
        -alp1 * 3.0 * x * s / r5 + alp2 * d * q * qrx,
        -alp1 * 3.0 * c.xy / r5 - alp2 * x * qr * c.wy,
        alp1 * (c2d / r3 - 3.0 * y * t / r5) - alp2 * (y * c.wy + q) * qr,
        alp1 * (s2d / r3 - 3.0 * y * s / r5) - alp2 * d * qr * c.wy,
        alp1 * 3.0 * x * d / r5 - alp2 * x * qr * c.wz,
        -alp1 * (s2d / r3 - 3.0 * d * t / r5) - alp2 * y * qr * c.wz,
        alp1 * (c2d / r3 + 3.0 * d * s / r5) - alp2 * (d * c.wz - q) * qr,
    ]
    e5 = alp1 * 3.0 * c.xy / r5
    e6 = alp1 * 3.0 * x * d / r5
    e9 = alp1 * 3.0 * y * d / r5
    inflate = [
        -alp1 * x / r3,
        -alp1 * y / r3,
        -alp1 * d / r3,
        -alp1 * a3 / r3,
        e5,
        e6,
        e5,
        -alp1 * c.b3 / r3,
        e9,
        -e6,
        -e9,
        alp1 * c.c3 / r3,
    ]
    return _combine(pot, strike, dip, tensile, inflate)


def _ub0(c: _Point, alp, sd, cd, z, pot):
    """Part B of the point source (image, z-independent), Okada 1992 Table 3."""
    alp3 = alp[2]
    x, y, d, p, q = c.x, c.y, c.d, c.p, c.q
    r, r2, r3, r5 = c.r, c.r2, c.r3, c.r5
    x2, y2, d2, xy = c.x2, c.y2, c.d2, c.xy
    qr, qrx, a3, a5 = c.qr, c.qrx, c.a3, c.a5
    sdsd, sdcd = sd * sd, sd * cd
    cc = d + z
    rd = r + d
    d12 = 1.0 / (r * rd * rd)
    d32 = d12 * (2.0 * r + d) / r2
    d33 = d12 * (3.0 * r + d) / (r2 * rd)
    d53 = d12 * (8.0 * r2 + 9.0 * r * d + 3.0 * d2) / (r2 * r2 * rd)
    d54 = d12 * (5.0 * r2 + 4.0 * r * d + d2) / r3 * d12
    fi1 = y * (d12 - x2 * d33)
    fi2 = x * (d12 - y2 * d33)
    fi3 = x / r3 - fi2
    fi4 = -xy * d32
    fi5 = 1.0 / (r * rd) - x2 * d32
    fj1 = -3.0 * xy * (d33 - x2 * d54)
    fj2 = 1.0 / r3 - 3.0 * d12 + 3.0 * x2 * y2 * d54
    fj3 = a3 / r3 - fj2
    fj4 = -3.0 * xy / r5 - fj1
    fk1 = -y * (d32 - x2 * d53)
    fk2 = -x * (d32 - y2 * d53)
    fk3 = -3.0 * x * d / r5 - fk2
    strike = [
        -x2 * qr - alp3 * fi1 * sd,
        -xy * qr - alp3 * fi2 * sd,
        -cc * x * qr - alp3 * fi4 * sd,
        -x * qr * (1.0 + a5) - alp3 * fj1 * sd,
        -y * qr * a5 - alp3 * fj2 * sd,
        -cc * qr * a5 - alp3 * fk1 * sd,
        -3.0 * x2 / r5 * c.uy - alp3 * fj2 * sd,
        -3.0 * xy / r5 * c.uy - x * qr - alp3 * fj4 * sd,
        -3.0 * cc * x / r5 * c.uy - alp3 * fk2 * sd,
        -3.0 * x2 / r5 * c.uz + alp3 * fk1 * sd,
        -3.0 * xy / r5 * c.uz + alp3 * fk2 * sd,
        3.0 * x / r5 * (-cc * c.uz + alp3 * y * sd),
    ]
    dip = [
        -x * p * qr + alp3 * fi3 * sdcd,
        -y * p * qr + alp3 * fi1 * sdcd,
        -cc * p * qr + alp3 * fi5 * sdcd,
        -p * qr * a5 + alp3 * fj3 * sdcd,
        y * p * qrx + alp3 * fj1 * sdcd,
        cc * p * qrx + alp3 * fk3 * sdcd,
        -3.0 * x / r5 * c.vy + alp3 * fj1 * sdcd,
        -3.0 * y / r5 * c.vy - p * qr + alp3 * fj2 * sdcd,
        -3.0 * cc / r5 * c.vy + alp3 * fk1 * sdcd,
        -3.0 * x / r5 * c.vz - alp3 * fk3 * sdcd,
        -3.0 * y / r5 * c.vz - alp3 * fk1 * sdcd,
        -3.0 * cc / r5 * c.vz + alp3 * a3 / r3 * sdcd,
    ]
    tensile = [
        x * q * qr - alp3 * fi3 * sdsd,
        y * q * qr - alp3 * fi1 * sdsd,
        cc * q * qr - alp3 * fi5 * sdsd,
        q * qr * a5 - alp3 * fj3 * sdsd,
        -y * q * qrx - alp3 * fj1 * sdsd,
        -cc * q * qrx - alp3 * fk3 * sdsd,
        x * qr * c.wy - alp3 * fj1 * sdsd,
        qr * (y * c.wy + q) - alp3 * fj2 * sdsd,
        cc * qr * c.wy - alp3 * fk1 * sdsd,
        x * qr * c.wz + alp3 * fk3 * sdsd,
        y * qr * c.wz + alp3 * fk1 * sdsd,
        cc * qr * c.wz - alp3 * a3 / r3 * sdsd,
    ]
    e5 = -alp3 * 3.0 * xy / r5
    e6 = -alp3 * 3.0 * x * d / r5
    e9 = -alp3 * 3.0 * y * d / r5
    inflate = [
        alp3 * x / r3,
        alp3 * y / r3,
        alp3 * d / r3,
        alp3 * a3 / r3,
        e5,
        e6,
        e5,
        alp3 * c.b3 / r3,
        e9,
        -e6,
        -e9,
        -alp3 * c.c3 / r3,
    ]
    return _combine(pot, strike, dip, tensile, inflate)


def _uc0(c: _Point, alp, sd, cd, z, pot):
    """Part C of the point source (image, proportional to z), Okada 1992 Table 4."""
    alp4, alp5 = alp[3], alp[4]
    x, y, d, p, q, s, t = c.x, c.y, c.d, c.p, c.q, c.s, c.t
    r2, r3, r5, r7 = c.r2, c.r3, c.r5, c.r7
    x2, y2, d2, xy = c.x2, c.y2, c.d2, c.xy
    qr, qrx, a3, a5 = c.qr, c.qrx, c.a3, c.a5
    sdsd, sdcd = sd * sd, sd * cd
    s2d, c2d = 2.0 * sdcd, cd * cd - sdsd
    cc = d + z
    q2 = q * q
    a7 = 1.0 - 7.0 * x2 / r2
    b5 = 1.0 - 5.0 * y2 / r2
    b7 = 1.0 - 7.0 * y2 / r2
    c5 = 1.0 - 5.0 * d2 / r2
    c7 = 1.0 - 7.0 * d2 / r2
    d7 = 2.0 - 7.0 * q2 / r2
    qr5 = 5.0 * q / r2
    qr7 = 7.0 * q / r2
    dr5 = 5.0 * d / r2
    s5 = 3.0 / r5
    e5 = s5 * (alp4 * y * a5 * cd + alp5 * cc * (a5 * sd - y * qr5 * a7))
    strike = [
        -alp4 * a3 / r3 * cd + alp5 * cc * qr * a5,
        3.0 * x / r5 * (alp4 * y * cd + alp5 * cc * (sd - y * qr5)),
        3.0 * x / r5 * (-alp4 * y * sd + alp5 * cc * (cd + d * qr5)),
        alp4 * 3.0 * x / r5 * (2.0 + a5) * cd - alp5 * cc * qrx * (2.0 + a7),
        e5,
        s5 * (-alp4 * y * a5 * sd + alp5 * cc * (a5 * cd + d * qr5 * a7)),
        e5,
        3.0 * x / r5 * (alp4 * b5 * cd - alp5 * 5.0 * cc / r2 * (2.0 * y * sd + q * b7)),
        3.0 * x / r5 * (-alp4 * b5 * sd + alp5 * 5.0 * cc / r2 * (d * b7 * sd - y * c7 * cd)),
        s5 * (-alp4 * d * a5 * cd + alp5 * cc * (a5 * cd + d * qr5 * a7)),
        15.0 * x / r7 * (alp4 * y * d * cd + alp5 * cc * (d * b7 * sd - y * c7 * cd)),
        15.0 * x / r7 * (-alp4 * y * d * sd + alp5 * cc * (2.0 * d * cd - q * c7)),
    ]
    e5 = 3.0 * x / r5 * (alp4 * (c2d - 5.0 * y * t / r2) - alp5 * 5.0 * cc / r2 * (s - y * p * qr7))
    dip = [
        alp4 * 3.0 * x * t / r5 - alp5 * cc * p * qrx,
        -alp4 / r3 * (c2d - 3.0 * y * t / r2) + alp5 * 3.0 * cc / r5 * (s - y * p * qr5),
        -alp4 * a3 / r3 * sdcd + alp5 * 3.0 * cc / r5 * (t + d * p * qr5),
        alp4 * 3.0 * t / r5 * a5 - alp5 * 5.0 * cc * p * qr / r2 * a7,
        e5,
        3.0 * x / r5 * (alp4 * (2.0 + a5) * sdcd - alp5 * 5.0 * cc / r2 * (t + d * p * qr7)),
        e5,
        s5
        * (alp4 * (2.0 * y * c2d + t * b5) + alp5 * cc * (s2d - 10.0 * y * s / r2 - p * qr5 * b7)),
        s5 * (alp4 * y * a5 * sdcd - alp5 * cc * ((3.0 + a5) * c2d + y * p * dr5 * qr7)),
        3.0 * x / r5 * (-alp4 * (s2d - t * dr5) - alp5 * 5.0 * cc / r2 * (t + d * p * qr7)),
        s5
        * (
            -alp4 * (d * b5 * c2d + y * c5 * s2d)
            - alp5 * cc * ((3.0 + a5) * c2d + y * p * dr5 * qr7)
        ),
        s5 * (-alp4 * d * a5 * sdcd - alp5 * cc * (s2d - 10.0 * d * t / r2 + p * qr5 * c7)),
    ]
    e5 = (
        3.0
        * x
        / r5
        * (
            -alp4 * (s2d - 5.0 * y * s / r2)
            - alp5 * 5.0 / r2 * (cc * (t - y + y * q * qr7) - y * z)
        )
    )
    tensile = [
        3.0 * x / r5 * (-alp4 * s + alp5 * (cc * q * qr5 - z)),
        alp4 / r3 * (s2d - 3.0 * y * s / r2)
        + alp5 * 3.0 / r5 * (cc * (t - y + y * q * qr5) - y * z),
        -alp4 / r3 * (1.0 - a3 * sdsd) - alp5 * 3.0 / r5 * (cc * (s - d + d * q * qr5) - d * z),
        -alp4 * 3.0 * s / r5 * a5 + alp5 * (cc * qr * qr5 * a7 - 3.0 * z / r5 * a5),
        e5,
        3.0
        * x
        / r5
        * (
            alp4 * (1.0 - (2.0 + a5) * sdsd)
            + alp5 * 5.0 / r2 * (cc * (s - d + d * q * qr7) - d * z)
        ),
        e5,
        s5
        * (
            -alp4 * (2.0 * y * s2d + s * b5)
            - alp5 * (cc * (2.0 * sdsd + 10.0 * y * (t - y) / r2 - q * qr5 * b7) + z * b5)
        ),
        s5
        * (alp4 * y * (1.0 - a5 * sdsd) + alp5 * (cc * (3.0 + a5) * s2d - y * dr5 * (cc * d7 + z))),
        3.0
        * x
        / r5
        * (
            -alp4 * (c2d + s * dr5) + alp5 * (5.0 * cc / r2 * (s - d + d * q * qr7) - 1.0 - z * dr5)
        ),
        s5
        * (
            alp4 * (d * b5 * s2d - y * c5 * c2d)
            + alp5 * (cc * ((3.0 + a5) * s2d - y * dr5 * d7) - y * (1.0 + z * dr5))
        ),
        s5
        * (
            -alp4 * d * (1.0 - a5 * sdsd)
            - alp5 * (cc * (c2d + 10.0 * d * (s - d) / r2 - q * qr5 * c7) + z * (1.0 + c5))
        ),
    ]
    e5 = -alp4 * 15.0 * xy * d / r7
    e6 = -alp4 * 3.0 * x / r5 * c5
    e9 = -alp4 * 3.0 * y / r5 * c5
    inflate = [
        alp4 * 3.0 * x * d / r5,
        alp4 * 3.0 * y * d / r5,
        alp4 * c.c3 / r3,
        alp4 * 3.0 * d / r5 * a5,
        e5,
        e6,
        e5,
        alp4 * 3.0 * d / r5 * b5,
        e9,
        e6,
        e9,
        alp4 * 3.0 * d / r5 * (2.0 + c5),
    ]
    return _combine(pot, strike, dip, tensile, inflate)


def _dc3d0_point(x, y, z, alpha, depth, dip, pot):
    """DC3D0 for one observation point: 12 outputs (DC3D's order) and IRET."""
    alp = alpha_constants(alpha)
    sd, cd = dip_constants(dip)
    above = z > 0.0
    real_r2 = snap(x) ** 2 + snap(y) ** 2 + snap(depth + z) ** 2
    singular = real_r2 == 0.0
    # Double-where: at the source itself evaluate at a harmless offset, zero at the end.
    xs = safe(singular, x)

    c = _Point(xs, y, depth + z, sd, cd)
    ua = _ua0(c, alp, sd, cd, pot)
    real = jnp.concatenate([-ua[:9], ua[9:]])

    c = _Point(xs, y, depth - z, sd, cd)
    ua = _ua0(c, alp, sd, cd, pot)
    ub = _ub0(c, alp, sd, cd, z, pot)
    uc = _uc0(c, alp, sd, cd, z, pot)
    image = ua + ub + z * uc
    image = image.at[9:].add(uc[:3])

    out = (real + image) / TWO_PI
    out = jnp.where(singular, 0.0, out)
    out = jnp.where(above, jnp.nan, out)
    status = jnp.where(above, STATUS_ABOVE_SURFACE, jnp.where(singular, STATUS_SINGULAR, STATUS_OK))
    return out, status


@backend_jit
def _dc3d0_batch(flat, alpha, depth, dip, pot):
    return jax.vmap(lambda p: _dc3d0_point(p[0], p[1], p[2], alpha, depth, dip, pot))(flat)


def dc3d0(
    obs: Float[ArrayLike, "*batch 3"],
    *,
    alpha,
    depth,
    dip,
    pot,
    return_status: bool = False,
) -> (
    tuple[Float[Array, "*batch 3"], Float[Array, "*batch 3 3"]]
    | tuple[Float[Array, "*batch 3"], Float[Array, "*batch 3 3"], Int[Array, "*batch"]]
):
    """Displacement and its gradient around a point source (Okada 1992, DC3D0).

    Okada's frame: x along strike, z up, medium z <= 0, source at (0, 0, -depth).

    **Arguments:**

    - `obs`: observation points `(..., 3)` with z <= 0.
    - `alpha`: (lambda + mu) / (lambda + 2 mu).
    - `depth`: source depth (positive down).
    - `dip`: dip angle in degrees.
    - `pot`: potencies (strike, dip, tensile, inflation): moment / mu for the double couples
      (slip x area), intensity / lambda for tensile, intensity / mu for inflation (Okada 1992).
    - `return_status`: also return IRET per point (0 ok, 1 at the source, 2 z > 0).

    **Returns:**

    `u` `(..., 3)` (unit of potency / length^2) and `grad` `(..., 3, 3)` with
    `grad[..., i, j] = du_i/dx_j`.  Zero at the source itself, NaN above the surface.

    Reference: Okada, Y. (1992), BSSA 82(2), 1018-1040, Tables 2-4 and DC3D0.
    """
    obs = jnp.asarray(obs)
    if obs.ndim < 1 or obs.shape[-1] != 3:
        raise ValueError(f"obs must have shape (..., 3); got {obs.shape}.")
    if is_concrete(obs):
        obs_np = np.asarray(obs)
        if obs_np.size and np.any(obs_np[..., 2] > 0):
            idx = tuple(int(i) for i in np.argwhere(obs_np[..., 2] > 0)[0])
            raise ValueError(f"obs: point {idx} has z > 0, above the free surface (z is up).")
    pot = tuple(pot[i] for i in range(4))
    out, status = _dc3d0_batch(obs.reshape(-1, 3), alpha, depth, dip, pot)
    u, grad = split_output(out.reshape(obs.shape[:-1] + (12,)))
    if return_status:
        return u, grad, status.reshape(obs.shape[:-1])
    return u, grad
