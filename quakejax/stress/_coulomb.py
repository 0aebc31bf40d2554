"""Tractions and Coulomb failure stress changes on receiver planes.

Frame: east-north-up (ENU), like `FaultModel`.  Stress in Pa, tension positive.  A receiver is
(strike, dip, rake) in degrees with Aki & Richards conventions: it dips to the right of
strike, and rake is the direction of hanging-wall motion, counter-clockwise from strike in the
fault plane (0 left-lateral, 90 reverse).  The receiver normal points into the hanging wall
and the slip vector is the hanging wall's motion, so the shear stress that drives that slip is
s . sigma . n and the normal stress n . sigma . n is positive for unclamping (King, Stein & Lin
1994, BSSA 84:935; the convention of Coulomb 3).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .._types import Array, ArrayLike, Float


def _sym(sigma):
    return 0.5 * (sigma + jnp.swapaxes(sigma, -1, -2))


def receiver_vectors(
    strike: Float[ArrayLike, "*batch"],
    dip: Float[ArrayLike, "*batch"],
    rake: Float[ArrayLike, "*batch"],
) -> tuple[Float[Array, "*batch 3"], Float[Array, "*batch 3"]]:
    """Unit normal (into the hanging wall) and unit slip vector (ENU) of a receiver plane.

    **Arguments:** `strike`, `dip`, `rake` in degrees (broadcast together).

    **Returns:** `(normal, slip)`, each `(..., 3)`, orthogonal unit vectors in ENU.
    """
    strike, dip, rake = jnp.broadcast_arrays(
        jnp.asarray(strike), jnp.asarray(dip), jnp.asarray(rake)
    )
    phi, delta, lam = jnp.deg2rad(strike), jnp.deg2rad(dip), jnp.deg2rad(rake)
    along = jnp.stack([jnp.sin(phi), jnp.cos(phi), jnp.zeros_like(phi)], axis=-1)
    down = jnp.stack(
        [jnp.cos(phi) * jnp.cos(delta), -jnp.sin(phi) * jnp.cos(delta), -jnp.sin(delta)], axis=-1
    )
    normal = jnp.cross(down, along)
    slip = jnp.cos(lam)[..., None] * along - jnp.sin(lam)[..., None] * down
    return normal, slip


def traction(
    sigma: Float[ArrayLike, "*#batch 3 3"], normal: Float[ArrayLike, "*#batch 3"]
) -> Float[Array, "*batch 3"]:
    """Traction vector t = sigma . n (Pa) on a plane of unit normal `n` (same frame)."""
    sigma, normal = _broadcast(sigma, normal)
    return jnp.einsum("...ij,...j->...i", _sym(sigma), normal)


def _broadcast(sigma, *vectors):
    sigma = jnp.asarray(sigma)
    vectors = [jnp.asarray(v) for v in vectors]
    batch = jnp.broadcast_shapes(sigma.shape[:-2], *(v.shape[:-1] for v in vectors))
    return (jnp.broadcast_to(sigma, batch + (3, 3)),) + tuple(
        jnp.broadcast_to(v, batch + (3,)) for v in vectors
    )


def normal_and_shear(
    sigma: Float[ArrayLike, "*#batch 3 3"],
    normal: Float[ArrayLike, "*#batch 3"],
    slip: Float[ArrayLike, "*#batch 3"],
) -> tuple[Float[Array, "*batch"], Float[Array, "*batch"], Float[Array, "*batch"]]:
    """Normal stress, shear stress along `slip`, and total shear stress on a plane (Pa).

    **Returns:** `(sigma_n, tau, tau_total)`: `sigma_n = n.sigma.n` (tension positive,
    i.e. positive unclamps), `tau = s.sigma.n` (positive drives slip along `s`), and
    `tau_total = |t - sigma_n n|`, the magnitude of the shear traction in any direction.
    Batch shapes broadcast (one plane for many tensors, or one per tensor).
    """
    sigma, normal, slip = _broadcast(sigma, normal, slip)
    t = traction(sigma, normal)
    sn = jnp.sum(t * normal, axis=-1)
    tau = jnp.sum(t * slip, axis=-1)
    shear = t - sn[..., None] * jnp.asarray(normal)
    sq = jnp.sum(shear * shear, axis=-1)
    zero = sq == 0.0
    tau_total = jnp.where(zero, 0.0, jnp.sqrt(jnp.where(zero, 1.0, sq)))
    return sn, tau, tau_total


def coulomb_stress_change(
    sigma: Float[ArrayLike, "*#batch 3 3"],
    strike: Float[ArrayLike, "*#batch"],
    dip: Float[ArrayLike, "*#batch"],
    rake: Float[ArrayLike, "*#batch"],
    friction: float | ArrayLike = 0.4,
) -> Float[Array, "*batch"]:
    """Coulomb failure stress change dCFS = tau + mu' sigma_n on fixed receivers (Pa).

    **Arguments:**

    - `sigma`: stress change (Pa, ENU, tension positive), shape `(..., 3, 3)`.
    - `strike`, `dip`, `rake`: receiver orientation in degrees, broadcast against the batch.
    - `friction`: effective friction coefficient mu' (0.4 in DeVries et al. 2018).

    **Returns:** dCFS in Pa; positive brings the receiver closer to failure.
    King, Stein & Lin (1994), eq. 2.
    """
    normal, slip = receiver_vectors(strike, dip, rake)
    sn, tau, _ = normal_and_shear(sigma, normal, slip)
    return tau + friction * sn


def mean_receiver(fault, *, weights=None):
    """The mainshock-mean receiver: mean (strike, dip, rake) in degrees of a `FaultModel`.

    Averages unit normals and unit slip vectors, weighted by patch area over patches with
    nonzero slip (DeVries et al. 2018 average the angles; averaging vectors keeps the mean
    meaningful when segments dip in opposite directions or carry strikes flipped by 180 deg).
    A plane is the same with (n, s) and (-n, -s), so each patch's pair is first flipped into
    the hemisphere of the most heavily weighted patch's normal.  The mean slip vector is
    projected onto the mean plane.  The returned plane has its normal pointing up (dip in
    [0, 90]), strike in [0, 360) and rake in (-180, 180].

    **Arguments:** `fault` (`FaultModel`); `weights` (n,) overrides area x (slip > 0).

    **Returns:** `(strike, dip, rake)`: Python floats for a concrete fault (computed in
    numpy, float64); JAX scalars, differentiable in the geometry, slip and weights, when
    the fault is traced (inside `jit` or `grad`).
    """
    from ..okada._common import is_concrete

    concrete = is_concrete(fault, weights)
    xp = np if concrete else jnp
    f = (lambda a: np.asarray(a, dtype=float)) if concrete else jnp.asarray
    phi, delta = xp.radians(f(fault.strike)), xp.radians(f(fault.dip))
    strike_vec = xp.stack([xp.sin(phi), xp.cos(phi), xp.zeros_like(phi)], axis=-1)
    down = xp.stack(
        [xp.cos(phi) * xp.cos(delta), -xp.sin(phi) * xp.cos(delta), -xp.sin(delta)], axis=-1
    )
    normal = xp.cross(down, strike_vec)
    slip = f(fault.slip)
    sq = slip[:, 0] ** 2 + slip[:, 1] ** 2
    moving = sq > 0
    mag = xp.sqrt(xp.where(moving, sq, 1.0))  # double where: finite gradient at zero slip
    if weights is None:
        weights = f(fault.length) * f(fault.width) * moving
    weights = f(weights)
    if concrete:
        if weights.shape != mag.shape or not np.all(np.isfinite(weights)) or (weights < 0).any():
            raise ValueError("mean_receiver: weights must be finite, non-negative, one per patch.")
        if weights.sum() <= 0:
            raise ValueError("mean_receiver: the fault has no slipping patch (all slip is zero).")
    unit = xp.where(moving[:, None], slip[:, :2] / mag[:, None], 0.0)
    svec = unit[:, :1] * strike_vec - unit[:, 1:2] * down
    ref = normal[xp.argmax(weights)]
    sign = xp.where(normal @ ref < 0, -1.0, 1.0)[:, None]
    n = xp.sum(weights[:, None] * sign * normal, axis=0)
    s = xp.sum(weights[:, None] * sign * svec, axis=0)
    n = n / xp.linalg.norm(n)
    s = s - (s @ n) * n
    if concrete and np.linalg.norm(s) == 0:
        raise ValueError("mean_receiver: the mean slip vector vanishes (slip directions cancel).")
    s = s / xp.linalg.norm(s)
    up = xp.where(n[2] < 0, -1.0, 1.0)
    n, s = up * n, up * s
    # Strike, dip, rake of the plane with upward normal n and slip s.
    dip = xp.degrees(xp.arccos(xp.clip(n[2], -1.0, 1.0)))
    # The horizontal part of an upward normal points in the dip direction (strike + 90).
    flat = n[0] ** 2 + n[1] ** 2 < 1e-24
    dipdir = xp.where(flat, 90.0, xp.degrees(xp.arctan2(xp.where(flat, 1.0, n[0]), n[1])))
    strike = (dipdir - 90.0) % 360.0
    phi, delta = xp.radians(strike), xp.radians(dip)
    along = xp.stack([xp.sin(phi), xp.cos(phi), xp.zeros_like(phi)])
    dvec = xp.stack([xp.cos(phi) * xp.cos(delta), -xp.sin(phi) * xp.cos(delta), -xp.sin(delta)])
    rake = xp.degrees(xp.arctan2(-(s @ dvec), s @ along))
    if concrete:
        return float(strike), float(dip), float(rake)
    return strike, dip, rake


def optimal_coulomb_stress_change(
    sigma: Float[ArrayLike, "*batch 3 3"],
    regional: Float[ArrayLike, "*#batch 3 3"],
    friction: float | ArrayLike = 0.4,
) -> Float[Array, "*batch"]:
    """dCFS (Pa) on optimally oriented planes, Coulomb 3.4 style (King et al. 1994).

    The planes are those where the total stress `regional + sigma` has the largest Coulomb
    stress tau + mu' sigma_n: they contain the intermediate principal axis, and their normals
    lie at an angle phi = atan(1/mu') / 2 from the most tensile axis (tension positive).  The
    change `sigma` is resolved onto both conjugate planes, each along its direction of maximum
    total shear, and the larger of the two dCFS values is returned.

    **Arguments:** `sigma` stress change and `regional` background stress, Pa, ENU, tension
    positive (so a compressive regional stress has negative principal values);
    `friction` mu'.

    For a regional stress much larger than the change this tends to the change of
    max_planes(tau + mu' sigma_n), by the envelope theorem; the tests check both.
    """
    sigma = _sym(jnp.asarray(sigma))
    regional = _sym(jnp.asarray(regional))
    shape = jnp.broadcast_shapes(sigma.shape, regional.shape)
    sigma = jnp.broadcast_to(sigma, shape)
    total = sigma + jnp.broadcast_to(regional, shape)
    _, vecs = jnp.linalg.eigh(total)  # ascending: vecs[..., :, 0] most compressive
    e3 = vecs[..., :, 0]
    e1 = vecs[..., :, 2]
    phi = 0.5 * jnp.arctan(1.0 / friction)
    c, s = jnp.cos(phi), jnp.sin(phi)
    best = None
    for sgn in (1.0, -1.0):
        n = c * e1 + sgn * s * e3
        d = s * e1 - sgn * c * e3  # s . total . n = sin(2 phi) (s1 - s3) / 2 > 0 on both planes
        sn, tau, _ = normal_and_shear(sigma, n, d)
        value = tau + friction * sn
        best = value if best is None else jnp.maximum(best, value)
    return best


def max_coulomb_stress(
    sigma: Float[ArrayLike, "*batch 3 3"], friction: float | ArrayLike = 0.4
) -> Float[Array, "*batch"]:
    """max over planes of tau + mu' sigma_n = mu' (s1 + s3)/2 + sqrt(1 + mu'^2) (s1 - s3)/2 (Pa).

    s1 >= s3 are the extreme principal stresses (tension positive): the Mohr-circle
    construction for the Coulomb stress of the optimally oriented plane.
    """
    p = jnp.linalg.eigvalsh(_sym(jnp.asarray(sigma)))
    s1, s3 = p[..., 2], p[..., 0]
    return friction * 0.5 * (s1 + s3) + jnp.sqrt(1.0 + friction**2) * 0.5 * (s1 - s3)
