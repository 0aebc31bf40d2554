"""Slip from aftershocks: slip -> Okada stress on a cell grid -> classifier -> labels.

The whole chain is one differentiable JAX function of the slip, so the aftershock labels
of a grid can be inverted for slip by gradient descent, alone or jointly with GPS, and
the sensitivity of any cell's aftershock probability to the slip on every patch is one
`jax.grad` away.
"""

from __future__ import annotations

import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .._fault import FaultModel, numpy_geometry
from .._types import Array, ArrayLike, Float
from ..aftershocks import AftershockClassifier, rupture_distance
from ._gps import _weighted_system, slip_basis
from ._laplacian import laplacian

# Stress components kept per cell, in this order (the tensor is symmetric).
_COMPONENTS = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))


def _safe_norm(v):
    """|v| over the last axis with a finite gradient at v = 0 (double where)."""
    sq = jnp.sum(v * v, axis=-1)
    pos = sq > 0.0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, sq, 1.0)), 0.0)


class AftershockLikelihood(eqx.Module):
    """Bernoulli log-likelihood of an aftershock grid as a function of slip (final).

    Built by `aftershock_likelihood`.  **Fields:**

    - `greens (n, 6, m, 2)`: stress change (Pa, ENU, tension positive; components xx, xy,
      xz, yy, yz, zz) at each cell per metre of strike and dip slip on each patch.
    - `labels (n,)`: 1 where the cell hosted an aftershock, else 0.
    - `weight (n,)`: per-cell weight of the log-likelihood (ones by default).
    - `classifier`: the `AftershockClassifier` mapping stress (and context) to a logit.
    - `nearest (n,)`, `distance_km (n,)`: the patch nearest each cell and its distance (km),
      for context classifiers (fixed by the geometry: every patch counts as slipping).
    - `area (m,)`: patch areas (m^2), for the context's mean slip.

    Methods take `slip (m, 2)`, strike and dip slip in metres, and are pure JAX: jit, grad
    and vmap them.
    """

    greens: Float[Array, "n 6 m 2"]
    labels: Float[Array, " n"]
    weight: Float[Array, " n"]
    classifier: AftershockClassifier
    nearest: Array
    distance_km: Float[Array, " n"]
    area: Float[Array, " m"]

    @property
    def n_cells(self) -> int:
        return int(self.labels.shape[0])

    @property
    def n_patches(self) -> int:
        return int(self.area.shape[0])

    def subset(self, index: ArrayLike | list | range, weight=None) -> AftershockLikelihood:
        """The likelihood of the cells `index` only, with per-cell `weight` (default their
        current weights)."""
        idx = np.asarray(index, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= self.n_cells):
            raise ValueError(f"subset: indices must lie in [0, {self.n_cells}).")
        w = self.weight[idx] if weight is None else jnp.asarray(weight, self.weight.dtype)
        if w.shape != (idx.size,):
            raise ValueError(f"subset: weight must have shape ({idx.size},), got {w.shape}.")
        return AftershockLikelihood(
            greens=self.greens[idx],
            labels=self.labels[idx],
            weight=w,
            classifier=self.classifier,
            nearest=self.nearest[idx],
            distance_km=self.distance_km[idx],
            area=self.area,
        )

    def sample_negatives(self, rate: float, seed: int = 0) -> AftershockLikelihood:
        """Every positive cell and a random fraction `rate` of the negative ones, weighted
        by 1 / rate: an unbiased estimate of the log-likelihood (and its gradient) at a
        fraction of the cost, for grids where positives are rare (case-control sampling)."""
        if not 0.0 < float(rate) <= 1.0:
            raise ValueError(f"sample_negatives: rate must be in (0, 1], got {rate}.")
        y = np.asarray(self.labels) > 0
        keep = y | (np.random.default_rng(seed).random(y.size) < rate)
        idx = np.flatnonzero(keep)
        w = np.asarray(self.weight, float)[idx] * np.where(y[idx], 1.0, 1.0 / float(rate))
        return self.subset(idx, w)

    def stress(self, slip: Float[ArrayLike, "m 2"]) -> Float[Array, "n 3 3"]:
        """Stress change (Pa) at every cell for `slip (m, 2)` (m)."""
        n, _, m, k = self.greens.shape
        # A plain matrix-vector product on the stored layout (no transposed copy of the
        # Green's functions at every step, as an einsum over (m, k) can make).
        flat = self.greens.reshape(n * 6, m * k)
        s6 = (flat @ jnp.asarray(slip, self.greens.dtype).reshape(m * k)).reshape(n, 6)
        rows = [
            [s6[:, 0], s6[:, 1], s6[:, 2]],
            [s6[:, 1], s6[:, 3], s6[:, 4]],
            [s6[:, 2], s6[:, 4], s6[:, 5]],
        ]
        return jnp.stack([jnp.stack(r, axis=-1) for r in rows], axis=-2)

    def context(self, slip: Float[ArrayLike, "m 2"]) -> Float[Array, "n 3"]:
        """The classifier's rupture context per cell: distance (km), the nearest patch's
        slip (m) and the area-weighted mean slip (m); differentiable in the slip."""
        mag = _safe_norm(jnp.asarray(slip, self.greens.dtype))
        mean = jnp.sum(mag * self.area) / jnp.sum(self.area)
        n = self.labels.shape[0]
        return jnp.stack(
            [self.distance_km, mag[self.nearest], jnp.broadcast_to(mean, (n,))], axis=-1
        )

    def logit(
        self, slip: Float[ArrayLike, "m 2"], offset: float | ArrayLike = 0.0
    ) -> Float[Array, " n"]:
        """The classifier's logit at every cell, plus `offset` (see `log_likelihood`)."""
        sigma = self.stress(slip)
        if self.classifier.needs_context:
            z = jax.vmap(self.classifier.logit)(sigma, self.context(slip))
        else:
            z = jax.vmap(self.classifier.logit)(sigma)
        return z + jnp.asarray(offset, z.dtype)

    def probability(
        self, slip: Float[ArrayLike, "m 2"], offset: float | ArrayLike = 0.0
    ) -> Float[Array, " n"]:
        """Aftershock probability (0..1) of every cell."""
        return jax.nn.sigmoid(self.logit(slip, offset))

    def log_likelihood(
        self, slip: Float[ArrayLike, "m 2"], offset: float | ArrayLike = 0.0
    ) -> Float[Array, ""]:
        """sum_i w_i [y_i log p_i + (1 - y_i) log(1 - p_i)] (nats), computed stably from
        the logits.

        `offset` is added to every logit: an event-wide shift of the aftershock rate
        (catalogue completeness, productivity) that the classifier, trained to rank cells
        across many events, does not predict.  Without it, a large earthquake whose
        stresses push most cells of the grid to high probabilities can only match a low
        observed rate by shrinking the slip (see `invert_aftershocks`)."""
        z = self.logit(slip, offset)
        y = self.labels.astype(z.dtype)
        return jnp.sum(self.weight * (y * z - jax.nn.softplus(z)))


def aftershock_likelihood(
    fault: FaultModel,
    points: Float[ArrayLike, "n 3"],
    labels: ArrayLike,
    *,
    classifier: AftershockClassifier | None = None,
    weight: ArrayLike | None = None,
    mu: float = 3.0e10,
    lam: float = 3.0e10,
    dtype=np.float32,
    chunk: int = 16_384,
) -> AftershockLikelihood:
    """Precompute the linear slip-to-stress map of a cell grid and bind the labels.

    **Arguments:**

    - `fault`: the fault geometry (ENU m; its slip is not used).
    - `points (n, 3)`: cell centres in the same frame (m), at or below the free surface
      (z <= 0), e.g. `CellGrid.centroid` of `quakejax.aftershocks.build_grid`.
    - `labels (n,)`: aftershock counts or booleans per cell (a cell is positive when > 0).
    - `classifier`: an `AftershockClassifier`; default the pretrained "devries" (stress
      inputs only, so the labels constrain slip through the stress physics alone).  A
      context classifier ("invariant_context") also sees the slip of the nearest patch
      through log10(slip): its likelihood is far more rugged in the slip (gradient descent
      stalls in local optima) and it ties aftershocks to slip directly, not through stress.
    - `weight (n,)`: per-cell weights of the log-likelihood (default ones).
    - `mu`, `lam`: Lame constants (Pa); lam = mu (nu = 0.25) as the classifier's training.
    - `dtype`: precision of the stored Green's functions (float32: n * m * 48 bytes).
    - `chunk`: cells evaluated per Okada call (memory).

    **Returns:** an `AftershockLikelihood`.
    """
    from ..okada import stress_greens

    pts = np.asarray(points, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 3 or pts.shape[0] == 0:
        raise ValueError(f"aftershock_likelihood: points must have shape (n, 3), got {pts.shape}.")
    if not np.isfinite(pts).all():
        bad = int(np.flatnonzero(~np.isfinite(pts).all(axis=1))[0])
        raise ValueError(f"aftershock_likelihood: points[{bad}] is not finite: {pts[bad]}.")
    if (pts[:, 2] > 0).any():
        bad = int(np.flatnonzero(pts[:, 2] > 0)[0])
        raise ValueError(
            f"aftershock_likelihood: points[{bad}] is above the free surface (z = "
            f"{pts[bad, 2]} m > 0); cells must be at depth (z <= 0)."
        )
    y = np.asarray(labels)
    if y.shape != (pts.shape[0],):
        raise ValueError(
            f"aftershock_likelihood: labels must have shape ({pts.shape[0]},), got {y.shape}."
        )
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("aftershock_likelihood: labels contain NaN or infinity.")
    m = fault.n_patches
    if m == 0:
        raise ValueError("aftershock_likelihood: the fault has no patches.")
    geo = numpy_geometry(fault)
    if np.any(geo["area"] <= 0):
        raise ValueError(
            f"aftershock_likelihood: patch {int(np.argmin(geo['area']))} has zero area."
        )
    w = np.ones(pts.shape[0]) if weight is None else np.asarray(weight, float)
    if w.shape != (pts.shape[0],) or not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("aftershock_likelihood: weight must be (n,) finite and >= 0.")
    if classifier is None:
        classifier = AftershockClassifier.pretrained("devries")

    n = pts.shape[0]
    chunk = max(1, min(int(chunk), n))
    out = np.empty((n, 6, m, 2), dtype)
    for i in range(0, n, chunk):
        block = pts[i : i + chunk]
        pad = chunk - block.shape[0]
        if pad:  # one compiled shape for every chunk
            block = np.concatenate([block, np.repeat(block[-1:], pad, axis=0)])
        sig = np.asarray(stress_greens(fault, block.astype(dtype), mu=mu, lam=lam))
        sig = sig[: chunk - pad]
        for c, (a, b) in enumerate(_COMPONENTS):
            out[i : i + chunk, c] = sig[:, a, b]
    # Context: the nearest patch over the whole geometry (every patch counts as slipping).
    dist, nearest = rupture_distance(fault.with_slip(np.ones((m, 3))), pts)
    return AftershockLikelihood(
        greens=jnp.asarray(out),
        labels=jnp.asarray((y > 0).astype(dtype)),
        weight=jnp.asarray(w.astype(dtype)),
        classifier=classifier,
        nearest=jnp.asarray(nearest.astype(np.int32)),
        distance_km=jnp.asarray((dist / 1e3).astype(dtype)),
        area=jnp.asarray(geo["area"].astype(dtype)),
    )


def _terms(params, likelihood, consts):
    """(aftershock log-likelihood, GPS chi2, roughness m^2) at basis coordinates
    params["x"] and logit offset params["b"]."""
    x = params["x"]
    s = jnp.einsum("mij,mj->mi", consts["basis"], x)
    zero = jnp.zeros((), x.dtype)
    ll = likelihood.log_likelihood(s, params["b"]) if likelihood is not None else zero
    a, b = consts["a"], consts["b"]
    chi2 = jnp.sum((a @ s.reshape(-1) - b) ** 2) if a is not None else zero
    return ll, chi2, jnp.sum((consts["lap"] @ s) ** 2)


def _objective(params, likelihood, consts, weights):
    ll, chi2, rough = _terms(params, likelihood, consts)
    gps_weight, lam = weights
    return -ll + 0.5 * (gps_weight * chi2 + lam**2 * rough)


# One optimiser object for every call, so that repeated inversions reuse the compiled loop.
_ADAM = optax.scale_by_adam()


@eqx.filter_jit
def _run(params, lo, hi, likelihood, consts, weights, rate, fit_offset, steps):
    """`steps` of Adam with a cosine-decayed step (`rate` down to 1% of it), each followed
    by the projection of the slip coordinates onto [lo, hi]; the offset moves only when
    `fit_offset` (1.0) is set.  The data travel as arguments (not as constants folded into
    the compiled code)."""
    dtype = params["x"].dtype

    def step(carry, t):
        p, state = carry
        val, grad = jax.value_and_grad(_objective)(p, likelihood, consts, weights)
        grad = {"x": grad["x"], "b": grad["b"] * fit_offset}
        upd, state = _ADAM.update(grad, state, p)
        eta = (rate * (0.01 + 0.99 * 0.5 * (1.0 + jnp.cos(jnp.pi * t / steps)))).astype(dtype)
        x = optax.projections.projection_box(p["x"] - eta * upd["x"], lo, hi)
        # The offset is a logit: steps of about 0.1 per unit of `rate` (1 m of slip).
        b = p["b"] - (0.1 * eta) * upd["b"]
        return ({"x": x, "b": b}, state), val

    ts = jnp.arange(steps, dtype=dtype)
    (params, _), hist = jax.lax.scan(step, (params, _ADAM.init(params)), ts)
    return params, hist, _terms(params, likelihood, consts)


class AftershockInversion(eqx.Module):
    """The result of `invert_aftershocks` (final).  Arrays are NumPy.

    **Fields:** `fault` (with the estimated slip, m); `smoothing` (lambda, 1/m);
    `gps_weight`; `log_likelihood` (nats, of the aftershock labels at the estimate);
    `offset`: the logit offset at the estimate (fitted, or as given);
    `history (steps,)`: the objective at every step; `probability (n,)`: the aftershock
    probability of every cell at the estimate; `gps_chi2` (None without GPS);
    `predicted (k, 3)` the modelled GPS offsets (m) or None; `info` (dict: steps, wall time,
    learning rate, the objective's terms).
    """

    fault: FaultModel
    smoothing: float
    gps_weight: float
    log_likelihood: float
    offset: float
    history: np.ndarray
    probability: np.ndarray
    gps_chi2: float | None
    predicted: np.ndarray | None
    info: dict

    @property
    def slip(self) -> np.ndarray:
        """(m, 2) strike and dip slip (m)."""
        return np.asarray(self.fault.slip, float)[:, :2]

    def mw(self, mu: float = 3.0e10) -> float:
        return float(self.fault.magnitude(mu))


def invert_aftershocks(
    fault: FaultModel,
    likelihood: AftershockLikelihood | None,
    *,
    smoothing: float = 1.0,
    positivity: bool = True,
    rake=None,
    edges: str = "free",
    gps=None,
    gps_weight: float = 1.0,
    frame=None,
    default_sigma: float = 0.01,
    nu: float = 0.25,
    gps_greens: np.ndarray | None = None,
    init: ArrayLike | None = None,
    offset: float = 0.0,
    fit_offset: bool = True,
    steps: int = 1000,
    learning_rate: float = 0.1,
) -> AftershockInversion:
    """Slip from aftershock labels (and optionally GPS) by projected gradient descent.

    Minimises, over the slip `s (m, 2)` in metres within the slip constraints,

        J(s, b) = - log L(s, b) + 1/2 [ gps_weight * chi2_gps(s) + lambda^2 ||L s||^2 ]

    where `log L` is `likelihood.log_likelihood` (nats) with logit offset `b`, `chi2_gps`
    the sigma-weighted GPS misfit of `invert_slip` and `L` the dimensionless patch
    Laplacian.  Without aftershocks (`likelihood=None`) this is `invert_slip`'s objective
    at the same `lambda`, halved, so both give the same slip.  The likelihood is not convex
    in the slip: the result depends on `init` (default 1 m along the middle of the allowed
    rakes on every patch).

    **Arguments:** `fault`, `positivity`, `rake`, `edges`, `frame`, `default_sigma`, `nu`
    as `invert_slip`; `smoothing` lambda (1/m); `gps` a `GPSData` (optional);
    `gps_greens` its precomputed design matrix `(3 k, 2 m)`; `init (m, 2)` starting slip (m);
    `steps` of Adam with a cosine-decayed `learning_rate` (m per step), each followed by the
    projection onto the constraints.  `offset`: the logit offset `b` (start value);
    `fit_offset` (default True) estimates it with the slip.  The pretrained classifiers
    rank cells well but are not calibrated event by event: with `b` fixed at 0, the
    aftershocks of Tohoku 2011 (1.4% of the grid's cells) are best explained by almost no
    slip at all, because the stresses of any M9 slip make most cells likely.  Fitting `b`
    leaves the slip to explain where the aftershocks are, not how many.

    **Returns:** an `AftershockInversion`.
    """
    t0 = time.perf_counter()
    if likelihood is None and gps is None:
        raise ValueError("invert_aftershocks: give aftershock labels, GPS data, or both.")
    m = fault.n_patches
    if likelihood is not None and likelihood.n_patches != m:
        raise ValueError(
            f"invert_aftershocks: the likelihood was built for {likelihood.n_patches} patches, "
            f"the fault has {m}."
        )
    lam = float(smoothing)
    if not (np.isfinite(lam) and lam >= 0):
        raise ValueError(f"smoothing: expected a number >= 0 (1/m), got {smoothing!r}.")
    if not (np.isfinite(gps_weight) and gps_weight >= 0):
        raise ValueError(f"gps_weight: expected a number >= 0, got {gps_weight!r}.")
    if int(steps) < 1:
        raise ValueError(f"steps: expected a positive integer, got {steps!r}.")

    basis, lower, upper = slip_basis(fault, positivity, rake)
    lap = laplacian(fault, edges=edges)
    dtype = likelihood.greens.dtype if likelihood is not None else jnp.zeros(()).dtype

    a = b = None
    if gps is not None:
        *_, g, _, a, b = _weighted_system(
            fault, gps, frame, default_sigma, nu, gps_greens, name="gps_greens"
        )
        a, b = jnp.asarray(a, dtype), jnp.asarray(b, dtype)

    consts = {"basis": jnp.asarray(basis, dtype), "lap": jnp.asarray(lap, dtype), "a": a, "b": b}
    lo, hi = jnp.asarray(lower, dtype), jnp.asarray(upper, dtype)

    # Starting point in the basis coordinates, projected into the box.
    if init is None:
        x0 = np.full((m, 2), 1.0 / np.sqrt(2.0))
    else:
        s0 = np.asarray(init, float)
        if s0.shape != (m, 2) or not np.isfinite(s0).all():
            raise ValueError(f"init: expected finite slip of shape ({m}, 2) in metres.")
        x0 = np.einsum("mij,mj->mi", np.linalg.pinv(basis), s0)
    x0 = jnp.clip(jnp.asarray(x0, dtype), lo, hi)

    weights = (jnp.asarray(gps_weight, dtype), jnp.asarray(lam, dtype))
    rate = jnp.asarray(learning_rate, dtype)
    fit = jnp.asarray(1.0 if (fit_offset and likelihood is not None) else 0.0, dtype)
    params = {"x": x0, "b": jnp.asarray(offset, dtype)}
    params, hist, final = _run(params, lo, hi, likelihood, consts, weights, rate, fit, int(steps))
    ll, chi2, rough = (float(v) for v in final)
    b = float(params["b"])
    slip = np.asarray(jnp.einsum("mij,mj->mi", consts["basis"], params["x"]), float)
    if not np.isfinite(slip).all():
        raise FloatingPointError(
            "invert_aftershocks: the slip became non-finite; lower learning_rate."
        )
    prob = np.asarray(likelihood.probability(slip, b)) if likelihood is not None else np.zeros(0)
    pred = None
    if gps is not None:
        pred = (g @ slip.reshape(-1)).reshape(-1, 3)
    info = {
        "steps": int(steps),
        "learning_rate": float(learning_rate),
        "objective": float(-ll + 0.5 * (gps_weight * chi2 + lam**2 * rough)),
        "roughness_m2": rough,
        "wall_s": time.perf_counter() - t0,
        "n_cells": 0 if likelihood is None else likelihood.n_cells,
    }
    return AftershockInversion(
        fault=fault.with_slip(np.c_[slip, np.zeros(m)]),
        smoothing=lam,
        gps_weight=float(gps_weight),
        log_likelihood=ll if likelihood is not None else float("nan"),
        offset=b,
        history=np.asarray(hist, float),
        probability=prob,
        gps_chi2=chi2 if gps is not None else None,
        predicted=pred,
        info=info,
    )


def aftershock_sensitivity(
    likelihood: AftershockLikelihood,
    slip: Float[ArrayLike, "m 2"],
    cells: ArrayLike | list | tuple | range,
    offset: float = 0.0,
) -> np.ndarray:
    """Which parts of the rupture drive aftershocks in a region: the gradient of the mean
    aftershock probability of `cells` (indices or a boolean mask over the grid) with
    respect to the strike and dip slip (m) of every patch, `(m, 2)` in 1/m.

    Project it on the slip direction (`(g * slip).sum(1) / |slip|`) to see where more slip
    of the same rake would raise (positive) or lower (negative) the probability there.
    `offset`: the logit offset of the probabilities (e.g. `AftershockInversion.offset`).
    """
    sel = np.asarray(cells)
    if sel.dtype == bool:
        if sel.shape != (likelihood.n_cells,):
            raise ValueError(
                f"cells: a mask must have shape ({likelihood.n_cells},), got {sel.shape}."
            )
        sel = np.flatnonzero(sel)
    sel = sel.astype(np.int64).reshape(-1)
    if sel.size == 0:
        raise ValueError("cells: no cell selected.")
    if sel.min() < 0 or sel.max() >= likelihood.n_cells:
        raise ValueError(f"cells: indices must lie in [0, {likelihood.n_cells}).")
    s = jnp.asarray(slip, likelihood.greens.dtype)
    b = jnp.asarray(offset, s.dtype)
    return np.asarray(_mean_probability_grad(s, likelihood, jnp.asarray(sel), b), float)


@eqx.filter_jit
def _mean_probability_grad(slip, likelihood, idx, offset):
    return jax.grad(lambda s: jnp.mean(likelihood.probability(s, offset)[idx]))(slip)
