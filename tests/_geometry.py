"""Shared helpers for the Okada tests: random geometries and frame conversions."""

import numpy as np


def okada_to_ned(strike_deg):
    """Rotation taking Okada (x along strike, y left of strike, z up) vectors to NED."""
    phi = np.radians(strike_deg)
    return np.array(
        [[np.cos(phi), np.sin(phi), 0.0], [np.sin(phi), -np.cos(phi), 0.0], [0.0, 0.0, -1.0]]
    )


def ned_to_okada_point(ned, strike_deg):
    """A receiver at (north, east, down) relative to the source reference -> Okada (x, y, z)."""
    return okada_to_ned(strike_deg).T @ np.asarray(ned, dtype=float)


def rel_err(a, b, floor=0.0):
    """max |a - b| / max(max |b|, floor), with b the reference.

    `floor` is the scale below which a value counts as zero (for points where symmetry makes
    the reference vanish up to rounding).
    """
    a, b = np.asarray(a), np.asarray(b)
    scale = max(float(np.max(np.abs(b))), floor)
    return float(np.max(np.abs(a - b)) / scale) if scale > 0 else float(np.max(np.abs(a)))


def as_float32_exact(*values):
    """Round values to float32 and back, so a float32 reference code sees the same inputs."""
    out = [np.asarray(v, dtype=np.float32).astype(np.float64) for v in values]
    return [o.tolist() if o.ndim else float(o) for o in out]


def random_rotation(rng):
    """A random proper rotation matrix (3, 3)."""
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.linalg.det(q))
